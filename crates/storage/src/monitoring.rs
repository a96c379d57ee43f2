//! What monitoring reads: whether the database answers, and the counts `/metrics` exposes.

use crate::{Db, StorageError};

/// A round trip to the database.
pub async fn ping(db: &Db) -> Result<(), StorageError> {
    sqlx::query("SELECT 1").execute(db.pool()).await?;
    Ok(())
}

/// Issued, unrevoked certificates whose validity ends within `within` from now (R35's notices
/// are due for them).
pub async fn certificates_expiring(db: &Db, within: chrono::Duration) -> Result<i64, StorageError> {
    let now = chrono::Utc::now();
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM ca_certificates WHERE status = 'issued' AND not_after >= $1 AND not_after < $2",
    )
    .bind(crate::time::format(now))
    .bind(crate::time::format(now + within))
    .fetch_one(db.pool())
    .await?)
}

/// Mail waiting in the outbox (queued, or claimed and not yet sent).
pub async fn outbox_backlog(db: &Db) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM mail_outbox WHERE state IN ('queued', 'sending')")
        .fetch_one(db.pool())
        .await?)
}

/// Every lease: name, holder, expiry (RFC 3339).
pub async fn leases(db: &Db) -> Result<Vec<(String, String, String)>, StorageError> {
    Ok(sqlx::query_as("SELECT name, holder, expires_at FROM leases ORDER BY name").fetch_all(db.pool()).await?)
}

/// The database server's clock, in Unix seconds: the reference every node's clock is compared
/// with before it signs what carries a time (CRLs, OCSP responses).
pub async fn database_now(db: &Db) -> Result<i64, StorageError> {
    let sql = match db.backend() {
        crate::Backend::Postgres => "SELECT CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) AS BIGINT)",
        crate::Backend::Sqlite => "SELECT CAST(strftime('%s', 'now') AS INTEGER)",
    };
    Ok(sqlx::query_scalar(sql).fetch_one(db.pool()).await?)
}
