//! certgate-gateway: the mTLS reverse proxy of DESIGN.md §4. It completes the TLS handshake,
//! judges the client certificate per route, and answers a missing or invalid one with HTTP
//! 496/495 (403 when the identity is not allowed, 497 for plain HTTP) naming the cause and the
//! fix; valid requests go to the upstream with spoof-proof identity headers.
//!
//! Start one in-process with [`Gateway::bind`]; `certgate serve` is a thin wrapper around it.
//! Module map: `config` (what the operator writes) → `load` (checked, served generation) →
//! `listener` (accept → `detect` → `tls` → `identity` → `policy` → `forward` | `respond`);
//! `reload` (SIGHUP, file changes); `observe` (hooks for metrics); `echo` (demo upstream).
#![forbid(unsafe_code)]

pub mod admin;
pub mod config;
pub mod detect;
pub mod echo;
pub mod forward;
pub mod identity;
mod listener;
pub mod load;
pub mod metrics;
pub mod observe;
pub mod ocsp;
pub mod policy;
pub mod reload;
pub mod respond;
pub mod tls;
pub mod trust;

pub use config::{
    AllowList, Config, ConfigError, HeaderFormat, Limits, Mode, PemSource, RouteConfig,
};
pub use observe::{NoObserver, Observer};

use listener::{LiveConnections, Shared};
use rustls_pki_types::UnixTime;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// A running gateway. Dropping it does not stop it; call [`Gateway::shutdown`].
pub struct Gateway {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    metrics: Arc<metrics::Metrics>,
    admin: Option<admin::Admin>,
}

impl Gateway {
    /// Loads `config` (refusing it with a clear error), binds its listen address (port 0 picks
    /// a free port) and starts serving.
    pub async fn bind(config: Config) -> Result<Gateway, ConfigError> {
        Gateway::bind_with(config, Arc::new(NoObserver)).await
    }

    /// As [`Gateway::bind`], reporting events to `observer` (metrics, status pages).
    pub async fn bind_with(
        config: Config,
        observer: Arc<dyn Observer>,
    ) -> Result<Gateway, ConfigError> {
        // Metrics are always kept (atomics); `--admin` only decides whether they are served.
        let metrics = Arc::new(metrics::Metrics::new());
        let observer: Arc<dyn Observer> = Arc::new(metrics::Tee(metrics.clone(), observer));
        let resumption = tls::Resumption::new()?;
        let loaded = load::load(&config, 1, &resumption, UnixTime::now())?;
        for w in &loaded.warnings {
            tracing::warn!(target: "certgate::gateway", event = "config_warning", "{w}");
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| ConfigError::Listen {
                addr: config.listen,
                why: if e.kind() == std::io::ErrorKind::AddrInUse {
                    "the address is already in use (another gateway or nginx running?); stop it or choose another --listen address".into()
                } else {
                    e.to_string()
                },
            })?;
        let local_addr = listener.local_addr().map_err(|e| ConfigError::Listen {
            addr: config.listen,
            why: e.to_string(),
        })?;
        let max_conns = loaded.limits.max_connections.max(1);
        let drain = loaded.limits.drain_timeout();
        let shared = Arc::new(Shared {
            loaded: arc_swap::ArcSwap::from_pointee(loaded),
            resumption,
            observer,
            live: LiveConnections::default(),
        });
        let (stop, mut stopped) = watch::channel(false);
        let accept_shared = shared.clone();
        let task = tokio::spawn(async move {
            let graceful = hyper_util::server::graceful::GracefulShutdown::new();
            let slots = Arc::new(Semaphore::new(max_conns));
            loop {
                let permit = tokio::select! {
                    p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                    _ = stopped.changed() => break,
                };
                let (tcp, peer) = tokio::select! {
                    r = listener.accept() => match r {
                        Ok(x) => x,
                        Err(e) => {
                            // EMFILE and friends: back off instead of spinning.
                            tracing::warn!(target: "certgate::gateway", event = "accept_error", "accept failed: {e}");
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                    _ = stopped.changed() => break,
                };
                let shared = accept_shared.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    listener::serve_connection(shared, tcp, peer, watcher).await;
                    drop(permit);
                });
            }
            drop(listener);
            // Graceful: in-flight requests finish, idle keep-alive connections are closed.
            let _ = tokio::time::timeout(drain, graceful.shutdown()).await;
        });
        tracing::info!(target: "certgate::gateway", event = "listening", addr = %local_addr, "gateway listening");
        let admin = match config.admin {
            Some(addr) => {
                Some(admin::start(addr, metrics.clone(), shared.clone(), local_addr).await?)
            }
            None => None,
        };
        Ok(Gateway {
            local_addr,
            shared,
            stop,
            task,
            metrics,
            admin,
        })
    }

    /// The admin listener's address (`/metrics`, `/status`, `/`), when one was configured.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin.as_ref().map(admin::Admin::local_addr)
    }

    /// The gateway's counters (what `/metrics` serves).
    pub fn metrics(&self) -> &Arc<metrics::Metrics> {
        &self.metrics
    }

    /// The address the gateway listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The serving generation (1 at start, +1 per successful reload).
    pub fn generation(&self) -> u64 {
        self.shared.loaded.load().generation
    }

    /// Connections currently holding a client certificate.
    pub fn live_certificate_connections(&self) -> usize {
        self.shared.live.count()
    }

    /// The configuration being served.
    pub fn config(&self) -> Config {
        self.shared.loaded.load().config.clone()
    }

    /// Replaces the configuration without dropping connections. A configuration that does not
    /// load is refused (logged, returned) and the old one keeps serving. Live connections whose
    /// certificate the new CRLs revoke are closed. The listen address and `max_connections` are
    /// fixed at bind time.
    pub fn reload(&self, config: Config) -> Result<u64, ConfigError> {
        reload::apply(&self.shared, config)
    }

    /// Re-reads every file of the current configuration (certificates, CAs, CRLs).
    pub fn reload_files(&self) -> Result<u64, ConfigError> {
        self.reload(self.config())
    }

    /// A handle for reloading from other tasks (signal handlers, file watchers).
    pub fn reloader(&self) -> reload::Reloader {
        reload::Reloader::new(self.shared.clone())
    }

    /// Stops accepting, lets in-flight requests finish (up to `drain_timeout_secs`), and returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
