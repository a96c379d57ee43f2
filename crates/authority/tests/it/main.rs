//! Integration tests of the certificate authority: issuance, CRLs and OCSP, CSR checks against real
//! openssl requests, and the PKCS#11 backend in a SoftHSM2 token.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace
//! (slow links, CI minutes and disk); one binary per crate links it once. Select tests by
//! module: `cargo test -p santepki-authority --test it MODULE::`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod authority;
mod bad_csr;
mod pkcs11_ca;
mod softhsm;
