//! CRLs: per CA, numbered and signed full CRLs on a schedule, and delta CRLs between them.
//!
//! Numbers come from the database (`UPDATE … RETURNING`), so several nodes publishing at once
//! produce distinct, increasing numbers; a CRL is stored before it is served. A full CRL lists
//! every revoked, unexpired certificate; a delta lists those revoked since the full CRL it names
//! in its DeltaCRLIndicator.

use chrono::{DateTime, Timelike, Utc};
use der::asn1::{ContextSpecificRef, OctetString, Uint};
use der::{Encode, Header, Tag, TagMode, TagNumber};
use santepki_storage::audit::AuditEvent;
use santepki_storage::authority::{self as store, CrlRow, RevokedEntry};
use santepki_storage::leases::Lease;
use x509_cert::crl::TbsCertList;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BaseCrlNumber, CrlNumber, FreshestCrl};
use x509_cert::Version;

use crate::issue::RevocationReason;
use crate::{x509, Authority, AuthorityError, LoadedCa};

/// Old CRLs kept per CA and kind (the newest is served; older ones help audits).
const KEEP: i64 = 3;

pub use santepki_domain::values::CrlKind;

/// A CRL ready to serve (shared bytes, cheap to clone).
#[derive(Debug, Clone)]
pub struct ServedCrl {
    /// The CRL number.
    pub number: i64,
    /// nextUpdate, as stored (RFC 3339).
    pub next_update: String,
    /// The DER CRL.
    pub der: bytes::Bytes,
}

