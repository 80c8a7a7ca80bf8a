//! Article extraction from raw HTML: bytes in, a structured article out. No I/O.
//!
//! ```
//! let html = b"<html><head><title>Pier reopens</title></head><body><article>\
//!     <h1>Pier reopens</h1><p>The old pier reopened on Monday after two years of repairs, \
//!     the council said, and hundreds of people walked its full length.</p></article></body></html>";
//! let article = newsdesk_extract::extract(html, Some("https://example.org/pier"), None).unwrap();
//! assert_eq!(article.title.as_deref(), Some("Pier reopens"));
//! assert!(article.text.starts_with("The old pier reopened"));
//! ```

mod content;
mod decode;
mod dom;
mod meta;
mod text;

use serde::Serialize;

/// Inputs larger than this are refused rather than parsed.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExtractError {
    #[error("not HTML: {0}")]
    NotHtml(String),
    #[error("input of {0} bytes is larger than the {MAX_INPUT_BYTES} byte limit")]
    TooLarge(usize),
    #[error("empty input")]
    Empty,
}

/// Whether the page is a single story or something else (home page, link
/// list, video page).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PageKind {
    Article,
    NotArticle,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

/// One piece of the article body, in reading order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    Heading {
        level: u8,
        text: String,
    },
    List {
        ordered: bool,
        items: Vec<String>,
    },
    Quote {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        attribution: Option<String>,
    },
    Figure {
        #[serde(skip_serializing_if = "Option::is_none")]
        image: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        credit: Option<String>,
    },
    /// An embedded social post or media player.
    Embed {
        provider: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    Preformatted {
        text: String,
    },
    Table {
        rows: Vec<Vec<String>>,
    },
}

impl Block {
    /// The block as plain text, the way it appears in [`Article::text`];
    /// `None` for blocks that are not part of the prose (figures, whose
    /// caption and credit are kept in the block, and players).
    pub fn plain_text(&self) -> Option<String> {
        match self {
            Block::Paragraph { text }
            | Block::Heading { text, .. }
            | Block::Preformatted { text } => Some(text.clone()),
            Block::List { items, .. } => Some(
                items
                    .iter()
                    .map(|i| format!("- {i}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Block::Quote { text, attribution } => Some(match attribution {
                // The attribution is already part of the quoted text on page.
                Some(_) | None => text.clone(),
            }),
            // Captions and credits stay in the figure block: like most
            // readers' plain-text views, the body text is the prose alone.
            Block::Figure { .. } => None,
            Block::Embed { text, .. } => text.clone(),
            Block::Table { rows } => Some(
                rows.iter()
                    .map(|r| r.join(" | "))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        }
    }
}

/// The structured result of extracting one page.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Article {
    pub kind: PageKind,
    /// Why the page is not an article, when `kind` is `not_article`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_article_reason: Option<String>,
    pub title: Option<String>,
    pub authors: Vec<String>,
    /// ISO 8601: a full timestamp when the page gives one, else a day.
    pub published: Option<String>,
    pub modified: Option<String>,
    /// Language code: the page's declared primary subtag (`en`), or an
    /// ISO 639-1 code detected from the text.
    pub language: Option<String>,
    pub site_name: Option<String>,
    pub url: Option<String>,
    pub canonical_url: Option<String>,
    pub description: Option<String>,
    pub lead_image: Option<Image>,
    pub blocks: Vec<Block>,
    /// Plain text of the body: headings on their own lines, blocks separated
    /// by a blank line.
    pub text: String,
    pub word_count: usize,
    /// The charset the page was decoded from.
    pub encoding: String,
}

/// Extracts the article from a page's raw bytes. `url` is where the page came
/// from (used to resolve links and as a date/site fallback); `content_type`
/// is the HTTP header, if any, for its charset.
pub fn extract(
    bytes: &[u8],
    url: Option<&str>,
    content_type: Option<&str>,
) -> Result<Article, ExtractError> {
    if bytes.is_empty() {
        return Err(ExtractError::Empty);
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ExtractError::TooLarge(bytes.len()));
    }
    let (html, encoding) = decode::decode(bytes, content_type)?;
    let stripped = decode::prestrip(&html);
    drop(html);
    let dom = dom::Dom::parse(&stripped);
    drop(stripped);
    let analysis = content::Analysis::new(&dom);
    let meta = meta::collect(&dom, &analysis.order, url);
    let base = meta.canonical_url.as_deref().or(url);

    let body = content::find_body(&dom, &analysis, meta.article_body.as_deref());
    let mut blocks = content::emit(&dom, &analysis, &body, meta.title.as_deref(), base);
    content::trim_header(
        &mut blocks,
        meta.title.as_deref(),
        meta.description.as_deref(),
        &meta.authors,
    );
    content::drop_author_bios(&mut blocks, &meta.authors);
    if blocks.is_empty()
        && let Some(b) = &meta.article_body
    {
        blocks = b
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| Block::Paragraph {
                text: p.to_string(),
            })
            .collect();
    }
    let text = blocks
        .iter()
        .filter_map(Block::plain_text)
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let word_count = text::word_count(&text);

    let lead_image = lead_image(&meta, &blocks, &content::all_figures(&dom, base));
    let language = language(&meta, &text);
    let (kind, reason) = classify(&meta, &blocks, word_count, url);
    Ok(Article {
        kind,
        not_article_reason: reason,
        title: meta.title,
        authors: meta.authors,
        published: meta.published,
        modified: meta.modified,
        language,
        site_name: meta.site_name,
        url: url.map(str::to_string),
        canonical_url: meta.canonical_url,
        description: meta.description,
        lead_image,
        blocks,
        text,
        word_count,
        encoding: encoding.name().to_string(),
    })
}

