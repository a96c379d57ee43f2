//! Leases with fencing numbers and writes replayed across a database failover (issue 17), on
//! SQLite and PostgreSQL. The failover is played on the test server the way Patroni's looks to a
//! client: every connection cut (`pg_terminate_backend`), then new connections that are
//! read-only (`read_only_sql_transaction`, a standby), then a writable server again.

use std::time::{Duration, Instant};

use santepki_storage::leases::{self, Lease};
use santepki_storage::retry::retrying;
use santepki_storage::{testing, Db, StorageError};

#[tokio::test]
async fn a_lease_has_one_holder_and_a_fencing_number_that_grows_with_each_new_holder() {
    for t in testing::both().await {
        let db = &t.db;
        let a = leases::try_acquire(db, "ca-jobs", "node-a", 60).await.unwrap().expect("free lease");
        assert_eq!(a.fence, 1, "{}", t.label());
        // Renewing keeps the number; another node is refused while it runs.
        assert_eq!(leases::try_acquire(db, "ca-jobs", "node-a", 60).await.unwrap(), Some(a.clone()));
        assert_eq!(leases::try_acquire(db, "ca-jobs", "node-b", 60).await.unwrap(), None, "{}", t.label());
        leases::check(db.pool(), db.backend(), &a).await.unwrap();

        // node-a stops renewing (killed, paused): node-b takes over under a higher number.
        testing::expire_lease(db, "ca-jobs").await;
        let b = leases::try_acquire(db, "ca-jobs", "node-b", 60).await.unwrap().expect("expired lease");
        assert_eq!(b.fence, 2, "{}", t.label());
        // node-a's late write is refused, inside the writing transaction as the jobs do it.
        let mut tx = db.begin_write().await.unwrap();
        let late = leases::check(&mut *tx, db.backend(), &a).await;
        assert!(matches!(late, Err(StorageError::LeaseLost { fence: 1, .. })), "{}: {late:?}", t.label());
        drop(tx);
        // node-a coming back cannot take it while node-b holds it.
        assert_eq!(leases::try_acquire(db, "ca-jobs", "node-a", 60).await.unwrap(), None);

        // A clean stop gives it up at once, and the number still grows.
        leases::release(db, &b).await.unwrap();
        assert!(!leases::holds(db.pool(), db.backend(), &b).await.unwrap());
        let a2 = leases::try_acquire(db, "ca-jobs", "node-a", 60).await.unwrap().expect("released lease");
        assert_eq!(a2.fence, 3, "{}", t.label());
        // Another job's lease is its own.
        let mail = leases::try_acquire(db, "mail", "node-b", 60).await.unwrap().expect("other lease");
        assert_eq!((mail.fence, leases::holder(db.pool(), "mail").await.unwrap().unwrap().0), (1, "node-b".into()));
    }
}

/// A fencing number from one lease does not pass for another's.
#[tokio::test]
async fn a_lease_of_another_job_or_number_does_not_check() {
    for t in testing::both().await {
        let db = &t.db;
        let a = leases::try_acquire(db, "ca-jobs", "node-a", 60).await.unwrap().unwrap();
        let forged = Lease { fence: a.fence + 1, ..a.clone() };
        assert!(!leases::holds(db.pool(), db.backend(), &forged).await.unwrap(), "{}", t.label());
        let other = Lease { name: "mail".into(), ..a };
        assert!(!leases::holds(db.pool(), db.backend(), &other).await.unwrap(), "{}", t.label());
    }
}

async fn write_marker(db: &Db, name: &str) -> Result<(), StorageError> {
    let mut tx = db.begin_write().await?;
    // A leases row stands for any write of an operation in one transaction.
    sqlx::query("INSERT INTO leases (name, holder, expires_at) VALUES ($1, 'test', '2000-01-01T00:00:00Z')")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// The failover: the operation fails on cut connections and on a read-only server, is replayed
/// with back-off, and is written exactly once when the server is writable again.
#[tokio::test]
async fn a_write_is_replayed_across_a_failover_and_lands_once() {
    let t = testing::postgres().await;
    let db = t.db.clone();
    let name = testing::database_name(&t.url).to_owned();
    // Open the pool's connections, then play the failover.
    write_marker(&db, "before").await.unwrap();
    testing::postgres_admin(&format!("ALTER DATABASE {name} SET default_transaction_read_only = on")).await;
    testing::postgres_admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;
    // Without the replay, the write fails with the standby's error, transient.
    let refused = write_marker(&db, "refused").await.unwrap_err();
    assert!(refused.is_transient(), "{refused}");
    // The new primary comes up 1.5 s later.
    let promoted = {
        let name = name.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            testing::postgres_admin(&format!("ALTER DATABASE {name} RESET default_transaction_read_only")).await;
            testing::postgres_admin(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .await;
        })
    };
    let started = Instant::now();
    retrying("test write", || write_marker(&db, "during")).await.expect("replayed until the server is writable");
    assert!(started.elapsed() >= Duration::from_millis(1000), "it waited for the failover: {:?}", started.elapsed());
    promoted.await.unwrap();
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM leases WHERE name = 'during'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(n, 1, "written exactly once");
    let refused: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM leases WHERE name = 'refused'").fetch_one(db.pool()).await.unwrap();
    assert_eq!(refused, 0, "the refused attempt left nothing");
}

/// What is not a failover is not replayed: a constraint violation fails at once.
#[tokio::test]
async fn a_refused_write_is_not_replayed() {
    for t in testing::both().await {
        write_marker(&t.db, "twice").await.unwrap();
        let started = Instant::now();
        let e = retrying("test write", || write_marker(&t.db, "twice")).await.unwrap_err();
        assert!(!e.is_transient(), "{}: {e}", t.label());
        assert!(started.elapsed() < Duration::from_secs(1), "{}: not retried", t.label());
    }
}

/// `database.read_url`: reads that tolerate lag go to the standbys' pool, writes to the primary.
#[tokio::test]
async fn reads_for_standbys_go_to_the_read_url() {
    let primary = testing::postgres_url().await;
    let standby = testing::postgres_url().await;
    // The "standby" gets a row the primary lacks: where a read lands shows.
    let s = Db::connect(&standby).await.unwrap();
    write_marker(&s, "on-standby").await.unwrap();
    s.close().await;
    let db = Db::connect_with_reader(&primary, Some(&standby)).await.unwrap();
    let count = |db: Db| async move {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM leases WHERE name = 'on-standby'")
            .fetch_one(db.pool())
            .await
            .unwrap();
        n
    };
    assert_eq!(count(db.for_reads()).await, 1);
    assert_eq!(count(db.clone()).await, 0);
    // SQLite has no standbys.
    let sqlite = testing::sqlite().await;
    let e = Db::connect_with_reader(&sqlite.url, Some(&standby)).await.unwrap_err();
    assert!(e.to_string().contains("read_url"), "{e}");
}
