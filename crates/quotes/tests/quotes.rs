//! The quote extractor's one integration-test binary: fixtures of our own
//! writing for each quotation and attribution pattern, the name helpers, and
//! properties that hold for any input.

#![allow(clippy::unwrap_used)]

use newsdesk_quotes::names::{display_name, person_key, same_person, split_title, surname_key};
use newsdesk_quotes::{Quote, QuoteKind, extract, extract_paragraphs};
use proptest::prelude::*;

/// The one quote whose text contains `needle`.
fn find<'a>(quotes: &'a [Quote], needle: &str) -> &'a Quote {
    let hits: Vec<&Quote> = quotes.iter().filter(|q| q.text.contains(needle)).collect();
    assert_eq!(
        hits.len(),
        1,
        "expected one quote containing {needle:?}, got {quotes:#?}"
    );
    hits[0]
}

fn speaker(quotes: &[Quote], needle: &str) -> Option<String> {
    find(quotes, needle).speaker.clone()
}

fn subsequence(text: &str, covered: &str) -> bool {
    let mut hay = covered.chars().filter(|c| !c.is_whitespace());
    text.chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| hay.any(|h| h == c))
}

fn slice(text: &str, start: usize, end: usize) -> String {
    text.chars().skip(start).take(end - start).collect()
}

#[test]
fn curly_quote_then_said_name_gives_speaker_and_offsets_into_the_text() {
    let text = "Harbour council met on Monday.\n\n\u{201c}The ferry will run again in spring,\u{201d} Marta Quill said.";
    let q = extract(text);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].text, "The ferry will run again in spring,");
    assert_eq!(q[0].speaker.as_deref(), Some("Marta Quill"));
    assert_eq!(q[0].kind, QuoteKind::Full);
    assert_eq!(slice(text, q[0].start, q[0].end), q[0].text);
}

#[test]
fn straight_quotes_and_said_name_the_role_after() {
    let text = "\"We have no more room,\" said Oskar Brandt, the harbour master, on Tuesday.";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Oskar Brandt"));
    assert_eq!(q[0].role.as_deref(), Some("harbour master"));
}

#[test]
fn guillemets_and_low_high_marks_are_quotes() {
    let text = "\u{ab}Nous restons ici,\u{bb} said Lea Marchand.\n\n\u{201e}Wir bleiben hier,\u{201c} said Jonas Weber.";
    let q = extract(text);
    assert_eq!(q.len(), 2, "{q:#?}");
    assert_eq!(speaker(&q, "Nous restons"), Some("Lea Marchand".into()));
    assert_eq!(speaker(&q, "Wir bleiben"), Some("Jonas Weber".into()));
}

#[test]
fn name_told_outlet_gives_speaker_and_interview_channel() {
    let text =
        "Tilda Marsh told Harbour News that the bridge \u{201c}will not reopen this year.\u{201d}";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Tilda Marsh"));
    assert_eq!(q[0].kind, QuoteKind::Partial);
    assert_eq!(q[0].channel.as_deref(), Some("interview with Harbour News"));
}

#[test]
fn according_to_names_the_speaker() {
    let text = "The mill will close, according to Ben Ashdown, its owner: \u{201c}There is no buyer left.\u{201d}";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Ben Ashdown"));
}

#[test]
fn wrote_posted_and_tweeted_give_speaker_and_channel() {
    let text = "\u{201c}See you at the pier,\u{201d} Nora Vale posted on Telegram.\n\n\
                \u{201c}The tide tables are wrong,\u{201d} Piet Solberg wrote in a tweet.";
    let q = extract(text);
    let a = find(&q, "pier");
    assert_eq!(a.speaker.as_deref(), Some("Nora Vale"));
    assert_eq!(a.channel.as_deref(), Some("Telegram post"));
    let b = find(&q, "tide tables");
    assert_eq!(b.speaker.as_deref(), Some("Piet Solberg"));
    assert_eq!(b.channel.as_deref(), Some("post on X"));
}

#[test]
fn role_before_the_name_is_kept() {
    let text = "\u{201c}The fleet stays in port,\u{201d} harbour spokesman Ivo Kranjc said in a statement.";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Ivo Kranjc"));
    assert_eq!(q[0].role.as_deref(), Some("harbour spokesman"));
    assert_eq!(q[0].channel.as_deref(), Some("statement"));
}

#[test]
fn title_before_the_name_becomes_the_role() {
    let text =
        "\u{201c}Nobody will be left behind,\u{201d} Minister of Fisheries Rosa Lindqvist said.";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Rosa Lindqvist"));
    assert_eq!(q[0].role.as_deref(), Some("Minister of Fisheries"));
}

