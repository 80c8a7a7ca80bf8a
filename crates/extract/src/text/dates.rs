//! Dates: ISO 8601 from metadata, dates written out in text, dates in a
//! URL path.

pub(super) const MONTHS: &[(&str, u32)] = &[
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
}
