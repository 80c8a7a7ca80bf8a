//! Heading classifiers: template filler, junk headings, and the headings that
//! open a section of page furniture.

use super::counting::{key, key_words};
use super::lines::{is_page_counter, is_relative_time_line};

/// Template filler ("Lorem ipsum dolor sit amet..."): never a story's text,
/// but left in hidden or unfinished page sections.
pub fn is_placeholder(t: &str) -> bool {
    t.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("lorem ipsum"))
}
/// Headings that open a block of page furniture rather than more story
/// ("Related posts", "You may also like", "About the author").
pub fn is_junk_heading(t: &str) -> bool {
    let k = key(t);
    if key_words(&k) > 8 {
        return false;
    }
    const STARTS: &[&str] = &[
        "related",
        "you may also",
        "you might also",
        "read next",
        "read this next",
        "read more",
        "more stories",
        "more from",
        "more news",
        "also in the news",
        "also read",
        "recommended",
        "popular",
        "most popular",
        "most read",
        "latest posts",
        "latest news",
        "recent posts",
        "trending",
        "comments",
        "leave a reply",
        "leave a comment",
        "share this",
        "about the author",
        "about author",
        "tags",
        "subscribe",
        "sign up",
        "newsletter",
        "follow us",
        "don t miss",
        "keep reading",
        "further reading",
        "similar posts",
        "other articles",
        "join our",
        "get our",
    ];
    // A table of contents repeats the headings that follow.
    const TOC: &[&str] = &[
        "table of contents",
        "contents",
        "in this article",
        "on this page",
    ];
    TOC.contains(&k.as_str()) || STARTS.iter().any(|p| k.starts_with(p))
}

/// Headings after which, up to the next heading of the same rank, comes
/// page furniture: other stories, comments, tags, sign-up boxes. Narrower
/// than [`is_junk_heading`]: "Popular destinations" or "Further reading"
/// may be the story's own sections.
pub fn opens_furniture_section(t: &str) -> bool {
    let k = key(t);
    if k.is_empty() || key_words(&k) > 8 {
        return false;
    }
    // "Related: <headline>" and "Read more" label one teaser, not a section.
    let t = t.trim();
    if t.find(':').is_some_and(|p| p + 1 < t.len()) {
        return false;
    }
    const SINGLE: &[&str] = &[
        "read more",
        "related story",
        "related article",
        "related post",
        "related link",
        "related video",
        "related content",
        "related topics",
    ];
    if SINGLE.contains(&k.as_str()) {
        return false;
    }
    const EXACT: &[&str] = &["recommended", "popular", "trending", "tags", "comments"];
    if EXACT.contains(&k.as_str()) || is_page_counter(&k) || is_relative_time_line(&k) {
        return true;
    }
    const STARTS: &[&str] = &[
        "related",
        "you may also",
        "you might also",
        "read next",
        "read this next",
        "read more",
        "more stories",
        "more from",
        "more news",
        "more articles",
        "also in the news",
        "also read",
        "recommended for you",
        "recommended reading",
        "recommended articles",
        "recommended stories",
        "recommended posts",
        "recommended videos",
        "most popular",
        "most read",
        "popular posts",
        "popular stories",
        "popular articles",
        "popular now",
        "latest posts",
        "latest news",
        "latest stories",
        "latest articles",
        "recent posts",
        "recent articles",
        "recent stories",
        "trending now",
        "trending news",
        "trending stories",
        "trending articles",
        "leave a reply",
        "leave a comment",
        "comments",
        "share this",
        "about the author",
        "about author",
        "subscribe",
        "sign up",
        "newsletter",
        "follow us",
        "don t miss",
        "similar posts",
        "similar articles",
        "other articles",
        "other stories",
        "join our",
        "get our",
    ];
    STARTS.iter().any(|p| k.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_of_contents_headings_are_junk_but_contents_of_a_kit_are_not() {
        assert!(is_junk_heading("Table of Contents"));
        assert!(is_junk_heading("In this article"));
        assert!(!is_junk_heading("Contents of the emergency kit"));
    }
}
