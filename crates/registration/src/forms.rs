//! The digital form 413 and its workflow (R19–R26, R47, R48):
//!
//! ```text
//! prepared ──sign (card session or CMS)──▶ acknowledged (reference, mail) ──operator──▶ validated → habilitations (R25)
//!    │                                                                          └────▶ rejected (reason, mail)
//!    └──withdraw──▶ withdrawn
//! ```
//!
//! Whoever prepares a form (the structure, or its vendor's administrator, R48) is not who commits
//! the structure: its signer does, with their card (R20, R47). The rules are checked when the
//! form is prepared, again when it is signed and again when it is validated, since cards expire,
//! contracts end and the directory changes in between.

use chrono::Utc;
use santepki_domain::calendar;
use santepki_domain::form413::{self, Form413, ProposedForm, Refusal, SituationFacts, StructureCase};
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::directory as dir;
use santepki_storage::registration::{self as store, FormRow, HabilitationRow};
use santepki_storage::time;
use serde::{Deserialize, Serialize};

use crate::{mail, new_id, Actor, RegError, Registration};
use santepki_domain::values::{FormState, HabilitationState, RoleKind, RoleState, SignatureMethod};

/// The agency's target for deciding a file, in French working days (R24).
pub const TARGET_WORKING_DAYS: u32 = 3;

/// How the signer signs (R47).
pub enum Signature<'a> {
    /// A confirmation over the signer's own card-authenticated session (the portal).
    Session,
    /// A detached CMS signature over the form's `content`, made with the card's key (the API).
    Cms(&'a [u8]),
}

/// A form as the API shows it: the stored row, the form itself, and its habilitations once
/// validated.
#[derive(Debug, Clone, Serialize)]
pub struct FormView {
    #[serde(flatten)]
    /// The stored form record: state, reference, dates.
    pub row: FormRow,
    /// The form 413 as submitted.
    pub form: Form413,
    /// The habilitations its validation created (R25); empty before.
    pub habilitations: Vec<HabilitationRow>,
}

/// A form waiting for the back office, with its age in French working days (R24).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueuedForm {
    /// The form's identifier.
    pub id: String,
    /// The file reference number given on acknowledgement (R24).
    pub reference: Option<String>,
    #[schema(value_type = santepki_domain::form413::StructureCase)]
    /// Which structure case of the form 413 (R10–R18).
    pub structure_case: String,
    /// The legal entity the form is for (FINESS juridique, SIREN…).
    pub legal_entity: String,
    /// The structure identifiers to habilitate (FINESS, SIRET or RPPS rang).
    pub identifiers: Vec<String>,
    /// When the acknowledgement was sent (R24).
    pub acknowledged_at: Option<String>,
    /// Working days since acknowledgement.
    pub age_working_days: u32,
    /// Older than the 3-working-day target (R24).
    pub overdue: bool,
    /// The bulk submission the form came in, if any (R48).
    pub bulk_id: Option<String>,
}

/// The operator's decision.
#[derive(Debug, Clone, Deserialize)]
pub struct Decision {
    /// `validate` or `reject`.
    pub decision: String,
    /// Mandatory for a rejection (R24: the structure is told why).
    #[serde(default)]
    pub reason: Option<String>,
}

impl Decision {
    /// `(approve, reason)`: the decision word checked, and the reason a rejection requires (R24).
    fn parse(&self) -> Result<(bool, Option<&str>), RegError> {
        let approve = match self.decision.trim() {
            "validate" => true,
            "reject" => false,
            _ => return Err(RegError::invalid("decision", "decision", Some("R24"), "« validate » ou « reject »")),
        };
        let reason = self.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if !approve && reason.is_none() {
            return Err(RegError::invalid(
                "reason_required",
                "reason",
                Some("R24"),
                "le motif du rejet est obligatoire",
            ));
        }
        Ok((approve, reason))
    }
}

fn operator_conflict(why: String) -> RegError {
    RegError::forbidden(
        "operator_conflict",
        Some("R24"),
        format!("un opérateur ne décide pas un dossier qui le concerne : {why}"),
    )
}

/// What a bulk submission did (R48): the forms made, and those refused with their reasons.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BulkOutcome {
    /// Identifier of the bulk submission (R48).
    pub bulk_id: String,
    /// The forms made.
    pub accepted: Vec<BulkAccepted>,
    /// The forms refused, with their reasons.
    pub refused: Vec<BulkRefused>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
