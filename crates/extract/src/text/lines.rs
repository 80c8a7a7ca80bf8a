//! Line classifiers: short boilerplate, sign-up pitches, photo credits,
//! byline strips and introductions to other stories; and the credit split off
//! a caption.

use super::counting::{key, key_words};
use super::dates::MONTHS;
use super::headings::is_junk_heading;

/// No line longer than this (in bytes) is taken for furniture: the longest
/// pitches run to about 60 words.
pub const MAX_FURNITURE_BYTES: usize = 900;

/// Short lines that are page furniture wherever they appear.
pub fn is_boilerplate_line(t: &str) -> bool {
    // Long prose is neither furniture nor a boilerplate line: no key needed.
    if t.len() > MAX_FURNITURE_BYTES && t.chars().count() > 120 {
        return false;
    }
    let k = key(t);
    if furniture(t, &k) {
        return true;
    }
    if t.chars().count() > 120 {
        return false;
    }
    if k.is_empty() {
        // Only punctuation or symbols.
        return true;
    }
    const EXACT: &[&str] = &[
        "advertisement",
        "advertisements",
        "advertising",
        "ad",
        "sponsored",
        "share",
        "share this",
        "share this article",
        "share this post",
        "share this story",
        "share on facebook",
        "share on twitter",
        "tweet",
        "email",
        "print",
        "comments",
        "leave a comment",
        "leave a reply",
        "add a comment",
        "post a comment",
        "contact us",
        "you might like",
        "you may like",
        "article continues below",
        "story continues below",
        "pin this for later",
        "pin it for later",
        "save for later",
        "read more",
        "continue reading",
        "related",
        "related articles",
        "related posts",
        "related stories",
        "you may also like",
        "you might also like",
        "recommended",
        "recommended for you",
        "more from",
        "subscribe",
        "sign up",
        "follow us",
        "skip to content",
        "skip to main content",
        "back to top",
        "table of contents",
        "toggle",
        "menu",
        "close",
        "loading",
        "click to enlarge",
        "enlarge",
        "image",
        "photo",
        "video",
        "listen",
        "listen to this article",
        "copy link",
        "link copied",
        "story continues below advertisement",
        "article continues below advertisement",
        "scroll to continue with content",
        "by",
        "posted by",
        "posted on",
        "written by",
        "credit",
        "source",
        "author",
        "share article",
        "share post",
        "save",
        "print article",
        "jump to",
        "jump to recipe",
        "in this article",
        "contents",
    ];
    if EXACT.contains(&k.as_str()) || is_page_counter(&k) || is_relative_time_line(&k) {
        return true;
    }
    const PREFIX: &[&str] = &[
        "sign up for",
        "subscribe to",
        "subscribe now",
        "follow us on",
        "share this",
        "click here to subscribe",
        "all rights reserved",
        "copyright",
        "related ",
        "read more ",
        "read also",
        "see also",
        "also read",
        "recommended ",
        "advertisement ",
        "posted in ",
        "filed under",
        "tags ",
        "tagged ",
        "by ",
        "updated ",
        "published ",
        "last updated",
        "photo by",
        "image by",
        "image credit",
        "credit ",
        "source ",
        "this article was originally published",
    ];
    let words = key_words(&k);
    let short =
        t.chars().count() < 80 && words <= 8 && !t.trim_end().ends_with(['.', '!', '?', ':']);
    PREFIX
        .iter()
        .any(|p| k.starts_with(p) && (short || p.len() > 10))
        || (short && looks_like_date_line(&k))
}

/// Lines of any length that are not story: sign-up pitches, photo credits,
/// byline strips, introductions to other stories.
pub fn is_furniture_line(t: &str) -> bool {
    furniture(t, &key(t))
}

fn furniture(t: &str, k: &str) -> bool {
    if t.len() > MAX_FURNITURE_BYTES {
        return false;
    }
    let words = if k.is_empty() { 0 } else { key_words(k) };
    words > 0
        && (is_call_to_action(k, words)
            || is_credit_line(t, k, words)
            || is_meta_line(k, words)
            || is_related_intro(t, k, words))
}

