//! Human-readable output of the CLI.

use santepki_directory::import::Closure;
use santepki_directory::search::{ProfessionalView, SearchResult, StructureSummary, StructureView};
use santepki_directory::ImportReport;
use santepki_storage::directory::{DirectoryCounts, ImportRunRecord};

use crate::commands::directory::closure_note;

pub fn print_import_report(r: &ImportReport) {
    let w = &r.written;
    let closed = match r.closure {
        Closure::Done { closed } => closed,
        _ => 0,
    };
    eprintln!(
        "{}: {} ({:?}{}): {} lines read, {} imported, {} rejected, {} skipped; rows: {} new, {} updated, {} unchanged, {} closed{}",
        r.file.display(),
        r.kind.name(),
        r.encoding,
        r.file_date.as_deref().map(|d| format!(", dated {d}")).unwrap_or_default(),
        r.lines_read,
        r.records_imported,
        r.lines_rejected,
        r.lines_skipped,
        w.inserted,
        w.updated,
        w.unchanged,
        closed,
        if r.warnings > 0 { format!("; {} warnings", r.warnings) } else { String::new() },
    );
    if let Some(note) = closure_note(&r.closure) {
        eprintln!("{}: warning: {note}", r.file.display());
    }
}

pub fn print_search_result(r: &SearchResult) {
    match r {
        SearchResult::NotFound => println!("Aucun résultat."),
        SearchResult::Professional(p) => print_professional(p),
        SearchResult::Structure(s) => print_structure(s),
        SearchResult::Professionals { items } => {
            if items.is_empty() {
                println!("Aucun résultat.");
            }
            for p in items {
                let prof = p.profession.as_ref().and_then(|c| c.label.clone()).unwrap_or_default();
                println!("{}  {} {}  {}", p.idnat_ps, p.last_name, p.first_name, prof);
            }
        }
        SearchResult::Structures { items } => {
            if items.is_empty() {
                println!("Aucun résultat.");
            }
            for s in items {
                println!("{}", structure_line(s));
            }
        }
    }
}

fn print_professional(p: &ProfessionalView) {
    println!(
        "{} {} {} — {} {} (idNat_PS {}){}",
        p.civility.as_deref().unwrap_or(""),
        p.last_name,
        p.first_name,
        p.identifier_kind,
        p.national_id,
        p.idnat_ps,
        if p.closed { " [fermé]" } else { "" }
    );
    if let Some(prof) = &p.profession {
        println!("  Profession : {} ({})", prof.label.as_deref().unwrap_or(""), prof.code);
    }
    for c in &p.cards {
        let state = if c.opposed_on.is_some() { " [opposée]" } else { "" };
        println!("  Carte {} n° {} valide du {} au {}{state}", c.card_type, c.number, c.valid_from, c.valid_until);
    }
    println!("  {} situation(s) d'exercice :", p.situations.len());
    for s in &p.situations {
        let id = match (&s.identifier_kind, &s.identifier) {
            (Some(k), Some(v)) => format!("{k} {v}"),
            _ => "sans structure".to_owned(),
        };
        let sector = s.sector.as_ref().map(|x| x.code.as_str()).unwrap_or("-");
        let place = [s.postal_code.as_deref(), s.town.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        println!(
            "  - {id:<24} {sector:<5} {}  {}{}",
            s.name.as_deref().unwrap_or(""),
            s.address,
            if place.is_empty() { String::new() } else { format!(", {place}") }
        );
    }
}

fn structure_line(s: &StructureSummary) -> String {
    let place = [s.postal_code.as_deref(), s.town.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    format!("{:<16} {:<28} {}  {} {}", s.idnat_struct, s.kind_label, s.name, s.address, place)
}

fn print_structure(s: &StructureView) {
    println!("{}{}", structure_line(&s.summary), if s.closed { " [fermé]" } else { "" });
    if let Some(c) = &s.category {
        println!("  Catégorie : {} ({})", c.label.as_deref().unwrap_or(""), c.code);
    }
    if let Some(siret) = &s.summary.siret {
        println!("  SIRET : {siret}");
    }
    if !s.sectors.is_empty() {
        let v: Vec<String> =
            s.sectors.iter().map(|x| format!("{} {}", x.code, x.label.as_deref().unwrap_or(""))).collect();
        println!("  Secteurs : {}", v.join(", "));
    }
    if let Some(ej) = &s.legal_entity {
        println!("  Entité juridique : {}", structure_line(ej));
    }
    if !s.establishments.is_empty() {
        let title = if s.summary.kind == "legal_entity" {
            "Établissements"
        } else {
            "Autres établissements de l'entité juridique"
        };
        println!("  {title} ({}) :", s.establishments.len());
        for e in &s.establishments {
            println!("  - {}", structure_line(e));
        }
    }
    if !s.professionals.is_empty() {
        println!(
            "  Professionnels ({}{}) :",
            s.professionals.len(),
            if s.professionals.len() == 100 { "+" } else { "" }
        );
        for p in s.professionals.iter().take(20) {
            println!("  - {} {}", p.idnat_ps, p.profession.as_ref().and_then(|x| x.label.as_deref()).unwrap_or(""));
        }
    }
}

pub fn print_stats(c: &DirectoryCounts, runs: &[ImportRunRecord]) {
    println!(
        "Entités juridiques {}\nÉtablissements {}\nCabinets {}\nProfessionnels {}\nSituations d'exercice {}\nCartes {}",
        c.legal_entities, c.establishments, c.practices, c.professionals, c.situations, c.cards
    );
    if !runs.is_empty() {
        println!("\nDerniers imports :");
        for r in runs {
            println!(
                "  {} {} {} — {} ({} lignes, {} rejetées, {} nouvelles, {} modifiées, {} fermées)",
                r.started_at,
                r.file_kind,
                r.file_name,
                r.status,
                r.lines_read,
                r.lines_rejected,
                r.rows_inserted,
                r.rows_updated,
                r.rows_closed
            );
        }
    }
}
