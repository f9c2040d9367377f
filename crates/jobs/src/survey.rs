//! `anju import survey FILE --year Y`: forms of the annual survey filled elsewhere, one row per
//! person, a column per question headed by its Chinese label (as the national system's
//! exports lay it out); columns that are no question (姓名, 序号…) are passed over. Every bad
//! row is reported by row and column; `--strict` keeps nothing unless every row is good.

use std::collections::BTreeMap;
use std::path::Path;

use anju_domain::needs::NeedItems;
use anju_domain::survey::Questions;
use anju_store::{Apply, Scope, Store};

use crate::import::{ImportError, ImportOptions, ImportReport};

/// The ID number's column, by any of the names sheets give it.
const ID_HEADERS: [&str; 4] = ["身份证号", "公民身份号码", "身份证号码", "证件号码"];

/// Imports the forms of survey year `year`.
pub async fn import(
    store: &Store,
    scope: &Scope,
    path: &Path,
    year: i32,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let needs = NeedItems::shipped()
        .map_err(|e| ImportError::Store(anju_store::StoreError::Internal(e)))?;
    let questions = Questions::shipped(&needs)
        .map_err(|e| ImportError::Store(anju_store::StoreError::Internal(e)))?;
    let mut report = ImportReport::default();
    let mut reader = anju_io::open(path, &opts.read)?;
    let id_at = reader
        .headers
        .iter()
        .position(|h| ID_HEADERS.contains(&h.trim()))
        .ok_or_else(|| ImportError::MissingColumns("身份证号".into()))?;
    let asked: Vec<(usize, String)> = reader
        .headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| questions.find(h).map(|q| (i, q.label.clone())))
        .collect();
    if asked.is_empty() {
        return Err(ImportError::MissingColumns(
            "调查题目（列名应为题目，如“住房类型”“需求”）".into(),
        ));
    }
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let cell = |i: usize| row.cells.get(i).cloned().unwrap_or_default();
        let answers: BTreeMap<String, String> = asked
            .iter()
            .map(|(i, label)| (label.clone(), cell(*i)))
            .collect();
        rows.push((row.number, cell(id_at), answers));
    }
    let label = opts.label.clone().unwrap_or_else(|| {
        path.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    });
    let result = store
        .survey()
        .import(scope, year, &label, rows, Apply::from(opts.strict))
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}
