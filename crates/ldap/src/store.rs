//! The directory reads the LDAP server needs, in chunks and in key order so that a search can
//! stop at its limits and a paged search can resume after any key (stateless cookies).
//!
//! Two ways to run the same SQL, because the R44 search must answer faster than slapd:
//! - on PostgreSQL (and in-memory SQLite), through the storage crate's sqlx pool;
//! - on a SQLite file, through a few rusqlite connections of our own, run synchronously on the
//!   task that serves the request. sqlx-sqlite runs each query on a worker thread and sends
//!   every row back over a channel: two queries of three rows cost about ten thread wake-ups,
//!   more than the queries themselves (see docs/benchmarks.md). These reads are point and
//!   range look-ups in the page cache, tens of microseconds, so running them inline does not
//!   starve the runtime. Each connection reads from one WAL snapshot for at most
//!   [`SNAPSHOT_AGE`], so a commit is visible that long after at most.
//!
//! The rows carry only the columns the LDAP entries show.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use rusqlite::OpenFlags;
use santepki_storage::{Db, StorageError};
use sqlx::FromRow;

use crate::entry::{situation_order, CaEntryData, STRUCTURE_TEST_PREFIX};
use crate::Branch;

/// A professional, as the LDAP entry shows it.
#[derive(Debug, Clone, FromRow)]
pub struct PsRow {
    pub idnat_ps: String,
    pub id_type: String,
    pub national_id: String,
    pub civility: Option<String>,
    pub last_name: String,
    pub first_name: String,
    pub profession_code: Option<String>,
    pub profession_label: Option<String>,
    pub category_code: Option<String>,
}

/// An exercise situation with the data of its structure.
#[derive(Debug, Clone, FromRow)]
pub struct SitRow {
    pub situation_key: String,
    pub idnat_ps: String,
    pub idnat_struct: Option<String>,
    pub structure_tech_id: Option<String>,
    pub profession_code: Option<String>,
    pub profession_label: Option<String>,
    pub mode_code: Option<String>,
    pub sector_code: Option<String>,
    pub sector_label: Option<String>,
    pub role_code: Option<String>,
    pub activity_code: Option<String>,
    pub name: Option<String>,
    pub siret: Option<String>,
    pub siren: Option<String>,
    pub finess: Option<String>,
    pub legal_entity_finess: Option<String>,
    pub rpps_rang: Option<String>,
    pub recipient: Option<String>,
    pub street_number: Option<String>,
    pub street_number_suffix: Option<String>,
    pub street_type: Option<String>,
    pub street_name: Option<String>,
    pub postal_code: Option<String>,
    pub town: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A structure, as its LDAP entry shows it.
#[derive(Debug, Clone, FromRow)]
pub struct StructRow {
    pub idnat_struct: String,
    pub name: String,
    pub finess: Option<String>,
    pub legal_entity_finess: Option<String>,
    pub siret: Option<String>,
    pub siren: Option<String>,
    pub rpps_rang: Option<String>,
    pub recipient: Option<String>,
    pub street_number: Option<String>,
    pub street_number_suffix: Option<String>,
    pub street_type: Option<String>,
    pub street_name: Option<String>,
    pub postal_code: Option<String>,
    pub town: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

const STRUCT_COLS: &str =
    "idnat_struct, name, finess, legal_entity_finess, siret, siren, rpps_rang, recipient, street_number, \
    street_number_suffix, street_type, street_name, postal_code, town, phone, email";

/// The live certificates a structure entry publishes: issued ORG and SERV certificates, not
/// revoked, not expired.
const STRUCT_CERTS: &str = "SELECT der FROM ca_certificates WHERE structure_id = $1 AND status = 'issued' AND der IS NOT NULL \
    AND revoked_at IS NULL AND not_after > $2 AND (profile LIKE 'org-%' OR profile LIKE 'serv-%') ORDER BY issued_at, serial";

const PS_COLS: &str =
    "idnat_ps, id_type, national_id, civility, last_name, first_name, profession_code, profession_label, category_code";

/// The columns of a situation read, in [`SitRow`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitColumn {
    SituationKey,
    IdnatPs,
    IdnatStruct,
    StructureTechId,
    ProfessionCode,
    ProfessionLabel,
    ModeCode,
    SectorCode,
    SectorLabel,
    RoleCode,
    ActivityCode,
    Name,
    Siret,
    Siren,
    Finess,
    LegalEntityFiness,
    RppsRang,
    Recipient,
    StreetNumber,
    StreetNumberSuffix,
    StreetType,
    StreetName,
    PostalCode,
    Town,
    Phone,
    Email,
}

/// The SQL of each [`SitColumn`], in order.
const SIT_COLUMN_SQL: [&str; 26] = [
    "s.situation_key",
    "s.idnat_ps",
    "s.idnat_struct",
    "s.structure_tech_id",
    "s.profession_code",
    "s.profession_label",
    "s.mode_code",
    "s.sector_code",
    "s.sector_label",
    "s.role_code",
    "s.activity_code",
    "st.name",
    "st.siret",
    "st.siren",
    "st.finess",
    "st.legal_entity_finess",
    "st.rpps_rang",
    "st.recipient",
    "st.street_number",
    "st.street_number_suffix",
    "st.street_type",
    "st.street_name",
    "st.postal_code",
    "st.town",
    "st.phone",
    "st.email",
];

/// Which columns a situation read fetches; the others come back NULL (the entries built
/// from the rows do not show them). Fewer columns, less to copy out of each row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SitColumns(u32);

impl SitColumns {
    /// The columns names and order depend on.
    pub const KEYS: SitColumns = SitColumns(
        1 << SitColumn::SituationKey as u32 | 1 << SitColumn::IdnatPs as u32 | 1 << SitColumn::IdnatStruct as u32,
    );
    pub const ALL: SitColumns = SitColumns((1 << SIT_COLUMN_SQL.len()) - 1);

