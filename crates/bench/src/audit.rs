//! Issue 18's targets: the audit sequencer keeps up with issuance at under 5 % of its throughput,
//! and `audit verify` recomputes 1,000,000 events in under 30 s.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use santepki_audit::verify;
use santepki_audit::{AuditLog, Sequencer};
use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::KeyAlgorithm;

use crate::ca::{csrs, fresh_db, import_demo_directory, issue_run, new_authority, request};

const ORIGIN: &str = "bench.santepki.invalid/audit";

async fn store_is_empty(db: &santepki_storage::Db) -> Result<bool> {
    Ok(santepki_storage::audit::log::tree_size(db.pool()).await? == 0
        && santepki_storage::audit::log::unsequenced_count(db.pool()).await? == 0)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_owned()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|k| k.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Issuance runs without and with a sequencer running as `serve` runs it (a round each second,
/// a checkpoint every 10 s), alternated so that drift hits both alike.
pub async fn issue_cost(dir: &Path, algorithm: KeyAlgorithm, count: usize, pairs: usize) -> Result<()> {
    let db = fresh_db(dir, "audit-issue.db").await?;
    import_demo_directory(&db, dir).await?;
    let ca = new_authority(&db, &dir.join("audit-issue-keys"), algorithm, "http://127.0.0.1:9").await?;
    let custody = SoftwareCustody::new(dir.join("audit-keys"), Some("bench".into()));
    let log = AuditLog::open_or_create(&db, &custody, ORIGIN, "bench").await?;
    let mut pool = csrs(20 + 2 * pairs * count);
    for (i, csr) in pool.drain(..20).enumerate() {
        ca.issue(request(csr, i)).await?;
    }
    Sequencer::new(log.clone(), "bench", Duration::ZERO).round(true).await?;
    println!(
        "audit sequencing cost on issuance: CA key {algorithm}, SQLite, {count} certificates per run, 1 at a time"
    );
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let mut sequenced_total = 0u64;
    let mut busy_total = Duration::ZERO;
    for pair in 0..pairs {
        for sequencing in [false, true] {
            let batch: Vec<Vec<u8>> = pool.drain(..count).collect();
            let stop = Arc::new(AtomicBool::new(false));
            let sequenced = Arc::new(AtomicU64::new(0));
            let busy = Arc::new(std::sync::Mutex::new(Duration::ZERO));
            let job = sequencing.then(|| {
                let (log, stop, sequenced, busy) = (log.clone(), stop.clone(), sequenced.clone(), busy.clone());
                tokio::spawn(async move {
                    let s = Sequencer::new(log, "bench", Duration::from_secs(10));
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        if let Ok(r) = s.round(false).await {
                            sequenced.fetch_add(r.sequenced, Ordering::Relaxed);
                        }
                        *busy.lock().expect("lock") += t.elapsed();
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                })
            });
            let (_, elapsed) = issue_run(&ca, batch, 1).await?;
            stop.store(true, Ordering::Relaxed);
            if let Some(j) = job {
                j.await?;
            }
            let rate = count as f64 / elapsed.as_secs_f64();
            if sequencing {
                with.push(rate);
                sequenced_total += sequenced.load(Ordering::Relaxed);
                busy_total += *busy.lock().expect("lock");
            } else {
                without.push(rate);
            }
            println!(
                "pair {pair} {}: {rate:.1} certificates/s",
                if sequencing { "with the sequencer   " } else { "without the sequencer" }
            );
        }
    }
    // Whatever the last runs left, then the check that nothing is missing.
    Sequencer::new(log.clone(), "bench", Duration::ZERO).round(true).await?;
    let report = verify::verify(&db, ORIGIN, log.verifier_key(), &[]).await?;
    ensure!(report.ok() && report.unsequenced == 0, "the log does not verify: {:?}", report.findings);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (a, b) = (mean(&without), mean(&with));
    println!("mean without: {a:.1} certificates/s; with: {b:.1} certificates/s; cost {:.1} %", (a - b) / a * 100.0);
    println!(
        "sequencer: {sequenced_total} events in {:.2} s of rounds ({:.0} events/s while issuance ran at {:.0} events/s)",
        busy_total.as_secs_f64(),
        sequenced_total as f64 / busy_total.as_secs_f64().max(1e-9),
        2.0 * b
    );
    println!("check: {} leaves, all verified, none unsequenced", report.leaves);
    Ok(())
}

/// N events inserted, sequenced in one catch-up, then verified; on a fresh SQLite file, or on
/// an empty PostgreSQL database given by URL.
pub async fn verify_large(dir: &Path, events: usize, database_url: Option<&str>) -> Result<()> {
    let db = match database_url {
        Some(url) => {
            let db = santepki_storage::Db::connect(url).await?;
            ensure!(
                store_is_empty(&db).await?,
                "{} already holds audit events: give an empty database",
                santepki_storage::redact_url(url)
            );
            db
        }
        None => fresh_db(dir, "audit-verify.db").await?,
    };
    println!("backend: {}", db.backend().name());
    let custody = SoftwareCustody::new(dir.join("audit-verify-keys"), Some("bench".into()));
    let _ = std::fs::remove_dir_all(dir.join("audit-verify-keys"));
    let log = AuditLog::open_or_create(&db, &custody, ORIGIN, "bench").await?;
    let t = Instant::now();
    santepki_storage::testing::insert_audit_events(&db, events).await;
    println!("inserted {events} events in {:.1} s (not timed below)", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let round = Sequencer::new(log.clone(), "bench", Duration::ZERO).round(true).await?;
    let seq = t.elapsed();
    println!(
        "sequenced {} events and signed the checkpoint of size {} in {:.1} s ({:.0} events/s)",
        round.sequenced,
        round.tree_size,
        seq.as_secs_f64(),
        round.sequenced as f64 / seq.as_secs_f64()
    );
    let t = Instant::now();
    let report = verify::verify(&db, ORIGIN, log.verifier_key(), &[]).await?;
    ensure!(report.ok(), "{:?}", report.findings);
    println!(
        "audit verify: {} leaves recomputed, {} checkpoint(s) in {:.1} s; peak RSS {:.0} MiB",
        report.leaves,
        report.checkpoints,
        t.elapsed().as_secs_f64(),
        peak_rss_mib()
    );
    Ok(())
}
