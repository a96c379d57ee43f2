/// FNV-1a, 64 bits: a stable hash of imported values, stored to tell changed rows from unchanged
/// ones across runs and versions (std's `DefaultHasher` is not guaranteed stable across releases).
/// Ten lines do not justify a dependency.
pub fn fnv1a64<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let mut feed = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    };
    for v in values {
        match v {
            // A marker byte keeps NULL, "" and field boundaries distinct.
            None => feed(0xff),
            Some(s) => {
                feed(0xfe);
                s.bytes().for_each(&mut feed);
            }
        }
    }
    h as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguishes_null_empty_and_boundaries() {
        let a = fnv1a64([None]);
        let b = fnv1a64([Some("")]);
        let c = fnv1a64([Some("ab"), Some("c")]);
        let d = fnv1a64([Some("a"), Some("bc")]);
        assert_ne!(a, b);
        assert_ne!(c, d);
        assert_eq!(c, fnv1a64([Some("ab"), Some("c")]));
    }
}
