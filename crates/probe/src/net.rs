//! Name resolution and TCP connects with a time limit, reported as `Reach` evidence.

use certgate_core::evidence::Reach;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;

use crate::ProbeError;

/// Resolves `host:port` to its addresses (IPv4 first, the order most clients try).
pub async fn resolve(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, ProbeError> {
    let host_only = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host_only.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let dns = |detail: String| ProbeError::Dns {
        host: host.to_string(),
        detail,
    };
    let found = tokio::time::timeout(timeout, tokio::net::lookup_host((host_only, port)))
        .await
        .map_err(|_| dns(format!("no DNS answer within {} ms", timeout.as_millis())))?
        .map_err(|e| dns(e.to_string()))?;
    let mut addrs: Vec<SocketAddr> = found.collect();
    addrs.sort_by_key(|a| a.is_ipv6());
    addrs.dedup();
    if addrs.is_empty() {
        return Err(dns("no addresses".into()));
    }
    Ok(addrs)
}

/// Opens a TCP connection to `addr` within `timeout`.
pub async fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ProbeError> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => Err(ProbeError::Timeout {
            addr: addr.to_string(),
            millis: timeout.as_millis() as u64,
        }),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err(ProbeError::Refused {
                addr: addr.to_string(),
            })
        }
        Ok(Err(e)) => Err(ProbeError::Connect {
            addr: addr.to_string(),
            detail: e.to_string(),
        }),
        Ok(Ok(s)) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
    }
}

/// Resolves and connects to the first address that answers; the result as `Reach` evidence,
/// with the address that worked.
pub async fn reach(host: &str, port: u16, timeout: Duration) -> (Reach, Option<SocketAddr>) {
    let addrs = match resolve(host, port, timeout).await {
        Ok(a) => a,
        Err(e) => {
            return (
                Reach::DnsFailed {
                    detail: e.to_string(),
                },
                None,
            )
        }
    };
    let mut last = None;
    for addr in addrs {
        match connect(addr, timeout).await {
            Ok(_) => {
                return (
                    Reach::Connected {
                        addr: addr.to_string(),
                    },
                    Some(addr),
                )
            }
            Err(e) => last = Some(e),
        }
    }
    let reach = match last {
        Some(ProbeError::Refused { addr }) => Reach::Refused { addr },
        Some(ProbeError::Timeout { addr, millis }) => Reach::Timeout { addr, millis },
        Some(ProbeError::Connect { addr, detail }) => Reach::Unreachable { addr, detail },
        other => Reach::Unreachable {
            addr: format!("{host}:{port}"),
            detail: other.map(|e| e.to_string()).unwrap_or_default(),
        },
    };
    (reach, None)
}
