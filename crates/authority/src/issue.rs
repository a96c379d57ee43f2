//! Issuance and revocation.
//!
//! Issuance order (each step can fail without leaving anything half-done):
//! 1. check the key (CSR proof of possession and key policy, or generate one, rule R31);
//! 2. refuse a key already in a live certificate (rule R37);
//! 3. build subject and names from the directory, never from the CSR;
//! 4. build the certificate and lint it against its profile;
//! 5. record it as `pending`, with its to-be-signed bytes, before the CA key signs;
//! 6. sign, then record it as `issued` with the signed bytes, and only then hand it out.
//!
//! A crash between 5 and 6 leaves a pending row whose certificate nobody received (it is only
//! returned after step 6 commits); [`Authority::resolve_pending`] marks such rows `abandoned`:
//! at once when they are provably never to be signed ([`crate::process`]), otherwise once older
//! than any signature could take, so a restart (on any node) settles them.
//!
//! Steps 5 and 6 each write in a transaction the caller may share ([`Authority::record_pending`],
//! [`Authority::record_issued`]): the ordering platform records its product with the pending row
//! and settles it with the issued one, so that a product and its certificate are one unit.

use chrono::{DateTime, Months, Timelike, Utc};
use der::{Decode, Encode};
use santepki_domain::structure::Departement;
use santepki_domain::values::CertificateStatus;
use santepki_storage::audit::AuditEvent;
use santepki_storage::authority::{self as store, CertificateRow};
use santepki_storage::directory;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::CrlReason;

use std::sync::Arc;

use santepki_storage::WriteTx;
use x509_cert::TbsCertificate;

use crate::certificate::{self, EndEntity};
use crate::csr::{self, CsrError};
use crate::hierarchy::LoadedCa;
use crate::keys::{CaSigner, KeyAlgorithm, KeyError, SoftwareKey};
use crate::process::InFlight;
use crate::profiles::{self, CardSubject, PersonSubject, Profile, ProfileError, RequestedNames, StructureSubject};
use crate::{lint, x509, Authority, AuthorityError};

/// Where the certificate's key comes from.
pub enum KeySource {
    /// A PKCS#10 request, PEM or DER.
    Csr(Vec<u8>),
    /// The "online CSR" path (R31): the CA generates the key and delivers it once, in a
    /// PKCS#12 under the requester's passphrase. The key is never stored.
    Generate {
        /// The key type and size to generate.
        algorithm: KeyAlgorithm,
        /// Protects the PKCS#12; never stored.
        passphrase: String,
    },
}

/// A request to issue one certificate: profile, beneficiary, names, key and requester.
pub struct IssueRequest {
    /// The certificate profile (offer and usage, or card authentication).
    pub profile: Profile,
    /// idNat_Struct of the beneficiary structure (ORG, SERV, PRO).
    pub structure: Option<String>,
    /// idNat_PS of the natural person (PRO).
    pub professional: Option<String>,
    /// Card number (card certificates).
    pub card: Option<String>,
    /// Subject names asked for: the service applicatif CN (R29), mail, DNS, UPN.
    pub names: RequestedNames,
    /// Where the key comes from: a CSR or server-side generation (R31).
    pub key: KeySource,
    /// Who asks (an administrator's idNat_PS, `cli:<user>`…), for the audit log.
    pub requested_by: String,
}

/// A certificate as handed out.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Serial number, hex.
    pub serial: String,
    /// Identifier of the issuing CA.
    pub ca_id: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The subject DN, as text.
    pub subject: String,
    /// End of validity, as stored (3 years for products, R34, never past the CA's own).
    pub not_after: String,
    /// The PKCS#12 (key, certificate and chain) of a generated key.
    pub pkcs12: Option<Vec<u8>>,
}

impl Issued {
    /// The certificate in PEM.
    pub fn pem(&self) -> String {
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &self.der).unwrap_or_default()
    }
}

