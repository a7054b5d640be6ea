//! Content ids, sharding parameters and the manifest that describes stored content.

use codec::{Decode, DecodeLimit, Encode};

use crate::{
    merkle::{self, Layout},
    DdsError, Hash,
};

/// The default chunk size: 1 MiB.
pub const DEFAULT_CHUNK_SIZE: u32 = 1 << 20;
/// The largest chunk a manifest may declare (a chunk is held in memory while it is coded).
pub const MAX_CHUNK_SIZE: u32 = 16 << 20;
/// The smallest chunk a manifest may declare.
pub const MIN_CHUNK_SIZE: u32 = 4096;
/// The largest k + m (shards per chunk).
pub const MAX_SHARDS_PER_CHUNK: u8 = 32;
/// The most shards one content may have: bounds the manifest (32 bytes a shard, 16 MiB).
pub const MAX_SHARD_COUNT: u32 = 1 << 19;
/// The largest encoded manifest accepted from outside.
pub const MAX_MANIFEST_BYTES: usize = (MAX_SHARD_COUNT as usize) * 32 + 1024;

/// A content id: 32 bytes, written `0x` followed by 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Cid(pub Hash);

impl core::fmt::Display for Cid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl core::fmt::Debug for Cid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

impl core::str::FromStr for Cid {
    type Err = DdsError;

    /// Parses exactly `0x` + 64 hex digits (either case); anything else is malformed.
    fn from_str(s: &str) -> Result<Self, DdsError> {
        let malformed = || DdsError::MalformedCid(s.chars().take(80).collect());
        let digits = s.strip_prefix("0x").ok_or_else(malformed)?;
        if digits.len() != 64 {
            return Err(malformed());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(digits, &mut out).map_err(|_| malformed())?;
        Ok(Cid(out))
    }
}

/// How content is cut and coded: chunk size, k data shards and m parity shards per chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Params {
    /// Bytes per chunk (the last chunk may be shorter).
    pub chunk_size: u32,
    /// Data shards per chunk: any k of the k + m shards rebuild the chunk.
    pub k: u8,
    /// Parity shards per chunk.
    pub m: u8,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            chunk_size: DEFAULT_CHUNK_SIZE,
            k: 4,
            m: 2,
        }
    }
}

impl Params {
    /// Checks the bounds: k ≥ 1, m ≥ 1, k + m ≤ 32, chunk size within limits.
    pub fn validate(&self) -> Result<(), DdsError> {
        if self.k == 0 || self.m == 0 {
            return Err(DdsError::InvalidParams(
                "k and m must both be at least 1".into(),
            ));
        }
        if u16::from(self.k) + u16::from(self.m) > u16::from(MAX_SHARDS_PER_CHUNK) {
            return Err(DdsError::InvalidParams(format!(
                "k + m = {} exceeds {MAX_SHARDS_PER_CHUNK}",
                u16::from(self.k) + u16::from(self.m)
            )));
        }
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&self.chunk_size) {
            return Err(DdsError::InvalidParams(format!(
                "chunk size {} outside {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE}",
                self.chunk_size
            )));
        }
        Ok(())
    }

    /// Shards per chunk (k + m).
    pub fn shards_per_chunk(&self) -> usize {
        usize::from(self.k) + usize::from(self.m)
    }

    /// The number of chunks of content of `size` bytes.
    pub fn chunk_count(&self, size: u64) -> u64 {
        size.div_ceil(u64::from(self.chunk_size))
    }
}

/// What the content id commits to besides the root: sizes and parameters (SCALE encoded in
/// the cid, so its field order and widths are protocol).
pub use crate::merkle::ManifestHeader as Header;

/// Version 1 of the manifest on the wire and on disk.
#[derive(Encode, Decode)]
struct ManifestV1 {
    header: Header,
    segment_roots: Vec<Hash>,
}

/// The manifest as encoded; the version byte lets later formats coexist.
#[derive(Encode, Decode)]
enum Versioned {
    #[codec(index = 1)]
    V1(ManifestV1),
}

/// The description of stored content: the header and every shard's segment root (the
/// content tree's leaves are derived from them). Only consistent manifests exist: every
/// constructor checks the parameters, the size and the number of roots.
///
/// The content root and the cid are computed once, when the manifest is built: a content
/// tree over thousands of shards is thousands of hashes, and a get asks for the cid of
/// every chunk. The roots are shared between clones (a get hands the manifest to every
/// chunk's fetch; a copy each would make a get quadratic in the content's size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    header: Header,
    layout: Layout,
    segment_roots: std::sync::Arc<[Hash]>,
    root: Hash,
    cid: Cid,
}

