//! The two subsidies (两项补贴): who is paid what for a month, and why.
//!
//! Everything here is data in, decision out: the grant, the person's facts, the month and the
//! policy rows (standards, local 低保 standards, exclusions) give either an amount with the rule
//! that produced it or the reason nothing is paid. The roll, the arrears and the recoveries all
//! ask [`Policy::decide`], so one function answers for every yuan. Reference §4.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;

use crate::certificate::{Category, Grade};
use crate::money::{Fen, Percent};
use crate::month::{Month, in_range};
use crate::person::LifeStatus;

/// Which subsidy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubsidyKind {
    /// 困难残疾人生活补贴
    Living,
    /// 重度残疾人护理补贴
    Care,
}

impl SubsidyKind {
    pub const ALL: [SubsidyKind; 2] = [SubsidyKind::Living, SubsidyKind::Care];

    pub fn as_str(self) -> &'static str {
        match self {
            SubsidyKind::Living => "living",
            SubsidyKind::Care => "care",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SubsidyKind::Living => "困难残疾人生活补贴",
            SubsidyKind::Care => "重度残疾人护理补贴",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            SubsidyKind::Living => "生活补贴",
            SubsidyKind::Care => "护理补贴",
        }
    }

    pub fn parse(s: &str) -> Option<SubsidyKind> {
        match s.trim() {
            "困难残疾人生活补贴" | "生活补贴" | "living" => Some(SubsidyKind::Living),
            "重度残疾人护理补贴" | "护理补贴" | "care" => Some(SubsidyKind::Care),
            _ => None,
        }
    }
}

/// A social-assistance status from the civil-affairs lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssistanceKind {
    Dibao,
    DibaoEdge,
    Tekun,
    Orphan,
    InjuryCare,
    ElderlyCare,
    Other,
}

impl AssistanceKind {
    pub const ALL: [AssistanceKind; 7] = [
        AssistanceKind::Dibao,
        AssistanceKind::DibaoEdge,
        AssistanceKind::Tekun,
        AssistanceKind::Orphan,
        AssistanceKind::InjuryCare,
        AssistanceKind::ElderlyCare,
        AssistanceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssistanceKind::Dibao => "dibao",
            AssistanceKind::DibaoEdge => "dibao_edge",
            AssistanceKind::Tekun => "tekun",
            AssistanceKind::Orphan => "orphan",
            AssistanceKind::InjuryCare => "injury_care",
            AssistanceKind::ElderlyCare => "elderly_care",
            AssistanceKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AssistanceKind::Dibao => "低保",
            AssistanceKind::DibaoEdge => "低保边缘",
            AssistanceKind::Tekun => "特困供养",
            AssistanceKind::Orphan => "孤儿基本生活保障",
            AssistanceKind::InjuryCare => "工伤保险生活护理费",
            AssistanceKind::ElderlyCare => "老年人护理补贴",
            AssistanceKind::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Option<AssistanceKind> {
        let s = s.trim();
        AssistanceKind::ALL
            .into_iter()
            .find(|k| k.label() == s || k.as_str() == s)
            .or(match s {
                "最低生活保障" | "城乡低保" => Some(AssistanceKind::Dibao),
                "特困" | "特困人员" | "特困人员救助供养" => {
                    Some(AssistanceKind::Tekun)
                }
                "孤儿" => Some(AssistanceKind::Orphan),
                "工伤护理费" => Some(AssistanceKind::InjuryCare),
                "老年护理补贴" => Some(AssistanceKind::ElderlyCare),
                _ => None,
            })
    }

    /// Whether the status carries a monthly amount (the 择高 comparison needs it).
    pub fn needs_amount(self) -> bool {
        self == AssistanceKind::ElderlyCare
    }
}

/// 城乡: whether the grant is paid on the urban or the rural standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Locality {
    Urban,
    Rural,
}

impl Locality {
    pub const ALL: [Locality; 2] = [Locality::Urban, Locality::Rural];

    pub fn as_str(self) -> &'static str {
        match self {
            Locality::Urban => "urban",
            Locality::Rural => "rural",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Locality::Urban => "城镇",
            Locality::Rural => "农村",
        }
    }

    pub fn parse(s: &str) -> Option<Locality> {
        match s.trim() {
            "城镇" | "城市" | "城" | "urban" => Some(Locality::Urban),
            "农村" | "乡村" | "农" | "rural" => Some(Locality::Rural),
            _ => None,
        }
    }
}

