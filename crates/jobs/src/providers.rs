//! `anju import providers FILE` (统一社会信用代码, 机构名称, 机构类型, 服务区域, 服务项目,
//! 协议开始日期, 协议结束日期, 星级) and `anju import deliveries FILE` (身份证号, 服务项目,
//! 服务类型, 服务日期, 数量, 开始时间, 结束时间, 服务内容): each row's faults named by column,
//! the good rows written in one transaction (none with `--strict` when any row is bad).

use std::path::Path;

use anju_domain::programme::delivery::DeliveryInput;
use anju_domain::provider::ProviderInput;
use anju_store::{Apply, DeliveryRow, Scope, Store};

use crate::import::{ImportError, ImportOptions, ImportReport, RowError, map_columns};

pub const PROVIDER_COLUMNS: [(&str, &[&str], bool); 8] = [
    ("统一社会信用代码", &["信用代码", "机构代码"], true),
    ("机构名称", &["名称", "服务机构"], true),
    ("机构类型", &["类型"], true),
    ("服务区域", &["服务区划", "区划代码"], true),
    ("服务项目", &["承接项目"], false),
    ("协议开始日期", &["协议起始日期", "开始日期"], true),
    ("协议结束日期", &["协议终止日期", "结束日期"], true),
    ("星级", &["星级评定"], false),
];

pub const DELIVERY_COLUMNS: [(&str, &[&str], bool); 8] = [
    (
        "身份证号",
        &["公民身份号码", "身份证号码", "证件号码"],
        true,
    ),
    ("服务项目", &["项目名称", "项目"], true),
    ("服务类型", &["类型"], true),
    ("服务日期", &["日期"], true),
    ("数量", &["次数", "天数"], false),
    ("开始时间", &[], false),
    ("结束时间", &[], false),
    ("服务内容", &["内容", "备注"], false),
];

fn apply_of(opts: &ImportOptions, parse_failed: bool) -> Apply {
    match (opts.strict, parse_failed) {
        (false, _) => Apply::Always,
        (true, false) => Apply::IfClean,
        (true, true) => Apply::Never,
    }
}

fn label_of(path: &Path, opts: &ImportOptions) -> String {
    opts.label.clone().unwrap_or_else(|| {
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    })
}

/// Imports a providers sheet (county, city or administrator).
pub async fn import_providers(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut reader = anju_io::open(path, &opts.read)?;
    let by = map_columns(&reader.headers, &PROVIDER_COLUMNS)?;
    let known: Vec<String> = store
        .programmes()
        .list(scope)
        .await?
        .into_iter()
        .map(|r| r.programme.name)
        .collect();
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let cell = |h: &str| {
            by.get(h)
                .and_then(|&i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let input = ProviderInput {
            credit_code: cell("统一社会信用代码"),
            name: cell("机构名称"),
            kind: cell("机构类型"),
            regions: cell("服务区域"),
            programmes: cell("服务项目"),
            agreement_from: cell("协议开始日期"),
            agreement_to: cell("协议结束日期"),
            star_level: cell("星级"),
        };
        match input.validate(&known) {
            Ok(p) => rows.push((row.number, p)),
            Err(faults) => report
                .errors
                .extend(faults.into_iter().map(|(f, m)| RowError {
                    row: row.number,
                    column: f.to_owned(),
                    code: "value_invalid".into(),
                    message: m,
                })),
        }
    }
    let apply = apply_of(opts, !report.errors.is_empty());
    let result = store
        .providers()
        .import(scope, &label_of(path, opts), rows, apply)
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}

/// Imports a sheet of delivery records (a provider's account, or a county and up).
pub async fn import_deliveries(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut reader = anju_io::open(path, &opts.read)?;
    let by = map_columns(&reader.headers, &DELIVERY_COLUMNS)?;
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let cell = |h: &str| {
            by.get(h)
                .and_then(|&i| row.cells.get(i))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default()
        };
        let id_number = match anju_domain::id_number::IdNumber::parse_with_legacy(&cell("身份证号"))
        {
            Ok((id, _)) => id.to_string(),
            Err(e) => {
                report.errors.push(RowError {
                    row: row.number,
                    column: "身份证号".into(),
                    code: e.code().into(),
                    message: format!("{e}（“{}”）", cell("身份证号")),
                });
                continue;
            }
        };
        rows.push(DeliveryRow {
            row: row.number,
            id_number,
            programme: cell("服务项目"),
            input: DeliveryInput {
                kind: cell("服务类型"),
                date: cell("服务日期"),
                units: cell("数量"),
                start: cell("开始时间"),
                end: cell("结束时间"),
                note: cell("服务内容"),
            },
        });
    }
    let apply = apply_of(opts, !report.errors.is_empty());
    let result = store
        .cases()
        .import_deliveries(scope, &label_of(path, opts), rows, apply)
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}

