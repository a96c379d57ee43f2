//! The habilitation workflow (R24–R26) and the planned evolutions built here: the online
//! signature (R47), bulk forms (R48) and vendor-managed administrators (R49).

use santepki_directory::generate::seed_cases as seed;
use santepki_domain::form413::{Form413, SignerRole, StructureCase};
use santepki_registration::forms::{Decision, Signature};
use santepki_registration::habilitations::Transfer;
use santepki_registration::roles::NewRole;
use santepki_registration::testing::{self as t, TestCard};

use super::world::{assert_error, text, world, World};

/// The RPPS-rang practices of the test professional of R44, with their contract (R3).
async fn test_ps_practices(w: &World) -> (TestCard, Vec<String>) {
    let holder = w.card(seed::TEST_PS_CARD).await;
    w.contract(&format!("8{}", seed::TEST_PS_RPPS), None).await;
    let rangs: Vec<String> =
        seed::TEST_PS_SITUATIONS.iter().filter(|s| s.ou.starts_with('4')).map(|s| s.ou.to_owned()).collect();
    assert_eq!(rangs.len(), 3);
    (holder, rangs)
}

fn scm(ids: &[String], holder: &TestCard, admins: &[&TestCard]) -> Form413 {
    t::form(StructureCase::ScmPractice, ids, holder, SignerRole::PracticeHolder, admins)
}

/// R24: the signed form is acknowledged with a file reference number and mailed; the back
/// office sees its age in working days and decides it (a rejection says why; an operator never
/// decides for their own structure); the decision is mailed to the signer and administrators.
#[tokio::test]
async fn r24_acknowledged_with_reference_then_decided() {
    let w = world().await;
    let p = w.pharmacy().await;
    let prepared = w.prepare(&w.admin, &p.form).await.unwrap();
    assert_eq!(text(prepared.row.state), "awaiting-signature");
    let id = prepared.row.id.clone();
    let signed = w.sign(&p.pharmacist, &id).await.unwrap();
    assert_eq!(text(signed.row.state), "acknowledged");
    let reference = signed.row.reference.clone().unwrap();
    assert!(reference.starts_with("413-") && reference.len() == "413-2026-000001".len(), "{reference}");
    let mails = w.reg.mails_about(&format!("form413:{id}")).await.unwrap();
    let ack = mails.iter().find(|m| m.subject.contains(&reference)).expect("acknowledgement mail");
    assert!(ack.recipients.contains(&p.pharmacist.person().email), "{}", ack.recipients);
    assert!(ack.recipients.contains(&w.admin.person().email), "{}", ack.recipients);
    // The queue, with the age in working days.
    let queue = w.reg.queue(&w.op_actor().await).await.unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!((queue[0].id.as_str(), queue[0].age_working_days, queue[0].overdue), (id.as_str(), 0, false));
    // A decision word, and a reason for a rejection.
    assert_error(w.decide(&id, "maybe", None).await, "decision", Some("R24"));
    assert_error(w.decide(&id, "reject", Some(" ")).await, "reason_required", Some("R24"));
    // The assistant pharmacist, made operator, does not decide for the pharmacy where they work.
    let assistant = w.directory_card(seed::PHARMACY_ASSISTANT_RPPS).await;
    w.reg.add_operator(&assistant.number, "cli:test").await.unwrap();
    let validate = Decision { decision: "validate".into(), reason: None };
    assert_error(w.reg.decide_form(&w.actor(&assistant).await, &id, &validate).await, "operator_conflict", Some("R24"));
    let rejected = w.decide(&id, "reject", Some("pièce manquante")).await.unwrap();
    assert_eq!(text(rejected.row.state), "rejected");
    assert_eq!(rejected.row.decision_reason.as_deref(), Some("pièce manquante"));
    assert!(rejected.habilitations.is_empty());
    assert_error(w.decide(&id, "validate", None).await, "form_state", None);
    let mails = w.reg.mails_about(&format!("form413:{id}")).await.unwrap();
    let decision = mails.iter().find(|m| m.subject.contains("rejeté")).expect("rejection mail");
    assert!(decision.body.contains("pièce manquante") && decision.recipients.contains(&w.admin.person().email));
}

