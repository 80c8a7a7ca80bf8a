//! Composing the newsletter's e-mails: templates in, signed, standards-conforming messages out.

use askama::Template;
use chrono::{DateTime, Duration, Utc};
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};
use newsdesk_core::Id;
use newsdesk_core::newsletter::{
    Issue, IssueArticle, NewsletterSubscriber, TokenKey, TokenPurpose, message_id,
};
use newsdesk_core::site::SiteSettings;

use crate::config::MailConfig;

/// Local parts of the addresses newsdesk receives mail at (see [`crate::inbound`]):
/// `unsubscribe+TOKEN@domain` (the mailto in `List-Unsubscribe`) and `bounces+TOKEN@domain` (the
/// envelope sender, so that bounces come back naming their subscriber).
pub const UNSUBSCRIBE_LOCAL: &str = "unsubscribe";
pub const BOUNCES_LOCAL: &str = "bounces";

/// How long a confirmation link works.
pub const CONFIRM_VALID_HOURS: i64 = 48;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid sender address {0:?}")]
    From(String),
    #[error("the address {0:?} cannot be used in an e-mail")]
    Recipient(String),
    #[error("cannot render the e-mail template: {0}")]
    Template(#[from] askama::Error),
    #[error("cannot build the e-mail: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("cannot read the DKIM key {path}: {reason}")]
    DkimKey { path: String, reason: String },
}

/// A subscriber's personal links, as every e-mail carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// Opens a page with an unsubscribe button (GET), and unsubscribes on POST (RFC 8058).
    pub unsubscribe: String,
    pub unsubscribe_mailto: String,
    pub preferences: String,
}

/// A message ready for the transport.
#[derive(Debug, Clone)]
pub struct Composed {
    pub envelope: lettre::address::Envelope,
    pub raw: Vec<u8>,
    pub message_id: String,
}

/// Builds the newsletter's e-mails for one site.
pub struct Composer {
    site: SiteSettings,
    from: Mailbox,
    /// The sender's domain: Message-IDs and the mailto unsubscribe address use it.
    domain: String,
    key: TokenKey,
    dkim: Option<DkimConfig>,
}

impl std::fmt::Debug for Composer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Composer")
            .field("from", &self.from.to_string())
            .field("dkim", &self.dkim.is_some())
            .finish_non_exhaustive()
    }
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    site_title: &'a str,
    heading: &'a str,
    date: String,
    base_url: &'a str,
    issue_url: String,
    articles: &'a [&'a IssueArticle],
    links: Option<&'a Links>,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    site_title: &'a str,
    heading: &'a str,
    date: String,
    base_url: &'a str,
    issue_url: String,
    articles: &'a [&'a IssueArticle],
    links: Option<&'a Links>,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    site_title: &'a str,
    already: bool,
    confirm_url: &'a str,
    preferences_url: &'a str,
    valid_hours: i64,
}

#[derive(Template)]
#[template(path = "confirm.txt")]
struct ConfirmText<'a> {
    subject: &'a str,
    site_title: &'a str,
    already: bool,
    confirm_url: &'a str,
    preferences_url: &'a str,
    valid_hours: i64,
}