#[test]
fn quote_running_over_paragraphs_is_one_quote() {
    let text = "Gus Farrow, who has run the bakery for forty years, said:\n\n\
                \u{201c}We open at five, every day of the year.\n\n\
                \u{201c}Nobody in this street has ever gone without bread.\u{201d}\n\n\
                The bakery will stay open.";
    let q = extract(text);
    assert_eq!(q.len(), 1, "{q:#?}");
    let q = &q[0];
    assert!(q.text.contains("We open at five"));
    assert!(q.text.contains("gone without bread."));
    assert!(q.text.contains("\n\n"), "paragraphs joined by a blank line");
    assert!(!q.text.contains('\u{201c}'), "re-opening mark dropped");
    assert_eq!(q.speaker.as_deref(), Some("Gus Farrow"));
    assert_eq!(q.kind, QuoteKind::Full);
    let covered = slice(text, q.start, q.end);
    assert!(covered.starts_with("We open") && covered.ends_with("bread."));
}

#[test]
fn pronoun_speaker_resolves_to_the_person_named_earlier() {
    let text = "Hanna Okafor chairs the lifeboat trust.\n\n\
                \u{201c}We need two more crews,\u{201d} Okafor said.\n\n\
                \u{201c}And a new slipway,\u{201d} she added.";
    let q = extract(text);
    assert_eq!(speaker(&q, "slipway"), Some("Hanna Okafor".into()));
}

#[test]
fn it_added_resolves_to_the_body_and_keeps_the_channel() {
    let text = "The port authority said in a statement that the quay was closed.\n\n\
                \u{201c}Safety comes first,\u{201d} the statement said.\n\n\
                \u{201c}Repairs will take a month,\u{201d} it added.";
    let q = extract(text);
    let a = find(&q, "Safety");
    assert_eq!(a.speaker.as_deref(), Some("port authority"));
    assert_eq!(a.channel.as_deref(), Some("statement"));
    let b = find(&q, "Repairs");
    assert_eq!(b.speaker.as_deref(), Some("port authority"));
    assert_eq!(b.channel.as_deref(), Some("statement"));
}

#[test]
fn description_speaker_resolves_to_the_body_that_issued_it() {
    let text = "The Ferry Company said in a statement on Friday that fares would rise.\n\n\
                \u{201c}Fuel has doubled in price,\u{201d} the statement said.";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Ferry Company"));
}

#[test]
fn surname_resolves_to_the_full_name_in_the_article() {
    let text = "Elsa Nordgren, the town's mayor, opened the market on Saturday.\n\n\
                \u{201c}It is the busiest morning we have had,\u{201d} Nordgren said.";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Elsa Nordgren"));
    assert_eq!(q[0].role.as_deref(), Some("town's mayor"));
}

#[test]
fn speaker_named_in_the_sentence_before() {
    let text = "Rafael Duarte said the storm had moved north.\n\n\
                \u{201c}The worst is over for the coast.\u{201d}";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Rafael Duarte"));
}

#[test]
fn quote_without_a_findable_speaker_has_none() {
    let text =
        "The sign on the gate read as it always had.\n\n\u{201c}Closed for the winter.\u{201d}";
    let q = extract(text);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].speaker, None);
    let text = "Witnesses described a \u{201c}wall of water\u{201d} coming over the dunes.";
    let q = extract(text);
    assert_eq!(q[0].speaker, None);
    assert_eq!(q[0].kind, QuoteKind::Partial);
}

#[test]
fn nested_quotes_stay_inside_the_outer_quote() {
    let text = "\u{201c}She told me \u{2018}never again\u{2019} and left,\u{201d} said Colm Reilly.\n\n\
                \"He kept saying 'hold the line' all night,\" said Ines Faro.";
    let q = extract(text);
    assert_eq!(q.len(), 2, "{q:#?}");
    assert_eq!(
        find(&q, "never again").text,
        "She told me \u{2018}never again\u{2019} and left,"
    );
    assert_eq!(speaker(&q, "never again"), Some("Colm Reilly".into()));
    assert_eq!(speaker(&q, "hold the line"), Some("Ines Faro".into()));
}

#[test]
fn split_quote_around_its_cue_is_one_quote() {
    let text = "\u{201c}We sail at dawn,\u{201d} Captain Ada Brook said. \u{201c}Weather permitting.\u{201d}";
    let q = extract(text);
    assert_eq!(q.len(), 1, "{q:#?}");
    assert_eq!(q[0].text, "We sail at dawn, Weather permitting.");
    assert_eq!(q[0].speaker.as_deref(), Some("Ada Brook"));
    assert_eq!(q[0].role.as_deref(), Some("Captain"));
}

