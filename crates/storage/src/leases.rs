//! Leases: a job only one node may run at a time (the audit sequencer), taken and renewed in the
//! database so that it works with any number of nodes on one PostgreSQL. A holder that stops
//! renewing (killed, partitioned) loses the lease when it expires, and another node takes over.

use sqlx::{Any, Executor};

use crate::StorageError;

/// Takes the lease `name` for `holder` for `ttl_seconds`, or renews it if `holder` has it.
/// Returns whether `holder` holds it now: `false` while another holder's lease runs.
pub async fn try_acquire<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    name: &str,
    holder: &str,
    ttl_seconds: i64,
) -> Result<bool, StorageError> {
    let now = chrono::Utc::now();
    let expires = crate::time::format(now + chrono::Duration::seconds(ttl_seconds));
    let r = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE leases.holder = excluded.holder OR leases.expires_at < $4",
    )
    .bind(name)
    .bind(holder)
    .bind(&expires)
    .bind(crate::time::format(now))
    .execute(exec)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Whether `holder` still holds `name` (not expired). Called inside the transaction that does the
/// leased work, it also locks the lease row until commit (PostgreSQL): a holder whose lease
/// expired cannot commit work a new holder is doing.
pub async fn still_held<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    name: &str,
    holder: &str,
) -> Result<bool, StorageError> {
    let r = sqlx::query("UPDATE leases SET holder = holder WHERE name = $1 AND holder = $2 AND expires_at >= $3")
        .bind(name)
        .bind(holder)
        .bind(crate::time::now())
        .execute(exec)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives the lease up (a clean stop), so another node need not wait for it to expire.
pub async fn release<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    name: &str,
    holder: &str,
) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2").bind(name).bind(holder).execute(exec).await?;
    Ok(())
}

/// The current holder of `name` and when its lease ends, if anyone ever took it.
pub async fn holder<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    name: &str,
) -> Result<Option<(String, String)>, StorageError> {
    Ok(sqlx::query_as("SELECT holder, expires_at FROM leases WHERE name = $1").bind(name).fetch_optional(exec).await?)
}
