//! Class/id hints and tag lists: which elements are junk by name (share
//! bars, comments, related links), which name the article body, and which
//! tags never hold article text.

use crate::dom::{Dom, NodeId};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Hint {
    None,
    Positive,
    /// Names the article body itself (`article-body`, `post-content`).
    Body,
    Negative,
    /// Negative, and so often large (comment threads) that the wrapper guard
    /// must not save it.
    Strong,
}

/// Tags whose content is never article text.
pub(super) fn always_drop(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "object"
            | "embed"
            | "canvas"
            | "video"
            | "audio"
            | "select"
            | "option"
            | "button"
            | "input"
            | "textarea"
            | "title"
            | "meta"
            | "link"
            | "map"
            | "dialog"
            | "menu"
    )
}

/// Structural elements that are junk unless a page misuses them as wrappers.
pub(super) fn structural_drop(tag: &str) -> bool {
    matches!(
        tag,
        "nav" | "footer" | "aside" | "form" | "header" | "iframe"
    )
}

fn role_drop(role: &str) -> bool {
    matches!(
        role,
        "navigation"
            | "banner"
            | "contentinfo"
            | "complementary"
            | "dialog"
            | "alertdialog"
            | "search"
            | "menu"
            | "menubar"
            | "toolbar"
            | "tablist"
    )
}

const POSITIVE_STRONG: &[&str] = &[
    "article-body",
    "articlebody",
    "article-content",
    "articlecontent",
    "article__body",
    "article__content",
    "entry-content",
    "post-content",
    "postcontent",
    "post-body",
    "postbody",
    "post__content",
    "story-body",
    "storybody",
    "story-content",
    "main-content",
    "content-body",
    "body-text",
    "article-text",
    "blog-content",
    "blog-post-content",
    "rich-text",
    "richtext",
    "prose",
];

const NEG_STRONG_SUB: &[&str] = &["comment", "disqus", "respond"];

const NEG_SUB: &[&str] = &[
    "related",
    "newsletter",
    "subscri",
    "signup",
    "sign-up",
    "social",
    "share",
    "sharing",
    "cookie",
    "consent",
    "outbrain",
    "taboola",
    "recommend",
    "author-bio",
    "authorbio",
    "about-author",
    "about-the-author",
    "author-box",
    "authorbox",
    "author-info",
    "author-card",
    "author-details",
    "popup",
    "modal",
    "promo",
    "advert",
    "sponsor",
    "breadcrumb",
    "pagination",
    "more-stories",
    "read-more",
    "readmore",
    "most-popular",
    "mostpopular",
    "most-read",
    "trending",
    "you-may",
    "also-like",
    "byline",
    "post-meta",
    "entry-meta",
    "article-meta",
    "postmetadata",
    "tag-list",
    "taglist",
    "tags-list",
    "skip-link",
    "screen-reader",
    "sr-only",
    "visually-hidden",
    "callout-subscribe",
    "jp-relatedposts",
    "yarpp",
    "wp-block-latest-posts",
    "post-navigation",
    "nav-links",
    "newsletter",
    "optin",
    "opt-in",
    "mailchimp",
    "mc4wp",
    "wpcf7",
    "reviews-widget",
    "inline-ad",
    "ad-container",
    "ad-slot",
    "ad-wrapper",
    "adsbygoogle",
    "paywall-prompt",
    "upsell",
    // Hover bubbles (glossary definitions) inside sentences.
    "tooltip",
    "popover",
];

/// Layout words: junk unless the same class/id also says it holds content
/// ("sidebar-content", "footer-article-body" are wrappers, not sidebars).
/// Short junk words that must stand as a whole dash-separated part
/// (`cta-box`, not `dictate`).
const NEG_PARTS: &[&str] = &["gdpr", "cta", "dfp", "ad", "ads", "share"];

const NEG_WEAK_SUB: &[&str] = &[
    "sidebar",
    "navbar",
    "navigation",
    "masthead",
    "banner",
    "footer",
    "toolbar",
    "print-only",
    "hidden-print",
    "disclaimer",
];

const MAYBE_CONTENT: &[&str] = &[
    "article", "body", "column", "content", "main", "entry", "post", "story",
];

const NEG_TOKENS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "nav",
    "tags",
    "tag",
    "meta",
    "bio",
    "menu",
    "aside",
    "header",
    "author",
    "date",
    "dateline",
    "timestamp",
    "published",
    "caption-credit",
    "hide",
    "hidden",
    "d-none",
    "noprint",
    "categories",
    "category",
    "topics",
    "crumbs",
];

/// One automaton over every hint list; bit flags say which lists matched.
struct HintMatcher {
    ac: aho_corasick::AhoCorasick,
    /// For each pattern, the list it came from.
    kinds: Vec<u8>,
}

