//! Import of the public directory files into storage.
//!
//! A blocking thread reads and validates lines while the async side writes batches, each batch in
//! one transaction: parsing and writing overlap on two cores, memory stays bounded (a few batches
//! in flight), and a crash leaves whole batches only. Upserts are idempotent, so re-running an
//! interrupted import finishes it. Every rejected line is reported with its number and reason and
//! never stops the import. Rows of the same source that a complete, healthy file no longer
//! contains are closed at the end.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::NaiveDate;
use santepki_domain::values::ImportRunStatus;
use santepki_domain::{CardNumber, CardType, Finess, IdNatPs, IdNatStruct, Sector, Siren, Siret, ValidationMode};
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::directory::{
    self as store, ImportRow, ImportRunRecord, TableBatch, TableDef, WriteCounts, WritePolicy, CARDS, PROFESSIONALS,
    SITUATIONS, STRUCTURES,
};
use santepki_storage::{Db, StorageError};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::formats::{cards as cards_fmt, finess, rpps as rpps_fmt, FileKind};
use crate::normalize::name_key;
use crate::reader::{Encoding, Next, Record, RecordReader, SAMPLE};

/// How to import a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The kind of file; detected from its name and first lines when `None`.
    pub kind: Option<FileKind>,
    /// Whether test-environment identifiers are accepted.
    pub mode: ValidationMode,
    /// Lines per transactional batch.
    pub batch_lines: usize,
    /// Close rows of this source that the file no longer contains.
    pub close_missing: bool,
    /// Refuse to close more than this share of a source's open rows (a truncated or wrong file
    /// must not empty the directory). 1.0 disables the guard.
    pub max_closure_ratio: f64,
    /// Who runs the import, for the audit log.
    pub actor: String,
    /// Load a table without its secondary indexes (rebuilt at the end) when it is empty and the
    /// file holds more than this many lines.
    pub bulk_load_min_lines: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            kind: None,
            mode: ValidationMode::Strict,
            batch_lines: 5000,
            close_missing: true,
            max_closure_ratio: 0.5,
            actor: "system".into(),
            bulk_load_min_lines: 50_000,
        }
    }
}

/// Receives progress and every rejected line while an import runs (the CLI draws a progress bar
/// and prints rejections; tests collect them).
pub trait ImportObserver: Send + Sync {
    /// Called once the kind is known; `total_bytes` is the file size when it is a regular file.
    fn started(&self, _kind: FileKind, _total_bytes: Option<u64>) {}
    /// Called as reading advances, with the number of bytes read so far.
    fn progress(&self, _bytes: u64) {}
    /// Called for every line that was not imported, with its number and why.
    fn rejected(&self, _line: u64, _reason: &str) {}
    /// Called for a line imported without one of its fields (an invalid optional field is dropped, not the line).
    fn warning(&self, _line: u64, _message: &str) {}
}

/// An observer that ignores everything.
pub struct Quiet;
impl ImportObserver for Quiet {}

/// A rejected line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejection {
    /// 1-based number of the line in the file.
    pub line: u64,
    /// Why it was not imported.
    pub reason: String,
}

/// What happened to rows the file no longer contains.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Closure {
    /// Rows not in the file were closed.
    Done {
        /// Number of rows closed.
        closed: u64,
    },
    /// Disabled by the options.
    Disabled,
    /// The file did not end with a line break or its last record was bad: it may be cut, so
    /// nothing was closed.
    SkippedIncompleteFile,
    /// No line was imported: nothing was closed.
    SkippedNothingImported,
    /// Closing would have closed too large a share of the open rows.
    SkippedTooMany {
        /// Rows the file no longer contains.
        would_close: u64,
        /// Open rows of this source before the import.
        open: u64,
    },
}

/// The summary of an import.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    /// The `import_runs` row that records this import (and stamps the rows it saw).
    pub run_id: i64,
    /// The imported file.
    pub file: PathBuf,
    /// Its kind, given or detected.
    pub kind: FileKind,
    /// Its encoding, detected from the first 64 KiB.
    pub encoding: Encoding,
    /// The extract date a FINESS file states on its first line (`finess;etalab;<n>;<date>`).
    pub file_date: Option<String>,
    /// Records read (lines, except blank ones).
    pub lines_read: u64,
    /// Records turned into rows.
    pub records_imported: u64,
    /// Records read and ignored by design (header, geolocation records).
    pub lines_skipped: u64,
    /// Records rejected (each one reported with its line and reason).
    pub lines_rejected: u64,
    /// The first rejections (all of them are passed to the observer).
    pub rejections: Vec<Rejection>,
    /// Lines imported with a field dropped.
    pub warnings: u64,
    /// Rows inserted, updated, unchanged or left alone per table.
    pub written: WriteCounts,
    /// What happened to rows of this source the file no longer contains.
    pub closure: Closure,
    /// Tables loaded without their secondary indexes (rebuilt at the end): only tables that
    /// were empty, so that searches keep their indexes during a re-import.
    pub bulk_loaded: Vec<&'static str>,
}

