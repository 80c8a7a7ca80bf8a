//! `newsdesk quotes`: the real binary over fixtures of our own writing
//! (plain text, HTML, stdin), its JSON Lines contract snapshotted, offsets
//! that point into the file's own text, and no data directory touched.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_newsdesk");

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quotes")
}

/// Runs `newsdesk quotes ARGS` in the fixtures folder (so paths print
/// relative) with an empty data directory that must stay absent.
fn run(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("quotes")
        .args(args)
        .current_dir(fixtures())
        .env_remove("NEWSDESK_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    assert!(
        !data_dir.exists(),
        "quotes must not create a data directory"
    );
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

fn pretty(lines: &str) -> String {
    lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::to_string_pretty(&v).unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn quotes_of_plain_text_are_one_json_line_in_the_contract_shape() {
    let (ok, out) = run(&["harbour.txt"], None);
    assert!(ok);
    assert_eq!(out.lines().count(), 1);
    insta::assert_snapshot!(pretty(&out));
}

#[test]
fn quote_offsets_are_characters_of_the_file_itself() {
    let (_, out) = run(&["harbour.txt"], None);
    let text = std::fs::read_to_string(fixtures().join("harbour.txt")).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let quotes = v["quotes"].as_array().unwrap();
    assert!(!quotes.is_empty());
    for q in quotes {
        let (s, e) = (
            q["start"].as_u64().unwrap() as usize,
            q["end"].as_u64().unwrap() as usize,
        );
        let covered: String = chars[s..e].iter().collect();
        let first_word = q["text"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        assert!(covered.starts_with(first_word), "{covered:?} vs {q}");
    }
}

#[test]
fn html_goes_through_the_extractor_and_stdin_reads_dash() {
    let (ok, out) = run(&["bakery.html", "plain.txt"], None);
    assert!(ok);
    insta::assert_snapshot!(pretty(&out));
    let (ok, out) = run(
        &["-"],
        Some("\u{201c}Mind the gap,\u{201d} said Ada Brook.\n"),
    );
    assert!(ok);
    insta::assert_snapshot!(out.trim());
}

#[test]
fn a_missing_file_prints_an_error_line_and_fails_at_the_end() {
    let (ok, out) = run(&["missing.txt", "plain.txt"], None);
    assert!(!ok);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], "missing.txt");
    assert!(lines[0]["error"].as_str().unwrap().contains("missing.txt"));
    assert_eq!(lines[1]["quotes"], serde_json::json!([]));
}
