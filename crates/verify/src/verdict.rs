//! What a verification answers: accepted or not, and every reason, each naming the rule or the
//! RFC section it enforces.

use serde::Serialize;

/// Why a certificate is not acceptable. Each code is stable (API clients match on it) and names
/// its rule in [`Code::rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The input is not a certificate (or a chain file holds something else).
    Malformed,
    /// No path from the certificate to a configured trust anchor.
    UnknownIssuer,
    /// A signature on the path does not verify with its issuer's key.
    BadSignature,
    /// A certificate on the path is expired.
    Expired,
    /// A certificate on the path is not valid yet.
    NotYetValid,
    /// A CA's pathLenConstraint is exceeded.
    PathLength,
    /// A CA certificate is used as an end entity, or the reverse.
    BasicConstraints,
    /// A certificate on the path carries a critical extension this verifier does not process.
    UnknownCriticalExtension,
    /// The extended key usage does not allow this use.
    ExtendedKeyUsage,
    /// The key usage does not allow this use.
    KeyUsage,
    /// The required certificate policy is not asserted along the path.
    Policy,
    /// Another path validation failure (the message gives webpki's reason).
    Path,
    /// The certificate (or a CA on its path) is revoked.
    Revoked,
    /// No revocation status could be had and the use requires one (hard-fail).
    RevocationUnknown,
    /// The certificate is not the product this use requires (offer, usage, product category).
    Product,
    /// The service applicatif (CN) is not the one this use requires.
    ServiceName,
    /// A natural person's certificate does not name an idNat_PS.
    Holder,
    /// The structure of the VIHF token and the certificate's do not belong to one legal entity.
    StructureIncoherent,
    /// The structure given or the certificate's is unknown to the directory.
    StructureUnknown,
    /// The certificate names no structure to compare with.
    StructureMissing,
}

impl Code {
    /// The rule (RULES.md) or RFC section a refusal with this code enforces.
    pub fn rule(self) -> &'static str {
        match self {
            Code::Malformed => "RFC 5280 §4.1",
            Code::UnknownIssuer => "RFC 5280 §6.1",
            Code::BadSignature => "RFC 5280 §6.1.3 (a)(1)",
            Code::Expired | Code::NotYetValid => "RFC 5280 §6.1.3 (a)(2)",
            Code::PathLength => "RFC 5280 §6.1.4 (l)-(m)",
            Code::BasicConstraints => "RFC 5280 §4.2.1.9",
            Code::UnknownCriticalExtension => "RFC 5280 §6.1.4 (o)",
            Code::ExtendedKeyUsage => "RFC 5280 §4.2.1.12",
            Code::KeyUsage => "RFC 5280 §4.2.1.3",
            Code::Policy => "RFC 5280 §6.1.5 (g)",
            Code::Path => "RFC 5280 §6.1",
            Code::Revoked => "RFC 5280 §6.3, RFC 6960",
            Code::RevocationUnknown => "RFC 5280 §6.3",
            Code::Product => "R36",
            Code::ServiceName => "R29",
            Code::Holder => "R43",
            Code::StructureIncoherent | Code::StructureUnknown | Code::StructureMissing => "R40",
        }
    }

    /// Whether the code belongs to RFC 5280 path validation and revocation (what independent
    /// validators judge too), rather than to the uses' own rules.
    pub fn is_pkix(self) -> bool {
        !matches!(
            self,
            Code::Product
                | Code::ServiceName
                | Code::Holder
                | Code::StructureIncoherent
                | Code::StructureUnknown
                | Code::StructureMissing
        )
    }
}

/// One reason a certificate is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Machine-readable reason.
    pub code: Code,
    /// The rule or RFC section enforced.
    pub rule: &'static str,
    /// What was found, for a person.
    pub message: String,
}

impl Refusal {
    /// A refusal with its code's rule.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Refusal { code, rule: code.rule(), message: message.into() }
    }
}

/// The revocation status found for the end-entity certificate (and its CAs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationStatus {
    /// Not revoked, according to `source`.
    Good,
    /// Revoked.
    Revoked,
    /// No status could be had.
    Unknown,
    /// Not checked: the path failed, or the policy is `off`.
    NotChecked,
}

/// Where a status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusSource {
    /// An OCSP response.
    Ocsp,
    /// A full CRL.
    Crl,
    /// A delta CRL applied over a full CRL.
    DeltaCrl,
}

/// Revocation findings, per certificate of the path (end entity first).
#[derive(Debug, Clone, Serialize)]
pub struct Revocation {
    /// The end entity's status (or the worst along the path: a revoked CA revokes its children).
    pub status: RevocationStatus,
    /// Per certificate of the path below the anchor, end entity first.
    pub checks: Vec<RevocationCheck>,
}

/// The status of one certificate of the path.
#[derive(Debug, Clone, Serialize)]
pub struct RevocationCheck {
    /// Subject of the certificate.
    pub subject: String,
    /// Serial number, hexadecimal.
    pub serial: String,
    /// Its status.
    pub status: RevocationStatus,
    /// Where the status came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<StatusSource>,
    /// Revocation time (RFC 3339), when revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Revocation reason (RFC 5280 name), when revoked with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What was tried: each OCSP responder and CRL, and what it gave.
    pub attempts: Vec<String>,
}

/// How the structure of the VIHF token compares with the certificate's (R40).
#[derive(Debug, Clone, Serialize)]
pub struct Coherence {
    /// `coherence` (same legal entity, the DMP's rule) or `strict` (equality).
    pub mode: &'static str,
    /// The structure given (the VIHF token's idNat_Struct).
    pub structure: String,
    /// The certificate's idNat_Struct (subject OU).
    pub certificate_structure: Option<String>,
    /// The legal entity of the structure given, as the directory knows it.
    pub structure_legal_entity: Option<String>,
    /// The legal entity of the certificate's structure.
    pub certificate_legal_entity: Option<String>,
    /// The verdict.
    pub coherent: bool,
}

/// The answer of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Whether the certificate is acceptable for the use asked (no refusal).
    pub accepted: bool,
    /// The use checked (`dmp-auth`…), if one was asked.
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub usage: Option<&'static str>,
    /// The certificate's subject, RFC 4514.
    pub subject: String,
    /// Its issuer, RFC 4514.
    pub issuer: String,
    /// Its serial number, hexadecimal.
    pub serial: String,
    /// Start of validity (RFC 3339).
    pub not_before: String,
    /// End of validity (RFC 3339).
    pub not_after: String,
    /// The validated path's subjects, end entity first and anchor last (empty when no path).
    pub path: Vec<String>,
    /// Revocation findings.
    pub revocation: Revocation,
    /// The structure comparison, when a structure was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coherence: Option<Coherence>,
    /// Every reason for refusal, in the order checked.
    pub refusals: Vec<Refusal>,
    /// Findings that did not refuse (a status not found under soft-fail, a delta CRL missing…).
    pub warnings: Vec<String>,
}

impl Verdict {
    /// Whether RFC 5280 path validation and revocation accept the certificate, leaving out the
    /// uses' own rules: what pyhanko-certvalidator and `openssl verify` judge.
    pub fn pkix_valid(&self) -> bool {
        !self.refusals.iter().any(|r| r.code.is_pkix())
    }

    /// Whether a refusal has this code.
    pub fn has(&self, code: Code) -> bool {
        self.refusals.iter().any(|r| r.code == code)
    }
}
