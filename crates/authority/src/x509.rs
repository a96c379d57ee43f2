//! Small X.509 building blocks shared by certificates, CRLs and OCSP responses: names with the
//! real hierarchy's string encodings, extensions, times, serials, key identifiers and signing.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use const_oid::db::rfc4519;
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{Any, BitString, GeneralizedTime, OctetString, SetOfVec, UtcTime};
use der::{Encode, Tag};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use crate::keys::{CaSigner, KeyError};

/// One attribute of a distinguished name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAttr {
    /// Attribute type (`C`, `ST`, `O`, `OU`, `CN`…).
    pub oid: ObjectIdentifier,
    /// Attribute value; encoded as PrintableString for `C`, UTF8String otherwise.
    pub value: String,
}

impl NameAttr {
    /// An attribute of type `oid` with `value`.
    pub fn new(oid: ObjectIdentifier, value: impl Into<String>) -> Self {
        NameAttr { oid, value: value.into() }
    }
}

/// Builds a name from RDNs (each a set of one or more attributes), in the given order.
/// `C` is a PrintableString, every other attribute a UTF8String, as in the real certificates.
pub fn build_name(rdns: &[Vec<NameAttr>]) -> Result<Name, der::Error> {
    let mut seq = Vec::with_capacity(rdns.len());
    for rdn in rdns {
        let mut set = SetOfVec::new();
        for a in rdn {
            let tag = if a.oid == rfc4519::C { Tag::PrintableString } else { Tag::Utf8String };
            set.insert(AttributeTypeAndValue { oid: a.oid, value: Any::new(tag, a.value.as_bytes())? })?;
        }
        seq.push(RelativeDistinguishedName::from(set));
    }
    Ok(RdnSequence(seq))
}

/// An extension from a value that knows its OID.
pub fn extension<T: AssociatedOid + Encode>(critical: bool, value: &T) -> Result<Extension, der::Error> {
    Ok(Extension { extn_id: T::OID, critical, extn_value: OctetString::new(value.to_der()?)? })
}

/// An extension with an explicit OID and already-encoded value.
pub fn raw_extension(oid: ObjectIdentifier, critical: bool, value_der: Vec<u8>) -> Result<Extension, der::Error> {
    Ok(Extension { extn_id: oid, critical, extn_value: OctetString::new(value_der)? })
}

/// RFC 5280 time: UTCTime through 2049, GeneralizedTime after.
pub fn time(t: DateTime<Utc>) -> Result<Time, der::Error> {
    let secs = u64::try_from(t.timestamp()).map_err(|_| der::Tag::UtcTime.value_error())?;
    let st = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    if t.format("%Y").to_string().parse::<i32>().unwrap_or(0) < 2050 {
        Ok(Time::UtcTime(UtcTime::from_system_time(st)?))
    } else {
        Ok(Time::GeneralTime(GeneralizedTime::from_system_time(st)?))
    }
}

/// GeneralizedTime (OCSP and some CRL fields always use it).
pub fn generalized_time(t: DateTime<Utc>) -> Result<GeneralizedTime, der::Error> {
    let secs = u64::try_from(t.timestamp()).map_err(|_| der::Tag::GeneralizedTime.value_error())?;
    GeneralizedTime::from_system_time(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

/// A random 16-byte serial (REFERENCE.md), positive, with its first byte non-zero so that every
/// serial has the same 16-byte length and the same 32-digit hex form.
#[allow(
    clippy::expect_used,
    reason = "aws-lc fails only when the operating system has no random source, where no CA can run"
)]
pub fn random_serial() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    loop {
        aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator works");
        bytes[0] &= 0x7f;
        if bytes[0] != 0 {
            return bytes;
        }
    }
}

/// A DER serial number from its bytes; fails when they are not a valid serial (RFC 5280: at most 20 octets).
pub fn serial_number(bytes: &[u8]) -> Result<SerialNumber, der::Error> {
    SerialNumber::new(bytes)
}

/// Lowercase hex of a serial's magnitude (no sign byte): the database key.
pub fn serial_hex(serial: &SerialNumber) -> String {
    let b = serial.as_bytes();
    let trimmed = match b {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => b,
    };
    hex::encode(trimmed)
}

/// Normalises a serial typed by a person (`0A:1b…`, `0x…`, spaces) to the database key form.
pub fn parse_serial_hex(s: &str) -> Option<String> {
    let cleaned: String = s
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || cleaned.len() > 40 || !cleaned.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let lower = cleaned.to_ascii_lowercase();
    let mut t = lower.trim_start_matches('0').to_owned();
    if t.len() % 2 == 1 {
        t.insert(0, '0');
    }
    if t.is_empty() {
        t = "00".into();
    }
    Some(t)
}

/// The key identifier of RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
pub fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>, der::Error> {
    use der::Decode;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)?;
    let bits = spki.subject_public_key.raw_bytes();
    Ok(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bits).as_ref().to_vec())
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes))
}

/// SHA-1 of `bytes`, for the identifiers that standards fix on SHA-1 (OCSP CertID, key identifiers), never for
/// signatures.
pub fn sha1(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref().to_vec()
}

/// Signs the DER of a to-be-signed structure and returns the BIT STRING of the signature.
pub fn sign(signer: &dyn CaSigner, tbs_der: &[u8]) -> Result<BitString, KeyError> {
    let sig = signer.sign(tbs_der)?;
    BitString::from_bytes(&sig).map_err(|e| KeyError::Sign(e.to_string()))
}

/// RFC 4514 text of a name, for people and logs.
pub fn name_text(name: &Name) -> String {
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Tagged;

    #[test]
    fn serials_are_sixteen_positive_bytes() {
        for _ in 0..1000 {
            let s = random_serial();
            assert!(s[0] > 0 && s[0] < 0x80);
            let sn = serial_number(&s).unwrap();
            assert_eq!(serial_hex(&sn).len(), 32);
        }
    }

    #[test]
    fn serial_text_is_normalised() {
        assert_eq!(parse_serial_hex("0A:1B:ff").as_deref(), Some("0a1bff"));
        assert_eq!(parse_serial_hex("0x00a1").as_deref(), Some("a1"));
        assert_eq!(parse_serial_hex("xyz"), None);
        assert_eq!(parse_serial_hex(""), None);
    }

    #[test]
    fn country_is_printable_and_the_rest_utf8() {
        let name =
            build_name(&[vec![NameAttr::new(rfc4519::C, "FR")], vec![NameAttr::new(rfc4519::ST, "Côte-d'Or (21)")]])
                .unwrap();
        let rdns = &name.0;
        let c = rdns[0].0.iter().next().unwrap();
        assert_eq!(c.value.tag(), Tag::PrintableString);
        let st = rdns[1].0.iter().next().unwrap();
        assert_eq!(st.value.tag(), Tag::Utf8String);
        assert_eq!(std::str::from_utf8(st.value.value()).unwrap(), "Côte-d'Or (21)");
    }
}
