//! A product and its certificate are one unit (issue 15, points 9 and 10): what a crash leaves
//! is completed or undone by the recovery pass, and their states agree. The crashes themselves
//! (SIGKILL of a serving process during concurrent orders and revocations) are in santepki's
//! `order_crash` tests; here each state a crash (or an older version) can leave is set up
//! directly and repaired.

use santepki_authority::RevocationReason;
use santepki_registration::orders::{Channel, ProductListing, Recovered};
use santepki_storage::authority as ca_store;
use santepki_storage::testing;

use crate::rules::world::{assert_error, csr_pem, order, text, world};

/// A crash after the pending pair was committed and before the signed certificate was: the
/// certificate and the product are abandoned together, the product is nobody's, and a retry
/// with the same key is issued.
#[tokio::test]
async fn a_pending_order_left_by_a_crash_is_abandoned_with_its_certificate() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let csr = csr_pem();
    let mut req = order(&p.eg);
    req.csr = Some(csr.clone());
    let product = w.reg.orders().order(&admin, req.clone()).await.unwrap().product;
    assert_eq!(text(product.state), "issued");
    // The state of the crash: both rows pending, the certificate unsigned, of another process.
    testing::make_certificate_pending(w.reg.db(), &product.serial).await.unwrap();
    testing::set_product_state(w.reg.db(), &product.id, "pending").await.unwrap();
    let listed = w.reg.orders().product_listing(&admin, &ProductListing::default()).await.unwrap();
    assert_eq!(listed.total, 0, "an order in flight is not listed");
    assert_error(w.reg.orders().product(&admin, &product.id).await, "not_found", None);

    let ca = w.reg.authority().unwrap();
    assert_eq!(ca.resolve_pending(chrono::Duration::zero(), "test").await.unwrap(), 1);
    let row = ca_store::certificate(w.reg.db(), &product.serial).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "abandoned");
    let stored = santepki_storage::ordering::product(w.reg.db(), &product.id).await.unwrap().unwrap();
    assert_eq!(text(stored.state), "abandoned");
    let events =
        santepki_storage::audit::events_for(w.reg.db().pool(), &format!("product:{}", product.id)).await.unwrap();
    assert!(events.iter().any(|e| e.action == "product.abandoned"), "{events:?}");
    assert!(w.reg.recover_orders("test", false).await.unwrap().is_empty(), "nothing left to repair");
    // The key is free again: the retry is issued.
    let again = w.reg.orders().order(&admin, req).await.unwrap().product;
    assert_ne!(again.serial, product.serial);
}

/// Point 10: a certificate revoked outside its product's page (an operator's `santepki ca
/// revoke`) takes its product along. A product left `issued` over a revoked certificate (a crash
/// of an older version between its two writes): renewal checks the certificate's real status and
/// refuses; the recovery pass makes the product say `revoked`.
#[tokio::test]
async fn a_revoked_certificate_is_not_renewed_and_its_product_is_set_revoked() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let product = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap().product;
    let ca = w.reg.authority().unwrap();
    ca.revoke(&product.serial, RevocationReason::KeyCompromise, "cli:operator").await.unwrap();
    assert_eq!(text(w.reg.orders().product(&admin, &product.id).await.unwrap().state), "revoked");
    // What an older version's crash left: the product still says issued.
    testing::set_product_state(w.reg.db(), &product.id, "issued").await.unwrap();
    assert_error(
        w.reg.orders().renew_product(&admin, &product.id, Some(csr_pem()), None, Channel::Api).await,
        "not_renewable",
        None,
    );
    let r = w.reg.recover_orders("test", false).await.unwrap();
    assert_eq!(r, Recovered { revoked_products: 1, ..Default::default() });
    let now = w.reg.orders().product(&admin, &product.id).await.unwrap();
    assert_eq!(text(now.state), "revoked");
    assert!(w.reg.recover_orders("test", false).await.unwrap().is_empty());
}

/// Revocation through the product writes both rows in one transaction; a product found revoked
/// over a certificate still issued is completed by revoking the certificate; a pending product
/// whose certificate was issued is completed.
#[tokio::test]
async fn the_recovery_pass_completes_revocations_and_issuances() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let ca = w.reg.authority().unwrap();

    let revoked = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap().product;
    let after = w.reg.orders().revoke_product(&admin, &revoked.id, "superseded").await.unwrap();
    assert_eq!(text(after.state), "revoked");
    let row = ca_store::certificate(w.reg.db(), &revoked.serial).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "revoked");
    assert_eq!(row.revocation_reason.as_deref(), Some("superseded"));

    let half_revoked = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap().product;
    testing::set_product_state(w.reg.db(), &half_revoked.id, "revoked").await.unwrap();
    let half_issued = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap().product;
    testing::set_product_state(w.reg.db(), &half_issued.id, "pending").await.unwrap();

    let r = w.reg.recover_orders("test", false).await.unwrap();
    assert_eq!(r, Recovered { completed: 1, revoked_certificates: 1, ..Default::default() });
    let row = ca_store::certificate(w.reg.db(), &half_revoked.serial).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "revoked");
    assert_eq!(row.revocation_reason.as_deref(), Some("cessationOfOperation"));
    let org = ca.cas().iter().find(|c| c.id == row.ca_id).unwrap().clone();
    assert!(org.id.contains("ORG"));
    assert_eq!(text(w.reg.orders().product(&admin, &half_issued.id).await.unwrap().state), "issued");
    assert!(w.reg.recover_orders("test", false).await.unwrap().is_empty());
}
