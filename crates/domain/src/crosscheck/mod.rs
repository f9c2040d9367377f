//! Cross-checks with other departments' lists (数据比对): the kinds of list (data: who sends
//! them, their columns with synonyms), reading a list row, comparing it with the registry's
//! file, and which differences become tasks for the town (data: `data/crosscheck/rules.tsv`).
//!
//! Every list row ends in exactly one class: matched and consistent, matched with differences
//! (each field named, the registry's value against the list's), a weak match (no usable ID
//! number: name, birth date and sex agree, a person must confirm), in the list only, or
//! refused (unreadable). For the kinds that define it, people of the registry the list should
//! hold and does not are the fifth class, registry only.

use chrono::NaiveDate;
use serde::Serialize;

use crate::data_table::DataTable;
use crate::id_number::{IdNumber, Sex};
use crate::money::Fen;
use crate::month::Month;
use crate::person::LifeStatus;
use crate::subsidy::{Assistance, AssistanceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListKind {
    Deaths,
    Moves,
    Assistance,
    ElderlyAllowance,
    Insurance,
    Students,
    Registry,
}

impl ListKind {
    pub const ALL: [ListKind; 7] = [
        ListKind::Deaths,
        ListKind::Moves,
        ListKind::Assistance,
        ListKind::ElderlyAllowance,
        ListKind::Insurance,
        ListKind::Students,
        ListKind::Registry,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Deaths => "deaths",
            ListKind::Moves => "moves",
            ListKind::Assistance => "assistance",
            ListKind::ElderlyAllowance => "elderly_allowance",
            ListKind::Insurance => "insurance",
            ListKind::Students => "students",
            ListKind::Registry => "registry",
        }
    }

    /// The kind named on the command line, or by its Chinese name.
    pub fn parse(s: &str) -> Option<ListKind> {
        let s = s.trim();
        ListKind::ALL.into_iter().find(|k| {
            k.as_str() == s
                || specs()
                    .ok()
                    .is_some_and(|sp| sp.iter().any(|x| x.kind == *k && x.name == s))
        })
    }
}

/// One column of a kind's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnSpec {
    pub header: String,
    pub synonyms: Vec<String>,
    pub required: bool,
}

/// A kind of list as the data describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindSpec {
    pub kind: ListKind,
    pub name: String,
    pub department: String,
    /// Empty for the registry kind, which reads the person sheet's headers.
    pub columns: Vec<ColumnSpec>,
}

/// The header as compared: no spaces or stars, half-width brackets, no trailing note.
pub fn normalise_header(h: &str) -> String {
    let s: String = h
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .collect();
    match s.find('(') {
        Some(i) if i > 0 && s.ends_with(')') => s[..i].to_owned(),
        _ => s,
    }
}

impl KindSpec {
    /// Where each of the kind's columns (and 性别, 出生日期) is in a sheet with `headers`, by
    /// header or synonym (the first wins); or the required headers it lacks.
    pub fn map_headers(
        &self,
        headers: &[String],
    ) -> Result<std::collections::HashMap<String, usize>, Vec<String>> {
        let mut cols = self.columns.clone();
        for (h, syn) in [("性别", "性 别"), ("出生日期", "出生年月日|生日|出生年月")]
        {
            cols.push(ColumnSpec {
                header: h.into(),
                synonyms: syn.split('|').map(str::to_owned).collect(),
                required: false,
            });
        }
        let mut at = std::collections::HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = normalise_header(h);
            if let Some(c) = cols.iter().find(|c| {
                normalise_header(&c.header) == h
                    || c.synonyms.iter().any(|s| normalise_header(s) == h)
            }) {
                at.entry(c.header.clone()).or_insert(i);
            }
        }
        let missing: Vec<String> = cols
            .iter()
            .filter(|c| c.required && !at.contains_key(&c.header))
            .map(|c| c.header.clone())
            .collect();
        if missing.is_empty() {
            Ok(at)
        } else {
            Err(missing)
        }
    }
}

