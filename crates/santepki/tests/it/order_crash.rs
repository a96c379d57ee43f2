//! Issue 15's fault injection: a serving platform (`santepki demo`) killed with SIGKILL while an
//! administrator's software orders and revokes certificates concurrently through the REST API
//! (mutual TLS with the demo's CPA card, with curl). After a restart on the same node (same
//! host and listen address), the database must hold:
//! - every answered order, with its product and its certificate, the bytes the client received;
//! - every answered revocation, on the product and on its certificate;
//! - no certificate of a structure without a product (point 9);
//! - products and certificates whose states agree (point 10), and nothing pending.
//!
//! And OCSP and the CRL must say what the database says, and the audit log (issue 18) must have
//! lost nothing to the killed sequencers: every event sequenced by the restarted node, the tree
//! verified by `santepki audit verify`, no secret in any event. On SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use der::{Decode, DecodePem};
use santepki_authority::testing::csr;
use santepki_authority::KeyAlgorithm;
use santepki_storage::authority as ca_store;
use santepki_storage::ordering;
use santepki_storage::Db;
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

/// The demo's vendor administrator (CPA), habilitated for this structure.
const ADMIN_CARD: &str = "2000000103";
const STRUCTURE: &str = "1750900029";
const WORKERS: usize = 6;

/// The platform, killed when the test ends (pass or panic).
struct Platform(Child);

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts (or restarts) the demo in `dir` on fixed ports, and waits for its facts file.
fn start(dir: &Path, db_url: &str, http: u16, portal: u16) -> (Platform, serde_json::Value) {
    let facts_path = dir.join("santepki-demo/demo.json");
    let _ = std::fs::remove_file(&facts_path);
    let child = Command::new(env!("CARGO_BIN_EXE_santepki"))
        .arg("demo")
        .current_dir(dir)
        .env_remove("SANTEPKI_CONFIG")
        .env("SANTEPKI_DATABASE__URL", db_url)
        .env("SANTEPKI_LOG", "warn")
        .env("SANTEPKI_HTTP__LISTEN", format!("127.0.0.1:{http}"))
        .env("SANTEPKI_PORTAL__LISTEN", format!("127.0.0.1:{portal}"))
        .env("SANTEPKI_LDAP__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start santepki demo");
    let mut platform = Platform(child);
    let started = Instant::now();
    while !facts_path.exists() {
        if let Some(status) = platform.0.try_wait().unwrap() {
            panic!("the demo exited with {status}");
        }
        assert!(started.elapsed() < Duration::from_secs(300), "demo.json did not appear");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    let facts = serde_json::from_slice(&std::fs::read(&facts_path).unwrap()).unwrap();
    (platform, facts)
}

/// What the client needs to call the card-authenticated API.
#[derive(Clone)]
struct Client {
    api: String,
    server_cert: String,
    cert: String,
    key: String,
}

impl Client {
    fn of(facts: &serde_json::Value) -> Self {
        let card = facts["cards"].as_array().unwrap().iter().find(|c| c["card_number"] == ADMIN_CARD).unwrap();
        Client {
            api: facts["api_url"].as_str().unwrap().to_owned(),
            server_cert: facts["portal_certificate"].as_str().unwrap().to_owned(),
            cert: card["cert_pem"].as_str().unwrap().to_owned(),
            key: card["key_pem"].as_str().unwrap().to_owned(),
        }
    }

    /// A POST with a JSON body; `None` when no answer came (the server was killed).
    fn post(&self, path: &str, body: &serde_json::Value) -> Option<(u16, serde_json::Value)> {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "60", "--cacert", &self.server_cert, "--cert", &self.cert])
            .args(["--key", &self.key, "-H", "content-type: application/json", "-w", "\n%{http_code}"])
            .arg("--data-binary")
            .arg(body.to_string())
            .arg(format!("{}{path}", self.api))
            .output()
            .expect("curl (scripts/install-deps.sh installs it)");
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (json, code) = text.rsplit_once('\n')?;
        let code: u16 = code.trim().parse().ok()?;
        if code == 0 {
            return None;
        }
        Some((code, serde_json::from_str(json).unwrap_or(serde_json::Value::Null)))
    }
}

/// An order the client got an answer for: the product and the certificate it received.
#[derive(Clone, Debug)]
struct Answered {
    product: String,
    serial: String,
    der: Vec<u8>,
}

#[derive(Default)]
struct Seen {
    orders: Vec<Answered>,
    revoked: Vec<String>,
    refused: Vec<String>,
}

