//! Integration tests of the verifier: a corpus of certificates made by a real santepki CA (and
//! forged from its certificates where the CA would refuse), judged by santepki, by
//! pyhanko-certvalidator and by the openssl command line.
//!
//! DO NOT ADD MORE TEST BINARIES: add a module here instead of a new file under `tests/`.
//! Cargo builds every `tests/*.rs` file as its own binary, each linking the whole workspace.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod corpus;
