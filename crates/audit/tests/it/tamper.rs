//! Every way of rewriting history the issue lists is found, and named (issue 18).

use santepki_audit::verify::{Finding, Signed};
use santepki_audit::Sequencer;
use santepki_authority::keys::software::SoftwareCustody;
use santepki_storage::audit::log as store;
use santepki_storage::audit::AuditEvent;
use santepki_storage::testing;

use crate::common::*;

#[tokio::test]
async fn an_untouched_log_verifies() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        let r = verify(&t.db, &f, &[]).await;
        assert!(r.ok(), "{}: {:?}", t.label(), r.findings);
        assert_eq!((r.leaves, r.checkpoints, r.latest_signed), (31, 3, Some(31)), "{}", t.label());
    }
}

#[tokio::test]
async fn an_edited_event_is_named() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        testing::audit_edit_leaf(&t.db, 7, "thing.never_happened").await;
        let r = verify(&t.db, &f, &[]).await;
        assert!(
            matches!(r.findings.first(), Some(Finding::LeafAltered { index: 7, .. })),
            "{}: {:?}",
            t.label(),
            r.findings
        );
        // Every checkpoint from the edit on no longer matches the events.
        assert!(
            r.findings.iter().any(|x| matches!(x, Finding::RootMismatch { size: 11, from: 0, .. })),
            "{:?}",
            r.findings
        );
    }
}

#[tokio::test]
async fn a_deleted_event_is_named() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        testing::audit_delete_leaf(&t.db, 15).await;
        let r = verify(&t.db, &f, &[]).await;
        assert_eq!(r.findings.first(), Some(&Finding::LeafMissing { index: 15 }), "{}", t.label());
        assert_eq!(r.leaves, 15);
        assert!(r.findings.iter().any(|x| matches!(x, Finding::Truncated { signed: 21, present: 15, .. })));
    }
}

#[tokio::test]
async fn an_inserted_event_is_named() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        let forged = AuditEvent::new("card:8009999999", "form413.validated", "form413:forged");
        testing::audit_insert_at(&t.db, 12, &forged).await;
        let r = verify(&t.db, &f, &[]).await;
        assert_eq!(
            r.findings.first(),
            Some(&Finding::LeafAltered { index: 12, event_id: forged.id.clone() }),
            "{}: {:?}",
            t.label(),
            r.findings
        );
    }
}

#[tokio::test]
async fn reordered_events_are_named() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        testing::audit_swap_leaves(&t.db, 3, 4).await;
        let r = verify(&t.db, &f, &[]).await;
        let named: Vec<_> = r
            .findings
            .iter()
            .filter_map(|x| match x {
                Finding::LeafAltered { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(named, [3, 4], "{}: {:?}", t.label(), r.findings);
    }
}

#[tokio::test]
async fn a_truncated_tail_is_named() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        testing::audit_truncate_events(&t.db, 25).await;
        let r = verify(&t.db, &f, &[]).await;
        assert_eq!(
            r.findings,
            [Finding::Truncated { source: "the database (size 31)".into(), signed: 31, present: 25 }],
            "{}",
            t.label()
        );
    }
}

#[tokio::test]
async fn a_checkpoint_signed_by_another_key_is_named() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        // An impostor signs the same tree with a key of its own.
        let keys = tempfile::tempdir().unwrap();
        let impostor = SoftwareCustody::new(keys.path(), Some("another".into()));
        let other_db = testing::sqlite().await;
        let other = santepki_audit::AuditLog::open_or_create(&other_db.db, &impostor, ORIGIN, "x").await.unwrap();
        append(&other_db.db, "x", 20).await;
        Sequencer::new(other, "impostor", std::time::Duration::ZERO).round(true).await.unwrap();
        let forged = store::latest_checkpoint(other_db.db.pool()).await.unwrap().unwrap();
        assert_eq!(forged.tree_size, 21);
        testing::audit_replace_checkpoint(&t.db, 21, &forged.note).await;
        let r = verify(&t.db, &f, &[]).await;
        assert!(
            matches!(r.findings.as_slice(), [Finding::BadSignature { source, .. }] if source.contains("size 21")),
            "{}: {:?}",
            t.label(),
            r.findings
        );
    }
}

/// The database is restored from a backup taken at 21 leaves and written again: alone, it is a
/// consistent log, but a checkpoint saved outside it (a mirror's copy of size 31) contradicts it.
#[tokio::test]
async fn a_rolled_back_and_rewritten_log_is_a_fork() {
    for t in testing::both().await {
        let f = three_checkpoints(&t.db).await;
        let saved = store::latest_checkpoint(t.db.pool()).await.unwrap().unwrap();
        assert_eq!(saved.tree_size, 31);
        testing::audit_roll_back_to(&t.db, 21, tlog_tiles::tlog::stored_hash_count(21) as i64).await;
        append(&t.db, "after-restore", 15).await;
        sequencer(&f, "node-a").round(true).await.unwrap();
        let alone = verify(&t.db, &f, &[]).await;
        assert!(
            alone.ok(),
            "{}: without outside knowledge the rewritten log is consistent: {:?}",
            t.label(),
            alone.findings
        );
        let mirror = Signed { source: "mirror.checkpoint".into(), note: saved.note };
        let r = verify(&t.db, &f, &[mirror]).await;
        assert!(
            r.findings.iter().any(
                |x| matches!(x, Finding::RootMismatch { source, size: 31, from: 21 } if source == "mirror.checkpoint")
            ),
            "{}: {:?}",
            t.label(),
            r.findings
        );
    }
}
