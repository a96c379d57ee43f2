//! santepki's relying-party verifier: is a certificate acceptable for a use of the French health
//! services?
//!
//! One core, three front ends (`santepki verify`, `POST /api/v1/verify`, this library), after
//! kanidm. A verification runs, in order:
//! 1. [`path`]: rustls-webpki builds and checks the path to the trust anchors (signatures,
//!    validity, basic constraints and path length, the use's extended key usage, critical
//!    extensions);
//! 2. [`policy`]: the required certificate policy along the path (webpki does none);
//! 3. [`revocation`]: OCSP first, then the full CRL and its delta, for every certificate below
//!    the anchor, under the use's hard-fail or soft-fail policy;
//! 4. [`usage`]: the use's key usage, product (R36, R42), service applicatif (R29) and holder;
//! 5. [`coherence`]: the VIHF token's structure against the certificate's (R40).
//!
//! Every refusal names its rule or RFC section ([`verdict::Code::rule`]).

pub mod coherence;
mod names;
mod path;
mod policy;
pub mod revocation;
mod signature;
pub mod usage;
pub mod verdict;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::Decode;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, TrustAnchor};
use x509_cert::Certificate;

pub use coherence::{CoherenceMode, StoredDirectory, StructureDirectory};
pub use revocation::{Fetch, HttpSource, Offline, RevocationPolicy, RevocationSource};
pub use usage::Use;
pub use verdict::{Code, Refusal, RevocationStatus, Verdict};

use verdict::{Revocation, RevocationCheck};

/// The IGC-Santé test policy OID seen in real test certificates (REFERENCE.md).
pub const TEST_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.250.1.213.1.7.2.1.1.1.1");

/// Errors setting a verifier up (a verification itself never fails: it refuses).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A trust anchor is not a usable certificate.
    #[error("trust anchor {index}: {message}")]
    Anchor {
        /// Its position among the anchors given.
        index: usize,
        /// What is wrong.
        message: String,
    },
    /// No trust anchor was given.
    #[error("no trust anchor: give at least one root certificate")]
    NoAnchor,
}

/// What a verifier trusts and where it finds revocation data.
pub struct Config {
    /// Trust anchors (DER root certificates).
    pub anchors: Vec<Vec<u8>>,
    /// Intermediate CA certificates offered to path building (DER).
    pub intermediates: Vec<Vec<u8>>,
    /// The certificate policy every certificate below the anchor must assert (or anyPolicy);
    /// `None` checks no policy.
    pub policy: Option<ObjectIdentifier>,
    /// CRLs (DER) to use before fetching any: full and delta.
    pub crls: Vec<Vec<u8>>,
    /// OCSP responses (DER) to use before asking any responder.
    pub ocsp_responses: Vec<Vec<u8>>,
    /// Checked answers are reused until their nextUpdate, never longer than this.
    pub cache_max_age: chrono::Duration,
    /// Where to fetch revocation data from.
    pub source: Arc<dyn RevocationSource>,
    /// The directory for structure coherence (R40).
    pub directory: Option<Arc<dyn StructureDirectory>>,
}

impl Config {
    /// A configuration trusting `anchors`, fetching over HTTP with `timeout`, requiring the
    /// IGC-Santé test policy, caching answers up to an hour, without a directory.
    pub fn new(anchors: Vec<Vec<u8>>, source: Arc<dyn RevocationSource>) -> Self {
        Config {
            anchors,
            intermediates: Vec::new(),
            policy: Some(TEST_POLICY),
            crls: Vec::new(),
            ocsp_responses: Vec::new(),
            cache_max_age: chrono::Duration::hours(1),
            source,
            directory: None,
        }
    }
}

/// One verification's question.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The certificate (DER).
    pub certificate: Vec<u8>,
    /// Intermediates sent with it (DER), added to the configured ones.
    pub chain: Vec<Vec<u8>>,
    /// The use to check for; `None` checks the path and revocation only.
    pub usage: Option<Use>,
    /// The structure that claims to act (the VIHF token's idNat_Struct).
    pub structure: Option<String>,
    /// How structures are compared.
    pub coherence: CoherenceMode,
    /// What to do without a revocation status; `None` takes the use's default.
    pub revocation: Option<RevocationPolicy>,
    /// When to validate at; `None` is now.
    pub at: Option<DateTime<Utc>>,
}

/// The verifier: trust anchors, intermediates, a revocation cache. Share it (`Arc`) so that
/// verifications reuse the cache.
pub struct Verifier {
    anchors: Vec<TrustAnchor<'static>>,
    anchor_certs: Vec<(Vec<u8>, Certificate)>,
    intermediates: Vec<CertificateDer<'static>>,
    policy: Option<ObjectIdentifier>,
    store: revocation::Store,
    source: Arc<dyn RevocationSource>,
    directory: Option<Arc<dyn StructureDirectory>>,
}

