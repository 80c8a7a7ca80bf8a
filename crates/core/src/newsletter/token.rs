//! Signed links for e-mails: confirm, unsubscribe and preferences, without logging in.
//!
//! A token is `PURPOSE.SUBSCRIBER.GEN.EXPIRES.MAC`: the purpose letter (`c`, `u`, `p`, `b`), the
//! subscriber id, the confirmation generation (0 for the long-lived kinds), the expiry in Unix
//! seconds (0 = never) and a truncated HMAC-SHA256 of the rest under the server's secret. Only
//! `[0-9a-zA-Z._-]`, so it needs no escaping in a URL or in a mailto local part.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::Id;

/// 128 bits of MAC: forging a link is out of reach, and the link stays short.
const MAC_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    Confirm,
    Unsubscribe,
    Preferences,
    /// The envelope sender (VERP) of every newsletter e-mail: a bounce comes back to an address
    /// that names its subscriber, so no guessing from the bounce's text is needed.
    Bounce,
}

impl TokenPurpose {
    fn letter(self) -> char {
        match self {
            TokenPurpose::Confirm => 'c',
            TokenPurpose::Unsubscribe => 'u',
            TokenPurpose::Preferences => 'p',
            TokenPurpose::Bounce => 'b',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedToken {
    pub subscriber_id: Id,
    pub token_gen: i64,
}

/// The server's signing key.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

impl TokenKey {
    pub fn new(secret: Vec<u8>) -> Self {
        TokenKey(secret)
    }

    /// A fresh random secret, to offer to [`super::NewsletterStore::newsletter_secret`].
    pub fn generate_secret() -> Vec<u8> {
        use rand::RngCore as _;
        let mut s = vec![0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut s);
        s
    }

    fn mac(&self, body: &str) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts any key length"),
        };
        mac.update(body.as_bytes());
        mac
    }

    pub fn sign(
        &self,
        purpose: TokenPurpose,
        subscriber_id: Id,
        token_gen: i64,
        expires: Option<DateTime<Utc>>,
    ) -> String {
        let exp = expires.map_or(0, |e| e.timestamp().max(1));
        let body = format!("{}.{subscriber_id}.{token_gen}.{exp}", purpose.letter());
        let tag = self.mac(&body).finalize().into_bytes();
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]);
        format!("{body}.{tag}")
    }

    /// Checks the signature, the purpose and the expiry.
    pub fn verify(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<VerifiedToken, TokenError> {
        let token = token.trim();
        if token.len() > 200 {
            return Err(TokenError::Invalid);
        }
        let (body, tag) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TokenError::Invalid)?;
        if tag.len() != MAC_BYTES {
            return Err(TokenError::Invalid);
        }
        self.mac(body)
            .verify_truncated_left(&tag)
            .map_err(|_| TokenError::Invalid)?;
        let mut parts = body.split('.');
        let letter = parts.next().ok_or(TokenError::Invalid)?;
        let id: Id = parse(parts.next())?;
        let token_gen: i64 = parse(parts.next())?;
        let exp: i64 = parse(parts.next())?;
        if parts.next().is_some() || letter.len() != 1 || !letter.starts_with(purpose.letter()) {
            return Err(TokenError::Invalid);
        }
        if exp != 0 && now.timestamp() >= exp {
            return Err(TokenError::Expired);
        }
        Ok(VerifiedToken {
            subscriber_id: id,
            token_gen,
        })
    }
}

fn parse<T: std::str::FromStr>(part: Option<&str>) -> Result<T, TokenError> {
    part.and_then(|p| p.parse().ok()).ok_or(TokenError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn key() -> TokenKey {
        TokenKey::new(b"test secret of our own".to_vec())
    }

    #[test]
    fn signed_token_verifies_for_its_purpose_only() {
        let now = Utc::now();
        let t = key().sign(
            TokenPurpose::Confirm,
            42,
            3,
            Some(now + Duration::hours(48)),
        );
        assert_eq!(
            key().verify(&t, TokenPurpose::Confirm, now),
            Ok(VerifiedToken {
                subscriber_id: 42,
                token_gen: 3
            })
        );
        assert_eq!(
            key().verify(&t, TokenPurpose::Unsubscribe, now),
            Err(TokenError::Invalid)
        );
        assert!(
            t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        );
    }

    #[test]
    fn expired_token_is_refused_as_expired() {
        let now = Utc::now();
        let t = key().sign(TokenPurpose::Confirm, 1, 1, Some(now + Duration::hours(48)));
        assert_eq!(
            key().verify(&t, TokenPurpose::Confirm, now + Duration::hours(49)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn long_lived_token_never_expires() {
        let now = Utc::now();
        let t = key().sign(TokenPurpose::Unsubscribe, 9, 0, None);
        assert!(
            key()
                .verify(&t, TokenPurpose::Unsubscribe, now + Duration::days(3650))
                .is_ok()
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let now = Utc::now();
        let t = key().sign(TokenPurpose::Unsubscribe, 9, 0, None);
        let other = t.replacen("u.9.", "u.10.", 1);
        assert_eq!(
            key().verify(&other, TokenPurpose::Unsubscribe, now),
            Err(TokenError::Invalid)
        );
        let foreign = TokenKey::new(b"another key".to_vec());
        assert_eq!(
            foreign.verify(&t, TokenPurpose::Unsubscribe, now),
            Err(TokenError::Invalid)
        );
        for junk in [
            "",
            ".",
            "u.1.0.0.",
            "u.1.0.0.!!!!",
            "x".repeat(500).as_str(),
        ] {
            assert_eq!(
                key().verify(junk, TokenPurpose::Unsubscribe, now),
                Err(TokenError::Invalid)
            );
        }
    }
}
