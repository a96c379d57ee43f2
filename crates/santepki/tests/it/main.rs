//! Integration tests of the santepki binary: CLI, CA crash recovery, external certificate
//! validators, schemathesis on the API and the portal in a browser.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_schemathesis;
mod audit_log;
mod backup_restore;
mod ca_crash;
mod ca_validators;
mod cli;
mod demo_platform;
mod operations;
mod order_crash;
mod portal_e2e;
mod verify_demo;
