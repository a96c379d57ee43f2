//! Cards (R2, R4, R5): the CPx register, and test cards made by this platform.
//!
//! Real cards come from the public card extract (directory import). For a self-hosted platform,
//! its tests and its demo, the platform also makes cards itself: a card row, its holder when the
//! RPPS extract does not know them (CPE, CPA, CDE, CDA holders), and a card certificate from the
//! PERSONNES CA with the card profile, delivered as a PKCS#12 so that it authenticates over
//! mutual TLS exactly as a real card's authentication certificate does.

use chrono::{Months, Utc};
use santepki_authority::keys::SoftwareKey;
use santepki_authority::{
    IssueRequest, IssuingRole, KeyAlgorithm, KeySource, Profile, RequestedNames, RevocationReason,
};
use santepki_domain::CardType;
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::directory::{self as dir, CardRow};
use santepki_storage::registration::{self as store, NewHolder};
use santepki_storage::time;
use serde::{Deserialize, Serialize};

use crate::{Actor, RegError, Registration};

/// A card to register.
#[derive(Debug, Clone, Deserialize)]
pub struct NewCard {
    /// `CPS`, `CPE`, `CPA`, `CDE` or `CDA`.
    pub card_type: String,
    /// The holder's idNat_PS when the directory knows them (a CPS holder: `8<RPPS>`).
    #[serde(default)]
    pub idnat_ps: Option<String>,
    /// For a holder the directory does not know: their names and the structure (idNat_Struct)
    /// the card is attached to; the platform gives them an idNat_PS `3<structure>/<n>`.
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    /// First name of a holder the directory does not know.
    pub first_name: Option<String>,
    #[serde(default)]
    /// The idNat_Struct the card of an unknown holder is attached to (CPE/CPA).
    pub structure: Option<String>,
    /// Validity in months (default 36, as real cards).
    #[serde(default)]
    pub months: Option<u32>,
    /// Forces a card number (10 digits) instead of the next free one.
    #[serde(default)]
    pub card_number: Option<String>,
}

/// The files of a card's authentication credentials.
#[derive(Clone, Serialize)]
pub struct CardCredentials {
    /// The card number (10 digits).
    pub card_number: String,
    /// Serial number (hex) of the authentication certificate.
    pub serial: String,
    /// The card certificate followed by the PERSONNES CA certificate (PEM).
    pub certificate_pem: String,
    /// The private key (PKCS#8 PEM). A throw-away test key: a real card's never leaves it.
    #[serde(skip)]
    pub key_pem: String,
    /// PKCS#12 of key, certificate and chain under the given passphrase.
    #[serde(skip)]
    pub pkcs12: Vec<u8>,
    /// The key as PKCS#8 DER (ECDSA P-256).
    #[serde(skip)]
    pub key_pkcs8: Vec<u8>,
}

impl std::fmt::Debug for CardCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("CardCredentials")
            .field("card_number", &self.card_number)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

/// A card as shown to its holder and to operators.
#[derive(Debug, Clone, Serialize)]
pub struct CardView {
    /// The card record.
    pub card: CardRow,
    /// Whether the card is usable today: within its validity dates, not closed nor opposed.
    pub valid: bool,
    /// Serial numbers (hex) of the card's live authentication certificates.
    pub certificates: Vec<String>,
}

