//! Writing sheets: XLSX in constant memory (every cell as text, so ID and account numbers keep
//! every digit) and CSV in UTF-8 with a BOM.
//!
//! A CSV cell that a spreadsheet would take for a formula (one beginning with `=`, `+`, `-`,
//! `@`, a tab or a carriage return, other than a plain number) is written behind an apostrophe,
//! so that Excel and WPS show it as text (OWASP, "CSV injection"); the CSV reader takes the
//! apostrophe off again, so an export imports back unchanged.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook};

/// Excel's limit on the characters of one cell.
pub const MAX_CELL_CHARS: usize = 32_767;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// `path` is the file's name only: messages reach users, who must not see server paths.
    #[error("无法写入文件“{path}”：{detail}")]
    Io { path: String, detail: String },
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// A cell cut to what a spreadsheet can hold.
fn within_cell_limit(c: &str) -> &str {
    match c.char_indices().nth(MAX_CELL_CHARS) {
        Some((at, _)) => &c[..at],
        None => c,
    }
}

/// Whether a CSV cell must be written behind an apostrophe: it would start a formula, or it
/// already starts with an apostrophe that the reader would otherwise take off.
pub fn needs_formula_guard(cell: &str) -> bool {
    match cell.as_bytes().first() {
        Some(b'=' | b'@' | b'\t' | b'\r') => true,
        // A lone sign is text to a spreadsheet; a signed number is a value.
        Some(b'+' | b'-') => cell.len() > 1 && !is_plain_number(cell),
        Some(b'\'') => needs_formula_guard(&cell[1..]),
        _ => false,
    }
}

