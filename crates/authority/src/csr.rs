//! PKCS#10 certificate requests: decoding (PEM or DER), proof of possession (the request's own
//! signature) and the key policy.
//!
//! Only the public key of a request is used: the subject, extensions and attributes a requester
//! puts in it are ignored, because the certificate's contents come from the directory and the
//! habilitation (REFERENCE.md: "never copied from the CSR").

use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use der::{Decode, Encode, Tagged};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::request::CertReq;

use crate::keys::KeyAlgorithm;

/// Requests larger than this are refused before any parsing: a real one is under 2 KiB (RSA
/// 8192 with a few attributes stays well under 4 KiB).
pub const MAX_CSR_BYTES: usize = 64 * 1024;

/// Why a request was refused. `code()` is the machine-readable reason the API returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsrError {
    /// No bytes, or only whitespace.
    #[error("the request is empty")]
    Empty,
    /// More than [`MAX_CSR_BYTES`].
    #[error("the request is {0} bytes; at most {MAX_CSR_BYTES} are accepted")]
    TooLarge(usize),
    /// Not a decodable PKCS#10 request (PEM, DER or the base64 of DER).
    #[error("the request is not a PKCS#10 certificate request in PEM or DER: {0}")]
    Malformed(String),
    /// The SubjectPublicKeyInfo cannot be decoded.
    #[error("the public key is malformed: {0}")]
    BadKey(String),
    /// The request is not signed by the key it carries: proof of possession failed.
    #[error(
        "the request's signature does not verify: it was not signed by the key it carries (proof of possession failed)"
    )]
    BadSignature,
    /// The signature algorithm is outside the accepted list.
    #[error("the request is signed with {0}, which is not accepted (use SHA-256, SHA-384 or SHA-512 with RSA PKCS#1 v1.5 or ECDSA)")]
    UnsupportedSignature(String),
    /// The RSA key size is outside 2048–8192 bits.
    #[error("RSA keys of {0} bits are not accepted: use 2048 to 8192 bits")]
    RsaSize(usize),
    /// The RSA public exponent is not 65537.
    #[error("RSA public exponent {0} is not accepted: use 65537")]
    RsaExponent(String),
    /// The curve is neither P-256 nor P-384.
    #[error("elliptic curve {0} is not accepted: use P-256 or P-384")]
    UnsupportedCurve(String),
    /// The key algorithm is neither RSA nor ECDSA.
    #[error("public key algorithm {0} is not accepted: use RSA or ECDSA (P-256, P-384)")]
    UnsupportedKey(String),
}

impl CsrError {
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            CsrError::Empty => "csr_empty",
            CsrError::TooLarge(_) => "csr_too_large",
            CsrError::Malformed(_) => "csr_malformed",
            CsrError::BadKey(_) => "key_malformed",
            CsrError::BadSignature => "csr_bad_signature",
            CsrError::UnsupportedSignature(_) => "csr_unsupported_signature",
            CsrError::RsaSize(_) => "key_rsa_size",
            CsrError::RsaExponent(_) => "key_rsa_exponent",
            CsrError::UnsupportedCurve(_) => "key_unsupported_curve",
            CsrError::UnsupportedKey(_) => "key_unsupported_algorithm",
        }
    }
}

/// A public key that passed the key policy.
#[derive(Debug, Clone)]
pub struct AcceptedKey {
    /// The key as the certificate will carry it.
    pub spki: SubjectPublicKeyInfoOwned,
    /// Its DER encoding (hashed for rule R37 and the SKI).
    pub spki_der: Vec<u8>,
    /// `rsa2048`… or `p256`/`p384`, for display; RSA sizes other than 2048/3072/4096 show their bits.
    pub description: String,
}

/// An RSA public key (PKCS#1).
#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: der::asn1::UintRef<'a>,
    public_exponent: der::asn1::UintRef<'a>,
}

