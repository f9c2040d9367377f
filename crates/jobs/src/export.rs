//! Exporting a filtered list of files to XLSX or CSV, in the canonical Chinese headers the
//! import reads back. Roles that may not see identifiers whole get them masked (such a file
//! cannot be imported back, by design), and the age in place of the birth date, which beside
//! a masked ID and the household code would give the ID back. Every export leaves an audit
//! entry.

use std::path::Path;

use anju_domain::id_number::age_on;
use anju_domain::person::Field;
use anju_io::SheetWriter;
use anju_store::{PersonFilter, PersonRecord, Scope, Store, StoreError};
use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Write(String),
}

/// The headers of an export, whole or masked.
pub fn export_headers(whole: bool) -> Vec<&'static str> {
    Field::ALL
        .iter()
        .map(|f| match f {
            Field::BirthDate if !whole => "年龄",
            f => f.header(),
        })
        .collect()
}

/// The cells of one file, masked unless `whole` (then with the age on `today` in place of the
/// birth date).
pub fn export_row(r: &PersonRecord, whole: bool, today: NaiveDate) -> Vec<String> {
    Field::ALL
        .into_iter()
        .map(|f| match f {
            Field::BirthDate if !whole => age_on(r.person.birth_date, today).to_string(),
            f if whole => r.person.field_text(f),
            f => f.masked(&r.person.field_text(f)),
        })
        .collect()
}

/// Writes every file matching `filter` in the scope to `out`; returns how many.
pub async fn export_persons(
    store: &Store,
    scope: &Scope,
    filter: &PersonFilter,
    out: &Path,
) -> Result<u64, ExportError> {
    let whole = scope.role().sees_identifiers();
    let headers = export_headers(whole);
    let today = store.today();
    let mut w =
        SheetWriter::create(out, &headers).map_err(|e| ExportError::Write(e.to_string()))?;
    let mut write_err = None;
    let n = store
        .persons()
        .for_each(scope, filter, |r| {
            if write_err.is_none()
                && let Err(e) = w.write_row(&export_row(r, whole, today))
            {
                write_err = Some(e.to_string());
            }
            Ok(())
        })
        .await?;
    if let Some(e) = write_err {
        return Err(ExportError::Write(e));
    }
    w.finish().map_err(|e| ExportError::Write(e.to_string()))?;
    let detail = format!(
        "{}条，{}，区划{}",
        n,
        if whole {
            "完整号码"
        } else {
            "号码已脱敏"
        },
        filter
            .region
            .clone()
            .unwrap_or_else(|| scope.region().code.to_string())
    );
    store
        .persons()
        .record_view(scope, "person.export", "persons".into(), detail)
        .await?;
    Ok(n)
}
