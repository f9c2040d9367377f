//! `anju import cases FILE`: existing cases brought in (身份证号, 服务项目, 受理日期, 状态,
//! 当前步骤, 结果), every row's faults named by column, the good rows written in one
//! transaction (none with `--strict` when any row is bad).

use std::path::Path;

use anju_domain::id_number::IdNumber;
use anju_domain::person::parse_date;
use anju_domain::programme::CaseState;
use anju_store::{Apply, CaseRow, Scope, Store};

use crate::import::{ImportError, ImportOptions, ImportReport, RowError};

/// The cases sheet's columns: header, synonyms, required.
pub const CASE_COLUMNS: [(&str, &[&str], bool); 7] = [
    (
        "身份证号",
        &["公民身份号码", "身份证号码", "证件号码"],
        true,
    ),
    ("服务项目", &["项目名称", "项目"], true),
    ("受理日期", &["申请日期", "开始日期"], true),
    ("状态", &["个案状态", "办理状态"], false),
    ("当前步骤", &["办理步骤", "步骤"], false),
    ("结果", &["服务结果", "结案结果", "原因"], false),
    ("服务机构", &["服务机构统一社会信用代码", "机构代码"], false),
];

/// Imports a cases sheet as the holder of `scope`.
pub async fn import_cases(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut reader = anju_io::open(path, &opts.read)?;
    let by = crate::import::map_columns(&reader.headers, &CASE_COLUMNS)?;
    let mut report = ImportReport::default();
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let n = row.number;
        let cell = |h: &str| {
            by.get(h)
                .and_then(|&i| row.cells.get(i))
                .map(|c| c.trim().to_owned())
                .unwrap_or_default()
        };
        let mut fault = |column: &str, code: &str, message: String| {
            report.errors.push(RowError {
                row: n,
                column: column.to_owned(),
                code: code.to_owned(),
                message,
            });
        };
        for (h, i) in &by {
            if row.too_long.contains(i) {
                fault(h, "cell_too_long", crate::import::too_long_message(h));
            }
        }
        let id = match IdNumber::parse_with_legacy(&cell("身份证号")) {
            Ok((id, _)) => Some(id),
            Err(e) => {
                fault(
                    "身份证号",
                    e.code(),
                    format!("{e}（“{}”）", cell("身份证号")),
                );
                None
            }
        };
        let programme = cell("服务项目");
        if programme.is_empty() {
            fault("服务项目", "required", "服务项目不能为空".into());
        }
        let opened = parse_date(&cell("受理日期"));
        if opened.is_none() {
            fault(
                "受理日期",
                "date_invalid",
                format!(
                    "受理日期“{}”不是有效的日期，应如2025-09-01",
                    cell("受理日期")
                ),
            );
        }
        let state = match cell("状态").as_str() {
            "" => Some(CaseState::Open),
            s => CaseState::parse(s).or(match s {
                "结案" | "已办结" | "办结" => Some(CaseState::Closed),
                "不予受理" | "退回" => Some(CaseState::Refused),
                _ => None,
            }),
        };
        if state.is_none() {
            fault(
                "状态",
                "value_invalid",
                format!("状态“{}”应为办理中、已结案或不予办理", cell("状态")),
            );
        }
        let provider = match cell("服务机构").as_str() {
            "" => Some(None),
            c => match anju_domain::credit_code::CreditCode::parse(c) {
                Ok(code) => Some(Some(code)),
                Err(e) => {
                    fault("服务机构", e.code(), e.to_string());
                    None
                }
            },
        };
        if let (Some(id_number), Some(opened_on), Some(state), Some(provider), false) =
            (id, opened, state, provider, programme.is_empty())
            && !report.errors.iter().any(|e| e.row == n)
        {
            rows.push(CaseRow {
                row: n,
                id_number,
                programme,
                opened_on,
                state,
                step: Some(cell("当前步骤")).filter(|s| !s.is_empty()),
                outcome: Some(cell("结果")).filter(|s| !s.is_empty()),
                provider,
            });
        }
    }
    let parse_failed = !report.errors.is_empty();
    let apply = match (opts.strict, parse_failed) {
        (false, _) => Apply::Always,
        (true, false) => Apply::IfClean,
        (true, true) => Apply::Never,
    };
    let label = opts.label.clone().unwrap_or_else(|| {
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    let result = store.cases().import(scope, &label, rows, apply).await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}
