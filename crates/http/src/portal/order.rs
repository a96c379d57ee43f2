//! « Commander »: the ordering wizard of R28, stateless across steps. Each step is a form that
//! carries the answers of the other steps in hidden fields; every step is checked by the
//! registration layer ([`Orders::check_order`]) and a refusal re-displays the step that holds the
//! field, with the message next to it. The order itself is the API's [`Orders::order`] (or
//! [`Orders::renew_product`]).
//!
//! [`Orders::check_order`]: santepki_registration::orders::Orders::check_order
//! [`Orders::order`]: santepki_registration::orders::Orders::order
//! [`Orders::renew_product`]: santepki_registration::orders::Orders::renew_product
//!
//! The passphrase of an online key generation (R31) is typed on the last step only, so that it is
//! never written back into a page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use base64::Engine;
use santepki_registration::orders::{Channel, Generate, OrderRequest, OrderStage};
use santepki_registration::{RegError, Registration};
use serde::{Deserialize, Serialize};

use super::{date_fr, page_err, CsrfForm, Layout, PageResult, Portal};

const STEPS: [(&str, &str); 7] = [
    ("offre", "Offre"),
    ("structure", "Structure"),
    ("produit", "Nouveau ou renouvellement"),
    ("informations", "Usage et informations"),
    ("contacts", "Contacts"),
    ("cle", "Clé : CSR ou génération"),
    ("recapitulatif", "Finalisation"),
];

/// Offers of R23, as profiles.
const PROFILES: [(&str, &str); 8] = [
    ("org-auth-cli", "ORG AUTH_CLI — authentification client TLS (DMP, INSi, MSSanté, Pro Santé Connect)"),
    ("org-sign", "ORG SIGN — signature (DMP : documents et lots de soumission)"),
    ("org-conf", "ORG CONF — confidentialité (chiffrement)"),
    ("serv-ssl", "SERVEUR SSL — serveur TLS pour un domaine ou un FQDN"),
    ("serv-smime", "SERVEUR S/MIME — messagerie d'une boîte applicative"),
    ("pro-auth", "PRO AUTH — authentification d'une personne physique (Dossier Pharmaceutique)"),
    ("pro-sign", "PRO SIGN — signature d'une personne physique"),
    ("pro-conf", "PRO CONF — confidentialité d'une personne physique"),
];

/// Every answer of the wizard. Names are the form fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub(crate) struct Answers {
    pub profil: String,
    pub structure: String,
    pub mode: String,
    pub renouvelle: String,
    pub service: String,
    pub dns: String,
    pub emails: String,
    pub upn: String,
    pub professionnel: String,
    pub email_acteur: String,
    pub email_copie: String,
    pub cle: String,
    pub csr_pem: String,
    pub algorithme: String,
}

/// A submitted step: the answers, which step, what to do, and the fields never carried over.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Submitted {
    #[serde(flatten)]
    answers: Answers,
    etape: String,
    action: String,
    recherche: String,
    csr_fichier: String,
    phrase: String,
    phrase_confirmation: String,
}

/// The fields each step shows (the others travel hidden).
fn fields_of(step: &str) -> &'static [&'static str] {
    match step {
        "offre" => &["profil"],
        "structure" => &["structure"],
        "produit" => &["mode", "renouvelle"],
        "informations" => &["service", "dns", "emails", "upn", "professionnel"],
        "contacts" => &["email_acteur", "email_copie"],
        "cle" => &["cle", "csr_pem", "algorithme"],
        _ => &[],
    }
}

/// Which step holds a field the registration layer refused.
fn step_of_field(field: &str) -> &'static str {
    match field {
        "profile" => "offre",
        "structure" => "structure",
        "service" | "dns" | "emails" | "email" | "upn" | "professional" => "informations",
        "actor_email" | "copy_email" => "contacts",
        "passphrase" | "generate.passphrase" => "recapitulatif",
        _ => "cle",
    }
}

