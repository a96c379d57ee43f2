//! French working days, for the back office's processing target (R24: about three working days).
//!
//! Public holidays of metropolitan France (Code du travail, L3133-1): the eight fixed ones and the
//! three that follow Easter. Alsace-Moselle's two extra days are not counted: the agency works on
//! the national calendar.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of `year` (Gregorian calendar; the anonymous "Meeus/Jones/Butcher" algorithm); `None` only for
/// years outside chrono's range.
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32)
}

/// Whether `day` is a French public holiday (jour férié).
pub fn is_public_holiday(day: NaiveDate) -> bool {
    let fixed = matches!(
        (day.month(), day.day()),
        (1, 1) | (5, 1) | (5, 8) | (7, 14) | (8, 15) | (11, 1) | (11, 11) | (12, 25)
    );
    if fixed {
        return true;
    }
    let Some(e) = easter(day.year()) else {
        return false;
    };
    // Lundi de Pâques, Ascension (Thursday, 39 days after), Lundi de Pentecôte (50 days after).
    [1, 39, 50].iter().any(|offset| day == e + Duration::days(*offset))
}

/// Whether `day` is a working day: Monday to Friday, not a public holiday.
pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(day)
}

/// Working days elapsed from `from` to `to`: the working days after `from` up to and including
/// `to` (a file received on Friday and looked at on Monday is one working day old). Zero when
/// `to` is not after `from`.
pub fn working_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d += Duration::days(1);
        if is_working_day(d) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_dates_match_the_calendar() {
        assert_eq!(easter(2024), Some(day(2024, 3, 31)));
        assert_eq!(easter(2025), Some(day(2025, 4, 20)));
        assert_eq!(easter(2026), Some(day(2026, 4, 5)));
        assert_eq!(easter(2027), Some(day(2027, 3, 28)));
        assert_eq!(easter(2038), Some(day(2038, 4, 25)));
    }

    #[test]
    fn public_holidays_of_2026() {
        // Lundi de Pâques 6 April, Ascension 14 May, Pentecôte Monday 25 May.
        for (m, d) in [(1, 1), (4, 6), (5, 1), (5, 8), (5, 14), (5, 25), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
        {
            assert!(is_public_holiday(day(2026, m, d)), "2026-{m:02}-{d:02}");
        }
        assert!(!is_public_holiday(day(2026, 4, 7)));
        assert!(!is_public_holiday(day(2026, 12, 26)));
    }

    #[test]
    fn r24_working_days_skip_weekends_and_holidays() {
        // Friday 23 Oct 2026 → Monday 26: one working day.
        assert_eq!(working_days_between(day(2026, 10, 23), day(2026, 10, 26)), 1);
        // Tuesday 10 Nov 2026 → Friday 13: Wednesday 11 November is off: two working days.
        assert_eq!(working_days_between(day(2026, 11, 10), day(2026, 11, 13)), 2);
        // Thursday 24 Dec → Monday 28 Dec 2026: Friday 25 is Christmas: one working day.
        assert_eq!(working_days_between(day(2026, 12, 24), day(2026, 12, 28)), 1);
        assert_eq!(working_days_between(day(2026, 12, 28), day(2026, 12, 24)), 0);
        assert_eq!(working_days_between(day(2026, 11, 23), day(2026, 11, 23)), 0);
    }
}
