//! What was declared binds what can be issued (issue 15, points 1–8): the offers and names of a
//! structure's forms 413 (R23, R17), names normalised before they are stored (R29), a vendor's
//! contract (R6), the admission agent's CPE (R42), a terminated contract (R3), and an ESSMS's
//! establishment certificates moving to its legal entity at renewal (R39).

use santepki_directory::generate::seed_cases as seed;
use santepki_domain::form413::{EstablishmentSite, SignerRole, StructureCase};
use santepki_registration::doctrine::CheckStatus;
use santepki_registration::habilitations::AdministratorChange;
use santepki_registration::orders::{Channel, OrderRequest, OrderStage};
use santepki_registration::testing::{self as t, TestCard};

use super::world::{assert_error, assert_refused, csr_pem, order, text, world, World};

/// Section 1 of the hospital's form (R17), as the directory knows the establishment.
pub async fn hospital_site(w: &World) -> EstablishmentSite {
    t::establishment_site(&w.reg, seed::HOSPITAL_EG).await
}

/// The hospital (R17) habilitated for ORG and PRO with the mail domain `ch-montvert.fr`, for a
/// CPE administrator of its IT department: the administrator.
async fn hospital_with_pro(w: &World) -> TestCard {
    let ej = format!("1{}", seed::HOSPITAL_EJ);
    let director = w.new_card("CDE", "DIRECTEUR", "PAUL", &ej).await;
    let it = w.new_card("CPE", "INFORMATICIENNE", "LEA", &format!("1{}", seed::HOSPITAL_EG)).await;
    w.contract(&ej, Some(&director)).await;
    let mut f = t::form(
        StructureCase::Establishment,
        &[format!("3{}", seed::HOSPITAL_SIRET)],
        &director,
        SignerRole::LegalRepresentative,
        &[&it],
    );
    f.offers.pro = true;
    f.offers.pro_mail_domain = Some("ch-montvert.fr".into());
    f.site = Some(hospital_site(w).await);
    w.habilitate(&it, &director, &f).await;
    it
}

fn pro(profile: &str, structure: &str, professional: &str) -> OrderRequest {
    OrderRequest {
        profile: profile.into(),
        structure: structure.into(),
        professional: Some(professional.into()),
        actor_email: "dsi@ch-montvert.fr".into(),
        csr: Some(csr_pem()),
        ..Default::default()
    }
}

/// R23 (issue 15, point 1): a pharmacy habilitated for the ORG offer gets neither a SERV SSL
/// certificate (for `www.google.com` or anything) nor a PRO one, by the order or by the wizard;
/// once a form declares its domain, SERV SSL carries only names under it.
#[tokio::test]
async fn r23_orders_are_bound_to_the_declared_offers_and_names() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let ssl = |dns: &str| OrderRequest {
        profile: "serv-ssl".into(),
        structure: p.eg.clone(),
        dns: vec![dns.into()],
        actor_email: "it@pharmacie.test".into(),
        csr: Some(csr_pem()),
        ..Default::default()
    };
    assert_error(w.reg.orders().order(&admin, ssl("www.google.com")).await, "offer_not_declared", Some("R23"));
    let rpps = format!("8{}", seed::PHARMACIST_RPPS);
    assert_error(w.reg.orders().order(&admin, pro("pro-auth", &p.eg, &rpps)).await, "offer_not_declared", Some("R23"));
    // The wizard says it at the structure's step, with the same rule.
    assert_error(
        w.reg.orders().check_order(&admin, &ssl("www.google.com"), OrderStage::Structure).await,
        "offer_not_declared",
        Some("R23"),
    );
    // A second form declares the pharmacy's domain for SERV SSL.
    let mut f = p.form.clone();
    f.offers = Default::default();
    // As typed: the form is normalised at its door (R29), and what it stores binds the orders.
    f.offers.server_ssl_domain = Some(" Pharmacie-du-Centre.FR ".into());
    let validated = w.habilitate(&w.admin, &p.pharmacist, &f).await;
    assert_eq!(validated.form.offers.server_ssl_domain.as_deref(), Some("pharmacie-du-centre.fr"));
    for name in ["www.pharmacie-du-centre.fr", "PHARMACIE-DU-CENTRE.FR.", "*.pharmacie-du-centre.fr"] {
        w.reg.orders().order(&admin, ssl(name)).await.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for name in ["www.google.com", "pharmacie-du-centre.fr.evil.com", "autre-pharmacie-du-centre.fr"] {
        assert_error(w.reg.orders().order(&admin, ssl(name)).await, "name_not_declared", Some("R23"));
        assert_error(
            w.reg.orders().check_order(&admin, &ssl(name), OrderStage::Information).await,
            "name_not_declared",
            Some("R23"),
        );
    }
    // Still no PRO: the forms declared ORG and SERV SSL.
    assert_error(w.reg.orders().order(&admin, pro("pro-sign", &p.eg, &rpps)).await, "offer_not_declared", Some("R23"));
    // A server restricted to one FQDN covers that name only, and a form fills one line or the other.
    let mut both = p.form.clone();
    both.offers.server_ssl_domain = Some("pharmacie-du-centre.fr".into());
    both.offers.server_ssl_host = Some("dp.pharmacie-du-centre.fr".into());
    assert_refused(w.prepare(&w.admin, &both).await, "R23", "/offers/server_ssl_host");
}

