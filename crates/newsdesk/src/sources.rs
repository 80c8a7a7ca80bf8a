//! `newsdesk sources`: the operator's view of the wire desk's feeds.

use chrono::Utc;
use clap::Subcommand;
use newsdesk_core::ingest::{LeadPhotos, NewSource, Source, SourcePatch};
use newsdesk_core::{Id, StoreError};
use newsdesk_ingest::schedule::parse_interval;

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum SourcesCommand {
    /// Follow a feed (or a home page that advertises one).
    Add {
        /// Feed URL, or a site's home page with <link rel="alternate">.
        url: String,
        /// Publish its stories straight away (default: hold them as drafts for review).
        #[arg(long)]
        auto_publish: bool,
        /// Polling interval, e.g. 15m, 1h, 90s (default: ingest.default_interval).
        #[arg(long)]
        interval: Option<String>,
        /// Display name (default: the feed's title).
        #[arg(long)]
        name: Option<String>,
        /// Lead photos of its stories: import (a copy in our uploads, credited) or off.
        #[arg(long, value_parser = LeadPhotos::parse, default_value = "import")]
        lead_photos: LeadPhotos,
    },
    /// List sources with their state and last error.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Change a source.
    Edit {
        id: Id,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        interval: Option<String>,
        /// true or false.
        #[arg(long)]
        auto_publish: Option<bool>,
        /// Lead photos of its stories: import or off.
        #[arg(long, value_parser = LeadPhotos::parse)]
        lead_photos: Option<LeadPhotos>,
    },
    /// Stop polling a source.
    Pause { id: Id },
    /// Poll a paused source again.
    Resume { id: Id },
    /// Stop following a source and forget its items (published articles stay).
    Remove { id: Id },
}

fn not_found(id: Id) -> impl FnOnce(StoreError) -> anyhow::Error {
    move |e| match e {
        StoreError::NotFound => anyhow::anyhow!("no source with id {id}"),
        other => other.into(),
    }
}

pub async fn run(cmd: SourcesCommand, config: Config) -> anyhow::Result<()> {
    let store = crate::open_store(&config).await?;
    match cmd {
        SourcesCommand::Add {
            url,
            auto_publish,
            interval,
            name,
            lead_photos,
        } => {
            let parsed = newsdesk_ingest::Url::parse(&url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| anyhow::anyhow!("{url:?} is not an http(s) URL"))?;
            // Refused now, with the reason, rather than at every later poll.
            newsdesk_ingest::ssrf::check_destination(&parsed, config.fetch.allow_private)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // A home page whose feed is already followed would only fail at every poll.
            let pipeline = crate::ingest::pipeline(&config, store.clone(), None)?;
            if let Ok(feed) = pipeline.discover(parsed.as_str()).await {
                let sources = store.list_sources().await?;
                if let Some(other) = newsdesk_core::ingest::already_following(&sources, &feed) {
                    anyhow::bail!(
                        "{}",
                        newsdesk_core::ingest::already_followed_message(
                            parsed.as_str(),
                            &feed,
                            other
                        )
                    );
                }
            }
            let interval = parse_interval(
                interval
                    .as_deref()
                    .unwrap_or(&config.ingest.default_interval),
            )
            .map_err(anyhow::Error::msg)?;
            let source = store
                .create_source(
                    &NewSource {
                        feed_url: parsed.to_string(),
                        name: name.filter(|n| !n.trim().is_empty()),
                        auto_publish,
                        interval_seconds: interval,
                    },
                    Utc::now(),
                )
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => anyhow::anyhow!("{parsed} is already a source"),
                    other => other.into(),
                })?;
            let source = if lead_photos == LeadPhotos::default() {
                source
            } else {
                store.set_source_lead_photos(source.id, lead_photos).await?
            };
            println!(
                "added source {}: {} (every {}s, {}, lead photos {})",
                source.id,
                source.feed_url,
                source.interval_seconds,
                if source.auto_publish {
                    "auto-publish"
                } else {
                    "held for review"
                },
                source.lead_photos.as_str()
            );
        }
        SourcesCommand::List { json } => {
            let sources = store.list_sources().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sources)?);
            } else {
                print_table(&sources);
            }
        }
        SourcesCommand::Edit {
            id,
            name,
            interval,
            auto_publish,
            lead_photos,
        } => {
            let interval = interval
                .as_deref()
                .map(parse_interval)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let s = store
                .update_source(
                    id,
                    &SourcePatch {
                        name,
                        auto_publish,
                        interval_seconds: interval,
                        paused: None,
                    },
                )
                .await
                .map_err(not_found(id))?;
            let s = match lead_photos {
                Some(mode) => store
                    .set_source_lead_photos(id, mode)
                    .await
                    .map_err(not_found(id))?,
                None => s,
            };
            println!("source {}: {} ({})", s.id, s.name, s.feed_url);
        }
        SourcesCommand::Pause { id } | SourcesCommand::Resume { id } => {
            let paused = matches!(cmd, SourcesCommand::Pause { .. });
            store
                .update_source(
                    id,
                    &SourcePatch {
                        paused: Some(paused),
                        ..SourcePatch::default()
                    },
                )
                .await
                .map_err(not_found(id))?;
            println!("source {id} {}", if paused { "paused" } else { "resumed" });
        }
        SourcesCommand::Remove { id } => {
            store.delete_source(id).await.map_err(not_found(id))?;
            println!("source {id} removed");
        }
    }
    Ok(())
}

fn print_table(sources: &[Source]) {
    if sources.is_empty() {
        println!("no sources; add one with: newsdesk sources add URL");
        return;
    }
    println!(
        "{:>4}  {:<7} {:<8} {:<6} {:>7}  {:<24} {:<40} last error",
        "id", "state", "policy", "photos", "every", "name", "feed"
    );
    for s in sources {
        println!(
            "{:>4}  {:<7} {:<8} {:<6} {:>6}s  {:<24} {:<40} {}",
            s.id,
            if s.paused { "paused" } else { "active" },
            if s.auto_publish { "publish" } else { "review" },
            s.lead_photos.as_str(),
            s.current_interval_seconds,
            truncate(&s.name, 24),
            truncate(&s.feed_url, 40),
            s.last_error.as_deref().unwrap_or("-")
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}
