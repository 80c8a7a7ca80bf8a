//! What the page templates see: view models built from the content model, with URLs, dates and
//! image attributes worked out in Rust so the templates stay logic-free. Askama escapes every
//! value; only `body_html` (sanitized when written) and the JSON-LD (escaped here) go out raw.

use askama::Template;
use chrono::{DateTime, Datelike, Utc};
use newsdesk_core::site::SiteSettings;
use newsdesk_core::{Article, Author, Photo, Tag};

use crate::routes::assets;

/// Escapes text for HTML text and attribute values (all our attributes are double-quoted).
#[derive(Debug, Clone, Copy, Default)]
pub struct HtmlEscaper;

impl askama::filters::Escaper for HtmlEscaper {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, s: &str) -> std::fmt::Result {
        newsdesk_core::markup::write_escaped(&mut dest, s)
    }
}

/// The `Cache-Control` of public pages: short for browsers, long stale-while-revalidate so a CDN
/// keeps answering while it refreshes.
pub const PAGE_CACHE_CONTROL: &str = "public, max-age=60, stale-while-revalidate=600";

/// Sections shown in the header navigation at most.
const NAV_TAGS: usize = 8;

pub struct FeedLink {
    pub mime: &'static str,
    pub title: String,
    pub href: String,
}

pub struct NavItem {
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// Open Graph `article:*` properties.
pub struct ArticleMeta {
    pub published_time: String,
    pub modified_time: String,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
}

/// Everything the shared layout (`base.html`) needs.
pub struct Layout {
    pub lang: String,
    pub site_title: String,
    /// The `<title>`: page title and site name.
    pub title: String,
    pub description: String,
    pub canonical: String,
    pub css_url: &'static str,
    pub icon_url: &'static str,
    pub og_type: &'static str,
    pub og_title: String,
    pub og_image: Option<String>,
    pub og_image_alt: Option<String>,
    pub feeds: Vec<FeedLink>,
    pub nav: Vec<NavItem>,
    /// Escaped JSON, safe inside `<script type="application/ld+json">`.
    pub jsonld: Option<String>,
    pub article: Option<ArticleMeta>,
    pub next_url: Option<String>,
    pub noindex: bool,
    pub year: i32,
    pub publisher: String,
}

impl Layout {
    pub fn new(site: &SiteSettings, title: &str, path: &str) -> Layout {
        let full_title = if title.is_empty() {
            site.title.clone()
        } else {
            format!("{title} — {}", site.title)
        };
        Layout {
            lang: site.language.clone(),
            site_title: site.title.clone(),
            title: full_title,
            description: site.description.clone(),
            canonical: site.url(path),
            css_url: assets::css_url(),
            icon_url: assets::icon_url(),
            og_type: "website",
            og_title: if title.is_empty() {
                site.title.clone()
            } else {
                title.to_owned()
            },
            og_image: None,
            og_image_alt: None,
            feeds: site_feeds(site),
            nav: Vec::new(),
            jsonld: None,
            article: None,
            next_url: None,
            noindex: false,
            year: Utc::now().year(),
            publisher: site.publisher.clone(),
        }
    }

    pub fn with_nav(mut self, tags: &[Tag], current: Option<&str>) -> Layout {
        self.nav = tags
            .iter()
            .take(NAV_TAGS)
            .map(|t| NavItem {
                name: t.name.clone(),
                href: tag_url(t),
                current: current == Some(t.slug.as_str()),
            })
            .collect();
        self
    }

