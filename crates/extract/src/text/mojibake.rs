//! Repair of text that was UTF-8 decoded twice.

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
