//! The story desk: the clusters the wire desk made (one event, many outlets' versions), as the
//! newsroom reviews and corrects them and as readers see a story's full coverage.
//!
//! An editor's decisions are kept in the store, where placement reads: a member moved out of a
//! cluster is pinned to a cluster of its own and takes its event keys along, so later versions of
//! its event (and its copies) follow it, never back into the old story; a merged-away cluster's
//! keys and summary move to the surviving one, so later arrivals join the merged story.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::Id;
use crate::store::StoreResult;

/// Clusters the story desk lists by default.
pub const RECENT_STORIES: u32 = 50;

/// One outlet's version of a story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryMember {
    /// The feed item.
    pub item_id: Id,
    pub source_id: Id,
    /// The outlet's display name.
    pub source: String,
    pub headline: String,
    /// The outlet's own page.
    pub url: String,
    /// When the outlet published it (when we stored it, if the feed gave no date).
    pub at: DateTime<Utc>,
    /// Moved out of another story by an editor.
    pub pinned: bool,
}

/// A story cluster with its members, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryCluster {
    pub id: Id,
    /// The site's article for the story, if it has one.
    pub article_id: Option<Id>,
    /// That article's slug and whether readers may see it now.
    pub article_slug: Option<String>,
    pub article_public: bool,
    pub created_at: DateTime<Utc>,
    /// The lead version: the editor's choice, else the first reporter.
    pub lead_item_id: Option<Id>,
    /// Whether an editor chose the lead.
    pub lead_chosen: bool,
    pub members: Vec<StoryMember>,
}

impl StoryCluster {
    /// Distinct outlets carrying the story.
    pub fn outlets(&self) -> usize {
        let mut ids: Vec<Id> = self.members.iter().map(|m| m.source_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    pub fn lead(&self) -> Option<&StoryMember> {
        self.lead_item_id
            .and_then(|id| self.members.iter().find(|m| m.item_id == id))
    }
}

/// A member's text, as the clustering reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberText {
    pub headline: String,
    pub body_text: String,
    pub at: DateTime<Utc>,
    pub source_id: Id,
}

/// Rebuilds a cluster's placement summary (opaque to the store: the clustering library's
/// encoding) from its members' texts, so that after a merge or a split each story's centroid is
/// exactly its members'. Pure and quick, called inside the store's transaction.
pub trait StorySummaries: Send + Sync {
    /// `None` leaves the stored summary as it is.
    fn summarize(&self, members: &[MemberText]) -> Option<Vec<u8>>;
}

/// Storage for the story desk; part of [`crate::Store`].
#[async_trait]
pub trait StoryStore: Send + Sync {
    /// The newest clusters (by creation), with their members, at most `limit`.
    async fn recent_stories(&self, limit: u32) -> StoreResult<Vec<StoryCluster>>;
    async fn story(&self, id: Id) -> StoreResult<Option<StoryCluster>>;
    /// The cluster an article was made from.
    async fn story_of_article(&self, article_id: Id) -> StoreResult<Option<Id>>;
    /// Moves every member of `from` into `into`, with `from`'s event keys, rebuilds the summary
    /// with `summaries`, and removes `from` (its article, if any, stays). `NotFound` if either is missing,
    /// `Conflict("story")` if they are the same.
    async fn merge_stories(
        &self,
        into: Id,
        from: Id,
        summaries: &dyn StorySummaries,
    ) -> StoreResult<StoryCluster>;
    /// Moves a member out of `cluster` into a new cluster of its own, pinned there with its event
    /// keys; both clusters' summaries are rebuilt by `summaries`. Returns the new cluster.
    /// `NotFound` if the item is not a member, `Conflict("story")` if it is the only one.
    async fn split_story(
        &self,
        cluster: Id,
        item_id: Id,
        summaries: &dyn StorySummaries,
    ) -> StoreResult<StoryCluster>;
    /// Makes a member the lead version: the story's article takes its headline, standfirst and
    /// source. `NotFound` if the item is not a member.
    async fn set_story_lead(&self, cluster: Id, item_id: Id) -> StoreResult<StoryCluster>;
}
