//! What operators watch (issue 17, first part): `/metrics` scraped by a real Prometheus from a
//! running demo, `/readyz` turning unready when the database is gone and ready when it is back
//! (PostgreSQL), and logs as JSON with one line per request and its id, without secrets.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::demo_platform::{santepki, Demo};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn get(url: &str) -> (u16, String) {
    let r = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap()
        .get(url)
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> Option<String>) -> String {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(started.elapsed() < limit, "{what} did not happen within {limit:?}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn prometheus_scrapes_the_metrics_and_logs_are_json_lines_with_request_ids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let log = std::fs::File::create(d.join("demo.log")).unwrap();
    let (demo, facts) = Demo::start_logging_to(
        d,
        &[("SANTEPKI_HTTP__LISTEN", &listen), ("SANTEPKI_LOG__FORMAT", "json"), ("SANTEPKI_LOG", "info")],
        Stdio::from(log),
    );
    let http = facts["http_url"].as_str().unwrap();
    let portal = facts["portal_url"].as_str().unwrap();
    let ldap = facts["ldap_url"].as_str().unwrap();

    // Some traffic: the directory over HTTP (with a request id of ours) and over LDAP.
    let r = reqwest::blocking::Client::new()
        .get(format!("{http}/api/v1/directory/professionals/99700270616"))
        .header("x-request-id", "ops-test-1")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let out = Command::new("ldapsearch")
        .args(["-H", ldap, "-x", "-b", "o=TEST,c=fr", "-s", "sub", "(cn=899700270616)", "ou"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // /metrics on the plain listener; not on the card listener.
    let (code, text) = get(&format!("{http}/metrics"));
    assert_eq!(code, 200, "{text}");
    for name in [
        "santepki_http_requests_total{method=\"GET\",route=\"/api/v1/directory/professionals/{id}\",status=\"200\"}",
        "santepki_http_request_duration_seconds_bucket",
        "santepki_ldap_operations_total{operation=\"search\"}",
        "santepki_certificates_expiring_30d",
        "santepki_mail_outbox_backlog",
        "santepki_ocsp_cache_lookups",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics:\n{text}");
    }
    let (code, _) = get(&format!("{portal}/metrics"));
    assert_eq!(code, 404, "/metrics is for the plain listener only");
    let (code, body) = get(&format!("{http}/readyz"));
    assert_eq!(code, 200, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["checks"]["ca_keys"]["ok"], true, "{ready}");

    // A real Prometheus scrapes it.
    let prom_port = free_port();
    let config = d.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: santepki\n    static_configs:\n      - targets: ['{listen}']\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", d.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (Debian package `prometheus`, installed by scripts/install-deps.sh)"),
    );
    let query = |q: &str| -> Option<serde_json::Value> {
        let url = format!("http://127.0.0.1:{prom_port}/api/v1/query?query={q}");
        let r = reqwest::blocking::get(url).ok()?;
        let v: serde_json::Value = r.json().ok()?;
        let result = v["data"]["result"].as_array()?.clone();
        (!result.is_empty()).then_some(serde_json::Value::Array(result))
    };
    let up = wait_for("a scrape of the node", Duration::from_secs(60), || {
        query("up%7Bjob%3D%22santepki%22%7D").filter(|r| r[0]["value"][1] == "1").map(|r| r.to_string())
    });
    assert!(up.contains(&listen), "{up}");
    let requests = wait_for("santepki_http_requests_total in Prometheus", Duration::from_secs(30), || {
        query("santepki_http_requests_total%7Broute%3D%22%2Fmetrics%22%7D").map(|r| r.to_string())
    });
    assert!(requests.contains("\"status\":\"200\""), "{requests}");
    wait_for("santepki_ldap_operations_total in Prometheus", Duration::from_secs(30), || {
        query("santepki_ldap_operations_total").map(|r| r.to_string())
    });
    drop(demo);

    // One JSON line per request, with its id; nothing secret.
    let log = std::fs::read_to_string(d.join("demo.log")).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty(), "no JSON log lines:\n{log}");
    let ours = lines
        .iter()
        .find(|l| l["fields"]["request_id"] == "ops-test-1")
        .unwrap_or_else(|| panic!("no log line for request ops-test-1:\n{log}"));
    assert_eq!(ours["fields"]["route"], "/api/v1/directory/professionals/{id}", "{ours}");
    assert_eq!(ours["fields"]["status"], 200, "{ours}");
    // The demo's CA key passphrase (random, in its configuration) appears nowhere in the logs.
    let config_text = std::fs::read_to_string(d.join("santepki-demo/santepki.toml")).unwrap();
    let passphrase = config_text
        .lines()
        .find_map(|l| l.trim().strip_prefix("key_passphrase = ").map(|v| v.trim_matches('"').to_owned()))
        .expect("the demo's key passphrase");
    assert!(passphrase.len() >= 16);
    assert!(!log.contains(&passphrase), "the CA key passphrase is in the logs");
}

