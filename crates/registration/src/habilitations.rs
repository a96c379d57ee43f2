//! Habilitations (R25, R27, R49): which technical administrator may order certificates for which
//! structure identifier. Created by a validated form 413; withdrawn by the structure, the
//! administrator, their vendor or the agency; moved between a vendor's own administrators
//! without a new form per client (R49).

use std::collections::HashMap;

use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::directory as dir;
use santepki_storage::registration::{self as store, HabilitationRow};
use santepki_storage::time;
use serde::{Deserialize, Serialize};

use santepki_domain::values::{FormState, HabilitationState};

use crate::{mail, new_id, Actor, RegError, Registration};

/// A habilitation with the names people read.
#[derive(Debug, Clone, Serialize)]
pub struct HabilitationView {
    #[serde(flatten)]
    /// The habilitation record (structure identifier × technical administrator, R25).
    pub row: HabilitationRow,
    /// The structure's name (raison sociale), when known.
    pub structure_name: Option<String>,
    /// The technical administrator's name as on the card.
    pub administrator: String,
    /// The vendor the administrator works for, when a CPA holder (R49).
    pub vendor_name: Option<String>,
}

/// Moving a vendor's habilitations from one of its administrators to another (R49).
#[derive(Debug, Clone, Deserialize)]
pub struct Transfer {
    /// Card number of the administrator giving up the habilitations.
    pub from_card: String,
    /// Card number of the administrator receiving them.
    pub to_card: String,
    /// Only these structure identifiers (default: all of the vendor's).
    #[serde(default)]
    pub structures: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
/// What a transfer did (R49).
pub struct TransferOutcome {
    /// Habilitations moved to the new administrator.
    pub moved: usize,
    /// Structures the new administrator already administered.
    pub already: usize,
    /// The new administrator's habilitations created by the transfer.
    pub habilitations: Vec<HabilitationRow>,
}

impl Registration {
    /// What the pages show of habilitations: the structure's name, the administrator's and the
    /// vendor's. Each name is read once per call, not once per row: a vendor's administrator
    /// may hold thousands of habilitations (R48) and the portal lists them on every product page.
    async fn views(&self, rows: Vec<HabilitationRow>) -> Result<Vec<HabilitationView>, RegError> {
        let ids: Vec<String> = rows.iter().map(|r| r.idnat_struct.clone()).collect();
        let mut structures: HashMap<String, Option<String>> =
            dir::structure_names(self.db(), &ids).await?.into_iter().map(|(k, v)| (k, Some(v))).collect();
        let mut administrators: HashMap<String, String> = HashMap::new();
        let mut vendors: HashMap<String, Option<String>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let structure_name = match structures.get(&row.idnat_struct) {
                Some(name) => name.clone(),
                // Not under that idNat_Struct: an establishment named by its SIRET (R17).
                None => {
                    let name = self.locate(&row.idnat_struct).await?.map(|l| l.row.name);
                    structures.insert(row.idnat_struct.clone(), name.clone());
                    name
                }
            };
            let administrator = match administrators.get(&row.card_number) {
                Some(name) => name.clone(),
                None => {
                    let name = match dir::card(self.db(), &row.card_number).await? {
                        Some(c) => match dir::professional(self.db(), &c.idnat_ps).await? {
                            Some(p) => format!("{} {}", p.first_name, p.last_name),
                            None => c.idnat_ps,
                        },
                        None => row.card_number.clone(),
                    };
                    administrators.insert(row.card_number.clone(), name.clone());
                    name
                }
            };
            let vendor_name = match &row.vendor {
                Some(v) => match vendors.get(v) {
                    Some(name) => name.clone(),
                    None => {
                        let name = store::contract_by_entity(self.db().pool(), v).await?.map(|c| c.name);
                        vendors.insert(v.clone(), name.clone());
                        name
                    }
                },
                None => None,
            };
            out.push(HabilitationView { row, structure_name, administrator, vendor_name });
        }
        Ok(out)
    }

    /// The actor's own habilitations (what they may order for, R27).
    pub async fn my_habilitations(&self, actor: &Actor) -> Result<Vec<HabilitationView>, RegError> {
        self.views(store::habilitations_of_card(self.db().pool(), &actor.card_number).await?).await
    }

