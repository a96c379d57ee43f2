//! Certificate authority benchmarks (docs/benchmarks.md, "Certificate authority"), run side by
//! side with OpenSSL by `scripts/bench-ca.sh`:
//!
//! - `ca-issue`: issuance from pre-generated CSRs through `Authority::issue` (SQLite: pending
//!   row, signature, issued row, audit events), at several concurrencies, beside the raw signing
//!   rate of the CA key in-process;
//! - `ca-ocsp-setup`: a CA and issued certificates for `santepki serve`, plus the same issuing CA
//!   (certificate, unencrypted key) and an `index.txt` for `openssl ocsp`, and the requests wrk
//!   sends to both; `ca-ocsp-check` checks that a server's answers are real;
//! - `ca-crl`: a full CRL over a million revoked certificates, end to end and the pure build.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use base64::Engine;
use chrono::{Timelike, Utc};
use const_oid::db::rfc5912;
use der::asn1::OctetString;
use der::{Decode, Encode};
use hdrhistogram::Histogram;
use santepki_authority::crl::{self, CrlKind};
use santepki_authority::keys::software::{decrypt_pkcs8, SoftwareCustody};
use santepki_authority::{Authority, CaSettings, KeyAlgorithm, KeySource, LoadedCa, Profile, RequestedNames};
use santepki_directory::generate::{self, GenerateOptions, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_storage::Db;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, TbsRequest,
};

/// The structure every benchmark certificate is issued to (the demo directory's CHU).
const STRUCTURE: &str = "1060785011";
const PASSPHRASE: &str = "bench passphrase";
const ACTOR: &str = "bench";

/// A fresh SQLite database in `dir` (previous files removed).
pub(crate) async fn fresh_db(dir: &Path, name: &str) -> Result<Db> {
    std::fs::create_dir_all(dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("{name}{suffix}")));
    }
    let path = std::fs::canonicalize(dir)?.join(name);
    Db::connect(&format!("sqlite://{}", path.display())).await.context("opening the database")
}

/// The demo-scale generated directory, imported (what issuance reads its subjects from).
pub(crate) async fn import_demo_directory(db: &Db, dir: &Path) -> Result<()> {
    let files_dir = dir.join("directory-files");
    let _ = std::fs::remove_dir_all(&files_dir);
    let files = generate::generate(&files_dir, &GenerateOptions { scale: Scale::Demo, ..Default::default() })?;
    let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
    for f in files.in_import_order() {
        import_file(db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await?;
    }
    Ok(())
}

/// A new CA hierarchy whose keys are encrypted files in `keys` (removed first).
pub(crate) async fn new_authority(
    db: &Db,
    keys: &Path,
    algorithm: KeyAlgorithm,
    public_url: &str,
) -> Result<Authority> {
    let _ = std::fs::remove_dir_all(keys);
    let custody = SoftwareCustody::new(keys, Some(PASSPHRASE.into()));
    let mut settings = CaSettings::test(public_url);
    settings.key_algorithm = algorithm;
    let (ca, created) = Authority::init(db.clone(), settings, &custody, ACTOR).await?;
    ensure!(created, "the database already had a CA");
    Ok(ca)
}

pub(crate) fn request(csr: Vec<u8>, i: usize) -> santepki_authority::IssueRequest {
    santepki_authority::IssueRequest {
        profile: Profile::OrgAuthCli,
        structure: Some(STRUCTURE.into()),
        professional: None,
        card: None,
        names: RequestedNames { service: Some(format!("BENCH SERVICE {i}")), ..Default::default() },
        key: KeySource::Csr(csr),
        requested_by: ACTOR.into(),
    }
}

/// P-256 CSRs, generated before any timing.
pub(crate) fn csrs(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|_| santepki_authority::testing::csr(KeyAlgorithm::EcdsaP256).0).collect()
}

fn histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

// ---------------------------------------------------------------------------------------------
// Issuance.

