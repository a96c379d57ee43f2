//! `santepki directory …`: import, generate, search, stats.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use santepki_directory::formats::FileKind;
use santepki_directory::generate::{self, GenerateOptions, Scale};
use santepki_directory::import::{Closure, ImportObserver};
use santepki_directory::search::{Directory, Query, SearchResult, DEFAULT_LIMIT, MAX_LIMIT};
use santepki_directory::{import_file, ImportError, ImportOptions, ImportReport};
use santepki_domain::ValidationMode;
use santepki_storage::directory as store;
use santepki_storage::Db;

use crate::output;

/// Exit code when some lines were rejected (the good ones were imported).
pub const EXIT_REJECTED_LINES: u8 = 3;
/// Exit code when a file could not be imported at all (empty, unknown format, unreadable).
pub const EXIT_FILE_ERROR: u8 = 4;

#[derive(Subcommand)]
pub enum DirectoryCommand {
    /// Import public extracts: FINESS etalab legal entities (cs1100501) and establishments
    /// (cs1100502), PS_LibreAcces_Personne_activite, CPx card files.
    ///
    /// Each FILE may be a folder: its recognised files are imported in dependency order (legal
    /// entities, establishments, activities, cards). Rejected lines are reported as FILE:LINE:
    /// reason and never stop the import. Exit status: 0 every line imported; 3 some lines were
    /// rejected (the others were imported); 4 a file could not be imported at all; 1 other errors.
    Import(ImportArgs),
    /// Write synthetic files in exactly the public formats, deterministic from a seed, from demo
    /// size to national scale, always containing the seed documents' cases.
    Generate(GenerateArgs),
    /// Search the directory like annuaire.sante.fr: by RPPS, idNat_PS, card number, FINESS,
    /// SIRET, RPPS rang, idNat_Struct or name prefix.
    Search(SearchArgs),
    /// Directory counts and the last imports.
    Stats(StatsArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// Files or folders to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The kind of every FILE, instead of detecting it.
    #[arg(long, value_parser = ["finess-legal-entities", "finess-establishments", "rpps-activities", "cards"])]
    kind: Option<String>,
    /// Identifier rules: strict (production) or test (also test-environment identifiers).
    /// Default: directory.identifiers from the configuration.
    #[arg(long, value_parser = ["strict", "test"])]
    identifiers: Option<String>,
    /// Do not close rows that the file no longer contains.
    #[arg(long)]
    no_close: bool,
    /// Refuse to close more than this share of a source's open rows (0.0–1.0).
    #[arg(long, default_value_t = 0.5, value_parser = parse_ratio)]
    max_closure_ratio: f64,
    /// Lines per transactional batch.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    batch_lines: u32,
    /// Load empty tables without their secondary indexes (rebuilt at the end) when a file has
    /// more lines than this; populated tables always keep them.
    #[arg(long, default_value_t = 50_000, hide = true)]
    bulk_load_min_lines: u64,
    /// Print the reports as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Do not print each rejected line (the summary still counts them).
    #[arg(long)]
    quiet: bool,
}

fn parse_ratio(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("{s:?} is not a ratio between 0.0 and 1.0")),
    }
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Output folder (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Random seed: the same seed and scale give byte-identical files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// demo, small, or national (≈ 60k EJ, 100k EG, 1.3M situation lines).
    #[arg(long, default_value = "demo", value_parser = ["demo", "small", "national"])]
    scale: String,
}

