//! The OCSP responder (RFC 6960, RFC 5019 profile).
//!
//! Responses are pre-signed: each certificate's response (SHA-1 CertID, as RFC 5019 clients
//! send) is signed once, stored in the database for every node, and re-signed by
//! [`Authority::refresh_ocsp`] ahead of its nextUpdate or at once on revocation. Serving is then
//! a lookup. Nonces are ignored (RFC 5019 §2.2.1), which is what makes pre-signing possible.
//!
//! Each node keeps a short-lived in-memory copy of what it served (`Cache`, a few seconds), so
//! a burst of requests for one certificate costs one database read; a revocation made on another
//! node reaches this node's answers within that time, and on this node at once.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{DateTime, Timelike, Utc};
use const_oid::db::rfc5912;
use der::asn1::OctetString;
use der::{Decode, Encode};
use santepki_domain::values::{CertificateStatus, OcspStatus};
use santepki_storage::authority::{self as store, OcspRow};
use santepki_storage::leases::{self, Lease};
use x509_cert::ext::pkix::CrlReason;
use x509_ocsp::{
    BasicOcspResponse, CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse, ResponderId, ResponseData,
    RevokedInfo, SingleResponse, Version,
};

use crate::issue::RevocationReason;
use crate::{x509, Authority, AuthorityError, LoadedCa};

/// Requests larger than this are refused: a request for one certificate is about 100 bytes.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// How long a node reuses a response it served without asking the database again.
const CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);
/// Bound on cached responses; the cache is emptied when reached (the database stays the truth).
const CACHE_MAX: usize = 100_000;

/// An answer ready to send.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The DER OCSPResponse.
    pub der: Arc<Vec<u8>>,
    /// For HTTP caching (RFC 5019 §6): the response's thisUpdate and nextUpdate.
    pub this_update: Option<DateTime<Utc>>,
    /// nextUpdate of the response; `None` for error responses.
    pub next_update: Option<DateTime<Utc>>,
}

impl Reply {
    fn error(status: OcspResponse) -> Reply {
        Reply { der: Arc::new(status.to_der().unwrap_or_default()), this_update: None, next_update: None }
    }
}

/// Responses for serials never issued cannot be pre-signed (they name the asked serial), so each
/// costs a signature: at most this many per second per node; beyond, `tryLater` (unsigned), so
/// that a flood of random serials cannot keep the CA key busy.
const UNKNOWN_SIGNATURES_PER_SECOND: u32 = 50;

#[derive(Default)]
pub(crate) struct Cache {
    entries: RwLock<HashMap<String, (Instant, Reply)>>,
    unknown_budget: std::sync::Mutex<Option<(Instant, u32)>>,
    /// Requests answered from the cache, and not (for `/metrics`).
    pub(crate) hits: std::sync::atomic::AtomicU64,
    pub(crate) misses: std::sync::atomic::AtomicU64,
}

impl Cache {
    fn get(&self, key: &str) -> Option<Reply> {
        use std::sync::atomic::Ordering::Relaxed;
        let map = self.entries.read().ok()?;
        let found = map.get(key).filter(|(at, _)| at.elapsed() < CACHE_TTL).map(|(_, r)| r.clone());
        if found.is_some() { &self.hits } else { &self.misses }.fetch_add(1, Relaxed);
        found
    }

    fn put(&self, key: String, reply: Reply) {
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= CACHE_MAX {
                map.clear();
            }
            map.insert(key, (Instant::now(), reply));
        }
    }

    /// Takes one signature from this second's budget for `unknown` answers.
    fn take_unknown_budget(&self) -> bool {
        let Ok(mut b) = self.unknown_budget.lock() else { return false };
        let now = Instant::now();
        match b.as_mut() {
            Some((start, n)) if now.duration_since(*start) < std::time::Duration::from_secs(1) => {
                *n += 1;
                *n <= UNKNOWN_SIGNATURES_PER_SECOND
            }
            _ => {
                *b = Some((now, 1));
                true
            }
        }
    }

    /// Drops every cached response of a serial (after a revocation on this node).
    pub(crate) fn forget(&self, serial: &str) {
        if let Ok(mut map) = self.entries.write() {
            map.retain(|k, _| !k.ends_with(&format!(":{serial}")));
        }
    }
}

/// What the responder states about a certificate.
enum Status {
    Good,
    Revoked { at: DateTime<Utc>, reason: Option<RevocationReason> },
    Unknown,
}

impl Status {
    /// The status a stored response states; unknown answers are not stored.
    fn stored(&self) -> Option<OcspStatus> {
        match self {
            Status::Good => Some(OcspStatus::Good),
            Status::Revoked { .. } => Some(OcspStatus::Revoked),
            Status::Unknown => None,
        }
    }
}

