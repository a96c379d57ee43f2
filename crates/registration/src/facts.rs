//! What the form 413 rules need, looked up in the directory and the registers before the pure
//! validation of `santepki_domain::form413` runs.

use std::collections::HashMap;

use chrono::Utc;
use santepki_domain::form413::{CardFacts, Facts, Form413, StructureCase, StructureFacts};
use santepki_domain::CardType;
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
        // The FINESS géographique of an establishment's site (R17) is checked against the
        // directory like the identifiers of section 2.
        let site_finess = form
            .site
            .as_ref()
            .and_then(|s| s.finess_geographique.as_deref())
            .map(|f| format!("1{}", f.trim()))
            .filter(|f| f.len() > 1);
        for raw in form.identifiers.iter().chain(site_finess.iter()) {
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
                    main_site: if matches!(form.case, StructureCase::LbmSelas | StructureCase::LbmMultiSite) {
                        self.main_site(&located.row).await?
                    } else {
                        None
                    },
                    row_id: structure_id,
                    postal_code: located.row.postal_code.clone(),
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
            if let Some(card) = self.card_facts(n, today).await? {
                facts.cards.insert(n.to_owned(), card);
            }
        }
        Ok(facts)
    }

    /// What the register says of a card named on a form (section 3.2 or 4.1) or in a form 503:
    /// its type, holder, validity, and for a CPA whether its vendor holds an active contract
    /// (R6). One function, so that every door an administrator comes in by asks the same.
    pub(crate) async fn card_facts(
        &self,
        number: &str,
        today: chrono::NaiveDate,
    ) -> Result<Option<CardFacts>, RegError> {
        let Some(card) = dir::card(self.db(), number).await? else { return Ok(None) };
        let vendor_contract = card.card_type != CardType::Cpa || self.cpa_vendor_has_contract(&card).await?;
        Ok(Some(CardFacts {
            card_type: card.card_type,
            holder: card.idnat_ps.clone(),
            valid: card_is_valid(&card, today),
            vendor_contract,
        }))
    }

    /// Rule R6 at the doors a technical administrator comes in by without a form 413 (form 503,
    /// the vendor's transfer, R49): a CPA whose vendor holds no active contract is refused, as
    /// the form's validation refuses it.
    pub(crate) async fn require_vendor_contract(&self, card: &str, field: &str) -> Result<(), RegError> {
        match self.card_facts(card, Utc::now().date_naive()).await? {
            Some(f) if !f.vendor_contract => Err(RegError::invalid(
                "vendor_contract",
                field,
                Some("R6"),
                santepki_domain::form413::VENDOR_WITHOUT_CONTRACT,
            )),
            _ => Ok(()),
        }
    }

    /// Rule R6: a CPA is a vendor's card, and a vendor acting as technical administrator needs
    /// its own contract. The vendor is the legal entity of the card's active vendor-administrator
    /// role (R49), else the structure the card was issued for (the holder `<idNat_Struct>/<n>`
    /// of a card the platform registered, or the structures of the holder's directory
    /// situations); one of them must hold an active contract.
    async fn cpa_vendor_has_contract(&self, card: &dir::CardRow) -> Result<bool, RegError> {
        let mut entities: Vec<String> = store::roles_of_card(self.db(), &card.card_number)
            .await?
            .into_iter()
            .filter(|r| r.kind == RoleKind::VendorAdministrator && r.state == RoleState::Active)
            .filter_map(|r| r.legal_entity)
            .collect();
        let mut attached: Vec<String> = Vec::new();
        if let Some((structure, _)) = card.idnat_ps.split_once('/') {
            attached.push(structure.to_owned());
        } else {
            attached.extend(
                dir::situations_of(self.db(), &card.idnat_ps, false).await?.into_iter().filter_map(|s| s.idnat_struct),
            );
        }
        for a in attached {
            entities.push(a.clone());
            if let Some(l) = self.locate(&a).await? {
                entities.push(l.legal_entity);
            }
        }
        for e in entities {
            if store::contract_by_entity(self.db().pool(), &e).await?.is_some_and(|c| c.state == ContractState::Active)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Rules R11, R12: the main site of a multi-site legal entity, the establishment where its
    /// professionals' situations are registered (the seed: « où sont enregistrées toutes les
    /// CPS des biologistes »): the site holding more open situations than any other. `None`
    /// when the entity has one site, or when no site stands out (the directory cannot tell).
    async fn main_site(&self, row: &dir::StructureRow) -> Result<Option<String>, RegError> {
        let Some(ej) = row.legal_entity_finess.as_deref() else { return Ok(None) };
        let sites = dir::establishments_of(self.db(), ej, false).await?;
        if sites.len() < 2 {
            return Ok(None);
        }
        let mut counts = Vec::with_capacity(sites.len());
        for s in &sites {
            counts.push((dir::situation_count_at(self.db(), &s.idnat_struct).await?, s.idnat_struct.clone()));
        }
        counts.sort_by_key(|c| std::cmp::Reverse(c.0));
        Ok(match counts.as_slice() {
            [(first, id), (second, _), ..] if *first > 0 && first > second => Some(id.clone()),
            _ => None,
        })
    }
}
