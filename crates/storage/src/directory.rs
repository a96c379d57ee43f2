//! Directory tables: batch upserts for imports, closure of rows that disappeared, and the
//! read queries of the directory search.
//!
//! Imports write in batches, each batch in one transaction: a crash leaves every batch either
//! fully written or not at all, and a re-run of the same file finishes the job (upserts are
//! idempotent). Rows a complete run of their source did not see are closed (`closed_at`), never
//! deleted, so that history and references (habilitations, certificates) stay valid.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{Any, AnyConnection, Row, Transaction};

use santepki_domain::values::ImportRunStatus;

use crate::audit::AuditEvent;
use crate::{row_hash, time, Backend, Db, StorageError};

/// A directory table that imports write to.
#[derive(Debug)]
pub struct TableDef {
    /// SQL name of the table.
    pub name: &'static str,
    /// Its primary-key column, which holds [`ImportRow::key`].
    pub key: &'static str,
    /// Imported columns, in the order of [`ImportRow::values`].
    pub columns: &'static [&'static str],
}

/// The `structures` table: FINESS legal entities and establishments and the practices, keyed by idNat_Struct.
pub const STRUCTURES: TableDef = TableDef {
    name: "structures",
    key: "idnat_struct",
    columns: &[
        "kind",
        "finess",
        "legal_entity_finess",
        "siret",
        "siren",
        "rpps_rang",
        "name",
        "name_key",
        "long_name",
        "recipient",
        "street_number",
        "street_number_suffix",
        "street_type",
        "street_name",
        "locality",
        "postal_code",
        "town",
        "departement_code",
        "phone",
        "email",
        "category_code",
        "category_label",
        "legal_status_code",
        "legal_status_label",
        "opened_on",
    ],
};

/// The `professionals` table, keyed by idNat_PS.
pub const PROFESSIONALS: TableDef = TableDef {
    name: "professionals",
    key: "idnat_ps",
    columns: &[
        "id_type",
        "national_id",
        "civility",
        "last_name",
        "first_name",
        "name_key",
        "profession_code",
        "profession_label",
        "category_code",
        "category_label",
    ],
};

/// The `situations` table: exercise situations of professionals at structures, keyed by a composite situation key.
pub const SITUATIONS: TableDef = TableDef {
    name: "situations",
    key: "situation_key",
    columns: &[
        "idnat_ps",
        "idnat_struct",
        "structure_tech_id",
        "profession_code",
        "profession_label",
        "mode_code",
        "mode_label",
        "sector_code",
        "sector_label",
        "role_code",
        "role_label",
        "activity_code",
        "activity_label",
        "registration_authority",
    ],
};

/// The `cards` table: CPx cards, keyed by card number.
pub const CARDS: TableDef = TableDef {
    name: "cards",
    key: "card_number",
    columns: &["card_type", "idnat_ps", "valid_from", "valid_until", "opposed_on"],
};

/// One row to import: its key, its values in the table's column order, and their hash.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The row's primary key (e.g. an idNat_Struct or idNat_PS).
    pub key: String,
    /// The imported values in [`TableDef::columns`] order; `None` is SQL NULL.
    pub values: Vec<Option<String>>,
    hash: i64,
}

impl ImportRow {
    /// Builds a row and hashes its values (on the caller's thread: the importer's parsing
    /// thread, off the writer's critical path).
    pub fn new(key: String, values: Vec<Option<String>>) -> Self {
        let hash = row_hash(values.iter().map(|v| v.as_deref()));
        ImportRow { key, values, hash }
    }
}

/// How rows of one table are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritePolicy {
    /// This source is authoritative: it overwrites rows written by any source.
    Authoritative,
    /// Insert missing rows, update only rows this source wrote; leave other sources' rows alone
    /// (a practice seen in the RPPS file does not overwrite the FINESS record of the same id).
    Fallback,
}

/// Rows of one table within a batch.
#[derive(Debug)]
pub struct TableBatch {
    /// The table the rows go to.
    pub table: &'static TableDef,
    /// The file kind writing them, stored in `source` (`finess_ej`, `finess_eg`, `rpps`, `cards`).
    pub source: &'static str,
    /// Whether this source overwrites rows of other sources.
    pub policy: WritePolicy,
    /// The rows to upsert.
    pub rows: Vec<ImportRow>,
}

/// What a batch did, per kind of outcome.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WriteCounts {
    /// New rows written.
    pub inserted: u64,
    /// Existing rows whose values changed and were rewritten.
    pub updated: u64,
    /// Existing rows seen with identical values (only their last import was recorded).
    pub unchanged: u64,
    /// Rows left alone because another, authoritative source owns them.
    pub kept_other_source: u64,
}

impl std::ops::AddAssign for WriteCounts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.kept_other_source += o.kept_other_source;
    }
}

