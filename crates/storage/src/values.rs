//! Where each value set of `santepki_domain::values` is stored, and how a column of one is
//! read. Rows carry the enums: storage binds their text (`as_str`) and parses what it
//! reads, so an unknown stored value becomes [`StorageError::UnknownValue`](crate::StorageError)
//! naming its table, column and value.

use santepki_domain::values::{
    CertificateStatus, Channel, ContractKind, ContractState, CrlKind, FormState, HabilitationState, KeyOrigin,
    MailState, OcspStatus, Offer, ProductProfile, ProductState, ProductUsage, RevocationReason, RoleKind, RoleState,
    SignatureMethod, UnknownValue,
};
use sqlx::any::{AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Any, Decode, Type};

/// A value set stored in a column: `(set, table, column, its texts)`. The migrations' comments
/// list the same texts (checked by a test).
pub(crate) const STORED: &[(&str, &str, &str, &[&str])] = &[
    ("ContractKind", "contracts", "kind", ContractKind::TEXTS),
    ("ContractState", "contracts", "state", ContractState::TEXTS),
    ("RoleKind", "roles", "kind", RoleKind::TEXTS),
    ("RoleState", "roles", "state", RoleState::TEXTS),
    ("FormState", "forms413", "state", FormState::TEXTS),
    ("SignatureMethod", "forms413", "signature_method", SignatureMethod::TEXTS),
    ("HabilitationState", "habilitations", "state", HabilitationState::TEXTS),
    ("MailState", "mail_outbox", "state", MailState::TEXTS),
    ("ProductProfile", "products", "profile", ProductProfile::TEXTS),
    ("Offer", "products", "offer", Offer::TEXTS),
    ("ProductUsage", "products", "usage", ProductUsage::TEXTS),
    ("ProductState", "products", "state", ProductState::TEXTS),
    ("KeyOrigin", "products", "key_origin", KeyOrigin::TEXTS),
    ("Channel", "products", "channel", Channel::TEXTS),
    ("CertificateStatus", "ca_certificates", "status", CertificateStatus::TEXTS),
    ("RevocationReason", "ca_certificates", "revocation_reason", RevocationReason::TEXTS),
    ("OcspStatus", "ca_ocsp_responses", "status", OcspStatus::TEXTS),
    ("CrlKind", "ca_crls", "kind", CrlKind::TEXTS),
    ("CardType", "cards", "card_type", santepki_domain::professional::CardType::TEXTS),
];

/// The table a value set is stored in.
pub(crate) fn table_of(set: &str) -> &'static str {
    STORED.iter().find(|(s, ..)| *s == set).map_or("?", |(_, table, ..)| table)
}

/// A TEXT column holding a value of the set `T`: rows read it with
/// `#[sqlx(try_from = "crate::values::Text<T>")]`. The text is parsed while the column is
/// decoded, so that an unknown one reaches [`StorageError`](crate::StorageError) as the
/// [`UnknownValue`] itself (a failing `TryFrom` would reach it boxed as "unprintable" by sqlx 0.8).
pub(crate) struct Text<T>(T);

/// The same for a nullable column, read into an `Option<T>`.
pub(crate) struct NullableText<T>(Option<T>);

fn parse<T: TryFrom<String, Error = UnknownValue>>(text: String) -> Result<T, BoxDynError> {
    Ok(T::try_from(text)?)
}

impl<T> Type<Any> for Text<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r, T: TryFrom<String, Error = UnknownValue>> Decode<'r, Any> for Text<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Text(parse(<String as Decode<'r, Any>>::decode(value)?)?))
    }
}

impl<T> Type<Any> for NullableText<T> {
    fn type_info() -> AnyTypeInfo {
        <String as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as Type<Any>>::compatible(ty)
    }
}

impl<'r, T: TryFrom<String, Error = UnknownValue>> Decode<'r, Any> for NullableText<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(NullableText(<Option<String> as Decode<'r, Any>>::decode(value)?.map(parse).transpose()?))
    }
}

/// `From<Text<T>> for T` for each value set (a blanket impl over `T` is not allowed here).
macro_rules! read_as_text {
    ($($set:ty),+ $(,)?) => {
        $(
            impl From<Text<$set>> for $set {
                fn from(text: Text<$set>) -> Self {
                    text.0
                }
            }

            impl From<NullableText<$set>> for Option<$set> {
                fn from(text: NullableText<$set>) -> Self {
                    text.0
                }
            }
        )+
    };
}

read_as_text!(
    CertificateStatus,
    Channel,
    ContractKind,
    ContractState,
    CrlKind,
    FormState,
    HabilitationState,
    KeyOrigin,
    MailState,
    OcspStatus,
    Offer,
    ProductProfile,
    ProductState,
    ProductUsage,
    RoleKind,
    RoleState,
    SignatureMethod,
    santepki_domain::CardType,
);

#[cfg(test)]
mod tests {
    use super::STORED;

    /// The migrations list each value-set column with exactly the texts the code declares, and
    /// nothing else. 0006 lists them all; a later migration that changes a set lists that column
    /// again, and its line replaces the earlier one (applied migrations are never edited).
    #[test]
    fn the_migrations_list_the_declared_values() {
        let migrations =
            [include_str!("../migrations/0006_value_sets.sql"), include_str!("../migrations/0008_pending_orders.sql")];
        let mut listed: Vec<(String, Vec<&str>)> = Vec::new();
        for (column, values) in migrations
            .iter()
            .flat_map(|sql| sql.lines())
            .filter_map(|l| l.strip_prefix("-- "))
            .filter_map(|l| l.split_once(": "))
            .filter(|(column, _)| column.contains('.') && !column.contains(' '))
        {
            let values: Vec<&str> = values.split(" | ").collect();
            match listed.iter_mut().find(|(c, _)| c == column) {
                Some(entry) => entry.1 = values,
                None => listed.push((column.to_owned(), values)),
            }
        }
        let declared: Vec<(String, Vec<&str>)> =
            STORED.iter().map(|(_, table, column, texts)| (format!("{table}.{column}"), texts.to_vec())).collect();
        assert_eq!(listed, declared);
    }
}
