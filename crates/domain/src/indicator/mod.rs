//! Plan indicators (规划指标) and the counts a federation reports, held as data
//! (`data/indicators/indicators.tsv`): each is a population (a filter over the registry, in the
//! words of a programme's conditions plus the needs a visit or the survey recorded) and a
//! measure (its count, the count or share of it that has a fact, or the money paid to it).
//! Reference §10 lists Taicang's ten indicators for 2021-2025.
//!
//! The domain decides, per person and date, what each indicator counts ([`Definition::tally`]);
//! the store gathers the facts and adds the tallies up per village, and a region's value is the
//! sum of its villages'.

mod facts;
mod target;

pub use facts::{CaseFact, CaseState, Fact, PersonFacts};
pub use target::{Allocation, TargetError, TargetValue, allocation};

use chrono::NaiveDate;
use serde::Serialize;

use crate::data_table::DataTable;
use crate::needs::NeedItems;
use crate::programme::{Condition, Subject};
use crate::subsidy::SubsidyKind;

/// What an indicator measures over its population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measure {
    /// The population's head count.
    Count,
    /// How many of the population have the fact.
    CountWith(Fact),
    /// The share (per cent) of the population that has the fact.
    Share(Fact),
    /// The money paid to the population in the year (one subsidy, or both when `None`).
    Paid(Option<SubsidyKind>),
    /// The platform does not hold what the indicator needs (the note says what).
    NoData,
}

/// How a value reads: people, per cent, or yuan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    People,
    Percent,
    Yuan,
    None,
}

impl Unit {
    pub fn label(self) -> &'static str {
        match self {
            Unit::People => "人",
            Unit::Percent => "%",
            Unit::Yuan => "元",
            Unit::None => "",
        }
    }
}

impl Measure {
    pub fn unit(&self) -> Unit {
        match self {
            Measure::Count | Measure::CountWith(_) => Unit::People,
            Measure::Share(_) => Unit::Percent,
            Measure::Paid(_) => Unit::Yuan,
            Measure::NoData => Unit::None,
        }
    }

    /// Whether the children's values add up to the parent's (a count or a sum), so that a
    /// county's task is split among its towns; a share is not.
    pub fn additive(&self) -> bool {
        matches!(
            self,
            Measure::Count | Measure::CountWith(_) | Measure::Paid(_)
        )
    }

    fn parse(text: &str) -> Result<Measure, String> {
        let t = text.trim();
        if t == "人数" {
            return Ok(Measure::Count);
        }
        if t == "暂无数据" {
            return Ok(Measure::NoData);
        }
        let Some((k, v)) = t.split_once(['：', ':']) else {
            return Err(format!(
                "度量“{t}”无法识别：应为 人数、人数：事实、占比：事实、金额：补贴 或 暂无数据"
            ));
        };
        match k.trim() {
            "人数" => Ok(Measure::CountWith(Fact::parse(v)?)),
            "占比" => Ok(Measure::Share(Fact::parse(v)?)),
            "金额" => match v.trim() {
                "两项补贴" => Ok(Measure::Paid(None)),
                s => SubsidyKind::parse(s)
                    .map(|k| Measure::Paid(Some(k)))
                    .ok_or_else(|| {
                        format!("金额“{s}”无法识别：应为 生活补贴、护理补贴 或 两项补贴")
                    }),
            },
            other => Err(format!("度量“{other}”无法识别：应为 人数、占比 或 金额")),
        }
    }
}

/// Who an indicator counts: the conditions of a programme, the needs recorded for the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Population {
    pub conditions: Option<Condition>,
    /// Need item codes, any of which the person's latest visit or survey recorded.
    pub needs: Vec<String>,
    /// `在世`: only the living, with no other condition.
    pub living: bool,
    /// The text as the sheet gave it.
    pub text: String,
}

