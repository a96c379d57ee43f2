//! The `santepki` binary as an operator uses it: help everywhere, exit codes and messages of the
//! directory import, generate → import → search, and the demo with other commands beside it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn santepki(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_santepki"));
    c.current_dir(dir).env_remove("SANTEPKI_CONFIG").env_remove("SANTEPKI_DATABASE__URL").env("SANTEPKI_LOG", "warn");
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

#[test]
fn help_on_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["demo", "--help"],
        &["serve", "--help"],
        &["config", "--help"],
        &["directory", "--help"],
        &["directory", "import", "--help"],
        &["directory", "generate", "--help"],
        &["directory", "search", "--help"],
        &["directory", "stats", "--help"],
        &["ca", "--help"],
        &["ca", "init", "--help"],
        &["ca", "show", "--help"],
        &["ca", "issue", "--help"],
        &["ca", "issue-batch", "--help"],
        &["ca", "revoke", "--help"],
        &["ca", "crl", "--help"],
        &["ca", "recover", "--help"],
        &["audit", "--help"],
        &["audit", "verify", "--help"],
        &["audit", "prove", "--help"],
        &["audit", "check-proof", "--help"],
        &["audit", "show", "--help"],
        &["audit", "sequence", "--help"],
    ] {
        let mut c = santepki(dir.path());
        c.args(args);
        let (code, out, _) = run(c);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let mut c = santepki(dir.path());
    c.args(["directory", "import", "--help"]);
    assert!(run(c).1.contains("3 some lines"), "import --help documents its exit codes");
}

