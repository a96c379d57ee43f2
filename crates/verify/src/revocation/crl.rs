//! Full and delta CRLs (RFC 5280 §5, §6.3): signature by the certificate's issuer, issuer name,
//! freshness, scope, and the delta's base number.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use const_oid::db::rfc5280;
use const_oid::AssociatedOid;
use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_cert::ext::pkix::{BaseCrlNumber, CrlNumber, CrlReason, FreshestCrl};

use super::{time_of, Issuer};
use crate::signature;

/// Whether a CRL is complete or a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Full,
    Delta,
}

/// One listed certificate.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub revoked_at: DateTime<Utc>,
    pub reason: Option<CrlReason>,
}

/// A CRL whose signature, issuer and freshness were checked against one issuer certificate.
#[derive(Debug)]
pub(crate) struct CheckedCrl {
    /// The CRL number (big-endian bytes, no leading zeros).
    pub number: Vec<u8>,
    /// The delta's BaseCRLNumber.
    pub base: Option<Vec<u8>>,
    this_update: DateTime<Utc>,
    next_update: Option<DateTime<Utc>>,
    /// Where to find the delta CRLs of a full CRL (its FreshestCRL extension).
    pub freshest: Vec<String>,
    only_ca: bool,
    only_users: bool,
    /// The URLs of its issuing distribution point, when it names one: the CRL covers only the
    /// certificates whose distribution points name one of them (RFC 5280 §6.3.3 (b)(2)).
    scope: Vec<String>,
    /// Revoked serials (big-endian, no leading zeros).
    entries: HashMap<Vec<u8>, Entry>,
}

/// A clock skew tolerated between the CA and the verifier.
const SKEW: chrono::Duration = chrono::Duration::minutes(5);

impl CheckedCrl {
    /// Checks `der` as a CRL of `kind` from `issuer` at `now`.
    pub(crate) fn check(der: &[u8], issuer: &Issuer<'_>, kind: Kind, now: DateTime<Utc>) -> Result<Self, String> {
        let crl = CertificateList::from_der(der).map_err(|e| format!("not a CRL: {e}"))?;
        let tbs = &crl.tbs_cert_list;
        if tbs.issuer != issuer.cert.tbs_certificate.subject {
            return Err(format!("issued by {}, not by {}", tbs.issuer, issuer.cert.tbs_certificate.subject));
        }
        let mut number = None;
        let mut base = None;
        let mut freshest = Vec::new();
        let (mut only_ca, mut only_users) = (false, false);
        let mut scope = Vec::new();
        for ext in tbs.crl_extensions.as_deref().unwrap_or_default() {
            let value = ext.extn_value.as_bytes();
            match ext.extn_id {
                id if id == CrlNumber::OID => {
                    number = Some(CrlNumber::from_der(value).map_err(|e| format!("CRL number: {e}"))?.0)
                }
                id if id == BaseCrlNumber::OID => {
                    base = Some(BaseCrlNumber::from_der(value).map_err(|e| format!("delta CRL indicator: {e}"))?.0)
                }
                id if id == FreshestCrl::OID => {
                    freshest = FreshestCrl::from_der(value)
                        .map(|f| super::urls_of(&f.0))
                        .map_err(|e| format!("freshest CRL: {e}"))?
                }
                id if id == rfc5280::ID_CE_ISSUING_DISTRIBUTION_POINT => {
                    let idp = IssuingDistributionPoint::from_der(value)
                        .map_err(|e| format!("issuing distribution point: {e}"))?;
                    if idp.indirect_crl || idp.only_some_reasons.is_some() || idp.only_contains_attribute_certs {
                        return Err("indirect and reason-partitioned CRLs are not supported".into());
                    }
                    (only_ca, only_users) = (idp.only_contains_ca_certs, idp.only_contains_user_certs);
                    if let Some(x509_cert::ext::pkix::name::DistributionPointName::FullName(names)) =
                        &idp.distribution_point
                    {
                        scope = super::uris(names);
                    }
                }
                id if ext.critical && id != rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER => {
                    return Err(format!("unknown critical CRL extension {id} (RFC 5280 §5.2)"))
                }
                _ => {}
            }
        }
        let number = number.ok_or("no CRL number (RFC 5280 §5.2.3)")?;
        match (kind, &base) {
            (Kind::Full, Some(_)) => return Err("a delta CRL where a full CRL was expected".into()),
            (Kind::Delta, None) => return Err("a full CRL where a delta CRL was expected".into()),
            _ => {}
        }
        let this_update = time_of(&tbs.this_update);
        if this_update > now + SKEW {
            return Err(format!("not valid before {this_update}"));
        }
        let next_update = tbs.next_update.as_ref().map(time_of);
        let valid_until = next_update.unwrap_or(this_update + super::NO_NEXT_UPDATE_FRESHNESS);
        if valid_until < now {
            return Err(format!("expired at {valid_until} (nextUpdate, or a day after thisUpdate without one)"));
        }
        let tbs_der = signature::to_be_signed(der).ok_or("not a CRL")?;
        let Some(sig) = crl.signature.as_bytes() else { return Err("unaligned signature".into()) };
        if crl.signature_algorithm != tbs.signature
            || !signature::verify(issuer.der, &crl.signature_algorithm, tbs_der, sig)
        {
            return Err("bad signature (RFC 5280 §6.3.3 (f))".into());
        }
        let mut entries = HashMap::with_capacity(tbs.revoked_certificates.as_ref().map_or(0, Vec::len));
        for rc in tbs.revoked_certificates.as_deref().unwrap_or_default() {
            let mut reason = None;
            for ext in rc.crl_entry_extensions.as_deref().unwrap_or_default() {
                if ext.extn_id == CrlReason::OID {
                    reason = CrlReason::from_der(ext.extn_value.as_bytes()).ok();
                } else if ext.critical {
                    // certificateIssuer (indirect CRLs) and anything unknown: RFC 5280 §5.3.
                    return Err(format!("unsupported critical CRL entry extension {}", ext.extn_id));
                }
            }
            entries.insert(
                trim(rc.serial_number.as_bytes()).to_vec(),
                Entry { revoked_at: time_of(&rc.revocation_date), reason },
            );
        }
        Ok(CheckedCrl {
            number: trim(number.as_bytes()).to_vec(),
            base: base.map(|b| trim(b.as_bytes()).to_vec()),
            this_update,
            next_update,
            freshest,
            only_ca,
            only_users,
            scope,
            entries,
        })
    }

