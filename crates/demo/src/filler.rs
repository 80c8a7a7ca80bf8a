//! Filler prose for synthetic wire copy (benchmarks and tests): words dealt from a small
//! vocabulary of our own by a seeded generator, so the same seed always gives the same text and
//! different seeds give texts that share little beyond common words.

use super::rng::Rng;

const VOCABULARY: &[&str] = &[
    "council",
    "harbour",
    "river",
    "market",
    "school",
    "winter",
    "ferry",
    "station",
    "budget",
    "residents",
    "engineers",
    "farmers",
    "teachers",
    "visitors",
    "bridge",
    "library",
    "tram",
    "orchard",
    "square",
    "museum",
    "valley",
    "island",
    "road",
    "village",
    "mayor",
    "union",
    "workers",
    "plans",
    "repairs",
    "funding",
    "weather",
    "harvest",
    "festival",
    "prices",
    "said",
    "announced",
    "expected",
    "approved",
    "rejected",
    "welcomed",
    "opened",
    "closed",
    "on",
    "Monday",
    "Tuesday",
    "after",
    "before",
    "while",
    "because",
    "and",
    "with",
    "from",
    "new",
    "old",
    "small",
    "large",
    "local",
    "regional",
    "early",
    "late",
    "quiet",
    "busy",
    "north",
    "south",
    "east",
    "west",
    "police",
    "hospital",
    "court",
    "minister",
    "company",
    "factory",
    "port",
    "airport",
    "railway",
    "storm",
    "flood",
    "fire",
    "strike",
    "vote",
    "election",
    "report",
    "inquiry",
    "contract",
    "tender",
    "rent",
    "housing",
    "water",
    "power",
    "grid",
    "wind",
    "solar",
    "coast",
    "forest",
    "park",
    "garden",
    "stadium",
    "team",
    "coach",
    "season",
    "concert",
    "theatre",
    "artist",
    "novel",
];

/// `n` words for `seed`, separated by single spaces.
pub fn filler_words(seed: u64, n: usize) -> String {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(n * 8);
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(rng.pick(VOCABULARY));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_words_and_another_seed_other_words() {
        assert_eq!(filler_words(7, 40), filler_words(7, 40));
        assert_ne!(filler_words(7, 40), filler_words(8, 40));
        assert_eq!(filler_words(7, 40).split(' ').count(), 40);
        assert_eq!(filler_words(7, 0), "");
    }
}