/// Reading time, "Written by" and dated "Published ... Updated ..." rows:
/// the byline strip above a story.
fn is_meta_line(k: &str, words: usize) -> bool {
    if words > 14 {
        return false;
    }
    if !k.contains(" read") && !k.starts_with("written") && !k.starts_with("reviewed") {
        let first = k.split(' ').next().unwrap_or("");
        if !matches!(first, "published" | "updated" | "posted" | "last") {
            return false;
        }
    }
    let ws: Vec<&str> = k.split(' ').collect();
    // "7 min read", "Written By Feb 11, 2019 · 3 min read"
    if words <= 12
        && ws.windows(3).any(|w| {
            w[0].bytes().all(|b| b.is_ascii_digit())
                && matches!(w[1], "min" | "mins" | "minute" | "minutes")
                && matches!(w[2], "read" | "reading")
        })
    {
        return true;
    }
    if words <= 5 && (k.starts_with("written by ") || k.starts_with("reviewed by ")) {
        return true;
    }
    if matches!(ws[0], "published" | "updated" | "posted" | "last")
        && words <= 14
        && looks_like_date_line_loose(&ws)
    {
        return true;
    }
    false
}

/// A month and a year among few other words.
fn looks_like_date_line_loose(ws: &[&str]) -> bool {
    let has_month = ws.iter().any(|w| MONTHS.iter().any(|(m, _)| m == w));
    let has_year = ws.iter().any(|w| {
        (w.len() == 4 && (w.starts_with("20") || w.starts_with("19")))
            && w.bytes().all(|b| b.is_ascii_digit())
    });
    let other = ws
        .iter()
        .filter(|w| {
            !MONTHS.iter().any(|(m, _)| m == *w)
                && !w.bytes().all(|b| b.is_ascii_digit())
                && !matches!(
                    **w,
                    "published"
                        | "updated"
                        | "posted"
                        | "last"
                        | "on"
                        | "at"
                        | "am"
                        | "pm"
                        | "et"
                        | "est"
                        | "edt"
                        | "gmt"
                        | "utc"
                        | "ist"
                        | "bst"
                        | "cet"
                        | "pt"
                        | "st"
                        | "nd"
                        | "rd"
                        | "th"
                )
        })
        .count();
    has_month && has_year && other <= 2
}

/// Photo credit lines left outside a figure: "Photo courtesy of ...",
/// "Getty Images / Jane Roe", "Caption text. | Photo by Jane Roe".
fn is_credit_line(t: &str, k: &str, words: usize) -> bool {
    if words > 40 {
        return false;
    }
    const START: &[&str] = &[
        "photo courtesy",
        "photos courtesy",
        "image courtesy",
        "images courtesy",
        "courtesy of",
        "courtesy photo",
        "photo credit",
        "photo credits",
        "picture credit",
        "image credit",
        "image source",
        "photo source",
        "photograph by",
        "photographs by",
        "photo by",
        "photos by",
        "image by",
        "image via",
        "photo via",
        "image from",
        "image provided by",
        "photo provided by",
        "photo illustration",
        "illustration by",
        "credit",
        "photo",
        "image",
    ];
    const AGENCIES: &[&str] = &[
        "getty images",
        "gettyimages",
        "shutterstock",
        "istock",
        "istockphoto",
        "dreamstime",
        "unsplash",
        "pexels",
        "adobe stock",
        "alamy",
        "ap photo",
        "afp via getty",
        "reuters",
        "associated press",
        "epa",
    ];
    let short = words <= 10;
    if short {
        for p in START {
            if let Some(rest) = k.strip_prefix(p) {
                // "Photo" alone is already furniture; "Photo: X" / "Photo by X"
                // need the marker's punctuation or a following name.
                let exact_word = matches!(*p, "credit" | "photo" | "image");
                if rest.is_empty() && !exact_word {
                    return true;
                }
                if rest.starts_with(' ') {
                    if exact_word {
                        // Needs a colon on the page: "Photo: Jane Roe".
                        let lower = t.trim_start().to_lowercase();
                        if lower.starts_with(&format!("{p}:"))
                            || lower.starts_with(&format!("{p}s:"))
                        {
                            return true;
                        }
                    } else {
                        return true;
                    }
                }
            }
        }
        let tw = key_words(k);
        let no_stop = !t.trim_end().ends_with('.');
        if no_stop
            && tw <= 8
            && AGENCIES.iter().any(|a| {
                contains_words(k, a)
                    && (k.starts_with(a) || t.contains(['/', '©']) || contains_words(k, "via"))
            })
        {
            return true;
        }
        if no_stop && tw <= 5 && (k.ends_with(" photography") || k.ends_with(" images")) {
            return true;
        }
    }
    // A caption whose credit trails it: "... | Photo by Jane Roe",
    // "... Photo by: 'Jane Roe'.", "...(Picture credit: Getty)".
    if !(k.contains("photo") || k.contains("image") || k.contains("credit")) {
        return false;
    }
    let lower = t.to_lowercase();
    for m in [
        "| photo",
        "| image",
        "| credit",
        "photo by:",
        "(photo:",
        "(photo by",
        "(photo credit",
        "(picture credit",
        "(image:",
        "(image by",
        "(image credit",
        "(credit:",
        "photo credit:",
        "image credit:",
        "photo:",
    ] {
        if let Some(p) = lower.rfind(m) {
            let after = &lower[p + m.len()..];
            if after.chars().next().is_some_and(char::is_alphanumeric) {
                continue;
            }
            let rest = key(after);
            let n = if rest.is_empty() { 0 } else { key_words(&rest) };
            if p > 0
                && n <= 6
                && (m.starts_with('|') || m.starts_with('(') || p + m.len() + 60 >= lower.len())
            {
                return true;
            }
        }
    }
    false
}

