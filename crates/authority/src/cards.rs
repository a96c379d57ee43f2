//! Card identities: which card a presented certificate belongs to (the ordering platform's mutual
//! TLS) and which card made a detached CMS signature (form 413 signed without printing, R47).
//!
//! A certificate is trusted here only if it is, byte for byte, a card certificate this CA issued
//! and still considers good (issued, not revoked, in its validity period): the database, not the
//! certificate's content, says which card it belongs to. That also makes revocation immediate,
//! without waiting for a CRL.

use chrono::Utc;
use const_oid::db::{rfc5911, rfc5912};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use santepki_storage::authority as store;
use x509_cert::Certificate;

use crate::profiles::Profile;
use crate::Authority;

/// The card behind a card certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardCertificate {
    /// Serial of the card certificate, in database form (lowercase hex).
    pub serial: String,
    /// The 10-digit CPx card number.
    pub card_number: String,
    /// idNat_PS of the holder.
    pub idnat_ps: String,
}

/// Why a certificate or a signature does not identify a card.
#[derive(Debug, thiserror::Error)]
pub enum CardAuthError {
    /// No certificate this CA issued has these bytes, or it is not a card certificate.
    #[error("the certificate is not a card certificate issued by this platform")]
    Unknown,
    /// The card certificate was revoked (card opposed).
    #[error("the card certificate is revoked")]
    Revoked,
    /// The card certificate is outside its validity period.
    #[error("the card certificate is not valid at this time")]
    Expired,
    /// The detached CMS signature cannot be decoded, or lacks what a card signature needs.
    #[error("the CMS signature is malformed: {0}")]
    Malformed(String),
    /// The CMS signature does not match the signed content or the card certificate.
    #[error("the CMS signature does not verify: {0}")]
    BadSignature(String),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] santepki_storage::StorageError),
}

impl CardAuthError {
    /// Machine-readable code for API errors.
    pub fn code(&self) -> &'static str {
        match self {
            CardAuthError::Unknown => "card_certificate_unknown",
            CardAuthError::Revoked => "card_certificate_revoked",
            CardAuthError::Expired => "card_certificate_expired",
            CardAuthError::Malformed(_) => "signature_malformed",
            CardAuthError::BadSignature(_) => "signature_invalid",
            CardAuthError::Storage(_) => "internal_error",
        }
    }
}

fn malformed(e: impl std::fmt::Display) -> CardAuthError {
    CardAuthError::Malformed(e.to_string())
}

impl Authority {
    /// The card a certificate (DER) was issued for, if it is one of this CA's card certificates
    /// and is good now.
    pub async fn card_of_certificate(&self, der: &[u8]) -> Result<CardCertificate, CardAuthError> {
        let cert = Certificate::from_der(der).map_err(|_| CardAuthError::Unknown)?;
        let serial = crate::x509::serial_hex(&cert.tbs_certificate.serial_number);
        let row = store::certificate(self.db(), &serial).await?.ok_or(CardAuthError::Unknown)?;
        if row.der.as_deref() != Some(der) || row.profile != Profile::CardAuth.name() {
            return Err(CardAuthError::Unknown);
        }
        if row.status == store::STATUS_REVOKED {
            return Err(CardAuthError::Revoked);
        }
        if row.status != store::STATUS_ISSUED {
            return Err(CardAuthError::Unknown);
        }
        let now = santepki_storage::time::format(Utc::now());
        if row.not_after <= now || row.not_before > now {
            return Err(CardAuthError::Expired);
        }
        match (row.card_number, row.professional_id) {
            (Some(card_number), Some(idnat_ps)) => Ok(CardCertificate { serial, card_number, idnat_ps }),
            _ => Err(CardAuthError::Unknown),
        }
    }

    /// Verifies a detached CMS SignedData (DER, or PEM `CMS`/`PKCS7`) over `content` and returns
    /// the card that signed it: what `openssl cms -sign -binary -signer card.pem -inkey key.pem
    /// -outform DER` makes with a card's certificate and key.
    pub async fn verify_card_signature(
        &self,
        content: &[u8],
        cms_input: &[u8],
    ) -> Result<CardCertificate, CardAuthError> {
        let signer_der = verify_detached(content, cms_input)?;
        self.card_of_certificate(&signer_der).await
    }
}

