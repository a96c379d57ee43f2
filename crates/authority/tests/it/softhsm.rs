//! The PKCS#11 key backend against a real SoftHSM2 token.
//!
//! These tests need the token that `scripts/services.sh start` sets up (scripts/test does it):
//! they fail, never skip, when it is missing, so that a CI without SoftHSM2 cannot pass by
//! testing nothing. Every key gets a label unique to the test run (process id, time, counter), so
//! re-runs on the same token never collide with keys left by earlier runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use const_oid::db::rfc5912;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::asn1::ObjectIdentifier;
use der::Decode;
use santepki_authority::keys::pkcs11::{Pkcs11Config, Pkcs11Custody};
use santepki_authority::keys::{CaSigner, KeyAlgorithm, KeyCustody, KeyError};
use spki::SubjectPublicKeyInfoRef;

// --- setup --------------------------------------------------------------------------------

fn env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set: these tests need the SoftHSM2 test token. Run them through \
             scripts/test, or first: eval \"$(scripts/services.sh start)\" (it installs SoftHSM2 \
             and initialises the token)"
        ),
    }
}

fn config() -> Pkcs11Config {
    let module = PathBuf::from(env("SANTEPKI_TEST_PKCS11_MODULE"));
    assert!(
        module.is_file(),
        "SANTEPKI_TEST_PKCS11_MODULE={} does not exist: is SoftHSM2 installed? Run scripts/services.sh start",
        module.display()
    );
    Pkcs11Config { module, token_label: env("SANTEPKI_TEST_PKCS11_TOKEN"), pin: env("SANTEPKI_TEST_PKCS11_PIN") }
}

fn custody() -> Pkcs11Custody {
    Pkcs11Custody::open(config()).unwrap_or_else(|e| panic!("cannot open the SoftHSM2 token: {e}"))
}

/// A label no earlier run used: the process id alone repeats across runs.
fn unique_label(what: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("test-{what}-{}-{nanos}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The tests of this binary run in parallel on one token, which SoftHSM2 2.6 does not always take
/// well: creating or deleting token objects in one thread while another creates some fails now
/// and then with CKR_GENERAL_ERROR (SoftHSMv2 issue #573), and another *process* on the token
/// (the child of `a_wrong_pin_is_refused_by_the_token`) can find it half-written. The custody
/// serialises its own key generations; the tests take this lock shared while they use the token,
/// and exclusive to delete their keys or run a child process.
static TOKEN: RwLock<()> = RwLock::new(());

/// Also taken by `pkcs11_ca`, whose hierarchy is generated in the same token by the same process.
pub(crate) fn shared_token() -> RwLockReadGuard<'static, ()> {
    TOKEN.read().unwrap_or_else(PoisonError::into_inner)
}

fn exclusive_token() -> RwLockWriteGuard<'static, ()> {
    TOKEN.write().unwrap_or_else(PoisonError::into_inner)
}

/// Shared use of the token for a test, and the labels of the keys it makes, destroyed when the
/// test ends (passed or not) so that the long-lived test token does not fill up run after run
/// (SoftHSM's file store grows a file per object). Best effort: a key left behind does no harm,
/// its label is never reused.
struct TestKeys {
    labels: RefCell<Vec<String>>,
    shared: Option<RwLockReadGuard<'static, ()>>,
}

impl TestKeys {
    fn new() -> Self {
        TestKeys { labels: RefCell::default(), shared: Some(shared_token()) }
    }
}

impl TestKeys {
    fn label(&self, what: &str) -> String {
        let label = unique_label(what);
        self.labels.borrow_mut().push(label.clone());
        label
    }
}

impl Drop for TestKeys {
    fn drop(&mut self) {
        drop(self.shared.take());
        let labels = self.labels.take();
        if labels.is_empty() {
            return;
        }
        let _exclusive = exclusive_token();
        // No panics here: this may run while a failed test unwinds.
        let destroy = || -> Option<()> {
            let session = try_raw_session().ok()?;
            for label in &labels {
                for object in session.find_objects(&[Attribute::Label(label.as_bytes().to_vec())]).ok()? {
                    let _ = session.destroy_object(object);
                }
            }
            Some(())
        };
        if destroy().is_none() {
            eprintln!("note: could not delete the test keys {labels:?} from the token");
        }
    }
}

// --- checking keys and signatures ------------------------------------------------------------

