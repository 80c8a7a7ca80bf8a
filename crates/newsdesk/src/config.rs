//! The one configuration tree: defaults written here, overridden by a TOML file, then by
//! `NEWSDESK_*` environment variables, then by command-line flags. Loaded once in `main`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use newsdesk_core::site::SiteSettings;
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the SQLite file, uploads and outbox live.
    pub data_dir: PathBuf,
    /// Address the site listens on.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://...`; empty means `sqlite://<data_dir>/newsdesk.sqlite`.
    pub database_url: String,
    /// Load the demo content when the store is empty.
    pub demo: bool,
    /// Seconds a rendered public page is served from memory; 0 turns the cache off.
    pub page_cache_seconds: u64,
    /// One log line per request (target `access`, at `info`).
    pub access_log: bool,
    pub site: SiteSettings,
    /// Limits of the ingest fetcher (feeds and agency pages).
    pub fetch: newsdesk_ingest::config::FetchConfig,
    /// The wire desk's background loop and its defaults.
    pub ingest: newsdesk_ingest::config::IngestConfig,
    /// The newsletter's mail: SMTP servers, sender, DKIM, outbox.
    pub mail: newsdesk_mail::MailConfig,
    /// `/metrics` (issue 17): off unless a token is set.
    pub metrics: MetricsConfig,
    /// Where photos are kept: the data directory (default) or an S3-compatible store.
    pub media: newsdesk_media::MediaConfig,
    /// `site.base_url` was not set by the file or the environment: it was made from `listen`.
    #[serde(skip)]
    pub base_url_from_listen: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("newsdesk-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: String::new(),
            demo: true,
            page_cache_seconds: 10,
            access_log: true,
            site: SiteSettings::default(),
            fetch: newsdesk_ingest::config::FetchConfig::default(),
            ingest: newsdesk_ingest::config::IngestConfig::default(),
            mail: newsdesk_mail::MailConfig::default(),
            metrics: MetricsConfig::default(),
            media: newsdesk_media::MediaConfig::default(),
            base_url_from_listen: false,
        }
    }
}

// Secrets (the database password) never reach logs or `--print-config`.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field(
                "database_url",
                &newsdesk_store::redact_url(&self.database_url),
            )
            .field("demo", &self.demo)
            .field("page_cache_seconds", &self.page_cache_seconds)
            .field("access_log", &self.access_log)
            .field("site", &self.site)
            .field("fetch", &self.fetch)
            .field("ingest", &self.ingest)
            .field("mail", &self.mail)
            .field("metrics", &self.metrics)
            .field("media", &self.media)
            .finish()
    }
}

impl Config {
    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}",
                self.data_dir.join("newsdesk.sqlite").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    /// The local media store's directory (when `media.url` is empty).
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// The search index (rebuilt from the store whenever it is missing or unreadable).
    pub fn search_dir(&self) -> PathBuf {
        self.data_dir.join("search")
    }

    /// Where e-mails go when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        if self.mail.outbox_dir.as_os_str().is_empty() {
            self.data_dir.join("outbox")
        } else {
            self.mail.outbox_dir.clone()
        }
    }

    /// The effective configuration as TOML, secrets redacted.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = newsdesk_store::redact_url(&self.database_url());
        shown.mail = self.mail.redacted();
        shown.metrics = self.metrics.redacted();
        shown.media = self.media.redacted();
        Ok(toml::to_string_pretty(&shown)?)
    }
}

/// `[metrics]`: `GET /metrics` is served only when `token` is set, and only to requests with
/// `Authorization: Bearer <token>` (env `NEWSDESK_METRICS__TOKEN`).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    pub token: String,
}

impl std::fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsConfig")
            .field(
                "token",
                &if self.token.is_empty() {
                    ""
                } else {
                    "REDACTED"
                },
            )
            .finish()
    }
}

impl MetricsConfig {
    fn redacted(&self) -> Self {
        MetricsConfig {
            token: if self.token.is_empty() {
                String::new()
            } else {
                "REDACTED".into()
            },
        }
    }

