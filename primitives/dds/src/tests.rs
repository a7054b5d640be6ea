use super::*;
use alloc::vec;

const MIB: u32 = 1024 * 1024;

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// Deterministic pseudo-random bytes (a tiny LCG), so that tests need no rand crate.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

/// Shards of the right lengths for `layout` (their content does not need to be a real
/// erasure code for the tree checks).
fn shards_of(layout: &Layout) -> Vec<Vec<u8>> {
    (0..layout.shard_count())
        .map(|s| bytes(layout.shard_len(s).unwrap() as usize, u64::from(s)))
        .collect()
}

#[test]
fn hashes_are_blake3_of_the_documented_concatenations() {
    let seg = b"segment bytes";
    assert_eq!(
        segment_leaf(seg),
        blake3::derive_key("echonet-dds 2026-12-04 segment leaf", seg)
    );
    let (l, r) = ([1u8; 32], [2u8; 32]);
    assert_eq!(
        node(&l, &r),
        *blake3::hash(&concat(&[b"echonet-dds-node", &l, &r])).as_bytes()
    );
    assert_eq!(
        shard_leaf(&l),
        *blake3::hash(&concat(&[b"echonet-dds-leaf", &l])).as_bytes()
    );
    let header = ManifestHeader {
        size: 5,
        chunk_size: 1 << 20,
        k: 4,
        m: 2,
        shard_count: 6,
    };
    // SCALE of the header: u64 LE, u32 LE, u8, u8, u32 LE.
    let scale = concat(&[
        &5u64.to_le_bytes(),
        &(1u32 << 20).to_le_bytes(),
        &[4, 2],
        &6u32.to_le_bytes(),
    ]);
    assert_eq!(header.encode(), scale);
    assert_eq!(
        cid(&header, &r),
        *blake3::hash(&concat(&[b"echonet-dds-cid", &scale, &r])).as_bytes()
    );
    let key = placement_key(&l, &r, 7);
    assert_eq!(
        key,
        *blake3::hash(&concat(&[
            b"echonet-dds-place",
            &l,
            &r,
            &7u32.to_le_bytes()
        ]))
        .as_bytes()
    );
}

#[test]
fn odd_nodes_are_promoted_unchanged() {
    let leaves: Vec<Hash> = (0..3u8).map(|i| [i; 32]).collect();
    let expected = node(&node(&leaves[0], &leaves[1]), &leaves[2]);
    assert_eq!(merkle_root(&leaves), Some(expected));
    assert_eq!(merkle_root(&leaves[..1]), Some(leaves[0]));
    assert_eq!(merkle_root(&[]), None);
}

#[test]
fn every_path_verifies_for_every_tree_size_up_to_40() {
    for count in 1..=40u32 {
        let leaves: Vec<Hash> = (0..count).map(|i| segment_leaf(&i.to_le_bytes())).collect();
        let root = merkle_root(&leaves).unwrap();
        for index in 0..count {
            let path = merkle_path(&leaves, index).unwrap();
            assert_eq!(
                path.len(),
                path_len(index, count).unwrap(),
                "count {count} index {index}"
            );
            assert_eq!(
                root_from_path(&leaves[index as usize], index, count, &path),
                Some(root)
            );
            // The same path at another index gives another root or is refused.
            let other = (index + 1) % count;
            if other != index {
                assert_ne!(
                    root_from_path(&leaves[index as usize], other, count, &path),
                    Some(root)
                );
            }
        }
        assert_eq!(merkle_path(&leaves, count), None);
        assert_eq!(path_len(count, count), None);
    }
}

#[test]
fn a_path_of_the_wrong_length_is_refused() {
    let leaves: Vec<Hash> = (0..4u8).map(|i| [i; 32]).collect();
    let mut path = merkle_path(&leaves, 1).unwrap();
    path.push([9; 32]);
    assert_eq!(root_from_path(&leaves[1], 1, 4, &path), None);
    path.truncate(1);
    assert_eq!(root_from_path(&leaves[1], 1, 4, &path), None);
    // A path longer than any tree allows is refused before any hashing.
    assert_eq!(
        root_from_path(&leaves[1], 1, 4, &vec![[0; 32]; MAX_PATH_LEN + 1]),
        None
    );
}

#[test]
fn an_inner_node_cannot_pose_as_a_leaf() {
    let leaves: Vec<Hash> = (0..4u8).map(|i| [i; 32]).collect();
    let root = merkle_root(&leaves).unwrap();
    let inner = node(&leaves[0], &leaves[1]);
    let right = node(&leaves[2], &leaves[3]);
    // One level up the inner node and its sibling give the root, but a leaf of a 4-leaf tree
    // has a path of 2, so the claim is refused.
    assert_eq!(node(&inner, &right), root);
    assert_eq!(root_from_path(&inner, 0, 4, &[right]), None);
}

#[test]
fn layout_of_20_mib_with_the_defaults() {
    let layout = Layout::new(20 * u64::from(MIB) + 10, MIB, 4, 2).unwrap();
    assert_eq!(layout.chunk_count(), 21);
    assert_eq!(layout.shard_count(), 126);
    assert_eq!(layout.shard_len(0), Some(MIB / 4));
    assert_eq!(layout.segment_count(0), Some(64));
    assert_eq!(layout.segment_len(0, 63), Some(SEGMENT_SIZE));
    // The last chunk has 10 bytes: shards of ceil(10/4) = 3 bytes, one segment each.
    assert_eq!(layout.chunk_len(20), Some(10));
    assert_eq!(layout.shard_position(125), Some((20, 5)));
    assert_eq!(layout.shard_len(125), Some(3));
    assert_eq!(layout.segment_count(125), Some(1));
    assert_eq!(layout.segment_len(125, 0), Some(3));
    assert_eq!(layout.segment_len(125, 1), None);
    assert_eq!(layout.shard_len(126), None);
    assert_eq!(Layout::from_header(&layout.header()), Ok(layout));
}

