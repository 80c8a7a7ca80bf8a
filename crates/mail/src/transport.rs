//! Where e-mails go: SMTP servers (pooled, rate-limited, with failover), or an outbox directory
//! of `.eml` files when none is configured.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{SmtpServerConfig, redact_url};

/// Told when a message has left for its server and when such a message came back refused;
/// see [`Transport::send_watched`].
pub type HandOver = Arc<dyn Fn(Handed) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handed {
    /// The message is out of our hands: the server has (or will have) all of it.
    Out,
    /// A message reported `Out` was not accepted after all (refused after its dot, or the
    /// connection broke before the reply); the send returns an error.
    Back,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: a 4xx reply, a refused or dropped connection, a timeout, or
    /// every server unreachable.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The server refused this message or recipient for good (a 5xx reply).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("invalid SMTP URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("cannot create the outbox {}: {cause}", path.display())]
    Outbox {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Sends raw, already formatted messages.
pub enum Transport {
    Smtp(SmtpServers),
    Outbox(Outbox),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(s) => f
                .debug_tuple("Smtp")
                .field(&s.servers.iter().map(|s| &s.name).collect::<Vec<_>>())
                .finish(),
            Transport::Outbox(o) => f.debug_tuple("Outbox").field(&o.dir).finish(),
        }
    }
}

impl Transport {
    /// SMTP through `servers` when there are any, else the outbox at `outbox_dir`.
    pub fn new(
        servers: &[SmtpServerConfig],
        connections: u32,
        hello_domain: &str,
        outbox_dir: &Path,
    ) -> Result<Transport, TransportError> {
        if servers.is_empty() {
            return Ok(Transport::Outbox(Outbox::new(outbox_dir)?));
        }
        let servers = servers
            .iter()
            .map(|s| Server::new(s, connections, hello_domain))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Transport::Smtp(SmtpServers {
            servers,
            next: AtomicUsize::new(0),
        }))
    }

    /// Hands the message to a server (or the outbox). `id_hint` names the outbox file.
    pub async fn send(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        id_hint: &str,
    ) -> Result<(), SendError> {
        self.send_watched(envelope, raw, id_hint, None).await
    }

    /// Like [`Transport::send`], telling `handed_over` the moment the message is out of our
    /// hands ([`Handed::Out`]): on a plain relay, right after its final dot is written to the
    /// socket (before the server's reply); on TLS servers once the server accepted it; in the
    /// outbox once the file is in place. A message that was out and then refused (the next
    /// server of a failover may still take it) is reported [`Handed::Back`].
    ///
    /// With a `handed_over` watcher, `id_hint` must name the message uniquely (its Message-ID):
    /// the outbox then names the file after it and, if that file already exists (a sender was
    /// killed between the rename and its journal line), takes it as handed over instead of
    /// writing a second copy. The outbox's hand-over is thereby exactly once.
    pub async fn send_watched(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        id_hint: &str,
        handed_over: Option<HandOver>,
    ) -> Result<(), SendError> {
        match self {
            Transport::Smtp(s) => s.send(envelope, raw, handed_over).await,
            Transport::Outbox(o) => {
                match &handed_over {
                    // A watched send is an issue's message: its file is named after it, once.
                    Some(_) => o.write_once(raw, id_hint).await?,
                    None => o.write(raw, id_hint).await?,
                }
                if let Some(h) = handed_over {
                    h(Handed::Out);
                }
                Ok(())
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(s) => format!(
                "SMTP {}",
                s.servers
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Transport::Outbox(o) => format!("outbox {}", o.dir.display()),
        }
    }
}

/// Several SMTP servers: each message starts at the next server in turn and moves on to the
/// others when one cannot take it for a temporary reason.
pub struct SmtpServers {
    servers: Vec<Server>,
    next: AtomicUsize,
}

struct Server {
    name: String,
    link: Link,
    bucket: Option<TokenBucket>,
}

enum Link {
    /// lettre's pooled transport: TLS, STARTTLS, authentication.
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
    /// Plain SMTP to a relay (`smtp://host:port`, no credentials, no TLS): our own pool of
    /// lettre connections over sockets with TCP_NODELAY. lettre writes a message and its final
    /// dot separately; without NODELAY, Nagle holds the dot until the server's delayed ACK,
    /// about 40 ms per message.
    Plain(PlainPool),
}

struct PlainPool {
    addr: String,
    hello: ClientId,
    idle: std::sync::Mutex<Vec<PlainConn>>,
    slots: tokio::sync::Semaphore,
}

/// A pooled connection and the watch on its socket's writes.
struct PlainConn {
    conn: AsyncSmtpConnection,
    watch: Arc<DotWatch>,
}

impl PlainPool {
    async fn send(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        handed_over: Option<HandOver>,
    ) -> Result<(), lettre::transport::smtp::Error> {
        let _slot = self.slots.acquire().await.ok();
        let idle = match self.idle.lock() {
            Ok(mut v) => v.pop(),
            Err(p) => p.into_inner().pop(),
        };
        let mut pc = match idle {
            Some(c) if !c.conn.has_broken() => c,
            _ => self.connect().await?,
        };
        pc.watch.arm(handed_over.clone());
        let result = pc.conn.send(envelope, raw).await;
        if pc.watch.disarm()
            && result.is_err()
            && let Some(h) = handed_over
        {
            h(Handed::Back);
        }
        if pc.conn.has_broken() {
            pc.conn.abort().await;
        } else {
            match self.idle.lock() {
                Ok(mut v) => v.push(pc),
                Err(p) => p.into_inner().push(pc),
            }
        }
        result.map(|_| ())
    }

    async fn connect(&self) -> Result<PlainConn, lettre::transport::smtp::Error> {
        let watch = Arc::new(DotWatch::default());
        let tcp = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::net::TcpStream::connect(&self.addr),
        )
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timeout"));
        // Connection trouble is reported as lettre reports it: a transient, non-permanent error.
        let tcp = match tcp {
            Ok(Ok(t)) => t,
            Ok(Err(e)) | Err(e) => {
                let conn = AsyncSmtpConnection::connect_with_transport(
                    Box::new(FailedStream(e.to_string())),
                    &self.hello,
                )
                .await?;
                return Ok(PlainConn { conn, watch });
            }
        };
        let _ = tcp.set_nodelay(true);
        let stream = Watched {
            inner: tcp,
            watch: watch.clone(),
        };
        let conn =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        Ok(PlainConn { conn, watch })
    }
}