impl Manifest {
    /// Builds and checks a manifest from its parts.
    pub fn new(header: Header, segment_roots: Vec<Hash>) -> Result<Self, DdsError> {
        let layout = Layout::from_header(&header)
            .map_err(|e| DdsError::MalformedManifest(format!("impossible layout: {e:?}")))?;
        if header.shard_count > MAX_SHARD_COUNT {
            return Err(DdsError::MalformedManifest(format!(
                "{} shards exceed the limit of {MAX_SHARD_COUNT}",
                header.shard_count
            )));
        }
        if segment_roots.len() as u64 != u64::from(header.shard_count) {
            return Err(DdsError::MalformedManifest(
                "root count differs from shard count".into(),
            ));
        }
        // Not empty: the layout has at least one shard, and the count matched.
        let root = merkle::content_root(&segment_roots).unwrap_or([0u8; 32]);
        Ok(Manifest {
            cid: Cid(merkle::cid(&header, &root)),
            header,
            layout,
            segment_roots: segment_roots.into(),
            root,
        })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Where every chunk, shard and segment lies.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The parameters the content was coded with.
    pub fn params(&self) -> Params {
        Params {
            chunk_size: self.header.chunk_size,
            k: self.header.k,
            m: self.header.m,
        }
    }

    /// The shards' segment roots, in shard order.
    pub fn segment_roots(&self) -> &[Hash] {
        &self.segment_roots
    }

    /// The segment root of shard `shard` (0..k+m) of chunk `chunk`.
    pub fn segment_root(&self, chunk: u32, shard: u32) -> Option<&Hash> {
        let idx = chunk
            .checked_mul(self.layout.shards_per_chunk())?
            .checked_add(shard)?;
        self.segment_roots.get(usize::try_from(idx).ok()?)
    }

    /// The content tree's root (what a storage deal commits to).
    pub fn root(&self) -> Hash {
        self.root
    }

    /// The content id.
    pub fn cid(&self) -> Cid {
        self.cid
    }

    /// The SCALE encoding (version byte first).
    pub fn encode(&self) -> Vec<u8> {
        Versioned::V1(ManifestV1 {
            header: self.header,
            segment_roots: self.segment_roots.to_vec(),
        })
        .encode()
    }

    /// Decodes a manifest received from outside: bounded in size and depth, checked, and
    /// required to hash to `expected` if given.
    pub fn decode_checked(bytes: &[u8], expected: Option<&Cid>) -> Result<Self, DdsError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(DdsError::MalformedManifest(format!(
                "{} bytes is too long",
                bytes.len()
            )));
        }
        let Versioned::V1(v1) = Versioned::decode_all_with_depth_limit(4, &mut &bytes[..])
            .map_err(|e| DdsError::MalformedManifest(e.to_string()))?;
        let m = Manifest::new(v1.header, v1.segment_roots)?;
        if let Some(cid) = expected {
            if m.cid() != *cid {
                return Err(DdsError::MalformedManifest(
                    "manifest does not hash to the cid".into(),
                ));
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cid_text_form_round_trips_and_rejects_malformed() {
        let cid = Cid([0xab; 32]);
        let s = cid.to_string();
        assert_eq!(s.len(), 66);
        assert!(s.starts_with("0xabab"));
        assert_eq!(s.parse::<Cid>().unwrap(), cid);
        assert_eq!(
            s.to_uppercase()
                .replacen("0X", "0x", 1)
                .parse::<Cid>()
                .unwrap(),
            cid
        );
        for bad in [
            "",
            "0x",
            "abab",
            &s[2..],
            &s[..65],
            &format!("{s}00"),
            &s.replace('a', "g"),
            "0xé",
        ] {
            assert!(
                matches!(bad.parse::<Cid>(), Err(DdsError::MalformedCid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn params_bounds_are_enforced() {
        assert!(Params::default().validate().is_ok());
        assert!(Params {
            k: 10,
            m: 4,
            ..Default::default()
        }
        .validate()
        .is_ok());
        for p in [
            Params {
                k: 0,
                ..Default::default()
            },
            Params {
                m: 0,
                ..Default::default()
            },
            Params {
                k: 30,
                m: 3,
                ..Default::default()
            },
            Params {
                chunk_size: 100,
                ..Default::default()
            },
            Params {
                chunk_size: MAX_CHUNK_SIZE + 1,
                ..Default::default()
            },
        ] {
            assert!(
                matches!(p.validate(), Err(DdsError::InvalidParams(_))),
                "{p:?}"
            );
        }
    }

    #[test]
    fn manifest_round_trips_and_bad_ones_are_rejected() {
        let h = Header {
            size: 5000,
            chunk_size: 4096,
            k: 2,
            m: 1,
            shard_count: 6,
        };
        let roots: Vec<Hash> = (0..6u8).map(|i| [i; 32]).collect();
        let m = Manifest::new(h, roots.clone()).unwrap();
        // The root and cid computed at construction are the shared definitions'.
        let root = merkle::content_root(&roots).unwrap();
        assert_eq!(m.root(), root);
        assert_eq!(m.cid(), Cid(merkle::cid(&h, &root)));
        let bytes = m.encode();
        assert_eq!(bytes[0], 1, "version byte");
        assert_eq!(Manifest::decode_checked(&bytes, Some(&m.cid())).unwrap(), m);
        assert!(Manifest::decode_checked(&bytes, Some(&Cid([0; 32]))).is_err());
        assert!(Manifest::decode_checked(&bytes[..bytes.len() - 1], None).is_err());
        let mut unknown_version = bytes.clone();
        unknown_version[0] = 9;
        assert!(Manifest::decode_checked(&unknown_version, None).is_err());
        assert!(Manifest::new(
            Header {
                shard_count: 5,
                ..h
            },
            vec![[7u8; 32]; 5]
        )
        .is_err());
        assert!(Manifest::new(h, vec![[7u8; 32]; 5]).is_err());
        assert!(Manifest::new(
            Header {
                size: 0,
                shard_count: 0,
                ..h
            },
            vec![]
        )
        .is_err());
        assert!(Manifest::decode_checked(&vec![0u8; MAX_MANIFEST_BYTES + 1], None).is_err());
    }
}
