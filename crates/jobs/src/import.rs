//! Importing a sheet of people's files (`anju import persons`, the import page).
//!
//! The file is read as a stream; every row is validated by the domain, checked against the
//! rows before it (a repeated ID number is an error on the later row) and applied in batches
//! inside one transaction, committed only at the end: an interrupted import leaves nothing,
//! and `strict` rolls back when any row is bad. Every rejected row is reported with its row
//! number, column, a stable code and a Chinese reason, and copied with an added 错误原因
//! column into an XLSX the clerk can correct and import again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use anju_domain::RegionTable;
use anju_domain::id_number::IdNumber;
use anju_domain::person::{Field, FieldError, PersonInput, validate};
use anju_io::{HeaderMap, ReadError, ReadOptions, SheetReader, SheetWriter, map_headers};
use anju_store::{RowOutcome, Scope, Store, StoreError};
use serde::Serialize;

/// Rows applied per batch.
const BATCH: usize = 2000;

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub read: ReadOptions,
    pub strict: bool,
    /// Where to write the rejected rows (XLSX); `None`: not written.
    pub errors_out: Option<PathBuf>,
    /// The file's name for the audit log, when the path is not it (an upload).
    pub label: Option<String>,
}

/// One fault of one row, as the report and the JSON summary show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub errors: Vec<RowError>,
    /// Whether anything was written (false when `strict` refused the file).
    pub committed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_file: Option<PathBuf>,
}

impl ImportReport {
    /// The Chinese summary the CLI prints without `--json`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "共{}行：新增{}，更新{}，未变{}，拒绝{}。",
            self.rows, self.inserted, self.updated, self.unchanged, self.rejected
        );
        if !self.committed {
            s.push_str("严格模式下有错误行，未写入任何数据。");
        }
        s
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("文件缺少必需的列：{0}")]
    MissingColumns(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("无法写出错误行文件：{0}")]
    ErrorsFile(String),
}

/// How far an import has come, for progress bars and pages.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Progress {
    pub rows: u64,
    /// Data rows the sheet declares, when known (XLSX, XLS).
    pub total: Option<u64>,
}

struct ErrorSheet {
    path: PathBuf,
    headers: Vec<String>,
    writer: Option<SheetWriter>,
}

