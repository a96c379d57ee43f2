//! What an installation chooses about its CA: naming (test or production environment), key
//! type, policy OID and CPS, the public URL its certificates point to, and publication periods.

use chrono::Duration;
use const_oid::ObjectIdentifier;

use crate::keys::KeyAlgorithm;

/// The test environment names its CAs `TEST AC …` with `OU=IGC-SANTE TEST`, and marks software
/// certificates with product category `0x83` (cards `0x80`) instead of `0x03` (`0x00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// `TEST AC …` names, `OU=IGC-SANTE TEST` and test product categories.
    Test,
    /// The real names and product categories.
    Production,
}

impl Environment {
    /// Parses `test`, `production` or `prod`, in any case.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "test" => Ok(Environment::Test),
            "production" | "prod" => Ok(Environment::Production),
            other => Err(format!("unknown CA environment {other:?}: expected test or production")),
        }
    }
}

/// What an installation chooses about its CA (see the module documentation).
#[derive(Debug, Clone)]
pub struct CaSettings {
    /// Test or production naming.
    pub environment: Environment,
    /// CA key type (RSA 4096 like the real hierarchy, or ECDSA P-256/P-384).
    pub key_algorithm: KeyAlgorithm,
    /// Base URL of the plain HTTP listener as relying parties reach it: CRL distribution
    /// points, AIA caIssuers and OCSP are under it.
    pub public_url: String,
    /// The certificate policy of end-entity certificates. The production OIDs are not public;
    /// the default is the test OID seen in real test certificates.
    pub policy_oid: ObjectIdentifier,
    /// URI of the certification practice statement, in the CertificatePolicies extension.
    pub cps_uri: String,
    /// `O` of the CA names.
    pub organization: String,
    /// First `OU` of the CA names (the agency's SIREN-based identifier).
    pub organization_identifier: String,
    /// Overrides of the CA common names (defaults follow the real hierarchy and environment).
    pub root_name: Option<String>,
    /// Override of the Organisations issuing CA's common name.
    pub organisations_name: Option<String>,
    /// Override of the Personnes issuing CA's common name.
    pub personnes_name: Option<String>,
    /// Validity of CA certificates (20 years in the real hierarchy).
    pub ca_validity_years: u32,
    /// A full CRL is valid this long (published daily, valid a week).
    pub crl_validity: Duration,
    /// A full CRL is republished when this old, or sooner after a revocation.
    pub crl_period: Duration,
    /// Delta CRLs are valid this long.
    pub delta_crl_validity: Duration,
    /// Pre-signed OCSP responses are valid this long, and re-signed when less than
    /// `ocsp_refresh_before` remains.
    pub ocsp_validity: Duration,
    /// See `ocsp_validity`.
    pub ocsp_refresh_before: Duration,
}

impl CaSettings {
    /// Defaults of the test environment (the demo's).
    pub fn test(public_url: impl Into<String>) -> Self {
        CaSettings {
            environment: Environment::Test,
            key_algorithm: KeyAlgorithm::Rsa4096,
            public_url: public_url.into(),
            policy_oid: ObjectIdentifier::new_unwrap("1.2.250.1.213.1.7.2.1.1.1.1"),
            cps_uri: "https://esante.gouv.fr/produits-services/igc-sante".into(),
            organization: "ASIP-SANTE".into(),
            organization_identifier: "0002 187512751".into(),
            root_name: None,
            organisations_name: None,
            personnes_name: None,
            ca_validity_years: 20,
            crl_validity: Duration::days(7),
            crl_period: Duration::days(1),
            delta_crl_validity: Duration::days(1),
            ocsp_validity: Duration::days(4),
            ocsp_refresh_before: Duration::days(2),
        }
    }

    fn prefix(&self) -> &'static str {
        match self.environment {
            Environment::Test => "TEST ",
            Environment::Production => "",
        }
    }

    /// `IGC-SANTE` or `IGC-SANTE TEST`: the second OU of CA names.
    pub fn pki_unit(&self) -> &'static str {
        match self.environment {
            Environment::Test => "IGC-SANTE TEST",
            Environment::Production => "IGC-SANTE",
        }
    }

    /// Common name of the root CA.
    pub fn root_cn(&self) -> String {
        self.root_name.clone().unwrap_or_else(|| format!("{}AC RACINE IGC-SANTE ELEMENTAIRE", self.prefix()))
    }

    /// Common name of the issuing CA for legal persons.
    pub fn organisations_cn(&self) -> String {
        self.organisations_name
            .clone()
            .unwrap_or_else(|| format!("{}AC IGC-SANTE ELEMENTAIRE ORGANISATIONS", self.prefix()))
    }

    /// Common name of the issuing CA for natural persons and cards.
    pub fn personnes_cn(&self) -> String {
        self.personnes_name.clone().unwrap_or_else(|| format!("{}AC IGC-SANTE ELEMENTAIRE PERSONNES", self.prefix()))
    }

    /// The product category byte of a software certificate (`0x03`, test `0x83`).
    pub fn software_category(&self) -> u8 {
        match self.environment {
            Environment::Test => 0x83,
            Environment::Production => 0x03,
        }
    }

    /// The product category byte of a card certificate (`0x00`, test `0x80`).
    pub fn card_category(&self) -> u8 {
        match self.environment {
            Environment::Test => 0x80,
            Environment::Production => 0x00,
        }
    }

    fn base(&self) -> &str {
        self.public_url.trim_end_matches('/')
    }

    /// CRL distribution point of the full CRL of `ca_id`.
    pub fn crl_url(&self, ca_id: &str) -> String {
        format!("{}/crl/{ca_id}.crl", self.base())
    }

    /// FreshestCRL point of the delta CRL of `ca_id`.
    pub fn delta_crl_url(&self, ca_id: &str) -> String {
        format!("{}/crl/{ca_id}-delta.crl", self.base())
    }

    /// AIA caIssuers URL of the certificate of `ca_id`.
    pub fn ca_cert_url(&self, ca_id: &str) -> String {
        format!("{}/ca/{ca_id}.crt", self.base())
    }

    /// AIA OCSP responder URL.
    pub fn ocsp_url(&self) -> String {
        format!("{}/ocsp", self.base())
    }
}