const K_POS_STRONG: u8 = 1;
const K_NEG_STRONG: u8 = 2;
const K_NEG: u8 = 4;
const K_NEG_WEAK: u8 = 8;
const K_MAYBE: u8 = 16;

fn hint_matcher() -> Option<&'static HintMatcher> {
    static M: std::sync::OnceLock<Option<HintMatcher>> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let mut pats: Vec<&str> = Vec::new();
        let mut kinds = Vec::new();
        for (list, k) in [
            (POSITIVE_STRONG, K_POS_STRONG),
            (NEG_STRONG_SUB, K_NEG_STRONG),
            (NEG_SUB, K_NEG),
            (NEG_WEAK_SUB, K_NEG_WEAK),
            (MAYBE_CONTENT, K_MAYBE),
        ] {
            for p in list {
                pats.push(p);
                kinds.push(k);
            }
        }
        // A DFA: one table step per byte, and this runs for every class.
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&pats)
            .ok()
            .map(|ac| HintMatcher { ac, kinds })
    })
    .as_ref()
}

pub(super) fn class_hint(dom: &Dom, id: NodeId, buf: &mut String) -> Hint {
    let Some(el) = dom.element(id) else {
        return Hint::None;
    };
    hint_of(
        el.attr("class").unwrap_or(""),
        el.attr("id").unwrap_or(""),
        buf,
    )
}

pub(super) fn hint_of(class: &str, idv: &str, buf: &mut String) -> Hint {
    if class.is_empty() && idv.is_empty() {
        return Hint::None;
    }
    // One reused buffer: this runs for every element of the page.
    buf.clear();
    buf.push_str(class);
    buf.push(' ');
    buf.push_str(idv);
    buf.make_ascii_lowercase();
    // "not-prose" and the like opt out of a style: they name no content.
    if buf.contains("not-") {
        let kept: Vec<&str> = buf
            .split_ascii_whitespace()
            .filter(|t| !t.starts_with("not-"))
            .collect();
        *buf = kept.join(" ");
    }
    let s: &str = buf;
    let mut found = 0u8;
    if let Some(m) = hint_matcher() {
        for mat in m.ac.find_overlapping_iter(s) {
            found |= m.kinds[mat.pattern().as_usize()];
        }
    }
    if found & K_POS_STRONG != 0 {
        return Hint::Body;
    }
    if found & K_NEG_STRONG != 0 {
        return Hint::Strong;
    }
    if found & K_NEG != 0 {
        return Hint::Negative;
    }
    let maybe_content = found & K_MAYBE != 0;
    if !maybe_content && found & K_NEG_WEAK != 0 {
        return Hint::Negative;
    }
    let mut positive = false;
    // Tokens are runs of ASCII letters, digits and dashes; parts split them
    // at dashes.
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'-';
    let mut i = 0;
    while i < b.len() {
        if !word(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && word(b[i]) {
            i += 1;
        }
        let tok = &s[start..i];
        if !maybe_content && NEG_TOKENS.contains(&tok) {
            return Hint::Negative;
        }
        for part in tok.split('-') {
            if NEG_PARTS.contains(&part)
                || (!maybe_content && matches!(part, "nav" | "tags" | "meta" | "menu"))
            {
                return Hint::Negative;
            }
            if matches!(
                part,
                "article"
                    | "content"
                    | "entry"
                    | "post"
                    | "story"
                    | "main"
                    | "body"
                    | "text"
                    | "blog"
            ) {
                positive = true;
            }
        }
    }
    if positive { Hint::Positive } else { Hint::None }
}

pub(super) fn hidden(dom: &Dom, id: NodeId) -> bool {
    let Some(el) = dom.element(id) else {
        return false;
    };
    if el.attr("hidden").is_some() {
        return true;
    }
    if let Some(style) = el.attr("style") {
        let st: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if st.contains("display:none") || st.contains("visibility:hidden") {
            return true;
        }
    }
    if let Some(role) = el.attr("role")
        && role_drop(&role.to_ascii_lowercase())
    {
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_hints_read_short_words_only_as_whole_parts() {
        let mut buf = String::new();
        assert_eq!(hint_of("cta-box", "", &mut buf), Hint::Negative);
        assert_eq!(hint_of("gdpr_notice", "", &mut buf), Hint::Negative);
        assert_eq!(hint_of("dictate", "", &mut buf), Hint::None);
        assert_eq!(hint_of("lead", "ads-top", &mut buf), Hint::Negative);
        assert_eq!(hint_of("post-text", "", &mut buf), Hint::Positive);
        assert_eq!(hint_of("shadow", "", &mut buf), Hint::None);
    }
}
