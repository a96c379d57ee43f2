use santepki_domain::form413::Refusal;
use santepki_storage::StorageError;

/// Why a registration action did not happen. Each variant maps to one HTTP status and carries a
/// machine-readable code; refusals of a form name the field and the rule (R-ids).
#[derive(Debug, thiserror::Error)]
pub enum RegError {
    /// The form breaks rules: every refusal, each with its field and rule.
    #[error("the form is refused: {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Refusal>),
    /// This card may not do this (403).
    #[error("{message}")]
    Forbidden {
        /// Machine-readable reason.
        code: &'static str,
        /// The rule of RULES.md enforced, if any.
        rule: Option<&'static str>,
        /// For people.
        message: String,
    },
    /// No such record, or one the actor may not know about (404).
    #[error("{what} {id} not found")]
    NotFound {
        /// The kind of record (form, habilitation, order…).
        what: &'static str,
        /// The identifier looked for.
        id: String,
    },
    /// The record is not in a state that allows the action (409).
    #[error("{message}")]
    Conflict {
        /// Machine-readable reason.
        code: &'static str,
        /// The seed rule the conflict enforces, if any (R37 for a key already certified).
        rule: Option<&'static str>,
        /// For people.
        message: String,
    },
    /// An earlier attempt holds what the request needs and is being settled (409, with
    /// `Retry-After`): a pending issuance a crash or a lost connection left (issue 15, point 11).
    #[error("{message}")]
    Busy {
        /// Machine-readable reason.
        code: &'static str,
        /// The seed rule involved, if any.
        rule: Option<&'static str>,
        /// For people.
        message: String,
        /// Seconds after which a retry succeeds at the latest.
        retry_after: u64,
    },
    /// A field of the request is wrong (400).
    #[error("{field}: {message}")]
    Invalid {
        /// Machine-readable reason.
        code: &'static str,
        /// The request field at fault.
        field: String,
        /// The rule of RULES.md enforced, if any.
        rule: Option<&'static str>,
        /// For people.
        message: String,
    },
    /// The card that signed, or the signature, is not acceptable (400/403).
    #[error("signature: {0}")]
    Signature(#[from] santepki_authority::cards::CardAuthError),
    #[error("unavailable: {0}")]
    /// A needed service (the CA, mail) is not configured (503).
    Unavailable(String),
    #[error(transparent)]
    /// The database failed (500).
    Storage(#[from] StorageError),
    #[error("issuing the certificate: {0}")]
    /// The CA failed to issue the certificate (500).
    Issue(String),
    /// A mail template did not render (a bug: templates only format text).
    #[error("mail template: {0}")]
    Template(#[from] askama::Error),
}

impl RegError {
    pub(crate) fn forbidden(code: &'static str, rule: Option<&'static str>, message: impl Into<String>) -> Self {
        RegError::Forbidden { code, rule, message: message.into() }
    }

    pub(crate) fn invalid(
        code: &'static str,
        field: impl Into<String>,
        rule: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        RegError::Invalid { code, field: field.into(), rule, message: message.into() }
    }

    pub(crate) fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        RegError::Conflict { code, rule: None, message: message.into() }
    }

    pub(crate) fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        RegError::NotFound { what, id: id.into() }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RegError::Refused(_) => "form_refused",
            RegError::Forbidden { code, .. }
            | RegError::Conflict { code, .. }
            | RegError::Busy { code, .. }
            | RegError::Invalid { code, .. } => code,
            RegError::NotFound { .. } => "not_found",
            RegError::Signature(e) => e.code(),
            RegError::Unavailable(_) => "unavailable",
            RegError::Storage(_) | RegError::Issue(_) | RegError::Template(_) => "internal_error",
        }
    }

    /// The rule the refusal enforces, when there is one.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            RegError::Refused(r) => r.first().map(|r| r.rule),
            RegError::Forbidden { rule, .. }
            | RegError::Invalid { rule, .. }
            | RegError::Conflict { rule, .. }
            | RegError::Busy { rule, .. } => *rule,
            _ => None,
        }
    }
}

impl santepki_storage::retry::Transient for RegError {
    /// A database failover's error, the operation not committed: see
    /// [`StorageError::is_transient`].
    fn is_transient(&self) -> bool {
        matches!(self, RegError::Storage(s) if s.is_transient())
    }
}
