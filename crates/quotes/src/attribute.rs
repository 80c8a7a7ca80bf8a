//! Attributing quoted spans to speakers: cue verbs next to the quote
//! ("X said", "said X, the …", "X told …", "according to X"), a speech verb
//! elsewhere in the quote's sentence, the sentence before, pronouns and
//! descriptions ("he added", "the statement said") resolved to the person or
//! body named earlier, and surnames resolved to the article's full name.
//!
//! The text is cut into word and punctuation tokens per paragraph, with each
//! quoted piece as one opaque token, so the patterns never look inside
//! quotations.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::names;
use crate::scan::Span;
use crate::text::Doc;
use crate::{Quote, QuoteKind};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Word,
    Punct(char),
    /// A quoted piece: index into the spans.
    Quote(usize),
}

#[derive(Clone, Debug)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
    /// Lower-case text of a word, possessive and trailing dot kept.
    lower: String,
    cap: bool,
    /// A speech verb (see [`CUE_VERBS`]).
    cue: bool,
    /// Can be part of a name (capitalised, not a common sentence starter).
    name: bool,
}

impl Tok {
    fn is_word(&self) -> bool {
        self.kind == Kind::Word
    }
    fn is(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.lower == w
    }
    fn punct(&self) -> Option<char> {
        match self.kind {
            Kind::Punct(c) => Some(c),
            _ => None,
        }
    }
    /// Ends a sentence: a full stop, `!` or `?` outside quotes.
    fn ends_sentence(&self) -> bool {
        matches!(self.kind, Kind::Punct('.' | '!' | '?' | ';'))
    }
}

/// Abbreviations that keep their dot (so the dot is not a sentence end).
const ABBREV: &[&str] = &[
    "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "gen", "lt", "col", "capt", "sgt", "adm", "st",
    "jr", "sr", "prof", "rev", "inc", "corp", "co", "ltd", "vs", "no", "mt", "ft", "sept", "oct",
    "nov", "dec", "jan", "feb", "aug", "apr", "gens", "sens", "reps", "pres", "supt", "cmdr",
    "maj", "det", "atty", "messrs", "calif", "fla", "ill", "mass", "mich", "minn", "penn", "wis",
    "va", "tenn", "ky", "ariz", "colo", "conn", "del", "ga", "ind", "kan", "md", "mo", "mont",
    "neb", "nev", "okla", "ore", "pa", "wash", "wyo", "ala", "ark", "e.g", "i.e", "etc", "al",
];

fn tokenize(doc: &Doc, ps: usize, pe: usize, quotes: &[(usize, usize, usize)]) -> Vec<Tok> {
    let chars = &doc.chars;
    let mut toks = Vec::new();
    let mut qi = 0;
    let mut i = ps;
    while i < pe {
        while qi < quotes.len() && quotes[qi].1 <= i {
            qi += 1;
        }
        if qi < quotes.len() && quotes[qi].0 <= i {
            let (_, end, id) = quotes[qi];
            toks.push(Tok {
                kind: Kind::Quote(id),
                start: i,
                end: end.min(pe),
                lower: String::new(),
                cap: false,
                cue: false,
                name: false,
            });
            i = end.max(i + 1);
            qi += 1;
            continue;
        }
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let stop = if qi < quotes.len() {
            quotes[qi].0.min(pe)
        } else {
            pe
        };
        if c.is_alphanumeric() || c == '#' || c == '@' || c == '$' {
            let mut j = i + 1;
            while j < stop {
                let d = chars[j];
                let joiner = matches!(d, '\'' | '\u{2019}' | '-' | '.' | '&' | '_');
                if d.is_alphanumeric() || (joiner && j + 1 < stop && chars[j + 1].is_alphanumeric())
                {
                    j += 1;
                } else {
                    break;
                }
            }
            // Keep a trailing dot for initials and known abbreviations.
            let word: String = chars[i..j].iter().collect();
            let lower = word.to_lowercase();
            let mut end = j;
            if j < stop && chars[j] == '.' {
                let initial = word.chars().count() == 1 && c.is_uppercase();
                let dotted = lower.contains('.');
                if initial || dotted || ABBREV.contains(&lower.as_str()) {
                    end = j + 1;
                }
            }
            let mut lower = lower;
            if end > j {
                lower.push('.');
            }
            toks.push(Tok {
                kind: Kind::Word,
                start: i,
                end,
                // A capitalised "States" or "Post" is a name, not a verb.
                cue: !c.is_uppercase() && lex().cue.contains(lower.as_str()),
                lower,
                cap: c.is_uppercase(),
                name: false,
            });
            i = end;
        } else {
            // A dot before a closing bracket, comma or lower-case word
            // ("(D-Calif.), who") ends an abbreviation, not a sentence.
            if c == '.' {
                let next = chars[i + 1..pe].iter().find(|d| !d.is_whitespace());
                if next
                    .is_some_and(|d| matches!(d, ')' | ']' | ',' | ';' | ':') || d.is_lowercase())
                {
                    i += 1;
                    continue;
                }
            }
            toks.push(Tok {
                kind: Kind::Punct(c),
                start: i,
                end: i + 1,
                lower: String::new(),
                cap: false,
                cue: false,
                name: false,
            });
            i += 1;
        }
    }
    for i in 0..toks.len() {
        toks[i].name = is_name_word(&toks, i);
        // "his remarks", "the claims": after a determiner a cue word is a noun.
        if i > 0
            && toks[i].cue
            && matches!(
                toks[i - 1].lower.as_str(),
                "the"
                    | "a"
                    | "an"
                    | "his"
                    | "her"
                    | "their"
                    | "its"
                    | "my"
                    | "our"
                    | "your"
                    | "these"
                    | "those"
                    | "whose"
            )
        {
            toks[i].cue = false;
        }
    }
    toks
}

/// Whether the token can be part of a name: capitalised, not a common word
/// that starts sentences (unless it follows another capitalised word, as
/// "Will" in "Mary Will"), not an adjective like "Indiana-born".
fn is_name_word(toks: &[Tok], i: usize) -> bool {
    let t = &toks[i];
    if !t.is_word() || !t.cap {
        return false;
    }
    // A party and state tag: "R-Pa.", "D-Calif".
    if let Some((party, _)) = t.lower.split_once('-')
        && matches!(party, "r" | "d" | "i")
    {
        return false;
    }
    // An initial: "Michael A. Horowitz".
    if t.lower.len() == 2 && t.lower.ends_with('.') {
        return true;
    }
    let l = t.lower.trim_end_matches(['\'', '\u{2019}']);
    let l = l
        .strip_suffix("'s")
        .or_else(|| l.strip_suffix("\u{2019}s"))
        .unwrap_or(l);
    if let Some((_, tail)) = l.rsplit_once('-') {
        // "Indiana-born", "Obama-era": the capital is only on the first part.
        if lex().hyphen_tails.contains(tail) {
            return false;
        }
    }
    !lex().not_names.contains(l.trim_end_matches('.'))
        || (i > 0 && toks[i - 1].is_word() && toks[i - 1].cap && l.len() > 3)
}

struct Lex {
    cue: HashSet<&'static str>,
    not_names: HashSet<&'static str>,
    adverbs: HashSet<&'static str>,
    orgs: HashSet<&'static str>,
    roles: HashSet<&'static str>,
    channels: HashSet<&'static str>,
    hyphen_tails: HashSet<&'static str>,
    np_stops: HashSet<&'static str>,
    say: HashSet<&'static str>,
}

fn lex() -> &'static Lex {
    static LEX: OnceLock<Lex> = OnceLock::new();
    LEX.get_or_init(|| Lex {
        cue: CUE_VERBS.iter().copied().collect(),
        not_names: NOT_NAMES.iter().copied().collect(),
        adverbs: ADVERBS.iter().copied().collect(),
        orgs: ORG_WORDS.iter().copied().collect(),
        roles: ROLE_NOUNS.iter().copied().collect(),
        channels: CHANNEL_NOUNS.iter().copied().collect(),
        say: [
            "said",
            "says",
            "added",
            "adds",
            "wrote",
            "writes",
            "asked",
            "asks",
            "replied",
            "continued",
            "explained",
            "noted",
            "tweeted",
            "posted",
            "declared",
            "argued",
            "insisted",
            "recalled",
            "warned",
            "stated",
            "remarked",
            "observed",
            "quipped",
            "responded",
            "countered",
            "concluded",
            "cautioned",
            "joked",
            "explained",
            "offered",
            "predicted",
            "promised",
            "suggested",
            "conceded",
            "acknowledged",
            "admitted",
            "complained",
            "exclaimed",
            "mused",
            "wondered",
            "retorted",
            "reads",
            "read",
            "according",
            "boasted",
            "claimed",
            "lamented",
            "shouted",
            "yelled",
            "cried",
            "agreed",
            "announced",
            "confirmed",
            "reported",
            "reiterated",
            "stressed",
            "emphasized",
            "emphasised",
            "testified",
            "chimed",
            "interjected",
        ]
        .into_iter()
        .collect(),
        np_stops: [
            "that",
            "who",
            "which",
            "in",
            "at",
            "on",
            "to",
            "for",
            "of",
            "and",
            "but",
            "or",
            "with",
            "from",
            "by",
            "as",
            "when",
            "while",
            "after",
            "before",
            "during",
            "about",
            "is",
            "was",
            "are",
            "were",
            "be",
            "been",
            "has",
            "had",
            "have",
            "will",
            "would",
            "can",
            "could",
            "should",
            "may",
            "might",
            "must",
            "did",
            "does",
            "do",
            "not",
            "if",
            "than",
            "then",
            "because",
            "since",
            "though",
            "although",
            "whose",
            "where",
            "how",
            "why",
            "what",
            "there",
            "here",
            "it",
            "he",
            "she",
            "they",
            "we",
            "i",
            "you",
            "him",
            "her",
            "them",
            "us",
            "me",
            "into",
            "onto",
            "over",
            "under",
            "against",
            "without",
            "between",
            "among",
            "through",
            "so",
            "yet",
            "nor",
            "just",
            "only",
            "also",
            "very",
            "too",
            "all",
            "both",
            "each",
            "every",
            "no",
            "more",
            "most",
            "less",
            "least",
            "such",
            "like",
            "unlike",
            "near",
            "per",
            "via",
            "whether",
            "either",
            "neither",
            "up",
            "down",
            "out",
            "off",
            "away",
            "back",
            "again",
            "today",
            "yesterday",
            "tomorrow",
            "tonight",
            "now",
            "later",
            "earlier",
            "soon",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .into_iter()
        .collect(),
        hyphen_tails: [
            "born",
            "based",
            "era",
            "style",
            "led",
            "backed",
            "run",
            "owned",
            "made",
            "like",
            "american",
            "americans",
            "friendly",
            "type",
            "related",
            "funded",
            "sponsored",
            "inspired",
            "themed",
            "specific",
            "wide",
            "area",
            "minded",
            "leaning",
            "aligned",
            "controlled",
            "dominated",
            "linked",
            "allied",
            "affiliated",
            "supporting",
            "bashing",
            "loving",
            "hating",
            "centric",
            "ish",
            "esque",
            "only",
            "first",
            "day",
            "year",
        ]
        .into_iter()
        .collect(),
    })
}

