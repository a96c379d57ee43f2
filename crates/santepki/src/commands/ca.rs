//! `santepki ca`: create the hierarchy, show it, issue, revoke, publish CRLs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use santepki_authority::crl::CrlKind;
use santepki_authority::keys::pkcs11::{Pkcs11Config, Pkcs11Custody};
use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::{
    Authority, CaSettings, Environment, IssueRequest, KeyAlgorithm, KeyCustody, KeySource, Profile, RequestedNames,
};
use santepki_storage::Db;

use crate::config::Loaded;

/// Exit code of a request the CA refused (bad CSR, unknown structure…): the input is at fault.
pub const EXIT_REFUSED: u8 = 3;

#[derive(Subcommand)]
pub enum CaCommand {
    /// Create the CA hierarchy (root, ORGANISATIONS and PERSONNES issuing CAs) and publish its
    /// first CRLs. Does nothing if it exists.
    Init,
    /// Show the CAs, their certificates and what they issued.
    Show(ShowArgs),
    /// Issue a certificate from a CSR, or with a key generated here (delivered as PKCS#12).
    Issue(Box<IssueArgs>),
    /// Issue many certificates from a JSON Lines file of requests, several at once (a vendor's
    /// or group server's renewal, R41). Each certificate is written to the output folder as soon
    /// as it is issued and recorded.
    IssueBatch(IssueBatchArgs),
    /// Revoke a certificate (final).
    Revoke(RevokeArgs),
    /// Publish full and delta CRLs now.
    Crl(CrlArgs),
    /// Settle issuances left pending by a stopped process (also done by `serve` at start).
    Recover(RecoverArgs),
    /// Change the base URL the CA publishes in the certificates it issues (CRL distribution
    /// points, AIA OCSP and caIssuers). Stored with the CA and audited: every issuer (servers,
    /// `ca issue`, whatever their own configuration) uses it. Restart the servers after it.
    SetUrl(SetUrlArgs),
}

#[derive(Args)]
pub struct SetUrlArgs {
    /// The new base URL, e.g. `http://pki.example.fr` (CRLs under /crl/, OCSP at /ocsp).
    #[arg(long, value_name = "URL")]
    public_url: String,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Write the CA certificates (PEM, root first) to FILE: the bundle relying parties trust.
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// Show one certificate (status, subject, validity) and print it in PEM.
    #[arg(long, value_name = "HEX")]
    serial: Option<String>,
}

#[derive(Args)]
pub struct IssueArgs {
    /// org-auth-cli, org-sign, org-conf, serv-ssl, serv-smime, pro-auth, pro-sign, pro-conf, card-auth.
    #[arg(long)]
    profile: String,
    /// idNat_Struct of the beneficiary structure (ORG, SERV, PRO).
    #[arg(long, value_name = "IDNAT_STRUCT")]
    structure: Option<String>,
    /// idNat_PS of the professional (PRO).
    #[arg(long, value_name = "IDNAT_PS")]
    ps: Option<String>,
    /// Card number (card-auth).
    #[arg(long, value_name = "NUMBER")]
    card: Option<String>,
    /// Service applicatif: the CN of ORG and SERV S/MIME certificates (R29).
    #[arg(long, value_name = "CN")]
    service: Option<String>,
    /// DNS name of a SERV SSL certificate (repeat for more; the first is the CN).
    #[arg(long)]
    dns: Vec<String>,
    /// Email address (SERV S/MIME; optional on PRO SIGN and CONF).
    #[arg(long)]
    email: Vec<String>,
    /// User Principal Name (optional on PRO AUTH).
    #[arg(long)]
    upn: Option<String>,
    /// The PKCS#10 request (PEM or DER).
    #[arg(long, value_name = "FILE", conflicts_with = "generate")]
    csr: Option<PathBuf>,
    /// Generate the key here and deliver it in a PKCS#12 (--p12-out), under the passphrase in
    /// $SANTEPKI_P12_PASSPHRASE or --passphrase-file.
    #[arg(long, requires = "p12_out")]
    generate: bool,
    #[arg(long, value_name = "FILE")]
    p12_out: Option<PathBuf>,
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// Type of a generated key.
    #[arg(long, default_value = "rsa2048")]
    key_algorithm: String,
    /// Where to write the certificate (PEM); standard output when absent.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct IssueBatchArgs {
    /// One JSON object per line: {"profile", "structure", "ps", "card", "service", "dns": [],
    /// "email": [], "upn", "csr": "<path of a PEM or DER request, relative to the file>"}.
    #[arg(long, value_name = "FILE")]
    requests: PathBuf,
    /// Folder receiving `<line>.pem` for each issued certificate, and `<line>.err` for each
    /// refused request.
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
    /// Issuances in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

/// One line of an `issue-batch` file.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLine {
    profile: String,
    structure: Option<String>,
    ps: Option<String>,
    card: Option<String>,
    service: Option<String>,
    #[serde(default)]
    dns: Vec<String>,
    #[serde(default)]
    email: Vec<String>,
    upn: Option<String>,
    csr: PathBuf,
}

