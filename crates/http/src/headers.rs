//! Security headers on every response (issue 15, point 19): the portal is a card-authenticated application whose
//! pages must not be framed (clickjacking of the revocation and signature buttons), sniffed into another type, or
//! reached again over plain HTTP once a browser has seen it over HTTPS.

use axum::extract::Request;
use axum::http::header::{
    HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

/// The portal serves its own stylesheet and forms and no script. Inline `style` attributes are allowed (and only
/// they: `style-src-attr`) because the expiry schedule draws its bars with a height in percent; they cannot run code.
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; style-src 'self'; style-src-attr 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One year, subdomains included; browsers ignore it on the plain listener, as RFC 6797 says.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds the security headers a response does not set itself.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (STRICT_TRANSPORT_SECURITY, HSTS),
        (X_FRAME_OPTIONS, "DENY"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "same-origin"),
    ] {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// The request id of every request: the client's `x-request-id` when it is a sane token (a load
/// balancer's or a caller's, so that logs can be joined), else a fresh random one. Audit events
/// written while serving the request carry it, and the response echoes it.
pub(crate) async fn request_id(request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| {
        let mut bytes = [0u8; 12];
        rand::Rng::fill(&mut rand::thread_rng(), &mut bytes);
        hex::encode(bytes)
    });
    let mut response = santepki_storage::audit::context::with_request_id(id.clone(), next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
