//! `santepki demo`: a whole platform on the embedded defaults, in one command.
//!
//! On first run it creates `./santepki-demo` with a configuration (SQLite, test-environment
//! identifiers), generates the demo directory (seed cases included) and imports it; later runs
//! reuse the folder as it is. It then serves, prints what listens where, and writes
//! `santepki-demo/demo.json` with the same facts for scripts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use santepki_directory::generate::{self, seed_cases, GenerateOptions, Scale};
use santepki_directory::import::Quiet;
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::form413::{Form413, Offers, Person, Signer, SignerRole, StructureCase, Usage};
use santepki_domain::ValidationMode;
use santepki_registration::forms::{Decision, Signature};
use santepki_registration::Registration;
use santepki_storage::directory as store;
use santepki_storage::{redact_url, Db};
use serde::Serialize;

use crate::config::{self, CONFIG_FILE, DEMO_DIR};
use crate::output;

#[derive(Args)]
pub struct DemoArgs {
    /// The demo folder (created on first run, reused afterwards).
    #[arg(long, default_value = DEMO_DIR, value_name = "DIR")]
    dir: PathBuf,
    /// Set the demo up (folder, directory) and exit without serving.
    #[arg(long)]
    setup_only: bool,
}

/// What `demo.json` holds: the facts a script needs to use the running demo. Parts that later
/// components provide (HTTPS portal, LDAP, CA bundle, card files) are `null` / empty until then.
#[derive(Debug, Serialize)]
pub struct DemoFacts {
    /// The card-authenticated HTTPS API (mutual TLS with a demo card).
    pub portal_url: Option<String>,
    /// The HTTPS listener's self-signed certificate.
    pub portal_certificate: Option<String>,
    /// Where the demo's mail goes (`.eml` files).
    pub outbox: String,
    /// The plain HTTP listener (directory, OCSP, CRLs, CA certificates; no card).
    pub http_url: String,
    /// The API where every route answers: on the HTTPS listener, with a demo card (issue 15, point 21: on the plain
    /// listener every card route answers 401).
    pub api_url: String,
    /// The API routes that need no card (directory search), on the plain listener.
    pub public_api_url: String,
    pub ldap_url: Option<String>,
    pub ca_bundle: Option<String>,
    pub cards: Vec<DemoCard>,
    pub config_file: String,
    pub database_url: String,
    pub directory: store::DirectoryCounts,
}

#[derive(Debug, Serialize)]
pub struct DemoCard {
    pub role: String,
    pub card_number: String,
    pub card_type: String,
    pub name: String,
    pub idnat_ps: String,
    pub p12: String,
    pub passphrase: String,
    pub cert_pem: String,
    pub key_pem: String,
}

const DEMO_CONFIG: &str = r#"# santepki demo configuration, written by `santepki demo` on first run.
# Every santepki subcommand run from the folder above uses it (or pass --config FILE).
# SANTEPKI_* environment variables override it (SANTEPKI_HTTP__LISTEN=127.0.0.1:9080…).

[database]
# Relative to this file's folder.
url = "sqlite://santepki.db"

[directory]
# The demo directory holds the agency's test identities (RPPS 997…, test SIRETs).
identifiers = "test"

[http]
listen = "127.0.0.1:8080"

[portal]
listen = "127.0.0.1:8443"

[ldap]
listen = "127.0.0.1:3890"

[mail]
# The demo's mail (acknowledgements, decisions) lands as .eml files in outbox/.
transport = "folder"
outbox_dir = "outbox"
from = "santepki demo <no-reply@demo.santepki.test>"

[ca]
# Test-environment naming (TEST AC IGC-SANTE …) and RSA 4096 keys, as the real hierarchy.
environment = "test"
key_backend = "software"
key_algorithm = "rsa4096"
key_dir = "ca-keys"
# Encrypts the demo's CA key files; chosen at random when the demo folder was created.
key_passphrase = "@PASSPHRASE@"
"#;

