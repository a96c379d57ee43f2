//! The PKI side of the directory, read with OpenLDAP's `ldapsearch` and checked with `openssl`:
//! the CA entries (`objectClass=pkiCA`, `cACertificate;binary`, `certificateRevocationList;binary`,
//! `deltaRevocationList;binary`) at the DNs the LDAP URLs of IGC-Santé use, and the structure
//! entries carrying the `userCertificate;binary` of their live ORG and SERV certificates, which a
//! revocation removes. On SQLite and PostgreSQL.
//!
//! Needs `ldapsearch` and `openssl` (scripts/install-deps.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;

use base64::Engine;
use common::{parse_ldif, LdifEntry, Server};
use santepki_authority::crl::CrlKind;
use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::{
    Authority, CaSettings, IssueRequest, KeyAlgorithm, KeySource, Profile, RequestedNames, RevocationReason,
};
use santepki_ldap::LdapOptions;
use santepki_storage::testing::{self, TestDb};

const PRACTICE: &str = "499700270616029";

async fn ldapsearch(url: &str, base: &str, scope: &str, filter: &str, attrs: &[&str]) -> (i32, Vec<LdifEntry>) {
    let out = tokio::process::Command::new("ldapsearch")
        .args(["-x", "-LLL", "-o", "ldif-wrap=no", "-H", url, "-b", base, "-s", scope, filter])
        .args(attrs)
        .output()
        .await
        .expect("ldapsearch (Debian package ldap-utils)");
    (out.status.code().unwrap_or(-1), parse_ldif(&String::from_utf8_lossy(&out.stdout)))
}

fn binary(e: &LdifEntry, name: &str) -> Vec<Vec<u8>> {
    e.values(name)
        .iter()
        .map(|v| {
            let b64 = v.strip_prefix("base64:").unwrap_or_else(|| panic!("{name} is not base64 in the LDIF: {v}"));
            base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
        })
        .collect()
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("openssl").current_dir(dir).args(args).output().expect("openssl");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "openssl {args:?}: {text}");
    text
}

fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
}

