//! The employment security levy (残疾人就业保障金, 财税〔2015〕72号, 财税〔2017〕18号,
//! 财政部公告2023年第8号; reference §5): what an employer owes for declaration year Y on its
//! figures of Y-1, in exact fractions, rounded once, half up, to the fen. Every figure is kept
//! exact and explained in words; the ratio, the average wage and the relief of 2023-2027 are
//! data.

use std::fmt::Write as _;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use serde::Serialize;

use crate::credit_code::CreditCode;
use crate::money::Fen;

pub mod rows;

/// What kind of body an employer is (单位类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmployerKind {
    Enterprise,
    Organ,
    Institution,
    SocialGroup,
    PrivateNonEnterprise,
    Other,
}

impl EmployerKind {
    pub const ALL: [EmployerKind; 6] = [
        EmployerKind::Enterprise,
        EmployerKind::Organ,
        EmployerKind::Institution,
        EmployerKind::SocialGroup,
        EmployerKind::PrivateNonEnterprise,
        EmployerKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmployerKind::Enterprise => "enterprise",
            EmployerKind::Organ => "organ",
            EmployerKind::Institution => "institution",
            EmployerKind::SocialGroup => "social_group",
            EmployerKind::PrivateNonEnterprise => "private_non_enterprise",
            EmployerKind::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EmployerKind::Enterprise => "企业",
            EmployerKind::Organ => "机关",
            EmployerKind::Institution => "事业单位",
            EmployerKind::SocialGroup => "社会团体",
            EmployerKind::PrivateNonEnterprise => "民办非企业单位",
            EmployerKind::Other => "其他",
        }
    }

    pub fn parse(s: &str) -> Option<EmployerKind> {
        let s = s.trim();
        EmployerKind::ALL
            .into_iter()
            .find(|k| k.label() == s || k.as_str() == s)
    }

    /// Whether a credit code's registering authority and class (its first two characters)
    /// fit this kind of employer: 企业 are registered by market regulation (9x), 机关 and 事业
    /// 单位 by the establishment office (11, 12), 社会团体 (51, or 13 for mass organisations)
    /// and 民办非企业单位 (52) by civil affairs; 其他 takes any.
    pub fn fits(self, code: &CreditCode) -> bool {
        let head = &code.as_str()[..2];
        match self {
            EmployerKind::Enterprise => head.starts_with('9'),
            EmployerKind::Organ => head == "11",
            EmployerKind::Institution => head == "12",
            EmployerKind::SocialGroup => head == "51" || head == "13",
            EmployerKind::PrivateNonEnterprise => head == "52",
            EmployerKind::Other => true,
        }
    }
}

/// A decimal with at most two places, as hundredths (staff, percents).
pub fn parse_hundredths(s: &str) -> Option<i64> {
    let t = s.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<2}").parse().ok()?;
    w.checked_mul(100)?.checked_add(f)
}

/// An employer's figures for a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Employer {
    pub credit_code: CreditCode,
    pub name: String,
    pub kind: EmployerKind,
    /// 所属区划代码 (12 digits).
    pub region: String,
    /// 上年在职职工年平均人数, in hundredths.
    pub staff_hundredths: i64,
    /// 上年在职职工工资总额.
    pub gross_wages: Fen,
}

/// One disabled employee's year with an employer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRow {
    pub credit_code: CreditCode,
    pub id_number: String,
    /// 1 (一级) to 4 (四级).
    pub grade: u8,
    /// 在岗月数, 1-12.
    pub months: u8,
    pub contract: bool,
    pub min_wage: bool,
    pub insured: bool,
}

impl StaffRow {
    /// Whether the employee counts: all three conditions met.
    pub fn counts(&self) -> bool {
        self.contract && self.min_wage && self.insured
    }

    /// What the employee adds to 实际安排人数: months/12, twice for grade 1 or 2.
    pub fn weight(&self) -> BigRational {
        if !self.counts() {
            return BigRational::zero();
        }
        let twice = if self.grade <= 2 { 2 } else { 1 };
        BigRational::new(
            BigInt::from(i64::from(self.months) * twice),
            BigInt::from(12),
        )
    }
}

/// The parameters of a region and declaration year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Params {
    /// 安排比例, a percent in hundredths (1.5 % is 150).
    pub ratio_hundredths: i64,
    /// 上年社会平均工资.
    pub average_wage: Fen,
}

