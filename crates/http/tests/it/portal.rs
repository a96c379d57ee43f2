//! The web portal end to end, over real mutual TLS with card certificates, on SQLite and
//! PostgreSQL: French pages for an authorised card, 401 without one, CSRF refusals that change
//! nothing, the ordering wizard with an uploaded CSR and with online generation (the PKCS#12
//! opened by `openssl pkcs12`), the product table's sorting, filters and pages, revocation
//! through its confirmation page, isolation between administrators, the doctrine checklist, the
//! expiry schedule, a form 413 signed by session and the operators' queue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use reqwest::StatusCode;
use santepki_authority::KeyAlgorithm;
use santepki_directory::generate::seed_cases as seed;
use santepki_domain::form413::{SignerRole, StructureCase};
use santepki_registration::contracts::NewContract;
use santepki_registration::forms::{Decision, Signature};
use santepki_registration::orders::OrderRequest;
use santepki_registration::roles::NewRole;
use santepki_registration::testing::{self as t, TestCard};
use santepki_registration::{Actor, MailSettings, Registration};
use santepki_storage::testing::{self, TestDb};

const VENDOR_SIRET: &str = "44306184100047";

struct World {
    db: TestDb,
    reg: Registration,
    base: String,
    stop: tokio::sync::watch::Sender<bool>,
    op: TestCard,
    admin: TestCard,
    admin2: TestCard,
    pharmacist: TestCard,
    eg: String,
    _keys: tempfile::TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn actor(reg: &Registration, c: &TestCard) -> Actor {
    reg.actor_for_card(&c.number).await.unwrap()
}

/// The directory, the CA, the HTTPS listener; an operator; a vendor with two administrators,
/// the first habilitated for the pharmacy through a validated form 413.
async fn world(db: TestDb) -> World {
    let crate::platform::Platform { reg, base, stop, keys } =
        crate::platform::start(&db, MailSettings::default()).await;

    let op = t::new_card(&reg, "CPE", "OPERATRICE", "AGNES", "3318751275100020").await;
    reg.add_operator(&op.number, "cli:test").await.unwrap();
    let vendor = format!("3{VENDOR_SIRET}");
    let vendor_lr = t::new_card(&reg, "CDA", "DIRIGEANT", "VICTOR", &vendor).await;
    let admin = t::new_card(&reg, "CPA", "ADMINISTRATRICE", "ALICE", &vendor).await;
    let admin2 = t::new_card(&reg, "CPA", "ADMINISTRATEUR", "BRUNO", &vendor).await;
    let op_actor = actor(&reg, &op).await;
    let c = reg
        .create_contract(
            &op_actor,
            NewContract {
                legal_entity: vendor.clone(),
                kind: Some("vendor".into()),
                name: Some("EDITEUR DE TEST".into()),
                legal_representative_card: Some(vendor_lr.number.clone()),
            },
        )
        .await
        .unwrap();
    let lr_actor = actor(&reg, &vendor_lr).await;
    for a in [&admin, &admin2] {
        reg.request_role(
            &lr_actor,
            &c.contract.id,
            NewRole { kind: "vendor-administrator".into(), card_number: a.number.clone(), form: None },
        )
        .await
        .unwrap();
    }
    let pharmacist = t::credentials(&reg, seed::PHARMACIST_CARD).await;
    reg.create_contract(
        &op_actor,
        NewContract {
            legal_entity: format!("1{}", seed::PHARMACY_EJ),
            kind: None,
            name: None,
            legal_representative_card: Some(pharmacist.number.clone()),
        },
    )
    .await
    .unwrap();
    let eg = format!("1{}", seed::PHARMACY_EG);
    let ph_actor = actor(&reg, &pharmacist).await;
    let form = t::form(
        StructureCase::Pharmacy,
        std::slice::from_ref(&eg),
        &pharmacist,
        SignerRole::LegalRepresentative,
        &[&admin],
    );
    let v = reg.prepare_form(&ph_actor, form).await.unwrap();
    reg.sign_form(&ph_actor, &v.row.id, Signature::Session).await.unwrap();
    reg.decide_form(&op_actor, &v.row.id, &Decision { decision: "validate".into(), reason: None }).await.unwrap();
    World { db, reg, base, stop, op, admin, admin2, pharmacist, eg, _keys: keys }
}

fn client(card: Option<&TestCard>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none());
    if let Some(c) = card {
        b = b.identity(reqwest::Identity::from_pem(c.identity_pem().as_bytes()).unwrap());
    }
    b.build().unwrap()
}