/// Speech and writing verbs that introduce or close a quotation.
const CUE_VERBS: &[&str] = &[
    "said",
    "says",
    "say",
    "saying",
    "told",
    "tells",
    "tell",
    "added",
    "adds",
    "wrote",
    "writes",
    "posted",
    "posts",
    "tweeted",
    "tweets",
    "asked",
    "asks",
    "explained",
    "explains",
    "noted",
    "notes",
    "argued",
    "argues",
    "insisted",
    "insists",
    "stated",
    "states",
    "declared",
    "declares",
    "continued",
    "continues",
    "warned",
    "warns",
    "claimed",
    "claims",
    "replied",
    "replies",
    "responded",
    "responds",
    "recalled",
    "recalls",
    "announced",
    "announces",
    "suggested",
    "suggests",
    "called",
    "calls",
    "described",
    "describes",
    "urged",
    "urges",
    "acknowledged",
    "acknowledges",
    "admitted",
    "admits",
    "conceded",
    "concedes",
    "complained",
    "complains",
    "joked",
    "jokes",
    "quipped",
    "quips",
    "remarked",
    "remarks",
    "observed",
    "observes",
    "predicted",
    "predicts",
    "promised",
    "promises",
    "vowed",
    "vows",
    "pledged",
    "pledges",
    "demanded",
    "demands",
    "denied",
    "denies",
    "charged",
    "charges",
    "contended",
    "contends",
    "maintained",
    "maintains",
    "emphasized",
    "emphasised",
    "emphasizes",
    "stressed",
    "stresses",
    "lamented",
    "laments",
    "boasted",
    "boasts",
    "shouted",
    "shouts",
    "yelled",
    "yells",
    "exclaimed",
    "mused",
    "muses",
    "wondered",
    "wonders",
    "scoffed",
    "snapped",
    "retorted",
    "countered",
    "counters",
    "agreed",
    "agrees",
    "testified",
    "confirmed",
    "confirms",
    "accused",
    "accuses",
    "criticized",
    "criticised",
    "slammed",
    "slams",
    "blasted",
    "blasts",
    "praised",
    "praises",
    "labeled",
    "labelled",
    "dubbed",
    "dismissed",
    "dismisses",
    "hailed",
    "branded",
    "proclaimed",
    "proclaims",
    "asserted",
    "asserts",
    "alleged",
    "alleges",
    "reiterated",
    "reiterates",
    "cautioned",
    "cautions",
    "conceded",
    "recounted",
    "recounts",
    "began",
    "concluded",
    "concludes",
    "acknowledged",
    "pointed",
    "insisting",
    "adding",
    "noting",
    "writing",
    "telling",
    "asking",
    "arguing",
    "calling",
    "describing",
    "warning",
    "declaring",
    "explaining",
    "claiming",
    "tweeting",
    "posting",
    "speaking",
    "spoke",
    "remarking",
    "suggesting",
    "predicting",
    "promising",
    "urging",
    "referred",
    "refers",
    "read",
    "reads",
    "cried",
    "opined",
    "thundered",
    "chided",
    "teased",
    "bragged",
    "lectured",
    "raged",
    "ranted",
    "fumed",
    "sniped",
    "shot",
    "fired",
    "hit",
    "echoed",
    "echoes",
    "messaged",
    "texted",
    "emailed",
    "wrote:",
    "chimed",
    "interjected",
    "offered",
    "quoted",
    "characterized",
    "characterised",
    "likened",
    "compared",
    "mocked",
    "mocks",
    "ridiculed",
    "pleaded",
    "begged",
    "announced",
    "disclosed",
    "revealed",
    "reveals",
    "reported",
    "reports",
    "insist",
    "argue",
    "claim",
    "warn",
    "note",
    "add",
    "write",
    "ask",
    "explain",
    "tweet",
    "vowing",
    "pledging",
    "demanding",
    "denying",
    "charging",
    "accusing",
    "blasting",
    "slamming",
    "praising",
    "dismissing",
    "stating",
    "stressing",
    "lamenting",
    "boasting",
    "joking",
    "recalling",
    "replying",
    "responding",
    "conceding",
    "admitting",
    "assured",
    "reassured",
    "groused",
    "decried",
    "informed",
    "advised",
    "wrote",
    "pressed",
    "elaborated",
    "explains",
    "stressed",
];

fn is_cue(t: &Tok) -> bool {
    t.cue
}

/// Words that may sit between a subject and its verb ("Trump also said").
const ADVERBS: &[&str] = &[
    "also",
    "later",
    "then",
    "has",
    "had",
    "have",
    "would",
    "will",
    "previously",
    "recently",
    "once",
    "repeatedly",
    "again",
    "just",
    "further",
    "earlier",
    "simply",
    "flatly",
    "quickly",
    "reportedly",
    "publicly",
    "privately",
    "often",
    "has",
    "was",
    "is",
    "once",
    "famously",
    "bluntly",
    "frequently",
    "subsequently",
    "ultimately",
    "finally",
    "now",
    "first",
    "still",
    "even",
    "told",
    "only",
    "initially",
    "long",
    "already",
    "allegedly",
    "angrily",
    "calmly",
    "cheerfully",
    "confidently",
    "emphatically",
    "firmly",
    "jokingly",
    "loudly",
    "openly",
    "proudly",
    "quietly",
    "sarcastically",
    "softly",
    "solemnly",
    "tersely",
    "wryly",
    "curtly",
    "did",
    "does",
    "had",
    "could",
    "might",
    "may",
    "should",
    "not",
    "never",
    "always",
    "herself",
    "himself",
    "themselves",
    "itself",
    "personally",
    "directly",
    "separately",
    "similarly",
    "likewise",
    "too",
    "in",
    "turn",
    "however",
    "yet",
    "immediately",
    "sharply",
];

const PRONOUNS: &[&str] = &["he", "she", "they", "it", "i", "we", "you", "him", "her"];

/// Capitalised words that start sentences or clauses but are not names.
const NOT_NAMES: &[&str] = &[
    "the",
    "a",
    "an",
    "but",
    "and",
    "or",
    "so",
    "yet",
    "if",
    "when",
    "while",
    "as",
    "at",
    "in",
    "on",
    "of",
    "for",
    "to",
    "from",
    "with",
    "by",
    "after",
    "before",
    "since",
    "because",
    "although",
    "though",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "it",
    "he",
    "she",
    "they",
    "we",
    "i",
    "you",
    "his",
    "her",
    "their",
    "our",
    "my",
    "your",
    "its",
    "what",
    "who",
    "why",
    "how",
    "where",
    "which",
    "then",
    "now",
    "still",
    "even",
    "also",
    "asked",
    "speaking",
    "meanwhile",
    "however",
    "instead",
    "indeed",
    "later",
    "earlier",
    "last",
    "next",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "yes",
    "no",
    "not",
    "both",
    "many",
    "some",
    "all",
    "most",
    "one",
    "two",
    "three",
    "several",
    "other",
    "others",
    "another",
    "each",
    "every",
    "any",
    "such",
    "only",
    "just",
    "during",
    "under",
    "over",
    "about",
    "into",
    "among",
    "between",
    "through",
    "without",
    "despite",
    "according",
    "like",
    "unlike",
    "like",
    "do",
    "does",
    "did",
    "is",
    "was",
    "are",
    "were",
    "be",
    "been",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "should",
    "might",
    "must",
    "shall",
    "let",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sen",
    "rep",
    "gov",
    "gen",
    "said",
    "says",
    "told",
    "added",
    "so-called",
    "whether",
    "once",
    "until",
    "unless",
    "thus",
    "therefore",
    "furthermore",
    "moreover",
    "nonetheless",
    "nevertheless",
    "again",
    "today",
    "tonight",
    "yesterday",
    "tomorrow",
    "well",
    "oh",
    "okay",
    "ok",
    "wow",
    "please",
    "thank",
    "thanks",
    "sure",
    "look",
    "listen",
    "first",
    "second",
    "finally",
    "sources",
    "officials",
    "critics",
    "supporters",
    "analysts",
    "experts",
    "democrats",
    "republicans",
    "americans",
    "voters",
    "people",
    "everyone",
    "nobody",
    "someone",
    "anyone",
    "none",
];

