//! Care supervision (托养监管): a care case's plan (visits a month and minutes a visit for home
//! care, days a month for day or residential care) set against what the provider recorded in
//! a month, every shortfall named. Reference §7.

use serde::Serialize;

use super::delivery::{Delivery, DeliveryKind};

/// A care case's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct CarePlan {
    pub visits_a_month: Option<u32>,
    pub minutes_a_visit: Option<u32>,
    pub days_a_month: Option<u32>,
    /// The member works in auxiliary employment (辅助性就业) at the home.
    pub auxiliary_employment: bool,
}

/// A plan as typed.
#[derive(Debug, Clone, Default)]
pub struct CarePlanInput {
    pub visits_a_month: String,
    pub minutes_a_visit: String,
    pub days_a_month: String,
    pub auxiliary_employment: bool,
}

fn count(
    field: &'static str,
    s: &str,
    range: std::ops::RangeInclusive<u32>,
    faults: &mut Vec<(&'static str, String)>,
) -> Option<u32> {
    match s.trim() {
        "" => None,
        t => match t.parse::<u32>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                faults.push((
                    field,
                    format!("“{t}”应为{}至{}的整数", range.start(), range.end()),
                ));
                None
            }
        },
    }
}

impl CarePlanInput {
    /// The plan, or every fault by field: visits need their minutes, and a plan has visits
    /// or days.
    pub fn validate(&self) -> Result<CarePlan, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let visits = count("每月上门次数", &self.visits_a_month, 1..=62, &mut faults);
        let minutes = count("每次服务分钟", &self.minutes_a_visit, 10..=600, &mut faults);
        let days = count("每月出勤天数", &self.days_a_month, 1..=31, &mut faults);
        if faults.is_empty() {
            if visits.is_some() != minutes.is_some() {
                faults.push(("每次服务分钟", "上门次数和每次服务分钟须同时填写".into()));
            }
            if visits.is_none() && days.is_none() {
                faults.push((
                    "每月上门次数",
                    "托养计划须有每月上门次数或每月出勤天数".into(),
                ));
            }
        }
        if faults.is_empty() {
            Ok(CarePlan {
                visits_a_month: visits,
                minutes_a_visit: minutes,
                days_a_month: days,
                auxiliary_employment: self.auxiliary_employment,
            })
        } else {
            Err(faults)
        }
    }
}

/// One case's month: the plan against what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Supervision {
    pub planned_visits: u32,
    pub visits: u32,
    /// Visits shorter than the plan's minutes.
    pub short_visits: u32,
    pub minutes: i64,
    pub planned_days: u32,
    pub days: u32,
    /// Every shortfall, in Chinese; empty when the month met the plan.
    pub shortfalls: Vec<String>,
}

/// The month's deliveries of one case against its plan (`None`: no plan was set).
pub fn supervise(plan: Option<&CarePlan>, month: &[Delivery]) -> Supervision {
    let visits: Vec<i64> = month
        .iter()
        .filter(|d| d.kind == DeliveryKind::Visit)
        .map(|d| d.minutes().unwrap_or(0))
        .collect();
    let days: u32 = month
        .iter()
        .filter(|d| d.kind == DeliveryKind::Attendance)
        .map(|d| d.units)
        .sum();
    let mut s = Supervision {
        visits: u32::try_from(visits.len()).unwrap_or(u32::MAX),
        minutes: visits.iter().sum(),
        days,
        ..Supervision::default()
    };
    let Some(plan) = plan else {
        s.shortfalls.push("未制定托养计划".into());
        return s;
    };
    if let Some(n) = plan.visits_a_month {
        s.planned_visits = n;
        if s.visits < n {
            s.shortfalls.push(format!(
                "上门服务计划{n}次，记录{}次，少{}次",
                s.visits,
                n - s.visits
            ));
        }
    }
    if let Some(m) = plan.minutes_a_visit {
        let short: Vec<String> = visits
            .iter()
            .filter(|&&v| v < i64::from(m))
            .map(ToString::to_string)
            .collect();
        s.short_visits = u32::try_from(short.len()).unwrap_or(u32::MAX);
        if !short.is_empty() {
            s.shortfalls.push(format!(
                "{}次上门服务不足{m}分钟（{}分钟）",
                short.len(),
                short.join("、")
            ));
        }
    }
    if let Some(n) = plan.days_a_month {
        s.planned_days = n;
        if days < n {
            s.shortfalls
                .push(format!("出勤计划{n}天，记录{days}天，少{}天", n - days));
        }
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    fn visit(day: u32, from: &str, to: &str) -> Delivery {
        Delivery {
            kind: DeliveryKind::Visit,
            date: chrono::NaiveDate::from_ymd_opt(2025, 9, day).unwrap(),
            units: 1,
            start: Some(NaiveTime::parse_from_str(from, "%H:%M").unwrap()),
            end: Some(NaiveTime::parse_from_str(to, "%H:%M").unwrap()),
            note: String::new(),
        }
    }

    #[test]
    fn every_shortfall_is_named() {
        let plan = CarePlanInput {
            visits_a_month: "4".into(),
            minutes_a_visit: "60".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        let month = [
            visit(2, "09:00", "10:00"),
            visit(9, "09:00", "09:45"),
            visit(16, "14:00", "15:30"),
        ];
        let s = supervise(Some(&plan), &month);
        assert_eq!((s.visits, s.short_visits, s.minutes), (3, 1, 195));
        assert_eq!(
            s.shortfalls,
            vec![
                "上门服务计划4次，记录3次，少1次".to_owned(),
                "1次上门服务不足60分钟（45分钟）".to_owned()
            ]
        );
        let mut full = month.to_vec();
        full[1] = visit(9, "09:00", "10:00");
        full.push(visit(23, "09:00", "10:10"));
        assert!(supervise(Some(&plan), &full).shortfalls.is_empty());
        assert_eq!(
            supervise(None, &full).shortfalls,
            vec!["未制定托养计划".to_owned()]
        );
    }

    #[test]
    fn days_attended_count_units() {
        let plan = CarePlan {
            days_a_month: Some(20),
            ..CarePlan::default()
        };
        let mut day = visit(1, "09:00", "10:00");
        day.kind = DeliveryKind::Attendance;
        day.units = 18;
        let s = supervise(Some(&plan), &[day]);
        assert_eq!(
            s.shortfalls,
            vec!["出勤计划20天，记录18天，少2天".to_owned()]
        );
    }

    #[test]
    fn a_plan_needs_visits_with_minutes_or_days() {
        let e = CarePlanInput::default().validate().unwrap_err();
        assert_eq!(e[0].0, "每月上门次数");
        let e = CarePlanInput {
            visits_a_month: "4".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e[0].0, "每次服务分钟");
        let e = CarePlanInput {
            days_a_month: "40".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e[0].0, "每月出勤天数");
    }
}
