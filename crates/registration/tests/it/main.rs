//! Integration tests of the registration service.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace; one
//! binary per crate links it once. Select tests by module:
//! `cargo test -p santepki-registration --test it rules::ordering::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod recovery;
mod rules;
