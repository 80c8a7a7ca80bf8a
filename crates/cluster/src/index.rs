//! Where clusters live between stories: their summaries, the inverted index of their rare keys,
//! and the document frequencies.
//!
//! [`EventIndex`] is what placement needs from storage; [`MemoryIndex`] keeps it all in memory
//! for the offline command and tests. Candidates are found through posting lists of rare keys
//! (headline terms, entities, numbers, a story's heaviest body terms) and MinHash band keys,
//! never by comparing with every cluster; each posting list is read from its newest end and only
//! so far, so the cost of a story stays flat however long the stream has run.

use crate::features::{DocFreqs, SIGNALS, SparseVec};
use crate::fingerprint;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// A cluster's label: stable for the life of the index.
pub type ClusterId = u64;

/// Centroid entries kept per signal: the heaviest, which carry the event.
const CENTROID_TERMS: usize = 400;
/// Member signatures kept per cluster for the copy test.
const SIGNATURES_KEPT: usize = 16;

/// What placement knows about a cluster: its centroid and time span.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSummary {
    pub id: ClusterId,
    pub members: u32,
    /// Unix seconds of the earliest and latest dated member.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Sum of the members' normalised vectors, per signal, sorted by key.
    pub centroid: [SparseVec; SIGNALS],
    /// MinHash signatures of the first members.
    pub signatures: Vec<Vec<u32>>,
    /// Hashes of the members' sources (the first [`SOURCES_KEPT`]).
    pub sources: Vec<u64>,
}

/// Distinct sources remembered per cluster.
const SOURCES_KEPT: usize = 64;

impl ClusterSummary {
    pub fn new(id: ClusterId) -> ClusterSummary {
        ClusterSummary {
            id,
            members: 0,
            first: None,
            last: None,
            centroid: Default::default(),
            signatures: Vec::new(),
            sources: Vec::new(),
        }
    }