    /// Who administers a structure's certificates (R49: every client sees it): for whoever
    /// speaks for the structure, its administrators, and operators.
    pub async fn habilitations_of_structure(
        &self,
        actor: &Actor,
        idnat: &str,
    ) -> Result<Vec<HabilitationView>, RegError> {
        let idnat = idnat.trim();
        let rows = store::habilitations_of_structure(self.db(), idnat).await?;
        let allowed = rows.iter().any(|h| h.card_number == actor.card_number)
            || self.speaks_for_structure(actor, idnat).await?
            || self.is_operator(actor).await?;
        if !allowed {
            return Err(RegError::forbidden("not_your_structure", Some("R27"), "cette structure n'est pas la vôtre"));
        }
        self.views(rows).await
    }

    /// Whether the actor speaks for the legal entity of a structure identifier.
    pub(crate) async fn speaks_for_structure(&self, actor: &Actor, idnat: &str) -> Result<bool, RegError> {
        match self.locate(idnat).await? {
            Some(l) => Ok(self.represents(actor, &l.legal_entity).await?.is_some()),
            None => Ok(false),
        }
    }

    /// The habilitations of a vendor (its legal representative, mandataires and operators).
    pub async fn habilitations_of_vendor(
        &self,
        actor: &Actor,
        vendor: &str,
    ) -> Result<Vec<HabilitationView>, RegError> {
        if self.represents(actor, vendor).await?.is_none() && !self.is_operator(actor).await? {
            return Err(RegError::forbidden("not_your_vendor", Some("R49"), "réservé à l'éditeur"));
        }
        let rows = store::habilitations_of_vendor(self.db(), vendor).await?;
        self.views(rows).await
    }

