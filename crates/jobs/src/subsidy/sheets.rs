//! What each subsidy sheet holds and how its rows are read: the columns with their Chinese
//! headers and synonyms, and each row parsed into the domain's types, its faults named by row
//! and column.

use std::collections::HashMap;

use anju_domain::RegionTable;
use anju_domain::certificate::{Category, Grade};
use anju_domain::id_number::IdNumber;
use anju_domain::money::{Fen, Percent};
use anju_domain::month::Month;
use anju_domain::person::{LifeStatus, parse_bank_account, parse_date};
use anju_domain::subsidy::{
    AnyOf, Assistance, AssistanceKind, DibaoStandard, Grant, Locality, Method, Standard,
    SubsidyKind,
};
use anju_io::headers::normalise;
use anju_store::{AssistanceRow, EventRow, GrantRow, ReturnRow};

use crate::import::RowError;

/// The subsidy tables a sheet can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Events,
    Assistance,
    Grants,
    Standards,
    Dibao,
    /// The bank's return of a roll's payments.
    BankReturn,
    /// Holidays and adjusted working days.
    Calendar,
}

/// A column: its header, the synonyms clerks use, and whether the sheet must have it.
struct Col {
    header: &'static str,
    synonyms: &'static [&'static str],
    required: bool,
}

const fn col(header: &'static str, synonyms: &'static [&'static str], required: bool) -> Col {
    Col {
        header,
        synonyms,
        required,
    }
}

const ID: Col = col(
    "身份证号",
    &["公民身份号码", "身份证号码", "证件号码"],
    true,
);
const FROM: Col = col("起始月份", &["开始月份", "起始年月", "起始时间"], true);
const TO: Col = col("终止月份", &["结束月份", "终止年月", "终止时间"], false);
const REGION: Col = col("区划代码", &["行政区划代码", "地区代码", "区划"], true);
const LOCALITY: Col = col("城乡", &["城乡类别", "城乡属性"], true);
const SUBSIDY: Col = col("补贴类型", &["补贴项目", "补贴名称"], true);

const EVENT_COLS: &[Col] = &[
    ID,
    col("事件", &["事件类型", "变动类型"], true),
    col(
        "日期",
        &["事件日期", "变动日期", "死亡日期", "迁出日期"],
        true,
    ),
];
const ASSISTANCE_COLS: &[Col] = &[
    ID,
    col("救助类型", &["保障类型", "救助类别"], true),
    FROM,
    TO,
    col("金额", &["月金额", "每月金额"], false),
];
const GRANT_COLS: &[Col] = &[
    ID,
    SUBSIDY,
    LOCALITY,
    FROM,
    TO,
    col("银行账号", &["账号", "银行卡号", "收款账号"], true),
    col("开户银行", &["开户行", "银行名称", "收款银行"], true),
    col("长期照护需求", &["需长期照护", "长期照护"], false),
];
const STANDARD_COLS: &[Col] = &[
    REGION,
    SUBSIDY,
    col("救助类型", &["保障类型"], true),
    col("残疾等级", &["等级"], true),
    col("残疾类别", &["类别"], true),
    col("城乡", &["城乡类别"], true),
    col("计算方式", &["计发方式"], true),
    col("数值", &["标准", "金额或比例"], true),
    col("生效月份", &["起始月份"], true),
    col("失效月份", &["终止月份"], false),
];
const RETURN_COLS: &[Col] = &[
    col("账号", &["银行账号", "收款账号", "卡号"], true),
    col("金额", &["发放金额", "交易金额"], true),
    col("状态", &["处理结果", "结果", "交易状态"], true),
    col("失败原因", &["原因", "备注", "错误信息"], false),
];
const CALENDAR_COLS: &[Col] = &[
    col("日期", &["日子"], true),
    col("类型", &["安排", "放假或上班"], true),
    col("名称", &["节日", "说明", "备注"], false),
];
const DIBAO_COLS: &[Col] = &[
    REGION,
    LOCALITY,
    col("月标准", &["低保标准", "低保月标准", "标准"], true),
    col("生效月份", &["起始月份"], true),
];

impl Table {
    pub fn label(self) -> &'static str {
        match self {
            Table::Events => "生存状态变动",
            Table::Assistance => "社会救助状态",
            Table::Grants => "两项补贴享受名单",
            Table::Standards => "补贴标准",
            Table::Dibao => "低保标准",
            Table::BankReturn => "银行回盘",
            Table::Calendar => "工作日历",
        }
    }

    /// Where each of the table's columns is in a sheet with `headers` (by header or synonym;
    /// the first wins), or the required headers it lacks.
    pub(super) fn map_headers(
        self,
        headers: &[String],
    ) -> Result<HashMap<&'static str, usize>, Vec<&'static str>> {
        let cols = self.columns();
        let mut by_header: HashMap<&'static str, usize> = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = normalise(h);
            if let Some(c) = cols
                .iter()
                .find(|c| c.header == h || c.synonyms.contains(&h.as_str()))
            {
                by_header.entry(c.header).or_insert(i);
            }
        }
        let missing: Vec<&'static str> = cols
            .iter()
            .filter(|c| c.required && !by_header.contains_key(c.header))
            .map(|c| c.header)
            .collect();
        if missing.is_empty() {
            Ok(by_header)
        } else {
            Err(missing)
        }
    }

    fn columns(self) -> &'static [Col] {
        match self {
            Table::Events => EVENT_COLS,
            Table::Assistance => ASSISTANCE_COLS,
            Table::Grants => GRANT_COLS,
            Table::Standards => STANDARD_COLS,
            Table::Dibao => DIBAO_COLS,
            Table::BankReturn => RETURN_COLS,
            Table::Calendar => CALENDAR_COLS,
        }
    }

    /// The headers of a template sheet.
    pub fn headers(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| c.header).collect()
    }

    /// The import template's columns: header, required, the values it takes, an example.
    pub fn template(self) -> Vec<anju_io::TemplateColumn> {
        self.columns()
            .iter()
            .map(|c| {
                let (allowed, example) = describe(self, c.header);
                anju_io::TemplateColumn {
                    header: c.header,
                    required: c.required,
                    allowed,
                    example,
                }
            })
            .collect()
    }
}

