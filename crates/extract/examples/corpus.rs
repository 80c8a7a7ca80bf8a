//! Extracts every `<id>.html[.gz]` page of a directory to `OUT/<id>.txt`, for
//! scoring with `extract_eval.py`, and reports the extraction speed.
//!
//! `cargo run --release --example corpus -- [--tool newsdesk|dom_smoothie] IN_DIR OUT_DIR`
//!
//! Pages are read and decompressed before the clock starts, so the reported
//! rate is extraction only. dom_smoothie (a Readability port) is here only as
//! a benchmark peer; it is a dev-dependency.

use std::io::Read;
use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut tool = "newsdesk".to_string();
    if let Some(p) = args.iter().position(|a| a == "--tool") {
        tool = args.get(p + 1).cloned().ok_or("--tool needs a value")?;
        args.drain(p..p + 2);
    }
    let [input, output] =
        <[String; 2]>::try_from(args).map_err(|_| "usage: corpus [--tool T] IN_DIR OUT_DIR")?;
    std::fs::create_dir_all(&output)?;
    let mut pages = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&input)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
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
        pages.push((id.to_string(), bytes));
    }
    let mut results = Vec::with_capacity(pages.len());
    let mut slowest = (0.0f64, String::new());
    let cpu0 = thread_cpu_seconds();
    let start = Instant::now();
    for (id, bytes) in &pages {
        let t0 = Instant::now();
        let text = match tool.as_str() {
            "newsdesk" => newsdesk_extract::extract(bytes, None, None)
                .map(|a| a.text)
                .unwrap_or_default(),
            "dom_smoothie" => smoothie(bytes),
            other => return Err(format!("unknown tool {other}").into()),
        };
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if ms > slowest.0 {
            slowest = (ms, id.clone());
        }
        results.push((id, text));
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    for (id, text) in results {
        std::fs::write(Path::new(&output).join(format!("{id}.txt")), text)?;
    }
    println!(
        "{{\"tool\":\"{tool}\",\"pages\":{},\"seconds\":{secs:.3},\"pages_per_s\":{:.1},\"cpu_seconds\":{:.3},\"pages_per_cpu_s\":{:.1},\"slowest_ms\":{:.1},\"slowest_id\":\"{}\"}}",
        pages.len(),
        pages.len() as f64 / secs,
        cpu.unwrap_or(f64::NAN),
        cpu.map_or(f64::NAN, |c| pages.len() as f64 / c),
        slowest.0,
        slowest.1
    );
    Ok(())
}

fn smoothie(bytes: &[u8]) -> String {
    let html = String::from_utf8_lossy(bytes);
    let cfg = dom_smoothie::Config {
        text_mode: dom_smoothie::TextMode::Formatted,
        ..Default::default()
    };
    match dom_smoothie::Readability::new(html.as_ref(), None, Some(cfg)) {
        Ok(mut r) => r
            .parse()
            .map(|a| a.text_content.to_string())
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// CPU time of this thread (user + system) from /proc, so a busy machine
/// does not distort the rate; `None` where /proc is absent.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
