//! Page metadata: title, authors, dates, language, site name, canonical URL
//! and lead image, from JSON-LD, `<meta>` tags, microdata, `<time>`, visible
//! bylines and the URL, in that order of trust.

use serde_json::Value;

use crate::dom::{Dom, NodeData, NodeId};
use crate::text;

#[derive(Default, Debug)]
pub struct Meta {
    pub title: Option<String>,
    pub h1: Option<(NodeId, String)>,
    pub authors: Vec<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub declared_language: Option<String>,
    pub site_name: Option<String>,
    pub canonical_url: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub image_caption: Option<String>,
    pub image_credit: Option<String>,
    pub image_alt: Option<String>,
    pub article_body: Option<String>,
    pub og_type: Option<String>,
    pub ld_is_article: bool,
}

#[derive(Default)]
struct Ld {
    headline: Option<String>,
    authors: Vec<String>,
    published: Option<String>,
    modified: Option<String>,
    image: Option<(String, Option<String>, Option<String>)>,
    body: Option<String>,
    publisher: Option<String>,
    language: Option<String>,
    description: Option<String>,
    is_article: bool,
}

const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "reviewnewsarticle",
    "techarticle",
    "scholarlyarticle",
    "liveblogposting",
    "report",
    "posting",
    "socialmediaposting",
    "medicalwebpage",
    "howto",
    "recipe",
    "review",
];

