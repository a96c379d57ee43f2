use super::IdKind;
use super::{expect_digits, string_identifier, IdError, ValidationMode};

/// A CPx card number: 10 digits, printed on the third line of the card (R21).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardNumber(String);

string_identifier!(CardNumber);

impl CardNumber {
    /// Parses 10 digits. Card numbers carry no check key, so the mode changes nothing.
    pub fn parse(value: &str, _mode: ValidationMode) -> Result<Self, IdError> {
        expect_digits(IdKind::CardNumber, value, 10, "10")?;
        Ok(CardNumber(value.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_digits() {
        CardNumber::parse("8000123456", ValidationMode::Strict).unwrap();
        assert!(CardNumber::parse("800012345", ValidationMode::Strict).is_err());
        assert!(CardNumber::parse("80001234567", ValidationMode::Strict).is_err());
        assert!(CardNumber::parse("800012345a", ValidationMode::Strict).is_err());
    }
}
