//! Revocation (RFC 5280 §6.3, RFC 6960): OCSP first, then the full CRL with its delta, for each
//! certificate of a validated path; a cache of checked answers; and the hard-fail / soft-fail
//! policy when no status could be had.
//!
//! rustls-webpki checks full CRLs only (no deltas, no OCSP), so this is the verifier's own code
//! over the RustCrypto ASN.1 types; signatures go through webpki's algorithms
//! ([`crate::signature`]).

mod crl;
mod ocsp;
mod source;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use const_oid::db::rfc5280;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, BasicConstraints, CrlDistributionPoints, CrlReason, FreshestCrl,
};
use x509_cert::time::Time;
use x509_cert::Certificate;

pub use source::{Fetch, HttpSource, Offline, RevocationSource, MAX_CRL_BYTES};

use crate::verdict::{RevocationCheck, RevocationStatus, StatusSource};
use crl::{CheckedCrl, Kind};

/// How long an OCSP response or a CRL without nextUpdate may be used after its thisUpdate.
const NO_NEXT_UPDATE_FRESHNESS: chrono::Duration = chrono::Duration::hours(24);

/// What to do when no revocation status can be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationPolicy {
    /// Refuse the certificate.
    HardFail,
    /// Accept it with a warning.
    SoftFail,
    /// Do not check revocation.
    Off,
}

impl FromStr for RevocationPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hard-fail" | "hard" => Ok(RevocationPolicy::HardFail),
            "soft-fail" | "soft" => Ok(RevocationPolicy::SoftFail),
            "off" | "none" => Ok(RevocationPolicy::Off),
            other => Err(format!("unknown revocation policy {other:?}: expected hard-fail, soft-fail or off")),
        }
    }
}

/// A certificate's issuer: its DER (for signature checks) and its parsed form.
pub(crate) struct Issuer<'a> {
    pub der: &'a [u8],
    pub cert: &'a Certificate,
}

/// A status found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Status {
    Good(StatusSource),
    Revoked { source: StatusSource, at: DateTime<Utc>, reason: Option<CrlReason> },
    Unknown,
}

/// Cached OCSP answers and CRLs, and the CRLs and responses the caller supplied. Answers are
/// kept until their nextUpdate, and never longer than `max_age` (or what the source asks).
pub(crate) struct Store {
    supplied_crls: Vec<Vec<u8>>,
    supplied_ocsp: Vec<Vec<u8>>,
    crls: Mutex<HashMap<CrlKey, Cached<Arc<CheckedCrl>>>>,
    ocsp: Mutex<HashMap<OcspKey, Cached<Status>>>,
    /// One fetch at a time per CRL: concurrent misses wait for it instead of each downloading.
    fetching: Mutex<HashMap<CrlKey, Arc<tokio::sync::Mutex<()>>>>,
    max_age: chrono::Duration,
}

/// A CRL is cached per issuer (a hash of its name and key: two CAs may share a name) and kind.
type CrlKey = ([u8; 32], Kind);
/// An OCSP answer per issuer and serial.
type OcspKey = ([u8; 32], Vec<u8>);

struct Cached<T> {
    value: T,
    until: DateTime<Utc>,
}

/// Bound on cached OCSP answers; the cache is emptied when reached.
const OCSP_CACHE_MAX: usize = 1_000_000;

/// What one certificate's check needs besides the certificate and its issuer.
pub(crate) struct Context<'a> {
    pub source: &'a dyn RevocationSource,
    /// The validation time.
    pub at: DateTime<Utc>,
    /// Whether cached answers may be used and kept: only when validating now, as an answer
    /// judged at another time says nothing of now.
    pub cache: bool,
}

impl Store {
    pub(crate) fn new(supplied_crls: Vec<Vec<u8>>, supplied_ocsp: Vec<Vec<u8>>, max_age: chrono::Duration) -> Self {
        Store {
            supplied_crls,
            supplied_ocsp,
            crls: Mutex::default(),
            ocsp: Mutex::default(),
            fetching: Mutex::default(),
            max_age,
        }
    }

