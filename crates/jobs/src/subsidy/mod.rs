//! Importing the subsidies' sheets: life events, assistance statuses, grants, standards and
//! 低保 standards (`anju import events|assistance|grants|standards|dibao`, and the pages).
//!
//! Each sheet is read like the person sheet (CSV in any encoding, XLSX, XLS; Chinese headers
//! and their synonyms), every row is parsed into the domain's types with its faults named by
//! row and column, and the good rows go to the store in one transaction. The report has the
//! person import's shape, and the rejected rows are written out with an 错误原因 column.

mod sheets;

use std::collections::HashMap;
use std::path::Path;

use anju_domain::money::Fen;
use anju_domain::month::Month;
use anju_store::{Apply, Rejection, Scope, Store, TableResult};

use crate::import::{
    ErrorSheet, ImportError, ImportOptions, ImportReport, RowError, too_long_message,
};
pub use sheets::Table;
use sheets::{Cells, Parsed};

/// Imports a subsidy sheet into `table` as the holder of `scope`. `replace` (standards and
/// 低保 standards only) replaces every existing row with the file's.
pub async fn import_table(
    store: &Store,
    scope: &Scope,
    table: Table,
    path: &Path,
    opts: &ImportOptions,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    run(store, scope, table, path, opts, Target::Tables { replace }).await
}

/// Applies the bank's return (账号, 金额, 状态 成功/失败, 失败原因) to the approved roll of
/// `month` for `region` (`anju roll reconcile`).
pub async fn reconcile_file(
    store: &Store,
    scope: &Scope,
    month: Month,
    region: Option<&str>,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    run(
        store,
        scope,
        Table::BankReturn,
        path,
        opts,
        Target::Roll { month, region },
    )
    .await
}

/// Where a sheet's rows go.
enum Target<'a> {
    Tables {
        replace: bool,
    },
    Roll {
        month: Month,
        region: Option<&'a str>,
    },
}

/// Rows of records given as JSON objects (the API), keyed by the sheet's headers.
pub async fn import_records(
    store: &Store,
    scope: &Scope,
    table: Table,
    records: &[serde_json::Map<String, serde_json::Value>],
    strict: bool,
    replace: bool,
) -> Result<ImportReport, ImportError> {
    let mut headers: Vec<String> = Vec::new();
    for r in records {
        for k in r.keys() {
            if !headers.contains(k) {
                headers.push(k.clone());
            }
        }
    }
    let rows: Vec<anju_io::Row> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            anju_io::Row::new(
                i + 1,
                headers
                    .iter()
                    .map(|h| match r.get(h) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(serde_json::Value::Null) | None => String::new(),
                        Some(v) => v.to_string(),
                    })
                    .collect(),
            )
        })
        .collect();
    let opts = ImportOptions {
        strict,
        label: Some("接口提交".into()),
        ..ImportOptions::default()
    };
    let source = Source::Records(headers, rows.into_iter());
    run_source(
        store,
        scope,
        table,
        source,
        &opts,
        Target::Tables { replace },
    )
    .await
}

/// Where rows come from: a sheet (read again for the error sheet) or records in memory.
enum Source<'a> {
    Sheet(&'a Path, anju_io::SheetReader),
    Records(Vec<String>, std::vec::IntoIter<anju_io::Row>),
}

impl Source<'_> {
    fn headers(&self) -> &[String] {
        match self {
            Source::Sheet(_, r) => &r.headers,
            Source::Records(h, _) => h,
        }
    }

    fn next_row(&mut self) -> Result<Option<anju_io::Row>, anju_io::ReadError> {
        match self {
            Source::Sheet(_, r) => r.next_row(),
            Source::Records(_, rows) => Ok(rows.next()),
        }
    }
}

async fn run(
    store: &Store,
    scope: &Scope,
    table: Table,
    path: &Path,
    opts: &ImportOptions,
    target: Target<'_>,
) -> Result<ImportReport, ImportError> {
    let reader = anju_io::open(path, &opts.read)?;
    run_source(
        store,
        scope,
        table,
        Source::Sheet(path, reader),
        opts,
        target,
    )
    .await
}

