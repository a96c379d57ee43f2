//! The digital form 413 ("demande d'habilitation"): a typed model of every section, and the rules
//! a form must follow for its structure case (RULES.md R10–R23, R47).
//!
//! Validation is pure: the registration layer looks up what the rules need in the directory
//! and the contract and card registers ([`Facts`]) and this module decides. Each refusal names
//! the field at fault and the rule it breaks, so that the portal and the API can show it next to
//! the field.

use serde::{Deserialize, Serialize};

use crate::ids::{IdNatStruct, ValidationMode};
use crate::professional::CardType;

/// The structure cases of RULES.md's table: which identifier the form names and who signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum StructureCase {
    /// R10: FINESS géographique of the pharmacy.
    Pharmacy,
    /// R11: LBM group (SELAS/SELARL): FINESS géographique of the main site.
    LbmSelas,
    /// R12: LBM with several sites, not a SELAS: FINESS géographique of the main site.
    LbmMultiSite,
    /// R13: practice in a société d'exercice (sector SA09): SIRET of each practice.
    SocieteExercice,
    /// R14: individual or group practice in an SCM (SA07/SA08): RPPS rang, at most four per form.
    ScmPractice,
    /// R15: radiology GIE (SA04) or GCS (SA30): FINESS.
    RadiologyGroup,
    /// R16: social or medico-social manager: FINESS juridique for all its sites.
    MedicoSocialManager,
    /// R17: health establishment ordering PRO certificates: SIRET, FINESS géographique if any.
    Establishment,
}

impl StructureCase {
    /// Every case, in the order of RULES.md (R10–R17).
    pub const ALL: [StructureCase; 8] = [
        StructureCase::Pharmacy,
        StructureCase::LbmSelas,
        StructureCase::LbmMultiSite,
        StructureCase::SocieteExercice,
        StructureCase::ScmPractice,
        StructureCase::RadiologyGroup,
        StructureCase::MedicoSocialManager,
        StructureCase::Establishment,
    ];

    /// The rule of RULES.md stating the case.
    pub fn rule(self) -> &'static str {
        match self {
            StructureCase::Pharmacy => "R10",
            StructureCase::LbmSelas => "R11",
            StructureCase::LbmMultiSite => "R12",
            StructureCase::SocieteExercice => "R13",
            StructureCase::ScmPractice => "R14",
            StructureCase::RadiologyGroup => "R15",
            StructureCase::MedicoSocialManager => "R16",
            StructureCase::Establishment => "R17",
        }
    }

    /// Which kind of identifier the form names (the type digit of idNat_Struct, R43).
    pub fn identifier_kind(self) -> IdentifierKind {
        match self {
            StructureCase::Pharmacy
            | StructureCase::LbmSelas
            | StructureCase::LbmMultiSite
            | StructureCase::RadiologyGroup => IdentifierKind::FinessGeographique,
            StructureCase::MedicoSocialManager => IdentifierKind::FinessJuridique,
            StructureCase::SocieteExercice | StructureCase::Establishment => IdentifierKind::Siret,
            StructureCase::ScmPractice => IdentifierKind::RppsRang,
        }
    }

    /// How many identifiers one form may name.
    pub fn max_identifiers(self) -> usize {
        match self {
            // R14: at most four RPPS rang per form; more means another form.
            StructureCase::ScmPractice => 4,
            // R13: the SIRET of each practice of the société, one certificate each.
            StructureCase::SocieteExercice => 10,
            _ => 1,
        }
    }

    /// Sectors (R46) the structure's activity must belong to, when the case implies them.
    pub fn sectors(self) -> Option<&'static [&'static str]> {
        match self {
            StructureCase::SocieteExercice => Some(&["SA09"]),
            StructureCase::ScmPractice => Some(&["SA07", "SA08"]),
            StructureCase::RadiologyGroup => Some(&["SA04", "SA30"]),
            _ => None,
        }
    }
}

/// The kind of structure identifier a case is declared with (section 2, R43's type digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentifierKind {
    /// The FINESS of an establishment (type digit 1).
    FinessGeographique,
    /// The FINESS of the legal entity managing establishments (type digit 1).
    FinessJuridique,
    /// A SIRET (type digit 3).
    Siret,
    /// An RPPS rang: a professional's RPPS and the rank of the practice (type digit 4).
    RppsRang,
}

impl IdentifierKind {
    /// The name the form's messages use.
    pub fn label(self) -> &'static str {
        match self {
            IdentifierKind::FinessGeographique => "FINESS géographique",
            IdentifierKind::FinessJuridique => "FINESS juridique",
            IdentifierKind::Siret => "SIRET",
            IdentifierKind::RppsRang => "RPPS rang",
        }
    }
}

/// Who signs the form (section 3.2, R20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum SignerRole {
    /// The legal representative of the structure (R4).
    LegalRepresentative,
    /// A mandataire the legal representative designated (R5).
    Mandataire,
    /// The PS responsible for the practice ("titulaire du cabinet"), RPPS rang case only.
    PracticeHolder,
}

/// A person of sections 3.2 and 4.1: all fields mandatory (R20, R21).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    /// Nom.
    pub last_name: String,
    /// Prénoms.
    pub first_names: String,
    /// Téléphone.
    pub phone: String,
    /// Adresse électronique.
    pub email: String,
    /// The 10-digit number on the third line of the card.
    pub card_number: String,
}

