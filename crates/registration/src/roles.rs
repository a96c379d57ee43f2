//! Roles: mandataires (R5, forms 301/502 as requests an operator approves), a vendor's technical
//! administrators (R6, R49), legal representatives (R4, form 101) and agency operators.

use santepki_domain::values::{ContractKind, ContractState, RoleKind, RoleState};
use santepki_domain::CardType;
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::registration::{self as store, RoleRow};
use santepki_storage::time;
use serde::Deserialize;

use crate::actor::Speaker;
use crate::{new_id, Actor, RegError, Registration};

/// A role to give on a contract's legal entity.
#[derive(Debug, Clone, Deserialize)]
pub struct NewRole {
    /// `mandataire`, `vendor-administrator` or `legal-representative`.
    pub kind: String,
    /// The card number of the holder receiving the role.
    pub card_number: String,
    /// The paper form the request stands for: 301 (new CPE with mandate), 502 (existing card
    /// holder), 101 (legal representative with the contract).
    #[serde(default)]
    pub form: Option<String>,
}

impl Registration {
    /// Gives a role on a contract. A mandataire is a request the legal representative makes and
    /// an operator approves (R5); a vendor manages its own administrators (R49); a legal
    /// representative is registered by an operator (R4).
    pub async fn request_role(&self, actor: &Actor, contract_id: &str, req: NewRole) -> Result<RoleRow, RegError> {
        let contract = store::contract(self.db(), contract_id)
            .await?
            .ok_or_else(|| RegError::not_found("contract", contract_id))?;
        if contract.state != ContractState::Active {
            return Err(RegError::conflict("contract_not_active", "contrat résilié"));
        }
        let operator = self.is_operator(actor).await?;
        let speaks = self.represents(actor, &contract.legal_entity).await?;
        let holder = self.actor_for_card(req.card_number.trim()).await.map_err(|_| {
            RegError::invalid(
                "card_invalid",
                "card_number",
                Some("R2"),
                format!("carte {} inconnue, expirée ou en opposition", req.card_number.trim()),
            )
        })?;
        let (kind, state, form) = match req.kind.trim().parse::<RoleKind>() {
            Ok(RoleKind::Mandataire) => {
                // R5: the legal representative designates; a mandataire cannot name another.
                if !operator && speaks != Some(Speaker::Role(RoleKind::LegalRepresentative)) {
                    return Err(RegError::forbidden(
                        "not_legal_representative",
                        Some("R5"),
                        "seul le représentant légal désigne un mandataire",
                    ));
                }
                if !matches!(holder.card_type, CardType::Cps | CardType::Cpe | CardType::Cpa) {
                    return Err(RegError::invalid(
                        "card_type",
                        "card_number",
                        Some("R5"),
                        "un mandataire détient une CPS, CPE ou CPA",
                    ));
                }
                let form = req.form.clone().unwrap_or_else(|| "502".into());
                if !matches!(form.as_str(), "301" | "502") {
                    return Err(RegError::invalid("role_form", "form", Some("R5"), "formulaire 301 ou 502"));
                }
                (RoleKind::Mandataire, if operator { RoleState::Active } else { RoleState::Requested }, form)
            }
            Ok(RoleKind::VendorAdministrator) => {
                if contract.kind != ContractKind::Vendor {
                    return Err(RegError::invalid(
                        "not_a_vendor",
                        "kind",
                        Some("R6"),
                        "ce contrat n'est pas celui d'un éditeur",
                    ));
                }
                if !operator && speaks.is_none() {
                    return Err(RegError::forbidden(
                        "not_legal_representative",
                        Some("R49"),
                        "seul l'éditeur (représentant légal ou mandataire) gère ses administrateurs",
                    ));
                }
                if !holder.card_type.can_be_technical_administrator() {
                    return Err(RegError::invalid(
                        "card_type",
                        "card_number",
                        Some("R2"),
                        "un administrateur technique détient une CPS, CPE ou CPA",
                    ));
                }
                (RoleKind::VendorAdministrator, RoleState::Active, req.form.clone().unwrap_or_else(|| "503".into()))
            }
            Ok(RoleKind::LegalRepresentative) => {
                if !operator {
                    return Err(RegError::forbidden(
                        "operator_only",
                        Some("R4"),
                        "le représentant légal est enregistré par l'Agence avec le contrat",
                    ));
                }
                if !holder.card_type.can_be_legal_representative() {
                    return Err(RegError::invalid(
                        "card_type",
                        "card_number",
                        Some("R4"),
                        "le représentant légal détient une CPS, CDE ou CDA",
                    ));
                }
                (RoleKind::LegalRepresentative, RoleState::Active, "101".to_owned())
            }
            Ok(RoleKind::Operator) | Err(_) => {
                return Err(RegError::invalid("role_kind", "kind", None, format!("rôle inconnu : {}", req.kind.trim())))
            }
        };
        let existing = store::roles_of_entity(self.db(), &contract.legal_entity).await?;
        if let Some(r) = existing
            .iter()
            .find(|r| r.kind == kind && r.card_number == holder.card_number && r.state.is_pending_or_active())
        {
            return Err(RegError::conflict("role_exists", format!("ce rôle existe déjà ({}, {})", r.id, r.state)));
        }
        let now = time::now();
        let role = RoleRow {
            id: new_id("role"),
            kind,
            legal_entity: Some(contract.legal_entity.clone()),
            card_number: holder.card_number.clone(),
            idnat_ps: holder.idnat_ps.clone(),
            form: Some(form),
            state,
            created_by: actor.audit_id(),
            created_at: now.clone(),
            updated_at: now,
        };
        let mut tx = self.db().begin_write().await?;
        store::insert_role(&mut tx, &role).await?;
        let action = if state == RoleState::Requested { "role.requested" } else { "role.created" };
        audit::append(&mut *tx, &AuditEvent::new(&actor.audit_id(), action, &format!("role:{}", role.id)).after(&role))
            .await?;
        tx.commit().await?;
        Ok(role)
    }