#[test]
fn import_reports_bad_lines_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let with_db = |args: &[&str]| {
        let mut c = santepki(dir.path());
        c.env("SANTEPKI_DATABASE__URL", &db).args(args);
        run(c)
    };
    let good = "structureet;060785003;060785011;CHU DE NICE HOPITAL PASTEUR;;;;30;AV;DE LA VOIE ROMANE;;;088;06;ALPES MARITIMES;06000 NICE;;;101;C.H.R.;1101;CHR;;;;;;;2000-01-01;2000-01-01;2026-01-01;";
    let file = dir.path().join("etalab-cs1100502-stock-2026-11-01.csv");
    std::fs::write(&file, format!("finess;etalab;2;2026-11-01\n{good}\nstructureet;06078500X;060785011;BAD;\n"))
        .unwrap();
    let (code, _, err) = with_db(&["directory", "import", file.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("etalab-cs1100502-stock-2026-11-01.csv:3: rejected: wrong column count"), "{err}");
    assert!(err.contains("1 imported, 1 rejected"), "{err}");

    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    let (code, _, err) = with_db(&["directory", "import", "empty.csv"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("empty.csv: not imported") && err.contains("empty"), "{err}");

    std::fs::write(dir.path().join("junk.bin"), (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<u8>>())
        .unwrap();
    let (code, _, err) = with_db(&["directory", "import", "junk.bin"]);
    assert_eq!(code, 4);
    assert!(err.contains("unknown file format"), "{err}");

    let (code, _, err) = with_db(&["directory", "import", "missing.csv"]);
    assert_eq!(code, 4);
    assert!(err.contains("missing.csv"), "{err}");

    // A bad flag value names the flag.
    let (code, _, err) = with_db(&["directory", "import", "--max-closure-ratio", "2", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("--max-closure-ratio"), "{err}");

    // A bad search value names the identifier and the reason.
    let (code, _, err) = with_db(&["directory", "search", "--rpps", "99700270617"]);
    assert_eq!(code, 1);
    assert!(err.contains("RPPS") && err.contains("check key"), "{err}");
}

#[test]
fn generate_import_search_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/t.db", dir.path().display());
    let mut c = santepki(dir.path());
    c.args(["directory", "generate", "--scale", "small", "--out", "files"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "{out}");

    let mut c = santepki(dir.path());
    c.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "import", "--identifiers", "test", "--json", "files"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(reports["reports"].as_array().unwrap().len(), 4);

    // R44/R45: the seed's test professional by RPPS, with its four practices.
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "search", "99700270616", "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["type"], "professional");
    let mut ous: Vec<&str> =
        v["situations"].as_array().unwrap().iter().map(|s| s["idnat_struct"].as_str().unwrap()).collect();
    ous.sort();
    assert_eq!(ous, ["39999999800514", "499700270616003", "499700270616011", "499700270616029"]);

    // Human output, and "not found" is exit 1 like grep.
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "search", "--idnat-ps", "899700270616"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    assert!(out.contains("RPPS rang 99700270616029") && out.contains("SA08"), "{out}");
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "search", "--rpps", "19999999998"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 1);
    assert!(out.contains("Aucun résultat"), "{out}");
}

#[test]
fn demo_serves_and_other_commands_use_its_database() {
    let dir = tempfile::tempdir().unwrap();
    // Under umask 000, so that the secret-bearing files' modes are the program's doing (issue 15, point 15).
    let mut c = Command::new("sh");
    c.current_dir(dir.path())
        .env_remove("SANTEPKI_CONFIG")
        .env_remove("SANTEPKI_DATABASE__URL")
        .env("SANTEPKI_LOG", "warn");
    c.args(["-c", "umask 000 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_santepki")]);
    // Port 0: any free port; demo.json tells which.
    c.args(["demo"])
        .env("SANTEPKI_HTTP__LISTEN", "127.0.0.1:0")
        .env("SANTEPKI_LDAP__LISTEN", "127.0.0.1:0")
        .env("SANTEPKI_PORTAL__LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut demo = c.spawn().unwrap();
    let facts_path = dir.path().join("santepki-demo/demo.json");
    let start = Instant::now();
    while !facts_path.exists() {
        if let Some(status) = demo.try_wait().unwrap() {
            let out = demo.wait_with_output().unwrap();
            panic!("demo exited with {status}: {}", String::from_utf8_lossy(&out.stderr));
        }
        assert!(start.elapsed() < Duration::from_secs(180), "demo.json did not appear");
        std::thread::sleep(Duration::from_millis(100));
    }
    let facts: serde_json::Value = serde_json::from_slice(&std::fs::read(&facts_path).unwrap()).unwrap();
    for key in ["portal_url", "http_url", "ldap_url", "ca_bundle", "cards"] {
        assert!(facts.get(key).is_some(), "demo.json lacks {key}");
    }
    // The API URL is where the card routes answer: the HTTPS listener (issue 15, point 21).
    assert_eq!(facts["api_url"].as_str().unwrap(), format!("{}/api/v1", facts["portal_url"].as_str().unwrap()));
    assert_eq!(facts["public_api_url"].as_str().unwrap(), format!("{}/api/v1", facts["http_url"].as_str().unwrap()));
    let http_url = facts["http_url"].as_str().unwrap().to_owned();
    {
        use std::os::unix::fs::PermissionsExt;
        let demo_dir = dir.path().join("santepki-demo");
        for (path, mode) in [
            (demo_dir.clone(), 0o700),
            (demo_dir.join("santepki.toml"), 0o600),
            (demo_dir.join("ca-keys"), 0o700),
            (demo_dir.join("cards"), 0o700),
            (demo_dir.join("tls"), 0o700),
            (demo_dir.join("tls/server.key.pem"), 0o600),
        ] {
            let actual = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(actual, mode, "{} is {actual:o} under umask 000", path.display());
        }
        for entry in std::fs::read_dir(demo_dir.join("ca-keys")).unwrap() {
            let path = entry.unwrap().path();
            let actual = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(actual, 0o600, "{}", path.display());
        }
    }
    assert!(
        facts["ldap_url"].as_str().is_some_and(|u| u.starts_with("ldap://127.0.0.1:") && !u.ends_with(":0")),
        "{facts}"
    );

    // The demo's CA: its bundle, card certificates for the demo cards, and what it publishes.
    let bundle = facts["ca_bundle"].as_str().expect("a CA bundle");
    assert_eq!(std::fs::read_to_string(bundle).unwrap().matches("BEGIN CERTIFICATE").count(), 3);
    let cards = facts["cards"].as_array().unwrap();
    assert!(cards.len() >= 4, "{facts}");
    for card in cards {
        let verify = Command::new("openssl")
            .args(["verify", "-CAfile", bundle])
            .arg(card["cert_pem"].as_str().unwrap())
            .output()
            .unwrap();
        assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
        assert!(
            Path::new(card["p12"].as_str().unwrap()).is_file()
                && Path::new(card["key_pem"].as_str().unwrap()).is_file()
        );
    }
    for (path, content_type) in [
        ("/crl/ACI-EL-ORG.crl", "application/pkix-crl"),
        ("/ca/chain.p7b", "application/pkcs7-mime"),
        ("/ca/ACR-EL.crt", "application/pkix-cert"),
    ] {
        let r = reqwest::blocking::get(format!("{http_url}{path}")).unwrap();
        assert!(r.status().is_success(), "{path}");
        assert_eq!(r.headers()["content-type"], content_type, "{path}");
    }

    // The card-authenticated API with curl: the vendor's administrator (CPA) is habilitated for
    // the pharmacy and the LBM from the first start; without a card, 401.
    let portal = facts["portal_url"].as_str().expect("an HTTPS API").to_owned();
    assert!(portal.starts_with("https://127.0.0.1:") && !portal.ends_with(":0"), "{portal}");
    let server_cert = facts["portal_certificate"].as_str().unwrap();
    let admin = cards.iter().find(|c| c["card_type"] == "CPA").expect("a vendor CPA card");
    let curl = |extra: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "--cacert", server_cert])
            .args(extra)
            .arg(format!("{portal}/api/v1/me"))
            .output()
            .unwrap();
        assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let me = curl(&["--cert", admin["cert_pem"].as_str().unwrap(), "--key", admin["key_pem"].as_str().unwrap()]);
    assert_eq!(me["card"]["card_number"], admin["card_number"], "{me}");
    let mut habilitated: Vec<&str> =
        me["habilitations"].as_array().unwrap().iter().map(|h| h["idnat_struct"].as_str().unwrap()).collect();
    habilitated.sort();
    assert_eq!(habilitated, ["1330900028", "1750900029"], "{me}");
    assert_eq!(curl(&[])["error"], "card_required");
    let operator = cards.iter().find(|c| c["card_type"] == "CPE").expect("an operator card");
    let me = curl(&["--cert", operator["cert_pem"].as_str().unwrap(), "--key", operator["key_pem"].as_str().unwrap()]);
    assert!(me["roles"].as_array().unwrap().iter().any(|r| r["kind"] == "operator"), "{me}");
    // A form 413 signed with openssl: the vendor's administrator prepares it, the structure's legal
    // representative fetches the exact bytes and posts a detached CMS made by `openssl cms` with
    // the card's key (R47); the agency's operator validates it.
    let person = |c: &serde_json::Value| {
        let name = c["name"].as_str().unwrap();
        let (first, last) = name.split_once(' ').unwrap();
        serde_json::json!({ "last_name": last, "first_names": first, "phone": "0102030405", "email": "x@example.org", "card_number": c["card_number"] })
    };
    let card_args = |c: &serde_json::Value| {
        vec![
            "--cert".to_owned(),
            c["cert_pem"].as_str().unwrap().to_owned(),
            "--key".to_owned(),
            c["key_pem"].as_str().unwrap().to_owned(),
        ]
    };
    let post = |card: &serde_json::Value, path: &str, body: serde_json::Value| -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-sS", "--cacert", server_cert])
            .args(card_args(card))
            .args(["-H", "content-type: application/json", "--data-binary"])
            .arg(body.to_string())
            .arg(format!("{portal}{path}"))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{path}: {}", String::from_utf8_lossy(&out.stdout)))
    };
    let get = |card: &serde_json::Value, path: &str| -> serde_json::Value {
        let out = Command::new("curl")
            .args(["-sS", "--cacert", server_cert])
            .args(card_args(card))
            .arg(format!("{portal}{path}"))
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{path}: {}", String::from_utf8_lossy(&out.stdout)))
    };
    let habilitate = |case: &str, identifier: &str, lr: &serde_json::Value, usage: &str| {
        let mut signer = person(lr);
        signer["role"] = "legal-representative".into();
        let form = serde_json::json!({
            "case": case, "identifiers": [identifier], "signer": signer, "administrators": [person(admin)],
            "usage": { "description": usage, "vendor": "EDITEUR DEMO", "solution": "LOGICIEL", "version": "2" }, "offers": { "org": true },
        });
        let prepared = post(admin, "/api/v1/forms413", form);
        let id = prepared["id"].as_str().unwrap_or_else(|| panic!("{prepared}")).to_owned();
        let content = dir.path().join(format!("{id}.json"));
        let out = Command::new("curl")
            .args(["-sS", "-f", "--cacert", server_cert, "-o"])
            .arg(&content)
            .args(card_args(lr))
            .arg(format!("{portal}/api/v1/forms413/{id}/content"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let cms = dir.path().join(format!("{id}.cms"));
        let out = Command::new("openssl")
            .args(["cms", "-sign", "-binary", "-outform", "DER", "-in"])
            .arg(&content)
            .arg("-out")
            .arg(&cms)
            .args(["-signer", lr["cert_pem"].as_str().unwrap(), "-inkey", lr["key_pem"].as_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl cms: {}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new("curl")
            .args(["-sS", "--cacert", server_cert])
            .args(card_args(lr))
            .args(["-H", "content-type: application/pkcs7-signature", "--data-binary"])
            .arg(format!("@{}", cms.display()))
            .arg(format!("{portal}/api/v1/forms413/{id}/signature"))
            .output()
            .unwrap();
        let signed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (signed["state"].as_str(), signed["signature_method"].as_str()),
            (Some("acknowledged"), Some("cms")),
            "{signed}"
        );
        let decided =
            post(operator, &format!("/api/v1/forms413/{id}/decision"), serde_json::json!({ "decision": "validate" }));
        assert_eq!(decided["state"], "validated", "{decided}");
    };
    // The vendor's administrator orders a certificate with a key and CSR made by `openssl req`,
    // downloads it with its chain, and `openssl verify` accepts it against the demo's CA bundle.
    let order_and_verify = |structure: &str, profile: &str, service: &str| {
        let stem = format!("{structure}-{profile}-{}", service.replace(' ', "_"));
        let key = dir.path().join(format!("{stem}.key"));
        let csr = dir.path().join(format!("{stem}.csr"));
        let out = Command::new("openssl")
            .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=ignored", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&csr)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl req: {}", String::from_utf8_lossy(&out.stderr));
        let ordered = post(
            admin,
            "/api/v1/products",
            serde_json::json!({
                "profile": profile, "structure": structure, "service": service, "actor_email": "admin@editeur.example",
                "csr": std::fs::read_to_string(&csr).unwrap(),
            }),
        );
        let product = ordered["product"]["id"].as_str().unwrap_or_else(|| panic!("{ordered}"));
        let chain = dir.path().join(format!("{stem}.chain.pem"));
        let out = Command::new("curl")
            .args(["-sS", "-f", "--cacert", server_cert, "-o"])
            .arg(&chain)
            .args(card_args(admin))
            .arg(format!("{portal}/api/v1/products/{product}/certificate?format=pem"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new("openssl").args(["verify", "-CAfile", bundle]).arg(&chain).output().unwrap();
        assert!(out.status.success(), "openssl verify {stem}: {}", String::from_utf8_lossy(&out.stdout));
        let out = Command::new("openssl").args(["x509", "-noout", "-subject", "-in"]).arg(&chain).output().unwrap();
        let subject = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(subject.contains(service), "{stem}: {subject}");
        subject
    };

    // The DMP flow of the LBM with curl (issue 5): the form 413 of the SELAS (R11) signed by its
    // legal representative and validated, then the DMP pair (ORG SIGN and ORG AUTH_CLI, R29/R36).
    let lr = cards.iter().find(|c| c["card_number"] == "8000000005").expect("the LBM legal representative's card");
    habilitate("lbm-selas", "1330900028", lr, "DMP");
    for (profile, service) in [("org-sign", "DMP SIGNATURE"), ("org-auth-cli", "DMP AUTHENTIFICATION")] {
        order_and_verify("1330900028", profile, service);
    }

    // The INSi flow of an ESSMS with curl: the medico-social manager's form 413 names its FINESS
    // juridique for all its establishments (R16) and is signed by its director (a CDE card, R4);
    // INSi gets its own ORG AUTH_CLI certificate named `INSI-AUTO` (R29, R36). Until it holds
    // three certificates, the doctrine checklist warns that an ESSMS needs at least three (R36).
    let director = cards.iter().find(|c| c["card_type"] == "CDE").expect("the ESSMS director's card");
    let essms = "1300900016";
    let refused = post(
        admin,
        "/api/v1/products",
        serde_json::json!({
            "profile": "org-auth-cli", "structure": essms, "service": "INSI-AUTO", "actor_email": "admin@editeur.example", "csr": "-",
        }),
    );
    assert_eq!(refused["error"], "not_habilitated", "before the form 413 (R27): {refused}");
    habilitate("medico-social-manager", essms, director, "Appel du téléservice INSi");
    let subject = order_and_verify(essms, "org-auth-cli", "INSI-AUTO");
    assert!(subject.contains("300900016"), "the FINESS juridique names the certificate: {subject}");
    let doctrine = get(admin, &format!("/api/v1/structures/{essms}/doctrine"));
    let item = |code: &str| {
        doctrine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code}: {doctrine}"))
    };
    assert_eq!(
        (item("insi-own-certificate")["status"].as_str(), item("insi-own-certificate")["rule"].as_str()),
        (Some("satisfied"), Some("R36")),
        "{doctrine}"
    );
    assert_eq!(
        item("essms-three")["status"],
        "warning",
        "an ESSMS needs at least three certificates (R36): {doctrine}"
    );

    // The card's PKCS#12 opens with openssl and the printed passphrase.
    let out = Command::new("openssl")
        .args(["pkcs12", "-in", lr["p12"].as_str().unwrap(), "-nokeys", "-passin"])
        .arg(format!("pass:{}", lr["passphrase"].as_str().unwrap()))
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("BEGIN CERTIFICATE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The validations were mailed to the demo's outbox.
    let outbox = facts["outbox"].as_str().unwrap();
    let start = Instant::now();
    while std::fs::read_dir(outbox).map(|d| d.count()).unwrap_or(0) < 4 {
        assert!(start.elapsed() < Duration::from_secs(30), "no mail in {outbox}");
        std::thread::sleep(Duration::from_millis(200));
    }

    let body = reqwest::blocking::get(format!("{http_url}/api/v1/directory/professionals/99700270616")).unwrap();
    assert!(body.status().is_success());
    let v: serde_json::Value = body.json().unwrap();
    assert_eq!(v["situations"].as_array().unwrap().len(), 4, "{v}");

    // From the demo's folder, other subcommands use the demo's database while it runs.
    let mut c = santepki(dir.path());
    c.args(["directory", "search", "--finess", "060785003", "--json"]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["legal_entity"]["finess"], "060785011", "{v}");

    // Stop it (SIGTERM) and start again: the folder is reused, nothing regenerated.
    let pid = demo.id().to_string();
    Command::new("kill").arg(&pid).status().unwrap();
    let out = demo.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut c = santepki(dir.path());
    c.args(["demo", "--setup-only"]);
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("reusing the demo folder") && !err.contains("generating"), "{err}");

    // `card issue`: a new CPA for the vendor, whose certificate chains to the demo's CAs, made an
    // operator; a card of the directory; and a clear error without --number or --type.
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_P12_PASSPHRASE", "a passphrase").args([
        "card",
        "issue",
        "--type",
        "CPA",
        "--last-name",
        "Nouvelle",
        "--first-name",
        "Ines",
        "--structure",
        "344306184100047",
        "--p12-out",
        "ines.p12",
    ]);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let number = err.split_whitespace().skip_while(|w| *w != "card").nth(1).unwrap().to_owned();
    assert!(number.len() == 10 && out.contains("ines.crt.pem"), "{out} {err}");
    let verify = Command::new("openssl")
        .args(["verify", "-CAfile", bundle])
        .arg(dir.path().join("ines.crt.pem"))
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stdout));
    let mut c = santepki(dir.path());
    c.args(["operator", "add", &number]);
    let (code, out, err) = run(c);
    assert!(code == 0 && out.contains("operator"), "{out} {err}");
    let mut c = santepki(dir.path());
    c.args(["operator", "add", &number]);
    assert_ne!(run(c).0, 0, "an operator twice");
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_P12_PASSPHRASE", "a passphrase").args([
        "card",
        "issue",
        "--number",
        "8000000010",
        "--p12-out",
        "pharmacist.p12",
    ]);
    assert_eq!(run(c).0, 0);
    // Issue 15 point 13: an output that exists is refused before the card is registered or certified.
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_P12_PASSPHRASE", "a passphrase").args([
        "card",
        "issue",
        "--type",
        "CPA",
        "--last-name",
        "Doublon",
        "--first-name",
        "Ines",
        "--structure",
        "344306184100047",
        "--p12-out",
        "ines.p12",
    ]);
    let (code, _, err) = run(c);
    assert!(code != 0 && err.contains("--p12-out") && err.contains("exists"), "{err}");
    assert!(!err.contains("registered card"), "nothing registered before the outputs were checked: {err}");
    let mut c = santepki(dir.path());
    c.env("SANTEPKI_P12_PASSPHRASE", "a passphrase").args(["card", "issue", "--p12-out", "x.p12"]);
    let (code, _, err) = run(c);
    assert!(code != 0 && err.contains("--number") && err.contains("--type"), "{err}");
}

