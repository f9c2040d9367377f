//! Cells as spreadsheets store them: an XLS from an older system (made with xlwt, see the
//! fixture), and XLSX date and number cells, read as the text a clerk sees.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use anju_io::{Format, ReadOptions, open};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn an_xls_sheet_reads_with_dates_and_numbers() {
    let opts = ReadOptions {
        sheet: Some("名单".into()),
        ..Default::default()
    };
    let mut r = open(&fixture("persons.xls"), &opts).unwrap();
    assert_eq!(r.format, Format::Xls);
    assert_eq!(r.headers[0], "身份证号");
    let rows: Vec<_> = r.by_ref().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].number, 2);
    assert_eq!(rows[0].cells[0], "11010519491231002X");
    assert_eq!(
        rows[0].cells[5], "2016-04-01",
        "a date cell reads as a date"
    );
    assert_eq!(
        rows[0].cells[6], "13812345678",
        "a number keeps every digit"
    );
    assert_eq!(rows[1].cells[2], "4");
    assert_eq!(rows[1].cells[4], "320102002002");
}

#[test]
fn xlsx_date_and_number_cells_read_as_text() {
    let path = std::env::temp_dir().join(format!("anju-cells-{}.xlsx", std::process::id()));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    sheet.write_string(0, 0, "发证日期").unwrap();
    sheet.write_string(0, 1, "户籍地区划代码").unwrap();
    sheet.write_string(0, 2, "残疾等级").unwrap();
    let d = rust_xlsxwriter::ExcelDateTime::from_ymd(2023, 4, 1).unwrap();
    sheet.write_datetime_with_format(1, 0, &d, &date).unwrap();
    sheet.write_number(1, 1, 320_102_002_001.0).unwrap();
    sheet.write_number(1, 2, 2.0).unwrap();
    book.save(&path).unwrap();
    let mut r = open(&path, &ReadOptions::default()).unwrap();
    let row = r.next_row().unwrap().unwrap();
    assert_eq!(row.cells, vec!["2023-04-01", "320102002001", "2"]);
    let _ = std::fs::remove_file(path);
}
