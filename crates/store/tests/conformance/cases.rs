//! The behaviour every `Store` backend must show. Each case gets a fresh, empty, migrated store.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use newsdesk_core::{
    Article, ArticleQuery, ArticleStatus, Author, EmailAddress, Id, Link, NewArticle, NewAuthor,
    NewPhoto, NewTag, Photo, SignupOutcome, Slug, SourceRef, Store, StoreError, SubscriptionStatus,
    Tag,
};

use crate::support::TestDb;

// ---------------------------------------------------------------- fixtures

/// A fixed "now" with a non-zero microsecond part, so precision loss shows.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 14, 9, 26, 53).unwrap() + Duration::microseconds(589_793)
}

pub(crate) fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

pub(crate) async fn photo(store: &dyn Store, file: &str) -> Photo {
    store
        .create_photo(&NewPhoto {
            file: file.into(),
            content_type: "image/svg+xml".into(),
            alt: format!("Alt text for {file}"),
            caption: "Boats in the harbour at dawn".into(),
            credit: "Mara Quist / Northwind Wire".into(),
            width: 1200,
            height: 800,
        })
        .await
        .unwrap()
}

pub(crate) async fn author(store: &dyn Store, s: &str, name: &str) -> Author {
    store
        .create_author(&NewAuthor {
            slug: slug(s),
            name: name.into(),
            bio: format!("{name} writes about things."),
            photo_id: None,
            links: vec![],
        })
        .await
        .unwrap()
}

pub(crate) async fn tag(store: &dyn Store, s: &str) -> Tag {
    store
        .create_tag(&NewTag {
            slug: slug(s),
            name: s.to_uppercase(),
            description: format!("All about {s}"),
        })
        .await
        .unwrap()
}

pub(crate) fn new_article(s: &str, published_at: DateTime<Utc>) -> NewArticle {
    NewArticle {
        slug: slug(s),
        headline: format!("Headline of {s}"),
        standfirst: "What happened, in one line.".into(),
        body_markdown: "Some *text*.".into(),
        body_html: "<p>Some <em>text</em>.</p>".into(),
        status: ArticleStatus::Published,
        published_at: Some(published_at),
        canonical_url: None,
        source: None,
        author_ids: vec![],
        lead_photo_id: None,
        tag_ids: vec![],
        section_id: None,
        important: false,
    }
}

pub(crate) async fn publish(store: &dyn Store, s: &str, published_at: DateTime<Utc>) -> Article {
    store
        .create_article(&new_article(s, published_at))
        .await
        .unwrap()
}

pub(crate) async fn publish_tagged(
    store: &dyn Store,
    s: &str,
    published_at: DateTime<Utc>,
    tag_ids: &[Id],
) -> Article {
    store
        .create_article(&NewArticle {
            tag_ids: tag_ids.to_vec(),
            ..new_article(s, published_at)
        })
        .await
        .unwrap()
}

pub(crate) fn slugs(items: &[Article]) -> Vec<&str> {
    items.iter().map(|a| a.slug.as_str()).collect()
}

async fn list(store: &dyn Store, query: ArticleQuery) -> Vec<String> {
    let page = store.list_articles(&query).await.unwrap();
    slugs(&page.items).into_iter().map(String::from).collect()
}

/// Walks every page of `query`, returning the slugs in order.
async fn all_pages(store: &dyn Store, mut query: ArticleQuery) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..1000 {
        let page = store.list_articles(&query).await.unwrap();
        assert!(page.items.len() <= query.limit.clamp(1, 100) as usize);
        out.extend(page.items.iter().map(|a| a.slug.to_string()));
        match page.next {
            Some(next) => {
                assert!(!page.items.is_empty(), "a cursor after an empty page");
                query.before = Some(next);
            }
            None => return out,
        }
    }
    panic!("pagination never ended");
}

// ---------------------------------------------------------------- authors, tags, photos

