//! `newsdesk cluster`: JSON Lines in (files or stdin), one `{"id","cluster"}` per story out, in
//! order; `--explain` says why; no data directory is created.

use std::io::Write as _;
use std::process::{Command, Stdio};

fn story(id: &str, title: &str, text: &str) -> String {
    serde_json::json!({"id": id, "title": title, "text": text, "published": "2026-03-03T09:00:00Z"})
        .to_string()
}

#[path = "../../../cluster/tests/fixtures/stories.rs"]
#[allow(dead_code)]
mod stories;

/// A morning's unrelated news first: a desk that has counted only a handful of stories joins
/// nothing by event similarity.
fn background() -> Vec<String> {
    stories::BACKGROUND
        .iter()
        .map(|f| story(f.id, f.title, f.text))
        .collect()
}

fn lines() -> Vec<String> {
    vec![
        story(
            "a",
            "Linden council votes to shut Harbour Street bridge",
            "Linden's council voted 7-2 on Tuesday to close the Harbour Street bridge for eight \
             months to replace corroded bearings. Mayor Ada Morel said the 4.2 million euro \
             repair could not wait; councillor Piet Varga warned east bank shops would suffer. \
             A ferry will run from Kessel quay.",
        ),
        story(
            "b",
            "Rovers beat City 3-1 to reach the cup final",
            "Two goals from striker Jonas Ekberg sent Rovers into the cup final with a 3-1 win \
             over City on Saturday at the national stadium.",
        ),
        story(
            "c",
            "Harbour Street bridge to close after Linden approves repair",
            "The Harbour Street bridge will close after Linden councillors backed a 4.2 million \
             euro plan to fix its rusting bearings in a 7-2 vote on Tuesday. Mayor Ada Morel \
             defended the timing; Piet Varga said east bank traders were not consulted. A \
             ferry will sail from Kessel quay during the eight-month closure.",
        ),
    ]
}

fn run(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(args)
        .current_dir(dir)
        .env_remove("NEWSDESK_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn cluster_prints_one_label_per_line_in_order_and_touches_no_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let input = [background(), lines()].concat().join("\n") + "\n";
    let out = run(dir.path(), &["cluster", "-"], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = &got[stories::BACKGROUND.len()..];
    let ids: Vec<&str> = got.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(got[0]["cluster"], got[2]["cluster"]);
    assert_ne!(got[0]["cluster"], got[1]["cluster"]);
    assert!(!dir.path().join("newsdesk-data").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn cluster_reads_files_in_order_and_explains_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let l = lines();
    std::fs::write(
        dir.path().join("one.jsonl"),
        format!("{}\n{}\n{}\n", background().join("\n"), l[0], l[1]),
    )
    .unwrap();
    std::fs::write(dir.path().join("two.jsonl"), format!("\n{}\n", l[2])).unwrap();
    let out = run(
        dir.path(),
        &["cluster", "--explain", "one.jsonl", "two.jsonl"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let got: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), stories::BACKGROUND.len() + 3);
    let got = &got[stories::BACKGROUND.len()..];
    assert_eq!(got[0]["explain"]["decision"], "new");
    assert_eq!(got[2]["explain"]["decision"], "joined");
    assert_eq!(got[2]["explain"]["best"]["cluster"], got[0]["cluster"]);
    assert!(got[2]["explain"]["best"]["parts"]["title"].is_number());
}

#[test]
fn cluster_names_the_file_and_line_of_a_bad_story() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.jsonl"),
        format!("{}\n{{oops\n", lines()[0]),
    )
    .unwrap();
    let out = run(dir.path(), &["cluster", "bad.jsonl"], "");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.jsonl:2"), "{err}");
}
