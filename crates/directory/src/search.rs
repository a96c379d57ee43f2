//! Directory search, like annuaire.sante.fr (R45): a professional by RPPS, idNat_PS or card
//! number with every exercise situation and the structure identifier it orders with (FINESS,
//! SIRET or RPPS rang); a structure by FINESS with its legal entity and the entity's other
//! establishments, or by SIRET / RPPS rang / idNat_Struct; professionals and structures by name
//! prefix.

use santepki_domain::{
    Adeli, CardNumber, Departement, Finess, IdError, IdNatPs, IdNatStruct, Rpps, RppsRang, Sector, Siret,
    StructureKind, ValidationMode,
};
use santepki_storage::directory::{self as store, CardRow, ProfessionalRow, SituationRow, StructureRow};
use santepki_storage::{Db, StorageError};
use serde::Serialize;

use crate::normalize::prefix_key;

/// What to look for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A professional by RPPS (11 digits).
    Rpps(Rpps),
    /// A professional by ADELI (9 characters).
    Adeli(Adeli),
    /// A professional by national identifier (`8` + RPPS, `0` + ADELI).
    IdNatPs(IdNatPs),
    /// A professional by CPx card number.
    Card(CardNumber),
    /// A structure by FINESS (juridique or géographique).
    Finess(Finess),
    /// Structures by SIRET.
    Siret(Siret),
    /// A practice by RPPS rang.
    RppsRang(RppsRang),
    /// A structure by national identifier.
    IdNatStruct(IdNatStruct),
    /// 14 digits that are both a valid SIRET and a valid RPPS rang: whichever exists.
    SiretOrRppsRang(Siret, RppsRang),
    /// Professionals whose "LAST FIRST" name starts with this prefix.
    ProfessionalName(String),
    /// Structures whose name starts with this prefix.
    StructureName(String),
}

/// The kinds of query, as named on the command line and in the HTTP API.
pub const QUERY_KINDS: &[&str] =
    &["rpps", "adeli", "idnat-ps", "card", "finess", "siret", "rpps-rang", "idnat-struct", "name", "structure-name"];

impl Query {
    /// Parses `value` as a query of the named kind.
    pub fn parse(kind: &str, value: &str, mode: ValidationMode) -> Result<Query, SearchError> {
        let v = value.trim();
        let id = |r: Result<Query, IdError>| r.map_err(SearchError::InvalidIdentifier);
        match kind {
            "rpps" => id(Rpps::parse(v, mode).map(Query::Rpps)),
            "adeli" => id(Adeli::parse(v, mode).map(Query::Adeli)),
            "idnat-ps" => id(IdNatPs::parse(v, mode).map(Query::IdNatPs)),
            "card" => id(CardNumber::parse(v, mode).map(Query::Card)),
            "finess" => id(Finess::parse(v, mode).map(Query::Finess)),
            "siret" => id(Siret::parse(v, mode).map(Query::Siret)),
            "rpps-rang" => id(RppsRang::parse(v, mode).map(Query::RppsRang)),
            "idnat-struct" => id(IdNatStruct::parse(v, mode).map(Query::IdNatStruct)),
            "name" | "structure-name" => {
                if prefix_key(v).chars().count() < 2 {
                    return Err(SearchError::NameTooShort);
                }
                Ok(if kind == "name" {
                    Query::ProfessionalName(v.to_owned())
                } else {
                    Query::StructureName(v.to_owned())
                })
            }
            other => Err(SearchError::UnknownKind(other.to_owned())),
        }
    }

