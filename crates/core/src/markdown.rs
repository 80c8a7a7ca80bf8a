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
//!
//! One image policy for every place a body goes (pages, feeds, e-mails): images are ours (a
//! path on the site, e.g. `/uploads/...`) or they are dropped here, once, when the body is
//! rendered. An external image would be blocked by the pages' CSP anyway, and in a feed or a
//! mail it is a tracking pixel. Footnotes keep working: their anchors get `fn-`/`fnref-` ids,
//! the only ids the sanitizer lets through.

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
    let events = drop_external_images(events);
    let events = footnotes(events);
    let raw_html = events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, events.into_iter());
    let mut clean = sanitizer().clean(&raw).to_string();
    if raw_html {
        clean = settle(clean);
    }
    strip_sourceless_images(&clean)
}

/// Author-written tags can nest in ways the parser rebuilds differently (a link inside a link,
/// around a list, or a footnote reference inside a link): serialising such a tree gives HTML that a
/// browser, a feed reader or the next sanitizer pass parses into another tree, one level at a
/// time. A link inside a link means nothing to a reader, so the inner one's tags go (its text
/// stays), and the result is cleaned once more so what is stored parses back to itself.
fn settle(html: String) -> String {
    let flat = unnest_links(&html);
    if flat == html {
        return html;
    }
    sanitizer().clean(&flat).to_string()
}

/// Drops the tags of every `<a>` inside another `<a>`. The input is the sanitizer's output: every
/// `<` opens a tag (text has `&lt;`), attribute values are double-quoted, and tags balance.
fn unnest_links(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    // One entry per open <a>: whether its tags were kept.
    let mut open: Vec<bool> = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let len = tag_len(tag);
        let text = &tag[..len];
        let is_start = text.starts_with("<a ") || text.starts_with("<a>");
        let is_end = text.starts_with("</a>");
        if is_start {
            let keep = open.is_empty();
            open.push(keep);
            if keep {
                out.push_str(text);
            }
        } else if is_end {
            if open.pop().unwrap_or(true) {
                out.push_str(text);
            }
        } else {
            out.push_str(text);
        }
        rest = &tag[len..];
    }
    out.push_str(rest);
    out
}

/// Length in bytes of the tag at the start of `tag` (through its `>`, quotes respected).
fn tag_len(tag: &str) -> usize {
    let mut quoted = false;
    for (i, c) in tag.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return i + 1,
            _ => {}
        }
    }
    tag.len()
}

/// Whether an image address is one of ours: a path on this site.
pub fn is_own_image(src: &str) -> bool {
    let s = src.trim();
    s.starts_with('/') && !s.starts_with("//") && !s.starts_with("/\\")
}

/// Markdown images that are not ours go, alt text and all.
fn drop_external_images(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut out = Vec::with_capacity(events.len());
    let mut skipping = 0usize;
    for ev in events {
        match &ev {
            Event::Start(Tag::Image { dest_url, .. })
                if skipping > 0 || !is_own_image(dest_url) =>
            {
                skipping += 1;
                continue;
            }
            Event::End(TagEnd::Image) if skipping > 0 => {
                skipping -= 1;
                continue;
            }
            _ if skipping > 0 => continue,
            _ => out.push(ev),
        }
    }
    out
}

/// Footnote name as an id part: `[^Note 1]` → `note-1`.
fn footnote_id(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-').to_owned();
    if id.is_empty() { "note".into() } else { id }
}

/// Footnote references and definitions with ids that survive the sanitizer, numbered in the
/// order they are first referenced, each definition linking back to its first reference.
fn footnotes(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut numbers: HashMap<String, usize> = HashMap::new();
    for ev in &events {
        if let Event::FootnoteReference(name) = ev {
            let next = numbers.len() + 1;
            numbers.entry(footnote_id(name)).or_insert(next);
        }
    }
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        match ev {
            Event::FootnoteReference(name) => {
                let id = footnote_id(&name);
                let n = numbers.get(&id).copied().unwrap_or(0);
                out.push(Event::InlineHtml(CowStr::from(format!(
                    "<sup class=\"footnote-reference\"><a href=\"#fn-{id}\" id=\"fnref-{id}\">{n}</a></sup>"
                ))));
            }
            Event::Start(Tag::FootnoteDefinition(name)) => {
                let id = footnote_id(&name);
                let n = numbers.get(&id).copied().unwrap_or(0);
                out.push(Event::Html(CowStr::from(format!(
                    "<div class=\"footnote-definition\" id=\"fn-{id}\"><sup class=\"footnote-definition-label\"><a href=\"#fnref-{id}\">{n}</a></sup>"
                ))));
            }
            Event::End(TagEnd::FootnoteDefinition) => {
                out.push(Event::Html(CowStr::from("</div>\n")));
            }
            other => out.push(other),
        }
    }
    out
}

