//! « Mes produits »: the product table (R33), sortable, filterable and paged in SQL; a product's
//! details with its certificate and downloads; revocation through a confirmation page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect};
use santepki_registration::orders::{ProductListing, ProductSort};
use santepki_storage::ordering::ProductRow;
use serde::Deserialize;

use super::{date_fr, page_err, state_label, CsrfForm, Layout, PageError, PageResult, Portal};

/// The sortable columns: query value, label, sort key.
const COLUMNS: [(&str, &str, ProductSort); 10] = [
    ("numero", "N° de produit", ProductSort::Number),
    ("offre", "Offre", ProductSort::Offer),
    ("usage", "Usage", ProductSort::Usage),
    ("beneficiaire", "Bénéficiaire", ProductSort::Beneficiary),
    ("service", "Service applicatif", ProductSort::Service),
    ("email", "Email de l'acteur", ProductSort::Email),
    ("demandeur", "Demandeur", ProductSort::Requester),
    ("etat", "État", ProductSort::State),
    ("commande", "Commandé le", ProductSort::Created),
    ("expiration", "Expire le", ProductSort::Expiry),
];

const PAGE_SIZES: [i64; 4] = [10, 25, 50, 100];

/// The table's query parameters, as in the page's links and filter form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub(crate) struct ListQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ordre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    taille: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    structure: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etat: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offre: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<String>,
}

pub(crate) struct Column {
    pub label: &'static str,
    pub aria_sort: &'static str,
    pub href: String,
    pub arrow: &'static str,
}

pub(crate) struct Row {
    pub id: String,
    pub number: String,
    pub channel: &'static str,
    pub offer: String,
    pub usage: String,
    pub beneficiary: String,
    pub structure: String,
    pub service: String,
    pub email: String,
    pub requester: String,
    pub state: &'static str,
    pub created: String,
    pub not_after: String,
}

pub(crate) struct PageLink {
    pub n: i64,
    pub href: String,
    pub current: bool,
}

pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/products.html")]
struct ProductsPage {
    l: Layout,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: i64,
    first: i64,
    last: i64,
    pages: Vec<PageLink>,
    previous: Option<String>,
    next: Option<String>,
    structures: Vec<Choice>,
    states: Vec<Choice>,
    offers: Vec<Choice>,
    sizes: Vec<Choice>,
    q: String,
    tri: String,
    ordre: String,
}