impl ImportReport {
    /// Whether every line was imported.
    pub fn is_clean(&self) -> bool {
        self.lines_rejected == 0
    }
}

/// Errors that stop an import (a bad line never does).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("{0}: {1}")]
    Io(PathBuf, io::Error),
    /// The file has no content.
    #[error("{0}: the file is empty")]
    Empty(PathBuf),
    /// The file is none of the known open-data formats (the reason says what was seen).
    #[error("{0}: unknown file format ({1}); expected a FINESS etalab extract, PS_LibreAcces_Personne_activite or a CPx card file (or say which with --kind)")]
    UnknownFormat(PathBuf, String),
    /// The header line does not have the expected columns.
    #[error("{0}: bad header: {1}")]
    Header(PathBuf, String),
    /// Writing to the directory tables failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Rejections kept in the report; the observer sees all of them.
const KEPT_REJECTIONS: usize = 1000;

/// Imports one file.
pub async fn import_file(
    db: &Db,
    path: &Path,
    opts: &ImportOptions,
    observer: Arc<dyn ImportObserver>,
) -> Result<ImportReport, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::Io(path.to_owned(), e))?;
    let total = file.metadata().ok().map(|m| m.len());
    if total == Some(0) {
        return Err(ImportError::Empty(path.to_owned()));
    }
    // Detect the kind from the first bytes before choosing delimiter and quoting.
    let mut head = Vec::with_capacity(SAMPLE);
    {
        use std::io::Read;
        let mut f = File::open(path).map_err(|e| ImportError::Io(path.to_owned(), e))?;
        (&mut f).take(SAMPLE as u64).read_to_end(&mut head).map_err(|e| ImportError::Io(path.to_owned(), e))?;
    }
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty(path.to_owned()));
    }
    let kind = match opts.kind.or_else(|| FileKind::detect(path, &head)) {
        Some(k) => k,
        None => {
            let hint = if head.iter().take(512).any(|&b| b == 0) {
                "binary data".to_owned()
            } else {
                let first = String::from_utf8_lossy(head.split(|&b| b == b'\n').next().unwrap_or_default())
                    .chars()
                    .take(60)
                    .collect::<String>();
                format!("first line {first:?}")
            };
            return Err(ImportError::UnknownFormat(path.to_owned(), hint));
        }
    };
    observer.started(kind, total);

    let (reader, _) = RecordReader::new(BufReader::with_capacity(1 << 20, file), kind.delimiter(), kind.quoted())
        .map_err(|e| ImportError::Io(path.to_owned(), e))?;

    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Runs a killed import left `running` are marked abandoned, and the indexes a killed first
    // load dropped come back, before this run begins (it would count as live otherwise).
    crate::runs::recover(db, &opts.actor).await?;
    let run_id = store::begin_run(db, kind.name(), &file_name, None, crate::runs::this_process().as_deref()).await?;
    let _heartbeat = crate::runs::Heartbeat::start(db, run_id);
    let bulk_tables = bulk_load_tables(db, kind, total, &head, opts.bulk_load_min_lines).await?;
    for t in &bulk_tables {
        store::drop_indexes_of(db, t.name).await?;
    }
    let result = import_rows(db, path, kind, reader, run_id, file_name, opts, observer)
        .await
        .map(|r| ImportReport { bulk_loaded: bulk_tables.iter().map(|t| t.name).collect(), ..r });
    // Rebuild the indexes whatever happened (after a crash, the next import or a serving node
    // does: crate::runs::recover).
    for t in &bulk_tables {
        store::ensure_indexes_of(db, Some(t.name)).await?;
    }
    result
}

