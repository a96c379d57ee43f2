//! Registration records: contracts, roles, forms 413, habilitations and the mail outbox.
//!
//! Writes take the caller's transaction (`&mut AnyConnection` through `&mut *tx`), so that the
//! registration layer changes a form, its habilitations, its audit events and its mails in one
//! commit. Reads take the pool.

use santepki_domain::values::{
    ContractKind, ContractState, FormState, HabilitationState, MailState, RoleKind, RoleState, SignatureMethod,
};
use serde::Serialize;
use sqlx::{Any, AnyConnection, Executor};

use crate::{Db, StorageError};

/// A database connection (usually a transaction's) on which several statements run together.
pub type Conn = AnyConnection;

// --- Contracts -------------------------------------------------------------------------------

/// A contract with a legal entity (R3: one per legal entity, reused, never duplicated).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ContractRow {
    /// Internal contract id.
    pub id: String,
    /// The legal entity as an idNat-style key: `1` + FINESS juridique, `3` + SIRET, or `8` + RPPS.
    pub legal_entity: String,
    /// `structure` (a health structure) or `vendor` (a software vendor).
    #[sqlx(try_from = "crate::values::Text<ContractKind>")]
    pub kind: ContractKind,
    /// Raison sociale of the legal entity.
    pub name: String,
    /// `active` or `terminated`.
    #[sqlx(try_from = "crate::values::Text<ContractState>")]
    pub state: ContractState,
    /// Audit id of the actor who created the contract.
    pub created_by: String,
    /// When the contract was created, RFC 3339 UTC text.
    pub created_at: String,
    /// When the row last changed, RFC 3339 UTC text.
    pub updated_at: String,
}

const CONTRACT_COLS: &str = "id, legal_entity, kind, name, state, created_by, created_at, updated_at";

/// The contract of a legal entity (idNat-style key), if one exists.
pub async fn contract_by_entity<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    legal_entity: &str,
) -> Result<Option<ContractRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {CONTRACT_COLS} FROM contracts WHERE legal_entity = $1"))
        .bind(legal_entity)
        .fetch_optional(exec)
        .await?)
}

/// A contract by its internal id.
pub async fn contract(db: &Db, id: &str) -> Result<Option<ContractRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {CONTRACT_COLS} FROM contracts WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?)
}

/// Up to `limit` contracts, ordered by legal entity key.
pub async fn contracts(db: &Db, limit: i64) -> Result<Vec<ContractRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {CONTRACT_COLS} FROM contracts ORDER BY legal_entity LIMIT $1"))
        .bind(limit)
        .fetch_all(db.pool())
        .await?)
}

