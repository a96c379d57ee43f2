//! The registration rules (R-ids of the domain rules, indexed in `docs/rules.md`), proved where
//! they are enforced: one test per rule id, named after it, through the `Registration` service
//! itself, on a fresh SQLite database per test (see `world`). The HTTP tests prove the same rules
//! over the wire; these prove the service holds them whatever the front end.

mod actors;
mod declared;
mod ordering;
mod sections;
mod structures;
mod workflow;
pub(crate) mod world;
