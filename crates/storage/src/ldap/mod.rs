//! The directory reads of the LDAP server (R44), in chunks and in key order so that a search can
//! stop at its limits and a paged search can resume after any key (stateless cookies). The LDAP
//! crate asks these questions and never sees SQL: which professionals (of a branch, or at a
//! structure) come after a key, the situations of some professionals with some columns, the open
//! structures with their live certificates, the CA entries.
//!
//! Two ways to run the same SQL, because the R44 search must answer faster than slapd:
//! - on PostgreSQL (and in-memory SQLite), through the [`Db`]'s sqlx pool;
//! - on a SQLite file, through a few rusqlite connections of its own (`local`), run
//!   synchronously on the task that serves the request, each reading from one WAL snapshot for
//!   at most [`SNAPSHOT_AGE`].
//!
//! The rows (`rows`) carry only the columns the LDAP entries show.

mod local;
mod rows;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use santepki_domain::ids::{TestIdRange, TEST_IDNAT_PS, TEST_IDNAT_STRUCT};

pub(crate) use local::create_indexes;
use local::LocalReaders;
pub use local::SNAPSHOT_AGE;
pub use rows::{CaEntry, PsRow, SitColumn, SitColumns, SitRow, StructRow};

use crate::{Db, StorageError};

/// The two branches of the LDAP tree (R44): test identities ([`TEST_IDNAT_PS`],
/// [`TEST_IDNAT_STRUCT`]) and the others. Key-ordered reads can keep to one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Branch {
    /// `o=GIP-CPS,c=fr`: production identities.
    Production,
    /// `o=TEST,c=fr`: test identities, RPPS `997…` (idNat_PS `8997…`).
    Test,
}

impl Branch {
    /// The branch of a professional, by idNat_PS.
    pub fn of(idnat_ps: &str) -> Branch {
        Branch::within(TEST_IDNAT_PS, idnat_ps)
    }

    /// The branch of a structure, by idNat_Struct: the practices of test identities (`4997…`)
    /// are under `o=TEST`.
    pub fn of_structure(idnat_struct: &str) -> Branch {
        Branch::within(TEST_IDNAT_STRUCT, idnat_struct)
    }

    fn within(test: TestIdRange, id: &str) -> Branch {
        if test.contains(id) {
            Branch::Test
        } else {
            Branch::Production
        }
    }
}

/// What [`LdapStore::situations_of`] reads besides the situations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The professionals' rows too (their entries can match).
    Professionals,
    /// The situations only (the filter can match situations only, as R44's `(cn=…)`).
    SituationsOnly,
}

/// What [`LdapStore::situations_of`] read, by idNat_PS.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The open professionals' rows; empty with [`Read::SituationsOnly`].
    pub professionals: HashMap<String, PsRow>,
    /// The open situations of open professionals, in no particular order.
    pub situations: HashMap<String, Vec<SitRow>>,
}

/// Where a chunk starts: after `key`, or at `key` itself when `inclusive`.
#[derive(Debug, Clone, Copy)]
pub struct After<'a> {
    /// The key.
    pub key: &'a str,
    /// Whether the chunk starts at `key` itself.
    pub inclusive: bool,
}

/// The open structures read by [`LdapStore::structures_with_certificates`], by idNat_Struct,
/// each with the DER of its live certificates.
pub type StructuresRead = HashMap<String, (StructRow, Vec<Vec<u8>>)>;

/// Reads the directory store for the LDAP server. Cheap to clone; holds no state but idle
/// connections, so several nodes can serve one database.
#[derive(Clone, Debug)]
pub struct LdapStore {
    db: Db,
    local: Option<Arc<LocalReaders>>,
}

