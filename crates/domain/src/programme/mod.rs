//! Services as programmes (服务项目): what a programme is, as rows a federation keeps —
//! its kind, the steps a case goes through, who it serves ([`condition`]), what it pays per
//! unit in which region and months, a yearly cap per person, and whether payment needs a
//! second approver. One case engine runs them all (reference §6-§8).

pub mod care;
pub mod case;
pub mod condition;
pub mod delivery;
pub mod device;
pub mod settlement;

use serde::Serialize;

pub use case::{Case, CaseAction, CaseError, CaseState, closes, may_act};
pub use condition::{Condition, ConditionError, Explained, Subject, certificate_valid};

use crate::money::Fen;
use crate::month::Month;

/// What kind of service a programme gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeKind {
    Rehabilitation,
    Device,
    Care,
    Renovation,
    Education,
    Insurance,
    LegalAid,
    Psychological,
    Other,
}

impl ProgrammeKind {
    pub const ALL: [ProgrammeKind; 9] = [
        ProgrammeKind::Rehabilitation,
        ProgrammeKind::Device,
        ProgrammeKind::Care,
        ProgrammeKind::Renovation,
        ProgrammeKind::Education,
        ProgrammeKind::Insurance,
        ProgrammeKind::LegalAid,
        ProgrammeKind::Psychological,
        ProgrammeKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProgrammeKind::Rehabilitation => "rehabilitation",
            ProgrammeKind::Device => "device",
            ProgrammeKind::Care => "care",
            ProgrammeKind::Renovation => "renovation",
            ProgrammeKind::Education => "education",
            ProgrammeKind::Insurance => "insurance",
            ProgrammeKind::LegalAid => "legal_aid",
            ProgrammeKind::Psychological => "psychological",
            ProgrammeKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProgrammeKind::Rehabilitation => "康复",
            ProgrammeKind::Device => "辅助器具",
            ProgrammeKind::Care => "托养",
            ProgrammeKind::Renovation => "无障碍改造",
            ProgrammeKind::Education => "教育",
            ProgrammeKind::Insurance => "保险",
            ProgrammeKind::LegalAid => "法律援助",
            ProgrammeKind::Psychological => "心理疏导",
            ProgrammeKind::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Option<ProgrammeKind> {
        let s = s.trim();
        ProgrammeKind::ALL
            .into_iter()
            .find(|k| k.label() == s || k.as_str() == s)
            .or(match s {
                "辅具" | "辅助器具适配" => Some(ProgrammeKind::Device),
                "无障碍" | "家庭无障碍改造" => Some(ProgrammeKind::Renovation),
                "心理" | "心理支持" => Some(ProgrammeKind::Psychological),
                "法律" => Some(ProgrammeKind::LegalAid),
                _ => None,
            })
    }
}

/// Who takes a step: a tier of the federation, or the provider the case is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Village,
    Town,
    County,
    City,
    Provider,
}

impl Actor {
    pub const ALL: [Actor; 5] = [
        Actor::Village,
        Actor::Town,
        Actor::County,
        Actor::City,
        Actor::Provider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Village => "village",
            Actor::Town => "town",
            Actor::County => "county",
            Actor::City => "city",
            Actor::Provider => "provider",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Actor::Village => "村（社区）",
            Actor::Town => "镇（街道）残联",
            Actor::County => "县（区）残联",
            Actor::City => "市残联",
            Actor::Provider => "服务机构",
        }
    }

    pub fn parse(s: &str) -> Option<Actor> {
        match s.trim() {
            "村" | "社区" | "村（社区）" | "村居" | "village" => Some(Actor::Village),
            "镇" | "街道" | "镇（街道）" | "镇街" | "town" => Some(Actor::Town),
            "县" | "区" | "县（区）" | "县区" | "county" => Some(Actor::County),
            "市" | "city" => Some(Actor::City),
            "机构" | "服务机构" | "供应商" | "施工单位" | "provider" => {
                Some(Actor::Provider)
            }
            _ => None,
        }
    }
}

/// One step a case goes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub name: String,
    pub actor: Actor,
    /// Working days (on the calendar) from the previous step; none: no limit.
    pub limit_days: Option<u32>,
    /// What the step records, by label.
    pub fields: Vec<String>,
}

/// A fault in a programme row: the column and why, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column}：{message}")]
pub struct ProgrammeError {
    pub column: &'static str,
    pub message: String,
}

fn err(column: &'static str, message: impl Into<String>) -> ProgrammeError {
    ProgrammeError {
        column,
        message: message.into(),
    }
}

