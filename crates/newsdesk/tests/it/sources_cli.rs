//! `newsdesk sources add` refuses, at once and with the reason, what would only fail at every
//! later poll: a special-purpose address, and a home page whose feed is already followed.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};

fn reply(mut stream: TcpStream, base: &str) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).map(|n| n == 0).unwrap_or(true) || h == "\r\n" {
            break;
        }
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let (ctype, body) = match path {
        "/index.html" => (
            "text/html",
            format!(
                r#"<!doctype html><html><head><title>Wire</title><link rel="alternate" type="application/rss+xml" href="{base}/feed.xml"></head><body>Our wire.</body></html>"#
            ),
        ),
        _ => (
            "application/rss+xml",
            r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>http://wire.test/</link><description>d</description></channel></rss>"#.to_owned(),
        ),
    };
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn newsdesk(data: &std::path::Path, allow_private: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    c.arg("--data-dir")
        .arg(data)
        .env("NEWSDESK_FETCH_ALLOW_PRIVATE", allow_private.to_string())
        .env("NEWSDESK_LOG", "warn")
        .stdin(Stdio::null());
    c
}

#[test]
fn sources_add_refuses_a_home_page_whose_feed_is_followed_and_special_purpose_addresses() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let b = b.clone();
            std::thread::spawn(move || reply(s, &b));
        }
    });

    let add = |url: &str, allow: bool| {
        newsdesk(&data, allow)
            .args(["sources", "add", url])
            .output()
            .unwrap()
    };
    let ok = add(&format!("{base}/feed.xml"), true);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let dup = add(&format!("{base}/index.html"), true);
    let err = String::from_utf8_lossy(&dup.stderr);
    assert!(!dup.status.success(), "the home page was added");
    assert!(
        err.contains("already followed as source 1") && err.contains(&format!("{base}/feed.xml")),
        "{err}"
    );

    for bad in [
        "http://[::127.0.0.1]:8765/index.html",
        "http://192.0.0.9/feed",
        &format!("{base}/feed.xml"),
    ] {
        let out = add(bad, false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad} was added");
        assert!(err.contains("not a public address"), "{bad}: {err}");
    }
    let list = newsdesk(&data, true)
        .args(["sources", "list", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1));
}