/// An assistance status in force over a range of months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistance {
    pub kind: AssistanceKind,
    pub from: Month,
    pub to: Option<Month>,
    /// Yuan a month, for statuses that carry one (老年人护理补贴).
    pub amount: Option<Fen>,
}

impl Assistance {
    pub fn in_force(&self, m: Month) -> bool {
        in_range(m, self.from, self.to)
    }
}

/// A subsidy granted to a person over a range of months.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub kind: SubsidyKind,
    pub locality: Locality,
    pub from: Month,
    pub to: Option<Month>,
    /// 长期照护需求: the care subsidy needs it, whatever the grade.
    pub long_term_care: bool,
}

/// What a person's file says that the rules read.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub household_code: &'a str,
    pub life_status: LifeStatus,
    pub life_date: Option<NaiveDate>,
    pub cert_valid_to: Option<NaiveDate>,
    /// None until the disability is assessed: such a file holds no valid certificate.
    pub category: Option<Category>,
    pub grade: Option<Grade>,
    pub assistance: &'a [Assistance],
}

/// A condition that matches anything (任意) or one of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyOf<T> {
    Any,
    Only(Vec<T>),
}

impl<T: PartialEq> AnyOf<T> {
    pub fn matches(&self, v: &T) -> bool {
        match self {
            AnyOf::Any => true,
            AnyOf::Only(list) => list.contains(v),
        }
    }
}

/// How a standard's amount is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// 定额: a fixed amount a month.
    Fixed(Fen),
    /// 低保标准比例: a share of the local 低保 standard.
    DibaoShare(Percent),
}

/// One row of the standards table. `seq` is its place in file order: it breaks ties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standard {
    pub id: i64,
    pub seq: i64,
    pub region_code: String,
    pub kind: SubsidyKind,
    pub assistance: AnyOf<AssistanceKind>,
    pub grades: AnyOf<Grade>,
    pub categories: AnyOf<Category>,
    pub locality: Option<Locality>,
    pub method: Method,
    pub from: Month,
    pub to: Option<Month>,
}

/// The local 低保 standard of a region, from a month on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DibaoStandard {
    pub id: i64,
    pub region_code: String,
    pub locality: Locality,
    pub amount: Fen,
    pub from: Month,
}

/// What an assistance status does to a subsidy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The subsidy is not paid while the status is in force.
    Exclude,
    /// 择高: the subsidy is not paid when the status's amount is higher.
    Higher,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Exclude => "exclude",
            Effect::Higher => "higher",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Effect::Exclude => "不得同时享受",
            Effect::Higher => "择高享受",
        }
    }

    pub fn parse(s: &str) -> Option<Effect> {
        match s.trim() {
            "exclude" | "不得同时享受" | "排斥" => Some(Effect::Exclude),
            "higher" | "择高享受" | "择高" => Some(Effect::Higher),
            _ => None,
        }
    }
}

/// One combination rule (reference §4, "Combinations").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exclusion {
    pub assistance: AssistanceKind,
    pub subsidy: SubsidyKind,
    pub effect: Effect,
}

impl Exclusion {
    /// The shipped defaults: 特困供养 and 工伤保险生活护理费 exclude both subsidies, 孤儿基本生活保障
    /// the living subsidy, and the care subsidy and 老年人护理补贴 are paid 择高.
    pub fn defaults() -> Vec<Exclusion> {
        use AssistanceKind::*;
        use SubsidyKind::*;
        let e = |assistance, subsidy, effect| Exclusion {
            assistance,
            subsidy,
            effect,
        };
        vec![
            e(Tekun, Living, Effect::Exclude),
            e(Tekun, Care, Effect::Exclude),
            e(InjuryCare, Living, Effect::Exclude),
            e(InjuryCare, Care, Effect::Exclude),
            e(Orphan, Living, Effect::Exclude),
            e(ElderlyCare, Care, Effect::Higher),
        ]
    }
}

/// Why a grant pays nothing in a month: the codes of the roll's `stopped` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    NotStarted,
    GrantEnded,
    Deceased,
    MovedOut,
    CertificateInvalid,
    NoCareNeed,
    Excluded,
    NoStandard,
    ElderlyHigher,
}