/// Section 3.2: who signs, and in which role (R20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signer {
    /// The role the signer signs in.
    pub role: SignerRole,
    /// The signer's fields, flattened into the signer's object.
    #[serde(flatten)]
    pub person: Person,
}

/// Section 4.2 (R22).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// "Authentification et signature sur le DMP"…
    pub description: String,
    /// The software vendor (éditeur).
    pub vendor: String,
    /// The software (solution).
    pub solution: String,
    /// Its version.
    pub version: String,
}

/// Section 4.3 (R23): the offers asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Offers {
    /// ORG (legal person): AUTH_CLI, SIGN, CONF.
    #[serde(default)]
    pub org: bool,
    /// SERVEUR SSL for a domain name (« certificat pour le nom de domaine suivant »): the domain
    /// and every name under it (R23).
    pub server_ssl_domain: Option<String>,
    /// SERVEUR SSL restricted to one server (« certificat restreint au serveur suivant »): that
    /// FQDN only. The seed's form fills one line or the other, never both (R23).
    #[serde(default)]
    pub server_ssl_host: Option<String>,
    /// SERVEUR S/MIME, SIGN, CONF for a mail domain.
    pub server_mail_domain: Option<String>,
    /// PRO (natural persons), with the mail domain it requires (R17).
    #[serde(default)]
    pub pro: bool,
    /// The mail domain of the PRO offer (R17); empty without it (R19).
    pub pro_mail_domain: Option<String>,
}

/// Section 1 for a health establishment asking for the PRO offer (R17, seed 002): the
/// beneficiary site as the paper form identifies it, beside its SIRET in section 2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstablishmentSite {
    /// Dénomination (raison sociale) of the structure.
    pub name: String,
    /// FINESS géographique of the site (9 characters), when it has one (« si la structure n'a
    /// pas de numéro de FINESS, ne rien indiquer »).
    #[serde(default)]
    pub finess_geographique: Option<String>,
    /// Code postal of the site (5 digits).
    pub postal_code: String,
    /// Commune of the site.
    pub town: String,
}

/// A whole form 413.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Form413 {
    /// The structure's case (R10–R17): which identifiers, how many, which signer.
    pub case: StructureCase,
    /// Section 2: the structure identifiers (idNat_Struct form, e.g. `1060785003`, `3…`, `4…`).
    pub identifiers: Vec<String>,
    /// Section 1 of the establishment case (R17): name, FINESS géographique if any, postal code
    /// and town; empty in every other case (R19).
    #[serde(default)]
    pub site: Option<EstablishmentSite>,
    /// Section 3.2: the signer (R20).
    pub signer: Signer,
    /// Section 4.1: the technical administrators (R21).
    pub administrators: Vec<Person>,
    /// Section 4.2: the usage (R22).
    pub usage: Usage,
    /// Section 4.3: the offers (R23).
    pub offers: Offers,
}

fn trimmed(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn trimmed_opt(v: &Option<String>) -> Option<String> {
    v.as_deref().map(trimmed).filter(|s| !s.is_empty())
}

/// A domain of section 4.3 as declared: trimmed, lower case, without `@` nor the root's dot.
fn domain_opt(v: &Option<String>) -> Option<String> {
    trimmed_opt(v).map(|d| d.trim_start_matches('@').trim_end_matches('.').to_ascii_lowercase())
}

impl Person {
    fn normalised(&self) -> Person {
        Person {
            last_name: trimmed(&self.last_name),
            first_names: trimmed(&self.first_names),
            phone: trimmed(&self.phone),
            email: trimmed(&self.email),
            card_number: trimmed(&self.card_number),
        }
    }
}

impl Form413 {
    /// Rule R29's principle for forms: the form as it will be validated and stored, normalised
    /// once at the door (`registration::forms`): every text trimmed with its white space runs made
    /// one space, identifiers without spaces, empty optional fields absent, declared domains in
    /// lower case without `@`. The signed content is computed from this form, so what the signer
    /// signs is what is stored and what binds the orders (R23).
    pub fn normalised(&self) -> Form413 {
        let o = &self.offers;
        Form413 {
            case: self.case,
            identifiers: self.identifiers.iter().map(|i| i.split_whitespace().collect()).collect(),
            site: self.site.as_ref().map(|s| EstablishmentSite {
                name: trimmed(&s.name),
                finess_geographique: trimmed_opt(&s.finess_geographique),
                postal_code: trimmed(&s.postal_code),
                town: trimmed(&s.town),
            }),
            signer: Signer { role: self.signer.role, person: self.signer.person.normalised() },
            administrators: self.administrators.iter().map(Person::normalised).collect(),
            usage: Usage {
                description: trimmed(&self.usage.description),
                vendor: trimmed(&self.usage.vendor),
                solution: trimmed(&self.usage.solution),
                version: trimmed(&self.usage.version),
            },
            offers: Offers {
                org: o.org,
                server_ssl_domain: domain_opt(&o.server_ssl_domain),
                server_ssl_host: domain_opt(&o.server_ssl_host),
                server_mail_domain: domain_opt(&o.server_mail_domain),
                pro: o.pro,
                pro_mail_domain: domain_opt(&o.pro_mail_domain),
            },
        }
    }
}

/// What the directory and the registers say about a structure identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StructureFacts {
    /// Open in the directory (R8).
    pub open: bool,
    /// idNat_Struct kind stored in the directory: `finess-eg`, `finess-ej`, `siret`, `rpps-rang`…
    pub is_legal_entity: bool,
    /// Sectors of the activities exercised there (R46).
    pub sectors: Vec<String>,
    /// The legal entity a contract must exist for (FINESS juridique, SIREN, or the holder).
    pub legal_entity: String,
    /// Whether the legal entity holds a contract with the agency (R3).
    pub has_contract: bool,
    /// Cards (numbers) of the entity's legal representatives and mandataires.
    pub legal_representative_cards: Vec<String>,
    /// Cards (numbers) of the entity's mandataires (R5).
    pub mandataire_cards: Vec<String>,
    /// The directory row the identifier designates (an establishment named by its SIRET is its
    /// FINESS row, R17).
    pub row_id: String,
    /// The postal code the directory gives for the structure, when it gives one (R17).
    pub postal_code: Option<String>,
    /// For the multi-site LBM cases (R11, R12): the FINESS géographique (idNat_Struct) of the
    /// legal entity's main site, the one where its professionals' situations are registered,
    /// when the directory shows one site holding more of them than any other.
    pub main_site: Option<String>,
}

