//! Bytes from a feed URL, as the poller sees them, must never panic the feed parser or the
//! discovery of a home page's feeds: `RUSTC_BOOTSTRAP=1 cargo fuzz run feed`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://wire.fuzz.example/news/").expect("base");
    let (ct, body) = match data.split_first() {
        Some((b, rest)) if b % 4 == 0 => (Some("application/rss+xml; charset=windows-1252"), rest),
        Some((b, rest)) if b % 4 == 1 => (Some("text/html"), rest),
        Some((b, rest)) if b % 4 == 2 => (Some("application/feed+json"), rest),
        _ => (None, data),
    };
    if let Ok(feed) = newsdesk_ingest::feeds::parse_feed(body, ct, &base) {
        for e in feed.entries {
            // Every item URL the parser hands on is absolute http(s).
            let parsed = url::Url::parse(&e.url);
            assert!(
                parsed.is_ok_and(|u| matches!(u.scheme(), "http" | "https")),
                "{}",
                e.url
            );
        }
    }
    let _ = newsdesk_ingest::feeds::discover_feeds(body, ct, &base);
});
