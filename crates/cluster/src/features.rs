//! What a story is reduced to for event clustering: weighted sparse vectors per signal.
//!
//! Five signals, each its own L2-normalised tf-idf vector so that one long body cannot drown the
//! rest: headline terms, body terms (the first words of the body: the lead says what happened,
//! later paragraphs drift into background), named entities (capitalised words away from a
//! sentence start, and runs of two), numbers, and words inside quotation marks. Document
//! frequencies come from [`DocFreqs`]: the stream seen so far or the store, never a corpus known up
//! front, so the weights are what the desk really knows at the time.

use crate::fingerprint::{self, Fingerprint};
use crate::text::{self, Analyzer, Language};
use rustc_hash::FxHashMap;

/// A sparse vector: (key, weight) sorted by key.
pub type SparseVec = Vec<(u64, f32)>;

/// The signals, in the order of [`Features::vectors`] and of the similarity parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Title = 0,
    Body = 1,
    Entities = 2,
    Numbers = 3,
    Quotes = 4,
}

pub const SIGNALS: usize = 5;

impl Signal {
    pub const ALL: [Signal; SIGNALS] = [
        Signal::Title,
        Signal::Body,
        Signal::Entities,
        Signal::Numbers,
        Signal::Quotes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Signal::Title => "title",
            Signal::Body => "body",
            Signal::Entities => "entities",
            Signal::Numbers => "numbers",
            Signal::Quotes => "quotes",
        }
    }

    /// The key of a term hash under this signal: one document-frequency table holds them all.
    fn key(self, term: u64) -> u64 {
        splitmix(term ^ (self as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Document frequencies as the desk knows them.
pub trait DocFreqs {
    /// Stories counted so far.
    fn documents(&self) -> u64;
    /// Stories counted so far that had this key.
    fn doc_freq(&self, key: u64) -> u64;
}

/// A story as the clustering sees it.
#[derive(Debug, Clone, Copy)]
pub struct StoryText<'a> {
    pub title: &'a str,
    pub text: &'a str,
    /// Unix seconds.
    pub published: Option<i64>,
    /// ISO 639 code; detected from the text when absent.
    pub language: Option<&'a str>,
    /// Who published it (any stable name): one source does not write one event up twice in
    /// different words, so a second text of its own never joins by event similarity.
    pub source: Option<&'a str>,
}

/// Settings of the featuriser that change what a story is reduced to.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSettings {
    /// Body words read (the lead of the story).
    pub body_words: usize,
    /// Body terms kept per story (the heaviest), bounding centroid size and comparison cost.
    pub body_terms: usize,
    /// Body terms of a story that go into the candidate index.
    pub index_body_terms: usize,
    /// Headline words also count this many times in the body vector: they say what the story is.
    pub title_in_body: u32,
    /// A key found in more than this share of stories is too common to find candidates by.
    pub index_max_df_share: f64,
    /// Count names in the body vector too (they have their own signal).
    pub names_in_body: bool,
}

impl Default for FeatureSettings {
    fn default() -> Self {
        FeatureSettings {
            body_words: 500,
            body_terms: 120,
            index_body_terms: 12,
            index_max_df_share: 0.05,
            title_in_body: 2,
            names_in_body: true,
        }
    }
}

/// Raw counts of a story, before weighting: what goes into the document frequencies.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub language: Option<Language>,
    pub(crate) tf: [FxHashMap<u64, u32>; SIGNALS],
    pub fingerprint: Option<Fingerprint>,
}

impl Counts {
    /// Every distinct key of the story, for the document frequencies.
    pub fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        self.tf.iter().flat_map(|m| m.keys().copied())
    }
}

/// A weighted story, ready to compare with clusters.
#[derive(Debug, Clone, Default)]
pub struct Features {
    pub published: Option<i64>,
    /// Stories counted in the document frequencies the weights came from.
    pub documents: u64,
    /// Hash of [`StoryText::source`].
    pub source: Option<u64>,
    /// One normalised vector per [`Signal`].
    pub vectors: [SparseVec; SIGNALS],
    /// Keys to find candidate clusters by, with their idf.
    pub index_keys: Vec<(u64, f32)>,
    pub fingerprint: Fingerprint,
}

/// Analysers per language, created on first use.
#[derive(Debug, Default)]
pub struct Featurizer {
    analyzers: FxHashMap<Language, Analyzer>,
    pub settings: FeatureSettings,
}

impl Featurizer {
    pub fn new(settings: FeatureSettings) -> Featurizer {
        Featurizer {
            analyzers: FxHashMap::default(),
            settings,
        }
    }

