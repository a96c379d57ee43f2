//! The verifier against two independent implementations, on a corpus the test makes with a real
//! santepki CA (SQLite, RSA 4096 CA keys like the real hierarchy, RSA 2048 subscriber keys, the
//! demo directory):
//!
//! - certificates the CA issues: DMP AUTHENTIFICATION, DMP SIGNATURE, INSI-AUTO, INSI-MANU,
//!   MSSanté, SERV SSL, PRO AUTH, a CPx card; three revoked ones: before the full CRL, after it
//!   (only in the delta CRL), after the delta (only in OCSP);
//! - certificates forged from those, re-signed by the CA's own key where the CA would never sign
//!   them (expired, not yet valid, another policy, an unknown critical extension, INSi name
//!   variants, a sub-CA under the issuing CA whose pathLen is 0), or by keys outside the
//!   hierarchy (another root, a broken signature).
//!
//! Each case states santepki's expected refusals. santepki's RFC 5280 verdict (valid, revoked or
//! invalid, leaving out the uses' own rules) is compared with pyhanko-certvalidator's
//! (tests/oracle_pyhanko.py, path + CRLs + OCSP) and with `openssl verify -crl_check_all
//! -use_deltas -policy … -explicit_policy -purpose …` (then `openssl ocsp -respin` for the
//! case's OCSP response, as openssl verify reads no OCSP). Every disagreement fails unless the
//! case explains it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use chrono::Utc;
use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use santepki_authority::crl::CrlKind;
use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::keys::SoftwareKey;
use santepki_authority::testing::csr;
use santepki_authority::{
    Authority, CaSettings, CaSigner, IssueRequest, IssuingRole, KeyAlgorithm, KeySource, LoadedCa, Profile,
    RequestedNames, RevocationReason,
};
use santepki_directory::generate::{self, seed_cases, GenerateOptions, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_storage::testing::{self, TestDb};
use santepki_verify::verdict::StatusSource;
use santepki_verify::{
    Code, CoherenceMode, Config, Offline, Request, RevocationPolicy, StoredDirectory, Use, Verdict, Verifier,
};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CertificatePolicies, SubjectKeyIdentifier};
use x509_cert::ext::Extension;
use x509_cert::Certificate;

const POLICY: &str = "1.2.250.1.213.1.7.2.1.1.1.1";
const ROOT: &str = "ACR-EL";
const ORG: &str = "ACI-EL-ORG";
const PP: &str = "ACI-EL-PP";

fn lbm_main() -> String {
    format!("1{}", seed_cases::LBM_SELAS_MAIN_EG)
}

/// A corpus certificate and what santepki must answer.
struct Case {
    name: &'static str,
    cert: Vec<u8>,
    /// Intermediates sent with the certificate (besides the CA's two issuing CAs).
    chain: Vec<Vec<u8>>,
    usage: Option<Use>,
    structure: Option<String>,
    coherence: CoherenceMode,
    /// The codes of santepki's refusals, in any order.
    expect: Vec<Code>,
    /// The case's OCSP response (a real one from the CA), for the certificates the CA issued.
    ocsp: Option<Vec<u8>>,
    /// Whether the CRLs and OCSP responses are given (a relying party cut off from them when not).
    revinfo: bool,
    /// The case's own CRLs instead of those the CA published; with them, and for a case that
    /// brings its own OCSP response, santepki verifies with only the case's data.
    crls: Option<Vec<Vec<u8>>>,
    isolated: bool,
    /// Where santepki must find the end entity's status, when it is checked.
    source: Option<StatusSource>,
    /// Why an oracle is expected to disagree with santepki's RFC 5280 verdict: (oracle, reason).
    explained: Vec<(&'static str, &'static str)>,
}

impl Case {
    fn new(name: &'static str, cert: &[u8], usage: Option<Use>, expect: &[Code]) -> Self {
        Case {
            name,
            cert: cert.to_vec(),
            chain: Vec::new(),
            usage,
            structure: None,
            coherence: CoherenceMode::LegalEntity,
            expect: expect.to_vec(),
            ocsp: None,
            revinfo: true,
            crls: None,
            isolated: false,
            source: None,
            explained: Vec::new(),
        }
    }

    fn source(mut self, source: StatusSource) -> Self {
        self.source = Some(source);
        self
    }

    /// With these CRLs only.
    fn with_crls(mut self, crls: Vec<Vec<u8>>) -> Self {
        self.crls = Some(crls);
        self.isolated = true;
        self
    }

    /// Without CRLs nor OCSP responses.
    fn cut_off(mut self) -> Self {
        self.revinfo = false;
        self
    }

    fn explained(mut self, oracle: &'static str, why: &'static str) -> Self {
        self.explained.push((oracle, why));
        self
    }

    /// pyhanko's revocation mode for santepki's policy of the use.
    fn revocation_mode(&self) -> &'static str {
        match self.usage.map_or(RevocationPolicy::HardFail, Use::default_revocation) {
            RevocationPolicy::HardFail => "hard-fail",
            RevocationPolicy::SoftFail => "soft-fail",
            RevocationPolicy::Off => "off",
        }
    }

    fn structure(mut self, s: impl Into<String>, mode: CoherenceMode) -> Self {
        self.structure = Some(s.into());
        self.coherence = mode;
        self
    }

    fn chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }
}

