//! Content addressing: the segment trees, the content tree and the content id.
//!
//! The definitions live in `echonet-dds-primitives`, shared byte for byte with pallet-dds,
//! which verifies storage proofs with the same code. In short:
//!
//! - a shard is split into 4 KiB segments; a segment leaf is the segment hashed in blake3's
//!   derive-key mode (context `SEGMENT_CONTEXT`); the shard's *segment root* is the root of
//!   the tree over them;
//! - inner nodes are `blake3("echonet-dds-node" ‖ left ‖ right)`, an odd last node is
//!   promoted unchanged;
//! - the content tree's leaf of a shard is `blake3("echonet-dds-leaf" ‖ segment root)`, in
//!   shard order (chunk 0 shard 0..k+m−1, chunk 1 …);
//! - `cid = blake3("echonet-dds-cid" ‖ SCALE(header) ‖ content root)`.
//!
//! This node keeps a shard's segment root as its name: the store is addressed by it and the
//! manifest lists them.

pub use echonet_dds_primitives::{
    cid, cid_from_text, cid_to_text, content_path, content_root, merkle_path, merkle_root,
    root_from_path, segment_proof, segment_root, verify_segment, Layout, LayoutError,
    ManifestHeader, ProofError, MAX_PATH_LEN, SEGMENT_SIZE,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The node's shards answer challenges that the pallet's check accepts: proofs built
    /// from a put's segment roots verify, and a flipped byte does not.
    #[test]
    fn proofs_from_put_shards_verify_with_the_shared_check() {
        let params = crate::Params {
            chunk_size: 3 * SEGMENT_SIZE,
            k: 2,
            m: 1,
        };
        let data: Vec<u8> = (0..(2 * 3 * SEGMENT_SIZE as usize + 100))
            .map(|i| i as u8)
            .collect();
        let mut shards: Vec<Vec<u8>> = Vec::new();
        let manifest = crate::pipeline::encode_stream(&data[..], params, u64::MAX, |c| {
            shards.extend(c.shards.iter().cloned());
            Ok(())
        })
        .unwrap();
        let header = *manifest.header();
        let layout = Layout::from_header(&header).unwrap();
        let root = manifest.root();
        for (i, shard) in shards.iter().enumerate() {
            let i = i as u32;
            for seg in 0..layout.segment_count(i).unwrap() {
                let (bytes, seg_path) = segment_proof(shard, seg).unwrap();
                let shard_path = content_path(manifest.segment_roots(), i).unwrap();
                assert_eq!(
                    verify_segment(&layout, &root, i, seg, &bytes, &seg_path, &shard_path),
                    Ok(())
                );
                let mut bad = bytes.clone();
                bad[0] ^= 1;
                assert!(
                    verify_segment(&layout, &root, i, seg, &bad, &seg_path, &shard_path).is_err()
                );
            }
        }
    }
}