/// The kinds shipped (`data/crosscheck/kinds.tsv` and `columns.tsv`).
pub fn specs() -> Result<Vec<KindSpec>, String> {
    let kinds = DataTable::parse(
        "名单类型",
        include_str!("../../../../data/crosscheck/kinds.tsv"),
    );
    let cols = DataTable::parse(
        "名单列",
        include_str!("../../../../data/crosscheck/columns.tsv"),
    );
    let mut out = Vec::new();
    for i in 0..kinds.len() {
        let code = kinds.text(i, "代码")?;
        let kind = ListKind::ALL
            .into_iter()
            .find(|k| k.as_str() == code)
            .ok_or_else(|| format!("名单类型第{}行：未知的代码“{code}”", i + 1))?;
        let mut columns = Vec::new();
        for j in 0..cols.len() {
            if cols.text(j, "代码")? != code {
                continue;
            }
            columns.push(ColumnSpec {
                header: cols.text(j, "表头")?.to_owned(),
                synonyms: cols
                    .text(j, "同义词")?
                    .split('|')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                required: cols.text(j, "必需")? == "是",
            });
        }
        out.push(KindSpec {
            kind,
            name: kinds.text(i, "名称")?.to_owned(),
            department: kinds.text(i, "部门")?.to_owned(),
            columns,
        });
    }
    Ok(out)
}

pub fn spec(kind: ListKind) -> Result<KindSpec, String> {
    specs()?
        .into_iter()
        .find(|s| s.kind == kind)
        .ok_or_else(|| format!("没有“{}”名单的说明", kind.as_str()))
}

/// What a list row says beyond who the person is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Death {
        date: NaiveDate,
    },
    Move {
        date: NaiveDate,
        to: String,
    },
    Assistance(Assistance),
    Elderly {
        amount: Fen,
        from: Month,
    },
    Insurance {
        kind: String,
        status: String,
        month: Month,
    },
    Student {
        stage: String,
        school: String,
        status: String,
    },
    /// Another federation's file: where it is filed, and the disability it records.
    Registry {
        household: String,
        disability: String,
    },
}

/// A list row as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub row: usize,
    /// The ID number when it reads (15 digits converted).
    pub id: Option<IdNumber>,
    /// The cell as it stood.
    pub id_text: String,
    pub name: String,
    pub birth: Option<NaiveDate>,
    pub sex: Option<Sex>,
    pub payload: Payload,
}

/// A fault of a row: the column and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fault {
    pub column: String,
    pub reason: String,
}

fn fault(column: &str, reason: impl Into<String>) -> Fault {
    Fault {
        column: column.into(),
        reason: reason.into(),
    }
}

pub const INSURANCE_KINDS: [&str; 2] = ["养老", "医保"];
pub const INSURANCE_STATES: [&str; 3] = ["参保缴费", "暂停缴费", "终止参保"];