impl Verifier {
    /// A verifier for `config`.
    pub fn new(config: Config) -> Result<Self, SetupError> {
        if config.anchors.is_empty() {
            return Err(SetupError::NoAnchor);
        }
        let mut anchors = Vec::new();
        let mut anchor_certs = Vec::new();
        for (index, der) in config.anchors.into_iter().enumerate() {
            let err = |message: String| SetupError::Anchor { index, message };
            let cert = Certificate::from_der(&der).map_err(|e| err(e.to_string()))?;
            let anchor = webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                .map_err(|e| err(format!("{e:?}")))?
                .to_owned();
            anchors.push(anchor);
            anchor_certs.push((der, cert));
        }
        Ok(Verifier {
            anchors,
            anchor_certs,
            intermediates: config.intermediates.into_iter().map(CertificateDer::from).collect(),
            policy: config.policy,
            store: revocation::Store::new(config.crls, config.ocsp_responses, config.cache_max_age),
            source: config.source,
            directory: config.directory,
        })
    }

    /// Answers `request`.
    pub async fn verify(&self, request: &Request) -> Verdict {
        let at = request.at.unwrap_or_else(Utc::now);
        let mut refusals = Vec::new();
        let mut warnings = Vec::new();
        let Ok(cert) = Certificate::from_der(&request.certificate) else {
            refusals.push(Refusal::new(Code::Malformed, "not a DER X.509 certificate"));
            return Verdict {
                accepted: false,
                usage: request.usage.map(Use::name),
                subject: String::new(),
                issuer: String::new(),
                serial: String::new(),
                not_before: String::new(),
                not_after: String::new(),
                path: Vec::new(),
                revocation: Revocation { status: RevocationStatus::NotChecked, checks: Vec::new() },
                coherence: None,
                refusals,
                warnings,
            };
        };
        let tbs = &cert.tbs_certificate;
        // The configured intermediates as they are, unless the request brings its own.
        let intermediates: std::borrow::Cow<'_, [CertificateDer<'static>]> = if request.chain.is_empty() {
            std::borrow::Cow::Borrowed(&self.intermediates)
        } else {
            let mut all = self.intermediates.clone();
            all.extend(request.chain.iter().cloned().map(CertificateDer::from));
            std::borrow::Cow::Owned(all)
        };

        // 1-2. The path and its policy.
        let mut path: Vec<(Vec<u8>, Certificate)> = Vec::new();
        match path::validate(&request.certificate, &self.anchors, &intermediates, request.usage, at) {
            Ok((used, anchor)) => {
                path.push((request.certificate.clone(), cert.clone()));
                for der in used {
                    match Certificate::from_der(&der) {
                        Ok(c) => path.push((der, c)),
                        Err(e) => refusals.push(Refusal::new(Code::Malformed, format!("intermediate: {e}"))),
                    }
                }
                path.push(self.anchor_certs[anchor].clone());
                if let Some(required) = self.policy {
                    let below_anchor = path[..path.len() - 1].iter().map(|(_, c)| c);
                    refusals.extend(policy::check(below_anchor, required));
                }
            }
            Err(r) => refusals.push(r),
        }

        // 3. Revocation, for every certificate below the anchor.
        let policy = request
            .revocation
            .unwrap_or_else(|| request.usage.map_or(RevocationPolicy::HardFail, Use::default_revocation));
        let revocation = if path.is_empty() || policy == RevocationPolicy::Off {
            if policy == RevocationPolicy::Off {
                warnings.push("revocation not checked (revocation policy off)".to_owned());
            }
            Revocation { status: RevocationStatus::NotChecked, checks: Vec::new() }
        } else {
            let cx = revocation::Context { source: self.source.as_ref(), at, cache: request.at.is_none() };
            self.revocation(&path, &cx, policy, &mut refusals, &mut warnings).await
        };

        // 4. The use's own rules.
        let content = usage::Content::read(&cert);
        if let Some(u) = request.usage {
            usage::check_key_usage(u, &content, &mut refusals);
            usage::check_product(u, &content, &mut refusals);
            if u == Use::Dp {
                self.check_holder(&content, &mut refusals).await;
            }
        }

        // 5. The structure that claims to act (R40).
        let coherence = match &request.structure {
            Some(structure) => Some(
                coherence::check(
                    self.directory.as_deref(),
                    request.coherence,
                    structure.trim(),
                    content.ou.as_deref(),
                    &mut refusals,
                )
                .await,
            ),
            None => None,
        };

