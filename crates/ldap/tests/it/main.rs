//! Integration tests of the LDAP server: PKI entries, a python ldap3 client, ldapsearch (R44),
//! robustness and the store's reads.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki-ldap --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod pki_entries;
mod python_client;
mod r44_ldapsearch;
mod robustness;
mod store_reads;
