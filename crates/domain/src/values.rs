//! The fixed value sets the platform stores in TEXT columns (states, kinds, offers, channels…),
//! each one declared once here with its text form, by [`value_set!`].
//!
//! The text is what the database holds (the migrations' comments list the same values), what the
//! JSON API carries and what the OpenAPI document names; the label is what the portal shows.
//! Storage binds [`as_str`](ProductState::as_str) and parses what it reads back, so an unknown
//! stored value is an error naming its column, never a panic.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
#[cfg(feature = "openapi")]
use utoipa::openapi::{
    schema::{ObjectBuilder, Schema, SchemaType, Type},
    RefOr,
};

/// A text that is not one of a value set's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {set} {value:?}: expected one of {}", expected.join(", "))]
pub struct UnknownValue {
    /// The value set (`ProductState`…).
    pub set: &'static str,
    /// The text that was not one of its values.
    pub value: String,
    /// The values of the set.
    pub expected: &'static [&'static str],
}

/// Declares a value set: the enum, its text form (`as_str`, `FromStr`, `Display`, serde as the
/// text, `TryFrom<String>` for the database), its portal label (`label`) and its OpenAPI schema
/// (a string enumerating the texts, with the `openapi` feature). In the spirit of rustls's `enum_builder!`: each value is
/// written once, with its text and its label.
macro_rules! value_set {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal => $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $text, "` (", $label, ")")] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The text of every value, in declaration order.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            /// The text form: what the database and the JSON API hold.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// What the portal shows (French).
            pub const fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { set: stringify!($name), value: s.to_owned(), expected: $name::TEXTS }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;

            fn try_from(s: String) -> Result<Self, UnknownValue> {
                s.parse()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = Cow::<'de, str>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                text_schema(stringify!($name), $name::TEXTS)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

/// The OpenAPI schema of a value set: a string taking one of `texts`.
#[cfg(feature = "openapi")]
fn text_schema(name: &str, texts: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .title(Some(name))
        .enum_values(Some(texts.iter().copied()))
        .build()
        .into()
}

// --- Registration (migration 0003) ------------------------------------------------------------

value_set! {
    /// A contract's kind: a structure's, or a software vendor's (R49).
    pub enum ContractKind {
        Structure = "structure" => "Structure",
        Vendor = "vendor" => "Éditeur",
    }
}

value_set! {
    /// Whether a contract is in force (R3).
    pub enum ContractState {
        Active = "active" => "En vigueur",
        Terminated = "terminated" => "Résilié",
    }
}

value_set! {
    /// The role a card holder holds (R4, R5, R6, R49).
    pub enum RoleKind {
        LegalRepresentative = "legal-representative" => "Représentant légal",
        Mandataire = "mandataire" => "Mandataire",
        VendorAdministrator = "vendor-administrator" => "Administrateur technique d'éditeur",
        Operator = "operator" => "Opérateur",
    }
}

value_set! {
    /// Where a role stands: requested roles wait for an operator (R5).
    pub enum RoleState {
        Requested = "requested" => "Demandé",
        Active = "active" => "Actif",
        Ended = "ended" => "Terminé",
        Refused = "refused" => "Refusé",
    }
}

impl RoleState {
    /// Whether the role is held or awaited: a second one of its kind for its card is a duplicate.
    pub fn is_pending_or_active(self) -> bool {
        matches!(self, RoleState::Active | RoleState::Requested)
    }
}

value_set! {
    /// Where a form 413 stands (R24, R47).
    pub enum FormState {
        AwaitingSignature = "awaiting-signature" => "En attente de signature",
        Acknowledged = "acknowledged" => "Signé, accusé de réception envoyé",
        Validated = "validated" => "Validé",
        Rejected = "rejected" => "Rejeté",
        Withdrawn = "withdrawn" => "Retiré",
    }
}

value_set! {
    /// How a form 413 was signed (R47).
    pub enum SignatureMethod {
        /// Confirmation over the card-authenticated connection.
        Session = "session" => "Confirmation en session",
        /// A detached CMS signature of the form's content by the signer's card.
        Cms = "cms" => "Signature CMS détachée",
    }
}

value_set! {
    /// Whether a habilitation is in force (R25).
    pub enum HabilitationState {
        Active = "active" => "Active",
        Withdrawn = "withdrawn" => "Retirée",
    }
}

value_set! {
    /// Where an outgoing mail stands in the outbox.
    pub enum MailState {
        Queued = "queued" => "En attente",
        Sending = "sending" => "En cours d'envoi",
        Sent = "sent" => "Envoyé",
        Failed = "failed" => "En échec",
    }
}

// --- Ordering (migrations 0004, 0005) ---------------------------------------------------------

value_set! {
    /// The offer of a product (R23).
    pub enum Offer {
        Org = "ORG" => "Organisation",
        Serv = "SERV" => "Serveur",
        Pro = "PRO" => "Professionnel",
    }
}

value_set! {
    /// The certificate profiles a structure's administrator orders (R23).
    pub enum ProductProfile {
        OrgAuthCli = "org-auth-cli" => "ORG authentification client",
        OrgSign = "org-sign" => "ORG signature",
        OrgConf = "org-conf" => "ORG confidentialité",
        ServSsl = "serv-ssl" => "SERV SSL serveur",
        ServSmime = "serv-smime" => "SERV S/MIME",
        ProAuth = "pro-auth" => "PRO authentification",
        ProSign = "pro-sign" => "PRO signature",
        ProConf = "pro-conf" => "PRO confidentialité",
    }
}

impl ProductProfile {
    /// The offer of the profile (R23).
    pub const fn offer(self) -> Offer {
        match self {
            ProductProfile::OrgAuthCli | ProductProfile::OrgSign | ProductProfile::OrgConf => Offer::Org,
            ProductProfile::ServSsl | ProductProfile::ServSmime => Offer::Serv,
            ProductProfile::ProAuth | ProductProfile::ProSign | ProductProfile::ProConf => Offer::Pro,
        }
    }

    /// The usage of the profile as the platform names it (R23).
    pub const fn usage(self) -> ProductUsage {
        match self {
            ProductProfile::OrgAuthCli => ProductUsage::AuthCli,
            ProductProfile::OrgSign | ProductProfile::ProSign => ProductUsage::Sign,
            ProductProfile::OrgConf | ProductProfile::ProConf => ProductUsage::Conf,
            ProductProfile::ServSsl => ProductUsage::SslServ,
            ProductProfile::ServSmime => ProductUsage::Smime,
            ProductProfile::ProAuth => ProductUsage::Auth,
        }
    }
}

value_set! {
    /// The usage of a product as the platform names it (R23).
    pub enum ProductUsage {
        AuthCli = "AUTH_CLI" => "Authentification client",
        Sign = "SIGN" => "Signature",
        Conf = "CONF" => "Confidentialité",
        SslServ = "SSL_SERV" => "SSL serveur",
        Smime = "S/MIME" => "S/MIME",
        Auth = "AUTH" => "Authentification",
    }
}

value_set! {
    /// Where a product stands: issued until revoked (expiry is read from its end date). An order
    /// is `pending` while the CA signs its certificate (one unit with the CA's pending row), and
    /// `abandoned` when the process stopped before the certificate was signed and recorded
    /// (nothing was handed out). Pending and abandoned products are not shown to administrators.
    pub enum ProductState {
        Pending = "pending" => "En cours d'émission",
        Issued = "issued" => "Valide",
        Revoked = "revoked" => "Révoqué",
        Abandoned = "abandoned" => "Abandonné",
    }
}

impl ProductState {
    /// Whether a product in this state, ending at `not_after`, is live at `now` (both RFC 3339
    /// UTC, which sort as text): issued and not expired (R34, R36).
    pub fn is_live(self, not_after: &str, now: &str) -> bool {
        self == ProductState::Issued && not_after > now
    }

    /// The portal's label at `now`: an issued product past its end is shown expired.
    pub fn label_at(self, not_after: &str, now: &str) -> &'static str {
        match self {
            ProductState::Issued if not_after <= now => "Expiré",
            other => other.label(),
        }
    }
}