/// The form field of a registration field.
fn form_field(field: &str) -> &'static str {
    match field {
        "profile" => "profil",
        "structure" => "structure",
        "service" => "service",
        "dns" => "dns",
        "emails" | "email" => "emails",
        "upn" => "upn",
        "professional" => "professionnel",
        "actor_email" => "email_acteur",
        "copy_email" => "email_copie",
        "generate.algorithm" => "algorithme",
        "passphrase" | "generate.passphrase" => "phrase",
        _ => "csr_pem",
    }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl Answers {
    fn renewal(&self) -> bool {
        self.mode == "renouvellement"
    }

    fn request(&self) -> OrderRequest {
        OrderRequest {
            profile: self.profil.clone(),
            structure: self.structure.clone(),
            service: opt(&self.service),
            dns: split_list(&self.dns),
            emails: split_list(&self.emails),
            upn: opt(&self.upn),
            professional: opt(&self.professionnel),
            actor_email: self.email_acteur.clone(),
            copy_email: opt(&self.email_copie),
            csr: None,
            generate: None,
            channel: Channel::Portal,
        }
    }

    fn hidden(&self, step: &str) -> Vec<(String, String)> {
        let shown = fields_of(step);
        let v = serde_json::to_value(self).unwrap_or_default();
        v.as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| !shown.contains(&k.as_str()))
                    .filter_map(|(k, v)| v.as_str().filter(|s| !s.is_empty()).map(|s| (k.clone(), s.to_owned())))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub(crate) struct Option_ {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub(crate) struct StepLink {
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "portal/order.html")]
struct WizardPage {
    l: Layout,
    step: &'static str,
    steps: Vec<StepLink>,
    a: Answers,
    hidden: Vec<(String, String)>,
    errors: HashMap<String, String>,
    profiles: Vec<Option_>,
    structures: Vec<Option_>,
    recherche: String,
    renewables: Vec<Option_>,
    algorithms: Vec<Option_>,
    summary: Vec<(String, String)>,
    is_org: bool,
    is_ssl: bool,
    is_smime: bool,
    is_pro: bool,
}

#[derive(Template)]
#[template(path = "portal/ordered.html")]
struct OrderedPage {
    l: Layout,
    id: String,
    number: String,
    p12_base64: String,
    file_name: String,
    not_after: String,
}

fn profile_label(p: &str) -> String {
    PROFILES.iter().find(|(k, _)| *k == p).map(|(_, l)| (*l).to_owned()).unwrap_or_else(|| p.to_owned())
}

async fn render(
    portal: &Portal,
    reg: &Registration,
    step: &'static str,
    a: Answers,
    errors: HashMap<String, String>,
    recherche: String,
) -> PageResult {
    let habilitations = reg.my_habilitations(&portal.actor).await.map_err(page_err)?;
    let needle = recherche.trim().to_lowercase();
    let mut structures: Vec<Option_> = habilitations
        .iter()
        .filter(|h| {
            needle.is_empty()
                || h.row.idnat_struct.contains(&needle)
                || h.structure_name.as_deref().unwrap_or("").to_lowercase().contains(&needle)
        })
        .map(|h| Option_ {
            value: h.row.idnat_struct.clone(),
            label: format!(
                "{} — {}",
                h.structure_name.clone().unwrap_or_else(|| "(nom inconnu)".into()),
                h.row.idnat_struct
            ),
            checked: a.structure == h.row.idnat_struct,
        })
        .collect();
    structures.dedup_by(|x, y| x.value == y.value);
    let mut renewables = Vec::new();
    if step == "produit" && !a.structure.is_empty() {
        let listing = santepki_registration::orders::ProductListing {
            structure: Some(a.structure.clone()),
            state: Some("live".into()),
            limit: 500,
            ..Default::default()
        };
        for r in reg.orders().product_listing(&portal.actor, &listing).await.map_err(page_err)?.products {
            let p = r.product;
            if p.profile.as_str() == a.profil {
                renewables.push(Option_ {
                    label: format!(
                        "{} — {} {} « {} », expire le {}",
                        p.number,
                        p.offer,
                        p.usage,
                        p.service.clone().unwrap_or_default(),
                        date_fr(&p.not_after)
                    ),
                    checked: a.renouvelle == p.id,
                    value: p.id,
                });
            }
        }
    }
    let mut summary =
        vec![("Offre".to_owned(), profile_label(&a.profil)), ("Structure".to_owned(), a.structure.clone())];
    if a.renewal() {
        summary.push(("Renouvellement du produit".into(), a.renouvelle.clone()));
    } else {
        for (label, v) in [
            ("Service applicatif", &a.service),
            ("DNS", &a.dns),
            ("Emails", &a.emails),
            ("UPN", &a.upn),
            ("Professionnel", &a.professionnel),
            ("Email de l'acteur", &a.email_acteur),
            ("Personne à informer", &a.email_copie),
        ] {
            if !v.is_empty() {
                summary.push((label.into(), v.clone()));
            }
        }
    }
    summary.push((
        "Clé".into(),
        if a.cle == "generation" {
            format!("générée en ligne ({})", if a.algorithme.is_empty() { "rsa2048" } else { &a.algorithme })
        } else {
            "CSR fournie".into()
        },
    ));
    let t = WizardPage {
        l: portal.layout(if a.renewal() { "Renouveler un certificat" } else { "Commander un certificat" }, "commander"),
        step,
        steps: STEPS.iter().map(|(k, label)| StepLink { label, current: *k == step }).collect(),
        hidden: a.hidden(step),
        profiles: PROFILES
            .iter()
            .map(|(k, l)| Option_ { value: (*k).into(), label: (*l).into(), checked: a.profil == *k })
            .collect(),
        structures,
        recherche,
        renewables,
        algorithms: [
            ("rsa2048", "RSA 2048"),
            ("rsa3072", "RSA 3072"),
            ("rsa4096", "RSA 4096"),
            ("p256", "ECDSA P-256"),
            ("p384", "ECDSA P-384"),
        ]
        .iter()
        .map(|(v, l)| Option_ { value: (*v).into(), label: (*l).into(), checked: a.algorithme == *v })
        .collect(),
        summary,
        is_org: a.profil.starts_with("org-") || a.profil == "serv-smime",
        is_ssl: a.profil == "serv-ssl",
        is_smime: a.profil == "serv-smime",
        is_pro: a.profil.starts_with("pro-"),
        a,
        errors,
    };
    let status = if t.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok(portal.page_with(status, &t))
}

#[derive(Deserialize)]
pub(crate) struct Start {
    #[serde(default)]
    renouvellement: Option<String>,
}

/// The first step, or the key step of a renewal (from a product's page).
pub(crate) async fn wizard_get(portal: Portal, Query(q): Query<Start>) -> PageResult {
    let reg = portal.reg()?;
    match q.renouvellement.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => {
            let p = reg.orders().product(&portal.actor, id).await.map_err(page_err)?;
            let a = Answers {
                profil: p.profile.to_string(),
                structure: p.structure.clone(),
                mode: "renouvellement".into(),
                renouvelle: p.id.clone(),
                ..Default::default()
            };
            render(&portal, reg, "cle", a, HashMap::new(), String::new()).await
        }
        None => render(&portal, reg, "offre", Answers::default(), HashMap::new(), String::new()).await,
    }
}

