//! Small text helpers: comparison keys, boilerplate lines, credits, URLs, dates.

use std::collections::HashSet;

/// Lower-cased alphanumeric words joined by single spaces: for comparing a
/// heading with the title regardless of punctuation and spacing.
pub fn key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            // ASCII, the usual case: no decoding.
            if c.is_ascii_alphanumeric() {
                if gap && !out.is_empty() {
                    out.push(' ');
                }
                gap = false;
                out.push(char::from(c.to_ascii_lowercase()));
            } else {
                gap = true;
            }
            i += 1;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        i += ch.len_utf8();
        if ch.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(ch.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

pub fn word_set(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A piece of a string: a run of ASCII bytes, or one other character.
pub enum Piece<'a> {
    Ascii(&'a [u8]),
    Other(char),
}

/// `s` as ASCII runs and single non-ASCII characters: the counting fast paths
/// take a run at once and decode only what is not ASCII (most text is ASCII
/// with the odd curly quote).
pub fn pieces(s: &str) -> impl Iterator<Item = Piece<'_>> {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= b.len() {
            return None;
        }
        let end = b[i..]
            .iter()
            .position(|&c| c >= 0x80)
            .map_or(b.len(), |p| i + p);
        if end > i {
            let run = &b[i..end];
            i = end;
            return Some(Piece::Ascii(run));
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        i += ch.len_utf8();
        Some(Piece::Other(ch))
    })
}

pub fn word_count(s: &str) -> usize {
    fn alnum(c: u8) -> bool {
        ((c | 0x20).wrapping_sub(b'a') < 26) | (c.wrapping_sub(b'0') < 10)
    }
    let mut n = 0;
    let mut prev_word = false;
    for piece in pieces(s) {
        match piece {
            Piece::Ascii(run) => {
                // Word starts counted without a branch per byte.
                n += usize::from(alnum(run[0]) && !prev_word);
                n += run
                    .windows(2)
                    .filter(|w| alnum(w[1]) & !alnum(w[0]))
                    .count();
                prev_word = alnum(run[run.len() - 1]);
            }
            Piece::Other(c) => {
                let w = c.is_alphanumeric();
                n += usize::from(w && !prev_word);
                prev_word = w;
            }
        }
    }
    n
}

/// Words in a comparison key (one space between words).
pub fn key_words(k: &str) -> usize {
    k.bytes().filter(|&b| b == b' ').count() + 1
}

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
fn is_page_counter(k: &str) -> bool {
    let w: Vec<&str> = k.split(' ').collect();
    matches!(w.as_slice(), ["page", a, "of", b]
        if a.bytes().all(|c| c.is_ascii_digit()) && b.bytes().all(|c| c.is_ascii_digit()))
}

