//! The registration API (`/api/v1`): forms 413, signatures, back-office decisions,
//! habilitations, contracts, roles and cards. Every route needs a card: the client certificate
//! of the mutual-TLS connection ([`Card`]); the registration layer checks on every call what
//! that card may do.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use santepki_domain::form413::Form413;
use santepki_domain::values::{ContractKind, SignatureMethod};
use santepki_registration::contracts::NewContract;
use santepki_registration::forms::{BulkDecision, BulkOutcome, Proposal, QueuedForm};
use santepki_registration::forms::{Decision, Signature};
use santepki_registration::habilitations::Transfer;
use santepki_registration::roles::NewRole;
use santepki_registration::{Actor, Registration};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::registration::{
    list, CardDetail, CardRecord, ChangeOutcome, Contract, ContractDetail, ContractOutcome, Form, FormDetail,
    Habilitation, HabilitationDetail, Role, TransferOutcome,
};
use crate::api::text_schema;
use crate::error::ApiError;
use crate::openapi::CardAuthentication;
use crate::tls::PeerCertificate;
use crate::AppState;

/// The registration routes: forms 413, habilitations and cards (card-authenticated).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/forms413", post(prepare_form).get(my_forms))
        .route("/forms413/bulk", post(prepare_bulk))
        .route("/forms413/bulk/{id}", get(bulk_forms))
        .route("/forms413/bulk/{id}/decision", post(decide_bulk))
        .route("/forms413/{id}", get(form))
        .route("/forms413/{id}/content", get(form_content))
        .route("/forms413/{id}/signature", post(sign_form))
        .route("/forms413/{id}/decision", post(decide_form))
        .route("/forms413/{id}/withdrawal", post(withdraw_form))
        .route("/back-office/queue", get(queue))
        .route("/prefill", get(prefill))
        .route("/habilitations", get(my_habilitations))
        .route("/habilitations/{id}/withdrawal", post(withdraw_habilitation))
        .route("/structures/{id}/habilitations", get(structure_habilitations))
        .route("/structures/{id}/administrators", post(change_administrator))
        .route("/vendors/{entity}/habilitations", get(vendor_habilitations))
        .route("/vendors/{entity}/habilitations/transfer", post(transfer_habilitations))
        .route("/contracts", post(create_contract).get(contracts))
        .route("/contracts/{id}", get(contract))
        .route("/contracts/{id}/termination", post(terminate_contract))
        .route("/contracts/{id}/roles", post(request_role))
        .route("/role-requests", get(role_requests))
        .route("/roles/{id}/decision", post(decide_role))
        .route("/roles/{id}/end", post(end_role))
        .route("/cards", post(register_card))
        .route("/cards/{number}", get(card))
        .route("/cards/{number}/opposition", post(oppose_card))
}

pub(crate) fn registration(state: &AppState) -> Result<&Registration, ApiError> {
    state.registration.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ca_not_initialised",
            "the certificate authority is not initialised: run `santepki ca init`",
        )
    })
}

/// The card holder behind the request's client certificate. Without a card: 401
/// `card_required`; with a certificate that is not a good card certificate, or a card that is
/// expired or opposed: 401 with the reason.
pub struct Card(pub Actor);

impl FromRequestParts<AppState> for Card {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<PeerCertificate>().and_then(|p| p.0.clone());
        let Some(der) = peer else {
            return Err(ApiError {
                rule: Some("R27"),
                ..ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "card_required",
                    "authentification par carte requise (certificat client TLS)",
                )
            });
        };
        let reg = registration(state)?;
        match reg.actor_from_certificate(&der).await {
            Ok(actor) => Ok(Card(actor)),
            Err(santepki_registration::RegError::Storage(e)) => Err(ApiError::internal(e)),
            Err(e) => {
                Err(ApiError { rule: Some("R2"), ..ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string()) })
            }
        }
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// A JSON body, with a 400 naming the problem instead of axum's plain-text rejection.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        // A body declared as something else than JSON is 415 (none declared is read as JSON).
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let essence = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if essence != "application/json" && !(essence.starts_with("application/") && essence.ends_with("+json")) {
                return Err(ApiError {
                    field: Some("Content-Type".into()),
                    ..ApiError::new(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        format!("the body must be JSON (Content-Type: application/json), not {essence:?}"),
                    )
                });
            }
        }
        // A body over the limit is 413 `body_too_large` (it was a 400), a broken one 400.
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            let status = e.status();
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "body_unreadable" };
            ApiError { field: Some("body".into()), ..ApiError::new(status, code, e.body_text()) }
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de).map(Body).map_err(|e| {
            let path = e.path().to_string();
            ApiError::bad_request("invalid_json", if path == "." { "body" } else { &path }, e.inner().to_string())
        })
    }
}