/// What the card register says about a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFacts {
    /// CPS, CPE, CPA, CDE…
    pub card_type: CardType,
    /// idNat_PS of the holder.
    pub holder: String,
    /// Valid today and not opposed.
    pub valid: bool,
    /// For a CPA (a vendor's card, R6): whether the vendor it works for holds an active contract
    /// with the agency. `true` for other card types, which no vendor contract governs.
    pub vendor_contract: bool,
}

/// Everything the rules need, looked up by the registration layer.
pub trait Facts {
    /// A structure by its idNat_Struct; `None` when the directory does not know it.
    fn structure(&self, idnat_struct: &str) -> Option<StructureFacts>;
    /// A card by its number; `None` when the register does not know it.
    fn card(&self, number: &str) -> Option<CardFacts>;
}

/// A refusal: the field at fault (a JSON pointer into the form), the rule, and a message in French
/// for the portal's users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// The JSON pointer of the field at fault (`/identifiers/0`, `/signer/email`…).
    pub field: String,
    /// The rule id (`R3`, `R20`…).
    pub rule: &'static str,
    /// Why, in French.
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.rule, self.message)
    }
}

fn refuse(out: &mut Vec<Refusal>, field: impl Into<String>, rule: &'static str, message: impl Into<String>) {
    out.push(Refusal { field: field.into(), rule, message: message.into() });
}

fn is_mail_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn check_person(out: &mut Vec<Refusal>, at: &str, p: &Person, rule: &'static str) {
    for (name, value) in [
        ("last_name", &p.last_name),
        ("first_names", &p.first_names),
        ("phone", &p.phone),
        ("email", &p.email),
        ("card_number", &p.card_number),
    ] {
        if value.trim().is_empty() {
            refuse(out, format!("{at}/{name}"), rule, "champ obligatoire");
        }
    }
    if !p.email.trim().is_empty() && !p.email.split_once('@').is_some_and(|(l, d)| !l.is_empty() && is_mail_domain(d)) {
        refuse(out, format!("{at}/email"), rule, "adresse électronique invalide");
    }
    let well_formed = p.card_number.len() == 10 && p.card_number.bytes().all(|b| b.is_ascii_digit());
    if !p.card_number.trim().is_empty() && !well_formed {
        refuse(
            out,
            format!("{at}/card_number"),
            rule,
            "le numéro de carte a 10 chiffres (troisième ligne de la carte)",
        );
    }
}

/// Checks a form against every rule; an empty list means the form may be submitted. Refusals
/// come section by section, in the form's order.
pub fn validate(form: &Form413, facts: &dyn Facts, mode: ValidationMode) -> Vec<Refusal> {
    let mut out = Vec::new();
    let structures = check_identifiers(&mut out, form, facts, mode);
    let signer_card = check_signer_card(&mut out, &form.signer, facts);
    check_signer_may_sign(&mut out, form, &structures, signer_card.as_ref());
    check_administrators(&mut out, &form.administrators, facts);
    check_usage(&mut out, &form.usage);
    check_offers(&mut out, &form.offers);
    check_site(&mut out, form, facts, mode);
    out
}

/// Section 2: identifiers of the right kind and number (R10–R17, R14's four), each known, open,
/// eligible and under contract. Returns the structures that could be looked up.
fn check_identifiers(
    out: &mut Vec<Refusal>,
    form: &Form413,
    facts: &dyn Facts,
    mode: ValidationMode,
) -> Vec<(IdNatStruct, StructureFacts)> {
    let case = form.case;
    if form.identifiers.is_empty() {
        let label = case.identifier_kind().label();
        refuse(out, "/identifiers", case.rule(), format!("indiquez le {label} de la structure"));
    }
    if form.identifiers.len() > case.max_identifiers() {
        refuse(
            out,
            "/identifiers",
            case.rule(),
            format!(
                "au plus {} identifiant(s) par formulaire dans ce cas ; au-delà, un autre formulaire",
                case.max_identifiers()
            ),
        );
    }
    let mut structures = Vec::new();
    for (i, raw) in form.identifiers.iter().enumerate() {
        let at = format!("/identifiers/{i}");
        let earlier = &form.identifiers[..i];
        if let Some(found) = check_identifier(out, &at, case, raw, earlier, facts, mode) {
            structures.push(found);
        }
    }
    structures
}