value_set! {
    /// How the key of a product was made (R31).
    pub enum KeyOrigin {
        Csr = "csr" => "CSR fournie",
        Generated = "generated" => "générée en ligne",
    }
}

value_set! {
    /// The channel a product was ordered through (R33): the web portal or the REST API.
    pub enum Channel {
        Portal = "portal" => "Plateforme",
        Api = "api" => "API",
    }
}

impl Default for Channel {
    /// Products ordered before the channel was recorded came through the portal (migration 0005).
    fn default() -> Self {
        Channel::Portal
    }
}

// --- The certificate authority (migration 0002) -------------------------------------------------

value_set! {
    /// Where a certificate of the CA stands. A row is written `pending` before the CA key signs
    /// and becomes `issued` after; a pending row whose signature failed is `failed`, one left by
    /// a process that stopped is `abandoned` (santepki_authority::issue).
    pub enum CertificateStatus {
        Pending = "pending" => "En cours",
        Issued = "issued" => "Émis",
        Revoked = "revoked" => "Révoqué",
        Failed = "failed" => "Échec de signature",
        Abandoned = "abandoned" => "Abandonné",
    }
}

value_set! {
    /// The status a stored OCSP response states (RFC 6960).
    pub enum OcspStatus {
        Good = "good" => "Valide",
        Revoked = "revoked" => "Révoqué",
    }
}

