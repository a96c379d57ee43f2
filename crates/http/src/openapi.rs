//! What every operation of the card-authenticated API shares, added to the generated document:
//! the mutual-TLS security scheme (the card certificate, R27) and the 401 and 503 answers of the
//! [`Card`](crate::registration::Card) extractor.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

/// The name of the security scheme in the document.
pub const CARD_SCHEME: &str = "card";

pub struct CardAuthentication;

impl utoipa::Modify for CardAuthentication {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            CARD_SCHEME,
            SecurityScheme::MutualTls {
                description: Some(
                    "The card certificate (CPS, CPE, CPA, CDE, CDA) as the TLS client certificate (R27).".into(),
                ),
                extensions: None,
            },
        );
        let error = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ApiError"))).build();
        for item in openapi.paths.paths.values_mut() {
            let ops: [&mut Option<Operation>; 8] = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for op in ops.into_iter().flatten() {
                op.security = Some(vec![SecurityRequirement::new(CARD_SCHEME, Vec::<String>::new())]);
                let responses = &mut op.responses.responses;
                responses.entry("401".into()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description(
                            "No card (`card_required`), or a card that is not valid: unknown, expired or opposed (R2)",
                        )
                        .content("application/json", error())
                        .build()
                        .into()
                });
                responses.entry("503".into()).or_insert_with(|| {
                    ResponseBuilder::new()
                        .description("The CA is not initialised (`ca_not_initialised`)")
                        .content("application/json", error())
                        .build()
                        .into()
                });
            }
        }
    }
}

/// The routes served without a card: the directory search (R45) and what the CA publishes
/// (OCSP, CRLs, CA certificates). Merged into the card-authenticated API's document after its
/// modifier ran, so that they carry no card requirement.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        crate::directory::search,
        crate::directory::professional,
        crate::directory::professionals_by_name,
        crate::directory::card,
        crate::directory::structure,
        crate::directory::structures_by_name,
        crate::directory::stats,
        crate::pki::ocsp_post,
        crate::pki::ocsp_get,
        crate::pki::crl,
        crate::pki::ca_file,
        crate::verify::verify
    ),
    components(schemas(
        crate::api::ids::Finess,
        crate::api::ids::Siret,
        crate::api::ids::Rpps,
        crate::api::ids::RppsRang,
        crate::api::ids::IdNatPs,
        crate::api::ids::ProfessionalId,
        crate::api::ids::StructureId,
        crate::api::ids::CardNumber,
        crate::api::directory::SearchKind,
        crate::api::ids::IdNatStruct,
        crate::api::verify::VerifyRequest,
        crate::api::verify::VerifyResponse,
        crate::api::verify::CoherenceModeApi,
        crate::api::verify::RevocationPolicyApi,
        crate::api::verify::RefusalApi,
        crate::api::verify::RevocationCheckApi,
        crate::api::verify::CoherenceApi
    ))
)]
pub struct PublicDoc;

/// The whole document served at `/api/v1/openapi.json`.
pub fn document() -> OpenApi {
    use utoipa::OpenApi as _;
    let mut doc = crate::registration::ApiDoc::openapi();
    doc.merge(PublicDoc::openapi());
    doc
}
