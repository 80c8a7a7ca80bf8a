//! Small text helpers: comparison keys, boilerplate lines, credits, URLs, dates.

use std::collections::HashSet;

/// Lower-cased alphanumeric words joined by single spaces: for comparing a
/// heading with the title regardless of punctuation and spacing.
pub fn key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

pub fn word_set(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

pub fn word_count(s: &str) -> usize {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count()
}

/// Short lines that are page furniture wherever they appear.
pub fn is_boilerplate_line(t: &str) -> bool {
    if t.chars().count() > 120 {
        return false;
    }
    let k = key(t);
    if k.is_empty() {
        // Only punctuation or symbols.
        return true;
    }
    const EXACT: &[&str] = &[
        "advertisement",
        "advertisements",
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
    if EXACT.contains(&k.as_str()) {
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
    let words = k.split(' ').count();
    let short =
        t.chars().count() < 80 && words <= 8 && !t.trim_end().ends_with(['.', '!', '?', ':']);
    PREFIX
        .iter()
        .any(|p| k.starts_with(p) && (short || p.len() > 10))
        || (short && looks_like_date_line(&k))
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
            && let (Ok(y), Ok(m), Ok(d)) = (
                w[0].parse::<u32>(),
                w[1].parse::<u32>(),
                w[2][..2].parse::<u32>(),
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
pub fn is_junk_heading(t: &str) -> bool {
    let k = key(t);
    if k.split(' ').count() > 8 {
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
    STARTS.iter().any(|p| k.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

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
