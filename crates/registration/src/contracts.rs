//! Contracts with the agency (R3, R6): one per legal entity, reused, never duplicated.

use santepki_domain::values::{ContractKind, ContractState, RoleKind, RoleState};
use santepki_domain::CardType;
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::directory as dir;
use santepki_storage::registration::{self as store, ContractRow, RoleRow};
use santepki_storage::time;
use serde::{Deserialize, Serialize};

use crate::{new_id, Actor, RegError, Registration};

/// A contract to make (back office, with the proof documents of R4 checked by the operator).
#[derive(Debug, Clone, Deserialize)]
pub struct NewContract {
    /// `1<FINESS juridique>`, `3<SIRET>` or `8<RPPS>` (the holder of RPPS-rang practices).
    pub legal_entity: String,
    /// `structure` (default) or `vendor` (R6).
    #[serde(default)]
    pub kind: Option<String>,
    /// Raison sociale; taken from the directory when omitted.
    #[serde(default)]
    pub name: Option<String>,
    /// The legal representative's card (CPS, CDE or CDA; R4), registered with the contract
    /// (form 101).
    #[serde(default)]
    pub legal_representative_card: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
/// What making a contract did: the contract, reused or new (R3), and its legal representative (R4).
pub struct ContractOutcome {
    /// The contract of the legal entity.
    pub contract: ContractRow,
    /// True when the legal entity already had a contract (R3: reused, not duplicated).
    pub reused: bool,
    /// The legal representative's role, when the request named one (R4).
    pub legal_representative: Option<RoleRow>,
}

/// A contract with its roles.
#[derive(Debug, Clone, Serialize)]
pub struct ContractView {
    /// The contract record.
    pub contract: ContractRow,
    /// Every role given on the contract's legal entity (R4, R5, R6).
    pub roles: Vec<RoleRow>,
}

impl Registration {
    /// Makes a contract (operators only), or returns the existing one for that legal entity
    /// (R3), adding the legal representative when given.
    pub async fn create_contract(&self, actor: &Actor, req: NewContract) -> Result<ContractOutcome, RegError> {
        self.require_operator(actor).await?;
        let entity = req.legal_entity.trim().to_owned();
        let kind: ContractKind = req
            .kind
            .as_deref()
            .unwrap_or("structure")
            .trim()
            .parse()
            .map_err(|_| RegError::invalid("contract_kind", "kind", Some("R3"), "« structure » ou « vendor »"))?;
        let digits_ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let directory_name = match entity.as_bytes().first() {
            Some(b'1') if digits_ok(&entity[1..], 9) => {
                let row = dir::structure(self.db(), &entity).await?;
                match row {
                    Some(r) if r.kind == "legal_entity" => Some(r.name),
                    Some(_) => {
                        return Err(RegError::invalid(
                            "contract_entity",
                            "legal_entity",
                            Some("R3"),
                            "le contrat se fait sur le FINESS juridique, pas un FINESS géographique",
                        ))
                    }
                    None => {
                        return Err(RegError::invalid(
                            "contract_entity",
                            "legal_entity",
                            Some("R3"),
                            "FINESS juridique absent de l'annuaire",
                        ))
                    }
                }
            }
            Some(b'3')
                if digits_ok(&entity[1..], 14)
                    || (self.mode() == santepki_domain::ValidationMode::Test && digits_ok(&entity[1..], 13)) =>
            {
                self.locate(&entity).await?.map(|l| l.row.name)
            }
            Some(b'8') if digits_ok(&entity[1..], 11) => {
                let p = dir::professional(self.db(), &entity).await?.ok_or_else(|| {
                    RegError::invalid(
                        "contract_entity",
                        "legal_entity",
                        Some("R3"),
                        "professionnel absent de l'annuaire",
                    )
                })?;
                Some(format!("{} {}", p.last_name, p.first_name))
            }
            _ => {
                return Err(RegError::invalid(
                    "contract_entity",
                    "legal_entity",
                    Some("R3"),
                    "attendu : 1 + FINESS juridique, 3 + SIRET, ou 8 + RPPS",
                ))
            }
        };
        if kind == ContractKind::Vendor && !entity.starts_with('3') {
            return Err(RegError::invalid(
                "contract_entity",
                "legal_entity",
                Some("R6"),
                "un éditeur contracte avec son SIRET",
            ));
        }
        let name = req.name.clone().filter(|n| !n.trim().is_empty()).or(directory_name).ok_or_else(|| {
            RegError::invalid("contract_name", "name", Some("R3"), "raison sociale obligatoire hors annuaire")
        })?;

        let lr_card = match req.legal_representative_card.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => {
                let a = self.actor_for_card(n).await.map_err(|_| {
                    RegError::invalid(
                        "card_invalid",
                        "legal_representative_card",
                        Some("R4"),
                        format!("carte {n} inconnue, expirée ou en opposition"),
                    )
                })?;
                if !a.card_type.can_be_legal_representative() {
                    return Err(RegError::invalid(
                        "card_type",
                        "legal_representative_card",
                        Some("R4"),
                        format!("le représentant légal détient une CPS, CDE ou CDA, pas une {}", a.card_type),
                    ));
                }
                if kind == ContractKind::Vendor && a.card_type == CardType::Cde {
                    return Err(RegError::invalid(
                        "card_type",
                        "legal_representative_card",
                        Some("R4"),
                        "un éditeur est représenté par une CDA",
                    ));
                }
                Some(a)
            }
            None => None,
        };

        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        let row = ContractRow {
            id: new_id("ctr"),
            legal_entity: entity.clone(),
            kind,
            name: name.trim().to_owned(),
            state: ContractState::Active,
            created_by: actor.audit_id(),
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let inserted = store::insert_contract(&mut tx, &row).await?;
        let contract = if inserted {
            audit::append(
                &mut *tx,
                &AuditEvent::new(&actor.audit_id(), "contract.created", &format!("contract:{}", row.id)).after(&row),
            )
            .await?;
            row
        } else {
            store::contract_by_entity(&mut *tx, &entity)
                .await?
                .ok_or_else(|| RegError::conflict("contract_race", "contrat modifié en parallèle"))?
        };
        let mut legal_representative = None;
        if let Some(a) = lr_card {
            let existing = store::roles_of_entity(self.db(), &entity).await?;
            let already = existing.iter().find(|r| {
                r.kind == RoleKind::LegalRepresentative
                    && r.card_number == a.card_number
                    && r.state == RoleState::Active
            });
            legal_representative = match already {
                Some(r) => Some(r.clone()),
                None => {
                    let role = RoleRow {
                        id: new_id("role"),
                        kind: RoleKind::LegalRepresentative,
                        legal_entity: Some(entity.clone()),
                        card_number: a.card_number.clone(),
                        idnat_ps: a.idnat_ps.clone(),
                        form: Some("101".into()),
                        state: RoleState::Active,
                        created_by: actor.audit_id(),
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    };
                    store::insert_role(&mut tx, &role).await?;
                    audit::append(
                        &mut *tx,
                        &AuditEvent::new(&actor.audit_id(), "role.created", &format!("role:{}", role.id)).after(&role),
                    )
                    .await?;
                    Some(role)
                }
            };
        }
        tx.commit().await?;
        Ok(ContractOutcome { contract, reused: !inserted, legal_representative })
    }

