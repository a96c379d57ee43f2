//! The audit log's errors.

use santepki_storage::StorageError;

/// Why an audit-log operation failed. Verification findings are not errors: see
/// [`crate::verify::Finding`].
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The audit key could not be made, opened or used.
    #[error("audit key: {0}")]
    Key(#[from] santepki_authority::KeyError),
    /// The audit key in custody is not the one the log was created with.
    #[error("the audit key {label:?} in custody is not the log's key: custody has {custody}, the log was created with {recorded}")]
    KeyMismatch {
        /// The key's label.
        label: String,
        /// The verifier key of the key in custody.
        custody: String,
        /// The verifier key recorded when the log was created.
        recorded: String,
    },
    /// The log was never created (no event was sequenced on this database yet).
    #[error("the audit log does not exist yet: start `santepki serve` or run `santepki audit sequence`")]
    NoLog,
    /// A stored tree hash the computation needs is missing.
    #[error("the stored tree hash {0} is missing")]
    HashMissing(u64),
    /// The tree computation failed (inconsistent input).
    #[error("tree: {0}")]
    Tree(#[from] tlog_tiles::tlog::Error),
    /// A checkpoint or note is malformed or its signature does not verify.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// The event has no leaf in a signed checkpoint yet.
    #[error("event {0} is not in a signed checkpoint yet: it is sequenced within seconds and signed within a minute")]
    NotYetSigned(String),
    /// No event has this id.
    #[error("no audit event {0}")]
    UnknownEvent(String),
    /// An inclusion proof does not check.
    #[error("the proof does not check: {0}")]
    BadProof(String),
}
