//! Employment services (就业服务): a disabled person's job-seeker registration (就业需求登记),
//! employers' postings, matching one against the other with the reasons each fits
//! ([`matching`]), and the service chain 四定三包二保 from a developed post to the return visits
//! after placement ([`chain`]). Reference §5.

pub mod chain;
pub mod matching;

use chrono::NaiveDate;
use serde::Serialize;

use crate::certificate::{Category, Grade};
use crate::credit_code::CreditCode;
use crate::money::Fen;
use crate::region::RegionTable;

/// The hours a seeker wants or a post offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Hours {
    Full,
    Part,
    Any,
}

impl Hours {
    pub const ALL: [Hours; 3] = [Hours::Full, Hours::Part, Hours::Any];

    pub fn as_str(self) -> &'static str {
        match self {
            Hours::Full => "full",
            Hours::Part => "part",
            Hours::Any => "any",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Hours::Full => "全日制",
            Hours::Part => "非全日制",
            Hours::Any => "均可",
        }
    }

    pub fn parse(s: &str) -> Option<Hours> {
        let s = s.trim();
        Hours::ALL
            .into_iter()
            .find(|h| h.as_str() == s || h.label() == s)
            .or(match s {
                "全职" => Some(Hours::Full),
                "兼职" | "灵活" => Some(Hours::Part),
                "不限" | "" => Some(Hours::Any),
                _ => None,
            })
    }

    /// Whether a seeker wanting `self` can take a post offering `post`.
    pub fn fits(self, post: Hours) -> bool {
        self == Hours::Any || post == Hours::Any || self == post
    }
}

/// The code prefix of a region code (its level's digits): what lies under it starts so.
pub fn region_prefix(code: &str) -> String {
    crate::programme::condition::region_prefix_of(code).unwrap_or_else(|| code.to_owned())
}

/// Words of a list typed with any of the usual separators, trimmed, without repeats.
pub fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in s.split(|c: char| {
        matches!(c, ',' | '，' | '、' | ';' | '；' | '/' | '|') || c.is_whitespace()
    }) {
        let w = w.trim();
        if !w.is_empty() && !out.iter().any(|x| x == w) {
            out.push(w.to_owned());
        }
    }
    out
}

/// A job-seeker registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Seeker {
    /// The work wanted, in the seeker's words (意向岗位).
    pub wanted: Vec<String>,
    pub skills: Vec<String>,
    /// Where the seeker will work: a region code (any level).
    pub region_code: String,
    pub hours: Hours,
    /// The lowest monthly wage the seeker will take; 0 when not said.
    pub min_wage_fen: i64,
}

/// A registration as typed.
#[derive(Debug, Clone, Default)]
pub struct SeekerInput {
    pub wanted: String,
    pub skills: String,
    pub region_code: String,
    pub hours: String,
    pub min_wage: String,
}

/// The region's full 12-digit code (a short code such as 320506 stands for its region), or
/// the fault.
pub(crate) fn region_of(table: &RegionTable, code: &str) -> Result<String, String> {
    let c = code.trim();
    let full = if matches!(c.len(), 2 | 4 | 6 | 9) && c.bytes().all(|b| b.is_ascii_digit()) {
        format!("{c:0<12}")
    } else {
        c.to_owned()
    };
    table
        .current(&full)
        .map(|r| r.code.to_string())
        .map_err(|e| format!("“{}”：{e}", code.trim()))
}

fn too_long(faults: &mut Vec<(&'static str, String)>, field: &'static str, s: &str, max: usize) {
    if s.chars().count() > max {
        faults.push((field, format!("不能超过{max}个字")));
    }
}

impl SeekerInput {
    /// The registration, or every fault by field.
    pub fn validate(&self, table: &RegionTable) -> Result<Seeker, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let wanted = words(&self.wanted);
        if wanted.is_empty() {
            faults.push(("意向岗位", "请填写想做的工作".into()));
        }
        too_long(&mut faults, "意向岗位", &self.wanted, 200);
        too_long(&mut faults, "技能特长", &self.skills, 200);
        let region = region_of(table, &self.region_code)
            .map_err(|f| faults.push(("意向地区", f)))
            .unwrap_or_default();
        let hours = Hours::parse(&self.hours);
        if hours.is_none() {
            faults.push((
                "工时",
                format!("“{}”应为全日制、非全日制或均可", self.hours.trim()),
            ));
        }
        let min_wage = match self.min_wage.trim() {
            "" => Some(Fen(0)),
            w => match Fen::parse_yuan(w) {
                Ok(f) if f.fen() >= 0 => Some(f),
                _ => {
                    faults.push(("期望月工资", format!("“{w}”不是金额（元）")));
                    None
                }
            },
        };
        match (hours, min_wage) {
            (Some(hours), Some(w)) if faults.is_empty() => Ok(Seeker {
                wanted,
                skills: words(&self.skills),
                region_code: region,
                hours,
                min_wage_fen: w.fen(),
            }),
            _ => Err(faults),
        }
    }
}

