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
    /// The server's count of requests in flight: while it is above zero, the import gives
    /// way after each batch for as long as the batch took, so that people working in the
    /// pages keep half the machine (a page import; the command line runs at full speed).
    pub pace: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
    /// Take the file's values even where they were changed by hand since they were last
    /// imported (otherwise such fields are kept and reported as conflicts).
    pub overwrite_conflicts: bool,
    /// Do everything but keep nothing: the report says what the import would do.
    pub dry_run: bool,
}

/// One fault of one row, as the report and the JSON summary show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
}

/// A row that would update a file, and the columns it would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowChange {
    pub row: usize,
    pub columns: Vec<&'static str>,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub errors: Vec<RowError>,
    /// Rows accepted with warnings: imported, but something should be completed (a 多重
    /// disability without its components). Listed like errors, and copied into the error
    /// sheet with the reason.
    pub warned: u64,
    pub warnings: Vec<RowError>,
    /// Whether anything was written (false when `strict` refused the file, or a dry run).
    pub committed: bool,
    /// A trial run: nothing was kept.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Fields the file would change that were changed by hand since they were last imported:
    /// left as stored (unless `overwrite_conflicts`), each with who changed it and when.
    pub conflicts: Vec<anju_store::Conflict>,
    /// For a dry run: each row that would be updated, with the columns that would change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<RowChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub errors_file: Option<PathBuf>,
}

/// Rejected rows counted by reason: the column, the stable code, how many rows, and one
/// row's message as an example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    pub column: String,
    pub code: String,
    pub rows: usize,
    pub example: String,
}

/// How an import ended, for the banner that tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every row went in.
    Complete,
    /// Some rows went in, some were refused.
    Partial,
    /// No row went in: all were refused (or strict mode refused the file).
    Refused,
    /// A dry run: nothing was kept.
    Preview,
}

impl ImportReport {
    /// Which of complete, partial, refused or preview this import was.
    pub fn outcome(&self) -> Outcome {
        if self.dry_run {
            Outcome::Preview
        } else if !self.committed || (self.rejected > 0 && self.rejected >= self.rows) {
            Outcome::Refused
        } else if self.rejected > 0 {
            Outcome::Partial
        } else {
            Outcome::Complete
        }
    }

    /// The rejected rows counted by reason, most frequent first.
    pub fn reasons(&self) -> Vec<ReasonCount> {
        let mut by: Vec<ReasonCount> = Vec::new();
        let mut seen: std::collections::HashSet<(usize, &str, &str)> = Default::default();
        for e in &self.errors {
            let first = seen.insert((e.row, e.column.as_str(), e.code.as_str()));
            match by
                .iter_mut()
                .find(|r| r.column == e.column && r.code == e.code)
            {
                Some(r) => r.rows += usize::from(first),
                None => by.push(ReasonCount {
                    column: e.column.clone(),
                    code: e.code.clone(),
                    rows: 1,
                    example: e.message.clone(),
                }),
            }
        }
        by.sort_by_key(|r| std::cmp::Reverse(r.rows));
        by
    }

    /// The Chinese summary the CLI prints without `--json`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "共{}行：新增{}，更新{}，未变{}，拒绝{}。",
            self.rows, self.inserted, self.updated, self.unchanged, self.rejected
        );
        if self.warned > 0 {
            s.push_str(&format!("{}行已导入但需补录信息。", self.warned));
        }
        if !self.conflicts.is_empty() {
            s.push_str(&format!(
                "{}处与手工修改冲突，保留了现有值。",
                self.conflicts.len()
            ));
        }
        if self.dry_run {
            s.push_str("这是试导入，未写入任何数据。");
        } else if !self.committed {
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
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub rows: u64,
    /// Data rows the sheet declares, when known (XLSX, XLS).
    pub total: Option<u64>,
}

pub(crate) struct ErrorSheet {
    path: PathBuf,
    headers: Vec<String>,
    writer: Option<SheetWriter>,
}

impl ErrorSheet {
    pub(crate) fn new(path: PathBuf, headers: Vec<String>) -> Self {
        ErrorSheet {
            path,
            headers,
            writer: None,
        }
    }