    /// Guesses the kind from the value's form, as the public directory's single search box does:
    /// 11 digits RPPS, 12 characters idNat_PS, 10 digits card, 9 characters FINESS, 14 digits
    /// SIRET or RPPS rang (whichever is valid), 15 characters idNat_Struct, letters a name.
    pub fn guess(value: &str, mode: ValidationMode) -> Result<Query, SearchError> {
        let v = value.trim();
        let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        let alnum = !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric());
        let kind = match v.len() {
            11 if digits => "rpps",
            10 if digits => "card",
            12 if digits && (v.starts_with('8') || v.starts_with('0')) => "idnat-ps",
            9 if alnum && v.bytes().any(|b| b.is_ascii_digit()) => "finess",
            14 if digits => {
                return match (Siret::parse(v, mode), RppsRang::parse(v, mode)) {
                    (Ok(s), Ok(r)) => Ok(Query::SiretOrRppsRang(s, r)),
                    (Ok(s), Err(_)) => Ok(Query::Siret(s)),
                    (Err(_), Ok(r)) => Ok(Query::RppsRang(r)),
                    (Err(e), Err(_)) => Err(SearchError::InvalidIdentifier(e)),
                }
            }
            10 | 13..=16 if alnum && v.bytes().any(|b| b.is_ascii_digit()) => "idnat-struct",
            _ if v.chars().any(char::is_alphabetic) => "name",
            _ => return Err(SearchError::Unrecognised(v.chars().take(40).collect())),
        };
        Query::parse(kind, v, mode)
    }
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The value is not a valid identifier of the asked kind (format or check digit).
    #[error(transparent)]
    InvalidIdentifier(IdError),
    /// The kind is not one of [`QUERY_KINDS`].
    #[error("unknown search kind {0:?}; use one of rpps, adeli, idnat-ps, card, finess, siret, rpps-rang, idnat-struct, name, structure-name")]
    UnknownKind(String),
    /// A name prefix of fewer than two letters or digits, which would match too much of the directory.
    #[error("a name search needs at least 2 letters or digits")]
    NameTooShort,
    /// [`Query::guess`] found no identifier form and no letter in the value (shown truncated to 40 characters).
    #[error("{0:?} is neither an identifier (RPPS, idNat_PS, card, FINESS, SIRET, RPPS rang) nor a name")]
    Unrecognised(String),
    /// The directory tables could not be read.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl SearchError {
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            SearchError::InvalidIdentifier(_) => "invalid_identifier",
            SearchError::UnknownKind(_) => "unknown_search_kind",
            SearchError::NameTooShort => "name_too_short",
            SearchError::Unrecognised(_) => "unrecognised_query",
            SearchError::Storage(_) => "storage_error",
        }
    }
}

/// The answer to a search.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SearchResult {
    /// Exactly one professional.
    Professional(Box<ProfessionalView>),
    /// Professionals matching a name prefix, at most the search limit.
    Professionals {
        /// The matches, in name order.
        items: Vec<ProfessionalSummary>,
    },
    /// Exactly one structure.
    Structure(Box<StructureView>),
    /// Several structures: a name prefix, or a SIRET shared by several establishments.
    Structures {
        /// The matches.
        items: Vec<StructureSummary>,
    },
    /// Nothing matches.
    NotFound,
}

/// A professional with cards and exercise situations.
#[derive(Debug, Clone, Serialize)]
pub struct ProfessionalView {
    /// The professional's idNat_PS (`8` + RPPS or `0` + ADELI).
    pub idnat_ps: String,
    /// `RPPS` or `ADELI`.
    pub identifier_kind: &'static str,
    /// The RPPS or ADELI number alone, without the type digit.
    pub national_id: String,
    /// Civility label: the exercise one ("Docteur") when the directory gives one, else the civil one ("Madame").
    pub civility: Option<String>,
    /// Exercise last name (nom d'exercice).
    pub last_name: String,
    /// Exercise first name (prénom d'exercice).
    pub first_name: String,
    /// Profession (e.g. `10` médecin, `21` pharmacien).
    pub profession: Option<CodeLabel>,
    /// Professional category (civil, militaire, étudiant…).
    pub category: Option<CodeLabel>,
    /// True when the professional has left the latest directory import.
    pub closed: bool,
    /// The professional's CPx cards, opposed ones included.
    pub cards: Vec<CardView>,
    /// Every exercise situation, with the structure identifier each one orders with.
    pub situations: Vec<SituationView>,
}

/// One line of a name search: who the professional is, without situations or cards.
#[derive(Debug, Clone, Serialize)]
pub struct ProfessionalSummary {
    /// The professional's idNat_PS.
    pub idnat_ps: String,
    /// Exercise last name.
    pub last_name: String,
    /// Exercise first name.
    pub first_name: String,
    /// Profession.
    pub profession: Option<CodeLabel>,
}