    /// A contract and its roles: operators, and whoever speaks for its legal entity.
    pub async fn contract(&self, actor: &Actor, id: &str) -> Result<ContractView, RegError> {
        let contract = store::contract(self.db(), id).await?.ok_or_else(|| RegError::not_found("contract", id))?;
        if !self.is_operator(actor).await?
            && self.represents(actor, &contract.legal_entity).await?.is_none()
            && !self.works_for(actor, &contract.legal_entity).await?
        {
            return Err(RegError::forbidden(
                "not_your_contract",
                Some("R3"),
                "ce contrat n'est pas celui de votre structure",
            ));
        }
        let roles = store::roles_of_entity(self.db(), &contract.legal_entity).await?;
        Ok(ContractView { contract, roles })
    }

    /// The contracts the actor may see: every one for an operator, else those of the legal
    /// entities they speak or work for.
    pub async fn contracts(&self, actor: &Actor) -> Result<Vec<ContractRow>, RegError> {
        if self.is_operator(actor).await? {
            return Ok(store::contracts(self.db(), 10_000).await?);
        }
        let mut out = Vec::new();
        let mut entities: Vec<String> =
            self.active_roles(actor).await?.into_iter().filter_map(|r| r.legal_entity).collect();
        entities.push(actor.idnat_ps.clone());
        entities.sort();
        entities.dedup();
        for e in entities {
            if let Some(c) = store::contract_by_entity(self.db().pool(), &e).await? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Ends a contract (operators only), and with it everything it allowed (R3; see
    /// `termination`): the habilitations on its structures are withdrawn and its pending forms
    /// closed and the structures' live certificates revoked (`cessationOfOperation`), in
    /// the same transaction. Orders and renewals check the contract too.
    pub async fn terminate_contract(&self, actor: &Actor, id: &str) -> Result<ContractRow, RegError> {
        Ok(self.terminate_contract_with_effects(actor, id).await?.0)
    }

    /// [`Self::terminate_contract`], with what the termination ended.
    pub async fn terminate_contract_with_effects(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(ContractRow, crate::termination::TerminationEffects), RegError> {
        self.require_operator(actor).await?;
        let before = store::contract(self.db(), id).await?.ok_or_else(|| RegError::not_found("contract", id))?;
        if before.state != ContractState::Active {
            return Err(RegError::conflict("contract_not_active", "contrat déjà résilié"));
        }
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        store::set_contract_state(&mut tx, id, ContractState::Terminated, &now).await?;
        let after = ContractRow { state: ContractState::Terminated, updated_at: now, ..before.clone() };
        audit::append(
            &mut *tx,
            &AuditEvent::new(&actor.audit_id(), "contract.terminated", &format!("contract:{id}"))
                .before(&before)
                .after(&after),
        )
        .await?;
        let (mut effects, structures) = self.end_under_contract(&mut tx, actor, &before).await?;
        let revoked = self.revoke_under_termination(&mut tx, actor, &structures, &mut effects).await?;
        tx.commit().await?;
        if let Some(authority) = self.authority() {
            for serial in &revoked {
                authority.forget_status(serial);
            }
        }
        Ok((after, effects))
    }

    /// Whether the actor holds a vendor-administrator role for this (vendor) entity.
    pub(crate) async fn works_for(&self, actor: &Actor, legal_entity: &str) -> Result<bool, RegError> {
        Ok(self.vendors_of(actor).await?.iter().any(|(e, _)| e == legal_entity))
    }
}
