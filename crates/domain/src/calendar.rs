//! Working days (工作日): weekends and public holidays off, adjusted working days (调休) on.
//! Every time limit of the certificate work (5 working days of public notice, 10 of review,
//! 10 to appeal) is counted on this calendar, which is data: shipped for 2024-2026 from the
//! State Council's yearly arrangements, editable for later years.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// What a listed day is, against its weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// 放假: a holiday (or a day off moved onto a weekday).
    Holiday,
    /// 上班: a weekend day worked (调休).
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DayKind::Holiday => "放假",
            DayKind::Workday => "上班",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        match s.trim() {
            "holiday" | "放假" | "休息" | "假日" => Some(DayKind::Holiday),
            "workday" | "上班" | "调休上班" | "工作日" => Some(DayKind::Workday),
            _ => None,
        }
    }
}

/// One listed day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// The calendar: listed days override the weekday rule.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    days: BTreeMap<NaiveDate, DayKind>,
}

impl WorkCalendar {
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> WorkCalendar {
        WorkCalendar {
            days: days.into_iter().collect(),
        }
    }

    /// The calendar shipped with Anju (2024-2026).
    pub fn shipped() -> WorkCalendar {
        WorkCalendar::new(shipped_days().into_iter().map(|d| (d.date, d.kind)))
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`th working day after `start` (`start` itself not counted): the last day of a
    /// limit of `n` working days that begins the day after `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d + Days::new(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    /// Whether any day of `year` is listed (a year without its holidays is likely missing).
    pub fn knows_year(&self, year: i32) -> bool {
        let (Some(a), Some(b)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return false;
        };
        self.days.range(a..=b).next().is_some()
    }
}

/// The State Council's arrangements of public holidays for 2024, 2025 and 2026 (国务院办公厅
/// 关于部分节假日安排的通知): days off and the weekend days worked in exchange.
pub fn shipped_days() -> Vec<CalendarDay> {
    const OFF: &[(&str, &str, &str)] = &[
        ("2024-01-01", "2024-01-01", "元旦"),
        ("2024-02-10", "2024-02-17", "春节"),
        ("2024-04-04", "2024-04-06", "清明节"),
        ("2024-05-01", "2024-05-05", "劳动节"),
        ("2024-06-10", "2024-06-10", "端午节"),
        ("2024-09-15", "2024-09-17", "中秋节"),
        ("2024-10-01", "2024-10-07", "国庆节"),
        ("2025-01-01", "2025-01-01", "元旦"),
        ("2025-01-28", "2025-02-04", "春节"),
        ("2025-04-04", "2025-04-06", "清明节"),
        ("2025-05-01", "2025-05-05", "劳动节"),
        ("2025-05-31", "2025-06-02", "端午节"),
        ("2025-10-01", "2025-10-08", "国庆节、中秋节"),
        ("2026-01-01", "2026-01-03", "元旦"),
        ("2026-02-15", "2026-02-23", "春节"),
        ("2026-04-04", "2026-04-06", "清明节"),
        ("2026-05-01", "2026-05-05", "劳动节"),
        ("2026-06-19", "2026-06-21", "端午节"),
        ("2026-09-25", "2026-09-27", "中秋节"),
        ("2026-10-01", "2026-10-07", "国庆节"),
    ];
    const ON: &[(&str, &str)] = &[
        ("2024-02-04", "春节调休上班"),
        ("2024-02-18", "春节调休上班"),
        ("2024-04-07", "清明节调休上班"),
        ("2024-04-28", "劳动节调休上班"),
        ("2024-05-11", "劳动节调休上班"),
        ("2024-09-14", "中秋节调休上班"),
        ("2024-09-29", "国庆节调休上班"),
        ("2024-10-12", "国庆节调休上班"),
        ("2025-01-26", "春节调休上班"),
        ("2025-02-08", "春节调休上班"),
        ("2025-04-27", "劳动节调休上班"),
        ("2025-09-28", "国庆节调休上班"),
        ("2025-10-11", "国庆节调休上班"),
        ("2026-01-04", "元旦调休上班"),
        ("2026-02-14", "春节调休上班"),
        ("2026-02-28", "春节调休上班"),
        ("2026-05-09", "劳动节调休上班"),
        ("2026-09-20", "国庆节调休上班"),
        ("2026-10-10", "国庆节调休上班"),
    ];
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    let mut out = Vec::new();
    for (from, to, name) in OFF {
        let mut d = date(from);
        while d <= date(to) {
            out.push(CalendarDay {
                date: d,
                kind: DayKind::Holiday,
                name: (*name).to_owned(),
            });
            d = d + Days::new(1);
        }
    }
    for (d, name) in ON {
        out.push(CalendarDay {
            date: date(d),
            kind: DayKind::Workday,
            name: (*name).to_owned(),
        });
    }
    out.sort_by_key(|d| d.date);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weekends_holidays_and_adjusted_days() {
        let c = WorkCalendar::shipped();
        assert!(c.is_working_day(d("2025-03-03")), "a Monday");
        assert!(!c.is_working_day(d("2025-03-08")), "a Saturday");
        assert!(!c.is_working_day(d("2025-10-08")), "the National Day week");
        assert!(c.is_working_day(d("2025-09-28")), "a Sunday worked");
        assert!(
            !c.is_working_day(d("2026-02-23")),
            "a Monday of the Spring Festival"
        );
        assert!(c.is_working_day(d("2026-02-28")), "a Saturday worked");
        for y in [2024, 2025, 2026] {
            assert!(c.knows_year(y));
        }
        assert!(!c.knows_year(2027));
    }

    #[test]
    fn limits_count_working_days_only() {
        let c = WorkCalendar::shipped();
        // A notice posted on Friday 2025-09-26: 5 working days are Sun 28 (worked), Mon 29,
        // Tue 30, then the holiday to the 8th, Thu 9 and Fri 10.
        assert_eq!(c.add_working_days(d("2025-09-26"), 5), d("2025-10-10"));
        assert_eq!(c.working_days_between(d("2025-09-26"), d("2025-10-10")), 5);
        // 10 working days from an ordinary Monday: the Monday two weeks later.
        assert_eq!(c.add_working_days(d("2025-03-03"), 10), d("2025-03-17"));
        assert_eq!(c.working_days_between(d("2025-03-17"), d("2025-03-03")), 0);
        // Without any listed day: weekdays only.
        let plain = WorkCalendar::default();
        assert_eq!(plain.add_working_days(d("2025-10-01"), 5), d("2025-10-08"));
    }

    #[test]
    fn shipped_days_are_distinct_and_sensible() {
        let days = shipped_days();
        let mut dates: Vec<_> = days.iter().map(|d| d.date).collect();
        dates.dedup();
        assert_eq!(dates.len(), days.len());
        for day in &days {
            let weekend = matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun);
            if day.kind == DayKind::Workday {
                assert!(weekend, "{:?} is worked but not a weekend day", day.date);
            }
        }
    }
}
