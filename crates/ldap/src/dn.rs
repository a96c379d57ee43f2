//! Distinguished names (RFC 4514), just enough for a read-only server: parsing with escapes,
//! and a normalised form (attribute types canonical, values case-folded, multi-valued RDNs
//! sorted) in which two spellings of the same name compare equal.

use std::borrow::Cow;

use crate::schema;

/// A normalised DN: its RDNs from the leaf to the root, each `type=value[+type=value]` with
/// canonical lower-case types and case-folded values. The fixed top of the tree (`c=fr`,
/// `o=gip-cps`…) is borrowed: entries built by the server name it without allocating.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormDn(pub Vec<Cow<'static, str>>);

/// One attribute value assertion of a parsed RDN, as written (value unescaped, trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ava {
    /// Canonical lower-case attribute name (or the lower-cased unknown type).
    pub attr: String,
    /// The value, unescaped and trimmed.
    pub value: String,
}

/// A parsed DN: RDNs from the leaf to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dn(pub Vec<Vec<Ava>>);

/// Case-folds and collapses spaces: the `caseIgnoreMatch` form of a value. Borrowed when the
/// value is already in that form (identifiers and codes, most of what the directory holds).
pub fn fold(v: &str) -> Cow<'_, str> {
    let b = v.as_bytes();
    let folded = b.iter().all(|&c| c.is_ascii() && !c.is_ascii_uppercase() && (c == b' ' || !c.is_ascii_whitespace()))
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && !v.contains("  ");
    if folded {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    for word in v.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    Cow::Owned(out)
}

fn canonical_type(t: &str) -> String {
    let t = t.trim();
    match schema::attr(t) {
        Some(a) => a.name.to_ascii_lowercase(),
        None => t.to_ascii_lowercase(),
    }
}

impl Dn {
    /// Parses a DN string; `None` if it is not valid DN syntax.
    pub fn parse(s: &str) -> Option<Dn> {
        if s.trim().is_empty() {
            return Some(Dn(Vec::new()));
        }
        let mut rdns = Vec::new();
        let mut rdn: Vec<Ava> = Vec::new();
        let mut attr = String::new();
        let mut value: Vec<u8> = Vec::new();
        let mut in_value = false;
        // Trailing unescaped spaces are not part of a value; escaped ones are.
        let mut significant_len = 0usize;
        let bytes = s.as_bytes();
        let mut i = 0;
        let finish_ava = |attr: &mut String, value: &mut Vec<u8>, sig: &mut usize, rdn: &mut Vec<Ava>| -> Option<()> {
            value.truncate(*sig);
            let v = String::from_utf8(std::mem::take(value)).ok()?;
            let a = canonical_type(attr);
            if a.is_empty() || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
                return None;
            }
            rdn.push(Ava { attr: a, value: v });
            attr.clear();
            *sig = 0;
            Some(())
        };
        while i < bytes.len() {
            let b = bytes[i];
            if !in_value {
                match b {
                    b'=' => in_value = true,
                    b',' | b'+' | b'\\' => return None,
                    _ => attr.push(b as char),
                }
                i += 1;
                continue;
            }
            match b {
                b'\\' => {
                    let next = *bytes.get(i + 1)?;
                    if next.is_ascii_hexdigit() {
                        let hi = (next as char).to_digit(16)?;
                        let lo = (*bytes.get(i + 2)? as char).to_digit(16)?;
                        value.push((hi * 16 + lo) as u8);
                        i += 3;
                    } else {
                        value.push(next);
                        i += 2;
                    }
                    significant_len = value.len();
                }
                b',' | b';' | b'+' => {
                    finish_ava(&mut attr, &mut value, &mut significant_len, &mut rdn)?;
                    in_value = false;
                    if b != b'+' {
                        rdns.push(std::mem::take(&mut rdn));
                    }
                    i += 1;
                }
                _ => {
                    if value.is_empty() && b == b' ' {
                        // leading space
                    } else {
                        value.push(b);
                        if b != b' ' {
                            significant_len = value.len();
                        }
                    }
                    i += 1;
                }
            }
        }
        if !in_value {
            return None;
        }
        finish_ava(&mut attr, &mut value, &mut significant_len, &mut rdn)?;
        rdns.push(rdn);
        Some(Dn(rdns))
    }

    /// The normalised form: canonical types, folded values, each RDN's AVAs sorted.
    pub fn normalize(&self) -> NormDn {
        NormDn(
            self.0
                .iter()
                .map(|rdn| {
                    let mut parts: Vec<String> = rdn.iter().map(|a| format!("{}={}", a.attr, fold(&a.value))).collect();
                    parts.sort();
                    Cow::Owned(parts.join("+"))
                })
                .collect(),
        )
    }
}