impl Stop {
    pub fn as_str(self) -> &'static str {
        match self {
            Stop::NotStarted => "not_started",
            Stop::GrantEnded => "grant_ended",
            Stop::Deceased => "deceased",
            Stop::MovedOut => "moved_out",
            Stop::CertificateInvalid => "certificate_invalid",
            Stop::NoCareNeed => "no_care_need",
            Stop::Excluded => "excluded",
            Stop::NoStandard => "no_standard",
            Stop::ElderlyHigher => "elderly_higher",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stop::NotStarted => "尚未开始",
            Stop::GrantEnded => "补贴期限已满",
            Stop::Deceased => "死亡",
            Stop::MovedOut => "户籍迁出",
            Stop::CertificateInvalid => "残疾人证失效",
            Stop::NoCareNeed => "无长期照护需求",
            Stop::Excluded => "享受不得同时享受的救助",
            Stop::NoStandard => "无适用的补贴标准",
            Stop::ElderlyHigher => "老年人护理补贴较高（择高）",
        }
    }

    pub fn parse(s: &str) -> Option<Stop> {
        [
            Stop::NotStarted,
            Stop::GrantEnded,
            Stop::Deceased,
            Stop::MovedOut,
            Stop::CertificateInvalid,
            Stop::NoCareNeed,
            Stop::Excluded,
            Stop::NoStandard,
            Stop::ElderlyHigher,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A month's payment: the amount and how it was arrived at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pay {
    pub amount: Fen,
    pub standard_id: i64,
    pub dibao_id: Option<i64>,
    /// The rule in words, e.g. `标准#3（32 护理补贴）定额 130.00`; shared, made once per
    /// standard (and 低保 standard) when the policy is loaded.
    pub rule: Arc<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Pay(Pay),
    Stop(Stop),
}

/// A roll cannot be computed: the data it needs is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("缺少低保标准：户籍地 {region}（{locality}）在 {month} 没有适用的低保月标准，请先导入")]
    NoDibao {
        region: String,
        locality: &'static str,
        month: Month,
    },
}

/// The digits a policy row's region code covers: 320585000000 → 320585, 320585100000 →
/// 320585100, 320000000000 → 32.
pub fn region_prefix(code: &str) -> &str {
    let mut end = code.len().min(12);
    for (len, from) in [(12, 9), (9, 6), (6, 4), (4, 2)] {
        if end == len
            && code
                .get(from..len)
                .is_some_and(|t| t.bytes().all(|b| b == b'0'))
        {
            end = from;
        }
    }
    &code[..end]
}

/// Region prefix lengths, most specific first.
const LEVELS: [usize; 5] = [12, 9, 6, 4, 2];

/// The policy in force: standards, 低保 standards and combination rules, indexed for lookups.
#[derive(Debug, Default)]
pub struct Policy {
    /// Per subsidy (living, care): standards by region prefix, each list in file order, each
    /// row with its place in the policy.
    standards: [HashMap<String, Vec<(usize, Standard)>>; 2],
    /// Per locality (urban, rural): 低保 standards by region prefix, each list by 生效月份.
    dibao: [HashMap<String, Vec<(usize, DibaoStandard)>>; 2],
    exclusions: Vec<Exclusion>,
    /// Each rule's words, made once: (standard, 低保 standard or `usize::MAX`).
    texts: HashMap<(usize, usize), Arc<str>>,
}

fn kind_slot(k: SubsidyKind) -> usize {
    match k {
        SubsidyKind::Living => 0,
        SubsidyKind::Care => 1,
    }
}

fn locality_slot(l: Locality) -> usize {
    match l {
        Locality::Urban => 0,
        Locality::Rural => 1,
    }
}

fn rule_text(s: &Standard, d: Option<&DibaoStandard>) -> String {
    let head = format!(
        "标准#{}（{} {}）",
        s.seq,
        region_prefix(&s.region_code),
        s.kind.short_label()
    );
    match (s.method, d) {
        (Method::Fixed(amount), _) => format!("{head}定额 {}", amount.yuan()),
        (Method::DibaoShare(p), Some(d)) => format!(
            "{head}低保标准 {}（{} {}，{}起）× {p}% = {}",
            d.amount.yuan(),
            region_prefix(&d.region_code),
            d.locality.label(),
            d.from,
            p.of(d.amount).yuan()
        ),
        (Method::DibaoShare(p), None) => format!("{head}低保标准 × {p}%"),
    }
}

