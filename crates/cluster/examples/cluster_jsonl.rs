//! Runs the offline placement over JSON Lines on stdin (what `newsdesk cluster -` does), for
//! tuning without building the whole binary.

use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let explain = std::env::args().any(|a| a == "--explain");
    let mut settings = newsdesk_cluster::Settings::default();
    // Tuning knobs: THRESHOLD, WEIGHTS (five comma-separated), BODY_WORDS, TIME_PENALTY.
    if let Ok(t) = std::env::var("THRESHOLD") {
        settings.threshold = t.parse()?;
    }
    if let Ok(w) = std::env::var("WEIGHTS") {
        for (slot, v) in settings.weights.iter_mut().zip(w.split(',')) {
            *slot = v.parse()?;
        }
    }
    if let Ok(b) = std::env::var("RUNNER_UP") {
        settings.runner_up_weight = b.parse()?;
    }
    if let Ok(b) = std::env::var("MIN_BODY") {
        settings.min_body = b.parse()?;
    }
    if let Ok(b) = std::env::var("MIN_DOCS") {
        settings.min_documents = b.parse()?;
    }
    if let Ok(b) = std::env::var("MIN_ENTITIES") {
        settings.min_entities = b.parse()?;
    }
    if let Ok(b) = std::env::var("CANDIDATES") {
        settings.candidates = b.parse()?;
    }
    if let Ok(b) = std::env::var("TITLE_IN_BODY") {
        settings.features.title_in_body = b.parse()?;
    }
    if let Ok(b) = std::env::var("TIME_WEIGHT") {
        settings.time_weight = b.parse()?;
    }
    if let Ok(b) = std::env::var("BODY_WORDS") {
        settings.features.body_words = b.parse()?;
    }
    if let Ok(b) = std::env::var("BODY_TERMS") {
        settings.features.body_terms = b.parse()?;
    }
    let mut run = newsdesk_cluster::offline::OfflineRun::new(settings, explain);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", run.line(&line)?)?;
    }
    Ok(())
}
