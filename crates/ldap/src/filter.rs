//! Search filters: evaluation against an entry with LDAP's three-valued logic (RFC 4511
//! §4.5.1.7), and the candidate plan a filter allows (indexed equality terms).
//!
//! Matching is `caseIgnoreMatch`-like for every attribute: values are case-folded and their
//! spaces collapsed. A filter on an attribute the schema does not know is Undefined (the entry
//! does not match, and `!` of it does not match either), never an error.

use std::collections::BTreeSet;

use ldap3_proto::proto::{LdapFilter, LdapSubstringFilter};

use crate::dn::fold;
use crate::entry::{Entry, STRUCTURE_CLASSES};
use crate::schema;

/// Filters nested deeper than this are refused (protocolError).
pub const MAX_DEPTH: usize = 64;

/// Number of nesting levels of a filter, computed without recursion.
pub fn depth(f: &LdapFilter) -> usize {
    let mut max = 0;
    let mut stack = vec![(f, 1usize)];
    while let Some((f, d)) = stack.pop() {
        max = max.max(d);
        match f {
            LdapFilter::And(v) | LdapFilter::Or(v) => stack.extend(v.iter().map(|c| (c, d + 1))),
            LdapFilter::Not(c) => stack.push((c, d + 1)),
            _ => {}
        }
    }
    max
}

/// The value of a filter on an entry (RFC 4511 §4.5.1.7): an entry is returned only on `True`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    /// The filter matches.
    True,
    /// It does not.
    False,
    /// It cannot be decided (an unknown attribute or matching rule).
    Undefined,
}

