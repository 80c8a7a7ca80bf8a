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
    /// A story joins only clusters with a member within this many hours of it.
    #[arg(long, value_name = "HOURS", default_value_t = Settings::default().window_hours)]
    pub window_hours: i64,
}

pub fn run(args: ClusterArgs) -> anyhow::Result<()> {
    if args.files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    if args.window_hours <= 0 {
        bail!("--window-hours must be positive");
    }
    let settings = Settings {
        window_hours: args.window_hours,
        ..Settings::default()
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
