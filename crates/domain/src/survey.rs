//! The annual survey (残疾人基本服务状况和需求信息数据动态更新): its questions held as data in
//! the national survey's sections (`data/survey/questions.tsv`), a form's answers checked
//! against each question (its list, its type, the ages it is asked at), prefilled from the
//! file and last year's answers so that only changes are typed, and the answers that
//! contradict the file named for the worker to resolve.

use std::collections::BTreeMap;

use crate::data_table::DataTable;
use crate::needs::NeedItems;

/// How a question is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// One of the options.
    Choice,
    /// Any of the options, joined by 、.
    Multi,
    /// 是 or 否.
    YesNo,
    /// A number, not negative.
    Number,
    Text,
}

impl AnswerKind {
    fn parse(s: &str) -> Option<AnswerKind> {
        Some(match s {
            "choice" => AnswerKind::Choice,
            "multi" => AnswerKind::Multi,
            "yesno" => AnswerKind::YesNo,
            "number" => AnswerKind::Number,
            "text" => AnswerKind::Text,
            _ => return None,
        })
    }
}

/// What of the file a question is prefilled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    Living,
    Employment,
    EmploymentForm,
    Dibao,
    LivingSubsidy,
    CareSubsidy,
    Needs,
}

impl Prefill {
    fn parse(s: &str) -> Option<Prefill> {
        Some(match s {
            "living" => Prefill::Living,
            "employment" => Prefill::Employment,
            "employment_form" => Prefill::EmploymentForm,
            "dibao" => Prefill::Dibao,
            "living_subsidy" => Prefill::LivingSubsidy,
            "care_subsidy" => Prefill::CareSubsidy,
            "needs" => Prefill::Needs,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Question {
    pub code: String,
    pub section: String,
    /// The form's label and the sheet's column header.
    pub label: String,
    pub kind: AnswerKind,
    pub options: Vec<String>,
    pub prefill: Option<Prefill>,
    /// Asked only of people of these ages (inclusive).
    pub ages: Option<(u32, u32)>,
}

impl Question {
    pub fn asked_at(&self, age: u32) -> bool {
        self.ages
            .is_none_or(|(from, to)| (from..=to).contains(&age))
    }
}

/// The survey's questions, in the order of the form.
#[derive(Debug, Clone)]
pub struct Questions(Vec<Question>);

/// A form's answers by question code; a multiple choice joined by 、.
pub type Answers = BTreeMap<String, String>;

/// What the file says that the survey also asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFacts {
    pub age: u32,
    /// The latest visit's living conditions, by name.
    pub living: Option<String>,
    /// Employed (a form of work) or not, when the file records a status.
    pub employed: Option<bool>,
    /// The form of work by the survey's name, when employed.
    pub employment_form: Option<String>,
    pub dibao: bool,
    pub living_subsidy: bool,
    pub care_subsidy: bool,
    /// The latest visit's urgent needs, by name.
    pub needs: Vec<String>,
}

/// An answer the file contradicts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Contradiction {
    pub question: String,
    pub answer: String,
    pub file: String,
}

const YES: &str = "是";
const NO: &str = "否";
const TEXT_MAX: usize = 500;

fn yes_no(b: bool) -> &'static str {
    if b { YES } else { NO }
}

impl Questions {
    pub fn parse(text: &str, needs: &NeedItems) -> Result<Questions, String> {
        let t = DataTable::parse("年度调查题目表", text);
        let mut out: Vec<Question> = Vec::with_capacity(t.len());
        for i in 0..t.len() {
            let row = i + 1;
            let code = t.text(i, "代码")?;
            let label = t.text(i, "题目")?;
            if code.is_empty()
                || label.is_empty()
                || out.iter().any(|q| q.code == code || q.label == label)
            {
                return Err(format!("年度调查题目表第{row}行的代码或题目为空或重复"));
            }
            let k = t.text(i, "类型")?;
            let kind = AnswerKind::parse(k)
                .ok_or_else(|| format!("年度调查题目表第{row}行的类型“{k}”无法识别"))?;
            let opts = t.text(i, "选项")?;
            let options: Vec<String> = if opts == "@needs" {
                needs.all().iter().map(|n| n.name.clone()).collect()
            } else {
                opts.split('、')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            if matches!(kind, AnswerKind::Choice | AnswerKind::Multi) && options.is_empty() {
                return Err(format!("年度调查题目表第{row}行是选择题，缺少选项"));
            }
            let p = t.text(i, "预填")?;
            let prefill = match p {
                "" => None,
                p => Some(
                    Prefill::parse(p)
                        .ok_or_else(|| format!("年度调查题目表第{row}行的预填“{p}”无法识别"))?,
                ),
            };
            let a = t.text(i, "年龄")?;
            let ages = match a {
                "" => None,
                a => {
                    let (from, to) = a
                        .split_once('-')
                        .and_then(|(f, t)| Some((f.trim().parse().ok()?, t.trim().parse().ok()?)))
                        .filter(|(f, t): &(u32, u32)| f <= t)
                        .ok_or_else(|| format!("年度调查题目表第{row}行的年龄“{a}”应如 16-59"))?;
                    Some((from, to))
                }
            };
            out.push(Question {
                code: code.to_owned(),
                section: t.text(i, "部分")?.to_owned(),
                label: label.to_owned(),
                kind,
                options,
                prefill,
                ages,
            });
        }
        Ok(Questions(out))
    }

    pub fn shipped(needs: &NeedItems) -> Result<Questions, String> {
        Questions::parse(include_str!("../../../data/survey/questions.tsv"), needs)
    }

    pub fn all(&self) -> &[Question] {
        &self.0
    }

    /// The question with this code or label (a sheet's header).
    pub fn find(&self, code_or_label: &str) -> Option<&Question> {
        let k = code_or_label.trim();
        self.0.iter().find(|q| q.code == k || q.label == k)
    }

    /// The sections in the form's order, each with its questions.
    pub fn sections(&self) -> Vec<(&str, Vec<&Question>)> {
        let mut out: Vec<(&str, Vec<&Question>)> = Vec::new();
        for q in &self.0 {
            match out.iter_mut().find(|(s, _)| *s == q.section) {
                Some((_, qs)) => qs.push(q),
                None => out.push((&q.section, vec![q])),
            }
        }
        out
    }

    /// A new form: last year's answers where the question is still asked, with what the file
    /// knows put over them (the file is the more recent).
    pub fn prefill(&self, facts: &FileFacts, last_year: Option<&Answers>) -> Answers {
        let mut out = Answers::new();
        for q in self.0.iter().filter(|q| q.asked_at(facts.age)) {
            let from_file = match q.prefill {
                Some(Prefill::Living) => facts.living.clone(),
                Some(Prefill::Employment) => facts
                    .employed
                    .map(|e| if e { "就业" } else { "未就业" }.to_owned()),
                Some(Prefill::EmploymentForm) => facts.employment_form.clone(),
                Some(Prefill::Dibao) => Some(yes_no(facts.dibao).to_owned()),
                Some(Prefill::LivingSubsidy) => Some(yes_no(facts.living_subsidy).to_owned()),
                Some(Prefill::CareSubsidy) => Some(yes_no(facts.care_subsidy).to_owned()),
                Some(Prefill::Needs) if !facts.needs.is_empty() => Some(facts.needs.join("、")),
                _ => None,
            };
            let value = from_file
                .filter(|v| q.kind != AnswerKind::Choice || q.options.contains(v))
                .or_else(|| last_year.and_then(|l| l.get(&q.code).cloned()));
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                out.insert(q.code.clone(), v);
            }
        }
        out
    }