impl Tri {
    fn from(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

/// Evaluates `f` on `e`. Callers check [`depth`] first (recursion is bounded by it).
pub fn eval(f: &LdapFilter, e: &Entry) -> Tri {
    match f {
        LdapFilter::And(v) => {
            let mut out = Tri::True;
            for c in v {
                match eval(c, e) {
                    Tri::False => return Tri::False,
                    Tri::Undefined => out = Tri::Undefined,
                    Tri::True => {}
                }
            }
            out
        }
        LdapFilter::Or(v) => {
            let mut out = Tri::False;
            for c in v {
                match eval(c, e) {
                    Tri::True => return Tri::True,
                    Tri::Undefined => out = Tri::Undefined,
                    Tri::False => {}
                }
            }
            out
        }
        LdapFilter::Not(c) => match eval(c, e) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Undefined => Tri::Undefined,
        },
        LdapFilter::Present(a) => match schema::attr(a) {
            Some(def) => Tri::from(e.get(def).is_some()),
            None => Tri::False,
        },
        LdapFilter::Equality(a, v) | LdapFilter::Approx(a, v) => {
            let v = fold(v);
            compare(e, a, |x| x == v)
        }
        LdapFilter::GreaterOrEqual(a, v) => {
            let v = fold(v);
            compare(e, a, |x| ordering_key(x) >= ordering_key(&v))
        }
        LdapFilter::LessOrEqual(a, v) => {
            let v = fold(v);
            compare(e, a, |x| ordering_key(x) <= ordering_key(&v))
        }
        LdapFilter::Substring(a, s) => compare(e, a, |x| substring_match(x, s)),
        LdapFilter::Extensible(m) => {
            // Only the default (equality) rule on a named attribute; dnAttributes is ignored.
            let known_rule = match m.matching_rule.as_deref() {
                None => true,
                Some(r) => matches!(r, "caseIgnoreMatch" | "2.5.13.2" | "caseExactMatch" | "2.5.13.5"),
            };
            match (&m.type_, known_rule) {
                (Some(a), true) => {
                    let v = fold(&m.match_value);
                    compare(e, a, |x| x == v)
                }
                _ => Tri::Undefined,
            }
        }
    }
}

/// Numbers compare as numbers, everything else as folded strings.
fn ordering_key(v: &str) -> (u8, String) {
    if !v.is_empty() && v.len() <= 30 && v.bytes().all(|b| b.is_ascii_digit()) {
        (0, format!("{v:0>30}"))
    } else {
        (1, v.to_owned())
    }
}

/// Whether a value of `attr`, folded, satisfies `pred`.
fn compare(e: &Entry, attr: &str, pred: impl Fn(&str) -> bool) -> Tri {
    let Some(def) = schema::attr(attr) else { return Tri::Undefined };
    match e.get(def) {
        Some(values) => Tri::from(values.iter().any(|v| pred(&fold(v)))),
        None => Tri::False,
    }
}

/// `initial*any*…*final` on a folded value, the pieces matched left to right without overlap.
pub fn substring_match(value: &str, s: &LdapSubstringFilter) -> bool {
    let mut rest = value;
    if let Some(i) = &s.initial {
        let i = fold(i);
        match rest.strip_prefix(&*i) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    if let Some(f) = &s.final_ {
        let f = fold(f);
        match rest.strip_suffix(&*f) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    for a in &s.any {
        let a = fold(a);
        match rest.find(&*a) {
            Some(p) => rest = &rest[p + a.len()..],
            None => return false,
        }
    }
    true
}

/// Which professionals a filter can match, when it says so through indexed attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidates {
    /// Only entries of these professionals (idNat_PS) can match: `(uid=…)` or `(cn=…)`.
    Ids(BTreeSet<String>),
    /// Only situations at this structure (and so their professionals): `(ou=…)`.
    AtStructure(String),
}

/// The candidates of a filter, or `None` if it needs a scan. Only positive equality terms on
/// `uid`, `cn` (idNat_PS) and `ou` (idNat_Struct) narrow: the professional entry has `uid`, a
/// situation has `cn` and `ou`, and no other dynamic entry has these attributes.
pub fn candidates(f: &LdapFilter) -> Option<Candidates> {
    match f {
        LdapFilter::Equality(a, v) => {
            let def = schema::attr(a)?;
            let v = v.trim();
            match def.name {
                "uid" | "cn" => Some(Candidates::Ids([v.to_uppercase()].into())),
                "ou" => Some(Candidates::AtStructure(v.to_uppercase())),
                _ => None,
            }
        }
        LdapFilter::And(v) => {
            let mut best: Option<Candidates> = None;
            for c in v.iter().filter_map(candidates) {
                best = Some(match (best, c) {
                    (None, c) => c,
                    (Some(Candidates::Ids(a)), Candidates::Ids(b)) => {
                        Candidates::Ids(a.intersection(&b).cloned().collect())
                    }
                    (Some(Candidates::Ids(a)), Candidates::AtStructure(_)) => Candidates::Ids(a),
                    (Some(Candidates::AtStructure(_)), Candidates::Ids(b)) => Candidates::Ids(b),
                    (Some(s @ Candidates::AtStructure(_)), Candidates::AtStructure(_)) => s,
                });
            }
            best
        }
        LdapFilter::Or(v) if !v.is_empty() => {
            let mut ids = BTreeSet::new();
            for c in v {
                match candidates(c)? {
                    Candidates::Ids(s) => ids.extend(s),
                    Candidates::AtStructure(_) => return None,
                }
            }
            Some(Candidates::Ids(ids))
        }
        _ => None,
    }
}

/// Which structures a filter can match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StructurePlan {
    /// None: the filter requires an attribute or class structures do not have (`cn`, `uid`,
    /// `objectClass=cpsSituation`…). The R44 search takes this path and reads no structure.
    Skip,
    /// Only these idNat_Struct: `(ou=…)`.
    Ids(BTreeSet<String>),
    /// Any: read the structures in key order.
    Scan,
}

/// Whether an entry of these object classes can hold `def` at all.
fn shape_has(classes: &[&str], def: &schema::AttrDef) -> bool {
    def.name == "objectClass"
        || def.usage == schema::Usage::Operational
        || schema::CLASSES
            .iter()
            .filter(|c| classes.iter().any(|n| n.eq_ignore_ascii_case(c.name)))
            .any(|c| c.must.iter().chain(c.may).any(|a| a.eq_ignore_ascii_case(def.name)))
}

/// False when no entry of these object classes can match `f`: a positive term needs an
/// attribute such entries never hold, or another object class. Lets a search skip building
/// entries (the R44 search `(cn=…)` never builds the professional entry nor reads a structure).
pub fn may_match(f: &LdapFilter, classes: &[&str]) -> bool {
    let has = |a: &str| schema::attr(a).is_some_and(|def| shape_has(classes, def));
    match f {
        LdapFilter::Equality(a, v) if schema::attr(a).is_some_and(|d| d.name == "objectClass") => {
            classes.iter().any(|c| c.eq_ignore_ascii_case(v.trim()))
        }
        LdapFilter::Equality(a, _)
        | LdapFilter::Present(a)
        | LdapFilter::Substring(a, _)
        | LdapFilter::GreaterOrEqual(a, _)
        | LdapFilter::LessOrEqual(a, _)
        | LdapFilter::Approx(a, _) => has(a),
        LdapFilter::And(v) => v.iter().all(|c| may_match(c, classes)),
        LdapFilter::Or(v) => v.iter().any(|c| may_match(c, classes)),
        LdapFilter::Not(_) | LdapFilter::Extensible(_) => true,
    }
}

/// The structures a filter can match.
pub fn structure_plan(f: &LdapFilter) -> StructurePlan {
    if !may_match(f, STRUCTURE_CLASSES) {
        return StructurePlan::Skip;
    }
    match structure_ids(f) {
        Some(ids) => StructurePlan::Ids(ids),
        None => StructurePlan::Scan,
    }
}

/// The idNat_Struct a filter (that may match structures) names through positive `ou` terms.
fn structure_ids(f: &LdapFilter) -> Option<BTreeSet<String>> {
    match f {
        LdapFilter::Equality(a, v) if schema::attr(a).is_some_and(|d| d.name == "ou") => {
            Some([v.trim().to_uppercase()].into())
        }
        LdapFilter::And(v) => v.iter().filter_map(structure_ids).reduce(|a, b| a.intersection(&b).cloned().collect()),
        LdapFilter::Or(v) => {
            let mut ids = BTreeSet::new();
            for c in v.iter().filter(|c| may_match(c, STRUCTURE_CLASSES)) {
                ids.extend(structure_ids(c)?);
            }
            Some(ids)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3_proto::parse_ldap_filter_str;

    fn f(s: &str) -> LdapFilter {
        parse_ldap_filter_str(s).unwrap()
    }

    #[test]
    fn substrings() {
        let m = |v: &str, pat: &str| substring_match(&fold(v), &LdapSubstringFilter::from(pat));
        assert!(m("CG MAXI 8 RUE NOIR", "cg max*"));
        assert!(m("CG MAXI 8 RUE NOIR", "*noir"));
        assert!(m("CG MAXI 8 RUE NOIR", "cg*rue*noir"));
        assert!(!m("abc", "ab*bc"), "pieces must not overlap");
        assert!(m("abcbc", "ab*bc"));
        assert!(!m("CG MAXI", "*rue*"));
    }

    #[test]
    fn plans() {
        assert_eq!(candidates(&f("(cn=899700270616)")), Some(Candidates::Ids(["899700270616".into()].into())));
        assert_eq!(
            candidates(&f("(&(objectClass=*)(|(uid=1)(cn=2)))")),
            Some(Candidates::Ids(["1".into(), "2".into()].into()))
        );
        assert_eq!(candidates(&f("(&(ou=x)(cn=3))")), Some(Candidates::Ids(["3".into()].into())));
        assert_eq!(candidates(&f("(ou=39999999800514)")), Some(Candidates::AtStructure("39999999800514".into())));
        assert_eq!(candidates(&f("(|(cn=1)(sn=x))")), None);
        assert_eq!(candidates(&f("(!(cn=1))")), None);
        assert_eq!(candidates(&f("(cn=1*)")), None);
    }

    #[test]
    fn structure_plans() {
        let p = |s: &str| structure_plan(&f(s));
        assert_eq!(p("(cn=899700270616)"), StructurePlan::Skip, "the R44 search reads no structure");
        assert_eq!(p("(objectClass=cpsSituation)"), StructurePlan::Skip);
        assert_eq!(p("(&(objectClass=*)(uid=1))"), StructurePlan::Skip);
        assert_eq!(p("(ou=39999999800514)"), StructurePlan::Ids(["39999999800514".into()].into()));
        assert_eq!(p("(|(cn=1)(ou=2))"), StructurePlan::Ids(["2".into()].into()));
        assert_eq!(p("(&(objectClass=cpsStructure)(finess=1*))"), StructurePlan::Scan);
        assert_eq!(p("(!(cn=1))"), StructurePlan::Scan);
        assert_eq!(p("(userCertificate=*)"), StructurePlan::Scan);
        assert_eq!(p("(nosuchattribute=1)"), StructurePlan::Skip);
        let pro = |s: &str| may_match(&f(s), crate::entry::PROFESSIONAL_CLASSES);
        assert!(!pro("(cn=899700270616)"), "a professional entry has no cn");
        assert!(pro("(uid=899700270616)"));
        assert!(pro("(|(cn=1)(sn=x))"));
        assert!(!pro("(&(objectClass=cpsSituation)(sn=x))"));
        assert!(pro("(!(cn=1))"));
    }

    #[test]
    fn depth_is_counted_iteratively() {
        let mut x = LdapFilter::Present("cn".into());
        for _ in 0..10_000 {
            x = LdapFilter::Not(Box::new(x));
        }
        assert_eq!(depth(&x), 10_001);
        // Dropping a deep Box chain recurses; leak it in the test instead.
        std::mem::forget(x);
    }
}
