//! The CA through its library API, on SQLite and PostgreSQL: every profile issues from the
//! directory (never from the CSR), keys are checked (R37), revocation is final and reaches CRLs
//! and OCSP, pending issuances settle, generated keys come back as PKCS#12, every state change
//! is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use const_oid::db::{rfc4519, rfc5912};
use der::asn1::OctetString;
use der::{Decode, Encode};
use santepki_authority::crl::CrlKind;
use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::testing::csr;
use santepki_authority::{
    Authority, CaSettings, IssueError, IssueRequest, KeyAlgorithm, KeySource, Profile, RequestedNames, RevocationReason,
};
use santepki_directory::generate::{self, seed_cases, GenerateOptions, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_storage::testing::{self, TestDb};
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, TbsRequest,
};

const CHU: &str = "1060785011";

async fn directory(t: &TestDb) {
    let files_dir = tempfile::tempdir().unwrap();
    let files =
        generate::generate(files_dir.path(), &GenerateOptions { scale: Scale::Demo, ..Default::default() }).unwrap();
    let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
    for f in files.in_import_order() {
        import_file(&t.db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
    }
}

async fn authority(t: &TestDb, keys: &std::path::Path, algorithm: KeyAlgorithm) -> Authority {
    let custody = SoftwareCustody::new(keys, Some("test passphrase".into()));
    let mut settings = CaSettings::test("http://127.0.0.1:9");
    settings.key_algorithm = algorithm;
    let (ca, created) = Authority::init(t.db.clone(), settings.clone(), &custody, "test").await.unwrap();
    assert!(created);
    // A second init finds it; a fresh load opens the same keys.
    let (_, again) = Authority::init(t.db.clone(), settings.clone(), &custody, "test").await.unwrap();
    assert!(!again);
    let loaded = Authority::load(t.db.clone(), settings, &custody).await.unwrap();
    assert_eq!(loaded.root().der, ca.root().der);
    ca
}

fn request(
    profile: Profile,
    structure: Option<&str>,
    ps: Option<&str>,
    card: Option<&str>,
    names: RequestedNames,
    csr_der: Vec<u8>,
) -> IssueRequest {
    IssueRequest {
        profile,
        structure: structure.map(str::to_owned),
        professional: ps.map(str::to_owned),
        card: card.map(str::to_owned),
        names,
        key: KeySource::Csr(csr_der),
        requested_by: "test".into(),
    }
}

fn service(s: &str) -> RequestedNames {
    RequestedNames { service: Some(s.into()), ..Default::default() }
}

/// A profile with its structure, professional, card and names.
type Case = (Profile, Option<&'static str>, Option<&'static str>, Option<&'static str>, RequestedNames);

/// One request per profile, with the directory's seed cases.
fn every_profile() -> Vec<Case> {
    let pro_structure = seed_cases::TEST_PS_SITUATIONS[0].ou;
    vec![
        (Profile::OrgAuthCli, Some(CHU), None, None, service("DMP AUTHENTIFICATION")),
        (Profile::OrgSign, Some(CHU), None, None, service("DMP SIGNATURE")),
        (Profile::OrgConf, Some(CHU), None, None, service("MESSAGERIE CHU")),
        (
            Profile::ServSsl,
            Some(CHU),
            None,
            None,
            RequestedNames { dns: vec!["proxy.chu-nice.fr".into()], ..Default::default() },
        ),
        (
            Profile::ServSmime,
            Some(CHU),
            None,
            None,
            RequestedNames {
                service: Some("MSSANTE CHU".into()),
                emails: vec!["dmp@chu-nice.fr".into()],
                ..Default::default()
            },
        ),
        (
            Profile::ProAuth,
            Some(pro_structure),
            Some(seed_cases::TEST_PS_IDNAT),
            None,
            RequestedNames { upn: Some("maxime@pharmacie.fr".into()), ..Default::default() },
        ),
        (Profile::ProSign, Some(pro_structure), Some(seed_cases::TEST_PS_IDNAT), None, RequestedNames::default()),
        (
            Profile::ProConf,
            Some(pro_structure),
            Some(seed_cases::TEST_PS_IDNAT),
            None,
            RequestedNames { emails: vec!["maxime@pharmacie.fr".into()], ..Default::default() },
        ),
        (Profile::CardAuth, None, None, Some(seed_cases::TEST_PS_CARD), RequestedNames::default()),
    ]
}

fn subject_value(cert: &Certificate, oid: const_oid::ObjectIdentifier) -> Option<String> {
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|r| r.0.iter())
        .find(|a| a.oid == oid)
        .map(|a| String::from_utf8_lossy(a.value.value()).into_owned())
}

fn ocsp_request(ca: &santepki_authority::LoadedCa, serial: &[u8], sha256: bool) -> Vec<u8> {
    let (alg, name, key) = if sha256 {
        (rfc5912::ID_SHA_256, ca.name_sha256.clone(), ca.key_sha256.clone())
    } else {
        (rfc5912::ID_SHA_1, ca.name_sha1.clone(), ca.key_identifier.clone())
    };
    OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: CertId {
                    hash_algorithm: spki::AlgorithmIdentifierOwned {
                        oid: alg,
                        parameters: Some(der::asn1::Null.into()),
                    },
                    issuer_name_hash: OctetString::new(name).unwrap(),
                    issuer_key_hash: OctetString::new(key).unwrap(),
                    serial_number: x509_cert::serial_number::SerialNumber::new(serial).unwrap(),
                },
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .unwrap()
}

/// The status in an OCSP response, after checking its signature with the CA key.
fn ocsp_status(ca: &santepki_authority::LoadedCa, der: &[u8]) -> Result<CertStatus, OcspResponseStatus> {
    let resp = OcspResponse::from_der(der).unwrap();
    if resp.response_status != OcspResponseStatus::Successful {
        return Err(resp.response_status);
    }
    let basic = BasicOcspResponse::from_der(resp.response_bytes.unwrap().response.as_bytes()).unwrap();
    let spki = spki::SubjectPublicKeyInfoRef::from_der(ca.signer.public_key_der()).unwrap();
    let tbs = basic.tbs_response_data.to_der().unwrap();
    let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = if ca.signer.algorithm().is_rsa() {
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256
    } else {
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1
    };
    aws_lc_rs::signature::UnparsedPublicKey::new(alg, spki.subject_public_key.raw_bytes())
        .verify(&tbs, basic.signature.raw_bytes())
        .expect("the OCSP response is signed by its CA");
    Ok(basic.tbs_response_data.responses[0].cert_status)
}

#[tokio::test]
async fn every_profile_issues_from_the_directory_and_revocation_reaches_crl_and_ocsp() {
    for t in testing::both().await {
        directory(&t).await;
        let keys = tempfile::tempdir().unwrap();
        let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
        let org = ca.issuing(santepki_authority::IssuingRole::Organisations).unwrap().clone();
        let mut issued = Vec::new();
        for (profile, structure, ps, card, names) in every_profile() {
            let (der, _) = csr(KeyAlgorithm::EcdsaP256);
            let got = ca
                .issue(request(profile, structure, ps, card, names, der))
                .await
                .unwrap_or_else(|e| panic!("{profile}: {e}"));
            let cert = Certificate::from_der(&got.der).unwrap();
            // The subject comes from the directory: the CSR said CN=test.
            let cn = subject_value(&cert, rfc4519::CN).unwrap();
            assert_ne!(cn, "test", "{profile}");
            assert_eq!(subject_value(&cert, rfc4519::C).as_deref(), Some("FR"));
            if profile.is_organisation() {
                assert_eq!(subject_value(&cert, rfc4519::OU).as_deref(), Some(CHU), "{profile}");
                assert_eq!(subject_value(&cert, rfc4519::ST).as_deref(), Some("Alpes-Maritimes (06)"), "{profile}");
            } else {
                assert_eq!(subject_value(&cert, rfc4519::OU), None, "{profile}: a natural person has no OU");
                assert_eq!(cn, seed_cases::TEST_PS_IDNAT, "{profile}");
            }
            // R34: three years.
            let v = &cert.tbs_certificate.validity;
            let days = (v.not_after.to_unix_duration().as_secs() - v.not_before.to_unix_duration().as_secs()) / 86_400;
            assert!((1095..=1096).contains(&days), "{profile}: {days} days");
            let expected_ca = if profile == Profile::CardAuth { "ACI-EL-PP" } else { "ACI-EL-ORG" };
            assert_eq!(got.ca_id, expected_ca, "{profile}");
            assert_eq!(got.serial.len(), 32);
            issued.push((profile, got));
        }
        // INSi naming is exact (R29).
        let (der, _) = csr(KeyAlgorithm::EcdsaP256);
        let e =
            ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("INSI AUTO"), der)).await.unwrap_err();
        assert_eq!((e.code(), e.field()), ("profile_field_invalid", Some("service")));

        // OCSP: good for each, unknown for a serial never issued, unauthorized for another issuer.
        for (profile, got) in &issued {
            let issuer = ca.ca(&got.ca_id).unwrap();
            let reply = ca.ocsp(&ocsp_request(issuer, &hex::decode(&got.serial).unwrap(), false)).await;
            assert!(matches!(ocsp_status(issuer, &reply.der), Ok(CertStatus::Good(_))), "{profile}");
        }
        let unknown = ca.ocsp(&ocsp_request(&org, &[0x12, 0x34], false)).await;
        assert!(matches!(ocsp_status(&org, &unknown.der), Ok(CertStatus::Unknown(_))));
        let mut foreign = ocsp_request(&org, &[1], false);
        let pos = foreign.windows(org.key_identifier.len()).position(|w| w == org.key_identifier.as_slice()).unwrap();
        foreign[pos] ^= 0xff;
        assert_eq!(ocsp_status(&org, &ca.ocsp(&foreign).await.der).unwrap_err(), OcspResponseStatus::Unauthorized);
        assert_eq!(ocsp_status(&org, &ca.ocsp(b"junk").await.der).unwrap_err(), OcspResponseStatus::MalformedRequest);

        // Revoke one: final, audited, in OCSP (SHA-1 and SHA-256 CertIDs), in the full and delta CRLs.
        let (_, victim) = &issued[0];
        let row = ca.revoke(&victim.serial, RevocationReason::KeyCompromise, "test").await.unwrap();
        assert_eq!(row.status.as_str(), "revoked");
        let again = ca.revoke(&victim.serial, RevocationReason::Superseded, "test").await.unwrap_err();
        assert_eq!(again.code(), "already_revoked");
        assert_eq!(ca.revoke("abcdef", RevocationReason::Superseded, "test").await.unwrap_err().code(), "not_found");
        assert!(santepki_authority::parse_reason("certificateHold").is_err(), "revocation is final");
        for sha256 in [false, true] {
            let reply = ca.ocsp(&ocsp_request(&org, &hex::decode(&victim.serial).unwrap(), sha256)).await;
            match ocsp_status(&org, &reply.der) {
                Ok(CertStatus::Revoked(info)) => {
                    assert_eq!(info.revocation_reason, Some(x509_cert::ext::pkix::CrlReason::KeyCompromise))
                }
                other => panic!("expected revoked, got {other:?}"),
            }
        }
        let full = ca.publish_crl("ACI-EL-ORG", CrlKind::Full, "test").await.unwrap();
        let delta = ca.publish_crl("ACI-EL-ORG", CrlKind::Delta, "test").await.unwrap();
        assert!(delta.number > full.number);
        // The delta lists the revocations from its base's thisUpdate on (one-second times): the
        // victim too when it was revoked in the second the full CRL was signed.
        let base = ca.latest_crl("ACI-EL-ORG", CrlKind::Full).await.unwrap().unwrap();
        let revoked_at =
            santepki_storage::authority::certificate(&t.db, &victim.serial).await.unwrap().unwrap().revoked_at.unwrap();
        for (kind, published) in [(CrlKind::Full, &full), (CrlKind::Delta, &delta)] {
            let row = ca.latest_crl("ACI-EL-ORG", kind).await.unwrap().unwrap();
            assert_eq!(row.number, published.number);
            let crl = x509_cert::crl::CertificateList::from_der(&row.der).unwrap();
            let serials: Vec<String> = crl
                .tbs_cert_list
                .revoked_certificates
                .unwrap_or_default()
                .iter()
                .map(|r| santepki_authority::x509::serial_hex(&r.serial_number))
                .collect();
            let expected = match kind {
                CrlKind::Delta if revoked_at < base.this_update => vec![],
                _ => vec![victim.serial.clone()],
            };
            assert_eq!(serials, expected, "{kind:?}");
        }
        let later = ca.publish_crl("ACI-EL-ORG", CrlKind::Delta, "test").await.unwrap();
        assert!(later.number > delta.number, "CRL numbers only grow");

        let events =
            santepki_storage::audit::events_for(t.db.pool(), &format!("certificate:{}", victim.serial)).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["certificate.pending", "certificate.issued", "certificate.revoked"], "{}", t.label());
    }
}

