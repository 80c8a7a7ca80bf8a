//! Any Markdown an author writes (attributed quotes included) renders without panicking, to
//! HTML that parses without errors and carries no script: no `<script>`, `<iframe>`, `<style>`,
//! no `on*` attribute, no `javascript:` URL. `RUSTC_BOOTSTRAP=1 cargo fuzz run markdown`.
#![no_main]

use html5ever::tendril::TendrilSink as _;
use libfuzzer_sys::fuzz_target;
use markup5ever_rcdom::{Handle, NodeData, RcDom};

fn check(node: &Handle, html: &str) {
    if let NodeData::Element { name, attrs, .. } = &node.data {
        let tag = name.local.to_ascii_lowercase();
        assert!(
            !matches!(&*tag, "script" | "iframe" | "style" | "object" | "embed" | "form"),
            "<{tag}> in {html:?}"
        );
        for a in attrs.borrow().iter() {
            let n = a.name.local.to_ascii_lowercase();
            assert!(!n.starts_with("on"), "{n}= in {html:?}");
            let v: String = a.value.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(
                !v.to_ascii_lowercase().starts_with("javascript:"),
                "javascript: URL in {html:?}"
            );
        }
    }
    for child in node.children.borrow().iter() {
        check(child, html);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(md) = std::str::from_utf8(data) else {
        return;
    };
    let html = newsdesk_core::markdown::render(md);
    let dom = html5ever::parse_fragment(
        RcDom::default(),
        Default::default(),
        html5ever::QualName::new(None, html5ever::ns!(html), html5ever::local_name!("body")),
        vec![],
        false,
    )
    .one(html.as_str());
    let errors = dom.errors.borrow();
    assert!(errors.is_empty(), "{errors:?} in {html:?}");
    check(&dom.document, &html);
});
