//! The `newsletter.confirm` job: sends the confirmation e-mail after a sign-up, so the request
//! never waits for SMTP.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use newsdesk_core::SubscriptionStatus;
use newsdesk_core::jobs::{Job, JobError, JobHandler};
use newsdesk_core::newsletter::{ConfirmJob, NewsletterStore};

use crate::compose::Composer;
use crate::transport::{SendError, Transport};

pub struct ConfirmHandler {
    pub store: Arc<dyn NewsletterStore>,
    pub transport: Arc<Transport>,
    pub composer: Arc<Composer>,
}

#[async_trait]
impl JobHandler for ConfirmHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: ConfirmJob =
            serde_json::from_value(job.payload.clone()).map_err(JobError::permanent)?;
        let Some(sub) = self
            .store
            .newsletter_subscriber(payload.subscriber_id)
            .await?
        else {
            return Ok(());
        };
        let already = match sub.status {
            SubscriptionStatus::Pending if sub.token_gen == payload.token_gen => false,
            SubscriptionStatus::Confirmed => true,
            // Superseded by a newer sign-up (its own job sends the link), or gone.
            _ => return Ok(()),
        };
        let composed = self
            .composer
            .confirmation(&sub, already, Utc::now())
            .map_err(JobError::permanent)?;
        match self
            .transport
            .send(&composed.envelope, &composed.raw, &composed.message_id)
            .await
        {
            Ok(()) => Ok(()),
            Err(SendError::Temporary(e)) => Err(JobError::Retry(e)),
            Err(SendError::Permanent(e)) => {
                self.store.mark_bounced(sub.id, &e, Utc::now()).await?;
                Err(JobError::Permanent(e))
            }
        }
    }
}
