//! The PKCS#11 key backend: CA keys live in an HSM (SoftHSM2 in CI and in the tests).
//!
//! Keys are generated *inside* the token as sensitive, non-extractable token objects: the
//! private half never exists outside the HSM, not even during generation, and the token refuses
//! to reveal or wrap it. The CA only ever holds object handles and the public key.
//!
//! A few PKCS#11 facts shape this module:
//!
//! - `C_Initialize` is process-wide per module: a second call fails with
//!   `CKR_CRYPTOKI_ALREADY_INITIALIZED`. So each module is loaded and initialised once per process,
//!   in a registry keyed by its path, and every [`Pkcs11Custody`] for that module shares it. The
//!   library is never finalised nor unloaded (sessions and handles may outlive any one custody).
//! - Login state belongs to the *application* (the process), per token, not to a session: once
//!   one session is logged in, every session of the process on that token is, and `C_Login` on
//!   another session answers `CKR_USER_ALREADY_LOGGED_IN` without checking the PIN. The
//!   registry remembers (a salted digest of) the PIN that logged in, so that a custody opened
//!   with a wrong PIN is still refused in that case.
//! - A session must not be used by two threads at once (cryptoki's `Session` is `Send` but not
//!   `Sync`), while one CA key signs from many request handlers concurrently. Each token therefore
//!   keeps a small pool of sessions; a signature checks one out and returns it.
//! - Object handles are valid in every session of the application, so a key is found once, by
//!   label, and its handle used from any pooled session (and looked up again if the token ever
//!   invalidates it).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

use const_oid::db::rfc5912;
use const_oid::ObjectIdentifier;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use der::asn1::{BitString, OctetStringRef, UintRef};
use der::{Any, Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use zeroize::Zeroizing;

use super::{CaSigner, KeyAlgorithm, KeyCustody, KeyError};

/// Most sessions one token keeps open for this process. Signing is quick (a P-256 signature is
/// well under a millisecond in SoftHSM, an RSA-2048 one a few), so a handful of sessions keep the
/// cores busy; more threads than this wait for a session rather than opening without bound
/// (hardware HSMs limit sessions per application, sometimes to a few dozen).
const MAX_SESSIONS: usize = 16;

/// Where the token is: the module library, the token label and the user PIN.
#[derive(Clone)]
pub struct Pkcs11Config {
    /// The PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The token's label (`CKA_LABEL` of the token, as `softhsm2-util --init-token --label`).
    pub token_label: String,
    /// The user PIN. Never printed: see the `Debug` implementation.
    pub pin: String,
}

/// Written by hand so that the PIN never reaches a log line through `{:?}`.
impl fmt::Debug for Pkcs11Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Config")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("pin", &"<redacted>")
            .finish()
    }
}

// --- the process-wide module registry ------------------------------------------------------

/// A PKCS#11 module loaded and initialised in this process.
struct Module {
    pkcs11: Pkcs11,
    /// For each slot whose token this process logged in to, a salted SHA-256 of the PIN that
    /// logged in. `C_Login` does not check the PIN when the process is already logged in, so
    /// without this a second custody opened with a wrong PIN would silently work as long as a
    /// first one (with the right PIN) keeps a session open. The digest is salted with a random
    /// per-process value and only kept in memory, like the PIN in the configuration.
    logins: Mutex<HashMap<u64, [u8; 32]>>,
    salt: [u8; 16],
    /// Serialises key generation and key look-ups in the process, across every custody of the
    /// module: so that two calls with one label cannot both pass the "label is free" check, and
    /// because SoftHSM2's file store does not take concurrency well: object creation fails now
    /// and then with `CKR_GENERAL_ERROR` while another thread creates objects (SoftHSMv2 issue
    /// #573), and a search running meanwhile may list an object twice (both seen with 2.6.1).
    /// A CA generates and opens keys at startup or in a ceremony, not per request, so nothing
    /// waits for long; signing does not take this lock.
    objects: Mutex<()>,
}

impl Module {
    fn pin_digest(&self, pin: &str) -> [u8; 32] {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(&self.salt);
        ctx.update(pin.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.finish().as_ref());
        out
    }
}