/// The demo's cards from the directory: a card certificate each (issued by the PERSONNES CA), for
/// logging in to the portal and the API.
const DEMO_CARDS: [(&str, &str); 4] = [
    (seed_cases::PHARMACIST_CARD, "pharmacien titulaire, représentant légal de la PHARMACIE DU CENTRE"),
    (seed_cases::LBM_SELAS_LEGAL_REP_CARD, "représentante légale du LBM SELAS BIOLOGIE DU LITTORAL"),
    (seed_cases::TEST_PS_CARD, "professionnel de santé de test (R44)"),
    (seed_cases::SCM_RADIOLOGIST_CARD, "radiologue de la SCM"),
];

/// Cards the demo registers itself (holders the directory does not know), with fixed numbers so
/// that a restarted demo finds them: (number, type, last name, first name, structure, role).
/// The cards' structures are idNat_Struct: `3` + SIRET, `1` + FINESS.
const AGENCY_STRUCTURE: &str = "3318751275100020";
const VENDOR_STRUCTURE: &str = "344306184100047";
/// The medico-social manager's FINESS juridique (`1` + `seed_cases::ESSMS_EJ`), R16.
const ESSMS_STRUCTURE: &str = "1300900016";
const OPERATOR_CARD: &str = "2000000101";
const VENDOR_LR_CARD: &str = "2000000102";
const VENDOR_ADMIN_CARD: &str = "2000000103";
/// The director of the medico-social manager (R16), its legal representative: a CDE card (R4).
const ESSMS_DIRECTOR_CARD: &str = "2000000104";
const DEMO_NEW_CARDS: [(&str, &str, &str, &str, &str, &str); 4] = [
    (
        VENDOR_ADMIN_CARD,
        "CPA",
        "ADMINISTRATRICE",
        "ALICE",
        VENDOR_STRUCTURE,
        "administratrice technique (CPA) de l'éditeur EDITEUR DEMO",
    ),
    (OPERATOR_CARD, "CPE", "OPERATRICE", "AGNES", AGENCY_STRUCTURE, "opératrice de l'Agence (back-office)"),
    (
        VENDOR_LR_CARD,
        "CDA",
        "DIRIGEANT",
        "VICTOR",
        VENDOR_STRUCTURE,
        "représentant légal (CDA) de l'éditeur EDITEUR DEMO",
    ),
    (
        ESSMS_DIRECTOR_CARD,
        "CDE",
        "DIRECTEUR",
        "ETIENNE",
        ESSMS_STRUCTURE,
        "directeur (CDE), représentant légal de l'ASSOCIATION ACCUEIL ET SOINS DU VAL DE CEZE (ESSMS)",
    ),
];

/// Passphrase of the demo cards' PKCS#12 files (throw-away test identities).
const DEMO_CARD_PASSPHRASE: &str = "santepki-demo";

