//! Home visits (入户访视): who is visited how often (rules held as data in
//! `data/visits/rules.tsv`), what a visit records (the structured situation of
//! `data/visits/situation.tsv` and the need items), and when the next visit is due.

use chrono::{Months, NaiveDate};

use crate::data_table::DataTable;
use crate::needs::NeedItems;

/// What makes a person due for visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The household receives 低保, 低保边缘 or 特困 support this month.
    Hardship,
    /// The latest visit found the person living alone.
    Alone,
    /// A grade 1 or 2 certificate in force.
    Severe,
    /// An open care case whose plan sets visits a month (居家托养).
    HomeCare,
}

impl Condition {
    pub fn parse(s: &str) -> Option<Condition> {
        Some(match s.trim() {
            "hardship" => Condition::Hardship,
            "alone" => Condition::Alone,
            "severe" => Condition::Severe,
            "home_care" => Condition::HomeCare,
            _ => return None,
        })
    }
}

/// What is known of a person that the rules look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitFacts {
    pub hardship: bool,
    pub alone: bool,
    pub severe: bool,
    pub home_care: bool,
}

impl VisitFacts {
    fn has(&self, c: Condition) -> bool {
        match c {
            Condition::Hardship => self.hardship,
            Condition::Alone => self.alone,
            Condition::Severe => self.severe,
            Condition::HomeCare => self.home_care,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VisitRule {
    pub name: String,
    pub condition: Condition,
    pub months: u32,
}

/// The visit rules, and the follow-up deadline.
#[derive(Debug, Clone)]
pub struct VisitRules {
    pub rules: Vec<VisitRule>,
    /// Working days a town has for a follow-up a visit raised.
    pub followup_days: u32,
    /// Days before a visit is due that it joins the worklist.
    pub notice_days: u32,
}

/// When a person's next visit is due, and under which rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Due {
    pub rule: String,
    pub months: u32,
    pub due_on: NaiveDate,
    pub overdue: bool,
    /// Never visited: due from today.
    pub never: bool,
}

impl VisitRules {
    pub fn parse(rules: &str, settings: &str) -> Result<VisitRules, String> {
        let t = DataTable::parse("入户访视规则表", rules);
        let mut out = Vec::with_capacity(t.len());
        for i in 0..t.len() {
            let c = t.text(i, "条件")?;
            let condition = Condition::parse(c)
                .ok_or_else(|| format!("入户访视规则表第{}行的条件“{c}”无法识别", i + 1))?;
            let months: u32 = t.value(i, "间隔月数")?;
            if months == 0 {
                return Err(format!("入户访视规则表第{}行的间隔月数应大于0", i + 1));
            }
            out.push(VisitRule {
                name: t.text(i, "规则")?.to_owned(),
                condition,
                months,
            });
        }
        let f = DataTable::parse("入户访视时限表", settings);
        Ok(VisitRules {
            rules: out,
            followup_days: f.value(0, "跟进办理时限（工作日）")?,
            notice_days: f.value(0, "提前提醒（天）")?,
        })
    }

    pub fn shipped() -> Result<VisitRules, String> {
        VisitRules::parse(
            include_str!("../../../data/visits/rules.tsv"),
            include_str!("../../../data/visits/settings.tsv"),
        )
    }

    /// The rule that applies: of those the facts meet, the shortest interval (the first
    /// listed among equals).
    pub fn applies(&self, facts: &VisitFacts) -> Option<&VisitRule> {
        self.rules
            .iter()
            .filter(|r| facts.has(r.condition))
            .min_by_key(|r| r.months)
    }

    /// The next visit: the rule's interval after the last one; today when never visited.
    pub fn due(
        &self,
        facts: &VisitFacts,
        last: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Option<Due> {
        let rule = self.applies(facts)?;
        let due_on = match last {
            Some(d) => d.checked_add_months(Months::new(rule.months)).unwrap_or(d),
            None => today,
        };
        Some(Due {
            rule: rule.name.clone(),
            months: rule.months,
            due_on,
            overdue: due_on < today,
            never: last.is_none(),
        })
    }
}

/// One structured choice of a visit record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub code: String,
    pub name: String,
}

/// The structured parts of a visit record, with their choices.
#[derive(Debug, Clone)]
pub struct Situation {
    pub met: Vec<Choice>,
    pub living: Vec<Choice>,
    pub health: Vec<Choice>,
    pub income: Vec<Choice>,
}

impl Situation {
    pub fn parse(text: &str) -> Result<Situation, String> {
        let t = DataTable::parse("走访情况选项表", text);
        let mut s = Situation {
            met: Vec::new(),
            living: Vec::new(),
            health: Vec::new(),
            income: Vec::new(),
        };
        for i in 0..t.len() {
            let c = Choice {
                code: t.text(i, "代码")?.to_owned(),
                name: t.text(i, "名称")?.to_owned(),
            };
            match t.text(i, "项目")? {
                "met" => s.met.push(c),
                "living" => s.living.push(c),
                "health" => s.health.push(c),
                "income" => s.income.push(c),
                x => return Err(format!("走访情况选项表第{}行的项目“{x}”无法识别", i + 1)),
            }
        }
        Ok(s)
    }

    pub fn shipped() -> Result<Situation, String> {
        Situation::parse(include_str!("../../../data/visits/situation.tsv"))
    }

    /// A choice's name by its code (the code itself when unknown).
    pub fn name_of(list: &[Choice], code: &str) -> String {
        list.iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_owned(), |c| c.name.clone())
    }
}

/// A visit as typed in a form or sent to the API.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    /// YYYY-MM-DD, not after today.
    pub visited_on: String,
    /// Who was met: a `met` code (or its name).
    pub met: String,
    pub living: String,
    pub health: String,
    pub income: String,
    /// Urgent needs: need item codes or names.
    #[serde(default)]
    pub needs: Vec<String>,
    #[serde(default)]
    pub note: String,
    /// What the town should follow up, when the visit raises something.
    #[serde(default)]
    pub followup: String,
}

