//! A log with events, on a test database, and its key in a throw-away software custody.

use std::time::Duration;

use santepki_audit::verify::{self, Report, Signed};
use santepki_audit::{AuditLog, Sequencer};
use santepki_authority::keys::software::SoftwareCustody;
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::Db;

pub const ORIGIN: &str = "santepki.test/audit";

pub struct Fixture {
    pub log: AuditLog,
    _keys: tempfile::TempDir,
}

pub async fn fixture(db: &Db) -> Fixture {
    let keys = tempfile::tempdir().unwrap();
    let custody = SoftwareCustody::new(keys.path(), Some("audit test passphrase".into()));
    let log = AuditLog::open_or_create(db, &custody, ORIGIN, "test").await.unwrap();
    Fixture { log, _keys: keys }
}

/// Appends `n` events about `thing:<tag>-<i>`.
pub async fn append(db: &Db, tag: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let e = AuditEvent::new("card:8001234567", "thing.changed", &format!("thing:{tag}-{i}"))
            .before(&serde_json::json!({ "state": "old", "n": i }))
            .after(&serde_json::json!({ "state": "new", "n": i }));
        audit::append(db.pool(), &e).await.unwrap();
        ids.push(e.id);
    }
    ids
}

pub fn sequencer(f: &Fixture, node: &str) -> Sequencer {
    Sequencer::new(f.log.clone(), node, Duration::ZERO)
}

/// The log with checkpoints at 11, 21 and 31 leaves (the creation event and 3 × 10 events).
pub async fn three_checkpoints(db: &Db) -> Fixture {
    let f = fixture(db).await;
    let s = sequencer(&f, "node-a");
    for round in 0..3 {
        append(db, &format!("r{round}"), 10).await;
        let r = s.round(true).await.unwrap();
        assert_eq!(r.checkpoint, Some(11 + 10 * round));
    }
    f
}

pub async fn verify(db: &Db, f: &Fixture, saved: &[Signed]) -> Report {
    verify::verify(db, ORIGIN, f.log.verifier_key(), saved).await.unwrap()
}
