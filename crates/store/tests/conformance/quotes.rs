//! Who said what (`newsdesk_core::quotes::QuoteStore`): articles' quotes, people and aliases,
//! editors' fixes and drops surviving re-extraction.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use newsdesk_core::Store;
use newsdesk_core::quotes::{NewQuote, QuoteKind};

use crate::cases::publish;

fn t(h: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_750_000_000, 0).unwrap() + Duration::hours(h)
}

fn q(text: &str, speaker: Option<&str>) -> NewQuote {
    NewQuote {
        text: text.into(),
        speaker: speaker.map(Into::into),
        role: None,
        channel: Some("statement".into()),
        kind: QuoteKind::Full,
        start: 0,
        end: text.chars().count(),
    }
}

pub async fn aliases_merge_one_speaker_across_articles(store: Arc<dyn Store>) {
    let a = publish(store.as_ref(), "first-visit", t(0)).await;
    let b = publish(store.as_ref(), "second-visit", t(1)).await;
    store
        .replace_article_quotes(a.id, &[q("We stand together.", Some("Blinken"))], t(0))
        .await
        .unwrap();
    store
        .replace_article_quotes(
            b.id,
            &[
                q("The talks were frank.", Some("Antony Blinken")),
                q("We will return.", Some("Secretary of State Antony Blinken")),
                q("No comment.", None),
            ],
            t(1),
        )
        .await
        .unwrap();
    let people = store.list_people(t(2), 10).await.unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(people[0].quotes, 3);
    assert_eq!(people[0].person.name, "Antony Blinken");
    let quotes = store.article_quotes(b.id).await.unwrap();
    assert_eq!(quotes.len(), 3);
    assert!(
        quotes[2].person.is_none(),
        "a quote with no speaker has no person"
    );
}

pub async fn people_are_listed_most_quoted_first(store: Arc<dyn Store>) {
    let a = publish(store.as_ref(), "council", t(0)).await;
    store
        .replace_article_quotes(
            a.id,
            &[
                q("One.", Some("Ada Morel")),
                q("Two.", Some("Tom Vale")),
                q("Three.", Some("Tom Vale")),
            ],
            t(0),
        )
        .await
        .unwrap();
    let people = store.list_people(t(1), 10).await.unwrap();
    let names: Vec<_> = people
        .iter()
        .map(|p| (p.person.name.as_str(), p.quotes))
        .collect();
    assert_eq!(names, vec![("Tom Vale", 2), ("Ada Morel", 1)]);
    // Quotes in articles readers cannot see yet are not counted.
    assert!(store.list_people(t(-1), 10).await.unwrap().is_empty());
}

pub async fn a_persons_quotes_come_newest_first_in_pages(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let a = publish(store.as_ref(), &format!("day-{i}"), t(i)).await;
        store
            .replace_article_quotes(
                a.id,
                &[q(&format!("Said on day {i}."), Some("Lena Brook"))],
                t(i),
            )
            .await
            .unwrap();
        ids.push(a.id);
    }
    let person = store.list_people(t(10), 10).await.unwrap()[0]
        .person
        .clone();
    let by_slug = store.person_by_slug(&person.slug).await.unwrap().unwrap();
    assert_eq!(by_slug, person);
    let first = store
        .person_quotes(person.id, t(10), None, 2)
        .await
        .unwrap();
    let texts: Vec<_> = first.items.iter().map(|x| x.quote.text.clone()).collect();
    assert_eq!(texts, vec!["Said on day 4.", "Said on day 3."]);
    let mut seen = texts.len();
    let mut next = first.next;
    while let Some(c) = next {
        let page = store
            .person_quotes(person.id, t(10), Some(c), 2)
            .await
            .unwrap();
        seen += page.items.len();
        next = page.next;
    }
    assert_eq!(seen, 5);
}

pub async fn replacing_quotes_keeps_editors_fixes_and_drops(store: Arc<dyn Store>) {
    let a = publish(store.as_ref(), "bridge", t(0)).await;
    let first = [
        q("The bridge opens in May.", Some("Tom Vale")),
        q("Nothing like it.", Some("Ada Morel")),
        q("Old words.", Some("Ada Morel")),
    ];
    store
        .replace_article_quotes(a.id, &first, t(0))
        .await
        .unwrap();
    let stored = store.article_quotes(a.id).await.unwrap();
    let fixed = store
        .fix_quote_speaker(stored[0].id, Some("Lena Brook"), t(0))
        .await
        .unwrap();
    assert!(fixed.editor_fixed);
    assert_eq!(fixed.person.as_ref().unwrap().name, "Lena Brook");
    store.set_quote_dropped(stored[1].id, true).await.unwrap();
    // Re-extraction finds the same quotes with the old speakers, and one more.
    let again = [
        q("The bridge opens in May.", Some("Tom Vale")),
        q("Nothing like it.", Some("Ada Morel")),
        q("New words.", Some("Ada Morel")),
    ];
    store
        .replace_article_quotes(a.id, &again, t(1))
        .await
        .unwrap();
    let after = store.article_quotes(a.id).await.unwrap();
    let view: Vec<_> = after
        .iter()
        .map(|x| (x.text.as_str(), x.speaker.as_deref(), x.dropped))
        .collect();
    assert_eq!(
        view,
        vec![
            ("The bridge opens in May.", Some("Lena Brook"), false),
            ("Nothing like it.", Some("Ada Morel"), true),
            ("New words.", Some("Ada Morel"), false),
        ]
    );
    let people = store.list_people(t(2), 10).await.unwrap();
    let names: Vec<_> = people
        .iter()
        .map(|p| (p.person.name.as_str(), p.quotes))
        .collect();
    assert!(names.contains(&("Lena Brook", 1)), "{names:?}");
    assert!(
        names.contains(&("Ada Morel", 1)),
        "dropped quotes are not counted: {names:?}"
    );
}

pub async fn merging_people_moves_quotes_and_aliases(store: Arc<dyn Store>) {
    let a = publish(store.as_ref(), "merge", t(0)).await;
    store
        .replace_article_quotes(
            a.id,
            &[
                q("One.", Some("Ana Lopes")),
                q("Two.", Some("Ana Lopes-Garcia")),
            ],
            t(0),
        )
        .await
        .unwrap();
    let people = store.list_people(t(1), 10).await.unwrap();
    assert_eq!(people.len(), 2);
    let (keep, gone) = (people[0].person.id, people[1].person.id);
    let merged = store.merge_people(keep, gone).await.unwrap();
    assert_eq!(merged.id, keep);
    let people = store.list_people(t(1), 10).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].quotes, 2);
    // The merged-away name now finds the kept person.
    let b = publish(store.as_ref(), "merge-later", t(1)).await;
    let gone_name = if people[0].person.name == "Ana Lopes" {
        "Ana Lopes-Garcia"
    } else {
        "Ana Lopes"
    };
    store
        .replace_article_quotes(b.id, &[q("Three.", Some(gone_name))], t(1))
        .await
        .unwrap();
    let people = store.list_people(t(2), 10).await.unwrap();
    assert_eq!(people.len(), 1, "{people:?}");
    assert_eq!(people[0].quotes, 3);
    assert!(store.person(gone).await.unwrap().is_none());
}
