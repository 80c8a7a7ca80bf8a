//! Behaviour of the extractor on small pages of our own writing: each kind of
//! junk is dropped, each metadata source is read, odd inputs fail cleanly,
//! and the JSON of a few fixture pages is pinned by snapshots.

use std::time::{Duration, Instant};

use newsdesk_extract::{Block, ExtractError, PageKind, extract};
use proptest::prelude::*;

const STORY: &str = "<p>The river rose two metres overnight and flooded the lower town, where shops along the quay \
    had been stacking sandbags since Tuesday afternoon.</p>\
    <p>By dawn the water had reached the steps of the town hall, and the mayor asked people living near the bridge \
    to move their cars to higher ground before the next tide.</p>\
    <p>Forecasters expect the rain to ease on Sunday, although the river is likely to stay high for several more \
    days as water drains from the hills upstream.</p>";

fn page(body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>River floods lower town</title></head><body>{body}</body></html>"
    )
}

fn text_of(html: &str) -> String {
    extract(html.as_bytes(), Some("https://news.example/story"), None)
        .expect("extracts")
        .text
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_junk_dropped(junk: &str, marker: &str) {
    let html = page(&format!("<article>{STORY}{junk}</article>"));
    let text = text_of(&html);
    assert!(
        text.contains("The river rose two metres"),
        "story kept: {text}"
    );
    assert!(
        text.contains("water drains from the hills"),
        "story kept: {text}"
    );
    assert!(
        !text.contains(marker),
        "{marker:?} should be dropped from: {text}"
    );
}

#[test]
fn newsletter_box_is_dropped() {
    assert_junk_dropped(
        "<div class=\"newsletter-box\"><p>Want to get worth reading articles in your email? Join our list today.</p></div>",
        "worth reading articles",
    );
}

#[test]
fn related_list_is_dropped() {
    assert_junk_dropped(
        "<div class=\"related-posts\"><h3>You may also like</h3><ul><li><a href=\"/1\">Council approves the new budget for \
         roads</a></li><li><a href=\"/2\">Ferry times change next month on the island</a></li></ul></div>",
        "Council approves",
    );
}

#[test]
fn author_bio_is_dropped() {
    assert_junk_dropped(
        "<div class=\"about-author\"><h4>About Author</h4><p>Sam writes about weather and rivers for this paper and \
         lives near the estuary with two dogs.</p></div>",
        "lives near the estuary",
    );
}

#[test]
fn comments_are_dropped() {
    assert_junk_dropped(
        "<section id=\"comments\"><div class=\"comment\"><p>This happens every single year and nobody in the council \
         ever does anything about the drains.</p></div></section>",
        "nobody in the council",
    );
}

#[test]
fn share_bar_is_dropped() {
    assert_junk_dropped(
        "<div class=\"social-share\"><span>Share this story with your friends and family</span> <a href=\"#\">Facebook</a></div>",
        "Share this story",
    );
}

#[test]
fn cookie_banner_is_dropped() {
    let html = page(&format!(
        "<div id=\"cookie-consent\"><p>We use cookies to give you the best experience on our website. By continuing \
         you agree to our use of cookies.</p></div><article>{STORY}</article>"
    ));
    let text = text_of(&html);
    assert!(!text.contains("cookies"), "{text}");
    assert!(text.contains("The river rose"));
}

#[test]
fn navigation_and_footer_are_dropped() {
    let html = page(&format!(
        "<nav><a href=\"/\">Home</a> <a href=\"/news\">News</a> <a href=\"/sport\">Sport section</a></nav>\
         <article>{STORY}</article><footer><p>Copyright 2024 The Example Gazette, registered in the county of \
         Examples, all rights reserved worldwide.</p></footer>"
    ));
    let text = text_of(&html);
    assert!(!text.contains("Sport section"), "{text}");
    assert!(!text.contains("registered in the county"), "{text}");
}

#[test]
fn hidden_elements_are_dropped() {
    assert_junk_dropped(
        "<div style=\"display: none\"><p>Secret text that no reader would ever see on the page itself.</p></div>",
        "Secret text",
    );
}

#[test]
fn link_list_inside_the_body_is_dropped() {
    assert_junk_dropped(
        "<ul><li><a href=\"/x\">Flood warnings in place across the county</a></li><li><a href=\"/y\">How to claim \
         on your insurance after a flood</a></li></ul>",
        "claim on your insurance",
    );
}

#[test]
fn seed_style_page_keeps_story_and_drops_boxes() {
    let text = String::from_utf8(fixture("news_story.html")).expect("utf8");
    let a = extract(text.as_bytes(), None, None).expect("extracts");
    for kept in [
        "The old pier reopened",
        "forty of the iron piles",
        "braced for the worst",
        "fishing platform",
        "new railings",
    ] {
        assert!(a.text.contains(kept), "missing {kept:?} in {}", a.text);
    }
    for junk in [
        "Sign up for our free",
        "covers the coast",
        "Lifeboat crew",
        "I used to fish",
        "cookies",
        "All rights reserved",
        "Share on",
    ] {
        assert!(!a.text.contains(junk), "kept {junk:?} in {}", a.text);
    }
}

#[test]
fn metadata_from_json_ld() {
    let a = extract(&fixture("news_story.html"), None, None).expect("extracts");
    assert_eq!(
        a.title.as_deref(),
        Some("Harbour pier reopens after two-year repair")
    );
    assert_eq!(a.authors, vec!["Mara Lind", "Tomas Reed"]);
    assert_eq!(a.published.as_deref(), Some("2024-05-03T09:30:00+01:00"));
    assert_eq!(a.modified.as_deref(), Some("2024-05-03T12:05:00+01:00"));
}

#[test]
fn metadata_from_meta_tags() {
    let a = extract(&fixture("news_story.html"), None, None).expect("extracts");
    assert_eq!(a.site_name.as_deref(), Some("The Harbour Times"));
    assert_eq!(
        a.canonical_url.as_deref(),
        Some("https://harbour.example/news/2024/05/03/pier-reopens")
    );
    assert_eq!(a.language.as_deref(), Some("en"));
    let img = a.lead_image.expect("lead image");
    assert_eq!(img.url, "https://harbour.example/img/pier-wide.jpg");
    assert_eq!(
        img.caption.as_deref(),
        Some("Walkers returned to the pier at dawn on Friday.")
    );
    assert_eq!(img.credit.as_deref(), Some("Photo: Ana Costa"));

    let b = extract(&fixture("blog_post.html"), None, None).expect("extracts");
    assert_eq!(b.authors, vec!["Jo Baker"]);
    assert_eq!(b.published.as_deref(), Some("2023-11-07"));
}

#[test]
fn published_from_time_element() {
    let html = page(&format!(
        "<article><time class=\"published\" datetime=\"2021-06-30T08:00:00Z\">30 June</time>{STORY}</article>"
    ));
    let a = extract(html.as_bytes(), None, None).expect("extracts");
    assert_eq!(a.published.as_deref(), Some("2021-06-30T08:00:00Z"));
}

#[test]
fn published_from_visible_byline() {
    let html = page(&format!(
        "<article><div class=\"byline\">By Kim Novak, March 4, 2020</div>{STORY}</article>"
    ));
    let a = extract(html.as_bytes(), None, None).expect("extracts");
    assert_eq!(a.published.as_deref(), Some("2020-03-04"));
    assert_eq!(a.authors, vec!["Kim Novak"]);
}

#[test]
fn published_from_url() {
    let html = page(&format!("<article>{STORY}</article>"));
    let a = extract(
        html.as_bytes(),
        Some("https://news.example/2019/12/24/flood"),
        None,
    )
    .expect("extracts");
    assert_eq!(a.published.as_deref(), Some("2019-12-24"));
    assert_eq!(a.site_name.as_deref(), Some("news.example"));
}

#[test]
fn language_detected_when_undeclared() {
    let html = page(
        "<article><p>Der Fluss stieg über Nacht um zwei Meter und überflutete die Unterstadt, wo die Geschäfte am Kai \
         seit Dienstag Sandsäcke gestapelt hatten.</p><p>Im Morgengrauen hatte das Wasser die Stufen des Rathauses \
         erreicht, und der Bürgermeister bat die Anwohner, ihre Autos wegzufahren.</p></article>",
    );
    let a = extract(html.as_bytes(), None, None).expect("extracts");
    assert_eq!(a.language.as_deref(), Some("de"));
}

#[test]
fn blocks_are_typed() {
    let a = extract(&fixture("news_story.html"), None, None).expect("extracts");
    assert!(a.blocks.iter().any(
        |b| matches!(b, Block::Heading { level: 2, text } if text == "A cheaper plan than expected")
    ));
    assert!(
        a.blocks
            .iter()
            .any(|b| matches!(b, Block::List { ordered: false, items } if items.len() == 3))
    );
    assert!(a.blocks.iter().any(|b| matches!(b, Block::Quote { attribution: Some(who), .. } if who.starts_with("Ruth Okafor"))));
    assert!(
        a.blocks
            .iter()
            .any(|b| matches!(b, Block::Figure { credit: Some(c), .. } if c == "Photo: Ana Costa"))
    );
    // The headline is metadata, not a body heading.
    assert!(!a.text.starts_with("Harbour pier reopens"));
}

#[test]
fn embedded_posts_become_embed_blocks() {
    let a = extract(&fixture("embeds_latin1.html"), None, None).expect("extracts");
    assert!(
        a.blocks
            .iter()
            .any(|b| matches!(b, Block::Embed { provider, .. } if provider == "twitter"))
    );
    assert!(
        a.blocks
            .iter()
            .any(|b| matches!(b, Block::Embed { provider, .. } if provider == "youtube"))
    );
}

#[test]
fn latin1_page_is_decoded_from_meta_charset() {
    let a = extract(&fixture("embeds_latin1.html"), None, None).expect("extracts");
    assert!(a.text.contains("the café owner"), "{}", a.text);
    assert_eq!(a.encoding, "windows-1252");
}

#[test]
fn content_type_header_sets_the_charset() {
    let mut bytes = page(&format!("<article>{STORY}</article>")).into_bytes();
    bytes.extend_from_slice(b"<p>na\xefve</p>");
    let a = extract(&bytes, None, Some("text/html; charset=windows-1252")).expect("extracts");
    assert_eq!(a.encoding, "windows-1252");
}

#[test]
fn home_page_is_not_an_article() {
    let a = extract(
        &fixture("home_page.html"),
        Some("https://valley.example/"),
        None,
    )
    .expect("extracts");
    assert_eq!(a.kind, PageKind::NotArticle);
    assert!(a.not_article_reason.is_some());
}

#[test]
fn article_is_an_article() {
    let a = extract(&fixture("news_story.html"), None, None).expect("extracts");
    assert_eq!(a.kind, PageKind::Article);
    assert!(a.word_count > 100);
}

#[test]
fn binary_input_is_a_clear_error() {
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";
    assert!(matches!(
        extract(png, None, None),
        Err(ExtractError::NotHtml(_))
    ));
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let err = extract(&junk, None, None).expect_err("junk is not html");
    assert!(err.to_string().starts_with("not HTML"), "{err}");
    assert_eq!(extract(b"", None, None), Err(ExtractError::Empty));
}

#[test]
fn nesting_100k_deep_does_not_overflow() {
    let depth = 100_000;
    let mut html = String::with_capacity(depth * 11 + 1000);
    html.push_str("<html><body>");
    for _ in 0..depth {
        html.push_str("<div>");
    }
    html.push_str(STORY);
    for _ in 0..depth {
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    let start = CpuClock::start();
    let a = extract(html.as_bytes(), None, None).expect("extracts");
    assert!(a.text.contains("The river rose"));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn nested_inline_elements_100k_deep() {
    let depth = 100_000;
    let html = format!(
        "<p>{}deep text{}</p>",
        "<b><i>".repeat(depth / 2),
        "</i></b>".repeat(depth / 2)
    );
    assert!(extract(html.as_bytes(), None, None).is_ok());
}

#[test]
fn fifty_megabyte_page_in_bounded_time() {
    let mut html = String::from("<html><body><article>");
    // Numbered, so no paragraph is a verbatim copy of another (copies are dropped).
    let mut i = 0u64;
    while html.len() < 50 * 1024 * 1024 {
        i += 1;
        html.push_str(&format!(
            "<p>Paragraph {i} of text about the flood, the river, and the town, making a very large page.</p>\n"
        ));
    }
    html.push_str("</article></body></html>");
    let start = CpuClock::start();
    let a = extract(html.as_bytes(), None, None).expect("extracts");
    assert!(a.word_count > 1_000_000);
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "took {:?}",
        start.elapsed()
    );
}

/// This thread's CPU time (user + system) where /proc has it, else the wall
/// clock: the bound is about work done, and CI machines are often busy.
struct CpuClock {
    wall: Instant,
    cpu: Option<f64>,
}

impl CpuClock {
    fn start() -> CpuClock {
        CpuClock {
            wall: Instant::now(),
            cpu: thread_cpu_seconds(),
        }
    }

    fn elapsed(&self) -> Duration {
        match (self.cpu, thread_cpu_seconds()) {
            (Some(a), Some(b)) => Duration::from_secs_f64((b - a).max(0.0)),
            _ => self.wall.elapsed(),
        }
    }
}

fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[test]
fn malformed_html_still_extracts() {
    let html = format!(
        "<html><body><div><p>unclosed <b>bold <i>both</b> still</p><table><p>{STORY}</div></td></body>"
    );
    let text = text_of(&html);
    assert!(text.contains("The river rose"), "{text}");
}

#[test]
fn snapshot_news_story() {
    let a = extract(
        &fixture("news_story.html"),
        Some("https://harbour.example/news/2024/05/03/pier-reopens"),
        None,
    )
    .expect("extracts");
    insta::assert_json_snapshot!(a);
}

#[test]
fn snapshot_blog_post() {
    let a = extract(
        &fixture("blog_post.html"),
        Some("https://crumb.example/why-sourdough-stopped-rising/"),
        None,
    )
    .expect("extracts");
    insta::assert_json_snapshot!(a);
}

#[test]
fn snapshot_home_page() {
    let a = extract(
        &fixture("home_page.html"),
        Some("https://valley.example/"),
        None,
    )
    .expect("extracts");
    insta::assert_json_snapshot!(a);
}

#[test]
fn snapshot_embeds_latin1() {
    let a = extract(&fixture("embeds_latin1.html"), None, None).expect("extracts");
    insta::assert_json_snapshot!(a);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = extract(&bytes, None, None);
    }

    #[test]
    fn arbitrary_markup_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<div>".to_string()), Just("</div>".to_string()), Just("<p>".to_string()),
                Just("<table><tr><td>".to_string()), Just("<script>".to_string()), Just("</script>".to_string()),
                Just("<!--".to_string()), Just("-->".to_string()), Just("<a href=x>".to_string()),
                Just("<br>".to_string()), Just("<ul><li>".to_string()), Just("<figure><figcaption>".to_string()),
                Just("<blockquote class=twitter-tweet>".to_string()), Just("<h2>".to_string()),
                Just("<script type=application/ld+json>{\"@type\":\"NewsArticle\",\"author\":".to_string()),
                "[ -~]{0,40}".prop_map(|s| s),
                "\\PC{0,20}".prop_map(|s| s),
            ],
            0..64,
        ),
        ct in proptest::option::of("[ -~]{0,30}"),
        url in proptest::option::of("[ -~]{0,30}"),
    ) {
        let html = parts.concat();
        let _ = extract(html.as_bytes(), url.as_deref(), ct.as_deref());
    }

    // The page's URL is read too (dates in its path): any path, multi-byte
    // characters included, must not panic.
    #[test]
    fn arbitrary_urls_never_panic(
        segments in proptest::collection::vec(
            // Date-shaped lengths (4, 2, 2+) with ASCII and non-ASCII mixed in.
            prop_oneof!["[a-z0-9]{4}", "[0-9]{2}", "[a-z0-9]\\PC{1,3}", "\\PC{0,6}"],
            0..8,
        ),
        seps in proptest::collection::vec(prop_oneof![Just('/'), Just('-'), Just('_')], 8),
    ) {
        let mut url = "https://example.org".to_string();
        for (s, sep) in segments.iter().zip(&seps) {
            url.push(*sep);
            url.push_str(s);
        }
        let _ = extract(page(STORY).as_bytes(), Some(&url), None);
    }
}

