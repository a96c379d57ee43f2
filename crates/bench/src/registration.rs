//! R48 at scale: one vendor administrator habilitated for N client practices in one API
//! submission, end to end over the card-authenticated HTTPS API on SQLite — the bulk submission,
//! each client holder's detached CMS signature (their own card, their own TLS connection), and
//! the operator's decision on the lot.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use futures::stream::{self, StreamExt};
use santepki_authority::KeyAlgorithm;
use santepki_domain::form413::{SignerRole, StructureCase};
use santepki_domain::ValidationMode;
use santepki_http::{router, AppState};
use santepki_registration::contracts::NewContract;
use santepki_registration::roles::NewRole;
use santepki_registration::testing::{self as t, TestCard};
use santepki_registration::{MailSettings, Registration};
use santepki_storage::Db;
use serde_json::{json, Value};

const VENDOR_SIRET: &str = "44306184100047";

fn client(card: &TestCard) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .identity(reqwest::Identity::from_pem(card.identity_pem().as_bytes())?)
        .build()?)
}

/// A vendor administrator habilitated for `practices` client practices through the bulk path of
/// R48, with the in-process HTTPS server they use.
pub(crate) struct Habilitated {
    pub db: Db,
    pub reg: Registration,
    pub admin: TestCard,
    /// `https://127.0.0.1:<port>` (the API is under `/api/v1`, the portal under `/portail`).
    pub base: String,
    /// The practices' idNat_Struct.
    pub structures: Vec<String>,
    pub holders: usize,
    pub submit: Duration,
    pub signing: Duration,
    pub decision: Duration,
}

pub async fn bulk(dir: &Path, practices: usize, concurrency: usize) -> Result<()> {
    let db = super::ca::fresh_db(dir, "bulk.db").await?;
    let h = habilitate(db, dir, practices, concurrency).await?;
    println!(
        "registration-bulk: {practices} client practices, {} holders, SQLite: submission {:.2} s, {practices} CMS signatures (concurrency {concurrency}) {:.2} s, bulk decision {:.2} s; end to end {:.2} s; {} habilitations",
        h.holders,
        h.submit.as_secs_f64(),
        h.signing.as_secs_f64(),
        h.decision.as_secs_f64(),
        (h.submit + h.signing + h.decision).as_secs_f64(),
        h.structures.len(),
    );
    Ok(())
}

