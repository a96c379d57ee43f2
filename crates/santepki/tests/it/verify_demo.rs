//! Issue 19 on the demo, as a relying party uses it: the vendor's administrator orders the LBM's
//! DMP AUTHENTIFICATION certificate (the SELAS's main site), then `santepki verify` and
//! `POST /api/v1/verify` judge it over the demo's real OCSP responder and CRLs: coherent with the
//! FINESS of the SELAS's secondary site (R40), incoherent with the pharmacy's, refused for INSi
//! (R29), refused once revoked.

use std::path::Path;

use santepki_authority::testing::csr;
use santepki_authority::KeyAlgorithm;

use crate::demo_platform::{curl, output, santepki, Demo};

const ADMIN_CARD: &str = "2000000103";
const LBM_MAIN_SITE: &str = "1330900028";
const LBM_SECONDARY_SITE: &str = "1330900036";
const LBM_LEGAL_ENTITY: &str = "1330900010";
const PHARMACY: &str = "1750900029";

fn verify(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut c = santepki(dir);
    c.arg("verify").arg("--json").args(args);
    let (code, out, err) = output(c);
    let json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, json, err)
}

fn codes(verdict: &serde_json::Value) -> Vec<String> {
    verdict["refusals"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_owned()).collect()
}

fn post_verify(http: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let out = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "60", "-X", "POST", "-H", "content-type: application/json", "-w", "\n%{http_code}"])
        .arg("--data-binary")
        .arg(body.to_string())
        .arg(format!("{http}/api/v1/verify"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.trim().parse().unwrap(), serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")))
}

#[test]
fn the_demos_lbm_certificate_is_coherent_with_its_sites_and_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The CA's URLs (OCSP, CRLs) are made from the HTTP listener's address at `ca init`: a real
    // port, not 0, so that the verifier reaches the demo's responder.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let (demo, facts) = Demo::start(d, &[("SANTEPKI_HTTP__LISTEN", &listen)]);
    let api = facts["api_url"].as_str().unwrap();
    let http = facts["http_url"].as_str().unwrap();

    let (der, _) = csr(KeyAlgorithm::Rsa2048);
    let pem = der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der).unwrap();
    let order = serde_json::json!({
        "profile": "org-auth-cli", "structure": LBM_MAIN_SITE, "service": "DMP AUTHENTIFICATION",
        "actor_email": "it@example.org", "csr": pem,
    });
    let (code, body) = curl(&facts, ADMIN_CARD, "POST", &format!("{api}/products"), Some(&order));
    assert_eq!(code, 201, "{body}");
    let ordered: serde_json::Value = serde_json::from_str(&body).unwrap();
    let cert_pem = ordered["certificate_pem"].as_str().unwrap().to_owned();
    std::fs::write(d.join("lbm.pem"), &cert_pem).unwrap();

    // The acceptance: coherent with the secondary site, OCSP from the demo's responder.
    let (code, v, err) = verify(d, &["--use", "dmp-auth", "--structure", LBM_SECONDARY_SITE, "lbm.pem"]);
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["accepted"], true);
    assert_eq!(v["coherence"]["coherent"], true, "{v}");
    assert_eq!(v["coherence"]["certificate_legal_entity"], LBM_LEGAL_ENTITY);
    assert_eq!(v["revocation"]["checks"][0]["source"], "ocsp", "{v}");
    assert_eq!(v["path"].as_array().unwrap().len(), 3, "{v}");
    // The human output says it too.
    let (code, out, _) = output({
        let mut c = santepki(d);
        c.args(["verify", "--use", "dmp-auth", "--structure", LBM_SECONDARY_SITE, "lbm.pem"]);
        c
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("ACCEPTED for dmp-auth"), "{out}");
    assert!(
        out.contains(&format!(
            "coherent with the certificate's {LBM_MAIN_SITE} (same legal entity {LBM_LEGAL_ENTITY})"
        )),
        "{out}"
    );

    // Another legal entity's FINESS: incoherent (R40); strict equality refuses the secondary site.
    let (code, v, _) = verify(d, &["--use", "dmp-auth", "--structure", PHARMACY, "lbm.pem"]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(codes(&v), ["structure_incoherent"]);
    assert_eq!(v["refusals"][0]["rule"], "R40");
    let (code, v, _) = verify(d, &["--use", "dmp-auth", "--strict", "--structure", LBM_SECONDARY_SITE, "lbm.pem"]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(codes(&v), ["structure_incoherent"]);
    // Not an INSi certificate (R29), nor a SIGN one (the EKU).
    let (code, v, _) = verify(d, &["--use", "insi", "lbm.pem"]);
    assert_eq!((code, codes(&v)), (3, vec!["service_name".to_owned()]), "{v}");
    let (code, v, _) = verify(d, &["--use", "dmp-sign", "lbm.pem"]);
    assert_eq!(code, 3, "{v}");
    assert!(codes(&v).contains(&"extended_key_usage".to_owned()), "{v}");
    // Another trust anchor: no path. Offline without CRLs: no status, hard-fail.
    let (code, v, _) = verify(
        d,
        &["--use", "dmp-auth", "--anchors-only", "--anchor", facts["portal_certificate"].as_str().unwrap(), "lbm.pem"],
    );
    assert_eq!((code, codes(&v)), (3, vec!["unknown_issuer".to_owned()]), "{v}");
    // An anchor added to this CA's root leaves the certificate accepted.
    let (code, v, _) =
        verify(d, &["--use", "dmp-auth", "--anchor", facts["portal_certificate"].as_str().unwrap(), "lbm.pem"]);
    assert_eq!(code, 0, "{v}");
    let (code, v, _) = verify(d, &["--use", "dmp-auth", "--offline", "lbm.pem"]);
    assert_eq!(code, 3, "{v}");
    assert!(codes(&v).iter().all(|c| c == "revocation_unknown"), "{v}");
    // Bad input names its field, and is no verdict.
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["verify", "missing.pem"]);
        c
    });
    assert_eq!(code, 1);
    assert!(err.contains("the certificate") && err.contains("missing.pem"), "{err}");
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["verify", "--use", "dmp-auth", "--structure", "330900036", "lbm.pem"]);
        c
    });
    assert_eq!(code, 1);
    assert!(err.contains("--structure"), "{err}");
    let (code, _, err) = output({
        let mut c = santepki(d);
        c.args(["verify", "--use", "dmp", "lbm.pem"]);
        c
    });
    assert_eq!(code, 2);
    assert!(err.contains("unknown use"), "{err}");

    // The same over HTTP, without a card.
    let (code, v) = post_verify(
        http,
        &serde_json::json!({"certificate": cert_pem, "use": "dmp-auth", "structure": LBM_SECONDARY_SITE}),
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!((v["accepted"].as_bool(), v["coherence"]["coherent"].as_bool()), (Some(true), Some(true)), "{v}");
    let (code, v) =
        post_verify(http, &serde_json::json!({"certificate": cert_pem, "use": "dmp-auth", "structure": PHARMACY}));
    assert_eq!((code, v["accepted"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(v["refusals"][0]["code"], "structure_incoherent");
    let (code, v) =
        post_verify(http, &serde_json::json!({"certificate": "bm90IGEgY2VydGlmaWNhdGU=", "use": "dmp-auth"}));
    assert_eq!(
        (code, v["error"].as_str(), v["field"].as_str()),
        (400, Some("invalid_certificate"), Some("certificate"))
    );
    let (code, v) = post_verify(http, &serde_json::json!({"certificate": cert_pem, "use": "dmp"}));
    assert_eq!((code, v["error"].as_str(), v["field"].as_str()), (400, Some("invalid_use"), Some("use")));
    let (code, v) = post_verify(http, &serde_json::json!({"certificate": cert_pem, "structure": "330900036"}));
    assert_eq!((code, v["error"].as_str(), v["field"].as_str()), (400, Some("invalid_structure"), Some("structure")));
    let (code, v) = post_verify(http, &serde_json::json!({"certificat": cert_pem}));
    assert_eq!((code, v["error"].as_str()), (400, Some("invalid_json")), "{v}");

    // Rate-limited per address: a burst, then 429 with Retry-After.
    let client = reqwest::blocking::Client::new();
    let body = serde_json::json!({"certificate": cert_pem, "use": "dmp-auth"});
    let limited = (0..500)
        .map(|_| client.post(format!("{http}/api/v1/verify")).json(&body).send().unwrap())
        .find(|r| r.status() == 429)
        .expect("no 429 after 500 verifications");
    assert!(limited.headers().get("retry-after").is_some());
    assert_eq!(limited.json::<serde_json::Value>().unwrap()["error"], "rate_limited");
    std::thread::sleep(std::time::Duration::from_secs(3));

    // Revoked: both front ends refuse it within the caches' lifetime.
    let id = ordered["product"]["id"].as_str().unwrap();
    let (code, body) = curl(
        &facts,
        ADMIN_CARD,
        "POST",
        &format!("{api}/products/{id}/revocation"),
        Some(&serde_json::json!({ "reason": "keyCompromise" })),
    );
    assert_eq!(code, 200, "{body}");
    let started = std::time::Instant::now();
    loop {
        let (_, cli, _) = verify(d, &["--use", "dmp-auth", "lbm.pem"]);
        let (_, api) = post_verify(http, &serde_json::json!({"certificate": cert_pem, "use": "dmp-auth"}));
        if codes(&cli) == ["revoked"] && api["refusals"][0]["code"] == "revoked" {
            assert_eq!(cli["revocation"]["checks"][0]["reason"], "keyCompromise", "{cli}");
            break;
        }
        assert!(started.elapsed().as_secs() < 20, "not refused as revoked: {cli}\n{api}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    drop(demo);
}
