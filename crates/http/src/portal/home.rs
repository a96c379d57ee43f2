//! « Mes habilitations » (the portal's home), a structure's doctrine checklist (R36, R38), the
//! expiry schedule (R35) of an administrator managing many structures, and a structure's audit
//! history for the Agency's operators.

use askama::Template;
use axum::extract::Path;
use santepki_registration::doctrine::{CheckStatus, Doctrine};

use super::{date_fr, page_err, Layout, PageResult, Portal};

pub(crate) struct HabRow {
    pub structure: String,
    pub name: String,
    pub id_type: &'static str,
    pub state: String,
    pub since: String,
    pub vendor: String,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    l: Layout,
    rows: Vec<HabRow>,
    administered: Vec<HabRow>,
}

/// The kind of identifier of an idNat_Struct (R43).
fn id_type(idnat: &str) -> &'static str {
    match idnat.as_bytes().first() {
        Some(b'0') => "ADELI rang",
        Some(b'1') => "FINESS",
        Some(b'2') => "SIREN",
        Some(b'3') => "SIRET",
        Some(b'4') => "RPPS rang",
        _ => "inconnu",
    }
}

pub(crate) async fn habilitations(portal: Portal) -> PageResult {
    let reg = portal.reg()?;
    let rows = reg
        .my_habilitations(&portal.actor)
        .await
        .map_err(page_err)?
        .into_iter()
        .map(|h| HabRow {
            id_type: id_type(&h.row.idnat_struct),
            name: h.structure_name.unwrap_or_default(),
            state: h.row.state.label().to_owned(),
            since: date_fr(&h.row.created_at),
            vendor: h.vendor_name.unwrap_or_default(),
            structure: h.row.idnat_struct,
        })
        .collect();
    // The structures whose administrators this card manages: the vendors it speaks for (R49).
    let mut administered = Vec::new();
    for role in reg.active_roles(&portal.actor).await.map_err(page_err)? {
        let Some(entity) = role.legal_entity else { continue };
        if reg.represents(&portal.actor, &entity).await.map_err(page_err)?.is_none() {
            continue;
        }
        if let Ok(list) = reg.habilitations_of_vendor(&portal.actor, &entity).await {
            for h in list {
                administered.push(HabRow {
                    id_type: id_type(&h.row.idnat_struct),
                    name: h.structure_name.unwrap_or_default(),
                    state: format!("{} — {}", h.row.state.label(), h.administrator),
                    since: date_fr(&h.row.created_at),
                    vendor: h.vendor_name.unwrap_or_default(),
                    structure: h.row.idnat_struct,
                });
            }
        }
    }
    Ok(portal.page(&HomePage { l: portal.layout("Mes habilitations", "habilitations"), rows, administered }))
}

#[derive(Template)]
#[template(path = "portal/doctrine.html")]
struct DoctrinePage {
    l: Layout,
    d: Doctrine,
}

impl DoctrinePage {
    fn status_label(s: &CheckStatus) -> &'static str {
        match s {
            CheckStatus::Satisfied => "Conforme",
            CheckStatus::Warning => "À corriger",
            CheckStatus::Missing => "Absent",
        }
    }

    fn status_class(s: &CheckStatus) -> &'static str {
        match s {
            CheckStatus::Satisfied => "satisfied",
            CheckStatus::Warning => "warning",
            CheckStatus::Missing => "missing",
        }
    }
}

pub(crate) async fn doctrine(portal: Portal, Path(id): Path<String>) -> PageResult {
    let reg = portal.reg()?;
    let d = reg.doctrine(&portal.actor, &id).await.map_err(page_err)?;
    let title = format!("Doctrine de {}", d.structure_name.clone().unwrap_or_else(|| d.structure.clone()));
    Ok(portal.page(&DoctrinePage { l: portal.layout(title, "habilitations"), d }))
}

#[derive(Template)]
#[template(path = "portal/history.html")]
struct HistoryPage {
    l: Layout,
    structure: String,
    events: Vec<santepki_storage::audit::AuditEvent>,
    truncated: bool,
}

/// Events shown at most (the newest).
const HISTORY_LIMIT: i64 = 500;

/// A structure's audit history: every event that names it (operators only, checked by the
/// registration service).
pub(crate) async fn history(portal: Portal, Path(id): Path<String>) -> PageResult {
    let reg = portal.reg()?;
    let filter =
        santepki_storage::audit::EventFilter { mentions: Some(id.clone()), limit: HISTORY_LIMIT, ..Default::default() };
    let events = reg.audit_events(&portal.actor, &filter).await.map_err(page_err)?;
    let truncated = events.len() as i64 >= HISTORY_LIMIT;
    let title = format!("Historique de la structure {id}");
    Ok(portal.page(&HistoryPage { l: portal.layout(title, "file"), structure: id, events, truncated }))
}

pub(crate) struct Bar {
    pub month: String,
    pub label: String,
    pub count: i64,
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "portal/schedule.html")]
struct SchedulePage {
    l: Layout,
    bars: Vec<Bar>,
    total: i64,
    max: i64,
}

const MONTHS_FR: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];

pub(crate) async fn schedule(portal: Portal) -> PageResult {
    let reg = portal.reg()?;
    let months = reg.orders().expiry_schedule(&portal.actor, 36).await.map_err(page_err)?;
    let max = months.iter().map(|m| m.count).max().unwrap_or(0);
    let bars = months
        .iter()
        .map(|m| {
            let month_index = m.month.get(5..7).and_then(|s| s.parse::<usize>().ok()).unwrap_or(1);
            Bar {
                label: format!("{} {}", MONTHS_FR[(month_index + 11) % 12], m.month.get(0..4).unwrap_or("")),
                month: m.month.clone(),
                count: m.count,
                percent: if max == 0 { 0 } else { m.count * 100 / max },
            }
        })
        .collect();
    let total = months.iter().map(|m| m.count).sum();
    Ok(portal.page(&SchedulePage { l: portal.layout("Échéancier des certificats", "echeancier"), bars, total, max }))
}
