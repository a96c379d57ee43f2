//! Products of the ordering platform: one row per certificate ordered (migration 0004).

use santepki_domain::values::{
    CertificateStatus, Channel, KeyOrigin, Offer, ProductProfile, ProductState, ProductUsage,
};
use serde::Serialize;

use crate::registration::Conn;
use crate::{Db, StorageError};

/// One ordered certificate (a product of the ordering platform), as stored in `products`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProductRow {
    /// Unguessable internal id (`prd-…`).
    pub id: String,
    /// Readable product number shown to users, allocated from a shared counter.
    pub number: String,
    /// The idNat_Struct of the habilitated structure the certificate is for (the beneficiary).
    pub structure: String,
    /// Certificate profile (e.g. `org-auth-cli`, `serv-ssl`, `pro-sign`).
    #[sqlx(try_from = "crate::values::Text<ProductProfile>")]
    pub profile: ProductProfile,
    /// The offer the product belongs to: ORG, SERV or PRO.
    #[sqlx(try_from = "crate::values::Text<Offer>")]
    pub offer: Offer,
    /// What the certificate is for within its offer: `AUTH_CLI`, `SIGN`, `CONF`, `SSL_SERV`, `S/MIME`, `AUTH`.
    #[sqlx(try_from = "crate::values::Text<ProductUsage>")]
    pub usage: ProductUsage,
    /// The service applicatif named in the certificate (R29); `None` when the profile has none.
    pub service: Option<String>,
    /// The idNat_PS of the professional a PRO certificate is issued to; `None` for other offers.
    pub professional: Option<String>,
    /// JSON `{"dns":[…],"emails":[…],"upn":…}` as ordered.
    pub names: String,
    /// E-mail address of the person responsible for the certificate, who receives its notices (R30).
    pub actor_email: String,
    /// Optional second address that receives a copy of the notices.
    pub copy_email: Option<String>,
    /// Serial number of the issued certificate, lowercase hex.
    pub serial: String,
    /// End of the certificate's validity (notAfter), RFC 3339 UTC text.
    pub not_after: String,
    /// Lifecycle state: `pending` (being signed), `issued`, `revoked`, or `abandoned` (never signed).
    #[sqlx(try_from = "crate::values::Text<ProductState>")]
    pub state: ProductState,
    /// Where the key pair came from: `csr` (supplied by the customer) or `generated` (online by the platform).
    #[sqlx(try_from = "crate::values::Text<KeyOrigin>")]
    pub key_origin: KeyOrigin,
    /// Id of the product this one renews (R37); `None` for a first order.
    pub renewal_of: Option<String>,
    /// Card number of the technical administrator who placed the order.
    pub ordered_by: String,
    /// `portal` or `api` (R33).
    #[sqlx(try_from = "crate::values::Text<Channel>")]
    pub channel: Channel,
    /// When the expiry notice was sent (RFC 3339 UTC text); `None` until then, it is sent once (R35).
    pub expiry_notice_at: Option<String>,
    /// When the order was recorded, RFC 3339 UTC text.
    pub created_at: String,
    /// When the row last changed (e.g. revocation), RFC 3339 UTC text.
    pub updated_at: String,
}

const COLS: &str = "id, number, structure, profile, offer, usage, service, professional, names, actor_email, copy_email, serial, not_after, \
     state, key_origin, renewal_of, ordered_by, channel, expiry_notice_at, created_at, updated_at";