const ORG_WORDS: &[&str] = &[
    "kremlin",
    "authority",
    "authorities",
    "firm",
    "regulator",
    "watchdog",
    "trust",
    "charity",
    "airline",
    "bank",
    "club",
    "school",
    "hospital",
    "city",
    "town",
    "county",
    "state",
    "nation",
    "ministry",
    "ministry",
    "department",
    "party",
    "committee",
    "campaign",
    "agency",
    "group",
    "house",
    "office",
    "council",
    "court",
    "police",
    "army",
    "news",
    "times",
    "post",
    "journal",
    "government",
    "administration",
    "commission",
    "bureau",
    "service",
    "fbi",
    "cia",
    "pentagon",
    "congress",
    "senate",
    "parliament",
    "union",
    "association",
    "institute",
    "foundation",
    "university",
    "company",
    "corporation",
    "inc.",
    "corp.",
    "network",
    "cnn",
    "fox",
    "msnbc",
    "nbc",
    "abc",
    "cbs",
    "reuters",
    "ap",
    "politico",
    "breitbart",
    "tribune",
    "press",
    "fund",
    "center",
    "centre",
    "coalition",
    "pac",
    "club",
    "board",
    "forces",
    "navy",
    "fsb",
    "embassy",
    "organization",
    "organisation",
    "network",
    "channel",
    "television",
    "radio",
    "magazine",
    "gazette",
    "herald",
    "daily",
    "weekly",
    "mail",
    "guardian",
    "telegraph",
    "economist",
    "statement",
    "spokesman",
    "spokeswoman",
    "spokesperson",
];

/// Nouns that name a channel; as a subject ("the statement said") they
/// stand for whoever issued it.
const CHANNEL_NOUNS: &[&str] = &[
    "statement",
    "post",
    "tweet",
    "letter",
    "release",
    "message",
    "memo",
    "report",
    "email",
    "e-mail",
    "note",
    "ad",
    "advertisement",
    "video",
    "filing",
    "communique",
    "communiqué",
    "announcement",
    "document",
    "website",
    "readout",
    "op-ed",
    "column",
    "editorial",
    "complaint",
    "lawsuit",
    "petition",
    "sign",
    "banner",
    "text",
    "caption",
    "transcript",
];

/// Role nouns: a lower-case word before a name that is the name's role
/// ("spokesman Dmitry Peskov"), or the head of a description.
const ROLE_NOUNS: &[&str] = &[
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "adviser",
    "advisor",
    "pollster",
    "analyst",
    "strategist",
    "senator",
    "chairman",
    "chairwoman",
    "chair",
    "director",
    "founder",
    "head",
    "leader",
    "official",
    "minister",
    "secretary",
    "aide",
    "manager",
    "candidate",
    "nominee",
    "host",
    "commentator",
    "economist",
    "professor",
    "lawyer",
    "attorney",
    "president",
    "governor",
    "mayor",
    "congressman",
    "congresswoman",
    "representative",
    "businessman",
    "businesswoman",
    "billionaire",
    "executive",
    "ceo",
    "chief",
    "deputy",
    "ambassador",
    "general",
    "commander",
    "officer",
    "operative",
    "consultant",
    "activist",
    "expert",
    "researcher",
    "scientist",
    "writer",
    "author",
    "columnist",
    "journalist",
    "reporter",
    "editor",
    "anchor",
    "correspondent",
    "chairperson",
    "lawmaker",
    "legislator",
    "delegate",
    "surrogate",
    "supporter",
    "voter",
    "resident",
    "organizer",
    "organiser",
    "veteran",
    "historian",
    "politician",
    "speaker",
    "whip",
    "justice",
    "judge",
    "prosecutor",
    "sheriff",
    "commissioner",
    "coordinator",
    "fellow",
    "partner",
    "donor",
    "fundraiser",
    "pastor",
    "bishop",
    "pope",
    "king",
    "queen",
    "prince",
    "senior",
    "co-founder",
    "owner",
    "president-elect",
    "hopeful",
    "contender",
    "challenger",
    "incumbent",
    "rival",
    "opponent",
    "critic",
    "ally",
    "friend",
    "wife",
    "husband",
    "son",
    "daughter",
    "mother",
    "father",
    "brother",
    "sister",
    "staffer",
    "employee",
    "worker",
    "student",
    "member",
    "agent",
    "diplomat",
    "envoy",
    "negotiator",
    "broadcaster",
    "blogger",
    "pundit",
    "comedian",
    "actor",
    "actress",
    "singer",
    "rapper",
    "star",
    "personality",
    "entrepreneur",
    "investor",
    "front-runner",
    "frontrunner",
    "contestant",
    "physician",
    "doctor",
    "teacher",
    "scholar",
    "insider",
    "loyalist",
    "backer",
    "boss",
    "co-host",
    "chief",
    "constituent",
    "delegate",
    "surrogate",
    "banker",
    "chancellor",
    "premier",
    "mogul",
    "tycoon",
    "magnate",
    "secretary-general",
];

/// Where a quote's speaker reference was found.
#[derive(Clone, Debug, PartialEq)]
enum Subject {
    /// A name phrase: token range in the paragraph.
    Name {
        lo: usize,
        hi: usize,
    },
    Pronoun(String),
    /// A description ("the statement", "the Kremlin spokesman", "a campaign aide").
    Desc {
        lo: usize,
        hi: usize,
        definite: bool,
    },
}

/// A found cue: the subject, an optional role, and the verb's token index.
#[derive(Clone, Debug)]
struct Cue {
    subject: Subject,
    role: Option<(usize, usize)>,
    verb: usize,
}

/// One entity (person or body) the article names.
#[derive(Clone, Debug)]
struct Entity {
    name: String,
    role: Option<String>,
    org: bool,
    channel_nouns: Vec<String>,
}

struct Para {
    toks: Vec<Tok>,
}

/// The attributed speaker of one quote before output.
#[derive(Clone, Debug, Default)]
struct Said {
    entity: Option<usize>,
    channel: Option<String>,
    /// The paragraph and verb token of the cue, to merge pieces that share it.
    cue: Option<(usize, usize)>,
    /// Found in the quote's own sentence (not inherited).
    own: bool,
}

struct Ctx<'a> {
    doc: &'a Doc,
    paras: Vec<Para>,
    entities: Vec<Entity>,
    /// Full names seen in the text (two or more words, titles stripped).
    /// With the character offset where each is named, in text order.
    full_names: Vec<(usize, String)>,
    /// Lower-case words the text capitalises somewhere mid-sentence.
    mid_caps: HashSet<String>,
    /// How often each capitalised word occurs (lower case).
    cap_count: std::collections::HashMap<String, usize>,
}

pub(crate) fn attribute(doc: &Doc, spans: Vec<Span>) -> Vec<Quote> {
    // Quote pieces per paragraph: (outer start, outer end, span id).
    let mut per_para: Vec<Vec<(usize, usize, usize)>> = vec![Vec::new(); doc.paras.len()];
    for (id, s) in spans.iter().enumerate() {
        for &(a, b) in &s.outer {
            if let Some(p) = para_of(doc, a) {
                per_para[p].push((a, b, id));
            }
        }
    }
    let paras: Vec<Para> = doc
        .paras
        .iter()
        .zip(per_para.iter_mut())
        .map(|(&(ps, pe), qs)| {
            qs.sort_unstable();
            Para {
                toks: tokenize(doc, ps, pe, qs),
            }
        })
        .collect();
    let mut ctx = Ctx {
        doc,
        paras,
        entities: Vec::new(),
        full_names: Vec::new(),
        mid_caps: HashSet::new(),
        cap_count: std::collections::HashMap::new(),
    };
    ctx.collect_full_names();

    // Walk the paragraphs in order, keeping track of the people and bodies
    // who spoke most recently, for pronouns and descriptions.
    let mut said: Vec<Said> = vec![Said::default(); spans.len()];
    let mut state = Recent::default();
    for p in 0..ctx.paras.len() {
        let n = ctx.paras[p].toks.len();
        let mut sent_start = 0;
        for i in 0..=n {
            let (end_here, hi) = if i == n {
                (true, n)
            } else if ctx.paras[p].toks[i].ends_sentence() {
                (true, i)
            } else if ctx.quote_ends_sentence(p, i) {
                (true, i + 1)
            } else {
                (false, i)
            };
            if !end_here {
                continue;
            }
            if hi > sent_start {
                ctx.sentence(p, sent_start, hi, &mut said, &mut state);
            }
            sent_start = i + 1;
        }
        state.paras_since_speaker += 1;
    }

    let mut quotes: Vec<(Quote, Said)> = Vec::with_capacity(spans.len());
    for (id, s) in spans.into_iter().enumerate() {
        let Some(&(start, _)) = s.parts.first() else {
            continue;
        };
        let Some(&(_, end)) = s.parts.last() else {
            continue;
        };
        let text = s
            .parts
            .iter()
            .map(|&(a, b)| doc.slice(a, b))
            .collect::<Vec<_>>()
            .join("\n\n");
        let sd = said[id].clone();
        let (speaker, role) = match sd.entity {
            Some(e) => (
                Some(ctx.entities[e].name.clone()),
                ctx.entities[e].role.clone(),
            ),
            None => (None, None),
        };
        quotes.push((
            Quote {
                text,
                speaker,
                role,
                channel: sd.channel.clone(),
                kind: s.kind,
                start,
                end,
            },
            sd,
        ));
    }
    // Titles of shows, books and films in quotation marks ("The Walking
    // Dead") are names, not quotations, when no speech verb introduces them.
    let quotes = quotes
        .into_iter()
        .filter(|(q, s)| !(s.cue.is_none() && looks_like_title(&q.text)))
        .collect();
    merge(doc, quotes)
}

