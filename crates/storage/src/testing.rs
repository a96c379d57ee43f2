//! Throw-away databases for tests: a SQLite file in a temporary folder, and a fresh database on
//! the PostgreSQL server named by `SANTEPKI_TEST_POSTGRES_URL` (`scripts/test` starts one).
//!
//! The suite runs against both backends; a missing PostgreSQL is an error, not a skip, so that a
//! green run always means both were tested.

// Test support: a failed set-up step is a failed test, and a panic says which.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor};

use crate::{Backend, Db};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "SANTEPKI_TEST_POSTGRES_URL";

/// A test database; the SQLite folder is removed when it is dropped.
pub struct TestDb {
    pub db: Db,
    pub backend: Backend,
    pub url: String,
    /// The SQLite file's folder, removed on drop (`None` for PostgreSQL).
    pub _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn label(&self) -> &'static str {
        self.backend.name()
    }
}

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

pub async fn postgres() -> TestDb {
    let url = postgres_url().await;
    let db = Db::connect(&url).await.expect("PostgreSQL test database");
    TestDb { db, backend: Backend::Postgres, url, _dir: None }
}

/// One database of each backend.
pub async fn both() -> Vec<TestDb> {
    vec![sqlite().await, postgres().await]
}
