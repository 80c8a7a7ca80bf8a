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
    for ch in t.chars() {
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
    name: Option<QualName>,
}

struct Sink {
    nodes: RefCell<Vec<Node>>,
    dummy: QualName,
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
        Dom {
            nodes: self.nodes.into_inner(),
        }
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
            attrs: attrs.into_iter().map(|a| (a.name.local, a.value)).collect(),
        };
        let id = self.push(NodeData::Element(el));
        Handle {
            id,
            name: Some(name),
        }
    }

    fn create_comment(&self, _text: StrTendril) -> Handle {
        Handle {
            id: self.push(NodeData::Other),
            name: None,
        }
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
                if !e.attrs.iter().any(|(n, _)| *n == a.name.local) {
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
