/// A stable 64-bit hash of imported values (xxh3, a published algorithm), stored to tell changed
/// rows from unchanged ones across runs and versions (std's `DefaultHasher` is not guaranteed
/// stable across releases).
pub fn row_hash<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> i64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for v in values {
        match v {
            // A marker byte and the length keep NULL, "" and field boundaries distinct.
            None => h.update(&[0xff]),
            Some(s) => {
                h.update(&[0xfe]);
                h.update(&(s.len() as u32).to_le_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    h.digest() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_null_empty_and_boundaries() {
        let a = row_hash([None]);
        let b = row_hash([Some("")]);
        let c = row_hash([Some("ab"), Some("c")]);
        let d = row_hash([Some("a"), Some("bc")]);
        assert_ne!(a, b);
        assert_ne!(c, d);
        assert_eq!(c, row_hash([Some("ab"), Some("c")]));
    }
}
