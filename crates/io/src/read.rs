//! Reading sheets: CSV, XLSX and XLS, streamed row by row from a reader thread.
//!
//! The format is told by the file's first bytes, not its name. CSV text is UTF-8 (with or
//! without BOM) when it decodes as such, and GB18030 (a superset of GBK and GB2312) otherwise.
//! An XLSX is refused before reading when its parts would expand beyond [`MAX_EXPANDED`] or
//! compress more than [`MAX_RATIO`] to one (a zip bomb), its shared strings (held in memory
//! whole) beyond [`MAX_SHARED_STRINGS`], any text in it is longer than [`MAX_TEXT_BYTES`]
//! (found by streaming through the parts before reading), or its sheet claims more rows or
//! columns than Excel allows; a CSV record longer than [`MAX_RECORD_BYTES`] ends the read. So
//! memory stays bounded whatever is uploaded. A cell longer than Excel's own limit (32,767
//! characters) is a fault of its row ([`Row::too_long`]), not of the file.
//!
//! The reader thread ends every file with an explicit end: a reader that stops any other way
//! (a panic, a dropped channel) is an error, never a short file.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use calamine::{Data, DataRef, DataType, Reader, Xls, Xlsx, open_workbook};
use encoding_rs::{Encoding, GB18030, UTF_8};

/// The most an XLSX's parts may expand to in all.
pub const MAX_EXPANDED: u64 = 2 << 30;
/// The highest compression ratio accepted for a large part.
pub const MAX_RATIO: u64 = 100;
/// The most an XLSX's shared-strings table may expand to (calamine holds it in memory).
pub const MAX_SHARED_STRINGS: u64 = 64 << 20;
/// The longest run of text between two XML tags accepted in an XLSX (a cell of 32,767
/// characters, escaped, is well under it).
pub const MAX_TEXT_BYTES: u64 = 1 << 20;
/// The longest CSV record accepted.
pub const MAX_RECORD_BYTES: u64 = 16 << 20;
/// Excel's limit on the characters of one cell.
pub const MAX_CELL_CHARS: usize = crate::write::MAX_CELL_CHARS;
const MAX_COLUMNS: u32 = 512;
const MAX_ROWS: u32 = 1_048_576;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Xls,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Xlsx => "XLSX",
            Format::Xls => "XLS",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    #[default]
    Auto,
    Utf8,
    Gbk,
}

impl EncodingChoice {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "utf-8" | "utf8" => Some(Self::Utf8),
            "gbk" | "gb18030" | "gb2312" => Some(Self::Gbk),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub sheet: Option<String>,
    pub encoding: EncodingChoice,
    /// For tests: the reader thread fails (panics) on reaching this row, as a crash would.
    #[doc(hidden)]
    pub fail_at_row: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("无法读取文件：{0}")]
    Io(String),
    /// A file of the format that cannot be read (the library's own words stay in `detail`,
    /// for the log: a clerk is told what to do, in Chinese).
    #[error("{}", unreadable_message(format))]
    Unreadable {
        format: &'static str,
        detail: String,
    },
    /// Not a sheet at all: a picture, a PDF or another binary file.
    #[error("所选文件不是表格（看起来{0}），请选择 Excel（.xlsx、.xls）或 CSV 文件")]
    NotASheet(&'static str),
    #[error("找不到工作表“{name}”（文件中有：{available}）")]
    SheetNotFound { name: String, available: String },
    #[error("文件过大或异常压缩（解压后超过安全上限），已拒绝读取：{0}")]
    TooLarge(String),
    #[error("文件是空的，没有表头行")]
    Empty,
    #[error("读取在文件结束前中断，没有写入任何数据，请重新导入")]
    Interrupted,
}

fn unreadable_message(format: &str) -> String {
    match format {
        "CSV" => {
            "CSV 文件无法读取：引号或分隔符不完整，请用 Excel 打开后另存为 .xlsx 再导入".into()
        }
        f => format!(
            "文件不是完整的 {f} 表格（可能已损坏、只下载了一部分或扩展名被改过），\
             请用 Excel 打开确认后另存再导入"
        ),
    }
}

