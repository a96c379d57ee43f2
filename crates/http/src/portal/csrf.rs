//! CSRF protection of the portal's forms, stateless so that any node can check any request: a
//! double-submit cookie plus the browser's origin headers.
//!
//! GET pages set `__Host-csrf` (32 random bytes, base64url; `Secure; HttpOnly; SameSite=Strict;
//! Path=/`) when the browser has none, and write the same value in every form's hidden `csrf`
//! field. [`CsrfForm`] — the only way a portal handler reads a POST body — accepts the body only
//! when that field equals the cookie, `Origin` (when present) is the portal's own origin and
//! `Sec-Fetch-Site` (when present) is `same-origin`. A cross-site page can neither read the
//! cookie nor set a `__Host-` cookie, so it cannot forge the pair.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use base64::Engine;
use serde::de::DeserializeOwned;

use super::PageError;

pub(crate) const COOKIE: &str = "__Host-csrf";
/// The largest form body the portal reads (a CSR file is a few kilobytes).
const MAX_BODY: usize = 256 * 1024;

#[allow(
    clippy::expect_used,
    reason = "aws-lc fails only when the operating system has no random source, where no CA can run"
)]
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("system random generator");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The `Set-Cookie` value for a token.
pub(crate) fn set_cookie(token: &str) -> String {
    cookie::Cookie::build((COOKIE, token.to_owned()))
        .secure(true)
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path("/")
        .build()
        .to_string()
}

/// The token of the request's `__Host-csrf` cookie, when it has a well-formed one.
pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| {
            v.len() == 43 && base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v).is_ok_and(|b| b.len() == 32)
        })
}

fn refused(why: &str) -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "csrf",
        "Requête refusée",
        format!("Le formulaire n'a pas pu être vérifié ({why}). Rechargez la page et soumettez-le de nouveau."),
    )
}

/// The portal's own origin: `https://` and the host the browser addressed.
fn own_origin(parts: &Parts) -> Option<String> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))?;
    Some(format!("https://{host}"))
}

/// The origin checks, before the body is read.
fn check_headers(parts: &Parts) -> Result<String, PageError> {
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| refused("origine illisible"))?;
        if Some(origin.trim_end_matches('/')) != own_origin(parts).as_deref() {
            return Err(refused("origine étrangère"));
        }
    }
    if let Some(site) = parts.headers.get("sec-fetch-site") {
        if site.as_bytes() != b"same-origin" {
            return Err(refused("requête intersite"));
        }
    }
    cookie_token(&parts.headers).ok_or_else(|| refused("jeton absent"))
}

/// A form body (URL-encoded or multipart) whose CSRF token was checked, deserialized into `T`
/// (the `csrf` field itself is ignored by `T`). Files of a multipart body come as text (PEM),
/// or base64 when they are binary (a DER CSR).
pub(crate) struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let cookie = check_headers(&parts)?;
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        let mut pairs: Vec<(String, String)> = Vec::new();
        if content_type.starts_with("multipart/form-data") {
            let req = Request::from_parts(parts, body);
            let mut multipart = Multipart::from_request(req, state)
                .await
                .map_err(|e| PageError::bad_request("multipart", format!("formulaire illisible : {e}")))?;
            let mut size = 0usize;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| PageError::bad_request("multipart", format!("formulaire illisible : {e}")))?
            {
                let name = field.name().unwrap_or("").to_owned();
                let is_file = field.file_name().is_some();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| PageError::bad_request("multipart", format!("formulaire illisible : {e}")))?;
                size += bytes.len();
                if size > MAX_BODY {
                    return Err(PageError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        "Envoi trop volumineux",
                        "Le formulaire dépasse 256 Kio.",
                    ));
                }
                let value = match String::from_utf8(bytes.to_vec()) {
                    Ok(s) => s,
                    Err(_) if is_file => base64::engine::general_purpose::STANDARD.encode(&bytes),
                    Err(_) => {
                        return Err(PageError::bad_request(
                            "encoding",
                            format!("le champ {name} n'est pas du texte UTF-8"),
                        ))
                    }
                };
                pairs.push((name, value));
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
                PageError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "Envoi trop volumineux",
                    "Le formulaire dépasse 256 Kio.",
                )
            })?;
            pairs = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| PageError::bad_request("form", format!("formulaire illisible : {e}")))?;
        } else {
            return Err(PageError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Format non pris en charge",
                "Le portail n'accepte que des formulaires HTML.",
            ));
        }
        let submitted = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
        if aws_lc_rs::constant_time::verify_slices_are_equal(submitted.as_bytes(), cookie.as_bytes()).is_err() {
            return Err(refused("jeton invalide"));
        }
        let encoded = serde_urlencoded::to_string(&pairs).map_err(PageError::internal)?;
        serde_urlencoded::from_str(&encoded)
            .map(CsrfForm)
            .map_err(|e| PageError::bad_request("form", format!("formulaire incomplet : {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_cookie() {
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, new_token());
        let c = set_cookie(&t);
        for part in ["__Host-csrf=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(c.contains(part), "{c}");
        }
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, format!("a=b; {COOKIE}={t}").parse().unwrap());
        assert_eq!(cookie_token(&h), Some(t));
        h.insert(header::COOKIE, format!("{COOKIE}=short").parse().unwrap());
        assert_eq!(cookie_token(&h), None);
    }
}
