//! Checks of the extensions: those every end-entity certificate carries (REFERENCE.md, "Common"),
//! and those the profile decides (key usages, SAN of SERV SSL, PrivateKeyUsagePeriod of SIGN).

use std::collections::HashSet;

use const_oid::db::{rfc4519, rfc5280, rfc5912};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage, PrivateKeyUsagePeriod, SubjectAltName, SubjectKeyIdentifier,
};

use super::{problem_if, Candidate};
use crate::profiles::{Profile, OID_PRODUCT_CATEGORY};

pub(super) const UNIQUE: &str = "RFC 5280 §4.2: a certificate must not include more than one instance of an extension";

/// One problem per repeated extension.
pub(super) fn unique(c: &Candidate) -> Vec<String> {
    let mut seen = HashSet::new();
    c.extensions
        .iter()
        .filter(|e| !seen.insert(e.extn_id))
        .map(|e| format!("extension {} appears twice", e.extn_id))
        .collect()
}

pub(super) const BASIC_CONSTRAINTS: &str =
    "REFERENCE.md common extensions: BasicConstraints CA:FALSE; RFC 5280 §4.2.1.9";

pub(super) fn not_ca(c: &Candidate) -> Vec<String> {
    let ok = matches!(c.decode::<BasicConstraints>(), Some((_, bc)) if !bc.ca);
    problem_if(!ok, || "BasicConstraints CA:FALSE is missing".into())
}

pub(super) const KEY_USAGE: &str =
    "REFERENCE.md profile table: KeyUsage critical, the profile's usages exactly (R23); RFC 5280 §4.2.1.3";

pub(super) fn key_usage(c: &Candidate) -> Vec<String> {
    let rsa_key = c.tbs.subject_public_key_info.algorithm.oid == rfc5912::RSA_ENCRYPTION;
    match c.decode::<KeyUsage>() {
        Some((true, ku)) => {
            let expected: Vec<_> = c.profile.key_usage(rsa_key);
            let got: Vec<_> = ku.0.into_iter().collect();
            problem_if(got.len() != expected.len() || !expected.iter().all(|u| got.contains(u)), || {
                format!("KeyUsage {got:?} differs from the profile's {expected:?}")
            })
        }
        Some((false, _)) => vec!["KeyUsage is not critical".into()],
        None => vec!["KeyUsage is missing".into()],
    }
}

pub(super) const EKU: &str = "REFERENCE.md profile table: the profile's ExtendedKeyUsage (R23); RFC 5280 §4.2.1.12";

pub(super) fn extended_key_usage(c: &Candidate) -> Vec<String> {
    let ok = matches!(c.decode::<ExtendedKeyUsage>(), Some((_, eku)) if eku.0 == c.profile.extended_key_usage());
    problem_if(!ok, || "ExtendedKeyUsage differs from the profile".into())
}

pub(super) const SKI: &str = "REFERENCE.md common extensions: SKI; RFC 5280 §4.2.1.2";

pub(super) fn subject_key_identifier(c: &Candidate) -> Vec<String> {
    problem_if(c.decode::<SubjectKeyIdentifier>().is_none(), || "SubjectKeyIdentifier is missing".into())
}

pub(super) const AKI: &str = "REFERENCE.md common extensions: AKI; RFC 5280 §4.2.1.1 (keyIdentifier MUST be present)";

pub(super) fn authority_key_identifier(c: &Candidate) -> Vec<String> {
    let missing = c.decode::<AuthorityKeyIdentifier>().is_none_or(|(_, a)| a.key_identifier.is_none());
    problem_if(missing, || "AuthorityKeyIdentifier is missing".into())
}

pub(super) const POLICY: &str =
    "REFERENCE.md common extensions: CertificatePolicies with the configured policy OID; RFC 5280 §4.2.1.4";

pub(super) fn certificate_policy(c: &Candidate) -> Vec<String> {
    let policy = c.settings.policy_oid;
    let names = |cp: &CertificatePolicies| cp.0.iter().any(|pi| pi.policy_identifier == policy);
    let ok = c.decode::<CertificatePolicies>().is_some_and(|(_, cp)| names(&cp));
    problem_if(!ok, || format!("CertificatePolicies does not name {policy}"))
}

pub(super) const CRL_DP: &str = "REFERENCE.md common extensions: CRL distribution point(s); RFC 5280 §4.2.1.13";

pub(super) fn crl_distribution_point(c: &Candidate) -> Vec<String> {
    let missing = c.decode::<CrlDistributionPoints>().is_none_or(|(_, d)| d.0.is_empty());
    problem_if(missing, || "CRL distribution point is missing".into())
}

pub(super) const AIA_OCSP: &str = "REFERENCE.md common extensions: AIA with OCSP; RFC 5280 §4.2.2.1";

pub(super) fn aia_ocsp(c: &Candidate) -> Vec<String> {
    let has_ocsp = |aia: &AuthorityInfoAccessSyntax| aia.0.iter().any(|a| a.access_method == rfc5280::ID_AD_OCSP);
    let ok = c.decode::<AuthorityInfoAccessSyntax>().is_some_and(|(_, aia)| has_ocsp(&aia));
    problem_if(!ok, || "AIA with an OCSP responder is missing".into())
}

pub(super) const PRODUCT_CATEGORY: &str =
    "REFERENCE.md common extensions: 1.2.250.1.71.1.2.5 non-critical, an OCTET STRING of one byte";

/// Non-critical, and its value (an OCTET STRING holding one byte) is 3 bytes of DER.
pub(super) fn product_category(c: &Candidate) -> Vec<String> {
    let bad = c.extension(OID_PRODUCT_CATEGORY).is_none_or(|e| e.critical || e.extn_value.as_bytes().len() != 3);
    problem_if(bad, || "the product category extension 1.2.250.1.71.1.2.5 is missing or malformed".into())
}

pub(super) const SERV_SSL: &str =
    "REFERENCE.md SERV SSL: SAN dNSName(s), CN=<FQDN> (R23: SSL_SERVEUR for a domain name); CA/B Forum BR §7.1.4.3";

pub(super) fn serv_ssl_dns_names(c: &Candidate) -> Vec<String> {
    if c.profile != Profile::ServSsl {
        return Vec::new();
    }
    let san = c.decode::<SubjectAltName>().map(|(_, s)| s.0).unwrap_or_default();
    let dns: Vec<String> = san
        .iter()
        .filter_map(|n| match n {
            GeneralName::DnsName(d) => Some(d.to_string()),
            _ => None,
        })
        .collect();
    let cn = c.attrs.iter().find(|(o, _)| *o == rfc4519::CN).map(|(_, v)| v.clone()).unwrap_or_default();
    if dns.is_empty() {
        vec!["a SERV SSL certificate needs a dNSName".into()]
    } else {
        problem_if(!dns.contains(&cn), || "the CN of a SERV SSL certificate is one of its DNS names".into())
    }
}

pub(super) const PRIVATE_KEY_USAGE_PERIOD: &str =
    "REFERENCE.md ORG SIGN: PrivateKeyUsagePeriod = validity, on SIGN certificates only; RFC 3280 §4.2.1.4";

pub(super) fn private_key_usage_period(c: &Candidate) -> Vec<String> {
    let present = c.decode::<PrivateKeyUsagePeriod>().is_some();
    problem_if(c.profile.has_private_key_usage_period() != present, || {
        "PrivateKeyUsagePeriod is on SIGN certificates, and only there".into()
    })
}