/// Inserts a contract unless its legal entity already has one (R3); `false` when it had.
pub async fn insert_contract(conn: &mut Conn, c: &ContractRow) -> Result<bool, StorageError> {
    let n = sqlx::query(&format!(
        "INSERT INTO contracts ({CONTRACT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (legal_entity) DO NOTHING"
    ))
    .bind(&c.id)
    .bind(&c.legal_entity)
    .bind(c.kind.as_str())
    .bind(&c.name)
    .bind(c.state.as_str())
    .bind(&c.created_by)
    .bind(&c.created_at)
    .bind(&c.updated_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Sets a contract's state (e.g. terminates it) inside the caller's transaction.
pub async fn set_contract_state(
    conn: &mut Conn,
    id: &str,
    state: ContractState,
    now: &str,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE contracts SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

// --- Roles -----------------------------------------------------------------------------------

/// A role held by a card holder: legal representative or mandataire of a legal entity (R4, R5), vendor
/// technical administrator (R6, R49) or agency operator.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RoleRow {
    /// Internal role id.
    pub id: String,
    /// `legal-representative`, `mandataire`, `vendor-administrator` or `operator`.
    #[sqlx(try_from = "crate::values::Text<RoleKind>")]
    pub kind: RoleKind,
    /// The contract's legal entity (idNat-style key); `None` for operators.
    pub legal_entity: Option<String>,
    /// Number of the CPx card the role is bound to.
    pub card_number: String,
    /// idNat_PS of the card holder.
    pub idnat_ps: String,
    /// The form that asked for the role (`101`, `301`, `502`, `503`) or `cli` for the command line;
    /// `None` when unknown.
    pub form: Option<String>,
    /// `requested`, `active`, `ended` or `refused`; an operator turns a request into an active role.
    #[sqlx(try_from = "crate::values::Text<RoleState>")]
    pub state: RoleState,
    /// Audit id of the actor who recorded the role.
    pub created_by: String,
    /// When the role was recorded, RFC 3339 UTC text.
    pub created_at: String,
    /// When the row last changed, RFC 3339 UTC text.
    pub updated_at: String,
}

const ROLE_COLS: &str =
    "id, kind, legal_entity, card_number, idnat_ps, form, state, created_by, created_at, updated_at";

/// Inserts a role inside the caller's transaction.
pub async fn insert_role(conn: &mut Conn, r: &RoleRow) -> Result<(), StorageError> {
    sqlx::query(&format!("INSERT INTO roles ({ROLE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(&r.id)
        .bind(r.kind.as_str())
        .bind(&r.legal_entity)
        .bind(&r.card_number)
        .bind(&r.idnat_ps)
        .bind(&r.form)
        .bind(r.state.as_str())
        .bind(&r.created_by)
        .bind(&r.created_at)
        .bind(&r.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A role by its internal id.
pub async fn role<'e, E: Executor<'e, Database = Any>>(exec: E, id: &str) -> Result<Option<RoleRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {ROLE_COLS} FROM roles WHERE id = $1")).bind(id).fetch_optional(exec).await?)
}

/// Changes a role's state if it is still `from`; `false` when it was not.
pub async fn set_role_state(
    conn: &mut Conn,
    id: &str,
    from: RoleState,
    to: RoleState,
    now: &str,
) -> Result<bool, StorageError> {
    let n = sqlx::query("UPDATE roles SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// The roles held with a card (every state), newest first.
pub async fn roles_of_card(db: &Db, card_number: &str) -> Result<Vec<RoleRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {ROLE_COLS} FROM roles WHERE card_number = $1 ORDER BY created_at DESC, id"))
        .bind(card_number)
        .fetch_all(db.pool())
        .await?)
}

/// The roles of a legal entity (every state).
pub async fn roles_of_entity(db: &Db, legal_entity: &str) -> Result<Vec<RoleRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {ROLE_COLS} FROM roles WHERE legal_entity = $1 ORDER BY kind, created_at, id"))
        .bind(legal_entity)
        .fetch_all(db.pool())
        .await?)
}

/// Roles waiting for an operator.
pub async fn requested_roles(db: &Db, limit: i64) -> Result<Vec<RoleRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ROLE_COLS} FROM roles WHERE state = 'requested' ORDER BY created_at, id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

// --- Counters --------------------------------------------------------------------------------

/// The next value of a counter shared by every node (1 for a new counter).
pub async fn next_counter(conn: &mut Conn, name: &str) -> Result<i64, StorageError> {
    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_scalar("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
        .bind(name)
        .fetch_one(conn)
        .await?)
}

// --- Forms 413 -------------------------------------------------------------------------------

/// A digital formulaire 413 (R19–R23, R47): a legal entity's request to habilitate technical
/// administrators on its structures.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FormRow {
    /// Internal form id.
    pub id: String,
    /// File reference number given on acknowledgement (R24); `None` before.
    pub reference: Option<String>,
    /// Which R26 case the structure falls in (which identifier the form takes), as stored JSON text.
    pub structure_case: String,
    /// The form as submitted, JSON text.
    pub body: String,
    /// `awaiting-signature`, `acknowledged`, `validated`, `rejected` or `withdrawn`.
    #[sqlx(try_from = "crate::values::Text<FormState>")]
    pub state: FormState,
    /// The legal entity (idNat-style key) whose contract the form falls under.
    pub legal_entity: String,
    /// The bulk submission the form came in (R48); `None` for a single form.
    pub bulk_id: Option<String>,
    /// Legal entity of the vendor that prepared the form (R26, R48); `None` if the structure did.
    pub vendor: Option<String>,
    /// Card number of whoever prepared the form.
    pub created_by: String,
    /// When the form was prepared, RFC 3339 UTC text.
    pub created_at: String,
    /// The exact text the signer signs: canonical JSON of the body and the form id.
    pub content: String,
    /// Card number of the signer (legal representative or mandataire); `None` until signed.
    pub signer_card: Option<String>,
    /// `session` (confirmed over the card-authenticated connection) or `cms` (detached CMS); `None` until signed.
    #[sqlx(try_from = "crate::values::NullableText<SignatureMethod>")]
    pub signature_method: Option<SignatureMethod>,
    /// The detached CMS signature (DER) for the `cms` method; never serialised.
    #[serde(skip)]
    pub signature: Option<Vec<u8>>,
    /// When the form was signed, RFC 3339 UTC text.
    pub signed_at: Option<String>,
    /// When the acknowledgement was sent, RFC 3339 UTC text.
    pub acknowledged_at: Option<String>,
    /// Card number of the operator who validated or rejected the form.
    pub decided_by: Option<String>,
    /// When it was validated or rejected, RFC 3339 UTC text.
    pub decided_at: Option<String>,
    /// The operator's reason, given on rejection.
    pub decision_reason: Option<String>,
    /// When the row last changed, RFC 3339 UTC text.
    pub updated_at: String,
}

const FORM_COLS: &str = "id, reference, structure_case, body, state, legal_entity, bulk_id, vendor, created_by, created_at, content, \
     signer_card, signature_method, signature, signed_at, acknowledged_at, decided_by, decided_at, decision_reason, updated_at";

/// Inserts a new form and the structure identifiers it names.
pub async fn insert_form(conn: &mut Conn, f: &FormRow, identifiers: &[String]) -> Result<(), StorageError> {
    sqlx::query(&format!(
        "INSERT INTO forms413 ({FORM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    ))
    .bind(&f.id)
    .bind(&f.reference)
    .bind(&f.structure_case)
    .bind(&f.body)
    .bind(f.state.as_str())
    .bind(&f.legal_entity)
    .bind(&f.bulk_id)
    .bind(&f.vendor)
    .bind(&f.created_by)
    .bind(&f.created_at)
    .bind(&f.content)
    .bind(&f.signer_card)
    .bind(f.signature_method.map(SignatureMethod::as_str))
    .bind(&f.signature)
    .bind(&f.signed_at)
    .bind(&f.acknowledged_at)
    .bind(&f.decided_by)
    .bind(&f.decided_at)
    .bind(&f.decision_reason)
    .bind(&f.updated_at)
    .execute(&mut *conn)
    .await?;
    for id in identifiers {
        sqlx::query("INSERT INTO form413_structures (form_id, idnat_struct) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&f.id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A form by its internal id.
pub async fn form<'e, E: Executor<'e, Database = Any>>(exec: E, id: &str) -> Result<Option<FormRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {FORM_COLS} FROM forms413 WHERE id = $1")).bind(id).fetch_optional(exec).await?)
}

/// Records the signature and the acknowledgement of a form still awaiting its signature; `false`
/// when another request got there first.
pub async fn sign_form(conn: &mut Conn, f: &FormRow) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "UPDATE forms413 SET state = $1, reference = $2, signer_card = $3, signature_method = $4, signature = $5, signed_at = $6, \
         acknowledged_at = $7, updated_at = $8 WHERE id = $9 AND state = 'awaiting-signature'",
    )
    .bind(f.state.as_str())
    .bind(&f.reference)
    .bind(&f.signer_card)
    .bind(f.signature_method.map(SignatureMethod::as_str))
    .bind(&f.signature)
    .bind(&f.signed_at)
    .bind(&f.acknowledged_at)
    .bind(&f.updated_at)
    .bind(&f.id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records an operator's decision on an acknowledged form; `false` when it was decided already.
pub async fn decide_form(
    conn: &mut Conn,
    id: &str,
    state: FormState,
    by: &str,
    reason: Option<&str>,
    now: &str,
) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "UPDATE forms413 SET state = $1, decided_by = $2, decided_at = $3, decision_reason = $4, updated_at = $3 \
         WHERE id = $5 AND state = 'acknowledged'",
    )
    .bind(state.as_str())
    .bind(by)
    .bind(now)
    .bind(reason)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Withdraws a form nobody signed yet; `false` when it was signed meanwhile.
pub async fn withdraw_form(conn: &mut Conn, id: &str, now: &str) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "UPDATE forms413 SET state = 'withdrawn', updated_at = $1 WHERE id = $2 AND state = 'awaiting-signature'",
    )
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Forms in a state, oldest acknowledgement (or creation) first.
pub async fn forms_in_state(db: &Db, state: FormState, limit: i64) -> Result<Vec<FormRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FORM_COLS} FROM forms413 WHERE state = $1 ORDER BY COALESCE(acknowledged_at, created_at), id LIMIT $2"
    ))
    .bind(state.as_str())
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Forms of a bulk submission.
pub async fn forms_of_bulk(db: &Db, bulk_id: &str) -> Result<Vec<FormRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {FORM_COLS} FROM forms413 WHERE bulk_id = $1 ORDER BY id"))
        .bind(bulk_id)
        .fetch_all(db.pool())
        .await?)
}

