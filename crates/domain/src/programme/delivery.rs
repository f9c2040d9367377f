//! What a provider delivered on a case (服务记录): rehabilitation sessions attended, a device
//! fitted or followed up, a home-care visit with its start and end, a day in day care, a stage
//! of renovation works. Each is a number of units that settlement prices (次, 天, 月, 件, 户).

use chrono::{NaiveDate, NaiveTime};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    /// Rehabilitation sessions attended.
    Session,
    /// A device fitted.
    Fitting,
    /// A return visit after fitting or placement.
    FollowUp,
    /// A home-care visit, with its start and end time.
    Visit,
    /// Days attended in day or residential care.
    Attendance,
    /// A stage of renovation works (survey, works, acceptance).
    WorksStage,
    Other,
}

impl DeliveryKind {
    pub const ALL: [DeliveryKind; 7] = [
        DeliveryKind::Session,
        DeliveryKind::Fitting,
        DeliveryKind::FollowUp,
        DeliveryKind::Visit,
        DeliveryKind::Attendance,
        DeliveryKind::WorksStage,
        DeliveryKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryKind::Session => "session",
            DeliveryKind::Fitting => "fitting",
            DeliveryKind::FollowUp => "follow_up",
            DeliveryKind::Visit => "visit",
            DeliveryKind::Attendance => "attendance",
            DeliveryKind::WorksStage => "works_stage",
            DeliveryKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryKind::Session => "康复训练",
            DeliveryKind::Fitting => "辅具适配",
            DeliveryKind::FollowUp => "回访",
            DeliveryKind::Visit => "上门服务",
            DeliveryKind::Attendance => "出勤",
            DeliveryKind::WorksStage => "施工阶段",
            DeliveryKind::Other => "其他服务",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryKind> {
        DeliveryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim() || k.label() == s.trim())
    }
}

/// A delivery as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub kind: DeliveryKind,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Units delivered (sessions, days, items); a visit is one.
    pub units: u32,
    #[schema(value_type = Option<String>)]
    pub start: Option<NaiveTime>,
    #[schema(value_type = Option<String>)]
    pub end: Option<NaiveTime>,
    pub note: String,
}

impl Delivery {
    /// Minutes of a visit (end after start, the same day).
    pub fn minutes(&self) -> Option<i64> {
        match (self.start, self.end) {
            (Some(s), Some(e)) => Some((e - s).num_minutes()),
            _ => None,
        }
    }
}

/// A delivery's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct DeliveryInput {
    pub kind: String,
    pub date: String,
    pub units: String,
    pub start: String,
    pub end: String,
    pub note: String,
}

fn time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .ok()
}

impl DeliveryInput {
    /// The delivery on a case opened on `opened`, recorded on `today`; every fault by its
    /// field, in Chinese.
    pub fn validate(
        &self,
        opened: NaiveDate,
        today: NaiveDate,
    ) -> Result<Delivery, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let kind = DeliveryKind::parse(&self.kind);
        if kind.is_none() {
            faults.push((
                "服务类型",
                format!(
                    "“{}”不是服务类型，应为{}",
                    self.kind,
                    DeliveryKind::ALL.map(DeliveryKind::label).join("、")
                ),
            ));
        }
        let date = crate::person::parse_date(&self.date);
        match date {
            None => faults.push(("服务日期", format!("“{}”不是有效的日期", self.date))),
            Some(d) if d > today => faults.push(("服务日期", "服务日期不能晚于今天".into())),
            Some(d) if d < opened => {
                faults.push(("服务日期", format!("服务日期早于个案受理日期（{opened}）")))
            }
            Some(_) => {}
        }
        let units = match self.units.trim() {
            "" => Some(1),
            u => match u.parse::<u32>() {
                Ok(n) if (1..=366).contains(&n) => Some(n),
                _ => {
                    faults.push(("数量", format!("数量“{u}”应为1至366的整数")));
                    None
                }
            },
        };
        let start = match self.start.trim() {
            "" => None,
            s => {
                let t = time(s);
                if t.is_none() {
                    faults.push(("开始时间", format!("“{s}”不是时间，应如09:30")));
                }
                t
            }
        };
        let end = match self.end.trim() {
            "" => None,
            s => {
                let t = time(s);
                if t.is_none() {
                    faults.push(("结束时间", format!("“{s}”不是时间，应如10:30")));
                }
                t
            }
        };
        if kind == Some(DeliveryKind::Visit) {
            match (start, end) {
                (Some(s), Some(e)) if e <= s => {
                    faults.push(("结束时间", "结束时间应晚于开始时间".into()));
                }
                (Some(_), Some(_)) => {}
                _ if self.start.trim().is_empty() || self.end.trim().is_empty() => {
                    faults.push(("开始时间", "上门服务须填写开始和结束时间".into()));
                }
                _ => {}
            }
            if units.is_some_and(|u| u != 1) {
                faults.push(("数量", "一条上门服务记录为一次".into()));
            }
        }
        if self.note.chars().count() > 500 {
            faults.push(("服务内容", "服务内容不能超过500个字".into()));
        }
        match (kind, date, units) {
            (Some(kind), Some(date), Some(units)) if faults.is_empty() => Ok(Delivery {
                kind,
                date,
                units,
                start,
                end,
                note: self.note.trim().to_owned(),
            }),
            _ => Err(faults),
        }
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
    fn a_visit_has_its_start_and_end() {
        let i = DeliveryInput {
            kind: "上门服务".into(),
            date: "2025-09-10".into(),
            units: String::new(),
            start: "09:30".into(),
            end: "10:15".into(),
            note: "助浴、康复指导".into(),
        };
        let v = i.validate(d("2025-09-01"), d("2025-10-01")).unwrap();
        assert_eq!((v.units, v.minutes()), (1, Some(45)));
        let mut bad = i.clone();
        bad.end = "09:00".into();
        bad.date = "2025-08-31".into();
        let fields: Vec<&str> = bad
            .validate(d("2025-09-01"), d("2025-10-01"))
            .unwrap_err()
            .iter()
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(fields, vec!["服务日期", "结束时间"]);
        let mut none = i;
        none.start = String::new();
        assert!(none.validate(d("2025-09-01"), d("2025-10-01")).is_err());
    }

    #[test]
    fn sessions_count_units_and_future_dates_are_refused() {
        let i = DeliveryInput {
            kind: "康复训练".into(),
            date: "2025-09-10".into(),
            units: "4".into(),
            ..Default::default()
        };
        assert_eq!(
            i.validate(d("2025-09-01"), d("2025-10-01")).unwrap().units,
            4
        );
        let mut late = i.clone();
        late.date = "2025-10-02".into();
        assert!(late.validate(d("2025-09-01"), d("2025-10-01")).is_err());
        let mut zero = i;
        zero.units = "0".into();
        assert!(zero.validate(d("2025-09-01"), d("2025-10-01")).is_err());
    }
}
