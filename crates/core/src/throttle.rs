//! Login throttling that cannot be raced and cannot be used to lock someone out, and a
//! failed-login audit trail that stays bounded (issue 10, items 2, 3 and 11).
//!
//! Attempts are *reserved* before the slow password check: one statement or transaction
//! counts the recent failures under every key and, only if each is under its limit, records
//! the attempt under all of them. A hundred parallel guesses therefore get at most the limit
//! checked. A successful check releases its reservation.
//!
//! The keys (the policy, also in the README):
//! - `(account, network)`: 5 failures per 15 minutes; only that network is refused for that
//!   account. Someone guessing from elsewhere does not lock the real user out.
//! - `network`: 20 failures per 15 minutes, whatever the accounts tried.
//! - `account` (from every network): past [`ACCOUNT_CEILING`] failures the account is under
//!   attack from many networks. Networks that have failed on it are then refused; a network
//!   that has not is still checked, after a delay ([`CEILING_DELAY`]), so the real user can
//!   still sign in with the right password. A valid session is never throttled.
//!
//! A network is the IPv4 address, or the IPv6 /64 (one subscriber's prefix: a client owning
//! a /64 could otherwise rotate through 2^64 addresses).

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::accounts::{NewAuditEntry, THROTTLE_WINDOW};
use crate::model::Id;
use crate::store::StoreResult;

/// Failures per (account, network) within the window.
pub const MAX_PER_ACCOUNT_NETWORK: u32 = 5;
/// Failures per network within the window.
pub const MAX_PER_NETWORK: u32 = 20;
/// Failures on one account from all networks after which only clean networks are checked.
pub const ACCOUNT_CEILING: u32 = 50;
/// How long a check waits while its account is over the ceiling.
pub const CEILING_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// The client's network: the IPv4 address (also inside `::ffff:a.b.c.d`), or the IPv6 /64.
pub fn client_network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

pub fn key_account_network(email: &str, network: &str) -> String {
    format!("acctnet:{}|{network}", email.trim().to_lowercase())
}

pub fn key_network(network: &str) -> String {
    format!("net:{network}")
}

pub fn key_account(email: &str) -> String {
    crate::accounts::throttle_key_account(email)
}

/// One key and the most failures it may have within the window (`u32::MAX`: counted only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub key: String,
    pub max: u32,
}

/// What reserving an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt is recorded (as a failure, until released) under every key.
    Reserved { ids: Vec<Id> },
    /// A key is at its limit: nothing was recorded. Try again at `until`.
    Blocked { until: DateTime<Utc> },
}

/// The store side of throttling, both backends.
#[async_trait]
pub trait ThrottleStore: Send + Sync {
    /// Atomically: if every key has fewer than its `max` failures since `now - window`,
    /// records one under each and returns their ids; else records nothing.
    async fn reserve_attempt(
        &self,
        limits: &[Limit],
        now: DateTime<Utc>,
        window: Duration,
    ) -> StoreResult<Reservation>;

    /// Takes back a reservation (the password was right).
    async fn release_attempt(&self, ids: &[Id]) -> StoreResult<()>;

    /// Appends `entry` to the audit log, or, when a row of the same `group` was written since
    /// `since`, counts it on that row instead (its target becomes `entry.target` with the
    /// count). Returns how many attempts the row now stands for.
    async fn append_grouped_audit(
        &self,
        group: &str,
        entry: &NewAuditEntry,
        since: DateTime<Utc>,
    ) -> StoreResult<u32>;
}

/// The limits a login attempt for `email` from `network` reserves.
pub fn login_limits(email: &str, network: &str) -> Vec<Limit> {
    vec![
        Limit {
            key: key_account_network(email, network),
            max: MAX_PER_ACCOUNT_NETWORK,
        },
        Limit {
            key: key_network(network),
            max: MAX_PER_NETWORK,
        },
        Limit {
            key: key_account(email),
            max: u32::MAX,
        },
    ]
}

/// The key wrong current passwords on the change-password form count under, from every
/// session and network: a borrowed session gets a handful of guesses, not a free oracle.
pub fn key_password_change(email: &str) -> String {
    format!("pwchange:{}", email.trim().to_lowercase())
}

/// The limits a change-password check for `email` from `network` reserves: its own cap per
/// account, and the login's (account, network) key, so guesses made through a session also
/// count against that network's sign-in attempts. Failed logins of others do not block it.
pub fn password_change_limits(email: &str, network: &str) -> Vec<Limit> {
    vec![
        Limit {
            key: key_password_change(email),
            max: MAX_PER_ACCOUNT_NETWORK,
        },
        Limit {
            key: key_account_network(email, network),
            max: MAX_PER_ACCOUNT_NETWORK,
        },
    ]
}

/// The audit group of failed logins from one network within one window.
pub fn failed_login_group(network: &str) -> String {
    format!("login.failed|{network}")
}

/// Rows older than this are no longer counted on (one row per network and window).
pub fn audit_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - THROTTLE_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        let n = |s: &str| client_network(s.parse().expect("ip"));
        assert_eq!(n("2001:db8:1:2:aaaa::1"), n("2001:db8:1:2:ffff:1:2:3"));
        assert_ne!(n("2001:db8:1:2::1"), n("2001:db8:1:3::1"));
        assert_eq!(n("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(n("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(n("192.0.2.7"), "192.0.2.7");
        assert_ne!(n("192.0.2.7"), n("192.0.2.8"));
    }
}