    pub fn with(self, c: SitColumn) -> SitColumns {
        SitColumns(self.0 | 1 << c as u32)
    }

    pub fn has(self, c: SitColumn) -> bool {
        self.0 & (1 << c as u32) != 0
    }

    /// The select list: each column, or a typed NULL under its name in its place (sqlx maps
    /// rows by column name).
    fn select_list(self) -> String {
        let mut out = String::with_capacity(800);
        for (i, sql) in SIT_COLUMN_SQL.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if self.0 & (1 << i) != 0 {
                out.push_str(sql);
            } else {
                let name = sql.rsplit('.').next().unwrap_or(sql);
                out.push_str("CAST(NULL AS TEXT) AS ");
                out.push_str(name);
            }
        }
        out
    }
}

/// The open situations of the professionals bound to `$1…$n`, with their structures' columns,
/// through sqlx's pool. With [`Read::SituationsOnly`] the statement keeps the situations of
/// open professionals only (the rows of the professionals are not read then).
fn pool_situations_sql(read: Read, cols: SitColumns, n: usize) -> String {
    let open = match read {
        Read::Professionals => "",
        Read::SituationsOnly => {
            " AND EXISTS (SELECT 1 FROM professionals p WHERE p.idnat_ps = s.idnat_ps AND p.closed_at IS NULL)"
        }
    };
    format!(
        "SELECT {} FROM situations s LEFT JOIN structures st ON st.idnat_struct = s.idnat_struct \
         WHERE s.idnat_ps IN ({}) AND s.closed_at IS NULL{open}",
        cols.select_list(),
        placeholders(n)
    )
}

/// The same for one professional (`?1`) on the SQLite file's own connections, through the
/// covering indexes the storage crate creates for this path (`Db::connect`): the structure
/// columns and the professional check come from index pages, without a descent into each
/// table row. The R44 form checks the professional once, as the outer loop (CROSS JOIN fixes
/// SQLite's join order), rather than once per situation.
fn local_situations_sql(read: Read, cols: SitColumns) -> String {
    const STRUCTURES: &str = "LEFT JOIN structures st INDEXED BY structures_ldap ON st.idnat_struct = s.idnat_struct";
    let select = cols.select_list();
    match read {
        Read::Professionals => {
            format!("SELECT {select} FROM situations s {STRUCTURES} WHERE s.idnat_ps = ?1 AND s.closed_at IS NULL")
        }
        Read::SituationsOnly => format!(
            "SELECT {select} FROM professionals p INDEXED BY professionals_open CROSS JOIN situations s {STRUCTURES} \
             WHERE p.idnat_ps = ?1 AND p.closed_at IS NULL AND s.idnat_ps = p.idnat_ps AND s.closed_at IS NULL"
        ),
    }
}

