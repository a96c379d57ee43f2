//! santepki's tamper-evident audit log.
//!
//! Every state change writes an audit event in the same transaction as the change
//! (`santepki_storage::audit`). This crate makes that table verifiable, the way Certificate
//! Transparency and Go's checksum database make theirs:
//!
//! - [`sequencer`]: one node at a time (a database lease) gives each committed event the next
//!   leaf of an RFC 6962 Merkle tree and stores the tree's hashes in the same transaction;
//! - [`note`]: signed checkpoints in the C2SP `tlog-checkpoint` / `signed-note` formats, signed by
//!   an Ed25519 audit key held like the CA keys (HSM through PKCS#11, or encrypted file);
//! - [`tiles`]: the tree and the entries as C2SP `tlog-tiles`, for mirrors and outside auditors;
//! - [`verify`]: recomputes the tree from the events and checks every checkpoint against it and
//!   against the one before (consistency proofs), naming the first thing that does not hold;
//! - [`prove`]: inclusion proofs that check offline.
//!
//! The tree arithmetic (stored-hash layout, tree hashes, proofs) is the `tlog_tiles` crate, a
//! port of Go's `sumdb/tlog`; this crate only decides what a leaf is and where hashes live.

mod error;
pub mod leaf;
mod log;
pub mod note;
pub mod prove;
mod reader;
pub mod sequencer;
pub mod tiles;
pub mod verify;

pub use error::AuditError;
pub use log::{AuditLog, KEY_LABEL};
pub use sequencer::{Round, Sequencer};
