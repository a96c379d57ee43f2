//! The log's identity and key: made once, on the first node that sequences, and checked on every
//! open against the key in custody.

use std::sync::Arc;

use santepki_authority::{CaSigner, KeyAlgorithm, KeyCustody, KeyError};
use santepki_storage::audit::log::{self as store, LogIdentity};
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::Db;

use crate::{note, AuditError};

/// The audit key's label in the CA key custody.
pub const KEY_LABEL: &str = "santepki-audit-log";

/// An audit log with its signing key.
#[derive(Clone)]
pub struct AuditLog {
    db: Db,
    identity: LogIdentity,
    key: Arc<dyn CaSigner>,
    verifier_key: String,
}

impl AuditLog {
    /// Opens the log of `db`, creating it (and its Ed25519 key in `custody`) on first use with
    /// the origin `origin` (a schema-less URL such as `pki.example.fr/audit`).
    pub async fn open_or_create(
        db: &Db,
        custody: &dyn KeyCustody,
        origin: &str,
        actor: &str,
    ) -> Result<AuditLog, AuditError> {
        if store::identity(db.pool()).await?.is_none() {
            let key = match custody.open(KEY_LABEL, KeyAlgorithm::Ed25519) {
                Ok(k) => k,
                Err(KeyError::NotFound(_)) => match custody.generate(KEY_LABEL, KeyAlgorithm::Ed25519) {
                    Ok(k) => k,
                    // Another node made it between our open and our generate.
                    Err(KeyError::Exists(_)) => custody.open(KEY_LABEL, KeyAlgorithm::Ed25519)?,
                    Err(e) => return Err(e.into()),
                },
                Err(e) => return Err(e.into()),
            };
            let identity = LogIdentity {
                origin: origin.to_owned(),
                key_label: KEY_LABEL.to_owned(),
                verifier_key: note::verifier_key(origin, key.as_ref())?,
                created_at: santepki_storage::time::now(),
            };
            let mut tx = db.begin_write().await?;
            if store::identity(&mut *tx).await?.is_none() {
                store::set_identity(&mut *tx, &identity).await?;
                let event = AuditEvent::new(actor, "audit.log.created", "audit_log:1").after(&serde_json::json!({
                    "origin": identity.origin,
                    "verifier_key": identity.verifier_key,
                    "key_backend": key.backend(),
                }));
                audit::append(&mut *tx, &event).await?;
            }
            tx.commit().await?;
        }
        Self::open(db, custody).await?.ok_or(AuditError::NoLog)
    }

    /// Opens the log of `db`; `None` if it was never created.
    pub async fn open(db: &Db, custody: &dyn KeyCustody) -> Result<Option<AuditLog>, AuditError> {
        let Some(identity) = store::identity(db.pool()).await? else {
            return Ok(None);
        };
        let key = custody.open(&identity.key_label, KeyAlgorithm::Ed25519)?;
        let verifier_key = note::verifier_key(&identity.origin, key.as_ref())?;
        if verifier_key != identity.verifier_key {
            return Err(AuditError::KeyMismatch {
                label: identity.key_label.clone(),
                custody: verifier_key,
                recorded: identity.verifier_key.clone(),
            });
        }
        Ok(Some(AuditLog { db: db.clone(), identity, key, verifier_key }))
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The checkpoints' origin line.
    pub fn origin(&self) -> &str {
        &self.identity.origin
    }

    /// The verifier key of the audit key in custody (the key to trust, published at
    /// `/audit/log/key`).
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The signing key.
    pub(crate) fn key(&self) -> Arc<dyn CaSigner> {
        self.key.clone()
    }
}
