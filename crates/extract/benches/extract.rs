//! Extraction speed on our own fixture pages (`cargo bench -p newsdesk-extract`).
//! The dataset-wide figures come from `bench/extract`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract");
    for name in ["news_story.html", "blog_post.html", "home_page.html"] {
        let page = fixture(name);
        group.throughput(Throughput::Bytes(page.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| newsdesk_extract::extract(std::hint::black_box(&page), None, None))
        });
    }
    // A large synthetic page: 2 MB of article paragraphs among boilerplate.
    let mut big = String::from("<html><body><nav><a href=/>Home</a></nav><article>");
    while big.len() < 2 << 20 {
        big.push_str("<p>Paragraph of article text, long enough to count, with a comma or two, and a <a href=#>link</a>.</p>");
        big.push_str("<div class=share><a href=#>Share</a></div>");
    }
    big.push_str("</article></body></html>");
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.bench_function("synthetic_2mb", |b| {
        b.iter(|| newsdesk_extract::extract(std::hint::black_box(big.as_bytes()), None, None))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