/// Inserts a new product inside the caller's transaction.
pub async fn insert_product(conn: &mut Conn, p: &ProductRow) -> Result<(), StorageError> {
    sqlx::query(&format!("INSERT INTO products ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"))
        .bind(&p.id)
        .bind(&p.number)
        .bind(&p.structure)
        .bind(p.profile.as_str())
        .bind(p.offer.as_str())
        .bind(p.usage.as_str())
        .bind(&p.service)
        .bind(&p.professional)
        .bind(&p.names)
        .bind(&p.actor_email)
        .bind(&p.copy_email)
        .bind(&p.serial)
        .bind(&p.not_after)
        .bind(p.state.as_str())
        .bind(p.key_origin.as_str())
        .bind(&p.renewal_of)
        .bind(&p.ordered_by)
        .bind(p.channel.as_str())
        .bind(&p.expiry_notice_at)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// One product by its internal id or its readable number; `None` if neither matches.
pub async fn product(db: &Db, id: &str) -> Result<Option<ProductRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM products WHERE id = $1 OR number = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// Products of some structures, newest first, with optional state filter; `(rows, total)`.
pub async fn products_of(
    db: &Db,
    structures: &[String],
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ProductRow>, i64), StorageError> {
    if structures.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let placeholders: Vec<String> = (0..structures.len()).map(|i| format!("${}", i + 1)).collect();
    // Orders in flight and abandoned ones are not products an administrator has.
    let mut filter = format!("structure IN ({}) AND state IN ('issued', 'revoked')", placeholders.join(", "));
    let n = structures.len();
    if state.is_some() {
        filter.push_str(&format!(" AND state = ${}", n + 1));
    }
    let next = n + 1 + usize::from(state.is_some());
    let sql = format!(
        "SELECT {COLS} FROM products WHERE {filter} ORDER BY created_at DESC, id LIMIT ${next} OFFSET ${}",
        next + 1
    );
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

/// Settles a pending product with its certificate (`issued`), in the caller's transaction — the
/// one that records the signed certificate. Fails when the product is no longer pending.
pub async fn settle_issued(conn: &mut Conn, id: &str, now: &str) -> Result<(), StorageError> {
    let n = sqlx::query("UPDATE products SET state = 'issued', updated_at = $1 WHERE id = $2 AND state = 'pending'")
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(StorageError::Corrupt(format!("product {id} is not pending")));
    }
    Ok(())
}

/// Moves a product from `from` to `to` if it is still in `from` (the recovery pass, which may run
/// on several nodes at once); `false` when it was not.
pub async fn repair_state(
    conn: &mut Conn,
    id: &str,
    from: ProductState,
    to: ProductState,
    now: &str,
) -> Result<bool, StorageError> {
    let n = sqlx::query("UPDATE products SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// A product whose state disagrees with its certificate's, for the recovery pass: the product,
/// and its certificate's status (`None` when the CA has no row for the serial).
#[derive(Debug, Clone)]
pub struct Disagreement {
    /// The product.
    pub product: ProductRow,
    /// Its certificate's status, when the CA has a row for it.
    pub certificate_status: Option<CertificateStatus>,
}

/// Products whose state does not match their certificate's (issue 15, point 10): a pending
/// product whose certificate is no longer pending (or missing), an issued product whose
/// certificate is revoked or was never issued. Rows of issuances in flight (pending with a
/// pending certificate) agree.
///
/// `only_pending` limits the search to pending products (an indexed lookup, for the scheduler's
/// frequent pass); otherwise every product is read (a scan, for start-up and `ca recover`).
pub async fn disagreements(db: &Db, only_pending: bool, limit: i64) -> Result<Vec<Disagreement>, StorageError> {
    let cols: Vec<String> = COLS.split(", ").map(|c| format!("p.{c}")).collect();
    let scope = if only_pending { "p.state = 'pending' AND " } else { "" };
    let sql = format!(
        "SELECT {}, c.status AS certificate_status FROM products p LEFT JOIN ca_certificates c ON c.serial = p.serial \
         WHERE {scope}((p.state = 'pending' AND (c.status IS NULL OR c.status <> 'pending')) \
            OR (p.state = 'issued' AND (c.status IS NULL OR c.status <> 'issued')) \
            OR (p.state = 'revoked' AND (c.status IS NULL OR c.status <> 'revoked'))) \
         ORDER BY p.created_at, p.id LIMIT $1",
        cols.join(", ")
    );
    let rows = sqlx::query(&sql).bind(limit).fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        use sqlx::{FromRow, Row};
        let product = ProductRow::from_row(&row)?;
        let status: Option<String> = row.try_get("certificate_status")?;
        let certificate_status = match status {
            None => None,
            Some(s) => Some(s.parse().map_err(|_| StorageError::UnknownValue {
                table: "ca_certificates",
                column: "status".into(),
                value: s.clone(),
                set: "CertificateStatus",
            })?),
        };
        out.push(Disagreement { product, certificate_status });
    }
    Ok(out)
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

// --- The portal's product table, the doctrine and the expiry schedule --------------------------

/// A product with the name of its structure (the beneficiary, R33).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProductListRow {
    /// The product itself (its columns appear flattened in the row and in JSON).
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub product: ProductRow,
    /// The structure's raison sociale from the directory; `None` if the structure is not (or no longer) in it.
    pub structure_name: Option<String>,
}

/// The columns the product table sorts by (R33); the API names them in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProductSort {
    /// Readable product number.
    Number,
    /// Offer (ORG, SERV, PRO).
    Offer,
    /// Usage within the offer.
    Usage,
    /// Beneficiary structure's name, falling back to its idNat_Struct.
    Beneficiary,
    /// Service applicatif (products without one sort first).
    Service,
    /// Notice e-mail address of the person responsible.
    Email,
    /// Card number of the administrator who ordered.
    Requester,
    /// Lifecycle state.
    State,
    /// Order date (the default).
    #[default]
    Created,
    /// End of validity (notAfter).
    Expiry,
}

impl std::str::FromStr for ProductSort {
    type Err = ();

    /// The API's names: `number`, `offer`, `usage`, `beneficiary`, `service`, `email`,
    /// `requester`, `state`, `created`, `expiry`.
    fn from_str(s: &str) -> Result<ProductSort, ()> {
        Ok(match s {
            "number" => ProductSort::Number,
            "offer" => ProductSort::Offer,
            "usage" => ProductSort::Usage,
            "beneficiary" => ProductSort::Beneficiary,
            "service" => ProductSort::Service,
            "email" => ProductSort::Email,
            "requester" => ProductSort::Requester,
            "state" => ProductSort::State,
            "created" => ProductSort::Created,
            "expiry" => ProductSort::Expiry,
            _ => return Err(()),
        })
    }
}

impl ProductSort {
    fn column(self) -> &'static str {
        match self {
            ProductSort::Number => "p.number",
            ProductSort::Offer => "p.offer",
            ProductSort::Usage => "p.usage",
            ProductSort::Beneficiary => "COALESCE(s.name, p.structure)",
            ProductSort::Service => "COALESCE(p.service, '')",
            ProductSort::Email => "p.actor_email",
            ProductSort::Requester => "p.ordered_by",
            ProductSort::State => "p.state",
            ProductSort::Created => "p.created_at",
            ProductSort::Expiry => "p.not_after",
        }
    }
}