/// Reads a row of a list of `kind`: `get(header)` gives the cell under a canonical header
/// (empty when absent). A row without a usable ID number needs a name and a birth date (the
/// weak match); no date may lie after `today`.
pub fn read_row(
    kind: ListKind,
    row: usize,
    get: &dyn Fn(&str) -> String,
    today: NaiveDate,
) -> Result<ListRow, Vec<Fault>> {
    let mut faults = Vec::new();
    let id_text = get("身份证号").trim().to_owned();
    let id = IdNumber::parse_with_legacy(&id_text).ok().map(|(id, _)| id);
    let name = get("姓名").trim().to_owned();
    let birth_text = get("出生日期");
    let birth = crate::person::parse_date(&birth_text);
    if !birth_text.trim().is_empty() && birth.is_none() {
        faults.push(fault(
            "出生日期",
            format!("“{}”不是有效的日期", birth_text.trim()),
        ));
    }
    let sex_text = get("性别");
    let sex = Sex::parse(&sex_text);
    if !sex_text.trim().is_empty() && sex.is_none() {
        faults.push(fault("性别", format!("“{}”应为男或女", sex_text.trim())));
    }
    if id.is_none() && (name.is_empty() || birth.is_none()) {
        faults.push(fault(
            "身份证号",
            if id_text.is_empty() {
                "没有身份证号，也没有姓名和出生日期，无法比对".to_owned()
            } else {
                format!("身份证号“{id_text}”无效，且没有姓名和出生日期，无法比对")
            },
        ));
    }
    let mut date = |h: &str, required: bool| -> Option<NaiveDate> {
        let t = get(h);
        match crate::person::parse_date(&t) {
            Some(d) if d > today => {
                faults.push(fault(h, format!("{d} 晚于今天")));
                None
            }
            Some(d) => Some(d),
            None if t.trim().is_empty() && !required => None,
            None => {
                faults.push(fault(h, format!("“{}”不是有效的日期", t.trim())));
                None
            }
        }
    };
    let payload = match kind {
        ListKind::Deaths => date("死亡日期", true).map(|date| Payload::Death { date }),
        ListKind::Moves => date("迁出日期", true).map(|date| Payload::Move {
            date,
            to: get("迁往地").trim().to_owned(),
        }),
        ListKind::Assistance => {
            let k = AssistanceKind::parse(&get("救助类型"));
            if k.is_none() {
                faults.push(fault(
                    "救助类型",
                    format!("“{}”不是救助类型", get("救助类型").trim()),
                ));
            }
            let month = |h: &str, faults: &mut Vec<Fault>| -> Option<Option<Month>> {
                let t = get(h);
                if t.trim().is_empty() {
                    return Some(None);
                }
                match Month::parse(t.trim()) {
                    Ok(m) if m.first_day() <= today => Some(Some(m)),
                    Ok(m) => {
                        faults.push(fault(h, format!("{m} 晚于本月")));
                        None
                    }
                    Err(_) => {
                        faults.push(fault(h, format!("“{}”不是月份（如2024-01）", t.trim())));
                        None
                    }
                }
            };
            let from = month("起始月份", &mut faults);
            let to = month("终止月份", &mut faults);
            match (k, from, to) {
                (Some(kind), Some(Some(from)), Some(to)) => {
                    if to.is_some_and(|t| t < from) {
                        faults.push(fault("终止月份", "终止月份早于起始月份"));
                        None
                    } else {
                        Some(Payload::Assistance(Assistance {
                            kind,
                            from,
                            to,
                            amount: None,
                        }))
                    }
                }
                (_, Some(None), _) => {
                    faults.push(fault("起始月份", "请填写起始月份"));
                    None
                }
                _ => None,
            }
        }
        ListKind::ElderlyAllowance => {
            let amount = Fen::parse_yuan(get("月金额").trim())
                .ok()
                .filter(|f| f.fen() > 0);
            if amount.is_none() {
                faults.push(fault(
                    "月金额",
                    format!("“{}”不是金额（元）", get("月金额").trim()),
                ));
            }
            let from = Month::parse(get("起始月份").trim())
                .ok()
                .filter(|m| m.first_day() <= today);
            if from.is_none() {
                faults.push(fault(
                    "起始月份",
                    format!("“{}”不是本月或以前的月份", get("起始月份").trim()),
                ));
            }
            amount
                .zip(from)
                .map(|(amount, from)| Payload::Elderly { amount, from })
        }
        ListKind::Insurance => {
            let k = get("险种").trim().to_owned();
            let k = match k.as_str() {
                "养老保险" | "基本养老保险" | "城乡居民养老保险" | "职工养老保险" => {
                    "养老".to_owned()
                }
                "医疗保险" | "基本医疗保险" | "医疗" | "城乡居民医保" | "职工医保" => {
                    "医保".to_owned()
                }
                _ => k,
            };
            if !INSURANCE_KINDS.contains(&k.as_str()) {
                faults.push(fault("险种", format!("“{k}”应为养老或医保")));
            }
            let st = get("参保状态").trim().to_owned();
            if !INSURANCE_STATES.contains(&st.as_str()) {
                faults.push(fault(
                    "参保状态",
                    format!("“{st}”应为{}", INSURANCE_STATES.join("、")),
                ));
            }
            let month = Month::parse(get("缴费年月").trim())
                .ok()
                .filter(|m| m.first_day() <= today);
            if month.is_none() {
                faults.push(fault(
                    "缴费年月",
                    format!("“{}”不是本月或以前的月份", get("缴费年月").trim()),
                ));
            }
            month.map(|month| Payload::Insurance {
                kind: k,
                status: st,
                month,
            })
        }
        ListKind::Students => {
            let (stage, school, status) = (get("学段"), get("学校"), get("在读状态"));
            for (h, v) in [("学段", &stage), ("学校", &school), ("在读状态", &status)] {
                if v.trim().is_empty() {
                    faults.push(fault(h, format!("请填写{h}")));
                }
            }
            Some(Payload::Student {
                stage: stage.trim().to_owned(),
                school: school.trim().to_owned(),
                status: status.trim().to_owned(),
            })
        }
        ListKind::Registry => Some(Payload::Registry {
            household: get("户籍地区划代码").trim().to_owned(),
            disability: format!("{}{}", get("残疾类别").trim(), get("残疾等级").trim()),
        }),
    };
    match payload {
        Some(payload) if faults.is_empty() => Ok(ListRow {
            row,
            sex: sex.or(id.as_ref().map(IdNumber::sex)),
            birth: birth.or(id.as_ref().map(IdNumber::birth_date)),
            id,
            id_text,
            name,
            payload,
        }),
        _ => Err(faults),
    }
}

/// What the registry holds of a matched person, for comparing.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub name: String,
    pub sex: Option<Sex>,
    pub birth: Option<NaiveDate>,
    pub household: String,
    pub life_status: Option<LifeStatus>,
    pub life_date: Option<NaiveDate>,
    /// A certificate in force.
    pub certified: bool,
    pub assistance: Vec<Assistance>,
    /// The care subsidy last paid a month, if any.
    pub care_fen: Option<i64>,
}