    /// Checks a form's answers (keyed by code or label) for a person of `age`: every fault
    /// by the question's label, or the answers by code, normalised.
    pub fn check(
        &self,
        input: &BTreeMap<String, String>,
        age: u32,
    ) -> Result<Answers, Vec<(String, String)>> {
        let mut faults: Vec<(String, String)> = Vec::new();
        let mut out = Answers::new();
        for (k, v) in input {
            let v = v.trim();
            let Some(q) = self.find(k) else {
                faults.push((k.clone(), "不是年度调查的题目".into()));
                continue;
            };
            if v.is_empty() {
                continue;
            }
            if !q.asked_at(age) {
                let (from, to) = q.ages.unwrap_or_default();
                faults.push((q.label.clone(), format!("此题只问{from}至{to}岁的人")));
                continue;
            }
            let listed = || q.options.join("、");
            let value = match q.kind {
                AnswerKind::Choice => {
                    if q.options.iter().any(|o| o == v) {
                        v.to_owned()
                    } else {
                        faults.push((
                            q.label.clone(),
                            format!("“{v}”不在可选项（{}）中", listed()),
                        ));
                        continue;
                    }
                }
                AnswerKind::Multi => {
                    let mut picked: Vec<&str> = Vec::new();
                    let mut bad = false;
                    for part in v.split(['、', ',', '，', ';', '；']).map(str::trim) {
                        if part.is_empty() || picked.contains(&part) {
                            continue;
                        }
                        if q.options.iter().any(|o| o == part) {
                            picked.push(part);
                        } else {
                            faults.push((
                                q.label.clone(),
                                format!("“{part}”不在可选项（{}）中", listed()),
                            ));
                            bad = true;
                        }
                    }
                    if bad {
                        continue;
                    }
                    // In the list's order, whatever order they were given in.
                    q.options
                        .iter()
                        .filter(|o| picked.contains(&o.as_str()))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("、")
                }
                AnswerKind::YesNo => match v {
                    "是" | "有" | "1" => YES.to_owned(),
                    "否" | "无" | "0" => NO.to_owned(),
                    _ => {
                        faults.push((q.label.clone(), format!("“{v}”应为是或否")));
                        continue;
                    }
                },
                AnswerKind::Number => match v.parse::<f64>() {
                    Ok(n) if n.is_finite() && (0.0..=10_000_000.0).contains(&n) => v.to_owned(),
                    _ => {
                        faults.push((q.label.clone(), format!("“{v}”不是有效的数")));
                        continue;
                    }
                },
                AnswerKind::Text => {
                    if v.chars().count() > TEXT_MAX {
                        faults.push((q.label.clone(), format!("不能超过{TEXT_MAX}字")));
                        continue;
                    }
                    v.to_owned()
                }
            };
            out.insert(q.code.clone(), value);
        }
        // Employment: the form when employed, the reason when not.
        let label = |code: &str| {
            self.find(code)
                .map_or_else(|| code.to_owned(), |q| q.label.clone())
        };
        match out.get("employed").map(String::as_str) {
            Some("就业") if !out.contains_key("employment_form") => {
                faults.push((label("employment_form"), "就业的请填写就业形式".into()))
            }
            Some("未就业") if !out.contains_key("unemployed_reason") => faults.push((
                label("unemployed_reason"),
                "未就业的请填写未就业原因".into(),
            )),
            _ => {}
        }
        if faults.is_empty() {
            Ok(out)
        } else {
            Err(faults)
        }
    }

