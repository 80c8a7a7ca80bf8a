//! Writes the whole extraction (the `Article` as JSON, blocks and all) of every
//! `<id>.html[.gz]` page of a directory to `OUT/<id>.json`, so that a refactor
//! of the extractor can be checked to change no output: dump before and after,
//! then `cmp` the two directories.
//!
//! `cargo run -p newsdesk-extract --example dump -- [--urls FILE] IN_DIR OUT_DIR`
//!
//! `--urls FILE` gives each page its address (lines of `<id>TAB<url>`), which
//! reaches the code paths that read the URL (dates in the path, link resolution).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut urls = HashMap::new();
    if let Some(p) = args.iter().position(|a| a == "--urls") {
        let file = args.get(p + 1).cloned().ok_or("--urls needs a file")?;
        args.drain(p..p + 2);
        for line in std::fs::read_to_string(file)?.lines() {
            if let Some((id, url)) = line.split_once('\t')
                && !url.is_empty()
            {
                urls.insert(id.to_string(), url.to_string());
            }
        }
    }
    let [input, output] =
        <[String; 2]>::try_from(args).map_err(|_| "usage: dump [--urls FILE] IN_DIR OUT_DIR")?;
    std::fs::create_dir_all(&output)?;
    let mut entries: Vec<_> = std::fs::read_dir(&input)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    let mut pages = 0;
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(id) = name
            .strip_suffix(".html.gz")
            .or_else(|| name.strip_suffix(".html"))
        else {
            continue;
        };
        let raw = std::fs::read(e.path())?;
        let bytes = if name.ends_with(".gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out)?;
            out
        } else {
            raw
        };
        let json = match newsdesk_extract::extract(&bytes, urls.get(id).map(String::as_str), None) {
            Ok(article) => serde_json::to_string_pretty(&article)?,
            Err(e) => format!("error: {e}"),
        };
        std::fs::write(Path::new(&output).join(format!("{id}.json")), json)?;
        pages += 1;
    }
    println!("{pages} pages dumped to {output}");
    Ok(())
}
