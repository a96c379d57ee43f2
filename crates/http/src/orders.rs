//! The ordering API (`/api/v1/products`): order, list, download, renew and revoke the
//! certificates of the structures a card administers (R27–R37).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use santepki_domain::values::{Offer, ProductProfile, RevocationReason};
use santepki_registration::doctrine::Doctrine;
use santepki_registration::orders::{Channel, Generate, MonthlyExpiries, OrderRequest, Ordered, ProductListing};
use santepki_storage::ordering::ProductSort;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::products::Product;
use crate::api::text_schema;
use crate::error::ApiError;
use crate::registration::{registration, ApiResult, Body, Card};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/products", post(order).get(products))
        .route("/products/{id}", get(product))
        .route("/products/{id}/certificate", get(certificate))
        .route("/products/{id}/renewal", post(renew))
        .route("/products/{id}/revocation", post(revoke))
        .route("/structures/{id}/doctrine", get(doctrine))
        .route("/expiries", get(expiries))
}

fn reg_err(e: santepki_registration::RegError) -> ApiError {
    ApiError::from_registration(e)
}

/// The key types of an online generation (R31).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum KeyAlgorithm {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    P256,
    P384,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct GenerateBody {
    /// Passphrase of the PKCS#12 (8 characters at least).
    #[schema(min_length = 8, format = Password)]
    passphrase: String,
    /// Default `rsa2048`.
    #[serde(default)]
    #[schema(value_type = Option<KeyAlgorithm>)]
    algorithm: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct OrderBody {
    #[schema(value_type = ProductProfile)]
    profile: String,
    /// The habilitated structure (idNat_Struct).
    structure: String,
    /// Service applicatif (R29): `DMP AUTHENTIFICATION`, `INSI-AUTO`…
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    dns: Vec<String>,
    #[serde(default)]
    emails: Vec<String>,
    #[serde(default)]
    upn: Option<String>,
    #[serde(default)]
    professional: Option<String>,
    /// Mandatory (R30).
    #[schema(format = Email)]
    actor_email: String,
    #[serde(default)]
    #[schema(format = Email)]
    copy_email: Option<String>,
    /// PKCS#10 request in PEM.
    #[serde(default)]
    csr: Option<String>,
    /// Online generation (R31): the PKCS#12 comes back once, in this answer.
    #[serde(default)]
    generate: Option<GenerateBody>,
}

/// An order's answer: the product, its certificate and, for an online generation (R31), the
/// PKCS#12 of the key, delivered here once (the key is not kept).
#[derive(Serialize, ToSchema)]
pub(crate) struct OrderedAnswer {
    product: Product,
    /// The certificate then its chain (PEM).
    certificate_pem: String,
    /// The PKCS#12 (DER, base64) of a generated key, under the order's passphrase.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(content_encoding = "base64")]
    pkcs12_base64: Option<String>,
}

fn ordered(o: Ordered) -> ApiResult<(StatusCode, Json<OrderedAnswer>)> {
    let pkcs12_base64 = o.pkcs12.as_ref().map(|p12| base64::engine::general_purpose::STANDARD.encode(p12));
    Ok((
        StatusCode::CREATED,
        Json(OrderedAnswer { product: o.product.into(), certificate_pem: o.certificate_pem, pkcs12_base64 }),
    ))
}

/// Orders a certificate for a habilitated structure (R27–R32).
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = OrderBody,
    responses((status = 201, description = "Issued: the product, its certificate, and the PKCS#12 of a generated key (once)", body = OrderedAnswer),
        (status = 400, description = "A field breaks a rule, or a bad CSR", body = ApiError),
        (status = 403, description = "Not habilitated (R27)", body = ApiError),
        (status = 404, description = "Unknown structure or professional", body = ApiError),
        (status = 409, description = "The key is already certified (`key_in_use`), or an earlier attempt with it is being settled (`earlier_attempt_pending`, with `retry_after` and a `Retry-After` header)", body = ApiError)))]
async fn order(
    State(s): State<AppState>,
    Card(actor): Card,
    Body(b): Body<OrderBody>,
) -> ApiResult<(StatusCode, Json<OrderedAnswer>)> {
    let req = OrderRequest {
        profile: b.profile,
        structure: b.structure,
        service: b.service,
        dns: b.dns,
        emails: b.emails,
        upn: b.upn,
        professional: b.professional,
        actor_email: b.actor_email,
        copy_email: b.copy_email,
        csr: b.csr,
        generate: b.generate.map(|g| Generate { passphrase: g.passphrase, algorithm: g.algorithm }),
        channel: Channel::Api,
    };
    ordered(registration(&s)?.orders().order(&actor, req).await.map_err(reg_err)?)
}

