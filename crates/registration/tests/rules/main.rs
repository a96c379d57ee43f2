//! The registration rules of RULES.md, proved where they are enforced: one test per rule id
//! (named after it), through the `Registration` service itself, on a fresh SQLite database per
//! test (see `world`). The HTTP tests prove the same rules over the wire; these prove the service
//! holds them whatever the front end.
//!
//! One test binary for the whole crate: add new tests as modules here, not as new files under
//! `tests/`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actors;
mod ordering;
mod sections;
mod structures;
mod workflow;
mod world;
