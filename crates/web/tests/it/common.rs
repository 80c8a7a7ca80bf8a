//! `TestApp`: the real router on 127.0.0.1:0 over a fresh SQLite file in a temp dir.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use newsdesk_core::site::SiteSettings;
use newsdesk_core::*;
use newsdesk_web::AppState;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub state: AppState,
    pub uploads: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like `spawn`, with the state adjusted before the server starts.
    pub async fn spawn_with(configure: impl FnOnce(&mut AppState)) -> TestApp {
        // reqwest is built without a bundled TLS provider (to avoid aws-lc); pick ring once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("newsdesk.sqlite");
        let store = newsdesk_store::open(&format!("sqlite://{}", db.display()))
            .await
            .expect("open sqlite store");
        let uploads = dir.path().join("uploads");
        std::fs::create_dir_all(&uploads).expect("uploads dir");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://{addr}");
        let site = SiteSettings {
            base_url: base.clone(),
            title: "Test Desk".into(),
            ..SiteSettings::default()
        };
        let media = newsdesk_web::MediaStore::local(&uploads).expect("media store");
        let mut state = AppState::new(store.clone(), site, media);
        configure(&mut state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serve_state = state.clone();
        tokio::spawn(async move {
            let _ = newsdesk_web::serve(listener, serve_state, async {
                let _ = rx.await;
            })
            .await;
        });
        // No automatic decompression: tests look at what the server really sent.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base,
            client,
            store,
            state,
            uploads,
            _dir: dir,
            shutdown: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_text(&self, path: &str) -> (reqwest::StatusCode, String) {
        let r = self.get(path).await;
        let s = r.status();
        (s, r.text().await.expect("body"))
    }

    /// Content changed behind the cache's back (tests write to the store directly).
    pub fn invalidate(&self) {
        self.state.cache.invalidate_all();
    }

    pub async fn author(&self, slug: &str, name: &str) -> Author {
        self.store
            .create_author(&NewAuthor {
                slug: Slug::parse(slug).expect("slug"),
                name: name.into(),
                bio: format!("{name} covers the city for the test desk."),
                photo_id: None,
                links: vec![],
            })
            .await
            .expect("author")
    }

    pub async fn tag(&self, slug: &str, name: &str) -> Tag {
        self.store
            .create_tag(&NewTag {
                slug: Slug::parse(slug).expect("slug"),
                name: name.into(),
                description: String::new(),
            })
            .await
            .expect("tag")
    }

    pub async fn photo(&self, file: &str, caption: &str, credit: &str) -> Photo {
        std::fs::write(self.uploads.join(file), SAMPLE_SVG).expect("write photo");
        self.store
            .create_photo(&NewPhoto {
                file: file.into(),
                content_type: "image/svg+xml".into(),
                alt: format!("Illustration: {caption}"),
                caption: caption.into(),
                credit: credit.into(),
                width: 1200,
                height: 800,
            })
            .await
            .expect("photo")
    }

    /// A published article written `hours_ago`; `markdown` is rendered like the real editor does.
    pub async fn article(&self, spec: ArticleSpec<'_>) -> Article {
        let published_at = spec
            .published_at
            .unwrap_or_else(|| Utc::now() - Duration::hours(1));
        self.store
            .create_article(&NewArticle {
                slug: Slug::parse(spec.slug).expect("slug"),
                headline: spec.headline.into(),
                standfirst: spec.standfirst.into(),
                body_markdown: spec.markdown.into(),
                body_html: newsdesk_core::markdown::render(spec.markdown),
                status: spec.status,
                published_at: Some(published_at),
                canonical_url: None,
                source: spec.source,
                author_ids: spec.authors.iter().map(|a| a.id).collect(),
                lead_photo_id: spec.photo.map(|p| p.id),
                tag_ids: spec.tags.iter().map(|t| t.id).collect(),
                section_id: spec.tags.first().map(|t| t.id),
                important: spec.important,
            })
            .await
            .expect("article")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct ArticleSpec<'a> {
    pub slug: &'a str,
    pub headline: &'a str,
    pub standfirst: &'a str,
    pub markdown: &'a str,
    pub status: ArticleStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub authors: &'a [Author],
    pub tags: &'a [Tag],
    pub photo: Option<&'a Photo>,
    pub important: bool,
    pub source: Option<SourceRef>,
}

impl Default for ArticleSpec<'_> {
    fn default() -> Self {
        ArticleSpec {
            slug: "harbour-crane-repaired",
            headline: "Harbour crane repaired after storm",
            standfirst: "Port workers had the main crane running again within two days.",
            markdown: "The crane at pier four was lifting containers again on Tuesday.\n\n> We worked through both nights.\n>\n> — Lena Ortiz, crane foreman\n",
            status: ArticleStatus::Published,
            published_at: None,
            authors: &[],
            tags: &[],
            photo: None,
            important: false,
            source: None,
        }
    }
}

pub const SAMPLE_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800" viewBox="0 0 1200 800"><rect width="1200" height="800" fill="#2d4a6b"/><circle cx="900" cy="220" r="120" fill="#f2c14e"/></svg>"##;
