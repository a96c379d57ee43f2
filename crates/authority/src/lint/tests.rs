//! One case (or more) per check: a certificate built as issuance builds it passes every check;
//! each case breaks it in one way and expects exactly its check to report it.

use chrono::{Duration, Utc};
use const_oid::db::{rfc4519, rfc5280};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, PrivateKeyUsagePeriod, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::serial_number::SerialNumber;

use super::{findings, CHECKS};
use crate::certificate::{end_entity_tbs, EndEntity, IssuerInfo};
use crate::keys::{CaSigner, KeyAlgorithm, SoftwareKey};
use crate::profiles::{AltName, Content, Profile, OID_PRODUCT_CATEGORY};
use crate::settings::CaSettings;
use crate::x509::{self, build_name, NameAttr};

const SERVER: &str = "dmp.chu-exemple.fr";

fn settings() -> CaSettings {
    CaSettings::test("http://127.0.0.1:9")
}

fn attr(oid: ObjectIdentifier, value: &str) -> Vec<NameAttr> {
    vec![NameAttr::new(oid, value)]
}

/// The subject a profile gives, without the attributes `leave_out`, with `add` at the end.
fn subject(profile: Profile, leave_out: &[ObjectIdentifier], add: &[(ObjectIdentifier, &str)]) -> Vec<Vec<NameAttr>> {
    let mut rdns = if profile.is_personal() {
        vec![
            attr(rfc4519::C, "FR"),
            attr(rfc4519::CN, "899700270616"),
            attr(rfc4519::SN, "DUPONT"),
            attr(rfc4519::GIVEN_NAME, "JEAN"),
        ]
    } else {
        let cn = if profile == Profile::ServSsl { SERVER } else { "DMP AUTHENTIFICATION" };
        vec![
            attr(rfc4519::C, "FR"),
            attr(rfc4519::ST, "Rhône (69)"),
            attr(rfc4519::O, "CHU EXEMPLE"),
            attr(rfc4519::OU, "1060785011"),
            attr(rfc4519::CN, cn),
        ]
    };
    rdns.retain(|rdn| !leave_out.contains(&rdn[0].oid));
    rdns.extend(add.iter().map(|(oid, v)| attr(*oid, v)));
    rdns
}

/// A to-be-signed certificate of `profile` with `subject`, built as issuance builds one.
fn build(profile: Profile, subject: Vec<Vec<NameAttr>>) -> TbsCertificate {
    let ca_key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let key = SoftwareKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let spki = SubjectPublicKeyInfoOwned::from_der(key.public_key_der()).unwrap();
    let issuer = build_name(&[attr(rfc4519::C, "FR"), attr(rfc4519::CN, "TEST AC IGC-SANTE")]).unwrap();
    let alt_names = if profile == Profile::ServSsl { vec![AltName::Dns(SERVER.into())] } else { Vec::new() };
    let content = Content { subject, alt_names };
    let now = Utc::now();
    end_entity_tbs(
        &settings(),
        &IssuerInfo { id: "ACI-EL-ORG", subject: &issuer, key_identifier: &[7; 20], signer: &ca_key },
        &EndEntity {
            profile,
            content: &content,
            spki: &spki,
            spki_der: key.public_key_der(),
            serial: &x509::random_serial(),
            not_before: now,
            not_after: now + Duration::days(1095),
            card: None,
            profession_code: None,
        },
    )
    .unwrap()
}

fn valid(profile: Profile) -> TbsCertificate {
    build(profile, subject(profile, &[], &[]))
}

fn names(profile: Profile, tbs: &TbsCertificate) -> Vec<&'static str> {
    findings(&settings(), profile, tbs).into_iter().map(|(name, _)| name).collect()
}

fn extensions(tbs: &mut TbsCertificate) -> &mut Vec<x509_cert::ext::Extension> {
    tbs.extensions.get_or_insert_with(Vec::new)
}

fn remove(tbs: &mut TbsCertificate, oid: ObjectIdentifier) {
    extensions(tbs).retain(|e| e.extn_id != oid);
}