/// A directory code with its French label, as in the open-data files (`SA07` / "Cabinet individuel").
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CodeLabel {
    /// The code, as in the directory.
    pub code: String,
    /// Its label, when the directory or the code table has one.
    pub label: Option<String>,
}

fn code_label(code: &Option<String>, label: &Option<String>) -> Option<CodeLabel> {
    code.as_ref().map(|c| CodeLabel { code: c.clone(), label: label.clone() })
}

/// A CPx card of a professional.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    /// The 10-digit card number (third line on the card).
    pub number: String,
    /// The card type (CPS, CPE, CPA, CPF, CDE, CDA).
    pub card_type: String,
    /// First day of validity.
    pub valid_from: String,
    /// Last day of validity.
    pub valid_until: String,
    /// Day the card was opposed (lost, stolen, revoked), if it was.
    pub opposed_on: Option<String>,
}

impl From<CardRow> for CardView {
    fn from(c: CardRow) -> Self {
        CardView {
            number: c.card_number,
            card_type: c.card_type,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            opposed_on: c.opposed_on,
        }
    }
}

/// One exercise situation, with the identifier its structure orders certificates with (R45).
#[derive(Debug, Clone, Serialize)]
pub struct SituationView {
    /// The structure's idNat_Struct (`1…` FINESS, `3…` SIRET, `4…` RPPS rang).
    pub idnat_struct: Option<String>,
    /// `FINESS`, `SIRET`, `RPPS rang`…
    pub identifier_kind: Option<&'static str>,
    /// The identifier alone, without the type digit of `idnat_struct`.
    pub identifier: Option<String>,
    /// The FINESS géographique of the situation's structure.
    pub finess: Option<String>,
    /// The FINESS juridique of that structure's legal entity.
    pub legal_entity_finess: Option<String>,
    /// SIRET of the site.
    pub siret: Option<String>,
    /// RPPS rang (RPPS + 3-digit rank) of a liberal practice.
    pub rpps_rang: Option<String>,
    /// Raison sociale of the site.
    pub name: Option<String>,
    /// Enseigne commerciale of the site.
    pub brand: Option<String>,
    /// Street address on one line, without postal code and town.
    pub address: String,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Town.
    pub town: Option<String>,
    /// Département of the site, from its code.
    pub departement: Option<Departement>,
    /// Sector of activity (RPPS `SA..` code), with its label.
    pub sector: Option<CodeLabel>,
    /// Mode of exercise (libéral, salarié, bénévole).
    pub mode: Option<CodeLabel>,
    /// Function or role held at the structure.
    pub role: Option<CodeLabel>,
    /// Profession exercised in this situation.
    pub profession: Option<CodeLabel>,
    /// True when the situation has left the latest directory import.
    pub closed: bool,
}

impl From<SituationRow> for SituationView {
    fn from(s: SituationRow) -> Self {
        let parsed = s.idnat_struct.as_deref().and_then(|v| IdNatStruct::parse(v, ValidationMode::Test).ok());
        let rpps_rang = match &parsed {
            Some(IdNatStruct::RppsRang(r)) => Some(r.to_string()),
            _ => None,
        };
        let address = address_line([
            &s.recipient,
            &s.street_number,
            &s.street_number_suffix,
            &s.street_type,
            &s.street_name,
            &s.locality,
        ]);
        let sector_label = s.sector_label.clone().or_else(|| {
            s.sector_code.as_deref().and_then(|c| Sector::parse(c).ok()).and_then(|x| x.label_fr()).map(str::to_owned)
        });
        SituationView {
            identifier_kind: parsed.as_ref().map(IdNatStruct::kind_name),
            identifier: parsed.as_ref().map(|p| p.id().to_owned()),
            idnat_struct: s.idnat_struct,
            finess: s.finess,
            legal_entity_finess: s.legal_entity_finess,
            siret: s.siret,
            rpps_rang,
            name: s.name,
            brand: s.brand,
            address,
            postal_code: s.postal_code,
            town: s.town,
            departement: s.departement_code.as_deref().and_then(Departement::by_code),
            sector: s.sector_code.map(|code| CodeLabel { code, label: sector_label }),
            mode: code_label(&s.mode_code, &s.mode_label),
            role: code_label(&s.role_code, &s.role_label),
            profession: code_label(&s.profession_code, &s.profession_label),
            closed: s.closed_at.is_some(),
        }
    }
}

