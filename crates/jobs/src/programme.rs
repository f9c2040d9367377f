//! `anju import programmes FILE`: the programme sheet (one row per programme and price, see
//! `anju_domain::programme::COLUMNS`) read like every other sheet, each row's faults named by
//! column, rows of one programme gathered, and the good programmes stored as new versions in
//! one transaction. A programme with any bad row is left as it was, all its rows reported.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anju_domain::programme::{COLUMNS, ProgrammeRow, gather};
use anju_store::{Scope, Store};

use crate::import::{ErrorSheet, ImportError, ImportOptions, ImportReport, RowError};

/// Imports a programme sheet as the holder of `scope` (an administrator or a city user).
pub async fn import_programmes(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    if !scope.role().sets_policy() {
        return Err(anju_store::StoreError::Forbidden.into());
    }
    let mut reader = anju_io::open(path, &opts.read)?;
    let by = crate::import::map_columns(&reader.headers, &COLUMNS)?;
    let mut report = ImportReport::default();
    let mut parsed = Vec::new();
    // The name each row gives, so that a programme with a bad row is held back whole.
    let mut names: HashMap<usize, String> = HashMap::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let cell = |h: &'static str| {
            by.get(h)
                .and_then(|&i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        };
        let too_long: Vec<&str> = by
            .iter()
            .filter(|(_, i)| row.too_long.contains(i))
            .map(|(h, _)| *h)
            .collect();
        for h in &too_long {
            report.errors.push(RowError {
                row: row.number,
                column: (*h).to_owned(),
                code: "cell_too_long".into(),
                message: crate::import::too_long_message(h),
            });
        }
        let input = ProgrammeRow::from_cells(cell);
        names.insert(row.number, input.name.trim().to_owned());
        if !too_long.is_empty() {
            continue;
        }
        match input.parse() {
            Ok(p) => parsed.push((row.number, p)),
            Err(faults) => report.errors.extend(faults.into_iter().map(|e| RowError {
                row: row.number,
                column: e.column.to_owned(),
                code: "value_invalid".into(),
                message: e.message,
            })),
        }
    }
    let (programmes, faults) = gather(parsed);
    report
        .errors
        .extend(faults.into_iter().map(|(row, e)| RowError {
            row,
            column: e.column.to_owned(),
            code: "programme_conflict".into(),
            message: e.message,
        }));
    let held: HashSet<&str> = report
        .errors
        .iter()
        .filter_map(|e| names.get(&e.row).map(String::as_str))
        .collect();
    // The good rows of a programme that also has bad rows are held back with it.
    let mut held_rows = Vec::new();
    for (row, name) in &names {
        if held.contains(name.as_str()) && !report.errors.iter().any(|e| e.row == *row) {
            held_rows.push(RowError {
                row: *row,
                column: "项目名称".into(),
                code: "programme_held".into(),
                message: format!("“{name}”的其他行有错误，整个项目未导入"),
            });
        }
    }
    report.errors.extend(held_rows);
    report.errors.sort_by_key(|e| e.row);
    let good: Vec<_> = programmes
        .into_iter()
        .filter(|p| !held.contains(p.name.as_str()))
        .collect();
    let label = opts.label.clone().unwrap_or_else(|| {
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    let refuse = opts.strict && !report.errors.is_empty();
    if !good.is_empty() && !refuse && !opts.dry_run {
        let counts = store.programmes().import(scope, &label, &good).await?;
        report.inserted = counts.inserted;
        report.updated = counts.updated;
        report.unchanged = counts.unchanged;
        report.committed = true;
    }
    report.dry_run = opts.dry_run;
    let mut bad_rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
    bad_rows.dedup();
    report.rejected = bad_rows.len() as u64;
    if let Some(out) = &opts.errors_out
        && !bad_rows.is_empty()
    {
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
