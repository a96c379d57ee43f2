//! The mails of ordering (R35): the request confirmation, the availability notice and the expiry
//! notice. Their texts are askama templates (`templates/mail/*.txt`, plain text, no escaping),
//! so that wording changes do not touch the ordering code; each function gives a subject and a
//! body.

use askama::Template;
use santepki_storage::ordering::ProductRow;

use crate::{Actor, RegError};

/// A mail ready to queue.
pub(super) struct Mail {
    pub subject: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "mail/order_recorded.txt")]
struct OrderRecorded<'a> {
    /// "de certificat" or "de renouvellement".
    kind: &'a str,
    number: &'a str,
    created_at: &'a str,
    offer: &'a str,
    usage: &'a str,
    /// The service applicatif, or a dash.
    service: &'a str,
    structure: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    card_number: &'a str,
    /// How the key was made.
    key: &'a str,
}

/// The request confirmation: what was asked, by whom, with which key origin.
pub(super) fn order_recorded(p: &ProductRow, actor: &Actor, renewal: bool) -> Result<Mail, RegError> {
    let body = OrderRecorded {
        kind: if renewal { "de renouvellement" } else { "de certificat" },
        number: &p.number,
        created_at: &p.created_at,
        offer: &p.offer,
        usage: &p.usage,
        service: p.service.as_deref().unwrap_or("—"),
        structure: &p.structure,
        first_name: &actor.first_name,
        last_name: &actor.last_name,
        card_number: &actor.card_number,
        key: if p.key_origin == "generated" { "générée en ligne" } else { "CSR fournie" },
    }
    .render()?;
    Ok(Mail { subject: format!("Demande enregistrée — {}", p.number), body })
}

#[derive(Template)]
#[template(path = "mail/certificate_available.txt")]
struct CertificateAvailable<'a> {
    offer: &'a str,
    usage: &'a str,
    service: &'a str,
    structure: &'a str,
    number: &'a str,
    serial: &'a str,
    not_after: &'a str,
}

/// The availability notice of an issued certificate.
pub(super) fn certificate_available(p: &ProductRow) -> Result<Mail, RegError> {
    let body = CertificateAvailable {
        offer: &p.offer,
        usage: &p.usage,
        service: p.service.as_deref().unwrap_or_default(),
        structure: &p.structure,
        number: &p.number,
        serial: &p.serial,
        not_after: &p.not_after,
    }
    .render()?;
    Ok(Mail { subject: format!("Certificat disponible — {}", p.number), body })
}

#[derive(Template)]
#[template(path = "mail/expiry_notice.txt")]
struct ExpiryNotice<'a> {
    offer: &'a str,
    usage: &'a str,
    service: &'a str,
    structure: &'a str,
    not_after: &'a str,
    number: &'a str,
    serial: &'a str,
}

/// The expiry notice a month ahead (R35), asking for a renewal with a new key (R37).
pub(super) fn expiry_notice(p: &ProductRow) -> Result<Mail, RegError> {
    let body = ExpiryNotice {
        offer: &p.offer,
        usage: &p.usage,
        service: p.service.as_deref().unwrap_or_default(),
        structure: &p.structure,
        not_after: &p.not_after,
        number: &p.number,
        serial: &p.serial,
    }
    .render()?;
    Ok(Mail { subject: format!("Expiration prochaine du certificat {}", p.number), body })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The texts the code wrote before they became templates, word for word.
    #[test]
    fn templates_render_the_texts_the_code_wrote() {
        let recorded = OrderRecorded {
            kind: "de certificat",
            number: "P000000042",
            created_at: "2026-12-04T17:00:00Z",
            offer: "ORG",
            usage: "AUTH_CLI",
            service: "DMP AUTHENTIFICATION",
            structure: "1060785011",
            first_name: "JEAN",
            last_name: "DUPONT",
            card_number: "8002706161",
            key: "CSR fournie",
        };
        assert_eq!(
            recorded.render().unwrap(),
            "Bonjour,\n\nLa demande de certificat du produit P000000042 a été enregistrée le 2026-12-04T17:00:00Z.\n\
             Offre ORG — usage AUTH_CLI — service applicatif DMP AUTHENTIFICATION — structure 1060785011.\n\
             Demandeur : JEAN DUPONT (carte 8002706161) — clé : CSR fournie.\n"
        );
        let available = CertificateAvailable {
            offer: "ORG",
            usage: "AUTH_CLI",
            service: "DMP AUTHENTIFICATION",
            structure: "1060785011",
            number: "P000000042",
            serial: "0a0b",
            not_after: "2029-12-04T17:00:00Z",
        };
        assert_eq!(
            available.render().unwrap(),
            "Bonjour,\n\nLe certificat ORG AUTH_CLI (DMP AUTHENTIFICATION) de la structure 1060785011 est disponible.\n\
             Produit P000000042 — numéro de série 0a0b — valable jusqu'au 2029-12-04T17:00:00Z.\n"
        );
        let expiry = ExpiryNotice {
            offer: "ORG",
            usage: "AUTH_CLI",
            service: "",
            structure: "1060785011",
            not_after: "2029-12-04T17:00:00Z",
            number: "P000000042",
            serial: "0a0b",
        };
        assert_eq!(
            expiry.render().unwrap(),
            "Bonjour,\n\nLe certificat ORG AUTH_CLI () de la structure 1060785011 expire le 2029-12-04T17:00:00Z.\n\
             Produit P000000042 — numéro de série 0a0b.\nRenouvelez-le avant cette date, avec une nouvelle clé (R37).\n"
        );
    }
}
