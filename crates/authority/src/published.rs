//! The URLs the CA publishes in its certificates (CRL distribution points, AIA OCSP and
//! caIssuers) belong to the CA, not to whoever runs an issuing command: they are stored with the
//! CA (`ca_settings.public_url`) and every issuer (a server, `santepki ca issue`, the demo) uses
//! the stored value, whatever its own configuration says.
//!
//! - When the CA is created, the configuration's URL is stored with it.
//! - A database whose CA predates this (no stored URL) adopts the configuration's URL the first
//!   time the CA is loaded, once: after that the stored one rules.
//! - Changing it is an explicit operator command ([`Authority::set_public_url`], `santepki ca
//!   set-url`), audited; processes already running keep the URL they loaded until restarted.

use santepki_storage::audit::AuditEvent;
use santepki_storage::authority as store;
use santepki_storage::Db;

use crate::{Authority, AuthorityError, CaSettings};

/// The name of the stored setting holding the base of the published URLs.
pub const PUBLIC_URL: &str = "public_url";

/// Checks a base URL to publish: absolute `http` or `https`, with a host, and nothing a relying
/// party would not put in front of `/crl/…` (no query, fragment or whitespace).
pub fn check_public_url(url: &str) -> Result<(), AuthorityError> {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    let bad = |why: &str| Err(AuthorityError::Config(format!("public URL {url:?}: {why}")));
    match rest {
        None => bad("must start with http:// or https://"),
        Some(r) if r.is_empty() || r.starts_with('/') => bad("has no host"),
        Some(_) if url.chars().any(|c| c.is_whitespace() || c.is_control()) => bad("contains whitespace"),
        Some(_) if url.contains(['?', '#']) => bad("must not have a query or fragment"),
        Some(_) => Ok(()),
    }
}

/// Replaces `settings.public_url` with the CA's stored one; stores the configured one first if
/// the CA has none yet (its creation, or a database older than the stored setting).
pub(crate) async fn apply_stored(db: &Db, mut settings: CaSettings, actor: &str) -> Result<CaSettings, AuthorityError> {
    let configured = settings.public_url.clone();
    let stored = match store::ca_setting(db, PUBLIC_URL).await? {
        Some(row) => row,
        None => {
            check_public_url(&configured)?;
            let event = AuditEvent::new(actor, "ca.public_url.adopted", "ca:public_url")
                .after(&serde_json::json!({ "public_url": configured }));
            store::adopt_ca_setting(db, PUBLIC_URL, &configured, actor, &event).await?
        }
    };
    if stored.value != configured {
        tracing::info!(
            stored = %stored.value,
            configured = %configured,
            "the CA publishes its stored URL, not this configuration's (change it with `santepki ca set-url`)"
        );
    }
    settings.public_url = stored.value;
    Ok(settings)
}

impl Authority {
    /// Changes the base URL the CA publishes in the certificates it issues from now on (CRL
    /// distribution points, AIA), audited. Certificates already issued keep theirs: the old URL
    /// should keep serving. This process's own settings are not changed: issue with a newly
    /// loaded CA, and restart the servers.
    pub async fn set_public_url(&self, url: &str, actor: &str) -> Result<(), AuthorityError> {
        check_public_url(url)?;
        let before = store::ca_setting(self.db(), PUBLIC_URL).await?.map(|r| r.value);
        let event = AuditEvent::new(actor, "ca.public_url.changed", "ca:public_url")
            .before(&serde_json::json!({ "public_url": before }))
            .after(&serde_json::json!({ "public_url": url }));
        store::set_ca_setting(self.db(), PUBLIC_URL, url, actor, &event).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_public_url;

    #[test]
    fn public_urls_are_absolute_http_without_query() {
        assert!(check_public_url("http://pki.example.fr").is_ok());
        assert!(check_public_url("https://pki.example.fr:8443/igc/").is_ok());
        for bad in ["pki.example.fr", "ftp://x", "http://", "http:///x", "http://x/?a=1", "http://x y"] {
            assert!(check_public_url(bad).is_err(), "{bad}");
        }
    }
}
