//! Names of speakers: separating a title from a name, and the keys the
//! product uses to merge the ways articles name one person
//! ("Secretary of State Antony Blinken", "Antony Blinken", "Mr. Blinken",
//! "Blinken") into one.
//!
//! ```
//! use newsdesk_quotes::names::{person_key, same_person, split_title, surname_key};
//! assert_eq!(
//!     split_title("Secretary of State Antony Blinken"),
//!     (Some("Secretary of State".to_string()), "Antony Blinken".to_string())
//! );
//! assert_eq!(person_key("Secretary of State Antony Blinken"), "antony blinken");
//! assert_eq!(person_key("Antony J. Blinken"), "antony blinken");
//! assert_eq!(surname_key("Mr. Blinken's").as_deref(), Some("blinken"));
//! assert!(same_person("Blinken", "Antony Blinken"));
//! assert!(same_person("A. Blinken", "Secretary of State Antony Blinken"));
//! assert!(!same_person("Hillary Clinton", "Bill Clinton"));
//! ```

/// Words that may stand before a name as a title or role, lower case,
/// without the trailing dot. "of", "the", "state" and similar join
/// multi-word titles ("Secretary of State", "Deputy Prime Minister").
const TITLE_WORDS: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "sen",
    "senator",
    "rep",
    "representative",
    "congressman",
    "congresswoman",
    "gov",
    "governor",
    "president",
    "vice",
    "secretary",
    "state",
    "former",
    "prime",
    "minister",
    "foreign",
    "defense",
    "defence",
    "mayor",
    "judge",
    "justice",
    "gen",
    "general",
    "chief",
    "chairman",
    "chairwoman",
    "chair",
    "speaker",
    "leader",
    "ambassador",
    "attorney",
    "deputy",
    "rev",
    "reverend",
    "pope",
    "king",
    "queen",
    "prince",
    "princess",
    "sheikh",
    "lt",
    "col",
    "capt",
    "sgt",
    "adm",
    "admiral",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "candidate",
    "nominee",
    "democratic",
    "republican",
    "gop",
    "us",
    "u.s",
    "of",
    "the",
    "house",
    "senate",
    "majority",
    "minority",
    "elect",
    "sheriff",
    "commissioner",
    "director",
    "councilman",
    "councilwoman",
    "assemblyman",
    "assemblywoman",
    "pastor",
    "father",
    "rabbi",
    "imam",
    "coach",
    "captain",
    "actor",
    "actress",
    "author",
    "novelist",
    "comedian",
    "singer",
    "rapper",
    "filmmaker",
    "director",
    "producer",
    "anchor",
    "columnist",
    "pollster",
    "strategist",
    "businessman",
    "businesswoman",
    "billionaire",
    "activist",
    "economist",
    "historian",
    "physicist",
    "sergeant",
    "colonel",
    "major",
    "lieutenant",
    "commander",
    "inspector",
    "detective",
    "officer",
    "chancellor",
    "premier",
];

/// Words after a name that are not part of how people are told apart.
const SUFFIX_WORDS: &[&str] = &["jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"];

/// Whether a word may be part of a title before a name ("Sen.", "Secretary").
pub(crate) fn is_title_word(w: &str) -> bool {
    let w = w.trim_end_matches('.').to_lowercase();
    TITLE_WORDS.contains(&w.as_str())
}

/// Splits a leading title or role from a name:
/// `"Secretary of State Antony Blinken"` → `(Some("Secretary of State"), "Antony Blinken")`.
/// The last word always stays in the name, so a bare `"President"` is a
/// name, not an empty one. A trailing possessive (`"Blinken's"`) is dropped.
pub fn split_title(name: &str) -> (Option<String>, String) {
    let words: Vec<&str> = name.split_whitespace().collect();
    let n = words.len();
    let mut cut = 0;
    loop {
        while cut + 1 < n
            && is_title_word(words[cut])
            && !matches!(words[cut].to_lowercase().as_str(), "of" | "the")
        {
            cut += 1;
        }
        // "Minister of Fisheries Rosa Lindqvist": a title's "of" takes one
        // more word when a name of two words still follows.
        if cut > 0
            && cut + 3 < n
            && words[cut].eq_ignore_ascii_case("of")
            && is_title_word(words[cut - 1])
        {
            cut += 2;
            continue;
        }
        break;
    }
    // "of"/"the" never end a title.
    while cut > 0 && matches!(words[cut - 1].to_lowercase().as_str(), "of" | "the") {
        cut -= 1;
    }
    // "New York City Mayor Rudy Giuliani": a title word inside the run, with
    // a name of two or more words after it.
    if let Some(last) = (cut..n.saturating_sub(2))
        .rev()
        .find(|&i| is_strong_title(words[i]))
    {
        cut = cut.max(last + 1);
    }
    let role = (cut > 0).then(|| words[..cut].join(" "));
    let rest = words[cut..].join(" ");
    (role, strip_possessive(&rest).to_string())
}

