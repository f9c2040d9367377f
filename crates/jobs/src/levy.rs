//! `anju import employers FILE --data-year N`, `anju import employer-staff FILE --data-year N`
//! and `anju import levy-params FILE`: the levy's sheets, each row's faults named by column,
//! kept with the year until a later import of it (a levy refuses to run while any remain).

use std::path::Path;

use anju_domain::levy::rows::{self, EMPLOYER_COLUMNS, PARAM_COLUMNS, STAFF_COLUMNS};
use anju_store::{Apply, Rejection, Scope, Store};

use crate::import::{ImportError, ImportOptions, ImportReport, map_columns};

fn apply_of(opts: &ImportOptions, faults: bool) -> Apply {
    match (opts.strict, faults) {
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

/// The rows that read, by row number, and the faults of those that did not.
type ReadSheet<T> = (Vec<(usize, T)>, Vec<Rejection>);

/// Reads every row of a sheet with `N` columns into `read`'s value, or its faults as
/// rejections of the row.
fn read_sheet<const N: usize, T>(
    path: &Path,
    opts: &ImportOptions,
    columns: &[(&'static str, &'static [&'static str], bool); N],
    read: impl Fn(&[String; N]) -> Result<T, Vec<rows::Fault>>,
    report: &mut ImportReport,
) -> Result<ReadSheet<T>, ImportError> {
    let mut reader = anju_io::open(path, &opts.read)?;
    let by = map_columns(&reader.headers, columns)?;
    let mut good = Vec::new();
    let mut faults = Vec::new();
    while let Some(row) = reader.next_row()? {
        report.rows += 1;
        let cells: [String; N] = columns.map(|(h, _, _)| {
            by.get(h)
                .and_then(|&i| row.cells.get(i))
                .cloned()
                .unwrap_or_default()
        });
        match read(&cells) {
            Ok(v) => good.push((row.number, v)),
            Err(fs) => faults.extend(
                fs.into_iter()
                    .map(|(c, m)| Rejection::new(row.number, c, "value_invalid", m)),
            ),
        }
    }
    Ok((good, faults))
}

/// Imports the employers' declarations of data year `year`.
pub async fn import_employers(
    store: &Store,
    scope: &Scope,
    path: &Path,
    year: i32,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let (good, faults) = read_sheet(path, opts, &EMPLOYER_COLUMNS, rows::employer, &mut report)?;
    let apply = apply_of(opts, !faults.is_empty());
    let result = store
        .levies()
        .import_employers(scope, year, &label_of(path, opts), good, faults, apply)
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}

/// Imports the disabled employees of data year `year`.
pub async fn import_staff(
    store: &Store,
    scope: &Scope,
    path: &Path,
    year: i32,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let (good, faults) = read_sheet(path, opts, &STAFF_COLUMNS, rows::staff, &mut report)?;
    let apply = apply_of(opts, !faults.is_empty());
    let result = store
        .levies()
        .import_staff(scope, year, &label_of(path, opts), good, faults, apply)
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}

/// Imports the parameters by region and declaration year.
pub async fn import_params(
    store: &Store,
    scope: &Scope,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let (good, faults) = read_sheet(path, opts, &PARAM_COLUMNS, rows::params, &mut report)?;
    let apply = apply_of(opts, !faults.is_empty());
    let result = store
        .levies()
        .import_params(scope, &label_of(path, opts), good, faults, apply)
        .await?;
    crate::import::absorb(&mut report, &result);
    crate::import::write_error_sheet(&mut report, path, opts)?;
    Ok(report)
}
