//! The synthetic directory generator: deterministic output, files that import with no rejected
//! line and no warning, and the seed cases (R10–R17, R44, R45) present and found by search.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use santepki_directory::generate::{self, seed_cases, GenerateOptions, GeneratedFiles, Scale};
use santepki_directory::import::ImportObserver;
use santepki_directory::search::{Directory, ProfessionalView, Query, SearchResult, StructureView};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::{CardNumber, Finess, IdNatPs, Rpps, RppsRang, Siret, ValidationMode};
use santepki_storage::directory as store;
use santepki_storage::Db;
use tempfile::TempDir;

const TEST: ValidationMode = ValidationMode::Test;

fn small(seed: u64) -> GenerateOptions {
    GenerateOptions { seed, scale: Scale::SMALL, ..Default::default() }
}

/// Collects rejections and warnings so that a failing assertion shows them.
#[derive(Default)]
struct Collect {
    messages: Mutex<Vec<String>>,
}

impl ImportObserver for Collect {
    fn rejected(&self, line: u64, reason: &str) {
        self.messages.lock().unwrap().push(format!("line {line} rejected: {reason}"));
    }
    fn warning(&self, line: u64, message: &str) {
        self.messages.lock().unwrap().push(format!("line {line} warning: {message}"));
    }
}

/// A directory generated at `opts` and imported in test mode into a fresh SQLite database.
struct Imported {
    _dir: TempDir,
    db: Db,
    files: GeneratedFiles,
    /// Records imported per file, in import order.
    imported: Vec<u64>,
}

async fn generate_and_import(opts: &GenerateOptions) -> Imported {
    let dir = TempDir::new().unwrap();
    let files = generate::generate(&dir.path().join("files"), opts).unwrap();
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
    let mut imported = Vec::new();
    for path in files.in_import_order() {
        let observer = Arc::new(Collect::default());
        let report = import_file(&db, path, &ImportOptions { mode: TEST, ..Default::default() }, observer.clone())
            .await
            .unwrap();
        let messages = observer.messages.lock().unwrap().clone();
        assert!(
            report.lines_rejected == 0 && report.warnings == 0,
            "{}: {} rejected, {} warnings: {:#?}",
            path.display(),
            report.lines_rejected,
            report.warnings,
            &messages[..messages.len().min(20)]
        );
        imported.push(report.records_imported);
    }
    Imported { _dir: dir, db, files, imported }
}

async fn search(db: &Db, q: Query) -> SearchResult {
    Directory::new(db.clone()).search(&q, 20).await.unwrap()
}

async fn professional(db: &Db, rpps: &str) -> ProfessionalView {
    match search(db, Query::Rpps(Rpps::parse(rpps, TEST).unwrap())).await {
        SearchResult::Professional(p) => *p,
        other => panic!("RPPS {rpps}: expected a professional, got {other:?}"),
    }
}

async fn structure(db: &Db, q: Query) -> StructureView {
    match search(db, q.clone()).await {
        SearchResult::Structure(s) => *s,
        other => panic!("{q:?}: expected a structure, got {other:?}"),
    }
}

async fn by_finess(db: &Db, finess: &str) -> StructureView {
    structure(db, Query::Finess(Finess::parse(finess, TEST).unwrap())).await
}