/// Tables to load without their secondary indexes: only EMPTY tables (a first load) that the
/// file, estimated from its size and the average line length of its first 64 KiB, fills with
/// more than `min_lines` rows. A re-import into a populated table keeps its indexes: searches
/// on a serving node use them while the import runs (without them a name search goes from a
/// few milliseconds to a full scan).
async fn bulk_load_tables(
    db: &Db,
    kind: FileKind,
    total: Option<u64>,
    head: &[u8],
    min_lines: u64,
) -> Result<Vec<&'static TableDef>, StorageError> {
    let lines_in_head = head.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
    let estimated_lines = total.unwrap_or(0) * lines_in_head / head.len().max(1) as u64;
    let mut out = Vec::new();
    for t in closure_tables(kind) {
        if estimated_lines > min_lines && store::count_rows(db, t).await? == 0 {
            out.push(*t);
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn import_rows(
    db: &Db,
    path: &Path,
    kind: FileKind,
    reader: RecordReader<BufReader<File>>,
    run_id: i64,
    file_name: String,
    opts: &ImportOptions,
    observer: Arc<dyn ImportObserver>,
) -> Result<ImportReport, ImportError> {
    let encoding = reader.encoding();
    let bytes = reader.bytes_read();

    // Parsing thread → writer: a few batches in flight bound the memory.
    let (tx, mut rx) = mpsc::channel::<Vec<TableBatch>>(2);
    let parse_opts = opts.clone();
    let parse_observer = observer.clone();
    let parse_path = path.to_owned();
    let parser = tokio::task::spawn_blocking(move || {
        parse_file(reader, kind, &parse_opts, parse_observer.as_ref(), tx, &parse_path)
    });

    let mut written = WriteCounts::default();
    let mut write_error = None;
    while let Some(batch) = rx.recv().await {
        match store::write_batch(db, run_id, batch).await {
            Ok(c) => written += c,
            Err(e) => {
                write_error = Some(e);
                break;
            }
        }
        observer.progress(bytes.load(Ordering::Relaxed));
    }
    drop(rx);
    let parsed = parser.await.map_err(|e| ImportError::Io(path.to_owned(), io::Error::other(e.to_string())))?;
    let mut record = ImportRunRecord { id: run_id, file_kind: kind.name().into(), file_name, ..Default::default() };
    if let Some(e) = write_error {
        record.status = ImportRunStatus::Failed;
        record.message = Some(e.to_string());
        let _ = store::finish_run(db, &record).await;
        return Err(e.into());
    }
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            record.status = ImportRunStatus::Failed;
            record.message = Some(e.to_string());
            let _ = store::finish_run(db, &record).await;
            return Err(e);
        }
    };
    observer.progress(bytes.load(Ordering::Relaxed));

    let closure = close_missing(db, kind, run_id, opts, &parsed).await?;
    let report = ImportReport {
        run_id,
        file: path.to_owned(),
        kind,
        encoding,
        file_date: parsed.file_date.clone(),
        lines_read: parsed.lines_read,
        records_imported: parsed.records_imported,
        lines_skipped: parsed.lines_skipped,
        lines_rejected: parsed.lines_rejected,
        rejections: parsed.rejections,
        warnings: parsed.warnings,
        written,
        closure: closure.clone(),
        bulk_loaded: Vec::new(),
    };
    record.file_date = report.file_date.clone();
    record.status = if report.is_clean() { ImportRunStatus::Done } else { ImportRunStatus::DoneWithRejections };
    record.lines_read = report.lines_read as i64;
    record.records_imported = report.records_imported as i64;
    record.lines_rejected = report.lines_rejected as i64;
    record.rows_inserted = written.inserted as i64;
    record.rows_updated = written.updated as i64;
    record.rows_unchanged = written.unchanged as i64;
    record.rows_closed = match closure {
        Closure::Done { closed } => closed as i64,
        _ => 0,
    };
    record.message = Some(serde_json::to_string(&closure).unwrap_or_default());
    store::finish_run(db, &record).await?;
    let event = AuditEvent::new(&opts.actor, "directory.import", &format!("import_run:{run_id}")).after(&record);
    audit::append(db.pool(), &event).await?;
    Ok(report)
}

/// The tables a kind of file closes rows in.
fn closure_tables(kind: FileKind) -> &'static [&'static TableDef] {
    match kind {
        FileKind::FinessEstablishments | FileKind::FinessLegalEntities => &[&STRUCTURES],
        FileKind::RppsActivities => &[&SITUATIONS, &PROFESSIONALS, &STRUCTURES],
        FileKind::Cards => &[&CARDS],
    }
}

async fn close_missing(
    db: &Db,
    kind: FileKind,
    run_id: i64,
    opts: &ImportOptions,
    parsed: &Parsed,
) -> Result<Closure, StorageError> {
    if !opts.close_missing {
        return Ok(Closure::Disabled);
    }
    if parsed.records_imported == 0 {
        return Ok(Closure::SkippedNothingImported);
    }
    if !parsed.complete {
        return Ok(Closure::SkippedIncompleteFile);
    }
    let source = kind.source();
    let (mut unseen, mut open) = (0, 0);
    for t in closure_tables(kind) {
        unseen += store::count_unseen(db, t, source, run_id).await?;
        open += store::count_open(db, t, source).await?;
    }
    if unseen as f64 > opts.max_closure_ratio * open as f64 {
        return Ok(Closure::SkippedTooMany { would_close: unseen, open });
    }
    let mut closed = 0;
    for t in closure_tables(kind) {
        closed += store::close_unseen(db, t, source, run_id).await?;
    }
    Ok(Closure::Done { closed })
}

