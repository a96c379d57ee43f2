//! The uses a relying party checks a certificate for, and each use's own rules: which product
//! (R36, R42), which service applicatif (R29), which key usages.

use std::fmt;
use std::str::FromStr;

use const_oid::db::rfc5280;
use const_oid::ObjectIdentifier;
use santepki_authority::profiles::{OID_CARD_PRODUCT_TYPE, OID_PRODUCT_CATEGORY};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::Certificate;

use crate::names;
use crate::revocation::RevocationPolicy;
use crate::verdict::{Code, Refusal};

/// The service applicatif of the DMP's ORG AUTH_CLI certificate (R29).
pub const DMP_AUTHENTIFICATION: &str = "DMP AUTHENTIFICATION";
/// The service applicatif of the DMP's ORG SIGN certificate (R29).
pub const DMP_SIGNATURE: &str = "DMP SIGNATURE";
/// The INSi service names, exact case, no spaces (R29).
pub const INSI_NAMES: [&str; 2] = ["INSI-AUTO", "INSI-MANU"];

/// A use a certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Use {
    /// TLS client authentication to the DMP: ORG AUTH_CLI named `DMP AUTHENTIFICATION` (R29, R36).
    DmpAuth,
    /// Signature of DMP documents and submission sets: ORG SIGN named `DMP SIGNATURE` (R29, R36).
    DmpSign,
    /// The INSi téléservice: its own ORG AUTH_CLI named `INSI-AUTO` or `INSI-MANU` (R29, R36).
    Insi,
    /// MSSanté: ORG AUTH_CLI (R36).
    Mssante,
    /// The Dossier Pharmaceutique: a natural person's authentication, PRO AUTH or a CPx card (R42).
    Dp,
    /// A TLS server: SERV SSL.
    TlsServer,
}

impl Use {
    /// Every use.
    pub const ALL: [Use; 6] = [Use::DmpAuth, Use::DmpSign, Use::Insi, Use::Mssante, Use::Dp, Use::TlsServer];

    /// The name on the command line and in the API.
    pub fn name(self) -> &'static str {
        match self {
            Use::DmpAuth => "dmp-auth",
            Use::DmpSign => "dmp-sign",
            Use::Insi => "insi",
            Use::Mssante => "mssante",
            Use::Dp => "dp",
            Use::TlsServer => "tls-server",
        }
    }

    /// The extended key usage the use requires (DER contents of the OID, for webpki).
    pub(crate) fn eku(self) -> ObjectIdentifier {
        match self {
            Use::DmpAuth | Use::Insi | Use::Mssante | Use::Dp => rfc5280::ID_KP_CLIENT_AUTH,
            Use::DmpSign => rfc5280::ID_KP_EMAIL_PROTECTION,
            Use::TlsServer => rfc5280::ID_KP_SERVER_AUTH,
        }
    }

    /// The key usage bit the use needs (RFC 5280 §4.2.1.3): a signature with non-repudiation
    /// for DMP documents, a digital signature for authentication.
    fn key_usage(self) -> KeyUsages {
        match self {
            Use::DmpSign => KeyUsages::NonRepudiation,
            _ => KeyUsages::DigitalSignature,
        }
    }

    /// What happens when no revocation status can be had: the health services refuse (their
    /// certificates carry the right to read and write patient data); a TLS server certificate
    /// is accepted with a warning, as browsers do.
    pub fn default_revocation(self) -> RevocationPolicy {
        match self {
            Use::TlsServer => RevocationPolicy::SoftFail,
            _ => RevocationPolicy::HardFail,
        }
    }
}

impl fmt::Display for Use {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Use {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Use::ALL.into_iter().find(|u| u.name() == wanted).ok_or_else(|| {
            let names: Vec<_> = Use::ALL.iter().map(|u| u.name()).collect();
            format!("unknown use {s:?}: expected one of {}", names.join(", "))
        })
    }
}

/// What kind of product a certificate is, read from its content (REFERENCE.md's profiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Product {
    /// ORG AUTH_CLI: a structure (OU), client authentication only.
    OrgAuthCli,
    /// ORG SIGN: a structure, non-repudiation, emailProtection.
    OrgSign,
    /// SERV SSL: a structure, serverAuth.
    ServSsl,
    /// A natural person's software certificate (PRO): no OU.
    Pro,
    /// A CPx card certificate.
    Card,
    /// Anything else.
    Other,
}

