//! The directory API over HTTP (R45), on SQLite and PostgreSQL: answers for the seed cases,
//! and clear 4xx with machine-readable reasons for bad input — never a 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use santepki_directory::generate::{self, seed_cases, GenerateOptions, Scale};
use santepki_directory::{import_file, ImportOptions};
use santepki_domain::ValidationMode;
use santepki_http::{router, AppState};
use santepki_storage::testing;
use serde_json::Value;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{uri}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, v)
}

#[tokio::test]
async fn directory_api_on_both_backends() {
    let files_dir = tempfile::tempdir().unwrap();
    let files = generate::generate(
        files_dir.path(),
        &GenerateOptions { scale: Scale::parse("small").unwrap(), ..Default::default() },
    )
    .unwrap();
    for t in testing::both().await {
        let opts = ImportOptions { mode: ValidationMode::Test, ..Default::default() };
        for f in files.in_import_order() {
            let r = import_file(&t.db, f, &opts, Arc::new(santepki_directory::import::Quiet)).await.unwrap();
            assert_eq!(r.lines_rejected, 0, "{}: {:?}", f.display(), r.rejections);
        }
        let app = router(AppState::new(t.db.clone(), ValidationMode::Test));

        // R44/R45: the test professional by RPPS and by idNat_PS, with its four practices.
        for id in ["99700270616", "899700270616"] {
            let (s, v) = get(&app, &format!("/api/v1/directory/professionals/{id}")).await;
            assert_eq!(s, StatusCode::OK, "{}", t.label());
            assert_eq!(v["type"], "professional");
            let mut ids: Vec<&str> =
                v["situations"].as_array().unwrap().iter().map(|x| x["idnat_struct"].as_str().unwrap()).collect();
            ids.sort();
            assert_eq!(ids, ["39999999800514", "499700270616003", "499700270616011", "499700270616029"]);
        }
        // The same through the single search box, and by card number.
        let (s, v) = get(&app, "/api/v1/directory/search?q=899700270616").await;
        assert_eq!((s, v["last_name"].as_str()), (StatusCode::OK, Some("MAXIMAXIMAXIMAXIM")));

        // A FINESS géographique gives its legal entity and the entity's other establishments.
        let (s, v) = get(&app, &format!("/api/v1/directory/structures/{}", seed_cases::CHU_NICE_EGS[1])).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["legal_entity"]["finess"], seed_cases::CHU_NICE_EJ);
        assert_eq!(v["establishments"].as_array().unwrap().len(), 11);
        let (_, v) = get(&app, &format!("/api/v1/directory/structures/{}", seed_cases::CHU_NICE_EJ)).await;
        assert_eq!(v["establishments"].as_array().unwrap().len(), 12);

        // Name prefix search, accents and case folded.
        let (s, v) = get(&app, "/api/v1/directory/structures?name=chu%20de%20nice&limit=50").await;
        assert_eq!(s, StatusCode::OK);
        // Eight of the twelve CHU establishments have names starting with "CHU DE NICE".
        assert_eq!(v["items"].as_array().unwrap().len(), 8, "{v}");
        let (s, v) = get(&app, "/api/v1/directory/professionals?name=maximaxi").await;
        assert_eq!((s, v["items"][0]["idnat_ps"].as_str()), (StatusCode::OK, Some("899700270616")));

        // Bad input: 4xx with a machine-readable reason and the field.
        let cases = [
            ("/api/v1/directory/professionals/99700270617", StatusCode::BAD_REQUEST, "invalid_identifier", Some("id")),
            ("/api/v1/directory/professionals/12", StatusCode::BAD_REQUEST, "invalid_identifier", Some("id")),
            ("/api/v1/directory/professionals/19999999998", StatusCode::NOT_FOUND, "not_found", None),
            ("/api/v1/directory/structures/06078500X", StatusCode::BAD_REQUEST, "invalid_identifier", Some("id")),
            ("/api/v1/directory/cards/abc", StatusCode::BAD_REQUEST, "invalid_identifier", Some("number")),
            ("/api/v1/directory/search", StatusCode::BAD_REQUEST, "missing_parameter", Some("q")),
            ("/api/v1/directory/search?q=x&kind=bogus", StatusCode::BAD_REQUEST, "unknown_search_kind", Some("q")),
            ("/api/v1/directory/structures?name=a", StatusCode::BAD_REQUEST, "name_too_short", Some("name")),
            ("/api/v1/directory/structures?name=chu&limit=0", StatusCode::BAD_REQUEST, "invalid_limit", Some("limit")),
            (
                "/api/v1/directory/structures?name=chu&limit=abc",
                StatusCode::BAD_REQUEST,
                "invalid_limit",
                Some("limit"),
            ),
            ("/api/v1/nowhere", StatusCode::NOT_FOUND, "not_found", None),
        ];
        for (uri, status, code, field) in cases {
            let (s, v) = get(&app, uri).await;
            assert_eq!(s, status, "{uri}");
            assert_eq!(v["error"], code, "{uri}: {v}");
            assert_eq!(v["field"].as_str(), field, "{uri}");
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{uri}");
        }
        let (s, v) = get(&app, "/api/v1/directory/stats").await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["counts"]["professionals"].as_i64().unwrap() > 10);
    }
}
