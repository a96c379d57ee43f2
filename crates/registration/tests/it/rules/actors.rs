//! Actors, prerequisites and roles (R1–R7).

use santepki_directory::generate::seed_cases as seed;
use santepki_domain::form413::{SignerRole, StructureCase};
use santepki_registration::contracts::NewContract;
use santepki_registration::habilitations::AdministratorChange;
use santepki_registration::roles::NewRole;
use santepki_registration::testing as t;

use super::world::{assert_error, assert_refused, order, text, world};

/// R1: only a technical administrator declared on a validated form 413 orders for the
/// structure, and a form 503 needs that validated form 413 first.
#[tokio::test]
async fn r1_only_declared_administrators_order() {
    let w = world().await;
    let p = w.pharmacy().await;
    let admin = w.actor(&w.admin).await;
    // No validated form 413: the administrator may not change, nor order.
    let change = AdministratorChange { from_card: None, to_card: Some(w.admin.number.clone()) };
    assert_error(w.reg.change_administrator(&w.actor(&p.pharmacist).await, &p.eg, &change).await, "no_form413", None);
    let prepared = w.prepare(&w.admin, &p.form).await.unwrap();
    w.sign(&p.pharmacist, &prepared.row.id).await.unwrap();
    // Signed but not validated: still nothing.
    assert_error(w.reg.orders().order(&admin, order(&p.eg)).await, "not_habilitated", Some("R27"));
    w.decide(&prepared.row.id, "validate", None).await.unwrap();
    let ordered = w.reg.orders().order(&admin, order(&p.eg)).await.unwrap();
    assert_eq!(ordered.product.structure, p.eg);
    // An administrator of the same vendor, not declared on the form, may not.
    assert_error(w.reg.orders().order(&w.actor(&w.admin2).await, order(&p.eg)).await, "not_habilitated", Some("R27"));
}

/// R2: a technical administrator (and any actor) holds a valid CPS, CPE or CPA card.
#[tokio::test]
async fn r2_technical_administrator_holds_a_valid_cpx_card() {
    let w = world().await;
    // At the door: unknown, expired and opposed cards act for nobody.
    for (card, code) in
        [("0000000000", "card_unknown"), (seed::EXPIRED_CARD, "card_invalid"), (seed::OPPOSED_CARD, "card_invalid")]
    {
        assert_error(w.reg.actor_for_card(card).await, code, Some("R2"));
    }
    // On the form: expired, opposed, unknown cards and a director's card (CDE) are refused.
    let p = w.pharmacy().await;
    let director = w.new_card("CDE", "DIRECTRICE", "CLAIRE", &format!("1{}", seed::PHARMACY_EJ)).await;
    for bad in [seed::EXPIRED_CARD, seed::OPPOSED_CARD, "2999999999", director.number.as_str()] {
        let mut f = p.form.clone();
        let mut person = w.admin2.person();
        person.card_number = bad.into();
        f.administrators.push(person);
        assert_refused(w.prepare(&w.admin, &f).await, "R2", "/administrators/1/card_number");
    }
    // A card put in opposition stops at once: as an actor and on forms.
    w.reg.oppose_card(&w.op_actor().await, &w.admin2.number).await.unwrap();
    assert_error(w.reg.actor_for_card(&w.admin2.number).await, "card_invalid", Some("R2"));
    let mut f = p.form.clone();
    f.administrators = vec![w.admin2.person()];
    assert_refused(w.prepare(&p.pharmacist, &f).await, "R2", "/administrators/0/card_number");
    // A form 503 arrival checks the card too.
    w.habilitate(&w.admin, &p.pharmacist, &p.form).await;
    let change = AdministratorChange { from_card: None, to_card: Some(seed::EXPIRED_CARD.into()) };
    assert_error(
        w.reg.change_administrator(&w.actor(&p.pharmacist).await, &p.eg, &change).await,
        "card_invalid",
        Some("R2"),
    );
}

