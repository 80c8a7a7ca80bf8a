//! The config loader's file layer: any bytes as `newsdesk.toml` are either refused with an
//! error or give a tree that can be used and printed (`--print-config`), never a panic:
//! `RUSTC_BOOTSTRAP=1 cargo fuzz run config`.
//!
//! The binary's `Config` lives in the `newsdesk` binary crate, which a fuzz target cannot
//! link; this mirrors its shape over the same library sections and the same figment layers
//! (Rust defaults, then the TOML file).
#![no_main]

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use libfuzzer_sys::fuzz_target;
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Tree {
    data_dir: std::path::PathBuf,
    listen: std::net::SocketAddr,
    database_url: String,
    demo: bool,
    page_cache_seconds: u64,
    site: newsdesk_core::site::SiteSettings,
    fetch: newsdesk_ingest::config::FetchConfig,
    ingest: newsdesk_ingest::config::IngestConfig,
    mail: newsdesk_mail::MailConfig,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            data_dir: "newsdesk-data".into(),
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: String::new(),
            demo: true,
            page_cache_seconds: 10,
            site: Default::default(),
            fetch: Default::default(),
            ingest: Default::default(),
            mail: Default::default(),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded: Result<Tree, _> = Figment::from(Serialized::defaults(Tree::default()))
        .merge(Toml::string(text))
        .extract();
    let Ok(mut tree) = loaded else {
        return;
    };
    // What `serve` and `--print-config` then do with it.
    let _ = tree.ingest.options();
    let _ = tree.fetch.options(&tree.site.base_url);
    tree.mail = tree.mail.redacted();
    let _ = format!("{:?} {:?} {:?}", tree.site, tree.fetch, tree.mail);
    let _ = toml::to_string_pretty(&tree);
});
