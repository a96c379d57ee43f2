//! Products of the ordering platform: one row per certificate ordered (migration 0004).

use serde::Serialize;

use crate::registration::Conn;
use crate::{Db, StorageError};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProductRow {
    pub id: String,
    pub number: String,
    pub structure: String,
    pub profile: String,
    pub offer: String,
    pub usage: String,
    pub service: Option<String>,
    pub professional: Option<String>,
    /// JSON `{"dns":[…],"emails":[…],"upn":…}` as ordered.
    pub names: String,
    pub actor_email: String,
    pub copy_email: Option<String>,
    pub serial: String,
    pub not_after: String,
    pub state: String,
    pub key_origin: String,
    pub renewal_of: Option<String>,
    pub ordered_by: String,
    pub expiry_notice_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const COLS: &str = "id, number, structure, profile, offer, usage, service, professional, names, actor_email, copy_email, serial, not_after, \
     state, key_origin, renewal_of, ordered_by, expiry_notice_at, created_at, updated_at";

pub async fn insert_product(conn: &mut Conn, p: &ProductRow) -> Result<(), StorageError> {
    sqlx::query(&format!("INSERT INTO products ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"))
        .bind(&p.id)
        .bind(&p.number)
        .bind(&p.structure)
        .bind(&p.profile)
        .bind(&p.offer)
        .bind(&p.usage)
        .bind(&p.service)
        .bind(&p.professional)
        .bind(&p.names)
        .bind(&p.actor_email)
        .bind(&p.copy_email)
        .bind(&p.serial)
        .bind(&p.not_after)
        .bind(&p.state)
        .bind(&p.key_origin)
        .bind(&p.renewal_of)
        .bind(&p.ordered_by)
        .bind(&p.expiry_notice_at)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn product(db: &Db, id: &str) -> Result<Option<ProductRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM products WHERE id = $1 OR number = $1")).bind(id).fetch_optional(db.pool()).await?)
}

/// Products of some structures, newest first, with optional state filter; `(rows, total)`.
pub async fn products_of(db: &Db, structures: &[String], state: Option<&str>, limit: i64, offset: i64) -> Result<(Vec<ProductRow>, i64), StorageError> {
    if structures.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let placeholders: Vec<String> = (0..structures.len()).map(|i| format!("${}", i + 1)).collect();
    let mut filter = format!("structure IN ({})", placeholders.join(", "));
    let n = structures.len();
    if state.is_some() {
        filter.push_str(&format!(" AND state = ${}", n + 1));
    }
    let next = n + 1 + usize::from(state.is_some());
    let sql = format!("SELECT {COLS} FROM products WHERE {filter} ORDER BY created_at DESC, id LIMIT ${next} OFFSET ${}", next + 1);
    let mut q = sqlx::query_as::<_, ProductRow>(&sql);
    for s in structures {
        q = q.bind(s);
    }
    if let Some(st) = state {
        q = q.bind(st);
    }
    let rows = q.bind(limit).bind(offset).fetch_all(db.pool()).await?;
    let count_sql = format!("SELECT COUNT(*) FROM products WHERE {filter}");
    let mut c = sqlx::query_scalar::<_, i64>(&count_sql);
    for s in structures {
        c = c.bind(s);
    }
    if let Some(st) = state {
        c = c.bind(st);
    }
    Ok((rows, c.fetch_one(db.pool()).await?))
}

pub async fn set_state(db: &Db, id: &str, state: &str, now: &str) -> Result<(), StorageError> {
    sqlx::query("UPDATE products SET state = $1, updated_at = $2 WHERE id = $3").bind(state).bind(now).bind(id).execute(db.pool()).await?;
    Ok(())
}

/// Issued products expiring before `before` whose expiry notice was not sent.
pub async fn expiring_unnoticed(db: &Db, before: &str, limit: i64) -> Result<Vec<ProductRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLS} FROM products WHERE state = 'issued' AND not_after < $1 AND expiry_notice_at IS NULL ORDER BY not_after, id LIMIT $2"
    ))
    .bind(before)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Marks the expiry notice of a product sent; `false` when another node did it first.
pub async fn claim_expiry_notice(conn: &mut Conn, id: &str, now: &str) -> Result<bool, StorageError> {
    let n = sqlx::query("UPDATE products SET expiry_notice_at = $1 WHERE id = $2 AND expiry_notice_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}
