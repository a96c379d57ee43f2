//! Name keys for prefix search: upper case, accents folded, punctuation as single spaces.
//!
//! "Côte-d'Or" and "COTE D OR" have the same key, so a user finds a structure however its name
//! was typed in the file or in the search box.

/// The search key of a name.
pub fn name_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_uppercase());
            continue;
        }
        for f in fold(c).chars() {
            if f.is_ascii_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(f.to_ascii_uppercase());
            } else {
                pending_space = true;
            }
        }
    }
    out
}

/// The key of a prefix typed by a user: like [`name_key`], but a trailing separator is kept so
/// that "DE " does not match "DELAUNAY".
pub fn prefix_key(s: &str) -> String {
    let mut k = name_key(s);
    if !k.is_empty() && s.ends_with(|c: char| !c.is_alphanumeric()) {
        k.push(' ');
    }
    k
}

fn fold(c: char) -> &'static str {
    match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "A",
        'Æ' | 'æ' => "AE",
        'Ç' | 'ç' => "C",
        'È' | 'É' | 'Ê' | 'Ë' | 'è' | 'é' | 'ê' | 'ë' => "E",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'ì' | 'í' | 'î' | 'ï' => "I",
        'Ñ' | 'ñ' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "O",
        'Œ' | 'œ' => "OE",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'ù' | 'ú' | 'û' | 'ü' => "U",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => "Y",
        'ß' => "SS",
        // ASCII letters and digits never reach here (name_key handles them first).
        _ => " ",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(name_key("Côte-d'Or"), "COTE D OR");
        assert_eq!(name_key("  CHU de  Nice "), "CHU DE NICE");
        assert_eq!(name_key("Œuvre Saint-Étienne"), "OEUVRE SAINT ETIENNE");
        assert_eq!(name_key("CABINET DE M. MAXIMAXIMAXIMAXIM0027061"), "CABINET DE M MAXIMAXIMAXIMAXIM0027061");
        assert_eq!(prefix_key("de "), "DE ");
        assert_eq!(prefix_key("chu"), "CHU");
    }
}
