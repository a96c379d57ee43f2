//! `/api/v1/directory`: the national directory search (R45).
//!
//! - `GET /search?q=…[&kind=…][&limit=…]`: one search box, the kind guessed from the value's
//!   form unless given (`rpps`, `adeli`, `idnat-ps`, `card`, `finess`, `siret`, `rpps-rang`,
//!   `idnat-struct`, `name`, `structure-name`);
//! - `GET /professionals/{id}`: by RPPS (11 digits), idNat_PS (12) or ADELI (9);
//! - `GET /professionals?name=…`: by name prefix;
//! - `GET /cards/{number}`: the card holder;
//! - `GET /structures/{id}`: by idNat_Struct, FINESS, SIRET or RPPS rang;
//! - `GET /structures?name=…`: by name prefix;
//! - `GET /stats`: counts and recent imports.

use std::collections::HashMap;

use axum::extract::{Path, Query as QueryString, State};
use axum::routing::get;
use axum::{Json, Router};
use santepki_directory::search::{Query, SearchResult, DEFAULT_LIMIT, MAX_LIMIT};
use santepki_storage::directory as store;

use crate::api::directory::{DirectoryAnswer, DirectoryStats, SearchKind};
use crate::api::ids::{CardNumber, ProfessionalId, StructureId};
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(search))
        .route("/professionals", get(professionals_by_name))
        .route("/professionals/{id}", get(professional))
        .route("/cards/{number}", get(card))
        .route("/structures", get(structures_by_name))
        .route("/structures/{id}", get(structure))
        .route("/stats", get(stats))
}

type Params = QueryString<HashMap<String, String>>;

fn limit(params: &HashMap<String, String>) -> Result<i64, ApiError> {
    match params.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_request(
                "invalid_limit",
                "limit",
                format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// Runs a query; a look-up that finds nothing is a 404, a name search that finds nothing an empty
/// list.
async fn run(state: &AppState, q: Query, limit: i64, field: &str) -> Result<Json<SearchResult>, ApiError> {
    let result = state.directory.search(&q, limit).await.map_err(|e| ApiError::from_search(e, field))?;
    match result {
        SearchResult::NotFound => Err(ApiError::not_found("nothing in the directory matches")),
        found => Ok(Json(found)),
    }
}

/// One search box (R45): the kind of value is guessed from its form unless given.
#[utoipa::path(get, path = "/api/v1/directory/search", tag = "directory",
    params(("q" = String, Query, description = "The value to search: an identifier, a card number or a name"),
        ("kind" = Option<SearchKind>, Query), ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Default 20")),
    responses((status = 200, description = "The professional, the structure, or the list of names found", body = DirectoryAnswer),
        (status = 400, description = "No value, a bad kind or limit, or an identifier that is not valid", body = ApiError),
        (status = 404, description = "Nothing in the directory matches", body = ApiError)))]
async fn search(State(state): State<AppState>, QueryString(params): Params) -> Result<Json<SearchResult>, ApiError> {
    let value = params.get("q").map(String::as_str).unwrap_or("").trim();
    if value.is_empty() {
        return Err(ApiError::bad_request("missing_parameter", "q", "give the value to search in q"));
    }
    let limit = limit(&params)?;
    let query = match params.get("kind") {
        Some(kind) => Query::parse(kind, value, state.mode),
        None => Query::guess(value, state.mode),
    }
    .map_err(|e| ApiError::from_search(e, "q"))?;
    run(&state, query, limit, "q").await
}

/// A professional by RPPS, idNat_PS or ADELI, with cards and exercise situations.
#[utoipa::path(get, path = "/api/v1/directory/professionals/{id}", tag = "directory", params(("id" = ProfessionalId, Path)),
    responses((status = 200, description = "The professional", body = DirectoryAnswer),
        (status = 400, description = "Not an RPPS, idNat_PS or ADELI", body = ApiError),
        (status = 404, description = "Unknown professional", body = ApiError)))]
