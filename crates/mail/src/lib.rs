//! newsdesk's outgoing mail.
//!
//! - [`compose`]: the newsletter's e-mails (digest, confirmation) from askama templates, as
//!   multipart/alternative with a plain-text and an HTML part, a deterministic Message-ID,
//!   `List-Unsubscribe` (https and mailto) with `List-Unsubscribe-Post` (RFC 8058) and optional
//!   DKIM signing;
//! - [`transport`]: SMTP through lettre's pooled async client, several servers each with its own
//!   rate limit and failover between them, SMTP replies sorted into temporary and permanent
//!   failures; or, when no server is configured, `.eml` files in an outbox directory;
//! - [`delivery`]: sending an issue to its recipients exactly once through the send log;
//! - [`journal`]: the dot journal that lets a restarted sender know what a killed one handed over;
//! - [`confirm`]: the job handler that sends confirmation e-mails;
//! - [`test_send`]: an editor's test copy of the next digest (job and command);
//! - [`password_reset`]: the e-mail with a newsroom user's password reset link;
//! - [`inbound`]: bounces, complaints and mailto unsubscribes coming back, sorted by subscriber;
//! - [`schedule`]: the orchestration on the job queue: an issue is sent by a job, the digest
//!   schedule is a daily chain of jobs, and one worker runs every mail queue.

pub mod compose;
pub mod config;
pub mod confirm;
pub mod delivery;
pub mod inbound;
pub mod journal;
pub mod password_reset;
pub mod schedule;
pub mod test_send;
pub mod transport;

pub use compose::{ComposeError, Composer, Links};
pub use config::{MailConfig, SmtpServerConfig};
pub use delivery::{DeliveryOptions, DeliveryReport, send_issue};
pub use transport::{SendError, Transport};
