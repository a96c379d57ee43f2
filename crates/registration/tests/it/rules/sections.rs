//! The sections of form 413 (R19–R23) and the identifier syntax they use (R43), checked when a
//! form is prepared.

use santepki_domain::form413::SignerRole;
use santepki_registration::forms::Signature;

use super::world::{assert_error, assert_refused, refusals, world};

/// R19: fields a case does not use stay empty, and an identifier is not named twice.
#[tokio::test]
async fn r19_unused_fields_stay_empty() {
    let w = world().await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.offers.pro_mail_domain = Some("pharmacie.fr".into());
    assert_refused(w.prepare(&w.admin, &f).await, "R19", "/offers/pro_mail_domain");
    let mut f = p.form.clone();
    f.case = santepki_domain::form413::StructureCase::ScmPractice;
    let radiologist_rang = format!("4{}", santepki_directory::generate::seed_cases::SCM_RADIOLOGIST_RPPS_RANGS[0]);
    f.identifiers = vec![radiologist_rang.clone(), radiologist_rang];
    assert_refused(w.prepare(&w.admin, &f).await, "R19", "/identifiers/1");
}

/// R20: section 3.2 names the signer with every field, who must be the legal representative, a
/// mandataire or the practice holder; only that card prepares (besides the administrators named
/// and the structure) and signs.
#[tokio::test]
async fn r20_signer_section() {
    let w = world().await;
    let p = w.pharmacy().await;
    for field in ["last_name", "first_names", "phone", "email", "card_number"] {
        let mut f = p.form.clone();
        let person = &mut f.signer.person;
        match field {
            "last_name" => person.last_name.clear(),
            "first_names" => person.first_names.clear(),
            "phone" => person.phone.clear(),
            "email" => person.email.clear(),
            _ => person.card_number.clear(),
        }
        assert_refused(w.prepare(&w.admin, &f).await, "R20", &format!("/signer/{field}"));
    }
    // The assistant pharmacist is neither legal representative, nor mandataire, nor holder.
    let assistant = w.directory_card(santepki_directory::generate::seed_cases::PHARMACY_ASSISTANT_RPPS).await;
    let mut f = p.form.clone();
    f.signer.person = assistant.person();
    assert_refused(w.prepare(&assistant, &f).await, "R20", "/identifiers/0");
    // The practice holder signs only RPPS-rang forms.
    let mut f = p.form.clone();
    f.signer.role = SignerRole::PracticeHolder;
    assert_refused(w.prepare(&w.admin, &f).await, "R20", "/signer/role");
    // Someone with no part in the form does not prepare it.
    assert_error(w.prepare(&assistant, &p.form).await, "not_your_structure", Some("R20"));
    // Only the signer named on the form signs it.
    let prepared = w.prepare(&w.admin, &p.form).await.unwrap();
    assert_error(
        w.reg.sign_form(&w.actor(&w.admin).await, &prepared.row.id, Signature::Session).await,
        "not_the_signer",
        Some("R20"),
    );
    w.sign(&p.pharmacist, &prepared.row.id).await.unwrap();
}

/// R21: section 4.1 lists at least one technical administrator, each with every field and a
/// 10-digit card number, none twice.
#[tokio::test]
async fn r21_technical_administrators_section() {
    let w = world().await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.administrators.clear();
    assert_refused(w.prepare(&p.pharmacist, &f).await, "R21", "/administrators");
    let mut f = p.form.clone();
    f.administrators.push(w.admin.person());
    assert_refused(w.prepare(&w.admin, &f).await, "R21", "/administrators/1/card_number");
    let mut f = p.form.clone();
    f.administrators[0].phone.clear();
    f.administrators[0].email = "not-an-address".into();
    let got = refusals(w.prepare(&w.admin, &f).await);
    assert!(got.contains(&("R21", "/administrators/0/phone".into())), "{got:?}");
    assert!(got.contains(&("R21", "/administrators/0/email".into())), "{got:?}");
    let mut f = p.form.clone();
    f.administrators[0].card_number = "12345".into();
    assert_refused(w.prepare(&p.pharmacist, &f).await, "R21", "/administrators/0/card_number");
}

/// R22: section 4.2 describes the usage of the certificates.
#[tokio::test]
async fn r22_usage_is_described() {
    let w = world().await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.usage.description = "  ".into();
    assert_eq!(refusals(w.prepare(&w.admin, &f).await), [("R22", "/usage/description".to_owned())]);
}

/// R23: section 4.3 asks for at least one offer, with well-formed domain names.
#[tokio::test]
async fn r23_offers_section() {
    let w = world().await;
    let p = w.pharmacy().await;
    let mut f = p.form.clone();
    f.offers.org = false;
    assert_eq!(refusals(w.prepare(&w.admin, &f).await), [("R23", "/offers".to_owned())]);
    for field in ["server_ssl_domain", "server_mail_domain"] {
        let mut f = p.form.clone();
        let bad = Some("pas un domaine".to_owned());
        match field {
            "server_ssl_domain" => f.offers.server_ssl_domain = bad,
            _ => f.offers.server_mail_domain = bad,
        }
        assert_refused(w.prepare(&w.admin, &f).await, "R23", &format!("/offers/{field}"));
    }
    let mut f = p.form.clone();
    f.offers.server_ssl_domain = Some("*.pharmacie-du-centre.fr".into());
    f.offers.server_mail_domain = Some("pharmacie-du-centre.fr".into());
    w.prepare(&w.admin, &f).await.unwrap();
}

/// R43: structure identifiers are a type digit and the identifier, with its check key.
#[tokio::test]
async fn r43_structure_identifier_syntax() {
    let w = world().await;
    let p = w.pharmacy().await;
    for bad in ["1123", "9750900029", "1750900028"] {
        let mut f = p.form.clone();
        f.identifiers = vec![bad.into()];
        assert_refused(w.prepare(&w.admin, &f).await, "R43", "/identifiers/0");
    }
}
