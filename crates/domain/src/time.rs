//! Times as people in China read them.

use chrono::DateTime;

/// A time (ms since the epoch, UTC) in Beijing time, to the second. China has kept UTC+8
/// all year since 1991.
pub fn beijing(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms.saturating_add(8 * 3_600_000))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The day in Beijing of a time (ms since the epoch, UTC).
pub fn beijing_date(ms: i64) -> Option<chrono::NaiveDate> {
    DateTime::from_timestamp_millis(ms.saturating_add(8 * 3_600_000)).map(|t| t.date_naive())
}

#[cfg(test)]
mod tests {
    #[test]
    fn midnight_utc_is_eight_in_beijing() {
        assert_eq!(super::beijing(1_767_225_600_000), "2026-01-01 08:00:00");
        assert_eq!(
            super::beijing_date(1_767_196_800_000).map(|d| d.to_string()),
            Some("2026-01-01".to_owned()),
            "16:00 UTC is the next day's midnight"
        );
    }
}