fn replace<T: AssociatedOid + Encode>(tbs: &mut TbsCertificate, critical: bool, value: &T) {
    remove(tbs, T::OID);
    extensions(tbs).push(x509::extension(critical, value).unwrap());
}

#[test]
fn certificates_as_issued_pass_every_check() {
    for profile in [Profile::OrgAuthCli, Profile::OrgSign, Profile::ServSsl, Profile::ProAuth, Profile::ProSign] {
        let tbs = valid(profile);
        assert_eq!(findings(&settings(), profile, &tbs), vec![], "{profile}");
    }
}

#[test]
fn checks_have_unique_names_and_a_citation() {
    let mut names: Vec<_> = CHECKS.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CHECKS.len());
    assert!(CHECKS.iter().all(|c| !c.citation.is_empty()));
}

type Break = fn(&mut TbsCertificate);

/// Each case: the check expected to fail, the profile, and how the certificate is broken.
fn cases() -> Vec<(&'static str, Profile, Break)> {
    vec![
        ("version_v3", Profile::OrgAuthCli, |t| t.version = Version::V2),
        ("serial_random_16_bytes", Profile::OrgAuthCli, |t| t.serial_number = SerialNumber::new(&[1, 2, 3]).unwrap()),
        ("serial_random_16_bytes", Profile::OrgAuthCli, |t| t.serial_number = SerialNumber::new(&[0x11; 20]).unwrap()),
        ("validity_three_years", Profile::OrgAuthCli, |t| {
            t.validity.not_after = x509::time(Utc::now() + Duration::days(1097)).unwrap();
        }),
        ("validity_three_years", Profile::OrgAuthCli, |t| t.validity.not_after = t.validity.not_before),
        ("subject_starts_with_c_fr", Profile::OrgAuthCli, |t| {
            t.subject = build_name(&subject(Profile::OrgAuthCli, &[rfc4519::C], &[])).unwrap();
        }),
        ("subject_starts_with_c_fr", Profile::OrgAuthCli, |t| {
            t.subject = build_name(&subject(Profile::OrgAuthCli, &[rfc4519::C], &[(rfc4519::C, "FR")])).unwrap();
        }),
        ("subject_has_cn", Profile::OrgAuthCli, |t| {
            t.subject = build_name(&subject(Profile::OrgAuthCli, &[rfc4519::CN], &[])).unwrap();
        }),
        ("legal_person_has_ou", Profile::OrgSign, |t| {
            t.subject = build_name(&subject(Profile::OrgSign, &[rfc4519::OU], &[])).unwrap();
        }),
        ("natural_person_has_no_ou", Profile::ProAuth, |t| {
            t.subject = build_name(&subject(Profile::ProAuth, &[], &[(rfc4519::OU, "1060785011")])).unwrap();
        }),
        ("extensions_unique", Profile::OrgAuthCli, |t| {
            let ski = extensions(t).iter().find(|e| e.extn_id == SubjectKeyIdentifier::OID).unwrap().clone();
            extensions(t).push(ski);
        }),
        ("basic_constraints_not_ca", Profile::OrgAuthCli, |t| remove(t, BasicConstraints::OID)),
        ("basic_constraints_not_ca", Profile::OrgAuthCli, |t| {
            replace(t, true, &BasicConstraints { ca: true, path_len_constraint: None });
        }),
        ("key_usage_of_profile", Profile::OrgAuthCli, |t| remove(t, KeyUsage::OID)),
        ("key_usage_of_profile", Profile::OrgAuthCli, |t| {
            let ku = KeyUsage::from_der(
                extensions(t).iter().find(|e| e.extn_id == KeyUsage::OID).unwrap().extn_value.as_bytes(),
            )
            .unwrap();
            replace(t, false, &ku);
        }),
        ("key_usage_of_profile", Profile::OrgAuthCli, |t| {
            // The usages of SIGN on an AUTH_CLI certificate.
            let sign = valid(Profile::OrgSign);
            let ku = sign.extensions.unwrap().into_iter().find(|e| e.extn_id == KeyUsage::OID).unwrap();
            remove(t, KeyUsage::OID);
            extensions(t).push(ku);
        }),
        ("extended_key_usage_of_profile", Profile::OrgAuthCli, |t| {
            replace(t, false, &ExtendedKeyUsage(vec![rfc5280::ID_KP_SERVER_AUTH]));
        }),
        ("subject_key_identifier", Profile::OrgAuthCli, |t| remove(t, SubjectKeyIdentifier::OID)),
        ("authority_key_identifier", Profile::OrgAuthCli, |t| remove(t, AuthorityKeyIdentifier::OID)),
        ("authority_key_identifier", Profile::OrgAuthCli, |t| replace(t, false, &AuthorityKeyIdentifier::default())),
        ("certificate_policy", Profile::OrgAuthCli, |t| remove(t, CertificatePolicies::OID)),
        ("crl_distribution_point", Profile::OrgAuthCli, |t| remove(t, CrlDistributionPoints::OID)),
        ("crl_distribution_point", Profile::OrgAuthCli, |t| replace(t, false, &CrlDistributionPoints(vec![]))),
        ("aia_ocsp", Profile::OrgAuthCli, |t| remove(t, AuthorityInfoAccessSyntax::OID)),
        ("product_category", Profile::OrgAuthCli, |t| remove(t, OID_PRODUCT_CATEGORY)),
        ("product_category", Profile::OrgAuthCli, |t| {
            extensions(t).iter_mut().filter(|e| e.extn_id == OID_PRODUCT_CATEGORY).for_each(|e| e.critical = true);
        }),
        ("serv_ssl_dns_names", Profile::ServSsl, |t| remove(t, SubjectAltName::OID)),
        ("serv_ssl_dns_names", Profile::ServSsl, |t| {
            t.subject =
                build_name(&subject(Profile::ServSsl, &[rfc4519::CN], &[(rfc4519::CN, "autre.chu-exemple.fr")]))
                    .unwrap();
        }),
        ("private_key_usage_period_on_sign", Profile::OrgSign, |t| remove(t, PrivateKeyUsagePeriod::OID)),
        ("private_key_usage_period_on_sign", Profile::OrgAuthCli, |t| {
            let sign = valid(Profile::OrgSign);
            let pkup = sign.extensions.unwrap().into_iter().find(|e| e.extn_id == PrivateKeyUsagePeriod::OID).unwrap();
            extensions(t).push(pkup);
        }),
    ]
}