#[derive(Args)]
pub struct RevokeArgs {
    /// Serial number in hexadecimal (colons allowed).
    #[arg(long)]
    serial: String,
    /// unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn.
    #[arg(long, default_value = "unspecified")]
    reason: String,
}

#[derive(Args)]
pub struct CrlArgs {
    /// Only this CA (ACR-EL, ACI-EL-ORG, ACI-EL-PP).
    #[arg(long = "ca", value_name = "ID")]
    ca_id: Option<String>,
    /// Write the new full CRL (DER) of --ca to FILE.
    #[arg(long, value_name = "FILE", requires = "ca_id")]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct RecoverArgs {
    /// Settle pending rows older than this many seconds (default: ca.pending_grace_seconds); rows an
    /// earlier process of this node left are settled whatever their age only by `serve`.
    #[arg(long)]
    grace_seconds: Option<u32>,
}

/// The CA settings of a configuration. Its public URL (`ca.public_url`, else `http.public_url`,
/// else `http://<http.listen>`) only seeds a new CA: an existing one publishes its stored URL
/// (santepki_authority::published).
pub fn settings(loaded: &Loaded) -> Result<CaSettings> {
    let c = &loaded.config.ca;
    let public_url = c
        .public_url
        .clone()
        .or_else(|| loaded.config.http.public_url.clone())
        .unwrap_or_else(|| format!("http://{}", loaded.config.http.listen));
    let mut s = CaSettings::test(public_url);
    s.environment = Environment::parse(&c.environment).map_err(anyhow::Error::msg).context("ca.environment")?;
    s.key_algorithm =
        c.key_algorithm.parse::<KeyAlgorithm>().map_err(anyhow::Error::msg).context("ca.key_algorithm")?;
    s.policy_oid = c.policy_oid.parse().map_err(|e| anyhow::anyhow!("ca.policy_oid {:?}: {e}", c.policy_oid))?;
    s.cps_uri = c.cps_uri.clone();
    s.root_name = c.root_name.clone();
    s.organisations_name = c.organisations_name.clone();
    s.personnes_name = c.personnes_name.clone();
    let hours = |h: u32, field: &str| -> Result<chrono::Duration> {
        if h == 0 {
            bail!("ca.{field} must be at least 1 hour");
        }
        Ok(chrono::Duration::hours(i64::from(h)))
    };
    s.crl_period = hours(c.crl_period_hours, "crl_period_hours")?;
    s.crl_validity = hours(c.crl_validity_hours, "crl_validity_hours")?;
    s.delta_crl_validity = hours(c.delta_crl_validity_hours, "delta_crl_validity_hours")?;
    s.ocsp_validity = hours(c.ocsp_validity_hours, "ocsp_validity_hours")?;
    s.ocsp_refresh_before = hours(c.ocsp_refresh_hours, "ocsp_refresh_hours")?;
    if s.ocsp_refresh_before >= s.ocsp_validity {
        bail!("ca.ocsp_refresh_hours must be shorter than ca.ocsp_validity_hours");
    }
    Ok(s)
}

/// The key custody backend of a configuration.
pub fn custody(loaded: &Loaded) -> Result<Box<dyn KeyCustody>> {
    let c = &loaded.config.ca;
    match c.key_backend.as_str() {
        "software" => {
            let dir = loaded.base_dir().join(&c.key_dir);
            Ok(Box::new(SoftwareCustody::new(dir, c.key_passphrase.as_ref().map(|s| s.expose().to_owned()))))
        }
        "pkcs11" => {
            let pin = c
                .pkcs11_pin
                .as_ref()
                .map(|s| s.expose().to_owned())
                .context("ca.pkcs11_pin is not set (SANTEPKI_CA__PKCS11_PIN)")?;
            let custody = Pkcs11Custody::open(Pkcs11Config {
                module: PathBuf::from(&c.pkcs11_module),
                token_label: c.pkcs11_token.clone(),
                pin,
            })?;
            Ok(Box::new(custody))
        }
        other => bail!("ca.key_backend {other:?}: expected software or pkcs11"),
    }
}

