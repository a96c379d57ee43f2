//! « Formulaires 413 » (prepare, sign by session, acknowledgement reference; R20–R24, R26, R47)
//! and the operators' « File de validation » (R24, R25), through the registration layer's own
//! form workflow.

use santepki_domain::values::FormState;
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use santepki_domain::form413::{EstablishmentSite, Form413, Offers, Person, Signer, SignerRole, StructureCase, Usage};
use santepki_registration::forms::{Decision, Signature};
use santepki_registration::RegError;
use serde::Deserialize;

use super::{date_fr, page_err, CsrfForm, Layout, PageError, PageResult, Portal};

pub(crate) struct FormLine {
    pub id: String,
    pub reference: String,
    pub case: String,
    pub identifiers: String,
    pub state: &'static str,
    pub created: String,
    pub age: String,
    pub overdue: bool,
}

fn identifiers_of(body: &str) -> String {
    serde_json::from_str::<Form413>(body).map(|f| f.identifiers.join(", ")).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "portal/forms.html")]
struct FormsPage {
    l: Layout,
    forms: Vec<FormLine>,
}

pub(crate) async fn list(portal: Portal) -> PageResult {
    let reg = portal.reg()?;
    let forms = reg
        .forms_of(&portal.actor)
        .await
        .map_err(page_err)?
        .into_iter()
        .map(|f| FormLine {
            identifiers: identifiers_of(&f.body),
            reference: f.reference.unwrap_or_default(),
            case: f.structure_case,
            state: f.state.label(),
            created: date_fr(&f.created_at),
            age: String::new(),
            overdue: false,
            id: f.id,
        })
        .collect();
    Ok(portal.page(&FormsPage { l: portal.layout("Formulaires 413", "formulaires"), forms }))
}

/// The fields of the form 413 page (section numbers of the paper form).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct FormFields {
    cas: String,
    identifiants: String,
    signataire_role: String,
    signataire_nom: String,
    signataire_prenoms: String,
    signataire_telephone: String,
    signataire_email: String,
    signataire_carte: String,
    admin_nom: String,
    admin_prenoms: String,
    admin_telephone: String,
    admin_email: String,
    admin_carte: String,
    usage_description: String,
    usage_editeur: String,
    usage_solution: String,
    usage_version: String,
    offre_org: String,
    offre_pro: String,
    pro_domaine: String,
    ssl_domaine: String,
    ssl_serveur: String,
    messagerie_domaine: String,
    site_nom: String,
    site_finess: String,
    site_code_postal: String,
    site_commune: String,
}

fn case_name(c: StructureCase) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

impl FormFields {
    fn to_form(&self) -> Result<Form413, String> {
        let case: StructureCase = serde_json::from_value(serde_json::Value::String(self.cas.clone()))
            .map_err(|_| "choisissez le cas de la structure".to_owned())?;
        let role: SignerRole = serde_json::from_value(serde_json::Value::String(self.signataire_role.clone()))
            .map_err(|_| "choisissez la qualité du signataire".to_owned())?;
        let person = |n: &str, p: &str, t: &str, e: &str, c: &str| Person {
            last_name: n.trim().into(),
            first_names: p.trim().into(),
            phone: t.trim().into(),
            email: e.trim().into(),
            card_number: c.trim().into(),
        };
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Form413 {
            case,
            identifiers: self
                .identifiants
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            // Section 1 of the establishment case (R17): sent only when something is filled in,
            // so that the other cases keep it empty (R19).
            site: [&self.site_nom, &self.site_finess, &self.site_code_postal, &self.site_commune]
                .iter()
                .any(|v| !v.trim().is_empty())
                .then(|| EstablishmentSite {
                    name: self.site_nom.trim().into(),
                    finess_geographique: opt(&self.site_finess),
                    postal_code: self.site_code_postal.trim().into(),
                    town: self.site_commune.trim().into(),
                }),
            signer: Signer {
                role,
                person: person(
                    &self.signataire_nom,
                    &self.signataire_prenoms,
                    &self.signataire_telephone,
                    &self.signataire_email,
                    &self.signataire_carte,
                ),
            },
            administrators: vec![person(
                &self.admin_nom,
                &self.admin_prenoms,
                &self.admin_telephone,
                &self.admin_email,
                &self.admin_carte,
            )],
            usage: Usage {
                description: self.usage_description.clone(),
                vendor: self.usage_editeur.clone(),
                solution: self.usage_solution.clone(),
                version: self.usage_version.clone(),
            },
            offers: Offers {
                org: !self.offre_org.is_empty(),
                pro: !self.offre_pro.is_empty(),
                pro_mail_domain: opt(&self.pro_domaine),
                server_ssl_domain: opt(&self.ssl_domaine),
                server_ssl_host: opt(&self.ssl_serveur),
                server_mail_domain: opt(&self.messagerie_domaine),
            },
        })
    }
}

