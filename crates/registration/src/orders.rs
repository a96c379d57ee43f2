//! Ordering (R27–R37): a habilitated technical administrator orders, downloads, renews and
//! revokes the certificates of the structures they administer. The first part of the ordering
//! platform: the REST operations; the portal comes on top of them.
//!
//! [`Orders`] is the narrow type ordering is reached through. An order goes check
//! (`orders/check.rs`: parsed once into a checked order) → prepare (the CA: key, subject, names)
//! → record the pending certificate and the pending product together → sign → record the issued
//! certificate, the issued product and its notices together (`orders/notices.rs`, texts in
//! `orders/mails.rs`' templates). `orders/recovery.rs` completes or undoes what a crash left.

use chrono::Utc;
use santepki_authority::{Authority, IssueError, KeySource, Pending};
use santepki_domain::values::{CertificateStatus, KeyOrigin, ProductState};
use santepki_storage::audit::{self, AuditEvent};
use santepki_storage::authority as ca_store;
use santepki_storage::ordering::{self as store, ProductRow};
pub use santepki_storage::ordering::{ProductListRow, ProductSort};
use santepki_storage::registration as reg_store;
use santepki_storage::retry::retrying;
use santepki_storage::{time, Db, StorageError, WriteTx};
use serde::{Deserialize, Serialize};

use crate::facts::Located;
use crate::{new_id, Actor, RegError, Registration};

mod check;
mod mails;
mod notices;
mod recovery;
mod renewal;

pub use recovery::Recovered;

use check::CheckedOrder;
use notices::notify_ordered;

/// An order (R28): the product, the structure, the product information and the key.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderRequest {
    /// `org-auth-cli`, `org-sign`, `org-conf`, `serv-ssl`, `serv-smime`, `pro-auth`, `pro-sign`,
    /// `pro-conf`.
    pub profile: String,
    /// The habilitated structure (idNat_Struct).
    pub structure: String,
    /// Service applicatif (R29), for ORG and SERV S/MIME.
    #[serde(default)]
    pub service: Option<String>,
    /// SERV SSL: a domain or one FQDN.
    #[serde(default)]
    pub dns: Vec<String>,
    /// SERV S/MIME, PRO (optional, R32).
    #[serde(default)]
    pub emails: Vec<String>,
    /// PRO AUTH (optional, R32).
    #[serde(default)]
    pub upn: Option<String>,
    /// PRO: the professional (idNat_PS).
    #[serde(default)]
    pub professional: Option<String>,
    /// Mandatory (R30): who is told about the certificate.
    #[serde(default)]
    pub actor_email: String,
    #[serde(default)]
    /// Optional "personne à informer" who receives copies (R30).
    pub copy_email: Option<String>,
    /// A PKCS#10 request (PEM or base64 DER).
    #[serde(default)]
    pub csr: Option<String>,
    /// Server-side key generation (R31): the PKCS#12 is returned once, under this passphrase.
    #[serde(default)]
    pub generate: Option<Generate>,
    /// Set by the front end that took the order, never by the request's body (R33).
    #[serde(skip)]
    pub channel: Channel,
}

/// The channel an order came through, a column of the product list (R33).
pub use santepki_domain::values::Channel;

#[derive(Debug, Clone, Deserialize)]
/// Server-side key generation settings (R31).
pub struct Generate {
    /// Protects the returned PKCS#12; never stored.
    pub passphrase: String,
    /// `rsa2048` (default), `rsa3072`, `rsa4096`, `p256`, `p384`.
    #[serde(default)]
    pub algorithm: Option<String>,
}

/// What an order returns: the product, its certificate, and the PKCS#12 of a generated key
/// (delivered here, once: the key is not kept).
#[derive(Clone, Serialize)]
pub struct Ordered {
    /// The product record (R33).
    pub product: ProductRow,
    /// The issued certificate (PEM).
    pub certificate_pem: String,
    #[serde(skip)]
    /// The PKCS#12 (key and certificate) when the key was generated server-side; not serialised.
    pub pkcs12: Option<Vec<u8>>,
}

/// How far the ordering wizard got (R28): [`Orders::check_order`] checks the fields of
/// every step up to this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrderStage {
    /// Choice of the offer (ORG, SERV, PRO; R23).
    Offer,
    /// Choice of the structure the administrator is habilitated for (R27).
    Structure,
    /// Usage and product information, including the service applicatif (R29).
    Information,
    /// Contacts: the actor's email and the optional copy (R30).
    Contacts,
}