fn verification_algorithm(algorithm: KeyAlgorithm) -> &'static dyn VerificationAlgorithm {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
        KeyAlgorithm::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1,
        _ => &signature::RSA_PKCS1_2048_8192_SHA256,
    }
}

/// Checks the SubjectPublicKeyInfo is the standard one for `algorithm`, and returns the key as
/// aws-lc-rs takes it: the PKCS#1 RSAPublicKey or the uncompressed EC point.
fn public_key_bytes(algorithm: KeyAlgorithm, spki_der: &[u8]) -> Vec<u8> {
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der).expect("public_key_der is a DER SubjectPublicKeyInfo");
    let params = spki.algorithm.parameters.expect("algorithm parameters present");
    if algorithm.is_rsa() {
        assert_eq!(spki.algorithm.oid, rfc5912::RSA_ENCRYPTION);
        assert_eq!(params, der::asn1::AnyRef::NULL, "rsaEncryption takes NULL parameters");
    } else {
        assert_eq!(spki.algorithm.oid, rfc5912::ID_EC_PUBLIC_KEY);
        let curve: ObjectIdentifier = params.decode_as().expect("namedCurve");
        assert_eq!(Some(curve), algorithm.curve());
    }
    spki.subject_public_key.as_bytes().expect("no unused bits").to_vec()
}

fn verify(key: &dyn CaSigner, message: &[u8], sig: &[u8]) -> Result<(), aws_lc_rs::error::Unspecified> {
    let public = public_key_bytes(key.algorithm(), key.public_key_der());
    UnparsedPublicKey::new(verification_algorithm(key.algorithm()), public).verify(message, sig)
}

fn sign_and_verify(key: &dyn CaSigner) {
    let message = format!("TBSCertificate stand-in signed by a {} key", key.algorithm());
    let sig = key.sign(message.as_bytes()).unwrap_or_else(|e| panic!("{} signature: {e}", key.algorithm()));
    if let Some(bits) = key.algorithm().rsa_bits() {
        assert_eq!(sig.len() * 8, bits as usize, "raw RSA signature as long as the modulus");
    } else {
        assert_eq!(sig[0], 0x30, "ECDSA-Sig-Value is a DER SEQUENCE");
    }
    verify(key, message.as_bytes(), &sig).unwrap_or_else(|_| panic!("{} signature does not verify", key.algorithm()));
    assert!(verify(key, b"another message", &sig).is_err(), "signature verifies a message it does not sign");
}

// --- 1. generation and signing ------------------------------------------------------------------

#[test]
fn keys_generated_in_the_token_sign_verifiably() {
    let keys = TestKeys::new();
    let custody = custody();
    assert_eq!(custody.backend(), "pkcs11");
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384] {
        let key = custody.generate(&keys.label(algorithm.name()), algorithm).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(key.backend(), "pkcs11");
        sign_and_verify(key.as_ref());
    }
}

/// The audit log's checkpoint key (issue 18) is held like the CA keys: an Ed25519 key made in the
/// token signs C2SP notes, and the signature verifies with the public key the token gives.
#[test]
fn ed25519_audit_keys_generate_sign_and_reopen_in_the_token() {
    let keys = TestKeys::new();
    let custody = custody();
    let label = keys.label("ed25519");
    let key = custody.generate(&label, KeyAlgorithm::Ed25519).unwrap();
    let public = santepki_authority::keys::ed25519_public_key(key.public_key_der()).expect("an Ed25519 SPKI");
    let sig = key.sign(b"santepki.test/audit\n42\nroot\n").unwrap();
    assert_eq!(sig.len(), 64, "a raw Ed25519 signature");
    let verifier = UnparsedPublicKey::new(&signature::ED25519, public);
    verifier.verify(b"santepki.test/audit\n42\nroot\n", &sig).expect("the token's Ed25519 signature verifies");
    assert!(verifier.verify(b"another note", &sig).is_err());
    let reopened = custody.open(&label, KeyAlgorithm::Ed25519).unwrap();
    assert_eq!(reopened.public_key_der(), key.public_key_der());
    // Opened as another type, the key is refused.
    assert!(custody.open(&label, KeyAlgorithm::EcdsaP256).is_err());
}

#[test]
fn rsa_4096_keys_generate_and_sign() {
    let keys = TestKeys::new();
    let custody = custody();
    let label = keys.label("rsa4096");
    let key = custody.generate(&label, KeyAlgorithm::Rsa4096).unwrap();
    sign_and_verify(key.as_ref());
    // Opened for the wrong size, the key is refused rather than used as something it is not.
    match custody.open(&label, KeyAlgorithm::Rsa2048) {
        Err(KeyError::Unreadable { reason, .. }) => assert!(reason.contains("4096"), "{reason}"),
        other => panic!("expected Unreadable, got {:?}", other.map(|k| k.algorithm())),
    }
}

