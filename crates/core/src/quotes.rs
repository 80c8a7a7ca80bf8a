//! Who said what in our articles (issue 15): each article's quotations, found by
//! `newsdesk-quotes` when it is saved or ingested, and the people who said them.
//!
//! A speaker's name becomes a person through aliases: every way an article named them is kept
//! under its `person_key`, so "Antony Blinken" and "Secretary of State Antony Blinken" are one
//! key, and a bare surname or an initial ("Blinken", "A. Blinken") joins the one person it can
//! be (two candidates: it joins none rather than guess). An editor's fix of a speaker, or the
//! drop of a false quote, is kept in the store and wins over later re-extraction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};

pub use newsdesk_quotes::QuoteKind;
use newsdesk_quotes::names;

use crate::domain::Slug;
use crate::model::{Article, Cursor, Id, Page};
use crate::store::StoreResult;

/// People `/people` lists.
pub const MOST_QUOTED: u32 = 100;

/// A quotation to store, in article text order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewQuote {
    pub text: String,
    pub speaker: Option<String>,
    pub role: Option<String>,
    pub channel: Option<String>,
    pub kind: QuoteKind,
    /// Character offsets into the article's plain text ([`article_text`]).
    pub start: usize,
    pub end: usize,
}

/// A person as pages link to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: Id,
    pub slug: Slug,
    pub name: String,
}

/// A person with the number of their quotes readers can see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub person: Person,
    pub quotes: u64,
}

/// A stored quotation of one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleQuote {
    pub id: Id,
    pub article_id: Id,
    pub position: i64,
    /// The speaker's name as the article (or the editor) gave it.
    pub speaker: Option<String>,
    pub person: Option<Person>,
    pub text: String,
    pub role: Option<String>,
    pub channel: Option<String>,
    pub kind: QuoteKind,
    pub start: i64,
    pub end: i64,
    /// The speaker was set by an editor.
    pub editor_fixed: bool,
    /// An editor said this is no quote: readers never see it.
    pub dropped: bool,
}

/// One of a person's quotes with the article it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonQuote {
    pub quote: ArticleQuote,
    pub article_slug: Slug,
    pub headline: String,
    pub published_at: DateTime<Utc>,
}