#[test]
fn multibyte_character_in_a_date_shaped_url_path_does_not_panic() {
    // `abcd/ef/gé`: four, two, then a segment whose third byte is inside `é`.
    let article = extract(
        page(STORY).as_bytes(),
        Some("https://example.org/abcd/ef/g\u{e9}"),
        None,
    )
    .expect("extracts");
    assert_eq!(article.published, None);
    // A real date followed by non-ASCII text is still read, as `03.html` is.
    let article = extract(
        page(STORY).as_bytes(),
        Some("https://example.org/2024/05/03\u{e9}t\u{e9}"),
        None,
    )
    .expect("extracts");
    assert_eq!(article.published.as_deref(), Some("2024-05-03"));
}

#[test]
fn related_section_after_the_story_is_cut() {
    // Teasers without links (the cards' links sit on images) under a
    // "More stories" heading in a wrapper of their own.
    let html = page(&format!(
        "<article>{STORY}<div class=\"cards\"><h2>More stories</h2>\
         <div><p>The harbour festival returns this summer with boat races, music and a night market on the quay.</p></div>\
         <div><p>A new ferry timetable starts on Monday, with extra crossings in the evening rush hour.</p></div></div></article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.contains("harbour festival"), "{text}");
    assert!(!text.contains("ferry timetable"), "{text}");
}

#[test]
fn related_label_cuts_flat_teasers_to_the_next_heading() {
    let html = page(&format!(
        "<article>{STORY}<p>ALSO IN THE NEWS</p>\
         <p>The harbour festival returns this summer with boat races, music and a night market on the quay.</p>\
         <p>A new ferry timetable starts on Monday, with extra crossings in the evening rush hour.</p></article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.contains("harbour festival"), "{text}");
}

#[test]
fn story_section_after_a_one_teaser_label_is_kept() {
    let html = page(&format!(
        "<article>{STORY}<h3>Related: Pier reopens after repairs</h3>\
         <p>Engineers will inspect the sea wall again next month, once the water has gone down and the quay is dry.</p></article>"
    ));
    let text = text_of(&html);
    assert!(
        text.contains("Engineers will inspect the sea wall"),
        "{text}"
    );
}

#[test]
fn sign_up_box_goes_with_its_title_and_small_print() {
    // No class names to go by: the pitch itself gives the box away.
    let html = page(&format!(
        "<article>{STORY}<section><div>Gazette Deals</div><div>Be the first to know!</div>\
         <div>By signing up, you agree to receive messages from the Gazette at the address provided.</div>\
         <div>Hand-picked offers every week</div></section>\
         <p>Engineers will inspect the sea wall again next month, once the water has gone down and the quay is dry.</p></article>"
    ));
    let text = text_of(&html);
    assert!(
        text.contains("Engineers will inspect the sea wall"),
        "{text}"
    );
    assert!(!text.contains("Gazette Deals"), "{text}");
    assert!(!text.contains("Hand-picked offers"), "{text}");
}

#[test]
fn headline_and_author_line_above_the_story_are_dropped() {
    let html = "<!DOCTYPE html><html><head><title>River floods lower town | Gazette</title>\
        <meta name=\"author\" content=\"Jane Roe\"></head><body><article>\
        <h1>River floods the lower town overnight</h1><p>Jane Roe</p>"
        .to_string()
        + STORY
        + "</article></body></html>";
    let text = text_of(&html);
    assert!(text.starts_with("The river rose two metres"), "{text}");
}

#[test]
fn streamed_segments_replace_their_loading_placeholders() {
    // A server-streamed page: the story arrives late in hidden segments
    // that a script would move into the placeholders, replacing "Loading".
    let html = page(
        "<article class=\"story\"><!--$?--><template id=\"B:0\"></template><div>Loading story...</div><!--/$-->\
         <p>A short line the page rendered at once, before the rest arrived.</p>\
         <template id=\"B:1\"></template><div>Loading more...</div></article>\
         <div hidden id=\"S:1\"><p>Forecasters expect the rain to ease on Sunday, although the river is likely to stay \
         high for several more days as water drains from the hills upstream.</p><template id=\"P:2\"></template></div>\
         <div hidden id=\"S:0\"><p>The river rose two metres overnight and flooded the lower town, where shops along the \
         quay had been stacking sandbags since Tuesday afternoon.</p></div>\
         <div hidden id=\"S:2\"><p>By dawn the water had reached the steps of the town hall, and the mayor asked people \
         living near the bridge to move their cars to higher ground before the next tide.</p></div>",
    );
    let text = text_of(&html);
    assert!(!text.contains("Loading"), "fallbacks replaced: {text}");
    let rose = text.find("The river rose").expect("segment S:0 placed");
    let line = text.find("A short line").expect("inline text kept");
    let ease = text.find("rain to ease").expect("segment S:1 placed");
    let dawn = text.find("By dawn").expect("nested segment S:2 placed");
    assert!(
        rose < line && line < ease && ease < dawn,
        "page order: {text}"
    );
}

#[test]
fn hidden_divs_that_are_not_streamed_segments_stay_hidden() {
    let html = page(&format!(
        "<article>{STORY}</article><div hidden id=\"S:0\"><p>An old draft paragraph nobody should see, kept in the \
         page by mistake and hidden from readers.</p></div>"
    ));
    let text = text_of(&html);
    assert!(text.contains("The river rose"), "{text}");
    assert!(
        !text.contains("old draft"),
        "no placeholder asked for it: {text}"
    );
}

#[test]
fn wrapper_inside_the_named_body_survives_a_junk_name() {
    // A wrapper for a "comment on a selection" feature holds the whole body.
    let html = page(&format!(
        "<nav><a href=\"/\">Home</a></nav><div class=\"post-content\"><div class=\"comment-on-selection\">{STORY}</div></div>\
         <div class=\"comments\"><p>A reader wrote that the flood was the worst they had seen in decades of living \
         there, and thanked the crews for their work through the night.</p></div>"
    ));
    let text = text_of(&html);
    assert!(text.contains("The river rose"), "{text}");
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.contains("A reader wrote"), "{text}");
}

#[test]
fn not_prefixed_classes_name_no_content() {
    // "not-prose" opts out of body styling: it does not name the body, so a
    // byline box inside it is not saved by the body-wrapper rule.
    let html = page(&format!(
        "<div class=\"prose\"><div class=\"hero not-prose\"><h1>River floods lower town</h1>\
         <div class=\"byline-box\"><p>Reviewed by a panel of three editors who check every story we publish for \
         accuracy, fairness and clarity before it goes out, and who answer readers' questions about how we work, \
         what we correct and when, and why some sources stay unnamed.</p></div></div>{STORY}</div>"
    ));
    let text = text_of(&html);
    assert!(text.contains("The river rose"), "{text}");
    assert!(!text.contains("panel of three editors"), "{text}");
}

#[test]
fn long_footer_outside_main_is_dropped() {
    // The footer carries more prose than the story (small print, offices),
    // which would let it pass for a wrapper; with a <main> landmark holding
    // the story it wraps nothing.
    let small_print = "<p>This material is for general information only and is not advice; check with a qualified \
        adviser before you act on anything you read here, because every situation differs in ways we cannot \
        foresee from a single page.</p><p>Our offices: 12 Harbour Row, Eastport, and 3 Mill Lane, Westbridge. \
        Opening hours vary on public holidays, and the Westbridge office closes early on Fridays in winter.</p>\
        <p>All rights reserved by the owners of this site, who thank you for reading to the very bottom of the \
        page and hope you found what you were looking for.</p>";
    let html = page(&format!(
        "<main><h1>River floods lower town</h1>{STORY}</main><footer class=\"site-footer\">{small_print}</footer>"
    ));
    let text = text_of(&html);
    assert!(text.contains("The river rose"), "{text}");
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.contains("qualified adviser"), "{text}");
    assert!(!text.contains("Harbour Row"), "{text}");
}

#[test]
fn a_second_copy_of_the_story_is_dropped() {
    // The same story laid out twice (a desktop and a mobile version), both
    // inside the body: the text comes out once; short repeated lines stay.
    let html = page(&format!(
        "<article><div class=\"desktop\">{STORY}<p>Updated at noon.</p></div>\
         <div class=\"mobile\">{STORY}<p>Updated at noon.</p></div></article>"
    ));
    let text = text_of(&html);
    assert_eq!(
        text.matches("The river rose two metres").count(),
        1,
        "{text}"
    );
    assert_eq!(
        text.matches("water drains from the hills").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("Updated at noon").count(), 2, "{text}");
}

#[test]
fn captions_marked_by_class_stay_out_of_the_text() {
    // No <figure> here: the caption is a div named as one. It belongs to the
    // picture (a figure block), not to the prose.
    let html = page(&format!(
        "<article>{STORY}<div class=\"photo\"><img src=\"/quay.jpg\" alt=\"\">\
         <div class=\"photo-caption\">Sandbags piled along the quay on Tuesday. Photo: Jo Marsh</div></div></article>"
    ));
    let a = extract(html.as_bytes(), Some("https://news.example/story"), None).expect("extracts");
    assert!(a.text.contains("The river rose"), "{}", a.text);
    assert!(!a.text.contains("Sandbags piled"), "{}", a.text);
    let caption = a.blocks.iter().find_map(|b| match b {
        Block::Figure {
            caption, credit, ..
        } => Some((caption.clone(), credit.clone())),
        _ => None,
    });
    assert_eq!(
        caption,
        Some((
            Some("Sandbags piled along the quay on Tuesday.".to_string()),
            Some("Photo: Jo Marsh".to_string())
        )),
        "{:?}",
        a.blocks
    );
}

#[test]
fn text_encoded_twice_is_repaired() {
    // UTF-8 read as Windows-1252 and saved again as UTF-8: "donâ€™t",
    // "cafÃ©", a no-break space as "Â ". German "Spaß“" must stay as it is.
    let html = page(
        "<article><p>The caf\u{c3}\u{a9} on the quay didn\u{e2}\u{20ac}\u{2122}t open on Tuesday, the owner said, \
         because the water had reached its door\u{c2}\u{a0}and the cellar was full.</p>\
         <p>Die Kinder hatten trotzdem Spa\u{df}\u{201c} am Wasser, sagte eine Nachbarin, die seit vielen Jahren am \
         Hafen wohnt und solche Fluten kennt.</p></article>",
    );
    let text = text_of(&html);
    assert!(text.contains("The café on the quay didn’t open"), "{text}");
    assert!(text.contains("door and the cellar"), "{text}");
    assert!(text.contains("Spaß“ am Wasser"), "{text}");
}

#[test]
fn code_in_a_custom_element_between_paragraphs_is_kept() {
    // Syntax-highlighting classes ("hljs-comment") inside code name no junk,
    // and a custom element between paragraphs is part of the story.
    let html = "<!DOCTYPE html><html><head><title>A short guide</title></head><body>\
         <div class=\"main-wrapper\"><main><section class=\"main-title\"><h1><a href=\"/\">Home</a></h1></section>\
         <div class=\"default-wrapper\"><a class=\"back-link\" href=\"/posts\">Back</a><article>\
         <h2>Getting started</h2><div>\
         <div class=\"banner old-post\"><p>This post is more than three years old, so some of it may be out of date.</p></div>\
         <p>Version control keeps every change to a project, so a mistake made today can be undone tomorrow, \
         and nobody loses the work of the weeks before.</p>\
         <p>Setting up a new repository takes one command, and copying an existing one takes another, as shown \
         below, after which the usual cycle of editing, staging and committing begins.</p>\
         <code-sample><button>Copy</button><pre><code><span class=\"hljs-comment\"># start a repository</span>\n\
         tool init\n<span class=\"hljs-comment\"># copy one</span>\ntool clone URL\n\
         <span class=\"hljs-comment\"># see what changed</span>\ntool status\n\
         <span class=\"hljs-comment\"># stage every change</span>\ntool add --all</code></pre></code-sample>\
         <p>Each of these commands has options of its own, and the manual explains them.</p>\
         </div></article></div></main></div></body></html>";
    let text = text_of(html);
    assert!(text.contains("# start a repository\ntool init"), "{text}");
    assert!(text.contains("tool add --all"), "{text}");
    assert!(text.contains("Each of these commands"), "{text}");
}

#[test]
fn collapsed_accordion_panels_are_kept_but_plain_hidden_text_is_not() {
    // A panel that a button opens (aria-controls) is text the reader can
    // see with one click; a hidden block nothing opens is not.
    let html = page(&format!(
        "<article>{STORY}<h2>Questions</h2>\
         <div><a role=\"button\" aria-controls=\"faq-1\" href=\"#\">Will the bridge reopen?</a>\
         <div id=\"faq-1\" style=\"display:none\" role=\"region\"><p>Engineers will inspect the bridge once the water \
         falls, and the council expects to reopen it to walkers first, then to cars a few days later.</p></div></div>\
         <div id=\"draft\" style=\"display:none\"><p>An unused draft paragraph that the page never shows to anyone at \
         all, left behind by an old template.</p></div></article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("Engineers will inspect the bridge"), "{text}");
    assert!(!text.contains("unused draft"), "{text}");
}

#[test]
fn glossary_tooltips_inside_sentences_are_dropped() {
    let html = page(
        "<article><p>The river rose two metres overnight and flooded the lower town, where the <span class=\"term\">\
         <dfn>levee</dfn><span class=\"term-tooltip\">Levee: an embankment built to stop a river overflowing. \
         Learn more</span></span> had held for forty years until this week.</p>\
         <p>By dawn the water had reached the steps of the town hall, and the mayor asked people living near the bridge \
         to move their cars to higher ground before the next tide.</p></article>",
    );
    let text = text_of(&html);
    assert!(text.contains("where the levee had held"), "{text}");
    assert!(!text.contains("an embankment built"), "{text}");
}

#[test]
fn template_filler_text_is_dropped() {
    let html = page(&format!(
        "<article>{STORY}<section><h3>Head line</h3><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do \
         eiusmod tempor incididunt ut labore et dolore magna aliqua.</p><ul><li>Lorem ipsum 1</li>\
         <li>Lorem ipsum 2</li></ul></section></article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.to_lowercase().contains("lorem"), "{text}");
}

fn teaser(href: &str, title: &str, excerpt: &str) -> String {
    format!("<div class=\"item\"><h3><a href=\"{href}\">{title}</a></h3><p>{excerpt}</p></div>")
}

#[test]
fn teaser_cards_after_the_story_are_dropped() {
    // Unlabelled cards of other stories from the same site (headline link
    // plus excerpt) after the story, inside the same container.
    let cards: String = [
        (
            "/travel/harbour-ferry",
            "Harbour ferry adds an evening crossing for the summer",
            "The new sailing leaves at nine and returns before midnight.",
        ),
        (
            "https://www.news.example/food/market",
            "Covered market reopens with twelve new stalls this spring",
            "Traders moved back in after a year of building work.",
        ),
        (
            "/sport/regatta",
            "Regatta moves to June after the spring floods again",
            "Organisers said the course could not be marked in time.",
        ),
    ]
    .iter()
    .map(|(h, t, e)| teaser(h, t, e))
    .collect();
    let html = format!(
        "<!DOCTYPE html><html><head><title>River floods lower town</title>\
         <link rel=\"canonical\" href=\"https://news.example/story\"></head><body>\
         <div class=\"content\">{STORY}{cards}</div></body></html>"
    );
    let text = text_of(&html);
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.contains("Harbour ferry"), "{text}");
    assert!(!text.contains("Traders moved back"), "{text}");
}

#[test]
fn cards_whose_link_wraps_headline_and_excerpt_are_dropped_after_the_story() {
    // The whole card is one link (picture, headline, excerpt, date), so the
    // heading's own text holds no link.
    let card = |href: &str, title: &str, excerpt: &str| {
        format!(
            "<div class=\"slide\"><a class=\"card\" href=\"{href}\"><img src=\"/i.jpg\" alt=\"\">\
             <div><h3>{title}</h3><p>{excerpt}</p><span>October 17</span></div></a></div>"
        )
    };
    let cards: String = [
        card(
            "/travel/harbour-ferry",
            "Harbour ferry adds an evening crossing for the summer",
            "The new sailing leaves at nine and returns before midnight.",
        ),
        card(
            "/food/market",
            "Covered market reopens with twelve new stalls this spring",
            "Traders moved back in after a year of building work.",
        ),
        card(
            "/sport/regatta",
            "Regatta moves to June after the spring floods again",
            "Organisers said the course could not be marked in time.",
        ),
    ]
    .concat();
    let html = format!(
        "<!DOCTYPE html><html><head><title>River floods lower town</title>\
         <link rel=\"canonical\" href=\"https://news.example/story\"></head><body>\
         <div class=\"content\">{STORY}<div class=\"slides\">{cards}</div></div></body></html>"
    );
    let text = text_of(&html);
    assert!(text.contains("water drains from the hills"), "{text}");
    assert!(!text.contains("Harbour ferry"), "{text}");
    assert!(!text.contains("Traders moved back"), "{text}");
}

#[test]
fn a_round_up_linking_to_other_sites_is_kept() {
    // The same shape, but each item links to another site: that is the story
    // (a round-up of places), not teasers.
    let items: String = [
        (
            "https://mill.example/",
            "The old mill gallery by the weir on the river",
            "Open at weekends, with a café in the grinding room.",
        ),
        (
            "https://quay.example/",
            "The quay bookshop and its reading room upstairs",
            "Second-hand maps and a window over the moorings.",
        ),
        (
            "https://bridge.example/",
            "The bridge bakery that opens before the first ferry",
            "Rye loaves sell out by eight on market days.",
        ),
    ]
    .iter()
    .map(|(h, t, e)| teaser(h, t, e))
    .collect();
    let html = format!(
        "<!DOCTYPE html><html><head><title>Three places to visit</title>\
         <link rel=\"canonical\" href=\"https://news.example/places\"></head><body>\
         <div class=\"content\">{STORY}{items}</div></body></html>"
    );
    let text = text_of(&html);
    assert!(text.contains("Second-hand maps"), "{text}");
    assert!(text.contains("Rye loaves sell out"), "{text}");
}

#[test]
fn a_table_inside_a_figure_is_kept_with_its_caption_aside() {
    let html = page(&format!(
        "<article>{STORY}<figure class=\"table-block\"><table><thead><tr><th>Gauge</th><th>Level</th></tr></thead>\
         <tbody><tr><td>Quay</td><td>4.1 m</td></tr><tr><td>Old bridge</td><td>3.7 m</td></tr>\
         <tr><td>Mill weir</td><td>2.9 m</td></tr></tbody></table><figcaption>Source: river authority</figcaption>\
         </figure></article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("Old bridge | 3.7 m"), "{text}");
    assert!(!text.contains("river authority"), "{text}");
}

#[test]
fn a_link_list_the_story_introduces_is_kept() {
    let html = page(&format!(
        "<article>{STORY}<p>The council has published these notices for residents:</p>\
         <ul><li><a href=\"/n/1\">Sandbag collection points</a></li><li><a href=\"/n/2\">Road closures by street</a></li>\
         <li><a href=\"/n/3\">Help with flood damage claims</a></li></ul>\
         <p>More notices will follow once the water falls and the damage to the quay has been surveyed.</p>\
         <ul><li><a href=\"/\">Home</a></li><li><a href=\"/news\">News</a></li><li><a href=\"/weather\">Weather</a></li></ul>\
         </article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("Road closures by street"), "{text}");
    assert!(text.contains("More notices will follow"), "{text}");
    assert!(!text.contains("Weather"), "{text}");
}

#[test]
fn invisible_marks_inside_words_are_removed() {
    let html = page(
        "<article><p>The river rose two metres over\u{200b}night and flooded the lower town, where shops along the \
         quay had been stack\u{ad}ing sand\u{feff}bags since Tuesday afternoon, the council said.</p>\
         <p>By dawn the water had reached the steps of the town hall, and the mayor asked people living near the bridge \
         to move their cars to higher ground before the next tide.</p></article>",
    );
    let text = text_of(&html);
    assert!(text.contains("overnight and flooded"), "{text}");
    assert!(text.contains("stacking sandbags"), "{text}");
}

#[test]
fn a_lead_box_just_above_the_story_body_is_kept() {
    // The summary sits in its own wrapper beside the body container, not in it.
    let html = page(&format!(
        "<article><div class=\"article-wrap\"><div class=\"summary-box\"><div class=\"label\">In short</div>\
         <p>Floodwater reached the town hall steps overnight; the council expects the river to stay high for several \
         more days, and asks people to keep away from the quay.</p>\
         </div><div class=\"story-container\"><h2>What happened</h2>{STORY}<h2>What comes next</h2>{STORY2}</div></div></article>"
    ));
    let text = text_of(&html);
    assert!(
        text.contains("Floodwater reached the town hall steps"),
        "{text}"
    );
    assert!(text.contains("The river rose two metres"), "{text}");
}

const STORY2: &str = "<p>Engineers will inspect the old bridge once the water falls, and the council expects to reopen \
    it to walkers first, then to cars a few days later, if the piers are sound.</p>\
    <p>Shops on the quay plan to reopen next week, although several owners said that their insurers had not yet \
    sent anyone to look at the damage, and that the clean-up would take far longer than the flood.</p>";

#[test]
fn headings_that_link_to_themselves_are_kept() {
    let html = page(&format!(
        "<article><h2 id=\"what\"><a href=\"#what\">What happened</a></h2>{STORY}\
         <h2 id=\"next\"><a href=\"#next\">What comes next</a></h2>{STORY2}</article>"
    ));
    let text = text_of(&html);
    assert!(text.contains("What happened"), "{text}");
    assert!(text.contains("What comes next"), "{text}");
}

fn page_by(author: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>River floods lower town</title>\
         <meta name=\"author\" content=\"{author}\"></head><body>{body}</body></html>"
    )
}

#[test]
fn the_author_bio_at_the_end_goes_with_its_name_line() {
    let html = page_by(
        "Jane Roe",
        &format!(
            "<article>{STORY}{STORY2}<p>Jane Roe</p><p>Jane Roe is a reporter on the river desk. She has covered \
             floods, ferries and the harbour for ten years.</p></article>"
        ),
    );
    let text = text_of(&html);
    assert!(text.contains("clean-up would take far longer"), "{text}");
    assert!(!text.contains("river desk"), "{text}");
    assert!(!text.ends_with("Jane Roe"), "{text}");
}

#[test]
fn the_author_named_early_in_the_story_is_not_a_bio() {
    // Near the top, and a sentence that only starts with the name: the story.
    let html = page_by(
        "Jane Roe",
        &format!(
            "<article><p>Jane Roe, who walked the quay at dawn, counted forty shops with water above the door \
             and spoke to owners clearing out their stock.</p>{STORY}{STORY2}</article>"
        ),
    );
    let text = text_of(&html);
    assert!(text.contains("counted forty shops"), "{text}");
}
