//! The index layout: which fields exist, how each is analysed, and the per-language analysers.
//!
//! tantivy picks a tokenizer per field, not per document, so the stemmed text fields exist once per
//! supported language (`headline_en`, `text_en`, ...) and a document fills those of its own
//! language. Queries only visit the languages present in the index. Names (tags, authors, agency,
//! people) are folded but never stemmed: "Morel" must not become "morel" the verb's stem.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenizerManager,
};

/// Bumped whenever the layout or an analyser changes: an index of another version is rebuilt.
pub(crate) const SCHEMA_VERSION: &str = "newsdesk-search-3";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Lang {
    En,
    Fr,
    De,
    Es,
    It,
    Pt,
    Nl,
    /// Any other language: folded words, no stemming, no stop words.
    Other,
}

pub(crate) const LANGS: [Lang; 8] = [
    Lang::En,
    Lang::Fr,
    Lang::De,
    Lang::Es,
    Lang::It,
    Lang::Pt,
    Lang::Nl,
    Lang::Other,
];

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Nl => "nl",
            Lang::Other => "xx",
        }
    }

    /// From an ISO 639-1 code or a tag like `en-GB`.
    pub fn from_code(code: &str) -> Lang {
        let primary = code
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        LANGS
            .into_iter()
            .find(|l| *l != Lang::Other && l.code() == primary)
            .unwrap_or(Lang::Other)
    }

    pub fn index(self) -> usize {
        LANGS
            .iter()
            .position(|l| *l == self)
            .unwrap_or(LANGS.len() - 1)
    }

    fn snowball(self) -> Option<Language> {
        match self {
            Lang::En => Some(Language::English),
            Lang::Fr => Some(Language::French),
            Lang::De => Some(Language::German),
            Lang::Es => Some(Language::Spanish),
            Lang::It => Some(Language::Italian),
            Lang::Pt => Some(Language::Portuguese),
            Lang::Nl => Some(Language::Dutch),
            Lang::Other => None,
        }
    }

    pub fn analyzer_name(self) -> String {
        format!("nd_{}", self.code())
    }
}

pub(crate) const NAMES_ANALYZER: &str = "nd_names";

/// Tokens longer than this are not words (hashes, URLs, base64): they would only bloat the index.
const MAX_TOKEN_BYTES: usize = 40;

