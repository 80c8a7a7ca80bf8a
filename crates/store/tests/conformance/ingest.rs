//! The wire desk's storage (`newsdesk_core::ingest::IngestStore`), the same on both backends.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use newsdesk_core::ingest::{
    Candidate, ClaimedItem, CompletedItem, EventCandidate, EventQuery, ItemState, NewItem,
    NewSource, PlacementChoice, Placer, PollFailure, PollSuccess, RawPage, SourcePatch, Story,
};
use newsdesk_core::{ArticleQuery, ArticleStatus, NewArticle, Slug, Store, StoreError};

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap() + Duration::microseconds(589_793)
}

async fn source(store: &dyn Store, name: &str, auto_publish: bool) -> i64 {
    store
        .create_source(
            &NewSource {
                feed_url: format!("https://{name}.example/feed.xml"),
                name: Some(name.to_owned()),
                auto_publish,
                interval_seconds: 900,
            },
            t0(),
        )
        .await
        .unwrap()
        .id
}

fn item(source_id: i64, guid: &str, url: &str) -> NewItem {
    NewItem {
        source_id,
        guid: guid.to_owned(),
        url: url.to_owned(),
        canonical_url: url.to_owned(),
        title: format!("title {guid}"),
        summary: "summary".into(),
        published_at: Some(t0()),
        categories: vec!["Weather".into()],
    }
}

pub(crate) fn completed(
    item_id: i64,
    attempt: i32,
    join: Option<i64>,
    keys: Vec<i64>,
) -> CompletedItem {
    let body_html = "<p>Body.</p>".to_owned();
    CompletedItem {
        item_id,
        attempt,
        story: Story {
            headline: "Same story".into(),
            standfirst: "Standfirst".into(),
            body_text: "Body.".into(),
            body_html: body_html.clone(),
            raw: RawPage {
                final_url: "https://x.example/final".into(),
                content_type: "text/html; charset=utf-8".into(),
                body: vec![0, 159, 146, 150, b'<'],
            },
        },
        signature: vec![7, 8, 9, u32::MAX],
        band_keys: keys,
        join_cluster: join,
        article: NewArticle {
            slug: Slug::parse("same-story").unwrap(),
            headline: "Same story".into(),
            standfirst: "Standfirst".into(),
            body_markdown: "Body.".into(),
            body_html,
            status: ArticleStatus::Published,
            published_at: Some(t0()),
            canonical_url: None,
            source: None,
            author_ids: Vec::new(),
            lead_photo_id: None,
            tag_ids: Vec::new(),
            section_id: None,
            important: false,
        },
        important_at_sources: 3,
        byline: Vec::new(),
        tags: Vec::new(),
        lead_photo: None,
    }
}

