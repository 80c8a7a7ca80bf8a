//! sitemaps.org sitemaps and indexes, the Google News sitemap, and robots.txt.

use chrono::{DateTime, SecondsFormat, Utc};

use super::xml::XmlWriter;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

#[derive(Debug, Clone, PartialEq)]
pub struct SitemapUrl {
    /// Absolute URL.
    pub loc: String,
    pub lastmod: Option<DateTime<Utc>>,
}

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A `<urlset>`: one sitemap file. The caller keeps it under [`super::SITEMAP_MAX_URLS`].
pub fn urlset(urls: &[SitemapUrl]) -> String {
    list("urlset", "url", urls)
}

/// A `<sitemapindex>` pointing at sitemap files.
pub fn sitemap_index(sitemaps: &[SitemapUrl]) -> String {
    list("sitemapindex", "sitemap", sitemaps)
}

fn list(root: &'static str, item: &'static str, urls: &[SitemapUrl]) -> String {
    let mut w = XmlWriter::new();
    w.start(root, &[("xmlns", SITEMAP_NS)]);
    for u in urls {
        w.start(item, &[]);
        w.text("loc", &u.loc);
        if let Some(t) = u.lastmod {
            w.text("lastmod", &w3c(t));
        }
        w.end();
    }
    w.finish()
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewsEntry {
    pub url: String,
    pub title: String,
    pub published: DateTime<Utc>,
}

/// A Google News sitemap. `language` is an ISO 639 code (see [`news_sitemap_language`]).
pub fn news_sitemap(publication_name: &str, language: &str, entries: &[NewsEntry]) -> String {
    let mut w = XmlWriter::new();
    w.start("urlset", &[("xmlns", SITEMAP_NS), ("xmlns:news", NEWS_NS)]);
    for e in entries {
        w.start("url", &[]);
        w.text("loc", &e.url);
        w.start("news:news", &[]);
        w.start("news:publication", &[]);
        w.text("news:name", publication_name);
        w.text("news:language", language);
        w.end();
        w.text("news:publication_date", &w3c(e.published));
        w.text("news:title", &e.title);
        w.end();
        w.end();
    }
    w.finish()
}

/// Google News wants an ISO 639 language code, not a full BCP 47 tag, except that Chinese must
/// say which script: `zh-cn` (simplified) or `zh-tw` (traditional).
pub fn news_sitemap_language(bcp47: &str) -> String {
    let tag = bcp47.trim().to_ascii_lowercase().replace('_', "-");
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or("").to_owned();
    if primary == "zh" {
        let rest: Vec<&str> = parts.collect();
        let traditional = rest
            .iter()
            .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
        return if traditional {
            "zh-tw".into()
        } else {
            "zh-cn".into()
        };
    }
    if primary.is_empty() {
        "en".into()
    } else {
        primary
    }
}

/// Crawlers may read everything but the API (its pages duplicate the site's); sitemaps are
/// announced with absolute URLs, as the robots.txt convention requires.
pub fn robots_txt(sitemaps: &[String]) -> String {
    let mut out = String::from("User-agent: *\nAllow: /\nDisallow: /api/\n");
    if !sitemaps.is_empty() {
        out.push('\n');
    }
    for s in sitemaps {
        // A newline in a configured URL would let it add its own directives.
        let s: String = s.chars().filter(|c| !c.is_control()).collect();
        out.push_str("Sitemap: ");
        out.push_str(&s);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("test timestamp")
    }

    #[test]
    fn urlset_escapes_locations_and_formats_lastmod() {
        let xml = urlset(&[
            SitemapUrl {
                loc: "https://x.org/a?b=1&c=<2>".into(),
                lastmod: Some(t("2026-03-01T10:00:00.123Z")),
            },
            SitemapUrl {
                loc: "https://x.org/".into(),
                lastmod: None,
            },
        ]);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains("<loc>https://x.org/a?b=1&amp;c=&lt;2&gt;</loc>"));
        assert!(xml.contains("<lastmod>2026-03-01T10:00:00Z</lastmod>"));
        assert_eq!(xml.matches("<url>").count(), 2);
        assert_eq!(xml.matches("<lastmod>").count(), 1);
    }

    #[test]
    fn sitemap_index_lists_sitemaps() {
        let xml = sitemap_index(&[SitemapUrl {
            loc: "https://x.org/sitemaps/articles-1.xml".into(),
            lastmod: None,
        }]);
        assert!(
            xml.contains("<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">")
        );
        assert!(xml.contains("<sitemap>\n    <loc>https://x.org/sitemaps/articles-1.xml</loc>"));
    }

    #[test]
    fn news_sitemap_escapes_titles_and_names_the_publication() {
        let xml = news_sitemap(
            "Desk & Co",
            "en",
            &[NewsEntry {
                url: "https://x.org/articles/a".into(),
                title: "Rates <up> & \"down\"".into(),
                published: t("2026-03-01T10:00:00Z"),
            }],
        );
        assert!(xml.contains("xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\""));
        assert!(xml.contains("<news:name>Desk &amp; Co</news:name>"));
        assert!(xml.contains("<news:title>Rates &lt;up&gt; &amp; &quot;down&quot;</news:title>"));
        assert!(
            xml.contains("<news:publication_date>2026-03-01T10:00:00Z</news:publication_date>")
        );
    }

    #[test]
    fn news_language_is_iso_639_with_chinese_script() {
        assert_eq!(news_sitemap_language("en-GB"), "en");
        assert_eq!(news_sitemap_language("de"), "de");
        assert_eq!(news_sitemap_language("zh-Hant-TW"), "zh-tw");
        assert_eq!(news_sitemap_language("zh"), "zh-cn");
        assert_eq!(news_sitemap_language(""), "en");
    }

    #[test]
    fn robots_disallows_api_and_lists_sitemaps() {
        let txt = robots_txt(&[
            "https://x.org/sitemap.xml".into(),
            "https://x.org/news\nDisallow: /".into(),
        ]);
        assert!(txt.contains("User-agent: *\nAllow: /\nDisallow: /api/\n"));
        assert!(txt.contains("Sitemap: https://x.org/sitemap.xml\n"));
        assert!(txt.contains("Sitemap: https://x.org/newsDisallow: /\n"));
        assert_eq!(txt.matches("\nDisallow:").count(), 1);
    }
}
