//! `santepki backup` and `restore` on SQLite and PostgreSQL (issue 17): issue, back up, issue
//! more and publish CRLs, restore, then check what is there and that the CA publishes no CRL
//! number again and issues no serial again after the restore to the older point.

use std::path::Path;
use std::process::Command;

use crate::demo_platform::{output, santepki};

fn cli(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut c = santepki(dir);
    c.env("SANTEPKI_DATABASE__URL", url)
        .env("SANTEPKI_DIRECTORY__IDENTIFIERS", "test")
        .env("SANTEPKI_CA__KEY_PASSPHRASE", "backup test passphrase")
        .env("SANTEPKI_CA__KEY_ALGORITHM", "p256")
        .env("SANTEPKI_P12_PASSPHRASE", "une phrase secrete")
        .args(args);
    c
}

fn ok(dir: &Path, url: &str, args: &[&str]) -> (String, String) {
    let (code, out, err) = output(cli(dir, url, args));
    assert_eq!(code, 0, "santepki {args:?}: {err}");
    (out, err)
}

/// Issues a DMP SIGNATURE certificate; returns its serial.
fn issue(dir: &Path, url: &str, n: u32) -> String {
    let (p12, pem) = (format!("{n}.p12"), format!("{n}.pem"));
    let args = [
        "ca",
        "issue",
        "--profile",
        "org-sign",
        "--structure",
        "1060785011",
        "--service",
        "DMP SIGNATURE",
        "--generate",
        "--p12-out",
        &p12,
        "--out",
        &pem,
    ];
    let (_, err) = ok(dir, url, &args);
    err.lines()
        .find_map(|l| l.strip_prefix("issued ").and_then(|r| r.split_whitespace().next()))
        .unwrap_or_else(|| panic!("no serial in {err}"))
        .to_owned()
}

/// Publishes the Organisations CA's CRLs; returns the highest number published.
fn publish(dir: &Path, url: &str) -> i64 {
    let (out, _) = ok(dir, url, &["ca", "crl", "--ca", "ACI-EL-ORG"]);
    out.lines()
        .filter_map(|l| l.split("CRL number ").nth(1)?.split_whitespace().next()?.parse().ok())
        .max()
        .unwrap_or_else(|| panic!("no CRL number in {out}"))
}

fn issued_count(dir: &Path, url: &str) -> String {
    let (out, _) = ok(dir, url, &["ca", "show"]);
    out.lines()
        .find(|l| l.trim_start().starts_with("ACI-EL-ORG") && l.contains("issued"))
        .unwrap_or_default()
        .to_owned()
}

fn round_trip(dir: &Path, url: &str) {
    ok(dir, url, &["directory", "generate", "--out", "files"]);
    ok(dir, url, &["directory", "import", "files", "--quiet"]);
    ok(dir, url, &["ca", "init"]);
    let before = issue(dir, url, 1);
    publish(dir, url);
    let count_at_backup = issued_count(dir, url);

    ok(dir, url, &["backup", "--out", "backup.file"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("backup.file")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the backup holds the whole database: its owner's only");
    }
    // A second backup never overwrites the first.
    let (code, _, err) = output(cli(dir, url, &["backup", "--out", "backup.file"]));
    assert_eq!(code, 1);
    assert!(err.contains("--out") && err.contains("exists"), "{err}");

    // After the backup: another certificate, other CRLs.
    let after = issue(dir, url, 2);
    let published_after = publish(dir, url);
    assert_ne!(issued_count(dir, url), count_at_backup);

    // Without --yes nothing happens.
    let (code, _, err) = output(cli(dir, url, &["restore", "--from", "backup.file"]));
    assert_eq!(code, 1);
    assert!(err.contains("--yes"), "{err}");
    // Neither an empty file nor another program's database is restored.
    std::fs::write(dir.join("empty.file"), b"").unwrap();
    let (code, _, err) = output(cli(dir, url, &["restore", "--from", "empty.file", "--yes"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--from"), "{err}");
    assert_ne!(issued_count(dir, url), count_at_backup, "the refused restore changed nothing");
    let (_, err) = ok(dir, url, &["restore", "--from", "backup.file", "--yes"]);
    // New full CRLs at once, numbered past everything published after the backup.
    let full_after_restore: i64 = err
        .lines()
        .filter(|l| l.contains("ACI-EL-ORG: full CRL number"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .next()
        .unwrap_or_else(|| panic!("no full CRL published by the restore: {err}"));
    assert!(full_after_restore > published_after, "{err}");

    // What was there at the backup is there; what came after is not.
    assert_eq!(issued_count(dir, url), count_at_backup);
    let (code, _, err) = output(cli(dir, url, &["ca", "revoke", "--serial", &after]));
    assert_ne!(code, 0, "the certificate issued after the backup is unknown after the restore: {err}");
    // The CA publishes past every number published after the backup.
    let next = publish(dir, url);
    assert!(next > published_after, "CRL number {next} after the restore, {published_after} was published before");
    // New serials are new (16 random bytes each).
    let third = issue(dir, url, 3);
    assert!(third != after && third != before);
    ok(dir, url, &["ca", "revoke", "--serial", &before]);
    // After a recovery by the database's own tools, only the counters move.
    let counts = issued_count(dir, url);
    let (_, err) = ok(dir, url, &["restore", "--after-recovery", "--yes"]);
    assert!(err.contains("completed the recovery"), "{err}");
    assert!(publish(dir, url) > next);
    assert_eq!(issued_count(dir, url), counts, "the recovery step changes no data");
}

#[test]
fn backup_and_restore_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/santepki.db", dir.path().display());
    round_trip(dir.path(), &url);
}

#[test]
fn backup_and_restore_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(santepki_storage::testing::postgres_url());
    let dir = tempfile::tempdir().unwrap();
    round_trip(dir.path(), &url);
}