#[async_trait]
pub trait QuoteStore: Send + Sync {
    /// Replaces the extracted quotes of `article_id` with `quotes`. Rows an editor fixed or
    /// dropped stay, and a new quote with the same words (or words containing theirs) is not
    /// added beside them; an editor's row whose words are no longer found goes.
    async fn replace_article_quotes(
        &self,
        article_id: Id,
        quotes: &[NewQuote],
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The article's quotes in text order, dropped ones included.
    async fn article_quotes(&self, article_id: Id) -> StoreResult<Vec<ArticleQuote>>;
    async fn quote(&self, id: Id) -> StoreResult<Option<ArticleQuote>>;
    /// An editor's speaker for a quote (`None`: nobody); it survives re-extraction.
    async fn fix_quote_speaker(
        &self,
        quote_id: Id,
        speaker: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<ArticleQuote>;
    /// Marks a quote false (or takes the mark back); it survives re-extraction.
    async fn set_quote_dropped(&self, quote_id: Id, dropped: bool) -> StoreResult<ArticleQuote>;
    /// People with quotes in articles visible at `visible_at`, the most quoted first (then by
    /// name); at most `limit`.
    async fn list_people(
        &self,
        visible_at: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<PersonSummary>>;
    async fn person_by_slug(&self, slug: &Slug) -> StoreResult<Option<Person>>;
    async fn person(&self, id: Id) -> StoreResult<Option<Person>>;
    /// A person's quotes in visible articles, newest article first, keyset-paginated on
    /// (published_at, quote id); at most `limit` (clamped to 1..=100).
    async fn person_quotes(
        &self,
        person_id: Id,
        visible_at: DateTime<Utc>,
        before: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Page<PersonQuote>>;
    /// Moves `gone`'s quotes and aliases to `keep` and deletes `gone`.
    async fn merge_people(&self, keep: Id, gone: Id) -> StoreResult<Person>;
    /// Ids of articles (any status) after `after`, ascending, at most `limit`.
    async fn article_ids_after(&self, after: Id, limit: u32) -> StoreResult<Vec<Id>>;
}

/// The keys a speaker's name is stored under: `(display name, person key, surname key)`.
/// `None` for a name with no letters.
pub fn name_keys(speaker: &str) -> Option<(String, String, String)> {
    let display = names::display_name(speaker);
    let key = names::person_key(speaker);
    let surname = names::surname_key(speaker)?;
    if key.is_empty() || display.is_empty() {
        return None;
    }
    Some((display, key, surname))
}

/// Which of the people behind `candidates` (person id, alias) `speaker` is: the one person
/// whose aliases may name them, or none when no one or several may.
pub fn pick_person(speaker: &str, candidates: &[(Id, String)]) -> Option<Id> {
    let mut found: Option<Id> = None;
    for (id, alias) in candidates {
        if names::same_person(speaker, alias) {
            match found {
                Some(f) if f != *id => return None,
                _ => found = Some(*id),
            }
        }
    }
    found
}

/// Whether `new` names a person more fully than `current` ("Antony Blinken" over "Blinken").
pub fn fuller_name(current: &str, new: &str) -> bool {
    names::person_key(new).split(' ').count() > names::person_key(current).split(' ').count()
}

/// An article's text as quotes are found in: the standfirst and body blocks as plain-text
/// paragraphs joined by a blank line, and the attributed block quotes of our own Markdown
/// (`> ...` closed by `> — Name, role, channel`), taken as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleText {
    pub text: String,
    pub given: Vec<NewQuote>,
}

/// Builds [`ArticleText`] from an article's standfirst and Markdown body.
pub fn article_text(standfirst: &str, body_markdown: &str) -> ArticleText {
    let mut b = TextBuilder::default();
    if !standfirst.trim().is_empty() {
        b.push_para(standfirst.trim());
    }
    let mut para = String::new();
    let mut in_block = false;
    // Paragraphs of the block quote being read (depth 1 only): checked for an attribution.
    let mut quote_paras: Option<Vec<String>> = None;
    let mut depth = 0usize;
    for ev in Parser::new(body_markdown) {
        match ev {
            Event::Start(Tag::BlockQuote(_)) => {
                depth += 1;
                if depth == 1 {
                    quote_paras = Some(Vec::new());
                }
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 0
                    && let Some(paras) = quote_paras.take()
                {
                    b.push_quote_block(paras);
                }
            }
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::Item) => {
                flush(&mut para, &mut b, &mut quote_paras);
                in_block = true;
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                flush(&mut para, &mut b, &mut quote_paras);
                in_block = false;
            }
            Event::Text(t) | Event::Code(t) => para.push_str(&t),
            Event::SoftBreak | Event::HardBreak if in_block => para.push(' '),
            _ => {}
        }
    }
    flush(&mut para, &mut b, &mut quote_paras);
    ArticleText {
        text: b.text,
        given: b.given,
    }
}

fn flush(para: &mut String, b: &mut TextBuilder, quote: &mut Option<Vec<String>>) {
    let p = para.trim();
    if !p.is_empty() {
        match quote {
            Some(paras) => paras.push(p.to_string()),
            None => {
                b.push_para(p);
            }
        }
    }
    para.clear();
}

#[derive(Default)]
struct TextBuilder {
    text: String,
    chars: usize,
    given: Vec<NewQuote>,
}

impl TextBuilder {
    /// Appends a paragraph; returns its character range.
    fn push_para(&mut self, p: &str) -> (usize, usize) {
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
            self.chars += 2;
        }
        let start = self.chars;
        self.text.push_str(p);
        self.chars += p.chars().count();
        (start, self.chars)
    }

    fn push_quote_block(&mut self, mut paras: Vec<String>) {
        let attribution = (paras.len() > 1)
            .then(|| paras.last().and_then(|l| parse_attribution(l)))
            .flatten();
        let Some((speaker, role, channel)) = attribution else {
            for p in &paras {
                self.push_para(p);
            }
            return;
        };
        paras.pop();
        let mut range: Option<(usize, usize)> = None;
        for p in &paras {
            let (s, e) = self.push_para(p);
            range = Some((range.map_or(s, |r| r.0), e));
        }
        if let Some((start, end)) = range {
            self.given.push(NewQuote {
                text: paras.join("\n\n"),
                speaker: Some(speaker),
                role,
                channel,
                kind: QuoteKind::Full,
                start,
                end,
            });
        }
    }
}

/// `— Name, role, in a channel` → (name, role, channel), as `markdown::render` reads it.
fn parse_attribution(line: &str) -> Option<(String, Option<String>, Option<String>)> {
    let t = line.trim_start();
    let rest = t
        .strip_prefix('—')
        .or_else(|| t.strip_prefix("--"))
        .or_else(|| t.strip_prefix('―'))?
        .trim();
    let mut parts = rest.split(", ").map(str::trim).filter(|p| !p.is_empty());
    let who = parts.next()?;
    let (title, name) = names::split_title(who);
    if name.is_empty() {
        return None;
    }
    let mut role = None;
    let mut channel = None;
    for part in parts {
        let lower = part.to_lowercase();
        let channel_words = ["in ", "on ", "via ", "to ", "at ", "speaking ", "told "];
        if channel.is_none() && channel_words.iter().any(|w| lower.starts_with(w)) {
            let c = ["in an ", "in a ", "in ", "on ", "via ", "at "]
                .iter()
                .find_map(|w| lower.starts_with(w).then(|| &part[w.len()..]))
                .unwrap_or(part);
            channel = Some(c.to_string());
        } else if role.is_none() {
            role = Some(part.to_string());
        }
    }
    Some((name, role.or(title), channel))
}

/// The quotes of an article's text: the attributed Markdown quotes as given, then what the
/// extractor finds in the rest of the text, in text order.
pub fn extract_quotes(text: &ArticleText) -> Vec<NewQuote> {
    let overlaps_given = |s: usize, e: usize| text.given.iter().any(|g| s < g.end && g.start < e);
    let mut out: Vec<NewQuote> = newsdesk_quotes::extract(&text.text)
        .into_iter()
        .filter(|q| !overlaps_given(q.start, q.end))
        .map(|q| NewQuote {
            text: q.text,
            speaker: q.speaker,
            role: q.role,
            channel: q.channel,
            kind: q.kind,
            start: q.start,
            end: q.end,
        })
        .collect();
    out.extend(text.given.iter().cloned());
    out.sort_by_key(|q| (q.start, q.end));
    out
}

/// The quotes of a stored article.
pub fn quotes_of_article(article: &Article) -> Vec<NewQuote> {
    extract_quotes(&article_text(&article.standfirst, &article.body_markdown))
}

/// Finds and stores the quotes of `article` (extraction runs off the async threads).
pub async fn refresh<S: QuoteStore + ?Sized>(store: &S, article: &Article) -> StoreResult<usize> {
    let (standfirst, body) = (article.standfirst.clone(), article.body_markdown.clone());
    let quotes =
        tokio::task::spawn_blocking(move || extract_quotes(&article_text(&standfirst, &body)))
            .await
            .map_err(|e| crate::store::StoreError::Backend(Box::new(e)))?;
    store
        .replace_article_quotes(article.id, &quotes, Utc::now())
        .await?;
    Ok(quotes.len())
}

/// Whether two quotes' words are the same quotation: equal, or one contains the other (a
/// rule change that moves a boundary keeps an editor's decision).
pub fn same_words(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && !b.is_empty() && (a == b || a.contains(&b) || b.contains(&a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributed_markdown_quote_is_taken_as_given() {
        let md = "The council met.\n\n> We will open the bridge in May.\n>\n> — Mayor Ada Morel, \
                  head of the council, in a statement\n\nMore followed.";
        let t = article_text("", md);
        assert_eq!(t.given.len(), 1);
        let q = &t.given[0];
        assert_eq!(q.speaker.as_deref(), Some("Ada Morel"));
        assert_eq!(q.role.as_deref(), Some("head of the council"));
        assert_eq!(q.channel.as_deref(), Some("statement"));
        let chars: String = t.text.chars().skip(q.start).take(q.end - q.start).collect();
        assert_eq!(chars, "We will open the bridge in May.");
        assert!(
            !t.text.contains("Morel,"),
            "the attribution is not body text"
        );
    }

    #[test]
    fn block_quote_without_attribution_is_plain_text() {
        let t = article_text("", "> Just a quote.\n\nText.");
        assert!(t.given.is_empty());
        assert_eq!(t.text, "Just a quote.\n\nText.");
    }

    #[test]
    fn extractor_quotes_and_given_quotes_come_in_text_order() {
        let md = "\u{201c}The roads are closed,\u{201d} said Lena Brook, the police chief.\n\n\
                  > Stay at home.\n>\n> — Tom Vale, mayor";
        let quotes = extract_quotes(&article_text("", md));
        let speakers: Vec<_> = quotes.iter().map(|q| q.speaker.as_deref()).collect();
        assert_eq!(speakers, vec![Some("Lena Brook"), Some("Tom Vale")]);
    }

    #[test]
    fn surname_joins_the_one_person_it_can_be() {
        let c = vec![
            (1, "Antony Blinken".to_string()),
            (2, "Bill Clinton".to_string()),
        ];
        assert_eq!(pick_person("Blinken", &c), Some(1));
        assert_eq!(pick_person("Hillary Clinton", &c), None);
        let two = vec![
            (1, "Bill Clinton".to_string()),
            (2, "Hillary Clinton".to_string()),
        ];
        assert_eq!(pick_person("Clinton", &two), None);
    }
}
