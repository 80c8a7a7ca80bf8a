//! Near-duplicate detection: MinHash over word 3-shingles, indexed by LSH bands.
//!
//! Two agencies' versions of one wire story share most of their sentences, so their shingle sets
//! overlap heavily; two stories on the same topic share words but few three-word runs. The
//! estimated Jaccard similarity of two signatures is the share of equal positions. The band keys
//! (pairs of signature values, hashed) are what the store indexes: a new story is compared only
//! with stories sharing a band key, never with all stories, so the cost per story stays flat.

/// Signature length (hash functions).
pub const SIGNATURE_LEN: usize = 64;
/// Values per LSH band: 32 bands of 2 rows. A pair at Jaccard 0.3 shares a band with
/// probability 1 - (1 - 0.3²)³² ≈ 0.95; at 0.05 with probability ≈ 0.08, and those are then
/// rejected by the full-signature check.
pub const ROWS_PER_BAND: usize = 2;
/// Estimated Jaccard similarity at or above which two stories are the same story.
pub const SAME_STORY_THRESHOLD: f64 = 0.3;
const SHINGLE_WORDS: usize = 3;

/// A story's fingerprint: its signature and LSH band keys (empty when the text has no words).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub signature: Vec<u32>,
    pub band_keys: Vec<i64>,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// FNV-1a over the word: stable across runs and platforms, unlike std's hasher.
fn word_hash(word: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in word.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Lower-cased words of the text (letters and digits).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// [`word_hash`] of the lower-cased word, without allocating for ASCII words (most of them).
fn lower_word_hash(word: &str) -> u64 {
    if word.is_ascii() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in word.bytes() {
            h ^= u64::from(b.to_ascii_lowercase());
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    } else {
        word_hash(&word.to_lowercase())
    }
}

fn shingles(text: &str) -> Vec<u64> {
    let hashes: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(lower_word_hash)
        .collect();
    if hashes.len() < SHINGLE_WORDS {
        return hashes;
    }
    hashes
        .windows(SHINGLE_WORDS)
        .map(|w| w.iter().fold(0u64, |acc, h| splitmix(acc ^ h)))
        .collect()
}

/// The fingerprint of a story's body text.
pub fn fingerprint(text: &str) -> Fingerprint {
    let shingles = shingles(text);
    if shingles.is_empty() {
        return Fingerprint {
            signature: Vec::new(),
            band_keys: Vec::new(),
        };
    }
    // Hash function i: multiply-add-shift of the (already well mixed) shingle hash with an odd
    // multiplier and an offset of its own: one multiplication per shingle and function, which is
    // what makes fingerprinting cheap enough for thousands of stories a second on one core.
    let mut mul = [0u64; SIGNATURE_LEN];
    let mut add = [0u64; SIGNATURE_LEN];
    for i in 0..SIGNATURE_LEN {
        mul[i] = splitmix(i as u64 + 1) | 1;
        add[i] = splitmix(i as u64 + 1 + SIGNATURE_LEN as u64);
    }
    let mut signature = vec![u32::MAX; SIGNATURE_LEN];
    for s in &shingles {
        for ((slot, m), a) in signature.iter_mut().zip(&mul).zip(&add) {
            let h = (s.wrapping_mul(*m).wrapping_add(*a) >> 32) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    let band_keys = band_keys(&signature);
    Fingerprint {
        signature,
        band_keys,
    }
}

/// LSH band keys of a signature: one per band, the band's position mixed in.
pub fn band_keys(signature: &[u32]) -> Vec<i64> {
    signature
        .chunks(ROWS_PER_BAND)
        .enumerate()
        .map(|(band, rows)| {
            let h = rows.iter().fold(splitmix(band as u64), |acc, v| {
                splitmix(acc ^ u64::from(*v))
            });
            // Stored as a signed 64-bit key; the bits are what matter.
            h as i64
        })
        .collect()
}

/// Estimated Jaccard similarity of two signatures (0 when either is empty or they differ in length).
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text_of(words: &[String]) -> String {
        words.join(" ")
    }

    proptest! {
        #[test]
        fn identical_text_has_identical_fingerprint(ws in prop::collection::vec("[a-z]{1,10}", 3..300)) {
            let t = text_of(&ws);
            prop_assert_eq!(fingerprint(&t), fingerprint(&t.clone()));
        }

        #[test]
        fn case_and_punctuation_do_not_change_the_fingerprint(ws in prop::collection::vec("[a-z]{1,10}", 3..200)) {
            let plain = text_of(&ws);
            let loud: String = ws.iter().map(|w| format!("{}, ", w.to_uppercase())).collect();
            prop_assert_eq!(fingerprint(&plain), fingerprint(&loud));
        }

        #[test]
        fn one_changed_word_keeps_the_story_the_same(
            ws in prop::collection::vec("[a-z]{3,10}", 200..400),
            at in any::<prop::sample::Index>(),
        ) {
            let a = text_of(&ws);
            let mut edited = ws.clone();
            let i = at.index(edited.len());
            edited[i] = "zzzzqqqq".to_owned();
            let b = text_of(&edited);
            let s = similarity(&fingerprint(&a).signature, &fingerprint(&b).signature);
            prop_assert!(s >= 0.8, "similarity {s} after one edit");
        }

        #[test]
        fn unrelated_texts_are_not_the_same_story(
            a in prop::collection::vec("[a-m]{4,9}", 100..300),
            b in prop::collection::vec("[n-z]{4,9}", 100..300),
        ) {
            let s = similarity(&fingerprint(&text_of(&a)).signature, &fingerprint(&text_of(&b)).signature);
            prop_assert!(s < SAME_STORY_THRESHOLD, "similarity {s}");
        }
    }

    proptest! {
        #[test]
        fn hashing_without_allocation_matches_the_lower_cased_words(t in "[a-zA-ZÀ-ÿ0-9 ,.]{0,200}") {
            let by_words: Vec<u64> = words(&t).iter().map(|w| word_hash(w)).collect();
            let fast: Vec<u64> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(lower_word_hash)
                .collect();
            prop_assert_eq!(by_words, fast);
        }
    }

    #[test]
    fn text_without_words_has_no_band_keys() {
        assert!(fingerprint("  ... !!! ").band_keys.is_empty());
        assert_eq!(
            fingerprint("one two three four").band_keys.len(),
            SIGNATURE_LEN / ROWS_PER_BAND
        );
    }
}
