//! # echonet-dds-primitives
//!
//! The content addressing of EchoNet's distributed data store (issue 17), which the node
//! (`echonet-dds`: put, get, repair) and the runtime (`pallet-dds`: deals and
//! proof-of-storage challenges) must agree on byte for byte. It is `no_std` so that the
//! pallet can verify challenge answers with the very code the node used to build them.
//!
//! ## Layout
//!
//! Content of `size` bytes is cut into chunks of `chunk_size` bytes (the last one may be
//! shorter). Each chunk is erasure coded into `k` data and `m` parity shards of
//! `ceil(chunk_len / k)` bytes each (the chunk is zero-padded to `k` whole shards). Shards are
//! numbered in order: chunk 0 shards `0..k+m`, chunk 1 shards `k+m..2(k+m)`, and so on.
//! [`Layout`] computes all of this and rejects impossible parameters.
//!
//! ## Trees
//!
//! All hashes are blake3 (32 bytes), each in its own domain. Segment leaves, which hash
//! almost every byte of content, use blake3's derive-key mode with the context
//! [`SEGMENT_CONTEXT`]: no prefix shifts blake3's 1 KiB chunk boundaries, so a 4 KiB segment
//! is four whole chunks that blake3 hashes side by side with SIMD (about 3.5× faster than a
//! prefixed hash here). The other, short, inputs carry a domain prefix:
//!
//! | what | hash |
//! |---|---|
//! | segment leaf | `blake3::derive_key(SEGMENT_CONTEXT, segment bytes)` |
//! | inner node (both trees) | `blake3("echonet-dds-node" ‖ left ‖ right)` |
//! | content-tree leaf of a shard | `blake3("echonet-dds-leaf" ‖ segment root of the shard)` |
//! | content id | `blake3("echonet-dds-cid" ‖ SCALE(ManifestHeader) ‖ content root)` |
//!
//! - A shard is split into [`SEGMENT_SIZE`] (4 KiB) segments (the last may be shorter). The
//!   segment tree of a shard has one leaf per segment; its root is the shard's
//!   *segment root*.
//! - The content tree has one leaf per shard, in shard order; its root is the *content root*
//!   that a storage deal commits to.
//! - In both trees, a level with an odd number of nodes promotes its last node unchanged to
//!   the next level. A tree of one leaf has that leaf as its root.
//! - A Merkle path lists the siblings from the leaf upwards, skipping the levels where the
//!   node was promoted. Its length is fully determined by the leaf index and leaf count
//!   ([`path_len`]); verifiers insist on it, so no inner node can pose as a leaf.
//!
//! A proof-of-storage challenge `(shard, segment)` is answered with the segment bytes, the
//! segment's path in the shard's segment tree and the shard's path in the content tree;
//! [`verify_segment`] checks both against the content root.
//!
//! ## Text form of a content id
//!
//! `0x` followed by the 64 lowercase hex digits of the 32 bytes ([`cid_to_text`]);
//! [`cid_from_text`] also accepts uppercase digits.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::{string::String, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A blake3 hash: segment leaves, tree nodes, content roots and content ids.
pub type Hash = [u8; 32];

/// Bytes per proof-of-storage segment (the last segment of a shard may be shorter).
pub const SEGMENT_SIZE: u32 = 4096;
/// Most shards (data plus parity) per chunk: `k + m` may not exceed this.
pub const MAX_SHARDS_PER_CHUNK: u32 = 32;
/// Largest chunk size a layout accepts (64 MiB).
pub const MAX_CHUNK_SIZE: u32 = 64 * 1024 * 1024;
/// Longest Merkle path any verifier accepts (a tree of up to 2^32 leaves).
pub const MAX_PATH_LEN: usize = 32;

/// The blake3 derive-key context of segment leaves ("application, date, purpose", as blake3
/// recommends).
pub const SEGMENT_CONTEXT: &str = "echonet-dds 2026-12-04 segment leaf";
/// Domain prefix of an inner node of either tree.
pub const DOMAIN_NODE: &[u8] = b"echonet-dds-node";
/// Domain prefix of a shard's leaf in the content tree.
pub const DOMAIN_LEAF: &[u8] = b"echonet-dds-leaf";
/// Domain prefix of a content id.
pub const DOMAIN_CID: &[u8] = b"echonet-dds-cid";
/// Domain prefix of a placement key.
pub const DOMAIN_PLACE: &[u8] = b"echonet-dds-place";