/// What the parsing thread found.
#[derive(Default)]
struct Parsed {
    file_date: Option<String>,
    lines_read: u64,
    records_imported: u64,
    lines_skipped: u64,
    lines_rejected: u64,
    rejections: Vec<Rejection>,
    warnings: u64,
    /// The file ended with a line break and its last record was good.
    complete: bool,
}

impl Parsed {
    fn reject(&mut self, observer: &dyn ImportObserver, line: u64, reason: String) {
        observer.rejected(line, &reason);
        self.lines_rejected += 1;
        if self.rejections.len() < KEPT_REJECTIONS {
            self.rejections.push(Rejection { line, reason });
        }
    }
}

/// Rows produced by lines, accumulated into one batch.
#[derive(Default)]
struct Rows {
    structures: Vec<ImportRow>,
    professionals: Vec<ImportRow>,
    situations: Vec<ImportRow>,
    cards: Vec<ImportRow>,
}

impl Rows {
    fn len(&self) -> usize {
        self.structures.len().max(self.situations.len()).max(self.cards.len()).max(self.professionals.len())
    }

    fn into_batches(self, kind: FileKind) -> Vec<TableBatch> {
        let source = kind.source();
        let mut out = Vec::new();
        let mut add = |table: &'static TableDef, policy, rows: Vec<ImportRow>| {
            if !rows.is_empty() {
                out.push(TableBatch { table, source, policy, rows });
            }
        };
        add(&PROFESSIONALS, WritePolicy::Authoritative, self.professionals);
        // Structures seen in the RPPS file only fill in what FINESS does not know.
        let structure_policy =
            if kind == FileKind::RppsActivities { WritePolicy::Fallback } else { WritePolicy::Authoritative };
        add(&STRUCTURES, structure_policy, self.structures);
        add(&SITUATIONS, WritePolicy::Authoritative, self.situations);
        add(&CARDS, WritePolicy::Authoritative, self.cards);
        out
    }
}

/// A line's outcome.
enum LineOutcome {
    Imported,
    Skipped,
}

fn parse_file<R: io::Read>(
    mut reader: RecordReader<R>,
    kind: FileKind,
    opts: &ImportOptions,
    observer: &dyn ImportObserver,
    tx: mpsc::Sender<Vec<TableBatch>>,
    path: &Path,
) -> Result<Parsed, ImportError> {
    let mut parsed = Parsed::default();
    let mut rec = Record::default();
    let mut rows = Rows::default();
    let mut parser = LineParser::new(kind, opts.mode);
    let mut last_ok = true;
    let mut warnings = Vec::new();
    loop {
        let next = reader.next(&mut rec).map_err(|e| ImportError::Io(path.to_owned(), e))?;
        match next {
            Next::End => break,
            Next::Bad { line, reason } => {
                parsed.lines_read += 1;
                parsed.reject(observer, line, reason);
                last_ok = false;
            }
            Next::Record => {
                parsed.lines_read += 1;
                warnings.clear();
                match parser.line(&rec, &mut rows, &mut warnings, &mut parsed.file_date) {
                    Ok(LineOutcome::Imported) => {
                        parsed.records_imported += 1;
                        last_ok = true;
                    }
                    Ok(LineOutcome::Skipped) => {
                        parsed.lines_skipped += 1;
                        last_ok = true;
                    }
                    Err(LineError::Fatal(msg)) => return Err(ImportError::Header(path.to_owned(), msg)),
                    Err(LineError::Rejected(reason)) => {
                        parsed.reject(observer, rec.line, reason);
                        last_ok = false;
                    }
                }
                for w in &warnings {
                    parsed.warnings += 1;
                    observer.warning(rec.line, w);
                }
            }
        }
        if rows.len() >= opts.batch_lines {
            let batch = std::mem::take(&mut rows).into_batches(kind);
            if tx.blocking_send(batch).is_err() {
                // The writer stopped (a database error): it reports the cause.
                return Ok(parsed);
            }
        }
    }
    if parsed.lines_read == 0 {
        return Err(ImportError::Empty(path.to_owned()));
    }
    if rows.len() > 0 {
        let _ = tx.blocking_send(rows.into_batches(kind));
    }
    parsed.complete = last_ok && reader.ended_with_newline();
    Ok(parsed)
}

