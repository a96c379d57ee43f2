//! Path validation with rustls-webpki: path building to the trust anchors, signatures, validity,
//! basic constraints and path length, extended key usage and critical extensions; its errors
//! become refusals naming their RFC 5280 section.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeIdIter, KeyUsage};

use crate::usage::Use;
use crate::verdict::{Code, Refusal};

/// The DER contents of the extended key usage OIDs (webpki wants `'static` bytes).
const CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const EMAIL_PROTECTION: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x04];

/// The EKU a use requires: when a certificate of the path has an EKU extension, it lists the
/// purpose (RFC 5280 §4.2.1.12: no extension allows any purpose; the CA certificates have none).
/// The use rules refuse an end entity without one, as no IGC-Santé product lacks it. Without a
/// use, any.
enum Eku {
    Required(KeyUsage),
    Any,
}

impl ExtendedKeyUsageValidator for Eku {
    fn validate(&self, mut iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        match self {
            Eku::Required(k) => k.validate(iter),
            Eku::Any => iter.try_for_each(|id| id.map(|_| ())),
        }
    }
}

fn eku_of(usage: Option<Use>) -> Eku {
    let Some(usage) = usage else { return Eku::Any };
    let oid = usage.eku();
    let bytes = [CLIENT_AUTH, SERVER_AUTH, EMAIL_PROTECTION].into_iter().find(|b| *b == oid.as_bytes());
    bytes.map_or(Eku::Any, |b| Eku::Required(KeyUsage::required_if_present(b)))
}

/// Builds and checks a path from `end_entity` to one of `anchors`; on success, the DER of the
/// intermediates used (end entity's issuer first) and the index of the anchor.
pub(crate) fn validate(
    end_entity: &[u8],
    anchors: &[TrustAnchor<'static>],
    intermediates: &[CertificateDer<'static>],
    usage: Option<Use>,
    at: DateTime<Utc>,
) -> Result<(Vec<Vec<u8>>, usize), Refusal> {
    let der = CertificateDer::from(end_entity);
    let ee = EndEntityCert::try_from(&der).map_err(|e| refusal(&e))?;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(at.timestamp().max(0) as u64));
    let path = ee
        .verify_for_usage(webpki::ALL_VERIFICATION_ALGS, anchors, intermediates, time, eku_of(usage), None, None)
        .map_err(|e| refusal(&e))?;
    let used = path.intermediate_certificates().map(|c| c.der().to_vec()).collect();
    let anchor = path.anchor();
    let index = anchors
        .iter()
        .position(|a| a.subject == anchor.subject && a.subject_public_key_info == anchor.subject_public_key_info)
        .unwrap_or_default();
    Ok((used, index))
}

/// The refusal for a webpki error.
fn refusal(e: &webpki::Error) -> Refusal {
    use webpki::Error as E;
    #[allow(deprecated, reason = "webpki still returns the old variant on some paths")]
    let old_eku = matches!(e, E::RequiredEkuNotFound);
    let code = match e {
        E::UnknownIssuer => Code::UnknownIssuer,
        E::InvalidSignatureForPublicKey | E::SignatureAlgorithmMismatch => Code::BadSignature,
        E::CertExpired { .. } => Code::Expired,
        E::CertNotValidYet { .. } => Code::NotYetValid,
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => Code::PathLength,
        E::CaUsedAsEndEntity | E::EndEntityUsedAsCa => Code::BasicConstraints,
        E::UnsupportedCriticalExtension => Code::UnknownCriticalExtension,
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => Code::ExtendedKeyUsage,
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::UnsupportedCertVersion | E::MalformedExtensions => {
            Code::Malformed
        }
        _ if old_eku => Code::ExtendedKeyUsage,
        _ => Code::Path,
    };
    let message = match (code, e) {
        (Code::UnknownIssuer, _) => "no path to a configured trust anchor".to_owned(),
        (_, E::CertExpired { not_after, .. }) => {
            format!("a certificate of the path expired at {}", format_time(*not_after))
        }
        (_, E::CertNotValidYet { not_before, .. }) => {
            format!("a certificate of the path is not valid before {}", format_time(*not_before))
        }
        (Code::ExtendedKeyUsage, _) => "the extended key usage does not allow this use".to_owned(),
        (Code::PathLength, _) => "a CA's path length constraint is exceeded".to_owned(),
        (Code::UnknownCriticalExtension, _) => {
            "a certificate of the path has a critical extension this verifier does not process".to_owned()
        }
        (Code::BadSignature, _) => "a signature of the path does not verify with its issuer's key".to_owned(),
        _ => format!("path validation failed: {e:?}"),
    };
    Refusal::new(code, message)
}

fn format_time(t: UnixTime) -> String {
    DateTime::<Utc>::from_timestamp(t.as_secs() as i64, 0).map_or_else(|| t.as_secs().to_string(), |d| d.to_rfc3339())
}