/// One identifier of section 2: its syntax (R43), its kind for the case, no repeat (R19), then
/// what the directory says of the structure. `None` when the structure cannot be looked up.
fn check_identifier(
    out: &mut Vec<Refusal>,
    at: &str,
    case: StructureCase,
    raw: &str,
    earlier: &[String],
    facts: &dyn Facts,
    mode: ValidationMode,
) -> Option<(IdNatStruct, StructureFacts)> {
    let kind = case.identifier_kind();
    let id = match IdNatStruct::parse(raw.trim(), mode) {
        Ok(id) => id,
        Err(e) => {
            refuse(out, at, "R43", format!("identifiant de structure invalide : {e}"));
            return None;
        }
    };
    if !identifier_fits(kind, &id) {
        refuse(out, at, case.rule(), format!("ce cas se déclare avec le {}, pas un {}", kind.label(), id.kind_name()));
        return None;
    }
    if earlier.iter().any(|other| other.trim() == raw.trim()) {
        refuse(out, at, "R19", "identifiant en double");
        return None;
    }
    let Some(s) = facts.structure(raw.trim()) else {
        refuse(out, at, "R8", "structure absente de l'annuaire");
        return None;
    };
    check_structure(out, at, case, &s);
    Some((id, s))
}

/// Whether an identifier is of the kind a case declares (R10–R17).
fn identifier_fits(kind: IdentifierKind, id: &IdNatStruct) -> bool {
    matches!(
        (kind, id),
        (IdentifierKind::FinessGeographique | IdentifierKind::FinessJuridique, IdNatStruct::Finess(_))
            | (IdentifierKind::Siret, IdNatStruct::Siret(_))
            | (IdentifierKind::RppsRang, IdNatStruct::RppsRang(_))
    )
}

/// What the directory says of a structure named in section 2: open (R8), the right FINESS
/// (géographique or juridique) for the case, sectors of the case (R10–R17) and eligible (R8),
/// and a contract with the agency (R3).
fn check_structure(out: &mut Vec<Refusal>, at: &str, case: StructureCase, s: &StructureFacts) {
    if !s.open {
        refuse(out, at, "R8", "structure fermée dans l'annuaire");
    }
    match case.identifier_kind() {
        IdentifierKind::FinessGeographique if s.is_legal_entity => {
            refuse(out, at, case.rule(), "il faut le FINESS géographique (établissement), pas le FINESS juridique")
        }
        IdentifierKind::FinessJuridique if !s.is_legal_entity => {
            refuse(out, at, case.rule(), "il faut le FINESS juridique du gestionnaire, pas celui d'un établissement")
        }
        _ => {}
    }
    // R11, R12: a multi-site lab orders with its main site's FINESS géographique, never a
    // secondary site's (one certificate serves every site).
    if matches!(case, StructureCase::LbmSelas | StructureCase::LbmMultiSite) {
        if let Some(main) = s.main_site.as_deref().filter(|m| *m != s.row_id) {
            refuse(
                out,
                at,
                case.rule(),
                format!(
                    "site secondaire : un laboratoire multi-site se déclare avec le FINESS géographique de son site principal ({})",
                    main.get(1..).unwrap_or(main)
                ),
            );
        }
    }
    if let Some(allowed) = case.sectors() {
        if !s.sectors.is_empty() && !s.sectors.iter().any(|sec| allowed.contains(&sec.as_str())) {
            refuse(
                out,
                at,
                case.rule(),
                format!(
                    "secteur {} incompatible avec ce cas (attendu : {})",
                    s.sectors.join(", "),
                    allowed.join(" ou ")
                ),
            );
        }
    }
    if !s.sectors.is_empty()
        && !s.sectors.iter().any(|sec| crate::structure::Sector::parse(sec).is_ok_and(|x| x.is_eligible()))
    {
        refuse(out, at, "R8", "secteur d'activité non éligible aux certificats");
    }
    if !s.has_contract {
        refuse(out, at, "R3", format!("aucun contrat avec l'Agence pour {}", s.legal_entity));
    }
}

/// Section 3.2: the signer's fields (R20) and card: known, valid, and of a type that may sign
/// in their role (R4, R5). Returns what the register says of the card.
fn check_signer_card(out: &mut Vec<Refusal>, signer: &Signer, facts: &dyn Facts) -> Option<CardFacts> {
    check_person(out, "/signer", &signer.person, "R20");
    let card = facts.card(signer.person.card_number.trim());
    match &card {
        None if !signer.person.card_number.trim().is_empty() => {
            refuse(out, "/signer/card_number", "R20", "carte inconnue")
        }
        Some(c) if !c.valid => refuse(out, "/signer/card_number", "R20", "carte expirée ou en opposition"),
        Some(c) if !card_may_sign_as(signer.role, c.card_type) => {
            let rule = if signer.role == SignerRole::Mandataire { "R5" } else { "R4" };
            refuse(
                out,
                "/signer/card_number",
                rule,
                format!("une carte {} ne permet pas de signer en tant que {:?}", c.card_type, signer.role),
            );
        }
        _ => {}
    }
    card
}