    pub(crate) fn write(&mut self, cells: &[String], reasons: &str) -> Result<(), ImportError> {
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

    pub(crate) fn finish(self) -> Result<Option<PathBuf>, ImportError> {
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

    /// A row accepted with warnings.
    fn warn(
        &mut self,
        row: usize,
        cells: &[String],
        warnings: &[FieldError],
    ) -> Result<(), ImportError> {
        self.report.warned += 1;
        for f in warnings {
            self.report.warnings.push(RowError {
                row,
                column: f.field.header().to_owned(),
                code: f.code.to_owned(),
                message: f.message.clone(),
            });
        }
        if let Some(sheet) = &mut self.errors {
            let reasons = warnings
                .iter()
                .map(|f| format!("（已导入）{}：{}", f.field.header(), f.message))
                .collect::<Vec<_>>()
                .join("；");
            sheet.write(cells, &reasons)?;
        }
        Ok(())
    }
}

/// The fault of a cell longer than a spreadsheet may hold.
pub(crate) fn too_long_message(column: &str) -> String {
    format!(
        "{column}的内容超过{}个字符（Excel 单元格的上限），请删减后重新导入",
        anju_io::read::MAX_CELL_CHARS
    )
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
fn id_key(input: &PersonInput) -> Option<u64> {
    IdNumber::parse(input.get(Field::IdNumber))
        .ok()
        .map(|id| id.key())
}

/// One row read and checked: the person, or why the row is refused.
struct Checked {
    number: usize,
    cells: Vec<String>,
    result: Result<anju_domain::person::Person, Vec<FieldError>>,
}

/// Reads and validates every row, in batches, on the calling thread; a repeated ID number is
/// refused on the later row. Stops early when the receiver is gone.
fn check_rows(
    mut reader: SheetReader,
    map: &HeaderMap,
    regions: &RegionTable,
    tx: &tokio::sync::mpsc::Sender<Result<Vec<Checked>, ReadError>>,
) {
    let mut seen: HashSet<u64> = HashSet::new();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let row = match reader.next_row() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        let input = input_of(map, &row.cells);
        let too_long: Vec<FieldError> = row
            .too_long
            .iter()
            .filter_map(|&i| map.columns.get(i).copied().flatten())
            .map(|f| FieldError::new(f, "cell_too_long", too_long_message(f.header())))
            .collect();
        let result = if too_long.is_empty() {
            validate(&input, regions)
        } else {
            Err(too_long)
        };
        let result = result.and_then(|person| {
            if seen.insert(person.id_number.key()) {
                Ok(person)
            } else {
                Err(vec![FieldError::new(
                    Field::IdNumber,
                    "duplicate_in_file",
                    "身份证号在本文件中重复出现（以第一次出现的行为准）",
                )])
            }
        });
        // Invalid rows are remembered too, so that a later valid row with the same ID
        // still counts as a repeat of a row the clerk must fix.
        if result.is_err()
            && let Some(k) = id_key(&input)
        {
            seen.insert(k);
        }
        batch.push(Checked {
            number: row.number,
            cells: row.cells,
            result,
        });
        if batch.len() >= BATCH && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
            return;
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Ok(batch));
    }
}

/// Imports the sheet at `path` as the holder of `scope`.
pub async fn import_persons(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let reader: SheetReader = anju_io::open(path, &opts.read)?;
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
    // Fields the sheet has no column for are left as stored; the ID number carries the sex
    // and the birth date.
    let mut carried: Vec<Field> = map.columns.iter().flatten().copied().collect();
    carried.extend([Field::IdNumber, Field::Sex, Field::BirthDate]);
    batch_import.set_rules(anju_store::ImportRules {
        overwrite_conflicts: opts.overwrite_conflicts,
        carried: Some(carried),
    });
    // Reading and checking run on their own thread, a batch ahead of the database, so that
    // on two cores validation and the writes overlap.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<Checked>, ReadError>>(2);
    let checker = std::thread::spawn(move || check_rows(reader, &map, regions, &tx));
    while let Some(next) = rx.recv().await {
        let batch_started = std::time::Instant::now();
        let checked = match next {
            Ok(c) => c,
            Err(e) => {
                batch_import.abandon(&e.to_string()).await?;
                return Err(e.into());
            }
        };
        let mut batch = Vec::with_capacity(checked.len());
        let mut raw: HashMap<usize, Vec<String>> = HashMap::new();
        let mut warned: HashMap<usize, Vec<FieldError>> = HashMap::new();
        for c in checked {
            run.report.rows += 1;
            match c.result {
                Err(faults) => run.reject(c.number, &c.cells, faults.as_slice())?,
                Ok(person) => {
                    let w = person.warnings();
                    if !w.is_empty() {
                        warned.insert(c.number, w);
                    }
                    raw.insert(c.number, c.cells);
                    batch.push((c.number, person));
                }
            }
        }
        if !batch.is_empty() {
            for (n, o) in batch_import.apply(batch).await? {
                if !matches!(o, RowOutcome::Rejected(_))
                    && let Some(w) = warned.remove(&n)
                {
                    run.warn(n, raw.get(&n).map_or(&[][..], Vec::as_slice), &w)?;
                }
                match o {
                    RowOutcome::Rejected(fault) => {
                        let cells = raw.remove(&n).unwrap_or_default();
                        run.reject(n, &cells, &[fault])?;
                    }
                    RowOutcome::Updated(fields) if opts.dry_run => {
                        run.report.changes.push(RowChange {
                            row: n,
                            columns: fields.iter().map(|f| f.header()).collect(),
                        });
                    }
                    _ => {}
                }
            }
            run.report.conflicts.extend(batch_import.take_conflicts());
        }
        progress(Progress {
            rows: run.report.rows,
            total,
        });
        if opts
            .pace
            .as_ref()
            .is_some_and(|p| p.load(std::sync::atomic::Ordering::Relaxed) > 0)
        {
            let took = batch_started.elapsed();
            tokio::time::sleep(took.min(std::time::Duration::from_millis(500))).await;
        }
    }
    let _ = checker.join();
    run.report.errors.sort_by_key(|e| e.row);
    run.report.warnings.sort_by_key(|e| e.row);
    let counts = batch_import.counts();
    run.report.changes.sort_by_key(|c| c.row);
    run.report.conflicts.sort_by_key(|c| c.row);
    if opts.dry_run {
        batch_import
            .discard_preview(run.report.rows, run.report.rejected)
            .await?;
        run.report.inserted = counts.inserted;
        run.report.updated = counts.updated;
        run.report.unchanged = counts.unchanged;
        run.report.dry_run = true;
    } else if opts.strict && run.report.rejected > 0 {
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

/// Which sheet column holds each of `columns` (header, synonyms, required), by header; the
/// required ones missing are refused together.
pub(crate) fn map_columns(
    headers: &[String],
    columns: &[(&'static str, &[&str], bool)],
) -> Result<std::collections::HashMap<&'static str, usize>, ImportError> {
    use anju_io::headers::normalise;
    let mut by = std::collections::HashMap::new();
    let mut missing = Vec::new();
    for &(header, synonyms, required) in columns {
        let found = headers.iter().position(|h| {
            let h = normalise(h);
            h == normalise(header) || synonyms.iter().any(|s| normalise(s) == h)
        });
        match found {
            Some(i) => {
                by.insert(header, i);
            }
            None if required => missing.push(header),
            None => {}
        }
    }
    if missing.is_empty() {
        Ok(by)
    } else {
        Err(ImportError::MissingColumns(missing.join("、")))
    }
}

/// Adds a store's verdict to a sheet's report: its refusals as row errors, its counts, and
/// the rejected rows counted once each.
pub(crate) fn absorb(report: &mut ImportReport, result: &anju_store::TableResult) {
    report
        .errors
        .extend(result.rejected.iter().map(|r| RowError {
            row: r.row,
            column: r.column.clone(),
            code: r.code.clone(),
            message: r.message.clone(),
        }));
    report.errors.sort_by_key(|e| e.row);
    report.inserted = result.inserted;
    report.updated = result.updated;
    report.unchanged = result.unchanged;
    report.committed = result.committed;
    let mut bad_rows: Vec<usize> = report.errors.iter().map(|e| e.row).collect();
    bad_rows.dedup();
    report.rejected = bad_rows.len() as u64;
}

/// Writes the rows the report rejects, read again from the sheet, with their reasons (when
/// the options ask for an error sheet).
pub(crate) fn write_error_sheet(
    report: &mut ImportReport,
    path: &std::path::Path,
    opts: &ImportOptions,
) -> Result<(), ImportError> {
    let Some(out) = &opts.errors_out else {
        return Ok(());
    };
    if report.errors.is_empty() {
        return Ok(());
    }
    let mut reasons: std::collections::HashMap<usize, Vec<String>> = Default::default();
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
    Ok(())
}
