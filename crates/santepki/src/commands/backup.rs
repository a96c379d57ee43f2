//! `santepki backup` and `santepki restore`: a consistent copy of the database while servers run,
//! and its restore with what a restore to an older point must change (docs/operations.md).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use clap::Args;
use santepki_storage::{backup, redact_url, Db};

use crate::config;

#[derive(Args)]
pub struct BackupArgs {
    /// The backup file to write (new; readable by its owner only): a SQLite database, or a
    /// `pg_dump` custom-format archive for PostgreSQL.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// The backup file (from `santepki backup`).
    #[arg(long, value_name = "FILE", required_unless_present = "after_recovery")]
    from: Option<PathBuf>,
    /// Only what must follow any restore to an older point, after PostgreSQL's own recovery
    /// (pg_basebackup, point-in-time recovery): the CRL counters move past anything published.
    #[arg(long, conflicts_with = "from")]
    after_recovery: bool,
    /// Confirm: the database's current content is replaced. Stop every server using it first.
    #[arg(long)]
    yes: bool,
}

/// Writes an empty file only its owner can read, for a tool to fill.
fn create_private(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).with_context(|| format!("--out: creating {}", path.display()))?;
    Ok(())
}

fn run_tool(mut c: Command, tool: &str) -> Result<()> {
    let out = c.output().with_context(|| format!("running {tool} (Debian package postgresql-client)"))?;
    if !out.status.success() {
        bail!("{tool} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

/// A PostgreSQL tool for the database `url`, its password passed in `PGPASSWORD` rather than on
/// the command line (where every local user can read it).
fn pg_tool(tool: &str, url: &str) -> Command {
    let mut c = Command::new(tool);
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let url = match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, password)) => {
                c.env("PGPASSWORD", password);
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_owned(),
        },
        None => url.to_owned(),
    };
    c.arg(format!("--dbname={url}"));
    c
}

pub async fn backup(args: BackupArgs, config_file: Option<PathBuf>) -> Result<ExitCode> {
    let loaded = config::load(config::discover(config_file.as_deref()))?;
    let url = loaded.database_url();
    if args.out.exists() {
        bail!("--out: {} exists already", args.out.display());
    }
    if url.starts_with("postgres") {
        create_private(&args.out)?;
        let mut c = pg_tool("pg_dump", &url);
        c.args(["--format=custom", "--no-owner", "--file"]).arg(&args.out);
        if let Err(e) = run_tool(c, "pg_dump") {
            let _ = std::fs::remove_file(&args.out);
            return Err(e);
        }
    } else {
        let file = santepki_storage::sqlite_path(&url)
            .context("database.url: an in-memory SQLite database has nothing to back up")?;
        backup::sqlite_backup(&file, &args.out).await.with_context(|| format!("--out {}", args.out.display()))?;
    }
    eprintln!("backed up to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(args: RestoreArgs, config_file: Option<PathBuf>) -> Result<ExitCode> {
    if !args.yes {
        bail!("--yes: restoring replaces the database's content; stop every server using it, then add --yes");
    }
    let loaded = config::load(config::discover(config_file.as_deref()))?;
    let url = loaded.database_url();
    let from = match &args.from {
        Some(f) if !f.is_file() => bail!("--from: {} is not a file", f.display()),
        Some(f) => f.clone(),
        None => PathBuf::from("(recovery)"),
    };
    if args.after_recovery {
        // The data is already there: PostgreSQL's recovery brought it back.
    } else if url.starts_with("postgres") {
        let mut c = pg_tool("pg_restore", &url);
        c.args(["--clean", "--if-exists", "--no-owner", "--single-transaction"]).arg(&from);
        run_tool(c, "pg_restore")
            .with_context(|| format!("--from {}: restoring into {}", from.display(), redact_url(&url)))?;
    } else {
        // The path from the URL: the current database may be too damaged to open.
        let file = santepki_storage::sqlite_path(&url)
            .context("database.url: an in-memory SQLite database cannot be restored into")?;
        backup::sqlite_restore(&from, &file).await.with_context(|| format!("--from {}", from.display()))?;
    }
    finish_restore(&loaded, &url, &from, args.after_recovery).await.context(
        "the data is back but the restore is not complete: run `santepki restore --after-recovery --yes` before \
         starting any server, or the CA could publish CRL numbers again",
    )?;
    Ok(ExitCode::SUCCESS)
}

/// After the data is back: migrations (an older backup), the CRL counters past anything
/// published since the backup, then new full and delta CRLs for every CA so that relying parties
/// at once see a number above those they fetched.
async fn finish_restore(loaded: &config::Loaded, url: &str, from: &Path, after_recovery: bool) -> Result<()> {
    let db = Db::connect(url).await.with_context(|| format!("opening the database {}", redact_url(url)))?;
    let actor = super::ca::actor();
    backup::after_restore(&db, &actor, &from.display().to_string()).await?;
    if let Some(ca) = super::ca::load(loaded, &db).await.context("loading the CA to publish new CRLs")? {
        for c in ca.cas().to_vec() {
            for kind in [santepki_authority::crl::CrlKind::Full, santepki_authority::crl::CrlKind::Delta] {
                let p = ca.publish_crl(&c.id, kind, &actor).await?;
                eprintln!("  {}: {} CRL number {}", p.ca_id, p.kind.as_str(), p.number);
            }
        }
    }
    db.close().await;
    if after_recovery {
        eprintln!("completed the recovery");
    } else {
        eprintln!("restored {}", from.display());
    }
    Ok(())
}
