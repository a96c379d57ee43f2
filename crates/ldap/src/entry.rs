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

use std::borrow::Cow;
use std::sync::LazyLock;

use ldap3_proto::proto::LdapFilter;
use santepki_domain::structure::{join_words, street_line};
use santepki_storage::ldap::{CaEntry, PsRow, SitColumn, SitColumns, SitRow, StructRow};
use smallvec::SmallVec;

use crate::dn::{escape_value, fold, NormDn};
use crate::schema::{self, Usage, CPS_PROFESSIONNEL, CPS_SITUATION, CPS_STRUCTURE};
use crate::{Branch, BranchNames};

/// Where an entry sorts in a search's output: the static entries first, then professionals in
/// idNat_PS order, each followed by its situations in situation key order. A paged search
/// resumes after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A fixed entry (root DSE, schema, `c=fr`, the branches, the PKI subtree), by rank.
    Static(u8),
    /// idNat_PS and, for a situation, its [`situation_order`] (empty for the professional).
    Dynamic(String, String),
    /// A structure, after every professional: its idNat_Struct.
    Structure(String),
}

/// An attribute value: borrowed for the constants many entries share (object classes, flags),
/// owned otherwise (moved from the database row, not copied).
pub type Value = Cow<'static, str>;

/// The values of an attribute; nearly all attributes have one, kept inline.
pub type Values = SmallVec<[Value; 1]>;

/// An attribute of an entry.
#[derive(Debug, Clone)]
pub struct Attr {
    /// Its type.
    pub def: &'static schema::AttrDef,
    /// Its values (empty for a binary attribute).
    pub values: Values,
    /// DER values of a binary attribute (certificates, CRLs), sent as `<name>;binary`;
    /// `values` is empty then, so that assertion filters do not match them.
    pub binary: Vec<Vec<u8>>,
}

/// An entry of the tree, with the attributes a search builds.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Its name as shown.
    pub dn: String,
    /// Its normalised name, for scope and base comparisons.
    pub norm: NormDn,
    /// Where it sorts in a search's output.
    pub key: Key,
    /// Its attributes.
    pub attrs: Vec<Attr>,
}

impl Entry {
    /// An entry whose normalised name the caller built along with `dn` (the entries of the
    /// directory store, thousands per second: parsing their names back would cost more than
    /// building them).
    fn new(dn: String, norm: NormDn, key: Key) -> Entry {
        debug_assert_eq!(NormDn::parse(&dn).as_ref(), Some(&norm), "{dn}");
        Entry { dn, norm, key, attrs: Vec::with_capacity(8) }
    }

    /// An entry named by parsing `dn` (the static and PKI entries).
    fn parsed(dn: String, key: Key) -> Entry {
        let norm = NormDn::parse(&dn).unwrap_or(NormDn(Vec::new()));
        Entry { dn, norm, key, attrs: Vec::new() }
    }

    /// The values of an attribute (by any of its names).
    pub fn get(&self, def: &schema::AttrDef) -> Option<&[Value]> {
        self.attrs.iter().find(|a| std::ptr::eq(a.def, def)).map(|a| a.values.as_slice())
    }
}

/// Adds an entry's attributes, only those `want` names: a search builds what its filter tests
/// and what it returns, nothing else (the R44 search reads five attributes of entries that
/// have about twenty-five).
struct Builder<'w> {
    e: Entry,
    want: &'w Selection,
}

impl<'w> Builder<'w> {
    fn new(e: Entry, want: &'w Selection) -> Builder<'w> {
        Builder { e, want }
    }

    /// The definition of `name` if the search wants it.
    fn wanted(&self, name: &str) -> Option<&'static schema::AttrDef> {
        match schema::attr(name) {
            Some(def) => self.want.includes(def).then_some(def),
            None => {
                debug_assert!(false, "attribute {name} missing from the schema");
                None
            }
        }
    }

    fn wants(&self, name: &str) -> bool {
        self.wanted(name).is_some()
    }