// --- 2. the private key stays in the token -------------------------------------------------------

/// The test's own cryptoki connection to the token, to look at the objects as any PKCS#11
/// application could. The module is already initialised by the custody (same library, same
/// process) and the process already logged in: both "already" answers are fine.
fn raw_session() -> Session {
    try_raw_session().unwrap_or_else(|e| panic!("{e}"))
}

fn try_raw_session() -> Result<Session, String> {
    let module = std::env::var("SANTEPKI_TEST_PKCS11_MODULE").map_err(|_| "SANTEPKI_TEST_PKCS11_MODULE not set")?;
    let token = std::env::var("SANTEPKI_TEST_PKCS11_TOKEN").map_err(|_| "SANTEPKI_TEST_PKCS11_TOKEN not set")?;
    let pin = std::env::var("SANTEPKI_TEST_PKCS11_PIN").map_err(|_| "SANTEPKI_TEST_PKCS11_PIN not set")?;
    let pkcs11 = Pkcs11::new(&module).map_err(|e| format!("loading {module}: {e}"))?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(format!("C_Initialize: {e}")),
    }
    let slot = pkcs11
        .get_slots_with_token()
        .map_err(|e| format!("C_GetSlotList: {e}"))?
        .into_iter()
        .find(|s| pkcs11.get_token_info(*s).is_ok_and(|i| i.label() == token))
        .ok_or_else(|| format!("no token {token:?}"))?;
    let session = pkcs11.open_rw_session(slot).map_err(|e| format!("C_OpenSession: {e}"))?;
    match session.login(UserType::User, Some(&AuthPin::from(pin.as_str()))) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(format!("C_Login: {e}")),
    }
}

/// The handles of the private key labelled `label`. Usually one; SoftHSM2 2.6 may list an object
/// twice when other threads create objects meanwhile, so every handle found is checked.
fn private_key_handles(session: &Session, label: &str) -> Vec<ObjectHandle> {
    let found = session
        .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), Attribute::Label(label.as_bytes().to_vec())])
        .unwrap();
    assert!(!found.is_empty(), "no private key labelled {label}");
    found
}

fn bool_attribute(session: &Session, key: ObjectHandle, ty: AttributeType) -> bool {
    let attrs = session.get_attributes(key, &[ty]).unwrap();
    match attrs.as_slice() {
        [Attribute::Sensitive(b)]
        | [Attribute::Extractable(b)]
        | [Attribute::NeverExtractable(b)]
        | [Attribute::AlwaysSensitive(b)]
        | [Attribute::Token(b)]
        | [Attribute::Private(b)]
        | [Attribute::Sign(b)] => *b,
        other => panic!("{ty}: unexpected {other:?}"),
    }
}

/// An AES key to wrap with: a session object, gone when the session closes.
fn wrapping_key(session: &Session) -> ObjectHandle {
    session
        .generate_key(
            &Mechanism::AesKeyGen,
            &[
                Attribute::Token(false),
                Attribute::ValueLen(32.into()),
                Attribute::Wrap(true),
                Attribute::Unwrap(true),
                Attribute::Encrypt(true),
                Attribute::Decrypt(true),
            ],
        )
        .unwrap()
}