/// Forms naming a structure identifier, or of a legal entity, newest first.
pub async fn forms_about(db: &Db, idnat_struct_or_entity: &str, limit: i64) -> Result<Vec<FormRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FORM_COLS} FROM forms413 WHERE legal_entity = $1 OR id IN (SELECT form_id FROM form413_structures WHERE idnat_struct = $1) \
         ORDER BY created_at DESC, id LIMIT $2"
    ))
    .bind(idnat_struct_or_entity)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// The validated forms naming a structure identifier in section 2, oldest decision first: what
/// the structure declared (offers, domain names, R23).
pub async fn validated_forms_of_structure(db: &Db, idnat_struct: &str) -> Result<Vec<FormRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {FORM_COLS} FROM forms413 WHERE state = 'validated' AND id IN \
         (SELECT form_id FROM form413_structures WHERE idnat_struct = $1) ORDER BY decided_at, id"
    ))
    .bind(idnat_struct)
    .fetch_all(db.pool())
    .await?)
}

/// Forms a card prepared, must sign, or names as administrator (`card_needle` is `"card_number":"N"`).
pub async fn forms_of_card(db: &Db, card: &str, limit: i64) -> Result<Vec<FormRow>, StorageError> {
    let needle = format!("%\"card_number\":\"{card}\"%");
    Ok(sqlx::query_as(&format!(
        "SELECT {FORM_COLS} FROM forms413 WHERE created_by = $1 OR signer_card = $1 OR body LIKE $2 ORDER BY created_at DESC, id LIMIT $3"
    ))
    .bind(card)
    .bind(needle)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

// --- Habilitations ---------------------------------------------------------------------------

/// A habilitation (R25): one technical administrator's right to order certificates for one
/// structure identifier.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HabilitationRow {
    /// Internal habilitation id.
    pub id: String,
    /// The idNat_Struct the administrator may order certificates for.
    pub idnat_struct: String,
    /// Card number of the technical administrator.
    pub card_number: String,
    /// The formulaire 413 that granted it.
    pub form_id: String,
    /// Legal entity of the vendor the administrator works for (R49); `None` for the structure's own staff.
    pub vendor: Option<String>,
    /// `active` or `withdrawn`.
    #[sqlx(try_from = "crate::values::Text<HabilitationState>")]
    pub state: HabilitationState,
    /// When it was granted, RFC 3339 UTC text.
    pub created_at: String,
    /// When the row last changed, RFC 3339 UTC text.
    pub updated_at: String,
    /// Card number of whoever withdrew it; `None` while active.
    pub withdrawn_by: Option<String>,
    /// Why it was withdrawn; `None` while active.
    pub withdrawn_reason: Option<String>,
}

const HAB_COLS: &str =
    "id, idnat_struct, card_number, form_id, vendor, state, created_at, updated_at, withdrawn_by, withdrawn_reason";

/// The active habilitation of an administrator for a structure, if any.
pub async fn active_habilitation(
    conn: &mut Conn,
    idnat_struct: &str,
    card: &str,
) -> Result<Option<HabilitationRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HAB_COLS} FROM habilitations WHERE idnat_struct = $1 AND card_number = $2 AND state = 'active'"
    ))
    .bind(idnat_struct)
    .bind(card)
    .fetch_optional(conn)
    .await?)
}

