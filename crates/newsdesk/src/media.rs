//! The media store as the binary sees it: opened and checked once at start (`media.*` keys),
//! and `newsdesk media migrate --to URL`, which copies every photo file to another store.

use clap::Subcommand;
use newsdesk_media::MediaStore;

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum MediaCommand {
    /// Copy every file of the configured media store to another one (idempotent: files already
    /// there with the same size are skipped; nothing is deleted). Then set media.url to URL.
    Migrate {
        /// Target store: s3://bucket/prefix (with the media.endpoint, region and key settings)
        /// or file:///absolute/directory.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

/// The configured store, after one request proves it answers: a wrong endpoint, bucket or
/// key stops the command with the reason.
pub async fn open(config: &Config) -> anyhow::Result<MediaStore> {
    let media = MediaStore::open(&config.media, &config.uploads_dir())?;
    media.check().await.map_err(|e| {
        anyhow::anyhow!("{e} (check media.url, media.endpoint, media.region and the keys)")
    })?;
    Ok(media)
}

pub async fn run(cmd: MediaCommand, config: Config) -> anyhow::Result<()> {
    match cmd {
        MediaCommand::Migrate { to } => {
            let from = open(&config).await?;
            let target = MediaStore::open(&config.media.with_url(&to), &config.uploads_dir())?;
            target.check().await?;
            anyhow::ensure!(
                from != target,
                "the target {} is the configured media store",
                target.name()
            );
            let started = std::time::Instant::now();
            let report = newsdesk_media::migrate(&from, &target).await?;
            println!(
                "media migrate: {} copied ({} bytes), {} already there, from {} to {} in {:.1}s",
                report.copied,
                report.bytes,
                report.skipped,
                from.name(),
                target.name(),
                started.elapsed().as_secs_f64()
            );
            if report.copied > 0 || report.skipped > 0 {
                println!("now set media.url = {to:?} (env NEWSDESK_MEDIA__URL) on every node");
            }
            Ok(())
        }
    }
}
