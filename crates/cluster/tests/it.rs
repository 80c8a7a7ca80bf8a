//! Story clustering on fixtures of our own writing: what merges, what stays apart, the window,
//! copies, and the offline command's line format.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "fixtures/stories.rs"]
mod stories;

use newsdesk_cluster::offline::OfflineRun;
use newsdesk_cluster::{Clusterer, Decision, MemoryIndex, Placement, Settings, StoryText};
use stories::{BACKGROUND, BRIDGE_VOTE, Fixture, LIBRARY_VOTE, STORM_ARDMORE, STORM_NORVIK};

const HOUR: i64 = 3600;
/// Tuesday 2026-03-03 09:00 UTC.
const T0: i64 = 1_772_528_400;

fn clusterer() -> Clusterer<MemoryIndex> {
    Clusterer::new(MemoryIndex::new(), Settings::default())
}

fn place(c: &mut Clusterer<MemoryIndex>, f: &Fixture, at: Option<i64>) -> Placement {
    c.place(&StoryText {
        title: f.title,
        text: f.text,
        published: at,
        language: None,
        source: None,
    })
}

/// A desk that has already seen a morning's unrelated news.
fn warmed_up(at: Option<i64>) -> Clusterer<MemoryIndex> {
    let mut c = clusterer();
    for f in &BACKGROUND {
        place(&mut c, f, at);
    }
    c
}

#[test]
fn the_same_event_told_in_different_words_by_three_outlets_is_one_cluster() {
    for dated in [true, false] {
        let at = |h: i64| dated.then_some(T0 + h * HOUR);
        let mut c = warmed_up(at(0));
        let a = place(&mut c, &BRIDGE_VOTE[0], at(1));
        let b = place(&mut c, &BRIDGE_VOTE[1], at(2));
        let d = place(&mut c, &BRIDGE_VOTE[2], at(5));
        assert_eq!(a.decision, Decision::New);
        assert_eq!(b.cluster, a.cluster, "dated {dated}: {b:?}");
        assert_eq!(d.cluster, a.cluster, "dated {dated}: {d:?}");
        assert_eq!(b.decision, Decision::Joined, "different words, not a copy");
    }
}

#[test]
fn background_news_does_not_join_anything() {
    let mut c = clusterer();
    let mut clusters: Vec<u64> = BACKGROUND
        .iter()
        .map(|f| place(&mut c, f, Some(T0)).cluster)
        .collect();
    clusters.sort_unstable();
    clusters.dedup();
    assert_eq!(clusters.len(), BACKGROUND.len());
}

#[test]
fn two_council_votes_on_the_same_day_stay_apart() {
    let mut c = warmed_up(Some(T0));
    let bridge = place(&mut c, &BRIDGE_VOTE[0], Some(T0 + HOUR));
    let library = place(&mut c, &LIBRARY_VOTE, Some(T0 + 2 * HOUR));
    assert_ne!(library.cluster, bridge.cluster, "{library:?}");
    // And the bridge story's other versions still find their own cluster, not the library's.
    let second = place(&mut c, &BRIDGE_VOTE[1], Some(T0 + 3 * HOUR));
    assert_eq!(second.cluster, bridge.cluster);
}

#[test]
fn two_storms_in_the_same_week_stay_apart() {
    for dated in [true, false] {
        let at = |h: i64| dated.then_some(T0 + h * HOUR);
        let mut c = warmed_up(at(0));
        let helga = place(&mut c, &STORM_NORVIK, at(1));
        let tomas = place(&mut c, &STORM_ARDMORE, at(30));
        assert_ne!(tomas.cluster, helga.cluster, "dated {dated}: {tomas:?}");
    }
}

#[test]
fn a_version_outside_the_window_starts_a_new_cluster() {
    let mut c = warmed_up(Some(T0));
    let first = place(&mut c, &BRIDGE_VOTE[0], Some(T0));
    // Four days later: past the 72-hour window, however similar the text.
    let late = place(&mut c, &BRIDGE_VOTE[1], Some(T0 + 96 * HOUR));
    assert_ne!(late.cluster, first.cluster);
    assert_eq!(late.decision, Decision::New);
    // Within the window of the late one, the third version joins it.
    let third = place(&mut c, &BRIDGE_VOTE[2], Some(T0 + 100 * HOUR));
    assert_eq!(third.cluster, late.cluster);
}