impl Product {
    fn describe(self) -> &'static str {
        match self {
            Product::OrgAuthCli => "ORG AUTH_CLI",
            Product::OrgSign => "ORG SIGN",
            Product::ServSsl => "SERV SSL",
            Product::Pro => "PRO",
            Product::Card => "CPx card",
            Product::Other => "not an IGC-Santé product this verifier knows",
        }
    }
}

/// The certificate's content the use rules read.
pub(crate) struct Content {
    ekus: Vec<ObjectIdentifier>,
    key_usage: Option<KeyUsage>,
    category: Option<u8>,
    is_card: bool,
    /// Subject CN.
    pub cn: Option<String>,
    /// Subject OU: the structure's idNat_Struct on ORG and SERV certificates.
    pub ou: Option<String>,
}

impl Content {
    pub(crate) fn read(cert: &Certificate) -> Content {
        let tbs = &cert.tbs_certificate;
        let ekus = tbs.get::<ExtendedKeyUsage>().ok().flatten().map(|(_, e)| e.0).unwrap_or_default();
        let key_usage = tbs.get::<KeyUsage>().ok().flatten().map(|(_, k)| k);
        let ext = |oid: ObjectIdentifier| {
            tbs.extensions
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find(|e| e.extn_id == oid)
                .map(|e| e.extn_value.clone())
        };
        // The product category is an OCTET STRING holding one byte, inside the extension's own OCTET STRING.
        let category = ext(OID_PRODUCT_CATEGORY).and_then(|v| {
            use der::Decode;
            der::asn1::OctetString::from_der(v.as_bytes()).ok().and_then(|o| o.as_bytes().first().copied())
        });
        Content {
            ekus,
            key_usage,
            category,
            is_card: ext(OID_CARD_PRODUCT_TYPE).is_some(),
            cn: names::first(&tbs.subject, const_oid::db::rfc4519::CN),
            ou: names::first(&tbs.subject, const_oid::db::rfc4519::OU),
        }
    }

    fn product(&self) -> Product {
        let has = |oid| self.ekus.contains(&oid);
        // Card categories are 0x00 and 0x80; software ones 0x03 and 0x83 (REFERENCE.md).
        if self.is_card || matches!(self.category, Some(0x00 | 0x80)) {
            return Product::Card;
        }
        if !matches!(self.category, Some(0x03 | 0x83)) {
            return Product::Other;
        }
        match (
            &self.ou,
            has(rfc5280::ID_KP_SERVER_AUTH),
            has(rfc5280::ID_KP_CLIENT_AUTH),
            has(rfc5280::ID_KP_EMAIL_PROTECTION),
        ) {
            (Some(_), true, _, _) => Product::ServSsl,
            (Some(_), false, true, false) => Product::OrgAuthCli,
            (Some(_), false, false, true) if self.has_key_usage(KeyUsages::NonRepudiation) => Product::OrgSign,
            (None, _, _, _) => Product::Pro,
            _ => Product::Other,
        }
    }

    fn has_key_usage(&self, bit: KeyUsages) -> bool {
        self.key_usage.is_some_and(|k| k.0.contains(bit))
    }
}

/// The key usage check (RFC 5280 §4.2.1.3): webpki leaves key usage to the caller.
pub(crate) fn check_key_usage(usage: Use, content: &Content, refusals: &mut Vec<Refusal>) {
    let needed = usage.key_usage();
    match content.key_usage {
        // Absent key usage allows every use (RFC 5280 §4.2.1.3).
        None => {}
        Some(k) if k.0.contains(needed) => {}
        Some(_) => {
            refusals.push(Refusal::new(Code::KeyUsage, format!("the key usage does not allow {needed:?} ({usage})")))
        }
    }
}