impl Composer {
    pub fn new(
        site: SiteSettings,
        config: &MailConfig,
        key: TokenKey,
    ) -> Result<Self, ComposeError> {
        let host = url::Url::parse(&site.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err())
            .unwrap_or_else(|| "localhost.localdomain".into());
        let from_text = if config.from.trim().is_empty() {
            format!(
                "{} <newsletter@{host}>",
                site.title.replace(['<', '>', '"'], "")
            )
        } else {
            config.from.trim().to_owned()
        };
        let from: Mailbox = from_text
            .parse()
            .map_err(|_| ComposeError::From(from_text.clone()))?;
        let domain = from.email.domain().to_owned();
        let dkim = if config.dkim_domain.is_empty()
            || config.dkim_selector.is_empty()
            || config.dkim_key_file.as_os_str().is_empty()
        {
            None
        } else {
            let path = config.dkim_key_file.display().to_string();
            let pem = std::fs::read_to_string(&config.dkim_key_file).map_err(|e| {
                ComposeError::DkimKey {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
            let algorithm = match config.dkim_algorithm.as_str() {
                "ed25519" => DkimSigningAlgorithm::Ed25519,
                _ => DkimSigningAlgorithm::Rsa,
            };
            let key =
                DkimSigningKey::new(pem.trim(), algorithm).map_err(|e| ComposeError::DkimKey {
                    path,
                    reason: e.to_string(),
                })?;
            // RFC 8058 §4: the one-click headers must be covered by the signature, or
            // providers ignore them. Relaxed header canonicalization survives refolding by
            // relays. Not Content-Type: lettre signs before it adds a multipart message's
            // Content-Type, so listing it gives a signature that never verifies (found by the
            // dkimpy test).
            let signed = [
                "From",
                "To",
                "Subject",
                "Date",
                "Message-ID",
                "MIME-Version",
                "List-Id",
                "List-Unsubscribe",
                "List-Unsubscribe-Post",
            ];
            Some(DkimConfig::new(
                config.dkim_selector.clone(),
                config.dkim_domain.clone(),
                key,
                signed
                    .iter()
                    .map(|h| HeaderName::new_from_ascii_str(h))
                    .collect(),
                DkimCanonicalization {
                    header: DkimCanonicalizationType::Relaxed,
                    body: DkimCanonicalizationType::Relaxed,
                },
            ))
        };
        Ok(Composer {
            site,
            from,
            domain,
            key,
            dkim,
        })
    }

    pub fn key(&self) -> &TokenKey {
        &self.key
    }

    pub fn site(&self) -> &SiteSettings {
        &self.site
    }

    pub fn links(&self, subscriber_id: Id) -> Links {
        let unsub = self
            .key
            .sign(TokenPurpose::Unsubscribe, subscriber_id, 0, None);
        let prefs = self
            .key
            .sign(TokenPurpose::Preferences, subscriber_id, 0, None);
        Links {
            unsubscribe: self
                .site
                .url(&format!("/newsletter/unsubscribe?token={unsub}")),
            unsubscribe_mailto: format!("mailto:{UNSUBSCRIBE_LOCAL}+{unsub}@{}", self.domain),
            preferences: self
                .site
                .url(&format!("/newsletter/preferences?token={prefs}")),
        }
    }

    /// `bounces+TOKEN@domain`: the envelope sender for mail to this subscriber.
    fn return_path(&self, subscriber_id: Id) -> Option<Address> {
        let t = self.key.sign(TokenPurpose::Bounce, subscriber_id, 0, None);
        format!("{BOUNCES_LOCAL}+{t}@{}", self.domain).parse().ok()
    }

    pub fn confirm_url(&self, sub: &NewsletterSubscriber, now: DateTime<Utc>) -> String {
        let t = self.key.sign(
            TokenPurpose::Confirm,
            sub.id,
            sub.token_gen,
            Some(now + Duration::hours(CONFIRM_VALID_HOURS)),
        );
        self.site.url(&format!("/newsletter/confirm?token={t}"))
    }

    fn heading(issue: &Issue) -> &'static str {
        match issue.kind {
            newsdesk_core::newsletter::IssueKind::Daily => "Today's important stories",
            newsdesk_core::newsletter::IssueKind::Weekly => "The week's important stories",
            newsdesk_core::newsletter::IssueKind::Manual => "The important stories",
        }
    }

    /// The digest's HTML, for a subscriber (`links`) or as a preview (`None`).
    pub fn digest_html(
        &self,
        issue: &Issue,
        articles: &[&IssueArticle],
        links: Option<&Links>,
    ) -> Result<String, ComposeError> {
        Ok(DigestHtml {
            lang: &self.site.language,
            subject: &issue.subject,
            site_title: &self.site.title,
            heading: Self::heading(issue),
            date: issue.created_at.format("%-d %B %Y").to_string(),
            base_url: self.site.base_url.trim_end_matches('/'),
            issue_url: self.site.url(&format!("/newsletter/issues/{}", issue.id)),
            articles,
            links,
        }
        .render()?)
    }

    pub fn digest_text(
        &self,
        issue: &Issue,
        articles: &[&IssueArticle],
        links: Option<&Links>,
    ) -> Result<String, ComposeError> {
        Ok(DigestText {
            site_title: &self.site.title,
            heading: Self::heading(issue),
            date: issue.created_at.format("%-d %B %Y").to_string(),
            base_url: self.site.base_url.trim_end_matches('/'),
            issue_url: self.site.url(&format!("/newsletter/issues/{}", issue.id)),
            articles,
            links,
        }
        .render()?)
    }

    /// The digest e-mail of `issue` for one subscriber.
    pub fn digest(
        &self,
        issue: &Issue,
        subscriber_id: Id,
        to: &str,
        articles: &[&IssueArticle],
    ) -> Result<Composed, ComposeError> {
        let links = self.links(subscriber_id);
        let html = self.digest_html(issue, articles, Some(&links))?;
        let text = self.digest_text(issue, articles, Some(&links))?;
        let id = message_id(issue.id, subscriber_id, &self.domain);
        self.build(
            to,
            &issue.subject,
            id,
            (text, html),
            Some(&links),
            Some(subscriber_id),
        )
    }

    /// The confirmation e-mail (or, for a confirmed address, the "already subscribed" note).
    pub fn confirmation(
        &self,
        sub: &NewsletterSubscriber,
        already: bool,
        now: DateTime<Utc>,
    ) -> Result<Composed, ComposeError> {
        let subject = if already {
            format!("You are already subscribed to {}", self.site.title)
        } else {
            format!("Confirm your subscription to {}", self.site.title)
        };
        let confirm_url = if already {
            String::new()
        } else {
            self.confirm_url(sub, now)
        };
        let links = self.links(sub.id);
        let html = ConfirmHtml {
            lang: &self.site.language,
            subject: &subject,
            site_title: &self.site.title,
            already,
            confirm_url: &confirm_url,
            preferences_url: &links.preferences,
            valid_hours: CONFIRM_VALID_HOURS,
        }
        .render()?;
        let text = ConfirmText {
            subject: &subject,
            site_title: &self.site.title,
            already,
            confirm_url: &confirm_url,
            preferences_url: &links.preferences,
            valid_hours: CONFIRM_VALID_HOURS,
        }
        .render()?;
        let id = format!(
            "<confirm-{}.{}.{}@{}>",
            sub.id,
            sub.token_gen,
            now.timestamp(),
            self.domain
        );
        // A confirmation is transactional, not bulk: no List-Unsubscribe.
        self.build(
            sub.email.as_str(),
            &subject,
            id,
            (text, html),
            None,
            Some(sub.id),
        )
    }

    /// A transactional e-mail to a newsroom account (no list headers, no VERP).
    pub fn account_mail(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: String,
    ) -> Result<Composed, ComposeError> {
        let id = format!(
            "<account-{:016x}.{}@{}>",
            rand::random::<u64>(),
            Utc::now().timestamp(),
            self.domain
        );
        self.build(to, subject, id, (text, html), None, None)
    }

    /// `(text, html)` become the multipart/alternative body; for mail to a subscriber
    /// (`bounce_for`) the envelope sender is their VERP bounce address, else the From address.
    fn build(
        &self,
        to: &str,
        subject: &str,
        message_id: String,
        (text, html): (String, String),
        links: Option<&Links>,
        bounce_for: Option<Id>,
    ) -> Result<Composed, ComposeError> {
        let to_addr: Address = to
            .parse()
            .map_err(|_| ComposeError::Recipient(to.to_owned()))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to_addr))
            .subject(subject)
            .message_id(Some(message_id.clone()))
            .date_now();
        if let Some(links) = links {
            b = b
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{}>, <{}>", links.unsubscribe, links.unsubscribe_mailto),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Id"),
                    format!(
                        "{} newsletter <newsletter.{}>",
                        self.site.title, self.domain
                    ),
                ));
        }
        let mut message = b.multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html),
                ),
        )?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        let envelope = match bounce_for.and_then(|id| self.return_path(id)) {
            Some(sender) => {
                lettre::address::Envelope::new(Some(sender), message.envelope().to().to_vec())?
            }
            None => message.envelope().clone(),
        };
        Ok(Composed {
            envelope,
            raw: message.formatted(),
            message_id,
        })
    }
}