/// R25: validation creates one habilitation per (structure identifier × technical
/// administrator), never twice the same.
#[tokio::test]
async fn r25_one_habilitation_per_structure_and_administrator() {
    let w = world().await;
    let (holder, rangs) = test_ps_practices(&w).await;
    let f = scm(&rangs, &holder, &[&w.admin, &w.admin2]);
    let v = w.habilitate(&w.admin, &holder, &f).await;
    assert_eq!(v.habilitations.len(), 3 * 2);
    let mut pairs: Vec<(String, String)> =
        v.habilitations.iter().map(|h| (h.idnat_struct.clone(), h.card_number.clone())).collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), 6);
    let mut both = vec![w.admin.number.clone(), w.admin2.number.clone()];
    both.sort();
    for r in &rangs {
        assert_eq!(w.administrators(r).await, both, "{r}");
    }
    let mails = w.reg.mails_about(&format!("form413:{}", v.row.id)).await.unwrap();
    let validated = mails.iter().find(|m| m.subject.contains("validé")).expect("validation mail");
    assert!(validated.recipients.contains(&w.admin2.person().email), "{}", validated.recipients);
    // The same pairs again: nothing new.
    assert!(w.habilitate(&w.admin, &holder, &f).await.habilitations.is_empty());
}

/// R26: the forms a professional's practices need are proposed from the directory (four RPPS
/// rang to a form, one form per société d'exercice).
#[tokio::test]
async fn r26_forms_proposed_from_the_directory() {
    let w = world().await;
    let proposals = w.reg.propose_for_professional(&format!("8{}", seed::SCM_RADIOLOGIST_RPPS)).await.unwrap();
    let shape: Vec<(StructureCase, usize, &str)> =
        proposals.iter().map(|p| (p.form.case, p.form.identifiers.len(), p.rule)).collect();
    assert_eq!(
        shape,
        [
            (StructureCase::ScmPractice, 4, "R14"),
            (StructureCase::ScmPractice, 2, "R14"),
            (StructureCase::SocieteExercice, 1, "R13")
        ]
    );
    let pharmacy = w.reg.propose_for_structure(&format!("1{}", seed::PHARMACY_EG)).await.unwrap();
    assert_eq!(pharmacy.len(), 1);
    assert_eq!((pharmacy[0].form.case, pharmacy[0].rule), (StructureCase::Pharmacy, "R10"));
    assert_eq!(pharmacy[0].form.identifiers, [format!("1{}", seed::PHARMACY_EG)]);
}

/// R47: the form is signed online with the signer's card: a detached CMS signature over the
/// exact content, made by the signer's own card.
#[tokio::test]
async fn r47_online_signature_with_the_card() {
    let w = world().await;
    let p = w.pharmacy().await;
    let prepared = w.prepare(&w.admin, &p.form).await.unwrap();
    let (id, content) = (prepared.row.id.clone(), prepared.row.content.clone());
    let signer = w.actor(&p.pharmacist).await;
    let other_bytes = p.pharmacist.sign(b"another text");
    assert_error(w.reg.sign_form(&signer, &id, Signature::Cms(&other_bytes)).await, "signature_invalid", None);
    assert_error(w.reg.sign_form(&signer, &id, Signature::Cms(b"garbage")).await, "signature_malformed", None);
    let by_admin = w.admin.sign(content.as_bytes());
    assert_error(w.reg.sign_form(&signer, &id, Signature::Cms(&by_admin)).await, "not_the_signer", Some("R20"));
    let cms = p.pharmacist.sign(content.as_bytes());
    let signed = w.reg.sign_form(&signer, &id, Signature::Cms(&cms)).await.unwrap();
    assert_eq!(text(signed.row.state), "acknowledged");
    assert_eq!(signed.row.signature_method.as_ref().map(text).as_deref(), Some("cms"));
    assert_eq!(signed.row.signature.as_deref(), Some(cms.as_slice()));
}

