//! What operators watch: `/metrics` in the Prometheus text format (on the plain listener only),
//! `/readyz`, and one log line per request with its id.
//!
//! The metrics live in the process's default `prometheus` registry, so that the LDAP server
//! (another crate) counts its operations there too; the gauges that are facts of the database
//! (certificates expiring, the mail outbox, the leases) are read when Prometheus scrapes.

use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, TextEncoder};
use santepki_storage::monitoring;

use crate::tls::PeerCertificate;
use crate::AppState;

struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
}

#[allow(clippy::expect_used, reason = "the metric definitions are constants: a bad one fails every test at once")]
static HTTP: LazyLock<HttpMetrics> = LazyLock::new(|| {
    let requests = IntCounterVec::new(
        Opts::new("santepki_http_requests_total", "HTTP requests answered, by route, method and status"),
        &["route", "method", "status"],
    )
    .expect("metric");
    // Issuance latency is this histogram's `POST /api/v1/products` (orders) series.
    let duration = HistogramVec::new(
        HistogramOpts::new("santepki_http_request_duration_seconds", "Time to answer HTTP requests, by route")
            .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
        &["route", "method"],
    )
    .expect("metric");
    let registry = prometheus::default_registry();
    registry.register(Box::new(requests.clone())).expect("registration");
    registry.register(Box::new(duration.clone())).expect("registration");
    HttpMetrics { requests, duration }
});

