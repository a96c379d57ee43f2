//! The registration API end to end, over real mutual TLS with card certificates, on SQLite and
//! PostgreSQL: one habilitation path per structure row of RULES.md (R10–R17), every misuse the
//! issue names refused with its rule id, an authorization matrix over someone else's structure,
//! the vendor features (R48 bulk, R49 transfer), and the mail, delivered to a real SMTP server
//! (aiosmtpd) and read back.

// `assert_eq!(x, [a.clone()])` reads better in a test than `std::slice::from_ref(&a)`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cloned_ref_to_slice_refs)]

use std::path::PathBuf;

use reqwest::StatusCode;
use santepki_authority::KeyAlgorithm;
use santepki_directory::generate::seed_cases as seed;
use santepki_domain::form413::{Form413, SignerRole, StructureCase};
use santepki_registration::testing::{self as t, TestCard};
use santepki_registration::{MailSettings, MailTransport, Registration};
use santepki_storage::testing::{self, TestDb};
use serde_json::{json, Value};

const AGENCY: &str = "318751275100020";
const VENDOR_SIRET: &str = "44306184100047";

struct World {
    db: TestDb,
    reg: Registration,
    api: String,
    stop: tokio::sync::watch::Sender<bool>,
    op: TestCard,
    vendor: String,
    vendor_lr: TestCard,
    admin: TestCard,
    admin2: TestCard,
    _keys: tempfile::TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn world(db: TestDb, mail: MailSettings) -> World {
    let crate::platform::Platform { reg, base, stop, keys } = crate::platform::start(&db, mail).await;
    let api = format!("{base}/api/v1");

    // The agency's first operator is made on the command line; the rest goes through the API.
    let op = t::new_card(&reg, "CPE", "OPERATRICE", "AGNES", &format!("3{AGENCY}")).await;
    reg.add_operator(&op.number, "cli:test").await.unwrap();
    let vendor_lr = t::new_card(&reg, "CDA", "DIRIGEANT", "VICTOR", &format!("3{VENDOR_SIRET}")).await;
    let admin = t::new_card(&reg, "CPA", "ADMINISTRATRICE", "ALICE", &format!("3{VENDOR_SIRET}")).await;
    let admin2 = t::new_card(&reg, "CPA", "ADMINISTRATEUR", "BRUNO", &format!("3{VENDOR_SIRET}")).await;
    let mut w =
        World { db, reg, api, stop, op, vendor: format!("3{VENDOR_SIRET}"), vendor_lr, admin, admin2, _keys: keys };
    // R6: the vendor has its own contract; its legal representative names its administrators.
    let (s, v) = call(&w, Some(&w.op), "POST", "/contracts", Some(json!({
        "legal_entity": w.vendor, "kind": "vendor", "name": "EDITEUR DE TEST", "legal_representative_card": w.vendor_lr.number,
    }))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let contract = v["contract"]["id"].as_str().unwrap().to_owned();
    for a in [&w.admin, &w.admin2] {
        let (s, v) = call(
            &w,
            Some(&w.vendor_lr),
            "POST",
            &format!("/contracts/{contract}/roles"),
            Some(json!({ "kind": "vendor-administrator", "card_number": a.number })),
        )
        .await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::CREATED, Some("active")), "{v}");
    }
    w.vendor = format!("3{VENDOR_SIRET}");
    w
}

fn client(card: Option<&TestCard>) -> reqwest::Client {
    let mut b = reqwest::Client::builder().danger_accept_invalid_certs(true).use_rustls_tls();
    if let Some(c) = card {
        b = b.identity(reqwest::Identity::from_pem(c.identity_pem().as_bytes()).unwrap());
    }
    b.build().unwrap()
}

async fn call(
    w: &World,
    card: Option<&TestCard>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let c = client(card);
    let url = format!("{}{path}", w.api);
    let req = match method {
        "GET" => c.get(&url),
        "POST" => c.post(&url),
        other => panic!("{other}"),
    };
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: {status} not JSON: {text}"));
    assert!(status.as_u16() < 500, "{method} {path}: {status} {v}");
    (status, v)
}

/// Makes a contract for `entity` (operator), with its legal representative when given.
async fn contract(w: &World, entity: &str, lr: Option<&TestCard>) -> String {
    let mut body = json!({ "legal_entity": entity });
    if let Some(lr) = lr {
        body["legal_representative_card"] = json!(lr.number);
    }
    let (s, v) = call(w, Some(&w.op), "POST", "/contracts", Some(body)).await;
    assert!(s == StatusCode::CREATED || s == StatusCode::OK, "{entity}: {s} {v}");
    v["contract"]["id"].as_str().unwrap().to_owned()
}

enum Sign {
    Cms,
    Session,
}

/// Prepares (by `preparer`), signs (by the form's signer), and has an operator validate a form.
/// Returns the validated form.
async fn habilitate(w: &World, preparer: &TestCard, signer: &TestCard, form: &Form413, how: Sign) -> Value {
    let (s, v) = call(w, Some(preparer), "POST", "/forms413", Some(serde_json::to_value(form).unwrap())).await;
    assert_eq!(s, StatusCode::CREATED, "prepare: {v}");
    assert_eq!(v["state"], "awaiting-signature");
    let id = v["id"].as_str().unwrap().to_owned();
    let v = sign(w, signer, &id, how).await;
    assert_eq!(v["state"], "acknowledged", "{v}");
    assert!(v["reference"].as_str().unwrap().starts_with("413-"), "R24: a file reference number: {v}");
    let (s, v) =
        call(w, Some(&w.op), "POST", &format!("/forms413/{id}/decision"), Some(json!({ "decision": "validate" })))
            .await;
    assert_eq!(s, StatusCode::OK, "decision: {v}");
    assert_eq!(v["state"], "validated");
    v
}

async fn sign(w: &World, signer: &TestCard, id: &str, how: Sign) -> Value {
    match how {
        Sign::Session => {
            let (s, v) = call(
                w,
                Some(signer),
                "POST",
                &format!("/forms413/{id}/signature"),
                Some(json!({ "method": "session" })),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "sign: {v}");
            v
        }
        Sign::Cms => {
            // The exact bytes to sign, then a detached CMS made with the card's key, sent as is.
            let content = client(Some(signer))
                .get(format!("{}/forms413/{id}/content", w.api))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let cms = signer.sign(&content);
            let resp = client(Some(signer))
                .post(format!("{}/forms413/{id}/signature", w.api))
                .header("content-type", "application/pkcs7-signature")
                .body(cms)
                .send()
                .await
                .unwrap();
            let s = resp.status();
            let v: Value = resp.json().await.unwrap();
            assert_eq!(s, StatusCode::OK, "sign: {v}");
            v
        }
    }
}

