//! The audit trail for the back office: operators read who did what, filtered by actor, subject,
//! what an event mentions (a structure's identifier, a product, a serial) and time. Reading it is
//! an operator's action (the events name card holders and structures).

use santepki_storage::audit::{self, AuditEvent, EventFilter};

use crate::{Actor, RegError, Registration};

impl Registration {
    /// The events that match `filter`, oldest first (operators only).
    pub async fn audit_events(&self, actor: &Actor, filter: &EventFilter) -> Result<Vec<AuditEvent>, RegError> {
        self.require_operator(actor).await?;
        Ok(audit::search(self.db().pool(), filter).await?)
    }
}