        Verdict {
            accepted: refusals.is_empty(),
            usage: request.usage.map(Use::name),
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            serial: hex::encode(tbs.serial_number.as_bytes()),
            not_before: revocation::time_of(&tbs.validity.not_before).to_rfc3339(),
            not_after: revocation::time_of(&tbs.validity.not_after).to_rfc3339(),
            path: path.iter().map(|(_, c)| c.tbs_certificate.subject.to_string()).collect(),
            revocation,
            coherence,
            refusals,
            warnings,
        }
    }

    /// A natural person's certificate names a professional the directory knows (R43).
    async fn check_holder(&self, content: &usage::Content, refusals: &mut Vec<Refusal>) {
        let (Some(directory), Some(cn)) = (&self.directory, content.cn.as_deref()) else { return };
        if !usage::is_idnat_ps(cn) {
            return;
        }
        match directory.knows_professional(cn).await {
            Ok(true) => {}
            Ok(false) => refusals.push(Refusal::new(Code::Holder, format!("the directory knows no professional {cn}"))),
            Err(e) => refusals.push(Refusal::new(Code::Holder, format!("directory lookup of {cn}: {e}"))),
        }
    }

    async fn revocation(
        &self,
        path: &[(Vec<u8>, Certificate)],
        cx: &revocation::Context<'_>,
        policy: RevocationPolicy,
        refusals: &mut Vec<Refusal>,
        warnings: &mut Vec<String>,
    ) -> Revocation {
        let mut checks: Vec<RevocationCheck> = Vec::new();
        for pair in path.windows(2) {
            let [(_, cert), (issuer_der, issuer)] = pair else { continue };
            let issuer = revocation::Issuer { der: issuer_der, cert: issuer };
            checks.push(self.store.check(cert, &issuer, cx).await);
        }
        let status = if checks.iter().any(|c| c.status == RevocationStatus::Revoked) {
            RevocationStatus::Revoked
        } else if checks.iter().any(|c| c.status == RevocationStatus::Unknown) {
            RevocationStatus::Unknown
        } else {
            RevocationStatus::Good
        };
        for c in &checks {
            match c.status {
                RevocationStatus::Revoked => refusals.push(Refusal::new(
                    Code::Revoked,
                    format!(
                        "{} (serial {}) is revoked{}{}",
                        c.subject,
                        c.serial,
                        c.revoked_at.as_deref().map(|t| format!(" since {t}")).unwrap_or_default(),
                        c.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default(),
                    ),
                )),
                RevocationStatus::Unknown => {
                    let message = format!("no revocation status for {}: {}", c.subject, c.attempts.join("; "));
                    match policy {
                        RevocationPolicy::HardFail => refusals.push(Refusal::new(Code::RevocationUnknown, message)),
                        _ => warnings.push(format!("soft-fail: {message}")),
                    }
                }
                _ => {}
            }
        }
        Revocation { status, checks }
    }
}

/// Reads one or more certificates from PEM (any number of `CERTIFICATE` blocks) or one DER.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let certs: Vec<Vec<u8>> = if bytes.starts_with(&[0x30]) {
        vec![bytes.to_vec()]
    } else {
        CertificateDer::pem_slice_iter(bytes)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("PEM: {e}"))?
    };
    if certs.is_empty() {
        return Err("no certificate found (expected PEM CERTIFICATE blocks or DER)".into());
    }
    for (i, der) in certs.iter().enumerate() {
        Certificate::from_der(der).map_err(|e| format!("certificate {}: not an X.509 certificate: {e}", i + 1))?;
    }
    Ok(certs)
}

/// Reads an OCSP response (DER, or base64 of it), checking that it is one.
pub fn read_ocsp_response(bytes: &[u8]) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let der = if bytes.starts_with(&[0x30]) {
        bytes.to_vec()
    } else {
        let text: String = String::from_utf8_lossy(bytes).chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| "neither a DER OCSP response nor base64 of one".to_owned())?
    };
    x509_ocsp::OcspResponse::from_der(&der).map_err(|e| format!("not an OCSP response: {e}"))?;
    Ok(der)
}

/// Reads a CRL from PEM (`X509 CRL`) or DER, checking that it is one.
pub fn read_crl(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let der = if bytes.starts_with(&[0x30]) {
        bytes.to_vec()
    } else {
        rustls_pki_types::CertificateRevocationListDer::from_pem_slice(bytes)
            .map(|c| c.to_vec())
            .map_err(|e| format!("PEM CRL: {e}"))?
    };
    x509_cert::crl::CertificateList::from_der(&der).map_err(|e| format!("not a CRL: {e}"))?;
    Ok(der)
}