fn one_error(field: &str, message: impl Into<String>) -> HashMap<String, String> {
    HashMap::from([(field.to_owned(), message.into())])
}

/// A registration refusal as `(step, errors)`, or the error page it is.
fn refusal(e: RegError) -> Result<(&'static str, HashMap<String, String>), super::PageError> {
    match e {
        RegError::Invalid { field, message, rule, .. } => {
            let message = match rule {
                Some(r) => format!("{message} ({r})"),
                None => message,
            };
            Ok((step_of_field(&field), one_error(form_field(&field), message)))
        }
        // The key of the CSR is already certified (R37): said beside the CSR, like a field error.
        RegError::Conflict { code: "key_in_use", message, rule, .. } => {
            let message = format!("{message} ({})", rule.unwrap_or("R37"));
            Ok((step_of_field("csr"), one_error(form_field("csr"), message)))
        }
        // An earlier attempt with this key is being settled: said beside the CSR, with when to retry.
        RegError::Busy { message, .. } => Ok((step_of_field("csr"), one_error(form_field("csr"), message))),
        RegError::Forbidden { code: "not_habilitated", message, .. } => {
            Ok(("structure", one_error("structure", message)))
        }
        // What the structure may order (its contract, R3; the offers it declared, R23; an ESSMS
        // renewal moving to its legal entity, R39): said beside the structure, with the rule.
        RegError::Forbidden {
            code: "offer_not_declared" | "contract_not_active" | "renewal_moves_to_legal_entity",
            message,
            rule,
        } => {
            let message = match rule {
                Some(r) => format!("{message} ({r})"),
                None => message,
            };
            Ok(("structure", one_error("structure", message)))
        }
        other => Err(page_err(other)),
    }
}

fn next_step(step: &str, a: &Answers) -> &'static str {
    match step {
        "offre" => "structure",
        "structure" => "produit",
        "produit" if a.renewal() => "cle",
        "produit" => "informations",
        "informations" => "contacts",
        "contacts" => "cle",
        _ => "recapitulatif",
    }
}

fn previous_step(step: &str, a: &Answers) -> &'static str {
    match step {
        "structure" => "offre",
        "produit" => "structure",
        "informations" => "produit",
        "contacts" => "informations",
        "cle" if a.renewal() => "produit",
        "cle" => "contacts",
        "recapitulatif" => "cle",
        _ => "offre",
    }
}