/// What a file that is not a sheet looks like, from its first bytes; `None`: it may be one.
fn not_a_sheet(head: &[u8]) -> Option<&'static str> {
    const PICTURES: [&[u8]; 5] = [b"\x89PNG", b"\xFF\xD8\xFF", b"GIF8", b"BM", b"RIFF"];
    if PICTURES.iter().any(|m| head.starts_with(m)) {
        return Some("是图片");
    }
    if head.starts_with(b"%PDF") {
        return Some("是 PDF 文档");
    }
    if head.starts_with(b"Rar!") || head.starts_with(b"7z\xBC\xAF") || head.starts_with(b"\x1F\x8B")
    {
        return Some("是压缩包");
    }
    // Text has no NUL bytes, unless it is UTF-16 (which starts with its byte order mark).
    let utf16 = head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF");
    (!utf16 && head.contains(&0)).then_some("是二进制文件而不是文字")
}

/// One row as the clerk sees it: `number` counts from 1 with the header as row 1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
    /// Columns (from 0) whose cell was longer than [`MAX_CELL_CHARS`]: left empty in `cells`,
    /// a fault of the row for whoever reads that column.
    pub too_long: Vec<usize>,
}

impl Row {
    pub fn new(number: usize, mut cells: Vec<String>) -> Self {
        let mut too_long = Vec::new();
        for (i, c) in cells.iter_mut().enumerate() {
            if c.len() > MAX_CELL_CHARS && c.chars().count() > MAX_CELL_CHARS {
                c.clear();
                too_long.push(i);
            }
        }
        Row {
            number,
            cells,
            too_long,
        }
    }
}

/// What the reader thread sends: rows, the end of the file, or why it stopped.
type Msg = Result<Option<Vec<Row>>, ReadError>;

/// Rows of one sheet, header first read off into `headers`.
pub struct SheetReader {
    pub format: Format,
    pub headers: Vec<String>,
    /// Rows the sheet declares, when it does (XLSX, XLS); CSV reports bytes instead.
    pub rows_hint: Option<u64>,
    pub bytes: u64,
    rx: Receiver<Msg>,
    pending: std::vec::IntoIter<Row>,
    ended: bool,
    failed: bool,
}

impl SheetReader {
    /// The next data row, or `None` at the end. Empty rows are skipped. A reader that stopped
    /// before the end of the file answers [`ReadError::Interrupted`].
    pub fn next_row(&mut self) -> Result<Option<Row>, ReadError> {
        loop {
            if let Some(row) = self.pending.next() {
                return Ok(Some(row));
            }
            if self.ended {
                return Ok(None);
            }
            match self.rx.recv() {
                Ok(Ok(Some(rows))) => self.pending = rows.into_iter(),
                Ok(Ok(None)) => self.ended = true,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(ReadError::Interrupted),
            }
        }
    }
}

/// Rows until the end, or until the first error (given once).
impl Iterator for SheetReader {
    type Item = Result<Row, ReadError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_row().transpose();
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

fn io_err(e: impl std::fmt::Display) -> ReadError {
    ReadError::Io(e.to_string())
}

fn sniff(path: &Path) -> Result<(Format, u64), ReadError> {
    let mut f = File::open(path).map_err(io_err)?;
    let len = f.metadata().map_err(io_err)?.len();
    let mut head = vec![0u8; 4096];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]).map_err(io_err)? {
            0 => break,
            k => n += k,
        }
    }
    let head = &head[..n];
    let format = if head.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Xls
    } else if let Some(kind) = not_a_sheet(head) {
        return Err(ReadError::NotASheet(kind));
    } else {
        Format::Csv
    };
    Ok((format, len))
}

