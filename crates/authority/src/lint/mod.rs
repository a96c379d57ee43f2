//! The CA's own linter: every end-entity certificate is checked against its profile before the
//! CA key signs it (as Boulder does). It re-reads the to-be-signed bytes rather than trusting
//! the builder, so a bug in building is caught before it becomes a signed certificate.
//!
//! The lint is a table of named checks ([`CHECKS`]), each citing the rule, RFC section or
//! REFERENCE.md line it enforces, like Boulder's `linter/lints/` (one lint per rule, with its
//! citation and its own test). A check reads a [`Candidate`] and returns its problems; the lint
//! runs them all, in table order, and reports every problem.

mod extensions;
mod subject;
mod tbs;
#[cfg(test)]
mod tests;

use const_oid::{AssociatedOid, ObjectIdentifier};
use der::{Decode, Encode};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;

use crate::profiles::Profile;
use crate::settings::CaSettings;

/// One check of the lint.
pub struct Check {
    /// A short stable name (`snake_case`), for logs and tests.
    pub name: &'static str,
    /// The rule, RFC section or reference line the check enforces.
    pub citation: &'static str,
    run: fn(&Candidate) -> Vec<String>,
}

/// Every check, in the order their problems are reported.
pub static CHECKS: &[Check] = &[
    Check { name: "version_v3", citation: tbs::VERSION_V3, run: tbs::version_v3 },
    Check { name: "serial_random_16_bytes", citation: tbs::SERIAL, run: tbs::serial_random_16_bytes },
    Check { name: "validity_three_years", citation: tbs::VALIDITY, run: tbs::validity_three_years },
    Check { name: "subject_starts_with_c_fr", citation: subject::C_FR, run: subject::starts_with_c_fr },
    Check { name: "subject_has_cn", citation: subject::CN, run: subject::has_cn },
    Check { name: "legal_person_has_ou", citation: subject::OU, run: subject::legal_person_has_ou },
    Check { name: "natural_person_has_no_ou", citation: subject::NO_OU, run: subject::natural_person_has_no_ou },
    Check { name: "extensions_unique", citation: extensions::UNIQUE, run: extensions::unique },
    Check { name: "basic_constraints_not_ca", citation: extensions::BASIC_CONSTRAINTS, run: extensions::not_ca },
    Check { name: "key_usage_of_profile", citation: extensions::KEY_USAGE, run: extensions::key_usage },
    Check { name: "extended_key_usage_of_profile", citation: extensions::EKU, run: extensions::extended_key_usage },
    Check { name: "subject_key_identifier", citation: extensions::SKI, run: extensions::subject_key_identifier },
    Check { name: "authority_key_identifier", citation: extensions::AKI, run: extensions::authority_key_identifier },
    Check { name: "certificate_policy", citation: extensions::POLICY, run: extensions::certificate_policy },
    Check { name: "crl_distribution_point", citation: extensions::CRL_DP, run: extensions::crl_distribution_point },
    Check { name: "aia_ocsp", citation: extensions::AIA_OCSP, run: extensions::aia_ocsp },
    Check { name: "product_category", citation: extensions::PRODUCT_CATEGORY, run: extensions::product_category },
    Check { name: "serv_ssl_dns_names", citation: extensions::SERV_SSL, run: extensions::serv_ssl_dns_names },
    Check {
        name: "private_key_usage_period_on_sign",
        citation: extensions::PRIVATE_KEY_USAGE_PERIOD,
        run: extensions::private_key_usage_period,
    },
];

/// Problems found; empty when the certificate matches its profile.
pub fn lint(settings: &CaSettings, profile: Profile, tbs: &TbsCertificate) -> Vec<String> {
    findings(settings, profile, tbs).into_iter().map(|(_, problem)| problem).collect()
}

/// Problems found, each with the name of the check that found it.
fn findings(settings: &CaSettings, profile: Profile, tbs: &TbsCertificate) -> Vec<(&'static str, String)> {
    // Re-decode from DER: what is checked is exactly what will be signed.
    let tbs = match tbs.to_der().and_then(|d| TbsCertificate::from_der(&d)) {
        Ok(t) => t,
        Err(e) => return vec![("der_round_trip", format!("the certificate does not round-trip through DER: {e}"))],
    };
    let candidate = Candidate::new(settings, profile, tbs);
    CHECKS.iter().flat_map(|check| (check.run)(&candidate).into_iter().map(|p| (check.name, p))).collect()
}

/// What the checks read: the to-be-signed certificate as decoded from its DER, with its subject
/// attributes and extensions laid out once.
pub struct Candidate<'a> {
    settings: &'a CaSettings,
    profile: Profile,
    tbs: TbsCertificate,
    /// The subject's attributes in order, values as text.
    attrs: Vec<(ObjectIdentifier, String)>,
    extensions: Vec<Extension>,
}

impl<'a> Candidate<'a> {
    fn new(settings: &'a CaSettings, profile: Profile, tbs: TbsCertificate) -> Self {
        let attrs = tbs
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .map(|a| (a.oid, String::from_utf8_lossy(a.value.value()).into_owned()))
            .collect();
        let extensions = tbs.extensions.clone().unwrap_or_default();
        Candidate { settings, profile, tbs, attrs, extensions }
    }

    /// Whether the subject has an attribute of type `oid`.
    fn has_attr(&self, oid: ObjectIdentifier) -> bool {
        self.attrs.iter().any(|(o, _)| *o == oid)
    }

    /// The first extension `oid`, undecoded.
    fn extension(&self, oid: ObjectIdentifier) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.extn_id == oid)
    }

    /// The first extension of type `T`, with its criticality; `None` when absent or undecodable.
    fn decode<T: for<'d> Decode<'d> + AssociatedOid>(&self) -> Option<(bool, T)> {
        let e = self.extension(T::OID)?;
        T::from_der(e.extn_value.as_bytes()).ok().map(|v| (e.critical, v))
    }
}

/// The problem `message` when `broken`, else none.
fn problem_if(broken: bool, message: impl FnOnce() -> String) -> Vec<String> {
    if broken {
        vec![message()]
    } else {
        Vec::new()
    }
}
