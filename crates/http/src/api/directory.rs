//! The directory's answers (R45) as the OpenAPI document describes them. The bodies are made by
//! `santepki_directory::search`: a professional or a structure with its identifiers, or a list.

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

use super::text_schema;

text_schema!(
    /// What the search box's value is.
    SearchKind,
    values = ["rpps", "adeli", "idnat-ps", "card", "finess", "siret", "rpps-rang", "idnat-struct", "name", "structure-name"],
    "What the value is; guessed from its form when omitted"
);

/// A directory answer: `type` says which (`professional`, `professionals`, `structure`,
/// `structures`), the other fields are the professional or structure, or `items`.
pub struct DirectoryAnswer;

impl utoipa::PartialSchema for DirectoryAnswer {
    fn schema() -> RefOr<Schema> {
        let kind = ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some([
            "professional",
            "professionals",
            "structure",
            "structures",
        ]));
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::Object))
            .property("type", kind)
            .required("type")
            .additional_properties(Some(AdditionalProperties::FreeForm(true)))
            .description(Some(
                "A professional or a structure with its identifiers, cards and situations, or a list (`items`)",
            ))
            .build()
            .into()
    }
}

impl utoipa::ToSchema for DirectoryAnswer {}

/// The directory's counts and recent imports.
pub struct DirectoryStats;

impl utoipa::PartialSchema for DirectoryStats {
    fn schema() -> RefOr<Schema> {
        let object = || ObjectBuilder::new().schema_type(SchemaType::Type(Type::Object));
        object()
            .property("counts", object().additional_properties(Some(AdditionalProperties::FreeForm(true))))
            .property(
                "recent_imports",
                utoipa::openapi::schema::ArrayBuilder::new()
                    .items(object().additional_properties(Some(AdditionalProperties::FreeForm(true)))),
            )
            .required("counts")
            .required("recent_imports")
            .build()
            .into()
    }
}

impl utoipa::ToSchema for DirectoryStats {}
