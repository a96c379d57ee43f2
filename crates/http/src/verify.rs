//! `POST /api/v1/verify`: the relying party's check (santepki-verify) as a service, without a
//! card, rate-limited per client address.
//!
//! The server trusts this CA's root (and the anchors added by `verify.anchors`) and knows its
//! issuing CAs. Revocation of this CA's certificates comes in-process (its OCSP answers and its
//! published CRLs). Other URLs are fetched only for certificates whose path to an added anchor
//! verified (`verify.fetch`): a verification service that fetched the URLs of any certificate
//! posted to it would let anyone make it call the hosts of their choice (SSRF), and revocation
//! is looked up only after the path.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use futures::future::BoxFuture;
use futures::FutureExt;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use santepki_authority::crl::CrlKind;
use santepki_authority::Authority;
use santepki_domain::ids::IdNatStruct;
use santepki_verify::{
    CoherenceMode, Config, Fetch, HttpSource, Request, RevocationPolicy, RevocationSource, StoredDirectory, Use,
    Verifier,
};

use crate::api::verify::{CoherenceModeApi, RevocationPolicyApi, VerifyRequest, VerifyResponse};
use crate::registration::{ApiResult, Body};
use crate::{ApiError, AppState};

/// Verifications per second allowed to one client address, and the burst above it.
const PER_SECOND: u32 = 20;
const BURST: u32 = 40;
/// Addresses remembered by the limiter before the idle ones are forgotten.
const TRACKED_ADDRESSES: usize = 10_000;
/// This CA's CRLs and OCSP answers are reused this long: a revocation made on any node shows in
/// verifications within this time (the CA's own OCSP cache adds its 2 seconds).
const LOCAL_CACHE_SECONDS: i64 = 5;
/// Other CAs' answers are reused until their nextUpdate, at most this long.
const REMOTE_CACHE_SECONDS: i64 = 3600;
/// Other CAs' CRLs larger than this are refused (the server fetches them for anyone who posts
/// one of their certificates).
const REMOTE_MAX_CRL_BYTES: usize = 32 * 1024 * 1024;

/// The verifier of a node and its rate limiter, made on first use.
#[derive(Clone, Default)]
pub struct VerifyService {
    /// Trust anchors added to this CA's root (DER).
    anchors: Arc<Vec<Vec<u8>>>,
    /// Whether revocation data of other CAs is fetched.
    fetch: bool,
    inner: Arc<OnceLock<(Arc<Verifier>, DefaultKeyedRateLimiter<IpAddr>)>>,
}

impl VerifyService {
    /// A service trusting `anchors` besides this CA's root, fetching other CAs' revocation data
    /// when `fetch`. Fails when an anchor is not a usable root certificate.
    pub fn new(anchors: Vec<Vec<u8>>, fetch: bool) -> Result<Self, santepki_verify::SetupError> {
        if !anchors.is_empty() {
            Verifier::new(Config::new(anchors.clone(), Arc::new(santepki_verify::Offline)))?;
        }
        Ok(VerifyService { anchors: Arc::new(anchors), fetch, inner: Arc::default() })
    }

    fn get(&self, state: &AppState) -> ApiResult<&(Arc<Verifier>, DefaultKeyedRateLimiter<IpAddr>)> {
        if let Some(v) = self.inner.get() {
            return Ok(v);
        }
        let authority = crate::pki::authority(state)?;
        let fallback = if self.fetch {
            Some(
                HttpSource::new(std::time::Duration::from_secs(10), REMOTE_MAX_CRL_BYTES)
                    .map_err(ApiError::internal)?,
            )
        } else {
            None
        };
        let mut anchors = vec![authority.root().der.clone()];
        anchors.extend(self.anchors.iter().cloned());
        let mut config = Config::new(anchors, Arc::new(LocalSource { authority: authority.clone(), fallback }));
        config.intermediates =
            authority.cas().iter().filter(|c| c.parent_id.is_some()).map(|c| c.der.clone()).collect();
        config.policy = Some(authority.settings().policy_oid);
        config.cache_max_age = chrono::Duration::seconds(REMOTE_CACHE_SECONDS);
        config.directory = Some(Arc::new(StoredDirectory::new(state.db.for_reads())));
        let verifier = Verifier::new(config).map_err(ApiError::internal)?;
        let quota = Quota::per_second(NonZeroU32::new(PER_SECOND).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(BURST).unwrap_or(NonZeroU32::MIN));
        Ok(self.inner.get_or_init(|| (Arc::new(verifier), RateLimiter::dashmap(quota))))
    }
}

/// Revocation data from this CA, in-process; other CAs' over HTTP when fetching is on.
struct LocalSource {
    authority: Authority,
    fallback: Option<HttpSource>,
}

