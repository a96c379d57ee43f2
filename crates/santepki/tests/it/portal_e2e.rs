//! The web portal in a real browser (issue 5): `santepki demo` on free ports, then
//! `node e2e/portal.mjs`, where Playwright (playwright-core) drives Debian's chromium with the
//! demo's cards as client certificates through the main paths — the DMP pair ordered with
//! uploaded CSRs and verified by `openssl verify` (R29, R36), an online generation whose PKCS#12
//! `openssl pkcs12` opens (R31), a revocation seen in the product table (R33) and by
//! `openssl ocsp`, a form 413 signed in the portal (R47) and validated by an operator (R24, R25).
//! Screenshots of every step go to `target/e2e-artifacts/` (or `$SANTEPKI_E2E_ARTIFACTS`).
//!
//! Needs `node`, `e2e/node_modules` and `/usr/bin/chromium`: `scripts/install-deps.sh`
//! installs them. Without them this test fails; it never skips.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The scenarios take ~20 s on a laptop; a slow CI machine gets room, a hung browser does not.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// What the browser test needs, checked first: a clear failure naming the fix.
fn require_tools(repo: &Path) {
    let fix = "run scripts/install-deps.sh (it installs Debian's chromium, Node.js when missing, and `npm ci` in e2e/)";
    let node = Command::new("node").arg("--version").output();
    assert!(node.as_ref().is_ok_and(|o| o.status.success()), "no `node` on the PATH: {fix}");
    let lock = repo.join("e2e/package-lock.json");
    let installed = repo.join("e2e/node_modules/playwright-core/package.json");
    assert!(installed.is_file(), "{} is missing: {fix}", installed.display());
    // install-deps.sh keeps a copy of the lock file it installed from.
    let stamp = repo.join("e2e/node_modules/.santepki-package-lock.json");
    assert!(
        std::fs::read(&stamp).ok() == std::fs::read(&lock).ok(),
        "e2e/node_modules was not installed from the current e2e/package-lock.json: {fix}"
    );
    assert!(Path::new(CHROMIUM).is_file(), "{CHROMIUM} is missing (Debian package chromium): {fix}");
}

/// The demo, stopped (SIGKILL) if the test panics before stopping it properly.
struct Demo(Option<Child>);

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[test]
fn portal_in_a_browser() {
    let repo = repo();
    require_tools(&repo);
    let started = Instant::now();

    // The demo on free ports in a folder of its own, as cli.rs starts it.
    let dir = tempfile::tempdir().unwrap();
    let demo_log = dir.path().join("demo.log");
    let mut c = Command::new(env!("CARGO_BIN_EXE_santepki"));
    c.current_dir(dir.path())
        .env_remove("SANTEPKI_CONFIG")
        .env_remove("SANTEPKI_DATABASE__URL")
        .env("SANTEPKI_LOG", "warn")
        .args(["demo"])
        .env("SANTEPKI_HTTP__LISTEN", "127.0.0.1:0")
        .env("SANTEPKI_LDAP__LISTEN", "127.0.0.1:0")
        .env("SANTEPKI_PORTAL__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&demo_log).unwrap());
    let mut demo = Demo(Some(c.spawn().unwrap()));
    let facts_path = dir.path().join("santepki-demo/demo.json");
    let demo_stderr = || std::fs::read_to_string(&demo_log).unwrap_or_default();
    while !facts_path.exists() {
        if let Some(status) = demo.0.as_mut().unwrap().try_wait().unwrap() {
            panic!("santepki demo exited with {status}: {}", demo_stderr());
        }
        assert!(started.elapsed() < Duration::from_secs(180), "demo.json did not appear: {}", demo_stderr());
        std::thread::sleep(Duration::from_millis(100));
    }
    let facts: serde_json::Value = serde_json::from_slice(&std::fs::read(&facts_path).unwrap()).unwrap();
    let server_cert = facts["portal_certificate"].as_str().expect("the demo serves its HTTPS portal").to_owned();
    eprintln!("portal_e2e: demo up in {:.1} s at {}", started.elapsed().as_secs_f64(), facts["portal_url"]);

    // The browser scenarios; their output goes straight to the test's output. The portal's
    // self-signed certificate is trusted (NODE_EXTRA_CA_CERTS: Playwright's client-certificate
    // proxy checks the server in Node), not ignored.
    let artifacts = std::env::var_os("SANTEPKI_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target/e2e-artifacts"));
    let mut node = Command::new("node")
        .arg(repo.join("e2e/portal.mjs"))
        .current_dir(&repo)
        .env("SANTEPKI_DEMO_JSON", &facts_path)
        .env("NODE_EXTRA_CA_CERTS", &server_cert)
        .env("SANTEPKI_E2E_ARTIFACTS", &artifacts)
        .env("SANTEPKI_CHROMIUM", CHROMIUM)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node");
    let script_start = Instant::now();
    let status = loop {
        if let Some(status) = node.try_wait().unwrap() {
            break status;
        }
        if script_start.elapsed() > SCRIPT_TIMEOUT {
            let _ = node.kill();
            let _ = node.wait();
            panic!(
                "e2e/portal.mjs still running after {SCRIPT_TIMEOUT:?}: killed; screenshots in {}",
                artifacts.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        status.success(),
        "e2e/portal.mjs failed ({status}); see its output above and the screenshots in {}\ndemo log:\n{}",
        artifacts.display(),
        demo_stderr()
    );

    // The screenshots are there, one per significant step of each scenario, as PNG.
    for name in [
        "a-dmp-pair-03-org-sign-product.png",
        "b-online-generation-05-issued.png",
        "c-revocation-03-products-revoked.png",
        "d-form-413-22-habilitation.png",
    ] {
        let png = std::fs::read(artifacts.join(name))
            .unwrap_or_else(|e| panic!("no screenshot {name} in {}: {e}", artifacts.display()));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{name} is not a page's screenshot");
    }

    // Stop the demo (SIGTERM): it stops cleanly.
    let child = demo.0.take().unwrap();
    Command::new("kill").arg(child.id().to_string()).status().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the demo did not stop cleanly: {}", demo_stderr());
    eprintln!("portal_e2e: done in {:.1} s", started.elapsed().as_secs_f64());
}