/// Title words that mark the end of a title even after other words.
fn is_strong_title(w: &str) -> bool {
    let w = w.trim_end_matches('.').to_lowercase();
    is_title_word(&w)
        && !matches!(
            w.as_str(),
            "of" | "the"
                | "state"
                | "us"
                | "u.s"
                | "house"
                | "senate"
                | "democratic"
                | "republican"
                | "gop"
                | "former"
                | "foreign"
                | "defense"
                | "defence"
                | "vice"
                | "prime"
                | "deputy"
                | "chief"
                | "majority"
                | "minority"
                | "elect"
        )
}

fn strip_possessive(s: &str) -> &str {
    s.strip_suffix("'s")
        .or_else(|| s.strip_suffix("\u{2019}s"))
        .or_else(|| s.strip_suffix('\''))
        .or_else(|| s.strip_suffix('\u{2019}'))
        .unwrap_or(s)
}

/// The name without title, possessive or surrounding punctuation, with
/// single spaces: the form to show (`"Sen. Bernie Sanders's"` → `"Bernie Sanders"`).
pub fn display_name(name: &str) -> String {
    let (_, rest) = split_title(name);
    rest.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '\'')
        .to_string()
}

/// Lower-case word tokens of a name with titles, possessive, initials in
/// the middle and suffixes ("Jr.") dropped.
fn key_tokens(name: &str) -> Vec<String> {
    let (_, rest) = split_title(name);
    let mut toks: Vec<String> = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
                .replace('\u{2019}', "'")
        })
        .filter(|w| !w.is_empty())
        .collect();
    while toks.len() > 1
        && toks
            .last()
            .is_some_and(|t| SUFFIX_WORDS.contains(&t.as_str()))
    {
        toks.pop();
    }
    if toks.len() > 2 {
        let last = toks.len() - 1;
        let mut i = 0;
        toks.retain(|t| {
            let keep = i == 0 || i == last || t.chars().count() > 1;
            i += 1;
            keep
        });
    }
    toks
}

/// A key under which the ways of writing one full name agree: lower case,
/// titles, middle initials and suffixes dropped
/// (`"Sen. Bernard J. Sanders Jr."` → `"bernard sanders"`). Two people with
/// the same key are very likely the same; use [`same_person`] to also
/// merge a bare surname or an initial with the full name.
pub fn person_key(name: &str) -> String {
    key_tokens(name).join(" ")
}

/// The surname key: the last word of the name, lower case (`"blinken"`).
/// `None` when the name has no letters.
pub fn surname_key(name: &str) -> Option<String> {
    key_tokens(name).pop()
}

/// Whether two names may be one person: equal keys, or one is the other's
/// tail ("Blinken" ~ "Antony Blinken"), or same surname with the same
/// first name or its initial ("A. Blinken"). Different first names are
/// different people ("Hillary Clinton" vs "Bill Clinton").
pub fn same_person(a: &str, b: &str) -> bool {
    let x = key_tokens(a);
    let y = key_tokens(b);
    if x.is_empty() || y.is_empty() {
        return false;
    }
    if x == y {
        return true;
    }
    let (short, long) = if x.len() <= y.len() {
        (&x, &y)
    } else {
        (&y, &x)
    };
    if long[long.len() - short.len()..] == short[..] {
        return true;
    }
    if x.last() != y.last() {
        return false;
    }
    let (fx, fy) = (&x[0], &y[0]);
    fx == fy
        || (fx.chars().count() == 1 && fy.starts_with(fx.as_str()))
        || (fy.chars().count() == 1 && fx.starts_with(fy.as_str()))
}
