//! The doctrine checklist of a structure (R36, R38, R39): which certificates its uses need,
//! computed from its live products, read through typed, normalised values ([`ServiceKind`],
//! R29) rather than the stored text. The portal shows it per structure and the API serves it
//! (`GET /api/v1/structures/{id}/doctrine`) so that vendors can automate the check.

use santepki_domain::values::{ContractKind, ProductProfile};
use santepki_storage::directory as dir;
use santepki_storage::ordering::{self as store, ProductRow};
use santepki_storage::registration as reg_store;
use santepki_storage::time;
use serde::Serialize;

use crate::{Actor, RegError, Registration};

/// How an item of the checklist stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    /// The structure has what the rule asks.
    Satisfied,
    /// Something is wrong or half done: act on it.
    Warning,
    /// The use is not covered (nothing wrong if the structure does not use it).
    Missing,
}

/// One item of the checklist.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckItem {
    /// Stable machine name: `dmp-pair`, `insi-own-certificate`, `essms-three`, `not-vendor-name`,
    /// `essms-eg-to-ej`.
    pub code: &'static str,
    /// The rule of RULES.md the item checks (R36–R39).
    pub rule: &'static str,
    /// Whether the structure meets the item.
    pub status: CheckStatus,
    /// What the item checks, in French.
    pub label: &'static str,
    /// The finding, in French.
    pub message: String,
    /// The product numbers the finding is about.
    pub products: Vec<String>,
}

/// The checklist of one structure identifier.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Doctrine {
    /// The structure identifier (FINESS, SIRET or RPPS rang).
    pub structure: String,
    /// The structure's name (raison sociale), when known.
    pub structure_name: Option<String>,
    /// The structure case of the form 413 that habilitated it, when known.
    pub structure_case: Option<String>,
    /// How many of the structure's certificates are live (issued, not revoked nor expired).
    pub live_products: usize,
    /// The checklist items (R36–R38).
    pub items: Vec<CheckItem>,
}

/// What a product's service applicatif (its CN, R29) is for, read from the normalised name:
/// trimmed, white space runs made one space (the form orders store since issue 15; rows stored
/// before may still carry `'INSI-AUTO '`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// `INSI-AUTO` or `INSI-MANU`, exactly: the INSi certificate (R36).
    Insi,
    /// A name meant for INSi but not exactly one of its two names (INSi refuses it, DESIR_560).
    InsiMisnamed,
    /// Anything else (`DMP AUTHENTIFICATION`, `SAMU 75`…), or no service.
    Other,
}

impl ServiceKind {
    /// The kind of a service applicatif as stored.
    pub fn of(service: Option<&str>) -> ServiceKind {
        let Some(raw) = service else { return ServiceKind::Other };
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name == "INSI-AUTO" || name == "INSI-MANU" {
            return ServiceKind::Insi;
        }
        let squashed: String = name
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        if squashed == "INSIAUTO" || squashed == "INSIMANU" {
            ServiceKind::InsiMisnamed
        } else {
            ServiceKind::Other
        }
    }
}

/// Whether a product is meant for INSi (R36: it does not count for the DMP), its name exact or
/// not.
fn is_insi(p: &ProductRow) -> bool {
    ServiceKind::of(p.service.as_deref()) != ServiceKind::Other
}

