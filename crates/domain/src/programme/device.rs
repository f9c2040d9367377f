//! Assistive devices (辅助器具): the catalogue a federation keeps (class code after GB/T 16432 /
//! ISO 9999, name, unit, years of use, subsidy, who may receive it), the years-of-use rule (no
//! second device of a class before the first one's years end) and what a fitting is paid (the
//! supplier's quote, at most the catalogue's subsidy). Reference §6.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::condition::{self, Condition};
use crate::money::Fen;
use crate::month::Month;

/// The classes of GB/T 16432-2016 (ISO 9999:2011): the first two digits of every code.
pub const CLASSES: [(&str, &str); 12] = [
    ("04", "个人医疗辅助器具"),
    ("05", "技能训练辅助器具"),
    ("06", "矫形器和假肢"),
    ("09", "个人生活自理和防护辅助器具"),
    ("12", "个人移动辅助器具"),
    ("15", "家务辅助器具"),
    ("18", "家庭和其他场所的家具及其适配件"),
    ("22", "沟通和信息辅助器具"),
    ("24", "操作物体和器具的辅助器具"),
    ("27", "用于环境改善和评估的辅助器具"),
    ("28", "就业和职业训练辅助器具"),
    ("30", "休闲娱乐辅助器具"),
];

/// A class code as the catalogue writes it: two or three pairs of digits, the first a class
/// of GB/T 16432 ("12 22 03" for a manual wheelchair). Spaces, dots or dashes between the
/// pairs are accepted; the code is kept with spaces.
pub fn parse_code(s: &str) -> Result<String, String> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '　'))
        .collect();
    if !(digits.len() == 4 || digits.len() == 6) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "“{s}”不是辅具分类代码，应为两段或三段两位数字，如12 22 03"
        ));
    }
    let class = &digits[..2];
    if !CLASSES.iter().any(|(c, _)| *c == class) {
        return Err(format!(
            "“{s}”的主类“{class}”不在GB/T 16432的主类中（{}）",
            CLASSES.map(|(c, _)| c).join("、")
        ));
    }
    Ok(digits
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect::<Vec<_>>()
        .join(" "))
}

/// A catalogue entry for a region from a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceItem {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// Years before a second device of the class may be fitted; 0 for none (consumables).
    pub years_of_use: u32,
    pub subsidy: Fen,
    /// Who may receive it, as written (empty: every holder of a valid certificate the
    /// programme serves).
    pub condition_text: String,
    #[serde(skip)]
    pub conditions: Condition,
    pub region_prefix: String,
    pub from: Month,
    pub to: Option<Month>,
}

impl DeviceItem {
    /// Whether the entry applies to a household and a month.
    pub fn applies(&self, household: &str, month: Month) -> bool {
        household.starts_with(&self.region_prefix)
            && self.from <= month
            && self.to.is_none_or(|t| month <= t)
    }
}

/// The catalogue's columns: header, synonyms, required.
pub const COLUMNS: [(&str, &[&str], bool); 9] = [
    ("分类代码", &["辅具分类代码", "类别代码", "代码"], true),
    ("辅具名称", &["名称", "产品名称"], true),
    ("计量单位", &["单位"], true),
    ("使用年限", &["最低使用年限", "年限"], true),
    (
        "补贴金额（元）",
        &["补贴金额", "补贴标准（元）", "补贴标准"],
        true,
    ),
    ("适配对象", &["适用对象", "适配条件", "申领条件"], false),
    ("区划代码", &["行政区划代码"], false),
    ("起始月份", &["生效月份"], false),
    ("终止月份", &["失效月份"], false),
];

/// What each column takes and an example (the import page and template).
pub fn column_help(header: &str) -> (&'static str, &'static str) {
    match header {
        "分类代码" => (
            "GB/T 16432（ISO 9999）分类代码，两段或三段两位数字",
            "12 22 03",
        ),
        "辅具名称" => ("1至40个字", "普通轮椅"),
        "计量单位" => ("件、台、副、只等", "台"),
        "使用年限" => ("整年数；同类辅具在此年限内不再补贴；耗材填0", "5"),
        "补贴金额（元）" => ("每件最多补贴的金额，最多两位小数", "800.00"),
        "适配对象" => (
            "与服务项目的资格条件相同的写法；不填为持证即可",
            "任一（救助：低保、低保边缘、特困；年龄：0-18）",
        ),
        "区划代码" => ("适用的区划代码；不填为全省", "320000000000"),
        "起始月份" => ("如2025-01；不填为2024-01", "2025-01"),
        "终止月份" => ("长期有效不填", ""),
        _ => ("", ""),
    }
}

