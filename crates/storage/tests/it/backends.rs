//! The storage layer behaves the same on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::directory::{self as store, ImportRow, TableBatch, WritePolicy, PROFESSIONALS, STRUCTURES};
use santepki_storage::testing;

fn professional(id: &str, last: &str) -> ImportRow {
    ImportRow::new(
        format!("8{id}"),
        vec![
            Some("8".into()),
            Some(id.into()),
            None,
            Some(last.into()),
            Some("JEAN".into()),
            Some(format!("{last} JEAN")),
            Some("10".into()),
            Some("Médecin".into()),
            None,
            None,
        ],
    )
}

#[tokio::test]
async fn upsert_counts_touch_and_close_on_both_backends() {
    for t in testing::both().await {
        let db = &t.db;
        let run1 = store::begin_run(db, "rpps-activities", "a.txt", None, None).await.unwrap();
        let rows = vec![professional("10000000017", "DUPONT"), professional("10000000025", "MARTIN")];
        let c = store::write_batch(
            db,
            run1,
            vec![TableBatch { table: &PROFESSIONALS, source: "rpps", policy: WritePolicy::Authoritative, rows }],
        )
        .await
        .unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (2, 0, 0), "{}", t.label());

        // Second run: one unchanged, one changed, one missing from the file.
        let run2 = store::begin_run(db, "rpps-activities", "b.txt", None, None).await.unwrap();
        assert!(run2 > run1);
        let rows = vec![professional("10000000017", "DUPONT"), professional("10000000033", "DURAND")];
        let c = store::write_batch(
            db,
            run2,
            vec![TableBatch { table: &PROFESSIONALS, source: "rpps", policy: WritePolicy::Authoritative, rows }],
        )
        .await
        .unwrap();
        assert_eq!((c.inserted, c.updated, c.unchanged), (1, 0, 1), "{}", t.label());
        assert_eq!(store::count_unseen(db, &PROFESSIONALS, "rpps", run2).await.unwrap(), 1);
        assert_eq!(store::close_unseen(db, &PROFESSIONALS, "rpps", run2).await.unwrap(), 1);
        let martin = store::professional(db, "810000000025").await.unwrap().unwrap();
        assert!(martin.closed_at.is_some(), "{}: MARTIN disappeared and is closed", t.label());

        // MARTIN comes back in a later file: reopened, counted as updated.
        let run3 = store::begin_run(db, "rpps-activities", "c.txt", None, None).await.unwrap();
        let rows = vec![professional("10000000025", "MARTIN")];
        let c = store::write_batch(
            db,
            run3,
            vec![TableBatch { table: &PROFESSIONALS, source: "rpps", policy: WritePolicy::Authoritative, rows }],
        )
        .await
        .unwrap();
        assert_eq!(c.updated, 1);
        assert!(store::professional(db, "810000000025").await.unwrap().unwrap().closed_at.is_none());

        // Name prefix search is byte-ordered on both backends (PostgreSQL gets COLLATE "C").
        let found = store::professionals_by_name_prefix(db, "DU", 10).await.unwrap();
        let names: Vec<_> = found.iter().map(|p| p.last_name.as_str()).collect();
        assert_eq!(names, ["DUPONT", "DURAND"], "{}", t.label());
    }
}

fn structure(id: &str, name: &str) -> ImportRow {
    let mut values = vec![None; STRUCTURES.columns.len()];
    values[0] = Some("establishment".into());
    values[6] = Some(name.into());
    values[7] = Some(name.into());
    ImportRow::new(id.into(), values)
}

#[tokio::test]
async fn fallback_policy_leaves_other_sources_alone() {
    for t in testing::both().await {
        let db = &t.db;
        let run = store::begin_run(db, "finess-establishments", "eg.csv", None, None).await.unwrap();
        let rows = vec![structure("1060785003", "CHU DE NICE HOPITAL PASTEUR")];
        store::write_batch(
            db,
            run,
            vec![TableBatch { table: &STRUCTURES, source: "finess_eg", policy: WritePolicy::Authoritative, rows }],
        )
        .await
        .unwrap();
        let run = store::begin_run(db, "rpps-activities", "ps.txt", None, None).await.unwrap();
        let rows = vec![structure("1060785003", "PASTEUR (RPPS SPELLING)"), structure("399999998005140", "SOCIETE")];
        let c = store::write_batch(
            db,
            run,
            vec![TableBatch { table: &STRUCTURES, source: "rpps", policy: WritePolicy::Fallback, rows }],
        )
        .await
        .unwrap();
        assert_eq!((c.inserted, c.kept_other_source), (1, 1), "{}", t.label());
        let s = store::structure(db, "1060785003").await.unwrap().unwrap();
        assert_eq!(s.name, "CHU DE NICE HOPITAL PASTEUR");
        assert_eq!(s.source, "finess_eg");
    }
}