/// A secondary index of a directory table. The migration creates them; bulk imports drop and
/// rebuild them (a sorted build is several times faster than inserting into them row by row,
/// once the table outgrows the cache). The definitions here must stay identical to the
/// migration's; a test checks it.
#[derive(Debug)]
pub struct IndexDef {
    /// Index name, as in the migration.
    pub name: &'static str,
    /// The table it indexes.
    pub table: &'static str,
    /// Everything after `CREATE INDEX <name>`.
    pub definition: &'static str,
}

/// Every secondary index of the directory tables, as the migration creates them.
pub const SECONDARY_INDEXES: &[IndexDef] = &[
    IndexDef {
        name: "structures_finess",
        table: "structures",
        definition: "ON structures (finess) WHERE finess IS NOT NULL",
    },
    IndexDef {
        name: "structures_legal_entity",
        table: "structures",
        definition: "ON structures (legal_entity_finess) WHERE legal_entity_finess IS NOT NULL",
    },
    IndexDef {
        name: "structures_siret",
        table: "structures",
        definition: "ON structures (siret) WHERE siret IS NOT NULL",
    },
    IndexDef { name: "structures_name_key", table: "structures", definition: "ON structures (name_key)" },
    IndexDef { name: "professionals_name_key", table: "professionals", definition: "ON professionals (name_key)" },
    IndexDef { name: "situations_idnat_ps", table: "situations", definition: "ON situations (idnat_ps)" },
    IndexDef { name: "situations_idnat_struct", table: "situations", definition: "ON situations (idnat_struct)" },
    IndexDef { name: "cards_idnat_ps", table: "cards", definition: "ON cards (idnat_ps)" },
];

/// The secondary indexes of the directory tables that the database lacks (a bulk load dropped
/// them and did not finish). Reads the catalog only: serving nodes call it on every scheduler
/// tick, and a `CREATE INDEX IF NOT EXISTS` would queue for the write lock behind an import.
pub async fn missing_indexes(db: &Db) -> Result<Vec<&'static IndexDef>, StorageError> {
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'index'",
        Backend::Postgres => "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()",
    };
    let present: Vec<String> = sqlx::query_scalar(sql).fetch_all(db.pool()).await?;
    Ok(SECONDARY_INDEXES.iter().filter(|ix| !present.iter().any(|p| p == ix.name)).collect())
}

/// Creates the secondary indexes that are missing (of `table`, or of every table); returns the
/// names of those it created.
pub async fn ensure_indexes_of(db: &Db, table: Option<&str>) -> Result<Vec<&'static str>, StorageError> {
    let mut created = Vec::new();
    for ix in missing_indexes(db).await?.into_iter().filter(|ix| table.is_none_or(|t| t == ix.table)) {
        let sql = format!("CREATE INDEX IF NOT EXISTS {} {}", ix.name, ix.definition);
        sqlx::query(&sql).execute(db.pool()).await?;
        created.push(ix.name);
    }
    Ok(created)
}

/// Creates every missing secondary index of every directory table; returns the names of those
/// it created.
pub async fn ensure_indexes(db: &Db) -> Result<Vec<&'static str>, StorageError> {
    ensure_indexes_of(db, None).await
}

/// Drops the secondary indexes of `table` before a bulk load into it (only ever an empty table:
/// a re-import keeps the indexes searches use); [`ensure_indexes_of`] rebuilds them after it.
/// If the process died in between, the next import, a server start or a serving node's
/// scheduler tick rebuilds them once no live import remains (santepki_directory::runs);
/// read-only commands never touch the schema.
pub async fn drop_indexes_of(db: &Db, table: &str) -> Result<(), StorageError> {
    for ix in SECONDARY_INDEXES.iter().filter(|ix| ix.table == table) {
        sqlx::query(&format!("DROP INDEX IF EXISTS {}", ix.name)).execute(db.pool()).await?;
    }
    Ok(())
}

/// Number of rows (open or closed) in a table.
pub async fn count_rows(db: &Db, table: &TableDef) -> Result<u64, StorageError> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", table.name)).fetch_one(db.pool()).await?;
    Ok(n as u64)
}

/// SQLite allows 32766 bound variables per statement, PostgreSQL 65535: stay well below both.
const MAX_VARS: usize = 30_000;

/// Writes a batch of rows of several tables in one transaction.
pub async fn write_batch(db: &Db, run_id: i64, tables: Vec<TableBatch>) -> Result<WriteCounts, StorageError> {
    let mut tx = db.begin_write().await?;
    let now = time::now();
    let mut counts = WriteCounts::default();
    for t in tables {
        counts += write_table(&mut tx.0, db.backend(), run_id, &now, t).await?;
    }
    tx.commit().await?;
    Ok(counts)
}

