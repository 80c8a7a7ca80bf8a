//! Finding the article body in a page and turning it into typed blocks.
//!
//! Generic signals only, no per-site rules:
//! 1. structural junk (nav, footer, forms, hidden elements, ARIA landmarks)
//!    and class/id hints (share, related, newsletter, comments...) are
//!    dropped, unless the element wraps most of the page's text;
//! 2. paragraph-like blocks give scores to their ancestors by text length,
//!    commas and link density (Readability's idea); the best container plus
//!    its qualifying siblings is the body;
//! 3. the body is walked once more to emit blocks, dropping link lists,
//!    boilerplate lines and stray metadata.
//!
//! Every walk is iterative over the arena's sibling/parent links.
//!
//! The rooms: [`hints`] reads class/id names and tags, [`analysis`] counts
//! text per node and drops junk, [`scoring`] picks the body, [`emit`] turns it
//! into blocks, [`cleanup`] trims what the walk cannot see (header copies,
//! repeats, bios, furniture sections), [`figures`] reads images and captions.

mod analysis;
mod cleanup;
mod debug;
mod emit;
mod figures;
mod fxhash;
mod hints;
mod scoring;

pub use analysis::Analysis;
pub use cleanup::{drop_author_bios, trim_header};
pub use debug::{describe, dump};
pub use emit::emit;
pub use figures::{all_figures, first_figure};
pub use scoring::find_body;

const MIN_PARA: u32 = 20;

pub fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "caption"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
    )
}