/// The card types that may sign in each role: a legal representative's card (R4), a CPS, CPE or
/// CPA for a mandataire (R5), a CPS for a practice holder.
fn card_may_sign_as(role: SignerRole, card_type: CardType) -> bool {
    match role {
        SignerRole::LegalRepresentative => card_type.can_be_legal_representative(),
        SignerRole::Mandataire => matches!(card_type, CardType::Cps | CardType::Cpe | CardType::Cpa),
        SignerRole::PracticeHolder => card_type == CardType::Cps,
    }
}

/// Section 3.2, who may sign for these structures (R20): their legal representative, one of their
/// mandataires, or, in the RPPS rang case only, the holder of each practice (R14).
fn check_signer_may_sign(
    out: &mut Vec<Refusal>,
    form: &Form413,
    structures: &[(IdNatStruct, StructureFacts)],
    signer_card: Option<&CardFacts>,
) {
    let role = form.signer.role;
    let number = form.signer.person.card_number.trim();
    for (i, (id, s)) in structures.iter().enumerate() {
        if role == SignerRole::PracticeHolder && form.case != StructureCase::ScmPractice {
            refuse(out, "/signer/role", "R20", "le titulaire du cabinet ne signe que dans le cas RPPS rang");
            break;
        }
        if !signs_for(role, number, id, s, signer_card) {
            refuse(
                out,
                format!("/identifiers/{i}"),
                "R20",
                "le signataire n'est ni le représentant légal, ni un mandataire, ni le titulaire de cette structure",
            );
        }
    }
}

/// Whether the card `number` signs for the structure `id` in `role` (R20).
fn signs_for(
    role: SignerRole,
    number: &str,
    id: &IdNatStruct,
    s: &StructureFacts,
    signer_card: Option<&CardFacts>,
) -> bool {
    match role {
        SignerRole::LegalRepresentative => s.legal_representative_cards.iter().any(|c| c == number),
        SignerRole::Mandataire => s.mandataire_cards.iter().any(|c| c == number),
        // R14: each practice's holder signs its own practices: the RPPS rang starts with their
        // RPPS.
        SignerRole::PracticeHolder => match (id, signer_card) {
            (IdNatStruct::RppsRang(r), Some(c)) => c.holder.get(1..) == Some(r.rpps().as_str()),
            _ => false,
        },
    }
}

/// Section 4.1: at least one technical administrator (R21), each complete, named once, with a
/// valid card of a type that may administer (R1, R2).
fn check_administrators(out: &mut Vec<Refusal>, administrators: &[Person], facts: &dyn Facts) {
    if administrators.is_empty() {
        refuse(out, "/administrators", "R21", "au moins un administrateur technique");
    }
    for (i, a) in administrators.iter().enumerate() {
        let at = format!("/administrators/{i}");
        check_person(out, &at, a, "R21");
        if administrators[..i].iter().any(|b| b.card_number.trim() == a.card_number.trim()) {
            refuse(out, format!("{at}/card_number"), "R21", "administrateur en double");
        }
        check_administrator_card(out, &at, a, facts);
    }
}

/// A technical administrator's card (R2): known, valid, a CPS, CPE or CPA.
fn check_administrator_card(out: &mut Vec<Refusal>, at: &str, a: &Person, facts: &dyn Facts) {
    let field = format!("{at}/card_number");
    match facts.card(a.card_number.trim()) {
        None if !a.card_number.trim().is_empty() => refuse(out, field, "R2", "carte inconnue"),
        Some(c) if !c.valid => refuse(out, field, "R2", "carte expirée ou en opposition"),
        Some(c) if !c.card_type.can_be_technical_administrator() => refuse(
            out,
            field,
            "R2",
            format!("un administrateur technique détient une CPS, CPE ou CPA, pas une {}", c.card_type),
        ),
        Some(c) if !c.vendor_contract => refuse(out, field, "R6", VENDOR_WITHOUT_CONTRACT),
        _ => {}
    }
}

/// Rule R6's refusal of a CPA whose vendor holds no active contract.
pub const VENDOR_WITHOUT_CONTRACT: &str =
    "cette CPA est celle d'un éditeur sans contrat actif avec l'Agence : un éditeur administrateur technique a son propre contrat";

/// Section 4.2 (R22): the usage is described.
fn check_usage(out: &mut Vec<Refusal>, usage: &Usage) {
    if usage.description.trim().is_empty() {
        refuse(out, "/usage/description", "R22", "décrivez l'usage des certificats");
    }
}

/// Section 4.3: at least one offer, valid domain names (R23), the PRO offer's mail domain (R17),
/// left empty without the PRO offer (R19).
fn check_offers(out: &mut Vec<Refusal>, o: &Offers) {
    if !o.org
        && !o.pro
        && o.server_ssl_domain.is_none()
        && o.server_ssl_host.is_none()
        && o.server_mail_domain.is_none()
    {
        refuse(out, "/offers", "R23", "choisissez au moins une offre");
    }
    if o.server_ssl_domain.is_some() && o.server_ssl_host.is_some() {
        refuse(
            out,
            "/offers/server_ssl_host",
            "R23",
            "un nom de domaine OU un serveur restreint : une seule des deux lignes",
        );
    }
    if o.server_ssl_host.as_deref().is_some_and(|h| h.trim().starts_with("*.")) {
        refuse(out, "/offers/server_ssl_host", "R23", "un serveur se déclare par son nom complet, sans joker");
    }
    for (field, value) in [
        ("server_ssl_domain", &o.server_ssl_domain),
        ("server_ssl_host", &o.server_ssl_host),
        ("server_mail_domain", &o.server_mail_domain),
        ("pro_mail_domain", &o.pro_mail_domain),
    ] {
        if let Some(d) = value {
            let d = d.trim().trim_start_matches("*.");
            if !is_mail_domain(d) {
                refuse(out, format!("/offers/{field}"), "R23", "nom de domaine invalide");
            }
        }
    }
    if o.pro && o.pro_mail_domain.as_deref().is_none_or(|d| d.trim().is_empty()) {
        refuse(out, "/offers/pro_mail_domain", "R17", "le domaine de messagerie est obligatoire pour l'offre PRO");
    }
    if !o.pro && o.pro_mail_domain.is_some() {
        refuse(out, "/offers/pro_mail_domain", "R19", "à laisser vide sans l'offre PRO");
    }
}