#[tokio::test]
async fn large_batches_split_below_the_bind_limits() {
    for t in testing::both().await {
        let db = &t.db;
        let run = store::begin_run(db, "rpps-activities", "big.txt", None, None).await.unwrap();
        let rows: Vec<ImportRow> = (0..5000).map(|i| professional(&format!("1{i:010}"), "X")).collect();
        let c = store::write_batch(
            db,
            run,
            vec![TableBatch { table: &PROFESSIONALS, source: "rpps", policy: WritePolicy::Authoritative, rows }],
        )
        .await
        .unwrap();
        assert_eq!(c.inserted, 5000, "{}", t.label());
        assert_eq!(store::counts(db).await.unwrap().professionals, 5000);
    }
}

#[tokio::test]
async fn audit_events_append_in_order() {
    for t in testing::both().await {
        let db = &t.db;
        let e1 = AuditEvent::new("cli:test", "directory.import", "import_run:1").after(&serde_json::json!({"n": 1}));
        let e2 = AuditEvent::new("cli:test", "directory.import", "import_run:1");
        audit::append(db.pool(), &e1).await.unwrap();
        audit::append(db.pool(), &e2).await.unwrap();
        let got = audit::events_for(db.pool(), "import_run:1").await.unwrap();
        assert_eq!(got.len(), 2, "{}", t.label());
        assert_eq!(got[0].id, e1.id);
        assert_eq!(got[0].after_json.as_deref(), Some(r#"{"n":1}"#));
    }
}

/// Transactions that read and then write, run concurrently: none fails. On SQLite a deferred
/// transaction would fail with SQLITE_BUSY_SNAPSHOT (517) whenever another committed between
/// its read and its write (found by the product-list benchmark's concurrent orders);
/// `Db::begin_write` takes the write lock first.
#[tokio::test]
async fn concurrent_read_then_write_transactions_all_commit() {
    for t in testing::both().await {
        let db = t.db.clone();
        sqlx::query("CREATE TABLE counter_test (n BIGINT NOT NULL)").execute(db.pool()).await.unwrap();
        sqlx::query("INSERT INTO counter_test (n) VALUES (0)").execute(db.pool()).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    for _ in 0..20 {
                        let mut tx = db.begin_write().await?;
                        let _: i64 = sqlx::query_scalar("SELECT n FROM counter_test").fetch_one(&mut *tx).await?;
                        tokio::task::yield_now().await;
                        sqlx::query("UPDATE counter_test SET n = n + 1").execute(&mut *tx).await?;
                        tx.commit().await?;
                    }
                    Ok::<(), santepki_storage::StorageError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap_or_else(|e| panic!("{}: {e}", t.label()));
        }
        let n: i64 = sqlx::query_scalar("SELECT n FROM counter_test").fetch_one(db.pool()).await.unwrap();
        assert_eq!(n, 120, "every transaction committed on {}", t.label());
    }
}

/// A value-set column holding a text the code does not declare is an error naming the table,
/// the column and the value, on both backends; a declared one reads back as its enum.
#[tokio::test]
async fn an_unknown_stored_value_is_an_error_naming_its_column() {
    use santepki_domain::values::{ContractKind, ContractState};
    use santepki_storage::registration as reg;
    use santepki_storage::StorageError;
    for t in testing::both().await {
        let db = &t.db;
        for (id, entity, state) in [("ctr-ok", "1750000001", "active"), ("ctr-bad", "1750000002", "archived")] {
            sqlx::query(
                "INSERT INTO contracts (id, legal_entity, kind, name, state, created_by, created_at, updated_at) \
                 VALUES ($1, $2, 'vendor', 'X', $3, 'test', 'now', 'now')",
            )
            .bind(id)
            .bind(entity)
            .bind(state)
            .execute(db.pool())
            .await
            .unwrap();
        }
        let ok = reg::contract(db, "ctr-ok").await.unwrap().unwrap();
        assert_eq!((ok.kind, ok.state), (ContractKind::Vendor, ContractState::Active), "{}", t.label());
        match reg::contract(db, "ctr-bad").await {
            Err(StorageError::UnknownValue { table, column, value, set }) => {
                assert_eq!(
                    (table, column.as_str(), value.as_str(), set),
                    ("contracts", "state", "archived", "ContractState")
                );
            }
            other => panic!("{}: {other:?}", t.label()),
        }
    }
}