/// The module at `path`, loaded and initialised on first use. Keyed by the canonical path so
/// that a symbolic link (Debian's `/usr/lib/softhsm/libsofthsm2.so`) and its target share one
/// entry.
fn module(path: &Path) -> Result<Arc<Module>, KeyError> {
    static MODULES: OnceLock<Mutex<HashMap<PathBuf, Arc<Module>>>> = OnceLock::new();
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut modules = lock(MODULES.get_or_init(Default::default));
    if let Some(m) = modules.get(&key) {
        return Ok(m.clone());
    }
    let pkcs11 = Pkcs11::new(path)
        .map_err(|e| KeyError::Pkcs11(format!("cannot load the PKCS#11 module {}: {e}", path.display())))?;
    // OS locking: the module is called from many threads. ALREADY_INITIALIZED happens when other
    // code of the process loaded the same library itself (the dynamic loader then hands out the
    // same copy): it is initialised, which is all we need.
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(KeyError::Pkcs11(format!("cannot initialise the PKCS#11 module {}: {e}", path.display())))
        }
    }
    let mut salt = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| KeyError::Pkcs11("no randomness for the PIN check".into()))?;
    let m = Arc::new(Module { pkcs11, logins: Mutex::new(HashMap::new()), salt, objects: Mutex::new(()) });
    modules.insert(key, m.clone());
    Ok(m)
}

/// Locks a mutex, ignoring poisoning: the data behind our mutexes (session lists, digests)
/// stays consistent even if a thread panicked while holding them.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// --- a token and its session pool -----------------------------------------------------------

/// One token of one module, as this process uses it; shared by the custody and every key
/// opened from it, so that the sessions (and the login they carry) live as long as any of them.
struct Token {
    module: Arc<Module>,
    module_path: PathBuf,
    slot: Slot,
    label: String,
    /// Kept to log in again if the process ever loses its login (every session closed, e.g.
    /// discarded after errors). Zeroized on drop.
    pin: Zeroizing<String>,
    pool: Mutex<Pool>,
    /// Signalled when a session returns to the pool or is closed.
    returned: Condvar,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Session>,
    /// Sessions open, idle or checked out.
    open: usize,
}

/// A session checked out of the pool; goes back on drop, or is closed if it was marked broken.
struct PooledSession<'a> {
    token: &'a Token,
    session: Option<Session>,
    broken: bool,
}

impl std::ops::Deref for PooledSession<'_> {
    type Target = Session;
    #[allow(clippy::expect_used, reason = "the session is taken out only in drop")]
    fn deref(&self) -> &Session {
        self.session.as_ref().expect("session present until drop")
    }
}

impl Drop for PooledSession<'_> {
    fn drop(&mut self) {
        let session = self.session.take();
        let mut pool = lock(&self.token.pool);
        match session {
            Some(s) if !self.broken => pool.idle.push(s),
            _ => pool.open -= 1, // dropping the session closes it
        }
        drop(pool);
        self.token.returned.notify_one();
    }
}

/// Errors after which a session is no use any more: open another one.
fn session_lost(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::DeviceRemoved
            | RvError::DeviceError
            | RvError::TokenNotPresent
    )
}