#[test]
fn readyz_is_unready_while_the_database_is_gone_and_ready_when_it_is_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(santepki_storage::testing::postgres_url());
    let admin = std::env::var("SANTEPKI_TEST_POSTGRES_URL").unwrap();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let serve = Killed(
        santepki(dir.path())
            .arg("serve")
            .env("SANTEPKI_DATABASE__URL", &url)
            .env("SANTEPKI_HTTP__LISTEN", format!("127.0.0.1:{port}"))
            .env("SANTEPKI_LDAP__LISTEN", "127.0.0.1:0")
            .env("SANTEPKI_PORTAL__LISTEN", "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let readyz = format!("http://127.0.0.1:{port}/readyz");
    let status = || -> Option<(u16, String)> {
        let r = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .ok()?
            .get(&readyz)
            .send()
            .ok()?;
        Some((r.status().as_u16(), r.text().ok()?))
    };
    wait_for("a ready node", Duration::from_secs(60), || status().filter(|(c, _)| *c == 200).map(|(_, b)| b));

    let psql = |sql: &str| {
        let out = Command::new("psql").args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-c", sql]).output().unwrap();
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // The database goes away: no new connection, and the node's are cut.
    psql(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS false"));
    psql(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"));
    let unready = wait_for("/readyz to turn unready", Duration::from_secs(30), || {
        status().filter(|(c, _)| *c == 503).map(|(_, b)| b)
    });
    let v: serde_json::Value = serde_json::from_str(&unready).unwrap();
    assert_eq!((v["status"].as_str(), v["checks"]["database"]["ok"].as_bool()), (Some("unready"), Some(false)), "{v}");
    // /healthz still says the process is alive.
    let (code, _) = get(&format!("http://127.0.0.1:{port}/healthz"));
    assert_eq!(code, 200);
    // Back.
    psql(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"));
    wait_for("/readyz to be ready again", Duration::from_secs(30), || {
        status().filter(|(c, _)| *c == 200).map(|(_, b)| b)
    });
    drop(serve);
}

#[test]
fn a_node_whose_clock_is_off_publishes_no_crl() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(santepki_storage::testing::postgres_url());
    let dir = tempfile::tempdir().unwrap();
    let run = |faked: Option<&str>, args: &[&str]| {
        let mut c = match faked {
            Some(offset) => {
                let mut c = Command::new("faketime");
                c.args(["-f", offset]).arg(env!("CARGO_BIN_EXE_santepki"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_santepki")),
        };
        c.current_dir(dir.path())
            .env_remove("SANTEPKI_CONFIG")
            .env("SANTEPKI_LOG", "warn")
            .env("SANTEPKI_DATABASE__URL", &url)
            .env("SANTEPKI_CA__KEY_PASSPHRASE", "clock test passphrase")
            .env("SANTEPKI_CA__KEY_ALGORITHM", "p256")
            .args(args);
        let out = c.output().expect("faketime (Debian package `faketime`, installed by scripts/install-deps.sh)");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, err) = run(None, &["ca", "init"]);
    assert_eq!(code, 0, "{err}");
    for (offset, word) in [("+10m", "ahead of"), ("-10m", "behind")] {
        let (code, err) = run(Some(offset), &["ca", "crl", "--ca", "ACI-EL-ORG"]);
        assert_ne!(code, 0, "a node {offset} published a CRL");
        assert!(err.contains("clock") && err.contains(word), "{offset}: {err}");
    }
    let (code, err) = run(None, &["ca", "crl", "--ca", "ACI-EL-ORG"]);
    assert_eq!(code, 0, "{err}");
}
