//! Replaying an operation across a database failover (issue 17).
//!
//! While Patroni promotes a standby, connections to the old primary are cut, new ones are refused
//! or land on a server that is still read-only, and transactions fail with the errors
//! [`StorageError::is_transient`] names. None of those leaves anything written (a failure at
//! COMMIT whose outcome is unknown is a different error, never replayed), so an operation whose
//! effects are all inside one transaction, or idempotent, can be run again until the new primary
//! answers. The back-off is bounded: a client waits at most about half a minute (the failover
//! goal) before it gets a 503 and retries itself.
//!
//! Only callers that know their operation is safe to replay use this; the rest let the error
//! reach the client.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::StorageError;

/// An error that says whether the operation that failed may be replayed.
pub trait Transient: std::fmt::Display {
    /// See [`StorageError::is_transient`].
    fn is_transient(&self) -> bool;
}

impl Transient for StorageError {
    fn is_transient(&self) -> bool {
        StorageError::is_transient(self)
    }
}

/// The back-off across a failover: 100 ms doubling to 3 s, with jitter, ten attempts after the
/// first (about 20 to 35 s in all, longer than a Patroni failover on a healthy cluster).
fn failover_backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(3))
        .with_max_times(10)
        .with_jitter()
}

/// Runs `op`, and runs it again while it fails with a transient error, within the failover
/// back-off. `what` names the operation in the warning logged for each retry.
pub async fn retrying<T, E, F, Fut>(what: &'static str, op: F) -> Result<T, E>
where
    E: Transient,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    op.retry(failover_backoff())
        .sleep(tokio::time::sleep)
        .when(|e: &E| e.is_transient())
        .notify(|e: &E, wait: Duration| {
            tracing::warn!(operation = what, error = %e, retry_in_ms = wait.as_millis() as u64, "database unavailable; retrying");
        })
        .await
}