/// One difference: its code (what the rules map to a task), the field, the two values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Difference {
    pub code: String,
    pub field: String,
    pub registry: String,
    pub list: String,
}

fn diff(
    code: &str,
    field: &str,
    registry: impl Into<String>,
    list: impl Into<String>,
) -> Difference {
    Difference {
        code: code.into(),
        field: field.into(),
        registry: registry.into(),
        list: list.into(),
    }
}

fn life(f: &Facts) -> String {
    match (f.life_status, f.life_date) {
        (Some(s), Some(d)) if s != LifeStatus::Living => format!("{}（{d}）", s.label()),
        (Some(s), _) => s.label().to_owned(),
        (None, _) => String::new(),
    }
}

fn assistance_label(a: &Assistance) -> String {
    match a.to {
        Some(t) => format!("{} {}至{}", a.kind.label(), a.from, t),
        None => format!("{} {}起", a.kind.label(), a.from),
    }
}

/// The differences between a list row and the matched person's file.
pub fn compare(row: &ListRow, f: &Facts) -> Vec<Difference> {
    let mut out = Vec::new();
    if !row.name.is_empty() && row.name != f.name {
        out.push(diff("name", "姓名", &f.name, &row.name));
    }
    if let (Some(a), Some(b)) = (f.sex, row.sex)
        && a != b
    {
        out.push(diff("sex", "性别", a.label(), b.label()));
    }
    if let (Some(a), Some(b)) = (f.birth, row.birth)
        && a != b
    {
        out.push(diff("birth_date", "出生日期", a.to_string(), b.to_string()));
    }
    match &row.payload {
        Payload::Death { date } => match f.life_status {
            Some(LifeStatus::Deceased) if f.life_date == Some(*date) => {}
            Some(LifeStatus::Deceased) => {
                out.push(diff("death_date", "死亡日期", life(f), date.to_string()))
            }
            _ => out.push(diff(
                "death",
                "生存状态",
                life(f),
                format!("死亡（{date}）"),
            )),
        },
        Payload::Move { date, to } => match f.life_status {
            Some(LifeStatus::Living) | None => out.push(diff(
                "move",
                "户籍",
                life(f),
                if to.is_empty() {
                    format!("迁出（{date}）")
                } else {
                    format!("迁出至{to}（{date}）")
                },
            )),
            Some(LifeStatus::MovedOut) if f.life_date != Some(*date) => {
                out.push(diff("move_date", "迁出日期", life(f), date.to_string()));
            }
            _ => {}
        },
        Payload::Assistance(a) => {
            match f
                .assistance
                .iter()
                .find(|x| x.kind == a.kind && x.from == a.from)
            {
                None => out.push(diff(
                    "assistance_started",
                    "救助状态",
                    f.assistance
                        .iter()
                        .filter(|x| x.kind == a.kind)
                        .map(assistance_label)
                        .collect::<Vec<_>>()
                        .join("；"),
                    assistance_label(a),
                )),
                Some(x) if x.to != a.to => out.push(diff(
                    "assistance_ended",
                    "终止月份",
                    assistance_label(x),
                    assistance_label(a),
                )),
                Some(_) => {}
            }
        }
        Payload::Elderly { amount, from } => {
            let held = f.assistance.iter().any(|x| {
                x.kind == AssistanceKind::ElderlyCare
                    && x.from == *from
                    && x.amount == Some(*amount)
            });
            match f.care_fen {
                Some(c) if amount.fen() > c && !held => out.push(diff(
                    "allowance_higher",
                    "老年人护理补贴",
                    format!("重度残疾人护理补贴每月{}元", Fen(c).yuan()),
                    format!("老年人护理补贴每月{}元，{from}起", amount.yuan()),
                )),
                _ if !held => out.push(diff(
                    "allowance_new",
                    "老年人护理补贴",
                    "无",
                    format!("每月{}元，{from}起", amount.yuan()),
                )),
                _ => {}
            }
        }
        Payload::Insurance {
            kind,
            status,
            month,
        } => {
            if status != "参保缴费" {
                let code = if kind == "养老" {
                    "not_paying_pension"
                } else {
                    "not_paying_medical"
                };
                out.push(diff(
                    code,
                    "参保状态",
                    "",
                    format!("{kind}{status}（{month}）"),
                ));
            }
        }
        Payload::Student { .. } => {}
        Payload::Registry {
            household,
            disability,
        } => out.push(diff(
            "filed_twice",
            "建档地",
            crate::RegionTable::jiangsu().name_of(&f.household),
            format!("{household} {disability}"),
        )),
    }
    out
}