pub(crate) struct CaseChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/form_new.html")]
struct NewFormPage {
    l: Layout,
    f: FormFields,
    cases: Vec<CaseChoice>,
    roles: Vec<CaseChoice>,
    errors: Vec<String>,
}

fn new_page(portal: &Portal, f: FormFields, errors: Vec<String>) -> NewFormPage {
    let cases = StructureCase::ALL
        .iter()
        .map(|c| CaseChoice {
            value: case_name(*c),
            label: format!("{} ({})", case_name(*c), c.rule()),
            selected: f.cas == case_name(*c),
        })
        .collect();
    let roles = [
        ("legal-representative", "Représentant légal"),
        ("mandataire", "Mandataire"),
        ("practice-holder", "Titulaire du cabinet (RPPS rang)"),
    ]
    .iter()
    .map(|(v, l)| CaseChoice { value: (*v).into(), label: (*l).into(), selected: f.signataire_role == *v })
    .collect();
    NewFormPage { l: portal.layout("Nouveau formulaire 413", "formulaires"), f, cases, roles, errors }
}

/// The form, pre-filled (R26) from `?structure=<idNat_Struct>` and with the card holder as the
/// administrator.
pub(crate) async fn new_form(portal: Portal, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let reg = portal.reg()?;
    let mut f = FormFields {
        admin_nom: portal.actor.last_name.clone(),
        admin_prenoms: portal.actor.first_name.clone(),
        admin_carte: portal.actor.card_number.clone(),
        signataire_role: "legal-representative".into(),
        offre_org: "1".into(),
        ..Default::default()
    };
    if let Some(s) = q.get("structure").filter(|s| !s.trim().is_empty()) {
        if let Some(p) = reg.propose_for_structure(s).await.map_err(page_err)?.into_iter().next() {
            f.cas = case_name(p.form.case);
            f.identifiants = p.form.identifiers.join("\n");
        }
    }
    Ok(portal.page(&new_page(&portal, f, Vec::new())))
}

pub(crate) async fn create(portal: Portal, CsrfForm(f): CsrfForm<FormFields>) -> PageResult {
    let reg = portal.reg()?;
    let form = match f.to_form() {
        Ok(form) => form,
        Err(m) => return Ok(portal.page_with(StatusCode::BAD_REQUEST, &new_page(&portal, f, vec![m]))),
    };
    match reg.prepare_form(&portal.actor, form).await {
        Ok(v) => Ok(Redirect::to(&format!("/portail/formulaires/{}", v.row.id)).into_response()),
        Err(RegError::Refused(refusals)) => {
            let errors = refusals.iter().map(|r| format!("{} ({}) : {}", r.field, r.rule, r.message)).collect();
            Ok(portal.page_with(StatusCode::UNPROCESSABLE_ENTITY, &new_page(&portal, f, errors)))
        }
        Err(e) => Err(page_err(e)),
    }
}

#[derive(Template)]
#[template(path = "portal/form.html")]
struct FormPage {
    l: Layout,
    id: String,
    reference: String,
    state: &'static str,
    awaiting: bool,
    signer: bool,
    form: Form413,
    decision_reason: String,
    for_operator: bool,
    error: Option<String>,
}