/// A few words, all capitalised but short function words: "Meet the Press".
fn looks_like_title(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() || words.len() > 5 {
        return false;
    }
    let capital = |w: &&str| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_numeric())
    };
    let all_caps = words.iter().all(|w| w.chars().all(|c| !c.is_lowercase()));
    capital(&words[0])
        && !all_caps
        && words
            .iter()
            .all(|w| capital(w) || (w.chars().count() <= 3 && w.chars().all(|c| c.is_lowercase())))
}

/// Pieces of one attribution become one quote: `"A," he said. "B."` and
/// fragments of one sentence of reported speech that share its verb.
fn merge(doc: &Doc, quotes: Vec<(Quote, Said)>) -> Vec<Quote> {
    let mut out: Vec<(Quote, Said)> = Vec::with_capacity(quotes.len());
    for (q, s) in quotes {
        if let Some((prev, ps)) = out.last_mut() {
            let same_para = para_of(doc, prev.start) == para_of(doc, q.start)
                && para_of(doc, prev.end) == para_of(doc, q.start);
            let shares_cue = s.cue.is_some() && s.cue == ps.cue;
            // `"A," he said. "B."`: after a whole quoted sentence cut by
            // its cue (a comma, ? or ! before the closing mark, or no mark
            // at all: `"A" he said. "B."`), not after a fragment's full stop.
            let cut = prev.text.chars().last().is_some_and(|c| {
                matches!(c, ',' | '?' | '!' | '\u{2014}' | '-' | ':')
                    || (c.is_alphanumeric() && prev.kind == QuoteKind::Full)
            });
            let continues = cut && !s.own && ps.own && ps.entity.is_some() && s.entity == ps.entity;
            if same_para && (shares_cue || continues) && prev.end < q.start {
                prev.text.push(' ');
                prev.text.push_str(&q.text);
                prev.end = q.end;
                if q.kind == QuoteKind::Full {
                    prev.kind = QuoteKind::Full;
                }
                continue;
            }
        }
        out.push((q, s));
    }
    out.into_iter().map(|(q, _)| q).collect()
}

fn para_of(doc: &Doc, pos: usize) -> Option<usize> {
    let i = doc.paras.partition_point(|&(_, e)| e <= pos);
    (i < doc.paras.len() && doc.paras[i].0 <= pos).then_some(i)
}

/// Who spoke last, for pronouns and descriptions.
#[derive(Default)]
struct Recent {
    person: Option<usize>,
    org: Option<usize>,
    /// The speaker of the last quote and its channel.
    last_quote: Option<(usize, Option<String>)>,
    paras_since_speaker: usize,
    /// Speaker named with a cue in the previous sentence (and its channel).
    prev_sentence: Option<(usize, Option<String>)>,
    /// A quote standing alone with no speaker, which a signature line
    /// right after it ("— Ana Lopes, Lisbon.") may still name.
    unsigned: Option<usize>,
}

impl<'a> Ctx<'a> {
    fn tok(&self, p: usize, i: usize) -> &Tok {
        &self.paras[p].toks[i]
    }

    /// A quote whose words end with a full stop ends its sentence when a
    /// capitalised word or another quote follows: `"We won." Smith left.`
    /// (A cue after a quote takes a comma, `"We won," Smith said.`)
    fn quote_ends_sentence(&self, p: usize, i: usize) -> bool {
        let toks = &self.paras[p].toks;
        let t = &toks[i];
        if !matches!(t.kind, Kind::Quote(_)) {
            return false;
        }
        let chars = &self.doc.chars;
        let mut k = t.end;
        while k > t.start && !chars[k - 1].is_alphanumeric() {
            if chars[k - 1] == '.' {
                return match toks.get(i + 1) {
                    None => false,
                    Some(n) => matches!(n.kind, Kind::Quote(_)) || (n.is_word() && n.cap),
                };
            }
            k -= 1;
        }
        false
    }

    fn word_text(&self, p: usize, lo: usize, hi: usize) -> String {
        let toks = &self.paras[p].toks;
        if lo >= hi {
            return String::new();
        }
        self.doc.slice(toks[lo].start, toks[hi - 1].end)
    }

    fn collect_full_names(&mut self) {
        let mut names = Vec::new();
        for p in 0..self.paras.len() {
            let toks = &self.paras[p].toks;
            for t in toks.iter().filter(|t| t.cap) {
                *self
                    .cap_count
                    .entry(strip_possessive(&t.lower).to_string())
                    .or_insert(0) += 1;
            }
            for i in 1..toks.len() {
                let prev = &toks[i - 1];
                if toks[i].cap && !prev.ends_sentence() && !matches!(prev.kind, Kind::Quote(_)) {
                    self.mid_caps
                        .insert(strip_possessive(&toks[i].lower).to_string());
                }
            }
            let n = self.paras[p].toks.len();
            let mut i = 0;
            while i < n {
                if let Some(hi) = self.name_run_from(p, i) {
                    let raw = self.word_text(p, i, hi);
                    let disp = names::display_name(&raw);
                    if disp.split_whitespace().count() >= 2 {
                        names.push((self.tok(p, i).start, disp));
                    }
                    i = hi;
                } else {
                    i += 1;
                }
            }
        }
        self.full_names = names;
    }

    fn name_word(&self, p: usize, i: usize) -> bool {
        self.tok(p, i).name
    }

    /// A relative clause or participle starts here ("who backs Trump",
    /// "urging voters"): not a role.
    fn relative(&self, p: usize, i: usize) -> bool {
        let t = self.tok(p, i);
        matches!(
            t.lower.as_str(),
            "who" | "whose" | "which" | "that" | "where" | "when"
        ) || (t.cue && t.lower.ends_with("ing"))
    }

    /// A possessive name within a few words before a quote: its token range.
    fn possessive_before(&self, p: usize, lo: usize, q: usize) -> Option<(usize, usize)> {
        let from = q.saturating_sub(5).max(lo);
        let k = (from..q)
            .rev()
            .find(|&k| self.tok(p, k).name && self.possessive(p, k))?;
        let start = self.name_run_back(p, k + 1, lo)?;
        Some((start, k + 1))
    }

    /// A conjunction, preposition or verb: what follows is a clause, not a
    /// role (", but her character …").
    fn clause_start(&self, p: usize, i: usize) -> bool {
        let t = self.tok(p, i);
        t.cue
            || (lex().np_stops.contains(t.lower.as_str())
                && !matches!(t.lower.as_str(), "the" | "a" | "an"))
    }

    fn possessive(&self, p: usize, i: usize) -> bool {
        let l = &self.tok(p, i).lower;
        l.ends_with("'s") || l.ends_with("\u{2019}s") || l.ends_with('\u{2019}')
    }

    /// A run of name words starting at `i`, joined by particles ("de", "van",
    /// "of" inside titles); returns one past its end. Stops after a possessive.
    fn name_run_from(&self, p: usize, i: usize) -> Option<usize> {
        let n = self.paras[p].toks.len();
        if i >= n || !self.name_word(p, i) {
            return None;
        }
        let mut j = i;
        while j < n {
            if self.name_word(p, j) {
                j += 1;
                if self.possessive(p, j - 1) {
                    break;
                }
                continue;
            }
            let t = self.tok(p, j);
            let particle = t.is_word()
                && matches!(
                    t.lower.as_str(),
                    "de" | "van" | "von" | "der" | "bin" | "al" | "da" | "del" | "la" | "le" | "of"
                )
                && j + 1 < n
                && self.name_word(p, j + 1)
                // "Secretary of State", not "Tom Udall of New Mexico".
                && (t.lower != "of" || names::is_title_word(&self.tok(p, j - 1).lower));
            if particle {
                j += 1;
                continue;
            }
            break;
        }
        Some(j)
    }

    /// The start of a name run ending at `hi` (exclusive): walks back over
    /// name words and particles.
    fn name_run_back(&self, p: usize, hi: usize, lo_bound: usize) -> Option<usize> {
        if hi == 0 || hi <= lo_bound || !self.name_word(p, hi - 1) {
            return None;
        }
        let mut j = hi - 1;
        while j > lo_bound {
            let prev = j - 1;
            if self.name_word(p, prev) && !self.possessive(p, prev) {
                j = prev;
                continue;
            }
            let t = self.tok(p, prev);
            let particle = t.is_word()
                && matches!(
                    t.lower.as_str(),
                    "de" | "van" | "von" | "der" | "bin" | "al" | "da" | "del" | "la" | "le" | "of"
                )
                && prev > lo_bound
                && self.name_word(p, prev - 1)
                && (t.lower != "of" || names::is_title_word(&self.tok(p, prev - 1).lower));
            if particle {
                j = prev - 1;
                continue;
            }
            break;
        }
        Some(j)
    }