/// A professional's row (`?1`), if open.
fn local_professional_sql() -> &'static str {
    static SQL: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {PS_COLS} FROM professionals WHERE idnat_ps = ?1 AND closed_at IS NULL"));
    &SQL
}

/// The first and the excluded upper idNat_PS of the test branch (RPPS `997…`).
pub const TEST_LO: &str = "8997";
pub const TEST_HI: &str = "8998";
/// The excluded upper idNat_Struct of the test branch.
const STRUCTURE_TEST_END: &str = "4998";

/// What [`Store::load`] reads besides the situations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The professionals' rows too (their entries can match).
    Professionals,
    /// The situations only (the filter can match situations only, as R44's `(cn=…)`).
    SituationsOnly,
}

/// What [`Store::load`] read, by idNat_PS.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Empty with [`Read::SituationsOnly`].
    pub professionals: HashMap<String, PsRow>,
    pub situations: HashMap<String, Vec<SitRow>>,
}

/// Where a chunk starts: after `key`, or at `key` itself when `inclusive`.
#[derive(Debug, Clone, Copy)]
pub struct After<'a> {
    pub key: &'a str,
    pub inclusive: bool,
}

/// Reads the directory store for the LDAP server. Cheap to clone; holds no state but idle
/// connections, so several nodes can serve one database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    local: Option<Arc<LocalReaders>>,
}