fn read_all(files: &GeneratedFiles) -> Vec<Vec<u8>> {
    files.in_import_order().iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn file_names(files: &GeneratedFiles) -> Vec<String> {
    files.in_import_order().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
}

#[test]
fn same_options_give_byte_identical_files_and_another_seed_other_files() {
    let (a, b, c) = (TempDir::new().unwrap(), TempDir::new().unwrap(), TempDir::new().unwrap());
    let fa = generate::generate(a.path(), &small(7)).unwrap();
    let fb = generate::generate(b.path(), &small(7)).unwrap();
    let fc = generate::generate(c.path(), &small(8)).unwrap();
    assert_eq!(read_all(&fa), read_all(&fb), "same options, same bytes");
    assert_eq!(fa.counts, fb.counts);
    let (ra, rc) = (read_all(&fa), read_all(&fc));
    for (i, kind) in ["legal entities", "establishments", "activities", "cards"].iter().enumerate() {
        assert_ne!(ra[i], rc[i], "another seed changes the {kind} file");
    }
    // The seed cases do not depend on the seed.
    let activities = String::from_utf8(rc[2].clone()).unwrap();
    assert!(activities.contains("|99700270616|899700270616|"));
}

#[test]
fn file_names_and_framing_follow_the_formats() {
    let dir = TempDir::new().unwrap();
    let files = generate::generate(&dir.path().join("new/sub"), &small(1)).unwrap();
    assert_eq!(
        file_names(&files),
        [
            "etalab-cs1100501-stock-2026-11-01.csv",
            "etalab-cs1100502-stock-2026-11-01.csv",
            "PS_LibreAcces_Personne_activite_202611010000.txt",
            "Cartes_CPx_202611010000.txt",
        ]
    );
    let [ej, eg, activities, cards] = read_all(&files).try_into().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let (ej, eg, activities, cards) = (text(ej), text(eg), text(activities), text(cards));
    for (name, t) in [("ej", &ej), ("eg", &eg), ("activities", &activities), ("cards", &cards)] {
        assert!(
            !t.starts_with('\u{feff}') && !t.contains('\r') && t.ends_with('\n'),
            "{name}: UTF-8 without BOM, \\n line ends"
        );
    }
    assert_eq!(ej.lines().next().unwrap(), format!("finess;etalab;{};2026-11-01", files.counts.legal_entities));
    assert_eq!(eg.lines().next().unwrap(), format!("finess;etalab;{};2026-11-01", files.counts.establishments));
    assert!(ej.lines().skip(1).all(|l| l.starts_with("structureej;") && l.ends_with(';')));
    // All establishments, then one geolocation line each.
    let kinds: Vec<&str> = eg.lines().skip(1).map(|l| l.split(';').next().unwrap()).collect();
    let n = files.counts.establishments as usize;
    assert_eq!(kinds.len(), 2 * n);
    assert!(kinds[..n].iter().all(|k| *k == "structureet") && kinds[n..].iter().all(|k| *k == "geolocalisation"));
    let header = activities.lines().next().unwrap();
    assert_eq!(header, format!("{}|", santepki_directory::formats::rpps::HEADER.join("|")));
    assert!(activities.lines().all(|l| l.matches('|').count() == 56), "56 fields and a trailing | on every line");
    assert!(cards.lines().all(|l| l.matches('|').count() == 6));
}

#[tokio::test]
async fn small_scale_imports_every_line_and_counts_match() {
    let d = generate_and_import(&small(1)).await;
    let c = d.files.counts;
    assert_eq!(d.imported, [c.legal_entities, c.establishments, c.situation_lines, c.cards]);
    let stored = store::counts(&d.db).await.unwrap();
    assert_eq!(stored.legal_entities as u64, c.legal_entities);
    assert_eq!(stored.establishments as u64, c.establishments);
    assert_eq!(stored.professionals as u64, c.professionals, "RPPS numbers are unique");
    assert_eq!(stored.situations as u64, c.situation_lines, "every line is a distinct situation");
    assert_eq!(stored.cards as u64, c.cards, "card numbers are unique");
    assert!(stored.practices > 0);
    // Sizes near the requested ones, plus the seed cases.
    assert!((30..50).contains(&c.legal_entities), "{c:?}");
    assert!((50..90).contains(&c.establishments), "{c:?}");
    assert!((250..450).contains(&c.situation_lines), "{c:?}");
    assert!(c.cards >= c.professionals);
}

#[tokio::test]
async fn demo_scale_imports_every_line() {
    let d = generate_and_import(&GenerateOptions::default()).await;
    let c = d.files.counts;
    assert_eq!(d.imported, [c.legal_entities, c.establishments, c.situation_lines, c.cards]);
    assert!((400..450).contains(&c.legal_entities) && (700..760).contains(&c.establishments), "{c:?}");
    assert!((4_500..5_600).contains(&c.situation_lines), "{c:?}");
    let stored = store::counts(&d.db).await.unwrap();
    assert_eq!((stored.situations as u64, stored.cards as u64), (c.situation_lines, c.cards));
}

/// R44, R45: the test professional, found by RPPS and by idNat_PS, has exactly the four practices
/// of the R44 table, with their identifiers, names, postal addresses and sectors.
#[tokio::test]
async fn r44_r45_test_professional_has_the_four_practices_of_the_ldap_table() {
    let d = generate_and_import(&small(3)).await;
    let by_idnat = match search(&d.db, Query::IdNatPs(IdNatPs::parse(seed_cases::TEST_PS_IDNAT, TEST).unwrap())).await {
        SearchResult::Professional(p) => *p,
        other => panic!("{other:?}"),
    };
    let by_card = match search(&d.db, Query::Card(CardNumber::parse(seed_cases::TEST_PS_CARD, TEST).unwrap())).await {
        SearchResult::Professional(p) => *p,
        other => panic!("{other:?}"),
    };
    for p in [professional(&d.db, seed_cases::TEST_PS_RPPS).await, by_idnat, by_card] {
        assert_eq!(p.idnat_ps, seed_cases::TEST_PS_IDNAT);
        assert_eq!(
            (p.last_name.as_str(), p.first_name.as_str()),
            (seed_cases::TEST_PS_LAST_NAME, seed_cases::TEST_PS_FIRST_NAME)
        );
        assert_eq!(p.profession.as_ref().unwrap().code, "10");
        assert_eq!(p.situations.len(), 4);
        let ous: BTreeSet<&str> = p.situations.iter().filter_map(|s| s.idnat_struct.as_deref()).collect();
        assert_eq!(ous, seed_cases::TEST_PS_SITUATIONS.iter().map(|r| r.ou).collect());
        for row in seed_cases::TEST_PS_SITUATIONS {
            let s = p.situations.iter().find(|s| s.idnat_struct.as_deref() == Some(row.ou)).unwrap();
            assert_eq!(s.sector.as_ref().unwrap().code, row.sector, "{}", row.ou);
            assert_eq!(s.name.as_deref(), Some(row.raison_sociale), "{}", row.ou);
            assert_eq!(s.address, row.postal_address, "{}", row.ou);
            assert_eq!((s.postal_code.as_deref(), s.town.as_deref()), (None, None));
            let kind = if row.sector == "SA09" { "SIRET" } else { "RPPS rang" };
            assert_eq!(s.identifier_kind, Some(kind), "{}", row.ou);
        }
        assert_eq!(p.cards.len(), 1);
    }
}

/// Seed 001: the CHU de Nice, one legal entity and its 12 establishments.
#[tokio::test]
async fn chu_de_nice_legal_entity_and_its_twelve_establishments() {
    let d = generate_and_import(&small(1)).await;
    let eg = by_finess(&d.db, seed_cases::CHU_NICE_PASTEUR_EG).await;
    assert_eq!(eg.summary.name, "CHU DE NICE HOPITAL PASTEUR");
    assert_eq!(eg.summary.postal_code.as_deref(), Some("06000"));
    assert_eq!(eg.summary.town.as_deref(), Some("NICE"));
    assert_eq!(eg.phone.as_deref(), Some("0492037609"));
    assert_eq!(eg.category.as_ref().unwrap().code, "101");
    assert_eq!(eg.legal_entity.as_ref().unwrap().finess.as_deref(), Some(seed_cases::CHU_NICE_EJ));
    let siblings: BTreeSet<String> = eg.establishments.iter().filter_map(|e| e.finess.clone()).collect();
    let expected: BTreeSet<String> = seed_cases::CHU_NICE_EGS
        .iter()
        .filter(|f| **f != seed_cases::CHU_NICE_PASTEUR_EG)
        .map(|f| f.to_string())
        .collect();
    assert_eq!(siblings, expected, "the 11 other establishments");
    assert!(eg.sectors.iter().any(|s| s.code == "SA01"), "physicians with SA01 situations");

    let ej = by_finess(&d.db, seed_cases::CHU_NICE_EJ).await;
    assert_eq!(ej.summary.name, seed_cases::CHU_NICE_NAME);
    assert_eq!(ej.establishments.len(), 12);

    let cimiez = by_finess(&d.db, "060793775").await;
    assert_eq!(cimiez.category.as_ref().unwrap().code, "362");
    assert_eq!(cimiez.summary.town.as_deref(), Some("NICE CEDEX 1"));
    let csapa = by_finess(&d.db, "060923158").await;
    assert_eq!(csapa.category.as_ref().unwrap().code, "191");
    let tende = by_finess(&d.db, "060790177").await;
    assert_eq!((tende.summary.postal_code.as_deref(), tende.summary.town.as_deref()), (Some("06430"), Some("TENDE")));

    for rpps in seed_cases::CHU_NICE_PHYSICIANS_RPPS {
        let p = professional(&d.db, rpps).await;
        assert!(!p.situations.is_empty());
        for s in &p.situations {
            assert_eq!(s.sector.as_ref().unwrap().code, "SA01");
            assert_eq!(s.legal_entity_finess.as_deref(), Some(seed_cases::CHU_NICE_EJ));
        }
    }
    // The first physician also holds an expired card, the second an opposed one.
    let first = professional(&d.db, seed_cases::CHU_NICE_PHYSICIANS_RPPS[0]).await;
    assert!(first.cards.iter().any(|c| c.number == seed_cases::EXPIRED_CARD && c.valid_until.as_str() < "2026-11-01"));
    let second = professional(&d.db, seed_cases::CHU_NICE_PHYSICIANS_RPPS[1]).await;
    assert!(second.cards.iter().any(|c| c.number == seed_cases::OPPOSED_CARD && c.opposed_on.is_some()));
}

/// R11, R12: every biologist of a multi-site lab is registered at its main site, SA17.
#[tokio::test]
async fn r11_r12_biologists_are_all_at_the_main_site() {
    let d = generate_and_import(&small(1)).await;
    for (ej, main, sites, biologists) in [
        (
            seed_cases::LBM_SELAS_EJ,
            seed_cases::LBM_SELAS_MAIN_EG,
            &seed_cases::LBM_SELAS_SITES[..],
            &seed_cases::LBM_SELAS_BIOLOGISTS_RPPS[..],
        ),
        (
            seed_cases::LBM_MULTISITE_EJ,
            seed_cases::LBM_MULTISITE_MAIN_EG,
            &seed_cases::LBM_MULTISITE_SITES[..],
            &seed_cases::LBM_MULTISITE_BIOLOGISTS_RPPS[..],
        ),
    ] {
        let entity = by_finess(&d.db, ej).await;
        let found: BTreeSet<String> = entity.establishments.iter().filter_map(|e| e.finess.clone()).collect();
        assert_eq!(found, sites.iter().map(|s| s.to_string()).collect());
        let main_site = by_finess(&d.db, main).await;
        assert_eq!(main_site.category.as_ref().unwrap().code, "611");
        assert_eq!(main_site.professionals.len(), biologists.len());
        for rpps in biologists {
            let p = professional(&d.db, rpps).await;
            assert!(!p.situations.is_empty());
            for s in &p.situations {
                assert_eq!(s.finess.as_deref(), Some(main), "{rpps}");
                assert_eq!(s.legal_entity_finess.as_deref(), Some(ej));
                assert_eq!(s.sector.as_ref().unwrap().code, "SA17");
            }
        }
        for other in sites.iter().filter(|s| **s != main) {
            assert!(by_finess(&d.db, other).await.professionals.is_empty(), "nobody at secondary site {other}");
        }
    }
    let selas = by_finess(&d.db, seed_cases::LBM_SELAS_EJ).await;
    assert_eq!(selas.summary.name, seed_cases::LBM_SELAS_NAME);
    assert!(selas.legal_status.as_ref().unwrap().label.as_deref().unwrap().contains("S.E.L.A.S."));
    let rep = professional(&d.db, seed_cases::LBM_SELAS_LEGAL_REP_RPPS).await;
    assert!(rep.cards.iter().any(|c| c.number == seed_cases::LBM_SELAS_LEGAL_REP_CARD));
}

/// R10: a pharmacy's pharmacists are registered at its FINESS géographique, SA06.
#[tokio::test]
async fn r10_pharmacists_at_the_pharmacy_finess() {
    let d = generate_and_import(&small(1)).await;
    let eg = by_finess(&d.db, seed_cases::PHARMACY_EG).await;
    assert_eq!(eg.summary.name, seed_cases::PHARMACY_NAME);
    assert_eq!(eg.category.as_ref().unwrap().code, "620");
    assert_eq!(eg.legal_entity.as_ref().unwrap().finess.as_deref(), Some(seed_cases::PHARMACY_EJ));
    assert_eq!(eg.professionals.len(), 2);
    for rpps in [seed_cases::PHARMACIST_RPPS, seed_cases::PHARMACY_ASSISTANT_RPPS] {
        let p = professional(&d.db, rpps).await;
        assert_eq!(p.profession.as_ref().unwrap().code, "21");
        assert_eq!(p.situations.len(), 1);
        assert_eq!(p.situations[0].finess.as_deref(), Some(seed_cases::PHARMACY_EG));
        assert_eq!(p.situations[0].sector.as_ref().unwrap().code, "SA06");
    }
    let owner = professional(&d.db, seed_cases::PHARMACIST_RPPS).await;
    assert_eq!(owner.situations[0].role.as_ref().unwrap().label.as_deref(), Some("Pharmacien titulaire d'officine"));
    assert_eq!(owner.cards[0].number, seed_cases::PHARMACIST_CARD);
}

/// R13: a société d'exercice is found by its SIRET, with its two radiologists, SA09.
#[tokio::test]
async fn r13_societe_d_exercice_by_siret() {
    let d = generate_and_import(&small(1)).await;
    let s = structure(&d.db, Query::Siret(Siret::parse(seed_cases::SOCIETE_EXERCICE_SIRET, TEST).unwrap())).await;
    assert_eq!(s.summary.name, seed_cases::SOCIETE_EXERCICE_NAME);
    assert_eq!(s.summary.kind, "practice_siret");
    assert_eq!(s.sectors.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["SA09"]);
    let found: BTreeSet<String> = s.professionals.iter().map(|p| p.idnat_ps.clone()).collect();
    assert_eq!(found, seed_cases::SOCIETE_EXERCICE_RADIOLOGISTS_RPPS.iter().map(|r| format!("8{r}")).collect());
}

/// R14: the SCM radiologist has six RPPS rang practices (SA07/SA08: forms of 4 + 2) and one SIRET.
#[tokio::test]
async fn r14_scm_radiologist_has_six_rpps_rang_and_one_siret() {
    let d = generate_and_import(&small(1)).await;
    let p = professional(&d.db, seed_cases::SCM_RADIOLOGIST_RPPS).await;
    assert_eq!(p.situations.len(), 7);
    let rangs: BTreeSet<String> = p.situations.iter().filter_map(|s| s.rpps_rang.clone()).collect();
    assert_eq!(rangs, seed_cases::SCM_RADIOLOGIST_RPPS_RANGS.iter().map(|r| r.to_string()).collect());
    for s in p.situations.iter().filter(|s| s.rpps_rang.is_some()) {
        assert!(matches!(s.sector.as_ref().unwrap().code.as_str(), "SA07" | "SA08"));
        assert!(s.name.as_deref().unwrap().starts_with("CABINET DE RADIOLOGIE"));
    }
    let sirets: Vec<&str> = p
        .situations
        .iter()
        .filter(|s| s.identifier_kind == Some("SIRET"))
        .map(|s| s.identifier.as_deref().unwrap())
        .collect();
    assert_eq!(sirets, [seed_cases::SCM_RADIOLOGIST_SIRET]);
    for rang in seed_cases::SCM_RADIOLOGIST_RPPS_RANGS {
        let s = structure(&d.db, Query::RppsRang(RppsRang::parse(rang, TEST).unwrap())).await;
        assert_eq!(s.summary.kind, "practice_rpps_rang");
        assert_eq!(s.professionals.len(), 1);
    }
    let selarl = structure(&d.db, Query::Siret(Siret::parse(seed_cases::SCM_RADIOLOGIST_SIRET, TEST).unwrap())).await;
    assert_eq!(selarl.summary.name, seed_cases::SCM_RADIOLOGIST_SELARL_NAME);
}

/// R15: a radiology GIE has a FINESS, a GIE legal entity, and its radiologists are in SA04.
#[tokio::test]
async fn r15_radiology_gie_in_sector_sa04() {
    let d = generate_and_import(&small(1)).await;
    let eg = by_finess(&d.db, seed_cases::RADIOLOGY_GIE_EG).await;
    assert_eq!(eg.summary.name, seed_cases::RADIOLOGY_GIE_NAME);
    assert_eq!(eg.sectors.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["SA04"]);
    assert_eq!(eg.professionals.len(), 2);
    let ej = by_finess(&d.db, seed_cases::RADIOLOGY_GIE_EJ).await;
    assert!(ej.legal_status.as_ref().unwrap().label.as_deref().unwrap().contains("G.I.E."));
}

/// R16: the ESSMS manager's legal entity has three establishments (EHPAD, IME, SSIAD) with nurses.
#[tokio::test]
async fn r16_essms_manager_with_three_establishments() {
    let d = generate_and_import(&small(1)).await;
    let ej = by_finess(&d.db, seed_cases::ESSMS_EJ).await;
    assert_eq!(ej.summary.name, seed_cases::ESSMS_NAME);
    assert_eq!(ej.establishments.len(), 3);
    let mut categories = Vec::new();
    for (eg, sector) in seed_cases::ESSMS_EGS.iter().zip(["SA26", "SA25", "SA29"]) {
        let s = by_finess(&d.db, eg).await;
        categories.push(s.category.unwrap().code);
        assert_eq!(s.sectors.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), [sector], "{eg}");
    }
    assert_eq!(categories, ["500", "183", "354"]);
    for rpps in seed_cases::ESSMS_NURSES_RPPS {
        assert_eq!(professional(&d.db, rpps).await.profession.unwrap().code, "60");
    }
}

