//! Who said what: finds the direct quotations in a news article's text and
//! attributes each to its speaker, with the speaker's role and the channel
//! (statement, Telegram post, interview) where the text gives them.
//!
//! Pure: text in, [`Quote`]s out; no I/O, no network, no database. The
//! product stores the quotes and merges speakers into people with the
//! helpers in [`names`].
//!
//! ```
//! let text = "Talks will resume in May, the ministry said.\n\n\
//!             \u{201c}We are ready,\u{201d} said Ana Lopes, the foreign minister.";
//! let quotes = newsdesk_quotes::extract(text);
//! assert_eq!(quotes.len(), 1);
//! assert_eq!(quotes[0].text, "We are ready,");
//! assert_eq!(quotes[0].speaker.as_deref(), Some("Ana Lopes"));
//! assert_eq!(quotes[0].role.as_deref(), Some("foreign minister"));
//! ```

mod attribute;
pub mod names;
mod scan;
mod text;

use serde::{Deserialize, Serialize};

/// Whether a quotation is a whole quoted sentence (or several) or a quoted
/// fragment inside reported speech (`He called the plan "a disgrace".`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteKind {
    Full,
    Partial,
}

/// One direct quotation. Serialises to the `newsdesk quotes` JSON contract:
/// `{"text", "speaker", "role", "channel", "kind": "full"|"partial", "start", "end"}`
/// (absent values are `null`, never left out).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quote {
    /// The quoted words, without the quotation marks. A quote that runs over
    /// several paragraphs has its paragraphs joined by a blank line and the
    /// re-opening marks at their starts dropped; otherwise `text` is exactly
    /// the characters `start..end` of the input.
    pub text: String,
    /// The person or body the words are attributed to, as the article names
    /// it in full ("Dmitry Peskov", not "Peskov"; "the Kremlin"'s name without
    /// the article: "Kremlin"). `None` when no speaker can be found: the
    /// extractor never guesses.
    pub speaker: Option<String>,
    /// The speaker's role or title as the article gives it ("Kremlin
    /// spokesman", "Secretary of State").
    pub role: Option<String>,
    /// Where the words were said or written: "statement", "Telegram post",
    /// "post on X", "interview with Reuters", "press conference", ...
    pub channel: Option<String>,
    pub kind: QuoteKind,
    /// Character (not byte) offsets into the input text: the first quoted
    /// character and one past the last, marks excluded.
    pub start: usize,
    pub end: usize,
}

/// Finds and attributes the quotations in plain text whose paragraphs are
/// separated by blank lines (the headline may be the first paragraph). The
/// quotes come in text order; offsets are character offsets into `text`.
pub fn extract(text: &str) -> Vec<Quote> {
    let doc = text::Doc::new(text);
    let spans = scan::find_quotes(&doc);
    attribute::attribute(&doc, spans)
}

/// Finds and attributes the quotations in an article given as paragraphs
/// (for instance the `plain_text()` of `newsdesk-extract`'s blocks, one
/// entry per block). Offsets are character offsets into the paragraphs
/// joined with a blank line (`"\n\n"`), which is how `newsdesk-extract`
/// builds an article's `text`.
pub fn extract_paragraphs<S: AsRef<str>>(paragraphs: &[S]) -> Vec<Quote> {
    let mut joined = String::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            joined.push_str("\n\n");
        }
        joined.push_str(p.as_ref());
    }
    extract(&joined)
}
