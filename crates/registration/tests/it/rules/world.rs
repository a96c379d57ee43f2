//! The shared setup: a fresh SQLite database per test, holding the generated test directory (its
//! seed cases: pharmacy, LBM, SCM radiologist, GIE, ESSMS, hospital…), a CA, an agency operator
//! and a software vendor with two technical administrators (R6, R49). Only the registration and
//! storage APIs are used: no SQL.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use santepki_authority::keys::SoftwareKey;
use santepki_authority::{Authority, CaSettings, CaSigner, KeyAlgorithm, KeyCustody, KeyError};
use santepki_directory::generate::{self, seed_cases as seed, GenerateOptions, GeneratedFiles, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::form413::{Form413, SignerRole, StructureCase};
use santepki_domain::ValidationMode;
use santepki_registration::contracts::{ContractOutcome, NewContract};
use santepki_registration::forms::{Decision, FormView, Signature};
use santepki_registration::orders::OrderRequest;
use santepki_registration::roles::NewRole;
use santepki_registration::testing::{self as t, TestCard};
use santepki_registration::{Actor, MailSettings, RegError, Registration};
use santepki_storage::testing::{self as db_testing, TestDb};

/// The agency's SIRET (its operators' cards are attached to it).
pub const AGENCY: &str = "318751275100020";
/// The software vendor's SIRET.
pub const VENDOR_SIRET: &str = "44306184100047";

/// Everything a rule test starts from.
pub struct World {
    pub reg: Registration,
    /// An agency operator (made on the command line in real life).
    pub op: TestCard,
    /// The vendor's legal entity, `3<SIRET>`, with its contract (R6).
    pub vendor: String,
    pub vendor_contract: String,
    /// The vendor's legal representative (CDA).
    pub vendor_lr: TestCard,
    /// Two of the vendor's technical administrators (CPA), active vendor-administrator roles.
    pub admin: TestCard,
    pub admin2: TestCard,
    _db: TestDb,
}

/// Writes the test directory's files into `dir`: the seed cases and a handful of generated
/// structures and professionals (a few milliseconds at this size, so each test writes its own).
fn directory_files(dir: &Path) -> GeneratedFiles {
    let opts = GenerateOptions {
        scale: Scale::Custom { legal_entities: 5, establishments: 5, situations: 20 },
        ..Default::default()
    };
    generate::generate(dir, &opts).expect("generate the test directory")
}

/// The CA keys of a test, in memory. The software custody encrypts each key file with scrypt,
/// which costs over a second per CA hierarchy: more than the rest of a rule test, and not what
/// these tests prove.
#[derive(Default)]
struct MemoryCustody {
    keys: Mutex<HashMap<String, Vec<u8>>>,
}

impl KeyCustody for MemoryCustody {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn generate(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError> {
        let mut keys = self.keys.lock().unwrap();
        if keys.contains_key(label) {
            return Err(KeyError::Exists(label.into()));
        }
        let key = SoftwareKey::generate(algorithm)?;
        keys.insert(label.into(), key.to_pkcs8()?.to_vec());
        Ok(Arc::new(key))
    }

    fn open(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError> {
        let keys = self.keys.lock().unwrap();
        let pkcs8 = keys.get(label).ok_or_else(|| KeyError::NotFound(label.into()))?;
        Ok(Arc::new(SoftwareKey::from_pkcs8(algorithm, pkcs8)?))
    }
}

/// A fresh world: its own database, directory import, CA and actors.
pub async fn world() -> World {
    let db = db_testing::sqlite().await;
    let folder = tempfile::tempdir().unwrap();
    let files = directory_files(folder.path());
    let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
    for f in files.in_import_order() {
        import_file(&db.db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
    }
    let mut settings = CaSettings::test("http://127.0.0.1:9");
    settings.key_algorithm = KeyAlgorithm::EcdsaP256;
    let (ca, _) = Authority::init(db.db.clone(), settings, &MemoryCustody::default(), "test").await.unwrap();
    let reg = Registration::new(db.db.clone(), ValidationMode::Test, Some(ca), MailSettings::default());

    let op = t::new_card(&reg, "CPE", "OPERATRICE", "AGNES", &format!("3{AGENCY}")).await;
    reg.add_operator(&op.number, "cli:test").await.unwrap();
    let vendor_lr = t::new_card(&reg, "CDA", "DIRIGEANT", "VICTOR", &format!("3{VENDOR_SIRET}")).await;
    let admin = t::new_card(&reg, "CPA", "ADMINISTRATRICE", "ALICE", &format!("3{VENDOR_SIRET}")).await;
    let admin2 = t::new_card(&reg, "CPA", "ADMINISTRATEUR", "BRUNO", &format!("3{VENDOR_SIRET}")).await;
    let vendor = format!("3{VENDOR_SIRET}");
    let op_actor = reg.actor_for_card(&op.number).await.unwrap();
    let outcome = reg
        .create_contract(
            &op_actor,
            NewContract {
                legal_entity: vendor.clone(),
                kind: Some("vendor".into()),
                name: Some("EDITEUR DE TEST".into()),
                legal_representative_card: Some(vendor_lr.number.clone()),
            },
        )
        .await
        .unwrap();
    let lr_actor = reg.actor_for_card(&vendor_lr.number).await.unwrap();
    for a in [&admin, &admin2] {
        reg.request_role(
            &lr_actor,
            &outcome.contract.id,
            NewRole { kind: "vendor-administrator".into(), card_number: a.number.clone(), form: None },
        )
        .await
        .unwrap();
    }
    World { reg, op, vendor, vendor_contract: outcome.contract.id, vendor_lr, admin, admin2, _db: db }
}

impl World {
    /// The actor behind a card (R2: a valid card).
    pub async fn actor(&self, card: &TestCard) -> Actor {
        self.reg.actor_for_card(&card.number).await.unwrap()
    }

    pub async fn op_actor(&self) -> Actor {
        self.actor(&self.op).await
    }

    /// Credentials for an existing card of the directory.
    pub async fn card(&self, number: &str) -> TestCard {
        t::credentials(&self.reg, number).await
    }

    /// The current card of a professional of the directory, by RPPS.
    pub async fn directory_card(&self, rpps: &str) -> TestCard {
        let number = t::card_of(&self.reg, &format!("8{rpps}")).await;
        t::credentials(&self.reg, &number).await
    }

    /// A new card of `card_type` attached to `structure`.
    pub async fn new_card(&self, card_type: &str, last: &str, first: &str, structure: &str) -> TestCard {
        t::new_card(&self.reg, card_type, last, first, structure).await
    }

    /// Makes (or reuses, R3) the contract of `entity`, with its legal representative.
    pub async fn contract(&self, entity: &str, lr: Option<&TestCard>) -> ContractOutcome {
        self.reg
            .create_contract(
                &self.op_actor().await,
                NewContract {
                    legal_entity: entity.into(),
                    kind: None,
                    name: None,
                    legal_representative_card: lr.map(|c| c.number.clone()),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("contract {entity}: {e}"))
    }

    /// Prepares (by `preparer`) a form 413.
    pub async fn prepare(&self, preparer: &TestCard, form: &Form413) -> Result<FormView, RegError> {
        self.reg.prepare_form(&self.actor(preparer).await, form.clone()).await
    }

    /// The signer signs over their card session (R47).
    pub async fn sign(&self, signer: &TestCard, id: &str) -> Result<FormView, RegError> {
        self.reg.sign_form(&self.actor(signer).await, id, Signature::Session).await
    }

    /// The operator decides a form.
    pub async fn decide(&self, id: &str, decision: &str, reason: Option<&str>) -> Result<FormView, RegError> {
        let d = Decision { decision: decision.into(), reason: reason.map(str::to_owned) };
        self.reg.decide_form(&self.op_actor().await, id, &d).await
    }

    /// Prepares, signs and validates a form: the habilitations it made (R25).
    pub async fn habilitate(&self, preparer: &TestCard, signer: &TestCard, form: &Form413) -> FormView {
        let prepared = self.prepare(preparer, form).await.unwrap_or_else(|e| panic!("prepare: {e}"));
        self.sign(signer, &prepared.row.id).await.unwrap_or_else(|e| panic!("sign: {e}"));
        self.decide(&prepared.row.id, "validate", None).await.unwrap_or_else(|e| panic!("validate: {e}"))
    }

    /// The pharmacy of the directory (R10) with its contract: its titulaire (legal
    /// representative), its FINESS géographique, and a complete form naming `admin`.
    pub async fn pharmacy(&self) -> Pharmacy {
        let pharmacist = self.card(seed::PHARMACIST_CARD).await;
        self.contract(&format!("1{}", seed::PHARMACY_EJ), Some(&pharmacist)).await;
        let eg = format!("1{}", seed::PHARMACY_EG);
        let form = t::form(
            StructureCase::Pharmacy,
            std::slice::from_ref(&eg),
            &pharmacist,
            SignerRole::LegalRepresentative,
            &[&self.admin],
        );
        Pharmacy { pharmacist, eg, form }
    }

    /// The pharmacy, habilitated for `admin` (R25).
    pub async fn habilitated_pharmacy(&self) -> Pharmacy {
        let p = self.pharmacy().await;
        self.habilitate(&self.admin, &p.pharmacist, &p.form).await;
        p
    }

    /// The pharmacy, habilitated for `admin` with the ORG and PRO offers (R23), its PRO mail
    /// domain `pharmacie.test` (R17).
    pub async fn habilitated_pharmacy_with_pro(&self) -> Pharmacy {
        let mut p = self.pharmacy().await;
        p.form.offers.pro = true;
        p.form.offers.pro_mail_domain = Some("pharmacie.test".into());
        self.habilitate(&self.admin, &p.pharmacist, &p.form).await;
        p
    }

    /// The card numbers habilitated on a structure (as an operator sees them).
    pub async fn administrators(&self, idnat: &str) -> Vec<String> {
        let mut cards: Vec<String> = self
            .reg
            .habilitations_of_structure(&self.op_actor().await, idnat)
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.row.card_number)
            .collect();
        cards.sort();
        cards
    }
}

/// The pharmacy seed case, ready for a form 413.
pub struct Pharmacy {
    pub pharmacist: TestCard,
    pub eg: String,
    pub form: Form413,
}

/// A complete order of an ORG AUTH_CLI certificate for the DMP (R29) from a fresh CSR.
pub fn order(structure: &str) -> OrderRequest {
    OrderRequest {
        profile: "org-auth-cli".into(),
        structure: structure.into(),
        service: Some("DMP AUTHENTIFICATION".into()),
        actor_email: "it@pharmacie.test".into(),
        csr: Some(csr_pem()),
        ..Default::default()
    }
}

/// A PKCS#10 request for a fresh P-256 key.
pub fn csr_pem() -> String {
    let (der, _key) = santepki_authority::testing::csr(KeyAlgorithm::EcdsaP256);
    der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der).unwrap()
}

/// The `(rule, field)` of every refusal of a form (`RegError::Refused`); panics on other errors.
pub fn refusals<T>(r: Result<T, RegError>) -> Vec<(&'static str, String)> {
    match r {
        Err(RegError::Refused(list)) => list.into_iter().map(|x| (x.rule, x.field)).collect(),
        Err(e) => panic!("expected a refused form, got {e:?}"),
        Ok(_) => panic!("expected a refused form, got a success"),
    }
}

/// Asserts the form is refused with `rule` on `field` (among its refusals).
#[track_caller]
pub fn assert_refused<T>(r: Result<T, RegError>, rule: &str, field: &str) {
    let got = refusals(r);
    assert!(got.iter().any(|(r, f)| *r == rule && f == field), "expected {rule} on {field}, got {got:?}");
}

/// Asserts an error with this machine code and rule id.
#[track_caller]
pub fn assert_error<T>(r: Result<T, RegError>, code: &str, rule: Option<&str>) {
    match r {
        Err(e) => assert_eq!((e.code(), e.rule()), (code, rule), "{e}"),
        Ok(_) => panic!("expected {code} ({rule:?}), got a success"),
    }
}

/// The text form of a stored value (a state, a kind…), whether it is kept as a string or as an
/// enum with its text form.
pub fn text(v: impl ToString) -> String {
    v.to_string()
}
