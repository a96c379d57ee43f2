//! What a structure declared on its validated forms 413 (section 4.3, R23; the PRO offer's mail
//! domain, R17), and the rule that binds orders to it: an offer the structure did not declare is
//! not ordered, and a name it did not declare does not go into a certificate, whatever the
//! channel (portal, REST API): every order goes through `orders::check`, which asks [`Declarations::check`].
//!
//! How names are matched (the seed's form 413, section 4.3):
//! - SERV SSL « certificat pour le nom de domaine suivant » (`server_ssl_domain`): the domain and
//!   every name under it (`www.domaine.fr`, `*.domaine.fr`);
//! - SERV SSL « certificat restreint au serveur suivant » (`server_ssl_host`): that FQDN only;
//! - SERV S/MIME and PRO « nom de domaine ou de sous-domaine de messagerie »: an address (email,
//!   UPN) whose domain is the declared one or one of its subdomains.
//!
//! Proving control of a declared name is not done here (the automatic-renewal issue); the agency
//! checks the form on validation (R24).

use santepki_authority::Profile;
use santepki_domain::form413::Form413;
use santepki_storage::registration as store;

use crate::{RegError, Registration};

/// The union of what a structure's validated forms 413 declared (several forms may name one
/// structure: a first one for ORG, a later one for PRO…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declarations {
    /// The ORG offer (AUTH_CLI, SIGN, CONF).
    pub org: bool,
    /// The PRO offer (AUTH, SIGN, CONF).
    pub pro: bool,
    /// SERV SSL domains: each covers itself and every name under it.
    pub ssl_domains: Vec<String>,
    /// SERV SSL servers: each covers that FQDN only.
    pub ssl_hosts: Vec<String>,
    /// SERV S/MIME mail domains.
    pub server_mail_domains: Vec<String>,
    /// The PRO offer's mail domains (R17).
    pub pro_mail_domains: Vec<String>,
}

/// A DNS name as compared: trimmed, lower case, without the root's trailing dot.
pub(crate) fn normalise_dns(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// An address as stored and compared: trimmed, its domain in lower case (the local part is
/// case-sensitive in principle, and kept as given).
pub(crate) fn normalise_address(address: &str) -> String {
    let a = address.trim();
    match a.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", normalise_dns(domain)),
        None => a.to_owned(),
    }
}

/// Whether `name` is `domain` or a name under it.
fn within(name: &str, domain: &str) -> bool {
    name == domain || name.strip_suffix(domain).is_some_and(|head| head.ends_with('.'))
}

