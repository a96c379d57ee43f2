//! The directory schema: the attributes and object classes the server knows, their OIDs, and
//! the `cn=subschema` entry (RFC 4512 syntax) that lets generic LDAP browsers display them.
//!
//! Standard attributes keep their standard OIDs. The CPS-specific ones (`raisonSociale`,
//! `sectActRPPS`…) and the two structural classes live under `1.3.6.1.4.1.32473`, the IANA
//! enterprise number reserved for documentation (RFC 5612): santepki has no arc of its own yet.

/// How a client may use an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// Returned for `*` (or no attribute list).
    User,
    /// Returned for `+` or when named.
    Operational,
}

/// One attribute type.
#[derive(Debug)]
pub struct AttrDef {
    /// The canonical name, as entries show it.
    pub name: &'static str,
    /// Other names clients may use (`commonName`, `surname`…).
    pub aliases: &'static [&'static str],
    /// The attribute type's OID.
    pub oid: &'static str,
    /// Its description (`DESC`).
    pub desc: &'static str,
    /// The OID of its syntax.
    pub syntax: &'static str,
    /// Its equality matching rule.
    pub equality: &'static str,
    /// Its substring matching rule, if substring filters apply.
    pub substr: Option<&'static str>,
    /// Whether it is `SINGLE-VALUE`.
    pub single: bool,
    /// User or operational.
    pub usage: Usage,
}

const DSTRING: &str = "1.3.6.1.4.1.1466.115.121.1.15";
const IA5: &str = "1.3.6.1.4.1.1466.115.121.1.26";
const OID_SYNTAX: &str = "1.3.6.1.4.1.1466.115.121.1.38";
const POSTAL: &str = "1.3.6.1.4.1.1466.115.121.1.41";
const PHONE: &str = "1.3.6.1.4.1.1466.115.121.1.50";
const COUNTRY: &str = "1.3.6.1.4.1.1466.115.121.1.11";
const BOOLEAN: &str = "1.3.6.1.4.1.1466.115.121.1.7";
const INTEGER: &str = "1.3.6.1.4.1.1466.115.121.1.27";
const DN_SYNTAX: &str = "1.3.6.1.4.1.1466.115.121.1.12";
const ATTR_TYPE_DESC: &str = "1.3.6.1.4.1.1466.115.121.1.3";
const OC_DESC: &str = "1.3.6.1.4.1.1466.115.121.1.37";
const SYNTAX_DESC: &str = "1.3.6.1.4.1.1466.115.121.1.54";
const MR_DESC: &str = "1.3.6.1.4.1.1466.115.121.1.30";
const CERTIFICATE: &str = "1.3.6.1.4.1.1466.115.121.1.8";
const CERTIFICATE_LIST: &str = "1.3.6.1.4.1.1466.115.121.1.9";

const CASE_IGNORE: &str = "caseIgnoreMatch";
const CASE_IGNORE_SUB: Option<&str> = Some("caseIgnoreSubstringsMatch");

const fn user(name: &'static str, oid: &'static str, desc: &'static str) -> AttrDef {
    AttrDef {
        name,
        aliases: &[],
        oid,
        desc,
        syntax: DSTRING,
        equality: CASE_IGNORE,
        substr: CASE_IGNORE_SUB,
        single: false,
        usage: Usage::User,
    }
}

const fn single(mut a: AttrDef) -> AttrDef {
    a.single = true;
    a
}

const fn aliased(mut a: AttrDef, aliases: &'static [&'static str]) -> AttrDef {
    a.aliases = aliases;
    a
}

const fn syntax(mut a: AttrDef, syntax: &'static str, equality: &'static str, substr: Option<&'static str>) -> AttrDef {
    a.syntax = syntax;
    a.equality = equality;
    a.substr = substr;
    a
}

const fn operational(mut a: AttrDef) -> AttrDef {
    a.usage = Usage::Operational;
    a
}

/// The arc of santepki's own attribute types (documentation PEN, see the module comment).
macro_rules! cps_attr {
    ($n:literal) => {
        concat!("1.3.6.1.4.1.32473.1.1.", $n)
    };
}