/// Inserts a habilitation inside the caller's transaction.
pub async fn insert_habilitation(conn: &mut Conn, h: &HabilitationRow) -> Result<(), StorageError> {
    sqlx::query(&format!("INSERT INTO habilitations ({HAB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(&h.id)
        .bind(&h.idnat_struct)
        .bind(&h.card_number)
        .bind(&h.form_id)
        .bind(&h.vendor)
        .bind(h.state.as_str())
        .bind(&h.created_at)
        .bind(&h.updated_at)
        .bind(&h.withdrawn_by)
        .bind(&h.withdrawn_reason)
        .execute(conn)
        .await?;
    Ok(())
}

/// A habilitation by its internal id.
pub async fn habilitation<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id: &str,
) -> Result<Option<HabilitationRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {HAB_COLS} FROM habilitations WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await?)
}

/// Withdraws an active habilitation; `false` when it was not active.
pub async fn withdraw_habilitation(
    conn: &mut Conn,
    id: &str,
    by: &str,
    reason: &str,
    now: &str,
) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "UPDATE habilitations SET state = 'withdrawn', withdrawn_by = $1, withdrawn_reason = $2, updated_at = $3 WHERE id = $4 AND state = 'active'",
    )
    .bind(by)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Active habilitations of a structure identifier.