/// The checklist from a structure's live products (pure: the rules of R36 and R38).
pub fn checklist(products: &[ProductRow], medico_social: bool, vendor_owned: bool) -> Vec<CheckItem> {
    let numbers = |ps: &[&ProductRow]| ps.iter().map(|p| p.number.clone()).collect::<Vec<_>>();
    let mut items = Vec::new();

    // R36 — DMP: an ORG SIGN and an ORG AUTH_CLI; an INSi certificate does not count (INSi
    // needs its own).
    let sign: Vec<&ProductRow> = products.iter().filter(|p| p.profile == ProductProfile::OrgSign).collect();
    let auth: Vec<&ProductRow> =
        products.iter().filter(|p| p.profile == ProductProfile::OrgAuthCli && !is_insi(p)).collect();
    let (status, message) = match (sign.is_empty(), auth.is_empty()) {
        (false, false) => (CheckStatus::Satisfied, "paire DMP complète : ORG SIGN et ORG AUTH_CLI".to_owned()),
        (true, true) => {
            (CheckStatus::Missing, "aucun certificat pour le DMP (il faut ORG SIGN et ORG AUTH_CLI)".to_owned())
        }
        (true, false) => (
            CheckStatus::Warning,
            "paire DMP incomplète : il manque le certificat ORG SIGN (signature des documents et des lots)".to_owned(),
        ),
        (false, true) => (
            CheckStatus::Warning,
            "paire DMP incomplète : il manque le certificat ORG AUTH_CLI (authentification TLS), hors certificat INSi"
                .to_owned(),
        ),
    };
    let mut pair = sign.clone();
    pair.extend(auth.iter().copied());
    items.push(CheckItem {
        code: "dmp-pair",
        rule: "R36",
        status,
        label: "DMP : paire SIGN + AUTH_CLI",
        message,
        products: numbers(&pair),
    });

    // R36 — INSi: its own ORG AUTH_CLI certificate, named INSI-AUTO or INSI-MANU (R29).
    let insi: Vec<&ProductRow> = products.iter().filter(|p| is_insi(p)).collect();
    let insi_wrong_profile: Vec<&ProductRow> =
        insi.iter().copied().filter(|p| p.profile != ProductProfile::OrgAuthCli).collect();
    let misnamed = insi.iter().any(|p| ServiceKind::of(p.service.as_deref()) == ServiceKind::InsiMisnamed);
    let (status, message) = if !insi_wrong_profile.is_empty() {
        (CheckStatus::Warning, "un certificat nommé pour l'INSi n'est pas un ORG AUTH_CLI".to_owned())
    } else if misnamed {
        (
            CheckStatus::Warning,
            "un certificat INSi n'est pas nommé exactement « INSI-AUTO » ou « INSI-MANU » : l'INSi le refusera"
                .to_owned(),
        )
    } else if insi.is_empty() {
        (
            CheckStatus::Missing,
            "aucun certificat INSi (ORG AUTH_CLI « INSI-AUTO » ou « INSI-MANU », réservé à l'INSi)".to_owned(),
        )
    } else {
        (CheckStatus::Satisfied, format!("{} certificat(s) propre(s) à l'INSi", insi.len()))
    };
    items.push(CheckItem {
        code: "insi-own-certificate",
        rule: "R36",
        status,
        label: "INSi : un certificat qui lui est propre",
        message,
        products: numbers(&insi),
    });

    // R36 — an ESSMS needs at least three certificates.
    if medico_social {
        let all: Vec<&ProductRow> = products.iter().collect();
        let (status, message) = if all.len() >= 3 {
            (CheckStatus::Satisfied, format!("{} certificats valides", all.len()))
        } else {
            (CheckStatus::Warning, format!("un ESSMS a besoin d'au moins trois certificats : {} valide(s)", all.len()))
        };
        items.push(CheckItem {
            code: "essms-three",
            rule: "R36",
            status,
            label: "ESSMS : au moins trois certificats",
            message,
            products: numbers(&all),
        });
    }

    // R38 — never a certificate in the vendor's name.
    let (status, message) = if vendor_owned && !products.is_empty() {
        (
            CheckStatus::Warning,
            "ces certificats sont au nom d'un éditeur : chaque entité juridique cliente doit avoir les siens"
                .to_owned(),
        )
    } else {
        (CheckStatus::Satisfied, "aucun certificat au nom de l'éditeur".to_owned())
    };
    let owned: Vec<&ProductRow> = if vendor_owned { products.iter().collect() } else { Vec::new() };
    items.push(CheckItem {
        code: "not-vendor-name",
        rule: "R38",
        status,
        label: "Jamais au nom de l'éditeur",
        message,
        products: numbers(&owned),
    });
    items
}

/// Rule R39's item: the ESSMS's live certificates on a geographic establishment, which move to
/// its legal entity `ej` at their renewal (`orders::renewal`).
pub fn essms_move_to_legal_entity(on_egs: &[ProductRow], ej: &str) -> CheckItem {
    let (status, message) = if on_egs.is_empty() {
        (CheckStatus::Satisfied, format!("tous les certificats de l'ESSMS sont au FINESS juridique {ej}"))
    } else {
        (
            CheckStatus::Warning,
            format!(
                "{} certificat(s) sur un FINESS géographique : ils passeront au FINESS juridique {ej} à leur renouvellement",
                on_egs.len()
            ),
        )
    };
    CheckItem {
        code: "essms-eg-to-ej",
        rule: "R39",
        status,
        label: "ESSMS : certificats au niveau de l'entité juridique",
        message,
        products: on_egs.iter().map(|p| p.number.clone()).collect(),
    }
}

