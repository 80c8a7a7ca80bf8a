//! The search crate against a real tantivy index in a temporary directory, filled with fixture
//! articles of our own writing.

// Helpers outside #[test] functions unwrap too: a fixture that cannot be built is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use newsdesk_search::{
    DocStatus, Filters, Named, OpenOptions, Opened, QueryError, Scope, Search, SearchDoc,
    SearchError, SearchRequest, Sort, SuggestionKind, TantivySearch,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).single().unwrap()
}

fn named(slug: &str, name: &str) -> Named {
    Named {
        slug: slug.into(),
        name: name.into(),
    }
}

fn article(id: u64, headline: &str, body: &str) -> SearchDoc {
    SearchDoc {
        id,
        slug: format!("article-{id}"),
        status: DocStatus::Published,
        language: "en".into(),
        headline: headline.into(),
        standfirst: String::new(),
        body: body.into(),
        section: Some(named("city", "City")),
        tags: vec![named("city", "City")],
        authors: vec![named("mara-quist", "Mara Quist")],
        agency: None,
        people: Vec::new(),
        published_at: Some(now() - Duration::days(id as i64)),
        updated_at: now(),
        cluster: None,
    }
}

fn fixtures() -> Vec<SearchDoc> {
    let mut v = vec![
        article(
            1,
            "Ferry crews strike over night rosters",
            "The harbour ferries stopped at dawn as crews walked out over new night rosters. The union said talks with the operator had failed.",
        ),
        article(
            2,
            "Council approves new bridge over the Linden river",
            "The city council voted to build a second bridge. The government grant covers half of the cost, the mayor said.",
        ),
        article(
            3,
            "Harbour fish market reopens after repairs",
            "Stalls returned to the quay on Saturday. Traders said the ferry timetable still keeps customers away in the evening.",
        ),
        article(
            4,
            "Night buses added while the ferry strike lasts",
            "Extra buses will run on the harbour route. The ferry strike entered its second day.",
        ),
        article(
            5,
            "School roofs to be replaced before winter",
            "The government will fund new roofs for six schools, the education office said.",
        ),
        article(
            6,
            "Recipe: fish stew from the harbour kitchens",
            "A stew of the day's catch <script>alert('x')</script> with bread and a glass of cider.",
        ),
    ];
    v[4].section = Some(named("schools", "Schools"));
    v[4].tags = vec![named("schools", "Schools"), named("budget", "Budget")];
    v[4].authors = vec![named("ola-berg", "Ola Berg")];
    v[2].agency = Some("Northwind Wire".into());
    v[0].people = vec!["Ada Morel".into()];
    v[0].standfirst = "Commuters face a long wait".into();
    v
}

struct Fixture {
    _dir: tempfile::TempDir,
    search: TantivySearch,
}

fn open(docs: Vec<SearchDoc>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (search, opened) =
        TantivySearch::open(&dir.path().join("search"), &OpenOptions::default()).unwrap();
    assert!(matches!(opened, Opened::Created { .. }));
    search.apply(docs, &[], 1).unwrap();
    Fixture { _dir: dir, search }
}

fn public(q: &str) -> SearchRequest {
    SearchRequest {
        q: q.into(),
        scope: Scope::Public { at: now() },
        filters: Filters::default(),
        sort: Sort::Relevance,
        limit: 10,
        cursor: None,
    }
}

fn ids(search: &TantivySearch, req: &SearchRequest) -> Vec<u64> {
    search
        .search(req)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn a_headline_match_ranks_above_a_body_match_and_stems_match() {
    let fx = open(fixtures());
    // "ferries" is in article 1's body; "ferry" is in the headlines of 1 and 4 and the body of 3.
    let found = ids(&fx.search, &public("ferries"));
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[..2].contains(&1) && found[..2].contains(&4),
        "{found:?}"
    );
    assert_eq!(found[2], 3);
}

