//! What the site says about itself: name, address, publisher. Set in the config's `[site]` table.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    /// Shown in the header, titles and feeds.
    pub title: String,
    pub description: String,
    /// Absolute base URL used in feeds, sitemaps, canonical links and e-mails; no trailing slash.
    pub base_url: String,
    /// BCP 47 language tag of the site's content.
    pub language: String,
    /// Name of the organisation that publishes the site (structured data).
    pub publisher: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "newsdesk".into(),
            description: "Only the important stories, told plainly.".into(),
            base_url: "http://127.0.0.1:8080".into(),
            language: "en".into(),
            publisher: "newsdesk".into(),
        }
    }
}

impl SiteSettings {
    /// `path` must start with '/'.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}
