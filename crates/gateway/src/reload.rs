//! Hot reload: a new configuration (or the same one with changed files) is loaded beside the
//! running one and swapped in atomically; a refusal is logged and the old generation keeps
//! serving. Triggers: [`crate::Gateway::reload`], SIGHUP and file changes ([`Reloader::watch`]).

use crate::config::{Config, ConfigError};
use crate::listener::Shared;
use crate::load::load;
use rustls_pki_types::UnixTime;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Where a reload takes its configuration from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Re-read this TOML file (and the files it names).
    File(PathBuf),
    /// Keep the current configuration, re-read the files it names.
    Current,
}

pub(crate) fn apply(shared: &Shared, config: Config) -> Result<u64, ConfigError> {
    let old = shared.loaded.load_full();
    let generation = old.generation + 1;
    match load(&config, generation, &shared.resumption, UnixTime::now()) {
        Ok(new) => {
            if new.config.listen != old.config.listen {
                tracing::warn!(target: "certgate::gateway", event = "reload_warning",
                    "the listen address cannot change on reload; keeping {}", old.config.listen);
            }
            for w in &new.warnings {
                tracing::warn!(target: "certgate::gateway", event = "config_warning", "{w}");
            }
            let new = Arc::new(new);
            shared.loaded.store(new.clone());
            let closed = shared.live.close_revoked(&new, shared.observer.as_ref());
            tracing::info!(target: "certgate::gateway", event = "reloaded", generation,
                closed_revoked = closed, "configuration reloaded");
            shared.observer.reload(generation, true);
            Ok(generation)
        }
        Err(e) => {
            tracing::error!(target: "certgate::gateway", event = "reload_refused",
                generation = old.generation, error = %e,
                "new configuration refused; the previous one keeps serving");
            shared.observer.reload(old.generation, false);
            Err(e)
        }
    }
}

/// Reloads a running gateway from another task.
#[derive(Clone)]
pub struct Reloader {
    shared: Arc<Shared>,
}

impl Reloader {
    pub(crate) fn new(shared: Arc<Shared>) -> Reloader {
        Reloader { shared }
    }

    /// Reloads from `source` once.
    pub fn reload(&self, source: &Source) -> Result<u64, ConfigError> {
        let config = match source {
            Source::File(p) => match Config::from_file(p) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(target: "certgate::gateway", event = "reload_refused", error = %e,
                        "new configuration refused; the previous one keeps serving");
                    self.shared
                        .observer
                        .reload(self.shared.loaded.load().generation, false);
                    return Err(e);
                }
            },
            Source::Current => self.shared.loaded.load().config.clone(),
        };
        apply(&self.shared, config)
    }

    /// Watches for SIGHUP (Unix) and for changes of the configuration file and every file it
    /// names (modification time and size, polled every `poll`), reloading on each. Runs until
    /// the returned task is aborted.
    pub fn watch(self, source: Source, poll: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            let mut seen = self.fingerprint(&source);
            let mut tick = tokio::time::interval(poll);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                #[cfg(unix)]
                let hup_fut = async {
                    match hup.as_mut() {
                        Some(h) => {
                            h.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                #[cfg(not(unix))]
                let hup_fut = std::future::pending::<()>();
                tokio::select! {
                    _ = hup_fut => {
                        tracing::info!(target: "certgate::gateway", event = "sighup", "SIGHUP: reloading");
                        let _ = self.reload(&source);
                        seen = self.fingerprint(&source);
                    }
                    _ = tick.tick() => {
                        let now = self.fingerprint(&source);
                        if now != seen {
                            seen = now;
                            tracing::info!(target: "certgate::gateway", event = "files_changed", "configuration files changed: reloading");
                            let _ = self.reload(&source);
                        }
                    }
                }
            }
        })
    }

    fn fingerprint(&self, source: &Source) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
        let mut files = self.shared.loaded.load().config.files();
        if let Source::File(p) = source {
            files.push(p.clone());
        }
        files
            .into_iter()
            .map(|p| {
                let m = std::fs::metadata(&p)
                    .ok()
                    .and_then(|m| Some((m.modified().ok()?, m.len())));
                (p, m)
            })
            .collect()
    }
}
