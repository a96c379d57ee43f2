//! `santepki-bench`: measurements recorded in `docs/benchmarks.md`, each with the command that
//! produced it. Speed targets are checked here, never by timed unit tests.

// A measuring tool: a failed step ends the run with its message, as a failed test would.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
/// mimalloc: imports allocate row values on the parsing thread and free them on the database
/// worker; glibc's malloc spent a third of the import time on that cross-thread pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit;
mod ca;
mod ldap;
mod products;
mod registration;
mod verify;

use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use rand::seq::SliceRandom;
use santepki_authority::KeyAlgorithm;
use santepki_directory::search::{Directory, Query, SearchResult};
use santepki_domain::ValidationMode;
use santepki_storage::Db;

#[derive(Parser)]
#[command(name = "santepki-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Latency of directory searches by RPPS (random professionals of the database), through the
    /// search service and through the HTTP API.
    DirectorySearch {
        /// Database to query (an imported directory, e.g. the national-scale one).
        #[arg(long, env = "SANTEPKI_DATABASE__URL")]
        database_url: String,
        /// Number of searches per measurement.
        #[arg(long, default_value_t = 20_000)]
        queries: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
    },
    /// R48: one vendor administrator habilitated for N client practices in one API submission,
    /// end to end over mutual TLS (submission, each holder's CMS signature, bulk decision).
    RegistrationBulk {
        /// Working folder (database, directory files, CA keys).
        #[arg(long, default_value = "target/bench-registration")]
        dir: PathBuf,
        #[arg(long, default_value_t = 1000)]
        practices: usize,
        /// Concurrent signers.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Issue 5: the product list of the API and of the portal for one vendor administrator
    /// with N products over M habilitated practices, over mutual TLS: p50/p90/p99 per kind.
    ProductList {
        /// Working folder (SQLite database, directory files, CA keys).
        #[arg(long, default_value = "target/bench-products")]
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "sqlite")]
        backend: products::Backend,
        #[arg(long, default_value_t = 10_000)]
        products: usize,
        /// Practices the administrator is habilitated for (R48 bulk path).
        #[arg(long, default_value_t = 1000)]
        practices: usize,
        /// Measured requests per kind (API, page).
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        /// Concurrent clients while measuring (and issuing during setup).
        #[arg(long, default_value_t = 1)]
        concurrency: usize,
    },
    /// The CPS attribute types and object classes as a slapd.conf schema file (stdout).
    LdapSchema,
    /// The whole directory as LDIF, with santepki's own entry mapping (for slapadd).
    LdapExport {
        #[arg(long, env = "SANTEPKI_DATABASE__URL")]
        database_url: String,
        /// LDIF file to write.
        #[arg(long)]
        out: String,
    },
    /// R44 searches `(cn=<idNat_PS>)` for random professionals by N concurrent LDAP clients,
    /// each with its own connection (issue 6: santepki vs slapd).
    LdapSearch {
        /// Server, e.g. ldap://127.0.0.1:3890.
        #[arg(long)]
        url: String,
        /// Database the professionals are drawn from.
        #[arg(long, env = "SANTEPKI_DATABASE__URL")]
        database_url: String,
        /// Concurrent clients (one connection each); several runs with a comma list: 1,4,16.
        #[arg(long, default_value = "1", value_delimiter = ',')]
        clients: Vec<usize>,
        /// Measured time per run (after a 2 s warm-up), e.g. 20s.
        #[arg(long, default_value = "20s", value_parser = ldap::parse_duration)]
        duration: Duration,
        /// Search base.
        #[arg(long, default_value = "o=GIP-CPS,c=fr")]
        base: String,
        /// Professionals in the sample (fixed seed: the same for every server).
        #[arg(long, default_value_t = 200_000)]
        sample: usize,
    },
    /// Issuance from pre-generated P-256 CSRs through `Authority::issue` on a fresh SQLite
    /// database (demo directory, new CA hierarchy), at each concurrency; then the raw signing
    /// rate of the same CA key in-process.
    CaIssue {
        /// Work folder (the database and the encrypted CA keys are written there).
        #[arg(long, default_value = "bench-data/ca")]
        dir: PathBuf,
        /// CA key type.
        #[arg(long, default_value = "rsa4096")]
        algorithm: KeyAlgorithm,
        /// Certificates per run.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Concurrent issuances; one run each: 1,2,4.
        #[arg(long, default_value = "1,2", value_delimiter = ',')]
        concurrency: Vec<usize>,
        /// Seconds of raw signing per thread count.
        #[arg(long, default_value_t = 10.0)]
        raw_seconds: f64,
    },
    /// A CA with issued certificates and pre-signed OCSP responses for `santepki serve`
    /// (santepki.toml in --dir), the same issuing CA's certificate and unencrypted key with an
    /// index.txt for `openssl ocsp`, and the requests (requests.txt) for the load generator.
    CaOcspSetup {
        #[arg(long, default_value = "bench-data/ca/ocsp")]
        dir: PathBuf,
        /// Address `santepki serve` will listen on (written in santepki.toml).
        #[arg(long, default_value = "127.0.0.1:8480")]
        listen: String,
        /// Certificates to issue.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Concurrent issuances while setting up.
        #[arg(long, default_value_t = 2)]
        concurrency: usize,
        #[arg(long, default_value = "rsa4096")]
        algorithm: KeyAlgorithm,
    },
    /// Checks a sample of an OCSP server's answers to the setup's requests: successful, signed
    /// by the issuing CA, for the serial asked, good.
    CaOcspCheck {
        #[arg(long, default_value = "bench-data/ca/ocsp")]
        dir: PathBuf,
        /// The responder's base URL, e.g. http://127.0.0.1:8480/ocsp (GET appends /<base64>).
        #[arg(long)]
        url: String,
        #[arg(long, default_value_t = 50)]
        sample: usize,
        /// POST the DER request instead of GET.
        #[arg(long)]
        post: bool,
    },
    /// Issue 18: issuance throughput without and with the audit sequencer running as in `serve`
    /// (runs alternated), and the sequencer's own rate.
    AuditIssue {
        #[arg(long, default_value = "bench-data/audit")]
        dir: PathBuf,
        #[arg(long, default_value = "rsa4096")]
        algorithm: KeyAlgorithm,
        /// Certificates per run.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Pairs of runs (without, with).
        #[arg(long, default_value_t = 3)]
        pairs: usize,
    },
    /// Issue 19: verifications per second with warm revocation caches: santepki-verify,
    /// `openssl verify` and pyhanko-certvalidator on the same certificates and CRLs.
    Verify {
        #[arg(long, default_value = "bench-data/verify")]
        dir: PathBuf,
        /// Certificates issued.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Of which revoked (listed in the full CRL).
        #[arg(long, default_value_t = 100)]
        revoked: usize,
        /// Times each certificate is verified.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// The Python with pyhanko-certvalidator.
        #[arg(long, default_value = "target/test-venv/bin/python")]
        python: PathBuf,
    },
    /// Issue 18: N audit events inserted, sequenced in one catch-up, then `audit verify`.
    AuditVerify {
        #[arg(long, default_value = "bench-data/audit")]
        dir: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// An empty PostgreSQL database instead of a fresh SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// A full CRL of a CA with N revoked certificates (inserted with SQL): `publish_crl`
    /// end to end (read, build, sign, store), then the database read and `crl::build` alone.
    CaCrl {
        #[arg(long, default_value = "bench-data/ca")]
        dir: PathBuf,
        #[arg(long, default_value = "rsa4096")]
        algorithm: KeyAlgorithm,
        #[arg(long, default_value_t = 1_000_000)]
        entries: usize,
        /// Timed publications.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Reuse the database of an earlier run (crl.db in --dir) instead of inserting again.
        #[arg(long)]
        reuse: bool,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::DirectorySearch { database_url, queries, concurrency } => {
            directory_search(&database_url, queries, concurrency).await
        }
        Command::RegistrationBulk { dir, practices, concurrency } => {
            registration::bulk(&dir, practices, concurrency).await
        }
        Command::ProductList { dir, backend, products, practices, requests, concurrency } => {
            products::run(&dir, &products::Settings { backend, products, practices, requests, concurrency }).await
        }
        Command::LdapSchema => {
            print!("{}", ldap::slapd_schema());
            Ok(())
        }
        Command::LdapExport { database_url, out } => {
            let t = Instant::now();
            let (ps, sit) = ldap::export(&database_url, &out).await?;
            println!("{out}: {ps} professionals, {sit} situations in {:.1} s", t.elapsed().as_secs_f64());
            Ok(())
        }
        Command::LdapSearch { url, database_url, clients, duration, base, sample } => {
            let ids = ldap::sample(&database_url, sample).await?;
            for n in clients {
                ldap::search(&url, &base, ids.clone(), n, duration).await?;
            }
            Ok(())
        }
        Command::CaIssue { dir, algorithm, count, concurrency, raw_seconds } => {
            ca::issue(&dir, algorithm, count, &concurrency, raw_seconds).await
        }
        Command::CaOcspSetup { dir, listen, count, concurrency, algorithm } => {
            ca::ocsp_setup(&ca::OcspSetup { dir, listen, count, concurrency, algorithm }).await
        }
        Command::CaOcspCheck { dir, url, sample, post } => ca::ocsp_check(&dir, &url, sample, post).await,
        Command::AuditIssue { dir, algorithm, count, pairs } => audit::issue_cost(&dir, algorithm, count, pairs).await,
        Command::Verify { dir, count, revoked, rounds, python } => {
            verify::verify_bench(&dir, count, revoked, rounds, &python).await
        }
        Command::AuditVerify { dir, events, database_url } => {
            audit::verify_large(&dir, events, database_url.as_deref()).await
        }
        Command::CaCrl { dir, algorithm, entries, runs, reuse } => {
            ca::crl_bench(&dir, algorithm, entries, runs, reuse).await
        }
    }
}

