//! `newsdesk cluster FILE...`: places stories given as JSON Lines
//! (`{"id","title","text","published"?,"source"?,"language"?}`, `-` for stdin) into story
//! clusters in the order given, with the ingest pipeline's clustering code and settings, and
//! prints one `{"id","cluster"}` per input line (`--explain` adds why). Touches no data directory.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use newsdesk_cluster::Settings;
use newsdesk_cluster::offline::OfflineRun;

#[derive(clap::Args, Debug)]
pub struct ClusterArgs {
    /// JSON Lines files of stories, read in order; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Add, per story, the decision and the closest candidate cluster's similarity parts.
    #[arg(long)]
    pub explain: bool,
    /// A story joins only clusters with a member within this many hours of it (default: the
    /// configuration's `ingest.cluster_window_hours`, as ingest uses).
    #[arg(long, value_name = "HOURS")]
    pub window_hours: Option<i64>,
}

/// `settings`: the configuration's clustering settings, the ones the ingest pipeline uses.
pub fn run(args: ClusterArgs, settings: Settings) -> anyhow::Result<()> {
    if args.files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    let settings = match args.window_hours {
        Some(h) if h <= 0 => bail!("--window-hours must be positive"),
        Some(h) => Settings {
            window_hours: h,
            ..settings
        },
        None => settings,
    };
    let mut placer = OfflineRun::new(settings, args.explain);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in &args.files {
        let name = path.display().to_string();
        let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
            Box::new(BufReader::new(std::io::stdin().lock()))
        } else {
            Box::new(BufReader::new(
                std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?,
            ))
        };
        for (n, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {name}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let placed = placer
                .line(&line)
                .with_context(|| format!("{name}:{}", n + 1))?;
            writeln!(out, "{placed}")?;
        }
    }
    out.flush()?;
    Ok(())
}