/// `needle` (space separated words) occurs in `k` as whole words.
fn contains_words(k: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(p) = k[from..].find(needle) {
        let s = from + p;
        let e = s + needle.len();
        let before = s == 0 || k.as_bytes()[s - 1] == b' ';
        let after = e == k.len() || k.as_bytes()[e] == b' ';
        if before && after {
            return true;
        }
        from = s + 1;
        if from >= k.len() {
            break;
        }
    }
    false
}

/// A sign-up, subscription or paywall pitch.
pub fn is_sign_up_pitch(t: &str) -> bool {
    let k = key(t);
    let words = if k.is_empty() { 0 } else { key_words(&k) };
    words > 0 && is_call_to_action(&k, words)
}

/// Sign-up, subscription and paywall pitches.
fn is_call_to_action(k: &str, words: usize) -> bool {
    if words > 60 {
        return false;
    }
    const START: &[&str] = &[
        "thanks for signing up",
        "thank you for signing up",
        "thanks for subscribing",
        "thank you for subscribing",
        "by signing up",
        "by subscribing",
        "by clicking",
        "by submitting",
        "by entering your email",
        "already a subscriber",
        "already subscribed",
        "already have an account",
        "already a member",
        "unlock this article",
        "to read the rest",
        "to continue reading",
        "continue reading with",
        "this article is exclusive to",
        "become a paid subscriber",
        "become a subscriber",
        "was this newsletter forwarded",
        "download and subscribe",
        "be the first to know",
        "enter your email",
        "you have successfully subscribed",
        "you re now subscribed",
        "you re subscribed",
        "want more stories like this",
        "get the latest",
        "stay up to date",
        "stay in the know",
        "never miss a",
        "don t miss a",
        "join our",
        "join the conversation",
    ];
    if START.iter().any(|p| k.starts_with(p)) && (words <= 25 || !k.starts_with("join")) {
        return true;
    }
    const CONTAINS: &[&str] = &[
        "to your inbox",
        "in your inbox",
        "straight to your inbox",
        "delivered to your inbox",
        "sign up for our",
        "subscribe to our",
        "our newsletter",
        "our newsletters",
        "free newsletter",
        "daily newsletter",
        "weekly newsletter",
        "newsletter sign up",
        "newsletter signup",
    ];
    if words > 30 {
        return false;
    }
    let pitch = CONTAINS.iter().any(|p| k.contains(p));
    let imperative = ["sign up", "signup", "subscribe", "register"]
        .iter()
        .any(|p| k.starts_with(p));
    (pitch && words <= 30)
        || (imperative
            && words <= 30
            && [
                "newsletter",
                "inbox",
                "email",
                "updates",
                "below",
                "today",
                "now",
                "free",
            ]
            .iter()
            .any(|w| contains_words(k, w)))
}

