//! Online placement: each story, as it arrives, joins the most similar cluster of its window or
//! starts one of its own.
//!
//! A copy (MinHash estimate at or above [`SAME_STORY_THRESHOLD`] with a member) joins at once.
//! Otherwise the story is compared with each candidate cluster's centroid, signal by signal, and
//! the weighted sum, less a penalty growing with the time between them, must reach
//! [`Settings::threshold`]. The threshold is set for precision: two reports of one council
//! meeting share its names, numbers and headline words; two different council votes share only
//! the topic's vocabulary, which idf weighs down.

use crate::features::{FeatureSettings, Features, Featurizer, SIGNALS, Signal, StoryText};
use crate::fingerprint::SAME_STORY_THRESHOLD;
use crate::index::{CandidateQuery, ClusterId, ClusterSummary, EventIndex, cosine};

/// Everything that decides where a story goes. The ingest pipeline and `newsdesk cluster` use
/// [`Settings::default`] unless configured otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// A story joins only clusters whose members are within this many hours of it.
    pub window_hours: i64,
    /// Weighted similarity at or above which a story joins a cluster.
    pub threshold: f64,
    /// Weight of each signal's cosine, in [`Signal`] order.
    pub weights: [f64; SIGNALS],
    /// Added to the similarity of a dated story to a dated cluster, shrinking linearly to nothing
    /// at the window's edge.
    pub time_weight: f64,
    /// Share of the second-best candidate's score subtracted from the best's: a story close to
    /// many clusters is close to a topic, not to one event.
    pub runner_up_weight: f64,
    /// Body cosine below which a story never joins by event similarity: the body tells the event,
    /// and shared names and headline words alone (one company in the news twice in a week) are
    /// the topic, not the event.
    pub min_body: f64,
    /// Stories the desk must have counted before any joins by event similarity: idf from a
    /// handful of stories cannot tell an event's words from its topic's (copies join anyway).
    pub min_documents: u64,
    /// Entity cosine below which a story with names never joins a cluster with names by event
    /// similarity: two central banks' rate decisions share the topic's vocabulary, not their
    /// governors; reports of one event name the same people and places.
    pub min_entities: f64,
    /// A story never joins by event similarity a cluster that holds a story of its own source
    /// (see [`StoryText::source`]); copies (updates of its own text) still do.
    pub one_version_per_source: bool,
    /// Candidate clusters compared per story.
    pub candidates: usize,
    pub features: FeatureSettings,
}

impl Default for Settings {
    /// Chosen on the developer set (pairwise precision first, with and without dates) and kept
    /// round: the body carries most of the event, the headline and names sharpen it, numbers are
    /// shown by `--explain` but weigh nothing (years and counts are shared by unrelated stories).
    fn default() -> Self {
        Settings {
            window_hours: 72,
            threshold: 0.23,
            weights: [0.15, 0.70, 0.10, 0.0, 0.05],
            time_weight: 0.02,
            runner_up_weight: 0.4,
            min_body: 0.19,
            min_documents: 8,
            min_entities: 0.05,
            one_version_per_source: true,
            candidates: 12,
            features: FeatureSettings::default(),
        }
    }
}

/// How a story was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A near-duplicate of a member (MinHash).
    Copy,
    /// Similar enough to the cluster as a whole.
    Joined,
    /// Started a cluster of its own.
    New,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Copy => "copy",
            Decision::Joined => "joined",
            Decision::New => "new",
        }
    }
}

/// One candidate's similarity, part by part.
#[derive(Debug, Clone, PartialEq)]
pub struct Similarity {
    pub cluster: ClusterId,
    /// Cosine with the centroid per signal, in [`Signal`] order.
    pub parts: [f64; SIGNALS],
    /// Hours between the story and the nearest member, when both are dated.
    pub hours_apart: Option<f64>,
    /// Best MinHash estimate against the cluster's kept members.
    pub copy: f64,
    /// The weighted sum plus the time part: what is compared with the threshold.
    pub score: f64,
}

/// Where a story went, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub cluster: ClusterId,
    pub decision: Decision,
    /// The most similar candidate, whether joined or not.
    pub best: Option<Similarity>,
}

/// Places stories one by one against an [`EventIndex`].
#[derive(Debug)]
pub struct Clusterer<I> {
    pub index: I,
    settings: Settings,
    featurizer: Featurizer,
}