    /// Handles one sentence (token range `lo..hi` of paragraph `p`): finds the
    /// cue for every quote in it and updates who spoke last.
    fn sentence(&mut self, p: usize, lo: usize, hi: usize, said: &mut [Said], st: &mut Recent) {
        let quote_idx: Vec<usize> = (lo..hi)
            .filter(|&i| matches!(self.tok(p, i).kind, Kind::Quote(_)))
            .collect();
        let channel = self.channel(p, lo, hi);
        // The sentence's own cue, for sentences without quotes too: it
        // updates who spoke last ("Prigozhin said the counteroffensive had
        // begun." before a quote of his).
        let unsigned = st.unsigned.take();
        if quote_idx.is_empty() {
            // A signature line: "- Clinton." or "— Ana Lopes, Lisbon."
            if let Some(id) = unsigned
                && lo + 1 < hi
                && matches!(self.tok(p, lo).punct(), Some('-' | '\u{2014}' | '\u{2013}'))
                && let Some(end) = self.name_run_from(p, lo + 1)
                && (end == hi || matches!(self.tok(p, end).punct(), Some(',' | '.')))
                && let Some(e) = self.entity_for_name(p, lo + 1, end, None)
            {
                said[id].entity = Some(e);
                said[id].own = true;
                st.last_quote = Some((e, None));
                self.remember(e, st);
                return;
            }
            if let Some(cue) = self.sentence_cue(p, lo, hi, None) {
                if let Some(e) = self.resolve(p, &cue, st, channel.as_deref()) {
                    self.note_channel(e, channel.as_deref());
                    st.prev_sentence = Some((e, channel.clone()));
                    self.remember(e, st);
                } else {
                    st.prev_sentence = None;
                }
            } else {
                // A sentence that names someone as its subject still makes
                // them the one a following "he" means.
                st.prev_sentence = None;
                if let Some((Subject::Name { lo: a, hi: b }, role)) = self.clause_subject(p, lo, hi)
                {
                    let role = role.map(|(x, y)| clean_role(&self.word_text(p, x, y)));
                    if let Some(e) = self.entity_for_name(p, a, b, role) {
                        self.remember(e, st);
                        // "Trump issued the following statement:" introduces
                        // the quote that follows.
                        if self.tok(p, hi - 1).punct() == Some(':') {
                            st.prev_sentence = Some((e, channel.clone()));
                        }
                    }
                }
            }
            return;
        }
        let mut sentence_cue: Option<Option<Cue>> = None;
        for &qi in &quote_idx {
            let Kind::Quote(id) = self.tok(p, qi).kind else {
                continue;
            };
            // A piece that continues a quote from an earlier paragraph
            // already has its speaker.
            if said[id].entity.is_some() || said[id].own {
                continue;
            }
            let cue = self.adjacent_cue(p, lo, hi, qi).or_else(|| {
                sentence_cue
                    .get_or_insert_with(|| self.sentence_cue(p, lo, hi, Some(qi)))
                    .clone()
            });
            let mut s = Said::default();
            // "Russia's FSB arrested seven people it said were …": a pronoun
            // inside the sentence means the sentence's own subject.
            let cue = cue.map(|c| match c.subject {
                Subject::Pronoun(_) if c.verb > lo + 1 => {
                    match self.clause_subject(p, lo, c.verb) {
                        Some((subject @ Subject::Name { .. }, role)) => Cue {
                            subject,
                            role,
                            verb: c.verb,
                        },
                        _ => c,
                    }
                }
                _ => c,
            });
            if let Some(cue) = cue {
                s.cue = Some((p, cue.verb));
                s.own = true;
                s.entity = self.resolve(p, &cue, st, channel.as_deref());
                s.channel = channel.clone();
                if let Some(e) = s.entity {
                    if s.channel.is_none() && matches!(cue.subject, Subject::Pronoun(_)) {
                        // "he added" continues the channel of the quote before.
                        // "… posted on Instagram that …. "…," she wrote."
                        for (le, ch) in [&st.prev_sentence, &st.last_quote].into_iter().flatten() {
                            if *le == e && s.channel.is_none() {
                                s.channel = ch.clone();
                            }
                        }
                    }
                    if let Subject::Desc { .. } = cue.subject
                        && s.channel.is_none()
                    {
                        s.channel = self.desc_channel(p, &cue);
                    }
                    self.note_channel(e, s.channel.as_deref());
                }
            } else if !self.stands_alone(p, lo, hi)
                && let Some(c) = self.clause_subject(p, lo, qi)
                && matches!(c.0, Subject::Name { .. })
            {
                // "Clinton has increasingly decried "systemic racism"": the
                // sentence's subject is who the fragment reports.
                let cue = Cue {
                    subject: c.0,
                    role: c.1,
                    verb: qi,
                };
                s.entity = self.resolve(p, &cue, st, channel.as_deref());
                s.channel = channel.clone();
                s.own = s.entity.is_some();
            } else if let Some((a, b)) = self.possessive_before(p, lo, qi)
                && let Some(e) = self.entity_for_name(p, a, b, None)
            {
                // "Sanders's call for a "revolution"", "Romney's "47 percent"
                // comment": the possessor is who said it.
                s.entity = Some(e);
                s.channel = channel.clone();
                s.own = true;
            } else if let Some((e, ch)) = st.prev_sentence.clone() {
                // "Prigozhin said the counteroffensive had begun. "..."."
                s.entity = Some(e);
                s.channel = ch;
            } else if let Some((e, ch)) = st.last_quote.clone()
                && st.paras_since_speaker <= 1
                && self.stands_alone(p, lo, hi)
            {
                // A quoted sentence right after a quote of someone else's,
                // with no cue: the same speaker goes on.
                s.entity = Some(e);
                s.channel = ch;
            }
            if let Some(e) = s.entity {
                st.last_quote = Some((e, s.channel.clone()));
                st.paras_since_speaker = 0;
                self.remember(e, st);
            }
            if s.entity.is_none() && self.stands_alone(p, lo, hi) {
                st.unsigned = Some(id);
            }
            said[id] = s;
        }
        st.prev_sentence = None;
        // The sentence's last quote may be the speaker of the next one.
        if let Some(&qi) = quote_idx.last()
            && let Kind::Quote(id) = self.tok(p, qi).kind
            && said[id].own
            && let Some(e) = said[id].entity
        {
            st.prev_sentence = Some((e, said[id].channel.clone()));
        }
    }

    /// The sentence is only quotes and punctuation (no frame of its own).
    fn stands_alone(&self, p: usize, lo: usize, hi: usize) -> bool {
        (lo..hi).all(|i| !self.tok(p, i).is_word())
    }

    fn remember(&self, e: usize, st: &mut Recent) {
        if self.entities[e].org {
            st.org = Some(e);
        } else {
            st.person = Some(e);
        }
    }

    fn note_channel(&mut self, e: usize, channel: Option<&str>) {
        if let Some(ch) = channel {
            let head = ch.split_whitespace().last().unwrap_or(ch).to_lowercase();
            if !self.entities[e].channel_nouns.contains(&head) {
                self.entities[e].channel_nouns.push(head);
            }
        }
    }

    /// A cue right next to the quote: `"…," X said`, `"…," said X`,
    /// `"…," according to X`, `X said: "…"`, `X told reporters, "…"`.
    fn adjacent_cue(&self, p: usize, lo: usize, hi: usize, qi: usize) -> Option<Cue> {
        // After the quote.
        let mut j = qi + 1;
        if j < hi
            && matches!(
                self.tok(p, j).punct(),
                Some(',' | '\u{2014}' | '\u{2013}' | '-')
            )
        {
            j += 1;
        }
        if j < hi
            && let Some(c) = self.cue_after(p, j, hi)
        {
            return Some(c);
        }
        // Before the quote: the nearest cue verb between the previous quote
        // (or the sentence start) and this one, if only a few words away.
        let mut k = qi;
        let mut from = lo;
        for i in (lo..qi).rev() {
            if matches!(self.tok(p, i).kind, Kind::Quote(_)) {
                from = i + 1;
                break;
            }
        }
        let near = qi.saturating_sub(8).max(from);
        while k > near {
            k -= 1;
            if is_cue(self.tok(p, k)) {
                return self.cue_at(p, from, hi, k);
            }
            if self.tok(p, k).is("according") {
                return self.subject_after(p, k + 1, qi).map(|(subject, role)| Cue {
                    subject,
                    role,
                    verb: k,
                });
            }
        }
        None
    }

