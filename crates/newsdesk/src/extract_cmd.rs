//! `newsdesk extract PATH...`: runs the article extractor over saved pages
//! (plain or gzip-compressed files, `-` for stdin) on all cores and prints one
//! JSON object per input per line, or the plain text with `--format text`.
//! A failing input prints an `error` line and the command exits non-zero at
//! the end; it never stops the other inputs.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use newsdesk_extract::{Article, MAX_INPUT_BYTES};
use rayon::prelude::*;
use serde::Serialize;

#[derive(clap::Args, Debug)]
pub struct ExtractArgs {
    /// Pages to read: HTML files, optionally gzip-compressed; `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The page's URL (resolves links, fills in site and date); one input only.
    #[arg(long)]
    pub url: Option<String>,
    /// The page's HTTP Content-Type header, for its charset; one input only.
    #[arg(long)]
    pub content_type: Option<String>,
    /// Output: JSON Lines with every field, or the article's plain text.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Text,
}

#[derive(Serialize)]
struct Line<'a> {
    path: &'a str,
    #[serde(flatten)]
    article: &'a Article,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    path: &'a str,
    error: String,
}

/// Inputs extracted per parallel batch: bounds memory when given thousands
/// of paths while keeping every core busy.
const BATCH: usize = 256;

pub fn run(args: ExtractArgs) -> anyhow::Result<()> {
    if (args.url.is_some() || args.content_type.is_some()) && args.paths.len() != 1 {
        bail!("--url and --content-type describe one page: give exactly one PATH with them");
    }
    let stdin_count = args.paths.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_count > 1 {
        bail!("`-` (stdin) can be given only once");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    let several = args.paths.len() > 1;
    for batch in args.paths.chunks(BATCH) {
        let results: Vec<(String, anyhow::Result<Article>)> = batch
            .par_iter()
            .map(|p| {
                let name = p.display().to_string();
                let res = read_input(p).and_then(|bytes| {
                    newsdesk_extract::extract(
                        &bytes,
                        args.url.as_deref(),
                        args.content_type.as_deref(),
                    )
                    .map_err(anyhow::Error::from)
                });
                (name, res)
            })
            .collect();
        for (path, res) in results {
            match (res, args.format) {
                (Ok(article), Format::Json) => {
                    serde_json::to_writer(
                        &mut out,
                        &Line {
                            path: &path,
                            article: &article,
                        },
                    )?;
                    out.write_all(b"\n")?;
                }
                (Ok(article), Format::Text) => {
                    if several {
                        writeln!(out, "==> {path} <==")?;
                    }
                    writeln!(out, "{}", article.text)?;
                    if several {
                        writeln!(out)?;
                    }
                }
                (Err(e), Format::Json) => {
                    failed += 1;
                    let error = format!("{e:#}");
                    serde_json::to_writer(&mut out, &ErrorLine { path: &path, error })?;
                    out.write_all(b"\n")?;
                }
                (Err(e), Format::Text) => {
                    failed += 1;
                    eprintln!("{path}: {e:#}");
                }
            }
        }
        out.flush()?;
    }
    if failed > 0 {
        bail!("{failed} of {} inputs failed", args.paths.len());
    }
    Ok(())
}

/// Reads a file or stdin, gunzipping when the bytes are gzip (whatever the
/// name says), never holding more than the extractor accepts.
pub(crate) fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    let limit = MAX_INPUT_BYTES as u64 + 1;
    let mut raw = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut raw)
            .context("reading stdin")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("opening {}", path.display()))?
            .take(limit)
            .read_to_end(&mut raw)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..])
            .take(limit)
            .read_to_end(&mut out)
            .with_context(|| format!("decompressing {}", path.display()))?;
        raw = out;
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_and_plain_inputs_read_the_same() {
        let dir = tempfile::tempdir().expect("tempdir");
        let html = b"<html><body><p>Hello there, this is a page.</p></body></html>";
        let plain = dir.path().join("a.html");
        std::fs::write(&plain, html).expect("write");
        let gz = dir.path().join("a.html.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(html).expect("gzip");
        std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
        assert_eq!(read_input(&plain).expect("plain"), html);
        assert_eq!(read_input(&gz).expect("gz"), html);
    }
}