#[derive(Args)]
#[command(group = clap::ArgGroup::new("what").required(true).multiple(false))]
pub struct SearchArgs {
    /// A value to search, its kind guessed from its form (RPPS, idNat_PS, card number, FINESS,
    /// SIRET, RPPS rang, idNat_Struct, or a name).
    #[arg(group = "what")]
    query: Option<String>,
    #[arg(long, group = "what", value_name = "RPPS")]
    rpps: Option<String>,
    #[arg(long, group = "what", value_name = "ADELI")]
    adeli: Option<String>,
    #[arg(long, group = "what", value_name = "IDNAT_PS")]
    idnat_ps: Option<String>,
    #[arg(long, group = "what", value_name = "NUMBER")]
    card: Option<String>,
    #[arg(long, group = "what", value_name = "FINESS")]
    finess: Option<String>,
    #[arg(long, group = "what", value_name = "SIRET")]
    siret: Option<String>,
    #[arg(long, group = "what", value_name = "RPPS_RANG")]
    rpps_rang: Option<String>,
    #[arg(long, group = "what", value_name = "IDNAT_STRUCT")]
    idnat_struct: Option<String>,
    /// Professionals whose name starts with this ("NOM PRÉNOM").
    #[arg(long, group = "what", value_name = "PREFIX")]
    name: Option<String>,
    /// Structures whose name starts with this.
    #[arg(long, group = "what", value_name = "PREFIX")]
    structure_name: Option<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
    /// At most this many results for a name search.
    #[arg(long, default_value_t = DEFAULT_LIMIT, value_parser = clap::value_parser!(i64).range(1..=MAX_LIMIT))]
    limit: i64,
}

#[derive(Args)]
pub struct StatsArgs {
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: DirectoryCommand, config: Option<PathBuf>) -> Result<ExitCode> {
    match cmd {
        DirectoryCommand::Generate(args) => generate_cmd(args),
        DirectoryCommand::Import(args) => {
            let (loaded, db) = super::open(config).await?;
            let mode = match args.identifiers.as_deref() {
                Some("test") => ValidationMode::Test,
                Some(_) => ValidationMode::Strict,
                None => loaded.config.directory.identifiers,
            };
            import_cmd(&db, args, mode).await
        }
        DirectoryCommand::Search(args) => {
            let (loaded, db) = super::open(config).await?;
            search_cmd(&db, args, loaded.config.directory.identifiers).await
        }
        DirectoryCommand::Stats(args) => {
            let (_, db) = super::open(config).await?;
            // A run a killed import left `running` is shown (and stored) as abandoned, not as
            // running forever. The schema is left alone: indexes are for serving nodes and imports.
            santepki_directory::runs::settle_runs(&db, &super::ca::actor()).await?;
            let counts = store::counts(&db).await?;
            let runs = store::recent_runs(&db, 10).await?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "counts": counts, "recent_imports": runs }))?
                );
            } else {
                output::print_stats(&counts, &runs);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn generate_cmd(args: GenerateArgs) -> Result<ExitCode> {
    let scale = Scale::parse(&args.scale).with_context(|| format!("unknown scale {:?}", args.scale))?;
    let opts = GenerateOptions { seed: args.seed, scale, ..Default::default() };
    let files = generate::generate(&args.out, &opts).with_context(|| format!("writing to {}", args.out.display()))?;
    for f in files.in_import_order() {
        println!("{}", f.display());
    }
    let c = &files.counts;
    eprintln!(
        "generated {} legal entities, {} establishments, {} professionals, {} situation lines, {} cards (seed {}, scale {})",
        c.legal_entities, c.establishments, c.professionals, c.situation_lines, c.cards, args.seed, args.scale
    );
    Ok(ExitCode::SUCCESS)
}

/// Expands folders into their recognised files, in import order.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<(usize, PathBuf)> = Vec::new();
            for entry in std::fs::read_dir(input).with_context(|| format!("reading folder {}", input.display()))? {
                let path = entry?.path();
                if !path.is_file() {
                    continue;
                }
                let mut head = Vec::new();
                std::fs::File::open(&path)?.take(4096).read_to_end(&mut head)?;
                if let Some(kind) = FileKind::detect(&path, &head) {
                    let rank = FileKind::ALL.iter().position(|k| *k == kind).unwrap_or(usize::MAX);
                    found.push((rank, path));
                }
            }
            if found.is_empty() {
                bail!("no directory file recognised in folder {}", input.display());
            }
            found.sort();
            out.extend(found.into_iter().map(|(_, p)| p));
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

/// Progress bar on a terminal, every rejected line on stderr.
struct CliObserver {
    file: String,
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl CliObserver {
    fn print(&self, msg: String) {
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }
}

impl ImportObserver for CliObserver {
    fn started(&self, kind: FileKind, total: Option<u64>) {
        if let (Some(bar), Some(total)) = (&self.bar, total) {
            bar.set_length(total);
            bar.set_message(format!("{} ({})", self.file, kind.name()));
        }
    }
    fn progress(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.set_position(bytes);
        }
    }
    fn rejected(&self, line: u64, reason: &str) {
        if !self.quiet {
            self.print(format!("{}:{line}: rejected: {reason}", self.file));
        }
    }
    fn warning(&self, line: u64, message: &str) {
        if !self.quiet {
            self.print(format!("{}:{line}: warning: {message}", self.file));
        }
    }
}

async fn import_cmd(db: &Db, args: ImportArgs, mode: ValidationMode) -> Result<ExitCode> {
    let files = expand_inputs(&args.files)?;
    let opts = ImportOptions {
        kind: args.kind.as_deref().and_then(FileKind::parse),
        mode,
        batch_lines: args.batch_lines as usize,
        close_missing: !args.no_close,
        max_closure_ratio: args.max_closure_ratio,
        actor: format!("cli:{}", whoami()),
        bulk_load_min_lines: args.bulk_load_min_lines,
    };
    let mut reports: Vec<ImportReport> = Vec::new();
    let mut failures = Vec::new();
    for file in &files {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        });
        let observer = Arc::new(CliObserver { file: file.display().to_string(), bar: bar.clone(), quiet: args.quiet });
        let result = import_file(db, file, &opts, observer).await;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match result {
            Ok(report) => {
                if !args.json {
                    output::print_import_report(&report);
                }
                reports.push(report);
            }
            Err(ImportError::Storage(e)) => return Err(e).context("database error during import"),
            Err(e) => {
                eprintln!("{}: not imported: {e}", file.display());
                failures.push(e.to_string());
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "reports": reports, "failed_files": failures }))?
        );
    }
    let rejected: u64 = reports.iter().map(|r| r.lines_rejected).sum();
    Ok(if !failures.is_empty() {
        ExitCode::from(EXIT_FILE_ERROR)
    } else if rejected > 0 {
        ExitCode::from(EXIT_REJECTED_LINES)
    } else {
        ExitCode::SUCCESS
    })
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

