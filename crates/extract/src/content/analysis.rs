//! Per-node statistics of the page (text, links, commas, paragraph text) and
//! the first cut of junk: structural and hinted elements, hidden ones, teaser
//! cards.

use super::fxhash::FxMap;
use super::hints::{Hint, always_drop, hidden, hint_of, structural_drop};
use super::{MIN_PARA, is_block};
use crate::dom::{Dom, NONE, NodeData, NodeId};
use crate::text;

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
    pub(super) hints: Vec<Hint>,
    /// Non-whitespace characters and commas of each text node.
    own: Vec<(u32, u32)>,
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
pub(super) fn links_to_anchor(dom: &Dom, id: NodeId) -> bool {
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

pub(super) fn count_text(t: &str) -> (u32, u32) {
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

    pub(super) fn link_density(&self, id: NodeId) -> f32 {
        let t = self.text[id as usize];
        if t == 0 {
            return 0.0;
        }
        self.link[id as usize] as f32 / t as f32
    }
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
}
