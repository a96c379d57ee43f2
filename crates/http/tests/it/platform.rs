//! The platform both the portal and the registration API tests run against: the small generated
//! directory imported, a P-256 test CA, the registration service, and the router served over
//! mutual TLS with the platform's card CAs on a free port.

use std::sync::Arc;

use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::{Authority, CaSettings, KeyAlgorithm};
use santepki_directory::generate::{self, GenerateOptions, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_http::{router, AppState};
use santepki_registration::{MailSettings, Registration};
use santepki_storage::testing::TestDb;

/// A running platform. The listener stops when `stop` is sent `true`; the CA's key files live in
/// `keys` as long as it is kept.
pub struct Platform {
    pub reg: Registration,
    /// `https://127.0.0.1:<port>`.
    pub base: String,
    pub stop: tokio::sync::watch::Sender<bool>,
    pub keys: tempfile::TempDir,
}

pub async fn start(db: &TestDb, mail: MailSettings) -> Platform {
    let files_dir = tempfile::tempdir().unwrap();
    let files =
        generate::generate(files_dir.path(), &GenerateOptions { scale: Scale::SMALL, ..Default::default() }).unwrap();
    let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
    for f in files.in_import_order() {
        import_file(&db.db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
    }
    let keys = tempfile::tempdir().unwrap();
    let custody = SoftwareCustody::new(keys.path(), Some("pass phrase".into()));
    let mut settings = CaSettings::test("http://127.0.0.1:9");
    settings.key_algorithm = KeyAlgorithm::EcdsaP256;
    let (ca, _) = Authority::init(db.db.clone(), settings, &custody, "test").await.unwrap();
    let reg = Registration::new(db.db.clone(), ValidationMode::Test, Some(ca.clone()), mail);

    // The HTTPS listener, with the platform's card CAs.
    let (cert, key) = santepki_http::tls::self_signed(&["localhost".into()]).unwrap();
    let tls = santepki_http::tls::server_config(cert.as_bytes(), key.as_bytes(), ca.bundle_pem().as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let state = AppState::new(db.db.clone(), ValidationMode::Test)
        .with_authority(Some(ca))
        .with_registration(Some(reg.clone()));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(santepki_http::tls::serve_tls(listener, tls, router(state), async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    Platform { reg, base, stop, keys }
}