async fn run_source(
    store: &Store,
    scope: &Scope,
    table: Table,
    mut reader: Source<'_>,
    opts: &ImportOptions,
    target: Target<'_>,
) -> Result<ImportReport, ImportError> {
    let replace = matches!(target, Target::Tables { replace: true });
    let by_header = table
        .map_headers(reader.headers())
        .map_err(|missing| ImportError::MissingColumns(missing.join("、")))?;
    let label = opts.label.clone().unwrap_or_else(|| match &reader {
        Source::Sheet(path, _) => path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        Source::Records(..) => String::new(),
    });
    let mut report = ImportReport::default();
    let mut parsed = Parsed::new(table);
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let mut c = Cells {
            row: row.number,
            by_header: &by_header,
            cells: &row.cells,
            faults: Vec::new(),
        };
        let too_long: Vec<&str> = by_header
            .iter()
            .filter(|(_, i)| row.too_long.contains(i))
            .map(|(h, _)| *h)
            .collect();
        if too_long.is_empty() {
            parsed.push(&mut c);
        } else {
            for h in too_long {
                c.fault(h, "cell_too_long", too_long_message(h));
            }
        }
        let faults = c.faults;
        report.errors.extend(faults);
    }
    let parse_failed = !report.errors.is_empty();
    let apply = match (opts.strict, parse_failed) {
        (false, _) => Apply::Always,
        (true, false) => Apply::IfClean,
        // The store still checks the good rows, so that every fault is reported at once.
        (true, true) => Apply::Never,
    };
    let s = store.subsidies();
    let result: TableResult = match parsed {
        Parsed::Events(v) => s.import_events(scope, &label, v, apply).await?,
        Parsed::Assistance(v) => s.import_assistance(scope, &label, v, apply).await?,
        Parsed::Grants(v) => s.import_grants(scope, &label, v, apply).await?,
        Parsed::Standards(v) => s.import_standards(scope, &label, v, replace, apply).await?,
        Parsed::Dibao(v) => s.import_dibao(scope, &label, v, replace, apply).await?,
        Parsed::Calendar(v) => {
            store
                .certificates()
                .set_calendar_days(scope, &label, v, apply)
                .await?
        }
        Parsed::Returns(v) => match target {
            Target::Roll { month, region } => {
                s.reconcile_roll(scope, month, region, &label, v, apply)
                    .await?
            }
            Target::Tables { .. } => TableResult::default(),
        },
    };
    report
        .errors
        .extend(result.rejected.iter().map(rejection_error));
    report.errors.sort_by_key(|e| e.row);
    report.inserted = result.inserted;
    report.updated = result.updated;
    report.unchanged = result.unchanged;
    report.committed = result.committed;
    let mut bad_rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
    bad_rows.dedup();
    report.rejected = bad_rows.len() as u64;
    if let (Some(out), Source::Sheet(path, _)) = (&opts.errors_out, &reader)
        && !bad_rows.is_empty()
    {
        // The file is read a second time for the rows to copy, rather than held in memory.
        let mut reasons: HashMap<usize, Vec<String>> = HashMap::new();
        for e in &report.errors {
            reasons
                .entry(e.row)
                .or_default()
                .push(format!("{}：{}", e.column, e.message));
        }
        let mut again = anju_io::open(path, &opts.read)?;
        let mut sheet = ErrorSheet::new(out.clone(), again.headers.clone());
        while let Some(row) = again.next_row()? {
            if let Some(r) = reasons.get(&row.number) {
                sheet.write(&row.cells, &r.join("；"))?;
            }
        }
        report.errors_file = sheet.finish()?;
    }
    Ok(report)
}

fn rejection_error(r: &Rejection) -> RowError {
    RowError {
        row: r.row,
        column: r.column.clone(),
        code: r.code.clone(),
        message: r.message.clone(),
    }
}

/// The headers of the bank payment file.
pub const BANK_HEADERS: [&str; 10] = [
    "序号",
    "镇（街道）",
    "姓名",
    "身份证号",
    "银行账号",
    "开户银行",
    "补贴类型",
    "所属月份",
    "金额（元）",
    "备注",
];

/// Writes the bank payment file of an approved roll: one row per line (full account number),
/// a 小计 row after each town and a 合计 row at the end. Returns the number of lines.
pub async fn export_roll(
    store: &Store,
    scope: &Scope,
    month: Month,
    region: Option<&str>,
    out: &Path,
) -> Result<usize, crate::ExportError> {
    let (_, lines) = store.subsidies().export_roll(scope, month, region).await?;
    let write_err = |e: anju_io::WriteError| crate::ExportError::Write(e.to_string());
    let mut w = anju_io::SheetWriter::create(out, &BANK_HEADERS).map_err(write_err)?;
    let mut total = Fen::ZERO;
    let mut town_total = Fen::ZERO;
    let mut town_count = 0usize;
    let flush = |w: &mut anju_io::SheetWriter, name: &str, n: usize, sum: Fen| {
        w.write_row(&[
            "",
            name,
            "小计",
            "",
            "",
            "",
            "",
            "",
            &sum.yuan(),
            &format!("{n}人次"),
        ])
    };
    for (i, l) in lines.iter().enumerate() {
        let n = (i + 1).to_string();
        let amount = l.amount.yuan();
        let cells: [&str; 10] = [
            &n,
            &l.town_name,
            &l.name,
            &l.id_number,
            &l.bank_account,
            &l.bank_name,
            l.kind.label(),
            &l.month,
            &amount,
            if l.arrears { "补发" } else { "" },
        ];
        w.write_row(&cells).map_err(write_err)?;
        total += l.amount;
        town_total += l.amount;
        town_count += 1;
        let last_of_town = lines.get(i + 1).is_none_or(|n| n.town_code != l.town_code);
        if last_of_town {
            flush(&mut w, &l.town_name, town_count, town_total).map_err(write_err)?;
            town_total = Fen::ZERO;
            town_count = 0;
        }
    }
    w.write_row(&[
        "",
        "合计",
        "",
        "",
        "",
        "",
        "",
        "",
        &total.yuan(),
        &format!("{}人次", lines.len()),
    ])
    .map_err(write_err)?;
    w.finish().map_err(write_err)?;
    Ok(lines.len())
}