impl OcspStatus {
    /// The certificate status a response stating this was made for.
    pub fn certificate_status(self) -> CertificateStatus {
        match self {
            OcspStatus::Good => CertificateStatus::Issued,
            OcspStatus::Revoked => CertificateStatus::Revoked,
        }
    }
}

value_set! {
    /// A CRL's kind (RFC 5280): complete, or the changes since a complete one.
    pub enum CrlKind {
        Full = "full" => "Complète",
        Delta = "delta" => "Delta",
    }
}

value_set! {
    /// RFC 5280 reasons a certificate may be revoked for, by their ASN.1 names. Revocation is
    /// final: `certificateHold` is not one of them.
    pub enum RevocationReason {
        Unspecified = "unspecified" => "Non précisée",
        KeyCompromise = "keyCompromise" => "Compromission de la clé",
        AffiliationChanged = "affiliationChanged" => "Changement d'affiliation",
        Superseded = "superseded" => "Remplacé",
        CessationOfOperation = "cessationOfOperation" => "Cessation d'activité",
        PrivilegeWithdrawn = "privilegeWithdrawn" => "Privilège retiré",
    }
}

impl RevocationReason {
    /// A reason as people type it: case and punctuation ignored (`key-compromise`,
    /// `KeyCompromise`…).
    pub fn parse_lenient(s: &str) -> Result<Self, UnknownValue> {
        let norm = |t: &str| t.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        let wanted = norm(s);
        RevocationReason::ALL.iter().copied().find(|r| norm(r.as_str()) == wanted).ok_or_else(|| UnknownValue {
            set: "RevocationReason",
            value: s.to_owned(),
            expected: RevocationReason::TEXTS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_from_its_text_and_json() {
        for s in ProductUsage::ALL {
            assert_eq!(s.as_str().parse::<ProductUsage>(), Ok(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<ProductUsage>(&json).unwrap(), *s);
        }
        assert_eq!(FormState::AwaitingSignature.to_string(), "awaiting-signature");
    }

    #[test]
    fn an_unknown_text_is_an_error_naming_the_set_and_the_value() {
        let e = "archived".parse::<ProductState>().unwrap_err();
        assert_eq!(e.set, "ProductState");
        assert_eq!(e.value, "archived");
        assert!(e.to_string().contains("issued, revoked"), "{e}");
        assert!(serde_json::from_str::<Offer>("\"org\"").is_err());
    }

    #[test]
    fn a_product_is_live_while_issued_and_not_expired() {
        let now = "2026-06-01T00:00:00Z";
        assert!(ProductState::Issued.is_live("2027-01-01T00:00:00Z", now));
        assert!(!ProductState::Issued.is_live("2026-01-01T00:00:00Z", now));
        assert!(!ProductState::Revoked.is_live("2027-01-01T00:00:00Z", now));
        assert_eq!(ProductState::Issued.label_at("2026-01-01T00:00:00Z", now), "Expiré");
    }

    #[test]
    #[cfg(feature = "openapi")]
    fn the_schema_lists_the_texts() {
        let schema = serde_json::to_value(<Channel as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["enum"], serde_json::json!(["portal", "api"]));
    }
}