fn href(q: &ListQuery) -> String {
    let s = serde_urlencoded::to_string(q).unwrap_or_default();
    if s.is_empty() {
        "/portail/produits".into()
    } else {
        format!("/portail/produits?{s}")
    }
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn choices(options: &[(&str, &str)], current: Option<&str>) -> Vec<Choice> {
    options
        .iter()
        .map(|(v, l)| Choice { value: (*v).into(), label: (*l).into(), selected: current == Some(*v) })
        .collect()
}

pub(crate) fn row(p: &ProductRow, structure_name: Option<&str>) -> Row {
    Row {
        id: p.id.clone(),
        number: p.number.clone(),
        channel: if p.channel == "api" { "API" } else { "Plateforme" },
        offer: p.offer.clone(),
        usage: p.usage.clone(),
        beneficiary: structure_name.unwrap_or("").to_owned(),
        structure: p.structure.clone(),
        service: p.service.clone().unwrap_or_default(),
        email: p.actor_email.clone(),
        requester: p.ordered_by.clone(),
        state: state_label(&p.state, &p.not_after),
        created: date_fr(&p.created_at),
        not_after: date_fr(&p.not_after),
    }
}

pub(crate) async fn list(portal: Portal, Query(q): Query<ListQuery>) -> PageResult {
    let reg = portal.reg()?;
    let tri = nonempty(&q.tri).unwrap_or_else(|| "commande".into());
    let Some(&(_, _, sort)) = COLUMNS.iter().find(|(k, _, _)| *k == tri) else {
        return Err(PageError::bad_request("tri", format!("colonne de tri inconnue : {tri}")));
    };
    let ordre = nonempty(&q.ordre).unwrap_or_else(|| if tri == "commande" { "desc".into() } else { "asc".into() });
    let descending = match ordre.as_str() {
        "asc" => false,
        "desc" => true,
        other => return Err(PageError::bad_request("ordre", format!("ordre « asc » ou « desc », pas {other}"))),
    };
    let number = |v: &Option<String>, name: &'static str, default: i64| -> Result<i64, PageError> {
        match nonempty(v) {
            None => Ok(default),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| PageError::bad_request(name, format!("{name} doit être un entier positif"))),
        }
    };
    let page = number(&q.page, "page", 1)?;
    let size = number(&q.taille, "taille", 25)?;
    if !PAGE_SIZES.contains(&size) {
        return Err(PageError::bad_request("taille", "taille de page : 10, 25, 50 ou 100"));
    }
    let state = match nonempty(&q.etat).as_deref() {
        None => None,
        Some("valide") => Some("live"),
        Some("expire") => Some("expired"),
        Some("revoque") => Some("revoked"),
        Some(other) => return Err(PageError::bad_request("etat", format!("état inconnu : {other}"))),
    };
    let listing = ProductListing {
        structure: nonempty(&q.structure),
        state: state.map(str::to_owned),
        offer: nonempty(&q.offre),
        text: nonempty(&q.q),
        sort,
        descending,
        limit: size,
        offset: (page - 1).saturating_mul(size),
    };
    // Two independent reads, at once: the page and the structures of the filter menu.
    let (result, habilitations) =
        tokio::join!(reg.orders().product_listing(&portal.actor, &listing), reg.my_habilitations(&portal.actor));
    let (result, habilitations) = (result.map_err(page_err)?, habilitations.map_err(page_err)?);

    let base = ListQuery { page: None, ..q.clone() };
    let columns = COLUMNS
        .iter()
        .map(|(key, label, _)| {
            let current = *key == tri;
            let next_order = if current && !descending { "desc" } else { "asc" };
            Column {
                label,
                aria_sort: if !current {
                    "none"
                } else if descending {
                    "descending"
                } else {
                    "ascending"
                },
                href: href(&ListQuery { tri: Some((*key).into()), ordre: Some(next_order.into()), ..base.clone() }),
                arrow: if !current {
                    ""
                } else if descending {
                    "▼"
                } else {
                    "▲"
                },
            }
        })
        .collect();
    let page_count = ((result.total + size - 1) / size).max(1);
    let link = |n: i64| href(&ListQuery { page: Some(n.to_string()), ..q.clone() });
    let pages = (1..=page_count)
        .filter(|n| *n <= 3 || (*n - page).abs() <= 2 || *n > page_count - 3)
        .map(|n| PageLink { n, href: link(n), current: n == page })
        .collect();
    let rows: Vec<Row> = result.products.iter().map(|r| row(&r.product, r.structure_name.as_deref())).collect();
    let first = if rows.is_empty() { 0 } else { listing.offset + 1 };
    let last = listing.offset + rows.len() as i64;
    let mut structures: Vec<Choice> = habilitations
        .iter()
        .map(|h| Choice {
            value: h.row.idnat_struct.clone(),
            label: format!("{} ({})", h.structure_name.clone().unwrap_or_default(), h.row.idnat_struct),
            selected: listing.structure.as_deref() == Some(h.row.idnat_struct.as_str()),
        })
        .collect();
    structures.dedup_by(|a, b| a.value == b.value);
    let t = ProductsPage {
        l: portal.layout("Mes produits", "produits"),
        columns,
        rows,
        total: result.total,
        first,
        last,
        pages,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < page_count).then(|| link(page + 1)),
        structures,
        states: choices(
            &[("valide", "Valide"), ("expire", "Expiré"), ("revoque", "Révoqué")],
            nonempty(&q.etat).as_deref(),
        ),
        offers: choices(
            &[("ORG", "ORG (personne morale)"), ("SERV", "SERVEUR"), ("PRO", "PRO (personne physique)")],
            listing.offer.as_deref(),
        ),
        sizes: PAGE_SIZES
            .iter()
            .map(|n| Choice { value: n.to_string(), label: n.to_string(), selected: *n == size })
            .collect(),
        q: listing.text.clone().unwrap_or_default(),
        tri,
        ordre,
    };
    Ok(portal.page(&t))
}

#[derive(Template)]
#[template(path = "portal/product.html")]
struct ProductPage {
    l: Layout,
    p: Row,
    profile: String,
    key_origin: &'static str,
    copy_email: String,
    professional: String,
    names: String,
    renewal_of: String,
    live: bool,
    subject: String,
    serial: String,
    not_before: String,
    not_after: String,
    issuer: String,
    notice: Option<&'static str>,
}

fn x509_time(t: &x509_cert::time::Time) -> String {
    date_fr(&t.to_date_time().to_string())
}