/// Per-node copies of the CRLs served, by CA and kind.
pub(crate) type CrlCache = std::sync::Mutex<std::collections::HashMap<(String, &'static str), ServedCrl>>;

/// A published CRL.
#[derive(Debug, Clone)]
pub struct Published {
    /// Short name of the CA that signed it.
    pub ca_id: String,
    /// Full or delta.
    pub kind: CrlKind,
    /// Its CRL number.
    pub number: i64,
    /// Number of revoked certificates listed.
    pub entries: usize,
    /// Size of its DER encoding in bytes.
    pub der_len: usize,
}

/// Builds and signs a CRL from its entries (the pure part, also used by benchmarks).
///
/// The list of revoked certificates is encoded straight into one buffer, entry by entry,
/// rather than built as a `Vec<RevokedCert>` and encoded by `TbsCertList::to_der` (the output is
/// byte for byte the same, see the tests): with a million entries the structures weighed several
/// hundred megabytes, every `SEQUENCE` length was computed again at each level, and the whole
/// list was encoded twice (once for the signature, once inside the `CertificateList`).
pub fn build(
    ca: &LoadedCa,
    settings: &crate::CaSettings,
    number: i64,
    base: Option<i64>,
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
    entries: &[RevokedEntry],
) -> Result<Vec<u8>, AuthorityError> {
    let revoked = encode_revoked(entries)?;
    let mut extensions = vec![
        x509::extension(
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(ca.key_identifier.clone())?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?,
        x509::extension(false, &CrlNumber(Uint::new(&number.to_be_bytes())?))?,
    ];
    match base {
        Some(b) => extensions.push(x509::extension(true, &BaseCrlNumber(Uint::new(&b.to_be_bytes())?))?),
        None => extensions.push(x509::extension(
            false,
            &FreshestCrl(vec![DistributionPoint {
                distribution_point: Some(DistributionPointName::FullName(vec![
                    GeneralName::UniformResourceIdentifier(der::asn1::Ia5String::new(&settings.delta_crl_url(&ca.id))?),
                ])),
                reasons: None,
                crl_issuer: None,
            }]),
        )?),
    }
    // Every field but the list, which `tbs_der` splices in.
    let tbs = TbsCertList {
        version: Version::V2,
        signature: ca.signer.algorithm().signature_algorithm(),
        issuer: ca.subject.clone(),
        this_update: x509::time(this_update)?,
        next_update: Some(x509::time(next_update)?),
        revoked_certificates: None,
        crl_extensions: Some(extensions),
    };
    let tbs_der = tbs_der(&tbs, (!entries.is_empty()).then_some(revoked.as_slice()))?;
    let signature = x509::sign(ca.signer.as_ref(), &tbs_der)?;
    Ok(certificate_list_der(&tbs_der, &tbs.signature, &signature)?)
}

/// The revokedCertificates entries of a CRL, DER-encoded one after the other (the contents of
/// the `SEQUENCE OF`, without its header).
fn encode_revoked(entries: &[RevokedEntry]) -> Result<Vec<u8>, AuthorityError> {
    // RFC 5280 §5.3.1: the reason code is absent rather than `unspecified`. The few possible
    // crlEntryExtensions are encoded once.
    let mut reason_extensions: Vec<(RevocationReason, Vec<u8>)> = Vec::new();
    for &r in RevocationReason::ALL {
        if r != RevocationReason::Unspecified {
            reason_extensions.push((r, vec![x509::extension(false, &crate::issue::crl_reason(r))?].to_der()?));
        }
    }
    // A 16-byte serial, a UTCTime and a reason: under 50 bytes.
    let mut out = Vec::with_capacity(entries.len().saturating_mul(50));
    let mut entry = Vec::with_capacity(128);
    for e in entries {
        let bytes = hex::decode(&e.serial).map_err(|_| AuthorityError::Corrupt(format!("serial {:?}", e.serial)))?;
        let at = santepki_storage::time::parse(&e.revoked_at)
            .ok_or_else(|| AuthorityError::Corrupt(format!("revocation time {:?}", e.revoked_at)))?;
        let reason = e.revocation_reason.as_deref().and_then(reason_of);
        entry.clear();
        x509::serial_number(&bytes)?.encode_to_vec(&mut entry)?;
        crl_time(at)?.encode_to_vec(&mut entry)?;
        if let Some((_, der)) = reason_extensions.iter().find(|(r, _)| Some(*r) == reason) {
            entry.extend_from_slice(der);
        }
        Header::new(Tag::Sequence, entry.len())?.encode_to_vec(&mut out)?;
        out.extend_from_slice(&entry);
    }
    Ok(out)
}

/// The stored reason name of a revocation: the exact name (what `revoke` writes) without
/// allocating, else whatever `RevocationReason::parse_lenient` accepts.
fn reason_of(name: &str) -> Option<RevocationReason> {
    name.parse().ok().or_else(|| RevocationReason::parse_lenient(name).ok())
}

/// `x509::time` without formatting the year as text (a million times per CRL): UTCTime through
/// 2049, GeneralizedTime after.
fn crl_time(t: DateTime<Utc>) -> Result<x509_cert::time::Time, der::Error> {
    use chrono::Datelike;
    use x509_cert::time::Time;
    let secs = u64::try_from(t.timestamp()).map_err(|_| der::Tag::UtcTime.value_error())?;
    let st = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    if t.year() < 2050 {
        Ok(Time::UtcTime(der::asn1::UtcTime::from_system_time(st)?))
    } else {
        Ok(Time::GeneralTime(der::asn1::GeneralizedTime::from_system_time(st)?))
    }
}

/// The DER of `tbs` with `revoked` (encoded entries) as its revokedCertificates: what
/// `TbsCertList::to_der` gives when the entries are in the structure.
fn tbs_der(tbs: &TbsCertList, revoked: Option<&[u8]>) -> Result<Vec<u8>, der::Error> {
    let mut body = Vec::with_capacity(1024 + revoked.map_or(0, <[u8]>::len));
    tbs.version.encode_to_vec(&mut body)?;
    tbs.signature.encode_to_vec(&mut body)?;
    tbs.issuer.encode_to_vec(&mut body)?;
    tbs.this_update.encode_to_vec(&mut body)?;
    if let Some(next) = &tbs.next_update {
        next.encode_to_vec(&mut body)?;
    }
    if let Some(list) = revoked {
        Header::new(Tag::Sequence, list.len())?.encode_to_vec(&mut body)?;
        body.extend_from_slice(list);
    } else if let Some(list) = &tbs.revoked_certificates {
        list.encode_to_vec(&mut body)?;
    }
    if let Some(ext) = &tbs.crl_extensions {
        ContextSpecificRef { tag_number: TagNumber::N0, tag_mode: TagMode::Explicit, value: ext }
            .encode_to_vec(&mut body)?;
    }
    wrap_sequence(&body)
}

/// `CertificateList { tbs, algorithm, signature }.to_der()` from the TBS already encoded.
fn certificate_list_der(
    tbs_der: &[u8],
    algorithm: &spki::AlgorithmIdentifierOwned,
    signature: &der::asn1::BitString,
) -> Result<Vec<u8>, der::Error> {
    let mut body = Vec::with_capacity(tbs_der.len() + 1024);
    body.extend_from_slice(tbs_der);
    algorithm.encode_to_vec(&mut body)?;
    signature.encode_to_vec(&mut body)?;
    wrap_sequence(&body)
}

fn wrap_sequence(body: &[u8]) -> Result<Vec<u8>, der::Error> {
    let header = Header::new(Tag::Sequence, body.len())?;
    let mut out = Vec::with_capacity(body.len() + 8);
    header.encode_to_vec(&mut out)?;
    out.extend_from_slice(body);
    Ok(out)
}

impl Authority {
    /// Publishes a CRL of `kind` for CA `ca_id` now. A delta needs a full CRL to complete; one
    /// is published first when there is none.
    pub async fn publish_crl(&self, ca_id: &str, kind: CrlKind, actor: &str) -> Result<Published, AuthorityError> {
        self.publish_crl_under(ca_id, kind, actor, None).await
    }

    /// [`publish_crl`](Self::publish_crl) as a leased job: the CRL is stored only if `lease`
    /// is still held when it commits (a node that lost its lease mid-job publishes nothing).
    async fn publish_crl_under(
        &self,
        ca_id: &str,
        kind: CrlKind,
        actor: &str,
        lease: Option<&Lease>,
    ) -> Result<Published, AuthorityError> {
        let ca = self.ca(ca_id).ok_or_else(|| AuthorityError::Config(format!("no CA {ca_id:?}")))?.clone();
        self.check_clock().await?;
        let db = self.db();
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let now_text = santepki_storage::time::format(now);
        let (base, since) = match kind {
            CrlKind::Full => (None, None),
            CrlKind::Delta => {
                let full = match store::latest_crl_times(db, &ca.id, CrlKind::Full).await? {
                    Some(f) => f,
                    None => {
                        Box::pin(self.publish_crl_under(ca_id, CrlKind::Full, actor, lease)).await?;
                        store::latest_crl_times(db, &ca.id, CrlKind::Full)
                            .await?
                            .ok_or_else(|| AuthorityError::Corrupt("full CRL vanished".into()))?
                    }
                };
                (Some(full.0), Some(full.1))
            }
        };
        // The number first: for a full CRL it clears the CA's dirty flag, and a revocation
        // committed after that sets it again (and reaches the next delta) even if the entries
        // read below miss it.
        let number = store::next_crl_number(db, &ca.id, kind == CrlKind::Full).await?;
        let entries = match store::revoked_entries(db, &ca.id, &now_text, since.as_deref()).await {
            Ok(e) => e,
            Err(e) => {
                if kind == CrlKind::Full {
                    store::mark_crl_dirty(db, &ca.id).await?;
                }
                return Err(e.into());
            }
        };
        let validity = match kind {
            CrlKind::Full => self.settings().crl_validity,
            CrlKind::Delta => self.settings().delta_crl_validity,
        };
        let next_update = now + validity;
        let settings = self.settings().clone();
        let ca2 = ca.clone();
        let entries_len = entries.len();
        let built =
            tokio::task::spawn_blocking(move || build(&ca2, &settings, number, base, now, next_update, &entries))
                .await
                .map_err(|e| AuthorityError::Corrupt(e.to_string()))?;
        let der = match built {
            Ok(d) => d,
            Err(e) => {
                if kind == CrlKind::Full {
                    store::mark_crl_dirty(db, &ca.id).await?;
                }
                return Err(e);
            }
        };
        let row = CrlRow {
            ca_id: ca.id.clone(),
            number,
            kind,
            base_number: base,
            this_update: now_text,
            next_update: santepki_storage::time::format(next_update),
            entries: entries_len as i64,
            der,
        };
        let event = AuditEvent::new(actor, "crl.published", &format!("ca:{}", ca.id)).after(
            &serde_json::json!({ "kind": kind.as_str(), "number": number, "base": base, "entries": entries_len }),
        );
        if let Err(e) = store::insert_crl(db, &row, KEEP, &event, lease).await {
            // Not published (a lost lease, the database gone): the revocations it held reach
            // the next CRL.
            if kind == CrlKind::Full {
                store::mark_crl_dirty(db, &ca.id).await?;
            }
            return Err(e.into());
        }
        Ok(Published { ca_id: ca.id.clone(), kind, number, entries: entries_len, der_len: row.der.len() })
    }

    /// The scheduled job, safe on every node: a full CRL when none exists, when the last is
    /// older than the period or close to its nextUpdate; a delta CRL after revocations (the
    /// dirty flag) or when the last delta nears its nextUpdate.
    pub async fn publish_due_crls(&self, actor: &str) -> Result<Vec<Published>, AuthorityError> {
        self.publish_due_crls_under(actor, None).await
    }

    /// [`publish_due_crls`](Self::publish_due_crls) under the CA jobs' lease (`serve`): each CRL
    /// is stored only if the lease is still held, with the same fencing number, when it commits.
    pub async fn publish_due_crls_leased(&self, actor: &str, lease: &Lease) -> Result<Vec<Published>, AuthorityError> {
        self.publish_due_crls_under(actor, Some(lease)).await
    }

    async fn publish_due_crls_under(
        &self,
        actor: &str,
        lease: Option<&Lease>,
    ) -> Result<Vec<Published>, AuthorityError> {
        let mut out = Vec::new();
        let now = Utc::now();
        for ca in self.cas().to_vec() {
            let full = store::latest_crl_times(self.db(), &ca.id, CrlKind::Full).await?;
            let full_due = match &full {
                None => true,
                Some((_, this, next)) => {
                    let this = santepki_storage::time::parse(this).unwrap_or(now);
                    let next = santepki_storage::time::parse(next).unwrap_or(now);
                    now - this >= self.settings().crl_period || next - now < self.settings().crl_validity / 4
                }
            };
            if full_due {
                out.push(self.publish_crl_under(&ca.id, CrlKind::Full, actor, lease).await?);
                out.push(self.publish_crl_under(&ca.id, CrlKind::Delta, actor, lease).await?);
                continue;
            }
            let dirty = store::authorities(self.db()).await?.iter().any(|a| a.id == ca.id && a.crl_dirty != 0);
            let delta = store::latest_crl_times(self.db(), &ca.id, CrlKind::Delta).await?;
            let delta_due = dirty
                || match &delta {
                    None => true,
                    Some((_, _, next)) => {
                        santepki_storage::time::parse(next).unwrap_or(now) - now
                            < self.settings().delta_crl_validity / 4
                    }
                };
            if delta_due {
                // Cleared before the entries are read: a revocation meanwhile sets it again.
                store::clear_crl_dirty(self.db(), &ca.id).await?;
                match self.publish_crl_under(&ca.id, CrlKind::Delta, actor, lease).await {
                    Ok(p) => out.push(p),
                    Err(e) => {
                        store::mark_crl_dirty(self.db(), &ca.id).await?;
                        return Err(e);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The newest CRL of a CA as served over HTTP: the bytes are kept per node and re-read only
    /// when a newer CRL number exists (one small query per request instead of the whole CRL,
    /// 46 MB at a million entries). Several nodes stay exact: the number comes from the database.
    pub async fn served_crl(&self, ca_id: &str, kind: CrlKind) -> Result<Option<ServedCrl>, AuthorityError> {
        let Some(ca) = self.ca(ca_id) else { return Ok(None) };
        let Some((number, _, _)) = store::latest_crl_times(self.db(), &ca.id, kind).await? else {
            return Ok(None);
        };
        let key = (ca.id.clone(), kind.as_str());
        if let Some(hit) =
            self.crl_cache().lock().ok().and_then(|m| m.get(&key).filter(|c| c.number == number).cloned())
        {
            return Ok(Some(hit));
        }
        let Some(row) = store::latest_crl(self.db(), &ca.id, kind).await? else { return Ok(None) };
        let served = ServedCrl { number: row.number, next_update: row.next_update, der: bytes::Bytes::from(row.der) };
        if let Ok(mut m) = self.crl_cache().lock() {
            m.insert(key, served.clone());
        }
        Ok(Some(served))
    }

    /// The newest CRL of a CA, DER.
    pub async fn latest_crl(&self, ca_id: &str, kind: CrlKind) -> Result<Option<CrlRow>, AuthorityError> {
        let Some(ca) = self.ca(ca_id) else { return Ok(None) };
        Ok(store::latest_crl(self.db(), &ca.id, kind).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::crl::{CertificateList, RevokedCert};

    /// The entries as `build` made them before it encoded them directly.
    fn reference_entries(entries: &[RevokedEntry]) -> Vec<RevokedCert> {
        entries
            .iter()
            .map(|e| {
                let bytes = hex::decode(&e.serial).unwrap();
                let at = santepki_storage::time::parse(&e.revoked_at).unwrap();
                let reason = e.revocation_reason.as_deref().and_then(|r| RevocationReason::parse_lenient(r).ok());
                let extensions = match reason {
                    Some(r) if r != RevocationReason::Unspecified => {
                        Some(vec![x509::extension(false, &crate::issue::crl_reason(r)).unwrap()])
                    }
                    _ => None,
                };
                RevokedCert {
                    serial_number: x509::serial_number(&bytes).unwrap(),
                    revocation_date: x509::time(at).unwrap(),
                    crl_entry_extensions: extensions,
                }
            })
            .collect()
    }

    fn entry(serial: &str, at: &str, reason: Option<&str>) -> RevokedEntry {
        RevokedEntry { serial: serial.into(), revoked_at: at.into(), revocation_reason: reason.map(str::to_owned) }
    }

    #[test]
    fn the_direct_encoding_is_byte_for_byte_the_structures_encoding() {
        let mut entries = vec![
            entry("0102", "2026-11-23T10:00:00Z", None),
            entry("7f00000000000000000000000000000a", "2049-12-31T23:59:59Z", Some("keyCompromise")),
            entry("ff", "2050-01-01T00:00:00Z", Some("unspecified")),
            entry("00", "2030-06-01T12:30:00+02:00", Some("Key-Compromise")),
            entry("0a1b2c", "2026-01-01T00:00:00Z", Some("certificateHold")),
        ];
        for (i, r) in RevocationReason::ALL.iter().enumerate() {
            entries.push(entry(&format!("{:02x}{:030x}", 0x10 + i, i), "2027-03-04T05:06:07Z", Some(r.as_str())));
        }
        let issuer: x509_cert::name::Name = "CN=TEST AC,O=ASIP-SANTE,C=FR".parse().unwrap();
        let alg = crate::KeyAlgorithm::Rsa4096.signature_algorithm();
        let ext = vec![x509::extension(false, &CrlNumber(Uint::new(&7i64.to_be_bytes()).unwrap())).unwrap()];
        for (list, extensions) in [(entries.as_slice(), Some(ext.clone())), (&entries[..1], None), (&[][..], Some(ext))]
        {
            let mut tbs = TbsCertList {
                version: Version::V2,
                signature: alg.clone(),
                issuer: issuer.clone(),
                this_update: x509::time(santepki_storage::time::parse("2026-11-23T10:00:00Z").unwrap()).unwrap(),
                next_update: Some(x509::time(santepki_storage::time::parse("2026-11-30T10:00:00Z").unwrap()).unwrap()),
                revoked_certificates: None,
                crl_extensions: extensions,
            };
            let revoked = encode_revoked(list).unwrap();
            let direct = tbs_der(&tbs, (!list.is_empty()).then_some(revoked.as_slice())).unwrap();
            let reference_list = reference_entries(list);
            tbs.revoked_certificates = if reference_list.is_empty() { None } else { Some(reference_list) };
            assert_eq!(direct, tbs.to_der().unwrap());
            let signature = der::asn1::BitString::from_bytes(&[1, 2, 3, 4]).unwrap();
            let reference =
                CertificateList { signature_algorithm: alg.clone(), tbs_cert_list: tbs, signature: signature.clone() };
            assert_eq!(certificate_list_der(&direct, &alg, &signature).unwrap(), reference.to_der().unwrap());
        }
    }

    #[test]
    fn bad_entries_are_refused_as_before() {
        assert!(matches!(
            encode_revoked(&[entry("xyz", "2026-11-23T10:00:00Z", None)]),
            Err(AuthorityError::Corrupt(_))
        ));
        assert!(matches!(encode_revoked(&[entry("01", "yesterday", None)]), Err(AuthorityError::Corrupt(_))));
    }
}