/// A structure with its legal entity and sibling establishments.
#[derive(Debug, Clone, Serialize)]
pub struct StructureView {
    /// Short description and identifiers, shared with search lists.
    #[serde(flatten)]
    pub summary: StructureSummary,
    /// Raison sociale longue (FINESS `rslongue`).
    pub long_name: Option<String>,
    /// SIREN of the legal entity, when known.
    pub siren: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// FINESS category of the establishment (`355` Centre Hospitalier…).
    pub category: Option<CodeLabel>,
    /// Legal status (statut juridique) of a legal entity.
    pub legal_status: Option<CodeLabel>,
    /// Sectors of the situations registered at this structure (FINESS files carry none).
    pub sectors: Vec<CodeLabel>,
    /// The import source that last wrote the structure (`finess_eg`, `finess_ej`, `rpps`…).
    pub source: String,
    /// True when the structure has left the latest directory import.
    pub closed: bool,
    /// For an establishment, its legal entity (exactly one).
    pub legal_entity: Option<StructureSummary>,
    /// For a legal entity, its establishments; for an establishment, the other establishments
    /// of its legal entity.
    pub establishments: Vec<StructureSummary>,
    /// Professionals exercising here (the first 100).
    pub professionals: Vec<SituationAtStructure>,
}

/// A structure as shown in lists and as the head of a [`StructureView`].
#[derive(Debug, Clone, Serialize)]
pub struct StructureSummary {
    /// The structure's idNat_Struct (`1…` FINESS, `3…` SIRET, `4…` RPPS rang…).
    pub idnat_struct: String,
    /// Storage name of the [`StructureKind`]: `legal_entity`, `establishment`, `practice_siret`…
    pub kind: String,
    /// French label of the kind, for display.
    pub kind_label: &'static str,
    /// FINESS (géographique for an establishment, juridique for a legal entity).
    pub finess: Option<String>,
    /// FINESS juridique of the legal entity of an establishment.
    pub legal_entity_finess: Option<String>,
    /// SIRET, when known.
    pub siret: Option<String>,
    /// RPPS rang, for a liberal practice.
    pub rpps_rang: Option<String>,
    /// Raison sociale.
    pub name: String,
    /// Street address on one line, without postal code and town.
    pub address: String,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Town.
    pub town: Option<String>,
    /// Département, from its code.
    pub departement: Option<Departement>,
}

impl From<&StructureRow> for StructureSummary {
    fn from(s: &StructureRow) -> Self {
        let address = address_line([
            &s.recipient,
            &s.street_number,
            &s.street_number_suffix,
            &s.street_type,
            &s.street_name,
            &s.locality,
        ]);
        StructureSummary {
            idnat_struct: s.idnat_struct.clone(),
            kind: s.kind.clone(),
            kind_label: StructureKind::parse(&s.kind).map(StructureKind::label_fr).unwrap_or("Structure"),
            finess: s.finess.clone(),
            legal_entity_finess: s.legal_entity_finess.clone(),
            siret: s.siret.clone(),
            rpps_rang: s.rpps_rang.clone(),
            name: s.name.clone(),
            address,
            postal_code: s.postal_code.clone(),
            town: s.town.clone(),
            departement: s.departement_code.as_deref().and_then(Departement::by_code),
        }
    }
}

/// One professional exercising at a structure, as listed under a [`StructureView`].
#[derive(Debug, Clone, Serialize)]
pub struct SituationAtStructure {
    /// The professional's idNat_PS.
    pub idnat_ps: String,
    /// Profession exercised there.
    pub profession: Option<CodeLabel>,
    /// Function or role held there.
    pub role: Option<CodeLabel>,
    /// Sector of activity code of the situation (`SA..`).
    pub sector: Option<String>,
}