#[test]
fn all_words_first_then_some_of_them() {
    let fx = open(fixtures());
    let page = fx.search.search(&public("ferry strike buses")).unwrap();
    let found: Vec<u64> = page.hits.iter().map(|h| h.id).collect();
    assert_eq!(found[0], 4, "only 4 has every word: {found:?}");
    assert!(found.contains(&1));
}

#[test]
fn a_phrase_matches_only_in_order() {
    let fx = open(fixtures());
    assert_eq!(ids(&fx.search, &public("\"ferry strike\"")), vec![4]);
    assert_eq!(
        ids(&fx.search, &public("\"strike ferry\"")),
        Vec::<u64>::new()
    );
}

#[test]
fn excluded_words_remove_results() {
    let fx = open(fixtures());
    let found = ids(&fx.search, &public("ferry -buses"));
    assert!(found.contains(&1) && found.contains(&3), "{found:?}");
    assert!(!found.contains(&4));
}

#[test]
fn a_typo_finds_the_word_and_says_did_you_mean() {
    let fx = open(fixtures());
    let page = fx.search.search(&public("goverment")).unwrap();
    let mut found: Vec<u64> = page.hits.iter().map(|h| h.id).collect();
    found.sort();
    assert_eq!(found, vec![2, 5]);
    assert_eq!(page.did_you_mean.as_deref(), Some("government"));
    // A correctly spelt word gets no suggestion.
    let page = fx.search.search(&public("government")).unwrap();
    assert_eq!(page.did_you_mean, None);
    // Short words are not corrected: "fsh" stays unmatched.
    assert!(ids(&fx.search, &public("fsh")).is_empty());
}

#[test]
fn filters_narrow_by_section_author_agency_and_date() {
    let fx = open(fixtures());
    let mut req = public("government");
    req.filters.section = Some("schools".into());
    assert_eq!(ids(&fx.search, &req), vec![5]);
    let mut req = public("government");
    req.filters.author = Some("mara-quist".into());
    assert_eq!(ids(&fx.search, &req), vec![2]);
    let mut req = public("harbour");
    req.filters.agency = Some("northwind wire".into());
    assert_eq!(ids(&fx.search, &req), vec![3]);
    let mut req = public("harbour");
    req.filters.from = Some(now() - Duration::days(4) - Duration::hours(1));
    req.filters.to = Some(now() - Duration::days(2) - Duration::hours(1));
    let mut found = ids(&fx.search, &req);
    found.sort();
    assert_eq!(found, vec![3, 4]);
}

#[test]
fn newest_sort_orders_by_publication() {
    let fx = open(fixtures());
    let mut req = public("harbour");
    req.sort = Sort::Newest;
    assert_eq!(ids(&fx.search, &req), vec![1, 3, 4, 6]);
}

