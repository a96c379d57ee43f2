//! The entries of the tree (R44):
//!
//! ```text
//! ""                                   root DSE
//! cn=subschema                         the schema (RFC 4512)
//! c=fr                                 country
//! ├── o=GIP-CPS,c=fr                   organization: the production branch
//! ├── o=TEST,c=fr                      organization: test identities (RPPS 997…, idNat_PS 8997…)
//! │   ├── uid=<idNat_PS>               cpsProfessionnel
//! │   │   └── ou=<idNat_Struct>        cpsSituation: cn=<idNat_PS>, ou, raisonSociale, postalAddress, sectActRPPS…
//! │   └── ou=<idNat_Struct>            cpsStructure + pkiUser: the structure, with the userCertificate;binary
//! │                                    of its live ORG and SERV certificates
//! └── ou=ANS,c=fr                      organizationalUnit
//!     └── ou=IGC-SANTE                 organizationalUnit
//!         └── ou=<root CA name>        organizationalUnit + pkiCA (+ deltaCRL): the root, as in the LDAP
//!             └── cn=<CA name>         applicationProcess + pkiCA + deltaCRL   URLs of IGC-Santé CRLs
//! ```
//!
//! A structure is under `o=TEST` when it is the practice of a test identity (RPPS rang `997…`,
//! idNat_Struct `4997…`), under `o=GIP-CPS` otherwise.
//!
//! The professional is named by `uid`, not `cn`: the R44 query `(cn=<idNat_PS>)` must return the
//! situations only. A professional with several situations at one structure (different
//! professions or functions) names the further ones `ou=<idNat_Struct>+situationRank=<n>`;
//! a situation without a structure is `situationRank=<n>`.

use crate::dn::{escape_value, fold, NormDn};
use crate::schema::{self, Usage, CPS_PROFESSIONNEL, CPS_SITUATION, CPS_STRUCTURE};
use crate::store::{PsRow, SitRow, StructRow};
use crate::Branch;

/// Where an entry sorts in a search's output: the static entries first, then professionals in
/// idNat_PS order, each followed by its situations in situation key order. A paged search
/// resumes after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Static(u8),
    /// idNat_PS and, for a situation, its [`situation_order`] (empty for the professional).
    Dynamic(String, String),
    /// A structure, after every professional: its idNat_Struct.
    Structure(String),
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub def: &'static schema::AttrDef,
    pub values: Vec<String>,
    /// DER values of a binary attribute (certificates, CRLs), sent as `<name>;binary`;
    /// `values` is empty then, so that assertion filters do not match them.
    pub binary: Vec<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub dn: String,
    pub norm: NormDn,
    pub key: Key,
    pub attrs: Vec<Attr>,
}

impl Entry {
    fn new(dn: String, key: Key) -> Entry {
        let norm = NormDn::parse(&dn).unwrap_or(NormDn(Vec::new()));
        Entry { dn, norm, key, attrs: Vec::new() }
    }

    /// Adds an attribute (skipped if it has no non-empty value).
    fn add<S: Into<String>>(&mut self, name: &str, values: impl IntoIterator<Item = S>) {
        let values: Vec<String> = values.into_iter().map(Into::into).filter(|v: &String| !v.trim().is_empty()).collect();
        if values.is_empty() {
            return;
        }
        match schema::attr(name) {
            Some(def) => self.attrs.push(Attr { def, values, binary: Vec::new() }),
            None => debug_assert!(false, "attribute {name} missing from the schema"),
        }
    }

    /// Adds a binary attribute (skipped if it has no value).
    fn add_binary(&mut self, name: &str, values: Vec<Vec<u8>>) {
        if values.is_empty() {
            return;
        }
        match schema::attr(name) {
            Some(def) => self.attrs.push(Attr { def, values: Vec::new(), binary: values }),
            None => debug_assert!(false, "attribute {name} missing from the schema"),
        }
    }

    fn add_opt(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.add(name, [v.as_str()]);
        }
    }

    /// The values of an attribute (by any of its names).
    pub fn get(&self, def: &schema::AttrDef) -> Option<&[String]> {
        self.attrs.iter().find(|a| std::ptr::eq(a.def, def)).map(|a| a.values.as_slice())
    }

    /// Adds `structuralObjectClass`, `entryDN`, `subschemaSubentry` and `hasSubordinates`.
    fn operational(mut self, structural: &str, has_subordinates: bool) -> Entry {
        let dn = self.dn.clone();
        self.add("structuralObjectClass", [structural]);
        self.add("entryDN", [dn]);
        self.add("subschemaSubentry", [SUBSCHEMA_DN]);
        self.add("hasSubordinates", [if has_subordinates { "TRUE" } else { "FALSE" }]);
        self
    }
}

