//! Arbitrary bytes, with the first byte choosing an optional Content-Type,
//! must never panic the extractor: `cargo +nightly fuzz run extract`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.split_first() {
        Some((b, rest)) if b % 4 == 0 => (Some("text/html; charset=windows-1252"), rest),
        Some((b, rest)) if b % 4 == 1 => (Some("text/html; charset=shift_jis"), rest),
        Some((b, rest)) if b % 4 == 2 => (None, rest),
        _ => (None, data),
    };
    let _ = newsdesk_extract::extract(body, Some("https://fuzz.example/a/b"), ct);
});
