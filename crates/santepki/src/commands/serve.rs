//! `santepki serve`: the platform's listeners, from the configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use santepki_http::{router, AppState};
use santepki_registration::{MailSettings, MailTransport, Registration};
use santepki_storage::Db;

use crate::config::Loaded;

#[derive(Args)]
pub struct ServeArgs {}

pub async fn run(_args: ServeArgs, config: Option<PathBuf>) -> Result<ExitCode> {
    let (loaded, db) = super::open(config).await?;
    let running = start(&loaded, db).await?;
    match &running.portal_url {
        Some(portal) => eprintln!(
            "santepki listening: HTTP {}, HTTPS (cards) {portal}, LDAP {}",
            running.http_url, running.ldap_url
        ),
        None => eprintln!(
            "santepki listening: HTTP {}, LDAP {} (no HTTPS: the CA is not initialised)",
            running.http_url, running.ldap_url
        ),
    }
    shutdown_signal().await;
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// The servers of a running platform.
pub struct Running {
    pub http_url: String,
    /// `ldap://<bound address>` of the CPS directory (R44).
    pub ldap_url: String,
    /// `https://<bound address>` of the card-authenticated API, when the CA is initialised.
    pub portal_url: Option<String>,
    http: tokio::task::JoinHandle<std::io::Result<()>>,
    https: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    ldap: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.http.await;
        if let Some(h) = self.https {
            let _ = h.await;
        }
        let _ = self.ldap.await;
    }
}

/// Binds every listener (failing clearly if an address is taken) and serves in the background.
pub async fn start(loaded: &Loaded, db: Db) -> Result<Running> {
    let cfg = &loaded.config;
    // Runs a killed import left `running` are marked abandoned, and indexes an interrupted bulk
    // import left dropped are rebuilt before serving (and on every tick of directory_job).
    santepki_directory::runs::recover(&db, "serve")
        .await
        .context("checking the directory's import runs and indexes")?;
    let authority = super::ca::load(loaded, &db).await.context("loading the CA (ca.* settings)")?;
    let registration = authority
        .as_ref()
        .map(|ca| Registration::new(db.clone(), cfg.directory.identifiers, Some(ca.clone()), mail_settings(loaded)));
    let verify = santepki_http::verify::VerifyService::new(loaded.verify_anchors()?, cfg.verify.fetch)
        .context("verify.anchors")?;
    let state = AppState::new(db.clone(), cfg.directory.identifiers)
        .with_authority(authority.clone())
        .with_registration(registration.clone())
        .with_verify(verify);
    let listener = tokio::net::TcpListener::bind(&cfg.http.listen)
        .await
        .with_context(|| format!("cannot listen on {} (http.listen): is another santepki running?", cfg.http.listen))?;
    // The bound address, so that port 0 (any free port, as tests use) is reported correctly.
    let local = listener.local_addr()?;
    let http_url = cfg.http.public_url.clone().unwrap_or_else(|| format!("http://{local}"));
    let ldap_listener = tokio::net::TcpListener::bind(&cfg.ldap.listen).await.with_context(|| {
        format!("cannot listen on {} (ldap.listen): is another santepki or LDAP server running?", cfg.ldap.listen)
    })?;
    let ldap_url = format!("ldap://{}", ldap_listener.local_addr()?);
    // This node's name in audit events and leases (no other live process listens on this
    // address of this host).
    let node = format!("{}/{local}", host_name());
    santepki_storage::audit::context::set_node(node.clone());
    if let Some(ca) = &authority {
        // This process holds the node now (no other live process can listen on this address of
        // this host): what an earlier process of the node left pending is settled at once
        // (issue 15, point 11), the rest after the grace period; then products and certificates
        // are made to agree (points 9 and 10).
        ca.claim_node(node.clone());
        let grace = chrono::Duration::seconds(i64::from(cfg.ca.pending_grace_seconds));
        let n = ca.resolve_pending(grace, "serve").await.context("settling pending issuances")?;
        if n > 0 {
            eprintln!("settled {n} issuance(s) left pending by a stopped process");
        }
    }
    if let Some(reg) = &registration {
        let recovered = reg.recover_orders("serve", false).await.context("reconciling products and certificates")?;
        if !recovered.is_empty() {
            eprintln!("recovery: {recovered:?}");
        }
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let stopped_signal = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let mut https = None;
    let mut portal_url = None;
    if let Some(ca) = &authority {
        let (cert, key) =
            server_certificate(loaded).context("the HTTPS server certificate (portal.cert, portal.key)")?;
        let card_cas = match &cfg.portal.card_cas {
            Some(f) => {
                std::fs::read(loaded.base_dir().join(f)).with_context(|| format!("reading portal.card_cas {f}"))?
            }
            None => ca.bundle_pem().into_bytes(),
        };
        let tls = santepki_http::tls::server_config(cert.as_bytes(), key.as_bytes(), &card_cas)
            .context("the HTTPS listener's TLS settings")?;
        let tls_listener = tokio::net::TcpListener::bind(&cfg.portal.listen).await.with_context(|| {
            format!("cannot listen on {} (portal.listen): is another santepki running?", cfg.portal.listen)
        })?;
        let local = tls_listener.local_addr()?;
        portal_url = Some(cfg.portal.public_url.clone().unwrap_or_else(|| format!("https://{local}")));
        https = Some(tokio::spawn(santepki_http::tls::serve_tls(
            tls_listener,
            tls,
            router(state.clone()),
            stopped_signal(stopped.clone()),
        )));
        tokio::spawn(ca_jobs(
            ca.clone(),
            registration.clone(),
            node.clone(),
            cfg.ca.pending_grace_seconds,
            stopped.clone(),
        ));
        // The audit log lives with the CA: its key is held like the CA keys.
        let log = super::audit::open_log(loaded, &db, "serve").await?;
        let every = std::time::Duration::from_secs(u64::from(cfg.audit.checkpoint_seconds.clamp(1, 60)));
        tokio::spawn(super::audit::sequencer_job(log, node.clone(), every, stopped.clone()));
    }
    tokio::spawn(directory_job(db.clone(), stopped.clone()));
    if let Some(reg) = &registration {
        tokio::spawn(mail_job(reg.clone(), node.clone(), cfg.mail.expiry_notice_days, stopped.clone()));
    }
    let http = tokio::spawn(santepki_http::serve(listener, router(state), stopped_signal(stopped.clone())));
    let ldap = tokio::spawn(santepki_ldap::serve(
        ldap_listener,
        // LDAP only reads: the standbys when `database.read_url` is set.
        db.for_reads(),
        santepki_ldap::LdapOptions::default(),
        stopped_signal(stopped),
    ));
    Ok(Running { http_url, ldap_url, portal_url, http, https, ldap, stop })
}

/// This host's name, for the node a serving process claims (`/proc/sys/kernel/hostname` on
/// Linux, else `/etc/hostname`, else `localhost`).
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|f| std::fs::read_to_string(f).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "localhost".into())
}