/// Every attribute type the server knows: the standard ones its entries use and the CPS ones.
pub static ATTRIBUTES: &[AttrDef] = &[
    // Standard attributes (RFC 4512, 4519, 4524, 2798, 3045, 4530).
    syntax(
        aliased(user("objectClass", "2.5.4.0", "object classes of the entity"), &[]),
        OID_SYNTAX,
        "objectIdentifierMatch",
        None,
    ),
    aliased(
        user("cn", "2.5.4.3", "common name: on an exercise situation, the professional's idNat_PS"),
        &["commonName"],
    ),
    aliased(user("sn", "2.5.4.4", "last name"), &["surname"]),
    aliased(user("givenName", "2.5.4.42", "first name"), &["gn"]),
    single(aliased(
        syntax(
            user("uid", "0.9.2342.19200300.100.1.1", "the professional's idNat_PS"),
            DSTRING,
            CASE_IGNORE,
            CASE_IGNORE_SUB,
        ),
        &["userid"],
    )),
    aliased(
        user("ou", "2.5.4.11", "on an exercise situation, the structure's idNat_Struct"),
        &["organizationalUnitName"],
    ),
    aliased(user("o", "2.5.4.10", "organization name"), &["organizationName"]),
    single(aliased(
        syntax(user("c", "2.5.4.6", "country code"), COUNTRY, CASE_IGNORE, CASE_IGNORE_SUB),
        &["countryName"],
    )),
    user("title", "2.5.4.12", "profession label"),
    single(user("personalTitle", "0.9.2342.19200300.100.1.40", "civility")),
    syntax(
        user("postalAddress", "2.5.4.16", "recipient and street lines of the site"),
        POSTAL,
        "caseIgnoreListMatch",
        Some("caseIgnoreListSubstringsMatch"),
    ),
    user("postalCode", "2.5.4.17", "postal code"),
    aliased(user("l", "2.5.4.7", "town"), &["localityName"]),
    syntax(
        user("telephoneNumber", "2.5.4.20", "telephone number of the site"),
        PHONE,
        "telephoneNumberMatch",
        Some("telephoneNumberSubstringsMatch"),
    ),
    aliased(
        syntax(
            user("mail", "0.9.2342.19200300.100.1.3", "e-mail address of the site"),
            IA5,
            "caseIgnoreIA5Match",
            Some("caseIgnoreIA5SubstringsMatch"),
        ),
        &["rfc822Mailbox"],
    ),
    // santepki / CPS directory attributes.
    single(user("raisonSociale", cps_attr!(1), "raison sociale of the structure of an exercise situation")),
    single(user("sectActRPPS", cps_attr!(2), "activity sector code (R46: SA01, SA04, SA07, SA08, SA09, SA30...)")),
    single(user("libelleSectActRPPS", cps_attr!(3), "activity sector label")),
    single(user("finess", cps_attr!(4), "FINESS of the establishment")),
    single(user("finessJuridique", cps_attr!(5), "FINESS of the legal entity")),
    single(user("siret", cps_attr!(6), "SIRET of the structure")),
    single(user("siren", cps_attr!(7), "SIREN of the structure")),
    single(user("rppsRang", cps_attr!(8), "RPPS rang of the practice")),
    single(user("codeProfession", cps_attr!(9), "RPPS profession code (10 physician, 21 pharmacist...)")),
    single(user("codeModeExercice", cps_attr!(10), "exercise mode code (L liberal, S salaried, B volunteer)")),
    single(user("codeFonction", cps_attr!(11), "function code")),
    single(user("codeGenreActivite", cps_attr!(12), "activity kind code")),
    single(user(
        "identifiantPP",
        cps_attr!(13),
        "national identifier of the professional without its type digit (RPPS, ADELI)",
    )),
    single(user("typeIdentifiantPP", cps_attr!(14), "type digit of idNat_PS (R43: 0 ADELI, 8 RPPS)")),
    single(syntax(
        user("situationRank", cps_attr!(15), "rank of a further situation at the same structure"),
        INTEGER,
        "integerMatch",
        None,
    )),
    single(user("identifiantTechniqueStructure", cps_attr!(16), "technical identifier of the structure")),
    single(user(
        "codeCategorieProfessionnelle",
        cps_attr!(17),
        "professional category code (C civil, M military, E student)",
    )),
    single(user(
        "typeIdentifiantStructure",
        cps_attr!(18),
        "type digit of idNat_Struct (R43: 1 FINESS, 3 SIRET, 4 RPPS rang...)",
    )),
    // PKI attributes (RFC 4523): values are DER, transferred with the ;binary option.
    syntax(
        user("userCertificate", "2.5.4.36", "certificates issued to the entity (DER)"),
        CERTIFICATE,
        "certificateExactMatch",
        None,
    ),
    syntax(user("cACertificate", "2.5.4.37", "the CA's certificate (DER)"), CERTIFICATE, "certificateExactMatch", None),
    syntax(
        user("certificateRevocationList", "2.5.4.39", "the CA's current full CRL (DER)"),
        CERTIFICATE_LIST,
        "certificateListExactMatch",
        None,
    ),
    syntax(
        user("deltaRevocationList", "2.5.4.53", "the CA's current delta CRL (DER)"),
        CERTIFICATE_LIST,
        "certificateListExactMatch",
        None,
    ),
    // Operational attributes.
    operational(single(syntax(
        user("structuralObjectClass", "2.5.21.9", "structural object class of entry"),
        OID_SYNTAX,
        "objectIdentifierMatch",
        None,
    ))),
    operational(single(syntax(
        user("entryDN", "1.3.6.1.1.20", "DN of the entry"),
        DN_SYNTAX,
        "distinguishedNameMatch",
        None,
    ))),
    operational(single(syntax(
        user("subschemaSubentry", "2.5.18.10", "name of controlling subschema entry"),
        DN_SYNTAX,
        "distinguishedNameMatch",
        None,
    ))),
    operational(single(syntax(
        user("hasSubordinates", "2.5.18.9", "whether the entry has children"),
        BOOLEAN,
        "booleanMatch",
        None,
    ))),
    operational(syntax(
        user("namingContexts", "1.3.6.1.4.1.1466.101.120.5", "naming contexts"),
        DN_SYNTAX,
        "distinguishedNameMatch",
        None,
    )),
    operational(syntax(
        user("supportedControl", "1.3.6.1.4.1.1466.101.120.13", "supported controls"),
        OID_SYNTAX,
        "objectIdentifierMatch",
        None,
    )),
    operational(syntax(
        user("supportedExtension", "1.3.6.1.4.1.1466.101.120.7", "supported extended operations"),
        OID_SYNTAX,
        "objectIdentifierMatch",
        None,
    )),
    operational(syntax(
        user("supportedFeatures", "1.3.6.1.4.1.4203.1.3.5", "features supported by the server"),
        OID_SYNTAX,
        "objectIdentifierMatch",
        None,
    )),
    operational(syntax(
        user("supportedLDAPVersion", "1.3.6.1.4.1.1466.101.120.15", "supported LDAP versions"),
        INTEGER,
        "integerMatch",
        None,
    )),
    operational(syntax(
        user("supportedSASLMechanisms", "1.3.6.1.4.1.1466.101.120.14", "supported SASL mechanisms"),
        DSTRING,
        CASE_IGNORE,
        None,
    )),
    operational(single(user("vendorName", "1.3.6.1.1.4", "name of the server's vendor"))),
    operational(single(user("vendorVersion", "1.3.6.1.1.5", "version of the server"))),
    operational(syntax(
        user("attributeTypes", "2.5.21.5", "attribute types"),
        ATTR_TYPE_DESC,
        "objectIdentifierFirstComponentMatch",
        None,
    )),
    operational(syntax(
        user("objectClasses", "2.5.21.6", "object classes"),
        OC_DESC,
        "objectIdentifierFirstComponentMatch",
        None,
    )),
    operational(syntax(
        user("ldapSyntaxes", "1.3.6.1.4.1.1466.101.120.16", "LDAP syntaxes"),
        SYNTAX_DESC,
        "objectIdentifierFirstComponentMatch",
        None,
    )),
    operational(syntax(
        user("matchingRules", "2.5.21.4", "matching rules"),
        MR_DESC,
        "objectIdentifierFirstComponentMatch",
        None,
    )),
];