pub async fn run(args: DemoArgs, config_file: Option<PathBuf>) -> Result<ExitCode> {
    let dir = args.dir.clone();
    let created = !dir.join(CONFIG_FILE).is_file();
    if created {
        // The folder holds the CA key passphrase (in the configuration), the CA keys and the cards' keys.
        super::create_private_dir(&dir)?;
        let passphrase = random_passphrase();
        super::ca::write_file(
            &dir.join(CONFIG_FILE),
            DEMO_CONFIG.replace("@PASSPHRASE@", &passphrase).as_bytes(),
            true,
        )?;
        eprintln!("created the demo folder {}", dir.display());
    } else {
        eprintln!("reusing the demo folder {}", dir.display());
    }
    let _ = std::fs::remove_file(dir.join("demo.json"));
    let loaded = config::load(Some(config_file.unwrap_or_else(|| dir.join(CONFIG_FILE))))?;
    let url = loaded.database_url();
    let db = Db::connect(&url).await.with_context(|| format!("opening {}", redact_url(&url)))?;

    load_demo_directory(&db, &dir, loaded.config.directory.identifiers).await?;
    let counts = store::counts(&db).await?;
    let (authority, created) =
        super::ca::init(&loaded, &db, "demo").await.context("creating the demo CA (ca.* settings)")?;
    if created {
        eprintln!(
            "created the demo CA hierarchy ({})",
            authority.cas().iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    // Absolute paths in demo.json: scripts read it from anywhere.
    let abs_dir = std::fs::canonicalize(&dir).with_context(|| format!("resolving {}", dir.display()))?;
    let bundle = abs_dir.join("ca-bundle.pem");
    super::ca::write_file(&bundle, authority.bundle_pem().as_bytes(), false)?;
    let reg = Registration::new(
        db.clone(),
        loaded.config.directory.identifiers,
        Some(authority.clone()),
        super::serve::mail_settings(&loaded),
    );
    demo_registration(&reg).await.context("setting up the demo's contracts, cards and habilitations")?;
    let cards = demo_cards(&reg, &abs_dir).await?;
    if args.setup_only {
        eprintln!("demo ready in {} (not serving: --setup-only)", dir.display());
        return Ok(ExitCode::SUCCESS);
    }

    let running = super::serve::start(&loaded, db.clone()).await?;
    let facts = DemoFacts {
        portal_url: running.portal_url.clone(),
        portal_certificate: running
            .portal_url
            .as_ref()
            .map(|_| abs_dir.join("tls/server.crt.pem").display().to_string()),
        outbox: abs_dir.join("outbox").display().to_string(),
        api_url: format!("{}/api/v1", running.portal_url.as_deref().unwrap_or(&running.http_url)),
        public_api_url: format!("{}/api/v1", running.http_url),
        http_url: running.http_url.clone(),
        ldap_url: Some(running.ldap_url.clone()),
        ca_bundle: Some(bundle.display().to_string()),
        cards,
        config_file: dir.join(CONFIG_FILE).display().to_string(),
        database_url: redact_url(&url),
        directory: counts,
    };
    let json_path = dir.join("demo.json");
    let tmp = dir.join("demo.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&facts)?)?;
    // Rename so that a script polling for demo.json never reads half a file.
    std::fs::rename(&tmp, &json_path)?;

    print_banner(&facts, &json_path);
    super::serve::shutdown_signal().await;
    eprintln!("stopping");
    running.stop().await;
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

fn random_passphrase() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..24).map(|_| rng.sample(rand::distributions::Alphanumeric) as char).collect()
}

/// The demo's registration data, made once: its own cards (vendor administrator, agency
/// operator, vendor legal representative), the contracts of the pharmacy, the LBM and the
/// vendor, and habilitations of the vendor's administrator on the pharmacy and the LBM through
/// signed and validated forms 413, so that ordering works at once.
async fn demo_registration(reg: &Registration) -> Result<()> {
    use santepki_registration::cards::NewCard;
    use santepki_registration::contracts::NewContract;
    use santepki_registration::roles::NewRole;
    use santepki_registration::RegError;
    let ok_if_exists = |r: Result<(), RegError>| match r {
        Ok(()) | Err(RegError::Conflict { .. }) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    };
    for (number, card_type, last, first, structure, _) in DEMO_NEW_CARDS {
        let req = NewCard {
            card_type: card_type.into(),
            idnat_ps: None,
            last_name: Some(last.into()),
            first_name: Some(first.into()),
            structure: Some(structure.into()),
            months: None,
            card_number: Some(number.into()),
        };
        ok_if_exists(reg.register_card("demo", req).await.map(|_| ()))?;
    }
    ok_if_exists(reg.add_operator(OPERATOR_CARD, "demo").await.map(|_| ()))?;
    let op = reg.actor_for_card(OPERATOR_CARD).await?;
    let contract = |entity: String, kind: &str, lr: &str| NewContract {
        legal_entity: entity,
        kind: Some(kind.into()),
        name: (kind == "vendor").then(|| "EDITEUR DEMO".to_owned()),
        legal_representative_card: Some(lr.into()),
    };
    let vendor = reg.create_contract(&op, contract(VENDOR_STRUCTURE.into(), "vendor", VENDOR_LR_CARD)).await?;
    reg.create_contract(
        &op,
        contract(format!("1{}", seed_cases::PHARMACY_EJ), "structure", seed_cases::PHARMACIST_CARD),
    )
    .await?;
    reg.create_contract(
        &op,
        contract(format!("1{}", seed_cases::LBM_SELAS_EJ), "structure", seed_cases::LBM_SELAS_LEGAL_REP_CARD),
    )
    .await?;
    reg.create_contract(&op, contract(ESSMS_STRUCTURE.into(), "structure", ESSMS_DIRECTOR_CARD)).await?;
    let vendor_lr = reg.actor_for_card(VENDOR_LR_CARD).await?;
    let role = NewRole { kind: "vendor-administrator".into(), card_number: VENDOR_ADMIN_CARD.into(), form: None };
    ok_if_exists(reg.request_role(&vendor_lr, &vendor.contract.id, role).await.map(|_| ()))?;

    let admin = reg.actor_for_card(VENDOR_ADMIN_CARD).await?;
    if !reg.my_habilitations(&admin).await?.is_empty() {
        return Ok(());
    }
    let person = |a: &santepki_registration::Actor| Person {
        last_name: a.last_name.clone(),
        first_names: a.first_name.clone(),
        phone: "0102030405".into(),
        email: format!("{}@demo.santepki.test", a.card_number),
        card_number: a.card_number.clone(),
    };
    for (case, eg, lr_card) in [
        (StructureCase::Pharmacy, seed_cases::PHARMACY_EG, seed_cases::PHARMACIST_CARD),
        (StructureCase::LbmSelas, seed_cases::LBM_SELAS_MAIN_EG, seed_cases::LBM_SELAS_LEGAL_REP_CARD),
    ] {
        let lr = reg.actor_for_card(lr_card).await?;
        let form = Form413 {
            case,
            identifiers: vec![format!("1{eg}")],
            site: None,
            signer: Signer { role: SignerRole::LegalRepresentative, person: person(&lr) },
            administrators: vec![person(&admin)],
            usage: Usage {
                description: "Alimentation du DMP et appel du téléservice INSi".into(),
                vendor: "EDITEUR DEMO".into(),
                solution: "LOGICIEL DEMO".into(),
                version: "1.0".into(),
            },
            offers: Offers { org: true, ..Default::default() },
        };
        let prepared = reg.prepare_form(&admin, form).await?;
        reg.sign_form(&lr, &prepared.row.id, Signature::Session).await?;
        reg.decide_form(&op, &prepared.row.id, &Decision { decision: "validate".into(), reason: None }).await?;
    }
    Ok(())
}

/// Writes (once) the credentials of each demo card under `cards/`: a PKCS#12, the certificate
/// chain and the key, in PEM.
async fn demo_cards(reg: &Registration, dir: &Path) -> Result<Vec<DemoCard>> {
    let cards_dir = dir.join("cards");
    super::create_private_dir(&cards_dir)?;
    let mut out = Vec::new();
    let all = DEMO_NEW_CARDS.iter().map(|c| (c.0, c.5)).chain(DEMO_CARDS.iter().copied());
    for (number, role) in all {
        let Some(card) = store::card(reg.db(), number).await? else { continue };
        let Some(person) = store::professional(reg.db(), &card.idnat_ps).await? else { continue };
        let p12 = cards_dir.join(format!("{number}.p12"));
        let cert_pem = cards_dir.join(format!("{number}.crt.pem"));
        let key_pem = cards_dir.join(format!("{number}.key.pem"));
        if !(p12.is_file() && cert_pem.is_file() && key_pem.is_file()) {
            for f in [&p12, &cert_pem, &key_pem] {
                let _ = std::fs::remove_file(f);
            }
            let c = reg
                .issue_card_credentials("demo", number, DEMO_CARD_PASSPHRASE)
                .await
                .with_context(|| format!("issuing the demo card certificate {number}"))?;
            super::ca::write_file(&key_pem, c.key_pem.as_bytes(), true)?;
            super::ca::write_file(&cert_pem, c.certificate_pem.as_bytes(), false)?;
            super::ca::write_file(&p12, &c.pkcs12, true)?;
        }
        out.push(DemoCard {
            role: role.to_owned(),
            card_number: number.to_owned(),
            card_type: card.card_type.to_string(),
            name: format!("{} {}", person.first_name, person.last_name),
            idnat_ps: person.idnat_ps,
            p12: p12.display().to_string(),
            passphrase: DEMO_CARD_PASSPHRASE.to_owned(),
            cert_pem: cert_pem.display().to_string(),
            key_pem: key_pem.display().to_string(),
        });
    }
    Ok(out)
}

/// Generates and imports the demo directory when the database has none yet.
async fn load_demo_directory(db: &Db, dir: &Path, mode: ValidationMode) -> Result<()> {
    if store::counts(db).await?.professionals > 0 {
        return Ok(());
    }
    let files_dir = dir.join("directory");
    eprintln!("generating the demo directory in {}", files_dir.display());
    let files = generate::generate(&files_dir, &GenerateOptions { scale: Scale::Demo, ..Default::default() })
        .with_context(|| format!("writing {}", files_dir.display()))?;
    let opts = ImportOptions { mode, actor: "demo".into(), ..Default::default() };
    for f in files.in_import_order() {
        let report =
            import_file(db, f, &opts, Arc::new(Quiet)).await.with_context(|| format!("importing {}", f.display()))?;
        output::print_import_report(&report);
    }
    Ok(())
}

fn print_banner(f: &DemoFacts, json: &Path) {
    let c = &f.directory;
    println!("santepki demo is running.");
    println!();
    println!("  HTTP (directory API)  {}", f.http_url);
    println!("    try: curl {}/directory/professionals/99700270616", f.public_api_url);
    if let Some(ldap) = &f.ldap_url {
        println!("  LDAP (CPS directory)  {ldap}");
        println!(
            "    try (R44): ldapsearch -H {ldap} -x -b \"o=TEST,c=fr\" -s sub -a always \"(cn=899700270616)\" ou raisonSociale postalAddress sectActRPPS objectClass"
        );
    }
    if let Some(bundle) = &f.ca_bundle {
        println!(
            "  CA (OCSP, CRL, certs) {}/ocsp, {}/crl/ACI-EL-ORG.crl, {}/ca/chain.p7b",
            f.http_url, f.http_url, f.http_url
        );
        println!("    CA bundle           {bundle}");
        println!("    try: santepki ca show");
    }
    if let Some(portal) = &f.portal_url {
        println!("  HTTPS API (cards)     {portal}/api/v1  (OpenAPI: {portal}/api/v1/openapi.json)");
        if let Some(c) = f.cards.first() {
            println!("    try: curl -k --cert {} --key {} {portal}/api/v1/me", c.cert_pem, c.key_pem);
        }
    }
    for c in &f.cards {
        println!("  Demo card {} {}  {} — {}", c.card_type, c.card_number, c.name, c.role);
        println!("    {} (passphrase {})", c.p12, c.passphrase);
    }
    println!("  Mail outbox           {}", f.outbox);
    println!(
        "  Directory             {} professionals, {} situations, {} legal entities, {} establishments, {} practices",
        c.professionals, c.situations, c.legal_entities, c.establishments, c.practices
    );
    println!("  Database              {}", f.database_url);
    println!("  Configuration         {}", f.config_file);
    println!("  Facts for scripts     {}", json.display());
    println!();
    println!("From this folder, other commands use the demo: santepki directory search 99700270616");
    println!("Stop with Ctrl-C.");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essms_structure_is_the_seed_manager_finess_juridique() {
        assert_eq!(ESSMS_STRUCTURE, format!("1{}", seed_cases::ESSMS_EJ));
        assert_eq!(VENDOR_STRUCTURE, format!("3{}", "44306184100047"));
    }
}
