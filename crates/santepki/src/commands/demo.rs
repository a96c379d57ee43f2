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
use santepki_authority::keys::SoftwareKey;
use santepki_authority::{Authority, IssueRequest, KeyAlgorithm, KeySource, Profile, RequestedNames};
use santepki_directory::generate::{self, seed_cases, GenerateOptions, Scale};
use santepki_directory::import::Quiet;
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
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
    pub portal_url: Option<String>,
    pub http_url: String,
    pub api_url: String,
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

[ca]
# Test-environment naming (TEST AC IGC-SANTE …) and RSA 4096 keys, as the real hierarchy.
environment = "test"
key_backend = "software"
key_algorithm = "rsa4096"
key_dir = "ca-keys"
# Encrypts the demo's CA key files; chosen at random when the demo folder was created.
key_passphrase = "@PASSPHRASE@"
"#;

/// The demo's test cards: a card certificate each (issued by the PERSONNES CA), for logging in
/// to the portal. Card numbers of the seed cases.
const DEMO_CARDS: [(&str, &str); 4] = [
    (seed_cases::TEST_PS_CARD, "professionnel de santé de test (R44)"),
    (seed_cases::LBM_SELAS_LEGAL_REP_CARD, "représentant légal du LBM SELAS"),
    (seed_cases::PHARMACIST_CARD, "pharmacien titulaire"),
    (seed_cases::SCM_RADIOLOGIST_CARD, "radiologue de la SCM"),
];

/// Passphrase of the demo cards' PKCS#12 files (throw-away test identities).
const DEMO_CARD_PASSPHRASE: &str = "santepki-demo";

pub async fn run(args: DemoArgs, config_file: Option<PathBuf>) -> Result<ExitCode> {
    let dir = args.dir.clone();
    let created = !dir.join(CONFIG_FILE).is_file();
    if created {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let passphrase = random_passphrase();
        std::fs::write(dir.join(CONFIG_FILE), DEMO_CONFIG.replace("@PASSPHRASE@", &passphrase)).with_context(|| format!("writing {}", dir.join(CONFIG_FILE).display()))?;
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
    let (authority, created) = super::ca::init(&loaded, &db, "demo").await.context("creating the demo CA (ca.* settings)")?;
    if created {
        eprintln!("created the demo CA hierarchy ({})", authority.cas().iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", "));
    }
    // Absolute paths in demo.json: scripts read it from anywhere.
    let abs_dir = std::fs::canonicalize(&dir).with_context(|| format!("resolving {}", dir.display()))?;
    let bundle = abs_dir.join("ca-bundle.pem");
    super::ca::write_file(&bundle, authority.bundle_pem().as_bytes(), false)?;
    let cards = demo_cards(&authority, &abs_dir).await?;
    if args.setup_only {
        eprintln!("demo ready in {} (not serving: --setup-only)", dir.display());
        return Ok(ExitCode::SUCCESS);
    }

    let running = super::serve::start(&loaded, db.clone()).await?;
    let facts = DemoFacts {
        portal_url: None,
        api_url: format!("{}/api/v1", running.http_url),
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

/// Issues (once) a card certificate for each demo card, and writes its PKCS#12, certificate and
/// key under `cards/`.
async fn demo_cards(ca: &Authority, dir: &Path) -> Result<Vec<DemoCard>> {
    let cards_dir = dir.join("cards");
    std::fs::create_dir_all(&cards_dir)?;
    let mut out = Vec::new();
    for (number, role) in DEMO_CARDS {
        let Some(card) = store::card(ca.db(), number).await? else { continue };
        let Some(person) = store::professional(ca.db(), &card.idnat_ps).await? else { continue };
        let p12 = cards_dir.join(format!("{number}.p12"));
        let cert_pem = cards_dir.join(format!("{number}.crt.pem"));
        let key_pem = cards_dir.join(format!("{number}.key.pem"));
        if !(p12.is_file() && cert_pem.is_file() && key_pem.is_file()) {
            for f in [&p12, &cert_pem, &key_pem] {
                let _ = std::fs::remove_file(f);
            }
            let key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256)?;
            let request = IssueRequest {
                profile: Profile::CardAuth,
                structure: None,
                professional: None,
                card: Some(number.to_owned()),
                names: RequestedNames::default(),
                key: KeySource::Csr(santepki_authority::csr::request_for(&key)?),
                requested_by: "demo".into(),
            };
            let issued = ca.issue(request).await.with_context(|| format!("issuing the demo card certificate {number}"))?;
            let pkcs8 = key.to_pkcs8()?;
            let personnes = ca.issuing(santepki_authority::IssuingRole::Personnes).context("no PERSONNES CA")?;
            let chain = vec![personnes.der.clone(), ca.root().der.clone()];
            let bytes = santepki_authority::pkcs12::build(&pkcs8, &issued.der, &chain, DEMO_CARD_PASSPHRASE, number)?;
            let key_text = der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &pkcs8).map_err(|e| anyhow::anyhow!("PEM: {e}"))?;
            super::ca::write_file(&key_pem, key_text.as_bytes(), true)?;
            super::ca::write_file(&cert_pem, format!("{}{}", issued.pem(), personnes.pem()).as_bytes(), false)?;
            super::ca::write_file(&p12, &bytes, true)?;
        }
        out.push(DemoCard {
            role: role.to_owned(),
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
        let report = import_file(db, f, &opts, Arc::new(Quiet)).await.with_context(|| format!("importing {}", f.display()))?;
        output::print_import_report(&report);
    }
    Ok(())
}

fn print_banner(f: &DemoFacts, json: &Path) {
    let c = &f.directory;
    println!("santepki demo is running.");
    println!();
    println!("  HTTP (directory API)  {}", f.http_url);
    println!("    try: curl {}/directory/professionals/99700270616", f.api_url);
    if let Some(ldap) = &f.ldap_url {
        println!("  LDAP (CPS directory)  {ldap}");
        println!(
            "    try (R44): ldapsearch -H {ldap} -x -b \"o=TEST,c=fr\" -s sub -a always \"(cn=899700270616)\" ou raisonSociale postalAddress sectActRPPS objectClass"
        );
    }
    if let Some(bundle) = &f.ca_bundle {
        println!("  CA (OCSP, CRL, certs) {}/ocsp, {}/crl/ACI-EL-ORG.crl, {}/ca/chain.p7b", f.http_url, f.http_url, f.http_url);
        println!("    CA bundle           {bundle}");
        println!("    try: santepki ca show");
    }
    for c in &f.cards {
        println!("  Demo card             {} {} ({}): {}", c.idnat_ps, c.name, c.role, c.p12);
    }
    println!("  Directory             {} professionals, {} situations, {} legal entities, {} establishments, {} practices", c.professionals, c.situations, c.legal_entities, c.establishments, c.practices);
    println!("  Database              {}", f.database_url);
    println!("  Configuration         {}", f.config_file);
    println!("  Facts for scripts     {}", json.display());
    println!();
    println!("From this folder, other commands use the demo: santepki directory search 99700270616");
    println!("Stop with Ctrl-C.");
}