impl Store {
    pub fn new(db: Db) -> Store {
        let local =
            db.sqlite_file().map(|path| Arc::new(LocalReaders { path: path.to_owned(), idle: Mutex::new(Vec::new()) }));
        if let (Some(local), Ok(runtime)) = (&local, tokio::runtime::Handle::try_current()) {
            // Idle connections give their snapshots back, so that they do not hold the WAL
            // back from checkpoints when the LDAP traffic stops. Ends with the store.
            let readers = Arc::downgrade(local);
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(SNAPSHOT_SWEEP);
                loop {
                    tick.tick().await;
                    let Some(readers) = readers.upgrade() else { break };
                    readers.end_idle_snapshots();
                }
            });
        }
        Store { db, local }
    }

    /// Open professionals' idNat_PS in key order, of one branch or of all, from `after`.
    pub async fn professional_ids(
        &self,
        branch: Option<Branch>,
        after: Option<After<'_>>,
        limit: i64,
    ) -> Result<Vec<String>, StorageError> {
        let (sql, mut args) = professional_ids_sql(branch, after);
        args.push(Arg::Int(limit));
        self.strings(&sql, &args).await
    }

    /// idNat_PS of the professionals with an open situation at `idnat_struct`, in key order.
    pub async fn ids_at_structure(
        &self,
        idnat_struct: &str,
        after: Option<After<'_>>,
        limit: i64,
    ) -> Result<Vec<String>, StorageError> {
        let cursor = match after {
            Some(a) if a.inclusive => " AND idnat_ps >= $3",
            Some(_) => " AND idnat_ps > $3",
            None => "",
        };
        let sql = format!(
            "SELECT DISTINCT idnat_ps FROM situations WHERE idnat_struct = $1 AND closed_at IS NULL{cursor} ORDER BY idnat_ps LIMIT $2"
        );
        let mut args = vec![Arg::Text(idnat_struct.to_owned()), Arg::Int(limit)];
        if let Some(a) = after {
            args.push(Arg::Text(a.key.to_owned()));
        }
        self.strings(&sql, &args).await
    }

    /// The open situations (in [`situation_order`]) of the open professionals among `ids`,
    /// and with [`Read::Professionals`] those professionals' rows. The R44 search needs the
    /// situations only: one statement per professional instead of two.
    /// The situation rows hold the columns `cols` names (the others are `None`).
    pub async fn load(&self, ids: &[String], read: Read, cols: SitColumns) -> Result<Loaded, StorageError> {
        let mut out = Loaded::default();
        if ids.is_empty() {
            return Ok(out);
        }
        let with_pros = read == Read::Professionals;
        match &self.local {
            Some(local) => local.with(|c| {
                let mut ps = c.prepare_cached(local_professional_sql())?;
                let mut st = c.prepare_cached(&local_situations_sql(read, cols))?;
                for id in ids {
                    if with_pros {
                        let mut rows = ps.query([id])?;
                        let Some(row) = rows.next()? else { continue };
                        out.professionals.insert(id.clone(), PsRow::from_sqlite(row)?);
                    }
                    let mut rows = st.query([id])?;
                    while let Some(row) = rows.next()? {
                        out.situations.entry(id.clone()).or_default().push(SitRow::from_sqlite(row)?);
                    }
                }
                Ok(())
            })?,
            None => {
                let ph = placeholders(ids.len());
                if with_pros {
                    let sql =
                        format!("SELECT {PS_COLS} FROM professionals WHERE idnat_ps IN ({ph}) AND closed_at IS NULL");
                    let mut q = sqlx::query_as::<_, PsRow>(&sql);
                    for id in ids {
                        q = q.bind(id.clone());
                    }
                    for p in q.fetch_all(self.db.pool()).await? {
                        out.professionals.insert(p.idnat_ps.clone(), p);
                    }
                }
                let sql = pool_situations_sql(read, cols, ids.len());
                let mut q = sqlx::query_as::<_, SitRow>(&sql);
                for id in ids {
                    q = q.bind(id.clone());
                }
                for s in q.fetch_all(self.db.pool()).await? {
                    out.situations.entry(s.idnat_ps.clone()).or_default().push(s);
                }
                if with_pros {
                    // Read in two statements: a professional closed in between has no entries.
                    out.situations.retain(|id, _| out.professionals.contains_key(id));
                }
            }
        }
        // Sorted here, the same on both backends whatever their collation.
        for v in out.situations.values_mut() {
            v.sort_by_cached_key(situation_order);
        }
        Ok(out)
    }

    /// Open structures' idNat_Struct in key order, of one branch or of all, from `after`.
    pub async fn structure_ids(
        &self,
        branch: Option<Branch>,
        after: Option<After<'_>>,
        limit: i64,
    ) -> Result<Vec<String>, StorageError> {
        let mut sql = String::from("SELECT idnat_struct FROM structures WHERE closed_at IS NULL");
        let mut args = Vec::new();
        if let Some(a) = after {
            sql.push_str(if a.inclusive { " AND idnat_struct >= $1" } else { " AND idnat_struct > $1" });
            args.push(Arg::Text(a.key.to_owned()));
        }
        let (lo, hi) = (format!("${}", args.len() + 1), format!("${}", args.len() + 2));
        match branch {
            Some(Branch::Test) => sql.push_str(&format!(" AND idnat_struct >= {lo} AND idnat_struct < {hi}")),
            Some(Branch::Production) => sql.push_str(&format!(" AND (idnat_struct < {lo} OR idnat_struct >= {hi})")),
            None => {}
        }
        if branch.is_some() {
            args.push(Arg::Text(STRUCTURE_TEST_PREFIX.into()));
            args.push(Arg::Text(STRUCTURE_TEST_END.into()));
        }
        sql.push_str(&format!(" ORDER BY idnat_struct LIMIT ${}", args.len() + 1));
        args.push(Arg::Int(limit));
        self.strings(&sql, &args).await
    }

    /// The open structures among `ids`, each with the DER of its live certificates.
    pub async fn load_structures(
        &self,
        ids: &[String],
    ) -> Result<HashMap<String, (StructRow, Vec<Vec<u8>>)>, StorageError> {
        let now = santepki_storage::time::now();
        let mut out = HashMap::new();
        let struct_sql = format!("SELECT {STRUCT_COLS} FROM structures WHERE idnat_struct = $1 AND closed_at IS NULL");
        for id in ids {
            let row = match &self.local {
                Some(local) => local.with(|c| {
                    let mut st = c.prepare_cached(&struct_sql.replace("$1", "?1"))?;
                    let mut rows = st.query([id])?;
                    rows.next()?.map(StructRow::from_sqlite).transpose()
                })?,
                None => {
                    sqlx::query_as::<_, StructRow>(&struct_sql).bind(id.clone()).fetch_optional(self.db.pool()).await?
                }
            };
            let Some(row) = row else { continue };
            let certs: Vec<Vec<u8>> = match &self.local {
                Some(local) => local.with(|c| {
                    let mut st = c.prepare_cached(&STRUCT_CERTS.replace("$1", "?1").replace("$2", "?2"))?;
                    let rows = st.query_map([id, &now], |r| r.get::<_, Vec<u8>>(0))?;
                    rows.collect()
                })?,
                None => {
                    sqlx::query_scalar(STRUCT_CERTS)
                        .bind(id.clone())
                        .bind(now.clone())
                        .fetch_all(self.db.pool())
                        .await?
                }
            };
            out.insert(id.clone(), (row, certs));
        }
        Ok(out)
    }

    /// The certification authorities with their newest full and delta CRLs, root first.
    pub async fn cas(&self) -> Result<Vec<CaEntryData>, StorageError> {
        let mut out = Vec::new();
        let mut rows = santepki_storage::authority::authorities(&self.db).await?;
        rows.sort_by_key(|r| (r.parent_id.is_some(), r.id.clone()));
        for r in rows {
            let crl =
                santepki_storage::authority::latest_crl(&self.db, &r.id, santepki_storage::authority::CrlKind::Full)
                    .await?
                    .map(|c| c.der);
            let delta_crl =
                santepki_storage::authority::latest_crl(&self.db, &r.id, santepki_storage::authority::CrlKind::Delta)
                    .await?
                    .map(|c| c.der);
            out.push(CaEntryData {
                name: r.name,
                is_root: r.parent_id.is_none(),
                certificate: r.certificate,
                crl,
                delta_crl,
            });
        }
        Ok(out)
    }

    /// Runs a query returning one text column.
    async fn strings(&self, sql: &str, args: &[Arg]) -> Result<Vec<String>, StorageError> {
        match &self.local {
            Some(local) => Ok(local.with(|c| {
                let mut stmt = c.prepare_cached(sql)?;
                // SQLite takes `$n` as a parameter *named* "$n", numbered by first appearance:
                // bind by name so that the shared SQL means the same on both backends.
                for (i, a) in args.iter().enumerate() {
                    let Some(index) = stmt.parameter_index(&format!("${}", i + 1))? else { continue };
                    match a {
                        Arg::Text(s) => stmt.raw_bind_parameter(index, s)?,
                        Arg::Int(n) => stmt.raw_bind_parameter(index, n)?,
                    }
                }
                let mut rows = stmt.raw_query();
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(row.get::<_, String>(0)?);
                }
                Ok(out)
            })?),
            None => {
                let mut q = sqlx::query_scalar::<_, String>(sql);
                for a in args {
                    q = match a {
                        Arg::Text(s) => q.bind(s.clone()),
                        Arg::Int(i) => q.bind(*i),
                    };
                }
                Ok(q.fetch_all(self.db.pool()).await?)
            }
        }
    }
}

