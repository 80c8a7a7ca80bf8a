//! Text analysis for event clustering: language, tokens, stop words and stems.
//!
//! A story is read as a stream of tokens that remember what the clustering cares about besides
//! the word itself: whether it was capitalised away from a sentence start (a name), whether it
//! stood inside quotation marks, and whether it is a number (`1,250` and `3.5` stay whole).
//! Stems come from the Snowball stemmer of the story's language, cached per word, because
//! stemming is the costly step and news vocabulary repeats.

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

/// A language the analyser knows: a Snowball stemmer and a stop-word list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    German,
    French,
    Spanish,
    Italian,
    Portuguese,
    Dutch,
    Swedish,
    Danish,
    Norwegian,
    Finnish,
    Russian,
    Romanian,
    Hungarian,
    Turkish,
    /// Anything else: words are lower-cased, never stemmed.
    Other,
}

impl Language {
    /// From an ISO 639-1 or 639-3 code (`en`, `eng`, `de-AT`); unknown codes are [`Language::Other`].
    pub fn from_code(code: &str) -> Language {
        let primary = code
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" | "eng" => Language::English,
            "de" | "deu" | "ger" => Language::German,
            "fr" | "fra" | "fre" => Language::French,
            "es" | "spa" => Language::Spanish,
            "it" | "ita" => Language::Italian,
            "pt" | "por" => Language::Portuguese,
            "nl" | "nld" | "dut" => Language::Dutch,
            "sv" | "swe" => Language::Swedish,
            "da" | "dan" => Language::Danish,
            "nb" | "nn" | "no" | "nob" | "nno" | "nor" => Language::Norwegian,
            "fi" | "fin" => Language::Finnish,
            "ru" | "rus" => Language::Russian,
            "ro" | "ron" | "rum" => Language::Romanian,
            "hu" | "hun" => Language::Hungarian,
            "tr" | "tur" => Language::Turkish,
            _ => Language::Other,
        }
    }

    /// The language of a text sample. Function words first: when one language's stop words make
    /// a clear share of the first words, that is the language (a tenth of whatlang's cost);
    /// otherwise whatlang when it is confident; English otherwise, since an unreliable guess on a
    /// short text is more often wrong than the desk's usual language.
    pub fn detect(sample: &str) -> Language {
        if let Some(l) = by_function_words(sample) {
            return l;
        }
        match whatlang::detect(sample) {
            Some(info) if info.is_reliable() => Language::from_code(info.lang().code()),
            _ => Language::English,
        }
    }

    fn algorithm(self) -> Option<Algorithm> {
        Some(match self {
            Language::English => Algorithm::English,
            Language::German => Algorithm::German,
            Language::French => Algorithm::French,
            Language::Spanish => Algorithm::Spanish,
            Language::Italian => Algorithm::Italian,
            Language::Portuguese => Algorithm::Portuguese,
            Language::Dutch => Algorithm::Dutch,
            Language::Swedish => Algorithm::Swedish,
            Language::Danish => Algorithm::Danish,
            Language::Norwegian => Algorithm::Norwegian,
            Language::Finnish => Algorithm::Finnish,
            Language::Russian => Algorithm::Russian,
            Language::Romanian => Algorithm::Romanian,
            Language::Hungarian => Algorithm::Hungarian,
            Language::Turkish => Algorithm::Turkish,
            Language::Other => return None,
        })
    }

    /// Function words of the language. Short lists of our own: rare-word weighting (idf from
    /// the stream) already pushes common words down; these only keep names like "The" or "Der"
    /// at a sentence start from passing for entities, and the commonest words out of the index.
    fn stop_words(self) -> &'static [&'static str] {
        match self {
            Language::English => EN,
            Language::German => DE,
            Language::French => FR,
            Language::Spanish => ES,
            Language::Italian => IT,
            Language::Portuguese => PT,
            Language::Dutch => NL,
            _ => &[],
        }
    }
}

const WITH_STOP_WORDS: [Language; 7] = [
    Language::English,
    Language::German,
    Language::French,
    Language::Spanish,
    Language::Italian,
    Language::Portuguese,
    Language::Dutch,
];