async fn write_table(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    run_id: i64,
    now: &str,
    batch: TableBatch,
) -> Result<WriteCounts, StorageError> {
    let TableBatch { table, source, policy, rows } = batch;
    // The last row for a key wins (a file may repeat a key within a batch).
    let mut by_key: HashMap<String, ImportRow> = HashMap::with_capacity(rows.len());
    let mut order: Vec<String> = Vec::with_capacity(rows.len());
    for r in rows {
        if !by_key.contains_key(&r.key) {
            order.push(r.key.clone());
        }
        by_key.insert(r.key.clone(), r);
    }
    let mut counts = WriteCounts::default();
    let chunk = (MAX_VARS / (table.columns.len() + 6)).max(1);
    for keys in order.chunks(chunk) {
        let existing = existing_rows(tx, backend, table, keys).await?;
        let mut to_write: Vec<(&ImportRow, i64)> = Vec::new();
        let mut to_touch: Vec<&str> = Vec::new();
        for k in keys {
            let row = &by_key[k];
            let hash = row.hash;
            match existing.get(k) {
                None => {
                    counts.inserted += 1;
                    to_write.push((row, hash));
                }
                Some(e) if e.source != source && policy == WritePolicy::Fallback => counts.kept_other_source += 1,
                Some(e) if e.hash == hash && !e.closed && e.source == source => {
                    counts.unchanged += 1;
                    to_touch.push(k);
                }
                Some(_) => {
                    counts.updated += 1;
                    to_write.push((row, hash));
                }
            }
        }
        upsert_rows(tx, backend, table, source, run_id, now, &to_write).await?;
        touch_rows(tx, backend, table, run_id, &to_touch).await?;
    }
    Ok(counts)
}

struct Existing {
    hash: i64,
    source: String,
    closed: bool,
}

async fn existing_rows(
    tx: &mut AnyConnection,
    backend: Backend,
    table: &TableDef,
    keys: &[String],
) -> Result<HashMap<String, Existing>, StorageError> {
    let mut out = HashMap::with_capacity(keys.len());
    if keys.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT {key}, content_hash, source, closed_at FROM {t} WHERE {key} IN ({ph})",
        key = table.key,
        t = table.name,
        ph = placeholders(backend, 1, keys.len())
    );
    let mut q = sqlx::query(&sql);
    for k in keys {
        q = q.bind(k);
    }
    for row in q.fetch_all(&mut *tx).await? {
        let key: String = row.try_get(0)?;
        let closed: Option<String> = row.try_get(3)?;
        out.insert(key, Existing { hash: row.try_get(1)?, source: row.try_get(2)?, closed: closed.is_some() });
    }
    Ok(out)
}

