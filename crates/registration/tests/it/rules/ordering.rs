//! Ordering on the platform (R27–R33) and the certificate rules the ordering service carries
//! (R34, R35, R36, R37, R42), for an administrator habilitated on the pharmacy.

use santepki_registration::doctrine::CheckStatus;
use santepki_registration::orders::{Channel, Generate, OrderRequest, OrderStage, ProductListing};

use super::world::{assert_error, csr_pem, order, text, world, World};

/// R27: an administrator orders, and sees, only for the structures they are habilitated for.
#[tokio::test]
async fn r27_only_habilitated_structures() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let mine = w.reg.my_habilitations(&admin).await.unwrap();
    assert_eq!(mine.iter().map(|h| h.row.idnat_struct.as_str()).collect::<Vec<_>>(), [p.eg.as_str()]);
    let lbm = format!("1{}", santepki_directory::generate::seed_cases::LBM_SELAS_MAIN_EG);
    assert_error(w.reg.orders().order(&admin, order(&lbm)).await, "not_habilitated", Some("R27"));
    let stranger = w.actor(&w.admin2).await;
    assert_error(w.reg.orders().order(&stranger, order(&p.eg)).await, "not_habilitated", Some("R27"));
    assert_error(w.reg.habilitations_of_structure(&stranger, &p.eg).await, "not_your_structure", Some("R27"));
    // Another administrator's products stay hidden, even by id.
    let ordered = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap();
    assert_error(w.reg.orders().product(&stranger, &ordered.product.id).await, "not_found", None);
    let page = w.reg.orders().product_listing(&stranger, &ProductListing::default()).await.unwrap();
    assert_eq!(page.total, 0);
}

/// R28: the ordering steps (offer, structure, product information, contacts) are checked in
/// their order, then the order is confirmed by mail.
#[tokio::test]
async fn r28_ordering_steps_in_order() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let unknown = OrderRequest { profile: "org-everything".into(), ..Default::default() };
    assert_error(w.reg.orders().check_order(&admin, &unknown, OrderStage::Offer).await, "profile", Some("R23"));
    let mut req = OrderRequest { profile: "org-sign".into(), ..Default::default() };
    w.reg.orders().check_order(&admin, &req, OrderStage::Offer).await.unwrap();
    assert_error(
        w.reg.orders().check_order(&admin, &req, OrderStage::Structure).await,
        "structure_required",
        Some("R27"),
    );
    req.structure = p.eg.clone();
    w.reg.orders().check_order(&admin, &req, OrderStage::Structure).await.unwrap();
    assert_error(
        w.reg.orders().check_order(&admin, &req, OrderStage::Information).await,
        "service_required",
        Some("R29"),
    );
    req.service = Some("DMP SIGNATURE".into());
    w.reg.orders().check_order(&admin, &req, OrderStage::Information).await.unwrap();
    assert_error(w.reg.orders().check_order(&admin, &req, OrderStage::Contacts).await, "actor_email", Some("R30"));
    req.actor_email = "it@pharmacie.test".into();
    w.reg.orders().check_order(&admin, &req, OrderStage::Contacts).await.unwrap();
    req.csr = Some(csr_pem());
    let ordered = w.reg.orders().order(&admin, req).await.unwrap();
    let mails = w.reg.mails_about(&format!("product:{}", ordered.product.id)).await.unwrap();
    for subject in ["Demande enregistrée", "Certificat disponible"] {
        let sent: Vec<_> = mails.iter().filter(|m| m.subject.starts_with(subject)).collect();
        assert_eq!(sent.len(), 1, "{subject}");
        assert!(sent[0].recipients.contains("it@pharmacie.test"));
    }
}

/// R29: the service applicatif is mandatory for ORG and becomes the certificate's CN; INSi's
/// names are exact (`INSI-AUTO`, `INSI-MANU`).
#[tokio::test]
async fn r29_service_applicatif() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let mut req = order(&p.eg);
    req.service = None;
    assert_error(
        w.reg.orders().check_order(&admin, &req, OrderStage::Information).await,
        "service_required",
        Some("R29"),
    );
    req.service = Some("INSI AUTO".into());
    let refused = w.reg.orders().order(&admin, req.clone()).await.err().expect("INSI AUTO is refused");
    assert_eq!(refused.rule(), Some("R29"), "{refused}");
    req.service = Some("INSI-AUTO".into());
    let ordered = w.reg.orders().order(&admin, req).await.unwrap();
    assert_eq!(ordered.product.service.as_deref(), Some("INSI-AUTO"));
    assert!(ordered.certificate_pem.contains("BEGIN CERTIFICATE"));
}

