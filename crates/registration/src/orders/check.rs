//! Step 1 of an order: the request checked once, at the edge, into a [`CheckedOrder`] (ripgrep's
//! `lowargs` → `hiargs`); the same checks, stage by stage, for the portal's ordering wizard.

use santepki_authority::{IssueRequest, KeyAlgorithm, KeySource, Profile, RequestedNames};
use santepki_storage::registration as reg_store;

use super::{OrderRequest, OrderStage, Orders};
use crate::{Actor, RegError};

/// An order that passed every check (ripgrep's `lowargs` → `hiargs`): the request is parsed once,
/// here, and the steps after the check (issue, record, notify) read only this.
pub(super) struct CheckedOrder {
    pub(super) profile: Profile,
    /// The habilitated structure, as ordered (a product belongs to it).
    pub(super) structure: String,
    /// The structure the certificate's subject names (the directory's row for `structure`).
    pub(super) subject_structure: String,
    /// R30.
    pub(super) actor_email: String,
    pub(super) copy_email: Option<String>,
    /// The rest of the request as sent: names, service, professional, channel.
    pub(super) request: OrderRequest,
}

impl CheckedOrder {
    /// What the CA is asked for (step 2), with the order's key (checked with the rest, kept apart
    /// because the CA takes it).
    pub(super) fn issue_request(&self, actor: &Actor, key: KeySource) -> IssueRequest {
        let req = &self.request;
        IssueRequest {
            profile: self.profile,
            structure: Some(self.subject_structure.clone()),
            professional: req.professional.clone().filter(|p| !p.trim().is_empty()),
            card: None,
            names: RequestedNames {
                service: req.service.clone(),
                dns: req.dns.clone(),
                emails: req.emails.clone(),
                upn: req.upn.clone(),
            },
            key,
            requested_by: actor.audit_id(),
        }
    }
}

/// A profile that can be ordered here (R23): any but the card certificates.
fn orderable_profile(raw: &str) -> Result<Profile, RegError> {
    let profile: Profile =
        raw.trim().parse().map_err(|_| RegError::invalid("profile", "profile", Some("R23"), "produit inconnu"))?;
    if profile == Profile::CardAuth {
        return Err(RegError::invalid(
            "profile",
            "profile",
            Some("R23"),
            "les certificats de carte ne se commandent pas ici",
        ));
    }
    Ok(profile)
}

/// The key of an order (R31): a CSR, or generation on the platform under a passphrase; one of
/// the two.
fn key_source(req: &OrderRequest) -> Result<KeySource, RegError> {
    match (&req.csr, &req.generate) {
        (Some(csr), None) => Ok(KeySource::Csr(csr.clone().into_bytes())),
        (None, Some(g)) => {
            let algorithm = match g.algorithm.as_deref() {
                None => KeyAlgorithm::Rsa2048,
                Some(a) => a.parse().map_err(|_| {
                    RegError::invalid(
                        "algorithm",
                        "generate.algorithm",
                        None,
                        "rsa2048, rsa3072, rsa4096, p256 ou p384",
                    )
                })?,
            };
            Ok(KeySource::Generate { algorithm, passphrase: g.passphrase.clone() })
        }
        _ => Err(RegError::invalid(
            "key_source",
            "csr",
            Some("R31"),
            "une CSR, ou la génération en ligne avec une phrase secrète (l'un ou l'autre)",
        )),
    }
}

fn valid_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.') && !s.contains(char::is_whitespace)
    })
}

