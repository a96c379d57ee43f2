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
//! returned after step 6 commits); [`Authority::resolve_pending`] marks such rows `abandoned`
//! once they are older than any signature could take, so a restart (on any node) settles them.

use chrono::{DateTime, Months, Timelike, Utc};
use der::{Decode, Encode};
use santepki_domain::structure::Departement;
use santepki_domain::values::CertificateStatus;
use santepki_storage::audit::AuditEvent;
use santepki_storage::authority::{self as store, CertificateRow};
use santepki_storage::directory;
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::ext::pkix::CrlReason;

use crate::certificate::{self, EndEntity};
use crate::csr::{self, CsrError};
use crate::keys::{CaSigner, KeyAlgorithm, KeyError, SoftwareKey};
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
            IssueError::WeakPassphrase => "weak_passphrase",
            IssueError::Lint(_) => "lint_failed",
            IssueError::Authority(_) => "internal",
        }
    }

    /// The input at fault, when there is one (`csr`, `structure`…).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            IssueError::Csr(_) | IssueError::KeyInUse(_) => Some("csr"),
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

impl Authority {
    /// Issues a certificate (see the module documentation for the order of steps).
    pub async fn issue(&self, req: IssueRequest) -> Result<Issued, IssueError> {
        // 1. The key.
        let (key, generated) = match &req.key {
            KeySource::Csr(bytes) => (csr::verify_request(bytes)?, None),
            KeySource::Generate { algorithm, passphrase } => {
                if passphrase.chars().count() < 8 {
                    return Err(IssueError::WeakPassphrase);
                }
                let algorithm = *algorithm;
                let key = tokio::task::spawn_blocking(move || SoftwareKey::generate(algorithm))
                    .await
                    .map_err(|e| KeyError::Generate(e.to_string()))??;
                let spki = SubjectPublicKeyInfoOwned::from_der(key.public_key_der())?;
                (csr::check_public_key(&spki)?, Some(key))
            }
        };
        let spki_sha256 = x509::sha256_hex(&key.spki_der);
        let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
        let now_text = santepki_storage::time::format(now);

        // 2. Rule R37.
        if let Some(serial) = store::live_serial_for_key(self.db(), &spki_sha256, &now_text).await? {
            return Err(IssueError::KeyInUse(serial));
        }

        // 3. Subject and names.
        let beneficiary = self.beneficiary(&req, now).await?;
        let content = profiles::content(
            req.profile,
            beneficiary.structure.as_ref(),
            beneficiary.person.as_ref(),
            beneficiary.card.as_ref(),
            &req.names,
        )?;
        let ca = self
            .issuing(req.profile.issuing_role())
            .ok_or_else(|| AuthorityError::Corrupt(format!("no {} CA", req.profile.issuing_role().as_str())))?
            .clone();
        // R34: three years, within the CA's own validity.
        let not_after = now.checked_add_months(Months::new(36)).unwrap_or(now).min(ca.not_after());

        // 4–5. Build, lint, record as pending (a new serial if one is ever taken).
        let issuer = ca.issuer_info();
        let mut attempt = 0;
        let (serial, tbs) = loop {
            attempt += 1;
            let serial_bytes = x509::random_serial();
            let tbs = certificate::end_entity_tbs(
                self.settings(),
                &issuer,
                &EndEntity {
                    profile: req.profile,
                    content: &content,
                    spki: &key.spki,
                    spki_der: &key.spki_der,
                    serial: &serial_bytes,
                    not_before: now,
                    not_after,
                    card: beneficiary.card.as_ref(),
                    profession_code: beneficiary.person.as_ref().and_then(|p| p.profession_code.as_deref()),
                },
            )
            .map_err(AuthorityError::from)?;
            let problems = lint::lint(self.settings(), req.profile, &tbs);
            if !problems.is_empty() {
                tracing::error!(profile = %req.profile, ?problems, "certificate failed the CA lint");
                return Err(IssueError::Lint(problems));
            }
            let serial = hex::encode(serial_bytes);
            let row = CertificateRow {
                serial: serial.clone(),
                ca_id: ca.id.clone(),
                profile: req.profile.name().into(),
                status: CertificateStatus::Pending,
                subject: x509::name_text(&tbs.subject),
                structure_id: beneficiary.structure.as_ref().map(|s| s.idnat_struct.clone()),
                professional_id: beneficiary.person.as_ref().map(|p| p.idnat_ps.clone()),
                spki_sha256: spki_sha256.clone(),
                tbs: tbs.to_der()?,
                der: None,
                not_before: now_text.clone(),
                not_after: santepki_storage::time::format(not_after),
                requested_by: req.requested_by.clone(),
                created_at: santepki_storage::time::format(Utc::now()),
                issued_at: None,
                revoked_at: None,
                revocation_reason: None,
                card_number: beneficiary.card.as_ref().map(|c| c.number.clone()),
            };
            let event = AuditEvent::new(&req.requested_by, "certificate.pending", &format!("certificate:{serial}"))
                .after(&serde_json::json!({
                    "ca": ca.id, "profile": req.profile.name(), "subject": row.subject,
                    "structure": row.structure_id, "professional": row.professional_id,
                    "key": key.description, "generated_key": generated.is_some(),
                }));
            if store::insert_pending(self.db(), &row, &event).await? {
                break (serial, tbs);
            }
            if attempt >= 3 {
                return Err(AuthorityError::Corrupt("three random serials in a row were taken".into()).into());
            }
        };

        // 6. Sign, record as issued, hand out.
        let signer = ca.signer.clone();
        let signed = tokio::task::spawn_blocking(move || certificate::sign_certificate(tbs, signer.as_ref()))
            .await
            .map_err(|e| KeyError::Sign(e.to_string()))?;
        let cert = match signed {
            Ok(c) => c,
            Err(e) => {
                let event = AuditEvent::new(&req.requested_by, "certificate.failed", &format!("certificate:{serial}"))
                    .after(&serde_json::json!({ "error": e.to_string() }));
                store::mark_failed(self.db(), &serial, &event).await?;
                return Err(AuthorityError::from(e).into());
            }
        };
        let der = cert.to_der()?;
        let event = AuditEvent::new(&req.requested_by, "certificate.issued", &format!("certificate:{serial}"))
            .after(&serde_json::json!({ "ca": ca.id, "not_after": santepki_storage::time::format(not_after) }));
        store::mark_issued(self.db(), &serial, &der, &santepki_storage::time::now(), &event).await?;

        let pkcs12 = match (&generated, &req.key) {
            (Some(key), KeySource::Generate { passphrase, .. }) => {
                let chain: Vec<Vec<u8>> = vec![ca.der.clone(), self.root().der.clone()];
                Some(crate::pkcs12::build(&key.to_pkcs8()?, &der, &chain, passphrase, &serial)?)
            }
            _ => None,
        };
        Ok(Issued {
            serial,
            ca_id: ca.id.clone(),
            subject: x509::name_text(&cert.tbs_certificate.subject),
            der,
            not_after: santepki_storage::time::format(not_after),
            pkcs12,
        })
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

    /// Revokes a certificate (final). Returns the revoked row.
    pub async fn revoke(
        &self,
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
        match store::revoke(self.db(), &serial, &now, reason.as_str(), &event).await? {
            None => Err(IssueError::NotFound { field: "serial", value: serial }),
            Some(before) if before.status == CertificateStatus::Issued => {
                self.ocsp_cache().forget(&serial);
                Ok(CertificateRow {
                    status: CertificateStatus::Revoked,
                    revoked_at: Some(now),
                    revocation_reason: Some(reason.as_str().into()),
                    ..before
                })
            }
            Some(before) if before.status == CertificateStatus::Revoked => Err(IssueError::Refused(
                format!("certificate {serial} was already revoked on {}", before.revoked_at.unwrap_or_default()),
                "already_revoked",
            )),
            Some(before) => {
                Err(IssueError::Refused(format!("certificate {serial} is {}, not issued", before.status), "not_issued"))
            }
        }
    }

    /// Settles pending rows older than `grace` (a crash between recording and signing): their
    /// certificate was never handed out, so they become `abandoned` and OCSP answers `unknown`
    /// for them. Safe on any node at any time: rows of issuances still in flight are younger
    /// than the grace period.
    pub async fn resolve_pending(&self, grace: chrono::Duration, actor: &str) -> Result<usize, IssueError> {
        let cutoff = santepki_storage::time::format(Utc::now() - grace);
        let mut n = 0;
        for row in store::pending(self.db()).await? {
            if row.created_at > cutoff {
                continue;
            }
            let event = AuditEvent::new(actor, "certificate.abandoned", &format!("certificate:{}", row.serial))
                .after(&serde_json::json!({ "reason": "the process stopped between recording and signing; nothing was handed out" }));
            if store::abandon_pending(self.db(), &row.serial, &event).await? {
                n += 1;
            }
        }
        Ok(n)
    }
}