/// Finds an attribute type by name, alias or OID, case-insensitively; attribute options
/// (`;binary`, `;lang-fr`) are ignored.
pub fn attr(name: &str) -> Option<&'static AttrDef> {
    // Entries are built with the canonical names, several dozen look-ups per search: those
    // take a hash look-up; anything else (client input) the case-insensitive scan.
    static BY_NAME: std::sync::LazyLock<rustc_hash::FxHashMap<&'static str, &'static AttrDef>> =
        std::sync::LazyLock::new(|| ATTRIBUTES.iter().map(|a| (a.name, a)).collect());
    if let Some(def) = BY_NAME.get(name) {
        return Some(def);
    }
    let base = name.split(';').next().unwrap_or(name).trim();
    ATTRIBUTES.iter().find(|a| {
        a.name.eq_ignore_ascii_case(base) || a.oid == base || a.aliases.iter().any(|x| x.eq_ignore_ascii_case(base))
    })
}

/// An object class.
pub struct ClassDef {
    /// The class's name.
    pub name: &'static str,
    /// Its OID.
    pub oid: &'static str,
    /// Its description (`DESC`).
    pub desc: &'static str,
    /// Its superclass, if any.
    pub sup: Option<&'static str>,
    /// `STRUCTURAL`, `AUXILIARY` or `ABSTRACT`.
    pub kind: &'static str,
    /// The attributes it requires.
    pub must: &'static [&'static str],
    /// The attributes it allows.
    pub may: &'static [&'static str],
}

