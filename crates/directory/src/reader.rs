//! A streaming record reader for the open-data files: never the whole file in memory, UTF-8 or
//! Latin-1 (Windows-1252) detected from the first 64 KiB, BOM, CRLF, quoted fields and trailing
//! separators accepted; a line that cannot be decoded is returned as bad with its line number and
//! reason, and reading goes on.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// How the bytes of a file are decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// UTF-8, with or without a BOM.
    Utf8,
    /// ISO-8859-1 as the files write it; decoded as Windows-1252, its superset.
    Latin1,
}

impl Encoding {
    /// UTF-8 when the sample decodes as UTF-8, or when its valid multi-byte sequences outnumber
    /// its invalid ones (a damaged UTF-8 file: its bad lines are then reported, not mis-decoded);
    /// Latin-1 otherwise (accented Latin-1 bytes are almost never valid UTF-8 sequences).
    pub fn sniff(sample: &[u8]) -> Encoding {
        if sample.starts_with(b"\xEF\xBB\xBF") {
            return Encoding::Utf8; // a BOM declares UTF-8
        }
        let (mut valid_multibyte, mut invalid) = (0usize, 0usize);
        let mut rest = sample;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    valid_multibyte += s.chars().filter(|c| !c.is_ascii()).count();
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    valid_multibyte +=
                        std::str::from_utf8(good).map(|s| s.chars().filter(|c| !c.is_ascii()).count()).unwrap_or(0);
                    match e.error_len() {
                        // A sequence cut by the end of the sample is not an error of the file.
                        None => break,
                        Some(n) => {
                            invalid += 1;
                            rest = &bad[n..];
                        }
                    }
                }
            }
        }
        if invalid == 0 || valid_multibyte >= invalid {
            Encoding::Utf8
        } else {
            Encoding::Latin1
        }
    }
}

/// Counts bytes read (for progress) and remembers the last byte (to tell a file cut in the middle
/// of a line from a complete one).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
    last: Option<u8>,
    lines: LineIndex,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
            let start = self.count.fetch_add(n as u64, Ordering::Relaxed);
            self.lines.saw(start, &buf[..n]);
        }
        Ok(n)
    }
}

/// Line numbers from byte offsets. The csv crate's own line count is wrong for CRLF files (one too low: the `\r`
/// ends a record and its `\n` is counted with the next one) and after blank lines, and the position it gives for a
/// record's start may point at the line ends before it. So the line of a record is found here: skip the line-end
/// bytes at its given start, then count the line feeds before it. Records are asked for in file order, so only the
/// line ends read ahead of the current record (the csv buffer's worth) are kept.
#[derive(Default)]
struct LineIndex {
    /// Offsets of the line-end bytes (`\r`, `\n`) read but not yet passed, with whether each is a line feed.
    ahead: VecDeque<(u64, bool)>,
    /// Line feeds passed so far.
    passed: u64,
}

impl LineIndex {
    fn saw(&mut self, start: u64, bytes: &[u8]) {
        self.ahead.extend(memchr::memchr2_iter(b'\r', b'\n', bytes).map(|i| (start + i as u64, bytes[i] == b'\n')));
    }

    /// The 1-based line of the record the csv reader says starts at `offset`.
    fn line_at(&mut self, mut offset: u64) -> u64 {
        while let Some(&(at, newline)) = self.ahead.front() {
            if at > offset {
                break;
            }
            if at == offset {
                // A line end where the record is said to start: the record starts after it.
                offset += 1;
            }
            self.passed += u64::from(newline);
            self.ahead.pop_front();
        }
        self.passed + 1
    }
}

/// One decoded record: its fields in one buffer.
#[derive(Debug, Default)]
pub struct Record {
    buf: String,
    ends: Vec<usize>,
    /// 1-based line number where the record starts.
    pub line: u64,
}

