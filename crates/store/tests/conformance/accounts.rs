//! Conformance cases for the newsroom: accounts (users, sessions, API tokens, throttling, audit,
//! secrets, webhooks) and the editorial store (edits with revisions, status, review queue,
//! admin lists, photo renditions, tag and author edits).

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use newsdesk_core::accounts::*;
use newsdesk_core::editorial::*;
use newsdesk_core::{
    ArticleStatus, EmailAddress, NewArticle, NewAuthor, NewPhoto, NewTag, Slug, SourceRef, Store,
    StoreError,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 2, 14, 0, 7).unwrap() + Duration::microseconds(123_457)
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

async fn user(store: &dyn Store, addr: &str, role: Role) -> User {
    store
        .create_user(
            &NewUser {
                email: email(addr),
                name: format!("Name of {addr}"),
                role,
                // Not a real hash: the store keeps whatever it is given.
                password_hash: format!("$argon2id$fake${addr}"),
                author_id: None,
            },
            now(),
        )
        .await
        .unwrap()
}

fn draft(slug: &str, headline: &str) -> NewArticle {
    NewArticle {
        slug: Slug::parse(slug).unwrap(),
        headline: headline.into(),
        standfirst: "A standfirst.".into(),
        body_markdown: "First line.\n".into(),
        body_html: "<p>First line.</p>\n".into(),
        status: ArticleStatus::Draft,
        published_at: None,
        canonical_url: None,
        source: None,
        author_ids: vec![],
        lead_photo_id: None,
        tag_ids: vec![],
        section_id: None,
        important: false,
    }
}

pub async fn users_round_trip_and_emails_are_unique_regardless_of_case(store: Arc<dyn Store>) {
    let author = store
        .create_author(&NewAuthor {
            slug: Slug::parse("ines-vale").unwrap(),
            name: "Ines Vale".into(),
            bio: String::new(),
            photo_id: None,
            links: vec![],
        })
        .await
        .unwrap();
    let u = store
        .create_user(
            &NewUser {
                email: email("Ines.Vale@Example.org"),
                name: "Ines Vale".into(),
                role: Role::Author,
                password_hash: "$argon2id$v=19$stub".into(),
                author_id: Some(author.id),
            },
            now(),
        )
        .await
        .unwrap();
    assert_eq!(u.email, email("Ines.Vale@Example.org"));
    assert_eq!(u.role, Role::Author);
    assert_eq!(u.author_id, Some(author.id));
    assert_eq!(u.created_at, now());
    assert!(!u.disabled);
    assert_eq!(store.user(u.id).await.unwrap(), Some(u.clone()));
    let creds = store
        .credentials_by_email(&email("ines.vale@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.user, u);
    assert_eq!(creds.password_hash, "$argon2id$v=19$stub");
    let dup = store
        .create_user(
            &NewUser {
                email: email("INES.VALE@example.org"),
                name: "Someone else".into(),
                role: Role::Admin,
                password_hash: "x".into(),
                author_id: None,
            },
            now(),
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(f)) if f == "email"));
    assert!(
        store
            .credentials_by_email(&email("nobody@example.org"))
            .await
            .unwrap()
            .is_none()
    );
    let changed = store
        .update_user(u.id, "Inès Vale", Role::Editor, None)
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.role, changed.author_id),
        ("Inès Vale", Role::Editor, None)
    );
    store
        .set_password_hash(u.id, "$argon2id$new", None)
        .await
        .unwrap();
    let creds = store.credentials_by_email(&u.email).await.unwrap().unwrap();
    assert_eq!(creds.password_hash, "$argon2id$new");
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