macro_rules! reg_call {
    ($state:expr, $call:ident ( $($arg:expr),* )) => {
        registration(&$state)?.$call($($arg),*).await.map_err(ApiError::from_registration)
    };
}

// Every operation below also answers 401 (no card, or a card that is not valid: R2, R27) and
// 503 (CA not initialised); `crate::openapi` adds both to each operation of the document, with
// the mutual-TLS security requirement.

/// `GET /me`: the card holder, roles and habilitations.
#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    card: Actor,
    roles: Vec<Role>,
    habilitations: Vec<HabilitationDetail>,
}

/// The authenticated card, its roles and habilitations.
#[utoipa::path(get, path = "/api/v1/me", tag = "cards", responses((status = 200, description = "The card holder, roles, habilitations", body = Me)))]
async fn me(State(s): State<AppState>, Card(actor): Card) -> ApiResult<Json<Me>> {
    let roles = reg_call!(s, active_roles(&actor))?;
    let habilitations = reg_call!(s, my_habilitations(&actor))?;
    Ok(Json(Me { card: actor, roles: list(roles), habilitations: list(habilitations) }))
}

/// Prepares a form 413 (checked against every rule; then it awaits its signer).
#[utoipa::path(post, path = "/api/v1/forms413", tag = "forms413", request_body = Form413,
    responses((status = 201, description = "Prepared, awaiting the signature", body = FormDetail),
        (status = 400, description = "Not a form 413 (JSON)", body = ApiError),
        (status = 403, description = "Not your structure", body = ApiError),
        (status = 422, description = "Refused: each refusal with field and rule", body = ApiError)))]
async fn prepare_form(
    State(s): State<AppState>,
    Card(actor): Card,
    Body(form): Body<Form413>,
) -> ApiResult<(StatusCode, Json<FormDetail>)> {
    Ok((StatusCode::CREATED, Json(reg_call!(s, prepare_form(&actor, form))?.into())))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct FormList {
    forms: Vec<Form>,
}

#[utoipa::path(get, path = "/api/v1/forms413", tag = "forms413", responses((status = 200, description = "The forms the card prepared, signs, administers or speaks for", body = FormList)))]
async fn my_forms(State(s): State<AppState>, Card(actor): Card) -> ApiResult<Json<FormList>> {
    Ok(Json(FormList { forms: list(reg_call!(s, forms_of(&actor))?) }))
}

#[derive(Deserialize, ToSchema)]
struct BulkRequest {
    /// One form per client structure, each naming the submitting administrator (R48).
    forms: Vec<Form413>,
}

/// Rule R48: one submission for many client structures of a vendor's administrator.
#[utoipa::path(post, path = "/api/v1/forms413/bulk", tag = "forms413", request_body = BulkRequest,
    responses((status = 201, description = "Accepted and refused forms", body = BulkOutcome),
        (status = 400, description = "Bad request body", body = ApiError),
        (status = 403, description = "Not a vendor administrator", body = ApiError),
        (status = 422, description = "Refused", body = ApiError)))]
