//! Conformance cases for the search change log (issue 16, migration 0018).

use std::sync::Arc;

use chrono::Duration;
use newsdesk_core::search_changes::SearchChange;
use newsdesk_core::{ArticleStatus, Id, NewTag, Store};

use crate::cases::{now, publish, publish_tagged, slug, tag};

async fn ids_after(store: &dyn Store, after: i64) -> Vec<Id> {
    let changes = store.search_changes_after(after, 1000).await.unwrap();
    assert!(
        changes.windows(2).all(|w| w[0].seq < w[1].seq),
        "not in seq order: {changes:?}"
    );
    assert!(changes.iter().all(|c| c.seq > after), "{changes:?}");
    let mut ids: Vec<Id> = changes.iter().map(|c| c.article_id).collect();
    ids.dedup();
    ids
}

pub async fn every_article_write_appends_to_the_search_change_log(store: Arc<dyn Store>) {
    assert_eq!(store.latest_search_change().await.unwrap(), 0);
    let t = tag(store.as_ref(), "harbour").await;
    let a = publish_tagged(store.as_ref(), "first", now(), &[t.id]).await;
    let b = publish(store.as_ref(), "second", now()).await;
    let after_create = store.latest_search_change().await.unwrap();
    assert!(after_create > 0);
    assert_eq!(ids_after(store.as_ref(), 0).await, vec![a.id, b.id]);

    // Unpublishing (a status change) is a change of `a` only.
    store
        .set_article_status(
            a.id,
            ArticleStatus::Draft,
            None,
            now() + Duration::minutes(1),
        )
        .await
        .unwrap();
    let after_unpublish = store.latest_search_change().await.unwrap();
    assert!(after_unpublish > after_create);
    assert_eq!(ids_after(store.as_ref(), after_create).await, vec![a.id]);

    // Renaming a tag changes every article carrying it.
    store
        .update_tag(
            t.id,
            &NewTag {
                slug: slug("harbour"),
                name: "Harbours".into(),
                description: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(ids_after(store.as_ref(), after_unpublish).await, vec![a.id]);
    let after_rename = store.latest_search_change().await.unwrap();

    // Deleting is a change too (the worker then finds the article gone).
    store.delete_article(b.id).await.unwrap();
    assert_eq!(ids_after(store.as_ref(), after_rename).await, vec![b.id]);
    assert!(store.article(b.id).await.unwrap().is_none());
    assert!(
        ids_after(store.as_ref(), store.latest_search_change().await.unwrap())
            .await
            .is_empty()
    );
}

pub async fn search_changes_page_by_limit_and_reread_by_seq(store: Arc<dyn Store>) {
    for i in 0..5 {
        publish(store.as_ref(), &format!("a-{i}"), now()).await;
    }
    let all = store.search_changes_after(0, 1000).await.unwrap();
    assert!(all.len() >= 5, "{all:?}");
    let first = store.search_changes_after(0, 2).await.unwrap();
    assert_eq!(first, all[..2].to_vec());
    let rest = store
        .search_changes_after(first[1].seq, 1000)
        .await
        .unwrap();
    assert_eq!(rest, all[2..].to_vec());
    let picked: Vec<i64> = vec![all[3].seq, all[0].seq, 999_999];
    let again: Vec<SearchChange> = store.search_changes_at(&picked).await.unwrap();
    assert_eq!(again, vec![all[0], all[3]]);
    assert!(store.search_changes_at(&[]).await.unwrap().is_empty());
}