#[tokio::test]
async fn keys_are_checked_and_r37_refuses_a_key_twice() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
    let (der, _) = csr(KeyAlgorithm::Rsa2048);
    ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("INSI-AUTO"), der.clone())).await.unwrap();
    // R37: the same key again (another instance, or a copy) is refused while the first lives.
    let e =
        ca.issue(request(Profile::OrgSign, Some(CHU), None, None, service("DMP SIGNATURE"), der)).await.unwrap_err();
    assert!(matches!(e, IssueError::KeyInUse(_)), "{e}");
    assert_eq!(e.code(), "key_in_use");

    // Directory checks: unknown structure, a PRO at a structure where the PS does not practise,
    // a card that is opposed.
    let (der, _) = csr(KeyAlgorithm::EcdsaP256);
    let e = ca
        .issue(request(Profile::OrgAuthCli, Some("1999999999"), None, None, service("X"), der.clone()))
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("not_found", Some("structure")));
    let e = ca
        .issue(request(
            Profile::ProAuth,
            Some(CHU),
            Some(seed_cases::TEST_PS_IDNAT),
            None,
            RequestedNames::default(),
            der.clone(),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ps_not_in_structure");
    let e = ca
        .issue(request(
            Profile::CardAuth,
            None,
            None,
            Some(seed_cases::OPPOSED_CARD),
            RequestedNames::default(),
            der.clone(),
        ))
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.field()), ("closed", Some("card")));
    // A field the profile does not take is refused, not ignored.
    let names = RequestedNames { service: Some("X".into()), dns: vec!["a.example.fr".into()], ..Default::default() };
    let e = ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, names, der.clone())).await.unwrap_err();
    assert_eq!((e.code(), e.field()), ("profile_field_not_applicable", Some("dns")));
    // Bad CSRs never reach the database.
    let e = ca
        .issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("X"), b"garbage".to_vec()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "csr_malformed");
    assert!(santepki_storage::authority::certificates(&t.db, Some(CHU), 100).await.unwrap().len() == 1);
}