async fn prepare_bulk(
    State(s): State<AppState>,
    Card(actor): Card,
    Body(req): Body<BulkRequest>,
) -> ApiResult<(StatusCode, Json<BulkOutcome>)> {
    Ok((StatusCode::CREATED, Json(reg_call!(s, prepare_bulk(&actor, req.forms))?)))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct BulkForms {
    bulk_id: String,
    forms: Vec<Form>,
}

#[utoipa::path(get, path = "/api/v1/forms413/bulk/{id}", tag = "forms413", params(("id" = String, Path, description = "The bulk submission's id")),
    responses((status = 200, description = "The forms of a bulk submission", body = BulkForms),
        (status = 403, description = "Not the vendor's", body = ApiError),
        (status = 404, description = "Unknown, or not yours", body = ApiError)))]
async fn bulk_forms(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
) -> ApiResult<Json<BulkForms>> {
    let forms = reg_call!(s, bulk_forms(&actor, &id))?;
    Ok(Json(BulkForms { bulk_id: id, forms: list(forms) }))
}

#[utoipa::path(post, path = "/api/v1/forms413/bulk/{id}/decision", tag = "back-office", params(("id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, description = "Decided forms and habilitations created", body = BulkDecision),
        (status = 400, description = "Bad decision, or a rejection without its reason (R24)", body = ApiError),
        (status = 403, description = "Operators only, never for their own structure", body = ApiError),
        (status = 404, description = "Unknown bulk submission", body = ApiError),
        (status = 409, description = "Nothing awaiting a decision", body = ApiError)))]
async fn decide_bulk(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(d): Body<DecisionBody>,
) -> ApiResult<Json<BulkDecision>> {
    Ok(Json(reg_call!(s, decide_bulk(&actor, &id, &d.into()))?))
}

#[utoipa::path(get, path = "/api/v1/forms413/{id}", tag = "forms413", params(("id" = String, Path)),
    responses((status = 200, description = "The form", body = FormDetail), (status = 404, description = "Unknown, or not yours", body = ApiError)))]
async fn form(State(s): State<AppState>, Card(actor): Card, Path(id): Path<String>) -> ApiResult<Json<FormDetail>> {
    Ok(Json(reg_call!(s, form(&actor, &id))?.into()))
}

/// The exact bytes a signer signs (schema only: the bytes are served as stored).
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct SignedContent {
    form_id: String,
    form413: Form413,
}

/// The exact bytes the signer signs (for a detached CMS signature, R47).
#[utoipa::path(get, path = "/api/v1/forms413/{id}/content", tag = "forms413", params(("id" = String, Path)),
    responses((status = 200, description = "The bytes to sign: canonical JSON of the form id and the form", body = SignedContent, content_type = "application/json"),
        (status = 404, description = "Unknown, or not yours", body = ApiError)))]
async fn form_content(State(s): State<AppState>, Card(actor): Card, Path(id): Path<String>) -> ApiResult<Response> {
    let view = reg_call!(s, form(&actor, &id))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], view.row.content).into_response())
}

#[derive(Deserialize, ToSchema)]
struct SignBody {
    method: SignatureMethod,
    /// The detached CMS signature (DER, base64) for `cms`.
    #[serde(default)]
    #[schema(content_encoding = "base64")]
    cms: Option<String>,
}

/// A detached CMS signature sent as itself (DER or PEM).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct CmsSignature(Vec<u8>);

/// Signs a form (R47): JSON `{"method":"session"}`, JSON `{"method":"cms","cms":"<base64>"}`, or
/// the CMS itself as `application/pkcs7-signature` (DER or PEM).
#[utoipa::path(post, path = "/api/v1/forms413/{id}/signature", tag = "forms413", params(("id" = String, Path)),
    request_body(content((SignBody = "application/json"), (CmsSignature = "application/pkcs7-signature"))),
    responses((status = 200, description = "Signed and acknowledged with a file reference", body = FormDetail),
        (status = 400, description = "Bad body or bad signature", body = ApiError),
        (status = 403, description = "Not the signer", body = ApiError),
        (status = 404, description = "Unknown, or not yours", body = ApiError),
        (status = 409, description = "Not awaiting a signature", body = ApiError),
        (status = 415, description = "Neither JSON nor a CMS", body = ApiError),
        (status = 422, description = "The form no longer passes the rules", body = ApiError)))]