impl Declarations {
    /// The declarations of some forms (their section 4.3).
    pub fn of_forms<'a>(forms: impl IntoIterator<Item = &'a Form413>) -> Self {
        let mut d = Declarations::default();
        let clean = |v: &Option<String>| {
            v.as_deref()
                .map(|s| normalise_dns(s.trim().trim_start_matches('@').trim_start_matches("*.")))
                .filter(|s| !s.is_empty())
        };
        for f in forms {
            let o = &f.offers;
            d.org |= o.org;
            d.pro |= o.pro;
            d.ssl_domains.extend(clean(&o.server_ssl_domain));
            d.ssl_hosts.extend(clean(&o.server_ssl_host));
            d.server_mail_domains.extend(clean(&o.server_mail_domain));
            if o.pro {
                d.pro_mail_domains.extend(clean(&o.pro_mail_domain));
            }
        }
        d
    }

    /// Whether the structure declared the offer of a profile (R23).
    pub fn allows_profile(&self, profile: Profile) -> bool {
        match profile {
            Profile::OrgAuthCli | Profile::OrgSign | Profile::OrgConf => self.org,
            Profile::ServSsl => !self.ssl_domains.is_empty() || !self.ssl_hosts.is_empty(),
            Profile::ServSmime => !self.server_mail_domains.is_empty(),
            Profile::ProAuth | Profile::ProSign | Profile::ProConf => self.pro,
            Profile::CardAuth => false,
        }
    }

    /// Whether a (normalised) DNS name is declared for SERV SSL: under a declared domain, or a
    /// declared server exactly (a wildcard only under a domain).
    pub fn covers_dns(&self, name: &str) -> bool {
        let wildcard = name.strip_prefix("*.");
        let base = wildcard.unwrap_or(name);
        self.ssl_domains.iter().any(|d| within(base, d))
            || (wildcard.is_none() && self.ssl_hosts.iter().any(|h| h == name))
    }

    /// The mail domains addresses of a profile's certificate must be in: the SERV mail domain
    /// for S/MIME, the PRO mail domain for PRO (R17).
    fn mail_domains(&self, profile: Profile) -> &[String] {
        if profile.is_personal() {
            &self.pro_mail_domains
        } else {
            &self.server_mail_domains
        }
    }

    /// Rule R23 (and R17 for addresses): the profile's offer is declared, and every name the
    /// certificate would carry is. The names are the order's, normalised.
    pub fn check(&self, profile: Profile, dns: &[String], addresses: &[(&'static str, &str)]) -> Result<(), RegError> {
        if !self.allows_profile(profile) {
            return Err(RegError::forbidden(
                "offer_not_declared",
                Some("R23"),
                format!(
                    "l'offre {} n'est pas déclarée sur le formulaire 413 de cette structure : déposez un formulaire qui la demande",
                    offer_label(profile)
                ),
            ));
        }
        for d in dns {
            if !self.covers_dns(d) {
                return Err(RegError::invalid(
                    "name_not_declared",
                    "dns",
                    Some("R23"),
                    format!(
                        "{d} n'est ni sous un domaine ni un serveur déclarés pour cette structure (formulaire 413)"
                    ),
                ));
            }
        }
        let domains = self.mail_domains(profile);
        for (field, a) in addresses {
            let domain = a.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
            if !domains.iter().any(|m| within(domain, m)) {
                return Err(RegError::invalid(
                    "mail_domain_not_declared",
                    *field,
                    Some("R17"),
                    format!(
                        "{a} n'est pas dans le domaine de messagerie déclaré pour cette structure ({})",
                        if domains.is_empty() { "aucun".to_owned() } else { domains.join(", ") }
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn offer_label(profile: Profile) -> &'static str {
    match profile {
        Profile::OrgAuthCli | Profile::OrgSign | Profile::OrgConf => "ORG",
        Profile::ServSsl => "SERVEUR SSL",
        Profile::ServSmime => "SERVEUR S/MIME",
        Profile::ProAuth | Profile::ProSign | Profile::ProConf => "PRO",
        Profile::CardAuth => "carte",
    }
}

impl Registration {
    /// What a structure declared on its validated forms 413 (R23), by the identifier the forms
    /// name (the one habilitations and products carry).
    pub async fn declarations(&self, idnat: &str) -> Result<Declarations, RegError> {
        let rows = store::validated_forms_of_structure(self.db(), idnat.trim()).await?;
        let forms: Vec<Form413> = rows.iter().filter_map(|r| serde_json::from_str(&r.body).ok()).collect();
        Ok(Declarations::of_forms(&forms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r23_names_under_a_domain_or_the_server_itself() {
        let d = Declarations {
            ssl_domains: vec!["chu-nice.fr".into()],
            ssl_hosts: vec!["proxy.ch-montvert.fr".into()],
            pro_mail_domains: vec!["ch-montvert.fr".into()],
            pro: true,
            ..Default::default()
        };
        assert!(d.covers_dns("chu-nice.fr") && d.covers_dns("www.chu-nice.fr") && d.covers_dns("*.chu-nice.fr"));
        assert!(d.covers_dns("proxy.ch-montvert.fr"));
        assert!(!d.covers_dns("www.google.com") && !d.covers_dns("evilchu-nice.fr"));
        assert!(!d.covers_dns("a.proxy.ch-montvert.fr") && !d.covers_dns("*.proxy.ch-montvert.fr"));
        assert!(d.check(Profile::ProSign, &[], &[("emails", "a@ch-montvert.fr")]).is_ok());
        assert!(d.check(Profile::ProSign, &[], &[("emails", "a@pharma.ch-montvert.fr")]).is_ok());
        let e = d.check(Profile::ProSign, &[], &[("emails", "pharmacien@gmail.com")]).unwrap_err();
        assert_eq!((e.code(), e.rule()), ("mail_domain_not_declared", Some("R17")));
        let e = d.check(Profile::OrgAuthCli, &[], &[]).unwrap_err();
        assert_eq!((e.code(), e.rule()), ("offer_not_declared", Some("R23")));
    }
}
