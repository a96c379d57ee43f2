//! Throw-away databases for tests: a SQLite file in a temporary folder, and a fresh database on
//! the PostgreSQL server named by `SANTEPKI_TEST_POSTGRES_URL` (`scripts/test` starts one).
//!
//! The suite runs against both backends; a missing PostgreSQL is an error, not a skip, so that a
//! green run always means both were tested.

// Test support: a failed set-up step is a failed test, and a panic says which.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use crate::{Backend, Db, StorageError};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "SANTEPKI_TEST_POSTGRES_URL";

/// A test database; the SQLite folder is removed when it is dropped.
pub struct TestDb {
    /// The migrated database.
    pub db: Db,
    /// Its backend.
    pub backend: Backend,
    /// Its URL.
    pub url: String,
    /// The SQLite file's folder, removed on drop (`None` for PostgreSQL).
    pub _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// The backend's name, to label assertions.
    pub fn label(&self) -> &'static str {
        self.backend.name()
    }
}

/// A new SQLite file database in a temporary folder.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}/santepki.db", dir.path().display());
    let db = Db::connect(&url).await.expect("SQLite test database");
    TestDb { db, backend: Backend::Sqlite, url, _dir: Some(dir) }
}

/// The URL of a new, empty PostgreSQL database.
pub async fn postgres_url() -> String {
    let admin = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!("{POSTGRES_URL_VAR} is not set: run the tests with scripts/test, which starts PostgreSQL")
    });
    static N: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "santepki_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        chrono::Utc::now().timestamp_micros() % 1_000_000_000
    );
    let mut conn =
        sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| panic!("cannot reach {POSTGRES_URL_VAR}: {e}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
    conn.close().await.ok();
    match admin.rfind('/') {
        Some(i) => format!("{}/{name}", &admin[..i]),
        None => panic!("{POSTGRES_URL_VAR} must end with /DATABASE"),
    }
}

/// A new, empty database on the test PostgreSQL server.
pub async fn postgres() -> TestDb {
    let url = postgres_url().await;
    let db = Db::connect(&url).await.expect("PostgreSQL test database");
    TestDb { db, backend: Backend::Postgres, url, _dir: None }
}

/// One database of each backend.
pub async fn both() -> Vec<TestDb> {
    vec![sqlite().await, postgres().await]
}

// --- what tests need to see or change beneath the crates' own functions ----------------------
// Tests of the crates above storage state a situation the application never writes itself (a
// card expired in the register, a certificate a crash left unsigned…) or look at the schema.
// The SQL for it lives here, with the rest of the SQL, so that no test crate speaks to the driver.

/// The names of the secondary indexes present in the database, sorted (SQLite's internal indexes
/// and PostgreSQL's primary keys left out).
pub async fn index_names(db: &Db) -> Result<Vec<String>, StorageError> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() \
             AND indexname NOT LIKE '%_pkey' ORDER BY indexname"
        }
    };
    Ok(sqlx::query_scalar(sql).fetch_all(db.pool()).await?)
}

/// The number of the card held by the professional whose last name is `last_name` (exactly one).
pub async fn card_number_of(db: &Db, last_name: &str) -> Result<String, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT c.card_number FROM cards c JOIN professionals p ON p.idnat_ps = c.idnat_ps WHERE p.last_name = $1",
    )
    .bind(last_name)
    .fetch_one(db.pool())
    .await?)
}

/// Sets the last day of validity of a card in the register (`YYYY-MM-DD`), as a later import of
/// the card file would: a day in the past makes the card expired.
pub async fn set_card_valid_until(db: &Db, card_number: &str, day: &str) -> Result<(), StorageError> {
    sqlx::query("UPDATE cards SET valid_until = $1 WHERE card_number = $2")
        .bind(day)
        .bind(card_number)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Moves the end of validity of products (a stored timestamp, see [`crate::time::format`]), to
/// bring them within reach of the expiry notices without waiting years.
pub async fn set_products_not_after(db: &Db, product_ids: &[&str], not_after: &str) -> Result<(), StorageError> {
    for id in product_ids {
        sqlx::query("UPDATE products SET not_after = $1 WHERE id = $2")
            .bind(not_after)
            .bind(id)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// Sets a product's stored state as a crash of an earlier version, or a direct edit, could leave
/// it (the recovery pass's tests).
pub async fn set_product_state(db: &Db, id: &str, state: &str) -> Result<(), StorageError> {
    sqlx::query("UPDATE products SET state = $1 WHERE id = $2").bind(state).bind(id).execute(db.pool()).await?;
    Ok(())
}

/// Certificates issued (or since revoked) for a structure, not for a card, that no product holds:
/// what ordering must never leave (issue 15, point 9).
pub async fn certificates_without_product(db: &Db) -> Result<Vec<String>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT c.serial FROM ca_certificates c WHERE c.card_number IS NULL AND c.status IN ('issued', 'revoked') \
         AND NOT EXISTS (SELECT 1 FROM products p WHERE p.serial = c.serial) ORDER BY c.serial",
    )
    .fetch_all(db.pool())
    .await?)
}