    /// Until when the CRL may be used: its nextUpdate (RFC 5280 §5.1.2.5), or a day after its
    /// thisUpdate when it has none.
    pub(crate) fn valid_until(&self) -> DateTime<Utc> {
        self.next_update.unwrap_or(self.this_update + super::NO_NEXT_UPDATE_FRESHNESS)
    }

    /// Whether the CRL covers a certificate that is a CA or not and names `distribution_points`
    /// (its issuing distribution point's scope, RFC 5280 §6.3.3 (b)).
    pub(crate) fn covers(&self, is_ca: bool, distribution_points: &[String]) -> bool {
        let kind = !(self.only_ca && !is_ca || self.only_users && is_ca);
        kind && (self.scope.is_empty() || distribution_points.iter().any(|u| self.scope.contains(u)))
    }

    /// The entry of `serial`, if listed.
    pub(crate) fn entry(&self, serial: &[u8]) -> Option<&Entry> {
        self.entries.get(trim(serial))
    }

    /// Whether `self` (a delta) applies over `full`: its base is at most the full CRL's number
    /// and it is newer (RFC 5280 §5.2.4).
    pub(crate) fn applies_over(&self, full: &CheckedCrl) -> bool {
        self.base.as_deref().is_some_and(|b| cmp_numbers(b, &full.number).is_le())
            && cmp_numbers(&self.number, &full.number).is_gt()
    }

    /// How many entries it lists.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// A DER INTEGER's bytes without the leading zero octets of its positive encoding.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// Compares two unsigned big-endian numbers without leading zeros.
pub(crate) fn cmp_numbers(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// The encoding of a CRL reason for a person (RFC 5280 names).
pub(crate) fn reason_name(reason: CrlReason) -> &'static str {
    match reason {
        CrlReason::Unspecified => "unspecified",
        CrlReason::KeyCompromise => "keyCompromise",
        CrlReason::CaCompromise => "cACompromise",
        CrlReason::AffiliationChanged => "affiliationChanged",
        CrlReason::Superseded => "superseded",
        CrlReason::CessationOfOperation => "cessationOfOperation",
        CrlReason::CertificateHold => "certificateHold",
        CrlReason::RemoveFromCRL => "removeFromCRL",
        CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
        CrlReason::AaCompromise => "aACompromise",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_as_unsigned_integers() {
        use std::cmp::Ordering::*;
        assert_eq!(cmp_numbers(&[0x02], &[0x01, 0x00]), Less);
        assert_eq!(cmp_numbers(&[0x01, 0x00], &[0xff]), Greater);
        assert_eq!(cmp_numbers(trim(&[0x00, 0x05]), &[0x05]), Equal);
        assert_eq!(trim(&[0, 0, 0]), &[] as &[u8]);
    }

    fn crl(number: u8, base: Option<u8>) -> CheckedCrl {
        CheckedCrl {
            number: vec![number],
            base: base.map(|b| vec![b]),
            this_update: DateTime::<Utc>::default(),
            next_update: None,
            freshest: Vec::new(),
            only_ca: false,
            only_users: false,
            scope: Vec::new(),
            entries: HashMap::new(),
        }
    }

    #[test]
    fn a_delta_applies_over_a_full_crl_at_least_as_new_as_its_base_and_older_than_itself() {
        // RFC 5280 §5.2.4: base <= full number < delta number.
        assert!(crl(5, Some(4)).applies_over(&crl(4, None)));
        assert!(crl(7, Some(4)).applies_over(&crl(6, None)), "a full CRL newer than the base still works");
        assert!(!crl(5, Some(6)).applies_over(&crl(4, None)), "the delta needs a newer full CRL");
        assert!(!crl(4, Some(3)).applies_over(&crl(4, None)), "a full CRL as new as the delta");
    }

    #[test]
    fn rfc5280_6_3_3_b_a_crl_scoped_to_a_distribution_point_covers_only_its_certificates() {
        let mut scoped = crl(1, None);
        scoped.scope = vec!["http://ca/a.crl".into()];
        assert!(scoped.covers(false, &["http://ca/a.crl".into()]));
        assert!(!scoped.covers(false, &["http://ca/b.crl".into()]));
        assert!(!scoped.covers(false, &[]), "a certificate without distribution points");
        assert!(crl(1, None).covers(false, &[]), "an unscoped CRL covers all");
        let mut users_only = crl(1, None);
        users_only.only_users = true;
        assert!(users_only.covers(false, &[]) && !users_only.covers(true, &[]));
    }
}