/// A bind value of the shared SQL.
enum Arg {
    Text(String),
    Int(i64),
}

/// The SQL of [`Store::professional_ids`] without its final LIMIT value. Placeholders are
/// `$n` in order of appearance, which SQLite binds by position too.
fn professional_ids_sql(branch: Option<Branch>, after: Option<After<'_>>) -> (String, Vec<Arg>) {
    let mut sql = String::from("SELECT idnat_ps FROM professionals WHERE closed_at IS NULL");
    let mut args = Vec::new();
    let cursor_op = match after {
        Some(a) if a.inclusive => Some(">="),
        Some(_) => Some(">"),
        None => None,
    };
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if let (Some(op), Some(a)) = (cursor_op, after) {
        sql.push_str(&format!(" AND idnat_ps {op} {}", next()));
        args.push(Arg::Text(a.key.to_owned()));
    }
    match branch {
        Some(Branch::Test) => sql.push_str(&format!(" AND idnat_ps >= {} AND idnat_ps < {}", next(), next())),
        Some(Branch::Production) => sql.push_str(&format!(" AND (idnat_ps < {} OR idnat_ps >= {})", next(), next())),
        None => {}
    }
    if branch.is_some() {
        args.push(Arg::Text(TEST_LO.into()));
        args.push(Arg::Text(TEST_HI.into()));
    }
    sql.push_str(&format!(" ORDER BY idnat_ps LIMIT {}", next()));
    (sql, args)
}

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

