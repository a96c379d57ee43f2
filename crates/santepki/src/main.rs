//! `santepki`: one binary for every part of the platform.

mod commands;
mod config;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: imports allocate row values on the parsing thread and free them on the database
/// worker; glibc's malloc spent a third of the import time on that cross-thread pattern.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// santepki — the IGC-Santé certificate platform, self-hostable: the national directory, the
/// habilitation workflow (formulaire 413), the ordering platform and the certificate authority.
#[derive(Parser)]
#[command(name = "santepki", version, propagate_version = true)]
struct Cli {
    /// Configuration file (default: ./santepki-demo/santepki.toml when a demo was started here,
    /// else ./santepki.toml, else built-in defaults; SANTEPKI_* variables override it).
    #[arg(long, global = true, env = "SANTEPKI_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a demo platform on the embedded defaults in ./santepki-demo (created on first run,
    /// reused afterwards) with the demo directory loaded.
    Demo(commands::demo::DemoArgs),
    /// Run the platform's servers with the configuration.
    Serve(commands::serve::ServeArgs),
    /// The national directory: import the public extracts, generate synthetic ones, search.
    #[command(subcommand)]
    Directory(Box<commands::directory::DirectoryCommand>),
    /// The certificate authority: create the hierarchy, issue, revoke, publish CRLs.
    #[command(subcommand)]
    Ca(commands::ca::CaCommand),
    /// The tamper-evident audit log: verify it, prove an event, show events.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Check a certificate as a relying party: path to the IGC-Santé roots, revocation (OCSP,
    /// CRLs), the use's rules (DMP, INSi, MSSanté, DP) and the structure's coherence (R40).
    Verify(Box<commands::verify::VerifyArgs>),
    /// Test cards (CPS, CPE, CPA, CDE, CDA) with card certificates from the PERSONNES CA.
    #[command(subcommand)]
    Card(commands::card::CardCommand),
    /// Agency operators (back office).
    #[command(subcommand)]
    Operator(commands::card::OperatorCommand),
    /// Back the database up while servers run (SQLite online backup, or pg_dump).
    Backup(commands::backup::BackupArgs),
    /// Restore a backup (servers stopped); CRL numbers then move past anything published since.
    Restore(commands::backup::RestoreArgs),
    /// Show the configuration in effect (file and environment merged).
    Config,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The log format is read before anything logs; a configuration that does not load is
    // reported by the command itself.
    let json = config::load(config::discover(cli.config.as_deref()))
        .is_ok_and(|l| l.config.log.format == config::LogFormat::Json);
    init_logging(json);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(args) => commands::demo::run(args, cli.config).await,
        Command::Serve(args) => commands::serve::run(args, cli.config).await,
        Command::Directory(cmd) => commands::directory::run(*cmd, cli.config).await,
        Command::Ca(cmd) => commands::ca::run(cmd, cli.config).await,
        Command::Audit(cmd) => commands::audit::run(cmd, cli.config).await,
        Command::Backup(args) => commands::backup::backup(args, cli.config).await,
        Command::Restore(args) => commands::backup::restore(args, cli.config).await,
        Command::Verify(args) => commands::verify::run(*args, cli.config).await,
        Command::Card(cmd) => commands::card::run_card(cmd, cli.config).await,
        Command::Operator(cmd) => commands::card::run_operator(cmd, cli.config).await,
        Command::Config => {
            let loaded = config::load(config::discover(cli.config.as_deref()))?;
            match &loaded.file {
                Some(f) => eprintln!("# from {} and SANTEPKI_* variables", f.display()),
                None => eprintln!("# built-in defaults and SANTEPKI_* variables"),
            }
            print!("{}", toml::to_string_pretty(&loaded.config.redacted())?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs go to stderr, as text or one JSON object per line (`log.format`); `SANTEPKI_LOG` (or
/// `RUST_LOG`) sets the filter, `info` by default.
fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let asked = std::env::var("SANTEPKI_LOG").or_else(|_| std::env::var("RUST_LOG")).ok();
    let mut filter =
        asked.as_deref().and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
    // ldap3_proto logs its parser errors with the request's bytes at ERROR: a client sending garbage would fill the
    // log. The LDAP server logs its own bounded summary instead; ask for ldap3_proto by name to see them.
    if !asked.as_deref().is_some_and(|f| f.contains("ldap3_proto")) {
        if let Ok(quiet) = "ldap3_proto=off".parse() {
            filter = filter.add_directive(quiet);
        }
    }
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(false).init();
    } else {
        builder.with_target(false).init();
    }
}