/// A form made by a bulk submission (R48).
pub struct BulkAccepted {
    /// Position of the form in the submitted list.
    pub index: usize,
    /// The new form's identifier.
    pub id: String,
    /// The structure identifiers it habilitates.
    pub identifiers: Vec<String>,
    /// The exact bytes the client's signer signs.
    pub content: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
/// A form a bulk submission refused (R48).
pub struct BulkRefused {
    /// Position of the form in the submitted list.
    pub index: usize,
    /// Every refusal, each with its field and rule.
    pub refusals: Vec<Refusal>,
}

/// What a bulk decision did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BulkDecision {
    /// Forms decided.
    pub decided: usize,
    /// Habilitations created by the validations (R25).
    pub habilitations: usize,
    /// Forms not decided: not signed yet, or refused on re-validation (with why).
    /// `[form id, why]` pairs.
    #[schema(value_type = Vec<Vec<String>>)]
    pub skipped: Vec<(String, String)>,
}

/// Forms the directory suggests (R26), each with its rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Proposal {
    #[serde(flatten)]
    /// The proposed form 413: its structure case and identifiers.
    pub form: ProposedForm,
    /// The rule of RULES.md the case follows (R10–R18).
    pub rule: &'static str,
    /// The directory name (raison sociale) of each identifier, same order; empty if unknown.
    pub names: Vec<String>,
}

/// Bytes a signer signs: the form id and the form, as canonical JSON (serde's field order).
fn signed_content(id: &str, form: &Form413) -> Result<String, RegError> {
    serde_json::to_string(&serde_json::json!({ "form_id": id, "form413": form }))
        .map_err(|e| RegError::Issue(e.to_string()))
}

fn parse_body(row: &FormRow) -> Result<Form413, RegError> {
    serde_json::from_str(&row.body).map_err(|e| RegError::Issue(format!("stored form {} is unreadable: {e}", row.id)))
}

fn audit_view(row: &FormRow) -> serde_json::Value {
    // The legal entity and the structures the form is for, so that a structure's audit history
    // (events that mention it, issue 18) holds its forms.
    let structures = serde_json::from_str::<serde_json::Value>(&row.body)
        .ok()
        .and_then(|b| b.get("identifiers").cloned())
        .unwrap_or(serde_json::Value::Null);
    serde_json::json!({ "id": row.id, "state": row.state, "reference": row.reference, "legal_entity": row.legal_entity, "structures": structures, "signer_card": row.signer_card, "decided_by": row.decided_by, "reason": row.decision_reason })
}

/// Recipients of a form's mails: the signer and every administrator (R24, R25).
fn form_recipients(form: &Form413) -> Vec<String> {
    std::iter::once(form.signer.person.email.clone())
        .chain(form.administrators.iter().map(|a| a.email.clone()))
        .collect()
}

impl Registration {
    async fn check_rules(&self, form: &Form413) -> Result<(), RegError> {
        let facts = self.load_facts(form).await?;
        let refusals = form413::validate(form, &facts, self.mode());
        if refusals.is_empty() {
            Ok(())
        } else {
            Err(RegError::Refused(refusals))
        }
    }

    /// The vendor an actor prepares a form for: a vendor they administer for, when they are
    /// among the form's administrators (R48).
    async fn vendor_for(&self, actor: &Actor, form: &Form413) -> Result<Option<String>, RegError> {
        if !form.administrators.iter().any(|a| a.card_number.trim() == actor.card_number) {
            return Ok(None);
        }
        Ok(self
            .vendors_of(actor)
            .await?
            .into_iter()
            .find(|(_, kind)| *kind == RoleKind::VendorAdministrator)
            .map(|(e, _)| e))
    }

    /// Who may prepare a form: its signer, one of its administrators (a vendor prepares the form
    /// for its client, R48), whoever speaks for the structure, or an operator.
    async fn may_prepare(&self, actor: &Actor, form: &Form413, legal_entity: &str) -> Result<bool, RegError> {
        Ok(form.signer.person.card_number.trim() == actor.card_number
            || form.administrators.iter().any(|a| a.card_number.trim() == actor.card_number)
            || self.represents(actor, legal_entity).await?.is_some()
            || self.is_operator(actor).await?)
    }