async fn directory_search(url: &str, queries: usize, concurrency: usize) -> Result<()> {
    let db = Db::connect(url).await.context("opening the database")?;
    let mut ids: Vec<String> =
        sqlx::query_scalar("SELECT national_id FROM professionals WHERE id_type = '8' AND closed_at IS NULL")
            .fetch_all(db.pool())
            .await?;
    anyhow::ensure!(!ids.is_empty(), "the database has no professional: import a directory first");
    let mut rng = rand::thread_rng();
    ids.shuffle(&mut rng);
    let sample: Vec<String> = ids.iter().cycle().take(queries).cloned().collect();
    println!(
        "backend {}, {} professionals, {queries} queries, {concurrency} client(s)",
        db.backend().name(),
        ids.len()
    );

    // Through the search service (what the CLI and every front end call).
    let directory = Directory::new(db.clone());
    let (hist, elapsed) = run_clients(&sample, concurrency, move |rpps| {
        let directory = directory.clone();
        async move {
            let q = Query::parse("rpps", &rpps, ValidationMode::Test)?;
            match directory.search(&q, 20).await? {
                SearchResult::Professional(_) => Ok(()),
                other => anyhow::bail!("RPPS {rpps} not found: {other:?}"),
            }
        }
    })
    .await?;
    report("service   Directory::search(rpps)", &hist, elapsed, queries);

    // Through HTTP: the router served on an ephemeral port, a keep-alive client.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = santepki_http::router(santepki_http::AppState::new(db.clone(), ValidationMode::Test));
    tokio::spawn(santepki_http::serve(listener, router, std::future::pending()));
    let client = reqwest::Client::new();
    let (hist, elapsed) = run_clients(&sample, concurrency, move |rpps| {
        let client = client.clone();
        async move {
            let r = client.get(format!("http://{addr}/api/v1/directory/professionals/{rpps}")).send().await?;
            anyhow::ensure!(r.status().is_success(), "HTTP {}", r.status());
            r.bytes().await?;
            Ok(())
        }
    })
    .await?;
    report("http      GET /api/v1/directory/professionals/{rpps}", &hist, elapsed, queries);
    Ok(())
}

async fn run_clients<F, Fut>(sample: &[String], concurrency: usize, op: F) -> Result<(Histogram<u64>, Duration)>
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    // Warm-up: caches and connections, not measured.
    for id in sample.iter().take(500) {
        op(id.clone()).await?;
    }
    let chunks: Vec<Vec<String>> =
        sample.chunks(sample.len().div_ceil(concurrency.max(1))).map(<[String]>::to_vec).collect();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for chunk in chunks {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            for id in chunk {
                let t = Instant::now();
                op(id).await?;
                h.record(t.elapsed().as_micros().max(1) as u64).ok();
            }
            Ok::<_, anyhow::Error>(h)
        }));
    }
    let mut all = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for t in tasks {
        all.add(t.await??)?;
    }
    Ok((all, start.elapsed()))
}

fn report(what: &str, h: &Histogram<u64>, elapsed: Duration, n: usize) {
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "{what}: {:.0} req/s; latency ms p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
        n as f64 / elapsed.as_secs_f64(),
        ms(h.value_at_quantile(0.50)),
        ms(h.value_at_quantile(0.90)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
}