pub async fn sources_round_trip_update_pause_and_delete(store: Arc<dyn Store>) {
    let s = store
        .create_source(
            &NewSource {
                feed_url: "https://wire.example/feed".into(),
                name: None,
                auto_publish: false,
                interval_seconds: 600,
            },
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(s.name, "https://wire.example/feed");
    assert!(s.name_from_feed && !s.auto_publish && !s.paused);
    assert_eq!((s.interval_seconds, s.current_interval_seconds), (600, 600));
    assert_eq!(s.next_poll_at, t0());
    assert_eq!(store.source(s.id).await.unwrap().unwrap(), s);
    let dup = store
        .create_source(
            &NewSource {
                feed_url: "https://wire.example/feed".into(),
                name: Some("Again".into()),
                auto_publish: true,
                interval_seconds: 60,
            },
            t0(),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let edited = store
        .update_source(
            s.id,
            &SourcePatch {
                name: Some("Wire".into()),
                paused: Some(true),
                auto_publish: Some(true),
                interval_seconds: Some(1200),
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.name, "Wire");
    assert!(!edited.name_from_feed && edited.paused && edited.auto_publish);
    assert_eq!(edited.current_interval_seconds, 1200);
    assert!(
        store
            .due_sources(t0() + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    store.delete_source(s.id).await.unwrap();
    assert!(store.source(s.id).await.unwrap().is_none());
    assert!(matches!(
        store.delete_source(s.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_source(s.id, &SourcePatch::default()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn polls_record_validators_names_moves_and_back_off(store: Arc<dyn Store>) {
    let id = store
        .create_source(
            &NewSource {
                feed_url: "https://old.example/feed".into(),
                name: None,
                auto_publish: true,
                interval_seconds: 900,
            },
            t0(),
        )
        .await
        .unwrap()
        .id;
    assert_eq!(store.due_sources(t0(), 10).await.unwrap().len(), 1);
    store
        .record_poll_success(&PollSuccess {
            source_id: id,
            polled_at: t0(),
            next_poll_at: t0() + Duration::seconds(450),
            current_interval_seconds: 450,
            etag: Some("\"e1\"".into()),
            last_modified: Some("Sat, 14 Mar 2026 09:00:00 GMT".into()),
            new_feed_url: Some("https://new.example/feed".into()),
            feed_title: Some("Feed Title".into()),
            site_url: Some("https://new.example/".into()),
        })
        .await
        .unwrap();
    let s = store.source(id).await.unwrap().unwrap();
    assert_eq!(s.feed_url, "https://new.example/feed");
    assert_eq!(s.name, "Feed Title");
    assert_eq!(s.etag.as_deref(), Some("\"e1\""));
    assert_eq!(s.current_interval_seconds, 450);
    assert_eq!(s.last_success_at, Some(t0()));
    assert!(store.due_sources(t0(), 10).await.unwrap().is_empty());
    assert_eq!(
        store
            .due_sources(t0() + Duration::seconds(450), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    store
        .record_poll_failure(&PollFailure {
            source_id: id,
            polled_at: t0() + Duration::seconds(450),
            next_poll_at: t0() + Duration::seconds(2000),
            error: "HTTP status 500".into(),
        })
        .await
        .unwrap();
    let s = store.source(id).await.unwrap().unwrap();
    assert_eq!(s.consecutive_errors, 1);
    assert_eq!(s.last_error.as_deref(), Some("HTTP status 500"));
    assert_eq!(s.next_poll_at, t0() + Duration::seconds(2000));
    // The validators of the last good poll are kept for the next conditional GET.
    assert_eq!(s.etag.as_deref(), Some("\"e1\""));
}

pub async fn items_are_stored_once_by_guid_and_by_canonical_url(store: Arc<dyn Store>) {
    let a = source(store.as_ref(), "a", true).await;
    let b = source(store.as_ref(), "b", true).await;
    let added = store
        .add_items(
            &[
                item(a, "g1", "https://x.example/1"),
                item(a, "g1", "https://x.example/other"),
                item(b, "g9", "https://x.example/1"),
                item(b, "g1", "https://x.example/2"),
            ],
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(added, 2);
    let again = store
        .add_items(&[item(a, "g1", "https://x.example/1")], t0())
        .await
        .unwrap();
    assert_eq!(again, 0);
    let items = store.list_items(None, 10).await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|i| i.state == ItemState::Queued && !i.has_raw_page)
    );
    assert_eq!(store.list_items(Some(b), 10).await.unwrap().len(), 1);
    assert_eq!(store.ingest_counts().await.unwrap().queued, 2);
}

pub async fn claimed_items_are_leased_and_stale_attempts_change_nothing(store: Arc<dyn Store>) {
    let a = source(store.as_ref(), "a", true).await;
    store
        .add_items(
            &[
                item(a, "g1", "https://x.example/1"),
                item(a, "g2", "https://x.example/2"),
            ],
            t0(),
        )
        .await
        .unwrap();
    let lease = t0() + Duration::seconds(60);
    let first = store.claim_items(t0(), lease, 10).await.unwrap();
    assert_eq!(first.len(), 2);
    assert!(
        first
            .iter()
            .all(|c| c.attempt == 1 && c.lease_until == lease)
    );
    // Leased: nobody else gets them until the lease runs out.
    assert!(
        store
            .claim_items(t0() + Duration::seconds(59), lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let second = store
        .claim_items(lease, lease + Duration::seconds(60), 1)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, 2);
    // The first claimant's attempt is stale now.
    let stale = store
        .complete_item(&completed(second[0].id, 1, None, vec![1]))
        .await;
    assert!(matches!(stale, Err(StoreError::NotFound)), "{stale:?}");
    store
        .fail_item(second[0].id, 1, "stale failure", None)
        .await
        .unwrap();
    let it = store.list_items(None, 10).await.unwrap();
    let it = it.iter().find(|i| i.id == second[0].id).unwrap();
    assert_eq!(
        (it.state, it.last_error.as_deref()),
        (ItemState::Queued, None)
    );
    let done = store
        .complete_item(&completed(second[0].id, 2, None, vec![1]))
        .await
        .unwrap();
    assert!(done.created_article);
    // Completing twice publishes nothing twice.
    let twice = store
        .complete_item(&completed(second[0].id, 2, None, vec![1]))
        .await;
    assert!(matches!(twice, Err(StoreError::NotFound)));
    assert_eq!(store.count_articles().await.unwrap(), 1);
}

pub async fn failed_items_retry_later_or_fail_for_good_with_the_reason(store: Arc<dyn Store>) {
    let a = source(store.as_ref(), "a", true).await;
    store
        .add_items(
            &[
                item(a, "g1", "https://x.example/1"),
                item(a, "g2", "https://x.example/2"),
            ],
            t0(),
        )
        .await
        .unwrap();
    let claimed = store
        .claim_items(t0(), t0() + Duration::seconds(60), 10)
        .await
        .unwrap();
    let retry_at = t0() + Duration::seconds(300);
    store
        .fail_item(claimed[0].id, 1, "HTTP status 503", Some(retry_at))
        .await
        .unwrap();
    store
        .fail_item(claimed[1].id, 1, "disallowed by robots.txt", None)
        .await
        .unwrap();
    let items = store.list_items(None, 10).await.unwrap();
    let retrying = items.iter().find(|i| i.id == claimed[0].id).unwrap();
    assert_eq!(retrying.state, ItemState::Queued);
    assert_eq!(retrying.next_attempt_at, retry_at);
    assert_eq!(retrying.last_error.as_deref(), Some("HTTP status 503"));
    let failed = items.iter().find(|i| i.id == claimed[1].id).unwrap();
    assert_eq!(failed.state, ItemState::Failed);
    assert_eq!(
        failed.last_error.as_deref(),
        Some("disallowed by robots.txt")
    );
    // Not before its time; then claimable again.
    assert!(
        store
            .claim_items(retry_at - Duration::seconds(1), retry_at, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_items(retry_at, retry_at + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
}

pub async fn held_items_keep_their_page_and_reason(store: Arc<dyn Store>) {
    let a = source(store.as_ref(), "a", true).await;
    store
        .add_items(&[item(a, "g1", "https://x.example/1")], t0())
        .await
        .unwrap();
    let c = store
        .claim_items(t0(), t0() + Duration::seconds(60), 10)
        .await
        .unwrap();
    let raw = RawPage {
        final_url: "https://x.example/1".into(),
        content_type: "text/html".into(),
        body: b"<ul><li>links</li></ul>".to_vec(),
    };
    store
        .hold_item(c[0].id, 1, "not an article: link list", &raw)
        .await
        .unwrap();
    let it = &store.list_items(None, 10).await.unwrap()[0];
    assert_eq!(it.state, ItemState::Held);
    assert_eq!(it.hold_reason.as_deref(), Some("not an article: link list"));
    assert_eq!(store.raw_page(c[0].id).await.unwrap(), Some(raw));
    assert_eq!(store.count_articles().await.unwrap(), 0);
}

pub async fn wire_articles_keep_byline_and_tags_and_number_only_a_clashing_slug(
    store: Arc<dyn Store>,
) {
    let id = source(store.as_ref(), "Northwind", true).await;
    store
        .add_items(
            &[
                item(id, "a", "https://n.example/a"),
                item(id, "b", "https://n.example/b"),
            ],
            t0(),
        )
        .await
        .unwrap();
    let claimed = store
        .claim_items(t0(), t0() + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed[0].categories, vec!["Weather".to_owned()]);
    let mut first = completed(claimed[0].id, 1, None, vec![1]);
    first.byline = vec!["Ana Reyes".into(), "Tom Okafor".into()];
    first.tags = vec!["Weather".into(), "Coast".into()];
    let first = store.complete_item(&first).await.unwrap();
    // A different story under the same headline: its own cluster, a numbered slug.
    let mut second = completed(claimed[1].id, 1, None, vec![2]);
    second.byline = vec!["Ana Reyes".into()];
    second.tags = vec!["weather".into()];
    let second = store.complete_item(&second).await.unwrap();
    assert_ne!(first.cluster_id, second.cluster_id);
    let a = store.article(first.article_id).await.unwrap().unwrap();
    let b = store.article(second.article_id).await.unwrap().unwrap();
    assert_eq!(a.slug.as_str(), "same-story");
    assert_eq!(b.slug.as_str(), format!("same-story-{}", second.cluster_id));
    let names =
        |x: &newsdesk_core::Article| x.authors.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), vec!["Ana Reyes", "Tom Okafor"]);
    assert_eq!(names(&b), vec!["Ana Reyes"]);
    assert_eq!(
        a.authors[0].id, b.authors[0].id,
        "one profile per byline name"
    );
    let tags =
        |x: &newsdesk_core::Article| x.tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(tags(&a), vec!["Weather", "Coast"]);
    assert_eq!(a.section.as_ref().map(|t| t.name.as_str()), Some("Weather"));
    assert_eq!(b.tags[0].id, a.tags[0].id, "tags are found by slug");
}

pub async fn clusters_publish_one_article_and_list_every_agency(store: Arc<dyn Store>) {
    let names = ["Northwind", "Harbour", "Valley"];
    let mut ids = Vec::new();
    for n in names {
        ids.push(source(store.as_ref(), n, true).await);
    }
    for (i, id) in ids.iter().enumerate() {
        store
            .add_items(
                &[item(
                    *id,
                    "g",
                    &format!("https://{}.example/story", names[i]),
                )],
                t0(),
            )
            .await
            .unwrap();
    }
    let claimed = store
        .claim_items(t0(), t0() + Duration::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let first = store
        .complete_item(&completed(claimed[0].id, 1, None, vec![11, 12]))
        .await
        .unwrap();
    assert!(first.created_article);
    assert_eq!(first.sources_in_cluster, 1);
    let cands = store.cluster_candidates(&[12, 99], 10).await.unwrap();
    assert_eq!(cands.len(), 1);
    assert_eq!(cands[0].cluster_id, first.cluster_id);
    assert_eq!(cands[0].signature, vec![7, 8, 9, u32::MAX]);
    assert!(
        store
            .cluster_candidates(&[98, 99], 10)
            .await
            .unwrap()
            .is_empty()
    );
    let second = store
        .complete_item(&completed(
            claimed[1].id,
            1,
            Some(first.cluster_id),
            vec![12],
        ))
        .await
        .unwrap();
    assert_eq!(
        (second.cluster_id, second.article_id),
        (first.cluster_id, first.article_id)
    );
    assert!(!second.created_article);
    let now = Utc::now();
    let a = store
        .list_articles(&ArticleQuery::visible_at(now))
        .await
        .unwrap()
        .items;
    assert_eq!(a.len(), 1);
    assert!(!a[0].important);
    assert_eq!(a[0].slug.as_str(), "same-story", "no clash: no number");
    let src = a[0].source.clone().unwrap();
    assert_eq!(
        (src.agency.as_str(), src.original_url.as_str()),
        ("Northwind", "https://Northwind.example/story")
    );
    let third = store
        .complete_item(&completed(
            claimed[2].id,
            1,
            Some(first.cluster_id),
            vec![13],
        ))
        .await
        .unwrap();
    assert_eq!(third.sources_in_cluster, 3);
    let a = store
        .list_articles(&ArticleQuery::visible_at(now))
        .await
        .unwrap()
        .items;
    assert_eq!(a.len(), 1, "one article per cluster");
    assert!(a[0].important, "three agencies make it important");
    let members = store
        .cluster_members_for_article(first.article_id)
        .await
        .unwrap();
    let agencies: Vec<&str> = members.iter().map(|m| m.agency.as_str()).collect();
    assert_eq!(agencies, names);
    assert_eq!(members[1].url, "https://Harbour.example/story");
    let counts = store.ingest_counts().await.unwrap();
    assert_eq!((counts.clustered, counts.clusters), (3, 1));
    assert!(
        store
            .cluster_members_for_article(first.article_id + 1000)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_review_source_makes_a_draft(store: Arc<dyn Store>) {
    let a = source(store.as_ref(), "a", false).await;
    store
        .add_items(&[item(a, "g1", "https://x.example/1")], t0())
        .await
        .unwrap();
    let c = store
        .claim_items(t0(), t0() + Duration::seconds(60), 10)
        .await
        .unwrap();
    let mut done = completed(c[0].id, 1, None, vec![5]);
    done.article.status = ArticleStatus::Draft;
    done.article.published_at = None;
    store.complete_item(&done).await.unwrap();
    assert_eq!(store.count_articles().await.unwrap(), 1);
    assert!(
        store
            .list_articles(&ArticleQuery::visible_at(Utc::now()))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

pub async fn sources_are_listed_by_id_with_their_state(store: Arc<dyn Store>) {
    assert!(store.list_sources().await.unwrap().is_empty());
    let b = source(store.as_ref(), "bravo", true).await;
    let a = source(store.as_ref(), "alpha", false).await;
    let c = source(store.as_ref(), "charlie", false).await;
    store
        .update_source(
            a,
            &SourcePatch {
                paused: Some(true),
                ..SourcePatch::default()
            },
        )
        .await
        .unwrap();
    store.delete_source(c).await.unwrap();
    let listed = store.list_sources().await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|s| (s.id, s.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(b, "bravo"), (a, "alpha")],
        "by id, not by name; the removed source is gone"
    );
    assert!(listed[0].auto_publish && !listed[0].paused);
    assert!(!listed[1].auto_publish && listed[1].paused);
    for s in &listed {
        assert_eq!(store.source(s.id).await.unwrap().as_ref(), Some(s));
    }
}

/// A placer for the store's side of event placement: joins the best-ranked event candidate
/// (else a copy's cluster, else a new one) and records in the summary how many stories it holds.
pub(crate) struct JoinFirst;

impl Placer for JoinFirst {
    fn place(&self, copies: &[Candidate], events: &[EventCandidate]) -> PlacementChoice {
        let join = events
            .first()
            .map(|e| e.cluster_id)
            .or_else(|| copies.first().map(|c| c.cluster_id));
        let held = events
            .iter()
            .find(|e| Some(e.cluster_id) == join)
            .map_or(0, |e| e.summary.len());
        PlacementChoice {
            join_cluster: join,
            // One byte per member: the test reads the count back from the summary's length.
            summary: vec![b'm'; held + 1],
        }
    }
}

pub(crate) fn event_query(keys: &[(i64, i64)], at: DateTime<Utc>) -> EventQuery {
    EventQuery {
        keys: keys.to_vec(),
        at,
        window_seconds: 72 * 3600,
        limit: 12,
    }
}

pub(crate) async fn claimed_items(store: &dyn Store, prefix: &str, n: usize) -> Vec<ClaimedItem> {
    let mut sources = Vec::new();
    for i in 0..n {
        let id = source(store, &format!("{prefix}{i}"), true).await;
        store
            .add_items(
                &[item(id, "g", &format!("https://{prefix}{i}.example/story"))],
                t0(),
            )
            .await
            .unwrap();
        sources.push(id);
    }
    let claimed = store
        .claim_items(t0(), t0() + Duration::seconds(600), 100)
        .await
        .unwrap();
    assert_eq!(claimed.len(), n);
    claimed
}

pub async fn event_placement_finds_clusters_by_shared_keys_within_the_window(
    store: Arc<dyn Store>,
) {
    let claimed = claimed_items(store.as_ref(), "outlet", 4).await;
    let first = store
        .place_item(
            &completed(claimed[0].id, 1, None, vec![1]),
            &event_query(&[(100, 5000), (101, 2000)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert!(first.created_article);
    // Shares key 101, a day later: joins, and the placer saw the stored summary.
    let second = store
        .place_item(
            &completed(claimed[1].id, 1, None, vec![2]),
            &event_query(&[(101, 2000), (102, 900)], t0() + Duration::hours(24)),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_eq!(second.cluster_id, first.cluster_id);
    assert_eq!(second.sources_in_cluster, 2);
    // Shares key 100 but ten days later: outside the window, a cluster of its own.
    let late = store
        .place_item(
            &completed(claimed[2].id, 1, None, vec![3]),
            &event_query(&[(100, 5000)], t0() + Duration::days(10)),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_ne!(late.cluster_id, first.cluster_id);
    // No shared key, but a MinHash band of the first story: the copy's cluster is offered.
    let copy = store
        .place_item(
            &completed(claimed[3].id, 1, None, vec![1]),
            &event_query(&[(999, 10)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_eq!(copy.cluster_id, first.cluster_id);
    // The summary grew by one byte per member: written back on every placement.
    let probe = claimed_items(store.as_ref(), "probe", 1).await;
    struct Peek(std::sync::Mutex<Vec<(i64, usize)>>);
    impl Placer for Peek {
        fn place(&self, copies: &[Candidate], events: &[EventCandidate]) -> PlacementChoice {
            *self.0.lock().unwrap() = events
                .iter()
                .map(|e| (e.cluster_id, e.summary.len()))
                .collect();
            JoinFirst.place(copies, events)
        }
    }
    let peek = Peek(std::sync::Mutex::new(Vec::new()));
    store
        .place_item(
            &completed(probe[0].id, 1, None, vec![50]),
            &event_query(&[(100, 5000), (101, 2000)], t0() + Duration::hours(1)),
            &peek,
        )
        .await
        .unwrap();
    assert_eq!(*peek.0.lock().unwrap(), vec![(first.cluster_id, 3)]);
}

pub async fn event_candidates_rank_by_shared_weight(store: Arc<dyn Store>) {
    let claimed = claimed_items(store.as_ref(), "outlet", 3).await;
    let a = store
        .place_item(
            &completed(claimed[0].id, 1, None, vec![1]),
            &event_query(&[(10, 100)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    // A placer that never joins: a cluster of its own with key 11.
    struct Alone;
    impl Placer for Alone {
        fn place(&self, _: &[Candidate], _: &[EventCandidate]) -> PlacementChoice {
            PlacementChoice {
                join_cluster: None,
                summary: vec![1],
            }
        }
    }
    let b = store
        .place_item(
            &completed(claimed[1].id, 1, None, vec![2]),
            &event_query(&[(11, 100)], t0()),
            &Alone,
        )
        .await
        .unwrap();
    assert_ne!(a.cluster_id, b.cluster_id);
    // Sharing rare key 11 (weight 9000) outweighs sharing common key 10 (weight 50).
    let c = store
        .place_item(
            &completed(claimed[2].id, 1, None, vec![3]),
            &event_query(&[(10, 50), (11, 9000)], t0()),
            &JoinFirst,
        )
        .await
        .unwrap();
    assert_eq!(c.cluster_id, b.cluster_id);
}

/// Two pipelines (two nodes) placing versions of one event at the same instant make one cluster:
/// the store serialises placement, so the second sees the first's cluster.
pub async fn concurrent_placements_of_one_event_make_one_cluster(store: Arc<dyn Store>) {
    let claimed = claimed_items(store.as_ref(), "outlet", 8).await;
    let mut tasks = Vec::new();
    for c in claimed {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .place_item(
                    &completed(c.id, 1, None, vec![c.id * 1000]),
                    &event_query(&[(77, 4000)], t0()),
                    &JoinFirst,
                )
                .await
                .unwrap()
                .cluster_id
        }));
    }
    let mut clusters = std::collections::HashSet::new();
    for t in tasks {
        clusters.insert(t.await.unwrap());
    }
    assert_eq!(clusters.len(), 1, "{clusters:?}");
}

pub async fn recent_story_texts_are_the_latest_stored_stories(store: Arc<dyn Store>) {
    assert!(store.recent_story_texts(10).await.unwrap().is_empty());
    let claimed = claimed_items(store.as_ref(), "outlet", 2).await;
    for c in &claimed {
        store
            .complete_item(&completed(c.id, 1, None, vec![c.id]))
            .await
            .unwrap();
    }
    let texts = store.recent_story_texts(1).await.unwrap();
    assert_eq!(texts, vec![("Same story".to_owned(), "Body.".to_owned())]);
    assert_eq!(store.recent_story_texts(10).await.unwrap().len(), 2);
}