/// One catalogue row as text per column, in [`COLUMNS`] order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceRow {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub years: String,
    pub subsidy: String,
    pub conditions: String,
    pub region: String,
    pub from: String,
    pub to: String,
}

impl DeviceRow {
    /// The row from the text under each canonical header.
    pub fn from_cells(cell: impl Fn(&'static str) -> String) -> DeviceRow {
        let [
            code,
            name,
            unit,
            years,
            subsidy,
            conditions,
            region,
            from,
            to,
        ] = COLUMNS.map(|(h, _, _)| cell(h));
        DeviceRow {
            code,
            name,
            unit,
            years,
            subsidy,
            conditions,
            region,
            from,
            to,
        }
    }

    /// The row as a catalogue entry, or every fault by column.
    pub fn parse(&self) -> Result<DeviceItem, Vec<(&'static str, String)>> {
        let mut faults = Vec::new();
        let code = parse_code(&self.code)
            .map_err(|e| faults.push(("分类代码", e)))
            .ok();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            faults.push(("辅具名称", "辅具名称应为1至40个字".into()));
        }
        let unit = self.unit.trim();
        if unit.is_empty() || unit.chars().count() > 6 {
            faults.push(("计量单位", "计量单位应为1至6个字，如件、台".into()));
        }
        let years = match self.years.trim().trim_end_matches('年').parse::<u32>() {
            Ok(y) if y <= 30 => Some(y),
            _ => {
                faults.push((
                    "使用年限",
                    format!("“{}”应为0至30的整年数", self.years.trim()),
                ));
                None
            }
        };
        let subsidy = match Fen::parse_yuan(&self.subsidy) {
            Ok(f) if f.fen() >= 0 => Some(f),
            Ok(_) => {
                faults.push(("补贴金额（元）", "补贴金额不能为负数".into()));
                None
            }
            Err(e) => {
                faults.push(("补贴金额（元）", format!("“{}”：{e}", self.subsidy)));
                None
            }
        };
        let conditions = Condition::parse(&self.conditions)
            .map_err(|e| faults.push(("适配对象", e.to_string())))
            .ok();
        let region = match self.region.trim() {
            "" => Some("32".to_owned()),
            r => {
                let p = condition::region_prefix_of(r);
                if p.is_none() {
                    faults.push(("区划代码", format!("“{r}”不是区划代码（如320000000000）")));
                }
                p
            }
        };
        let from = match self.from.trim() {
            "" => Month::new(2024, 1),
            f => Month::parse(f)
                .map_err(|_| faults.push(("起始月份", format!("“{f}”不是月份，应如2025-01"))))
                .ok(),
        };
        let to = match self.to.trim() {
            "" => Some(None),
            t => Month::parse(t)
                .map_err(|_| faults.push(("终止月份", format!("“{t}”不是月份，应如2025-12"))))
                .ok()
                .map(Some),
        };
        if let (Some(f), Some(Some(t))) = (from, to)
            && t < f
        {
            faults.push(("终止月份", "终止月份早于起始月份".into()));
        }
        match (code, years, subsidy, conditions, region, from, to) {
            (
                Some(code),
                Some(years_of_use),
                Some(subsidy),
                Some(conditions),
                Some(region_prefix),
                Some(from),
                Some(to),
            ) if faults.is_empty() => Ok(DeviceItem {
                code,
                name: name.to_owned(),
                unit: unit.to_owned(),
                years_of_use,
                subsidy,
                condition_text: self.conditions.trim().to_owned(),
                conditions,
                region_prefix,
                from,
                to,
            }),
            _ => Err(faults),
        }
    }
}

/// Whether a device programme lends its device rather than gives it: one of its steps is
/// 出租 (as the shipped 辅助器具租赁's is). A rental is not held to the years-of-use rule and
/// records no fitting.
pub fn lends(steps: &[super::Step]) -> bool {
    steps.iter().any(|s| s.name.contains("出租"))
}