/// Section 1 of the establishment case (R17): the site's name, postal code and town, and its
/// FINESS géographique when it has one, which must be that establishment's; empty in every other
/// case (R19).
fn check_site(out: &mut Vec<Refusal>, form: &Form413, facts: &dyn Facts, mode: ValidationMode) {
    let Some(site) = &form.site else {
        if form.case == StructureCase::Establishment {
            refuse(out, "/site", "R17", "indiquez la dénomination, le code postal et la commune de l'établissement");
        }
        return;
    };
    if form.case != StructureCase::Establishment {
        refuse(out, "/site", "R19", "à laisser vide hors du cas établissement de santé (R17)");
        return;
    }
    if site.name.trim().is_empty() {
        refuse(out, "/site/name", "R17", "champ obligatoire");
    }
    if site.town.trim().is_empty() {
        refuse(out, "/site/town", "R17", "champ obligatoire");
    }
    let postal = site.postal_code.trim();
    if postal.len() != 5 || !postal.bytes().all(|b| b.is_ascii_digit()) {
        refuse(out, "/site/postal_code", "R17", "le code postal a 5 chiffres");
    }
    // The SIRET of section 2, as the directory knows it.
    let named = form.identifiers.first().and_then(|id| facts.structure(id.trim()));
    if let Some(s) = &named {
        if s.postal_code.as_deref().is_some_and(|p| !p.is_empty() && p != postal) {
            refuse(out, "/site/postal_code", "R17", "ce n'est pas le code postal de l'établissement dans l'annuaire");
        }
    }
    let Some(finess) = site.finess_geographique.as_deref().map(str::trim).filter(|f| !f.is_empty()) else {
        return;
    };
    let id = format!("1{finess}");
    if IdNatStruct::parse(&id, mode).is_err() {
        refuse(out, "/site/finess_geographique", "R43", "FINESS invalide (9 caractères, clé de contrôle)");
        return;
    }
    match facts.structure(&id) {
        None => refuse(out, "/site/finess_geographique", "R8", "FINESS absent de l'annuaire"),
        Some(f) if f.is_legal_entity => {
            refuse(out, "/site/finess_geographique", "R17", "il faut le FINESS géographique, pas le FINESS juridique")
        }
        Some(f) => {
            if named.as_ref().is_some_and(|s| s.row_id.starts_with('1') && s.row_id != f.row_id) {
                refuse(
                    out,
                    "/site/finess_geographique",
                    "R17",
                    "ce FINESS n'est pas celui de l'établissement du SIRET",
                );
            }
        }
    }
}

/// The habilitations a validated form creates: one per (structure identifier × technical
/// administrator), rule R25.
pub fn habilitations(form: &Form413) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in &form.identifiers {
        for a in &form.administrators {
            let pair = (id.trim().to_owned(), a.card_number.trim().to_owned());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

/// One exercise situation of a professional, as the directory shows it (R45): where, and in
/// which sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SituationFacts {
    /// idNat_Struct of the situation (`4` + RPPS rang, `3` + SIRET, `1` + FINESS…).
    pub idnat_struct: String,
    /// Its sector (R46), when the directory gives one.
    pub sector: Option<String>,
}

/// A form the pre-fill proposes: its case and identifiers (R26).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProposedForm {
    /// The case of the form.
    pub case: StructureCase,
    /// The identifiers it names (section 2).
    pub identifiers: Vec<String>,
}

