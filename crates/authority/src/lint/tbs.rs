//! Checks of the certificate's own fields: version, serial number, validity.

use x509_cert::certificate::Version;

use super::{problem_if, Candidate};

pub(super) const VERSION_V3: &str = "RFC 5280 §4.1.2.1: a certificate with extensions is version 3";

pub(super) fn version_v3(c: &Candidate) -> Vec<String> {
    problem_if(c.tbs.version != Version::V3, || "not an X.509 v3 certificate".into())
}

pub(super) const SERIAL: &str = "RFC 5280 §4.1.2.2 (positive, at most 20 octets), CA/B Forum BR §7.1 (at least 64 \
     random bits); REFERENCE.md: random 16-byte serial";

/// 16 bytes with a non-zero first byte and the sign bit clear: exactly 16 bytes in DER, positive.
pub(super) fn serial_random_16_bytes(c: &Candidate) -> Vec<String> {
    let serial = c.tbs.serial_number.as_bytes();
    problem_if(serial.len() != 16 || serial[0] == 0 || serial[0] & 0x80 != 0, || {
        format!("serial is not 16 positive random bytes ({} bytes)", serial.len())
    })
}

pub(super) const VALIDITY: &str = "R34: valid three years from issuance (1,096 days with a leap day, never more); \
     RFC 5280 §4.1.2.5";

pub(super) fn validity_three_years(c: &Candidate) -> Vec<String> {
    let nb = c.tbs.validity.not_before.to_unix_duration().as_secs();
    let na = c.tbs.validity.not_after.to_unix_duration().as_secs();
    problem_if(na <= nb || na - nb > 1096 * 86_400, || {
        format!("validity of {} days exceeds three years (R34)", (na.saturating_sub(nb)) / 86_400)
    })
}
