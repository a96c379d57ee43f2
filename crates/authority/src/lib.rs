//! santepki's certificate authority: the IGC-Santé hierarchy, faithful profiles, safe issuance,
//! revocation, CRLs and OCSP.
//!
//! Layout, after Let's Encrypt's Boulder: [`csr`] checks requests, [`profiles`] turns directory
//! data into certificate content, [`certificate`] builds, [`lint`] checks every certificate
//! before the CA key signs it, [`issue`] records it as pending before the signature and as issued
//! after, [`crl`] and [`ocsp`] publish status. [`keys`] hides where CA keys live (PKCS#11 HSM or
//! encrypted files). Nothing here keeps state between calls that two nodes could disagree on:
//! serials, CRL numbers and statuses live in the shared database.

pub mod cards;
pub mod certificate;
pub mod chain;
pub mod clock;
pub mod crl;
pub mod csr;
pub mod hierarchy;
mod holders;
pub mod issue;
pub mod keys;
pub mod lint;
pub mod ocsp;
pub mod pkcs12;
pub mod process;
pub mod profiles;
pub mod published;
pub mod settings;
#[cfg(feature = "testing")]
pub mod testing;
pub mod x509;

use std::sync::Arc;

use santepki_storage::{Db, StorageError};

pub use hierarchy::LoadedCa;
pub use issue::{
    parse_reason, IssueError, IssueRequest, Issued, KeySource, Pending, Prepared, RevocationReason, Signed,
};
pub use keys::{CaSigner, KeyAlgorithm, KeyCustody, KeyError};
pub use profiles::{IssuingRole, Profile, RequestedNames};
pub use settings::{CaSettings, Environment};

/// Errors of the CA outside a single request's validation.
#[derive(Debug, thiserror::Error)]
pub enum AuthorityError {
    /// The database holds no CA yet.
    #[error("the CA hierarchy is not initialised: run `santepki ca init`")]
    NotInitialised,
    /// `ca init` found a hierarchy already in the database.
    #[error("the CA hierarchy already exists")]
    AlreadyInitialised,
    /// A CA or setting the call or the configuration names does not exist or is unusable.
    #[error("CA configuration: {0}")]
    Config(String),
    /// Stored CA data is inconsistent: an undecodable CA certificate or serial, a CA missing from the hierarchy…
    #[error("stored CA data is inconsistent: {0}")]
    Corrupt(String),
    /// A CA key could not be generated, opened or used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// This node's clock is too far from the database's to sign CRLs or OCSP responses.
    #[error("clock: {0}")]
    Clock(String),
    /// DER encoding or decoding failed.
    #[error("encoding: {0}")]
    Der(#[from] der::Error),
    /// A CA certificate or CRL could not be built or signed.
    #[error(transparent)]
    Build(#[from] certificate::IssueBuildError),
}

/// The CA as a service: its settings, its loaded CAs and the database. Cheap to clone.
#[derive(Clone)]
pub struct Authority {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    settings: CaSettings,
    cas: Vec<Arc<LoadedCa>>,
    ocsp_cache: ocsp::Cache,
    clock_check: clock::ClockCheck,
    crl_cache: crl::CrlCache,
    process: process::Process,
    pending_grace_seconds: std::sync::atomic::AtomicU32,
}

/// How long a pending row of another process waits before it is settled, unless set
/// (`ca.pending_grace_seconds`'s default).
const DEFAULT_PENDING_GRACE_SECONDS: u32 = 300;

impl Authority {
    /// Loads the hierarchy created by [`Authority::init`].
    pub async fn load(db: Db, settings: CaSettings, custody: &dyn KeyCustody) -> Result<Authority, AuthorityError> {
        let cas = hierarchy::load(&db, custody).await?.ok_or(AuthorityError::NotInitialised)?;
        // The CA's own published URLs, not this configuration's (published.rs).
        let settings = published::apply_stored(&db, settings, "system").await?;
        Ok(Self::from_parts(db, settings, cas))
    }

    /// Creates the hierarchy if the database has none; returns it and whether it was created.
    pub async fn init(
        db: Db,
        settings: CaSettings,
        custody: &dyn KeyCustody,
        actor: &str,
    ) -> Result<(Authority, bool), AuthorityError> {
        // Stored with a new CA; an existing one keeps its own (published.rs).
        let settings = published::apply_stored(&db, settings, actor).await?;
        if let Some(cas) = hierarchy::load(&db, custody).await? {
            return Ok((Self::from_parts(db, settings, cas), false));
        }
        let cas = hierarchy::create(&db, &settings, custody, actor).await?;
        Ok((Self::from_parts(db, settings, cas), true))
    }

    fn from_parts(db: Db, settings: CaSettings, cas: Vec<Arc<LoadedCa>>) -> Authority {
        Authority {
            inner: Arc::new(Inner {
                db,
                settings,
                cas,
                ocsp_cache: ocsp::Cache::default(),
                clock_check: clock::ClockCheck::default(),
                crl_cache: Default::default(),
                process: process::Process::new(),
                pending_grace_seconds: std::sync::atomic::AtomicU32::new(DEFAULT_PENDING_GRACE_SECONDS),
            }),
        }
    }

    /// The database the CA records serials, statuses and CRLs in.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The installation's CA settings.
    pub fn settings(&self) -> &CaSettings {
        &self.inner.settings
    }

    /// Every CA, root first.
    pub fn cas(&self) -> &[Arc<LoadedCa>] {
        &self.inner.cas
    }

    /// The CA with this short name (`ACR-EL`, `ACI-EL-ORG`…), in any case.
    pub fn ca(&self, id: &str) -> Option<&Arc<LoadedCa>> {
        self.inner.cas.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// The root CA.
    pub fn root(&self) -> &Arc<LoadedCa> {
        self.inner.cas.iter().find(|c| c.parent_id.is_none()).unwrap_or(&self.inner.cas[0])
    }

    /// The issuing CA that signs certificates of this role, if the hierarchy has one.
    pub fn issuing(&self, role: IssuingRole) -> Option<&Arc<LoadedCa>> {
        self.inner.cas.iter().find(|c| c.role == role.as_str())
    }

    /// Every CA certificate in PEM, root first: the bundle relying parties trust.
    pub fn bundle_pem(&self) -> String {
        self.inner.cas.iter().map(|c| c.pem()).collect()
    }

    /// OCSP requests this node answered from its cache, and not: (hits, misses).
    pub fn ocsp_cache_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.inner.ocsp_cache;
        (c.hits.load(Relaxed), c.misses.load(Relaxed))
    }

    /// Signs a probe with every CA key: whether the keys are usable (an HSM reachable, its
    /// session open). The error names the CA whose key failed.
    pub fn probe_keys(&self) -> Result<(), String> {
        for ca in self.cas() {
            ca.signer.sign(b"santepki readiness probe").map_err(|e| format!("the key of CA {}: {e}", ca.id))?;
        }
        Ok(())
    }

    pub(crate) fn clock_check(&self) -> &clock::ClockCheck {
        &self.inner.clock_check
    }

    pub(crate) fn ocsp_cache(&self) -> &ocsp::Cache {
        &self.inner.ocsp_cache
    }

    pub(crate) fn crl_cache(&self) -> &crl::CrlCache {
        &self.inner.crl_cache
    }

    pub(crate) fn process(&self) -> &process::Process {
        &self.inner.process
    }

    pub(crate) fn inner_pending_grace(&self) -> &std::sync::atomic::AtomicU32 {
        &self.inner.pending_grace_seconds
    }
}
