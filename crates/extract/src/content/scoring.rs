//! Choosing the body: Readability-style scores of containers, the maximum
//! paragraph-text subtree, and the JSON-LD `articleBody` as a tie-breaker.

use super::hints::Hint;
use super::{Analysis, MIN_PARA, is_block};
use crate::dom::{Dom, NONE, NodeData, NodeId};
use crate::text;

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

pub(super) fn is_ancestor(dom: &Dom, anc: NodeId, id: NodeId) -> bool {
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