async fn sign_form(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<FormDetail>> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
    let cms: Option<Vec<u8>> = if content_type.starts_with("application/json") {
        let mut de = serde_json::Deserializer::from_slice(&body);
        let req: SignBody = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| ApiError::bad_request("invalid_json", &e.path().to_string(), e.inner().to_string()))?;
        match req.method {
            SignatureMethod::Session => None,
            SignatureMethod::Cms => {
                let b64 = req.cms.ok_or_else(|| {
                    ApiError::bad_request("field_required", "cms", "la signature CMS (base64) est requise")
                })?;
                let clean: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
                Some(
                    base64::engine::general_purpose::STANDARD
                        .decode(clean)
                        .map_err(|e| ApiError::bad_request("invalid_base64", "cms", e.to_string()))?,
                )
            }
        }
    } else if matches!(
        content_type.split(';').next().unwrap_or(""),
        "application/pkcs7-signature" | "application/cms" | "application/octet-stream"
    ) {
        Some(body.to_vec())
    } else {
        return Err(ApiError {
            field: Some("Content-Type".into()),
            ..ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "application/json ou application/pkcs7-signature",
            )
        });
    };
    let signature = match &cms {
        Some(bytes) => Signature::Cms(bytes),
        None => Signature::Session,
    };
    Ok(Json(reg_call!(s, sign_form(&actor, &id, signature))?.into()))
}

/// The operator's decision (R24).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
enum DecisionWord {
    Validate,
    Reject,
}

#[derive(Deserialize, ToSchema)]
struct DecisionBody {
    decision: DecisionWord,
    /// Mandatory to reject (R24).
    #[serde(default)]
    reason: Option<String>,
}

impl From<DecisionBody> for Decision {
    fn from(d: DecisionBody) -> Self {
        let decision = match d.decision {
            DecisionWord::Validate => "validate",
            DecisionWord::Reject => "reject",
        };
        Decision { decision: decision.into(), reason: d.reason }
    }
}

#[utoipa::path(post, path = "/api/v1/forms413/{id}/decision", tag = "back-office", params(("id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, description = "Decided; habilitations when validated", body = FormDetail),
        (status = 400, description = "Bad decision, or a rejection without its reason (R24)", body = ApiError),
        (status = 403, description = "Operators only, never for their own structure", body = ApiError),
        (status = 404, description = "Unknown form", body = ApiError),
        (status = 409, description = "Not awaiting a decision", body = ApiError),
        (status = 422, description = "The form no longer passes the rules", body = ApiError)))]
async fn decide_form(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(d): Body<DecisionBody>,
) -> ApiResult<Json<FormDetail>> {
    Ok(Json(reg_call!(s, decide_form(&actor, &id, &d.into()))?.into()))
}

#[utoipa::path(post, path = "/api/v1/forms413/{id}/withdrawal", tag = "forms413", params(("id" = String, Path)),
    responses((status = 200, description = "Withdrawn", body = Form),
        (status = 403, description = "Not the form's preparer", body = ApiError),
        (status = 404, description = "Unknown, or not yours", body = ApiError),
        (status = 409, description = "Already signed or decided", body = ApiError)))]
async fn withdraw_form(State(s): State<AppState>, Card(actor): Card, Path(id): Path<String>) -> ApiResult<Json<Form>> {
    Ok(Json(reg_call!(s, withdraw_form(&actor, &id))?.into()))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Queue {
    /// The back office's target, in French working days (R24).
    target_working_days: u32,
    forms: Vec<QueuedForm>,
}

/// The back office's queue, with each file's age in French working days (R24).
#[utoipa::path(get, path = "/api/v1/back-office/queue", tag = "back-office",
    responses((status = 200, description = "Signed forms awaiting a decision", body = Queue), (status = 403, description = "Operators only", body = ApiError)))]
