//! The one escaper for text going into HTML or XML (pages, feeds, sitemaps, Markdown captions):
//! `& < > " '` become entities that both languages read (`&#39;`, not HTML's missing `&apos;`),
//! and the characters XML 1.0 cannot carry even escaped (C0 controls but tab and line ends,
//! U+FFFE, U+FFFF) are dropped, so text from the store can never make a document unparseable.

use std::fmt;

/// `s` escaped into a new string.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    // Writing into a String cannot fail.
    let _ = write_escaped(&mut out, s);
    out
}

/// Writes `s` escaped to `dest`, copying the runs between the characters that change.
pub fn write_escaped<W: fmt::Write + ?Sized>(dest: &mut W, s: &str) -> fmt::Result {
    let bytes = s.as_bytes();
    let mut last = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let (entity, len) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&#39;", 1),
            0x00..=0x1f if !matches!(b, b'\t' | b'\n' | b'\r') => ("", 1),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                ("", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        // `i` is at an ASCII byte or a lead byte, so both slices are on char boundaries.
        dest.write_str(s.get(last..i).unwrap_or_default())?;
        dest.write_str(entity)?;
        i += len;
        last = i;
    }
    dest.write_str(s.get(last..).unwrap_or_default())
}

/// Whether XML 1.0 forbids `c` even as a character reference.
pub fn is_forbidden_in_xml(c: char) -> bool {
    ((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_quotes_and_ampersands_become_entities_both_html_and_xml_read() {
        assert_eq!(
            escape(r#"Tom & Jerry <b>"hi" 'x'</b>é"#),
            "Tom &amp; Jerry &lt;b&gt;&quot;hi&quot; &#39;x&#39;&lt;/b&gt;é"
        );
        assert_eq!(escape("already &amp;"), "already &amp;amp;");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped_and_others_kept() {
        assert_eq!(escape("a\u{0}b\u{1b}c\td\ne\r"), "abc\td\ne\r");
        assert_eq!(escape("x\u{FFFE}y\u{FFFF}z\u{FFFD}"), "xyz\u{FFFD}");
        assert_eq!(escape("日本\u{EFFF}"), "日本\u{EFFF}");
    }
}
