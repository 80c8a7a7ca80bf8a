//! Article bodies: Markdown in, sanitized HTML out.
//!
//! On top of CommonMark (with tables, footnotes and strikethrough), a block quote whose last
//! paragraph starts with an em dash (or `--`) is an *attributed quote*:
//!
//! ```text
//! > Ukraine directs all available forces to its own territory.
//! >
//! > — Serhiy Nikiforov, press officer, in a comment to local media
//! ```
//!
//! becomes `<figure class="quote"><blockquote>…</blockquote><figcaption>— <cite>Serhiy
//! Nikiforov</cite>, press officer, in a comment to local media</figcaption></figure>`. When the
//! place names a social network or messaging channel the figure also gets `quote-social`, so
//! quoted posts (a Telegram channel, a post on X) can be styled as such.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Renders Markdown to HTML that is safe to embed in a page: scripts, event handlers, styles and
/// unknown URL schemes are removed whatever the input.
pub fn render(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let events: Vec<Event> = Parser::new_ext(markdown, opts).collect();
    let events = attribute_quotes(events);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    sanitizer().clean(&raw).to_string()
}

/// Plain text of a Markdown body (for feeds' summaries, search and word counts).
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    for ev in Parser::new(markdown) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
            _ => {}
        }
    }
    out.trim().to_string()
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tags(["figure", "figcaption", "cite"]);
        let mut classes: HashMap<&'static str, HashSet<&'static str>> = HashMap::new();
        classes.insert("figure", ["quote", "quote-social"].into_iter().collect());
        b.allowed_classes(classes);
        b.add_tag_attributes("img", ["loading"]);
        b.link_rel(Some("noopener noreferrer nofollow"));
        b
    })
}

const SOCIAL_HINTS: &[&str] = &[
    "telegram",
    "post on x",
    " on x",
    "twitter",
    "tweet",
    "facebook",
    "instagram",
    "mastodon",
    "bluesky",
    "threads",
    "tiktok",
    "youtube",
    "vk",
    "social media",
];

fn attribute_quotes(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        if matches!(events[i], Event::Start(Tag::BlockQuote(_)))
            && let Some(end) = matching_end(&events, i)
            && let Some(rewritten) = rewrite_quote(&events[i..=end])
        {
            out.extend(rewritten);
            i = end + 1;
            continue;
        }
        out.push(events[i].clone());
        i += 1;
    }
    out
}

fn matching_end(events: &[Event<'_>], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (j, ev) in events.iter().enumerate().skip(start) {
        match ev {
            Event::Start(Tag::BlockQuote(_)) => depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

/// `quote` runs from the block quote's start to its end event inclusive.
fn rewrite_quote<'a>(quote: &[Event<'a>]) -> Option<Vec<Event<'a>>> {
    let inner = &quote[1..quote.len() - 1];
    // The last top-level paragraph of the quote.
    if !matches!(inner.last(), Some(Event::End(TagEnd::Paragraph))) {
        return None;
    }
    let mut depth = 0i32;
    let mut para_start = None;
    for (j, ev) in inner.iter().enumerate().rev() {
        match ev {
            Event::End(_) => depth += 1,
            Event::Start(tag) => {
                depth -= 1;
                if depth == 0 {
                    if matches!(tag, Tag::Paragraph) {
                        para_start = Some(j);
                    }
                    break;
                }
            }
            _ => {}
        }
    }
    let p = para_start?;
    if p == 0 {
        return None; // a quote that is only an attribution is just a quote
    }
    let mut attribution = String::new();
    for ev in &inner[p + 1..inner.len() - 1] {
        match ev {
            Event::Text(t) | Event::Code(t) => attribution.push_str(t),
            Event::SoftBreak | Event::HardBreak => attribution.push(' '),
            _ => {}
        }
    }
    let rest = attribution
        .trim_start()
        .strip_prefix('—')
        .or_else(|| attribution.trim_start().strip_prefix("--"))
        .or_else(|| attribution.trim_start().strip_prefix('―'))?
        .trim();
    if rest.is_empty() {
        return None;
    }
    let (who, place) = match rest.split_once(", ") {
        Some((w, p)) => (w.trim(), Some(p.trim())),
        None => (rest, None),
    };
    let lower = rest.to_lowercase();
    let social = SOCIAL_HINTS.iter().any(|h| lower.contains(h));
    let class = if social {
        "quote quote-social"
    } else {
        "quote"
    };
    let mut caption = format!("— <cite>{}</cite>", crate::markup::escape(who));
    if let Some(place) = place {
        caption.push_str(", ");
        caption.push_str(&crate::markup::escape(place));
    }
    let mut out = Vec::with_capacity(p + 4);
    out.push(Event::Html(CowStr::from(format!(
        "<figure class=\"{class}\"><blockquote>\n"
    ))));
    out.extend(inner[..p].iter().cloned());
    out.push(Event::Html(CowStr::from(format!(
        "</blockquote><figcaption>{caption}</figcaption></figure>\n"
    ))));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn attributed_quote_becomes_figure_with_cite() {
        let html = render("> We will rebuild the bridge.\n>\n> — Ada Morel, mayor of Linden\n");
        assert!(
            html.contains("<figure class=\"quote\"><blockquote>"),
            "{html}"
        );
        assert!(
            html.contains("<p>We will rebuild the bridge.</p>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<figcaption>— <cite>Ada Morel</cite>, mayor of Linden</figcaption></figure>"
            ),
            "{html}"
        );
    }

    #[test]
    fn quoted_social_post_is_marked_as_such() {
        let html = render("> Three fire emojis.\n>\n> -- Jon Vale, on his Telegram channel\n");
        assert!(
            html.contains("<figure class=\"quote quote-social\">"),
            "{html}"
        );
    }

    #[test]
    fn plain_block_quote_stays_a_block_quote() {
        let html = render("> Just a quote.\n");
        assert!(html.contains("<blockquote>"));
        assert!(!html.contains("<figure"));
    }

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = render(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))\n\n> hi\n>\n> — <b onclick=x>Eve</b>\n",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }

    #[test]
    fn attribution_text_is_escaped() {
        let html = render("> q\n>\n> — A `<script>` fan, <i>somewhere</i>\n");
        assert!(!html.contains("<script"), "{html}");
    }

    #[test]
    fn plain_text_keeps_words_not_markup() {
        let t = plain_text("# Title\n\nSome *bold* text.\n");
        assert_eq!(t, "Title\nSome bold text.");
    }

    proptest! {
        #[test]
        fn render_never_emits_script(s in ".{0,400}") {
            let html = render(&s);
            prop_assert!(!html.to_lowercase().contains("<script"));
        }
    }
}