/// An employer's posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Posting {
    pub employer_code: Option<String>,
    pub employer_name: String,
    pub post: String,
    pub openings: u32,
    /// The monthly wage offered.
    pub wage_fen: i64,
    /// Where the work is.
    pub region_code: String,
    pub hours: Hours,
    pub skills: Vec<String>,
    /// The categories the post suits (codes 1-7); empty: any.
    pub categories: Vec<u8>,
    /// The grades the post suits (1-4); empty: any.
    pub grades: Vec<u8>,
    pub accessible: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub closes_on: Option<NaiveDate>,
}

/// A posting as typed.
#[derive(Debug, Clone, Default)]
pub struct PostingInput {
    pub employer_code: String,
    pub employer_name: String,
    pub post: String,
    pub openings: String,
    pub wage: String,
    pub region_code: String,
    pub hours: String,
    pub skills: String,
    pub categories: String,
    pub grades: String,
    pub accessible: String,
    pub closes_on: String,
}

fn yes(s: &str) -> Option<bool> {
    match s.trim() {
        "是" | "true" | "1" | "yes" | "on" => Some(true),
        "否" | "false" | "0" | "no" | "" => Some(false),
        _ => None,
    }
}

impl PostingInput {
    /// The posting, or every fault by field.
    pub fn validate(
        &self,
        table: &RegionTable,
        today: NaiveDate,
    ) -> Result<Posting, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let code = match self.employer_code.trim() {
            "" => None,
            c => match CreditCode::parse(c) {
                Ok(c) => Some(c.to_string()),
                Err(e) => {
                    faults.push(("统一社会信用代码", e.to_string()));
                    None
                }
            },
        };
        let name = self.employer_name.trim();
        if name.is_empty() {
            faults.push(("用人单位", "请填写用人单位名称".into()));
        }
        too_long(&mut faults, "用人单位", name, 100);
        let post = self.post.trim();
        if post.is_empty() {
            faults.push(("岗位", "请填写岗位名称".into()));
        }
        too_long(&mut faults, "岗位", post, 100);
        too_long(&mut faults, "技能要求", &self.skills, 200);
        let openings = match self.openings.trim().parse::<u32>() {
            Ok(n) if (1..=10_000).contains(&n) => Some(n),
            _ => {
                faults.push((
                    "招聘人数",
                    format!("“{}”应为1至10000的整数", self.openings.trim()),
                ));
                None
            }
        };
        let wage = match Fen::parse_yuan(self.wage.trim()) {
            Ok(f) if f.fen() > 0 => Some(f),
            _ => {
                faults.push(("月工资", format!("“{}”不是金额（元）", self.wage.trim())));
                None
            }
        };
        let region = region_of(table, &self.region_code)
            .map_err(|f| faults.push(("工作地点", f)))
            .unwrap_or_default();
        let hours = Hours::parse(&self.hours);
        if hours.is_none() {
            faults.push((
                "工时",
                format!("“{}”应为全日制、非全日制或均可", self.hours.trim()),
            ));
        }
        let mut categories = Vec::new();
        for w in words(&self.categories) {
            match Category::parse(&w) {
                Some(c) if !categories.contains(&c.code()) => categories.push(c.code()),
                Some(_) => {}
                None => faults.push(("适合类别", format!("“{w}”不是残疾类别"))),
            }
        }
        categories.sort_unstable();
        let mut grades = Vec::new();
        for w in words(&self.grades) {
            match Grade::parse(&w) {
                Some(g) if !grades.contains(&g.code()) => grades.push(g.code()),
                Some(_) => {}
                None => faults.push(("适合等级", format!("“{w}”不是残疾等级"))),
            }
        }
        grades.sort_unstable();
        let accessible = yes(&self.accessible);
        if accessible.is_none() {
            faults.push(("无障碍", format!("“{}”应为是或否", self.accessible.trim())));
        }
        let closes_on = match self.closes_on.trim() {
            "" => None,
            d => match crate::person::parse_date(d) {
                Some(d) if d >= today => Some(d),
                Some(_) => {
                    faults.push(("截止日期", "截止日期不能早于今天".into()));
                    None
                }
                None => {
                    faults.push(("截止日期", format!("“{d}”不是有效的日期")));
                    None
                }
            },
        };
        match (openings, wage, hours, accessible) {
            (Some(openings), Some(wage), Some(hours), Some(accessible)) if faults.is_empty() => {
                Ok(Posting {
                    employer_code: code,
                    employer_name: name.to_owned(),
                    post: post.to_owned(),
                    openings,
                    wage_fen: wage.fen(),
                    region_code: region,
                    hours,
                    skills: words(&self.skills),
                    categories,
                    grades,
                    accessible,
                    closes_on,
                })
            }
            _ => Err(faults),
        }
    }
}

