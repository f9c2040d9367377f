//! Who a programme serves: a small, closed vocabulary of conditions, written in a sheet cell in
//! the federation's words, evaluated against one person on one date and explained one by one.
//!
//! The text is a list of conditions, all of which must hold, separated by `；` (or `;`, or a
//! line break). A group is `全部（…）` (all of) or `任一（…）` (any of) around such a list.
//!
//! | condition | text | holds when |
//! |---|---|---|
//! | certificate valid | `持证有效` | the certificate is in force on the date |
//! | category | `类别：视力、听力` | the certificate's category is one of these |
//! | grade | `等级：一级、二级` | the certificate's grade is one of these |
//! | age | `年龄：0-6` | whole years on the date are in the band (`60-` has no upper end) |
//! | assistance | `救助：低保、低保边缘、特困` | one of these statuses is in force that month |
//! | household | `户籍：320585` | the household code lies under one of these regions |
//! | student | `在读学生` | the person is enrolled on the date |
//! | diagnosis | `诊断：孤独症、脑瘫` | the file records one of these diagnoses |
//! | not served again | `未享受：3年` | no case of this programme opened in the 3 years before |

use chrono::NaiveDate;
use serde::Serialize;

use crate::certificate::{Category, CertState, Grade};
use crate::id_number::age_on;
use crate::month::Month;
use crate::person::{LifeStatus, Person};
use crate::subsidy::{Assistance, AssistanceKind};

/// One condition, or a group of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    CertificateValid,
    CategoryIn(Vec<Category>),
    GradeIn(Vec<Grade>),
    /// Whole years on the date, both ends included; `None`: no upper end.
    AgeBand(u32, Option<u32>),
    AssistanceIn(Vec<AssistanceKind>),
    /// Region code prefixes (a 12-digit code without its trailing zero levels).
    HouseholdUnder(Vec<String>),
    Student,
    DiagnosisIn(Vec<String>),
    /// No case of this programme opened within this many years before the date.
    NotServedWithin(u32),
    AllOf(Vec<Condition>),
    AnyOf(Vec<Condition>),
}

/// A condition text that cannot be read: the word at fault and why, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("资格条件“{word}”无法识别：{reason}")]
pub struct ConditionError {
    pub word: String,
    pub reason: String,
}

fn fault(word: &str, reason: impl Into<String>) -> ConditionError {
    ConditionError {
        word: word.chars().take(40).collect(),
        reason: reason.into(),
    }
}

const WORDS: &str = "可用的条件：持证有效、类别：…、等级：…、年龄：0-6、救助：…、户籍：区划代码、\
                     在读学生、诊断：…、未享受：N年，以及 全部（…）、任一（…）";

/// Splits `s` at the separators that are not inside a group's brackets.
fn split_top(s: &str, seps: &[char]) -> Result<Vec<String>, ConditionError> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '（' | '(' => depth += 1,
            '）' | ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(fault(s, "括号不成对"));
                }
            }
            _ => {}
        }
        if depth == 0 && seps.contains(&ch) {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    if depth != 0 {
        return Err(fault(s, "括号不成对"));
    }
    parts.push(cur);
    Ok(parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect())
}

