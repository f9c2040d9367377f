//! Reading a department's list for a cross-check (`anju crosscheck run`, the upload page):
//! the kind's columns found by header or synonym (the person sheet's for another federation's
//! registry), every row read or refused with its row and column, the file's digest kept with
//! the batch. A list without the columns its kind needs, or a file that cannot be read,
//! changes nothing.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use anju_domain::crosscheck::{self, ListKind};
use anju_io::ReadOptions;
use anju_store::{Item, RunResult, Scope, Store};
use sha2::Digest;

use crate::ImportError;

/// SHA-256 of a file, hex.
pub fn digest(path: &Path) -> Result<String, ImportError> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| ImportError::Read(anju_io::ReadError::Io(e.to_string())))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| ImportError::Read(anju_io::ReadError::Io(e.to_string())))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Where each canonical header is in the sheet, for `kind`.
fn columns(kind: ListKind, headers: &[String]) -> Result<HashMap<String, usize>, ImportError> {
    if kind == ListKind::Registry {
        let m = anju_io::headers::map_headers(headers);
        let mut at = HashMap::new();
        for (i, f) in m.columns.iter().enumerate() {
            if let Some(f) = f {
                at.insert(f.header().to_owned(), i);
            }
        }
        for need in ["身份证号", "姓名"] {
            if !at.contains_key(need) {
                return Err(ImportError::MissingColumns(need.into()));
            }
        }
        return Ok(at);
    }
    let spec = crosscheck::spec(kind)
        .map_err(|e| ImportError::Store(anju_store::StoreError::Internal(e)))?;
    spec.map_headers(headers)
        .map_err(|missing| ImportError::MissingColumns(missing.join("、")))
}

/// Runs a cross-check of the list in `path` (XLSX, XLS or CSV) of `kind`.
pub async fn run(
    store: &Store,
    scope: &Scope,
    kind: ListKind,
    path: &Path,
    file_name: &str,
) -> Result<RunResult, ImportError> {
    run_with_progress(store, scope, kind, path, file_name, |_| {}).await
}

/// [`run`], telling `progress` how far the reading has come every 10,000 rows.
pub async fn run_with_progress(
    store: &Store,
    scope: &Scope,
    kind: ListKind,
    path: &Path,
    file_name: &str,
    progress: impl Fn(crate::Progress) + Send,
) -> Result<RunResult, ImportError> {
    let digest = digest(path)?;
    let mut reader = anju_io::open(path, &ReadOptions::default())?;
    let at = columns(kind, &reader.headers)?;
    let today = store.today();
    let total = reader.rows_hint;
    // About 60 bytes a row in a CSV list.
    let expected = total.or(Some(reader.bytes / 60));
    let mut read = 0u64;
    let items = std::iter::from_fn(move || match reader.next_row() {
        Ok(None) => None,
        Err(e) => Some(Err(e.to_string())),
        Ok(Some(row)) => {
            read += 1;
            if read.is_multiple_of(10_000) {
                progress(crate::Progress { rows: read, total });
            }
            if row.cells.iter().all(|c| c.trim().is_empty()) {
                return Some(Ok(None));
            }
            let get = |h: &str| -> String {
                at.get(h)
                    .and_then(|i| row.cells.get(*i))
                    .cloned()
                    .unwrap_or_default()
            };
            Some(Ok(Some(
                match crosscheck::read_row(kind, row.number, &get, today) {
                    Ok(r) => Item::Row(r),
                    Err(faults) => Item::Bad(row.number, faults),
                },
            )))
        }
    })
    .filter_map(|r: Result<Option<Item>, String>| r.transpose());
    Ok(store
        .crosschecks()
        .run(scope, kind, file_name, &digest, expected, items)
        .await?)
}