/// A signed decimal number (`-12.50`, `+8613800000000`): a value, never a formula.
fn is_plain_number(s: &str) -> bool {
    let digits = &s[1..];
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The text a CSV file carries for `cell`.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    if needs_formula_guard(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The value a CSV cell holds, the writer's apostrophe taken off.
pub fn csv_value(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_formula_guard(rest) => rest,
        _ => text,
    }
}

enum Sink {
    Xlsx { book: Box<Workbook>, row: u32 },
    Csv(Box<csv::Writer<BufWriter<File>>>),
}

/// A sheet being written; the format follows the file name (`.csv` or else XLSX).
pub struct SheetWriter {
    path: PathBuf,
    sink: Sink,
}

impl SheetWriter {
    pub fn create(path: &Path, headers: &[&str]) -> Result<Self, WriteError> {
        let err = |e: &dyn std::fmt::Display| WriteError::Io {
            path: file_name(path),
            detail: e.to_string(),
        };
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let sink = if is_csv {
            let mut f = BufWriter::new(crate::private::create_file(path).map_err(|e| err(&e))?);
            f.write_all(b"\xEF\xBB\xBF").map_err(|e| err(&e))?;
            Sink::Csv(Box::new(csv::Writer::from_writer(f)))
        } else {
            // Fail early on an unwritable path rather than at the end; the owner's alone (the
            // writer's save truncates it, keeping the mode).
            crate::private::create_file(path).map_err(|e| err(&e))?;
            let mut book = Box::new(Workbook::new());
            let sheet = book
                .add_worksheet_with_constant_memory()
                .map_err(|e| err(&e))?;
            sheet.set_name("Sheet1").map_err(|e| err(&e))?;
            for (i, h) in headers.iter().enumerate() {
                let width = if h.contains("号") || h.contains("地址") {
                    22.0
                } else {
                    12.0
                };
                sheet
                    .set_column_width(i as u16, width)
                    .map_err(|e| err(&e))?;
            }
            Sink::Xlsx { book, row: 0 }
        };
        let mut w = SheetWriter {
            path: path.to_owned(),
            sink,
        };
        w.header(headers)?;
        Ok(w)
    }

    fn err(&self, e: &dyn std::fmt::Display) -> WriteError {
        WriteError::Io {
            path: file_name(&self.path),
            detail: e.to_string(),
        }
    }

    fn header(&mut self, headers: &[&str]) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Csv(w) => w.write_record(headers).map_err(|e| WriteError::Io {
                path: file_name(&self.path),
                detail: e.to_string(),
            }),
            Sink::Xlsx { book, row } => {
                let bold = Format::new().set_bold();
                let sheet = book.worksheet_from_index(0).map_err(|e| WriteError::Io {
                    path: file_name(&self.path),
                    detail: e.to_string(),
                })?;
                for (i, h) in headers.iter().enumerate() {
                    sheet
                        .write_string_with_format(0, i as u16, *h, &bold)
                        .map_err(|e| WriteError::Io {
                            path: file_name(&self.path),
                            detail: e.to_string(),
                        })?;
                }
                *row = 1;
                Ok(())
            }
        }
    }

    pub fn write_row<S: AsRef<str>>(&mut self, cells: &[S]) -> Result<(), WriteError> {
        let result = match &mut self.sink {
            Sink::Csv(w) => w
                .write_record(cells.iter().map(|c| csv_cell(c.as_ref()).into_owned()))
                .map_err(|e| e.to_string()),
            Sink::Xlsx { book, row } => (|| {
                let sheet = book.worksheet_from_index(0).map_err(|e| e.to_string())?;
                for (i, c) in cells.iter().enumerate() {
                    let c = within_cell_limit(c.as_ref());
                    if !c.is_empty() {
                        sheet
                            .write_string(*row, i as u16, c)
                            .map_err(|e| e.to_string())?;
                    }
                }
                *row += 1;
                Ok::<(), String>(())
            })(),
        };
        result.map_err(|e| self.err(&e))
    }

    pub fn finish(self) -> Result<(), WriteError> {
        let path = self.path.clone();
        let err = |e: &dyn std::fmt::Display| WriteError::Io {
            path: file_name(&path),
            detail: e.to_string(),
        };
        match self.sink {
            Sink::Csv(mut w) => w.flush().map_err(|e| err(&e)),
            Sink::Xlsx { mut book, .. } => book.save(&path).map_err(|e| err(&e)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::read::{ReadOptions, open};

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("anju-io-{}-{name}", std::process::id()))
    }

    #[test]
    fn xlsx_and_csv_round_trip_text_exactly() {
        for name in ["rt.xlsx", "rt.csv"] {
            let p = temp(name);
            let mut w = SheetWriter::create(&p, &["身份证号", "姓名", "备注"]).unwrap();
            w.write_row(&["11010519491231002X", "张三", ""]).unwrap();
            w.write_row(&["320102194901010013", "李四, \"小李\"", "多行\n备注"])
                .unwrap();
            w.finish().unwrap();
            let mut r = open(&p, &ReadOptions::default()).unwrap();
            assert_eq!(r.headers, vec!["身份证号", "姓名", "备注"]);
            let rows: Vec<_> = r.by_ref().map(Result::unwrap).collect();
            assert_eq!(rows.len(), 2, "{name}");
            assert_eq!(rows[0].number, 2);
            assert_eq!(rows[0].cells[0], "11010519491231002X");
            assert_eq!(rows[1].cells[1], "李四, \"小李\"");
            assert_eq!(rows[1].cells[2], "多行\n备注");
            let _ = std::fs::remove_file(&p);
        }
    }

    #[test]
    fn csv_cells_cannot_run_formulas_and_read_back_unchanged() {
        let values = [
            "=HYPERLINK(\"http://evil.example\",\"点击\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
            "'=1+1",
            "''=1+1",
            "'普通",
            "-12.50",
            "+8613800000000",
            "-",
            "张三",
            "",
        ];
        let p = temp("guard.csv");
        let mut w = SheetWriter::create(&p, &["值"]).unwrap();
        for v in values {
            w.write_row(&[v]).unwrap();
        }
        w.finish().unwrap();
        let raw = std::fs::read_to_string(&p).unwrap();
        // No line of the file starts a formula as Excel and WPS read it.
        for line in raw.lines().skip(1) {
            let cell = line.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r']) || is_plain_number(cell),
                "{line:?}"
            );
        }
        assert!(raw.contains("'=HYPERLINK"), "{raw}");
        assert!(raw.contains("\n-12.50\n"), "a number stays a number: {raw}");
        assert!(raw.contains("\n-\n"), "a lone sign stays as it is: {raw}");
        let r = open(&p, &ReadOptions::default()).unwrap();
        let back: Vec<String> = r.map(|row| row.unwrap().cells[0].clone()).collect();
        let expected: Vec<&str> = values.iter().copied().filter(|v| !v.is_empty()).collect();
        assert_eq!(back, expected);
        let _ = std::fs::remove_file(&p);
    }
}

