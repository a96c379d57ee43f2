use super::{expect_digits, string_identifier, IdError, IdErrorReason, IdKind, ValidationMode};
use crate::luhn;

/// The SIREN of La Poste, whose establishments' SIRETs do not follow the Luhn key.
const LA_POSTE_SIREN: &str = "356000000";

/// A SIREN: 9 digits with a Luhn key, the identifier of a legal person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siren(String);

string_identifier!(Siren);

impl Siren {
    /// Parses 9 digits with a valid Luhn key.
    pub fn parse(value: &str, _mode: ValidationMode) -> Result<Self, IdError> {
        expect_digits(IdKind::Siren, value, 9, "9")?;
        if !luhn::is_valid(value) {
            return Err(IdError::new(IdKind::Siren, value, IdErrorReason::CheckKey));
        }
        Ok(Siren(value.to_owned()))
    }
}

/// A SIRET: 14 digits (SIREN + 5-digit NIC) with a Luhn key over the 14 digits.
///
/// La Poste's establishments are the known exception: their SIRETs are valid when the sum of the
/// digits is divisible by 5. In [`ValidationMode::Test`], test-range SIRETs (starting with
/// `9999`, 13 or 14 digits, as the seed's `SOCIETE MAXI` `39999999800514`) are accepted without
/// key check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siret(String);

string_identifier!(Siret);

impl Siret {
    /// Parses 14 digits with a valid Luhn key (or La Poste's digit-sum rule); in test mode also accepts the 13-digit
    /// test-range SIRETs (`9999…`).
    pub fn parse(value: &str, mode: ValidationMode) -> Result<Self, IdError> {
        if value.starts_with("9999") && value.len() == 13 && value.bytes().all(|b| b.is_ascii_digit()) {
            return match mode {
                ValidationMode::Test => Ok(Siret(value.to_owned())),
                ValidationMode::Strict => Err(IdError::new(IdKind::Siret, value, IdErrorReason::TestOnly)),
            };
        }
        expect_digits(IdKind::Siret, value, 14, "14")?;
        let valid =
            luhn::is_valid(value) || (value.starts_with(LA_POSTE_SIREN) && luhn::digit_sum(value).is_multiple_of(5));
        if !valid {
            if value.starts_with("9999") {
                return match mode {
                    ValidationMode::Test => Ok(Siret(value.to_owned())),
                    ValidationMode::Strict => Err(IdError::new(IdKind::Siret, value, IdErrorReason::CheckKey)),
                };
            }
            return Err(IdError::new(IdKind::Siret, value, IdErrorReason::CheckKey));
        }
        Ok(Siret(value.to_owned()))
    }

    /// The SIREN part (first 9 digits). For a 13-digit test SIRET, the first 9 digits as well.
    pub fn siren_digits(&self) -> &str {
        &self.0[..9]
    }

    /// Builds a valid SIRET from a valid SIREN and a 4-digit NIC body by appending the key digit.
    pub fn with_key(siren: &Siren, nic4: &str) -> Result<Self, IdError> {
        let body = format!("{}{nic4}", siren.as_str());
        let key = luhn::check_digit(&body);
        Siret::parse(&format!("{body}{key}"), ValidationMode::Strict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_la_poste() {
        Siret::parse("26010004500012", ValidationMode::Strict).unwrap();
        // La Poste: Luhn fails but the digit sum is divisible by 5.
        let la_poste = "35600000000015";
        assert!(!luhn::is_valid(la_poste));
        assert_eq!(luhn::digit_sum(la_poste) % 5, 0);
        Siret::parse(la_poste, ValidationMode::Strict).unwrap();
        assert_eq!(Siret::parse("35600000000016", ValidationMode::Strict).unwrap_err().reason, IdErrorReason::CheckKey);
    }

    #[test]
    fn seed_test_siret_only_in_test_mode() {
        // R44: the seed's SOCIETE MAXI, ou=39999999800514 → SIRET 9999999800514 (13 digits).
        assert_eq!(Siret::parse("9999999800514", ValidationMode::Strict).unwrap_err().reason, IdErrorReason::TestOnly);
        Siret::parse("9999999800514", ValidationMode::Test).unwrap();
    }

    #[test]
    fn siren() {
        Siren::parse("260100045", ValidationMode::Strict).unwrap();
        assert_eq!(Siren::parse("260100046", ValidationMode::Strict).unwrap_err().reason, IdErrorReason::CheckKey);
    }
}
