//! Rule R42 (Dossier Pharmaceutique): who may hold a PRO certificate naming a structure. A health
//! professional proves the link by an exercise situation there in the directory; a non-PS user
//! such as an admission agent has no situation, and proves it by the card the structure had
//! issued for them (a CPE, or a director's CDE: the structure's own cards, R2, R6), which the
//! platform registers for a holder `<idNat_Struct>/<n>` attached to that structure.

use santepki_domain::CardType;
use santepki_storage::directory;
use santepki_storage::Db;

use crate::IssueError;

/// Whether `idnat_ps` holds a valid structure card (CPE or CDE) issued for `structure` (its
/// idNat_Struct), for the establishment's SIRET, or for its legal entity (FINESS juridique: a
/// card of the legal entity serves at its establishments).
pub(crate) async fn holds_structure_card_for(
    db: &Db,
    idnat_ps: &str,
    structure: &str,
    today: &str,
) -> Result<bool, IssueError> {
    let Some((attached, _)) = idnat_ps.split_once('/') else { return Ok(false) };
    let Some(row) = directory::structure(db, structure).await? else { return Ok(false) };
    let same_structure = attached == row.idnat_struct
        || row.siret.as_deref().is_some_and(|s| attached == format!("3{s}"))
        || row.legal_entity_finess.as_deref().is_some_and(|ej| attached == format!("1{ej}"));
    if !same_structure {
        return Ok(false);
    }
    Ok(directory::cards_of(db, idnat_ps).await?.iter().any(|c| {
        matches!(c.card_type, CardType::Cpe | CardType::Cde)
            && c.closed_at.is_none()
            && c.opposed_on.is_none()
            && c.valid_from.as_str() <= today
            && today <= c.valid_until.as_str()
    }))
}