/// Removes the `<img>` tags the sanitizer left without a `src` (raw HTML images that were not
/// ours): the sanitizer's output is well-formed, with every attribute value quoted.
fn strip_sourceless_images(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<img") {
        out.push_str(&rest[..at]);
        let tag = &rest[at..];
        let mut end = tag.len();
        let mut quoted = false;
        for (i, c) in tag.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '>' if !quoted => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        let element = &tag[..end];
        if element.contains(" src=\"") {
            out.push_str(element);
        }
        rest = &tag[end..];
    }
    out.push_str(rest);
    out
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
        classes.insert(
            "sup",
            ["footnote-reference", "footnote-definition-label"]
                .into_iter()
                .collect(),
        );
        classes.insert("div", ["footnote-definition"].into_iter().collect());
        b.allowed_classes(classes);
        b.add_tag_attributes("img", ["loading"]);
        b.add_tag_attributes("a", ["id"]);
        b.add_tag_attributes("div", ["id"]);
        b.attribute_filter(|element, attribute, value| match (element, attribute) {
            ("img", "src") if !is_own_image(value) => None,
            (_, "id") if !(value.starts_with("fn-") || value.starts_with("fnref-")) => None,
            _ => Some(value.into()),
        });
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
    fn external_images_are_dropped_and_ours_are_kept() {
        let html = render(
            "Text ![pixel](https://tracker.example/p.gif) and ![ours](/uploads/2026/a.jpg)\n\n<img src=\"https://tracker.example/t.png\" width=1 alt=\"a > b\"> <img src=\"//cdn.example/x.png\"> <img src=\"/uploads/b.png\" alt=\"b\">\n",
        );
        assert!(!html.contains("tracker.example"), "{html}");
        assert!(!html.contains("cdn.example"), "{html}");
        assert!(!html.contains("pixel"), "{html}");
        assert!(html.contains("src=\"/uploads/2026/a.jpg\""), "{html}");
        assert!(html.contains("src=\"/uploads/b.png\""), "{html}");
        assert_eq!(html.matches("<img").count(), 2, "{html}");
    }

    #[test]
    fn footnote_links_jump_to_ids_the_sanitizer_kept() {
        let html = render("A claim.[^src] Another.[^2]\n\n[^src]: The source.\n\n[^2]: More.\n");
        assert!(html.contains("href=\"#fn-src\""), "{html}");
        assert!(html.contains("id=\"fn-src\""), "{html}");
        assert!(html.contains("id=\"fnref-src\""), "{html}");
        assert!(html.contains("href=\"#fnref-2\""), "{html}");
        assert!(
            html.contains(">1</a></sup>") && html.contains(">2</a></sup>"),
            "{html}"
        );
        // Other ids are still stripped: a body cannot shadow the page's own anchors.
        let other = render("<div id=\"main\">x</div>\n");
        assert!(!other.contains("id=\"main\""), "{other}");
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

    /// Found by `cargo fuzz run markdown`: raw links around a list and inside each other came out
    /// as nested `<a>`s that parse back into another tree.
    #[test]
    fn misnested_raw_links_come_out_as_markup_that_parses_back_to_itself() {
        let md = "><a>{\n{%#\n\n   [*  <i+\n  *  * *  *  <i+\n {\n{\n\u{1}<a>\n ";
        let html = render(md);
        assert_eq!(sanitizer().clean(&html).to_string(), html);
        assert!(
            !html.contains("<a rel=\"noopener noreferrer nofollow\"><a "),
            "{html}"
        );
        let deep = format!("</p><a>{}<a>x", "<ul><li>".repeat(60));
        let html = render(&deep);
        assert_eq!(sanitizer().clean(&html).to_string(), html);
    }

    proptest! {
        #[test]
        fn render_never_emits_script(s in ".{0,400}") {
            let html = render(&s);
            prop_assert!(!html.to_lowercase().contains("<script"));
        }

        #[test]
        fn raw_html_renders_to_a_fixed_point_of_the_sanitizer(
            s in "([<>/ a-z*\\[\\]{}\n]|<a>|</a>|<ul>|<li>|<p>|</p>){0,80}"
        ) {
            let html = render(&s);
            prop_assert_eq!(sanitizer().clean(&html).to_string(), html);
        }
    }
}
