//! The audit log over HTTP.
//!
//! `/audit/log/` is a C2SP `tlog-tiles` log: `checkpoint` (the latest signed checkpoint), `key`
//! (the verifier key to pin), `tile/<L>/<N>[.p/<W>]` (hash tiles) for anyone, so that mirrors and
//! witnesses can follow it; `tile/entries/<N>[.p/<W>]` (the events themselves, which name card
//! holders and structures) for the Agency's operators only.
//!
//! `/api/v1/audit/events` is the back office's search (operators only).

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use santepki_audit::tiles::{self, TileAnswer};
use santepki_storage::audit::log as store;
use santepki_storage::audit::{AuditEvent, EventFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::registration::{registration, ApiResult, Card};
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit/log/checkpoint", get(checkpoint))
        .route("/audit/log/key", get(key))
        .route("/audit/log/tile/{*path}", get(tile))
        .route("/api/v1/audit/events", get(events))
}

fn text(body: String, cache: &'static str) -> Response {
    ([(CONTENT_TYPE, "text/plain; charset=utf-8"), (CACHE_CONTROL, cache)], body).into_response()
}

/// The latest signed checkpoint (C2SP tlog-checkpoint in a signed note).
async fn checkpoint(State(s): State<AppState>) -> ApiResult<Response> {
    match store::latest_checkpoint(s.db.pool()).await.map_err(ApiError::internal)? {
        Some(c) => Ok(text(c.note, "no-store")),
        None => Err(ApiError::not_found("no checkpoint signed yet")),
    }
}

/// The log's verifier key (`<origin>+<key id>+<key>`), as recorded when the log was created; pin
/// it once, from a trusted channel, rather than fetching it each time.
async fn key(State(s): State<AppState>) -> ApiResult<Response> {
    match store::identity(s.db.pool()).await.map_err(ApiError::internal)? {
        Some(id) => Ok(text(format!("{}\n", id.verifier_key), "max-age=3600")),
        None => Err(ApiError::not_found("the audit log does not exist yet")),
    }
}

/// A hash tile (anyone) or an entry bundle (operators).
async fn tile(
    State(s): State<AppState>,
    Path(path): Path<String>,
    card: Result<Card, ApiError>,
) -> ApiResult<Response> {
    let path = format!("tile/{path}");
    if tiles::is_entries(&path) {
        let Card(actor) = card?;
        if !registration(&s)?.is_operator(&actor).await.map_err(ApiError::from_registration)? {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "operator_only", "réservé aux opérateurs de l'Agence"));
        }
    }
    match tiles::read(&s.db, &path).await.map_err(ApiError::internal)? {
        // Tiles never change once served (C2SP tlog-tiles).
        TileAnswer::Tile(bytes) => Ok((
            [(CONTENT_TYPE, "application/octet-stream"), (CACHE_CONTROL, "public, max-age=31536000, immutable")],
            bytes,
        )
            .into_response()),
        TileAnswer::BadPath => {
            Err(ApiError::bad_request("invalid_path", "path", format!("{path:?} is not a tile path")))
        }
        TileAnswer::NotFound => Err(ApiError::not_found("no such tile in the latest checkpoint")),
    }
}

/// The search of `GET /api/v1/audit/events`; every parameter narrows.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventQuery {
    /// Events by this actor (`card:<number>`, `cli:<user>`…).
    actor: Option<String>,
    /// Events about this subject (`product:<id>`), or about every subject of a kind (`product:`).
    subject: Option<String>,
    /// Events whose subject, before or after mention this text (a structure's identifier, a serial).
    mentions: Option<String>,
    /// Events of this action (`form413.signed`), or under it (`form413.`).
    action: Option<String>,
    /// From this time (RFC 3339).
    since: Option<String>,
    /// Before this time (RFC 3339).
    until: Option<String>,
    /// At most this many, the newest (default 1000, at most 100000).
    limit: Option<i64>,
}

/// One audit event as the API shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct Event {
    /// Time-ordered id.
    id: String,
    /// When (RFC 3339).
    at: String,
    /// Who (`card:<number>`…).
    actor: String,
    /// What (`form413.validated`…).
    action: String,
    /// On what (`<kind>:<id>`).
    subject: String,
    /// The subject's fields before.
    #[schema(value_type = Option<Object>)]
    before: Option<serde_json::Value>,
    /// The subject's fields after.
    #[schema(value_type = Option<Object>)]
    after: Option<serde_json::Value>,
    /// The HTTP request that made the change.
    request_id: Option<String>,
    /// The node that wrote the event.
    node: Option<String>,
    /// Its leaf in the audit Merkle tree, once sequenced.
    leaf_index: Option<i64>,
}

impl From<AuditEvent> for Event {
    fn from(e: AuditEvent) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Event {
            before: json(e.before_json),
            after: json(e.after_json),
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            request_id: e.request_id,
            node: e.node,
            leaf_index: e.leaf_index,
        }
    }
}

/// Audit events, oldest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct Events {
    events: Vec<Event>,
}

/// The audit events matching the query, oldest first (the Agency's operators only).
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "back-office", params(EventQuery),
    responses((status = 200, description = "The matching events", body = Events),
        (status = 400, description = "A bad time or query", body = ApiError),
        (status = 403, description = "Operators only", body = ApiError)))]
pub(crate) async fn events(
    State(s): State<AppState>,
    Card(actor): Card,
    Query(q): Query<EventQuery>,
) -> ApiResult<Json<Events>> {
    // Stored times are RFC 3339 UTC text compared as text: bring the bounds to the same form.
    let time = |field: &str, value: Option<String>| -> ApiResult<Option<String>> {
        value
            .map(|v| {
                santepki_storage::time::parse(&v).map(santepki_storage::time::format).ok_or_else(|| {
                    ApiError::bad_request("invalid_query", field, "expected an RFC 3339 time (2026-12-01T00:00:00Z)")
                })
            })
            .transpose()
    };
    let filter = EventFilter {
        since: time("since", q.since)?,
        until: time("until", q.until)?,
        actor: q.actor,
        subject: q.subject,
        mentions: q.mentions,
        action: q.action,
        limit: q.limit.unwrap_or(1000),
    };
    let events = registration(&s)?.audit_events(&actor, &filter).await.map_err(ApiError::from_registration)?;
    Ok(Json(Events { events: events.into_iter().map(Event::from).collect() }))
}