async fn queue(State(s): State<AppState>, Card(actor): Card) -> ApiResult<Json<Queue>> {
    Ok(Json(Queue {
        target_working_days: santepki_registration::forms::TARGET_WORKING_DAYS,
        forms: reg_call!(s, queue(&actor))?,
    }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Proposals {
    proposals: Vec<Proposal>,
}

/// Rule R26: the forms the directory suggests for a professional (`professional=<idNat_PS>`)
/// or a structure (`structure=<idNat_Struct>`): exactly one of the two.
#[utoipa::path(get, path = "/api/v1/prefill", tag = "forms413",
    params(("professional" = Option<String>, Query, description = "idNat_PS"), ("structure" = Option<String>, Query, description = "idNat_Struct")),
    responses((status = 200, description = "Proposed forms", body = Proposals),
        (status = 400, description = "Neither or both of professional and structure, or a bad identifier", body = ApiError),
        (status = 404, description = "Not in the directory", body = ApiError)))]
async fn prefill(
    State(s): State<AppState>,
    Card(_actor): Card,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Proposals>> {
    let proposals = match (q.get("professional"), q.get("structure")) {
        (Some(p), None) => reg_call!(s, propose_for_professional(p))?,
        (None, Some(st)) => reg_call!(s, propose_for_structure(st))?,
        _ => {
            return Err(ApiError::bad_request(
                "query",
                "professional",
                "give professional=<idNat_PS> or structure=<idNat_Struct>",
            ))
        }
    };
    Ok(Json(Proposals { proposals }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Habilitations {
    habilitations: Vec<HabilitationDetail>,
}

#[utoipa::path(get, path = "/api/v1/habilitations", tag = "habilitations", responses((status = 200, description = "The card's habilitations (R27)", body = Habilitations)))]
async fn my_habilitations(State(s): State<AppState>, Card(actor): Card) -> ApiResult<Json<Habilitations>> {
    Ok(Json(Habilitations { habilitations: list(reg_call!(s, my_habilitations(&actor))?) }))
}

#[derive(Deserialize, ToSchema)]
struct ReasonBody {
    reason: String,
}

#[utoipa::path(post, path = "/api/v1/habilitations/{id}/withdrawal", tag = "habilitations", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, description = "Withdrawn", body = Habilitation),
        (status = 400, description = "Bad request body, or no reason", body = ApiError),
        (status = 403, description = "Not the structure's or the vendor's", body = ApiError),
        (status = 404, description = "Unknown habilitation", body = ApiError),
        (status = 409, description = "Already withdrawn", body = ApiError)))]
async fn withdraw_habilitation(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(b): Body<ReasonBody>,
) -> ApiResult<Json<Habilitation>> {
    Ok(Json(reg_call!(s, withdraw_habilitation(&actor, &id, &b.reason))?.into()))
}

/// Who administers a structure's certificates (R49).
#[utoipa::path(get, path = "/api/v1/structures/{id}/habilitations", tag = "habilitations", params(("id" = String, Path, description = "idNat_Struct")),
    responses((status = 200, description = "The structure's administrators", body = Habilitations),
        (status = 403, description = "Not the structure's", body = ApiError),
        (status = 404, description = "Unknown structure", body = ApiError)))]
async fn structure_habilitations(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
) -> ApiResult<Json<Habilitations>> {
    Ok(Json(Habilitations { habilitations: list(reg_call!(s, habilitations_of_structure(&actor, &id))?) }))
}

#[derive(Deserialize, ToSchema)]
struct AdministratorChangeBody {
    /// The administrator who leaves (card number).
    #[serde(default)]
    from_card: Option<String>,
    /// The administrator who arrives (card number).
    #[serde(default)]
    to_card: Option<String>,
}

/// Form 503 (R7): the structure changes its technical administrators (arrival, departure or
/// replacement) without a new form 413.
#[utoipa::path(post, path = "/api/v1/structures/{id}/administrators", tag = "habilitations", params(("id" = String, Path, description = "idNat_Struct")), request_body = AdministratorChangeBody,
    responses((status = 200, description = "Habilitations withdrawn and created", body = ChangeOutcome),
        (status = 400, description = "Bad request body or card", body = ApiError),
        (status = 403, description = "Not the structure's legal representative or mandataire", body = ApiError),
        (status = 404, description = "Unknown structure or card", body = ApiError),
        (status = 409, description = "No validated form 413, or nothing to change", body = ApiError)))]