/// The manifest fields that a content id commits to, SCALE encoded in this field order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct ManifestHeader {
    /// Content size in bytes.
    pub size: u64,
    /// Chunk size in bytes.
    pub chunk_size: u32,
    /// Data shards per chunk.
    pub k: u8,
    /// Parity shards per chunk.
    pub m: u8,
    /// Total number of shards: chunks × (k + m).
    pub shard_count: u32,
}

/// Why a set of layout parameters is impossible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// The content is empty.
    EmptyContent,
    /// `k` is 0.
    NoDataShards,
    /// `m` is 0: content without parity cannot be repaired.
    NoParityShards,
    /// `k + m` exceeds [`MAX_SHARDS_PER_CHUNK`].
    TooManyShardsPerChunk,
    /// The chunk size is 0 or above [`MAX_CHUNK_SIZE`].
    BadChunkSize,
    /// The shard count does not fit in a `u32`.
    TooManyShards,
    /// A manifest header's shard count disagrees with its size and parameters.
    ShardCountMismatch,
}

/// Where every shard and segment of a piece of content lies. Built only from valid
/// parameters, so its accessors cannot overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    size: u64,
    chunk_size: u32,
    k: u8,
    m: u8,
    chunk_count: u32,
    shard_count: u32,
}

impl Layout {
    /// Checks the parameters and computes the layout.
    pub fn new(size: u64, chunk_size: u32, k: u8, m: u8) -> Result<Self, LayoutError> {
        if size == 0 {
            return Err(LayoutError::EmptyContent);
        }
        if k == 0 {
            return Err(LayoutError::NoDataShards);
        }
        if m == 0 {
            return Err(LayoutError::NoParityShards);
        }
        if u32::from(k) + u32::from(m) > MAX_SHARDS_PER_CHUNK {
            return Err(LayoutError::TooManyShardsPerChunk);
        }
        if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
            return Err(LayoutError::BadChunkSize);
        }
        let chunks = size.div_ceil(u64::from(chunk_size));
        let shards = chunks
            .checked_mul(u64::from(k) + u64::from(m))
            .ok_or(LayoutError::TooManyShards)?;
        let shard_count = u32::try_from(shards).map_err(|_| LayoutError::TooManyShards)?;
        // shards fits in u32, so chunks (≤ shards) does too.
        let chunk_count = u32::try_from(chunks).map_err(|_| LayoutError::TooManyShards)?;
        Ok(Self {
            size,
            chunk_size,
            k,
            m,
            chunk_count,
            shard_count,
        })
    }

    /// The layout a manifest header describes; its shard count must match.
    pub fn from_header(header: &ManifestHeader) -> Result<Self, LayoutError> {
        let layout = Self::new(header.size, header.chunk_size, header.k, header.m)?;
        if layout.shard_count != header.shard_count {
            return Err(LayoutError::ShardCountMismatch);
        }
        Ok(layout)
    }

    /// The manifest header of this layout.
    pub fn header(&self) -> ManifestHeader {
        ManifestHeader {
            size: self.size,
            chunk_size: self.chunk_size,
            k: self.k,
            m: self.m,
            shard_count: self.shard_count,
        }
    }

    /// Content size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
    /// Chunk size in bytes.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }
    /// Data shards per chunk.
    pub fn k(&self) -> u8 {
        self.k
    }
    /// Parity shards per chunk.
    pub fn m(&self) -> u8 {
        self.m
    }
    /// Shards per chunk, `k + m`.
    pub fn shards_per_chunk(&self) -> u32 {
        u32::from(self.k) + u32::from(self.m)
    }
    /// Number of chunks.
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }
    /// Number of shards, chunks × (k + m).
    pub fn shard_count(&self) -> u32 {
        self.shard_count
    }

    /// Bytes of content in chunk `chunk` (the last may be short); `None` past the end.
    pub fn chunk_len(&self, chunk: u32) -> Option<u32> {
        if chunk >= self.chunk_count {
            return None;
        }
        let start = u64::from(chunk) * u64::from(self.chunk_size);
        let len = (self.size - start).min(u64::from(self.chunk_size));
        // len ≤ chunk_size, a u32.
        u32::try_from(len).ok()
    }

    /// The chunk a shard belongs to, and its position (0..k+m) in that chunk.
    pub fn shard_position(&self, shard: u32) -> Option<(u32, u32)> {
        if shard >= self.shard_count {
            return None;
        }
        let per = self.shards_per_chunk();
        Some((shard / per, shard % per))
    }

    /// Bytes in shard `shard`: `ceil(chunk_len / k)`.
    pub fn shard_len(&self, shard: u32) -> Option<u32> {
        let (chunk, _) = self.shard_position(shard)?;
        let len = self.chunk_len(chunk)?;
        let k = u32::from(self.k);
        Some(len.div_ceil(k))
    }

    /// Segments in shard `shard` (at least 1).
    pub fn segment_count(&self, shard: u32) -> Option<u32> {
        let len = self.shard_len(shard)?;
        Some(segment_count_of(len))
    }

    /// Bytes in segment `segment` of shard `shard`.
    pub fn segment_len(&self, shard: u32, segment: u32) -> Option<u32> {
        let len = self.shard_len(shard)?;
        if segment >= segment_count_of(len) {
            return None;
        }
        let start = segment * SEGMENT_SIZE;
        Some((len - start).min(SEGMENT_SIZE))
    }
}

