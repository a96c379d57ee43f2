//! The REST API against its own OpenAPI document (issue 5): schemathesis, a property-based API
//! fuzzer, reads `/api/v1/openapi.json` from a running `santepki demo` and sends every operation
//! generated requests (valid and invalid), with the vendor administrator's card (CPA
//! 2000000103, habilitated for 1750900029 and 1330900028), then the operator's card (CPE
//! 2000000101), then without a card on the plain HTTP listener. Every answer must be no 5xx, a
//! status the document declares, of a declared content type, and match the declared schema.
//!
//! Every operation is fuzzed; none is excluded. Ordering a certificate (`POST /products`, the
//! renewal) is cheap enough here to keep the same example budget as the others. Runs are
//! destructive (the fuzzer may withdraw habilitations, end roles, oppose cards…), which is why
//! each test starts its own demo in a temporary directory and the administrator runs first.
//!
//! Needs the test virtualenv `target/test-venv` with schemathesis (scripts/install-deps.sh) and
//! curl. Reproduce by hand with the command the test prints.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Test cases per operation and phase; with the coverage phase's own cases this is ~2,500
/// requests per card, about 30 s on an idle 2-core machine.
const MAX_EXAMPLES: &str = "20";
const SEED: &str = "20261105";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn schemathesis() -> PathBuf {
    let path = workspace_root().join("target/test-venv/bin/schemathesis");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/install-deps.sh (it creates the test virtualenv target/test-venv with scripts/requirements-test.txt)",
        path.display()
    );
    path
}