    /// Adds an attribute (skipped if it has no non-empty value).
    fn add<V: Into<Value>>(&mut self, name: &str, values: impl IntoIterator<Item = V>) {
        let Some(def) = self.wanted(name) else { return };
        let values: Values = values.into_iter().map(Into::into).filter(|v: &Value| !v.trim().is_empty()).collect();
        if !values.is_empty() {
            self.e.attrs.push(Attr { def, values, binary: Vec::new() });
        }
    }

    /// Adds a binary attribute (skipped if it has no value).
    fn add_binary(&mut self, name: &str, values: Vec<Vec<u8>>) {
        let Some(def) = self.wanted(name) else { return };
        if !values.is_empty() {
            self.e.attrs.push(Attr { def, values: Values::new(), binary: values });
        }
    }

    fn add_opt(&mut self, name: &str, value: Option<String>) {
        if let Some(v) = value {
            self.add(name, [v]);
        }
    }

    /// Adds `structuralObjectClass`, `entryDN`, `subschemaSubentry` and `hasSubordinates`.
    fn operational(mut self, structural: &'static str, has_subordinates: bool) -> Entry {
        self.add("structuralObjectClass", [structural]);
        if self.wants("entryDN") {
            let dn = self.e.dn.clone();
            self.add("entryDN", [dn]);
        }
        self.add("subschemaSubentry", [SUBSCHEMA_DN]);
        self.add("hasSubordinates", [if has_subordinates { "TRUE" } else { "FALSE" }]);
        self.e
    }
}

/// The object classes of professional and structure entries (filters are checked against them
/// before an entry is built: [`crate::filter::may_match`]).
pub const PROFESSIONAL_CLASSES: &[&str] = &["top", CPS_PROFESSIONNEL];
/// The object classes of situation entries.
pub const SITUATION_CLASSES: &[&str] = &["top", CPS_SITUATION];
/// The object classes of structure entries.
pub const STRUCTURE_CLASSES: &[&str] = &["top", CPS_STRUCTURE, "pkiUser"];

/// The schema entry's name.
pub const SUBSCHEMA_DN: &str = "cn=subschema";
/// The top of the tree.
pub const COUNTRY_DN: &str = "c=fr";

/// Controls the server supports, as the root DSE lists them: simple paged results (RFC 2696).
pub const PAGED_RESULTS_OID: &str = "1.2.840.113556.1.4.319";
/// The WhoAmI extended operation (RFC 4532).
pub const WHOAMI_OID: &str = "1.3.6.1.4.1.4203.1.11.3";

/// The fixed entries, built once: searches look at them by reference and copy only those that
/// match.
pub fn root_dse() -> &'static Entry {
    static E: LazyLock<Entry> = LazyLock::new(build_root_dse);
    &E
}

/// The schema entry (`cn=subschema`).
pub fn subschema() -> &'static Entry {
    static E: LazyLock<Entry> = LazyLock::new(build_subschema);
    &E
}

/// The `c=fr` entry.
pub fn country() -> &'static Entry {
    static E: LazyLock<Entry> = LazyLock::new(build_country);
    &E
}

/// The entry of a branch (`o=GIP-CPS` or `o=TEST`).
pub fn branch(b: Branch) -> &'static Entry {
    static PRODUCTION: LazyLock<Entry> = LazyLock::new(|| build_branch(Branch::Production));
    static TEST: LazyLock<Entry> = LazyLock::new(|| build_branch(Branch::Test));
    match b {
        Branch::Production => &PRODUCTION,
        Branch::Test => &TEST,
    }
}

fn build_root_dse() -> Entry {
    let mut e = Builder::new(Entry::parsed(String::new(), Key::Static(0)), Selection::everything());
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
    e.e
}

fn build_subschema() -> Entry {
    let mut e = Builder::new(Entry::parsed(SUBSCHEMA_DN.into(), Key::Static(0)), Selection::everything());
    e.add("objectClass", ["top", "subentry", "subschema", "extensibleObject"]);
    e.add("cn", ["subschema"]);
    e.add("attributeTypes", schema::attribute_type_descriptions());
    e.add("objectClasses", schema::object_class_descriptions());
    e.add("ldapSyntaxes", schema::syntax_descriptions());
    e.add("matchingRules", schema::matching_rule_descriptions());
    e.operational("subentry", false)
}

