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
