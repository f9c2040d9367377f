//! Employment (就业) of people of working age: the form of their work (or why they have none
//! and what they live on), the employer, since when; every change kept. 实名制新增就业: a person
//! counts once in a year when newly employed that year — never employed before, or employed
//! again after a stretch without work at least as long as the window. The working-age band
//! and the window are data (`data/employment/rules.tsv`). Reference §5.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use crate::credit_code::CreditCode;

/// The form of a person's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentForm {
    Quota,
    Concentrated,
    SelfEmployed,
    Auxiliary,
    Rural,
    Flexible,
    PublicWelfare,
    Unemployed,
}

impl EmploymentForm {
    pub const ALL: [EmploymentForm; 8] = [
        EmploymentForm::Quota,
        EmploymentForm::Concentrated,
        EmploymentForm::SelfEmployed,
        EmploymentForm::Auxiliary,
        EmploymentForm::Rural,
        EmploymentForm::Flexible,
        EmploymentForm::PublicWelfare,
        EmploymentForm::Unemployed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentForm::Quota => "quota",
            EmploymentForm::Concentrated => "concentrated",
            EmploymentForm::SelfEmployed => "self_employed",
            EmploymentForm::Auxiliary => "auxiliary",
            EmploymentForm::Rural => "rural",
            EmploymentForm::Flexible => "flexible",
            EmploymentForm::PublicWelfare => "public_welfare",
            EmploymentForm::Unemployed => "unemployed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmploymentForm::Quota => "按比例",
            EmploymentForm::Concentrated => "集中",
            EmploymentForm::SelfEmployed => "个体/创业",
            EmploymentForm::Auxiliary => "辅助性",
            EmploymentForm::Rural => "农村种养加",
            EmploymentForm::Flexible => "灵活",
            EmploymentForm::PublicWelfare => "公益性岗位",
            EmploymentForm::Unemployed => "未就业",
        }
    }

    pub fn parse(s: &str) -> Option<EmploymentForm> {
        let s = s.trim();
        EmploymentForm::ALL
            .into_iter()
            .find(|f| f.label() == s || f.as_str() == s)
            .or(match s {
                "按比例就业" => Some(EmploymentForm::Quota),
                "集中就业" => Some(EmploymentForm::Concentrated),
                "个体" | "创业" | "个体就业" | "自主创业" => {
                    Some(EmploymentForm::SelfEmployed)
                }
                "辅助性就业" => Some(EmploymentForm::Auxiliary),
                "灵活就业" => Some(EmploymentForm::Flexible),
                "公益性岗位就业" => Some(EmploymentForm::PublicWelfare),
                "失业" | "无业" => Some(EmploymentForm::Unemployed),
                _ => None,
            })
    }

    pub fn is_employed(self) -> bool {
        self != EmploymentForm::Unemployed
    }
}

/// The rules held as data: the working-age band and the re-employment window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EmploymentRules {
    pub age_from: u32,
    pub age_to: u32,
    /// Months without work after which a new job counts as new employment again.
    pub window_months: u32,
}

impl EmploymentRules {
    /// Whether someone born on `born` is of working age on `on` (whole years, both ends in).
    pub fn of_working_age(&self, born: NaiveDate, on: NaiveDate) -> bool {
        let age = crate::id_number::age_on(born, on);
        u32::try_from(age).is_ok_and(|a| (self.age_from..=self.age_to).contains(&a))
    }

    /// The rules shipped (`data/employment/rules.tsv`).
    pub fn shipped() -> Result<EmploymentRules, String> {
        let t = crate::data_table::DataTable::parse(
            "就业规则",
            include_str!("../../../data/employment/rules.tsv"),
        );
        Ok(EmploymentRules {
            age_from: t.value(0, "劳动年龄起")?,
            age_to: t.value(0, "劳动年龄止")?,
            window_months: t.value(0, "再就业间隔（月）")?,
        })
    }
}

/// One recorded status: from `since`, the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Status {
    pub form: EmploymentForm,
    #[schema(value_type = String, format = Date)]
    pub since: NaiveDate,
    pub employer_code: Option<String>,
    pub employer_name: String,
    /// Why not employed, and what the person lives on (未就业 only).
    pub reason: String,
    pub means: String,
}

/// A status as typed.
#[derive(Debug, Clone, Default)]
pub struct StatusInput {
    pub form: String,
    pub since: String,
    pub employer_code: String,
    pub employer_name: String,
    pub reason: String,
    pub means: String,
}