#[test]
fn a_wider_window_keeps_the_late_version_with_its_event() {
    let settings = Settings {
        window_hours: 120,
        ..Settings::default()
    };
    let mut c = Clusterer::new(MemoryIndex::new(), settings);
    for f in &BACKGROUND {
        place(&mut c, f, Some(T0));
    }
    let first = place(&mut c, &BRIDGE_VOTE[0], Some(T0));
    let late = place(&mut c, &BRIDGE_VOTE[1], Some(T0 + 96 * HOUR));
    assert_eq!(late.cluster, first.cluster);
}

#[test]
fn a_lightly_edited_copy_joins_as_a_copy() {
    let mut c = warmed_up(Some(T0));
    let original = place(&mut c, &BRIDGE_VOTE[0], Some(T0));
    let edited = BRIDGE_VOTE[0]
        .text
        .replace("Tuesday", "Tuesday evening")
        .replace("the council said", "a spokeswoman said");
    let copy = c.place(&StoryText {
        title: "Linden to close Harbour Street bridge",
        text: &edited,
        published: Some(T0 + HOUR),
        language: None,
        source: None,
    });
    assert_eq!(copy.cluster, original.cluster);
    assert_eq!(copy.decision, Decision::Copy);
    assert!(copy.best.unwrap().copy >= 0.3);
}

#[test]
fn the_best_candidate_is_reported_even_when_not_joined() {
    let mut c = warmed_up(Some(T0));
    let bridge = place(&mut c, &BRIDGE_VOTE[0], Some(T0));
    let library = place(&mut c, &LIBRARY_VOTE, Some(T0));
    assert_eq!(library.decision, Decision::New);
    let best = library.best.expect("the bridge vote shares council words");
    assert_eq!(best.cluster, bridge.cluster);
    assert!(best.score < Settings::default().threshold);
}

fn line(f: &Fixture, published: &str) -> String {
    // Each fixture from an outlet of its own.
    serde_json::json!({"id": f.id, "title": f.title, "text": f.text, "published": published, "source": f.id})
        .to_string()
}

#[test]
fn offline_lines_echo_ids_and_give_one_label_per_event() {
    let mut run = OfflineRun::new(Settings::default(), false);
    let mut out = Vec::new();
    for f in &BACKGROUND {
        out.push(run.line(&line(f, "2026-03-03")).unwrap());
    }
    for f in &BRIDGE_VOTE {
        out.push(run.line(&line(f, "2026-03-03T10:00:00Z")).unwrap());
    }
    let parsed: Vec<serde_json::Value> = out
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed[0]["id"], "bg-football");
    assert_eq!(
        parsed[0].as_object().unwrap().len(),
        2,
        "just id and cluster: {}",
        out[0]
    );
    let n = parsed.len();
    assert_eq!(parsed[n - 1]["cluster"], parsed[n - 3]["cluster"]);
    assert_eq!(parsed[n - 2]["cluster"], parsed[n - 3]["cluster"]);
    assert_ne!(parsed[0]["cluster"], parsed[n - 1]["cluster"]);
}

#[test]
fn explain_shows_the_decision_and_the_similarity_parts() {
    let mut run = OfflineRun::new(Settings::default(), true);
    for f in &BACKGROUND {
        run.line(&line(f, "2026-03-03")).unwrap();
    }
    run.line(&line(&BRIDGE_VOTE[0], "2026-03-03")).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&run.line(&line(&BRIDGE_VOTE[1], "2026-03-03")).unwrap()).unwrap();
    let e = &v["explain"];
    assert_eq!(e["decision"], "joined");
    for part in ["title", "body", "entities", "numbers", "quotes"] {
        assert!(e["best"]["parts"][part].is_number(), "{part} missing: {e}");
    }
    assert!(e["best"]["parts"]["entities"].as_f64().unwrap() > 0.0);
    assert_eq!(e["best"]["hours_apart"], 0.0);
    assert!(e["best"]["score"].as_f64().unwrap() >= Settings::default().threshold);
}