#[test]
fn private_keys_cannot_be_read_or_wrapped_out_of_the_token() {
    let keys = TestKeys::new();
    let custody = custody();
    let session = raw_session();
    let aes = wrapping_key(&session);

    // Control: the token does wrap an extractable private key with this AES key and mechanism,
    // so the refusals below come from the CA keys' attributes, not from an unsupported mechanism.
    let (_, extractable) = session
        .generate_key_pair(
            &Mechanism::EccKeyPairGen,
            &[Attribute::Token(false), Attribute::EcParams(der::Encode::to_der(&rfc5912::SECP_256_R_1).unwrap())],
            &[
                Attribute::Token(false),
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(true),
            ],
        )
        .unwrap();
    let wrapped = session.wrap_key(&Mechanism::AesKeyWrapPad, aes, extractable).expect("control key wraps");
    assert!(!wrapped.is_empty());

    for (algorithm, secrets) in [
        (KeyAlgorithm::Rsa2048, &[AttributeType::PrivateExponent, AttributeType::Prime1, AttributeType::Prime2][..]),
        (KeyAlgorithm::EcdsaP256, &[AttributeType::Value][..]),
    ] {
        let label = keys.label(&format!("nonextractable-{algorithm}"));
        custody.generate(&label, algorithm).unwrap();
        for key in private_key_handles(&session, &label) {
            // The attributes the custody promised.
            assert!(bool_attribute(&session, key, AttributeType::Token), "{algorithm}: CKA_TOKEN");
            assert!(bool_attribute(&session, key, AttributeType::Private), "{algorithm}: CKA_PRIVATE");
            assert!(bool_attribute(&session, key, AttributeType::Sensitive), "{algorithm}: CKA_SENSITIVE");
            assert!(!bool_attribute(&session, key, AttributeType::Extractable), "{algorithm}: CKA_EXTRACTABLE");
            assert!(bool_attribute(&session, key, AttributeType::AlwaysSensitive), "{algorithm}: CKA_ALWAYS_SENSITIVE");
            assert!(
                bool_attribute(&session, key, AttributeType::NeverExtractable),
                "{algorithm}: CKA_NEVER_EXTRACTABLE"
            );
            assert!(bool_attribute(&session, key, AttributeType::Sign), "{algorithm}: CKA_SIGN");

            // Reading the secret: the token reports it sensitive and gives no value.
            let got = session.get_attributes(key, secrets).unwrap();
            assert!(
                got.is_empty(),
                "{algorithm}: secret attributes readable: {:?}",
                got.iter().map(|a| a.attribute_type()).collect::<Vec<_>>()
            );
            for info in session.get_attribute_info(key, secrets).unwrap() {
                assert!(
                    matches!(info, AttributeInfo::Sensitive),
                    "{algorithm}: expected CKR_ATTRIBUTE_SENSITIVE, got {info:?}"
                );
            }

            // Wrapping it out under a key we hold: refused as unextractable.
            match session.wrap_key(&Mechanism::AesKeyWrapPad, aes, key) {
                Err(CkError::Pkcs11(RvError::KeyUnextractable, _)) => {}
                Err(e) => panic!("{algorithm}: C_WrapKey failed, but not with CKR_KEY_UNEXTRACTABLE: {e}"),
                Ok(w) => panic!("{algorithm}: C_WrapKey wrapped the CA private key ({} bytes)", w.len()),
            }
            // ... nor can it be made extractable afterwards (CKA_EXTRACTABLE only goes true -> false).
            assert!(
                session.update_attributes(key, &[Attribute::Extractable(true)]).is_err(),
                "{algorithm}: made extractable"
            );
            assert!(
                session.update_attributes(key, &[Attribute::Sensitive(false)]).is_err(),
                "{algorithm}: made non-sensitive"
            );
        }
    }
}

// --- 3. opening, labels, PIN ------------------------------------------------------------------------

#[test]
fn open_finds_generated_keys_from_a_new_custody() {
    let keys = TestKeys::new();
    for algorithm in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP384] {
        let label = keys.label(&format!("open-{algorithm}"));
        let generated = custody().generate(&label, algorithm).unwrap();
        // A fresh custody (as after a restart of the CA): same key, and it signs.
        let opened = custody().open(&label, algorithm).unwrap();
        assert_eq!(opened.public_key_der(), generated.public_key_der(), "{algorithm}");
        assert_eq!(opened.algorithm(), algorithm);
        let sig = opened.sign(b"signed after open").unwrap();
        verify(generated.as_ref(), b"signed after open", &sig)
            .expect("signature of the opened key verifies with the generated key's public key");
    }
}

#[test]
fn open_of_an_unknown_label_is_not_found() {
    let _token = shared_token();
    let label = unique_label("never-generated");
    match custody().open(&label, KeyAlgorithm::EcdsaP256) {
        Err(KeyError::NotFound(l)) => assert_eq!(l, label),
        other => panic!("expected NotFound, got {:?}", other.map(|k| k.algorithm())),
    }
}

#[test]
fn open_with_the_wrong_key_type_is_refused() {
    let keys = TestKeys::new();
    let custody = custody();
    let label = keys.label("type-check");
    custody.generate(&label, KeyAlgorithm::EcdsaP256).unwrap();
    for wrong in [KeyAlgorithm::EcdsaP384, KeyAlgorithm::Rsa2048] {
        assert!(matches!(custody.open(&label, wrong), Err(KeyError::Unreadable { .. })), "{wrong}");
    }
}