enum LineError {
    /// The line is rejected; the import goes on.
    Rejected(String),
    /// The file cannot be imported at all (a missing required column).
    Fatal(String),
}

impl From<String> for LineError {
    fn from(s: String) -> Self {
        LineError::Rejected(s)
    }
}

/// Per-kind line handling.
struct LineParser {
    kind: FileKind,
    mode: ValidationMode,
    first: bool,
    /// Professionals and structures already sent in this run: an activities file repeats them
    /// on every situation line of a professional or a structure, and the first occurrence is
    /// enough (the rest would only be looked up and found unchanged).
    sent_professionals: HashSet<String>,
    sent_structures: HashSet<String>,
    /// Column index by key, for files with a header line (RPPS, cards).
    columns: Option<Columns>,
}

struct Columns {
    count: usize,
    index: HashMap<String, usize>,
    /// Column names as the parser asks for them (static literals) → index, resolved once per
    /// file: normalising a header name on every field of every line dominated the import.
    resolved: RefCell<HashMap<&'static str, Option<usize>>>,
}

impl Columns {
    fn from_header(rec: &Record) -> Columns {
        let count = rec.len_without_trailing_empty();
        let index = (0..count).map(|i| (rpps_fmt::column_key(rec.get(i)), i)).collect();
        Columns { count, index, resolved: RefCell::new(HashMap::new()) }
    }

    fn find(&self, name: &'static str) -> Option<usize> {
        if let Some(&i) = self.resolved.borrow().get(name) {
            return i;
        }
        let i = self.index.get(&rpps_fmt::column_key(name)).copied();
        self.resolved.borrow_mut().insert(name, i);
        i
    }
}

/// A view of a record through its header's column names.
struct Named<'a> {
    rec: &'a Record,
    cols: &'a Columns,
}

impl Named<'_> {
    fn opt(&self, name: &'static str) -> Option<&str> {
        self.cols.find(name).and_then(|i| self.rec.opt(i))
    }
    fn get(&self, name: &'static str) -> &str {
        self.opt(name).unwrap_or("")
    }
}

fn s(v: Option<&str>) -> Option<String> {
    v.map(str::to_owned)
}

impl LineParser {
    fn new(kind: FileKind, mode: ValidationMode) -> Self {
        LineParser {
            kind,
            mode,
            first: true,
            sent_professionals: HashSet::new(),
            sent_structures: HashSet::new(),
            columns: None,
        }
    }

    fn line(
        &mut self,
        rec: &Record,
        rows: &mut Rows,
        warnings: &mut Vec<String>,
        file_date: &mut Option<String>,
    ) -> Result<LineOutcome, LineError> {
        let first = std::mem::replace(&mut self.first, false);
        match self.kind {
            FileKind::FinessEstablishments | FileKind::FinessLegalEntities => {
                let tag = rec.get(0);
                if first && tag == finess::HEADER_TAG {
                    *file_date = rec.opt(3).map(str::to_owned);
                    return Ok(LineOutcome::Skipped);
                }
                match (self.kind, tag) {
                    (_, finess::GEOLOCATION_RECORD) => Ok(LineOutcome::Skipped),
                    (FileKind::FinessEstablishments, finess::ESTABLISHMENT_RECORD) => {
                        rows.structures.push(self.establishment(rec, warnings)?);
                        Ok(LineOutcome::Imported)
                    }
                    (FileKind::FinessLegalEntities, finess::LEGAL_ENTITY_RECORD) => {
                        rows.structures.push(self.legal_entity(rec, warnings)?);
                        Ok(LineOutcome::Imported)
                    }
                    (_, other) => Err(format!("unknown record type {:?}", truncate(other, 30)).into()),
                }
            }
            FileKind::RppsActivities | FileKind::Cards => {
                if first {
                    let cols = Columns::from_header(rec);
                    let required: &[&str] = if self.kind == FileKind::Cards {
                        &cards_fmt::HEADER[..3]
                    } else {
                        &["Identification nationale PP", "Nom d'exercice", "Prénom d'exercice"]
                    };
                    for r in required {
                        if cols.find(r).is_none() {
                            return Err(LineError::Fatal(format!("missing column {r:?} in the header line")));
                        }
                    }
                    self.columns = Some(cols);
                    return Ok(LineOutcome::Skipped);
                }
                // Taken out for the line so that the parser can update its own state meanwhile.
                let Some(cols) = self.columns.take() else {
                    return Err(LineError::Fatal("a data line before the header line".to_owned()));
                };
                let result = self.data_line(rec, &cols, rows, warnings);
                self.columns = Some(cols);
                result.map(|()| LineOutcome::Imported)
            }
        }
    }