pub async fn issue(
    dir: &Path,
    algorithm: KeyAlgorithm,
    count: usize,
    concurrency: &[usize],
    raw_seconds: f64,
) -> Result<()> {
    let db = fresh_db(dir, "issue.db").await?;
    let t = Instant::now();
    import_demo_directory(&db, dir).await?;
    let ca = new_authority(&db, &dir.join("issue-keys"), algorithm, "http://127.0.0.1:9").await?;
    eprintln!("setup (demo directory, {algorithm} hierarchy): {:.1} s", t.elapsed().as_secs_f64());
    let warmup = 20;
    let t = Instant::now();
    let mut pool = csrs(warmup + count * concurrency.len());
    eprintln!("{} P-256 CSRs generated in {:.1} s (not timed below)", pool.len(), t.elapsed().as_secs_f64());

    for (i, csr) in pool.drain(..warmup).enumerate() {
        ca.issue(request(csr, i)).await?;
    }
    println!(
        "issuance: CA key {algorithm} (software backend), SQLite, profile {}, {count} certificates per run",
        Profile::OrgAuthCli.name()
    );
    for &c in concurrency {
        let batch: Vec<Vec<u8>> = pool.drain(..count).collect();
        let (hist, elapsed) = issue_run(&ca, batch, c).await?;
        println!(
            "ca-issue concurrency {c}: {:.1} certificates/s ({count} in {:.2} s); latency ms p50 {:.2} p99 {:.2} max {:.2}",
            count as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            ms(hist.value_at_quantile(0.5)),
            ms(hist.value_at_quantile(0.99)),
            ms(hist.max())
        );
    }
    let issued: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM ca_certificates WHERE status = 'issued' AND ca_id = 'ACI-EL-ORG'")
            .fetch_one(db.pool())
            .await?;
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('certificate.pending', 'certificate.issued')",
    )
    .fetch_one(db.pool())
    .await
    .unwrap_or(-1);
    println!("check: {issued} certificates issued in the database, {events} pending/issued audit events");

    // The same key type signing in-process (aws-lc-rs), without anything around it.
    let signer = ca.issuing(santepki_authority::IssuingRole::Organisations).context("no ORG CA")?.signer.clone();
    let message = vec![0x5au8; 1200];
    for &c in concurrency {
        let rate = raw_sign_rate(&signer, &message, c, raw_seconds)?;
        println!(
            "raw-sign threads {c}: {rate:.1} signatures/s (CA key {algorithm}, aws-lc-rs, {}-byte message)",
            message.len()
        );
    }
    Ok(())
}

pub(crate) async fn issue_run(
    ca: &Authority,
    batch: Vec<Vec<u8>>,
    concurrency: usize,
) -> Result<(Histogram<u64>, Duration)> {
    let n = batch.len();
    let batch: Arc<Vec<std::sync::Mutex<Option<Vec<u8>>>>> =
        Arc::new(batch.into_iter().map(|c| std::sync::Mutex::new(Some(c))).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (ca, batch, next) = (ca.clone(), batch.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = histogram();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let csr = batch[i].lock().expect("lock").take().expect("each CSR once");
                let t = Instant::now();
                ca.issue(request(csr, i)).await?;
                h.record(t.elapsed().as_micros().max(1) as u64).ok();
            }
            Ok::<_, anyhow::Error>(h)
        }));
    }
    let mut all = histogram();
    for t in tasks {
        all.add(t.await??)?;
    }
    Ok((all, start.elapsed()))
}