/// Opens a sheet and reads its header row. Rows then stream through [`SheetReader`].
pub fn open(path: &Path, opts: &ReadOptions) -> Result<SheetReader, ReadError> {
    let (format, bytes) = sniff(path)?;
    if bytes == 0 {
        return Err(ReadError::Empty);
    }
    let (tx, rx) = sync_channel::<Msg>(16);
    let (head_tx, head_rx) = sync_channel::<Result<(Vec<String>, Option<u64>), ReadError>>(1);
    let path = path.to_owned();
    let opts = opts.clone();
    thread::Builder::new()
        .name("anju-sheet-reader".into())
        .spawn(move || {
            let mut rows = Rows {
                tx: &tx,
                buf: Vec::with_capacity(ROW_CHUNK),
                fail_at: opts.fail_at_row,
            };
            let result = match format {
                Format::Csv => read_csv(&path, &opts, &head_tx, &mut rows),
                Format::Xlsx => read_xlsx(&path, &opts, &head_tx, &mut rows),
                Format::Xls => read_xls(&path, &opts, &head_tx, &mut rows),
            };
            let result = result.map(|()| {
                if rows.flush() {
                    let _ = tx.send(Ok(None));
                }
            });
            if let Err(e) = result {
                // Before the header: the opener hears it; after: the row reader does.
                if head_tx.try_send(Err(e.clone())).is_err() {
                    let _ = tx.send(Err(e));
                }
            }
        })
        .map_err(io_err)?;
    let (headers, rows_hint) = head_rx.recv().map_err(|_| ReadError::Empty)??;
    Ok(SheetReader {
        format,
        headers,
        rows_hint,
        bytes,
        rx,
        pending: Vec::new().into_iter(),
        ended: false,
        failed: false,
    })
}

type HeadTx = SyncSender<Result<(Vec<String>, Option<u64>), ReadError>>;

/// Rows cross to the importing thread in chunks, not one by one: fewer wake-ups.
const ROW_CHUNK: usize = 512;

struct Rows<'a> {
    tx: &'a SyncSender<Msg>,
    buf: Vec<Row>,
    fail_at: Option<usize>,
}

impl Rows<'_> {
    /// Queues a row; false when the reader was dropped (stop reading).
    fn send(&mut self, row: Row) -> bool {
        #[allow(clippy::panic)]
        if self.fail_at.is_some_and(|n| row.number >= n) {
            panic!("test fault: the reader stops at row {}", row.number);
        }
        self.buf.push(row);
        if self.buf.len() >= ROW_CHUNK {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(ROW_CHUNK));
        self.tx.send(Ok(Some(chunk))).is_ok()
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

fn csv_encoding(path: &Path, choice: EncodingChoice) -> Result<&'static Encoding, ReadError> {
    match choice {
        EncodingChoice::Utf8 => return Ok(UTF_8),
        EncodingChoice::Gbk => return Ok(GB18030),
        EncodingChoice::Auto => {}
    }
    // UTF-8 when the first megabyte decodes as UTF-8 (a sequence cut at the end is allowed).
    let mut f = File::open(path).map_err(io_err)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..]).map_err(io_err)?;
        if k == 0 {
            break;
        }
        n += k;
    }
    let sample = &buf[..n];
    Ok(match std::str::from_utf8(sample) {
        Ok(_) => UTF_8,
        Err(e) if e.error_len().is_none() && n == buf.len() => UTF_8,
        Err(_) => GB18030,
    })
}

fn read_csv(
    path: &Path,
    opts: &ReadOptions,
    head: &HeadTx,
    tx: &mut Rows<'_>,
) -> Result<(), ReadError> {
    let encoding = csv_encoding(path, opts.encoding)?;
    let mut file = File::open(path).map_err(io_err)?;
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    let bound = Bounded {
        inner: file,
        read: 0,
        mark: Arc::new(AtomicU64::new(0)),
    };
    let mark = Arc::clone(&bound.mark);
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .strip_bom(true)
        .build(BufReader::with_capacity(1 << 16, bound));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(decoded);
    let mut record = csv::StringRecord::new();
    let mut header_sent = false;
    let mut number = 0;
    loop {
        let more = rdr.read_record(&mut record).map_err(|e| {
            if mark.load(Ordering::Relaxed) == u64::MAX {
                ReadError::TooLarge(format!(
                    "第{}行超过{}MB",
                    number + 1,
                    MAX_RECORD_BYTES >> 20
                ))
            } else {
                ReadError::Unreadable {
                    format: "CSV",
                    detail: e.to_string(),
                }
            }
        })?;
        if !more {
            break;
        }
        // The next record is measured from here.
        let at = rdr.position().byte();
        mark.store(at, Ordering::Relaxed);
        // A CSV row is a record, as a spreadsheet shows it (a quoted cell may span lines).
        // Wholly empty lines are not records; rows with only empty cells are, and count.
        number += 1;
        let cells: Vec<String> = record
            .iter()
            .map(|c| crate::write::csv_value(c).to_owned())
            .collect();
        if !header_sent {
            if is_blank(&cells) {
                continue;
            }
            header_sent = true;
            if head.send(Ok((cells, None))).is_err() {
                return Ok(());
            }
            continue;
        }
        if is_blank(&cells) {
            continue;
        }
        if !tx.send(Row::new(number, cells)) {
            return Ok(());
        }
    }
    if !header_sent {
        return Err(ReadError::Empty);
    }
    Ok(())
}

