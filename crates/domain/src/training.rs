//! Training (培训) for disabled people: courses (vocational skills or start-up; who runs them,
//! the dates and hours) and who attended, how many hours, and whether they finished. People
//! who finished a course ending in a year are that year's trained people (the plan's
//! indicator). Reference §5.

use chrono::NaiveDate;
use serde::Serialize;

use crate::region::RegionTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CourseKind {
    Vocational,
    Startup,
}

impl CourseKind {
    pub const ALL: [CourseKind; 2] = [CourseKind::Vocational, CourseKind::Startup];

    pub fn as_str(self) -> &'static str {
        match self {
            CourseKind::Vocational => "vocational",
            CourseKind::Startup => "startup",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CourseKind::Vocational => "职业技能培训",
            CourseKind::Startup => "创业培训",
        }
    }

    pub fn parse(s: &str) -> Option<CourseKind> {
        let s = s.trim();
        CourseKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label() == s)
            .or(match s {
                "职业技能" | "技能培训" | "职业培训" => Some(CourseKind::Vocational),
                "创业" => Some(CourseKind::Startup),
                _ => None,
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Course {
    pub name: String,
    pub kind: CourseKind,
    pub provider: String,
    /// The region that runs it (its people may attend).
    pub region_code: String,
    #[schema(value_type = String, format = Date)]
    pub starts_on: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub ends_on: NaiveDate,
    pub hours: u32,
}

#[derive(Debug, Clone, Default)]
pub struct CourseInput {
    pub name: String,
    pub kind: String,
    pub provider: String,
    pub region_code: String,
    pub starts_on: String,
    pub ends_on: String,
    pub hours: String,
}

/// The most hours a course may have (a year of full days).
pub const MAX_HOURS: u32 = 2000;

impl CourseInput {
    pub fn validate(&self, table: &RegionTable) -> Result<Course, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            faults.push(("课程名称", "请填写课程名称（不超过100个字）".into()));
        }
        let kind = CourseKind::parse(&self.kind);
        if kind.is_none() {
            faults.push((
                "培训类型",
                format!("“{}”应为职业技能培训或创业培训", self.kind.trim()),
            ));
        }
        let provider = self.provider.trim();
        if provider.is_empty() || provider.chars().count() > 100 {
            faults.push(("培训机构", "请填写培训机构（不超过100个字）".into()));
        }
        let region = match crate::jobs::region_of(table, &self.region_code) {
            Ok(r) => Some(r),
            Err(e) => {
                faults.push(("举办地区", e));
                None
            }
        };
        let date = |field: &'static str, s: &str, faults: &mut Vec<(&'static str, String)>| {
            let d = crate::person::parse_date(s);
            if d.is_none() {
                faults.push((field, format!("“{}”不是有效的日期", s.trim())));
            }
            d
        };
        let starts = date("开始日期", &self.starts_on, &mut faults);
        let ends = date("结束日期", &self.ends_on, &mut faults);
        if let (Some(s), Some(e)) = (starts, ends)
            && e < s
        {
            faults.push(("结束日期", "结束日期早于开始日期".into()));
        }
        let hours = match self.hours.trim().parse::<u32>() {
            Ok(h) if (1..=MAX_HOURS).contains(&h) => Some(h),
            _ => {
                faults.push((
                    "课时",
                    format!("“{}”应为1至{MAX_HOURS}的整数", self.hours.trim()),
                ));
                None
            }
        };
        match (kind, region, starts, ends, hours) {
            (Some(kind), Some(region_code), Some(starts_on), Some(ends_on), Some(hours))
                if faults.is_empty() =>
            {
                Ok(Course {
                    name: name.to_owned(),
                    kind,
                    provider: provider.to_owned(),
                    region_code,
                    starts_on,
                    ends_on,
                    hours,
                })
            }
            _ => Err(faults),
        }
    }
}

/// Attendance as typed: hours attended (not more than the course's) and whether finished.
pub fn attendance(
    course_hours: u32,
    hours: &str,
    completed: &str,
) -> Result<(u32, bool), Vec<(&'static str, String)>> {
    let mut faults = Vec::new();
    let h = match hours.trim().parse::<u32>() {
        Ok(h) if h <= course_hours => Some(h),
        _ => {
            faults.push((
                "出勤课时",
                format!("“{}”应为0至{course_hours}的整数", hours.trim()),
            ));
            None
        }
    };
    let done = match completed.trim() {
        "是" | "true" | "1" | "on" | "结业" => Some(true),
        "否" | "false" | "0" | "" | "未结业" => Some(false),
        other => {
            faults.push(("是否结业", format!("“{other}”应为是或否")));
            None
        }
    };
    match (h, done) {
        (Some(h), Some(d)) if faults.is_empty() => Ok((h, d)),
        _ => Err(faults),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_course_names_every_fault() {
        let t = RegionTable::jiangsu();
        let ok = CourseInput {
            name: "电子商务".into(),
            kind: "创业".into(),
            provider: "吴中区职业培训中心".into(),
            region_code: "320506".into(),
            starts_on: "2025-03-01".into(),
            ends_on: "2025-03-20".into(),
            hours: "60".into(),
        }
        .validate(t)
        .unwrap();
        assert_eq!(ok.kind, CourseKind::Startup);
        assert_eq!(ok.region_code, "320506000000");
        let bad = CourseInput {
            kind: "烹饪".into(),
            region_code: "99".into(),
            starts_on: "2025-03-20".into(),
            ends_on: "2025-03-01".into(),
            hours: "0".into(),
            ..Default::default()
        }
        .validate(t)
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|f| f.0).collect();
        assert_eq!(
            fields,
            [
                "课程名称",
                "培训类型",
                "培训机构",
                "举办地区",
                "结束日期",
                "课时"
            ]
        );
    }

    #[test]
    fn attendance_is_bounded_by_the_course() {
        assert_eq!(attendance(60, "60", "是"), Ok((60, true)));
        assert_eq!(attendance(60, "12", ""), Ok((12, false)));
        assert!(attendance(60, "61", "是").is_err());
        assert!(attendance(60, "5", "也许").is_err());
    }
}
