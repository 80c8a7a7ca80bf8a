//! Arbitrary bytes, with the first byte choosing an optional Content-Type and
//! the second how many of the following bytes form the page URL's path, must
//! never panic the extractor: `cargo +nightly fuzz run extract`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, rest) = match data.split_first() {
        Some((b, rest)) if b % 4 == 0 => (Some("text/html; charset=windows-1252"), rest),
        Some((b, rest)) if b % 4 == 1 => (Some("text/html; charset=shift_jis"), rest),
        Some((b, rest)) if b % 4 == 2 => (None, rest),
        _ => (None, data),
    };
    // The URL is read too (a date in its path, links resolved against it), so
    // it is fuzzed as well: lossy UTF-8 keeps multi-byte characters in play.
    let (url, body) = match rest.split_first() {
        Some((&0, rest)) => (None, rest),
        Some((&n, rest)) => {
            let (path, body) = rest.split_at(usize::from(n).min(rest.len()));
            let url = format!("https://fuzz.example/{}", String::from_utf8_lossy(path));
            (Some(url), body)
        }
        None => (None, rest),
    };
    let _ = newsdesk_extract::extract(body, url.as_deref(), ct);
});
