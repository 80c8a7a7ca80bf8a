//! The story desk's storage (`newsdesk_core::stories::StoryStore`): listing clusters and the
//! editor's merge, split and lead choice, kept where placement reads them.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use newsdesk_core::ingest::{Candidate, EventCandidate, PlacementChoice, Placer};
use newsdesk_core::stories::{MemberText, StorySummaries};
use newsdesk_core::{Store, StoreError};

use crate::ingest::{JoinFirst, claimed_items, completed, event_query, t0};

/// One byte per member, so a test reads a rebuilt summary's member count from its length.
struct CountMembers;

impl StorySummaries for CountMembers {
    fn summarize(&self, members: &[MemberText]) -> Option<Vec<u8>> {
        Some(vec![b'm'; members.len()])
    }
}

/// Records the event candidates it was offered, then joins like [`JoinFirst`].
struct Peek(Mutex<Vec<(i64, usize)>>);

impl Placer for Peek {
    fn place(&self, copies: &[Candidate], events: &[EventCandidate]) -> PlacementChoice {
        *self.0.lock().unwrap() = events
            .iter()
            .map(|e| (e.cluster_id, e.summary.len()))
            .collect();
        JoinFirst.place(copies, events)
    }
}

pub async fn stories_list_members_newest_first_with_the_first_reporter_leading(
    store: Arc<dyn Store>,
) {
    let claimed = claimed_items(store.as_ref(), "desk", 3).await;
    let mut cluster = 0;
    for (i, c) in claimed.iter().enumerate() {
        let out = store
            .place_item(
                &completed(c.id, 1, None, vec![10 + i as i64]),
                &event_query(&[(100, 5000)], t0() + Duration::hours(i as i64)),
                &JoinFirst,
            )
            .await
            .unwrap();
        cluster = out.cluster_id;
    }
    let lonely = claimed_items(store.as_ref(), "lonely", 1).await;
    store
        .place_item(
            &completed(lonely[0].id, 1, None, vec![99]),
            &event_query(&[(555, 10)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    let recent = store.recent_stories(10).await.unwrap();
    assert_eq!(recent.len(), 2);
    // Newest cluster first.
    assert_eq!(recent[1].id, cluster);
    let story = store.story(cluster).await.unwrap().unwrap();
    assert_eq!(story, recent[1]);
    assert_eq!(story.members.len(), 3);
    assert_eq!(story.outlets(), 3);
    // Equal feed times: the later stored version first.
    let ids: Vec<i64> = story.members.iter().map(|m| m.item_id).collect();
    let mut newest_first: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first);
    assert_eq!(story.lead_item_id, Some(claimed[0].id));
    assert!(!story.lead_chosen);
    assert!(story.article_public);
    assert_eq!(story.article_slug.as_deref(), Some("same-story"));
    assert_eq!(story.members[2].source, "desk0");
    assert_eq!(story.members[2].url, "https://desk0.example/story");
    assert_eq!(story.members[2].headline, "Same story");
    assert_eq!(
        store
            .story_of_article(story.article_id.unwrap())
            .await
            .unwrap(),
        Some(cluster)
    );
    assert_eq!(store.story(cluster + 1000).await.unwrap(), None);
}

pub async fn merged_story_keeps_the_members_and_later_arrivals_join_it(store: Arc<dyn Store>) {
    let claimed = claimed_items(store.as_ref(), "merge", 3).await;
    let a = store
        .place_item(
            &completed(claimed[0].id, 1, None, vec![1]),
            &event_query(&[(100, 5000)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    let b = store
        .place_item(
            &completed(claimed[1].id, 1, None, vec![2]),
            &event_query(&[(200, 5000)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_ne!(a.cluster_id, b.cluster_id);
    assert!(matches!(
        store
            .merge_stories(a.cluster_id, a.cluster_id, &CountMembers)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .merge_stories(a.cluster_id, b.cluster_id + 1000, &CountMembers)
            .await,
        Err(StoreError::NotFound)
    ));
    let merged = store
        .merge_stories(a.cluster_id, b.cluster_id, &CountMembers)
        .await
        .unwrap();
    assert_eq!(merged.id, a.cluster_id);
    assert_eq!(merged.members.len(), 2);
    assert_eq!(store.story(b.cluster_id).await.unwrap(), None);
    // A later report sharing only the merged-away story's key finds the surviving story, whose
    // summary now counts both members.
    let peek = Peek(Mutex::new(Vec::new()));
    let later = store
        .place_item(
            &completed(claimed[2].id, 1, None, vec![3]),
            &event_query(&[(200, 5000)], t0() + Duration::hours(2)),
            &peek,
        )
        .await
        .unwrap();
    assert_eq!(*peek.0.lock().unwrap(), vec![(a.cluster_id, 2)]);
    assert_eq!(later.cluster_id, a.cluster_id);
    assert_eq!(
        store
            .story(a.cluster_id)
            .await
            .unwrap()
            .unwrap()
            .members
            .len(),
        3
    );
}

pub async fn moved_out_member_is_pinned_and_later_versions_follow_it(store: Arc<dyn Store>) {
    let claimed = claimed_items(store.as_ref(), "split", 4).await;
    let a = store
        .place_item(
            &completed(claimed[0].id, 1, None, vec![1]),
            &event_query(&[(100, 5000)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    // Joined through key 100, but it also brings key 300: another event, as the editor sees.
    let wrong = store
        .place_item(
            &completed(claimed[1].id, 1, None, vec![2]),
            &event_query(&[(100, 5000), (300, 4000)], t0() + Duration::hours(1)),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_eq!(wrong.cluster_id, a.cluster_id);
    assert!(matches!(
        store
            .split_story(a.cluster_id, claimed[3].id, &CountMembers)
            .await,
        Err(StoreError::NotFound)
    ));
    let own = store
        .split_story(a.cluster_id, claimed[1].id, &CountMembers)
        .await
        .unwrap();
    assert_ne!(own.id, a.cluster_id);
    assert_eq!(own.members.len(), 1);
    assert_eq!(own.members[0].item_id, claimed[1].id);
    assert!(own.members[0].pinned);
    assert_eq!(own.article_id, None);
    let rest = store.story(a.cluster_id).await.unwrap().unwrap();
    assert_eq!(rest.members.len(), 1);
    assert!(!rest.members[0].pinned);
    // The last member cannot move out of its own story.
    assert!(matches!(
        store
            .split_story(own.id, claimed[1].id, &CountMembers)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // A later version sharing the moved member's own key finds its new story, not the old one.
    let peek = Peek(Mutex::new(Vec::new()));
    let later = store
        .place_item(
            &completed(claimed[2].id, 1, None, vec![3]),
            &event_query(&[(300, 4000)], t0() + Duration::hours(2)),
            &peek,
        )
        .await
        .unwrap();
    assert_eq!(*peek.0.lock().unwrap(), vec![(own.id, 1)]);
    assert_eq!(later.cluster_id, own.id);
    // A copy of the moved member (sharing its MinHash band) follows it too.
    let copy = store
        .place_item(
            &completed(claimed[3].id, 1, None, vec![2]),
            &event_query(&[(999, 1)], t0() + Duration::hours(3)),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_eq!(copy.cluster_id, own.id);
}

pub async fn chosen_lead_gives_the_article_its_headline_and_source(store: Arc<dyn Store>) {
    let claimed = claimed_items(store.as_ref(), "lead", 2).await;
    let a = store
        .place_item(
            &completed(claimed[0].id, 1, None, vec![1]),
            &event_query(&[(100, 5000)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    let mut second = completed(claimed[1].id, 1, None, vec![2]);
    second.story.headline = "The better headline".into();
    second.story.standfirst = "The better standfirst".into();
    store
        .place_item(&second, &event_query(&[(100, 5000)], t0()), &JoinFirst)
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_story_lead(a.cluster_id, claimed[1].id + 1000)
            .await,
        Err(StoreError::NotFound)
    ));
    let story = store
        .set_story_lead(a.cluster_id, claimed[1].id)
        .await
        .unwrap();
    assert_eq!(story.lead_item_id, Some(claimed[1].id));
    assert!(story.lead_chosen);
    let article = store.article(a.article_id).await.unwrap().unwrap();
    assert_eq!(article.headline, "The better headline");
    assert_eq!(article.standfirst, "The better standfirst");
    assert_eq!(
        article.source.as_ref().map(|s| s.agency.as_str()),
        Some("lead1")
    );
    // Moving the lead out hands the article back to the remaining first reporter.
    store
        .split_story(a.cluster_id, claimed[1].id, &CountMembers)
        .await
        .unwrap();
    let article = store.article(a.article_id).await.unwrap().unwrap();
    assert_eq!(article.headline, "Same story");
    assert_eq!(
        article.source.as_ref().map(|s| s.agency.as_str()),
        Some("lead0")
    );
    let rest = store.story(a.cluster_id).await.unwrap().unwrap();
    assert_eq!(rest.lead_item_id, Some(claimed[0].id));
    assert!(!rest.lead_chosen);
}