    /// The token, if `/metrics` is on.
    pub fn token(&self) -> Option<String> {
        Some(self.token.trim().to_owned()).filter(|t| !t.is_empty())
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo: Option<bool>,
}

/// Environment variables whose names the docs promise; any other `NEWSDESK_A__B` maps to `a.b`.
const ENV_NAMES: &[(&str, &str)] = &[
    ("DATA_DIR", "data_dir"),
    ("LISTEN", "listen"),
    ("DATABASE_URL", "database_url"),
    ("DEMO", "demo"),
    ("PAGE_CACHE_SECONDS", "page_cache_seconds"),
    ("ACCESS_LOG", "access_log"),
    ("FETCH_ALLOW_PRIVATE", "fetch.allow_private"),
    ("SMTP_URL", "mail.smtp_url"),
];

/// Variables that belong to the tooling, not the config tree (and every `NEWSDESK_TEST_*`, which
/// the test scripts set for the test binaries).
const ENV_IGNORED: &[&str] = &["CONFIG", "LOG", "VENV"];

fn tooling_env(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    upper.starts_with("TEST_") || ENV_IGNORED.contains(&upper.as_str())
}

/// Loads the config: defaults < TOML file < environment < flags. The TOML file is `config_file` if
/// given, else `newsdesk.toml` in the data directory when it exists.
pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    let env = Env::prefixed("NEWSDESK_")
        .filter(|k| !tooling_env(k.as_str()))
        .map(|k| {
            let upper = k.as_str().to_ascii_uppercase();
            match ENV_NAMES.iter().find(|(name, _)| *name == upper) {
                Some((_, key)) => (*key).into(),
                None => k.as_str().to_ascii_lowercase().replace("__", ".").into(),
            }
        });
    // The data dir decides where the default config file is, so find it first.
    let early: Config = Figment::from(Serialized::defaults(Config::default()))
        .merge(env.clone())
        .merge(Serialized::defaults(overrides))
        .extract()?;
    let file = match config_file {
        Some(f) => {
            anyhow::ensure!(f.is_file(), "config file {} does not exist", f.display());
            Some(f.to_path_buf())
        }
        None => Some(early.data_dir.join("newsdesk.toml")).filter(|p| p.is_file()),
    };
    let mut fig = Figment::from(Serialized::defaults(Config::default()));
    let mut given = Figment::new();
    if let Some(file) = file {
        fig = fig.merge(Toml::file(&file));
        given = given.merge(Toml::file(&file));
    }
    given = given.merge(env.clone());
    let mut config: Config = fig
        .merge(env)
        .merge(Serialized::defaults(overrides))
        .extract()?;
    anyhow::ensure!(
        config.site.tz().is_some(),
        "site.timezone {:?} is not an IANA time zone (such as UTC or Europe/Kyiv)",
        config.site.timezone
    );
    // Every absolute link (canonical, feeds, sitemaps, mails) starts with the base URL: when
    // the operator gave none, it is where we listen, not a default port we may not be on.
    if given.find_value("site.base_url").is_err() {
        config.site.base_url = base_url_for(config.listen);
        config.base_url_from_listen = true;
    }
    Ok(config)
}

/// `http://<listen>`; an unspecified address (0.0.0.0, ::) becomes loopback, the one name
/// sure to reach it from this machine.
pub fn base_url_for(listen: SocketAddr) -> String {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{addr}")
}

/// Why `site.base_url` may send readers elsewhere than the server at `listen`, if it may.
pub fn base_url_mismatch(config: &Config) -> Option<String> {
    if config.base_url_from_listen {
        return config.listen.ip().is_unspecified().then(|| {
            format!(
                "site.base_url is not set; links use {} — set site.base_url to the public address",
                config.site.base_url
            )
        });
    }
    let url = url::Url::parse(&config.site.base_url).ok()?;
    let host = url.host_str()?.trim_matches(['[', ']']);
    let local = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback() || ip.is_unspecified() || ip == config.listen.ip(),
        Err(_) => host == "localhost",
    };
    // A public name in front of a proxy is the usual case; a local address on another port is
    // a forgotten setting.
    (local && url.port_or_known_default() != Some(config.listen.port())).then(|| {
        format!(
            "site.base_url is {} but the server listens on {}: absolute links (canonical, \
             feeds, sitemaps, mails) will point elsewhere",
            config.site.base_url, config.listen
        )
    })
}

