//! A fast SMTP sink for `bench/newsletter`: accepts every message, keeps nothing but counts.
//!
//!     cargo run --release -p newsdesk-mail --example smtp_sink -- PORT COUNT_FILE
//!
//! Writes "messages personalised" (messages received, and how many carried a personal unsubscribe
//! link) to COUNT_FILE every 200 ms. Just enough SMTP for lettre: EHLO/HELO, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    messages: AtomicU64,
    personalised: AtomicU64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(2525);
    let count_file = args.next().unwrap_or_else(|| "sink-count.txt".into());
    let counts = Arc::new(Counts::default());
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let c = counts.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let line = format!(
                "{} {}\n",
                c.messages.load(Ordering::Relaxed),
                c.personalised.load(Ordering::Relaxed)
            );
            let _ = tokio::fs::write(&count_file, line).await;
        }
    });
    loop {
        let (sock, _) = listener.accept().await?;
        let c = counts.clone();
        tokio::spawn(async move {
            let _ = session(sock, &c).await;
        });
    }
}

async fn session(sock: TcpStream, counts: &Counts) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let verb: String = line
            .iter()
            .take(4)
            .map(|b| b.to_ascii_uppercase() as char)
            .collect();
        match verb.as_str() {
            "EHLO" => w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?,
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "DATA" => {
                w.write_all(b"354 go on\r\n").await?;
                let mut personal = false;
                loop {
                    line.clear();
                    if r.read_until(b'\n', &mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    if !personal && line.windows(18).any(|w| w == b"unsubscribe?token=") {
                        personal = true;
                    }
                }
                counts.messages.fetch_add(1, Ordering::Relaxed);
                if personal {
                    counts.personalised.fetch_add(1, Ordering::Relaxed);
                }
                w.write_all(b"250 accepted\r\n").await?;
            }
            _ => w.write_all(b"250 ok\r\n").await?,
        }
    }
}
