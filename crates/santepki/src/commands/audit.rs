//! `santepki audit`: the tamper-evident audit log (sequence, verify, prove, show).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use santepki_audit::verify::{self, Signed};
use santepki_audit::{prove, AuditLog, Sequencer};
use santepki_storage::audit::{self, EventFilter};
use santepki_storage::Db;

use super::ca::EXIT_REFUSED;
use crate::config::Loaded;

/// Exit status of `audit verify` when the log does not verify, and of `audit check-proof` when
/// the proof does not check.
pub const EXIT_TAMPERED: u8 = 4;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Print the log's origin and verifier key (C2SP `<name>+<id>+<key>`), to pin once.
    Key,
    /// Sequence every committed event now and sign a checkpoint (servers do it on their own
    /// every second; this is for maintenance and scripts).
    Sequence,
    /// Recompute the tree from the events and check every checkpoint; exit 4 naming the first
    /// thing that does not hold.
    Verify(VerifyArgs),
    /// Print the inclusion proof of an event in the latest checkpoint (JSON, checkable offline
    /// with `audit check-proof` or scripts/audit_check_proof.py).
    Prove(ProveArgs),
    /// Check an inclusion proof offline, with the verifier key only.
    CheckProof(CheckProofArgs),
    /// Print the latest signed checkpoint (what a mirror saves to detect a rollback later).
    Checkpoint,
    /// List events (oldest first) by actor, subject, what they mention, action and time.
    Show(ShowArgs),
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Trust this verifier key (text, or a file holding it) instead of the key in custody.
    #[arg(long, value_name = "KEY|FILE")]
    verifier_key: Option<String>,
    /// A checkpoint saved earlier outside the database (repeat for more): a rollback of the
    /// database shows as a fork against it.
    #[arg(long, value_name = "FILE")]
    known: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ProveArgs {
    /// The event id.
    event_id: String,
}

#[derive(Args)]
pub struct CheckProofArgs {
    /// The proof (JSON from `audit prove`).
    proof: PathBuf,
    /// The verifier key (text, or a file holding it); default: the log's key in custody.
    #[arg(long, value_name = "KEY|FILE")]
    verifier_key: Option<String>,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Events by this actor (`card:<number>`, `cli:<user>`…).
    #[arg(long)]
    actor: Option<String>,
    /// Events about this subject (`product:<id>`), or about every subject of a kind (`product:`).
    #[arg(long)]
    subject: Option<String>,
    /// Events that mention this text: a structure's identifier, a serial, a card number.
    #[arg(long, value_name = "TEXT")]
    structure: Option<String>,
    /// Events of this action (`form413.signed`), or under it (`form413.`).
    #[arg(long)]
    action: Option<String>,
    /// From this time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Before this time (RFC 3339).
    #[arg(long)]
    until: Option<String>,
    /// At most this many (the newest).
    #[arg(long, default_value_t = 200)]
    limit: i64,
    /// One JSON object per line.
    #[arg(long)]
    json: bool,
}

/// The log's origin when it is created: configured, else the CA's published host.
async fn default_origin(loaded: &Loaded, db: &Db) -> Result<String> {
    if let Some(o) = &loaded.config.audit.origin {
        return Ok(o.clone());
    }
    let url = match super::ca::load(loaded, db).await? {
        Some(ca) => ca.settings().public_url.clone(),
        None => loaded.config.http.public_url.clone().unwrap_or_else(|| loaded.config.http.listen.clone()),
    };
    Ok(origin_from_url(&url))
}

/// `http://pki.example.fr:8080/x` → `pki.example.fr:8080/audit`.
pub fn origin_from_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap_or_default();
    let host: String = host.chars().filter(|c| !c.is_whitespace() && *c != '+').collect();
    if host.is_empty() {
        "santepki/audit".into()
    } else {
        format!("{host}/audit")
    }
}

/// Opens the audit log, creating it (and its key) on first use.
pub async fn open_log(loaded: &Loaded, db: &Db, actor: &str) -> Result<AuditLog> {
    let custody = super::ca::custody(loaded)?;
    let origin = default_origin(loaded, db).await?;
    AuditLog::open_or_create(db, custody.as_ref(), &origin, actor).await.context("opening the audit log")
}