/// Loads the CA of a configuration, or `None` when it was never initialised.
pub async fn load(loaded: &Loaded, db: &Db) -> Result<Option<Authority>> {
    if santepki_storage::authority::authorities(db).await?.is_empty() {
        return Ok(None);
    }
    let custody = custody(loaded)?;
    let ca = Authority::load(db.clone(), settings(loaded)?, custody.as_ref()).await?;
    ca.set_pending_grace_seconds(loaded.config.ca.pending_grace_seconds);
    Ok(Some(ca))
}

/// Creates the hierarchy if needed and publishes its first CRLs.
pub async fn init(loaded: &Loaded, db: &Db, actor: &str) -> Result<(Authority, bool)> {
    let custody = custody(loaded)?;
    let (ca, created) = Authority::init(db.clone(), settings(loaded)?, custody.as_ref(), actor).await?;
    ca.set_pending_grace_seconds(loaded.config.ca.pending_grace_seconds);
    if created {
        ca.publish_due_crls(actor).await?;
    }
    Ok((ca, created))
}

pub(crate) fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub async fn run(cmd: CaCommand, config: Option<PathBuf>) -> Result<ExitCode> {
    let (loaded, db) = super::open(config).await?;
    let actor = actor();
    if let CaCommand::Init = cmd {
        let (ca, created) = init(&loaded, &db, &actor).await?;
        eprintln!("{}", if created { "created the CA hierarchy" } else { "the CA hierarchy already exists" });
        print_cas(&ca);
        return Ok(ExitCode::SUCCESS);
    }
    let Some(ca) = load(&loaded, &db).await? else {
        bail!("the CA hierarchy is not initialised: run `santepki ca init`");
    };
    match cmd {
        CaCommand::Init => unreachable!("handled above"),
        CaCommand::Show(ShowArgs { serial: Some(serial), .. }) => {
            let Some(key) = santepki_authority::x509::parse_serial_hex(&serial) else {
                eprintln!("error: --serial: {serial:?} is not a hexadecimal serial");
                return Ok(ExitCode::from(EXIT_REFUSED));
            };
            let Some(row) = santepki_storage::authority::certificate(&db, &key).await? else {
                eprintln!("error: --serial: no certificate {key}");
                return Ok(ExitCode::from(EXIT_REFUSED));
            };
            eprintln!("{} {} by {} ({})", row.serial, row.status, row.ca_id, row.profile);
            eprintln!("  subject   {}", row.subject);
            eprintln!("  validity  {} → {}", row.not_before, row.not_after);
            eprintln!("  requested {} by {}", row.created_at, row.requested_by);
            if let Some(at) = &row.revoked_at {
                eprintln!("  revoked   {at} ({})", row.revocation_reason.as_deref().unwrap_or("unspecified"));
            }
            if let Some(der) = &row.der {
                print!(
                    "{}",
                    der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, der)
                        .map_err(|e| anyhow::anyhow!("PEM: {e}"))?
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CaCommand::Show(args) => {
            print_cas(&ca);
            println!(
                "published URL {} (stored with the CA; `santepki ca set-url` changes it)",
                ca.settings().public_url
            );
            for (ca_id, status, n) in santepki_storage::authority::counts(&db).await? {
                println!("  {ca_id:<12} {status:<10} {n}");
            }
            if let Some(path) = args.bundle {
                write_file(&path, ca.bundle_pem().as_bytes(), false)?;
                eprintln!("wrote the CA bundle to {}", path.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        CaCommand::Issue(args) => issue(&ca, *args, &actor).await,
        CaCommand::IssueBatch(args) => issue_batch(&ca, args, &actor).await,
        CaCommand::Revoke(args) => {
            let reason = match santepki_authority::parse_reason(&args.reason) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: --reason: {e}");
                    return Ok(ExitCode::from(EXIT_REFUSED));
                }
            };
            match ca.revoke(&args.serial, reason, &actor).await {
                Ok(row) => {
                    println!(
                        "revoked {} ({}) on {}, reason {}",
                        row.serial,
                        row.subject,
                        row.revoked_at.unwrap_or_default(),
                        reason.as_str()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) if e.is_client_error() => {
                    eprintln!("error: {}: {e}", e.field().map(|f| format!("--{f}")).unwrap_or_else(|| "revoke".into()));
                    Ok(ExitCode::from(EXIT_REFUSED))
                }
                Err(e) => Err(e.into()),
            }
        }
        CaCommand::Crl(args) => {
            let ids: Vec<String> = match &args.ca_id {
                Some(id) => vec![ca.ca(id).with_context(|| format!("--ca: no CA {id:?}"))?.id.clone()],
                None => ca.cas().iter().map(|c| c.id.clone()).collect(),
            };
            for id in &ids {
                for kind in [CrlKind::Full, CrlKind::Delta] {
                    let p = ca.publish_crl(id, kind, &actor).await?;
                    println!(
                        "{}: {} CRL number {} with {} entries ({} bytes)",
                        p.ca_id,
                        p.kind.as_str(),
                        p.number,
                        p.entries,
                        p.der_len
                    );
                }
            }
            if let (Some(out), Some(id)) = (args.out, args.ca_id) {
                let row = ca.latest_crl(&id, CrlKind::Full).await?.context("no CRL")?;
                write_file(&out, &row.der, false)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        CaCommand::SetUrl(args) => {
            let before = ca.settings().public_url.clone();
            match ca.set_public_url(&args.public_url, &actor).await {
                Ok(()) => {
                    println!("the CA publishes {} (was {before}); restart the servers", args.public_url);
                    Ok(ExitCode::SUCCESS)
                }
                Err(santepki_authority::AuthorityError::Config(msg)) => {
                    eprintln!("error: --public-url: {msg}");
                    Ok(ExitCode::from(EXIT_REFUSED))
                }
                Err(e) => Err(e.into()),
            }
        }
        CaCommand::Recover(args) => {
            let grace = args.grace_seconds.unwrap_or(loaded.config.ca.pending_grace_seconds);
            let n = ca.resolve_pending(chrono::Duration::seconds(i64::from(grace)), &actor).await?;
            println!("settled {n} pending issuance(s)");
            // Then products and their certificates are made to agree (issue 15, points 9 and 10).
            let reg = santepki_registration::Registration::new(
                db.clone(),
                loaded.config.directory.identifiers,
                Some(ca.clone()),
                super::serve::mail_settings(&loaded),
            );
            let r = reg.recover_orders(&actor, false).await?;
            println!(
                "products: {} completed, {} abandoned, {} set revoked; {} certificate(s) of revoked products revoked",
                r.completed, r.abandoned, r.revoked_products, r.revoked_certificates
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn print_cas(ca: &Authority) {
    for c in ca.cas() {
        let tbs = &c.certificate.tbs_certificate;
        println!("{} — {}", c.id, c.name);
        println!("  subject   {}", tbs.subject);
        println!("  serial    {}", santepki_authority::x509::serial_hex(&tbs.serial_number));
        println!("  validity  {} → {}", tbs.validity.not_before, tbs.validity.not_after);
        println!("  key       {} in {}", c.signer.algorithm(), c.signer.backend());
    }
}

async fn issue(ca: &Authority, args: IssueArgs, actor: &str) -> Result<ExitCode> {
    let refuse = |field: &str, msg: String| {
        eprintln!("error: {field}: {msg}");
        Ok(ExitCode::from(EXIT_REFUSED))
    };
    let profile: Profile = match args.profile.parse() {
        Ok(p) => p,
        Err(e) => return refuse("--profile", e),
    };
    let key = match (&args.csr, args.generate) {
        (Some(path), _) => {
            let meta = std::fs::metadata(path).with_context(|| format!("--csr {}", path.display()))?;
            if meta.len() > 1 << 20 {
                return refuse(
                    "--csr",
                    format!("{} is {} bytes: not a certificate request", path.display(), meta.len()),
                );
            }
            KeySource::Csr(std::fs::read(path).with_context(|| format!("--csr {}", path.display()))?)
        }
        (None, true) => {
            let algorithm: KeyAlgorithm = match args.key_algorithm.parse() {
                Ok(a) => a,
                Err(e) => return refuse("--key-algorithm", e),
            };
            let passphrase = match &args.passphrase_file {
                Some(f) => std::fs::read_to_string(f)
                    .with_context(|| format!("--passphrase-file {}", f.display()))?
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
                None => match std::env::var("SANTEPKI_P12_PASSPHRASE") {
                    Ok(p) => p,
                    Err(_) => {
                        return refuse(
                            "--passphrase-file",
                            "give the PKCS#12 passphrase in a file or in $SANTEPKI_P12_PASSPHRASE".into(),
                        )
                    }
                },
            };
            KeySource::Generate { algorithm, passphrase }
        }
        (None, false) => return refuse("--csr", "give a certificate request (--csr FILE) or --generate".into()),
    };
    if let Some(p12) = &args.p12_out {
        if p12.exists() {
            return refuse("--p12-out", format!("{} exists; a private key is never overwritten", p12.display()));
        }
    }
    let req = IssueRequest {
        profile,
        structure: args.structure,
        professional: args.ps,
        card: args.card,
        names: RequestedNames { service: args.service, dns: args.dns, emails: args.email, upn: args.upn },
        key,
        requested_by: actor.to_owned(),
    };
    match ca.issue(req).await {
        Ok(issued) => {
            if let (Some(p12), Some(path)) = (&issued.pkcs12, &args.p12_out) {
                write_file(path, p12, true)?;
                eprintln!("wrote the key and certificate to {} (PKCS#12)", path.display());
            }
            match &args.out {
                Some(path) => write_file(path, issued.pem().as_bytes(), false)?,
                None => print!("{}", issued.pem()),
            }
            eprintln!("issued {} by {}: {} (until {})", issued.serial, issued.ca_id, issued.subject, issued.not_after);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.is_client_error() => {
            let field = e.field().map(|f| format!("--{f}")).unwrap_or_else(|| "issue".into());
            eprintln!("error: {field}: {e} [{}]", e.code());
            Ok(ExitCode::from(EXIT_REFUSED))
        }
        Err(e) => Err(e.into()),
    }
}

async fn issue_batch(ca: &Authority, args: IssueBatchArgs, actor: &str) -> Result<ExitCode> {
    use futures::StreamExt;
    let text =
        std::fs::read_to_string(&args.requests).with_context(|| format!("--requests {}", args.requests.display()))?;
    let base = args.requests.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&args.out_dir).with_context(|| format!("--out-dir {}", args.out_dir.display()))?;
    let mut jobs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let parsed: BatchLine = match serde_json::from_str(line) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {}:{n}: {e}", args.requests.display());
                return Ok(ExitCode::from(EXIT_REFUSED));
            }
        };
        jobs.push((n, parsed));
    }
    let total = jobs.len();
    let out_dir = args.out_dir.clone();
    let results: Vec<bool> = futures::stream::iter(jobs)
        .map(|(n, line)| {
            let base = base.clone();
            let out_dir = out_dir.clone();
            async move {
                let outcome = async {
                    let profile: Profile = line.profile.parse().map_err(|e: String| (e, "invalid_profile"))?;
                    let csr = std::fs::read(base.join(&line.csr))
                        .map_err(|e| (format!("csr {}: {e}", line.csr.display()), "csr_unreadable"))?;
                    let req = IssueRequest {
                        profile,
                        structure: line.structure,
                        professional: line.ps,
                        card: line.card,
                        names: RequestedNames {
                            service: line.service,
                            dns: line.dns,
                            emails: line.email,
                            upn: line.upn,
                        },
                        key: KeySource::Csr(csr),
                        requested_by: actor.to_owned(),
                    };
                    ca.issue(req).await.map_err(|e| (e.to_string(), e.code()))
                }
                .await;
                match outcome {
                    Ok(issued) => match write_file(&out_dir.join(format!("{n}.pem")), issued.pem().as_bytes(), false) {
                        Ok(()) => true,
                        Err(e) => {
                            eprintln!("error: line {n}: {e:#}");
                            false
                        }
                    },
                    Err((message, code)) => {
                        let _ = write_file(
                            &out_dir.join(format!("{n}.err")),
                            format!("{code}: {message}\n").as_bytes(),
                            false,
                        );
                        eprintln!("line {n}: refused: {message} [{code}]");
                        false
                    }
                }
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    let ok = results.iter().filter(|r| **r).count();
    println!("issued {ok} of {total} certificates into {}", out_dir.display());
    Ok(if ok == total { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REFUSED) })
}

/// Writes a file whole (temporary file and rename); `private` files are mode 0600 and never
/// replace an existing file.
pub fn write_file(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("writing {}", path.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    if !private {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))?;
    }
    if private {
        tmp.persist_noclobber(path).map_err(|e| anyhow::anyhow!("writing {}: {}", path.display(), e.error))?;
    } else {
        tmp.persist(path).map_err(|e| anyhow::anyhow!("writing {}: {}", path.display(), e.error))?;
    }
    Ok(())
}