/// The end of DATA as lettre writes it: one write of its own after the message.
const END_OF_DATA: &[u8] = b"\r\n.\r\n";

/// Watches a connection's writes for the end of the message being sent.
#[derive(Default)]
struct DotWatch {
    /// The callback of the message in progress and how much of its end-of-data was written.
    state: std::sync::Mutex<(Option<HandOver>, usize)>,
}

impl DotWatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, (Option<HandOver>, usize)> {
        match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        }
    }

    fn arm(&self, handed_over: Option<HandOver>) {
        *self.lock() = (handed_over, 0);
    }

    /// Stops watching; whether the message's end was written.
    fn disarm(&self) -> bool {
        let mut s = self.lock();
        let out = s.1 >= END_OF_DATA.len();
        *s = (None, 0);
        out
    }

    /// `buf` was just written, `n` bytes of it accepted by the kernel.
    fn wrote(&self, buf: &[u8], n: usize) {
        let mut s = self.lock();
        let done = s.1;
        if s.0.is_none() || done >= END_OF_DATA.len() || buf != &END_OF_DATA[done..] {
            return;
        }
        s.1 += n;
        if s.1 >= END_OF_DATA.len()
            && let Some(h) = &s.0
        {
            // No await between the socket write and this call: only a kill landing in these
            // few instructions can leave the journal behind the server.
            h(Handed::Out);
        }
    }
}

/// A TCP stream that tells its [`DotWatch`] what was written.
#[derive(Debug)]
struct Watched {
    inner: tokio::net::TcpStream,
    watch: Arc<DotWatch>,
}

impl std::fmt::Debug for DotWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DotWatch")
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = &polled {
            self.watch.wrote(buf, *n);
        }
        polled
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for Watched {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.inner.peer_addr()
    }
}

/// A stream that fails at once, so a refused connection surfaces as a lettre error.
#[derive(Debug)]
struct FailedStream(String);

impl tokio::io::AsyncRead for FailedStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            self.0.clone(),
        )))
    }
}

impl tokio::io::AsyncWrite for FailedStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        _: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            self.0.clone(),
        )))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl AsyncTokioStream for FailedStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            self.0.clone(),
        ))
    }
}

/// `host:port` for a plain relay URL (no credentials, no TLS), else `None`.
fn plain_relay(raw: &str) -> Option<String> {
    let u = url::Url::parse(raw).ok()?;
    let plain = u.scheme() == "smtp"
        && u.username().is_empty()
        && u.password().is_none()
        && u.query().is_none();
    plain.then(|| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(25))))?
}

