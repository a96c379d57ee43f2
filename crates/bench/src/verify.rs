//! Issue 19's benchmark: verifications per second of one CA's certificates with warm revocation
//! caches, santepki-verify side by side with `openssl verify` and pyhanko-certvalidator on the
//! same certificates, CRLs and trust anchor, each using the machine's cores.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use santepki_authority::crl::CrlKind;
use santepki_authority::{IssuingRole, KeyAlgorithm, RevocationReason};
use santepki_verify::{Config, Offline, Request, Use, Verifier};

use crate::ca::{csrs, fresh_db, import_demo_directory, new_authority, request};

fn pem(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der).unwrap_or_default()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs `commands` at once and returns the wall time they took together, with their outputs.
fn parallel(commands: Vec<Command>) -> Result<(f64, Vec<String>)> {
    let start = Instant::now();
    let children: Vec<_> = commands
        .into_iter()
        .map(|mut c| c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn())
        .collect::<Result<_, _>>()?;
    let mut outputs = Vec::new();
    for child in children {
        let out = child.wait_with_output()?;
        outputs.push(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    }
    Ok((start.elapsed().as_secs_f64(), outputs))
}

pub async fn verify_bench(dir: &Path, count: usize, revoked: usize, rounds: usize, python: &Path) -> Result<()> {
    ensure!(revoked < count, "--revoked must be below --count");
    let db = fresh_db(dir, "verify.db").await?;
    import_demo_directory(&db, dir).await?;
    let ca = new_authority(&db, &dir.join("verify-keys"), KeyAlgorithm::Rsa4096, "http://127.0.0.1:9").await?;
    let mut certs = Vec::with_capacity(count);
    for (i, csr) in csrs(count).into_iter().enumerate() {
        certs.push(ca.issue(request(csr, i)).await?);
    }
    for c in &certs[..revoked] {
        ca.revoke(&c.serial, RevocationReason::KeyCompromise, "bench").await?;
    }
    let org = ca.issuing(IssuingRole::Organisations).context("no Organisations CA")?.clone();
    let root = ca.root().clone();
    let mut crls = Vec::new();
    for id in [&root.id, &org.id] {
        for kind in [CrlKind::Full, CrlKind::Delta] {
            ca.publish_crl(id, kind, "bench").await?;
            crls.push(ca.served_crl(id, kind).await?.context("CRL not stored")?.der.to_vec());
        }
    }
    let good = count - revoked;
    println!(
        "verification of {count} ORG AUTH_CLI certificates ({revoked} revoked, in the full CRL), CA keys RSA 4096, \
         subscriber keys P-256, full + delta CRLs of the root and the issuing CA, policy {}, {} cores",
        santepki_verify::TEST_POLICY,
        cores()
    );

    // santepki: the library, the CRLs given (as a relying party's cache holds them), one task per core.
    let mut config = Config::new(vec![root.der.clone()], Arc::new(Offline));
    config.intermediates = vec![org.der.clone()];
    config.crls = crls.clone();
    let verifier = Arc::new(Verifier::new(config)?);
    let ders: Arc<Vec<Vec<u8>>> = Arc::new(certs.iter().map(|c| c.der.clone()).collect());
    let run = |rounds: usize| {
        let tasks: Vec<_> = (0..cores())
            .map(|t| {
                let (verifier, ders) = (verifier.clone(), ders.clone());
                tokio::spawn(async move {
                    let mut accepted = 0usize;
                    for _ in 0..rounds {
                        for der in ders.iter().skip(t).step_by(cores()) {
                            let request =
                                Request { certificate: der.clone(), usage: Some(Use::Mssante), ..Default::default() };
                            accepted += usize::from(verifier.verify(&request).await.accepted);
                        }
                    }
                    accepted
                })
            })
            .collect();
        async move {
            let mut accepted = 0;
            for t in tasks {
                accepted += t.await?;
            }
            anyhow::Ok(accepted)
        }
    };
    ensure!(run(1).await? == good, "santepki accepted a revoked certificate or refused a good one (warm-up)");
    let start = Instant::now();
    let accepted = run(rounds).await?;
    let santepki_seconds = start.elapsed().as_secs_f64();
    ensure!(accepted == good * rounds, "santepki: {accepted} accepted, expected {}", good * rounds);
    let santepki_rate = (count * rounds) as f64 / santepki_seconds;

    // The same files for the two others.
    let files = dir.join("verify-files");
    let _ = std::fs::remove_dir_all(&files);
    std::fs::create_dir_all(&files)?;
    let write = |name: &str, data: &[u8]| -> Result<PathBuf> {
        let p = files.join(name);
        std::fs::write(&p, data)?;
        Ok(p)
    };
    let root_pem = write("root.pem", pem("CERTIFICATE", &root.der).as_bytes())?;
    let org_pem = write("org.pem", pem("CERTIFICATE", &org.der).as_bytes())?;
    let crls_pem = write("crls.pem", crls.iter().map(|c| pem("X509 CRL", c)).collect::<String>().as_bytes())?;
    let crl_files: Vec<PathBuf> =
        crls.iter().enumerate().map(|(i, c)| write(&format!("crl{i}.der"), c)).collect::<Result<_>>()?;
    let cert_files: Vec<PathBuf> = certs
        .iter()
        .enumerate()
        .map(|(i, c)| write(&format!("cert{i}.pem"), pem("CERTIFICATE", &c.der).as_bytes()))
        .collect::<Result<_>>()?;
    let shares = |k: usize| cert_files.iter().skip(k).step_by(cores()).cloned().collect::<Vec<_>>();

    // openssl verify: one process per core, each checking its share `rounds` times over (the
    // certificate files repeated), CRLs loaded once per process.
    let commands = (0..cores())
        .map(|k| {
            let mut c = Command::new("openssl");
            c.args(["verify", "-CAfile"]).arg(&root_pem).arg("-untrusted").arg(&org_pem);
            c.arg("-CRLfile").arg(&crls_pem).args(["-crl_check_all", "-use_deltas", "-explicit_policy"]);
            c.args(["-policy", &santepki_verify::TEST_POLICY.to_string(), "-purpose", "sslclient"]);
            for _ in 0..rounds {
                c.args(shares(k));
            }
            c
        })
        .collect();
    let (openssl_seconds, outputs) = parallel(commands)?;
    let ok: usize = outputs.iter().map(|o| o.lines().filter(|l| l.ends_with(": OK")).count()).sum();
    ensure!(ok == good * rounds, "openssl verify: {ok} OK, expected {}", good * rounds);
    let openssl_rate = (count * rounds) as f64 / openssl_seconds;

    // pyhanko-certvalidator: one process per core, a validation context per certificate reused
    // across the rounds (its caches warm), CRLs given.
    if !python.exists() {
        bail!("{} is missing: run scripts/install-deps.sh", python.display());
    }
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../verify/tests/oracle_pyhanko.py");
    let commands = (0..cores())
        .map(|k| -> Result<Command> {
            let cases: Vec<_> = shares(k)
                .iter()
                .map(|cert| {
                    serde_json::json!({
                        "name": cert.display().to_string(), "cert": cert, "intermediates": [&org_pem],
                        "anchors": [&root_pem], "crls": crl_files, "ocsp": [],
                        "policy": santepki_verify::TEST_POLICY.to_string(),
                        "key_usage": ["digital_signature"], "eku": ["client_auth"], "revocation": "hard-fail",
                        "moment": null,
                    })
                })
                .collect();
            let manifest =
                write(&format!("manifest{k}.json"), serde_json::json!({ "cases": cases }).to_string().as_bytes())?;
            let mut c = Command::new(python);
            c.arg(&oracle).arg(manifest).args(["--bench", "--repeat", &rounds.to_string()]);
            Ok(c)
        })
        .collect::<Result<_>>()?;
    let (pyhanko_seconds, outputs) = parallel(commands)?;
    let validations: u64 = outputs
        .iter()
        .filter_map(|o| o.lines().find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()))
        .filter_map(|v| v["validations"].as_u64())
        .sum();
    ensure!(validations as usize == count * rounds, "pyhanko: {validations} validations: {outputs:?}");
    let pyhanko_rate = validations as f64 / pyhanko_seconds;

    println!("{:<44} {:>12} {:>10}", "verifier", "per second", "seconds");
    for (name, rate, seconds) in [
        ("santepki-verify (library, warm CRL cache)", santepki_rate, santepki_seconds),
        ("openssl verify -crl_check_all -use_deltas", openssl_rate, openssl_seconds),
        ("pyhanko-certvalidator 0.33 (warm contexts)", pyhanko_rate, pyhanko_seconds),
    ] {
        println!("{name:<44} {rate:>12.0} {seconds:>10.2}");
    }
    println!("{} verifications each; santepki accepted {good} of {count} per round, as openssl did", count * rounds);
    Ok(())
}