impl LocalSource {
    async fn fetch_local(&self, fetch: Fetch<'_>) -> Result<Vec<u8>, String> {
        let settings = self.authority.settings();
        match fetch {
            Fetch::Ocsp { url, request } if url == settings.ocsp_url() => {
                Ok(self.authority.ocsp(request).await.der.to_vec())
            }
            Fetch::Crl { url } => {
                let found = self
                    .authority
                    .cas()
                    .iter()
                    .find_map(|c| {
                        if settings.crl_url(&c.id) == url {
                            Some((c.id.clone(), CrlKind::Full))
                        } else if settings.delta_crl_url(&c.id) == url {
                            Some((c.id.clone(), CrlKind::Delta))
                        } else {
                            None
                        }
                    })
                    .ok_or(url);
                let (id, kind) = match found {
                    Ok(found) => found,
                    Err(url) => return self.fetch_other(fetch, url).await,
                };
                let served = match self.authority.served_crl(&id, kind).await.map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => {
                        // Before the scheduler's first round: publish now, as `/crl/…` does.
                        self.authority.publish_crl(&id, kind, "verify").await.map_err(|e| e.to_string())?;
                        self.authority
                            .served_crl(&id, kind)
                            .await
                            .map_err(|e| e.to_string())?
                            .ok_or("the CRL was not stored")?
                    }
                };
                Ok(served.der.to_vec())
            }
            Fetch::Ocsp { url, .. } => self.fetch_other(fetch, url).await,
        }
    }

    async fn fetch_other(&self, fetch: Fetch<'_>, url: &str) -> Result<Vec<u8>, String> {
        match &self.fallback {
            Some(http) => http.fetch(fetch).await,
            None => Err(format!("{url}: not this CA's (verify.fetch is off)")),
        }
    }
}

impl LocalSource {
    /// Whether `url` is one of this CA's (its responder, its CRLs).
    fn is_local(&self, url: &str) -> bool {
        let settings = self.authority.settings();
        url == settings.ocsp_url()
            || self
                .authority
                .cas()
                .iter()
                .any(|c| settings.crl_url(&c.id) == url || settings.delta_crl_url(&c.id) == url)
    }
}

impl RevocationSource for LocalSource {
    fn fetch<'a>(&'a self, fetch: Fetch<'a>) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        self.fetch_local(fetch).boxed()
    }

    fn cache_for(&self, fetch: Fetch<'_>) -> Option<chrono::Duration> {
        let url = match fetch {
            Fetch::Crl { url } | Fetch::Ocsp { url, .. } => url,
        };
        self.is_local(url).then(|| chrono::Duration::seconds(LOCAL_CACHE_SECONDS))
    }
}

/// The client's address (both listeners record it).
pub(crate) struct ClientAddress(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/verify", post(verify))
}

/// A certificate in PEM, or base64 DER.
fn certificates(text: &str, field: &str) -> ApiResult<Vec<Vec<u8>>> {
    let bytes = if text.contains("-----BEGIN") {
        text.as_bytes().to_vec()
    } else {
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(cleaned).map_err(|e| {
            ApiError::bad_request("invalid_certificate", field, format!("neither PEM nor base64 DER: {e}"))
        })?
    };
    santepki_verify::read_certificates(&bytes).map_err(|e| ApiError::bad_request("invalid_certificate", field, e))
}

/// `POST /api/v1/verify`: is this certificate acceptable for this use?
#[utoipa::path(post, path = "/api/v1/verify", tag = "verify", request_body = VerifyRequest,
    responses((status = 200, description = "The verdict, accepted or refused with its reasons", body = VerifyResponse),
        (status = 400, description = "Not a certificate (`invalid_certificate`), an unknown use (`invalid_use`), not an idNat_Struct (`invalid_structure`), a malformed body (`invalid_json`)", body = ApiError),
        (status = 429, description = "Too many verifications from this address (`rate_limited`, with `retry_after` and a `Retry-After` header)", body = ApiError),
        (status = 503, description = "The CA is not initialised (`ca_not_initialised`)", body = ApiError)))]
pub(crate) async fn verify(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Body(body): Body<VerifyRequest>,
) -> ApiResult<Json<VerifyResponse>> {
    let (verifier, limiter) = state.verify.get(&state)?;
    if let Some(ip) = client {
        if limiter.len() > TRACKED_ADDRESSES {
            limiter.retain_recent();
        }
        if let Err(not_until) = limiter.check_key(&ip) {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            return Err(ApiError {
                retry_after: Some(u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX)),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("more than {PER_SECOND} verifications per second from this address"),
                )
            });
        }
    }
    let mut certs = certificates(&body.certificate, "certificate")?;
    let certificate = certs.remove(0);
    let mut chain = certs;
    for (i, c) in body.chain.iter().enumerate() {
        chain.extend(certificates(c, &format!("chain[{i}]"))?);
    }
    let structure = match body.structure.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(
            IdNatStruct::parse(s, state.mode)
                .map_err(|e| ApiError::bad_request("invalid_structure", "structure", e.to_string()))?
                .to_string(),
        ),
        None => None,
    };
    let usage = match body.usage.as_deref() {
        Some(u) => Some(u.parse::<Use>().map_err(|e| ApiError::bad_request("invalid_use", "use", e))?),
        None => None,
    };
    let request = Request {
        certificate,
        chain,
        usage,
        structure,
        coherence: match body.coherence {
            Some(CoherenceModeApi::Strict) => CoherenceMode::Strict,
            _ => CoherenceMode::LegalEntity,
        },
        revocation: body.revocation.map(|r| match r {
            RevocationPolicyApi::HardFail => RevocationPolicy::HardFail,
            RevocationPolicyApi::SoftFail => RevocationPolicy::SoftFail,
            RevocationPolicyApi::Off => RevocationPolicy::Off,
        }),
        at: None,
    };
    Ok(Json(verifier.verify(&request).await.into()))
}
