//! `santepki backup` and `santepki restore`: a consistent copy of the database while servers run,
//! and its restore with what a restore to an older point must change (docs/operations.md).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use clap::Args;
use santepki_storage::{backup, redact_url, Backend, Db};

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

pub async fn backup(args: BackupArgs, config_file: Option<PathBuf>) -> Result<ExitCode> {
    let (loaded, db) = super::open(config_file).await?;
    if args.out.exists() {
        bail!("--out: {} exists already", args.out.display());
    }
    match db.backend() {
        Backend::Sqlite => {
            let file = db.sqlite_file().context("an in-memory SQLite database has nothing to back up")?;
            backup::sqlite_backup(file, &args.out).await?;
        }
        Backend::Postgres => {
            create_private(&args.out)?;
            let url = loaded.database_url();
            let mut c = Command::new("pg_dump");
            c.args(["--format=custom", "--no-owner", "--file"]).arg(&args.out).arg(format!("--dbname={url}"));
            if let Err(e) = run_tool(c, "pg_dump") {
                let _ = std::fs::remove_file(&args.out);
                return Err(e);
            }
        }
    }
    db.close().await;
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
        let mut c = Command::new("pg_restore");
        c.args(["--clean", "--if-exists", "--no-owner", "--single-transaction"])
            .arg(format!("--dbname={url}"))
            .arg(&from);
        run_tool(c, "pg_restore").with_context(|| format!("restoring {} into {}", from.display(), redact_url(&url)))?;
    } else {
        let db = Db::connect(&url).await.with_context(|| format!("opening the database {}", redact_url(&url)))?;
        let file = db.sqlite_file().context("an in-memory SQLite database cannot be restored into")?.to_path_buf();
        db.close().await;
        backup::sqlite_restore(&from, &file).await?;
    }
    // Migrations bring an older backup up to date; then the CRL counters move past anything
    // published after the backup.
    let db = Db::connect(&url).await.with_context(|| format!("opening the database {}", redact_url(&url)))?;
    let counters = backup::after_restore(&db, &super::ca::actor(), &from.display().to_string()).await?;
    db.close().await;
    if args.after_recovery {
        eprintln!("completed the recovery");
    } else {
        eprintln!("restored {}", from.display());
    }
    for (ca, n) in counters {
        eprintln!("  {ca}: the next CRL number is above {n}");
    }
    Ok(ExitCode::SUCCESS)
}
