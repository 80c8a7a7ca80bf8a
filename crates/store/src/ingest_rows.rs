//! Row helpers the SQLite and PostgreSQL ingest stores share.

use newsdesk_core::{Id, Slug, StoreError, StoreResult};

pub(crate) fn signature_to_bytes(sig: &[u32]) -> Vec<u8> {
    sig.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub(crate) fn signature_from_bytes(raw: &[u8]) -> Vec<u32> {
    raw.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The slug of a cluster's article: the headline's, made unique by the cluster id.
pub(crate) fn cluster_slug(base: &Slug, cluster_id: Id) -> StoreResult<Slug> {
    let suffix = format!("-{cluster_id}");
    let mut head = base.as_str().to_owned();
    head.truncate(120 - suffix.len());
    let head = head.trim_end_matches('-');
    Slug::parse(&format!("{head}{suffix}")).map_err(|e| StoreError::Corrupt(e.0))
}