impl NormDn {
    /// Normalises a DN string; `None` if it is not a valid DN.
    pub fn parse(s: &str) -> Option<NormDn> {
        Dn::parse(s).map(|d| d.normalize())
    }

    /// The name of a child: `rdn` (already normalised) below `self`.
    pub fn child(&self, rdn: String) -> NormDn {
        let mut rdns = Vec::with_capacity(self.0.len() + 1);
        rdns.push(Cow::Owned(rdn));
        rdns.extend(self.0.iter().cloned());
        NormDn(rdns)
    }

    /// The number of RDNs.
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// Whether `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &NormDn) -> bool {
        self.0.len() >= ancestor.0.len() && self.0[self.0.len() - ancestor.0.len()..] == ancestor.0[..]
    }

    /// Whether `self` is an immediate child of `parent`.
    pub fn is_child_of(&self, parent: &NormDn) -> bool {
        self.0.len() == parent.0.len() + 1 && self.is_within(parent)
    }
}

/// Escapes a value for use in a DN string (RFC 4514 §2.4).
pub fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        if c == '\0' {
            out.push_str("\\00");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_the_same_name_are_equal() {
        let a = NormDn::parse("ou=499700270616029,uid=899700270616,o=TEST,c=fr").unwrap();
        let b = NormDn::parse("OU = 499700270616029 , UID=899700270616, O=test,C=FR").unwrap();
        assert_eq!(a, b);
        assert_eq!(NormDn::parse("commonName=x,c=fr").unwrap(), NormDn::parse("cn=X,c=fr").unwrap());
        assert_eq!(NormDn::parse("o=A\\2cB,c=fr").unwrap(), NormDn::parse("o=a\\,b,c=fr").unwrap());
        assert_eq!(
            NormDn::parse("ou=1+situationRank=2,c=fr").unwrap(),
            NormDn::parse("situationRank=2+ou=1,c=fr").unwrap()
        );
        assert_eq!(NormDn::parse("").unwrap().depth(), 0);
    }

    #[test]
    fn folding_borrows_only_values_already_folded() {
        for (v, folded, borrowed) in [
            ("899700270616", "899700270616", true),
            ("a b", "a b", true),
            ("A b", "a b", false),
            (" a  b ", "a b", false),
            ("a\tb", "a b", false),
            ("Ébène", "ébène", false),
            ("", "", true),
        ] {
            let f = fold(v);
            assert_eq!(f, folded, "{v:?}");
            assert_eq!(matches!(f, Cow::Borrowed(_)), borrowed, "{v:?}");
        }
    }

    #[test]
    fn invalid_names_are_refused() {
        for s in ["c", "=fr", "c=fr,", "c=fr\\", "c=fr\\4", "a b=c", ",c=fr"] {
            assert!(NormDn::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn scope_relations() {
        let branch = NormDn::parse("o=TEST,c=fr").unwrap();
        let ps = NormDn::parse("uid=1,o=TEST,c=fr").unwrap();
        let sit = NormDn::parse("ou=2,uid=1,o=TEST,c=fr").unwrap();
        assert!(ps.is_child_of(&branch) && !sit.is_child_of(&branch));
        assert!(sit.is_within(&branch) && branch.is_within(&branch));
        assert!(!NormDn::parse("o=GIP-CPS,c=fr").unwrap().is_within(&branch));
    }

    #[test]
    fn escaping_round_trips() {
        let v = " a,b+c\\ ";
        let dn = format!("o={},c=fr", escape_value(v));
        assert_eq!(Dn::parse(&dn).unwrap().0[0][0].value, v);
    }
}