pub async fn authors_round_trip_with_photo_and_links(store: Arc<dyn Store>) {
    let p = photo(&*store, "authors/ana.svg").await;
    let new = NewAuthor {
        slug: slug("ana-berg"),
        name: "Ana Berg".into(),
        bio: "Covers the harbour & the <city>.".into(),
        photo_id: Some(p.id),
        links: vec![
            Link {
                label: "Mastodon".into(),
                url: "https://example.social/@ana".into(),
            },
            Link {
                label: "Site \"quoted\"".into(),
                url: "https://ana.example.org/".into(),
            },
        ],
    };
    let created = store.create_author(&new).await.unwrap();
    assert_eq!(created.slug, new.slug);
    assert_eq!(created.photo.as_ref(), Some(&p));
    assert_eq!(created.links, new.links);

    let found = store.author_by_slug(&slug("ana-berg")).await.unwrap();
    assert_eq!(found, Some(created.clone()));
    assert_eq!(store.author_by_slug(&slug("nobody")).await.unwrap(), None);
}

pub async fn authors_are_listed_by_name(store: Arc<dyn Store>) {
    let c = author(&*store, "cy", "Cy Ortega").await;
    let a = author(&*store, "al", "Al Brook").await;
    let b = author(&*store, "bo", "Bo Lind").await;
    assert_eq!(store.list_authors().await.unwrap(), vec![a, b, c]);
}

pub async fn tags_round_trip_and_are_listed_by_name(store: Arc<dyn Store>) {
    let w = tag(&*store, "world").await;
    let c = tag(&*store, "climate").await;
    assert_eq!(w.name, "WORLD");
    assert_eq!(w.description, "All about world");
    assert_eq!(
        store.tag_by_slug(&slug("world")).await.unwrap(),
        Some(w.clone())
    );
    assert_eq!(store.tag_by_slug(&slug("sport")).await.unwrap(), None);
    assert_eq!(store.list_tags().await.unwrap(), vec![c, w]);
}

pub async fn sections_are_tags_heading_visible_articles_most_used_first(store: Arc<dyn Store>) {
    let now = Utc::now();
    let world = tag(&*store, "world").await;
    let arts = tag(&*store, "arts").await;
    let hidden = tag(&*store, "hidden").await;
    let plain = tag(&*store, "plain").await;
    let with_section =
        |s: &str, at: DateTime<Utc>, section: &Tag, status: ArticleStatus| NewArticle {
            tag_ids: vec![section.id, plain.id],
            section_id: Some(section.id),
            status,
            ..new_article(s, at)
        };
    let hour = chrono::Duration::hours(1);
    for a in [
        with_section("w1", now - hour, &world, ArticleStatus::Published),
        with_section("w2", now - hour, &world, ArticleStatus::Published),
        with_section("a1", now - hour, &arts, ArticleStatus::Published),
        // A draft and a story not due yet do not make their section show.
        with_section("h1", now - hour, &hidden, ArticleStatus::Draft),
        with_section("h2", now + hour, &hidden, ArticleStatus::Published),
    ] {
        store.create_article(&a).await.unwrap();
    }
    let names = |tags: Vec<Tag>| tags.into_iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_sections(now, 10).await.unwrap()),
        ["WORLD", "ARTS"]
    );
    assert_eq!(names(store.list_sections(now, 1).await.unwrap()), ["WORLD"]);
    // Once the scheduled one is due, its section appears.
    assert_eq!(
        names(store.list_sections(now + hour * 2, 10).await.unwrap()),
        ["WORLD", "ARTS", "HIDDEN"]
    );
}