pub async fn sessions_expire_end_on_logout_and_on_disabling(store: Arc<dyn Store>) {
    let u = user(store.as_ref(), "desk@example.org", Role::Editor).await;
    let t = now();
    store
        .create_session(u.id, "hash-a", t, t + Duration::hours(1))
        .await
        .unwrap();
    store
        .create_session(u.id, "hash-b", t, t + Duration::hours(1))
        .await
        .unwrap();
    let (s, su) = store.session_user("hash-a", t).await.unwrap().unwrap();
    assert_eq!(su.id, u.id);
    assert_eq!(s.expires_at, t + Duration::hours(1));
    assert!(
        store
            .session_user("hash-a", t + Duration::hours(1))
            .await
            .unwrap()
            .is_none(),
        "expired at expires_at"
    );
    assert!(store.session_user("unknown", t).await.unwrap().is_none());
    store.delete_session("hash-a").await.unwrap();
    assert!(store.session_user("hash-a", t).await.unwrap().is_none());
    assert!(store.session_user("hash-b", t).await.unwrap().is_some());
    let disabled = store.set_user_disabled(u.id, true).await.unwrap();
    assert!(disabled.disabled);
    assert!(store.session_user("hash-b", t).await.unwrap().is_none());
    store.set_user_disabled(u.id, false).await.unwrap();
    assert!(
        store.session_user("hash-b", t).await.unwrap().is_none(),
        "disabling ended the session for good"
    );
}