pub(crate) async fn details(
    portal: Portal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let reg = portal.reg()?;
    let p = reg.orders().product(&portal.actor, &id).await.map_err(page_err)?;
    let (der, _chain) = reg.orders().product_certificate(&portal.actor, &id).await.map_err(page_err)?;
    let cert = <x509_cert::Certificate as der::Decode>::from_der(&der).map_err(PageError::internal)?;
    let tbs = &cert.tbs_certificate;
    let name = reg.structure_name(&p.structure).await.map_err(page_err)?;
    let names: serde_json::Value = serde_json::from_str(&p.names).unwrap_or_default();
    let list = |k: &str| {
        names[k]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let mut names_text: Vec<String> = Vec::new();
    for (k, label) in [("dns", "DNS"), ("emails", "Emails")] {
        let v = list(k);
        if !v.is_empty() {
            names_text.push(format!("{label} : {v}"));
        }
    }
    if let Some(upn) = names["upn"].as_str() {
        names_text.push(format!("UPN : {upn}"));
    }
    let live = p.state == "issued" && p.not_after > santepki_storage::time::now();
    let t = ProductPage {
        l: portal.layout(format!("Produit {}", p.number), "produits"),
        p: row(&p, name.as_deref()),
        profile: p.profile.clone(),
        key_origin: if p.key_origin == "generated" {
            "générée en ligne (PKCS#12 remis une seule fois)"
        } else {
            "CSR fournie par le demandeur"
        },
        copy_email: p.copy_email.clone().unwrap_or_default(),
        professional: p.professional.clone().unwrap_or_default(),
        names: names_text.join(" ; "),
        renewal_of: p.renewal_of.clone().unwrap_or_default(),
        live,
        subject: tbs.subject.to_string(),
        serial: p.serial.clone(),
        not_before: x509_time(&tbs.validity.not_before),
        not_after: x509_time(&tbs.validity.not_after),
        issuer: tbs.issuer.to_string(),
        notice: match q.get("message").map(String::as_str) {
            Some("revoque") => Some("Le certificat a été révoqué. La révocation est définitive."),
            Some("commande") => Some("Votre commande est enregistrée et le certificat est émis."),
            _ => None,
        },
    };
    Ok(portal.page(&t))
}

/// RFC 5280 reasons offered (revocation is final: no certificateHold).
const REASONS: [(&str, &str); 5] = [
    ("keyCompromise", "Compromission de la clé privée"),
    ("affiliationChanged", "Changement d'affiliation"),
    ("superseded", "Certificat remplacé"),
    ("cessationOfOperation", "Cessation d'activité"),
    ("unspecified", "Non précisée"),
];

#[derive(Template)]
#[template(path = "portal/revocation.html")]
struct RevocationPage {
    l: Layout,
    p: Row,
    reasons: Vec<Choice>,
    error: Option<String>,
}

pub(crate) async fn revocation_confirm(portal: Portal, Path(id): Path<String>) -> PageResult {
    let reg = portal.reg()?;
    let p = reg.orders().product(&portal.actor, &id).await.map_err(page_err)?;
    if p.state != "issued" {
        return Err(PageError::new(
            axum::http::StatusCode::CONFLICT,
            "product_state",
            "Action impossible",
            "Ce certificat est déjà révoqué.",
        ));
    }
    let t = RevocationPage {
        l: portal.layout(format!("Révoquer le produit {}", p.number), "produits"),
        p: row(&p, None),
        reasons: choices(&REASONS, None),
        error: None,
    };
    Ok(portal.page(&t))
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    #[serde(default)]
    reason: String,
}

pub(crate) async fn revoke(portal: Portal, Path(id): Path<String>, CsrfForm(f): CsrfForm<RevokeForm>) -> PageResult {
    let reg = portal.reg()?;
    match reg.orders().revoke_product(&portal.actor, &id, &f.reason).await {
        Ok(p) => Ok(Redirect::to(&format!("/portail/produits/{}?message=revoque", p.id)).into_response()),
        Err(santepki_registration::RegError::Invalid { field, .. }) if field == "reason" => {
            let p = reg.orders().product(&portal.actor, &id).await.map_err(page_err)?;
            let t = RevocationPage {
                l: portal.layout(format!("Révoquer le produit {}", p.number), "produits"),
                p: row(&p, None),
                reasons: choices(&REASONS, None),
                error: Some("Choisissez le motif de la révocation.".into()),
            };
            Ok(portal.page_with(axum::http::StatusCode::BAD_REQUEST, &t))
        }
        Err(e) => Err(page_err(e)),
    }
}
