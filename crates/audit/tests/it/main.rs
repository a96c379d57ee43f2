//! Integration tests of the audit log, on SQLite and PostgreSQL: tampering of every kind is
//! found and named, sequencing survives a dead sequencer, proofs check with an independent
//! implementation.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki-audit --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod proofs;
mod sequencing;
mod tamper;
