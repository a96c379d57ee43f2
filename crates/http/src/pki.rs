//! What the CA publishes over plain HTTP, for relying parties: OCSP (RFC 6960 over HTTP, GET and
//! POST, RFC 5019 caching headers), CRLs, CA certificates and the PKCS#7 chain (caIssuers).
//!
//! These answers are public and carry no personal data beyond what certificates hold; they are
//! served without authentication, as the real IGC-Santé does.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;
use santepki_authority::crl::CrlKind;
use santepki_authority::ocsp::{Reply, MAX_REQUEST_BYTES};

use crate::error::ApiError;
use crate::orders::Binary;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ocsp", axum::routing::post(ocsp_post))
        .route("/ocsp/{*request}", get(ocsp_get))
        .route("/crl/{file}", get(crl))
        .route("/ca/{file}", get(ca_file))
}

pub(crate) fn authority(state: &AppState) -> Result<&santepki_authority::Authority, ApiError> {
    state.authority.as_ref().ok_or_else(|| ApiError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        error: "ca_not_initialised",
        message: "the certificate authority is not initialised: run `santepki ca init`".into(),
        field: None,
        rule: None,
        refusals: None,
        retry_after: None,
    })
}

fn ocsp_reply(reply: Reply) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/ocsp-response"));
    if let (Some(this), Some(next)) = (reply.this_update, reply.next_update) {
        // RFC 5019 §6.2: caches may keep the response until its nextUpdate.
        let max_age = (next - chrono::Utc::now()).num_seconds().max(0);
        if let Ok(v) = HeaderValue::from_str(&format!("max-age={max_age}, public, no-transform, must-revalidate")) {
            headers.insert(header::CACHE_CONTROL, v);
        }
        if let Ok(v) = HeaderValue::from_str(&this.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
            headers.insert(header::LAST_MODIFIED, v);
        }
        if let Ok(v) = HeaderValue::from_str(&next.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
            headers.insert(header::EXPIRES, v);
        }
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &reply.der);
        if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest.as_ref()[..16]))) {
            headers.insert(header::ETAG, v);
        }
    }
    (StatusCode::OK, headers, reply.der.as_ref().clone()).into_response()
}

/// An OCSP request (RFC 6960) by POST, as `application/ocsp-request` (or raw bytes as
/// `application/octet-stream`, as some clients send it). Any body gets an OCSP answer: a
/// malformed request gets the OCSP `malformedRequest` status, not an HTTP error.
#[utoipa::path(post, path = "/ocsp", tag = "pki", request_body(content((Binary = "application/ocsp-request"), (Binary = "application/octet-stream"))),
    responses((status = 200, description = "The OCSP response", body = Binary, content_type = "application/ocsp-response"),
        (status = 415, description = "Not application/ocsp-request", body = ApiError),
        (status = 503, description = "The CA is not initialised", body = ApiError)))]
async fn ocsp_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let ca = authority(&state)?;
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        if !matches!(ct.as_bytes(), b"application/ocsp-request" | b"application/octet-stream") {
            return Err(ApiError {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                error: "unsupported_media_type",
                message: "OCSP requests are sent as application/ocsp-request".into(),
                field: Some("Content-Type".into()),
                rule: None,
                refusals: None,
                retry_after: None,
            });
        }
    }
    Ok(ocsp_reply(ca.ocsp(&body).await))
}

/// GET `/ocsp/<base64 of the DER request>`, URL-encoded (RFC 6960 appendix A.1).
#[utoipa::path(get, path = "/ocsp/{request}", tag = "pki", params(("request" = String, Path, description = "The DER OCSP request in base64, URL-encoded")),
    responses((status = 200, description = "The OCSP response", body = Binary, content_type = "application/ocsp-response"),
        (status = 503, description = "The CA is not initialised", body = ApiError)))]
async fn ocsp_get(State(state): State<AppState>, Path(request): Path<String>) -> Result<Response, ApiError> {
    let ca = authority(&state)?;
    if request.len() > MAX_REQUEST_BYTES * 2 {
        return Ok(ocsp_reply(ca.ocsp(&[0u8; MAX_REQUEST_BYTES + 1]).await));
    }
    // axum has already percent-decoded the path; some clients leave '+' and '/' as they are,
    // others encode them: both arrive here as base64 characters.
    let cleaned: String = request.chars().filter(|c| !c.is_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.as_bytes()))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cleaned.trim_end_matches('=').as_bytes()))
        .unwrap_or_default();
    Ok(ocsp_reply(ca.ocsp(&der).await))
}

