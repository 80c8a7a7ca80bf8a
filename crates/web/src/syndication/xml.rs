//! A tiny XML writer for the sitemaps: they are flat lists, and a writer that escapes every text
//! and attribute value in one place is easier to trust than ad-hoc `format!`s.

use std::fmt::Write as _;

pub use newsdesk_core::markup::escape;
use newsdesk_core::markup::is_forbidden_in_xml as forbidden;

/// Drops the characters XML 1.0 cannot carry even escaped, so text from the store never makes
/// a feed unparseable. Feed crates escape markup but pass these through.
pub fn xml_safe(s: &str) -> String {
    if !s.chars().any(forbidden) {
        return s.to_owned();
    }
    s.chars().filter(|c| !forbidden(*c)).collect()
}

pub struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    /// Opens `<name a="v" ...>`; attribute values are escaped.
    pub fn start(&mut self, name: &'static str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", escape(v));
        }
        self.out.push_str(">\n");
        self.open.push(name);
    }

    pub fn end(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            let _ = writeln!(self.out, "</{name}>");
        }
    }

    /// `<name>text</name>` with the text escaped.
    pub fn text(&mut self, name: &'static str, text: &str) {
        self.indent();
        let _ = writeln!(self.out, "<{name}>{}</{name}>", escape(text));
    }

    /// Closes whatever is still open and returns the document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.end();
        }
        self.out
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_handles_markup_quotes_and_forbidden_controls() {
        assert_eq!(
            escape(r#"Tom & Jerry <b>"hi" 'x'"#),
            "Tom &amp; Jerry &lt;b&gt;&quot;hi&quot; &#39;x&#39;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td"), "abc\td");
        assert_eq!(escape("already &amp;"), "already &amp;amp;");
    }

    #[test]
    fn writer_escapes_text_and_attributes_and_closes_elements() {
        let mut w = XmlWriter::new();
        w.start("root", &[("xmlns", "http://x/?a=1&b=2")]);
        w.text("loc", "http://x/?q=<a>&b");
        let doc = w.finish();
        assert!(doc.contains(r#"<root xmlns="http://x/?a=1&amp;b=2">"#));
        assert!(doc.contains("<loc>http://x/?q=&lt;a&gt;&amp;b</loc>"));
        assert!(doc.trim_end().ends_with("</root>"));
    }
}
