//! What the form 413 rules need, looked up in the directory and the registers before the pure
//! validation of `santepki_domain::form413` runs.

use std::collections::HashMap;

use chrono::Utc;
use santepki_domain::form413::{CardFacts, Facts, Form413, StructureFacts};
use santepki_storage::directory as dir;
use santepki_storage::registration as store;

use santepki_domain::values::{ContractState, RoleKind, RoleState};

use crate::actor::card_is_valid;
use crate::{RegError, Registration};

/// Facts loaded for one form.
#[derive(Default)]
pub(crate) struct LoadedFacts {
    structures: HashMap<String, StructureFacts>,
    cards: HashMap<String, CardFacts>,
}

impl Facts for LoadedFacts {
    fn structure(&self, id: &str) -> Option<StructureFacts> {
        self.structures.get(id).cloned()
    }
    fn card(&self, number: &str) -> Option<CardFacts> {
        self.cards.get(number).cloned()
    }
}

/// A structure identifier as the directory knows it.
pub(crate) struct Located {
    pub row: dir::StructureRow,
    /// The legal entity whose contract covers it (R3): `1<FINESS EJ>`, `3<SIRET>`, `8<RPPS>`.
    pub legal_entity: String,
}

impl Registration {
    /// The directory's name of a structure identifier (an establishment may be named by its
    /// SIRET, R17).
    pub async fn structure_name(&self, idnat: &str) -> Result<Option<String>, RegError> {
        Ok(self.locate(idnat).await?.map(|l| l.row.name))
    }

    /// Finds a structure identifier (idNat_Struct) in the directory, and the legal entity its
    /// contract is made for (R3): the FINESS juridique of an establishment (multi-site entities
    /// contract on their EJ), the SIRET of a practice in a société d'exercice, the professional of
    /// an RPPS-rang practice.
    pub(crate) async fn locate(&self, idnat: &str) -> Result<Option<Located>, RegError> {
        let mut row = dir::structure(self.db(), idnat).await?;
        if row.is_none() && idnat.starts_with('3') {
            // An establishment may be named by its SIRET (R17).
            row = dir::structures_by_siret(self.db(), &idnat[1..]).await?.into_iter().next();
        }
        let Some(row) = row else { return Ok(None) };
        let legal_entity = if row.kind == "legal_entity" {
            format!("1{}", row.finess.clone().unwrap_or_default())
        } else if let Some(ej) = &row.legal_entity_finess {
            format!("1{ej}")
        } else if let Some(rang) = &row.rpps_rang {
            format!("8{}", rang.get(..11).unwrap_or(rang))
        } else if let Some(siret) = &row.siret {
            format!("3{siret}")
        } else {
            idnat.to_owned()
        };
        Ok(Some(Located { row, legal_entity }))
    }

    /// Loads every fact the rules need about a form's structures and cards.
    pub(crate) async fn load_facts(&self, form: &Form413) -> Result<LoadedFacts, RegError> {
        let mut facts = LoadedFacts::default();
        for raw in &form.identifiers {
            let id = raw.trim();
            let Some(located) = self.locate(id).await? else { continue };
            let contract = store::contract_by_entity(self.db().pool(), &located.legal_entity).await?;
            let roles = store::roles_of_entity(self.db(), &located.legal_entity).await?;
            let cards_of = |kind: RoleKind| {
                roles
                    .iter()
                    .filter(|r| r.kind == kind && r.state == RoleState::Active)
                    .map(|r| r.card_number.clone())
                    .collect()
            };
            let structure_id = located.row.idnat_struct.clone();
            // FINESS files carry no sector: an establishment without situations has none, and
            // the sector rules (R8, R46) then have nothing to refuse.
            let sectors = dir::sectors_at(self.db(), &structure_id).await?;
            facts.structures.insert(
                id.to_owned(),
                StructureFacts {
                    open: located.row.closed_at.is_none(),
                    is_legal_entity: located.row.kind == "legal_entity",
                    sectors,
                    legal_entity: located.legal_entity.clone(),
                    has_contract: contract.is_some_and(|c| c.state == ContractState::Active),
                    legal_representative_cards: cards_of(RoleKind::LegalRepresentative),
                    mandataire_cards: cards_of(RoleKind::Mandataire),
                },
            );
        }
        let today = Utc::now().date_naive();
        let numbers =
            std::iter::once(&form.signer.person.card_number).chain(form.administrators.iter().map(|a| &a.card_number));
        for n in numbers {
            let n = n.trim();
            if n.is_empty() || facts.cards.contains_key(n) {
                continue;
            }
            if let Some(card) = dir::card(self.db(), n).await? {
                let valid = card_is_valid(&card, today);
                facts.cards.insert(
                    n.to_owned(),
                    CardFacts { card_type: card.card_type, holder: card.idnat_ps.clone(), valid },
                );
            }
        }
        Ok(facts)
    }
}
