//! Integration tests of the domain types: property tests of the national identifiers.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki-domain --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod identifier_properties;
