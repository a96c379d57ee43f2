//! The audit Merkle tree as stored: which event is which leaf, the tree's stored hashes (the
//! sumdb/tlog layout), the signed checkpoints and the log's identity. The tree arithmetic and the
//! signatures live in `santepki-audit`; this module only reads and writes rows.

use sqlx::{Any, Executor};

use super::{AuditEvent, EVENT_COLUMNS};
use crate::StorageError;

/// The lease the sequencer holds while it gives events their leaves.
pub const SEQUENCER_LEASE: &str = "audit-sequencer";

/// A tree hash (SHA-256).
pub type TreeHash = [u8; 32];

/// The log's identity, set once when its key is made.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogIdentity {
    /// The checkpoints' origin line, also the signing key's name.
    pub origin: String,
    /// The audit key's label in the CA key custody.
    pub key_label: String,
    /// The C2SP verifier key (`<name>+<key id>+<base64 key>`), as published. `santepki audit
    /// verify` trusts the key in custody or one given to it, not this copy.
    pub verifier_key: String,
    /// When the log was created.
    pub created_at: String,
}

/// One signed checkpoint.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckpointRow {
    /// The tree size it signs.
    pub tree_size: i64,
    /// The root hash it signs, lower-case hex.
    pub root_hash: String,
    /// The whole signed note.
    pub note: String,
    /// When it was signed.
    pub signed_at: String,
    /// The node that signed it.
    pub node: Option<String>,
}

/// The log's identity, if it was created.
pub async fn identity<'e, E: Executor<'e, Database = Any>>(exec: E) -> Result<Option<LogIdentity>, StorageError> {
    Ok(sqlx::query_as("SELECT origin, key_label, verifier_key, created_at FROM audit_log WHERE id = 1")
        .fetch_optional(exec)
        .await?)
}

/// Records the log's identity unless one is recorded already (two nodes racing to create it: the
/// first wins and both read it back).
pub async fn set_identity<'e, E: Executor<'e, Database = Any>>(exec: E, id: &LogIdentity) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_log (id, origin, key_label, verifier_key, created_at) VALUES (1, $1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id.origin)
    .bind(&id.key_label)
    .bind(&id.verifier_key)
    .bind(&id.created_at)
    .execute(exec)
    .await?;
    Ok(())
}

/// The number of leaves: one more than the highest leaf index given.
pub async fn tree_size<'e, E: Executor<'e, Database = Any>>(exec: E) -> Result<u64, StorageError> {
    let (n,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(leaf_index) FROM audit_events WHERE leaf_index IS NOT NULL").fetch_one(exec).await?;
    Ok(n.map_or(0, |n| n as u64 + 1))
}

/// Up to `limit` events without a leaf yet, oldest id first.
pub async fn unsequenced<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    limit: i64,
) -> Result<Vec<AuditEvent>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE leaf_index IS NULL ORDER BY id LIMIT {limit}"
    ))
    .fetch_all(exec)
    .await?)
}

/// How many events have no leaf yet.
pub async fn unsequenced_count<'e, E: Executor<'e, Database = Any>>(exec: E) -> Result<u64, StorageError> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE leaf_index IS NULL").fetch_one(exec).await?;
    Ok(n as u64)
}

