//! Certificate profiles: for each offer and usage the seeds name (R23, R36, REFERENCE.md), what
//! goes in the subject, the key usages, the extended key usages and the alternative names.
//!
//! Profiles are pure: they turn directory data and a request into certificate content, and
//! [`lint`](crate::lint) checks a finished certificate against the same tables before the CA
//! signs it. The subject is always built here, never copied from a CSR.

use std::fmt;
use std::str::FromStr;

use const_oid::db::{rfc4519, rfc5280, rfc5912};
use const_oid::ObjectIdentifier;
use santepki_domain::professional::CardType;
use santepki_domain::structure::Departement;
use x509_cert::ext::pkix::KeyUsages;

use crate::x509::NameAttr;

/// The private extension holding the product category (REFERENCE.md): one byte in an OCTET
/// STRING, `0x03` software certificate, `0x83` test software certificate, `0x00`/`0x80` card.
pub const OID_PRODUCT_CATEGORY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.250.1.71.1.2.5");
/// The card certificates' product type (INTEGER: 0 CPS, 1 CPF, 2 CDE/CPE, 3 CDA/CPA).
pub const OID_CARD_PRODUCT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.250.1.71.1.2.2");
/// The card certificates' profession code.
pub const OID_PROFESSION_CODE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.250.1.71.1.2.7");
/// Microsoft's User Principal Name, an otherName of the SAN (PRO AUTH, rule R32).
pub const OID_UPN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2.3");

/// Which issuing CA signs a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuingRole {
    /// `AC IGC-SANTE … ORGANISATIONS`: ORG, SERV and PRO software certificates.
    Organisations,
    /// `AC IGC-SANTE … PERSONNES`: card certificates.
    Personnes,
}

impl IssuingRole {
    /// The role as stored on the CA row (`organisations`, `personnes`).
    pub fn as_str(self) -> &'static str {
        match self {
            IssuingRole::Organisations => "organisations",
            IssuingRole::Personnes => "personnes",
        }
    }
}

