//! What the CA publishes, judged by independent validators: pkilint (RFC 5280 linting of every
//! certificate, CRL and OCSP response), pyhanko-certvalidator (path validation fetching OCSP and
//! CRLs over HTTP from the URLs in the certificates, tests/ca_validate.py) and the openssl
//! command line (verify, ocsp, CRL checks).
//!
//! One platform per CA key type (RSA 4096 with RSA 2048 subscriber keys, P-256 with P-256
//! subscriber keys), built once through the real binary and shared by the tests: directory
//! generate + import (SQLite), `ca init`, one certificate per profile, revocations, `ca crl`,
//! `serve` on a free port (the certificates' CDP/AIA/OCSP URLs point to it). Revoked
//! certificates:
//! - `revoked-in-full`: pro-auth, revoked (keyCompromise) before `ca crl`: in the full CRL of
//!   ACI-EL-ORG;
//! - `revoked-in-delta`: card-auth, revoked (affiliationChanged) after `ca crl`: only in the delta
//!   CRL of ACI-EL-PP that `serve` publishes at start (its scheduler sees the dirty flag);
//! - `revoked-while-serving`: org-auth-cli, revoked by the openssl test while `serve` runs (the
//!   OCSP answer changes within the node cache's lifetime).
//!
//! Needs openssl and the test virtualenv `target/test-venv` with pkilint and
//! pyhanko-certvalidator (scripts/install-deps.sh creates it from scripts/requirements-test.txt).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::Certificate;

/// CA ids, root first.
const ROOT: &str = "ACR-EL";
const ORG: &str = "ACI-EL-ORG";
const PP: &str = "ACI-EL-PP";
const CAS: [&str; 3] = [ROOT, ORG, PP];

/// Directory identifiers of the generated demo directory (crates/directory/src/generate/seed_cases.rs).
const CHU_NICE: &str = "1060785011";
const TEST_PS: &str = "899700270616";
const TEST_PS_PRACTICE: &str = "499700270616029";
const TEST_PS_OTHER_PRACTICE: &str = "499700270616011";
const TEST_PS_CARD: &str = "8000000001";
const PHARMACIST_CARD: &str = "8000000010";
const SERV_SSL_DNS: &str = "proxy.chu-nice.fr";

/// How long a node may keep serving an OCSP answer after another process changed it (its cache
/// lives 2 s), with margin for a loaded machine.
const OCSP_PROPAGATION: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KeyType {
    Rsa,
    P256,
}

/// How a certificate of the platform was revoked, if it was.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Revocation {
    None,
    InFullCrl,
    InDeltaCrl,
    /// Revoked by the openssl test while serving; other tests leave it alone.
    WhileServing,
}

#[derive(Debug)]
struct Issued {
    name: &'static str,
    profile: &'static str,
    issuer: &'static str,
    pem: PathBuf,
    serial: String,
    cert: Certificate,
    revocation: Revocation,
    /// The reason given to `santepki ca revoke` (its name) and as pyhanko/asn1crypto spell it.
    reason: Option<(&'static str, &'static str)>,
}

struct Platform {
    key_type: KeyType,
    dir: PathBuf,
    port: u16,
    /// CA certificates (PEM), root first, in CAS order.
    ca_pems: Vec<PathBuf>,
    cas: Vec<Certificate>,
    bundle: PathBuf,
    issued: Vec<Issued>,
    /// Full and delta CRLs as served over HTTP once the platform was ready: (CA id, delta?, DER file).
    crls: Vec<(&'static str, bool, PathBuf)>,
    /// The watchdog, its stdin kept open: when this test process exits (or the platform is
    /// dropped after a failed build), the pipe closes and the watchdog stops `serve` and removes
    /// the folder.
    _watchdog: Child,
}

impl Platform {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn ca_pem(&self, id: &str) -> &Path {
        &self.ca_pems[CAS.iter().position(|c| *c == id).unwrap()]
    }

    fn get(&self, name: &str) -> &Issued {
        self.issued.iter().find(|i| i.name == name).unwrap_or_else(|| panic!("no certificate {name}"))
    }

