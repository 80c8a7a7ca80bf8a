//! The render path's reads (`PageStore`): the content stamp, the one-statement article page and
//! the bounded related-articles query.

use std::sync::Arc;

use chrono::Duration;
use newsdesk_core::editorial::PhotoRendition;
use newsdesk_core::pages::RELATED_WINDOW;
use newsdesk_core::{ArticleStatus, NewArticle, Store};

use crate::cases::{author, new_article, now, photo, publish, publish_tagged, slug, slugs, tag};

pub async fn content_stamp_moves_on_content_writes_and_when_a_scheduled_article_is_due(
    store: Arc<dyn Store>,
) {
    let empty = store.content_stamp(now()).await.unwrap();
    assert_eq!(empty.latest_visible, None);
    assert_eq!(empty.next_scheduled, None);
    assert_eq!(
        store.content_stamp(now()).await.unwrap(),
        empty,
        "reading changes nothing"
    );

    let t = tag(&*store, "t").await;
    let after_tag = store.content_stamp(now()).await.unwrap();
    assert!(after_tag.version > empty.version, "a new tag is a change");
    assert!(after_tag.changed_at >= empty.changed_at);

    let published = now() - Duration::hours(1);
    publish_tagged(&*store, "out", published, &[t.id]).await;
    let due = now() + Duration::hours(2);
    store
        .create_article(&NewArticle {
            status: ArticleStatus::Scheduled,
            ..new_article("later", due)
        })
        .await
        .unwrap();
    let before_due = store.content_stamp(now()).await.unwrap();
    assert!(before_due.version > after_tag.version);
    assert_eq!(before_due.latest_visible, Some(published));
    assert_eq!(before_due.next_scheduled, Some(due));

    // No write happens when the scheduled article goes live, but the stamp differs.
    let after_due = store
        .content_stamp(due + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(after_due.version, before_due.version);
    assert_eq!(after_due.latest_visible, Some(due));
    assert_eq!(after_due.next_scheduled, None);

    store
        .update_tag(
            t.id,
            &newsdesk_core::NewTag {
                slug: slug("t"),
                name: "Renamed".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    assert!(store.content_stamp(now()).await.unwrap().version > before_due.version);
}

pub async fn article_page_reads_everything_the_article_shows_in_one_go(store: Arc<dyn Store>) {
    let lead = photo(&*store, "lead.jpg").await;
    let by = author(&*store, "ann", "Ann").await;
    let (t1, t2) = (tag(&*store, "one").await, tag(&*store, "two").await);
    let created = store
        .create_article(&NewArticle {
            author_ids: vec![by.id],
            lead_photo_id: Some(lead.id),
            tag_ids: vec![t1.id, t2.id],
            section_id: Some(t2.id),
            ..new_article("with-all", now() - Duration::hours(1))
        })
        .await
        .unwrap();
    let sizes = [
        PhotoRendition {
            file: "lead-960.jpg".into(),
            width: 960,
            height: 540,
        },
        PhotoRendition {
            file: "lead-480.jpg".into(),
            width: 480,
            height: 270,
        },
    ];
    store.add_photo_renditions(lead.id, &sizes).await.unwrap();

    let page = store
        .article_page(&created.slug, now())
        .await
        .unwrap()
        .expect("visible");
    let same = store
        .visible_article_by_slug(&created.slug, now())
        .await
        .unwrap();
    assert_eq!(
        Some(page.article),
        same,
        "the same article as the plain lookup"
    );
    let widths: Vec<u32> = page.renditions.iter().map(|r| r.width).collect();
    assert_eq!(widths, [480, 960], "narrowest first");
    assert!(page.cluster_members.is_empty());

    let bare = publish(&*store, "bare", now() - Duration::hours(1)).await;
    let page = store
        .article_page(&bare.slug, now())
        .await
        .unwrap()
        .expect("visible");
    assert_eq!(page.article, bare);
    assert!(page.renditions.is_empty());

    assert!(
        store
            .article_page(&created.slug, now() - Duration::hours(2))
            .await
            .unwrap()
            .is_none(),
        "not visible before publication"
    );
    assert!(
        store
            .article_page(&slug("nope"), now())
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn related_by_tags_ranks_by_shared_tags_then_recency_within_each_tags_newest(
    store: Arc<dyn Store>,
) {
    let a = tag(&*store, "a").await.id;
    let b = tag(&*store, "b").await.id;
    let c = tag(&*store, "c").await.id;
    let d = tag(&*store, "d").await.id;
    let h = |n| now() - Duration::hours(n);
    let subject = publish_tagged(&*store, "subject", h(10), &[a, b, c]).await;
    publish_tagged(&*store, "one-new", h(1), &[a]).await;
    publish_tagged(&*store, "one-old", h(20), &[c, d]).await;
    publish_tagged(&*store, "two", h(30), &[a, b]).await;
    publish_tagged(&*store, "three", h(40), &[a, b, c, d]).await;
    publish_tagged(&*store, "unrelated", h(2), &[d]).await;
    store
        .create_article(&NewArticle {
            status: ArticleStatus::Draft,
            tag_ids: vec![a, b, c],
            ..new_article("draft", h(3))
        })
        .await
        .unwrap();
    publish_tagged(&*store, "future", now() + Duration::hours(1), &[a, b, c]).await;

    let related = store.related_by_tags(&subject, now(), 10).await.unwrap();
    assert_eq!(slugs(&related), ["three", "two", "one-new", "one-old"]);
    assert!(
        related.iter().all(|r| !r.tags.is_empty()),
        "loaded with tags"
    );
    let top2 = store.related_by_tags(&subject, now(), 2).await.unwrap();
    assert_eq!(slugs(&top2), ["three", "two"]);
    assert!(
        store
            .related_by_tags(&subject, now(), 0)
            .await
            .unwrap()
            .is_empty()
    );
    let lonely = publish(&*store, "lonely", h(1)).await;
    assert!(
        store
            .related_by_tags(&lonely, now(), 5)
            .await
            .unwrap()
            .is_empty()
    );

    // Only each tag's newest RELATED_WINDOW articles are candidates: an old article that shares
    // every tag loses to the window, which is what keeps the query bounded.
    let e = tag(&*store, "e").await.id;
    let old_twin = publish_tagged(&*store, "old-twin", h(500), &[e, d]).await;
    for i in 0..RELATED_WINDOW {
        publish_tagged(&*store, &format!("e-{i}"), h(100), &[e]).await;
    }
    let probe = publish_tagged(&*store, "probe", h(1), &[e]).await;
    let got = store.related_by_tags(&probe, now(), 100).await.unwrap();
    assert_eq!(got.len(), RELATED_WINDOW as usize);
    assert!(!got.iter().any(|r| r.id == old_twin.id));
}