/// Which products of an administrator's structures to list, and in what order.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// The administrator's card: only products of structures it holds an active habilitation
    /// for (R27).
    pub card: String,
    /// Only the products of this idNat_Struct; `None` for all the administrator's structures.
    pub structure: Option<String>,
    /// A stored state (`issued`, `revoked`), or `live` (issued, not expired) / `expired`
    /// (issued, past its end), measured at `now`.
    pub state: Option<String>,
    /// `ORG`, `SERV`, `PRO`.
    pub offer: Option<String>,
    /// Free text, matched case-insensitively on number, structure, its name, service, emails,
    /// serial and requester.
    pub text: Option<String>,
    /// The column to sort on; ties are broken by product id.
    pub sort: ProductSort,
    /// Sort in descending order (newest, last or highest first).
    pub descending: bool,
    /// Page size: the most rows returned.
    pub limit: i64,
    /// How many rows of the sorted result to skip before the page.
    pub offset: i64,
    /// RFC 3339 UTC: what `live` and `expired` are measured against.
    pub now: String,
}

/// The condition "the card administers the product's structure": an indexed EXISTS on
/// `habilitations (idnat_struct, state)`, not a list of structures in the statement.
/// The products of the structures card `$1` is habilitated for. An `IN` list, not a correlated
/// `EXISTS`: SQLite ran the `EXISTS` once per product through the card's habilitations (10,000
/// products × 1,000 habilitations: 0.9 s a page); the list is built once and drives the
/// `products_structure` index.
const ADMINISTERED: &str =
    "p.structure IN (SELECT h.idnat_struct FROM habilitations h WHERE h.card_number = $1 AND h.state = 'active')";

fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .trim()
        .to_lowercase()
        .chars()
        .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
        .collect();
    format!("%{escaped}%")
}