/// The file under a CSV reader, refusing to run more than [`MAX_RECORD_BYTES`] past the
/// start of the record being read (`mark`, in decoded bytes from the reader's count, close
/// enough: the buffers between are 64 KiB). On refusal it sets `mark` to `u64::MAX`.
struct Bounded<R> {
    inner: R,
    read: u64,
    mark: Arc<AtomicU64>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mark = self.mark.load(Ordering::Relaxed);
        if mark == u64::MAX || self.read.saturating_sub(mark) > MAX_RECORD_BYTES {
            self.mark.store(u64::MAX, Ordering::Relaxed);
            return Err(std::io::Error::other("record too long"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

fn cell_text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DataRef::DateTime(_) => d.as_date().map(|x| x.to_string()).unwrap_or_default(),
        DataRef::DateTimeIso(s) => s.chars().take(10).collect(),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e}"),
        DataRef::Empty => String::new(),
    }
}

fn data_text(d: &Data) -> String {
    match d {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        Data::DateTime(_) => d.as_date().map(|x| x.to_string()).unwrap_or_default(),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
        Data::Empty => String::new(),
    }
}

/// Whole numbers without a decimal point (codes and phones stored as numbers).
fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e17 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn check_zip(path: &Path, max_expanded: u64, max_part: u64) -> Result<(), ReadError> {
    let file = File::open(path).map_err(io_err)?;
    let unreadable = |e: zip::result::ZipError| ReadError::Unreadable {
        format: "XLSX",
        detail: e.to_string(),
    };
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(unreadable)?;
    let mut total: u64 = 0;
    let mut scan = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(unreadable)?;
        let size = entry.size();
        let name = entry.name().unwrap_or_default().into_owned();
        total = total.saturating_add(size);
        if size > max_part && size / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(ReadError::TooLarge(format!(
                "{name} 压缩比超过{MAX_RATIO}:1"
            )));
        }
        if name.eq_ignore_ascii_case("xl/sharedStrings.xml") && size > MAX_SHARED_STRINGS {
            return Err(ReadError::TooLarge(format!(
                "共享字符串表解压后{}MB，超过{}MB；请另存为 CSV 后导入",
                size >> 20,
                MAX_SHARED_STRINGS >> 20
            )));
        }
        if name.starts_with("xl/worksheets/") || name.eq_ignore_ascii_case("xl/sharedStrings.xml") {
            scan.push(i);
        }
    }
    if total > max_expanded {
        return Err(ReadError::TooLarge(format!("解压后共{}MB", total >> 20)));
    }
    // The declared sizes can lie: the parts that are read are streamed through once, and
    // the file is refused if one expands beyond what it declared or holds a giant text.
    for i in scan {
        let mut part = zip.by_index(i).map_err(unreadable)?;
        let declared = part.size();
        let mut run: u64 = 0;
        let mut seen: u64 = 0;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = part.read(&mut buf).map_err(|e| ReadError::Unreadable {
                format: "XLSX",
                detail: e.to_string(),
            })?;
            if n == 0 {
                break;
            }
            seen += n as u64;
            if seen > declared.max(1 << 20) {
                return Err(ReadError::TooLarge("解压后比声明的大".into()));
            }
            let mut longest = run;
            for &b in &buf[..n] {
                if b == b'<' || b == b'>' {
                    longest = longest.max(run);
                    run = 0;
                } else {
                    run += 1;
                }
            }
            if longest.max(run) > MAX_TEXT_BYTES {
                return Err(ReadError::TooLarge(format!(
                    "有内容超过{}MB的单元格",
                    MAX_TEXT_BYTES >> 20
                )));
            }
        }
    }
    Ok(())
}

