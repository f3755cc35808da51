//! The live relay: accept TCP connections, connect each to the target, forward the bytes of both
//! directions unchanged, and read a copy of them with the same TLS parser as captures. When a
//! connection ends, its report is handed to the caller (who prints one line per connection).

use crate::conversation::Conversation;
use crate::report::ConnectionReport;
use certgate_core::analyse::handshake::{HandshakeAnalysis, HandshakeTrace, Outcome, Peer};
use certgate_core::{Code, Finding, Side};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{tcp::OwnedReadHalf, tcp::OwnedWriteHalf, TcpListener, TcpStream};

/// One relayed connection, shared by its two copy tasks.
struct Recorder {
    start: Instant,
    conv: Conversation,
}

/// Runs the relay on `listener`, forwarding to `to` (`host:port`). Stops after `limit` connections
/// when given; `on_report` is called once per finished connection.
pub async fn run<F>(
    listener: TcpListener,
    to: String,
    limit: Option<usize>,
    on_report: F,
) -> std::io::Result<()>
where
    F: Fn(ConnectionReport) + Send + Sync + 'static,
{
    let on_report = Arc::new(on_report);
    let mut tasks = tokio::task::JoinSet::new();
    let mut id = 0usize;
    while limit.is_none_or(|n| id < n) {
        let (client, peer) = listener.accept().await?;
        id += 1;
        let to = to.clone();
        let on_report = on_report.clone();
        tasks.spawn(async move {
            let report = relay_one(id, client, peer, &to).await;
            on_report(report);
        });
        // Reap finished connections so the set does not grow without bound.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

async fn relay_one(id: usize, client: TcpStream, peer: SocketAddr, to: &str) -> ConnectionReport {
    let started = OffsetDateTime::now_utc();
    let server = match TcpStream::connect(to).await {
        Ok(s) => s,
        Err(e) => {
            let target: SocketAddr = to
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
            let mut r = ConnectionReport::new(id, peer, target, HandshakeTrace::default(), 0);
            let code = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                Code::TcpConnectionRefused
            } else {
                Code::TcpTimeout
            };
            r.analysis = HandshakeAnalysis {
                version: None,
                outcome: Outcome::Incomplete,
                aborted_by: None,
                notes: Vec::new(),
                findings: vec![Finding::new(
                    code,
                    Side::Network,
                    format!("the relay could not connect to {to}: {e}"),
                )],
            };
            return r;
        }
    };
    let server_addr = server
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let rec = Arc::new(Mutex::new(Recorder {
        start: Instant::now(),
        conv: Conversation::new(),
    }));
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, Peer::Client, rec.clone());
    let down = pump(sr, cw, Peer::Server, rec.clone());
    tokio::join!(up, down);
    let conv = match Arc::try_unwrap(rec) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()).conv,
        // Both copy tasks have ended, so this cannot happen; an empty report beats a panic.
        Err(_) => Conversation::new(),
    };
    conv.report(id, peer, server_addr, Some(started))
}

/// Copies one direction, recording what it carries; closes the write side at the end.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    peer: Peer,
    rec: Arc<Mutex<Recorder>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    let reset = loop {
        match from.read(&mut buf).await {
            Ok(0) => break false,
            Ok(n) => {
                if let Ok(mut r) = rec.lock() {
                    let at = r.start.elapsed().as_secs_f64();
                    r.conv.feed(peer, at, &buf[..n]);
                }
                if to.write_all(&buf[..n]).await.is_err() {
                    break false;
                }
            }
            Err(_) => break true,
        }
    };
    if let Ok(mut r) = rec.lock() {
        let at = r.start.elapsed().as_secs_f64();
        r.conv.close(peer, at, reset);
    }
    let _ = to.shutdown().await;
}
