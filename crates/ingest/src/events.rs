//! Event placement in the pipeline: independently written reports of one event join one
//! cluster, with exactly the clustering library's features, settings and decision that
//! `newsdesk cluster` uses. The clusters (centroids and the inverted index of rare keys) live in
//! the store, so every node and a restarted one place against the same clusters, and the store
//! serialises the decision (`IngestStore::place_item`). What stays in the process is the table of
//! document frequencies: a fixed-size sketch, counted from the store's latest stories at start.

use chrono::{DateTime, Utc};
use newsdesk_cluster::features::{Features, Featurizer};
use newsdesk_cluster::fingerprint::{self, SAME_STORY_THRESHOLD};
use newsdesk_cluster::placement::decide;
use newsdesk_cluster::{ClusterSummary, DocFreqTable, Settings, StoryText};
use newsdesk_core::ingest::{
    Candidate, EventCandidate, EventQuery, IngestStore, PlacementChoice, Placer,
};
use newsdesk_core::{Id, StoreResult};

/// Stored stories counted into the document frequencies when a pipeline starts.
const WARM_STORIES: u32 = 5_000;

/// The pipeline's side of event placement. Kept behind the pipeline's placement lock.
#[derive(Debug)]
pub struct EventPlacement {
    settings: Settings,
    featurizer: Featurizer,
    df: DocFreqTable,
    warmed: bool,
}

impl EventPlacement {
    pub fn new(settings: Settings) -> EventPlacement {
        EventPlacement {
            featurizer: Featurizer::new(settings.features.clone()),
            settings,
            df: DocFreqTable::default(),
            warmed: false,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Counts the store's latest stories once, so that a restarted node weighs words as the
    /// desk knows them rather than as if it had seen nothing.
    pub async fn warm(&mut self, store: &dyn IngestStore) -> StoreResult<()> {
        if self.warmed {
            return Ok(());
        }
        let recent = store.recent_story_texts(WARM_STORIES).await?;
        // Oldest first, as they arrived.
        for (title, text) in recent.iter().rev() {
            let counts = self.featurizer.count(&StoryText {
                title,
                text,
                published: None,
                language: None,
                source: None,
            });
            self.df.count_document(&mut counts.keys());
        }
        self.warmed = true;
        Ok(())
    }

    /// Counts a new story in the document frequencies and weighs it.
    pub fn features(&mut self, story: &StoryText<'_>) -> Features {
        let counts = self.featurizer.count(story);
        self.df.count_document(&mut counts.keys());
        self.featurizer.weigh(counts, story, &self.df)
    }

    /// Where the store looks for the story's candidate clusters.
    pub fn query(&self, features: &Features, at: DateTime<Utc>) -> EventQuery {
        EventQuery {
            keys: features
                .index_keys
                .iter()
                // Keys are hashes: the bits are kept, the sign means nothing.
                .map(|&(k, idf)| (k as i64, (f64::from(idf) * 1000.0).round() as i64))
                .collect(),
            at,
            window_seconds: self.settings.window_hours.saturating_mul(3600),
            limit: u32::try_from(self.settings.candidates).unwrap_or(u32::MAX),
        }
    }
}

/// Decides one story's cluster inside the store's placement transaction.
pub struct StoryPlacer<'a> {
    pub features: &'a Features,
    pub settings: &'a Settings,
}

impl Placer for StoryPlacer<'_> {
    fn place(&self, copies: &[Candidate], events: &[EventCandidate]) -> PlacementChoice {
        let summaries: Vec<ClusterSummary> = events
            .iter()
            .filter_map(|e| {
                let id = u64::try_from(e.cluster_id).ok()?;
                match ClusterSummary::from_bytes(id, &e.summary) {
                    Ok(s) => Some(s),
                    Err(err) => {
                        tracing::warn!(cluster = e.cluster_id, %err, "unreadable cluster summary skipped");
                        None
                    }
                }
            })
            .collect();
        // A copy of a stored story joins its cluster at once, as before event clustering.
        let copy = copies
            .iter()
            .map(|c| {
                (
                    fingerprint::similarity(&self.features.fingerprint.signature, &c.signature),
                    c.cluster_id,
                )
            })
            .filter(|(s, _)| *s >= SAME_STORY_THRESHOLD)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, c)| c);
        let join: Option<Id> = copy.or_else(|| {
            let refs: Vec<&ClusterSummary> = summaries.iter().collect();
            let (decision, best, target) = decide(self.features, &refs, self.settings);
            tracing::debug!(
                decision = decision.name(),
                best = ?best.as_ref().map(|b| (b.cluster, b.score)),
                "event placement"
            );
            target.and_then(|i| i64::try_from(refs[i].id).ok())
        });
        let mut summary = join
            .and_then(|j| {
                summaries
                    .iter()
                    .find(|s| i64::try_from(s.id).ok() == Some(j))
            })
            .cloned()
            // A new cluster, or one made before event clustering: this story starts its summary.
            .unwrap_or_else(|| ClusterSummary::new(0));
        summary.add(self.features);
        PlacementChoice {
            join_cluster: join,
            summary: summary.to_bytes(),
        }
    }
}