#[tokio::test]
async fn generated_keys_come_back_once_as_pkcs12_under_the_requesters_passphrase() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
    let mut req = request(Profile::OrgSign, Some(CHU), None, None, service("DMP SIGNATURE"), vec![]);
    req.key = KeySource::Generate { algorithm: KeyAlgorithm::Rsa2048, passphrase: "short".into() };
    assert_eq!(ca.issue(req).await.unwrap_err().code(), "weak_passphrase");
    let mut req = request(Profile::OrgSign, Some(CHU), None, None, service("DMP SIGNATURE"), vec![]);
    req.key = KeySource::Generate { algorithm: KeyAlgorithm::Rsa2048, passphrase: "un secret assez long".into() };
    let got = ca.issue(req).await.unwrap();
    let p12 = got.pkcs12.expect("a PKCS#12");
    let store =
        p12_keystore::KeyStore::from_pkcs12(&p12, "un secret assez long", p12_keystore::Pkcs12ImportPolicy::Relaxed)
            .unwrap();
    let (_, chain) = store.private_key_chain().expect("a key and its chain");
    assert_eq!(chain.certs()[0].as_der(), got.der.as_slice());
    assert_eq!(chain.certs().len(), 3, "certificate, issuing CA, root");
    assert!(p12_keystore::KeyStore::from_pkcs12(&p12, "wrong", p12_keystore::Pkcs12ImportPolicy::Relaxed).is_err());
    // The key is not kept anywhere: no column holds it.
    let row = santepki_storage::authority::certificate(&t.db, &got.serial).await.unwrap().unwrap();
    assert!(row.der.is_some() && row.status.as_str() == "issued");
}

