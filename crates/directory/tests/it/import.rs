//! Import of the public files, on SQLite and PostgreSQL: damaged inputs import their good lines
//! and report every bad one with its number; re-imports update what changed and close what
//! disappeared; encodings, BOM, CRLF and quoting are handled.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use santepki_directory::formats::{cards, finess, rpps};
use santepki_directory::import::{Closure, ImportObserver};
use santepki_directory::search::{Directory, Query, SearchResult};
use santepki_directory::{import_file, ImportError, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_storage::directory as store;
use santepki_storage::testing;
use santepki_storage::Db;

#[derive(Default)]
struct Collect {
    rejected: Mutex<Vec<(u64, String)>>,
}

impl ImportObserver for Collect {
    fn rejected(&self, line: u64, reason: &str) {
        self.rejected.lock().unwrap().push((line, reason.to_owned()));
    }
}

fn opts() -> ImportOptions {
    ImportOptions { mode: ValidationMode::Test, ..Default::default() }
}

async fn import(db: &Db, path: &Path) -> (Result<santepki_directory::ImportReport, ImportError>, Vec<(u64, String)>) {
    let c = Arc::new(Collect::default());
    let r = import_file(db, path, &opts(), c.clone()).await;
    let rejected = c.rejected.lock().unwrap().clone();
    (r, rejected)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A `structureet` line with the given FINESS numbers and name.
fn eg_line(eg: &str, ej: &str, name: &str) -> String {
    let mut f = vec![String::new(); finess::ESTABLISHMENT_FIELDS.len()];
    let set = |f: &mut Vec<String>, k: &str, v: &str| f[finess::idx(&finess::ESTABLISHMENT_FIELDS, k)] = v.to_owned();
    set(&mut f, "structureet", "structureet");
    set(&mut f, "nofinesset", eg);
    set(&mut f, "nofinessej", ej);
    set(&mut f, "rs", name);
    set(&mut f, "numvoie", "30");
    set(&mut f, "typvoie", "AV");
    set(&mut f, "voie", "DE LA VOIE ROMANE");
    set(&mut f, "departement", "06");
    set(&mut f, "ligneacheminement", "06000 NICE");
    set(&mut f, "categetab", "101");
    set(&mut f, "libcategetab", "Centre Hospitalier Régional (C.H.R.)");
    format!("{};", f.join(";"))
}

/// An activity line: RPPS, structure, raison sociale, street name, sector.
fn ps_line(rpps_id: &str, last: &str, idnat_struct: &str, name: &str, street: &str, sector: &str) -> String {
    let mut f = vec![String::new(); rpps::HEADER.len()];
    let mut set = |k: &str, v: &str| {
        let i = rpps::HEADER.iter().position(|h| rpps::column_key(h) == rpps::column_key(k)).unwrap();
        f[i] = v.to_owned();
    };
    set("Type d'identifiant PP", "8");
    set("Identifiant PP", rpps_id);
    set("Identification nationale PP", &format!("8{rpps_id}"));
    set("Nom d'exercice", last);
    set("Prénom d'exercice", "JEANNE");
    set("Code profession", "10");
    set("Libellé profession", "Médecin");
    set("Code mode exercice", "L");
    set("Ancien identifiant de la structure", idnat_struct);
    set("Raison sociale site", name);
    set("Numéro Voie", "4");
    set("Libellé type de voie", "RUE");
    set("Libellé Voie", street);
    set("Code secteur d'activité", sector);
    format!("{}|", f.join("|"))
}

fn ps_file(lines: &[String]) -> String {
    let mut s = format!("{}|\n", rpps::HEADER.join("|"));
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

#[tokio::test]
async fn damaged_finess_file_imports_good_lines_and_reports_each_bad_one() {
    for t in testing::both().await {
        let dir = tempfile::tempdir().unwrap();
        let mut data = Vec::new();
        data.extend_from_slice(b"finess;etalab;6;2026-11-01\n");
        data.extend_from_slice(eg_line("060785003", "060785011", "CHU DE NICE HOPITAL PASTEUR").as_bytes()); // line 2
        data.push(b'\n');
        data.extend_from_slice(b"structureet;060024411;060785011;TOO FEW COLUMNS;\n"); // line 3: wrong column count
        data.extend_from_slice(eg_line("060785004", "060785011", "BAD KEY").as_bytes()); // line 4: bad FINESS key
        data.push(b'\n');
        data.extend_from_slice(eg_line("060788957", "060785011", "CHU DE NICE HOPITAL DE CIMIEZ Éé").as_bytes()); // line 5
        data.push(b'\n');
        let mut bad_utf8 = eg_line("060789195", "060785011", "ARCHET X").into_bytes(); // line 6: invalid UTF-8
        let pos = bad_utf8.windows(6).position(|w| w == b"ARCHET").unwrap();
        bad_utf8[pos + 7] = 0xff;
        data.extend_from_slice(&bad_utf8);
        data.push(b'\n');
        data.extend_from_slice(b"structureet;\x00\x01\x02garbage\x7f\x00;\n"); // line 7: binary
        data.extend_from_slice(b"\n"); // line 8: blank, ignored
        data.extend_from_slice(b"geolocalisation;060785003;1044000.0;6299000.0;1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;2026-01-01;\n"); // line 9
        data.extend_from_slice(eg_line("060024411", "060785011", "CHU DE NICE ANTENNE SMUR").as_bytes()); // line 10
        data.extend_from_slice(b"\nstructureet;0607"); // line 11: the file is cut here
        let path = write(dir.path(), "etalab-cs1100502-stock-2026-11-01.csv", &data);

        let (report, rejected) = import(&t.db, &path).await;
        let report = report.unwrap();
        assert_eq!(report.records_imported, 3, "{}", t.label());
        assert_eq!(report.lines_rejected, 5);
        assert_eq!(report.file_date.as_deref(), Some("2026-11-01"));
        let lines: Vec<u64> = rejected.iter().map(|r| r.0).collect();
        assert_eq!(lines, [3, 4, 6, 7, 11], "{rejected:?}");
        assert!(rejected[0].1.contains("column count"), "{}", rejected[0].1);
        assert!(rejected[1].1.contains("nofinesset") && rejected[1].1.contains("check key"), "{}", rejected[1].1);
        assert!(rejected[2].1.contains("UTF-8"), "{}", rejected[2].1);
        assert!(rejected[3].1.contains("binary"), "{}", rejected[3].1);
        assert!(rejected[4].1.contains("column count"), "{}", rejected[4].1);
        // A cut file must not close what it lacks.
        assert_eq!(report.closure, Closure::SkippedIncompleteFile);
        let s = store::structure(&t.db, "1060788957").await.unwrap().unwrap();
        assert_eq!(s.name, "CHU DE NICE HOPITAL DE CIMIEZ Éé");
        assert_eq!(s.postal_code.as_deref(), Some("06000"));
        assert_eq!(store::counts(&t.db).await.unwrap().establishments, 3);
        // The run is recorded with its outcome.
        let runs = store::recent_runs(&t.db, 1).await.unwrap();
        assert_eq!((runs[0].status.as_str(), runs[0].lines_rejected), ("done_with_rejections", 5));
    }
}

#[tokio::test]
async fn latin1_crlf_and_quoted_fields() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    // Latin-1 bytes (é of "Régional" = 0xE9), CRLF, a quoted name with a separator and a doubled quote.
    let line = eg_line("060785003", "060785011", "\"HOPITAL \"\"PASTEUR\"\"; SITE 1\"");
    let text = format!("finess;etalab;1;2026-11-01\r\n{line}\r\n");
    let bytes: Vec<u8> = text.chars().map(|c| c as u32 as u8).collect(); // to Latin-1
    let path = write(dir.path(), "etalab-cs1100502-stock.csv", &bytes);
    let report = import_file(&t.db, &path, &opts(), Arc::new(santepki_directory::import::Quiet)).await.unwrap();
    assert_eq!((report.records_imported, report.lines_rejected), (1, 0), "{:?}", report.rejections);
    let s = store::structure(&t.db, "1060785003").await.unwrap().unwrap();
    assert_eq!(s.name, "HOPITAL \"PASTEUR\"; SITE 1");
    assert_eq!(s.category_label.as_deref(), Some("Centre Hospitalier Régional (C.H.R.)"));
}

#[tokio::test]
async fn file_level_errors_are_clear() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.csv", b"");
    assert!(matches!(import(&t.db, &empty).await.0, Err(ImportError::Empty(_))));
    let blank = write(dir.path(), "blank.txt", b"\n\n  \n");
    assert!(matches!(import(&t.db, &blank).await.0, Err(ImportError::Empty(_))));
    let mut junk = vec![0u8; 1 << 20];
    for (i, b) in junk.iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    let garbage = write(dir.path(), "junk.bin", &junk);
    let e = import(&t.db, &garbage).await.0.unwrap_err();
    assert!(matches!(e, ImportError::UnknownFormat(..)), "{e}");
    assert!(e.to_string().contains("unknown file format"));
    // An activities file without its required columns.
    let no_cols =
        write(dir.path(), "ps.txt", "Type d'identifiant PP|Identification nationale PP|\n8|810000000017|\n".as_bytes());
    let e = import(&t.db, &no_cols).await.0.unwrap_err();
    assert!(matches!(e, ImportError::Header(..)) && e.to_string().contains("Nom d'exercice"), "{e}");
    assert_eq!(store::counts(&t.db).await.unwrap().professionals, 0);
}

#[tokio::test]
async fn reimport_updates_what_changed_and_closes_what_disappeared() {
    for t in testing::both().await {
        let dir = tempfile::tempdir().unwrap();
        let v1 = ps_file(&[
            ps_line("10000000017", "DUPONT", "499700270616003", "CABINET DUPONT", "NOIR", "SA07"),
            ps_line("10000000017", "DUPONT", "499700270616011", "CABINET DUPONT 2", "NOIR", "SA07"),
            ps_line("10000000025", "MARTIN", "1060785003", "CHU DE NICE HOPITAL PASTEUR", "VOIE ROMANE", "SA01"),
            ps_line("10000000033", "DURAND", "1060785003", "CHU DE NICE HOPITAL PASTEUR", "VOIE ROMANE", "SA01"),
        ]);
        let p1 = write(dir.path(), "PS_LibreAcces_Personne_activite_202601010000.txt", v1.as_bytes());
        let (r1, rej) = import(&t.db, &p1).await;
        let r1 = r1.unwrap();
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(r1.records_imported, 4, "{}", t.label());

        // Newer file: DUPONT's second practice moved street, MARTIN left, LEROY arrived.
        let v2 = ps_file(&[
            ps_line("10000000017", "DUPONT", "499700270616003", "CABINET DUPONT", "NOIR", "SA07"),
            ps_line("10000000017", "DUPONT", "499700270616011", "CABINET DUPONT 2", "BLANC", "SA07"),
            ps_line("10000000033", "DURAND", "1060785003", "CHU DE NICE HOPITAL PASTEUR", "VOIE ROMANE", "SA01"),
            ps_line("10000000041", "LEROY", "1060785003", "CHU DE NICE HOPITAL PASTEUR", "VOIE ROMANE", "SA01"),
        ]);
        let p2 = write(dir.path(), "PS_LibreAcces_Personne_activite_202602010000.txt", v2.as_bytes());
        let r2 = import(&t.db, &p2).await.0.unwrap();
        // MARTIN's situation and MARTIN are closed; the moved practice is updated.
        assert_eq!(r2.closure, Closure::Done { closed: 2 }, "{}", t.label());
        // The practice moved: its structure row changes (site data lives on the structure).
        assert_eq!(r2.written.updated, 1, "{:?}", r2.written);
        let dupont = store::situations_of(&t.db, "810000000017", false).await.unwrap();
        assert!(dupont.iter().any(|s| s.street_name.as_deref() == Some("BLANC")));
        assert_eq!(store::situations_of(&t.db, "810000000025", false).await.unwrap().len(), 0);
        assert_eq!(store::situations_of(&t.db, "810000000025", true).await.unwrap().len(), 1, "closed, not deleted");
        let dir_search = Directory::new(t.db.clone());
        match dir_search.search(&Query::parse("rpps", "10000000025", ValidationMode::Test).unwrap(), 10).await.unwrap()
        {
            SearchResult::Professional(p) => assert!(p.closed),
            other => panic!("{other:?}"),
        }
        // Importing the same file again changes nothing.
        let r3 = import(&t.db, &p2).await.0.unwrap();
        assert_eq!((r3.written.inserted, r3.written.updated), (0, 0), "{}", t.label());
        assert_eq!(r3.closure, Closure::Done { closed: 0 });
    }
}

#[tokio::test]
async fn a_much_smaller_file_does_not_empty_the_directory() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = (0..10)
        .map(|i| {
            let rpps = santepki_domain::Rpps::with_key(&format!("100000{i:04}")).unwrap();
            ps_line(rpps.as_str(), "NOM", "1060785003", "CHU", "RUE", "SA01")
        })
        .collect();
    let p1 = write(dir.path(), "PS_LibreAcces_Personne_activite_1.txt", ps_file(&lines).as_bytes());
    import(&t.db, &p1).await.0.unwrap();
    let p2 = write(dir.path(), "PS_LibreAcces_Personne_activite_2.txt", ps_file(&lines[..1]).as_bytes());
    let r = import(&t.db, &p2).await.0.unwrap();
    assert!(matches!(r.closure, Closure::SkippedTooMany { would_close: 18, .. }), "{:?}", r.closure);
    assert_eq!(store::counts(&t.db).await.unwrap().situations, 10);
}

