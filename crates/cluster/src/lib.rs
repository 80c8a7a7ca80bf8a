//! Story clustering: which stories are the same story.
//!
//! Two tests, one placement. Copies of one wire text are found by MinHash over word 3-shingles
//! ([`fingerprint`]). Reports of one event written independently by different outlets share
//! little wording but the same names, places, numbers, rare words and time; [`features`] reduces
//! a story to those signals, [`index`] finds the candidate clusters of the story's window through
//! an inverted index of rare keys, and [`placement`] decides online, story by story, against each
//! candidate's centroid. [`offline`] is the `newsdesk cluster` command's core. No I/O here.

pub mod features;
pub mod fingerprint;
pub mod index;
pub mod offline;
pub mod placement;
pub mod text;

pub use features::{DocFreqs, StoryText};
pub use index::{BadSummary, ClusterId, ClusterSummary, DocFreqTable, EventIndex, MemoryIndex};
pub use placement::{Clusterer, Decision, Placement, Proposal, Settings};