    /// `X said`, `X, the role, said`, `said X`, `according to X` starting at `j`.
    fn cue_after(&self, p: usize, j: usize, hi: usize) -> Option<Cue> {
        let t = self.tok(p, j);
        if t.is("according") && j + 1 < hi && self.tok(p, j + 1).is("to") {
            return self.subject_after(p, j + 1, hi).map(|(subject, role)| Cue {
                subject,
                role,
                verb: j,
            });
        }
        if is_cue(t) {
            // Inverted: "said X" (a subject right after the verb), or a
            // subject before the quote ("X said, "…" ... "): handled by the
            // caller's before-branch.
            if let Some((subject, role)) = self.subject_after(p, j, hi) {
                return Some(Cue {
                    subject,
                    role,
                    verb: j,
                });
            }
            return None;
        }
        // Subject first: find the verb within a few tokens, past an appositive.
        // The frame must start with a noun phrase: `"…" and said it was`
        // is another clause, not an attribution.
        if !PRONOUNS.contains(&t.lower.as_str())
            && (!t.is_word() || lex().np_stops.contains(t.lower.as_str()))
        {
            return None;
        }
        let limit = (j + 25).min(hi);
        let mut k = j;
        let mut commas = 0;
        let mut seen_name = false;
        while k < limit {
            let tk = self.tok(p, k);
            if matches!(tk.kind, Kind::Quote(_)) {
                return None;
            }
            if tk.punct() == Some(',') {
                commas += 1;
            }
            // Outside an appositive, a common word after the subject's name
            // is another verb: `"…" Clinton has the qualifications …`.
            if tk.name {
                seen_name = true;
            } else if seen_name
                && commas % 2 == 0
                && tk.is_word()
                && !tk.cue
                && !lex().adverbs.contains(tk.lower.as_str())
                && !lex().roles.contains(tk.lower.as_str())
            {
                return None;
            }
            if is_cue(tk) && k > j {
                let c = self.cue_at(p, j, hi, k)?;
                // The subject must start where the frame starts.
                let starts = match c.subject {
                    Subject::Name { lo, .. } | Subject::Desc { lo, .. } => {
                        lo <= j + 1 || commas > 0
                    }
                    Subject::Pronoun(_) => k <= j + 3,
                };
                return starts.then_some(c);
            }
            if commas == 0 && k > j + 12 {
                return None;
            }
            k += 1;
        }
        None
    }

    /// A speech verb anywhere in the sentence, for partial quotes inside
    /// reported speech ("Podolyak denied involvement and suggested that "…"").
    fn sentence_cue(&self, p: usize, lo: usize, hi: usize, q: Option<usize>) -> Option<Cue> {
        let q = q.unwrap_or(hi);
        // "According to ProPublica, Clinton praised …": the source named by
        // "according to" is who the sentence reports.
        for k in lo..hi {
            if self.tok(p, k).is("according")
                && k + 1 < hi
                && self.tok(p, k + 1).is("to")
                && let Some((subject, role)) = self.subject_after(p, k + 1, hi)
            {
                return Some(Cue {
                    subject,
                    role,
                    verb: k,
                });
            }
        }
        // Prefer the verb before the quote (the reported-speech frame), the
        // nearest first; then after. A verb whose subject is a description
        // ("his scathing remarks") gives way to one with a name or pronoun.
        let mut fallback = None;
        for k in (lo..q).rev().chain(q..hi) {
            if !is_cue(self.tok(p, k)) {
                continue;
            }
            if let Some(c) = self.cue_at(p, lo, hi, k) {
                if matches!(c.subject, Subject::Desc { .. }) {
                    fallback.get_or_insert(c);
                } else {
                    return Some(c);
                }
            }
        }
        fallback
    }

    /// The subject of the cue verb at `v`: before it (skipping adverbs and an
    /// appositive), else after it (inversion), else the clause's subject at
    /// the sentence start. A participle ("…, saying") takes the clause's
    /// subject first, and a passive ("called "…" by X") its agent.
    fn cue_at(&self, p: usize, lo: usize, hi: usize, v: usize) -> Option<Cue> {
        let cue = |(subject, role): (Subject, Option<(usize, usize)>)| Cue {
            subject,
            role,
            verb: v,
        };
        let verb = &self.tok(p, v).lower;
        if verb.ends_with("ing") {
            // "with Trump reportedly yelling": a name right before the
            // participle is its subject; ", saying" takes the clause's.
            let mut b = v;
            while b > lo && lex().adverbs.contains(self.tok(p, b - 1).lower.as_str()) {
                b -= 1;
            }
            let named_before = b > lo && self.tok(p, b - 1).name && !self.possessive(p, b - 1);
            if !named_before && let Some(c) = self.clause_subject(p, lo, v) {
                return Some(cue(c));
            }
        }
        if verb.ends_with("ed") || verb == "told" {
            // A passive: "… was called "…" by Joshua Hendrick".
            let aux = v > lo
                && matches!(
                    self.tok(p, v - 1).lower.as_str(),
                    "been" | "was" | "were" | "is" | "be" | "being"
                );
            if aux {
                for k in v + 1..hi.min(v + 12) {
                    if self.tok(p, k).is("by")
                        && let Some(c) = self.np_forward(p, k + 1, hi)
                    {
                        return Some(cue(c));
                    }
                }
            }
        }
        if let Some(c) = self.subject_before(p, lo, v) {
            return Some(cue(c));
        }
        if let Some(c) = self.subject_after(p, v, hi) {
            return Some(cue(c));
        }
        self.clause_subject(p, lo, v).map(cue)
    }

    /// The subject at the start of a clause: "Podolyak, an adviser to …,
    /// denied involvement and suggested …", "In early October, Trump's state
    /// director, Mike Rubino, reached out …".
    fn clause_subject(
        &self,
        p: usize,
        lo: usize,
        v: usize,
    ) -> Option<(Subject, Option<(usize, usize)>)> {
        let mut s = lo;
        while s < v
            && (matches!(
                self.tok(p, s).lower.as_str(),
                "but"
                    | "and"
                    | "so"
                    | "yet"
                    | "still"
                    | "meanwhile"
                    | "however"
                    | "instead"
                    | "now"
                    | "then"
                    | "also"
                    | "indeed"
                    | "separately"
                    | "later"
                    | "earlier"
            ) || self.tok(p, s).punct() == Some(','))
        {
            s += 1;
        }
        // Leading adverbial phrases up to their comma ("On Wednesday, ",
        // "Moreover, as part of the exchange, "): anything that does not
        // start like a subject, when a comma follows soon.
        for _ in 0..3 {
            if s >= v {
                break;
            }
            let t = self.tok(p, s);
            let subject_like = t.name
                || (t.is_word() && PRONOUNS.contains(&t.lower.as_str()))
                || matches!(
                    t.lower.as_str(),
                    "the" | "a" | "an" | "his" | "her" | "their" | "its"
                );
            if subject_like {
                break;
            }
            match (s..v.min(s + 14)).find(|&k| self.tok(p, k).punct() == Some(',')) {
                Some(comma) => s = comma + 1,
                None => break,
            }
        }
        if s >= v {
            return None;
        }
        let t = self.tok(p, s);
        if t.is_word() && PRONOUNS.contains(&t.lower.as_str()) {
            return Some((Subject::Pronoun(t.lower.clone()), None));
        }
        let (subject, role) = self.np_forward(p, s, v)?;
        let end = match subject {
            Subject::Name { hi, .. } | Subject::Desc { hi, .. } => hi,
            Subject::Pronoun(_) => s + 1,
        };
        // "Trump's state director, Mike Rubino, reached out": the name in
        // commas after a description is the subject.
        if end < v
            && self.tok(p, end).punct() == Some(',')
            && let Some(name_end) = self.name_run_from(p, end + 1)
            && name_end < v
            && matches!(self.tok(p, name_end).punct(), Some(','))
            && !matches!(subject, Subject::Name { .. })
        {
            let role = match subject {
                Subject::Desc { lo, hi, .. } => Some((lo, hi)),
                _ => None,
            };
            return Some((
                Subject::Name {
                    lo: end + 1,
                    hi: name_end,
                },
                role,
            ));
        }
        let role = role.or_else(|| self.appositive(p, end, v));
        Some((subject, role))
    }

    /// A noun phrase read forwards from `j`: a determiner, modifiers and a
    /// head. A name at the head is the subject and the words before it its
    /// role ("Clinton ally James Carville", "Monmouth University political
    /// scientist Patrick Murray"); a common noun at the head is a
    /// description ("the statement", "a Republican committee member").
    fn np_forward(
        &self,
        p: usize,
        j: usize,
        hi: usize,
    ) -> Option<(Subject, Option<(usize, usize)>)> {
        if j >= hi {
            return None;
        }
        let first = self.tok(p, j);
        if !first.is_word() {
            return None;
        }
        if PRONOUNS.contains(&first.lower.as_str()) {
            return Some((Subject::Pronoun(first.lower.clone()), None));
        }
        let det = matches!(
            first.lower.as_str(),
            "the"
                | "a"
                | "an"
                | "this"
                | "that"
                | "his"
                | "her"
                | "their"
                | "its"
                | "one"
                | "another"
                | "our"
        );
        let definite = !matches!(first.lower.as_str(), "a" | "an" | "one" | "another");
        let body = if det { j + 1 } else { j };
        let mut k = body;
        let mut last_name: Option<(usize, usize)> = None;
        while k < hi && k < body + 10 {
            let t = self.tok(p, k);
            if !t.is_word() || t.cue {
                break;
            }
            if t.name {
                let end = self.name_run_from(p, k).unwrap_or(k + 1);
                let end = end.min(hi);
                if !self.possessive(p, end - 1) {
                    last_name = Some((k, end));
                }
                k = end;
                // After a name the phrase goes on only towards a role noun
                // ("Clinton ally James Carville", "Republican presidential
                // front-runner Donald Trump"); any other word is the verb.
                let mut r = k;
                while r < hi && r < k + 3 {
                    let t = self.tok(p, r);
                    let verbish =
                        t.lower.ends_with("ed") && !lex().roles.contains(t.lower.as_str());
                    if !t.is_word()
                        || t.name
                        || t.cue
                        || verbish
                        || lex().np_stops.contains(t.lower.as_str())
                        || matches!(
                            t.lower.as_str(),
                            "his"
                                | "her"
                                | "their"
                                | "its"
                                | "my"
                                | "our"
                                | "your"
                                | "the"
                                | "a"
                                | "an"
                        )
                    {
                        break;
                    }
                    if lex().roles.contains(t.lower.as_str()) {
                        break;
                    }
                    r += 1;
                }
                let towards_role = r < hi && r < k + 3 && {
                    let t = self.tok(p, r);
                    t.is_word() && !t.cap && lex().roles.contains(t.lower.as_str())
                };
                if !(towards_role || k < hi && self.tok(p, k).name) {
                    break;
                }
                continue;
            }
            if lex().np_stops.contains(t.lower.as_str()) || lex().adverbs.contains(t.lower.as_str())
            {
                break;
            }
            last_name = None;
            k += 1;
        }
        if let Some((a, b)) = last_name
            && b == k
        {
            let role = (a > body).then_some((body, a));
            let role = role.or_else(|| {
                self.appositive(p, b, hi)
                    .or_else(|| self.appositive_to_end(p, b, hi))
            });
            return Some((Subject::Name { lo: a, hi: b }, role));
        }
        if k > body {
            return Some((
                Subject::Desc {
                    lo: j,
                    hi: k,
                    definite,
                },
                None,
            ));
        }
        None
    }

