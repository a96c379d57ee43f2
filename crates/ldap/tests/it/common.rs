//! Shared by the LDAP integration tests: a directory generated at the small scale, imported
//! into a throw-away database, and the LDAP server on a free port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use santepki_directory::generate::{self, GenerateOptions, GeneratedFiles, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_ldap::LdapOptions;
use santepki_storage::Db;

/// Generates the small directory into `dir`.
pub fn generate_small(dir: &Path) -> GeneratedFiles {
    generate::generate(dir, &GenerateOptions { scale: Scale::parse("small").unwrap(), ..Default::default() }).unwrap()
}

/// Imports generated files in order, checking nothing was rejected.
pub async fn import(db: &Db, files: &GeneratedFiles) {
    let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
    for f in files.in_import_order() {
        let r = import_file(db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
        assert_eq!(r.lines_rejected, 0, "{}: {:?}", f.display(), r.rejections);
    }
}

/// A running LDAP server; stopped when dropped.
pub struct Server {
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    pub async fn start(db: Db, opts: LdapOptions) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(santepki_ldap::serve(listener, db, opts, async move {
            let _ = stopped.await;
        }));
        Server { addr, _stop: stop }
    }

    pub fn url(&self) -> String {
        format!("ldap://{}", self.addr)
    }
}

/// The workspace root (tests run with the crate folder as working directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// One entry of ldapsearch's LDIF output: its DN and attributes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LdifEntry {
    pub dn: String,
    pub attrs: Vec<(String, String)>,
}

impl LdifEntry {
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.attrs.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }
}

/// Parses LDIF (as ldapsearch prints it): comments skipped, folded lines joined; base64
/// values (`::`) are kept as `base64:<text>` (the tests only look at ASCII ones).
pub fn parse_ldif(text: &str) -> Vec<LdifEntry> {
    let mut lines: Vec<String> = Vec::new();
    for l in text.lines() {
        if let Some(cont) = l.strip_prefix(' ') {
            if let Some(last) = lines.last_mut() {
                last.push_str(cont);
                continue;
            }
        }
        lines.push(l.to_owned());
    }
    let mut out = Vec::new();
    let mut cur: Option<LdifEntry> = None;
    for l in lines {
        if l.starts_with('#') {
            continue;
        }
        if l.is_empty() {
            out.extend(cur.take());
            continue;
        }
        let Some((name, rest)) = l.split_once(':') else { continue };
        let value = match rest.strip_prefix(':') {
            Some(b64) => format!("base64:{}", b64.trim()),
            None => rest.strip_prefix(' ').unwrap_or(rest).to_owned(),
        };
        if name == "dn" {
            out.extend(cur.take());
            cur = Some(LdifEntry { dn: value, attrs: Vec::new() });
        } else if let Some(e) = cur.as_mut() {
            e.attrs.push((name.to_owned(), value));
        }
    }
    out.extend(cur);
    out
}
