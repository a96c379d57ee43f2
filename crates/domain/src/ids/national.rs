//! The national identifier forms of the CPS directory (rule R43): a type digit followed by the
//! identifier. Structures: `0` ADELI rang, `1` FINESS, `2` SIREN, `3` SIRET, `4` RPPS rang.
//! Professionals: `0` ADELI, `8` RPPS.

use std::fmt;

use super::{Adeli, AdeliRang, Finess, IdError, IdErrorReason, IdKind, Rpps, RppsRang, Siren, Siret, ValidationMode};

/// A professional's national identifier (`idNat_PS`), such as `899700270616`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdNatPs {
    /// `0` + ADELI.
    Adeli(Adeli),
    /// `8` + RPPS.
    Rpps(Rpps),
}

impl IdNatPs {
    /// Parses the type digit (`0` ADELI, `8` RPPS) and the identifier after it; errors name the whole value.
    pub fn parse(value: &str, mode: ValidationMode) -> Result<Self, IdError> {
        let mut chars = value.chars();
        let Some(kind) = chars.next() else {
            return Err(IdError::new(IdKind::IdNatPs, value, IdErrorReason::Empty));
        };
        let rest = chars.as_str();
        let wrap = |e: IdError| IdError::new(IdKind::IdNatPs, value, e.reason);
        match kind {
            '0' => Adeli::parse(rest, mode).map(IdNatPs::Adeli).map_err(wrap),
            '8' => Rpps::parse(rest, mode).map(IdNatPs::Rpps).map_err(wrap),
            other => Err(IdError::new(
                IdKind::IdNatPs,
                value,
                IdErrorReason::UnknownType { found: other, expected: "0 (ADELI) or 8 (RPPS)" },
            )),
        }
    }

    /// The type digit (R43).
    pub fn type_digit(&self) -> char {
        match self {
            IdNatPs::Adeli(_) => '0',
            IdNatPs::Rpps(_) => '8',
        }
    }

    /// The identifier without its type digit.
    pub fn id(&self) -> &str {
        match self {
            IdNatPs::Adeli(a) => a.as_str(),
            IdNatPs::Rpps(r) => r.as_str(),
        }
    }

    /// Whether this is a test identity (RPPS `997…`), published under `o=TEST,c=fr` (R44).
    pub fn is_test_identity(&self) -> bool {
        matches!(self, IdNatPs::Rpps(r) if r.is_test_identity())
    }
}

impl fmt::Display for IdNatPs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.type_digit(), self.id())
    }
}

impl From<Rpps> for IdNatPs {
    fn from(r: Rpps) -> Self {
        IdNatPs::Rpps(r)
    }
}

impl From<Adeli> for IdNatPs {
    fn from(a: Adeli) -> Self {
        IdNatPs::Adeli(a)
    }
}

/// The national identifiers of a kind that belong to test identities (R44), as a key range
/// `[start, end)`: exactly the identifiers that start with `start`, so that a store can scan them
/// (or everything else) in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestIdRange {
    /// The prefix of the range, and its first key.
    pub start: &'static str,
    /// The first key after the range (the prefix with its last digit plus one).
    pub end: &'static str,
}

impl TestIdRange {
    /// Whether `id` (a national identifier as stored) is in the range.
    pub fn contains(self, id: &str) -> bool {
        id.starts_with(self.start)
    }
}

/// idNat_PS of test identities: `8` + RPPS `997…` ([`Rpps::is_test_identity`]), published under
/// `o=TEST,c=fr` (R44).
pub const TEST_IDNAT_PS: TestIdRange = TestIdRange { start: "8997", end: "8998" };

/// idNat_Struct of the practices of test identities: `4` (RPPS rang) + RPPS `997…`, published
/// under `o=TEST,c=fr` (R44).
pub const TEST_IDNAT_STRUCT: TestIdRange = TestIdRange { start: "4997", end: "4998" };

/// A structure's national identifier (`idNat_Struct`), such as `1060785003` or `499700270616029`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdNatStruct {
    /// `0` + ADELI rang.
    AdeliRang(AdeliRang),
    /// `1` + FINESS (juridique or géographique).
    Finess(Finess),
    /// `2` + SIREN.
    Siren(Siren),
    /// `3` + SIRET.
    Siret(Siret),
    /// `4` + RPPS rang.
    RppsRang(RppsRang),
}

impl IdNatStruct {
    /// Parses the type digit (`0`…`4`, R43) and the identifier after it; errors name the whole value.
    pub fn parse(value: &str, mode: ValidationMode) -> Result<Self, IdError> {
        let mut chars = value.chars();
        let Some(kind) = chars.next() else {
            return Err(IdError::new(IdKind::IdNatStruct, value, IdErrorReason::Empty));
        };
        let rest = chars.as_str();
        let wrap = |e: IdError| IdError::new(IdKind::IdNatStruct, value, e.reason);
        match kind {
            '0' => AdeliRang::parse(rest, mode).map(IdNatStruct::AdeliRang).map_err(wrap),
            '1' => Finess::parse(rest, mode).map(IdNatStruct::Finess).map_err(wrap),
            '2' => Siren::parse(rest, mode).map(IdNatStruct::Siren).map_err(wrap),
            '3' => Siret::parse(rest, mode).map(IdNatStruct::Siret).map_err(wrap),
            '4' => RppsRang::parse(rest, mode).map(IdNatStruct::RppsRang).map_err(wrap),
            other => Err(IdError::new(
                IdKind::IdNatStruct,
                value,
                IdErrorReason::UnknownType {
                    found: other,
                    expected: "0 (ADELI rang), 1 (FINESS), 2 (SIREN), 3 (SIRET) or 4 (RPPS rang)",
                },
            )),
        }
    }