    fn data_line(
        &mut self,
        rec: &Record,
        cols: &Columns,
        rows: &mut Rows,
        warnings: &mut Vec<String>,
    ) -> Result<(), LineError> {
        if !rec.has_fields(cols.count) {
            return Err(format!(
                "wrong column count: {} fields, the header has {}",
                rec.len_without_trailing_empty(),
                cols.count
            )
            .into());
        }
        let named = Named { rec, cols };
        if self.kind == FileKind::Cards {
            rows.cards.push(self.card(&named)?);
        } else {
            self.activity(&named, rows, warnings)?;
        }
        Ok(())
    }

    fn check_fields(rec: &Record, expected: &[usize]) -> Result<(), String> {
        if expected.iter().any(|&n| rec.has_fields(n)) {
            Ok(())
        } else {
            let found = rec.len_without_trailing_empty();
            Err(format!(
                "wrong column count: {found} fields, expected {}",
                expected.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" or ")
            ))
        }
    }

    fn finess(&self, value: &str, field: &str) -> Result<Finess, String> {
        Finess::parse(value, self.mode).map_err(|e| format!("{field}: {e}"))
    }

    /// An optional SIRET: a bad one is dropped with a warning (FINESS carries some), the line kept.
    fn optional_siret(&self, value: Option<&str>, field: &str, warnings: &mut Vec<String>) -> Option<Siret> {
        let v = value?;
        match Siret::parse(v, self.mode) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(format!("{field}: {e}; field ignored"));
                None
            }
        }
    }

    fn establishment(&self, rec: &Record, warnings: &mut Vec<String>) -> Result<ImportRow, String> {
        use finess::{idx, ESTABLISHMENT_FIELDS as F};
        Self::check_fields(rec, &[F.len(), F.len() + 1])?;
        let eg = self.finess(rec.get(idx(&F, "nofinesset")), "nofinesset")?;
        let ej = self.finess(rec.get(idx(&F, "nofinessej")), "nofinessej")?;
        let name = rec.opt(idx(&F, "rs")).ok_or("rs (raison sociale) is empty")?;
        let siret = self.optional_siret(rec.opt(idx(&F, "siret")), "siret", warnings);
        let head = [
            Some("establishment".to_owned()),
            Some(eg.to_string()),
            Some(ej.to_string()),
            siret.as_ref().map(ToString::to_string),
            siret.as_ref().map(|s| s.siren_digits().to_owned()),
            None,
        ];
        let values = finess_row(rec, &F, name, head, ["codesph", "libsph"], "dateouv");
        Ok(ImportRow::new(format!("1{eg}"), values))
    }

    fn legal_entity(&self, rec: &Record, warnings: &mut Vec<String>) -> Result<ImportRow, String> {
        use finess::{idx, LEGAL_ENTITY_FIELDS as F};
        Self::check_fields(rec, &[F.len()])?;
        let ej = self.finess(rec.get(idx(&F, "nofiness")), "nofiness")?;
        let name = rec.opt(idx(&F, "rs")).ok_or("rs (raison sociale) is empty")?;
        let siren = rec.opt(idx(&F, "siren")).and_then(|v| match Siren::parse(v, self.mode) {
            Ok(s) => Some(s),
            Err(e) => {
                warnings.push(format!("siren: {e}; field ignored"));
                None
            }
        });
        let head = [
            Some("legal_entity".to_owned()),
            Some(ej.to_string()),
            None,
            None,
            siren.as_ref().map(ToString::to_string),
            None,
        ];
        let values = finess_row(rec, &F, name, head, ["statutjuridique", "libstatutjuridique"], "datecrea");
        Ok(ImportRow::new(format!("1{ej}"), values))
    }

    fn activity(&mut self, r: &Named<'_>, rows: &mut Rows, warnings: &mut Vec<String>) -> Result<(), String> {
        let idnat_raw = r.get("Identification nationale PP");
        let idnat = IdNatPs::parse(idnat_raw, self.mode).map_err(|e| format!("Identification nationale PP: {e}"))?;
        if let (Some(t), Some(id)) = (r.opt("Type d'identifiant PP"), r.opt("Identifiant PP")) {
            if format!("{t}{id}") != idnat.to_string() {
                return Err(format!(
                    "Identification nationale PP {idnat} does not match Type d'identifiant PP {t:?} + Identifiant PP {id:?} (R43)"
                ));
            }
        }
        let last = r.opt("Nom d'exercice").ok_or("Nom d'exercice is empty")?;
        let first = r.get("Prénom d'exercice");
        let finess_site = match r.opt("Numéro FINESS site") {
            Some(v) => Some(self.finess(v, "Numéro FINESS site")?),
            None => None,
        };
        let finess_ej = match r.opt("Numéro FINESS établissement juridique") {
            Some(v) => Some(self.finess(v, "Numéro FINESS établissement juridique")?),
            None => None,
        };
        let siret = self.optional_siret(r.opt("Numéro SIRET site"), "Numéro SIRET site", warnings);
        let structure = match r.opt("Ancien identifiant de la structure") {
            Some(v) => {
                Some(IdNatStruct::parse(v, self.mode).map_err(|e| format!("Ancien identifiant de la structure: {e}"))?)
            }
            None => finess_site.clone().map(IdNatStruct::Finess).or_else(|| siret.clone().map(IdNatStruct::Siret)),
        };
        let sector = match r.opt("Code secteur d'activité") {
            Some(v) => Some(Sector::parse(v).map_err(|e| format!("Code secteur d'activité: {e}"))?),
            None => None,
        };

        let idnat_s = idnat.to_string();
        if self.sent_professionals.insert(idnat_s.clone()) {
            rows.professionals.push(ImportRow::new(
                idnat_s.clone(),
                vec![
                    Some(idnat.type_digit().to_string()),
                    Some(idnat.id().to_owned()),
                    s(r.opt("Libellé civilité d'exercice").or(r.opt("Libellé civilité"))),
                    Some(last.to_owned()),
                    Some(first.to_owned()),
                    Some(name_key(&format!("{last} {first}"))),
                    s(r.opt("Code profession")),
                    s(r.opt("Libellé profession")),
                    s(r.opt("Code catégorie professionnelle")),
                    s(r.opt("Libellé catégorie professionnelle")),
                ],
            ));
        }

        let struct_s = structure.as_ref().map(ToString::to_string);
        let tech_id = r.opt("Identifiant technique de la structure");
        let situation_key = format!(
            "{idnat_s}|{}|{}|{}|{}|{}",
            struct_s.as_deref().or(tech_id).unwrap_or(""),
            r.get("Code profession"),
            r.get("Code fonction"),
            r.get("Code mode exercice"),
            r.get("Code genre activité"),
        );
        let situation = vec![
            Some(idnat_s.clone()),
            struct_s.clone(),
            s(tech_id),
            s(r.opt("Code profession")),
            s(r.opt("Libellé profession")),
            s(r.opt("Code mode exercice")),
            s(r.opt("Libellé mode exercice")),
            sector.as_ref().map(ToString::to_string),
            s(r.opt("Libellé secteur d'activité")),
            s(r.opt("Code fonction")),
            s(r.opt("Libellé fonction")),
            s(r.opt("Code genre activité")),
            s(r.opt("Libellé genre activité")),
            s(r.opt("Autorité d'enregistrement")),
        ];
        rows.situations.push(ImportRow::new(situation_key, situation));

        // The structure itself, when the file names it: practices are known only from here; a
        // FINESS establishment is only filled in if the FINESS files did not bring it.
        // Only the first line of a structure in this run builds its row.
        let site_name = r.opt("Raison sociale site").or(r.opt("Enseigne commerciale site"));
        let first_sight = |sent: &mut HashSet<String>| struct_s.as_ref().is_some_and(|k| sent.insert(k.clone()));
        if let (Some(st), Some(name)) =
            (structure.as_ref(), site_name.filter(|_| first_sight(&mut self.sent_structures)))
        {
            let siren = r
                .opt("Numéro SIREN site")
                .map(str::to_owned)
                .or_else(|| siret.as_ref().map(|s| s.siren_digits().to_owned()));
            let kind = santepki_domain::StructureKind::from_idnat(st);
            let rpps_rang = match st {
                IdNatStruct::RppsRang(rr) => Some(rr.to_string()),
                _ => None,
            };
            let struct_siret = match st {
                IdNatStruct::Siret(v) => Some(v.to_string()),
                _ => siret.as_ref().map(ToString::to_string),
            };
            let mut values = vec![
                Some(kind.as_str().to_owned()),
                finess_site.as_ref().map(ToString::to_string),
                finess_ej.as_ref().map(ToString::to_string),
                struct_siret,
                siren,
                rpps_rang,
                Some(name.to_owned()),
                Some(name_key(name)),
                s(r.opt("Enseigne commerciale site")),
            ];
            values.extend([
                s(r.opt("Complément destinataire")),
                s(r.opt("Numéro Voie")),
                s(r.opt("Indice répétition voie")),
                s(r.opt("Libellé type de voie").or(r.opt("Code type de voie"))),
                s(r.opt("Libellé Voie")),
                join_opt(r.opt("Complément point géographique"), r.opt("Mention distribution")),
                s(r.opt("Code postal")),
                s(r.opt("Libellé commune")),
                s(r.opt("Code Département")),
                s(r.opt("Téléphone")),
                s(r.opt("Adresse e-mail")),
                None,
                None,
                None,
                None,
                None,
            ]);
            rows.structures.push(ImportRow::new(st.to_string(), values));
        }
        Ok(())
    }

    fn card(&self, r: &Named<'_>) -> Result<ImportRow, String> {
        let card_type = r.get("Type de carte");
        let card_type = CardType::parse(card_type)
            .ok_or_else(|| format!("Type de carte {card_type:?} is not CPS, CPE, CPA, CDE, CDA or CPF"))?;
        let number = CardNumber::parse(r.get("Numéro carte"), self.mode).map_err(|e| format!("Numéro carte: {e}"))?;
        let holder = IdNatPs::parse(r.get("Identification nationale PP"), self.mode)
            .map_err(|e| format!("Identification nationale PP: {e}"))?;
        let from = parse_date(r.get("Date début validité")).map_err(|e| format!("Date début validité: {e}"))?;
        let until = parse_date(r.get("Date fin validité")).map_err(|e| format!("Date fin validité: {e}"))?;
        if until < from {
            return Err(format!("Date fin validité {until} is before Date début validité {from}"));
        }
        let opposed = match r.opt("Date opposition") {
            Some(v) => Some(parse_date(v).map_err(|e| format!("Date opposition: {e}"))?),
            None => None,
        };
        Ok(ImportRow::new(
            number.to_string(),
            vec![
                Some(card_type.as_str().to_owned()),
                Some(holder.to_string()),
                Some(from.to_string()),
                Some(until.to_string()),
                opposed.map(|d| d.to_string()),
            ],
        ))
    }
}

