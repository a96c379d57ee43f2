//! The server seen by a real client library: python `ldap3` (tests/client.py) checks scopes,
//! filters, attribute selection, size limits, paging through every situation with the
//! paged-results control (page size 7, a new connection for every other page), the root DSE
//! and the schema, structure entries, on the small generated directory, on SQLite and PostgreSQL.
//!
//! Needs the test virtualenv `target/test-venv` (scripts/install-deps.sh creates it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::Server;
use santepki_ldap::LdapOptions;
use santepki_storage::directory;
use santepki_storage::testing::{self, TestDb};

async fn python_client(t: TestDb) {
    let root = common::workspace_root();
    let python = root.join("target/test-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/install-deps.sh (it creates the test virtualenv)",
        python.display()
    );

    let files_dir = tempfile::tempdir().unwrap();
    let files = common::generate_small(files_dir.path());
    common::import(&t.db, &files).await;
    let counts = directory::counts(&t.db).await.unwrap();
    let server = Server::start(t.db.clone(), LdapOptions::default()).await;

    let out = tokio::process::Command::new(&python)
        .arg(root.join("crates/ldap/tests/client.py"))
        .args([server.addr.ip().to_string(), server.addr.port().to_string()])
        .args([counts.situations.to_string(), counts.professionals.to_string()])
        .arg((counts.legal_entities + counts.establishments + counts.practices).to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: client.py failed ({}):\n{stdout}\n{stderr}", t.label(), out.status);
    assert!(stdout.contains("checks ok"), "{stdout}");
    println!("{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_ldap3_client_on_sqlite() {
    python_client(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_ldap3_client_on_postgresql() {
    python_client(testing::postgres().await).await;
}
