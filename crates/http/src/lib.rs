//! santepki's HTTP front end: the JSON API under `/api/v1`.
//!
//! Handlers are thin: they parse and validate input into domain queries, call the services of
//! the lower crates, and map every outcome to a status code and a JSON body. Errors carry a
//! machine-readable `error` code, a `message` for people, and the `field` at fault when there is
//! one; a bad request is a 4xx, never a 500 or a panic.

mod directory;
mod error;

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use santepki_directory::search::Directory;
use santepki_domain::ValidationMode;
use santepki_storage::Db;

pub use error::ApiError;

/// Shared state of the HTTP front end. It holds no per-process mutable state: several nodes can
/// serve the same database.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub directory: Directory,
    pub mode: ValidationMode,
}

impl AppState {
    pub fn new(db: Db, mode: ValidationMode) -> Self {
        AppState { directory: Directory::new(db.clone()), db, mode }
    }
}

/// The API router (plain HTTP listener for now; the card-authenticated HTTPS listener comes with
/// the ordering platform).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1/directory", directory::routes())
        .fallback(error::not_found)
        .with_state(state)
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
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown).await
}