fn rv_of(e: &CkError) -> Option<RvError> {
    match e {
        CkError::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

impl Token {
    fn connect(config: &Pkcs11Config) -> Result<Arc<Token>, KeyError> {
        let module = module(&config.module)?;
        let slot = find_slot(&module.pkcs11, &config.module, &config.token_label)?;
        let token = Arc::new(Token {
            module,
            module_path: config.module.clone(),
            slot,
            label: config.token_label.clone(),
            pin: Zeroizing::new(config.pin.clone()),
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
        });
        // Log in now, explicitly, even if the process is already logged in to this token: a wrong
        // PIN must show at startup, not at the first signature. This first session stays in the
        // pool, which keeps the process logged in as long as the token is in use.
        let session = token.open_session_raw()?;
        token.login(&session)?;
        let mut pool = lock(&token.pool);
        pool.open += 1;
        pool.idle.push(session);
        drop(pool);
        Ok(token)
    }

    fn err(&self, what: &str, e: impl fmt::Display) -> KeyError {
        KeyError::Pkcs11(format!("token {:?}: {what}: {e}", self.label))
    }

    fn open_session_raw(&self) -> Result<Session, KeyError> {
        // Read-write: generating a key creates token objects, which read-only sessions cannot.
        self.module.pkcs11.open_rw_session(self.slot).map_err(|e| self.err("cannot open a session", e))
    }

    /// Logs the process in to the token with the configured PIN. The errors say which token and
    /// why, never the PIN itself.
    fn login(&self, session: &Session) -> Result<(), KeyError> {
        let digest = self.module.pin_digest(&self.pin);
        let pin = AuthPin::from(self.pin.as_str());
        // Held across C_Login: between a successful login and its record, another custody
        // would see "already logged in" with nothing to compare its PIN with.
        let mut logins = lock(&self.module.logins);
        match session.login(UserType::User, Some(&pin)) {
            Ok(()) => {
                logins.insert(self.slot.id(), digest);
                Ok(())
            }
            Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
                // Logged in already, by this process. If it was through this module with another
                // PIN, ours is wrong (or the PIN changed since): refuse rather than let a
                // misconfiguration go unnoticed until the process restarts. If some other code
                // logged in, there is nothing to compare with.
                match logins.get(&self.slot.id()) {
                    Some(known) if aws_lc_rs::constant_time::verify_slices_are_equal(known, &digest).is_err() => {
                        Err(self.wrong_pin())
                    }
                    _ => Ok(()),
                }
            }
            Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinInvalid | RvError::PinLenRange, _)) => {
                Err(self.wrong_pin())
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                Err(KeyError::Pkcs11(format!("token {:?}: the user PIN is locked (too many wrong PINs)", self.label)))
            }
            Err(CkError::Pkcs11(RvError::UserPinNotInitialized, _)) => {
                Err(KeyError::Pkcs11(format!("token {:?}: the user PIN is not initialised", self.label)))
            }
            Err(e) => Err(self.err("cannot log in", e)),
        }
    }

    fn wrong_pin(&self) -> KeyError {
        KeyError::Pkcs11(format!("token {:?}: wrong user PIN (check the configured PKCS#11 PIN)", self.label))
    }

    /// Checks a session out of the pool: an idle one, else a new one while under
    /// [`MAX_SESSIONS`], else waits for one to come back.
    fn session(&self) -> Result<PooledSession<'_>, KeyError> {
        let mut pool = lock(&self.pool);
        loop {
            if let Some(session) = pool.idle.pop() {
                return Ok(PooledSession { token: self, session: Some(session), broken: false });
            }
            if pool.open < MAX_SESSIONS {
                pool.open += 1;
                break;
            }
            pool = self.returned.wait(pool).unwrap_or_else(PoisonError::into_inner);
        }
        drop(pool);
        // Counted as open above; a PooledSession without a session gives the slot back on drop.
        let mut pooled = PooledSession { token: self, session: None, broken: true };
        let session = self.open_session_raw()?;
        // New sessions share the process's login; log in only if it was lost.
        let logged_in = matches!(
            session.get_session_info().map(|i| i.session_state()),
            Ok(SessionState::RoUser | SessionState::RwUser)
        );
        if !logged_in {
            self.login(&session)?;
        }
        pooled.session = Some(session);
        pooled.broken = false;
        Ok(pooled)
    }

    /// Runs `op` in a pooled session. Retries once, in a fresh session, if the session turns out
    /// to be dead, and once after logging in again if the token says the process is not logged
    /// in (a token reset, another library user calling `C_Logout`). For operations that are
    /// safe to repeat: see [`Token::run_once`].
    fn run<T>(&self, what: &str, op: impl FnMut(&Session) -> Result<T, CkError>) -> Result<T, KeyError> {
        self.run_inner(what, true, op)
    }

    /// [`Token::run`] without the retries, for operations that may have had an effect even when
    /// they report a failure (creating a key twice would leave two keys with one label).
    fn run_once<T>(&self, what: &str, op: impl FnMut(&Session) -> Result<T, CkError>) -> Result<T, KeyError> {
        self.run_inner(what, false, op)
    }

    fn run_inner<T>(
        &self,
        what: &str,
        retry: bool,
        mut op: impl FnMut(&Session) -> Result<T, CkError>,
    ) -> Result<T, KeyError> {
        let mut retried = !retry;
        loop {
            let mut session = self.session()?;
            match op(&session) {
                Ok(v) => return Ok(v),
                Err(e) if !retried && rv_of(&e).is_some_and(session_lost) => {
                    tracing::warn!(token = %self.label, error = %e, "PKCS#11 session lost; retrying in a new one");
                    session.broken = true;
                }
                Err(CkError::Pkcs11(RvError::UserNotLoggedIn, _)) if !retried => {
                    tracing::warn!(token = %self.label, "PKCS#11 login lost; logging in again");
                    self.login(&session)?;
                }
                Err(e) => {
                    session.broken = rv_of(&e).is_some_and(session_lost);
                    return Err(self.err(what, e));
                }
            }
            retried = true;
        }
    }
}

