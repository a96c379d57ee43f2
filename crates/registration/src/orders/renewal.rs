//! Rule R39 at renewal: an ESSMS (social or medico-social manager, R16) holds its certificates
//! at the legal-entity level (FINESS juridique); those it still holds on a geographic
//! establishment (EG), made before that doctrine, move to the EJ when they are renewed (seed 001:
//! « migreront vers les certificats EJ lors du renouvellement »).

use santepki_domain::form413::{Form413, StructureCase};
use santepki_storage::ordering::ProductRow;
use santepki_storage::registration as reg_store;

use super::Orders;
use crate::{Actor, RegError, Registration};

impl Registration {
    /// The FINESS juridique (`1<EJ>`) an establishment's certificates move to at renewal (R39):
    /// the legal entity of `structure` when `structure` is a geographic establishment and its
    /// legal entity declared itself as a medico-social manager (a validated form 413 in case
    /// R16); `None` otherwise.
    pub async fn essms_legal_entity_of(&self, structure: &str) -> Result<Option<String>, RegError> {
        let Some(located) = self.locate(structure).await? else { return Ok(None) };
        if located.row.kind != "establishment" {
            return Ok(None);
        }
        let Some(ej) = located.row.legal_entity_finess.as_deref().map(|ej| format!("1{ej}")) else {
            return Ok(None);
        };
        let declared_essms = reg_store::validated_forms_of_structure(self.db(), &ej)
            .await?
            .iter()
            .filter_map(|f| serde_json::from_str::<Form413>(&f.body).ok())
            .any(|f| f.case == StructureCase::MedicoSocialManager);
        Ok(declared_essms.then_some(ej))
    }
}

impl Orders<'_> {
    /// The structure a renewed certificate names (R39): the product's own, except an ESSMS
    /// establishment's, which moves to its legal entity. The administrator renewing must be
    /// habilitated on the legal entity (R1, R27): if not, the renewal is refused with what to
    /// do, rather than issued again on the establishment.
    pub(super) async fn renewal_structure(&self, actor: &Actor, product: &ProductRow) -> Result<String, RegError> {
        let Some(ej) = self.reg.essms_legal_entity_of(&product.structure).await? else {
            return Ok(product.structure.clone());
        };
        if !self.administers(actor, &ej).await? {
            return Err(RegError::forbidden(
                "renewal_moves_to_legal_entity",
                Some("R39"),
                format!(
                    "ce certificat d'établissement ({}) passe au FINESS juridique {} à son renouvellement (ESSMS) : \
                     faites-vous habiliter sur l'entité juridique (formulaire 413, cas médico-social)",
                    product.structure, ej
                ),
            ));
        }
        Ok(ej)
    }
}