/// Default number of items of a name search.
pub const DEFAULT_LIMIT: i64 = 20;
/// Maximum number of items of a name search; larger limits are clamped to it.
pub const MAX_LIMIT: i64 = 200;

/// The directory search service.
#[derive(Clone)]
pub struct Directory {
    db: Db,
}

impl Directory {
    /// A search service reading the directory tables of `db`.
    pub fn new(db: Db) -> Self {
        Directory { db }
    }

    /// Runs a query. `limit` bounds name searches (1–200).
    pub async fn search(&self, q: &Query, limit: i64) -> Result<SearchResult, SearchError> {
        let limit = limit.clamp(1, MAX_LIMIT);
        Ok(match q {
            Query::Rpps(r) => self.professional(&format!("8{r}")).await?,
            Query::Adeli(a) => self.professional(&format!("0{a}")).await?,
            Query::IdNatPs(id) => self.professional(&id.to_string()).await?,
            Query::Card(n) => match store::card(&self.db, n.as_str()).await? {
                Some(card) => self.professional(&card.idnat_ps).await?,
                None => SearchResult::NotFound,
            },
            Query::Finess(f) => self.structure(&format!("1{f}")).await?,
            Query::RppsRang(r) => self.structure(&format!("4{r}")).await?,
            Query::IdNatStruct(id) => self.structure(&id.to_string()).await?,
            Query::SiretOrRppsRang(s, r) => match self.structure(&format!("4{r}")).await? {
                SearchResult::NotFound => Box::pin(self.search(&Query::Siret(s.clone()), limit)).await?,
                found => found,
            },
            Query::Siret(s) => {
                let own = format!("3{s}");
                if let Some(found) = store::structure(&self.db, &own).await? {
                    SearchResult::Structure(Box::new(self.structure_view(found).await?))
                } else {
                    let mut rows = store::structures_by_siret(&self.db, s.as_str()).await?;
                    match rows.len() {
                        0 => SearchResult::NotFound,
                        1 => SearchResult::Structure(Box::new(self.structure_view(rows.remove(0)).await?)),
                        _ => SearchResult::Structures { items: rows.iter().map(StructureSummary::from).collect() },
                    }
                }
            }
            Query::ProfessionalName(n) => {
                let rows = store::professionals_by_name_prefix(&self.db, &prefix_key(n), limit).await?;
                SearchResult::Professionals { items: rows.into_iter().map(summary).collect() }
            }
            Query::StructureName(n) => {
                let rows = store::structures_by_name_prefix(&self.db, &prefix_key(n), limit).await?;
                SearchResult::Structures { items: rows.iter().map(StructureSummary::from).collect() }
            }
        })
    }

    async fn professional(&self, idnat_ps: &str) -> Result<SearchResult, SearchError> {
        let Some(p) = store::professional(&self.db, idnat_ps).await? else {
            return Ok(SearchResult::NotFound);
        };
        let situations = store::situations_of(&self.db, idnat_ps, false).await?;
        let cards = store::cards_of(&self.db, idnat_ps).await?;
        Ok(SearchResult::Professional(Box::new(ProfessionalView {
            identifier_kind: if p.id_type == "8" { "RPPS" } else { "ADELI" },
            profession: code_label(&p.profession_code, &p.profession_label),
            category: code_label(&p.category_code, &p.category_label),
            closed: p.closed_at.is_some(),
            idnat_ps: p.idnat_ps,
            national_id: p.national_id,
            civility: p.civility,
            last_name: p.last_name,
            first_name: p.first_name,
            cards: cards.into_iter().map(CardView::from).collect(),
            situations: situations.into_iter().map(SituationView::from).collect(),
        })))
    }

    async fn structure(&self, idnat_struct: &str) -> Result<SearchResult, SearchError> {
        Ok(match store::structure(&self.db, idnat_struct).await? {
            Some(s) => SearchResult::Structure(Box::new(self.structure_view(s).await?)),
            None => SearchResult::NotFound,
        })
    }

