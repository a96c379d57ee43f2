//! Where revocation data comes from: HTTP (the URLs in the certificates), or nowhere (only what
//! the caller supplied), or the caller's own source (the server asks its CA in-process).

use std::time::Duration;

use futures::future::BoxFuture;
use futures::FutureExt;

/// A request for revocation data.
#[derive(Debug, Clone, Copy)]
pub enum Fetch<'a> {
    /// A CRL, full or delta, from a distribution point URL.
    Crl {
        /// The distribution point's URL.
        url: &'a str,
    },
    /// An OCSP response (RFC 6960) for a DER OCSPRequest, from a responder URL.
    Ocsp {
        /// The responder's URL (AIA).
        url: &'a str,
        /// The DER OCSPRequest.
        request: &'a [u8],
    },
}

/// A source of revocation data. Errors are for a person (they end up in the verdict's attempts).
pub trait RevocationSource: Send + Sync {
    /// Fetches what `fetch` asks for.
    fn fetch<'a>(&'a self, fetch: Fetch<'a>) -> BoxFuture<'a, Result<Vec<u8>, String>>;

    /// How long an answer from `fetch` may be reused at most, when the source knows better than
    /// the verifier's `cache_max_age` (an in-process source is cheap to ask again).
    fn cache_for(&self, _fetch: Fetch<'_>) -> Option<chrono::Duration> {
        None
    }
}

/// No source: only CRLs and OCSP responses supplied to the verifier are used.
#[derive(Debug, Default, Clone, Copy)]
pub struct Offline;

impl RevocationSource for Offline {
    fn fetch<'a>(&'a self, _fetch: Fetch<'a>) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        async { Err("offline: only the CRLs and OCSP responses given are used".to_owned()) }.boxed()
    }
}

/// CRLs larger than this are refused by default (a national CRL with 100,000 entries is about
/// 4 MB; santepki's million-entry CRL about 40 MB).
pub const MAX_CRL_BYTES: usize = 256 * 1024 * 1024;
/// OCSP responses larger than this are refused (one response is a few kilobytes).
const MAX_OCSP_BYTES: usize = 64 * 1024;

/// Fetches over HTTP(S): CRLs with GET, OCSP with POST (`application/ocsp-request`). Other URL
/// schemes (the LDAP URLs of real IGC-Santé certificates) are skipped.
#[derive(Debug, Clone)]
pub struct HttpSource {
    client: reqwest::Client,
    max_crl_bytes: usize,
}

impl HttpSource {
    /// A source whose requests each give up after `timeout`, refusing CRLs over `max_crl_bytes`.
    /// Redirects are not followed: a distribution point names where its CRL is.
    pub fn new(timeout: Duration, max_crl_bytes: usize) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("santepki-verify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(HttpSource { client, max_crl_bytes })
    }

    async fn get(&self, fetch: Fetch<'_>) -> Result<Vec<u8>, String> {
        let (url, limit) = match fetch {
            Fetch::Crl { url } => (url, self.max_crl_bytes),
            Fetch::Ocsp { url, .. } => (url, MAX_OCSP_BYTES),
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("{url}: only http and https URLs are fetched"));
        }
        let request = match fetch {
            Fetch::Crl { url } => self.client.get(url),
            Fetch::Ocsp { url, request } => self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/ocsp-request")
                .body(request.to_vec()),
        };
        let mut response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url}: HTTP {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("{url}: {e}"))? {
            if body.len() + chunk.len() > limit {
                return Err(format!("{url}: larger than {limit} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl RevocationSource for HttpSource {
    fn fetch<'a>(&'a self, fetch: Fetch<'a>) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        self.get(fetch).boxed()
    }
}
