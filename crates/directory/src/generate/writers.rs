//! Writing records: FINESS `;` records, RPPS and card `|` records.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

pub(super) fn create(path: &Path) -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(1 << 20, File::create(path)?))
}

/// A FINESS record: `;`-separated with a trailing `;`; a field is `"`-quoted (inner quotes
/// doubled) only if it holds a `;` or a `"`.
pub(super) fn write_finess_record(w: &mut impl Write, fields: &[&str]) -> io::Result<()> {
    for f in fields {
        let f = clean(f);
        if f.contains([';', '"']) {
            write!(w, "\"{}\";", f.replace('"', "\"\""))?;
        } else {
            write!(w, "{f};")?;
        }
    }
    w.write_all(b"\n")
}

/// An RPPS or card record: `|`-separated with a trailing `|`, unquoted (the importer reads these
/// files without quoting), so a `|` inside a field would shift columns: it becomes `/`.
pub(super) fn write_pipe_record(w: &mut impl Write, fields: &[&str]) -> io::Result<()> {
    for f in fields {
        let f = clean(f);
        if f.contains('|') {
            w.write_all(f.replace('|', "/").as_bytes())?;
        } else {
            w.write_all(f.as_bytes())?;
        }
        w.write_all(b"|")?;
    }
    w.write_all(b"\n")
}

/// Control characters (line breaks included) would split or break a record: spaces instead. The
/// generated values never hold any; this guards the seed data and future edits.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        std::borrow::Cow::Owned(s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finess_records_quote_only_when_needed() {
        let mut out = Vec::new();
        write_finess_record(&mut out, &["a", "b;c", "d\"e", "L'ARCHET"]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a;\"b;c\";\"d\"\"e\";L'ARCHET;\n");
        let mut out = Vec::new();
        write_pipe_record(&mut out, &["a|b", "c\nd", ""]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a/b|c d||\n");
    }
}
