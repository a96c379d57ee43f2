//! The web portal (`/portail`): server-rendered French pages on top of the same registration
//! calls as the JSON API. Every page works without JavaScript.
//!
//! - Authentication: the card of the mutual-TLS connection ([`crate::registration::Card`]),
//!   resolved in the database on every request; failures are French HTML pages.
//! - CSRF (stateless, several nodes): a double-submit cookie. GET pages set `__Host-csrf`
//!   (32 random bytes, base64url) when absent and put the same value in each form's hidden
//!   `csrf` field; every POST goes through [`CsrfForm`], which refuses (403, reason `csrf`) unless
//!   the field equals the cookie, `Origin` (when sent) is the portal's own origin and
//!   `Sec-Fetch-Site` (when sent) is `same-origin`.

mod csrf;
mod forms;
mod home;
mod order;
mod products;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use santepki_registration::{Actor, RegError, Registration};

pub(crate) use csrf::CsrfForm;

use crate::registration::Card;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::habilitations))
        .route("/static/portail.css", get(stylesheet))
        .route("/produits", get(products::list))
        .route("/produits/{id}", get(products::details))
        .route("/produits/{id}/revocation", get(products::revocation_confirm).post(products::revoke))
        .route("/commander", get(order::wizard_get).post(order::wizard_post))
        .route("/structures/{id}/doctrine", get(home::doctrine))
        .route("/structures/{id}/historique", get(home::history))
        .route("/echeancier", get(home::schedule))
        .route("/formulaires", get(forms::list).post(forms::create))
        .route("/formulaires/nouveau", get(forms::new_form))
        .route("/formulaires/{id}", get(forms::details))
        .route("/formulaires/{id}/signature", axum::routing::post(forms::sign))
        .route("/file", get(forms::queue))
        .route("/file/{id}", get(forms::queue_item))
        .route("/file/{id}/decision", axum::routing::post(forms::decide))
}

/// `/` sends people to the portal.
pub async fn root() -> Redirect {
    Redirect::to("/portail")
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../templates/portal/portail.css"),
    )
        .into_response()
}

/// The common frame of every page: title, the card holder, the navigation, the CSRF token.
pub(crate) struct Layout {
    pub title: String,
    pub holder: String,
    pub card: String,
    pub operator: bool,
    /// Which navigation entry is the current page (`aria-current`).
    pub active: &'static str,
    pub csrf: String,
}

/// The authenticated card holder of a portal page, whether they are an operator, and the CSRF
/// token of their browser (a new one when the cookie is absent, set on the response).
pub(crate) struct Portal {
    pub actor: Actor,
    pub operator: bool,
    pub csrf: String,
    fresh_csrf: bool,
    pub state: AppState,
}

impl FromRequestParts<AppState> for Portal {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Card(actor) = Card::from_request_parts(parts, state).await.map_err(|e| match e.status {
            StatusCode::UNAUTHORIZED if e.error == "card_required" => PageError::new(
                StatusCode::UNAUTHORIZED,
                "card_required",
                "Authentification requise",
                "Présentez votre carte CPS, CPE ou CPA (certificat client) pour accéder au portail (R27).",
            ),
            StatusCode::UNAUTHORIZED => PageError::new(
                StatusCode::UNAUTHORIZED,
                e.error,
                "Carte refusée",
                format!("Votre carte ne permet pas d'accéder au portail : {} (R2).", e.message),
            ),
            _ => PageError::new(e.status, e.error, "Service indisponible", e.message),
        })?;
        let reg = registration(state)?;
        let operator = reg.is_operator(&actor).await.map_err(PageError::from_registration)?;
        let (csrf, fresh_csrf) = match csrf::cookie_token(&parts.headers) {
            Some(t) => (t, false),
            None => (csrf::new_token(), true),
        };
        Ok(Portal { actor, operator, csrf, fresh_csrf, state: state.clone() })
    }
}

impl Portal {
    pub fn reg(&self) -> Result<&Registration, PageError> {
        registration(&self.state)
    }

