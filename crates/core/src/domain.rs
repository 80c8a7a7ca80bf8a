//! Parse-don't-validate newtypes for values that arrive from outside (forms, CLI, feeds).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value from outside was refused; the message is safe to show to the person who sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// A URL path segment: lowercase ASCII letters, digits and single hyphens, 1..=120 chars.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Self, InvalidInput> {
        let ok = !s.is_empty()
            && s.len() <= 120
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Slug(s.to_owned()))
        } else {
            Err(InvalidInput(format!(
                "{s:?} is not a valid slug (lowercase letters, digits and single hyphens)"
            )))
        }
    }

    /// Derives a slug from free text such as a headline ("Storm hits the coast!" ->
    /// "storm-hits-the-coast"). Other scripts and diacritics are transliterated ("Рада ухвалила
    /// бюджет" -> "rada-ukhvalila-biudzhet"); text with no letters, digits or emoji at all (only
    /// punctuation) has no slug, and callers fall back to one of their own.
    pub fn from_title(title: &str) -> Result<Self, InvalidInput> {
        let mut out = String::new();
        let ascii = deunicode::deunicode_with_tofu(title, "-");
        for c in ascii.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 80 {
                break;
            }
        }
        let trimmed = out.trim_end_matches('-');
        Slug::parse(trimmed).map_err(|_| InvalidInput(format!("cannot make a slug from {title:?}")))
    }

    /// The slug of a record that has nothing to make one from: `article-42`.
    pub fn fallback(kind: &str, id: crate::model::Id) -> Self {
        Slug(format!("{kind}-{id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Slug::parse(&s)
    }
}

impl From<Slug> for String {
    fn from(s: Slug) -> String {
        s.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A syntactically valid e-mail address, trimmed and with its domain lower-cased, so that
/// `Ann@Example.org` and `ann@example.ORG ` are one subscriber.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim();
        let bad =
            || InvalidInput("Please enter a valid e-mail address, like name@example.org.".into());
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
        if !(local_ok && domain_ok) {
            return Err(bad());
        }
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slug_from_headline_drops_punctuation_and_accents() {
        let s = Slug::from_title("Café owners protest — again!").unwrap();
        assert_eq!(s.as_str(), "cafe-owners-protest-again");
    }

    #[test]
    fn slug_from_cyrillic_greek_and_diacritics_is_transliterated() {
        let s = |t: &str| Slug::from_title(t).map(|s| s.as_str().to_owned());
        assert_eq!(
            s("Рада ухвалила бюджет").as_deref(),
            Ok("rada-ukhvalila-biudzhet")
        );
        assert_eq!(s("Η Αθήνα ψηφίζει").as_deref(), Ok("e-athena-psephizei"));
        assert_eq!(
            s("Łódź: Straße über Ærø").as_deref(),
            Ok("lodz-strasse-uber-aero")
        );
        assert!(Slug::from_title("!!! — ???").is_err());
    }

    #[test]
    fn slug_rejects_uppercase_and_double_hyphens() {
        assert!(Slug::parse("Hello").is_err());
        assert!(Slug::parse("a--b").is_err());
        assert!(Slug::parse("").is_err());
        assert!(Slug::parse("ok-slug-2").is_ok());
    }

    #[test]
    fn email_normalises_domain_case_and_whitespace() {
        let e = EmailAddress::parse("  Ann.Lee@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "Ann.Lee@example.org");
    }

    #[test]
    fn email_rejects_common_mistakes() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.org",
            "ann@example",
            "ann@@example.org",
            "a b@example.org",
            "ann@exa_mple.org",
            "ann..lee@example.org",
            "<script>@x.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn slug_from_any_title_is_valid_or_refused(t in ".{0,200}") {
            if let Ok(s) = Slug::from_title(&t) {
                prop_assert!(Slug::parse(s.as_str()).is_ok());
            }
        }

        #[test]
        fn email_parse_never_panics_and_is_idempotent(t in ".{0,300}") {
            if let Ok(e) = EmailAddress::parse(&t) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()), Ok(e.clone()));
            }
        }
    }
}
