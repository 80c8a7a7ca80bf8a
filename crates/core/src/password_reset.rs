//! "Forgot your password?": signed, expiring, single-use reset links, sent by e-mail.
//!
//! A token is `USER.EXPIRES.MAC`: the user id, the expiry in Unix seconds, and a truncated
//! HMAC-SHA256 under a server secret of those two *and the user's current password hash*. So a
//! link stops working once it has been used (the hash changes), once any other password change
//! happens, and at its expiry; nothing about it is stored. The job that mails it
//! ([`PASSWORD_RESET_QUEUE`]) carries only the user id: the token is made when the mail is.

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::model::Id;

/// The job queue that mails reset links (payload: [`PasswordResetJob`]).
pub const PASSWORD_RESET_QUEUE: &str = "accounts.password_reset";
/// The name of the server secret (see `AccountStore::server_secret`) the links are signed with.
pub const SECRET_NAME: &str = "password_reset";
/// How long a link works.
pub const VALID_FOR: Duration = Duration::minutes(60);

const MAC_BYTES: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetJob {
    pub user_id: Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResetTokenError {
    #[error("this link is not valid, or it has already been used")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

fn mac(secret: &str, user_id: Id, expires: i64, password_hash: &str) -> Hmac<Sha256> {
    let mut m = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts any key length"),
    };
    m.update(format!("reset.{user_id}.{expires}.").as_bytes());
    m.update(password_hash.as_bytes());
    m
}

/// A reset token for this user as their password stands now.
pub fn sign(secret: &str, user_id: Id, password_hash: &str, expires: DateTime<Utc>) -> String {
    let exp = expires.timestamp();
    let tag = mac(secret, user_id, exp, password_hash)
        .finalize()
        .into_bytes();
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..MAC_BYTES]);
    format!("{user_id}.{exp}.{tag}")
}

/// The user a token names, before anything is checked (to look up their password hash).
pub fn user_of(token: &str) -> Option<Id> {
    let token = token.trim();
    if token.len() > 200 {
        return None;
    }
    token.split('.').next()?.parse().ok()
}

/// Checks the token against the user's current password hash and the clock.
pub fn verify(
    secret: &str,
    token: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Id, ResetTokenError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(user), Some(exp), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ResetTokenError::Invalid);
    };
    let user_id: Id = user.parse().map_err(|_| ResetTokenError::Invalid)?;
    let exp: i64 = exp.parse().map_err(|_| ResetTokenError::Invalid)?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| ResetTokenError::Invalid)?;
    if tag.len() != MAC_BYTES {
        return Err(ResetTokenError::Invalid);
    }
    mac(secret, user_id, exp, password_hash)
        .verify_truncated_left(&tag)
        .map_err(|_| ResetTokenError::Invalid)?;
    if now.timestamp() >= exp {
        return Err(ResetTokenError::Expired);
    }
    Ok(user_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "a server secret of our own";
    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";

    #[test]
    fn a_token_works_for_its_user_until_it_expires() {
        let now = Utc::now();
        let t = sign(SECRET, 42, HASH, now + VALID_FOR);
        assert_eq!(user_of(&t), Some(42));
        assert_eq!(verify(SECRET, &t, HASH, now), Ok(42));
        assert_eq!(
            verify(SECRET, &t, HASH, now + VALID_FOR),
            Err(ResetTokenError::Expired)
        );
    }

    #[test]
    fn a_new_password_hash_another_secret_or_an_edited_token_invalidates_it() {
        let now = Utc::now();
        let t = sign(SECRET, 42, HASH, now + VALID_FOR);
        let bad = Err(ResetTokenError::Invalid);
        assert_eq!(verify(SECRET, &t, "$argon2id$other", now), bad);
        assert_eq!(verify("another secret", &t, HASH, now), bad);
        let other_user = t.replacen("42.", "43.", 1);
        assert_eq!(verify(SECRET, &other_user, HASH, now), bad);
        let (body, _) = t.rsplit_once('.').expect("dots");
        let longer = format!("{}.{}", body.replace(".", ".9"), "x");
        assert_eq!(verify(SECRET, &longer, HASH, now), bad);
        for junk in ["", "1", "1.2", "1.2.3.4", "a.b.c", &"9".repeat(300)] {
            assert_eq!(verify(SECRET, junk, HASH, now), bad, "{junk}");
        }
    }
}