struct Page {
    status: StatusCode,
    html: String,
    headers: reqwest::header::HeaderMap,
}

impl Page {
    fn location(&self) -> String {
        self.headers.get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }
    fn error(&self) -> Option<&str> {
        self.headers.get("x-santepki-error").and_then(|v| v.to_str().ok())
    }
    /// The hidden fields of the page's (last) POST form.
    fn hidden(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut rest = self.html.as_str();
        while let Some(i) = rest.find("<input type=\"hidden\" name=\"") {
            rest = &rest[i + 27..];
            let name_end = rest.find('"').unwrap();
            let name = rest[..name_end].to_owned();
            let v = rest.find("value=\"").unwrap() + 7;
            let value_end = rest[v..].find('"').unwrap() + v;
            out.push((name, unescape(&rest[v..value_end])));
            rest = &rest[value_end..];
        }
        out
    }
    fn csrf(&self) -> String {
        self.hidden().into_iter().find(|(k, _)| k == "csrf").map(|(_, v)| v).expect("a csrf field")
    }
}

fn unescape(s: &str) -> String {
    s.replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#61;", "=")
        .replace("&amp;", "&")
}

/// A browser: a card, and the CSRF cookie the portal gave it.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Browser {
    fn new(w: &World, card: Option<&TestCard>) -> Self {
        Browser { client: client(card), base: w.base.clone(), cookie: None }
    }

    async fn page(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status();
        let headers = resp.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            if let Some(rest) = v.strip_prefix("__Host-csrf=") {
                self.cookie = Some(rest.split(';').next().unwrap().to_owned());
            }
        }
        let html = resp.text().await.unwrap();
        assert!(status.as_u16() < 500, "{status}: {html}");
        Page { status, html, headers }
    }

    async fn get(&mut self, path: &str) -> Page {
        let resp = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        self.page(resp).await
    }

    fn post_req(&self, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.client.post(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", format!("__Host-csrf={c}"));
        }
        r
    }

    async fn post(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let resp = self.post_req(path).form(fields).send().await.unwrap();
        self.page(resp).await
    }
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

/// Submits a wizard step: the page's hidden fields plus `fields`.
async fn step(b: &mut Browser, page: &Page, fields: &[(&str, &str)]) -> Page {
    let mut all = page.hidden();
    all.extend(pairs(fields));
    b.post("/portail/commander", &all).await
}

/// Every error message next to a field has an id that a field's `aria-describedby` names, so that
/// assistive technologies read it with the field (docs/portal.md, « Accessibility »). Returns the
/// ids of the messages.
fn errors_tied_to_fields(html: &str) -> Vec<String> {
    assert!(!html.contains("class=\"field-error\">"), "an error message without an id: {html}");
    let described: Vec<&str> =
        html.split("aria-describedby=\"").skip(1).flat_map(|s| s[..s.find('"').unwrap()].split_whitespace()).collect();
    let mut ids = Vec::new();
    for rest in html.split("class=\"field-error\" id=\"").skip(1) {
        let id = &rest[..rest.find('"').unwrap()];
        assert!(described.contains(&id), "the error {id} is tied to no field: {html}");
        ids.push(id.to_owned());
    }
    ids
}

fn csr_pem() -> String {
    let (der, _key) = santepki_authority::testing::csr(KeyAlgorithm::EcdsaP256);
    der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, &der).unwrap()
}

