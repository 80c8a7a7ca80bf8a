//! Turning raw bytes into an HTML string: charset detection, a check that the
//! input is HTML at all, and a cheap pre-pass that cuts out scripts, styles,
//! SVG and comments before the (much slower) HTML5 tokenizer sees them.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};
use memchr::memchr;

use crate::ExtractError;

/// Decodes `bytes` to text, choosing the charset from (in order) a byte-order
/// mark, the HTTP Content-Type header, a `<meta>` declaration, then detection.
pub fn decode<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> Result<(Cow<'a, str>, &'static Encoding), ExtractError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        if !looks_like_html(&text) {
            return Err(ExtractError::NotHtml("no HTML markup found".into()));
        }
        return Ok((text, enc));
    }
    check_binary(bytes)?;
    let declared = content_type
        .and_then(charset_from_content_type)
        .or_else(|| meta_charset(&bytes[..bytes.len().min(16 * 1024)]));
    let utf8 = std::str::from_utf8(bytes).ok();
    let utf8_ok = utf8.is_some();
    let enc = match declared {
        // Pages that declare a legacy charset but are valid UTF-8 with
        // non-ASCII text are far more often mislabelled than not.
        Some(enc) if enc != UTF_8 && utf8_ok && !bytes.is_ascii() && enc.is_ascii_compatible() => {
            UTF_8
        }
        Some(enc) => enc,
        None if utf8_ok => UTF_8,
        None => {
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            det.feed(&bytes[..bytes.len().min(256 * 1024)], true);
            det.guess(None, chardetng::Utf8Detection::Allow)
        }
    };
    // UTF-16 declared in a meta tag is impossible for ASCII-compatible bytes.
    let enc = if enc.is_ascii_compatible() {
        enc
    } else {
        UTF_8
    };
    // Valid UTF-8 (most pages) is used in place, not validated twice.
    let text = match utf8 {
        Some(t) if enc == UTF_8 => Cow::Borrowed(t),
        _ => enc.decode_without_bom_handling(bytes).0,
    };
    if !looks_like_html(&text) {
        return Err(ExtractError::NotHtml("no HTML markup found".into()));
    }
    Ok((text, enc))
}

fn check_binary(bytes: &[u8]) -> Result<(), ExtractError> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF document"),
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "gzip-compressed data"),
        (b"RIFF", "a RIFF (WebP/AVI/WAV) file"),
        (b"\x7fELF", "an executable"),
    ];
    for (magic, what) in MAGIC {
        if bytes.starts_with(magic) {
            return Err(ExtractError::NotHtml(format!("input is {what}")));
        }
    }
    let head = &bytes[..bytes.len().min(4096)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    if !head.is_empty() && control * 20 > head.len() {
        return Err(ExtractError::NotHtml("input looks like binary data".into()));
    }
    Ok(())
}

fn looks_like_html(text: &str) -> bool {
    let b = text.as_bytes();
    let head = &b[..b.len().min(1 << 20)];
    let mut i = 0;
    while let Some(p) = memchr(b'<', &head[i..]) {
        let p = i + p;
        if let Some(&c) = head.get(p + 1)
            && (c.is_ascii_alphabetic() || c == b'!')
        {
            return true;
        }
        i = p + 1;
    }
    false
}

fn charset_from_content_type(ct: &str) -> Option<&'static Encoding> {
    let lower = ct.to_ascii_lowercase();
    let pos = lower.find("charset=")?;
    let rest = lower[pos + 8..].trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Encoding::for_label(&rest.as_bytes()[..end])
}

fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while let Some(p) = memchr(b'<', &head[i..]) {
        let p = i + p;
        i = p + 1;
        if !starts_with_ci(&head[p + 1..], b"meta") {
            continue;
        }
        let end = memchr(b'>', &head[p..]).map_or(head.len(), |e| p + e);
        let tag = String::from_utf8_lossy(&head[p..end]).to_ascii_lowercase();
        if let Some(pos) = tag.find("charset") {
            let rest = tag[pos + 7..].trim_start();
            let Some(rest) = rest.strip_prefix('=') else {
                continue;
            };
            let rest = rest.trim_start().trim_start_matches(['"', '\'']);
            let stop = rest
                .find(|c: char| c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace())
                .unwrap_or(rest.len());
            if let Some(enc) = Encoding::for_label(&rest.as_bytes()[..stop]) {
                return Some(enc);
            }
        }
    }
    None
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Finds `</name` (any case) at or after `from`.
fn find_close(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while let Some(p) = memchr(b'<', &b[i..]) {
        let p = i + p;
        if b.get(p + 1) == Some(&b'/') && starts_with_ci(&b[p + 2..], name) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

fn find_bytes(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while let Some(p) = memchr(first, &b[i..]) {
        let p = i + p;
        if b[p..].starts_with(needle) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// Deepest element nesting passed to the tree builder.
pub const MAX_DEPTH: usize = 2000;

/// Elements that never nest (void) or whose end tag is usually omitted.
fn is_void_or_optional(name: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[
        b"area",
        b"base",
        b"br",
        b"col",
        b"embed",
        b"hr",
        b"img",
        b"input",
        b"link",
        b"meta",
        b"param",
        b"source",
        b"track",
        b"wbr",
        b"p",
        b"li",
        b"dt",
        b"dd",
        b"tr",
        b"td",
        b"th",
        b"tbody",
        b"thead",
        b"tfoot",
        b"option",
        b"optgroup",
        b"colgroup",
        b"rb",
        b"rt",
        b"rp",
        b"html",
        b"head",
        b"body",
    ];
    NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// Removes comments and the contents of `script` (except JSON-LD), `style`,
/// `noscript`, `template` and `svg` elements. They hold no article text, and
/// skipping them here is several times cheaper than tokenizing them.
pub fn prestrip(s: &str) -> String {
    const RAW: &[&[u8]] = &[
        b"script",
        b"style",
        b"noscript",
        b"template",
        b"svg",
        b"iframe",
    ];
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() / 2);
    let mut last = 0;
    let mut i = 0;
    let mut depth = 0usize;
    // The next `>` at or after the current tag, found once and reused while
    // the scan moves on: pages full of `<` and no `>` stay linear.
    let mut gt: Option<usize> = None;
    let mut next_gt = |p: usize| -> usize {
        match gt {
            Some(g) if g >= p => g,
            _ => {
                let g = memchr(b'>', &b[p..]).map_or(b.len(), |e| p + e);
                gt = Some(g);
                g
            }
        }
    };
    // Bytes that failed attribute rewrites may scan in all (tags that never
    // end); past it, tags are left as they are.
    let mut rewrite_budget = 4 * b.len() + 4096;
    'scan: while let Some(p) = memchr(b'<', &b[i..]) {
        let p = i + p;
        let rest = &b[p + 1..];
        if rest.starts_with(b"!--") {
            let end = find_bytes(b, p + 4, b"-->").map_or(b.len(), |e| e + 3);
            // React's end-of-boundary marker stays: streamed content replaces
            // the fallback up to it (see `dom`).
            if &b[p..end] == b"<!--/$-->" {
                out.push_str(&s[last..end]);
            } else {
                out.push_str(&s[last..p]);
            }
            last = end;
            i = end;
            continue;
        }
        // Cap nesting: the HTML5 tree builder scans its stack of open
        // elements for many tags, which is quadratic on absurdly deep pages.
        // Beyond MAX_DEPTH, start and end tags are dropped (their text stays).
        if let Some(&c) = rest.first() {
            let closing = c == b'/';
            let name_start = if closing { 1 } else { 0 };
            let name_len = rest[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if name_len > 0 && (closing || c.is_ascii_alphabetic()) {
                let name = &rest[name_start..name_start + name_len];
                let counted =
                    !is_void_or_optional(name) && !RAW.iter().any(|r| name.eq_ignore_ascii_case(r));
                let tag_end = (next_gt(p) + 1).min(b.len());
                let self_closing = tag_end >= 2 && b[tag_end - 2] == b'/';
                if counted && !self_closing {
                    if closing {
                        let over = depth > MAX_DEPTH;
                        depth = depth.saturating_sub(1);
                        if over {
                            out.push_str(&s[last..p]);
                            last = tag_end;
                            i = tag_end;
                            continue;
                        }
                    } else {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            out.push_str(&s[last..p]);
                            last = tag_end;
                            i = tag_end;
                            continue;
                        }
                    }
                }
            }
        }
        let start_tag = rest.first().is_some_and(u8::is_ascii_alphabetic);
        for name in RAW {
            if start_tag
                && starts_with_ci(rest, name)
                && rest
                    .get(name.len())
                    .is_none_or(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
            {
                let open_end = (next_gt(p) + 1).min(b.len());
                if *name == b"script" {
                    let open = s[p..open_end].to_ascii_lowercase();
                    if open.contains("ld+json") {
                        // Kept verbatim: markup inside its strings is data.
                        i = find_close(b, open_end, name).unwrap_or(b.len());
                        continue 'scan;
                    }
                }
                let close = find_close(b, open_end, name);
                let end = match close {
                    Some(c) => memchr(b'>', &b[c..]).map_or(b.len(), |e| c + e + 1),
                    None => b.len(),
                };
                out.push_str(&s[last..p]);
                // Keep an empty element so the tree builder still sees it
                // (an iframe may be an embedded post; a template may mark
                // where streamed content goes).
                if *name == b"iframe" || *name == b"template" {
                    out.push_str(&s[p..open_end]);
                    out.push_str(if *name == b"iframe" {
                        "</iframe>"
                    } else {
                        "</template>"
                    });
                }
                last = end;
                i = end;
                continue 'scan;
            }
        }
        if start_tag && rewrite_budget > 0 {
            // Attributes nothing reads (data-*, aria-*, sizes...) are most of
            // a modern page's bytes; the tokenizer need not see them.
            let name_len = rest
                .iter()
                .take(MAX_NAME + 1)
                .take_while(|c| !is_tag_space(**c) && **c != b'>' && **c != b'/')
                .count();
            if name_len <= MAX_NAME {
                let name_end = p + 1 + name_len;
                let mark = out.len();
                out.push_str(&s[last..name_end]);
                match copy_read_attrs(s, name_end, &mut out) {
                    Some(end) => {
                        last = end;
                        i = end;
                        continue;
                    }
                    None => {
                        // Leave the tag to the tokenizer as it stands.
                        out.truncate(mark);
                        rewrite_budget = rewrite_budget.saturating_sub(b.len() - name_end);
                    }
                }
            }
        }
        i = p + 1;
    }
    out.push_str(&s[last..]);
    out
}

/// Longer tag names are left alone (no page needs them rewritten).
const MAX_NAME: usize = 64;

fn is_tag_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Copies the attributes of the start tag whose name ends at `from` that
/// the extractor reads (see [`crate::dom::used_attr`]), then the tag's end;
/// returns the index past its `>`, or `None` for a tag that never ends.
/// Attributes are delimited the way the HTML tokenizer does it, so a stray
/// quote swallows what it swallows in a browser.
fn copy_read_attrs(s: &str, from: usize, out: &mut String) -> Option<usize> {
    let b = s.as_bytes();
    let mut j = from;
    let mut lower = [0u8; 16];
    loop {
        let gap = j;
        while j < b.len() && (is_tag_space(b[j]) || b[j] == b'/') {
            j += 1;
        }
        let c = *b.get(j)?;
        if c == b'>' {
            // A `/` between attributes marks a self-closing tag; after an
            // unquoted value it must not be glued to the value.
            let self_closing = j > gap && b[j - 1] == b'/';
            out.push_str(if self_closing { " />" } else { ">" });
            return Some(j + 1);
        }
        let name_start = j;
        j += 1;
        // As in the HTML tokenizer, quotes and `<` in a name are part of it.
        while j < b.len() && !is_tag_space(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
            j += 1;
        }
        let name = &b[name_start..j];
        let mut k = j;
        while k < b.len() && is_tag_space(b[k]) {
            k += 1;
        }
        if b.get(k) == Some(&b'=') {
            k += 1;
            while k < b.len() && is_tag_space(b[k]) {
                k += 1;
            }
            match *b.get(k)? {
                q @ (b'"' | b'\'') => k += 1 + memchr(q, &b[k + 1..])? + 1,
                b'>' => {}
                _ => {
                    while k < b.len() && !is_tag_space(b[k]) && b[k] != b'>' {
                        k += 1;
                    }
                }
            }
            j = k;
        }
        let keep = name.len() <= lower.len() && {
            let l = &mut lower[..name.len()];
            l.copy_from_slice(name);
            l.make_ascii_lowercase();
            crate::dom::used_attr_bytes(l)
        };
        if keep {
            out.push(' ');
            out.push_str(&s[name_start..j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prestrip_drops_scripts_but_keeps_json_ld() {
        let s = "<p>a</p><script>var x = '<p>no</p>';</script><script type=\"application/ld+json\">{}</script><!-- c --><style>p{}</style><p>b</p>";
        assert_eq!(
            prestrip(s),
            "<p>a</p><script type=\"application/ld+json\">{}</script><p>b</p>"
        );
    }

    #[test]
    fn prestrip_keeps_only_attributes_that_are_read() {
        let s = "<div class=\"a\" data-x='1 > 2' ARIA-LABEL=x id=b hidden><img src=/p.jpg sizes=\"50vw\"/><br/><i class=x/>a</i></div>";
        assert_eq!(
            prestrip(s),
            "<div class=\"a\" id=b hidden><img src=/p.jpg /><br /><i class=x/>a</i></div>"
        );
    }

    #[test]
    fn prestrip_delimits_attributes_like_the_tokenizer() {
        // An unclosed quote swallows the next tag, as in a browser; the
        // swallowed tag is not rewritten.
        let s = "<div id=\"x</div><div data-a=\"IN\" data-b=\"IN\"></div><p title=t>text</p>";
        assert_eq!(
            prestrip(s),
            "<div id=\"x</div><div data-a=\"></div><p>text</p>"
        );
        // A tag that never ends is left alone.
        assert_eq!(prestrip("<p>a<div class=\"x"), "<p>a<div class=\"x");
    }

    #[test]
    fn prestrip_is_linear_on_tags_that_never_end() {
        // Every `<` opens a tag with no `>` after it, or one that runs to the
        // end of the page: no quadratic rescans, no panic.
        let pages = [
            "<p>".to_string() + &"<a".repeat(200_000),
            "<p x=\"".to_string() + &"<b c=\"d\">".repeat(50_000),
            "<p>".to_string() + &"<div class=x ".repeat(50_000),
            "<p>".to_string() + &"<a".repeat(100_000) + ">",
        ];
        for page in pages {
            let t = std::time::Instant::now();
            let out = prestrip(&page);
            assert!(out.len() <= page.len() + 16);
            assert!(t.elapsed().as_millis() < 2_000, "{:?}", t.elapsed());
        }
    }

    #[test]
    fn json_ld_is_not_rewritten() {
        let s = "<script type=\"application/ld+json\">{\"articleBody\":\"<p data-x=\\\"1\\\">Hi</p>\"}</script><p data-y=2>a</p>";
        assert_eq!(
            prestrip(s),
            "<script type=\"application/ld+json\">{\"articleBody\":\"<p data-x=\\\"1\\\">Hi</p>\"}</script><p>a</p>"
        );
    }

    #[test]
    fn charset_from_meta_tag_is_used() {
        let bytes =
            b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>caf\xe9</p></body></html>";
        let (text, enc) = decode(bytes, None).expect("decodes");
        assert_eq!(enc.name(), "windows-1252");
        assert!(text.contains("café"));
    }

    #[test]
    fn charset_from_header_wins_over_detection() {
        let bytes = b"<p>\xe4\xf6\xfc</p>";
        let (text, _) = decode(bytes, Some("text/html; charset=ISO-8859-1")).expect("decodes");
        assert!(text.contains("äöü"));
    }

    #[test]
    fn utf16_bom_is_honoured() {
        let mut bytes = vec![0xff, 0xfe];
        for c in "<p>hi</p>".encode_utf16() {
            bytes.extend_from_slice(&c.to_le_bytes());
        }
        let (text, _) = decode(&bytes, None).expect("decodes");
        assert_eq!(text, "<p>hi</p>");
    }

    #[test]
    fn binary_input_is_not_html() {
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\n\0\0", None),
            Err(ExtractError::NotHtml(_))
        ));
        assert!(matches!(
            decode(&[0u8, 1, 2, 3, 4, 5, 6, 7, 8], None),
            Err(ExtractError::NotHtml(_))
        ));
        assert!(matches!(
            decode(b"just some words", None),
            Err(ExtractError::NotHtml(_))
        ));
    }
}