/// Stop word -> bit set of the languages (indices into [`WITH_STOP_WORDS`]) that have it.
fn stop_word_languages() -> &'static FxHashMap<&'static str, u8> {
    static MAP: std::sync::OnceLock<FxHashMap<&'static str, u8>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| {
        let mut m = FxHashMap::default();
        for (i, l) in WITH_STOP_WORDS.iter().enumerate() {
            for w in l.stop_words() {
                *m.entry(*w).or_insert(0u8) |= 1 << i;
            }
        }
        m
    })
}

fn by_function_words(sample: &str) -> Option<Language> {
    let mut hits = [0u32; WITH_STOP_WORDS.len()];
    let mut words = 0u32;
    let mut lower = String::new();
    for w in sample
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .take(60)
    {
        words += 1;
        lower.clear();
        lower.extend(w.chars().flat_map(char::to_lowercase));
        if let Some(mask) = stop_word_languages().get(lower.as_str()) {
            for (i, h) in hits.iter_mut().enumerate() {
                if mask & (1 << i) != 0 {
                    *h += 1;
                }
            }
        }
    }
    let mut ranked: Vec<(u32, Language)> = hits.into_iter().zip(WITH_STOP_WORDS).collect();
    ranked.sort_by_key(|b| std::cmp::Reverse(b.0));
    let (best, lang) = ranked[0];
    let second = ranked[1].0;
    // Short lists overlap ("a", "de", "in"): demand a clear share and a clear lead.
    (words >= 20 && best * 5 >= words && best >= 3 * second.max(1)).then_some(lang)
}

const EN: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "said",
    "same",
    "says",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "new",
    "one",
    "two",
    "told",
    "say",
    "like",
    "may",
    "many",
    "much",
    "even",
    "still",
    "last",
    "first",
    "year",
    "years",
    "mr",
    "mrs",
    "ms",
    "dr",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "week",
    "day",
    "today",
    "yesterday",
    "tomorrow",
    "s",
    "t",
    "re",
    "ve",
    "ll",
    "d",
    "don",
    "didn",
    "doesn",
    "isn",
    "wasn",
    "aren",
    "won",
    "can",
    "cannot",
    "it's",
    "however",
    "according",
    "since",
    "among",
    "around",
    "another",
    "every",
    "yet",
    "though",
    "although",
    "would",
    "might",
    "must",
];
const DE: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines",
    "und", "oder", "aber", "auch", "als", "an", "auf", "aus", "bei", "bis", "durch", "für",
    "gegen", "in", "im", "ist", "sind", "war", "waren", "wird", "werden", "wurde", "wurden", "hat",
    "haben", "hatte", "mit", "nach", "nicht", "noch", "nur", "ob", "sich", "so", "über", "um",
    "unter", "vom", "von", "vor", "wie", "zu", "zum", "zur", "er", "sie", "es", "wir", "ihr",
    "ich", "dass", "daß", "sein", "seine", "ihre", "man", "am", "beim", "sei", "kann", "soll",
    "doch", "schon",
];
const FR: &[&str] = &[
    "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "ou", "mais", "donc", "car",
    "ni", "à", "au", "aux", "en", "dans", "par", "pour", "sur", "sous", "avec", "sans", "chez",
    "ce", "cet", "cette", "ces", "il", "elle", "ils", "elles", "on", "nous", "vous", "je", "se",
    "sa", "son", "ses", "leur", "leurs", "qui", "que", "qu", "quoi", "dont", "est", "sont", "été",
    "être", "a", "ont", "avait", "fait", "ne", "pas", "plus", "y", "s", "n", "c", "j", "m",
];
const ES: &[&str] = &[
    "el", "la", "los", "las", "un", "una", "unos", "unas", "y", "o", "pero", "de", "del", "a",
    "al", "en", "por", "para", "con", "sin", "sobre", "entre", "que", "quien", "se", "su", "sus",
    "lo", "le", "les", "es", "son", "fue", "ha", "han", "era", "ser", "estar", "está", "como",
    "más", "muy", "no", "sí", "este", "esta", "estos", "estas", "ese", "esa", "ya", "también",
];
const IT: &[&str] = &[
    "il", "lo", "la", "i", "gli", "le", "un", "uno", "una", "e", "o", "ma", "di", "del", "della",
    "dei", "degli", "delle", "a", "al", "alla", "da", "dal", "in", "nel", "nella", "con", "su",
    "per", "tra", "fra", "che", "chi", "si", "suo", "sua", "è", "sono", "era", "ha", "hanno",
    "non", "più", "come", "anche", "questo", "questa", "quello", "quella", "l", "d",
];
const PT: &[&str] = &[
    "o", "a", "os", "as", "um", "uma", "e", "ou", "mas", "de", "do", "da", "dos", "das", "em",
    "no", "na", "nos", "nas", "por", "para", "com", "sem", "que", "quem", "se", "seu", "sua", "é",
    "são", "foi", "era", "ser", "ao", "aos", "não", "mais", "como", "também", "este", "esta",
];
const NL: &[&str] = &[
    "de", "het", "een", "en", "of", "maar", "van", "in", "op", "aan", "met", "voor", "door", "bij",
    "naar", "uit", "over", "onder", "is", "zijn", "was", "waren", "wordt", "worden", "werd",
    "heeft", "hebben", "had", "dat", "die", "dit", "deze", "niet", "ook", "als", "er", "hij",
    "zij", "ze", "wij", "we", "ik", "je", "u", "zich", "om", "te", "tot", "nog", "wel", "al",
];