/// The demo, stopped when the test ends (pass or panic).
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_demo(dir: &Path) -> (Demo, serde_json::Value) {
    let child = Command::new(env!("CARGO_BIN_EXE_santepki"))
        .arg("demo")
        .current_dir(dir)
        .env_remove("SANTEPKI_CONFIG")
        .env_remove("SANTEPKI_DATABASE__URL")
        .env("SANTEPKI_LOG", "warn")
        .env("SANTEPKI_HTTP__LISTEN", "127.0.0.1:0")
        .env("SANTEPKI_LDAP__LISTEN", "127.0.0.1:0")
        .env("SANTEPKI_PORTAL__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start santepki demo");
    let mut demo = Demo(child);
    let facts_path = dir.join("santepki-demo/demo.json");
    let start = Instant::now();
    while !facts_path.exists() {
        if let Some(status) = demo.0.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = demo.0.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("demo exited with {status}: {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(180), "demo.json did not appear");
        std::thread::sleep(Duration::from_millis(100));
    }
    let facts = serde_json::from_slice(&std::fs::read(&facts_path).unwrap()).unwrap();
    (demo, facts)
}

struct CardFiles {
    cert: String,
    key: String,
}

fn card(facts: &serde_json::Value, number: &str) -> CardFiles {
    let c = facts["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["card_number"] == number)
        .unwrap_or_else(|| panic!("no demo card {number}: {facts}"));
    CardFiles { cert: c["cert_pem"].as_str().unwrap().into(), key: c["key_pem"].as_str().unwrap().into() }
}

/// A call of the card-authenticated API with curl (the test's own set-up, before fuzzing).
fn curl(portal: &str, server_cert: &str, card: &CardFiles, path: &str, body: Option<&str>) -> serde_json::Value {
    let mut c = Command::new("curl");
    c.args(["-sS", "--cacert", server_cert, "--cert", &card.cert, "--key", &card.key]);
    if let Some(b) = body {
        c.args(["-H", "content-type: application/json", "--data-binary", b]);
    }
    let out = c.arg(format!("{portal}{path}")).output().expect("curl (scripts/install-deps.sh installs it)");
    assert!(out.status.success(), "curl {path}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{path}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// Runs schemathesis and fails the test with its whole output unless it exits 0.
fn run_schemathesis(dir: &Path, what: &str, args: &[&str]) {
    let mut c = Command::new(schemathesis());
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .arg("--config-file")
        .arg(dir.join("schemathesis.toml"))
        .arg("run")
        .args(args)
        .args([
            "--checks",
            CHECKS,
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
            "--generation-database",
            "none",
            "--no-color",
            "--request-timeout",
            "30",
        ]);
    eprintln!("{what}: {c:?}");
    let started = Instant::now();
    let out = c.output().expect("run schemathesis");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{what}: schemathesis exited with {} in {:.0?}", out.status, started.elapsed());
    assert!(out.status.success(), "schemathesis {what} failed:\n{text}");
    // It ran something: the summary counts generated test cases, none of them failing.
    let line = text
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no summary in the output of {what}:\n{text}"));
    assert!(!line.trim_start().starts_with("0 generated") && !line.contains("failed"), "{what}: {line}\n{text}");
    eprintln!("{what}: {}", line.trim());
}

#[test]
fn the_api_answers_as_its_openapi_document_says() {
    let schemathesis_bin = schemathesis();
    let version = Command::new(&schemathesis_bin).arg("--version").output().expect("schemathesis --version");
    assert!(version.status.success() && String::from_utf8_lossy(&version.stdout).contains("version 4."), "{version:?}");

    let dir = tempfile::tempdir().unwrap();
    let (_demo, facts) = start_demo(dir.path());
    let portal = facts["portal_url"].as_str().expect("portal_url").to_owned();
    let http_url = facts["http_url"].as_str().expect("http_url").to_owned();
    let server_cert = facts["portal_certificate"].as_str().expect("portal_certificate").to_owned();
    let admin = card(&facts, "2000000103");
    let operator = card(&facts, "2000000101");

    // Real data for the fuzzer to find: a product of the administrator's (so that the product,
    // download, renewal and revocation operations get past their 404), and the ids the demo made.
    let product = curl(
        &portal,
        &server_cert,
        &admin,
        "/api/v1/products",
        Some(
            r#"{"profile":"org-sign","structure":"1750900029","service":"DMP SIGNATURE","actor_email":"admin@example.org","generate":{"passphrase":"throwaway-passphrase","algorithm":"p256"}}"#,
        ),
    );
    let product_id =
        product["product"]["id"].as_str().unwrap_or_else(|| panic!("ordering the seed product: {product}")).to_owned();
    let forms = curl(&portal, &server_cert, &admin, "/api/v1/forms413", None);
    let contracts = curl(&portal, &server_cert, &operator, "/api/v1/contracts", None);
    let mut values: Vec<String> = [
        "1750900029",
        "1330900028",
        "344306184100047",
        "2000000103",
        "2000000102",
        "8000000010",
        "8000000005",
        "810000000090",
        "810000000041",
        "admin@example.org",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.push(product_id);
    for list in [&forms["forms"], &contracts["contracts"]] {
        values.extend(list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()));
    }
    assert!(values.len() > 12, "the demo's forms and contracts: {forms} {contracts}");
    // Strings of requests are taken from these values 30 % of the time.
    let dictionary = values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ");
    std::fs::write(
        dir.path().join("schemathesis.toml"),
        format!("[dictionaries.demo]\nvalues = [{dictionary}]\n\n[generation.dictionaries]\nstring = {{ dictionary = \"demo\", probability = 0.3 }}\n"),
    )
    .unwrap();

    let document = format!("{portal}/api/v1/openapi.json");
    // The document itself: the card's mutual-TLS scheme, and a body schema for every declared
    // answer of every operation (what the checks below compare the answers with).
    let doc = curl(&portal, &server_cert, &admin, "/api/v1/openapi.json", None);
    assert_eq!(doc["components"]["securitySchemes"]["card"]["type"], "mutualTLS", "{doc}");
    let mut operations = 0;
    let mut public = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // The directory and what the CA publishes are served without a card (R45; OCSP, CRLs),
        // and so is the relying party's verification.
        let without_card =
            ["/api/v1/directory/", "/ocsp", "/crl/", "/ca/", "/api/v1/verify"].iter().any(|p| path.starts_with(p));
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            if without_card {
                public += 1;
                assert!(op.get("security").is_none(), "{method} {path} is public");
            } else {
                assert!(op["security"][0].get("card").is_some(), "{method} {path} lacks the card security requirement");
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let content = response["content"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{method} {path} {status}: no body declared"));
                assert!(content.values().all(|c| c.get("schema").is_some()), "{method} {path} {status}: no schema");
                if status.starts_with('4') {
                    assert_eq!(
                        content["application/json"]["schema"]["$ref"], "#/components/schemas/ApiError",
                        "{method} {path} {status}"
                    );
                }
            }
            assert!(without_card || op["responses"].get("401").is_some(), "{method} {path}: no 401");
        }
    }
    assert!(operations >= 50 && public == 12, "{operations} operations, {public} public");
    // The identifiers' patterns (R43).
    for id in ["Finess", "Siret", "Rpps", "RppsRang", "IdNatPs", "IdNatStruct"] {
        assert!(doc["components"]["schemas"][id]["pattern"].is_string(), "{id}: {}", doc["components"]["schemas"][id]);
    }
    for (what, card) in
        [("as the vendor's administrator (CPA 2000000103)", &admin), ("as the operator (CPE 2000000101)", &operator)]
    {
        run_schemathesis(
            dir.path(),
            what,
            &[&document, "--tls-verify", &server_cert, "--request-cert", &card.cert, "--request-cert-key", &card.key],
        );
    }
    // The same document on the plain HTTP listener: without a card every card operation must
    // answer its declared 401 `card_required` (R27), never serve data; the directory and the
    // CA's publications answer as documented.
    run_schemathesis(
        dir.path(),
        "without a card on the plain HTTP listener",
        &[&format!("{http_url}/api/v1/openapi.json"), "--phases", "examples,coverage,fuzzing"],
    );
}