/// The first day a second device of a class fitted on `fitted` may be fitted.
pub fn next_allowed(fitted: NaiveDate, years_of_use: u32) -> NaiveDate {
    fitted
        .checked_add_months(Months::new(years_of_use.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// The years-of-use rule: a device of `code` may be fitted on `date` unless one of the same
/// class was fitted (`fitted`, with its years of use) and its years have not ended; the
/// refusal names the earlier fitting and the first day allowed.
pub fn may_fit(code: &str, fitted: &[(NaiveDate, u32)], date: NaiveDate) -> Result<(), String> {
    match fitted
        .iter()
        .map(|&(on, years)| (on, next_allowed(on, years)))
        .filter(|&(_, next)| date < next)
        .max_by_key(|&(_, next)| next)
    {
        Some((on, next)) => Err(format!(
            "同类辅具（{code}）已于{on}适配，使用年限内不再补贴，{next}起可再次申请"
        )),
        None => Ok(()),
    }
}

/// What a fitting is paid: the supplier's quote, at most the catalogue's subsidy (the
/// subsidy when no quote was recorded).
pub fn subsidy_paid(quote: Option<Fen>, subsidy: Fen) -> Fen {
    match quote {
        Some(q) if q.fen() < subsidy.fen() => q,
        _ => subsidy,
    }
}

/// The catalogue shipped for Jiangsu (`data/devices/jiangsu.tsv`), until a federation imports
/// its own.
pub fn jiangsu() -> Result<Vec<DeviceItem>, String> {
    const JIANGSU: &str = include_str!("../../../../data/devices/jiangsu.tsv");
    let mut lines = JIANGSU
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let headers: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split('\t').collect();
            DeviceRow::from_cells(|h| {
                headers
                    .iter()
                    .position(|x| *x == h)
                    .and_then(|j| cells.get(j))
                    .map_or_else(String::new, |c| (*c).to_owned())
            })
            .parse()
            .map_err(|e| format!("第{}行：{}", i + 2, e[0].1))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn codes_are_pairs_of_digits_under_a_class_of_the_standard() {
        assert_eq!(parse_code("122203").unwrap(), "12 22 03");
        assert_eq!(parse_code("12.22.03").unwrap(), "12 22 03");
        assert_eq!(parse_code(" 22 06 ").unwrap(), "22 06");
        assert!(parse_code("13 22 03").unwrap_err().contains("主类"));
        assert!(parse_code("12 2").is_err());
        assert!(parse_code("12 22 0A").is_err());
    }

    #[test]
    fn no_second_device_of_a_class_within_its_years() {
        let fitted = [(d("2021-03-15"), 5)];
        let e = may_fit("12 22 03", &fitted, d("2026-03-14")).unwrap_err();
        assert!(e.contains("2021-03-15") && e.contains("2026-03-15"), "{e}");
        assert!(may_fit("12 22 03", &fitted, d("2026-03-15")).is_ok());
        // Consumables (0 years) are never held back.
        assert!(may_fit("09 30", &[(d("2026-01-01"), 0)], d("2026-01-01")).is_ok());
        assert!(may_fit("12 22 03", &[], d("2026-01-01")).is_ok());
        // A leap day's years end on the last day of February.
        assert_eq!(next_allowed(d("2024-02-29"), 1), d("2025-02-28"));
    }

    #[test]
    fn a_fitting_is_paid_the_quote_up_to_the_subsidy() {
        assert_eq!(subsidy_paid(Some(Fen(50_000)), Fen(80_000)), Fen(50_000));
        assert_eq!(subsidy_paid(Some(Fen(95_000)), Fen(80_000)), Fen(80_000));
        assert_eq!(subsidy_paid(None, Fen(80_000)), Fen(80_000));
    }

    #[test]
    fn a_row_names_every_fault_by_column() {
        let row = DeviceRow {
            code: "99 01".into(),
            name: String::new(),
            unit: "台".into(),
            years: "五".into(),
            subsidy: "800.005".into(),
            conditions: "会飞".into(),
            ..Default::default()
        };
        let cols: Vec<&str> = row.parse().unwrap_err().iter().map(|f| f.0).collect();
        assert_eq!(
            cols,
            vec![
                "分类代码",
                "辅具名称",
                "使用年限",
                "补贴金额（元）",
                "适配对象"
            ]
        );
        let ok = DeviceRow {
            code: "12 22 03".into(),
            name: "普通轮椅".into(),
            unit: "台".into(),
            years: "5".into(),
            subsidy: "800".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!((ok.subsidy, ok.years_of_use), (Fen(80_000), 5));
        assert!(ok.applies("320585000000", Month::new(2025, 6).unwrap()));
        assert!(!ok.applies("310000000000", Month::new(2025, 6).unwrap()));
    }

    #[test]
    fn a_programme_with_a_rental_step_lends() {
        let rent =
            super::super::parse_steps("申请（村，5）→出租（机构，10）→归还（机构）").unwrap();
        let fit = super::super::parse_steps("申请（村，5）→适配（机构，30）").unwrap();
        assert!(lends(&rent) && !lends(&fit));
    }

    #[test]
    fn the_shipped_catalogue_reads() {
        let list = jiangsu().unwrap();
        assert!(list.len() >= 10);
        assert!(list.iter().any(|i| i.name.contains("助听器")));
    }
}
