//! The demo platform for end-to-end tests: `santepki demo` on free ports in a temporary folder,
//! its facts (demo.json), and the clients the tests drive it with (the binary, curl).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn santepki(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_santepki"));
    c.current_dir(dir).env_remove("SANTEPKI_CONFIG").env_remove("SANTEPKI_DATABASE__URL").env("SANTEPKI_LOG", "warn");
    c
}

pub fn output(mut c: Command) -> (i32, String, String) {
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

/// curl with a demo card; returns (status, body).
pub fn curl(
    facts: &serde_json::Value,
    card: &str,
    method: &str,
    url: &str,
    body: Option<&serde_json::Value>,
) -> (u16, String) {
    let card = facts["cards"].as_array().unwrap().iter().find(|c| c["card_number"] == card).unwrap();
    let mut c = Command::new("curl");
    c.args(["-sS", "--max-time", "60", "--cacert", facts["portal_certificate"].as_str().unwrap()])
        .args(["--cert", card["cert_pem"].as_str().unwrap(), "--key", card["key_pem"].as_str().unwrap()])
        .args(["-X", method, "-w", "\n%{http_code}"]);
    if let Some(b) = body {
        c.args(["-H", "content-type: application/json", "--data-binary"]).arg(b.to_string());
    }
    let out = c.arg(url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), body.to_owned())
}

pub fn plain_get(url: &str) -> (u16, Vec<u8>) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "30", "-o", "-", "-w", "\n%{http_code}", url])
        .output()
        .unwrap();
    let split = out.stdout.iter().rposition(|b| *b == b'\n').unwrap();
    let code = String::from_utf8_lossy(&out.stdout[split + 1..]).trim().parse().unwrap();
    (code, out.stdout[..split].to_vec())
}

impl Demo {
    /// Starts `santepki demo` in `dir` with the listeners on free ports and `env` set; returns
    /// once demo.json is written, with its facts. The demo stops when the value is dropped.
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> (Demo, serde_json::Value) {
        Demo::start_logging_to(dir, env, Stdio::null())
    }

    /// [`Demo::start`] with the demo's standard error (its logs) going to `stderr`.
    pub fn start_logging_to(dir: &Path, env: &[(&str, &str)], stderr: Stdio) -> (Demo, serde_json::Value) {
        let mut c = santepki(dir);
        c.arg("demo")
            .env("SANTEPKI_HTTP__LISTEN", "127.0.0.1:0")
            .env("SANTEPKI_LDAP__LISTEN", "127.0.0.1:0")
            .env("SANTEPKI_PORTAL__LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr);
        let demo = Demo(c.spawn().unwrap());
        let facts_path = dir.join("santepki-demo/demo.json");
        let started = Instant::now();
        while !facts_path.exists() {
            assert!(started.elapsed() < Duration::from_secs(300), "demo.json did not appear");
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(200));
        let facts = serde_json::from_slice(&std::fs::read(&facts_path).unwrap()).unwrap();
        (demo, facts)
    }
}