/// A visit checked against the lists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub visited_on: NaiveDate,
    pub met: String,
    pub living: String,
    pub health: String,
    pub income: String,
    pub needs: Vec<String>,
    pub note: String,
    pub followup: Option<String>,
}

const NOTE_MAX: usize = 2000;

impl VisitInput {
    /// Every fault by field (Chinese), or the visit with codes for its choices.
    pub fn validate(
        &self,
        situation: &Situation,
        needs: &NeedItems,
        today: NaiveDate,
    ) -> Result<Visit, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let date = crate::person::parse_date(&self.visited_on);
        match date {
            None => faults.push((
                "走访日期",
                if self.visited_on.trim().is_empty() {
                    "请填写走访日期".to_owned()
                } else {
                    format!("“{}”不是有效的日期", self.visited_on.trim())
                },
            )),
            Some(d) if d > today => faults.push(("走访日期", format!("{d} 晚于今天"))),
            Some(_) => {}
        }
        let mut choice = |field: &'static str, list: &[Choice], v: &str| -> String {
            let v = v.trim();
            match list.iter().find(|c| c.code == v || c.name == v) {
                Some(c) => c.code.clone(),
                None => {
                    let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
                    faults.push((
                        field,
                        if v.is_empty() {
                            format!("请选择（{}）", names.join("、"))
                        } else {
                            format!("“{v}”不在可选项（{}）中", names.join("、"))
                        },
                    ));
                    String::new()
                }
            }
        };
        let met = choice("见到何人", &situation.met, &self.met);
        let living = choice("居住情况", &situation.living, &self.living);
        let health = choice("健康状况", &situation.health, &self.health);
        let income = choice("主要收入来源", &situation.income, &self.income);
        let mut codes: Vec<String> = Vec::new();
        for n in self.needs.iter().filter(|n| !n.trim().is_empty()) {
            match needs.find(n) {
                Some(item) if !codes.contains(&item.code) => codes.push(item.code.clone()),
                Some(_) => {}
                None => faults.push(("急需解决的问题", format!("“{}”不是需求项目", n.trim()))),
            }
        }
        let note = self.note.trim().to_owned();
        if note.chars().count() > NOTE_MAX {
            faults.push(("走访情况记录", format!("不能超过{NOTE_MAX}字")));
        }
        let followup = self.followup.trim();
        if followup.chars().count() > NOTE_MAX {
            faults.push(("需镇（街道）跟进", format!("不能超过{NOTE_MAX}字")));
        }
        match date {
            Some(visited_on) if faults.is_empty() => Ok(Visit {
                visited_on,
                met,
                living,
                health,
                income,
                needs: codes,
                note,
                followup: (!followup.is_empty()).then(|| followup.to_owned()),
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
    fn the_shortest_interval_of_the_rules_met_applies() {
        let r = VisitRules::shipped().unwrap();
        assert_eq!((r.followup_days, r.notice_days), (5, 14));
        let none = VisitFacts::default();
        assert!(r.applies(&none).is_none());
        let severe = VisitFacts {
            severe: true,
            ..none
        };
        assert_eq!(r.applies(&severe).unwrap().months, 12);
        let both = VisitFacts {
            severe: true,
            hardship: true,
            ..none
        };
        assert_eq!(r.applies(&both).unwrap().condition, Condition::Hardship);
        let care = VisitFacts {
            home_care: true,
            alone: true,
            ..none
        };
        assert_eq!(r.applies(&care).unwrap().months, 1);
        // Due a quarter after the last visit; the end of a month stays at the month's end.
        let due = r
            .due(&both, Some(d("2025-11-30")), d("2026-03-01"))
            .unwrap();
        assert_eq!(
            (due.due_on, due.overdue, due.never),
            (d("2026-02-28"), true, false)
        );
        let due = r
            .due(&severe, Some(d("2025-06-01")), d("2026-03-01"))
            .unwrap();
        assert_eq!((due.due_on, due.overdue), (d("2026-06-01"), false));
        let due = r.due(&severe, None, d("2026-03-01")).unwrap();
        assert_eq!(
            (due.due_on, due.overdue, due.never),
            (d("2026-03-01"), false, true)
        );
    }

    #[test]
    fn rules_tables_with_faults_are_named() {
        let f = "跟进办理时限（工作日）\t提前提醒（天）\n5\t14\n";
        assert!(
            VisitRules::parse("规则\t条件\t间隔月数\n甲\tflying\t3\n", f)
                .unwrap_err()
                .contains("flying")
        );
        assert!(
            VisitRules::parse("规则\t条件\t间隔月数\n甲\tsevere\t0\n", f)
                .unwrap_err()
                .contains("大于0")
        );
        assert!(
            VisitRules::parse("规则\t条件\n甲\tsevere\n", f)
                .unwrap_err()
                .contains("间隔月数")
        );
    }

    #[test]
    fn a_visit_is_checked_field_by_field() {
        let s = Situation::shipped().unwrap();
        let n = NeedItems::shipped().unwrap();
        let today = d("2026-03-01");
        let ok = VisitInput {
            visited_on: "2026-02-27".into(),
            met: "本人".into(),
            living: "alone".into(),
            health: "较差".into(),
            income: "低保或特困供养".into(),
            needs: vec![
                "康复服务".into(),
                "rehab".into(),
                "device".into(),
                " ".into(),
            ],
            note: " 屋顶漏雨 ".into(),
            followup: "请镇里协调修缮".into(),
        }
        .validate(&s, &n, today)
        .unwrap();
        assert_eq!(
            (ok.met.as_str(), ok.living.as_str(), ok.health.as_str()),
            ("self", "alone", "poor")
        );
        assert_eq!(ok.needs, vec!["rehab", "device"]);
        assert_eq!(ok.note, "屋顶漏雨");
        assert_eq!(ok.followup.as_deref(), Some("请镇里协调修缮"));
        let bad = VisitInput {
            visited_on: "2026-03-02".into(),
            met: "邻居".into(),
            living: "".into(),
            health: "good".into(),
            income: "wage".into(),
            needs: vec!["飞行".into()],
            ..VisitInput::default()
        }
        .validate(&s, &n, today)
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|f| f.0).collect();
        assert_eq!(
            fields,
            vec!["走访日期", "见到何人", "居住情况", "急需解决的问题"]
        );
        assert!(bad[0].1.contains("晚于今天"));
        assert!(bad[1].1.contains("“邻居”不在可选项"));
        assert!(bad[2].1.starts_with("请选择"));
    }
}