fn raw_sign_rate(
    signer: &Arc<dyn santepki_authority::CaSigner>,
    message: &[u8],
    threads: usize,
    seconds: f64,
) -> Result<f64> {
    let deadline = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0usize;
                    while start.elapsed() < deadline {
                        signer.sign(message).expect("signature");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("signing thread")).sum()
    });
    Ok(total as f64 / start.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// OCSP.

/// A DER OCSP request for one serial with a SHA-1 CertID (what RFC 5019 clients send).
fn ocsp_request(ca: &LoadedCa, serial: &[u8]) -> Result<Vec<u8>> {
    Ok(OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![Request {
                req_cert: CertId {
                    hash_algorithm: spki::AlgorithmIdentifierOwned {
                        oid: rfc5912::ID_SHA_1,
                        parameters: Some(der::asn1::Null.into()),
                    },
                    issuer_name_hash: OctetString::new(ca.name_sha1.clone())?,
                    issuer_key_hash: OctetString::new(ca.key_identifier.clone())?,
                    serial_number: x509_cert::serial_number::SerialNumber::new(serial)?,
                },
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()?)
}

/// Base64 of a DER request, URL-encoded, as it goes after `/ocsp/` (RFC 6960 A.1).
fn url_base64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

/// `openssl ca` index time: YYMMDDHHMMSSZ.
fn index_time(t: &x509_cert::time::Time) -> String {
    let secs = t.to_unix_duration().as_secs() as i64;
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().format("%y%m%d%H%M%SZ").to_string()
}

/// OpenSSL's one-line form of a name (`/C=FR/O=…`), for `index.txt`.
fn oneline(name: &x509_cert::name::Name) -> String {
    let mut out = String::new();
    for rdn in name.0.iter() {
        for atv in rdn.0.iter() {
            let key = match atv.oid {
                o if o == const_oid::db::rfc4519::C => "C".to_string(),
                o if o == const_oid::db::rfc4519::O => "O".to_string(),
                o if o == const_oid::db::rfc4519::OU => "OU".to_string(),
                o if o == const_oid::db::rfc4519::CN => "CN".to_string(),
                o if o == const_oid::db::rfc4519::ST => "ST".to_string(),
                o if o == const_oid::db::rfc4519::L => "L".to_string(),
                o => o.to_string(),
            };
            let value = String::from_utf8_lossy(atv.value.value()).replace(['\t', '\n', '/'], " ");
            out.push_str(&format!("/{key}={value}"));
        }
    }
    out
}

pub struct OcspSetup {
    pub dir: PathBuf,
    pub listen: String,
    pub count: usize,
    pub concurrency: usize,
    pub algorithm: KeyAlgorithm,
}

/// Writes, in `dir`: `santepki.toml` and `ocsp.db` (a CA, `count` issued certificates with their
/// OCSP responses pre-signed) for `santepki serve`; `ca.pem` (issuing CA), `ca.key.pem` (its key,
/// unencrypted: a throw-away bench CA), `bundle.pem`, `index.txt` (+ `.attr`) for `openssl ocsp`;
/// `requests.txt` (one URL-encoded base64 request per line, for wrk), `serials.txt`, and
/// `sample-<i>.der` requests.
pub async fn ocsp_setup(s: &OcspSetup) -> Result<()> {
    let dir = &s.dir;
    std::fs::create_dir_all(dir)?;
    let dir = std::fs::canonicalize(dir)?;
    let public_url = format!("http://{}", s.listen);
    std::fs::write(
        dir.join("santepki.toml"),
        format!(
            "# Written by santepki-bench ca-ocsp-setup.\n[database]\nurl = \"sqlite://ocsp.db\"\n\n[directory]\nidentifiers = \"test\"\n\n\
             [http]\nlisten = \"{}\"\n\n[ldap]\nlisten = \"127.0.0.1:0\"\n\n[portal]\nlisten = \"127.0.0.1:0\"\n\n[ca]\nkey_algorithm = \"{}\"\nkey_dir = \"ca-keys\"\n\
             key_passphrase = \"{PASSPHRASE}\"\n",
            s.listen, s.algorithm
        ),
    )?;
    let db = fresh_db(&dir, "ocsp.db").await?;
    import_demo_directory(&db, &dir).await?;
    let keys = dir.join("ca-keys");
    let ca = new_authority(&db, &keys, s.algorithm, &public_url).await?;
    // What `santepki ca init` does after creating the hierarchy: the first CRLs.
    ca.publish_due_crls(ACTOR).await?;
    let org = ca.issuing(santepki_authority::IssuingRole::Organisations).context("no ORG CA")?.clone();

    let t = Instant::now();
    let pool = csrs(s.count);
    let (_, elapsed) = issue_run(&ca, pool, s.concurrency).await?;
    eprintln!(
        "issued {} certificates in {:.1} s (+ CSRs {:.1} s)",
        s.count,
        elapsed.as_secs_f64(),
        t.elapsed().as_secs_f64() - elapsed.as_secs_f64()
    );
    let t = Instant::now();
    let mut signed = 0;
    loop {
        let n = ca.refresh_ocsp(10_000).await?;
        signed += n;
        if n == 0 {
            break;
        }
    }
    eprintln!("pre-signed {signed} OCSP responses in {:.1} s", t.elapsed().as_secs_f64());

    // OpenSSL's side: the same issuing CA and its key, unencrypted.
    std::fs::write(dir.join("ca.pem"), org.pem())?;
    std::fs::write(dir.join("bundle.pem"), ca.bundle_pem())?;
    let row = santepki_storage::authority::authorities(&db)
        .await?
        .into_iter()
        .find(|a| a.id == org.id)
        .context("no ORG CA row")?;
    let custody = SoftwareCustody::new(&keys, Some(PASSPHRASE.into()));
    let pem = std::fs::read_to_string(custody.path_of(&row.key_label))?;
    let pkcs8 = decrypt_pkcs8(&row.key_label, &pem, PASSPHRASE)?;
    let key_pem =
        der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &pkcs8).map_err(|e| anyhow::anyhow!("{e}"))?;
    {
        use std::io::Write;
        #[cfg(unix)]
        use std::os::unix::fs::OpenOptionsExt;
        let path = dir.join("ca.key.pem");
        let _ = std::fs::remove_file(&path);
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        o.mode(0o600);
        o.open(&path)?.write_all(key_pem.as_bytes())?;
    }

    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT serial, der FROM ca_certificates WHERE ca_id = $1 AND status = 'issued' AND der IS NOT NULL ORDER BY serial")
            .bind(&org.id)
            .fetch_all(db.pool())
            .await?;
    let mut index = String::new();
    let mut requests = String::new();
    let mut serials = String::new();
    for (i, (serial, der)) in rows.iter().enumerate() {
        let cert = x509_cert::Certificate::from_der(der)?;
        let tbs = &cert.tbs_certificate;
        index.push_str(&format!(
            "V\t{}\t\t{}\tunknown\t{}\n",
            index_time(&tbs.validity.not_after),
            serial.to_ascii_uppercase(),
            oneline(&tbs.subject)
        ));
        let req = ocsp_request(&org, &hex::decode(serial)?)?;
        requests.push_str(&url_base64(&req));
        requests.push('\n');
        serials.push_str(serial);
        serials.push('\n');
        if i < 3 {
            std::fs::write(dir.join(format!("sample-{i}.der")), &req)?;
        }
    }
    std::fs::write(dir.join("index.txt"), index)?;
    // Several certificates share a subject (one per service of a structure is not enforced).
    std::fs::write(dir.join("index.txt.attr"), "unique_subject = no\n")?;
    std::fs::write(dir.join("requests.txt"), requests)?;
    std::fs::write(dir.join("serials.txt"), serials)?;
    println!(
        "ocsp setup in {}: {} issued certificates of {} ({}), responses pre-signed",
        dir.display(),
        rows.len(),
        org.id,
        s.algorithm
    );
    Ok(())
}

/// Sends `sample` of the setup's requests to `url` (…/ocsp, GET with the base64 appended and
/// POST) and checks each answer: successful, signed by the issuing CA, for the serial asked,
/// status good.
pub async fn ocsp_check(dir: &Path, url: &str, sample: usize, post: bool) -> Result<()> {
    let serials: Vec<String> = std::fs::read_to_string(dir.join("serials.txt"))?.lines().map(str::to_owned).collect();
    let requests: Vec<String> = std::fs::read_to_string(dir.join("requests.txt"))?.lines().map(str::to_owned).collect();
    ensure!(!serials.is_empty() && serials.len() == requests.len(), "run ca-ocsp-setup first");
    let ca_pem = std::fs::read_to_string(dir.join("ca.pem"))?;
    let (_, ca_der) = der::pem::decode_vec(ca_pem.as_bytes()).map_err(|e| anyhow::anyhow!("ca.pem: {e}"))?;
    let ca_cert = x509_cert::Certificate::from_der(&ca_der)?;
    let ca_key = ca_cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes().to_vec();
    let client = reqwest::Client::new();
    let step = (serials.len() / sample.max(1)).max(1);
    let (mut good, mut sizes) = (0usize, 0usize);
    let base = url.trim_end_matches('/');
    for i in (0..serials.len()).step_by(step).take(sample) {
        let resp = if post {
            let der = base64::engine::general_purpose::STANDARD
                .decode(requests[i].replace("%2B", "+").replace("%2F", "/").replace("%3D", "="))?;
            client.post(base).header("Content-Type", "application/ocsp-request").body(der).send().await?
        } else {
            client.get(format!("{base}/{}", requests[i])).send().await?
        };
        ensure!(resp.status().is_success(), "{}: HTTP {}", serials[i], resp.status());
        let body = resp.bytes().await?;
        sizes += body.len();
        let ocsp = OcspResponse::from_der(&body).with_context(|| format!("{}: not an OCSP response", serials[i]))?;
        ensure!(
            ocsp.response_status == OcspResponseStatus::Successful,
            "{}: status {:?}",
            serials[i],
            ocsp.response_status
        );
        let basic = BasicOcspResponse::from_der(ocsp.response_bytes.context("no response bytes")?.response.as_bytes())?;
        let tbs = basic.tbs_response_data.to_der()?;
        let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = match basic.signature_algorithm.oid {
            o if o == rfc5912::SHA_256_WITH_RSA_ENCRYPTION => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            o if o == rfc5912::SHA_1_WITH_RSA_ENCRYPTION => {
                &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
            }
            o if o == rfc5912::ECDSA_WITH_SHA_256 => &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1,
            o => bail!("signature algorithm {o}"),
        };
        aws_lc_rs::signature::UnparsedPublicKey::new(alg, &ca_key)
            .verify(&tbs, basic.signature.raw_bytes())
            .map_err(|_| anyhow::anyhow!("{}: the response is not signed by the issuing CA", serials[i]))?;
        let single = basic.tbs_response_data.responses.first().context("no single response")?;
        let got = santepki_authority::x509::serial_hex(&single.cert_id.serial_number);
        ensure!(got == serials[i], "asked {}, answered {got}", serials[i]);
        ensure!(matches!(single.cert_status, CertStatus::Good(_)), "{}: {:?}", serials[i], single.cert_status);
        good += 1;
    }
    println!(
        "ocsp-check {url} ({}): {good} answers checked: successful, signed by the issuing CA, right serial, good; {} bytes on average",
        if post { "POST" } else { "GET" },
        sizes / good.max(1)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// CRL.

pub async fn crl_bench(dir: &Path, algorithm: KeyAlgorithm, entries: usize, runs: usize, reuse: bool) -> Result<()> {
    let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
    let keys = dir.join("crl-keys");
    let (db, ca) = if reuse && dir.join("crl.db").is_file() {
        // The database of an earlier run, its rows unexpired for months.
        let path = std::fs::canonicalize(dir.join("crl.db"))?;
        let db = Db::connect(&format!("sqlite://{}", path.display())).await?;
        let mut settings = CaSettings::test("http://127.0.0.1:9");
        settings.key_algorithm = algorithm;
        let ca = Authority::load(db.clone(), settings, &SoftwareCustody::new(&keys, Some(PASSPHRASE.into()))).await?;
        println!("crl: reusing {}", path.display());
        (db, ca)
    } else {
        let db = fresh_db(dir, "crl.db").await?;
        let ca = new_authority(&db, &keys, algorithm, "http://127.0.0.1:9").await?;
        let org = ca.issuing(santepki_authority::IssuingRole::Organisations).context("no ORG CA")?;
        let t = Instant::now();
        bulk_revoked(&db, &org.id, entries, now).await?;
        println!(
            "crl: inserted {entries} revoked certificates of {} with SQL in {:.1} s (not timed below)",
            org.id,
            t.elapsed().as_secs_f64()
        );
        (db, ca)
    };
    let org = ca.issuing(santepki_authority::IssuingRole::Organisations).context("no ORG CA")?.clone();
    // Checkpoint the insert's WAL so that it does not weigh on the first timed run.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(db.pool()).await?;

    let db_file = dir.join("crl.db");
    let mut times = Vec::new();
    for run in 1..=runs {
        // This machine's memory manager evicts file pages unused for seconds: read the database
        // through first, as a server that keeps it in its cache would have it.
        warm_file(&db_file)?;
        let t = Instant::now();
        let published = ca.publish_crl(&org.id, CrlKind::Full, ACTOR).await?;
        let elapsed = t.elapsed();
        println!(
            "ca-crl publish_crl(Full) run {run}: {:.2} s, {} entries, {} bytes ({:.1} MB), CRL number {}",
            elapsed.as_secs_f64(),
            published.entries,
            published.der_len,
            published.der_len as f64 / 1e6,
            published.number
        );
        ensure!(published.entries == entries, "expected {entries} entries");
        times.push(elapsed.as_secs_f64());
    }
    if !times.is_empty() {
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "ca-crl publish_crl(Full) over {} runs: median {:.2} s, best {:.2} s, worst {:.2} s",
            times.len(),
            sorted[sorted.len() / 2],
            sorted[0],
            sorted[sorted.len() - 1]
        );
    }

    // The parts, separately (median of `runs`, at least 3: single measurements vary here).
    let now_text = santepki_storage::time::format(now);
    let (mut reads, mut builds, mut signs) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..runs.max(3) {
        warm_file(&db_file)?;
        let t = Instant::now();
        let rows = santepki_storage::authority::revoked_entries(&db, &org.id, &now_text, None).await?;
        reads.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let built = crl::build(&org, ca.settings(), 1_000_000, None, now, now + chrono::Duration::days(7), &rows)?;
        builds.push(t.elapsed().as_secs_f64());
        drop(rows);
        let t = Instant::now();
        org.signer.sign(&built)?;
        signs.push(t.elapsed().as_secs_f64());
        size = built.len();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "ca-crl parts (median of {}): revoked_entries (DB read) {:.2} s; crl::build (pure, signature included) {:.2} s; one signature over {size} bytes {:.3} s",
        reads.len(),
        median(&mut reads),
        median(&mut builds),
        median(&mut signs)
    );

    // The stored CRL is real: it parses, lists every entry, and its signature verifies.
    let stored = ca.latest_crl(&org.id, CrlKind::Full).await?.context("no stored CRL")?;
    let t = Instant::now();
    let list = x509_cert::crl::CertificateList::from_der(&stored.der)?;
    let n = list.tbs_cert_list.revoked_certificates.as_ref().map_or(0, Vec::len);
    let tbs = list.tbs_cert_list.to_der()?;
    let key = org.certificate.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    let alg: &dyn aws_lc_rs::signature::VerificationAlgorithm = if algorithm.is_rsa() {
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256
    } else {
        &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1
    };
    aws_lc_rs::signature::UnparsedPublicKey::new(alg, key)
        .verify(&tbs, list.signature.raw_bytes())
        .map_err(|_| anyhow::anyhow!("the CRL signature does not verify"))?;
    ensure!(n == entries, "the stored CRL lists {n} entries");
    println!(
        "check: the stored CRL parses, lists {n} entries, and its signature verifies ({:.1} s)",
        t.elapsed().as_secs_f64()
    );
    std::fs::write(dir.join("full.crl"), &stored.der)?;
    std::fs::write(dir.join("ca-crl.pem"), org.pem())?;
    Ok(())
}

/// `n` revoked, unexpired certificates of `ca_id`, in one SQL statement (SQLite): random 16-byte
/// serials, revocation times over the past year, a mix of reasons (a fifth without one).
async fn bulk_revoked(db: &Db, ca_id: &str, n: usize, now: chrono::DateTime<Utc>) -> Result<()> {
    ensure!(db.backend().name() == "SQLite", "the bulk insert is written for SQLite");
    let not_before = santepki_storage::time::format(now - chrono::Duration::days(400));
    let not_after = santepki_storage::time::format(now + chrono::Duration::days(700));
    let created = santepki_storage::time::format(now - chrono::Duration::days(400));
    sqlx::query(
        "INSERT INTO ca_certificates (serial, ca_id, profile, status, subject, structure_id, professional_id, spki_sha256, tbs, der, \
           not_before, not_after, requested_by, created_at, issued_at, revoked_at, revocation_reason) \
         WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < $1) \
         SELECT printf('%02x', 1 + (random() & 126)) || lower(hex(randomblob(15))), $2, 'org-auth-cli', 'revoked', \
           'CN=BENCH ' || i || ',OU=1060785011,O=CHU,C=FR', '1060785011', NULL, lower(hex(randomblob(32))), x'3000', NULL, \
           $3, $4, 'bench', $5, $5, \
           strftime('%Y-%m-%dT%H:%M:%SZ', $6, '-' || (i % 31536000) || ' seconds'), \
           CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'keyCompromise' WHEN 2 THEN 'superseded' \
             WHEN 3 THEN 'affiliationChanged' ELSE 'cessationOfOperation' END \
         FROM s",
    )
    .bind(n as i64)
    .bind(ca_id)
    .bind(&not_before)
    .bind(&not_after)
    .bind(&created)
    .bind(santepki_storage::time::format(now - chrono::Duration::seconds(1)))
    .execute(db.pool())
    .await?;
    let got: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ca_certificates WHERE ca_id = $1 AND status = 'revoked'")
        .bind(ca_id)
        .fetch_one(db.pool())
        .await?;
    ensure!(got as usize == n, "inserted {got} rows, expected {n} (a serial collision?)");
    Ok(())
}

/// Reads a file through so that its pages are in the OS cache (this machine's memory manager
/// evicts file pages unused for a few seconds).
fn warm_file(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}