/// R17 (issue 15, point 2): addresses in a PRO certificate are in the mail domain the hospital
/// declared; and the establishment's form carries its FINESS géographique, postal code and town.
#[tokio::test]
async fn r17_pro_addresses_in_the_declared_mail_domain_and_the_site_section() {
    let w = world().await;
    let it = hospital_with_pro(&w).await;
    let admin = w.actor(&it).await;
    let siret = format!("3{}", seed::HOSPITAL_SIRET);
    let staff = format!("8{}", seed::HOSPITAL_STAFF_RPPS[0]);
    let mut sign = pro("pro-sign", &siret, &staff);
    sign.emails = vec!["pharmacien@gmail.com".into()];
    assert_error(w.reg.orders().order(&admin, sign.clone()).await, "mail_domain_not_declared", Some("R17"));
    let mut auth = pro("pro-auth", &siret, &staff);
    auth.upn = Some("pharmacien@gmail.com".into());
    assert_error(w.reg.orders().order(&admin, auth).await, "mail_domain_not_declared", Some("R17"));
    sign.emails = vec![" Pharmacien@CH-Montvert.fr ".into()];
    let ordered = w.reg.orders().order(&admin, sign).await.unwrap();
    assert!(ordered.product.names.contains("Pharmacien@ch-montvert.fr"), "{}", ordered.product.names);

    // The form's section 1 (R17): mandatory in the establishment case, checked, empty elsewhere.
    let director = w.new_card("CDE", "DIRECTRICE", "ANNE", &format!("1{}", seed::HOSPITAL_EJ)).await;
    let mut f = t::form(StructureCase::Establishment, &[siret], &director, SignerRole::LegalRepresentative, &[&it]);
    f.offers.pro = true;
    f.offers.pro_mail_domain = Some("ch-montvert.fr".into());
    assert_refused(w.prepare(&it, &f).await, "R17", "/site");
    let site = hospital_site(&w).await;
    f.site = Some(EstablishmentSite { postal_code: "7500".into(), ..site.clone() });
    assert_refused(w.prepare(&it, &f).await, "R17", "/site/postal_code");
    f.site = Some(EstablishmentSite { finess_geographique: Some(seed::PHARMACY_EG.into()), ..site.clone() });
    assert_refused(w.prepare(&it, &f).await, "R17", "/site/finess_geographique");
    let p = w.pharmacy().await;
    let mut pharmacy = p.form.clone();
    pharmacy.site = Some(site);
    assert_refused(w.prepare(&w.admin, &pharmacy).await, "R19", "/site");
}