/// Why a request was refused or failed. `code()` is machine-readable, `field()` names the input
/// at fault when there is one.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error(transparent)]
    /// The CSR is unreadable, badly signed or its key is refused.
    Csr(#[from] CsrError),
    #[error(transparent)]
    /// The request does not fit the profile.
    Profile(#[from] ProfileError),
    #[error("{field} {value:?} is not in the directory")]
    /// A structure, professional, card or certificate named by the request is unknown.
    NotFound {
        /// The input naming it (`structure`, `ps`, `card`, `serial`).
        field: &'static str,
        /// The identifier looked for.
        value: String,
    },
    #[error("{field} {value:?} is closed in the directory")]
    /// A structure, professional or card named by the request is closed in the directory.
    Closed {
        /// The input naming it (`structure`, `ps`, `card`, `serial`).
        field: &'static str,
        /// The closed identifier.
        value: String,
    },
    #[error("{0}")]
    /// Refused by a rule; the message, then the machine-readable code.
    Refused(String, &'static str),
    #[error("this public key is already in the live certificate {0}: one key per certificate and software instance (rule R37)")]
    /// The key already serves a live certificate (R37).
    KeyInUse(String),
    #[error("an earlier request with this public key (certificate {serial}) is being settled: retry in {retry_after} s (rule R37)")]
    /// The key is in a pending row that another process may still sign: its owner stopped, or is
    /// signing. Settled within `retry_after` seconds (issue 15, point 11).
    EarlierAttemptPending {
        /// The pending certificate's serial.
        serial: String,
        /// Seconds until it is settled at the latest.
        retry_after: u64,
    },
    #[error("the PKCS#12 passphrase must have at least 8 characters")]
    /// A PKCS#12 passphrase shorter than 8 characters.
    WeakPassphrase,
    #[error("the certificate failed the CA's profile checks: {}", .0.join("; "))]
    /// The built certificate failed the CA's profile checks; every finding.
    Lint(Vec<String>),
    #[error(transparent)]
    /// The CA itself failed (storage, signing).
    Authority(#[from] AuthorityError),
}

impl IssueError {
    /// Machine-readable reason (`key_in_use`, `not_found`, `lint_failed`…).
    pub fn code(&self) -> &'static str {
        match self {
            IssueError::Csr(e) => e.code(),
            IssueError::Profile(e) => e.code(),
            IssueError::NotFound { .. } => "not_found",
            IssueError::Closed { .. } => "closed",
            IssueError::Refused(_, code) => code,
            IssueError::KeyInUse(_) => "key_in_use",
            IssueError::EarlierAttemptPending { .. } => "earlier_attempt_pending",
            IssueError::WeakPassphrase => "weak_passphrase",
            IssueError::Lint(_) => "lint_failed",
            IssueError::Authority(_) => "internal",
        }
    }

    /// The input at fault, when there is one (`csr`, `structure`…).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            IssueError::Csr(_) | IssueError::KeyInUse(_) | IssueError::EarlierAttemptPending { .. } => Some("csr"),
            IssueError::Profile(e) => Some(e.field()),
            IssueError::NotFound { field, .. } | IssueError::Closed { field, .. } => Some(field),
            IssueError::Refused(..) => None,
            IssueError::WeakPassphrase => Some("passphrase"),
            _ => None,
        }
    }

    /// Whether the requester can fix it (a 4xx), as opposed to a failure of the CA (a 5xx).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, IssueError::Authority(_) | IssueError::Lint(_))
    }
}

impl From<KeyError> for IssueError {
    fn from(e: KeyError) -> Self {
        IssueError::Authority(AuthorityError::Key(e))
    }
}

impl From<santepki_storage::StorageError> for IssueError {
    fn from(e: santepki_storage::StorageError) -> Self {
        IssueError::Authority(AuthorityError::Storage(e))
    }
}

impl From<der::Error> for IssueError {
    fn from(e: der::Error) -> Self {
        IssueError::Authority(AuthorityError::Der(e))
    }
}