async fn upsert_rows(
    tx: &mut AnyConnection,
    backend: Backend,
    table: &TableDef,
    source: &str,
    run_id: i64,
    now: &str,
    rows: &[(&ImportRow, i64)],
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ncols = table.columns.len();
    let per_row = ncols + 6;
    let mut values = String::new();
    for i in 0..rows.len() {
        if i > 0 {
            values.push(',');
        }
        values.push('(');
        values.push_str(&placeholders(backend, i * per_row + 1, per_row));
        values.push_str(",NULL)");
    }
    let cols = table.columns.join(", ");
    let set: Vec<String> = table
        .columns
        .iter()
        .chain(["source", "content_hash", "last_import", "updated_at"].iter())
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO {t} ({key}, {cols}, source, content_hash, last_import, created_at, updated_at, closed_at) \
         VALUES {values} ON CONFLICT ({key}) DO UPDATE SET {set}, closed_at = NULL",
        t = table.name,
        key = table.key,
        set = set.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for (row, hash) in rows {
        debug_assert_eq!(row.values.len(), ncols, "row for {} has the wrong number of values", table.name);
        q = q.bind(row.key.as_str());
        for v in &row.values {
            q = q.bind(v.as_deref());
        }
        q = q.bind(source).bind(*hash).bind(run_id).bind(now).bind(now);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

async fn touch_rows(
    tx: &mut AnyConnection,
    backend: Backend,
    table: &TableDef,
    run_id: i64,
    keys: &[&str],
) -> Result<(), StorageError> {
    if keys.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE {t} SET last_import = {first} WHERE {key} IN ({ph})",
        t = table.name,
        key = table.key,
        first = placeholders(backend, 1, 1),
        ph = placeholders(backend, 2, keys.len())
    );
    let mut q = sqlx::query(&sql).bind(run_id);
    for k in keys {
        q = q.bind(*k);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// `n` bind placeholders numbered from `first`, comma-separated.
///
/// PostgreSQL needs `$n`. On SQLite the generated batch statements use anonymous `?`: sqlx-sqlite
/// resolves each `$n` by name, and SQLite finds a parameter name by a linear scan, which makes
/// binding a statement with thousands of parameters quadratic (it dominated import time).
fn placeholders(backend: Backend, first: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 6);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        match backend {
            Backend::Sqlite => s.push('?'),
            Backend::Postgres => {
                s.push('$');
                s.push_str(&(first + i).to_string());
            }
        }
    }
    s
}

/// Number of open rows of `source` in `table` that run `run_id` did not see.
pub async fn count_unseen(db: &Db, table: &TableDef, source: &str, run_id: i64) -> Result<u64, StorageError> {
    let sql =
        format!("SELECT COUNT(*) FROM {} WHERE source = $1 AND last_import < $2 AND closed_at IS NULL", table.name);
    let n: i64 = sqlx::query_scalar(&sql).bind(source).bind(run_id).fetch_one(db.pool()).await?;
    Ok(n as u64)
}

/// Number of open rows of `source` in `table`.
pub async fn count_open(db: &Db, table: &TableDef, source: &str) -> Result<u64, StorageError> {
    let sql = format!("SELECT COUNT(*) FROM {} WHERE source = $1 AND closed_at IS NULL", table.name);
    let n: i64 = sqlx::query_scalar(&sql).bind(source).fetch_one(db.pool()).await?;
    Ok(n as u64)
}

/// Closes the open rows of `source` in `table` that run `run_id` did not see.
pub async fn close_unseen(db: &Db, table: &TableDef, source: &str, run_id: i64) -> Result<u64, StorageError> {
    let now = time::now();
    let sql = format!(
        "UPDATE {} SET closed_at = $1, updated_at = $1 WHERE source = $2 AND last_import < $3 AND closed_at IS NULL",
        table.name
    );
    let r = sqlx::query(&sql).bind(&now).bind(source).bind(run_id).execute(db.pool()).await?;
    Ok(r.rows_affected())
}

/// The record of one import run.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct ImportRunRecord {
    /// Run id, allocated by the writer (no autoincrement).
    pub id: i64,
    /// The kind of file imported (`finess_ej`, `finess_eg`, `rpps`, `cards`).
    pub file_kind: String,
    /// Name of the imported file.
    pub file_name: String,
    /// Extract date the file states (e.g. the FINESS header date), if any.
    pub file_date: Option<String>,
    /// When the run started, RFC 3339 UTC text.
    pub started_at: String,
    /// When it ended, RFC 3339 UTC text; `None` while running or after a crash.
    pub finished_at: Option<String>,
    /// Where it stands; a run whose process died is `abandoned`.
    #[sqlx(try_from = "crate::values::Text<ImportRunStatus>")]
    pub status: ImportRunStatus,
    /// The process that runs it (`<boot id>/<pid>/<start time>` on Linux), to tell a dead run
    /// from a live one on the same machine.
    pub owner: Option<String>,
    /// Last sign of life of its process, RFC 3339 UTC text.
    pub heartbeat_at: Option<String>,
    /// Lines read from the file.
    pub lines_read: i64,
    /// Records parsed and written.
    pub records_imported: i64,
    /// Lines rejected as invalid.
    pub lines_rejected: i64,
    /// Rows inserted across the tables written.
    pub rows_inserted: i64,
    /// Rows updated because their values changed.
    pub rows_updated: i64,
    /// Rows seen with unchanged values.
    pub rows_unchanged: i64,
    /// Rows of the source the run did not see, closed at its end.
    pub rows_closed: i64,
    /// Error or summary message, if any.
    pub message: Option<String>,
}