impl Record {
    /// The number of fields, including the empty one a trailing separator leaves.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the record has no field at all.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, trimmed; `""` past the end.
    pub fn get(&self, i: usize) -> &str {
        if i >= self.ends.len() {
            return "";
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.buf[start..self.ends[i]].trim()
    }

    /// Field `i`, or `None` when empty.
    pub fn opt(&self, i: usize) -> Option<&str> {
        Some(self.get(i)).filter(|s| !s.is_empty())
    }

    /// Whether the record has `n` fields, allowing the empty extra field a trailing separator
    /// leaves (the public files end their lines with `;` or `|`; some exports do not).
    pub fn has_fields(&self, n: usize) -> bool {
        self.len() == n || (self.len() == n + 1 && self.get(n).is_empty())
    }

    /// The number of fields without trailing empty ones (for header lines, whose names are
    /// never empty).
    pub fn len_without_trailing_empty(&self) -> usize {
        let mut n = self.len();
        while n > 0 && self.get(n - 1).is_empty() {
            n -= 1;
        }
        n
    }
}

/// What [`RecordReader::next`] returns.
#[derive(Debug)]
pub enum Next {
    /// A record was read into the [`Record`] passed to [`RecordReader::next`].
    Record,
    /// A line that cannot be decoded: its number and why.
    Bad {
        /// 1-based number of the line.
        line: u64,
        /// Why it was rejected (binary data, invalid UTF-8, unreadable record).
        reason: String,
    },
    /// The end of the file.
    End,
}

/// Streaming reader of delimited records.
pub struct RecordReader<R: Read> {
    csv: csv::Reader<Counting<io::Chain<io::Cursor<Vec<u8>>, R>>>,
    raw: csv::ByteRecord,
    encoding: Encoding,
    bytes: Arc<AtomicU64>,
    first: bool,
}

/// Size of the sample used to detect the encoding and the file kind.
pub const SAMPLE: usize = 64 * 1024;

impl<R: Read> RecordReader<R> {
    /// Reads the sample, detects the encoding, and prepares to read records.
    pub fn new(mut inner: R, delimiter: u8, quoted: bool) -> io::Result<(Self, Vec<u8>)> {
        let mut sample = Vec::with_capacity(SAMPLE);
        (&mut inner).take(SAMPLE as u64).read_to_end(&mut sample)?;
        let encoding = Encoding::sniff(&sample);
        let bytes = Arc::new(AtomicU64::new(0));
        let chained = io::Cursor::new(sample.clone()).chain(inner);
        let counting = Counting { inner: chained, count: bytes.clone(), last: None, lines: LineIndex::default() };
        let csv = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .quoting(quoted)
            .double_quote(true)
            .from_reader(counting);
        Ok((RecordReader { csv, raw: csv::ByteRecord::new(), encoding, bytes, first: true }, sample))
    }

    /// The encoding detected from the sample.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// A shared counter of the bytes read so far.
    pub fn bytes_read(&self) -> Arc<AtomicU64> {
        self.bytes.clone()
    }

    /// Whether the input ended with a line break (a file cut in the middle usually does not).
    pub fn ended_with_newline(&self) -> bool {
        matches!(self.csv.get_ref().last, Some(b'\n') | None)
    }

    /// Reads the next record into `out`.
    pub fn next(&mut self, out: &mut Record) -> io::Result<Next> {
        loop {
            match self.csv.read_byte_record(&mut self.raw) {
                Ok(false) => return Ok(Next::End),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| self.csv.get_mut().lines.line_at(p.byte()));
                    if let csv::ErrorKind::Io(io) = e.into_kind() {
                        return Err(io);
                    }
                    return Ok(Next::Bad { line, reason: "unreadable record".into() });
                }
            }
            let line = self.raw.position().map_or(0, |p| self.csv.get_mut().lines.line_at(p.byte()));
            if self.first {
                self.first = false;
                strip_bom(&mut self.raw);
            }
            // Blank lines carry nothing: skip them silently.
            if self.raw.len() == 1 && self.raw.get(0).is_some_and(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            out.line = line;
            out.buf.clear();
            out.ends.clear();
            for (i, field) in self.raw.iter().enumerate() {
                if let Some(&b) = field.iter().find(|&&b| b < 0x20 && b != b'\t') {
                    return Ok(Next::Bad {
                        line,
                        reason: format!("binary data (control byte 0x{b:02x}) in field {}", i + 1),
                    });
                }
                match self.encoding {
                    Encoding::Utf8 => match std::str::from_utf8(field) {
                        Ok(s) => out.buf.push_str(s),
                        Err(e) => {
                            return Ok(Next::Bad {
                                line,
                                reason: format!("invalid UTF-8 in field {} at byte {}", i + 1, e.valid_up_to() + 1),
                            })
                        }
                    },
                    Encoding::Latin1 => {
                        let (s, _, _) = encoding_rs::WINDOWS_1252.decode(field);
                        out.buf.push_str(&s);
                    }
                }
                out.ends.push(out.buf.len());
            }
            return Ok(Next::Record);
        }
    }
}

