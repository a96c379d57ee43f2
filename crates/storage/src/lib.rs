//! santepki storage: one schema and one set of queries for SQLite (the embedded default) and
//! PostgreSQL (for several nodes and national scale).
//!
//! Both backends go through sqlx's `Any` driver with portable SQL (`$1` placeholders, which
//! SQLite accepts too; `ON CONFLICT … DO UPDATE`; TEXT and BIGINT only), so there is one way to
//! write each query and the test suite runs the same code against both. The one exception is the
//! LDAP server's read path ([`ldap`]): on a SQLite file it runs the same SQL through rusqlite
//! connections of its own, synchronously, to answer faster than slapd.
//!
//! Nothing here keeps state between calls beyond the connection pool: several santepki nodes can
//! share one PostgreSQL database.

pub mod audit;
pub mod authority;
pub mod backup;
pub mod directory;
mod error;
mod hash;
pub mod ldap;
pub mod leases;
pub mod monitoring;
pub mod ordering;
pub mod registration;
pub mod retry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod time;
mod values;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use error::StorageError;
pub use hash::row_hash;

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite: a file (the embedded default) or in memory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend a database URL names (`sqlite:…`, `postgres:…` or `postgresql:…`).
    pub fn from_url(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StorageError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Its name for people: `SQLite` or `PostgreSQL`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A connection pool to the santepki database, migrated to the current schema.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    /// A pool of read-only connections to standbys (`database.read_url`), for the reads that
    /// may lag the primary by the replication delay: OCSP, LDAP, directory search.
    read_pool: Option<AnyPool>,
    backend: Backend,
    /// The database file, for SQLite on disk: read paths that must not pay sqlx's per-query
    /// thread hand-offs (the LDAP server) open their own connections to it.
    sqlite_file: Option<std::path::PathBuf>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Db {
    /// Connects to `url` (`sqlite://path/to/file.db` or `postgres://…`), creating the SQLite
    /// file and its folder if needed, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        Db::connect_with_reader(url, None).await
    }

    /// [`connect`](Db::connect), with a second pool on `read_url` (PostgreSQL standbys, for
    /// example through HAProxy's replica port) for the reads that tolerate replication lag.
    pub async fn connect_with_reader(url: &str, read_url: Option<&str>) -> Result<Db, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StorageError::Connect(redact_url(&url), e.to_string()))?
            .log_statements(tracing::log::LevelFilter::Trace);
        let max = match backend {
            // SQLite serialises writers anyway; a few readers beside one writer are enough.
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers (the HTTP API, LDAP) work during an import; NORMAL
                        // synchronous is durable across process crashes in WAL mode.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA cache_size = -65536").await?;
                        // Statement journals of multi-row upserts stay in memory, and WAL
                        // checkpoints run every ~32 MiB instead of 4 MiB: a checkpoint copies
                        // each page once however often it changed since the last one.
                        conn.execute("PRAGMA temp_store = MEMORY").await?;
                        conn.execute("PRAGMA wal_autocheckpoint = 8192").await?;
                    } else {
                        // Writes go to the primary only: a connection that lands on a standby
                        // (HAProxy's health check lagging a switchover) is refused here, and
                        // the operation retried (see `retry`), instead of failing later with
                        // read_only_sql_transaction in the middle of its work.
                        let standby: bool =
                            sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&mut *conn).await?;
                        if standby {
                            return Err(sqlx::Error::Protocol("connected to a standby, not the primary".into()));
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StorageError::Connect(redact_url(&url), e.to_string()))?;
        // Rolling upgrades: a node of the previous version keeps running on a database a newer
        // node has migrated (migrations only add tables, columns with defaults and indexes), so
        // migrations this build does not know are tolerated rather than refused.
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await.map_err(|e| StorageError::Migrate(e.to_string()))?;
        let sqlite_file = match backend {
            Backend::Sqlite => sqlite_file_of(&url),
            Backend::Postgres => None,
        };
        let read_pool = match read_url {
            None => None,
            Some(r) if Backend::from_url(r)? != Backend::Postgres || backend != Backend::Postgres => {
                return Err(StorageError::Connect(
                    redact_url(r),
                    "database.read_url is for PostgreSQL standbys beside a PostgreSQL database.url".into(),
                ))
            }
            Some(r) => {
                let options = AnyConnectOptions::from_str(r)
                    .map_err(|e| StorageError::Connect(redact_url(r), e.to_string()))?
                    .log_statements(tracing::log::LevelFilter::Trace);
                Some(
                    AnyPoolOptions::new()
                        .max_connections(16)
                        .connect_with(options)
                        .await
                        .map_err(|e| StorageError::Connect(redact_url(r), e.to_string()))?,
                )
            }
        };
        let db = Db { pool, read_pool, backend, sqlite_file };
        match backend {
            Backend::Postgres => db.postgres_fixups().await?,
            Backend::Sqlite => db.sqlite_read_indexes().await?,
        }
        Ok(db)
    }

    /// SQLite-only indexes of the LDAP server's own read path ([`ldap`], which names them with
    /// `INDEXED BY`; why they are SQLite-only is told there).
    async fn sqlite_read_indexes(&self) -> Result<(), StorageError> {
        ldap::create_indexes(self).await
    }

    /// PostgreSQL-only adjustment the shared migrations cannot express: name prefix search uses
    /// range comparisons on `name_key`, which are only correct under a byte-order collation.
    /// SQLite compares bytes already; on PostgreSQL the columns get `COLLATE "C"` whatever the
    /// database's default collation is.
    async fn postgres_fixups(&self) -> Result<(), StorageError> {
        for table in ["structures", "professionals"] {
            let collation: Option<String> = sqlx::query_scalar(
                "SELECT collation_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'name_key'",
            )
            .bind(table)
            .fetch_optional(&self.pool)
            .await?
            .flatten();
            if collation.as_deref() != Some("C") {
                let sql = format!("ALTER TABLE {table} ALTER COLUMN name_key TYPE TEXT COLLATE \"C\"");
                self.pool.execute(sql.as_str()).await?;
            }
        }
        Ok(())
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails with
    /// `SQLITE_BUSY_SNAPSHOT` when another connection committed in between, an error the busy
    /// timeout does not retry; an immediate one waits for the lock under the busy timeout
    /// instead, so concurrent orders, signatures and decisions queue rather than fail.
    ///
    /// Beginning is retried across a failover ([`retry`]): nothing is written yet.
    pub async fn begin_write(&self) -> Result<WriteTx, StorageError> {
        retry::retrying("begin a write transaction", || async {
            let tx = match self.backend {
                Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
                Backend::Postgres => self.pool.begin().await?,
            };
            Ok(WriteTx(tx))
        })
        .await
    }

    /// This database for the reads that tolerate replication lag (OCSP status, LDAP, directory
    /// search): the standbys' pool when `database.read_url` is set, else this same pool. Only
    /// for reading: a write through it fails on a standby.
    pub fn for_reads(&self) -> Db {
        match &self.read_pool {
            None => self.clone(),
            Some(r) => Db { pool: r.clone(), read_pool: None, backend: self.backend, sqlite_file: None },
        }
    }

    /// Whether reads that tolerate lag go to a separate pool of standbys.
    pub fn has_read_pool(&self) -> bool {
        self.read_pool.is_some()
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file (None for PostgreSQL and in-memory SQLite).
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    /// Closes the pool's connections (waiting for those in use).
    pub async fn close(&self) {
        if let Some(r) = &self.read_pool {
            r.close().await;
        }
        self.pool.close().await;
    }
}

/// A write transaction from [`Db::begin_write`]. Storage's functions take it as `&mut *tx` (the
/// connection inside); beginning and committing fail with a [`StorageError`], so that the crates
/// above storage never handle the driver's own error type. Dropped without
/// [`commit`](WriteTx::commit), it rolls back.
pub struct WriteTx(sqlx::Transaction<'static, sqlx::Any>);

impl WriteTx {
    /// Commits the transaction. A connection lost during COMMIT gives
    /// [`StorageError::CommitOutcomeUnknown`]: the transaction may have committed.
    pub async fn commit(self) -> Result<(), StorageError> {
        self.0.commit().await.map_err(|e| {
            if error::commit_outcome_unknown(&e) {
                StorageError::CommitOutcomeUnknown(e)
            } else {
                e.into()
            }
        })
    }

    /// Rolls the transaction back (dropping it does too, without waiting for the database).
    pub async fn rollback(self) -> Result<(), StorageError> {
        Ok(self.0.rollback().await?)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Makes sure the SQLite file's folder exists and the URL asks to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, StorageError> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:" && !path.is_empty() {
        if let Some(parent) = Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| StorageError::Connect(url.to_owned(), e.to_string()))?;
            }
        }
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The file of a SQLite database URL, without opening it; `None` for PostgreSQL and in-memory
/// SQLite.
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    if !url.starts_with("sqlite:") {
        return None;
    }
    prepare_sqlite_url(url).ok().and_then(|u| sqlite_file_of(&u))
}

/// The newest migration this build knows (a backup from a newer build is refused).
pub(crate) fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The file of a prepared SQLite URL, unless the database is in memory.
fn sqlite_file_of(prepared: &str) -> Option<std::path::PathBuf> {
    let rest = prepared.trim_start_matches("sqlite://");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    (!path.is_empty() && path != ":memory:" && !query.contains("mode=memory")).then(|| std::path::PathBuf::from(path))
}

/// Hides a password in a database URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.split_once('@') {
            let user = creds.split(':').next().unwrap_or("");
            return format!("{scheme}://{user}:***@{host}");
        }
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(Backend::from_url("sqlite://a.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgres://u:p@h/db").unwrap(), Backend::Postgres);
        assert!(Backend::from_url("mysql://h/db").is_err());
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(prepare_sqlite_url("sqlite://:memory:").unwrap(), "sqlite://:memory:?mode=rwc");
        assert_eq!(sqlite_file_of("sqlite://:memory:?mode=rwc"), None);
        assert_eq!(sqlite_file_of("sqlite://x?mode=memory&cache=shared"), None);
        assert_eq!(sqlite_file_of("sqlite:///tmp/a.db?mode=rwc"), Some("/tmp/a.db".into()));
    }
}
