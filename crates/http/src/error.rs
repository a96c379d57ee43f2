use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use santepki_directory::SearchError;
use serde::Serialize;

/// An API error: status, machine-readable code, message, and the field at fault.
#[derive(Debug, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn bad_request(error: &'static str, field: &str, message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, error, message: message.into(), field: Some(field.to_owned()) }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError { status: StatusCode::NOT_FOUND, error: "not_found", message: message.into(), field: None }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        // The detail goes to the log, not to the client.
        tracing::error!(error = %e, "internal error");
        ApiError { status: StatusCode::INTERNAL_SERVER_ERROR, error: "internal_error", message: "internal error".into(), field: None }
    }

    pub fn from_search(e: SearchError, field: &str) -> Self {
        match e {
            SearchError::Storage(s) => ApiError::internal(s),
            other => ApiError::bad_request(other.code(), field, other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(&self)).into_response()
    }
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
