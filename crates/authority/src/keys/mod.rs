//! Key custody: where CA private keys live and how they sign.
//!
//! One interface ([`KeyCustody`] makes and finds keys, [`CaSigner`] signs with one), two
//! backends: [`pkcs11`] keeps keys in an HSM (SoftHSM2 in CI), generated inside the token as
//! sensitive and non-extractable; [`software`] keeps them in PKCS#8 files encrypted under a
//! passphrase, for the demo and small installations. Nothing above this module sees a private
//! key, so the rest of the CA is the same whichever backend holds it.
//!
//! Every private-key operation runs in aws-lc-rs or in the HSM: the `rsa` crate's timing
//! advisory (RUSTSEC-2023-0071) rules it out.

pub mod pkcs11;
pub mod software;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use der::asn1::AnyRef;
use spki::AlgorithmIdentifierOwned;

/// Key types the CA supports for its own keys and for keys it generates for requesters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA 2048 bits, the real end-entity certificates' keys.
    Rsa2048,
    /// RSA 3072 bits.
    Rsa3072,
    /// RSA 4096 bits, the real CA keys.
    Rsa4096,
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// Ed25519 (RFC 8032): the audit log's checkpoint key, because C2SP signed notes are
    /// Ed25519-signed. Never a CA or requester key, so not in [`KeyAlgorithm::ALL`] and not
    /// accepted by `FromStr`.
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm.
    pub const ALL: [KeyAlgorithm; 5] = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
    ];

    /// The name used in settings and on the command line (`rsa4096`, `p256`…).
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::Rsa3072 => "rsa3072",
            KeyAlgorithm::Rsa4096 => "rsa4096",
            KeyAlgorithm::EcdsaP256 => "p256",
            KeyAlgorithm::EcdsaP384 => "p384",
            KeyAlgorithm::Ed25519 => "ed25519",
        }
    }

    /// Whether this is an RSA key.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096)
    }

    /// The RSA modulus size in bits; `None` for ECDSA.
    pub fn rsa_bits(self) -> Option<u32> {
        match self {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// The object identifier of an Ed25519 key and signature (RFC 8410).
    pub const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

    /// The named curve of an ECDSA key.
    pub fn curve(self) -> Option<ObjectIdentifier> {
        match self {
            KeyAlgorithm::EcdsaP256 => Some(rfc5912::SECP_256_R_1),
            KeyAlgorithm::EcdsaP384 => Some(rfc5912::SECP_384_R_1),
            _ => None,
        }
    }

    /// The signature algorithm a key of this type signs certificates, CRLs and OCSP responses
    /// with: sha256WithRSAEncryption as the real hierarchy does, ECDSA with the hash matching
    /// the curve's strength.
    pub fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        match self {
            KeyAlgorithm::EcdsaP256 => AlgorithmIdentifierOwned { oid: rfc5912::ECDSA_WITH_SHA_256, parameters: None },
            KeyAlgorithm::EcdsaP384 => AlgorithmIdentifierOwned { oid: rfc5912::ECDSA_WITH_SHA_384, parameters: None },
            // RFC 8410: no parameters.
            KeyAlgorithm::Ed25519 => AlgorithmIdentifierOwned { oid: Self::ID_ED25519, parameters: None },
            // RSA PKCS#1 v1.5 algorithm identifiers carry an explicit NULL parameter.
            _ => AlgorithmIdentifierOwned {
                oid: rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
                parameters: Some(AnyRef::NULL.into()),
            },
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', '_'], "");
        KeyAlgorithm::ALL
            .into_iter()
            .find(|a| {
                a.name() == norm
                    || (norm == "ecdsap256" && *a == KeyAlgorithm::EcdsaP256)
                    || (norm == "ecdsap384" && *a == KeyAlgorithm::EcdsaP384)
            })
            .ok_or_else(|| {
                format!("unknown key algorithm {s:?}: expected one of rsa2048, rsa3072, rsa4096, p256, p384")
            })
    }
}

/// Errors of key custody. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key under this label.
    #[error("key {0:?} not found")]
    NotFound(String),
    /// A key already uses this label.
    #[error("key {0:?} already exists")]
    Exists(String),
    /// The key with this label exists but cannot be opened.
    #[error("key {label:?} cannot be opened: {reason}")]
    Unreadable {
        /// The key's label.
        label: String,
        /// Why it cannot be opened.
        reason: String,
    },
    /// Software keys are encrypted and no passphrase was configured.
    #[error("the CA key passphrase is missing: set ca.key_passphrase or SANTEPKI_CA__KEY_PASSPHRASE")]
    NoPassphrase,
    /// The passphrase does not decrypt the key with this label.
    #[error("the CA key passphrase does not open {0:?}")]
    WrongPassphrase(String),
    /// The key could not be generated.
    #[error("key generation failed: {0}")]
    Generate(String),
    /// The key could not sign.
    #[error("signing failed: {0}")]
    Sign(String),
    /// The PKCS#11 module or token failed.
    #[error("PKCS#11: {0}")]
    Pkcs11(String),
    /// Reading or writing a key file failed.
    #[error("I/O on {path}: {reason}")]
    Io {
        /// The file or directory.
        path: String,
        /// The I/O error.
        reason: String,
    },
}