/// The relief of 财政部公告2023年第8号, as data: declaration years it covers, the ratio
/// threshold, the share paid at or above it and below it, and the staff limit under which
/// enterprises pay nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relief {
    pub from_year: i32,
    pub to_year: i32,
    /// In hundredths of a percent (1 % is 100).
    pub threshold_hundredths: i64,
    /// Percent paid at or above the threshold, and below it.
    pub pay_at_or_above: u8,
    pub pay_below: u8,
    /// Enterprises with at most this many staff (average) are exempt.
    pub exempt_staff: i64,
}

impl Relief {
    /// The relief shipped (`data/levy/relief.tsv`).
    pub fn shipped() -> Result<Relief, String> {
        let t = crate::data_table::DataTable::parse(
            "减征政策",
            include_str!("../../../../data/levy/relief.tsv"),
        );
        let pct = |h: &str| -> Result<u8, String> {
            t.value::<u8>(0, h)
                .ok()
                .filter(|p| *p <= 100)
                .ok_or_else(|| format!("减征政策“{h}”应为0至100"))
        };
        Ok(Relief {
            from_year: t.value(0, "起始年度")?,
            to_year: t.value(0, "终止年度")?,
            threshold_hundredths: t.value::<i64>(0, "比例门槛（%）")? * 100,
            pay_at_or_above: pct("达到门槛缴纳（%）")?,
            pay_below: pct("未达门槛缴纳（%）")?,
            exempt_staff: t.value(0, "免征企业人数上限")?,
        })
    }
}

/// The reward for employers that meet or exceed the ratio (Wuxi practice), as data: for
/// households under a region prefix, the monthly minimum wage and the multiples per counted
/// disabled employee a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RewardRule {
    pub region_prefix: String,
    pub min_wage: Fen,
    pub meet_multiple: u32,
    pub exceed_multiple: u32,
}

/// The reward rules shipped (`data/levy/rewards.tsv`).
pub fn reward_rules() -> Result<Vec<RewardRule>, String> {
    let t = crate::data_table::DataTable::parse(
        "奖励标准",
        include_str!("../../../../data/levy/rewards.tsv"),
    );
    (0..t.len())
        .map(|i| {
            let bad = || format!("奖励标准第{}行有误", i + 2);
            Ok(RewardRule {
                region_prefix: crate::programme::condition::region_prefix_of(
                    t.text(i, "区划代码")?,
                )
                .ok_or_else(bad)?,
                min_wage: Fen::parse_yuan(t.text(i, "月最低工资（元）")?).map_err(|_| bad())?,
                meet_multiple: t.value(i, "达到倍数")?,
                exceed_multiple: t.value(i, "超过倍数")?,
            })
        })
        .collect()
}

/// The reward of an employer whose levy is `l`, under the most specific rule for its region:
/// the multiple (exceeding when more are counted than required, meeting when exactly as many)
/// × the monthly minimum wage × the counted employees, rounded once to the fen. `None` when
/// the employer falls short or counts nobody.
pub fn reward(l: &Levy, region: &str, rules: &[RewardRule]) -> Option<(Fen, u32)> {
    let rule = rules
        .iter()
        .filter(|r| region.starts_with(&r.region_prefix))
        .max_by_key(|r| r.region_prefix.len())?;
    if !l.counted.is_positive() || l.shortfall.is_positive() {
        return None;
    }
    let multiple = if l.shortfall.is_negative() {
        rule.exceed_multiple
    } else {
        rule.meet_multiple
    };
    let amount = &l.counted * ratio(rule.min_wage.fen() * i64::from(multiple), 1);
    Some((round_fen(&amount), multiple))
}

/// The levy of one employer, every figure exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levy {
    /// 应安排人数.
    pub required: BigRational,
    /// 实际安排人数.
    pub counted: BigRational,
    /// 差额人数 (may be negative: more than required).
    pub shortfall: BigRational,
    /// 年平均工资 after the cap, in fen.
    pub avg_wage: BigRational,
    /// Whether the cap applied.
    pub capped: bool,
    /// 应缴额, in fen (0 when the shortfall is not positive).
    pub gross: BigRational,
    /// The share waived: 0, 10, 50 or 100 (or what the relief's data make it).
    pub reduction_percent: u8,
    pub exempt_reason: Option<String>,
    /// 实缴额.
    pub due: Fen,
    /// Every step in words.
    pub explanation: Vec<String>,
}