pub fn collect(dom: &Dom, order: &[NodeId], url: Option<&str>) -> Meta {
    let mut metas: Vec<(String, String)> = Vec::new();
    let mut m = Meta::default();
    let mut title_tag = None;
    let mut ld = Ld::default();
    let mut times: Vec<(String, bool, bool)> = Vec::new();
    let mut byline_nodes: Vec<NodeId> = Vec::new();
    for &id in order {
        let Some(el) = dom.element(id) else { continue };
        match &*el.name {
            "meta" => {
                let key = el
                    .attr("property")
                    .or_else(|| el.attr("name"))
                    .or_else(|| el.attr("itemprop"))
                    .or_else(|| el.attr("http-equiv"));
                if let (Some(k), Some(v)) = (key, el.attr("content")) {
                    let v = v.trim();
                    if !v.is_empty() {
                        metas.push((k.to_ascii_lowercase(), v.to_string()));
                    }
                }
            }
            "title" if title_tag.is_none() => {
                let t = dom.text_of(id);
                if !t.is_empty() {
                    title_tag = Some(t);
                }
            }
            "html" => {
                if let Some(l) = el.attr("lang").or_else(|| el.attr("xml:lang")) {
                    m.declared_language = Some(l.to_string());
                }
            }
            "link" => {
                let rel = el.attr("rel").unwrap_or("").to_ascii_lowercase();
                if rel.split_whitespace().any(|r| r == "canonical")
                    && m.canonical_url.is_none()
                    && let Some(h) = el.attr("href")
                {
                    m.canonical_url = Some(text::resolve_url(url, h));
                }
            }
            "script"
                if el
                    .attr("type")
                    .is_some_and(|t| t.to_ascii_lowercase().contains("ld+json")) =>
            {
                let raw = script_text(dom, id);
                if let Some(v) = parse_json_lenient(&raw) {
                    read_ld(&v, &mut ld, 0);
                }
            }
            "h1" if m.h1.is_none() => {
                let t = dom.text_of(id);
                if !t.is_empty() {
                    m.h1 = Some((id, t));
                }
            }
            "time" => {
                let v = el
                    .attr("datetime")
                    .map(str::to_string)
                    .unwrap_or_else(|| dom.text_of(id));
                let ctx = format!(
                    "{} {} {}",
                    el.attr("itemprop").unwrap_or(""),
                    el.attr("class").unwrap_or(""),
                    el.attr("pubdate").map_or("", |_| "published")
                )
                .to_ascii_lowercase();
                let published =
                    ctx.contains("publish") || ctx.contains("created") || ctx.contains("posted");
                let modified = ctx.contains("modif") || ctx.contains("updated");
                times.push((v, published, modified));
            }
            _ => {}
        }
        if byline_nodes.len() < 4 && is_byline(el) {
            byline_nodes.push(id);
        }
        if let Some(ip) = el.attr("itemprop") {
            let v = el
                .attr("content")
                .or_else(|| el.attr("datetime"))
                .map(str::to_string)
                .unwrap_or_else(|| dom.text_of(id));
            if !v.is_empty() && &*el.name != "meta" {
                metas.push((ip.to_ascii_lowercase(), v));
            }
        }
    }
    let get = |keys: &[&str]| -> Option<String> {
        keys.iter()
            .find_map(|k| metas.iter().find(|(mk, _)| mk == k).map(|(_, v)| v.clone()))
    };

    // Title: an on-page h1 that agrees with the metadata is the most exact.
    let meta_title = ld
        .headline
        .clone()
        .or_else(|| get(&["og:title", "twitter:title", "headline", "dc.title"]));
    let title_tag = title_tag.map(|t| clean_title(&t));
    m.title = match (&m.h1, &meta_title) {
        (Some((_, h)), Some(mt)) if similar(h, mt) => Some(h.clone()),
        (Some((_, h)), None) if title_tag.as_deref().is_some_and(|t| similar(h, t)) => {
            Some(h.clone())
        }
        (_, Some(mt)) => Some(clean_title(mt)),
        (Some((_, h)), None) => Some(
            title_tag
                .clone()
                .filter(|t| t.len() > h.len() + 40)
                .unwrap_or_else(|| h.clone()),
        ),
        (None, None) => title_tag,
    };

    // Authors.
    let mut authors = ld.authors.clone();
    if authors.is_empty() {
        for k in [
            "author",
            "article:author",
            "parsely-author",
            "sailthru.author",
            "dc.creator",
            "byl",
        ] {
            for (mk, v) in &metas {
                if mk == k && !v.contains("://") {
                    authors.extend(split_authors(v));
                }
            }
            if !authors.is_empty() {
                break;
            }
        }
    }
    if authors.is_empty() {
        for &b in &byline_nodes {
            let t = dom.text_of(b);
            if t.chars().count() <= 100 {
                authors.extend(split_authors(&t));
            }
            if !authors.is_empty() {
                break;
            }
        }
    }
    dedup(&mut authors);
    m.authors = authors;

    // Dates.
    let meta_pub = get(&[
        "article:published_time",
        "datepublished",
        "og:published_time",
        "published_time",
        "publishdate",
        "pubdate",
        "parsely-pub-date",
        "sailthru.date",
        "dc.date.issued",
        "dc.date",
        "dcterms.created",
        "date",
        "article.published",
        "publish-date",
        "release_date",
    ]);
    let time_pub = times
        .iter()
        .find(|t| t.1)
        .or_else(|| times.iter().find(|t| !t.2))
        .map(|t| t.0.clone());
    m.published = [ld.published.clone(), meta_pub, time_pub]
        .into_iter()
        .flatten()
        .find_map(|d| text::normalize_date(&d))
        .or_else(|| {
            byline_nodes
                .iter()
                .find_map(|&b| text::textual_date(&dom.text_of(b)))
        })
        .or_else(|| url.and_then(text::date_from_url));
    let meta_mod = get(&[
        "article:modified_time",
        "datemodified",
        "og:updated_time",
        "modified_time",
        "last-modified",
        "dcterms.modified",
        "article.updated",
    ]);
    let time_mod = times.iter().find(|t| t.2).map(|t| t.0.clone());
    m.modified = [ld.modified.clone(), meta_mod, time_mod]
        .into_iter()
        .flatten()
        .find_map(|d| text::normalize_date(&d));

    if m.declared_language.is_none() {
        m.declared_language = ld
            .language
            .clone()
            .or_else(|| get(&["og:locale", "content-language", "language", "dc.language"]));
    }
    m.site_name = get(&["og:site_name", "application-name", "publisher"])
        .or(ld.publisher.clone())
        .or_else(|| url.and_then(text::host).map(str::to_string));
    if m.canonical_url.is_none() {
        m.canonical_url = get(&["og:url"]);
    }
    m.description =
        get(&["og:description", "description", "twitter:description"]).or(ld.description.clone());
    if let Some((img, cap, credit)) = ld.image.clone() {
        m.image = Some(text::resolve_url(url, &img));
        m.image_caption = cap;
        m.image_credit = credit;
    }
    if let Some(img) = get(&[
        "og:image",
        "og:image:url",
        "og:image:secure_url",
        "twitter:image",
        "twitter:image:src",
    ]) {
        m.image = Some(text::resolve_url(url, &img));
    }
    m.image_alt = get(&["og:image:alt", "twitter:image:alt"]);
    m.article_body = ld.body.clone();
    m.og_type = get(&["og:type"]).map(|t| t.to_ascii_lowercase());
    m.ld_is_article = ld.is_article;
    m
}