/// R3: one contract per legal entity, on its FINESS juridique; reused, never duplicated; no
/// form without an active contract.
#[tokio::test]
async fn r3_one_contract_per_legal_entity_reused() {
    let w = world().await;
    let ej = format!("1{}", seed::PHARMACY_EJ);
    let first = w.contract(&ej, None).await;
    assert!(!first.reused);
    let again = w.contract(&ej, None).await;
    assert!(again.reused);
    assert_eq!(again.contract.id, first.contract.id);
    // Multi-site entities contract on their FINESS juridique, not a FINESS géographique.
    let op = w.op_actor().await;
    let on_eg = NewContract {
        legal_entity: format!("1{}", seed::PHARMACY_EG),
        kind: None,
        name: None,
        legal_representative_card: None,
    };
    assert_error(w.reg.create_contract(&op, on_eg).await, "contract_entity", Some("R3"));
    // No contract: the GIE's form is refused.
    let gie_lr = w.directory_card(seed::RADIOLOGY_GIE_RADIOLOGISTS_RPPS[0]).await;
    let f = t::form(
        StructureCase::RadiologyGroup,
        &[format!("1{}", seed::RADIOLOGY_GIE_EG)],
        &gie_lr,
        SignerRole::LegalRepresentative,
        &[&w.admin],
    );
    assert_refused(w.prepare(&w.admin, &f).await, "R3", "/identifiers/0");
    // A terminated contract counts as none.
    let p = w.pharmacy().await;
    w.prepare(&w.admin, &p.form).await.unwrap();
    let ended = w.reg.terminate_contract(&op, &first.contract.id).await.unwrap();
    assert_eq!(text(ended.state), "terminated");
    assert_refused(w.prepare(&w.admin, &p.form).await, "R3", "/identifiers/0");
}

/// R4: the legal representative holds a CPS, CDE or CDA card and is registered by the agency
/// with the contract (form 101).
#[tokio::test]
async fn r4_legal_representative_card() {
    let w = world().await;
    let ej = format!("1{}", seed::HOSPITAL_EJ);
    let op = w.op_actor().await;
    let employee = w.new_card("CPE", "EMPLOYEE", "EVA", &ej).await;
    let req = NewContract {
        legal_entity: ej.clone(),
        kind: None,
        name: None,
        legal_representative_card: Some(employee.number.clone()),
    };
    assert_error(w.reg.create_contract(&op, req).await, "card_type", Some("R4"));
    // A director's card (CDE, form 101) is accepted.
    let director = w.new_card("CDE", "DIRECTEUR", "PAUL", &ej).await;
    let outcome = w.contract(&ej, Some(&director)).await;
    let lr = outcome.legal_representative.expect("the legal representative's role");
    assert_eq!((lr.card_number.as_str(), lr.form.as_deref()), (director.number.as_str(), Some("101")));
    // Only the agency registers a legal representative.
    let role = NewRole { kind: "legal-representative".into(), card_number: employee.number.clone(), form: None };
    assert_error(
        w.reg.request_role(&w.actor(&director).await, &outcome.contract.id, role).await,
        "operator_only",
        Some("R4"),
    );
    // A CPA card cannot sign as legal representative.
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.signer.person = w.admin.person();
    assert_refused(w.prepare(&w.admin, &f).await, "R4", "/signer/card_number");
}

/// R5: the legal representative designates a mandataire (CPS/CPE/CPA card, forms 301 or 502),
/// who may then sign forms once the agency approved the request.
#[tokio::test]
async fn r5_mandataire_designated_by_legal_representative() {
    let w = world().await;
    let lr = w.directory_card(seed::LBM_MULTISITE_BIOLOGISTS_RPPS[0]).await;
    let mandataire = w.directory_card(seed::LBM_MULTISITE_BIOLOGISTS_RPPS[1]).await;
    let c = w.contract(&format!("1{}", seed::LBM_MULTISITE_EJ), Some(&lr)).await.contract.id;
    let role = |card: &str, form: Option<&str>| NewRole {
        kind: "mandataire".into(),
        card_number: card.into(),
        form: form.map(str::to_owned),
    };
    // Only the legal representative designates (not the future mandataire).
    assert_error(
        w.reg.request_role(&w.actor(&mandataire).await, &c, role(&mandataire.number, None)).await,
        "not_legal_representative",
        Some("R5"),
    );
    // A director's card cannot be a mandataire; the form is 301 or 502.
    let director = w.new_card("CDE", "DIRECTEUR", "MARC", &format!("1{}", seed::LBM_MULTISITE_EJ)).await;
    let lr_actor = w.actor(&lr).await;
    assert_error(w.reg.request_role(&lr_actor, &c, role(&director.number, None)).await, "card_type", Some("R5"));
    assert_error(
        w.reg.request_role(&lr_actor, &c, role(&mandataire.number, Some("101"))).await,
        "role_form",
        Some("R5"),
    );
    let requested = w.reg.request_role(&lr_actor, &c, role(&mandataire.number, Some("502"))).await.unwrap();
    assert_eq!(text(requested.state), "requested");
    // Requested, not approved: the mandataire does not sign yet.
    let main = format!("1{}", seed::LBM_MULTISITE_MAIN_EG);
    let f = t::form(
        StructureCase::LbmMultiSite,
        std::slice::from_ref(&main),
        &mandataire,
        SignerRole::Mandataire,
        &[&w.admin],
    );
    assert_refused(w.prepare(&mandataire, &f).await, "R20", "/identifiers/0");
    let approved = w.reg.decide_role(&w.op_actor().await, &requested.id, true).await.unwrap();
    assert_eq!(text(approved.state), "active");
    let v = w.habilitate(&mandataire, &mandataire, &f).await;
    assert_eq!(v.habilitations.len(), 1);
    assert_eq!(w.administrators(&main).await, std::slice::from_ref(&w.admin.number));
}

