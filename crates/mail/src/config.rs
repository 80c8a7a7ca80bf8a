//! The `[mail]` table of newsdesk's configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One SMTP server of several (`[[mail.smtp_urls]]`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpServerConfig {
    /// `smtp://[user:password@]host:port` (`?tls=required` for STARTTLS) or `smtps://...`.
    pub url: String,
    /// Messages per second to this server; 0 means no limit.
    #[serde(default)]
    pub rate_per_second: f64,
}

impl std::fmt::Debug for SmtpServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpServerConfig")
            .field("url", &redact_url(&self.url))
            .field("rate_per_second", &self.rate_per_second)
            .finish()
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// The SMTP server (env `NEWSDESK_SMTP_URL`), e.g. `smtp://127.0.0.1:2525`; empty means
    /// none: e-mails are written to `outbox_dir` instead.
    pub smtp_url: String,
    /// Messages per second to `smtp_url`; 0 means no limit.
    pub rate_per_second: f64,
    /// More servers, tried in turn (failover) and each with its own rate limit.
    pub smtp_urls: Vec<SmtpServerConfig>,
    /// Pooled connections per server.
    pub connections: u32,
    /// The sender, e.g. `The Harbour Times <newsletter@news.example.org>`; empty means
    /// `newsletter@<the site's host>`.
    pub from: String,
    /// Where `.eml` files go when no SMTP server is configured; empty means `<data_dir>/outbox`.
    pub outbox_dir: PathBuf,
    /// DKIM: signing domain, selector and private key file (PKCS#1 PEM for RSA, base64 for
    /// ed25519); signing is on when all three are set.
    pub dkim_domain: String,
    pub dkim_selector: String,
    pub dkim_key_file: PathBuf,
    /// `rsa` or `ed25519`.
    pub dkim_algorithm: String,
    /// Messages in flight at once while sending an issue.
    pub concurrency: u32,
    /// First retry after a temporary failure, in seconds; doubles with each attempt.
    pub retry_base_seconds: u64,
    /// Attempts before a recipient who keeps failing temporarily is given up on.
    pub max_attempts: u32,
    /// How long a sender's claim on a batch of recipients lasts; after a crash, its unsent
    /// recipients are picked up again once this has passed.
    pub lease_seconds: u64,
    /// Send daily and weekly digests from `serve` on schedule.
    pub schedule: bool,
    /// Hour of the day (UTC) at which scheduled digests go out; weekly ones on Mondays.
    pub send_hour_utc: u32,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp_url: String::new(),
            rate_per_second: 0.0,
            smtp_urls: Vec::new(),
            connections: 4,
            from: String::new(),
            outbox_dir: PathBuf::new(),
            dkim_domain: String::new(),
            dkim_selector: String::new(),
            dkim_key_file: PathBuf::new(),
            dkim_algorithm: "rsa".into(),
            concurrency: 16,
            retry_base_seconds: 60,
            max_attempts: 8,
            lease_seconds: 60,
            schedule: true,
            send_hour_utc: 6,
        }
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &redact_url(&self.smtp_url))
            .field("rate_per_second", &self.rate_per_second)
            .field("smtp_urls", &self.smtp_urls)
            .field("connections", &self.connections)
            .field("from", &self.from)
            .field("outbox_dir", &self.outbox_dir)
            .field("dkim_domain", &self.dkim_domain)
            .field("dkim_selector", &self.dkim_selector)
            .field("dkim_key_file", &self.dkim_key_file)
            .field("dkim_algorithm", &self.dkim_algorithm)
            .field("concurrency", &self.concurrency)
            .field("retry_base_seconds", &self.retry_base_seconds)
            .field("max_attempts", &self.max_attempts)
            .field("lease_seconds", &self.lease_seconds)
            .field("schedule", &self.schedule)
            .field("send_hour_utc", &self.send_hour_utc)
            .finish()
    }
}

impl MailConfig {
    /// Every SMTP server configured, `smtp_url` first.
    pub fn servers(&self) -> Vec<SmtpServerConfig> {
        let mut all = Vec::new();
        if !self.smtp_url.trim().is_empty() {
            all.push(SmtpServerConfig {
                url: self.smtp_url.trim().to_owned(),
                rate_per_second: self.rate_per_second,
            });
        }
        all.extend(self.smtp_urls.iter().cloned());
        all
    }

    /// A copy fit for printing: passwords in SMTP URLs replaced.
    pub fn redacted(&self) -> MailConfig {
        let mut c = self.clone();
        c.smtp_url = redact_url(&c.smtp_url);
        for s in &mut c.smtp_urls {
            s.url = redact_url(&s.url);
        }
        c
    }
}

/// The URL with any password replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => raw.to_owned(),
        // Not a URL we can read: it might still hold a secret, so show nothing of it.
        Err(_) if raw.contains('@') => "(unparsable URL hidden)".into(),
        Err(_) => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_passwords_never_show_in_debug_or_redacted_copies() {
        let c = MailConfig {
            smtp_url: "smtp://user:hunter2@mail.example.org:587".into(),
            smtp_urls: vec![SmtpServerConfig {
                url: "smtps://u:s3cret@backup.example.org".into(),
                rate_per_second: 10.0,
            }],
            ..MailConfig::default()
        };
        let shown = format!("{c:?} {:?}", c.redacted());
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(shown.contains("mail.example.org"));
    }
}