/// One submitted step: back, search, check and go on, or order.
pub(crate) async fn wizard_post(portal: Portal, CsrfForm(s): CsrfForm<Submitted>) -> PageResult {
    let reg = portal.reg()?;
    let Some(&(step, _)) = STEPS.iter().find(|(k, _)| *k == s.etape) else {
        return Err(super::PageError::bad_request("etape", "étape inconnue"));
    };
    let mut a = s.answers;
    if s.action == "precedent" {
        return render(&portal, reg, previous_step(step, &a), a, HashMap::new(), String::new()).await;
    }
    if s.action == "rechercher" {
        return render(&portal, reg, "structure", a, HashMap::new(), s.recherche).await;
    }
    // Check the step just submitted (and, through check_order, every earlier one).
    let req = a.request();
    let checked = match step {
        "offre" => reg.orders().check_order(&portal.actor, &req, OrderStage::Offer).await,
        "structure" => reg.orders().check_order(&portal.actor, &req, OrderStage::Structure).await,
        "produit" => match a.mode.as_str() {
            "nouveau" => {
                a.renouvelle.clear();
                Ok(())
            }
            "renouvellement" => match reg.orders().product(&portal.actor, &a.renouvelle).await {
                Ok(p) if p.structure == a.structure && p.profile.as_str() == a.profil => Ok(()),
                Ok(_) | Err(RegError::NotFound { .. }) => {
                    return render(
                        &portal,
                        reg,
                        "produit",
                        a,
                        one_error("renouvelle", "choisissez le produit à renouveler parmi ceux de cette structure"),
                        String::new(),
                    )
                    .await
                }
                Err(e) => Err(e),
            },
            _ => {
                return render(
                    &portal,
                    reg,
                    "produit",
                    a,
                    one_error("mode", "choisissez un nouveau produit ou un renouvellement"),
                    String::new(),
                )
                .await
            }
        },
        "informations" => reg.orders().check_order(&portal.actor, &req, OrderStage::Information).await,
        "contacts" => reg.orders().check_order(&portal.actor, &req, OrderStage::Contacts).await,
        "cle" => {
            if !s.csr_fichier.trim().is_empty() {
                a.csr_pem = s.csr_fichier.trim().to_owned();
            }
            match a.cle.as_str() {
                "csr" if a.csr_pem.trim().is_empty() => {
                    return render(
                        &portal,
                        reg,
                        "cle",
                        a,
                        one_error("csr_pem", "déposez le fichier de la CSR ou collez-la au format PEM (R31)"),
                        String::new(),
                    )
                    .await
                }
                "csr" => {
                    a.algorithme.clear();
                    Ok(())
                }
                "generation" => {
                    a.csr_pem.clear();
                    Ok(())
                }
                _ => {
                    return render(
                        &portal,
                        reg,
                        "cle",
                        a,
                        one_error("cle", "choisissez : déposer une CSR ou générer la clé en ligne (R31)"),
                        String::new(),
                    )
                    .await
                }
            }
        }
        _ => Ok(()),
    };
    if let Err(e) = checked {
        let (step, errors) = refusal(e)?;
        return render(&portal, reg, step, a, errors, String::new()).await;
    }
    if step != "recapitulatif" {
        return render(&portal, reg, next_step(step, &a), a, HashMap::new(), String::new()).await;
    }

    // Finalisation: the order itself.
    let generate = if a.cle == "generation" {
        if s.phrase != s.phrase_confirmation {
            return render(
                &portal,
                reg,
                "recapitulatif",
                a,
                one_error("phrase_confirmation", "les deux saisies de la phrase secrète diffèrent"),
                String::new(),
            )
            .await;
        }
        Some(Generate { passphrase: s.phrase.clone(), algorithm: opt(&a.algorithme) })
    } else {
        None
    };
    let csr = (a.cle == "csr").then(|| a.csr_pem.clone());
    let outcome = if a.renewal() {
        reg.orders().renew_product(&portal.actor, &a.renouvelle, csr, generate, Channel::Portal).await
    } else {
        let req = OrderRequest { csr, generate, ..a.request() };
        reg.orders().order(&portal.actor, req).await
    };
    let ordered = match outcome {
        Ok(o) => o,
        Err(e) => {
            let (step, errors) = refusal(e)?;
            return render(&portal, reg, step, a, errors, String::new()).await;
        }
    };
    match ordered.pkcs12 {
        None => Ok(Redirect::to(&format!("/portail/produits/{}?message=commande", ordered.product.id)).into_response()),
        Some(p12) => {
            let t = OrderedPage {
                l: portal.layout("Certificat émis", "commander"),
                id: ordered.product.id.clone(),
                number: ordered.product.number.clone(),
                p12_base64: base64::engine::general_purpose::STANDARD.encode(&p12),
                file_name: format!("{}.p12", ordered.product.number),
                not_after: date_fr(&ordered.product.not_after),
            };
            Ok(portal.page_with(StatusCode::CREATED, &t))
        }
    }
}
