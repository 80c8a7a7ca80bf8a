//! The rows of the render path's statements (`src/sql/pages.rs`), shared by both backends:
//! their JSON columns (an article's tags, authors, renditions, cluster members) are read into
//! the same rows the other queries use and checked like them.

use newsdesk_core::editorial::PhotoRendition;
use newsdesk_core::ingest::ClusterMember;
use newsdesk_core::pages::{ArticlePageData, ContentStamp};
use newsdesk_core::{Article, Id, StoreError, StoreResult};

use crate::rows::{
    ArticleAuthorRow, ArticleRow, ArticleTagRow, AuthorRow, JoinedPhotoRow, TagRow,
    assemble_articles, dimension,
};
use crate::types::{JsonText, Time, opt};

/// The content stamp's one row.
#[derive(sqlx::FromRow)]
pub(crate) struct StampRow {
    pub version: i64,
    pub changed_at: Time,
    pub latest_visible: Option<Time>,
    pub next_scheduled: Option<Time>,
}

impl StampRow {
    pub fn into_model(self) -> ContentStamp {
        ContentStamp {
            version: self.version,
            changed_at: self.changed_at.0,
            latest_visible: opt(self.latest_visible),
            next_scheduled: opt(self.next_scheduled),
        }
    }
}

/// An article with its tags and authors as JSON arrays (`article_links!`).
#[derive(sqlx::FromRow)]
pub(crate) struct LinkedArticleRow {
    #[sqlx(flatten)]
    pub article: ArticleRow,
    pub tags_json: String,
    pub authors_json: String,
}

impl LinkedArticleRow {
    pub fn into_model(self) -> StoreResult<Article> {
        let id = self.article.id;
        let (tags, authors) = (tags(id, &self.tags_json)?, authors(id, &self.authors_json)?);
        assemble_articles(vec![self.article], tags, authors)?
            .pop()
            .ok_or(StoreError::NotFound)
    }
}

/// The article page's one row: the article, its links, its lead photo's renditions and the
/// agencies clustered into it.
#[derive(sqlx::FromRow)]
pub(crate) struct ArticlePageRow {
    #[sqlx(flatten)]
    pub linked: LinkedArticleRow,
    pub renditions_json: String,
    pub members_json: String,
}

impl ArticlePageRow {
    pub fn into_model(self) -> StoreResult<ArticlePageData> {
        Ok(ArticlePageData {
            renditions: renditions(&self.renditions_json)?,
            cluster_members: cluster_members(&self.members_json)?,
            article: self.linked.into_model()?,
        })
    }
}

fn parse<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> StoreResult<T> {
    serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("{what} of an article are not valid JSON: {e}")))
}

fn tags(article_id: Id, raw: &str) -> StoreResult<Vec<ArticleTagRow>> {
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

fn authors(article_id: Id, raw: &str) -> StoreResult<Vec<ArticleAuthorRow>> {
    let parsed: Vec<AuthorJson> = parse(raw, "authors")?;
    Ok(parsed
        .into_iter()
        .map(
            |(
                id,
                slug,
                name,
                bio,
                links,
                p_id,
                p_file,
                p_content_type,
                p_alt,
                p_caption,
                p_credit,
                p_width,
                p_height,
            )| {
                ArticleAuthorRow {
                    article_id,
                    author: AuthorRow {
                        id,
                        slug,
                        name,
                        bio,
                        links: JsonText(links),
                        // Checked for missing columns where every joined photo is.
                        photo: JoinedPhotoRow {
                            p_id,
                            p_file,
                            p_content_type,
                            p_alt,
                            p_caption,
                            p_credit,
                            p_width,
                            p_height,
                        },
                    },
                }
            },
        )
        .collect())
}

fn renditions(raw: &str) -> StoreResult<Vec<PhotoRendition>> {
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

fn cluster_members(raw: &str) -> StoreResult<Vec<ClusterMember>> {
    let parsed: Vec<(String, String, Id)> = parse(raw, "cluster members")?;
    Ok(parsed
        .into_iter()
        .map(|(agency, url, story_id)| ClusterMember {
            agency,
            url,
            story_id,
        })
        .collect())
}