/// Gives the events `ids` the leaves `first`, `first + 1`… in that order. Fails (unique index)
/// if a leaf is taken; returns how many events got a leaf. The caller holds the sequencer lease
/// and read the ids unsequenced in the same transaction.
pub async fn assign_leaves(conn: &mut sqlx::AnyConnection, first: u64, ids: &[String]) -> Result<u64, StorageError> {
    let mut assigned = 0;
    // One statement per chunk: a CASE maps each id to its leaf.
    for (chunk_no, chunk) in ids.chunks(200).enumerate() {
        let base = first + (chunk_no * 200) as u64;
        let mut sql = String::from("UPDATE audit_events SET leaf_index = CASE id");
        for (i, _) in chunk.iter().enumerate() {
            sql.push_str(&format!(" WHEN ${} THEN {}", i + 1, base + i as u64));
        }
        // By id alone (the primary key): the caller read these ids unsequenced in this
        // transaction under the sequencer's lease.
        sql.push_str(" END WHERE id IN (");
        sql.push_str(&(1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(","));
        sql.push(')');
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        assigned += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(assigned)
}

/// Stores tree hashes, from stored index `first` on.
pub async fn store_hashes(conn: &mut sqlx::AnyConnection, first: u64, hashes: &[TreeHash]) -> Result<(), StorageError> {
    // Several rows per statement: a batch of leaves stores about twice as many hashes.
    for (chunk_no, chunk) in hashes.chunks(200).enumerate() {
        let base = first + (chunk_no * 200) as u64;
        let mut sql = String::from("INSERT INTO audit_tree_hashes (stored_index, hash) VALUES ");
        for (i, h) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            // Numbers and hex only: nothing here comes from outside.
            sql.push_str(&format!("({}, '{}')", base + i as u64, hex::encode(h)));
        }
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The stored hashes at `indexes`, in that order; `None` where none is stored.
pub async fn hashes_at<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    indexes: &[u64],
) -> Result<Vec<Option<TreeHash>>, StorageError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let list = indexes.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let rows: Vec<(i64, String)> =
        sqlx::query_as(&format!("SELECT stored_index, hash FROM audit_tree_hashes WHERE stored_index IN ({list})"))
            .fetch_all(exec)
            .await?;
    let found: std::collections::HashMap<u64, TreeHash> =
        rows.into_iter().filter_map(|(i, h)| Some((i as u64, parse_hash(&h)?))).collect();
    Ok(indexes.iter().map(|i| found.get(i).copied()).collect())
}

/// Stored hashes with indexes in `from..to`, in index order (a hash that is not valid hex reads
/// as `None`).
pub async fn hashes_between<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    from: u64,
    to: u64,
) -> Result<Vec<(u64, Option<TreeHash>)>, StorageError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT stored_index, hash FROM audit_tree_hashes WHERE stored_index >= $1 AND stored_index < $2 \
         ORDER BY stored_index",
    )
    .bind(from as i64)
    .bind(to as i64)
    .fetch_all(exec)
    .await?;
    Ok(rows.into_iter().map(|(i, h)| (i as u64, parse_hash(&h))).collect())
}

fn parse_hash(h: &str) -> Option<TreeHash> {
    hex::decode(h).ok()?.try_into().ok()
}

/// Events with leaves `from..`, in leaf order, at most `limit`.
pub async fn events_from_leaf<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    from: u64,
    limit: i64,
) -> Result<Vec<AuditEvent>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {EVENT_COLUMNS} FROM audit_events WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT {limit}"
    ))
    .bind(from as i64)
    .fetch_all(exec)
    .await?)
}

/// The event `id`.
pub async fn event<'e, E: Executor<'e, Database = Any>>(exec: E, id: &str) -> Result<Option<AuditEvent>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?)
}

/// Records a signed checkpoint (once per size: a second signature of the same size is ignored).
pub async fn insert_checkpoint<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    c: &CheckpointRow,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (tree_size, root_hash, note, signed_at, node) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tree_size) DO NOTHING",
    )
    .bind(c.tree_size)
    .bind(&c.root_hash)
    .bind(&c.note)
    .bind(&c.signed_at)
    .bind(&c.node)
    .execute(exec)
    .await?;
    Ok(())
}

/// Every checkpoint, smallest tree first.
pub async fn checkpoints<'e, E: Executor<'e, Database = Any>>(exec: E) -> Result<Vec<CheckpointRow>, StorageError> {
    Ok(sqlx::query_as("SELECT tree_size, root_hash, note, signed_at, node FROM audit_checkpoints ORDER BY tree_size")
        .fetch_all(exec)
        .await?)
}

/// The checkpoint of the largest tree.
pub async fn latest_checkpoint<'e, E: Executor<'e, Database = Any>>(
    exec: E,
) -> Result<Option<CheckpointRow>, StorageError> {
    Ok(sqlx::query_as(
        "SELECT tree_size, root_hash, note, signed_at, node FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1",
    )
    .fetch_optional(exec)
    .await?)
}