/// A certificate profile: one offer and usage of the platform (R23), plus the CPx card's authentication certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// ORG AUTH_CLI: TLS client authentication of a structure (DMP, INSi, MSSanté, Pro Santé Connect; R36).
    OrgAuthCli,
    /// ORG SIGN: the structure's signature with non-repudiation (DMP documents and submission sets; R36).
    OrgSign,
    /// ORG CONF: encryption of data sent to the structure.
    OrgConf,
    /// SERV SSL_SERV: a TLS server, for a domain name or one FQDN.
    ServSsl,
    /// SERV S/MIME: signed and encrypted mail of a mail domain.
    ServSmime,
    /// PRO AUTH: a natural person's client authentication (e.g. Dossier Pharmaceutique consultation, R42).
    ProAuth,
    /// PRO SIGN: a natural person's signature (e.g. feeding the Dossier Pharmaceutique, R42).
    ProSign,
    /// PRO CONF: encryption for a natural person.
    ProConf,
    /// The authentication certificate of a CPx card, issued by the Personnes CA.
    CardAuth,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 9] = [
        Profile::OrgAuthCli,
        Profile::OrgSign,
        Profile::OrgConf,
        Profile::ServSsl,
        Profile::ServSmime,
        Profile::ProAuth,
        Profile::ProSign,
        Profile::ProConf,
        Profile::CardAuth,
    ];

    /// The profile's name on the command line and in the API (`org-auth-cli`…); [`FromStr`] also accepts `_`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::OrgAuthCli => "org-auth-cli",
            Profile::OrgSign => "org-sign",
            Profile::OrgConf => "org-conf",
            Profile::ServSsl => "serv-ssl",
            Profile::ServSmime => "serv-smime",
            Profile::ProAuth => "pro-auth",
            Profile::ProSign => "pro-sign",
            Profile::ProConf => "pro-conf",
            Profile::CardAuth => "card-auth",
        }
    }

    /// The offer and usage as the platform names them (R23).
    pub fn offer_usage(self) -> (&'static str, &'static str) {
        match self {
            Profile::OrgAuthCli => ("ORG", "AUTH_CLI"),
            Profile::OrgSign => ("ORG", "SIGN"),
            Profile::OrgConf => ("ORG", "CONF"),
            Profile::ServSsl => ("SERV", "SSL_SERV"),
            Profile::ServSmime => ("SERV", "S/MIME"),
            Profile::ProAuth => ("PRO", "AUTH"),
            Profile::ProSign => ("PRO", "SIGN"),
            Profile::ProConf => ("PRO", "CONF"),
            Profile::CardAuth => ("CPx", "AUTH"),
        }
    }

    /// Which issuing CA signs this profile: Personnes for cards, Organisations for the rest.
    pub fn issuing_role(self) -> IssuingRole {
        match self {
            Profile::CardAuth => IssuingRole::Personnes,
            _ => IssuingRole::Organisations,
        }
    }

    /// A legal person's certificate (structure in the OU), as opposed to a natural person's.
    pub fn is_organisation(self) -> bool {
        matches!(
            self,
            Profile::OrgAuthCli | Profile::OrgSign | Profile::OrgConf | Profile::ServSsl | Profile::ServSmime
        )
    }

    /// A natural person's certificate (PRO or card: the idNat_PS is the CN, no OU).
    pub fn is_personal(self) -> bool {
        matches!(self, Profile::ProAuth | Profile::ProSign | Profile::ProConf | Profile::CardAuth)
    }

    /// SIGN certificates carry a PrivateKeyUsagePeriod equal to their validity.
    pub fn has_private_key_usage_period(self) -> bool {
        matches!(self, Profile::OrgSign | Profile::ProSign)
    }

    /// Key usages (critical). Key encipherment only makes sense for RSA keys; an EC key gets
    /// keyAgreement in its place for the encryption profiles.
    pub fn key_usage(self, rsa_key: bool) -> Vec<KeyUsages> {
        let encipher = if rsa_key { KeyUsages::KeyEncipherment } else { KeyUsages::KeyAgreement };
        match self {
            Profile::OrgAuthCli | Profile::ProAuth | Profile::CardAuth => vec![KeyUsages::DigitalSignature],
            Profile::OrgSign => vec![KeyUsages::DigitalSignature, KeyUsages::NonRepudiation],
            Profile::ProSign => vec![KeyUsages::NonRepudiation],
            Profile::OrgConf | Profile::ProConf => vec![encipher],
            Profile::ServSsl | Profile::ServSmime => {
                if rsa_key {
                    vec![KeyUsages::DigitalSignature, KeyUsages::KeyEncipherment]
                } else {
                    vec![KeyUsages::DigitalSignature]
                }
            }
        }
    }

    /// Extended key usages: clientAuth for AUTH profiles, serverAuth and clientAuth for SERV SSL, emailProtection for
    /// SIGN, CONF and S/MIME.
    pub fn extended_key_usage(self) -> Vec<ObjectIdentifier> {
        match self {
            Profile::OrgAuthCli | Profile::ProAuth | Profile::CardAuth => vec![rfc5280::ID_KP_CLIENT_AUTH],
            Profile::ServSsl => vec![rfc5280::ID_KP_SERVER_AUTH, rfc5280::ID_KP_CLIENT_AUTH],
            Profile::OrgSign | Profile::OrgConf | Profile::ServSmime | Profile::ProSign | Profile::ProConf => {
                vec![rfc5280::ID_KP_EMAIL_PROTECTION]
            }
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Profile::ALL.into_iter().find(|p| p.name() == norm).ok_or_else(|| {
            format!("unknown profile {s:?}: expected one of {}", Profile::ALL.map(|p| p.name()).join(", "))
        })
    }
}

/// The beneficiary structure, from the directory.
#[derive(Debug, Clone)]
pub struct StructureSubject {
    /// The structure's idNat_Struct, the subject's OU.
    pub idnat_struct: String,
    /// Raison sociale.
    pub name: String,
    /// Its département, the subject's ST (`Rhône (69)`), when known.
    pub departement: Option<Departement>,
}

