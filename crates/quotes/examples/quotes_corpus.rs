//! Runs the extractor over a folder of `.txt` articles for `bench/quotes`:
//! writes one `{"id", "quotes"}` line per article to OUT and prints the
//! speed (extraction only; files are read first) as JSON on stdout.
//!
//! usage: corpus DIR OUT.jsonl [ROUNDS]   (DIR may also be one .txt file)

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: corpus DIR OUT.jsonl [ROUNDS]".into());
    };
    let rounds: usize = args.get(3).map(|r| r.parse()).transpose()?.unwrap_or(5);
    let mut docs = Vec::new();
    let dir = std::path::Path::new(dir);
    let mut names: Vec<_> = if dir.is_file() {
        vec![dir.to_path_buf()]
    } else {
        std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect()
    };
    names.sort();
    for p in names {
        let id = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        docs.push((id, std::fs::read_to_string(&p)?));
    }
    let mut results = Vec::new();
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    for round in 0..rounds.max(1) {
        for (id, text) in &docs {
            let q = newsdesk_quotes::extract(text);
            if round == 0 {
                results.push((id.clone(), q));
            } else {
                std::hint::black_box(q);
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for (id, quotes) in &results {
        use std::io::Write;
        serde_json::to_writer(&mut w, &serde_json::json!({"id": id, "quotes": quotes}))?;
        w.write_all(b"\n")?;
    }
    let n = docs.len() * rounds.max(1);
    println!(
        "{}",
        serde_json::json!({"articles": docs.len(), "rounds": rounds, "seconds": secs,
            "articles_per_s": (n as f64 / secs).round(),
            "cpu_seconds": cpu,
            "articles_per_cpu_s": cpu.map(|c| (n as f64 / c).round())})
    );
    Ok(())
}

/// This thread's time on the CPU (Linux `/proc/self/schedstat`, in ns):
/// on a machine shared with other jobs, wall time on one core also counts
/// the time others held it.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
