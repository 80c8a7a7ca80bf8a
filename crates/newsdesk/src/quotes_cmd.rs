//! `newsdesk quotes PATH...`: who said what in saved articles. Plain text
//! (`.txt`, paragraphs separated by blank lines) goes straight to the quote
//! extractor; HTML goes through the article extractor first. Prints one JSON
//! object per input per line, `{"path", "quotes": [...]}`, with `start`/`end`
//! as character offsets into the text the quotes were found in (for `.txt`,
//! the file's own text; for HTML, the extracted article text). Offline: it
//! touches no data directory. A failing input prints an `error` line and the
//! command exits non-zero at the end; it never stops the other inputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use newsdesk_quotes::Quote;
use rayon::prelude::*;
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct QuotesArgs {
    /// Articles to read: `.txt` plain text, HTML pages (optionally gzip-compressed); `-` reads
    /// stdin (HTML when it starts with `<`, else plain text).
    #[arg(value_name = "PATH", required_unless_present = "reindex")]
    pub paths: Vec<PathBuf>,
    /// Re-extract the quotes of every stored article (after the rules improved), keeping
    /// editors' fixes and drops; reads and writes the configured database.
    #[arg(long, conflicts_with = "paths")]
    pub reindex: bool,
    #[arg(
        long,
        env = "NEWSDESK_DATABASE_URL",
        value_name = "URL",
        requires = "reindex"
    )]
    pub database_url: Option<String>,
}

/// `newsdesk quotes --reindex`: every stored article, in id order, a batch at a time.
pub async fn reindex(config: crate::config::Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let started = std::time::Instant::now();
    let (mut after, mut articles, mut quotes) = (0, 0u64, 0usize);
    loop {
        let ids = store.article_ids_after(after, 500).await?;
        let Some(&last) = ids.last() else { break };
        for id in ids {
            if let Some(a) = store.article(id).await? {
                quotes += newsdesk_core::quotes::refresh(store.as_ref(), &a).await?;
                articles += 1;
            }
        }
        after = last;
    }
    println!(
        "re-extracted {quotes} quotes from {articles} articles in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[derive(Serialize)]
struct Line<'a> {
    path: &'a str,
    quotes: &'a [Quote],
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    path: &'a str,
    error: String,
}

/// Inputs per parallel batch: bounds memory with thousands of paths.
const BATCH: usize = 256;

pub fn run(args: QuotesArgs) -> anyhow::Result<()> {
    if args.paths.is_empty() {
        bail!("give at least one PATH (`-` for stdin)");
    }
    if args.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    for batch in args.paths.chunks(BATCH) {
        let results: Vec<(String, anyhow::Result<Vec<Quote>>)> = batch
            .par_iter()
            .map(|p| (p.display().to_string(), quotes_of(p)))
            .collect();
        for (path, res) in results {
            match res {
                Ok(quotes) => serde_json::to_writer(
                    &mut out,
                    &Line {
                        path: &path,
                        quotes: &quotes,
                    },
                )?,
                Err(e) => {
                    failed += 1;
                    let error = format!("{e:#}");
                    serde_json::to_writer(&mut out, &ErrorLine { path: &path, error })?;
                }
            }
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    if failed > 0 {
        bail!("{failed} of {} inputs failed", args.paths.len());
    }
    Ok(())
}

fn quotes_of(path: &Path) -> anyhow::Result<Vec<Quote>> {
    let bytes = crate::extract_cmd::read_input(path)?;
    let name = path.to_string_lossy().to_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let html = if name.ends_with(".txt") {
        false
    } else if name.ends_with(".html") || name.ends_with(".htm") || name.ends_with(".xhtml") {
        true
    } else {
        looks_like_html(&bytes)
    };
    if html {
        let article = newsdesk_extract::extract(&bytes, None, None)
            .with_context(|| format!("extracting the article from {}", path.display()))?;
        Ok(newsdesk_quotes::extract(&article.text))
    } else {
        // Offsets count characters of the file's own text; invalid UTF-8
        // sequences count as one replacement character each.
        let text = String::from_utf8_lossy(&bytes);
        Ok(newsdesk_quotes::extract(&text))
    }
}

/// Plain text rarely starts with `<`; HTML (after a byte-order mark and
/// blank space) nearly always does.
fn looks_like_html(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_some_and(|&c| c == b'<')
}