    async fn structure_view(&self, s: StructureRow) -> Result<StructureView, SearchError> {
        let (legal_entity, establishments) = match s.kind.as_str() {
            "legal_entity" => {
                let ej = s.finess.clone().unwrap_or_default();
                (None, store::establishments_of(&self.db, &ej, false).await?)
            }
            "establishment" => match s.legal_entity_finess.clone() {
                Some(ej) => {
                    let entity = store::structure(&self.db, &format!("1{ej}")).await?;
                    let siblings = store::establishments_of(&self.db, &ej, false)
                        .await?
                        .into_iter()
                        .filter(|e| e.idnat_struct != s.idnat_struct)
                        .collect();
                    (entity.as_ref().map(StructureSummary::from), siblings)
                }
                None => (None, vec![]),
            },
            _ => (None, vec![]),
        };
        let sectors = store::sectors_at(&self.db, &s.idnat_struct)
            .await?
            .into_iter()
            .map(|code| {
                let label = Sector::parse(&code).ok().and_then(|x| x.label_fr()).map(str::to_owned);
                CodeLabel { code, label }
            })
            .collect();
        let professionals = store::situations_at(&self.db, &s.idnat_struct, 100)
            .await?
            .into_iter()
            .map(|x| SituationAtStructure {
                profession: code_label(&x.profession_code, &x.profession_label),
                role: code_label(&x.role_code, &x.role_label),
                sector: x.sector_code,
                idnat_ps: x.idnat_ps,
            })
            .collect();
        Ok(StructureView {
            summary: StructureSummary::from(&s),
            long_name: s.long_name.clone(),
            siren: s.siren.clone(),
            phone: s.phone.clone(),
            category: code_label(&s.category_code, &s.category_label),
            legal_status: code_label(&s.legal_status_code, &s.legal_status_label),
            sectors,
            source: s.source.clone(),
            closed: s.closed_at.is_some(),
            legal_entity,
            establishments: establishments.iter().map(StructureSummary::from).collect(),
            professionals,
        })
    }
}

/// The address on one line, without postal code and town (shown apart): recipient, street,
/// locality, in the order of [`santepki_domain::Address`].
fn address_line([recipient, number, suffix, street_type, street, locality]: [&Option<String>; 6]) -> String {
    santepki_domain::Address {
        recipient: recipient.clone(),
        street_number: number.clone(),
        street_number_suffix: suffix.clone(),
        street_type: street_type.clone(),
        street_name: street.clone(),
        locality: locality.clone(),
        postal_code: None,
        town: None,
    }
    .one_line()
}

fn summary(p: ProfessionalRow) -> ProfessionalSummary {
    ProfessionalSummary {
        profession: code_label(&p.profession_code, &p.profession_label),
        idnat_ps: p.idnat_ps,
        last_name: p.last_name,
        first_name: p.first_name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_the_kind_from_the_form() {
        let m = ValidationMode::Test;
        assert!(matches!(Query::guess("99700270616", m).unwrap(), Query::Rpps(_)));
        assert!(matches!(Query::guess("899700270616", m).unwrap(), Query::IdNatPs(_)));
        assert!(matches!(Query::guess("8000123456", m).unwrap(), Query::Card(_)));
        assert!(matches!(Query::guess("060785003", m).unwrap(), Query::Finess(_)));
        assert!(matches!(Query::guess("26010004500012", m).unwrap(), Query::Siret(_) | Query::SiretOrRppsRang(..)));
        // Both a valid SIRET and a valid RPPS rang: the search tries both.
        assert!(matches!(Query::guess("99700270616029", m).unwrap(), Query::SiretOrRppsRang(..)));
        assert!(matches!(Query::guess("99700270616003", m).unwrap(), Query::RppsRang(_) | Query::SiretOrRppsRang(..)));
        assert!(matches!(Query::guess("499700270616029", m).unwrap(), Query::IdNatStruct(_)));
        assert!(matches!(Query::guess("CHU de Nice", m).unwrap(), Query::ProfessionalName(_)));
        assert!(matches!(Query::guess("99700270617", m), Err(SearchError::InvalidIdentifier(_))));
        assert!(matches!(Query::guess("12", m), Err(SearchError::Unrecognised(_))));
        assert!(matches!(Query::parse("name", "a", m), Err(SearchError::NameTooShort)));
    }
}
