//! National identifiers of the French health system.
//!
//! Every identifier type is a validated newtype: it can only be built by parsing, and parsing
//! explains precisely what is wrong (which character, which length, which key). The national
//! forms `idNat_Struct` and `idNat_PS` prefix an identifier with its type digit (rule R43).

mod card;
mod finess;
mod national;
mod professional;
mod sirene;

use std::fmt;

pub use card::CardNumber;
pub use finess::Finess;
pub use national::{IdNatPs, IdNatStruct, TestIdRange, TEST_IDNAT_PS, TEST_IDNAT_STRUCT};
pub use professional::{Adeli, AdeliRang, Rpps, RppsRang};
pub use sirene::{Siren, Siret};

/// Whether the test-environment forms of identifiers are accepted.
///
/// The agency's test environment uses identifiers that are not valid in production: FINESS
/// numbers with a letter in position 2 (`0B0193488`) and test-range SIRETs that fail the key
/// (the seed's `SOCIETE MAXI`, `39999999800514`). They are accepted only in [`ValidationMode::Test`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ValidationMode {
    /// Production rules only.
    #[default]
    Strict,
    /// Production rules plus the test-environment forms.
    Test,
}

/// The kind of identifier an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A FINESS number (juridique or géographique).
    Finess,
    /// A SIREN.
    Siren,
    /// A SIRET.
    Siret,
    /// An RPPS number.
    Rpps,
    /// An RPPS rang.
    RppsRang,
    /// An ADELI number.
    Adeli,
    /// An ADELI rang.
    AdeliRang,
    /// A CPx card number.
    CardNumber,
    /// A professional's idNat_PS.
    IdNatPs,
    /// A structure's idNat_Struct.
    IdNatStruct,
}

impl fmt::Display for IdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdKind::Finess => "FINESS",
            IdKind::Siren => "SIREN",
            IdKind::Siret => "SIRET",
            IdKind::Rpps => "RPPS",
            IdKind::RppsRang => "RPPS rang",
            IdKind::Adeli => "ADELI",
            IdKind::AdeliRang => "ADELI rang",
            IdKind::CardNumber => "card number",
            IdKind::IdNatPs => "idNat_PS",
            IdKind::IdNatStruct => "idNat_Struct",
        })
    }
}

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdErrorReason {
    /// The value is empty.
    Empty,
    /// The value has the wrong number of characters.
    Length {
        /// The length or lengths allowed, as words for the message (`"14 (RPPS + 3-digit rank)"`).
        expected: &'static str,
        /// The number of characters given.
        found: usize,
    },
    /// A character is not allowed at this position (1-based).
    BadCharacter {
        /// 1-based position of the character.
        position: usize,
        /// The character found there.
        found: char,
        /// What is allowed there, for the message.
        expected: &'static str,
    },
    /// The Luhn key (last digit) does not match.
    CheckKey,
    /// The value is a test-environment form, refused in strict mode.
    TestOnly,
    /// The type digit of a national identifier is unknown (R43).
    UnknownType {
        /// The type digit found.
        found: char,
        /// The type digits allowed, for the message.
        expected: &'static str,
    },
}

impl fmt::Display for IdErrorReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdErrorReason::Empty => f.write_str("is empty"),
            IdErrorReason::Length { expected, found } => {
                write!(f, "must have {expected} characters, found {found}")
            }
            IdErrorReason::BadCharacter { position, found, expected } => {
                write!(f, "character {position} is {found:?}, expected {expected}")
            }
            IdErrorReason::CheckKey => f.write_str("wrong check key (Luhn)"),
            IdErrorReason::TestOnly => f.write_str("is a test-environment identifier, accepted only in test mode"),
            IdErrorReason::UnknownType { found, expected } => {
                write!(f, "unknown type digit {found:?}, expected {expected} (R43)")
            }
        }
    }
}

/// A refused identifier: which kind, the value as given (shortened), and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} {reason}")]
pub struct IdError {
    /// Which identifier was being parsed.
    pub kind: IdKind,
    /// The value as given, cut to 40 characters.
    pub value: String,
    /// What is wrong with it.
    pub reason: IdErrorReason,
}

impl IdError {
    pub(crate) fn new(kind: IdKind, value: &str, reason: IdErrorReason) -> Self {
        // Keep error messages short even when a whole damaged line lands in one field.
        let value = if value.chars().count() > 40 {
            let mut v: String = value.chars().take(40).collect();
            v.push('…');
            v
        } else {
            value.to_owned()
        };
        IdError { kind, value, reason }
    }
}

/// Checks that `value` is exactly `len` ASCII digits, reporting the first offending character.
pub(crate) fn expect_digits(kind: IdKind, value: &str, len: usize, expected_len: &'static str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::new(kind, value, IdErrorReason::Empty));
    }
    let count = value.chars().count();
    if count != len {
        return Err(IdError::new(kind, value, IdErrorReason::Length { expected: expected_len, found: count }));
    }
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(IdError::new(
            kind,
            value,
            IdErrorReason::BadCharacter { position: i + 1, found: c, expected: "a digit" },
        ));
    }
    Ok(())
}

/// Implements `Display`, `FromStr` (strict mode), `AsRef<str>` and serde as the plain string form.
macro_rules! string_identifier {
    ($ty:ident) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl $ty {
            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl std::str::FromStr for $ty {
            type Err = $crate::ids::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s, $crate::ids::ValidationMode::Strict)
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                // Values read back from our own storage or API were validated when written;
                // accept the test forms too so that a test-mode database round-trips.
                Self::parse(&s, $crate::ids::ValidationMode::Test).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_identifier;