/// What an oracle or santepki says under RFC 5280.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pkix {
    Valid,
    Revoked,
    Invalid,
}

fn pkix_of(v: &Verdict) -> Pkix {
    if v.has(Code::Revoked) {
        Pkix::Revoked
    } else if v.pkix_valid() {
        Pkix::Valid
    } else {
        Pkix::Invalid
    }
}

async fn directory(t: &TestDb) {
    let files_dir = tempfile::tempdir().unwrap();
    let files =
        generate::generate(files_dir.path(), &GenerateOptions { scale: Scale::Demo, ..Default::default() }).unwrap();
    let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
    for f in files.in_import_order() {
        import_file(&t.db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
    }
}

fn org_request(structure: &str, service: &str, profile: Profile) -> IssueRequest {
    IssueRequest {
        profile,
        structure: Some(structure.to_owned()),
        professional: None,
        card: None,
        names: RequestedNames { service: Some(service.into()), ..Default::default() },
        key: KeySource::Csr(csr(KeyAlgorithm::Rsa2048).0),
        requested_by: "corpus".into(),
    }
}

/// A random positive 16-byte serial, like the CA's.
fn fresh_serial() -> x509_cert::serial_number::SerialNumber {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    x509_cert::serial_number::SerialNumber::new(&bytes).unwrap()
}

/// `cert` with its TBS edited by `edit`, a fresh serial, signed by `signer`.
fn forge(cert: &[u8], signer: &dyn CaSigner, edit: impl FnOnce(&mut TbsCertificate)) -> Vec<u8> {
    let mut cert = Certificate::from_der(cert).unwrap();
    cert.tbs_certificate.serial_number = fresh_serial();
    edit(&mut cert.tbs_certificate);
    cert.tbs_certificate.signature = signer.algorithm().signature_algorithm();
    cert.signature_algorithm = cert.tbs_certificate.signature.clone();
    let signature = signer.sign(&cert.tbs_certificate.to_der().unwrap()).unwrap();
    cert.signature = BitString::from_bytes(&signature).unwrap();
    cert.to_der().unwrap()
}

fn set_cn(tbs: &mut TbsCertificate, cn: &str) {
    for rdn in tbs.subject.0.iter_mut() {
        let mut atvs: Vec<_> = rdn.0.iter().cloned().collect();
        for atv in atvs.iter_mut().filter(|a| a.oid == const_oid::db::rfc4519::CN) {
            atv.value = der::Any::new(der::Tag::Utf8String, cn.as_bytes()).unwrap();
        }
        rdn.0 = der::asn1::SetOfVec::try_from(atvs).unwrap();
    }
}

fn replace_ext(tbs: &mut TbsCertificate, ext: Extension) {
    let exts = tbs.extensions.get_or_insert_with(Vec::new);
    exts.retain(|e| e.extn_id != ext.extn_id);
    exts.push(ext);
}

fn ext<T: Encode + const_oid::AssociatedOid>(critical: bool, value: &T) -> Extension {
    Extension { extn_id: T::OID, critical, extn_value: OctetString::new(value.to_der().unwrap()).unwrap() }
}

/// SHA-1 of a key's public key bits (the SKI and AKI of what it signs).
fn key_id(signer: &dyn CaSigner) -> Vec<u8> {
    let spki = spki::SubjectPublicKeyInfoOwned::from_der(signer.public_key_der()).unwrap();
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, spki.subject_public_key.raw_bytes())
        .as_ref()
        .to_vec()
}

/// A CA certificate forged from `template` (an issuing CA's): named `cn`, holding `key`, signed
/// by `issuer` (its certificate and key), or self-signed when `issuer` is `None`.
fn forged_ca(
    template: &LoadedCa,
    cn: &str,
    key: &SoftwareKey,
    issuer: Option<(&Certificate, &dyn CaSigner)>,
) -> Vec<u8> {
    let signer: &dyn CaSigner = issuer.map_or(key as &dyn CaSigner, |(_, s)| s);
    forge(&template.der, signer, |tbs| {
        set_cn(tbs, cn);
        tbs.issuer = issuer.map_or_else(|| tbs.subject.clone(), |(c, _)| c.tbs_certificate.subject.clone());
        tbs.subject_public_key_info = spki::SubjectPublicKeyInfoOwned::from_der(key.public_key_der()).unwrap();
        replace_ext(tbs, ext(false, &SubjectKeyIdentifier(OctetString::new(key_id(key)).unwrap())));
        let aki_of = issuer.map_or(key as &dyn CaSigner, |(_, s)| s);
        replace_ext(
            tbs,
            ext(
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(key_id(aki_of)).unwrap()),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            ),
        );
    })
}