/// For the kinds that define it: why a person of the registry the list does not hold should
/// have been in it. Insurance: a living certificate holder of working age (the band is the
/// employment rules') with no enrolment.
pub fn registry_only(
    kind: ListKind,
    f: &Facts,
    today: NaiveDate,
    band: &crate::employment::EmploymentRules,
) -> Option<Difference> {
    match kind {
        ListKind::Insurance
            if f.certified
                && f.life_status == Some(LifeStatus::Living)
                && f.birth.is_some_and(|b| band.of_working_age(b, today)) =>
        {
            Some(diff(
                "no_enrolment",
                "参保",
                "持证，劳动年龄段",
                "名单中无参保记录",
            ))
        }
        _ => None,
    }
}

/// What confirming a task does to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Then {
    Nothing,
    Death,
    Move,
    Assistance,
}

/// A rule: a difference of a kind (any kind when `kind` is none) becomes a task; confirming
/// it may also open a case of a service programme for the person (when eligible).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskRule {
    pub kind: Option<ListKind>,
    pub code: String,
    pub task: String,
    pub days: u32,
    pub then: Then,
    pub programme: Option<String>,
}

pub fn task_rules() -> Result<Vec<TaskRule>, String> {
    let t = DataTable::parse(
        "比对任务规则",
        include_str!("../../../../data/crosscheck/rules.tsv"),
    );
    (0..t.len())
        .map(|i| {
            let k = t.text(i, "名单类型")?;
            let kind = match k {
                "*" => None,
                k => Some(
                    ListKind::ALL
                        .into_iter()
                        .find(|x| x.as_str() == k)
                        .ok_or_else(|| format!("比对任务规则第{}行：未知的名单类型“{k}”", i + 1))?,
                ),
            };
            let then = match t.text(i, "确认后")? {
                "死亡" => Then::Death,
                "迁出" => Then::Move,
                "救助" => Then::Assistance,
                "无" | "" => Then::Nothing,
                x => return Err(format!("比对任务规则第{}行：未知的处理“{x}”", i + 1)),
            };
            Ok(TaskRule {
                kind,
                code: t.text(i, "差异代码")?.to_owned(),
                task: t.text(i, "任务")?.to_owned(),
                days: t.value(i, "期限（工作日）")?,
                then,
                programme: t
                    .text(i, "服务项目")
                    .ok()
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// The rule for a difference of a kind: the kind's own first, then one for any kind.
pub fn rule_for<'a>(rules: &'a [TaskRule], kind: ListKind, code: &str) -> Option<&'a TaskRule> {
    rules
        .iter()
        .find(|r| r.kind == Some(kind) && r.code == code)
        .or_else(|| rules.iter().find(|r| r.kind.is_none() && r.code == code))
}

/// What a confirmed task applies, encoded to keep with the task: the list's values.
pub fn action_text(row: &ListRow) -> String {
    match &row.payload {
        Payload::Death { date } => format!("death|{date}"),
        Payload::Move { date, .. } => format!("move|{date}"),
        Payload::Assistance(a) => format!(
            "assistance|{}|{}|{}|",
            a.kind.as_str(),
            a.from,
            a.to.map(|m| m.to_string()).unwrap_or_default()
        ),
        Payload::Elderly { amount, from } => {
            format!("assistance|elderly_care|{from}||{}", amount.fen())
        }
        _ => String::new(),
    }
}

/// The change a confirmed task applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Life(LifeStatus, NaiveDate),
    Assistance(Assistance),
    /// Open a case of this programme for the person, if eligible.
    Programme(String),
}

pub fn parse_action(s: &str) -> Option<Action> {
    let p: Vec<&str> = s.split('|').collect();
    match p.as_slice() {
        ["programme", name] if !name.is_empty() => Some(Action::Programme((*name).to_owned())),
        ["death", d] => Some(Action::Life(LifeStatus::Deceased, d.parse().ok()?)),
        ["move", d] => Some(Action::Life(LifeStatus::MovedOut, d.parse().ok()?)),
        ["assistance", k, from, to, amount] => Some(Action::Assistance(Assistance {
            kind: AssistanceKind::ALL.into_iter().find(|x| x.as_str() == *k)?,
            from: Month::parse(from).ok()?,
            to: if to.is_empty() {
                None
            } else {
                Some(Month::parse(to).ok()?)
            },
            amount: if amount.is_empty() {
                None
            } else {
                Some(Fen(amount.parse().ok()?))
            },
        })),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