/// "Posted 2 days ago", "Updated: 3 hours ago, last modified 2 days ago":
/// a short stamp of relative times.
fn is_relative_time_line(k: &str) -> bool {
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

/// Resolves `href` against `base` well enough for absolute, protocol-relative
/// and root-relative links; anything else is joined to the base's directory.
pub fn resolve_url(base: Option<&str>, href: &str) -> String {
    let href = href.trim();
    if href.contains("://") || href.starts_with("data:") || href.starts_with("mailto:") {
        return href.to_string();
    }
    let Some(base) = base.filter(|b| b.contains("://")) else {
        return href.to_string();
    };
    let scheme_end = base.find("://").map_or(0, |p| p + 3);
    let scheme = &base[..scheme_end.saturating_sub(3)];
    if let Some(rest) = href.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let host_end = base[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |p| scheme_end + p);
    let origin = &base[..host_end];
    if href.starts_with('/') {
        return format!("{origin}{href}");
    }
    let path = &base[host_end..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(p) => &path[..=p],
        None => "/",
    };
    format!("{origin}{dir}{href}")
}

/// The host part of a URL, without `www.`.
pub fn host(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let h = &rest[..end];
    let h = h.rsplit('@').next().unwrap_or(h);
    let h = h.strip_prefix("www.").unwrap_or(h);
    if h.is_empty() { None } else { Some(h) }
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

fn valid_ymd(y: u32, m: u32, d: u32) -> bool {
    (1990..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)
}

/// Normalises a date found in metadata or text to ISO 8601: the full
/// timestamp when the source has one (`2024-05-03T10:00:00Z`), else the day.
pub fn normalize_date(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    // ISO 8601 and close relatives ("2024-05-03 10:00:00", "2024/05/03").
    if b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && (b[4] == b'-' || b[4] == b'/')
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b[4]
        && b[8..10].iter().all(u8::is_ascii_digit)
    {
        let y: u32 = s[..4].parse().ok()?;
        let m: u32 = s[5..7].parse().ok()?;
        let d: u32 = s[8..10].parse().ok()?;
        if !valid_ymd(y, m, d) {
            return None;
        }
        let day = format!("{y:04}-{m:02}-{d:02}");
        let rest = &s[10..];
        if let Some(time) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))
            && time.len() >= 5
            && time.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && time.as_bytes()[2] == b':'
        {
            let time: String = time
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z'))
                .collect();
            return Some(format!("{day}T{time}"));
        }
        return Some(day);
    }
    // Unix timestamps in seconds or milliseconds.
    if (10..=13).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        let mut secs: i64 = s.parse().ok()?;
        if b.len() == 13 {
            secs /= 1000;
        }
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        if valid_ymd(y, m, d) {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
        return None;
    }
    textual_date(s)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (u32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (u32::try_from(y).unwrap_or(0), m as u32, d as u32)
}

/// "May 3, 2024", "3 May 2024", "03.05.2024", "Published on Mon, Sep 9 2024".
pub fn textual_date(s: &str) -> Option<String> {
    let lower = s.to_lowercase();
    let toks: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(60)
        .collect();
    for i in 0..toks.len() {
        let Some(m) = MONTHS.iter().find(|(n, _)| *n == toks[i]).map(|(_, m)| *m) else {
            continue;
        };
        let num = |j: usize| -> Option<u32> {
            let t = toks.get(j)?;
            let t = t.trim_end_matches(|c: char| c.is_alphabetic());
            t.parse().ok()
        };
        // Month D, YYYY
        if let (Some(d), Some(y)) = (num(i + 1), num(i + 2))
            && valid_ymd(y, m, d)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
        // D Month YYYY
        if i > 0
            && let (Some(d), Some(y)) = (num(i - 1), num(i + 1))
            && valid_ymd(y, m, d)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    // DD.MM.YYYY
    for w in s.split_whitespace() {
        let parts: Vec<&str> = w
            .trim_matches(|c: char| !c.is_ascii_digit())
            .split('.')
            .collect();
        if parts.len() == 3
            && let (Ok(d), Ok(m), Ok(y)) = (
                parts[0].parse::<u32>(),
                parts[1].parse::<u32>(),
                parts[2].parse::<u32>(),
            )
            && valid_ymd(y, m, d)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    None
}

/// A `/2024/05/03/` (or `/2024-05-03`) date in a URL's path.
pub fn date_from_url(url: &str) -> Option<String> {
    let nums: Vec<&str> = url.split(['/', '-', '_']).collect();
    for w in nums.windows(3) {
        if w[0].len() == 4
            && w[1].len() == 2
            && w[2].len() >= 2
            // `get`, not `[..2]`: the segment is arbitrary text, and byte 2
            // may fall inside a multi-byte character (`gé`).
            && let (Ok(y), Ok(m), Some(Ok(d))) = (
                w[0].parse::<u32>(),
                w[1].parse::<u32>(),
                w[2].get(..2).map(str::parse::<u32>),
            )
            && (w[2].len() == 2 || !w[2].as_bytes()[2].is_ascii_digit())
            && valid_ymd(y, m, d)
        {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    None
}

/// Headings that open a block of page furniture rather than more story
/// ("Related posts", "You may also like", "About the author").
/// Template filler ("Lorem ipsum dolor sit amet..."): never a story's text,
/// but left in hidden or unfinished page sections.
pub fn is_placeholder(t: &str) -> bool {
    t.get(..11)
        .is_some_and(|p| p.eq_ignore_ascii_case("lorem ipsum"))
}

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

/// The byte a character stands for when UTF-8 was misread as Latin-1 or
/// Windows-1252 (U+0080..U+00FF and the 1252 punctuation in 0x80..0x9F).
fn misread_byte(c: char) -> Option<u8> {
    let b = match c {
        '\u{80}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    };
    Some(b)
}

/// Repairs text that was UTF-8 decoded twice ("donâ€™t" for "don’t",
/// "cafÃ©" for "café"), a common fault of pages that went through a CMS
/// with the wrong charset: each run that spells a valid UTF-8 sequence of a
/// plausible character is decoded again. `None` when nothing changed.
pub fn fix_mojibake(s: &str) -> Option<String> {
    // Every lead character (U+00C2..U+00F4) is encoded as 0xC3 0x82..0xB4.
    let b = s.as_bytes();
    if !memchr::memchr_iter(0xc3, b)
        .any(|i| b.get(i + 1).is_some_and(|n| (0x82..=0xb4).contains(n)))
    {
        return None;
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let need = match c as u32 {
            0xc2..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf4 => 3,
            _ => 0,
        };
        if need > 0 && i + need < chars.len() {
            let mut bytes = [c as u32 as u8, 0, 0, 0];
            let mut ok = true;
            for k in 1..=need {
                match misread_byte(chars[i + k]) {
                    Some(b) if (0x80..=0xbf).contains(&b) => bytes[k] = b,
                    _ => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok
                && let Ok(t) = std::str::from_utf8(&bytes[..=need])
                && let Some(d) = t.chars().next()
                && plausible_repair(d)
            {
                out.push(d);
                changed = true;
                i += need + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    changed.then_some(out)
}

/// Characters a repaired sequence may stand for: Latin, Greek, Cyrillic,
/// punctuation and symbols, CJK, emoji; not the rare scripts a real
/// "ß“" or "Ø±" would turn into.
fn plausible_repair(d: char) -> bool {
    matches!(d as u32,
        0xa0..=0x24f | 0x370..=0x52f | 0x2000..=0x2bff | 0x3000..=0x9fff | 0xac00..=0xd7af
            | 0xff00..=0xffef | 0x1f000..=0x1faff)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The ASCII fast paths count and collapse exactly as the general
        /// (char by char) paths do.
        #[test]
        fn fast_paths_match_the_char_by_char_ones(t in "[ -~\t\n\x0b\x0c\r\u{a0}\u{2019}\u{3000}éÉß]{0,80}") {
            let general = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .count();
            proptest::prop_assert_eq!(word_count(&t), general);
            let words: Vec<String> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect();
            proptest::prop_assert_eq!(key(&t), words.join(" "));
            let mut fast = String::from("x");
            crate::dom::push_collapsed(&mut fast, &t);
            let mut slow = String::from("x");
            for ch in t.chars() {
                if ch.is_whitespace() {
                    if !slow.ends_with(' ') {
                        slow.push(' ');
                    }
                } else {
                    slow.push(ch);
                }
            }
            proptest::prop_assert_eq!(fast, slow);
        }
    }

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
    fn table_of_contents_headings_are_junk_but_contents_of_a_kit_are_not() {
        assert!(is_junk_heading("Table of Contents"));
        assert!(is_junk_heading("In this article"));
        assert!(!is_junk_heading("Contents of the emergency kit"));
    }

    #[test]
    fn dates_in_many_shapes_normalise() {
        assert_eq!(
            normalize_date("2024-05-03T10:00:00+02:00").as_deref(),
            Some("2024-05-03T10:00:00+02:00")
        );
        assert_eq!(normalize_date("2024-05-03").as_deref(), Some("2024-05-03"));
        assert_eq!(normalize_date("May 3, 2024").as_deref(), Some("2024-05-03"));
        assert_eq!(
            normalize_date("Published 3rd May 2024").as_deref(),
            Some("2024-05-03")
        );
        assert_eq!(normalize_date("03.05.2024").as_deref(), Some("2024-05-03"));
        assert_eq!(normalize_date("1714730400").as_deref(), Some("2024-05-03"));
        assert_eq!(normalize_date("yesterday"), None);
        assert_eq!(
            date_from_url("https://x.org/news/2023/11/07/story-slug").as_deref(),
            Some("2023-11-07")
        );
        assert_eq!(
            date_from_url("https://x.org/story-2023-11-07.html").as_deref(),
            Some("2023-11-07")
        );
        assert_eq!(date_from_url("https://x.org/news/12345"), None);
    }

    #[test]
    fn credits_split_from_captions() {
        let (c, cr) = split_credit("Firefighters at the scene. Photo: Jane Roe / Agency");
        assert_eq!(c, "Firefighters at the scene.");
        assert_eq!(cr.as_deref(), Some("Photo: Jane Roe / Agency"));
    }

    #[test]
    fn urls_resolve_against_base() {
        let b = Some("https://example.org/news/story.html?x=1");
        assert_eq!(
            resolve_url(b, "/img/a.jpg"),
            "https://example.org/img/a.jpg"
        );
        assert_eq!(resolve_url(b, "a.jpg"), "https://example.org/news/a.jpg");
        assert_eq!(
            resolve_url(b, "//cdn.example.org/a.jpg"),
            "https://cdn.example.org/a.jpg"
        );
        assert_eq!(host("https://www.example.org:8080/x"), Some("example.org"));
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