async fn professional(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<SearchResult>, ApiError> {
    let kind = match id.len() {
        11 => "rpps",
        12 => "idnat-ps",
        9 => "adeli",
        _ => {
            return Err(ApiError::bad_request(
                "invalid_identifier",
                "id",
                format!(
                    "{:?} is not an RPPS (11 digits), an idNat_PS (12 characters) or an ADELI (9 characters)",
                    shorten(&id)
                ),
            ))
        }
    };
    let q = Query::parse(kind, &id, state.mode).map_err(|e| ApiError::from_search(e, "id"))?;
    run(&state, q, 1, "id").await
}

/// The holder of a CPx card.
#[utoipa::path(get, path = "/api/v1/directory/cards/{number}", tag = "directory", params(("number" = CardNumber, Path)),
    responses((status = 200, description = "The card's holder", body = DirectoryAnswer),
        (status = 400, description = "Not a card number", body = ApiError),
        (status = 404, description = "Unknown card", body = ApiError)))]
async fn card(State(state): State<AppState>, Path(number): Path<String>) -> Result<Json<SearchResult>, ApiError> {
    let q = Query::parse("card", &number, state.mode).map_err(|e| ApiError::from_search(e, "number"))?;
    run(&state, q, 1, "number").await
}

/// A structure by idNat_Struct, FINESS, SIRET or RPPS rang.
#[utoipa::path(get, path = "/api/v1/directory/structures/{id}", tag = "directory", params(("id" = StructureId, Path)),
    responses((status = 200, description = "The structure", body = DirectoryAnswer),
        (status = 400, description = "Not an idNat_Struct, FINESS, SIRET or RPPS rang", body = ApiError),
        (status = 404, description = "Unknown structure", body = ApiError)))]
async fn structure(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<SearchResult>, ApiError> {
    let kind = match id.len() {
        9 => "finess",
        14 => {
            let q = Query::guess(&id, state.mode).map_err(|e| ApiError::from_search(e, "id"))?;
            return run(&state, q, 1, "id").await;
        }
        10 | 13 | 15 | 16 => "idnat-struct",
        _ => {
            return Err(ApiError::bad_request(
                "invalid_identifier",
                "id",
                format!("{:?} is not an idNat_Struct, a FINESS (9), a SIRET (14) or an RPPS rang (14)", shorten(&id)),
            ))
        }
    };
    let q = Query::parse(kind, &id, state.mode).map_err(|e| ApiError::from_search(e, "id"))?;
    run(&state, q, 1, "id").await
}

/// Professionals by name prefix.
#[utoipa::path(get, path = "/api/v1/directory/professionals", tag = "directory",
    params(("name" = String, Query, description = "The beginning of the last name"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Default 20")),
    responses((status = 200, description = "The professionals found (maybe none)", body = DirectoryAnswer),
        (status = 400, description = "No name, or a bad limit", body = ApiError),
        (status = 404, description = "Nothing matches", body = ApiError)))]
async fn professionals_by_name(
    State(state): State<AppState>,
    QueryString(params): Params,
) -> Result<Json<SearchResult>, ApiError> {
    by_name(state, params, "name").await
}

/// Structures by name prefix.
#[utoipa::path(get, path = "/api/v1/directory/structures", tag = "directory",
    params(("name" = String, Query, description = "The beginning of the name"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Default 20")),
    responses((status = 200, description = "The structures found (maybe none)", body = DirectoryAnswer),
        (status = 400, description = "No name, or a bad limit", body = ApiError),
        (status = 404, description = "Nothing matches", body = ApiError)))]
async fn structures_by_name(
    State(state): State<AppState>,
    QueryString(params): Params,
) -> Result<Json<SearchResult>, ApiError> {
    by_name(state, params, "structure-name").await
}

async fn by_name(state: AppState, params: HashMap<String, String>, kind: &str) -> Result<Json<SearchResult>, ApiError> {
    let name = params.get("name").map(String::as_str).unwrap_or("");
    let limit = limit(&params)?;
    let q = Query::parse(kind, name, state.mode).map_err(|e| ApiError::from_search(e, "name"))?;
    run(&state, q, limit, "name").await
}

/// What the directory holds, and its recent imports.
#[utoipa::path(get, path = "/api/v1/directory/stats", tag = "directory",
    responses((status = 200, description = "Counts and recent imports", body = DirectoryStats)))]
async fn stats(State(state): State<AppState>) -> Result<Json<DirectoryStats>, ApiError> {
    let counts = store::counts(&state.db).await.map_err(ApiError::internal)?;
    let runs = store::recent_runs(&state.db, 10).await.map_err(ApiError::internal)?;
    Ok(Json(DirectoryStats { counts: counts.into(), recent_imports: runs.into_iter().map(Into::into).collect() }))
}

fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}