pub use santepki_domain::values::RevocationReason;

/// A revocation reason as people type it (case and punctuation ignored), with the message the
/// CLI and the API show for an unknown one.
pub fn parse_reason(s: &str) -> Result<RevocationReason, String> {
    RevocationReason::parse_lenient(s).map_err(|_| {
        format!(
            "unknown revocation reason {s:?}: expected one of {} (revocation is final: no certificateHold)",
            RevocationReason::TEXTS.join(", ")
        )
    })
}

/// The CRL entry reason code of a revocation reason (RFC 5280 §5.3.1).
pub fn crl_reason(r: RevocationReason) -> CrlReason {
    match r {
        RevocationReason::Unspecified => CrlReason::Unspecified,
        RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
        RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
        RevocationReason::Superseded => CrlReason::Superseded,
        RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        RevocationReason::PrivilegeWithdrawn => CrlReason::PrivilegeWithdrawn,
    }
}

/// Resolved directory data of a request.
struct Beneficiary {
    structure: Option<StructureSubject>,
    person: Option<PersonSubject>,
    card: Option<CardSubject>,
}

/// A request checked, with its subject and names resolved and its key accepted (steps 1 and 3):
/// nothing is recorded yet. [`Authority::record_pending`] writes it down.
pub struct Prepared {
    profile: Profile,
    requested_by: String,
    ca: Arc<LoadedCa>,
    content: profiles::Content,
    key: csr::AcceptedKey,
    spki_sha256: String,
    beneficiary: Beneficiary,
    now: DateTime<Utc>,
    not_after: DateTime<Utc>,
    generated: Option<(SoftwareKey, String)>,
}

/// A certificate recorded as pending (step 5), its to-be-signed bytes written down, in flight in
/// this process until signed or dropped.
pub struct Pending {
    serial: String,
    tbs: TbsCertificate,
    ca: Arc<LoadedCa>,
    requested_by: String,
    not_after: DateTime<Utc>,
    generated: Option<(SoftwareKey, String)>,
    in_flight: InFlight,
}

impl Pending {
    /// The serial the certificate will have.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// Its end of validity, as stored.
    pub fn not_after(&self) -> String {
        santepki_storage::time::format(self.not_after)
    }
}

/// A certificate signed but not yet recorded as issued (step 6): it is handed out only after
/// [`Authority::record_issued`] commits.
pub struct Signed {
    issued: Issued,
    requested_by: String,
    _in_flight: InFlight,
}

impl Signed {
    /// What will be handed out once recorded.
    pub fn issued(&self) -> &Issued {
        &self.issued
    }

    /// Hands the certificate out: call only after the transaction of
    /// [`Authority::record_issued`] committed.
    pub fn into_issued(self) -> Issued {
        self.issued
    }
}

impl Authority {
    /// Issues a certificate (see the module documentation for the order of steps), each record in
    /// its own transaction. An order of the ordering platform uses the steps one by one instead, to
    /// record its product in the same transactions.
    pub async fn issue(&self, req: IssueRequest) -> Result<Issued, IssueError> {
        let prepared = self.prepare(req).await?;
        let mut tx = self.db().begin_write().await?;
        let pending = self.record_pending(&mut tx, prepared).await?;
        tx.commit().await?;
        let signed = self.sign(pending).await?;
        let mut tx = self.db().begin_write().await?;
        self.record_issued(&mut tx, &signed).await?;
        tx.commit().await?;
        Ok(signed.into_issued())
    }

