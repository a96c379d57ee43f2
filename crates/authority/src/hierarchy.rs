//! The CA hierarchy: a root and two issuing CAs modelled on the real one (REFERENCE.md), created
//! once by `santepki ca init` and loaded by every command and node afterwards.
//!
//! The CA certificates live in the database (every node reads the same ones); the keys live in
//! the key custody backend under the labels recorded beside them.

use std::sync::Arc;

use chrono::{DateTime, Months, Timelike, Utc};
use const_oid::db::rfc4519;
use der::{Decode, Encode};
use santepki_storage::audit::AuditEvent;
use santepki_storage::authority::{self as store, AuthorityRow};
use santepki_storage::Db;
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::certificate::{self, IssuerInfo};
use crate::keys::{CaSigner, KeyAlgorithm, KeyCustody};
use crate::profiles::IssuingRole;
use crate::settings::CaSettings;
use crate::x509::{self, NameAttr};
use crate::AuthorityError;

/// Short names of the CAs, as the real published artefacts (`ACR-EL.cer`, `ACI-EL-ORG.crl`…).
pub const ROOT_ID: &str = "ACR-EL";
/// Short name of the issuing CA for legal persons (`AC IGC-SANTE … ORGANISATIONS`).
pub const ORGANISATIONS_ID: &str = "ACI-EL-ORG";
/// Short name of the issuing CA for natural persons and cards (`AC IGC-SANTE … PERSONNES`).
pub const PERSONNES_ID: &str = "ACI-EL-PP";

/// A CA ready to sign.
pub struct LoadedCa {
    /// Short name (`ACR-EL`, `ACI-EL-ORG`, `ACI-EL-PP`), used in artefact names and URLs.
    pub id: String,
    /// Common name of the CA certificate.
    pub name: String,
    /// `root`, or the [`IssuingRole`] name it signs for.
    pub role: String,
    /// Short name of the CA that signed it; `None` for the root.
    pub parent_id: Option<String>,
    /// The CA certificate.
    pub certificate: Certificate,
    /// Its DER encoding.
    pub der: Vec<u8>,
    /// Its subject, the issuer name of what it signs.
    pub subject: Name,
    /// SHA-1 of the public key bits: SKI, AKI of what it signs, OCSP issuerKeyHash.
    pub key_identifier: Vec<u8>,
    /// SHA-1 of the DER subject: OCSP issuerNameHash.
    pub name_sha1: Vec<u8>,
    /// SHA-256 of the DER subject: OCSP issuerNameHash of SHA-256 requests.
    pub name_sha256: Vec<u8>,
    /// SHA-256 of the public key bits: OCSP issuerKeyHash of SHA-256 requests.
    pub key_sha256: Vec<u8>,
    /// The CA key.
    pub signer: Arc<dyn CaSigner>,
}

impl LoadedCa {
    pub(crate) fn issuer_info(&self) -> IssuerInfo<'_> {
        IssuerInfo {
            id: &self.id,
            subject: &self.subject,
            key_identifier: &self.key_identifier,
            signer: self.signer.as_ref(),
        }
    }

    /// The CA certificate in PEM.
    pub fn pem(&self) -> String {
        use der::EncodePem;
        self.certificate.to_pem(der::pem::LineEnding::LF).unwrap_or_default()
    }

    /// End of the CA certificate's validity.
    pub fn not_after(&self) -> DateTime<Utc> {
        let secs = self.certificate.tbs_certificate.validity.not_after.to_unix_duration().as_secs();
        DateTime::from_timestamp(secs as i64, 0).unwrap_or_default()
    }

    fn from_row(row: &AuthorityRow, signer: Arc<dyn CaSigner>) -> Result<Self, AuthorityError> {
        let certificate = Certificate::from_der(&row.certificate)
            .map_err(|e| AuthorityError::Corrupt(format!("CA {}: {e}", row.id)))?;
        let spki_der = certificate.tbs_certificate.subject_public_key_info.to_der()?;
        if spki_der != signer.public_key_der() {
            return Err(AuthorityError::Corrupt(format!(
                "the key {:?} does not match the certificate of CA {}",
                row.key_label, row.id
            )));
        }
        let subject = certificate.tbs_certificate.subject.clone();
        let subject_der = subject.to_der()?;
        let key_bits = certificate.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes().to_vec();
        Ok(LoadedCa {
            id: row.id.clone(),
            name: row.name.clone(),
            role: row.role.clone(),
            parent_id: row.parent_id.clone(),
            key_identifier: x509::key_identifier(&spki_der)?,
            name_sha1: x509::sha1(&subject_der),
            name_sha256: aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &subject_der).as_ref().to_vec(),
            key_sha256: aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &key_bits).as_ref().to_vec(),
            subject,
            der: row.certificate.clone(),
            certificate,
            signer,
        })
    }
}

fn ca_name(settings: &CaSettings, cn: &str) -> Result<Name, der::Error> {
    x509::build_name(&[
        vec![NameAttr::new(rfc4519::C, "FR")],
        vec![NameAttr::new(rfc4519::O, settings.organization.clone())],
        vec![NameAttr::new(rfc4519::OU, settings.organization_identifier.clone())],
        vec![NameAttr::new(rfc4519::OU, settings.pki_unit())],
        vec![NameAttr::new(rfc4519::CN, cn)],
    ])
}

