//! `csr::verify_request` against real requests made by the openssl CLI (generated afresh in a
//! temporary directory on every run: no stored DER), good and bad: every accepted key type and
//! digest in PEM and DER, and every refusal with its exact code and a message that names the
//! offending fact.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use der::{Decode, Encode};
use santepki_authority::csr::{check_public_key, key_algorithm, verify_request, AcceptedKey, CsrError, MAX_CSR_BYTES};
use santepki_authority::KeyAlgorithm;
use x509_cert::request::CertReq;

/// The subject of every request (the CA ignores it; tests edit "Alice" to break the signature).
const SUBJECT: &str = "/C=FR/O=santepki test/CN=Alice Martin";

/// The openssl CLI in a private temporary directory.
struct Openssl {
    dir: tempfile::TempDir,
    files: Cell<u32>,
}

impl Openssl {
    fn new() -> Self {
        Openssl { dir: tempfile::tempdir().unwrap(), files: Cell::new(0) }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A new file name in the directory.
    fn fresh(&self, suffix: &str) -> String {
        self.files.set(self.files.get() + 1);
        format!("f{}.{suffix}", self.files.get())
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("the openssl CLI is installed");
        assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// A private key made by `openssl genpkey <args>`; returns its file name.
    fn genpkey(&self, args: &[&str]) -> String {
        let key = self.fresh("key.pem");
        self.run(&[&["genpkey"], args, &["-out", &key]].concat());
        key
    }

    fn rsa(&self, bits: u32) -> String {
        self.genpkey(&["-algorithm", "RSA", "-pkeyopt", &format!("rsa_keygen_bits:{bits}")])
    }

    /// An EC key on `curve`, encoded as a named curve (what every real client does).
    fn ec(&self, curve: &str) -> String {
        self.genpkey(&[
            "-algorithm",
            "EC",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-pkeyopt",
            "ec_param_enc:named_curve",
        ])
    }

    /// `openssl req -new -key <key> -subj SUBJECT <options>`: the request, PEM unless the options
    /// say `-outform DER`.
    fn req(&self, key: &str, options: &[&str]) -> Vec<u8> {
        let out = self.fresh("csr");
        self.run(&[&["req", "-new", "-key", key, "-subj", SUBJECT], options, &["-out", &out]].concat());
        self.read(&out)
    }

    /// The DER of a PEM request, converted by openssl.
    fn to_der(&self, pem: &[u8]) -> Vec<u8> {
        let (input, output) = (self.fresh("pem"), self.fresh("der"));
        std::fs::write(self.path(&input), pem).unwrap();
        self.run(&["req", "-in", &input, "-outform", "DER", "-out", &output]);
        self.read(&output)
    }

    /// The key's SubjectPublicKeyInfo in DER, as openssl encodes it.
    fn public_key_der(&self, key: &str) -> Vec<u8> {
        self.run(&["pkey", "-in", key, "-pubout", "-outform", "DER"])
    }
}

/// Checks that a refusal message reads as one clear sentence: one line, starting with a word, no
/// Debug dump.
fn assert_sentence(message: &str) {
    assert!(message.len() >= 20, "message too short: {message:?}");
    assert!(!message.contains('\n'), "multi-line message: {message:?}");
    assert!(message.starts_with(|c: char| c.is_ascii_alphabetic()), "message does not start a sentence: {message:?}");
    for debug in ["Error {", "kind:", "Some(", "None", "\\x"] {
        assert!(!message.contains(debug), "Debug output in message: {message:?}");
    }
}

/// `input` is refused with `code`, and the message is a sentence mentioning every `fact`.
#[track_caller]
fn refused(input: &[u8], code: &str, facts: &[&str]) -> CsrError {
    let err = match verify_request(input) {
        Ok(key) => panic!("accepted ({}), expected {code}", key.description),
        Err(e) => e,
    };
    assert_eq!(err.code(), code, "wrong code for: {err}");
    let message = err.to_string();
    assert_sentence(&message);
    for fact in facts {
        assert!(message.contains(fact), "{message:?} does not mention {fact:?}");
    }
    err
}

/// `input` is accepted as `expected`, and the accepted key is exactly openssl's encoding of the
/// key (nothing of the request but the key is kept) and passes the key policy again unchanged.
#[track_caller]
fn accepted(input: &[u8], public_key_der: &[u8], expected: KeyAlgorithm) -> AcceptedKey {
    let key = verify_request(input).unwrap_or_else(|e| panic!("refused ({}): {e}", e.code()));
    assert_eq!(key.description, expected.name());
    assert_eq!(key_algorithm(&key), Some(expected));
    assert_eq!(key.spki_der, public_key_der, "the accepted key is not the request's key");
    assert_eq!(key.spki.to_der().unwrap(), public_key_der);
    let again = check_public_key(&key.spki).unwrap();
    assert_eq!((again.spki_der, again.description), (key.spki_der.clone(), key.description.clone()));
    key
}

/// One key, one request per digest, each in PEM (under `label`) and in DER: all accepted.
fn accepted_forms(o: &Openssl, key: &str, expected: KeyAlgorithm, digests: &[&str]) {
    let public = o.public_key_der(key);
    for digest in digests {
        let pem = o.req(key, &[*digest]);
        assert!(pem.starts_with(b"-----BEGIN CERTIFICATE REQUEST-----"));
        accepted(&pem, &public, expected);
        accepted(&o.to_der(&pem), &public, expected);
        // The same request under the old Netscape label `openssl req -newhdr` still writes.
        let new_header = o.req(key, &[*digest, "-newhdr"]);
        assert!(new_header.starts_with(b"-----BEGIN NEW CERTIFICATE REQUEST-----"));
        accepted(&new_header, &public, expected);
        // DER straight from openssl (not converted).
        accepted(&o.req(key, &[*digest, "-outform", "DER"]), &public, expected);
    }
}

/// A valid request's DER with one byte of its signature value XORed.
fn flip_in_signature(der: &[u8], from_end: usize) -> Vec<u8> {
    let signature_len = CertReq::from_der(der).unwrap().signature.raw_bytes().len();
    assert!(from_end < signature_len);
    let mut bad = der.to_vec();
    let at = bad.len() - 1 - from_end;
    bad[at] ^= 0x01;
    bad
}

/// A valid request's DER with the subject's "Alice" turned into "Blice": still a valid name, but
/// not what was signed.
fn edit_subject(der: &[u8]) -> Vec<u8> {
    let at = der.windows(5).position(|w| w == b"Alice").expect("the subject is in the request");
    let mut bad = der.to_vec();
    bad[at] = b'B';
    bad
}

// ---------------------------------------------------------------------------------------------
// Accepted

/// Guards the most common client request: RSA 2048 with each SHA-2 digest openssl offers.
#[test]
fn rsa_2048_with_sha256_sha384_sha512_is_accepted() {
    let o = Openssl::new();
    accepted_forms(&o, &o.rsa(2048), KeyAlgorithm::Rsa2048, &["-sha256", "-sha384", "-sha512"]);
}

/// Guards RSA 3072 (the ANSSI-recommended size beyond 2030).
#[test]
fn rsa_3072_is_accepted() {
    let o = Openssl::new();
    accepted_forms(&o, &o.rsa(3072), KeyAlgorithm::Rsa3072, &["-sha256", "-sha384"]);
}

/// Guards RSA 4096.
#[test]
fn rsa_4096_is_accepted() {
    let o = Openssl::new();
    accepted_forms(&o, &o.rsa(4096), KeyAlgorithm::Rsa4096, &["-sha512"]);
}

/// Guards ECDSA P-256 with SHA-256 and SHA-384 (aws-lc-rs verifies both on P-256).
#[test]
fn p256_is_accepted() {
    let o = Openssl::new();
    accepted_forms(&o, &o.ec("P-256"), KeyAlgorithm::EcdsaP256, &["-sha256", "-sha384"]);
}

/// Guards ECDSA P-384 with SHA-384 and SHA-256 (the curve is taken from the key, not the digest).
#[test]
fn p384_is_accepted() {
    let o = Openssl::new();
    accepted_forms(&o, &o.ec("P-384"), KeyAlgorithm::EcdsaP384, &["-sha384", "-sha256"]);
}

/// Guards what users paste: a PEM with CRLF line ends, blank lines before it and no final line
/// end is still read.
#[test]
fn pem_with_crlf_and_leading_whitespace_is_accepted() {
    let o = Openssl::new();
    let key = o.ec("P-256");
    let pem = String::from_utf8(o.req(&key, &["-sha256"])).unwrap();
    let public = o.public_key_der(&key);
    accepted(format!("\r\n  \n{}", pem.replace('\n', "\r\n")).as_bytes(), &public, KeyAlgorithm::EcdsaP256);
    accepted(pem.trim_end().as_bytes(), &public, KeyAlgorithm::EcdsaP256);
}

/// Issue 15 point 16: what OpenSSL reads is accepted: PEM wrapped at 76 columns (as .NET writes it), the base64 body
/// on one line, the whole block on one line, and the base64 of the DER without armour (the doc comment's promise).
#[test]
fn pem_of_any_line_length_and_bare_base64_are_accepted() {
    use base64::Engine as _;
    let o = Openssl::new();
    let key = o.ec("P-256");
    let pem = String::from_utf8(o.req(&key, &["-sha256"])).unwrap();
    let public = o.public_key_der(&key);
    let der = o.to_der(pem.as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
    let wrapped = |width: usize| {
        b64.as_bytes().chunks(width).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n")
    };
    let armour = |body: &str, sep: &str| {
        format!("-----BEGIN CERTIFICATE REQUEST-----{sep}{body}{sep}-----END CERTIFICATE REQUEST-----\n")
    };
    for (form, input) in [
        ("76 columns", armour(&wrapped(76), "\n")),
        ("76 columns, CRLF", armour(&wrapped(76), "\n").replace('\n', "\r\n")),
        ("body on one line", armour(&b64, "\n")),
        ("all on one line", armour(&b64, "")),
        ("bare base64", b64.clone()),
        ("bare base64 wrapped", wrapped(64)),
    ] {
        let key = verify_request(input.as_bytes()).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(key.spki_der, public, "{form}");
        // OpenSSL reads the same input (the reference this follows), except the bare base64 it has no armour for
        // and the block on one line, which it refuses ("no start line") but a paste box may well produce.
        if !form.starts_with("bare") && form != "all on one line" {
            assert_eq!(o.to_der(input.as_bytes()), der, "{form}: openssl reads it too");
        }
    }
    // Still refused: base64 of something else, a label mismatch, text after the block.
    refused(base64::engine::general_purpose::STANDARD.encode(b"not a request").as_bytes(), "csr_malformed", &[]);
    refused(armour(&b64, "\n").replace("END CERTIFICATE REQUEST", "END CERTIFICATE").as_bytes(), "csr_malformed", &[]);
}

/// Guards what users paste, at the end: blank lines or spaces after the END line (a form
/// submission, a file with an extra newline) must not make a valid request unreadable.
#[test]
fn pem_with_trailing_whitespace_is_accepted() {
    let o = Openssl::new();
    let key = o.ec("P-256");
    let pem = String::from_utf8(o.req(&key, &["-sha256"])).unwrap();
    let public = o.public_key_der(&key);
    for tail in ["\n", "\r\n", "   ", "\n\n\n"] {
        accepted(format!("{pem}{tail}").as_bytes(), &public, KeyAlgorithm::EcdsaP256);
    }
}

// ---------------------------------------------------------------------------------------------
// Proof of possession

/// Guards the signature check itself: a request whose signature value was altered (one bit, at
/// the end and in the middle of the BIT STRING) is refused as csr_bad_signature, for RSA and ECDSA.
#[test]
fn altered_signature_is_refused() {
    let o = Openssl::new();
    for key in [o.rsa(2048), o.ec("P-256"), o.ec("P-384")] {
        let der = o.req(&key, &["-sha256", "-outform", "DER"]);
        let signature_len = CertReq::from_der(&der).unwrap().signature.raw_bytes().len();
        for from_end in [0, signature_len / 2, signature_len - 1] {
            refused(&flip_in_signature(&der, from_end), "csr_bad_signature", &["signature", "proof of possession"]);
        }
    }
}

/// Guards that the signature covers the request's content: changing the subject after signing
/// (the CA ignores the subject, but the signed bytes changed) is refused as csr_bad_signature.
#[test]
fn altered_subject_is_refused() {
    let o = Openssl::new();
    for key in [o.rsa(2048), o.ec("P-256")] {
        let der = o.req(&key, &["-sha256", "-outform", "DER"]);
        let edited = edit_subject(&der);
        assert!(CertReq::from_der(&edited).is_ok(), "the edited request is still well-formed");
        refused(&edited, "csr_bad_signature", &["proof of possession"]);
    }
}

/// Guards against any single-byte corruption slipping through: every byte of a valid request,
/// XORed with 0x01, 0x80 or 0xff, is refused (never accepted, never a panic), except in the outer
/// signatureAlgorithm's parameters (which the signature does not cover; see
/// `outer_signature_algorithm_parameters_must_be_absent_or_null`).
#[test]
fn every_single_byte_change_is_refused() {
    let o = Openssl::new();
    for key in [o.rsa(2048), o.ec("P-256")] {
        let der = o.req(&key, &["-sha256", "-outform", "DER"]);
        let req = CertReq::from_der(&der).unwrap();
        let algorithm = req.algorithm.to_der().unwrap();
        let algorithm_at = der.windows(algorithm.len()).rposition(|w| w == algorithm.as_slice()).unwrap();
        let parameters = (algorithm_at + 2 + req.algorithm.oid.as_bytes().len() + 2)..(algorithm_at + algorithm.len());
        for at in 0..der.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = der.clone();
                bad[at] ^= mask;
                if let Ok(key) = verify_request(&bad) {
                    assert!(
                        parameters.contains(&at),
                        "byte {at} ^ {mask:#04x} of a {} request accepted",
                        key.description
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Key policy

/// Guards the lower RSA bound: 1024 bits is refused as key_rsa_size, naming the size and the range.
#[test]
fn rsa_1024_is_refused() {
    let o = Openssl::new();
    let key = o.rsa(1024);
    let der = o.req(&key, &["-sha256", "-outform", "DER"]);
    let err = refused(&der, "key_rsa_size", &["1024", "2048"]);
    assert_eq!(err, CsrError::RsaSize(1024));
}

/// Guards the exact boundary: a 2047-bit modulus is one bit short and refused as key_rsa_size.
#[test]
fn rsa_2047_is_refused() {
    let o = Openssl::new();
    let der = o.req(&o.rsa(2047), &["-sha256", "-outform", "DER"]);
    refused(&der, "key_rsa_size", &["2047", "2048 to 8192"]);
}

/// Guards the exponent rule: e = 3 (a valid RSA key otherwise) is refused as key_rsa_exponent,
/// naming the exponent found and the one required.
#[test]
fn rsa_exponent_3_is_refused() {
    let o = Openssl::new();
    let key = o.genpkey(&["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3"]);
    let der = o.req(&key, &["-sha256", "-outform", "DER"]);
    refused(&der, "key_rsa_exponent", &["exponent 3 ", "65537"]);
}

/// Guards the curve list: secp256k1 and P-521 are refused as key_unsupported_curve, naming the
/// curve found (by name, or by OID where const-oid has no name: secp256k1 today) and the accepted
/// ones.
#[test]
fn other_curves_are_refused() {
    let o = Openssl::new();
    for (curve, names) in [("secp256k1", ["secp256k1", "1.3.132.0.10"]), ("P-521", ["secp521r1", "P-521"])] {
        let der = o.req(&o.ec(curve), &["-sha256", "-outform", "DER"]);
        let message = refused(&der, "key_unsupported_curve", &["P-256", "P-384"]).to_string();
        assert!(names.iter().any(|n| message.contains(n)), "{message:?} does not name the curve");
    }
}

/// Guards keys whose curve is spelled out (explicit parameters) instead of named: refused as
/// key_unsupported_curve, even though the curve is P-256.
#[test]
fn explicit_curve_parameters_are_refused() {
    let o = Openssl::new();
    let key =
        o.genpkey(&["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-pkeyopt", "ec_param_enc:explicit"]);
    let der = o.req(&key, &["-sha256", "-outform", "DER"]);
    refused(&der, "key_unsupported_curve", &["P-256", "P-384"]);
}

/// Guards the point format: a P-256 key in compressed form (`openssl ec -conv_form compressed`)
/// is refused with a message that says why.
#[test]
fn compressed_ec_point_is_refused() {
    let o = Openssl::new();
    let key = o.ec("P-256");
    let compressed = o.fresh("key.pem");
    o.run(&["ec", "-in", &key, "-conv_form", "compressed", "-out", &compressed]);
    let der = o.req(&compressed, &["-sha256", "-outform", "DER"]);
    assert_eq!(CertReq::from_der(&der).unwrap().info.public_key.subject_public_key.raw_bytes()[0] & 0xfe, 0x02);
    refused(&der, "key_malformed", &["uncompressed"]);
}

/// Guards the algorithm list: Ed25519 is refused as key_unsupported_algorithm, naming it.
#[test]
fn ed25519_is_refused() {
    let o = Openssl::new();
    let der = o.req(&o.genpkey(&["-algorithm", "ED25519"]), &["-outform", "DER"]);
    refused(&der, "key_unsupported_algorithm", &["Ed25519", "RSA or ECDSA"]);
}

/// Guards the key type: an RSA-PSS key (id-RSASSA-PSS, not rsaEncryption) is refused as
/// key_unsupported_algorithm.
#[test]
fn rsa_pss_key_is_refused() {
    let o = Openssl::new();
    let key = o.genpkey(&["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"]);
    let der = o.req(&key, &["-outform", "DER"]);
    refused(&der, "key_unsupported_algorithm", &["RSASSA-PSS"]);
}

// ---------------------------------------------------------------------------------------------
// Signature algorithms

/// Guards against SHA-1: RSA and ECDSA requests signed with SHA-1 are refused as
/// csr_unsupported_signature, naming the algorithm and what to use.
#[test]
fn sha1_is_refused() {
    let o = Openssl::new();
    let der = o.req(&o.rsa(2048), &["-sha1", "-outform", "DER"]);
    refused(&der, "csr_unsupported_signature", &["sha1WithRSAEncryption", "SHA-256"]);
    // const-oid has no name for ecdsa-with-SHA1: the message shows its OID.
    let der = o.req(&o.ec("P-256"), &["-sha1", "-outform", "DER"]);
    let message = refused(&der, "csr_unsupported_signature", &["SHA-256"]).to_string();
    assert!(message.contains("ecdsa-with-SHA1") || message.contains("1.2.840.10045.4.1"), "{message:?}");
}

/// Guards the readability of refusals for algorithms const-oid cannot name: the message should
/// say "secp256k1" or "ecdsa-with-SHA1", not a dotted OID only a specialist can read.
#[test]
fn common_algorithms_are_named() {
    let o = Openssl::new();
    refused(&o.req(&o.ec("secp256k1"), &["-sha256", "-outform", "DER"]), "key_unsupported_curve", &["secp256k1"]);
    refused(
        &o.req(&o.ec("brainpoolP256r1"), &["-sha256", "-outform", "DER"]),
        "key_unsupported_curve",
        &["brainpoolP256r1"],
    );
    refused(&o.req(&o.ec("P-256"), &["-sha1", "-outform", "DER"]), "csr_unsupported_signature", &["ecdsa-with-SHA1"]);
    let message =
        refused(&o.req(&o.rsa(2048), &["-sha3-256", "-outform", "DER"]), "csr_unsupported_signature", &["SHA3-256"])
            .to_string();
    assert!(!message.contains("2.16.840"), "{message:?}");
}

/// Guards the padding rule: an RSA key signing with PSS padding is refused as
/// csr_unsupported_signature (PKCS#1 v1.5 only).
#[test]
fn rsa_pss_signature_is_refused() {
    let o = Openssl::new();
    let der = o.req(&o.rsa(2048), &["-sha256", "-sigopt", "rsa_padding_mode:pss", "-outform", "DER"]);
    refused(&der, "csr_unsupported_signature", &["RSASSA-PSS", "PKCS#1 v1.5"]);
}

/// Guards ECDSA with SHA-512 (openssl makes it with `-sha512`): accepted on P-256 and P-384, as
/// the refusal message of other algorithms promises.
#[test]
fn ecdsa_with_sha512_is_accepted() {
    let o = Openssl::new();
    for (curve, alg) in [("P-256", KeyAlgorithm::EcdsaP256), ("P-384", KeyAlgorithm::EcdsaP384)] {
        let key = o.ec(curve);
        let der = o.req(&key, &["-sha512", "-outform", "DER"]);
        accepted(&der, &o.public_key_der(&key), alg);
    }
}

// ---------------------------------------------------------------------------------------------
// Not a request

/// Guards the empty-input reason: nothing, or only whitespace (any amount), is csr_empty.
#[test]
fn empty_input_is_refused() {
    for input in [&b""[..], b"   ", b"\r\n\t \n"] {
        refused(input, "csr_empty", &["empty"]);
    }
    refused(&vec![b'\n'; 1 << 20], "csr_empty", &["empty"]);
}

/// Guards the size limit, checked before any parsing: 1 MB of junk is csr_too_large, naming its
/// size and the limit; the limit itself is inclusive.
#[test]
fn oversized_input_is_refused() {
    let junk: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8 | 1).collect();
    refused(&junk, "csr_too_large", &["1000000", &MAX_CSR_BYTES.to_string()]);
    refused(&vec![b'A'; MAX_CSR_BYTES + 1], "csr_too_large", &[&(MAX_CSR_BYTES + 1).to_string()]);
    refused(&vec![b'A'; MAX_CSR_BYTES], "csr_malformed", &["PKCS#10"]);
}

/// Guards text that is neither PEM nor DER: refused as csr_malformed with the generic sentence.
#[test]
fn garbage_is_refused() {
    for input in [
        &b"hello, this is not a certificate request"[..],
        b"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA",
        b"\x30\x03\x02\x01\x00",
        b"\x00\xff\x30\x80",
        b"-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n-----END CERTIFICATE REQUEST-----\n",
    ] {
        refused(input, "csr_malformed", &["the request is not a PKCS#10 certificate request in PEM or DER"]);
    }
}

/// Guards the decoder against short reads: every proper prefix of a valid DER request (RSA and
/// EC), and of its PEM up to the END line, is refused as csr_malformed without a panic. (The
/// empty prefix is csr_empty; a PEM missing only its final line end is complete and accepted.)
#[test]
fn every_truncation_is_malformed() {
    let o = Openssl::new();
    for key in [o.rsa(2048), o.ec("P-384")] {
        let pem = o.req(&key, &["-sha256"]);
        let der = o.to_der(&pem);
        let pem_complete = pem.trim_ascii_end().len();
        assert!(verify_request(&pem[..pem_complete]).is_ok());
        for input in [&der[..], &pem[..pem_complete]] {
            refused(&input[..0], "csr_empty", &[]);
            for len in 1..input.len() {
                let err = verify_request(&input[..len]).expect_err("a truncated request is refused");
                assert_eq!(err.code(), "csr_malformed", "prefix of {len} bytes: {err}");
                assert_sentence(&err.to_string());
            }
        }
    }
}

/// Guards the end of the DER: a valid request followed by anything (a byte, a newline, a second
/// request) is refused as csr_malformed rather than read up to its end.
#[test]
fn trailing_data_after_der_is_refused() {
    let o = Openssl::new();
    let der = o.req(&o.ec("P-256"), &["-sha256", "-outform", "DER"]);
    for extra in [&b"\0"[..], b"\n", &der] {
        refused(&[der.as_slice(), extra].concat(), "csr_malformed", &["PKCS#10"]);
    }
}

/// Guards the PEM label: a certificate, a public key or a private key pasted instead of the
/// request is csr_malformed, naming the label; the private key's content is not echoed back.
#[test]
fn wrong_pem_label_is_refused() {
    let o = Openssl::new();
    let key = o.ec("P-256");
    let cert = o.fresh("pem");
    o.run(&["req", "-x509", "-new", "-key", &key, "-subj", SUBJECT, "-days", "1", "-out", &cert]);
    let certificate = o.read(&cert);
    assert!(certificate.starts_with(b"-----BEGIN CERTIFICATE-----"));
    refused(&certificate, "csr_malformed", &["\"CERTIFICATE\"", "CERTIFICATE REQUEST"]);

    let public = o.run(&["pkey", "-in", &key, "-pubout"]);
    refused(&public, "csr_malformed", &["\"PUBLIC KEY\""]);

    let private = o.read(&key);
    let message = refused(&private, "csr_malformed", &["\"PRIVATE KEY\""]).to_string();
    for line in String::from_utf8(private).unwrap().lines().filter(|l| !l.starts_with("-----")) {
        assert!(!message.contains(line), "the message echoes the private key");
    }
}

// ---------------------------------------------------------------------------------------------
// Canonical encodings (see the report: csr.rs does not check these yet)

/// Guards rule R37 (one live certificate per key), which compares the SHA-256 of the accepted
/// SubjectPublicKeyInfo: the same RSA key with its algorithm parameters absent instead of NULL
/// (RFC 3279 §2.3.1 requires NULL) must not come out as a different `spki_der`. The request is
/// properly signed (openssl signs the re-encoded CertificationRequestInfo), so only the key
/// policy can catch it: either refuse the request or accept it with the canonical encoding.
#[test]
fn rsa_key_parameters_must_be_null() {
    let o = Openssl::new();
    let key = o.rsa(2048);
    let canonical = o.public_key_der(&key);
    let mut req = CertReq::from_der(&o.req(&key, &["-sha256", "-outform", "DER"])).unwrap();
    req.info.public_key.algorithm.parameters = None;
    let info = o.fresh("der");
    std::fs::write(o.path(&info), req.info.to_der().unwrap()).unwrap();
    let signature = o.run(&["dgst", "-sha256", "-sign", &key, &info]);
    req.signature = der::asn1::BitString::from_bytes(&signature).unwrap();
    match verify_request(&req.to_der().unwrap()) {
        Ok(accepted) => assert!(accepted.spki_der == canonical, "same key, another spki_der: R37 sees a new key"),
        Err(e) => assert!(matches!(e.code(), "csr_malformed" | "key_malformed" | "key_unsupported_algorithm"), "{e}"),
    }
}

/// Guards the unsigned outer signatureAlgorithm: for sha256WithRSAEncryption its parameters must
/// be NULL (RFC 4055) and for ECDSA absent (RFC 5758); anything else is a malformed request.
#[test]
fn outer_signature_algorithm_parameters_must_be_absent_or_null() {
    let o = Openssl::new();
    for key in [o.rsa(2048), o.ec("P-256")] {
        let mut req = CertReq::from_der(&o.req(&key, &["-sha256", "-outform", "DER"])).unwrap();
        req.algorithm.parameters = Some(der::asn1::Any::new(der::Tag::OctetString, b"junk".as_slice()).unwrap());
        match verify_request(&req.to_der().unwrap()) {
            Ok(key) => panic!("a {} request with junk signature parameters accepted", key.description),
            Err(err) => assert_eq!(err.code(), "csr_malformed", "{err}"),
        }
    }
}
