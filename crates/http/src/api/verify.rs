//! `POST /api/v1/verify`: the question and the verdict (santepki-verify's [`Verdict`], as the
//! API's wire format).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use santepki_verify::verdict::{self, Verdict};

/// A certificate to check for a use.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The certificate: PEM (`-----BEGIN CERTIFICATE-----`), or base64 DER.
    pub certificate: String,
    /// Intermediate CA certificates sent with it (PEM or base64 DER each).
    #[serde(default)]
    pub chain: Vec<String>,
    /// The use: `dmp-auth`, `dmp-sign`, `insi`, `mssante`, `dp` or `tls-server`. Without it, the
    /// path and revocation only.
    #[serde(default, rename = "use")]
    #[schema(example = "dmp-auth")]
    pub usage: Option<String>,
    /// The structure that claims to act (the VIHF token's idNat_Struct): coherent when it
    /// belongs to the certificate's legal entity (R40).
    #[serde(default)]
    #[schema(example = "1330900036")]
    pub structure: Option<String>,
    /// `coherence` (same legal entity, default) or `strict` (equality).
    #[serde(default)]
    pub coherence: Option<CoherenceModeApi>,
    /// `hard-fail`, `soft-fail` or `off`; default: soft-fail for `tls-server`, hard-fail otherwise.
    #[serde(default)]
    pub revocation: Option<RevocationPolicyApi>,
}

/// How structures are compared.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CoherenceModeApi {
    /// Same legal entity (R40).
    Coherence,
    /// The same idNat_Struct.
    Strict,
}

/// What to do without a revocation status.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationPolicyApi {
    /// Refuse.
    HardFail,
    /// Accept with a warning.
    SoftFail,
    /// Do not check.
    Off,
}

/// One reason for refusal.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusalApi {
    /// Machine-readable reason (`revoked`, `extended_key_usage`, `service_name`,
    /// `structure_incoherent`…).
    #[schema(example = "structure_incoherent")]
    pub code: String,
    /// The rule (RULES.md) or RFC section enforced.
    #[schema(example = "R40")]
    pub rule: String,
    /// What was found.
    pub message: String,
}

/// The status of one certificate of the path.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevocationCheckApi {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Serial number, hexadecimal.
    pub serial: String,
    /// `good`, `revoked`, `unknown` or `not_checked`.
    pub status: String,
    /// `ocsp`, `crl` or `delta-crl`.
    pub source: Option<String>,
    /// Revocation time (RFC 3339).
    pub revoked_at: Option<String>,
    /// Revocation reason (RFC 5280 name).
    pub reason: Option<String>,
    /// What was tried.
    pub attempts: Vec<String>,
}

/// The structure comparison (R40).
#[derive(Debug, Serialize, ToSchema)]
pub struct CoherenceApi {
    /// `coherence` or `strict`.
    pub mode: String,
    /// The structure given.
    pub structure: String,
    /// The certificate's idNat_Struct.
    pub certificate_structure: Option<String>,
    /// Legal entity of the structure given.
    pub structure_legal_entity: Option<String>,
    /// Legal entity of the certificate's structure.
    pub certificate_legal_entity: Option<String>,
    /// The verdict.
    pub coherent: bool,
}

/// The verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyResponse {
    /// Whether the certificate is acceptable for the use (no refusal).
    pub accepted: bool,
    /// The use checked.
    #[serde(rename = "use")]
    pub usage: Option<String>,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hexadecimal.
    pub serial: String,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// The validated path, end entity first, anchor last.
    pub path: Vec<String>,
    /// The end entity's status (or the worst along the path): `good`, `revoked`, `unknown`,
    /// `not_checked`.
    pub revocation: String,
    /// Per certificate of the path below the anchor.
    pub revocation_checks: Vec<RevocationCheckApi>,
    /// The structure comparison, when a structure was given.
    pub coherence: Option<CoherenceApi>,
    /// Every reason for refusal.
    pub refusals: Vec<RefusalApi>,
    /// Findings that did not refuse.
    pub warnings: Vec<String>,
}

/// The serde name of a value (the enums of the verdict serialise as their wire names).
fn wire<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl From<Verdict> for VerifyResponse {
    fn from(v: Verdict) -> Self {
        VerifyResponse {
            accepted: v.accepted,
            usage: v.usage.map(str::to_owned),
            subject: v.subject,
            issuer: v.issuer,
            serial: v.serial,
            not_before: v.not_before,
            not_after: v.not_after,
            path: v.path,
            revocation: wire(&v.revocation.status),
            revocation_checks: v
                .revocation
                .checks
                .into_iter()
                .map(|c: verdict::RevocationCheck| RevocationCheckApi {
                    subject: c.subject,
                    serial: c.serial,
                    status: wire(&c.status),
                    source: c.source.map(|s| wire(&s)),
                    revoked_at: c.revoked_at,
                    reason: c.reason,
                    attempts: c.attempts,
                })
                .collect(),
            coherence: v.coherence.map(|c| CoherenceApi {
                mode: c.mode.to_owned(),
                structure: c.structure,
                certificate_structure: c.certificate_structure,
                structure_legal_entity: c.structure_legal_entity,
                certificate_legal_entity: c.certificate_legal_entity,
                coherent: c.coherent,
            }),
            refusals: v
                .refusals
                .into_iter()
                .map(|r| RefusalApi { code: wire(&r.code), rule: r.rule.to_owned(), message: r.message })
                .collect(),
            warnings: v.warnings,
        }
    }
}
