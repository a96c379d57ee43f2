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
    Sql(sqlx::Error),
    /// A value-set column holds a text the code does not declare (`santepki_domain::values`).
    #[error("stored data is invalid: {table}.{column} holds {value:?}, which is not a {set}")]
    UnknownValue { table: &'static str, column: String, value: String, set: &'static str },
    /// A read outside sqlx (the LDAP server's own SQLite connections) failed.
    #[error("database read error: {0}")]
    Read(String),
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
