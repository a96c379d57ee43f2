//! Certificate policies (RFC 5280 §6.1): with an explicit policy required, every certificate
//! below the trust anchor must assert it, or anyPolicy.
//!
//! This is the outcome of RFC 5280's policy tree for the paths IGC-Santé builds (no policy
//! mappings, no inhibitAnyPolicy): webpki does no policy processing. A path that maps or
//! constrains policies is refused as unsupported rather than judged by half an algorithm.

use const_oid::db::rfc5280;
use const_oid::ObjectIdentifier;
use x509_cert::ext::pkix::CertificatePolicies;
use x509_cert::Certificate;

use crate::verdict::{Code, Refusal};

/// Checks `required` along `path` (end entity first, anchor excluded).
pub(crate) fn check<'a>(path: impl Iterator<Item = &'a Certificate>, required: ObjectIdentifier) -> Option<Refusal> {
    for cert in path {
        let tbs = &cert.tbs_certificate;
        let constrains = tbs.extensions.as_deref().unwrap_or_default().iter().any(|e| {
            [rfc5280::ID_CE_POLICY_MAPPINGS, rfc5280::ID_CE_POLICY_CONSTRAINTS, rfc5280::ID_CE_INHIBIT_ANY_POLICY]
                .contains(&e.extn_id)
        });
        if constrains {
            return Some(Refusal::new(
                Code::Policy,
                format!("{} maps or constrains policies, which this verifier does not process", tbs.subject),
            ));
        }
        let asserted: Vec<ObjectIdentifier> = match tbs.get::<CertificatePolicies>() {
            Ok(Some((_, policies))) => policies.0.into_iter().map(|p| p.policy_identifier).collect(),
            Ok(None) => Vec::new(),
            Err(e) => return Some(Refusal::new(Code::Policy, format!("{}: certificate policies: {e}", tbs.subject))),
        };
        if !asserted.iter().any(|p| *p == required || *p == rfc5280::ANY_POLICY) {
            let found = if asserted.is_empty() {
                "none".to_owned()
            } else {
                asserted.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            };
            return Some(Refusal::new(
                Code::Policy,
                format!("{} does not assert the policy {required} (found: {found})", tbs.subject),
            ));
        }
    }
    None
}