/// An end-entity certificate re-issued under another CA (`ca_der`, `key`).
fn reissued_under(ee: &[u8], ca_der: &[u8], key: &SoftwareKey) -> Vec<u8> {
    let ca = Certificate::from_der(ca_der).unwrap();
    forge(ee, key, |tbs| {
        tbs.issuer = ca.tbs_certificate.subject.clone();
        replace_ext(
            tbs,
            ext(
                false,
                &AuthorityKeyIdentifier {
                    key_identifier: Some(OctetString::new(key_id(key)).unwrap()),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
            ),
        );
    })
}

fn ocsp_request(ca: &LoadedCa, serial_hex: &str) -> Vec<u8> {
    use x509_ocsp::{CertId, OcspRequest, Request as OcspReq, TbsRequest};
    OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![OcspReq {
                req_cert: CertId {
                    hash_algorithm: spki::AlgorithmIdentifierOwned {
                        oid: const_oid::db::rfc5912::ID_SHA_1,
                        parameters: Some(der::asn1::Null.into()),
                    },
                    issuer_name_hash: OctetString::new(ca.name_sha1.clone()).unwrap(),
                    issuer_key_hash: OctetString::new(ca.key_identifier.clone()).unwrap(),
                    serial_number: x509_cert::serial_number::SerialNumber::new(&hex::decode(serial_hex).unwrap())
                        .unwrap(),
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

fn pem(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap()
}

fn write(path: &Path, data: impl AsRef<[u8]>) -> PathBuf {
    std::fs::write(path, data).unwrap();
    path.to_path_buf()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The corpus's materials: the hierarchy and what it published.
struct Published {
    root: Vec<u8>,
    issuing: Vec<Vec<u8>>,
    /// Full and delta CRLs of the three CAs (DER).
    crls: Vec<Vec<u8>>,
}

#[tokio::test]
async fn corpus_agrees_with_pyhanko_and_openssl() {
    let t = testing::sqlite().await;
    directory(&t).await;
    let keys = tempfile::tempdir().unwrap();
    let custody = SoftwareCustody::new(keys.path(), Some("corpus passphrase".into()));
    let settings = CaSettings::test("http://127.0.0.1:9");
    let (ca, _) = Authority::init(t.db.clone(), settings, &custody, "corpus").await.unwrap();
    let org = ca.issuing(IssuingRole::Organisations).unwrap().clone();
    let pp = ca.issuing(IssuingRole::Personnes).unwrap().clone();

    // What the CA issues.
    let lbm = lbm_main();
    let issue = |r: IssueRequest| {
        let ca = ca.clone();
        async move { ca.issue(r).await.unwrap() }
    };
    let dmp_auth = issue(org_request(&lbm, "DMP AUTHENTIFICATION", Profile::OrgAuthCli)).await;
    let dmp_sign = issue(org_request(&lbm, "DMP SIGNATURE", Profile::OrgSign)).await;
    let insi_auto = issue(org_request(&lbm, "INSI-AUTO", Profile::OrgAuthCli)).await;
    let insi_manu = issue(org_request(&lbm, "INSI-MANU", Profile::OrgAuthCli)).await;
    let mssante = issue(org_request(&lbm, "MSSANTE LBM", Profile::OrgAuthCli)).await;
    let serv_ssl = issue(IssueRequest {
        names: RequestedNames { dns: vec!["proxy.chu-nice.fr".into()], ..Default::default() },
        ..org_request("1060785011", "", Profile::ServSsl)
    })
    .await;
    let pro_auth = issue(IssueRequest {
        professional: Some(seed_cases::TEST_PS_IDNAT.into()),
        names: RequestedNames::default(),
        ..org_request(seed_cases::TEST_PS_SITUATIONS[0].ou, "", Profile::ProAuth)
    })
    .await;
    let card = issue(IssueRequest {
        structure: None,
        card: Some(seed_cases::TEST_PS_CARD.into()),
        names: RequestedNames::default(),
        ..org_request("", "", Profile::CardAuth)
    })
    .await;
    let revoked_full = issue(org_request(&lbm, "DMP AUTHENTIFICATION", Profile::OrgAuthCli)).await;
    let revoked_delta = issue(org_request(&lbm, "DMP AUTHENTIFICATION", Profile::OrgAuthCli)).await;
    let revoked_ocsp = issue(org_request(&lbm, "DMP AUTHENTIFICATION", Profile::OrgAuthCli)).await;

    // Revoked before the full CRLs, between them and the deltas, and after both.
    ca.revoke(&revoked_full.serial, RevocationReason::KeyCompromise, "corpus").await.unwrap();
    for id in [ROOT, ORG, PP] {
        ca.publish_crl(id, CrlKind::Full, "corpus").await.unwrap();
    }
    ca.revoke(&revoked_delta.serial, RevocationReason::AffiliationChanged, "corpus").await.unwrap();
    for id in [ROOT, ORG, PP] {
        ca.publish_crl(id, CrlKind::Delta, "corpus").await.unwrap();
    }
    ca.revoke(&revoked_ocsp.serial, RevocationReason::Superseded, "corpus").await.unwrap();
    let mut crls = Vec::new();
    for id in [ROOT, ORG, PP] {
        for kind in [CrlKind::Full, CrlKind::Delta] {
            crls.push(ca.served_crl(id, kind).await.unwrap().unwrap().der.to_vec());
        }
    }
    let ocsp_of = |issued: &santepki_authority::Issued| {
        let ca = ca.clone();
        let issuer = if issued.ca_id == PP { pp.clone() } else { org.clone() };
        let serial = issued.serial.clone();
        async move { ca.ocsp(&ocsp_request(&issuer, &serial)).await.der.to_vec() }
    };

    // Forged certificates.
    let org_signer = org.signer.as_ref();
    let now = Utc::now();
    let time = |t: chrono::DateTime<Utc>| {
        x509_cert::time::Time::UtcTime(
            der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(t.timestamp() as u64)).unwrap(),
        )
    };
    let expired = forge(&dmp_auth.der, org_signer, |tbs| {
        tbs.validity.not_before = time(now - chrono::Duration::days(4 * 365));
        tbs.validity.not_after = time(now - chrono::Duration::days(1));
    });
    let not_yet_valid = forge(&dmp_auth.der, org_signer, |tbs| {
        tbs.validity.not_before = time(now + chrono::Duration::days(30));
        tbs.validity.not_after = time(now + chrono::Duration::days(3 * 365));
    });
    let wrong_policy = forge(&dmp_auth.der, org_signer, |tbs| {
        replace_ext(
            tbs,
            ext(
                false,
                &CertificatePolicies(vec![PolicyInformation {
                    policy_identifier: const_oid::ObjectIdentifier::new_unwrap("1.2.250.1.213.1.7.2.1.1.1.9"),
                    policy_qualifiers: None,
                }]),
            ),
        )
    });
    let critical = forge(&dmp_auth.der, org_signer, |tbs| {
        tbs.extensions.get_or_insert_with(Vec::new).push(Extension {
            extn_id: const_oid::ObjectIdentifier::new_unwrap("1.2.250.1.71.1.2.99"),
            critical: true,
            extn_value: OctetString::new(der::asn1::Null.to_der().unwrap()).unwrap(),
        })
    });
    let insi_variant = |cn: &str| forge(&insi_auto.der, org_signer, |tbs| set_cn(tbs, cn));
    let mut broken = dmp_auth.der.clone();
    let last = broken.len() - 10;
    broken[last] ^= 0x55;
    // Path too long: a sub-CA under the issuing CA (pathLen 0), and a certificate under it.
    let sub_key = SoftwareKey::generate(KeyAlgorithm::Rsa2048).unwrap();
    let sub_ca = forged_ca(&org, "AC IGC-SANTE SOUS-AC", &sub_key, Some((&org.certificate, org_signer)));
    let under_sub_ca = reissued_under(&dmp_auth.der, &sub_ca, &sub_key);
    // Wrong issuer: a root outside the trust anchors (same layout, its own key).
    let foreign_key = SoftwareKey::generate(KeyAlgorithm::Rsa2048).unwrap();
    let foreign_root = forged_ca(&org, "AC RACINE ETRANGERE", &foreign_key, None);
    let foreign = reissued_under(&dmp_auth.der, &foreign_root, &foreign_key);

    let published = Published { root: ca.root().der.clone(), issuing: vec![org.der.clone(), pp.der.clone()], crls };

    // CRL sets for the cases that bring their own: index 2 is the issuing CA's full CRL, 3 its delta.
    let published_crls = published.crls.clone();
    let mut bad_signature_crls = published.crls.clone();
    *bad_signature_crls[2].last_mut().unwrap() ^= 0x01;
    let mut no_delta_crls = published.crls.clone();
    no_delta_crls.remove(3);

    use CoherenceMode::{LegalEntity, Strict};
    let secondary_site = format!("1{}", seed_cases::LBM_SELAS_SITES[1]);
    let other_entity = format!("1{}", seed_cases::PHARMACY_EG);
    let mut cases = vec![
        Case::new("valid-dmp-auth", &dmp_auth.der, Some(Use::DmpAuth), &[]).source(StatusSource::Ocsp),
        Case::new("dmp-auth-same-site", &dmp_auth.der, Some(Use::DmpAuth), &[]).structure(&lbm, Strict),
        Case::new("dmp-auth-secondary-site-coherent", &dmp_auth.der, Some(Use::DmpAuth), &[])
            .structure(&secondary_site, LegalEntity),
        Case::new("dmp-auth-legal-entity-coherent", &dmp_auth.der, Some(Use::DmpAuth), &[])
            .structure(format!("1{}", seed_cases::LBM_SELAS_EJ), LegalEntity),
        Case::new("dmp-auth-secondary-site-strict", &dmp_auth.der, Some(Use::DmpAuth), &[Code::StructureIncoherent])
            .structure(&secondary_site, Strict),
        Case::new("dmp-auth-other-legal-entity", &dmp_auth.der, Some(Use::DmpAuth), &[Code::StructureIncoherent])
            .structure(&other_entity, LegalEntity),
        Case::new("dmp-auth-unknown-structure", &dmp_auth.der, Some(Use::DmpAuth), &[Code::StructureUnknown])
            .structure("1990000016", LegalEntity),
        Case::new("valid-dmp-sign", &dmp_sign.der, Some(Use::DmpSign), &[]),
        Case::new(
            "wrong-eku-sign-for-auth",
            &dmp_sign.der,
            Some(Use::DmpAuth),
            &[Code::ExtendedKeyUsage, Code::Product, Code::ServiceName],
        ),
        Case::new(
            "wrong-eku-auth-for-sign",
            &dmp_auth.der,
            Some(Use::DmpSign),
            &[Code::ExtendedKeyUsage, Code::KeyUsage, Code::Product, Code::ServiceName],
        ),
        Case::new("valid-insi-auto", &insi_auto.der, Some(Use::Insi), &[]),
        Case::new("valid-insi-manu", &insi_manu.der, Some(Use::Insi), &[]),
        Case::new("insi-lower-case", &insi_variant("insi-auto"), Some(Use::Insi), &[Code::ServiceName]),
        Case::new("insi-space", &insi_variant("INSI AUTO"), Some(Use::Insi), &[Code::ServiceName]),
        Case::new("insi-trailing-space", &insi_variant("INSI-AUTO "), Some(Use::Insi), &[Code::ServiceName]),
        Case::new("insi-underscore", &insi_variant("INSI_MANU"), Some(Use::Insi), &[Code::ServiceName]),
        Case::new("insi-other-name", &insi_variant("INSI"), Some(Use::Insi), &[Code::ServiceName]),
        Case::new("dmp-auth-for-insi", &dmp_auth.der, Some(Use::Insi), &[Code::ServiceName]),
        Case::new("valid-mssante", &mssante.der, Some(Use::Mssante), &[]),
        Case::new("valid-tls-server", &serv_ssl.der, Some(Use::TlsServer), &[]),
        Case::new(
            "org-auth-for-tls-server",
            &dmp_auth.der,
            Some(Use::TlsServer),
            &[Code::ExtendedKeyUsage, Code::Product],
        ),
        Case::new("valid-dp-pro-auth", &pro_auth.der, Some(Use::Dp), &[]),
        Case::new("valid-dp-card", &card.der, Some(Use::Dp), &[]),
        Case::new("org-auth-for-dp", &dmp_auth.der, Some(Use::Dp), &[Code::Product, Code::Holder]),
        Case::new("pro-auth-structure-missing", &pro_auth.der, Some(Use::Dp), &[Code::StructureMissing])
            .structure(&lbm, LegalEntity),
        Case::new("valid-no-use", &dmp_sign.der, None, &[]),
        // The CRL cases get no OCSP response (the responder is down): the CRLs must answer.
        Case::new("revoked-in-full-crl", &revoked_full.der, Some(Use::DmpAuth), &[Code::Revoked])
            .source(StatusSource::Crl),
        Case::new("revoked-only-in-delta-crl", &revoked_delta.der, Some(Use::DmpAuth), &[Code::Revoked])
            .source(StatusSource::DeltaCrl),
        Case::new("revoked-only-in-ocsp", &revoked_ocsp.der, Some(Use::DmpAuth), &[Code::Revoked])
            .source(StatusSource::Ocsp),
        Case::new("revoked-no-use", &revoked_full.der, None, &[Code::Revoked]).source(StatusSource::Crl),
        Case::new("good-by-delta-crl", &mssante.der, Some(Use::Mssante), &[]).source(StatusSource::DeltaCrl),
        // One refusal per certificate without a status: the end entity and its issuing CA.
        Case::new(
            "no-status-hard-fail",
            &dmp_auth.der,
            Some(Use::DmpAuth),
            &[Code::RevocationUnknown, Code::RevocationUnknown],
        )
        .cut_off(),
        Case::new("no-status-soft-fail", &serv_ssl.der, Some(Use::TlsServer), &[]).cut_off().explained(
            "openssl",
            "openssl verify -crl_check_all has no soft-fail: a missing CRL is an error, while santepki \
             and pyhanko accept a TLS server certificate whose status cannot be had (soft-fail)",
        ),
        // A revoked answer whose signature was tampered with is ignored (RFC 6960 §3.2); the
        // CRLs, published before the revocation, answer good.
        Case::new("ocsp-bad-signature-ignored", &revoked_ocsp.der, Some(Use::DmpAuth), &[])
            .with_crls(published_crls.clone())
            .source(StatusSource::DeltaCrl)
            .explained(
                "openssl",
                "the oracle's `openssl ocsp -respin` step fails on the tampered response, while \
                 santepki and pyhanko set it aside and take the CRLs' answer",
            ),
        // A revoked answer signed by a responder the issuer did not delegate (RFC 6960 §4.2.2.2) is
        // ignored; the CRLs answer good.
        Case::new("ocsp-unauthorized-responder", &revoked_ocsp.der, Some(Use::DmpAuth), &[])
            .with_crls(published_crls.clone())
            .source(StatusSource::DeltaCrl)
            .explained(
                "openssl",
                "the oracle's `openssl ocsp -respin` step refuses the response, while santepki and pyhanko set \
                 it aside and take the CRLs' answer",
            ),
        // The issuing CA's full CRL with a broken signature: no status for the end entity.
        Case::new("crl-bad-signature", &revoked_full.der, Some(Use::DmpAuth), &[Code::RevocationUnknown])
            .with_crls(bad_signature_crls),
        // The delta CRL the full CRL announces is missing: the full CRL alone could hide a day of
        // revocations (this certificate's), so there is no status.
        Case::new("delta-crl-missing", &revoked_delta.der, Some(Use::DmpAuth), &[Code::RevocationUnknown])
            .with_crls(no_delta_crls)
            .explained(
                "openssl",
                "openssl verify -use_deltas uses a delta CRL only when one is given; without it the full CRL \
                 answers and the revocation since it goes unseen, where santepki and pyhanko find no status",
            ),
        Case::new("expired", &expired, Some(Use::DmpAuth), &[Code::Expired]),
        Case::new("not-yet-valid", &not_yet_valid, Some(Use::DmpAuth), &[Code::NotYetValid]),
        Case::new("wrong-policy", &wrong_policy, Some(Use::DmpAuth), &[Code::Policy]),
        Case::new("unknown-critical-extension", &critical, Some(Use::DmpAuth), &[Code::UnknownCriticalExtension]),
        Case::new("broken-signature", &broken, Some(Use::DmpAuth), &[Code::BadSignature]),
        Case::new("path-too-long", &under_sub_ca, Some(Use::DmpAuth), &[Code::PathLength]).chain(vec![sub_ca.clone()]),
        Case::new("wrong-issuer", &foreign, Some(Use::DmpAuth), &[Code::UnknownIssuer])
            .chain(vec![foreign_root.clone()]),
    ];
    // Real OCSP responses for what the CA issued, except where the CRLs must answer.
    let crl_only = [&revoked_full.serial, &revoked_delta.serial, &mssante.serial];
    for (case, issued) in cases.iter_mut().filter(|c| c.revinfo).filter_map(|c| {
        let issued = [
            &dmp_auth,
            &dmp_sign,
            &insi_auto,
            &insi_manu,
            &mssante,
            &serv_ssl,
            &pro_auth,
            &card,
            &revoked_full,
            &revoked_delta,
            &revoked_ocsp,
        ]
        .into_iter()
        .find(|i| i.der == c.cert && !crl_only.contains(&&i.serial))?;
        Some((c, issued))
    }) {
        case.ocsp = Some(ocsp_of(issued).await);
    }
    // The tampered response: the last byte of the revoked answer's signature flipped.
    let tampered = cases.iter_mut().find(|c| c.name == "ocsp-bad-signature-ignored").unwrap();
    let mut response = ocsp_of(&revoked_ocsp).await;
    *response.last_mut().unwrap() ^= 0x01;
    tampered.ocsp = Some(response);
    // The genuine revoked answer re-signed by a foreign key, naming a foreign responder it embeds.
    let genuine = x509_ocsp::OcspResponse::from_der(&ocsp_of(&revoked_ocsp).await).unwrap();
    let mut bytes = genuine.response_bytes.clone().unwrap();
    let mut basic = x509_ocsp::BasicOcspResponse::from_der(bytes.response.as_bytes()).unwrap();
    let responder_key = SoftwareKey::generate(KeyAlgorithm::Rsa2048).unwrap();
    let responder = forged_ca(&org, "RESPONDEUR OCSP ETRANGER", &responder_key, None);
    let responder = Certificate::from_der(&responder).unwrap();
    basic.tbs_response_data.responder_id = x509_ocsp::ResponderId::ByName(responder.tbs_certificate.subject.clone());
    basic.signature_algorithm = responder_key.algorithm().signature_algorithm();
    let signature = responder_key.sign(&basic.tbs_response_data.to_der().unwrap()).unwrap();
    basic.signature = BitString::from_bytes(&signature).unwrap();
    basic.certs = Some(vec![responder]);
    bytes.response = OctetString::new(basic.to_der().unwrap()).unwrap();
    let forged = x509_ocsp::OcspResponse { response_status: genuine.response_status, response_bytes: Some(bytes) };
    cases.iter_mut().find(|c| c.name == "ocsp-unauthorized-responder").unwrap().ocsp = Some(forged.to_der().unwrap());
    // openssl verify reads no OCSP: the response is checked with `openssl ocsp` after it, which
    // turns "valid" into "revoked" for the one case only OCSP knows. Nothing to explain there.

    // santepki: offline, with the published CRLs and every OCSP response.
    let mut config = Config::new(vec![published.root.clone()], Arc::new(Offline));
    config.intermediates = published.issuing.clone();
    config.crls = published.crls.clone();
    config.ocsp_responses = cases.iter().filter(|c| !c.isolated).filter_map(|c| c.ocsp.clone()).collect();
    config.directory = Some(Arc::new(StoredDirectory::new(t.db.clone())));
    let verifier = Verifier::new(config).unwrap();
    // A relying party cut off from every CRL and responder.
    let mut config = Config::new(vec![published.root.clone()], Arc::new(Offline));
    config.intermediates = published.issuing.clone();
    let cut_off = Verifier::new(config).unwrap();

    let work = tempfile::tempdir().unwrap();
    let mut verdicts = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let request = Request {
            certificate: case.cert.clone(),
            chain: case.chain.clone(),
            usage: case.usage,
            structure: case.structure.clone(),
            coherence: case.coherence,
            revocation: None,
            at: None,
        };
        let verdict = if !case.revinfo {
            cut_off.verify(&request).await
        } else if case.isolated {
            // Alone with the case's data: the shared store would find the genuine responses and CRLs.
            let mut config = Config::new(vec![published.root.clone()], Arc::new(Offline));
            config.intermediates = published.issuing.clone();
            config.crls = case.crls.clone().unwrap_or_else(|| published.crls.clone());
            config.ocsp_responses = case.ocsp.iter().cloned().collect();
            Verifier::new(config).unwrap().verify(&request).await
        } else {
            verifier.verify(&request).await
        };
        if let Some(source) = case.source {
            let found = verdict.revocation.checks.first().and_then(|c| c.source);
            if found != Some(source) {
                failures.push(format!("{}: status from {found:?}, expected {source:?}", case.name));
            }
        }
        let mut got: Vec<Code> = verdict.refusals.iter().map(|r| r.code).collect();
        let mut want = case.expect.clone();
        got.sort_by_key(|c| format!("{c:?}"));
        want.sort_by_key(|c| format!("{c:?}"));
        if got != want {
            failures.push(format!(
                "{}: santepki refused with {got:?}, expected {want:?}\n{}",
                case.name,
                serde_json::to_string_pretty(&verdict).unwrap()
            ));
        }
        // Every refusal names its rule.
        assert!(verdict.refusals.iter().all(|r| !r.rule.is_empty()), "{}", case.name);
        verdicts.push(pkix_of(&verdict));
    }

    let pyhanko = run_pyhanko(work.path(), &published, &cases);
    let openssl = run_openssl(work.path(), &published, &cases);
    let mut table = String::new();
    for (i, case) in cases.iter().enumerate() {
        table.push_str(&format!(
            "{:<36} santepki {:<8} pyhanko {:<8} openssl {:<8}\n",
            case.name,
            format!("{:?}", verdicts[i]),
            format!("{:?}", pyhanko[i].0),
            format!("{:?}", openssl[i].0)
        ));
        for (oracle, (verdict, message)) in [("pyhanko", &pyhanko[i]), ("openssl", &openssl[i])] {
            let explained = case.explained.iter().any(|(o, _)| *o == oracle);
            if (*verdict != verdicts[i]) != explained {
                failures.push(format!(
                    "{}: santepki says {:?}, {oracle} says {verdict:?} ({message}){}",
                    case.name,
                    verdicts[i],
                    if explained { " although the case expects them to disagree" } else { "" }
                ));
            }
        }
    }
    println!("{table}");
    assert!(failures.is_empty(), "{} disagreement(s):\n{}\n\n{table}", failures.len(), failures.join("\n"));
    // The corpus has each kind of verdict.
    for kind in [Pkix::Valid, Pkix::Revoked, Pkix::Invalid] {
        assert!(verdicts.contains(&kind), "no {kind:?} case");
    }
}

/// The key usages and EKUs a relying party asks for a use (pyhanko names) and openssl's purpose.
fn usage_of(usage: Option<Use>) -> (Vec<&'static str>, Vec<&'static str>, Option<&'static str>) {
    match usage {
        None => (vec![], vec![], None),
        Some(Use::DmpSign) => (vec!["non_repudiation"], vec!["email_protection"], Some("smimesign")),
        Some(Use::TlsServer) => (vec!["digital_signature"], vec!["server_auth"], Some("sslserver")),
        Some(_) => (vec!["digital_signature"], vec!["client_auth"], Some("sslclient")),
    }
}

fn run_pyhanko(work: &Path, published: &Published, cases: &[Case]) -> Vec<(Pkix, String)> {
    let python = workspace_root().join("target/test-venv/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/install-deps.sh", python.display());
    let dir = work.join("pyhanko");
    std::fs::create_dir_all(&dir).unwrap();
    let root = write(&dir.join("root.der"), &published.root);
    let crls: Vec<PathBuf> =
        published.crls.iter().enumerate().map(|(i, c)| write(&dir.join(format!("crl{i}.der")), c)).collect();
    let mut manifest = Vec::new();
    for case in cases {
        let cert = write(&dir.join(format!("{}.der", case.name)), &case.cert);
        let mut intermediates: Vec<PathBuf> = Vec::new();
        for (i, der) in published.issuing.iter().chain(&case.chain).enumerate() {
            intermediates.push(write(&dir.join(format!("{}-chain{i}.der", case.name)), der));
        }
        let ocsp: Vec<PathBuf> =
            case.ocsp.iter().map(|o| write(&dir.join(format!("{}-ocsp.der", case.name)), o)).collect();
        let (key_usage, eku, _) = usage_of(case.usage);
        manifest.push(serde_json::json!({
            "name": case.name,
            "cert": cert,
            "intermediates": intermediates,
            "anchors": [root],
            "crls": match (&case.crls, case.revinfo) {
                (_, false) => Vec::new(),
                (None, true) => crls.clone(),
                (Some(own), true) => own
                    .iter()
                    .enumerate()
                    .map(|(i, c)| write(&dir.join(format!("{}-crl{i}.der", case.name)), c))
                    .collect(),
            },
            "ocsp": ocsp,
            "policy": POLICY,
            "key_usage": key_usage,
            "eku": eku,
            "revocation": case.revocation_mode(),
            "moment": null,
        }));
    }
    let manifest_path = write(&dir.join("manifest.json"), serde_json::json!({ "cases": manifest }).to_string());
    let out = Command::new(&python)
        .arg(workspace_root().join("crates/verify/tests/oracle_pyhanko.py"))
        .arg(&manifest_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "pyhanko oracle: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), cases.len());
    lines
        .iter()
        .map(|l| {
            let verdict = match l["verdict"].as_str().unwrap() {
                "valid" => Pkix::Valid,
                "revoked" => Pkix::Revoked,
                "invalid" => Pkix::Invalid,
                other => panic!("pyhanko oracle: {other} for {l}"),
            };
            (verdict, l["message"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn openssl(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().expect("openssl");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn run_openssl(work: &Path, published: &Published, cases: &[Case]) -> Vec<(Pkix, String)> {
    let dir = work.join("openssl");
    std::fs::create_dir_all(&dir).unwrap();
    let root = write(&dir.join("root.pem"), pem("CERTIFICATE", &published.root));
    let crls = write(&dir.join("crls.pem"), published.crls.iter().map(|c| pem("X509 CRL", c)).collect::<String>());
    let all_cas = write(
        &dir.join("all-cas.pem"),
        std::iter::once(&published.root).chain(&published.issuing).map(|c| pem("CERTIFICATE", c)).collect::<String>(),
    );
    cases
        .iter()
        .map(|case| {
            let cert = write(&dir.join(format!("{}.pem", case.name)), pem("CERTIFICATE", &case.cert));
            let untrusted = write(
                &dir.join(format!("{}-untrusted.pem", case.name)),
                published.issuing.iter().chain(&case.chain).map(|c| pem("CERTIFICATE", c)).collect::<String>(),
            );
            let (_, _, purpose) = usage_of(case.usage);
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "verify".as_ref(),
                "-CAfile".as_ref(),
                root.as_os_str(),
                "-untrusted".as_ref(),
                untrusted.as_os_str(),
                "-crl_check_all".as_ref(),
                "-use_deltas".as_ref(),
                "-policy".as_ref(),
                POLICY.as_ref(),
                "-explicit_policy".as_ref(),
            ];
            let own_crls = case.crls.as_ref().map(|own| {
                write(
                    &dir.join(format!("{}-crls.pem", case.name)),
                    own.iter().map(|c| pem("X509 CRL", c)).collect::<String>(),
                )
            });
            if case.revinfo {
                args.push("-CRLfile".as_ref());
                args.push(own_crls.as_ref().unwrap_or(&crls).as_os_str());
            }
            if let Some(p) = purpose {
                args.push("-purpose".as_ref());
                args.push(p.as_ref());
            }
            args.push(cert.as_os_str());
            let (ok, text) = openssl(&args);
            if !ok {
                let verdict = if text.contains("certificate revoked") { Pkix::Revoked } else { Pkix::Invalid };
                return (verdict, text.trim().replace('\n', " | "));
            }
            let Some(response) = &case.ocsp else { return (Pkix::Valid, text.trim().to_owned()) };
            // openssl verify reads no OCSP: check the case's response with `openssl ocsp`.
            let resp = write(&dir.join(format!("{}-ocsp.der", case.name)), response);
            let issuer_der =
                if case.cert == published.issuing[1] { &published.root } else { issuer_of(published, &case.cert) };
            let issuer = write(&dir.join(format!("{}-issuer.pem", case.name)), pem("CERTIFICATE", issuer_der));
            let (ok, text) = openssl(&[
                "ocsp".as_ref(),
                "-respin".as_ref(),
                resp.as_os_str(),
                "-issuer".as_ref(),
                issuer.as_os_str(),
                "-cert".as_ref(),
                cert.as_os_str(),
                "-CAfile".as_ref(),
                all_cas.as_os_str(),
                "-no_nonce".as_ref(),
            ]);
            let name = cert.display().to_string();
            match () {
                _ if !ok || !text.contains("Response verify OK") => (Pkix::Invalid, format!("openssl ocsp: {text}")),
                _ if text.contains(&format!("{name}: revoked")) => (Pkix::Revoked, "openssl ocsp: revoked".into()),
                _ if text.contains(&format!("{name}: good")) => (Pkix::Valid, "openssl verify and ocsp: good".into()),
                _ => (Pkix::Invalid, format!("openssl ocsp: {text}")),
            }
        })
        .collect()
}

/// The issuing CA certificate whose subject is `cert`'s issuer.
fn issuer_of<'a>(published: &'a Published, cert: &[u8]) -> &'a Vec<u8> {
    let issuer = Certificate::from_der(cert).unwrap().tbs_certificate.issuer;
    published
        .issuing
        .iter()
        .find(|ca| Certificate::from_der(ca).unwrap().tbs_certificate.subject == issuer)
        .unwrap_or(&published.root)
}
