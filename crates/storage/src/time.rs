//! Timestamps as stored: RFC 3339 UTC text with second precision, which sorts correctly as text
//! on both backends.

use chrono::{DateTime, SecondsFormat, Utc};

/// The current time as RFC 3339 UTC text with second precision (e.g. `2026-01-31T12:00:00Z`).
pub fn now() -> String {
    format(Utc::now())
}

/// Formats `t` as stored: RFC 3339 UTC text with second precision and a `Z` suffix.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses stored RFC 3339 text (any offset) back to UTC; `None` if it is not valid RFC 3339.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}