/// The product table's filters, order and page (R33).
#[derive(Debug, Clone)]
pub struct ProductListing {
    /// Only this structure identifier.
    pub structure: Option<String>,
    /// `issued`, `revoked`, `live` (issued and not expired), `expired`.
    pub state: Option<String>,
    /// `ORG`, `SERV`, `PRO`.
    pub offer: Option<String>,
    /// Free text searched in the product's columns.
    pub text: Option<String>,
    /// The column to sort on.
    pub sort: ProductSort,
    /// Sort from highest to lowest.
    pub descending: bool,
    /// Page size.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}

impl Default for ProductListing {
    fn default() -> Self {
        ProductListing {
            structure: None,
            state: None,
            offer: None,
            text: None,
            sort: ProductSort::Created,
            descending: true,
            limit: 50,
            offset: 0,
        }
    }
}

/// A page of the product table, each product with its structure's name.
#[derive(Debug, Clone, Serialize)]
pub struct ProductListPage {
    /// The page's products.
    pub products: Vec<ProductListRow>,
    /// Products matching the filters, across all pages.
    pub total: i64,
    /// Page size asked for.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}

/// Certificates ending in one month (`YYYY-MM`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthlyExpiries {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// How many live certificates end in that month (R35).
    pub count: i64,
}

/// A page of products.
#[derive(Debug, Clone, Serialize)]
pub struct ProductPage {
    /// The page's products.
    pub products: Vec<ProductRow>,
    /// Products matching, across all pages.
    pub total: i64,
    /// Page size asked for.
    pub limit: i64,
    /// Rows skipped before the page.
    pub offset: i64,
}

fn issue_error(e: IssueError) -> RegError {
    // The database's own errors stay typed: a failover's are replayed (see `retry`).
    let e = match e {
        IssueError::Authority(santepki_authority::AuthorityError::Storage(s)) => return RegError::Storage(s),
        other => other,
    };
    if !e.is_client_error() {
        return RegError::Issue(e.to_string());
    }
    // A key already certified is a conflict with the state of the CA, not a malformed request: 409, as the OpenAPI
    // document declares (issue 15, point 17).
    if matches!(e, IssueError::KeyInUse(_)) {
        return RegError::Conflict { code: e.code(), rule: Some("R37"), message: e.to_string() };
    }
    // A crash or a lost connection left an earlier attempt with this key pending: say when it is
    // settled at the latest (issue 15, point 11).
    if let IssueError::EarlierAttemptPending { serial, retry_after } = &e {
        return RegError::Busy {
            code: e.code(),
            rule: Some("R37"),
            message: format!(
                "une demande précédente avec cette clé (certificat {serial}) est en cours de règlement : \
                 réessayez dans {retry_after} s"
            ),
            retry_after: *retry_after,
        };
    }
    let field = e.field().unwrap_or("request");
    let rule = match (e.code(), field) {
        ("key_in_use", _) => Some("R37"),
        (_, "service") => Some("R29"),
        (_, "email") | (_, "upn") => Some("R32"),
        (_, "dns") => Some("R23"),
        _ => None,
    };
    RegError::Invalid { code: e.code(), field: field.to_owned(), rule, message: e.to_string() }
}

/// The product of an order, recorded `pending` in the transaction that records the CA's pending
/// certificate row (before the CA key signs): the product and its certificate are one unit
/// (issue 15, point 9). [`settle_product`] makes it `issued` with the signed certificate.
async fn record_pending_product(
    tx: &mut WriteTx,
    actor: &Actor,
    order: CheckedOrder,
    pending: &Pending,
    generated: bool,
    renewal_of: Option<&ProductRow>,
) -> Result<ProductRow, RegError> {
    let ordered =
        order.profile.product().ok_or_else(|| RegError::Issue(format!("{} is not ordered", order.profile)))?;
    let (offer, usage) = (ordered.offer(), ordered.usage());
    let now = time::now();
    let n = reg_store::next_counter(tx, "product").await?;
    let actor_email = order.actor_email.clone();
    let copy_email = order.copy_email.clone();
    let req = order.request;
    let product = ProductRow {
        id: new_id("prd"),
        number: format!("P{n:09}"),
        structure: order.structure,
        profile: ordered,
        offer,
        usage,
        service: req.service.clone(),
        professional: req.professional.clone(),
        names: serde_json::json!({ "dns": req.dns, "emails": req.emails, "upn": req.upn }).to_string(),
        actor_email,
        copy_email,
        serial: pending.serial().to_owned(),
        not_after: pending.not_after(),
        state: ProductState::Pending,
        key_origin: if generated { KeyOrigin::Generated } else { KeyOrigin::Csr },
        renewal_of: renewal_of.map(|p| p.id.clone()),
        ordered_by: actor.card_number.clone(),
        channel: req.channel,
        expiry_notice_at: None,
        created_at: now.clone(),
        updated_at: now,
    };
    store::insert_product(tx, &product).await?;
    Ok(product)
}

/// The product settled with its signed certificate, in the transaction that records the
/// certificate as issued, with its audit event.
async fn settle_product(
    tx: &mut WriteTx,
    actor: &Actor,
    pending: ProductRow,
    renewal: bool,
) -> Result<ProductRow, RegError> {
    let now = time::now();
    store::settle_issued(tx, &pending.id, &now).await?;
    let product = ProductRow { state: ProductState::Issued, updated_at: now, ..pending };
    audit::append(
        &mut **tx,
        &AuditEvent::new(
            &actor.audit_id(),
            if renewal { "product.renewed" } else { "product.ordered" },
            &format!("product:{}", product.id),
        )
        .after(&product),
    )
    .await?;
    Ok(product)
}

/// Ordering (R27–R37), the part of the registration authority a technical administrator uses once
/// habilitated: order, list, download, renew and revoke products, and the expiry notices. A narrow
/// view of [`Registration`]: ordering reaches the database, the CA, and two questions to the
/// habilitation side (does this card administer that structure, which directory row is that
/// structure), and nothing of forms, roles or contracts.
///
/// `Orders` is `Copy`, and its operations take it by value: `reg.orders().order(…)` can be
/// awaited or joined without a binding.
#[derive(Clone, Copy)]
pub struct Orders<'a> {
    reg: &'a Registration,
}