    /// Until when an answer valid until `valid_until` may be reused: at most `max_age`, or what
    /// its source asked (`source_max_age`).
    fn keep_until(&self, source_max_age: Option<chrono::Duration>, valid_until: DateTime<Utc>) -> DateTime<Utc> {
        valid_until.min(Utc::now() + source_max_age.unwrap_or(self.max_age))
    }

    /// Checks one certificate of a path: OCSP first (when it names a responder or a response was
    /// supplied), then its full CRL and the delta over it. Records each attempt.
    pub(crate) async fn check(&self, cert: &Certificate, issuer: &Issuer<'_>, cx: &Context<'_>) -> RevocationCheck {
        let mut attempts = Vec::new();
        let mut status = self.ocsp(cert, issuer, cx, &mut attempts).await;
        if matches!(status, Status::Unknown) {
            status = self.crl(cert, issuer, cx, &mut attempts).await;
        }
        let (status, source, revoked_at, reason) = match status {
            Status::Good(s) => (RevocationStatus::Good, Some(s), None, None),
            Status::Revoked { source, at, reason } => (
                RevocationStatus::Revoked,
                Some(source),
                Some(at.to_rfc3339()),
                reason.map(|r| crl::reason_name(r).to_owned()),
            ),
            Status::Unknown => (RevocationStatus::Unknown, None, None, None),
        };
        RevocationCheck {
            subject: cert.tbs_certificate.subject.to_string(),
            serial: hex::encode(cert.tbs_certificate.serial_number.as_bytes()),
            status,
            source,
            revoked_at,
            reason,
            attempts,
        }
    }

