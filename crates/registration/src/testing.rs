//! Helpers for tests and benchmarks (feature `testing`): cards with their credentials, and
//! forms 413 filled in the way a structure would.

// Test support: a failed set-up step is a failed test, and a panic says which.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use santepki_authority::keys::SoftwareKey;
use santepki_authority::KeyAlgorithm;
use santepki_domain::form413::{EstablishmentSite, Form413, Offers, Person, Signer, SignerRole, StructureCase, Usage};
use santepki_storage::directory as dir;

use crate::cards::NewCard;
use crate::Registration;

/// A card with its authentication credentials, as a test client holds it.
pub struct TestCard {
    /// The card number (10 digits).
    pub number: String,
    /// The holder's idNat_PS.
    pub idnat_ps: String,
    /// The holder's last name, as on the card.
    pub last_name: String,
    /// The holder's first name, as on the card.
    pub first_name: String,
    /// Card certificate and PERSONNES CA (PEM).
    pub cert_pem: String,
    /// PKCS#8 PEM.
    pub key_pem: String,
    /// The card's private key, to sign forms and CMS content.
    pub key: SoftwareKey,
    /// The card certificate (DER).
    pub cert_der: Vec<u8>,
}

impl TestCard {
    /// Certificate and key in one PEM, as `reqwest::Identity::from_pem` and `curl --cert` take.
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
    }

    /// A detached CMS signature of `content` with the card's key (R47).
    pub fn sign(&self, content: &[u8]) -> Vec<u8> {
        santepki_authority::testing::cms_sign(&self.key, &self.cert_der, content)
    }

    /// The person of a form section (3.2 or 4.1) for this card's holder.
    pub fn person(&self) -> Person {
        Person {
            last_name: self.last_name.clone(),
            first_names: self.first_name.clone(),
            phone: "0102030405".into(),
            email: format!("{}@example.org", self.number),
            card_number: self.number.clone(),
        }
    }
}

/// Credentials for an existing card (a directory card, or one just registered).
pub async fn credentials(reg: &Registration, number: &str) -> TestCard {
    let card =
        dir::card(reg.db(), number).await.expect("card lookup").unwrap_or_else(|| panic!("card {number} unknown"));
    let person = dir::professional(reg.db(), &card.idnat_ps).await.expect("holder lookup").expect("holder");
    let c = reg.issue_card_credentials("test", number, "test-passphrase").await.expect("card credentials");
    let cert_der = x509_first_der(&c.certificate_pem);
    TestCard {
        number: number.to_owned(),
        idnat_ps: card.idnat_ps,
        last_name: person.last_name,
        first_name: person.first_name,
        key: SoftwareKey::from_pkcs8(KeyAlgorithm::EcdsaP256, &c.key_pkcs8).expect("card key"),
        cert_pem: c.certificate_pem,
        key_pem: c.key_pem,
        cert_der,
    }
}

/// Registers a card of `card_type` for a new holder attached to `structure`, with credentials.
pub async fn new_card(reg: &Registration, card_type: &str, last: &str, first: &str, structure: &str) -> TestCard {
    let row = reg
        .register_card(
            "test",
            NewCard {
                card_type: card_type.into(),
                idnat_ps: None,
                last_name: Some(last.into()),
                first_name: Some(first.into()),
                structure: Some(structure.into()),
                months: None,
                card_number: None,
            },
        )
        .await
        .expect("register card");
    credentials(reg, &row.card_number).await
}

/// The current valid card of a professional of the directory.
pub async fn card_of(reg: &Registration, idnat_ps: &str) -> String {
    let today = chrono::Utc::now().date_naive().to_string();
    dir::cards_of(reg.db(), idnat_ps)
        .await
        .expect("cards")
        .into_iter()
        .find(|c| c.opposed_on.is_none() && c.valid_until >= today && c.valid_from <= today)
        .unwrap_or_else(|| panic!("{idnat_ps} has no valid card"))
        .card_number
}

/// A complete form 413 for `identifiers`, signed by `signer` as `role`, with `admins`.
pub fn form(
    case: StructureCase,
    identifiers: &[String],
    signer: &TestCard,
    role: SignerRole,
    admins: &[&TestCard],
) -> Form413 {
    Form413 {
        case,
        identifiers: identifiers.to_vec(),
        site: None,
        signer: Signer { role, person: signer.person() },
        administrators: admins.iter().map(|a| a.person()).collect(),
        usage: Usage {
            description: "Alimentation du DMP et appel du téléservice INSi".into(),
            vendor: "EDITEUR DE TEST".into(),
            solution: "LOGICIEL DE TEST".into(),
            version: "1.0".into(),
        },
        offers: Offers { org: true, ..Default::default() },
    }
}

/// Section 1 of an establishment's form 413 (R17) for the FINESS géographique `finess`, as the
/// directory knows the establishment: its name, FINESS, postal code and town.
pub async fn establishment_site(reg: &Registration, finess: &str) -> EstablishmentSite {
    let row = dir::structure(reg.db(), &format!("1{finess}"))
        .await
        .expect("structure lookup")
        .unwrap_or_else(|| panic!("establishment {finess} unknown"));
    EstablishmentSite {
        name: row.name,
        finess_geographique: Some(finess.to_owned()),
        postal_code: row.postal_code.unwrap_or_else(|| "75001".into()),
        town: row.town.unwrap_or_else(|| "PARIS".into()),
    }
}

fn x509_first_der(pem: &str) -> Vec<u8> {
    let start = pem.find("-----BEGIN CERTIFICATE-----").expect("PEM");
    let end = pem[start..].find("-----END CERTIFICATE-----").expect("PEM") + start + "-----END CERTIFICATE-----".len();
    let (_, der) = der::pem::decode_vec(&pem.as_bytes()[start..end]).expect("PEM certificate");
    der
}