async fn change_administrator(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(b): Body<AdministratorChangeBody>,
) -> ApiResult<Json<ChangeOutcome>> {
    let change =
        santepki_registration::habilitations::AdministratorChange { from_card: b.from_card, to_card: b.to_card };
    Ok(Json(reg_call!(s, change_administrator(&actor, &id, &change))?.into()))
}

#[utoipa::path(get, path = "/api/v1/vendors/{entity}/habilitations", tag = "habilitations", params(("entity" = String, Path, description = "The vendor's legal entity")),
    responses((status = 200, description = "The vendor's habilitations", body = Habilitations),
        (status = 403, description = "Not the vendor's", body = ApiError),
        (status = 404, description = "Unknown vendor", body = ApiError)))]
async fn vendor_habilitations(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(entity): Path<String>,
) -> ApiResult<Json<Habilitations>> {
    Ok(Json(Habilitations { habilitations: list(reg_call!(s, habilitations_of_vendor(&actor, &entity))?) }))
}

#[derive(Deserialize, ToSchema)]
struct TransferBody {
    from_card: String,
    to_card: String,
    /// Only these structure identifiers (default: all of the vendor's).
    #[serde(default)]
    structures: Option<Vec<String>>,
}

/// Rule R49: the vendor moves habilitations between its own administrators.
#[utoipa::path(post, path = "/api/v1/vendors/{entity}/habilitations/transfer", tag = "habilitations", params(("entity" = String, Path)), request_body = TransferBody,
    responses((status = 200, description = "Moved", body = TransferOutcome),
        (status = 400, description = "Bad request body or card", body = ApiError),
        (status = 403, description = "Not the vendor's", body = ApiError),
        (status = 404, description = "Unknown vendor or card", body = ApiError),
        (status = 409, description = "Nothing to move", body = ApiError)))]
async fn transfer_habilitations(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(entity): Path<String>,
    Body(b): Body<TransferBody>,
) -> ApiResult<Json<TransferOutcome>> {
    let t = Transfer { from_card: b.from_card, to_card: b.to_card, structures: b.structures };
    Ok(Json(reg_call!(s, transfer_habilitations(&actor, &entity, &t))?.into()))
}

#[derive(Deserialize, ToSchema)]
struct ContractBody {
    /// `1<FINESS juridique>`, `3<SIRET>` or `8<RPPS>`.
    legal_entity: String,
    /// Default `structure`.
    #[serde(default)]
    #[schema(value_type = Option<ContractKind>)]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    legal_representative_card: Option<String>,
}

/// Makes a contract (operators), or returns the legal entity's existing one (R3).
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = ContractBody,
    responses((status = 201, description = "Created", body = ContractOutcome),
        (status = 200, description = "Existing contract reused (R3)", body = ContractOutcome),
        (status = 400, description = "Bad request body or identifier", body = ApiError),
        (status = 403, description = "Operators only", body = ApiError),
        (status = 404, description = "Unknown legal entity or card", body = ApiError),
        (status = 409, description = "The contract is terminated", body = ApiError)))]
async fn create_contract(
    State(s): State<AppState>,
    Card(actor): Card,
    Body(b): Body<ContractBody>,
) -> ApiResult<(StatusCode, Json<ContractOutcome>)> {
    let req = NewContract {
        legal_entity: b.legal_entity,
        kind: b.kind,
        name: b.name,
        legal_representative_card: b.legal_representative_card,
    };
    let outcome = reg_call!(s, create_contract(&actor, req))?;
    let status = if outcome.reused { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(outcome.into())))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Contracts {
    contracts: Vec<Contract>,
}

#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", responses((status = 200, description = "Contracts the card may see", body = Contracts)))]
async fn contracts(State(s): State<AppState>, Card(actor): Card) -> ApiResult<Json<Contracts>> {
    Ok(Json(Contracts { contracts: list(reg_call!(s, contracts(&actor))?) }))
}

#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "contracts", params(("id" = String, Path)),
    responses((status = 200, description = "The contract and its roles", body = ContractDetail),
        (status = 403, description = "Not a contract the card may see", body = ApiError),
        (status = 404, description = "Unknown contract", body = ApiError)))]
