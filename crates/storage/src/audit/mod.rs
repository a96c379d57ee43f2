//! The audit log: every state change of the platform writes one event (who, what, when, before
//! and after, which request on which node) in the same transaction as the change. The events
//! are the leaves of a Merkle tree ([`log`]) whose signed checkpoints make any later edit,
//! deletion or reordering detectable.

pub mod context;
pub mod log;

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
    /// The HTTP request that made the change (its `x-request-id`), when one did.
    pub request_id: Option<String>,
    /// The node that wrote the event (host and listen address of a server, `cli@host` for a command).
    pub node: Option<String>,
    /// The event's leaf in the audit Merkle tree, once the sequencer has given it one.
    pub leaf_index: Option<i64>,
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
            request_id: context::request_id(),
            node: context::node(),
            leaf_index: None,
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
        "INSERT INTO audit_events (id, at, actor, action, subject, before_json, after_json, request_id, node) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&e.id)
    .bind(&e.at)
    .bind(&e.actor)
    .bind(&e.action)
    .bind(&e.subject)
    .bind(&e.before_json)
    .bind(&e.after_json)
    .bind(&e.request_id)
    .bind(&e.node)
    .execute(exec)
    .await?;
    Ok(())
}

/// The events about `subject`, oldest first.
pub async fn events_for<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    subject: &str,
) -> Result<Vec<AuditEvent>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE subject = $1 ORDER BY id"))
        .bind(subject)
        .fetch_all(exec)
        .await?)
}

/// The columns of an [`AuditEvent`], in its field order.
pub(crate) const EVENT_COLUMNS: &str =
    "id, at, actor, action, subject, before_json, after_json, request_id, node, leaf_index";

/// What `santepki audit show` and the portal's history select; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events by this actor.
    pub actor: Option<String>,
    /// Events whose subject is this one (`<kind>:<id>`), or starts with it when it ends in `:`.
    pub subject: Option<String>,
    /// Events that mention this text in their subject, before or after (a structure's
    /// identifier, a product id, a serial).
    pub mentions: Option<String>,
    /// Events of this action (`form413.signed`), or of the actions under it when it ends in `.`.
    pub action: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Events before this time (RFC 3339).
    pub until: Option<String>,
    /// At most this many events (the newest ones when more match).
    pub limit: i64,
}

/// The events that match `f`, oldest first.
pub async fn search<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    f: &EventFilter,
) -> Result<Vec<AuditEvent>, StorageError> {
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM audit_events WHERE 1 = 1");
    let mut binds: Vec<String> = Vec::new();
    // Each condition binds one value, used as `$n` (as often as the clause names `?`).
    let mut add = |clause: &str, value: String| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
    };
    if let Some(a) = &f.actor {
        add(" AND actor = ?", a.clone());
    }
    match &f.subject {
        Some(s) if s.ends_with(':') => add(" AND subject LIKE ? ESCAPE '\\'", format!("{}%", like_escape(s))),
        Some(s) => add(" AND subject = ?", s.clone()),
        None => {}
    }
    match &f.action {
        Some(a) if a.ends_with('.') => add(" AND action LIKE ? ESCAPE '\\'", format!("{}%", like_escape(a))),
        Some(a) => add(" AND action = ?", a.clone()),
        None => {}
    }
    if let Some(m) = &f.mentions {
        add(
            " AND (subject LIKE ? ESCAPE '\\' OR before_json LIKE ? ESCAPE '\\' OR after_json LIKE ? ESCAPE '\\')",
            format!("%{}%", like_escape(m)),
        );
    }
    if let Some(t) = &f.since {
        add(" AND at >= ?", t.clone());
    }
    if let Some(t) = &f.until {
        add(" AND at < ?", t.clone());
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", f.limit.clamp(1, 100_000)));
    let mut q = sqlx::query_as::<_, AuditEvent>(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let mut events = q.fetch_all(exec).await?;
    events.reverse();
    Ok(events)
}

/// `s` with LIKE's wildcards and the escape character escaped (escape character `\`).
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