    pub fn layout(&self, title: impl Into<String>, active: &'static str) -> Layout {
        Layout {
            title: title.into(),
            holder: format!("{} {}", self.actor.first_name, self.actor.last_name).trim().to_owned(),
            card: self.actor.card_number.clone(),
            operator: self.operator,
            active,
            csrf: self.csrf.clone(),
        }
    }

    /// Renders a page (200), setting the CSRF cookie when the browser had none.
    pub fn page(&self, t: &impl Template) -> Response {
        self.page_with(StatusCode::OK, t)
    }

    pub fn page_with(&self, status: StatusCode, t: &impl Template) -> Response {
        let mut resp = match t.render() {
            Ok(html) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
            Err(e) => return PageError::internal(e).into_response(),
        };
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.fresh_csrf {
            if let Ok(v) = HeaderValue::from_str(&csrf::set_cookie(&self.csrf)) {
                h.append(header::SET_COOKIE, v);
            }
        }
        resp
    }
}

pub(crate) fn registration(state: &AppState) -> Result<&Registration, PageError> {
    state.registration.as_ref().ok_or_else(|| {
        PageError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ca_not_initialised",
            "Service indisponible",
            "L'autorité de certification n'est pas initialisée.",
        )
    })
}

/// An error page in French, with its machine-readable reason in the `x-santepki-error` header
/// and a `<meta name="santepki-error">`.
#[derive(Debug)]
pub(crate) struct PageError {
    pub status: StatusCode,
    pub reason: &'static str,
    pub title: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    e: &'a PageError,
}

impl PageError {
    pub fn new(status: StatusCode, reason: &'static str, title: impl Into<String>, message: impl Into<String>) -> Self {
        PageError { status, reason, title: title.into(), message: message.into() }
    }

    pub fn not_found() -> Self {
        PageError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Page introuvable",
            "Cette page n'existe pas, ou ne vous est pas accessible.",
        )
    }

    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> Self {
        PageError::new(StatusCode::BAD_REQUEST, reason, "Demande incorrecte", message)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "portal internal error");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Erreur interne",
            "Une erreur interne est survenue ; réessayez plus tard.",
        )
    }

    pub fn from_registration(e: RegError) -> Self {
        let code = e.code();
        match e {
            RegError::NotFound { .. } => PageError { reason: code, ..PageError::not_found() },
            RegError::Forbidden { message, .. } => PageError::new(StatusCode::FORBIDDEN, code, "Accès refusé", message),
            RegError::Conflict { message, .. } | RegError::Busy { message, .. } => {
                PageError::new(StatusCode::CONFLICT, code, "Action impossible", message)
            }
            RegError::Invalid { field, message, .. } => {
                PageError::new(StatusCode::BAD_REQUEST, code, "Demande incorrecte", format!("{field} : {message}"))
            }
            RegError::Refused(r) => PageError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                code,
                "Formulaire refusé",
                r.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" ; "),
            ),
            RegError::Signature(s) => PageError::new(StatusCode::FORBIDDEN, code, "Signature refusée", s.to_string()),
            RegError::Unavailable(m) => {
                PageError::new(StatusCode::SERVICE_UNAVAILABLE, code, "Service indisponible", m)
            }
            other @ (RegError::Storage(_) | RegError::Issue(_) | RegError::Template(_)) => PageError::internal(other),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let html = ErrorPage { e: &self }.render().unwrap_or_else(|_| {
            format!("<!doctype html><html lang=\"fr\"><title>{}</title><p>{}</p></html>", self.status, self.reason)
        });
        let mut resp = (self.status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(v) = HeaderValue::from_str(self.reason) {
            resp.headers_mut().insert("x-santepki-error", v);
        }
        resp
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

/// A registration call's error as a page.
pub(crate) fn page_err(e: RegError) -> PageError {
    PageError::from_registration(e)
}

/// A date (RFC 3339) as French readers write it: `31/12/2029`.
pub(crate) fn date_fr(s: &str) -> String {
    match (s.get(0..4), s.get(5..7), s.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => s.to_owned(),
    }
}
