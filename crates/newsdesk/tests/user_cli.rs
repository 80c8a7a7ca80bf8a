//! `newsdesk user ...` as a real process on a fresh data directory.

#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(data: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("NEWSDESK_LOG", "error")
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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn user_add_reads_the_password_from_stdin_and_refuses_short_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(
        &data,
        &["user", "add", "--role", "admin", "a@example.org"],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least 10 characters"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &data,
        &[
            "user",
            "add",
            "--role",
            "editor",
            "--name",
            "Ada",
            "a@example.org",
        ],
        "a long enough password\nignored second line\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created editor user a@example.org"));

    let out = run(
        &data,
        &["user", "add", "A@example.org"],
        "another long password\n",
    );
    assert!(!out.status.success(), "same address in another case");
    assert!(text(&out.stderr).contains("exists already"));

    let out = run(
        &data,
        &["user", "add", "--role", "chief", "b@example.org"],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown role"));
}

#[test]
fn user_token_prints_a_token_once_and_revoke_token_revokes_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(
        &data,
        &["user", "add", "w@example.org"],
        "a long enough password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(
        &data,
        &["user", "token", "w@example.org", "--label", "importer"],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    assert!(token.starts_with("ndt_") && token.len() > 40, "{token}");

    let list = text(&run(&data, &["user", "list"], "").stdout);
    assert!(
        list.contains("w@example.org") && list.contains("importer") && list.contains("never used")
    );
    assert!(!list.contains(&token), "the token is never shown again");

    let out = run(&data, &["user", "revoke-token", "1"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&run(&data, &["user", "list"], "").stdout);
    assert!(list.contains("revoked"));
    let out = run(&data, &["user", "token", "nobody@example.org"], "");
    assert!(!out.status.success());
}

#[test]
fn user_password_sets_a_new_password_and_signs_out_every_session() {
    use newsdesk_core::EmailAddress;
    use newsdesk_core::accounts;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(
        &data,
        &["user", "add", "--role", "editor", "a@example.org"],
        "the first long password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = format!("sqlite://{}", data.join("newsdesk.sqlite").display());
    let email = EmailAddress::parse("a@example.org").unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let now = chrono::Utc::now();
    rt.block_on(async {
        let store = newsdesk_store::open(&db).await.unwrap();
        let creds = store.credentials_by_email(&email).await.unwrap().unwrap();
        store
            .create_session(
                creds.user.id,
                "a-signed-in-browser",
                now,
                now + chrono::Duration::hours(1),
            )
            .await
            .unwrap();
    });
    let out = run(
        &data,
        &["user", "password", "a@example.org"],
        "the second long password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("1 session(s) signed out"),
        "{}",
        text(&out.stdout)
    );
    rt.block_on(async {
        let store = newsdesk_store::open(&db).await.unwrap();
        assert!(
            store
                .session_user("a-signed-in-browser", now)
                .await
                .unwrap()
                .is_none()
        );
        let creds = store.credentials_by_email(&email).await.unwrap().unwrap();
        assert!(accounts::verify_password(
            &creds.password_hash,
            "the second long password"
        ));
        assert!(!accounts::verify_password(
            &creds.password_hash,
            "the first long password"
        ));
    });
}

#[test]
fn user_list_shows_each_users_author_profile() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(
        &data,
        &["user", "add", "--name", "Writer", "w@example.org"],
        "a long enough password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&run(&data, &["user", "list"], "").stdout);
    let line = list.lines().find(|l| l.contains("w@example.org")).unwrap();
    assert!(line.ends_with("no author profile"), "{line}");
}

#[test]
fn cli_output_into_a_closed_pipe_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(
        &data,
        &["user", "add", "u@example.org"],
        "a long enough password\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // `newsdesk user list | head -0`: the reader is gone before the first line is written
    // (opening the store takes far longer than closing a pipe).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("--data-dir")
        .arg(&data)
        .args(["user", "list"])
        .env("NEWSDESK_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}
