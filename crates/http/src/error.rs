use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use santepki_directory::SearchError;
use serde::Serialize;

/// An API error: status, machine-readable code, message, and the field at fault. The body of
/// every 4xx (and 503) answer of the API.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiError {
    #[serde(skip)]
    /// The HTTP status of the answer; not part of the body.
    pub status: StatusCode,
    /// The machine-readable reason (`card_required`, `invalid_json`, `not_found`, `form_refused`…; the
    /// framework's own answers: `invalid_path`, `invalid_query`, `method_not_allowed`, `body_too_large`,
    /// `uri_too_long`, `unsupported_media_type`, `headers_too_large`, `internal_error`, `database_unavailable`).
    #[schema(example = "invalid_json")]
    pub error: &'static str,
    /// For people (French or English).
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The request field at fault, when one is.
    pub field: Option<String>,
    /// The rule of RULES.md the refusal enforces (R-id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// Every refusal of a form, each with its field and rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusals: Option<Vec<santepki_domain::form413::Refusal>>,
    /// Seconds after which the same request succeeds at the latest (also the `Retry-After`
    /// header): an earlier attempt is being settled. 32 bits keep `ApiError` under clippy's
    /// large-`Err` threshold (every handler returns it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// A 400 answer naming the faulty field.
    pub fn bad_request(error: &'static str, field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            error,
            message: message.into(),
            field: Some(field.to_owned()),
            rule: None,
            refusals: None,
            retry_after: None,
        }
    }

    /// A 404 answer.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            error: "not_found",
            message: message.into(),
            field: None,
            rule: None,
            refusals: None,
            retry_after: None,
        }
    }

    /// A 500 answer; the detail is logged, never sent to the client.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        // The detail goes to the log, not to the client.
        tracing::error!(error = %e, "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "internal_error",
            message: "internal error".into(),
            field: None,
            rule: None,
            refusals: None,
            retry_after: None,
        }
    }

    /// A database error: 503 `database_unavailable` with `Retry-After` when the database is
    /// failing over or the outcome of a write is unknown (the client retries, and a retried
    /// order finds its earlier attempt settled, R37), else 500.
    pub fn storage(e: &santepki_storage::StorageError) -> Self {
        if e.is_transient() || matches!(e, santepki_storage::StorageError::CommitOutcomeUnknown(_)) {
            tracing::warn!(error = %e, "database unavailable");
            ApiError {
                retry_after: Some(2),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "la base de données est momentanément indisponible : réessayez",
                )
            }
        } else {
            ApiError::internal(e)
        }
    }

    /// A directory search error: 500 (or 503) for storage, else 400 on `field`.
    pub fn from_search(e: SearchError, field: &str) -> Self {
        match e {
            SearchError::Storage(s) => ApiError::storage(&s),
            other => ApiError::bad_request(other.code(), field, other.to_string()),
        }
    }
}

impl ApiError {
    /// An answer with any status, no field and no rule.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, error, message: message.into(), field: None, rule: None, refusals: None, retry_after: None }
    }

    /// A registration refusal: 400 for bad input and rule breaches, 401/403 for who may not,
    /// 404, 409 for a state that does not allow the action.
    pub fn from_registration(e: santepki_registration::RegError) -> Self {
        use santepki_registration::RegError as R;
        let code = e.code();
        let rule = e.rule();
        match e {
            R::Refused(refusals) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: code,
                message: refusals.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "),
                field: refusals.first().map(|r| r.field.clone()),
                rule,
                refusals: Some(refusals),
                retry_after: None,
            },
            R::Forbidden { message, .. } => ApiError { rule, ..ApiError::new(StatusCode::FORBIDDEN, code, message) },
            R::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, code, e.to_string()),
            R::Conflict { message, .. } => ApiError { rule, ..ApiError::new(StatusCode::CONFLICT, code, message) },
            R::Busy { message, retry_after, .. } => ApiError {
                rule,
                retry_after: Some(u32::try_from(retry_after).unwrap_or(u32::MAX)),
                ..ApiError::new(StatusCode::CONFLICT, code, message)
            },
            R::Invalid { ref field, ref message, .. } => ApiError {
                field: Some(field.clone()),
                rule,
                ..ApiError::new(StatusCode::BAD_REQUEST, code, message.clone())
            },
            R::Signature(ref s) => {
                use santepki_authority::cards::CardAuthError as C;
                match s {
                    C::Storage(_) => ApiError::internal(&e),
                    C::Malformed(_) | C::BadSignature(_) => ApiError {
                        field: Some("signature".into()),
                        rule: Some("R47"),
                        ..ApiError::new(StatusCode::BAD_REQUEST, code, e.to_string())
                    },
                    _ => ApiError { rule: Some("R47"), ..ApiError::new(StatusCode::FORBIDDEN, code, e.to_string()) },
                }
            }
            R::Unavailable(m) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, m),
            R::Storage(ref s) => ApiError::storage(s),
            R::Issue(_) | R::Template(_) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(&self)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

/// The longest request target (path and query) the server reads: longer ones are answered 414
/// `uri_too_long` in the API's shape. Below hyper's own limit (64 KiB on HTTP/1.1), which answers
/// a bare 414 before any of our code runs.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// The most header bytes (names and values) a request may carry: more is answered 431
/// `headers_too_large` in the API's shape. Below hyper's own limits (about 400 KiB of head on
/// HTTP/1.1, a 16 KiB header list on HTTP/2), which answer without a body.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Makes every error of the API the documented [`ApiError`] shape (issue 15, point 17): axum's
/// and tower's own answers (405 with no body, a plain-text extractor rejection, a 413 from the
/// body limit…) are rewritten, status kept, with a machine-readable `error`; requests whose target
/// or headers are too large are refused here in that shape. Only under `/api`: the PKI routes
/// answer in their own formats (an OCSP error is a DER response) and the portal in HTML.
pub(crate) async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request target has {target} bytes; at most {MAX_URI_BYTES}"),
        )
        .into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request headers have {header_bytes} bytes; at most {MAX_HEADER_BYTES}"),
        )
        .into_response();
    }
    let path = request.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !api || !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Rejection texts are short; a longer body is not a framework message worth repeating.
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => String::new(),
    };
    let (error, message) = classify(status, &text);
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.remove(axum::http::header::CONTENT_TYPE);
    let json = ApiError::new(status, error, message).into_response();
    let (json_parts, json_body) = json.into_parts();
    parts.headers.extend(json_parts.headers);
    Response::from_parts(parts, json_body)
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/problem+json"))
}

/// The machine-readable reason and the message of a framework error.
fn classify(status: StatusCode, text: &str) -> (&'static str, String) {
    let phrase = status.canonical_reason().unwrap_or("error").to_owned();
    let message = if text.is_empty() { phrase } else { text.to_owned() };
    let error = match status {
        StatusCode::BAD_REQUEST if text.starts_with("Invalid URL") => "invalid_path",
        StatusCode::BAD_REQUEST if text.starts_with("Failed to deserialize query string") => "invalid_query",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
            if text.contains("JSON") || text.contains("json") =>
        {
            "invalid_json"
        }
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::LENGTH_REQUIRED => "length_required",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "headers_too_large",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => {
            // Never repeat an internal message to the client.
            tracing::error!(status = %s, detail = %text, "internal error answered by the framework");
            return ("internal_error", "internal error".into());
        }
        _ => "http_error",
    };
    (error, message)
}
