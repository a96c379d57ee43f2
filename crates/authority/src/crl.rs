//! CRLs: per CA, numbered and signed full CRLs on a schedule, and delta CRLs between them.
//!
//! Numbers come from the database (`UPDATE … RETURNING`), so several nodes publishing at once
//! produce distinct, increasing numbers; a CRL is stored before it is served. A full CRL lists
//! every revoked, unexpired certificate; a delta lists those revoked since the full CRL it names
//! in its DeltaCRLIndicator.

use chrono::{DateTime, Timelike, Utc};
use der::asn1::{OctetString, Uint};
use der::Encode;
use santepki_storage::audit::AuditEvent;
use santepki_storage::authority::{self as store, CrlRow, RevokedEntry};
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BaseCrlNumber, CrlNumber, FreshestCrl};
use x509_cert::Version;

use crate::issue::RevocationReason;
use crate::{x509, Authority, AuthorityError, LoadedCa};

/// Old CRLs kept per CA and kind (the newest is served; older ones help audits).
const KEEP: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrlKind {
    Full,
    Delta,
}

impl CrlKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CrlKind::Full => "full",
            CrlKind::Delta => "delta",
        }
    }
}

/// A published CRL.
#[derive(Debug, Clone)]
pub struct Published {
    pub ca_id: String,
    pub kind: CrlKind,
    pub number: i64,
    pub entries: usize,
    pub der_len: usize,
}

/// Builds and signs a CRL from its entries (the pure part, also used by benchmarks).
pub fn build(
    ca: &LoadedCa,
    settings: &crate::CaSettings,
    number: i64,
    base: Option<i64>,
    this_update: DateTime<Utc>,
    next_update: DateTime<Utc>,
    entries: &[RevokedEntry],
) -> Result<Vec<u8>, AuthorityError> {
    let mut revoked = Vec::with_capacity(entries.len());
    for e in entries {
        let bytes = hex::decode(&e.serial).map_err(|_| AuthorityError::Corrupt(format!("serial {:?}", e.serial)))?;
        let at = santepki_storage::time::parse(&e.revoked_at).ok_or_else(|| AuthorityError::Corrupt(format!("revocation time {:?}", e.revoked_at)))?;
        let reason = e.revocation_reason.as_deref().and_then(|r| RevocationReason::parse(r).ok());
        // RFC 5280 §5.3.1: the reason code is absent rather than `unspecified`.
        let extensions = match reason {
            Some(r) if r != RevocationReason::Unspecified => Some(vec![x509::extension(false, &r.crl_reason())?]),
            _ => None,
        };
        revoked.push(RevokedCert { serial_number: x509::serial_number(&bytes)?, revocation_date: x509::time(at)?, crl_entry_extensions: extensions });
    }
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
                distribution_point: Some(DistributionPointName::FullName(vec![GeneralName::UniformResourceIdentifier(
                    der::asn1::Ia5String::new(&settings.delta_crl_url(&ca.id))?,
                )])),
                reasons: None,
                crl_issuer: None,
            }]),
        )?),
    }
    let tbs = TbsCertList {
        version: Version::V2,
        signature: ca.signer.algorithm().signature_algorithm(),
        issuer: ca.subject.clone(),
        this_update: x509::time(this_update)?,
        next_update: Some(x509::time(next_update)?),
        revoked_certificates: if revoked.is_empty() { None } else { Some(revoked) },
        crl_extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der()?;
    let signature = x509::sign(ca.signer.as_ref(), &tbs_der)?;
    Ok(CertificateList { signature_algorithm: tbs.signature.clone(), tbs_cert_list: tbs, signature }.to_der()?)
}

impl Authority {
    /// Publishes a CRL of `kind` for CA `ca_id` now. A delta needs a full CRL to complete; one
    /// is published first when there is none.
    pub async fn publish_crl(&self, ca_id: &str, kind: CrlKind, actor: &str) -> Result<Published, AuthorityError> {
        let ca = self.ca(ca_id).ok_or_else(|| AuthorityError::Config(format!("no CA {ca_id:?}")))?.clone();
        let db = self.db();
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let now_text = santepki_storage::time::format(now);
        let (base, since) = match kind {
            CrlKind::Full => (None, None),
            CrlKind::Delta => {
                let full = match store::latest_crl_times(db, &ca.id, "full").await? {
                    Some(f) => f,
                    None => {
                        Box::pin(self.publish_crl(ca_id, CrlKind::Full, actor)).await?;
                        store::latest_crl_times(db, &ca.id, "full").await?.ok_or_else(|| AuthorityError::Corrupt("full CRL vanished".into()))?
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
        let built = tokio::task::spawn_blocking(move || build(&ca2, &settings, number, base, now, next_update, &entries))
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
            kind: kind.as_str().into(),
            base_number: base,
            this_update: now_text,
            next_update: santepki_storage::time::format(next_update),
            entries: entries_len as i64,
            der,
        };
        let event = AuditEvent::new(actor, "crl.published", &format!("ca:{}", ca.id))
            .after(&serde_json::json!({ "kind": kind.as_str(), "number": number, "base": base, "entries": entries_len }));
        store::insert_crl(db, &row, KEEP, &event).await?;
        Ok(Published { ca_id: ca.id.clone(), kind, number, entries: entries_len, der_len: row.der.len() })
    }

    /// The scheduled job, safe on every node: a full CRL when none exists, when the last is
    /// older than the period or close to its nextUpdate; a delta CRL after revocations (the
    /// dirty flag) or when the last delta nears its nextUpdate.
    pub async fn publish_due_crls(&self, actor: &str) -> Result<Vec<Published>, AuthorityError> {
        let mut out = Vec::new();
        let now = Utc::now();
        for ca in self.cas().to_vec() {
            let full = store::latest_crl_times(self.db(), &ca.id, "full").await?;
            let full_due = match &full {
                None => true,
                Some((_, this, next)) => {
                    let this = santepki_storage::time::parse(this).unwrap_or(now);
                    let next = santepki_storage::time::parse(next).unwrap_or(now);
                    now - this >= self.settings().crl_period || next - now < self.settings().crl_validity / 4
                }
            };
            if full_due {
                out.push(self.publish_crl(&ca.id, CrlKind::Full, actor).await?);
                out.push(self.publish_crl(&ca.id, CrlKind::Delta, actor).await?);
                continue;
            }
            let dirty = store::authorities(self.db()).await?.iter().any(|a| a.id == ca.id && a.crl_dirty != 0);
            let delta = store::latest_crl_times(self.db(), &ca.id, "delta").await?;
            let delta_due = dirty
                || match &delta {
                    None => true,
                    Some((_, _, next)) => {
                        santepki_storage::time::parse(next).unwrap_or(now) - now < self.settings().delta_crl_validity / 4
                    }
                };
            if delta_due {
                // Cleared before the entries are read: a revocation meanwhile sets it again.
                store::clear_crl_dirty(self.db(), &ca.id).await?;
                match self.publish_crl(&ca.id, CrlKind::Delta, actor).await {
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

    /// The newest CRL of a CA, DER.
    pub async fn latest_crl(&self, ca_id: &str, kind: CrlKind) -> Result<Option<CrlRow>, AuthorityError> {
        let Some(ca) = self.ca(ca_id) else { return Ok(None) };
        Ok(store::latest_crl(self.db(), &ca.id, kind.as_str()).await?)
    }
}