/// The slot holding the token labelled `label`.
fn find_slot(pkcs11: &Pkcs11, module: &Path, label: &str) -> Result<Slot, KeyError> {
    let slots = pkcs11
        .get_slots_with_token()
        .map_err(|e| KeyError::Pkcs11(format!("cannot list the slots of {}: {e}", module.display())))?;
    let mut seen = Vec::new();
    for slot in slots {
        let Ok(info) = pkcs11.get_token_info(slot) else { continue };
        if info.label() == label {
            if !info.user_pin_initialized() {
                return Err(KeyError::Pkcs11(format!("token {label:?}: the user PIN is not initialised")));
            }
            return Ok(slot);
        }
        if !info.label().is_empty() {
            seen.push(format!("{:?}", info.label()));
        }
    }
    let seen = if seen.is_empty() { "none".to_string() } else { seen.join(", ") };
    Err(KeyError::Pkcs11(format!(
        "no token labelled {label:?} in the PKCS#11 module {} (initialised tokens: {seen})",
        module.display()
    )))
}

// --- custody ----------------------------------------------------------------------------------

/// CA keys in a PKCS#11 token. Several may be open on the same token in one process (each with
/// its own session pool); the keys a custody hands out keep its sessions, and so the login, alive
/// after the custody itself is dropped.
pub struct Pkcs11Custody {
    token: Arc<Token>,
}

impl Pkcs11Custody {
    /// Loads the module (once per process), finds the token by label and logs in: a missing
    /// token or a wrong PIN fails here with an error naming the token.
    pub fn open(config: Pkcs11Config) -> Result<Self, KeyError> {
        Ok(Pkcs11Custody { token: Token::connect(&config)? })
    }

    /// The module library in use, for `ca show`.
    pub fn module(&self) -> &Path {
        &self.token.module_path
    }

    /// The label of the token in use.
    pub fn token_label(&self) -> &str {
        &self.token.label
    }
}

impl fmt::Debug for Pkcs11Custody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Custody")
            .field("module", &self.token.module_path)
            .field("token", &self.token.label)
            .finish()
    }
}

fn label_template(class: ObjectClass, label: &str) -> Vec<Attribute> {
    vec![Attribute::Class(class), Attribute::Label(label.as_bytes().to_vec())]
}