/// Issue 15, point 11: a retry with the key of an attempt that can never be signed is not held
/// back by the grace period. Here the attempt's future was dropped after its pending row was
/// committed (a client that went away, a signature interrupted): the row is this process's and
/// no longer in flight, so the retry settles it and is issued at once (R37 still holds).
#[tokio::test]
async fn r37_a_retry_after_an_attempt_that_can_never_be_signed_is_issued_at_once() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
    let (der, _) = csr(KeyAlgorithm::EcdsaP256);
    let prepared =
        ca.prepare(request(Profile::OrgAuthCli, Some(CHU), None, None, service("A"), der.clone())).await.unwrap();
    let mut tx = t.db.begin_write().await.unwrap();
    let pending = ca.record_pending(&mut tx, prepared).await.unwrap();
    tx.commit().await.unwrap();
    let first = pending.serial().to_owned();
    // While the attempt is in flight, the key is taken and the answer says when to retry.
    let err = ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("A"), der.clone())).await;
    match err {
        Err(IssueError::EarlierAttemptPending { serial, retry_after }) => {
            assert_eq!(serial, first);
            assert!((1..=300).contains(&retry_after), "{retry_after}");
        }
        other => panic!("expected earlier_attempt_pending, got {:?}", other.map(|i| i.serial)),
    }
    drop(pending);
    let got = ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("A"), der.clone())).await.unwrap();
    assert_ne!(got.serial, first);
    let row = santepki_storage::authority::certificate(&t.db, &first).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "abandoned");
    let events = santepki_storage::audit::events_for(t.db.pool(), &format!("certificate:{first}")).await.unwrap();
    assert!(events.iter().any(|e| e.action == "certificate.abandoned"));
    // And the key is now in a live certificate: R37 refuses it.
    let again = ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("A"), der)).await;
    assert!(matches!(again, Err(IssueError::KeyInUse(s)) if s == got.serial));
}