/// The payment sheet's headers.
pub const PAYMENT_HEADERS: [&str; 9] = [
    "序号",
    "服务机构",
    "姓名",
    "身份证号",
    "服务项目",
    "数量",
    "单价（元）",
    "金额（元）",
    "计算说明",
];

/// Writes an approved bill's payment sheet to `out` (a line per delivery, then 合计), masked
/// as the role sees it, and records the export. Returns the number of lines.
pub async fn export_bill(
    store: &Store,
    scope: &Scope,
    bill: i64,
    out: &Path,
) -> Result<usize, crate::ExportError> {
    use anju_domain::money::Fen;
    let s = store.settlements();
    let b = s.get(scope, bill).await?;
    if b.state != "approved" {
        return Err(
            anju_store::StoreError::Invalid("结算单尚未审核，不能导出支付表".into()).into(),
        );
    }
    let lines = s.lines(scope, bill).await?;
    let werr = |e: anju_io::WriteError| crate::ExportError::Write(e.to_string());
    let mut w = anju_io::SheetWriter::create(out, &PAYMENT_HEADERS).map_err(werr)?;
    for (i, l) in lines.iter().enumerate() {
        w.write_row(&[
            (i + 1).to_string().as_str(),
            &b.provider,
            &l.name,
            &l.id_number,
            &l.programme,
            &l.units.to_string(),
            &Fen(l.unit_fen).yuan(),
            &Fen(l.amount_fen).yuan(),
            &l.note,
        ])
        .map_err(werr)?;
    }
    let total = Fen(b.total_fen).yuan();
    w.write_row(&["", "", "", "", "", "", "合计", total.as_str(), ""])
        .map_err(werr)?;
    w.finish().map_err(werr)?;
    store
        .persons()
        .record_view(
            scope,
            "settlement.export",
            format!("bill:{bill}"),
            format!("{}行", lines.len()),
        )
        .await?;
    Ok(lines.len())
}

/// Imports an assistive-device catalogue (分类代码, 辅具名称, 计量单位, 使用年限,
/// 补贴金额（元）, 适配对象, 区划代码, 起始月份, 终止月份): a row of the same code, region and
/// first month is replaced, so importing a file again changes nothing.
pub async fn import_devices(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    use anju_domain::programme::device::{COLUMNS, DeviceRow};
    let mut reader = anju_io::open(path, &opts.read)?;
    let by = map_columns(&reader.headers, &COLUMNS)?;
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let parsed = DeviceRow::from_cells(|h| {
            by.get(h)
                .and_then(|&i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        })
        .parse();
        match parsed {
            Ok(item) => rows.push((row.number, item)),
            Err(faults) => report
                .errors
                .extend(faults.into_iter().map(|(f, m)| RowError {
                    row: row.number,
                    column: f.to_owned(),
                    code: "value_invalid".into(),
                    message: m,
                })),
        }
    }
    let apply = apply_of(opts, !report.errors.is_empty());
    let result = store
        .devices()
        .import(scope, &label_of(path, opts), rows, apply)
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}
