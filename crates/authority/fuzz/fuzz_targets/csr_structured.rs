//! Structure-aware edits of real requests (the openssl-made seeds of `corpus/csr/`, compiled in):
//! the fuzzer picks a seed and a list of field edits (signature algorithm and its parameters,
//! signature bits, key algorithm, curve, key bits, RSA modulus and exponent, EC point, subject),
//! then a form (DER, PEM under either label or a wrong one, trailing bytes, truncation), and the
//! result goes through `verify_request`. Nothing may panic, an accepted key passes
//! `check_public_key` again unchanged, and proof of possession holds: without the private key no
//! edit of the signed part (`CertificationRequestInfo`), of the signature or of its algorithm may
//! be accepted. (The outer algorithm's *parameters* are not signed; they are left out of that check.)

#![no_main]

use const_oid::db::{rfc5912, rfc8410};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, BitString, Null, Uint};
use der::{Decode, Encode, Tag};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use santepki_authority::csr::{check_public_key, verify_request};
use x509_cert::request::CertReq;

const SEEDS: &[&[u8]] = &[
    include_bytes!("../corpus/csr/seed-rsa2048-sha256.der"),
    include_bytes!("../corpus/csr/seed-rsa3072-sha384.der"),
    include_bytes!("../corpus/csr/seed-p256-sha256.der"),
    include_bytes!("../corpus/csr/seed-p384-sha384.der"),
    include_bytes!("../corpus/csr/seed-p384-sha256.der"),
    include_bytes!("../corpus/csr/seed-rsa2048-sha1.der"),
    include_bytes!("../corpus/csr/seed-rsa2048-pss.der"),
    include_bytes!("../corpus/csr/seed-rsa2048-e3.der"),
    include_bytes!("../corpus/csr/seed-rsa1024.der"),
    include_bytes!("../corpus/csr/seed-p521.der"),
    include_bytes!("../corpus/csr/seed-secp256k1.der"),
    include_bytes!("../corpus/csr/seed-ed25519.der"),
];

/// Algorithms and curves an edit may put anywhere an OID goes.
const OIDS: &[ObjectIdentifier] = &[
    rfc5912::RSA_ENCRYPTION,
    rfc5912::ID_EC_PUBLIC_KEY,
    rfc5912::SHA_1_WITH_RSA_ENCRYPTION,
    rfc5912::SHA_256_WITH_RSA_ENCRYPTION,
    rfc5912::SHA_384_WITH_RSA_ENCRYPTION,
    rfc5912::SHA_512_WITH_RSA_ENCRYPTION,
    rfc5912::ID_RSASSA_PSS,
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.1"), // ecdsa-with-SHA1
    rfc5912::ECDSA_WITH_SHA_256,
    rfc5912::ECDSA_WITH_SHA_384,
    rfc5912::ECDSA_WITH_SHA_512,
    rfc5912::SECP_256_R_1,
    rfc5912::SECP_384_R_1,
    rfc5912::SECP_521_R_1,
    rfc5912::SECP_224_R_1,
    ObjectIdentifier::new_unwrap("1.3.132.0.10"), // secp256k1
    rfc8410::ID_ED_25519,
    rfc8410::ID_X_25519,
    rfc5912::ID_SHA_256,
];