/// The natural person of a PRO or card certificate, from the directory.
#[derive(Debug, Clone)]
pub struct PersonSubject {
    /// The person's idNat_PS, the subject's CN.
    pub idnat_ps: String,
    /// Exercise last name (SURNAME).
    pub last_name: String,
    /// Exercise first name (GIVENNAME).
    pub first_name: String,
    /// Profession code (`10` médecin…), carried by the card certificate's profession extension; the card subject's
    /// `title` when there is no label.
    pub profession_code: Option<String>,
    /// Profession label, the subject's `title`.
    pub profession_label: Option<String>,
}

/// The card of a card certificate.
#[derive(Debug, Clone)]
pub struct CardSubject {
    /// The 10-digit card number.
    pub number: String,
    /// The card type, encoded in the product type extension.
    pub card_type: CardType,
}

/// What the requester chose (the habilitation and the order form).
#[derive(Debug, Clone, Default)]
pub struct RequestedNames {
    /// Service applicatif (R29): the CN of ORG and SERV S/MIME certificates.
    pub service: Option<String>,
    /// DNS names of a SERV SSL certificate (a domain or one FQDN; the first is the CN).
    pub dns: Vec<String>,
    /// Email addresses (SERV S/MIME, PRO SIGN/CONF; optional for PRO, R32).
    pub emails: Vec<String>,
    /// User Principal Name (PRO AUTH, optional, R32).
    pub upn: Option<String>,
}

/// A subject alternative name the profile asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AltName {
    /// A dNSName.
    Dns(String),
    /// An rfc822Name.
    Email(String),
    /// A User Principal Name (otherName `1.3.6.1.4.1.311.20.2.3`).
    Upn(String),
}

/// The certificate content a profile produces, before keys, serials and CA data are added.
#[derive(Debug, Clone)]
pub struct Content {
    /// The subject RDNs in order (C, ST, O, OU, CN…); an RDN holds several attributes on card subjects.
    pub subject: Vec<Vec<NameAttr>>,
    /// The subject alternative names, in order.
    pub alt_names: Vec<AltName>,
}

/// Why a request does not fit a profile. `code()` is machine-readable; `field()` names the
/// input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The profile needs a field the request lacks (a service applicatif, a DNS name…).
    #[error("{field} is required for profile {profile}")]
    Missing {
        /// The profile asked for.
        profile: Profile,
        /// The missing request field.
        field: &'static str,
    },
    /// The request gives a field the profile does not use: refused rather than silently dropped.
    #[error("{field} does not apply to profile {profile}")]
    NotApplicable {
        /// The profile asked for.
        profile: Profile,
        /// The request field given in vain.
        field: &'static str,
    },
    /// A field is present but malformed (an email, a DNS name, a service applicatif…).
    #[error("{field}: {reason}")]
    Invalid {
        /// The request field at fault.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl ProfileError {
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            ProfileError::Missing { .. } => "profile_field_missing",
            ProfileError::NotApplicable { .. } => "profile_field_not_applicable",
            ProfileError::Invalid { .. } => "profile_field_invalid",
        }
    }

    /// The request field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            ProfileError::Missing { field, .. }
            | ProfileError::NotApplicable { field, .. }
            | ProfileError::Invalid { field, .. } => field,
        }
    }
}

/// The RFC 5280 upper bound of most name attributes.
const UB_NAME: usize = 64;
/// The real certificates' O appears cut at 40 characters (REFERENCE.md, an inference).
const O_MAX_CHARS: usize = 40;

