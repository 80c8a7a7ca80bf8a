//! The three feed formats. RSS and Atom go through the `rss` and `atom_syndication` crates (their
//! writers escape text and split CDATA safely); JSON Feed is a pair of serde structs.

use std::collections::BTreeMap;

use atom_syndication as atom_crate;
use chrono::{DateTime, SecondsFormat, Utc};
use rss::extension::{Extension, ExtensionMap};
use serde::Serialize;

use super::{ATOM_FILE, FeedEntry, FeedMeta, JSON_FEED_FILE, RSS_FILE};

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const MEDIA_NS: &str = "http://search.yahoo.com/mrss/";
const GENERATOR: &str = "newsdesk";

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("writing RSS: {0}")]
    Rss(#[from] rss::Error),
    #[error("writing Atom: {0}")]
    Atom(#[from] atom_crate::Error),
    #[error("writing JSON Feed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("feed writer produced invalid UTF-8")]
    Utf8(#[from] std::string::FromUtf8Error),
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ext(name: &str, value: Option<String>, attrs: &[(&str, String)]) -> Extension {
    Extension {
        name: name.to_owned(),
        value,
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        children: BTreeMap::new(),
    }
}

/// RSS 2.0 with `content:encoded` for the body, `dc:creator` for authors, `atom:link rel=self`,
/// `atom:updated` per item, and the lead image both as an `<enclosure>` and as `media:content`
/// (which, unlike an enclosure, can carry a caption and a credit).
pub fn rss(meta: &FeedMeta, entries: &[FeedEntry]) -> Result<String, FeedError> {
    let items = entries.iter().map(rss_item).collect::<Vec<_>>();
    let mut atom_ext = rss::extension::atom::AtomExtension::default();
    atom_ext.set_links(vec![atom_crate::Link {
        href: meta.self_url(RSS_FILE),
        rel: "self".into(),
        mime_type: Some("application/rss+xml".into()),
        ..Default::default()
    }]);
    let mut namespaces = BTreeMap::new();
    namespaces.insert("atom".to_owned(), ATOM_NS.to_owned());
    namespaces.insert("media".to_owned(), MEDIA_NS.to_owned());
    let channel = rss::Channel {
        title: meta.title.clone(),
        link: meta.home_url.clone(),
        description: meta.description.clone(),
        language: Some(meta.language.clone()),
        last_build_date: Some(meta.updated(entries).to_rfc2822()),
        generator: Some(GENERATOR.into()),
        docs: Some("https://www.rssboard.org/rss-specification".into()),
        items,
        atom_ext: Some(atom_ext),
        namespaces,
        ..Default::default()
    };
    let bytes = channel.write_to(Vec::new())?;
    Ok(String::from_utf8(bytes)?)
}

fn rss_item(e: &FeedEntry) -> rss::Item {
    let mut extensions = ExtensionMap::new();
    extensions.entry("atom".into()).or_default().insert(
        "updated".into(),
        vec![ext("atom:updated", Some(rfc3339(e.updated)), &[])],
    );
    let mut enclosure = None;
    if let Some(img) = &e.image {
        let mut content = ext(
            "media:content",
            None,
            &[
                ("url", img.url.clone()),
                ("medium", "image".into()),
                ("type", img.content_type.clone()),
                ("width", img.width.to_string()),
                ("height", img.height.to_string()),
            ],
        );
        let description = if img.caption.is_empty() {
            &img.alt
        } else {
            &img.caption
        };
        if !description.is_empty() {
            content.children.insert(
                "description".into(),
                vec![ext(
                    "media:description",
                    Some(description.clone()),
                    &[("type", "plain".into())],
                )],
            );
        }
        if !img.credit.is_empty() {
            content.children.insert(
                "credit".into(),
                vec![ext("media:credit", Some(img.credit.clone()), &[])],
            );
        }
        extensions
            .entry("media".into())
            .or_default()
            .insert("content".into(), vec![content]);
        enclosure = Some(rss::Enclosure {
            url: img.url.clone(),
            length: img.length.to_string(),
            mime_type: img.content_type.clone(),
        });
    }
    let dublin_core =
        (!e.authors.is_empty()).then(|| rss::extension::dublincore::DublinCoreExtension {
            creators: e.authors.iter().map(|a| a.name.clone()).collect(),
            ..Default::default()
        });
    rss::Item {
        title: Some(e.title.clone()),
        link: Some(e.url.clone()),
        // Readers treat an RSS description as HTML; the standfirst is plain text, so a `<` in it
        // must arrive as `&lt;`, not as the start of a tag.
        description: Some(super::escape(&e.summary)),
        categories: e
            .categories
            .iter()
            .map(|c| rss::Category {
                name: c.label.clone(),
                domain: Some(c.url.clone()),
            })
            .collect(),
        enclosure,
        guid: Some(rss::Guid {
            value: e.url.clone(),
            permalink: true,
        }),
        pub_date: Some(e.published.to_rfc2822()),
        content: Some(e.content_html.clone()),
        extensions,
        dublin_core_ext: dublin_core,
        ..Default::default()
    }
}

/// Atom 1.0; the lead image is a `rel="enclosure"` link.
pub fn atom(meta: &FeedMeta, entries: &[FeedEntry], publisher: &str) -> Result<String, FeedError> {
    let self_url = meta.self_url(ATOM_FILE);
    let feed = atom_crate::Feed {
        title: atom_crate::Text::plain(meta.title.clone()),
        // The self URL is unique per feed and never changes, as an Atom id must not.
        id: self_url.clone(),
        updated: meta.updated(entries).fixed_offset(),
        // Atom requires an author for entries that name none; the publisher stands in.
        authors: vec![atom_crate::Person {
            name: publisher.to_owned(),
            ..Default::default()
        }],
        generator: Some(atom_crate::Generator {
            value: GENERATOR.into(),
            ..Default::default()
        }),
        links: vec![
            atom_crate::Link {
                href: meta.home_url.clone(),
                rel: "alternate".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            },
            atom_crate::Link {
                href: self_url,
                rel: "self".into(),
                mime_type: Some("application/atom+xml".into()),
                ..Default::default()
            },
        ],
        subtitle: (!meta.description.is_empty())
            .then(|| atom_crate::Text::plain(meta.description.clone())),
        lang: Some(meta.language.clone()),
        entries: entries.iter().map(atom_entry).collect(),
        ..Default::default()
    };
    let bytes = feed.write_to(Vec::new())?;
    Ok(String::from_utf8(bytes)?)
}

fn atom_entry(e: &FeedEntry) -> atom_crate::Entry {
    let mut links = vec![atom_crate::Link {
        href: e.url.clone(),
        rel: "alternate".into(),
        mime_type: Some("text/html".into()),
        ..Default::default()
    }];
    if let Some(img) = &e.image {
        links.push(atom_crate::Link {
            href: img.url.clone(),
            rel: "enclosure".into(),
            mime_type: Some(img.content_type.clone()),
            title: (!img.alt.is_empty()).then(|| img.alt.clone()),
            length: (img.length > 0).then(|| img.length.to_string()),
            ..Default::default()
        });
    }
    atom_crate::Entry {
        title: atom_crate::Text::plain(e.title.clone()),
        id: e.url.clone(),
        updated: e.updated.fixed_offset(),
        published: Some(e.published.fixed_offset()),
        authors: e
            .authors
            .iter()
            .map(|a| atom_crate::Person {
                name: a.name.clone(),
                uri: Some(a.url.clone()),
                ..Default::default()
            })
            .collect(),
        categories: e
            .categories
            .iter()
            .map(|c| atom_crate::Category {
                term: c.term.clone(),
                label: Some(c.label.clone()),
                ..Default::default()
            })
            .collect(),
        links,
        summary: (!e.summary.is_empty()).then(|| atom_crate::Text::plain(e.summary.clone())),
        content: Some(atom_crate::Content {
            value: Some(e.content_html.clone()),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    authors: Vec<JsonAuthor<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
}

/// JSON Feed 1.1 (https://jsonfeed.org/version/1.1).
pub fn json_feed(
    meta: &FeedMeta,
    entries: &[FeedEntry],
    publisher: &str,
) -> Result<String, FeedError> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: &meta.home_url,
        feed_url: meta.self_url(JSON_FEED_FILE),
        description: &meta.description,
        language: &meta.language,
        authors: vec![JsonAuthor {
            name: publisher,
            url: None,
        }],
        items: entries
            .iter()
            .map(|e| JsonItem {
                id: &e.url,
                url: &e.url,
                title: &e.title,
                content_html: &e.content_html,
                summary: &e.summary,
                image: e.image.as_ref().map(|i| i.url.as_str()),
                date_published: rfc3339(e.published),
                date_modified: rfc3339(e.updated),
                authors: e
                    .authors
                    .iter()
                    .map(|a| JsonAuthor {
                        name: &a.name,
                        url: Some(&a.url),
                    })
                    .collect(),
                tags: e.categories.iter().map(|c| c.label.as_str()).collect(),
            })
            .collect(),
    };
    Ok(serde_json::to_string(&feed)?)
}

#[cfg(test)]
mod tests {
    use super::super::{FeedCategory, FeedImage, FeedPerson};
    use super::*;

    fn meta() -> FeedMeta {
        FeedMeta {
            title: "Desk & <Co>".into(),
            description: "News \"plainly\"".into(),
            home_url: "https://x.org/".into(),
            feed_base: "https://x.org".into(),
            language: "en".into(),
            fallback_updated: "2026-01-01T00:00:00Z".parse().expect("time"),
        }
    }

    fn entry() -> FeedEntry {
        FeedEntry {
            title: "Rates <script>alert(1)</script> & \"more\"".into(),
            url: "https://x.org/articles/rates".into(),
            published: "2026-03-01T10:00:00Z".parse().expect("time"),
            updated: "2026-03-01T12:00:00Z".parse().expect("time"),
            authors: vec![FeedPerson {
                name: "Ann & Bo".into(),
                url: "https://x.org/authors/ann".into(),
            }],
            categories: vec![FeedCategory {
                term: "economy".into(),
                label: "Economy & <Money>".into(),
                url: "https://x.org/tags/economy".into(),
            }],
            summary: "Up <a lot> & more".into(),
            content_html: "<p>Body with ]]> inside &amp; an entity</p>".into(),
            image: Some(FeedImage {
                url: "https://x.org/uploads/a.jpg".into(),
                content_type: "image/jpeg".into(),
                alt: "A \"crane\"".into(),
                caption: "Crane & harbour".into(),
                credit: "Mara / Wire".into(),
                width: 1200,
                height: 800,
                length: 1234,
            }),
        }
    }

    fn parse(xml: &str) -> feed_rs::model::Feed {
        feed_rs::parser::parse(xml.as_bytes()).expect("feed parses")
    }

    #[test]
    fn rss_escapes_markup_and_round_trips() {
        let xml = rss(&meta(), &[entry()]).expect("rss");
        assert!(
            !xml.contains("<script>"),
            "raw markup leaked into RSS: {xml}"
        );
        assert!(xml.contains(
            r#"<atom:link href="https://x.org/feed.xml" rel="self" type="application/rss+xml"/>"#
        ));
        let f = parse(&xml);
        assert_eq!(f.title.expect("title").content, "Desk & <Co>");
        let e = &f.entries[0];
        assert_eq!(
            e.title.as_ref().expect("title").content,
            "Rates <script>alert(1)</script> & \"more\""
        );
        assert_eq!(e.id, "https://x.org/articles/rates");
        assert_eq!(e.links[0].href, "https://x.org/articles/rates");
        let body = e
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .expect("content");
        assert_eq!(body, "<p>Body with ]]> inside &amp; an entity</p>");
        assert_eq!(e.authors[0].name.as_deref(), Some("Ann & Bo"));
        let summary = e.summary.as_ref().map(|s| s.content.as_str());
        assert_eq!(
            summary,
            Some("Up &lt;a lot&gt; &amp; more"),
            "plain text, HTML-escaped"
        );
        assert_eq!(e.categories[0].term, "Economy & <Money>");
        assert_eq!(
            e.updated.map(|t| t.to_rfc3339()),
            Some("2026-03-01T12:00:00+00:00".into())
        );
        let media = &e.media[0].content[0];
        assert_eq!(
            media.url.as_ref().map(|u| u.as_str()),
            Some("https://x.org/uploads/a.jpg")
        );
    }

    #[test]
    fn atom_escapes_markup_and_round_trips() {
        let xml = atom(&meta(), &[entry()], "Desk & Co").expect("atom");
        assert!(!xml.contains("<script>"));
        let f = parse(&xml);
        let e = &f.entries[0];
        assert_eq!(
            e.title.as_ref().expect("title").content,
            "Rates <script>alert(1)</script> & \"more\""
        );
        assert_eq!(e.id, "https://x.org/articles/rates");
        assert_eq!(
            e.published.map(|t| t.to_rfc3339()),
            Some("2026-03-01T10:00:00+00:00".into())
        );
        assert_eq!(e.categories[0].term, "economy");
        assert!(
            e.links.iter().any(|l| l.rel.as_deref() == Some("enclosure")
                && l.href == "https://x.org/uploads/a.jpg")
        );
        assert!(
            f.links
                .iter()
                .any(|l| l.rel.as_deref() == Some("self") && l.href == "https://x.org/atom.xml")
        );
    }

    #[test]
    fn json_feed_has_version_image_and_round_trips() {
        let json = json_feed(&meta(), &[entry()], "Desk").expect("json");
        let v: serde_json::Value = serde_json::from_str(&json).expect("json parses");
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(v["feed_url"], "https://x.org/feed.json");
        assert_eq!(v["items"][0]["image"], "https://x.org/uploads/a.jpg");
        assert_eq!(v["items"][0]["date_modified"], "2026-03-01T12:00:00Z");
        let f = parse(&json);
        assert_eq!(
            f.entries[0].title.as_ref().expect("title").content,
            "Rates <script>alert(1)</script> & \"more\""
        );
    }

    #[test]
    fn empty_feed_uses_fallback_updated() {
        let xml = atom(&meta(), &[], "Desk").expect("atom");
        assert!(
            xml.contains("<updated>2026-01-01T00:00:00+00:00</updated>"),
            "{xml}"
        );
        assert!(parse(&rss(&meta(), &[]).expect("rss")).entries.is_empty());
    }
}
