//! Writing sheets: XLSX in constant memory (every cell as text, so ID and account numbers keep
//! every digit) and CSV in UTF-8 with a BOM.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("无法写入文件 {path}：{detail}")]
    Io { path: String, detail: String },
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
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let sink = if is_csv {
            let mut f = BufWriter::new(File::create(path).map_err(|e| err(&e))?);
            f.write_all(b"\xEF\xBB\xBF").map_err(|e| err(&e))?;
            Sink::Csv(Box::new(csv::Writer::from_writer(f)))
        } else {
            // Fail early on an unwritable path rather than at the end.
            File::create(path).map_err(|e| err(&e))?;
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
            path: self.path.display().to_string(),
            detail: e.to_string(),
        }
    }

    fn header(&mut self, headers: &[&str]) -> Result<(), WriteError> {
        match &mut self.sink {
            Sink::Csv(w) => w.write_record(headers).map_err(|e| WriteError::Io {
                path: self.path.display().to_string(),
                detail: e.to_string(),
            }),
            Sink::Xlsx { book, row } => {
                let bold = Format::new().set_bold();
                let sheet = book.worksheet_from_index(0).map_err(|e| WriteError::Io {
                    path: self.path.display().to_string(),
                    detail: e.to_string(),
                })?;
                for (i, h) in headers.iter().enumerate() {
                    sheet
                        .write_string_with_format(0, i as u16, *h, &bold)
                        .map_err(|e| WriteError::Io {
                            path: self.path.display().to_string(),
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
                .write_record(cells.iter().map(AsRef::as_ref))
                .map_err(|e| e.to_string()),
            Sink::Xlsx { book, row } => (|| {
                let sheet = book.worksheet_from_index(0).map_err(|e| e.to_string())?;
                for (i, c) in cells.iter().enumerate() {
                    let c = c.as_ref();
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
            path: path.display().to_string(),
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
}
