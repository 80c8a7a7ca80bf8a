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

use crate::dom::{Dom, NONE, NodeData, NodeId};
use crate::text;
use crate::{Block, Image};

const MIN_PARA: u32 = 20;

/// Per-node statistics, indexed by node id. Character counts ignore whitespace.
pub struct Analysis {
    pub drop: Vec<bool>,
    pub text: Vec<u32>,
    pub link: Vec<u32>,
    /// Text not inside a nested block-level element.
    pub inline: Vec<u32>,
    pub inline_link: Vec<u32>,
    pub commas: Vec<u32>,
    /// Text of paragraph-like blocks (enough inline text, few links) below.
    pub para: Vec<u32>,
    /// Nodes in document (pre-)order.
    pub order: Vec<NodeId>,
    /// Class/id hint of each element, computed once.
    hints: Vec<Hint>,
    /// Non-whitespace characters and commas of each text node.
    own: Vec<(u32, u32)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Hint {
    None,
    Positive,
    /// Names the article body itself (`article-body`, `post-content`).
    Body,
    Negative,
    /// Negative, and so often large (comment threads) that the wrapper guard
    /// must not save it.
    Strong,
}

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

/// Tags whose content is never article text.
fn always_drop(tag: &str) -> bool {
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
fn structural_drop(tag: &str) -> bool {
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

fn class_hint(dom: &Dom, id: NodeId, buf: &mut String) -> Hint {
    let Some(el) = dom.element(id) else {
        return Hint::None;
    };
    hint_of(
        el.attr("class").unwrap_or(""),
        el.attr("id").unwrap_or(""),
        buf,
    )
}

/// A small multiplicative hasher for the per-page hint cache: keys are short
/// class strings, and SipHash would cost as much as the hint itself.
#[derive(Default)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

fn hint_of(class: &str, idv: &str, buf: &mut String) -> Hint {
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

fn hidden(dom: &Dom, id: NodeId) -> bool {
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

/// Teaser cards: short blocks whose heading is all one link to another page,
/// or sits inside a link that wraps the whole card (another story's title
/// and excerpt), three or more side by side, in a
/// group that starts after most of the page's text. Stories link words in
/// their text, not whole headings; a list of linked items that starts early
/// is the story itself (a round-up of products or places).
fn drop_teaser_cards(dom: &Dom, an: &mut Analysis, dropped_sub: &[bool]) {
    const CARD_MAX: u32 = 500;
    let mut found = Vec::new();
    // Live text before each node in document order.
    let mut before = vec![0u32; 0];
    let mut seen = 0u32;
    let host = page_host(dom, an);
    for &id in &an.order {
        let i = id as usize;
        if an.drop[i] || dropped_sub[i] {
            continue;
        }
        if before.is_empty() {
            before.resize(dom.nodes.len(), 0);
        }
        before[i] = seen;
        if let NodeData::Text(_) = dom.node(id).data {
            seen += an.own[i].0;
        }
        let Some(tag) = dom.tag(id) else { continue };
        if !matches!(tag, "h2" | "h3" | "h4" | "h5" | "h6") {
            continue;
        }
        // A headline, not a name: teasers title other stories in a sentence.
        let t = an.text[i];
        if t < 24 {
            continue;
        }
        // Either the heading's own text is the link, or the heading sits in
        // a link that wraps the whole card (picture, headline, excerpt).
        let linked = match enclosing_link(dom, id) {
            Some(a) => links_within_site(dom, a, host),
            None => an.link[i] * 10 >= t * 9 && links_within_site(dom, id, host),
        };
        if !linked {
            continue;
        }
        found.push(id);
    }
    if found.len() < 3 {
        return;
    }
    let total = seen.max(1);
    let mut linked = vec![0u16; dom.nodes.len()];
    for &h in &found {
        linked[h as usize] += 1;
        for a in dom.ancestors(h).take(6) {
            linked[a as usize] = linked[a as usize].saturating_add(1);
        }
    }
    // Each heading's card: its largest short ancestor holding no other
    // linked heading.
    let mut cards = Vec::new();
    for &h in &found {
        let mut card = h;
        for a in dom.ancestors(h).take(6) {
            if linked[a as usize] != 1 || an.text[a as usize] > CARD_MAX {
                break;
            }
            card = a;
        }
        if card != h {
            cards.push(card);
        }
    }
    let is_card = |an: &Analysis, s: NodeId| {
        linked[s as usize] == 1 && an.text[s as usize] <= CARD_MAX && an.text[s as usize] > 0
    };
    for &c in &cards {
        let p = dom.node(c).parent;
        if p == NONE {
            continue;
        }
        let mut group = dom.children(p).filter(|&s| is_card(an, s));
        let Some(first) = group.next() else { continue };
        if group.take(2).count() < 2 {
            continue;
        }
        if before[first as usize] * 2 >= total {
            an.drop[c as usize] = true;
        }
    }
}

/// The first link below `id` goes to another page of the same site (a
/// relative link, or one to `host`); not to an `#anchor`, not elsewhere (a
/// round-up links its items to other sites).
fn links_within_site(dom: &Dom, id: NodeId, host: Option<&str>) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        if let Some(el) = dom.element(c)
            && &*el.name == "a"
        {
            let h = el.attr("href").unwrap_or("").trim();
            if h.is_empty() || h.starts_with('#') {
                return false;
            }
            return match host_of(h) {
                Some(link_host) => host.is_some_and(|p| p == link_host),
                None => !h.contains(':'),
            };
        }
        cur = dom.next_in(id, c, false);
    }
    false
}

/// The `<a>` a few levels above `id`, if `id` sits inside a link.
fn enclosing_link(dom: &Dom, id: NodeId) -> Option<NodeId> {
    dom.ancestors(id).take(4).find(|&a| dom.tag(a) == Some("a"))
}

/// The first link below `id` points into the same page (`#section`): a
/// heading that links to itself is still a heading.
fn links_to_anchor(dom: &Dom, id: NodeId) -> bool {
    let mut cur = Some(id);
    while let Some(c) = cur {
        if let Some(el) = dom.element(c)
            && &*el.name == "a"
        {
            return el
                .attr("href")
                .is_some_and(|h| h.trim_start().starts_with('#'));
        }
        cur = dom.next_in(id, c, false);
    }
    false
}

/// Host of an absolute (or scheme-relative) URL, without `www.`.
fn host_of(url: &str) -> Option<&str> {
    let rest = url
        .split_once("://")
        .map(|(_, r)| r)
        .or_else(|| url.strip_prefix("//"))?;
    let host = rest.split(['/', '?', '#', ':']).next()?;
    Some(host.strip_prefix("www.").unwrap_or(host))
}

/// The page's own host, from its canonical link or `og:url`.
fn page_host<'d>(dom: &'d Dom, an: &Analysis) -> Option<&'d str> {
    for &id in &an.order {
        let Some(el) = dom.element(id) else { continue };
        let url = match &*el.name {
            "link"
                if el
                    .attr("rel")
                    .is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
            {
                el.attr("href")
            }
            "meta" if el.attr("property") == Some("og:url") => el.attr("content"),
            "body" => return None,
            _ => None,
        };
        if let Some(h) = url.and_then(host_of) {
            return Some(h);
        }
    }
    None
}

fn count_text(t: &str) -> (u32, u32) {
    let mut n = 0u32;
    let mut commas = 0u32;
    for piece in text::pieces(t) {
        match piece {
            text::Piece::Ascii(run) => {
                let blank = run
                    .iter()
                    .filter(|&&c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
                    .count();
                n += (run.len() - blank) as u32;
                commas += run.iter().filter(|&&c| c == b',').count() as u32;
            }
            text::Piece::Other(ch) if !ch.is_whitespace() => {
                n += 1;
                commas += u32::from(matches!(ch, '，' | '、'));
            }
            text::Piece::Other(_) => {}
        }
    }
    (n, commas)
}

impl Analysis {
    pub fn new(dom: &Dom) -> Analysis {
        let n = dom.nodes.len();
        let mut an = Analysis {
            drop: vec![false; n],
            text: vec![0; n],
            link: vec![0; n],
            inline: vec![0; n],
            inline_link: vec![0; n],
            commas: vec![0; n],
            para: vec![0; n],
            order: Vec::with_capacity(n),
            hints: vec![Hint::None; n],
            own: vec![(0, 0); n],
        };
        // Pass 1: document order, and the tags that are never text.
        let mut hint_buf = String::new();
        let mut hint_cache: FxMap<(&str, &str), Hint> = FxMap::default();
        // Ids of panels that a control opens (accordions, tabs): hidden until
        // a reader clicks, but part of the page's text.
        let mut controlled: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut cur = Some(Dom::ROOT);
        while let Some(c) = cur {
            an.order.push(c);
            match &dom.node(c).data {
                NodeData::Text(t) => an.own[c as usize] = count_text(t),
                NodeData::Element(el) => {
                    // Pages repeat a few class strings on most elements.
                    let class = el.attr("class").unwrap_or("");
                    let idv = el.attr("id").unwrap_or("");
                    an.hints[c as usize] = if class.is_empty() && idv.is_empty() {
                        Hint::None
                    } else {
                        *hint_cache
                            .entry((class, idv))
                            .or_insert_with(|| hint_of(class, idv, &mut hint_buf))
                    };
                    if let Some(ids) = el.attr("aria-controls") {
                        controlled.extend(ids.split_ascii_whitespace());
                    }
                }
                _ => {}
            }
            let mut skip = false;
            if let Some(el) = dom.element(c)
                && (el.foreign || always_drop(&el.name))
            {
                an.drop[c as usize] = true;
                skip = true;
            }
            cur = dom.next_in(Dom::ROOT, c, skip);
        }
        an.aggregate(dom);
        // Pass 2: structural and class-hinted junk, guarded so that a wrapper
        // holding most of the page's text survives a misleading name.
        let total = an.para[0].max(1) as f32;
        let mut dropped_sub = vec![false; n];
        // The nearest ancestor named as the article body, if any.
        let mut body_anc = vec![NONE; n];
        // Inside <pre>/<code>, classes name syntax ("hljs-comment"), not junk.
        let mut in_code = vec![false; n];
        // With a `<main>` landmark holding prose, junk outside it (a footer
        // longer than the story) gets no wrapper guard: it wraps nothing.
        let mut near_main = vec![false; n];
        let mut is_main = vec![false; n];
        let mut has_main = false;
        for &id in &an.order {
            let i = id as usize;
            if an.drop[i] || an.para[i] < 200 {
                continue;
            }
            let Some(el) = dom.element(id) else { continue };
            if &*el.name == "main"
                || el
                    .attr("role")
                    .is_some_and(|r| r.eq_ignore_ascii_case("main"))
            {
                is_main[i] = true;
                has_main = true;
                near_main[i] = true;
                for a in dom.ancestors(id) {
                    if near_main[a as usize] {
                        break;
                    }
                    near_main[a as usize] = true;
                }
            }
        }
        if has_main {
            // `is_main` now also marks everything inside a landmark.
            for &id in &an.order {
                let p = dom.node(id).parent;
                if p != NONE && is_main[p as usize] {
                    is_main[id as usize] = true;
                    near_main[id as usize] = true;
                }
            }
        }
        for i in 0..an.order.len() {
            let id = an.order[i];
            let parent = dom.node(id).parent;
            if parent != NONE && (dropped_sub[parent as usize] || an.drop[parent as usize]) {
                dropped_sub[id as usize] = true;
                continue;
            }
            if an.drop[id as usize] {
                continue;
            }
            if parent != NONE {
                in_code[id as usize] =
                    in_code[parent as usize] || matches!(dom.tag(parent), Some("pre" | "code"));
                body_anc[id as usize] = if an.hints[parent as usize] == Hint::Body {
                    parent
                } else {
                    body_anc[parent as usize]
                };
            }
            let Some(el) = dom.element(id) else { continue };
            if matches!(&*el.name, "html" | "body" | "main" | "article") || in_code[id as usize] {
                continue;
            }
            let share = an.para[id as usize] as f32 / total;
            let hard = hidden(dom, id)
                && !(el.attr("role").is_none_or(|r| {
                    r.eq_ignore_ascii_case("region") || r.eq_ignore_ascii_case("tabpanel")
                }) && el.attr("id").is_some_and(|v| controlled.contains(v)));
            let hint = an.hints[id as usize];
            let structural = structural_drop(&el.name);
            // A wrapper holding most of the named article body is part of
            // it, whatever its own name says ("comment-on-selection").
            let b = body_anc[id as usize];
            let body_wrapper = b != NONE
                && an.para[id as usize] * 5 >= an.para[b as usize] * 4
                && an.para[b as usize] as f32 >= total * 0.3;
            let guarded = !has_main || near_main[id as usize];
            let drop = match hint {
                _ if body_wrapper && !hard => false,
                Hint::Strong => share < 0.9 || !guarded,
                Hint::Negative => share < 0.5 || !guarded,
                _ if hard => share < 0.5 || !guarded,
                Hint::Positive | Hint::Body => false,
                Hint::None => structural && (share < 0.5 || !guarded),
            };
            if drop {
                an.drop[id as usize] = true;
            }
        }
        drop_teaser_cards(dom, &mut an, &dropped_sub);
        // Everything under a dropped node is dropped too.
        for &id in &an.order {
            let p = dom.node(id).parent;
            if p != NONE && an.drop[p as usize] {
                an.drop[id as usize] = true;
            }
        }
        an.aggregate(dom);
        an
    }

    fn aggregate(&mut self, dom: &Dom) {
        self.text.iter_mut().for_each(|v| *v = 0);
        self.link.iter_mut().for_each(|v| *v = 0);
        self.inline.iter_mut().for_each(|v| *v = 0);
        self.inline_link.iter_mut().for_each(|v| *v = 0);
        self.commas.iter_mut().for_each(|v| *v = 0);
        self.para.iter_mut().for_each(|v| *v = 0);
        for &id in self.order.iter().rev() {
            let i = id as usize;
            if self.drop[i] {
                self.text[i] = 0;
                self.link[i] = 0;
                self.inline[i] = 0;
                self.inline_link[i] = 0;
                self.commas[i] = 0;
                self.para[i] = 0;
                continue;
            }
            let node = dom.node(id);
            match &node.data {
                NodeData::Text(t) => {
                    let _ = t;
                    let (n, c) = self.own[i];
                    self.text[i] = n;
                    self.inline[i] = n;
                    self.commas[i] = c;
                }
                NodeData::Element(el) if &*el.name == "a" => {
                    self.link[i] = self.text[i];
                    self.inline_link[i] = self.inline[i];
                }
                _ => {}
            }
            let block = dom.tag(id).is_some_and(is_block);
            if block && self.inline[i] >= MIN_PARA && self.inline_link[i] * 2 < self.inline[i] {
                self.para[i] += self.inline[i] - self.inline_link[i];
            }
            let p = node.parent;
            if p == NONE {
                continue;
            }
            let p = p as usize;
            self.text[p] += self.text[i];
            self.para[p] += self.para[i];
            self.link[p] += self.link[i];
            if !block {
                self.inline[p] += self.inline[i];
                self.inline_link[p] += self.inline_link[i];
                self.commas[p] += self.commas[i];
            }
        }
    }

    fn link_density(&self, id: NodeId) -> f32 {
        let t = self.text[id as usize];
        if t == 0 {
            return 0.0;
        }
        self.link[id as usize] as f32 / t as f32
    }
}

fn tag_weight(tag: &str) -> f32 {
    match tag {
        "div" | "article" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

/// Chooses the nodes that make up the article body, in document order.
pub fn find_body(dom: &Dom, an: &Analysis, hint_text: Option<&str>) -> Vec<NodeId> {
    let gb = best_subtree(dom, an);
    let r = readability_body(dom, an, hint_text);
    choose(dom, an, r, gb)
}

fn readability_body(dom: &Dom, an: &Analysis, hint_text: Option<&str>) -> Vec<NodeId> {
    let n = dom.nodes.len();
    let mut score = vec![f32::NAN; n];
    let mut candidates: Vec<NodeId> = Vec::new();
    for &id in &an.order {
        let i = id as usize;
        if an.drop[i] {
            continue;
        }
        let Some(el) = dom.element(id) else { continue };
        if !is_block(&el.name) || an.inline[i] < MIN_PARA {
            continue;
        }
        if an.inline_link[i] * 2 > an.inline[i] {
            continue;
        }
        let s = 1.0 + an.commas[i] as f32 + (an.inline[i] as f32 / 100.0).min(3.0);
        // A div holding text directly is both paragraph and candidate.
        let mut targets = Vec::with_capacity(6);
        if matches!(&*el.name, "div" | "section" | "article" | "td") {
            targets.push((id, 1.0f32));
        }
        for (level, anc) in dom.ancestors(id).take(5).enumerate() {
            if dom.element(anc).is_none() {
                break;
            }
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            targets.push((anc, div));
        }
        for (t, div) in targets {
            let ti = t as usize;
            if score[ti].is_nan() {
                let tag = dom.tag(t).unwrap_or("");
                let hint = match an.hints[ti] {
                    Hint::Positive | Hint::Body => 25.0,
                    Hint::Negative | Hint::Strong => -25.0,
                    Hint::None => 0.0,
                };
                score[ti] = tag_weight(tag) + hint;
                candidates.push(t);
            }
            score[ti] += s / div;
        }
    }
    if candidates.is_empty() {
        return Vec::new();
    }
    let final_score = |id: NodeId| score[id as usize] * (1.0 - an.link_density(id));
    let mut ranked: Vec<(NodeId, f32)> = candidates.iter().map(|&c| (c, final_score(c))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));

    let mut top = ranked[0].0;
    if let Some(hint) = hint_text {
        top = agree_with_hint(dom, an, &ranked, hint).unwrap_or(top);
    }
    // Several strong candidates under one ancestor: the body is split into
    // parts (e.g. around ads), take the ancestor.
    let top_score = final_score(top);
    let others: Vec<NodeId> = ranked
        .iter()
        .skip(1)
        .take(5)
        .filter(|(_, s)| *s >= top_score * 0.75)
        .map(|(c, _)| *c)
        .collect();
    if others.len() >= 2 {
        let mut anc = dom.node(top).parent;
        let mut steps = 0;
        while anc != NONE && steps < 8 && dom.tag(anc) != Some("body") {
            let contained = others.iter().filter(|&&o| is_ancestor(dom, anc, o)).count();
            if contained >= 2 {
                top = anc;
                break;
            }
            anc = dom.node(anc).parent;
            steps += 1;
        }
    }
    // A lone child adds nothing; look at its parent's siblings instead.
    let mut steps = 0;
    while steps < 20 {
        let p = dom.node(top).parent;
        if p == NONE || dom.tag(p).is_none_or(|t| t == "body" || t == "html") {
            break;
        }
        let live_children = dom
            .children(p)
            .filter(|&c| !an.drop[c as usize] && an.text[c as usize] > 0)
            .count();
        if live_children != 1 {
            break;
        }
        top = p;
        steps += 1;
    }

    // Siblings that look like more of the same.
    let top_s = final_score(top).max(0.0);
    let threshold = (top_s * 0.2).max(10.0);
    let top_class = dom.element(top).and_then(|e| e.attr("class")).unwrap_or("");
    let parent = dom.node(top).parent;
    if parent == NONE {
        return vec![top];
    }
    let mut out = Vec::new();
    for sib in dom.children(parent) {
        if sib == top {
            out.push(sib);
            continue;
        }
        let si = sib as usize;
        if an.drop[si] || an.text[si] == 0 {
            continue;
        }
        let Some(el) = dom.element(sib) else {
            continue;
        };
        let mut bonus = 0.0;
        if !top_class.is_empty() && el.attr("class") == Some(top_class) {
            bonus += top_s * 0.2;
        }
        let s = if score[si].is_nan() {
            0.0
        } else {
            final_score(sib)
        };
        let ld = an.link_density(sib);
        let len = an.text[si];
        // Custom elements (`<code-block>`) between paragraphs wrap more of
        // the same: code, quotes, media.
        let custom = el.name.contains('-');
        let keep = s + bonus >= threshold
            || ((custom
                || matches!(
                    &*el.name,
                    "p" | "ul"
                        | "ol"
                        | "blockquote"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "figure"
                        | "table"
                        | "pre"
                ))
                && ((len > 80 && ld < 0.25)
                    || (len > 0
                        && ld == 0.0
                        && len <= 80
                        && matches!(&*el.name, "h2" | "h3" | "h4" | "p"))));
        // A wrapper of plain prose just above the body (a lead or summary
        // box) is more of the story, whatever its score.
        let prose = out.iter().all(|&o| o != top)
            && an.para[si] >= 100
            && ld < 0.15
            && an.para[si] * 10 >= len * 7
            && matches!(an.hints[si], Hint::None | Hint::Positive | Hint::Body);
        if keep || prose {
            out.push(sib);
        }
    }
    out
}

/// The element whose subtree has the most paragraph text net of link text
/// and other (label, button, teaser) text: a maximum-subtree view of the page
/// that catches bodies split into many sections.
fn best_subtree(dom: &Dom, an: &Analysis) -> NodeId {
    const B1: f32 = 1.5;
    const B2: f32 = 0.8;
    let mut best = (f32::MIN, Dom::ROOT);
    for &id in &an.order {
        let i = id as usize;
        if an.drop[i] || dom.element(id).is_none() {
            continue;
        }
        let good = an.para[i] as f32;
        let other = an.text[i]
            .saturating_sub(an.para[i])
            .saturating_sub(an.link[i]) as f32;
        let f = good - B1 * an.link[i] as f32 - B2 * other;
        if f > best.0 {
            best = (f, id);
        }
    }
    best.1
}

/// Combines the two views: Readability's choice when it sits inside the
/// maximum subtree and holds nearly all of its paragraph text (it is the
/// tighter of the two), else the maximum subtree.
fn choose(dom: &Dom, an: &Analysis, readability: Vec<NodeId>, gb: NodeId) -> Vec<NodeId> {
    let ratio = 0.7f32;
    if readability.is_empty() {
        return vec![gb];
    }
    if !readability
        .iter()
        .all(|&r| r == gb || is_ancestor(dom, gb, r))
    {
        // Readability chose elsewhere (or above): trust the larger paragraph mass.
        let rp: u32 = readability.iter().map(|&r| an.para[r as usize]).sum();
        if rp as f32 >= an.para[gb as usize] as f32 * ratio {
            return readability;
        }
        return vec![gb];
    }
    let rp: u32 = readability.iter().map(|&r| an.para[r as usize]).sum();
    if rp as f32 >= an.para[gb as usize] as f32 * ratio {
        readability
    } else {
        vec![gb]
    }
}

fn is_ancestor(dom: &Dom, anc: NodeId, id: NodeId) -> bool {
    dom.ancestors(id).take(200).any(|a| a == anc)
}

/// With a JSON-LD `articleBody`, prefer the best-ranked candidate whose text
/// covers it well without carrying much more.
fn agree_with_hint(
    dom: &Dom,
    an: &Analysis,
    ranked: &[(NodeId, f32)],
    hint: &str,
) -> Option<NodeId> {
    let hint_words = text::word_set(hint);
    if hint_words.len() < 50 {
        return None;
    }
    let mut best: Option<(NodeId, f32)> = None;
    for &(c, _) in ranked.iter().take(10) {
        let t = collect_text(dom, an, c);
        let words = text::word_set(&t);
        if words.is_empty() {
            continue;
        }
        let common = hint_words.intersection(&words).count() as f32;
        let recall = common / hint_words.len() as f32;
        let precision = common / words.len() as f32;
        let f = 2.0 * recall * precision / (recall + precision + 1e-6);
        if best.is_none_or(|(_, bf)| f > bf) {
            best = Some((c, f));
        }
    }
    best.filter(|(_, f)| *f > 0.5).map(|(c, _)| c)
}

fn collect_text(dom: &Dom, an: &Analysis, root: NodeId) -> String {
    let mut out = String::new();
    let mut cur = Some(root);
    while let Some(c) = cur {
        let skip = an.drop[c as usize];
        if !skip && let NodeData::Text(t) = &dom.node(c).data {
            crate::dom::push_collapsed(&mut out, t);
            out.push(' ');
        }
        cur = dom.next_in(root, c, skip);
    }
    out
}

/// Text below `root` with dropped subtrees skipped, `<br>` kept as a line
/// break, whitespace collapsed. Returns the text and its link characters.
fn block_text(dom: &Dom, an: &Analysis, root: NodeId) -> String {
    let mut out = String::new();
    let mut cur = Some(root);
    while let Some(c) = cur {
        let skip = an.drop[c as usize];
        if !skip {
            match &dom.node(c).data {
                NodeData::Text(t) => crate::dom::push_collapsed(&mut out, t),
                NodeData::Element(e)
                    if (&*e.name == "br"
                        || (c != root && is_block(&e.name) && !out.is_empty())) =>
                {
                    trim_end_spaces(&mut out);
                    if !out.ends_with('\n') && !out.is_empty() {
                        out.push('\n');
                    }
                }
                _ => {}
            }
        }
        cur = dom.next_in(root, c, skip);
    }
    tidy(&out)
}

fn trim_end_spaces(s: &mut String) {
    while s.ends_with(' ') {
        s.pop();
    }
}

/// Trims each line and drops empty lines.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(l);
    }
    out
}

struct Emitter<'a> {
    dom: &'a Dom,
    an: &'a Analysis,
    title_key: String,
    blocks: Vec<Block>,
    buf: String,
    buf_link: u32,
    buf_len: u32,
    in_link: u32,
    base_url: Option<&'a str>,
    /// Where a heading (or heading-like line) opened a section of other
    /// stories, comments or sign-up boxes: block index and heading level
    /// (7 for a plain line).
    cuts: Vec<(usize, u8)>,
    /// A furniture section being skipped: everything below this node.
    skip: Option<NodeId>,
    /// The body root being walked.
    root: NodeId,
    /// The element holding the text in `buf`.
    buf_node: NodeId,
    /// The element each block came from (the innermost one entered).
    block_nodes: Vec<NodeId>,
    /// The element being entered.
    cur: NodeId,
}