async fn form_page(
    portal: &Portal,
    id: &str,
    for_operator: bool,
    error: Option<String>,
) -> Result<FormPage, PageError> {
    let reg = portal.reg()?;
    let v = reg.form(&portal.actor, id).await.map_err(page_err)?;
    Ok(FormPage {
        l: portal.layout(
            format!("Formulaire 413 {}", v.row.reference.clone().unwrap_or_default()).trim().to_owned(),
            if for_operator { "file" } else { "formulaires" },
        ),
        id: v.row.id.clone(),
        reference: v.row.reference.clone().unwrap_or_default(),
        state: v.row.state.label(),
        awaiting: v.row.state == FormState::AwaitingSignature,
        signer: v.form.signer.person.card_number == portal.actor.card_number,
        decision_reason: v.row.decision_reason.clone().unwrap_or_default(),
        form: v.form,
        for_operator: for_operator && v.row.state == FormState::Acknowledged,
        error,
    })
}

pub(crate) async fn details(portal: Portal, Path(id): Path<String>) -> PageResult {
    let t = form_page(&portal, &id, false, None).await?;
    Ok(portal.page(&t))
}

#[derive(Deserialize)]
pub(crate) struct Empty {}

/// Signature by session confirmation (R47): the signer's own card-authenticated connection.
pub(crate) async fn sign(portal: Portal, Path(id): Path<String>, CsrfForm(_): CsrfForm<Empty>) -> PageResult {
    let reg = portal.reg()?;
    reg.sign_form(&portal.actor, &id, Signature::Session).await.map_err(page_err)?;
    Ok(Redirect::to(&format!("/portail/formulaires/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "portal/queue.html")]
struct QueuePage {
    l: Layout,
    forms: Vec<FormLine>,
    target: u32,
}

fn require_operator(portal: &Portal) -> Result<(), PageError> {
    if portal.operator {
        Ok(())
    } else {
        Err(PageError::new(
            StatusCode::FORBIDDEN,
            "operator_only",
            "Accès refusé",
            "La file de validation est réservée aux opérateurs de l'Agence.",
        ))
    }
}

pub(crate) async fn queue(portal: Portal) -> PageResult {
    require_operator(&portal)?;
    let reg = portal.reg()?;
    let forms = reg
        .queue(&portal.actor)
        .await
        .map_err(page_err)?
        .into_iter()
        .map(|q| FormLine {
            reference: q.reference.unwrap_or_default(),
            case: q.structure_case,
            identifiers: q.identifiers.join(", "),
            state: "Signé, accusé de réception envoyé",
            created: q.acknowledged_at.as_deref().map(date_fr).unwrap_or_default(),
            age: format!("{} jour(s) ouvré(s)", q.age_working_days),
            overdue: q.overdue,
            id: q.id,
        })
        .collect();
    Ok(portal.page(&QueuePage {
        l: portal.layout("File de validation", "file"),
        forms,
        target: santepki_registration::forms::TARGET_WORKING_DAYS,
    }))
}

pub(crate) async fn queue_item(portal: Portal, Path(id): Path<String>) -> PageResult {
    require_operator(&portal)?;
    let t = form_page(&portal, &id, true, None).await?;
    Ok(portal.page(&t))
}

#[derive(Deserialize)]
pub(crate) struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    motif: String,
}

pub(crate) async fn decide(portal: Portal, Path(id): Path<String>, CsrfForm(d): CsrfForm<DecisionForm>) -> PageResult {
    require_operator(&portal)?;
    let reg = portal.reg()?;
    let decision =
        Decision { decision: d.decision.clone(), reason: Some(d.motif.clone()).filter(|m| !m.trim().is_empty()) };
    match reg.decide_form(&portal.actor, &id, &decision).await {
        Ok(_) => Ok(Redirect::to("/portail/file").into_response()),
        Err(e @ (RegError::Forbidden { .. } | RegError::Invalid { .. } | RegError::Conflict { .. })) => {
            let status = match &e {
                RegError::Forbidden { .. } => StatusCode::FORBIDDEN,
                RegError::Conflict { .. } => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            let message = match e {
                RegError::Forbidden { message, .. }
                | RegError::Conflict { message, .. }
                | RegError::Invalid { message, .. } => message,
                _ => unreachable!(),
            };
            let t = form_page(&portal, &id, true, Some(message)).await?;
            Ok(portal.page_with(status, &t))
        }
        Err(e) => Err(page_err(e)),
    }
}