/// What a posting suits, in words ("不限" when it names nothing).
pub fn suits_label(categories: &[u8], grades: &[u8]) -> String {
    let c: Vec<&str> = categories
        .iter()
        .filter_map(|c| Category::new(*c).map(Category::name))
        .collect();
    let g: Vec<&str> = grades
        .iter()
        .filter_map(|g| Grade::new(*g).map(Grade::name))
        .collect();
    match (c.is_empty(), g.is_empty()) {
        (true, true) => "不限".into(),
        (false, true) => c.join("、"),
        (true, false) => g.join("、"),
        (false, false) => format!("{}；{}", c.join("、"), g.join("、")),
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
    fn words_split_on_every_usual_separator() {
        assert_eq!(
            words(" 电脑操作，客服、 电脑操作;包装/ 保洁 "),
            ["电脑操作", "客服", "包装", "保洁"]
        );
        assert!(words(" ，、 ").is_empty());
    }

    #[test]
    fn hours_fit_when_either_side_does_not_mind() {
        assert!(Hours::Full.fits(Hours::Full));
        assert!(Hours::Any.fits(Hours::Part));
        assert!(Hours::Part.fits(Hours::Any));
        assert!(!Hours::Part.fits(Hours::Full));
        assert_eq!(Hours::parse("兼职"), Some(Hours::Part));
        assert_eq!(Hours::parse("夜班"), None);
    }

    #[test]
    fn a_registration_names_every_fault() {
        let t = RegionTable::jiangsu();
        let ok = SeekerInput {
            wanted: "客服，收银".into(),
            skills: "电脑操作".into(),
            region_code: "320506".into(),
            hours: "全日制".into(),
            min_wage: "2500".into(),
        }
        .validate(t)
        .unwrap();
        assert_eq!(ok.wanted, ["客服", "收银"]);
        assert_eq!(ok.min_wage_fen, 250_000);
        let bad = SeekerInput {
            wanted: " ".into(),
            region_code: "999999".into(),
            hours: "夜班".into(),
            min_wage: "两千".into(),
            ..Default::default()
        }
        .validate(t)
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|f| f.0).collect();
        assert_eq!(fields, ["意向岗位", "意向地区", "工时", "期望月工资"]);
    }

    #[test]
    fn a_posting_names_every_fault_and_reads_what_it_suits() {
        let t = RegionTable::jiangsu();
        let today = d("2025-09-01");
        let p = PostingInput {
            employer_name: "苏州某电子厂".into(),
            post: "包装工".into(),
            openings: "3".into(),
            wage: "2690.50".into(),
            region_code: "320506".into(),
            hours: "".into(),
            skills: "包装".into(),
            categories: "肢体、听力，肢体".into(),
            grades: "三级 四级".into(),
            accessible: "是".into(),
            closes_on: "2025-12-31".into(),
            ..Default::default()
        }
        .validate(t, today)
        .unwrap();
        assert_eq!(p.categories, [2, 4]);
        assert_eq!(p.grades, [3, 4]);
        assert_eq!(p.wage_fen, 269_050);
        assert_eq!(p.hours, Hours::Any);
        assert!(p.accessible);
        assert_eq!(
            suits_label(&p.categories, &p.grades),
            "听力、肢体；三级、四级"
        );
        assert_eq!(suits_label(&[], &[]), "不限");
        let bad = PostingInput {
            employer_code: "91320000X00000000X".into(),
            openings: "0".into(),
            wage: "-1".into(),
            region_code: "320506".into(),
            categories: "健全".into(),
            grades: "五级".into(),
            accessible: "或许".into(),
            closes_on: "2025-08-31".into(),
            ..Default::default()
        }
        .validate(t, today)
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|f| f.0).collect();
        assert_eq!(
            fields,
            [
                "统一社会信用代码",
                "用人单位",
                "岗位",
                "招聘人数",
                "月工资",
                "适合类别",
                "适合等级",
                "无障碍",
                "截止日期"
            ]
        );
    }
}
