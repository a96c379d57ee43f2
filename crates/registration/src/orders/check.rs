//! Step 1 of an order: the request normalised and checked once, at the edge, into a
//! [`CheckedOrder`] (ripgrep's `lowargs` → `hiargs`). The portal's ordering wizard runs the same
//! function stage by stage ([`Orders::check_order`]), so that an order through the API and one
//! through the portal meet the same rules: the habilitation (R27), the contract (R3), the offers
//! and names the structure declared (R23, R17), the product information (R29, R32, R42), the
//! contacts (R30).

use santepki_authority::{IssueRequest, KeyAlgorithm, KeySource, Profile, RequestedNames};
use santepki_domain::values::ContractState;
use santepki_storage::registration as reg_store;

use super::{OrderRequest, OrderStage, Orders};
use crate::declarations::{normalise_address, normalise_dns};
use crate::facts::Located;
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
    /// The rest of the request, normalised once here (R29): names, service, professional,
    /// channel. The certificate and the product row are both made from these values, so that
    /// what is stored is what was certified.
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
            professional: req.professional.clone(),
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

/// Rule R29: an order's free-text fields as they will be certified and stored: trimmed, runs of
/// white space made one space (the service applicatif is the CN: `INSI-AUTO ` is `INSI-AUTO`),
/// empty optional fields absent, DNS names in lower case without the trailing dot, address
/// domains in lower case, repeated names once. Done once, here, before anything reads them.
pub(super) fn normalise(req: &OrderRequest) -> OrderRequest {
    let opt = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let dedup = |names: Vec<String>| {
        let mut out: Vec<String> = Vec::with_capacity(names.len());
        for n in names {
            if !n.is_empty() && !out.contains(&n) {
                out.push(n);
            }
        }
        out
    };
    OrderRequest {
        profile: req.profile.trim().to_owned(),
        structure: req.structure.trim().to_owned(),
        service: opt(&req.service).map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")),
        dns: dedup(req.dns.iter().map(|d| normalise_dns(d)).collect()),
        emails: dedup(req.emails.iter().map(|e| normalise_address(e)).collect()),
        upn: opt(&req.upn).map(|u| normalise_address(&u)),
        professional: opt(&req.professional),
        actor_email: req.actor_email.trim().to_owned(),
        copy_email: opt(&req.copy_email),
        csr: req.csr.clone(),
        generate: req.generate.clone(),
        channel: req.channel,
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

    /// Step 1 of an order: the request normalised (R29), then every check of [`Self::check_stages`]
    /// and the key (R31), into the [`CheckedOrder`] the next steps use.
    pub(super) async fn check_order_request(
        &self,
        actor: &Actor,
        req: OrderRequest,
    ) -> Result<(CheckedOrder, KeySource), RegError> {
        let req = normalise(&req);
        let (profile, located) = self.check_stages(actor, &req, OrderStage::Contacts).await?;
        let (actor_email, copy_email) = Self::check_contacts(&req)?;
        let key = key_source(&req)?;
        Ok((
            CheckedOrder {
                profile,
                structure: req.structure.clone(),
                // The subject's structure as the directory knows it (an establishment named by its
                // SIRET is its FINESS row).
                subject_structure: located.row.idnat_struct,
                actor_email,
                copy_email,
                request: req,
            },
            key,
        ))
    }

    /// Checks an order as far as it is filled in, without issuing anything: the portal's
    /// ordering wizard calls it at each step so that a wrong field is shown on its own step,
    /// with the same rules (and messages) as the order itself.
    pub async fn check_order(self, actor: &Actor, req: &OrderRequest, stage: OrderStage) -> Result<(), RegError> {
        let req = normalise(req);
        if stage == OrderStage::Offer {
            return orderable_profile(&req.profile).map(|_| ());
        }
        self.check_stages(actor, &req, stage).await.map(|_| ())
    }

    /// The checks of an order up to `stage` (from [`OrderStage::Structure`]), in the wizard's
    /// order, on a normalised request: the one function both the wizard and the order run.
    async fn check_stages(
        &self,
        actor: &Actor,
        req: &OrderRequest,
        stage: OrderStage,
    ) -> Result<(Profile, Located), RegError> {
        let profile = orderable_profile(&req.profile)?;
        let structure = req.structure.as_str();
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
        let located = self.locate(structure).await?.ok_or_else(|| {
            RegError::invalid("structure_unknown", "structure", Some("R8"), "structure absente de l'annuaire")
        })?;
        self.check_contract(&located).await?;
        let declarations = self.reg.declarations(structure).await?;
        // R23: the offer first (the wizard's first two steps), the names with the product
        // information.
        declarations.check(profile, &[], &[])?;
        if stage == OrderStage::Structure {
            return Ok((profile, located));
        }
        Self::check_information(profile, req)?;
        let mut addresses: Vec<(&'static str, &str)> = req.emails.iter().map(|e| ("emails", e.as_str())).collect();
        addresses.extend(req.upn.as_deref().map(|u| ("upn", u)));
        declarations.check(profile, &req.dns, &addresses)?;
        if stage == OrderStage::Information {
            return Ok((profile, located));
        }
        Self::check_contacts(req)?;
        Ok((profile, located))
    }

    /// Rule R3: a structure orders only while its legal entity's contract is active; a terminated
    /// contract stops every order and renewal.
    async fn check_contract(&self, located: &Located) -> Result<(), RegError> {
        let contract = reg_store::contract_by_entity(self.db().pool(), &located.legal_entity).await?;
        if contract.is_some_and(|c| c.state == ContractState::Active) {
            return Ok(());
        }
        Err(RegError::forbidden(
            "contract_not_active",
            Some("R3"),
            format!("la structure n'a pas de contrat actif avec l'Agence ({})", located.legal_entity),
        ))
    }

    /// The product information of the wizard's third step: the service applicatif (R29), the
    /// server's names (R23), the addresses (R32), the professional of a PRO certificate (R42).
    fn check_information(profile: Profile, req: &OrderRequest) -> Result<(), RegError> {
        if profile.is_organisation() && profile != Profile::ServSsl {
            match req.service.as_deref() {
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
        let addresses = req.emails.iter().map(|e| ("emails", e)).chain(req.upn.iter().map(|u| ("upn", u)));
        for (field, e) in addresses {
            if !valid_email(e) {
                return Err(RegError::invalid("email", field, Some("R32"), format!("adresse invalide : {e}")));
            }
        }
        if profile.is_personal() && req.professional.is_none() {
            return Err(RegError::invalid(
                "professional_required",
                "professional",
                Some("R42"),
                "le professionnel (idNat_PS) titulaire du certificat est obligatoire",
            ));
        }
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