impl Registration {
    /// Registers a card. `by` names the caller in the audit log (an operator's `card:<n>`, or
    /// `cli:<user>`); callers check that it may.
    pub async fn register_card(&self, by: &str, req: NewCard) -> Result<CardRow, RegError> {
        let card_type = CardType::parse(req.card_type.trim())
            .ok_or_else(|| RegError::invalid("card_type", "card_type", Some("R2"), "CPS, CPE, CPA, CDE ou CDA"))?;
        let months = req.months.unwrap_or(36);
        if !(1..=120).contains(&months) {
            return Err(RegError::invalid("card_validity", "months", None, "entre 1 et 120 mois"));
        }
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        let idnat_ps = match req.idnat_ps.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => {
                if dir::professional(self.db(), id).await?.is_none() {
                    return Err(RegError::invalid(
                        "holder_unknown",
                        "idnat_ps",
                        Some("R2"),
                        format!("{id} absent de l'annuaire"),
                    ));
                }
                if card_type == CardType::Cps && !id.starts_with('8') && !id.starts_with('0') {
                    return Err(RegError::invalid(
                        "card_type",
                        "idnat_ps",
                        Some("R2"),
                        "une CPS est délivrée à un professionnel de santé (RPPS ou ADELI)",
                    ));
                }
                id.to_owned()
            }
            None => {
                if card_type == CardType::Cps {
                    return Err(RegError::invalid(
                        "holder_required",
                        "idnat_ps",
                        Some("R2"),
                        "une CPS nomme son titulaire (idNat_PS)",
                    ));
                }
                let last = req
                    .last_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| RegError::invalid("field_required", "last_name", None, "nom du titulaire"))?;
                let first =
                    req.first_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                        RegError::invalid("field_required", "first_name", None, "prénom du titulaire")
                    })?;
                let structure = req.structure.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                    RegError::invalid(
                        "field_required",
                        "structure",
                        Some("R2"),
                        "structure de rattachement (idNat_Struct)",
                    )
                })?;
                // The structure of attachment as printed on the card: an idNat_Struct form (the
                // agency itself, or a vendor, need not be in the health directory).
                let well_formed = structure.len() >= 10
                    && structure.len() <= 16
                    && matches!(structure.as_bytes()[0], b'0'..=b'5')
                    && structure.bytes().all(|b| b.is_ascii_alphanumeric());
                if !well_formed {
                    return Err(RegError::invalid(
                        "structure_invalid",
                        "structure",
                        Some("R2"),
                        format!("{structure:?} n'est pas un idNat_Struct"),
                    ));
                }
                let n = store::next_counter(&mut tx, &format!("holder:{structure}")).await?;
                let id = format!("{structure}/{n}");
                let holder = NewHolder {
                    idnat_ps: &id,
                    id_type: "3",
                    national_id: &id,
                    last_name: &last.to_uppercase(),
                    first_name: &first.to_uppercase(),
                    profession_label: None,
                };
                store::insert_holder(&mut tx, &holder, &now).await?;
                audit::append(&mut *tx, &AuditEvent::new(by, "holder.created", &format!("professional:{id}")).after(&serde_json::json!({
                    "idnat_ps": id, "last_name": holder.last_name, "first_name": holder.first_name, "structure": structure,
                })))
                .await?;
                id
            }
        };
        let number = match req.card_number.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) if n.len() == 10 && n.bytes().all(|b| b.is_ascii_digit()) => n.to_owned(),
            Some(_) => return Err(RegError::invalid("card_number", "card_number", None, "10 chiffres")),
            // Platform-made cards are numbered 2xxxxxxxxx, apart from the imported ones.
            None => format!("2{:09}", store::next_counter(&mut tx, "card").await?),
        };
        let today = Utc::now().date_naive();
        let until = today.checked_add_months(Months::new(months)).unwrap_or(today);
        let row = CardRow {
            card_number: number.clone(),
            card_type,
            idnat_ps,
            valid_from: today.to_string(),
            valid_until: until.to_string(),
            opposed_on: None,
            closed_at: None,
        };
        if !store::insert_card(&mut tx, &row, &now).await? {
            return Err(RegError::conflict("card_exists", format!("la carte {number} existe déjà")));
        }
        audit::append(&mut *tx, &AuditEvent::new(by, "card.created", &format!("card:{number}")).after(&row)).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Issues an authentication certificate for a valid card, with a fresh key, and returns it
    /// with its key as PEM and as a PKCS#12 under `passphrase`.
    pub async fn issue_card_credentials(
        &self,
        by: &str,
        card_number: &str,
        passphrase: &str,
    ) -> Result<CardCredentials, RegError> {
        let authority = self.require_authority()?;
        if passphrase.chars().count() < 8 {
            return Err(RegError::invalid("weak_passphrase", "passphrase", None, "au moins 8 caractères"));
        }
        let key = tokio::task::spawn_blocking(|| SoftwareKey::generate(KeyAlgorithm::EcdsaP256))
            .await
            .map_err(|e| RegError::Issue(e.to_string()))?
            .map_err(|e| RegError::Issue(e.to_string()))?;
        let csr = santepki_authority::csr::request_for(&key).map_err(|e| RegError::Issue(e.to_string()))?;
        let issued = authority
            .issue(IssueRequest {
                profile: Profile::CardAuth,
                structure: None,
                professional: None,
                card: Some(card_number.trim().to_owned()),
                names: RequestedNames::default(),
                key: KeySource::Csr(csr),
                requested_by: by.to_owned(),
            })
            .await
            .map_err(|e| match e.is_client_error() {
                true => RegError::invalid(e.code(), "card_number", Some("R2"), e.to_string()),
                false => RegError::Issue(e.to_string()),
            })?;
        let personnes =
            authority.issuing(IssuingRole::Personnes).ok_or_else(|| RegError::Unavailable("no PERSONNES CA".into()))?;
        let chain = vec![personnes.der.clone(), authority.root().der.clone()];
        let pkcs8 = key.to_pkcs8().map_err(|e| RegError::Issue(e.to_string()))?;
        let pkcs12 = santepki_authority::pkcs12::build(&pkcs8, &issued.der, &chain, passphrase, card_number)
            .map_err(|e| RegError::Issue(e.to_string()))?;
        let key_pem = pem("PRIVATE KEY", &pkcs8);
        Ok(CardCredentials {
            card_number: card_number.trim().to_owned(),
            serial: issued.serial.clone(),
            certificate_pem: format!("{}{}", issued.pem(), personnes.pem()),
            key_pem,
            pkcs12,
            key_pkcs8: pkcs8.to_vec(),
        })
    }

    /// Puts a card in opposition (operators) and revokes its card certificates: it stops
    /// authenticating at once, and forms naming it are refused (R2, R20, R21).
    pub async fn oppose_card(&self, actor: &Actor, card_number: &str) -> Result<CardRow, RegError> {
        self.require_operator(actor).await?;
        self.oppose_card_by(&actor.audit_id(), card_number).await
    }

    /// The same, for the command line (`by` names the caller in the audit log).
    pub async fn oppose_card_by(&self, by: &str, card_number: &str) -> Result<CardRow, RegError> {
        let before =
            dir::card(self.db(), card_number).await?.ok_or_else(|| RegError::not_found("card", card_number))?;
        let today = Utc::now().date_naive().to_string();
        let now = time::now();
        // The opposition and the revocation of the card's certificates in one transaction (the
        // class of issue 15, point 10): a crash cannot leave an opposed card whose certificate
        // OCSP still says is good.
        let mut tx = self.db().begin_write().await?;
        if !store::oppose_card(&mut tx, card_number, &today, &now).await? {
            return Err(RegError::conflict("card_opposed", format!("la carte {card_number} est déjà en opposition")));
        }
        let after = CardRow { opposed_on: Some(today), ..before.clone() };
        audit::append(
            &mut *tx,
            &AuditEvent::new(by, "card.opposed", &format!("card:{card_number}")).before(&before).after(&after),
        )
        .await?;
        let mut revoked = Vec::new();
        if let Some(authority) = self.authority() {
            for serial in store::card_certificate_serials(&mut *tx, card_number).await? {
                authority
                    .revoke_in(&mut tx, &serial, RevocationReason::KeyCompromise, by)
                    .await
                    .map_err(|e| RegError::Issue(e.to_string()))?;
                revoked.push(serial);
            }
        }
        tx.commit().await?;
        if let Some(authority) = self.authority() {
            for serial in &revoked {
                authority.forget_status(serial);
            }
        }
        Ok(after)
    }

    /// Registers a card on behalf of an operator (the API's `POST /cards`). Its certificate is
    /// made on the card itself in reality, and by `santepki card issue` for test cards.
    pub async fn register_card_as_operator(&self, actor: &Actor, req: NewCard) -> Result<CardRow, RegError> {
        self.require_operator(actor).await?;
        self.register_card(&actor.audit_id(), req).await
    }

    /// A card, for its holder and operators.
    pub async fn card_view(&self, actor: &Actor, card_number: &str) -> Result<CardView, RegError> {
        let card = dir::card(self.db(), card_number).await?.ok_or_else(|| RegError::not_found("card", card_number))?;
        if card.card_number != actor.card_number && card.idnat_ps != actor.idnat_ps && !self.is_operator(actor).await? {
            return Err(RegError::not_found("card", card_number));
        }
        let valid = crate::actor::card_is_valid(&card, Utc::now().date_naive());
        let certificates = store::card_certificate_serials(self.db().pool(), card_number).await?;
        Ok(CardView { card, valid, certificates })
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap_or_default()
}