#[test]
fn each_check_reports_its_own_problem() {
    for (i, (check, profile, break_it)) in cases().into_iter().enumerate() {
        let mut tbs = valid(profile);
        break_it(&mut tbs);
        assert_eq!(names(profile, &tbs), vec![check], "case {i} ({check}, {profile})");
    }
}

#[test]
fn every_check_has_a_case() {
    let cases = cases();
    for check in CHECKS {
        assert!(cases.iter().any(|(name, _, _)| *name == check.name), "no case for {}", check.name);
    }
}

#[test]
fn the_policy_is_the_configured_one() {
    let tbs = valid(Profile::OrgAuthCli);
    let mut other = settings();
    other.policy_oid = ObjectIdentifier::new_unwrap("1.2.3.4");
    let found = findings(&other, Profile::OrgAuthCli, &tbs);
    assert_eq!(found, vec![("certificate_policy", "CertificatePolicies does not name 1.2.3.4".to_owned())]);
}

#[test]
fn problems_keep_their_messages() {
    let mut tbs = valid(Profile::OrgAuthCli);
    tbs.version = Version::V2;
    remove(&mut tbs, SubjectKeyIdentifier::OID);
    assert_eq!(
        super::lint(&settings(), Profile::OrgAuthCli, &tbs),
        vec!["not an X.509 v3 certificate".to_owned(), "SubjectKeyIdentifier is missing".to_owned()]
    );
}
