//! `santepki serve`: the platform's listeners, from the configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use santepki_http::{router, AppState};
use santepki_storage::Db;

use crate::config::Loaded;

#[derive(Args)]
pub struct ServeArgs {}

pub async fn run(_args: ServeArgs, config: Option<PathBuf>) -> Result<ExitCode> {
    let (loaded, db) = super::open(config).await?;
    let running = start(&loaded, db).await?;
    eprintln!("santepki listening: HTTP {}, LDAP {}", running.http_url, running.ldap_url);
    shutdown_signal().await;
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// The servers of a running platform.
pub struct Running {
    pub http_url: String,
    /// `ldap://<bound address>` of the CPS directory (R44).
    pub ldap_url: String,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    ldap: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.http.await;
        let _ = self.ldap.await;
    }
}

/// Binds every listener (failing clearly if an address is taken) and serves in the background.
pub async fn start(loaded: &Loaded, db: Db) -> Result<Running> {
    let cfg = &loaded.config;
    // Indexes an interrupted bulk import left dropped are rebuilt before serving.
    santepki_storage::directory::ensure_indexes(&db).await.context("checking the directory indexes")?;
    let authority = super::ca::load(loaded, &db).await.context("loading the CA (ca.* settings)")?;
    if let Some(ca) = &authority {
        let grace = chrono::Duration::seconds(i64::from(cfg.ca.pending_grace_seconds));
        let n = ca.resolve_pending(grace, "serve").await.context("settling pending issuances")?;
        if n > 0 {
            eprintln!("settled {n} issuance(s) left pending by a stopped process");
        }
    }
    let state = AppState::new(db.clone(), cfg.directory.identifiers).with_authority(authority.clone());
    let listener = tokio::net::TcpListener::bind(&cfg.http.listen)
        .await
        .with_context(|| format!("cannot listen on {} (http.listen): is another santepki running?", cfg.http.listen))?;
    // The bound address, so that port 0 (any free port, as tests use) is reported correctly.
    let local = listener.local_addr()?;
    let http_url = cfg.http.public_url.clone().unwrap_or_else(|| format!("http://{local}"));
    let ldap_listener = tokio::net::TcpListener::bind(&cfg.ldap.listen)
        .await
        .with_context(|| format!("cannot listen on {} (ldap.listen): is another santepki or LDAP server running?", cfg.ldap.listen))?;
    let ldap_url = format!("ldap://{}", ldap_listener.local_addr()?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopped_signal = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    if let Some(ca) = authority {
        tokio::spawn(ca_jobs(ca, cfg.ca.pending_grace_seconds, stopped.clone()));
    }
    let http = tokio::spawn(santepki_http::serve(listener, router(state), stopped_signal(stopped.clone())));
    let ldap = tokio::spawn(santepki_ldap::serve(ldap_listener, db, santepki_ldap::LdapOptions::default(), stopped_signal(stopped)));
    Ok(Running { http_url, ldap_url, http, ldap, stop })
}

/// The CA's time-based jobs. Each is safe on every node at once (CRL numbers are taken
/// atomically, OCSP responses are stored conditionally, pending rows settle once), so every node
/// runs them and none is special.
async fn ca_jobs(ca: santepki_authority::Authority, grace_seconds: u32, mut stop: tokio::sync::watch::Receiver<bool>) {
    const TICK: std::time::Duration = std::time::Duration::from_secs(30);
    loop {
        if let Err(e) = ca.publish_due_crls("scheduler").await {
            tracing::error!(error = %e, "CRL publication failed");
        }
        if let Err(e) = ca.refresh_ocsp(1000).await {
            tracing::error!(error = %e, "OCSP pre-signing failed");
        }
        if let Err(e) = ca.resolve_pending(chrono::Duration::seconds(i64::from(grace_seconds)), "scheduler").await {
            tracing::error!(error = %e, "settling pending issuances failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