/// R17: the hospital's establishment carries a valid SIRET, found by SIRET and by FINESS.
#[tokio::test]
async fn r17_hospital_establishment_with_siret() {
    let d = generate_and_import(&small(1)).await;
    let eg = by_finess(&d.db, seed_cases::HOSPITAL_EG).await;
    assert_eq!(eg.summary.name, seed_cases::HOSPITAL_NAME);
    assert_eq!(eg.summary.siret.as_deref(), Some(seed_cases::HOSPITAL_SIRET));
    assert_eq!(eg.category.as_ref().unwrap().code, "355");
    assert_eq!(eg.professionals.len(), 3);
    assert!(eg.professionals.iter().all(|p| p.sector.as_deref() == Some("SA01")));
    let by_siret =
        structure(&d.db, Query::Siret(Siret::parse(seed_cases::HOSPITAL_SIRET, ValidationMode::Strict).unwrap())).await;
    assert_eq!(by_siret.summary.finess.as_deref(), Some(seed_cases::HOSPITAL_EG));
}

/// Every seed professional and seed structure is found by its name alone (names are unique).
#[tokio::test]
async fn seed_cases_are_found_by_name() {
    let d = generate_and_import(&GenerateOptions { seed: 5, ..small(5) }).await;
    for p in seed_cases::PROFESSIONALS {
        match search(&d.db, Query::ProfessionalName(format!("{} {}", p.last_name, p.first_name))).await {
            SearchResult::Professionals { items } => {
                assert_eq!(items.len(), 1, "{} {}", p.last_name, p.first_name);
                assert_eq!(items[0].idnat_ps, format!("8{}", p.rpps));
            }
            other => panic!("{other:?}"),
        }
        let view = professional(&d.db, p.rpps).await;
        assert!(view
            .cards
            .iter()
            .any(|c| c.number == p.card && c.opposed_on.is_none() && c.valid_until.as_str() > "2026-11-01"));
    }
    // A name finds exactly the seed structures of that name (a hospital's or a GIE's legal
    // entity and establishment share it).
    let finess = |ids: &[&str]| ids.iter().map(|f| format!("1{f}")).collect::<BTreeSet<_>>();
    let cases = [
        (seed_cases::CHU_NICE_NAME, finess(&[seed_cases::CHU_NICE_EJ])),
        (seed_cases::LBM_SELAS_NAME, finess(&[seed_cases::LBM_SELAS_EJ])),
        (seed_cases::LBM_MULTISITE_NAME, finess(&[seed_cases::LBM_MULTISITE_EJ])),
        (seed_cases::PHARMACY_NAME, finess(&[seed_cases::PHARMACY_EG])),
        (seed_cases::RADIOLOGY_GIE_NAME, finess(&[seed_cases::RADIOLOGY_GIE_EJ, seed_cases::RADIOLOGY_GIE_EG])),
        (seed_cases::ESSMS_NAME, finess(&[seed_cases::ESSMS_EJ])),
        (seed_cases::HOSPITAL_NAME, finess(&[seed_cases::HOSPITAL_EJ, seed_cases::HOSPITAL_EG])),
        (seed_cases::SOCIETE_EXERCICE_NAME, BTreeSet::from([format!("3{}", seed_cases::SOCIETE_EXERCICE_SIRET)])),
        (seed_cases::SCM_RADIOLOGIST_SELARL_NAME, BTreeSet::from([format!("3{}", seed_cases::SCM_RADIOLOGIST_SIRET)])),
    ];
    for (name, expected) in cases {
        match search(&d.db, Query::StructureName(name.to_owned())).await {
            SearchResult::Structures { items } => {
                assert_eq!(items.iter().map(|i| i.idnat_struct.clone()).collect::<BTreeSet<_>>(), expected, "{name}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn scale_names() {
    assert_eq!(Scale::parse("small"), Some(Scale::SMALL));
    assert!(matches!(Scale::parse("demo"), Some(Scale::Demo)));
    assert!(matches!(Scale::parse("national"), Some(Scale::National)));
    assert!(Scale::parse("").is_none());
    assert!(Path::new(&generate::generate(TempDir::new().unwrap().path(), &small(1)).unwrap().cards).exists());
}