/// What a column of `table` takes, and an example value.
fn describe(table: Table, header: &str) -> (&'static str, &'static str) {
    match (table, header) {
        (_, "身份证号") => ("18位公民身份号码（须已建档）", "320102194901010013"),
        (Table::Events, "事件") => ("死亡、迁出", "死亡"),
        (Table::Events, "日期") => ("死亡或迁出的日期，如2024-01-15", "2024-01-15"),
        (Table::Calendar, "日期") => ("日期，如2026-10-01", "2026-10-01"),
        (Table::Calendar, "类型") => ("放假、上班（调休上班日）、删除", "放假"),
        (Table::Calendar, "名称") => ("节日名称，如国庆节", "国庆节"),
        (_, "救助类型") => (
            "低保、低保边缘、特困供养、孤儿基本生活保障、工伤保险生活护理费、老年人护理补贴、\
             其他；补贴标准中可填“任意”",
            "低保",
        ),
        (_, "起始月份") => ("年月，如2025-01", "2025-01"),
        (_, "终止月份") => ("年月，如2025-12；不填表示至今", ""),
        (Table::Assistance, "金额") => ("每月金额（元），带金额的救助类型填写", ""),
        (_, "补贴类型") => (
            "困难残疾人生活补贴、重度残疾人护理补贴",
            "困难残疾人生活补贴",
        ),
        (_, "城乡") => ("城镇、农村；补贴标准中可填“任意”", "城镇"),
        (_, "银行账号") => ("12至30位数字", "6222020200112233445"),
        (_, "开户银行") => ("银行名称", "中国工商银行"),
        (_, "长期照护需求") => ("是、否；不填为否", "否"),
        (_, "区划代码") => ("12位区划代码（市、县或镇）", "320100000000"),
        (_, "残疾等级") => ("一级至四级，可用顿号分隔多个，或“任意”", "一级、二级"),
        (_, "残疾类别") => ("视力、听力、言语、肢体、智力、精神、多重，或“任意”", "任意"),
        (_, "计算方式") => ("定额、低保标准比例", "低保标准比例"),
        (_, "数值") => ("定额填元（如130），比例填百分数（如30%）", "30%"),
        (_, "生效月份") => ("年月，如2024-01", "2024-01"),
        (_, "失效月份") => ("年月；不填表示长期有效", ""),
        (_, "月标准") => ("每月低保标准（元）", "1000"),
        (_, "账号") => ("12至30位数字", "6222020200112233445"),
        (_, "金额") => ("金额（元）", "130.00"),
        (_, "状态") => ("成功、失败", "成功"),
        (_, "失败原因") => ("失败时填写", ""),
        _ => ("", ""),
    }
}

