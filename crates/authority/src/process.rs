//! Which pending certificate rows this process may still sign (issue 15, point 11).
//!
//! A pending row is written before the CA key signs. Whether it may still become a certificate
//! depends on the process that wrote it: while that process holds the issuance in flight it may;
//! once the issuance left its hands (finished, failed, or its future was dropped when the client
//! went away) or the process is gone, it never will. Each row records its process (`owner_boot`,
//! a random id drawn here at start) and, for a serving process, its node (`owner_node`: host and
//! listen address, which two live processes cannot both hold). A row is *provably unsigned* when
//! it is this process's and no longer in flight, or an earlier boot's of the node this process
//! holds now; such a row is settled at once. Other rows wait for the grace period.
//!
//! Settling never depends on these answers for safety: storing a signed certificate requires its
//! row to be still pending, so a row settled too early only fails that one issuance.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use santepki_storage::authority::CertificateRow;

/// This process, as the owner of pending rows.
/// This process (see the module documentation).
pub(crate) struct Process {
    boot: String,
    node: OnceLock<String>,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Process {
    /// A new boot id (12 random bytes, hex).
    pub(crate) fn new() -> Self {
        use rand::Rng;
        let bytes: [u8; 12] = rand::thread_rng().gen();
        Process { boot: hex::encode(bytes), node: OnceLock::new(), in_flight: Arc::default() }
    }

    /// This process's boot id.
    pub(crate) fn boot(&self) -> &str {
        &self.boot
    }

    /// The node this process holds, once claimed.
    pub(crate) fn node(&self) -> Option<&str> {
        self.node.get().map(String::as_str)
    }

    /// Claims a node name (once; later claims are ignored and answer `false`).
    pub(crate) fn claim_node(&self, node: String) -> bool {
        self.node.set(node).is_ok()
    }

    /// Marks an issuance in flight until the returned guard is dropped.
    pub(crate) fn begin(&self, serial: &str) -> InFlight {
        self.set().insert(serial.to_owned());
        InFlight { serial: serial.to_owned(), set: self.in_flight.clone() }
    }

    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding this lock leaves the set as it was: still usable.
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this pending row can never be signed (see the module documentation).
    pub(crate) fn provably_unsigned(&self, row: &CertificateRow) -> bool {
        let Some(owner_boot) = row.owner_boot.as_deref() else {
            return false;
        };
        if owner_boot == self.boot {
            return !self.set().contains(&row.serial);
        }
        matches!((self.node(), row.owner_node.as_deref()), (Some(mine), Some(theirs)) if mine == theirs)
    }
}

/// An issuance in flight in this process; dropping it (however the issuance ends) ends it.
pub struct InFlight {
    serial: String,
    set: Arc<Mutex<HashSet<String>>>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.serial);
    }
}