/// Mail settings from the configuration (`mail.*`).
pub fn mail_settings(loaded: &Loaded) -> MailSettings {
    let m = &loaded.config.mail;
    let transport = match m.transport.as_str() {
        "smtp" => MailTransport::Smtp { host: m.smtp_host.clone(), port: m.smtp_port },
        "folder" => MailTransport::Folder(loaded.base_dir().join(&m.outbox_dir)),
        _ => MailTransport::Disabled,
    };
    MailSettings { from: m.from.clone(), transport, agency: m.agency.clone() }
}

/// The HTTPS server certificate: the configured files, or a self-signed one made once in
/// `tls/` beside the configuration (demo and tests).
fn server_certificate(loaded: &Loaded) -> Result<(String, String)> {
    let p = &loaded.config.portal;
    let base = loaded.base_dir();
    if let (Some(c), Some(k)) = (&p.cert, &p.key) {
        let cert = std::fs::read_to_string(base.join(c)).with_context(|| format!("reading portal.cert {c}"))?;
        let key = std::fs::read_to_string(base.join(k)).with_context(|| format!("reading portal.key {k}"))?;
        return Ok((cert, key));
    }
    let dir = base.join("tls");
    let (cert_file, key_file) = (dir.join("server.crt.pem"), dir.join("server.key.pem"));
    if let (Ok(cert), Ok(key)) = (std::fs::read_to_string(&cert_file), std::fs::read_to_string(&key_file)) {
        return Ok((cert, key));
    }
    let (cert, key) = santepki_http::tls::self_signed(&["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    super::create_private_dir(&dir)?;
    super::ca::write_file(&key_file, key.as_bytes(), true)?;
    super::ca::write_file(&cert_file, cert.as_bytes(), false)?;
    Ok((cert, key))
}

/// Marks import runs whose process died and, once no import is live, rebuilds the indexes a
/// killed first load dropped: a serving node does not stay slow until it restarts. Reads only the
/// catalog and `import_runs` when there is nothing to do.
async fn directory_job(db: Db, mut stop: tokio::sync::watch::Receiver<bool>) {
    const TICK: std::time::Duration = std::time::Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(e) = santepki_directory::runs::recover(&db, "scheduler").await {
            tracing::error!(error = %e, "directory import runs and indexes check failed");
        }
    }
}

/// Runs `round` on this node while it holds the lease `name`, every `tick`; a node that does
/// not hold it asks again every [`LEASE_POLL`], so a crashed holder's job is taken over within
/// its lease period and one poll. A clean stop gives the lease up at once.
async fn leased_job<F, Fut>(
    db: Db,
    name: &'static str,
    node: String,
    lease_seconds: i64,
    tick: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
    mut round: F,
) where
    F: FnMut(santepki_storage::leases::Lease) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut held = None;
    loop {
        let wait = match santepki_storage::leases::try_acquire(&db, name, &node, lease_seconds).await {
            Ok(Some(lease)) => {
                if held.as_ref() != Some(&lease) {
                    tracing::info!(lease = name, fence = lease.fence, "this node now runs the job");
                }
                held = Some(lease.clone());
                round(lease).await;
                tick
            }
            Ok(None) => {
                held = None;
                LEASE_POLL
            }
            Err(e) => {
                tracing::error!(lease = name, error = %e, "cannot take or renew the job's lease");
                LEASE_POLL
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    if let Some(lease) = held {
        if let Err(e) = santepki_storage::leases::release(&db, &lease).await {
            tracing::warn!(lease = name, error = %e, "could not give the job's lease up");
        }
    }
}

/// How often a node that does not run a leased job checks whether its holder is gone.
const LEASE_POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// Queues the expiry notices due (R35) and delivers queued mail, on the node that holds the
/// `mail` lease. Each notice and each mail is also claimed before it is queued or sent, so a
/// holder that lost its lease mid-round sends nothing twice.
async fn mail_job(reg: Registration, node: String, expiry_days: u32, stop: tokio::sync::watch::Receiver<bool>) {
    let db = reg.db().clone();
    let reg = &reg;
    leased_job(db, "mail", node, 30, std::time::Duration::from_secs(2), stop, |_lease| async move {
        if let Err(e) = reg.orders().send_expiry_notices(expiry_days).await {
            tracing::error!(error = %e, "expiry notices failed");
        }
        if let Err(e) = reg.deliver_mail().await {
            tracing::error!(error = %e, "mail delivery round failed");
        }
    })
    .await;
}

/// The CA's time-based jobs, on the node that holds the `ca-jobs` lease: CRL publication and
/// OCSP pre-signing store their results only while the lease is held under the same fencing
/// number, so a node that lost it mid-job (paused, partitioned) publishes nothing late; CRL
/// numbers are taken atomically besides. Settling pending issuances and reconciling products
/// are safe on any node (each row settles once).
async fn ca_jobs(
    ca: santepki_authority::Authority,
    registration: Option<Registration>,
    node: String,
    grace_seconds: u32,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let db = ca.db().clone();
    let (ca, registration) = (&ca, &registration);
    leased_job(db, "ca-jobs", node, 60, std::time::Duration::from_secs(30), stop, |lease| async move {
        if let Err(e) = ca.publish_due_crls_leased("scheduler", &lease).await {
            tracing::error!(error = %e, "CRL publication failed");
        }
        if let Err(e) = ca.refresh_ocsp_leased(1000, &lease).await {
            tracing::error!(error = %e, "OCSP pre-signing failed");
        }
        if let Err(e) = ca.resolve_pending(chrono::Duration::seconds(i64::from(grace_seconds)), "scheduler").await {
            tracing::error!(error = %e, "settling pending issuances failed");
        }
        if let Some(reg) = registration {
            if let Err(e) = reg.recover_orders("scheduler", true).await {
                tracing::error!(error = %e, "reconciling products and certificates failed");
            }
        }
    })
    .await;
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