/// Issue 15, point 11: rows an earlier process of the same node left pending (a SIGKILL, then a
/// restart that claims the node again) are settled at once; rows of a process on another node
/// wait for the grace period, and a retry meanwhile is told how long.
#[tokio::test]
async fn pending_rows_of_an_earlier_process_of_this_node_settle_at_once_others_after_the_grace() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
    let settings = ca.settings().clone();
    let custody = SoftwareCustody::new(keys.path(), Some("test passphrase".into()));
    let leave_pending = |ca: Authority, service_name: &'static str| async move {
        let (der, _) = csr(KeyAlgorithm::EcdsaP256);
        let prepared = ca
            .prepare(request(Profile::OrgAuthCli, Some(CHU), None, None, service(service_name), der.clone()))
            .await
            .unwrap();
        let mut tx = ca.db().begin_write().await.unwrap();
        let pending = ca.record_pending(&mut tx, prepared).await.unwrap();
        tx.commit().await.unwrap();
        // The process "dies" holding the attempt in flight: never dropped, never signed.
        let serial = pending.serial().to_owned();
        std::mem::forget(pending);
        (serial, der)
    };
    // A process of node A and one of node B each leave a row pending.
    let a1 = Authority::load(t.db.clone(), settings.clone(), &custody).await.unwrap();
    assert!(a1.claim_node("host/127.0.0.1:8080".into()));
    assert!(!a1.claim_node("another".into()), "a node is claimed once");
    let (of_a, _) = leave_pending(a1, "A").await;
    let b = Authority::load(t.db.clone(), settings.clone(), &custody).await.unwrap();
    b.claim_node("other-host/127.0.0.1:8080".into());
    let (of_b, key_b) = leave_pending(b, "B").await;
    // Node A restarts: its earlier process's row settles at once, node B's does not.
    let a2 = Authority::load(t.db.clone(), settings.clone(), &custody).await.unwrap();
    a2.claim_node("host/127.0.0.1:8080".into());
    a2.set_pending_grace_seconds(300);
    assert_eq!(a2.resolve_pending(chrono::Duration::seconds(300), "test").await.unwrap(), 1);
    let status = |serial: String| {
        let db = t.db.clone();
        async move { santepki_storage::authority::certificate(&db, &serial).await.unwrap().unwrap().status }
    };
    assert_eq!(status(of_a).await.as_str(), "abandoned");
    assert_eq!(status(of_b.clone()).await.as_str(), "pending");
    match a2.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("B"), key_b.clone())).await {
        Err(e @ IssueError::EarlierAttemptPending { .. }) => assert_eq!(e.code(), "earlier_attempt_pending"),
        other => panic!("expected earlier_attempt_pending, got {:?}", other.map(|i| i.serial)),
    }
    // After the grace period (here: none), the retry settles it and is issued.
    a2.set_pending_grace_seconds(0);
    a2.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("B"), key_b)).await.unwrap();
    assert_eq!(status(of_b).await.as_str(), "abandoned");
}