    async fn legal_entity_of(&self, form: &Form413) -> Result<String, RegError> {
        let first = form.identifiers.first().map(|s| s.trim()).unwrap_or_default();
        Ok(self.locate(first).await?.map(|l| l.legal_entity).unwrap_or_else(|| first.to_owned()))
    }

    fn new_form_row(
        &self,
        actor: &Actor,
        form: &Form413,
        legal_entity: String,
        vendor: Option<String>,
        bulk_id: Option<String>,
    ) -> Result<FormRow, RegError> {
        let id = new_id("f413");
        let now = time::now();
        Ok(FormRow {
            content: signed_content(&id, form)?,
            id,
            reference: None,
            structure_case: serde_json::to_value(form.case)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            body: serde_json::to_string(form).map_err(|e| RegError::Issue(e.to_string()))?,
            state: FormState::AwaitingSignature,
            legal_entity,
            bulk_id,
            vendor,
            created_by: actor.card_number.clone(),
            created_at: now.clone(),
            signer_card: Some(form.signer.person.card_number.trim().to_owned()),
            signature_method: None,
            signature: None,
            signed_at: None,
            acknowledged_at: None,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            updated_at: now,
        })
    }

    async fn insert_prepared(
        &self,
        conn: &mut store::Conn,
        actor: &Actor,
        row: &FormRow,
        form: &Form413,
    ) -> Result<(), RegError> {
        let ids: Vec<String> = form.identifiers.iter().map(|s| s.trim().to_owned()).collect();
        store::insert_form(conn, row, &ids).await?;
        audit::append(
            &mut *conn,
            &AuditEvent::new(&actor.audit_id(), "form413.prepared", &format!("form413:{}", row.id))
                .after(&audit_view(row)),
        )
        .await?;
        let body = format!(
            "Bonjour,\n\nUn formulaire 413 (demande d'habilitation) pour {} attend votre signature.\nIdentifiant : {}\nPréparé par la carte {}.\n\nSignez-le avec votre carte sur le portail, ou par l'API (signature CMS).\n",
            ids.join(", "),
            row.id,
            actor.card_number
        );
        mail::queue(
            conn,
            std::slice::from_ref(&form.signer.person.email),
            "Formulaire 413 à signer",
            &body,
            &format!("form413:{}", row.id),
        )
        .await
    }

    /// Prepares a form 413: checks every rule, then keeps it waiting for its signer's signature.
    pub async fn prepare_form(&self, actor: &Actor, form: Form413) -> Result<FormView, RegError> {
        let form = form.normalised();
        let legal_entity = self.legal_entity_of(&form).await?;
        if !self.may_prepare(actor, &form, &legal_entity).await? {
            return Err(RegError::forbidden(
                "not_your_structure",
                Some("R20"),
                "seuls le signataire, un administrateur nommé sur le formulaire ou le représentant de la structure préparent ce formulaire",
            ));
        }
        self.check_rules(&form).await?;
        let vendor = self.vendor_for(actor, &form).await?;
        let row = self.new_form_row(actor, &form, legal_entity, vendor, None)?;
        let mut tx = self.db().begin_write().await?;
        self.insert_prepared(&mut tx, actor, &row, &form).await?;
        tx.commit().await?;
        Ok(FormView { row, form, habilitations: Vec::new() })
    }