fn pick_sheet(names: Vec<String>, wanted: Option<&str>) -> Result<String, ReadError> {
    match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .cloned()
            .ok_or_else(|| ReadError::SheetNotFound {
                name: w.to_owned(),
                available: names.join("、"),
            }),
        None => names.into_iter().next().ok_or(ReadError::Empty),
    }
}

fn read_xlsx(
    path: &Path,
    opts: &ReadOptions,
    head: &HeadTx,
    tx: &mut Rows<'_>,
) -> Result<(), ReadError> {
    check_zip(path, MAX_EXPANDED, 100 << 20)?;
    let unreadable = |e: calamine::XlsxError| ReadError::Unreadable {
        format: "XLSX",
        detail: e.to_string(),
    };
    let mut book: Xlsx<_> = open_workbook(path).map_err(unreadable)?;
    let sheet = pick_sheet(book.sheet_names(), opts.sheet.as_deref())?;
    let mut cells = book.worksheet_cells_reader(&sheet).map_err(unreadable)?;
    let dims = cells.dimensions();
    if dims.end.0 >= MAX_ROWS || dims.end.1 >= MAX_COLUMNS {
        return Err(ReadError::TooLarge(format!(
            "工作表声明了{}行、{}列",
            dims.end.0 + 1,
            dims.end.1 + 1
        )));
    }
    let rows_hint = Some(u64::from(dims.end.0.saturating_sub(dims.start.0)));
    let mut current: Option<(u32, Vec<String>)> = None;
    let mut header_sent = false;
    let mut flush = |row: u32, values: Vec<String>| -> bool {
        if is_blank(&values) {
            return true;
        }
        if !header_sent {
            header_sent = true;
            return head.send(Ok((values, rows_hint))).is_ok();
        }
        tx.send(Row::new(row as usize + 1, values))
    };
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        if current.as_ref().is_some_and(|(cr, _)| *cr != r)
            && let Some((cr, values)) = current.take()
            && !flush(cr, values)
        {
            return Ok(());
        }
        let entry = current.get_or_insert_with(|| (r, Vec::new()));
        let c = c as usize;
        if entry.1.len() <= c {
            entry.1.resize(c + 1, String::new());
        }
        entry.1[c] = cell_text(cell.get_value());
    }
    if let Some((cr, values)) = current.take() {
        flush(cr, values);
    }
    if !header_sent {
        return Err(ReadError::Empty);
    }
    Ok(())
}