/// A CA key that signs. `sign` takes the bytes to be signed (a TBSCertificate, TBSCertList or
/// ResponseData) and returns the signature value as it goes in the BIT STRING: the raw RSA
/// signature, or a DER `ECDSA-Sig-Value`.
pub trait CaSigner: Send + Sync {
    /// The type of the key.
    fn algorithm(&self) -> KeyAlgorithm;
    /// The DER SubjectPublicKeyInfo of the key.
    fn public_key_der(&self) -> &[u8];
    /// Signs `message` (see the trait documentation for the format of the result).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Where the key lives (`software` or `pkcs11`), for `ca show` and audit events.
    fn backend(&self) -> &'static str;
}

/// A place CA keys are made in and found again, by label.
pub trait KeyCustody: Send + Sync {
    /// Where the keys live (`software` or `pkcs11`).
    fn backend(&self) -> &'static str;
    /// Generates a new key; fails if the label is taken.
    fn generate(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError>;
    /// Opens an existing key.
    fn open(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError>;
}

/// Signs with aws-lc-rs: the software backend's keys, and keys the CA generates for requesters
/// ("online CSR", rule R31) which are delivered once and never stored.
pub struct SoftwareKey {
    algorithm: KeyAlgorithm,
    inner: SoftwareKeyInner,
    public_key_der: Vec<u8>,
}

enum SoftwareKeyInner {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ecdsa(aws_lc_rs::signature::EcdsaKeyPair),
    Ed25519(aws_lc_rs::signature::Ed25519KeyPair),
}

impl SoftwareKey {
    /// Generates a fresh key of `algorithm` in memory.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<Self, KeyError> {
        use aws_lc_rs::rsa::KeySize;
        use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING};
        let inner = match algorithm {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let size = match algorithm {
                    KeyAlgorithm::Rsa2048 => KeySize::Rsa2048,
                    KeyAlgorithm::Rsa3072 => KeySize::Rsa3072,
                    _ => KeySize::Rsa4096,
                };
                SoftwareKeyInner::Rsa(
                    aws_lc_rs::rsa::KeyPair::generate(size).map_err(|e| KeyError::Generate(e.to_string()))?,
                )
            }
            KeyAlgorithm::EcdsaP256 => SoftwareKeyInner::Ecdsa(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(|e| KeyError::Generate(e.to_string()))?,
            ),
            KeyAlgorithm::EcdsaP384 => SoftwareKeyInner::Ecdsa(
                EcdsaKeyPair::generate(&ECDSA_P384_SHA384_ASN1_SIGNING)
                    .map_err(|e| KeyError::Generate(e.to_string()))?,
            ),
            KeyAlgorithm::Ed25519 => SoftwareKeyInner::Ed25519(
                aws_lc_rs::signature::Ed25519KeyPair::generate().map_err(|e| KeyError::Generate(e.to_string()))?,
            ),
        };
        Self::from_inner(algorithm, inner)
    }

    /// Opens an unencrypted PKCS#8 document (already decrypted by the caller).
    pub fn from_pkcs8(algorithm: KeyAlgorithm, pkcs8: &[u8]) -> Result<Self, KeyError> {
        use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING};
        let bad = |e: String| KeyError::Unreadable { label: algorithm.name().into(), reason: e };
        let inner = match algorithm {
            KeyAlgorithm::EcdsaP256 => SoftwareKeyInner::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8).map_err(|e| bad(e.to_string()))?,
            ),
            KeyAlgorithm::EcdsaP384 => SoftwareKeyInner::Ecdsa(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8).map_err(|e| bad(e.to_string()))?,
            ),
            KeyAlgorithm::Ed25519 => SoftwareKeyInner::Ed25519(
                aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
                    .map_err(|e| bad(e.to_string()))?,
            ),
            _ => SoftwareKeyInner::Rsa(aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8).map_err(|e| bad(e.to_string()))?),
        };
        Self::from_inner(algorithm, inner)
    }

    fn from_inner(algorithm: KeyAlgorithm, inner: SoftwareKeyInner) -> Result<Self, KeyError> {
        use aws_lc_rs::encoding::AsDer;
        use aws_lc_rs::signature::KeyPair;
        let public_key_der = match &inner {
            SoftwareKeyInner::Rsa(k) => {
                k.public_key().as_der().map_err(|e| KeyError::Generate(e.to_string()))?.as_ref().to_vec()
            }
            SoftwareKeyInner::Ecdsa(k) => {
                k.public_key().as_der().map_err(|e| KeyError::Generate(e.to_string()))?.as_ref().to_vec()
            }
            SoftwareKeyInner::Ed25519(k) => ed25519_spki(k.public_key().as_ref())?,
        };
        Ok(SoftwareKey { algorithm, inner, public_key_der })
    }

    /// The private key as an unencrypted PKCS#8 document, to encrypt at once (key file,
    /// PKCS#12). Zeroized on drop.
    pub fn to_pkcs8(&self) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyError> {
        use aws_lc_rs::encoding::AsDer;
        let der = match &self.inner {
            SoftwareKeyInner::Rsa(k) => AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(k)
                .map_err(|e| KeyError::Generate(e.to_string()))?
                .as_ref()
                .to_vec(),
            SoftwareKeyInner::Ecdsa(k) => {
                k.to_pkcs8v1().map_err(|e| KeyError::Generate(e.to_string()))?.as_ref().to_vec()
            }
            SoftwareKeyInner::Ed25519(k) => {
                k.to_pkcs8v1().map_err(|e| KeyError::Generate(e.to_string()))?.as_ref().to_vec()
            }
        };
        Ok(zeroize::Zeroizing::new(der))
    }
}

