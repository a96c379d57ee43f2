//! Inclusion proofs: that an event is leaf `n` of the tree a signed checkpoint commits to
//! (RFC 9162, section 2.1.3). A proof carries everything needed to check it offline, with the
//! log's verifier key and nothing else.

use base64::prelude::{Engine, BASE64_STANDARD};
use santepki_storage::audit::log as store;
use santepki_storage::Db;
use serde::{Deserialize, Serialize};
use tlog_tiles::tlog::{check_record, prove_record, record_hash, Hash};

use crate::reader::{with_stored_hashes, Source};
use crate::{leaf, note, AuditError};

/// An inclusion proof, as `santepki audit prove` prints it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The event.
    pub event_id: String,
    /// Its leaf.
    pub leaf_index: u64,
    /// The leaf bytes (the event as hashed), base64.
    pub leaf: String,
    /// The size of the tree the checkpoint signs.
    pub tree_size: u64,
    /// The root it signs, base64.
    pub root_hash: String,
    /// The audit path, leaf side first, base64 hashes.
    pub proof: Vec<String>,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
}

/// The inclusion proof of event `event_id` in the latest checkpoint.
pub async fn prove(db: &Db, event_id: &str) -> Result<InclusionProof, AuditError> {
    let event = store::event(db.pool(), event_id).await?.ok_or_else(|| AuditError::UnknownEvent(event_id.into()))?;
    let latest = store::latest_checkpoint(db.pool()).await?;
    let (Some(index), Some(latest)) = (event.leaf_index, latest) else {
        return Err(AuditError::NotYetSigned(event_id.into()));
    };
    let (index, size) = (index as u64, latest.tree_size as u64);
    if index >= size {
        return Err(AuditError::NotYetSigned(event_id.into()));
    }
    let proof = with_stored_hashes(Source::Db(db), |r| prove_record(size, index, r)).await?;
    let root = Hash(
        hex::decode(&latest.root_hash)
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| AuditError::Checkpoint(format!("the stored root of checkpoint {size} is not a hash")))?,
    );
    Ok(InclusionProof {
        event_id: event.id.clone(),
        leaf_index: index,
        leaf: BASE64_STANDARD.encode(leaf::bytes(&event)),
        tree_size: size,
        root_hash: BASE64_STANDARD.encode(root.0),
        proof: proof.iter().map(|h| BASE64_STANDARD.encode(h.0)).collect(),
        checkpoint: latest.note,
    })
}

/// Checks `p` offline with the log's verifier key: the checkpoint's signature, that it signs
/// `tree_size` and `root_hash`, and that the audit path leads from the leaf to that root.
pub fn check(p: &InclusionProof, vkey: &str) -> Result<(), AuditError> {
    let checkpoint = note::open_checkpoint(&p.checkpoint, vkey)?;
    let root = decode_hash(&p.root_hash)?;
    if checkpoint.size() != p.tree_size || *checkpoint.hash() != root {
        return Err(AuditError::BadProof("the checkpoint does not sign this tree size and root".into()));
    }
    let leaf = BASE64_STANDARD.decode(&p.leaf).map_err(|e| AuditError::BadProof(format!("leaf: {e}")))?;
    let proof = p.proof.iter().map(|h| decode_hash(h)).collect::<Result<Vec<_>, _>>()?;
    check_record(&proof, p.tree_size, root, p.leaf_index, record_hash(&leaf))
        .map_err(|e| AuditError::BadProof(format!("the audit path does not lead to the root: {e}")))?;
    let parsed: leaf::Leaf =
        serde_json::from_slice(&leaf).map_err(|e| AuditError::BadProof(format!("the leaf is not an event: {e}")))?;
    if parsed.id != p.event_id {
        return Err(AuditError::BadProof(format!("the leaf is event {}, not {}", parsed.id, p.event_id)));
    }
    Ok(())
}

fn decode_hash(b64: &str) -> Result<Hash, AuditError> {
    let v = BASE64_STANDARD.decode(b64).map_err(|e| AuditError::BadProof(format!("hash {b64:?}: {e}")))?;
    Ok(Hash(v.try_into().map_err(|_| AuditError::BadProof(format!("hash {b64:?} is not 32 bytes")))?))
}
