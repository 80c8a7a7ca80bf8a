//! Column lists several queries of both backends read, as macros so that `concat!` can splice
//! them into SQL literals. The names match the `FromRow` structs in `rows`.

/// The columns of a photo LEFT JOINed as `p`, prefixed `p_` ([`crate::rows::JoinedPhotoRow`]).
macro_rules! photo_columns {
    () => {
        "p.id AS p_id, p.file AS p_file, p.content_type AS p_content_type, p.alt AS p_alt,
         p.caption AS p_caption, p.credit AS p_credit, p.width AS p_width, p.height AS p_height"
    };
}

/// The columns of an article and its lead photo (`a`, `p`): [`crate::rows::ArticleRow`].
macro_rules! article_columns {
    () => {
        concat!(
            "a.id, a.slug, a.headline, a.standfirst, a.body_markdown, a.body_html, a.status,
             a.published_at, a.updated_at, a.created_at, a.canonical_url, a.source_agency,
             a.source_url, a.section_id, a.important, ",
            photo_columns!()
        )
    };
}

/// The columns of an author and their photo (`au`, `p`): [`crate::rows::AuthorRow`].
macro_rules! author_columns {
    () => {
        concat!(
            "au.id, au.slug, au.name, au.bio, au.links, ",
            photo_columns!()
        )
    };
}

/// The columns of a job: [`crate::job_rows::JobRow`].
macro_rules! job_columns {
    () => {
        "id, queue, payload, state, attempts, max_attempts, run_at, last_error, created_at,
         dedupe_key"
    };
}
