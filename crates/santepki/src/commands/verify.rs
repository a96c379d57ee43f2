//! `santepki verify`: the relying party's check of a certificate for a use (santepki-verify).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Args;
use santepki_verify::verdict::{RevocationStatus, Verdict};
use santepki_verify::{
    CoherenceMode, Config, HttpSource, Offline, Request, RevocationPolicy, RevocationSource, StoredDirectory, Use,
    Verifier,
};

use santepki_domain::ids::IdNatStruct;

use super::ca::EXIT_REFUSED;

#[derive(Args)]
pub struct VerifyArgs {
    /// The certificate (PEM or DER).
    certificate: PathBuf,
    /// Intermediate CA certificates sent with it (PEM or DER files).
    chain: Vec<PathBuf>,
    /// The use to check for: dmp-auth, dmp-sign, insi, mssante, dp or tls-server. Without it,
    /// the path and revocation only.
    #[arg(long = "use", value_name = "USE", value_parser = parse_use)]
    usage: Option<Use>,
    /// The structure that claims to act (the VIHF token's idNat_Struct, e.g. `1` + FINESS
    /// géographique): coherent when it belongs to the certificate's legal entity (R40).
    #[arg(long, value_name = "ID_NAT_STRUCT")]
    structure: Option<String>,
    /// Compare --structure by strict equality instead of legal entity.
    #[arg(long, requires = "structure")]
    strict: bool,
    /// A trust anchor added to this CA's root and to `verify.anchors` (root certificate file,
    /// PEM or DER; repeat for more), e.g. the real IGC-Santé test or production roots.
    #[arg(long, value_name = "FILE")]
    anchor: Vec<PathBuf>,
    /// Trust only the --anchor files, not this CA's root nor `verify.anchors`.
    #[arg(long, requires = "anchor")]
    anchors_only: bool,
    /// A CRL to use before fetching any (full or delta, PEM or DER; repeat for more).
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// An OCSP response to use before asking the responder (DER; repeat for more).
    #[arg(long, value_name = "FILE")]
    ocsp_response: Vec<PathBuf>,
    /// Fetch nothing: use only the CRLs and OCSP responses given.
    #[arg(long)]
    offline: bool,
    /// What to do when no revocation status can be had: hard-fail, soft-fail or off. Default:
    /// soft-fail for tls-server, hard-fail otherwise.
    #[arg(long, value_name = "POLICY", value_parser = parse_policy)]
    revocation: Option<RevocationPolicy>,
    /// The certificate policy every certificate below the anchor must assert, or `none`.
    /// Default: the configured `ca.policy_oid`.
    #[arg(long, value_name = "OID|none")]
    policy: Option<String>,
    /// Validate at this time (RFC 3339) instead of now.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// Seconds before a CRL or OCSP fetch gives up.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_use(s: &str) -> Result<Use, String> {
    s.parse()
}

fn parse_policy(s: &str) -> Result<RevocationPolicy, String> {
    s.parse()
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{what}: reading {}", path.display()))
}

fn certificates(path: &Path, what: &str) -> Result<Vec<Vec<u8>>> {
    santepki_verify::read_certificates(&read(path, what)?)
        .map_err(|e| anyhow::anyhow!("{what}: {}: {e}", path.display()))
}