impl Policy {
    pub fn new(
        mut standards: Vec<Standard>,
        dibao: Vec<DibaoStandard>,
        exclusions: Vec<Exclusion>,
    ) -> Policy {
        standards.sort_by_key(|s| s.seq);
        let mut texts = HashMap::new();
        for (i, s) in standards.iter().enumerate() {
            match s.method {
                Method::Fixed(_) => {
                    texts.insert((i, usize::MAX), Arc::from(rule_text(s, None)));
                }
                Method::DibaoShare(_) => {
                    for (j, d) in dibao.iter().enumerate() {
                        texts.insert((i, j), Arc::from(rule_text(s, Some(d))));
                    }
                }
            }
        }
        let mut by_region: [HashMap<String, Vec<(usize, Standard)>>; 2] = Default::default();
        for (i, s) in standards.into_iter().enumerate() {
            by_region[kind_slot(s.kind)]
                .entry(region_prefix(&s.region_code).to_owned())
                .or_default()
                .push((i, s));
        }
        let mut by_dibao: [HashMap<String, Vec<(usize, DibaoStandard)>>; 2] = Default::default();
        for (j, d) in dibao.into_iter().enumerate() {
            by_dibao[locality_slot(d.locality)]
                .entry(region_prefix(&d.region_code).to_owned())
                .or_default()
                .push((j, d));
        }
        for list in by_dibao.iter_mut().flat_map(|m| m.values_mut()) {
            list.sort_by_key(|(_, d)| d.from);
        }
        Policy {
            standards: by_region,
            dibao: by_dibao,
            exclusions,
            texts,
        }
    }

    /// Whether `grant` pays in `month`, how much and by which rule (reference §4; the order of
    /// the checks decides which reason a stopped grant gives).
    pub fn decide(
        &self,
        grant: &Grant,
        facts: &Facts<'_>,
        month: Month,
    ) -> Result<Decision, PolicyError> {
        use Decision::Stop as S;
        if month < grant.from {
            return Ok(S(Stop::NotStarted));
        }
        if grant.to.is_some_and(|to| month > to) {
            return Ok(S(Stop::GrantEnded));
        }
        // A death or move dated in the month, even on its 1st, still pays the month.
        let first = month.first_day();
        let gone_before = facts.life_date.is_none_or(|d| d < first);
        match facts.life_status {
            LifeStatus::Deceased if gone_before => return Ok(S(Stop::Deceased)),
            LifeStatus::MovedOut if gone_before => return Ok(S(Stop::MovedOut)),
            _ => {}
        }
        if facts.cert_valid_to.is_none_or(|d| d < first)
            || facts.category.is_none()
            || facts.grade.is_none()
        {
            return Ok(S(Stop::CertificateInvalid));
        }
        if grant.kind == SubsidyKind::Care && !grant.long_term_care {
            return Ok(S(Stop::NoCareNeed));
        }
        let in_force = |k: AssistanceKind| {
            facts
                .assistance
                .iter()
                .filter(move |a| a.kind == k && a.in_force(month))
        };
        let rules = || self.exclusions.iter().filter(|e| e.subsidy == grant.kind);
        if rules().any(|e| e.effect == Effect::Exclude && in_force(e.assistance).next().is_some()) {
            return Ok(S(Stop::Excluded));
        }
        let Some(standard) = self.standard_for(grant, facts, month) else {
            return Ok(S(Stop::NoStandard));
        };
        let pay = self.amount(standard, grant.locality, facts.household_code, month)?;
        for e in rules().filter(|e| e.effect == Effect::Higher) {
            let other = in_force(e.assistance).filter_map(|a| a.amount).max();
            if other.is_some_and(|o| o > pay.amount) {
                return Ok(S(Stop::ElderlyHigher));
            }
        }
        Ok(Decision::Pay(pay))
    }