#[tokio::test]
async fn pending_rows_left_by_a_crash_settle_as_abandoned_and_ocsp_says_unknown() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
    let (der, _) = csr(KeyAlgorithm::EcdsaP256);
    let got = ca.issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("A"), der)).await.unwrap();
    // Simulate a process that recorded a certificate as pending and died before signing.
    testing::make_certificate_pending(&t.db, &got.serial).await.unwrap();
    // Young pending rows (an issuance in flight on another node) are left alone.
    assert_eq!(ca.resolve_pending(chrono::Duration::minutes(5), "test").await.unwrap(), 0);
    assert_eq!(ca.resolve_pending(chrono::Duration::zero(), "test").await.unwrap(), 1);
    let row = santepki_storage::authority::certificate(&t.db, &got.serial).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "abandoned");
    let org = ca.ca("ACI-EL-ORG").unwrap();
    let reply = ca.ocsp(&ocsp_request(org, &hex::decode(&got.serial).unwrap(), false)).await;
    assert!(matches!(ocsp_status(org, &reply.der), Ok(CertStatus::Unknown(_))));
}

#[tokio::test]
async fn rsa_4096_hierarchy_like_the_real_one() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::Rsa4096).await;
    let names: Vec<String> = ca.cas().iter().map(|c| c.name.clone()).collect();
    assert_eq!(
        names,
        [
            "TEST AC RACINE IGC-SANTE ELEMENTAIRE",
            "TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS",
            "TEST AC IGC-SANTE ELEMENTAIRE PERSONNES"
        ]
    );
    for c in ca.cas() {
        let tbs = &c.certificate.tbs_certificate;
        assert_eq!(tbs.signature.oid, rfc5912::SHA_256_WITH_RSA_ENCRYPTION);
        assert_eq!(subject_value(&c.certificate, rfc4519::OU).as_deref(), Some("0002 187512751"));
        let bc = tbs
            .extensions
            .as_ref()
            .unwrap()
            .iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS)
            .unwrap();
        assert!(bc.critical);
        let bc = x509_cert::ext::pkix::BasicConstraints::from_der(bc.extn_value.as_bytes()).unwrap();
        assert!(bc.ca);
        assert_eq!(bc.path_len_constraint, if c.parent_id.is_some() { Some(0) } else { None });
        // 20 years.
        let years = (tbs.validity.not_after.to_unix_duration().as_secs()
            - tbs.validity.not_before.to_unix_duration().as_secs())
            / (365 * 86_400);
        assert_eq!(years, 20);
    }
    let (der, _) = csr(KeyAlgorithm::Rsa2048);
    let got = ca
        .issue(request(Profile::OrgAuthCli, Some(CHU), None, None, service("DMP AUTHENTIFICATION"), der))
        .await
        .unwrap();
    let cert = Certificate::from_der(&got.der).unwrap();
    // The product category of a test software certificate: 0x83 (REFERENCE.md).
    let cat = cert
        .tbs_certificate
        .extensions
        .unwrap()
        .into_iter()
        .find(|e| e.extn_id.to_string() == "1.2.250.1.71.1.2.5")
        .unwrap();
    assert_eq!(cat.extn_value.as_bytes(), [0x04, 0x01, 0x83]);
}

