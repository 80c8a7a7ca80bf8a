//! Comparison keys, word counts and the ASCII-run splitter the counting fast
//! paths share.

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
}
