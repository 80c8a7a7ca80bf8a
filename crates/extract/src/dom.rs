//! A lean arena DOM filled by html5ever's tree builder.
//!
//! Nodes live in one `Vec` and link to each other by index, so building is
//! cheap and every walk over the tree can be iterative (pages nest 100,000
//! deep; recursion would overflow the stack).

use std::borrow::Cow;
use std::cell::RefCell;

use html5ever::interface::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, LocalName, QualName, ns, parse_document};

pub type NodeId = u32;
pub const NONE: NodeId = u32::MAX;

#[derive(Debug)]
pub struct Node {
    pub parent: NodeId,
    pub first_child: NodeId,
    pub last_child: NodeId,
    pub prev: NodeId,
    pub next: NodeId,
    pub data: NodeData,
}

#[derive(Debug)]
pub enum NodeData {
    Document,
    Element(Element),
    Text(String),
    Other,
}

#[derive(Debug)]
pub struct Element {
    pub name: LocalName,
    /// Elements outside the HTML namespace (svg, math) carry no article text.
    pub foreign: bool,
    pub attrs: Vec<(LocalName, StrTendril)>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| &**v)
    }
}

pub struct Dom {
    pub nodes: Vec<Node>,
}

impl Dom {
    pub const ROOT: NodeId = 0;

    pub fn parse(html: &str) -> Dom {
        let sink = Sink {
            nodes: RefCell::new(vec![new_node(NodeData::Document)]),
            dummy: QualName::new(None, ns!(html), LocalName::from("")),
            streamed: RefCell::new(Vec::new()),
            boundary_ends: RefCell::new(Vec::new()),
        };
        let mut opts = html5ever::ParseOpts::default();
        opts.tree_builder.scripting_enabled = true;
        let tendril = StrTendril::from_slice(html);
        parse_document(sink, opts).one(tendril)
    }

    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    #[inline]
    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.nodes.get(id as usize)?.data {
            NodeData::Element(e) => Some(e),
            _ => None,
        }
    }

    #[inline]
    pub fn tag(&self, id: NodeId) -> Option<&str> {
        self.element(id).map(|e| &*e.name)
    }

    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            dom: self,
            next: self.node(id).first_child,
        }
    }

    /// Next node in document order, not descending into `id`'s children when
    /// `skip_children` is set; `None` once past `root`'s subtree.
    #[inline]
    pub fn next_in(&self, root: NodeId, id: NodeId, skip_children: bool) -> Option<NodeId> {
        let n = self.node(id);
        if !skip_children && n.first_child != NONE {
            return Some(n.first_child);
        }
        let mut cur = id;
        loop {
            if cur == root {
                return None;
            }
            let c = self.node(cur);
            if c.next != NONE {
                return Some(c.next);
            }
            cur = c.parent;
            if cur == NONE {
                return None;
            }
        }
    }

    /// All text below `id`, whitespace collapsed.
    pub fn text_of(&self, id: NodeId) -> String {
        let mut out = String::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            let mut skip = false;
            match &self.node(c).data {
                NodeData::Text(t) => push_collapsed(&mut out, t),
                NodeData::Element(e) => {
                    skip = matches!(&*e.name, "script" | "style" | "template");
                }
                _ => {}
            }
            cur = self.next_in(id, c, skip);
        }
        out.trim_end().to_string()
    }

    /// Depth-capped ancestor walk.
    pub fn ancestors(&self, id: NodeId) -> Ancestors<'_> {
        Ancestors {
            dom: self,
            cur: self.node(id).parent,
        }
    }
}

/// Appends `t` with runs of whitespace collapsed into one space.
pub fn push_collapsed(out: &mut String, t: &str) {
    let mut space = out.is_empty() || out.ends_with(' ');
    // Runs of visible ASCII are copied whole; only other characters are
    // decoded (Unicode spaces collapse too).
    let b = t.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if c.is_ascii_whitespace() || c == 0x0b {
                if !space {
                    out.push(' ');
                    space = true;
                }
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && b[i] < 0x80 && !b[i].is_ascii_whitespace() && b[i] != 0x0b {
                i += 1;
            }
            out.push_str(&t[start..i]);
            space = false;
            continue;
        }
        let ch = t[i..].chars().next().unwrap_or(' ');
        i += ch.len_utf8();
        if ch.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.push(ch);
            space = false;
        }
    }
}

