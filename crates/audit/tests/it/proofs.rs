//! Inclusion proofs check offline, in Rust and with an independent Python implementation of
//! RFC 9162 and C2SP signed-note (scripts/audit_check_proof.py); tiles are the tree's hashes.

use std::path::PathBuf;

use santepki_audit::prove;
use santepki_audit::tiles::{self, TileAnswer};
use santepki_storage::testing;

use crate::common::*;

/// Runs scripts/audit_check_proof.py on `proof` with the verifier key `vkey`.
fn python_check(dir: &std::path::Path, proof: &prove::InclusionProof, vkey: &str) -> std::process::Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/test-venv/bin/python");
    assert!(python.is_file(), "{} missing: run scripts/install-deps.sh", python.display());
    let file = dir.join("proof.json");
    std::fs::write(&file, serde_json::to_vec(proof).unwrap()).unwrap();
    std::process::Command::new(&python)
        .arg(root.join("scripts/audit_check_proof.py"))
        .arg(&file)
        .arg(vkey)
        .output()
        .unwrap()
}

#[tokio::test]
async fn proofs_check_in_rust_and_in_python() {
    for t in testing::both().await {
        let f = fixture(&t.db).await;
        let ids = append(&t.db, "p", 40).await;
        sequencer(&f, "node-a").round(true).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        for id in [&ids[0], &ids[17], &ids[39]] {
            let p = prove::prove(&t.db, id).await.unwrap();
            assert_eq!(p.tree_size, 41);
            prove::check(&p, f.log.verifier_key()).unwrap();
            let out = python_check(dir.path(), &p, f.log.verifier_key());
            assert!(
                out.status.success(),
                "{}: {}{}",
                t.label(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // A proof for another leaf index, or another leaf, fails in both.
            let mut wrong = p.clone();
            wrong.leaf_index = (p.leaf_index + 1) % 41;
            assert!(prove::check(&wrong, f.log.verifier_key()).is_err());
            let out = python_check(dir.path(), &wrong, f.log.verifier_key());
            assert!(!out.status.success(), "python accepted a proof for the wrong index");
        }
        // An event not yet signed has no proof.
        let late = append(&t.db, "late", 1).await;
        assert!(matches!(prove::prove(&t.db, &late[0]).await, Err(santepki_audit::AuditError::NotYetSigned(_))));
    }
}

#[tokio::test]
async fn tiles_serve_the_signed_tree() {
    for t in testing::both().await {
        let f = fixture(&t.db).await;
        let _keep_the_key = &f;
        append(&t.db, "t", 299).await;
        sequencer(&f, "node-a").round(true).await.unwrap();
        // 300 leaves: one full level-0 tile, one partial of 44, one partial level-1 tile of 1.
        let TileAnswer::Tile(full) = tiles::read(&t.db, "tile/0/000").await.unwrap() else { panic!() };
        assert_eq!(full.len(), 256 * 32);
        let TileAnswer::Tile(partial) = tiles::read(&t.db, "tile/0/001.p/44").await.unwrap() else { panic!() };
        assert_eq!(partial.len(), 44 * 32);
        let TileAnswer::Tile(up) = tiles::read(&t.db, "tile/1/000.p/1").await.unwrap() else { panic!() };
        // The level-1 hash is the root of the first 256 leaves: the hash of the full tile's hashes.
        assert_eq!(up, tlog_tiles::tile::Tile::subtree_hash(&full).0.to_vec());
        // Entries: length-prefixed leaves whose hashes are the tile's.
        let TileAnswer::Tile(bundle) = tiles::read(&t.db, "tile/entries/001.p/44").await.unwrap() else { panic!() };
        let mut rest = bundle.as_slice();
        let mut n = 0;
        while !rest.is_empty() {
            let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
            let leaf = &rest[2..2 + len];
            assert_eq!(tlog_tiles::tlog::record_hash(leaf).0, partial[n * 32..(n + 1) * 32]);
            rest = &rest[2 + len..];
            n += 1;
        }
        assert_eq!(n, 44);
        // Beyond the checkpoint, or not a tile: nothing.
        assert!(matches!(tiles::read(&t.db, "tile/0/001.p/45").await.unwrap(), TileAnswer::NotFound));
        assert!(matches!(tiles::read(&t.db, "tile/0/../x").await.unwrap(), TileAnswer::BadPath));
    }
}