/// A structure row from a FINESS record: `head` holds the identifiers (kind, FINESS, legal
/// entity, SIRET, SIREN, RPPS rang); both FINESS files share the name and address fields; the
/// legal-status and opening-date fields differ by file.
fn finess_row(
    rec: &Record,
    fields: &[&str],
    name: &str,
    head: [Option<String>; 6],
    status: [&str; 2],
    opened: &str,
) -> Vec<Option<String>> {
    let f = |field: &str| s(rec.opt(finess::idx(fields, field)));
    let (postal_code, town) = split_acheminement(rec.get(finess::idx(fields, "ligneacheminement")));
    let mut values = Vec::from(head);
    values.extend([
        Some(name.to_owned()),
        Some(name_key(name)),
        f("rslongue"),
        f("complrs"),
        f("numvoie"),
        f("compvoie"),
        f("typvoie"),
        f("voie"),
        join_opt(rec.opt(finess::idx(fields, "lieuditbp")), rec.opt(finess::idx(fields, "compldistrib"))),
        postal_code,
        town,
        f("departement"),
        f("telephone"),
        None,
        f("categetab"),
        f("libcategetab"),
        f(status[0]),
        f(status[1]),
        f(opened),
    ]);
    values
}

/// Parses `YYYY-MM-DD` or `DD/MM/YYYY`.
fn parse_date(v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .map_err(|_| format!("{:?} is not a date (YYYY-MM-DD or DD/MM/YYYY)", truncate(v, 20)))
}

/// `01440 VIRIAT` → (`01440`, `VIRIAT`); a line without postal code is all town.
fn split_acheminement(line: &str) -> (Option<String>, Option<String>) {
    let line = line.trim();
    if line.is_empty() {
        return (None, None);
    }
    match line.split_once(' ') {
        Some((cp, town)) if cp.len() == 5 && cp.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            (Some(cp.to_owned()), Some(town.trim().to_owned()).filter(|t| !t.is_empty()))
        }
        _ => (None, Some(line.to_owned())),
    }
}

fn join_opt(a: Option<&str>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b).map(str::to_owned),
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acheminement() {
        assert_eq!(split_acheminement("01440 VIRIAT"), (Some("01440".into()), Some("VIRIAT".into())));
        assert_eq!(split_acheminement("06003 NICE CEDEX 1"), (Some("06003".into()), Some("NICE CEDEX 1".into())));
        assert_eq!(split_acheminement("NICE"), (None, Some("NICE".into())));
        assert_eq!(split_acheminement(""), (None, None));
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-01-31").unwrap().to_string(), "2026-01-31");
        assert_eq!(parse_date("31/01/2026").unwrap().to_string(), "2026-01-31");
        assert!(parse_date("2026-02-31").is_err());
    }
}