fn read_xls(
    path: &Path,
    opts: &ReadOptions,
    head: &HeadTx,
    tx: &mut Rows<'_>,
) -> Result<(), ReadError> {
    let unreadable = |e: calamine::XlsError| ReadError::Unreadable {
        format: "XLS",
        detail: e.to_string(),
    };
    let mut book: Xls<_> = open_workbook(path).map_err(unreadable)?;
    let sheet = pick_sheet(book.sheet_names(), opts.sheet.as_deref())?;
    let range = book.worksheet_range(&sheet).map_err(unreadable)?;
    let start = range.start().unwrap_or((0, 0));
    let mut header_sent = false;
    for (i, row) in range.rows().enumerate() {
        let mut values: Vec<String> = vec![String::new(); start.1 as usize];
        values.extend(row.iter().map(data_text));
        if is_blank(&values) {
            continue;
        }
        if !header_sent {
            header_sent = true;
            let hint = Some(range.height() as u64);
            if head.send(Ok((values, hint))).is_err() {
                return Ok(());
            }
            continue;
        }
        let number = start.0 as usize + i + 1;
        if !tx.send(Row::new(number, values)) {
            return Ok(());
        }
    }
    if !header_sent {
        return Err(ReadError::Empty);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::write::SheetWriter;

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("anju-read-{}-{name}", std::process::id()))
    }

    #[test]
    fn gbk_and_bom_csv_are_detected() {
        let text = "身份证号,姓名\r\n11010519491231002X,张三\r\n";
        let (gbk, _, _) = GB18030.encode(text);
        let p = temp("gbk.csv");
        std::fs::write(&p, &gbk).unwrap();
        let mut r = open(&p, &ReadOptions::default()).unwrap();
        assert_eq!(r.headers, vec!["身份证号", "姓名"]);
        assert_eq!(r.next_row().unwrap().unwrap().cells[1], "张三");
        let p2 = temp("bom.csv");
        std::fs::write(&p2, [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()).unwrap();
        let mut r = open(&p2, &ReadOptions::default()).unwrap();
        assert_eq!(r.headers[0], "身份证号");
        assert_eq!(r.next_row().unwrap().unwrap().number, 2);
        // Forcing the wrong encoding reads garbage, not an error: the clerk chose it.
        let r = open(
            &p,
            &ReadOptions {
                encoding: EncodingChoice::Utf8,
                ..Default::default()
            },
        )
        .unwrap();
        assert_ne!(r.headers[0], "身份证号");
        let _ = std::fs::remove_file(p);
        let _ = std::fs::remove_file(p2);
    }

    #[test]
    fn blank_lines_are_skipped_and_numbers_kept() {
        let p = temp("blank.csv");
        std::fs::write(&p, "姓名,等级\r\n张三,1\r\n,\r\n\"李\r\n四\",2\r\n").unwrap();
        let r = open(&p, &ReadOptions::default()).unwrap();
        let rows: Vec<Row> = r.map(Result::unwrap).collect();
        assert_eq!(
            rows.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![2, 4]
        );
        assert_eq!(rows[1].cells[0], "李\r\n四");
        let _ = std::fs::remove_file(p);
    }

    #[test]
    fn bad_files_are_refused_with_reasons() {
        let p = temp("empty.csv");
        std::fs::write(&p, "").unwrap();
        assert_eq!(
            open(&p, &ReadOptions::default()).err(),
            Some(ReadError::Empty)
        );
        let x = temp("s.xlsx");
        let mut w = SheetWriter::create(&x, &["姓名"]).unwrap();
        w.write_row(&["张三"]).unwrap();
        w.finish().unwrap();
        let e = open(
            &x,
            &ReadOptions {
                sheet: Some("名单".into()),
                ..Default::default()
            },
        )
        .err()
        .unwrap();
        assert!(
            matches!(e, ReadError::SheetNotFound { ref available, .. } if available == "Sheet1"),
            "{e}"
        );
        let broken = temp("broken.xlsx");
        std::fs::write(&broken, b"PK\x03\x04garbage").unwrap();
        let e = open(&broken, &ReadOptions::default()).err().unwrap();
        assert!(matches!(e, ReadError::Unreadable { .. }));
        assert!(e.to_string().contains("不是完整的 XLSX 表格"), "{e}");
        assert!(!e.to_string().is_ascii() && !e.to_string().contains("Zip"));
        // A picture or a PDF renamed to .csv or .xlsx says so.
        let picture = temp("photo.csv");
        std::fs::write(&picture, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
        let e = open(&picture, &ReadOptions::default()).err().unwrap();
        assert_eq!(e, ReadError::NotASheet("是图片"));
        assert!(e.to_string().contains("不是表格"), "{e}");
        let pdf = temp("scan.xlsx");
        std::fs::write(&pdf, b"%PDF-1.7\n").unwrap();
        assert_eq!(
            open(&pdf, &ReadOptions::default()).err(),
            Some(ReadError::NotASheet("是 PDF 文档"))
        );
        let binary = temp("data.csv");
        std::fs::write(&binary, b"abc\0\0\x01def").unwrap();
        assert!(matches!(
            open(&binary, &ReadOptions::default()).err(),
            Some(ReadError::NotASheet(_))
        ));
        // A truncated workbook: the start of a real one.
        let whole = std::fs::read(&x).unwrap();
        let cut = temp("cut.xlsx");
        std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
        let e = open(&cut, &ReadOptions::default()).err().unwrap();
        assert!(e.to_string().contains("不是完整的 XLSX 表格"), "{e}");
        for f in [picture, pdf, binary, cut] {
            let _ = std::fs::remove_file(f);
        }
        assert!(matches!(
            open(&temp("missing.csv"), &ReadOptions::default()),
            Err(ReadError::Io(_))
        ));
        for f in [p, x, broken] {
            let _ = std::fs::remove_file(f);
        }
    }

    #[test]
    fn a_highly_compressed_part_is_refused() {
        let x = temp("bomb.xlsx");
        let mut w = SheetWriter::create(&x, &["备注"]).unwrap();
        for _ in 0..2_000 {
            w.write_row(&["0".repeat(5_000)]).unwrap();
        }
        w.finish().unwrap();
        assert!(matches!(
            check_zip(&x, MAX_EXPANDED, 1 << 20),
            Err(ReadError::TooLarge(_))
        ));
        assert!(matches!(
            check_zip(&x, 1 << 20, u64::MAX),
            Err(ReadError::TooLarge(_))
        ));
        assert!(check_zip(&x, MAX_EXPANDED, 100 << 20).is_ok());
        let _ = std::fs::remove_file(x);
    }

    /// A minimal XLSX whose first sheet holds one inline-string cell of `text`.
    fn xlsx_with_text(path: &std::path::Path, text: &str) {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(File::create(path).unwrap());
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let parts = [
            ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned()),
            ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned()),
            ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned()),
            ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned()),
            ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c><c r="B1" t="inlineStr"><is><t>备注</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>张三</t></is></c><c r="B2" t="inlineStr"><is><t>{text}</t></is></c></row><row r="3"><c r="A3" t="inlineStr"><is><t>李四</t></is></c></row></sheetData></worksheet>"#)),
        ];
        for (name, body) in parts {
            z.start_file(name, o).unwrap();
            z.write_all(body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }

    #[test]
    fn a_cell_over_excels_limit_is_a_fault_of_its_row_not_the_file() {
        let long = "长".repeat(MAX_CELL_CHARS + 1);
        let x = temp("long.xlsx");
        xlsx_with_text(&x, &long);
        let c = temp("long.csv");
        std::fs::write(&c, format!("姓名,备注\n张三,{long}\n李四,\n")).unwrap();
        for p in [&x, &c] {
            let r = open(p, &ReadOptions::default()).unwrap();
            let rows: Vec<Row> = r.map(Result::unwrap).collect();
            assert_eq!(rows.len(), 2, "{}", p.display());
            assert_eq!(rows[0].too_long, vec![1]);
            assert_eq!(rows[0].cells[1], "");
            assert!(rows[1].too_long.is_empty());
        }
        // Exactly at the limit is accepted.
        let ok = Row::new(2, vec!["长".repeat(MAX_CELL_CHARS)]);
        assert!(ok.too_long.is_empty());
        let _ = std::fs::remove_file(x);
        let _ = std::fs::remove_file(c);
    }

    #[test]
    fn a_giant_cell_refuses_the_file_before_it_is_read() {
        let x = temp("giant.xlsx");
        xlsx_with_text(&x, &"a".repeat((MAX_TEXT_BYTES + 10) as usize));
        assert!(
            matches!(open(&x, &ReadOptions::default()), Err(ReadError::TooLarge(ref m)) if m.contains("单元格")),
            "giant inline text"
        );
        let c = temp("giant.csv");
        let mut body = String::from("姓名,备注\n张三,");
        body.push_str(&"a".repeat((MAX_RECORD_BYTES + (1 << 20)) as usize));
        body.push_str("\n李四,x\n");
        std::fs::write(&c, body).unwrap();
        let mut r = open(&c, &ReadOptions::default()).unwrap();
        assert!(matches!(r.next_row(), Err(ReadError::TooLarge(_))));
        let _ = std::fs::remove_file(x);
        let _ = std::fs::remove_file(c);
    }

    #[test]
    fn a_reader_that_stops_early_is_an_error_not_the_end() {
        let c = temp("stop.csv");
        let mut body = String::from("姓名,等级\n");
        for i in 0..2_000 {
            body.push_str(&format!("人{i},1\n"));
        }
        std::fs::write(&c, body).unwrap();
        let opts = ReadOptions {
            fail_at_row: Some(1_500),
            ..Default::default()
        };
        let r = open(&c, &opts).unwrap();
        let results: Vec<Result<Row, ReadError>> = r.collect();
        assert_eq!(results.last(), Some(&Err(ReadError::Interrupted)));
        assert!(results.iter().filter(|r| r.is_ok()).count() < 1_499);
        // Unhindered, the same file ends with its last row.
        let r = open(&c, &ReadOptions::default()).unwrap();
        assert_eq!(r.map(Result::unwrap).count(), 2_000);
        let _ = std::fs::remove_file(c);
    }
}