#[test]
fn fragment_in_reported_speech_takes_the_clause_subject() {
    let text = "Lena Ortiz, an adviser to the governor, denied the report and called it \u{201c}pure invention.\u{201d}";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Lena Ortiz"));
    assert_eq!(q[0].role.as_deref(), Some("adviser to the governor"));
    assert_eq!(q[0].kind, QuoteKind::Partial);
}

#[test]
fn text_without_quotes_gives_nothing() {
    assert!(extract("").is_empty());
    assert!(
        extract("The tide came in at six. Nobody said anything.\n\nIt's the boat's last run.")
            .is_empty()
    );
}

#[test]
fn paragraph_entry_offsets_point_into_the_joined_text() {
    let paras = [
        "The pier opened.",
        "\u{201c}At last,\u{201d} said Mo Grant.",
    ];
    let q = extract_paragraphs(&paras);
    let joined = paras.join("\n\n");
    assert_eq!(q[0].speaker.as_deref(), Some("Mo Grant"));
    assert_eq!(slice(&joined, q[0].start, q[0].end), "At last,");
}

#[test]
fn quote_serialises_in_the_contract_shape() {
    let q = extract("\u{201c}Yes,\u{201d} said Al Moss.");
    let v = serde_json::to_value(&q[0]).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"text": "Yes,", "speaker": "Al Moss", "role": null, "channel": null,
                           "kind": "full", "start": 1, "end": 5})
    );
}

#[test]
fn name_helpers_merge_the_ways_one_person_is_named() {
    assert_eq!(
        split_title("Secretary of State Antony Blinken"),
        (
            Some("Secretary of State".to_string()),
            "Antony Blinken".to_string()
        )
    );
    assert_eq!(display_name("Sen. Bernie Sanders's"), "Bernie Sanders");
    assert_eq!(
        person_key("Secretary of State Antony Blinken"),
        "antony blinken"
    );
    assert_eq!(person_key("Antony J. Blinken"), "antony blinken");
    assert_eq!(surname_key("Mr. Blinken").as_deref(), Some("blinken"));
    assert!(same_person("Blinken", "Secretary of State Antony Blinken"));
    assert!(same_person("A. Blinken", "Antony Blinken"));
    assert!(!same_person("Hillary Clinton", "Bill Clinton"));
    assert!(!same_person("", "Blinken"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_input_never_panics_and_offsets_slice_the_text(
        text in r#"([A-Za-z]{1,8}|[ ,.;:!?'"()\n-]|\n\n|\u{201c}|\u{201d}|\u{ab}|\u{bb}|\u{201e}|\u{2019}|said|told|according to|he|the|Mr\.|[A-Z][a-z]+ [A-Z][a-z]+){0,80}"#
    ) {
        let n = text.chars().count();
        for q in extract(&text) {
            prop_assert!(q.start <= q.end && q.end <= n, "{q:?} in {n} chars");
            // The quote's words come from the covered characters, in order
            // (pieces of one quote are joined by a space or a blank line).
            let covered = slice(&text, q.start, q.end);
            prop_assert!(subsequence(&q.text, &covered), "{:?} not within {:?}", q.text, covered);
            prop_assert!(!q.text.is_empty());
        }
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,300}") {
        let n = text.chars().count();
        for q in extract(&text) {
            prop_assert!(q.start <= q.end && q.end <= n);
        }
    }
}

#[test]
fn titles_in_quotation_marks_are_not_quotes() {
    let text = "The mayor watched \u{201c}The Harbour Lights\u{201d} at the Regal on Friday.\n\n\
                \u{201c}It made me cry,\u{201d} said Ola Berg.";
    let q = extract(text);
    assert_eq!(q.len(), 1, "{q:#?}");
    assert_eq!(q[0].speaker.as_deref(), Some("Ola Berg"));
}

#[test]
fn surname_prefers_the_person_already_quoted() {
    let text = "\u{201c}We sail on Monday,\u{201d} said skipper Dara Quinn.\n\n\
                Quinn, whose cousin Eamon Quinn runs the boatyard, has fished for thirty years.\n\n\
                \u{201c}The sea has been kind to us,\u{201d} Quinn said.";
    let q = extract(text);
    assert_eq!(speaker(&q, "kind to us"), Some("Dara Quinn".into()));
}

#[test]
fn signature_line_after_a_quote_names_its_speaker() {
    let text = "\u{201c}The bridge will be finished by May.\u{201d}\n\n\u{2014} Ana Lopes, Lisbon.";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Ana Lopes"));
}

#[test]
fn colon_sentence_introduces_the_quote_after_it() {
    let text = "Mayor Tove Lind issued the following statement:\n\n\u{201c}Our thoughts are with the crew.\u{201d}";
    let q = extract(text);
    assert_eq!(q[0].speaker.as_deref(), Some("Tove Lind"));
    assert_eq!(q[0].channel.as_deref(), Some("statement"));
}