/// The status of a recorded certificate. Rows never handed out (failed, abandoned) are
/// `unknown`; so are pending ones, seconds from being issued and answered again after the cache
/// time.
fn status_of(r: &store::CertificateRow, now: DateTime<Utc>) -> Status {
    match r.status {
        CertificateStatus::Issued => Status::Good,
        CertificateStatus::Revoked => Status::Revoked {
            at: r.revoked_at.as_deref().and_then(santepki_storage::time::parse).unwrap_or(now),
            reason: r.revocation_reason.as_deref().and_then(|s| RevocationReason::parse_lenient(s).ok()),
        },
        _ => Status::Unknown,
    }
}

/// Signs a one-certificate response. The CA signs directly (no delegated responder), and names
/// itself by key hash.
fn sign_response(
    ca: &LoadedCa,
    cert_id: CertId,
    status: &Status,
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
) -> Result<Vec<u8>, AuthorityError> {
    let cert_status = match status {
        Status::Good => CertStatus::good(),
        Status::Unknown => CertStatus::unknown(),
        Status::Revoked { at, reason } => CertStatus::Revoked(RevokedInfo {
            revocation_time: OcspGeneralizedTime(x509::generalized_time(*at)?),
            revocation_reason: reason.map(crate::issue::crl_reason).filter(|r| *r != CrlReason::Unspecified),
        }),
    };
    let data = ResponseData {
        version: Version::V1,
        responder_id: ResponderId::ByKey(OctetString::new(ca.key_identifier.clone())?),
        produced_at: OcspGeneralizedTime(x509::generalized_time(this_update)?),
        responses: vec![SingleResponse {
            cert_id,
            cert_status,
            this_update: OcspGeneralizedTime(x509::generalized_time(this_update)?),
            next_update: Some(OcspGeneralizedTime(x509::generalized_time(next_update)?)),
            single_extensions: None,
        }],
        response_extensions: None,
    };
    let tbs = data.to_der()?;
    let signature = x509::sign(ca.signer.as_ref(), &tbs)?;
    let basic = BasicOcspResponse {
        tbs_response_data: data,
        signature_algorithm: ca.signer.algorithm().signature_algorithm(),
        signature,
        certs: None,
    };
    Ok(OcspResponse::successful(basic)?.to_der()?)
}

fn sha1_cert_id(ca: &LoadedCa, serial_hex: &str) -> Result<CertId, AuthorityError> {
    let bytes = hex::decode(serial_hex).map_err(|_| AuthorityError::Corrupt(format!("serial {serial_hex:?}")))?;
    Ok(CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: rfc5912::ID_SHA_1,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: OctetString::new(ca.name_sha1.clone())?,
        issuer_key_hash: OctetString::new(ca.key_identifier.clone())?,
        serial_number: x509::serial_number(&bytes)?,
    })
}

impl Authority {
    /// Answers one DER OCSP request. Never fails: errors become OCSP error statuses
    /// (malformedRequest, unauthorized for issuers this CA does not run, internalError).
    pub async fn ocsp(&self, request: &[u8]) -> Reply {
        if request.len() > MAX_REQUEST_BYTES {
            return Reply::error(OcspResponse::malformed_request());
        }
        let Ok(req) = OcspRequest::from_der(request) else {
            return Reply::error(OcspResponse::malformed_request());
        };
        // RFC 5019: one certificate per request.
        let [single] = req.tbs_request.request_list.as_slice() else {
            return Reply::error(OcspResponse::malformed_request());
        };
        let id = &single.req_cert;
        let sha1 = id.hash_algorithm.oid == rfc5912::ID_SHA_1;
        let sha256 = id.hash_algorithm.oid == rfc5912::ID_SHA_256;
        let Some(ca) = self.cas().iter().find(|ca| {
            (sha1
                && id.issuer_name_hash.as_bytes() == ca.name_sha1
                && id.issuer_key_hash.as_bytes() == ca.key_identifier)
                || (sha256
                    && id.issuer_name_hash.as_bytes() == ca.name_sha256
                    && id.issuer_key_hash.as_bytes() == ca.key_sha256)
        }) else {
            return Reply::error(OcspResponse::unauthorized());
        };
        let serial = x509::serial_hex(&id.serial_number);
        let key = format!("{}:{}:{serial}", if sha1 { "1" } else { "256" }, ca.id);
        if let Some(r) = self.ocsp_cache().get(&key) {
            return r;
        }
        match self.ocsp_lookup(ca, id.clone(), &serial, sha1).await {
            Ok(reply) => {
                self.ocsp_cache().put(key, reply.clone());
                reply
            }
            // A node whose clock is off signs nothing: the client asks again (another node).
            Err(AuthorityError::Clock(e)) => {
                tracing::warn!(error = %e, serial, "OCSP response not signed");
                Reply::error(OcspResponse::try_later())
            }
            Err(e) => {
                tracing::error!(error = %e, serial, "OCSP response failed");
                Reply::error(OcspResponse::internal_error())
            }
        }
    }

