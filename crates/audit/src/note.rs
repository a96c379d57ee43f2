//! Signed checkpoints: the C2SP `tlog-checkpoint` body (origin, tree size, root hash) in a C2SP
//! `signed-note`, signed with the Ed25519 audit key through the CA's key custody.

use std::sync::Arc;

use base64::prelude::{Engine, BASE64_STANDARD};
use santepki_authority::{CaSigner, KeyAlgorithm};
use signed_note::{Note, StandardVerifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint;
use tlog_tiles::tlog::Hash;

use crate::AuditError;

/// The signed-note signature type of Ed25519 (C2SP signed-note).
const ALG_ED25519: u8 = 0x01;

/// The C2SP verifier key (`<name>+<key id>+<base64(0x01 ‖ public key)>`) of an Ed25519 key, as
/// `note` tools and witnesses take it.
pub fn verifier_key(name: &str, key: &dyn CaSigner) -> Result<String, AuditError> {
    let raw = santepki_authority::keys::ed25519_public_key(key.public_key_der())
        .ok_or_else(|| AuditError::Checkpoint(format!("the audit key is {}, not Ed25519", key.algorithm())))?;
    let mut encoded = vec![ALG_ED25519];
    encoded.extend_from_slice(&raw);
    Ok(format!("{name}+{:08x}+{}", signed_note::key_id(name, &encoded), BASE64_STANDARD.encode(&encoded)))
}

/// Signs notes with a custody key.
struct CustodySigner {
    name: String,
    id: u32,
    key: Arc<dyn CaSigner>,
}

impl signed_note::Signer for CustodySigner {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        self.key.sign(msg).map_err(|e| {
            tracing::error!(error = %e, "the audit key could not sign a checkpoint");
            signature::Error::new()
        })
    }
}

/// The signed checkpoint of a tree of `size` leaves with root `root`.
pub fn sign_checkpoint(origin: &str, size: u64, root: Hash, key: Arc<dyn CaSigner>) -> Result<String, AuditError> {
    if key.algorithm() != KeyAlgorithm::Ed25519 {
        return Err(AuditError::Checkpoint("the audit key must be Ed25519".into()));
    }
    let vkey = verifier_key(origin, key.as_ref())?;
    let id = StandardVerifier::new(&vkey).map_err(|e| AuditError::Checkpoint(e.to_string()))?;
    let signer = CustodySigner { name: origin.to_owned(), id: signed_note::Verifier::key_id(&id), key };
    let body = Checkpoint::new(origin, size, root, "").map_err(|e| AuditError::Checkpoint(e.to_string()))?;
    let mut note = Note::new(&body.to_bytes(), &[]).map_err(|e| AuditError::Checkpoint(e.to_string()))?;
    note.add_sigs(&[&signer]).map_err(|e| AuditError::Checkpoint(e.to_string()))?;
    String::from_utf8(note.to_bytes()).map_err(|e| AuditError::Checkpoint(e.to_string()))
}

/// Checks `note`'s signature by the key `vkey` and returns the checkpoint it signs.
pub fn open_checkpoint(note: &str, vkey: &str) -> Result<Checkpoint, AuditError> {
    let verifier = StandardVerifier::new(vkey).map_err(|e| AuditError::Checkpoint(format!("verifier key: {e}")))?;
    let note =
        Note::from_bytes(note.as_bytes()).map_err(|e| AuditError::Checkpoint(format!("not a signed note: {e}")))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| AuditError::Checkpoint(format!("not signed by the audit key: {e}")))?;
    Checkpoint::from_bytes(note.text()).map_err(|e| AuditError::Checkpoint(format!("not a checkpoint: {e}")))
}

/// Lower-case hex of a hash, as stored.
pub fn hex(h: &Hash) -> String {
    hex::encode(h.0)
}