impl Registration {
    /// The doctrine checklist of a structure (R36, R38), for whoever administers it, speaks for
    /// it, or an operator; anyone else gets "not found".
    pub async fn doctrine(&self, actor: &Actor, idnat: &str) -> Result<Doctrine, RegError> {
        let idnat = idnat.trim();
        let habilitations = reg_store::habilitations_of_structure(self.db(), idnat).await?;
        let allowed = habilitations.iter().any(|h| h.card_number == actor.card_number)
            || self.speaks_for_structure(actor, idnat).await?
            || self.is_operator(actor).await?;
        if !allowed {
            return Err(RegError::not_found("structure", idnat));
        }
        let located = self.locate(idnat).await?;
        let structure_case = match habilitations.first() {
            Some(h) => reg_store::form(self.db().pool(), &h.form_id).await?.map(|f| f.structure_case),
            None => None,
        };
        let vendor_owned = match &located {
            Some(l) => reg_store::contract_by_entity(self.db().pool(), &l.legal_entity)
                .await?
                .is_some_and(|c| c.kind == ContractKind::Vendor),
            None => false,
        };
        let now = time::now();
        let products = store::live_products_of_structure(self.db(), idnat, &now).await?;
        let medico_social = structure_case.as_deref() == Some("medico-social-manager");
        let mut items = checklist(&products, medico_social, vendor_owned);
        // R39: an ESSMS's certificates still on an establishment (EG) move to its EJ at renewal.
        let eg_products = match (&located, self.essms_legal_entity_of(idnat).await?) {
            // An establishment of a declared ESSMS: its own certificates.
            (_, Some(ej)) => Some((ej, products.clone())),
            // The ESSMS's legal entity: the certificates of its establishments.
            (Some(l), None) if medico_social && l.row.kind == "legal_entity" => {
                let mut on_egs = Vec::new();
                for eg in dir::establishments_of(self.db(), l.row.finess.as_deref().unwrap_or_default(), false).await? {
                    on_egs.extend(store::live_products_of_structure(self.db(), &eg.idnat_struct, &now).await?);
                }
                Some((idnat.to_owned(), on_egs))
            }
            _ => None,
        };
        if let Some((ej, on_egs)) = eg_products {
            items.push(essms_move_to_legal_entity(&on_egs, &ej));
        }
        Ok(Doctrine {
            structure: idnat.to_owned(),
            structure_name: located.map(|l| l.row.name),
            structure_case,
            live_products: products.len(),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(profile: &str, service: &str) -> ProductRow {
        let profile: ProductProfile = profile.parse().unwrap();
        ProductRow {
            id: format!("prd-{profile}-{service}"),
            number: format!("P-{profile}-{service}"),
            structure: "1750900029".into(),
            profile,
            offer: profile.offer(),
            usage: profile.usage(),
            service: Some(service.into()),
            professional: None,
            names: "{}".into(),
            actor_email: "a@b.fr".into(),
            copy_email: None,
            serial: "01".into(),
            not_after: "2099-01-01T00:00:00Z".into(),
            state: santepki_domain::values::ProductState::Issued,
            key_origin: santepki_domain::values::KeyOrigin::Csr,
            renewal_of: None,
            ordered_by: "2000000001".into(),
            channel: santepki_domain::values::Channel::Portal,
            expiry_notice_at: None,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn status(items: &[CheckItem], code: &str) -> Option<CheckStatus> {
        items.iter().find(|i| i.code == code).map(|i| i.status)
    }

    #[test]
    fn rules_r36_r38() {
        // Nothing: DMP and INSi missing, no ESSMS item for a pharmacy.
        let items = checklist(&[], false, false);
        assert_eq!(status(&items, "dmp-pair"), Some(CheckStatus::Missing));
        assert_eq!(status(&items, "insi-own-certificate"), Some(CheckStatus::Missing));
        assert_eq!(status(&items, "essms-three"), None);
        // An INSi certificate is not the DMP's AUTH_CLI: the pair stays incomplete.
        let items =
            checklist(&[product("org-sign", "DMP SIGNATURE"), product("org-auth-cli", "INSI-AUTO")], false, false);
        assert_eq!(status(&items, "dmp-pair"), Some(CheckStatus::Warning));
        assert_eq!(status(&items, "insi-own-certificate"), Some(CheckStatus::Satisfied));
        // R29: a row stored before normalisation (`'INSI-AUTO '`) is still the INSi certificate.
        let items =
            checklist(&[product("org-sign", "DMP SIGNATURE"), product("org-auth-cli", "INSI-AUTO ")], false, false);
        assert_eq!(status(&items, "dmp-pair"), Some(CheckStatus::Warning));
        assert_eq!(status(&items, "insi-own-certificate"), Some(CheckStatus::Satisfied));
        let items = checklist(&[product("org-auth-cli", "insi auto")], false, false);
        assert_eq!(status(&items, "insi-own-certificate"), Some(CheckStatus::Warning));
        assert_eq!(status(&items, "dmp-pair"), Some(CheckStatus::Missing));
        let full = [
            product("org-sign", "DMP SIGNATURE"),
            product("org-auth-cli", "DMP AUTHENTIFICATION"),
            product("org-auth-cli", "INSI-MANU"),
        ];
        let items = checklist(&full, true, false);
        assert_eq!(status(&items, "dmp-pair"), Some(CheckStatus::Satisfied));
        assert_eq!(status(&items, "essms-three"), Some(CheckStatus::Satisfied));
        assert_eq!(status(&checklist(&full[..2], true, false), "essms-three"), Some(CheckStatus::Warning));
        // R38: a vendor's own certificates are flagged.
        assert_eq!(status(&checklist(&full, false, true), "not-vendor-name"), Some(CheckStatus::Warning));
        assert_eq!(status(&checklist(&full, false, false), "not-vendor-name"), Some(CheckStatus::Satisfied));
    }
}