fn build_country() -> Entry {
    let mut e = Builder::new(Entry::parsed(COUNTRY_DN.into(), Key::Static(0)), Selection::everything());
    e.add("objectClass", ["top", "country"]);
    e.add("c", ["fr"]);
    e.operational("country", true)
}

fn build_branch(b: Branch) -> Entry {
    let key = match b {
        Branch::Production => 1,
        Branch::Test => 2,
    };
    let mut e = Builder::new(Entry::parsed(b.dn().into(), Key::Static(key)), Selection::everything());
    e.add("objectClass", ["top", "organization"]);
    e.add("o", [b.o()]);
    e.operational("organization", true)
}

/// The DN of a professional's entry in branch `b`.
pub fn professional_dn(b: Branch, idnat_ps: &str) -> String {
    format!("uid={},{}", escape_value(idnat_ps), b.dn())
}

/// The normalised names of the branches, as [`NormDn::parse`] gives them.
fn branch_norm(b: Branch) -> NormDn {
    let o = match b {
        Branch::Production => "o=gip-cps",
        Branch::Test => "o=test",
    };
    NormDn(vec![Cow::Borrowed(o), Cow::Borrowed("c=fr")])
}

fn professional_norm(b: Branch, idnat_ps: &str) -> NormDn {
    branch_norm(b).child(format!("uid={}", fold(idnat_ps.trim())))
}

/// A professional's entry, with the attributes `want` names.
pub fn professional(p: &PsRow, has_situations: bool, want: &Selection) -> Entry {
    let b = Branch::of(&p.idnat_ps);
    let entry = Entry::new(
        professional_dn(b, &p.idnat_ps),
        professional_norm(b, &p.idnat_ps),
        Key::Dynamic(p.idnat_ps.clone(), String::new()),
    );
    let mut e = Builder::new(entry, want);
    e.add("objectClass", PROFESSIONAL_CLASSES.iter().copied());
    e.add("uid", [p.idnat_ps.clone()]);
    e.add("sn", [p.last_name.clone()]);
    e.add("givenName", [p.first_name.clone()]);
    e.add_opt("title", p.profession_label.clone());
    e.add_opt("personalTitle", p.civility.clone());
    e.add("identifiantPP", [p.national_id.clone()]);
    e.add("typeIdentifiantPP", [p.id_type.clone()]);
    e.add_opt("codeProfession", p.profession_code.clone());
    e.add_opt("codeCategorieProfessionnelle", p.category_code.clone());
    e.operational(CPS_PROFESSIONNEL, has_situations)
}

/// `postalAddress` of a site: the recipient, then the street line (number, suffix, street type
/// and name), written as the domain writes address lines.
fn postal_address(recipient: Option<&str>, street: [Option<&str>; 4]) -> String {
    let street = street_line(street);
    join_words([recipient, Some(street.as_str())])
}

/// The order of a professional's situations, as the R44 table lists them: structure identifier
/// descending, then situation key. Encoded so that byte order is that order (each byte of the
/// structure identifier inverted, a terminator, hex), for the paging key.
pub fn situation_order(s: &SitRow) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let id = s.idnat_struct.as_deref().unwrap_or("");
    let mut out = String::with_capacity(2 * id.len() + 3 + s.situation_key.len());
    for b in id.bytes().map(|b| !b).chain([0xff]) {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 0xf) as usize] as char);
    }
    out.push('|');
    out.push_str(&s.situation_key);
    out
}