/// Decodes a request in PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`) or DER,
/// checks its signature and its key, and returns the key.
pub fn verify_request(input: &[u8]) -> Result<AcceptedKey, CsrError> {
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(CsrError::Empty);
    }
    if input.len() > MAX_CSR_BYTES {
        return Err(CsrError::TooLarge(input.len()));
    }
    let der = to_der(input)?;
    let req = CertReq::from_der(&der).map_err(|e| CsrError::Malformed(e.to_string()))?;
    let key = check_public_key(&req.info.public_key)?;
    check_signature_parameters(&req.algorithm)?;
    let info = req.info.to_der().map_err(|e| CsrError::Malformed(e.to_string()))?;
    let signature =
        req.signature.as_bytes().ok_or_else(|| CsrError::Malformed("the signature has unused bits".into()))?;
    verify_signature(&req.algorithm.oid, &req.info.public_key, &info, signature)?;
    Ok(key)
}

const PEM_BEGIN: &[u8] = b"-----BEGIN ";

/// PEM (one block, possibly after text such as `openssl req -text` prints, and with any
/// whitespace around it), DER, or the base64 of the DER without armour.
fn to_der(input: &[u8]) -> Result<Vec<u8>, CsrError> {
    let Some(start) = input.windows(PEM_BEGIN.len()).position(|w| w == PEM_BEGIN) else {
        // DER is a SEQUENCE (0x30); anything else is read as base64 text, as `openssl req -in` reads PEM bodies.
        if input.first() == Some(&0x30) {
            return Ok(input.to_vec());
        }
        return base64_body(input).ok_or_else(|| {
            CsrError::Malformed("neither PEM, nor DER, nor the base64 of a DER certificate request".into())
        });
    };
    let block = input[start..].trim_ascii();
    if block.get(PEM_BEGIN.len()..).unwrap_or_default().windows(PEM_BEGIN.len()).any(|w| w == PEM_BEGIN) {
        return Err(CsrError::Malformed(
            "the PEM text holds more than one block: give the certificate request alone".into(),
        ));
    }
    let (label, der) = pem_block(block)?;
    if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
        return Err(CsrError::Malformed(format!("PEM block {label:?} is not a CERTIFICATE REQUEST")));
    }
    Ok(der)
}

/// One PEM block read as OpenSSL reads it, not as RFC 7468's strict form (which the `der` crate's decoder requires:
/// 64-column lines): lines of any length (.NET wraps at 76 columns, some tools not at all), or the whole block on
/// one line. Returns the label and the decoded body.
fn pem_block(block: &[u8]) -> Result<(String, Vec<u8>), CsrError> {
    let bad = |why: &str| CsrError::Malformed(format!("bad PEM: {why}"));
    let after_begin = block.get(PEM_BEGIN.len()..).unwrap_or_default();
    let label_end = after_begin.windows(5).position(|w| w == b"-----").ok_or_else(|| bad("unterminated BEGIN line"))?;
    let label = std::str::from_utf8(&after_begin[..label_end]).map_err(|_| bad("the label is not text"))?;
    let body = &after_begin[label_end + 5..];
    let end_line = format!("-----END {label}-----");
    let end = body
        .windows(end_line.len())
        .position(|w| w == end_line.as_bytes())
        .ok_or_else(|| bad(&format!("no {end_line:?} line")))?;
    if !body[end + end_line.len()..].trim_ascii().is_empty() {
        return Err(bad("text after the END line"));
    }
    let der = base64_body(&body[..end]).ok_or_else(|| bad("the body is not base64"))?;
    Ok((label.to_owned(), der))
}

/// Base64 text with any line breaks and spaces in it, decoded; `None` when it is not base64 (or empty).
fn base64_body(text: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let compact: Vec<u8> = text.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact).ok().filter(|der| !der.is_empty())
}

/// The unsigned outer signatureAlgorithm: NULL (or, as some tools write it, absent) parameters for
/// RSA PKCS#1 v1.5 (RFC 4055), absent for ECDSA (RFC 5758).
fn check_signature_parameters(alg: &spki::AlgorithmIdentifierOwned) -> Result<(), CsrError> {
    let null = alg.parameters.as_ref().is_none_or(|p| p.tag() == der::Tag::Null && p.value().is_empty());
    let ok = match alg.oid {
        rfc5912::ECDSA_WITH_SHA_256 | rfc5912::ECDSA_WITH_SHA_384 | rfc5912::ECDSA_WITH_SHA_512 => {
            alg.parameters.is_none()
        }
        rfc5912::SHA_256_WITH_RSA_ENCRYPTION
        | rfc5912::SHA_384_WITH_RSA_ENCRYPTION
        | rfc5912::SHA_512_WITH_RSA_ENCRYPTION => null,
        // Algorithms not accepted at all are refused by name when the signature is checked.
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(CsrError::Malformed(format!(
            "the parameters of the signature algorithm {} are not the standard ones",
            oid_name(&alg.oid)
        )))
    }
}