fn strip_bom(r: &mut csv::ByteRecord) {
    if let Some(f0) = r.get(0) {
        if let Some(rest) = f0.strip_prefix(b"\xEF\xBB\xBF") {
            let mut fixed = csv::ByteRecord::new();
            fixed.push_field(rest);
            for f in r.iter().skip(1) {
                fixed.push_field(f);
            }
            fixed.set_position(r.position().cloned());
            *r = fixed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], delim: u8, quoted: bool) -> Vec<Result<Vec<String>, (u64, String)>> {
        let (mut r, _) = RecordReader::new(data, delim, quoted).unwrap();
        let mut rec = Record::default();
        let mut out = vec![];
        loop {
            match r.next(&mut rec).unwrap() {
                Next::End => break,
                Next::Record => out.push(Ok((0..rec.len()).map(|i| rec.get(i).to_owned()).collect())),
                Next::Bad { line, reason } => out.push(Err((line, reason))),
            }
        }
        out
    }

    #[test]
    fn bom_crlf_quotes_trailing_separator() {
        let data = b"\xEF\xBB\xBFa;\"b;c\";\"d\"\"e\";\r\nf;g;h;\r\n";
        let rows = read_all(data, b';', true);
        // The trailing separator leaves an empty last field; parsers allow it with has_fields().
        assert_eq!(rows[0].as_ref().unwrap(), &vec!["a", "b;c", "d\"e", ""]);
        assert_eq!(rows[1].as_ref().unwrap(), &vec!["f", "g", "h", ""]);
    }

    #[test]
    fn latin1_is_detected_and_decoded() {
        let data = b"CH\xc9RIE;C\xd4TE\n";
        let (r, _) = RecordReader::new(&data[..], b';', true).unwrap();
        assert_eq!(r.encoding(), Encoding::Latin1);
        assert_eq!(read_all(data, b';', true)[0].as_ref().unwrap(), &vec!["CHÉRIE", "CÔTE"]);
        let (mut r, _) = RecordReader::new(&b"a|b||\nc|d|\n"[..], b'|', false).unwrap();
        let mut rec = Record::default();
        r.next(&mut rec).unwrap();
        assert!(rec.has_fields(3) && !rec.has_fields(2) && rec.len_without_trailing_empty() == 2);
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let data = "ok|1|\nbad|\u{1}|\nok|2|\n".as_bytes();
        let rows = read_all(data, b'|', false);
        assert!(rows[0].is_ok());
        let (line, reason) = rows[1].as_ref().unwrap_err();
        assert_eq!(*line, 2);
        assert!(reason.contains("binary"), "{reason}");
        assert!(rows[2].is_ok());
    }

    /// Issue 15 point 20: CRLF files (as FINESS extracts opened and saved on Windows are) report the same line
    /// numbers as LF files.
    #[test]
    fn crlf_lines_are_numbered_as_lf_lines() {
        for (ending, data) in [
            ("LF", "ok|1|\nbad|\u{1}|\nok|2|\n\nbad|\u{2}|\n"),
            ("CRLF", "ok|1|\r\nbad|\u{1}|\r\nok|2|\r\n\r\nbad|\u{2}|\r\n"),
        ] {
            let rows = read_all(data.as_bytes(), b'|', false);
            let lines: Vec<u64> = rows.iter().filter_map(|r| r.as_ref().err().map(|(line, _)| *line)).collect();
            assert_eq!(lines, [2, 5], "{ending}: a blank line counts too");
        }
    }

    #[test]
    fn invalid_utf8_in_a_utf8_file() {
        let mut data = "é|1|\n".repeat(10).into_bytes();
        assert_eq!(Encoding::sniff(&data), Encoding::Utf8);
        data.extend_from_slice(b"x\xff|2|\n");
        let rows = read_all(&data, b'|', false);
        let (line, reason) = rows[10].as_ref().unwrap_err();
        assert_eq!(*line, 11);
        assert!(reason.contains("UTF-8"));
    }

    #[test]
    fn cut_file_is_noticed() {
        let (mut r, _) = RecordReader::new(&b"a|b|\nc|d"[..], b'|', false).unwrap();
        let mut rec = Record::default();
        while !matches!(r.next(&mut rec).unwrap(), Next::End) {}
        assert!(!r.ended_with_newline());
    }
}
