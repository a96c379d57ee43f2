//! Import runs that outlive their process, and indexes a killed bulk load left dropped.
//!
//! An import records its run `running`, with its owner (this process: boot id, pid and start
//! time on Linux) and a heartbeat it refreshes every [`HEARTBEAT_EVERY`]. A process that is
//! killed leaves its run `running`; whoever looks next ([`recover`]: the next import,
//! `santepki directory stats`, `santepki serve` at start and on every scheduler tick) marks it
//! `abandoned` when its process is provably gone:
//!
//! - on the machine that ran it (same boot id), as soon as no process with that pid and start
//!   time exists (a recycled pid has another start time);
//! - elsewhere (several nodes on one PostgreSQL), when its heartbeat is older than
//!   [`STALE_AFTER`].
//!
//! Once no live run remains, [`recover`] also rebuilds the secondary indexes a killed first load
//! dropped, so that a serving node does not stay slow until it restarts.

use std::time::Duration;

use santepki_storage::audit::AuditEvent;
use santepki_storage::directory::{self as store, ImportRunRecord};
use santepki_storage::{Db, StorageError};

/// How often a running import records a sign of life.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

/// A run whose heartbeat is older than this, and whose process cannot be checked (it ran on
/// another machine), is taken for dead. Much longer than [`HEARTBEAT_EVERY`]: a heartbeat may
/// wait behind an index build for the write lock.
pub const STALE_AFTER: Duration = Duration::from_secs(300);

/// What [`recover`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Runs marked `abandoned`.
    pub abandoned: Vec<i64>,
    /// Runs still running in a live process (indexes are left to them).
    pub live: Vec<i64>,
    /// Secondary indexes rebuilt.
    pub indexes_rebuilt: Vec<&'static str>,
}

/// This process, as [`ImportRunRecord::owner`] names it: `<boot id>/<pid>/<start time>` on
/// Linux; `None` where it cannot be told (the heartbeat alone then decides).
pub fn this_process() -> Option<String> {
    let boot = boot_id()?;
    let pid = std::process::id();
    let start = process_start(pid)?;
    Some(format!("{boot}/{pid}/{start}"))
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The start time (clock ticks after boot) of a live, non-zombie process.
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state …`: comm may hold spaces and parentheses, the fields after the last
    // `)` do not. State is field 3, starttime field 22.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X") | Some(&"x")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// Why a `running` run is dead, or `None` while it may be alive.
fn dead_because(run: &ImportRunRecord, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    let here = boot_id();
    if let (Some(owner), Some(here)) = (&run.owner, &here) {
        let mut parts = owner.split('/');
        if let (Some(boot), Some(pid), Some(start)) = (parts.next(), parts.next(), parts.next()) {
            if boot == here {
                let alive = pid.parse().ok().and_then(process_start).is_some_and(|s| s.to_string() == start);
                return (!alive).then(|| format!("the importing process (pid {pid}) is gone"));
            }
        }
    }
    let last = run.heartbeat_at.as_deref().unwrap_or(&run.started_at);
    let last_seen = chrono::DateTime::parse_from_rfc3339(last).ok()?.with_timezone(&chrono::Utc);
    let silent = now.signed_duration_since(last_seen);
    (silent.to_std().unwrap_or_default() > STALE_AFTER)
        .then(|| format!("no heartbeat since {last} ({} s)", silent.num_seconds()))
}

/// Marks the `running` runs whose process is gone as `abandoned` (audited as `actor`); returns
/// the runs marked and the runs still live.
pub async fn settle_runs(db: &Db, actor: &str) -> Result<(Vec<i64>, Vec<i64>), StorageError> {
    let now = chrono::Utc::now();
    let (mut abandoned, mut live) = (Vec::new(), Vec::new());
    for run in store::running_runs(db).await? {
        match dead_because(&run, now) {
            Some(why) => {
                let message = format!("abandoned: {why}; the rows it wrote stay, a re-import of the file completes it");
                let event = AuditEvent::new(actor, "directory.import.abandoned", &format!("import_run:{}", run.id))
                    .before(&run)
                    .after(&serde_json::json!({ "status": "abandoned", "message": message }));
                if store::abandon_run(db, run.id, &message, &event).await? {
                    tracing::warn!(run = run.id, file = %run.file_name, reason = %why, "import run abandoned");
                    abandoned.push(run.id);
                }
            }
            None => live.push(run.id),
        }
    }
    Ok((abandoned, live))
}

/// Marks dead runs, then, when no import is live, rebuilds missing secondary indexes (a live
/// first load dropped them on purpose and rebuilds them itself).
pub async fn recover(db: &Db, actor: &str) -> Result<Recovery, StorageError> {
    let (abandoned, live) = settle_runs(db, actor).await?;
    let indexes_rebuilt = if live.is_empty() { store::ensure_indexes(db).await? } else { Vec::new() };
    if !indexes_rebuilt.is_empty() {
        tracing::warn!(indexes = ?indexes_rebuilt, "rebuilt directory indexes an interrupted import left dropped");
    }
    Ok(Recovery { abandoned, live, indexes_rebuilt })
}

/// Refreshes a run's heartbeat until dropped (the import holds it while it works).
pub(crate) struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    pub(crate) fn start(db: &Db, run_id: i64) -> Heartbeat {
        let db = db.clone();
        Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                if let Err(e) = store::heartbeat(&db, run_id).await {
                    tracing::warn!(run = run_id, error = %e, "import heartbeat failed");
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_gone_pid_is_not() {
        let Some(me) = this_process() else { return };
        let run = ImportRunRecord {
            owner: Some(me.clone()),
            started_at: "2000-01-01T00:00:00Z".into(),
            ..Default::default()
        };
        // Alive on this machine whatever the heartbeat's age.
        assert_eq!(dead_because(&run, chrono::Utc::now()), None);
        // Same pid with another start time: a recycled pid, so the run's process is gone.
        let mut parts: Vec<&str> = me.split('/').collect();
        parts[2] = "1";
        let recycled = ImportRunRecord { owner: Some(parts.join("/")), ..run.clone() };
        assert!(dead_because(&recycled, chrono::Utc::now()).is_some());
        // Another machine: the heartbeat decides.
        let elsewhere = ImportRunRecord { owner: Some("other-boot/1/1".into()), ..run };
        assert!(dead_because(&elsewhere, chrono::Utc::now()).is_some());
        let fresh = ImportRunRecord { heartbeat_at: Some(santepki_storage_now()), ..elsewhere };
        assert_eq!(dead_because(&fresh, chrono::Utc::now()), None);
    }

    fn santepki_storage_now() -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}
