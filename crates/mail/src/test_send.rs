//! Test copies of the next digest: the `newsletter.test_send` job (queued from
//! `/admin/newsletter`) and `newsdesk newsletter test-send`. Nothing is recorded: the digest is
//! not stored as an issue, and the address need not be a subscriber.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use newsdesk_core::Store;
use newsdesk_core::jobs::{Job, JobError, JobHandler};
use newsdesk_core::newsletter::{IssueKind, TestSendJob, digest, select_articles};

use crate::compose::Composer;
use crate::transport::{SendError, Transport};

#[derive(Debug, thiserror::Error)]
pub enum TestSendError {
    #[error(transparent)]
    Store(#[from] newsdesk_core::StoreError),
    #[error("cannot compose the test e-mail: {0}")]
    Compose(#[from] crate::ComposeError),
    #[error(transparent)]
    Send(#[from] SendError),
}

/// Composes the next manual digest as of now and sends it to `to`; returns how many stories it
/// had.
pub async fn send_test_digest(
    store: &dyn Store,
    transport: &Transport,
    composer: &Composer,
    to: &str,
) -> Result<usize, TestSendError> {
    let issue = digest::next_issue(store, &composer.site().title, IssueKind::Manual, Utc::now())
        .await?
        .into_preview();
    let articles = select_articles(&issue.articles, &[], None);
    // Subscriber 0: the personal links in a test copy lead nowhere.
    let composed = composer.digest(&issue, 0, to, &articles)?;
    transport
        .send(&composed.envelope, &composed.raw, "test-send")
        .await?;
    Ok(articles.len())
}

pub struct TestSendHandler {
    pub store: Arc<dyn Store>,
    pub transport: Arc<Transport>,
    pub composer: Arc<Composer>,
}

#[async_trait]
impl JobHandler for TestSendHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: TestSendJob =
            serde_json::from_value(job.payload.clone()).map_err(JobError::permanent)?;
        match send_test_digest(
            self.store.as_ref(),
            &self.transport,
            &self.composer,
            payload.to.as_str(),
        )
        .await
        {
            Ok(n) => {
                tracing::info!(to = %payload.to.as_str(), stories = n, "test digest sent");
                Ok(())
            }
            Err(TestSendError::Send(SendError::Temporary(e))) => Err(JobError::Retry(e)),
            Err(TestSendError::Store(e)) => Err(e.into()),
            Err(e) => Err(JobError::permanent(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsdesk_core::jobs::NewJob;
    use newsdesk_core::newsletter::{TEST_SEND_QUEUE, TokenKey};
    use newsdesk_core::{EmailAddress, NewArticle, Slug};

    #[tokio::test]
    async fn a_queued_test_send_writes_the_next_digest_to_that_address_and_records_no_issue() {
        let dir = tempfile::tempdir().expect("dir");
        let store: Arc<dyn Store> = newsdesk_store::open(&format!(
            "sqlite://{}",
            dir.path().join("t.sqlite").display()
        ))
        .await
        .expect("store");
        let body = "Our own words.";
        store
            .create_article(&NewArticle {
                slug: Slug::parse("tide-gauge-fixed").expect("slug"),
                headline: "The tide gauge is fixed".into(),
                standfirst: "One line.".into(),
                body_markdown: body.into(),
                body_html: newsdesk_core::markdown::render(body),
                status: newsdesk_core::ArticleStatus::Published,
                published_at: Some(Utc::now() - chrono::Duration::seconds(5)),
                canonical_url: None,
                source: None,
                author_ids: vec![],
                lead_photo_id: None,
                tag_ids: vec![],
                section_id: None,
                important: true,
            })
            .await
            .expect("article");
        let site = newsdesk_core::site::SiteSettings::default();
        let composer = Composer::new(
            site,
            &crate::MailConfig::default(),
            TokenKey::new(b"test key".to_vec()),
        )
        .expect("composer");
        let outbox = dir.path().join("outbox");
        let handler = TestSendHandler {
            store: store.clone(),
            transport: Arc::new(Transport::new(&[], 1, "example.org", &outbox).expect("t")),
            composer: Arc::new(composer),
        };
        let payload = TestSendJob {
            to: EmailAddress::parse("editor@example.org").expect("addr"),
        };
        store
            .enqueue(&NewJob::new(
                TEST_SEND_QUEUE,
                serde_json::to_value(&payload).expect("json"),
            ))
            .await
            .expect("enqueue");
        let now = Utc::now();
        let job = store
            .claim(
                &[TEST_SEND_QUEUE],
                "t",
                std::time::Duration::from_secs(30),
                now,
            )
            .await
            .expect("claim")
            .expect("a job");
        handler.run(&job).await.expect("sent");

        let files: Vec<_> = std::fs::read_dir(&outbox)
            .expect("outbox")
            .filter_map(Result::ok)
            .collect();
        assert_eq!(files.len(), 1);
        let raw = String::from_utf8(std::fs::read(files[0].path()).expect("read")).expect("utf8");
        assert!(raw.contains("To: editor@example.org"), "{raw}");
        assert!(raw.contains("The tide gauge is fixed"), "{raw}");
        assert!(store.list_issues(None, 5).await.expect("issues").is_empty());
    }
}
