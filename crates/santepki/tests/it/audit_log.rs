//! Issue 18 end to end, as an auditor and the Agency use it: the demo platform, an order and a
//! revocation through the API (mutual TLS, curl), then `santepki audit verify` passes, `audit
//! show` finds the structure's history, `audit prove` gives a proof that `audit check-proof` and
//! an independent Python implementation accept, the log is served as C2SP tiles (entries to
//! operators only), and an edit of the database afterwards makes `audit verify` fail naming the
//! leaf.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use santepki_authority::testing::csr;
use santepki_authority::KeyAlgorithm;

use crate::demo_platform::{curl, output, plain_get, santepki, Demo};

const STRUCTURE: &str = "1750900029";
const ADMIN_CARD: &str = "2000000103";
const OPERATOR_CARD: &str = "2000000101";

#[test]
fn the_demos_audit_log_verifies_proves_and_catches_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (demo, facts) = Demo::start(d, &[("SANTEPKI_AUDIT__CHECKPOINT_SECONDS", "1")]);
    let api = facts["api_url"].as_str().unwrap();
    let http = facts["http_url"].as_str().unwrap();

    // A scenario on top of the demo's own (contracts, forms 413, habilitations, cards): an order
    // and its revocation by the vendor's administrator.
    let (der, _) = csr(KeyAlgorithm::EcdsaP256);
    let pem = der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der).unwrap();
    let order = serde_json::json!({
        "profile": "org-auth-cli", "structure": STRUCTURE, "service": "AUDIT TEST",
        "actor_email": "it@example.org", "csr": pem,
    });
    let (code, body) = curl(&facts, ADMIN_CARD, "POST", &format!("{api}/products"), Some(&order));
    assert_eq!(code, 201, "{body}");
    let product: serde_json::Value = serde_json::from_str(&body).unwrap();
    let product_id = product["product"]["id"].as_str().unwrap().to_owned();
    let (code, body) = curl(
        &facts,
        ADMIN_CARD,
        "POST",
        &format!("{api}/products/{product_id}/revocation"),
        Some(&serde_json::json!({ "reason": "superseded" })),
    );
    assert_eq!(code, 200, "{body}");

    // The serving node sequences and signs within seconds.
    let started = Instant::now();
    let checkpoint = loop {
        let (_, report, _) = output({
            let mut c = santepki(d);
            c.args(["audit", "verify", "--json"]);
            c
        });
        let report: serde_json::Value = serde_json::from_str(&report).unwrap_or_default();
        if report["unsequenced"] == 0 && report["latest_signed"] == report["leaves"] {
            let (code, note) = plain_get(&format!("{http}/audit/log/checkpoint"));
            assert_eq!(code, 200);
            let note = String::from_utf8(note).unwrap();
            if note.lines().nth(1) == report["leaves"].as_u64().map(|n| n.to_string()).as_deref() {
                break note;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no checkpoint covers the order's events: {report}");
        std::thread::sleep(Duration::from_millis(300));
    };
    let key = {
        let (code, key) = plain_get(&format!("{http}/audit/log/key"));
        assert_eq!(code, 200);
        String::from_utf8(key).unwrap().trim().to_owned()
    };
    let (code, out, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "key"]);
        c
    });
    assert_eq!((code, out.trim()), (0, key.as_str()), "{err}");

    // verify passes; with the checkpoint saved as a mirror would, too.
    let mirror = d.join("mirror.checkpoint");
    std::fs::write(&mirror, &checkpoint).unwrap();
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "verify", "--verifier-key", &key, "--known"]).arg(&mirror);
        c
    });
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("audit log verified"), "{err}");

    // The structure's history: the order's events, with the request and the node that wrote them.
    let (code, out, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "show", "--structure", STRUCTURE, "--action", "certificate.", "--json"]);
        c
    });
    assert_eq!(code, 0, "{err}");
    let issued: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["action"] == "certificate.pending" && e["actor"] == format!("card:{ADMIN_CARD}"))
        .collect();
    assert!(!issued.is_empty(), "{out}");
    let event = issued.last().unwrap();
    assert!(event["request_id"].is_string() && event["node"].is_string(), "{event}");

    // Prove it; the proof checks in Rust and in Python (RFC 9162 and C2SP, written apart).
    let (code, proof, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "prove", event["id"].as_str().unwrap()]);
        c
    });
    assert_eq!(code, 0, "{err}");
    let proof_file = d.join("proof.json");
    std::fs::write(&proof_file, &proof).unwrap();
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "check-proof", "--verifier-key", &key]).arg(&proof_file);
        c
    });
    assert_eq!(code, 0, "{err}");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = Command::new(root.join("target/test-venv/bin/python"))
        .arg(root.join("scripts/audit_check_proof.py"))
        .arg(&proof_file)
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        python.status.success(),
        "{}{}",
        String::from_utf8_lossy(&python.stdout),
        String::from_utf8_lossy(&python.stderr)
    );

    // Tiles: hashes for anyone, entries for operators only.
    let (code, tile) = plain_get(&format!("{http}/audit/log/tile/0/000.p/2"));
    assert_eq!((code, tile.len()), (200, 64));
    let (code, body) = plain_get(&format!("{http}/audit/log/tile/entries/000.p/2"));
    assert_eq!(code, 401, "{}", String::from_utf8_lossy(&body));
    let portal = facts["portal_url"].as_str().unwrap();
    let (code, _) = curl(&facts, ADMIN_CARD, "GET", &format!("{portal}/audit/log/tile/entries/000.p/2"), None);
    assert_eq!(code, 403);
    let (code, body) = curl(&facts, OPERATOR_CARD, "GET", &format!("{portal}/audit/log/tile/entries/000.p/2"), None);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("audit.log.created") || body.contains("\"action\""), "{body}");
    // The back office's search: operators only.
    let url = format!("{api}/audit/events?mentions={STRUCTURE}&action=product.");
    let (code, _) = curl(&facts, ADMIN_CARD, "GET", &url, None);
    assert_eq!(code, 403);
    let (code, body) = curl(&facts, OPERATOR_CARD, "GET", &url, None);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(&product_id), "{body}");
    let (code, body) = curl(&facts, OPERATOR_CARD, "GET", &format!("{api}/audit/events?since=yesterday"), None);
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("\"field\":\"since\""), "{body}");

    // Someone with write access to the database edits who revoked the certificate.
    drop(demo);
    let leaf = event["leaf_index"].as_i64().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}/santepki-demo/santepki.db", d.display());
        let db = santepki_storage::Db::connect(&url).await.unwrap();
        santepki_storage::testing::audit_edit_leaf(&db, leaf, "certificate.never_issued").await;
        db.close().await;
    });
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "verify"]);
        c
    });
    assert_eq!(code, 4, "{err}");
    assert!(err.contains(&format!("leaf {leaf}:")) && err.contains(event["id"].as_str().unwrap()), "{err}");
    // The proof made before still checks: it is about the signed past, not the edited row.
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["audit", "check-proof", "--verifier-key", &key]).arg(&proof_file);
        c
    });
    assert_eq!(code, 0, "{err}");
}
