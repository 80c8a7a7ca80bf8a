//! Rebuilt cluster summaries for the story desk's merge and split: after an editor's correction
//! each story's centroid is exactly its members', weighed with the same featuriser, settings and
//! document frequencies (counted from the store's latest stories) as event placement, so that
//! later versions of an event follow the editor's grouping.

use std::sync::Mutex;

use newsdesk_cluster::features::Featurizer;
use newsdesk_cluster::{ClusterSummary, DocFreqTable, Settings, StoryText};
use newsdesk_core::StoreResult;
use newsdesk_core::ingest::IngestStore;
use newsdesk_core::stories::{MemberText, StorySummaries};

/// Stored stories counted into the document frequencies (as a starting pipeline does).
const WARM_STORIES: u32 = 5_000;

#[derive(Debug)]
pub struct DeskSummaries {
    featurizer: Mutex<Featurizer>,
    df: DocFreqTable,
}

impl DeskSummaries {
    /// Counts the store's latest stories into the document frequencies.
    pub async fn warm(store: &dyn IngestStore, settings: &Settings) -> StoreResult<DeskSummaries> {
        let mut featurizer = Featurizer::new(settings.features.clone());
        let mut df = DocFreqTable::default();
        let recent = store.recent_story_texts(WARM_STORIES).await?;
        for (title, text) in recent.iter().rev() {
            let counts = featurizer.count(&StoryText {
                title,
                text,
                published: None,
                language: None,
                source: None,
            });
            df.count_document(&mut counts.keys());
        }
        Ok(DeskSummaries {
            featurizer: Mutex::new(featurizer),
            df,
        })
    }
}

impl DeskSummaries {
    /// [`DeskSummaries::warm`] with the default clustering settings (those the pipeline uses
    /// unless configured otherwise; only the featuriser's part matters here).
    pub async fn warm_default(store: &dyn IngestStore) -> StoreResult<DeskSummaries> {
        DeskSummaries::warm(store, &Settings::default()).await
    }
}

impl StorySummaries for DeskSummaries {
    fn summarize(&self, members: &[MemberText]) -> Option<Vec<u8>> {
        let mut featurizer = self.featurizer.lock().ok()?;
        let mut summary = ClusterSummary::new(0);
        for m in members {
            // The source as placement names it: its id.
            let source = m.source_id.to_string();
            let story = StoryText {
                title: &m.headline,
                text: &m.body_text,
                published: Some(m.at.timestamp()),
                language: None,
                source: Some(&source),
            };
            let counts = featurizer.count(&story);
            let features = featurizer.weigh(counts, &story, &self.df);
            summary.add(&features);
        }
        Some(summary.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn summaries_count_every_member_and_read_back() {
        let desk = DeskSummaries {
            featurizer: Mutex::new(Featurizer::new(Settings::default().features)),
            df: DocFreqTable::default(),
        };
        let member = |id| MemberText {
            headline: "Harbour bridge closes after ferry strike".into(),
            body_text: "The Northgate harbour bridge closed on Tuesday after a ferry struck it."
                .into(),
            at: Utc::now(),
            source_id: id,
        };
        let bytes = desk.summarize(&[member(1), member(2)]);
        let summary = bytes.map(|b| ClusterSummary::from_bytes(7, &b));
        assert!(matches!(summary, Some(Ok(ref s)) if s.members == 2 && s.sources.len() == 2));
    }
}
