//! R44 with the real OpenLDAP client and the seed's exact command, only host and port changed:
//! `ldapsearch -H ldap://HOST -b "o=TEST,c=fr" -s sub -a always "(cn=899700270616)" "ou"
//! "raisonSociale" "postalAddress" "sectActRPPS" "objectClass"`. Without `-x` the client binds
//! with SASL: the server offers ANONYMOUS (RFC 4505), which OpenLDAP's client uses once its
//! `SASL_SECPROPS` allows anonymous mechanisms (its built-in default, `noanonymous,noplain`,
//! refuses every credential-less mechanism, whatever the server). The test runs the exact
//! command with `LDAPSASL_SECPROPS=none` in the client's environment, and the `-x` (simple
//! anonymous bind) form with the stock configuration. Both list
//! exactly the four practices of the seed table; the production branch `o=GIP-CPS,c=fr` has
//! none of them (the test identity's RPPS starts with 997: R43 idNat_PS = 8 + RPPS = 8997…).
//! An import is visible to the running server without a restart (no cache; on SQLite within
//! the readers' 2 ms snapshot age).
//!
//! Needs `ldapsearch` (Debian package ldap-utils, installed by scripts/install-deps.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{parse_ldif, LdifEntry, Server};
use santepki_directory::generate::seed_cases;
use santepki_ldap::LdapOptions;
use santepki_storage::testing::{self, TestDb};

/// How `ldapsearch` binds.
#[derive(Clone, Copy, Debug)]
enum Bind {
    /// The seed's exact command: SASL, ANONYMOUS allowed by the client's environment.
    SaslAnonymous,
    /// `-x`: simple anonymous bind, stock client configuration.
    Simple,
}

/// The R44 command, against `url`, on `base`.
async fn r44_query(url: &str, base: &str, bind: Bind) -> (Vec<LdifEntry>, String) {
    let filter = format!("(cn={})", seed_cases::TEST_PS_IDNAT);
    let mut cmd = tokio::process::Command::new("ldapsearch");
    // The machine's ldap.conf must not decide the outcome.
    cmd.env("LDAPCONF", "/dev/null").env_remove("LDAPSASL_SECPROPS");
    cmd.args(["-H", url]);
    match bind {
        Bind::SaslAnonymous => {
            cmd.env("LDAPSASL_SECPROPS", "none");
        }
        Bind::Simple => {
            cmd.arg("-x");
        }
    }
    let out = cmd
        .args(["-b", base, "-s", "sub", "-a", "always", &filter])
        .args(["ou", "raisonSociale", "postalAddress", "sectActRPPS", "objectClass"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run ldapsearch ({e}): install ldap-utils (scripts/install-deps.sh)"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ldapsearch failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (parse_ldif(&stdout), stdout)
}

async fn r44(t: TestDb) {
    let files_dir = tempfile::tempdir().unwrap();
    let files = common::generate_small(files_dir.path());
    // The server starts on an empty directory: the import below must show without a restart.
    let server = Server::start(t.db.clone(), LdapOptions::default()).await;
    let url = server.url();
    for bind in [Bind::SaslAnonymous, Bind::Simple] {
        let (before, text) = r44_query(&url, "o=TEST,c=fr", bind).await;
        assert!(before.is_empty(), "{} {bind:?}: before the import: {text}", t.label());
    }

    common::import(&t.db, &files).await;

    for bind in [Bind::SaslAnonymous, Bind::Simple] {
        r44_after_import(&t, &url, bind).await;
    }
}

async fn r44_after_import(t: &TestDb, url: &str, bind: Bind) {
    let (entries, text) = r44_query(url, "o=TEST,c=fr", bind).await;
    assert_eq!(entries.len(), 4, "{}: R44 must list exactly the four practices:\n{text}", t.label());
    let got: Vec<(String, String, String, String)> = entries
        .iter()
        .map(|e| {
            // Exactly the requested attributes, each with one value.
            let mut names: Vec<String> = e.attrs.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
            names.sort();
            names.dedup();
            assert_eq!(
                names,
                ["objectclass", "ou", "postaladdress", "raisonsociale", "sectactrpps"],
                "{}: {e:?}",
                t.label()
            );
            assert_eq!(e.values("objectClass"), ["top", "cpsSituation"], "{e:?}");
            let one = |n: &str| {
                let v = e.values(n);
                assert_eq!(v.len(), 1, "{n} of {}: {v:?}", e.dn);
                v[0].to_owned()
            };
            assert_eq!(e.dn, format!("ou={},uid={},o=TEST,c=fr", one("ou"), seed_cases::TEST_PS_IDNAT));
            (one("ou"), one("raisonSociale"), one("postalAddress"), one("sectActRPPS"))
        })
        .collect();
    let want: Vec<(String, String, String, String)> = seed_cases::TEST_PS_SITUATIONS
        .iter()
        .map(|r| (r.ou.to_owned(), r.raison_sociale.to_owned(), r.postal_address.to_owned(), r.sector.to_owned()))
        .collect();
    // In the table's order too (structure identifier descending).
    assert_eq!(got, want, "{} {bind:?}: R44 table", t.label());
    // The R44 table verbatim, as a reader of RULES.md sees it.
    assert!(want.contains(&(
        "499700270616029".to_owned(),
        "CG MAXI0027061".to_owned(),
        "CG MAXI 8 RUE NOIR".to_owned(),
        "SA08".to_owned()
    )));
    assert!(want.contains(&(
        "39999999800514".to_owned(),
        "SOCIETE MAXI".to_owned(),
        "SOCIETE MAXI 6 RUE NOIR".to_owned(),
        "SA09".to_owned()
    )));

    // The production branch does not hold the test identity.
    let (prod, text) = r44_query(url, "o=GIP-CPS,c=fr", bind).await;
    assert!(prod.is_empty(), "{}: o=GIP-CPS,c=fr must not list the test professional:\n{text}", t.label());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r44_ldapsearch_on_sqlite() {
    r44(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn r44_ldapsearch_on_postgresql() {
    r44(testing::postgres().await).await;
}