/// The R48 bulk path, timed step by step: submission, each holder's CMS signature, the
/// operator's decision on the lot.
pub(crate) async fn habilitate(db: Db, dir: &Path, practices: usize, concurrency: usize) -> Result<Habilitated> {
    let setup = Instant::now();
    super::ca::import_demo_directory(&db, dir).await?;
    let ca =
        super::ca::new_authority(&db, &dir.join("bulk-keys"), KeyAlgorithm::EcdsaP256, "http://127.0.0.1:9").await?;
    let reg = Registration::new(db.clone(), ValidationMode::Test, Some(ca.clone()), MailSettings::default());

    // The practices: RPPS-rang practices (SA07/SA08) of the demo directory, each signed by its
    // holder, whose contract (R3) exists.
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT s.idnat_struct, s.idnat_ps FROM situations s JOIN cards c ON c.idnat_ps = s.idnat_ps \
         WHERE s.idnat_struct LIKE '4%' AND s.sector_code IN ('SA07', 'SA08') AND s.closed_at IS NULL AND c.opposed_on IS NULL \
         AND c.valid_until > '2027' AND c.card_type = 'CPS' AND substr(s.idnat_struct, 2, 11) = substr(s.idnat_ps, 2, 11) ORDER BY s.idnat_struct",
    )
    .fetch_all(db.pool())
    .await?;
    ensure!(
        rows.len() >= practices,
        "the demo directory has {} eligible practices, fewer than {practices}",
        rows.len()
    );
    let rows = &rows[..practices];
    let op = t::new_card(&reg, "CPE", "OPERATRICE", "AGNES", "3318751275100020").await;
    reg.add_operator(&op.number, "bench").await?;
    let op_actor = reg.actor_for_card(&op.number).await?;
    let vendor_lr = t::new_card(&reg, "CDA", "DIRIGEANT", "VICTOR", &format!("3{VENDOR_SIRET}")).await;
    let admin = t::new_card(&reg, "CPA", "ADMINISTRATRICE", "ALICE", &format!("3{VENDOR_SIRET}")).await;
    let vendor = reg
        .create_contract(
            &op_actor,
            NewContract {
                legal_entity: format!("3{VENDOR_SIRET}"),
                kind: Some("vendor".into()),
                name: Some("EDITEUR".into()),
                legal_representative_card: Some(vendor_lr.number.clone()),
            },
        )
        .await?;
    let lr_actor = reg.actor_for_card(&vendor_lr.number).await?;
    reg.request_role(
        &lr_actor,
        &vendor.contract.id,
        NewRole { kind: "vendor-administrator".into(), card_number: admin.number.clone(), form: None },
    )
    .await?;
    let mut holders: std::collections::HashMap<String, Arc<TestCard>> = Default::default();
    for (_, ps) in rows {
        if holders.contains_key(ps) {
            continue;
        }
        reg.create_contract(
            &op_actor,
            NewContract { legal_entity: ps.clone(), kind: None, name: None, legal_representative_card: None },
        )
        .await?;
        let number = t::card_of(&reg, ps).await;
        holders.insert(ps.clone(), Arc::new(t::credentials(&reg, &number).await));
    }
    let forms: Vec<Value> = rows
        .iter()
        .map(|(id, ps)| {
            serde_json::to_value(t::form(
                StructureCase::ScmPractice,
                std::slice::from_ref(id),
                &holders[ps],
                SignerRole::PracticeHolder,
                &[&admin],
            ))
        })
        .collect::<Result<_, _>>()?;

    let (cert, key) = santepki_http::tls::self_signed(&["localhost".into()])?;
    let tls = santepki_http::tls::server_config(cert.as_bytes(), key.as_bytes(), ca.bundle_pem().as_bytes())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("https://{}", listener.local_addr()?);
    let api = format!("{base}/api/v1");
    let state =
        AppState::new(db.clone(), ValidationMode::Test).with_authority(Some(ca)).with_registration(Some(reg.clone()));
    tokio::spawn(santepki_http::tls::serve_tls(listener, tls, router(state), std::future::pending()));
    eprintln!(
        "setup: demo directory, CA, {} holder cards and contracts: {:.1} s (not timed)",
        holders.len(),
        setup.elapsed().as_secs_f64()
    );

    // 1. One submission.
    let t0 = Instant::now();
    let resp = client(&admin)?.post(format!("{api}/forms413/bulk")).json(&json!({ "forms": forms })).send().await?;
    ensure!(resp.status().as_u16() == 201, "bulk submission: {}", resp.text().await?);
    let outcome: Value = resp.json().await?;
    let submit = t0.elapsed();
    let accepted = outcome["accepted"].as_array().context("accepted")?.clone();
    ensure!(
        accepted.len() == practices && outcome["refused"].as_array().is_some_and(|r| r.is_empty()),
        "refused: {}",
        outcome["refused"]
    );
    let bulk_id = outcome["bulk_id"].as_str().context("bulk id")?.to_owned();

    // 2. Each holder signs their own form over their own mTLS connection.
    let t1 = Instant::now();
    let by_form: Vec<(String, String, Arc<TestCard>)> = accepted
        .iter()
        .zip(rows)
        .map(|(a, (_, ps))| {
            (
                a["id"].as_str().unwrap_or_default().to_owned(),
                a["content"].as_str().unwrap_or_default().to_owned(),
                holders[ps].clone(),
            )
        })
        .collect();
    let api_ref = &api;
    let results: Vec<Result<()>> = stream::iter(by_form)
        .map(|(id, content, card)| async move {
            let cms = card.sign(content.as_bytes());
            let resp = client(&card)?
                .post(format!("{api_ref}/forms413/{id}/signature"))
                .header("content-type", "application/pkcs7-signature")
                .body(cms)
                .send()
                .await?;
            ensure!(resp.status().is_success(), "signature of {id}: {}", resp.text().await?);
            Ok(())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for r in results {
        r?;
    }
    let signing = t1.elapsed();

    // 3. The operator decides the lot.
    let t2 = Instant::now();
    let resp = client(&op)?
        .post(format!("{api}/forms413/bulk/{bulk_id}/decision"))
        .json(&json!({ "decision": "validate" }))
        .send()
        .await?;
    ensure!(resp.status().is_success(), "decision: {}", resp.text().await?);
    let decided: Value = resp.json().await?;
    let decision = t2.elapsed();
    ensure!(decided["decided"].as_u64() == Some(practices as u64), "decision: {decided}");

    let habilitations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM habilitations WHERE card_number = $1 AND state = 'active' AND vendor = $2",
    )
    .bind(&admin.number)
    .bind(format!("3{VENDOR_SIRET}"))
    .fetch_one(db.pool())
    .await?;
    ensure!(habilitations as usize == practices, "{habilitations} habilitations, expected {practices}");
    Ok(Habilitated {
        db,
        reg,
        admin,
        base,
        structures: rows.iter().map(|(id, _)| id.clone()).collect(),
        holders: holders.len(),
        submit,
        signing,
        decision,
    })
}
