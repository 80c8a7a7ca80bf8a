//! Mail that comes back: bounces, complaints and mailto unsubscribes, sorted into what they mean
//! for one subscriber. Pure: bytes and an address in, a verdict out; the caller applies it.
//!
//! Every newsletter e-mail is sent with the envelope sender `bounces+TOKEN@domain` (VERP) and a
//! `List-Unsubscribe` mailto of `unsubscribe+TOKEN@domain`, each token signed for its purpose, so
//! the address a message arrives at says whom it is about; forged or foreign addresses are ignored.
//! An MTA hands such mail to `newsdesk newsletter inbound` (e.g. a Postfix pipe alias).
//!
//! - At `unsubscribe+…`: any message unsubscribes (RFC 2369 / RFC 8058 mailto).
//! - At `bounces+…`: a delivery status notification (RFC 3464 `multipart/report;
//!   report-type=delivery-status`) whose recipient failed with a 5.x.x status is a hard bounce;
//!   4.x.x or `delayed` is a soft bounce and changes nothing; an abuse report (RFC 5965
//!   `report-type=feedback-report`) is a complaint and unsubscribes; anything else (auto-replies)
//!   is ignored.

use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders as _};
use newsdesk_core::Id;
use newsdesk_core::newsletter::{TokenKey, TokenPurpose};

use crate::compose::{BOUNCES_LOCAL, UNSUBSCRIBE_LOCAL};

/// What an inbound message means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// The address does not exist or refuses mail for good: stop sending to it.
    HardBounce {
        subscriber_id: Id,
        status: String,
        diagnostic: String,
    },
    /// A temporary problem (mailbox full, delayed): nothing changes.
    SoftBounce { subscriber_id: Id, status: String },
    /// The recipient reported the newsletter as spam: unsubscribe them.
    Complaint { subscriber_id: Id },
    /// A mail to the `List-Unsubscribe` mailto address.
    Unsubscribe { subscriber_id: Id },
    /// Nothing to act on, and why.
    Ignored { reason: String },
}

/// Sorts `raw`, received at `recipient`.
pub fn classify(key: &TokenKey, recipient: &str, raw: &[u8], now: DateTime<Utc>) -> Inbound {
    let Some((purpose, token)) = split_recipient(recipient) else {
        return ignored(format!(
            "{recipient:?} is not a {UNSUBSCRIBE_LOCAL}+… or {BOUNCES_LOCAL}+… address"
        ));
    };
    let subscriber_id = match key.verify(token, purpose, now) {
        Ok(v) => v.subscriber_id,
        Err(e) => return ignored(format!("{recipient:?}: {e}")),
    };
    if purpose == TokenPurpose::Unsubscribe {
        return Inbound::Unsubscribe { subscriber_id };
    }
    let Some(message) = MessageParser::default().parse(raw) else {
        return ignored("not an e-mail message".into());
    };
    let report_type = message
        .root_part()
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    match report_type.as_deref() {
        Some("feedback-report") => Inbound::Complaint { subscriber_id },
        Some("delivery-status") => {
            let status = message.parts.iter().find_map(|part| {
                let ct = part.content_type()?;
                let sub = ct.subtype()?.to_ascii_lowercase();
                (ct.ctype().eq_ignore_ascii_case("message")
                    && (sub == "delivery-status" || sub == "global-delivery-status"))
                    .then(|| String::from_utf8_lossy(part.contents()).into_owned())
            });
            match status {
                Some(fields) => from_delivery_status(subscriber_id, &fields),
                None => ignored("a delivery report without a delivery-status part".into()),
            }
        }
        _ => ignored("not a delivery status notification or abuse report".into()),
    }
}

fn ignored(reason: String) -> Inbound {
    Inbound::Ignored { reason }
}

/// `unsubscribe+TOKEN@…` or `bounces+TOKEN@…` (any case, optional angle brackets).
fn split_recipient(recipient: &str) -> Option<(TokenPurpose, &str)> {
    let addr = recipient
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let (local, _domain) = addr.rsplit_once('@')?;
    let (tag, token) = local.split_once('+')?;
    let purpose = if tag.eq_ignore_ascii_case(UNSUBSCRIBE_LOCAL) {
        TokenPurpose::Unsubscribe
    } else if tag.eq_ignore_ascii_case(BOUNCES_LOCAL) {
        TokenPurpose::Bounce
    } else {
        return None;
    };
    Some((purpose, token))
}

