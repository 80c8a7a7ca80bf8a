//! robots.txt for article fetches: the group for our agent (`newsdesk`) or `*`, longest matching
//! `Allow`/`Disallow` prefix wins (`*` and `$` as in RFC 9309). Feeds are fetched regardless:
//! a publisher who lists a feed asks for it to be read.

/// The rules that apply to us on one host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Robots {
    /// (allow, pattern)
    rules: Vec<(bool, String)>,
}

impl Robots {
    /// Everything allowed (no robots.txt, or it could not be read as text).
    pub fn allow_all() -> Self {
        Robots::default()
    }

    /// Parses robots.txt, keeping the group for `agent` if there is one, else the `*` group.
    pub fn parse(text: &str, agent: &str) -> Self {
        let agent = agent.to_ascii_lowercase();
        let mut ours: Vec<(bool, String)> = Vec::new();
        let mut star: Vec<(bool, String)> = Vec::new();
        let mut found_ours = false;
        let (mut in_ours, mut in_star, mut last_was_agent) = (false, false, false);
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !last_was_agent {
                        in_ours = false;
                        in_star = false;
                    }
                    let v = value.to_ascii_lowercase();
                    if v == "*" {
                        in_star = true;
                    } else if agent.starts_with(&v) || v.starts_with(&agent) {
                        in_ours = true;
                        found_ours = true;
                    }
                    last_was_agent = true;
                }
                "allow" | "disallow" => {
                    last_was_agent = false;
                    // An empty Disallow allows everything: no rule.
                    if value.is_empty() {
                        continue;
                    }
                    let rule = (key == "allow", value.to_owned());
                    if in_ours {
                        ours.push(rule.clone());
                    }
                    if in_star {
                        star.push(rule);
                    }
                }
                _ => last_was_agent = false,
            }
        }
        Robots {
            rules: if found_ours { ours } else { star },
        }
    }

    /// Whether the path (with query) may be fetched.
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path) {
                let len = pattern.len();
                // Longest match wins; on a tie, Allow wins.
                if best.is_none_or(|(l, a)| len > l || (len == l && *allow && !a)) {
                    best = Some((len, *allow));
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if let Some(found) = path[pos..].find(part) {
            pos += found + part.len();
        } else {
            return false;
        }
    }
    !anchored || pos == path.len() || parts.last().is_some_and(|p| p.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_group_wins_over_the_star_group() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /\n\nUser-agent: newsdesk\nDisallow: /private/\n",
            "newsdesk",
        );
        assert!(r.allows("/news/story"));
        assert!(!r.allows("/private/x"));
    }

    #[test]
    fn longest_rule_wins_and_wildcards_match() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /news/\nAllow: /news/public/\nDisallow: /*.pdf$\n",
            "newsdesk",
        );
        assert!(!r.allows("/news/secret"));
        assert!(r.allows("/news/public/a"));
        assert!(!r.allows("/files/a.pdf"));
        assert!(r.allows("/files/a.pdf.html"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "newsdesk").allows("/x"));
    }
}