/// Starts an import run; its id orders runs in time (microseconds) and is unique.
/// `owner` names the importing process (see [`ImportRunRecord::owner`]); the heartbeat starts now.
pub async fn begin_run(
    db: &Db,
    file_kind: &str,
    file_name: &str,
    file_date: Option<&str>,
    owner: Option<&str>,
) -> Result<i64, StorageError> {
    let mut id = chrono::Utc::now().timestamp_micros();
    loop {
        let now = time::now();
        let r = sqlx::query(
            "INSERT INTO import_runs (id, file_kind, file_name, file_date, started_at, status, owner, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(file_kind)
        .bind(file_name)
        .bind(file_date)
        .bind(&now)
        .bind(ImportRunStatus::Running.as_str())
        .bind(owner)
        .execute(db.pool())
        .await?;
        if r.rows_affected() == 1 {
            return Ok(id);
        }
        id += 1;
    }
}

/// Records the outcome of an import run.
pub async fn finish_run(db: &Db, run: &ImportRunRecord) -> Result<(), StorageError> {
    sqlx::query(
        "UPDATE import_runs SET finished_at = $2, status = $3, lines_read = $4, records_imported = $5, lines_rejected = $6, \
         rows_inserted = $7, rows_updated = $8, rows_unchanged = $9, rows_closed = $10, message = $11 WHERE id = $1",
    )
    .bind(run.id)
    .bind(time::now())
    .bind(run.status.as_str())
    .bind(run.lines_read)
    .bind(run.records_imported)
    .bind(run.lines_rejected)
    .bind(run.rows_inserted)
    .bind(run.rows_updated)
    .bind(run.rows_unchanged)
    .bind(run.rows_closed)
    .bind(&run.message)
    .execute(db.pool())
    .await?;
    Ok(())
}

const RUN_COLS: &str = "id, file_kind, file_name, file_date, started_at, finished_at, status, owner, heartbeat_at, \
    lines_read, records_imported, lines_rejected, rows_inserted, rows_updated, rows_unchanged, rows_closed, message";

/// The last `limit` import runs, newest first.
pub async fn recent_runs(db: &Db, limit: i64) -> Result<Vec<ImportRunRecord>, StorageError> {
    let sql = format!("SELECT {RUN_COLS} FROM import_runs ORDER BY id DESC LIMIT $1");
    Ok(sqlx::query_as(&sql).bind(limit).fetch_all(db.pool()).await?)
}

/// The runs recorded as `running` (live, or left by a process that died).
pub async fn running_runs(db: &Db) -> Result<Vec<ImportRunRecord>, StorageError> {
    let sql = format!("SELECT {RUN_COLS} FROM import_runs WHERE status = $1 ORDER BY id");
    Ok(sqlx::query_as(&sql).bind(ImportRunStatus::Running.as_str()).fetch_all(db.pool()).await?)
}

/// Records a sign of life of a running import's process.
pub async fn heartbeat(db: &Db, run_id: i64) -> Result<(), StorageError> {
    sqlx::query("UPDATE import_runs SET heartbeat_at = $2 WHERE id = $1 AND status = $3")
        .bind(run_id)
        .bind(time::now())
        .bind(ImportRunStatus::Running.as_str())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Marks a run `abandoned` if it is still `running`, with why, and audits it; returns whether
/// it did (another process may have marked it first).
pub async fn abandon_run(db: &Db, run_id: i64, message: &str, event: &AuditEvent) -> Result<bool, StorageError> {
    let mut tx = db.begin_write().await?;
    let r = sqlx::query("UPDATE import_runs SET status = $2, message = $3 WHERE id = $1 AND status = $4")
        .bind(run_id)
        .bind(ImportRunStatus::Abandoned.as_str())
        .bind(message)
        .bind(ImportRunStatus::Running.as_str())
        .execute(&mut *tx.0)
        .await?;
    let done = r.rows_affected() == 1;
    if done {
        crate::audit::append(&mut *tx.0, event).await?;
    }
    tx.commit().await?;
    Ok(done)
}

// ---------------------------------------------------------------------------------------------
// Read side
// ---------------------------------------------------------------------------------------------

/// A structure as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StructureRow {
    /// The structure's idNat_Struct (type digit + identifier), the primary key.
    pub idnat_struct: String,
    /// `legal_entity`, `establishment`, `practice_siret`, `practice_rpps_rang`, `practice_adeli_rang` or `other`.
    pub kind: String,
    /// FINESS géographique (9 characters) of an establishment, or FINESS juridique of a legal entity.
    pub finess: Option<String>,
    /// FINESS juridique of the legal entity an establishment belongs to.
    pub legal_entity_finess: Option<String>,
    /// SIRET, 14 digits.
    pub siret: Option<String>,
    /// SIREN, 9 digits.
    pub siren: Option<String>,
    /// RPPS rang (RPPS 11 digits + rank 3 digits) of a practice known by it.
    pub rpps_rang: Option<String>,
    /// Raison sociale (short name).
    pub name: String,
    /// Long raison sociale (FINESS `rslongue`), or the enseigne commerciale of a site.
    pub long_name: Option<String>,
    /// Complément destinataire (address line naming the recipient).
    pub recipient: Option<String>,
    /// Street number.
    pub street_number: Option<String>,
    /// Indice de répétition (bis, ter…).
    pub street_number_suffix: Option<String>,
    /// Street type (e.g. `RTE`, `AV`).
    pub street_type: Option<String>,
    /// Street name.
    pub street_name: Option<String>,
    /// Lieu-dit or boîte postale.
    pub locality: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Commune name.
    pub town: Option<String>,
    /// Département code (`01`…`95`, `2A`, `2B`, `971`…).
    pub departement_code: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Contact e-mail address.
    pub email: Option<String>,
    /// FINESS category code (`categetab`, e.g. `355`).
    pub category_code: Option<String>,
    /// FINESS category label (e.g. `Centre Hospitalier (C.H.)`).
    pub category_label: Option<String>,
    /// Status code from FINESS: `codesph` (public-service status) for an establishment,
    /// `statutjuridique` for a legal entity.
    pub legal_status_code: Option<String>,
    /// Label of that status code (`libsph` or `libstatutjuridique`).
    pub legal_status_label: Option<String>,
    /// File kind that last wrote the row (`finess_ej`, `finess_eg`, `rpps`) or `santepki` for the platform's own.
    pub source: String,
    /// When the row disappeared from a newer file, RFC 3339 UTC text; `None` while present.
    pub closed_at: Option<String>,
    /// When the row last changed, RFC 3339 UTC text.
    pub updated_at: String,
}

const STRUCTURE_COLS: &str = "idnat_struct, kind, finess, legal_entity_finess, siret, siren, rpps_rang, name, long_name, \
    recipient, street_number, street_number_suffix, street_type, street_name, locality, postal_code, town, departement_code, \
    phone, email, category_code, category_label, legal_status_code, legal_status_label, source, closed_at, updated_at";

/// A professional as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProfessionalRow {
    /// idNat_PS: `8` + RPPS or `0` + ADELI.
    pub idnat_ps: String,
    /// Type d'identifiant PP (`8` RPPS, `0` ADELI).
    pub id_type: String,
    /// Identifiant PP, without the type prefix.
    pub national_id: String,
    /// Civilité code (e.g. `M`, `MME`).
    pub civility: Option<String>,
    /// Nom d'exercice.
    pub last_name: String,
    /// Prénom d'exercice.
    pub first_name: String,
    /// Code profession (e.g. `10` médecin).
    pub profession_code: Option<String>,
    /// Libellé profession.
    pub profession_label: Option<String>,
    /// Code catégorie professionnelle (civil, militaire, étudiant…).
    pub category_code: Option<String>,
    /// Libellé catégorie professionnelle.
    pub category_label: Option<String>,
    /// When the professional disappeared from a newer extract, RFC 3339 UTC text; `None` while present.
    pub closed_at: Option<String>,
    /// When the row last changed, RFC 3339 UTC text.
    pub updated_at: String,
}