/// Idle read-only connections to the SQLite file, taken for one read and put back. A plain
/// free list: the reads are synchronous and short, so there is nothing to wait for.
#[derive(Debug)]
struct LocalReaders {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
}

/// A connection and the read transaction (snapshot) it keeps between reads.
#[derive(Debug)]
struct Reader {
    conn: rusqlite::Connection,
    /// When its open read transaction began (`None`: none open).
    snapshot: Option<Instant>,
}

/// Connections kept idle at most (more are opened under load and closed after use).
const MAX_IDLE: usize = 8;

/// How long a connection reads from one snapshot. Beginning and ending a read transaction
/// costs SQLite two lock system calls, a size check and page 1 again — more than the R44
/// search's own look-ups (docs/benchmarks.md) — so consecutive reads share one, and a commit
/// (an import, a revocation) is visible over LDAP at most this long after it.
pub const SNAPSHOT_AGE: Duration = Duration::from_millis(2);

/// How often idle connections are checked for snapshots to end: a snapshot held by an idle
/// connection would keep WAL checkpoints from reaching the end of the log.
const SNAPSHOT_SWEEP: Duration = Duration::from_millis(100);

impl LocalReaders {
    fn with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>) -> Result<T, StorageError> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut reader = match taken {
            Some(r) => r,
            None => Reader { conn: open_reader(&self.path).map_err(sqlite_err)?, snapshot: None },
        };
        let now = Instant::now();
        if reader.snapshot.is_some_and(|began| now.duration_since(began) >= SNAPSHOT_AGE) && !reader.end_snapshot() {
            return Err(StorageError::Read("an LDAP reader connection failed to end its read transaction".into()));
        }
        if reader.snapshot.is_none() {
            // Deferred: the snapshot is taken by the first read, after `now`.
            reader.conn.execute_batch("BEGIN").map_err(sqlite_err)?;
            reader.snapshot = Some(now);
        }
        let out = f(&reader.conn).map_err(sqlite_err);
        // After an error, a fresh snapshot next time; a connection that cannot end its
        // transaction is dropped (which ends it).
        if out.is_err() && !reader.end_snapshot() {
            return out;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(reader);
        }
        out
    }

    /// Ends the snapshots idle connections have held for [`SNAPSHOT_AGE`] or longer.
    fn end_idle_snapshots(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        idle.retain_mut(|r| !r.snapshot.is_some_and(|began| began.elapsed() >= SNAPSHOT_AGE) || r.end_snapshot());
    }
}

impl Reader {
    /// Ends the read transaction; false if that failed (the caller drops the connection).
    fn end_snapshot(&mut self) -> bool {
        self.snapshot = None;
        if self.conn.is_autocommit() {
            return true;
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!("LDAP reader: ending a read transaction failed: {e}");
                false
            }
        }
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    // Read-write open (WAL readers need the shared-memory file) but query-only: this
    // connection never writes. No create: the storage crate made and migrated the file.
    let c = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    c.pragma_update(None, "query_only", "ON")?;
    // Pages come from the OS page cache through a memory map (SQLite caps it at 2 GiB), not
    // read() into the connection's own cache: no copy and no system call per page, which
    // was the larger part of a look-up (docs/benchmarks.md). The map is shared and
    // reclaimable, like slapd's mdb file.
    c.pragma_update(None, "mmap_size", 1i64 << 31)?;
    c.pragma_update(None, "cache_size", -16384)?;
    c.set_prepared_statement_cache_capacity(32);
    Ok(c)
}

fn sqlite_err(e: rusqlite::Error) -> StorageError {
    StorageError::Read(e.to_string())
}