    /// The type digit (R43).
    pub fn type_digit(&self) -> char {
        match self {
            IdNatStruct::AdeliRang(_) => '0',
            IdNatStruct::Finess(_) => '1',
            IdNatStruct::Siren(_) => '2',
            IdNatStruct::Siret(_) => '3',
            IdNatStruct::RppsRang(_) => '4',
        }
    }

    /// The identifier without its type digit.
    pub fn id(&self) -> &str {
        match self {
            IdNatStruct::AdeliRang(v) => v.as_str(),
            IdNatStruct::Finess(v) => v.as_str(),
            IdNatStruct::Siren(v) => v.as_str(),
            IdNatStruct::Siret(v) => v.as_str(),
            IdNatStruct::RppsRang(v) => v.as_str(),
        }
    }

    /// A human name for the kind of identifier ("FINESS", "SIRET"…).
    pub fn kind_name(&self) -> &'static str {
        match self {
            IdNatStruct::AdeliRang(_) => "ADELI rang",
            IdNatStruct::Finess(_) => "FINESS",
            IdNatStruct::Siren(_) => "SIREN",
            IdNatStruct::Siret(_) => "SIRET",
            IdNatStruct::RppsRang(_) => "RPPS rang",
        }
    }
}

impl fmt::Display for IdNatStruct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.type_digit(), self.id())
    }
}

macro_rules! serde_via_display {
    ($ty:ident) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $ty::parse(&s, ValidationMode::Test).map_err(serde::de::Error::custom)
            }
        }
        impl std::str::FromStr for $ty {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s, ValidationMode::Strict)
            }
        }
    };
}
serde_via_display!(IdNatPs);
serde_via_display!(IdNatStruct);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_identity_ranges_are_the_test_rpps_behind_their_type_digit() {
        use super::super::professional::TEST_RPPS_PREFIX;
        assert_eq!(TEST_IDNAT_PS.start, format!("8{TEST_RPPS_PREFIX}"));
        assert_eq!(TEST_IDNAT_STRUCT.start, format!("4{TEST_RPPS_PREFIX}"));
        for r in [TEST_IDNAT_PS, TEST_IDNAT_STRUCT] {
            let (head, last) = r.start.split_at(r.start.len() - 1);
            assert_eq!(r.end, format!("{head}{}", char::from(last.as_bytes()[0] + 1)), "{r:?}");
        }
        let ps = IdNatPs::parse("899700270616", ValidationMode::Strict).unwrap();
        assert_eq!(TEST_IDNAT_PS.contains(&ps.to_string()), ps.is_test_identity());
        assert!(!TEST_IDNAT_PS.contains("810000000001"));
        assert!(TEST_IDNAT_STRUCT.contains("499700270616029") && !TEST_IDNAT_STRUCT.contains("1060785003"));
    }

    #[test]
    fn r43_type_digits() {
        let ps = IdNatPs::parse("899700270616", ValidationMode::Strict).unwrap();
        assert_eq!(ps.type_digit(), '8');
        assert_eq!(ps.id(), "99700270616");
        assert!(ps.is_test_identity());
        assert_eq!(ps.to_string(), "899700270616");

        // R44 seed table: three RPPS rang practices and one SIRET.
        for (v, d) in [("499700270616029", '4'), ("499700270616011", '4'), ("499700270616003", '4')] {
            assert_eq!(IdNatStruct::parse(v, ValidationMode::Strict).unwrap().type_digit(), d);
        }
        let siret = IdNatStruct::parse("39999999800514", ValidationMode::Test).unwrap();
        assert_eq!(siret.kind_name(), "SIRET");
        assert_eq!(IdNatStruct::parse("1060785003", ValidationMode::Strict).unwrap().kind_name(), "FINESS");
    }

    #[test]
    fn unknown_type_digit() {
        let e = IdNatPs::parse("599700270616", ValidationMode::Strict).unwrap_err();
        assert!(matches!(e.reason, IdErrorReason::UnknownType { found: '5', .. }));
        let e = IdNatStruct::parse("9060785003", ValidationMode::Strict).unwrap_err();
        assert!(e.to_string().contains("R43"), "{e}");
    }

    #[test]
    fn inner_errors_are_reported_as_national_form() {
        let e = IdNatStruct::parse("1060785004", ValidationMode::Strict).unwrap_err();
        assert_eq!(e.kind, IdKind::IdNatStruct);
        assert_eq!(e.reason, IdErrorReason::CheckKey);
    }
}