/// The situations of one professional, in [`situation_order`], with their DNs and the
/// attributes `want` names; the rows' values move into the entries. The rows need only the
/// columns [`situation_columns`] gives for `want`.
pub fn situations(idnat_ps: &str, mut rows: Vec<SitRow>, want: &Selection) -> Vec<Entry> {
    // Sorted here, the same on both backends whatever their collation: the ranks in the names
    // depend on the order.
    rows.sort_by_cached_key(situation_order);
    let b = Branch::of(idnat_ps);
    let parent = professional_dn(b, idnat_ps);
    let parent_norm = professional_norm(b, idnat_ps);
    let mut seen: Vec<(Option<String>, u32)> = Vec::new();
    rows.into_iter()
        .map(|s| {
            let folded = s.idnat_struct.as_deref().map(|v| fold(v.trim()).into_owned());
            let rank = match seen.iter_mut().find(|(k, _)| *k == folded) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((folded.clone(), 1));
                    1
                }
            };
            // The RDN as written and normalised (types canonical and sorted, values folded).
            let (rdn, rdn_norm) = match (&s.idnat_struct, &folded, rank) {
                (Some(st), Some(f), 1) => (format!("ou={}", escape_value(st)), format!("ou={f}")),
                (Some(st), Some(f), n) => {
                    (format!("ou={}+situationRank={n}", escape_value(st)), format!("ou={f}+situationrank={n}"))
                }
                (_, _, n) => (format!("situationRank={n}"), format!("situationrank={n}")),
            };
            let key = Key::Dynamic(idnat_ps.to_owned(), situation_order(&s));
            let mut e = Builder::new(Entry::new(format!("{rdn},{parent}"), parent_norm.child(rdn_norm), key), want);
            e.add("objectClass", SITUATION_CLASSES.iter().copied());
            if e.wants("cn") {
                e.add("cn", [idnat_ps.to_owned()]);
            }
            if rank > 1 || s.idnat_struct.is_none() {
                e.add("situationRank", [rank.to_string()]);
            }
            if e.wants("postalAddress") {
                let address = postal_address(
                    s.recipient.as_deref(),
                    [
                        s.street_number.as_deref(),
                        s.street_number_suffix.as_deref(),
                        s.street_type.as_deref(),
                        s.street_name.as_deref(),
                    ],
                );
                e.add("postalAddress", [address]);
            }
            e.add_opt("ou", s.idnat_struct);
            e.add_opt("raisonSociale", s.name);
            e.add_opt("postalCode", s.postal_code);
            e.add_opt("l", s.town);
            e.add_opt("sectActRPPS", s.sector_code);
            e.add_opt("libelleSectActRPPS", s.sector_label);
            e.add_opt("finess", s.finess);
            e.add_opt("finessJuridique", s.legal_entity_finess);
            e.add_opt("siret", s.siret);
            e.add_opt("siren", s.siren);
            e.add_opt("rppsRang", s.rpps_rang);
            e.add_opt("telephoneNumber", s.phone);
            e.add_opt("mail", s.email);
            e.add_opt("codeProfession", s.profession_code);
            e.add_opt("title", s.profession_label);
            e.add_opt("codeModeExercice", s.mode_code);
            e.add_opt("codeFonction", s.role_code);
            e.add_opt("codeGenreActivite", s.activity_code);
            e.add_opt("identifiantTechniqueStructure", s.structure_tech_id);
            e.operational(CPS_SITUATION, false)
        })
        .collect()
}

/// The DN of a structure's entry, under the branch of its identifier.
pub fn structure_dn(idnat_struct: &str) -> String {
    format!("ou={},{}", escape_value(idnat_struct), Branch::of_structure(idnat_struct).dn())
}