/// The key policy: RSA 2048–8192 bits with e = 65537, ECDSA on P-256 or P-384.
pub fn check_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<AcceptedKey, CsrError> {
    let spki_der = spki.to_der().map_err(|e| CsrError::Malformed(e.to_string()))?;
    let key_bits =
        spki.subject_public_key.as_bytes().ok_or_else(|| CsrError::BadKey("its bit string has unused bits".into()))?;
    let description = match spki.algorithm.oid {
        rfc5912::RSA_ENCRYPTION => {
            // RFC 3279: rsaEncryption parameters are NULL. Another encoding of the same key would
            // hash differently and slip past rule R37.
            if !spki.algorithm.parameters.as_ref().is_some_and(|p| p.tag() == der::Tag::Null && p.value().is_empty()) {
                return Err(CsrError::BadKey("rsaEncryption parameters must be NULL (RFC 3279)".into()));
            }
            let rsa = RsaPublicKey::from_der(key_bits)
                .map_err(|e| CsrError::BadKey(format!("not an RSA public key: {e}")))?;
            let modulus = rsa.modulus.as_bytes();
            let bits = modulus.len() * 8 - modulus.first().map_or(8, |b| b.leading_zeros() as usize);
            if !(2048..=8192).contains(&bits) {
                return Err(CsrError::RsaSize(bits));
            }
            if rsa.public_exponent.as_bytes() != [0x01, 0x00, 0x01] {
                return Err(CsrError::RsaExponent(exponent_text(rsa.public_exponent.as_bytes())));
            }
            format!("rsa{bits}")
        }
        rfc5912::ID_EC_PUBLIC_KEY => {
            let curve: ObjectIdentifier =
                spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as().ok()).ok_or_else(|| {
                    CsrError::UnsupportedCurve("given by explicit parameters instead of a named curve".into())
                })?;
            let (name, point_len) = match curve {
                rfc5912::SECP_256_R_1 => ("p256", 65),
                rfc5912::SECP_384_R_1 => ("p384", 97),
                other => return Err(CsrError::UnsupportedCurve(curve_name(&other))),
            };
            if key_bits.len() != point_len || key_bits[0] != 0x04 {
                return Err(CsrError::BadKey("the EC public key is not an uncompressed point of its curve".into()));
            }
            name.to_owned()
        }
        other => return Err(CsrError::UnsupportedKey(oid_name(&other))),
    };
    Ok(AcceptedKey { spki: spki.clone(), spki_der, description })
}

/// A PKCS#10 request for a key held here (subject `CN=santepki`: the CA ignores it). Used
/// where santepki itself is the requester: demo cards, tests and benchmarks.
pub fn request_for(key: &crate::keys::SoftwareKey) -> Result<Vec<u8>, crate::keys::KeyError> {
    use crate::keys::{CaSigner, KeyError};
    use x509_cert::request::{CertReqInfo, Version};
    let err = |e: der::Error| KeyError::Sign(e.to_string());
    let info = CertReqInfo {
        version: Version::V1,
        subject: "CN=santepki".parse::<x509_cert::name::RdnSequence>().map_err(err)?,
        public_key: SubjectPublicKeyInfoOwned::from_der(key.public_key_der()).map_err(err)?,
        attributes: Default::default(),
    };
    let signature = key.sign(&info.to_der().map_err(err)?)?;
    let req = CertReq {
        info,
        algorithm: key.algorithm().signature_algorithm(),
        signature: der::asn1::BitString::from_bytes(&signature).map_err(err)?,
    };
    req.to_der().map_err(err)
}

/// The key algorithm of an accepted key, when it is one the CA can also generate.
pub fn key_algorithm(key: &AcceptedKey) -> Option<KeyAlgorithm> {
    key.description.parse().ok()
}