impl Server {
    fn new(
        cfg: &SmtpServerConfig,
        connections: u32,
        hello_domain: &str,
    ) -> Result<Server, TransportError> {
        let name = redact_url(&cfg.url);
        let bucket = (cfg.rate_per_second > 0.0).then(|| TokenBucket::new(cfg.rate_per_second));
        if let Some(addr) = plain_relay(&cfg.url) {
            return Ok(Server {
                name,
                link: Link::Plain(PlainPool {
                    addr,
                    hello: ClientId::Domain(hello_domain.to_owned()),
                    idle: std::sync::Mutex::new(Vec::new()),
                    slots: tokio::sync::Semaphore::new(connections.max(1) as usize),
                }),
                bucket,
            });
        }
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&cfg.url).map_err(|e| {
            TransportError::BadUrl {
                url: name.clone(),
                reason: e.to_string(),
            }
        })?;
        let transport = builder
            .hello_name(ClientId::Domain(hello_domain.to_owned()))
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(
                PoolConfig::new()
                    .max_size(connections.max(1))
                    .idle_timeout(Duration::from_secs(60)),
            )
            .build();
        Ok(Server {
            name,
            link: Link::Lettre(transport),
            bucket,
        })
    }
}

impl SmtpServers {
    async fn send(
        &self,
        envelope: &Envelope,
        raw: &[u8],
        handed_over: Option<HandOver>,
    ) -> Result<(), SendError> {
        let n = self.servers.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut last = String::new();
        for k in 0..n {
            let server = &self.servers[(first + k) % n];
            if let Some(bucket) = &server.bucket {
                bucket.acquire().await;
            }
            let sent = match &server.link {
                // lettre's own streams cannot be watched: the hand-over is its 250.
                Link::Lettre(t) => t.send_raw(envelope, raw).await.map(|_| {
                    if let Some(h) = &handed_over {
                        h(Handed::Out);
                    }
                }),
                Link::Plain(p) => p.send(envelope, raw, handed_over.clone()).await,
            };
            match sent {
                Ok(_) => return Ok(()),
                Err(e) if e.is_permanent() => {
                    return Err(SendError::Permanent(format!("{}: {e}", server.name)));
                }
                Err(e) => {
                    // 4xx, connection and TLS trouble: another server may take it now.
                    tracing::debug!(server = %server.name, error = %e, "SMTP attempt failed");
                    last = format!("{}: {e}", server.name);
                }
            }
        }
        Err(SendError::Temporary(last))
    }
}

/// A token bucket: `rate` tokens per second, holding at most one second's worth.
struct TokenBucket {
    rate: f64,
    state: std::sync::Mutex<(f64, Instant)>,
}

impl TokenBucket {
    fn new(rate: f64) -> Self {
        TokenBucket {
            rate,
            state: std::sync::Mutex::new((rate.max(1.0), Instant::now())),
        }
    }

    async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = match self.state.lock() {
                    Ok(s) => s,
                    Err(poisoned) => poisoned.into_inner(),
                };
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * self.rate;
                s.0 = (s.0 + refill).min(self.rate.max(1.0));
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.0) / self.rate)
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// `.eml` files in a directory, one per message, written atomically (temp file, then rename).
pub struct Outbox {
    dir: PathBuf,
    seq: AtomicU64,
}