#[tokio::test]
async fn activity_lines_are_checked() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let good = ps_line("99700270616", "MAXI", "39999999800514", "SOCIETE MAXI", "NOIR", "SA09");
    let bad_rpps = ps_line("99700270617", "MAXI", "39999999800514", "SOCIETE MAXI", "NOIR", "SA09");
    let bad_struct = ps_line("99700270616", "MAXI", "9123", "X", "NOIR", "SA09");
    let bad_sector = ps_line("99700270616", "MAXI", "499700270616029", "X", "NOIR", "SECTOR9");
    let mismatch = good.replacen("|99700270616|", "|10000000017|", 1);
    let no_name = good.replace("|MAXI|", "||");
    let extra = format!("{good}extra|");
    let p = write(
        dir.path(),
        "ps.txt",
        ps_file(&[good, bad_rpps, bad_struct, bad_sector, mismatch, no_name, extra]).as_bytes(),
    );
    let (r, rejected) = import(&t.db, &p).await;
    let r = r.unwrap();
    assert_eq!(r.records_imported, 1);
    let reasons: Vec<&str> = rejected.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(rejected.iter().map(|x| x.0).collect::<Vec<_>>(), [3, 4, 5, 6, 7, 8]);
    assert!(reasons[0].contains("Identification nationale PP") && reasons[0].contains("check key"), "{}", reasons[0]);
    assert!(reasons[1].contains("Ancien identifiant de la structure") && reasons[1].contains("R43"), "{}", reasons[1]);
    assert!(reasons[2].contains("secteur"), "{}", reasons[2]);
    assert!(reasons[3].contains("does not match"), "{}", reasons[3]);
    assert!(reasons[4].contains("Nom d'exercice"), "{}", reasons[4]);
    assert!(reasons[5].contains("column count"), "{}", reasons[5]);
    // Strict mode refuses the test-environment SIRET of the seed (R44's SOCIETE MAXI).
    let strict = ImportOptions { mode: ValidationMode::Strict, ..Default::default() };
    let p = write(
        dir.path(),
        "ps2.txt",
        ps_file(&[ps_line("99700270616", "MAXI", "39999999800514", "SOCIETE MAXI", "NOIR", "SA09")]).as_bytes(),
    );
    let r = import_file(&t.db, &p, &strict, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
    assert_eq!(r.lines_rejected, 1);
    assert!(r.rejections[0].reason.contains("test"), "{}", r.rejections[0].reason);
}

