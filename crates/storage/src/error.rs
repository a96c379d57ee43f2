use thiserror::Error;

/// Errors of the storage layer.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A read outside sqlx (the LDAP server's own SQLite connections) failed.
    #[error("database read error: {0}")]
    Read(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}
