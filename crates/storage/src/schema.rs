//! OpenAPI names for the fixed values of the TEXT columns (the comments of the migrations), so
//! that the API document (utoipa) says which values a row's field takes. These types are only
//! schemas: the rows keep `String`, and each field points here with `#[schema(value_type = …)]`.

use utoipa::ToSchema;

/// A contract's kind: a structure's, or a software vendor's (R49).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ContractKind {
    Structure,
    Vendor,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ContractState {
    Active,
    Terminated,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum RoleKind {
    LegalRepresentative,
    Mandataire,
    VendorAdministrator,
    Operator,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum RoleState {
    Requested,
    Active,
    Ended,
    Refused,
}

/// Where a form 413 stands (R24, R47).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum FormState {
    AwaitingSignature,
    Acknowledged,
    Validated,
    Rejected,
    Withdrawn,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum SignatureMethod {
    Session,
    Cms,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum HabilitationState {
    Active,
    Withdrawn,
}

#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ProductState {
    Issued,
    Revoked,
}

/// The channel a product was ordered through (R33): the web portal or the REST API.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ProductChannel {
    Portal,
    Api,
}

/// How the key of a product was made (R31).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum KeyOrigin {
    Csr,
    Generated,
}

/// The offer of a product (R23).
#[derive(ToSchema)]
#[schema(rename_all = "UPPERCASE")]
pub enum Offer {
    Org,
    Serv,
    Pro,
}

/// The certificate profiles a structure's administrator orders (R23).
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ProductProfile {
    OrgAuthCli,
    OrgSign,
    OrgConf,
    ServSsl,
    ServSmime,
    ProAuth,
    ProSign,
    ProConf,
}

/// The usage of a product as the platform names it (R23).
#[derive(ToSchema)]
pub enum ProductUsage {
    #[schema(rename = "AUTH_CLI")]
    AuthCli,
    #[schema(rename = "SIGN")]
    Sign,
    #[schema(rename = "CONF")]
    Conf,
    #[schema(rename = "SSL_SERV")]
    SslServ,
    #[schema(rename = "S/MIME")]
    Smime,
    #[schema(rename = "AUTH")]
    Auth,
}
