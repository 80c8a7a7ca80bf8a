//! Snippets as HTML: the article's text escaped (a `<script>` in a body is shown as text) with the
//! matched words in `<mark>`. tantivy finds the fragment; the markup is ours so escaping is too.

use tantivy::snippet::{Snippet, collapse_overlapped_ranges};

pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The snippet's fragment with its highlights; an ellipsis marks text cut on either side.
pub(crate) fn to_html(snippet: &Snippet, full_len: usize) -> String {
    let fragment = snippet.fragment();
    let range = snippet.fragment_range();
    let mut out = String::with_capacity(fragment.len() + 32);
    if range.start > 0 {
        out.push('…');
    }
    let mut at = 0;
    for r in collapse_overlapped_ranges(snippet.highlighted()) {
        let (Some(before), Some(word)) = (fragment.get(at..r.start), fragment.get(r.clone()))
        else {
            continue;
        };
        escape_into(&mut out, before);
        out.push_str("<mark>");
        escape_into(&mut out, word);
        out.push_str("</mark>");
        at = r.end;
    }
    escape_into(&mut out, fragment.get(at..).unwrap_or(""));
    if range.end < full_len {
        out.push('…');
    }
    out
}

/// The start of `text`, cut at a word boundary near `max` characters, escaped.
pub(crate) fn lead_html(text: &str, max: usize) -> String {
    let mut out = String::new();
    if text.chars().count() <= max {
        escape_into(&mut out, text.trim());
        return out;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(char::is_whitespace) {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    escape_into(&mut out, cut.trim_end());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        let mut out = String::new();
        escape_into(&mut out, r#"<script>alert("x")</script> & 'y'"#);
        assert_eq!(
            out,
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn the_lead_is_cut_at_a_word() {
        assert_eq!(lead_html("one two three four", 12), "one two…");
        assert_eq!(lead_html("short <b>", 40), "short &lt;b&gt;");
    }
}
