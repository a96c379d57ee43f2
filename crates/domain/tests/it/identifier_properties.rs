//! Property tests for the national identifiers (issue 2 acceptance): every generated valid
//! identifier parses, and every single-character change of a Luhn-checked one is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use santepki_domain::ids::{Finess, IdNatPs, IdNatStruct, Rpps, RppsRang, Siren, Siret, ValidationMode};
use santepki_domain::luhn;

const STRICT: ValidationMode = ValidationMode::Strict;

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n).prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

fn with_key(body: String) -> String {
    let k = luhn::check_digit(&body);
    format!("{body}{k}")
}

/// FINESS numbers of metropolitan and overseas départements (numeric), with their key.
fn finess() -> impl Strategy<Value = String> {
    (1u8..=95, digits(6))
        .prop_filter("no département 20", |(d, _)| *d != 20)
        .prop_map(|(d, rest)| with_key(format!("{d:02}{rest}")))
}

fn siren() -> impl Strategy<Value = String> {
    digits(8).prop_map(with_key)
}

fn siret() -> impl Strategy<Value = String> {
    digits(13).prop_map(with_key)
}

fn rpps() -> impl Strategy<Value = String> {
    digits(10).prop_map(with_key)
}

/// Any other character: a digit or a letter or punctuation or a non-ASCII letter.
fn replacement() -> impl Strategy<Value = char> {
    prop_oneof![
        (0u8..10).prop_map(|d| char::from(b'0' + d)),
        (b'A'..=b'Z').prop_map(char::from),
        Just(' '),
        Just('-'),
        Just('é'),
    ]
}

fn mutate(value: &str, position: usize, c: char) -> Option<String> {
    let mut chars: Vec<char> = value.chars().collect();
    let i = position % chars.len();
    if chars[i] == c {
        return None;
    }
    chars[i] = c;
    Some(chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn valid_identifiers_parse(f in finess(), sn in siren(), st in siret(), r in rpps(), rank in 1u16..=999) {
        prop_assert_eq!(Finess::parse(&f, STRICT).unwrap().to_string(), f.clone());
        prop_assert!(Siren::parse(&sn, STRICT).is_ok());
        prop_assert!(Siret::parse(&st, STRICT).is_ok());
        let rpps = Rpps::parse(&r, STRICT).unwrap();
        let rang = RppsRang::new(&rpps, rank).unwrap();
        prop_assert_eq!(rang.rpps(), rpps.clone());
        // R43: the national forms round-trip through their type digit.
        let ps = IdNatPs::parse(&format!("8{r}"), STRICT).unwrap();
        prop_assert_eq!(ps.to_string(), format!("8{r}"));
        for (form, digit) in [(format!("1{f}"), '1'), (format!("2{sn}"), '2'), (format!("3{st}"), '3'), (format!("4{rang}"), '4')] {
            let s = IdNatStruct::parse(&form, STRICT).unwrap();
            prop_assert_eq!(s.type_digit(), digit);
            prop_assert_eq!(s.to_string(), form);
        }
    }

    #[test]
    fn single_character_changes_are_refused(
        f in finess(), sn in siren(), st in siret(), r in rpps(), rank in 1u16..=999,
        position in 0usize..64, c in replacement(),
    ) {
        if let Some(m) = mutate(&f, position, c) {
            prop_assert!(Finess::parse(&m, STRICT).is_err(), "FINESS {} → {} accepted", f, m);
        }
        if let Some(m) = mutate(&sn, position, c) {
            prop_assert!(Siren::parse(&m, STRICT).is_err(), "SIREN {} → {} accepted", sn, m);
        }
        if let Some(m) = mutate(&st, position, c) {
            // The one exception the SIRET rules allow: La Poste's establishments (sum of digits % 5).
            if !m.starts_with("356000000") {
                prop_assert!(Siret::parse(&m, STRICT).is_err(), "SIRET {} → {} accepted", st, m);
            }
        }
        if let Some(m) = mutate(&r, position, c) {
            prop_assert!(Rpps::parse(&m, STRICT).is_err(), "RPPS {} → {} accepted", r, m);
        }
        let rang = format!("{r}{rank:03}");
        // The rank digits carry no key; a change in the RPPS part must be refused.
        if position % 14 < 11 {
            if let Some(m) = mutate(&rang, position, c) {
                prop_assert!(RppsRang::parse(&m, STRICT).is_err(), "RPPS rang {} → {} accepted", rang, m);
            }
        }
    }
}