    /// Steps 1 and 3: accepts the key (a CSR, or a key generated here), resolves subject and
    /// names from the directory and computes the validity. Writes nothing.
    pub async fn prepare(&self, req: IssueRequest) -> Result<Prepared, IssueError> {
        // 1. The key.
        let (key, generated) = match req.key {
            KeySource::Csr(bytes) => (csr::verify_request(&bytes)?, None),
            KeySource::Generate { algorithm, passphrase } => {
                if passphrase.chars().count() < 8 {
                    return Err(IssueError::WeakPassphrase);
                }
                let key = tokio::task::spawn_blocking(move || SoftwareKey::generate(algorithm))
                    .await
                    .map_err(|e| KeyError::Generate(e.to_string()))??;
                let spki = SubjectPublicKeyInfoOwned::from_der(key.public_key_der())?;
                (csr::check_public_key(&spki)?, Some((key, passphrase)))
            }
        };
        let spki_sha256 = x509::sha256_hex(&key.spki_der);
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);

        // 3. Subject and names.
        let probe = IssueRequest { key: KeySource::Csr(Vec::new()), ..req };
        let beneficiary = self.beneficiary(&probe, now).await?;
        let content = profiles::content(
            probe.profile,
            beneficiary.structure.as_ref(),
            beneficiary.person.as_ref(),
            beneficiary.card.as_ref(),
            &probe.names,
        )?;
        let ca = self
            .issuing(probe.profile.issuing_role())
            .ok_or_else(|| AuthorityError::Corrupt(format!("no {} CA", probe.profile.issuing_role().as_str())))?
            .clone();
        // R34: three years, within the CA's own validity.
        let not_after = now.checked_add_months(Months::new(36)).unwrap_or(now).min(ca.not_after());
        Ok(Prepared {
            profile: probe.profile,
            requested_by: probe.requested_by,
            ca,
            content,
            key,
            spki_sha256,
            beneficiary,
            now,
            not_after,
            generated,
        })
    }

    /// Steps 2, 4 and 5, in the caller's transaction: refuses a key already in a live certificate
    /// (R37), builds and lints the certificate, and records it as pending under a fresh serial
    /// (owned by this process). The caller commits, with whatever waits on the certificate.
    pub async fn record_pending(&self, tx: &mut WriteTx, p: Prepared) -> Result<Pending, IssueError> {
        let now_text = santepki_storage::time::format(p.now);
        // 2. Rule R37. A pending row of the same key that can never be signed is settled here, so
        // that a retry after a crash does not wait for the grace period (issue 15, point 11).
        while let Some(row) = store::live_certificate_for_key(tx, &p.spki_sha256, &now_text).await? {
            if row.status != CertificateStatus::Pending {
                return Err(IssueError::KeyInUse(row.serial));
            }
            let age = chrono::DateTime::parse_from_rfc3339(&row.created_at)
                .map(|t| (Utc::now() - t.with_timezone(&Utc)).num_seconds())
                .unwrap_or(i64::MAX);
            let grace = i64::from(self.pending_grace_seconds());
            if !self.process().provably_unsigned(&row) && age < grace {
                return Err(IssueError::EarlierAttemptPending {
                    serial: row.serial,
                    retry_after: u64::try_from(grace - age).unwrap_or(1).max(1),
                });
            }
            let event = abandoned_event(&p.requested_by, &row.serial);
            store::abandon_pending(tx, &row.serial, &santepki_storage::time::now(), &event).await?;
        }

        // 4–5. Build, lint, record as pending (a new serial if one is ever taken).
        let issuer = p.ca.issuer_info();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let serial_bytes = x509::random_serial();
            let tbs = certificate::end_entity_tbs(
                self.settings(),
                &issuer,
                &EndEntity {
                    profile: p.profile,
                    content: &p.content,
                    spki: &p.key.spki,
                    spki_der: &p.key.spki_der,
                    serial: &serial_bytes,
                    not_before: p.now,
                    not_after: p.not_after,
                    card: p.beneficiary.card.as_ref(),
                    profession_code: p.beneficiary.person.as_ref().and_then(|x| x.profession_code.as_deref()),
                },
            )
            .map_err(AuthorityError::from)?;
            let problems = lint::lint(self.settings(), p.profile, &tbs);
            if !problems.is_empty() {
                tracing::error!(profile = %p.profile, ?problems, "certificate failed the CA lint");
                return Err(IssueError::Lint(problems));
            }
            let serial = hex::encode(serial_bytes);
            let row = CertificateRow {
                serial: serial.clone(),
                ca_id: p.ca.id.clone(),
                profile: p.profile.name().into(),
                status: CertificateStatus::Pending,
                subject: x509::name_text(&tbs.subject),
                structure_id: p.beneficiary.structure.as_ref().map(|s| s.idnat_struct.clone()),
                professional_id: p.beneficiary.person.as_ref().map(|x| x.idnat_ps.clone()),
                spki_sha256: p.spki_sha256.clone(),
                tbs: tbs.to_der()?,
                der: None,
                not_before: now_text.clone(),
                not_after: santepki_storage::time::format(p.not_after),
                requested_by: p.requested_by.clone(),
                created_at: santepki_storage::time::format(Utc::now()),
                issued_at: None,
                revoked_at: None,
                revocation_reason: None,
                card_number: p.beneficiary.card.as_ref().map(|c| c.number.clone()),
                owner_node: self.process().node().map(str::to_owned),
                owner_boot: Some(self.process().boot().to_owned()),
            };
            let event = AuditEvent::new(&p.requested_by, "certificate.pending", &format!("certificate:{serial}"))
                .after(&serde_json::json!({
                    "ca": p.ca.id, "profile": p.profile.name(), "subject": row.subject,
                    "structure": row.structure_id, "professional": row.professional_id,
                    "key": p.key.description, "generated_key": p.generated.is_some(),
                }));
            if store::insert_pending(tx, &row, &event).await? {
                let in_flight = self.process().begin(&serial);
                return Ok(Pending {
                    serial,
                    tbs,
                    ca: p.ca,
                    requested_by: p.requested_by,
                    not_after: p.not_after,
                    generated: p.generated,
                    in_flight,
                });
            }
            if attempt >= 3 {
                return Err(AuthorityError::Corrupt("three random serials in a row were taken".into()).into());
            }
        }
    }

    /// Step 6, first half: the CA key signs (and a generated key is packed in its PKCS#12). The
    /// pending row must be committed first. A failed signature settles the row (and the order
    /// waiting on it) as `failed`.
    pub async fn sign(&self, p: Pending) -> Result<Signed, IssueError> {
        let signer = p.ca.signer.clone();
        let tbs = p.tbs;
        let signed = tokio::task::spawn_blocking(move || certificate::sign_certificate(tbs, signer.as_ref()))
            .await
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        let cert = match signed {
            Ok(c) => c,
            Err(e) => {
                let event =
                    AuditEvent::new(&p.requested_by, "certificate.failed", &format!("certificate:{}", p.serial))
                        .after(&serde_json::json!({ "error": e.to_string() }));
                let mut tx = self.db().begin_write().await?;
                store::mark_failed(&mut tx, &p.serial, &santepki_storage::time::now(), &event).await?;
                tx.commit().await?;
                return Err(AuthorityError::from(e).into());
            }
        };
        let der = cert.to_der()?;
        let pkcs12 = match &p.generated {
            Some((key, passphrase)) => {
                let chain: Vec<Vec<u8>> = vec![p.ca.der.clone(), self.root().der.clone()];
                Some(crate::pkcs12::build(&key.to_pkcs8()?, &der, &chain, passphrase, &p.serial)?)
            }
            None => None,
        };
        Ok(Signed {
            issued: Issued {
                serial: p.serial,
                ca_id: p.ca.id.clone(),
                subject: x509::name_text(&cert.tbs_certificate.subject),
                der,
                not_after: santepki_storage::time::format(p.not_after),
                pkcs12,
            },
            requested_by: p.requested_by,
            _in_flight: p.in_flight,
        })
    }

    /// Step 6, second half, in the caller's transaction: records the signed certificate as
    /// issued. Fails if its row is no longer pending (settled meanwhile): then nothing is handed out.
    pub async fn record_issued(&self, tx: &mut WriteTx, s: &Signed) -> Result<(), IssueError> {
        let i = &s.issued;
        let event = AuditEvent::new(&s.requested_by, "certificate.issued", &format!("certificate:{}", i.serial))
            .after(&serde_json::json!({ "ca": i.ca_id, "not_after": i.not_after }));
        store::mark_issued(tx, &i.serial, &i.der, &santepki_storage::time::now(), &event).await?;
        Ok(())
    }

    /// Names the node this process serves as (host and listen address, which no other live
    /// process can hold): pending rows an earlier process of the same node left are then
    /// provably unsigned and settled at once. Once per process.
    pub fn claim_node(&self, node: String) -> bool {
        self.process().claim_node(node)
    }

    /// Sets how long a pending row of another process waits before it is settled (the longest a
    /// signature may take; `ca.pending_grace_seconds`).
    pub fn set_pending_grace_seconds(&self, seconds: u32) {
        self.inner_pending_grace().store(seconds, std::sync::atomic::Ordering::Relaxed);
    }

    fn pending_grace_seconds(&self) -> u32 {
        self.inner_pending_grace().load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn beneficiary(&self, req: &IssueRequest, now: DateTime<Utc>) -> Result<Beneficiary, IssueError> {
        let db = self.db();
        let structure = match &req.structure {
            None => None,
            Some(id) => {
                let id = id.trim();
                let row = directory::structure(db, id)
                    .await?
                    .ok_or_else(|| IssueError::NotFound { field: "structure", value: id.into() })?;
                if row.closed_at.is_some() {
                    return Err(IssueError::Closed { field: "structure", value: id.into() });
                }
                Some(StructureSubject {
                    idnat_struct: row.idnat_struct,
                    name: row.name,
                    departement: row.departement_code.as_deref().and_then(Departement::by_code),
                })
            }
        };
        let mut card = None;
        let mut ps_id = req.professional.as_deref().map(str::trim).map(str::to_owned);
        if let Some(number) = &req.card {
            let number = number.trim();
            let row = directory::card(db, number)
                .await?
                .ok_or_else(|| IssueError::NotFound { field: "card", value: number.into() })?;
            let today = now.date_naive().to_string();
            if row.closed_at.is_some() || row.opposed_on.is_some() || row.valid_until < today || row.valid_from > today
            {
                return Err(IssueError::Closed { field: "card", value: number.into() });
            }
            if ps_id.as_deref().is_some_and(|p| p != row.idnat_ps) {
                return Err(IssueError::Refused(
                    format!("card {number} belongs to {}, not {}", row.idnat_ps, ps_id.unwrap_or_default()),
                    "card_holder_mismatch",
                ));
            }
            let card_type = row.card_type;
            ps_id = Some(row.idnat_ps.clone());
            card = Some(CardSubject { number: row.card_number, card_type });
        }
        let person = match ps_id {
            None => None,
            Some(id) => {
                let row = directory::professional(db, &id)
                    .await?
                    .ok_or_else(|| IssueError::NotFound { field: "ps", value: id.clone() })?;
                if row.closed_at.is_some() {
                    return Err(IssueError::Closed { field: "ps", value: id });
                }
                // A PRO certificate is for a person practising at the structure it names.
                if let Some(s) = &structure {
                    if req.profile.is_personal() {
                        let situations = directory::situations_of(db, &id, false).await?;
                        let today = now.date_naive().to_string();
                        if !situations.iter().any(|sit| sit.idnat_struct.as_deref() == Some(s.idnat_struct.as_str()))
                            && !crate::holders::holds_structure_card_for(db, &id, &s.idnat_struct, &today).await?
                        {
                            return Err(IssueError::Refused(
                                format!("{id} has no practice at {} in the directory", s.idnat_struct),
                                "ps_not_in_structure",
                            ));
                        }
                    }
                }
                Some(PersonSubject {
                    idnat_ps: row.idnat_ps,
                    last_name: row.last_name,
                    first_name: row.first_name,
                    profession_code: row.profession_code,
                    profession_label: row.profession_label,
                })
            }
        };
        Ok(Beneficiary { structure, person, card })
    }

    /// Revokes a certificate (final), in its own transaction. Returns the revoked row.
    pub async fn revoke(
        &self,
        serial: &str,
        reason: RevocationReason,
        actor: &str,
    ) -> Result<CertificateRow, IssueError> {
        let mut tx = self.db().begin_write().await?;
        let row = self.revoke_in(&mut tx, serial, reason, actor).await?;
        tx.commit().await?;
        self.forget_status(&row.serial);
        Ok(row)
    }

    /// Revokes a certificate (final) in the caller's transaction, with whatever else the
    /// revocation changes (the product it ends). After the commit, call
    /// [`forget_status`](Authority::forget_status) with the serial.
    pub async fn revoke_in(
        &self,
        tx: &mut WriteTx,
        serial: &str,
        reason: RevocationReason,
        actor: &str,
    ) -> Result<CertificateRow, IssueError> {
        let serial = x509::parse_serial_hex(serial).ok_or_else(|| {
            IssueError::Profile(ProfileError::Invalid {
                field: "serial",
                reason: format!("{serial:?} is not a hexadecimal serial"),
            })
        })?;
        let now = santepki_storage::time::now();
        let event = AuditEvent::new(actor, "certificate.revoked", &format!("certificate:{serial}"))
            .after(&serde_json::json!({ "reason": reason.as_str(), "at": now }));
        match store::revoke(tx, &serial, &now, reason.as_str(), &event).await? {
            None => Err(IssueError::NotFound { field: "serial", value: serial }),
            Some(before) if before.status == CertificateStatus::Issued => Ok(CertificateRow {
                status: CertificateStatus::Revoked,
                revoked_at: Some(now),
                revocation_reason: Some(reason.as_str().into()),
                ..before
            }),
            Some(before) if before.status == CertificateStatus::Revoked => Err(IssueError::Refused(
                format!("certificate {serial} was already revoked on {}", before.revoked_at.unwrap_or_default()),
                "already_revoked",
            )),
            Some(before) => {
                Err(IssueError::Refused(format!("certificate {serial} is {}, not issued", before.status), "not_issued"))
            }
        }
    }

    /// Drops what this process cached about a certificate's status (its OCSP response), after a
    /// revocation committed.
    pub fn forget_status(&self, serial: &str) {
        self.ocsp_cache().forget(serial);
    }

    /// Settles pending rows (a crash between recording and signing, or before the signed
    /// certificate was recorded): rows provably never to be signed (see [`crate::process`]) at
    /// once, other rows once older than `grace`. Their certificate was never handed out, so they
    /// become `abandoned` (OCSP answers `unknown`), with the order waiting on them. Safe on any
    /// node at any time: rows of issuances in flight are this process's, or younger than the grace.
    pub async fn resolve_pending(&self, grace: chrono::Duration, actor: &str) -> Result<usize, IssueError> {
        let cutoff = santepki_storage::time::format(Utc::now() - grace);
        let mut n = 0;
        for row in store::pending(self.db()).await? {
            if row.created_at > cutoff && !self.process().provably_unsigned(&row) {
                continue;
            }
            let mut tx = self.db().begin_write().await?;
            let settled = store::abandon_pending(
                &mut tx,
                &row.serial,
                &santepki_storage::time::now(),
                &abandoned_event(actor, &row.serial),
            )
            .await?;
            tx.commit().await?;
            n += usize::from(settled.is_some());
        }
        Ok(n)
    }
}

fn abandoned_event(actor: &str, serial: &str) -> AuditEvent {
    AuditEvent::new(actor, "certificate.abandoned", &format!("certificate:{serial}")).after(
        &serde_json::json!({ "reason": "the process stopped between recording and signing; nothing was handed out" }),
    )
}
