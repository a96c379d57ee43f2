//! Backups of the SQLite database with SQLite's online backup API (a consistent copy while
//! servers keep writing), restores, and what a restore to an older point must change.
//!
//! PostgreSQL is backed up with its own tools (`pg_dump`, or `pg_basebackup` and WAL archiving
//! for point-in-time recovery; docs/operations.md); [`after_restore`] applies to both.

use std::path::Path;
use std::time::Duration;

use crate::{Db, StorageError};

/// Pages copied per step of the online backup, and the pause between steps that lets writers in.
const PAGES_PER_STEP: i32 = 1024;
const PAUSE: Duration = Duration::from_millis(5);

fn backup_error(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Backup(format!("{what}: {e}"))
}

/// Copies the SQLite database `database` to `out` (created, readable by its owner only) while
/// other connections keep using it.
pub async fn sqlite_backup(database: &Path, out: &Path) -> Result<(), StorageError> {
    let (database, out) = (database.to_path_buf(), out.to_path_buf());
    tokio::task::spawn_blocking(move || {
        if out.exists() {
            return Err(StorageError::Backup(format!("{} exists already", out.display())));
        }
        create_private(&out)?;
        let source = rusqlite::Connection::open_with_flags(&database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| backup_error(&database.display().to_string(), e))?;
        let mut target = rusqlite::Connection::open(&out).map_err(|e| backup_error(&out.display().to_string(), e))?;
        rusqlite::backup::Backup::new(&source, &mut target)
            .and_then(|b| b.run_to_completion(PAGES_PER_STEP, PAUSE, None))
            .map_err(|e| backup_error("online backup", e))?;
        // The copy is a complete database on its own: no WAL beside it.
        target.pragma_update(None, "journal_mode", "DELETE").map_err(|e| backup_error("backup file", e))?;
        Ok(())
    })
    .await
    .map_err(|e| backup_error("backup task", e))?
}

/// Replaces the content of the SQLite database `database` with the backup `from`. No server may
/// be using the database meanwhile.
pub async fn sqlite_restore(from: &Path, database: &Path) -> Result<(), StorageError> {
    let (from, database) = (from.to_path_buf(), database.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let source = rusqlite::Connection::open_with_flags(&from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| backup_error(&from.display().to_string(), e))?;
        let check: String = source
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| backup_error(&format!("{}: not a SQLite database", from.display()), e))?;
        if check != "ok" {
            return Err(StorageError::Backup(format!("{}: damaged ({check})", from.display())));
        }
        let mut target =
            rusqlite::Connection::open(&database).map_err(|e| backup_error(&database.display().to_string(), e))?;
        rusqlite::backup::Backup::new(&source, &mut target)
            .and_then(|b| b.run_to_completion(PAGES_PER_STEP, PAUSE, None))
            .map_err(|e| backup_error("restore", e))?;
        Ok(())
    })
    .await
    .map_err(|e| backup_error("restore task", e))?
}

/// What a restore to an older point changes so that the CA never publishes twice under one
/// number: every CA's CRL counter jumps to the current Unix time in seconds (if lower), above any
/// number a counter incremented once per publication can have reached since the backup, and
/// every CA publishes new CRLs at once. Serials need nothing: they are 16 random bytes, never a
/// counter. Returns the new counters, by CA.
pub async fn after_restore(db: &Db, actor: &str, from: &str) -> Result<Vec<(String, i64)>, StorageError> {
    let floor = chrono::Utc::now().timestamp();
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