/// The class of professional entries (`uid=<idNat_PS>`).
pub const CPS_PROFESSIONNEL: &str = "cpsProfessionnel";
/// The class of situation entries (below a professional).
pub const CPS_SITUATION: &str = "cpsSituation";
/// The class of structure entries (`ou=<idNat_Struct>` under a branch).
pub const CPS_STRUCTURE: &str = "cpsStructure";

/// Every object class the server knows.
pub static CLASSES: &[ClassDef] = &[
    ClassDef {
        name: "top",
        oid: "2.5.6.0",
        desc: "top of the superclass chain",
        sup: None,
        kind: "ABSTRACT",
        must: &["objectClass"],
        may: &[],
    },
    ClassDef {
        name: "country",
        oid: "2.5.6.2",
        desc: "RFC 4519: a country",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["c"],
        may: &[],
    },
    ClassDef {
        name: "organization",
        oid: "2.5.6.4",
        desc: "RFC 4519: an organization",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["o"],
        may: &["postalAddress", "postalCode", "l", "telephoneNumber"],
    },
    ClassDef {
        name: CPS_PROFESSIONNEL,
        oid: "1.3.6.1.4.1.32473.1.2.1",
        desc: "a health professional of the CPS directory, named by idNat_PS",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["uid", "sn"],
        may: &[
            "givenName",
            "title",
            "personalTitle",
            "identifiantPP",
            "typeIdentifiantPP",
            "codeProfession",
            "codeCategorieProfessionnelle",
        ],
    },
    ClassDef {
        name: CPS_SITUATION,
        oid: "1.3.6.1.4.1.32473.1.2.2",
        desc: "an exercise situation of a professional at a structure (R44)",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["cn"],
        may: &[
            "ou",
            "raisonSociale",
            "postalAddress",
            "postalCode",
            "l",
            "sectActRPPS",
            "libelleSectActRPPS",
            "finess",
            "finessJuridique",
            "siret",
            "siren",
            "rppsRang",
            "telephoneNumber",
            "mail",
            "codeProfession",
            "title",
            "codeModeExercice",
            "codeFonction",
            "codeGenreActivite",
            "situationRank",
            "identifiantTechniqueStructure",
        ],
    },
    ClassDef {
        name: CPS_STRUCTURE,
        oid: "1.3.6.1.4.1.32473.1.2.3",
        desc: "a structure of the directory (establishment, practice, company), named by idNat_Struct",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["ou"],
        may: &[
            "typeIdentifiantStructure",
            "raisonSociale",
            "postalAddress",
            "postalCode",
            "l",
            "finess",
            "finessJuridique",
            "siret",
            "siren",
            "rppsRang",
            "telephoneNumber",
            "mail",
        ],
    },
    ClassDef {
        name: "organizationalUnit",
        oid: "2.5.6.5",
        desc: "RFC 4519: an organizational unit",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["ou"],
        may: &["postalAddress", "postalCode", "l", "telephoneNumber"],
    },
    ClassDef {
        name: "applicationProcess",
        oid: "2.5.6.11",
        desc: "RFC 4519: an application process (here, a certification authority)",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["cn"],
        may: &["ou", "l"],
    },
    ClassDef {
        name: "pkiUser",
        oid: "2.5.6.21",
        desc: "RFC 4523: an entity that may hold certificates",
        sup: Some("top"),
        kind: "AUXILIARY",
        must: &[],
        may: &["userCertificate"],
    },
    ClassDef {
        name: "pkiCA",
        oid: "2.5.6.22",
        desc: "RFC 4523: a certification authority",
        sup: Some("top"),
        kind: "AUXILIARY",
        must: &[],
        may: &["cACertificate", "certificateRevocationList"],
    },
    ClassDef {
        name: "deltaCRL",
        oid: "2.5.6.23",
        desc: "RFC 4523: an entity that publishes delta CRLs",
        sup: Some("top"),
        kind: "AUXILIARY",
        must: &[],
        may: &["deltaRevocationList"],
    },
    ClassDef {
        name: "subentry",
        oid: "2.5.17.0",
        desc: "RFC 3672: subentry",
        sup: Some("top"),
        kind: "STRUCTURAL",
        must: &["cn"],
        may: &[],
    },
    ClassDef {
        name: "subschema",
        oid: "2.5.20.1",
        desc: "RFC 4512: controlling subschema (sub)entry",
        sup: None,
        kind: "AUXILIARY",
        must: &[],
        may: &["attributeTypes", "objectClasses", "ldapSyntaxes", "matchingRules"],
    },
    ClassDef {
        name: "extensibleObject",
        oid: "1.3.6.1.4.1.1466.101.120.111",
        desc: "RFC 4512: extensible object",
        sup: Some("top"),
        kind: "AUXILIARY",
        must: &[],
        may: &[],
    },
];

