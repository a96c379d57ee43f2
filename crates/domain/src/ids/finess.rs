use super::{string_identifier, IdError, IdErrorReason, IdKind, ValidationMode};
use crate::luhn;

/// A FINESS number: 9 characters, the first two being the département (`2A`/`2B` for Corsica),
/// the last one a Luhn key.
///
/// The same type serves FINESS juridique (EJ) and FINESS géographique (EG): which one a number is
/// depends on the file or relation it comes from, not on its form.
///
/// For Corsica the key is computed with the département letter read as `0` (this project's
/// choice: the agency does not publish the rule; documented in `docs/identifiers.md`).
/// In [`ValidationMode::Test`], the agency's test form with a letter in position 2
/// (`0B0193488`) is accepted without key check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finess(String);

string_identifier!(Finess);

impl Finess {
    /// Parses a FINESS and checks its Luhn key; in test mode also accepts, without key check, the test form with a
    /// letter in position 2.
    pub fn parse(value: &str, mode: ValidationMode) -> Result<Self, IdError> {
        let err = |reason| Err(IdError::new(IdKind::Finess, value, reason));
        if value.is_empty() {
            return err(IdErrorReason::Empty);
        }
        let chars: Vec<char> = value.chars().collect();
        if chars.len() != 9 {
            return err(IdErrorReason::Length { expected: "9", found: chars.len() });
        }
        let corsica = chars[0] == '2' && matches!(chars[1], 'A' | 'B');
        let test_letter = !corsica && chars[0].is_ascii_digit() && chars[1].is_ascii_uppercase();
        for (i, &c) in chars.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 1 && (corsica || test_letter));
            if !ok {
                let expected = if i == 1 { "a digit (or A/B for Corsica)" } else { "a digit" };
                return err(IdErrorReason::BadCharacter { position: i + 1, found: c, expected });
            }
        }
        if test_letter {
            return match mode {
                ValidationMode::Test => Ok(Finess(value.to_owned())),
                ValidationMode::Strict => err(IdErrorReason::TestOnly),
            };
        }
        let digits: String = chars.iter().map(|&c| if c.is_ascii_digit() { c } else { '0' }).collect();
        if !luhn::is_valid(&digits) {
            return err(IdErrorReason::CheckKey);
        }
        Ok(Finess(value.to_owned()))
    }

    /// The département code held in the first two characters (`06`, `2A`, `97`…).
    ///
    /// Overseas FINESS numbers start with `97`/`98`; their three-digit département code is not
    /// recoverable from the FINESS alone, so this returns the two-character prefix.
    pub fn departement_prefix(&self) -> &str {
        &self.0[..2]
    }

    /// Builds a valid FINESS from an 8-digit body by appending its Luhn key.
    pub fn with_key(body8: &str) -> Result<Self, IdError> {
        let key = luhn::check_digit(&body8.replace(['A', 'B'], "0"));
        Finess::parse(&format!("{body8}{key}"), ValidationMode::Strict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_numbers_from_the_seeds() {
        for n in ["060785003", "060024411", "060788957", "010000024", "010780054"] {
            Finess::parse(n, ValidationMode::Strict).unwrap();
        }
    }

    #[test]
    fn corsica_and_test_forms() {
        let corse = Finess::with_key("2A000001").unwrap();
        assert_eq!(corse.departement_prefix(), "2A");
        let e = Finess::parse("0B0193488", ValidationMode::Strict).unwrap_err();
        assert_eq!(e.reason, IdErrorReason::TestOnly);
        Finess::parse("0B0193488", ValidationMode::Test).unwrap();
        Finess::parse("1B0073160", ValidationMode::Test).unwrap();
    }

    #[test]
    fn precise_errors() {
        let e = Finess::parse("06078500", ValidationMode::Strict).unwrap_err();
        assert_eq!(e.reason, IdErrorReason::Length { expected: "9", found: 8 });
        let e = Finess::parse("06078500X", ValidationMode::Strict).unwrap_err();
        assert!(matches!(e.reason, IdErrorReason::BadCharacter { position: 9, found: 'X', .. }));
        let e = Finess::parse("060785004", ValidationMode::Strict).unwrap_err();
        assert_eq!(e.reason, IdErrorReason::CheckKey);
        assert_eq!(e.to_string(), "FINESS \"060785004\" wrong check key (Luhn)");
    }
}
