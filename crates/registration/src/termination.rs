//! What terminating a contract does (R3: « un contrat résilié arrête tout »). This project's
//! choice, the seeds being silent on the details, as a PKI does when the subscriber agreement
//! ends:
//! - in the same transaction as the contract's state: every active habilitation on the legal
//!   entity's structures is withdrawn (and, for a vendor's contract, every habilitation its
//!   administrators hold through it, R6), forms awaiting their signature are withdrawn and signed
//!   forms awaiting the agency's decision are rejected, each with its audit event;
//! - in that transaction too, every live certificate of those structures is revoked through the
//!   CA with reason `cessationOfOperation` (the structure no longer operates under the agency's
//!   scheme), and its product marked revoked;
//! - and whatever slipped between, an order or renewal is refused at its check (`orders::check`,
//!   `contract_not_active`), since the contract is read there too.

use santepki_authority::RevocationReason;
use santepki_domain::form413::Form413;
use santepki_domain::values::{ContractKind, FormState, HabilitationState, ProductState};
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::ordering::{self as order_store, ProductRow};
use santepki_storage::registration::{self as store, ContractRow, HabilitationRow};
use santepki_storage::{time, WriteTx};

use crate::{Actor, RegError, Registration};

/// Why habilitations, forms and certificates ended, as recorded.
const REASON: &str = "contrat résilié (R3)";

/// What a termination ended.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct TerminationEffects {
    /// Habilitations withdrawn.
    pub habilitations: Vec<String>,
    /// Forms withdrawn (unsigned) or rejected (awaiting the decision).
    pub forms: Vec<String>,
    /// Product numbers whose certificate was revoked.
    pub products: Vec<String>,
}

impl Registration {
    /// The structure identifiers a legal entity's forms 413 named: those its contract covers.
    async fn structures_of_entity(&self, entity: &str) -> Result<Vec<String>, RegError> {
        let mut out: Vec<String> = Vec::new();
        for f in store::forms_about(self.db(), entity, 10_000).await? {
            if f.legal_entity != entity {
                continue;
            }
            let Ok(form) = serde_json::from_str::<Form413>(&f.body) else { continue };
            for id in form.identifiers {
                let id = id.trim().to_owned();
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    /// Step 1 of a termination, in the caller's transaction (the one that marks the contract
    /// terminated): habilitations withdrawn, pending forms closed. Returns what it ended and the
    /// structures whose certificates [`Self::revoke_under_termination`] revokes.
    pub(crate) async fn end_under_contract(
        &self,
        conn: &mut store::Conn,
        actor: &Actor,
        contract: &ContractRow,
    ) -> Result<(TerminationEffects, Vec<String>), RegError> {
        let now = time::now();
        let entity = contract.legal_entity.as_str();
        let structures = self.structures_of_entity(entity).await?;
        let mut habilitations: Vec<HabilitationRow> = Vec::new();
        for s in &structures {
            habilitations.extend(store::habilitations_of_structure(self.db(), s).await?);
        }
        if contract.kind == ContractKind::Vendor {
            habilitations.extend(store::habilitations_of_vendor(self.db(), entity).await?);
        }
        let mut effects = TerminationEffects::default();
        for h in habilitations.into_iter().filter(|h| h.state == HabilitationState::Active) {
            if effects.habilitations.contains(&h.id)
                || !store::withdraw_habilitation(conn, &h.id, &actor.card_number, REASON, &now).await?
            {
                continue;
            }
            let after = HabilitationRow {
                state: HabilitationState::Withdrawn,
                withdrawn_by: Some(actor.card_number.clone()),
                withdrawn_reason: Some(REASON.into()),
                updated_at: now.clone(),
                ..h.clone()
            };
            audit::append(
                &mut *conn,
                &AuditEvent::new(&actor.audit_id(), "habilitation.withdrawn", &format!("habilitation:{}", h.id))
                    .before(&h)
                    .after(&after),
            )
            .await?;
            effects.habilitations.push(h.id);
        }
        for f in store::forms_about(self.db(), entity, 10_000).await? {
            let closed = match f.state {
                FormState::AwaitingSignature => store::withdraw_form(conn, &f.id, &now).await?,
                FormState::Acknowledged => {
                    store::decide_form(conn, &f.id, FormState::Rejected, &actor.card_number, Some(REASON), &now).await?
                }
                _ => false,
            };
            if closed {
                audit::append(
                    &mut *conn,
                    &AuditEvent::new(&actor.audit_id(), "form413.closed", &format!("form413:{}", f.id))
                        .after(&serde_json::json!({ "before": f.state, "reason": REASON })),
                )
                .await?;
                effects.forms.push(f.id);
            }
        }
        Ok((effects, structures))
    }

    /// Revokes the live certificates of the structures a termination ended, in the termination's
    /// transaction (a crash cannot leave a terminated contract over live certificates, the class
    /// of issue 15, point 10); returns their serials, whose cached status the caller drops after
    /// the commit ([`santepki_authority::Authority::forget_status`]).
    pub(crate) async fn revoke_under_termination(
        &self,
        tx: &mut WriteTx,
        actor: &Actor,
        structures: &[String],
        effects: &mut TerminationEffects,
    ) -> Result<Vec<String>, RegError> {
        let Some(authority) = self.authority() else { return Ok(Vec::new()) };
        let now = time::now();
        let mut revoked = Vec::new();
        for s in structures {
            for p in order_store::live_products_of_structure(self.db(), s, &now).await? {
                // A certificate not `issued` (pending, already revoked) writes nothing here: the
                // recovery pass settles it.
                match authority
                    .revoke_in(tx, &p.serial, RevocationReason::CessationOfOperation, &actor.audit_id())
                    .await
                {
                    Ok(_) => {}
                    Err(e) if matches!(e.code(), "already_revoked" | "not_issued") => continue,
                    Err(e) => return Err(RegError::Issue(e.to_string())),
                }
                let after = ProductRow { state: ProductState::Revoked, updated_at: now.clone(), ..p.clone() };
                audit::append(
                    &mut **tx,
                    &AuditEvent::new(&actor.audit_id(), "product.revoked", &format!("product:{}", p.id))
                        .before(&p)
                        .after(
                            &serde_json::json!({ "product": after, "reason": "cessationOfOperation", "why": REASON }),
                        ),
                )
                .await?;
                revoked.push(p.serial.clone());
                effects.products.push(p.number);
            }
        }
        Ok(revoked)
    }
}