/// The products of the card's structures (R33), filtered, sorted and paged like the portal's
/// table: newest first by default.
#[utoipa::path(get, path = "/api/v1/products", tag = "products",
    params(("state" = Option<ProductStateFilter>, Query), ("structure" = Option<String>, Query, description = "One structure (idNat_Struct)"),
        ("offer" = Option<Offer>, Query), ("q" = Option<String>, Query, description = "Free text: number, structure, its name, service, emails, serial, requester"),
        ("sort" = Option<ProductSortKey>, Query, description = "Default created"), ("order" = Option<SortOrder>, Query, description = "Default desc"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Default 50"),
        ("offset" = Option<i64>, Query, minimum = 0, description = "Default 0")),
    responses((status = 200, description = "A page of products", body = ProductPage), (status = 400, description = "Bad state, offer, sort, order, limit or offset", body = ApiError)))]
async fn products(
    State(s): State<AppState>,
    Card(actor): Card,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ProductPage>> {
    let num = |k: &str, default: i64| -> ApiResult<i64> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => {
                v.parse().map_err(|_| ApiError::bad_request("invalid_number", k, format!("{k} doit être un entier")))
            }
        }
    };
    let text = |k: &str| q.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let sort = match q.get("sort") {
        None => ProductSort::default(),
        Some(v) => v.parse().map_err(|_| {
            ApiError::bad_request(
                "invalid_sort",
                "sort",
                "tri : number, offer, usage, beneficiary, service, email, requester, state, created ou expiry",
            )
        })?,
    };
    let descending = match q.get("order").map(String::as_str) {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::bad_request("invalid_order", "order", "ordre : asc ou desc")),
    };
    let (limit, offset) = (num("limit", 50)?, num("offset", 0)?);
    let listing = ProductListing {
        structure: text("structure"),
        state: text("state"),
        offer: text("offer"),
        text: text("q"),
        sort,
        descending,
        limit,
        offset,
    };
    let page = registration(&s)?.orders().product_listing(&actor, &listing).await.map_err(reg_err)?;
    Ok(Json(ProductPage {
        products: page.products.into_iter().map(|r| r.product.into()).collect(),
        total: page.total,
        limit: page.limit,
        offset: page.offset,
    }))
}

/// A page of products.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProductPage {
    products: Vec<Product>,
    total: i64,
    limit: i64,
    offset: i64,
}

text_schema!(
    /// The columns the product list sorts by (R33).
    ProductSortKey,
    values = ["number", "offer", "usage", "beneficiary", "service", "email", "requester", "state", "created", "expiry"],
    "The column the list is sorted by"
);

text_schema!(
    /// Ascending or descending.
    SortOrder,
    values = ["asc", "desc"],
    "Ascending or descending"
);

text_schema!(
    /// Which products to list.
    ProductStateFilter,
    values = ["issued", "revoked", "live", "expired"],
    "`issued`, `revoked`, `live` (issued and not expired), `expired` (issued, past its end)"
);

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products", params(("id" = String, Path)),
    responses((status = 200, description = "The product", body = Product), (status = 404, description = "Unknown, or not yours", body = ApiError)))]
async fn product(State(s): State<AppState>, Card(actor): Card, Path(id): Path<String>) -> ApiResult<Json<Product>> {
    Ok(Json(registration(&s)?.orders().product(&actor, &id).await.map_err(reg_err)?.into()))
}

/// The formats of a certificate download.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum CertificateFormat {
    /// The certificate then its chain, PEM (`application/pem-certificate-chain`).
    Pem,
    /// The certificate alone, DER (`application/pkix-cert`).
    Der,
    /// PKCS#7 certs-only with the chain (`application/pkcs7-mime`).
    P7b,
}

/// Schema of a binary download.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // a schema only: the handlers answer the bytes themselves
pub(crate) struct Binary(Vec<u8>);

/// The certificate: `format=pem` (default, with its chain), `der`, or `p7b` (PKCS#7 with the chain).
#[utoipa::path(get, path = "/api/v1/products/{id}/certificate", tag = "products", params(("id" = String, Path), ("format" = Option<CertificateFormat>, Query, description = "Default pem")),
    responses((status = 200, description = "The certificate", content(
            (String = "application/pem-certificate-chain"), (Binary = "application/pkix-cert"), (Binary = "application/pkcs7-mime"))),
        (status = 400, description = "Unknown format", body = ApiError),
        (status = 404, description = "Unknown, or not yours", body = ApiError)))]