pub async fn habilitations_of_structure(db: &Db, idnat_struct: &str) -> Result<Vec<HabilitationRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HAB_COLS} FROM habilitations WHERE idnat_struct = $1 AND state = 'active' ORDER BY card_number"
    ))
    .bind(idnat_struct)
    .fetch_all(db.pool())
    .await?)
}

/// Active habilitations of an administrator's card.
pub async fn habilitations_of_card<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    card: &str,
) -> Result<Vec<HabilitationRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HAB_COLS} FROM habilitations WHERE card_number = $1 AND state = 'active' ORDER BY idnat_struct"
    ))
    .bind(card)
    .fetch_all(exec)
    .await?)
}

/// Active habilitations of a vendor's administrators (R49).
pub async fn habilitations_of_vendor(db: &Db, vendor: &str) -> Result<Vec<HabilitationRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {HAB_COLS} FROM habilitations WHERE vendor = $1 AND state = 'active' ORDER BY idnat_struct, card_number"))
        .bind(vendor)
        .fetch_all(db.pool())
        .await?)
}

/// Active habilitations a form created.
pub async fn habilitations_of_form(db: &Db, form_id: &str) -> Result<Vec<HabilitationRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HAB_COLS} FROM habilitations WHERE form_id = $1 ORDER BY idnat_struct, card_number"
    ))
    .bind(form_id)
    .fetch_all(db.pool())
    .await?)
}

// --- Mail outbox -----------------------------------------------------------------------------

/// An outgoing mail of the transactional outbox, written with the change it announces and
/// delivered later by whichever node claims it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MailRow {
    /// Internal mail id.
    pub id: String,
    /// Comma-separated recipient e-mail addresses.
    pub recipients: String,
    /// Mail subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// What the mail is about (the form or habilitation, e.g. `form413:<id>`).
    pub about: String,
    /// `queued`, `sending`, `sent` or `failed`.
    #[sqlx(try_from = "crate::values::Text<MailState>")]
    pub state: MailState,
    /// Number of delivery attempts made so far.
    pub attempts: i64,
    /// Error of the last failed attempt; `None` if none failed.
    pub last_error: Option<String>,
    /// When a node claimed it for sending, RFC 3339 UTC text; `None` while unclaimed.
    pub claimed_at: Option<String>,
    /// When it was queued, RFC 3339 UTC text.
    pub created_at: String,
    /// When it was delivered, RFC 3339 UTC text; `None` until sent.
    pub sent_at: Option<String>,
}

const MAIL_COLS: &str =
    "id, recipients, subject, body, about, state, attempts, last_error, claimed_at, created_at, sent_at";