impl Registration {
    /// The ordering operations (R27–R37).
    pub fn orders(&self) -> Orders<'_> {
        Orders { reg: self }
    }
}

impl Orders<'_> {
    fn db(&self) -> &Db {
        self.reg.db()
    }

    fn require_authority(&self) -> Result<&Authority, RegError> {
        self.reg.require_authority()
    }

    /// The directory row of a structure named by any of its identifiers.
    async fn locate(&self, idnat: &str) -> Result<Option<Located>, RegError> {
        self.reg.locate(idnat).await
    }
}

impl Orders<'_> {
    /// Orders a certificate (R27–R32). Replayed across a database failover while nothing of it
    /// is committed (see [`order_inner`](Self::order_inner)).
    pub async fn order(self, actor: &Actor, req: OrderRequest) -> Result<Ordered, RegError> {
        retrying("order a certificate", || self.order_inner(actor, req.clone(), None)).await
    }

    /// An order in steps: check the request (once, into a [`CheckedOrder`]); prepare the
    /// certificate (key, subject, names: nothing written); record the CA's pending row and the
    /// pending product in one transaction; sign; record the issued certificate, the issued product
    /// and its notices in one transaction. A crash at any point leaves either nothing, or a
    /// pending pair that recovery abandons together (nothing was handed out), or the whole.
    ///
    /// Across a database failover: until the pending pair is committed, the order fails with a
    /// transient error and the caller replays it whole. Once the certificate is signed, only the
    /// last transaction is replayed (the signature is kept); if the database stays away longer
    /// than the back-off, or the COMMIT's outcome is unknown and a re-read cannot tell, the
    /// answer is 503 and never a transient error: a replay would sign a second certificate for
    /// the key, while recovery settles this one.
    async fn order_inner(
        &self,
        actor: &Actor,
        req: OrderRequest,
        renewal_of: Option<&ProductRow>,
    ) -> Result<Ordered, RegError> {
        let authority = self.require_authority()?;
        let (order, key) = self.check_order_request(actor, req).await?;
        let generated = matches!(key, KeySource::Generate { .. });
        let prepared = authority.prepare(order.issue_request(actor, key)).await.map_err(issue_error)?;
        let mut tx = self.db().begin_write().await?;
        let pending = authority.record_pending(&mut tx, prepared).await.map_err(issue_error)?;
        let product = record_pending_product(&mut tx, actor, order, &pending, generated, renewal_of).await?;
        tx.commit().await?;
        let signed = authority.sign(pending).await.map_err(issue_error)?;
        let renewal = renewal_of.is_some();
        let recorded = retrying("record an issued certificate", || async {
            let mut tx = self.db().begin_write().await?;
            authority.record_issued(&mut tx, &signed).await.map_err(issue_error)?;
            let product = settle_product(&mut tx, actor, product.clone(), renewal).await?;
            notify_ordered(&mut tx, actor, &product, renewal).await?;
            tx.commit().await?;
            Ok(product)
        })
        .await;
        let product = match recorded {
            Ok(p) => p,
            Err(RegError::Storage(e)) if e.is_transient() || matches!(e, StorageError::CommitOutcomeUnknown(_)) => {
                self.settled_after_failover(&product.id, e).await?
            }
            Err(e) => return Err(e),
        };
        let issued = signed.into_issued();
        Ok(Ordered { product, certificate_pem: issued.pem(), pkcs12: issued.pkcs12 })
    }

    /// After the last transaction of an order failed on the database (outcome unknown, or gone
    /// for longer than the back-off): the product if that transaction did commit, else a 503
    /// that is not replayed.
    async fn settled_after_failover(&self, product_id: &str, cause: StorageError) -> Result<ProductRow, RegError> {
        let stored = retrying("re-read an order after a failover", || store::product(self.db(), product_id)).await;
        match stored {
            Ok(Some(p)) if p.state == ProductState::Issued => Ok(p),
            _ => {
                tracing::error!(product = product_id, error = %cause, "an order's certificate was signed but not recorded");
                Err(RegError::Unavailable(format!(
                    "la base de données est indisponible : la commande {product_id} n'a pas abouti et sera annulée \
                     par la reprise ; réessayez dans quelques instants"
                )))
            }
        }
    }

    /// The product table of the portal (R33): the products of the structures the actor
    /// administers, filtered, sorted and paged in SQL (one indexed query, however many
    /// structures the actor administers).
    pub async fn product_listing(self, actor: &Actor, q: &ProductListing) -> Result<ProductListPage, RegError> {
        if !(1..=500).contains(&q.limit) {
            return Err(RegError::invalid("limit", "limit", None, "entre 1 et 500"));
        }
        if q.offset < 0 {
            return Err(RegError::invalid("offset", "offset", None, "positif"));
        }
        if let Some(o) = q.offer.as_deref() {
            if o.parse::<santepki_domain::values::Offer>().is_err() {
                return Err(RegError::invalid("offer", "offer", Some("R23"), "ORG, SERV ou PRO"));
            }
        }
        let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let query = store::ProductQuery {
            card: actor.card_number.clone(),
            structure: clean(&q.structure),
            state: clean(&q.state),
            offer: clean(&q.offer),
            text: clean(&q.text),
            sort: q.sort,
            descending: q.descending,
            limit: q.limit,
            offset: q.offset,
            now: time::now(),
        };
        let (products, total) = store::product_page(self.db(), &query).await?;
        Ok(ProductListPage { products, total, limit: q.limit, offset: q.offset })
    }

    /// Rule R35 seen from the administrator: how many of their live certificates end in the
    /// current month and each of the next `months` months (every month present, zeros
    /// included): a certificate issued today (valid 3 years, R34) ends in month 36.
    pub async fn expiry_schedule(self, actor: &Actor, months: u32) -> Result<Vec<MonthlyExpiries>, RegError> {
        if !(1..=120).contains(&months) {
            return Err(RegError::invalid("months", "months", None, "entre 1 et 120"));
        }
        let now = Utc::now();
        let first = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&now), chrono::Datelike::month(&now), 1)
            .unwrap_or_else(|| now.date_naive());
        let month_list: Vec<chrono::NaiveDate> =
            (0..=months).filter_map(|i| first.checked_add_months(chrono::Months::new(i))).collect();
        let end = first.checked_add_months(chrono::Months::new(months + 1)).unwrap_or(first);
        let until = time::format(end.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        let counts = store::expiries_by_month(self.db(), &actor.card_number, &time::format(now), &until).await?;
        Ok(month_list
            .into_iter()
            .map(|m| {
                let key = m.format("%Y-%m").to_string();
                let count = counts.iter().find(|(k, _)| *k == key).map(|(_, n)| *n).unwrap_or(0);
                MonthlyExpiries { month: key, count }
            })
            .collect())
    }

    /// A product, if the actor administers its structure (else not found: product numbers of
    /// others are not confirmed).
    pub async fn product(self, actor: &Actor, id: &str) -> Result<ProductRow, RegError> {
        let p = store::product(self.db(), id).await?.ok_or_else(|| RegError::not_found("product", id))?;
        // An order in flight, or one a crash abandoned, is not a product anybody has.
        if matches!(p.state, ProductState::Pending | ProductState::Abandoned) {
            return Err(RegError::not_found("product", id));
        }
        if !self.administers(actor, &p.structure).await? {
            return Err(RegError::not_found("product", id));
        }
        Ok(p)
    }

    /// A product's certificate (DER) and its issuing chain (DER, issuing CA then root).
    pub async fn product_certificate(self, actor: &Actor, id: &str) -> Result<(Vec<u8>, Vec<Vec<u8>>), RegError> {
        let p = self.product(actor, id).await?;
        let authority = self.require_authority()?;
        let row = ca_store::certificate(self.db(), &p.serial)
            .await?
            .ok_or_else(|| RegError::not_found("certificate", &p.serial))?;
        let der = row.der.ok_or_else(|| RegError::not_found("certificate", &p.serial))?;
        let issuer =
            authority.ca(&row.ca_id).ok_or_else(|| RegError::Unavailable(format!("CA {} not loaded", row.ca_id)))?;
        Ok((der, vec![issuer.der.clone(), authority.root().der.clone()]))
    }

    /// Revokes a product's certificate (final) with an RFC 5280 reason: the certificate, the
    /// product and their audit events in one transaction (issue 15, point 10), so that a crash
    /// cannot leave a revoked certificate under a product shown as issued.
    /// Replayed across a database failover (one transaction).
    pub async fn revoke_product(self, actor: &Actor, id: &str, reason: &str) -> Result<ProductRow, RegError> {
        retrying("revoke a product", || self.revoke_product_once(actor, id, reason)).await
    }

    async fn revoke_product_once(self, actor: &Actor, id: &str, reason: &str) -> Result<ProductRow, RegError> {
        let p = self.product(actor, id).await?;
        let reason =
            santepki_authority::parse_reason(reason).map_err(|m| RegError::invalid("reason", "reason", None, m))?;
        if p.state != ProductState::Issued {
            return Err(RegError::conflict("product_state", format!("le produit est « {} »", p.state)));
        }
        let authority = self.require_authority()?;
        let now = time::now();
        let mut tx = self.db().begin_write().await?;
        // Revoking the certificate sets its product `revoked` too (storage keeps them together).
        authority.revoke_in(&mut tx, &p.serial, reason, &actor.audit_id()).await.map_err(issue_error)?;
        let after = ProductRow { state: ProductState::Revoked, updated_at: now, ..p.clone() };
        audit::append(
            &mut *tx,
            &AuditEvent::new(&actor.audit_id(), "product.revoked", &format!("product:{}", p.id))
                .before(&p)
                .after(&after),
        )
        .await?;
        tx.commit().await?;
        authority.forget_status(&p.serial);
        Ok(after)
    }

    /// Renews a product (R37): only while its certificate is valid, with a new key (the CA
    /// refuses a key already in a live certificate). The order data are the product's.
    ///
    /// Replayed across a database failover while nothing of it is committed, as [`order`](Self::order).
    pub async fn renew_product(
        self,
        actor: &Actor,
        id: &str,
        csr: Option<String>,
        generate: Option<Generate>,
        channel: Channel,
    ) -> Result<Ordered, RegError> {
        retrying("renew a product", || self.renew_product_once(actor, id, csr.clone(), generate.clone(), channel)).await
    }

    async fn renew_product_once(
        self,
        actor: &Actor,
        id: &str,
        csr: Option<String>,
        generate: Option<Generate>,
        channel: Channel,
    ) -> Result<Ordered, RegError> {
        let p = self.product(actor, id).await?;
        let now = time::format(Utc::now());
        if !p.state.is_live(&p.not_after, &now) {
            return Err(RegError::conflict("not_renewable", "seul un certificat encore valide se renouvelle (R37)"));
        }
        // The certificate's own status decides, not only the product's (issue 15, point 10): a
        // certificate revoked by the CA (an operator, a crash of an older version between the two
        // writes) is not renewed.
        let certificate = ca_store::certificate(self.db(), &p.serial).await?;
        if certificate.as_ref().map(|c| c.status) != Some(CertificateStatus::Issued) {
            return Err(RegError::conflict(
                "not_renewable",
                format!(
                    "le certificat {} n'est pas valide ({}) : seul un certificat encore valide se renouvelle (R37)",
                    p.serial,
                    certificate.map(|c| c.status.to_string()).unwrap_or_else(|| "absent".into())
                ),
            ));
        }
        let names: serde_json::Value = serde_json::from_str(&p.names).unwrap_or_default();
        let list = |k: &str| {
            names[k]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        let (dns, emails, upn) = (list("dns"), list("emails"), names["upn"].as_str().map(str::to_owned));
        let req = OrderRequest {
            profile: p.profile.to_string(),
            structure: self.renewal_structure(actor, &p).await?,
            service: p.service.clone(),
            dns,
            emails,
            upn,
            professional: p.professional.clone(),
            actor_email: p.actor_email.clone(),
            copy_email: p.copy_email.clone(),
            csr,
            generate,
            channel,
        };
        self.order_inner(actor, req, Some(&p)).await
    }
}