impl Orders<'_> {
    /// Whether the actor administers a structure now (R27).
    pub(super) async fn administers(&self, actor: &Actor, structure: &str) -> Result<bool, RegError> {
        Ok(reg_store::habilitations_of_card(self.db().pool(), &actor.card_number)
            .await?
            .iter()
            .any(|h| h.idnat_struct == structure))
    }

    /// Step 1 of an order: every check of the request (R23, R27, R30, R8, R31), in the order its
    /// errors are reported, and the request turned into the [`CheckedOrder`] the next steps use.
    pub(super) async fn check_order_request(
        &self,
        actor: &Actor,
        req: OrderRequest,
    ) -> Result<(CheckedOrder, KeySource), RegError> {
        let profile = orderable_profile(&req.profile)?;
        let structure = req.structure.trim().to_owned();
        if !self.administers(actor, &structure).await? {
            return Err(RegError::forbidden(
                "not_habilitated",
                Some("R27"),
                format!("vous n'êtes pas habilité pour la structure {structure}"),
            ));
        }
        let (actor_email, copy_email) = Self::check_contacts(&req)?;
        // The subject's structure as the directory knows it (an establishment named by its SIRET
        // is its FINESS row).
        let subject_structure = match self.locate(&structure).await? {
            Some(l) => l.row.idnat_struct,
            None => {
                return Err(RegError::invalid(
                    "structure_unknown",
                    "structure",
                    Some("R8"),
                    "structure absente de l'annuaire",
                ))
            }
        };
        let key = key_source(&req)?;
        Ok((CheckedOrder { profile, structure, subject_structure, actor_email, copy_email, request: req }, key))
    }

    /// Checks an order as far as it is filled in, without issuing anything: the portal's
    /// ordering wizard calls it at each step so that a wrong field is shown on its own step,
    /// with the same rules (and messages) as the order itself.
    pub async fn check_order(self, actor: &Actor, req: &OrderRequest, stage: OrderStage) -> Result<(), RegError> {
        let profile = orderable_profile(&req.profile)?;
        if stage == OrderStage::Offer {
            return Ok(());
        }
        let structure = req.structure.trim();
        if structure.is_empty() {
            return Err(RegError::invalid("structure_required", "structure", Some("R27"), "choisissez une structure"));
        }
        if !self.administers(actor, structure).await? {
            return Err(RegError::forbidden(
                "not_habilitated",
                Some("R27"),
                format!("vous n'êtes pas habilité pour la structure {structure}"),
            ));
        }
        if stage == OrderStage::Structure {
            return Ok(());
        }
        let service = req.service.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if profile.is_organisation() && profile != Profile::ServSsl {
            match service {
                None => {
                    return Err(RegError::invalid(
                        "service_required",
                        "service",
                        Some("R29"),
                        "le service applicatif est obligatoire : il devient le CN du certificat",
                    ))
                }
                Some(s) => santepki_authority::profiles::check_service(s)
                    .map_err(|e| RegError::invalid(e.code(), "service", Some("R29"), e.to_string()))?,
            }
        }
        if profile == Profile::ServSsl {
            if req.dns.is_empty() {
                return Err(RegError::invalid(
                    "dns_required",
                    "dns",
                    Some("R23"),
                    "un nom de domaine ou le FQDN d'un serveur",
                ));
            }
            for d in &req.dns {
                santepki_authority::profiles::check_dns_name(d)
                    .map_err(|e| RegError::invalid(e.code(), "dns", Some("R23"), e.to_string()))?;
            }
        }
        if profile == Profile::ServSmime && req.emails.is_empty() {
            return Err(RegError::invalid(
                "email_required",
                "emails",
                Some("R23"),
                "l'adresse de la boîte aux lettres est obligatoire",
            ));
        }
        for e in &req.emails {
            if !valid_email(e.trim()) {
                return Err(RegError::invalid("email", "emails", Some("R32"), format!("adresse invalide : {e}")));
            }
        }
        if profile.is_personal() && req.professional.as_deref().map(str::trim).unwrap_or("").is_empty() {
            return Err(RegError::invalid(
                "professional_required",
                "professional",
                Some("R42"),
                "le professionnel (idNat_PS) titulaire du certificat est obligatoire",
            ));
        }
        if stage == OrderStage::Information {
            return Ok(());
        }
        Self::check_contacts(req)?;
        Ok(())
    }

    fn check_contacts(req: &OrderRequest) -> Result<(String, Option<String>), RegError> {
        let actor_email = req.actor_email.trim().to_owned();
        if !valid_email(&actor_email) {
            return Err(RegError::invalid(
                "actor_email",
                "actor_email",
                Some("R30"),
                "l'adresse électronique de l'acteur est obligatoire",
            ));
        }
        let copy_email = req.copy_email.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if copy_email.as_deref().is_some_and(|c| !valid_email(c)) {
            return Err(RegError::invalid("copy_email", "copy_email", Some("R30"), "adresse en copie invalide"));
        }
        Ok((actor_email, copy_email))
    }
}