async fn pki_entries(t: TestDb) {
    let files_dir = tempfile::tempdir().unwrap();
    let files = common::generate_small(files_dir.path());
    common::import(&t.db, &files).await;
    let server = Server::start(t.db.clone(), LdapOptions::default()).await;
    let url = server.url();

    // Before the CA exists: no PKI subtree, and its base is noSuchObject.
    let (code, es) = ldapsearch(&url, "ou=ANS,c=fr", "sub", "(objectClass=*)", &[]).await;
    assert_eq!((code, es.len()), (32, 0), "{}: no CA yet", t.label());

    let keys = tempfile::tempdir().unwrap();
    let custody = SoftwareCustody::new(keys.path(), Some("pass phrase".into()));
    let mut settings = CaSettings::test("http://127.0.0.1:9");
    settings.key_algorithm = KeyAlgorithm::EcdsaP256;
    let (ca, _) = Authority::init(t.db.clone(), settings, &custody, "test").await.unwrap();
    for c in ca.cas() {
        ca.publish_crl(&c.id, CrlKind::Full, "test").await.unwrap();
        ca.publish_crl(&c.id, CrlKind::Delta, "test").await.unwrap();
    }
    let (csr, _key) = santepki_authority::testing::csr(KeyAlgorithm::EcdsaP256);
    let issued = ca
        .issue(IssueRequest {
            profile: Profile::OrgAuthCli,
            structure: Some(PRACTICE.into()),
            professional: None,
            card: None,
            names: RequestedNames { service: Some("DMP AUTHENTIFICATION".into()), ..Default::default() },
            key: KeySource::Csr(csr),
            requested_by: "test".into(),
        })
        .await
        .unwrap();

    // Every CA, under the root's organizational unit, as `objectClass=pkiCA`.
    let (code, cas) = ldapsearch(&url, "ou=IGC-SANTE,ou=ANS,c=fr", "sub", "(objectClass=pkiCA)", &["cn", "ou"]).await;
    assert_eq!(code, 0);
    assert_eq!(cas.len(), ca.cas().len(), "{}: {cas:?}", t.label());
    let root = ca.root();
    let root_dn = format!("ou={},ou=IGC-SANTE,ou=ANS,c=fr", root.name);
    assert_eq!(cas[0].dn, root_dn);

    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("root.pem"), pem(&root.der)).unwrap();
    for c in ca.cas().iter().filter(|c| c.parent_id.is_some()) {
        // The real URL shape: ldap:///cn=<CA>,ou=<root>,ou=IGC-SANTE,ou=ANS,c=FR?certificateRevocationList;binary?base?objectClass=pkiCA
        let dn = format!("cn={},{root_dn}", c.name);
        let (code, es) = ldapsearch(
            &url,
            &dn.replace("c=fr", "c=FR"),
            "base",
            "(objectClass=pkiCA)",
            &["cACertificate;binary", "certificateRevocationList;binary", "deltaRevocationList;binary"],
        )
        .await;
        assert_eq!((code, es.len()), (0, 1), "{}: {dn}", t.label());
        assert_eq!(binary(&es[0], "cACertificate;binary"), vec![c.der.clone()], "{dn}: the CA certificate");
        let crl = binary(&es[0], "certificateRevocationList;binary");
        assert_eq!(crl.len(), 1);
        std::fs::write(work.path().join(format!("{}.crl", c.id)), &crl[0]).unwrap();
        std::fs::write(work.path().join(format!("{}.pem", c.id)), pem(&c.der)).unwrap();
        let text = openssl(
            work.path(),
            &[
                "crl",
                "-inform",
                "DER",
                "-in",
                &format!("{}.crl", c.id),
                "-CAfile",
                &format!("{}.pem", c.id),
                "-noout",
                "-issuer",
            ],
        );
        assert!(text.contains("verify OK"), "{dn}: the CRL is signed by its CA: {text}");
        assert_eq!(binary(&es[0], "deltaRevocationList;binary").len(), 1, "{dn}: the delta CRL");
    }

    // The structure entry carries the certificate, which chains to the root with openssl.
    let struct_dn = format!("ou={PRACTICE},o=TEST,c=fr");
    let (code, es) =
        ldapsearch(&url, &struct_dn, "base", "(objectClass=pkiUser)", &["userCertificate;binary", "raisonSociale"])
            .await;
    assert_eq!((code, es.len()), (0, 1), "{}", t.label());
    assert_eq!(binary(&es[0], "userCertificate;binary"), vec![issued.der.clone()]);
    let issuer = ca.cas().iter().find(|c| c.id == issued.ca_id).unwrap().clone();
    std::fs::write(work.path().join("leaf.pem"), pem(&issued.der)).unwrap();
    std::fs::write(work.path().join("issuer.pem"), pem(&issuer.der)).unwrap();
    let text = openssl(work.path(), &["verify", "-CAfile", "root.pem", "-untrusted", "issuer.pem", "leaf.pem"]);
    assert!(text.contains("leaf.pem: OK"), "{text}");
    let (_, with_certs) = ldapsearch(&url, "o=TEST,c=fr", "one", "(userCertificate=*)", &["1.1"]).await;
    assert_eq!(with_certs.iter().map(|e| e.dn.as_str()).collect::<Vec<_>>(), vec![struct_dn.as_str()]);

    // Revoked: gone from the structure entry, listed in the CA's next CRL over LDAP.
    ca.revoke(&issued.serial, RevocationReason::KeyCompromise, "test").await.unwrap();
    ca.publish_crl(&issued.ca_id, CrlKind::Full, "test").await.unwrap();
    let (_, es) = ldapsearch(&url, &struct_dn, "base", "(objectClass=*)", &["userCertificate;binary"]).await;
    assert!(
        binary(&es[0], "userCertificate;binary").is_empty(),
        "{}: a revoked certificate is not published",
        t.label()
    );
    let (_, es) = ldapsearch(
        &url,
        &format!("cn={},{root_dn}", issuer.name),
        "base",
        "(objectClass=*)",
        &["certificateRevocationList;binary"],
    )
    .await;
    std::fs::write(work.path().join("after.crl"), &binary(&es[0], "certificateRevocationList;binary")[0]).unwrap();
    let text = openssl(work.path(), &["crl", "-inform", "DER", "-in", "after.crl", "-noout", "-text"]);
    assert!(
        text.to_uppercase().contains(&issued.serial.to_uppercase()),
        "{}: the serial is in the CRL: {text}",
        t.label()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pki_entries_on_sqlite() {
    pki_entries(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pki_entries_on_postgresql() {
    pki_entries(testing::postgres().await).await;
}