#[derive(Arbitrary, Debug)]
enum Param {
    Null,
    Oid(u8),
    Raw(u8, Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Edit {
    // The outer, unsigned part.
    SignatureOid(u8),
    SignatureParams(Option<Param>),
    Signature(Vec<u8>),
    SignatureFlip(u16, u8),
    SignatureUnusedBits(u8),
    // The signed part.
    KeyOid(u8),
    KeyParams(Option<Param>),
    KeyBits(Vec<u8>),
    KeyFlip(u16, u8),
    RsaKey { modulus: Vec<u8>, exponent: Vec<u8>, modulus_top: u8, modulus_len: u16 },
    EcPoint { prefix: u8, len: u8, fill: u8 },
    Subject(String),
}

#[derive(Arbitrary, Debug)]
enum Form {
    Der,
    Pem,
    NewPem,
    WrongLabel,
    Trailing(Vec<u8>),
    Truncate(u16),
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u8,
    edits: Vec<Edit>,
    form: Form,
}

#[derive(der::Sequence)]
struct RsaPublicKey {
    modulus: Uint,
    public_exponent: Uint,
}

fn oid(i: u8) -> ObjectIdentifier {
    OIDS[usize::from(i) % OIDS.len()]
}

fn param(p: &Param) -> Option<Any> {
    match p {
        Param::Null => Some(Null.into()),
        Param::Oid(i) => Any::encode_from(&oid(*i)).ok(),
        Param::Raw(tag, value) => Any::new(Tag::try_from(*tag).ok()?, value.as_slice()).ok(),
    }
}

fn flip(bytes: &[u8], at: u16, mask: u8) -> Vec<u8> {
    let mut v = bytes.to_vec();
    if !v.is_empty() {
        let i = usize::from(at) % v.len();
        v[i] ^= mask.max(1);
    }
    v
}

/// Applies one edit; `None` when the edit cannot be expressed (the input is then skipped).
fn apply(req: &mut CertReq, edit: &Edit) -> Option<()> {
    let key = &mut req.info.public_key;
    match edit {
        Edit::SignatureOid(i) => req.algorithm.oid = oid(*i),
        Edit::SignatureParams(p) => req.algorithm.parameters = p.as_ref().and_then(param),
        Edit::Signature(bytes) => req.signature = BitString::from_bytes(bytes).ok()?,
        Edit::SignatureFlip(at, mask) => req.signature = BitString::from_bytes(&flip(req.signature.raw_bytes(), *at, *mask)).ok()?,
        Edit::SignatureUnusedBits(n) => req.signature = BitString::new(n % 8, req.signature.raw_bytes()).ok()?,
        Edit::KeyOid(i) => key.algorithm.oid = oid(*i),
        Edit::KeyParams(p) => key.algorithm.parameters = p.as_ref().and_then(param),
        Edit::KeyBits(bytes) => key.subject_public_key = BitString::from_bytes(bytes).ok()?,
        Edit::KeyFlip(at, mask) => {
            key.subject_public_key = BitString::from_bytes(&flip(key.subject_public_key.raw_bytes(), *at, *mask)).ok()?
        }
        Edit::RsaKey { modulus, exponent, modulus_top, modulus_len } => {
            // Either the fuzzer's bytes, or a modulus of a chosen length (sizes around the limits).
            let modulus = if modulus.is_empty() {
                let mut m = vec![0xa5u8; usize::from(*modulus_len) % 1100];
                if let Some(first) = m.first_mut() {
                    *first = *modulus_top;
                }
                m
            } else {
                modulus.clone()
            };
            let rsa = RsaPublicKey { modulus: Uint::new(&modulus).ok()?, public_exponent: Uint::new(exponent).ok()? };
            key.subject_public_key = BitString::from_bytes(&rsa.to_der().ok()?).ok()?;
        }
        Edit::EcPoint { prefix, len, fill } => {
            let mut point = vec![*fill; usize::from(*len)];
            if let Some(first) = point.first_mut() {
                *first = *prefix;
            }
            key.subject_public_key = BitString::from_bytes(&point).ok()?;
        }
        Edit::Subject(s) => {
            let cn: String = s.chars().filter(char::is_ascii_alphanumeric).take(64).collect();
            req.info.subject = format!("CN={}", if cn.is_empty() { "x" } else { &cn }).parse().ok()?;
        }
    }
    Some(())
}

fn encode(der: Vec<u8>, form: &Form) -> Option<Vec<u8>> {
    use der::pem::LineEnding;
    let pem = |label| der::pem::encode_string(label, LineEnding::LF, &der).ok().map(String::into_bytes);
    match form {
        Form::Der => Some(der),
        Form::Pem => pem("CERTIFICATE REQUEST"),
        Form::NewPem => pem("NEW CERTIFICATE REQUEST"),
        Form::WrongLabel => pem("CERTIFICATE"),
        Form::Trailing(extra) => Some([der.as_slice(), extra].concat()),
        Form::Truncate(n) => Some(der[..usize::from(*n) % der.len().max(1)].to_vec()),
    }
}

fuzz_target!(|input: Input| {
    let seed = SEEDS[usize::from(input.seed) % SEEDS.len()];
    let original = CertReq::from_der(seed).expect("seeds are valid requests");
    let mut req = original.clone();
    for edit in input.edits.iter().take(8) {
        if apply(&mut req, edit).is_none() {
            return;
        }
    }
    let Ok(der) = req.to_der() else { return };
    let Some(bytes) = encode(der, &input.form) else { return };
    if let Ok(key) = verify_request(&bytes) {
        let again = check_public_key(&key.spki).expect("an accepted key passes the key policy again");
        assert_eq!(again.spki_der, key.spki_der);
        assert_eq!(again.description, key.description);
        // Proof of possession: the fuzzer has no private key, so what was accepted must be the
        // seed's own signed data, signature and signature algorithm.
        assert_eq!(req.info.to_der().unwrap(), original.info.to_der().unwrap(), "accepted with edited signed data");
        assert_eq!(req.signature, original.signature, "accepted with an edited signature");
        assert_eq!(req.algorithm.oid, original.algorithm.oid, "accepted with another signature algorithm");
        let exact = match &input.form {
            Form::Der | Form::Pem | Form::NewPem => true,
            Form::Trailing(extra) => extra.is_empty(),
            Form::WrongLabel | Form::Truncate(_) => false,
        };
        assert!(exact, "accepted in form {:?}", input.form);
    }
});
