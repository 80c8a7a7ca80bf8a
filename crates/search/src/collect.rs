//! The one collector every search runs through: visibility and date filters read from fast fields,
//! a sort key (relevance with a mild recency boost, or publication time), keyset pagination after
//! a cursor, and a time budget after which matches are counted but no longer scored.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Instant;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{BitSet, DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::Sort;

/// Relevance is multiplied by `1 + RECENCY_WEIGHT * 0.5^(age / RECENCY_HALF_LIFE)`: a story from
/// today gains 15% over one from months ago, enough to order near-ties, not to bury a better match.
const RECENCY_WEIGHT: f64 = 0.15;
const RECENCY_HALF_LIFE_DAYS: f64 = 30.0;
const MICROS_PER_DAY: f64 = 86_400e6;
/// How often (in matched documents) the clock is read.
const CLOCK_EVERY: u32 = 512;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Position {
    pub key: f64,
    pub id: u64,
}

impl Position {
    fn cmp(&self, other: &Position) -> Ordering {
        self.key
            .total_cmp(&other.key)
            .then_with(|| self.id.cmp(&other.id))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct PageSpec {
    pub sort: Sort,
    pub limit: usize,
    /// Only items strictly after (below) this position.
    pub after: Option<Position>,
    /// The reference time for recency, in microseconds.
    pub now_micros: i64,
    /// Readers' visibility: not a draft and published at or before this instant.
    pub visible_at_micros: Option<i64>,
    pub from_micros: Option<i64>,
    pub to_micros: Option<i64>,
    pub deadline: Instant,
    /// Documents never to return, per segment (excluded words, and the exact tier's matches when
    /// collecting the relaxed tier). Kept out of the query itself: tantivy 0.27 mis-seeks phrase
    /// scorers under an exclusion.
    pub exclude: Option<Arc<Matches>>,
}

/// The documents a query matches, one bit set per segment.
#[derive(Debug, Default)]
pub(crate) struct Matches {
    pub segments: Vec<Option<BitSet>>,
}

impl Matches {
    fn contains(&self, segment: SegmentOrdinal, doc: DocId) -> bool {
        self.segments
            .get(segment as usize)
            .and_then(|s| s.as_ref())
            .is_some_and(|b| b.contains(doc))
    }

    pub fn union(a: &Matches, b: &Matches) -> Matches {
        let n = a.segments.len().max(b.segments.len());
        let segments = (0..n)
            .map(|i| {
                let (x, y) = (
                    a.segments.get(i).and_then(|s| s.as_ref()),
                    b.segments.get(i).and_then(|s| s.as_ref()),
                );
                match (x, y) {
                    (Some(x), Some(y)) => {
                        let mut out = x.clone();
                        for d in 0..y.max_value() {
                            if y.contains(d) {
                                out.insert(d);
                            }
                        }
                        Some(out)
                    }
                    (Some(x), None) | (None, Some(x)) => Some(x.clone()),
                    (None, None) => None,
                }
            })
            .collect();
        Matches { segments }
    }
}

/// Collects [`Matches`] without scoring.
pub(crate) struct MatchCollector;

pub(crate) struct MatchSegment {
    segment: SegmentOrdinal,
    bits: BitSet,
}

impl Collector for MatchCollector {
    type Fruit = Matches;
    type Child = MatchSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<MatchSegment> {
        Ok(MatchSegment {
            segment,
            bits: BitSet::with_max_value(reader.max_doc()),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(SegmentOrdinal, BitSet)>) -> tantivy::Result<Matches> {
        let mut m = Matches::default();
        for (seg, bits) in fruits {
            let i = seg as usize;
            if m.segments.len() <= i {
                m.segments.resize_with(i + 1, || None);
            }
            m.segments[i] = Some(bits);
        }
        Ok(m)
    }
}

impl SegmentCollector for MatchSegment {
    type Fruit = (SegmentOrdinal, BitSet);

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.bits.insert(doc);
    }

    fn harvest(self) -> Self::Fruit {
        (self.segment, self.bits)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub pos: Position,
    pub score: Score,
    pub addr: DocAddress,
}

#[derive(Debug, Default)]
pub(crate) struct Fruit {
    /// Best first.
    pub found: Vec<Found>,
    pub total: usize,
    pub partial: bool,
}

struct HeapItem(Found);

impl PartialEq for HeapItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    // Reversed, so the heap's top is the worst kept item.
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.pos.cmp(&self.0.pos)
    }
}

pub(crate) struct PageCollector {
    pub spec: PageSpec,
}

pub(crate) struct PageSegment {
    spec: PageSpec,
    segment: SegmentOrdinal,
    ids: Column<u64>,
    status: Column<u64>,
    published: Column<tantivy::DateTime>,
    heap: BinaryHeap<HeapItem>,
    total: usize,
    since_clock: u32,
    out_of_time: bool,
}

impl Collector for PageCollector {
    type Fruit = Fruit;
    type Child = PageSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<PageSegment> {
        let ff = reader.fast_fields();
        Ok(PageSegment {
            spec: self.spec.clone(),
            segment,
            ids: ff.u64("id")?,
            status: ff.u64("status")?,
            published: ff.date("published")?,
            heap: BinaryHeap::with_capacity(self.spec.limit + 1),
            total: 0,
            since_clock: 0,
            out_of_time: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.spec.sort == Sort::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<Fruit>) -> tantivy::Result<Fruit> {
        let mut all = Fruit::default();
        for f in fruits {
            all.total += f.total;
            all.partial |= f.partial;
            all.found.extend(f.found);
        }
        all.found.sort_by(|a, b| b.pos.cmp(&a.pos));
        all.found.truncate(self.spec.limit);
        Ok(all)
    }
}

impl SegmentCollector for PageSegment {
    type Fruit = Fruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let spec = &self.spec;
        if spec
            .exclude
            .as_ref()
            .is_some_and(|m| m.contains(self.segment, doc))
        {
            return;
        }
        let published = self.published.first(doc).map(|d| d.into_timestamp_micros());
        if let Some(at) = spec.visible_at_micros {
            let draft = self.status.first(doc).unwrap_or(0) == 0;
            if draft || published.is_none_or(|p| p > at) {
                return;
            }
        }
        if spec.from_micros.is_some() || spec.to_micros.is_some() {
            let Some(p) = published else { return };
            if spec.from_micros.is_some_and(|f| p < f) || spec.to_micros.is_some_and(|t| p > t) {
                return;
            }
        }
        self.total += 1;
        if self.out_of_time {
            return;
        }
        self.since_clock += 1;
        if self.since_clock >= CLOCK_EVERY {
            self.since_clock = 0;
            if Instant::now() > spec.deadline {
                self.out_of_time = true;
                return;
            }
        }
        let key = match spec.sort {
            Sort::Newest => published.unwrap_or(i64::MIN) as f64,
            Sort::Relevance => {
                let age_days = published
                    .map(|p| ((spec.now_micros - p) as f64 / MICROS_PER_DAY).max(0.0))
                    .unwrap_or(f64::INFINITY);
                let boost = 1.0 + RECENCY_WEIGHT * 0.5f64.powf(age_days / RECENCY_HALF_LIFE_DAYS);
                // Rounded to f32 so the key a cursor carries compares equal to the one recomputed.
                (f64::from(score) * boost) as f32 as f64
            }
        };
        let pos = Position {
            key,
            id: self.ids.first(doc).unwrap_or(0),
        };
        if spec.after.is_some_and(|a| pos.cmp(&a) != Ordering::Less) {
            return;
        }
        if self.heap.len() >= spec.limit {
            match self.heap.peek() {
                Some(worst) if pos.cmp(&worst.0.pos) == Ordering::Greater => {
                    self.heap.pop();
                }
                _ => return,
            }
        }
        self.heap.push(HeapItem(Found {
            pos,
            score,
            addr: DocAddress::new(self.segment, doc),
        }));
    }

    fn harvest(self) -> Fruit {
        Fruit {
            found: self.heap.into_iter().map(|h| h.0).collect(),
            total: self.total,
            partial: self.out_of_time,
        }
    }
}