pub(crate) fn verify_signature(
    alg: &ObjectIdentifier,
    spki: &SubjectPublicKeyInfoOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CsrError> {
    use aws_lc_rs::signature as sig;
    let key_bits = spki.subject_public_key.as_bytes().unwrap_or_default();
    let is_rsa = spki.algorithm.oid == rfc5912::RSA_ENCRYPTION;
    let p384 = spki.algorithm.parameters.as_ref().and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        == Some(rfc5912::SECP_384_R_1);
    let verifier: &dyn sig::VerificationAlgorithm = match (*alg, is_rsa, p384) {
        (rfc5912::SHA_256_WITH_RSA_ENCRYPTION, true, _) => &sig::RSA_PKCS1_2048_8192_SHA256,
        (rfc5912::SHA_384_WITH_RSA_ENCRYPTION, true, _) => &sig::RSA_PKCS1_2048_8192_SHA384,
        (rfc5912::SHA_512_WITH_RSA_ENCRYPTION, true, _) => &sig::RSA_PKCS1_2048_8192_SHA512,
        (rfc5912::ECDSA_WITH_SHA_256, false, false) => &sig::ECDSA_P256_SHA256_ASN1,
        (rfc5912::ECDSA_WITH_SHA_384, false, false) => &sig::ECDSA_P256_SHA384_ASN1,
        (rfc5912::ECDSA_WITH_SHA_256, false, true) => &sig::ECDSA_P384_SHA256_ASN1,
        (rfc5912::ECDSA_WITH_SHA_384, false, true) => &sig::ECDSA_P384_SHA384_ASN1,
        (rfc5912::ECDSA_WITH_SHA_512, false, false) => &sig::ECDSA_P256_SHA512_ASN1,
        (rfc5912::ECDSA_WITH_SHA_512, false, true) => &sig::ECDSA_P384_SHA512_ASN1,
        (other, _, _) => {
            let known_pair = matches!(
                other,
                rfc5912::SHA_256_WITH_RSA_ENCRYPTION
                    | rfc5912::SHA_384_WITH_RSA_ENCRYPTION
                    | rfc5912::SHA_512_WITH_RSA_ENCRYPTION
                    | rfc5912::ECDSA_WITH_SHA_256
                    | rfc5912::ECDSA_WITH_SHA_384
                    | rfc5912::ECDSA_WITH_SHA_512
            );
            return Err(if known_pair {
                CsrError::UnsupportedSignature(format!("{} with a key of another type", oid_name(&other)))
            } else {
                CsrError::UnsupportedSignature(oid_name(&other))
            });
        }
    };
    sig::UnparsedPublicKey::new(verifier, key_bits).verify(message, signature).map_err(|_| CsrError::BadSignature)
}

fn exponent_text(bytes: &[u8]) -> String {
    if bytes.len() <= 8 {
        let mut v: u64 = 0;
        for b in bytes {
            v = (v << 8) | u64::from(*b);
        }
        v.to_string()
    } else {
        format!("of {} bytes", bytes.len())
    }
}

/// Names people recognise for algorithms that requests carry and const-oid's table lacks.
const NAMES: &[(&str, &str)] = &[
    ("1.3.132.0.10", "secp256k1"),
    ("1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1"),
    ("1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1"),
    ("1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1"),
    ("1.3.132.0.35", "P-521 (secp521r1)"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
    ("1.2.840.113549.1.1.16", "sha512-256WithRSAEncryption"),
    ("2.16.840.1.101.3.4.3.10", "ecdsa-with-SHA3-256"),
    ("2.16.840.1.101.3.4.3.14", "id-rsassa-pkcs1-v1_5-with-SHA3-256"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
];

fn oid_name(oid: &ObjectIdentifier) -> String {
    let text = oid.to_string();
    NAMES
        .iter()
        .find(|(o, _)| *o == text)
        .map(|(_, n)| (*n).to_owned())
        .or_else(|| const_oid::db::DB.by_oid(oid).map(str::to_owned))
        .unwrap_or(text)
}

fn curve_name(oid: &ObjectIdentifier) -> String {
    oid_name(oid)
}