/// One column of an import template: its header, whether it must be filled, what may be
/// written in it, and an example value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateColumn {
    pub header: &'static str,
    pub required: bool,
    pub allowed: &'static str,
    pub example: &'static str,
}

/// An import template as XLSX bytes: a sheet 填写 with the headers (required ones marked in
/// the second sheet) and one example row, every cell text, and a sheet 填写说明 listing each
/// column, whether it is required, and the values it takes.
pub fn template_xlsx(columns: &[TemplateColumn]) -> Result<Vec<u8>, WriteError> {
    let err = |e: rust_xlsxwriter::XlsxError| WriteError::Io {
        path: "模板.xlsx".into(),
        detail: e.to_string(),
    };
    let mut book = Workbook::new();
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name("填写").map_err(err)?;
    for (i, c) in columns.iter().enumerate() {
        let col = u16::try_from(i).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, col, c.header, &bold)
            .map_err(err)?;
        sheet
            .write_string_with_format(1, col, c.example, &text)
            .map_err(err)?;
        sheet.set_column_format(col, &text).map_err(err)?;
        sheet
            .set_column_width(col, (c.header.chars().count() * 2 + 4).max(14) as f64)
            .map_err(err)?;
    }
    let notes = book.add_worksheet();
    notes.set_name("填写说明").map_err(err)?;
    for (col, h) in ["列名", "是否必填", "可填写的值"].iter().enumerate() {
        notes
            .write_string_with_format(0, col as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, c) in columns.iter().enumerate() {
        let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
        notes.write_string(row, 0, c.header).map_err(err)?;
        notes
            .write_string(row, 1, if c.required { "必填" } else { "可不填" })
            .map_err(err)?;
        notes.write_string(row, 2, c.allowed).map_err(err)?;
    }
    notes.set_column_width(0, 16).map_err(err)?;
    notes.set_column_width(2, 70).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

/// One sheet of a small workbook written at once.
pub struct BookSheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [Vec<String>],
}

/// A workbook of several small sheets (a report), in memory: bold headers, whole numbers and
/// decimals written as numbers so that a sheet can add them up, everything else as text.
pub fn workbook_xlsx(sheets: &[BookSheet<'_>]) -> Result<Vec<u8>, WriteError> {
    let err = |e: &dyn std::fmt::Display| WriteError::Io {
        path: "workbook".into(),
        detail: e.to_string(),
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(s.name).map_err(|e| err(&e))?;
        for (i, h) in s.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, i as u16, *h, &bold)
                .map_err(|e| err(&e))?;
            sheet
                .set_column_width(i as u16, if i == 0 { 28.0 } else { 14.0 })
                .map_err(|e| err(&e))?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (c, cell) in row.iter().enumerate() {
                let plain_number = !cell.is_empty()
                    && cell.len() < 16
                    && !(cell.len() > 1 && cell.starts_with('0') && !cell.starts_with("0."))
                    && cell
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
                match cell.parse::<f64>() {
                    Ok(v) if plain_number => {
                        sheet.write_number(r, c as u16, v).map_err(|e| err(&e))?;
                    }
                    _ if cell.is_empty() => {}
                    _ => {
                        sheet
                            .write_string(r, c as u16, within_cell_limit(cell))
                            .map_err(|e| err(&e))?;
                    }
                }
            }
        }
    }
    book.save_to_buffer().map_err(|e| err(&e))
}
