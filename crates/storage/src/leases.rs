//! Leases: a job only one node may run at a time (the audit sequencer, the CA's CRL and OCSP
//! jobs, the mail jobs), taken and renewed in the database so that it works with any number of
//! nodes on one PostgreSQL. A holder that stops renewing (killed, partitioned) loses the lease
//! when it expires, and another node takes over.
//!
//! Each change of holder increments the lease's **fencing number**. Leased work re-checks its
//! [`Lease`] (holder, number, not expired) with [`check`] inside the transaction that writes: on
//! PostgreSQL that also locks the lease row until commit, so a holder whose lease expired while
//! it was paused cannot commit what it prepared under the old number, even a moment before the
//! new holder writes. Expiry is judged by the database's clock, not the node's: a node whose
//! clock is off neither keeps nor steals a lease because of it.

use sqlx::{Any, Executor};

use crate::StorageError;

/// A lease held: which job, by whom, under which fencing number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job (`ca-jobs`, `mail`, `audit-sequencer`).
    pub name: String,
    /// The holder (a node's name).
    pub holder: String,
    /// Incremented each time the lease changes holder.
    pub fence: i64,
}

/// The database's clock in the stored time format, one expression per backend (SQLite's
/// `strftime` and PostgreSQL's `to_char` both give `YYYY-MM-DDTHH:MM:SSZ` in UTC).
fn db_now(backend_is_postgres: bool) -> &'static str {
    if backend_is_postgres {
        "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    } else {
        "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    }
}

/// The same, `seconds` from now.
fn db_later(backend_is_postgres: bool, seconds: i64) -> String {
    if backend_is_postgres {
        format!("to_char((now() + interval '{seconds} seconds') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    } else {
        format!("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+{seconds} seconds')")
    }
}

/// Takes the lease `name` for `holder` for `ttl_seconds`, or renews it if `holder` has it.
/// Returns the lease held now, `None` while another holder's lease runs. Taking it over from
/// another holder (whose lease expired) increments the fencing number; renewing keeps it.
pub async fn try_acquire(
    db: &crate::Db,
    name: &str,
    holder: &str,
    ttl_seconds: i64,
) -> Result<Option<Lease>, StorageError> {
    let pg = db.backend() == crate::Backend::Postgres;
    let (now, later) = (db_now(pg), db_later(pg, ttl_seconds.max(1)));
    let sql = format!(
        "INSERT INTO leases (name, holder, expires_at, fence) VALUES ($1, $2, {later}, 1) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, \
         fence = CASE WHEN leases.holder = excluded.holder AND leases.expires_at >= {now} \
                      THEN leases.fence ELSE leases.fence + 1 END \
         WHERE leases.holder = excluded.holder OR leases.expires_at < {now} \
         RETURNING fence"
    );
    let fence: Option<i64> = sqlx::query_scalar(&sql).bind(name).bind(holder).fetch_optional(db.pool()).await?;
    Ok(fence.map(|fence| Lease { name: name.to_owned(), holder: holder.to_owned(), fence }))
}

/// Whether `lease` is still held: same holder, same fencing number, not expired. Called inside
/// the transaction that does the leased work, it also locks the lease row until commit
/// (PostgreSQL), so a new holder cannot take the lease over between this check and the commit.
pub async fn holds<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    backend: crate::Backend,
    lease: &Lease,
) -> Result<bool, StorageError> {
    let now = db_now(backend == crate::Backend::Postgres);
    let sql = format!(
        "UPDATE leases SET holder = holder WHERE name = $1 AND holder = $2 AND fence = $3 AND expires_at >= {now}"
    );
    let r = sqlx::query(&sql).bind(&lease.name).bind(&lease.holder).bind(lease.fence).execute(exec).await?;
    Ok(r.rows_affected() == 1)
}

/// [`holds`], as an error when the lease is lost: the write it guards must not commit.
pub async fn check<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    backend: crate::Backend,
    lease: &Lease,
) -> Result<(), StorageError> {
    if holds(exec, backend, lease).await? {
        Ok(())
    } else {
        Err(StorageError::LeaseLost { name: lease.name.clone(), fence: lease.fence })
    }
}

/// Gives the lease up (a clean stop), so another node need not wait for it to expire. The row
/// stays, expired, so that the next holder's fencing number is higher.
pub async fn release(db: &crate::Db, lease: &Lease) -> Result<(), StorageError> {
    sqlx::query("UPDATE leases SET expires_at = '1970-01-01T00:00:00Z' WHERE name = $1 AND holder = $2 AND fence = $3")
        .bind(&lease.name)
        .bind(&lease.holder)
        .bind(lease.fence)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The current holder of `name`, its fencing number and when its lease ends, if anyone ever
/// took it.
pub async fn holder<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    name: &str,
) -> Result<Option<(String, String, i64)>, StorageError> {
    Ok(sqlx::query_as("SELECT holder, expires_at, fence FROM leases WHERE name = $1")
        .bind(name)
        .fetch_optional(exec)
        .await?)
}