fn worker(client: Client, n: usize, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    let mut mine: Vec<String> = Vec::new();
    let mut i = 0;
    while !stop.load(Ordering::SeqCst) {
        i += 1;
        if i % 3 == 0 && !mine.is_empty() {
            let id = mine.remove(0);
            match client.post(&format!("/products/{id}/revocation"), &serde_json::json!({ "reason": "superseded" })) {
                Some((200, _)) => seen.lock().unwrap().revoked.push(id),
                Some((code, body)) => seen.lock().unwrap().refused.push(format!("revocation {code}: {body}")),
                None => {}
            }
            continue;
        }
        let (der, _) = csr(KeyAlgorithm::EcdsaP256);
        let pem = der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der).unwrap();
        let body = serde_json::json!({
            "profile": "org-auth-cli", "structure": STRUCTURE, "service": format!("CRASH {n}-{i}"),
            "actor_email": "it@example.org", "csr": pem,
        });
        match client.post("/products", &body) {
            Some((201, answer)) => {
                let product = answer["product"]["id"].as_str().unwrap().to_owned();
                let cert = Certificate::from_pem(answer["certificate_pem"].as_str().unwrap()).unwrap();
                let der = der::Encode::to_der(&cert).unwrap();
                let serial = santepki_authority::x509::serial_hex(&cert.tbs_certificate.serial_number);
                mine.push(product.clone());
                seen.lock().unwrap().orders.push(Answered { product, serial, der });
            }
            Some((code, body)) => seen.lock().unwrap().refused.push(format!("order {code}: {body}")),
            None => {}
        }
    }
}