/// Reads the steps text: `申请（村）→评估（县，10，评估结论、服务计划）→服务（机构，60）`.
/// Each step is a name, then in brackets who acts, the working days allowed and what it
/// records; steps are separated by `→`, `>` or `；`.
pub fn parse_steps(text: &str) -> Result<Vec<Step>, ProgrammeError> {
    let col = "办理步骤";
    let mut steps = Vec::new();
    for raw in text
        .split(['→', '>', '＞', '；', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (name, inner) = match raw.split_once(['（', '(']) {
            Some((n, rest)) => (
                n.trim(),
                rest.strip_suffix(['）', ')'])
                    .ok_or_else(|| err(col, format!("“{raw}”的括号不成对")))?,
            ),
            None => {
                return Err(err(
                    col,
                    format!("“{raw}”须在括号中写明办理角色，如“评估（县，10）”"),
                ));
            }
        };
        if name.is_empty() || name.chars().count() > 20 {
            return Err(err(col, format!("“{raw}”的步骤名称应为1至20个字")));
        }
        let mut parts = inner.split(['，', ',']).map(str::trim);
        let who = parts.next().unwrap_or("");
        let actor = Actor::parse(who).ok_or_else(|| {
            err(
                col,
                format!("“{who}”不是办理角色，应为村、镇、县、市或机构（步骤“{name}”）"),
            )
        })?;
        let mut limit_days = None;
        let mut fields = Vec::new();
        for p in parts {
            let days = p.trim_end_matches("个工作日").trim_end_matches("工作日");
            if let Ok(n) = days.parse::<u32>() {
                if limit_days.is_some() || n == 0 || n > 365 {
                    return Err(err(col, format!("步骤“{name}”的时限“{p}”无效")));
                }
                limit_days = Some(n);
            } else {
                fields.extend(
                    p.split('、')
                        .map(str::trim)
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned),
                );
            }
        }
        steps.push(Step {
            name: name.to_owned(),
            actor,
            limit_days,
            fields,
        });
    }
    if steps.is_empty() {
        return Err(err(col, "至少要有一个步骤"));
    }
    Ok(steps)
}

/// The steps as the sheet writes them (what [`parse_steps`] reads back).
pub fn steps_text(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| {
            let mut inner = vec![
                match s.actor {
                    Actor::Village => "村",
                    Actor::Town => "镇",
                    Actor::County => "县",
                    Actor::City => "市",
                    Actor::Provider => "机构",
                }
                .to_owned(),
            ];
            if let Some(d) = s.limit_days {
                inner.push(d.to_string());
            }
            if !s.fields.is_empty() {
                inner.push(s.fields.join("、"));
            }
            format!("{}（{}）", s.name, inner.join("，"))
        })
        .collect::<Vec<_>>()
        .join("→")
}

/// What a programme pays per unit in a region over a range of months.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Price {
    /// A region code prefix: the most specific price covering a household applies.
    pub region_prefix: String,
    /// 次, 月, 件, 户, 年, 人 …
    pub unit: String,
    #[schema(value_type = i64)]
    pub amount: Fen,
    #[schema(value_type = String)]
    pub from: Month,
    #[schema(value_type = Option<String>)]
    pub to: Option<Month>,
}

/// A programme as its rows define it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub name: String,
    pub kind: ProgrammeKind,
    pub steps: Vec<Step>,
    /// The conditions as written (kept, so that the page shows what was imported).
    pub condition_text: String,
    pub conditions: Condition,
    pub prices: Vec<Price>,
    pub yearly_cap: Option<Fen>,
    pub second_approval: bool,
}

impl Programme {
    /// The price for a household in a month: the most specific region first.
    pub fn price_for(&self, household: &str, month: Month) -> Option<&Price> {
        self.prices
            .iter()
            .filter(|p| {
                household.starts_with(p.region_prefix.as_str())
                    && p.from <= month
                    && p.to.is_none_or(|t| month <= t)
            })
            .max_by_key(|p| p.region_prefix.len())
    }
}

/// One row of a programme sheet as text per column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgrammeRow {
    pub name: String,
    pub kind: String,
    pub steps: String,
    pub conditions: String,
    pub region: String,
    pub amount: String,
    pub unit: String,
    pub from: String,
    pub to: String,
    pub yearly_cap: String,
    pub second_approval: String,
}