fn file_stem(u: &str) -> &str {
    let path = u.split(['?', '#']).next().unwrap_or(u);
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name)
}

fn lead_image(meta: &meta::Meta, blocks: &[Block], figures: &[Image]) -> Option<Image> {
    let first = content::first_figure(blocks);
    match &meta.image {
        Some(url) => {
            let mut img = Image {
                url: url.clone(),
                alt: meta.image_alt.clone(),
                caption: meta.image_caption.clone(),
                credit: meta.image_credit.clone(),
            };
            // The same picture shown in the body carries the visible caption.
            if let Some(f) = first
                .into_iter()
                .chain(figures.iter().cloned())
                .find(|f| file_stem(&f.url) == file_stem(url) && !file_stem(url).is_empty())
            {
                img.caption = f.caption.or(img.caption);
                img.credit = f.credit.or(img.credit);
            }
            Some(img)
        }
        None => first,
    }
}

fn language(meta: &meta::Meta, text: &str) -> Option<String> {
    if let Some(l) = &meta.declared_language {
        let primary = l
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Some(primary);
        }
    }
    let sample: String = text.chars().take(2000).collect();
    let info = whatlang::detect(&sample)?;
    if !info.is_reliable() {
        return None;
    }
    Some(iso639_1(info.lang()).to_string())
}

fn iso639_1(l: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match l {
        Eng => "en",
        Fra => "fr",
        Deu => "de",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Nld => "nl",
        Rus => "ru",
        Ukr => "uk",
        Pol => "pl",
        Ces => "cs",
        Swe => "sv",
        Dan => "da",
        Nob => "nb",
        Fin => "fi",
        Tur => "tr",
        Ara => "ar",
        Heb => "he",
        Hin => "hi",
        Jpn => "ja",
        Kor => "ko",
        Cmn => "zh",
        Ell => "el",
        Hun => "hu",
        Ron => "ro",
        Bul => "bg",
        Ind => "id",
        Vie => "vi",
        Tha => "th",
        Pes => "fa",
        other => other.code(),
    }
}

fn classify(
    meta: &meta::Meta,
    blocks: &[Block],
    words: usize,
    url: Option<&str>,
) -> (PageKind, Option<String>) {
    let og = meta.og_type.as_deref().unwrap_or("");
    let para_words: usize = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { text } | Block::Quote { text, .. } => Some(text::word_count(text)),
            _ => None,
        })
        .sum();
    let list_words: usize = blocks
        .iter()
        .filter_map(|b| match b {
            Block::List { items, .. } => {
                Some(items.iter().map(|i| text::word_count(i)).sum::<usize>())
            }
            _ => None,
        })
        .sum();
    let has_player = blocks.iter().any(|b| matches!(b, Block::Embed { .. }));
    let is_root = url.is_some_and(|u| {
        let after = u.split("://").nth(1).unwrap_or(u);
        let path = after.find('/').map_or("", |p| &after[p..]);
        let path = path.split(['?', '#']).next().unwrap_or("");
        path.is_empty() || path == "/"
    });
    let reason = if is_root && !meta.ld_is_article {
        Some("home page")
    } else if og.starts_with("video") && words < 150 {
        Some("video page")
    } else if has_player && words < 60 {
        Some("video or media page with little text")
    } else if words < 50 {
        Some("too little text for an article")
    } else if para_words < 80 && list_words > para_words * 2 {
        Some("list of links or items")
    } else {
        None
    };
    match reason {
        Some(r) => (PageKind::NotArticle, Some(r.to_string())),
        None => (PageKind::Article, None),
    }
}

/// Describes how the body was chosen (for tuning; not a stable interface).
#[doc(hidden)]
pub fn debug_body(bytes: &[u8], whole_tree: bool) -> String {
    let Ok((html, _)) = decode::decode(bytes, None) else {
        return "not html".into();
    };
    let dom = dom::Dom::parse(&decode::prestrip(&html));
    let an = content::Analysis::new(&dom);
    let meta = meta::collect(&dom, &an.order, None);
    let body = content::find_body(&dom, &an, meta.article_body.as_deref());
    let mut out = format!(
        "title={:?} ldbody={}\n",
        meta.title,
        meta.article_body.as_ref().map_or(0, |b| b.len())
    );
    if whole_tree {
        for c in dom.children(dom::Dom::ROOT) {
            out.push_str(&content::dump(&dom, &an, c, 40));
        }
    }
    for b in body {
        out.push_str(&content::describe(&dom, b));
        out.push('\n');
        out.push_str(&content::dump(&dom, &an, b, 4));
    }
    out
}
