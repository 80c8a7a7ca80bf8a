//! Clean-up of the emitted blocks: the story header repeated in the body,
//! author bios, repeated blocks and furniture sections.

use super::fxhash::FxHasher;
use crate::Block;
use crate::text;

/// Drops author bios at the end of the story: a short paragraph in the last
/// third of the blocks that opens with the name of one of the page's authors
/// and goes on the way bios do ("Jane Roe is a reporter...", "Jane Roe,
/// editor, has covered..."), with a line just before it that only names the
/// author. Stories mention their reporters in the third person rarely, and
/// not in that shape at the bottom.
pub fn drop_author_bios(blocks: &mut Vec<Block>, authors: &[String]) {
    const MAX_BIO: usize = 900;
    const BIO_TURNS: &[&str] = &[
        " is ",
        " was ",
        " has ",
        " had ",
        " writes",
        " covers",
        " joined",
        " studied",
        " holds",
        " lives",
        " works",
        " specializes",
        " specialises",
        ", ",
    ];
    let names: Vec<&str> = authors
        .iter()
        .map(|a| a.trim())
        .filter(|a| a.len() >= 5 && a.contains(' '))
        .collect();
    if names.is_empty() || blocks.len() < 3 {
        return;
    }
    let from = blocks.len() - blocks.len() / 3;
    let mut drop = vec![false; blocks.len()];
    for i in from..blocks.len() {
        let Block::Paragraph { text } = &blocks[i] else {
            continue;
        };
        if text.len() > MAX_BIO {
            continue;
        }
        let bio = names.iter().any(|n| {
            text.strip_prefix(n)
                .is_some_and(|rest| BIO_TURNS.iter().any(|t| rest.starts_with(t)))
        });
        if !bio {
            continue;
        }
        drop[i] = true;
        // The name (or "About Jane Roe") on its own line above the bio.
        if let Some(Block::Paragraph { text: t } | Block::Heading { text: t, .. }) =
            i.checked_sub(1).map(|p| &blocks[p])
            && t.len() < 80
            && names.iter().any(|n| t.contains(n))
        {
            drop[i - 1] = true;
        }
    }
    let mut d = drop.into_iter();
    blocks.retain(|_| !d.next().unwrap_or(false));
}

/// Drops the story's header where it sits inside the body: the headline
/// again (an `<h1>`, or a heading that is the page title), the standfirst
/// (the meta description), and author-name lines, all before the first
/// paragraph of prose.
pub fn trim_header(
    blocks: &mut Vec<Block>,
    title: Option<&str>,
    description: Option<&str>,
    authors: &[String],
) {
    let title = title.map(text::key).unwrap_or_default();
    let _ = description;
    let authors: Vec<String> = authors.iter().map(|a| text::key(a)).collect();
    let same = |a: &str, b: &str| {
        let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
        !short.is_empty() && (short == long || (short.len() >= 15 && long.contains(short)))
    };
    let mut drop = Vec::new();
    for (i, b) in blocks.iter().enumerate().take(8) {
        match b {
            Block::Heading { level, text } => {
                let k = text::key(text);
                if *level == 1 || same(&k, &title) {
                    drop.push(i);
                }
            }
            Block::Paragraph { text } => {
                let k = text::key(text);
                if authors.iter().any(|a| !a.is_empty() && k == *a) {
                    drop.push(i);
                    continue;
                }
                if text::word_count(text) > 25 {
                    break;
                }
            }
            Block::Figure { .. } | Block::Embed { .. } => {}
            _ => break,
        }
    }
    for i in drop.into_iter().rev() {
        blocks.remove(i);
    }
}

/// Drops the later copies of long blocks: a story never repeats a paragraph
/// word for word, but pages carry the same text twice or more (a mobile and a
/// desktop layout, a print copy, tab panels), all inside the chosen body.
pub(super) fn drop_repeats(blocks: &mut Vec<Block>) {
    const MIN_BYTES: usize = 80;
    // 64-bit hashes of the comparison keys: a false match would need a
    // collision between two long blocks of one page.
    let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<FxHasher>> =
        Default::default();
    blocks.retain(|b| {
        let t = match b {
            Block::Paragraph { text } | Block::Quote { text, .. } => {
                std::borrow::Cow::Borrowed(text)
            }
            Block::List { items, .. } => std::borrow::Cow::Owned(items.join("\n")),
            _ => return true,
        };
        t.len() < MIN_BYTES || seen.insert(key_hash(&t))
    });
}

/// A hash of [`text::key`] without building the key (ASCII text, the usual
/// case, is hashed byte by byte; other text through the key itself).
fn key_hash(t: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    if !t.is_ascii() {
        for b in text::key(t).bytes() {
            h.write_u8(b);
        }
        return h.finish();
    }
    let mut gap = false;
    let mut started = false;
    for &b in t.as_bytes() {
        if b.is_ascii_alphanumeric() {
            if gap && started {
                h.write_u8(b' ');
            }
            gap = false;
            started = true;
            h.write_u8(b.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    h.finish()
}

/// Removes the sections opened by furniture headings ("Related stories",
/// "More from ...", "Comments") up to the next heading of the same or a
/// higher rank. Only in the second half of the text: a heading like that
/// near the top is more likely a stray label than the start of the page's
/// tail.
pub(super) fn cut_furniture_sections(blocks: &mut Vec<Block>, cuts: &[(usize, u8)]) {
    if cuts.is_empty() {
        return;
    }
    let len = |b: &Block| b.plain_text().map_or(0, |t| t.len());
    let total: usize = blocks.iter().map(len).sum();
    let mut keep = vec![true; blocks.len()];
    let mut before = 0usize;
    let mut bi = 0usize;
    for &(at, level) in cuts {
        while bi < at.min(blocks.len()) {
            before += len(&blocks[bi]);
            bi += 1;
        }
        if before * 2 < total {
            continue;
        }
        let mut i = at;
        while i < blocks.len() {
            if let Block::Heading { level: l, .. } = blocks[i]
                && l <= level.min(6)
            {
                break;
            }
            keep[i] = false;
            i += 1;
        }
    }
    let mut k = keep.into_iter();
    blocks.retain(|_| k.next().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_is_the_hash_of_the_key() {
        use std::hash::Hasher;
        for t in [
            "Rain, rain -- go away!",
            "  Été à Paris, été 2024 ",
            "",
            "a",
        ] {
            let mut h = FxHasher::default();
            for b in text::key(t).bytes() {
                h.write_u8(b);
            }
            assert_eq!(key_hash(t), h.finish(), "{t}");
        }
        assert_eq!(key_hash("Rain, rain."), key_hash("rain RAIN"));
        assert_eq!(key_hash("Rain\u{2014}rain"), key_hash("rain rain"));
        assert_ne!(key_hash("rain rain"), key_hash("rainrain"));
    }
}