pub struct Children<'a> {
    dom: &'a Dom,
    next: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.dom.node(id).next;
        Some(id)
    }
}

pub struct Ancestors<'a> {
    dom: &'a Dom,
    cur: NodeId,
}

impl Iterator for Ancestors<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.cur == NONE {
            return None;
        }
        let id = self.cur;
        self.cur = self.dom.node(id).parent;
        Some(id)
    }
}

fn new_node(data: NodeData) -> Node {
    Node {
        parent: NONE,
        first_child: NONE,
        last_child: NONE,
        prev: NONE,
        next: NONE,
        data,
    }
}

#[derive(Clone)]
struct Handle {
    id: NodeId,
    /// Shared: the tree builder clones handles constantly.
    name: Option<std::rc::Rc<QualName>>,
}

struct Sink {
    nodes: RefCell<Vec<Node>>,
    dummy: QualName,
    /// Templates and hidden divs whose ids look like React's streaming
    /// placeholders (`B:1`, `P:2`) and segments (`S:1`).
    streamed: RefCell<Vec<NodeId>>,
    /// `<!--/$-->` comments: where a streamed boundary's fallback ends.
    boundary_ends: RefCell<Vec<NodeId>>,
}

impl Sink {
    fn push(&self, data: NodeData) -> NodeId {
        let mut nodes = self.nodes.borrow_mut();
        let id = u32::try_from(nodes.len()).unwrap_or(NONE - 1);
        nodes.push(new_node(data));
        id
    }

    fn detach(nodes: &mut [Node], id: NodeId) {
        let (parent, prev, next) = {
            let n = &mut nodes[id as usize];
            let r = (n.parent, n.prev, n.next);
            n.parent = NONE;
            n.prev = NONE;
            n.next = NONE;
            r
        };
        if next != NONE {
            nodes[next as usize].prev = prev;
        } else if parent != NONE {
            nodes[parent as usize].last_child = prev;
        }
        if prev != NONE {
            nodes[prev as usize].next = next;
        } else if parent != NONE {
            nodes[parent as usize].first_child = next;
        }
    }

    fn append_id(nodes: &mut [Node], parent: NodeId, child: NodeId) {
        Self::detach(nodes, child);
        let last = nodes[parent as usize].last_child;
        nodes[child as usize].parent = parent;
        nodes[child as usize].prev = last;
        if last != NONE {
            nodes[last as usize].next = child;
        } else {
            nodes[parent as usize].first_child = child;
        }
        nodes[parent as usize].last_child = child;
    }

    fn insert_before_id(nodes: &mut [Node], sibling: NodeId, child: NodeId) {
        Self::detach(nodes, child);
        let parent = nodes[sibling as usize].parent;
        let prev = nodes[sibling as usize].prev;
        nodes[child as usize].parent = parent;
        nodes[child as usize].next = sibling;
        nodes[child as usize].prev = prev;
        nodes[sibling as usize].prev = child;
        if prev != NONE {
            nodes[prev as usize].next = child;
        } else if parent != NONE {
            nodes[parent as usize].first_child = child;
        }
    }

    fn text_node_or_merge(&self, prev: NodeId, text: &str) -> Option<NodeId> {
        {
            let mut nodes = self.nodes.borrow_mut();
            if prev != NONE
                && let NodeData::Text(t) = &mut nodes[prev as usize].data
            {
                t.push_str(text);
                return None;
            }
        }
        Some(self.push(NodeData::Text(text.to_string())))
    }
}

impl TreeSink for Sink {
    type Handle = Handle;
    type Output = Dom;
    type ElemName<'a>
        = &'a QualName
    where
        Self: 'a;