async fn contract(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
) -> ApiResult<Json<ContractDetail>> {
    Ok(Json(reg_call!(s, contract(&actor, &id))?.into()))
}

#[utoipa::path(post, path = "/api/v1/contracts/{id}/termination", tag = "contracts", params(("id" = String, Path)),
    responses((status = 200, description = "Terminated", body = Contract),
        (status = 403, description = "Operators only", body = ApiError),
        (status = 404, description = "Unknown contract", body = ApiError),
        (status = 409, description = "Already terminated", body = ApiError)))]
async fn terminate_contract(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
) -> ApiResult<Json<Contract>> {
    Ok(Json(reg_call!(s, terminate_contract(&actor, &id))?.into()))
}

text_schema!(
    /// The roles a contract gives (R5, R49): every role kind but `operator`.
    RequestedRoleKind,
    values = ["mandataire", "vendor-administrator", "legal-representative"],
    "The role to give: `mandataire` (R5), `vendor-administrator` (R49) or `legal-representative` (R4)"
);

#[derive(Deserialize, ToSchema)]
struct RoleBody {
    #[schema(value_type = RequestedRoleKind)]
    kind: String,
    card_number: String,
    /// The paper form it comes from (`301`, `502`…).
    #[serde(default)]
    form: Option<String>,
}

/// Gives a role on a contract: a mandataire is requested (forms 301/502) and approved by an
/// operator (R5); a vendor names its administrators (R49).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/roles", tag = "contracts", params(("id" = String, Path)), request_body = RoleBody,
    responses((status = 201, description = "Role requested or given", body = Role),
        (status = 400, description = "Bad request body, kind or card", body = ApiError),
        (status = 403, description = "Not the contract's", body = ApiError),
        (status = 404, description = "Unknown contract or card", body = ApiError),
        (status = 409, description = "Terminated contract, or the role exists", body = ApiError)))]
async fn request_role(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(b): Body<RoleBody>,
) -> ApiResult<(StatusCode, Json<Role>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            reg_call!(
                s,
                request_role(&actor, &id, NewRole { kind: b.kind, card_number: b.card_number, form: b.form })
            )?
            .into(),
        ),
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Roles {
    roles: Vec<Role>,
}

#[utoipa::path(get, path = "/api/v1/role-requests", tag = "back-office",
    responses((status = 200, description = "Role requests awaiting an operator", body = Roles), (status = 403, description = "Operators only", body = ApiError)))]
async fn role_requests(State(s): State<AppState>, Card(actor): Card) -> ApiResult<Json<Roles>> {
    Ok(Json(Roles { roles: list(reg_call!(s, role_requests(&actor))?) }))
}

#[derive(Deserialize, ToSchema)]
struct RoleDecisionBody {
    approve: bool,
}

#[utoipa::path(post, path = "/api/v1/roles/{id}/decision", tag = "back-office", params(("id" = String, Path)), request_body = RoleDecisionBody,
    responses((status = 200, description = "Decided", body = Role),
        (status = 400, description = "Bad request body", body = ApiError),
        (status = 403, description = "Operators only", body = ApiError),
        (status = 404, description = "Unknown role", body = ApiError),
        (status = 409, description = "Not awaiting a decision", body = ApiError)))]
async fn decide_role(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(b): Body<RoleDecisionBody>,
) -> ApiResult<Json<Role>> {
    Ok(Json(reg_call!(s, decide_role(&actor, &id, b.approve))?.into()))
}

#[utoipa::path(post, path = "/api/v1/roles/{id}/end", tag = "contracts", params(("id" = String, Path)),
    responses((status = 200, description = "Ended", body = Role),
        (status = 403, description = "Not the contract's", body = ApiError),
        (status = 404, description = "Unknown role", body = ApiError),
        (status = 409, description = "Not active", body = ApiError)))]
async fn end_role(State(s): State<AppState>, Card(actor): Card, Path(id): Path<String>) -> ApiResult<Json<Role>> {
    Ok(Json(reg_call!(s, end_role(&actor, &id))?.into()))
}