fn is_byline(el: &crate::dom::Element) -> bool {
    if el
        .attr("rel")
        .is_some_and(|r| r.eq_ignore_ascii_case("author"))
    {
        return true;
    }
    if el
        .attr("itemprop")
        .is_some_and(|r| r.eq_ignore_ascii_case("author"))
    {
        return true;
    }
    let c = el.attr("class").unwrap_or("");
    // Every name below contains one of these two words, in any case.
    let b = c.as_bytes();
    if !b
        .windows(6)
        .any(|w| w.eq_ignore_ascii_case(b"author") || w.eq_ignore_ascii_case(b"byline"))
    {
        return false;
    }
    // Lower-cased only when needed: this runs for every element.
    let c = if c.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(c.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(c)
    };
    c.contains("byline")
        || c.contains("author-name")
        || c.contains("authorname")
        || c.split_whitespace().any(|t| t == "author")
}

fn script_text(dom: &Dom, id: NodeId) -> String {
    let mut s = String::new();
    for c in dom.children(id) {
        if let NodeData::Text(t) = &dom.node(c).data {
            s.push_str(t);
        }
    }
    s
}

fn parse_json_lenient(raw: &str) -> Option<Value> {
    let t = raw.trim();
    let t = t.strip_prefix("<![CDATA[").unwrap_or(t);
    let t = t.strip_suffix("]]>").unwrap_or(t).trim();
    if let Ok(v) = serde_json::from_str(t) {
        return Some(v);
    }
    // Raw control characters inside strings are a common publisher mistake.
    let cleaned: String = t
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    serde_json::from_str(&cleaned).ok()
}

fn str_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                None
            } else {
                Some(decode_entities(s))
            }
        }
        Value::Array(a) => a.iter().find_map(str_of),
        Value::Object(o) => o.get("name").or_else(|| o.get("@value")).and_then(str_of),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// JSON-LD strings are sometimes HTML-escaped twice.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
}

fn type_is_article(v: &Value) -> bool {
    let check = |s: &str| ARTICLE_TYPES.contains(&s.to_ascii_lowercase().as_str());
    match v.get("@type") {
        Some(Value::String(s)) => check(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(check),
        _ => false,
    }
}

fn read_ld(v: &Value, ld: &mut Ld, depth: usize) {
    if depth > 6 {
        return;
    }
    match v {
        Value::Array(a) => {
            for x in a.iter().take(50) {
                read_ld(x, ld, depth + 1);
            }
        }
        Value::Object(o) => {
            if let Some(g) = o.get("@graph") {
                read_ld(g, ld, depth + 1);
            }
            let article = type_is_article(v);
            if !article {
                if let Some(me) = o.get("mainEntity").or_else(|| o.get("mainEntityOfPage"))
                    && me.is_object()
                {
                    read_ld(me, ld, depth + 1);
                }
                return;
            }
            // The first article object wins for every field it has.
            ld.is_article = true;
            if ld.headline.is_none() {
                ld.headline = o.get("headline").or_else(|| o.get("name")).and_then(str_of);
            }
            if ld.authors.is_empty()
                && let Some(a) = o.get("author").or_else(|| o.get("creator"))
            {
                let list: Vec<&Value> = match a {
                    Value::Array(x) => x.iter().collect(),
                    x => vec![x],
                };
                for x in list.into_iter().take(20) {
                    if let Some(n) = str_of(x)
                        && !n.contains("://")
                    {
                        ld.authors.extend(split_authors(&n));
                    }
                }
            }
            if ld.published.is_none() {
                ld.published = o
                    .get("datePublished")
                    .or_else(|| o.get("dateCreated"))
                    .and_then(str_of);
            }
            if ld.modified.is_none() {
                ld.modified = o.get("dateModified").and_then(str_of);
            }
            if ld.image.is_none()
                && let Some(img) = o.get("image").or_else(|| o.get("thumbnailUrl"))
            {
                ld.image = image_of(img);
            }
            if ld.body.is_none() {
                ld.body = o.get("articleBody").and_then(str_of);
            }
            if ld.publisher.is_none() {
                ld.publisher = o.get("publisher").and_then(str_of);
            }
            if ld.language.is_none() {
                ld.language = o.get("inLanguage").and_then(str_of);
            }
            if ld.description.is_none() {
                ld.description = o.get("description").and_then(str_of);
            }
        }
        _ => {}
    }
}

fn image_of(v: &Value) -> Option<(String, Option<String>, Option<String>)> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some((s.trim().to_string(), None, None)),
        Value::Array(a) => a.iter().find_map(image_of),
        Value::Object(o) => {
            let url = o
                .get("url")
                .or_else(|| o.get("contentUrl"))
                .and_then(|u| match u {
                    Value::String(s) => Some(s.trim().to_string()),
                    Value::Array(a) => a.iter().find_map(|x| x.as_str().map(str::to_string)),
                    _ => None,
                })?;
            let caption = o.get("caption").and_then(str_of);
            let credit = o
                .get("creditText")
                .or_else(|| o.get("copyrightHolder"))
                .or_else(|| o.get("author"))
                .and_then(str_of);
            Some((url, caption, credit))
        }
        _ => None,
    }
}