fn http_get(url: &str) -> Vec<u8> {
    let out = Command::new("curl").args(["-sSf", "--max-time", "30", url]).output().unwrap();
    assert!(out.status.success(), "GET {url}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The OCSP status openssl reads from our responder: `good`, `revoked` or `unknown`.
fn ocsp_status(http_url: &str, issuer: &Path, bundle: &str, serial: &str) -> String {
    let out = Command::new("openssl")
        .args(["ocsp", "-no_nonce", "-issuer"])
        .arg(issuer)
        .args(["-serial", &format!("0x{serial}"), "-url", &format!("{http_url}/ocsp"), "-CAfile", bundle])
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.starts_with("0x"))
        .unwrap_or_else(|| panic!("openssl ocsp: {text}{}", String::from_utf8_lossy(&out.stderr)));
    line.rsplit(": ").next().unwrap().trim().to_owned()
}

async fn killed_during_orders_and_revocations(db_url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (http, portal) = (free_port(), free_port());
    // Three rounds of concurrent orders and revocations, each ended by a SIGKILL once enough were
    // answered while others are in flight; each restart recovers what the previous kill left.
    let seen = Arc::new(Mutex::new(Seen::default()));
    for round in 1..=3 {
        let (platform, facts) = start(d, db_url, http, portal);
        let client = Client::of(&facts);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..WORKERS)
            .map(|n| {
                let (client, stop, seen) = (client.clone(), stop.clone(), seen.clone());
                std::thread::spawn(move || worker(client, round * 100 + n, stop, seen))
            })
            .collect();
        let started = Instant::now();
        loop {
            let (orders, revoked) = {
                let s = seen.lock().unwrap();
                assert!(s.refused.is_empty(), "requests were refused: {:?}", s.refused);
                (s.orders.len(), s.revoked.len())
            };
            if orders >= 12 * round && revoked >= 3 * round {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(600), "{orders} orders and {revoked} revocations");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(platform); // SIGKILL
        stop.store(true, Ordering::SeqCst);
        for w in workers {
            w.join().unwrap();
        }
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen.refused.is_empty(), "requests were refused: {:?}", seen.refused);

    // Restart on the same node: recovery runs before the platform serves.
    let (_platform, facts) = start(d, db_url, http, portal);
    let http_url = facts["http_url"].as_str().unwrap().to_owned();
    let bundle = facts["ca_bundle"].as_str().unwrap().to_owned();
    let db = Db::connect(db_url).await.unwrap();

    // Every answered order has its product and its certificate, as received.
    let revoked: HashSet<&str> = seen.revoked.iter().map(String::as_str).collect();
    for a in &seen.orders {
        let product = ordering::product(&db, &a.product).await.unwrap().unwrap_or_else(|| panic!("{a:?}: no product"));
        assert_eq!(product.serial, a.serial);
        let cert = ca_store::certificate(&db, &a.serial).await.unwrap().unwrap_or_else(|| panic!("{a:?}: no row"));
        assert_eq!(cert.der.as_deref(), Some(a.der.as_slice()), "{}: other bytes than the client got", a.serial);
        if revoked.contains(a.product.as_str()) {
            assert_eq!(product.state.as_str(), "revoked", "{}: answered revocation lost", a.product);
            assert_eq!(cert.status.as_str(), "revoked", "{}", a.serial);
        } else {
            assert!(matches!(product.state.as_str(), "issued" | "revoked"), "{}: {}", a.product, product.state);
        }
    }
    // No certificate without a product; states agree; nothing pending.
    assert_eq!(santepki_storage::testing::certificates_without_product(&db).await.unwrap(), Vec::<String>::new());
    let disagreements = ordering::disagreements(&db, false, 100).await.unwrap();
    assert!(disagreements.is_empty(), "{disagreements:?}");
    assert!(ca_store::pending(&db).await.unwrap().is_empty(), "pending rows remain after recovery");

    // OCSP and the CRL say what the database says, for every certificate the orders made.
    let rows: Vec<_> = ca_store::certificates(&db, Some(STRUCTURE), 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.card_number.is_none() && r.profile == "org-auth-cli")
        .collect();
    assert!(rows.len() >= seen.orders.len());
    let ca_id = rows[0].ca_id.clone();
    let issuer = d.join("issuer.pem");
    std::fs::write(&issuer, http_get(&format!("{http_url}/ca/{ca_id}.pem"))).unwrap();
    let in_db: HashSet<String> =
        rows.iter().filter(|r| r.status.as_str() == "revoked").map(|r| r.serial.clone()).collect();
    // Revocations reach relying parties through the delta CRL until the next full CRL (published
    // daily): the full CRL and its delta together list every revoked certificate, and the
    // restarted node republishes the delta its revocations made stale.
    let crl_serials = |der: &[u8]| -> HashSet<String> {
        let crl = CertificateList::from_der(der).unwrap();
        crl.tbs_cert_list
            .revoked_certificates
            .unwrap_or_default()
            .iter()
            .map(|r| santepki_authority::x509::serial_hex(&r.serial_number))
            .collect()
    };
    let waited = Instant::now();
    let in_crl = loop {
        let mut listed = crl_serials(&http_get(&format!("{http_url}/crl/{ca_id}.crl")));
        listed.extend(crl_serials(&http_get(&format!("{http_url}/crl/{ca_id}-delta.crl"))));
        if in_db.iter().all(|s| listed.contains(s)) || waited.elapsed() > Duration::from_secs(120) {
            break listed;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let mut statuses: HashMap<&str, usize> = HashMap::new();
    for r in &rows {
        let expected = match r.status.as_str() {
            "issued" => "good",
            "revoked" => "revoked",
            _ => "unknown",
        };
        *statuses.entry(r.status.as_str()).or_default() += 1;
        assert_eq!(
            ocsp_status(&http_url, &issuer, &bundle, &r.serial),
            expected,
            "OCSP for {} ({})",
            r.serial,
            r.status
        );
        assert_eq!(in_crl.contains(&r.serial), r.status.as_str() == "revoked", "CRL for {} ({})", r.serial, r.status);
    }
    eprintln!(
        "answered: {} orders, {} revocations; certificates by status after recovery: {statuses:?}",
        seen.orders.len(),
        seen.revoked.len()
    );
    audit_log_survived(d, db_url, &db, &seen).await;
    db.close().await;
}

/// The sequencers killed with their nodes lost nothing: the restarted node sequences every event
/// (the answered orders' included) and signs them; `santepki audit verify` recomputes the tree.
async fn audit_log_survived(d: &Path, db_url: &str, db: &Db, seen: &Seen) {
    use santepki_storage::audit::{self, log};
    let waited = Instant::now();
    loop {
        let size = log::tree_size(db.pool()).await.unwrap();
        let signed = log::latest_checkpoint(db.pool()).await.unwrap().map_or(0, |c| c.tree_size as u64);
        if log::unsequenced_count(db.pool()).await.unwrap() == 0 && signed == size && size > 0 {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(90),
            "the audit log did not catch up: {size} leaves, {signed} signed"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    for a in &seen.orders {
        let events = audit::events_for(db.pool(), &format!("certificate:{}", a.serial)).await.unwrap();
        let issued =
            events.iter().find(|e| e.action == "certificate.issued").unwrap_or_else(|| panic!("{a:?}: no event"));
        assert!(issued.leaf_index.is_some(), "{}: not sequenced", issued.id);
        // Written while serving an API request, on a named node.
        assert!(issued.request_id.is_some() && issued.node.is_some(), "{issued:?}");
    }
    let all = audit::search(db.pool(), &audit::EventFilter { limit: 100_000, ..Default::default() }).await.unwrap();
    for e in &all {
        let text = format!("{:?} {:?}", e.before_json, e.after_json);
        for secret in ["PRIVATE KEY", "CERTIFICATE REQUEST", "passphrase", "\"pin\""] {
            assert!(!text.contains(secret), "event {} ({}) holds {secret}: {text}", e.id, e.action);
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_santepki"))
        .args(["audit", "verify", "--json"])
        .current_dir(d)
        .env_remove("SANTEPKI_CONFIG")
        .env("SANTEPKI_DATABASE__URL", db_url)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert!(out.status.success(), "audit verify: {report} {}", String::from_utf8_lossy(&out.stderr));
    // Events written since (CRL publications) may have joined the tree.
    assert!(report["leaves"].as_u64().unwrap_or_default() >= all.len() as u64, "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_orders_and_revocations_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/orders.db", dir.path().display());
    killed_during_orders_and_revocations(&url).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_orders_and_revocations_on_postgres() {
    let url = santepki_storage::testing::postgres_url().await;
    killed_during_orders_and_revocations(&url).await;
}