const PROFESSIONAL_COLS: &str = "idnat_ps, id_type, national_id, civility, last_name, first_name, profession_code, \
    profession_label, category_code, category_label, closed_at, updated_at";

/// An exercise situation with its site (the structure's name, address and contacts).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SituationRow {
    /// Composite key: idNat_PS, structure, profession, fonction, mode and genre d'activité codes, `|`-separated.
    pub situation_key: String,
    /// idNat_PS of the professional.
    pub idnat_ps: String,
    /// idNat_Struct of the site, when the extract gives one.
    pub idnat_struct: Option<String>,
    /// Identifiant technique de la structure from the RPPS extract.
    pub structure_tech_id: Option<String>,
    /// Code profession exercised there.
    pub profession_code: Option<String>,
    /// Libellé profession.
    pub profession_label: Option<String>,
    /// Code mode exercice (libéral, salarié, bénévole).
    pub mode_code: Option<String>,
    /// Libellé mode exercice.
    pub mode_label: Option<String>,
    /// Code secteur d'activité.
    pub sector_code: Option<String>,
    /// Libellé secteur d'activité.
    pub sector_label: Option<String>,
    /// Code fonction.
    pub role_code: Option<String>,
    /// Libellé fonction.
    pub role_label: Option<String>,
    /// Code genre d'activité.
    pub activity_code: Option<String>,
    /// Libellé genre d'activité.
    pub activity_label: Option<String>,
    /// Raison sociale of the site (from its structure row).
    pub name: Option<String>,
    /// Enseigne commerciale of the site (the structure's long name).
    pub brand: Option<String>,
    /// SIRET of the site.
    pub siret: Option<String>,
    /// SIREN of the site.
    pub siren: Option<String>,
    /// FINESS of the site.
    pub finess: Option<String>,
    /// FINESS juridique of the site's legal entity.
    pub legal_entity_finess: Option<String>,
    /// Complément destinataire of the site's address.
    pub recipient: Option<String>,
    /// Street number of the site.
    pub street_number: Option<String>,
    /// Indice de répétition of the street number.
    pub street_number_suffix: Option<String>,
    /// Street type.
    pub street_type: Option<String>,
    /// Street name.
    pub street_name: Option<String>,
    /// Lieu-dit or boîte postale.
    pub locality: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Commune name.
    pub town: Option<String>,
    /// Département code.
    pub departement_code: Option<String>,
    /// Site phone number.
    pub phone: Option<String>,
    /// Site e-mail address.
    pub email: Option<String>,
    /// When the situation disappeared from a newer extract, RFC 3339 UTC text; `None` while present.
    pub closed_at: Option<String>,
    /// When the situation row last changed, RFC 3339 UTC text.
    pub updated_at: String,
}

/// Situations joined with their structure (`st`), which holds the site's data.
const SITUATION_SELECT: &str = "SELECT s.situation_key, s.idnat_ps, s.idnat_struct, s.structure_tech_id, s.profession_code, \
    s.profession_label, s.mode_code, s.mode_label, s.sector_code, s.sector_label, s.role_code, s.role_label, s.activity_code, \
    s.activity_label, st.name, st.long_name AS brand, st.siret, st.siren, st.finess, st.legal_entity_finess, st.recipient, \
    st.street_number, st.street_number_suffix, st.street_type, st.street_name, st.locality, st.postal_code, st.town, \
    st.departement_code, st.phone, st.email, s.closed_at, s.updated_at \
    FROM situations s LEFT JOIN structures st ON st.idnat_struct = s.idnat_struct";