    /// An operator approves or refuses a role request.
    pub async fn decide_role(&self, actor: &Actor, role_id: &str, approve: bool) -> Result<RoleRow, RegError> {
        self.require_operator(actor).await?;
        let before =
            store::role(self.db().pool(), role_id).await?.ok_or_else(|| RegError::not_found("role", role_id))?;
        let to = if approve { RoleState::Active } else { RoleState::Refused };
        self.change_role(
            actor,
            before,
            RoleState::Requested,
            to,
            if approve { "role.approved" } else { "role.refused" },
        )
        .await
    }

    /// Ends a role: by an operator, by the legal representative of the entity, or by its holder.
    /// A vendor administrator who still administers structures is refused: move their
    /// habilitations to another administrator first (R49).
    pub async fn end_role(&self, actor: &Actor, role_id: &str) -> Result<RoleRow, RegError> {
        let before =
            store::role(self.db().pool(), role_id).await?.ok_or_else(|| RegError::not_found("role", role_id))?;
        let allowed = self.is_operator(actor).await?
            || before.card_number == actor.card_number
            || match &before.legal_entity {
                Some(e) => self.represents(actor, e).await?.is_some() && before.kind != RoleKind::LegalRepresentative,
                None => false,
            };
        if !allowed {
            return Err(RegError::forbidden("not_allowed", None, "vous ne pouvez pas mettre fin à ce rôle"));
        }
        if before.kind == RoleKind::VendorAdministrator {
            let held = store::habilitations_of_card(self.db().pool(), &before.card_number).await?;
            let n = held.iter().filter(|h| h.vendor.as_deref() == before.legal_entity.as_deref()).count();
            if n > 0 {
                return Err(RegError::conflict(
                    "habilitations_remaining",
                    format!("{n} habilitation(s) à transférer d'abord à un autre administrateur (R49)"),
                ));
            }
        }
        self.change_role(actor, before, RoleState::Active, RoleState::Ended, "role.ended").await
    }

    async fn change_role(
        &self,
        actor: &Actor,
        before: RoleRow,
        from: RoleState,
        to: RoleState,
        action: &str,
    ) -> Result<RoleRow, RegError> {
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        if !store::set_role_state(&mut tx, &before.id, from, to, &now).await? {
            return Err(RegError::conflict("role_state", format!("le rôle est « {} »", before.state)));
        }
        let after = RoleRow { state: to, updated_at: now, ..before.clone() };
        audit::append(
            &mut *tx,
            &AuditEvent::new(&actor.audit_id(), action, &format!("role:{}", before.id)).before(&before).after(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Role requests waiting for an operator.
    pub async fn role_requests(&self, actor: &Actor) -> Result<Vec<RoleRow>, RegError> {
        self.require_operator(actor).await?;
        Ok(store::requested_roles(self.db(), 1000).await?)
    }

    /// Makes a card an agency operator (the command line bootstraps the first ones; `by` names
    /// who did it in the audit log).
    pub async fn add_operator(&self, card_number: &str, by: &str) -> Result<RoleRow, RegError> {
        let holder = self.actor_for_card(card_number).await?;
        if store::roles_of_card(self.db(), card_number)
            .await?
            .iter()
            .any(|r| r.kind == RoleKind::Operator && r.state == RoleState::Active)
        {
            return Err(RegError::conflict("role_exists", format!("la carte {card_number} est déjà opérateur")));
        }
        let now = time::now();
        let role = RoleRow {
            id: new_id("role"),
            kind: RoleKind::Operator,
            legal_entity: None,
            card_number: holder.card_number.clone(),
            idnat_ps: holder.idnat_ps.clone(),
            form: Some("cli".into()),
            state: RoleState::Active,
            created_by: by.into(),
            created_at: now.clone(),
            updated_at: now,
        };
        let mut tx = self.db().begin_write().await?;
        store::insert_role(&mut tx, &role).await?;
        audit::append(&mut *tx, &AuditEvent::new(by, "role.created", &format!("role:{}", role.id)).after(&role))
            .await?;
        tx.commit().await?;
        Ok(role)
    }
}