impl PsRow {
    fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<PsRow> {
        Ok(PsRow {
            idnat_ps: r.get(0)?,
            id_type: r.get(1)?,
            national_id: r.get(2)?,
            civility: r.get(3)?,
            last_name: r.get(4)?,
            first_name: r.get(5)?,
            profession_code: r.get(6)?,
            profession_label: r.get(7)?,
            category_code: r.get(8)?,
        })
    }
}

impl StructRow {
    fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<StructRow> {
        Ok(StructRow {
            idnat_struct: r.get(0)?,
            name: r.get(1)?,
            finess: r.get(2)?,
            legal_entity_finess: r.get(3)?,
            siret: r.get(4)?,
            siren: r.get(5)?,
            rpps_rang: r.get(6)?,
            recipient: r.get(7)?,
            street_number: r.get(8)?,
            street_number_suffix: r.get(9)?,
            street_type: r.get(10)?,
            street_name: r.get(11)?,
            postal_code: r.get(12)?,
            town: r.get(13)?,
            phone: r.get(14)?,
            email: r.get(15)?,
        })
    }
}

impl SitRow {
    /// The row as a read of `cols` only gives it (what the store's projection does in SQL).
    #[cfg(test)]
    pub(crate) fn project(&self, cols: SitColumns) -> SitRow {
        use SitColumn as C;
        let keep = |c: SitColumn, v: &Option<String>| if cols.has(c) { v.clone() } else { None };
        SitRow {
            situation_key: self.situation_key.clone(),
            idnat_ps: self.idnat_ps.clone(),
            idnat_struct: self.idnat_struct.clone(),
            structure_tech_id: keep(C::StructureTechId, &self.structure_tech_id),
            profession_code: keep(C::ProfessionCode, &self.profession_code),
            profession_label: keep(C::ProfessionLabel, &self.profession_label),
            mode_code: keep(C::ModeCode, &self.mode_code),
            sector_code: keep(C::SectorCode, &self.sector_code),
            sector_label: keep(C::SectorLabel, &self.sector_label),
            role_code: keep(C::RoleCode, &self.role_code),
            activity_code: keep(C::ActivityCode, &self.activity_code),
            name: keep(C::Name, &self.name),
            siret: keep(C::Siret, &self.siret),
            siren: keep(C::Siren, &self.siren),
            finess: keep(C::Finess, &self.finess),
            legal_entity_finess: keep(C::LegalEntityFiness, &self.legal_entity_finess),
            rpps_rang: keep(C::RppsRang, &self.rpps_rang),
            recipient: keep(C::Recipient, &self.recipient),
            street_number: keep(C::StreetNumber, &self.street_number),
            street_number_suffix: keep(C::StreetNumberSuffix, &self.street_number_suffix),
            street_type: keep(C::StreetType, &self.street_type),
            street_name: keep(C::StreetName, &self.street_name),
            postal_code: keep(C::PostalCode, &self.postal_code),
            town: keep(C::Town, &self.town),
            phone: keep(C::Phone, &self.phone),
            email: keep(C::Email, &self.email),
        }
    }

    fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<SitRow> {
        Ok(SitRow {
            situation_key: r.get(0)?,
            idnat_ps: r.get(1)?,
            idnat_struct: r.get(2)?,
            structure_tech_id: r.get(3)?,
            profession_code: r.get(4)?,
            profession_label: r.get(5)?,
            mode_code: r.get(6)?,
            sector_code: r.get(7)?,
            sector_label: r.get(8)?,
            role_code: r.get(9)?,
            activity_code: r.get(10)?,
            name: r.get(11)?,
            siret: r.get(12)?,
            siren: r.get(13)?,
            finess: r.get(14)?,
            legal_entity_finess: r.get(15)?,
            rpps_rang: r.get(16)?,
            recipient: r.get(17)?,
            street_number: r.get(18)?,
            street_number_suffix: r.get(19)?,
            street_type: r.get(20)?,
            street_name: r.get(21)?,
            postal_code: r.get(22)?,
            town: r.get(23)?,
            phone: r.get(24)?,
            email: r.get(25)?,
        })
    }
}