/// The label of a new CA key: the CA id, the creation time and a random suffix, so that two
/// hierarchies (two databases, or a re-created test CA) sharing one HSM token never collide. The
/// label is recorded beside the CA certificate.
#[allow(
    clippy::expect_used,
    reason = "aws-lc fails only when the operating system has no random source, where no CA can run"
)]
pub(crate) fn key_label(id: &str, created: DateTime<Utc>) -> String {
    let mut suffix = [0u8; 3];
    aws_lc_rs::rand::fill(&mut suffix).expect("the system random generator works");
    format!("santepki-{id}-{}-{}", created.format("%Y%m%dT%H%M%SZ"), hex::encode(suffix))
}

/// Loads the hierarchy; `None` when `ca init` was never run on this database.
pub async fn load(db: &Db, custody: &dyn KeyCustody) -> Result<Option<Vec<Arc<LoadedCa>>>, AuthorityError> {
    let rows = store::authorities(db).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for row in &rows {
        if row.key_backend != custody.backend() {
            return Err(AuthorityError::Config(format!(
                "CA {} keeps its key in the {} backend, but the configuration uses {}",
                row.id,
                row.key_backend,
                custody.backend()
            )));
        }
        let algorithm: KeyAlgorithm = row.key_algorithm.parse().map_err(AuthorityError::Corrupt)?;
        let signer = custody.open(&row.key_label, algorithm)?;
        out.push(Arc::new(LoadedCa::from_row(row, signer)?));
    }
    Ok(Some(out))
}

/// Creates the root and the two issuing CAs. Fails if a hierarchy exists.
pub async fn create(
    db: &Db,
    settings: &CaSettings,
    custody: &dyn KeyCustody,
    actor: &str,
) -> Result<Vec<Arc<LoadedCa>>, AuthorityError> {
    if !store::authorities(db).await?.is_empty() {
        return Err(AuthorityError::AlreadyInitialised);
    }
    let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
    let root_until = now
        .checked_add_months(Months::new(12 * settings.ca_validity_years))
        .ok_or_else(|| AuthorityError::Config("CA validity is out of range".into()))?;

    let root_name = ca_name(settings, &settings.root_cn())?;
    let root_label = key_label(ROOT_ID, now);
    let root_signer = custody.generate(&root_label, settings.key_algorithm)?;
    let root_cert = certificate::ca_certificate(
        settings,
        &root_name,
        root_signer.public_key_der(),
        &x509::random_serial(),
        now,
        root_until,
        None,
        root_signer.as_ref(),
    )?;
    // Everything is built (keys in custody, certificates signed) before anything is recorded,
    // and the three CAs are recorded in one transaction: a failure leaves no half hierarchy.
    let (root, root_row, root_event) = prepare(
        ROOT_ID,
        &settings.root_cn(),
        None,
        "root",
        &root_label,
        settings.key_algorithm,
        &root_cert,
        root_signer,
        custody,
        actor,
    )?;
    let mut records = vec![(root_row, root_event)];
    let mut cas = vec![root.clone()];
    for (id, cn, role) in [
        (ORGANISATIONS_ID, settings.organisations_cn(), IssuingRole::Organisations),
        (PERSONNES_ID, settings.personnes_cn(), IssuingRole::Personnes),
    ] {
        let label = key_label(id, now);
        let signer = custody.generate(&label, settings.key_algorithm)?;
        let cert = certificate::ca_certificate(
            settings,
            &ca_name(settings, &cn)?,
            signer.public_key_der(),
            &x509::random_serial(),
            now,
            root_until,
            Some(&root.issuer_info()),
            signer.as_ref(),
        )?;
        let (ca, row, event) = prepare(
            id,
            &cn,
            Some(ROOT_ID),
            role.as_str(),
            &label,
            settings.key_algorithm,
            &cert,
            signer,
            custody,
            actor,
        )?;
        records.push((row, event));
        cas.push(ca);
    }
    if let Err(e) = store::insert_authorities(db, &records).await {
        // Another node initialised the same database meanwhile.
        if !store::authorities(db).await?.is_empty() {
            return Err(AuthorityError::AlreadyInitialised);
        }
        return Err(e.into());
    }
    Ok(cas)
}

#[allow(clippy::too_many_arguments)]
fn prepare(
    id: &str,
    cn: &str,
    parent: Option<&str>,
    role: &str,
    label: &str,
    algorithm: KeyAlgorithm,
    cert: &Certificate,
    signer: Arc<dyn CaSigner>,
    custody: &dyn KeyCustody,
    actor: &str,
) -> Result<(Arc<LoadedCa>, AuthorityRow, AuditEvent), AuthorityError> {
    let der = cert.to_der()?;
    let row = AuthorityRow {
        id: id.into(),
        name: cn.into(),
        parent_id: parent.map(str::to_owned),
        role: role.into(),
        key_backend: custody.backend().into(),
        key_label: label.into(),
        key_algorithm: algorithm.name().into(),
        certificate: der,
        spki_sha1: String::new(),
        name_sha1: String::new(),
        crl_number: 0,
        crl_dirty: 1,
        created_at: santepki_storage::time::now(),
    };
    let ca = LoadedCa::from_row(&row, signer)?;
    let row = AuthorityRow { spki_sha1: hex::encode(&ca.key_identifier), name_sha1: hex::encode(&ca.name_sha1), ..row };
    let event = AuditEvent::new(actor, "ca.created", &format!("ca:{id}")).after(&serde_json::json!({
        "name": cn,
        "parent": parent,
        "role": role,
        "key_backend": custody.backend(),
        "key_algorithm": algorithm.name(),
        "serial": x509::serial_hex(&cert.tbs_certificate.serial_number),
    }));
    Ok((Arc::new(ca), row, event))
}
