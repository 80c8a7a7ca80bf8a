//! Reading the JSON columns of the render path's statements ([`crate::pages_sql`]) into the
//! backend-neutral rows, checked like every other row.

use newsdesk_core::editorial::PhotoRendition;
use newsdesk_core::ingest::ClusterMember;
use newsdesk_core::{Id, StoreError, StoreResult};

use crate::rows::{ArticleAuthorRow, ArticleTagRow, AuthorRow, PhotoRow, TagRow, dimension};

fn parse<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("{what} of an article are not valid JSON: {e}")))
}

pub(crate) fn tags(article_id: Id, raw: &str) -> StoreResult<Vec<ArticleTagRow>> {
    let parsed: Vec<(Id, String, String, String)> = parse(raw, "tags")?;
    Ok(parsed
        .into_iter()
        .map(|(id, slug, name, description)| ArticleTagRow {
            article_id,
            tag: TagRow {
                id,
                slug,
                name,
                description,
            },
        })
        .collect())
}

type AuthorJson = (
    Id,
    String,
    String,
    String,
    String,
    Option<Id>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

pub(crate) fn authors(article_id: Id, raw: &str) -> StoreResult<Vec<ArticleAuthorRow>> {
    let parsed: Vec<AuthorJson> = parse(raw, "authors")?;
    parsed
        .into_iter()
        .map(
            |(id, slug, name, bio, links_json, p_id, file, ct, alt, caption, credit, w, h)| {
                let photo = match (p_id, file, ct, alt, caption, credit, w, h) {
                    (None, ..) => None,
                    (
                        Some(id),
                        Some(file),
                        Some(content_type),
                        Some(alt),
                        Some(caption),
                        Some(credit),
                        Some(width),
                        Some(height),
                    ) => Some(PhotoRow {
                        id,
                        file,
                        content_type,
                        alt,
                        caption,
                        credit,
                        width,
                        height,
                    }),
                    _ => {
                        return Err(StoreError::Corrupt(format!(
                            "author {id}'s photo is missing columns"
                        )));
                    }
                };
                Ok(ArticleAuthorRow {
                    article_id,
                    author: AuthorRow {
                        id,
                        slug,
                        name,
                        bio,
                        links_json,
                        photo,
                    },
                })
            },
        )
        .collect()
}

pub(crate) fn renditions(raw: &str) -> StoreResult<Vec<PhotoRendition>> {
    let parsed: Vec<(String, i64, i64)> = parse(raw, "photo renditions")?;
    parsed
        .into_iter()
        .map(|(file, w, h)| {
            Ok(PhotoRendition {
                file,
                width: dimension(w, "width")?,
                height: dimension(h, "height")?,
            })
        })
        .collect()
}

pub(crate) fn cluster_members(raw: &str) -> StoreResult<Vec<ClusterMember>> {
    let parsed: Vec<(String, String)> = parse(raw, "cluster members")?;
    Ok(parsed
        .into_iter()
        .map(|(agency, url)| ClusterMember { agency, url })
        .collect())
}