/// "You may also be interested in:", "Related reads:", "Read next": lines
/// that introduce other stories.
fn is_related_intro(t: &str, k: &str, words: usize) -> bool {
    if words > 12 {
        return false;
    }
    let colon = t.trim_end().ends_with(':');
    if colon && is_junk_heading(t) {
        return true;
    }
    const START: &[&str] = &[
        "you may also be interested",
        "you might also be interested",
        "you may also like",
        "you might also like",
        "if you liked this",
        "if you enjoyed this",
        "read next",
        "up next",
        "related reads",
        "related reading",
        "related content",
        "related articles",
        "related stories",
        "related posts",
        "related topics",
        "related coverage",
        "more reading",
        "trending news",
        "trending stories",
        "trending now",
        "more stories",
        "more news",
        "latest news",
        "most read",
        "most popular",
        "read more news",
        "view author page",
        "see all stories",
        "more articles",
    ];
    START.iter().any(|p| k.starts_with(p))
}

/// "Page 2 of 8": a pager's label.
pub(super) fn is_page_counter(k: &str) -> bool {
    let w: Vec<&str> = k.split(' ').collect();
    matches!(w.as_slice(), ["page", a, "of", b]
        if a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()))
}

/// "Posted 2 days ago", "Updated: 3 hours ago, last modified 2 days ago":
/// a short stamp of relative times.
pub(super) fn is_relative_time_line(k: &str) -> bool {
    const LEADS: &[&str] = &[
        "posted ",
        "updated ",
        "published ",
        "modified ",
        "last updated ",
        "last modified ",
    ];
    key_words(k) <= 12
        && LEADS.iter().any(|l| k.starts_with(l))
        && k.ends_with(" ago")
        && k.split(' ').all(|w| {
            w.bytes().all(|c| c.is_ascii_digit())
                || matches!(
                    w,
                    "posted"
                        | "updated"
                        | "published"
                        | "modified"
                        | "last"
                        | "ago"
                        | "a"
                        | "an"
                        | "second"
                        | "seconds"
                        | "minute"
                        | "minutes"
                        | "min"
                        | "mins"
                        | "hour"
                        | "hours"
                        | "day"
                        | "days"
                        | "week"
                        | "weeks"
                        | "month"
                        | "months"
                        | "year"
                        | "years"
                )
        })
}

fn looks_like_date_line(k: &str) -> bool {
    const MONTHS: &[&str] = &[
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ];
    let words: Vec<&str> = k.split(' ').collect();
    if words.len() > 8 {
        return false;
    }
    let has_month = words.iter().any(|w| MONTHS.contains(w));
    let has_year = words
        .iter()
        .any(|w| w.len() == 4 && w.starts_with("20") && w.bytes().all(|b| b.is_ascii_digit()));
    let other = words
        .iter()
        .filter(|w| {
            !MONTHS.contains(w)
                && !w.bytes().all(|b| b.is_ascii_digit())
                && !matches!(
                    **w,
                    "am" | "pm"
                        | "et"
                        | "est"
                        | "edt"
                        | "gmt"
                        | "utc"
                        | "pt"
                        | "at"
                        | "on"
                        | "st"
                        | "nd"
                        | "rd"
                        | "th"
                )
        })
        .count();
    has_month && has_year && other <= 1
}

