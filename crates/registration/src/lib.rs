//! santepki's registration authority: who may have certificates ordered for which structure.
//!
//! It keeps the registers the seed documents describe — contracts (R3), cards (R2, R4–R6), roles
//! (legal representative, mandataire, technical administrators, agency operators) — and runs the
//! digital form 413 (R19–R26, R47): preparation (by the structure or its vendor), signature with
//! the signer's card, acknowledgement with a file reference number, back-office decision, and the
//! habilitations a validated form creates (R25), which the ordering platform checks (R27). The
//! vendor features the agency planned (R48 bulk forms, R49 vendor-managed administrators) are here
//! too.
//!
//! Every action takes the authenticated [`Actor`] and checks on the server that this card may do
//! it. Every state change writes its audit events, and the mails it announces, in the same
//! transaction. Nothing is kept in memory between calls: several nodes can share the database.

pub mod actor;
pub mod cards;
pub mod contracts;
pub mod declarations;
pub mod doctrine;
mod error;
mod facts;
pub mod forms;
pub mod habilitations;
pub mod history;
pub mod mail;
pub mod orders;
pub mod roles;
pub mod termination;
#[cfg(feature = "testing")]
pub mod testing;

use santepki_authority::Authority;
use santepki_domain::ValidationMode;
use santepki_storage::Db;

pub use actor::Actor;
pub use error::RegError;
pub use mail::{MailSettings, MailTransport};

/// The registration service. Cheap to clone.
#[derive(Clone)]
pub struct Registration {
    db: Db,
    mode: ValidationMode,
    /// The CA: card certificates and CMS signatures are checked against it, and cards it issues.
    authority: Option<Authority>,
    mail: MailSettings,
}

impl Registration {
    /// The registration authority over `db`; without `authority` no certificate can be issued.
    pub fn new(db: Db, mode: ValidationMode, authority: Option<Authority>, mail: MailSettings) -> Self {
        Registration { db, mode, authority, mail }
    }

    /// The database of forms, habilitations, roles and orders.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// How habilitations are validated (R24): by an operator, or automatically.
    pub fn mode(&self) -> ValidationMode {
        self.mode
    }

    /// The CA issuing ordered certificates, when initialised.
    pub fn authority(&self) -> Option<&Authority> {
        self.authority.as_ref()
    }

    pub(crate) fn require_authority(&self) -> Result<&Authority, RegError> {
        self.authority
            .as_ref()
            .ok_or_else(|| RegError::Unavailable("the CA is not initialised: run `santepki ca init`".into()))
    }
}

/// A new random id with a readable prefix (`f413-…`, `hab-…`): unguessable and unique across
/// nodes without coordination.
pub(crate) fn new_id(prefix: &str) -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::thread_rng().gen();
    let mut s = String::with_capacity(prefix.len() + 25);
    s.push_str(prefix);
    s.push('-');
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