fn values(s: &str) -> Vec<&str> {
    s.split(['、', '，', ',', '/', '／'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

fn list<T>(
    word: &str,
    s: &str,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Result<Vec<T>, ConditionError> {
    let vs = values(s);
    if vs.is_empty() {
        return Err(fault(word, format!("冒号后应列出{what}")));
    }
    vs.into_iter()
        .map(|v| parse(v).ok_or_else(|| fault(v, format!("不是{what}"))))
        .collect()
}

fn years(s: &str) -> Option<u32> {
    s.trim().trim_end_matches('岁').trim().parse().ok()
}

/// A region code or prefix as digits without its trailing zero levels (`320585000000` →
/// `320585`).
pub(crate) fn region_prefix_of(v: &str) -> Option<String> {
    if !(2..=12).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = format!("{v:0<12}");
    [2, 4, 6, 9, 12]
        .into_iter()
        .find(|&len| code[len..].bytes().all(|b| b == b'0'))
        .map(|len| code[..len].to_owned())
}

impl Condition {
    /// Reads a condition text (see the module's table). An empty text is no condition.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let parts = split_top(text, &['；', ';', '\n', '\r'])?;
        let list = parts
            .iter()
            .map(|p| Self::parse_one(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(match <[Condition; 1]>::try_from(list) {
            Ok([one]) => one,
            Err(list) => Condition::AllOf(list),
        })
    }

    fn parse_one(s: &str) -> Result<Condition, ConditionError> {
        for (words, any) in [
            (&["全部", "全部满足", "同时满足"][..], false),
            (&["任一", "满足其一", "任一满足"][..], true),
        ] {
            for w in words {
                if let Some(rest) = s.strip_prefix(w) {
                    let rest = rest.trim();
                    let inner = rest
                        .strip_prefix(['（', '('])
                        .and_then(|r| r.strip_suffix(['）', ')']))
                        .ok_or_else(|| fault(s, format!("{w}之后应以括号列出条件")))?;
                    let parts = split_top(inner, &['；', ';', '\n', '\r'])?;
                    if parts.is_empty() {
                        return Err(fault(s, "括号内没有条件"));
                    }
                    let list = parts
                        .iter()
                        .map(|p| Self::parse_one(p))
                        .collect::<Result<Vec<_>, _>>()?;
                    return Ok(if any {
                        Condition::AnyOf(list)
                    } else {
                        Condition::AllOf(list)
                    });
                }
            }
        }
        match s {
            "持证有效" | "持有效残疾人证" | "持证" => {
                return Ok(Condition::CertificateValid);
            }
            "在读学生" | "在校学生" | "在读" => return Ok(Condition::Student),
            _ => {}
        }
        let Some((key, rest)) = s.split_once(['：', ':']) else {
            return Err(fault(s, WORDS));
        };
        let (key, rest) = (key.trim(), rest.trim());
        match key {
            "类别" | "残疾类别" => Ok(Condition::CategoryIn(list(
                s,
                rest,
                Category::parse,
                "残疾类别（视力、听力、言语、肢体、智力、精神、多重）",
            )?)),
            "等级" | "残疾等级" => Ok(Condition::GradeIn(list(
                s,
                rest,
                Grade::parse,
                "残疾等级（一级至四级）",
            )?)),
            "救助" | "救助状态" | "救助类型" => Ok(Condition::AssistanceIn(list(
                s,
                rest,
                AssistanceKind::parse,
                "救助类型（低保、低保边缘、特困供养等）",
            )?)),
            "户籍" | "户籍地" | "区划" => Ok(Condition::HouseholdUnder(list(
                s,
                rest,
                region_prefix_of,
                "区划代码（如320585或320585000000）",
            )?)),
            "诊断" => Ok(Condition::DiagnosisIn(list(
                s,
                rest,
                |v| Some(v.to_owned()),
                "诊断名称",
            )?)),
            "年龄" => {
                let band = rest.replace(['～', '~', '—', '至', '－'], "-");
                let (a, b) = band
                    .split_once('-')
                    .ok_or_else(|| fault(s, "年龄应写作“0-6”或“60-”（周岁）"))?;
                let from = years(a).ok_or_else(|| fault(s, "年龄下限应为整数周岁"))?;
                let to = match b.trim().trim_end_matches('岁').trim() {
                    "" => None,
                    t => Some(years(t).ok_or_else(|| fault(s, "年龄上限应为整数周岁"))?),
                };
                if to.is_some_and(|t| t < from) {
                    return Err(fault(s, "年龄上限小于下限"));
                }
                Ok(Condition::AgeBand(from, to))
            }
            "未享受" | "未曾享受" | "未重复享受" => {
                let n = rest.trim_end_matches('年').trim();
                let n: u32 = n
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| fault(s, "应写作“未享受：3年”"))?;
                Ok(Condition::NotServedWithin(n))
            }
            _ => Err(fault(key, WORDS)),
        }
    }

    /// The condition in the federation's words, as a page or an export explains it.
    pub fn label(&self) -> String {
        let join = |v: Vec<&str>| v.join("、");
        match self {
            Condition::CertificateValid => "持有效残疾人证".into(),
            Condition::CategoryIn(v) => {
                format!("残疾类别为{}", join(v.iter().map(|c| c.name()).collect()))
            }
            Condition::GradeIn(v) => {
                format!("残疾等级为{}", join(v.iter().map(|g| g.name()).collect()))
            }
            Condition::AgeBand(a, Some(b)) => format!("年龄{a}至{b}周岁"),
            Condition::AgeBand(a, None) => format!("年龄{a}周岁以上"),
            Condition::AssistanceIn(v) => {
                format!("享受{}之一", join(v.iter().map(|k| k.label()).collect()))
            }
            Condition::HouseholdUnder(v) => format!(
                "户籍在{}",
                v.iter()
                    .map(|p| crate::RegionTable::jiangsu()
                        .current(&format!("{p:0<12}"))
                        .map_or_else(|_| p.clone(), |r| r.name.clone()))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            Condition::Student => "在读学生".into(),
            Condition::DiagnosisIn(v) => format!("有诊断：{}", v.join("、")),
            Condition::NotServedWithin(n) => format!("{n}年内未享受本项目"),
            Condition::AllOf(_) => "同时满足".into(),
            Condition::AnyOf(_) => "满足其一".into(),
        }
    }

    /// Whether the condition holds for `s` on `date` (no explanation: the bulk check).
    pub fn holds(&self, s: &Subject<'_>, date: NaiveDate) -> bool {
        match self {
            Condition::AllOf(v) => v.iter().all(|c| c.holds(s, date)),
            Condition::AnyOf(v) => v.iter().any(|c| c.holds(s, date)),
            leaf => leaf.leaf(s, date).0,
        }
    }

    /// Whether the condition holds, with each part met or not and the person's value.
    pub fn explain(&self, s: &Subject<'_>, date: NaiveDate) -> Explained {
        match self {
            Condition::AllOf(v) | Condition::AnyOf(v) => {
                let parts: Vec<Explained> = v.iter().map(|c| c.explain(s, date)).collect();
                let met = if matches!(self, Condition::AllOf(_)) {
                    parts.iter().all(|p| p.met)
                } else {
                    parts.iter().any(|p| p.met)
                };
                Explained {
                    condition: self.label(),
                    met,
                    value: String::new(),
                    parts,
                    any: matches!(self, Condition::AnyOf(_)),
                }
            }
            leaf => {
                let (met, value) = leaf.leaf(s, date);
                Explained {
                    condition: leaf.label(),
                    met,
                    value,
                    parts: Vec::new(),
                    any: false,
                }
            }
        }
    }

    fn leaf(&self, s: &Subject<'_>, date: NaiveDate) -> (bool, String) {
        let p = s.person;
        let none = || "未评定".to_owned();
        match self {
            Condition::CertificateValid => {
                let valid = certificate_valid(p, date);
                let value = if !p.holds_certificate() {
                    "未持证".into()
                } else if p.life_status != LifeStatus::Living {
                    p.life_status.label().into()
                } else {
                    match (p.cert_state, p.cert_valid_to) {
                        (CertState::Frozen, _) => "证件冻结".into(),
                        (CertState::Cancelled, _) => "证件注销".into(),
                        (_, Some(to)) if to < date => format!("已于{to}到期"),
                        (_, Some(to)) => format!("有效期至{to}"),
                        (_, None) => "长期有效".into(),
                    }
                };
                (valid, value)
            }
            Condition::CategoryIn(v) => (
                p.category.is_some_and(|c| v.contains(&c)),
                p.category.map_or_else(none, |c| c.label()),
            ),
            Condition::GradeIn(v) => (
                p.grade.is_some_and(|g| v.contains(&g)),
                p.grade.map_or_else(none, |g| g.name().to_owned()),
            ),
            Condition::AgeBand(a, b) => {
                let age = age_on(p.birth_date, date);
                let ok = age >= 0
                    && u32::try_from(age).is_ok_and(|y| y >= *a && b.is_none_or(|b| y <= b));
                (ok, format!("{age}周岁"))
            }
            Condition::AssistanceIn(v) => {
                let m = Month::of(date);
                let now: Vec<&str> = s
                    .assistance
                    .iter()
                    .filter(|x| x.in_force(m))
                    .map(|x| x.kind.label())
                    .collect();
                let ok = s
                    .assistance
                    .iter()
                    .any(|x| v.contains(&x.kind) && x.in_force(m));
                (
                    ok,
                    if now.is_empty() {
                        "无".into()
                    } else {
                        now.join("、")
                    },
                )
            }
            Condition::HouseholdUnder(v) => (
                v.iter()
                    .any(|prefix| p.household_code.as_str().starts_with(prefix.as_str())),
                p.household_code.to_string(),
            ),
            Condition::Student => (
                s.student,
                if s.student {
                    "在读"
                } else {
                    "未登记在读"
                }
                .into(),
            ),
            Condition::DiagnosisIn(v) => (
                s.diagnoses.iter().any(|d| v.contains(d)),
                if s.diagnoses.is_empty() {
                    "无诊断记录".into()
                } else {
                    s.diagnoses.join("、")
                },
            ),
            Condition::NotServedWithin(n) => {
                let since = date
                    .checked_sub_months(chrono::Months::new(12 * n))
                    .unwrap_or(NaiveDate::MIN);
                let recent = s.served.iter().filter(|d| **d > since && **d <= date).max();
                (
                    recent.is_none(),
                    recent.map_or_else(|| "未享受过".into(), |d| format!("{d}曾享受")),
                )
            }
            Condition::AllOf(_) | Condition::AnyOf(_) => (self.holds(s, date), String::new()),
        }
    }
}

/// Whether the person's certificate is in force on `date`: held, neither frozen nor
/// cancelled, not past its end date, and its holder living.
pub fn certificate_valid(p: &Person, date: NaiveDate) -> bool {
    p.holds_certificate()
        && p.disability().is_some()
        && p.cert_state == CertState::Active
        && p.life_status == LifeStatus::Living
        && p.cert_valid_to.is_none_or(|to| to >= date)
}

/// What the conditions read of one person.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub person: &'a Person,
    pub assistance: &'a [Assistance],
    pub student: bool,
    /// The diagnoses on the file, by name.
    pub diagnoses: &'a [String],
    /// When cases of this programme were opened for the person (refused ones left out).
    pub served: &'a [NaiveDate],
}

/// A condition with whether it was met and the person's value, and for a group its parts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Explained {
    pub condition: String,
    pub met: bool,
    /// The person's value the condition read (empty for a group).
    pub value: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(no_recursion)]
    pub parts: Vec<Explained>,
    /// A group met by any one of its parts (满足其一) rather than all.
    #[serde(skip)]
    pub any: bool,
}

impl Explained {
    /// What is not met, in one line: a condition with the person's value, the unmet parts of
    /// an all-of group, every part of an any-of group ("以下之一：…").
    pub fn unmet(&self) -> String {
        if self.met {
            return String::new();
        }
        if self.parts.is_empty() {
            return if self.value.is_empty() {
                self.condition.clone()
            } else {
                format!("{}（{}）", self.condition, self.value)
            };
        }
        if self.any {
            let each: Vec<String> = self
                .parts
                .iter()
                .map(|p| format!("〔{}〕", p.unmet()))
                .collect();
            format!("以下之一：{}", each.join("或"))
        } else {
            self.parts
                .iter()
                .filter(|p| !p.met)
                .map(Explained::unmet)
                .collect::<Vec<_>>()
                .join("；")
        }
    }

    /// One line per condition, indented by depth: "✓ 年龄0至6周岁（4周岁）".
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.push_lines(0, &mut out);
        out
    }

    fn push_lines(&self, depth: usize, out: &mut Vec<String>) {
        let mark = if self.met { "符合" } else { "不符合" };
        let value = if self.value.is_empty() {
            String::new()
        } else {
            format!("（{}）", self.value)
        };
        out.push(format!(
            "{}{mark}：{}{value}",
            "　".repeat(depth),
            self.condition
        ));
        for p in &self.parts {
            p.push_lines(depth + 1, out);
        }
    }
}