impl ErrorSheet {
    fn write(&mut self, cells: &[String], reasons: &str) -> Result<(), ImportError> {
        if self.writer.is_none() {
            let mut headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
            headers.push("错误原因");
            self.writer = Some(
                SheetWriter::create(&self.path, &headers)
                    .map_err(|e| ImportError::ErrorsFile(e.to_string()))?,
            );
        }
        let mut row: Vec<&str> = cells.iter().map(String::as_str).collect();
        row.resize(self.headers.len(), "");
        row.push(reasons);
        if let Some(w) = &mut self.writer {
            w.write_row(&row)
                .map_err(|e| ImportError::ErrorsFile(e.to_string()))?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Option<PathBuf>, ImportError> {
        match self.writer {
            Some(w) => {
                w.finish()
                    .map_err(|e| ImportError::ErrorsFile(e.to_string()))?;
                Ok(Some(self.path))
            }
            None => Ok(None),
        }
    }
}

struct Run {
    report: ImportReport,
    errors: Option<ErrorSheet>,
}

impl Run {
    fn reject(
        &mut self,
        row: usize,
        cells: &[String],
        faults: &[FieldError],
    ) -> Result<(), ImportError> {
        self.report.rejected += 1;
        for f in faults {
            self.report.errors.push(RowError {
                row,
                column: f.field.header().to_owned(),
                code: f.code.to_owned(),
                message: f.message.clone(),
            });
        }
        if let Some(sheet) = &mut self.errors {
            let reasons = faults
                .iter()
                .map(|f| format!("{}：{}", f.field.header(), f.message))
                .collect::<Vec<_>>()
                .join("；");
            sheet.write(cells, &reasons)?;
        }
        Ok(())
    }
}

fn input_of(map: &HeaderMap, cells: &[String]) -> PersonInput {
    let mut input = PersonInput::default();
    for (i, f) in map.columns.iter().enumerate() {
        if let (Some(f), Some(v)) = (f, cells.get(i)) {
            input.set(*f, v.as_str());
        }
    }
    input
}

/// The key a row is matched on, for duplicates inside the file.
fn id_key(input: &PersonInput) -> Option<String> {
    IdNumber::parse(input.get(Field::IdNumber))
        .ok()
        .map(|id| id.to_string())
}

/// Imports the sheet at `path` as the holder of `scope`.
pub async fn import_persons(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let mut reader: SheetReader = anju_io::open(path, &opts.read)?;
    let map = map_headers(&reader.headers);
    if !map.missing_required.is_empty() {
        let names: Vec<&str> = map.missing_required.iter().map(|f| f.header()).collect();
        return Err(ImportError::MissingColumns(names.join("、")));
    }
    let label = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let regions = RegionTable::jiangsu();
    let mut run = Run {
        report: ImportReport::default(),
        errors: opts.errors_out.as_ref().map(|p| ErrorSheet {
            path: p.clone(),
            headers: reader.headers.clone(),
            writer: None,
        }),
    };
    let total = reader.rows_hint;
    let mut batch_import = store.persons().begin_import(scope, &label).await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut raw: HashMap<usize, Vec<String>> = HashMap::new();
    loop {
        let next = reader.next_row();
        let row = match next {
            Ok(Some(r)) => Some(r),
            Ok(None) => None,
            Err(e) => {
                batch_import.abandon(&e.to_string()).await?;
                return Err(e.into());
            }
        };
        let end = row.is_none();
        if let Some(row) = row {
            run.report.rows += 1;
            let input = input_of(&map, &row.cells);
            match validate(&input, regions) {
                Err(faults) => run.reject(row.number, &row.cells, &faults)?,
                Ok(person) => {
                    let key = person.id_number.to_string();
                    if seen.insert(key) {
                        raw.insert(row.number, row.cells);
                        batch.push((row.number, person));
                    } else {
                        let fault = FieldError::new(
                            Field::IdNumber,
                            "duplicate_in_file",
                            "身份证号在本文件中重复出现（以第一次出现的行为准）",
                        );
                        run.reject(row.number, &row.cells, &[fault])?;
                    }
                }
            }
            // Invalid rows are remembered too, so that a later valid row with the same ID
            // still counts as a repeat of a row the clerk must fix.
            if let Some(k) = id_key(&input) {
                seen.insert(k);
            }
        }
        if batch.len() >= BATCH || (end && !batch.is_empty()) {
            let outcomes = batch_import.apply(std::mem::take(&mut batch)).await?;
            for (n, o) in outcomes {
                let cells = raw.remove(&n).unwrap_or_default();
                if let RowOutcome::Rejected(fault) = o {
                    run.reject(n, &cells, &[fault])?;
                }
            }
            raw.clear();
            progress(Progress {
                rows: run.report.rows,
                total,
            });
        }
        if end {
            break;
        }
    }
    run.report.errors.sort_by_key(|e| e.row);
    let counts = batch_import.counts();
    if opts.strict && run.report.rejected > 0 {
        batch_import.abandon("严格模式下有错误行，未写入").await?;
        run.report.committed = false;
    } else {
        batch_import
            .commit(run.report.rows, run.report.rejected)
            .await?;
        run.report.inserted = counts.inserted;
        run.report.updated = counts.updated;
        run.report.unchanged = counts.unchanged;
        run.report.committed = true;
    }
    if let Some(sheet) = run.errors.take() {
        run.report.errors_file = sheet.finish()?;
    }
    progress(Progress {
        rows: run.report.rows,
        total,
    });
    Ok(run.report)
}