    fn label(&self) -> &'static str {
        match self.key_type {
            KeyType::Rsa => "rsa4096 CA",
            KeyType::P256 => "p256 CA",
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn venv_bin(tool: &str) -> PathBuf {
    let path = workspace_root().join("target/test-venv/bin").join(tool);
    assert!(
        path.exists(),
        "{} is missing: run scripts/install-deps.sh (it creates the test virtualenv target/test-venv with scripts/requirements-test.txt)",
        path.display()
    );
    path
}

fn santepki(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_santepki"));
    c.current_dir(dir)
        .env_remove("SANTEPKI_CONFIG")
        .env_remove("SANTEPKI_DATABASE__URL")
        .env_remove("SANTEPKI_HTTP__LISTEN")
        .env_remove("SANTEPKI_CA__PUBLIC_URL")
        .env("SANTEPKI_LOG", "warn");
    c
}

fn run(mut c: Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = c.output().unwrap_or_else(|e| panic!("run {c:?}: {e}"));
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn ok(c: Command) -> String {
    let what = format!("{c:?}");
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{what} failed:\n{out}\n{err}");
    out
}

fn openssl() -> Command {
    Command::new("openssl")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn read_cert(path: &Path) -> Certificate {
    let pem = std::fs::read_to_string(path).unwrap();
    let (label, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, "CERTIFICATE", "{}", path.display());
    Certificate::from_der(&der).unwrap()
}

fn revoked_serials(crl: &CertificateList) -> Vec<String> {
    crl.tbs_cert_list
        .revoked_certificates
        .iter()
        .flatten()
        .map(|r| santepki_authority::x509::serial_hex(&r.serial_number))
        .collect()
}

fn is_delta(crl: &CertificateList) -> bool {
    const DELTA_CRL_INDICATOR: der::asn1::ObjectIdentifier = der::asn1::ObjectIdentifier::new_unwrap("2.5.29.27");
    crl.tbs_cert_list.crl_extensions.iter().flatten().any(|e| e.extn_id == DELTA_CRL_INDICATOR)
}

fn crl_url(base: &str, ca: &str, delta: bool) -> String {
    format!("{base}/crl/{ca}{}.crl", if delta { "-delta" } else { "" })
}

fn fetch(url: &str) -> Vec<u8> {
    let r = reqwest::blocking::get(url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    r.bytes().unwrap().to_vec()
}

/// Builds a platform: see the module documentation.
fn build(key_type: KeyType) -> Platform {
    for tool in ["lint_pkix_cert", "lint_crl", "lint_ocsp_response", "lint_pkix_signer_signee_cert_chain", "python"] {
        venv_bin(tool);
    }
    assert!(
        openssl().arg("version").output().is_ok_and(|o| o.status.success()),
        "openssl is missing: run scripts/install-deps.sh"
    );
    let started = Instant::now();
    let dir = tempfile::Builder::new().prefix("santepki-ca-validators-").tempdir().unwrap().keep();
    // A watchdog stops `serve` (its pid in serve.pid) and removes the folder when this test
    // process exits (its stdin, a pipe from this process, closes), even after a failure.
    // SANTEPKI_TEST_KEEP_DIR=1 keeps the folder, to look into a failure.
    let keep = std::env::var_os("SANTEPKI_TEST_KEEP_DIR").is_some_and(|v| v == "1");
    let watchdog = Command::new("sh")
        .args([
            "-c",
            "read -r _ignored; if [ -f \"$1/serve.pid\" ]; then kill \"$(cat \"$1/serve.pid\")\"; sleep 1; fi; [ \"$2\" = keep ] || rm -rf \"$1\"",
            "watchdog",
        ])
        .arg(&dir)
        .arg(if keep { "keep" } else { "remove" })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = free_port();
    let ca_algorithm = match key_type {
        KeyType::Rsa => "rsa4096",
        KeyType::P256 => "p256",
    };
    std::fs::write(
        dir.join("santepki.toml"),
        format!(
            "[database]\nurl = \"sqlite://santepki.db\"\n[directory]\nidentifiers = \"test\"\n[http]\nlisten = \"127.0.0.1:{port}\"\n\
             [ldap]\nlisten = \"127.0.0.1:0\"\n[portal]\nlisten = \"127.0.0.1:0\"\n[ca]\nkey_passphrase = \"validators passphrase\"\nkey_algorithm = \"{ca_algorithm}\"\n"
        ),
    )
    .unwrap();
    let mut c = santepki(&dir);
    c.args(["directory", "generate", "--out", "dir"]);
    ok(c);
    let mut c = santepki(&dir);
    c.args(["directory", "import", "dir", "--quiet"]);
    ok(c);
    let mut c = santepki(&dir);
    c.args(["ca", "init"]);
    ok(c);
    let bundle = dir.join("bundle.pem");
    let mut c = santepki(&dir);
    c.args(["ca", "show", "--bundle"]).arg(&bundle);
    ok(c);
    // Split the bundle (root first) into one PEM per CA.
    let text = std::fs::read_to_string(&bundle).unwrap();
    let blocks: Vec<String> = text
        .split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("BEGIN"))
        .map(str::to_owned)
        .collect();
    assert_eq!(blocks.len(), 3, "the bundle holds the three CA certificates:\n{text}");
    let mut ca_pems = Vec::new();
    let mut cas = Vec::new();
    for (id, block) in CAS.iter().zip(&blocks) {
        let path = dir.join(format!("{id}.pem"));
        std::fs::write(&path, block.trim_start()).unwrap();
        let cert = read_cert(&path);
        assert!(
            cert.tbs_certificate.subject.to_string().contains(match *id {
                ROOT => "RACINE",
                ORG => "ORGANISATIONS",
                _ => "PERSONNES",
            }),
            "{id}: {}",
            cert.tbs_certificate.subject
        );
        ca_pems.push(path);
        cas.push(cert);
    }

    // One certificate per profile, and the ones to revoke. Each has its own key (R37).
    struct Request {
        name: &'static str,
        profile: &'static str,
        args: Vec<&'static str>,
        revocation: Revocation,
        reason: Option<(&'static str, &'static str)>,
    }
    let req = |name, profile, args: &[&'static str]| Request {
        name,
        profile,
        args: args.to_vec(),
        revocation: Revocation::None,
        reason: None,
    };
    let mut requests = vec![
        req("org-auth-cli", "org-auth-cli", &["--structure", CHU_NICE, "--service", "DMP AUTHENTIFICATION"]),
        req("org-sign", "org-sign", &["--structure", CHU_NICE, "--service", "DMP SIGNATURE"]),
        req("org-conf", "org-conf", &["--structure", CHU_NICE, "--service", "DMP CONFIDENTIALITE"]),
        req("serv-ssl", "serv-ssl", &["--structure", CHU_NICE, "--dns", SERV_SSL_DNS]),
        req(
            "serv-smime",
            "serv-smime",
            &["--structure", CHU_NICE, "--service", "DMP MESSAGERIE", "--email", "dmp@chu-nice.fr"],
        ),
        req("pro-auth", "pro-auth", &["--structure", TEST_PS_PRACTICE, "--ps", TEST_PS]),
        req("pro-sign", "pro-sign", &["--structure", TEST_PS_PRACTICE, "--ps", TEST_PS]),
        // The key generated by the CA and delivered as PKCS#12 (the other profiles send a CSR).
        req("pro-conf", "pro-conf", &["--structure", TEST_PS_PRACTICE, "--ps", TEST_PS, "--generate"]),
        req("card-auth", "card-auth", &["--card", TEST_PS_CARD]),
    ];
    requests.push(Request {
        revocation: Revocation::InFullCrl,
        reason: Some(("keyCompromise", "key_compromise")),
        ..req("revoked-in-full", "pro-auth", &["--structure", TEST_PS_OTHER_PRACTICE, "--ps", TEST_PS])
    });
    requests.push(Request {
        revocation: Revocation::InDeltaCrl,
        reason: Some(("affiliationChanged", "affiliation_changed")),
        ..req("revoked-in-delta", "card-auth", &["--card", PHARMACIST_CARD])
    });
    requests.push(Request {
        revocation: Revocation::WhileServing,
        reason: Some(("cessationOfOperation", "cessation_of_operation")),
        ..req(
            "revoked-while-serving",
            "org-auth-cli",
            &["--structure", CHU_NICE, "--service", "DMP AUTHENTIFICATION SECOURS"],
        )
    });

    let mut issued = Vec::new();
    for r in requests {
        let pem = dir.join(format!("{}.pem", r.name));
        let mut c = santepki(&dir);
        c.args(["ca", "issue", "--profile", r.profile]).args(r.args.iter().filter(|a| **a != "--generate"));
        if r.args.contains(&"--generate") {
            // --passphrase-file: $SANTEPKI_P12_PASSPHRASE, which `ca issue --help` offers, is
            // refused by the configuration loader (an unknown SANTEPKI_* key).
            let passphrase = dir.join("p12-passphrase");
            std::fs::write(&passphrase, "p12 passphrase\n").unwrap();
            c.args([
                "--generate",
                "--key-algorithm",
                if key_type == KeyType::Rsa { "rsa2048" } else { "p256" },
                "--p12-out",
            ])
            .arg(dir.join(format!("{}.p12", r.name)))
            .arg("--passphrase-file")
            .arg(&passphrase);
        } else {
            let csr = dir.join(format!("{}.csr", r.name));
            let mut o = openssl();
            o.args(["req", "-new", "-nodes", "-subj", "/CN=ignored", "-keyout"])
                .arg(dir.join(format!("{}.key", r.name)))
                .arg("-out")
                .arg(&csr);
            match key_type {
                KeyType::Rsa => o.args(["-newkey", "rsa:2048"]),
                KeyType::P256 => o.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            };
            ok(o);
            c.arg("--csr").arg(&csr);
        }
        c.arg("--out").arg(&pem);
        ok(c);
        let cert = read_cert(&pem);
        let serial = santepki_authority::x509::serial_hex(&cert.tbs_certificate.serial_number);
        let issuer = if r.profile == "card-auth" { PP } else { ORG };
        issued.push(Issued {
            name: r.name,
            profile: r.profile,
            issuer,
            pem,
            serial,
            cert,
            revocation: r.revocation,
            reason: r.reason,
        });
    }

    let revoke = |i: &Issued| {
        let mut c = santepki(&dir);
        c.args(["ca", "revoke", "--serial", &i.serial, "--reason", i.reason.unwrap().0]);
        ok(c);
    };
    for i in issued.iter().filter(|i| i.revocation == Revocation::InFullCrl) {
        revoke(i);
    }
    let mut c = santepki(&dir);
    c.args(["ca", "crl"]);
    ok(c);
    for i in issued.iter().filter(|i| i.revocation == Revocation::InDeltaCrl) {
        revoke(i);
    }

    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let mut c = santepki(&dir);
    c.arg("serve").stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log);
    let mut serve = c.spawn().unwrap();
    std::fs::write(dir.join("serve.pid"), serve.id().to_string()).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = serve.try_wait().unwrap() {
            panic!(
                "santepki serve exited with {status}:\n{}",
                std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
            );
        }
        if reqwest::blocking::get(format!("{base}/ca/bundle.pem")).is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(Instant::now() < deadline, "santepki serve did not answer on {base}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The scheduler publishes the delta CRL of ACI-EL-PP at start (a revocation since its last CRL).
    let in_delta = issued.iter().find(|i| i.revocation == Revocation::InDeltaCrl).unwrap();
    loop {
        let crl = CertificateList::from_der(&fetch(&crl_url(&base, PP, true))).unwrap();
        if revoked_serials(&crl).contains(&in_delta.serial) {
            break;
        }
        assert!(Instant::now() < deadline, "the delta CRL of {PP} never listed {}", in_delta.serial);
        std::thread::sleep(Duration::from_millis(200));
    }
    std::fs::create_dir_all(dir.join("crl")).unwrap();
    let mut crls = Vec::new();
    for ca in CAS {
        for delta in [false, true] {
            let der = fetch(&crl_url(&base, ca, delta));
            let parsed = CertificateList::from_der(&der).unwrap();
            assert_eq!(is_delta(&parsed), delta, "{ca} delta={delta}: DeltaCRLIndicator");
            let path = dir.join("crl").join(format!("{ca}{}.crl", if delta { "-delta" } else { "" }));
            std::fs::write(&path, &der).unwrap();
            crls.push((ca, delta, path));
        }
    }
    eprintln!("{ca_algorithm} platform ready in {:.1?} at {base} ({})", started.elapsed(), dir.display());
    Platform { key_type, dir, port, ca_pems, cas, bundle, issued, crls, _watchdog: watchdog }
}

/// The platform of a key type, built by the first test that asks; a failed build fails every
/// test of that key type with its message, without building again.
fn platform(key_type: KeyType) -> &'static Platform {
    static RSA: OnceLock<Result<Platform, String>> = OnceLock::new();
    static P256: OnceLock<Result<Platform, String>> = OnceLock::new();
    let cell = match key_type {
        KeyType::Rsa => &RSA,
        KeyType::P256 => &P256,
    };
    let built = cell.get_or_init(|| {
        std::panic::catch_unwind(|| build(key_type)).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default()
        })
    });
    match built {
        Ok(p) => p,
        Err(e) => panic!("the {key_type:?} platform could not be built: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// R34, R23: validity and issuing CA of every profile.

fn validity_and_issuers(p: &Platform) {
    let root = &p.cas[0];
    for i in &p.issued {
        let tbs = &i.cert.tbs_certificate;
        let ca = &p.cas[CAS.iter().position(|c| *c == i.issuer).unwrap()];
        // R23: CPx card certificates come from the PERSONNES CA, the ORG/SERV/PRO offers from ORGANISATIONS.
        assert_eq!(tbs.issuer, ca.tbs_certificate.subject, "{} ({}): issuer", i.name, p.label());
        // R34: three years (1,095 or 1,096 days with a leap day), never more.
        let from = tbs.validity.not_before.to_unix_duration();
        let to = tbs.validity.not_after.to_unix_duration();
        let days = (to - from).as_secs() / 86_400;
        assert!((3 * 365 - 1..=3 * 365 + 1).contains(&days), "{} ({}): R34 validity of {days} days", i.name, p.label());
        assert!(to <= ca.tbs_certificate.validity.not_after.to_unix_duration(), "{}: outlives its CA", i.name);
    }
    for ca in &p.cas[1..] {
        assert_eq!(ca.tbs_certificate.issuer, root.tbs_certificate.subject);
    }
}

#[test]
fn every_profile_is_issued_by_its_offer_ca_for_three_years_r34_rsa4096_ca() {
    validity_and_issuers(platform(KeyType::Rsa));
}

#[test]
fn every_profile_is_issued_by_its_offer_ca_for_three_years_r34_p256_ca() {
    validity_and_issuers(platform(KeyType::P256));
}

// ---------------------------------------------------------------------------------------------
// pkilint.

/// One pkilint finding.
struct Finding {
    document: String,
    severity: String,
    code: String,
    node: String,
    message: String,
}

/// Runs a pkilint tool in JSON mode (every severity down to DEBUG) and returns its findings.
fn pkilint(tool: &str, args: &[&str], files: &[&Path], document: &str) -> Vec<Finding> {
    let mut c = Command::new(venv_bin(tool));
    c.arg("lint").args(args).args(["--format", "JSON", "--severity", "DEBUG"]).args(files);
    let what = format!("{c:?}");
    let (code, out, err) = run(c);
    let json: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("{what} (exit {code}) did not print a JSON report ({e}):\n{out}\n{err}"));
    let mut findings = Vec::new();
    for result in json["results"].as_array().unwrap_or_else(|| panic!("{what}: {json}")) {
        for f in result["finding_descriptions"].as_array().unwrap() {
            findings.push(Finding {
                document: document.to_owned(),
                severity: f["severity"].as_str().unwrap_or("?").to_owned(),
                code: f["code"].as_str().unwrap_or("?").to_owned(),
                node: result["node_path"].as_str().unwrap_or("?").to_owned(),
                message: f["message"].as_str().unwrap_or("").to_owned(),
            });
        }
    }
    findings
}

/// An OCSP response from our responder, saved by openssl.
fn ocsp_response(p: &Platform, issuer: &str, target: &[&str], out: &Path) {
    let mut c = openssl();
    c.args(["ocsp", "-issuer"])
        .arg(p.ca_pem(issuer))
        .args(target)
        .args(["-url", &format!("{}/ocsp", p.url()), "-CAfile"])
        .arg(&p.bundle);
    c.arg("-respout").arg(out);
    ok(c);
}

fn pkilint_everything(p: &Platform) {
    let dir = p.dir.join(format!("pkilint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // (tool, arguments, files, document name)
    let mut jobs: Vec<(&str, Vec<&str>, Vec<PathBuf>, String)> = Vec::new();
    for (id, pem) in CAS.iter().zip(&p.ca_pems) {
        jobs.push(("lint_pkix_cert", vec![], vec![pem.clone()], format!("CA certificate {id}")));
    }
    for i in &p.issued {
        jobs.push(("lint_pkix_cert", vec![], vec![i.pem.clone()], format!("{} certificate ({})", i.name, i.profile)));
    }
    // Issuer/subject pairs (names, key identifiers, signature algorithms): the root and each
    // issuing CA, each issuing CA and one of its end entities.
    for (id, pem) in CAS.iter().zip(&p.ca_pems).skip(1) {
        jobs.push((
            "lint_pkix_signer_signee_cert_chain",
            vec![],
            vec![p.ca_pems[0].clone(), pem.clone()],
            format!("chain {ROOT} -> {id}"),
        ));
    }
    for issuer in [ORG, PP] {
        let i = p.issued.iter().find(|i| i.issuer == issuer).unwrap();
        jobs.push((
            "lint_pkix_signer_signee_cert_chain",
            vec![],
            vec![p.ca_pem(issuer).to_path_buf(), i.pem.clone()],
            format!("chain {issuer} -> {}", i.name),
        ));
    }
    // CRLs as served over HTTP. The root's CRLs cover CA certificates only: an ARL for pkilint.
    // pkilint has no delta option: it recognises a delta CRL by its DeltaCRLIndicator (checked
    // when the CRLs were fetched).
    for (ca, delta, path) in &p.crls {
        let kind = if *ca == ROOT { "ARL" } else { "CRL" };
        jobs.push((
            "lint_crl",
            vec!["--type", kind, "--profile", "PKIX"],
            vec![path.clone()],
            format!("{} CRL of {ca} ({kind})", if *delta { "delta" } else { "full" }),
        ));
    }
    // OCSP responses: good (each issuing CA), revoked, unknown serial.
    let mut ocsp = Vec::new();
    for issuer in [ORG, PP] {
        let i = p.issued.iter().find(|i| i.issuer == issuer && i.revocation == Revocation::None).unwrap();
        ocsp.push((
            issuer,
            vec!["-cert".to_owned(), i.pem.display().to_string()],
            format!("OCSP response good for {}", i.name),
        ));
    }
    let revoked = p.get("revoked-in-full");
    ocsp.push((
        revoked.issuer,
        vec!["-cert".to_owned(), revoked.pem.display().to_string()],
        "OCSP response revoked for revoked-in-full".into(),
    ));
    ocsp.push((ORG, vec!["-serial".to_owned(), "0x1234".to_owned()], "OCSP response unknown for serial 0x1234".into()));
    for (n, (issuer, target, name)) in ocsp.into_iter().enumerate() {
        let out = dir.join(format!("ocsp-{n}.der"));
        let target: Vec<&str> = target.iter().map(String::as_str).collect();
        ocsp_response(p, issuer, &target, &out);
        jobs.push(("lint_ocsp_response", vec![], vec![out], name));
    }

    // Two at a time: each is a Python process.
    let mut findings = Vec::new();
    for chunk in jobs.chunks(2) {
        let results: Vec<Vec<Finding>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|(tool, args, files, name)| {
                    s.spawn(move || {
                        let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
                        pkilint(tool, args, &files, name)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        findings.extend(results.into_iter().flatten());
    }
    // Every finding, grouped: the same finding on many certificates prints once.
    println!("pkilint ({}): {} documents, {} findings", p.label(), jobs.len(), findings.len());
    let mut grouped: Vec<(String, Vec<&str>)> = Vec::new();
    for f in &findings {
        let key = format!("[{}] {} @ {} {}", f.severity, f.code, f.node, f.message);
        match grouped.iter_mut().find(|(k, _)| *k == key) {
            Some((_, docs)) => docs.push(&f.document),
            None => grouped.push((key, vec![&f.document])),
        }
    }
    for (finding, docs) in &grouped {
        println!("  {finding}\n      on {}", docs.join(", "));
    }
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == "ERROR" || f.severity == "FATAL")
        .map(|f| format!("{}: {} {} @ {} {}", f.document, f.severity, f.code, f.node, f.message))
        .collect();
    assert!(errors.is_empty(), "pkilint ({}) reports {} error(s):\n{}", p.label(), errors.len(), errors.join("\n"));
}

#[test]
fn pkilint_finds_no_error_in_certificates_of_every_profile_cas_crls_and_ocsp_rsa4096_ca() {
    pkilint_everything(platform(KeyType::Rsa));
}

#[test]
fn pkilint_finds_no_error_in_certificates_of_every_profile_cas_crls_and_ocsp_p256_ca() {
    pkilint_everything(platform(KeyType::P256));
}

// ---------------------------------------------------------------------------------------------
// pyhanko-certvalidator (tests/ca_validate.py).

fn pyhanko(p: &Platform) {
    let python = venv_bin("python");
    let certificates: Vec<serde_json::Value> = p
        .issued
        .iter()
        .filter(|i| i.revocation != Revocation::WhileServing)
        .map(|i| {
            serde_json::json!({
                "name": i.name,
                "profile": i.profile,
                "path": i.pem,
                "issuer": i.issuer,
                "revoked": i.reason.map(|(_, reason)| serde_json::json!({
                    "in": if i.revocation == Revocation::InFullCrl { "full" } else { "delta" },
                    "reason": reason,
                })),
                "dns": if i.profile == "serv-ssl" { vec![SERV_SSL_DNS] } else { vec![] },
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "cas": CAS.iter().zip(&p.ca_pems).map(|(id, pem)| serde_json::json!({"id": id, "path": pem})).collect::<Vec<_>>(),
        "certificates": certificates,
    });
    let path = p.dir.join(format!("pyhanko-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    let out = Command::new(&python)
        .arg(workspace_root().join("crates/santepki/tests/ca_validate.py"))
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "ca_validate.py ({}) failed ({}):\n{stderr}", p.label(), out.status);
    assert!(stdout.contains("pyhanko checks ok"), "{stdout}\n{stderr}");
}

#[test]
fn pyhanko_validates_every_profile_and_rejects_revoked_ones_through_our_ocsp_and_crls_rsa4096_ca() {
    pyhanko(platform(KeyType::Rsa));
}

#[test]
fn pyhanko_validates_every_profile_and_rejects_revoked_ones_through_our_ocsp_and_crls_p256_ca() {
    pyhanko(platform(KeyType::P256));
}

// ---------------------------------------------------------------------------------------------
// openssl.

/// `openssl verify`: (success, output).
fn verify(ca_file: &Path, extra: &[&str], cert: &Path) -> (bool, String) {
    let mut c = openssl();
    c.arg("verify").arg("-CAfile").arg(ca_file).args(extra).arg(cert);
    let (code, out, err) = run(c);
    (code == 0, format!("{out}{err}"))
}

/// The status line of `openssl ocsp` for a certificate (or serial): "good", "revoked", "unknown".
fn ocsp_status(p: &Platform, issuer: &str, target: &[&str]) -> (String, String) {
    let mut c = openssl();
    c.args(["ocsp", "-issuer"])
        .arg(p.ca_pem(issuer))
        .args(target)
        .args(["-url", &format!("{}/ocsp", p.url()), "-CAfile"])
        .arg(&p.bundle);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "openssl ocsp {target:?}:\n{out}\n{err}");
    assert!(
        err.contains("Response verify OK"),
        "openssl ocsp {target:?}: the response signature does not verify:\n{out}\n{err}"
    );
    let status = out.lines().next().and_then(|l| l.rsplit(": ").next()).unwrap_or_default().trim().to_owned();
    (status, out)
}

/// Polls `openssl ocsp` until the status is `want` (an answer changed by another process may be
/// cached by the node for a short while).
fn wait_ocsp_status(p: &Platform, issuer: &str, target: &[&str], want: &str) -> String {
    let deadline = Instant::now() + OCSP_PROPAGATION;
    loop {
        let (status, out) = ocsp_status(p, issuer, target);
        if status == want {
            return out;
        }
        assert!(Instant::now() < deadline, "OCSP ({}) for {target:?}: {status}, expected {want}:\n{out}", p.label());
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn pem_crl(der: &[u8]) -> String {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, der).unwrap()
}

fn openssl_checks(p: &Platform) {
    let work = p.dir.join(format!("openssl-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let bundle_text = std::fs::read_to_string(&p.bundle).unwrap();
    let crl_der = |ca: &str, delta: bool| {
        std::fs::read(&p.crls.iter().find(|(c, d, _)| *c == ca && *d == delta).unwrap().2).unwrap()
    };
    // bundle + full CRLs, and bundle + full and delta CRLs.
    let with_full = work.join("bundle+crl.pem");
    let with_deltas = work.join("bundle+crl+delta.pem");
    let mut text = bundle_text.clone();
    for ca in CAS {
        text.push_str(&pem_crl(&crl_der(ca, false)));
    }
    std::fs::write(&with_full, &text).unwrap();
    for ca in CAS {
        text.push_str(&pem_crl(&crl_der(ca, true)));
    }
    std::fs::write(&with_deltas, &text).unwrap();

    for i in &p.issued {
        let cert = i.pem.as_path();
        // The chain, for the purpose of the profile.
        let purpose: &[&str] = match i.profile {
            "serv-ssl" => &["-purpose", "sslserver", "-verify_hostname", SERV_SSL_DNS],
            "org-auth-cli" | "pro-auth" | "card-auth" => &["-purpose", "sslclient"],
            "org-sign" | "pro-sign" | "serv-smime" => &["-purpose", "smimesign"],
            // openssl's smimeencrypt purpose asks for keyEncipherment, which an EC key cannot have
            // (it gets keyAgreement): only RSA keys are checked for it.
            "org-conf" | "pro-conf" if p.key_type == KeyType::Rsa => &["-purpose", "smimeencrypt"],
            _ => &[],
        };
        let (good, out) = verify(&p.bundle, purpose, cert);
        assert!(good && out.contains(": OK"), "{} ({}): openssl verify {purpose:?}:\n{out}", i.name, p.label());

        // CRLs fetched over HTTP: the end entity's CA (-crl_check), then the whole chain
        // (-crl_check_all: the root's ARL covers the issuing CAs).
        let (good_crl, out_crl) = verify(&with_full, &["-crl_check"], cert);
        let (good_all, out_all) = verify(&with_full, &["-crl_check_all"], cert);
        let (good_delta, out_delta) = verify(&with_deltas, &["-crl_check_all", "-use_deltas"], cert);
        let revoked_msg = |out: &str| out.contains("error 23") && out.contains("certificate revoked");
        match i.revocation {
            Revocation::None | Revocation::WhileServing => {
                assert!(good_crl, "{} ({}): -crl_check:\n{out_crl}", i.name, p.label());
                assert!(good_all, "{} ({}): -crl_check_all:\n{out_all}", i.name, p.label());
                assert!(good_delta, "{} ({}): -crl_check_all -use_deltas:\n{out_delta}", i.name, p.label());
            }
            Revocation::InFullCrl => {
                assert!(!good_crl && revoked_msg(&out_crl), "{} ({}): -crl_check:\n{out_crl}", i.name, p.label());
                assert!(!good_all && revoked_msg(&out_all), "{} ({}): -crl_check_all:\n{out_all}", i.name, p.label());
                assert!(
                    !good_delta && revoked_msg(&out_delta),
                    "{} ({}): -use_deltas:\n{out_delta}",
                    i.name,
                    p.label()
                );
            }
            Revocation::InDeltaCrl => {
                // Revoked after the full CRL: only the delta CRL knows.
                assert!(good_crl, "{} ({}): not in the full CRL, yet -crl_check says:\n{out_crl}", i.name, p.label());
                assert!(
                    !good_delta && revoked_msg(&out_delta),
                    "{} ({}): -crl_check_all -use_deltas:\n{out_delta}",
                    i.name,
                    p.label()
                );
            }
        }

        // OCSP over POST (openssl ocsp), signature checked against the bundle.
        let target = ["-cert", cert.to_str().unwrap()];
        match i.revocation {
            Revocation::None => {
                wait_ocsp_status(p, i.issuer, &target, "good");
            }
            Revocation::InFullCrl | Revocation::InDeltaCrl => {
                let out = wait_ocsp_status(p, i.issuer, &target, "revoked");
                let reason = i.reason.unwrap().0;
                assert!(
                    out.contains(&format!("Reason: {reason}")),
                    "{} ({}): OCSP reason {reason}:\n{out}",
                    i.name,
                    p.label()
                );
            }
            Revocation::WhileServing => {}
        }
    }

    // A serial never issued, on each issuing CA: unknown.
    for issuer in [ORG, PP] {
        wait_ocsp_status(p, issuer, &["-serial", "0x1234"], "unknown");
    }

    // OCSP over GET (RFC 6960 A.1): the base64 request, URL-encoded, in the path.
    for i in p.issued.iter().filter(|i| i.revocation == Revocation::None).take(3).chain([p.get("revoked-in-full")]) {
        let req = work.join(format!("{}.ocsp-req", i.name));
        let resp = work.join(format!("{}.ocsp-resp", i.name));
        let mut c = openssl();
        c.args(["ocsp", "-no_nonce", "-issuer"])
            .arg(p.ca_pem(i.issuer))
            .arg("-cert")
            .arg(&i.pem)
            .arg("-reqout")
            .arg(&req);
        ok(c);
        let mut c = openssl();
        c.args(["base64", "-A", "-in"]).arg(&req);
        let b64 = ok(c).trim().to_owned();
        let encoded = b64.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
        std::fs::write(&resp, fetch(&format!("{}/ocsp/{encoded}", p.url()))).unwrap();
        let mut c = openssl();
        c.args(["ocsp", "-respin"])
            .arg(&resp)
            .arg("-issuer")
            .arg(p.ca_pem(i.issuer))
            .arg("-cert")
            .arg(&i.pem)
            .arg("-CAfile")
            .arg(&p.bundle);
        let (code, out, err) = run(c);
        let want = if i.revocation == Revocation::None { ": good" } else { ": revoked" };
        assert!(
            code == 0 && err.contains("Response verify OK") && out.contains(want),
            "GET OCSP {} ({}):\n{out}\n{err}",
            i.name,
            p.label()
        );
    }

    // Revoked while serving, by another process: OCSP says so within the node cache's lifetime.
    let live = p.get("revoked-while-serving");
    let target = ["-cert", live.pem.to_str().unwrap()];
    wait_ocsp_status(p, live.issuer, &target, "good");
    let mut c = santepki(&p.dir);
    c.args(["ca", "revoke", "--serial", &live.serial, "--reason", live.reason.unwrap().0]);
    ok(c);
    let revoked_at = Instant::now();
    let out = wait_ocsp_status(p, live.issuer, &target, "revoked");
    assert!(out.contains("Reason: cessationOfOperation"), "{out}");
    println!(
        "openssl ({}): OCSP reported the revocation made by another process after {:.1?}",
        p.label(),
        revoked_at.elapsed()
    );
}

#[test]
fn openssl_verifies_every_profile_and_reads_revocations_from_our_ocsp_and_crls_rsa4096_ca() {
    openssl_checks(platform(KeyType::Rsa));
}

#[test]
fn openssl_verifies_every_profile_and_reads_revocations_from_our_ocsp_and_crls_p256_ca() {
    openssl_checks(platform(KeyType::P256));
}