/// Rule R26: the forms 413 a professional's practices need, from their directory situations.
/// RPPS rang practices (SCM, SA07/SA08) go four to a form (R14); the SIRET practices of a
/// société d'exercice (SA09) one form per société (R13); a pharmacy's FINESS géographique (SA06)
/// its own form (R10). Situations in salaried structures (hospitals, LBM, GIE) are ordered by
/// those structures, not by the professional, and are left out.
pub fn propose_forms(situations: &[SituationFacts]) -> Vec<ProposedForm> {
    let mut rang = Vec::new();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in situations {
        if !seen.insert(s.idnat_struct.clone()) {
            continue;
        }
        let sector = s.sector.as_deref().unwrap_or("");
        match (s.idnat_struct.chars().next(), sector) {
            (Some('4'), "SA07" | "SA08") => rang.push(s.idnat_struct.clone()),
            (Some('3'), "SA09") => out
                .push(ProposedForm { case: StructureCase::SocieteExercice, identifiers: vec![s.idnat_struct.clone()] }),
            (Some('1'), "SA06") => {
                out.push(ProposedForm { case: StructureCase::Pharmacy, identifiers: vec![s.idnat_struct.clone()] })
            }
            _ => {}
        }
    }
    rang.sort();
    let mut forms: Vec<ProposedForm> = rang
        .chunks(StructureCase::ScmPractice.max_identifiers())
        .map(|c| ProposedForm { case: StructureCase::ScmPractice, identifiers: c.to_vec() })
        .collect();
    forms.extend(out);
    forms
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// A small world: structures with their facts, cards with theirs.
    #[derive(Default)]
    struct World {
        structures: HashMap<String, StructureFacts>,
        cards: HashMap<String, CardFacts>,
    }

    impl Facts for World {
        fn structure(&self, id: &str) -> Option<StructureFacts> {
            self.structures.get(id).cloned()
        }
        fn card(&self, number: &str) -> Option<CardFacts> {
            self.cards.get(number).cloned()
        }
    }

    const LEGAL_REP_CARD: &str = "8000000005";
    const ADMIN_CARD: &str = "8000000100";
    const HOLDER_CARD: &str = "8000000001";
    /// A pharmacy EG (FINESS géographique, 1 + 9 digits).
    const PHARMACY: &str = "1750900029";

    fn person(card: &str) -> Person {
        Person {
            last_name: "DUPONT".into(),
            first_names: "Marie".into(),
            phone: "0102030405".into(),
            email: "marie@pharmacie.fr".into(),
            card_number: card.into(),
        }
    }

    fn world() -> World {
        let mut w = World::default();
        let facts = |sectors: &[&str], legal: bool| StructureFacts {
            open: true,
            is_legal_entity: legal,
            sectors: sectors.iter().map(|s| s.to_string()).collect(),
            legal_entity: "750900011".into(),
            has_contract: true,
            legal_representative_cards: vec![LEGAL_REP_CARD.into()],
            mandataire_cards: vec![],
            ..Default::default()
        };
        w.structures.insert(PHARMACY.into(), facts(&["SA06"], false));
        w.structures.insert("1750900011".into(), facts(&["SA06"], true));
        w.structures.insert("499700270616029".into(), facts(&["SA08"], false));
        w.structures.insert("499700270616011".into(), facts(&["SA07"], false));
        w.structures.insert("499700270616003".into(), facts(&["SA07"], false));
        w.cards.insert(
            LEGAL_REP_CARD.into(),
            CardFacts { card_type: CardType::Cps, holder: "810000000041".into(), valid: true, vendor_contract: true },
        );
        w.cards.insert(
            ADMIN_CARD.into(),
            CardFacts { card_type: CardType::Cpa, holder: "810000000100".into(), valid: true, vendor_contract: true },
        );
        w.cards.insert(
            HOLDER_CARD.into(),
            CardFacts { card_type: CardType::Cps, holder: "899700270616".into(), valid: true, vendor_contract: true },
        );
        w.cards.insert(
            "8000000090".into(),
            CardFacts { card_type: CardType::Cps, holder: "810000000090".into(), valid: false, vendor_contract: true },
        );
        w.cards.insert(
            "8000000200".into(),
            CardFacts { card_type: CardType::Cde, holder: "810000000200".into(), valid: true, vendor_contract: true },
        );
        w
    }

    fn pharmacy_form() -> Form413 {
        Form413 {
            case: StructureCase::Pharmacy,
            identifiers: vec![PHARMACY.into()],
            site: None,
            signer: Signer { role: SignerRole::LegalRepresentative, person: person(LEGAL_REP_CARD) },
            administrators: vec![person(ADMIN_CARD)],
            usage: Usage { description: "Accès au DP".into(), ..Default::default() },
            offers: Offers { org: true, ..Default::default() },
        }
    }

    fn rules(r: &[Refusal]) -> Vec<&'static str> {
        r.iter().map(|x| x.rule).collect()
    }

    #[test]
    fn r10_a_pharmacy_form_with_its_finess_geographique_passes_and_yields_r25_habilitations() {
        let form = pharmacy_form();
        assert_eq!(validate(&form, &world(), ValidationMode::Test), vec![]);
        assert_eq!(habilitations(&form), vec![(PHARMACY.to_owned(), ADMIN_CARD.to_owned())]);
    }

    #[test]
    fn r10_the_finess_juridique_or_a_siret_is_the_wrong_identifier_for_a_pharmacy() {
        let mut form = pharmacy_form();
        form.identifiers = vec!["1750900011".into()];
        let r = validate(&form, &world(), ValidationMode::Test);
        assert_eq!(rules(&r), ["R10"], "{r:?}");
        form.identifiers = vec!["39999999800514".into()];
        let r = validate(&form, &world(), ValidationMode::Test);
        assert_eq!(r[0].field, "/identifiers/0");
        assert_eq!(r[0].rule, "R10");
    }

    #[test]
    fn r14_at_most_four_rpps_rang_and_no_siret_on_an_scm_form_signed_by_the_holder() {
        let w = world();
        let mut form = pharmacy_form();
        form.case = StructureCase::ScmPractice;
        form.signer = Signer { role: SignerRole::PracticeHolder, person: person(HOLDER_CARD) };
        form.identifiers = vec!["499700270616029".into(), "499700270616011".into(), "499700270616003".into()];
        assert_eq!(validate(&form, &w, ValidationMode::Test), vec![]);
        assert_eq!(habilitations(&form).len(), 3);
        form.identifiers = (1..=5).map(|i| format!("49970027061600{i}")).collect();
        assert!(rules(&validate(&form, &w, ValidationMode::Test)).contains(&"R14"));
        form.identifiers = vec!["39999999800514".into()];
        let r = validate(&form, &w, ValidationMode::Test);
        assert!(r.iter().any(|x| x.rule == "R14" && x.field == "/identifiers/0"), "{r:?}");
        // Another PS cannot sign as holder of these practices.
        form.identifiers = vec!["499700270616029".into()];
        form.signer.person.card_number = LEGAL_REP_CARD.into();
        assert!(rules(&validate(&form, &w, ValidationMode::Test)).contains(&"R20"));
    }

    #[test]
    fn r17_pro_needs_a_mail_domain_and_r19_unused_fields_stay_empty() {
        let mut form = pharmacy_form();
        form.offers.pro = true;
        assert_eq!(rules(&validate(&form, &world(), ValidationMode::Test)), ["R17"]);
        form.offers.pro_mail_domain = Some("pharmacie.fr".into());
        assert_eq!(validate(&form, &world(), ValidationMode::Test), vec![]);
        form.offers.pro = false;
        assert_eq!(rules(&validate(&form, &world(), ValidationMode::Test)), ["R19"]);
    }

    #[test]
    fn r6_a_cpa_whose_vendor_has_no_contract_is_refused() {
        let mut w = world();
        w.cards.get_mut(ADMIN_CARD).unwrap().vendor_contract = false;
        let r = validate(&pharmacy_form(), &w, ValidationMode::Test);
        assert_eq!(rules(&r), ["R6"]);
        assert_eq!(r[0].field, "/administrators/0/card_number");
    }

    #[test]
    fn r11_a_secondary_site_is_refused() {
        let mut w = world();
        let site = |main: Option<&str>| StructureFacts {
            open: true,
            legal_entity: "1750900011".into(),
            has_contract: true,
            legal_representative_cards: vec![LEGAL_REP_CARD.into()],
            row_id: "1750900037".into(),
            main_site: main.map(str::to_owned),
            ..Default::default()
        };
        w.structures.insert("1750900037".into(), site(Some("1750900029")));
        let mut form = pharmacy_form();
        form.case = StructureCase::LbmSelas;
        form.identifiers = vec!["1750900037".into()];
        let r = validate(&form, &w, ValidationMode::Test);
        assert!(r.iter().any(|x| x.rule == "R11" && x.field == "/identifiers/0"), "{r:?}");
        w.structures.insert("1750900037".into(), site(None));
        assert_eq!(validate(&form, &w, ValidationMode::Test), vec![]);
    }

    #[test]
    fn cards_must_be_valid_and_of_the_right_type() {
        let w = world();
        let mut form = pharmacy_form();
        form.signer.person.card_number = "8000000090".into();
        assert!(rules(&validate(&form, &w, ValidationMode::Test)).contains(&"R20"), "expired card");
        let mut form = pharmacy_form();
        form.administrators = vec![person("8000000200")];
        let r = validate(&form, &w, ValidationMode::Test);
        assert!(r.iter().any(|x| x.rule == "R2" && x.message.contains("CDE")), "a CDE cannot be administrator: {r:?}");
        let mut form = pharmacy_form();
        form.administrators[0].email = String::new();
        form.administrators[0].card_number = "123".into();
        let r = validate(&form, &w, ValidationMode::Test);
        assert!(r.iter().any(|x| x.field == "/administrators/0/email" && x.rule == "R21"));
        assert!(r.iter().any(|x| x.field == "/administrators/0/card_number" && x.rule == "R21"));
    }

    #[test]
    fn r26_a_radiologist_with_six_scm_practices_and_a_selarl_gets_three_forms() {
        let mut situations: Vec<SituationFacts> = (1..=6)
            .map(|i| SituationFacts {
                idnat_struct: format!("410000000132{i:03}"),
                sector: Some(if i % 2 == 0 { "SA08" } else { "SA07" }.into()),
            })
            .collect();
        situations.push(SituationFacts { idnat_struct: "330000002300014".into(), sector: Some("SA09".into()) });
        // A salaried situation at a hospital is the hospital's business.
        situations.push(SituationFacts { idnat_struct: "1060785003".into(), sector: Some("SA01".into()) });
        let forms = propose_forms(&situations);
        let shape: Vec<(StructureCase, usize)> = forms.iter().map(|f| (f.case, f.identifiers.len())).collect();
        assert_eq!(
            shape,
            [(StructureCase::ScmPractice, 4), (StructureCase::ScmPractice, 2), (StructureCase::SocieteExercice, 1)]
        );
        assert_eq!(forms[2].identifiers, ["330000002300014"]);
    }

    #[test]
    fn r3_no_contract_and_r20_a_signer_who_is_not_the_legal_representative() {
        let mut w = world();
        w.structures.get_mut(PHARMACY).unwrap().has_contract = false;
        assert_eq!(rules(&validate(&pharmacy_form(), &w, ValidationMode::Test)), ["R3"]);
        let w = world();
        let mut form = pharmacy_form();
        form.signer.person.card_number = HOLDER_CARD.into();
        assert_eq!(rules(&validate(&form, &w, ValidationMode::Test)), ["R20"]);
        form.signer.role = SignerRole::Mandataire;
        assert_eq!(rules(&validate(&form, &w, ValidationMode::Test)), ["R20"]);
    }
}