impl Outbox {
    pub fn new(dir: &Path) -> Result<Outbox, TransportError> {
        std::fs::create_dir_all(dir).map_err(|cause| TransportError::Outbox {
            path: dir.to_owned(),
            cause,
        })?;
        Ok(Outbox {
            dir: dir.to_owned(),
            seq: AtomicU64::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    async fn write(&self, raw: &[u8], id_hint: &str) -> Result<(), SendError> {
        let safe: String = id_hint
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(100)
            .collect();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f");
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let name = format!("{stamp}-{seq}-{safe}.eml");
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let dest = self.dir.join(&name);
        let io = |e: std::io::Error| SendError::Temporary(format!("outbox: {e}"));
        tokio::fs::write(&tmp, raw).await.map_err(io)?;
        tokio::fs::rename(&tmp, &dest).await.map_err(io)?;
        Ok(())
    }

    /// Writes the message as `<id>.eml` unless that file is already there: the file's
    /// existence is the hand-over, so a resumed sender never makes a second copy.
    async fn write_once(&self, raw: &[u8], id: &str) -> Result<(), SendError> {
        let safe = Self::safe_name(id);
        if safe.is_empty() {
            return Err(SendError::Permanent("outbox: the message has no id".into()));
        }
        let dest = self.dir.join(format!("{safe}.eml"));
        let io = |e: std::io::Error| SendError::Temporary(format!("outbox: {e}"));
        if tokio::fs::try_exists(&dest).await.map_err(io)? {
            tracing::info!(file = %dest.display(), "already in the outbox: not written again");
            return Ok(());
        }
        let tmp = self.dir.join(format!(".{safe}.eml.tmp"));
        tokio::fs::write(&tmp, raw).await.map_err(io)?;
        tokio::fs::rename(&tmp, &dest).await.map_err(io)?;
        Ok(())
    }

    fn safe_name(id: &str) -> String {
        id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
            .take(200)
            .collect()
    }
}

/// Shared handle.
pub type SharedTransport = Arc<Transport>;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn token_bucket_paces_to_its_rate() {
        let b = TokenBucket::new(50.0);
        let start = Instant::now();
        for _ in 0..100 {
            b.acquire().await;
        }
        // 50 come from the full bucket, the next 50 at 50/s: about a second.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(900), "{took:?}");
    }

    #[test]
    fn the_hand_over_fires_once_when_the_whole_end_of_data_is_written() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let h: HandOver = Arc::new(move |x| log.lock().expect("lock").push(x));
        let w = DotWatch::default();
        w.wrote(END_OF_DATA, 5); // not armed: nothing
        w.arm(Some(h));
        w.wrote(b"Subject: a\r\n\r\nbody\r\n", 20);
        w.wrote(b"\r\n", 2); // a body's tail is not the end of data
        assert!(seen.lock().expect("lock").is_empty());
        w.wrote(END_OF_DATA, 3); // the kernel took part of it
        assert!(seen.lock().expect("lock").is_empty());
        w.wrote(&END_OF_DATA[3..], 2);
        assert_eq!(*seen.lock().expect("lock"), vec![Handed::Out]);
        assert!(w.disarm(), "the dot was written");
        assert!(!w.disarm(), "and the watch is reset");
    }

    #[tokio::test]
    async fn outbox_writes_one_eml_file_per_message() {
        let dir = tempfile::tempdir().expect("dir");
        let t = Transport::new(&[], 1, "example.org", &dir.path().join("outbox")).expect("t");
        let env = Envelope::new(
            Some("a@example.org".parse().expect("addr")),
            vec!["b@example.org".parse().expect("addr")],
        )
        .expect("envelope");
        t.send(&env, b"Subject: hi\r\n\r\nbody\r\n", "<x@y>")
            .await
            .expect("send");
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .expect("read")
            .filter_map(Result::ok)
            .collect();
        assert_eq!(files.len(), 1);
        assert!(files[0].file_name().to_string_lossy().ends_with(".eml"));
    }

    #[tokio::test]
    async fn an_issue_message_already_in_the_outbox_is_not_written_a_second_time() {
        let dir = tempfile::tempdir().expect("dir");
        let outbox = dir.path().join("outbox");
        let t = Transport::new(&[], 1, "example.org", &outbox).expect("t");
        let env =
            Envelope::new(None, vec!["a@example.org".parse().expect("addr")]).expect("envelope");
        let handed = Arc::new(AtomicUsize::new(0));
        let id = "<issue-7.sub-42@example.org>";
        // The first run wrote the file and was killed before its journal line; the second
        // run sends the same message again.
        for _ in 0..2 {
            let n = handed.clone();
            let h: HandOver = Arc::new(move |_| {
                n.fetch_add(1, Ordering::SeqCst);
            });
            t.send_watched(&env, b"Subject: hi\r\n\r\nbody\r\n", id, Some(h))
                .await
                .expect("send");
        }
        let files: Vec<_> = std::fs::read_dir(&outbox)
            .expect("read")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".eml"))
            .collect();
        assert_eq!(files, vec!["issue-7.sub-42@example.org.eml".to_owned()]);
        assert_eq!(
            handed.load(Ordering::SeqCst),
            2,
            "both runs may record it sent"
        );
    }

    #[tokio::test]
    async fn an_outbox_message_is_handed_over_once_its_file_is_in_place() {
        let dir = tempfile::tempdir().expect("dir");
        let outbox = dir.path().join("outbox");
        let t = Transport::new(&[], 1, "example.org", &outbox).expect("t");
        let env =
            Envelope::new(None, vec!["b@example.org".parse().expect("addr")]).expect("envelope");
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let watch = outbox.clone();
        let h: HandOver = Arc::new(move |x| {
            let files = std::fs::read_dir(&watch).map(|d| d.count()).unwrap_or(0);
            log.lock().expect("lock").push((x, files));
        });
        t.send_watched(&env, b"Subject: hi\r\n\r\nbody\r\n", "<x@y>", Some(h))
            .await
            .expect("send");
        assert_eq!(*seen.lock().expect("lock"), vec![(Handed::Out, 1)]);
    }
}