impl KeyCustody for Pkcs11Custody {
    fn backend(&self) -> &'static str {
        "pkcs11"
    }

    /// Generates the key pair in the token. The private key is a token object (`CKA_TOKEN`),
    /// usable only after login (`CKA_PRIVATE`), never readable (`CKA_SENSITIVE`) nor wrappable
    /// (`CKA_EXTRACTABLE` false), and good for signing only. Both halves carry the label and a
    /// random `CKA_ID`, which is how PKCS#11 tools pair them.
    fn generate(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError> {
        let token = &self.token;
        let _one_at_a_time = lock(&token.module.objects);
        let taken = token
            .run("cannot search for objects", |s| s.find_objects(&[Attribute::Label(label.as_bytes().to_vec())]))?;
        if !taken.is_empty() {
            return Err(KeyError::Exists(label.into()));
        }

        let mut id = vec![0u8; 16];
        aws_lc_rs::rand::fill(&mut id).map_err(|_| KeyError::Generate("no randomness for the key id".into()))?;
        let common = |class| {
            let mut t = label_template(class, label);
            t.extend([Attribute::Id(id.clone()), Attribute::Token(true)]);
            t
        };
        let mut public = common(ObjectClass::PUBLIC_KEY);
        public.extend([Attribute::Private(false), Attribute::Verify(true)]);
        let mut private = common(ObjectClass::PRIVATE_KEY);
        private.extend([
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
        ]);
        let mechanism = match (algorithm.rsa_bits(), algorithm.curve()) {
            _ if algorithm == KeyAlgorithm::Ed25519 => {
                // RFC 8410's OID names the curve (PKCS#11 3.0 accepts it as CKA_EC_PARAMS, as does SoftHSM 2.6).
                let params = KeyAlgorithm::ID_ED25519.to_der().map_err(|e| KeyError::Generate(e.to_string()))?;
                public.push(Attribute::EcParams(params));
                private.push(Attribute::Derive(false));
                Mechanism::EccEdwardsKeyPairGen
            }
            (Some(bits), _) => {
                // A signing key only: no decryption or key transport with a CA key.
                public.extend([
                    Attribute::ModulusBits(Ulong::from(u64::from(bits))),
                    Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
                    Attribute::Encrypt(false),
                    Attribute::Wrap(false),
                ]);
                private.extend([Attribute::Decrypt(false), Attribute::Unwrap(false)]);
                Mechanism::RsaPkcsKeyPairGen
            }
            (None, Some(curve)) => {
                let params = curve.to_der().map_err(|e| KeyError::Generate(e.to_string()))?;
                public.push(Attribute::EcParams(params));
                private.push(Attribute::Derive(false));
                Mechanism::EccKeyPairGen
            }
            (None, None) => unreachable!("every key algorithm is RSA or EC"),
        };
        let (public_handle, private_handle) = token
            .run_once("key generation failed", |s| s.generate_key_pair(&mechanism, &public, &private))
            .map_err(|e| match e {
                KeyError::Pkcs11(m) => KeyError::Generate(m),
                e => e,
            })?;
        tracing::info!(token = %token.label, label, %algorithm, "generated a key pair in the HSM");
        let public_key_der =
            token.run("cannot read the new public key", |s| read_public_key(s, public_handle, label, algorithm))??;
        Ok(Arc::new(Pkcs11Key {
            token: token.clone(),
            label: label.into(),
            algorithm,
            private: Mutex::new(private_handle),
            public_key_der,
        }))
    }

    /// Finds the key pair by label and checks it is of the expected type and size.
    fn open(&self, label: &str, algorithm: KeyAlgorithm) -> Result<Arc<dyn CaSigner>, KeyError> {
        let token = &self.token;
        let _one_at_a_time = lock(&token.module.objects);
        let (private, public_key_der) = token.run("cannot open the key", |s| {
            let private = match find_labelled(s, ObjectClass::PRIVATE_KEY, label)?.as_slice() {
                [] => return Ok(Err(KeyError::NotFound(label.into()))),
                [one] => *one,
                many => return Ok(Err(unreadable(label, format!("{} private keys have that label", many.len())))),
            };
            let spki = match find_labelled(s, ObjectClass::PUBLIC_KEY, label)?.as_slice() {
                [public] => read_public_key(s, *public, label, algorithm)?,
                // An RSA private key object carries the public modulus and exponent too, so a
                // key imported without its public half still opens.
                [] if algorithm.is_rsa() => read_public_key(s, private, label, algorithm)?,
                [] => Err(unreadable(label, "no public key object with that label in the token")),
                many => Err(unreadable(label, format!("{} public keys have that label", many.len()))),
            };
            Ok(spki.map(|spki| (private, spki)))
        })??;
        Ok(Arc::new(Pkcs11Key {
            token: token.clone(),
            label: label.into(),
            algorithm,
            private: Mutex::new(private),
            public_key_der,
        }))
    }
}

