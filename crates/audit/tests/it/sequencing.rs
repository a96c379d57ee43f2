//! One sequencer at a time, and none loses anything when it dies (issue 18).

use santepki_storage::audit::log as store;
use santepki_storage::{leases, testing};

use crate::common::*;

/// A sequencer that stops renewing (killed) keeps the lease until it expires; its unsequenced
/// events wait, and the next holder takes them all.
#[tokio::test]
async fn a_dead_sequencers_events_are_taken_by_the_next_holder() {
    for t in testing::both().await {
        let f = fixture(&t.db).await;
        let (a, b) = (sequencer(&f, "node-a"), sequencer(&f, "node-b"));
        append(&t.db, "first", 5).await;
        assert_eq!(a.round(false).await.unwrap().tree_size, 6, "{}", t.label());
        // node-a dies here; events keep arriving on other nodes.
        append(&t.db, "second", 7).await;
        let r = b.round(false).await.unwrap();
        assert!(!r.leader, "{}: node-b must wait while node-a's lease runs", t.label());
        assert_eq!(store::unsequenced_count(t.db.pool()).await.unwrap(), 7);
        testing::expire_lease(&t.db, store::SEQUENCER_LEASE).await;
        let r = b.round(true).await.unwrap();
        assert!(r.leader);
        assert_eq!((r.sequenced, r.tree_size, r.checkpoint), (7, 13, Some(13)), "{}", t.label());
        // node-a comes back: it no longer holds the lease and does nothing.
        append(&t.db, "third", 1).await;
        assert!(!a.round(true).await.unwrap().leader);
        assert_eq!(leases::holder(t.db.pool(), store::SEQUENCER_LEASE).await.unwrap().unwrap().0, "node-b");
        let report = verify(&t.db, &f, &[]).await;
        assert!(report.ok(), "{:?}", report.findings);
        assert_eq!((report.leaves, report.unsequenced), (13, 1));
    }
}

/// Sequencers of several nodes run at once while events are written: every event gets exactly
/// one leaf and the tree verifies.
#[tokio::test]
async fn concurrent_sequencers_and_writers_keep_one_tree() {
    for t in testing::both().await {
        let f = fixture(&t.db).await;
        let mut tasks = Vec::new();
        for w in 0..3 {
            let db = t.db.clone();
            tasks.push(tokio::spawn(async move {
                for k in 0..20 {
                    append(&db, &format!("w{w}-{k}"), 5).await;
                }
            }));
        }
        let mut sequencers = Vec::new();
        for node in ["node-a", "node-b", "node-c"] {
            let s = sequencer(&f, node);
            sequencers.push(tokio::spawn(async move {
                for _ in 0..30 {
                    s.round(false).await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }));
        }
        for task in tasks.into_iter().chain(sequencers) {
            task.await.unwrap();
        }
        // Whoever holds the lease finishes the work.
        testing::expire_lease(&t.db, store::SEQUENCER_LEASE).await;
        sequencer(&f, "node-d").round(true).await.unwrap();
        let r = verify(&t.db, &f, &[]).await;
        assert!(r.ok(), "{}: {:?}", t.label(), r.findings);
        assert_eq!((r.leaves, r.unsequenced, r.latest_signed), (301, 0, Some(301)), "{}", t.label());
    }
}

/// The log's key must be the one in custody: a database pointed at another key refuses to open.
#[tokio::test]
async fn another_key_in_custody_is_refused() {
    let t = testing::sqlite().await;
    let _f = fixture(&t.db).await;
    let keys = tempfile::tempdir().unwrap();
    let other = santepki_authority::keys::software::SoftwareCustody::new(keys.path(), Some("x".into()));
    let _ = other.generate(santepki_audit::KEY_LABEL, santepki_authority::KeyAlgorithm::Ed25519).unwrap();
    let err = santepki_audit::AuditLog::open(&t.db, &other).await.err().expect("a mismatched key");
    assert!(matches!(err, santepki_audit::AuditError::KeyMismatch { .. }), "{err}");
}

use santepki_authority::KeyCustody;