/// Exit 0 when the certificate is accepted, 3 when refused.
pub async fn run(args: VerifyArgs, config: Option<PathBuf>) -> Result<ExitCode> {
    let (loaded, db) = super::open(config).await?;
    let mut certs = certificates(&args.certificate, "the certificate")?;
    let certificate = certs.remove(0);
    // A PEM file holding the certificate and its chain: the rest are intermediates.
    let mut chain = certs;
    for f in &args.chain {
        chain.extend(certificates(f, "chain")?);
    }

    // This CA's root is the default anchor, its issuing CAs the default intermediates.
    let cas = santepki_storage::authority::authorities(&db).await?;
    let mut anchors = Vec::new();
    if !args.anchors_only {
        anchors.extend(cas.iter().filter(|c| c.parent_id.is_none()).map(|c| c.certificate.clone()));
        anchors.extend(loaded.verify_anchors()?);
    }
    for f in &args.anchor {
        anchors.extend(certificates(f, "--anchor")?);
    }
    if anchors.is_empty() {
        bail!("--anchor: no trust anchor: this database holds no CA; give the root certificate with --anchor FILE");
    }
    let source: Arc<dyn RevocationSource> = if args.offline {
        Arc::new(Offline)
    } else {
        let timeout = Duration::from_secs(args.timeout.max(1));
        Arc::new(HttpSource::new(timeout, santepki_verify::revocation::MAX_CRL_BYTES).map_err(anyhow::Error::msg)?)
    };
    let mut config = Config::new(anchors, source);
    config.intermediates = cas.iter().filter(|c| c.parent_id.is_some()).map(|c| c.certificate.clone()).collect();
    config.policy = match args.policy.as_deref().unwrap_or(&loaded.config.ca.policy_oid) {
        "none" => None,
        oid => Some(oid.parse().map_err(|e| anyhow::anyhow!("--policy: {oid:?} is not an OID: {e}"))?),
    };
    for f in &args.crl {
        let crl = santepki_verify::read_crl(&read(f, "--crl")?)
            .map_err(|e| anyhow::anyhow!("--crl: {}: {e}", f.display()))?;
        config.crls.push(crl);
    }
    for f in &args.ocsp_response {
        let response = santepki_verify::read_ocsp_response(&read(f, "--ocsp-response")?)
            .map_err(|e| anyhow::anyhow!("--ocsp-response: {}: {e}", f.display()))?;
        config.ocsp_responses.push(response);
    }
    config.directory = Some(Arc::new(StoredDirectory::new(db.clone())));
    let verifier = Verifier::new(config).context("--anchor")?;
    let at = match &args.at {
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| anyhow::anyhow!("--at: {t:?} is not an RFC 3339 time: {e}"))?
                .to_utc(),
        ),
        None => None,
    };
    let structure = match &args.structure {
        Some(s) => Some(
            IdNatStruct::parse(s.trim(), loaded.config.directory.identifiers)
                .map_err(|e| anyhow::anyhow!("--structure: {e}"))?
                .to_string(),
        ),
        None => None,
    };
    let request = Request {
        certificate,
        chain,
        usage: args.usage,
        structure,
        coherence: if args.strict { CoherenceMode::Strict } else { CoherenceMode::LegalEntity },
        revocation: args.revocation,
        at,
    };
    let verdict = verifier.verify(&request).await;
    db.close().await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
    } else {
        print_verdict(&verdict);
    }
    Ok(if verdict.accepted { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REFUSED) })
}

fn print_verdict(v: &Verdict) {
    let usage = v.usage.map(|u| format!(" for {u}")).unwrap_or_default();
    println!("{}{usage}: {}", if v.accepted { "ACCEPTED" } else { "REFUSED" }, v.subject);
    println!("  serial      {}", v.serial);
    println!("  validity    {} .. {}", v.not_before, v.not_after);
    if !v.path.is_empty() {
        println!("  path        {}", v.path.join("\n              <- "));
    }
    let status = match v.revocation.status {
        RevocationStatus::Good => "good",
        RevocationStatus::Revoked => "REVOKED",
        RevocationStatus::Unknown => "unknown",
        RevocationStatus::NotChecked => "not checked",
    };
    println!("  revocation  {status}");
    for c in &v.revocation.checks {
        let source = c.source.map(|s| wire(&s)).unwrap_or_else(|| "no source".into());
        println!("    {} ({source}): {}", c.subject, c.attempts.join("; "));
    }
    if let Some(c) = &v.coherence {
        println!(
            "  structure   {} ({} mode): {} with the certificate's {}{}",
            c.structure,
            c.mode,
            if c.coherent { "coherent" } else { "INCOHERENT" },
            c.certificate_structure.as_deref().unwrap_or("(none)"),
            match (&c.structure_legal_entity, &c.certificate_legal_entity) {
                (Some(a), Some(b)) if a == b => format!(" (same legal entity {a})"),
                (Some(a), Some(b)) => format!(" (legal entities {a} and {b})"),
                _ => String::new(),
            }
        );
    }
    for r in &v.refusals {
        println!("  refused     [{}] {}: {}", r.rule, wire(&r.code), r.message);
    }
    for w in &v.warnings {
        println!("  warning     {w}");
    }
}

/// A verdict value's wire name (`delta-crl`, `structure_incoherent`), as in `--json`.
fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}
