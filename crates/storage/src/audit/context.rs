//! Who is writing audit events, beyond the actor: the node (set once per process) and the HTTP
//! request being served (set by the HTTP front end around each request). [`AuditEvent::new`]
//! reads both, so that no call site has to pass them along.
//!
//! [`AuditEvent::new`]: super::AuditEvent::new

use std::future::Future;
use std::sync::OnceLock;

static NODE: OnceLock<String> = OnceLock::new();

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Names this process's node in the events it writes from now on. The first call wins: a
/// process is one node.
pub fn set_node(node: impl Into<String>) {
    let _ = NODE.set(node.into());
}

/// The node events are written by, if set.
pub fn node() -> Option<String> {
    NODE.get().cloned()
}

/// Runs `f` with `request_id` as the request of the events it writes.
pub async fn with_request_id<F: Future>(request_id: String, f: F) -> F::Output {
    REQUEST_ID.scope(request_id, f).await
}

/// The request being served by this task, if any.
pub fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|r| r.clone()).ok()
}