    /// Rule R48: a vendor's administrator prepares the forms of many client structures in one
    /// submission, naming themselves as administrator on each; each client's signer then signs
    /// their own form. Forms that break a rule are refused one by one, the others are kept.
    pub async fn prepare_bulk(&self, actor: &Actor, forms: Vec<Form413>) -> Result<BulkOutcome, RegError> {
        if forms.is_empty() {
            return Err(RegError::invalid("bulk_empty", "forms", Some("R48"), "aucun formulaire"));
        }
        if forms.len() > 5000 {
            return Err(RegError::invalid(
                "bulk_too_large",
                "forms",
                Some("R48"),
                "au plus 5000 formulaires par envoi",
            ));
        }
        let vendors = self.vendors_of(actor).await?;
        let Some((vendor, _)) = vendors.into_iter().find(|(_, k)| *k == RoleKind::VendorAdministrator) else {
            return Err(RegError::forbidden(
                "not_vendor_administrator",
                Some("R48"),
                "l'envoi groupé est réservé aux administrateurs d'un éditeur",
            ));
        };
        let bulk_id = new_id("bulk");
        let mut accepted_rows = Vec::new();
        let mut refused = Vec::new();
        for (index, form) in forms.into_iter().enumerate() {
            let form = form.normalised();
            if !form.administrators.iter().any(|a| a.card_number.trim() == actor.card_number) {
                refused.push(BulkRefused {
                    index,
                    refusals: vec![Refusal {
                        field: "/administrators".into(),
                        rule: "R48",
                        message: "l'administrateur qui envoie doit figurer sur chaque formulaire".into(),
                    }],
                });
                continue;
            }
            if let Err(e) = self.check_rules(&form).await {
                match e {
                    RegError::Refused(refusals) => refused.push(BulkRefused { index, refusals }),
                    other => return Err(other),
                }
                continue;
            }
            let legal_entity = self.legal_entity_of(&form).await?;
            let row = self.new_form_row(actor, &form, legal_entity, Some(vendor.clone()), Some(bulk_id.clone()))?;
            accepted_rows.push((index, row, form));
        }
        let mut tx = self.db().begin_write().await?;
        let mut accepted = Vec::with_capacity(accepted_rows.len());
        for (index, row, form) in &accepted_rows {
            self.insert_prepared(&mut tx, actor, row, form).await?;
            accepted.push(BulkAccepted {
                index: *index,
                id: row.id.clone(),
                identifiers: form.identifiers.clone(),
                content: row.content.clone(),
            });
        }
        if !accepted.is_empty() {
            audit::append(
                &mut *tx,
                &AuditEvent::new(&actor.audit_id(), "form413.bulk-prepared", &format!("bulk:{bulk_id}"))
                    .after(&serde_json::json!({ "vendor": vendor, "forms": accepted.len(), "refused": refused.len() })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(BulkOutcome { bulk_id, accepted, refused })
    }

    /// Whether the actor may see a form: operators, its preparer, its signer, its
    /// administrators, whoever speaks for its legal entity, and its vendor's people.
    async fn may_see(&self, actor: &Actor, row: &FormRow, form: &Form413) -> Result<bool, RegError> {
        if row.created_by == actor.card_number
            || row.signer_card.as_deref() == Some(actor.card_number.as_str())
            || form.administrators.iter().any(|a| a.card_number.trim() == actor.card_number)
        {
            return Ok(true);
        }
        if self.represents(actor, &row.legal_entity).await?.is_some() || self.is_operator(actor).await? {
            return Ok(true);
        }
        match &row.vendor {
            Some(v) => Ok(self.represents(actor, v).await?.is_some()),
            None => Ok(false),
        }
    }

    /// A form, if the actor may see it (else "not found": ids of others' forms are not
    /// confirmed).
    pub async fn form(&self, actor: &Actor, id: &str) -> Result<FormView, RegError> {
        let row = store::form(self.db().pool(), id).await?.ok_or_else(|| RegError::not_found("form413", id))?;
        let form = parse_body(&row)?;
        if !self.may_see(actor, &row, &form).await? {
            return Err(RegError::not_found("form413", id));
        }
        let habilitations = store::habilitations_of_form(self.db(), id).await?;
        Ok(FormView { row, form, habilitations })
    }

    /// The forms of a bulk submission the actor may see; "not found" when they may see none.
    pub async fn bulk_forms(&self, actor: &Actor, bulk_id: &str) -> Result<Vec<FormRow>, RegError> {
        let mut out = Vec::new();
        for row in store::forms_of_bulk(self.db(), bulk_id).await? {
            let form = parse_body(&row)?;
            if self.may_see(actor, &row, &form).await? {
                out.push(row);
            }
        }
        if out.is_empty() {
            return Err(RegError::not_found("bulk", bulk_id));
        }
        Ok(out)
    }

    /// The forms the actor prepared, signs or administers, and those of the entities they speak
    /// for.
    pub async fn forms_of(&self, actor: &Actor) -> Result<Vec<FormRow>, RegError> {
        let mut rows = store::forms_of_card(self.db(), &actor.card_number, 1000).await?;
        for role in self.active_roles(actor).await? {
            if role.kind == RoleKind::Operator {
                continue;
            }
            if let Some(e) = role.legal_entity {
                rows.extend(store::forms_about(self.db(), &e, 1000).await?);
            }
        }
        rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        rows.dedup_by(|a, b| a.id == b.id);
        Ok(rows)
    }

    /// Signs a form (R47) and acknowledges it with a file reference number (R24). Only the
    /// signer the form names may sign, with a valid card; over the API the CMS signature must
    /// verify against the card chain and come from that card.
    pub async fn sign_form(&self, actor: &Actor, id: &str, signature: Signature<'_>) -> Result<FormView, RegError> {
        let before = store::form(self.db().pool(), id).await?.ok_or_else(|| RegError::not_found("form413", id))?;
        let form = parse_body(&before)?;
        if !self.may_see(actor, &before, &form).await? {
            return Err(RegError::not_found("form413", id));
        }
        let signer = form.signer.person.card_number.trim();
        if actor.card_number != signer {
            return Err(RegError::forbidden(
                "not_the_signer",
                Some("R20"),
                format!("ce formulaire est signé par la carte {signer}"),
            ));
        }
        if before.state != FormState::AwaitingSignature {
            return Err(RegError::conflict("form_state", format!("le formulaire est « {} »", before.state)));
        }
        let (method, bytes) = match signature {
            Signature::Session => (SignatureMethod::Session, None),
            Signature::Cms(cms) => {
                let card = self.require_authority()?.verify_card_signature(before.content.as_bytes(), cms).await?;
                if card.card_number != signer {
                    return Err(RegError::forbidden(
                        "not_the_signer",
                        Some("R20"),
                        format!("signé avec la carte {}, attendu {signer}", card.card_number),
                    ));
                }
                (SignatureMethod::Cms, Some(cms.to_vec()))
            }
        };
        self.check_rules(&form).await?;
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        let year = &now[..4];
        let n = store::next_counter(&mut tx, &format!("form413:{year}")).await?;
        let after = FormRow {
            state: FormState::Acknowledged,
            reference: Some(format!("413-{year}-{n:06}")),
            signer_card: Some(signer.to_owned()),
            signature_method: Some(method),
            signature: bytes,
            signed_at: Some(now.clone()),
            acknowledged_at: Some(now.clone()),
            updated_at: now,
            ..before.clone()
        };
        if !store::sign_form(&mut tx, &after).await? {
            return Err(RegError::conflict("form_state", "le formulaire a changé entre-temps"));
        }
        audit::append(
            &mut *tx,
            &AuditEvent::new(&actor.audit_id(), "form413.signed", &format!("form413:{id}"))
                .before(&audit_view(&before))
                .after(&audit_view(&after)),
        )
        .await?;
        let reference = after.reference.clone().unwrap_or_default();
        let body = format!(
            "Bonjour,\n\nVotre formulaire 413 pour {} a été signé et reçu.\nNuméro de dossier : {reference}\n\nL'Agence le traite sous {TARGET_WORKING_DAYS} jours ouvrés.\n",
            form.identifiers.join(", ")
        );
        let mut to = form_recipients(&form);
        to.extend(self.mail.agency.clone());
        mail::queue(
            &mut tx,
            &to,
            &format!("Accusé de réception du formulaire 413 — dossier {reference}"),
            &body,
            &format!("form413:{id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(FormView { row: after, form, habilitations: Vec::new() })
    }

    /// Withdraws a form not signed yet: its preparer, its signer, or an operator.
    pub async fn withdraw_form(&self, actor: &Actor, id: &str) -> Result<FormRow, RegError> {
        let before = store::form(self.db().pool(), id).await?.ok_or_else(|| RegError::not_found("form413", id))?;
        let form = parse_body(&before)?;
        if !self.may_see(actor, &before, &form).await? {
            return Err(RegError::not_found("form413", id));
        }
        if before.created_by != actor.card_number
            && before.signer_card.as_deref() != Some(actor.card_number.as_str())
            && !self.is_operator(actor).await?
        {
            return Err(RegError::forbidden(
                "not_allowed",
                None,
                "seuls le préparateur et le signataire retirent le formulaire",
            ));
        }
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        if !store::withdraw_form(&mut tx, id, &now).await? {
            return Err(RegError::conflict("form_state", format!("le formulaire est « {} »", before.state)));
        }
        let after = FormRow { state: FormState::Withdrawn, updated_at: now, ..before.clone() };
        audit::append(
            &mut *tx,
            &AuditEvent::new(&actor.audit_id(), "form413.withdrawn", &format!("form413:{id}"))
                .before(&audit_view(&before))
                .after(&audit_view(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Why this operator may not decide this form: they would be deciding for themselves —
    /// named on it, speaking or working for the structure, or practising there.
    async fn conflict_of_interest(
        &self,
        actor: &Actor,
        row: &FormRow,
        form: &Form413,
    ) -> Result<Option<String>, RegError> {
        if row.created_by == actor.card_number
            || form.signer.person.card_number.trim() == actor.card_number
            || form.administrators.iter().any(|a| a.card_number.trim() == actor.card_number)
        {
            return Ok(Some("vous figurez sur ce formulaire".into()));
        }
        for role in self.active_roles(actor).await? {
            if role.kind != RoleKind::Operator
                && (role.legal_entity.as_deref() == Some(row.legal_entity.as_str()) || role.legal_entity == row.vendor)
            {
                return Ok(Some(format!("vous avez un rôle ({}) pour cette structure", role.kind)));
            }
        }
        if actor.idnat_ps == row.legal_entity {
            return Ok(Some("ce sont vos propres cabinets".into()));
        }
        // Where the operator practises, and the legal entities of those sites (looked up once).
        let own: Vec<String> = dir::situations_of(self.db(), &actor.idnat_ps, false)
            .await?
            .into_iter()
            .filter_map(|s| s.idnat_struct)
            .collect();
        let mut own_entities = Vec::with_capacity(own.len());
        for o in &own {
            if let Some(l) = self.locate(o).await? {
                own_entities.push(l.legal_entity);
            }
        }
        for id in &form.identifiers {
            let id = id.trim();
            if own.iter().any(|o| o == id) {
                return Ok(Some(format!("vous exercez dans la structure {id}")));
            }
            // Sites of the same legal entity count too.
            if let Some(l) = self.locate(id).await? {
                if own_entities.contains(&l.legal_entity) {
                    return Ok(Some(format!("vous exercez dans une structure de {}", l.legal_entity)));
                }
            }
        }
        Ok(None)
    }

    /// An operator validates or rejects a signed form (R24). Validation creates one habilitation
    /// per (structure identifier × technical administrator) (R25); both outcomes are mailed to
    /// the structure and its administrators. An operator never decides a form of their own
    /// structure.
    pub async fn decide_form(&self, actor: &Actor, id: &str, decision: &Decision) -> Result<FormView, RegError> {
        self.require_operator(actor).await?;
        let before = store::form(self.db().pool(), id).await?.ok_or_else(|| RegError::not_found("form413", id))?;
        let form = parse_body(&before)?;
        let (approve, reason) = decision.parse()?;
        if let Some(why) = self.conflict_of_interest(actor, &before, &form).await? {
            return Err(operator_conflict(why));
        }
        if before.state != FormState::Acknowledged {
            return Err(RegError::conflict("form_state", format!("le formulaire est « {} »", before.state)));
        }
        if approve {
            // Cards may have expired and contracts ended since the signature.
            self.check_rules(&form).await?;
        }
        let mut tx = self.db().begin_write().await?;
        let habilitations = self.record_decision(&mut tx, actor, &before, &form, approve, reason).await?;
        tx.commit().await?;
        let row = store::form(self.db().pool(), id).await?.ok_or_else(|| RegError::not_found("form413", id))?;
        Ok(FormView { row, form, habilitations })
    }

    async fn record_decision(
        &self,
        conn: &mut store::Conn,
        actor: &Actor,
        before: &FormRow,
        form: &Form413,
        approve: bool,
        reason: Option<&str>,
    ) -> Result<Vec<HabilitationRow>, RegError> {
        let now = time::now();
        let state = if approve { FormState::Validated } else { FormState::Rejected };
        if !store::decide_form(conn, &before.id, state, &actor.card_number, reason, &now).await? {
            return Err(RegError::conflict("form_state", "le formulaire a été décidé entre-temps"));
        }
        let after = FormRow {
            state,
            decided_by: Some(actor.card_number.clone()),
            decided_at: Some(now.clone()),
            decision_reason: reason.map(str::to_owned),
            updated_at: now.clone(),
            ..before.clone()
        };
        let action = if approve { "form413.validated" } else { "form413.rejected" };
        audit::append(
            &mut *conn,
            &AuditEvent::new(&actor.audit_id(), action, &format!("form413:{}", before.id))
                .before(&audit_view(before))
                .after(&audit_view(&after)),
        )
        .await?;
        let reference = before.reference.clone().unwrap_or_default();
        let mut created = Vec::new();
        if approve {
            for (idnat, card) in form413::habilitations(form) {
                if store::active_habilitation(conn, &idnat, &card).await?.is_some() {
                    continue;
                }
                // The vendor the administrator works for (R49), whoever prepared the form.
                let vendor = match &before.vendor {
                    Some(v) if self.holds_vendor_role(&card, v).await? => Some(v.clone()),
                    _ => self.vendor_of_card(&card).await?,
                };
                let h = HabilitationRow {
                    id: new_id("hab"),
                    idnat_struct: idnat.clone(),
                    card_number: card.clone(),
                    form_id: before.id.clone(),
                    vendor,
                    state: HabilitationState::Active,
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    withdrawn_by: None,
                    withdrawn_reason: None,
                };
                store::insert_habilitation(conn, &h).await?;
                audit::append(
                    &mut *conn,
                    &AuditEvent::new(&actor.audit_id(), "habilitation.created", &format!("habilitation:{}", h.id))
                        .after(&h),
                )
                .await?;
                created.push(h);
            }
            let body = format!(
                "Bonjour,\n\nLe dossier {reference} (formulaire 413 pour {}) est validé.\nLes administrateurs techniques habilités peuvent commander les certificats de ces structures :\n{}\n",
                form.identifiers.join(", "),
                form.administrators.iter().map(|a| format!("  - {} {} (carte {})", a.first_names, a.last_name, a.card_number)).collect::<Vec<_>>().join("\n")
            );
            mail::queue(
                conn,
                &form_recipients(form),
                &format!("Dossier {reference} validé"),
                &body,
                &format!("form413:{}", before.id),
            )
            .await?;
        } else {
            let body = format!(
                "Bonjour,\n\nLe dossier {reference} (formulaire 413 pour {}) est rejeté.\nMotif : {}\n\nCorrigez le formulaire et soumettez-en un nouveau.\n",
                form.identifiers.join(", "),
                reason.unwrap_or_default()
            );
            mail::queue(
                conn,
                &form_recipients(form),
                &format!("Dossier {reference} rejeté"),
                &body,
                &format!("form413:{}", before.id),
            )
            .await?;
        }
        Ok(created)
    }

    /// The vendor a card is an active administrator of, if any.
    pub(crate) async fn vendor_of_card(&self, card: &str) -> Result<Option<String>, RegError> {
        Ok(store::roles_of_card(self.db(), card)
            .await?
            .into_iter()
            .find(|r| r.kind == RoleKind::VendorAdministrator && r.state == RoleState::Active)
            .and_then(|r| r.legal_entity))
    }

    pub(crate) async fn holds_vendor_role(&self, card: &str, vendor: &str) -> Result<bool, RegError> {
        Ok(store::roles_of_card(self.db(), card).await?.iter().any(|r| {
            r.kind == RoleKind::VendorAdministrator
                && r.state == RoleState::Active
                && r.legal_entity.as_deref() == Some(vendor)
        }))
    }

    /// Decides every signed form of a bulk submission at once (R48). Forms not signed yet, and
    /// those a re-check refuses, are skipped and listed.
    pub async fn decide_bulk(
        &self,
        actor: &Actor,
        bulk_id: &str,
        decision: &Decision,
    ) -> Result<BulkDecision, RegError> {
        self.require_operator(actor).await?;
        let rows = store::forms_of_bulk(self.db(), bulk_id).await?;
        if rows.is_empty() {
            return Err(RegError::not_found("bulk", bulk_id));
        }
        let (approve, reason) = decision.parse()?;
        let mut out = BulkDecision::default();
        let mut ready = Vec::new();
        for row in rows {
            let form = parse_body(&row)?;
            if row.state != FormState::Acknowledged {
                out.skipped.push((row.id.clone(), format!("état « {} »", row.state)));
                continue;
            }
            if let Some(why) = self.conflict_of_interest(actor, &row, &form).await? {
                return Err(operator_conflict(why));
            }
            if approve {
                if let Err(RegError::Refused(r)) = self.check_rules(&form).await {
                    out.skipped.push((row.id.clone(), r.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("; ")));
                    continue;
                }
            }
            ready.push((row, form));
        }
        let mut tx = self.db().begin_write().await?;
        for (row, form) in &ready {
            out.habilitations += self.record_decision(&mut tx, actor, row, form, approve, reason).await?.len();
            out.decided += 1;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The back office's queue: signed forms waiting for a decision, oldest first, with their
    /// age in French working days (public holidays counted, R24).
    pub async fn queue(&self, actor: &Actor) -> Result<Vec<QueuedForm>, RegError> {
        self.require_operator(actor).await?;
        let today = Utc::now().date_naive();
        let mut out = Vec::new();
        for row in store::forms_in_state(self.db(), FormState::Acknowledged, 10_000).await? {
            let form = parse_body(&row)?;
            let since = row.acknowledged_at.as_deref().and_then(time::parse).map(|t| t.date_naive()).unwrap_or(today);
            let age = calendar::working_days_between(since, today);
            out.push(QueuedForm {
                id: row.id,
                reference: row.reference,
                structure_case: row.structure_case,
                legal_entity: row.legal_entity,
                identifiers: form.identifiers,
                acknowledged_at: row.acknowledged_at,
                age_working_days: age,
                overdue: age > TARGET_WORKING_DAYS,
                bulk_id: row.bulk_id,
            });
        }
        Ok(out)
    }

    /// Rule R26: the forms a professional's practices need, from the directory.
    pub async fn propose_for_professional(&self, idnat_ps: &str) -> Result<Vec<Proposal>, RegError> {
        let situations = dir::situations_of(self.db(), idnat_ps.trim(), false).await?;
        let facts: Vec<SituationFacts> = situations
            .into_iter()
            .filter_map(|s| s.idnat_struct.map(|id| SituationFacts { idnat_struct: id, sector: s.sector_code }))
            .collect();
        let mut out = Vec::new();
        for form in form413::propose_forms(&facts) {
            out.push(self.proposal(form).await?);
        }
        Ok(out)
    }

    /// Rule R26 for a structure: which case and identifier its form takes.
    pub async fn propose_for_structure(&self, idnat: &str) -> Result<Vec<Proposal>, RegError> {
        let located = self.locate(idnat.trim()).await?.ok_or_else(|| RegError::not_found("structure", idnat))?;
        let row = &located.row;
        let sectors = dir::sectors_at(self.db(), &row.idnat_struct).await?;
        let has = |s: &str| sectors.iter().any(|x| x == s);
        let case = if row.kind == "legal_entity" {
            StructureCase::MedicoSocialManager
        } else if row.idnat_struct.starts_with('4') {
            StructureCase::ScmPractice
        } else if row.idnat_struct.starts_with('3') || (has("SA09") && row.finess.is_none()) {
            StructureCase::SocieteExercice
        } else if has("SA06") {
            StructureCase::Pharmacy
        } else if has("SA04") || has("SA30") {
            StructureCase::RadiologyGroup
        } else if has("SA05") || has("SA12") {
            StructureCase::LbmSelas
        } else if row.siret.is_some() {
            StructureCase::Establishment
        } else {
            StructureCase::Pharmacy
        };
        let identifier = match case {
            StructureCase::Establishment => format!("3{}", row.siret.clone().unwrap_or_default()),
            _ => row.idnat_struct.clone(),
        };
        Ok(vec![self.proposal(ProposedForm { case, identifiers: vec![identifier] }).await?])
    }

    async fn proposal(&self, form: ProposedForm) -> Result<Proposal, RegError> {
        let mut names = Vec::new();
        for id in &form.identifiers {
            names.push(self.locate(id).await?.map(|l| l.row.name).unwrap_or_default());
        }
        Ok(Proposal { rule: form.case.rule(), form, names })
    }
}
