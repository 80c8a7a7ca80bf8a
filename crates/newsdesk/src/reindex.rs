//! `newsdesk reindex`: rebuilds the search index from the store, with a progress bar, and says
//! how fast it went and how big the index is.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use newsdesk_search::feed;

use crate::config::Config;

#[derive(clap::Args, Debug)]
pub struct ReindexArgs {
    #[arg(long, env = "NEWSDESK_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    let dir = config.search_dir();
    let opts = newsdesk_search::OpenOptions {
        writer_threads: 2,
        writer_memory_bytes: 256 << 20,
        ..Default::default()
    };
    let (search, _) = newsdesk_search::TantivySearch::open(&dir, &opts)
        .map_err(|e| anyhow::anyhow!("cannot open the search index in {}: {e}", dir.display()))?;
    let started = Instant::now();
    let mut bar = Bar::new();
    let report = feed::rebuild(
        store.as_ref(),
        &search,
        &config.site.language,
        None,
        &mut |done, total| bar.show(done, total),
    )
    .await?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    search.wait_merging()?;
    let size = dir_size(&dir);
    println!(
        "indexed {} articles in {:.1}s ({:.0} articles/s; {:.1}s of it reading the store), index {:.1} MB in {}",
        report.articles,
        secs,
        report.articles as f64 / secs.max(1e-9),
        report.read_secs,
        size as f64 / 1e6,
        dir.display()
    );
    Ok(())
}

fn dir_size(p: &std::path::Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// A one-line progress bar on a terminal; a line per tenth otherwise (logs, CI).
struct Bar {
    tty: bool,
    last_tenth: u64,
}

impl Bar {
    fn new() -> Bar {
        Bar {
            tty: std::io::stderr().is_terminal(),
            last_tenth: u64::MAX,
        }
    }

    fn show(&mut self, done: u64, total: u64) {
        let total = total.max(done).max(1);
        let mut err = std::io::stderr();
        if self.tty {
            const WIDTH: u64 = 40;
            let filled = (done * WIDTH / total) as usize;
            let _ = write!(
                err,
                "\r[{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(WIDTH as usize - filled)
            );
            let _ = err.flush();
        } else {
            let tenth = done * 10 / total;
            if tenth != self.last_tenth {
                self.last_tenth = tenth;
                let _ = writeln!(err, "reindex: {done}/{total}");
            }
        }
    }

    fn finish(&mut self) {
        if self.tty {
            let _ = writeln!(std::io::stderr());
        }
    }
}