/// A structure, with the DER of its live ORG and SERV certificates and the attributes `want`
/// names.
pub fn structure(s: &StructRow, certificates: Vec<Vec<u8>>, want: &Selection) -> Entry {
    let branch = Branch::of_structure(&s.idnat_struct);
    let norm = branch_norm(branch).child(format!("ou={}", fold(s.idnat_struct.trim())));
    let mut e =
        Builder::new(Entry::new(structure_dn(&s.idnat_struct), norm, Key::Structure(s.idnat_struct.clone())), want);
    e.add("objectClass", STRUCTURE_CLASSES.iter().copied());
    e.add("ou", [s.idnat_struct.clone()]);
    e.add("typeIdentifiantStructure", [s.idnat_struct[..1.min(s.idnat_struct.len())].to_owned()]);
    e.add("raisonSociale", [s.name.clone()]);
    e.add(
        "postalAddress",
        [postal_address(
            s.recipient.as_deref(),
            [
                s.street_number.as_deref(),
                s.street_number_suffix.as_deref(),
                s.street_type.as_deref(),
                s.street_name.as_deref(),
            ],
        )],
    );
    e.add_opt("postalCode", s.postal_code.clone());
    e.add_opt("l", s.town.clone());
    e.add_opt("finess", s.finess.clone());
    e.add_opt("finessJuridique", s.legal_entity_finess.clone());
    e.add_opt("siret", s.siret.clone());
    e.add_opt("siren", s.siren.clone());
    e.add_opt("rppsRang", s.rpps_rang.clone());
    e.add_opt("telephoneNumber", s.phone.clone());
    e.add_opt("mail", s.email.clone());
    e.add_binary("userCertificate", certificates);
    e.operational(CPS_STRUCTURE, false)
}

/// The top of the PKI subtree.
pub const ANS_DN: &str = "ou=ANS,c=fr";
/// The unit the CA entries are under.
pub const IGC_DN: &str = "ou=IGC-SANTE,ou=ANS,c=fr";

/// The PKI subtree (static keys 3…): `ou=ANS`, `ou=IGC-SANTE`, the root as an
/// organizational unit and the other CAs under it, in the order given (root first). Empty when
/// no CA exists yet.
pub fn pki(cas: &[CaEntry]) -> Vec<Entry> {
    let Some(root) = cas.iter().find(|c| c.is_root) else { return Vec::new() };
    let mut out = Vec::new();
    let all = Selection::everything();
    let mut ans = Builder::new(Entry::parsed(ANS_DN.into(), Key::Static(3)), all);
    ans.add("objectClass", ["top", "organizationalUnit"]);
    ans.add("ou", ["ANS"]);
    out.push(ans.operational("organizationalUnit", true));
    let mut igc = Builder::new(Entry::parsed(IGC_DN.into(), Key::Static(4)), all);
    igc.add("objectClass", ["top", "organizationalUnit"]);
    igc.add("ou", ["IGC-SANTE"]);
    out.push(igc.operational("organizationalUnit", true));
    let root_dn = format!("ou={},{IGC_DN}", escape_value(&root.name));
    let ca_attrs = |e: &mut Builder<'_>, c: &CaEntry| {
        e.add_binary("cACertificate", vec![c.certificate.clone()]);
        e.add_binary("certificateRevocationList", c.crl.iter().cloned().collect());
        e.add_binary("deltaRevocationList", c.delta_crl.iter().cloned().collect());
    };
    let mut r = Builder::new(Entry::parsed(root_dn.clone(), Key::Static(5)), all);
    r.add("objectClass", ["top", "organizationalUnit", "pkiCA", "deltaCRL"]);
    r.add("ou", [root.name.clone()]);
    ca_attrs(&mut r, root);
    let has_children = cas.iter().any(|c| !c.is_root);
    out.push(r.operational("organizationalUnit", has_children));
    for (i, c) in cas.iter().filter(|c| !c.is_root).enumerate() {
        let name = format!("cn={},{root_dn}", escape_value(&c.name));
        let mut e = Builder::new(Entry::parsed(name, Key::Static(6u8.saturating_add(i as u8))), all);
        e.add("objectClass", ["top", "applicationProcess", "pkiCA", "deltaCRL"]);
        e.add("cn", [c.name.clone()]);
        ca_attrs(&mut e, c);
        out.push(e.operational("applicationProcess", false));
    }
    out
}

