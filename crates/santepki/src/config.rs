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
    pub ca: CaConfig,
    pub mail: MailConfig,
    pub audit: AuditConfig,
    pub verify: VerifyConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (for people) or `json` (one JSON object per line, for log collectors).
    pub format: LogFormat,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Trust anchors added to this CA's root for `santepki verify` and `POST /api/v1/verify`
    /// (PEM or DER root certificates, relative to the configuration file): e.g. the real
    /// IGC-Santé test and production roots.
    pub anchors: Vec<String>,
    /// Whether the server fetches the CRLs and OCSP answers of certificates that chain to an added
    /// anchor (this CA's own come in-process). Only certificates whose path to a trusted anchor
    /// verified are looked up, so a posted certificate cannot make the server call a host of its
    /// choosing.
    pub fetch: bool,
}

impl Default for VerifyConfig {
    fn default() -> Self {
        VerifyConfig { anchors: Vec::new(), fetch: true }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The audit log's origin line and key name (`pki.example.fr/audit`), fixed when the log is
    /// created (default: the CA's published host followed by `/audit`).
    pub origin: Option<String>,
    /// Seconds between signed checkpoints while events arrive (at most 60).
    pub checkpoint_seconds: u32,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { origin: None, checkpoint_seconds: 10 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://FILE` (relative to the configuration file's folder) or `postgres://…`.
    pub url: String,
    /// Optional, PostgreSQL only: the standbys (for example HAProxy's replica port), for the
    /// reads that tolerate replication lag: OCSP status, LDAP, directory search. A revocation
    /// shows there within the replication delay (docs/operations.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_url: Option<String>,
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
    /// HTTPS listener of the card-authenticated API (and portal), mutual TLS with the cards.
    pub listen: String,
    /// The URL clients use to reach it (defaults to `https://<listen>`).
    pub public_url: Option<String>,
    /// Server certificate chain and key (PEM files, relative to the configuration file). Without
    /// them a self-signed certificate is made once in `tls/` (demo and tests).
    pub cert: Option<String>,
    pub key: Option<String>,
    /// The card CAs client certificates must chain to (PEM bundle). Default: this platform's
    /// root and PERSONNES CA; in production, the IGC-Santé card CAs.
    pub card_cas: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Sender of the platform's mail (R24, R25).
    pub from: String,
    /// `smtp` (a relay at smtp_host:smtp_port), `folder` (`.eml` files in outbox_dir, the demo)
    /// or `disabled` (mail stays queued in the database).
    pub transport: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub outbox_dir: String,
    /// The agency's back-office address, copied on acknowledgements.
    pub agency: Option<String>,
    /// Expiry notices are sent this many days before a certificate ends (R35).
    pub expiry_notice_days: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "santepki <no-reply@santepki.invalid>".into(),
            transport: "disabled".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            outbox_dir: "outbox".into(),
            agency: None,
            expiry_notice_days: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// LDAP listener of the CPS directory (LDAP issue).
    pub listen: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaConfig {
    /// `test` (`TEST AC …` names, test product categories) or `production`.
    pub environment: String,
    /// `software` (encrypted key files in `key_dir`) or `pkcs11` (an HSM).
    pub key_backend: String,
    /// CA key type: `rsa4096` (as the real hierarchy), `rsa3072`, `rsa2048`, `p256`, `p384`.
    pub key_algorithm: String,
    /// Software backend: folder of the encrypted key files (relative to the configuration file).
    pub key_dir: String,
    /// Software backend: the key files' passphrase (better: SANTEPKI_CA__KEY_PASSPHRASE).
    pub key_passphrase: Option<Secret>,
    /// PKCS#11 backend: module library, token label and user PIN (better:
    /// SANTEPKI_CA__PKCS11_PIN).
    pub pkcs11_module: String,
    pub pkcs11_token: String,
    pub pkcs11_pin: Option<Secret>,
    /// Base URL written in certificates for CRLs, OCSP and CA certificates (default: the HTTP
    /// listener's public URL).
    pub public_url: Option<String>,
    /// Certificate policy OID of end-entity certificates and its CPS URI.
    pub policy_oid: String,
    pub cps_uri: String,
    /// Overrides of the CA common names.
    pub root_name: Option<String>,
    pub organisations_name: Option<String>,
    pub personnes_name: Option<String>,
    /// Publication periods, in hours.
    pub crl_period_hours: u32,
    pub crl_validity_hours: u32,
    pub delta_crl_validity_hours: u32,
    pub ocsp_validity_hours: u32,
    pub ocsp_refresh_hours: u32,
    /// Pending issuances older than this are settled as abandoned (a crash between recording
    /// and signing); longer than any signature can take.
    pub pending_grace_seconds: u32,
}

impl Default for CaConfig {
    fn default() -> Self {
        CaConfig {
            environment: "test".into(),
            key_backend: "software".into(),
            key_algorithm: "rsa4096".into(),
            key_dir: "ca-keys".into(),
            key_passphrase: None,
            pkcs11_module: "/usr/lib/softhsm/libsofthsm2.so".into(),
            pkcs11_token: "santepki".into(),
            pkcs11_pin: None,
            public_url: None,
            policy_oid: "1.2.250.1.213.1.7.2.1.1.1.1".into(),
            cps_uri: "https://esante.gouv.fr/produits-services/igc-sante".into(),
            root_name: None,
            organisations_name: None,
            personnes_name: None,
            crl_period_hours: 24,
            crl_validity_hours: 24 * 7,
            delta_crl_validity_hours: 24,
            ocsp_validity_hours: 96,
            ocsp_refresh_hours: 48,
            pending_grace_seconds: 300,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig { url: "sqlite://santepki.db".into(), read_url: None },
            directory: DirectoryConfig { identifiers: ValidationMode::Strict },
            http: HttpConfig { listen: "127.0.0.1:8080".into(), public_url: None },
            portal: PortalConfig {
                listen: "127.0.0.1:8443".into(),
                public_url: None,
                cert: None,
                key: None,
                card_cas: None,
            },
            ldap: LdapConfig { listen: "127.0.0.1:3890".into() },
            ca: CaConfig::default(),
            mail: MailConfig::default(),
            audit: AuditConfig::default(),
            verify: VerifyConfig::default(),
            log: LogConfig::default(),
        }
    }
}

/// A secret of the configuration (the CA key passphrase, the PKCS#11 PIN). It is text whatever it looks like: an
/// all-digit PIN (`SANTEPKI_CA__PKCS11_PIN=0123`, or `pkcs11_pin = 123456` unquoted in TOML) is kept as written,
/// leading zeros included. It never shows its value: `Debug` and `Serialize` (what `santepki config` prints) write
/// `<redacted>`; only [`Secret::expose`] gives it to the key custody.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret's text, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What a secret is shown as, wherever the configuration is printed.
const REDACTED: &str = "<redacted>";

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Secret, D::Error> {
        /// A TOML file may write a PIN as a number; the environment is read raw (see [`load`]).
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        Ok(match Raw::deserialize(deserializer)? {
            Raw::Text(text) => Secret(text),
            Raw::Number(n) => Secret(n.to_string()),
        })
    }
}

/// Where a secret of the configuration goes.
type SecretField = fn(&mut CaConfig) -> &mut Option<Secret>;

/// The environment variables that hold secrets, with the field each sets. They are read as raw text, not through
/// figment's value parsing, which turns `0123` into the number 123.
const SECRET_VARIABLES: [(&str, SecretField); 2] = [
    ("SANTEPKI_CA__KEY_PASSPHRASE", |ca| &mut ca.key_passphrase),
    ("SANTEPKI_CA__PKCS11_PIN", |ca| &mut ca.pkcs11_pin),
];

impl Config {
    /// The configuration as `santepki config` shows it: secrets as `<redacted>`, the database URL without its
    /// password.
    pub fn redacted(&self) -> Config {
        let mut shown = self.clone();
        shown.database.url = santepki_storage::redact_url(&self.database.url);
        shown.database.read_url = self.database.read_url.as_deref().map(santepki_storage::redact_url);
        shown
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

    /// The added trust anchors of `verify.anchors` (DER), read from their files.
    pub fn verify_anchors(&self) -> anyhow::Result<Vec<Vec<u8>>> {
        let mut anchors = Vec::new();
        for f in &self.config.verify.anchors {
            let path = self.base_dir().join(f);
            let bytes =
                std::fs::read(&path).map_err(|e| anyhow::anyhow!("verify.anchors: reading {}: {e}", path.display()))?;
            anchors.extend(
                santepki_verify::read_certificates(&bytes)
                    .map_err(|e| anyhow::anyhow!("verify.anchors: {}: {e}", path.display()))?,
            );
        }
        Ok(anchors)
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
    fig = fig.merge(
        Env::prefixed("SANTEPKI_")
            .ignore(&["CONFIG", "LOG", "P12_PASSPHRASE", "CA__KEY_PASSPHRASE", "CA__PKCS11_PIN", "SERVICES_DIR"])
            // SANTEPKI_TEST_* configure the test suite (PostgreSQL, PKCS#11 token) and SANTEPKI_SERVICES_DIR the
            // folder of scripts/services.sh, not santepki.
            .filter(|k| !k.as_str().to_ascii_lowercase().starts_with("test_"))
            .split("__"),
    );
    let mut config: Config = fig.extract().with_context(|| match &file {
        Some(f) => format!("invalid configuration in {} or SANTEPKI_* environment variables", f.display()),
        None => "invalid configuration in SANTEPKI_* environment variables".to_owned(),
    })?;
    for (variable, field) in SECRET_VARIABLES {
        match std::env::var(variable) {
            Ok(value) => *field(&mut config.ca) = Some(Secret(value)),
            Err(std::env::VarError::NotPresent) => {}
            Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("{variable} is not valid UTF-8"),
        }
    }
    Ok(Loaded { config, file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_relative_to_the_config_file() {
        assert_eq!(
            resolve_sqlite("sqlite://santepki.db", Path::new("santepki-demo")),
            "sqlite://santepki-demo/santepki.db"
        );
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

    #[test]
    fn secrets_keep_their_digits_and_never_show() {
        let secret: Secret = toml::from_str::<toml::Value>("pin = 123456").unwrap()["pin"].clone().try_into().unwrap();
        assert_eq!(secret.expose(), "123456");
        let secret: Secret = toml::Value::String("0123".into()).try_into().unwrap();
        assert_eq!(secret.expose(), "0123", "a leading zero is kept");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        let mut config = Config::default();
        config.ca.pkcs11_pin = Some(secret);
        config.database.url = "postgres://u:hunter2@h/db".into();
        let shown = toml::to_string(&config.redacted()).unwrap();
        assert!(!shown.contains("0123") && !shown.contains("hunter2"), "{shown}");
    }
}