/// "By Jane Roe and John Doe" -> ["Jane Roe", "John Doe"].
pub fn split_authors(s: &str) -> Vec<String> {
    let s = s.trim();
    let lower = s.to_lowercase();
    let s = if lower.starts_with("by ") { &s[3..] } else { s };
    let s = s.split(['|', '\n']).next().unwrap_or(s);
    let mut out = Vec::new();
    for part in s.split([',', ';', '&']).flat_map(|p| p.split(" and ")) {
        let p = part
            .trim()
            .trim_matches(|c: char| !c.is_alphanumeric() && c != '.');
        let words = p.split_whitespace().count();
        if words == 0 || words > 5 || p.chars().count() > 60 {
            continue;
        }
        if p.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let pl = p.to_lowercase();
        if matches!(
            pl.as_str(),
            "staff" | "admin" | "editor" | "updated" | "published"
        ) || pl.starts_with("updated")
        {
            continue;
        }
        out.push(p.to_string());
    }
    out
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|a| seen.insert(text::key(a)));
    v.truncate(10);
}

fn similar(a: &str, b: &str) -> bool {
    let (ka, kb) = (text::key(a), text::key(b));
    !ka.is_empty() && !kb.is_empty() && (ka == kb || kb.contains(&ka) || ka.contains(&kb))
}

/// Removes a trailing (or leading) " | Site Name" from a `<title>`.
fn clean_title(t: &str) -> String {
    let t = t.trim();
    for sep in [" | ", " – ", " — ", " - ", " :: ", " » ", " · "] {
        if let Some(p) = t.rfind(sep) {
            let (head, tail) = (&t[..p], &t[p + sep.len()..]);
            if head.split_whitespace().count() >= 3 && tail.split_whitespace().count() <= 5 {
                return head.trim().to_string();
            }
            if let Some(q) = t.find(sep) {
                let (first, rest) = (&t[..q], &t[q + sep.len()..]);
                if first.split_whitespace().count() <= 3 && rest.split_whitespace().count() >= 4 {
                    return rest.trim().to_string();
                }
            }
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bylines_split_into_names() {
        assert_eq!(
            split_authors("By Jane Roe and John Doe"),
            vec!["Jane Roe", "John Doe"]
        );
        assert_eq!(split_authors("Ann Lee, Bo Kim"), vec!["Ann Lee", "Bo Kim"]);
    }

    #[test]
    fn site_suffix_is_cut_from_title_tag() {
        assert_eq!(
            clean_title("Council votes to reopen the pier | Harbour Times"),
            "Council votes to reopen the pier"
        );
    }
}
