//! The walk over the chosen body that emits typed blocks, dropping link
//! lists, boilerplate lines and stray metadata on the way.

use super::Analysis;
use super::analysis::{count_text, links_to_anchor};
use super::cleanup::{cut_furniture_sections, drop_repeats};
use super::figures::figure_parts;
use super::is_block;
use super::scoring::is_ancestor;
use crate::Block;
use crate::dom::{Dom, NONE, NodeData, NodeId};
use crate::text;

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
