//! The `accounts.password_reset` job: mails a newsroom user a link to set a new password. The
//! token is made here, when the mail is, from the user's current password hash (see
//! `newsdesk_core::password_reset`), so no token is ever stored.

use std::sync::Arc;

use askama::Template;
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
        let subject = format!("Set a new password for {}", site.title);
        let mail = ResetMail {
            lang: &site.language,
            subject: &subject,
            site_title: &site.title,
            link: &link,
            minutes: VALID_FOR.num_minutes(),
        };
        let text = ResetText { mail: &mail }
            .render()
            .map_err(JobError::permanent)?;
        let html = mail.render().map_err(JobError::permanent)?;
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

/// The HTML part; askama escapes every value in it.
#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetMail<'a> {
    lang: &'a str,
    subject: &'a str,
    site_title: &'a str,
    link: &'a str,
    minutes: i64,
}

/// The plain-text part: the same values, unescaped (`.txt` templates are not HTML).
#[derive(Template)]
#[template(path = "password_reset.txt")]
struct ResetText<'a> {
    mail: &'a ResetMail<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use newsdesk_core::accounts::{NewUser, Password, Role, hash_password};
    use newsdesk_core::jobs::NewJob;
    use newsdesk_core::newsletter::TokenKey;
    use newsdesk_core::password_reset::{PASSWORD_RESET_QUEUE, verify};
    use newsdesk_core::{EmailAddress, Store};

    #[test]
    fn the_html_part_escapes_the_site_title_and_the_text_part_keeps_it_as_written() {
        let mail = ResetMail {
            lang: "en",
            subject: "Set a new password for Tom & Jerry <News>",
            site_title: "Tom & Jerry <News>",
            link: "https://news.example.org/admin/reset?token=a&b",
            minutes: 30,
        };
        let html = mail.render().expect("html");
        assert!(
            html.contains("your Tom &#38; Jerry &#60;News&#62; newsroom")
                || html.contains("your Tom &amp; Jerry &lt;News&gt; newsroom"),
            "{html}"
        );
        assert!(!html.contains("<News>"), "{html}");
        assert!(html.contains("within 30 minutes"), "{html}");
        let text = ResetText { mail: &mail }.render().expect("text");
        assert!(
            text.contains("your Tom & Jerry <News> newsroom account"),
            "{text}"
        );
        assert!(
            text.contains("\nhttps://news.example.org/admin/reset?token=a&b\n"),
            "{text}"
        );
    }

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