    async fn ocsp(
        &self,
        cert: &Certificate,
        issuer: &Issuer<'_>,
        cx: &Context<'_>,
        attempts: &mut Vec<String>,
    ) -> Status {
        let serial = &cert.tbs_certificate.serial_number;
        let key: OcspKey = (issuer_key(issuer), crl::trim(serial.as_bytes()).to_vec());
        if cx.cache {
            if let Some(c) = lock(&self.ocsp).get(&key).filter(|c| c.until > Utc::now()) {
                return c.value;
            }
        }
        // Of several responses given, a revocation wins, then the newest.
        let mut answer: Option<ocsp::Answer> = None;
        for der in &self.supplied_ocsp {
            match ocsp::check(der, issuer, serial, cx.at) {
                Ok(Some(a)) => {
                    attempts.push("OCSP response given: checked".to_owned());
                    let better = answer.as_ref().is_none_or(|b| {
                        let revoked = |s: &Status| matches!(s, Status::Revoked { .. });
                        (revoked(&a.status), a.this_update) > (revoked(&b.status), b.this_update)
                    });
                    if better {
                        answer = Some(a);
                    }
                }
                Ok(None) => {}
                Err(e) => attempts.push(format!("OCSP response given: {e}")),
            }
        }
        let mut source_max_age = None;
        let urls = if answer.is_none() { ocsp_urls(cert) } else { Vec::new() };
        if !urls.is_empty() {
            match ocsp::request(issuer, serial) {
                Ok(request) => {
                    for url in &urls {
                        let fetch = Fetch::Ocsp { url, request: &request };
                        match cx.source.fetch(fetch).await {
                            Ok(der) => match ocsp::check(&der, issuer, serial, cx.at) {
                                Ok(Some(a)) => {
                                    attempts.push(format!("OCSP {url}: checked"));
                                    answer = Some(a);
                                    source_max_age = cx.source.cache_for(fetch);
                                    break;
                                }
                                Ok(None) => attempts.push(format!("OCSP {url}: no answer for this certificate")),
                                Err(e) => attempts.push(format!("OCSP {url}: {e}")),
                            },
                            Err(e) => attempts.push(format!("OCSP: {e}")),
                        }
                    }
                }
                Err(e) => attempts.push(format!("OCSP request: {e}")),
            }
        }
        let Some(answer) = answer else { return Status::Unknown };
        if matches!(answer.status, Status::Unknown) {
            attempts.push("OCSP: the responder does not know the certificate".to_owned());
        }
        if cx.cache {
            let until = self.keep_until(source_max_age, answer.valid_until);
            let mut cache = lock(&self.ocsp);
            if cache.len() >= OCSP_CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, Cached { value: answer.status, until });
        }
        answer.status
    }

    async fn crl(
        &self,
        cert: &Certificate,
        issuer: &Issuer<'_>,
        cx: &Context<'_>,
        attempts: &mut Vec<String>,
    ) -> Status {
        let is_ca = cert.tbs_certificate.get::<BasicConstraints>().ok().flatten().is_some_and(|(_, bc)| bc.ca);
        let cdp_urls = cert
            .tbs_certificate
            .get::<CrlDistributionPoints>()
            .ok()
            .flatten()
            .map(|(_, d)| urls_of(&d.0))
            .unwrap_or_default();
        let Some(mut full) = self.load(issuer, Kind::Full, &cdp_urls, cx, false, attempts).await else {
            return Status::Unknown;
        };
        if !full.covers(is_ca, &cdp_urls) {
            attempts.push(
                "the full CRL does not cover this certificate (its issuing distribution point's scope)".to_owned(),
            );
            return Status::Unknown;
        }
        let mut delta_urls =
            cert.tbs_certificate.get::<FreshestCrl>().ok().flatten().map(|(_, f)| urls_of(&f.0)).unwrap_or_default();
        delta_urls.extend(full.freshest.iter().filter(|u| !delta_urls.contains(u)).cloned().collect::<Vec<_>>());
        // A delta's scope is its complete CRL's (the certificate's distribution points) or its own URL.
        let delta_scope: Vec<String> = cdp_urls.iter().chain(&delta_urls).cloned().collect();
        let serial = cert.tbs_certificate.serial_number.as_bytes();
        let delta = if delta_urls.is_empty() && self.supplied_crls.is_empty() {
            None
        } else {
            let mut delta = self.load(issuer, Kind::Delta, &delta_urls, cx, false, attempts).await;
            if let Some(d) = &delta {
                // A delta newer than the cached full CRL's successor: the full CRL is read again.
                if d.base.as_deref().is_some_and(|b| crl::cmp_numbers(b, &full.number).is_gt()) {
                    attempts.push("the delta CRL is based on a newer full CRL: reading it again".to_owned());
                    match self.load(issuer, Kind::Full, &cdp_urls, cx, true, attempts).await {
                        Some(f) => full = f,
                        None => return Status::Unknown,
                    }
                }
                if !(d.applies_over(&full) && d.covers(is_ca, &delta_scope)) {
                    attempts.push("the delta CRL does not apply over the full CRL (RFC 5280 §5.2.4)".to_owned());
                    delta = None;
                }
            }
            // A delta the CA announces but that cannot be had: the full CRL alone could miss a
            // week of revocations, so there is no status (hard-fail refuses, soft-fail warns).
            if delta.is_none() && !delta_urls.is_empty() {
                attempts.push("the delta CRL announced could not be used: no status from the CRLs".to_owned());
                return Status::Unknown;
            }
            delta
        };
        let in_delta = delta.as_ref().and_then(|d| d.entry(serial));
        // removeFromCRL in the delta releases a certificate on hold in the full CRL (RFC 5280 §5.3.1).
        if in_delta.is_some_and(|e| e.reason == Some(CrlReason::RemoveFromCRL)) {
            return Status::Good(StatusSource::DeltaCrl);
        }
        // A certificate listed in both is reported from the full CRL, where it appeared first.
        for (listed, source) in [(full.entry(serial), StatusSource::Crl), (in_delta, StatusSource::DeltaCrl)] {
            if let Some(e) = listed.filter(|e| e.reason != Some(CrlReason::RemoveFromCRL)) {
                return Status::Revoked { source, at: e.revoked_at, reason: e.reason };
            }
        }
        Status::Good(if delta.is_some() { StatusSource::DeltaCrl } else { StatusSource::Crl })
    }

    /// The freshest usable CRL of `kind` from `issuer`: cached (unless `reload`), supplied, or
    /// fetched from `urls`, one fetch at a time per CRL.
    async fn load(
        &self,
        issuer: &Issuer<'_>,
        kind: Kind,
        urls: &[String],
        cx: &Context<'_>,
        reload: bool,
        attempts: &mut Vec<String>,
    ) -> Option<Arc<CheckedCrl>> {
        let key: CrlKey = (issuer_key(issuer), kind);
        let cached =
            |store: &Self| lock(&store.crls).get(&key).filter(|c| c.until > Utc::now()).map(|c| c.value.clone());
        if cx.cache && !reload {
            if let Some(c) = cached(self) {
                return Some(c);
            }
        }
        let flight = lock(&self.fetching).entry(key).or_default().clone();
        let _one_at_a_time = flight.lock().await;
        if cx.cache && !reload {
            // Another task may have fetched it while this one waited.
            if let Some(c) = cached(self) {
                return Some(c);
            }
        }
        let what = match kind {
            Kind::Full => "CRL",
            Kind::Delta => "delta CRL",
        };
        // The best CRL found, with how long its source lets it be kept.
        type Found = Option<(CheckedCrl, Option<chrono::Duration>)>;
        let mut best: Found = None;
        let keep = |crl: CheckedCrl, from: Option<chrono::Duration>, best: &mut Found| {
            if best.as_ref().is_none_or(|(b, _)| crl::cmp_numbers(&crl.number, &b.number).is_gt()) {
                *best = Some((crl, from));
            }
        };
        for der in &self.supplied_crls {
            // Supplied CRLs of other issuers or kinds are simply not this one.
            if let Ok(crl) = CheckedCrl::check(der, issuer, kind, cx.at) {
                attempts.push(format!("{what} given: number {}, {} entries", hex::encode(&crl.number), crl.len()));
                keep(crl, None, &mut best);
            }
        }
        if best.is_none() || reload {
            for url in urls {
                let fetch = Fetch::Crl { url };
                match cx.source.fetch(fetch).await {
                    Ok(der) => match CheckedCrl::check(&der, issuer, kind, cx.at) {
                        Ok(crl) => {
                            attempts.push(format!(
                                "{what} {url}: number {}, {} entries",
                                hex::encode(&crl.number),
                                crl.len()
                            ));
                            keep(crl, cx.source.cache_for(fetch), &mut best);
                            break;
                        }
                        Err(e) => attempts.push(format!("{what} {url}: {e}")),
                    },
                    Err(e) => attempts.push(format!("{what}: {e}")),
                }
            }
        }
        let Some((crl, from)) = best else {
            if urls.is_empty() && kind == Kind::Full {
                attempts.push("no CRL distribution point and no CRL given".to_owned());
            }
            return None;
        };
        let crl = Arc::new(crl);
        if cx.cache {
            let until = self.keep_until(from, crl.valid_until());
            lock(&self.crls).insert(key, Cached { value: crl.clone(), until });
        }
        Some(crl)
    }
}

