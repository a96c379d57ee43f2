//! Issue 5's target: with 10,000 products for one vendor administrator, the product list of the
//! API (`GET /api/v1/products`) and of the portal (`GET /portail/produits`) answer with p99
//! under 100 ms, on SQLite and on PostgreSQL.
//!
//! The administrator is habilitated for N practices through the bulk path of R48 (forms 413
//! signed by each holder, validated by an operator); the products are then ordered through
//! `Orders::order` with real CSRs, so every row is what the platform itself writes
//! (certificate, audit events, mails). The requests go over mutual TLS with the
//! administrator's card to the in-process server, one client at a time, a fixed mix of pages,
//! sorts and filters drawn at random.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use base64::Engine;
use futures::stream::{self, StreamExt};
use hdrhistogram::Histogram;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use santepki_authority::KeyAlgorithm;
use santepki_registration::orders::{Channel, OrderRequest};
use santepki_storage::Db;

/// Where the benchmark's database lives.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Backend {
    /// A new SQLite file in the work folder.
    Sqlite,
    /// A new database on the server of `SANTEPKI_TEST_POSTGRES_URL` (scripts/services.sh).
    Postgres,
}

pub struct Settings {
    pub backend: Backend,
    pub products: usize,
    pub practices: usize,
    pub requests: usize,
    pub concurrency: usize,
}

fn pem_csr() -> String {
    let (der, _key) = santepki_authority::testing::csr(KeyAlgorithm::EcdsaP256);
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> =
        b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    format!("-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n", lines.join("\n"))
}

pub async fn run(dir: &Path, s: &Settings) -> Result<()> {
    let db = match s.backend {
        Backend::Sqlite => super::ca::fresh_db(dir, "products.db").await?,
        Backend::Postgres => {
            let url = santepki_storage::testing::postgres_url().await;
            Db::connect(&url).await.context("opening the PostgreSQL database")?
        }
    };
    let setup = Instant::now();
    let h = super::registration::habilitate(db, dir, s.practices, 8).await?;
    let admin = h.reg.actor_for_card(&h.admin.number).await?;

    // The products: ORG certificates spread over the practices, a tenth of them revoked so that
    // the state filters have something to tell apart.
    let orders: Vec<(usize, String)> =
        (0..s.products).map(|i| (i, h.structures[i % h.structures.len()].clone())).collect();
    let (reg, admin_ref) = (&h.reg, &admin);
    let ordered: Vec<Result<String>> = stream::iter(orders)
        .map(|(i, structure)| async move {
            let (profile, service) =
                if i % 2 == 0 { ("org-auth-cli", "DMP AUTHENTIFICATION") } else { ("org-sign", "DMP SIGNATURE") };
            let req = OrderRequest {
                profile: profile.into(),
                structure,
                service: Some(service.into()),
                dns: vec![],
                emails: vec![],
                upn: None,
                professional: None,
                actor_email: format!("it{}@cabinet.example", i % 97),
                copy_email: None,
                csr: Some(pem_csr()),
                generate: None,
                channel: Channel::Api,
            };
            let o = reg.orders().order(admin_ref, req).await?;
            if i % 10 == 9 {
                reg.orders().revoke_product(admin_ref, &o.product.id, "superseded").await?;
            }
            Ok(o.product.id)
        })
        .buffer_unordered(s.concurrency.max(2))
        .collect()
        .await;
    for r in ordered {
        r?;
    }
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(h.db.pool()).await?;
    ensure!(total as usize == s.products, "{total} products, expected {}", s.products);
    eprintln!(
        "setup: {} practices habilitated, {} products ordered ({} backend): {:.1} s (not timed)",
        h.structures.len(),
        total,
        h.db.backend().name(),
        setup.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .use_rustls_tls()
        .identity(reqwest::Identity::from_pem(h.admin.identity_pem().as_bytes())?)
        .build()?;
    let pages = (s.products / 50).max(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let api_urls: Vec<String> = (0..s.requests)
        .map(|_| {
            let offset = rng.gen_range(0..pages) * 50;
            match rng.gen_range(0..3) {
                0 => format!("{}/api/v1/products?limit=50&offset={offset}", h.base),
                1 => format!("{}/api/v1/products?state=live&limit=50&offset={}", h.base, offset / 2),
                _ => format!("{}/api/v1/products?state=revoked&limit=50&offset={}", h.base, offset / 20),
            }
        })
        .collect();
    let sorts =
        ["numero", "offre", "usage", "beneficiaire", "service", "email", "demandeur", "etat", "commande", "expiration"];
    let page_urls: Vec<String> = (0..s.requests)
        .map(|_| {
            let page = rng.gen_range(1..=pages);
            let tri = sorts.choose(&mut rng).expect("sorts");
            let ordre = if rng.gen_bool(0.5) { "asc" } else { "desc" };
            match rng.gen_range(0..4) {
                0 => format!("{}/portail/produits?tri={tri}&ordre={ordre}&taille=50&page={page}", h.base),
                1 => format!(
                    "{}/portail/produits?etat=valide&tri={tri}&ordre={ordre}&taille=50&page={}",
                    h.base,
                    page.div_ceil(2)
                ),
                2 => format!(
                    "{}/portail/produits?structure={}&tri={tri}&ordre={ordre}",
                    h.base,
                    h.structures.choose(&mut rng).expect("structures")
                ),
                _ => format!(
                    "{}/portail/produits?q=it{}%40cabinet&tri={tri}&ordre={ordre}&taille=50",
                    h.base,
                    rng.gen_range(0..97)
                ),
            }
        })
        .collect();

    println!(
        "product-list: {} products of one administrator over {} habilitated practices, {} backend, {} requests per kind, {} client(s)",
        s.products,
        h.structures.len(),
        h.db.backend().name(),
        s.requests,
        s.concurrency
    );
    for (kind, urls, marker) in
        [("API GET /api/v1/products", api_urls, "\"products\""), ("page GET /portail/produits", page_urls, "<table")]
    {
        // Warm-up: connections, statement caches.
        for url in urls.iter().take(20) {
            client.get(url).send().await?.error_for_status()?.bytes().await?;
        }
        let started = Instant::now();
        let client = &client;
        let samples: Vec<Result<Duration>> = stream::iter(urls)
            .map(|url| async move {
                let t = Instant::now();
                let resp = client.get(&url).send().await?;
                let status = resp.status();
                let body = resp.text().await?;
                let took = t.elapsed();
                ensure!(
                    status.is_success() && body.contains(marker),
                    "{url}: {status} {}",
                    &body[..body.len().min(300)]
                );
                Ok(took)
            })
            .buffer_unordered(s.concurrency)
            .collect()
            .await;
        let wall = started.elapsed();
        let mut hist = Histogram::<u64>::new(3)?;
        for d in samples {
            hist.record(d?.as_micros() as u64)?;
        }
        let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
        println!(
            "  {kind}: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.0} req/s",
            ms(0.5),
            ms(0.9),
            ms(0.99),
            hist.max() as f64 / 1000.0,
            hist.len() as f64 / wall.as_secs_f64()
        );
    }
    Ok(())
}
