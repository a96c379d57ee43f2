//! Feeding stored hashes to `tlog_tiles`, whose `HashReader` is synchronous while the database is
//! not. Which hashes a tree computation reads depends only on the tree's shape, never on hash
//! values, so each computation runs twice: once to learn the indexes it needs (unknown ones read
//! as zero), then, once those are fetched, for real.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use santepki_storage::audit::log;
use santepki_storage::{Db, WriteTx};
use tlog_tiles::tlog::{Error as TlogError, Hash, HashReader};

use crate::AuditError;

/// Hashes by stored index: fetched ones and those a computation adds (new leaves).
#[derive(Default)]
pub(crate) struct MapReader {
    known: RefCell<HashMap<u64, Hash>>,
    missing: RefCell<BTreeSet<u64>>,
}

impl MapReader {
    /// Records the hash at stored index `i`.
    pub(crate) fn insert(&self, i: u64, h: Hash) {
        self.known.borrow_mut().insert(i, h);
    }
}

impl HashReader for MapReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let known = self.known.borrow();
        Ok(indexes
            .iter()
            .map(|i| {
                known.get(i).copied().unwrap_or_else(|| {
                    self.missing.borrow_mut().insert(*i);
                    Hash::default()
                })
            })
            .collect())
    }
}

/// Where stored hashes are read: the database, or inside a transaction that holds the write lock
/// (the sequencer's, on SQLite the only connection that may read what it is about to extend).
pub(crate) enum Source<'a> {
    /// Committed state.
    Db(&'a Db),
    /// The caller's transaction.
    Tx(&'a mut WriteTx),
}

impl Source<'_> {
    async fn hashes_at(&mut self, indexes: &[u64]) -> Result<Vec<Option<log::TreeHash>>, AuditError> {
        Ok(match self {
            Source::Db(db) => log::hashes_at(db.pool(), indexes).await?,
            Source::Tx(tx) => log::hashes_at(&mut ***tx, indexes).await?,
        })
    }
}

/// Runs `f` against the stored hashes it reads (see the module documentation).
pub(crate) async fn with_stored_hashes<T>(
    mut source: Source<'_>,
    f: impl Fn(&MapReader) -> Result<T, TlogError>,
) -> Result<T, AuditError> {
    let probe = MapReader::default();
    let first = f(&probe);
    let missing: Vec<u64> = probe.missing.into_inner().into_iter().collect();
    if missing.is_empty() {
        return Ok(first?);
    }
    let reader = MapReader::default();
    for chunk in missing.chunks(500) {
        for (i, h) in chunk.iter().zip(source.hashes_at(chunk).await?) {
            reader.insert(*i, Hash(h.ok_or(AuditError::HashMissing(*i))?));
        }
    }
    let out = f(&reader)?;
    match reader.missing.into_inner().into_iter().next() {
        // The shape argument above failed: never silently use a zero hash.
        Some(i) => Err(AuditError::HashMissing(i)),
        None => Ok(out),
    }
}

/// The whole tree in memory, by stored index (dense from 0), as `verify` recomputes it.
#[derive(Default)]
pub(crate) struct DenseHashes(pub(crate) Vec<Hash>);

impl HashReader for DenseHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        indexes.iter().map(|&i| self.0.get(i as usize).copied().ok_or(TlogError::IndexesNotInTree)).collect()
    }
}