pub fn emit(
    dom: &Dom,
    an: &Analysis,
    roots: &[NodeId],
    title: Option<&str>,
    base_url: Option<&str>,
) -> Vec<Block> {
    let mut em = Emitter {
        dom,
        an,
        title_key: title.map(text::key).unwrap_or_default(),
        blocks: Vec::new(),
        buf: String::new(),
        buf_link: 0,
        buf_len: 0,
        in_link: 0,
        base_url,
        cuts: Vec::new(),
        skip: None,
        root: NONE,
        buf_node: NONE,
        block_nodes: Vec::new(),
        cur: NONE,
    };
    for &r in roots {
        em.root = r;
        em.walk(r);
    }
    em.flush();
    let mut blocks = em.blocks;
    cut_furniture_sections(&mut blocks, &em.cuts);
    drop_repeats(&mut blocks);
    // Headings left with nothing after them introduced a dropped section.
    while matches!(blocks.last(), Some(Block::Heading { .. })) {
        blocks.pop();
    }
    blocks
}

/// Drops the story's header where it sits inside the body: the headline
/// again (an `<h1>`, or a heading that is the page title), the standfirst
/// (the meta description), and author-name lines, all before the first
/// paragraph of prose.
/// Drops author bios at the end of the story: a short paragraph in the last
/// third of the blocks that opens with the name of one of the page's authors
/// and goes on the way bios do ("Jane Roe is a reporter...", "Jane Roe,
/// editor, has covered..."), with a line just before it that only names the
/// author. Stories mention their reporters in the third person rarely, and
/// not in that shape at the bottom.
pub fn drop_author_bios(blocks: &mut Vec<Block>, authors: &[String]) {
    const MAX_BIO: usize = 900;
    const BIO_TURNS: &[&str] = &[
        " is ",
        " was ",
        " has ",
        " had ",
        " writes",
        " covers",
        " joined",
        " studied",
        " holds",
        " lives",
        " works",
        " specializes",
        " specialises",
        ", ",
    ];
    let names: Vec<&str> = authors
        .iter()
        .map(|a| a.trim())
        .filter(|a| a.len() >= 5 && a.contains(' '))
        .collect();
    if names.is_empty() || blocks.len() < 3 {
        return;
    }
    let from = blocks.len() - blocks.len() / 3;
    let mut drop = vec![false; blocks.len()];
    for i in from..blocks.len() {
        let Block::Paragraph { text } = &blocks[i] else {
            continue;
        };
        if text.len() > MAX_BIO {
            continue;
        }
        let bio = names.iter().any(|n| {
            text.strip_prefix(n)
                .is_some_and(|rest| BIO_TURNS.iter().any(|t| rest.starts_with(t)))
        });
        if !bio {
            continue;
        }
        drop[i] = true;
        // The name (or "About Jane Roe") on its own line above the bio.
        if let Some(Block::Paragraph { text: t } | Block::Heading { text: t, .. }) =
            i.checked_sub(1).map(|p| &blocks[p])
            && t.len() < 80
            && names.iter().any(|n| t.contains(n))
        {
            drop[i - 1] = true;
        }
    }
    let mut d = drop.into_iter();
    blocks.retain(|_| !d.next().unwrap_or(false));
}

