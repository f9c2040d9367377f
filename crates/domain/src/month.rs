//! A calendar month (`2024-03`), the unit the subsidies are granted, paid and recovered in.

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// A month: year and month 1-12. Ordered, so ranges of months compare naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{0}”不是有效的月份（应为 2024-03、2024/3 或 202403）")]
pub struct MonthError(pub String);

impl Month {
    pub fn new(year: i32, month: u32) -> Option<Month> {
        ((1900..=2200).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// Reads `2024-03`, `2024-3`, `2024/3`, `2024.3`, `202403`, `2024年3月`, or a date whose
    /// month is meant (`2024-03-01`, as a sheet's date cell arrives).
    pub fn parse(s: &str) -> Result<Month, MonthError> {
        let t = s.trim();
        let bad = || MonthError(t.to_owned());
        let digits_only = t.bytes().all(|b| b.is_ascii_digit());
        let (y, m) = if digits_only && t.len() == 6 {
            (&t[..4], &t[4..])
        } else if digits_only && t.len() == 8 {
            // 20240301: a date written without separators; the day must be real.
            let d = NaiveDate::parse_from_str(t, "%Y%m%d").map_err(|_| bad())?;
            return Ok(Month::of(d));
        } else {
            let t = t.trim_end_matches('月');
            let mut parts = t.split(['-', '/', '.', '年']);
            let y = parts.next().ok_or_else(bad)?;
            let m = parts.next().ok_or_else(bad)?;
            if let Some(day) = parts.next() {
                let day: u32 = day.trim_end_matches('日').parse().map_err(|_| bad())?;
                let (y, m): (i32, u32) =
                    (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
                NaiveDate::from_ymd_opt(y, m, day).ok_or_else(bad)?;
                if parts.next().is_some() {
                    return Err(bad());
                }
            }
            (y, m)
        };
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(bad());
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }

    pub fn of(d: NaiveDate) -> Month {
        Month {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Month {
        self.plus(1)
    }

    pub fn prev(self) -> Month {
        self.plus(-1)
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> Month {
        let i = self.index() + n;
        Month {
            year: i.div_euclid(12),
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }

    /// Months since year 0, for arithmetic and compact storage.
    pub fn index(self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }

    pub fn from_index(i: i32) -> Month {
        Month {
            year: i.div_euclid(12),
            month: (i.rem_euclid(12) + 1) as u32,
        }
    }

    /// The months from `self` to `to`, both included.
    pub fn through(self, to: Month) -> impl Iterator<Item = Month> {
        (self.index()..=to.index()).map(Month::from_index)
    }

    /// Chinese label: 2024年3月.
    pub fn label(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl serde::Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl utoipa::PartialSchema for Month {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9]{4}-[0-9]{2}$"))
            .description(Some("年月，如 2026-01"))
            .into()
    }
}

impl utoipa::ToSchema for Month {}

impl std::str::FromStr for Month {
    type Err = MonthError;
    fn from_str(s: &str) -> Result<Month, MonthError> {
        Month::parse(s)
    }
}

/// Whether `m` lies in `from ..= to` (`to` empty: open-ended).
pub fn in_range(m: Month, from: Month, to: Option<Month>) -> bool {
    from <= m && to.is_none_or(|t| m <= t)
}

/// Whether two month ranges share a month.
pub fn overlaps(a: (Month, Option<Month>), b: (Month, Option<Month>)) -> bool {
    a.1.is_none_or(|a_to| b.0 <= a_to) && b.1.is_none_or(|b_to| a.0 <= b_to)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn m(s: &str) -> Month {
        Month::parse(s).unwrap()
    }

    #[test]
    fn reads_the_ways_sheets_write_a_month() {
        for s in [
            "2024-03",
            "2024-3",
            "2024/3",
            "2024.03",
            "202403",
            "2024年3月",
            " 2024-03 ",
            "2024-03-01",
            "2024/3/31",
            "20240315",
        ] {
            assert_eq!(Month::parse(s), Ok(Month::new(2024, 3).unwrap()), "{s}");
        }
        for s in [
            "",
            "2024",
            "2024-13",
            "2024-00",
            "24-03",
            "2024-3-32",
            "20240230",
            "abc",
            "2024-03-01-02",
            "2024-003",
        ] {
            assert!(Month::parse(s).is_err(), "{s}");
        }
        assert_eq!(m("2024-03").to_string(), "2024-03");
        assert_eq!(m("2024-03").label(), "2024年3月");
    }

    #[test]
    fn arithmetic_crosses_years() {
        assert_eq!(m("2024-01").prev(), m("2023-12"));
        assert_eq!(m("2023-12").next(), m("2024-01"));
        assert_eq!(m("2024-05").plus(-17), m("2022-12"));
        assert_eq!(Month::from_index(m("2024-05").index()), m("2024-05"));
        assert_eq!(
            m("2023-11").through(m("2024-02")).collect::<Vec<_>>(),
            vec![m("2023-11"), m("2023-12"), m("2024-01"), m("2024-02")]
        );
        assert_eq!(m("2024-02").first_day().to_string(), "2024-02-01");
    }

    #[test]
    fn ranges_include_both_ends() {
        let (a, b) = (m("2024-01"), m("2024-06"));
        assert!(in_range(a, a, Some(b)));
        assert!(in_range(b, a, Some(b)));
        assert!(!in_range(b.next(), a, Some(b)));
        assert!(!in_range(a.prev(), a, Some(b)));
        assert!(in_range(m("2099-01"), a, None));
        assert!(overlaps((a, Some(b)), (b, None)));
        assert!(!overlaps((a, Some(b)), (b.next(), None)));
        assert!(overlaps((a, None), (m("2020-01"), Some(a))));
        assert!(!overlaps((a, None), (m("2020-01"), Some(a.prev()))));
    }
}
