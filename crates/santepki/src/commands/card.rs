//! `santepki card …` and `santepki operator add`: test cards whose certificates come from the
//! PERSONNES CA, so that they authenticate over mutual TLS as real cards do, and the agency's
//! first operators.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use santepki_registration::cards::NewCard;
use santepki_registration::Registration;

use super::ca::{actor, write_file};
use crate::config::Loaded;

#[derive(Subcommand)]
pub enum CardCommand {
    /// Make a test card: register it (unless it is in the directory already) and write its
    /// authentication certificate and key as a PKCS#12, a certificate PEM and a key PEM.
    Issue(IssueCardArgs),
    /// Put a card in opposition and revoke its card certificates.
    Oppose(OpposeArgs),
}

#[derive(Args)]
pub struct IssueCardArgs {
    /// An existing card of the directory (its number); otherwise a new card is registered.
    #[arg(long, value_name = "NUMBER")]
    number: Option<String>,
    /// Type of a new card: CPS, CPE, CPA, CDE or CDA.
    #[arg(long = "type", value_name = "TYPE")]
    card_type: Option<String>,
    /// Holder of a new CPS (idNat_PS, `8<RPPS>`).
    #[arg(long, value_name = "IDNAT_PS")]
    ps: Option<String>,
    /// Names of a new holder the directory does not know (CPE, CPA, CDE, CDA).
    #[arg(long)]
    last_name: Option<String>,
    #[arg(long)]
    first_name: Option<String>,
    /// The structure the new holder's card is attached to (idNat_Struct).
    #[arg(long, value_name = "IDNAT_STRUCT")]
    structure: Option<String>,
    /// PKCS#12 file to write; the certificate and key PEM files are written beside it.
    #[arg(long, value_name = "FILE")]
    p12_out: PathBuf,
    /// Passphrase of the PKCS#12 (better: SANTEPKI_P12_PASSPHRASE).
    #[arg(long, env = "SANTEPKI_P12_PASSPHRASE", hide_env_values = true)]
    passphrase: String,
}

#[derive(Args)]
pub struct OpposeArgs {
    number: String,
}

#[derive(Subcommand)]
pub enum OperatorCommand {
    /// Make a card an agency operator (back office: validates forms 413, manages contracts).
    Add(OperatorAddArgs),
}

#[derive(Args)]
pub struct OperatorAddArgs {
    /// The card number.
    number: String,
}

async fn registration(config: Option<PathBuf>) -> Result<(Loaded, Registration)> {
    let (loaded, db) = super::open(config).await?;
    let authority =
        super::ca::load(&loaded, &db).await?.context("the CA is not initialised: run `santepki ca init` first")?;
    let reg = Registration::new(
        db,
        loaded.config.directory.identifiers,
        Some(authority),
        super::serve::mail_settings(&loaded),
    );
    Ok((loaded, reg))
}

pub async fn run_card(cmd: CardCommand, config: Option<PathBuf>) -> Result<ExitCode> {
    let (_, reg) = registration(config).await?;
    let by = actor();
    match cmd {
        CardCommand::Issue(a) => {
            // Every output is checked before anything is registered or issued (issue 15, point 13): a card whose
            // certificate could not be written would be registered and certified with no one holding its key.
            let stem = a.p12_out.with_extension("");
            let cert = PathBuf::from(format!("{}.crt.pem", stem.display()));
            let key = PathBuf::from(format!("{}.key.pem", stem.display()));
            for file in [&a.p12_out, &key] {
                if file.exists() {
                    bail!(
                        "--p12-out: {} exists already; choose another file (private files are never replaced)",
                        file.display()
                    );
                }
            }
            let folder = a.p12_out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            if !folder.is_dir() {
                bail!("--p12-out: the folder {} does not exist", folder.display());
            }
            let number = match (&a.number, &a.card_type) {
                (Some(n), None) => n.trim().to_owned(),
                (None, Some(t)) => {
                    let row = reg
                        .register_card(
                            &by,
                            NewCard {
                                card_type: t.clone(),
                                idnat_ps: a.ps.clone(),
                                last_name: a.last_name.clone(),
                                first_name: a.first_name.clone(),
                                structure: a.structure.clone(),
                                months: None,
                                card_number: None,
                            },
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("{e}"))?;
                    eprintln!("registered card {} ({}) for {}", row.card_number, row.card_type, row.idnat_ps);
                    row.card_number
                }
                _ => bail!("give either --number (a card of the directory) or --type (a new card)"),
            };
            let c =
                reg.issue_card_credentials(&by, &number, &a.passphrase).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            write_file(&a.p12_out, &c.pkcs12, true)?;
            write_file(&cert, c.certificate_pem.as_bytes(), false)?;
            write_file(&key, c.key_pem.as_bytes(), true)?;
            println!("card {number}: certificate {} (serial {})", cert.display(), c.serial);
            println!("  PKCS#12 {} (key {})", a.p12_out.display(), key.display());
            Ok(ExitCode::SUCCESS)
        }
        CardCommand::Oppose(a) => {
            let row = reg.oppose_card_by(&by, &a.number).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("card {} opposed on {}", row.card_number, row.opposed_on.unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn run_operator(cmd: OperatorCommand, config: Option<PathBuf>) -> Result<ExitCode> {
    let (_, reg) = registration(config).await?;
    match cmd {
        OperatorCommand::Add(a) => {
            let role = reg.add_operator(a.number.trim(), &actor()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("card {} is an agency operator (role {})", role.card_number, role.id);
            Ok(ExitCode::SUCCESS)
        }
    }
}
