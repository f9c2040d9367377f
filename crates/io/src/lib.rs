//! Anju's spreadsheet and CSV input and output.
//!
//! Readers turn a file a clerk brings (CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; XLSX; XLS)
//! into rows of text cells numbered as the clerk sees them (header = row 1), streamed from a
//! thread of their own so that memory does not grow with the file and parsing runs beside the
//! database work. Headers are recognised by their Chinese names and common synonyms. Writers
//! produce XLSX (constant memory) and CSV (UTF-8 with BOM, which Excel opens correctly).

pub mod headers;
pub mod private;
pub mod read;
pub mod write;

pub use headers::{HeaderMap, map_headers};
pub use read::{EncodingChoice, Format, ReadError, ReadOptions, Row, SheetReader, open};
pub use write::{BookSheet, SheetWriter, TemplateColumn, WriteError, template_xlsx, workbook_xlsx};