#[tokio::test]
async fn cards_are_imported_and_found_by_number() {
    let t = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let ps = write(
        dir.path(),
        "ps.txt",
        ps_file(&[ps_line("99700270616", "MAXI", "39999999800514", "SOCIETE MAXI", "NOIR", "SA09")]).as_bytes(),
    );
    import(&t.db, &ps).await.0.unwrap();
    let text = format!(
        "{}|\nCPS|8002706160|899700270616|2025-01-01|2028-01-01||\nCPS|8002706161|899700270616|01/01/2022|31/12/2024|15/06/2023|\nXYZ|8002706162|899700270616|2025-01-01|2028-01-01||\nCPS|8002706163|899700270616|2028-01-01|2025-01-01||\n",
        cards::HEADER.join("|")
    );
    let p = write(dir.path(), "Cartes_CPx_1.txt", text.as_bytes());
    let (r, rejected) = import(&t.db, &p).await;
    assert_eq!(r.unwrap().records_imported, 2);
    assert_eq!(rejected.len(), 2);
    assert!(rejected[0].1.contains("Type de carte"));
    assert!(rejected[1].1.contains("before"));
    let d = Directory::new(t.db.clone());
    match d.search(&Query::parse("card", "8002706161", ValidationMode::Test).unwrap(), 10).await.unwrap() {
        SearchResult::Professional(p) => {
            assert_eq!(p.idnat_ps, "899700270616");
            assert_eq!(p.cards.len(), 2);
            assert_eq!(p.cards[1].opposed_on.as_deref(), Some("2023-06-15"));
        }
        other => panic!("{other:?}"),
    }
}