impl LdapStore {
    /// The reads of `db`: on a SQLite file, through connections of their own.
    pub fn new(db: Db) -> LdapStore {
        let local = db.sqlite_file().map(LocalReaders::new);
        LdapStore { db, local }
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
    pub async fn professionals_at_structure(
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

    /// The open situations of the open professionals among `ids`, and with
    /// [`Read::Professionals`] those professionals' rows. The R44 search needs the situations
    /// only: one statement per professional instead of two. The situation rows hold the columns
    /// `cols` names (the others are `None`).
    pub async fn situations_of(&self, ids: &[String], read: Read, cols: SitColumns) -> Result<Loaded, StorageError> {
        let mut out = Loaded::default();
        if ids.is_empty() {
            return Ok(out);
        }
        let with_pros = read == Read::Professionals;
        match &self.local {
            Some(local) => local.with(|c| {
                let mut ps = c.prepare_cached(&LOCAL_PROFESSIONAL)?;
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
                    let sql = format!(
                        "SELECT {} FROM professionals WHERE idnat_ps IN ({ph}) AND closed_at IS NULL",
                        *PS_SELECT
                    );
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
            args.push(Arg::Text(TEST_IDNAT_STRUCT.start.into()));
            args.push(Arg::Text(TEST_IDNAT_STRUCT.end.into()));
        }
        sql.push_str(&format!(" ORDER BY idnat_struct LIMIT ${}", args.len() + 1));
        args.push(Arg::Int(limit));
        self.strings(&sql, &args).await
    }

    /// The open structures among `ids`, each with the DER of its live certificates
    /// ([`LdapStore::live_certificates`]).
    pub async fn structures_with_certificates(&self, ids: &[String]) -> Result<StructuresRead, StorageError> {
        let now = crate::time::now();
        let mut out = HashMap::new();
        for id in ids {
            let row = match &self.local {
                Some(local) => local.with(|c| {
                    let mut st = c.prepare_cached(&LOCAL_STRUCTURE)?;
                    let mut rows = st.query([id])?;
                    rows.next()?.map(StructRow::from_sqlite).transpose()
                })?,
                None => {
                    sqlx::query_as::<_, StructRow>(&POOL_STRUCTURE)
                        .bind(id.clone())
                        .fetch_optional(self.db.pool())
                        .await?
                }
            };
            let Some(row) = row else { continue };
            let certs = self.live_certificates(id, &now).await?;
            out.insert(id.clone(), (row, certs));
        }
        Ok(out)
    }

    /// The live ORG and SERV certificates of a structure at `now`, which its entry publishes:
    /// issued, not revoked, not expired; DER, oldest first.
    pub async fn live_certificates(&self, idnat_struct: &str, now: &str) -> Result<Vec<Vec<u8>>, StorageError> {
        match &self.local {
            Some(local) => local.with(|c| {
                let mut st = c.prepare_cached(&LOCAL_CERTIFICATES)?;
                let rows = st.query_map([idnat_struct, now], |r| r.get::<_, Vec<u8>>(0))?;
                rows.collect()
            }),
            None => Ok(sqlx::query_scalar(LIVE_CERTIFICATES)
                .bind(idnat_struct.to_owned())
                .bind(now.to_owned())
                .fetch_all(self.db.pool())
                .await?),
        }
    }

    /// The certification authorities with their newest full and delta CRLs, root first.
    pub async fn ca_entries(&self) -> Result<Vec<CaEntry>, StorageError> {
        let mut out = Vec::new();
        let mut rows = crate::authority::authorities(&self.db).await?;
        rows.sort_by_key(|r| (r.parent_id.is_some(), r.id.clone()));
        for r in rows {
            let crl = crate::authority::latest_crl(&self.db, &r.id, "full").await?.map(|c| c.der);
            let delta_crl = crate::authority::latest_crl(&self.db, &r.id, "delta").await?.map(|c| c.der);
            out.push(CaEntry {
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

/// The select list of [`PsRow`].
static PS_SELECT: LazyLock<String> = LazyLock::new(|| PsRow::COLUMNS.join(", "));

/// A professional's row (`?1`), if open, on the SQLite file's own connections.
static LOCAL_PROFESSIONAL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {} FROM professionals WHERE idnat_ps = ?1 AND closed_at IS NULL", *PS_SELECT));

/// A structure's row, if open: through sqlx (`$1`) and on the SQLite file's own connections (`?1`).
static POOL_STRUCTURE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {} FROM structures WHERE idnat_struct = $1 AND closed_at IS NULL", StructRow::COLUMNS.join(", "))
});
static LOCAL_STRUCTURE: LazyLock<String> = LazyLock::new(|| POOL_STRUCTURE.replace("$1", "?1"));

/// The live certificates a structure entry publishes (`$1`) at `$2`: issued ORG and SERV
/// certificates, not revoked, not expired. This decides what LDAP publishes.
const LIVE_CERTIFICATES: &str = "SELECT der FROM ca_certificates WHERE structure_id = $1 AND status = 'issued' \
    AND der IS NOT NULL AND revoked_at IS NULL AND not_after > $2 AND (profile LIKE 'org-%' OR profile LIKE 'serv-%') \
    ORDER BY issued_at, serial";
/// The same with SQLite's positional parameters, for the SQLite file's own connections.
static LOCAL_CERTIFICATES: LazyLock<String> =
    LazyLock::new(|| LIVE_CERTIFICATES.replace("$1", "?1").replace("$2", "?2"));

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
/// covering indexes [`create_indexes`] makes for this path: the structure columns and the
/// professional check come from index pages, without a descent into each table row. The R44
/// form checks the professional once, as the outer loop (CROSS JOIN fixes SQLite's join order),
/// rather than once per situation.
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

/// The SQL of [`LdapStore::professional_ids`] without its final LIMIT value. Placeholders are
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
        args.push(Arg::Text(TEST_IDNAT_PS.start.into()));
        args.push(Arg::Text(TEST_IDNAT_PS.end.into()));
    }
    sql.push_str(&format!(" ORDER BY idnat_ps LIMIT {}", next()));
    (sql, args)
}

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}