/// The card numbers habilitated on a structure, as its legal representative sees them (R49).
async fn administrators(w: &World, viewer: &TestCard, idnat: &str) -> Vec<String> {
    let (s, v) = call(w, Some(viewer), "GET", &format!("/structures/{idnat}/habilitations"), None).await;
    assert_eq!(s, StatusCode::OK, "{idnat}: {v}");
    let mut cards: Vec<String> =
        v["habilitations"].as_array().unwrap().iter().map(|h| h["card_number"].as_str().unwrap().to_owned()).collect();
    cards.sort();
    cards
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn directory_card(w: &World, rpps: &str) -> TestCard {
    let number = t::card_of(&w.reg, &format!("8{rpps}")).await;
    t::credentials(&w.reg, &number).await
}

/// A real SMTP server (aiosmtpd, Mailbox handler) on a free port, writing a maildir.
struct Smtp {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp() -> Smtp {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/test-venv/bin/python");
    assert!(python.is_file(), "{} missing: run scripts/install-deps.sh", python.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let maildir = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("mail"))
        .spawn()
        .unwrap();
    // From here the guard kills and reaps the server on every path, the panic below included.
    let server = Smtp { child, port, maildir };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("aiosmtpd did not start");
}

impl Smtp {
    /// Every message the server received, as text.
    fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.maildir.path().join("mail").join(sub)) {
                for e in entries.flatten() {
                    out.push(std::fs::read_to_string(e.path()).unwrap());
                }
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structure_rows_end_to_end() {
    let server = smtp();
    for db in testing::both().await {
        let label = db.label();
        let mail = MailSettings {
            from: "santepki <no-reply@santepki.test>".into(),
            transport: MailTransport::Smtp { host: "127.0.0.1".into(), port: server.port },
            agency: Some("back-office@agence.test".into()),
        };
        let w = world(db, mail).await;
        let admin = &w.admin;

        // R10 — pharmacy: the FINESS géographique, signed by the titulaire (CMS over the API),
        // prepared by the vendor's administrator.
        let pharmacist = t::credentials(&w.reg, seed::PHARMACIST_CARD).await;
        contract(&w, &format!("1{}", seed::PHARMACY_EJ), Some(&pharmacist)).await;
        let eg = format!("1{}", seed::PHARMACY_EG);
        let f = t::form(StructureCase::Pharmacy, &[eg.clone()], &pharmacist, SignerRole::LegalRepresentative, &[admin]);
        let v = habilitate(&w, admin, &pharmacist, &f, Sign::Cms).await;
        let pharmacy_form = v["id"].as_str().unwrap().to_owned();
        assert_eq!(v["signature_method"], "cms");
        assert_eq!(administrators(&w, &pharmacist, &eg).await, [admin.number.clone()], "{label}");

        // R11 — LBM SELAS: FINESS géographique of the main site, two administrators (the
        // vendor's and a biologist), signed over the card session.
        let lbm_lr = t::credentials(&w.reg, seed::LBM_SELAS_LEGAL_REP_CARD).await;
        let biologist = directory_card(&w, seed::LBM_SELAS_BIOLOGISTS_RPPS[1]).await;
        contract(&w, &format!("1{}", seed::LBM_SELAS_EJ), Some(&lbm_lr)).await;
        let main = format!("1{}", seed::LBM_SELAS_MAIN_EG);
        let f = t::form(
            StructureCase::LbmSelas,
            &[main.clone()],
            &lbm_lr,
            SignerRole::LegalRepresentative,
            &[admin, &biologist],
        );
        habilitate(&w, &lbm_lr, &lbm_lr, &f, Sign::Session).await;
        assert_eq!(
            administrators(&w, &lbm_lr, &main).await,
            sorted(vec![admin.number.clone(), biologist.number.clone()])
        );
        // The other sites have no habilitation of their own (the main site's covers the LBM).
        assert!(administrators(&w, &lbm_lr, &format!("1{}", seed::LBM_SELAS_SITES[1])).await.is_empty());

        // R12 — multi-site LBM, signed by a mandataire (R5: requested by the legal
        // representative, approved by an operator).
        let lr = directory_card(&w, seed::LBM_MULTISITE_BIOLOGISTS_RPPS[0]).await;
        let mandataire = directory_card(&w, seed::LBM_MULTISITE_BIOLOGISTS_RPPS[1]).await;
        let c = contract(&w, &format!("1{}", seed::LBM_MULTISITE_EJ), Some(&lr)).await;
        let (s, role) = call(
            &w,
            Some(&lr),
            "POST",
            &format!("/contracts/{c}/roles"),
            Some(json!({ "kind": "mandataire", "card_number": mandataire.number, "form": "502" })),
        )
        .await;
        assert_eq!((s, role["state"].as_str()), (StatusCode::CREATED, Some("requested")), "{role}");
        let main = format!("1{}", seed::LBM_MULTISITE_MAIN_EG);
        let f = t::form(StructureCase::LbmMultiSite, &[main.clone()], &mandataire, SignerRole::Mandataire, &[admin]);
        // Not yet approved: the mandataire may not sign (R5, R20).
        let (s, v) = call(&w, Some(&mandataire), "POST", "/forms413", Some(serde_json::to_value(&f).unwrap())).await;
        assert_eq!((s, v["rule"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("R20")), "{v}");
        let (s, _) = call(
            &w,
            Some(&w.op),
            "POST",
            &format!("/roles/{}/decision", role["id"].as_str().unwrap()),
            Some(json!({ "approve": true })),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        habilitate(&w, &mandataire, &mandataire, &f, Sign::Cms).await;
        assert_eq!(administrators(&w, &lr, &main).await, [admin.number.clone()]);

        // R13 — société d'exercice: the SIRET of the practice.
        let partner = directory_card(&w, seed::SOCIETE_EXERCICE_RADIOLOGISTS_RPPS[0]).await;
        contract(&w, &format!("3{}", seed::SOCIETE_EXERCICE_SIRET), Some(&partner)).await;
        let siret = format!("3{}", seed::SOCIETE_EXERCICE_SIRET);
        let f = t::form(
            StructureCase::SocieteExercice,
            &[siret.clone()],
            &partner,
            SignerRole::LegalRepresentative,
            &[admin],
        );
        habilitate(&w, admin, &partner, &f, Sign::Cms).await;
        assert_eq!(administrators(&w, &partner, &siret).await, [admin.number.clone()]);

        // R14, R26 — the radiologist with six SCM practices and a SELARL: the pre-fill proposes
        // two RPPS-rang forms (4 + 2) and one SIRET form; he signs each as holder or legal
        // representative.
        let radiologist = t::credentials(&w.reg, seed::SCM_RADIOLOGIST_CARD).await;
        contract(&w, &format!("8{}", seed::SCM_RADIOLOGIST_RPPS), None).await;
        contract(&w, &format!("3{}", seed::SCM_RADIOLOGIST_SIRET), Some(&radiologist)).await;
        let (s, v) =
            call(&w, Some(admin), "GET", &format!("/prefill?professional=8{}", seed::SCM_RADIOLOGIST_RPPS), None).await;
        assert_eq!(s, StatusCode::OK);
        let proposals = v["proposals"].as_array().unwrap();
        let shape: Vec<(String, usize)> = proposals
            .iter()
            .map(|p| (p["case"].as_str().unwrap().to_owned(), p["identifiers"].as_array().unwrap().len()))
            .collect();
        assert_eq!(
            shape,
            [("scm-practice".into(), 4), ("scm-practice".into(), 2), ("societe-exercice".into(), 1)],
            "{v}"
        );
        let mut expected = Vec::new();
        for p in proposals {
            let ids: Vec<String> =
                p["identifiers"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
            let case: StructureCase = serde_json::from_value(p["case"].clone()).unwrap();
            let role = if case == StructureCase::ScmPractice {
                SignerRole::PracticeHolder
            } else {
                SignerRole::LegalRepresentative
            };
            let f = t::form(case, &ids, &radiologist, role, &[admin]);
            let v = habilitate(&w, admin, &radiologist, &f, Sign::Cms).await;
            assert_eq!(v["habilitations"].as_array().unwrap().len(), ids.len());
            expected.extend(ids);
        }
        assert_eq!(expected.len(), 7);
        for id in &expected {
            assert_eq!(administrators(&w, &radiologist, id).await, [admin.number.clone()], "{id}");
        }

        // R15 — radiology GIE: its FINESS.
        let gie_lr = directory_card(&w, seed::RADIOLOGY_GIE_RADIOLOGISTS_RPPS[0]).await;
        contract(&w, &format!("1{}", seed::RADIOLOGY_GIE_EJ), Some(&gie_lr)).await;
        let gie = format!("1{}", seed::RADIOLOGY_GIE_EG);
        let f =
            t::form(StructureCase::RadiologyGroup, &[gie.clone()], &gie_lr, SignerRole::LegalRepresentative, &[admin]);
        habilitate(&w, admin, &gie_lr, &f, Sign::Session).await;
        assert_eq!(administrators(&w, &gie_lr, &gie).await, [admin.number.clone()]);

        // R16 — ESSMS manager with three EG: one form on the FINESS juridique, signed by its
        // director (CDE), valid for all its sites.
        let ej = format!("1{}", seed::ESSMS_EJ);
        let director = t::new_card(&w.reg, "CDE", "DIRECTRICE", "CAMILLE", &ej).await;
        contract(&w, &ej, Some(&director)).await;
        let f = t::form(
            StructureCase::MedicoSocialManager,
            &[ej.clone()],
            &director,
            SignerRole::LegalRepresentative,
            &[admin],
        );
        habilitate(&w, admin, &director, &f, Sign::Cms).await;
        assert_eq!(administrators(&w, &director, &ej).await, [admin.number.clone()]);
        for eg in seed::ESSMS_EGS {
            assert!(administrators(&w, &director, &format!("1{eg}")).await.is_empty());
        }

        // R17 — hospital with the PRO offer: the SIRET, the mail domain, its own IT staff (CPE).
        let ej = format!("1{}", seed::HOSPITAL_EJ);
        let director = t::new_card(&w.reg, "CDE", "DIRECTEUR", "PAUL", &ej).await;
        let it = t::new_card(&w.reg, "CPE", "INFORMATICIENNE", "LEA", &format!("1{}", seed::HOSPITAL_EG)).await;
        contract(&w, &ej, Some(&director)).await;
        let siret = format!("3{}", seed::HOSPITAL_SIRET);
        let mut f =
            t::form(StructureCase::Establishment, &[siret.clone()], &director, SignerRole::LegalRepresentative, &[&it]);
        f.offers.pro = true;
        f.offers.pro_mail_domain = Some("ch-montvert.fr".into());
        f.site = Some(t::establishment_site(&w.reg, seed::HOSPITAL_EG).await);
        habilitate(&w, &it, &director, &f, Sign::Cms).await;
        assert_eq!(administrators(&w, &director, &siret).await, [it.number.clone()]);

        // The administrator's own view (R27): every structure above but the hospital's.
        let (_, v) = call(&w, Some(admin), "GET", "/habilitations", None).await;
        assert_eq!(v["habilitations"].as_array().unwrap().len(), 1 + 1 + 1 + 1 + 7 + 1 + 1, "{label}");

        // Audit (who, what, when, before and after) for every step of a form.
        let events =
            santepki_storage::audit::events_for(w.db.db.pool(), &format!("form413:{pharmacy_form}")).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["form413.prepared", "form413.signed", "form413.validated"]);
        assert_eq!(events[1].actor, format!("card:{}", pharmacist.number));
        assert!(
            events[2].before_json.as_deref().unwrap().contains("acknowledged")
                && events[2].after_json.as_deref().unwrap().contains("validated")
        );

        // R49 — the vendor moves its administrator's habilitations to a colleague: no new form,
        // and each client sees the new administrator.
        let (s, v) = call(
            &w,
            Some(&w.vendor_lr),
            "POST",
            &format!("/vendors/{}/habilitations/transfer", w.vendor),
            Some(json!({ "from_card": admin.number, "to_card": w.admin2.number })),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["moved"], 13);
        assert_eq!(administrators(&w, &pharmacist, &eg).await, [w.admin2.number.clone()]);
        assert_eq!(
            administrators(&w, &lbm_lr, &format!("1{}", seed::LBM_SELAS_MAIN_EG)).await,
            sorted(vec![w.admin2.number.clone(), biologist.number.clone()])
        );
        let (_, v) = call(&w, Some(admin), "GET", "/habilitations", None).await;
        assert_eq!(v["habilitations"].as_array().unwrap().len(), 0);
        // R7 (form 503): the LBM replaces its biologist administrator by another one, without a
        // new form 413; the vendor's administrator may not do it for the LBM.
        let successor = directory_card(&w, seed::LBM_SELAS_BIOLOGISTS_RPPS[2]).await;
        let main = format!("1{}", seed::LBM_SELAS_MAIN_EG);
        let change = json!({ "from_card": biologist.number, "to_card": successor.number });
        let (s, _) =
            call(&w, Some(&w.admin2), "POST", &format!("/structures/{main}/administrators"), Some(change.clone()))
                .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = call(&w, Some(&lbm_lr), "POST", &format!("/structures/{main}/administrators"), Some(change)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(
            administrators(&w, &lbm_lr, &main).await,
            sorted(vec![w.admin2.number.clone(), successor.number.clone()])
        );
        let (s, v) = call(
            &w,
            Some(&lbm_lr),
            "POST",
            &format!("/structures/{main}/administrators"),
            Some(json!({ "to_card": seed::EXPIRED_CARD })),
        )
        .await;
        assert_eq!((s, v["rule"].as_str()), (StatusCode::BAD_REQUEST, Some("R2")), "{v}");
        // A structure withdraws a habilitation it no longer wants.
        let (_, v) = call(&w, Some(&pharmacist), "GET", &format!("/structures/{eg}/habilitations"), None).await;
        let hab = v["habilitations"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(v["habilitations"][0]["vendor_name"], "EDITEUR DE TEST");
        let (s, v) = call(
            &w,
            Some(&pharmacist),
            "POST",
            &format!("/habilitations/{hab}/withdrawal"),
            Some(json!({ "reason": "changement de logiciel" })),
        )
        .await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("withdrawn")), "{v}");
        assert!(administrators(&w, &pharmacist, &eg).await.is_empty());

        // Mail (R24, R25): acknowledgement with the reference, then the decision, delivered over
        // SMTP to the signer, the administrators and the back office.
        let delivered = w.reg.deliver_mail().await.unwrap();
        assert!(delivered.sent > 20 && delivered.failed == 0, "{delivered:?}");
        let (_, form) = call(&w, Some(&pharmacist), "GET", &format!("/forms413/{pharmacy_form}"), None).await;
        let reference = form["reference"].as_str().unwrap();
        let messages = server.messages();
        let about: Vec<&String> = messages.iter().filter(|m| m.contains(reference)).collect();
        assert!(
            about.iter().any(|m| m.contains(&format!("To: {}@example.org", pharmacist.number))
                || m.contains(&format!("{}@example.org", pharmacist.number))),
            "no acknowledgement to the signer"
        );
        assert!(about.iter().any(|m| m.contains("back-office@agence.test")), "no copy to the back office");
        assert!(about.iter().any(|m| m.contains("valid")), "no validation mail: {about:?}");
        // Nothing is sent twice.
        assert_eq!(w.reg.deliver_mail().await.unwrap().sent, 0);
    }
}

/// The number of the card whose holder is named `last_name`.
async fn v_number(w: &World, last_name: &str) -> String {
    testing::card_number_of(&w.db.db, last_name).await.unwrap()
}

/// A form body for the misuse tests.
fn body(f: &Form413) -> Value {
    serde_json::to_value(f).unwrap()
}

async fn refused(w: &World, card: &TestCard, f: &Form413) -> (String, String) {
    let (s, v) = call(w, Some(card), "POST", "/forms413", Some(body(f))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "form_refused");
    (v["refusals"][0]["rule"].as_str().unwrap().to_owned(), v["refusals"][0]["field"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misuses_are_refused_with_their_rule() {
    for db in testing::both().await {
        let w = world(db, MailSettings::default()).await;
        let admin = &w.admin;
        let pharmacist = t::credentials(&w.reg, seed::PHARMACIST_CARD).await;
        contract(&w, &format!("1{}", seed::PHARMACY_EJ), Some(&pharmacist)).await;
        let eg = format!("1{}", seed::PHARMACY_EG);
        let good =
            t::form(StructureCase::Pharmacy, &[eg.clone()], &pharmacist, SignerRole::LegalRepresentative, &[admin]);

        // Wrong identifier kind for the structure (R10: FINESS géographique, not juridique).
        let mut f = good.clone();
        f.identifiers = vec![format!("1{}", seed::PHARMACY_EJ)];
        assert_eq!(refused(&w, admin, &f).await, ("R10".into(), "/identifiers/0".into()));

        // A SIRET on an SCM form (R14).
        let radiologist = t::credentials(&w.reg, seed::SCM_RADIOLOGIST_CARD).await;
        contract(&w, &format!("8{}", seed::SCM_RADIOLOGIST_RPPS), None).await;
        let f = t::form(
            StructureCase::ScmPractice,
            &[format!("3{}", seed::SCM_RADIOLOGIST_SIRET)],
            &radiologist,
            SignerRole::PracticeHolder,
            &[admin],
        );
        assert_eq!(refused(&w, admin, &f).await, ("R14".into(), "/identifiers/0".into()));

        // Five RPPS rang on one form (R14: at most four).
        let five: Vec<String> = seed::SCM_RADIOLOGIST_RPPS_RANGS[..5].iter().map(|r| format!("4{r}")).collect();
        let f = t::form(StructureCase::ScmPractice, &five, &radiologist, SignerRole::PracticeHolder, &[admin]);
        assert_eq!(refused(&w, admin, &f).await, ("R14".into(), "/identifiers".into()));

        // PRO without a mail domain (R17).
        let ej = format!("1{}", seed::HOSPITAL_EJ);
        let director = t::new_card(&w.reg, "CDE", "DIRECTEUR", "PAUL", &ej).await;
        contract(&w, &ej, Some(&director)).await;
        let mut f = t::form(
            StructureCase::Establishment,
            &[format!("3{}", seed::HOSPITAL_SIRET)],
            &director,
            SignerRole::LegalRepresentative,
            &[admin],
        );
        f.offers.pro = true;
        assert_eq!(refused(&w, admin, &f).await, ("R17".into(), "/offers/pro_mail_domain".into()));

        // Expired and opposed (revoked) administrator cards (R2, R21).
        for bad in [seed::EXPIRED_CARD, seed::OPPOSED_CARD] {
            let mut f = good.clone();
            let mut p = admin.person();
            p.card_number = bad.into();
            f.administrators.push(p);
            assert_eq!(refused(&w, admin, &f).await, ("R2".into(), "/administrators/1/card_number".into()), "{bad}");
        }

        // No contract (R3): the GIE has none yet.
        let gie_lr = directory_card(&w, seed::RADIOLOGY_GIE_RADIOLOGISTS_RPPS[0]).await;
        let f = t::form(
            StructureCase::RadiologyGroup,
            &[format!("1{}", seed::RADIOLOGY_GIE_EG)],
            &gie_lr,
            SignerRole::LegalRepresentative,
            &[admin],
        );
        assert_eq!(refused(&w, admin, &f).await, ("R3".into(), "/identifiers/0".into()));

        // A signer who is not the legal representative, a mandataire or the holder (R20): the
        // assistant pharmacist.
        let assistant = directory_card(&w, seed::PHARMACY_ASSISTANT_RPPS).await;
        let mut f = good.clone();
        f.signer.person = assistant.person();
        assert_eq!(refused(&w, &assistant, &f).await, ("R20".into(), "/identifiers/0".into()));

        // The right form, but signed by someone else's card (R20), or with a signature over
        // other bytes (R47).
        let (s, v) = call(&w, Some(admin), "POST", "/forms413", Some(body(&good))).await;
        assert_eq!(s, StatusCode::CREATED);
        let id = v["id"].as_str().unwrap().to_owned();
        let content = v["content"].as_str().unwrap().to_owned();
        let post_cms = |card: &TestCard, cms: Vec<u8>| {
            client(Some(card))
                .post(format!("{}/forms413/{id}/signature", w.api))
                .header("content-type", "application/pkcs7-signature")
                .body(cms)
                .send()
        };
        let resp = post_cms(admin, admin.sign(content.as_bytes())).await.unwrap();
        let (s, v): (_, Value) = (resp.status(), resp.json().await.unwrap());
        assert_eq!(
            (s, v["error"].as_str(), v["rule"].as_str()),
            (StatusCode::FORBIDDEN, Some("not_the_signer"), Some("R20")),
            "{v}"
        );
        let resp = post_cms(&pharmacist, pharmacist.sign(b"another text")).await.unwrap();
        let (s, v): (_, Value) = (resp.status(), resp.json().await.unwrap());
        assert_eq!(
            (s, v["error"].as_str(), v["rule"].as_str()),
            (StatusCode::BAD_REQUEST, Some("signature_invalid"), Some("R47")),
            "{v}"
        );
        let resp = post_cms(&pharmacist, b"garbage".to_vec()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        // The signer's CMS made with another card's key but the signer's certificate fails too.
        let forged = santepki_authority::testing::cms_sign(&admin.key, &pharmacist.cert_der, content.as_bytes());
        let resp = post_cms(&pharmacist, forged).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let v = sign(&w, &pharmacist, &id, Sign::Cms).await;
        assert_eq!(v["state"], "acknowledged");

        // An operator never decides a form of a structure where they practise (the assistant
        // pharmacist made operator), nor rejects without a reason.
        w.reg.add_operator(&assistant.number, "cli:test").await.unwrap();
        let (s, v) = call(
            &w,
            Some(&assistant),
            "POST",
            &format!("/forms413/{id}/decision"),
            Some(json!({ "decision": "validate" })),
        )
        .await;
        assert_eq!(
            (s, v["error"].as_str(), v["rule"].as_str()),
            (StatusCode::FORBIDDEN, Some("operator_conflict"), Some("R24")),
            "{v}"
        );
        let (s, v) =
            call(&w, Some(&w.op), "POST", &format!("/forms413/{id}/decision"), Some(json!({ "decision": "reject" })))
                .await;
        assert_eq!(
            (s, v["field"].as_str(), v["rule"].as_str()),
            (StatusCode::BAD_REQUEST, Some("reason"), Some("R24")),
            "{v}"
        );
        let (s, v) = call(
            &w,
            Some(&w.op),
            "POST",
            &format!("/forms413/{id}/decision"),
            Some(json!({ "decision": "reject", "reason": "pièce manquante" })),
        )
        .await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("rejected")), "{v}");
        assert!(v["habilitations"].as_array().unwrap().is_empty());
        // Decided once only.
        let (s, _) =
            call(&w, Some(&w.op), "POST", &format!("/forms413/{id}/decision"), Some(json!({ "decision": "validate" })))
                .await;
        assert_eq!(s, StatusCode::CONFLICT);

        // The queue shows signed files with their age in working days (R24).
        let (s, v) = call(&w, Some(&w.op), "POST", "/forms413", Some(body(&good))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id2 = v["id"].as_str().unwrap().to_owned();
        sign(&w, &pharmacist, &id2, Sign::Session).await;
        let (_, v) = call(&w, Some(&w.op), "GET", "/back-office/queue", None).await;
        let q = v["forms"].as_array().unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(
            (q[0]["id"].as_str(), q[0]["age_working_days"].as_u64(), q[0]["overdue"].as_bool()),
            (Some(id2.as_str()), Some(0), Some(false))
        );

        // Cards at the door (R2, R27): no card is 401; a card that expired or was opposed in
        // the register stops working at once.
        let (s, v) = call(&w, None, "GET", "/me", None).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("card_required")));
        let leaving = t::new_card(&w.reg, "CPA", "DEPART", "JULES", &format!("3{VENDOR_SIRET}")).await;
        assert_eq!(call(&w, Some(&leaving), "GET", "/me", None).await.0, StatusCode::OK);
        testing::set_card_valid_until(&w.db.db, &leaving.number, "2020-01-01").await.unwrap();
        let (s, v) = call(&w, Some(&leaving), "GET", "/me", None).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("card_invalid")), "{v}");
        // An operator registers a card over the API; a bad type names its field.
        let (s, v) = call(&w, Some(&w.op), "POST", "/cards", Some(json!({ "card_type": "CPA", "last_name": "Perdu", "first_name": "Marc", "structure": format!("3{VENDOR_SIRET}") }))).await;
        assert_eq!(
            (s, v["card_type"].as_str(), v["valid_until"].is_string()),
            (StatusCode::CREATED, Some("CPA"), true),
            "{v}"
        );
        let (s, v) = call(&w, Some(&w.op), "POST", "/cards", Some(json!({ "card_type": "XYZ", "last_name": "A", "first_name": "B", "structure": format!("3{VENDOR_SIRET}") }))).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("card_type")), "{v}");
        let opposed = t::credentials(&w.reg, v_number(&w, "PERDU").await.as_str()).await;
        let (s, _) = call(&w, Some(&w.op), "POST", &format!("/cards/{}/opposition", opposed.number), None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = call(&w, Some(&opposed), "GET", "/me", None).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("card_certificate_revoked")), "{v}");
    }
}

/// Every action of the API tried by people with no business with the LBM SELAS — another
/// structure's legal representative, a vendor administrator not on its forms, a professional
/// with no role, the vendor's legal representative — is refused, and the LBM's records are
/// unchanged; without a card every route is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_matrix() {
    for db in testing::both().await {
        let w = world(db, MailSettings::default()).await;
        let pharmacist = t::credentials(&w.reg, seed::PHARMACIST_CARD).await;
        let a_contract = contract(&w, &format!("1{}", seed::PHARMACY_EJ), Some(&pharmacist)).await;
        // The pharmacy's mandataire (R5): requested by its legal representative, approved.
        let mandataire = directory_card(&w, seed::PHARMACY_ASSISTANT_RPPS).await;
        let (_, v) = call(
            &w,
            Some(&pharmacist),
            "POST",
            &format!("/contracts/{a_contract}/roles"),
            Some(json!({ "kind": "mandataire", "card_number": mandataire.number })),
        )
        .await;
        let (s, _) = call(
            &w,
            Some(&w.op),
            "POST",
            &format!("/roles/{}/decision", v["id"].as_str().unwrap()),
            Some(json!({ "approve": true })),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let lr = t::credentials(&w.reg, seed::LBM_SELAS_LEGAL_REP_CARD).await;
        let b_contract = contract(&w, &format!("1{}", seed::LBM_SELAS_EJ), Some(&lr)).await;
        let main = format!("1{}", seed::LBM_SELAS_MAIN_EG);
        // B's records: a validated form with a habilitation, a signed one, one awaiting its
        // signature, a role request.
        let admin_b = lr_admin(&w).await;
        let f = t::form(StructureCase::LbmSelas, &[main.clone()], &lr, SignerRole::LegalRepresentative, &[&admin_b]);
        habilitate(&w, &lr, &lr, &f, Sign::Session).await;
        let (_, v) = call(&w, Some(&lr), "POST", "/forms413", Some(body(&f))).await;
        let signed = v["id"].as_str().unwrap().to_owned();
        sign(&w, &lr, &signed, Sign::Session).await;
        let (_, v) = call(&w, Some(&lr), "POST", "/forms413", Some(body(&f))).await;
        let pending = v["id"].as_str().unwrap().to_owned();
        let (_, v) = call(&w, Some(&lr), "GET", &format!("/structures/{main}/habilitations"), None).await;
        let hab = v["habilitations"][0]["id"].as_str().unwrap().to_owned();
        let (_, v) = call(&w, Some(&lr), "GET", &format!("/contracts/{b_contract}"), None).await;
        let lr_role = v["roles"][0]["id"].as_str().unwrap().to_owned();
        let biologist = directory_card(&w, seed::LBM_SELAS_BIOLOGISTS_RPPS[2]).await;
        let (_, v) = call(
            &w,
            Some(&lr),
            "POST",
            &format!("/contracts/{b_contract}/roles"),
            Some(json!({ "kind": "mandataire", "card_number": biologist.number })),
        )
        .await;
        let request = v["id"].as_str().unwrap().to_owned();

        let test_ps = t::credentials(&w.reg, seed::TEST_PS_CARD).await;
        let outsiders: Vec<(&str, &TestCard)> = vec![
            ("other structure's legal representative", &pharmacist),
            ("other structure's mandataire", &mandataire),
            ("vendor administrator", &w.admin),
            ("professional without role", &test_ps),
            ("vendor's legal representative", &w.vendor_lr),
        ];
        let transfer = json!({ "from_card": admin_b.number, "to_card": w.admin.number });
        let actions: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", format!("/forms413/{pending}"), None),
            ("GET", format!("/forms413/{pending}/content"), None),
            ("POST", format!("/forms413/{pending}/signature"), Some(json!({ "method": "session" }))),
            ("POST", format!("/forms413/{pending}/withdrawal"), None),
            ("POST", format!("/forms413/{signed}/decision"), Some(json!({ "decision": "validate" }))),
            ("POST", format!("/forms413/{signed}/decision"), Some(json!({ "decision": "reject", "reason": "x" }))),
            ("POST", "/forms413".into(), Some(body(&f))),
            ("GET", format!("/structures/{main}/habilitations"), None),
            (
                "POST",
                format!("/structures/{main}/administrators"),
                Some(json!({ "from_card": admin_b.number, "to_card": w.admin.number })),
            ),
            ("POST", format!("/habilitations/{hab}/withdrawal"), Some(json!({ "reason": "x" }))),
            ("GET", format!("/contracts/{b_contract}"), None),
            (
                "POST",
                format!("/contracts/{b_contract}/roles"),
                Some(json!({ "kind": "mandataire", "card_number": test_ps.number })),
            ),
            ("POST", format!("/contracts/{b_contract}/termination"), None),
            ("POST", "/contracts".into(), Some(json!({ "legal_entity": format!("1{}", seed::LBM_MULTISITE_EJ) }))),
            ("POST", format!("/roles/{lr_role}/end"), None),
            ("POST", format!("/roles/{request}/decision"), Some(json!({ "approve": true }))),
            ("GET", "/role-requests".into(), None),
            ("GET", "/back-office/queue".into(), None),
            ("GET", format!("/cards/{}", lr.number), None),
            ("POST", format!("/cards/{}/opposition", lr.number), None),
            (
                "POST",
                "/cards".into(),
                Some(
                    json!({ "card_type": "CPA", "last_name": "X", "first_name": "Y", "structure": format!("1{}", seed::LBM_SELAS_EJ) }),
                ),
            ),
            ("POST", format!("/vendors/{}/habilitations/transfer", w.vendor), Some(transfer.clone())),
            ("GET", format!("/vendors/{}/habilitations", w.vendor), None),
        ];
        let mut tried = 0;
        for (who, card) in &outsiders {
            for (method, path, b) in &actions {
                // The vendor's own legal representative manages the vendor's habilitations: not
                // someone else's.
                if *who == "vendor's legal representative" && path.starts_with("/vendors/") {
                    continue;
                }
                let (s, v) = call(&w, Some(card), method, path, b.clone()).await;
                assert!(
                    matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                    "{who}: {method} {path} was {s} {v}"
                );
                tried += 1;
            }
        }
        assert!(tried >= 100, "{tried}");
        // Nothing of B's changed.
        let (_, v) = call(&w, Some(&lr), "GET", &format!("/forms413/{pending}"), None).await;
        assert_eq!(v["state"], "awaiting-signature");
        let (_, v) = call(&w, Some(&lr), "GET", &format!("/forms413/{signed}"), None).await;
        assert_eq!(v["state"], "acknowledged");
        assert_eq!(administrators(&w, &lr, &main).await, [admin_b.number.clone()]);
        let (_, v) = call(&w, Some(&lr), "GET", &format!("/contracts/{b_contract}"), None).await;
        assert_eq!(v["contract"]["state"], "active");
        assert_eq!(call(&w, Some(&lr), "GET", "/me", None).await.0, StatusCode::OK);
        let (_, v) = call(&w, Some(&w.op), "GET", "/role-requests", None).await;
        assert_eq!(v["roles"].as_array().unwrap().len(), 1);

        // Without a card, every route is 401.
        for (method, path, b) in &actions {
            let (s, v) = call(&w, None, method, path, b.clone()).await;
            assert_eq!((s, v["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("card_required")), "{method} {path}");
        }
        // And the OpenAPI document describes the routes.
        let doc: Value =
            client(None).get(format!("{}/openapi.json", w.api)).send().await.unwrap().json().await.unwrap();
        assert!(doc["paths"]["/api/v1/forms413/{id}/signature"]["post"].is_object());
        assert!(doc["components"]["schemas"]["Form413"].is_object());
    }
}

/// The LBM's own administrator: one of its biologists.
async fn lr_admin(w: &World) -> TestCard {
    directory_card(w, seed::LBM_SELAS_BIOLOGISTS_RPPS[1]).await
}

/// R48: a vendor's administrator submits the forms of several client practices at once; each
/// client's holder signs their own; an operator decides the lot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_submission_for_a_vendor() {
    for db in testing::both().await {
        let w = world(db, MailSettings::default()).await;
        let holder = t::credentials(&w.reg, seed::TEST_PS_CARD).await;
        contract(&w, &format!("8{}", seed::TEST_PS_RPPS), None).await;
        let rangs: Vec<String> =
            seed::TEST_PS_SITUATIONS.iter().filter(|s| s.ou.starts_with('4')).map(|s| s.ou.to_owned()).collect();
        assert_eq!(rangs.len(), 3);
        let mut forms: Vec<Form413> = rangs
            .iter()
            .map(|r| {
                t::form(StructureCase::ScmPractice, &[r.clone()], &holder, SignerRole::PracticeHolder, &[&w.admin])
            })
            .collect();
        // One form without the submitting administrator, one for a structure without contract.
        forms.push(t::form(
            StructureCase::ScmPractice,
            &[rangs[0].clone()],
            &holder,
            SignerRole::PracticeHolder,
            &[&w.admin2],
        ));
        let (s, v) = call(&w, Some(&w.admin), "POST", "/forms413/bulk", Some(json!({ "forms": forms }))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["accepted"].as_array().unwrap().len(), 3);
        assert_eq!(
            (v["refused"][0]["index"].as_u64(), v["refused"][0]["refusals"][0]["rule"].as_str()),
            (Some(3), Some("R48"))
        );
        let bulk = v["bulk_id"].as_str().unwrap().to_owned();
        // Only a vendor administrator submits in bulk.
        let (s, _) = call(&w, Some(&holder), "POST", "/forms413/bulk", Some(json!({ "forms": [forms[0]] }))).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        for a in v["accepted"].as_array().unwrap() {
            let id = a["id"].as_str().unwrap();
            let cms = holder.sign(a["content"].as_str().unwrap().as_bytes());
            let resp = client(Some(&holder))
                .post(format!("{}/forms413/{id}/signature", w.api))
                .header("content-type", "application/pkcs7-signature")
                .body(cms)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
        }
        let (s, v) = call(
            &w,
            Some(&w.op),
            "POST",
            &format!("/forms413/bulk/{bulk}/decision"),
            Some(json!({ "decision": "validate" })),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!((v["decided"].as_u64(), v["habilitations"].as_u64()), (Some(3), Some(3)));
        let (_, v) = call(&w, Some(&w.admin), "GET", "/habilitations", None).await;
        let mut got: Vec<String> = v["habilitations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["idnat_struct"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        assert_eq!(got, sorted(rangs.clone()));
        assert!(v["habilitations"].as_array().unwrap().iter().all(|h| h["vendor"] == w.vendor.as_str()));
        // The vendor sees its client base; its administrator cannot leave while administering.
        let (s, v) = call(&w, Some(&w.vendor_lr), "GET", &format!("/vendors/{}/habilitations", w.vendor), None).await;
        assert_eq!((s, v["habilitations"].as_array().unwrap().len()), (StatusCode::OK, 3));
        let (_, me) = call(&w, Some(&w.admin), "GET", "/me", None).await;
        let role = me["roles"].as_array().unwrap().iter().find(|r| r["kind"] == "vendor-administrator").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (s, v) = call(&w, Some(&w.vendor_lr), "POST", &format!("/roles/{role}/end"), None).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("habilitations_remaining")), "{v}");
    }
}

fn csr_pem() -> String {
    let (der, _key) = santepki_authority::testing::csr(KeyAlgorithm::EcdsaP256);
    der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der).unwrap()
}

/// Ordering (R27–R37) over the API for a habilitated administrator: the DMP pair from CSRs
/// verified by `openssl verify`, online generation opened by `openssl pkcs12`, the rules refused
/// with their ids, isolation from another administrator, revocation and renewal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordering_for_habilitated_structures() {
    for db in testing::both().await {
        let w = world(db, MailSettings::default()).await;
        let admin = &w.admin;
        let pharmacist = t::credentials(&w.reg, seed::PHARMACIST_CARD).await;
        contract(&w, &format!("1{}", seed::PHARMACY_EJ), Some(&pharmacist)).await;
        let eg = format!("1{}", seed::PHARMACY_EG);
        habilitate(
            &w,
            admin,
            &pharmacist,
            &t::form(StructureCase::Pharmacy, &[eg.clone()], &pharmacist, SignerRole::LegalRepresentative, &[admin]),
            Sign::Session,
        )
        .await;
        let work = tempfile::tempdir().unwrap();
        let bundle = work.path().join("bundle.pem");
        std::fs::write(&bundle, w.reg.authority().unwrap().bundle_pem()).unwrap();

        // The DMP pair (R29) from CSRs, each verified by openssl against the CA bundle.
        let mut ids = Vec::new();
        for (profile, service) in [("org-auth-cli", "DMP AUTHENTIFICATION"), ("org-sign", "DMP SIGNATURE")] {
            let (s, v) = call(&w, Some(admin), "POST", "/products", Some(json!({
                "profile": profile, "structure": eg, "service": service, "actor_email": "it@pharmacie.test", "copy_email": "titulaire@pharmacie.test", "csr": csr_pem(),
            }))).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            let id = v["product"]["id"].as_str().unwrap().to_owned();
            let pem = client(Some(admin))
                .get(format!("{}/products/{id}/certificate", w.api))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let file = work.path().join(format!("{profile}.pem"));
            std::fs::write(&file, &pem).unwrap();
            let out = std::process::Command::new("openssl")
                .arg("verify")
                .arg("-CAfile")
                .arg(&bundle)
                .arg(&file)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
            ids.push(id);
        }
        // Online generation (R31): the PKCS#12 opens with the chosen passphrase, once.
        let (s, v) = call(&w, Some(admin), "POST", "/products", Some(json!({
            "profile": "org-auth-cli", "structure": eg, "service": "INSI-AUTO", "actor_email": "it@pharmacie.test", "generate": { "passphrase": "une phrase secrète" },
        }))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let p12 =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, v["pkcs12_base64"].as_str().unwrap())
                .unwrap();
        let p12_file = work.path().join("insi.p12");
        std::fs::write(&p12_file, p12).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["pkcs12", "-nokeys", "-passin", "pass:une phrase secrète", "-in"])
            .arg(&p12_file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let insi = v["product"]["id"].as_str().unwrap().to_owned();
        let (_, v) = call(&w, Some(admin), "GET", &format!("/products/{insi}"), None).await;
        assert!(v.get("pkcs12_base64").is_none() && v["key_origin"] == "generated");
        assert_eq!(v["channel"], "api", "ordered through the API (R33): {v}");

        // Refusals with their rules.
        let order = |service: Value, email: Value, structure: &str| json!({ "profile": "org-auth-cli", "structure": structure, "service": service, "actor_email": email, "csr": csr_pem() });
        let (s, v) =
            call(&w, Some(admin), "POST", "/products", Some(order(json!("INSI AUTO"), json!("a@b.fr"), &eg))).await;
        assert_eq!(
            (s, v["rule"].as_str(), v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("R29"), Some("service")),
            "{v}"
        );
        let (s, v) =
            call(&w, Some(admin), "POST", "/products", Some(order(json!("DMP AUTHENTIFICATION"), json!(""), &eg)))
                .await;
        assert_eq!((s, v["rule"].as_str()), (StatusCode::BAD_REQUEST, Some("R30")), "{v}");
        let (s, v) = call(
            &w,
            Some(admin),
            "POST",
            "/products",
            Some(order(json!("DMP AUTHENTIFICATION"), json!("a@b.fr"), &format!("1{}", seed::LBM_SELAS_MAIN_EG))),
        )
        .await;
        assert_eq!((s, v["rule"].as_str()), (StatusCode::FORBIDDEN, Some("R27")), "{v}");
        // Issue 15, point 1 (R23): the pharmacy declared the ORG offer only: no SERV SSL for a
        // name it never declared, no PRO certificate.
        let rpps = format!("8{}", seed::PHARMACIST_RPPS);
        for body in [
            json!({ "profile": "serv-ssl", "structure": eg, "dns": ["www.google.com"], "actor_email": "a@b.fr", "csr": csr_pem() }),
            json!({ "profile": "pro-auth", "structure": eg, "professional": rpps, "actor_email": "a@b.fr", "csr": csr_pem() }),
        ] {
            let (s, v) = call(&w, Some(admin), "POST", "/products", Some(body)).await;
            assert_eq!(
                (s, v["error"].as_str(), v["rule"].as_str()),
                (StatusCode::FORBIDDEN, Some("offer_not_declared"), Some("R23")),
                "{v}"
            );
        }

        // Isolation: another administrator sees, downloads, renews and revokes nothing of these,
        // even with the product numbers.
        let (_, v) = call(&w, Some(&w.admin2), "GET", "/products", None).await;
        assert_eq!(v["total"], 0);
        let (_, mine) = call(&w, Some(admin), "GET", &format!("/products/{}", ids[0]), None).await;
        for key in [ids[0].clone(), mine["number"].as_str().unwrap().to_owned()] {
            for (method, path, b) in [
                ("GET", format!("/products/{key}"), None),
                ("GET", format!("/products/{key}/certificate"), None),
                ("POST", format!("/products/{key}/revocation"), Some(json!({ "reason": "keyCompromise" }))),
                ("POST", format!("/products/{key}/renewal"), Some(json!({ "csr": csr_pem() }))),
            ] {
                let (s, _) = call(&w, Some(&w.admin2), method, &path, b).await;
                assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}");
            }
        }

        // The list, paged.
        let (s, v) = call(&w, Some(admin), "GET", "/products?limit=2&offset=0", None).await;
        assert_eq!((s, v["total"].as_i64(), v["products"].as_array().unwrap().len()), (StatusCode::OK, Some(3), 2));
        let (s, v) = call(&w, Some(admin), "GET", "/products?limit=0", None).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")));
        // Sorted and filtered like the portal's table (R33).
        let (s, v) = call(&w, Some(admin), "GET", "/products?sort=number&order=asc", None).await;
        let numbers: Vec<&str> =
            v["products"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap()).collect();
        assert!(s == StatusCode::OK && numbers.len() == 3 && numbers.windows(2).all(|w| w[0] < w[1]), "{v}");
        let (_, v) = call(&w, Some(admin), "GET", "/products?q=insi", None).await;
        let found = v["products"].as_array().unwrap();
        assert!(
            !found.is_empty()
                && found.len() < 3
                && found.iter().all(|p| p["service"].as_str().unwrap().contains("INSI")),
            "{v}"
        );
        let (_, v) = call(&w, Some(admin), "GET", &format!("/products?structure={eg}&offer=PRO"), None).await;
        assert_eq!(v["total"], 0, "{v}");
        for (query, field) in [("sort=cost", "sort"), ("order=up", "order"), ("offer=XYZ", "offer")] {
            let (s, v) = call(&w, Some(admin), "GET", &format!("/products?{query}"), None).await;
            assert_eq!((s, v["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{query}: {v}");
        }

        // Renewal (R37): a new key only; then revocation, after which it cannot be renewed.
        let (s, v) =
            call(&w, Some(admin), "POST", &format!("/products/{}/renewal", ids[0]), Some(json!({ "csr": csr_pem() })))
                .await;
        assert_eq!((s, v["product"]["renewal_of"].as_str()), (StatusCode::CREATED, Some(ids[0].as_str())), "{v}");
        let renewed_csr = csr_pem();
        let (s, _) = call(
            &w,
            Some(admin),
            "POST",
            &format!("/products/{}/renewal", ids[1]),
            Some(json!({ "csr": renewed_csr })),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, v) = call(
            &w,
            Some(admin),
            "POST",
            &format!("/products/{}/renewal", ids[1]),
            Some(json!({ "csr": renewed_csr })),
        )
        .await;
        // Issue 15 point 17: 409 with its rule, as the OpenAPI document declares.
        assert_eq!((s, v["rule"].as_str()), (StatusCode::CONFLICT, Some("R37")), "the same key twice: {v}");
        let (s, v) = call(
            &w,
            Some(admin),
            "POST",
            &format!("/products/{}/revocation", ids[0]),
            Some(json!({ "reason": "superseded" })),
        )
        .await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("revoked")), "{v}");
        let serial = v["serial"].as_str().unwrap();
        let row = santepki_storage::authority::certificate(&w.db.db, serial).await.unwrap().unwrap();
        assert_eq!(row.status.as_str(), "revoked");
        let (s, v) =
            call(&w, Some(admin), "POST", &format!("/products/{}/renewal", ids[0]), Some(json!({ "csr": csr_pem() })))
                .await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("not_renewable")), "{v}");
        let (s, _) = call(
            &w,
            Some(admin),
            "POST",
            &format!("/products/{}/revocation", ids[0]),
            Some(json!({ "reason": "superseded" })),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT);

        // R35: one expiry notice a month ahead, once, whichever node runs the job; none for a
        // revoked certificate.
        assert_eq!(w.reg.orders().send_expiry_notices(30).await.unwrap(), 0);
        let soon = santepki_storage::time::format(chrono::Utc::now() + chrono::Duration::days(10));
        testing::set_products_not_after(&w.db.db, &[&ids[0], &insi], &soon).await.unwrap();
        let (a, b) = tokio::join!(w.reg.orders().send_expiry_notices(30), w.reg.orders().send_expiry_notices(30));
        assert_eq!(a.unwrap() + b.unwrap(), 1, "only the INSi certificate, once");
        assert_eq!(w.reg.orders().send_expiry_notices(30).await.unwrap(), 0);
        let mails = w.reg.mails_about(&format!("product:{insi}")).await.unwrap();
        assert!(
            mails
                .iter()
                .any(|m| m.subject.starts_with("Expiration prochaine") && m.recipients.contains("it@pharmacie.test")),
            "{mails:?}"
        );
        // R35: the request confirmation and the availability notice, each once, to the actor.
        for subject in ["Demande enregistrée", "Certificat disponible", "Expiration prochaine"] {
            let sent: Vec<_> = mails.iter().filter(|m| m.subject.starts_with(subject)).collect();
            assert_eq!(sent.len(), 1, "{subject}: {mails:?}");
            assert!(sent[0].recipients.contains("it@pharmacie.test"), "{subject}: {mails:?}");
        }

        // Issue 15, point 11: the key of an attempt another process may still sign (here: recorded
        // pending by another process, within the grace period) is refused with when to retry.
        let csr = csr_pem();
        let body = json!({ "profile": "org-auth-cli", "structure": eg, "service": "DMP AUTHENTIFICATION", "actor_email": "it@pharmacie.test", "csr": csr });
        let (s, v) = call(&w, Some(admin), "POST", "/products", Some(body.clone())).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let serial = v["product"]["serial"].as_str().unwrap();
        testing::make_certificate_pending(&w.db.db, serial).await.unwrap();
        let resp = client(Some(admin)).post(format!("{}/products", w.api)).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        let v: Value = resp.json().await.unwrap();
        assert_eq!((v["error"].as_str(), v["rule"].as_str()), (Some("earlier_attempt_pending"), Some("R37")), "{v}");
        assert_eq!(v["retry_after"].as_u64(), Some(retry_after));
        assert!((1..=300).contains(&retry_after), "{retry_after}");

        // Issue 15, point 7 (R3): the operator terminates the pharmacy's contract; its
        // administrator no longer orders nor renews, and its live certificates are revoked.
        let pharmacy_contract = contract(&w, &format!("1{}", seed::PHARMACY_EJ), None).await;
        let (s, v) = call(&w, Some(&w.op), "POST", &format!("/contracts/{pharmacy_contract}/termination"), None).await;
        assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("terminated")), "{v}");
        let (s, v) = call(
            &w,
            Some(admin),
            "POST",
            "/products",
            Some(order(json!("DMP AUTHENTIFICATION"), json!("a@b.fr"), &eg)),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) =
            call(&w, Some(admin), "POST", &format!("/products/{insi}/renewal"), Some(json!({ "csr": csr_pem() })))
                .await;
        assert!(s.is_client_error() && s != StatusCode::CREATED, "{s} {v}");
        let row = santepki_storage::ordering::product(&w.db.db, &insi).await.unwrap().unwrap();
        assert_eq!(row.state.as_str(), "revoked");
    }
}