/// The sheet's columns: header, synonyms, required.
pub const COLUMNS: [(&str, &[&str], bool); 11] = [
    ("项目名称", &["服务项目", "项目"], true),
    ("项目类别", &["类别", "服务类别"], true),
    ("办理步骤", &["步骤", "流程"], true),
    ("资格条件", &["条件", "享受条件", "申请条件"], false),
    ("区划代码", &["行政区划代码", "地区代码"], true),
    (
        "单价（元）",
        &["单价", "金额", "补助标准（元）", "补助标准"],
        true,
    ),
    ("计价单位", &["单位"], true),
    ("起始月份", &["生效月份", "开始月份"], true),
    ("终止月份", &["失效月份", "结束月份"], false),
    ("年度上限（元）", &["年度上限", "每人每年上限"], false),
    ("须复核", &["是否复核", "二次审核"], false),
];

/// What each column of the programme sheet takes, and an example (the import template).
pub fn column_help(header: &str) -> (&'static str, &'static str) {
    match header {
        "项目名称" => (
            "项目名称，1至40个字；同一项目可有多行（不同区划或月份的单价）",
            "成人社区康复",
        ),
        "项目类别" => (
            "康复、辅助器具、托养、无障碍改造、教育、保险、法律援助、心理疏导、其他",
            "康复",
        ),
        "办理步骤" => (
            "步骤名（办理角色，时限工作日，记录内容）用“→”连接；角色为村、镇、县、市或机构",
            "申请（村，5）→评估（镇，10，康复需求、服务计划）→康复服务（机构，服务记录）",
        ),
        "资格条件" => (
            "用“；”分隔、全部满足：持证有效、类别：…、等级：…、年龄：0-6、救助：低保…、户籍：区划代码、\
             在读学生、诊断：孤独症…、未享受：3年；全部（…）、任一（…）组合",
            "持证有效；年龄：16-",
        ),
        "区划代码" => ("单价适用的区划代码（省、市、县均可）", "320000000000"),
        "单价（元）" => ("金额，最多两位小数", "100.00"),
        "计价单位" => ("次、月、件、户、年等", "次"),
        "起始月份" => ("如2025-01", "2025-01"),
        "终止月份" => ("如2025-12；长期有效不填", ""),
        "年度上限（元）" => ("每人每年最多支付的金额；不限不填", "2400"),
        "须复核" => ("结算是否须另一人复核：是或否", "否"),
        _ => ("", ""),
    }
}

impl ProgrammeRow {
    /// The row from its cells, `cell` giving the text under each canonical header of
    /// [`COLUMNS`] (empty when the sheet has no such column).
    pub fn from_cells(cell: impl Fn(&'static str) -> String) -> ProgrammeRow {
        let [
            name,
            kind,
            steps,
            conditions,
            region,
            amount,
            unit,
            from,
            to,
            cap,
            second,
        ] = COLUMNS.map(|(h, _, _)| cell(h));
        ProgrammeRow {
            name,
            kind,
            steps,
            conditions,
            region,
            amount,
            unit,
            from,
            to,
            yearly_cap: cap,
            second_approval: second,
        }
    }

    /// The row as a programme with its one price, or every fault by column.
    pub fn parse(&self) -> Result<Programme, Vec<ProgrammeError>> {
        let mut faults = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            faults.push(err("项目名称", "项目名称应为1至40个字"));
        }
        let kind = ProgrammeKind::parse(&self.kind);
        if kind.is_none() {
            faults.push(err(
                "项目类别",
                format!(
                    "“{}”不是项目类别，应为{}",
                    self.kind,
                    ProgrammeKind::ALL.map(ProgrammeKind::label).join("、")
                ),
            ));
        }
        let steps = parse_steps(&self.steps).map_err(|e| faults.push(e)).ok();
        let conditions = Condition::parse(&self.conditions)
            .map_err(|e| faults.push(err("资格条件", e.to_string())))
            .ok();
        let region = condition::region_prefix_of(self.region.trim());
        if region.is_none() {
            faults.push(err(
                "区划代码",
                format!("“{}”不是区划代码（如320000000000）", self.region),
            ));
        }
        let amount = match Fen::parse_yuan(&self.amount) {
            Ok(f) if f.fen() >= 0 => Some(f),
            Ok(_) => {
                faults.push(err("单价（元）", "单价不能为负数"));
                None
            }
            Err(e) => {
                faults.push(err("单价（元）", format!("“{}”：{e}", self.amount)));
                None
            }
        };
        let unit = self.unit.trim();
        if unit.is_empty() || unit.chars().count() > 6 {
            faults.push(err("计价单位", "计价单位应为1至6个字，如次、月、件、户"));
        }
        let month = |col: &'static str, s: &str, faults: &mut Vec<ProgrammeError>| {
            Month::parse(s)
                .map_err(|_| faults.push(err(col, format!("“{s}”不是月份，应如2025-01"))))
                .ok()
        };
        let from = month("起始月份", self.from.trim(), &mut faults);
        let to = match self.to.trim() {
            "" => Some(None),
            t => month("终止月份", t, &mut faults).map(Some),
        };
        if let (Some(f), Some(Some(t))) = (from, to)
            && t < f
        {
            faults.push(err("终止月份", "终止月份早于起始月份"));
        }
        let cap = match self.yearly_cap.trim() {
            "" | "不限" | "无" => Some(None),
            c => match Fen::parse_yuan(c) {
                Ok(f) if f.fen() > 0 => Some(Some(f)),
                Ok(_) => {
                    faults.push(err("年度上限（元）", "年度上限应大于0，不限时不填"));
                    None
                }
                Err(e) => {
                    faults.push(err("年度上限（元）", format!("“{c}”：{e}")));
                    None
                }
            },
        };
        let second = match self.second_approval.trim() {
            "" | "否" | "不需要" | "0" => Some(false),
            "是" | "需要" | "1" => Some(true),
            s => {
                faults.push(err("须复核", format!("“{s}”应为是或否")));
                None
            }
        };
        match (
            kind, steps, conditions, region, amount, from, to, cap, second,
        ) {
            (
                Some(kind),
                Some(steps),
                Some(conditions),
                Some(region_prefix),
                Some(amount),
                Some(from),
                Some(to),
                Some(yearly_cap),
                Some(second_approval),
            ) if faults.is_empty() => Ok(Programme {
                name: name.to_owned(),
                kind,
                steps,
                condition_text: self.conditions.trim().to_owned(),
                conditions,
                prices: vec![Price {
                    region_prefix,
                    unit: unit.to_owned(),
                    amount,
                    from,
                    to,
                }],
                yearly_cap,
                second_approval,
            }),
            _ => Err(faults),
        }
    }
}

