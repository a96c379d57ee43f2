//! What a leaf is: the event's fields in a fixed order, as compact JSON. Anything an auditor
//! relies on is in it (who, what, which object, before and after, request, node, time), so that
//! changing any of them changes the leaf's hash. The leaf index is not: it is the leaf's place.

use santepki_storage::audit::AuditEvent;
use serde::{Deserialize, Serialize};

/// The leaf form of an event. Field order is the serialisation order, and part of the format.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Leaf {
    /// The event id.
    pub id: String,
    /// When, RFC 3339.
    pub at: String,
    /// Who (`card:<number>`, `operator:<id>`, `cli:<user>`, `system`…).
    pub actor: String,
    /// What (`form413.signed`…).
    pub action: String,
    /// On what (`<kind>:<id>`).
    pub subject: String,
    /// The subject before, as the JSON text stored.
    pub before: Option<String>,
    /// The subject after, as the JSON text stored.
    pub after: Option<String>,
    /// The HTTP request, if any.
    pub request_id: Option<String>,
    /// The node that wrote the event.
    pub node: Option<String>,
}

impl Leaf {
    /// The leaf of `e`.
    pub fn of(e: &AuditEvent) -> Leaf {
        Leaf {
            id: e.id.clone(),
            at: e.at.clone(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            subject: e.subject.clone(),
            before: e.before_json.clone(),
            after: e.after_json.clone(),
            request_id: e.request_id.clone(),
            node: e.node.clone(),
        }
    }

    /// The bytes hashed into the tree (`SHA-256(0x00 ‖ bytes)`, RFC 6962 section 2.1).
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a struct of strings cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The leaf bytes of `e`.
pub fn bytes(e: &AuditEvent) -> Vec<u8> {
    Leaf::of(e).to_bytes()
}
