//! Human-readable views of the analysed tree, for the `debug` example.

use super::Analysis;
use super::hints::class_hint;
use crate::dom::{Dom, NONE, NodeId};

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