    /// Among the standards in force, those of the most specific region that covers the
    /// household decide alone; the first in file order whose conditions all match wins.
    fn standard_for(
        &self,
        grant: &Grant,
        facts: &Facts<'_>,
        month: Month,
    ) -> Option<&(usize, Standard)> {
        let code = facts.household_code;
        let by_region = &self.standards[kind_slot(grant.kind)];
        for len in LEVELS {
            let Some(rows) = code.get(..len).and_then(|p| by_region.get(p)) else {
                continue;
            };
            let mut in_force = rows
                .iter()
                .filter(|(_, s)| in_range(month, s.from, s.to))
                .peekable();
            if in_force.peek().is_none() {
                continue;
            }
            return in_force.find(|(_, s)| {
                s.locality.is_none_or(|l| l == grant.locality)
                    && facts.grade.is_some_and(|g| s.grades.matches(&g))
                    && facts.category.is_some_and(|c| s.categories.matches(&c))
                    && match &s.assistance {
                        AnyOf::Any => true,
                        AnyOf::Only(kinds) => facts
                            .assistance
                            .iter()
                            .any(|a| kinds.contains(&a.kind) && a.in_force(month)),
                    }
            });
        }
        None
    }

    fn amount(
        &self,
        (i, s): &(usize, Standard),
        locality: Locality,
        household: &str,
        month: Month,
    ) -> Result<Pay, PolicyError> {
        let (amount, dibao) = match s.method {
            Method::Fixed(amount) => (amount, None),
            Method::DibaoShare(p) => {
                let (j, d) = self.dibao_slot(household, locality, month).ok_or_else(|| {
                    PolicyError::NoDibao {
                        region: household.to_owned(),
                        locality: locality.label(),
                        month,
                    }
                })?;
                (p.of(d.amount), Some((*j, d.id)))
            }
        };
        let key = (*i, dibao.map_or(usize::MAX, |(j, _)| j));
        let rule = self
            .texts
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Arc::from(rule_text(s, None)));
        Ok(Pay {
            amount,
            standard_id: s.id,
            dibao_id: dibao.map(|(_, id)| id),
            rule,
        })
    }

    fn dibao_slot(
        &self,
        household: &str,
        locality: Locality,
        month: Month,
    ) -> Option<&(usize, DibaoStandard)> {
        let by_region = &self.dibao[locality_slot(locality)];
        LEVELS.iter().find_map(|&len| {
            by_region
                .get(household.get(..len)?)?
                .iter()
                .rev()
                .find(|(_, d)| d.from <= month)
        })
    }

    /// The 低保 standard for a household: the most specific region with a standard for the
    /// locality that is in force by `month`, its latest 生效月份 not after `month`.
    pub fn dibao_for(
        &self,
        household: &str,
        locality: Locality,
        month: Month,
    ) -> Option<&DibaoStandard> {
        self.dibao_slot(household, locality, month).map(|(_, d)| d)
    }
}

/// The Jiangsu minimum standards (苏民规〔2022〕4号, in force 2023-04-01) for the province as
/// a whole, shipped as the standards table's defaults; cities replace them with their own.
/// (a) the living subsidy: 低保 and severe 30 % of the local 低保 standard, 低保 and not severe
/// 25 %; (b) the care subsidy for grades 1 and 2: 130 yuan urban, 90 rural.
pub fn jiangsu_defaults() -> Vec<Standard> {
    let from = Month::new(2023, 4).unwrap_or(Month::from_index(0));
    let grades = |g: &[u8]| AnyOf::Only(g.iter().filter_map(|&c| Grade::new(c)).collect());
    let row = |seq, kind, assistance, g: &[u8], locality, method| Standard {
        id: 0,
        seq,
        region_code: "320000000000".into(),
        kind,
        assistance,
        grades: grades(g),
        categories: AnyOf::Any,
        locality,
        method,
        from,
        to: None,
    };
    let dibao = || AnyOf::Only(vec![AssistanceKind::Dibao]);
    let pct = |p: i64| Method::DibaoShare(Percent::from_millionths(p * 10_000));
    vec![
        row(1, SubsidyKind::Living, dibao(), &[1, 2], None, pct(30)),
        row(2, SubsidyKind::Living, dibao(), &[3, 4], None, pct(25)),
        row(
            3,
            SubsidyKind::Care,
            AnyOf::Any,
            &[1, 2],
            Some(Locality::Urban),
            Method::Fixed(Fen(13000)),
        ),
        row(
            4,
            SubsidyKind::Care,
            AnyOf::Any,
            &[1, 2],
            Some(Locality::Rural),
            Method::Fixed(Fen(9000)),
        ),
    ]
}

impl fmt::Display for AnyOf<AssistanceKind> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnyOf::Any => f.write_str("任意"),
            AnyOf::Only(v) => {
                let names: Vec<&str> = v.iter().map(|k| k.label()).collect();
                f.write_str(&names.join("、"))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
