//! Configuration: built-in defaults, then a TOML file, then `SANTEPKI_…` environment variables
//! (`SANTEPKI_DATABASE__URL`, `SANTEPKI_HTTP__LISTEN`…; a double underscore separates sections).
//!
//! Which file: `--config FILE`, else `$SANTEPKI_CONFIG`, else `./santepki-demo/santepki.toml`
//! when a demo was started from this folder (so that every subcommand run beside a running demo
//! works on the demo's database), else `./santepki.toml`, else defaults only.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use santepki_domain::ValidationMode;
use serde::{Deserialize, Serialize};

/// The folder `santepki demo` creates and reuses.
pub const DEMO_DIR: &str = "santepki-demo";
pub const CONFIG_FILE: &str = "santepki.toml";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub database: DatabaseConfig,
    pub directory: DirectoryConfig,
    pub http: HttpConfig,
    pub portal: PortalConfig,
    pub ldap: LdapConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` (relative to the configuration file's folder) or `postgres://…`.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryConfig {
    /// `strict` (production identifiers only) or `test` (also the test-environment forms).
    pub identifiers: ValidationMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Plain HTTP listener: directory API now; OCSP, CRLs and CA certificates later.
    pub listen: String,
    /// The URL clients use to reach it (defaults to `http://<listen>`).
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalConfig {
    /// HTTPS listener of the card-authenticated portal and API (ordering platform issue).
    pub listen: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// LDAP listener of the CPS directory (LDAP issue).
    pub listen: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig { url: "sqlite://santepki.db".into() },
            directory: DirectoryConfig { identifiers: ValidationMode::Strict },
            http: HttpConfig { listen: "127.0.0.1:8080".into(), public_url: None },
            portal: PortalConfig { listen: "127.0.0.1:8443".into() },
            ldap: LdapConfig { listen: "127.0.0.1:3890".into() },
        }
    }
}

/// A loaded configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
}

impl Loaded {
    /// The folder relative paths are resolved against: the configuration file's, or the current.
    pub fn base_dir(&self) -> PathBuf {
        self.file.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
    }

    /// The database URL with a relative SQLite path made relative to the configuration file.
    pub fn database_url(&self) -> String {
        resolve_sqlite(&self.config.database.url, &self.base_dir())
    }
}

fn resolve_sqlite(url: &str, base: &Path) -> String {
    let Some(rest) = url.strip_prefix("sqlite://") else { return url.to_owned() };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.starts_with('/') || path == ":memory:" || base == Path::new(".") {
        return url.to_owned();
    }
    let joined = base.join(path);
    match query {
        Some(q) => format!("sqlite://{}?{q}", joined.display()),
        None => format!("sqlite://{}", joined.display()),
    }
}

/// Finds the configuration file to use (see the module doc).
pub fn discover(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_owned());
    }
    if let Some(p) = std::env::var_os("SANTEPKI_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let demo = Path::new(DEMO_DIR).join(CONFIG_FILE);
    if demo.is_file() {
        return Some(demo);
    }
    let local = PathBuf::from(CONFIG_FILE);
    local.is_file().then_some(local)
}

/// Loads defaults ← file ← environment.
pub fn load(file: Option<PathBuf>) -> Result<Loaded> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    if let Some(f) = &file {
        anyhow::ensure!(f.is_file(), "configuration file {} does not exist", f.display());
        fig = fig.merge(Toml::file(f));
    }
    fig = fig.merge(Env::prefixed("SANTEPKI_").ignore(&["CONFIG", "TEST_POSTGRES_URL", "LOG"]).split("__"));
    let config: Config = fig.extract().with_context(|| match &file {
        Some(f) => format!("invalid configuration in {} or SANTEPKI_* environment variables", f.display()),
        None => "invalid configuration in SANTEPKI_* environment variables".to_owned(),
    })?;
    Ok(Loaded { config, file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_relative_to_the_config_file() {
        assert_eq!(resolve_sqlite("sqlite://santepki.db", Path::new("santepki-demo")), "sqlite://santepki-demo/santepki.db");
        assert_eq!(resolve_sqlite("sqlite:///abs/x.db", Path::new("d")), "sqlite:///abs/x.db");
        assert_eq!(resolve_sqlite("postgres://h/db", Path::new("d")), "postgres://h/db");
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("santepki.toml");
        std::fs::write(&f, "[http]\nlisten = \"127.0.0.1:9999\"\n[directory]\nidentifiers = \"test\"\n").unwrap();
        let loaded = load(Some(f.clone())).unwrap();
        assert_eq!(loaded.config.http.listen, "127.0.0.1:9999");
        assert_eq!(loaded.config.directory.identifiers, ValidationMode::Test);
        assert_eq!(loaded.config.portal.listen, "127.0.0.1:8443");

        std::fs::write(&f, "[http]\nlisten = 12\nbogus = 1\n").unwrap();
        let err = format!("{:#}", load(Some(f)).unwrap_err());
        assert!(err.contains("bogus") || err.contains("listen"), "{err}");
    }
}
