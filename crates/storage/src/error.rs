use thiserror::Error;

/// Errors of the storage layer.
#[derive(Debug, Error)]
pub enum StorageError {
    /// Neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// The database (named) cannot be reached, and why.
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    /// A migration did not apply.
    #[error("database migration failed: {0}")]
    Migrate(String),
    /// A statement failed.
    #[error("database error: {0}")]
    Sql(sqlx::Error),
    /// A value-set column holds a text the code does not declare (`santepki_domain::values`).
    #[error("stored data is invalid: {table}.{column} holds {value:?}, which is not a {set}")]
    UnknownValue {
        /// The table read.
        table: &'static str,
        /// The column holding the value.
        column: String,
        /// The text stored.
        value: String,
        /// The value set the column holds (`ProductState`…).
        set: &'static str,
    },
    /// A read outside sqlx (the LDAP server's own SQLite connections) failed.
    #[error("database read error: {0}")]
    Read(String),
    /// A backup or a restore failed.
    #[error("backup: {0}")]
    Backup(String),
    /// Stored data that cannot be what the code wrote.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// The connection failed while the transaction was committing: it may or may not have
    /// committed. Never retried blindly; the caller re-reads what it wrote to know.
    #[error("the database connection failed during COMMIT; the outcome is unknown: {0}")]
    CommitOutcomeUnknown(sqlx::Error),
    /// A leased job's lease changed holder or expired before its write committed: the write is
    /// refused (the fencing number is stale).
    #[error("the lease {name:?} (fencing number {fence}) is no longer held: its write is refused")]
    LeaseLost {
        /// The lease's job name.
        name: String,
        /// The fencing number the write carried.
        fence: i64,
    },
}

impl StorageError {
    /// Whether the error is one a database failover or a conflicting transaction produces and
    /// that leaves nothing written: a lost or refused connection, a standby's
    /// `read_only_sql_transaction`, a serialization failure or deadlock, the server shutting down
    /// (SQLSTATE classes 08, 40, 57P and 25006), SQLite's busy lock. An operation that failed so
    /// may be replayed whole; see [`crate::retry`].
    pub fn is_transient(&self) -> bool {
        match self {
            StorageError::Sql(e) => transient_sqlx(e),
            _ => false,
        }
    }
}

fn transient_sqlx(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| transient_sqlstate(&c)),
        _ => false,
    }
}

/// SQLSTATE codes (PostgreSQL) and result codes (SQLite) that a retry can outlive.
pub(crate) fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("40") // transaction rollback: serialization failure, deadlock
        || code.starts_with("57P") // admin/crash shutdown, cannot connect now
        || code == "25006" // read_only_sql_transaction: a standby, or a demoted primary
        || code == "5" // SQLITE_BUSY
        || code == "517" // SQLITE_BUSY_SNAPSHOT
}

/// Whether a failed COMMIT may have committed: the connection went away before the answer came.
pub(crate) fn commit_outcome_unknown(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

impl From<sqlx::Error> for StorageError {
    /// A row whose value-set column does not parse names its table, column and value.
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::ColumnDecode { index, source } = &e {
            if let Some(u) = source.downcast_ref::<santepki_domain::values::UnknownValue>() {
                return StorageError::UnknownValue {
                    table: crate::values::table_of(u.set),
                    column: index.trim_matches('"').to_owned(),
                    value: u.value.clone(),
                    set: u.set,
                };
            }
        }
        StorageError::Sql(e)
    }
}
