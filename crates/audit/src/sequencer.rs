//! The sequencer: gives committed events their leaves, in the order it finds them committed, and
//! signs checkpoints. Any node may run it; a database lease lets one at a time do so, and every
//! batch is one transaction that also re-checks the lease, so a killed or partitioned sequencer
//! loses nothing (its events stay unsequenced until the next holder takes them) and two cannot
//! interleave.

use std::time::Duration;

use santepki_storage::audit::log::{self as store, CheckpointRow, TreeHash};
use santepki_storage::leases;
use tlog_tiles::tlog::{stored_hash_count, stored_hashes, tree_hash, Hash};

use crate::reader::{with_stored_hashes, Source};
use crate::{leaf, note, AuditError, AuditLog};

/// Events given leaves per transaction.
const BATCH: i64 = 1000;
/// How long the lease runs without renewal; the sequencer renews it on every round (each second
/// in `serve`).
const LEASE_SECONDS: i64 = 30;

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// Whether this node held the lease (if not, it did nothing).
    pub leader: bool,
    /// Events given a leaf.
    pub sequenced: u64,
    /// The tree size after the round.
    pub tree_size: u64,
    /// The size of the checkpoint signed in this round, if one was.
    pub checkpoint: Option<u64>,
}

/// Sequences a log's events on behalf of one holder (a node).
pub struct Sequencer {
    log: AuditLog,
    holder: String,
    checkpoint_every: Duration,
}

impl Sequencer {
    /// A sequencer for `log` acting as `holder` (the node's name), signing a checkpoint at most
    /// every `checkpoint_every` while the tree grows.
    pub fn new(log: AuditLog, holder: impl Into<String>, checkpoint_every: Duration) -> Sequencer {
        Sequencer { log, holder: holder.into(), checkpoint_every }
    }

    /// One round: take or renew the lease, sequence every committed event, and sign a checkpoint
    /// when the tree grew and the last one is older than `checkpoint_every` (or `force`).
    pub async fn round(&self, force_checkpoint: bool) -> Result<Round, AuditError> {
        let db = self.log.db();
        if leases::try_acquire(db, store::SEQUENCER_LEASE, &self.holder, LEASE_SECONDS).await?.is_none() {
            return Ok(Round::default());
        }
        let mut round = Round { leader: true, ..Round::default() };
        loop {
            let n = self.sequence_batch().await?;
            if n == 0 {
                break;
            }
            round.sequenced += n;
        }
        round.tree_size = store::tree_size(db.pool()).await?;
        let latest = store::latest_checkpoint(db.pool()).await?;
        let due = match &latest {
            None => true,
            Some(c) => {
                let age = santepki_storage::time::parse(&c.signed_at)
                    .map_or(Duration::MAX, |t| (chrono::Utc::now() - t).to_std().unwrap_or_default());
                force_checkpoint || age >= self.checkpoint_every
            }
        };
        let signed = latest.as_ref().map_or(0, |c| c.tree_size as u64);
        if round.tree_size > signed && due {
            self.checkpoint(round.tree_size).await?;
            round.checkpoint = Some(round.tree_size);
        }
        Ok(round)
    }

    /// Gives up to [`BATCH`] events their leaves in one transaction; returns how many.
    async fn sequence_batch(&self) -> Result<u64, AuditError> {
        let db = self.log.db();
        // Renewed before each batch: a long catch-up (a million events after an outage) must not
        // outlive the lease.
        let Some(lease) = leases::try_acquire(db, store::SEQUENCER_LEASE, &self.holder, LEASE_SECONDS).await? else {
            return Ok(0);
        };
        let mut tx = db.begin_write().await?;
        if !leases::holds(&mut *tx, db.backend(), &lease).await? {
            // Our lease ran out (a long pause): whoever holds it now carries on.
            return Ok(0);
        }
        let size = store::tree_size(&mut *tx).await?;
        let events = store::unsequenced(&mut *tx, BATCH).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let leaves: Vec<Vec<u8>> = events.iter().map(leaf::bytes).collect();
        let new_hashes = with_stored_hashes(Source::Tx(&mut tx), |r| {
            let mut out = Vec::new();
            for (i, data) in leaves.iter().enumerate() {
                let n = size + i as u64;
                let hashes = stored_hashes(n, data, r)?;
                for (k, h) in hashes.iter().enumerate() {
                    r.insert(stored_hash_count(n) + k as u64, *h);
                }
                out.extend(hashes);
            }
            Ok(out)
        })
        .await?;
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        let assigned = store::assign_leaves(&mut tx, size, &ids).await?;
        if assigned != ids.len() as u64 {
            // Another sequencer gave some of them leaves (impossible under the lease): touch nothing.
            tx.rollback().await?;
            return Ok(0);
        }
        let raw: Vec<TreeHash> = new_hashes.iter().map(|h| h.0).collect();
        store::store_hashes(&mut tx, stored_hash_count(size), &raw).await?;
        tx.commit().await?;
        Ok(events.len() as u64)
    }

    /// Signs and records the checkpoint of the tree of `size` leaves.
    async fn checkpoint(&self, size: u64) -> Result<(), AuditError> {
        let db = self.log.db();
        let root: Hash = with_stored_hashes(Source::Db(db), |r| tree_hash(size, r)).await?;
        let signed = note::sign_checkpoint(self.log.origin(), size, root, self.log.key())?;
        store::insert_checkpoint(
            db.pool(),
            &CheckpointRow {
                tree_size: size as i64,
                root_hash: note::hex(&root),
                note: signed,
                signed_at: santepki_storage::time::now(),
                node: Some(self.holder.clone()),
            },
        )
        .await?;
        tracing::debug!(size, "signed an audit checkpoint");
        Ok(())
    }
}