#[test]
fn generate_refuses_a_label_in_use() {
    let keys = TestKeys::new();
    let label = keys.label("exists");
    let first = custody();
    first.generate(&label, KeyAlgorithm::EcdsaP256).unwrap();
    for custody in [&first, &custody()] {
        for algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
            match custody.generate(&label, algorithm) {
                Err(KeyError::Exists(l)) => assert_eq!(l, label),
                other => panic!("expected Exists, got {:?}", other.map(|k| k.algorithm())),
            }
        }
    }
    // The original is untouched and still the only key with that label.
    first.open(&label, KeyAlgorithm::EcdsaP256).unwrap();
}

fn assert_wrong_pin_error(result: Result<Pkcs11Custody, KeyError>, wrong_pin: &str) {
    let token = config().token_label;
    match result {
        Err(KeyError::Pkcs11(message)) => {
            assert!(message.contains("wrong user PIN"), "{message}");
            assert!(message.contains(&token), "error does not name the token: {message}");
            assert!(!message.contains(wrong_pin), "error contains the PIN: {message}");
        }
        Err(e) => panic!("expected a PKCS#11 error about the PIN, got {e:?}"),
        Ok(_) => panic!("a wrong PIN opened the token"),
    }
}

const WRONG_PIN: &str = "9876-not-the-pin";

/// While another custody of this process is logged in, the token does not check PINs any more
/// (`CKR_USER_ALREADY_LOGGED_IN`); the custody must still refuse a wrong one.
#[test]
fn a_wrong_pin_is_refused_while_the_process_is_logged_in() {
    let _token = shared_token();
    let _logged_in = custody();
    assert_wrong_pin_error(Pkcs11Custody::open(Pkcs11Config { pin: WRONG_PIN.into(), ..config() }), WRONG_PIN);
}

/// The token itself refusing the PIN (`CKR_PIN_INCORRECT`) can only be seen in a process that is
/// not logged in yet, and the other tests of this binary log in concurrently: so this test runs
/// itself again, alone, in a child process.
#[test]
fn a_wrong_pin_is_refused_by_the_token() {
    const CHILD: &str = "SANTEPKI_SOFTHSM_TEST_CHILD";
    // The test's path in the `it` binary, as `--exact` wants it.
    const NAME: &str = "softhsm::a_wrong_pin_is_refused_by_the_token";
    if std::env::var_os(CHILD).is_some() {
        assert_wrong_pin_error(Pkcs11Custody::open(Pkcs11Config { pin: WRONG_PIN.into(), ..config() }), WRONG_PIN);
        // The failure left nothing behind: the right PIN works.
        custody();
        return;
    }
    config(); // fail here, with the setup message, if the token is not configured
    let _exclusive = exclusive_token();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child test failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child did not run the test:\n{stdout}");
}

#[test]
fn an_unknown_token_label_is_a_clear_error() {
    let _token = shared_token();
    let label = unique_label("no-such-token");
    match Pkcs11Custody::open(Pkcs11Config { token_label: label.clone(), ..config() }) {
        Err(KeyError::Pkcs11(message)) => assert!(message.contains(&label), "{message}"),
        Err(e) => panic!("expected a PKCS#11 error naming the token, got {e:?}"),
        Ok(_) => panic!("opened a token that does not exist"),
    }
}

// --- 4. concurrency ---------------------------------------------------------------------------------

#[test]
fn keys_sign_from_many_threads_at_once() {
    const THREADS: usize = 8;
    const SIGNATURES: usize = 50;
    let keys = TestKeys::new();
    let custody = custody();
    for algorithm in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let key: Arc<dyn CaSigner> = custody.generate(&keys.label(&format!("threads-{algorithm}")), algorithm).unwrap();
        let barrier = Arc::new(std::sync::Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let key = key.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait(); // all threads start signing together
                    (0..SIGNATURES)
                        .map(|i| {
                            let message = format!("thread {t} message {i}").into_bytes();
                            let sig = key.sign(&message).unwrap_or_else(|e| panic!("thread {t} signature {i}: {e}"));
                            (message, sig)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut count = 0;
        for thread in threads {
            for (message, sig) in thread.join().expect("signing thread panicked") {
                verify(key.as_ref(), &message, &sig)
                    .unwrap_or_else(|_| panic!("{algorithm}: a concurrent signature does not verify"));
                count += 1;
            }
        }
        assert_eq!(count, THREADS * SIGNATURES);
    }
}
