//! Integration tests of the storage layer: the same behaviour on SQLite and PostgreSQL.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki-storage --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod backends;
mod failover;