/// Reads the per-recipient fields of an RFC 3464 `message/delivery-status` body. We send one
/// recipient per message, so the first recipient block with an `Action` decides.
fn from_delivery_status(subscriber_id: Id, fields: &str) -> Inbound {
    // Blocks are separated by blank lines; the first is per-message (Reporting-MTA, …).
    let unfolded = fields.replace("\r\n", "\n");
    for block in unfolded.split("\n\n") {
        let mut action = None;
        let mut status = String::new();
        let mut diagnostic = String::new();
        for line in block.lines() {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.trim().to_ascii_lowercase().as_str() {
                "action" => action = Some(value.to_ascii_lowercase()),
                "status" => status = value.to_owned(),
                "diagnostic-code" => diagnostic = value.chars().take(500).collect(),
                _ => {}
            }
        }
        let Some(action) = action else { continue };
        return match action.as_str() {
            "failed" if status.starts_with('5') => Inbound::HardBounce {
                subscriber_id,
                status,
                diagnostic,
            },
            "failed" | "delayed" => Inbound::SoftBounce {
                subscriber_id,
                status,
            },
            // delivered, relayed, expanded: good news, nothing to do.
            other => ignored(format!("a delivery report saying {other:?}")),
        };
    }
    ignored("a delivery report with no recipient action".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> TokenKey {
        TokenKey::new(b"a test secret of our own, 32 bytes!".to_vec())
    }

    fn bounce_address(id: Id) -> String {
        format!(
            "bounces+{}@news.example.org",
            key().sign(TokenPurpose::Bounce, id, 0, None)
        )
    }

    /// A delivery status notification of our own writing, as an MTA would send it.
    fn dsn(action: &str, status: &str) -> Vec<u8> {
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n\
             To: bounces@news.example.org\r\n\
             Subject: Undelivered Mail Returned to Sender\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1\"\r\n\
             \r\n\
             --B1\r\n\
             Content-Type: text/plain\r\n\
             \r\n\
             Your message could not be delivered.\r\n\
             --B1\r\n\
             Content-Type: message/delivery-status\r\n\
             \r\n\
             Reporting-MTA: dns; mx.example.net\r\n\
             Arrival-Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n\
             \r\n\
             Final-Recipient: rfc822; reader@example.net\r\n\
             Action: {action}\r\n\
             Status: {status}\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 no such mailbox here\r\n\
             \r\n\
             --B1\r\n\
             Content-Type: text/rfc822-headers\r\n\
             \r\n\
             Subject: The important stories\r\n\
             --B1--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_failed_5xx_report_is_a_hard_bounce_for_the_subscriber_named_by_the_address() {
        let got = classify(
            &key(),
            &bounce_address(42),
            &dsn("failed", "5.1.1"),
            Utc::now(),
        );
        match got {
            Inbound::HardBounce {
                subscriber_id,
                status,
                diagnostic,
            } => {
                assert_eq!(subscriber_id, 42);
                assert_eq!(status, "5.1.1");
                assert!(diagnostic.contains("no such mailbox"), "{diagnostic}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn temporary_failures_and_delays_are_soft_bounces() {
        for (action, status) in [("failed", "4.2.2"), ("delayed", "4.4.1")] {
            let got = classify(&key(), &bounce_address(7), &dsn(action, status), Utc::now());
            assert_eq!(
                got,
                Inbound::SoftBounce {
                    subscriber_id: 7,
                    status: status.into()
                }
            );
        }
    }

    #[test]
    fn a_delivered_report_changes_nothing() {
        let got = classify(
            &key(),
            &bounce_address(7),
            &dsn("delivered", "2.0.0"),
            Utc::now(),
        );
        assert!(matches!(got, Inbound::Ignored { .. }), "{got:?}");
    }

    #[test]
    fn an_abuse_report_is_a_complaint() {
        let arf = b"From: abuse@example.net\r\n\
            Subject: complaint\r\n\
            MIME-Version: 1.0\r\n\
            Content-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\
            \r\n\
            --F\r\n\
            Content-Type: text/plain\r\n\
            \r\n\
            A reader marked this as spam.\r\n\
            --F\r\n\
            Content-Type: message/feedback-report\r\n\
            \r\n\
            Feedback-Type: abuse\r\n\
            Version: 1\r\n\
            --F--\r\n";
        assert_eq!(
            classify(&key(), &bounce_address(9), arf, Utc::now()),
            Inbound::Complaint { subscriber_id: 9 }
        );
    }

    #[test]
    fn any_mail_to_the_unsubscribe_address_unsubscribes() {
        let to = format!(
            "<Unsubscribe+{}@news.example.org>",
            key().sign(TokenPurpose::Unsubscribe, 5, 0, None)
        );
        assert_eq!(
            classify(&key(), &to, b"Subject: stop\r\n\r\n", Utc::now()),
            Inbound::Unsubscribe { subscriber_id: 5 }
        );
    }

    #[test]
    fn forged_foreign_and_cross_purpose_addresses_are_ignored() {
        let unsub_token = key().sign(TokenPurpose::Unsubscribe, 5, 0, None);
        let other_key = TokenKey::new(b"somebody else's secret".to_vec());
        for to in [
            "editor@news.example.org".to_owned(),
            "bounces+1.2.3@news.example.org".to_owned(),
            // An unsubscribe token presented as a bounce address: wrong purpose.
            format!("bounces+{unsub_token}@news.example.org"),
            format!(
                "bounces+{}@news.example.org",
                other_key.sign(TokenPurpose::Bounce, 5, 0, None)
            ),
        ] {
            let got = classify(&key(), &to, &dsn("failed", "5.1.1"), Utc::now());
            assert!(matches!(got, Inbound::Ignored { .. }), "{to}: {got:?}");
        }
    }

    #[test]
    fn an_auto_reply_or_junk_at_the_bounce_address_is_ignored() {
        for raw in [
            &b"Subject: Out of office\r\n\r\nI am away until Monday.\r\n"[..],
            &b"\x00\x01\x02 not mail at all"[..],
            &b""[..],
        ] {
            let got = classify(&key(), &bounce_address(3), raw, Utc::now());
            assert!(matches!(got, Inbound::Ignored { .. }), "{got:?}");
        }
    }
}
