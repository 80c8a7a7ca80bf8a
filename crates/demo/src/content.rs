//! The demo content as files: `authors.toml`, `tags.toml`, `photos.toml` and one Markdown file per
//! article with a TOML front matter between `+++` lines. Parsing is strict: unknown keys, missing
//! fields, dangling references and out-of-range times are errors that name the file.

use serde::Deserialize;

use super::DemoError;
use super::art::{Light, Scene};
use newsdesk_core::domain::Slug;
use newsdesk_core::model::{ArticleStatus, Link, SourceRef};

/// A file of the demo set: its name (for error messages) and its text.
#[derive(Debug, Clone, Copy)]
pub struct DemoFile {
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! demo_file {
    ($path:literal) => {
        DemoFile {
            name: $path,
            text: include_str!(concat!("../data/", $path)),
        }
    };
}

pub(crate) const AUTHORS: DemoFile = demo_file!("authors.toml");
pub(crate) const TAGS: DemoFile = demo_file!("tags.toml");
pub(crate) const PHOTOS: DemoFile = demo_file!("photos.toml");
pub(crate) const ARTICLES: &[DemoFile] = &[
    demo_file!("articles/01-assembly-emergency-budget.md"),
    demo_file!("articles/02-storm-surge-sea-wall.md"),
    demo_file!("articles/03-ondry-grain-record.md"),
    demo_file!("articles/04-border-crossing-reopens.md"),
    demo_file!("articles/05-mariners-promotion.md"),
    demo_file!("articles/06-seagrass-drones.md"),
    demo_file!("articles/07-lantern-theatre-buyout.md"),
    demo_file!("articles/08-bridge-contract-inquiry.md"),
    demo_file!("articles/09-wind-assembly-yard.md"),
    demo_file!("articles/10-tamsel-drought-restrictions.md"),
    demo_file!("articles/11-light-festival-programme.md"),
    demo_file!("articles/12-estrane-snap-election.md"),
];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAuthor {
    pub slug: Slug,
    pub name: String,
    pub bio: String,
    /// Key of an entry in `photos.toml`.
    pub photo: Option<String>,
    #[serde(default)]
    pub links: Vec<DemoLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoLink {
    pub label: String,
    pub url: String,
}

impl From<&DemoLink> for Link {
    fn from(l: &DemoLink) -> Link {
        Link {
            label: l.label.clone(),
            url: l.url.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoTag {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    /// Whether the tag is a section (Politics, World, ...): each article names exactly one.
    #[serde(default)]
    pub section: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPhoto {
    /// Also the file name: `demo/{key}.svg` under the uploads directory.
    pub key: Slug,
    pub scene: Scene,
    #[serde(default)]
    pub light: Light,
    pub seed: u64,
    pub alt: String,
    pub caption: String,
    /// "Photographer Name / Agency Name".
    pub credit: String,
}

impl DemoPhoto {
    pub fn file(&self) -> String {
        format!("demo/{}.svg", self.key)
    }
}

/// When an article appears, relative to the moment the demo is loaded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    Published { hours_ago: f64 },
    Scheduled { due_in_hours: f64 },
    Draft,
}

impl Timing {
    pub fn status(self) -> ArticleStatus {
        match self {
            Timing::Published { .. } => ArticleStatus::Published,
            Timing::Scheduled { .. } => ArticleStatus::Scheduled,
            Timing::Draft => ArticleStatus::Draft,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoArticle {
    pub file: &'static str,
    pub slug: Slug,
    pub headline: String,
    pub standfirst: String,
    /// Slug of the section tag; also in `tags`.
    pub section: Slug,
    /// All tags, section first.
    pub tags: Vec<Slug>,
    pub authors: Vec<Slug>,
    pub photo: Option<String>,
    pub timing: Timing,
    pub important: bool,
    pub source: Option<SourceRef>,
    pub body_markdown: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    slug: Slug,
    headline: String,
    standfirst: String,
    section: Slug,
    tags: Vec<Slug>,
    authors: Vec<Slug>,
    photo: Option<String>,
    status: ArticleStatus,
    hours_ago: Option<f64>,
    due_in_hours: Option<f64>,
    #[serde(default)]
    important: bool,
    source: Option<FrontSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontSource {
    agency: String,
    original_url: String,
}

/// Longest a demo article may be back-dated: the demo should look like the last fortnight.
const MAX_HOURS_AGO: f64 = 24.0 * 14.0;

fn err(file: &str, message: impl Into<String>) -> DemoError {
    DemoError::Content {
        file: file.to_owned(),
        message: message.into(),
    }
}

/// Splits `+++\n<toml>\n+++\n<body>` into the TOML and the body. The opening line must be the
/// file's first; the body must not be empty.
pub fn split_front_matter<'a>(file: &str, text: &'a str) -> Result<(&'a str, &'a str), DemoError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let after_open = text
        .strip_prefix("+++\n")
        .or_else(|| text.strip_prefix("+++\r\n"))
        .ok_or_else(|| {
            err(
                file,
                "must start with a `+++` line opening the front matter",
            )
        })?;
    let mut offset = 0;
    for line in after_open.split_inclusive('\n') {
        if line.trim_end_matches(['\r', '\n']) == "+++" {
            let front = &after_open[..offset];
            let body = &after_open[offset + line.len()..];
            if body.trim().is_empty() {
                return Err(err(
                    file,
                    "the article body after the front matter is empty",
                ));
            }
            return Ok((front, body));
        }
        offset += line.len();
    }
    Err(err(file, "the front matter is not closed by a `+++` line"))
}

fn require_text(file: &str, field: &str, value: &str) -> Result<(), DemoError> {
    if value.trim().is_empty() {
        Err(err(file, format!("`{field}` is empty")))
    } else {
        Ok(())
    }
}

/// Parses one article file on its own (references to tags, authors and photos are checked by
/// [`parse_all`]).
pub fn parse_article(file: &'static str, text: &str) -> Result<DemoArticle, DemoError> {
    let (front, body) = split_front_matter(file, text)?;
    let fm: FrontMatter =
        toml::from_str(front).map_err(|e| err(file, format!("front matter: {e}")))?;
    require_text(file, "headline", &fm.headline)?;
    require_text(file, "standfirst", &fm.standfirst)?;
    if fm.authors.is_empty() {
        return Err(err(file, "`authors` must name at least one author"));
    }
    let timing = match (fm.status, fm.hours_ago, fm.due_in_hours) {
        (ArticleStatus::Published, Some(h), None) if h > 0.0 && h <= MAX_HOURS_AGO => {
            Timing::Published { hours_ago: h }
        }
        (ArticleStatus::Published, Some(h), None) => {
            return Err(err(
                file,
                format!("`hours_ago` = {h} is outside 0 < hours_ago <= {MAX_HOURS_AGO}"),
            ));
        }
        (ArticleStatus::Published, _, _) => {
            return Err(err(
                file,
                "a published article needs `hours_ago` and no `due_in_hours`",
            ));
        }
        (ArticleStatus::Scheduled, None, Some(h)) if h > 0.0 && h <= 24.0 * 7.0 => {
            Timing::Scheduled { due_in_hours: h }
        }
        (ArticleStatus::Scheduled, _, _) => {
            return Err(err(
                file,
                "a scheduled article needs `due_in_hours` (0 < h <= 168) and no `hours_ago`",
            ));
        }
        (ArticleStatus::Draft, None, None) => Timing::Draft,
        (ArticleStatus::Draft, _, _) => {
            return Err(err(file, "a draft has no `hours_ago` or `due_in_hours`"));
        }
    };
    let source = match fm.source {
        None => None,
        Some(s) => {
            require_text(file, "source.agency", &s.agency)?;
            if !is_example_url(&s.original_url) {
                return Err(err(
                    file,
                    format!(
                        "`source.original_url` {:?} must be an https URL on an example.org/.net/.com domain",
                        s.original_url
                    ),
                ));
            }
            Some(SourceRef {
                agency: s.agency,
                original_url: s.original_url,
            })
        }
    };
    let mut tags = vec![fm.section.clone()];
    for t in fm.tags {
        if tags.contains(&t) {
            if t != fm.section {
                return Err(err(file, format!("tag {t} is listed twice")));
            }
        } else {
            tags.push(t);
        }
    }
    Ok(DemoArticle {
        file,
        slug: fm.slug,
        headline: fm.headline,
        standfirst: fm.standfirst,
        section: fm.section,
        tags,
        authors: fm.authors,
        photo: fm.photo,
        timing,
        important: fm.important,
        source,
        body_markdown: body.trim().to_owned() + "\n",
    })
}

/// Fictional stories may only point at the reserved example domains.
fn is_example_url(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    ["example.org", "example.net", "example.com"]
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthorsFile {
    author: Vec<DemoAuthor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagsFile {
    tag: Vec<DemoTag>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhotosFile {
    photo: Vec<DemoPhoto>,
}

/// The whole demo set, parsed and cross-checked.
#[derive(Debug, Clone)]
pub struct DemoContent {
    pub authors: Vec<DemoAuthor>,
    pub tags: Vec<DemoTag>,
    pub photos: Vec<DemoPhoto>,
    pub articles: Vec<DemoArticle>,
}

fn parse_toml<T: serde::de::DeserializeOwned>(f: DemoFile) -> Result<T, DemoError> {
    toml::from_str(f.text).map_err(|e| err(f.name, e.to_string()))
}

/// Parses the embedded demo files and checks that they fit together.
pub fn parse_all() -> Result<DemoContent, DemoError> {
    let authors: AuthorsFile = parse_toml(AUTHORS)?;
    let tags: TagsFile = parse_toml(TAGS)?;
    let photos: PhotosFile = parse_toml(PHOTOS)?;
    let articles = ARTICLES
        .iter()
        .map(|f| parse_article(f.name, f.text))
        .collect::<Result<Vec<_>, _>>()?;
    let content = DemoContent {
        authors: authors.author,
        tags: tags.tag,
        photos: photos.photo,
        articles,
    };
    check(&content)?;
    Ok(content)
}

fn unique<'a>(
    file: &str,
    what: &str,
    keys: impl Iterator<Item = &'a str>,
) -> Result<(), DemoError> {
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        if !seen.insert(k) {
            return Err(err(file, format!("{what} {k:?} is used twice")));
        }
    }
    Ok(())
}

fn check(c: &DemoContent) -> Result<(), DemoError> {
    unique(
        AUTHORS.name,
        "author slug",
        c.authors.iter().map(|a| a.slug.as_str()),
    )?;
    unique(
        TAGS.name,
        "tag slug",
        c.tags.iter().map(|t| t.slug.as_str()),
    )?;
    unique(
        PHOTOS.name,
        "photo key",
        c.photos.iter().map(|p| p.key.as_str()),
    )?;
    unique(
        "articles/",
        "article slug",
        c.articles.iter().map(|a| a.slug.as_str()),
    )?;
    for p in &c.photos {
        for (field, v) in [
            ("alt", &p.alt),
            ("caption", &p.caption),
            ("credit", &p.credit),
        ] {
            require_text(PHOTOS.name, &format!("{}.{field}", p.key), v)?;
        }
        if !p.credit.contains(" / ") {
            return Err(err(
                PHOTOS.name,
                format!("{}: credit must read \"Photographer / Agency\"", p.key),
            ));
        }
    }
    let photo_known = |k: &str| c.photos.iter().any(|p| p.key.as_str() == k);
    for a in &c.authors {
        require_text(AUTHORS.name, &format!("{}.name", a.slug), &a.name)?;
        require_text(AUTHORS.name, &format!("{}.bio", a.slug), &a.bio)?;
        if let Some(p) = &a.photo
            && !photo_known(p)
        {
            return Err(err(
                AUTHORS.name,
                format!("{}: unknown photo {p:?}", a.slug),
            ));
        }
    }
    for a in &c.articles {
        let section = c.tags.iter().find(|t| t.slug == a.section);
        if !section.is_some_and(|t| t.section) {
            return Err(err(
                a.file,
                format!(
                    "section {:?} is not a section tag in tags.toml",
                    a.section.as_str()
                ),
            ));
        }
        for t in &a.tags[1..] {
            match c.tags.iter().find(|x| &x.slug == t) {
                None => return Err(err(a.file, format!("unknown tag {:?}", t.as_str()))),
                Some(x) if x.section => {
                    return Err(err(
                        a.file,
                        format!("{:?} is a second section; an article has one", t.as_str()),
                    ));
                }
                Some(_) => {}
            }
        }
        for au in &a.authors {
            if !c.authors.iter().any(|x| &x.slug == au) {
                return Err(err(a.file, format!("unknown author {:?}", au.as_str())));
            }
        }
        if let Some(p) = &a.photo
            && !photo_known(p)
        {
            return Err(err(a.file, format!("unknown photo {p:?}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\nslug = \"a-story\"\nheadline = \"A story\"\nstandfirst = \"What happened.\"\n\
        section = \"politics\"\ntags = [\"kessling\"]\nauthors = [\"elena-marsh\"]\nstatus = \"published\"\n\
        hours_ago = 5\n+++\n\nBody text.\n";

    fn parse(text: &str) -> Result<DemoArticle, DemoError> {
        parse_article("test.md", text)
    }

    fn message(text: &str) -> String {
        match parse(text) {
            Err(DemoError::Content { file, message }) => {
                assert_eq!(file, "test.md");
                message
            }
            other => panic!("expected a content error, got {other:?}"),
        }
    }

    #[test]
    fn good_front_matter_parses() {
        let a = parse(GOOD).expect("parses");
        assert_eq!(a.slug.as_str(), "a-story");
        assert_eq!(
            a.tags.iter().map(Slug::as_str).collect::<Vec<_>>(),
            ["politics", "kessling"]
        );
        assert_eq!(a.timing, Timing::Published { hours_ago: 5.0 });
        assert_eq!(a.body_markdown, "Body text.\n");
        assert!(!a.important);
        assert_eq!(a.source, None);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        assert_eq!(parse(&crlf).expect("parses").slug.as_str(), "a-story");
    }

    #[test]
    fn source_and_schedule_parse() {
        let text = GOOD.replace("status = \"published\"\nhours_ago = 5\n", "status = \"scheduled\"\ndue_in_hours = 2\nimportant = true\n[source]\nagency = \"Northwind Wire\"\noriginal_url = \"https://wire.example.net/x\"\n");
        let a = parse(&text).expect("parses");
        assert_eq!(a.timing, Timing::Scheduled { due_in_hours: 2.0 });
        assert!(a.important);
        assert_eq!(a.source.expect("source").agency, "Northwind Wire");
    }

    #[test]
    fn missing_delimiters_are_refused() {
        assert!(message("slug = \"x\"\n").contains("must start with"));
        assert!(message("+++\nslug = \"x\"\nBody\n").contains("not closed"));
        assert!(message(" +++\nslug = \"x\"\n+++\nBody\n").contains("must start with"));
    }

    #[test]
    fn empty_body_is_refused() {
        let text = GOOD.replace("\nBody text.\n", "\n  \n");
        assert!(message(&text).contains("body"));
    }

    #[test]
    fn unknown_and_missing_keys_are_refused() {
        assert!(
            message(&GOOD.replace("hours_ago = 5", "hours_ago = 5\ncolour = \"red\""))
                .contains("colour")
        );
        assert!(message(&GOOD.replace("headline = \"A story\"\n", "")).contains("headline"));
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(message(&GOOD.replace("a-story", "A Story!")).contains("slug"));
        assert!(message(&GOOD.replace("\"published\"", "\"live\"")).contains("front matter"));
        assert!(message(&GOOD.replace("hours_ago = 5", "hours_ago = -1")).contains("hours_ago"));
        assert!(message(&GOOD.replace("hours_ago = 5", "hours_ago = 5000")).contains("hours_ago"));
        assert!(message(&GOOD.replace("hours_ago = 5\n", "")).contains("hours_ago"));
        assert!(
            message(&GOOD.replace("\"published\"\nhours_ago = 5", "\"draft\"\nhours_ago = 5"))
                .contains("draft")
        );
        assert!(
            message(&GOOD.replace("\"published\"\nhours_ago = 5", "\"scheduled\""))
                .contains("due_in_hours")
        );
        assert!(message(&GOOD.replace("[\"elena-marsh\"]", "[]")).contains("authors"));
        assert!(message(&GOOD.replace("\"A story\"", "\"  \"")).contains("headline"));
        assert!(
            message(&GOOD.replace("[\"kessling\"]", "[\"kessling\", \"kessling\"]"))
                .contains("twice")
        );
    }

    #[test]
    fn invalid_toml_is_reported_with_the_file() {
        assert!(message("+++\nslug = \n+++\nBody\n").contains("front matter"));
    }

    #[test]
    fn source_url_must_be_an_example_domain() {
        let with = |url: &str| {
            GOOD.replace(
                "hours_ago = 5\n",
                &format!("hours_ago = 5\n[source]\nagency = \"A\"\noriginal_url = \"{url}\"\n"),
            )
        };
        assert!(parse(&with("https://www.example.org/a")).is_ok());
        assert!(parse(&with("https://example.net/a?b")).is_ok());
        assert!(message(&with("https://news.example.org.evil.test/a")).contains("example"));
        assert!(message(&with("http://example.org/a")).contains("example"));
        assert!(message(&with("https://notexample.org/a")).contains("example"));
    }
}