    /// Withdraws a habilitation: by the structure (its legal representative or mandataire), the
    /// administrator themself, their vendor, or an operator.
    pub async fn withdraw_habilitation(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> Result<HabilitationRow, RegError> {
        let before =
            store::habilitation(self.db().pool(), id).await?.ok_or_else(|| RegError::not_found("habilitation", id))?;
        let allowed = before.card_number == actor.card_number
            || self.speaks_for_structure(actor, &before.idnat_struct).await?
            || match &before.vendor {
                Some(v) => self.represents(actor, v).await?.is_some(),
                None => false,
            }
            || self.is_operator(actor).await?;
        if !allowed {
            return Err(RegError::not_found("habilitation", id));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(RegError::invalid("reason_required", "reason", None, "motif obligatoire"));
        }
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        if !store::withdraw_habilitation(&mut tx, id, &actor.card_number, reason, &now).await? {
            return Err(RegError::conflict("habilitation_state", format!("l'habilitation est « {} »", before.state)));
        }
        let after = HabilitationRow {
            state: HabilitationState::Withdrawn,
            withdrawn_by: Some(actor.card_number.clone()),
            withdrawn_reason: Some(reason.into()),
            updated_at: now,
            ..before.clone()
        };
        audit::append(
            &mut *tx,
            &AuditEvent::new(&actor.audit_id(), "habilitation.withdrawn", &format!("habilitation:{id}"))
                .before(&before)
                .after(&after),
        )
        .await?;
        let recipients = self.habilitation_recipients(&before).await?;
        let body = format!(
            "Bonjour,\n\nL'habilitation de la carte {} pour la structure {} est retirée.\nMotif : {reason}\n",
            before.card_number, before.idnat_struct
        );
        mail::queue(&mut tx, &recipients, "Habilitation retirée", &body, &format!("habilitation:{id}")).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The structure's signer and the administrator, from the form that made a habilitation.
    async fn habilitation_recipients(&self, h: &HabilitationRow) -> Result<Vec<String>, RegError> {
        let Some(form) = store::form(self.db().pool(), &h.form_id).await? else { return Ok(Vec::new()) };
        let Ok(body) = serde_json::from_str::<santepki_domain::form413::Form413>(&form.body) else {
            return Ok(Vec::new());
        };
        let mut to = vec![body.signer.person.email.clone()];
        to.extend(
            body.administrators.iter().filter(|a| a.card_number.trim() == h.card_number).map(|a| a.email.clone()),
        );
        Ok(to)
    }

    /// Rule R49: the vendor moves its habilitations from one of its administrators to another
    /// (turnover), without a new form per client. Only the vendor (its legal representative or a
    /// mandataire) or an operator may; both cards must be the vendor's active administrators.
    /// Each structure keeps seeing who administers it, and its signer is told.
    pub async fn transfer_habilitations(
        &self,
        actor: &Actor,
        vendor: &str,
        t: &Transfer,
    ) -> Result<TransferOutcome, RegError> {
        let vendor = vendor.trim();
        if self.represents(actor, vendor).await?.is_none() && !self.is_operator(actor).await? {
            return Err(RegError::forbidden(
                "not_your_vendor",
                Some("R49"),
                "seul l'éditeur déplace les habilitations de ses administrateurs",
            ));
        }
        let (from, to) = (t.from_card.trim(), t.to_card.trim());
        if from == to {
            return Err(RegError::invalid("same_card", "to_card", Some("R49"), "carte de destination identique"));
        }
        for (field, card) in [("from_card", from), ("to_card", to)] {
            if !self.holds_vendor_role(card, vendor).await? {
                return Err(RegError::invalid(
                    "not_vendor_administrator",
                    field,
                    Some("R49"),
                    format!("la carte {card} n'est pas administrateur de cet éditeur"),
                ));
            }
        }
        self.require_vendor_contract(to, "to_card").await?;
        let target = self.actor_for_card(to).await.map_err(|_| {
            RegError::invalid("card_invalid", "to_card", Some("R2"), format!("carte {to} expirée ou en opposition"))
        })?;
        let rows: Vec<HabilitationRow> = store::habilitations_of_card(self.db().pool(), from)
            .await?
            .into_iter()
            .filter(|h| h.vendor.as_deref() == Some(vendor))
            .filter(|h| t.structures.as_ref().is_none_or(|s| s.iter().any(|x| x.trim() == h.idnat_struct)))
            .collect();
        let now = time::now();
        let mut out = TransferOutcome { moved: 0, already: 0, habilitations: Vec::new() };
        let mut tx = self.db().begin_write().await?;
        for h in rows {
            if !store::withdraw_habilitation(
                &mut tx,
                &h.id,
                &actor.card_number,
                &format!("transférée à la carte {to} (R49)"),
                &now,
            )
            .await?
            {
                continue;
            }
            let exists = store::active_habilitation(&mut tx, &h.idnat_struct, to).await?.is_some();
            let moved = HabilitationRow {
                id: new_id("hab"),
                card_number: target.card_number.clone(),
                created_at: now.clone(),
                updated_at: now.clone(),
                ..h.clone()
            };
            if exists {
                out.already += 1;
            } else {
                store::insert_habilitation(&mut tx, &moved).await?;
            }
            audit::append(
                &mut *tx,
                &AuditEvent::new(&actor.audit_id(), "habilitation.transferred", &format!("habilitation:{}", h.id))
                    .before(&h)
                    .after(&serde_json::json!({ "to": if exists { None } else { Some(&moved) }, "to_card": to })),
            )
            .await?;
            let recipients = self.habilitation_recipients(&h).await?;
            let body = format!(
                "Bonjour,\n\nVotre éditeur a confié l'administration des certificats de la structure {} à {} {} (carte {}), à la place de la carte {from}.\n",
                h.idnat_struct, target.first_name, target.last_name, target.card_number
            );
            mail::queue(
                &mut tx,
                &recipients,
                "Changement d'administrateur technique",
                &body,
                &format!("habilitation:{}", h.id),
            )
            .await?;
            out.moved += 1;
            if !exists {
                out.habilitations.push(moved);
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// A change of a structure's technical administrators (form 503, R7): an arrival (`to_card`),
/// a departure (`from_card`), or both (a replacement).
#[derive(Debug, Clone, Deserialize)]
pub struct AdministratorChange {
    #[serde(default)]
    /// Card number of the departing administrator, whose habilitation is withdrawn.
    pub from_card: Option<String>,
    #[serde(default)]
    /// Card number of the arriving administrator, who is habilitated.
    pub to_card: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
/// What a form 503 change did (R7).
pub struct ChangeOutcome {
    /// The departing administrator's habilitation, now withdrawn.
    pub withdrawn: Option<HabilitationRow>,
    /// The arriving administrator's new habilitation (R25).
    pub created: Option<HabilitationRow>,
}

impl Registration {
    /// Form 503 (R7): the structure's legal representative or mandataire changes its technical
    /// administrators without a new form 413. The structure must already hold a validated form
    /// 413 (R1: the habilitation refers to it); the arriving card must be valid and of a kind that
    /// administers (R2).
    pub async fn change_administrator(
        &self,
        actor: &Actor,
        idnat: &str,
        change: &AdministratorChange,
    ) -> Result<ChangeOutcome, RegError> {
        let idnat = idnat.trim();
        if !self.speaks_for_structure(actor, idnat).await? && !self.is_operator(actor).await? {
            return Err(RegError::forbidden(
                "not_your_structure",
                Some("R7"),
                "seuls le représentant légal ou un mandataire de la structure changent ses administrateurs",
            ));
        }
        let from = change.from_card.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let to = change.to_card.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if from.is_none() && to.is_none() {
            return Err(RegError::invalid(
                "field_required",
                "to_card",
                Some("R7"),
                "indiquez l'administrateur qui arrive, qui part, ou les deux",
            ));
        }
        let current = store::habilitations_of_structure(self.db(), idnat).await?;
        let leaving = match from {
            Some(card) => Some(current.iter().find(|h| h.card_number == card).cloned().ok_or_else(|| {
                RegError::invalid(
                    "not_administrator",
                    "from_card",
                    Some("R7"),
                    format!("la carte {card} n'administre pas {idnat}"),
                )
            })?),
            None => None,
        };
        let arriving = match to {
            Some(card) => {
                let a = self.actor_for_card(card).await.map_err(|_| {
                    RegError::invalid(
                        "card_invalid",
                        "to_card",
                        Some("R2"),
                        format!("carte {card} inconnue, expirée ou en opposition"),
                    )
                })?;
                if !a.card_type.can_be_technical_administrator() {
                    return Err(RegError::invalid(
                        "card_type",
                        "to_card",
                        Some("R2"),
                        format!("un administrateur technique détient une CPS, CPE ou CPA, pas une {}", a.card_type),
                    ));
                }
                self.require_vendor_contract(&a.card_number, "to_card").await?;
                if current.iter().any(|h| h.card_number == a.card_number) {
                    return Err(RegError::conflict(
                        "already_administrator",
                        format!("la carte {card} administre déjà {idnat}"),
                    ));
                }
                Some(a)
            }
            None => None,
        };
        // The validated form 413 the structure's habilitations rest on (R1).
        let form_id = match (&leaving, current.first()) {
            (Some(h), _) | (None, Some(h)) => h.form_id.clone(),
            (None, None) => {
                let validated = store::forms_about(self.db(), idnat, 100)
                    .await?
                    .into_iter()
                    .find(|f| f.state == FormState::Validated);
                validated.map(|f| f.id).ok_or_else(|| {
                    RegError::conflict(
                        "no_form413",
                        format!("{idnat} n'a pas de formulaire 413 validé : déposez-en un (R1)"),
                    )
                })?
            }
        };
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        let mut out = ChangeOutcome { withdrawn: None, created: None };
        if let Some(h) = leaving {
            if !store::withdraw_habilitation(&mut tx, &h.id, &actor.card_number, "départ (formulaire 503)", &now)
                .await?
            {
                return Err(RegError::conflict("habilitation_state", "l'habilitation a changé entre-temps"));
            }
            let after = HabilitationRow {
                state: HabilitationState::Withdrawn,
                withdrawn_by: Some(actor.card_number.clone()),
                withdrawn_reason: Some("départ (formulaire 503)".into()),
                updated_at: now.clone(),
                ..h.clone()
            };
            audit::append(
                &mut *tx,
                &AuditEvent::new(&actor.audit_id(), "habilitation.withdrawn", &format!("habilitation:{}", h.id))
                    .before(&h)
                    .after(&after),
            )
            .await?;
            out.withdrawn = Some(after);
        }
        if let Some(a) = arriving {
            let h = HabilitationRow {
                id: new_id("hab"),
                idnat_struct: idnat.to_owned(),
                card_number: a.card_number.clone(),
                form_id,
                vendor: self.vendor_of_card(&a.card_number).await?,
                state: HabilitationState::Active,
                created_at: now.clone(),
                updated_at: now.clone(),
                withdrawn_by: None,
                withdrawn_reason: None,
            };
            store::insert_habilitation(&mut tx, &h).await?;
            audit::append(
                &mut *tx,
                &AuditEvent::new(&actor.audit_id(), "habilitation.created", &format!("habilitation:{}", h.id))
                    .after(&serde_json::json!({ "habilitation": h, "form": "503" })),
            )
            .await?;
            out.created = Some(h);
        }
        let body = format!(
            "Bonjour,\n\nChangement d'administrateur technique (formulaire 503) pour {idnat} :\n{}{}",
            out.withdrawn.as_ref().map(|h| format!("  départ : carte {}\n", h.card_number)).unwrap_or_default(),
            out.created.as_ref().map(|h| format!("  arrivée : carte {}\n", h.card_number)).unwrap_or_default()
        );
        let mut recipients = Vec::new();
        for h in out.withdrawn.iter().chain(out.created.iter()) {
            recipients.extend(self.habilitation_recipients(h).await?);
        }
        mail::queue(
            &mut tx,
            &recipients,
            "Changement d'administrateur technique",
            &body,
            &format!("structure:{idnat}"),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}
