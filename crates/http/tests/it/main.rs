//! Integration tests of the HTTP layer: directory API, PKI routes, portal pages and registration
//! API, through the router.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki-http --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_errors;
mod directory_api;
mod pki_routes;
mod platform;
mod portal;
mod registration_api;