#[test]
fn an_import_killed_midway_is_abandoned_then_finished_by_a_rerun_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let urls = (0..4).map(|i| format!("sqlite://{}/t{i}.db", dir.path().display())).collect();
    an_import_killed_midway(dir.path(), urls);
}

#[test]
fn an_import_killed_midway_is_abandoned_then_finished_by_a_rerun_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let urls = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let mut urls = Vec::new();
        for _ in 0..4 {
            urls.push(santepki_storage::testing::postgres_url().await);
        }
        urls
    });
    an_import_killed_midway(dir.path(), urls);
}

/// SIGKILLs a first load midway (issue 15, point 12): `directory stats` then shows its run
/// `abandoned`, not `running` forever; the re-run completes the import, rebuilds the indexes the
/// killed bulk load dropped, and leaves the killed run abandoned. `urls`: a fresh database for each
/// attempt (a longer file each time, if the import finished before it could be killed).
fn an_import_killed_midway(dir: &Path, urls: Vec<String>) {
    let mut c = santepki(dir);
    c.args(["directory", "generate", "--scale", "demo", "--out", "files"]);
    assert_eq!(run(c).0, 0);
    let activities = std::fs::read_dir(dir.join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("PS_LibreAcces"))
        .unwrap();
    // A longer file: the demo's lines repeated (later copies change nothing). If the machine is
    // fast enough to finish before the kill, start over with a longer file.
    let text = std::fs::read_to_string(&activities).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let lines = body.lines().count();
    let activities = dir.join("PS_LibreAcces_Personne_activite_big.txt");
    let mut killed = false;
    let mut db = String::new();
    // A loaded machine (the whole suite at once) polls slowly: the last attempt is long.
    for (repeat, url) in [20, 80, 320, 1280].into_iter().zip(urls) {
        db = url;
        std::fs::write(&activities, format!("{header}\n{}", body.repeat(repeat))).unwrap();
        // Small batches and a bulk load (indexes dropped), then SIGKILL once some batches committed.
        let mut c = santepki(dir);
        c.env("SANTEPKI_DATABASE__URL", &db)
            .args([
                "directory",
                "import",
                "--identifiers",
                "test",
                "--quiet",
                "--batch-lines",
                "100",
                "--bulk-load-min-lines",
                "0",
            ])
            .arg(&activities)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let start = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                break; // finished first: try a longer file
            }
            let mut s = santepki(dir);
            s.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "stats", "--json"]);
            let (code, out, _) = run(s);
            let committed = code == 0
                && serde_json::from_str::<serde_json::Value>(&out)
                    .is_ok_and(|v| v["counts"]["situations"].as_i64().unwrap_or(0) > 0);
            if committed {
                killed = child.try_wait().unwrap().is_none();
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(120));
            std::thread::sleep(Duration::from_millis(10));
        }
        if killed {
            break;
        }
    }
    assert!(killed, "the import always finished before it could be killed");

    // The killed run is reported abandoned, not running.
    let stats = |db: &str| {
        let mut s = santepki(dir);
        s.env("SANTEPKI_DATABASE__URL", db).args(["directory", "stats", "--json"]);
        let (code, out, err) = run(s);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let v = stats(&db);
    let killed_run = v["recent_imports"][0].clone();
    assert_eq!(killed_run["status"], "abandoned", "{v}");
    assert!(killed_run["message"].as_str().unwrap().contains("is gone"), "{v}");
    // The killed first load left indexes dropped: the next import rebuilds them.
    let indexes = |db: &str| {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let db = santepki_storage::Db::connect(db).await.unwrap();
            let names = santepki_storage::testing::index_names(&db).await.unwrap();
            db.close().await;
            names
        })
    };

    // The re-run completes the import; the database holds every situation once, with its indexes.
    let mut c = santepki(dir);
    c.env("SANTEPKI_DATABASE__URL", &db)
        .args(["directory", "import", "--identifiers", "test", "--json"])
        .arg(&activities);
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reports"][0]["lines_rejected"], 0);
    let mut s = santepki(dir);
    s.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "stats", "--json"]);
    let (_, out, _) = run(s);
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stats["counts"]["situations"].as_u64().unwrap() as usize, lines, "{stats}");
    assert_eq!(stats["recent_imports"][0]["status"], "done", "{stats}");
    assert_eq!(stats["recent_imports"][1]["id"], killed_run["id"], "{stats}");
    assert_eq!(stats["recent_imports"][1]["status"], "abandoned", "{stats}");
    let names = indexes(&db);
    for ix in santepki_storage::directory::SECONDARY_INDEXES {
        assert!(names.iter().any(|n| n == ix.name), "{} missing: {names:?}", ix.name);
    }
    // The seed professional is searchable again (the situations index is back).
    let mut c = santepki(dir);
    c.env("SANTEPKI_DATABASE__URL", &db).args(["directory", "search", "--structure-name", "CG MAXI", "--json"]);
    let (code, out, _) = run(c);
    assert_eq!(code, 0);
    assert!(out.contains("499700270616029"), "{out}");
}

