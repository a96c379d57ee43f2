//! `santepki audit verify`: recomputes the tree from the events, as an outside auditor would, and
//! checks it against everything signed. It trusts only the verifier key it is given (the key in
//! custody, or one pinned by the auditor) and, optionally, checkpoints saved earlier outside the
//! database (a mirror's or a witness's copy): the rows of the database itself are what is being
//! checked.
//!
//! Findings, in the order they are looked for:
//! - a leaf index with no event (an event deleted), the first one named;
//! - an event whose leaf hash differs from the one stored when it was sequenced (edited,
//!   reordered or inserted), the first ones named;
//! - a checkpoint whose signature does not verify with the key (replaced or forged);
//! - a checkpoint larger than the tree (the tail truncated, or the database rolled back);
//! - a checkpoint whose root differs from the recomputed tree (edited events whose stored hashes
//!   were rewritten too), with the range of leaves it points to;
//! - two checkpoints that are not consistent (a consistency proof fails);
//! - a saved checkpoint the log contradicts (a fork: the database was rolled back and written
//!   again).

use std::fmt;

use santepki_storage::audit::log as store;
use santepki_storage::Db;
use tlog_tiles::checkpoint::Checkpoint;
use tlog_tiles::tlog::{
    check_tree, prove_tree, record_hash, stored_hash_count, stored_hash_index, stored_hashes, tree_hash,
};

use crate::reader::DenseHashes;
use crate::{leaf, note, AuditError};

/// Events read per query.
const PAGE: i64 = 20_000;
/// Altered leaves named before the rest are only counted.
const NAMED: usize = 10;

/// Something that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// No event has leaf `index` although later leaves exist: an event was deleted.
    LeafMissing {
        /// The first missing leaf.
        index: u64,
    },
    /// The event at leaf `index` is not what was sequenced there.
    LeafAltered {
        /// The leaf.
        index: u64,
        /// The event now at that leaf.
        event_id: String,
    },
    /// More altered leaves than are named.
    MoreLeavesAltered {
        /// How many more.
        count: u64,
    },
    /// A checkpoint's signature does not verify with the trusted key.
    BadSignature {
        /// Where it came from (`database` or a file).
        source: String,
        /// Why.
        reason: String,
    },
    /// A checkpoint has another origin than the log.
    WrongOrigin {
        /// Where it came from.
        source: String,
        /// Its origin.
        origin: String,
    },
    /// A checkpoint signs more leaves than the events recompute.
    Truncated {
        /// Where it came from.
        source: String,
        /// The size it signs.
        signed: u64,
        /// The leaves the events give.
        present: u64,
    },
    /// A checkpoint's root is not the root of the recomputed tree of its size.
    RootMismatch {
        /// Where it came from.
        source: String,
        /// Its size.
        size: u64,
        /// The size of the last checkpoint before it that matched: the change is in leaves
        /// `from..size`.
        from: u64,
    },
    /// Two signed checkpoints are not consistent: one is not a prefix of the other.
    Inconsistent {
        /// The smaller one's size.
        smaller: u64,
        /// The larger one's size.
        larger: u64,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::LeafMissing { index } => {
                write!(f, "leaf {index}: no event (deleted); the tree is recomputed only up to it")
            }
            Finding::LeafAltered { index, event_id } => write!(
                f,
                "leaf {index}: event {event_id} does not hash to the leaf sequenced there (edited, reordered or inserted)"
            ),
            Finding::MoreLeavesAltered { count } => write!(f, "{count} more altered leaves"),
            Finding::BadSignature { source, reason } => write!(f, "checkpoint from {source}: {reason}"),
            Finding::WrongOrigin { source, origin } => {
                write!(f, "checkpoint from {source}: origin {origin:?} is not this log's")
            }
            Finding::Truncated { source, signed, present } => write!(
                f,
                "checkpoint from {source} signs {signed} leaves but the events give {present}: the log was truncated or rolled back"
            ),
            Finding::RootMismatch { source, size, from } => write!(
                f,
                "checkpoint from {source} (size {size}): its root is not the root of the events' tree; leaves {from}..{size} were changed"
            ),
            Finding::Inconsistent { smaller, larger } => write!(
                f,
                "checkpoints of sizes {smaller} and {larger} are inconsistent: the log forked (rolled back and rewritten)"
            ),
        }
    }
}

/// What `verify` found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Leaves recomputed from the events (consecutive from 0).
    pub leaves: u64,
    /// Checkpoints checked (database and saved ones).
    pub checkpoints: usize,
    /// The largest checkpoint that verified, if any.
    pub latest_signed: Option<u64>,
    /// Events not sequenced yet (not a finding: the sequencer takes them within seconds).
    pub unsequenced: u64,
    /// What does not hold, first found first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether everything held.
    pub fn ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// A checkpoint to check: its text and where it came from.