/// Splits a trailing photo credit off a caption ("... Photo: Jane Doe / AP").
pub fn split_credit(caption: &str) -> (String, Option<String>) {
    const MARKERS: &[&str] = &[
        "Photo: ",
        "Photo by ",
        "Photograph: ",
        "Photograph by ",
        "Image: ",
        "Image by ",
        "Credit: ",
        "Picture: ",
        "Foto: ",
        "(Photo: ",
        "(Image: ",
        "(Credit: ",
        "©",
    ];
    let mut best: Option<usize> = None;
    for m in MARKERS {
        if let Some(p) = caption.rfind(m)
            && best.is_none_or(|b| p > b)
        {
            best = Some(p);
        }
    }
    match best {
        Some(p) if p > 0 => {
            let cap = caption[..p].trim().to_string();
            let credit = caption[p..]
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim()
                .to_string();
            (cap, Some(credit))
        }
        _ => (caption.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_furniture_lines_are_boilerplate_but_sentences_using_the_words_are_not() {
        for line in [
            "Add A Comment",
            "CONTACT US",
            "You might like",
            "Article Continues Below",
            "Pin this for later!",
            "Page 1 of 8",
            "Posted: 2 days ago Last Modified: 2 days ago",
            "Updated 5 hours ago",
        ] {
            assert!(is_boilerplate_line(line), "{line}");
        }
        for line in [
            "Contact us if you saw the boat leave the harbour on Tuesday night.",
            "You might like the new ferry more than the old one, the captain said.",
            "Page 12 of the report lists every flooded street.",
            "Posted guards stood at the bridge until the water fell two days ago.",
        ] {
            assert!(!is_boilerplate_line(line), "{line}");
        }
    }

    #[test]
    fn credits_split_from_captions() {
        let (c, cr) = split_credit("Firefighters at the scene. Photo: Jane Roe / Agency");
        assert_eq!(c, "Firefighters at the scene.");
        assert_eq!(cr.as_deref(), Some("Photo: Jane Roe / Agency"));
    }

    #[test]
    fn sign_up_pitches_are_furniture() {
        assert!(is_furniture_line(
            "Sign up for our weekly newsletter to get river news."
        ));
        assert!(is_furniture_line("Thanks for signing up!"));
        assert!(is_furniture_line(
            "By signing up, you agree to receive messages from the Riverside Gazette at the number provided."
        ));
        assert!(is_furniture_line(
            "The best of the Gazette, delivered to your inbox every morning"
        ));
        assert!(is_furniture_line("Already have an account? Log in"));
        assert!(!is_furniture_line(
            "Volunteers signed up in their hundreds to fill sandbags along the quay."
        ));
        assert!(!is_furniture_line(
            "Get started with the checklist below and refer back to it every time the river rises."
        ));
    }

    #[test]
    fn photo_credits_are_furniture() {
        assert!(is_furniture_line("Photo courtesy of the Harbour Trust"));
        assert!(is_furniture_line("Photo: Jane Roe"));
        assert!(is_furniture_line("Credit: Riverside Gazette"));
        assert!(is_furniture_line("Getty Images / Jane Roe"));
        assert!(is_furniture_line(
            "Sandbags stacked on the quay. | Photo by Jane Roe"
        ));
        assert!(is_furniture_line(
            "The flooded quay at dawn (Photo: Jane Roe)"
        ));
        assert!(!is_furniture_line(
            "The council paid for the new pier, courtesy of a grant from the harbour fund."
        ));
        assert!(!is_furniture_line("Commercial photography."));
        assert!(!is_furniture_line(
            "Each entry may include visuals (images, videos) of the flood."
        ));
    }

    #[test]
    fn byline_strips_are_furniture() {
        assert!(is_furniture_line("7 min read"));
        assert!(is_furniture_line("Written by Jane Roe"));
        assert!(is_furniture_line("Published on May 02, 2024 07:44 PM IST"));
        assert!(is_furniture_line(
            "Published on Oct 21, 2025 Updated on Mar 9, 2026"
        ));
        assert!(!is_furniture_line(
            "Published in 2019, the report warned that the quay would flood by March."
        ));
    }

    #[test]
    fn introductions_to_other_stories_are_furniture() {
        assert!(is_furniture_line(
            "You may also be interested in the following articles:"
        ));
        assert!(is_furniture_line("Related reads:"));
        assert!(is_furniture_line("Trending News"));
        assert!(!is_furniture_line(
            "Related problems upstream made the flooding worse."
        ));
    }

    #[test]
    fn furniture_lines_are_recognised() {
        assert!(is_boilerplate_line("Advertisement"));
        assert!(is_boilerplate_line("Share this article"));
        assert!(is_boilerplate_line("By Jane Roe"));
        assert!(is_boilerplate_line("March 3, 2024 at 10:00 am"));
        assert!(!is_boilerplate_line(
            "By the end of the week, the river had risen two metres."
        ));
    }
}