    /// `, the role,` right after a name: the role's token range.
    fn appositive(&self, p: usize, from: usize, limit: usize) -> Option<(usize, usize)> {
        if from >= limit || self.tok(p, from).punct() != Some(',') {
            return None;
        }
        if from + 1 < limit && (self.relative(p, from + 1) || self.clause_start(p, from + 1)) {
            return None;
        }
        let mut k = from + 1;
        while k < limit && k < from + 16 {
            let t = self.tok(p, k);
            if t.punct() == Some(',') {
                break;
            }
            if !t.is_word() && !matches!(t.punct(), Some('-' | '\'' | '\u{2019}' | '&')) {
                return None;
            }
            if is_cue(t) {
                return None;
            }
            // "founder of the group whose forces …": the role ends where a
            // relative clause begins.
            if matches!(
                t.lower.as_str(),
                "who" | "whose" | "which" | "that" | "where"
            ) {
                return (k > from + 1).then_some((from + 1, k));
            }
            k += 1;
        }
        (k > from + 1 && k < limit).then_some((from + 1, k))
    }

    /// The phrase ending just before `v` (after optional adverbs), with an
    /// appositive between commas resolved: `NAME, the role,` or `role, NAME,`.
    fn subject_before(
        &self,
        p: usize,
        lo: usize,
        v: usize,
    ) -> Option<(Subject, Option<(usize, usize)>)> {
        let mut j = v;
        while j > lo && {
            let t = self.tok(p, j - 1);
            t.is_word()
                && lex().adverbs.contains(t.lower.as_str())
                && !PRONOUNS.contains(&t.lower.as_str())
        } {
            j -= 1;
        }
        if j <= lo {
            return None;
        }
        if self.tok(p, j - 1).punct() == Some(')')
            && let Some(open) = (lo..j - 1)
                .rev()
                .take(8)
                .find(|&k| self.tok(p, k).punct() == Some('('))
        {
            j = open;
        }
        if j <= lo {
            return None;
        }
        if self.tok(p, j - 1).punct() == Some(',') {
            // An appositive between commas.
            let close = j - 1;
            let mut k = close;
            while k > lo && k + 24 > close {
                k -= 1;
                let t = self.tok(p, k);
                if t.punct() == Some(',') {
                    break;
                }
                if !t.is_word()
                    && !matches!(t.punct(), Some('-' | '\'' | '\u{2019}' | '&' | '(' | ')'))
                {
                    return None;
                }
            }
            if k <= lo && self.tok(p, k).punct() != Some(',') {
                return None;
            }
            let open = k;
            let inner = (open + 1, close);
            if inner.0 >= inner.1 {
                return None;
            }
            // "role, NAME, said"
            if let Some(s) = self.name_run_back(p, close, open + 1)
                && s == open + 1
            {
                let role = self.phrase_before(p, lo, open);
                return Some((Subject::Name { lo: s, hi: close }, role));
            }
            // "NAME, the role, said"; the role stops at a relative clause.
            let before = self.phrase_ending(p, lo, open)?;
            let cut = (inner.0..inner.1)
                .find(|&k| self.relative(p, k))
                .unwrap_or(inner.1);
            if cut == inner.0 {
                // "Ines Faro, who chairs the committee, said": no role there,
                // maybe one before the name ("Deputy mayor Ines Faro").
                let role = match before {
                    Subject::Name { lo: a, .. } => self.role_before_name(p, lo, a),
                    _ => None,
                };
                return Some((before, role));
            }
            return Some((before, Some((inner.0, cut))));
        }
        let subj = self.phrase_ending(p, lo, j)?;
        let role = match subj {
            Subject::Name { lo: a, .. } => self.role_before_name(p, lo, a),
            _ => None,
        };
        Some((subj, role))
    }

    /// A description phrase ending at `end` (exclusive), for roles.
    fn phrase_before(&self, p: usize, lo: usize, end: usize) -> Option<(usize, usize)> {
        match self.phrase_ending(p, lo, end)? {
            Subject::Desc { lo, hi, .. } => Some((lo, hi)),
            _ => None,
        }
    }

    /// Lower-case role words right before a name: "Kremlin spokesman Dmitry
    /// Peskov" → "Kremlin spokesman".
    fn role_before_name(&self, p: usize, lo: usize, name_lo: usize) -> Option<(usize, usize)> {
        if name_lo <= lo {
            return None;
        }
        let t = self.tok(p, name_lo - 1);
        if !(t.is_word() && !t.cap && lex().roles.contains(t.lower.as_str())) {
            return None;
        }
        let mut k = name_lo - 1;
        while k > lo && name_lo - k < 5 {
            let prev = self.tok(p, k - 1);
            let stop = !prev.is_word()
                || matches!(
                    prev.lower.as_str(),
                    "the" | "a" | "an" | "and" | "said" | "by" | "to" | "of" | "from" | "with"
                )
                || is_cue(prev);
            if stop {
                break;
            }
            k -= 1;
        }
        Some((k, name_lo))
    }

    /// The noun phrase ending at `end` (exclusive): a name, a pronoun, or a
    /// description back to its determiner.
    fn phrase_ending(&self, p: usize, lo: usize, end: usize) -> Option<Subject> {
        if end <= lo {
            return None;
        }
        let last = self.tok(p, end - 1);
        if !last.is_word() {
            return None;
        }
        if PRONOUNS.contains(&last.lower.as_str()) {
            return Some(Subject::Pronoun(last.lower.clone()));
        }
        if lex().np_stops.contains(last.lower.as_str()) {
            return None;
        }
        if let Some(s) = self.name_run_back(p, end, lo) {
            // "George Zornick of The Nation wrote", "Jonah Goldberg of the
            // anti-Trump National Review": the person, not the publication.
            let of = (s.saturating_sub(3).max(lo)..s)
                .rev()
                .find(|&k| self.tok(p, k).is("of"));
            if let Some(of) = of
                && (of + 1..s).all(|k| self.tok(p, k).is_word() && !self.tok(p, k).cue)
                && of > lo
                && self.tok(p, of - 1).name
                && !self.possessive(p, of - 1)
                && let Some(s2) = self.name_run_back(p, of, lo)
            {
                return Some(Subject::Name { lo: s2, hi: of });
            }
            // "the Kremlin", "the White House": a body, still a name.
            return Some(Subject::Name { lo: s, hi: end });
        }
        // A description: back to a determiner within a few words.
        let mut k = end - 1;
        while k > lo && end - k < 7 {
            let t = self.tok(p, k - 1);
            if !t.is_word() || is_cue(t) {
                return None;
            }
            let l = t.lower.as_str();
            if matches!(
                l,
                "the"
                    | "a"
                    | "an"
                    | "this"
                    | "that"
                    | "his"
                    | "her"
                    | "their"
                    | "its"
                    | "one"
                    | "another"
                    | "our"
            ) || self.possessive(p, k - 1)
            {
                let definite = !matches!(l, "a" | "an" | "one" | "another");
                return Some(Subject::Desc {
                    lo: k - 1,
                    hi: end,
                    definite,
                });
            }
            k -= 1;
        }
        None
    }

    /// The subject right after a verb or "according to": a name (with its
    /// role), a pronoun, or a description.
    fn subject_after(
        &self,
        p: usize,
        v: usize,
        hi: usize,
    ) -> Option<(Subject, Option<(usize, usize)>)> {
        // "said it was": a pronoun after the verb starts the reported
        // clause; inversion ("said he") is all but gone from news English.
        if v + 1 < hi && PRONOUNS.contains(&self.tok(p, v + 1).lower.as_str()) {
            return None;
        }
        // "called the system "rotten"", "told his supporters": what follows
        // most verbs is their object; only say-like verbs invert.
        let verb = self.tok(p, v).lower.as_str();
        if self.tok(p, v).cue && !lex().say.contains(verb) {
            return None;
        }
        self.np_forward(p, v + 1, hi)
    }

    /// `, a role` up to the sentence end (no closing comma).
    fn appositive_to_end(&self, p: usize, from: usize, hi: usize) -> Option<(usize, usize)> {
        if from >= hi || self.tok(p, from).punct() != Some(',') {
            return None;
        }
        if from + 1 < hi && (self.relative(p, from + 1) || self.clause_start(p, from + 1)) {
            return None;
        }
        let mut k = from + 1;
        while k < hi && k < from + 16 && self.tok(p, k).is_word() {
            k += 1;
        }
        (k == hi && k > from + 1).then_some((from + 1, k))
    }