/// Puts an issued certificate back in the state a process leaves when it dies between recording
/// a certificate and signing it: `pending`, without DER.
pub async fn make_certificate_pending(db: &Db, serial: &str) -> Result<(), StorageError> {
    // Recorded by another process, of no node this process holds: settled only after the grace period.
    sqlx::query(
        "UPDATE ca_certificates SET status = 'pending', der = NULL, owner_node = NULL, owner_boot = 'another-process' \
         WHERE serial = $1",
    )
    .bind(serial)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Production professionals (not test identities) with at least two open situations at a
/// structure, in key order, at most `limit`: the professionals whose LDAP situation reads are
/// worth comparing.
pub async fn professionals_with_several_situations(db: &Db, limit: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT idnat_ps FROM situations WHERE closed_at IS NULL AND idnat_ps NOT LIKE $1 AND idnat_struct IS NOT NULL \
         GROUP BY idnat_ps HAVING COUNT(*) >= 2 ORDER BY idnat_ps LIMIT $2",
    )
    .bind(format!("{}%", santepki_domain::ids::TEST_IDNAT_PS.start))
    .bind(limit)
    .fetch_all(db.pool())
    .await
    .expect("professionals with several situations")
}

/// Closes a professional (its situations left open), as an import that drops it would.
pub async fn close_professional(db: &Db, idnat_ps: &str, at: &str) {
    sqlx::query("UPDATE professionals SET closed_at = $1 WHERE idnat_ps = $2")
        .bind(at.to_owned())
        .bind(idnat_ps.to_owned())
        .execute(db.pool())
        .await
        .expect("close a professional");
}

/// Rewrites a professional's row unchanged: a commit, and pages for a WAL checkpoint to copy.
pub async fn touch_professional(db: &Db, idnat_ps: &str) {
    sqlx::query("UPDATE professionals SET updated_at = updated_at || '' WHERE idnat_ps = $1")
        .bind(idnat_ps.to_owned())
        .execute(db.pool())
        .await
        .expect("touch a professional");
}

/// The names of the indexes of a SQLite database among `names`, sorted.
pub async fn sqlite_indexes(db: &Db, names: &[&str]) -> Vec<String> {
    let all: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")
        .fetch_all(db.pool())
        .await
        .expect("SQLite indexes");
    all.into_iter().filter(|n| names.contains(&n.as_str())).collect()
}

/// Runs a SQLite checkpoint that truncates the WAL (`PRAGMA wal_checkpoint(TRUNCATE)`), which
/// waits for every reader's snapshot; returns whether it completed (SQLite's busy flag was 0).
pub async fn sqlite_checkpoint_truncate(db: &Db) -> bool {
    let (busy, _, _): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(db.pool()).await.expect("WAL checkpoint");
    busy == 0
}

/// Open production professionals (not test identities) with at least one open situation, in
/// key order: those an R44 search finds something for (the LDAP benchmark's sample).
pub async fn professionals_with_open_situations(db: &Db) -> Result<Vec<String>, crate::StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT p.idnat_ps FROM professionals p WHERE p.closed_at IS NULL AND p.idnat_ps NOT LIKE $1 \
         AND EXISTS (SELECT 1 FROM situations s WHERE s.idnat_ps = p.idnat_ps AND s.closed_at IS NULL) ORDER BY p.idnat_ps",
    )
    .bind(format!("{}%", santepki_domain::ids::TEST_IDNAT_PS.start))
    .fetch_all(db.pool())
    .await?)
}

// --- the audit log, as someone with write access to the database would tamper with it --------

/// Rewrites the action of the event at leaf `leaf` (an edited event).
pub async fn audit_edit_leaf(db: &Db, leaf: i64, action: &str) {
    sqlx::query("UPDATE audit_events SET action = $1 WHERE leaf_index = $2")
        .bind(action)
        .bind(leaf)
        .execute(db.pool())
        .await
        .expect("edit an audit event");
}

/// Deletes the event at leaf `leaf`.
pub async fn audit_delete_leaf(db: &Db, leaf: i64) {
    sqlx::query("DELETE FROM audit_events WHERE leaf_index = $1").bind(leaf).execute(db.pool()).await.expect("delete");
}