    pub fn with_description(mut self, description: &str) -> Layout {
        if !description.trim().is_empty() {
            self.description = description.trim().to_owned();
        }
        self
    }
}

fn site_feeds(site: &SiteSettings) -> Vec<FeedLink> {
    feeds_for(&site.title, "")
}

/// The three feed formats under `prefix` (empty for the site-wide feeds, `/tags/x` for a tag...).
pub fn feeds_for(title: &str, prefix: &str) -> Vec<FeedLink> {
    vec![
        FeedLink {
            mime: "application/rss+xml",
            title: format!("{title} (RSS)"),
            href: format!("{prefix}/feed.xml"),
        },
        FeedLink {
            mime: "application/atom+xml",
            title: format!("{title} (Atom)"),
            href: format!("{prefix}/atom.xml"),
        },
        FeedLink {
            mime: "application/feed+json",
            title: format!("{title} (JSON Feed)"),
            href: format!("{prefix}/feed.json"),
        },
    ]
}

pub struct Img {
    pub src: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
    /// Responsive sizes (`url 480w, ...`), empty when the photo has none.
    pub srcset: String,
}

impl Img {
    pub fn of(p: &Photo) -> Img {
        Img {
            src: photo_url(p),
            alt: p.alt.clone(),
            width: p.width,
            height: p.height,
            srcset: String::new(),
        }
    }
}

pub struct Figure {
    pub img: Img,
    pub caption: String,
    pub credit: String,
}

pub struct TimeView {
    pub iso: String,
    pub human: String,
}

impl TimeView {
    pub fn of(t: DateTime<Utc>) -> TimeView {
        TimeView {
            iso: iso(t),
            human: t.format("%-d %B %Y, %H:%M UTC").to_string(),
        }
    }
}

pub struct LinkView {
    pub name: String,
    pub href: String,
}

/// An article in a list (home, tag, author, related).
pub struct Card {
    pub href: String,
    pub headline: String,
    pub standfirst: String,
    pub published: Option<TimeView>,
    pub section: Option<LinkView>,
    pub image: Option<Img>,
}

impl Card {
    pub fn of(a: &Article) -> Card {
        Card {
            href: article_url(a),
            headline: a.headline.clone(),
            standfirst: a.standfirst.clone(),
            published: a.published_at.map(TimeView::of),
            section: a.section.as_ref().map(|t| LinkView {
                name: t.name.clone(),
                href: tag_url(t),
            }),
            image: a.lead_photo.as_ref().map(Img::of),
        }
    }
}

pub struct AuthorBox {
    pub name: String,
    pub href: String,
    pub bio: String,
    pub photo: Option<Img>,
    pub links: Vec<LinkView>,
}

impl AuthorBox {
    pub fn of(a: &Author) -> AuthorBox {
        AuthorBox {
            name: a.name.clone(),
            href: author_url(a),
            bio: a.bio.clone(),
            photo: a.photo.as_ref().map(Img::of),
            links: a
                .links
                .iter()
                .filter(|l| is_safe_link(&l.url))
                .map(|l| LinkView {
                    name: l.label.clone(),
                    href: l.url.clone(),
                })
                .collect(),
        }
    }
}

/// The newsletter sign-up form's state: empty, or re-shown with what was typed and why it failed.
#[derive(Default)]
pub struct NewsletterForm {
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub heading: String,
    pub top: Vec<Card>,
    pub latest: Vec<Card>,
    pub first_page: bool,
    pub next_url: Option<String>,
    pub newsletter: NewsletterForm,
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub layout: Layout,
    pub headline: String,
    pub standfirst: String,
    pub section: Option<LinkView>,
    pub authors: Vec<LinkView>,
    pub published: Option<TimeView>,
    pub updated: Option<TimeView>,
    pub figure: Option<Figure>,
    pub body_html: String,
    pub source: Option<LinkView>,
    /// Other agencies carrying the same wire story (its cluster), with links to their versions.
    pub also_reported_by: Vec<LinkView>,
    /// The story's full coverage page (`/stories/{id}`), when it came from a cluster.
    pub coverage_href: Option<String>,
    pub tags: Vec<LinkView>,
    pub related: Vec<Card>,
    pub author_boxes: Vec<AuthorBox>,
    pub newsletter: NewsletterForm,
    /// "Who is quoted": each speaker once, linking to their page, in order of appearance.
    pub quoted: Vec<LinkView>,
}

/// One quote on a person's page.
pub struct PersonQuoteView {
    pub text: String,
    pub article: LinkView,
    pub published: TimeView,
    pub channel: Option<String>,
    pub role: Option<String>,
}

#[derive(Template)]
#[template(path = "people.html")]
pub struct PeoplePage {
    pub layout: Layout,
    /// Name, page and number of quotes, the most quoted first.
    pub people: Vec<(LinkView, u64)>,
}

#[derive(Template)]
#[template(path = "person.html")]
pub struct PersonPage {
    pub layout: Layout,
    pub name: String,
    pub quotes: Vec<PersonQuoteView>,
    pub first_page: bool,
    pub first_url: String,
    pub next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub layout: Layout,
    /// "Author" or "Section": what the page lists articles of.
    pub kind: &'static str,
    pub heading: String,
    pub intro: String,
    pub profile: Option<AuthorBox>,
    pub items: Vec<Card>,
    pub first_page: bool,
    pub first_url: String,
    pub next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "newsletter.html")]