/// A mutex that a panicking holder left is still usable: the maps hold checked answers only.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The issuer's identity in cache keys: a SHA-256 of its subject and key.
fn issuer_key(issuer: &Issuer<'_>) -> [u8; 32] {
    use der::Encode;
    let tbs = &issuer.cert.tbs_certificate;
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(&tbs.subject.to_der().unwrap_or_default());
    ctx.update(tbs.subject_public_key_info.subject_public_key.raw_bytes());
    let mut key = [0u8; 32];
    key.copy_from_slice(ctx.finish().as_ref());
    key
}

/// The URIs of distribution points' full names.
pub(crate) fn urls_of(points: &[DistributionPoint]) -> Vec<String> {
    points
        .iter()
        .filter_map(|p| match &p.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(uris(names)),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The URIs among general names.
pub(crate) fn uris(names: &[GeneralName]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| match n {
            GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
            _ => None,
        })
        .collect()
}

/// The OCSP responders the certificate names (AIA id-ad-ocsp).
fn ocsp_urls(cert: &Certificate) -> Vec<String> {
    cert.tbs_certificate
        .get::<AuthorityInfoAccessSyntax>()
        .ok()
        .flatten()
        .map(|(_, aia)| {
            aia.0
                .into_iter()
                .filter(|a| a.access_method == rfc5280::ID_AD_OCSP)
                .filter_map(|a| match a.access_location {
                    GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn time_of(t: &Time) -> DateTime<Utc> {
    DateTime::from_timestamp(t.to_unix_duration().as_secs() as i64, 0).unwrap_or_default()
}

pub(crate) fn generalized(t: &der::asn1::GeneralizedTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.to_unix_duration().as_secs() as i64, 0).unwrap_or_default()
}