async fn certificate(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let (der, chain) = registration(&s)?.orders().product_certificate(&actor, &id).await.map_err(reg_err)?;
    let pem = |d: &[u8]| der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, d).unwrap_or_default();
    match q.get("format").map(String::as_str).unwrap_or("pem") {
        "pem" => Ok((
            [(header::CONTENT_TYPE, "application/pem-certificate-chain")],
            format!("{}{}", pem(&der), chain.iter().map(|c| pem(c)).collect::<String>()),
        )
            .into_response()),
        "der" => Ok(([(header::CONTENT_TYPE, "application/pkix-cert")], der).into_response()),
        "p7b" => {
            use der::Decode;
            let mut certs = Vec::new();
            for d in std::iter::once(&der).chain(chain.iter()) {
                certs.push(x509_cert::Certificate::from_der(d).map_err(ApiError::internal)?);
            }
            let p7 = santepki_authority::chain::certs_only(&certs).map_err(ApiError::internal)?;
            Ok(([(header::CONTENT_TYPE, "application/pkcs7-mime")], p7).into_response())
        }
        other => Err(ApiError::bad_request("format", "format", format!("pem, der ou p7b, pas {other:?}"))),
    }
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RenewBody {
    #[serde(default)]
    csr: Option<String>,
    #[serde(default)]
    generate: Option<GenerateBody>,
}

/// Renews a still-valid certificate with a new key (R37).
#[utoipa::path(post, path = "/api/v1/products/{id}/renewal", tag = "products", params(("id" = String, Path)), request_body = RenewBody,
    responses((status = 201, description = "The new product", body = OrderedAnswer),
        (status = 400, description = "Bad CSR or key, or neither", body = ApiError),
        (status = 404, description = "Unknown, or not yours", body = ApiError),
        (status = 409, description = "Not renewable (R37), the key is already certified, or an earlier attempt with it is being settled (`earlier_attempt_pending`, `Retry-After`)", body = ApiError)))]
async fn renew(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(b): Body<RenewBody>,
) -> ApiResult<(StatusCode, Json<OrderedAnswer>)> {
    let generate = b.generate.map(|g| Generate { passphrase: g.passphrase, algorithm: g.algorithm });
    ordered(
        registration(&s)?.orders().renew_product(&actor, &id, b.csr, generate, Channel::Api).await.map_err(reg_err)?,
    )
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct RevokeBody {
    #[schema(value_type = RevocationReason)]
    reason: String,
}

/// Revokes a product's certificate (final).
#[utoipa::path(post, path = "/api/v1/products/{id}/revocation", tag = "products", params(("id" = String, Path)), request_body = RevokeBody,
    responses((status = 200, description = "Revoked", body = Product),
        (status = 400, description = "Bad reason", body = ApiError),
        (status = 404, description = "Unknown, or not yours", body = ApiError),
        (status = 409, description = "Already revoked", body = ApiError)))]
async fn revoke(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
    Body(b): Body<RevokeBody>,
) -> ApiResult<Json<Product>> {
    Ok(Json(registration(&s)?.orders().revoke_product(&actor, &id, &b.reason).await.map_err(reg_err)?.into()))
}

/// The doctrine checklist of a structure (R36, R38), computed from its live products: DMP pair
/// SIGN + AUTH_CLI, INSi's own certificate, at least three for an ESSMS, never in the vendor's
/// name. Each item has a stable `code`, its `rule`, a `status` (`satisfied`, `warning`,
/// `missing`) and the product numbers concerned.
#[utoipa::path(get, path = "/api/v1/structures/{id}/doctrine", tag = "products", params(("id" = String, Path, description = "idNat_Struct")),
    responses((status = 200, description = "The checklist", body = Doctrine), (status = 404, description = "Unknown, or not a structure of the card", body = ApiError)))]
pub(crate) async fn doctrine(
    State(s): State<AppState>,
    Card(actor): Card,
    Path(id): Path<String>,
) -> ApiResult<Json<Doctrine>> {
    Ok(Json(registration(&s)?.doctrine(&actor, &id).await.map_err(reg_err)?))
}

/// How many live certificates of the card's structures end in each of the next `months`
/// months (default 36, at most 120), zeros included (R35).
#[utoipa::path(get, path = "/api/v1/expiries", tag = "products", params(("months" = Option<u32>, Query, minimum = 1, maximum = 120, description = "Default 36")),
    responses((status = 200, description = "Expiries per month, the current month first", body = Expiries), (status = 400, description = "Bad months", body = ApiError)))]
pub(crate) async fn expiries(
    State(s): State<AppState>,
    Card(actor): Card,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Expiries>> {
    let months = match q.get("months") {
        None => 36,
        Some(v) => {
            v.parse().map_err(|_| ApiError::bad_request("invalid_number", "months", "months doit être un entier"))?
        }
    };
    let schedule = registration(&s)?.orders().expiry_schedule(&actor, months).await.map_err(reg_err)?;
    Ok(Json(Expiries { months: schedule }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Expiries {
    months: Vec<MonthlyExpiries>,
}