pub fn trim_header(
    blocks: &mut Vec<Block>,
    title: Option<&str>,
    description: Option<&str>,
    authors: &[String],
) {
    let title = title.map(text::key).unwrap_or_default();
    let _ = description;
    let authors: Vec<String> = authors.iter().map(|a| text::key(a)).collect();
    let same = |a: &str, b: &str| {
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        !short.is_empty() && (short == long || (short.len() >= 15 && long.contains(short)))
    };
    let mut drop = Vec::new();
    for (i, b) in blocks.iter().enumerate().take(8) {
        match b {
            Block::Heading { level, text } => {
                let k = text::key(text);
                if *level == 1 || same(&k, &title) {
                    drop.push(i);
                }
            }
            Block::Paragraph { text } => {
                let k = text::key(text);
                if authors.iter().any(|a| !a.is_empty() && k == *a) {
                    drop.push(i);
                    continue;
                }
                if text::word_count(text) > 25 {
                    break;
                }
            }
            Block::Figure { .. } | Block::Embed { .. } => {}
            _ => break,
        }
    }
    for i in drop.into_iter().rev() {
        blocks.remove(i);
    }
}

/// Drops the later copies of long blocks: a story never repeats a paragraph
/// word for word, but pages carry the same text twice or more (a mobile and a
/// desktop layout, a print copy, tab panels), all inside the chosen body.
fn drop_repeats(blocks: &mut Vec<Block>) {
    const MIN_BYTES: usize = 80;
    // 64-bit hashes of the comparison keys: a false match would need a
    // collision between two long blocks of one page.
    let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<FxHasher>> =
        Default::default();
    blocks.retain(|b| {
        let t = match b {
            Block::Paragraph { text } | Block::Quote { text, .. } => {
                std::borrow::Cow::Borrowed(text)
            }
            Block::List { items, .. } => std::borrow::Cow::Owned(items.join("\n")),
            _ => return true,
        };
        t.len() < MIN_BYTES || seen.insert(key_hash(&t))
    });
}

