//! The LDAP server's own connections to a SQLite file, read synchronously on the task that
//! serves the request.
//!
//! sqlx-sqlite runs each query on a worker thread and sends every row back over a channel: two
//! queries of three rows cost about ten thread wake-ups, more than the queries themselves (see
//! docs/benchmarks.md). These reads are point and range look-ups in the page cache, tens of
//! microseconds, so running them inline does not starve the runtime. Each connection reads from
//! one WAL snapshot for at most [`SNAPSHOT_AGE`], so a commit is visible that long after at most.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::OpenFlags;
use sqlx::Executor;

use crate::{Db, StorageError};

/// How long a connection reads from one snapshot. Beginning and ending a read transaction
/// costs SQLite two lock system calls, a size check and page 1 again — more than the R44
/// search's own look-ups (docs/benchmarks.md) — so consecutive reads share one, and a commit
/// (an import, a revocation) is visible over LDAP at most this long after it.
pub const SNAPSHOT_AGE: Duration = Duration::from_millis(2);

/// How often idle connections are checked for snapshots to end: a snapshot held by an idle
/// connection would keep WAL checkpoints from reaching the end of the log.
const SNAPSHOT_SWEEP: Duration = Duration::from_millis(100);

/// Connections kept idle at most (more are opened under load and closed after use).
const MAX_IDLE: usize = 8;

/// Idle read-only connections to the SQLite file, taken for one read and put back. A plain
/// free list: the reads are synchronous and short, so there is nothing to wait for.
#[derive(Debug)]
pub(super) struct LocalReaders {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
}

/// A connection and the read transaction (snapshot) it keeps between reads.
#[derive(Debug)]
struct Reader {
    conn: rusqlite::Connection,
    /// When its open read transaction began (`None`: none open).
    snapshot: Option<Instant>,
}

impl LocalReaders {
    /// Readers of `path`. Within a tokio runtime, a task ends the snapshots of idle connections
    /// every [`SNAPSHOT_SWEEP`], so that they do not hold the WAL back from checkpoints when the
    /// LDAP traffic stops; it ends with the readers.
    pub(super) fn new(path: &Path) -> Arc<LocalReaders> {
        let local = Arc::new(LocalReaders { path: path.to_owned(), idle: Mutex::new(Vec::new()) });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let readers = Arc::downgrade(&local);
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(SNAPSHOT_SWEEP);
                loop {
                    tick.tick().await;
                    let Some(readers) = readers.upgrade() else { break };
                    readers.end_idle_snapshots();
                }
            });
        }
        local
    }

    /// Runs `f` on an idle connection (or a new one), in its current snapshot if younger than
    /// [`SNAPSHOT_AGE`], else in a new one.
    pub(super) fn with<T>(
        &self,
        f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StorageError> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut reader = match taken {
            Some(r) => r,
            None => Reader { conn: open_reader(&self.path).map_err(sqlite_err)?, snapshot: None },
        };
        let now = Instant::now();
        if reader.snapshot.is_some_and(|began| now.duration_since(began) >= SNAPSHOT_AGE) && !reader.end_snapshot() {
            return Err(StorageError::Read("an LDAP reader connection failed to end its read transaction".into()));
        }
        if reader.snapshot.is_none() {
            // Deferred: the snapshot is taken by the first read, after `now`.
            reader.conn.execute_batch("BEGIN").map_err(sqlite_err)?;
            reader.snapshot = Some(now);
        }
        let out = f(&reader.conn).map_err(sqlite_err);
        // After an error, a fresh snapshot next time; a connection that cannot end its
        // transaction is dropped (which ends it).
        if out.is_err() && !reader.end_snapshot() {
            return out;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(reader);
        }
        out
    }

    /// Ends the snapshots idle connections have held for [`SNAPSHOT_AGE`] or longer.
    fn end_idle_snapshots(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain_mut(|r| r.snapshot.is_none_or(|began| began.elapsed() < SNAPSHOT_AGE) || r.end_snapshot());
    }
}

impl Reader {
    /// Ends the read transaction; false if that failed (the caller drops the connection).
    fn end_snapshot(&mut self) -> bool {
        self.snapshot = None;
        if self.conn.is_autocommit() {
            return true;
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("LDAP reader: ending a read transaction failed: {e}");
                false
            }
        }
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    // Read-write open (WAL readers need the shared-memory file) but query-only: this
    // connection never writes. No create: `Db::connect` made and migrated the file.
    let c = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "query_only", "ON")?;
    // Pages come from the OS page cache through a memory map (SQLite caps it at 2 GiB), not
    // read() into the connection's own cache: no copy and no system call per page, which
    // was the larger part of a look-up (docs/benchmarks.md). The map is shared and
    // reclaimable, like slapd's mdb file.
    c.pragma_update(None, "mmap_size", 1i64 << 31)?;
    c.pragma_update(None, "cache_size", -16384)?;
    c.set_prepared_statement_cache_capacity(32);
    Ok(c)
}

fn sqlite_err(e: rusqlite::Error) -> StorageError {
    StorageError::Read(e.to_string())
}

/// The SQLite-only indexes of this read path, which its statements name with `INDEXED BY`
/// (`Db::connect` creates them). The R44 search reads a professional's open situations with
/// their structures' attributes; these indexes answer the professional check and the structure
/// columns from index pages alone, without a descent into each table row (docs/benchmarks.md,
/// CPS directory over LDAP). They are not in the shared migrations because PostgreSQL caps a
/// B-tree entry at about 2.7 kB, which a structure with very long names could exceed and so
/// fail an import; PostgreSQL reads through sqlx and its own planner instead.
pub(crate) async fn create_indexes(db: &Db) -> Result<(), StorageError> {
    for sql in [
        "CREATE INDEX IF NOT EXISTS professionals_open ON professionals (idnat_ps, closed_at)",
        "CREATE INDEX IF NOT EXISTS structures_ldap ON structures (idnat_struct, name, siret, siren, finess, \
         legal_entity_finess, rpps_rang, recipient, street_number, street_number_suffix, street_type, street_name, postal_code, \
         town, phone, email)",
    ] {
        db.pool().execute(sql).await?;
    }
    Ok(())
}
