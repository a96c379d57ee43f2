//! The LDAP store's (`santepki_storage::ldap`) two ways of reading a professional's situations — with the professional's
//! row, or alone with the open-professional check inside the statement (the R44 search) — give
//! the same entries, on the SQLite file's own connections (through the covering indexes the
//! storage crate creates for them) and on PostgreSQL's pool; a read of some columns only (the
//! R44 search's) gives those columns and no other; a closed professional's situations are never
//! served, whichever way they are read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use ldap3_proto::proto::{LdapDerefAliases, LdapSearchRequest, LdapSearchScope};
use santepki_ldap::entry::{self, Selection};
use santepki_ldap::{search, LdapOptions};
use santepki_storage::ldap::{LdapStore, Loaded, Read, SitColumns, SNAPSHOT_AGE};
use santepki_storage::testing::{self, TestDb};
use santepki_storage::Backend;

fn r44(idnat_ps: &str) -> LdapSearchRequest {
    LdapSearchRequest {
        base: "o=GIP-CPS,c=fr".into(),
        scope: LdapSearchScope::Subtree,
        aliases: LdapDerefAliases::Never,
        sizelimit: 0,
        timelimit: 0,
        typesonly: false,
        filter: ldap3_proto::parse_ldap_filter_str(&format!("(cn={idnat_ps})")).unwrap(),
        attrs: vec![
            "ou".into(),
            "raisonSociale".into(),
            "postalAddress".into(),
            "sectActRPPS".into(),
            "objectClass".into(),
        ],
    }
}

/// Reads the situations of `ids`, each professional's in the order its entries show them.
async fn situations_of(store: &LdapStore, ids: &[String], read: Read, cols: SitColumns) -> Loaded {
    let mut loaded = store.situations_of(ids, read, cols).await.unwrap();
    for rows in loaded.situations.values_mut() {
        rows.sort_by_cached_key(entry::situation_order);
    }
    loaded
}

async fn reads_agree(t: TestDb) {
    let label = t.label();
    let files_dir = tempfile::tempdir().unwrap();
    let files = common::generate_small(files_dir.path());
    common::import(&t.db, &files).await;
    if t.backend == Backend::Sqlite {
        let indexes = testing::sqlite_indexes(&t.db, &["professionals_open", "structures_ldap"]).await;
        assert_eq!(indexes, ["professionals_open", "structures_ldap"], "the LDAP read path's indexes exist on SQLite");
    }
    // Production professionals with several open situations, some at a structure.
    let ids = testing::professionals_with_several_situations(&t.db, 20).await;
    assert!(ids.len() >= 5, "{label}: the small directory has professionals with several situations");
    let store = LdapStore::new(t.db.clone());

    let with_pros = situations_of(&store, &ids, Read::Professionals, SitColumns::ALL).await;
    let alone = situations_of(&store, &ids, Read::SituationsOnly, SitColumns::ALL).await;
    assert_eq!(with_pros.professionals.len(), ids.len(), "{label}");
    assert!(alone.professionals.is_empty(), "{label}: no professional rows read for the R44 search");
    for id in &ids {
        let a: Vec<_> = with_pros.situations[id]
            .iter()
            .map(|s| (s.situation_key.clone(), s.name.clone(), s.postal_code.clone()))
            .collect();
        let b: Vec<_> = alone.situations[id]
            .iter()
            .map(|s| (s.situation_key.clone(), s.name.clone(), s.postal_code.clone()))
            .collect();
        assert!(
            a.len() >= 2 && a.iter().all(|(_, name, _)| name.is_some()),
            "{label} {id}: situations with their structures: {a:?}"
        );
        assert_eq!(a, b, "{label} {id}: both reads give the same situations, structure columns included");
    }

    // The R44 search's columns: the structure's name and address and the sector, not the rest.
    let request = r44(&ids[0]);
    let columns = entry::situation_columns(&Selection::new(&request.attrs).with_filter(&request.filter));
    let projected = situations_of(&store, &ids, Read::SituationsOnly, columns).await;
    for id in &ids {
        for (full, part) in with_pros.situations[id].iter().zip(&projected.situations[id]) {
            assert_eq!((&part.situation_key, &part.idnat_struct), (&full.situation_key, &full.idnat_struct), "{label}");
            assert_eq!(
                (&part.name, &part.street_name, &part.sector_code),
                (&full.name, &full.street_name, &full.sector_code),
                "{label}"
            );
            assert_eq!(
                (&part.siret, &part.email, &part.profession_label, &part.postal_code),
                (&None, &None, &None, &None),
                "{label}: not read"
            );
        }
    }

    // The R44 search finds the first professional's situations, until the professional is closed
    // (its situation rows left open: the statement's own check must hide them).
    let id = &ids[0];
    let opts = LdapOptions::default();
    let found = search::search(&store, &r44(id), None, &opts).await.unwrap();
    assert_eq!(found.entries.len(), with_pros.situations[id].len(), "{label}: R44 finds every open situation");
    testing::close_professional(&t.db, id, "2026-11-24T00:00:00Z").await;
    // A commit is visible to the LDAP readers within their snapshot age.
    tokio::time::sleep(SNAPSHOT_AGE * 2).await;
    let after = store.situations_of(std::slice::from_ref(id), Read::SituationsOnly, SitColumns::ALL).await.unwrap();
    assert!(after.situations.is_empty(), "{label}: a closed professional's open situations are not read");
    let found = search::search(&store, &r44(id), None, &opts).await.unwrap();
    assert!(found.entries.is_empty(), "{label}: a closed professional is not served over LDAP: {:?}", found.entries);
}

#[tokio::test]
async fn situation_reads_agree_on_sqlite() {
    reads_agree(testing::sqlite().await).await;
}

#[tokio::test]
async fn situation_reads_agree_on_postgresql() {
    reads_agree(testing::postgres().await).await;
}

/// The SQLite readers keep a snapshot between reads (SNAPSHOT_AGE), but not once idle:
/// a full checkpoint that truncates the WAL, which must wait for every reader, completes soon
/// after the last LDAP read instead of waiting for one.
#[tokio::test]
async fn idle_readers_release_their_snapshots() {
    let t = testing::sqlite().await;
    let files_dir = tempfile::tempdir().unwrap();
    common::import(&t.db, &common::generate_small(files_dir.path())).await;
    let store = LdapStore::new(t.db.clone());
    let ids = store.professional_ids(None, None, 10).await.unwrap();
    assert_eq!(ids.len(), 10);
    store.situations_of(&ids, Read::SituationsOnly, SitColumns::ALL).await.unwrap();
    // Something to checkpoint after the readers' snapshot.
    testing::touch_professional(&t.db, &ids[0]).await;
    let started = std::time::Instant::now();
    assert!(testing::sqlite_checkpoint_truncate(&t.db).await, "the checkpoint completed");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the idle reader released its snapshot: {:?}",
        started.elapsed()
    );
}