/// R30: the actor's email is mandatory (not taken from the form 413); one optional copy
/// address receives the mails too.
#[tokio::test]
async fn r30_actor_email_mandatory_copy_optional() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let mut req = order(&p.eg);
    req.actor_email = " ".into();
    assert_error(w.reg.orders().order(&admin, req.clone()).await, "actor_email", Some("R30"));
    req.actor_email = "it@pharmacie.test".into();
    req.copy_email = Some("pas une adresse".into());
    assert_error(w.reg.orders().order(&admin, req.clone()).await, "copy_email", Some("R30"));
    req.copy_email = Some("titulaire@pharmacie.test".into());
    let ordered = w.reg.orders().order(&admin, req).await.unwrap();
    assert_eq!(ordered.product.actor_email, "it@pharmacie.test");
    assert_eq!(ordered.product.copy_email.as_deref(), Some("titulaire@pharmacie.test"));
    let mails = w.reg.mails_about(&format!("product:{}", ordered.product.id)).await.unwrap();
    assert!(!mails.is_empty() && mails.iter().all(|m| m.recipients.contains("titulaire@pharmacie.test")));
}

/// R31: the key comes from an uploaded CSR or is generated online (the PKCS#12 is returned
/// once), one or the other.
#[tokio::test]
async fn r31_csr_uploaded_or_key_generated() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let generate = Generate { passphrase: "une phrase secrète".into(), algorithm: Some("p256".into()) };
    let mut neither = order(&p.eg);
    neither.csr = None;
    assert_error(w.reg.orders().order(&admin, neither.clone()).await, "key_source", Some("R31"));
    let mut both = order(&p.eg);
    both.generate = Some(generate.clone());
    assert_error(w.reg.orders().order(&admin, both).await, "key_source", Some("R31"));
    let from_csr = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap();
    assert!(from_csr.pkcs12.is_none());
    assert_eq!(text(from_csr.product.key_origin), "csr");
    let mut generated = neither;
    generated.generate = Some(generate);
    let generated = w.reg.orders().order(&admin, generated).await.unwrap();
    assert!(generated.pkcs12.is_some_and(|p12| !p12.is_empty()));
    assert_eq!(text(generated.product.key_origin), "generated");
}

/// R32: PRO AUTH's UPN and PRO SIGN's email are optional, but an email given must be one.
#[tokio::test]
async fn r32_pro_optional_fields() {
    let w = world().await;
    let p = w.habilitated_pharmacy_with_pro().await;
    let admin = w.actor(&w.admin).await;
    let pro = |profile: &str| OrderRequest {
        profile: profile.into(),
        structure: p.eg.clone(),
        professional: Some(format!("8{}", santepki_directory::generate::seed_cases::PHARMACIST_RPPS)),
        actor_email: "it@pharmacie.test".into(),
        ..Default::default()
    };
    // Neither the UPN nor the email is asked for.
    w.reg.orders().check_order(&admin, &pro("pro-auth"), OrderStage::Contacts).await.unwrap();
    w.reg.orders().check_order(&admin, &pro("pro-sign"), OrderStage::Contacts).await.unwrap();
    let mut sign = pro("pro-sign");
    sign.emails = vec!["pas une adresse".into()];
    assert_error(w.reg.orders().check_order(&admin, &sign, OrderStage::Information).await, "email", Some("R32"));
    // Issued without them: a PRO AUTH without UPN, a PRO SIGN without email (the DP's case).
    for profile in ["pro-auth", "pro-sign"] {
        let req = OrderRequest { csr: Some(csr_pem()), ..pro(profile) };
        let ordered = w.reg.orders().order(&admin, req).await.unwrap_or_else(|e| panic!("{profile}: {e}"));
        assert_eq!(text(ordered.product.offer), "PRO");
    }
}

/// R33: the product list shows number, channel, offer, usage, beneficiary, service applicatif,
/// email, requester and state, filtered and paged.
#[tokio::test]
async fn r33_product_list_columns() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    w.reg.orders().order(&admin, order(&p.eg)).await.unwrap();
    let mut api = order(&p.eg);
    api.profile = "org-sign".into();
    api.service = Some("DMP SIGNATURE".into());
    api.channel = Channel::Api;
    w.reg.orders().order(&admin, api).await.unwrap();
    let page = w.reg.orders().product_listing(&admin, &ProductListing::default()).await.unwrap();
    assert_eq!((page.total, page.products.len()), (2, 2));
    let mut channels: Vec<String> = page.products.iter().map(|r| text(r.product.channel)).collect();
    channels.sort();
    assert_eq!(channels, ["api", "portal"]);
    for row in &page.products {
        let product = &row.product;
        assert!(product.number.starts_with('P'), "{}", product.number);
        assert_eq!((text(product.offer), product.structure.as_str()), ("ORG".to_owned(), p.eg.as_str()));
        assert!(!text(product.usage).is_empty() && product.service.is_some());
        assert_eq!(
            (product.actor_email.as_str(), product.ordered_by.as_str()),
            ("it@pharmacie.test", w.admin.number.as_str())
        );
        assert_eq!(text(product.state), "issued");
        assert!(row.structure_name.is_some());
    }
    let only = |offer: &str| ProductListing { offer: Some(offer.into()), ..Default::default() };
    assert_eq!(w.reg.orders().product_listing(&admin, &only("PRO")).await.unwrap().total, 0);
    assert_error(w.reg.orders().product_listing(&admin, &only("XYZ")).await, "offer", Some("R23"));
    let paged = ProductListing { limit: 1, ..Default::default() };
    let page = w.reg.orders().product_listing(&admin, &paged).await.unwrap();
    assert_eq!((page.total, page.products.len()), (2, 1));
}