impl StatusInput {
    /// The status, or every fault by field: a date not after `today` nor before `born`;
    /// 按比例 and 集中 name their employer; 未就业 says why and what the person lives on.
    pub fn validate(
        &self,
        born: NaiveDate,
        today: NaiveDate,
    ) -> Result<Status, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let form = EmploymentForm::parse(&self.form);
        if form.is_none() {
            faults.push((
                "就业形式",
                format!(
                    "“{}”应为{}",
                    self.form.trim(),
                    EmploymentForm::ALL.map(EmploymentForm::label).join("、")
                ),
            ));
        }
        let since = crate::person::parse_date(&self.since);
        match since {
            None => faults.push(("起始日期", format!("“{}”不是有效的日期", self.since.trim()))),
            Some(d) if d > today => faults.push(("起始日期", "起始日期不能晚于今天".into())),
            Some(d) if d < born => faults.push(("起始日期", "起始日期早于出生日期".into())),
            Some(_) => {}
        }
        let code = match self.employer_code.trim() {
            "" => None,
            c => match CreditCode::parse(c) {
                Ok(c) => Some(c.to_string()),
                Err(e) => {
                    faults.push(("用人单位信用代码", e.to_string()));
                    None
                }
            },
        };
        let name = self.employer_name.trim();
        if name.chars().count() > 100 {
            faults.push(("用人单位", "用人单位名称不能超过100个字".into()));
        }
        match form {
            Some(EmploymentForm::Quota | EmploymentForm::Concentrated)
                if name.is_empty() && code.is_none() =>
            {
                faults.push(("用人单位", "按比例和集中就业须填写用人单位".into()));
            }
            Some(EmploymentForm::Unemployed) => {
                if self.reason.trim().is_empty() {
                    faults.push(("未就业原因", "未就业须填写原因".into()));
                }
                if self.means.trim().is_empty() {
                    faults.push(("生活来源", "未就业须填写主要生活来源".into()));
                }
            }
            _ => {}
        }
        for (field, text) in [("未就业原因", &self.reason), ("生活来源", &self.means)] {
            if text.chars().count() > 200 {
                faults.push((field, "不能超过200个字".into()));
            }
        }
        match (form, since) {
            (Some(form), Some(since)) if faults.is_empty() => Ok(Status {
                form,
                since,
                employer_code: code,
                employer_name: name.to_owned(),
                reason: if form.is_employed() {
                    String::new()
                } else {
                    self.reason.trim().to_owned()
                },
                means: if form.is_employed() {
                    String::new()
                } else {
                    self.means.trim().to_owned()
                },
            }),
            _ => Err(faults),
        }
    }
}

/// When the person became newly employed in `year` (实名制新增就业), if they did: the first
/// start of work in the year that follows no work at all before, or a stretch without work of
/// at least `window_months`. `history` in any order; a change of form while employed is not
/// new employment.
pub fn newly_employed(history: &[Status], year: i32, window_months: u32) -> Option<NaiveDate> {
    let mut h: Vec<&Status> = history.iter().collect();
    h.sort_by_key(|s| s.since);
    let mut employed = false;
    let mut ever = false;
    let mut out_since: Option<NaiveDate> = None;
    for s in h {
        if s.form.is_employed() {
            if !employed {
                let new = !ever
                    || out_since.is_some_and(|o| {
                        o.checked_add_months(Months::new(window_months))
                            .is_some_and(|back| s.since >= back)
                    });
                if new && chrono::Datelike::year(&s.since) == year {
                    return Some(s.since);
                }
            }
            employed = true;
            ever = true;
        } else {
            if employed || out_since.is_none() {
                out_since = Some(s.since);
            }
            employed = false;
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn st(form: EmploymentForm, since: &str) -> Status {
        Status {
            form,
            since: since.parse().unwrap(),
            employer_code: None,
            employer_name: String::new(),
            reason: String::new(),
            means: String::new(),
        }
    }

    #[test]
    fn new_employment_is_counted_once_with_the_window() {
        use EmploymentForm::*;
        let d = |s: &str| -> NaiveDate { s.parse().unwrap() };
        // First job ever.
        assert_eq!(
            newly_employed(&[st(Flexible, "2025-03-01")], 2025, 6),
            Some(d("2025-03-01"))
        );
        // Employed since 2024: a change of form in 2025 is not new.
        let h = [st(Quota, "2024-05-01"), st(Concentrated, "2025-02-01")];
        assert_eq!(newly_employed(&h, 2025, 6), None);
        // Out of work for 5 months: not new; for 6: new.
        let h = [
            st(Quota, "2023-01-01"),
            st(Unemployed, "2024-10-01"),
            st(Quota, "2025-03-01"),
        ];
        assert_eq!(newly_employed(&h, 2025, 6), None);
        let h = [
            st(Quota, "2023-01-01"),
            st(Unemployed, "2024-09-01"),
            st(Quota, "2025-03-01"),
        ];
        assert_eq!(newly_employed(&h, 2025, 6), Some(d("2025-03-01")));
        // Twice in a year: counted once, at the first.
        let h = [
            st(Unemployed, "2020-01-01"),
            st(Flexible, "2025-01-10"),
            st(Unemployed, "2025-02-01"),
            st(Quota, "2025-11-01"),
        ];
        assert_eq!(newly_employed(&h, 2025, 6), Some(d("2025-01-10")));
        // Recorded as never having worked, then a job: new.
        let h = [st(Unemployed, "2024-12-01"), st(Rural, "2025-01-15")];
        assert_eq!(newly_employed(&h, 2025, 6), Some(d("2025-01-15")));
    }

    #[test]
    fn a_status_names_its_faults() {
        let born: NaiveDate = "1990-01-01".parse().unwrap();
        let today: NaiveDate = "2026-12-01".parse().unwrap();
        let e = StatusInput {
            form: "未就业".into(),
            since: "2027-01-01".into(),
            ..Default::default()
        }
        .validate(born, today)
        .unwrap_err();
        let f: Vec<&str> = e.iter().map(|x| x.0).collect();
        assert_eq!(f, vec!["起始日期", "未就业原因", "生活来源"]);
        let e = StatusInput {
            form: "按比例".into(),
            since: "2025-01-01".into(),
            employer_code: "91350100M000100Y44".into(),
            ..Default::default()
        }
        .validate(born, today)
        .unwrap_err();
        assert_eq!(e[0].0, "用人单位信用代码");
        let ok = StatusInput {
            form: "按比例就业".into(),
            since: "2025-01-01".into(),
            employer_code: "91350100m000100y43".into(),
            employer_name: "甲公司".into(),
            reason: "不该留".into(),
            ..Default::default()
        }
        .validate(born, today)
        .unwrap();
        assert_eq!(ok.employer_code.as_deref(), Some("91350100M000100Y43"));
        assert!(ok.reason.is_empty());
        assert_eq!(EmploymentRules::shipped().unwrap().window_months, 6);
    }
}
