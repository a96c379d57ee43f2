//! The LDAP store's two ways of reading a professional's situations — with the professional's
//! row, or alone with the open-professional check inside the statement (the R44 search) — give
//! the same entries, on the SQLite file's own connections (through the covering indexes the
//! storage crate creates for them) and on PostgreSQL's pool; a read of some columns only (the
//! R44 search's) gives those columns and no other; a closed professional's situations are never
//! served, whichever way they are read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use ldap3_proto::proto::{LdapDerefAliases, LdapSearchRequest, LdapSearchScope};
use santepki_ldap::entry::{self, Selection};
use santepki_ldap::store::{self, Read, SitColumns, Store};
use santepki_ldap::{search, LdapOptions};
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

async fn reads_agree(t: TestDb) {
    let label = t.label();
    let files_dir = tempfile::tempdir().unwrap();
    let files = common::generate_small(files_dir.path());
    common::import(&t.db, &files).await;
    if t.backend == Backend::Sqlite {
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('professionals_open', 'structures_ldap') ORDER BY name",
        )
        .fetch_all(t.db.pool())
        .await
        .unwrap();
        assert_eq!(indexes, ["professionals_open", "structures_ldap"], "the LDAP read path's indexes exist on SQLite");
    }
    // Production professionals with several open situations, some at a structure.
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT idnat_ps FROM situations WHERE closed_at IS NULL AND idnat_ps NOT LIKE '8997%' AND idnat_struct IS NOT NULL \
         GROUP BY idnat_ps HAVING COUNT(*) >= 2 ORDER BY idnat_ps LIMIT 20",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    assert!(ids.len() >= 5, "{label}: the small directory has professionals with several situations");
    let store = Store::new(t.db.clone());

    let with_pros = store.load(&ids, Read::Professionals, SitColumns::ALL).await.unwrap();
    let alone = store.load(&ids, Read::SituationsOnly, SitColumns::ALL).await.unwrap();
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
    let projected = store.load(&ids, Read::SituationsOnly, columns).await.unwrap();
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
    sqlx::query("UPDATE professionals SET closed_at = '2026-11-24T00:00:00Z' WHERE idnat_ps = $1")
        .bind(id.clone())
        .execute(t.db.pool())
        .await
        .unwrap();
    // A commit is visible to the LDAP readers within their snapshot age.
    tokio::time::sleep(store::SNAPSHOT_AGE * 2).await;
    let after = store.load(std::slice::from_ref(id), Read::SituationsOnly, SitColumns::ALL).await.unwrap();
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

/// The SQLite readers keep a snapshot between reads (store::SNAPSHOT_AGE), but not once idle:
/// a full checkpoint that truncates the WAL, which must wait for every reader, completes soon
/// after the last LDAP read instead of waiting for one.
#[tokio::test]
async fn idle_readers_release_their_snapshots() {
    let t = testing::sqlite().await;
    let files_dir = tempfile::tempdir().unwrap();
    common::import(&t.db, &common::generate_small(files_dir.path())).await;
    let store = Store::new(t.db.clone());
    let ids = store.professional_ids(None, None, 10).await.unwrap();
    assert_eq!(ids.len(), 10);
    store.load(&ids, Read::SituationsOnly, SitColumns::ALL).await.unwrap();
    // Something to checkpoint after the readers' snapshot.
    sqlx::query("UPDATE professionals SET updated_at = updated_at || '' WHERE idnat_ps = $1")
        .bind(ids[0].clone())
        .execute(t.db.pool())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let (busy, _, _): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)").fetch_one(t.db.pool()).await.unwrap();
    assert_eq!(busy, 0, "the checkpoint completed");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "the idle reader released its snapshot: {:?}",
        started.elapsed()
    );
}
