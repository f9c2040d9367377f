//! The levy's three sheets as rows: employers (单位), their disabled employees (残疾职工) and
//! the parameters by region and declaration year. Each row is read into its value or every
//! fault by column, in Chinese.

use crate::certificate::Grade;
use crate::credit_code::CreditCode;
use crate::id_number::IdNumber;
use crate::money::Fen;
use crate::region::RegionTable;

use super::{Employer, EmployerKind, Params, StaffRow, parse_hundredths};

/// A fault: the column and the reason.
pub type Fault = (&'static str, String);

/// The employers sheet's columns: header, synonyms, required.
pub const EMPLOYER_COLUMNS: [(&str, &[&str], bool); 6] = [
    ("统一社会信用代码", &["信用代码", "单位代码"], true),
    ("单位名称", &["名称", "用人单位"], true),
    ("单位类型", &["类型", "单位性质"], true),
    ("所属区划代码", &["区划代码", "行政区划代码"], true),
    (
        "上年在职职工年平均人数",
        &["在职职工年平均人数", "年平均人数", "职工人数"],
        true,
    ),
    (
        "上年在职职工工资总额",
        &["上年在职职工工资总额（元）", "工资总额", "工资总额（元）"],
        true,
    ),
];

/// The disabled employees sheet's columns.
pub const STAFF_COLUMNS: [(&str, &[&str], bool); 7] = [
    ("统一社会信用代码", &["信用代码", "单位代码"], true),
    ("身份证号", &["公民身份号码", "身份证号码"], true),
    ("残疾等级", &["等级"], true),
    ("在岗月数", &["月数"], true),
    ("劳动合同一年以上", &["签订一年以上劳动合同"], true),
    ("工资不低于最低工资", &["不低于最低工资"], true),
    ("足额缴纳社会保险", &["缴纳社会保险"], true),
];

/// The parameters sheet's columns.
pub const PARAM_COLUMNS: [(&str, &[&str], bool); 4] = [
    ("区划代码", &["行政区划代码", "所属区划代码"], true),
    ("年度", &["申报年度"], true),
    ("安排比例", &["安排比例（%）", "比例"], true),
    (
        "上年社会平均工资",
        &["上年社会平均工资（元）", "社会平均工资"],
        true,
    ),
];

fn credit(s: &str, faults: &mut Vec<Fault>) -> Option<CreditCode> {
    CreditCode::parse(s)
        .map_err(|e| faults.push(("统一社会信用代码", format!("“{}”：{e}", s.trim()))))
        .ok()
}

fn region(col: &'static str, s: &str, faults: &mut Vec<Fault>) -> Option<String> {
    match RegionTable::jiangsu().current(s.trim()) {
        Ok(r) => Some(r.code.to_string()),
        Err(e) => {
            faults.push((col, e.to_string()));
            None
        }
    }
}

fn yes_no(col: &'static str, s: &str, faults: &mut Vec<Fault>) -> Option<bool> {
    match s.trim() {
        "是" | "Y" | "y" | "1" => Some(true),
        "否" | "N" | "n" | "0" => Some(false),
        t => {
            faults.push((col, format!("“{t}”应为是或否")));
            None
        }
    }
}

fn money(col: &'static str, s: &str, faults: &mut Vec<Fault>) -> Option<Fen> {
    match Fen::parse_yuan(s) {
        Ok(f) if f.fen() >= 0 => Some(f),
        Ok(_) => {
            faults.push((col, "金额不能为负数".into()));
            None
        }
        Err(e) => {
            faults.push((col, format!("“{}”：{e}", s.trim())));
            None
        }
    }
}

/// An employers row (cells in [`EMPLOYER_COLUMNS`] order).
pub fn employer(cells: &[String; 6]) -> Result<Employer, Vec<Fault>> {
    let mut faults = Vec::new();
    let code = credit(&cells[0], &mut faults);
    let name = cells[1].trim();
    if name.is_empty() || name.chars().count() > 100 {
        faults.push(("单位名称", "单位名称应为1至100个字".into()));
    }
    let kind = EmployerKind::parse(&cells[2]);
    if kind.is_none() {
        faults.push((
            "单位类型",
            format!(
                "“{}”应为{}",
                cells[2].trim(),
                EmployerKind::ALL.map(EmployerKind::label).join("、")
            ),
        ));
    }
    if let (Some(c), Some(k)) = (&code, kind)
        && !k.fits(c)
    {
        faults.push((
            "单位类型",
            format!(
                "单位类型为{}，而统一社会信用代码表明是{}",
                k.label(),
                c.kind_label()
            ),
        ));
    }
    let region = region("所属区划代码", &cells[3], &mut faults);
    let staff = match parse_hundredths(&cells[4]) {
        Some(n) if n > 0 => Some(n),
        Some(_) => {
            faults.push(("上年在职职工年平均人数", "年平均人数应大于0".into()));
            None
        }
        None => {
            faults.push((
                "上年在职职工年平均人数",
                format!("“{}”应为大于0、最多两位小数的数", cells[4].trim()),
            ));
            None
        }
    };
    let gross = money("上年在职职工工资总额", &cells[5], &mut faults);
    match (code, kind, region, staff, gross) {
        (
            Some(credit_code),
            Some(kind),
            Some(region),
            Some(staff_hundredths),
            Some(gross_wages),
        ) if faults.is_empty() => Ok(Employer {
            credit_code,
            name: name.to_owned(),
            kind,
            region,
            staff_hundredths,
            gross_wages,
        }),
        _ => Err(faults),
    }
}

/// A disabled employee's row (cells in [`STAFF_COLUMNS`] order).
pub fn staff(cells: &[String; 7]) -> Result<StaffRow, Vec<Fault>> {
    let mut faults = Vec::new();
    let code = credit(&cells[0], &mut faults);
    let id = IdNumber::parse(cells[1].trim())
        .map_err(|e| faults.push(("身份证号", format!("“{}”：{e}", cells[1].trim()))))
        .ok();
    let grade = Grade::parse(&cells[2]);
    if grade.is_none() {
        faults.push(("残疾等级", format!("“{}”应为一级至四级", cells[2].trim())));
    }
    let months = match cells[3].trim().parse::<u8>() {
        Ok(m) if (1..=12).contains(&m) => Some(m),
        _ => {
            faults.push(("在岗月数", format!("“{}”应为1至12的整数", cells[3].trim())));
            None
        }
    };
    let contract = yes_no("劳动合同一年以上", &cells[4], &mut faults);
    let min_wage = yes_no("工资不低于最低工资", &cells[5], &mut faults);
    let insured = yes_no("足额缴纳社会保险", &cells[6], &mut faults);
    match (code, id, grade, months, contract, min_wage, insured) {
        (
            Some(credit_code),
            Some(id),
            Some(grade),
            Some(months),
            Some(contract),
            Some(min_wage),
            Some(insured),
        ) if faults.is_empty() => Ok(StaffRow {
            credit_code,
            id_number: id.to_string(),
            grade: grade.code(),
            months,
            contract,
            min_wage,
            insured,
        }),
        _ => Err(faults),
    }
}

/// A parameters row (cells in [`PARAM_COLUMNS`] order): region code, declaration year, params.
pub fn params(cells: &[String; 4]) -> Result<(String, i32, Params), Vec<Fault>> {
    let mut faults = Vec::new();
    let region = region("区划代码", &cells[0], &mut faults);
    let year = match cells[1].trim().trim_end_matches('年').parse::<i32>() {
        Ok(y) if (2015..=2100).contains(&y) => Some(y),
        _ => {
            faults.push(("年度", format!("“{}”不是年度，应如2025", cells[1].trim())));
            None
        }
    };
    let ratio = match parse_hundredths(cells[2].trim().trim_end_matches('%')) {
        Some(r) if r > 0 && r <= 10_000 => Some(r),
        _ => {
            faults.push((
                "安排比例",
                format!(
                    "“{}”应为大于0、最多两位小数的百分数，如1.5",
                    cells[2].trim()
                ),
            ));
            None
        }
    };
    let wage = match money("上年社会平均工资", &cells[3], &mut faults) {
        Some(f) if f.fen() > 0 => Some(f),
        Some(_) => {
            faults.push(("上年社会平均工资", "社会平均工资应大于0".into()));
            None
        }
        None => None,
    };
    match (region, year, ratio, wage) {
        (Some(r), Some(y), Some(ratio_hundredths), Some(average_wage)) if faults.is_empty() => {
            Ok((
                r,
                y,
                Params {
                    ratio_hundredths,
                    average_wage,
                },
            ))
        }
        _ => Err(faults),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cells<const N: usize>(v: [&str; N]) -> [String; N] {
        v.map(str::to_owned)
    }

    #[test]
    fn every_fault_of_a_row_is_named_by_column() {
        let e = employer(&cells([
            "91350100M000100Y44",
            "",
            "公司",
            "999999999999",
            "0",
            "1.234",
        ]))
        .unwrap_err();
        let cols: Vec<&str> = e.iter().map(|f| f.0).collect();
        assert_eq!(
            cols,
            vec![
                "统一社会信用代码",
                "单位名称",
                "单位类型",
                "所属区划代码",
                "上年在职职工年平均人数",
                "上年在职职工工资总额"
            ]
        );
        // A type the code contradicts.
        let e = employer(&cells([
            "91350100M000100Y43",
            "甲",
            "机关",
            "320102000000",
            "10",
            "100",
        ]))
        .unwrap_err();
        assert!(e[0].1.contains("企业"), "{e:?}");
        let ok = employer(&cells([
            "91350100M000100Y43",
            "甲公司",
            "企业",
            "320102000000",
            "35.5",
            "1234567.89",
        ]))
        .unwrap();
        assert_eq!(
            (ok.staff_hundredths, ok.gross_wages.fen()),
            (3550, 123_456_789)
        );
        let s = staff(&cells([
            "91350100M000100Y43",
            "320102198005060011",
            "五级",
            "13",
            "是",
            "可能",
            "否",
        ]))
        .unwrap_err();
        let cols: Vec<&str> = s.iter().map(|f| f.0).collect();
        assert_eq!(
            cols,
            vec!["身份证号", "残疾等级", "在岗月数", "工资不低于最低工资"]
        );
        let p = params(&cells(["320102000000", "2025", "1.5", "118000"])).unwrap();
        assert_eq!(
            (p.1, p.2.ratio_hundredths, p.2.average_wage.fen()),
            (2025, 150, 11_800_000)
        );
        assert!(params(&cells(["320102000000", "2025", "1.555", "1"])).is_err());
    }
}