/// Builds the subject and alternative names of a certificate.
pub fn content(
    profile: Profile,
    structure: Option<&StructureSubject>,
    person: Option<&PersonSubject>,
    card: Option<&CardSubject>,
    names: &RequestedNames,
) -> Result<Content, ProfileError> {
    let missing = |field| ProfileError::Missing { profile, field };
    let not_applicable = |field| ProfileError::NotApplicable { profile, field };
    if !names.dns.is_empty() && profile != Profile::ServSsl {
        return Err(not_applicable("dns"));
    }
    if names.upn.is_some() && profile != Profile::ProAuth {
        return Err(not_applicable("upn"));
    }
    if !names.emails.is_empty() && !matches!(profile, Profile::ServSmime | Profile::ProSign | Profile::ProConf) {
        return Err(not_applicable("email"));
    }
    if names.service.is_some() && profile.is_personal() {
        return Err(not_applicable("service"));
    }
    if person.is_some() && profile.is_organisation() {
        return Err(not_applicable("ps"));
    }
    if names.emails.len() > 10 || names.dns.len() > 20 {
        return Err(ProfileError::Invalid {
            field: "dns",
            reason: "too many alternative names (at most 20 DNS names, 10 emails)".into(),
        });
    }

    let mut alt_names = Vec::new();
    let subject = match profile {
        Profile::OrgAuthCli | Profile::OrgSign | Profile::OrgConf | Profile::ServSmime | Profile::ServSsl => {
            let s = structure.ok_or_else(|| missing("structure"))?;
            let cn = if profile == Profile::ServSsl {
                let first = names.dns.first().ok_or_else(|| missing("dns"))?;
                for d in &names.dns {
                    check_dns_name(d)?;
                    alt_names.push(AltName::Dns(d.to_ascii_lowercase()));
                }
                if let Some(service) = &names.service {
                    if !service.eq_ignore_ascii_case(first) {
                        return Err(ProfileError::Invalid {
                            field: "service",
                            reason: "a SERV SSL certificate's CN is its first DNS name; leave the service empty or repeat it".into(),
                        });
                    }
                }
                first.to_ascii_lowercase()
            } else {
                let service = names.service.as_deref().ok_or_else(|| missing("service"))?;
                check_service(service)?;
                service.trim().to_owned()
            };
            if profile == Profile::ServSmime {
                if names.emails.is_empty() {
                    return Err(missing("email"));
                }
                let domain = email_domain(&names.emails[0])?;
                for e in &names.emails {
                    if email_domain(e)? != domain {
                        return Err(ProfileError::Invalid {
                            field: "email",
                            reason: "every address of a SERV S/MIME certificate is in one mail domain".into(),
                        });
                    }
                    alt_names.push(AltName::Email(e.trim().to_owned()));
                }
            }
            let mut rdns = vec![vec![NameAttr::new(rfc4519::C, "FR")]];
            if let Some(d) = &s.departement {
                rdns.push(vec![NameAttr::new(rfc4519::ST, d.subject_st())]);
            }
            rdns.push(vec![NameAttr::new(rfc4519::O, organisation_name(&s.name))]);
            rdns.push(vec![NameAttr::new(rfc4519::OU, s.idnat_struct.clone())]);
            rdns.push(vec![NameAttr::new(rfc4519::CN, cn)]);
            rdns
        }
        Profile::ProAuth | Profile::ProSign | Profile::ProConf => {
            let s = structure.ok_or_else(|| missing("structure"))?;
            let p = person.ok_or_else(|| missing("ps"))?;
            if let Some(upn) = &names.upn {
                check_email_like("upn", upn)?;
                alt_names.push(AltName::Upn(upn.trim().to_owned()));
            }
            for e in &names.emails {
                check_email_like("email", e)?;
                alt_names.push(AltName::Email(e.trim().to_owned()));
            }
            // A natural person: no OU (REFERENCE.md); the structure's département and name
            // say where the person practises.
            let mut rdns = vec![vec![NameAttr::new(rfc4519::C, "FR")]];
            if let Some(d) = &s.departement {
                rdns.push(vec![NameAttr::new(rfc4519::ST, d.subject_st())]);
            }
            rdns.push(vec![NameAttr::new(rfc4519::O, organisation_name(&s.name))]);
            if let Some(title) = &p.profession_label {
                rdns.push(vec![NameAttr::new(rfc4519::TITLE, truncate(title, UB_NAME))]);
            }
            rdns.push(vec![NameAttr::new(rfc4519::SN, truncate(&p.last_name, UB_NAME))]);
            rdns.push(vec![NameAttr::new(rfc4519::GIVEN_NAME, truncate(&p.first_name, UB_NAME))]);
            rdns.push(vec![NameAttr::new(rfc4519::CN, p.idnat_ps.clone())]);
            rdns
        }
        Profile::CardAuth => {
            let p = person.ok_or_else(|| missing("ps"))?;
            card.ok_or_else(|| missing("card"))?;
            if structure.is_some() {
                return Err(not_applicable("structure"));
            }
            // Card certificates: `C=FR, title=<profession>, CN=<idNat_PS> + SN + GN`, the
            // multi-valued RDN of the real cards.
            let mut rdns = vec![vec![NameAttr::new(rfc4519::C, "FR")]];
            if let Some(code) = p.profession_label.as_ref().or(p.profession_code.as_ref()) {
                rdns.push(vec![NameAttr::new(rfc4519::TITLE, truncate(code, UB_NAME))]);
            }
            rdns.push(vec![
                NameAttr::new(rfc4519::CN, p.idnat_ps.clone()),
                NameAttr::new(rfc4519::SN, truncate(&p.last_name, UB_NAME)),
                NameAttr::new(rfc4519::GIVEN_NAME, truncate(&p.first_name, UB_NAME)),
            ]);
            rdns
        }
    };
    Ok(Content { subject, alt_names })
}