/// A card as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CardRow {
    /// Card number, 10 digits.
    pub card_number: String,
    /// CPS, CPE, CDE, CPA, CDA or CPF.
    #[sqlx(try_from = "crate::values::Text<santepki_domain::CardType>")]
    pub card_type: santepki_domain::CardType,
    /// idNat_PS of the holder.
    pub idnat_ps: String,
    /// Start of validity, `YYYY-MM-DD`.
    pub valid_from: String,
    /// End of validity, `YYYY-MM-DD`.
    pub valid_until: String,
    /// Date the card was opposed (reported lost or stolen), `YYYY-MM-DD`; `None` if not.
    pub opposed_on: Option<String>,
    /// When the card disappeared from a newer file, RFC 3339 UTC text; `None` while present.
    pub closed_at: Option<String>,
}

const CARD_COLS: &str = "card_number, card_type, idnat_ps, valid_from, valid_until, opposed_on, closed_at";

/// A professional by idNat_PS, open or closed.
pub async fn professional(db: &Db, idnat_ps: &str) -> Result<Option<ProfessionalRow>, StorageError> {
    let sql = format!("SELECT {PROFESSIONAL_COLS} FROM professionals WHERE idnat_ps = $1");
    Ok(sqlx::query_as(&sql).bind(idnat_ps).fetch_optional(db.pool()).await?)
}

/// Open situations of a professional (closed ones too when `include_closed`), ordered by
/// structure identifier.
pub async fn situations_of(db: &Db, idnat_ps: &str, include_closed: bool) -> Result<Vec<SituationRow>, StorageError> {
    let filter = if include_closed { "" } else { " AND s.closed_at IS NULL" };
    let sql = format!("{SITUATION_SELECT} WHERE s.idnat_ps = $1{filter} ORDER BY s.idnat_struct DESC, s.situation_key");
    Ok(sqlx::query_as(&sql).bind(idnat_ps).fetch_all(db.pool()).await?)
}

/// Open situations at a structure, with at most `limit` rows.
pub async fn situations_at(db: &Db, idnat_struct: &str, limit: i64) -> Result<Vec<SituationRow>, StorageError> {
    let sql =
        format!("{SITUATION_SELECT} WHERE s.idnat_struct = $1 AND s.closed_at IS NULL ORDER BY s.idnat_ps LIMIT $2");
    Ok(sqlx::query_as(&sql).bind(idnat_struct).bind(limit).fetch_all(db.pool()).await?)
}

/// A card by its number, open or closed.
pub async fn card(db: &Db, number: &str) -> Result<Option<CardRow>, StorageError> {
    let sql = format!("SELECT {CARD_COLS} FROM cards WHERE card_number = $1");
    Ok(sqlx::query_as(&sql).bind(number).fetch_optional(db.pool()).await?)
}

/// The cards of a professional, latest end of validity first.
pub async fn cards_of(db: &Db, idnat_ps: &str) -> Result<Vec<CardRow>, StorageError> {
    let sql = format!("SELECT {CARD_COLS} FROM cards WHERE idnat_ps = $1 ORDER BY valid_until DESC");
    Ok(sqlx::query_as(&sql).bind(idnat_ps).fetch_all(db.pool()).await?)
}

/// A structure by idNat_Struct, open or closed.
pub async fn structure(db: &Db, idnat_struct: &str) -> Result<Option<StructureRow>, StorageError> {
    let sql = format!("SELECT {STRUCTURE_COLS} FROM structures WHERE idnat_struct = $1");
    Ok(sqlx::query_as(&sql).bind(idnat_struct).fetch_optional(db.pool()).await?)
}