/// Lower-case, drop the language's stop words, stem, then fold accents (folding after stemming so
/// the stemmer sees the real word, while "cafe" still finds "café").
pub(crate) fn analyzer(lang: Lang) -> TextAnalyzer {
    let mut b = TextAnalyzer::builder(SimpleTokenizer::default())
        .dynamic()
        .filter_dynamic(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter_dynamic(LowerCaser);
    if let Some(language) = lang.snowball() {
        if let Some(stop) = StopWordFilter::new(language) {
            b = b.filter_dynamic(stop);
        }
        b = b.filter_dynamic(Stemmer::new(language));
    }
    b.filter_dynamic(AsciiFoldingFilter).build()
}

pub(crate) fn names_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub(crate) fn register(tokenizers: &TokenizerManager) {
    for lang in LANGS {
        tokenizers.register(&lang.analyzer_name(), analyzer(lang));
    }
    tokenizers.register(NAMES_ANALYZER, names_analyzer());
}

/// A name folded for prefix matching ("Ada Morel" -> "ada morel").
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut a = names_analyzer();
    let mut stream = a.token_stream(s);
    while let Some(t) = stream.next() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// Separates the folded key from the name shown in suggestion terms (`ada morel\u{1f}Ada Morel`).
pub(crate) const KEY_SEP: char = '\u{1f}';

#[derive(Clone)]
pub(crate) struct Fields {
    pub schema: Schema,
    pub id: Field,
    pub slug: Field,
    pub status: Field,
    pub lang: Field,
    pub headline: Field,
    pub standfirst: Field,
    pub body: Field,
    /// Stemmed headline per language (index by [`Lang::index`]).
    pub headline_l: Vec<Field>,
    /// Stemmed standfirst and body per language.
    pub text_l: Vec<Field>,
    /// Tag, section, author, agency and people names, folded.
    pub names: Field,
    /// Every word unstemmed, for spelling suggestions (document frequency only).
    pub spell: Field,
    /// Headline words unstemmed, for search-as-you-type.
    pub headline_plain: Field,
    pub section: Field,
    pub section_name: Field,
    pub tag: Field,
    pub author: Field,
    pub agency: Field,
    pub agency_name: Field,
    pub people: Field,
    /// `folded key` + [`KEY_SEP`] + display name, one per name and per word start of it.
    pub person_key: Field,
    pub tag_key: Field,
    pub published: Field,
    pub updated: Field,
    pub cluster: Field,
}

impl Fields {
    pub fn build() -> Fields {
        let mut b = Schema::builder();
        let id = b.add_u64_field("id", INDEXED | FAST | STORED);
        let slug = b.add_text_field("slug", STORED);
        let status = b.add_u64_field("status", FAST | STORED);
        let lang = b.add_text_field("lang", STRING | STORED);
        let headline = b.add_text_field("headline", STORED);
        let standfirst = b.add_text_field("standfirst", STORED);
        let body = b.add_text_field("body", STORED);
        let positions = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let docs_only = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_fieldnorms(false)
                    .set_index_option(IndexRecordOption::Basic),
            )
        };
        let mut headline_l = Vec::new();
        let mut text_l = Vec::new();
        for l in LANGS {
            let name = l.analyzer_name();
            headline_l.push(b.add_text_field(&format!("headline_{}", l.code()), positions(&name)));
            text_l.push(b.add_text_field(&format!("text_{}", l.code()), positions(&name)));
        }
        let names = b.add_text_field("names", positions(NAMES_ANALYZER));
        let spell = b.add_text_field("spell", docs_only(NAMES_ANALYZER));
        let headline_plain = b.add_text_field("headline_plain", docs_only(NAMES_ANALYZER));
        let section = b.add_text_field("section", STRING | STORED);
        let section_name = b.add_text_field("section_name", STORED);
        let tag = b.add_text_field("tag", STRING | STORED);
        let author = b.add_text_field("author", STRING | STORED);
        let agency = b.add_text_field("agency", STRING);
        let agency_name = b.add_text_field("agency_name", STORED);
        let people = b.add_text_field("people", STORED);
        let person_key = b.add_text_field("person_key", STRING);
        let tag_key = b.add_text_field("tag_key", STRING);
        let date = DateOptions::default()
            .set_stored()
            .set_fast()
            .set_precision(DateTimePrecision::Microseconds);
        let published = b.add_date_field("published", date.clone());
        let updated = b.add_date_field("updated", DateOptions::default().set_stored());
        let cluster = b.add_u64_field("cluster", INDEXED | FAST | STORED);
        Fields {
            schema: b.build(),
            id,
            slug,
            status,
            lang,
            headline,
            standfirst,
            body,
            headline_l,
            text_l,
            names,
            spell,
            headline_plain,
            section,
            section_name,
            tag,
            author,
            agency,
            agency_name,
            people,
            person_key,
            tag_key,
            published,
            updated,
            cluster,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(lang: Lang, text: &str) -> Vec<String> {
        let mut a = analyzer(lang);
        let mut s = a.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = s.next() {
            out.push(t.text.clone());
        }
        out
    }

    #[test]
    fn english_drops_stop_words_and_stems() {
        assert_eq!(
            tokens(Lang::En, "The ferries are running"),
            vec!["ferri", "run"]
        );
    }

    #[test]
    fn french_stems_with_its_own_rules_and_folds_accents() {
        assert_eq!(tokens(Lang::Fr, "les élections"), vec!["elect"]);
    }

    #[test]
    fn unknown_languages_are_folded_but_not_stemmed() {
        assert_eq!(Lang::from_code("sw"), Lang::Other);
        assert_eq!(Lang::from_code("en-GB"), Lang::En);
        assert_eq!(tokens(Lang::Other, "Habari Zote"), vec!["habari", "zote"]);
    }

    #[test]
    fn names_are_folded_for_prefixes() {
        assert_eq!(fold("  Zoë  O'Neill "), "zoe o neill");
    }
}