/// Segments in a shard of `len` bytes (an empty shard still has one, empty, segment).
pub fn segment_count_of(len: u32) -> u32 {
    len.div_ceil(SEGMENT_SIZE).max(1)
}

/// The leaf hash of one segment.
pub fn segment_leaf(segment: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new_derive_key(SEGMENT_CONTEXT);
    h.update(segment);
    *h.finalize().as_bytes()
}

/// An inner node of either tree.
pub fn node(left: &Hash, right: &Hash) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN_NODE);
    h.update(left);
    h.update(right);
    *h.finalize().as_bytes()
}

/// A shard's leaf in the content tree, from its segment root.
pub fn shard_leaf(segment_root: &Hash) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN_LEAF);
    h.update(segment_root);
    *h.finalize().as_bytes()
}

/// The content id of a manifest header and content root.
pub fn cid(header: &ManifestHeader, content_root: &Hash) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN_CID);
    h.update(&header.encode());
    h.update(content_root);
    *h.finalize().as_bytes()
}

/// The key whose XOR distance to provider ids places shard `shard` of content `cid`.
/// `seed` is the chain's epoch randomness when the chain assigns, or all zeros for a
/// placement that must not depend on the chain (e.g. a DHT lookup).
pub fn placement_key(seed: &Hash, cid: &Hash, shard: u32) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(DOMAIN_PLACE);
    h.update(seed);
    h.update(cid);
    h.update(&shard.to_le_bytes());
    *h.finalize().as_bytes()
}

/// The XOR distance of two 32-byte ids; compare results as big-endian numbers (`Ord` on
/// arrays does exactly that).
pub fn xor_distance(a: &Hash, b: &Hash) -> Hash {
    let mut out = [0u8; 32];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b.iter())) {
        *o = x ^ y;
    }
    out
}

/// The root of a tree over `leaves`, or `None` for no leaves.
pub fn merkle_root(leaves: &[Hash]) -> Option<Hash> {
    if leaves.is_empty() {
        return None;
    }
    let mut level: Vec<Hash> = leaves.to_vec();
    while level.len() > 1 {
        level = next_level(&level);
    }
    level.first().copied()
}

fn next_level(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [l, r] => node(l, r),
            [only] => *only,
            _ => unreachable_empty_chunk(),
        })
        .collect()
}

// `chunks(2)` never yields an empty slice; this keeps the match total without a panic path
// that input could reach.
fn unreachable_empty_chunk() -> Hash {
    [0u8; 32]
}

/// The path of leaf `index` in the tree over `leaves` (siblings bottom-up, promoted levels
/// skipped), or `None` if `index` is out of range.
pub fn merkle_path(leaves: &[Hash], index: u32) -> Option<Vec<Hash>> {
    let mut i = usize::try_from(index).ok()?;
    if i >= leaves.len() {
        return None;
    }
    let mut path = Vec::new();
    let mut level: Vec<Hash> = leaves.to_vec();
    while level.len() > 1 {
        let sibling = i ^ 1;
        if let Some(s) = level.get(sibling) {
            path.push(*s);
        }
        level = next_level(&level);
        i /= 2;
    }
    Some(path)
}

/// How many siblings the path of leaf `index` among `count` leaves has, or `None` if
/// `index ≥ count`.
pub fn path_len(index: u32, count: u32) -> Option<usize> {
    if index >= count {
        return None;
    }
    let (mut i, mut width, mut len) = (index, count, 0usize);
    while width > 1 {
        if i ^ 1 < width {
            len += 1;
        }
        i /= 2;
        width = width / 2 + width % 2;
    }
    Some(len)
}