pub struct Signed {
    /// `database` or the file it was read from.
    pub source: String,
    /// The signed note.
    pub note: String,
}

/// Verifies the log of `db` against the verifier key `vkey` with origin `origin`, and against
/// `saved` checkpoints kept outside the database.
pub async fn verify(db: &Db, origin: &str, vkey: &str, saved: &[Signed]) -> Result<Report, AuditError> {
    let mut findings = Vec::new();
    let (tree, leaves) = recompute(db, &mut findings).await?;
    let mut signed: Vec<Signed> = store::checkpoints(db.pool())
        .await?
        .into_iter()
        .map(|c| Signed { source: format!("the database (size {})", c.tree_size), note: c.note })
        .collect();
    let checked = signed.len() + saved.len();
    signed.extend(saved.iter().map(|s| Signed { source: s.source.clone(), note: s.note.clone() }));

    // Checkpoints that verify, by size; then each against the tree and its predecessor.
    let mut good: Vec<(Checkpoint, String)> = Vec::new();
    for s in &signed {
        match note::open_checkpoint(&s.note, vkey) {
            Ok(c) if c.origin() != origin => {
                findings.push(Finding::WrongOrigin { source: s.source.clone(), origin: c.origin().to_owned() })
            }
            Ok(c) => good.push((c, s.source.clone())),
            Err(e) => findings.push(Finding::BadSignature { source: s.source.clone(), reason: e.to_string() }),
        }
    }
    good.sort_by_key(|(c, _)| c.size());
    let mut last_match = 0;
    for (c, source) in &good {
        if c.size() > leaves {
            findings.push(Finding::Truncated { source: source.clone(), signed: c.size(), present: leaves });
            continue;
        }
        if tree_hash(c.size(), &tree)? == *c.hash() {
            last_match = c.size();
        } else {
            findings.push(Finding::RootMismatch { source: source.clone(), size: c.size(), from: last_match });
        }
    }
    // Consistency of each signed checkpoint with the next larger one, by proof (RFC 9162 2.1.4)
    // built from the recomputed tree where it covers both; a fork shows as two checkpoints no
    // proof can join.
    for pair in good.windows(2) {
        let ((a, _), (b, _)) = (&pair[0], &pair[1]);
        if a.size() == b.size() {
            if a.hash() != b.hash() {
                findings.push(Finding::Inconsistent { smaller: a.size(), larger: b.size() });
            }
            continue;
        }
        if b.size() > leaves || a.size() == 0 {
            continue;
        }
        let proof = prove_tree(b.size(), a.size(), &tree)?;
        if check_tree(&proof, b.size(), *b.hash(), a.size(), *a.hash()).is_err() {
            findings.push(Finding::Inconsistent { smaller: a.size(), larger: b.size() });
        }
    }
    findings.dedup();
    Ok(Report {
        leaves,
        checkpoints: checked,
        latest_signed: good.iter().rev().find(|(c, _)| c.size() <= leaves).map(|(c, _)| c.size()),
        unsequenced: store::unsequenced_count(db.pool()).await?,
        findings,
    })
}

/// Recomputes the tree from the events in leaf order, comparing each leaf with the hash stored
/// when it was sequenced. Stops at the first missing leaf.
async fn recompute(db: &Db, findings: &mut Vec<Finding>) -> Result<(DenseHashes, u64), AuditError> {
    let mut tree = DenseHashes::default();
    let mut next = 0u64;
    let mut altered = 0u64;
    'pages: loop {
        let events = store::events_from_leaf(db.pool(), next, PAGE).await?;
        let Some(last) = events.last() else { break };
        let last_leaf = last.leaf_index.unwrap_or_default() as u64;
        // The hashes stored for these leaves when they were sequenced (level 0 only).
        let stored =
            store::hashes_between(db.pool(), stored_hash_index(0, next), stored_hash_index(0, last_leaf) + 1).await?;
        let stored: std::collections::HashMap<u64, Option<store::TreeHash>> = stored.into_iter().collect();
        for e in &events {
            let index = e.leaf_index.unwrap_or_default() as u64;
            if index != next {
                findings.push(Finding::LeafMissing { index: next });
                break 'pages;
            }
            let data = leaf::bytes(e);
            let recorded = stored.get(&stored_hash_index(0, index)).copied().flatten();
            if recorded != Some(record_hash(&data).0) {
                altered += 1;
                if altered as usize <= NAMED {
                    findings.push(Finding::LeafAltered { index, event_id: e.id.clone() });
                }
            }
            let hashes = stored_hashes(index, &data, &tree)?;
            debug_assert_eq!(tree.0.len() as u64, stored_hash_count(index));
            tree.0.extend(hashes);
            next += 1;
        }
    }
    if altered as usize > NAMED {
        findings.push(Finding::MoreLeavesAltered { count: altered - NAMED as u64 });
    }
    Ok((tree, next))
}