/// A hash of [`text::key`] without building the key (ASCII text, the usual
/// case, is hashed byte by byte; other text through the key itself).
fn key_hash(t: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    if !t.is_ascii() {
        for b in text::key(t).bytes() {
            h.write_u8(b);
        }
        return h.finish();
    }
    let mut gap = false;
    let mut started = false;
    for &b in t.as_bytes() {
        if b.is_ascii_alphanumeric() {
            if gap && started {
                h.write_u8(b' ');
            }
            gap = false;
            started = true;
            h.write_u8(b.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    h.finish()
}

/// Removes the sections opened by furniture headings ("Related stories",
/// "More from ...", "Comments") up to the next heading of the same or a
/// higher rank. Only in the second half of the text: a heading like that
/// near the top is more likely a stray label than the start of the page's
/// tail.
fn cut_furniture_sections(blocks: &mut Vec<Block>, cuts: &[(usize, u8)]) {
    if cuts.is_empty() {
        return;
    }
    let len = |b: &Block| b.plain_text().map_or(0, |t| t.len());
    let total: usize = blocks.iter().map(len).sum();
    let mut keep = vec![true; blocks.len()];
    let mut before = 0usize;
    let mut bi = 0usize;
    for &(at, level) in cuts {
        while bi < at.min(blocks.len()) {
            before += len(&blocks[bi]);
            bi += 1;
        }
        if before * 2 < total {
            continue;
        }
        let mut i = at;
        while i < blocks.len() {
            if let Block::Heading { level: l, .. } = blocks[i]
                && l <= level.min(6)
            {
                break;
            }
            keep[i] = false;
            i += 1;
        }
    }
    let mut k = keep.into_iter();
    blocks.retain(|_| k.next().unwrap_or(true));
}

impl Emitter<'_> {
    fn walk(&mut self, root: NodeId) {
        let dom = self.dom;
        let mut cur = root;
        loop {
            let descend = self.enter(cur);
            let fc = dom.node(cur).first_child;
            if descend && fc != NONE {
                cur = fc;
                continue;
            }
            if descend {
                self.exit(cur);
            }
            // Climb to the next sibling, exiting every parent passed (each
            // was entered with `descend` set).
            loop {
                if cur == root {
                    return;
                }
                let nx = dom.node(cur).next;
                if nx != NONE {
                    cur = nx;
                    break;
                }
                cur = dom.node(cur).parent;
                if cur == NONE {
                    return;
                }
                self.exit(cur);
            }
        }
    }

    fn enter(&mut self, id: NodeId) -> bool {
        let dom = self.dom;
        if let Some(a) = self.skip {
            if is_ancestor(dom, a, id) {
                return false;
            }
            self.skip = None;
        }
        if self.an.drop[id as usize] {
            if let Some(el) = dom.element(id)
                && &*el.name == "iframe"
                && let Some(b) = embed_from_iframe(el.attr("src").unwrap_or(""))
            {
                self.flush();
                self.push(b);
            }
            return false;
        }
        let el = match &dom.node(id).data {
            NodeData::Text(t) => {
                if self.buf.is_empty() {
                    self.buf_node = dom.node(id).parent;
                }
                crate::dom::push_collapsed(&mut self.buf, t);
                let (n, _) = count_text(t);
                self.buf_len += n;
                if self.in_link > 0 {
                    self.buf_link += n;
                }
                return false;
            }
            NodeData::Element(el) => el,
            _ => return false,
        };
        self.cur = id;
        let tag = &*el.name;
        // A photo caption marked by name rather than by <figure>: it goes
        // with the picture, not into the prose.
        if tag != "figure"
            && (tag == "figcaption" || is_caption(el))
            && self.an.text[id as usize] <= 600
        {
            self.flush();
            if let Some(b) = self.caption(id) {
                self.push(b);
            }
            return false;
        }
        match tag {
            "br" => {
                trim_end_spaces(&mut self.buf);
                self.buf.push('\n');
                false
            }
            "a" => {
                self.in_link += 1;
                true
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let t = block_text(dom, self.an, id).replace('\n', " ");
                let level = tag.as_bytes()[1] - b'0';
                if text::is_junk_heading(&t) {
                    if text::opens_furniture_section(&t) {
                        self.open_cut(id, level);
                    }
                    return false;
                }
                if !t.is_empty()
                    && text::key(&t) != self.title_key
                    && (self.an.link_density(id) < 0.5 || links_to_anchor(dom, id))
                {
                    self.push(Block::Heading { level, text: t });
                }
                false
            }
            "p" => {
                self.flush();
                let t = block_text(dom, self.an, id);
                self.push_paragraph(id, t, self.an.link_density(id), self.an.text[id as usize]);
                false
            }
            "ul" | "ol" => {
                self.flush();
                self.list(id, tag == "ol");
                false
            }
            "blockquote" => {
                self.flush();
                self.quote(id);
                false
            }
            "figure" => {
                self.flush();
                match self.figure(id) {
                    // A figure that wraps a table or text of its own (more
                    // than its caption) is walked like any container.
                    Some(Block::Figure {
                        image: None,
                        caption,
                        ..
                    }) if self.an.text[id as usize]
                        > caption.as_deref().map_or(0, |c| count_text(c).0) + 40 =>
                    {
                        true
                    }
                    Some(b) => {
                        self.push(b);
                        false
                    }
                    None => false,
                }
            }
            "pre" => {
                self.flush();
                let t = self.dom.text_of(id);
                if !t.trim().is_empty() {
                    self.push(Block::Preformatted {
                        text: pre_text(dom, id),
                    });
                }
                false
            }
            "table" => {
                self.flush();
                // Layout tables hold blocks of their own: walk into them.
                if self.layout_table(id) {
                    return true;
                }
                self.table(id);
                false
            }
            t if is_block(t) => {
                self.flush();
                true
            }
            _ => true,
        }
    }

    fn exit(&mut self, id: NodeId) {
        if let Some(el) = self.dom.element(id) {
            if &*el.name == "a" {
                self.in_link = self.in_link.saturating_sub(1);
            } else if is_block(&el.name) {
                self.flush();
            }
        }
    }

    fn push(&mut self, b: Block) {
        self.blocks.push(b);
        self.block_nodes.push(self.cur);
    }

    fn flush(&mut self) {
        if self.buf.trim().is_empty() {
            self.buf.clear();
            self.buf_len = 0;
            self.buf_link = 0;
            return;
        }
        let t = tidy(&self.buf);
        let ld = if self.buf_len > 0 {
            self.buf_link as f32 / self.buf_len as f32
        } else {
            0.0
        };
        let len = self.buf_len;
        self.buf.clear();
        self.buf_len = 0;
        self.buf_link = 0;
        self.push_paragraph(self.buf_node, t, ld, len);
    }

    /// A furniture heading at `node`: skip the section it titles when the
    /// page wraps that section in an element of its own (the heading first
    /// in it, the element well short of the body); else remember the
    /// heading so the blocks after it can be cut up to the next heading.
    fn open_cut(&mut self, node: NodeId, level: u8) {
        let dom = self.dom;
        let an = self.an;
        let root = self.root;
        let half = an.text[root as usize] / 2;
        let mut best = NONE;
        let mut cur = node;
        while cur != root && cur != NONE {
            let p = dom.node(cur).parent;
            if p == NONE || p == root {
                break;
            }
            let first = dom
                .children(p)
                .find(|&c| !an.drop[c as usize] && an.text[c as usize] > 0);
            if first != Some(cur) {
                break;
            }
            let t = an.text[p as usize];
            if t >= half || (t > 1500 && an.link_density(p) < 0.25) {
                break;
            }
            best = p;
            cur = p;
        }
        // A wrapper around the label alone is no section.
        if best != NONE && an.text[best as usize] > an.text[node as usize] + 40 {
            self.skip = Some(best);
        } else {
            self.cuts.push((self.blocks.len(), level));
        }
    }

    fn push_paragraph(&mut self, node: NodeId, t: String, ld: f32, len: u32) {
        if t.is_empty() || text::is_placeholder(&t) {
            return;
        }
        if ld > 0.5 && len < 300 {
            return;
        }
        if len < 60 && text::opens_furniture_section(&t) {
            self.open_cut(node, 7);
            return;
        }
        // Furniture lines are short; long paragraphs skip the checks.
        if t.len() <= text::MAX_FURNITURE_BYTES {
            if text::is_boilerplate_line(&t) {
                if text::is_sign_up_pitch(&t) {
                    self.drop_box(node, len);
                }
                return;
            }
            if t.len() <= self.title_key.len() * 2 + 16 && text::key(&t) == self.title_key {
                return;
            }
        }
        let cur = self.cur;
        self.cur = node;
        self.push(Block::Paragraph { text: t });
        self.cur = cur;
    }

    /// A sign-up pitch of `len` characters at `node`: the small box around
    /// it (its title, form labels, legal small print, thank-you note) goes
    /// too, both the part already emitted and the rest.
    fn drop_box(&mut self, node: NodeId, len: u32) {
        let dom = self.dom;
        let an = self.an;
        let root = self.root;
        let limit = (len * 2 + 200).min(800);
        let mut best = NONE;
        let mut cur = node;
        while cur != NONE && cur != root {
            let p = dom.node(cur).parent;
            if p == NONE || p == root {
                break;
            }
            let t = an.text[p as usize];
            if t > limit || t * 4 > an.text[root as usize] {
                break;
            }
            best = p;
            cur = p;
        }
        if best == NONE {
            return;
        }
        let mut keep_to = self.blocks.len();
        while keep_to > 0 && is_ancestor(dom, best, self.block_nodes[keep_to - 1]) {
            keep_to -= 1;
        }
        self.blocks.truncate(keep_to);
        self.block_nodes.truncate(keep_to);
        self.skip = Some(best);
    }

    fn list(&mut self, id: NodeId, ordered: bool) {
        let an = self.an;
        // A list of links is page furniture, unless the story introduces it
        // ("These are the changes merged this month:").
        let introduced = matches!(self.blocks.last(),
            Some(Block::Paragraph { text }) if text.trim_end().ends_with(':'));
        if an.link_density(id) > 0.5 && !introduced {
            return;
        }
        let mut items = Vec::new();
        for li in self.dom.children(id) {
            if an.drop[li as usize] || self.dom.element(li).is_none() {
                continue;
            }
            let t = block_text(self.dom, an, li).replace('\n', " ");
            if !t.is_empty() && !text::is_furniture_line(&t) && !text::is_placeholder(&t) {
                items.push(t);
            }
        }
        if items.is_empty() {
            return;
        }
        self.push(Block::List { ordered, items });
    }

    fn quote(&mut self, id: NodeId) {
        let dom = self.dom;
        let class = dom
            .element(id)
            .and_then(|e| e.attr("class"))
            .unwrap_or("")
            .to_ascii_lowercase();
        let provider = [
            "twitter-tweet",
            "instagram-media",
            "tiktok-embed",
            "reddit-embed",
            "bluesky-embed",
            "fb-xfbml",
        ]
        .iter()
        .find(|p| class.contains(*p));
        if let Some(p) = provider {
            let url = last_link(dom, id);
            let provider = p.split('-').next().unwrap_or(p).to_string();
            let text = block_text(dom, self.an, id);
            self.push(Block::Embed {
                provider,
                url,
                text: if text.is_empty() { None } else { Some(text) },
            });
            return;
        }
        // Attribution: <cite> or <footer> inside the quote.
        let mut attribution = None;
        let mut cur = Some(id);
        while let Some(c) = cur {
            if c != id
                && let Some(t) = dom.tag(c)
                && (t == "cite" || t == "footer")
            {
                let a = dom.text_of(c);
                let a = a
                    .trim_start_matches(['—', '–', '-', ' '])
                    .trim()
                    .to_string();
                if !a.is_empty() {
                    attribution = Some(a);
                }
                break;
            }
            cur = dom.next_in(id, c, false);
        }
        let t = block_text(dom, self.an, id);
        if t.is_empty() {
            return;
        }
        let t = t.replace('\n', "\n\n");
        self.push(Block::Quote {
            text: t,
            attribution,
        });
    }

    fn caption(&mut self, id: NodeId) -> Option<Block> {
        let (image, caption, credit) =
            figure_parts(self.dom, id, self.base_url).unwrap_or((None, None, None));
        if caption.is_some() || credit.is_some() {
            return Some(Block::Figure {
                image,
                caption,
                credit,
            });
        }
        let t = block_text(self.dom, self.an, id).replace('\n', " ");
        let (caption, credit) = text::split_credit(&t);
        if caption.is_empty() && credit.is_none() && image.is_none() {
            return None;
        }
        Some(Block::Figure {
            image,
            caption: Some(caption).filter(|c| !c.is_empty()),
            credit,
        })
    }

    fn figure(&mut self, id: NodeId) -> Option<Block> {
        match figure_parts(self.dom, id, self.base_url) {
            Some((image, caption, credit)) => Some(Block::Figure {
                image,
                caption,
                credit,
            }),
            None => {
                let t = block_text(self.dom, self.an, id);
                if t.is_empty() {
                    None
                } else {
                    Some(Block::Paragraph { text: t })
                }
            }
        }
    }

    fn layout_table(&self, id: NodeId) -> bool {
        let dom = self.dom;
        let mut cur = dom.next_in(id, id, false);
        while let Some(c) = cur {
            if let Some(t) = dom.tag(c)
                && matches!(t, "p" | "div" | "table" | "h1" | "h2" | "h3" | "ul" | "ol")
                && self.an.text[c as usize] > 0
            {
                return true;
            }
            cur = dom.next_in(id, c, false);
        }
        false
    }

    fn table(&mut self, id: NodeId) {
        let dom = self.dom;
        let an = self.an;
        if an.link_density(id) > 0.5 {
            return;
        }
        let mut rows = Vec::new();
        let mut cur = dom.next_in(id, id, false);
        while let Some(c) = cur {
            let mut skip = false;
            if dom.tag(c) == Some("tr") && !an.drop[c as usize] {
                let mut row = Vec::new();
                for cell in dom.children(c) {
                    if matches!(dom.tag(cell), Some("td" | "th")) {
                        row.push(block_text(dom, an, cell).replace('\n', " "));
                    }
                }
                if row.iter().any(|c| !c.is_empty()) {
                    rows.push(row);
                }
                skip = true;
            }
            cur = dom.next_in(id, c, skip);
        }
        if !rows.is_empty() {
            self.push(Block::Table { rows });
        }
    }
}

/// Whether the element's class names it a caption (`photo-caption`,
/// `wp-caption-text`).
fn is_caption(el: &crate::dom::Element) -> bool {
    el.attr("class")
        .is_some_and(|c| c.to_ascii_lowercase().contains("caption"))
}

fn pre_text(dom: &Dom, id: NodeId) -> String {
    let mut out = String::new();
    let mut cur = Some(id);
    while let Some(c) = cur {
        match &dom.node(c).data {
            NodeData::Text(t) => out.push_str(t),
            NodeData::Element(e) if &*e.name == "br" => out.push('\n'),
            _ => {}
        }
        cur = dom.next_in(id, c, false);
    }
    out.trim_matches('\n').to_string()
}

fn last_link(dom: &Dom, id: NodeId) -> Option<String> {
    let mut found = None;
    let mut cur = Some(id);
    while let Some(c) = cur {
        if let Some(el) = dom.element(c)
            && &*el.name == "a"
            && let Some(h) = el.attr("href")
        {
            found = Some(h.to_string());
        }
        cur = dom.next_in(id, c, false);
    }
    found
}

fn embed_from_iframe(src: &str) -> Option<Block> {
    let l = src.to_ascii_lowercase();
    let provider = [
        ("youtube", "youtube"),
        ("youtu.be", "youtube"),
        ("vimeo", "vimeo"),
        ("twitter.com", "twitter"),
        ("x.com", "twitter"),
        ("instagram", "instagram"),
        ("facebook.com", "facebook"),
        ("tiktok", "tiktok"),
        ("spotify", "spotify"),
        ("soundcloud", "soundcloud"),
        ("bsky", "bluesky"),
    ]
    .iter()
    .find(|(k, _)| l.contains(k))?
    .1;
    Some(Block::Embed {
        provider: provider.to_string(),
        url: Some(src.to_string()),
        text: None,
    })
}

pub fn image_src(el: &crate::dom::Element, base: Option<&str>) -> Option<String> {
    let raw = ["src", "data-src", "data-lazy-src", "data-original"]
        .iter()
        .filter_map(|a| el.attr(a))
        .find(|v| !v.is_empty() && !v.starts_with("data:"))
        .or_else(|| {
            el.attr("srcset")
                .and_then(|s| s.split(',').next())
                .and_then(|s| s.split_whitespace().next())
        })?;
    Some(text::resolve_url(base, raw.trim()))
}

/// A lead image found in the body (first figure) if the metadata has none.
pub fn first_figure(blocks: &[Block]) -> Option<Image> {
    blocks.iter().find_map(|b| match b {
        Block::Figure {
            image: Some(url),
            caption,
            credit,
        } => Some(Image {
            url: url.clone(),
            caption: caption.clone(),
            credit: credit.clone(),
            alt: None,
        }),
        _ => None,
    })
}

#[doc(hidden)]
pub fn describe(dom: &Dom, id: NodeId) -> String {
    let mut path = Vec::new();
    let mut cur = id;
    for _ in 0..30 {
        if let Some(el) = dom.element(cur) {
            path.push(format!(
                "{}#{}.{}",
                el.name,
                el.attr("id").unwrap_or(""),
                el.attr("class").unwrap_or("").replace(' ', ".")
            ));
        }
        cur = dom.node(cur).parent;
        if cur == NONE {
            break;
        }
    }
    path.reverse();
    path.join(" > ")
}

#[doc(hidden)]
pub fn dump(dom: &Dom, an: &Analysis, root: NodeId, max_depth: usize) -> String {
    let mut out = String::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((id, d)) = stack.pop() {
        if let Some(el) = dom.element(id) {
            let i = id as usize;
            out.push_str(&format!(
                "{}{} .{} #{} text={} link={} inline={}{}\n",
                "  ".repeat(d),
                el.name,
                el.attr("class")
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect::<String>(),
                el.attr("id").unwrap_or(""),
                an.text[i],
                an.link[i],
                an.inline[i],
                if an.drop[i] {
                    format!(" DROPPED {:?}", class_hint(dom, id, &mut String::new()))
                } else {
                    String::new()
                }
            ));
            if d < max_depth && !an.drop[i] {
                let kids: Vec<NodeId> = dom.children(id).collect();
                for k in kids.into_iter().rev() {
                    if dom.element(k).is_some() && (an.text[k as usize] > 0 || an.drop[k as usize])
                    {
                        stack.push((k, d + 1));
                    }
                }
            }
        }
    }
    out
}

/// Every `<figure>` with an image in the page, dropped or not: the lead
/// image's visible caption often sits above the body proper.
pub fn all_figures(dom: &Dom, base: Option<&str>) -> Vec<Image> {
    let mut out = Vec::new();
    let mut cur = Some(Dom::ROOT);
    while let Some(c) = cur {
        let mut skip = false;
        if dom.tag(c) == Some("figure") {
            skip = true;
            if let Some((Some(url), caption, credit)) = figure_parts(dom, c, base) {
                out.push(Image {
                    url,
                    alt: None,
                    caption,
                    credit,
                });
            }
            if out.len() >= 20 {
                break;
            }
        }
        cur = dom.next_in(Dom::ROOT, c, skip);
    }
    out
}

type FigureParts = (Option<String>, Option<String>, Option<String>);

/// Image source, caption and credit of a `<figure>`; `None` when it has none
/// of the three.
fn figure_parts(dom: &Dom, id: NodeId, base: Option<&str>) -> Option<FigureParts> {
    let mut src = None;
    let mut caption = None;
    let mut credit = None;
    let mut cur = Some(id);
    while let Some(c) = cur {
        let mut skip = false;
        if let Some(el) = dom.element(c) {
            match &*el.name {
                "img" if src.is_none() => src = image_src(el, base),
                "figcaption" => {
                    let mut cap = String::new();
                    // Credits often sit in their own span inside the caption.
                    let mut cc = dom.next_in(c, c, false);
                    while let Some(x) = cc {
                        if let Some(e) = dom.element(x) {
                            let cls = format!(
                                "{} {}",
                                e.attr("class").unwrap_or(""),
                                e.attr("itemprop").unwrap_or("")
                            )
                            .to_ascii_lowercase();
                            if cls.contains("credit")
                                || cls.contains("copyright")
                                || cls.contains("author")
                            {
                                let t = dom.text_of(x);
                                if !t.is_empty() {
                                    credit = Some(t);
                                }
                                cc = dom.next_in(c, x, true);
                                continue;
                            }
                        }
                        if let NodeData::Text(t) = &dom.node(x).data {
                            crate::dom::push_collapsed(&mut cap, t);
                        }
                        cc = dom.next_in(c, x, false);
                    }
                    let cap = cap.trim().to_string();
                    if !cap.is_empty() {
                        caption = Some(cap);
                    }
                    skip = true;
                }
                _ => {}
            }
        }
        cur = dom.next_in(id, c, skip);
    }
    if caption.is_none() && credit.is_none() && src.is_none() {
        return None;
    }
    if credit.is_none()
        && let Some(cap) = &caption
    {
        let (c, cr) = text::split_credit(cap);
        if cr.is_some() {
            caption = Some(c);
            credit = cr;
        }
    }
    Some((src, caption, credit))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The ASCII fast path of `count_text` agrees with the char by char
        /// count (vertical tab included, which `u8` does not call space).
        #[test]
        fn text_counts_match_the_char_by_char_count(t in "[ -~\t\n\x0b\x0c\r\u{a0}\u{2019}\u{3000}，、é]{0,80}") {
            let mut n = 0u32;
            let mut commas = 0u32;
            for c in t.chars() {
                if !c.is_whitespace() {
                    n += 1;
                    commas += u32::from(matches!(c, ',' | '，' | '、'));
                }
            }
            proptest::prop_assert_eq!(count_text(&t), (n, commas));
        }
    }

    #[test]
    fn key_hash_is_the_hash_of_the_key() {
        use std::hash::Hasher;
        for t in [
            "Rain, rain -- go away!",
            "  Été à Paris, été 2024 ",
            "",
            "a",
        ] {
            let mut h = FxHasher::default();
            for b in text::key(t).bytes() {
                h.write_u8(b);
            }
            assert_eq!(key_hash(t), h.finish(), "{t}");
        }
        assert_eq!(key_hash("Rain, rain."), key_hash("rain RAIN"));
        assert_eq!(key_hash("Rain\u{2014}rain"), key_hash("rain rain"));
        assert_ne!(key_hash("rain rain"), key_hash("rainrain"));
    }

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
