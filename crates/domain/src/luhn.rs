//! The Luhn (mod 10) checksum used by FINESS, SIREN, SIRET and RPPS numbers.

/// Returns true when `digits` (ASCII digits only) satisfy the Luhn checksum.
///
/// Callers check that every byte is a digit before calling; a non-digit byte makes the
/// function return false rather than panic.
pub fn is_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Computes the Luhn check digit to append to `prefix` (ASCII digits) so that the whole is valid.
pub fn check_digit(prefix: &str) -> u8 {
    let mut sum = 0u32;
    // The check digit will take position 0 (from the right); the prefix's last digit is doubled.
    for (i, b) in prefix.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0') % 10);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    ((10 - (sum % 10)) % 10) as u8
}

/// The sum of the digits, used by the La Poste SIRET exception (sum divisible by 5).
pub fn digit_sum(digits: &str) -> u32 {
    digits.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0')).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        assert!(is_valid("99700270616")); // the seed's test RPPS
        assert!(is_valid("010000024")); // a FINESS from REFERENCE.md
        assert!(is_valid("26010004500012")); // a SIRET from REFERENCE.md
        assert!(!is_valid("99700270617"));
        assert!(!is_valid(""));
        assert!(!is_valid("12a"));
    }

    #[test]
    fn check_digit_completes_a_valid_number() {
        for prefix in ["9970027061", "01000002", "2601000450001", "0", "12345"] {
            let full = format!("{prefix}{}", check_digit(prefix));
            assert!(is_valid(&full), "{full}");
        }
    }
}