text_schema!(
    /// The cards an operator registers (R2, R4, R5): every card type but the CPF.
    RegisteredCardType,
    values = ["CPS", "CPE", "CPA", "CDE", "CDA"],
    "The card type: CPS, CPE, CPA, CDE or CDA"
);

#[derive(Deserialize, ToSchema)]
struct CardBody {
    #[schema(value_type = RegisteredCardType)]
    card_type: String,
    /// The holder, when the directory knows them (`8<RPPS>` for a CPS).
    #[serde(default)]
    idnat_ps: Option<String>,
    /// A holder the directory does not know: names and the structure (idNat_Struct) of the card.
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    structure: Option<String>,
    /// Validity in months (default 36).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 120)]
    months: Option<u32>,
}

/// Registers a card (operators; R2, R4, R5).
#[utoipa::path(post, path = "/api/v1/cards", tag = "cards", request_body = CardBody,
    responses((status = 201, description = "Registered", body = CardRecord),
        (status = 400, description = "Bad request body, card type or holder", body = ApiError),
        (status = 403, description = "Operators only", body = ApiError),
        (status = 404, description = "Unknown holder or structure", body = ApiError),
        (status = 409, description = "The holder already has such a card", body = ApiError)))]
async fn register_card(
    State(s): State<AppState>,
    Card(actor): Card,
    Body(b): Body<CardBody>,
) -> ApiResult<(StatusCode, Json<CardRecord>)> {
    let req = santepki_registration::cards::NewCard {
        card_type: b.card_type,
        idnat_ps: b.idnat_ps,
        last_name: b.last_name,
        first_name: b.first_name,
        structure: b.structure,
        months: b.months,
        card_number: None,
    };
    Ok((StatusCode::CREATED, Json(reg_call!(s, register_card_as_operator(&actor, req))?.into())))
}

#[utoipa::path(get, path = "/api/v1/cards/{number}", tag = "cards", params(("number" = String, Path, description = "The card number")),
    responses((status = 200, description = "The card (its holder and operators)", body = CardDetail),
        (status = 403, description = "Neither its holder nor an operator", body = ApiError),
        (status = 404, description = "Unknown card", body = ApiError)))]
async fn card(State(s): State<AppState>, Card(actor): Card, Path(number): Path<String>) -> ApiResult<Json<CardDetail>> {
    Ok(Json(reg_call!(s, card_view(&actor, &number))?.into()))
}

/// Puts a card in opposition and revokes its card certificates (operators).
#[utoipa::path(post, path = "/api/v1/cards/{number}/opposition", tag = "cards", params(("number" = String, Path)),
    responses((status = 200, description = "Opposed", body = CardRecord),
        (status = 403, description = "Operators only", body = ApiError),
        (status = 404, description = "Unknown card", body = ApiError),
        (status = 409, description = "Already opposed", body = ApiError)))]
async fn oppose_card(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(number): Path<String>,
) -> ApiResult<Json<CardRecord>> {
    Ok(Json(reg_call!(s, oppose_card(&actor, &number))?.into()))
}

/// The OpenAPI document of the API, generated from the handlers above and in `orders`
/// (`crate::openapi` adds the card security scheme and the answers every operation shares).
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "santepki API", description = "IGC-Santé registration and ordering platform. Every route is authenticated by the card certificate over mutual TLS."),
    paths(
        me, prepare_form, my_forms, prepare_bulk, bulk_forms, decide_bulk, form, form_content, sign_form, decide_form, withdraw_form, queue, prefill,
        my_habilitations, withdraw_habilitation, structure_habilitations, change_administrator, vendor_habilitations, transfer_habilitations,
        create_contract, contracts, contract, terminate_contract, request_role, role_requests, decide_role, end_role, register_card, card, oppose_card,
        crate::orders::order, crate::orders::products, crate::orders::product, crate::orders::certificate, crate::orders::renew, crate::orders::revoke,
        crate::orders::doctrine, crate::orders::expiries,
        crate::audit::events
    ),
    components(schemas(ApiError, crate::orders::CertificateFormat)),
    modifiers(&CardAuthentication)
)]
pub struct ApiDoc;