/// R29 (issue 15, point 3): `INSI-AUTO ` is stored as it is certified, `INSI-AUTO`, and the
/// doctrine checklist counts it as the INSi certificate, not the DMP's AUTH_CLI.
#[tokio::test]
async fn r29_names_are_normalised_before_they_are_stored() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let mut req = order(&p.eg);
    req.service = Some("INSI-AUTO ".into());
    req.actor_email = " it@pharmacie.test ".into();
    let ordered = w.reg.orders().order(&admin, req).await.unwrap();
    assert_eq!(ordered.product.service.as_deref(), Some("INSI-AUTO"));
    assert_eq!(ordered.product.actor_email, "it@pharmacie.test");
    let doctrine = w.reg.doctrine(&admin, &p.eg).await.unwrap();
    let status = |code: &str| doctrine.items.iter().find(|i| i.code == code).map(|i| i.status);
    assert_eq!(status("insi-own-certificate"), Some(CheckStatus::Satisfied));
    assert_eq!(status("dmp-pair"), Some(CheckStatus::Missing));
}

/// R6 (issue 15, point 4): a CPA whose vendor holds no contract is not accepted as a technical
/// administrator, on a form 413 nor by a form 503.
#[tokio::test]
async fn r6_a_vendor_administrator_needs_the_vendors_contract() {
    let w = world().await;
    let stranger = w.new_card("CPA", "TECHNICIEN", "SANS CONTRAT", "39999999900001").await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.administrators = vec![stranger.person()];
    assert_refused(w.prepare(&p.pharmacist, &f).await, "R6", "/administrators/0/card_number");
    let p = w.habilitated_pharmacy().await;
    let change = AdministratorChange { from_card: None, to_card: Some(stranger.number.clone()) };
    assert_error(
        w.reg.change_administrator(&w.actor(&p.pharmacist).await, &p.eg, &change).await,
        "vendor_contract",
        Some("R6"),
    );
    // The world's vendor holds its contract: its CPA is accepted (the pharmacy is habilitated).
    assert_eq!(w.administrators(&p.eg).await, std::slice::from_ref(&w.admin.number));
}

/// R42 (issue 15, point 6): an admission agent holding a CPE the hospital had issued for them
/// gets a PRO AUTH certificate for the hospital, though the directory has no situation for them.
#[tokio::test]
async fn r42_an_admission_agent_with_a_cpe_gets_pro_auth() {
    let w = world().await;
    let it = hospital_with_pro(&w).await;
    let admin = w.actor(&it).await;
    let siret = format!("3{}", seed::HOSPITAL_SIRET);
    let agent = w.new_card("CPE", "ACCUEIL", "SAMIA", &format!("1{}", seed::HOSPITAL_EG)).await;
    let ordered = w.reg.orders().order(&admin, pro("pro-auth", &siret, &agent.idnat_ps)).await.unwrap();
    assert_eq!(ordered.product.professional.as_deref(), Some(agent.idnat_ps.as_str()));
    // A CPE issued for another structure proves nothing here.
    let elsewhere = w.new_card("CPE", "AILLEURS", "JEAN", &format!("1{}", seed::PHARMACY_EG)).await;
    assert_error(
        w.reg.orders().order(&admin, pro("pro-auth", &siret, &elsewhere.idnat_ps)).await,
        "ps_not_in_structure",
        None,
    );
}

/// R3 (issue 15, point 7): terminating a structure's contract withdraws its habilitations,
/// closes its pending forms and revokes its live certificates (cessationOfOperation); its
/// administrator then neither orders nor renews.
#[tokio::test]
async fn r3_a_terminated_contract_stops_everything() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let live = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap();
    let pending = w.prepare(&w.admin, &p.form).await.unwrap();
    let contract = w.contract(&format!("1{}", seed::PHARMACY_EJ), None).await.contract.id;
    let (ended, effects) = w.reg.terminate_contract_with_effects(&w.op_actor().await, &contract).await.unwrap();
    assert_eq!(text(ended.state), "terminated");
    assert_eq!(effects.habilitations.len(), 1);
    assert_eq!(effects.forms, std::slice::from_ref(&pending.row.id));
    assert_eq!(effects.products, std::slice::from_ref(&live.product.number));
    assert!(w.administrators(&p.eg).await.is_empty());
    let form = w.reg.form(&w.op_actor().await, &pending.row.id).await.unwrap();
    assert_eq!(text(form.row.state), "withdrawn");
    // The product and its certificate are revoked.
    let product = santepki_storage::ordering::product(w.reg.db(), &live.product.id).await.unwrap().unwrap();
    assert_eq!(text(product.state), "revoked");
    let cert = santepki_storage::authority::certificate(w.reg.db(), &live.product.serial).await.unwrap().unwrap();
    assert_eq!(text(cert.status), "revoked");
    assert_eq!(cert.revocation_reason.as_deref(), Some("cessationOfOperation"));
    // No order, no renewal.
    assert!(w.reg.orders().order(&admin, order(&p.eg)).await.is_err());
    assert!(w.reg.orders().renew_product(&admin, &live.product.id, Some(csr_pem()), None, Channel::Api).await.is_err());
}

