//! The recovery pass (issue 15, points 9 and 10): completes or undoes what a crash left between a
//! product and its certificate, so that their states agree and nothing stays pending.
//!
//! Since orders record the product with the CA's pending row and settle both in one transaction,
//! a crash leaves either nothing or a pending pair; [`santepki_authority::Authority::resolve_pending`]
//! abandons the pair together. This pass handles every other disagreement the database can hold
//! (left by an older version, which wrote the certificate and the product in separate
//! transactions; every revocation now sets the product too):
//!
//! | product  | certificate               | the pass                                                   |
//! |----------|---------------------------|------------------------------------------------------------|
//! | pending  | issued                    | completes the product (`issued`): the certificate exists    |
//! | pending  | revoked                   | the product becomes `revoked`                              |
//! | pending  | failed, abandoned, absent | the product becomes `abandoned`: nothing was handed out     |
//! | issued   | revoked                   | the product becomes `revoked` (renewal then refuses it)     |
//! | issued   | pending, failed, abandoned, absent | the product becomes `abandoned`                   |
//! | revoked  | issued                    | the certificate is revoked (`cessationOfOperation`): the revocation was asked |
//!
//! Each repair is one transaction with its audit event, safe on several nodes at once (each
//! update is conditional on the state it repairs).

use santepki_authority::RevocationReason;
use santepki_domain::values::{CertificateStatus, ProductState};
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::ordering::{self as store, Disagreement};
use santepki_storage::time;
use serde::Serialize;

use crate::{RegError, Registration};

/// What a recovery pass repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recovered {
    /// Pending products completed with their issued certificate.
    pub completed: usize,
    /// Products whose certificate was never issued, now `abandoned`.
    pub abandoned: usize,
    /// Products set `revoked` to match their revoked certificate.
    pub revoked_products: usize,
    /// Certificates revoked because their product was revoked.
    pub revoked_certificates: usize,
}

impl Recovered {
    /// Whether the pass repaired anything.
    pub fn is_empty(&self) -> bool {
        *self == Recovered::default()
    }
}

/// Rows examined per round; the pass repeats until none disagree.
const BATCH: i64 = 500;

impl Registration {
    /// Runs the recovery pass (see the module documentation) as `actor`, until every product
    /// agrees with its certificate (pending pairs in flight agree). `only_pending` examines only
    /// pending products (an index lookup: the scheduler's pass every 30 seconds); otherwise every
    /// product (a scan: at start-up and in `santepki ca recover`).
    pub async fn recover_orders(&self, actor: &str, only_pending: bool) -> Result<Recovered, RegError> {
        let mut done = Recovered::default();
        let mut skipped = std::collections::HashSet::new();
        loop {
            let rows = store::disagreements(self.db(), only_pending, BATCH + i64::try_from(skipped.len()).unwrap_or(0))
                .await?;
            let fresh: Vec<Disagreement> = rows.into_iter().filter(|d| !skipped.contains(&d.product.id)).collect();
            if fresh.is_empty() {
                return Ok(done);
            }
            for d in fresh {
                if !self.repair(actor, &d, &mut done).await? {
                    skipped.insert(d.product.id.clone());
                }
            }
        }
    }

    /// Repairs one disagreement; `false` when there is nothing this pass can do (left as is).
    async fn repair(&self, actor: &str, d: &Disagreement, done: &mut Recovered) -> Result<bool, RegError> {
        use CertificateStatus as C;
        use ProductState as P;
        let p = &d.product;
        let now = time::now();
        let (new_state, action, counter): (ProductState, &str, &mut usize) = match (p.state, d.certificate_status) {
            (P::Pending, Some(C::Issued)) => (P::Issued, "product.completed", &mut done.completed),
            (P::Pending | P::Issued, Some(C::Revoked)) => (P::Revoked, "product.revoked", &mut done.revoked_products),
            (P::Pending | P::Issued, _) => (P::Abandoned, "product.abandoned", &mut done.abandoned),
            (P::Revoked, Some(C::Issued)) => {
                let authority = self.require_authority()?;
                let mut tx = self.db().begin_write().await?;
                authority
                    .revoke_in(&mut tx, &p.serial, RevocationReason::CessationOfOperation, actor)
                    .await
                    .map_err(|e| RegError::Issue(e.to_string()))?;
                tx.commit().await?;
                authority.forget_status(&p.serial);
                done.revoked_certificates += 1;
                return Ok(true);
            }
            _ => {
                tracing::warn!(product = %p.id, state = %p.state, certificate = ?d.certificate_status,
                    "a product disagrees with its certificate and recovery cannot repair it");
                return Ok(false);
            }
        };
        let mut tx = self.db().begin_write().await?;
        if !store::repair_state(&mut tx, &p.id, p.state, new_state, &now).await? {
            // Another node repaired it first.
            return Ok(true);
        }
        audit::append(
            &mut *tx,
            &AuditEvent::new(actor, action, &format!("product:{}", p.id)).before(p).after(&serde_json::json!({
                "state": new_state.as_str(),
                "certificate_status": d.certificate_status.map(|s| s.as_str()),
                "reason": "recovery: the product and its certificate disagreed",
            })),
        )
        .await?;
        tx.commit().await?;
        *counter += 1;
        Ok(true)
    }
}