/// The object classes of professional and structure entries (filters are checked against them
/// before an entry is built: [`crate::filter::may_match`]).
pub const PROFESSIONAL_CLASSES: &[&str] = &["top", CPS_PROFESSIONNEL];
pub const SITUATION_CLASSES: &[&str] = &["top", CPS_SITUATION];
pub const STRUCTURE_CLASSES: &[&str] = &["top", CPS_STRUCTURE, "pkiUser"];

pub const SUBSCHEMA_DN: &str = "cn=subschema";
pub const COUNTRY_DN: &str = "c=fr";

/// Controls the server supports, as the root DSE lists them.
pub const PAGED_RESULTS_OID: &str = "1.2.840.113556.1.4.319";
pub const WHOAMI_OID: &str = "1.3.6.1.4.1.4203.1.11.3";

pub fn root_dse() -> Entry {
    let mut e = Entry::new(String::new(), Key::Static(0));
    e.add("objectClass", ["top", "extensibleObject"]);
    e.add("namingContexts", [COUNTRY_DN]);
    e.add("supportedLDAPVersion", ["3"]);
    e.add("supportedControl", [PAGED_RESULTS_OID]);
    e.add("supportedExtension", [WHOAMI_OID]);
    // SASL ANONYMOUS (RFC 4505): `ldapsearch` without `-x` — the exact command of R44 — binds
    // with SASL and needs a mechanism it can use without credentials.
    e.add("supportedSASLMechanisms", ["ANONYMOUS"]);
    // "+" returns all operational attributes (RFC 3673).
    e.add("supportedFeatures", ["1.3.6.1.4.1.4203.1.5.1"]);
    e.add("subschemaSubentry", [SUBSCHEMA_DN]);
    e.add("vendorName", ["santepki"]);
    e.add("vendorVersion", [concat!("santepki ", env!("CARGO_PKG_VERSION"))]);
    e
}

pub fn subschema() -> Entry {
    let mut e = Entry::new(SUBSCHEMA_DN.into(), Key::Static(0));
    e.add("objectClass", ["top", "subentry", "subschema", "extensibleObject"]);
    e.add("cn", ["subschema"]);
    e.add("attributeTypes", schema::attribute_type_descriptions());
    e.add("objectClasses", schema::object_class_descriptions());
    e.add("ldapSyntaxes", schema::syntax_descriptions());
    e.add("matchingRules", schema::matching_rule_descriptions());
    e.operational("subentry", false)
}

pub fn country() -> Entry {
    let mut e = Entry::new(COUNTRY_DN.into(), Key::Static(0));
    e.add("objectClass", ["top", "country"]);
    e.add("c", ["fr"]);
    e.operational("country", true)
}

pub fn branch(b: Branch) -> Entry {
    let key = match b {
        Branch::Production => 1,
        Branch::Test => 2,
    };
    let mut e = Entry::new(b.dn().into(), Key::Static(key));
    e.add("objectClass", ["top", "organization"]);
    e.add("o", [b.o()]);
    e.operational("organization", true)
}

pub fn professional_dn(b: Branch, idnat_ps: &str) -> String {
    format!("uid={},{}", escape_value(idnat_ps), b.dn())
}

pub fn professional(p: &PsRow, has_situations: bool) -> Entry {
    let b = Branch::of(&p.idnat_ps);
    let mut e = Entry::new(professional_dn(b, &p.idnat_ps), Key::Dynamic(p.idnat_ps.clone(), String::new()));
    e.add("objectClass", PROFESSIONAL_CLASSES.iter().copied());
    e.add("uid", [p.idnat_ps.as_str()]);
    e.add("sn", [p.last_name.as_str()]);
    e.add("givenName", [p.first_name.as_str()]);
    e.add_opt("title", &p.profession_label);
    e.add_opt("personalTitle", &p.civility);
    e.add("identifiantPP", [p.national_id.as_str()]);
    e.add("typeIdentifiantPP", [p.id_type.as_str()]);
    e.add_opt("codeProfession", &p.profession_code);
    e.add_opt("codeCategorieProfessionnelle", &p.category_code);
    e.operational(CPS_PROFESSIONNEL, has_situations)
}

fn join_words<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::new();
    for p in parts.into_iter().flatten().map(str::trim).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// `postalAddress` of a site: the recipient, then number, suffix, street type and name.
fn postal_address(recipient: Option<&str>, street: [Option<&str>; 4]) -> String {
    let street = join_words(street);
    join_words([recipient, Some(street.as_str())])
}

