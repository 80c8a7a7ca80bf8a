//! What the site says about itself: name, address, publisher. Set in the config's `[site]` table.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteSettings {
    /// Shown in the header, titles and feeds.
    pub title: String,
    pub description: String,
    /// Absolute base URL used in feeds, sitemaps, canonical links and e-mails; no trailing slash.
    pub base_url: String,
    /// BCP 47 language tag of the site's content.
    pub language: String,
    /// Name of the organisation that publishes the site (structured data).
    pub publisher: String,
    /// IANA time zone (`Europe/Kyiv`) in which the newsroom shows and takes publish times.
    pub timezone: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "newsdesk".into(),
            description: "Only the important stories, told plainly.".into(),
            base_url: "http://127.0.0.1:8080".into(),
            language: "en".into(),
            publisher: "newsdesk".into(),
            timezone: "UTC".into(),
        }
    }
}

impl SiteSettings {
    /// The configured time zone; `None` when `timezone` names no IANA zone (config loading
    /// refuses that, so only hand-built settings get here).
    pub fn tz(&self) -> Option<chrono_tz::Tz> {
        self.timezone.trim().parse().ok()
    }

    /// A UTC time as the site's wall-clock time, for `datetime-local` inputs.
    pub fn to_local_input(&self, t: &DateTime<Utc>) -> String {
        let tz = self.tz().unwrap_or(chrono_tz::UTC);
        t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
    }

    /// A wall-clock time in the site's zone (`2026-03-29T02:30`) as UTC. A time that a DST jump
    /// skips is moved past the gap; one that occurs twice is taken at its first occurrence.
    pub fn from_local_input(&self, s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
            .ok()?;
        let tz = self.tz().unwrap_or(chrono_tz::UTC);
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => tz
                .from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    /// `path` must start with '/'.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kyiv() -> SiteSettings {
        SiteSettings {
            timezone: "Europe/Kyiv".into(),
            ..SiteSettings::default()
        }
    }

    #[test]
    fn publish_times_are_read_and_shown_in_the_sites_zone() {
        let s = kyiv();
        let t = s.from_local_input("2026-07-01T09:30").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-07-01T06:30:00+00:00");
        assert_eq!(s.to_local_input(&t), "2026-07-01T09:30");
        let winter = s.from_local_input("2026-01-10T09:30").expect("time");
        assert_eq!(winter.to_rfc3339(), "2026-01-10T07:30:00+00:00");
    }

    #[test]
    fn a_time_skipped_by_the_spring_jump_moves_past_the_gap() {
        let t = kyiv().from_local_input("2026-03-29T03:30").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:30:00+00:00");
    }

    #[test]
    fn the_default_zone_is_utc_and_garbage_is_no_time() {
        let s = SiteSettings::default();
        assert_eq!(s.tz(), Some(chrono_tz::UTC));
        let t = s.from_local_input("2026-07-01T09:30").expect("time");
        assert_eq!(t.to_rfc3339(), "2026-07-01T09:30:00+00:00");
        assert_eq!(s.from_local_input("tomorrow"), None);
    }
}