/// Queues a mail inside the caller's transaction, so it is sent only if the change commits.
pub async fn enqueue_mail(conn: &mut Conn, m: &MailRow) -> Result<(), StorageError> {
    sqlx::query(&format!(
        "INSERT INTO mail_outbox ({MAIL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(&m.id)
    .bind(&m.recipients)
    .bind(&m.subject)
    .bind(&m.body)
    .bind(&m.about)
    .bind(m.state.as_str())
    .bind(m.attempts)
    .bind(&m.last_error)
    .bind(&m.claimed_at)
    .bind(&m.created_at)
    .bind(&m.sent_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Mails due for delivery: queued ones, and those a stopped node claimed before `stale`.
pub async fn mails_due(db: &Db, stale: &str, limit: i64) -> Result<Vec<MailRow>, StorageError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {MAIL_COLS} FROM mail_outbox WHERE state = 'queued' OR (state = 'sending' AND claimed_at < $1) ORDER BY created_at, id LIMIT $2"
    ))
    .bind(stale)
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

/// Claims a mail for delivery by this node; `false` when another node claimed it.
pub async fn claim_mail(db: &Db, id: &str, stale: &str, now: &str) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "UPDATE mail_outbox SET state = 'sending', claimed_at = $1, attempts = attempts + 1 \
         WHERE id = $2 AND (state = 'queued' OR (state = 'sending' AND claimed_at < $3))",
    )
    .bind(now)
    .bind(id)
    .bind(stale)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Marks a claimed mail sent, or back to queued (or failed after too many attempts).
pub async fn finish_mail(db: &Db, id: &str, outcome: Result<&str, (&str, bool)>) -> Result<(), StorageError> {
    match outcome {
        Ok(now) => {
            sqlx::query("UPDATE mail_outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(db.pool())
                .await?;
        }
        Err((error, give_up)) => {
            sqlx::query("UPDATE mail_outbox SET state = $1, last_error = $2 WHERE id = $3")
                .bind(if give_up { MailState::Failed } else { MailState::Queued }.as_str())
                .bind(error)
                .bind(id)
                .execute(db.pool())
                .await?;
        }
    }
    Ok(())
}

/// Mails about a form or habilitation, oldest first.
pub async fn mails_about(db: &Db, about: &str) -> Result<Vec<MailRow>, StorageError> {
    Ok(sqlx::query_as(&format!("SELECT {MAIL_COLS} FROM mail_outbox WHERE about = $1 ORDER BY created_at, id"))
        .bind(about)
        .fetch_all(db.pool())
        .await?)
}

// --- Cards the platform issues ---------------------------------------------------------------

/// Source of the directory rows the platform itself creates (cards it issues and their holders
/// who are not in the RPPS extract): re-imports of public files never close them.
pub const SOURCE_PLATFORM: &str = "santepki";

/// A card holder the public extracts do not know (a CPE, CPA, CDE or CDA holder).
pub struct NewHolder<'a> {
    /// The holder's idNat_PS (for a holder known only to the platform, `<idNat_Struct>/<n>`).
    pub idnat_ps: &'a str,
    /// Type d'identifiant PP (`0` ADELI, `8` RPPS; `3` for holders identified within their structure).
    pub id_type: &'a str,
    /// The identifier without its type prefix.
    pub national_id: &'a str,
    /// Nom d'exercice (surname), upper case.
    pub last_name: &'a str,
    /// Prénom d'exercice (given name), upper case.
    pub first_name: &'a str,
    /// Libellé profession, if known.
    pub profession_label: Option<&'a str>,
}

/// Records a holder unless known; `false` when the idNat_PS existed.
pub async fn insert_holder(conn: &mut Conn, h: &NewHolder<'_>, now: &str) -> Result<bool, StorageError> {
    let name_key = format!("{} {}", h.last_name, h.first_name).to_uppercase();
    let n = sqlx::query(
        "INSERT INTO professionals (idnat_ps, id_type, national_id, last_name, first_name, name_key, profession_label, source, \
         content_hash, last_import, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $9) \
         ON CONFLICT (idnat_ps) DO NOTHING",
    )
    .bind(h.idnat_ps)
    .bind(h.id_type)
    .bind(h.national_id)
    .bind(h.last_name)
    .bind(h.first_name)
    .bind(name_key)
    .bind(h.profession_label)
    .bind(SOURCE_PLATFORM)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records a card the platform issues; `false` when the number is taken.
pub async fn insert_card(conn: &mut Conn, c: &crate::directory::CardRow, now: &str) -> Result<bool, StorageError> {
    let n = sqlx::query(
        "INSERT INTO cards (card_number, card_type, idnat_ps, valid_from, valid_until, opposed_on, source, content_hash, last_import, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, 0, 0, $7, $7) ON CONFLICT (card_number) DO NOTHING",
    )
    .bind(&c.card_number)
    .bind(c.card_type.as_str())
    .bind(&c.idnat_ps)
    .bind(&c.valid_from)
    .bind(&c.valid_until)
    .bind(SOURCE_PLATFORM)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Puts a card in opposition (revoked) from `day`; `false` when it already was.
pub async fn oppose_card(conn: &mut Conn, number: &str, day: &str, now: &str) -> Result<bool, StorageError> {
    let n =
        sqlx::query("UPDATE cards SET opposed_on = $1, updated_at = $2 WHERE card_number = $3 AND opposed_on IS NULL")
            .bind(day)
            .bind(now)
            .bind(number)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// Serials of the live card certificates of a card.
pub async fn card_certificate_serials<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    number: &str,
) -> Result<Vec<String>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT serial FROM ca_certificates WHERE card_number = $1 AND status = 'issued' ORDER BY serial",
    )
    .bind(number)
    .fetch_all(executor)
    .await?)
}