/// The objects of `class` labelled `label`, one handle per key. Callers refuse two keys:
/// signing with the wrong one of two same-labelled keys would be worse than not signing.
///
/// Handles with the same `CKA_ID` count as one key: SoftHSM2 may list an object twice when
/// another process or thread creates objects during the search, and `CKA_ID` is what ties the
/// objects of one key together in PKCS#11 (our keys get a random one).
fn find_labelled(s: &Session, class: ObjectClass, label: &str) -> Result<Vec<ObjectHandle>, CkError> {
    let found = s.find_objects(&label_template(class, label))?;
    if found.len() < 2 {
        return Ok(found);
    }
    let mut seen_ids = Vec::new();
    let mut keys = Vec::new();
    for handle in found {
        let id = s.get_attributes(handle, &[AttributeType::Id])?.into_iter().find_map(|a| match a {
            Attribute::Id(id) if !id.is_empty() => Some(id),
            _ => None,
        });
        match id {
            Some(id) if seen_ids.contains(&id) => {}
            Some(id) => {
                seen_ids.push(id);
                keys.push(handle);
            }
            None => keys.push(handle),
        }
    }
    Ok(keys)
}

fn unreadable(label: &str, reason: impl fmt::Display) -> KeyError {
    KeyError::Unreadable { label: label.into(), reason: reason.to_string() }
}

// --- public keys ------------------------------------------------------------------------------

/// PKCS#1 `RSAPublicKey` (RFC 8017, A.1.1).
#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// `ECDSA-Sig-Value` (RFC 3279, 2.2.3): what goes in the signature BIT STRING of a certificate.
#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

fn attribute(attributes: &[Attribute], ty: AttributeType) -> Option<&Attribute> {
    attributes.iter().find(|a| a.attribute_type() == ty)
}