#[test]
fn offline_lines_without_dates_or_with_numeric_ids_are_accepted() {
    let mut run = OfflineRun::new(Settings::default(), false);
    let out = run
        .line(r#"{"id": 17, "title": "Quiet day", "text": "Nothing happened in Linden today."}"#)
        .unwrap();
    assert_eq!(out, r#"{"cluster":1,"id":17}"#);
}

#[test]
fn bad_lines_are_refused_with_a_reason() {
    let mut run = OfflineRun::new(Settings::default(), false);
    assert!(run.line("not json").is_err());
    assert!(run.line(r#"{"title": "no id", "text": "x"}"#).is_err());
    let e = run
        .line(r#"{"id": "a", "title": "t", "text": "x", "published": "last Tuesday"}"#)
        .unwrap_err();
    assert!(e.to_string().contains("last Tuesday"), "{e}");
}

#[test]
fn stories_in_other_languages_cluster_with_their_own_stemmer() {
    let mut c = warmed_up(Some(T0));
    let de = [
        (
            "Stadtrat von Linden beschließt Sperrung der Hafenbrücke",
            "Der Stadtrat von Linden hat am Dienstag mit sieben zu zwei Stimmen beschlossen, die \
             Hafenbrücke für acht Monate zu sperren. Bürgermeisterin Ada Morel sagte, die \
             Reparatur der verrosteten Lager koste 4,2 Millionen Euro und könne nicht warten. \
             Ratsherr Piet Varga warnte vor Verlusten für die Geschäfte am Ostufer.",
        ),
        (
            "Hafenbrücke in Linden wird für Reparaturen gesperrt",
            "Die Hafenbrücke in Linden wird gesperrt: Mit sieben zu zwei Stimmen billigten die \
             Stadträte am Dienstag die Reparatur der rostigen Lager für 4,2 Millionen Euro. \
             Ada Morel, die Bürgermeisterin, verteidigte den Zeitpunkt; Piet Varga sprach von \
             einem schweren Schlag für die Läden am Ostufer.",
        ),
        (
            "Neue Nachtzüge zwischen Halden und der Hauptstadt",
            "Zwischen Halden und der Hauptstadt fahren seit Montag wieder Nachtzüge. Der \
             Betreiber Nordbahn meldete, die Schlafwagen seien für den ersten Monat ausverkauft.",
        ),
    ];
    let placed: Vec<Placement> = de
        .iter()
        .map(|(title, text)| {
            c.place(&StoryText {
                title,
                text,
                published: Some(T0),
                language: Some("de"),
                source: None,
            })
        })
        .collect();
    assert_eq!(placed[1].cluster, placed[0].cluster, "{:?}", placed[1]);
    assert_ne!(placed[2].cluster, placed[0].cluster);
}

#[test]
fn a_cold_desk_joins_only_copies_until_it_has_counted_enough_stories() {
    // The same three reports, on a desk that has seen nothing else: idf from three stories
    // cannot tell the event's words from the topic's, so nothing joins by event similarity.
    let mut c = clusterer();
    let placed: Vec<Placement> = BRIDGE_VOTE
        .iter()
        .map(|f| place(&mut c, f, Some(T0)))
        .collect();
    assert!(
        placed.iter().all(|p| p.decision == Decision::New),
        "{placed:?}"
    );
    // The same desk after a morning's news joins them.
    let mut warm = warmed_up(Some(T0));
    let a = place(&mut warm, &BRIDGE_VOTE[0], Some(T0));
    let b = place(&mut warm, &BRIDGE_VOTE[1], Some(T0));
    assert_eq!(b.cluster, a.cluster);
}

#[test]
fn a_second_text_from_the_same_source_never_joins_its_own_cluster_by_event_similarity() {
    let from = |c: &mut Clusterer<MemoryIndex>, f: &Fixture, source: &str| {
        c.place(&StoryText {
            title: f.title,
            text: f.text,
            published: Some(T0),
            language: None,
            source: Some(source),
        })
    };
    let mut c = warmed_up(Some(T0));
    let a = from(&mut c, &BRIDGE_VOTE[0], "Harbour Press");
    // Another outlet's report of the event joins...
    let b = from(&mut c, &BRIDGE_VOTE[1], "Valley Courier");
    assert_eq!((b.cluster, b.decision), (a.cluster, Decision::Joined));
    // ...but the first outlet's second, differently written text is another story of its own.
    let d = from(&mut c, &BRIDGE_VOTE[2], "Harbour Press");
    assert_ne!(d.cluster, a.cluster, "{d:?}");
    assert_eq!(d.decision, Decision::New);
}