#[test]
fn cursors_page_through_every_result_once() {
    let docs: Vec<SearchDoc> = (1..=23)
        .map(|i| {
            article(
                i,
                &format!("Tram line news {i}"),
                "The tram line timetable changes.",
            )
        })
        .collect();
    let fx = open(docs);
    for sort in [Sort::Relevance, Sort::Newest] {
        let mut req = public("tram timetable");
        req.sort = sort;
        req.limit = 5;
        let mut seen = Vec::new();
        loop {
            let page = fx.search.search(&req).unwrap();
            assert_eq!(page.total, 23);
            seen.extend(page.hits.iter().map(|h| h.id));
            match page.next_cursor {
                Some(c) => req.cursor = Some(c),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 23, "{sort:?}: {seen:?}");
        assert_eq!(seen.len(), 23);
    }
    let mut req = public("tram");
    req.cursor = Some("garbage".into());
    assert!(matches!(
        fx.search.search(&req),
        Err(SearchError::BadCursor)
    ));
}

#[test]
fn drafts_and_future_articles_stay_out_of_public_search() {
    let mut docs = fixtures();
    let mut draft = article(7, "Secret ferry plan", "A draft about the ferry.");
    draft.status = DocStatus::Draft;
    draft.published_at = None;
    let mut scheduled = article(8, "Ferry timetable for summer", "Scheduled.");
    scheduled.status = DocStatus::Scheduled;
    scheduled.published_at = Some(now() + Duration::hours(2));
    docs.push(draft);
    docs.push(scheduled);
    let fx = open(docs);
    let found = ids(&fx.search, &public("ferry"));
    assert!(!found.contains(&7) && !found.contains(&8), "{found:?}");
    let mut later = public("ferry");
    later.scope = Scope::Public {
        at: now() + Duration::hours(3),
    };
    assert!(ids(&fx.search, &later).contains(&8));
    let mut newsroom = public("ferry");
    newsroom.scope = Scope::Newsroom { authors: None };
    let found = ids(&fx.search, &newsroom);
    assert!(found.contains(&7) && found.contains(&8));
    newsroom.scope = Scope::Newsroom {
        authors: Some(vec!["ola-berg".into()]),
    };
    assert!(ids(&fx.search, &newsroom).is_empty());
}

#[test]
fn snippets_escape_markup_and_mark_matches() {
    let fx = open(fixtures());
    let page = fx.search.search(&public("stew")).unwrap();
    let snippet = &page.hits[0].snippet_html;
    assert!(snippet.contains("<mark>stew</mark>"), "{snippet}");
    assert!(snippet.contains("&lt;script&gt;"), "{snippet}");
    assert!(!snippet.contains("<script"), "{snippet}");
}

#[test]
fn hostile_queries_answer_with_clear_errors() {
    let fx = open(fixtures());
    let long = "ferry ".repeat(2000);
    assert!(matches!(
        fx.search.search(&public(&long)),
        Err(SearchError::Query(QueryError::TooLong { .. }))
    ));
    let many = "a b c d e f g h i j k l m n o p q r s t";
    assert!(matches!(
        fx.search.search(&public(many)),
        Err(SearchError::Query(QueryError::TooManyTerms { .. }))
    ));
    assert!(matches!(
        fx.search.search(&public("the and of")),
        Err(SearchError::Query(QueryError::OnlyCommonWords))
    ));
    assert!(matches!(
        fx.search.search(&public("-ferry")),
        Err(SearchError::Query(QueryError::OnlyExclusions))
    ));
    assert_eq!(ids(&fx.search, &public("\"ferry strike")), vec![4]);
    assert!(ids(&fx.search, &public("\"\"\" ) ( :: ferry*")).contains(&1));
}

#[test]
fn suggest_offers_headlines_people_and_tags_by_prefix() {
    let fx = open(fixtures());
    let s = fx
        .search
        .suggest("fish ma", &Scope::Public { at: now() }, 5)
        .unwrap();
    assert!(
        s.iter()
            .any(|s| s.kind == SuggestionKind::Headline && s.slug.as_deref() == Some("article-3")),
        "{s:?}"
    );
    let s = fx
        .search
        .suggest("mor", &Scope::Public { at: now() }, 5)
        .unwrap();
    assert!(
        s.iter()
            .any(|s| s.kind == SuggestionKind::Person && s.text == "Ada Morel"),
        "{s:?}"
    );
    let s = fx
        .search
        .suggest("bud", &Scope::Public { at: now() }, 5)
        .unwrap();
    assert!(
        s.iter().any(|s| s.kind == SuggestionKind::Tag
            && s.text == "Budget"
            && s.slug.as_deref() == Some("budget")),
        "{s:?}"
    );
    assert!(
        fx.search
            .suggest("", &Scope::Public { at: now() }, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn related_articles_skip_the_article_and_its_cluster_and_keep_one_per_cluster() {
    let mut docs = fixtures();
    for (id, cluster) in [(1, 100), (4, 100), (9, 200), (10, 200)] {
        if let Some(d) = docs.iter_mut().find(|d| d.id == id) {
            d.cluster = Some(cluster);
        } else {
            let mut d = article(
                id,
                "Ferry strike talks resume at the harbour",
                "Crews and the operator met again over the night rosters of the ferries.",
            );
            d.cluster = Some(cluster);
            docs.push(d);
        }
    }
    let fx = open(docs);
    let related = fx
        .search
        .related(1, &Scope::Public { at: now() }, 4)
        .unwrap();
    let found: Vec<u64> = related.iter().map(|h| h.id).collect();
    assert!(!found.contains(&1) && !found.contains(&4), "{found:?}");
    assert_eq!(
        found.iter().filter(|id| **id == 9 || **id == 10).count(),
        1,
        "one of cluster 200: {found:?}"
    );
    assert!(found[0] == 9 || found[0] == 10, "{found:?}");
    assert!(
        fx.search
            .related(999, &Scope::Public { at: now() }, 4)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn updates_replace_and_deletes_remove() {
    let fx = open(fixtures());
    let mut changed = article(2, "Council shelves the bridge", "No bridge this year.");
    changed.published_at = Some(now() - Duration::days(2));
    fx.search.apply(vec![changed], &[5], 2).unwrap();
    assert_eq!(ids(&fx.search, &public("shelves")), vec![2]);
    assert!(ids(&fx.search, &public("approves")).is_empty());
    assert!(ids(&fx.search, &public("roofs")).is_empty());
    assert_eq!(fx.search.applied_seq().unwrap(), Some(2));
}

#[test]
fn other_languages_are_stemmed_with_their_own_rules() {
    let mut fr = article(
        20,
        "Les élections municipales approchent",
        "Les électeurs voteront dimanche.",
    );
    fr.language = "fr".into();
    let fx = open(vec![fr, article(21, "Elections", "English election.")]);
    let found = ids(&fx.search, &public("élection"));
    assert!(found.contains(&20), "{found:?}");
}

#[test]
fn a_missing_or_damaged_index_is_recreated_and_a_good_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");
    {
        let (s, opened) = TantivySearch::open(&path, &OpenOptions::default()).unwrap();
        assert!(matches!(opened, Opened::Created { .. }));
        s.apply(fixtures(), &[], 7).unwrap();
    }
    {
        let (s, opened) = TantivySearch::open(&path, &OpenOptions::default()).unwrap();
        assert_eq!(opened, Opened::Existing);
        assert_eq!(s.applied_seq().unwrap(), Some(7));
        assert_eq!(s.num_docs(), 6);
    }
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    {
        let (s, opened) = TantivySearch::open(&path, &OpenOptions::default()).unwrap();
        assert!(matches!(opened, Opened::Created { .. }), "{opened:?}");
        assert_eq!(s.num_docs(), 0);
        assert_eq!(s.applied_seq().unwrap(), None);
        s.apply(fixtures(), &[], 8).unwrap();
    }
    // A segment file gone.
    for e in std::fs::read_dir(&path).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx") {
            std::fs::remove_file(p).unwrap();
        }
    }
    {
        let (_s, opened) = TantivySearch::open(&path, &OpenOptions::default()).unwrap();
        assert!(matches!(opened, Opened::Created { .. }), "{opened:?}");
    }
    std::fs::remove_dir_all(&path).unwrap();
    let (_s, opened) = TantivySearch::open(&path, &OpenOptions::default()).unwrap();
    assert!(matches!(opened, Opened::Created { .. }));
}

#[test]
fn a_second_writer_on_the_same_directory_is_refused_not_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");
    let (s, _) = TantivySearch::open(&path, &OpenOptions::default()).unwrap();
    s.apply(fixtures(), &[], 3).unwrap();
    assert!(matches!(
        TantivySearch::open(&path, &OpenOptions::default()),
        Err(SearchError::Locked(_))
    ));
    assert_eq!(s.num_docs(), 6);
}