impl<I: EventIndex> Clusterer<I> {
    pub fn new(index: I, settings: Settings) -> Clusterer<I> {
        Clusterer {
            index,
            featurizer: Featurizer::new(settings.features.clone()),
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Reduces a story to features, counting it in the document frequencies.
    pub fn features(&mut self, story: &StoryText<'_>) -> Features {
        let counts = self.featurizer.count(story);
        self.index.count_document(&mut counts.keys());
        self.featurizer.weigh(counts, story, &self.index)
    }

    /// Places a story: the decision and the candidate that came closest. A new cluster takes the
    /// index's next id; [`Clusterer::propose`] and [`Clusterer::commit`] are the same two steps
    /// for a caller (the ingest pipeline) whose cluster ids come from elsewhere.
    pub fn place(&mut self, story: &StoryText<'_>) -> Placement {
        let (features, proposal) = self.propose(story);
        let cluster = match proposal.join {
            Some(c) => c,
            None => self.index.new_cluster_id(),
        };
        self.commit(cluster, &features);
        Placement {
            cluster,
            decision: proposal.decision,
            best: proposal.best,
        }
    }

    /// Where a story would go: counts it in the document frequencies and decides, but leaves
    /// the clusters as they are until [`Clusterer::commit`].
    pub fn propose(&mut self, story: &StoryText<'_>) -> (Features, Proposal) {
        let features = self.features(story);
        let candidates = self.index.candidates(&CandidateQuery {
            keys: &features.index_keys,
            band_keys: &features.fingerprint.band_keys,
            published: features.published,
            window: self.settings.window_hours.saturating_mul(3600),
            limit: self.settings.candidates,
        });
        let (decision, best, target) = decide(&features, &candidates, &self.settings);
        let join = target.map(|i| candidates[i].id);
        drop(candidates);
        (
            features,
            Proposal {
                decision,
                best,
                join,
            },
        )
    }

    /// Adds a placed story to cluster `cluster` (created when the index does not know it).
    pub fn commit(&mut self, cluster: ClusterId, features: &Features) {
        let mut summary = self
            .index
            .summary(cluster)
            .unwrap_or_else(|| ClusterSummary::new(cluster));
        summary.add(features);
        self.index.save(
            summary,
            features.published,
            &features.index_keys,
            &features.fingerprint.band_keys,
        );
    }
}

/// What [`Clusterer::propose`] decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub decision: Decision,
    pub best: Option<Similarity>,
    /// The cluster to join; `None` for a new one.
    pub join: Option<ClusterId>,
}

/// Scores a story against one cluster.
pub fn similarity(
    features: &Features,
    cluster: &ClusterSummary,
    settings: &Settings,
) -> Similarity {
    let mut parts = [0.0; SIGNALS];
    for s in Signal::ALL {
        parts[s as usize] = cosine(&features.vectors[s as usize], &cluster.centroid[s as usize]);
    }
    let hours_apart = match (features.published, cluster.first, cluster.last) {
        (Some(t), Some(first), Some(last)) => {
            let gap = if t < first {
                first - t
            } else if t > last {
                t - last
            } else {
                0
            };
            Some(gap as f64 / 3600.0)
        }
        _ => None,
    };
    let weighted: f64 = parts
        .iter()
        .zip(&settings.weights)
        .map(|(p, w)| p * w)
        .sum();
    let window = settings.window_hours.max(1) as f64;
    // Closeness in time is evidence of its own: full at no gap, none at the window's edge or
    // when either side has no date.
    let time = hours_apart.map_or(0.0, |h| {
        settings.time_weight * (1.0 - (h / window).min(1.0))
    });
    Similarity {
        cluster: cluster.id,
        parts,
        hours_apart,
        copy: cluster.copy_similarity(&features.fingerprint.signature),
        score: weighted + time,
    }
}

/// Do the story and the cluster name someone in common (or is either without names)?
fn shares_names(
    features: &Features,
    cluster: &ClusterSummary,
    s: &Similarity,
    settings: &Settings,
) -> bool {
    let e = Signal::Entities as usize;
    features.vectors[e].is_empty()
        || cluster.centroid[e].is_empty()
        || s.parts[e] >= settings.min_entities
}

/// The decision for a story given its candidate clusters: the decision, the closest candidate,
/// and the index in `candidates` of the cluster to join (none for a new one).
pub fn decide<C: std::ops::Deref<Target = ClusterSummary>>(
    features: &Features,
    candidates: &[C],
    settings: &Settings,
) -> (Decision, Option<Similarity>, Option<usize>) {
    let scored: Vec<Similarity> = candidates
        .iter()
        .map(|c| similarity(features, c, settings))
        .collect();
    let copy = scored
        .iter()
        .enumerate()
        .filter(|(_, s)| s.copy >= SAME_STORY_THRESHOLD)
        .max_by(|a, b| a.1.copy.total_cmp(&b.1.copy));
    if let Some((i, s)) = copy {
        return (Decision::Copy, Some(s.clone()), Some(i));
    }
    let best = scored.iter().enumerate().max_by(|a, b| {
        a.1.score
            .total_cmp(&b.1.score)
            .then(b.1.cluster.cmp(&a.1.cluster))
    });
    let runner_up = scored
        .iter()
        .filter(|s| best.is_some_and(|(_, b)| b.cluster != s.cluster))
        .map(|s| s.score)
        .fold(0.0f64, f64::max);
    match best {
        Some((i, s))
            if s.score - settings.runner_up_weight * runner_up >= settings.threshold
                && s.parts[Signal::Body as usize] >= settings.min_body
                && features.documents >= settings.min_documents
                && !(settings.one_version_per_source
                    && candidates[i].has_source(features.source))
                && shares_names(features, &candidates[i], s, settings) =>
        {
            (Decision::Joined, Some(s.clone()), Some(i))
        }
        Some((_, s)) => (Decision::New, Some(s.clone()), None),
        None => (Decision::New, None, None),
    }
}