    /// The answers the file contradicts, each with what the file says.
    pub fn contradictions(&self, answers: &Answers, facts: &FileFacts) -> Vec<Contradiction> {
        let mut out = Vec::new();
        let mut against = |code: &str, file: Option<String>| {
            let (Some(q), Some(a), Some(f)) = (self.find(code), answers.get(code), file) else {
                return;
            };
            if *a != f {
                out.push(Contradiction {
                    question: q.label.clone(),
                    answer: a.clone(),
                    file: f,
                });
            }
        };
        against(
            "employed",
            facts
                .employed
                .map(|e| if e { "就业" } else { "未就业" }.to_owned()),
        );
        against("dibao", Some(yes_no(facts.dibao).to_owned()));
        against(
            "living_subsidy",
            Some(yes_no(facts.living_subsidy).to_owned()),
        );
        against("care_subsidy", Some(yes_no(facts.care_subsidy).to_owned()));
        out
    }

    /// The need items among the answers, by code (for the needs-gap warnings).
    pub fn needs_of(&self, answers: &Answers, needs: &NeedItems) -> Vec<String> {
        answers
            .get("needs")
            .map(|v| {
                v.split('、')
                    .filter_map(|n| needs.find(n).map(|i| i.code.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn questions() -> Questions {
        Questions::shipped(&NeedItems::shipped().unwrap()).unwrap()
    }

    fn input(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_shipped_questions_follow_the_national_sections() {
        let q = questions();
        let sections: Vec<&str> = q.sections().iter().map(|(s, _)| *s).collect();
        assert_eq!(
            sections,
            vec![
                "基本情况",
                "经济与住房",
                "教育",
                "就业",
                "社会保障",
                "医疗与康复",
                "托养照护",
                "无障碍",
                "文化体育",
                "需求"
            ]
        );
        let care = q.find("接受托养服务").unwrap();
        assert!(care.asked_at(30) && !care.asked_at(70));
        assert!(
            q.find("需求")
                .unwrap()
                .options
                .contains(&"康复服务".to_owned())
        );
    }

    #[test]
    fn answers_are_checked_and_normalised() {
        let q = questions();
        let a = q
            .check(
                &input(&[
                    ("住房类型", "租住"),
                    ("dibao", "有"),
                    ("需求", "辅助器具适配，康复服务、康复服务"),
                    ("家庭人均月收入（元）", "860.5"),
                    ("就业状况", "未就业"),
                    ("未就业原因", "丧失劳动能力"),
                    ("受教育程度", " "),
                ]),
                40,
            )
            .unwrap();
        assert_eq!(a["dibao"], "是");
        assert_eq!(
            a["needs"], "康复服务、辅助器具适配",
            "in the list's order, once"
        );
        assert!(!a.contains_key("education"), "a blank is no answer");
        let faults = q
            .check(
                &input(&[
                    ("住房类型", "船屋"),
                    ("享受低保", "也许"),
                    ("家庭人均月收入（元）", "-5"),
                    ("接受托养服务", "是"),
                    ("就业状况", "就业"),
                    ("星座", "狮子"),
                ]),
                70,
            )
            .unwrap_err();
        let at: Vec<&str> = faults.iter().map(|f| f.0.as_str()).collect();
        assert!(at.contains(&"住房类型") && at.contains(&"享受低保"));
        assert!(at.contains(&"家庭人均月收入（元）") && at.contains(&"星座"));
        assert!(
            faults
                .iter()
                .any(|f| f.0 == "接受托养服务" && f.1.contains("16至59岁"))
        );
        assert!(
            faults
                .iter()
                .any(|f| f.1.contains("就业状况") || f.0 == "就业状况")
        );
        // Employed needs its form; not employed its reason.
        let f = q.check(&input(&[("就业状况", "就业")]), 30).unwrap_err();
        assert_eq!(
            f,
            vec![("就业形式".to_owned(), "就业的请填写就业形式".to_owned())]
        );
    }

    #[test]
    fn a_form_is_prefilled_and_contradictions_named() {
        let q = questions();
        let facts = FileFacts {
            age: 40,
            living: Some("独居".into()),
            employed: Some(false),
            dibao: true,
            needs: vec!["康复服务".into()],
            ..FileFacts::default()
        };
        let mut last = Answers::new();
        last.insert("housing".into(), "租住".into());
        last.insert("employed".into(), "就业".into());
        last.insert("dibao".into(), "否".into());
        let a = q.prefill(&facts, Some(&last));
        assert_eq!(a["housing"], "租住", "last year's answer");
        assert_eq!(a["employed"], "未就业", "the file over last year");
        assert_eq!((a["dibao"].as_str(), a["living"].as_str()), ("是", "独居"));
        assert_eq!(a["needs"], "康复服务");
        // The worker says employed and no 低保: both contradict the file.
        let mut said = a.clone();
        said.insert("employed".into(), "就业".into());
        said.insert("dibao".into(), "否".into());
        let c = q.contradictions(&said, &facts);
        assert_eq!(
            c,
            vec![
                Contradiction {
                    question: "就业状况".into(),
                    answer: "就业".into(),
                    file: "未就业".into()
                },
                Contradiction {
                    question: "享受低保".into(),
                    answer: "否".into(),
                    file: "是".into()
                },
            ]
        );
        assert!(q.contradictions(&a, &facts).is_empty());
        let needs = NeedItems::shipped().unwrap();
        assert_eq!(q.needs_of(&a, &needs), vec!["rehab"]);
    }
}