/// The use's own rules: the product (R36, R42), the service applicatif (R29), the holder (R43).
pub(crate) fn check_product(usage: Use, content: &Content, refusals: &mut Vec<Refusal>) {
    let product = content.product();
    let wrong_product = |wanted: &str| {
        Refusal::new(
            Code::Product,
            format!("{usage} needs {wanted}; this certificate is {} (R36, R42)", product.describe()),
        )
    };
    let cn = content.cn.as_deref().unwrap_or("");
    match usage {
        Use::DmpAuth | Use::Insi | Use::Mssante if product != Product::OrgAuthCli => {
            refusals.push(wrong_product("an ORG AUTH_CLI certificate"))
        }
        Use::DmpSign if product != Product::OrgSign => refusals.push(wrong_product("an ORG SIGN certificate")),
        Use::TlsServer if product != Product::ServSsl => refusals.push(wrong_product("a SERV SSL certificate")),
        Use::Dp if !matches!(product, Product::Pro | Product::Card) => {
            refusals.push(wrong_product("a natural person's certificate (PRO AUTH or a CPx card)"))
        }
        _ => {}
    }
    let service = |wanted: &[&str]| {
        if wanted.contains(&cn) {
            None
        } else {
            let near = wanted.iter().any(|w| normalize(w) == normalize(cn));
            Some(Refusal::new(
                Code::ServiceName,
                format!(
                    "{usage} needs the service applicatif {}; the certificate's CN is {cn:?}{}",
                    wanted.iter().map(|w| format!("{w:?}")).collect::<Vec<_>>().join(" or "),
                    if near { " (R29: exact case, no spaces)" } else { "" }
                ),
            ))
        }
    };
    let refusal = match usage {
        Use::DmpAuth => service(&[DMP_AUTHENTIFICATION]),
        Use::DmpSign => service(&[DMP_SIGNATURE]),
        Use::Insi => service(&INSI_NAMES),
        Use::Dp if !is_idnat_ps(cn) => Some(Refusal::new(
            Code::Holder,
            format!("a natural person's certificate names its holder's idNat_PS in its CN; found {cn:?}"),
        )),
        _ => None,
    };
    refusals.extend(refusal);
}

/// Upper case without spaces, hyphens or underscores: how a near miss of a service name is told
/// apart from another name.
fn normalize(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '-' | '_')).flat_map(char::to_uppercase).collect()
}

/// An idNat_PS (R43): `8` + RPPS (11 digits) or `0` + ADELI (9 characters).
pub(crate) fn is_idnat_ps(s: &str) -> bool {
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    match s.split_at_checked(1) {
        Some(("8", rpps)) => rpps.len() == 11 && all_digits(rpps),
        Some(("0", adeli)) => adeli.len() == 9 && adeli.bytes().all(|b| b.is_ascii_alphanumeric()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_parse_by_name_in_any_case_and_with_underscores() {
        for u in Use::ALL {
            assert_eq!(u.name().parse::<Use>(), Ok(u));
            assert_eq!(u.name().to_uppercase().replace('-', "_").parse::<Use>(), Ok(u));
        }
        assert!("dmp".parse::<Use>().unwrap_err().contains("dmp-auth, dmp-sign"));
    }

    #[test]
    fn r43_id_nat_ps_is_8_and_rpps_or_0_and_adeli() {
        assert!(is_idnat_ps("899700270616"));
        assert!(is_idnat_ps("0751234567"));
        assert!(!is_idnat_ps("99700270616"), "an RPPS without its type digit");
        assert!(!is_idnat_ps("8997002706"), "too short");
        assert!(!is_idnat_ps("1330900028"), "a structure");
        assert!(!is_idnat_ps("DMP AUTHENTIFICATION"));
        assert!(!is_idnat_ps(""));
    }

    #[test]
    fn r29_near_misses_of_a_service_name_normalise_alike() {
        for near in ["insi-auto", "INSI AUTO", "INSI_AUTO", "Insi-Auto"] {
            assert_eq!(normalize(near), normalize("INSI-AUTO"), "{near}");
        }
        assert_ne!(normalize("INSI-MANU"), normalize("INSI-AUTO"));
    }

    #[test]
    fn health_services_hard_fail_and_tls_servers_soft_fail() {
        for u in Use::ALL {
            let expected = if u == Use::TlsServer { RevocationPolicy::SoftFail } else { RevocationPolicy::HardFail };
            assert_eq!(u.default_revocation(), expected, "{u}");
        }
    }
}