/// `/crl/<CA>.crl` (full) and `/crl/<CA>-delta.crl`.
#[utoipa::path(get, path = "/crl/{file}", tag = "pki", params(("file" = String, Path, description = "`<CA>.crl` or `<CA>-delta.crl`, e.g. `ACI-EL-ORG.crl`")),
    responses((status = 200, description = "The CRL (DER)", body = Binary, content_type = "application/pkix-crl"),
        (status = 404, description = "No such CA or file", body = ApiError),
        (status = 503, description = "The CA is not initialised", body = ApiError)))]
async fn crl(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let ca = authority(&state)?;
    let Some(name) = file.strip_suffix(".crl") else {
        return Err(ApiError::not_found(format!("no CRL {file:?}: CRLs are /crl/<CA>.crl and /crl/<CA>-delta.crl")));
    };
    let (id, kind) = match name.strip_suffix("-delta") {
        Some(id) => (id, CrlKind::Delta),
        None => (name, CrlKind::Full),
    };
    if ca.ca(id).is_none() {
        return Err(ApiError::not_found(format!("no CA {id:?}")));
    }
    let row = match ca.served_crl(id, kind).await.map_err(ApiError::internal)? {
        Some(r) => r,
        None => {
            // First request before the scheduler ran: publish now rather than fail.
            ca.publish_crl(id, kind, "http").await.map_err(ApiError::internal)?;
            ca.served_crl(id, kind)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("CRL vanished"))?
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pkix-crl"));
    if let Some(next) = santepki_storage::time::parse(&row.next_update) {
        let max_age = (next - chrono::Utc::now()).num_seconds().clamp(0, 3600);
        if let Ok(v) = HeaderValue::from_str(&format!("max-age={max_age}, public")) {
            headers.insert(header::CACHE_CONTROL, v);
        }
    }
    Ok((StatusCode::OK, headers, row.der).into_response())
}

/// `/ca/<CA>.crt` (DER), `/ca/<CA>.pem`, `/ca/chain.p7b` and `/ca/bundle.pem` (every CA).
#[utoipa::path(get, path = "/ca/{file}", tag = "pki", params(("file" = String, Path, description = "`<CA>.crt`, `<CA>.cer`, `<CA>.pem`, `chain.p7b` or `bundle.pem`")),
    responses((status = 200, description = "A CA certificate, the bundle or the PKCS#7 chain", content(
            (Binary = "application/pkix-cert"), (String = "application/x-pem-file"), (Binary = "application/pkcs7-mime"))),
        (status = 404, description = "No such CA or file", body = ApiError),
        (status = 503, description = "The CA is not initialised", body = ApiError)))]
async fn ca_file(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let ca = authority(&state)?;
    let typed = |ct: &'static str, body: Vec<u8>| {
        ([(header::CONTENT_TYPE, HeaderValue::from_static(ct))], body).into_response()
    };
    match file.as_str() {
        "chain.p7b" => {
            let certs: Vec<_> = ca.cas().iter().map(|c| c.certificate.clone()).collect();
            let der = santepki_authority::chain::certs_only(&certs).map_err(ApiError::internal)?;
            Ok(typed("application/pkcs7-mime", der))
        }
        "bundle.pem" => Ok(typed("application/x-pem-file", ca.bundle_pem().into_bytes())),
        _ => {
            let (id, pem) = if let Some(id) = file.strip_suffix(".crt").or_else(|| file.strip_suffix(".cer")) {
                (id, false)
            } else if let Some(id) = file.strip_suffix(".pem") {
                (id, true)
            } else {
                return Err(ApiError::not_found(format!("no CA file {file:?}: try /ca/<CA>.crt or /ca/chain.p7b")));
            };
            let c = ca.ca(id).ok_or_else(|| ApiError::not_found(format!("no CA {id:?}")))?;
            Ok(if pem {
                typed("application/x-pem-file", c.pem().into_bytes())
            } else {
                typed("application/pkix-cert", c.der.clone())
            })
        }
    }
}