#[cfg(test)]
// figment's Jail returns its own large error type; boxing it would only obscure the tests.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_file_env_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "nd.toml",
                "listen = \"127.0.0.1:9000\"\ndemo = false\n[site]\ntitle = \"From file\"\n",
            )?;
            jail.set_env("NEWSDESK_LISTEN", "127.0.0.1:9100");
            jail.set_env("NEWSDESK_SITE__BASE_URL", "https://news.example.org");
            let flags = Overrides {
                listen: Some("127.0.0.1:9200".parse().map_err(|e| format!("{e}"))?),
                ..Overrides::default()
            };
            let c = load(Some(Path::new("nd.toml")), &flags).map_err(|e| e.to_string())?;
            assert_eq!(c.listen.port(), 9200, "flag wins over env and file");
            assert!(!c.demo, "file value kept where nothing overrides it");
            assert_eq!(c.site.title, "From file");
            assert_eq!(c.site.base_url, "https://news.example.org");
            let env_only = load(Some(Path::new("nd.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(env_only.listen.port(), 9100, "env wins over file");
            Ok(())
        });
    }

    #[test]
    fn site_timezone_is_read_and_an_unknown_zone_is_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("tz.toml", "[site]\ntimezone = \"Europe/Kyiv\"\n")?;
            let c = load(Some(Path::new("tz.toml")), &Overrides::default())
                .map_err(|e| e.to_string())?;
            assert_eq!(c.site.tz().map(|t| t.name()), Some("Europe/Kyiv"));
            jail.create_file("bad.toml", "[site]\ntimezone = \"Mars/Olympus\"\n")?;
            let err = load(Some(Path::new("bad.toml")), &Overrides::default())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("site.timezone"), "{err}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail error type, not ours
    fn base_url_follows_listen_unless_set_and_a_local_mismatch_is_reported() {
        figment::Jail::expect_with(|jail| {
            let flags = Overrides {
                listen: Some("127.0.0.1:9300".parse().map_err(|e| format!("{e}"))?),
                ..Overrides::default()
            };
            let c = load(None, &flags).map_err(|e| e.to_string())?;
            assert_eq!(c.site.base_url, "http://127.0.0.1:9300");
            assert_eq!(base_url_mismatch(&c), None);
            jail.set_env("NEWSDESK_SITE__BASE_URL", "http://127.0.0.1:8080");
            let c = load(None, &flags).map_err(|e| e.to_string())?;
            assert_eq!(
                c.site.base_url, "http://127.0.0.1:8080",
                "a set value is kept"
            );
            assert!(base_url_mismatch(&c).is_some_and(|w| w.contains("9300")));
            jail.set_env("NEWSDESK_SITE__BASE_URL", "https://news.example.org");
            let c = load(None, &flags).map_err(|e| e.to_string())?;
            assert_eq!(base_url_mismatch(&c), None, "a public name behind a proxy");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("nd.toml", "listn = \"127.0.0.1:9000\"\n")?;
            assert!(load(Some(Path::new("nd.toml")), &Overrides::default()).is_err());
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail error type, not ours
    fn test_tooling_variables_are_not_config_but_unknown_ones_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("NEWSDESK_TEST_SOMETHING_NEW", "/usr/bin/python3");
            jail.set_env("NEWSDESK_VENV", "/tmp/venv");
            jail.set_env("NEWSDESK_LOG", "debug");
            assert!(load(None, &Overrides::default()).is_ok());
            jail.set_env("NEWSDESK_LISTN", "127.0.0.1:9000");
            assert!(
                load(None, &Overrides::default()).is_err(),
                "a typo is refused"
            );
            Ok(())
        });
    }

    #[test]
    fn printed_config_hides_database_password() {
        let c = Config {
            database_url: "postgres://news:s3cret@db.internal/newsdesk".into(),
            ..Config::default()
        };
        let shown = c.to_redacted_toml().expect("toml");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail error type, not ours
    fn media_keys_come_from_the_environment_and_the_secret_key_is_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("NEWSDESK_MEDIA__URL", "s3://news/photos");
            jail.set_env("NEWSDESK_MEDIA__ENDPOINT", "http://127.0.0.1:9000");
            jail.set_env("NEWSDESK_MEDIA__REGION", "garage");
            jail.set_env("NEWSDESK_MEDIA__ACCESS_KEY_ID", "GKexample");
            jail.set_env("NEWSDESK_MEDIA__SECRET_ACCESS_KEY", "s3cr3t-media-key");
            jail.set_env("NEWSDESK_MEDIA__ALLOW_HTTP", "true");
            let c = load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c.media.url, "s3://news/photos");
            assert_eq!(c.media.endpoint, "http://127.0.0.1:9000");
            assert_eq!(c.media.region, "garage");
            assert!(c.media.allow_http);
            let shown = c.to_redacted_toml().map_err(|e| e.to_string())?;
            assert!(shown.contains("s3://news/photos"), "{shown}");
            assert!(!shown.contains("s3cr3t-media-key"), "{shown}");
            assert!(!format!("{c:?}").contains("s3cr3t-media-key"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail error type, not ours
    fn smtp_url_comes_from_its_contract_env_name_and_is_redacted() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("NEWSDESK_SMTP_URL", "smtp://mailer:pa55word@127.0.0.1:2525");
            let c = load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c.mail.smtp_url, "smtp://mailer:pa55word@127.0.0.1:2525");
            let shown = c.to_redacted_toml().map_err(|e| e.to_string())?;
            assert!(!shown.contains("pa55word"), "{shown}");
            assert!(!format!("{c:?}").contains("pa55word"));
            Ok(())
        });
    }
}
