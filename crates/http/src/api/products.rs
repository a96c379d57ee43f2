//! Products (the certificates ordered, R27–R37) as the API shows them.

use santepki_domain::values::{Channel, KeyOrigin, Offer, ProductProfile, ProductState, ProductUsage};
use santepki_storage::ordering::ProductRow;
use serde::Serialize;
use utoipa::ToSchema;

use super::from_fields;

/// A certificate ordered for a habilitated structure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: String,
    pub number: String,
    /// The habilitated structure (idNat_Struct).
    pub structure: String,
    pub profile: ProductProfile,
    pub offer: Offer,
    pub usage: ProductUsage,
    pub service: Option<String>,
    pub professional: Option<String>,
    /// JSON `{"dns":[…],"emails":[…],"upn":…}` as ordered.
    pub names: String,
    pub actor_email: String,
    pub copy_email: Option<String>,
    pub serial: String,
    pub not_after: String,
    pub state: ProductState,
    pub key_origin: KeyOrigin,
    pub renewal_of: Option<String>,
    pub ordered_by: String,
    /// The channel it was ordered through (R33).
    pub channel: Channel,
    pub expiry_notice_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}
from_fields!(ProductRow => Product {
    id, number, structure, profile, offer, usage, service, professional, names, actor_email, copy_email, serial,
    not_after, state, key_origin, renewal_of, ordered_by, channel, expiry_notice_at, created_at, updated_at
});