/// R3: the order's own check refuses a structure whose contract is no longer active, whatever
/// else remains (a habilitation made active again by hand, a contract ended outside the
/// termination path): the check reads the contract.
#[tokio::test]
async fn r3_an_order_checks_the_contract() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let contract = w.contract(&format!("1{}", seed::PHARMACY_EJ), None).await.contract.id;
    let mut tx = w.reg.db().begin_write().await.unwrap();
    santepki_storage::registration::set_contract_state(
        &mut tx,
        &contract,
        santepki_domain::values::ContractState::Terminated,
        "2026-01-01T00:00:00Z",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_error(w.reg.orders().order(&admin, order(&p.eg)).await, "contract_not_active", Some("R3"));
    let req = OrderRequest { profile: "org-sign".into(), structure: p.eg.clone(), ..Default::default() };
    assert_error(
        w.reg.orders().check_order(&admin, &req, OrderStage::Structure).await,
        "contract_not_active",
        Some("R3"),
    );
}

/// R39 (issue 15, point 8): an ESSMS's certificate on a geographic establishment moves to the
/// legal entity when renewed; the checklist says which certificates will move.
#[tokio::test]
async fn r39_essms_establishment_certificates_move_to_the_legal_entity_at_renewal() {
    let w = world().await;
    let ej = format!("1{}", seed::ESSMS_EJ);
    let eg = format!("1{}", seed::ESSMS_EGS[0]);
    let director = w.new_card("CDE", "DIRECTRICE", "CAMILLE", &ej).await;
    w.contract(&ej, Some(&director)).await;
    // Before the doctrine: the establishment was habilitated on its own FINESS géographique.
    let old = t::form(
        StructureCase::Pharmacy,
        std::slice::from_ref(&eg),
        &director,
        SignerRole::LegalRepresentative,
        &[&w.admin, &w.admin2],
    );
    w.habilitate(&w.admin, &director, &old).await;
    let admin = w.actor(&w.admin).await;
    let on_eg = w.reg.orders().order(&admin, order(&eg)).await.unwrap();
    // The manager declares itself at the legal-entity level (R16), for `admin` only.
    let essms = t::form(
        StructureCase::MedicoSocialManager,
        std::slice::from_ref(&ej),
        &director,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    w.habilitate(&w.admin, &director, &essms).await;
    let doctrine = w.reg.doctrine(&admin, &ej).await.unwrap();
    let item = doctrine.items.iter().find(|i| i.code == "essms-eg-to-ej").expect("the R39 item");
    assert_eq!((item.status, item.rule), (CheckStatus::Warning, "R39"));
    assert_eq!(item.products, std::slice::from_ref(&on_eg.product.number));
    // admin2 administers the establishment but not the legal entity: told what to do.
    assert_error(
        w.reg
            .orders()
            .renew_product(&w.actor(&w.admin2).await, &on_eg.product.id, Some(csr_pem()), None, Channel::Api)
            .await,
        "renewal_moves_to_legal_entity",
        Some("R39"),
    );
    let renewed =
        w.reg.orders().renew_product(&admin, &on_eg.product.id, Some(csr_pem()), None, Channel::Api).await.unwrap();
    assert_eq!(renewed.product.structure, ej);
    assert_eq!(renewed.product.renewal_of.as_deref(), Some(on_eg.product.id.as_str()));
}