/// The sequencer of a serving node: one round a second; the lease makes one node at a time work.
pub async fn sequencer_job(log: AuditLog, node: String, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    const TICK: Duration = Duration::from_secs(1);
    let sequencer = Sequencer::new(log, node, every);
    loop {
        if let Err(e) = sequencer.round(false).await {
            tracing::error!(error = %e, "audit sequencing failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

fn key_text(arg: &str) -> Result<String> {
    // A key's base64 may hold '+' and '/': it is a file only if one exists by that name.
    let path = Path::new(arg);
    if !path.is_file() {
        return Ok(arg.trim().to_owned());
    }
    Ok(std::fs::read_to_string(path).with_context(|| format!("--verifier-key: reading {arg}"))?.trim().to_owned())
}

pub async fn run(cmd: AuditCommand, config: Option<PathBuf>) -> Result<ExitCode> {
    let (loaded, db) = super::open(config).await?;
    let actor = super::ca::actor();
    santepki_storage::audit::context::set_node(format!("cli@{}", super::serve::host_name()));
    match cmd {
        AuditCommand::Key => {
            let log = open_log(&loaded, &db, &actor).await?;
            eprintln!("origin {}", log.origin());
            println!("{}", log.verifier_key());
        }
        AuditCommand::Sequence => {
            let log = open_log(&loaded, &db, &actor).await?;
            let node = format!("cli@{}/{}", super::serve::host_name(), std::process::id());
            let round = Sequencer::new(log, node, Duration::ZERO).round(true).await?;
            if !round.leader {
                eprintln!("another node holds the sequencer lease: it sequences within seconds");
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
            eprintln!(
                "sequenced {} event(s); tree size {}; {}",
                round.sequenced,
                round.tree_size,
                match round.checkpoint {
                    Some(n) => format!("signed the checkpoint of size {n}"),
                    None => "the latest checkpoint is current".into(),
                }
            );
        }
        AuditCommand::Verify(args) => {
            let custody = super::ca::custody(&loaded)?;
            let Some(log) = AuditLog::open(&db, custody.as_ref()).await? else {
                bail!("the audit log does not exist yet: start `santepki serve` or run `santepki audit sequence`");
            };
            let vkey = match &args.verifier_key {
                Some(k) => key_text(k)?,
                None => log.verifier_key().to_owned(),
            };
            let mut saved = Vec::new();
            for f in &args.known {
                let note = std::fs::read_to_string(f).with_context(|| format!("--known: reading {}", f.display()))?;
                saved.push(Signed { source: f.display().to_string(), note });
            }
            let started = std::time::Instant::now();
            let report = verify::verify(&db, log.origin(), &vkey, &saved).await?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "ok": report.ok(),
                        "leaves": report.leaves,
                        "checkpoints": report.checkpoints,
                        "latest_signed": report.latest_signed,
                        "unsequenced": report.unsequenced,
                        "findings": report.findings.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
                    })
                );
            }
            if !report.ok() {
                for f in &report.findings {
                    eprintln!("audit log: {f}");
                }
                return Ok(ExitCode::from(EXIT_TAMPERED));
            }
            eprintln!(
                "audit log verified: {} leaves recomputed, {} checkpoint(s) checked (latest signed size {}), {} event(s) awaiting sequencing, in {:.1} s",
                report.leaves,
                report.checkpoints,
                report.latest_signed.map_or("none".into(), |n| n.to_string()),
                report.unsequenced,
                started.elapsed().as_secs_f64()
            );
        }
        AuditCommand::Prove(args) => {
            let proof = prove::prove(&db, &args.event_id).await?;
            println!("{}", serde_json::to_string_pretty(&proof)?);
        }
        AuditCommand::CheckProof(args) => {
            let text = std::fs::read_to_string(&args.proof)
                .with_context(|| format!("reading the proof {}", args.proof.display()))?;
            let proof: prove::InclusionProof =
                serde_json::from_str(&text).with_context(|| format!("{} is not a proof", args.proof.display()))?;
            let vkey = match &args.verifier_key {
                Some(k) => key_text(k)?,
                None => {
                    let custody = super::ca::custody(&loaded)?;
                    let Some(log) = AuditLog::open(&db, custody.as_ref()).await? else {
                        bail!("the audit log does not exist: give --verifier-key");
                    };
                    log.verifier_key().to_owned()
                }
            };
            if let Err(e) = prove::check(&proof, &vkey) {
                eprintln!("audit proof: {e}");
                return Ok(ExitCode::from(EXIT_TAMPERED));
            }
            eprintln!(
                "event {} is leaf {} of the signed tree of size {}",
                proof.event_id, proof.leaf_index, proof.tree_size
            );
        }
        AuditCommand::Checkpoint => match santepki_storage::audit::log::latest_checkpoint(db.pool()).await? {
            Some(c) => print!("{}", c.note),
            None => bail!("no checkpoint signed yet"),
        },
        AuditCommand::Show(args) => {
            let time = |name: &str, v: &Option<String>| -> Result<Option<String>> {
                v.as_ref()
                    .map(|v| {
                        santepki_storage::time::parse(v)
                            .map(santepki_storage::time::format)
                            .with_context(|| format!("--{name}: {v:?} is not an RFC 3339 time"))
                    })
                    .transpose()
            };
            let filter = EventFilter {
                since: time("since", &args.since)?,
                until: time("until", &args.until)?,
                actor: args.actor,
                subject: args.subject,
                mentions: args.structure,
                action: args.action,
                limit: args.limit,
            };
            for e in audit::search(db.pool(), &filter).await? {
                if args.json {
                    println!("{}", serde_json::to_string(&e)?);
                } else {
                    println!(
                        "{}  {:<24} {:<28} {}  [{}{}]",
                        e.at,
                        e.actor,
                        e.action,
                        e.subject,
                        e.leaf_index.map_or("unsequenced".into(), |n| format!("leaf {n}")),
                        e.request_id.map(|r| format!(", request {r}")).unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