    /// Tokenises, stems and counts a story.
    pub fn count(&mut self, story: &StoryText<'_>) -> Counts {
        // Many sources repeat the headline as the body's first line.
        let body = story
            .text
            .trim_start()
            .strip_prefix(story.title.trim())
            .unwrap_or(story.text);
        let language = match story.language {
            Some(code) if !code.trim().is_empty() => Language::from_code(code),
            _ => {
                // A few hundred characters tell the language as well as the whole text, at a
                // fraction of the cost (detection is the costliest step after the fingerprint).
                let mut sample = String::with_capacity(400);
                sample.push_str(story.title);
                sample.push(' ');
                sample.extend(body.chars().take(300));
                Language::detect(&sample)
            }
        };
        let analyzer = self
            .analyzers
            .entry(language)
            .or_insert_with(|| Analyzer::new(language));
        let mut counts = Counts {
            language: Some(language),
            ..Counts::default()
        };
        let [title_tf, body_tf, entity_tf, number_tf, quote_tf] = &mut counts.tf;
        let title_in_body = self.settings.title_in_body;
        text::tokens(story.title, |w, f| {
            if f.number {
                *number_tf
                    .entry(Signal::Numbers.key(number_term(w)))
                    .or_default() += 1;
            } else if let Some(t) = analyzer.term(w) {
                *title_tf.entry(Signal::Title.key(t)).or_default() += 1;
                if title_in_body > 0 {
                    *body_tf.entry(Signal::Body.key(t)).or_default() += title_in_body;
                }
            }
        });
        let mut seen = 0usize;
        // The previous token, when it was a name: two in a row make a two-word entity.
        let mut prev_entity: Option<u64> = None;
        text::tokens(body, |w, f| {
            if seen >= self.settings.body_words {
                return;
            }
            seen += 1;
            if f.number {
                prev_entity = None;
                let n = number_term(w);
                // Single digits are counts of everything; they find nothing.
                if w.len() > 1 {
                    *number_tf.entry(Signal::Numbers.key(n)).or_default() += 1;
                }
                return;
            }
            let Some(t) = analyzer.term(w) else {
                prev_entity = None;
                return;
            };
            let is_name = f.capitalised && !f.sentence_start && w.chars().count() > 1;
            if !is_name || self.settings.names_in_body {
                *body_tf.entry(Signal::Body.key(t)).or_default() += 1;
            }
            if f.quoted {
                *quote_tf.entry(Signal::Quotes.key(t)).or_default() += 1;
            }
            if f.capitalised && !f.sentence_start && w.chars().count() > 1 {
                // Names unstemmed but case-folded: "Paris" and "parís" are different names.
                let name = text::hash_str(&w.to_lowercase());
                *entity_tf.entry(Signal::Entities.key(name)).or_default() += 1;
                if let Some(p) = prev_entity {
                    *entity_tf
                        .entry(Signal::Entities.key(splitmix(p ^ name)))
                        .or_default() += 1;
                }
                prev_entity = Some(name);
            } else {
                prev_entity = None;
            }
        });
        counts.fingerprint = Some(fingerprint::fingerprint(body));
        counts
    }

    /// Weights counted story `counts` by the document frequencies `df` (which should already
    /// include the story itself).
    pub fn weigh(&self, counts: Counts, story: &StoryText<'_>, df: &impl DocFreqs) -> Features {
        let published = story.published;
        let n = df.documents().max(1) as f64;
        let idf = |key: u64| -> f64 {
            let d = df.doc_freq(key).max(1) as f64;
            (1.0 + n / d).ln()
        };
        let max_df = (self.settings.index_max_df_share * n).max(3.0);
        let mut features = Features {
            published,
            documents: df.documents(),
            source: story
                .source
                .filter(|s| !s.trim().is_empty())
                .map(|s| text::hash_str(s.trim())),
            ..Features::default()
        };
        for (i, tf) in counts.tf.iter().enumerate() {
            let mut v: SparseVec = tf
                .iter()
                .map(|(&k, &c)| (k, ((1.0 + f64::from(c).ln()) * idf(k)) as f32))
                .collect();
            if i == Signal::Body as usize {
                // Heaviest first; ties by key so that the choice is stable.
                v.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                for &(k, _) in v.iter().take(self.settings.index_body_terms) {
                    if (df.doc_freq(k) as f64) <= max_df {
                        features.index_keys.push((k, idf(k) as f32));
                    }
                }
                v.truncate(self.settings.body_terms);
            } else if i != Signal::Quotes as usize {
                for &(k, _) in &v {
                    if (df.doc_freq(k) as f64) <= max_df {
                        features.index_keys.push((k, idf(k) as f32));
                    }
                }
            }
            v.sort_unstable_by_key(|e| e.0);
            normalise(&mut v);
            features.vectors[i] = v;
        }
        features.fingerprint = counts.fingerprint.unwrap_or_default();
        features
    }
}

/// Digits only: "1,250" and "1250" are one number.
fn number_term(w: &str) -> u64 {
    let digits: String = w.chars().filter(char::is_ascii_alphanumeric).collect();
    text::hash_str(&digits)
}

fn normalise(v: &mut SparseVec) {
    let norm = v.iter().map(|e| f64::from(e.1).powi(2)).sum::<f64>().sqrt();
    if norm > 0.0 {
        for e in v.iter_mut() {
            e.1 = (f64::from(e.1) / norm) as f32;
        }
    }
}
