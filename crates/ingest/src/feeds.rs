//! Feed parsing (RSS 0.9x/1.0/2.0, Atom, JSON Feed via feed-rs), charset repair, and feed
//! discovery from a site's home page (`<link rel="alternate">`).
//!
//! Feeds lie about their charset often enough that the bytes are decoded here before parsing:
//! a byte-order mark wins, then the HTTP header, then the XML declaration; a declared UTF-8 that
//! is not valid UTF-8, or no declaration at all on non-UTF-8 bytes, is sniffed with chardetng.

use chrono::{DateTime, Utc};
use encoding_rs::Encoding;
use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("not a feed: {0}")]
    Parse(String),
    #[error("an HTML page, not a feed")]
    Html,
}

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// The feed's id for the entry, or its link.
    pub guid: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub published: Option<DateTime<Utc>>,
    /// The entry's categories (RSS `<category>`, Atom `<category label|term>`), each once.
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub entries: Vec<FeedEntry>,
    /// Entries skipped because they have no usable link.
    pub skipped: usize,
}

const SUMMARY_CHARS: usize = 1000;

/// More categories than this on one entry are keyword stuffing, not sections.
const MAX_CATEGORIES: usize = 8;

fn entry_categories(categories: &[feed_rs::model::Category]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in categories {
        let name = c
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(&c.term);
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        // A category is a name, not a URL or a path of an agency's taxonomy.
        if name.is_empty() || name.chars().count() > 60 || name.contains("://") {
            continue;
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
        if out.len() == MAX_CATEGORIES {
            break;
        }
    }
    out
}

/// Whether the bytes look like an HTML page rather than a feed.
pub fn looks_like_html(bytes: &[u8], content_type: Option<&str>) -> bool {
    if content_type.is_some_and(|c| c.to_ascii_lowercase().contains("text/html")) {
        return true;
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// Decodes feed bytes to UTF-8 text, trusting the BOM, then the header, then the document's own
/// declaration, and sniffing when those are missing or wrong.
pub fn decode_text(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return text.into_owned();
    }
    let declared = content_type
        .and_then(charset_param)
        .or_else(|| xml_declared_encoding(bytes))
        .and_then(|label| Encoding::for_label(label.as_bytes()));
    let valid_utf8 = std::str::from_utf8(bytes).is_ok();
    let enc = match declared {
        Some(enc) if enc != encoding_rs::UTF_8 => enc,
        // Declared (or defaulted to) UTF-8 and is: done.
        _ if valid_utf8 => encoding_rs::UTF_8,
        // Declared UTF-8 but is not, or nothing declared: sniff.
        _ => {
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            det.feed(bytes, true);
            det.guess(None, chardetng::Utf8Detection::Allow)
        }
    };
    let (text, _, _) = enc.decode(bytes);
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn xml_declaration_end(text: &[u8]) -> Option<usize> {
    if !text.starts_with(b"<?xml") {
        return None;
    }
    text.windows(2).position(|w| w == b"?>").map(|p| p + 2)
}

fn xml_declared_encoding(bytes: &[u8]) -> Option<String> {
    let end = xml_declaration_end(bytes)?;
    let decl = std::str::from_utf8(&bytes[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next()?;
    let rest = &rest[quote.len_utf8()..];
    Some(rest[..rest.find(quote)?].to_owned())
}

/// Parses a feed of any supported format from raw bytes.
pub fn parse_feed(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: &Url,
) -> Result<ParsedFeed, FeedError> {
    if looks_like_html(bytes, content_type) {
        return Err(FeedError::Html);
    }
    let mut text = decode_text(bytes, content_type);
    // The text is UTF-8 now: a declaration naming another charset would mislead the parser.
    if let Some(end) = xml_declaration_end(text.as_bytes()) {
        text.replace_range(..end, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    }
    let feed = feed_rs::parser::Builder::new()
        .base_uri(Some(base_url.as_str()))
        .build()
        .parse(text.as_bytes())
        .map_err(|e| FeedError::Parse(e.to_string()))?;
    let site_url = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .map(|l| l.href.clone());
    let mut entries = Vec::with_capacity(feed.entries.len());
    let mut skipped = 0;
    for e in feed.entries {
        let link = e
            .links
            .iter()
            .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
            .or_else(|| e.links.first())
            .and_then(|l| base_url.join(l.href.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let Some(link) = link else {
            skipped += 1;
            continue;
        };
        let summary = e
            .summary
            .map(|s| s.content)
            .or_else(|| e.content.and_then(|c| c.body))
            .unwrap_or_default();
        let guid = if e.id.trim().is_empty() {
            link.to_string()
        } else {
            e.id.trim().to_owned()
        };
        entries.push(FeedEntry {
            guid,
            url: link.to_string(),
            title: e
                .title
                .map(|t| t.content.trim().to_owned())
                .unwrap_or_default(),
            summary: summary.chars().take(SUMMARY_CHARS).collect(),
            published: e.published.or(e.updated),
            categories: entry_categories(&e.categories),
        });
    }
    Ok(ParsedFeed {
        title: feed
            .title
            .map(|t| t.content.trim().to_owned())
            .filter(|t| !t.is_empty()),
        site_url,
        entries,
        skipped,
    })
}

/// Feed URLs a home page advertises with `<link rel="alternate" type="...">`, in page order.
pub fn discover_feeds(html: &[u8], content_type: Option<&str>, base_url: &Url) -> Vec<Url> {
    let text = decode_text(html, content_type);
    let doc = scraper::Html::parse_document(&text);
    let Ok(sel) = scraper::Selector::parse("link[rel][href]") else {
        return Vec::new();
    };
    doc.select(&sel)
        .filter(|l| {
            let rel = l
                .value()
                .attr("rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let ty = l
                .value()
                .attr("type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            rel.split_whitespace().any(|r| r == "alternate")
                && matches!(
                    ty.as_str(),
                    "application/rss+xml"
                        | "application/atom+xml"
                        | "application/feed+json"
                        | "application/json"
                        | "application/rdf+xml"
                )
        })
        .filter_map(|l| base_url.join(l.value().attr("href")?.trim()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_comes_from_header_then_declaration() {
        assert_eq!(
            charset_param("application/rss+xml; charset=\"windows-1252\"").as_deref(),
            Some("windows-1252")
        );
        assert_eq!(
            xml_declared_encoding(b"<?xml version='1.0' encoding='ISO-8859-1'?><rss/>").as_deref(),
            Some("ISO-8859-1")
        );
    }

    #[test]
    fn windows_1252_bytes_decode_with_and_without_a_declaration() {
        let bytes =
            b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><t>caf\xe9 \x93quoted\x94</t>";
        assert!(decode_text(bytes, None).contains("café “quoted”"));
        let undeclared = b"<t>Le caf\xe9 de la gare \xe9tait ferm\xe9 toute la journ\xe9e</t>";
        assert!(decode_text(undeclared, None).contains("café"));
        let wrong = b"<t>Le caf\xe9 de la gare \xe9tait ferm\xe9</t>";
        assert!(decode_text(wrong, Some("text/xml; charset=utf-8")).contains("café"));
    }
}
