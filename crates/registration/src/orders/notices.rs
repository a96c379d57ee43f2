//! The notices of ordering (R35): those queued with an order, and the expiry notices a month
//! ahead. Their texts are in [`mails`](super::mails).

use chrono::Utc;
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::ordering::{self as store, ProductRow};
use santepki_storage::{time, WriteTx};

use super::{mails, Orders};
use crate::{mail, Actor, RegError};

/// Step 4 of an order, R35's notices: the request confirmation (what was asked, by whom, with
/// which key origin), then the availability notice. The CA issues at once, so both are queued in
/// the transaction that records the product: each is sent exactly once, whichever node delivers
/// the mail queue.
pub(super) async fn notify_ordered(
    tx: &mut WriteTx,
    actor: &Actor,
    product: &ProductRow,
    renewal: bool,
) -> Result<(), RegError> {
    let mut to = vec![product.actor_email.clone()];
    to.extend(product.copy_email.clone());
    let about = format!("product:{}", product.id);
    for m in [mails::order_recorded(product, actor, renewal)?, mails::certificate_available(product)?] {
        mail::queue(tx, &to, &m.subject, &m.body, &about).await?;
    }
    Ok(())
}

impl Orders<'_> {
    /// Rule R35: one expiry notice per certificate, `days` before its end, to the actor and the
    /// copy address. Safe on every node at once: each notice is claimed before it is queued, in
    /// the same transaction. Returns how many were queued.
    pub async fn send_expiry_notices(self, days: u32) -> Result<usize, RegError> {
        let before = time::format(Utc::now() + chrono::Duration::days(i64::from(days)));
        let mut sent = 0;
        for p in store::expiring_unnoticed(self.db(), &before, 500).await? {
            let now = time::now();
            let mut tx = self.db().begin_write().await?;
            if !store::claim_expiry_notice(&mut tx, &p.id, &now).await? {
                continue;
            }
            let notice = mails::expiry_notice(&p)?;
            let mut to = vec![p.actor_email.clone()];
            to.extend(p.copy_email.clone());
            mail::queue(&mut tx, &to, &notice.subject, &notice.body, &format!("product:{}", p.id)).await?;
            audit::append(
                &mut *tx,
                &AuditEvent::new("scheduler", "product.expiry-notice", &format!("product:{}", p.id))
                    .after(&serde_json::json!({ "at": now, "not_after": p.not_after })),
            )
            .await?;
            tx.commit().await?;
            sent += 1;
        }
        Ok(sent)
    }
}