    fn finish(self) -> Dom {
        let mut nodes = self.nodes.into_inner();
        for n in nodes.iter_mut() {
            if let NodeData::Text(t) = &mut n.data
                && !t.is_ascii()
            {
                if let Some(fixed) = crate::text::fix_mojibake(t) {
                    *t = fixed;
                }
                // Invisible marks split words for every reader of the text.
                if t.contains(['\u{200b}', '\u{2060}', '\u{feff}', '\u{ad}']) {
                    t.retain(|c| !matches!(c, '\u{200b}' | '\u{2060}' | '\u{feff}' | '\u{ad}'));
                }
            }
        }
        let streamed = self.streamed.into_inner();
        if !streamed.is_empty() {
            resolve_streamed(&mut nodes, &streamed, &self.boundary_ends.into_inner());
        }
        Dom { nodes }
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> Handle {
        Handle { id: 0, name: None }
    }

    fn elem_name<'a>(&'a self, target: &'a Handle) -> &'a QualName {
        match &target.name {
            Some(n) => n,
            None => &self.dummy,
        }
    }

    fn create_element(
        &self,
        name: QualName,
        attrs: Vec<Attribute>,
        _flags: ElementFlags,
    ) -> Handle {
        let el = Element {
            name: name.local.clone(),
            foreign: name.ns != ns!(html),
            attrs: attrs
                .into_iter()
                .filter(|a| used_attr(&a.name.local))
                .map(|a| (a.name.local, a.value))
                .collect(),
        };
        let streamed = matches!(&*el.name, "template" | "div")
            && el.attr("id").is_some_and(|v| stream_key(v).is_some());
        let id = self.push(NodeData::Element(el));
        if streamed {
            self.streamed.borrow_mut().push(id);
        }
        Handle {
            id,
            name: Some(std::rc::Rc::new(name)),
        }
    }

    fn create_comment(&self, text: StrTendril) -> Handle {
        let id = self.push(NodeData::Other);
        if &*text == "/$" {
            self.boundary_ends.borrow_mut().push(id);
        }
        Handle { id, name: None }
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> Handle {
        Handle {
            id: self.push(NodeData::Other),
            name: None,
        }
    }

    fn append(&self, parent: &Handle, child: NodeOrText<Handle>) {
        let id = match child {
            NodeOrText::AppendNode(h) => h.id,
            NodeOrText::AppendText(t) => {
                let last = self.nodes.borrow()[parent.id as usize].last_child;
                match self.text_node_or_merge(last, &t) {
                    Some(id) => id,
                    None => return,
                }
            }
        };
        Self::append_id(&mut self.nodes.borrow_mut(), parent.id, id);
    }

    fn append_based_on_parent_node(
        &self,
        element: &Handle,
        prev_element: &Handle,
        child: NodeOrText<Handle>,
    ) {
        let has_parent = self.nodes.borrow()[element.id as usize].parent != NONE;
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &Handle) -> Handle {
        // Template contents are never article text; give the tree builder the
        // element itself so it has somewhere to put them.
        target.clone()
    }

    fn same_node(&self, x: &Handle, y: &Handle) -> bool {
        x.id == y.id
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &Handle, child: NodeOrText<Handle>) {
        let id = match child {
            NodeOrText::AppendNode(h) => h.id,
            NodeOrText::AppendText(t) => {
                let prev = self.nodes.borrow()[sibling.id as usize].prev;
                match self.text_node_or_merge(prev, &t) {
                    Some(id) => id,
                    None => return,
                }
            }
        };
        Self::insert_before_id(&mut self.nodes.borrow_mut(), sibling.id, id);
    }

    fn add_attrs_if_missing(&self, target: &Handle, attrs: Vec<Attribute>) {
        let mut nodes = self.nodes.borrow_mut();
        if let NodeData::Element(e) = &mut nodes[target.id as usize].data {
            for a in attrs {
                if used_attr(&a.name.local) && !e.attrs.iter().any(|(n, _)| *n == a.name.local) {
                    e.attrs.push((a.name.local, a.value));
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &Handle) {
        Self::detach(&mut self.nodes.borrow_mut(), target.id);
    }

    fn reparent_children(&self, node: &Handle, new_parent: &Handle) {
        let mut nodes = self.nodes.borrow_mut();
        let mut child = nodes[node.id as usize].first_child;
        while child != NONE {
            let next = nodes[child as usize].next;
            Self::append_id(&mut nodes, new_parent.id, child);
            child = next;
        }
    }
}

/// The attributes anything in this crate reads; the rest (`data-*` state,
/// `srcset`'s siblings, `aria-label`...) are dropped while building, which
/// keeps lookups short on attribute-heavy pages. A new reader of an
/// attribute must add it here (the `attributes_read_are_kept` test lists them).
pub fn used_attr(name: &str) -> bool {
    used_attr_bytes(name.as_bytes())
}

/// [`used_attr`] for a lower-cased name straight from the page's bytes.
pub fn used_attr_bytes(name: &[u8]) -> bool {
    matches!(
        name,
        b"aria-controls"
            | b"class"
            | b"content"
            | b"datetime"
            | b"hidden"
            | b"href"
            | b"http-equiv"
            | b"id"
            | b"itemprop"
            | b"lang"
            | b"name"
            | b"property"
            | b"pubdate"
            | b"rel"
            | b"role"
            | b"src"
            | b"srcset"
            | b"style"
            | b"type"
            | b"xml:lang"
            | b"data-src"
            | b"data-lazy-src"
            | b"data-original"
    )
}

/// Splits a React streaming id (`B:1f`, `P:3`, `S:0`, after an optional
/// `identifierPrefix`) into its kind letter and its key (prefix and number).
fn stream_key(id: &str) -> Option<(u8, String)> {
    let colon = id.rfind(':')?;
    let num = &id[colon + 1..];
    if colon == 0 || num.is_empty() || !num.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let kind = id.as_bytes()[colon - 1];
    if !matches!(kind, b'B' | b'P' | b'S') {
        return None;
    }
    Some((kind, format!("{}:{}", &id[..colon - 1], num)))
}

/// Puts streamed server-rendered content where the page's scripts would
/// have: React streams a late part of the page as `<div hidden id="S:n">`
/// at the end of the body and a script moves it into the placeholder
/// `<template id="B:n">` (replacing the fallback after it, up to
/// `<!--/$-->`) or `<template id="P:n">`. Without this the story of such a
/// page is hidden and the visible text is "Loading..." placeholders. The
/// scripts are gone by now (and often missing from saved pages), so the
/// pairing is by id, as React writes it.
fn resolve_streamed(nodes: &mut [Node], streamed: &[NodeId], ends: &[NodeId]) {
    use std::collections::HashMap;
    // Far more than any real page has; bounds the work on hostile input.
    const MAX_MOVES: usize = 10_000;
    const MAX_ANCESTOR_STEPS: usize = 4_000_000;
    let mut segments: HashMap<String, NodeId> = HashMap::new();
    let mut slots: Vec<(NodeId, bool, String)> = Vec::new();
    for &id in streamed.iter().take(2 * MAX_MOVES) {
        let NodeData::Element(el) = &nodes[id as usize].data else {
            continue;
        };
        let Some((kind, key)) = el.attr("id").and_then(stream_key) else {
            continue;
        };
        match (kind, &*el.name) {
            (b'S', "div") if el.attr("hidden").is_some() => {
                segments.entry(key).or_insert(id);
            }
            (b'B', "template") => slots.push((id, true, key)),
            (b'P', "template") => slots.push((id, false, key)),
            _ => {}
        }
    }
    if segments.is_empty() {
        return;
    }
    let mut steps = 0usize;
    for (slot, boundary, key) in slots {
        let Some(&seg) = segments.get(&key) else {
            continue;
        };
        if nodes[slot as usize].parent == NONE {
            continue;
        }
        // A slot inside its own segment would make a cycle.
        let mut cur = nodes[slot as usize].parent;
        let mut inside = false;
        while cur != NONE {
            steps += 1;
            if cur == seg {
                inside = true;
                break;
            }
            cur = nodes[cur as usize].parent;
        }
        if inside || steps > MAX_ANCESTOR_STEPS {
            continue;
        }
        if boundary {
            // The fallback: siblings up to the end marker when the page kept
            // it, else the one element after the placeholder.
            let mut end = NONE;
            let mut sib = nodes[slot as usize].next;
            for _ in 0..64 {
                if sib == NONE {
                    break;
                }
                if ends.binary_search(&sib).is_ok() {
                    end = sib;
                    break;
                }
                sib = nodes[sib as usize].next;
            }
            let mut sib = nodes[slot as usize].next;
            if end != NONE {
                while sib != NONE && sib != end {
                    let next = nodes[sib as usize].next;
                    Sink::detach(nodes, sib);
                    sib = next;
                }
            } else {
                while sib != NONE {
                    let next = nodes[sib as usize].next;
                    let element = matches!(&nodes[sib as usize].data,
                        NodeData::Element(e) if &*e.name != "template");
                    let blank = matches!(&nodes[sib as usize].data,
                        NodeData::Text(t) if t.trim().is_empty());
                    // A fallback is a spinner or a "Loading..." line; a
                    // longer element is the page's own (the fallback was empty).
                    if !(blank || element && short_text(nodes, sib, 120)) {
                        break;
                    }
                    Sink::detach(nodes, sib);
                    if element {
                        break;
                    }
                    sib = next;
                }
            }
        }
        let mut child = nodes[seg as usize].first_child;
        while child != NONE {
            let next = nodes[child as usize].next;
            Sink::insert_before_id(nodes, slot, child);
            child = next;
        }
        Sink::detach(nodes, slot);
    }
}

/// Whether the text below `id` is at most `limit` characters.
fn short_text(nodes: &[Node], id: NodeId, limit: usize) -> bool {
    let mut n = 0usize;
    let mut stack = vec![id];
    let mut visits = 0;
    while let Some(c) = stack.pop() {
        let node = &nodes[c as usize];
        if let NodeData::Text(t) = &node.data {
            n += t.trim().chars().count();
            if n > limit {
                return false;
            }
        }
        let mut k = node.first_child;
        while k != NONE {
            visits += 1;
            if visits > 4 * limit {
                return false;
            }
            stack.push(k);
            k = nodes[k as usize].next;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute name the crate looks up with `attr("...")` (or lists
    /// for an image source) survives the build-time filter.
    #[test]
    fn attributes_read_are_kept() {
        let sources = [
            include_str!("content/analysis.rs"),
            include_str!("content/cleanup.rs"),
            include_str!("content/debug.rs"),
            include_str!("content/emit.rs"),
            include_str!("content/figures.rs"),
            include_str!("content/hints.rs"),
            include_str!("content/mod.rs"),
            include_str!("content/scoring.rs"),
            include_str!("meta.rs"),
            include_str!("lib.rs"),
            include_str!("text/counting.rs"),
            include_str!("text/dates.rs"),
            include_str!("text/headings.rs"),
            include_str!("text/lines.rs"),
            include_str!("text/mojibake.rs"),
            include_str!("text/urls.rs"),
            include_str!("dom.rs"),
        ];
        let mut names = Vec::new();
        for src in sources {
            let code = src.split("#[cfg(test)]").next().unwrap_or("");
            for part in code.split("attr(\"").skip(1) {
                names.push(part.split('"').next().unwrap_or(""));
            }
        }
        names.extend(["data-src", "data-lazy-src", "data-original"]);
        assert!(names.len() > 20, "{names:?}");
        for n in names {
            assert!(
                used_attr(n),
                "attribute {n} is read but dropped while building"
            );
        }
    }

    #[test]
    fn unread_attributes_are_dropped_and_read_ones_kept() {
        let dom = Dom::parse(
            "<p class=lead data-track=x aria-label=y data-src=/a.jpg style=color:red>Hi</p>",
        );
        let p = (0..dom.nodes.len() as NodeId)
            .find(|&i| dom.tag(i) == Some("p"))
            .unwrap_or(NONE);
        let el = dom.element(p).map(|e| e.attrs.len());
        assert_eq!(el, Some(3));
        assert_eq!(dom.element(p).and_then(|e| e.attr("class")), Some("lead"));
        assert_eq!(dom.element(p).and_then(|e| e.attr("data-track")), None);
    }
}
