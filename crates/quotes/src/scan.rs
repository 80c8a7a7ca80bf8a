//! Finding quoted spans: opening and closing marks of every style, quotes
//! that run over paragraphs, and whether a span is a whole sentence.

use crate::QuoteKind;
use crate::text::Doc;

/// A quoted span before attribution.
pub(crate) struct Span {
    /// One `(start, end)` character range per paragraph the quote covers,
    /// marks excluded.
    pub parts: Vec<(usize, usize)>,
    /// The same pieces with their marks: `(opening mark, one past the
    /// closing mark or the paragraph end)`.
    pub outer: Vec<(usize, usize)>,
    pub kind: QuoteKind,
}

/// What a double quotation mark can do here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// Only opens: “ „ « ‟
    Open,
    /// Only closes: ” » (and “ after „)
    Close,
    /// Straight or ambiguous marks: decided from the neighbouring characters.
    Either,
}

fn mark(c: char, opened_low: bool) -> Option<Mark> {
    match c {
        '\u{201C}' if opened_low => Some(Mark::Close),
        '\u{201C}' | '\u{201E}' | '\u{00AB}' | '\u{201F}' => Some(Mark::Open),
        '\u{201D}' | '\u{00BB}' => Some(Mark::Close),
        '"' | '\u{FF02}' => Some(Mark::Either),
        _ => None,
    }
}

fn is_mark_char(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201C}'
            | '\u{201D}'
            | '\u{201E}'
            | '\u{201F}'
            | '\u{00AB}'
            | '\u{00BB}'
            | '\u{FF02}'
    )
}

/// Whether a straight (or misused curly) mark at `i` looks like an opening
/// one: at the start, or after a space, bracket or dash, and followed by
/// something other than a space.
fn looks_opening(chars: &[char], i: usize, para_start: usize) -> bool {
    let before_ok = i == para_start
        || chars[i - 1].is_whitespace()
        || matches!(
            chars[i - 1],
            '(' | '[' | '\u{2014}' | '\u{2013}' | '-' | '/' | ':'
        );
    let after_ok = chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
    before_ok && after_ok
}

pub(crate) fn find_quotes(doc: &Doc) -> Vec<Span> {
    let chars = &doc.chars;
    let mut out = Vec::new();
    // An unclosed quote carried into the next paragraph.
    let mut carry: Option<Vec<(usize, usize)>> = None;
    for (pi, &(ps, pe)) in doc.paras.iter().enumerate() {
        let mut i = ps;
        if let Some(parts) = carry.take() {
            // It continues only when this paragraph re-opens with a mark.
            if mark(chars[ps], false).is_some_and(|m| m != Mark::Close) {
                match find_close(chars, ps + 1, pe, chars[ps] == '\u{201E}') {
                    Some(close) => {
                        let mut parts = parts;
                        parts.push((ps + 1, close));
                        out.push(finish(doc, parts));
                        i = close + 1;
                    }
                    None => {
                        let mut parts = parts;
                        parts.push((ps + 1, pe));
                        if pi + 1 < doc.paras.len() {
                            carry = Some(parts);
                        } else {
                            out.push(finish(doc, parts));
                        }
                        continue;
                    }
                }
            } else {
                out.push(finish(doc, parts));
            }
        }
        while i < pe {
            let c = chars[i];
            let opens = match mark(c, false) {
                Some(Mark::Open) => true,
                Some(Mark::Either) | Some(Mark::Close) => looks_opening(chars, i, ps),
                None => false,
            };
            if !opens {
                i += 1;
                continue;
            }
            let low = c == '\u{201E}';
            match find_close(chars, i + 1, pe, low) {
                Some(close) => {
                    if close > i + 1 {
                        out.push(finish(doc, vec![(i + 1, close)]));
                    }
                    i = close + 1;
                }
                None => {
                    if i + 1 < pe {
                        let parts = vec![(i + 1, pe)];
                        if pi + 1 < doc.paras.len() {
                            carry = Some(parts);
                        } else {
                            out.push(finish(doc, parts));
                        }
                    }
                    break;
                }
            }
        }
    }
    if let Some(parts) = carry {
        out.push(finish(doc, parts));
    }
    out.retain(|s| {
        s.parts
            .iter()
            .any(|&(a, b)| chars[a..b].iter().any(|c| c.is_alphanumeric()))
    });
    out
}

/// The closing mark of a quote opened before `from`, within the paragraph.
fn find_close(chars: &[char], from: usize, pe: usize, low: bool) -> Option<usize> {
    (from..pe).find(|&j| match mark(chars[j], low) {
        Some(Mark::Close) => true,
        // A straight mark inside a quote closes it unless it plainly opens
        // a nested quote (space before, letter after).
        Some(Mark::Either) => !(chars[j - 1].is_whitespace() && looks_opening(chars, j, from)),
        // A misused opening mark after a word and before a space or the end
        // ("…from South Carolina,“ said …") closes.
        Some(Mark::Open) => {
            !chars[j - 1].is_whitespace() && chars.get(j + 1).is_none_or(|c| c.is_whitespace())
        }
        _ => false,
    })
}

fn finish(doc: &Doc, mut parts: Vec<(usize, usize)>) -> Span {
    let chars = &doc.chars;
    let outer = parts
        .iter()
        .map(|&(a, b)| {
            (
                a.saturating_sub(1),
                if b < chars.len() && is_mark_char(chars[b]) {
                    b + 1
                } else {
                    b
                },
            )
        })
        .collect();
    for p in parts.iter_mut() {
        while p.0 < p.1 && chars[p.0].is_whitespace() {
            p.0 += 1;
        }
        while p.1 > p.0 && (chars[p.1 - 1].is_whitespace() || is_mark_char(chars[p.1 - 1])) {
            p.1 -= 1;
        }
    }
    let (start, _) = parts[0];
    let (_, end) = parts[parts.len() - 1];
    let kind = kind_of(doc, start, end, parts.len() > 1);
    Span { parts, outer, kind }
}

/// A quote is a whole sentence when it starts with a capital (or digit) and
/// either stands at a sentence start (after a paragraph start, end of
/// sentence, colon or a comma that follows a speech verb) or ends with
/// sentence punctuation inside the marks.
fn kind_of(doc: &Doc, start: usize, end: usize, multi: bool) -> QuoteKind {
    let chars = &doc.chars;
    if multi {
        return QuoteKind::Full;
    }
    let first = chars[start..end].iter().find(|c| c.is_alphanumeric());
    let capital = first.is_some_and(|c| c.is_uppercase() || c.is_numeric());
    if !capital {
        return QuoteKind::Partial;
    }
    // Character before the opening mark, skipping spaces.
    let mut k = start.saturating_sub(1);
    while k > 0 && (chars[k].is_whitespace() || is_mark_char(chars[k])) {
        k -= 1;
    }
    let at_start = start <= 1
        || matches!(
            chars[k],
            '.' | '!' | '?' | ':' | '\n' | ',' | '\u{2014}' | '(' | ';'
        )
        || k == 0;
    let ends_sentence = end > start && matches!(chars[end - 1], '.' | '!' | '?' | ',' | '\u{2026}');
    if at_start || ends_sentence {
        QuoteKind::Full
    } else {
        QuoteKind::Partial
    }
}