async fn product_state(w: &World, id: &str) -> String {
    santepki_storage::ordering::product(&w.db.db, id).await.unwrap().unwrap().state.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_end_to_end() {
    for db in testing::both().await {
        let w = world(db).await;
        let label = w.db.label();

        // Without a card: a French 401 page, not JSON.
        let mut anon = Browser::new(&w, None);
        let p = anon.get("/portail").await;
        assert_eq!((p.status, p.error()), (StatusCode::UNAUTHORIZED, Some("card_required")), "{label}");
        assert!(
            p.headers["content-type"].to_str().unwrap().starts_with("text/html")
                && p.html.contains("lang=\"fr\"")
                && p.html.contains("Authentification requise")
        );
        let p = anon.get("/").await;
        assert_eq!((p.status.as_u16(), p.location()), (303, "/portail".to_owned()));
        // Issue 15 point 19: security headers on the portal's pages, errors included.
        for path in ["/portail", "/portail/produits", "/portail/nulle-part"] {
            let p = anon.get(path).await;
            let header = |name: &str| p.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            assert!(header("strict-transport-security").starts_with("max-age="), "{path}");
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            let csp = header("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{path}: {csp}");
        }

        // Home: the habilitations, in French, with the card holder and the CSRF cookie.
        let mut a = Browser::new(&w, Some(&w.admin));
        let p = a.get("/portail").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.html);
        for needle in [
            "<html lang=\"fr\"",
            "Aller au contenu",
            "Mes habilitations",
            "Mes produits",
            "Commander",
            "Formulaires 413",
            &w.admin.number,
            "ALICE",
            seed::PHARMACY_NAME,
            &w.eg,
            "FINESS",
            &format!("/portail/structures/{}/doctrine", w.eg),
            "<caption>",
            "scope=\"col\"",
        ] {
            assert!(p.html.contains(needle), "{label}: home lacks {needle}");
        }
        assert!(!p.html.contains("File de validation"), "not an operator");
        let set_cookie = p.headers["set-cookie"].to_str().unwrap().to_owned();
        for attr in ["__Host-csrf=", "Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set_cookie.contains(attr), "{set_cookie}");
        }
        let css = a.get("/portail/static/portail.css").await;
        assert!(css.status == StatusCode::OK && css.html.contains(":focus-visible"));

        // The wizard with an uploaded CSR; each step carries the earlier answers (hidden fields).
        let p = a.get("/portail/commander").await;
        assert!(p.html.contains("ORG AUTH_CLI") && p.html.contains("name=\"etape\" value=\"offre\""));
        let p = step(&mut a, &p, &[("profil", "org-auth-cli"), ("action", "suivant")]).await;
        assert!(
            p.status == StatusCode::OK && p.html.contains("value=\"structure\"") && p.html.contains(&w.eg),
            "{}",
            p.html
        );
        let s = step(&mut a, &p, &[("recherche", "zzz-aucune"), ("action", "rechercher")]).await;
        assert!(s.html.contains("Aucune structure ne correspond"));
        // No structure chosen: the message is tied to the choices (found by the Playwright run).
        let bad = step(&mut a, &p, &[("action", "suivant")]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.html);
        assert_eq!(errors_tied_to_fields(&bad.html), ["structure-error"], "{label}");
        assert!(
            bad.html
                .contains(&format!("value=\"{}\" aria-invalid=\"true\" aria-describedby=\"structure-error\"", w.eg)),
            "{}",
            bad.html
        );
        let p = step(&mut a, &p, &[("structure", &w.eg), ("action", "suivant")]).await;
        assert!(p.html.contains("value=\"produit\""), "{}", p.html);
        let p = step(&mut a, &p, &[("mode", "nouveau"), ("action", "suivant")]).await;
        assert!(p.html.contains("value=\"informations\"") && p.html.contains("INSI-AUTO"));
        // R29 enforced by the registration layer, shown next to the field.
        let bad = step(&mut a, &p, &[("service", "INSI AUTO"), ("action", "suivant")]).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            bad.html.contains("id=\"service-error\"")
                && bad.html.contains("R29")
                && bad.html.contains("aria-invalid=\"true\""),
            "{}",
            bad.html
        );
        let p = step(&mut a, &bad, &[("service", "DMP AUTHENTIFICATION"), ("action", "suivant")]).await;
        assert!(p.html.contains("value=\"contacts\""), "{}", p.html);
        let bad = step(&mut a, &p, &[("email_acteur", ""), ("action", "suivant")]).await;
        assert!(
            bad.status == StatusCode::BAD_REQUEST
                && bad.html.contains("id=\"email_acteur-error\"")
                && bad.html.contains("R30")
        );
        let p = step(
            &mut a,
            &bad,
            &[
                ("email_acteur", "it@pharmacie.test"),
                ("email_copie", "titulaire@pharmacie.test"),
                ("action", "suivant"),
            ],
        )
        .await;
        assert!(p.html.contains("value=\"cle\""), "{}", p.html);
        // R31: no choice, or « CSR » with neither a file nor a pasted PEM: the message is read
        // with the fields it is about.
        let bad = step(&mut a, &p, &[("action", "suivant")]).await;
        assert_eq!(
            (bad.status, errors_tied_to_fields(&bad.html)),
            (StatusCode::BAD_REQUEST, vec!["cle-error".to_owned()]),
            "{}",
            bad.html
        );
        let bad = step(&mut a, &p, &[("cle", "csr"), ("action", "suivant")]).await;
        assert_eq!(
            (bad.status, errors_tied_to_fields(&bad.html)),
            (StatusCode::BAD_REQUEST, vec!["csr_pem-error".to_owned()]),
            "{}",
            bad.html
        );
        assert_eq!(
            bad.html.matches("aria-describedby=\"csr_pem-error\"").count(),
            2,
            "the file input and the PEM field: {}",
            bad.html
        );
        // The CSR as a file, in a multipart body (as the browser sends the key step).
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in p.hidden() {
            form = form.text(k, v);
        }
        form = form
            .text("cle", "csr")
            .text("action", "suivant")
            .part("csr_fichier", reqwest::multipart::Part::text(csr_pem()).file_name("demande.csr"));
        let resp = a.post_req("/portail/commander").multipart(form).send().await.unwrap();
        let p = a.page(resp).await;
        assert!(
            p.html.contains("value=\"recapitulatif\"")
                && p.html.contains("DMP AUTHENTIFICATION")
                && p.html.contains("CSR fournie"),
            "{}",
            p.html
        );
        let done = step(&mut a, &p, &[("action", "commander")]).await;
        assert_eq!(done.status.as_u16(), 303, "{}", done.html);
        let product_url = done.location();
        assert!(product_url.starts_with("/portail/produits/prd-"), "{product_url}");
        let dmp_id = product_url.trim_start_matches("/portail/produits/").split('?').next().unwrap().to_owned();
        let p = a.get(&product_url).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.html.contains("<dt>Canal</dt><dd>Plateforme</dd>"), "ordered on the portal (R33): {}", p.html);
        for needle in [
            "DMP AUTHENTIFICATION",
            "it@pharmacie.test",
            "titulaire@pharmacie.test",
            "Numéro de série",
            "format=pem",
            "format=der",
            "format=p7b",
            "Révoquer",
            "renouvellement=",
        ] {
            assert!(p.html.contains(needle), "{label}: product page lacks {needle}");
        }
        assert_eq!(product_state(&w, &dmp_id).await, "issued");

        // The wizard with online generation: the PKCS#12 is on the result page, once.
        let mut p = a.get("/portail/commander").await;
        for fields in [
            vec![("profil", "org-auth-cli")],
            vec![("structure", w.eg.as_str())],
            vec![("mode", "nouveau")],
            vec![("service", "INSI-AUTO")],
            vec![("email_acteur", "it@pharmacie.test")],
            vec![("cle", "generation"), ("algorithme", "p256")],
        ] {
            let mut f = fields.clone();
            f.push(("action", "suivant"));
            p = step(&mut a, &p, &f).await;
            assert_eq!(p.status, StatusCode::OK, "{fields:?}: {}", p.html);
        }
        assert!(p.html.contains("type=\"password\""));
        let bad = step(
            &mut a,
            &p,
            &[("phrase", "une phrase secrète"), ("phrase_confirmation", "autre chose"), ("action", "commander")],
        )
        .await;
        assert!(bad.status == StatusCode::BAD_REQUEST && bad.html.contains("id=\"phrase_confirmation-error\""));
        assert!(!bad.html.contains("une phrase secrète"), "the passphrase is never written back");
        let done = step(
            &mut a,
            &bad,
            &[("phrase", "une phrase secrète"), ("phrase_confirmation", "une phrase secrète"), ("action", "commander")],
        )
        .await;
        assert_eq!(done.status, StatusCode::CREATED, "{}", done.html);
        assert!(done.html.contains("une seule fois") && done.html.contains("download="));
        let start = done.html.find("data:application/x-pkcs12;base64,").expect("PKCS#12 link")
            + "data:application/x-pkcs12;base64,".len();
        let end = done.html[start..].find('"').unwrap() + start;
        let p12 = base64::engine::general_purpose::STANDARD.decode(unescape(&done.html[start..end])).unwrap();
        let work = tempfile::tempdir().unwrap();
        let p12_file = work.path().join("insi.p12");
        std::fs::write(&p12_file, p12).unwrap();
        let out = std::process::Command::new("openssl")
            .args(["pkcs12", "-nokeys", "-passin", "pass:une phrase secrète", "-in"])
            .arg(&p12_file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("INSI-AUTO"));

        // More products through the registration layer, for the table.
        let admin_actor = actor(&w.reg, &w.admin).await;
        for i in 0..10 {
            let req = OrderRequest {
                profile: "org-sign".into(),
                structure: w.eg.clone(),
                service: Some(format!("SERVICE {i:02}")),
                actor_email: "it@pharmacie.test".into(),
                csr: Some(csr_pem()),
                ..Default::default()
            };
            w.reg.orders().order(&admin_actor, req).await.unwrap();
        }
        // Sorting: by service, ascending then descending, with aria-sort on the header.
        let p = a.get("/portail/produits?tri=service&ordre=asc&taille=25").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.html.contains("Produits 1 à 12 sur 12")
                && p.html.contains("aria-sort=\"ascending\"")
                && p.html.contains("<caption>"),
            "{}",
            p.html
        );
        let first = |html: &str, a: &str, b: &str| html.find(a).unwrap() < html.find(b).unwrap();
        assert!(
            first(&p.html, "DMP AUTHENTIFICATION", "INSI-AUTO")
                && first(&p.html, "SERVICE 00", "SERVICE 09")
                && first(&p.html, "INSI-AUTO", "SERVICE 00")
        );
        let p = a.get("/portail/produits?tri=service&ordre=desc").await;
        assert!(
            p.html.contains("aria-sort=\"descending\"")
                && first(&p.html, "SERVICE 09", "SERVICE 00")
                && first(&p.html, "SERVICE 00", "DMP AUTHENTIFICATION")
        );
        // Paging.
        let p = a.get("/portail/produits?tri=service&ordre=asc&taille=10&page=2").await;
        assert!(
            p.html.contains("Produits 11 à 12 sur 12")
                && p.html.contains("SERVICE 09")
                && !p.html.contains("DMP AUTHENTIFICATION"),
            "{}",
            p.html
        );
        assert!(p.html.contains("rel=\"prev\"") && p.html.contains("aria-current=\"page\">Page 2"));
        // Filters: free text, offer, state, structure.
        let p = a.get("/portail/produits?q=insi").await;
        assert!(p.html.contains("sur 1.") && p.html.contains("INSI-AUTO"), "{}", p.html);
        let p = a.get(&format!("/portail/produits?structure={}&offre=PRO", w.eg)).await;
        assert!(p.html.contains("Aucun produit"));
        // Bad input: a clear 400, never a 500.
        for bad in ["tri=nimporte", "ordre=sideways", "page=0", "page=x", "taille=7", "etat=perdu", "offre=XYZ"] {
            let p = a.get(&format!("/portail/produits?{bad}")).await;
            assert_eq!(p.status, StatusCode::BAD_REQUEST, "{bad}");
        }

        // CSRF: without a token, with a wrong one, from a foreign origin, cross-site: 403
        // `csrf`, and the product is untouched.
        let p = a.get(&format!("/portail/produits/{dmp_id}/revocation")).await;
        assert!(p.status == StatusCode::OK && p.html.contains("définitive") && p.html.contains("name=\"reason\""));
        let token = p.csrf();
        let path = format!("/portail/produits/{dmp_id}/revocation");
        let refused = [
            a.post_req(&path).form(&pairs(&[("reason", "superseded")])),
            a.post_req(&path)
                .form(&pairs(&[("reason", "superseded"), ("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")])),
            a.post_req(&path)
                .header("origin", "https://evil.example")
                .form(&pairs(&[("reason", "superseded"), ("csrf", &token)])),
            a.post_req(&path)
                .header("sec-fetch-site", "cross-site")
                .form(&pairs(&[("reason", "superseded"), ("csrf", &token)])),
            client(Some(&w.admin))
                .post(format!("{}{path}", w.base))
                .form(&pairs(&[("reason", "superseded"), ("csrf", &token)])),
        ];
        for (i, r) in refused.into_iter().enumerate() {
            let p = a.page(r.send().await.unwrap()).await;
            assert_eq!((p.status, p.error()), (StatusCode::FORBIDDEN, Some("csrf")), "case {i}");
            assert!(p.html.contains("Requête refusée"));
        }
        assert_eq!(product_state(&w, &dmp_id).await, "issued");

        // Isolation: admin B gets 404 on A's product pages and POSTs, with its own good token.
        let mut b = Browser::new(&w, Some(&w.admin2));
        let p = b.get("/portail/produits").await;
        assert!(p.status == StatusCode::OK && p.html.contains("Aucun produit"));
        let b_token = p.csrf_or_cookie(&b);
        for path in [
            format!("/portail/produits/{dmp_id}"),
            format!("/portail/produits/{dmp_id}/revocation"),
            format!("/portail/commander?renouvellement={dmp_id}"),
            format!("/portail/structures/{}/doctrine", w.eg),
        ] {
            let p = b.get(&path).await;
            assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        }
        let p = b.post(&path, &pairs(&[("reason", "superseded"), ("csrf", &b_token)])).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND);
        assert_eq!(product_state(&w, &dmp_id).await, "issued");
        let resp = client(Some(&w.admin2))
            .get(format!("{}/api/v1/structures/{}/doctrine", w.base, w.eg))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);

        // Revocation through the confirmation page: a missing reason re-displays it, then done.
        let p = a.post(&path, &pairs(&[("reason", ""), ("csrf", &token)])).await;
        assert!(p.status == StatusCode::BAD_REQUEST && p.html.contains("reason-error"));
        let p = a.post(&path, &pairs(&[("reason", "superseded"), ("csrf", &token)])).await;
        assert_eq!((p.status.as_u16(), p.location()), (303, format!("/portail/produits/{dmp_id}?message=revoque")));
        assert_eq!(product_state(&w, &dmp_id).await, "revoked");
        let p = a.get(&p.location()).await;
        assert!(p.html.contains("révoqué") && p.html.contains("Révoqué") && !p.html.contains("/revocation\""));
        let p = a.get("/portail/produits?etat=revoque").await;
        assert!(p.html.contains("sur 1.") && p.html.contains("DMP AUTHENTIFICATION"), "{}", p.html);

        // Doctrine (R36, R38): after the revocation, SIGN without a DMP AUTH_CLI (the INSi
        // certificate does not count), INSi covered; the same in JSON.
        let p = a.get(&format!("/portail/structures/{}/doctrine", w.eg)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.html.contains("paire DMP incomplète") && p.html.contains("data-code=\"insi-own-certificate\""),
            "{}",
            p.html
        );
        let v: serde_json::Value = client(Some(&w.admin))
            .get(format!("{}/api/v1/structures/{}/doctrine", w.base, w.eg))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let status = |code: &str| {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == code)
                .map(|i| i["status"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            (
                status("dmp-pair").as_deref(),
                status("insi-own-certificate").as_deref(),
                status("not-vendor-name").as_deref()
            ),
            (Some("warning"), Some("satisfied"), Some("satisfied")),
            "{v}"
        );
        assert_eq!(v["live_products"], 11);

        // The expiry schedule: every live certificate ends in month 36; a table for everyone.
        let p = a.get("/portail/echeancier").await;
        assert!(
            p.status == StatusCode::OK
                && p.html.contains("11 certificat(s)")
                && p.html.contains("Expirations par mois"),
            "{}",
            p.html
        );
        let v: serde_json::Value = client(Some(&w.admin))
            .get(format!("{}/api/v1/expiries?months=36", w.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let months = v["months"].as_array().unwrap();
        assert_eq!((months.len(), months.last().unwrap()["count"].as_i64()), (37, Some(11)), "{v}");
        assert_eq!(months.iter().map(|m| m["count"].as_i64().unwrap()).sum::<i64>(), 11);

        // Forms 413: the vendor's second administrator prepared for the pharmacy, signed by the
        // pharmacist on the portal (session), in the operator's queue, validated there.
        let ph_actor = actor(&w.reg, &w.pharmacist).await;
        let f = t::form(
            StructureCase::Pharmacy,
            std::slice::from_ref(&w.eg),
            &w.pharmacist,
            SignerRole::LegalRepresentative,
            &[&w.admin2],
        );
        let form_id = w.reg.prepare_form(&ph_actor, f).await.unwrap().row.id;
        let mut ph = Browser::new(&w, Some(&w.pharmacist));
        let p = ph.get("/portail/formulaires").await;
        assert!(p.status == StatusCode::OK && p.html.contains(&form_id) && p.html.contains("En attente de signature"));
        let p = ph.get(&format!("/portail/formulaires/{form_id}")).await;
        assert!(p.html.contains("Signer le formulaire"));
        let p = ph.post(&format!("/portail/formulaires/{form_id}/signature"), &pairs(&[("csrf", &p.csrf())])).await;
        assert_eq!(p.status.as_u16(), 303);
        let p = ph.get(&format!("/portail/formulaires/{form_id}")).await;
        assert!(p.html.contains("class=\"reference\">413-"), "{}", p.html);
        // Not an operator: 403 on the queue, its items and its decisions.
        assert_eq!(a.get("/portail/file").await.status, StatusCode::FORBIDDEN);
        assert_eq!(a.get(&format!("/portail/file/{form_id}")).await.status, StatusCode::FORBIDDEN);
        let p = a
            .post(&format!("/portail/file/{form_id}/decision"), &pairs(&[("decision", "validate"), ("csrf", &token)]))
            .await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        let mut op = Browser::new(&w, Some(&w.op));
        let p = op.get("/portail/file").await;
        assert!(
            p.status == StatusCode::OK
                && p.html.contains("File de validation")
                && p.html.contains("jour(s) ouvré(s)")
                && p.html.contains(&form_id),
            "{}",
            p.html
        );
        let p = op.get(&format!("/portail/file/{form_id}")).await;
        assert!(p.html.contains("Enregistrer la décision"));
        let op_token = p.csrf();
        let p = op
            .post(
                &format!("/portail/file/{form_id}/decision"),
                &pairs(&[("decision", "reject"), ("motif", ""), ("csrf", &op_token)]),
            )
            .await;
        assert!(p.status == StatusCode::BAD_REQUEST && p.html.contains("motif"), "{}", p.html);
        let p = op
            .post(
                &format!("/portail/file/{form_id}/decision"),
                &pairs(&[("decision", "validate"), ("csrf", &op_token)]),
            )
            .await;
        assert_eq!(p.status.as_u16(), 303, "{}", p.html);
        let row = santepki_storage::registration::form(w.db.db.pool(), &form_id).await.unwrap().unwrap();
        assert_eq!(row.state.as_str(), "validated");
        let p = b.get("/portail").await;
        assert!(p.html.contains(seed::PHARMACY_NAME), "admin B is now habilitated");

        // Issue 18: the operator sees the structure's audit history (the form's signature and
        // validation among it); nobody else does.
        let structure = w.eg.clone();
        let p = op.get(&format!("/portail/file/{form_id}")).await;
        assert!(p.html.contains(&format!("/portail/structures/{structure}/historique")), "{}", p.html);
        let p = op.get(&format!("/portail/structures/{structure}/historique")).await;
        assert!(
            p.status == StatusCode::OK
                && p.html.contains(&format!("Historique de la structure {structure}"))
                && p.html.contains("form413.validated")
                && p.html.contains("form413.signed"),
            "{}",
            p.html
        );
        assert_eq!(a.get(&format!("/portail/structures/{structure}/historique")).await.status, StatusCode::FORBIDDEN);
    }
}

impl Page {
    /// The token of a page without a form: the cookie the browser got.
    fn csrf_or_cookie(&self, b: &Browser) -> String {
        self.hidden()
            .into_iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v)
            .or_else(|| b.cookie.clone())
            .expect("a CSRF token")
    }
}