/// The order of a professional's situations, as the R44 table lists them: structure identifier
/// descending, then situation key. Encoded so that byte order is that order (each byte of the
/// structure identifier inverted, a terminator, hex), for the paging key.
pub fn situation_order(s: &SitRow) -> String {
    let mut out = String::new();
    for b in s.idnat_struct.as_deref().unwrap_or("").bytes().map(|b| !b).chain([0xff]) {
        out.push_str(&format!("{b:02x}"));
    }
    out.push('|');
    out.push_str(&s.situation_key);
    out
}

/// The situations of one professional (in [`situation_order`]), with their DNs.
pub fn situations(p: &PsRow, rows: &[SitRow]) -> Vec<Entry> {
    let b = Branch::of(&p.idnat_ps);
    let parent = professional_dn(b, &p.idnat_ps);
    let mut seen: Vec<(Option<String>, u32)> = Vec::new();
    rows.iter()
        .map(|s| {
            let folded = s.idnat_struct.as_deref().map(fold);
            let rank = match seen.iter_mut().find(|(k, _)| *k == folded) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((folded, 1));
                    1
                }
            };
            let rdn = match (&s.idnat_struct, rank) {
                (Some(st), 1) => format!("ou={}", escape_value(st)),
                (Some(st), n) => format!("ou={}+situationRank={n}", escape_value(st)),
                (None, n) => format!("situationRank={n}"),
            };
            let mut e = Entry::new(format!("{rdn},{parent}"), Key::Dynamic(p.idnat_ps.clone(), situation_order(s)));
            e.add("objectClass", SITUATION_CLASSES.iter().copied());
            e.add("cn", [p.idnat_ps.as_str()]);
            e.add_opt("ou", &s.idnat_struct);
            if rank > 1 || s.idnat_struct.is_none() {
                e.add("situationRank", [rank.to_string()]);
            }
            e.add_opt("raisonSociale", &s.name);
            e.add(
                "postalAddress",
                [postal_address(
                    s.recipient.as_deref(),
                    [s.street_number.as_deref(), s.street_number_suffix.as_deref(), s.street_type.as_deref(), s.street_name.as_deref()],
                )],
            );
            e.add_opt("postalCode", &s.postal_code);
            e.add_opt("l", &s.town);
            e.add_opt("sectActRPPS", &s.sector_code);
            e.add_opt("libelleSectActRPPS", &s.sector_label);
            e.add_opt("finess", &s.finess);
            e.add_opt("finessJuridique", &s.legal_entity_finess);
            e.add_opt("siret", &s.siret);
            e.add_opt("siren", &s.siren);
            e.add_opt("rppsRang", &s.rpps_rang);
            e.add_opt("telephoneNumber", &s.phone);
            e.add_opt("mail", &s.email);
            e.add_opt("codeProfession", &s.profession_code);
            e.add_opt("title", &s.profession_label);
            e.add_opt("codeModeExercice", &s.mode_code);
            e.add_opt("codeFonction", &s.role_code);
            e.add_opt("codeGenreActivite", &s.activity_code);
            e.add_opt("identifiantTechniqueStructure", &s.structure_tech_id);
            e.operational(CPS_SITUATION, false)
        })
        .collect()
}

/// The branch of a structure: test practices (idNat_Struct `4997…`) are under `o=TEST`.
pub fn structure_branch(idnat_struct: &str) -> Branch {
    if idnat_struct.starts_with(STRUCTURE_TEST_PREFIX) {
        Branch::Test
    } else {
        Branch::Production
    }
}

/// idNat_Struct of the practices of test identities: type 4 (RPPS rang) + RPPS `997…`.
pub const STRUCTURE_TEST_PREFIX: &str = "4997";

pub fn structure_dn(idnat_struct: &str) -> String {
    format!("ou={},{}", escape_value(idnat_struct), structure_branch(idnat_struct).dn())
}

/// A structure, with the DER of its live ORG and SERV certificates.
pub fn structure(s: &StructRow, certificates: Vec<Vec<u8>>) -> Entry {
    let mut e = Entry::new(structure_dn(&s.idnat_struct), Key::Structure(s.idnat_struct.clone()));
    e.add("objectClass", STRUCTURE_CLASSES.iter().copied());
    e.add("ou", [s.idnat_struct.as_str()]);
    e.add("typeIdentifiantStructure", [&s.idnat_struct[..1.min(s.idnat_struct.len())]]);
    e.add("raisonSociale", [s.name.as_str()]);
    e.add(
        "postalAddress",
        [postal_address(
            s.recipient.as_deref(),
            [s.street_number.as_deref(), s.street_number_suffix.as_deref(), s.street_type.as_deref(), s.street_name.as_deref()],
        )],
    );
    e.add_opt("postalCode", &s.postal_code);
    e.add_opt("l", &s.town);
    e.add_opt("finess", &s.finess);
    e.add_opt("finessJuridique", &s.legal_entity_finess);
    e.add_opt("siret", &s.siret);
    e.add_opt("siren", &s.siren);
    e.add_opt("rppsRang", &s.rpps_rang);
    e.add_opt("telephoneNumber", &s.phone);
    e.add_opt("mail", &s.email);
    e.add_binary("userCertificate", certificates);
    e.operational(CPS_STRUCTURE, false)
}

