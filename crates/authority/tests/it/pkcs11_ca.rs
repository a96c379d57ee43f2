//! The whole CA with its keys in a SoftHSM2 token (PKCS#11): the hierarchy is created in the
//! token, certificates and CRLs are signed there, OCSP responses too, and a fresh process (a new
//! `Authority::load`) finds the keys again by their recorded labels.
//!
//! Needs the token `scripts/services.sh start` initialises (SANTEPKI_TEST_PKCS11_*); fails, not
//! skips, without it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use der::Decode;
use santepki_authority::crl::CrlKind;
use santepki_authority::keys::pkcs11::{Pkcs11Config, Pkcs11Custody};
use santepki_authority::testing::csr;
use santepki_authority::{
    Authority, CaSettings, IssueRequest, KeyAlgorithm, KeyCustody, KeySource, Profile, RequestedNames, RevocationReason,
};
use santepki_directory::generate::{self, GenerateOptions, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_storage::testing;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run the tests with scripts/test (or eval \"$(scripts/services.sh start)\"), which initialises the SoftHSM2 token"))
}

fn custody() -> Pkcs11Custody {
    Pkcs11Custody::open(Pkcs11Config {
        module: PathBuf::from(env("SANTEPKI_TEST_PKCS11_MODULE")),
        token_label: env("SANTEPKI_TEST_PKCS11_TOKEN"),
        pin: env("SANTEPKI_TEST_PKCS11_PIN"),
    })
    .expect("open the SoftHSM2 token")
}

// The token lock of `softhsm` is held for the whole test, awaits included: it only orders this
// test against the other tests on the token (each on its own thread), never against this runtime.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread")]
async fn issuance_crl_and_ocsp_sign_in_the_hsm() {
    // Same process as the `softhsm` tests now: key generation here must not overlap their
    // child process reading the token (see `softhsm::TOKEN`).
    let _token = crate::softhsm::shared_token();
    for t in testing::both().await {
        let files_dir = tempfile::tempdir().unwrap();
        let files = generate::generate(files_dir.path(), &GenerateOptions { scale: Scale::Demo, ..Default::default() })
            .unwrap();
        let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
        for f in files.in_import_order() {
            import_file(&t.db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        }
        let custody = custody();
        let mut settings = CaSettings::test("http://127.0.0.1:9");
        // RSA 2048 keeps key generation in SoftHSM quick; the RSA code path is the real one's.
        settings.key_algorithm = KeyAlgorithm::Rsa2048;
        let (ca, created) = Authority::init(t.db.clone(), settings.clone(), &custody, "test").await.unwrap();
        assert!(created);
        for c in ca.cas() {
            assert_eq!(c.signer.backend(), "pkcs11", "{}", c.id);
        }
        let rows = santepki_storage::authority::authorities(&t.db).await.unwrap();
        assert!(rows.iter().all(|r| r.key_backend == "pkcs11" && r.key_label.starts_with("santepki-")));

        // Issue from a CSR, revoke, publish CRLs, answer OCSP: every signature made in the token.
        let (der, _) = csr(KeyAlgorithm::EcdsaP256);
        let issued = ca
            .issue(IssueRequest {
                profile: Profile::OrgAuthCli,
                structure: Some("1060785011".into()),
                professional: None,
                card: None,
                names: RequestedNames { service: Some("DMP AUTHENTIFICATION".into()), ..Default::default() },
                key: KeySource::Csr(der),
                requested_by: "test".into(),
            })
            .await
            .unwrap();
        let cert = x509_cert::Certificate::from_der(&issued.der).unwrap();
        let org = ca.ca("ACI-EL-ORG").unwrap();
        // The signature verifies with the CA certificate's key (the token's public half).
        let spki = &org.certificate.tbs_certificate.subject_public_key_info;
        let tbs = der::Encode::to_der(&cert.tbs_certificate).unwrap();
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            spki.subject_public_key.raw_bytes(),
        )
        .verify(&tbs, cert.signature.raw_bytes())
        .expect("signed by the HSM key");
        ca.revoke(&issued.serial, RevocationReason::Superseded, "test").await.unwrap();
        let full = ca.publish_crl("ACI-EL-ORG", CrlKind::Full, "test").await.unwrap();
        assert_eq!(full.entries, 1);
        let crl_row = ca.latest_crl("ACI-EL-ORG", CrlKind::Full).await.unwrap().unwrap();
        let crl = x509_cert::crl::CertificateList::from_der(&crl_row.der).unwrap();
        let tbs = der::Encode::to_der(&crl.tbs_cert_list).unwrap();
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            spki.subject_public_key.raw_bytes(),
        )
        .verify(&tbs, crl.signature.raw_bytes())
        .expect("CRL signed by the HSM key");
        assert_eq!(ca.refresh_ocsp(100).await.unwrap(), 1, "one OCSP response pre-signed in the token");

        // A new process finds the keys by label.
        let again = Authority::load(t.db.clone(), settings, &custody).await.unwrap();
        assert_eq!(again.root().der, ca.root().der);
        // The software backend cannot open a hierarchy whose keys are in the HSM.
        let dir = tempfile::tempdir().unwrap();
        let software = santepki_authority::keys::software::SoftwareCustody::new(dir.path(), Some("x".into()));
        assert_eq!(software.backend(), "software");
        let err = Authority::load(t.db.clone(), CaSettings::test("http://127.0.0.1:9"), &software)
            .await
            .err()
            .expect("refused");
        assert!(err.to_string().contains("pkcs11"), "{err}");
    }
}
