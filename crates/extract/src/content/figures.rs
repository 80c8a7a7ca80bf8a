//! Images, captions and credits: figures in the body and in the page.

use crate::dom::{Dom, NodeData, NodeId};
use crate::text;
use crate::{Block, Image};

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
pub(super) fn figure_parts(dom: &Dom, id: NodeId, base: Option<&str>) -> Option<FigureParts> {
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
