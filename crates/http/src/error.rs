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
    /// The machine-readable reason (`card_required`, `invalid_json`, `not_found`, `form_refused`…).
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
    /// header): an earlier attempt is being settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
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

    /// A directory search error: 500 for storage, else 400 on `field`.
    pub fn from_search(e: SearchError, field: &str) -> Self {
        match e {
            SearchError::Storage(s) => ApiError::internal(s),
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
            R::Busy { message, retry_after, .. } => {
                ApiError { rule, retry_after: Some(retry_after), ..ApiError::new(StatusCode::CONFLICT, code, message) }
            }
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
            R::Storage(_) | R::Issue(_) | R::Template(_) => ApiError::internal(e),
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
