//! A CA process killed with SIGKILL in the middle of many concurrent issuances: after restart,
//! every certificate a client received is in the database exactly as received, no serial appears
//! twice, and pending records are settled. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use der::{Decode, Encode};
use santepki_authority::testing::csr;
use santepki_authority::KeyAlgorithm;
use santepki_storage::authority as store;
use santepki_storage::Db;

fn santepki(dir: &Path, db_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_santepki"));
    c.current_dir(dir)
        .env_remove("SANTEPKI_CONFIG")
        .env("SANTEPKI_DATABASE__URL", db_url)
        .env("SANTEPKI_LOG", "warn")
        .env("SANTEPKI_DIRECTORY__IDENTIFIERS", "test")
        .env("SANTEPKI_CA__KEY_PASSPHRASE", "crash test passphrase")
        .env("SANTEPKI_CA__KEY_ALGORITHM", "rsa4096");
    c
}

fn run(mut c: Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = c.output().expect("run santepki");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn ok(c: Command) -> String {
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    out
}

/// Certificates written to the output folder: what clients received (each file appears whole,
/// by rename, only after the issuance was recorded).
fn received(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut certs = Vec::new();
    for e in std::fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pem") {
            let pem = std::fs::read_to_string(&p).unwrap();
            let (_, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
            let cert = x509_cert::Certificate::from_der(&der).unwrap();
            certs.push((santepki_authority::x509::serial_hex(&cert.tbs_certificate.serial_number), der));
        }
    }
    certs
}

async fn killed_during_concurrent_issuance(db_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut c = santepki(d, db_url);
    c.args(["directory", "generate", "--out", "files"]);
    ok(c);
    let mut c = santepki(d, db_url);
    c.args(["directory", "import", "files", "--quiet"]);
    ok(c);
    let mut c = santepki(d, db_url);
    c.args(["ca", "init"]);
    ok(c);

    // Many requests, each with its own key (R37 refuses a key twice). If the machine finishes
    // before the kill, start over with more.
    let mut killed = false;
    let mut round = 0;
    for n in [400usize, 1600, 6400] {
        round += 1;
        let requests = d.join(format!("requests-{round}.jsonl"));
        let out = d.join(format!("out-{round}"));
        std::fs::create_dir_all(d.join("csr")).unwrap();
        let mut lines = String::new();
        for i in 0..n {
            let (der, _key) = csr(KeyAlgorithm::EcdsaP256);
            let path = format!("csr/{round}-{i}.der");
            std::fs::write(d.join(&path), der).unwrap();
            lines.push_str(&format!(
                "{{\"profile\":\"org-auth-cli\",\"structure\":\"1060785011\",\"service\":\"SERVICE {round}-{i}\",\"csr\":\"{path}\"}}\n"
            ));
        }
        std::fs::write(&requests, lines).unwrap();
        let mut c = santepki(d, db_url);
        c.args(["ca", "issue-batch", "--concurrency", "16", "--requests"])
            .arg(&requests)
            .arg("--out-dir")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let start = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            let done = std::fs::read_dir(&out)
                .map(|r| {
                    r.filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pem"))).count()
                })
                .unwrap_or(0);
            if done >= 20 {
                killed = child.try_wait().unwrap().is_none();
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(300), "no certificate appeared");
            std::thread::sleep(Duration::from_millis(5));
        }
        let refused: Vec<String> = std::fs::read_dir(&out)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "err"))
                    .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        assert!(refused.is_empty(), "requests were refused: {refused:?}");
        if killed {
            let got = received(&out);
            assert!(got.len() >= 20 && got.len() < n, "killed after {} of {n}", got.len());

            // Restart: settle what the killed process left pending.
            let mut c = santepki(d, db_url);
            c.args(["ca", "recover", "--grace-seconds", "0"]);
            let said = ok(c);
            assert!(said.contains("settled"), "{said}");

            let db = Db::connect(db_url).await.unwrap();
            let serials: HashSet<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
            assert_eq!(serials.len(), got.len(), "a serial was handed out twice");
            for (serial, der) in &got {
                let row = store::certificate(&db, serial)
                    .await
                    .unwrap()
                    .unwrap_or_else(|| panic!("{serial} received but not recorded"));
                assert_eq!(row.status, "issued", "{serial}");
                assert_eq!(
                    row.der.as_deref(),
                    Some(der.as_slice()),
                    "{serial}: the database holds other bytes than the client got"
                );
                // What was recorded before signing is what was signed.
                let cert = x509_cert::Certificate::from_der(der).unwrap();
                assert_eq!(cert.tbs_certificate.to_der().unwrap(), row.tbs);
            }
            assert!(store::pending(&db).await.unwrap().is_empty(), "pending rows remain after recovery");
            let rows = store::certificates(&db, None, 1_000_000).await.unwrap();
            let unique: HashSet<&str> = rows.iter().map(|r| r.serial.as_str()).collect();
            assert_eq!(unique.len(), rows.len());
            let issued = rows.iter().filter(|r| r.status == "issued").count();
            assert!(issued >= got.len(), "{issued} issued rows for {} received certificates", got.len());
            let keys: HashSet<&str> =
                rows.iter().filter(|r| r.status == "issued").map(|r| r.spki_sha256.as_str()).collect();
            assert_eq!(keys.len(), issued, "R37: a key in two live certificates");
            // Settled rows are audited.
            let abandoned = rows.iter().filter(|r| r.status == "abandoned").count();
            for r in rows.iter().filter(|r| r.status == "abandoned") {
                let events =
                    santepki_storage::audit::events_for(db.pool(), &format!("certificate:{}", r.serial)).await.unwrap();
                assert!(events.iter().any(|e| e.action == "certificate.abandoned"), "{}", r.serial);
            }
            eprintln!("received {}, issued {issued}, abandoned {abandoned}", got.len());
            db.close().await;
            break;
        }
    }
    assert!(killed, "the batch always finished before it could be killed");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_concurrent_issuance_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/crash.db", dir.path().display());
    killed_during_concurrent_issuance(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_concurrent_issuance_on_postgres() {
    let url = santepki_storage::testing::postgres_url().await;
    killed_during_concurrent_issuance(&url).await;
}
