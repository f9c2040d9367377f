//! The service chain 四定三包二保, as the federation records it per person: a post developed
//! for the person (定岗), training tailored to it (定向培训), the referral (推荐上岗), the
//! placement, then return visits at fixed months after placement (跟踪回访; the schedule is
//! data: `data/employment/visits.tsv`), and an adjustment (调整安置) when a placement fails.

use chrono::{Days, Months, NaiveDate};
use serde::Serialize;

use crate::data_table::DataTable;

/// A recorded step of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Post,
    Training,
    Referral,
    Visit,
    Adjustment,
}

impl StepKind {
    pub const ALL: [StepKind; 5] = [
        StepKind::Post,
        StepKind::Training,
        StepKind::Referral,
        StepKind::Visit,
        StepKind::Adjustment,
    ];

    /// The steps a worker records by hand (a visit belongs to a placement, an adjustment
    /// follows a failed one).
    pub const MANUAL: [StepKind; 3] = [StepKind::Post, StepKind::Training, StepKind::Referral];

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Post => "post",
            StepKind::Training => "training",
            StepKind::Referral => "referral",
            StepKind::Visit => "visit",
            StepKind::Adjustment => "adjustment",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StepKind::Post => "岗位开发（定岗）",
            StepKind::Training => "定向培训",
            StepKind::Referral => "推荐上岗",
            StepKind::Visit => "跟踪回访",
            StepKind::Adjustment => "调整安置",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        let s = s.trim();
        StepKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
            .or(match s {
                "定岗" | "岗位开发" => Some(StepKind::Post),
                "培训" => Some(StepKind::Training),
                "推荐" | "推荐就业" => Some(StepKind::Referral),
                "回访" => Some(StepKind::Visit),
                "调整" => Some(StepKind::Adjustment),
                _ => None,
            })
    }
}

/// One scheduled return visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VisitRule {
    pub no: u32,
    pub months: u32,
    /// Days before the due date from which the visit is on the worklist.
    pub notice_days: u32,
}

/// The return-visit schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitSchedule(pub Vec<VisitRule>);

/// A visit of a placement: its number, when it is due, and when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VisitDue {
    pub no: u32,
    pub months: u32,
    #[schema(value_type = String, format = Date)]
    pub due: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub done: Option<NaiveDate>,
}

impl VisitSchedule {
    pub fn parse(text: &str) -> Result<VisitSchedule, String> {
        let t = DataTable::parse("就业回访安排", text);
        let mut out = Vec::new();
        for i in 0..t.len() {
            out.push(VisitRule {
                no: t.value(i, "回访次序")?,
                months: t.value(i, "安置后月数")?,
                notice_days: t.value(i, "提前提醒（天）")?,
            });
        }
        out.sort_by_key(|r| r.no);
        if out.is_empty() || out.windows(2).any(|w| w[0].no == w[1].no) {
            return Err("就业回访安排应列出各次回访，次序不重复".into());
        }
        Ok(VisitSchedule(out))
    }

    pub fn shipped() -> Result<VisitSchedule, String> {
        VisitSchedule::parse(include_str!("../../../../data/employment/visits.tsv"))
    }

    pub fn rule(&self, no: u32) -> Option<VisitRule> {
        self.0.iter().find(|r| r.no == no).copied()
    }

    /// Each visit of a placement made on `placed_on`, with `done` (number, date) recorded.
    pub fn visits(&self, placed_on: NaiveDate, done: &[(u32, NaiveDate)]) -> Vec<VisitDue> {
        self.0
            .iter()
            .map(|r| VisitDue {
                no: r.no,
                months: r.months,
                due: placed_on
                    .checked_add_months(Months::new(r.months))
                    .unwrap_or(placed_on),
                done: done.iter().find(|(n, _)| *n == r.no).map(|(_, d)| *d),
            })
            .collect()
    }

    /// The first visit not yet made, if it is on the worklist on `today` (due within its
    /// notice, or overdue).
    pub fn next_on_worklist(
        &self,
        placed_on: NaiveDate,
        done: &[(u32, NaiveDate)],
        today: NaiveDate,
    ) -> Option<VisitDue> {
        let v = self
            .visits(placed_on, done)
            .into_iter()
            .find(|v| v.done.is_none())?;
        let notice = self.rule(v.no).map_or(0, |r| r.notice_days);
        (v.due
            .checked_sub_days(Days::new(u64::from(notice)))
            .unwrap_or(v.due)
            <= today)
            .then_some(v)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_shipped_schedule_visits_at_one_three_and_six_months() {
        let s = VisitSchedule::shipped().unwrap();
        let v = s.visits(d("2025-01-31"), &[(1, d("2025-03-01"))]);
        let due: Vec<NaiveDate> = v.iter().map(|v| v.due).collect();
        // Month ends clamp (31 January + 1 month is 28 February).
        assert_eq!(due, [d("2025-02-28"), d("2025-04-30"), d("2025-07-31")]);
        assert_eq!(v[0].done, Some(d("2025-03-01")));
        assert_eq!(v[1].done, None);
    }

    #[test]
    fn a_visit_joins_the_worklist_within_its_notice() {
        let s = VisitSchedule::shipped().unwrap();
        let placed = d("2025-03-10");
        // The first is due 2025-04-10, on the list from 2025-04-03.
        assert_eq!(s.next_on_worklist(placed, &[], d("2025-04-02")), None);
        assert_eq!(
            s.next_on_worklist(placed, &[], d("2025-04-03"))
                .map(|v| v.no),
            Some(1)
        );
        // Once made, the next (due 2025-06-10) waits for its notice.
        let done = [(1, d("2025-04-09"))];
        assert_eq!(s.next_on_worklist(placed, &done, d("2025-05-01")), None);
        assert_eq!(
            s.next_on_worklist(placed, &done, d("2025-07-01"))
                .map(|v| v.due),
            Some(d("2025-06-10"))
        );
        let all = [(1, placed), (2, placed), (3, placed)];
        assert_eq!(s.next_on_worklist(placed, &all, d("2026-01-01")), None);
    }

    #[test]
    fn a_schedule_without_rows_or_with_repeats_is_refused() {
        assert!(VisitSchedule::parse("回访次序\t安置后月数\t提前提醒（天）\n").is_err());
        assert!(
            VisitSchedule::parse("回访次序\t安置后月数\t提前提醒（天）\n1\t1\t7\n1\t3\t7\n")
                .is_err()
        );
        assert_eq!(StepKind::parse("定岗"), Some(StepKind::Post));
    }
}