/// R6: a vendor acting as administrator has its own contract (on its SIRET), and only a
/// vendor's contract has technical administrators of its own.
#[tokio::test]
async fn r6_vendor_has_its_own_contract() {
    let w = world().await;
    let op = w.op_actor().await;
    let on_finess = NewContract {
        legal_entity: format!("1{}", seed::PHARMACY_EJ),
        kind: Some("vendor".into()),
        name: Some("EDITEUR".into()),
        legal_representative_card: None,
    };
    assert_error(w.reg.create_contract(&op, on_finess).await, "contract_entity", Some("R6"));
    // The world's vendor contract has its administrators; a structure's contract has none.
    let view = w.reg.contract(&op, &w.vendor_contract).await.unwrap();
    assert_eq!(text(view.contract.kind), "vendor");
    let admins =
        view.roles.iter().filter(|r| text(r.kind) == "vendor-administrator" && text(r.state) == "active").count();
    assert_eq!(admins, 2);
    let p = w.pharmacy().await;
    let c = w.contract(&format!("1{}", seed::PHARMACY_EJ), None).await.contract.id;
    let role = NewRole { kind: "vendor-administrator".into(), card_number: w.admin.number.clone(), form: None };
    assert_error(w.reg.request_role(&w.actor(&p.pharmacist).await, &c, role).await, "not_a_vendor", Some("R6"));
}

/// R7: the structure changes its technical administrators with a form 503 (arrival,
/// departure), and one administrator may manage many structures.
#[tokio::test]
async fn r7_administrators_changed_with_form_503() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let lr = w.actor(&p.pharmacist).await;
    let replace =
        AdministratorChange { from_card: Some(w.admin.number.clone()), to_card: Some(w.admin2.number.clone()) };
    // Not the structure's to change: the vendor's administrator.
    assert_error(
        w.reg.change_administrator(&w.actor(&w.admin2).await, &p.eg, &replace).await,
        "not_your_structure",
        Some("R7"),
    );
    let empty = AdministratorChange { from_card: None, to_card: None };
    assert_error(w.reg.change_administrator(&lr, &p.eg, &empty).await, "field_required", Some("R7"));
    let wrong = AdministratorChange { from_card: Some(w.admin2.number.clone()), to_card: None };
    assert_error(w.reg.change_administrator(&lr, &p.eg, &wrong).await, "not_administrator", Some("R7"));
    w.reg.change_administrator(&lr, &p.eg, &replace).await.unwrap();
    assert_eq!(w.administrators(&p.eg).await, std::slice::from_ref(&w.admin2.number));
    // One administrator, many structures: admin2 also administers the LBM.
    let lbm_lr = w.card(seed::LBM_SELAS_LEGAL_REP_CARD).await;
    w.contract(&format!("1{}", seed::LBM_SELAS_EJ), Some(&lbm_lr)).await;
    let f = t::form(
        StructureCase::LbmSelas,
        &[format!("1{}", seed::LBM_SELAS_MAIN_EG)],
        &lbm_lr,
        SignerRole::LegalRepresentative,
        &[&w.admin2],
    );
    w.habilitate(&lbm_lr, &lbm_lr, &f).await;
    let mut mine: Vec<String> = w
        .reg
        .my_habilitations(&w.actor(&w.admin2).await)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.row.idnat_struct)
        .collect();
    mine.sort();
    let mut expected = vec![p.eg.clone(), format!("1{}", seed::LBM_SELAS_MAIN_EG)];
    expected.sort();
    assert_eq!(mine, expected);
}
