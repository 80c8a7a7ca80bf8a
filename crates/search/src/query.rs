//! Reading what a reader typed: words, "phrases in quotes" and `-excluded` words or phrases, within
//! bounds (length, number of terms) so no query costs more than a handful of posting lists.
//!
//! The parser never fails on odd input: an unbalanced quote runs to the end, stray dashes and
//! punctuation are dropped. It fails only when nothing is left to search for.

/// Longer queries are refused rather than cut: a cut query would answer a question nobody asked.
pub const MAX_QUERY_CHARS: usize = 256;
/// Words and phrases together.
pub const MAX_QUERY_TERMS: usize = 16;
/// Words inside one phrase.
const MAX_PHRASE_WORDS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("type a word or two to search for")]
    Empty,
    #[error("searches are limited to {max} characters")]
    TooLong { max: usize },
    #[error("searches are limited to {max} words and phrases")]
    TooManyTerms { max: usize },
    #[error("a search needs at least one word that is not excluded with a minus sign")]
    OnlyExclusions,
    #[error(
        "the search has only very common words (like \"the\" or \"and\"); add a more specific word"
    )]
    OnlyCommonWords,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    Word,
    Phrase,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub kind: ClauseKind,
    /// As typed (a phrase without its quotes).
    pub text: String,
    pub negated: bool,
}

pub(crate) fn parse(q: &str) -> Result<Vec<Clause>, QueryError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            max: MAX_QUERY_CHARS,
        });
    }
    let mut clauses = Vec::new();
    let mut chars = q.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' {
            chars.next();
            match chars.peek() {
                Some(&n) if !n.is_whitespace() && n != '-' => negated = true,
                _ => continue,
            }
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut text = String::new();
            for c in chars.by_ref() {
                if c == '"' {
                    break;
                }
                text.push(c);
            }
            let words = text.split_whitespace().count();
            if words == 0 {
                continue;
            }
            let text = text
                .split_whitespace()
                .take(MAX_PHRASE_WORDS)
                .collect::<Vec<_>>()
                .join(" ");
            let kind = if words == 1 {
                ClauseKind::Word
            } else {
                ClauseKind::Phrase
            };
            clauses.push(Clause {
                kind,
                text,
                negated,
            });
        } else {
            let mut text = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '"' {
                    break;
                }
                text.push(c);
                chars.next();
            }
            if text.chars().any(char::is_alphanumeric) {
                clauses.push(Clause {
                    kind: ClauseKind::Word,
                    text,
                    negated,
                });
            }
        }
        if clauses.len() > MAX_QUERY_TERMS {
            return Err(QueryError::TooManyTerms {
                max: MAX_QUERY_TERMS,
            });
        }
    }
    if clauses.is_empty() {
        return Err(QueryError::Empty);
    }
    if clauses.iter().all(|c| c.negated) {
        return Err(QueryError::OnlyExclusions);
    }
    Ok(clauses)
}

/// A typed word as it is looked up: a possessive ending dropped ("Obama's" finds "Obama"; the
/// tokenizer would otherwise make it the phrase "obama s").
pub(crate) fn searchable_word(word: &str) -> &str {
    for ending in ["'s", "’s", "'S", "’S", "'", "’"] {
        if let Some(stem) = word.strip_suffix(ending)
            && stem.chars().any(char::is_alphanumeric)
        {
            return stem;
        }
    }
    word
}

/// The query written back, with `replace` applied to plain words (for "did you mean").
pub(crate) fn render(clauses: &[Clause], replace: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = Vec::with_capacity(clauses.len());
    for c in clauses {
        let dash = if c.negated { "-" } else { "" };
        match c.kind {
            ClauseKind::Phrase => out.push(format!("{dash}\"{}\"", c.text)),
            ClauseKind::Word => {
                let text = if c.negated {
                    c.text.clone()
                } else {
                    replace(&c.text).unwrap_or_else(|| c.text.clone())
                };
                out.push(format!("{dash}{text}"));
            }
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<(String, bool, bool)> {
        parse(q)
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.text, c.kind == ClauseKind::Phrase, c.negated))
            .collect()
    }

    #[test]
    fn words_phrases_and_exclusions_are_told_apart() {
        assert_eq!(
            kinds(r#"ferry "harbour strike" -bus -"night train""#),
            vec![
                ("ferry".into(), false, false),
                ("harbour strike".into(), true, false),
                ("bus".into(), false, true),
                ("night train".into(), true, true),
            ]
        );
    }

    #[test]
    fn an_unbalanced_quote_runs_to_the_end() {
        assert_eq!(
            kinds(r#"bridge "river crossing"#),
            vec![
                ("bridge".into(), false, false),
                ("river crossing".into(), true, false)
            ]
        );
    }

    #[test]
    fn stray_dashes_and_punctuation_are_dropped() {
        assert_eq!(
            kinds("- -- ferry ... !!"),
            vec![("ferry".into(), false, false)]
        );
        assert_eq!(
            kinds("well-known"),
            vec![("well-known".into(), false, false)]
        );
    }

    #[test]
    fn nothing_to_search_for_is_an_error() {
        assert_eq!(parse("   "), Err(QueryError::Empty));
        assert_eq!(parse("\"\" ..."), Err(QueryError::Empty));
        assert_eq!(parse("-ferry -bus"), Err(QueryError::OnlyExclusions));
    }

    #[test]
    fn long_and_many_termed_queries_are_refused() {
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            parse(&long),
            Err(QueryError::TooLong {
                max: MAX_QUERY_CHARS
            })
        );
        let many = "ab ".repeat(MAX_QUERY_TERMS + 1);
        assert_eq!(
            parse(&many),
            Err(QueryError::TooManyTerms {
                max: MAX_QUERY_TERMS
            })
        );
        assert!(parse(&"ab ".repeat(MAX_QUERY_TERMS)).is_ok());
    }

    #[test]
    fn possessives_are_searched_as_the_name() {
        assert_eq!(searchable_word("Obama's"), "Obama");
        assert_eq!(searchable_word("parents’"), "parents");
        assert_eq!(searchable_word("'s"), "'s");
        assert_eq!(searchable_word("rock'n'roll"), "rock'n'roll");
    }

    #[test]
    fn render_replaces_only_positive_words() {
        let clauses = parse(r#"goverment -goverment "goverment plan""#).unwrap_or_default();
        let fixed = render(&clauses, &|w| {
            (w == "goverment").then(|| "government".into())
        });
        assert_eq!(fixed, r#"government -goverment "goverment plan""#);
    }
}