/// Verifies a detached CMS signature over `content` cryptographically and returns the signer's
/// certificate (DER). Which card it is, and whether it is good, is the caller's business.
pub fn verify_detached(content: &[u8], cms_input: &[u8]) -> Result<Vec<u8>, CardAuthError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};

    let der_bytes = cms_der(cms_input)?;
    let info = ContentInfo::from_der(&der_bytes).map_err(malformed)?;
    if info.content_type != rfc5911::ID_SIGNED_DATA {
        return Err(CardAuthError::Malformed("not a SignedData".into()));
    }
    let signed: SignedData = info.content.decode_as().map_err(malformed)?;
    if signed.encap_content_info.econtent.is_some() {
        return Err(CardAuthError::Malformed(
            "the signature must be detached (the signed content travels apart)".into(),
        ));
    }
    let mut infos = signed.signer_infos.0.iter();
    let (Some(si), None) = (infos.next(), infos.next()) else {
        return Err(CardAuthError::Malformed("exactly one signer expected".into()));
    };
    let certs: Vec<&Certificate> = signed
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| if let cms::cert::CertificateChoices::Certificate(c) = c { Some(c) } else { None })
                .collect()
        })
        .unwrap_or_default();
    let signer = certs
        .into_iter()
        .find(|c| match &si.sid {
            SignerIdentifier::IssuerAndSerialNumber(i) => {
                i.serial_number == c.tbs_certificate.serial_number && i.issuer == c.tbs_certificate.issuer
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => c
                .tbs_certificate
                .get::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
                .ok()
                .flatten()
                .is_some_and(|(_, s)| s.0 == ski.0),
        })
        .ok_or_else(|| CardAuthError::Malformed("the signer's certificate is not in the signature".into()))?;

    let digest_alg = match si.digest_alg.oid {
        rfc5912::ID_SHA_256 => &aws_lc_rs::digest::SHA256,
        rfc5912::ID_SHA_384 => &aws_lc_rs::digest::SHA384,
        rfc5912::ID_SHA_512 => &aws_lc_rs::digest::SHA512,
        other => {
            return Err(CardAuthError::Malformed(format!(
                "digest algorithm {other} not accepted (SHA-256, -384, -512)"
            )))
        }
    };
    let attrs =
        si.signed_attrs.as_ref().ok_or_else(|| CardAuthError::Malformed("signed attributes are required".into()))?;
    let attr = |oid: ObjectIdentifier| attrs.iter().find(|a| a.oid == oid).and_then(|a| a.values.iter().next());
    let content_type: ObjectIdentifier = attr(rfc5911::ID_CONTENT_TYPE)
        .ok_or_else(|| CardAuthError::Malformed("no content-type attribute".into()))?
        .decode_as()
        .map_err(malformed)?;
    if content_type != rfc5911::ID_DATA {
        return Err(CardAuthError::Malformed("the signed content type must be id-data".into()));
    }
    let digest: der::asn1::OctetString = attr(rfc5911::ID_MESSAGE_DIGEST)
        .ok_or_else(|| CardAuthError::Malformed("no message-digest attribute".into()))?
        .decode_as()
        .map_err(malformed)?;
    if digest.as_bytes() != aws_lc_rs::digest::digest(digest_alg, content).as_ref() {
        return Err(CardAuthError::BadSignature("the signed digest is not the digest of this content".into()));
    }
    // What was signed is the DER of the attributes as a SET OF (tag 0x31), not the [0] IMPLICIT
    // form they travel in.
    let signed_bytes = attrs.to_der().map_err(malformed)?;
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let alg = match (si.signature_algorithm.oid, si.digest_alg.oid) {
        (rfc5912::RSA_ENCRYPTION, rfc5912::ID_SHA_256) => rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
        (rfc5912::RSA_ENCRYPTION, rfc5912::ID_SHA_384) => rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
        (rfc5912::RSA_ENCRYPTION, rfc5912::ID_SHA_512) => rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
        (other, _) => other,
    };
    crate::csr::verify_signature(&alg, spki, &signed_bytes, si.signature.as_bytes())
        .map_err(|e| CardAuthError::BadSignature(e.to_string()))?;
    signer.to_der().map_err(malformed)
}

/// DER of a CMS given as DER or PEM.
fn cms_der(input: &[u8]) -> Result<Vec<u8>, CardAuthError> {
    let trimmed = input.trim_ascii();
    if trimmed.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(trimmed).map_err(malformed)?;
        let (label, der) = der::pem::decode_vec(text.as_bytes()).map_err(malformed)?;
        if !matches!(label, "CMS" | "PKCS7") {
            return Err(CardAuthError::Malformed(format!("PEM label {label}, expected CMS or PKCS7")));
        }
        return Ok(der);
    }
    Ok(input.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for input in
            [&b""[..], b"\x30\x03\x02\x01\x01", b"-----BEGIN CMS-----\nAAAA\n-----END CMS-----\n", b"\xff\xff\xff"]
        {
            assert!(matches!(verify_detached(b"x", input), Err(CardAuthError::Malformed(_))), "{input:?}");
        }
    }
}