/// R34: a certificate is valid three years from issuance (the product records the CA's date).
#[tokio::test]
async fn r34_certificates_valid_three_years() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let ordered = w.reg.orders().order(&w.actor(&w.admin).await, order(&p.eg)).await.unwrap();
    let not_after = santepki_storage::time::parse(&ordered.product.not_after).expect("a date");
    let days = (not_after - chrono::Utc::now()).num_days();
    assert!((1093..=1097).contains(&days), "{days} days");
}

/// R35: one expiry notice per live certificate ahead of its end, to the actor and the copy
/// address, sent once; none for a revoked certificate.
#[tokio::test]
async fn r35_expiry_notice_once() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let live = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap().product;
    let revoked = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap().product;
    w.reg.orders().revoke_product(&admin, &revoked.id, "superseded").await.unwrap();
    // A month ahead: nothing ends yet.
    assert_eq!(w.reg.orders().send_expiry_notices(31).await.unwrap(), 0);
    // A window past the three years covers the live certificate, once.
    assert_eq!(w.reg.orders().send_expiry_notices(4 * 366).await.unwrap(), 1);
    assert_eq!(w.reg.orders().send_expiry_notices(4 * 366).await.unwrap(), 0);
    assert_eq!(expiry_notices(&w, &live.id).await, 1);
    assert_eq!(expiry_notices(&w, &revoked.id).await, 0);
}

/// How many expiry notices a product's mails hold (R35).
async fn expiry_notices(w: &World, product: &str) -> usize {
    let mails = w.reg.mails_about(&format!("product:{product}")).await.unwrap();
    mails.iter().filter(|m| m.subject.starts_with("Expiration prochaine")).count()
}

/// R36: the doctrine checklist of a structure: the DMP pair (ORG SIGN and AUTH_CLI), INSi's own
/// certificate.
#[tokio::test]
async fn r36_doctrine_checklist() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let status = |d: &santepki_registration::doctrine::Doctrine, code: &str| {
        d.items.iter().find(|i| i.code == code).map(|i| i.status)
    };
    let d = w.reg.doctrine(&admin, &p.eg).await.unwrap();
    assert_eq!(status(&d, "dmp-pair"), Some(CheckStatus::Missing));
    w.reg.orders().order(&admin, order(&p.eg)).await.unwrap();
    let d = w.reg.doctrine(&admin, &p.eg).await.unwrap();
    assert_eq!(status(&d, "dmp-pair"), Some(CheckStatus::Warning));
    let mut sign = order(&p.eg);
    sign.profile = "org-sign".into();
    sign.service = Some("DMP SIGNATURE".into());
    w.reg.orders().order(&admin, sign).await.unwrap();
    let d = w.reg.doctrine(&admin, &p.eg).await.unwrap();
    assert_eq!(status(&d, "dmp-pair"), Some(CheckStatus::Satisfied));
    assert_eq!(status(&d, "insi-own-certificate"), Some(CheckStatus::Missing));
    // Someone else does not read it.
    assert_error(w.reg.doctrine(&w.actor(&w.admin2).await, &p.eg).await, "not_found", None);
}

/// R37: one key per certificate: a renewal needs a new key and a certificate still valid.
#[tokio::test]
async fn r37_renewal_needs_a_new_key_while_valid() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let csr = csr_pem();
    let mut first = order(&p.eg);
    first.csr = Some(csr.clone());
    let product = w.reg.orders().order(&admin, first).await.unwrap().product;
    assert_error(
        w.reg.orders().renew_product(&admin, &product.id, Some(csr), None, Channel::Portal).await,
        "key_in_use",
        Some("R37"),
    );
    let renewed =
        w.reg.orders().renew_product(&admin, &product.id, Some(csr_pem()), None, Channel::Portal).await.unwrap();
    assert_eq!(renewed.product.renewal_of.as_deref(), Some(product.id.as_str()));
    let revoked = w.reg.orders().revoke_product(&admin, &product.id, "superseded").await.unwrap();
    assert_eq!(text(revoked.state), "revoked");
    assert_error(
        w.reg.orders().renew_product(&admin, &product.id, Some(csr_pem()), None, Channel::Portal).await,
        "not_renewable",
        None,
    );
}

/// R42: a PRO certificate names the professional who holds it.
#[tokio::test]
async fn r42_pro_certificate_names_its_professional() {
    let w = world().await;
    let p = w.habilitated_pharmacy_with_pro().await;
    let admin = w.actor(&w.admin).await;
    let req = OrderRequest {
        profile: "pro-auth".into(),
        structure: p.eg.clone(),
        actor_email: "it@pharmacie.test".into(),
        ..Default::default()
    };
    assert_error(
        w.reg.orders().check_order(&admin, &req, OrderStage::Information).await,
        "professional_required",
        Some("R42"),
    );
}