fn ratio(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

/// Rounds a non-negative number of fen half up to a whole fen.
pub fn round_fen(x: &BigRational) -> Fen {
    let half = ratio(1, 2);
    let r = (x + half).floor().to_integer();
    Fen(r.to_i64().unwrap_or(i64::MAX))
}

/// A number in decimals: exact when it ends, else 20 places rounded half up.
pub fn decimal(x: &BigRational) -> String {
    let neg = x.is_negative();
    let x = x.abs();
    let mut d = x.denom().clone();
    for p in [2u32, 5] {
        while (&d % p).is_zero() {
            d /= p;
        }
    }
    let exact = d.is_one();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exact {
        let whole = x.trunc().to_integer();
        let _ = write!(out, "{whole}");
        let mut frac = x.fract();
        if !frac.is_zero() {
            out.push('.');
            while !frac.is_zero() {
                frac *= BigInt::from(10);
                let digit = frac.trunc().to_integer();
                let _ = write!(out, "{digit}");
                frac = frac.fract();
            }
        }
        return out;
    }
    let scale = BigInt::from(10).pow(20);
    let scaled = (x * BigRational::from_integer(scale.clone()) + ratio(1, 2))
        .floor()
        .to_integer();
    let whole = &scaled / &scale;
    let frac = &scaled % &scale;
    let _ = write!(out, "{whole}.{frac:0>20}");
    out
}

/// Rounded for display: `places` decimals, half up.
pub fn shown(x: &BigRational, places: u32) -> String {
    let scale = BigInt::from(10).pow(places);
    let neg = x.is_negative();
    let scaled = (x.abs() * BigRational::from_integer(scale.clone()) + ratio(1, 2))
        .floor()
        .to_integer();
    let whole = &scaled / &scale;
    let frac = &scaled % &scale;
    let sign = if neg && !scaled.is_zero() { "-" } else { "" };
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0>w$}", w = places as usize)
    }
}

fn yuan(fen: &BigRational) -> String {
    shown(&(fen / BigRational::from_integer(BigInt::from(100))), 2)
}

/// The levy of `e` for declaration year `year`, with its disabled employees `staff` (its own
/// rows only), the region's parameters and the relief; with `explain`, every step in words.
pub fn compute(
    e: &Employer,
    staff: &[StaffRow],
    p: &Params,
    relief: &Relief,
    year: i32,
    explain: bool,
) -> Levy {
    let mut why = Steps {
        on: explain,
        lines: Vec::new(),
    };
    let staff_n = ratio(e.staff_hundredths, 100);
    let counted: BigRational = staff.iter().map(StaffRow::weight).sum();
    let heads = staff.iter().filter(|s| s.counts()).count();
    why.push(|| format!(
        "实际安排人数：{}名残疾职工符合条件（劳动合同一年以上、工资不低于最低工资、足额缴纳社会保险），\
         按在岗月数/12计，一、二级按两人计，合计{}人",
        heads,
        shown(&counted, 4)
    ));
    if heads < staff.len() {
        why.push(|| format!("另有{}名残疾职工不符合条件，不计入", staff.len() - heads));
    }
    let required = &staff_n * ratio(p.ratio_hundredths, 100 * 100);
    why.push(|| {
        format!(
            "应安排人数：上年在职职工年平均人数{} × 安排比例{}% = {}人",
            shown(&staff_n, 2),
            shown(&ratio(p.ratio_hundredths, 100), 2),
            shown(&required, 4)
        )
    });
    let shortfall = &required - &counted;
    let raw_wage = ratio(e.gross_wages.fen(), 1) / &staff_n;
    let cap = ratio(p.average_wage.fen() * 2, 1);
    let capped = raw_wage > cap;
    let avg_wage = if capped {
        cap.clone()
    } else {
        raw_wage.clone()
    };
    why.push(|| {
        if capped {
            format!(
                "年平均工资：工资总额{}元 ÷ {}人 = {}元，超过上年社会平均工资{}元的2倍，按{}元计",
                Fen(e.gross_wages.fen()).yuan(),
                shown(&staff_n, 2),
                yuan(&raw_wage),
                p.average_wage.yuan(),
                yuan(&cap)
            )
        } else {
            format!(
                "年平均工资：工资总额{}元 ÷ {}人 = {}元",
                Fen(e.gross_wages.fen()).yuan(),
                shown(&staff_n, 2),
                yuan(&raw_wage)
            )
        }
    });
    if !shortfall.is_positive() {
        why.push(|| {
            format!(
                "差额人数{}人，已达到安排比例，无须缴纳",
                shown(&shortfall, 4)
            )
        });
        return Levy {
            required,
            counted,
            shortfall,
            avg_wage,
            capped,
            gross: BigRational::zero(),
            reduction_percent: 0,
            exempt_reason: None,
            due: Fen(0),
            explanation: why.lines,
        };
    }
    let gross = &shortfall * &avg_wage;
    why.push(|| {
        format!(
            "应缴额：差额人数{}人 × 年平均工资{}元 = {}元",
            shown(&shortfall, 4),
            yuan(&avg_wage),
            yuan(&gross)
        )
    });
    let in_window = (relief.from_year..=relief.to_year).contains(&year);
    let (pay, exempt_reason) = if !in_window {
        why.push(|| {
            format!(
                "{year}年不在{}至{}年减征期内，全额缴纳",
                relief.from_year, relief.to_year
            )
        });
        (100u8, None)
    } else if e.kind == EmployerKind::Enterprise && e.staff_hundredths <= relief.exempt_staff * 100
    {
        let reason = format!(
            "在职职工{}人，不超过{}人的企业暂免征收",
            shown(&staff_n, 2),
            relief.exempt_staff
        );
        why.push(|| reason.clone());
        (0, Some(reason))
    } else {
        let actual = &counted / &staff_n;
        let threshold = ratio(relief.threshold_hundredths, 100 * 100);
        if actual >= threshold {
            why.push(|| {
                format!(
                    "实际安排比例{}%，达到{}%，按应缴额的{}%缴纳",
                    shown(&(actual * BigRational::from_integer(BigInt::from(100))), 4),
                    shown(&ratio(relief.threshold_hundredths, 100), 2),
                    relief.pay_at_or_above
                )
            });
            (relief.pay_at_or_above, None)
        } else {
            why.push(|| {
                format!(
                    "实际安排比例{}%，低于{}%，按应缴额的{}%缴纳",
                    shown(&(actual * BigRational::from_integer(BigInt::from(100))), 4),
                    shown(&ratio(relief.threshold_hundredths, 100), 2),
                    relief.pay_below
                )
            });
            (relief.pay_below, None)
        }
    };
    let due = round_fen(&(&gross * ratio(i64::from(pay), 100)));
    why.push(|| format!("实缴额：{}元（四舍五入到分）", due.yuan()));
    Levy {
        required,
        counted,
        shortfall,
        avg_wage,
        capped,
        gross,
        reduction_percent: 100 - pay,
        exempt_reason,
        due,
        explanation: why.lines,
    }
}