    /// Adds a member's vectors to the centroid.
    pub fn add(&mut self, features: &crate::features::Features) {
        self.members += 1;
        if let Some(s) = features.source
            && !self.sources.contains(&s)
            && self.sources.len() < SOURCES_KEPT
        {
            self.sources.push(s);
        }
        if let Some(t) = features.published {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
        for (c, v) in self.centroid.iter_mut().zip(&features.vectors) {
            *c = merge_sum(c, v);
            if c.len() > CENTROID_TERMS {
                c.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                c.truncate(CENTROID_TERMS);
                c.sort_unstable_by_key(|e| e.0);
            }
        }
        if self.signatures.len() < SIGNATURES_KEPT && !features.fingerprint.signature.is_empty() {
            self.signatures.push(features.fingerprint.signature.clone());
        }
    }

    /// Does the cluster hold a story of this source?
    pub fn has_source(&self, source: Option<u64>) -> bool {
        source.is_some_and(|s| self.sources.contains(&s))
    }

    /// Is a story at `at` within `window` seconds of this cluster's time span?
    pub fn within(&self, at: Option<i64>, window: i64) -> bool {
        match (at, self.first, self.last) {
            (Some(t), Some(first), Some(last)) => t >= first - window && t <= last + window,
            // Without a date on either side, time says nothing.
            _ => true,
        }
    }

    /// The best MinHash similarity of a signature to the kept member signatures.
    pub fn copy_similarity(&self, signature: &[u32]) -> f64 {
        self.signatures
            .iter()
            .map(|s| fingerprint::similarity(signature, s))
            .fold(0.0, f64::max)
    }
}

/// A stored summary that cannot be read back.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cluster summary is truncated or not a summary")]
pub struct BadSummary;

/// Format version of [`ClusterSummary::to_bytes`].
const SUMMARY_FORMAT: u8 = 1;

impl ClusterSummary {
    /// A compact little-endian encoding for the store (the id is the row's key, not encoded).
    pub fn to_bytes(&self) -> Vec<u8> {
        let entries: usize = self.centroid.iter().map(Vec::len).sum();
        let sig: usize = self.signatures.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(32 + entries * 12 + sig * 4);
        out.push(SUMMARY_FORMAT);
        out.extend_from_slice(&self.members.to_le_bytes());
        for t in [self.first, self.last] {
            out.extend_from_slice(&t.unwrap_or(i64::MIN).to_le_bytes());
        }
        for v in &self.centroid {
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            for (k, w) in v {
                out.extend_from_slice(&k.to_le_bytes());
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out.extend_from_slice(&(self.sources.len() as u32).to_le_bytes());
        for s in &self.sources {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend_from_slice(&(self.signatures.len() as u32).to_le_bytes());
        for s in &self.signatures {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            for x in s {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out
    }

    /// Reads [`ClusterSummary::to_bytes`] back as cluster `id`.
    pub fn from_bytes(id: ClusterId, bytes: &[u8]) -> Result<ClusterSummary, BadSummary> {
        let mut r = Reader(bytes);
        if r.take(1)? != [SUMMARY_FORMAT] {
            return Err(BadSummary);
        }
        let members = r.u32()?;
        let time = |t: i64| (t != i64::MIN).then_some(t);
        let first = time(r.i64()?);
        let last = time(r.i64()?);
        let mut centroid: [SparseVec; SIGNALS] = Default::default();
        for v in &mut centroid {
            let n = r.len(12)?;
            v.reserve(n);
            for _ in 0..n {
                let k = r.u64()?;
                let w = f32::from_le_bytes(r.array()?);
                v.push((k, w));
            }
        }
        let n = r.len(8)?;
        let mut sources = Vec::with_capacity(n);
        for _ in 0..n {
            sources.push(r.u64()?);
        }
        let n = r.len(4)?;
        let mut signatures = Vec::with_capacity(n);
        for _ in 0..n {
            let m = r.len(4)?;
            let mut s = Vec::with_capacity(m);
            for _ in 0..m {
                s.push(r.u32()?);
            }
            signatures.push(s);
        }
        if !r.0.is_empty() {
            return Err(BadSummary);
        }
        Ok(ClusterSummary {
            id,
            members,
            first,
            last,
            centroid,
            signatures,
            sources,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BadSummary> {
        if self.0.len() < n {
            return Err(BadSummary);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BadSummary> {
        self.take(N)?.try_into().map_err(|_| BadSummary)
    }

    fn u32(&mut self) -> Result<u32, BadSummary> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, BadSummary> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, BadSummary> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A count of items of `size` bytes each, refused when the rest cannot hold them (a corrupt
    /// length must not make us allocate gigabytes).
    fn len(&mut self, size: usize) -> Result<usize, BadSummary> {
        let n = self.u32()? as usize;
        if n.saturating_mul(size) > self.0.len() {
            return Err(BadSummary);
        }
        Ok(n)
    }
}

fn merge_sum(a: &SparseVec, b: &SparseVec) -> SparseVec {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Cosine of a normalised vector with a centroid (any norm), by merging the two sorted lists.
pub fn cosine(v: &SparseVec, centroid: &SparseVec) -> f64 {
    let norm = centroid
        .iter()
        .map(|e| f64::from(e.1).powi(2))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 || v.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut dot) = (0, 0, 0.0f64);
    while i < v.len() && j < centroid.len() {
        match v[i].0.cmp(&centroid[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                dot += f64::from(v[i].1) * f64::from(centroid[j].1);
                i += 1;
                j += 1;
            }
        }
    }
    dot / norm
}

/// What to look candidates up by.
#[derive(Debug, Clone, Copy)]
pub struct CandidateQuery<'a> {
    /// Rare keys of the story with their idf.
    pub keys: &'a [(u64, f32)],
    /// MinHash band keys of the story.
    pub band_keys: &'a [i64],
    pub published: Option<i64>,
    /// Cluster window, seconds.
    pub window: i64,
    pub limit: usize,
}

/// Storage of clusters for placement.
pub trait EventIndex: DocFreqs {
    /// Counts one more story with these keys (each once) in the document frequencies.
    fn count_document(&mut self, keys: &mut dyn Iterator<Item = u64>);
    /// Clusters within the window sharing rare keys or a band key with the story, best first.
    fn candidates(&self, query: &CandidateQuery<'_>) -> Vec<Cow<'_, ClusterSummary>>;
    /// A new, empty cluster's id.
    fn new_cluster_id(&mut self) -> ClusterId;
    /// A cluster's summary, when the index has it.
    fn summary(&self, id: ClusterId) -> Option<ClusterSummary>;
    /// Stores a cluster's summary after a member (dated `at`) joined, and indexes its keys.
    fn save(
        &mut self,
        summary: ClusterSummary,
        at: Option<i64>,
        keys: &[(u64, f32)],
        band_keys: &[i64],
    );
}

/// Entries read from the newest end of one posting list.
const POSTING_SCAN: usize = 64;

/// Document frequencies in a fixed amount of memory: a count-min sketch (two rows of
/// [`DF_SLOTS`] counters, the smaller count wins), so that a desk that has run for years holds
/// the same few megabytes as on its first day. Over-counts are rare and only make a key look a
/// little more common than it is, which errs towards not merging.
#[derive(Clone)]
pub struct DocFreqTable {
    documents: u64,
    rows: Vec<u32>,
}

/// Counters per sketch row.
pub const DF_SLOTS: usize = 1 << 19;

impl std::fmt::Debug for DocFreqTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocFreqTable")
            .field("documents", &self.documents)
            .finish_non_exhaustive()
    }
}

impl Default for DocFreqTable {
    fn default() -> Self {
        DocFreqTable {
            documents: 0,
            rows: vec![0; 2 * DF_SLOTS],
        }
    }
}

impl DocFreqTable {
    fn slots(key: u64) -> [usize; 2] {
        let mask = DF_SLOTS as u64 - 1;
        let a = (key & mask) as usize;
        let b = ((key >> 32).wrapping_mul(0x9E37_79B9) & mask) as usize;
        [a, DF_SLOTS + b]
    }

    /// Counts one more story with these keys (each once).
    pub fn count_document(&mut self, keys: &mut dyn Iterator<Item = u64>) {
        self.documents += 1;
        for k in keys {
            for s in Self::slots(k) {
                self.rows[s] = self.rows[s].saturating_add(1);
            }
        }
    }
}

impl DocFreqs for DocFreqTable {
    fn documents(&self) -> u64 {
        self.documents
    }

    fn doc_freq(&self, key: u64) -> u64 {
        let [a, b] = Self::slots(key);
        u64::from(self.rows[a].min(self.rows[b]))
    }
}

/// All in memory: the offline command, tests and benches.
#[derive(Debug, Default)]
pub struct MemoryIndex {
    df: DocFreqTable,
    postings: FxHashMap<u64, Vec<Posting>>,
    bands: FxHashMap<i64, Vec<Posting>>,
    clusters: FxHashMap<ClusterId, ClusterSummary>,
    next_id: ClusterId,
}

impl MemoryIndex {
    pub fn new() -> MemoryIndex {
        MemoryIndex::default()
    }

    pub fn cluster(&self, id: ClusterId) -> Option<&ClusterSummary> {
        self.clusters.get(&id)
    }
}

impl DocFreqs for MemoryIndex {
    fn documents(&self) -> u64 {
        self.df.documents()
    }

    fn doc_freq(&self, key: u64) -> u64 {
        self.df.doc_freq(key)
    }
}

/// A cluster in a posting list, with the date of the member that put it there (`i64::MIN`: none).
#[derive(Debug, Clone, Copy)]
struct Posting {
    cluster: ClusterId,
    at: i64,
}

impl Posting {
    /// Could the cluster be in the window? Only a cheap first cut: [`ClusterSummary::within`] decides.
    fn near(&self, at: Option<i64>, window: i64) -> bool {
        match at {
            Some(t) if self.at != i64::MIN => (t - self.at).abs() <= window,
            _ => true,
        }
    }
}

fn push_posting(list: &mut Vec<Posting>, cluster: ClusterId, at: Option<i64>) {
    let at = at.unwrap_or(i64::MIN);
    // Lists are in order of the latest addition; a cluster just added stays put.
    match list.last_mut() {
        Some(last) if last.cluster == cluster => last.at = last.at.max(at),
        _ => list.push(Posting { cluster, at }),
    }
}

impl EventIndex for MemoryIndex {
    fn count_document(&mut self, keys: &mut dyn Iterator<Item = u64>) {
        self.df.count_document(keys);
    }

    fn candidates(&self, query: &CandidateQuery<'_>) -> Vec<Cow<'_, ClusterSummary>> {
        let mut score: FxHashMap<ClusterId, f32> = FxHashMap::default();
        for (key, idf) in query.keys {
            if let Some(list) = self.postings.get(key) {
                for p in list.iter().rev().take(POSTING_SCAN) {
                    if p.near(query.published, query.window) {
                        *score.entry(p.cluster).or_default() += idf;
                    }
                }
            }
        }
        for band in query.band_keys {
            if let Some(list) = self.bands.get(band) {
                for p in list.iter().rev().take(POSTING_SCAN) {
                    if p.near(query.published, query.window) {
                        // A shared band is a likely copy: always look at it.
                        *score.entry(p.cluster).or_default() += 1000.0;
                    }
                }
            }
        }
        let mut ranked: Vec<(ClusterId, f32)> = score
            .into_iter()
            .filter(|(id, _)| {
                self.clusters
                    .get(id)
                    .is_some_and(|c| c.within(query.published, query.window))
            })
            .collect();
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
            .into_iter()
            .take(query.limit)
            .filter_map(|(id, _)| self.clusters.get(&id).map(Cow::Borrowed))
            .collect()
    }

    fn new_cluster_id(&mut self) -> ClusterId {
        self.next_id += 1;
        self.next_id
    }

    fn summary(&self, id: ClusterId) -> Option<ClusterSummary> {
        self.clusters.get(&id).cloned()
    }

    fn save(
        &mut self,
        summary: ClusterSummary,
        at: Option<i64>,
        keys: &[(u64, f32)],
        band_keys: &[i64],
    ) {
        let id = summary.id;
        for (k, _) in keys {
            push_posting(self.postings.entry(*k).or_default(), id, at);
        }
        for b in band_keys {
            push_posting(self.bands.entry(*b).or_default(), id, at);
        }
        // Ids given from outside (the store's) must never be handed out again here.
        self.next_id = self.next_id.max(id);
        self.clusters.insert(id, summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> ClusterSummary {
        let mut s = ClusterSummary::new(7);
        s.members = 3;
        s.first = Some(1_700_000_000);
        s.last = None;
        s.centroid[0] = vec![(1, 0.5), (u64::MAX, -0.25)];
        s.centroid[3] = vec![(42, 1.0)];
        s.signatures = vec![vec![1, 2, 3], vec![]];
        s.sources = vec![9, 11];
        s
    }

    #[test]
    fn a_summary_reads_back_as_it_was_written() {
        let s = summary();
        assert_eq!(ClusterSummary::from_bytes(7, &s.to_bytes()), Ok(s));
    }

    #[test]
    fn truncated_or_padded_summaries_are_refused_not_misread() {
        let bytes = summary().to_bytes();
        for cut in 0..bytes.len() {
            assert_eq!(
                ClusterSummary::from_bytes(7, &bytes[..cut]),
                Err(BadSummary),
                "cut at {cut}"
            );
        }
        let mut padded = bytes.clone();
        padded.push(0);
        assert_eq!(ClusterSummary::from_bytes(7, &padded), Err(BadSummary));
        // A huge count with nothing behind it.
        let mut huge = vec![SUMMARY_FORMAT];
        huge.extend_from_slice(&[0; 4 + 16]);
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(ClusterSummary::from_bytes(7, &huge), Err(BadSummary));
    }

    #[test]
    fn the_sketch_counts_each_key_once_per_story_and_keeps_keys_apart() {
        let mut df = DocFreqTable::default();
        for i in 0..1000u64 {
            df.count_document(&mut [i, 5_000_000].into_iter());
        }
        assert_eq!(df.documents(), 1000);
        assert_eq!(df.doc_freq(5_000_000), 1000);
        assert_eq!(df.doc_freq(17), 1);
        assert_eq!(df.doc_freq(123_456_789), 0);
    }
}
