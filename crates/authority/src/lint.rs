//! The CA's own linter: every end-entity certificate is checked against its profile before the
//! CA key signs it (as Boulder does). It re-reads the to-be-signed bytes rather than trusting
//! the builder, so a bug in building is caught before it becomes a signed certificate.

use std::collections::HashSet;

use const_oid::db::{rfc4519, rfc5280};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::{Decode, Encode};
use x509_cert::certificate::{TbsCertificate, Version};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, PrivateKeyUsagePeriod, SubjectAltName, SubjectKeyIdentifier,
};

use crate::profiles::{Profile, OID_PRODUCT_CATEGORY};
use crate::settings::CaSettings;

/// Problems found; empty when the certificate matches its profile.
pub fn lint(settings: &CaSettings, profile: Profile, tbs: &TbsCertificate) -> Vec<String> {
    let mut problems = Vec::new();
    // Re-decode from DER: what is checked is exactly what will be signed.
    let tbs = match tbs.to_der().and_then(|d| TbsCertificate::from_der(&d)) {
        Ok(t) => t,
        Err(e) => return vec![format!("the certificate does not round-trip through DER: {e}")],
    };
    let mut p = |s: String| problems.push(s);

    if tbs.version != Version::V3 {
        p("not an X.509 v3 certificate".into());
    }
    let serial = tbs.serial_number.as_bytes();
    if serial.len() != 16 || serial[0] == 0 || serial[0] & 0x80 != 0 {
        p(format!("serial is not 16 positive random bytes ({} bytes)", serial.len()));
    }
    let nb = tbs.validity.not_before.to_unix_duration().as_secs();
    let na = tbs.validity.not_after.to_unix_duration().as_secs();
    // R34: three years (1,096 days with a leap day), never more.
    if na <= nb || na - nb > 1096 * 86_400 {
        p(format!("validity of {} days exceeds three years (R34)", (na.saturating_sub(nb)) / 86_400));
    }

    // Subject: C=FR first; OU (the structure) on legal persons only; a CN.
    let attrs: Vec<(ObjectIdentifier, String)> = tbs
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .map(|a| (a.oid, String::from_utf8_lossy(a.value.value()).into_owned()))
        .collect();
    if attrs.first().map(|(o, v)| (*o, v.as_str())) != Some((rfc4519::C, "FR")) {
        p("the subject does not start with C=FR".into());
    }
    let has = |oid| attrs.iter().any(|(o, _)| *o == oid);
    if !has(rfc4519::CN) {
        p("the subject has no CN".into());
    }
    if profile.is_organisation() && !has(rfc4519::OU) {
        p("a legal person's certificate names its structure in the OU".into());
    }
    if profile.is_personal() && has(rfc4519::OU) {
        p("a natural person's certificate has no OU".into());
    }

    let exts = tbs.extensions.clone().unwrap_or_default();
    let mut seen = HashSet::new();
    for e in &exts {
        if !seen.insert(e.extn_id) {
            p(format!("extension {} appears twice", e.extn_id));
        }
    }
    let find = |oid: ObjectIdentifier| exts.iter().find(|e| e.extn_id == oid);
    fn decode<T: for<'a> Decode<'a> + AssociatedOid>(exts: &[x509_cert::ext::Extension]) -> Option<(bool, T)> {
        let e = exts.iter().find(|e| e.extn_id == T::OID)?;
        T::from_der(e.extn_value.as_bytes()).ok().map(|v| (e.critical, v))
    }

    match decode::<BasicConstraints>(&exts) {
        Some((_, bc)) if !bc.ca => {}
        _ => p("BasicConstraints CA:FALSE is missing".into()),
    }
    let rsa_key = tbs.subject_public_key_info.algorithm.oid == const_oid::db::rfc5912::RSA_ENCRYPTION;
    match decode::<KeyUsage>(&exts) {
        Some((true, ku)) => {
            let expected: Vec<_> = profile.key_usage(rsa_key);
            let got: Vec<_> = ku.0.into_iter().collect();
            if got.len() != expected.len() || !expected.iter().all(|u| got.contains(u)) {
                p(format!("KeyUsage {got:?} differs from the profile's {expected:?}"));
            }
        }
        Some((false, _)) => p("KeyUsage is not critical".into()),
        None => p("KeyUsage is missing".into()),
    }
    match decode::<ExtendedKeyUsage>(&exts) {
        Some((_, eku)) if eku.0 == profile.extended_key_usage() => {}
        _ => p("ExtendedKeyUsage differs from the profile".into()),
    }
    if decode::<SubjectKeyIdentifier>(&exts).is_none() {
        p("SubjectKeyIdentifier is missing".into());
    }
    if decode::<AuthorityKeyIdentifier>(&exts).is_none_or(|(_, a)| a.key_identifier.is_none()) {
        p("AuthorityKeyIdentifier is missing".into());
    }
    match decode::<CertificatePolicies>(&exts) {
        Some((_, cp)) if cp.0.iter().any(|pi| pi.policy_identifier == settings.policy_oid) => {}
        _ => p(format!("CertificatePolicies does not name {}", settings.policy_oid)),
    }
    if decode::<CrlDistributionPoints>(&exts).is_none_or(|(_, d)| d.0.is_empty()) {
        p("CRL distribution point is missing".into());
    }
    match decode::<AuthorityInfoAccessSyntax>(&exts) {
        Some((_, aia)) if aia.0.iter().any(|a| a.access_method == rfc5280::ID_AD_OCSP) => {}
        _ => p("AIA with an OCSP responder is missing".into()),
    }
    if find(OID_PRODUCT_CATEGORY).is_none_or(|e| e.critical || e.extn_value.as_bytes().len() != 3) {
        p("the product category extension 1.2.250.1.71.1.2.5 is missing or malformed".into());
    }
    let san = decode::<SubjectAltName>(&exts).map(|(_, s)| s.0).unwrap_or_default();
    if profile == Profile::ServSsl {
        let dns: Vec<String> = san
            .iter()
            .filter_map(|n| match n {
                GeneralName::DnsName(d) => Some(d.to_string()),
                _ => None,
            })
            .collect();
        let cn = attrs.iter().find(|(o, _)| *o == rfc4519::CN).map(|(_, v)| v.clone()).unwrap_or_default();
        if dns.is_empty() {
            p("a SERV SSL certificate needs a dNSName".into());
        } else if !dns.contains(&cn) {
            p("the CN of a SERV SSL certificate is one of its DNS names".into());
        }
    }
    if profile.has_private_key_usage_period() != decode::<PrivateKeyUsagePeriod>(&exts).is_some() {
        p("PrivateKeyUsagePeriod is on SIGN certificates, and only there".into());
    }
    problems
}