fn truncate(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

fn organisation_name(name: &str) -> String {
    truncate(name, O_MAX_CHARS).trim_end().to_owned()
}

/// Rule R29: the service applicatif is free text, except that the INSi names are exact
/// (`INSI-AUTO`, `INSI-MANU`: exact case, no spaces; INSi rejects anything else with DESIR_560).
pub fn check_service(service: &str) -> Result<(), ProfileError> {
    let invalid = |reason: String| ProfileError::Invalid { field: "service", reason };
    let s = service.trim();
    if s.is_empty() {
        return Err(invalid("the service applicatif is empty".into()));
    }
    if s.chars().count() > UB_NAME {
        return Err(invalid(format!("the service applicatif has more than {UB_NAME} characters")));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(invalid("the service applicatif contains control characters".into()));
    }
    let squashed: String =
        s.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '_').collect::<String>().to_ascii_uppercase();
    if (squashed == "INSIAUTO" || squashed == "INSIMANU") && s != "INSI-AUTO" && s != "INSI-MANU" {
        return Err(invalid(format!(
            "{s:?} looks like an INSi service name: INSi only accepts exactly INSI-AUTO or INSI-MANU (rule R29)"
        )));
    }
    Ok(())
}

/// A DNS name: LDH labels, at least two labels, optionally `*.` for a whole domain.
pub fn check_dns_name(name: &str) -> Result<(), ProfileError> {
    let invalid = |reason: &str| ProfileError::Invalid { field: "dns", reason: format!("{name:?}: {reason}") };
    let n = name.trim().trim_end_matches('.');
    let body = n.strip_prefix("*.").unwrap_or(n);
    if body.len() > 253 {
        return Err(invalid("longer than 253 characters"));
    }
    let labels: Vec<&str> = body.split('.').collect();
    if labels.len() < 2 {
        return Err(invalid("not a fully qualified domain name"));
    }
    for l in &labels {
        if l.is_empty() || l.len() > 63 {
            return Err(invalid("a label is empty or longer than 63 characters"));
        }
        if !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || l.starts_with('-') || l.ends_with('-') {
            return Err(invalid("labels use letters, digits and inner hyphens only (IDNs in their xn-- form)"));
        }
    }
    if labels.last().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit())) {
        return Err(invalid("an IP address is not a DNS name"));
    }
    Ok(())
}

fn check_email_like(field: &'static str, value: &str) -> Result<(), ProfileError> {
    let v = value.trim();
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && domain.contains('.')
                && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        })
        && v.matches('@').count() == 1;
    if ok {
        Ok(())
    } else {
        Err(ProfileError::Invalid { field, reason: format!("{v:?} is not an address of the form name@domain") })
    }
}

fn email_domain(email: &str) -> Result<String, ProfileError> {
    check_email_like("email", email)?;
    let (_, domain) = email.trim().split_once('@').unwrap_or_default();
    check_dns_name(domain)
        .map_err(|_| ProfileError::Invalid { field: "email", reason: format!("{email:?}: bad mail domain") })?;
    Ok(domain.to_ascii_lowercase())
}

