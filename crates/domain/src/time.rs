//! Times as people in China read them.

use chrono::DateTime;

/// A time (ms since the epoch, UTC) in Beijing time, to the second. China has kept UTC+8
/// all year since 1991.
pub fn beijing(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms.saturating_add(8 * 3_600_000))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn midnight_utc_is_eight_in_beijing() {
        assert_eq!(super::beijing(1_767_225_600_000), "2026-01-01 08:00:00");
    }
}