/// Whether a closure outcome deserves a warning line.
pub fn closure_note(c: &Closure) -> Option<String> {
    match c {
        Closure::Done { .. } | Closure::Disabled | Closure::SkippedNothingImported => None,
        Closure::SkippedIncompleteFile => {
            Some("the file looks cut (no final line break or a bad last line): rows it lacks were NOT closed".into())
        }
        Closure::SkippedTooMany { would_close, open } => Some(format!(
            "closing {would_close} of {open} open rows looks wrong (a partial or older file?): nothing was closed; \
             use --max-closure-ratio to allow it"
        )),
    }
}

async fn search_cmd(db: &Db, args: SearchArgs, mode: ValidationMode) -> Result<ExitCode> {
    let explicit = [
        ("rpps", &args.rpps),
        ("adeli", &args.adeli),
        ("idnat-ps", &args.idnat_ps),
        ("card", &args.card),
        ("finess", &args.finess),
        ("siret", &args.siret),
        ("rpps-rang", &args.rpps_rang),
        ("idnat-struct", &args.idnat_struct),
        ("name", &args.name),
        ("structure-name", &args.structure_name),
    ];
    let query = match explicit.iter().find_map(|(k, v)| v.as_ref().map(|v| (*k, v))) {
        Some((kind, value)) => Query::parse(kind, value, mode),
        None => Query::guess(args.query.as_deref().unwrap_or(""), mode),
    }?;
    let result = Directory::new(db.clone()).search(&query, args.limit).await?;
    let found = !matches!(result, SearchResult::NotFound);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        output::print_search_result(&result);
    }
    // Like grep: 1 when nothing matches, so scripts can tell.
    Ok(if found { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
