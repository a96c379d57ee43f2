//! Backups of the SQLite database with SQLite's online backup API (a consistent copy while
//! servers keep writing), restores, and what a restore to an older point must change.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`, or `pg_basebackup` and WAL archiving
//! for point-in-time recovery; docs/operations.md); [`after_restore`] applies to both.

use std::path::Path;
use std::time::Duration;

use crate::{Db, StorageError};

/// The pause between attempts while a writer holds a lock the backup needs.
const PAUSE: Duration = Duration::from_millis(5);

fn backup_error(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Backup(format!("{what}: {e}"))
}

/// Copies every page in one step, so that the whole copy reads one snapshot: in WAL mode a read
/// transaction does not block writers, and a copy in several steps would start over after each
/// write of another connection (and might never end under steady writes).
fn copy(source: &rusqlite::Connection, target: &mut rusqlite::Connection) -> rusqlite::Result<()> {
    let backup = rusqlite::backup::Backup::new(source, target)?;
    loop {
        match backup.step(-1)? {
            rusqlite::backup::StepResult::Done => return Ok(()),
            _ => std::thread::sleep(PAUSE),
        }
    }
}

/// Copies the SQLite database `database` to `out` (a new file, readable by its owner only)
/// while other connections keep using it. The copy is written beside `out` and renamed when
/// complete: a failed or interrupted backup leaves no file that looks like one.
pub async fn sqlite_backup(database: &Path, out: &Path) -> Result<(), StorageError> {
    let (database, out) = (database.to_path_buf(), out.to_path_buf());
    tokio::task::spawn_blocking(move || {
        if out.exists() {
            return Err(StorageError::Backup(format!("{} exists already", out.display())));
        }
        let mut partial = out.clone().into_os_string();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        create_private(&partial)?;
        let result = (|| {
            let source = rusqlite::Connection::open_with_flags(&database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| backup_error(&database.display().to_string(), e))?;
            let mut target =
                rusqlite::Connection::open(&partial).map_err(|e| backup_error(&out.display().to_string(), e))?;
            copy(&source, &mut target).map_err(|e| backup_error("online backup", e))?;
            // The copy is a complete database on its own: no WAL beside it.
            target.pragma_update(None, "journal_mode", "DELETE").map_err(|e| backup_error("backup file", e))?;
            drop(target);
            std::fs::rename(&partial, &out).map_err(|e| backup_error(&out.display().to_string(), e))
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        result
    })
    .await
    .map_err(|e| backup_error("backup task", e))?
}

/// Replaces the content of the SQLite database `database` with the backup `from`, after
/// checking that `from` is a santepki database this build can read (not an empty file, not
/// another program's database, not from a newer version). No server may be using the database
/// meanwhile; the copy is one transaction of the target.
pub async fn sqlite_restore(from: &Path, database: &Path) -> Result<(), StorageError> {
    let (from, database) = (from.to_path_buf(), database.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let name = from.display().to_string();
        let source = rusqlite::Connection::open_with_flags(&from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| backup_error(&name, e))?;
        let check: String = source
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| backup_error(&format!("{name}: not a SQLite database"), e))?;
        if check != "ok" {
            return Err(StorageError::Backup(format!("{name}: damaged ({check})")));
        }
        let version: Option<i64> = source
            .query_row(
                "SELECT MAX(version) FROM _sqlx_migrations WHERE success AND EXISTS \
                 (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ca_authorities')",
                [],
                |r| r.get(0),
            )
            .map_err(|_| StorageError::Backup(format!("{name}: not a santepki database")))?;
        match version {
            None => return Err(StorageError::Backup(format!("{name}: not a santepki database"))),
            Some(v) if v > crate::latest_migration() => {
                return Err(StorageError::Backup(format!(
                    "{name}: made by a newer santepki (schema {v}, this one knows {})",
                    crate::latest_migration()
                )))
            }
            Some(_) => {}
        }
        let mut target =
            rusqlite::Connection::open(&database).map_err(|e| backup_error(&database.display().to_string(), e))?;
        copy(&source, &mut target).map_err(|e| backup_error("restore", e))
    })
    .await
    .map_err(|e| backup_error("restore task", e))?
}

/// What a restore to an older point changes so that the CA never publishes twice under one
/// number: every CA's CRL counter jumps to the current Unix time in seconds (if lower), above any
/// number a counter incremented once per publication can have reached since the backup (the
/// caller then publishes new full CRLs). Serials need nothing: they are 16 random bytes, never a
/// counter. Returns the new counters, by CA.
pub async fn after_restore(db: &Db, actor: &str, from: &str) -> Result<Vec<(String, i64)>, StorageError> {
    // The database's clock, not the restoring machine's, and never below the clock of this
    // machine either: a slow clock on either side cannot bring a number back.
    let floor = crate::monitoring::database_now(db).await?.max(chrono::Utc::now().timestamp());
    let mut tx = db.begin_write().await?;
    sqlx::query("UPDATE ca_authorities SET crl_number = $1, crl_dirty = 1 WHERE crl_number < $1")
        .bind(floor)
        .execute(&mut *tx)
        .await?;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, crl_number FROM ca_authorities ORDER BY id").fetch_all(&mut *tx).await?;
    let event = crate::audit::AuditEvent::new(actor, "database.restored", "database")
        .after(&serde_json::json!({ "from": from, "crl_numbers": rows }));
    crate::audit::append(&mut *tx, &event).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Creates `path` empty, readable and writable by its owner only, whatever the umask.
fn create_private(path: &Path) -> Result<(), StorageError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| backup_error(&path.display().to_string(), e))?;
    Ok(())
}