/// The names of the structures among `ids` that the directory holds under that idNat_Struct,
/// read a few hundred at a time (a vendor's administrator may hold thousands of habilitations).
pub async fn structure_names(
    db: &Db,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, StorageError> {
    let mut names = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT idnat_struct, name FROM structures WHERE idnat_struct IN ({})", marks.join(", "));
        let mut q = sqlx::query_as::<_, (String, String)>(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        names.extend(q.fetch_all(db.pool()).await?);
    }
    Ok(names)
}

/// Structures with this SIRET (a FINESS establishment may carry one, a practice is keyed by it).
pub async fn structures_by_siret(db: &Db, siret: &str) -> Result<Vec<StructureRow>, StorageError> {
    let sql = format!("SELECT {STRUCTURE_COLS} FROM structures WHERE siret = $1 ORDER BY idnat_struct");
    Ok(sqlx::query_as(&sql).bind(siret).fetch_all(db.pool()).await?)
}

/// The geographic establishments of a legal entity (by FINESS juridique).
pub async fn establishments_of(
    db: &Db,
    legal_entity_finess: &str,
    include_closed: bool,
) -> Result<Vec<StructureRow>, StorageError> {
    let filter = if include_closed { "" } else { " AND closed_at IS NULL" };
    let sql = format!(
        "SELECT {STRUCTURE_COLS} FROM structures WHERE legal_entity_finess = $1 AND kind = 'establishment'{filter} ORDER BY finess"
    );
    Ok(sqlx::query_as(&sql).bind(legal_entity_finess).fetch_all(db.pool()).await?)
}

/// Sector codes found in the open situations at a structure (FINESS files carry no sector).
pub async fn sectors_at(db: &Db, idnat_struct: &str) -> Result<Vec<String>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT sector_code FROM situations WHERE idnat_struct = $1 AND closed_at IS NULL AND sector_code IS NOT NULL ORDER BY sector_code",
    )
    .bind(idnat_struct)
    .fetch_all(db.pool())
    .await?)
}

/// How many open situations are registered at a structure (the main site of a multi-site
/// lab is where its professionals are, R11, R12).
pub async fn situation_count_at(db: &Db, idnat_struct: &str) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM situations WHERE idnat_struct = $1 AND closed_at IS NULL")
        .bind(idnat_struct)
        .fetch_one(db.pool())
        .await?)
}

/// Upper bound of a prefix range: every key starting with `prefix` sorts below it.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Open structures whose normalised name starts with `name_key_prefix`.
pub async fn structures_by_name_prefix(
    db: &Db,
    name_key_prefix: &str,
    limit: i64,
) -> Result<Vec<StructureRow>, StorageError> {
    let sql = format!(
        "SELECT {STRUCTURE_COLS} FROM structures WHERE name_key >= $1 AND name_key < $2 AND closed_at IS NULL ORDER BY name_key, idnat_struct LIMIT $3"
    );
    Ok(sqlx::query_as(&sql)
        .bind(name_key_prefix)
        .bind(prefix_end(name_key_prefix))
        .bind(limit)
        .fetch_all(db.pool())
        .await?)
}

/// Open professionals whose normalised "LAST FIRST" name starts with `name_key_prefix`.
pub async fn professionals_by_name_prefix(
    db: &Db,
    name_key_prefix: &str,
    limit: i64,
) -> Result<Vec<ProfessionalRow>, StorageError> {
    let sql = format!(
        "SELECT {PROFESSIONAL_COLS} FROM professionals WHERE name_key >= $1 AND name_key < $2 AND closed_at IS NULL ORDER BY name_key, idnat_ps LIMIT $3"
    );
    Ok(sqlx::query_as(&sql)
        .bind(name_key_prefix)
        .bind(prefix_end(name_key_prefix))
        .bind(limit)
        .fetch_all(db.pool())
        .await?)
}

/// Row counts of the directory (open rows only).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct DirectoryCounts {
    /// Open FINESS legal entities (kind `legal_entity`).
    pub legal_entities: i64,
    /// Open FINESS establishments (kind `establishment`).
    pub establishments: i64,
    /// Open practices (SIRET, RPPS rang or ADELI rang).
    pub practices: i64,
    /// Open professionals.
    pub professionals: i64,
    /// Open exercise situations.
    pub situations: i64,
    /// Open cards.
    pub cards: i64,
}

/// Counts the open rows of each directory table and structure kind.
pub async fn counts(db: &Db) -> Result<DirectoryCounts, StorageError> {
    let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await };
    Ok(DirectoryCounts {
        legal_entities: count("SELECT COUNT(*) FROM structures WHERE kind = 'legal_entity' AND closed_at IS NULL")
            .await?,
        establishments: count("SELECT COUNT(*) FROM structures WHERE kind = 'establishment' AND closed_at IS NULL")
            .await?,
        practices: count("SELECT COUNT(*) FROM structures WHERE kind LIKE 'practice%' AND closed_at IS NULL").await?,
        professionals: count("SELECT COUNT(*) FROM professionals WHERE closed_at IS NULL").await?,
        situations: count("SELECT COUNT(*) FROM situations WHERE closed_at IS NULL").await?,
        cards: count("SELECT COUNT(*) FROM cards WHERE closed_at IS NULL").await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_definitions_match_the_migration() {
        let migration = include_str!("../migrations/0001_directory.sql");
        for ix in SECONDARY_INDEXES {
            let stmt = format!("CREATE INDEX {} {};", ix.name, ix.definition);
            assert!(migration.contains(&stmt), "the migration lacks `{stmt}`");
        }
        assert_eq!(
            migration.matches("CREATE INDEX").count(),
            SECONDARY_INDEXES.len() + 1,
            "audit_events_subject is the only other index"
        );
    }
}