pub async fn photos_round_trip_including_extreme_dimensions(store: Arc<dyn Store>) {
    let new = NewPhoto {
        file: "2026/huge.png".into(),
        content_type: "image/png".into(),
        alt: "A very wide panorama".into(),
        caption: "Ünïcödé caption — with dashes".into(),
        credit: "Photographer / Agency".into(),
        width: u32::MAX,
        height: 0,
    };
    let created = store.create_photo(&new).await.unwrap();
    assert_eq!(created.width, u32::MAX);
    assert_eq!(created.caption, new.caption);
    assert_eq!(
        store.photo(created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(store.photo(created.id + 1000).await.unwrap(), None);
}

// ---------------------------------------------------------------- articles

pub async fn article_round_trips_with_every_field(store: Arc<dyn Store>) {
    let lead = photo(&*store, "lead.svg").await;
    let face = photo(&*store, "face.svg").await;
    let first = store
        .create_author(&NewAuthor {
            slug: slug("zed-first"),
            name: "Zed First".into(),
            bio: String::new(),
            photo_id: Some(face.id),
            links: vec![],
        })
        .await
        .unwrap();
    let second = author(&*store, "amy-second", "Amy Second").await;
    let t1 = tag(&*store, "alpha").await;
    let t2 = tag(&*store, "beta").await;
    let section = tag(&*store, "gamma").await;
    let published_at = now() - Duration::hours(1);
    let new = NewArticle {
        slug: slug("storm-hits-the-coast"),
        headline: "Storm hits the coast <script>alert(1)</script>".into(),
        standfirst: "Winds of 120 km/h; ferries cancelled.".into(),
        body_markdown: "> \"We stay\", said the mayor.".into(),
        body_html: "<blockquote><p>\"We stay\", said the mayor.</p></blockquote>".into(),
        status: ArticleStatus::Published,
        published_at: Some(published_at),
        canonical_url: Some("https://news.example.org/storm".into()),
        source: Some(SourceRef {
            agency: "Northwind Wire".into(),
            original_url: "https://wire.example.org/123".into(),
        }),
        // Byline order is as given, not by id or name.
        author_ids: vec![first.id, second.id],
        lead_photo_id: Some(lead.id),
        tag_ids: vec![t1.id, t2.id, section.id],
        section_id: Some(section.id),
        important: true,
    };
    let before = Utc::now() - Duration::seconds(5);
    let created = store.create_article(&new).await.unwrap();
    let after = Utc::now() + Duration::seconds(5);

    assert_eq!(created.slug, new.slug);
    assert_eq!(created.headline, new.headline);
    assert_eq!(created.standfirst, new.standfirst);
    assert_eq!(created.body_markdown, new.body_markdown);
    assert_eq!(created.body_html, new.body_html);
    assert_eq!(created.status, ArticleStatus::Published);
    assert_eq!(created.published_at, Some(published_at));
    assert_eq!(created.canonical_url, new.canonical_url);
    assert_eq!(created.source, new.source);
    assert!(created.important);
    assert_eq!(created.lead_photo, Some(lead));
    let byline: Vec<&str> = created.authors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(byline, ["Zed First", "Amy Second"]);
    assert_eq!(created.authors[0].photo, Some(face));
    assert_eq!(created.section, Some(section.clone()));
    assert_eq!(
        created.tags,
        vec![section, t1, t2],
        "section first, then as given"
    );
    assert!(before <= created.created_at && created.created_at <= after);
    assert_eq!(created.updated_at, created.created_at);

    let found = store
        .visible_article_by_slug(&new.slug, now())
        .await
        .unwrap();
    assert_eq!(found, Some(created.clone()));
    let listed = store
        .list_articles(&ArticleQuery::visible_at(now()))
        .await
        .unwrap();
    assert_eq!(listed.items, vec![created]);
    assert_eq!(listed.next, None);
}

pub async fn article_without_tags_authors_or_photo_loads(store: Arc<dyn Store>) {
    let a = publish(&*store, "bare", now() - Duration::minutes(1)).await;
    assert!(a.tags.is_empty() && a.authors.is_empty());
    assert_eq!(a.section, None);
    assert_eq!(a.lead_photo, None);
    assert_eq!(a.source, None);
    assert_eq!(
        store
            .visible_article_by_slug(&slug("bare"), now())
            .await
            .unwrap(),
        Some(a)
    );
}

pub async fn timestamps_round_trip_at_microsecond_precision(store: Arc<dyn Store>) {
    let times = [
        Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(999_999),
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::microseconds(1),
        now() - Duration::microseconds(1),
    ];
    for (i, t) in times.iter().enumerate() {
        let created = publish(&*store, &format!("t-{i}"), *t).await;
        assert_eq!(created.published_at, Some(*t));
        let read = store
            .visible_article_by_slug(&created.slug, now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.published_at, Some(*t));
        assert_eq!(read.created_at, created.created_at);
    }
    // One microsecond apart is still ordered correctly by SQL.
    let page = store
        .list_articles(&ArticleQuery::visible_at(now()))
        .await
        .unwrap();
    assert_eq!(slugs(&page.items), ["t-2", "t-1", "t-0"]);
    // Visibility is exact to the microsecond.
    let edge = times[2];
    assert!(
        store
            .visible_article_by_slug(&slug("t-2"), edge)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .visible_article_by_slug(&slug("t-2"), edge - Duration::microseconds(1))
            .await
            .unwrap()
            .is_none()
    );

    let at = now();
    store
        .add_subscriber(&email("time@example.org"), at)
        .await
        .unwrap();
    let sub = store
        .subscriber_by_email(&email("time@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.created_at, at);
}

pub async fn visibility_hides_drafts_and_articles_not_yet_due(store: Arc<dyn Store>) {
    let past = now() - Duration::hours(2);
    let future = now() + Duration::hours(2);
    let mk = |s: &str, status, published_at| NewArticle {
        status,
        published_at,
        ..new_article(s, past)
    };
    for new in [
        mk("published-past", ArticleStatus::Published, Some(past)),
        mk("published-future", ArticleStatus::Published, Some(future)),
        mk("scheduled-past", ArticleStatus::Scheduled, Some(past)),
        mk("scheduled-future", ArticleStatus::Scheduled, Some(future)),
        mk("draft-past", ArticleStatus::Draft, Some(past)),
        mk("draft-undated", ArticleStatus::Draft, None),
        mk("published-undated", ArticleStatus::Published, None),
    ] {
        store.create_article(&new).await.unwrap();
    }
    let visible = |at| {
        let store = store.clone();
        async move {
            let mut v = list(&*store, ArticleQuery::visible_at(at)).await;
            v.sort();
            v
        }
    };
    assert_eq!(visible(now()).await, ["published-past", "scheduled-past"]);
    assert_eq!(
        visible(future).await,
        [
            "published-future",
            "published-past",
            "scheduled-future",
            "scheduled-past"
        ]
    );
    for (s, now_visible, later_visible) in [
        ("published-past", true, true),
        ("scheduled-past", true, true),
        ("scheduled-future", false, true),
        ("published-future", false, true),
        ("draft-past", false, false),
        ("draft-undated", false, false),
        ("published-undated", false, false),
    ] {
        let at_now = store
            .visible_article_by_slug(&slug(s), now())
            .await
            .unwrap();
        let at_future = store
            .visible_article_by_slug(&slug(s), future)
            .await
            .unwrap();
        assert_eq!(at_now.is_some(), now_visible, "{s} now");
        assert_eq!(at_future.is_some(), later_visible, "{s} later");
        if let Some(a) = at_future {
            assert!(a.is_visible_at(future), "{s}: store and model disagree");
        }
    }
    assert_eq!(store.count_articles().await.unwrap(), 7);
}

pub async fn pagination_covers_every_article_once_despite_equal_times(store: Arc<dyn Store>) {
    // 23 articles in groups sharing a published_at, inserted out of time order.
    let mut expected: Vec<(DateTime<Utc>, Id, String)> = Vec::new();
    for i in 0..23u32 {
        let group = i64::from((i * 7) % 5);
        let t = now() - Duration::minutes(group);
        let a = publish(&*store, &format!("a-{i}"), t).await;
        expected.push((t, a.id, a.slug.to_string()));
    }
    expected.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    let expected: Vec<String> = expected.into_iter().map(|e| e.2).collect();

    for limit in [1, 2, 5, 7, 22, 23, 24, 100] {
        let got = all_pages(
            &*store,
            ArticleQuery {
                limit,
                ..ArticleQuery::visible_at(now())
            },
        )
        .await;
        assert_eq!(got, expected, "limit {limit}");
    }
}

pub async fn next_cursor_only_when_another_item_exists(store: Arc<dyn Store>) {
    for i in 0..6 {
        publish(&*store, &format!("n-{i}"), now() - Duration::minutes(i)).await;
    }
    let q = |limit, before| ArticleQuery {
        limit,
        before,
        ..ArticleQuery::visible_at(now())
    };
    let p1 = store.list_articles(&q(3, None)).await.unwrap();
    assert_eq!(slugs(&p1.items), ["n-0", "n-1", "n-2"]);
    let cursor = p1.next.expect("a second page");
    assert_eq!(
        cursor.published_at,
        p1.items[2].published_at.unwrap(),
        "the cursor is the last item seen"
    );
    assert_eq!(cursor.id, p1.items[2].id);
    let p2 = store.list_articles(&q(3, Some(cursor))).await.unwrap();
    assert_eq!(slugs(&p2.items), ["n-3", "n-4", "n-5"]);
    assert_eq!(p2.next, None, "exactly full last page has no next");
    let all = store.list_articles(&q(6, None)).await.unwrap();
    assert_eq!(all.items.len(), 6);
    assert_eq!(all.next, None);
    let empty = store
        .list_articles(&ArticleQuery::visible_at(now() - Duration::days(1)))
        .await
        .unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next, None);
}

pub async fn page_limit_is_clamped_to_1_through_100(store: Arc<dyn Store>) {
    for i in 0..102 {
        publish(&*store, &format!("c-{i}"), now() - Duration::seconds(i)).await;
    }
    let page = |limit| ArticleQuery {
        limit,
        ..ArticleQuery::visible_at(now())
    };
    let zero = store.list_articles(&page(0)).await.unwrap();
    assert_eq!(zero.items.len(), 1);
    assert!(zero.next.is_some());
    let huge = store.list_articles(&page(u32::MAX)).await.unwrap();
    assert_eq!(huge.items.len(), 100);
    assert!(huge.next.is_some());
    let rest = store
        .list_articles(&ArticleQuery {
            before: huge.next,
            ..page(100)
        })
        .await
        .unwrap();
    assert_eq!(slugs(&rest.items), ["c-100", "c-101"]);
    assert_eq!(rest.next, None);
}

pub async fn lists_filter_by_tag_author_since_and_importance(store: Arc<dyn Store>) {
    let world = tag(&*store, "world").await;
    let sport = tag(&*store, "sport").await;
    let ana = author(&*store, "ana", "Ana").await;
    let bo = author(&*store, "bo", "Bo").await;
    let h = |n| now() - Duration::hours(n);
    let mk = |s: &str, hours_ago, tags: Vec<Id>, authors: Vec<Id>, important| NewArticle {
        tag_ids: tags,
        author_ids: authors,
        important,
        ..new_article(s, h(hours_ago))
    };
    for new in [
        mk("w-ana", 1, vec![world.id], vec![ana.id], true),
        mk("w-bo", 2, vec![world.id], vec![bo.id], false),
        mk(
            "ws-both",
            3,
            vec![world.id, sport.id],
            vec![bo.id, ana.id],
            false,
        ),
        mk("s-ana", 4, vec![sport.id], vec![ana.id], true),
        mk("none", 5, vec![], vec![], true),
        NewArticle {
            status: ArticleStatus::Draft,
            ..mk("w-draft", 1, vec![world.id], vec![ana.id], true)
        },
        mk("w-future", -1, vec![world.id], vec![ana.id], true),
    ] {
        store.create_article(&new).await.unwrap();
    }
    let base = ArticleQuery::visible_at(now());
    let by_tag = |t: &str| ArticleQuery {
        tag: Some(slug(t)),
        ..base.clone()
    };
    assert_eq!(
        list(&*store, by_tag("world")).await,
        ["w-ana", "w-bo", "ws-both"]
    );
    assert_eq!(list(&*store, by_tag("sport")).await, ["ws-both", "s-ana"]);
    assert!(list(&*store, by_tag("unknown-tag")).await.is_empty());
    let by_author = |a: &str| ArticleQuery {
        author: Some(slug(a)),
        ..base.clone()
    };
    assert_eq!(
        list(&*store, by_author("ana")).await,
        ["w-ana", "ws-both", "s-ana"]
    );
    assert_eq!(list(&*store, by_author("bo")).await, ["w-bo", "ws-both"]);
    assert!(list(&*store, by_author("nobody")).await.is_empty());
    let since = ArticleQuery {
        since: Some(h(3)),
        ..base.clone()
    };
    assert_eq!(
        list(&*store, since).await,
        ["w-ana", "w-bo", "ws-both"],
        "since is inclusive"
    );
    let important = ArticleQuery {
        important_only: true,
        ..base.clone()
    };
    assert_eq!(list(&*store, important).await, ["w-ana", "s-ana", "none"]);
    let combined = ArticleQuery {
        tag: Some(slug("sport")),
        author: Some(slug("ana")),
        important_only: true,
        since: Some(h(10)),
        ..base.clone()
    };
    assert_eq!(list(&*store, combined).await, ["s-ana"]);
    // Filters and cursors together.
    let paged = all_pages(
        &*store,
        ArticleQuery {
            limit: 1,
            ..by_tag("world")
        },
    )
    .await;
    assert_eq!(paged, ["w-ana", "w-bo", "ws-both"]);
}

pub async fn related_articles_rank_by_shared_tags_then_recency(store: Arc<dyn Store>) {
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
    publish(&*store, "untagged", h(2)).await;
    store
        .create_article(&NewArticle {
            status: ArticleStatus::Draft,
            tag_ids: vec![a, b, c],
            ..new_article("draft", h(3))
        })
        .await
        .unwrap();
    publish_tagged(&*store, "future", now() + Duration::hours(1), &[a, b, c]).await;

    let related = store.related_articles(&subject, now(), 10).await.unwrap();
    assert_eq!(slugs(&related), ["three", "two", "one-new", "one-old"]);
    assert!(
        related.iter().all(|r| !r.tags.is_empty()),
        "loaded with tags"
    );
    let top2 = store.related_articles(&subject, now(), 2).await.unwrap();
    assert_eq!(slugs(&top2), ["three", "two"]);
    assert!(
        store
            .related_articles(&subject, now(), 0)
            .await
            .unwrap()
            .is_empty()
    );
    let lonely = publish(&*store, "lonely", h(1)).await;
    assert!(
        store
            .related_articles(&lonely, now(), 5)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn count_articles_counts_every_status(store: Arc<dyn Store>) {
    assert_eq!(store.count_articles().await.unwrap(), 0);
    publish(&*store, "p", now()).await;
    store
        .create_article(&NewArticle {
            status: ArticleStatus::Draft,
            published_at: None,
            ..new_article("d", now())
        })
        .await
        .unwrap();
    store
        .create_article(&NewArticle {
            status: ArticleStatus::Scheduled,
            ..new_article("s", now() + Duration::days(3))
        })
        .await
        .unwrap();
    assert_eq!(store.count_articles().await.unwrap(), 3);
}

// ---------------------------------------------------------------- errors

pub async fn duplicate_slugs_are_conflicts_and_leave_nothing_behind(store: Arc<dyn Store>) {
    let t = tag(&*store, "dup").await;
    let first = store
        .create_article(&NewArticle {
            tag_ids: vec![t.id],
            ..new_article("same", now())
        })
        .await
        .unwrap();
    let err = store
        .create_article(&NewArticle {
            tag_ids: vec![t.id],
            headline: "Another".into(),
            ..new_article("same", now())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(f) if f == "slug"),
        "{err:?}"
    );
    assert_eq!(store.count_articles().await.unwrap(), 1);
    let page = store
        .list_articles(&ArticleQuery::visible_at(now()))
        .await
        .unwrap();
    assert_eq!(page.items, vec![first]);

    author(&*store, "same-author", "A").await;
    let err = store
        .create_author(&NewAuthor {
            slug: slug("same-author"),
            name: "B".into(),
            bio: String::new(),
            photo_id: None,
            links: vec![],
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(f) if f == "slug"),
        "{err:?}"
    );
    assert_eq!(store.list_authors().await.unwrap().len(), 1);

    let err = store
        .create_tag(&NewTag {
            slug: slug("dup"),
            name: "Again".into(),
            description: String::new(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(f) if f == "slug"),
        "{err:?}"
    );
    assert_eq!(store.list_tags().await.unwrap(), vec![t]);
}

pub async fn repeated_ids_in_an_article_are_not_an_error(store: Arc<dyn Store>) {
    let t = tag(&*store, "t").await;
    let u = tag(&*store, "u").await;
    let a = author(&*store, "a", "A").await;
    let created = store
        .create_article(&NewArticle {
            tag_ids: vec![u.id, t.id, u.id],
            author_ids: vec![a.id, a.id],
            ..new_article("repeats", now())
        })
        .await
        .unwrap();
    assert_eq!(created.tags, vec![u, t]);
    assert_eq!(created.authors, vec![a]);
}

pub async fn unknown_references_are_invalid_and_leave_nothing_behind(store: Arc<dyn Store>) {
    let t = tag(&*store, "real").await;
    let a = author(&*store, "real", "Real").await;
    let missing = 987_654;
    let cases = [
        (
            "author",
            NewArticle {
                author_ids: vec![a.id, missing],
                ..new_article("bad-author", now())
            },
        ),
        (
            "tag",
            NewArticle {
                tag_ids: vec![t.id, missing],
                ..new_article("bad-tag", now())
            },
        ),
        (
            "photo",
            NewArticle {
                lead_photo_id: Some(missing),
                ..new_article("bad-photo", now())
            },
        ),
        (
            "section outside tags",
            NewArticle {
                tag_ids: vec![t.id],
                section_id: Some(missing),
                ..new_article("bad-section", now())
            },
        ),
        (
            "section not among tags",
            NewArticle {
                tag_ids: vec![],
                section_id: Some(t.id),
                ..new_article("bad-section-2", now())
            },
        ),
    ];
    for (what, new) in cases {
        let err = store.create_article(&new).await.unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidReference(_)),
            "{what}: {err:?}"
        );
        assert!(
            store
                .visible_article_by_slug(&new.slug, now())
                .await
                .unwrap()
                .is_none(),
            "{what}: half-written article"
        );
    }
    assert_eq!(store.count_articles().await.unwrap(), 0);
    // The slugs are still free: nothing half-written holds them.
    publish(&*store, "bad-author", now()).await;

    let err = store
        .create_author(&NewAuthor {
            slug: slug("no-photo"),
            name: "N".into(),
            bio: String::new(),
            photo_id: Some(missing),
            links: vec![],
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidReference(_)), "{err:?}");
    assert_eq!(store.author_by_slug(&slug("no-photo")).await.unwrap(), None);
}

// ---------------------------------------------------------------- subscribers

pub async fn subscribing_twice_keeps_one_pending_row(store: Arc<dyn Store>) {
    let addr = email("reader@example.org");
    assert_eq!(
        store.add_subscriber(&addr, now()).await.unwrap(),
        SignupOutcome::Created
    );
    let first = store.subscriber_by_email(&addr).await.unwrap().unwrap();
    assert_eq!(first.email, addr);
    assert_eq!(first.status, SubscriptionStatus::Pending);
    assert_eq!(first.created_at, now());

    let later = now() + Duration::days(1);
    assert_eq!(
        store.add_subscriber(&addr, later).await.unwrap(),
        SignupOutcome::AlreadyKnown
    );
    assert_eq!(
        store.subscriber_by_email(&addr).await.unwrap(),
        Some(first),
        "a repeat sign-up changes nothing"
    );
    assert_eq!(
        store
            .subscriber_by_email(&email("other@example.org"))
            .await
            .unwrap(),
        None
    );
}

pub async fn subscriber_addresses_match_regardless_of_case(store: Arc<dyn Store>) {
    let original = email("Ann.Lee@Example.ORG");
    assert_eq!(original.as_str(), "Ann.Lee@example.org");
    assert_eq!(
        store.add_subscriber(&original, now()).await.unwrap(),
        SignupOutcome::Created
    );
    for variant in [
        "ann.lee@example.org",
        "  ANN.LEE@EXAMPLE.ORG ",
        "Ann.Lee@example.org",
    ] {
        assert_eq!(
            store.add_subscriber(&email(variant), now()).await.unwrap(),
            SignupOutcome::AlreadyKnown,
            "{variant}"
        );
        let found = store
            .subscriber_by_email(&email(variant))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.email, original, "kept as first given");
    }
    assert_eq!(
        store
            .add_subscriber(&email("ann.lee2@example.org"), now())
            .await
            .unwrap(),
        SignupOutcome::Created
    );
}

// ---------------------------------------------------------------- concurrency

/// Many tasks writing at once: no `SQLITE_BUSY` (or any other error) may reach the caller.
pub async fn concurrent_writes_from_many_tasks_all_succeed(store: Arc<dyn Store>) {
    let shared = tag(&*store, "shared").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..48 {
        let store = store.clone();
        tasks.spawn(async move {
            let t = store
                .create_tag(&NewTag {
                    slug: slug(&format!("tag-{i}")),
                    name: format!("Tag {i}"),
                    description: String::new(),
                })
                .await?;
            store
                .create_article(&NewArticle {
                    tag_ids: vec![shared.id, t.id],
                    section_id: Some(t.id),
                    ..new_article(&format!("art-{i}"), now() - Duration::seconds(i))
                })
                .await?;
            // Readers run while others write.
            store
                .list_articles(&ArticleQuery::visible_at(now()))
                .await?;
            let outcome = store
                .add_subscriber(&email(&format!("r{}@example.org", i % 12)), now())
                .await?;
            Ok::<_, StoreError>(outcome)
        });
    }
    let mut created = 0;
    while let Some(res) = tasks.join_next().await {
        if res.expect("task panicked").expect("write failed") == SignupOutcome::Created {
            created += 1;
        }
    }
    assert_eq!(created, 12, "each address created exactly once");
    assert_eq!(store.count_articles().await.unwrap(), 48);
    assert_eq!(store.list_tags().await.unwrap().len(), 49);
    let all = all_pages(
        &*store,
        ArticleQuery {
            tag: Some(slug("shared")),
            limit: 10,
            ..ArticleQuery::visible_at(now())
        },
    )
    .await;
    assert_eq!(all.len(), 48);
}

// ---------------------------------------------------------------- corrupt data

/// A row that no longer fits the model is reported as `Corrupt`, never a panic.
pub async fn corrupt_slug_is_reported(db: &dyn TestDb) {
    let store = db.store();
    let a = publish(&*store, "fine", now()).await;
    db.raw(format!(
        "UPDATE articles SET slug = 'Not A Slug!' WHERE id = {}",
        a.id
    ))
    .await;
    let err = store
        .list_articles(&ArticleQuery::visible_at(now()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");

    let t = tag(&*store, "t").await;
    db.raw(format!("UPDATE tags SET slug = '' WHERE id = {}", t.id))
        .await;
    let err = store.list_tags().await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}

pub async fn corrupt_author_links_are_reported(db: &dyn TestDb) {
    let store = db.store();
    let a = author(&*store, "linked", "L").await;
    db.raw(format!(
        "UPDATE authors SET links = '{{\"not\": \"a list\"}}' WHERE id = {}",
        a.id
    ))
    .await;
    let err = store.author_by_slug(&slug("linked")).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
}