#[tokio::test]
async fn a_flood_of_unknown_serials_cannot_keep_the_ca_key_busy() {
    let t = testing::sqlite().await;
    let keys = tempfile::tempdir().unwrap();
    let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
    let org = ca.ca("ACI-EL-ORG").unwrap().clone();
    let mut signed = 0;
    let mut try_later = 0;
    for i in 0u32..200 {
        match ocsp_status(&org, &ca.ocsp(&ocsp_request(&org, &(1_000_000 + i).to_be_bytes(), false)).await.der) {
            Ok(CertStatus::Unknown(_)) => signed += 1,
            Err(OcspResponseStatus::TryLater) => try_later += 1,
            other => panic!("{other:?}"),
        }
    }
    // At most 50 signatures a second for serials never issued; the rest wait (RFC 6960 tryLater).
    assert!((50..=100).contains(&signed), "{signed} signed");
    assert_eq!(signed + try_later, 200);
}

/// Issue 17, drill 4: a node that lost the CA jobs' lease mid-job (paused, partitioned) publishes
/// no CRL and stores no OCSP response under its stale fencing number; the new holder publishes,
/// under a higher CRL number than any the stale node took.
#[tokio::test]
async fn a_node_that_lost_the_ca_jobs_lease_publishes_nothing() {
    use santepki_storage::leases;
    for t in testing::both().await {
        directory(&t).await;
        let keys = tempfile::tempdir().unwrap();
        let ca = authority(&t, keys.path(), KeyAlgorithm::EcdsaP256).await;
        let stale = leases::try_acquire(&t.db, "ca-jobs", "node-a", 60).await.unwrap().unwrap();
        // node-a pauses past its lease; node-b takes the jobs over.
        testing::expire_lease(&t.db, "ca-jobs").await;
        let holder = leases::try_acquire(&t.db, "ca-jobs", "node-b", 60).await.unwrap().unwrap();
        assert!(holder.fence > stale.fence);

        let late = ca.publish_due_crls_leased("node-a", &stale).await;
        assert!(
            matches!(
                late,
                Err(santepki_authority::AuthorityError::Storage(santepki_storage::StorageError::LeaseLost { .. }))
            ),
            "{}: {late:?}",
            t.label()
        );
        for c in ca.cas() {
            assert!(ca.latest_crl(&c.id, CrlKind::Full).await.unwrap().is_none(), "{}: nothing published", t.label());
        }
        let published = ca.publish_due_crls_leased("node-b", &holder).await.unwrap();
        assert!(!published.is_empty(), "{}", t.label());
        // The stale node took number 1 of the first CA before its write was refused.
        assert_eq!((published[0].kind, published[0].number), (CrlKind::Full, 2), "{}", t.label());
        let stored = ca.latest_crl(&published[0].ca_id, CrlKind::Full).await.unwrap().unwrap();
        assert_eq!(stored.number, 2, "{}", t.label());
        assert_eq!(ca.refresh_ocsp_leased(10, &holder).await.unwrap(), 0, "{}: nothing issued yet", t.label());
    }
}
