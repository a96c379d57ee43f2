//! santepki's HTTP front end: the JSON API under `/api/v1` (directory, registration, ordering;
//! its bodies are the types of the `api` module, its OpenAPI document at `/api/v1/openapi.json`), the web
//! portal under `/portail`, and what the CA publishes (OCSP, CRLs, CA certificates) at the root,
//! as the URLs in certificates name them.
//!
//! Handlers are thin: they parse and validate input into domain queries, call the services of
//! the lower crates, and map every outcome to a status code and a JSON body. Errors carry a
//! machine-readable `error` code, a `message` for people, and the `field` at fault when there is
//! one; a bad request is a 4xx, never a 500 or a panic.

mod api;
mod audit;
mod directory;
mod error;
mod headers;
mod metrics;
mod openapi;
mod orders;
mod pki;
mod portal;
pub mod registration;
pub mod tls;
pub mod verify;

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use santepki_authority::Authority;
use santepki_directory::search::Directory;
use santepki_domain::ValidationMode;
use santepki_registration::Registration;
use santepki_storage::Db;

pub use error::{ApiError, MAX_HEADER_BYTES, MAX_URI_BYTES};

/// Shared state of the HTTP front end. It holds no per-process mutable state: several nodes can
/// serve the same database.
#[derive(Clone)]
pub struct AppState {
    /// The database every handler reads and writes.
    pub db: Db,
    /// The CPS directory search (R43–R45), over the same database.
    pub directory: Directory,
    /// How habilitations are validated: by an operator, or automatically.
    pub mode: ValidationMode,
    /// The CA, when initialised: OCSP, CRLs and CA certificates are served from it.
    pub authority: Option<Authority>,
    /// The registration authority (forms 413, habilitations, cards), when the CA is initialised:
    /// card authentication needs it.
    pub registration: Option<Registration>,
    /// The relying party's verifier (`POST /api/v1/verify`), made on first use.
    pub verify: verify::VerifyService,
}

impl AppState {
    /// State without CA nor registration authority; add them with the `with_*` methods.
    pub fn new(db: Db, mode: ValidationMode) -> Self {
        AppState {
            directory: Directory::new(db.for_reads()),
            db,
            mode,
            authority: None,
            registration: None,
            verify: verify::VerifyService::default(),
        }
    }

    /// Sets the CA (OCSP, CRLs and CA certificates are served only when it is present).
    pub fn with_authority(mut self, authority: Option<Authority>) -> Self {
        self.authority = authority;
        self
    }

    /// Sets the verification service (its added trust anchors and fetching).
    pub fn with_verify(mut self, verify: verify::VerifyService) -> Self {
        self.verify = verify;
        self
    }

    /// Sets the registration authority, needed for card authentication and forms 413.
    pub fn with_registration(mut self, registration: Option<Registration>) -> Self {
        self.registration = registration;
        self
    }
}

/// The API router. The same router serves the plain listener (directory, OCSP, CRLs) and the
/// card-authenticated HTTPS listener ([`tls::serve_tls`]); routes that need a card answer 401
/// `card_required` on a connection without one.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(metrics::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .nest("/api/v1/directory", directory::routes())
        .nest("/api/v1", registration::routes().merge(orders::routes()))
        .nest("/portail", portal::routes())
        .route("/", get(portal::root))
        .merge(pki::routes())
        .merge(audit::routes())
        .merge(verify::routes())
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(axum::middleware::from_fn(headers::request_id))
        .with_state(state)
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi::document())
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// Serves `router` on `addr` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