fn quote_list(names: &[&str]) -> String {
    match names {
        [one] => one.to_string(),
        many => format!("( {} )", many.join(" $ ")),
    }
}

/// `attributeTypes` values in RFC 4512 syntax.
pub fn attribute_type_descriptions() -> Vec<String> {
    ATTRIBUTES
        .iter()
        .map(|a| {
            let mut names = vec![a.name];
            names.extend(a.aliases);
            let names = if names.len() == 1 {
                format!("'{}'", names[0])
            } else {
                format!("( {} )", names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(" "))
            };
            let mut s = format!("( {} NAME {names} DESC '{}' EQUALITY {}", a.oid, a.desc, a.equality);
            if let Some(sub) = a.substr {
                s.push_str(&format!(" SUBSTR {sub}"));
            }
            s.push_str(&format!(" SYNTAX {}", a.syntax));
            if a.single {
                s.push_str(" SINGLE-VALUE");
            }
            if a.usage == Usage::Operational {
                s.push_str(" NO-USER-MODIFICATION USAGE directoryOperation");
            }
            s.push_str(" )");
            s
        })
        .collect()
}

/// `objectClasses` values in RFC 4512 syntax.
pub fn object_class_descriptions() -> Vec<String> {
    CLASSES
        .iter()
        .map(|c| {
            let mut s = format!("( {} NAME '{}' DESC '{}'", c.oid, c.name, c.desc);
            if let Some(sup) = c.sup {
                s.push_str(&format!(" SUP {sup}"));
            }
            s.push(' ');
            s.push_str(c.kind);
            if !c.must.is_empty() {
                s.push_str(&format!(" MUST {}", quote_list(c.must)));
            }
            if !c.may.is_empty() {
                s.push_str(&format!(" MAY {}", quote_list(c.may)));
            }
            s.push_str(" )");
            s
        })
        .collect()
}