/// A certification authority as the PKI subtree shows it.
#[derive(Debug, Clone)]
pub struct CaEntryData {
    pub name: String,
    pub is_root: bool,
    pub certificate: Vec<u8>,
    pub crl: Option<Vec<u8>>,
    pub delta_crl: Option<Vec<u8>>,
}

pub const ANS_DN: &str = "ou=ANS,c=fr";
pub const IGC_DN: &str = "ou=IGC-SANTE,ou=ANS,c=fr";

/// The PKI subtree (static keys 3…): `ou=ANS`, `ou=IGC-SANTE`, the root as an
/// organizational unit and the other CAs under it, in the order given (root first). Empty when
/// no CA exists yet.
pub fn pki(cas: &[CaEntryData]) -> Vec<Entry> {
    let Some(root) = cas.iter().find(|c| c.is_root) else { return Vec::new() };
    let mut out = Vec::new();
    let mut ans = Entry::new(ANS_DN.into(), Key::Static(3));
    ans.add("objectClass", ["top", "organizationalUnit"]);
    ans.add("ou", ["ANS"]);
    out.push(ans.operational("organizationalUnit", true));
    let mut igc = Entry::new(IGC_DN.into(), Key::Static(4));
    igc.add("objectClass", ["top", "organizationalUnit"]);
    igc.add("ou", ["IGC-SANTE"]);
    out.push(igc.operational("organizationalUnit", true));
    let root_dn = format!("ou={},{IGC_DN}", escape_value(&root.name));
    let ca_attrs = |e: &mut Entry, c: &CaEntryData| {
        e.add_binary("cACertificate", vec![c.certificate.clone()]);
        e.add_binary("certificateRevocationList", c.crl.iter().cloned().collect());
        e.add_binary("deltaRevocationList", c.delta_crl.iter().cloned().collect());
    };
    let mut r = Entry::new(root_dn.clone(), Key::Static(5));
    r.add("objectClass", ["top", "organizationalUnit", "pkiCA", "deltaCRL"]);
    r.add("ou", [root.name.as_str()]);
    ca_attrs(&mut r, root);
    let has_children = cas.iter().any(|c| !c.is_root);
    out.push(r.operational("organizationalUnit", has_children));
    for (i, c) in cas.iter().filter(|c| !c.is_root).enumerate() {
        let mut e = Entry::new(format!("cn={},{root_dn}", escape_value(&c.name)), Key::Static(6u8.saturating_add(i as u8)));
        e.add("objectClass", ["top", "applicationProcess", "pkiCA", "deltaCRL"]);
        e.add("cn", [c.name.as_str()]);
        ca_attrs(&mut e, c);
        out.push(e.operational("applicationProcess", false));
    }
    out
}

/// Whether an attribute goes out for this attribute selection.
pub struct Selection {
    all_user: bool,
    all_operational: bool,
    named: Vec<&'static schema::AttrDef>,
}

impl Selection {
    /// RFC 4511 §4.5.1.8: no attribute or `*` = all user attributes, `+` = all operational
    /// ones (RFC 3673), `1.1` alone = none; unknown names are ignored; names are
    /// case-insensitive and may be aliases or OIDs.
    pub fn new(attrs: &[String]) -> Selection {
        let mut all_user = attrs.is_empty();
        let mut all_operational = false;
        let mut named = Vec::new();
        for a in attrs {
            match a.trim() {
                "*" => all_user = true,
                "+" => all_operational = true,
                "1.1" => {}
                other => {
                    if let Some(def) = schema::attr(other) {
                        named.push(def);
                    }
                }
            }
        }
        Selection { all_user, all_operational, named }
    }

    pub fn includes(&self, def: &'static schema::AttrDef) -> bool {
        match def.usage {
            Usage::User if self.all_user => true,
            Usage::Operational if self.all_operational => true,
            _ => self.named.iter().any(|d| std::ptr::eq(*d, def)),
        }
    }
}