/// The hash algorithm of an ECDSA signature, for lints that check a CA's signature algorithm.
pub fn is_ecdsa_oid(oid: &ObjectIdentifier) -> bool {
    matches!(*oid, rfc5912::ECDSA_WITH_SHA_256 | rfc5912::ECDSA_WITH_SHA_384)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structure() -> StructureSubject {
        StructureSubject {
            idnat_struct: "10B0123456".into(),
            name: "LABORATOIRE DE BIOLOGIE MEDICALE DES ALPES MARITIMES REUNIS".into(),
            departement: Departement::by_code("06"),
        }
    }

    #[test]
    fn org_subject_is_built_from_the_directory_in_the_real_order() {
        let names = RequestedNames { service: Some("DMP AUTHENTIFICATION".into()), ..Default::default() };
        let c = content(Profile::OrgAuthCli, Some(&structure()), None, None, &names).unwrap();
        let oids: Vec<_> = c.subject.iter().map(|r| r[0].oid).collect();
        assert_eq!(oids, [rfc4519::C, rfc4519::ST, rfc4519::O, rfc4519::OU, rfc4519::CN]);
        assert_eq!(c.subject[1][0].value, "Alpes-Maritimes (06)");
        assert_eq!(c.subject[2][0].value.chars().count(), 40, "O is cut at 40 characters");
        assert_eq!(c.subject[4][0].value, "DMP AUTHENTIFICATION");
    }

    #[test]
    fn r29_insi_names_are_exact() {
        assert!(check_service("INSI-AUTO").is_ok());
        assert!(check_service("INSI-MANU").is_ok());
        for bad in ["insi-auto", "INSI AUTO", "INSI_MANU", "Insi-Manu"] {
            let e = check_service(bad).unwrap_err();
            assert_eq!(e.field(), "service", "{bad}");
        }
        assert!(check_service("SAMU 75").is_ok());
        assert!(check_service("").is_err());
        assert!(check_service(&"x".repeat(65)).is_err());
    }

    #[test]
    fn serv_ssl_needs_a_dns_name_and_uses_it_as_cn() {
        let none = content(Profile::ServSsl, Some(&structure()), None, None, &RequestedNames::default()).unwrap_err();
        assert_eq!(none.field(), "dns");
        let names =
            RequestedNames { dns: vec!["Proxy.CHU-Nice.fr".into(), "*.chu-nice.fr".into()], ..Default::default() };
        let c = content(Profile::ServSsl, Some(&structure()), None, None, &names).unwrap();
        assert_eq!(c.subject.last().unwrap()[0].value, "proxy.chu-nice.fr");
        assert_eq!(c.alt_names.len(), 2);
        for bad in ["localhost", "a..b", "-a.fr", "10.0.0.1", "a b.fr"] {
            assert!(check_dns_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pro_is_a_natural_person_without_ou() {
        let p = PersonSubject {
            idnat_ps: "899700270616".into(),
            last_name: "MAXI".into(),
            first_name: "CG".into(),
            profession_code: Some("21".into()),
            profession_label: Some("Pharmacien".into()),
        };
        let names = RequestedNames { upn: Some("cg.maxi@pharmacie.fr".into()), ..Default::default() };
        let c = content(Profile::ProAuth, Some(&structure()), Some(&p), None, &names).unwrap();
        assert!(c.subject.iter().all(|r| r.iter().all(|a| a.oid != rfc4519::OU)));
        assert_eq!(c.subject.last().unwrap()[0].value, "899700270616");
        assert_eq!(c.alt_names, vec![AltName::Upn("cg.maxi@pharmacie.fr".into())]);
        // R32: the UPN is for AUTH only; SIGN takes an optional email.
        assert_eq!(content(Profile::ProSign, Some(&structure()), Some(&p), None, &names).unwrap_err().field(), "upn");
        assert!(content(Profile::ProSign, Some(&structure()), Some(&p), None, &RequestedNames::default()).is_ok());
    }

    #[test]
    fn profile_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>().unwrap(), p);
        }
        assert!("org-auth".parse::<Profile>().is_err());
    }
}