/// Recomputes the root from leaf `index` of `count` and its path; `None` if the path has the
/// wrong length for that position.
pub fn root_from_path(leaf: &Hash, index: u32, count: u32, path: &[Hash]) -> Option<Hash> {
    if path.len() > MAX_PATH_LEN || path_len(index, count)? != path.len() {
        return None;
    }
    let (mut i, mut width, mut acc) = (index, count, *leaf);
    let mut siblings = path.iter();
    while width > 1 {
        if i ^ 1 < width {
            let s = siblings.next()?;
            acc = if i % 2 == 0 {
                node(&acc, s)
            } else {
                node(s, &acc)
            };
        }
        i /= 2;
        width = width / 2 + width % 2;
    }
    Some(acc)
}

/// The segment leaves of a shard.
pub fn segment_leaves(shard: &[u8]) -> Vec<Hash> {
    if shard.is_empty() {
        return alloc::vec![segment_leaf(&[])];
    }
    shard
        .chunks(SEGMENT_SIZE as usize)
        .map(segment_leaf)
        .collect()
}

/// The segment root of a shard.
pub fn segment_root(shard: &[u8]) -> Hash {
    // segment_leaves is never empty.
    merkle_root(&segment_leaves(shard)).unwrap_or_else(unreachable_empty_chunk)
}

/// The content root over the shards' segment roots, in shard order; `None` for no shards.
pub fn content_root(segment_roots: &[Hash]) -> Option<Hash> {
    let leaves: Vec<Hash> = segment_roots.iter().map(shard_leaf).collect();
    merkle_root(&leaves)
}

/// The path of shard `index` in the content tree over the shards' segment roots.
pub fn content_path(segment_roots: &[Hash], index: u32) -> Option<Vec<Hash>> {
    let leaves: Vec<Hash> = segment_roots.iter().map(shard_leaf).collect();
    merkle_path(&leaves, index)
}

/// The answer to a challenge `(shard, segment)` as the node builds it: the segment's bytes
/// and its path in the shard's segment tree. The content path comes from [`content_path`].
pub fn segment_proof(shard: &[u8], segment: u32) -> Option<(Vec<u8>, Vec<Hash>)> {
    let leaves = segment_leaves(shard);
    let path = merkle_path(&leaves, segment)?;
    let start = usize::try_from(segment)
        .ok()?
        .checked_mul(SEGMENT_SIZE as usize)?;
    let end = start.saturating_add(SEGMENT_SIZE as usize).min(shard.len());
    let bytes = shard
        .get(start..end)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Some((bytes, path))
}

/// Why a challenge answer does not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The shard or segment index is outside the layout.
    OutOfRange,
    /// The segment has the wrong number of bytes.
    BadSegmentLength,
    /// A path has the wrong length for its position.
    BadPathLength,
    /// The recomputed root differs from the committed content root.
    RootMismatch,
}

/// Checks an answer to challenge `(shard, segment)` against `content_root`.
pub fn verify_segment(
    layout: &Layout,
    content_root: &Hash,
    shard: u32,
    segment: u32,
    bytes: &[u8],
    segment_path: &[Hash],
    shard_path: &[Hash],
) -> Result<(), ProofError> {
    let expected_len = layout
        .segment_len(shard, segment)
        .ok_or(ProofError::OutOfRange)?;
    let segments = layout.segment_count(shard).ok_or(ProofError::OutOfRange)?;
    if bytes.len() != expected_len as usize {
        return Err(ProofError::BadSegmentLength);
    }
    let seg_root = root_from_path(&segment_leaf(bytes), segment, segments, segment_path)
        .ok_or(ProofError::BadPathLength)?;
    let root = root_from_path(
        &shard_leaf(&seg_root),
        shard,
        layout.shard_count(),
        shard_path,
    )
    .ok_or(ProofError::BadPathLength)?;
    if &root != content_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// The text form of a content id: `0x` and 64 lowercase hex digits.
pub fn cid_to_text(cid: &Hash) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(66);
    s.push_str("0x");
    for b in cid {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// Why a text content id does not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CidParseError {
    /// It does not start with `0x`.
    MissingPrefix,
    /// It does not have exactly 64 hex digits after the prefix.
    BadLength,
    /// A character is not a hex digit.
    BadDigit,
}

/// Parses the text form of a content id (`0x` and 64 hex digits, either case).
pub fn cid_from_text(text: &str) -> Result<Hash, CidParseError> {
    let digits = text
        .strip_prefix("0x")
        .ok_or(CidParseError::MissingPrefix)?
        .as_bytes();
    if digits.len() != 64 {
        return Err(CidParseError::BadLength);
    }
    fn nibble(c: u8) -> Result<u8, CidParseError> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(CidParseError::BadDigit),
        }
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(digits.chunks(2)) {
        let (hi, lo) = match pair {
            [hi, lo] => (*hi, *lo),
            _ => return Err(CidParseError::BadLength),
        };
        *o = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
