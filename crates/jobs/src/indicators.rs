//! `anju import targets FILE`: plan targets per region, year and indicator (区划代码, 年度, 指标,
//! 目标值), a county's task and its towns' shares alike. The sheet is kept whole or not at
//! all: every bad row is reported by row and column, and then nothing changes.

use std::path::Path;

use anju_store::{Scope, Store, TargetLine};

use crate::import::{ImportError, ImportOptions, ImportReport, map_columns};

const COLUMNS: &[(&str, &[&str], bool)] = &[
    (
        "区划代码",
        &["区划", "行政区划代码", "地区代码", "单位代码"],
        true,
    ),
    ("年度", &["年份", "年"], true),
    ("指标", &["指标名称", "指标代码", "任务", "任务名称"], true),
    ("目标值", &["目标", "任务数", "目标任务", "任务目标"], true),
];

/// Imports the targets in `path`.
pub async fn import_targets(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut reader = anju_io::open(path, &opts.read)?;
    let at = map_columns(&reader.headers, COLUMNS)?;
    let mut lines = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let cell = |h: &str| {
            at.get(h)
                .and_then(|&i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        lines.push(TargetLine {
            row: row.number,
            region: cell("区划代码"),
            year: cell("年度"),
            indicator: cell("指标"),
            value: cell("目标值"),
        });
    }
    let label = opts.label.clone().unwrap_or_else(|| {
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    let result = store.indicators().set_targets(scope, lines, &label).await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}