#[test]
fn impossible_layouts_are_refused() {
    assert_eq!(Layout::new(0, MIB, 4, 2), Err(LayoutError::EmptyContent));
    assert_eq!(Layout::new(1, MIB, 0, 2), Err(LayoutError::NoDataShards));
    assert_eq!(Layout::new(1, MIB, 4, 0), Err(LayoutError::NoParityShards));
    assert_eq!(
        Layout::new(1, MIB, 30, 3),
        Err(LayoutError::TooManyShardsPerChunk)
    );
    assert_eq!(Layout::new(1, 0, 4, 2), Err(LayoutError::BadChunkSize));
    assert_eq!(
        Layout::new(1, MAX_CHUNK_SIZE + 1, 4, 2),
        Err(LayoutError::BadChunkSize)
    );
    assert_eq!(
        Layout::new(u64::MAX, 1, 4, 2),
        Err(LayoutError::TooManyShards)
    );
    let mut header = Layout::new(10, 4, 1, 1).unwrap().header();
    header.shard_count += 1;
    assert_eq!(
        Layout::from_header(&header),
        Err(LayoutError::ShardCountMismatch)
    );
}

#[test]
fn every_segment_of_a_small_content_verifies_and_tampering_is_caught() {
    // 3 chunks of 10 000 bytes (the last 5 000), k = 2, m = 1: shards of 5 000 and 2 500
    // bytes, i.e. 2 segments and 1 segment.
    let layout = Layout::new(25_000, 10_000, 2, 1).unwrap();
    let shards = shards_of(&layout);
    let roots: Vec<Hash> = shards.iter().map(|s| segment_root(s)).collect();
    let root = content_root(&roots).unwrap();
    for shard in 0..layout.shard_count() {
        let shard_path = content_path(&roots, shard).unwrap();
        for segment in 0..layout.segment_count(shard).unwrap() {
            let (seg, seg_path) = segment_proof(&shards[shard as usize], segment).unwrap();
            assert_eq!(
                verify_segment(&layout, &root, shard, segment, &seg, &seg_path, &shard_path),
                Ok(())
            );
            let mut flipped = seg.clone();
            flipped[0] ^= 1;
            assert_eq!(
                verify_segment(
                    &layout,
                    &root,
                    shard,
                    segment,
                    &flipped,
                    &seg_path,
                    &shard_path
                ),
                Err(ProofError::RootMismatch)
            );
            assert_eq!(
                verify_segment(
                    &layout,
                    &root,
                    shard,
                    segment,
                    &seg[1..],
                    &seg_path,
                    &shard_path
                ),
                Err(ProofError::BadSegmentLength)
            );
        }
    }
    let (seg, seg_path) = segment_proof(&shards[0], 0).unwrap();
    let shard_path = content_path(&roots, 0).unwrap();
    // Shard 0's answer presented for shard 3 (same length) fails.
    assert_eq!(
        verify_segment(
            &layout,
            &root,
            3,
            0,
            &seg,
            &seg_path,
            &content_path(&roots, 3).unwrap()
        ),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_segment(&layout, &root, 0, 2, &seg, &seg_path, &shard_path),
        Err(ProofError::OutOfRange)
    );
    assert_eq!(
        verify_segment(&layout, &root, 9, 0, &seg, &seg_path, &shard_path),
        Err(ProofError::OutOfRange)
    );
    assert_eq!(
        verify_segment(&layout, &root, 0, 0, &seg, &[], &shard_path),
        Err(ProofError::BadPathLength)
    );
}

#[test]
fn cid_text_round_trips_and_bad_text_is_refused() {
    let id = [0xabu8; 32];
    let text = cid_to_text(&id);
    assert_eq!(text.len(), 66);
    assert!(text.starts_with("0xabab"));
    assert_eq!(cid_from_text(&text), Ok(id));
    assert_eq!(
        cid_from_text(&text.to_uppercase().replacen("0X", "0x", 1)),
        Ok(id)
    );
    assert_eq!(cid_from_text(&text[2..]), Err(CidParseError::MissingPrefix));
    assert_eq!(cid_from_text(&text[..65]), Err(CidParseError::BadLength));
    assert_eq!(
        cid_from_text(&alloc::format!("{text}00")),
        Err(CidParseError::BadLength)
    );
    assert_eq!(
        cid_from_text(&text.replacen('a', "g", 1)),
        Err(CidParseError::BadDigit)
    );
    // A multi-byte character of the right byte length is a bad digit, not a panic.
    let mut odd = String::from("0xé");
    odd.push_str(&"0".repeat(62));
    assert_eq!(cid_from_text(&odd), Err(CidParseError::BadDigit));
}

#[test]
fn xor_distance_orders_like_kademlia() {
    let a = [0u8; 32];
    let mut near = [0u8; 32];
    near[31] = 1;
    let mut far = [0u8; 32];
    far[0] = 1;
    assert!(xor_distance(&a, &near) < xor_distance(&a, &far));
    assert_eq!(xor_distance(&far, &far), [0u8; 32]);
}