/// `ldapSyntaxes` values for the syntaxes the attribute types use.
pub fn syntax_descriptions() -> Vec<String> {
    [
        (BOOLEAN, "Boolean"),
        (COUNTRY, "Country String"),
        (DN_SYNTAX, "DN"),
        (DSTRING, "Directory String"),
        (IA5, "IA5 String"),
        (INTEGER, "INTEGER"),
        (OID_SYNTAX, "OID"),
        (POSTAL, "Postal Address"),
        (PHONE, "Telephone Number"),
        (ATTR_TYPE_DESC, "Attribute Type Description"),
        (OC_DESC, "Object Class Description"),
        (SYNTAX_DESC, "LDAP Syntax Description"),
        (MR_DESC, "Matching Rule Description"),
        (CERTIFICATE, "Certificate"),
        (CERTIFICATE_LIST, "Certificate List"),
        ("1.3.6.1.1.15.1", "X.509 Certificate Exact Assertion"),
        ("1.3.6.1.1.15.5", "X.509 Certificate List Exact Assertion"),
    ]
    .iter()
    .map(|(oid, desc)| format!("( {oid} DESC '{desc}' )"))
    .collect()
}

/// `matchingRules` values for the matching rules the attribute types name.
pub fn matching_rule_descriptions() -> Vec<String> {
    [
        ("2.5.13.0", "objectIdentifierMatch", OID_SYNTAX),
        ("2.5.13.1", "distinguishedNameMatch", DN_SYNTAX),
        ("2.5.13.2", "caseIgnoreMatch", DSTRING),
        ("2.5.13.4", "caseIgnoreSubstringsMatch", "1.3.6.1.4.1.1466.115.121.1.58"),
        ("2.5.13.11", "caseIgnoreListMatch", POSTAL),
        ("2.5.13.12", "caseIgnoreListSubstringsMatch", "1.3.6.1.4.1.1466.115.121.1.58"),
        ("2.5.13.13", "booleanMatch", BOOLEAN),
        ("2.5.13.14", "integerMatch", INTEGER),
        ("2.5.13.20", "telephoneNumberMatch", PHONE),
        ("2.5.13.21", "telephoneNumberSubstringsMatch", "1.3.6.1.4.1.1466.115.121.1.58"),
        ("2.5.13.30", "objectIdentifierFirstComponentMatch", OID_SYNTAX),
        ("2.5.13.34", "certificateExactMatch", "1.3.6.1.1.15.1"),
        ("2.5.13.38", "certificateListExactMatch", "1.3.6.1.1.15.5"),
        ("1.3.6.1.4.1.1466.109.114.2", "caseIgnoreIA5Match", IA5),
        ("1.3.6.1.4.1.1466.109.114.3", "caseIgnoreIA5SubstringsMatch", "1.3.6.1.4.1.1466.115.121.1.58"),
    ]
    .iter()
    .map(|(oid, name, syntax)| format!("( {oid} NAME '{name}' SYNTAX {syntax} )"))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_are_case_insensitive_and_know_aliases_and_oids() {
        assert_eq!(attr("RAISONSOCIALE").map(|a| a.name), Some("raisonSociale"));
        assert_eq!(attr("commonName").map(|a| a.name), Some("cn"));
        assert_eq!(attr("2.5.4.3").map(|a| a.name), Some("cn"));
        assert_eq!(attr("cn;lang-fr").map(|a| a.name), Some("cn"));
        assert!(attr("nosuchattribute").is_none());
    }

    #[test]
    fn every_attribute_a_class_names_exists() {
        for c in CLASSES {
            for a in c.must.iter().chain(c.may) {
                assert!(attr(a).is_some(), "{} names unknown {a}", c.name);
            }
        }
        let oids: std::collections::HashSet<_> = ATTRIBUTES.iter().map(|a| a.oid).collect();
        assert_eq!(oids.len(), ATTRIBUTES.len(), "duplicate OID");
    }
}
