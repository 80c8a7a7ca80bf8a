//! URL canonicalisation: the same page reached through differently decorated links must be one
//! item. Tracking parameters and fragments go; the rest of the query keeps its order.

use url::Url;

/// Query parameters that only track the click, never select the content.
const TRACKING_EXACT: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gclsrc",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "ref_src",
    "ref_url",
    "cmpid",
    "ocid",
    "smid",
    "wt.mc_id",
    "__twitter_impression",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_EXACT.contains(&lower.as_str())
}

/// The canonical form of `raw`, or `None` when it is not an absolute http(s) URL.
pub fn canonical_url(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_parameters_and_fragment_are_removed() {
        assert_eq!(
            canonical_url("https://Wire.Example/a/b?utm_source=x&id=7&fbclid=abc&UTM_Medium=y#top")
                .as_deref(),
            Some("https://wire.example/a/b?id=7")
        );
        assert_eq!(
            canonical_url("http://wire.example:80/story?gclid=1").as_deref(),
            Some("http://wire.example/story")
        );
    }

    #[test]
    fn non_http_urls_have_no_canonical_form() {
        assert_eq!(canonical_url("mailto:desk@wire.example"), None);
        assert_eq!(canonical_url("not a url"), None);
    }
}