/// The DER SubjectPublicKeyInfo of a key object (the public key, or an RSA private key), after
/// checking that its type and size are those of `algorithm`. The outer result is the token's
/// answer, the inner one our verdict on the key.
fn read_public_key(
    s: &Session,
    object: ObjectHandle,
    label: &str,
    algorithm: KeyAlgorithm,
) -> Result<Result<Vec<u8>, KeyError>, CkError> {
    if let Some(bits) = algorithm.rsa_bits() {
        let attrs =
            s.get_attributes(object, &[AttributeType::KeyType, AttributeType::Modulus, AttributeType::PublicExponent])?;
        let (Some(Attribute::KeyType(kt)), Some(Attribute::Modulus(n)), Some(Attribute::PublicExponent(e))) = (
            attribute(&attrs, AttributeType::KeyType),
            attribute(&attrs, AttributeType::Modulus),
            attribute(&attrs, AttributeType::PublicExponent),
        ) else {
            return Ok(Err(unreadable(label, "the key has no RSA modulus and public exponent")));
        };
        if *kt != KeyType::RSA {
            return Ok(Err(unreadable(label, format!("expected an RSA key, the token holds a {kt} key"))));
        }
        let n = strip_zeros(n);
        let actual_bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
        if actual_bits != bits as usize {
            return Ok(Err(unreadable(
                label,
                format!("expected a {bits}-bit RSA key, the token holds a {actual_bits}-bit one"),
            )));
        }
        return Ok(rsa_spki(n, e).map_err(|e| unreadable(label, e)));
    }
    if algorithm == KeyAlgorithm::Ed25519 {
        let attrs = s.get_attributes(object, &[AttributeType::KeyType, AttributeType::EcPoint])?;
        let (Some(Attribute::KeyType(kt)), Some(Attribute::EcPoint(point))) =
            (attribute(&attrs, AttributeType::KeyType), attribute(&attrs, AttributeType::EcPoint))
        else {
            return Ok(Err(unreadable(label, "the key has no EC point")));
        };
        if *kt != KeyType::EC_EDWARDS {
            return Ok(Err(unreadable(label, format!("expected an Ed25519 key, the token holds a {kt} key"))));
        }
        // CKA_EC_POINT of an Edwards key: the 32 bytes, bare or DER OCTET STRING-wrapped.
        let raw = if point.len() == 32 {
            point.as_slice()
        } else {
            match OctetStringRef::from_der(point) {
                Ok(o) if o.as_bytes().len() == 32 => o.as_bytes(),
                _ => return Ok(Err(unreadable(label, "CKA_EC_POINT is not a 32-byte Ed25519 key"))),
            }
        };
        return Ok(super::ed25519_spki(raw));
    }
    let Some(curve) = algorithm.curve() else {
        return Ok(Err(unreadable(label, format!("{algorithm:?} is neither RSA nor an elliptic curve"))));
    };
    let attrs = s.get_attributes(object, &[AttributeType::KeyType, AttributeType::EcParams, AttributeType::EcPoint])?;
    let (Some(Attribute::KeyType(kt)), Some(Attribute::EcParams(params)), Some(Attribute::EcPoint(point))) = (
        attribute(&attrs, AttributeType::KeyType),
        attribute(&attrs, AttributeType::EcParams),
        attribute(&attrs, AttributeType::EcPoint),
    ) else {
        return Ok(Err(unreadable(label, "the key has no EC parameters and point")));
    };
    if *kt != KeyType::EC {
        return Ok(Err(unreadable(label, format!("expected an EC key, the token holds a {kt} key"))));
    }
    match ObjectIdentifier::from_der(params) {
        Ok(oid) if oid == curve => {}
        Ok(oid) => return Ok(Err(unreadable(label, format!("expected curve {curve}, the key is on {oid}")))),
        Err(_) => return Ok(Err(unreadable(label, "the key's EC parameters are not a named curve"))),
    }
    Ok(ec_spki(curve, point).map_err(|e| unreadable(label, e)))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// SubjectPublicKeyInfo of an RSA key: rsaEncryption with its NULL parameters (RFC 3279 2.3.1),
/// the PKCS#1 RSAPublicKey in the bit string. PKCS#11 gives big-endian unsigned integers.
fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Result<Vec<u8>, der::Error> {
    let key = RsaPublicKey { modulus: UintRef::new(modulus)?, public_exponent: UintRef::new(exponent)? }.to_der()?;
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned { oid: rfc5912::RSA_ENCRYPTION, parameters: Some(Any::null()) },
        subject_public_key: BitString::from_bytes(&key)?,
    }
    .to_der()
}

/// SubjectPublicKeyInfo of an EC key: id-ecPublicKey with the named curve (RFC 5480), the
/// uncompressed point in the bit string. `CKA_EC_POINT` is, per PKCS#11 and in SoftHSM, the DER
/// OCTET STRING around the point; some tokens give the bare point, accepted too.
fn ec_spki(curve: ObjectIdentifier, ec_point: &[u8]) -> Result<Vec<u8>, String> {
    let field = if curve == rfc5912::SECP_384_R_1 { 48 } else { 32 };
    let point = if ec_point.len() == 1 + 2 * field && ec_point[0] == 0x04 {
        ec_point
    } else {
        OctetStringRef::from_der(ec_point).map_err(|e| format!("CKA_EC_POINT is not an OCTET STRING: {e}"))?.as_bytes()
    };
    if point.len() != 1 + 2 * field || point[0] != 0x04 {
        return Err(format!("CKA_EC_POINT is not an uncompressed point on {curve} ({} bytes)", point.len()));
    }
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: rfc5912::ID_EC_PUBLIC_KEY,
            parameters: Some(Any::encode_from(&curve).map_err(|e| e.to_string())?),
        },
        subject_public_key: BitString::from_bytes(point).map_err(|e| e.to_string())?,
    };
    spki.to_der().map_err(|e| e.to_string())
}