/// The explanation's lines, written only when asked for.
struct Steps {
    on: bool,
    lines: Vec<String>,
}

impl Steps {
    fn push(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(s: &str) -> CreditCode {
        CreditCode::parse(s).unwrap()
    }

    fn employer(kind: EmployerKind, staff: &str, gross: &str) -> Employer {
        Employer {
            credit_code: code("91350100M000100Y43"),
            name: "甲公司".into(),
            kind,
            region: "320102000000".into(),
            staff_hundredths: parse_hundredths(staff).unwrap(),
            gross_wages: Fen::parse_yuan(gross).unwrap(),
        }
    }

    fn row(grade: u8, months: u8, ok: bool) -> StaffRow {
        StaffRow {
            credit_code: code("91350100M000100Y43"),
            id_number: "320102198005060010".into(),
            grade,
            months,
            contract: ok,
            min_wage: true,
            insured: true,
        }
    }

    fn params() -> Params {
        Params {
            ratio_hundredths: 150,
            average_wage: Fen::parse_yuan("100000").unwrap(),
        }
    }

    fn relief() -> Relief {
        Relief::shipped().unwrap()
    }

    #[test]
    fn a_levy_computed_exactly_and_rounded_once() {
        // 200 staff × 1.5 % = 3 required; one grade-3 employee for 7 months = 7/12.
        // Shortfall 29/12; average wage 12,000,000.00 / 200 = 60,000.00 (under the cap).
        // Gross 29/12 × 6,000,000 fen = 14,500,000 fen; ratio 7/2400 < 1 %: pay 90 %.
        let e = employer(EmployerKind::Enterprise, "200", "12000000.00");
        let l = compute(&e, &[row(3, 7, true)], &params(), &relief(), 2025, true);
        assert_eq!(decimal(&l.required), "3");
        assert_eq!(decimal(&l.counted), "0.58333333333333333333");
        assert_eq!(decimal(&l.shortfall), "2.41666666666666666667");
        assert_eq!(l.gross, ratio(14_500_000, 1));
        assert_eq!((l.reduction_percent, l.due), (10, Fen(13_050_000)));
        // Outside 2023-2027: the whole of it.
        let l = compute(&e, &[row(3, 7, true)], &params(), &relief(), 2028, true);
        assert_eq!((l.reduction_percent, l.due), (0, Fen(14_500_000)));
    }

    #[test]
    fn grades_one_and_two_count_twice_and_unmet_conditions_not_at_all() {
        let e = employer(EmployerKind::Institution, "100", "5000000");
        // 1.5 required; grade 2 for 6 months = 1; grade 4 without contract = 0.
        let l = compute(
            &e,
            &[row(2, 6, true), row(4, 12, false)],
            &params(),
            &relief(),
            2024,
            true,
        );
        assert_eq!(decimal(&l.counted), "1");
        assert_eq!(decimal(&l.shortfall), "0.5");
        // Actual 1 % exactly: at the threshold, pay 50 %.
        assert_eq!(l.reduction_percent, 50);
        // Gross 0.5 × 50,000.00 = 25,000.00; half = 12,500.00.
        assert_eq!(l.due, Fen(1_250_000));
    }

    #[test]
    fn the_wage_is_capped_at_twice_the_average_and_small_enterprises_are_exempt() {
        let e = employer(EmployerKind::Organ, "40", "10000000");
        let l = compute(&e, &[], &params(), &relief(), 2025, true);
        assert!(l.capped);
        assert_eq!(l.avg_wage, ratio(20_000_000, 1));
        // 0.6 × 200,000.00 = 120,000.00; ratio 0 < 1 %: pay 90 % = 108,000.00.
        assert_eq!(l.due, Fen(10_800_000));
        let small = employer(EmployerKind::Enterprise, "30", "1000000");
        let l = compute(&small, &[], &params(), &relief(), 2025, true);
        assert_eq!((l.due, l.reduction_percent), (Fen(0), 100));
        assert!(l.exempt_reason.unwrap().contains("30"));
        // An organ of 30 is not an enterprise: it pays.
        let organ = employer(EmployerKind::Organ, "30", "1000000");
        assert!(
            compute(&organ, &[], &params(), &relief(), 2025, true)
                .due
                .fen()
                > 0
        );
        // Meeting the ratio: nothing due, nothing waived.
        let met = employer(EmployerKind::Enterprise, "100", "5000000");
        let l = compute(&met, &[row(1, 12, true)], &params(), &relief(), 2025, true);
        assert_eq!((l.due, l.reduction_percent), (Fen(0), 0));
    }

    #[test]
    fn meeting_the_ratio_earns_a_reward_and_exceeding_it_more() {
        let rules = reward_rules().unwrap();
        let e = employer(EmployerKind::Enterprise, "100", "5000000");
        // 1.5 required; a grade 1 for 9 months = 1.5: met exactly, 2 × 2,490 × 1.5.
        let met = compute(&e, &[row(1, 9, true)], &params(), &relief(), 2025, false);
        assert_eq!(
            reward(&met, "320102000000", &rules),
            Some((Fen(747_000), 2))
        );
        // 2 counted: exceeded, 4 × 2,490 × 2.
        let more = compute(&e, &[row(1, 12, true)], &params(), &relief(), 2025, false);
        assert_eq!(
            reward(&more, "320102000000", &rules),
            Some((Fen(1_992_000), 4))
        );
        let short = compute(&e, &[row(3, 12, true)], &params(), &relief(), 2025, false);
        assert_eq!(reward(&short, "320102000000", &rules), None);
        assert_eq!(
            reward(&more, "310000000000", &rules),
            None,
            "outside Jiangsu"
        );
    }

    #[test]
    fn rounding_is_half_up_at_the_fen_only() {
        assert_eq!(round_fen(&ratio(1, 2)), Fen(1));
        assert_eq!(round_fen(&ratio(149, 100)), Fen(1));
        assert_eq!(round_fen(&ratio(5, 2)), Fen(3));
        assert_eq!(decimal(&ratio(1, 3)), "0.33333333333333333333");
        assert_eq!(decimal(&ratio(2, 3)), "0.66666666666666666667");
        assert_eq!(decimal(&ratio(-5, 4)), "-1.25");
        assert_eq!(decimal(&ratio(0, 1)), "0");
    }

    #[test]
    fn hundredths_and_kinds() {
        assert_eq!(parse_hundredths("35.5"), Some(3550));
        assert_eq!(parse_hundredths("35.555"), None);
        assert_eq!(parse_hundredths("-1"), None);
        assert!(EmployerKind::Enterprise.fits(&code("91350100M000100Y43")));
        assert!(!EmployerKind::Organ.fits(&code("91350100M000100Y43")));
    }
}