/// The names of the secondary indexes present in the database.
async fn index_names(t: &testing::TestDb) -> Vec<String> {
    testing::index_names(&t.db).await.unwrap()
}

#[tokio::test]
async fn bulk_loads_rebuild_their_indexes_even_after_a_crash() {
    for t in testing::both().await {
        let before = index_names(&t).await;
        assert!(before.contains(&"situations_idnat_struct".to_owned()), "{before:?}");
        let dir = tempfile::tempdir().unwrap();
        let lines: Vec<String> = (0..50)
            .map(|i| {
                let rpps = santepki_domain::Rpps::with_key(&format!("100000{i:04}")).unwrap();
                ps_line(rpps.as_str(), "NOM", "1060785003", "CHU", "RUE", "SA01")
            })
            .collect();
        let p = write(dir.path(), "PS_LibreAcces_Personne_activite_1.txt", ps_file(&lines).as_bytes());
        // A threshold of 0 lines: this small file is loaded like a national one.
        let bulk = ImportOptions { bulk_load_min_lines: 0, ..opts() };
        let r = import_file(&t.db, &p, &bulk, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        assert_eq!(r.records_imported, 50, "{}", t.label());
        assert_eq!(index_names(&t).await, before, "{}: indexes rebuilt after the load", t.label());
        let found = store::situations_at(&t.db, "1060785003", 100).await.unwrap();
        assert_eq!(found.len(), 50);

        // A process killed during a bulk load leaves tables without indexes: the next import
        // (here a small one, not a bulk load) rebuilds them first.
        store::drop_indexes_of(&t.db, "situations").await.unwrap();
        assert!(!index_names(&t).await.contains(&"situations_idnat_struct".to_owned()));
        let small = write(dir.path(), "PS_LibreAcces_Personne_activite_2.txt", ps_file(&lines[..45]).as_bytes());
        import_file(&t.db, &small, &opts(), Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        assert_eq!(index_names(&t).await, before, "{}", t.label());
    }
}

/// Issue 15, point 12: a re-import into populated tables keeps the indexes name searches use
/// (before, any file with more lines than the table had rows dropped them for the whole import,
/// and name searches on a serving node went from milliseconds to full scans).
#[tokio::test]
async fn a_reimport_into_populated_tables_keeps_the_indexes() {
    for t in testing::both().await {
        let dir = tempfile::tempdir().unwrap();
        let lines: Vec<String> = (0..60)
            .map(|i| {
                let rpps = santepki_domain::Rpps::with_key(&format!("100001{i:04}")).unwrap();
                ps_line(rpps.as_str(), "NOM", "1060785003", "CHU", "RUE", "SA01")
            })
            .collect();
        let bulk = ImportOptions { bulk_load_min_lines: 0, ..opts() };
        let first = write(dir.path(), "PS_LibreAcces_Personne_activite_1.txt", ps_file(&lines[..20]).as_bytes());
        let r = import_file(&t.db, &first, &bulk, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        assert_eq!(r.bulk_loaded, ["situations", "professionals", "structures"], "{}: a first load", t.label());
        // Three times as many lines as the tables hold: still a re-import, indexes kept.
        let bigger = write(dir.path(), "PS_LibreAcces_Personne_activite_2.txt", ps_file(&lines).as_bytes());
        let r = import_file(&t.db, &bigger, &bulk, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        assert_eq!(r.records_imported, 60, "{}", t.label());
        assert!(r.bulk_loaded.is_empty(), "{}: {:?}", t.label(), r.bulk_loaded);
    }
}

/// Issue 15, point 12: a run left `running` by a process that died is marked `abandoned` by
/// the next import (and by `runs::recover`, which serving nodes call), which also rebuilds the
/// indexes the dead first load dropped; a live run is left alone, with its dropped indexes.
#[tokio::test]
async fn a_run_whose_process_died_is_abandoned_and_its_dropped_indexes_rebuilt() {
    use santepki_directory::runs;
    use santepki_domain::values::ImportRunStatus;
    let Some(me) = runs::this_process() else { return };
    let boot = me.split('/').next().unwrap().to_owned();
    for t in testing::both().await {
        let all = index_names(&t).await;
        // A first load killed midway: its run stays `running`, the situations indexes dropped.
        // Its owner is a pid of this machine that no process has (pids stop below 2^22).
        let dead = store::begin_run(&t.db, "rpps_activities", "big.txt", None, Some(&format!("{boot}/99999999/1")))
            .await
            .unwrap();
        store::drop_indexes_of(&t.db, "situations").await.unwrap();
        // This process's own run is live: recovery leaves the indexes it dropped alone.
        let live = store::begin_run(&t.db, "cards", "live.txt", None, Some(&me)).await.unwrap();
        let r = runs::recover(&t.db, "test").await.unwrap();
        assert_eq!((r.abandoned, r.live.clone(), r.indexes_rebuilt), (vec![dead], vec![live], vec![]), "{}", t.label());
        assert_ne!(index_names(&t).await, all, "{}", t.label());
        let status = |runs: &[store::ImportRunRecord], id: i64| runs.iter().find(|r| r.id == id).unwrap().status;
        let recent = store::recent_runs(&t.db, 10).await.unwrap();
        assert_eq!(status(&recent, dead), ImportRunStatus::Abandoned, "{}", t.label());
        assert!(recent.iter().find(|r| r.id == dead).unwrap().message.as_deref().unwrap().contains("99999999"));
        assert_eq!(status(&recent, live), ImportRunStatus::Running, "{}", t.label());

        // The live run ends; another dead one is found by the next import, which rebuilds the
        // indexes before its own work.
        let mut finished = recent.iter().find(|r| r.id == live).unwrap().clone();
        finished.status = ImportRunStatus::Done;
        store::finish_run(&t.db, &finished).await.unwrap();
        let dead2 =
            store::begin_run(&t.db, "cards", "gone.txt", None, Some(&format!("{boot}/99999998/1"))).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rpps = santepki_domain::Rpps::with_key("1000020000").unwrap();
        let p = write(
            dir.path(),
            "PS_LibreAcces_Personne_activite_3.txt",
            ps_file(&[ps_line(rpps.as_str(), "NOM", "1060785003", "CHU", "RUE", "SA01")]).as_bytes(),
        );
        import_file(&t.db, &p, &opts(), Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        let recent = store::recent_runs(&t.db, 10).await.unwrap();
        assert_eq!(status(&recent, dead2), ImportRunStatus::Abandoned, "{}", t.label());
        assert_eq!(recent[0].status, ImportRunStatus::Done, "{}", t.label());
        assert_eq!(index_names(&t).await, all, "{}", t.label());
    }
}