pub async fn api_tokens_record_use_and_stop_working_when_revoked(store: Arc<dyn Store>) {
    let u = user(store.as_ref(), "bot@example.org", Role::Author).await;
    let tok = store
        .create_api_token(u.id, "cms import", "tokhash", now())
        .await
        .unwrap();
    assert_eq!(tok.last_used_at, None);
    let later = now() + Duration::minutes(5);
    let (used, tu) = store
        .use_api_token("tokhash", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tu.id, u.id);
    assert_eq!(used.last_used_at, Some(later));
    assert!(store.use_api_token("other", later).await.unwrap().is_none());
    store.set_user_disabled(u.id, true).await.unwrap();
    assert!(
        store
            .use_api_token("tokhash", later)
            .await
            .unwrap()
            .is_none()
    );
    store.set_user_disabled(u.id, false).await.unwrap();
    assert!(
        store
            .use_api_token("tokhash", later)
            .await
            .unwrap()
            .is_some()
    );
    store.revoke_api_token(tok.id, later).await.unwrap();
    assert!(
        store
            .use_api_token("tokhash", later)
            .await
            .unwrap()
            .is_none()
    );
    let listed = store.list_api_tokens(u.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].revoked_at, Some(later));
    assert!(matches!(
        store.revoke_api_token(9999, later).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn login_failures_are_counted_per_key_within_the_window(store: Arc<dyn Store>) {
    let t = now();
    for i in 0..3 {
        store
            .record_login_failure("account:a@example.org", t + Duration::seconds(i))
            .await
            .unwrap();
    }
    store.record_login_failure("ip:10.0.0.1", t).await.unwrap();
    let f = store
        .login_failures_since("account:a@example.org", t - THROTTLE_WINDOW)
        .await
        .unwrap();
    assert_eq!(f.count, 3);
    assert_eq!(f.oldest, Some(t));
    let later = store
        .login_failures_since("account:a@example.org", t + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(later.count, 2);
    store
        .clear_login_failures("account:a@example.org")
        .await
        .unwrap();
    let f = store
        .login_failures_since("account:a@example.org", t - THROTTLE_WINDOW)
        .await
        .unwrap();
    assert_eq!(f, FailureCount::default());
    let ip = store
        .login_failures_since("ip:10.0.0.1", t - THROTTLE_WINDOW)
        .await
        .unwrap();
    assert_eq!(ip.count, 1);
}

pub async fn audit_log_lists_newest_first_and_pages(store: Arc<dyn Store>) {
    let u = user(store.as_ref(), "admin@example.org", Role::Admin).await;
    for i in 0..5 {
        store
            .append_audit(&NewAuditEntry {
                at: now() + Duration::seconds(i),
                user_id: Some(u.id),
                actor: u.email.to_string(),
                action: "article.publish".into(),
                target: format!("article {i}"),
            })
            .await
            .unwrap();
    }
    let first = store.list_audit(None, 3).await.unwrap();
    assert_eq!(
        first.iter().map(|e| e.target.as_str()).collect::<Vec<_>>(),
        ["article 4", "article 3", "article 2"]
    );
    assert_eq!(first[0].at, now() + Duration::seconds(4));
    let rest = store.list_audit(Some(first[2].id), 10).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[1].target, "article 0");
}

pub async fn server_secret_is_stored_once_and_shared(store: Arc<dyn Store>) {
    let a = store.server_secret("csrf", "first").await.unwrap();
    let b = store.server_secret("csrf", "second").await.unwrap();
    assert_eq!((a.as_str(), b.as_str()), ("first", "first"));
    assert_eq!(store.server_secret("other", "x").await.unwrap(), "x");
}

pub async fn webhooks_and_their_deliveries_round_trip(store: Arc<dyn Store>) {
    let hook = store
        .create_webhook("https://hooks.example.org/in", "s3cret", now())
        .await
        .unwrap();
    assert_eq!(store.list_webhooks().await.unwrap(), vec![hook.clone()]);
    let d = store
        .create_webhook_delivery(hook.id, "article.published", "{\"id\":1}", now())
        .await
        .unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("pending", 0));
    store
        .record_webhook_attempt(d.id, "pending", Some(503), Some("HTTP 503"), now())
        .await
        .unwrap();
    store
        .record_webhook_attempt(d.id, "delivered", Some(200), None, now())
        .await
        .unwrap();
    let d = store.webhook_delivery(d.id).await.unwrap().unwrap();
    assert_eq!(
        (d.status.as_str(), d.attempts, d.last_status),
        ("delivered", 2, Some(200))
    );
    assert_eq!(d.payload, "{\"id\":1}");
    assert_eq!(store.list_webhook_deliveries(10).await.unwrap().len(), 1);
    store.delete_webhook(hook.id).await.unwrap();
    assert!(store.webhook(hook.id).await.unwrap().is_none());
    assert!(store.list_webhook_deliveries(10).await.unwrap().is_empty());
}

pub async fn article_updates_keep_a_revision_per_save(store: Arc<dyn Store>) {
    let editor = user(store.as_ref(), "ed@example.org", Role::Editor).await;
    let tag = store
        .create_tag(&NewTag {
            slug: Slug::parse("city").unwrap(),
            name: "City".into(),
            description: String::new(),
        })
        .await
        .unwrap();
    let a = store
        .create_article(&draft("first-cut", "First cut"))
        .await
        .unwrap();
    let r0 = store
        .record_revision(a.id, Some(editor.id), now())
        .await
        .unwrap();
    assert_eq!(r0.headline, "First cut");
    let mut edit = draft("second-cut", "Second cut");
    edit.body_markdown = "First line.\nSecond line.\n".into();
    edit.tag_ids = vec![tag.id];
    edit.section_id = Some(tag.id);
    let later = now() + Duration::minutes(3);
    let b = store
        .update_article(a.id, &edit, Some(editor.id), later)
        .await
        .unwrap();
    assert_eq!(b.id, a.id);
    assert_eq!(b.slug.as_str(), "second-cut");
    assert_eq!(b.updated_at, later);
    assert_eq!(b.tags, vec![tag.clone()]);
    assert_eq!(b.created_at, a.created_at);
    let revs = store.revisions(a.id).await.unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0].headline, "Second cut");
    assert_eq!(revs[0].editor_id, Some(editor.id));
    assert_eq!(revs[0].created_at, later);
    assert_eq!(revs[1], r0);
    assert_eq!(store.revision(r0.id).await.unwrap(), Some(r0));
    assert!(matches!(
        store.update_article(9999, &edit, None, later).await,
        Err(StoreError::NotFound)
    ));
    // A failed edit (slug taken) changes nothing and stores no revision.
    store
        .create_article(&draft("taken", "Taken"))
        .await
        .unwrap();
    let clash = store
        .update_article(a.id, &draft("taken", "Clash"), None, later)
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    assert_eq!(
        store.article(a.id).await.unwrap().unwrap().headline,
        "Second cut"
    );
    assert_eq!(store.revisions(a.id).await.unwrap().len(), 2);
}