/// R48: a vendor's administrator prepares the forms of many client structures at once, naming
/// themselves on each; each client signs their own; the agency decides the lot.
#[tokio::test]
async fn r48_bulk_forms_for_a_vendor() {
    let w = world().await;
    let (holder, rangs) = test_ps_practices(&w).await;
    let admin = w.actor(&w.admin).await;
    let mut forms: Vec<Form413> = rangs.iter().map(|r| scm(std::slice::from_ref(r), &holder, &[&w.admin])).collect();
    forms.push(scm(&rangs[..1], &holder, &[&w.admin2]));
    assert_error(w.reg.prepare_bulk(&admin, Vec::new()).await, "bulk_empty", Some("R48"));
    assert_error(
        w.reg.prepare_bulk(&w.actor(&holder).await, forms.clone()).await,
        "not_vendor_administrator",
        Some("R48"),
    );
    let outcome = w.reg.prepare_bulk(&admin, forms).await.unwrap();
    assert_eq!(outcome.accepted.len(), 3);
    assert_eq!(outcome.refused.len(), 1);
    assert_eq!((outcome.refused[0].index, outcome.refused[0].refusals[0].rule), (3, "R48"));
    for a in &outcome.accepted {
        w.sign(&holder, &a.id).await.unwrap();
    }
    let validate = Decision { decision: "validate".into(), reason: None };
    let decided = w.reg.decide_bulk(&w.op_actor().await, &outcome.bulk_id, &validate).await.unwrap();
    assert_eq!((decided.decided, decided.habilitations, decided.skipped.len()), (3, 3, 0));
    let mine = w.reg.my_habilitations(&admin).await.unwrap();
    assert_eq!(mine.len(), 3);
    assert!(mine.iter().all(|h| h.row.vendor.as_deref() == Some(w.vendor.as_str())));
}

/// R49: the vendor, not each client, manages its administrators' habilitations: it names its
/// administrators and moves their habilitations to a colleague without a new form; an
/// administrator still administering structures cannot be ended.
#[tokio::test]
async fn r49_vendor_manages_its_administrators() {
    let w = world().await;
    let p = w.habilitated_pharmacy().await;
    let admin = w.actor(&w.admin).await;
    let vendor_lr = w.actor(&w.vendor_lr).await;
    let pharmacist = w.actor(&p.pharmacist).await;
    let mine = w.reg.my_habilitations(&admin).await.unwrap();
    assert_eq!(mine[0].row.vendor.as_deref(), Some(w.vendor.as_str()));
    // Only the vendor names its administrators, and sees and moves its habilitations.
    let role = NewRole { kind: "vendor-administrator".into(), card_number: p.pharmacist.number.clone(), form: None };
    assert_error(w.reg.request_role(&admin, &w.vendor_contract, role).await, "not_legal_representative", Some("R49"));
    assert_error(w.reg.habilitations_of_vendor(&pharmacist, &w.vendor).await, "not_your_vendor", Some("R49"));
    let transfer = |from: &TestCard, to: &TestCard| Transfer {
        from_card: from.number.clone(),
        to_card: to.number.clone(),
        structures: None,
    };
    let to_admin2 = transfer(&w.admin, &w.admin2);
    assert_error(
        w.reg.transfer_habilitations(&pharmacist, &w.vendor, &to_admin2).await,
        "not_your_vendor",
        Some("R49"),
    );
    assert_error(
        w.reg.transfer_habilitations(&vendor_lr, &w.vendor, &transfer(&w.admin, &w.admin)).await,
        "same_card",
        Some("R49"),
    );
    assert_error(
        w.reg.transfer_habilitations(&vendor_lr, &w.vendor, &transfer(&w.admin, &p.pharmacist)).await,
        "not_vendor_administrator",
        Some("R49"),
    );
    // Still administering: the administrator's role cannot end.
    let role_id = w
        .reg
        .active_roles(&admin)
        .await
        .unwrap()
        .into_iter()
        .find(|r| text(r.kind) == "vendor-administrator")
        .unwrap()
        .id;
    assert_error(w.reg.end_role(&vendor_lr, &role_id).await, "habilitations_remaining", None);
    let moved = w.reg.transfer_habilitations(&vendor_lr, &w.vendor, &to_admin2).await.unwrap();
    assert_eq!(moved.moved, 1);
    assert_eq!(w.administrators(&p.eg).await, std::slice::from_ref(&w.admin2.number));
    assert_eq!(w.reg.habilitations_of_vendor(&vendor_lr, &w.vendor).await.unwrap().len(), 1);
    let ended = w.reg.end_role(&vendor_lr, &role_id).await.unwrap();
    assert_eq!(text(ended.state), "ended");
}
