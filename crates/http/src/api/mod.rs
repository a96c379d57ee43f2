//! The bodies of the JSON API, apart from the storage rows they are made from (kanidm's
//! `proto/`): a column added or renamed in storage does not change the public API, and the
//! OpenAPI document is generated from these types. Each type has a `From` conversion from what
//! the registration layer returns; field names and values are the API's wire format.
//!
//! The value sets (states, kinds, offers…) are `santepki_domain::values` enums: one declaration
//! gives the stored text, the JSON value and the schema.

pub mod directory;
pub mod ids;
pub mod products;
pub mod registration;
pub mod verify;

/// Declares `From<$from> for $to` moving the listed fields as they are (both types name them
/// alike), so that each API type lists its fields once.
macro_rules! from_fields {
    ($from:ty => $to:ident { $($field:ident),+ $(,)? }) => {
        impl From<$from> for $to {
            fn from(r: $from) -> Self {
                $to { $($field: r.$field.into()),+ }
            }
        }
    };
}
pub(crate) use from_fields;

/// Declares a schema-only type for the OpenAPI document: a string with a pattern, or one of a
/// list of values, and its description. For parameters and bodies the handlers read as text (a
/// filter, a sort key, an identifier checked by `santepki_domain::ids`), never stored.
macro_rules! text_schema {
    ($(#[$meta:meta])* $name:ident, pattern = $pattern:literal, $description:literal) => {
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::schema::Type::String))
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .build()
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
    ($(#[$meta:meta])* $name:ident, values = [$($value:literal),+ $(,)?], $description:literal) => {
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::schema::Type::String))
                    .enum_values(Some([$($value),+]))
                    .description(Some($description))
                    .build()
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use text_schema;
