//! Whatever arrives at the bounce address (DSNs, complaints, mailto unsubscribes, junk) is
//! classified without panicking: `RUSTC_BOOTSTRAP=1 cargo fuzz run bounce`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = newsdesk_core::newsletter::TokenKey::new(b"fuzzing key of our own".to_vec());
    let (recipient, raw) = match data.iter().position(|&b| b == b'\n') {
        Some(i) if i < 200 => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        _ => ("bounces@news.example".to_owned(), data),
    };
    let _ = newsdesk_mail::inbound::classify(&key, &recipient, raw, chrono::Utc::now());
});
