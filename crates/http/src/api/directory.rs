//! The directory's answers (R45) as the OpenAPI document describes them. The bodies are made by
//! `santepki_directory::search`: a professional or a structure with its identifiers, or a list.

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

use santepki_storage::directory::{DirectoryCounts, ImportRunRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::{from_fields, text_schema};

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

/// What the directory holds (open rows) and its recent imports.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryStats {
    pub counts: Counts,
    pub recent_imports: Vec<ImportRun>,
}

/// Row counts of the directory (open rows only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counts {
    pub legal_entities: i64,
    pub establishments: i64,
    pub practices: i64,
    pub professionals: i64,
    pub situations: i64,
    pub cards: i64,
}
from_fields!(DirectoryCounts => Counts { legal_entities, establishments, practices, professionals, situations, cards });

/// One import run of a directory file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportRun {
    pub id: i64,
    pub file_kind: String,
    pub file_name: String,
    pub file_date: Option<String>,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `abandoned` when its process died before it finished.
    pub status: santepki_domain::values::ImportRunStatus,
    /// Last sign of life of its process.
    pub heartbeat_at: Option<String>,
    pub lines_read: i64,
    pub records_imported: i64,
    pub lines_rejected: i64,
    pub rows_inserted: i64,
    pub rows_updated: i64,
    pub rows_unchanged: i64,
    pub rows_closed: i64,
    pub message: Option<String>,
}
from_fields!(ImportRunRecord => ImportRun {
    id, file_kind, file_name, file_date, started_at, finished_at, status, heartbeat_at, lines_read, records_imported, lines_rejected,
    rows_inserted, rows_updated, rows_unchanged, rows_closed, message
});