impl Population {
    pub fn parse(text: &str, items: &NeedItems) -> Result<Population, String> {
        let mut rest = Vec::new();
        let mut needs = Vec::new();
        let mut living = false;
        for part in text
            .split(['；', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part {
                "在世" | "健在" | "生存" => {
                    living = true;
                    continue;
                }
                // 重度: grades one and two (GB/T 26341-2010).
                "重度" | "重度残疾" => {
                    rest.push("等级：一级、二级");
                    continue;
                }
                _ => {}
            }
            match part.split_once(['：', ':']) {
                Some((k, v)) if k.trim() == "需求" => {
                    for n in v
                        .split(['、', '，', ','])
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                    {
                        let item = items
                            .find(n)
                            .ok_or_else(|| format!("需求“{n}”不在需求项目表中"))?;
                        needs.push(item.code.clone());
                    }
                }
                _ => rest.push(part),
            }
        }
        let conditions = if rest.is_empty() {
            None
        } else {
            Some(Condition::parse(&rest.join("；")).map_err(|e| e.to_string())?)
        };
        Ok(Population {
            conditions,
            needs,
            living,
            text: text.trim().to_owned(),
        })
    }

    /// Everyone on file, the dead and the moved away included: what a measure of the year
    /// (paid, employed, trained in it) counts over.
    pub fn is_everyone(&self) -> bool {
        self.conditions.is_none() && self.needs.is_empty() && !self.living
    }

    /// Whether the person belongs to the population on `date`. A population with conditions
    /// counts only the living (`alive`: living on the date, whatever happened after it).
    pub fn holds(&self, s: &Subject<'_>, needs: &[String], date: NaiveDate, alive: bool) -> bool {
        self.is_everyone()
            || alive
                && (self.needs.is_empty() || self.needs.iter().any(|n| needs.contains(n)))
                && self.conditions.as_ref().is_none_or(|c| c.holds(s, date))
    }
}

/// One indicator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub key: String,
    pub name: String,
    pub population: Population,
    pub measure: Measure,
    pub note: String,
}

/// What one person (or a region, summed) contributes to an indicator: the numerator (people,
/// or fen for money) and the denominator (the population, for a share).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub n: i64,
    pub d: i64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.n += o.n;
        self.d += o.d;
    }
}

impl Definition {
    /// What the person adds to the indicator on `date`; `alive`: living on that date (the
    /// file then reads as living, though it may record a death since).
    pub fn tally(&self, s: &Subject<'_>, f: &PersonFacts, date: NaiveDate, alive: bool) -> Tally {
        if self.measure == Measure::NoData || !self.population.holds(s, &f.needs, date, alive) {
            return Tally::default();
        }
        match &self.measure {
            Measure::Count => Tally { n: 1, d: 0 },
            Measure::CountWith(fact) => Tally {
                n: i64::from(fact.holds(s.person, f, date)),
                d: 0,
            },
            Measure::Share(fact) => Tally {
                n: i64::from(fact.holds(s.person, f, date)),
                d: 1,
            },
            Measure::Paid(kind) => Tally {
                n: f.paid_in_year(*kind, date),
                d: 0,
            },
            Measure::NoData => Tally::default(),
        }
    }

    /// The value of a tally: people, a per cent (two decimals; none of an empty population),
    /// yuan; none where there is no data.
    pub fn value(&self, t: Tally) -> Option<f64> {
        match self.measure {
            Measure::Count | Measure::CountWith(_) => Some(t.n as f64),
            Measure::Share(_) if t.d == 0 => None,
            Measure::Share(_) => Some(((t.n as f64) * 10000.0 / (t.d as f64)).round() / 100.0),
            Measure::Paid(_) => Some(t.n as f64 / 100.0),
            Measure::NoData => None,
        }
    }

    /// The value as a page shows it, with its unit ("暂无数据" where there is none).
    pub fn display(&self, t: Tally) -> String {
        match (&self.measure, self.value(t)) {
            (Measure::NoData, _) => "暂无数据".into(),
            (Measure::Share(_), None) => "无应统计人群".into(),
            (Measure::Share(_), Some(v)) => format!("{v:.2}%"),
            (Measure::Paid(_), _) => format!("{}元", crate::money::Fen(t.n).yuan()),
            (_, Some(v)) => format!("{v}人"),
            (_, None) => "—".into(),
        }
    }