/// Swaps the leaves of two events (reordering the log).
pub async fn audit_swap_leaves(db: &Db, a: i64, b: i64) {
    let mut tx = db.pool().begin().await.expect("begin");
    for (from, to) in [(a, -1), (b, a), (-1, b)] {
        sqlx::query("UPDATE audit_events SET leaf_index = $1 WHERE leaf_index = $2")
            .bind(to)
            .bind(from)
            .execute(&mut *tx)
            .await
            .expect("swap leaves");
    }
    tx.commit().await.expect("commit");
}

/// Inserts a forged event at leaf `at`, moving the later ones up by one.
pub async fn audit_insert_at(db: &Db, at: i64, event: &crate::audit::AuditEvent) {
    let mut tx = db.pool().begin().await.expect("begin");
    // Two steps: a unique index is checked row by row on PostgreSQL.
    sqlx::query("UPDATE audit_events SET leaf_index = -leaf_index - 10 WHERE leaf_index >= $1")
        .bind(at)
        .execute(&mut *tx)
        .await
        .expect("move");
    sqlx::query("UPDATE audit_events SET leaf_index = -leaf_index - 9 WHERE leaf_index <= -10")
        .execute(&mut *tx)
        .await
        .expect("move back");
    crate::audit::append(&mut *tx, event).await.expect("insert");
    sqlx::query("UPDATE audit_events SET leaf_index = $1 WHERE id = $2")
        .bind(at)
        .bind(&event.id)
        .execute(&mut *tx)
        .await
        .expect("place");
    tx.commit().await.expect("commit");
}

/// Deletes the events from leaf `from` on (a truncated tail), leaving the tree hashes.
pub async fn audit_truncate_events(db: &Db, from: i64) {
    sqlx::query("DELETE FROM audit_events WHERE leaf_index >= $1")
        .bind(from)
        .execute(db.pool())
        .await
        .expect("truncate");
}

/// Replaces the note of the checkpoint of `size`.
pub async fn audit_replace_checkpoint(db: &Db, size: i64, note: &str) {
    sqlx::query("UPDATE audit_checkpoints SET note = $1 WHERE tree_size = $2")
        .bind(note)
        .bind(size)
        .execute(db.pool())
        .await
        .expect("replace a checkpoint");
}

/// Puts the log back as it was at `size` leaves, as restoring a backup taken then would: later
/// events, hashes and checkpoints are gone.
pub async fn audit_roll_back_to(db: &Db, size: i64, stored_hashes_at_size: i64) {
    let mut tx = db.pool().begin().await.expect("begin");
    sqlx::query("DELETE FROM audit_events WHERE leaf_index >= $1 OR leaf_index IS NULL")
        .bind(size)
        .execute(&mut *tx)
        .await
        .expect("events");
    sqlx::query("DELETE FROM audit_tree_hashes WHERE stored_index >= $1")
        .bind(stored_hashes_at_size)
        .execute(&mut *tx)
        .await
        .expect("hashes");
    sqlx::query("DELETE FROM audit_checkpoints WHERE tree_size > $1").bind(size).execute(&mut *tx).await.expect("cps");
    tx.commit().await.expect("commit");
}

/// Expires the lease `name` (its holder was killed long enough ago).
pub async fn expire_lease(db: &Db, name: &str) {
    sqlx::query("UPDATE leases SET expires_at = '2000-01-01T00:00:00Z' WHERE name = $1")
        .bind(name)
        .execute(db.pool())
        .await
        .expect("expire a lease");
}

/// Inserts `n` plausible audit events quickly (benchmarks), none sequenced.
pub async fn insert_audit_events(db: &Db, n: usize) {
    let mut tx = db.pool().begin().await.expect("begin");
    let mut done = 0;
    while done < n {
        let k = (n - done).min(500);
        let mut sql = String::from(
            "INSERT INTO audit_events (id, at, actor, action, subject, before_json, after_json, request_id, node) VALUES ",
        );
        for i in 0..k {
            let j = done + i;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{:020}-bench-{j:010}', '2026-12-05T00:00:00Z', 'card:2000000103', 'certificate.issued', \
                 'certificate:{j:032x}', NULL, '{{\"ca\":\"ACI-EL-ORG\",\"not_after\":\"2029-12-05T00:00:00Z\"}}', \
                 'req-{j:012}', 'bench/127.0.0.1:8080')",
                j
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.expect("insert events");
        done += k;
    }
    tx.commit().await.expect("commit");
}

/// Runs `sql` on the test PostgreSQL server as its administrator, outside any test database's
/// pool (to play a failover: cut connections, make a database read-only).
pub async fn postgres_admin(sql: &str) {
    let admin = std::env::var(POSTGRES_URL_VAR).expect("the test PostgreSQL server");
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("administrator connection");
    conn.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.ok();
}

/// The database name at the end of a PostgreSQL URL.
pub fn database_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}