impl CaSigner for SoftwareKey {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match &self.inner {
            SoftwareKeyInner::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|e| KeyError::Sign(e.to_string()))?;
                Ok(sig)
            }
            SoftwareKeyInner::Ecdsa(k) => {
                Ok(k.sign(&rng, message).map_err(|e| KeyError::Sign(e.to_string()))?.as_ref().to_vec())
            }
            SoftwareKeyInner::Ed25519(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }

    fn backend(&self) -> &'static str {
        "software"
    }
}

/// The DER SubjectPublicKeyInfo of a raw 32-byte Ed25519 public key (RFC 8410, section 4).
pub fn ed25519_spki(public_key: &[u8]) -> Result<Vec<u8>, KeyError> {
    use der::Encode;
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned { oid: KeyAlgorithm::ID_ED25519, parameters: None },
        subject_public_key: der::asn1::BitString::from_bytes(public_key)
            .map_err(|e| KeyError::Generate(e.to_string()))?,
    };
    spki.to_der().map_err(|e| KeyError::Generate(e.to_string()))
}

/// The raw 32-byte public key of an Ed25519 SubjectPublicKeyInfo; `None` for any other key.
pub fn ed25519_public_key(spki_der: &[u8]) -> Option<[u8; 32]> {
    use der::Decode;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    if spki.algorithm.oid != KeyAlgorithm::ID_ED25519 {
        return None;
    }
    spki.subject_public_key.as_bytes()?.try_into().ok()
}