/// What kind of token the tokenizer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenFlags {
    /// Starts with an upper-case letter.
    pub capitalised: bool,
    /// First word of a sentence (or of the text), where capitals say nothing.
    pub sentence_start: bool,
    /// Inside quotation marks.
    pub quoted: bool,
    /// Made of digits (with inner `,` or `.` kept: `1,250`, `3.5`).
    pub number: bool,
}

/// Calls `f` with each token of `text` (original case) and its flags.
pub fn tokens(text: &str, mut f: impl FnMut(&str, TokenFlags)) {
    let mut sentence_start = true;
    let mut quoted = false;
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let in_word = c.is_alphanumeric()
            || (start.is_some()
                && matches!(c, ',' | '.' | '\'' | '’')
                && chars.peek().is_some_and(|(_, n)| {
                    // Inside a number (1,250) or a word (don't): the next char continues it.
                    let prev_digit = text[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|p| p.is_ascii_digit());
                    if matches!(c, ',' | '.') {
                        prev_digit && n.is_ascii_digit()
                    } else {
                        n.is_alphabetic()
                    }
                }));
        if in_word {
            if start.is_none() {
                start = Some(i);
            }
            continue;
        }
        if let Some(s) = start.take() {
            emit(&text[s..i], sentence_start, quoted, &mut f);
            sentence_start = false;
        }
        match c {
            '.' | '!' | '?' | '\n' | ':' | ';' => sentence_start = true,
            '"' | '“' | '”' | '«' | '»' | '„' => {
                quoted = match c {
                    '“' | '«' | '„' => true,
                    '”' | '»' => false,
                    _ => !quoted,
                };
                // An opening quote starts a sentence of its own ("We will...").
                if quoted {
                    sentence_start = true;
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        emit(&text[s..], sentence_start, quoted, &mut f);
    }
}

fn emit(word: &str, sentence_start: bool, quoted: bool, f: &mut impl FnMut(&str, TokenFlags)) {
    // Possessives and elisions: "Obama's" is Obama, "l'Élysée" is Élysée.
    let word = word
        .strip_suffix("'s")
        .or_else(|| word.strip_suffix("’s"))
        .unwrap_or(word);
    let word = match word.char_indices().find(|(_, c)| matches!(c, '\'' | '’')) {
        Some((at, c)) if at <= 2 && word.len() > at + c.len_utf8() + 2 => {
            &word[at + c.len_utf8()..]
        }
        _ => word,
    };
    let first = word.chars().next();
    let number = first.is_some_and(|c| c.is_ascii_digit());
    f(
        word,
        TokenFlags {
            capitalised: first.is_some_and(char::is_uppercase),
            sentence_start,
            quoted,
            number,
        },
    );
}

/// Stems and stop words for one language, with a cache from word to term hash.
pub struct Analyzer {
    stemmer: Option<Stemmer>,
    stop: rustc_hash::FxHashSet<&'static str>,
    cache: FxHashMap<u64, Option<u64>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("cached_words", &self.cache.len())
            .finish()
    }
}

/// Words cached per language before the cache is cleared: bounds memory on a long-running desk.
const CACHE_LIMIT: usize = 200_000;

impl Analyzer {
    pub fn new(language: Language) -> Analyzer {
        Analyzer {
            stemmer: language.algorithm().map(Stemmer::create),
            stop: language.stop_words().iter().copied().collect(),
            cache: FxHashMap::default(),
        }
    }

    /// Is this lower-cased word a stop word?
    pub fn is_stop(&self, lower: &str) -> bool {
        self.stop.contains(lower)
    }

    /// The hash of the word's stem, `None` for stop words and one-letter words.
    pub fn term(&mut self, word: &str) -> Option<u64> {
        // Keyed by the word's 64-bit hash, not the word: no string comparison on the hot path;
        // a collision would take about four billion distinct words.
        let key = hash_str(word);
        if let Some(t) = self.cache.get(&key) {
            return *t;
        }
        let lower = word.to_lowercase();
        let term = if lower.chars().count() < 2 || self.stop.contains(lower.as_str()) {
            None
        } else {
            let stem = match &self.stemmer {
                Some(s) => s.stem(&lower).into_owned(),
                None => lower.clone(),
            };
            Some(hash_str(&stem))
        };
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(key, term);
        term
    }
}

/// FNV-1a: stable across runs and platforms (term hashes may be stored), unlike std's hasher.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Vec<(String, TokenFlags)> {
        let mut out = Vec::new();
        tokens(text, |w, f| out.push((w.to_owned(), f)));
        out
    }

    #[test]
    fn numbers_keep_their_separators_and_sentences_reset_capitals() {
        let t = collect("The council spent $1,250.50 on 3 bridges. Mayor Ada Morel's plan won.");
        let words: Vec<&str> = t.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            words,
            [
                "The", "council", "spent", "1,250.50", "on", "3", "bridges", "Mayor", "Ada",
                "Morel", "plan", "won"
            ]
        );
        assert!(t[0].1.sentence_start && t[0].1.capitalised);
        assert!(t[3].1.number);
        assert!(t[7].1.sentence_start);
        assert!(t[8].1.capitalised && !t[8].1.sentence_start);
    }

    #[test]
    fn quotation_marks_are_tracked() {
        let t = collect("She called it \"a disgrace\" and left.");
        let quoted: Vec<&str> = t
            .iter()
            .filter(|(_, f)| f.quoted)
            .map(|(w, _)| w.as_str())
            .collect();
        assert_eq!(quoted, ["a", "disgrace"]);
    }

    #[test]
    fn stems_join_inflections_and_stop_words_are_dropped() {
        let mut a = Analyzer::new(Language::English);
        assert_eq!(a.term("flooding"), a.term("flooded"));
        assert_eq!(a.term("the"), None);
        let mut de = Analyzer::new(Language::German);
        assert_eq!(de.term("Brücken"), de.term("Brücke"));
    }

    #[test]
    fn languages_are_told_apart() {
        let en = "The mayor said on Tuesday that the bridge over the river would be closed for \
                  repairs until the end of the year, and that a ferry would run in the meantime.";
        let de = "Der Bürgermeister sagte am Dienstag, dass die Brücke über den Fluss bis zum Ende \
                  des Jahres wegen Reparaturen gesperrt werde und eine Fähre in der Zwischenzeit fahre.";
        let fr = "Le maire a déclaré mardi que le pont sur la rivière serait fermé pour des travaux \
                  jusqu'à la fin de l'année et qu'un bac circulerait en attendant.";
        assert_eq!(Language::detect(en), Language::English);
        assert_eq!(Language::detect(de), Language::German);
        assert_eq!(Language::detect(fr), Language::French);
    }

    #[test]
    fn language_codes_of_both_iso_forms_are_understood() {
        assert_eq!(Language::from_code("de-AT"), Language::German);
        assert_eq!(Language::from_code("fra"), Language::French);
        assert_eq!(Language::from_code("xx"), Language::Other);
    }
}
