//! Link resolution and hosts, well enough for the extractor (no URL crate).

/// Resolves `href` against `base` well enough for absolute, protocol-relative
/// and root-relative links; anything else is joined to the base's directory.
pub fn resolve_url(base: Option<&str>, href: &str) -> String {
    let href = href.trim();
    if href.contains("://") || href.starts_with("data:") || href.starts_with("mailto:") {
        return href.to_string();
    }
    let Some(base) = base.filter(|b| b.contains("://")) else {
        return href.to_string();
    };
    let scheme_end = base.find("://").map_or(0, |p| p + 3);
    let scheme = &base[..scheme_end.saturating_sub(3)];
    if let Some(rest) = href.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let host_end = base[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |p| scheme_end + p);
    let origin = &base[..host_end];
    if href.starts_with('/') {
        return format!("{origin}{href}");
    }
    let path = &base[host_end..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(p) => &path[..=p],
        None => "/",
    };
    format!("{origin}{dir}{href}")
}

/// The host part of a URL, without `www.`.
pub fn host(url: &str) -> Option<&str> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#', ':']).unwrap_or(rest.len());
    let h = &rest[..end];
    let h = h.rsplit('@').next().unwrap_or(h);
    let h = h.strip_prefix("www.").unwrap_or(h);
    if h.is_empty() { None } else { Some(h) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_against_base() {
        let b = Some("https://example.org/news/story.html?x=1");
        assert_eq!(
            resolve_url(b, "/img/a.jpg"),
            "https://example.org/img/a.jpg"
        );
        assert_eq!(resolve_url(b, "a.jpg"), "https://example.org/news/a.jpg");
        assert_eq!(
            resolve_url(b, "//cdn.example.org/a.jpg"),
            "https://cdn.example.org/a.jpg"
        );
        assert_eq!(host("https://www.example.org:8080/x"), Some("example.org"));
    }
}