    async fn ocsp_lookup(
        &self,
        ca: &Arc<LoadedCa>,
        cert_id: CertId,
        serial: &str,
        sha1: bool,
    ) -> Result<Reply, AuthorityError> {
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        // The standbys when `database.read_url` is set: a revocation shows here within the
        // replication delay (none on a synchronous standby with remote_apply; docs/operations.md).
        let reads = self.db().for_reads();
        let row = store::certificate(&reads, serial).await?.filter(|r| r.ca_id == ca.id);
        let status = row.as_ref().map_or(Status::Unknown, |r| status_of(r, now));
        if sha1 && !matches!(status, Status::Unknown) {
            if let Some(stored) = store::ocsp_response(&reads, serial).await? {
                let next = santepki_storage::time::parse(&stored.next_update);
                let fresh = next.is_some_and(|n| n - now > self.settings().ocsp_refresh_before / 2);
                if Some(stored.status) == status.stored() && fresh {
                    return Ok(Reply {
                        der: Arc::new(stored.der),
                        this_update: santepki_storage::time::parse(&stored.this_update),
                        next_update: next,
                    });
                }
            }
        }
        if matches!(status, Status::Unknown) && !self.ocsp_cache().take_unknown_budget() {
            return Ok(Reply::error(OcspResponse::try_later()));
        }
        let next_update = match status {
            // An unknown serial may be issued a moment later: answer for a short time only.
            Status::Unknown => now + chrono::Duration::minutes(5),
            _ => now + self.settings().ocsp_validity,
        };
        let der = self.sign_ocsp(ca, cert_id, &status, now, next_update).await?;
        if let Some(stored) = status.stored().filter(|_| sha1) {
            let row = OcspRow {
                serial: serial.into(),
                status: stored,
                this_update: santepki_storage::time::format(now),
                next_update: santepki_storage::time::format(next_update),
                der: der.clone(),
            };
            store::store_ocsp_response(self.db().pool(), &row).await?;
        }
        Ok(Reply { der: Arc::new(der), this_update: Some(now), next_update: Some(next_update) })
    }

    async fn sign_ocsp(
        &self,
        ca: &Arc<LoadedCa>,
        cert_id: CertId,
        status: &Status,
        this: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<Vec<u8>, AuthorityError> {
        self.check_clock().await?;
        let ca = ca.clone();
        let status = match status {
            Status::Good => Status::Good,
            Status::Unknown => Status::Unknown,
            Status::Revoked { at, reason } => Status::Revoked { at: *at, reason: *reason },
        };
        tokio::task::spawn_blocking(move || sign_response(&ca, cert_id, &status, this, next))
            .await
            .map_err(|e| AuthorityError::Corrupt(e.to_string()))?
    }

    /// The pre-signing job, safe on every node: signs responses that are missing or end within
    /// `ocsp_refresh_before`, at most `limit` per call. Returns how many it signed.
    pub async fn refresh_ocsp(&self, limit: i64) -> Result<usize, AuthorityError> {
        self.refresh_ocsp_under(limit, None).await
    }

    /// [`refresh_ocsp`](Self::refresh_ocsp) under the CA jobs' lease (`serve`): each response is
    /// stored only while the lease is held with the same fencing number.
    pub async fn refresh_ocsp_leased(&self, limit: i64, lease: &Lease) -> Result<usize, AuthorityError> {
        self.refresh_ocsp_under(limit, Some(lease)).await
    }

    async fn refresh_ocsp_under(&self, limit: i64, lease: Option<&Lease>) -> Result<usize, AuthorityError> {
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let due = store::ocsp_due(
            self.db(),
            &santepki_storage::time::format(now),
            &santepki_storage::time::format(now + self.settings().ocsp_refresh_before),
            limit,
        )
        .await?;
        let mut n = 0;
        for serial in due {
            let Some(row) = store::certificate(self.db(), &serial).await? else { continue };
            let Some(ca) = self.ca(&row.ca_id).cloned() else { continue };
            let cert_id = sha1_cert_id(&ca, &serial)?;
            // Drop any stale stored response so the lookup signs a new one.
            self.ocsp_lookup_fresh(&ca, cert_id, &serial, lease).await?;
            n += 1;
        }
        Ok(n)
    }

    async fn ocsp_lookup_fresh(
        &self,
        ca: &Arc<LoadedCa>,
        cert_id: CertId,
        serial: &str,
        lease: Option<&Lease>,
    ) -> Result<(), AuthorityError> {
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let Some(r) = store::certificate(self.db(), serial).await? else { return Ok(()) };
        let status = status_of(&r, now);
        let Some(stored) = status.stored() else { return Ok(()) };
        let next_update = now + self.settings().ocsp_validity;
        let der = self.sign_ocsp(ca, cert_id, &status, now, next_update).await?;
        let row = OcspRow {
            serial: serial.into(),
            status: stored,
            this_update: santepki_storage::time::format(now),
            next_update: santepki_storage::time::format(next_update),
            der,
        };
        match lease {
            None => {
                store::store_ocsp_response(self.db().pool(), &row).await?;
            }
            Some(lease) => {
                let mut tx = self.db().begin_write().await?;
                leases::check(&mut *tx, self.db().backend(), lease).await?;
                store::store_ocsp_response(&mut *tx, &row).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }
}