/// Issue 15, point 21: `santepki ca issue` run with another configuration (here another HTTP
/// listener and public URL, as beside a demo on other ports) writes the CA's stored CRL and OCSP
/// URLs, not its own; `ca set-url` changes them, explicitly.
#[test]
fn ca_issue_publishes_the_urls_stored_with_the_ca_not_the_callers_config() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = |args: &[&str]| {
        let mut c = santepki(d);
        c.env("SANTEPKI_DATABASE__URL", format!("sqlite://{}/ca.db", d.display()))
            .env("SANTEPKI_DIRECTORY__IDENTIFIERS", "test")
            .env("SANTEPKI_CA__KEY_PASSPHRASE", "cli test passphrase")
            .env("SANTEPKI_CA__KEY_ALGORITHM", "p256")
            .env("SANTEPKI_P12_PASSPHRASE", "une phrase secrete")
            .args(args);
        c
    };
    assert_eq!(run(ca(&["directory", "generate", "--out", "files"])).0, 0);
    assert_eq!(run(ca(&["directory", "import", "files", "--quiet"])).0, 0);
    let mut init = ca(&["ca", "init"]);
    init.env("SANTEPKI_HTTP__LISTEN", "127.0.0.1:18080").env("SANTEPKI_HTTP__PUBLIC_URL", "http://pki.demo.test:18080");
    let (code, _, err) = run(init);
    assert_eq!(code, 0, "{err}");
    let issue = |n: u32| {
        let (p12, pem) = (format!("{n}.p12"), format!("{n}.pem"));
        let mut c = ca(&[
            "ca",
            "issue",
            "--profile",
            "org-sign",
            "--structure",
            "1060785011",
            "--service",
            "DMP SIGNATURE",
            "--generate",
            "--p12-out",
            &p12,
            "--out",
            &pem,
        ]);
        // The caller's own configuration names other URLs.
        c.env("SANTEPKI_HTTP__LISTEN", "127.0.0.1:8080").env("SANTEPKI_HTTP__PUBLIC_URL", "http://127.0.0.1:8080");
        let (code, _, err) = run(c);
        assert_eq!(code, 0, "{err}");
        let out =
            Command::new("openssl").args(["x509", "-noout", "-text", "-in", &pem]).current_dir(d).output().unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = issue(1);
    assert!(text.contains("URI:http://pki.demo.test:18080/crl/ACI-EL-ORG.crl"), "{text}");
    assert!(text.contains("OCSP - URI:http://pki.demo.test:18080/ocsp"), "{text}");
    assert!(text.contains("CA Issuers - URI:http://pki.demo.test:18080/ca/"), "{text}");
    assert!(!text.contains(":8080/"), "{text}");

    // Changing them is an explicit, checked and audited command.
    let (code, _, err) = run(ca(&["ca", "set-url", "--public-url", "pki.example.fr"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--public-url"), "{err}");
    let (code, out, err) = run(ca(&["ca", "set-url", "--public-url", "https://pki.example.fr"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("was http://pki.demo.test:18080"), "{out}");
    let text = issue(2);
    assert!(text.contains("URI:https://pki.example.fr/crl/ACI-EL-ORG.crl"), "{text}");
    assert!(text.contains("OCSP - URI:https://pki.example.fr/ocsp"), "{text}");
    let (_, out, _) = run(ca(&["ca", "show"]));
    assert!(out.contains("published URL https://pki.example.fr"), "{out}");
}

#[test]
fn ca_commands_refuse_bad_input_with_status_3_and_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = |args: &[&str]| {
        let mut c = santepki(d);
        c.env("SANTEPKI_DATABASE__URL", format!("sqlite://{}/ca.db", d.display()))
            .env("SANTEPKI_DIRECTORY__IDENTIFIERS", "test")
            .env("SANTEPKI_CA__KEY_PASSPHRASE", "cli test passphrase")
            .env("SANTEPKI_CA__KEY_ALGORITHM", "p256")
            .args(args);
        c
    };
    // Before `ca init`, commands say what to do.
    let (code, _, err) = run(ca(&["ca", "show"]));
    assert_eq!(code, 1);
    assert!(err.contains("santepki ca init"), "{err}");
    assert_eq!(run(ca(&["directory", "generate", "--out", "files"])).0, 0);
    assert_eq!(run(ca(&["directory", "import", "files", "--quiet"])).0, 0);
    let (code, out, err) = run(ca(&["ca", "init"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS"), "{out}");

    std::fs::write(d.join("junk.csr"), "not a request").unwrap();
    for (args, field) in [
        (
            &[
                "ca",
                "issue",
                "--profile",
                "org-auth-cli",
                "--structure",
                "1060785011",
                "--service",
                "X",
                "--csr",
                "junk.csr",
            ][..],
            "--csr",
        ),
        (&["ca", "issue", "--profile", "org-nope", "--structure", "1060785011", "--csr", "junk.csr"][..], "--profile"),
        (&["ca", "revoke", "--serial", "zz", "--reason", "keyCompromise"][..], "--serial"),
        (&["ca", "revoke", "--serial", "0a", "--reason", "certificateHold"][..], "--reason"),
    ] {
        let (code, _, err) = run(ca(args));
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(err.contains(field), "{args:?}: {err}");
    }

    // A key generated here, delivered as PKCS#12 under the passphrase from the environment (R31).
    let mut c = ca(&[
        "ca",
        "issue",
        "--profile",
        "org-sign",
        "--structure",
        "1060785011",
        "--service",
        "DMP SIGNATURE",
        "--generate",
        "--p12-out",
        "sign.p12",
        "--out",
        "sign.pem",
    ]);
    c.env("SANTEPKI_P12_PASSPHRASE", "une phrase secrete");
    let (code, _, err) = run(c);
    assert_eq!(code, 0, "{err}");
    let p12 = Command::new("openssl")
        .args(["pkcs12", "-in", "sign.p12", "-passin", "pass:une phrase secrete", "-nokeys", "-clcerts"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(p12.status.success(), "{}", String::from_utf8_lossy(&p12.stderr));
    assert!(String::from_utf8_lossy(&p12.stdout).contains("CN = DMP SIGNATURE"));
    // The certificate by serial, as recorded.
    let serial = String::from_utf8(
        Command::new("openssl")
            .args(["x509", "-in", "sign.pem", "-noout", "-serial"])
            .current_dir(d)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let serial = serial.trim().trim_start_matches("serial=").to_owned();
    let (code, out, err) = run(ca(&["ca", "show", "--serial", &serial]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("issued by ACI-EL-ORG (org-sign)"), "{err}");
    assert_eq!(out, std::fs::read_to_string(d.join("sign.pem")).unwrap());
    // The key file is never overwritten.
    let mut c = ca(&[
        "ca",
        "issue",
        "--profile",
        "org-sign",
        "--structure",
        "1060785011",
        "--service",
        "DMP SIGNATURE",
        "--generate",
        "--p12-out",
        "sign.p12",
    ]);
    c.env("SANTEPKI_P12_PASSPHRASE", "une phrase secrete");
    let (code, _, err) = run(c);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--p12-out"), "{err}");
}

/// Issue 15 point 14: `santepki config` never prints a secret, and an all-digit PIN in the environment (as HSM PINs
/// are) is a PIN, leading zero included, not a type error.
#[test]
fn config_redacts_secrets_and_takes_all_digit_pins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("santepki.toml"),
        "[database]\nurl = \"postgres://santepki:db-password-42@127.0.0.1:5432/santepki\"\n\
         [ca]\nkey_passphrase = \"file passphrase 7\"\npkcs11_pin = 987654\n",
    )
    .unwrap();
    let mut c = santepki(dir.path());
    c.arg("config");
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "{err}");
    for secret in ["db-password-42", "file passphrase 7", "987654"] {
        assert!(!out.contains(secret) && !err.contains(secret), "{secret} printed:\n{out}{err}");
    }
    assert!(out.contains("key_passphrase = \"<redacted>\""), "{out}");
    assert!(out.contains("pkcs11_pin = \"<redacted>\""), "{out}");

    let mut c = santepki(dir.path());
    c.arg("config").env("SANTEPKI_CA__PKCS11_PIN", "0123456").env("SANTEPKI_CA__KEY_PASSPHRASE", "31415926");
    let (code, out, err) = run(c);
    assert_eq!(code, 0, "an all-digit secret in the environment is text: {err}");
    assert!(!out.contains("0123456") && !out.contains("31415926"), "{out}");
}