    /// The population and measure in one line, as a page explains the indicator.
    pub fn explain(&self) -> String {
        let who = if self.population.text.is_empty() {
            "全部档案".to_owned()
        } else {
            self.population.text.clone()
        };
        let what = match &self.measure {
            Measure::Count => "人数".to_owned(),
            Measure::CountWith(f) => format!("其中{}的人数", f.label()),
            Measure::Share(f) => format!("其中{}的比例", f.label()),
            Measure::Paid(Some(k)) => format!("当年已发放{}金额", k.label()),
            Measure::Paid(None) => "当年已发放两项补贴金额".to_owned(),
            Measure::NoData => "暂无数据".to_owned(),
        };
        format!("{who}：{what}")
    }
}

/// The indicators, in the order pages show them.
#[derive(Debug, Clone)]
pub struct Definitions(Vec<Definition>);

impl Definitions {
    pub fn parse(text: &str) -> Result<Definitions, String> {
        let items = NeedItems::shipped()?;
        let t = DataTable::parse("指标定义表", text);
        let mut out: Vec<Definition> = Vec::with_capacity(t.len());
        for i in 0..t.len() {
            let row = i + 1;
            let key = t.text(i, "代码")?;
            if key.is_empty()
                || !key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                || out.iter().any(|d| d.key == key)
            {
                return Err(format!(
                    "指标定义表第{row}行的代码“{key}”为空、重复或含小写字母、数字、下划线以外的字符"
                ));
            }
            let name = t.text(i, "名称")?;
            if name.is_empty() || out.iter().any(|d| d.name == name) {
                return Err(format!("指标定义表第{row}行的名称“{name}”为空或重复"));
            }
            let population = Population::parse(t.text(i, "人群")?, &items)
                .map_err(|e| format!("指标定义表第{row}行（{name}）的人群：{e}"))?;
            let measure = Measure::parse(t.text(i, "度量")?)
                .map_err(|e| format!("指标定义表第{row}行（{name}）：{e}"))?;
            out.push(Definition {
                key: key.to_owned(),
                name: name.to_owned(),
                population,
                measure,
                note: t.text(i, "说明")?.to_owned(),
            });
        }
        Ok(Definitions(out))
    }

    pub fn shipped() -> Result<Definitions, String> {
        Definitions::parse(include_str!("../../../../data/indicators/indicators.tsv"))
    }

    pub fn all(&self) -> &[Definition] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The indicator with this code or name.
    pub fn find(&self, key_or_name: &str) -> Option<(usize, &Definition)> {
        let t = key_or_name.trim();
        self.0
            .iter()
            .enumerate()
            .find(|(_, d)| d.key == t || d.name == t)
    }

    /// A digest of the definitions: cached tallies made under other definitions are stale.
    pub fn digest(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for d in &self.0 {
            h.update(d.key.as_bytes());
            h.update([0]);
            h.update(d.population.text.as_bytes());
            h.update([0]);
            h.update(format!("{:?}", d.measure).as_bytes());
            h.update([1]);
        }
        hex::encode(&h.finalize()[..8])
    }

    /// Adds every indicator's tally for one person on `date` onto `out`.
    pub fn tally_all(
        &self,
        s: &Subject<'_>,
        f: &PersonFacts,
        date: NaiveDate,
        alive: bool,
        out: &mut [Tally],
    ) {
        for (d, t) in self.0.iter().zip(out.iter_mut()) {
            *t += d.tally(s, f, date, alive);
        }
    }
}

/// Tallies packed as text for storage: `n,d;n,d;…` in definition order.
pub fn pack(t: &[Tally]) -> String {
    let mut s = String::with_capacity(t.len() * 6);
    for (i, x) in t.iter().enumerate() {
        if i > 0 {
            s.push(';');
        }
        if x.d == 0 {
            s.push_str(&x.n.to_string());
        } else {
            s.push_str(&format!("{},{}", x.n, x.d));
        }
    }
    s
}

/// Adds packed tallies onto `into` (which has one slot per definition); a text of another
/// length or shape is refused.
pub fn unpack_add(s: &str, into: &mut [Tally]) -> Result<(), String> {
    let bad = || {
        format!(
            "指标汇总数据无法读取：{}",
            s.chars().take(40).collect::<String>()
        )
    };
    let mut parts = s.split(';');
    for slot in into.iter_mut() {
        let p = parts.next().ok_or_else(bad)?;
        let (n, d) = match p.split_once(',') {
            Some((n, d)) => (n.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?),
            None => (p.parse().map_err(|_| bad())?, 0),
        };
        *slot += Tally { n, d };
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
