//! The directory reads the LDAP server needs, in chunks and in key order so that a search can
//! stop at its limits and a paged search can resume after any key (stateless cookies).
//!
//! Portable SQL on both backends like the storage crate's (`$n` placeholders, TEXT only). The
//! rows carry only the columns the LDAP entries show. These queries are candidates to move into
//! `santepki_storage::directory` once that crate's owners agree.

use std::collections::HashMap;

use santepki_storage::{Db, StorageError};
use sqlx::FromRow;

use crate::entry::situation_order;
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

const PS_COLS: &str = "idnat_ps, id_type, national_id, civility, last_name, first_name, profession_code, profession_label, category_code";

const SIT_SELECT: &str = "SELECT s.situation_key, s.idnat_ps, s.idnat_struct, s.structure_tech_id, s.profession_code, \
    s.profession_label, s.mode_code, s.sector_code, s.sector_label, s.role_code, s.activity_code, st.name, st.siret, st.siren, \
    st.finess, st.legal_entity_finess, st.rpps_rang, st.recipient, st.street_number, st.street_number_suffix, st.street_type, \
    st.street_name, st.postal_code, st.town, st.phone, st.email \
    FROM situations s LEFT JOIN structures st ON st.idnat_struct = s.idnat_struct";

/// The first and the excluded upper idNat_PS of the test branch (RPPS `997…`).
pub const TEST_LO: &str = "8997";
pub const TEST_HI: &str = "8998";

/// Where a chunk starts: after `key`, or at `key` itself when `inclusive`.
#[derive(Debug, Clone, Copy)]
pub struct After<'a> {
    pub key: &'a str,
    pub inclusive: bool,
}

/// Open professionals' idNat_PS in key order, of one branch or of all, from `after`.
pub async fn professional_ids(db: &Db, branch: Option<Branch>, after: Option<After<'_>>, limit: i64) -> Result<Vec<String>, StorageError> {
    let mut sql = String::from("SELECT idnat_ps FROM professionals WHERE closed_at IS NULL");
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
    if let Some(op) = cursor_op {
        sql.push_str(&format!(" AND idnat_ps {op} {}", next()));
    }
    match branch {
        Some(Branch::Test) => sql.push_str(&format!(" AND idnat_ps >= {} AND idnat_ps < {}", next(), next())),
        Some(Branch::Production) => sql.push_str(&format!(" AND (idnat_ps < {} OR idnat_ps >= {})", next(), next())),
        None => {}
    }
    sql.push_str(&format!(" ORDER BY idnat_ps LIMIT {}", next()));
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    if let Some(a) = after {
        q = q.bind(a.key.to_owned());
    }
    if branch.is_some() {
        q = q.bind(TEST_LO).bind(TEST_HI);
    }
    Ok(q.bind(limit).fetch_all(db.pool()).await?)
}

/// idNat_PS of the professionals with an open situation at `idnat_struct`, in key order.
pub async fn ids_at_structure(db: &Db, idnat_struct: &str, after: Option<After<'_>>, limit: i64) -> Result<Vec<String>, StorageError> {
    let cursor = match after {
        Some(a) if a.inclusive => " AND idnat_ps >= $3",
        Some(_) => " AND idnat_ps > $3",
        None => "",
    };
    let sql = format!(
        "SELECT DISTINCT idnat_ps FROM situations WHERE idnat_struct = $1 AND closed_at IS NULL{cursor} ORDER BY idnat_ps LIMIT $2"
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(idnat_struct.to_owned()).bind(limit);
    if let Some(a) = after {
        q = q.bind(a.key.to_owned());
    }
    Ok(q.fetch_all(db.pool()).await?)
}

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

/// The open professionals among `ids` and their open situations (in [`situation_order`]).
pub async fn load(db: &Db, ids: &[String]) -> Result<(HashMap<String, PsRow>, HashMap<String, Vec<SitRow>>), StorageError> {
    let mut pros = HashMap::new();
    let mut sits: HashMap<String, Vec<SitRow>> = HashMap::new();
    if ids.is_empty() {
        return Ok((pros, sits));
    }
    let ph = placeholders(ids.len());
    let sql = format!("SELECT {PS_COLS} FROM professionals WHERE idnat_ps IN ({ph}) AND closed_at IS NULL");
    let mut q = sqlx::query_as::<_, PsRow>(&sql);
    for id in ids {
        q = q.bind(id.clone());
    }
    for p in q.fetch_all(db.pool()).await? {
        pros.insert(p.idnat_ps.clone(), p);
    }
    let sql = format!("{SIT_SELECT} WHERE s.idnat_ps IN ({ph}) AND s.closed_at IS NULL");
    let mut q = sqlx::query_as::<_, SitRow>(&sql);
    for id in ids {
        q = q.bind(id.clone());
    }
    for s in q.fetch_all(db.pool()).await? {
        sits.entry(s.idnat_ps.clone()).or_default().push(s);
    }
    // Sorted here, the same on both backends whatever their collation.
    for v in sits.values_mut() {
        v.sort_by_cached_key(situation_order);
    }
    Ok((pros, sits))
}
