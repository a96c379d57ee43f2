//! Issue 15, point 17 (second half): every error of the API is the documented JSON shape
//! (`ApiError`: `error`, `message`…) with the right status, including those the framework
//! answers itself (a path that is not UTF-8, a target or headers too large, an oversized body,
//! a body that is not JSON, a method or route that does not exist), over HTTP/1.1 and HTTP/2
//! (ALPN over TLS, and prior knowledge on the plain listener).

use reqwest::{Method, StatusCode, Version};
use santepki_registration::testing as t;
use santepki_registration::MailSettings;
use santepki_storage::testing;
use serde_json::Value;

fn client(card: &t::TestCard, version: Version) -> reqwest::Client {
    let b = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .identity(reqwest::Identity::from_pem(card.identity_pem().as_bytes()).unwrap());
    let b = if version == Version::HTTP_2 { b.http2_prior_knowledge() } else { b.http1_only() };
    b.build().unwrap()
}

/// Sends a request and checks the answer: the status, the `error` reason, a JSON body.
async fn expect(
    c: &reqwest::Client,
    version: Version,
    req: reqwest::RequestBuilder,
    status: StatusCode,
    error: &str,
) -> Value {
    let req = req.build().unwrap();
    let what = format!("{version:?} {} {}", req.method(), &req.url().as_str()[..req.url().as_str().len().min(80)]);
    let r = c.execute(req).await.unwrap();
    assert_eq!(r.version(), version, "{what}");
    assert_eq!(r.status(), status, "{what}");
    let ct = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{what}: content-type {ct:?}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], error, "{what}: {v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {v}");
    v
}

#[tokio::test]
async fn framework_errors_are_the_api_error_shape_over_http1_and_http2() {
    let db = testing::sqlite().await;
    let platform = crate::platform::start(&db, MailSettings::default()).await;
    let card = t::new_card(&platform.reg, "CPE", "ERREUR", "ERIC", "318751275100020").await;
    let api = format!("{}/api/v1", platform.base);
    for version in [Version::HTTP_11, Version::HTTP_2] {
        let c = client(&card, version);
        // A path segment that is not UTF-8 once decoded.
        expect(
            &c,
            version,
            c.get(format!("{api}/directory/professionals/%FF%FE")),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        )
        .await;
        // A request target over 8 KiB.
        let long = "a".repeat(9000);
        expect(
            &c,
            version,
            c.get(format!("{api}/directory/search?name={long}")),
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
        )
        .await;
        // Headers over 8 KiB.
        expect(
            &c,
            version,
            c.get(format!("{api}/me")).header("x-padding", "b".repeat(9000)),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
        )
        .await;
        // A body over the 2 MB limit.
        let big = format!("{{\"x\": \"{}\"}}", "c".repeat(3 << 20));
        let v = expect(
            &c,
            version,
            c.post(format!("{api}/forms413")).header("content-type", "application/json").body(big),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        )
        .await;
        assert_eq!(v["field"], "body");
        // A body declared as something else than JSON, and JSON that does not parse.
        expect(
            &c,
            version,
            c.post(format!("{api}/forms413")).header("content-type", "text/plain").body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
        expect(
            &c,
            version,
            c.post(format!("{api}/forms413")).header("content-type", "application/json").body("{\"x\": "),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        )
        .await;
        // A method the route does not have keeps its Allow header.
        let req = c.request(Method::DELETE, format!("{api}/me")).build().unwrap();
        let r = c.execute(req).await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert!(r.headers().get("allow").is_some());
        expect(
            &c,
            version,
            c.request(Method::DELETE, format!("{api}/me")),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
        // A route that does not exist under /api.
        expect(&c, version, c.get(format!("{api}/nowhere")), StatusCode::NOT_FOUND, "not_found").await;
    }
    let _ = platform.stop.send(true);
}

/// The plain listener (`santepki_http::serve`) over HTTP/2 with prior knowledge (h2c), as a
/// client that skips the upgrade does: the same JSON errors.
#[tokio::test]
async fn plain_listener_errors_over_h2c_are_the_api_error_shape() {
    let db = testing::sqlite().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
    let state = santepki_http::AppState::new(db.db.clone(), santepki_domain::ValidationMode::Test);
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(santepki_http::serve(listener, santepki_http::router(state), async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    for version in [Version::HTTP_11, Version::HTTP_2] {
        let b = reqwest::Client::builder();
        let c = if version == Version::HTTP_2 { b.http2_prior_knowledge() } else { b.http1_only() }.build().unwrap();
        expect(
            &c,
            version,
            c.get(format!("{base}/directory/professionals/%C3%28")),
            StatusCode::BAD_REQUEST,
            "invalid_path",
        )
        .await;
        expect(
            &c,
            version,
            c.get(format!("{base}/directory/search?name={}", "a".repeat(9000))),
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
        )
        .await;
        expect(
            &c,
            version,
            c.get(format!("{base}/directory/stats")).header("x-padding", "b".repeat(9000)),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
        )
        .await;
        expect(
            &c,
            version,
            c.post(format!("{base}/directory/stats")),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
        // Without a card, an order is refused before its body is read: 401, JSON too.
        expect(
            &c,
            version,
            c.post(format!("{base}/forms413")).header("content-type", "application/json").body("{"),
            StatusCode::UNAUTHORIZED,
            "card_required",
        )
        .await;
    }
    let _ = stop.send(true);
}
