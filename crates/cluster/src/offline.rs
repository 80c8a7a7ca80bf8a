//! The offline form of placement behind `newsdesk cluster`: JSON Lines in, one
//! `{"id","cluster"}` line out per story, in input order, through the same [`Clusterer`] and
//! [`Settings`] the ingest pipeline uses. Reading files and writing stdout is the caller's job.

use crate::features::{SIGNALS, Signal, StoryText};
use crate::index::MemoryIndex;
use crate::placement::{Clusterer, Placement, Settings};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

/// One input line.
#[derive(Debug, Deserialize)]
pub struct InputStory {
    pub id: Value,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub published: Option<Value>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not a JSON object with id, title and text: {0}")]
    Json(#[from] serde_json::Error),
    #[error("id must be a string or a number")]
    BadId,
    #[error("cannot read published {0:?}: use RFC 3339, RFC 2822, YYYY-MM-DD or Unix seconds")]
    BadDate(String),
}

/// Unix seconds of a `published` value.
pub fn parse_published(v: &Value) -> Result<Option<i64>, LineError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| LineError::BadDate(n.to_string())),
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Ok(Some(t.timestamp()));
            }
            if let Ok(t) = DateTime::parse_from_rfc2822(s) {
                return Ok(Some(t.timestamp()));
            }
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
                return Ok(Some(t.and_utc().timestamp()));
            }
            if let Some(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
                && let Some(t) = d.and_hms_opt(12, 0, 0)
            {
                // A bare date: noon, so that the window counts from the middle of the day.
                return Ok(Some(
                    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).timestamp(),
                ));
            }
            Err(LineError::BadDate(s.to_owned()))
        }
        other => Err(LineError::BadDate(other.to_string())),
    }
}

/// A run of the offline command: feed it lines in order.
#[derive(Debug)]
pub struct OfflineRun {
    clusterer: Clusterer<MemoryIndex>,
    explain: bool,
}

impl OfflineRun {
    pub fn new(settings: Settings, explain: bool) -> OfflineRun {
        OfflineRun {
            clusterer: Clusterer::new(MemoryIndex::new(), settings),
            explain,
        }
    }

    /// Places the story of one input line; returns the output line (without newline).
    pub fn line(&mut self, line: &str) -> Result<String, LineError> {
        let story: InputStory = serde_json::from_str(line)?;
        if !(story.id.is_string() || story.id.is_number()) {
            return Err(LineError::BadId);
        }
        let published = match &story.published {
            Some(v) => parse_published(v)?,
            None => None,
        };
        let placement = self.clusterer.place(&StoryText {
            title: &story.title,
            text: &story.text,
            published,
            language: story.language.as_deref(),
            source: story.source.as_deref(),
        });
        let mut out = json!({"id": story.id, "cluster": placement.cluster});
        if self.explain {
            out["explain"] = explain(&placement);
        }
        Ok(out.to_string())
    }
}

/// The `--explain` object: the decision and the closest candidate's similarity parts.
pub fn explain(p: &Placement) -> Value {
    let best = p.best.as_ref().map(|s| {
        let mut parts = serde_json::Map::new();
        for sig in Signal::ALL {
            parts.insert(sig.name().into(), json!(round(s.parts[sig as usize])));
        }
        debug_assert_eq!(parts.len(), SIGNALS);
        json!({
            "cluster": s.cluster,
            "score": round(s.score),
            "parts": parts,
            "hours_apart": s.hours_apart.map(round),
            "copy": round(s.copy),
        })
    });
    json!({"decision": p.decision.name(), "best": best})
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
