use super::{expect_digits, string_identifier, IdError, IdErrorReason, IdKind, ValidationMode};
use crate::luhn;

/// The RPPS numbers of test identities start with this (R44).
pub(crate) const TEST_RPPS_PREFIX: &str = "997";

/// An RPPS number: 11 digits with a Luhn key. Test identities start with `997`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rpps(String);

string_identifier!(Rpps);

impl Rpps {
    /// Parses 11 digits with a valid Luhn key. Test RPPS are ordinary valid numbers, so the mode changes nothing.
    pub fn parse(value: &str, _mode: ValidationMode) -> Result<Self, IdError> {
        expect_digits(IdKind::Rpps, value, 11, "11")?;
        if !luhn::is_valid(value) {
            return Err(IdError::new(IdKind::Rpps, value, IdErrorReason::CheckKey));
        }
        Ok(Rpps(value.to_owned()))
    }

    /// Whether this is a test identity (RPPS starting with `997`), published under `o=TEST,c=fr`.
    pub fn is_test_identity(&self) -> bool {
        self.0.starts_with(TEST_RPPS_PREFIX)
    }

    /// Builds a valid RPPS from a 10-digit body by appending its Luhn key.
    pub fn with_key(body10: &str) -> Result<Self, IdError> {
        let key = luhn::check_digit(body10);
        Rpps::parse(&format!("{body10}{key}"), ValidationMode::Strict)
    }
}

/// An RPPS rang: the RPPS of the practice holder followed by a 3-digit rank (14 digits).
/// It identifies an individual practice or a practice within an SCM (R14).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RppsRang(String);

string_identifier!(RppsRang);

impl RppsRang {
    /// Parses 14 digits whose first 11 are a valid RPPS.
    pub fn parse(value: &str, mode: ValidationMode) -> Result<Self, IdError> {
        expect_digits(IdKind::RppsRang, value, 14, "14 (RPPS + 3-digit rank)")?;
        Rpps::parse(&value[..11], mode).map_err(|e| IdError::new(IdKind::RppsRang, value, e.reason))?;
        Ok(RppsRang(value.to_owned()))
    }

    /// The rang of practice `rank` of the holder `rpps`; fails when `rank` does not fit in 3 digits.
    pub fn new(rpps: &Rpps, rank: u16) -> Result<Self, IdError> {
        let value = format!("{}{:03}", rpps.as_str(), rank);
        RppsRang::parse(&value, ValidationMode::Strict)
    }

    /// The practice holder's RPPS.
    pub fn rpps(&self) -> Rpps {
        Rpps(self.0[..11].to_owned())
    }

    /// The rank (1–999).
    pub fn rank(&self) -> u16 {
        self.0[11..].parse().unwrap_or(0)
    }
}

/// An ADELI number: 9 characters, digits except a Corsican département (`2A`/`2B`) at the start.
///
/// The ADELI key algorithm is not public; santepki checks the form only.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Adeli(String);

string_identifier!(Adeli);

impl Adeli {
    /// Parses 9 characters of ADELI form; no key is checked (the mode changes nothing).
    pub fn parse(value: &str, _mode: ValidationMode) -> Result<Self, IdError> {
        check_adeli_form(IdKind::Adeli, value, 9, "9")?;
        Ok(Adeli(value.to_owned()))
    }
}

/// An ADELI rang: an ADELI number followed by a 3-digit rank (this project's choice of length,
/// by analogy with the RPPS rang; the agency does not publish it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdeliRang(String);

string_identifier!(AdeliRang);

impl AdeliRang {
    /// Parses 12 characters: an ADELI number of ADELI form and a 3-digit rank.
    pub fn parse(value: &str, _mode: ValidationMode) -> Result<Self, IdError> {
        check_adeli_form(IdKind::AdeliRang, value, 12, "12 (ADELI + 3-digit rank)")?;
        Ok(AdeliRang(value.to_owned()))
    }
}

fn check_adeli_form(kind: IdKind, value: &str, len: usize, expected: &'static str) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::new(kind, value, IdErrorReason::Empty));
    }
    let chars: Vec<char> = value.chars().collect();
    if chars.len() != len {
        return Err(IdError::new(kind, value, IdErrorReason::Length { expected, found: chars.len() }));
    }
    let corsica = chars[0] == '2' && matches!(chars[1], 'A' | 'B');
    for (i, &c) in chars.iter().enumerate() {
        if !(c.is_ascii_digit() || (i == 1 && corsica)) {
            return Err(IdError::new(
                kind,
                value,
                IdErrorReason::BadCharacter { position: i + 1, found: c, expected: "a digit" },
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_test_professional() {
        let rpps = Rpps::parse("99700270616", ValidationMode::Strict).unwrap();
        assert!(rpps.is_test_identity());
        let rang = RppsRang::parse("99700270616029", ValidationMode::Strict).unwrap();
        assert_eq!(rang.rpps(), rpps);
        assert_eq!(rang.rank(), 29);
        assert_eq!(RppsRang::new(&rpps, 3).unwrap().as_str(), "99700270616003");
    }

    #[test]
    fn rang_reports_the_rpps_key() {
        let e = RppsRang::parse("99700270617029", ValidationMode::Strict).unwrap_err();
        assert_eq!(e.kind, IdKind::RppsRang);
        assert_eq!(e.reason, IdErrorReason::CheckKey);
    }

    #[test]
    fn adeli() {
        Adeli::parse("751234567", ValidationMode::Strict).unwrap();
        Adeli::parse("2A1234567", ValidationMode::Strict).unwrap();
        assert!(Adeli::parse("75123456", ValidationMode::Strict).is_err());
        assert!(Adeli::parse("7512345X7", ValidationMode::Strict).is_err());
    }
}