/// A set of attributes: those a search returns ([`Selection::new`]), or those it builds
/// (plus the attributes its filter reads: [`Selection::with_filter`]).
#[derive(Debug, Clone)]
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

    /// No attribute: entries reduced to their names.
    pub fn nothing() -> &'static Selection {
        static NONE: Selection = Selection { all_user: false, all_operational: false, named: Vec::new() };
        &NONE
    }

    /// Every attribute, user and operational.
    pub fn everything() -> &'static Selection {
        static ALL: Selection = Selection { all_user: true, all_operational: true, named: Vec::new() };
        &ALL
    }

    /// This selection and the attributes `filter` reads: what a search must build so that
    /// the filter sees every value it tests. The filter's depth is bounded (checked before).
    pub fn with_filter(mut self, filter: &LdapFilter) -> Selection {
        let mut stack = vec![filter];
        while let Some(f) = stack.pop() {
            let name = match f {
                LdapFilter::And(v) | LdapFilter::Or(v) => {
                    stack.extend(v.iter());
                    continue;
                }
                LdapFilter::Not(c) => {
                    stack.push(c);
                    continue;
                }
                LdapFilter::Equality(a, _)
                | LdapFilter::Substring(a, _)
                | LdapFilter::GreaterOrEqual(a, _)
                | LdapFilter::LessOrEqual(a, _)
                | LdapFilter::Present(a)
                | LdapFilter::Approx(a, _) => a.as_str(),
                LdapFilter::Extensible(m) => match &m.type_ {
                    Some(a) => a.as_str(),
                    None => continue,
                },
            };
            if let Some(def) = schema::attr(name) {
                if !self.includes(def) {
                    self.named.push(def);
                }
            }
        }
        self
    }

    /// Whether the selection includes attribute `def`.
    pub fn includes(&self, def: &'static schema::AttrDef) -> bool {
        match def.usage {
            Usage::User if self.all_user => true,
            Usage::Operational if self.all_operational => true,
            _ => self.named.iter().any(|d| std::ptr::eq(*d, def)),
        }
    }
}

/// The columns of a situation row each situation attribute is built from (the key columns —
/// situation key, idNat_PS, idNat_Struct — are always read: names and order depend on them).
/// The store reads only the columns of the attributes a search builds.
const SITUATION_ATTRIBUTE_COLUMNS: &[(&str, &[SitColumn])] = &[
    ("raisonSociale", &[SitColumn::Name]),
    (
        "postalAddress",
        &[
            SitColumn::Recipient,
            SitColumn::StreetNumber,
            SitColumn::StreetNumberSuffix,
            SitColumn::StreetType,
            SitColumn::StreetName,
        ],
    ),
    ("postalCode", &[SitColumn::PostalCode]),
    ("l", &[SitColumn::Town]),
    ("sectActRPPS", &[SitColumn::SectorCode]),
    ("libelleSectActRPPS", &[SitColumn::SectorLabel]),
    ("finess", &[SitColumn::Finess]),
    ("finessJuridique", &[SitColumn::LegalEntityFiness]),
    ("siret", &[SitColumn::Siret]),
    ("siren", &[SitColumn::Siren]),
    ("rppsRang", &[SitColumn::RppsRang]),
    ("telephoneNumber", &[SitColumn::Phone]),
    ("mail", &[SitColumn::Email]),
    ("codeProfession", &[SitColumn::ProfessionCode]),
    ("title", &[SitColumn::ProfessionLabel]),
    ("codeModeExercice", &[SitColumn::ModeCode]),
    ("codeFonction", &[SitColumn::RoleCode]),
    ("codeGenreActivite", &[SitColumn::ActivityCode]),
    ("identifiantTechniqueStructure", &[SitColumn::StructureTechId]),
];