pub struct NewsletterPage {
    pub layout: Layout,
    pub heading: String,
    pub done: bool,
    pub newsletter: NewsletterForm,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPageView {
    pub layout: Layout,
    pub status: u16,
    pub heading: String,
    pub message: String,
}

pub fn article_url(a: &Article) -> String {
    format!("/articles/{}", a.slug)
}

pub fn author_url(a: &Author) -> String {
    format!("/authors/{}", a.slug)
}

pub fn tag_url(t: &Tag) -> String {
    format!("/tags/{}", t.slug)
}

pub fn photo_url(p: &Photo) -> String {
    let mut out = String::from("/uploads/");
    encode_path(&p.file, &mut out);
    out
}

/// Percent-encodes a relative file path for a URL, keeping `/` between segments.
fn encode_path(path: &str, out: &mut String) {
    for b in path.trim_start_matches('/').bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Author links come from the editor; only plain web and mail links become `href`s.
pub(crate) fn is_safe_link(url: &str) -> bool {
    let u = url.trim_start().to_ascii_lowercase();
    u.starts_with("https://") || u.starts_with("http://") || u.starts_with("mailto:")
}

pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// JSON for a `<script>` element: `<`, `>` and `&` become `\u003c`-style escapes, so neither
/// `</script>` nor `<!--` can appear in it; the JSON value is unchanged.
pub fn script_safe_json(v: &serde_json::Value) -> String {
    let raw = v.to_string();
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// NewsArticle structured data for search engines.
pub fn news_article_jsonld(site: &SiteSettings, a: &Article, canonical: &str) -> String {
    let published = a.published_at.unwrap_or(a.created_at);
    let modified = a.updated_at.max(published);
    let mut authors: Vec<serde_json::Value> = a
        .authors
        .iter()
        .map(|au| {
            serde_json::json!({
                "@type": "Person",
                "name": au.name,
                "url": site.url(&author_url(au)),
            })
        })
        .collect();
    // No byline: the article is the publisher's, as the page says too (never `"author": []`).
    if authors.is_empty() {
        authors.push(serde_json::json!({
            "@type": "Organization",
            "name": site.publisher,
            "url": site.url("/"),
        }));
    }
    let mut v = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": a.headline,
        "description": a.standfirst,
        "datePublished": iso(published),
        "dateModified": iso(modified),
        "author": authors,
        "publisher": {
            "@type": "Organization",
            "name": site.publisher,
            "url": site.url("/"),
        },
        "mainEntityOfPage": {
            "@type": "WebPage",
            "@id": canonical,
        },
        "url": canonical,
        "inLanguage": site.language,
    });
    if let Some(p) = &a.lead_photo {
        v["image"] = serde_json::json!([site.url(&photo_url(p))]);
    }
    if let Some(s) = &a.section {
        v["articleSection"] = serde_json::Value::String(s.name.clone());
    }
    if !a.tags.is_empty() {
        v["keywords"] = a
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
            .into();
    }
    script_safe_json(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escaper_uses_named_entities() {
        let mut out = String::new();
        askama::filters::Escaper::write_escaped_str(
            &HtmlEscaper,
            &mut out,
            "<a href=\"x\">Tom & Jerry's</a>é",
        )
        .expect("write");
        assert_eq!(
            out,
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;é"
        );
    }

    #[test]
    fn script_safe_json_cannot_close_the_script_element() {
        let v = serde_json::json!({"headline": "</script><script>alert(1)</script> & <!--"});
        let s = script_safe_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn photo_urls_are_percent_encoded() {
        let mut out = String::new();
        encode_path("2026/harbour at dawn?.svg", &mut out);
        assert_eq!(out, "2026/harbour%20at%20dawn%3F.svg");
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        assert!(is_safe_link("https://example.org"));
        assert!(is_safe_link("mailto:a@example.org"));
        assert!(!is_safe_link("javascript:alert(1)"));
        assert!(!is_safe_link(" JavaScript:alert(1)"));
    }
}
