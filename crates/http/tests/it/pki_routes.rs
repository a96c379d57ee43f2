//! What the CA publishes over HTTP: OCSP by POST and GET (RFC 6960 appendix A, RFC 5019
//! caching headers), CRLs, CA certificates and the PKCS#7 chain; clear errors for the rest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use der::asn1::OctetString;
use der::{Decode, Encode};
use santepki_authority::keys::software::SoftwareCustody;
use santepki_authority::{Authority, CaSettings, KeyAlgorithm};
use santepki_domain::ValidationMode;
use santepki_http::{router, AppState};
use santepki_storage::testing;
use tower::ServiceExt;
use x509_ocsp::{CertId, OcspRequest, OcspResponse, OcspResponseStatus, Request as OcspSingle, TbsRequest};

async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 26).await.unwrap().to_vec();
    (status, headers, bytes)
}

fn ocsp_request(ca: &santepki_authority::LoadedCa, serial: &[u8]) -> Vec<u8> {
    OcspRequest {
        tbs_request: TbsRequest {
            version: Default::default(),
            requestor_name: None,
            request_list: vec![OcspSingle {
                req_cert: CertId {
                    hash_algorithm: spki::AlgorithmIdentifierOwned {
                        oid: const_oid::db::rfc5912::ID_SHA_1,
                        parameters: None,
                    },
                    issuer_name_hash: OctetString::new(ca.name_sha1.clone()).unwrap(),
                    issuer_key_hash: OctetString::new(ca.key_identifier.clone()).unwrap(),
                    serial_number: x509_cert::serial_number::SerialNumber::new(serial).unwrap(),
                },
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .unwrap()
}

#[tokio::test]
async fn ocsp_crl_and_ca_files_over_http() {
    let t = testing::sqlite().await;
    // Without a CA, the routes say so (503 with a reason), not 404 or 500.
    let bare = router(AppState::new(t.db.clone(), ValidationMode::Test));
    let (s, _, body) = send(&bare, Request::get("/crl/ACI-EL-ORG.crl").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8_lossy(&body).contains("ca_not_initialised"));

    let keys = tempfile::tempdir().unwrap();
    let custody = SoftwareCustody::new(keys.path(), Some("pass phrase".into()));
    let mut settings = CaSettings::test("http://127.0.0.1:9");
    settings.key_algorithm = KeyAlgorithm::EcdsaP256;
    let (ca, _) = Authority::init(t.db.clone(), settings, &custody, "test").await.unwrap();
    let app = router(AppState::new(t.db.clone(), ValidationMode::Test).with_authority(Some(ca.clone())));
    let org = ca.ca("ACI-EL-ORG").unwrap().clone();

    // POST, and GET with the request in base64 (standard alphabet, '/' and '+' percent-encoded
    // or not): the same answer. A serial never issued is `unknown`, which is a successful
    // response. Try serials until the base64 text holds a '/' or '+'.
    let mut tried = 0;
    for serial in 1u32.. {
        let req = ocsp_request(&org, &serial.to_be_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&req);
        if !b64.contains('/') && !b64.contains('+') {
            continue;
        }
        let (s, h, post) = send(
            &app,
            Request::post("/ocsp")
                .header("content-type", "application/ocsp-request")
                .body(Body::from(req.clone()))
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h["content-type"], "application/ocsp-response");
        assert!(h["cache-control"].to_str().unwrap().contains("max-age="), "RFC 5019 caching headers");
        assert_eq!(OcspResponse::from_der(&post).unwrap().response_status, OcspResponseStatus::Successful);
        let encoded = b64.replace('/', "%2F").replace('+', "%2B").replace('=', "%3D");
        for path in [format!("/ocsp/{encoded}"), format!("/ocsp/{b64}")] {
            let (s, _, get) = send(&app, Request::get(path.as_str()).body(Body::empty()).unwrap()).await;
            assert_eq!(s, StatusCode::OK, "{path}");
            assert_eq!(get, post, "{path}: GET and POST answer alike (pre-signed)");
        }
        tried += 1;
        if tried == 3 {
            break;
        }
    }
    // Junk is a malformedRequest OCSP response (RFC 6960 §2.3), not an HTTP error.
    let (s, _, body) = send(
        &app,
        Request::post("/ocsp").header("content-type", "application/ocsp-request").body(Body::from("junk")).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(OcspResponse::from_der(&body).unwrap().response_status, OcspResponseStatus::MalformedRequest);
    let (s, _, body) =
        send(&app, Request::post("/ocsp").header("content-type", "text/plain").body(Body::from("x")).unwrap()).await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(String::from_utf8_lossy(&body).contains("\"field\":\"Content-Type\""));
    let (s, _, body) = send(&app, Request::get("/ocsp/!!!notbase64").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(OcspResponse::from_der(&body).unwrap().response_status, OcspResponseStatus::MalformedRequest);
    let big = vec![0u8; 1 << 20];
    let (s, _, body) = send(
        &app,
        Request::post("/ocsp").header("content-type", "application/ocsp-request").body(Body::from(big)).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(OcspResponse::from_der(&body).unwrap().response_status, OcspResponseStatus::MalformedRequest);

    // CRLs: published on first request if the scheduler has not run yet; full and delta.
    for (path, delta) in
        [("/crl/ACI-EL-ORG.crl", false), ("/crl/ACI-EL-ORG-delta.crl", true), ("/crl/ACR-EL.crl", false)]
    {
        let (s, h, body) = send(&app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(h["content-type"], "application/pkix-crl");
        let crl = x509_cert::crl::CertificateList::from_der(&body).unwrap();
        let has_delta_indicator = crl
            .tbs_cert_list
            .crl_extensions
            .unwrap()
            .iter()
            .any(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR);
        assert_eq!(has_delta_indicator, delta, "{path}");
    }
    // The served CRL follows newer publications (per-node copy keyed by CRL number).
    let crl_number = |der: &[u8]| {
        let crl = x509_cert::crl::CertificateList::from_der(der).unwrap();
        let ext = crl
            .tbs_cert_list
            .crl_extensions
            .unwrap()
            .into_iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_CRL_NUMBER)
            .unwrap();
        x509_cert::ext::pkix::CrlNumber::from_der(ext.extn_value.as_bytes()).unwrap().0.as_bytes().to_vec()
    };
    let (_, _, first) = send(&app, Request::get("/crl/ACI-EL-ORG.crl").body(Body::empty()).unwrap()).await;
    let (_, _, again) = send(&app, Request::get("/crl/ACI-EL-ORG.crl").body(Body::empty()).unwrap()).await;
    assert_eq!(first, again);
    let published = ca.publish_crl("ACI-EL-ORG", santepki_authority::crl::CrlKind::Full, "test").await.unwrap();
    let (_, _, newer) = send(&app, Request::get("/crl/ACI-EL-ORG.crl").body(Body::empty()).unwrap()).await;
    assert_ne!(crl_number(&newer), crl_number(&first));
    assert_eq!(
        crl_number(&newer),
        published.number.to_be_bytes().iter().skip_while(|b| **b == 0).copied().collect::<Vec<u8>>()
    );

    // CA certificates and the chain.
    let (s, h, body) = send(&app, Request::get("/ca/ACI-EL-ORG.crt").body(Body::empty()).unwrap()).await;
    assert_eq!((s, h["content-type"].to_str().unwrap()), (StatusCode::OK, "application/pkix-cert"));
    assert_eq!(body, org.der);
    let (s, _, body) = send(&app, Request::get("/ca/chain.p7b").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let ci = cms::content_info::ContentInfo::from_der(&body).unwrap();
    let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    assert_eq!(sd.certificates.unwrap().0.len(), 3);
    let (s, _, body) = send(&app, Request::get("/ca/bundle.pem").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(String::from_utf8(body).unwrap().matches("BEGIN CERTIFICATE").count(), 3);
    // Unknown names: 404 with a reason.
    for path in ["/crl/NOPE.crl", "/crl/ACI-EL-ORG.txt", "/ca/NOPE.crt", "/ca/whatever"] {
        let (s, _, body) = send(&app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(String::from_utf8_lossy(&body).contains("not_found"), "{path}");
    }
}