/// Counts and times each request under its route pattern (not its path: identifiers in paths
/// would make one series per certificate), and logs one line with its request id.
pub(crate) async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    // Standard methods only: any other token would make a new series (memory without bound).
    let method = match *request.method() {
        axum::http::Method::GET
        | axum::http::Method::HEAD
        | axum::http::Method::POST
        | axum::http::Method::PUT
        | axum::http::Method::DELETE
        | axum::http::Method::PATCH
        | axum::http::Method::OPTIONS => request.method().as_str().to_owned(),
        _ => "OTHER".to_owned(),
    };
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    HTTP.requests.with_label_values(&[&route, &method, &status.to_string()]).inc();
    HTTP.duration.with_label_values(&[&route, &method]).observe(elapsed.as_secs_f64());
    tracing::info!(
        target: "santepki::request",
        request_id = santepki_storage::audit::context::request_id().unwrap_or_default(),
        method,
        route,
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Gauges read from the database at each scrape.
struct Facts {
    expiring: IntGauge,
    outbox: IntGauge,
    lease_seconds: IntGaugeVec,
    ocsp_cache: IntCounterVec,
}

#[allow(clippy::expect_used, reason = "the metric definitions are constants: a bad one fails every test at once")]
static FACTS: LazyLock<Facts> = LazyLock::new(|| {
    let expiring = IntGauge::new(
        "santepki_certificates_expiring_30d",
        "Issued, unrevoked certificates whose validity ends within 30 days (R35)",
    )
    .expect("metric");
    let outbox = IntGauge::new("santepki_mail_outbox_backlog", "Mails queued or being sent").expect("metric");
    let lease_seconds = IntGaugeVec::new(
        Opts::new("santepki_lease_expires_in_seconds", "Seconds until each job lease expires, by job and holder node"),
        &["lease", "holder"],
    )
    .expect("metric");
    let ocsp_cache = IntCounterVec::new(
        Opts::new(
            "santepki_ocsp_cache_lookups_total",
            "OCSP requests this node answered from its cache (hit) or not (miss)",
        ),
        &["result"],
    )
    .expect("metric");
    let registry = prometheus::default_registry();
    for m in [
        Box::new(expiring.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(outbox.clone()),
        Box::new(lease_seconds.clone()),
        Box::new(ocsp_cache.clone()),
    ] {
        registry.register(m).expect("registration");
    }
    Facts { expiring, outbox, lease_seconds, ocsp_cache }
});

/// `GET /metrics`: the Prometheus text format. Served on the plain listener only: the
/// card-authenticated listener is for people, and metrics need no card.
pub(crate) async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    if request.extensions().get::<PeerCertificate>().is_some() {
        return crate::error::not_found().await.into_response();
    }
    let facts = &*FACTS;
    LazyLock::force(&HTTP);
    // Each database read gets 2 seconds: with the database gone, the node's own counters are still
    // served within Prometheus's scrape timeout.
    let expiring = monitoring::certificates_expiring(&state.db, chrono::Duration::days(30));
    match tokio::time::timeout(Duration::from_secs(2), expiring).await {
        Ok(Ok(n)) => facts.expiring.set(n),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: expiring certificates"),
        Err(_) => tracing::warn!("metrics: expiring certificates: no answer within 2 s"),
    }
    match tokio::time::timeout(Duration::from_secs(2), monitoring::outbox_backlog(&state.db)).await {
        Ok(Ok(n)) => facts.outbox.set(n),
        Ok(Err(e)) => tracing::warn!(error = %e, "metrics: outbox backlog"),
        Err(_) => tracing::warn!("metrics: outbox backlog: no answer within 2 s"),
    }
    facts.lease_seconds.reset();
    match tokio::time::timeout(Duration::from_secs(2), monitoring::leases(&state.db))
        .await
        .unwrap_or_else(|_| Err(santepki_storage::StorageError::Read("no answer within 2 s".into())))
    {
        Ok(leases) => {
            let now = chrono::Utc::now();
            for (name, holder, expires) in leases {
                let left = santepki_storage::time::parse(&expires).map_or(0, |t| (t - now).num_seconds());
                facts.lease_seconds.with_label_values(&[&name, &holder]).set(left);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: leases"),
    }
    if let Some(ca) = &state.authority {
        // The authority counts; the counters catch up with it at each scrape.
        let (hits, misses) = ca.ocsp_cache_counts();
        for (label, total) in [("hit", hits), ("miss", misses)] {
            let c = facts.ocsp_cache.with_label_values(&[label]);
            c.inc_by(total.saturating_sub(c.get()));
        }
    }
    let mut body = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&prometheus::gather(), &mut body) {
        return (StatusCode::INTERNAL_SERVER_ERROR, format!("metrics: {e}")).into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// How long a successful probe of the CA keys is trusted: signing with an HSM key costs a round
/// trip, and load balancers probe every few seconds.
const KEY_PROBE_TTL: Duration = Duration::from_secs(30);
static KEY_PROBE: Mutex<Option<Instant>> = Mutex::new(None);

/// `GET /readyz`: 200 when this node can serve (the database answers within 2 seconds, every CA
/// key signs, its clock is within a minute of the database's), 503 otherwise, with each check and
/// the job leases in the body.
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(Duration::from_secs(2), monitoring::ping(&state.db)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 2 s".to_owned()),
    };
    let keys = match &state.authority {
        None => Ok("no CA loaded".to_owned()),
        Some(ca) => {
            let fresh = KEY_PROBE.lock().ok().and_then(|g| *g).is_some_and(|t| t.elapsed() < KEY_PROBE_TTL);
            if fresh {
                Ok("usable".to_owned())
            } else {
                // Off the async workers, and bounded: a stuck HSM must not hold them.
                let ca = ca.clone();
                let probe =
                    tokio::time::timeout(Duration::from_secs(5), tokio::task::spawn_blocking(move || ca.probe_keys()))
                        .await
                        .map_err(|_| "the CA keys did not sign within 5 s".to_owned())
                        .and_then(|joined| joined.map_err(|e| e.to_string()))
                        .and_then(|r| r);
                match probe {
                    Ok(()) => {
                        if let Ok(mut g) = KEY_PROBE.lock() {
                            *g = Some(Instant::now());
                        }
                        Ok("usable".to_owned())
                    }
                    Err(e) => Err(e),
                }
            }
        }
    };
    let clock = match (&state.authority, &database) {
        (Some(ca), Ok(())) => {
            ca.check_clock().await.map(|()| "within a minute of the database's".to_owned()).map_err(|e| e.to_string())
        }
        (None, _) => Ok("no CA loaded".to_owned()),
        (_, Err(_)) => Err("the database's clock cannot be read".to_owned()),
    };
    let leases = match &database {
        Ok(()) => monitoring::leases(&state.db).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let ready = database.is_ok() && keys.is_ok() && clock.is_ok();
    let check = |r: &Result<String, String>| match r {
        Ok(s) => serde_json::json!({ "ok": true, "detail": s }),
        Err(e) => serde_json::json!({ "ok": false, "detail": e }),
    };
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "unready" },
        "checks": {
            "database": check(&database.map(|()| "reachable".to_owned())),
            "ca_keys": check(&keys),
            "clock": check(&clock),
        },
        "leases": leases.iter().map(|(name, holder, expires)| serde_json::json!({
            "name": name, "holder": holder, "expires_at": expires,
        })).collect::<Vec<_>>(),
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}