/// The columns [`situations`] needs to build the attributes `want` names.
pub fn situation_columns(want: &Selection) -> SitColumns {
    let mut cols = SitColumns::KEYS;
    for (name, columns) in SITUATION_ATTRIBUTE_COLUMNS {
        if schema::attr(name).is_some_and(|def| want.includes(def)) {
            for c in *columns {
                cols = cols.with(*c);
            }
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_row(key: &str, idnat_struct: Option<&str>) -> SitRow {
        let v = |name: &str| Some(format!("{name} of {key}"));
        SitRow {
            situation_key: key.into(),
            idnat_ps: "810000000001".into(),
            idnat_struct: idnat_struct.map(Into::into),
            structure_tech_id: v("tech"),
            profession_code: v("profession"),
            profession_label: v("profession label"),
            mode_code: v("mode"),
            sector_code: v("sector"),
            sector_label: v("sector label"),
            role_code: v("role"),
            activity_code: v("activity"),
            name: v("name"),
            siret: v("siret"),
            siren: v("siren"),
            finess: v("finess"),
            legal_entity_finess: v("legal entity"),
            rpps_rang: v("rang"),
            recipient: v("recipient"),
            street_number: v("number"),
            street_number_suffix: v("suffix"),
            street_type: v("type"),
            street_name: v("street"),
            postal_code: v("postal code"),
            town: v("town"),
            phone: v("phone"),
            email: v("email"),
        }
    }

    /// Each entry's name and its attributes' names and values.
    type Shown = Vec<(String, Vec<(&'static str, Vec<String>)>)>;

    fn shown(entries: &[Entry]) -> Shown {
        entries
            .iter()
            .map(|e| {
                (
                    e.dn.clone(),
                    e.attrs.iter().map(|a| (a.def.name, a.values.iter().map(|v| v.to_string()).collect())).collect(),
                )
            })
            .collect()
    }

    /// Every attribute a situation shows, built from the columns `situation_columns` asks for,
    /// is the same as built from the whole row: the projection forgets no column.
    #[test]
    fn situation_columns_cover_every_attribute() {
        let rows = || vec![full_row("A", Some("10B0001")), full_row("B", Some("10B0001")), full_row("C", None)];
        let everything = situations("810000000001", rows(), Selection::everything());
        let names: Vec<&str> = everything[0].attrs.iter().chain(&everything[2].attrs).map(|a| a.def.name).collect();
        assert!(names.len() > 25, "the full situation entries show every attribute: {names:?}");
        for name in names {
            let want = Selection::new(&[name.to_owned()]);
            let cols = situation_columns(&want);
            let from_full = situations("810000000001", rows(), &want);
            let projected: Vec<SitRow> = rows().iter().map(|r| r.project(cols)).collect();
            let from_projection = situations("810000000001", projected, &want);
            assert_eq!(shown(&from_projection), shown(&from_full), "{name}");
            assert!(
                from_full.iter().any(|e| e.attrs.iter().any(|a| a.def.name == name)),
                "{name} is built when wanted"
            );
            assert!(from_full.iter().all(|e| e.attrs.iter().all(|a| a.def.name == name)), "only {name} is built");
        }
        // The R44 search reads a third of the columns.
        let r44 =
            Selection::new(&["ou", "raisonSociale", "postalAddress", "sectActRPPS", "objectClass"].map(String::from))
                .with_filter(&ldap3_proto::parse_ldap_filter_str("(cn=810000000001)").unwrap());
        let cols = situation_columns(&r44);
        assert!(cols.has(SitColumn::Name) && cols.has(SitColumn::StreetName) && cols.has(SitColumn::SectorCode));
        assert!(!cols.has(SitColumn::Siret) && !cols.has(SitColumn::Email) && !cols.has(SitColumn::ProfessionLabel));
    }

    #[test]
    fn a_filter_adds_the_attributes_it_reads() {
        let f = ldap3_proto::parse_ldap_filter_str("(&(cn=1)(|(siret=2*)(!(mail=*)))(surname>=a)(nosuch=1))").unwrap();
        let want = Selection::new(&["ou".to_owned()]).with_filter(&f);
        for name in ["ou", "cn", "siret", "mail", "sn"] {
            assert!(want.includes(schema::attr(name).unwrap()), "{name}");
        }
        assert!(!want.includes(schema::attr("l").unwrap()));
        assert!(!want.includes(schema::attr("entryDN").unwrap()));
    }
}
