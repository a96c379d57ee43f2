//! The audit log: every state change of the platform writes one event (who, what, when, before
//! and after). Later, events are hash-chained and signed; the table already carries what that
//! needs (writer-chosen ids, JSON before/after).

use serde::Serialize;
use sqlx::{Any, Executor};

use crate::StorageError;

/// One audit event.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    /// Writer-chosen unique id: nanoseconds since the epoch (20 digits), process id and counter in hex;
    /// sorts in time order.
    pub id: String,
    /// When the change happened, RFC 3339 UTC text.
    pub at: String,
    /// Who made the change, as the actor's audit id (an operator, a professional or the system).
    pub actor: String,
    /// What was done, a dotted verb such as `form413.signed`.
    pub action: String,
    /// What was changed, as `<kind>:<id>` (e.g. `form413:<id>`); events are looked up by it.
    pub subject: String,
    /// The subject's state before the change, as JSON text; `None` when there was none (e.g. a creation).
    pub before_json: Option<String>,
    /// The subject's state after the change, as JSON text; `None` when there is none (e.g. a deletion).
    pub after_json: Option<String>,
}

impl AuditEvent {
    /// A new event stamped now, with a time-ordered id that two nodes cannot both pick.
    pub fn new(actor: &str, action: &str, subject: &str) -> Self {
        let now = chrono::Utc::now();
        let nanos = now.timestamp_nanos_opt().unwrap_or_default();
        // Time first (sortable), then process id and a per-process counter to stay unique.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("{nanos:020}-{:08x}-{n:08x}", std::process::id());
        AuditEvent {
            id,
            at: crate::time::format(now),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            before_json: None,
            after_json: None,
        }
    }

    /// Records the subject's state before the change (serialised to JSON).
    pub fn before(mut self, v: &impl Serialize) -> Self {
        self.before_json = serde_json_string(v);
        self
    }

    /// Records the subject's state after the change (serialised to JSON).
    pub fn after(mut self, v: &impl Serialize) -> Self {
        self.after_json = serde_json_string(v);
        self
    }
}

fn serde_json_string(v: &impl Serialize) -> Option<String> {
    // Serialising our own plain structs cannot fail; an error would leave the field empty rather
    // than lose the event.
    serde_json::to_string(v).ok()
}

/// Appends an event inside the caller's transaction (or on the pool).
pub async fn append<'e, E: Executor<'e, Database = Any>>(exec: E, e: &AuditEvent) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor, action, subject, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.id)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.before_json)
    .bind(&e.after_json)
    .execute(exec)
    .await?;
    Ok(())
}

/// The events about `subject`, oldest first.
pub async fn events_for<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    subject: &str,
) -> Result<Vec<AuditEvent>, StorageError> {
    Ok(sqlx::query_as("SELECT id, at, actor, action, subject, before_json, after_json FROM audit_events WHERE subject = $1 ORDER BY id")
        .bind(subject)
        .fetch_all(exec)
        .await?)
}