/// One row's cells by column header.
pub(super) struct Cells<'a> {
    pub(super) row: usize,
    pub(super) by_header: &'a HashMap<&'static str, usize>,
    pub(super) cells: &'a [String],
    pub(super) faults: Vec<RowError>,
}

impl Cells<'_> {
    fn get(&self, header: &str) -> &str {
        self.by_header
            .get(header)
            .and_then(|&i| self.cells.get(i))
            .map_or("", |s| s.trim())
    }

    pub(super) fn fault(&mut self, column: &str, code: &str, message: impl Into<String>) {
        self.faults.push(RowError {
            row: self.row,
            column: column.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    /// A required cell's value, or a fault.
    fn required(&mut self, header: &str) -> Option<String> {
        let v = self.get(header).to_owned();
        if v.is_empty() {
            self.fault(header, "required", format!("{header}不能为空"));
            None
        } else {
            Some(v)
        }
    }

    fn id_number(&mut self) -> Option<IdNumber> {
        let v = self.required("身份证号")?;
        match IdNumber::parse(&v) {
            Ok(id) => Some(id),
            Err(e) => {
                self.fault("身份证号", e.code(), e.to_string());
                None
            }
        }
    }

    fn month(&mut self, header: &str) -> Option<Month> {
        let v = self.required(header)?;
        self.parse_month(header, &v)
    }

    fn opt_month(&mut self, header: &str) -> Option<Option<Month>> {
        let v = self.get(header).to_owned();
        if v.is_empty() {
            return Some(None);
        }
        self.parse_month(header, &v).map(Some)
    }

    fn parse_month(&mut self, header: &str, v: &str) -> Option<Month> {
        match Month::parse(v) {
            Ok(m) => Some(m),
            Err(e) => {
                self.fault(header, "month_invalid", e.to_string());
                None
            }
        }
    }

    /// A month range whose end is not before its start.
    fn range(&mut self, from: &str, to: &str) -> Option<(Month, Option<Month>)> {
        let f = self.month(from);
        let t = self.opt_month(to);
        let (f, t) = (f?, t?);
        if t.is_some_and(|t| t < f) {
            self.fault(
                to,
                "month_range",
                format!("{to}早于{from}（{f} 之后才能结束）"),
            );
            return None;
        }
        Some((f, t))
    }

    fn choice<T>(
        &mut self,
        header: &str,
        parse: impl Fn(&str) -> Option<T>,
        expect: &str,
    ) -> Option<T> {
        let v = self.required(header)?;
        let got = parse(&v);
        if got.is_none() {
            self.fault(
                header,
                "value_invalid",
                format!("“{v}”不是有效的{header}（应为{expect}）"),
            );
        }
        got
    }

    fn region(&mut self) -> Option<String> {
        let v = self.required("区划代码")?;
        match RegionTable::jiangsu().current(&v) {
            Ok(r) => Some(r.code.to_string()),
            Err(e) => {
                self.fault("区划代码", "region_invalid", e.to_string());
                None
            }
        }
    }

    /// 任意 (or empty) or a list separated by 、 , ，; or /.
    fn list<T: PartialEq>(
        &mut self,
        header: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<AnyOf<T>> {
        let v = self.get(header).to_owned();
        if v.is_empty() || v == "任意" || v == "不限" {
            return Some(AnyOf::Any);
        }
        let mut out = Vec::new();
        for part in v
            .split(['、', ',', '，', ';', '；', '/'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match parse(part) {
                Some(x) if !out.contains(&x) => out.push(x),
                Some(_) => {}
                None => {
                    self.fault(
                        header,
                        "value_invalid",
                        format!("“{part}”不是有效的{header}"),
                    );
                    return None;
                }
            }
        }
        Some(AnyOf::Only(out))
    }
}

fn life_event(s: &str) -> Option<LifeStatus> {
    match LifeStatus::parse(s)? {
        LifeStatus::Living => None,
        other => Some(other),
    }
}

fn yes_no(s: &str) -> Option<bool> {
    match s.trim() {
        "是" | "有" | "Y" | "y" | "1" | "需要" => Some(true),
        "否" | "无" | "N" | "n" | "0" | "不需要" | "" => Some(false),
        _ => None,
    }
}

/// The parsed rows of a sheet, by table.
pub(super) enum Parsed {
    Events(Vec<EventRow>),
    Assistance(Vec<AssistanceRow>),
    Grants(Vec<GrantRow>),
    Standards(Vec<(usize, Standard)>),
    Dibao(Vec<(usize, DibaoStandard)>),
    Returns(Vec<ReturnRow>),
    Calendar(
        Vec<(
            usize,
            chrono::NaiveDate,
            Option<anju_domain::calendar::DayKind>,
            String,
        )>,
    ),
}

impl Parsed {
    pub(super) fn new(t: Table) -> Parsed {
        match t {
            Table::Events => Parsed::Events(Vec::new()),
            Table::Assistance => Parsed::Assistance(Vec::new()),
            Table::Grants => Parsed::Grants(Vec::new()),
            Table::Standards => Parsed::Standards(Vec::new()),
            Table::Dibao => Parsed::Dibao(Vec::new()),
            Table::BankReturn => Parsed::Returns(Vec::new()),
            Table::Calendar => Parsed::Calendar(Vec::new()),
        }
    }

    /// Parses one row into the list, or leaves its faults in `c`.
    pub(super) fn push(&mut self, c: &mut Cells<'_>) {
        let row = c.row;
        match self {
            Parsed::Events(v) => {
                let id = c.id_number();
                let status = c.choice("事件", life_event, "死亡或迁出");
                let date = c.required("日期").and_then(|d| {
                    let p = parse_date(&d);
                    if p.is_none() {
                        c.fault("日期", "date_invalid", format!("“{d}”不是有效的日期"));
                    }
                    p
                });
                if let (Some(id_number), Some(status), Some(date)) = (id, status, date) {
                    v.push(EventRow {
                        row,
                        id_number,
                        status,
                        date,
                    });
                }
            }
            Parsed::Assistance(v) => {
                let id = c.id_number();
                let kind = c.choice("救助类型", AssistanceKind::parse, "低保、低保边缘、特困供养、孤儿基本生活保障、工伤保险生活护理费、老年人护理补贴或其他");
                let range = c.range("起始月份", "终止月份");
                let amount_text = c.get("金额").to_owned();
                let amount = match kind {
                    Some(k) if k.needs_amount() => {
                        if amount_text.is_empty() {
                            c.fault(
                                "金额",
                                "amount_missing",
                                format!("{}须填写每月金额（元）", k.label()),
                            );
                            None
                        } else {
                            match Fen::parse_yuan(&amount_text) {
                                Ok(f) => Some(Some(f)),
                                Err(e) => {
                                    c.fault("金额", "amount_invalid", e.to_string());
                                    None
                                }
                            }
                        }
                    }
                    Some(k) if !amount_text.is_empty() => {
                        c.fault(
                            "金额",
                            "amount_unexpected",
                            format!("{}不填写金额", k.label()),
                        );
                        None
                    }
                    _ => Some(None),
                };
                if let (Some(id_number), Some(kind), Some((from, to)), Some(amount)) =
                    (id, kind, range, amount)
                {
                    v.push(AssistanceRow {
                        row,
                        id_number,
                        assistance: Assistance {
                            kind,
                            from,
                            to,
                            amount,
                        },
                    });
                }
            }
            Parsed::Grants(v) => {
                let id = c.id_number();
                let kind = c.choice(
                    "补贴类型",
                    SubsidyKind::parse,
                    "困难残疾人生活补贴或重度残疾人护理补贴",
                );
                let locality = c.choice("城乡", Locality::parse, "城镇或农村");
                let range = c.range("起始月份", "终止月份");
                let account = c.required("银行账号").and_then(|a| {
                    let p = parse_bank_account(&a);
                    if p.is_none() {
                        c.fault(
                            "银行账号",
                            "bank_account_invalid",
                            format!("银行账号“{a}”无效，应为12至30位数字"),
                        );
                    }
                    p
                });
                let bank = c.required("开户银行");
                let care_text = c.get("长期照护需求").to_owned();
                let care = yes_no(&care_text);
                if care.is_none() {
                    c.fault(
                        "长期照护需求",
                        "value_invalid",
                        format!("“{care_text}”应为是或否"),
                    );
                }
                if let (
                    Some(id_number),
                    Some(kind),
                    Some(locality),
                    Some((from, to)),
                    Some(bank_account),
                    Some(bank_name),
                    Some(long_term_care),
                ) = (id, kind, locality, range, account, bank, care)
                {
                    v.push(GrantRow {
                        row,
                        id_number,
                        grant: Grant {
                            kind,
                            locality,
                            from,
                            to,
                            long_term_care,
                        },
                        bank_account,
                        bank_name,
                    });
                }
            }
            Parsed::Standards(v) => {
                let region = c.region();
                let kind = c.choice(
                    "补贴类型",
                    SubsidyKind::parse,
                    "困难残疾人生活补贴或重度残疾人护理补贴",
                );
                let assistance = c.list("救助类型", AssistanceKind::parse);
                let grades = c.list("残疾等级", Grade::parse);
                let categories = c.list("残疾类别", Category::parse);
                let locality_text = c.get("城乡").to_owned();
                let locality = match locality_text.as_str() {
                    "" | "任意" | "不限" => Some(None),
                    t => match Locality::parse(t) {
                        Some(l) => Some(Some(l)),
                        None => {
                            c.fault(
                                "城乡",
                                "value_invalid",
                                format!("“{t}”应为城镇、农村或任意"),
                            );
                            None
                        }
                    },
                };
                let method = c.required("计算方式");
                let value = c.required("数值");
                let method = match (method.as_deref(), value) {
                    (Some("定额"), Some(v)) => match Fen::parse_yuan(&v) {
                        Ok(f) => Some(Method::Fixed(f)),
                        Err(e) => {
                            c.fault("数值", "value_invalid", e.to_string());
                            None
                        }
                    },
                    (Some("低保标准比例" | "比例"), Some(v)) => match Percent::parse(&v) {
                        Ok(p) => Some(Method::DibaoShare(p)),
                        Err(e) => {
                            c.fault("数值", "value_invalid", e.to_string());
                            None
                        }
                    },
                    (Some(m), _) if m != "定额" && m != "低保标准比例" && m != "比例" => {
                        c.fault(
                            "计算方式",
                            "value_invalid",
                            format!("“{m}”应为定额或低保标准比例"),
                        );
                        None
                    }
                    _ => None,
                };
                let range = c.range("生效月份", "失效月份");
                if let (
                    Some(region_code),
                    Some(kind),
                    Some(assistance),
                    Some(grades),
                    Some(categories),
                    Some(locality),
                    Some(method),
                    Some((from, to)),
                ) = (
                    region, kind, assistance, grades, categories, locality, method, range,
                ) {
                    v.push((
                        row,
                        Standard {
                            id: 0,
                            seq: 0,
                            region_code,
                            kind,
                            assistance,
                            grades,
                            categories,
                            locality,
                            method,
                            from,
                            to,
                        },
                    ));
                }
            }
            Parsed::Calendar(v) => {
                let date = c.required("日期").and_then(|d| {
                    let p = parse_date(&d);
                    if p.is_none() {
                        c.fault("日期", "date_invalid", format!("“{d}”不是有效的日期"));
                    }
                    p
                });
                // 删除 (or 恢复) puts the day back to the weekday rule.
                let kind = c.choice(
                    "类型",
                    |s| match s {
                        "删除" | "恢复" | "取消" => Some(None),
                        other => anju_domain::calendar::DayKind::parse(other).map(Some),
                    },
                    "放假、上班或删除",
                );
                let name = c.get("名称").to_owned();
                if let (Some(date), Some(kind)) = (date, kind) {
                    v.push((row, date, kind, name));
                }
            }
            Parsed::Returns(v) => {
                // The payment file's own 小计 and 合计 rows may come back with it.
                if c.get("账号").is_empty() && c.cells.iter().any(|x| x.contains("计")) {
                    return;
                }
                let account = c.required("账号").and_then(|a| {
                    let p = parse_bank_account(&a);
                    if p.is_none() {
                        c.fault(
                            "账号",
                            "bank_account_invalid",
                            format!("账号“{a}”无效，应为12至30位数字"),
                        );
                    }
                    p
                });
                let amount = c.required("金额").and_then(|a| match Fen::parse_yuan(&a) {
                    Ok(f) => Some(f),
                    Err(e) => {
                        c.fault("金额", "amount_invalid", e.to_string());
                        None
                    }
                });
                let ok = c.choice(
                    "状态",
                    |s| match s {
                        "成功" | "已成功" | "success" => Some(true),
                        "失败" | "已失败" | "failed" => Some(false),
                        _ => None,
                    },
                    "成功或失败",
                );
                let reason = c.get("失败原因").to_owned();
                if ok == Some(false) && reason.is_empty() {
                    c.fault("失败原因", "required", "失败的款项须填写失败原因");
                    return;
                }
                if let (Some(bank_account), Some(amount), Some(ok)) = (account, amount, ok) {
                    v.push(ReturnRow {
                        row,
                        bank_account,
                        amount,
                        ok,
                        reason,
                    });
                }
            }
            Parsed::Dibao(v) => {
                let region = c.region();
                let locality = c.choice("城乡", Locality::parse, "城镇或农村");
                let amount = c
                    .required("月标准")
                    .and_then(|a| match Fen::parse_yuan(&a) {
                        Ok(f) => Some(f),
                        Err(e) => {
                            c.fault("月标准", "amount_invalid", e.to_string());
                            None
                        }
                    });
                let from = c.month("生效月份");
                if let (Some(region_code), Some(locality), Some(amount), Some(from)) =
                    (region, locality, amount, from)
                {
                    v.push((
                        row,
                        DibaoStandard {
                            id: 0,
                            region_code,
                            locality,
                            amount,
                            from,
                        },
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    #[test]
    fn every_template_column_says_what_it_takes() {
        for t in [
            Table::Events,
            Table::Assistance,
            Table::Grants,
            Table::Standards,
            Table::Dibao,
            Table::BankReturn,
            Table::Calendar,
        ] {
            let cols = t.template();
            assert_eq!(cols.len(), t.headers().len());
            for c in cols {
                assert!(!c.allowed.is_empty(), "{:?} {}", t, c.header);
                assert!(!c.required || !c.example.is_empty(), "{:?} {}", t, c.header);
            }
        }
    }
}