/// A page of an administrator's products (the portal's table and the API's list); `(rows, total)`.
pub async fn product_page(db: &Db, q: &ProductQuery) -> Result<(Vec<ProductListRow>, i64), StorageError> {
    // Orders in flight and abandoned ones are not products an administrator has.
    let mut filter = vec![ADMINISTERED.to_owned(), "p.state IN ('issued', 'revoked')".to_owned()];
    let mut binds: Vec<String> = vec![q.card.clone()];
    let push = |cond: &str, value: String, binds: &mut Vec<String>| {
        binds.push(value);
        cond.replace('?', &format!("${}", binds.len()))
    };
    if let Some(s) = &q.structure {
        filter.push(push("p.structure = ?", s.clone(), &mut binds));
    }
    match q.state.as_deref() {
        None => {}
        Some("live") => filter.push(push("p.state = 'issued' AND p.not_after > ?", q.now.clone(), &mut binds)),
        Some("expired") => filter.push(push("p.state = 'issued' AND p.not_after <= ?", q.now.clone(), &mut binds)),
        Some(other) => filter.push(push("p.state = ?", other.to_owned(), &mut binds)),
    }
    if let Some(o) = &q.offer {
        filter.push(push("p.offer = ?", o.clone(), &mut binds));
    }
    if let Some(t) = q.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = like_pattern(t);
        binds.push(pattern);
        let n = binds.len();
        filter.push(format!(
            "(LOWER(p.number) LIKE ${n} ESCAPE '\\' OR LOWER(p.structure) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(s.name, '')) LIKE ${n} ESCAPE '\\' \
             OR LOWER(COALESCE(p.service, '')) LIKE ${n} ESCAPE '\\' OR LOWER(p.actor_email) LIKE ${n} ESCAPE '\\' \
             OR LOWER(COALESCE(p.copy_email, '')) LIKE ${n} ESCAPE '\\' OR LOWER(p.serial) LIKE ${n} ESCAPE '\\' OR p.ordered_by LIKE ${n} ESCAPE '\\')"
        ));
    }
    let filter = filter.join(" AND ");
    let dir = if q.descending { "DESC" } else { "ASC" };
    let from = "FROM products p LEFT JOIN structures s ON s.idnat_struct = p.structure";
    let cols: String = COLS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
    let n = binds.len();
    let order = format!("ORDER BY {} {dir}, p.id {dir}", q.sort.column());
    // The page is chosen on the sort key and the product id alone, then only its rows are read
    // whole and joined to their structure's name: sorting 10,000 whole rows joined to their
    // structures cost twice as much. The inner query joins the structures only when the free
    // text or the beneficiary sort needs their name.
    let has_text = q.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    let needs_name = has_text || q.sort == ProductSort::Beneficiary;
    let page_from = if needs_name { from } else { "FROM products p" };
    let sql = format!(
        "SELECT {cols}, s.name AS structure_name FROM (SELECT p.id AS page_id {page_from} WHERE {filter} {order} LIMIT ${} OFFSET ${}) k \
         JOIN products p ON p.id = k.page_id LEFT JOIN structures s ON s.idnat_struct = p.structure {order}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query_as::<_, ProductListRow>(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    let rows = query.bind(q.limit).bind(q.offset).fetch_all(db.pool()).await?;
    let count_from = if has_text { from } else { "FROM products p" };
    let count_sql = format!("SELECT COUNT(*) {count_from} WHERE {filter}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = count.bind(b);
    }
    Ok((rows, count.fetch_one(db.pool()).await?))
}

/// The live products (issued, not expired at `now`) of one structure identifier.
pub async fn live_products_of_structure(db: &Db, structure: &str, now: &str) -> Result<Vec<ProductRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {COLS} FROM products WHERE structure = $1 AND state = 'issued' AND not_after > $2 ORDER BY created_at, id"))
        .bind(structure)
        .bind(now)
        .fetch_all(db.pool())
        .await?)
}

/// How many live certificates of an administrator's structures end in each month
/// (`YYYY-MM`) between `from` and `until`, months without any left out.
pub async fn expiries_by_month(
    db: &Db,
    card: &str,
    from: &str,
    until: &str,
) -> Result<Vec<(String, i64)>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT SUBSTR(p.not_after, 1, 7) AS month, COUNT(*) AS n FROM products p WHERE {ADMINISTERED} \
         AND p.state = 'issued' AND p.not_after > $2 AND p.not_after <= $3 GROUP BY SUBSTR(p.not_after, 1, 7) ORDER BY 1"
    ))
    .bind(card)
    .bind(from)
    .bind(until)
    .fetch_all(db.pool())
    .await?)
}
