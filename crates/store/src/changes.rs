//! Change notices between nodes on one PostgreSQL (issue 17): a node that changes content sends
//! `NOTIFY newsdesk_changes, '<node>|<what>'`; every node `LISTEN`s and drops the cached pages
//! the notice names. A node whose listening connection dropped may have missed notices, so on
//! every reconnect it drops everything.
//!
//! SQLite is one node: nothing here is used there.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use newsdesk_core::nodes::ChangeBroadcast;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};

use crate::{OpenError, redact_url};

/// The channel, of our own.
pub const CHANNEL: &str = "newsdesk_changes";
/// A NOTIFY payload is at most 8000 bytes; ours are short, longer ones are cut to "all".
const MAX_PAYLOAD: usize = 1000;

/// Sends this node's change notices.
#[derive(Clone)]
pub struct PgChanges {
    pool: PgPool,
    node: Arc<str>,
}

impl std::fmt::Debug for PgChanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgChanges")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

fn options(url: &str) -> Result<PgConnectOptions, OpenError> {
    PgConnectOptions::from_str(url).map_err(|e| OpenError::InvalidUrl {
        url: redact_url(url),
        reason: e.to_string(),
    })
}

impl PgChanges {
    /// A small pool of its own (two connections), so a notice never waits behind page reads.
    pub fn connect(url: &str, node: &str) -> Result<Self, OpenError> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy_with(options(url)?);
        Ok(PgChanges {
            pool,
            node: node.into(),
        })
    }

    /// Sends the notice and waits for it (the fire-and-forget [`ChangeBroadcast`] spawns this).
    pub async fn send(&self, what: &str) -> Result<(), sqlx::Error> {
        let what = if what.len() > MAX_PAYLOAD {
            "all"
        } else {
            what
        };
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("{}|{what}", self.node))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl ChangeBroadcast for PgChanges {
    fn changed(&self, what: &str) {
        let this = self.clone();
        let what = what.to_owned();
        // Called from handlers after their write committed; the notice must not delay the reply.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = this.send(&what).await {
                    tracing::warn!(error = %e, "change notice not sent: other nodes see it when their cache expires");
                }
            });
        }
    }
}

/// A notice as received: who sent it and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub from: String,
    pub what: String,
}

fn parse(payload: &str) -> Notice {
    match payload.split_once('|') {
        Some((from, what)) => Notice {
            from: from.to_owned(),
            what: what.to_owned(),
        },
        None => Notice {
            from: String::new(),
            what: "all".to_owned(),
        },
    }
}

/// Listens until the process ends, calling `on_notice` for every notice from another node, and
/// with `what = "all"` whenever the connection was (re)established after a loss.
pub async fn listen(
    url: &str,
    node: &str,
    on_notice: Arc<dyn Fn(&Notice) + Send + Sync>,
) -> Result<(), OpenError> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options(url)?);
    let node = node.to_owned();
    let mut backoff = Duration::from_millis(200);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "change listener: cannot connect; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "change listener: LISTEN failed; retrying");
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(200);
        // Whatever changed while we were not listening is unknown: drop everything.
        on_notice(&Notice {
            from: String::new(),
            what: "all".into(),
        });
        loop {
            // `try_recv` returns None when the connection was lost (and reconnects on the
            // next call): the point where notices may have been missed.
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    let notice = parse(n.payload());
                    if notice.from != node {
                        on_notice(&notice);
                    }
                }
                Ok(None) => {
                    tracing::warn!("change listener: connection lost; dropping the page cache");
                    on_notice(&Notice {
                        from: String::new(),
                        what: "all".into(),
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change listener failed; reconnecting");
                    break;
                }
            }
        }
        tokio::time::sleep(backoff).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_the_sender_and_what_changed() {
        assert_eq!(
            parse("host-12|all"),
            Notice {
                from: "host-12".into(),
                what: "all".into()
            }
        );
        // A payload of someone else's making drops everything rather than nothing.
        assert_eq!(parse("garbage").what, "all");
    }
}