/// Converts the raw `r || s` that `CKM_ECDSA` returns (each half as long as the curve's order)
/// into the DER `ECDSA-Sig-Value` X.509 wants.
fn ecdsa_raw_to_der(raw: &[u8], field: usize) -> Result<Vec<u8>, KeyError> {
    if raw.len() != 2 * field {
        return Err(KeyError::Sign(format!("CKM_ECDSA returned {} bytes, expected {}", raw.len(), 2 * field)));
    }
    let (r, s) = raw.split_at(field);
    let sig = EcdsaSigValue {
        r: UintRef::new(r).map_err(|e| KeyError::Sign(e.to_string()))?,
        s: UintRef::new(s).map_err(|e| KeyError::Sign(e.to_string()))?,
    };
    sig.to_der().map_err(|e| KeyError::Sign(e.to_string()))
}

// --- signing ----------------------------------------------------------------------------------

/// A key pair in the token.
struct Pkcs11Key {
    token: Arc<Token>,
    label: String,
    algorithm: KeyAlgorithm,
    /// The private key's handle; replaced if the token invalidates it.
    private: Mutex<ObjectHandle>,
    public_key_der: Vec<u8>,
}

impl CaSigner for Pkcs11Key {
    fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    fn public_key_der(&self) -> &[u8] {
        &self.public_key_der
    }

    /// RSA: `CKM_SHA256_RSA_PKCS`, the token hashes and pads. ECDSA: the message is hashed here
    /// (SHA-256 for P-256, SHA-384 for P-384) and the token signs the digest with plain
    /// `CKM_ECDSA`, the one ECDSA mechanism every token has (SoftHSM 2.6 has no
    /// `CKM_ECDSA_SHA384`); hashing public data outside the HSM costs no security.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        use aws_lc_rs::digest;
        let (mechanism, data, field) = match self.algorithm {
            KeyAlgorithm::EcdsaP256 => {
                (Mechanism::Ecdsa, digest::digest(&digest::SHA256, message).as_ref().to_vec(), 32)
            }
            KeyAlgorithm::EcdsaP384 => {
                (Mechanism::Ecdsa, digest::digest(&digest::SHA384, message).as_ref().to_vec(), 48)
            }
            // Pure Ed25519 signs the message itself.
            KeyAlgorithm::Ed25519 => {
                (Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)), message.to_vec(), 0)
            }
            _ => (Mechanism::Sha256RsaPkcs, message.to_vec(), 0),
        };
        let raw = self
            .token
            .run("signing failed", |s| {
                let handle = *lock(&self.private);
                match s.sign(&mechanism, handle, &data) {
                    Err(e) if matches!(rv_of(&e), Some(RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid)) => {
                        // The token forgot the handle (re-enumerated its objects): find the key
                        // again by label and sign once more.
                        let [found] = find_labelled(s, ObjectClass::PRIVATE_KEY, &self.label)?[..] else {
                            return Err(e);
                        };
                        *lock(&self.private) = found;
                        s.sign(&mechanism, found, &data)
                    }
                    other => other,
                }
            })
            .map_err(|e| match e {
                KeyError::Pkcs11(m) => KeyError::Sign(m),
                e => e,
            })?;
        if self.algorithm.is_rsa() || self.algorithm == KeyAlgorithm::Ed25519 {
            Ok(raw)
        } else {
            ecdsa_raw_to_der(&raw, field)
        }
    }

    fn backend(&self) -> &'static str {
        "pkcs11"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ecdsa_signatures_become_der_with_minimal_integers() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a leading zero byte to stay positive
        raw[63] = 0x01; // s is 1: a single content byte
        let der = ecdsa_raw_to_der(&raw, 32).unwrap();
        assert_eq!(&der[..4], &[0x30, 2 + 33 + 3, 0x02, 33]);
        assert_eq!(der[4], 0x00);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        assert!(ecdsa_raw_to_der(&raw[..63], 32).is_err());
    }

    #[test]
    fn the_pin_stays_out_of_debug_output() {
        let config = Pkcs11Config { module: "/m.so".into(), token_label: "t".into(), pin: "s3cret-pin".into() };
        assert!(!format!("{config:?}").contains("s3cret-pin"));
    }
}