/// Gathers parsed rows into programmes: rows of one name add their prices and must agree on
/// everything else. Returns the programmes in first-seen order, and per row number the
/// reason it disagrees.
pub fn gather(rows: Vec<(usize, Programme)>) -> (Vec<Programme>, Vec<(usize, ProgrammeError)>) {
    let mut out: Vec<Programme> = Vec::new();
    let mut faults = Vec::new();
    for (row, p) in rows {
        match out.iter_mut().find(|q| q.name == p.name) {
            None => out.push(p),
            Some(q) => {
                let same = q.kind == p.kind
                    && q.steps == p.steps
                    && q.conditions == p.conditions
                    && q.yearly_cap == p.yearly_cap
                    && q.second_approval == p.second_approval;
                if !same {
                    faults.push((
                        row,
                        err(
                            "项目名称",
                            format!(
                                "“{}”在前面的行中已有不同的类别、步骤、条件、上限或复核要求；\
                                 同一项目的各行只能在区划、单价和月份上不同",
                                p.name
                            ),
                        ),
                    ));
                    continue;
                }
                let overlaps = p.prices.iter().any(|a| {
                    q.prices.iter().any(|b| {
                        a.region_prefix == b.region_prefix
                            && b.to.is_none_or(|t| a.from <= t)
                            && a.to.is_none_or(|t| b.from <= t)
                    })
                });
                if overlaps {
                    faults.push((
                        row,
                        err(
                            "起始月份",
                            format!("“{}”在同一区划已有重叠月份的单价", p.name),
                        ),
                    ));
                    continue;
                }
                q.prices.extend(p.prices);
            }
        }
    }
    (out, faults)
}

/// The programmes shipped for Jiangsu (`data/programmes/jiangsu.tsv`): what a new
/// registry starts with, until the federation imports its own.
pub fn jiangsu() -> Result<Vec<Programme>, String> {
    const JIANGSU: &str = include_str!("../../../../data/programmes/jiangsu.tsv");
    let mut lines = JIANGSU
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let headers: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split('\t').collect();
        let row = ProgrammeRow::from_cells(|h| {
            headers
                .iter()
                .position(|x| *x == h)
                .and_then(|j| cells.get(j))
                .map_or_else(String::new, |c| (*c).to_owned())
        });
        let p = row
            .parse()
            .map_err(|e| format!("第{}行：{}", i + 2, e[0]))?;
        rows.push((i + 2, p));
    }
    let (list, faults) = gather(rows);
    match faults.first() {
        Some((row, e)) => Err(format!("第{row}行：{e}")),
        None => Ok(list),
    }
}

#[cfg(test)]
mod tests;