pub async fn status_changes_publish_schedule_and_unpublish(store: Arc<dyn Store>) {
    let a = store
        .create_article(&draft("due-soon", "Due soon"))
        .await
        .unwrap();
    let due = now() + Duration::hours(2);
    let s = store
        .set_article_status(a.id, ArticleStatus::Scheduled, Some(due), now())
        .await
        .unwrap();
    assert_eq!(
        (s.status, s.published_at),
        (ArticleStatus::Scheduled, Some(due))
    );
    assert!(!s.is_visible_at(now()));
    assert!(s.is_visible_at(due));
    let slug = s.slug.clone();
    assert!(
        store
            .visible_article_by_slug(&slug, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .visible_article_by_slug(&slug, due)
            .await
            .unwrap()
            .is_some()
    );
    let d = store
        .set_article_status(a.id, ArticleStatus::Draft, None, now())
        .await
        .unwrap();
    assert_eq!(d.status, ArticleStatus::Draft);
    assert!(
        store
            .visible_article_by_slug(&slug, due)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store.article(a.id).await.unwrap().is_some(),
        "drafts are found by id"
    );
    store.delete_article(a.id).await.unwrap();
    assert!(store.article(a.id).await.unwrap().is_none());
    assert!(matches!(
        store.delete_article(a.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn admin_list_filters_by_status_headline_author_and_review(store: Arc<dyn Store>) {
    let writer = user(store.as_ref(), "w@example.org", Role::Author).await;
    let au = store
        .create_author(&NewAuthor {
            slug: Slug::parse("w").unwrap(),
            name: "W".into(),
            bio: String::new(),
            photo_id: None,
            links: vec![],
        })
        .await
        .unwrap();
    let mut mine = draft("bridge-vote", "Bridge vote: 100% turnout");
    mine.author_ids = vec![au.id];
    let mine = store.create_article(&mine).await.unwrap();
    let mut agency = draft("wire-copy", "Wire copy about the bridge");
    agency.source = Some(SourceRef {
        agency: "Northwind Wire".into(),
        original_url: "https://wire.example/1".into(),
    });
    let agency = store.create_article(&agency).await.unwrap();
    let mut live = draft("live", "Harbour opens");
    live.status = ArticleStatus::Published;
    live.published_at = Some(now());
    let live = store.create_article(&live).await.unwrap();

    let ids = |v: Vec<newsdesk_core::Article>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let q = |f: fn(&mut AdminArticleQuery)| {
        let mut q = AdminArticleQuery {
            limit: 50,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    assert_eq!(
        store.admin_list_articles(&q(|_| {})).await.unwrap().len(),
        3
    );
    let drafts = ids(store
        .admin_list_articles(&q(|q| q.status = Some(ArticleStatus::Draft)))
        .await
        .unwrap());
    assert_eq!(drafts.len(), 2);
    assert!(!drafts.contains(&live.id));
    let found = ids(store
        .admin_list_articles(&q(|q| q.search = Some("BRIDGE".into())))
        .await
        .unwrap());
    assert_eq!(found.len(), 2);
    // LIKE wildcards in the search are literal.
    let pct = ids(store
        .admin_list_articles(&q(|q| q.search = Some("100%".into())))
        .await
        .unwrap());
    assert_eq!(pct, vec![mine.id]);
    let none = store
        .admin_list_articles(&q(|q| q.search = Some("_".into())))
        .await
        .unwrap();
    assert!(none.is_empty());
    let by_author = ids(store
        .admin_list_articles(&AdminArticleQuery {
            author_id: Some(au.id),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap());
    assert_eq!(by_author, vec![mine.id]);
    let queue = ids(store
        .admin_list_articles(&q(|q| q.review_queue = true))
        .await
        .unwrap());
    assert_eq!(queue, vec![agency.id]);
    store
        .request_review(mine.id, writer.id, now())
        .await
        .unwrap();
    store
        .request_review(mine.id, writer.id, now())
        .await
        .unwrap();
    let queue = ids(store
        .admin_list_articles(&q(|q| q.review_queue = true))
        .await
        .unwrap());
    assert_eq!(queue.len(), 2);
    store
        .set_article_status(mine.id, ArticleStatus::Published, Some(now()), now())
        .await
        .unwrap();
    store.clear_review_request(agency.id).await.unwrap();
    let queue = ids(store
        .admin_list_articles(&q(|q| q.review_queue = true))
        .await
        .unwrap());
    assert_eq!(queue, vec![agency.id], "agency drafts stay until handled");
    let page = store
        .admin_list_articles(&AdminArticleQuery {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 1);
}

pub async fn photos_list_newest_first_with_renditions(store: Arc<dyn Store>) {
    let mut ids = vec![];
    for i in 0..3 {
        let p = store
            .create_photo(&NewPhoto {
                file: format!("2026/p{i}.jpg"),
                content_type: "image/jpeg".into(),
                alt: "alt".into(),
                caption: "caption".into(),
                credit: "credit".into(),
                width: 2000,
                height: 1000,
            })
            .await
            .unwrap();
        ids.push(p.id);
    }
    let listed: Vec<_> = store
        .list_photos(2)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, vec![ids[2], ids[1]]);
    let r = |w: u32| PhotoRendition {
        file: format!("2026/p0-{w}.jpg"),
        width: w,
        height: w / 2,
    };
    store
        .add_photo_renditions(ids[0], &[r(960), r(480)])
        .await
        .unwrap();
    assert_eq!(
        store.photo_renditions(ids[0]).await.unwrap(),
        vec![r(480), r(960)]
    );
    assert!(store.photo_renditions(ids[1]).await.unwrap().is_empty());
}

pub async fn tags_and_authors_can_be_edited(store: Arc<dyn Store>) {
    let t = store
        .create_tag(&NewTag {
            slug: Slug::parse("sport").unwrap(),
            name: "Sport".into(),
            description: String::new(),
        })
        .await
        .unwrap();
    let t2 = store
        .update_tag(
            t.id,
            &NewTag {
                slug: Slug::parse("sports").unwrap(),
                name: "Sports".into(),
                description: "Games.".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (t2.id, t2.slug.as_str(), t2.name.as_str()),
        (t.id, "sports", "Sports")
    );
    assert_eq!(store.list_tags().await.unwrap(), vec![t2]);
    let a = store
        .create_author(&NewAuthor {
            slug: Slug::parse("kim").unwrap(),
            name: "Kim".into(),
            bio: String::new(),
            photo_id: None,
            links: vec![],
        })
        .await
        .unwrap();
    let a2 = store
        .update_author(
            a.id,
            &NewAuthor {
                slug: Slug::parse("kim-lo").unwrap(),
                name: "Kim Lo".into(),
                bio: "Reports.".into(),
                photo_id: None,
                links: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(store.list_authors().await.unwrap(), vec![a2]);
    assert!(matches!(
        store
            .update_tag(
                9999,
                &NewTag {
                    slug: Slug::parse("x").unwrap(),
                    name: "X".into(),
                    description: String::new()
                }
            )
            .await,
        Err(StoreError::NotFound)
    ));
}

pub async fn a_new_password_ends_every_session_but_the_one_that_changed_it(store: Arc<dyn Store>) {
    let u = user(store.as_ref(), "ines@example.org", Role::Author).await;
    let other = user(store.as_ref(), "ola@example.org", Role::Author).await;
    let t = now();
    let until = t + Duration::hours(1);
    for h in ["keep-me", "phone", "laptop"] {
        store.create_session(u.id, h, t, until).await.unwrap();
    }
    store
        .create_session(other.id, "ola-desk", t, until)
        .await
        .unwrap();
    let ended = store
        .set_password_hash(u.id, "$argon2id$second", Some("keep-me"))
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert!(store.session_user("keep-me", t).await.unwrap().is_some());
    assert!(store.session_user("phone", t).await.unwrap().is_none());
    assert!(store.session_user("laptop", t).await.unwrap().is_none());
    assert!(
        store.session_user("ola-desk", t).await.unwrap().is_some(),
        "another user's sessions are untouched"
    );
    let creds = store.credentials_by_email(&u.email).await.unwrap().unwrap();
    assert_eq!(creds.password_hash, "$argon2id$second");
    // Without a session to keep (an admin's reset, the CLI), every session ends.
    let ended = store
        .set_password_hash(u.id, "$argon2id$third", None)
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert!(store.session_user("keep-me", t).await.unwrap().is_none());
    assert!(matches!(
        store.set_password_hash(9_999, "$argon2id$x", None).await,
        Err(StoreError::NotFound)
    ));
}
