//! The `accounts.password_reset` job: mails a newsroom user a link to set a new password. The
//! token is made here, when the mail is, from the user's current password hash (see
//! `newsdesk_core::password_reset`), so no token is ever stored.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use newsdesk_core::accounts::{AccountStore, new_secret_token};
use newsdesk_core::jobs::{Job, JobError, JobHandler};
use newsdesk_core::password_reset::{PasswordResetJob, SECRET_NAME, VALID_FOR, sign};

use crate::compose::Composer;
use crate::transport::{SendError, Transport};

pub struct PasswordResetHandler {
    pub store: Arc<dyn AccountStore>,
    pub transport: Arc<Transport>,
    pub composer: Arc<Composer>,
}

#[async_trait]
impl JobHandler for PasswordResetHandler {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: PasswordResetJob =
            serde_json::from_value(job.payload.clone()).map_err(JobError::permanent)?;
        let Some(user) = self.store.user(payload.user_id).await? else {
            return Ok(());
        };
        if user.disabled {
            return Ok(());
        }
        let Some(creds) = self.store.credentials_by_email(&user.email).await? else {
            return Ok(());
        };
        let secret = self
            .store
            .server_secret(SECRET_NAME, &new_secret_token(""))
            .await?;
        let token = sign(
            &secret,
            user.id,
            &creds.password_hash,
            Utc::now() + VALID_FOR,
        );
        let site = self.composer.site();
        let link = site.url(&format!("/admin/reset?token={token}"));
        let minutes = VALID_FOR.num_minutes();
        let subject = format!("Set a new password for {}", site.title);
        let text = format!(
            "Someone (we hope you) asked to set a new password for your {title} newsroom account.\n\n\
             Open this link within {minutes} minutes to choose one; it works once:\n{link}\n\n\
             If it was not you, ignore this e-mail: your password stays as it is.\n",
            title = site.title
        );
        let html = format!(
            "<!doctype html><html><body><p>Someone (we hope you) asked to set a new password for \
             your {title} newsroom account.</p><p><a href=\"{link}\">Choose a new password</a> \
             within {minutes} minutes; the link works once.</p><p>If it was not you, ignore this \
             e-mail: your password stays as it is.</p></body></html>",
            title = html_escape(&site.title),
            link = html_escape(&link),
        );
        let composed = self
            .composer
            .account_mail(user.email.as_str(), &subject, text, html)
            .map_err(JobError::permanent)?;
        match self
            .transport
            .send(&composed.envelope, &composed.raw, &composed.message_id)
            .await
        {
            Ok(()) => Ok(()),
            Err(SendError::Temporary(e)) => Err(JobError::Retry(e)),
            Err(SendError::Permanent(e)) => Err(JobError::Permanent(e)),
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsdesk_core::accounts::{NewUser, Password, Role, hash_password};
    use newsdesk_core::jobs::NewJob;
    use newsdesk_core::newsletter::TokenKey;
    use newsdesk_core::password_reset::{PASSWORD_RESET_QUEUE, verify};
    use newsdesk_core::{EmailAddress, Store};

    #[tokio::test]
    async fn the_mailed_link_carries_a_token_that_verifies_against_the_current_password() {
        let dir = tempfile::tempdir().expect("dir");
        let store: Arc<dyn Store> = newsdesk_store::open(&format!(
            "sqlite://{}",
            dir.path().join("t.sqlite").display()
        ))
        .await
        .expect("store");
        let hash =
            hash_password(&Password::parse("a long enough password").expect("pw")).expect("hash");
        let user = store
            .create_user(
                &NewUser {
                    email: EmailAddress::parse("ed@example.org").expect("addr"),
                    name: "Ed".into(),
                    role: Role::Editor,
                    password_hash: hash.clone(),
                    author_id: None,
                },
                Utc::now(),
            )
            .await
            .expect("user");
        let site = newsdesk_core::site::SiteSettings {
            base_url: "https://news.example.org".into(),
            ..Default::default()
        };
        let composer = Composer::new(
            site,
            &crate::MailConfig::default(),
            TokenKey::new(b"k".to_vec()),
        )
        .expect("composer");
        let outbox = dir.path().join("outbox");
        let handler = PasswordResetHandler {
            store: store.clone(),
            transport: Arc::new(Transport::new(&[], 1, "example.org", &outbox).expect("t")),
            composer: Arc::new(composer),
        };
        let payload = serde_json::to_value(PasswordResetJob { user_id: user.id }).expect("json");
        store
            .enqueue(&NewJob::new(PASSWORD_RESET_QUEUE, payload))
            .await
            .expect("enqueue");
        let now = Utc::now();
        let job = store
            .claim(
                &[PASSWORD_RESET_QUEUE],
                "t",
                std::time::Duration::from_secs(30),
                now,
            )
            .await
            .expect("claim")
            .expect("job");
        handler.run(&job).await.expect("sent");

        let file = std::fs::read_dir(&outbox)
            .expect("outbox")
            .filter_map(Result::ok)
            .next()
            .expect("one e-mail");
        let raw = std::fs::read(file.path()).expect("read");
        let msg = mail_parser::MessageParser::default()
            .parse(&raw)
            .expect("parse");
        assert_eq!(
            msg.to().and_then(|a| a.first()).and_then(|a| a.address()),
            Some("ed@example.org")
        );
        assert!(msg.header_raw("List-Unsubscribe").is_none());
        let text = msg.body_text(0).expect("text").into_owned();
        let marker = "https://news.example.org/admin/reset?token=";
        let start = text.find(marker).expect("the link") + marker.len();
        let token: String = text[start..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let secret = store
            .server_secret(SECRET_NAME, "unused")
            .await
            .expect("secret");
        assert_eq!(verify(&secret, &token, &hash, Utc::now()), Ok(user.id));
    }
}