    /// Resolves a cue's subject to an entity.
    fn resolve(
        &mut self,
        p: usize,
        cue: &Cue,
        st: &Recent,
        channel: Option<&str>,
    ) -> Option<usize> {
        let role = cue.role.map(|(a, b)| clean_role(&self.word_text(p, a, b)));
        match &cue.subject {
            Subject::Name { lo, hi } => self.entity_for_name(p, *lo, *hi, role),
            Subject::Pronoun(w) => match w.as_str() {
                "it" => st.org.or(st
                    .last_quote
                    .as_ref()
                    .map(|x| x.0)
                    .filter(|&e| self.entities[e].org)),
                "he" | "she" => st.person,
                "they" => st.org.filter(|_| st.person.is_none()),
                _ => None,
            },
            Subject::Desc { lo, hi, definite } => {
                if !definite {
                    return None;
                }
                let head = self.tok(p, hi - 1).lower.clone();
                if lex().channels.contains(head.as_str()) {
                    // "the statement said": whoever issued the statement.
                    let by_channel = self
                        .entities
                        .iter()
                        .rposition(|e| e.channel_nouns.contains(&head));
                    let _ = channel;
                    return by_channel.or(st.last_quote.as_ref().map(|x| x.0));
                }
                // "the Republican nominee", "the spokesman": the most recent
                // entity whose role names the same thing.
                let by_role = self.entities.iter().rposition(|e| {
                    e.role
                        .as_ref()
                        .is_some_and(|r| r.to_lowercase().split_whitespace().any(|w| w == head))
                });
                if by_role.is_some() {
                    return by_role;
                }
                // "the port authority said": a body named by a common noun is
                // itself the speaker.
                if lex().orgs.contains(head.as_str()) && !lex().roles.contains(head.as_str()) {
                    let words: Vec<String> = (*lo + 1..*hi)
                        .map(|k| self.word_text(p, k, k + 1))
                        .collect();
                    if words.is_empty() || self.possessive(p, *lo) {
                        return None;
                    }
                    let name = words.join(" ");
                    if let Some(i) = self
                        .entities
                        .iter()
                        .position(|e| e.name.eq_ignore_ascii_case(&name))
                    {
                        return Some(i);
                    }
                    self.entities.push(Entity {
                        name,
                        role: None,
                        org: true,
                        channel_nouns: Vec::new(),
                    });
                    return Some(self.entities.len() - 1);
                }
                None
            }
        }
    }

    /// The entity for a name phrase, creating it; surnames resolve to the
    /// article's full name.
    fn entity_for_name(
        &mut self,
        p: usize,
        lo: usize,
        hi: usize,
        role: Option<String>,
    ) -> Option<usize> {
        let raw = self.word_text(p, lo, hi);
        let (title, disp) = names::split_title(&raw);
        let disp = names::display_name(&disp);
        if disp.is_empty() {
            return None;
        }
        let lower_first = self.tok(p, lo).lower.clone();
        // A lone capitalised word at a sentence start ("Witnesses described
        // …") is a name only if the article also capitalises it mid-sentence.
        let initial = lo == 0 || {
            let prev = self.tok(p, lo - 1);
            prev.ends_sentence() || matches!(prev.kind, Kind::Quote(_))
        };
        if initial
            && hi == lo + 1
            && !self.mid_caps.contains(strip_possessive(&lower_first))
            && self
                .cap_count
                .get(strip_possessive(&lower_first))
                .copied()
                .unwrap_or(0)
                < 2
        {
            return None;
        }
        let mut name = disp.clone();
        if disp.split_whitespace().count() == 1 {
            // A surname: the latest full name with it named before this
            // point, else the first one after ("Farrow" after "Gus Farrow"
            // and before "Nell Farrow" is Gus).
            let here = self.tok(p, lo).start;
            let fits = |f: &&(usize, String)| names::same_person(&f.1, &disp);
            let before = self
                .full_names
                .iter()
                .rev()
                .filter(|f| f.0 < here)
                .find(fits);
            // Someone already quoted under a full name comes first: "Howard"
            // after "Actor Clint Howard said" is Clint, whoever else is named.
            let speaker = self
                .entities
                .iter()
                .rev()
                .find(|e| !e.org && e.name.contains(' ') && names::same_person(&e.name, &disp));
            if let Some(e) = speaker {
                name = e.name.clone();
            } else if let Some((_, full)) = before.or_else(|| self.full_names.iter().find(fits)) {
                name = full.clone();
            }
        }
        let org = lower_first == "the"
            || name
                .split_whitespace()
                .any(|w| lex().orgs.contains(w.to_lowercase().as_str()));
        let role = role.or(title.filter(|t| t.split_whitespace().count() > 1 || !is_honorific(t)));
        if let Some(i) = self.entities.iter().position(|e| {
            names::same_person(&e.name, &name)
                && (e.name.split_whitespace().count() == 1
                    || name.split_whitespace().count() == 1
                    || names::person_key(&e.name) == names::person_key(&name))
        }) {
            let e = &mut self.entities[i];
            if name.split_whitespace().count() > e.name.split_whitespace().count() {
                e.name = name;
            }
            if e.role.is_none() {
                e.role = role;
            }
            return Some(i);
        }
        self.entities.push(Entity {
            name,
            role,
            org,
            channel_nouns: Vec::new(),
        });
        Some(self.entities.len() - 1)
    }

    /// The channel a sentence names: "in a statement", "on Telegram", "in a
    /// tweet", "told NBC News", "in an interview with X", "at a press conference".
    // The patterns look at neighbours (i - 1, i + 1, i + 2) by index.
    #[allow(clippy::needless_range_loop)]
    fn channel(&self, p: usize, lo: usize, hi: usize) -> Option<String> {
        let toks = &self.paras[p].toks;
        let w = |i: usize| -> &str {
            if i < hi && toks[i].is_word() {
                toks[i].lower.as_str()
            } else {
                ""
            }
        };
        for i in lo..hi {
            match w(i) {
                "tweet" | "tweeted" | "tweets" | "twitter" => return Some("post on X".into()),
                "telegram" => return Some("Telegram post".into()),
                "facebook" => return Some("Facebook post".into()),
                "instagram" => return Some("Instagram post".into()),
                "statement" | "statements" => return Some("statement".into()),
                "interview" => {
                    // "an interview with CNN"
                    if (w(i + 1) == "with" || w(i + 1) == "on")
                        && let Some(end) = self.name_run_from(p, i + 2)
                    {
                        return Some(format!("interview with {}", self.word_text(p, i + 2, end)));
                    }
                    return Some("interview".into());
                }
                "conference" if matches!(w(i.wrapping_sub(1)), "press" | "news") => {
                    return Some("press conference".into());
                }
                "speech" => return Some("speech".into()),
                "rally" => return Some("rally".into()),
                "letter" => return Some("letter".into()),
                "briefing" => return Some("briefing".into()),
                // "at a world press freedom event": the event, as the text names it.
                "event" | "summit" | "forum" | "hearing" | "debate" | "ceremony" | "fundraiser"
                | "meeting" | "gala" | "dinner" | "luncheon" | "breakfast" | "convention"
                | "town" => {
                    let head = if w(i) == "town" && w(i + 1) == "hall" {
                        i + 1
                    } else {
                        i
                    };
                    let start = (lo..i)
                        .rev()
                        .take(5)
                        .find(|&k| matches!(w(k), "a" | "an" | "the"));
                    if let Some(a) = start
                        && a > lo
                        && matches!(w(a - 1), "at" | "during")
                    {
                        return Some(clean_role(&self.word_text(p, a, head + 1)));
                    }
                }
                "x" if i > lo && matches!(w(i - 1), "on") && toks[i].cap => {
                    return Some("post on X".into());
                }
                "told" => {
                    if let Some(end) = self.name_run_from(p, i + 1) {
                        let outlet = self.word_text(p, i + 1, end);
                        if outlet
                            .split_whitespace()
                            .any(|x| lex().orgs.contains(x.to_lowercase().as_str()))
                        {
                            return Some(format!("interview with {outlet}"));
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn desc_channel(&self, p: usize, cue: &Cue) -> Option<String> {
        if let Subject::Desc { hi, .. } = cue.subject {
            let head = self.tok(p, hi - 1).lower.as_str();
            if lex().channels.contains(head) {
                return Some(head.to_string());
            }
        }
        None
    }
}

fn strip_possessive(w: &str) -> &str {
    w.strip_suffix("'s")
        .or_else(|| w.strip_suffix("\u{2019}s"))
        .or_else(|| w.strip_suffix('\u{2019}'))
        .unwrap_or(w)
}

fn is_honorific(t: &str) -> bool {
    matches!(
        t.trim_end_matches('.').to_lowercase().as_str(),
        "mr" | "mrs" | "ms" | "miss" | "mx" | "dr" | "sir" | "dame" | "the"
    )
}

/// A role as shown: no leading article, no trailing punctuation.
fn clean_role(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = s.trim_matches(|c: char| c == ',' || c.is_whitespace());
    for art in ["the ", "a ", "an ", "The ", "A ", "An "] {
        if let Some(rest) = s.strip_prefix(art) {
            return rest.to_string();
        }
    }
    s.to_string()
}
