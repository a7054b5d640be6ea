//! Chunk coding: a chunk becomes k data shards (zero-padded to equal length) and m parity
//! shards with Reed-Solomon over GF(2^8); any k of the k + m shards rebuild it.

use reed_solomon_erasure::galois_8::ReedSolomon;

use crate::{manifest::Params, merkle, DdsError, Hash};

/// A coder for one (k, m).
pub struct Coder {
    rs: ReedSolomon,
    k: usize,
    m: usize,
}

impl Coder {
    /// A coder for `params` (which must be valid).
    pub fn new(params: &Params) -> Result<Self, DdsError> {
        params.validate()?;
        let (k, m) = (usize::from(params.k), usize::from(params.m));
        let rs = ReedSolomon::new(k, m).map_err(|e| DdsError::InvalidParams(e.to_string()))?;
        Ok(Coder { rs, k, m })
    }

    /// Codes `chunk` into `shards` (resized to k + m shards of ⌈len / k⌉ bytes, reusing their
    /// allocations) and writes each shard's segment root into `roots`.
    pub fn encode(
        &self,
        chunk: &[u8],
        shards: &mut Vec<Vec<u8>>,
        roots: &mut Vec<Hash>,
    ) -> Result<(), DdsError> {
        if chunk.is_empty() {
            return Err(DdsError::Empty);
        }
        let shard_len = chunk.len().div_ceil(self.k);
        shards.resize_with(self.k + self.m, Vec::new);
        for (i, shard) in shards.iter_mut().enumerate() {
            shard.clear();
            if i < self.k {
                let start = (i * shard_len).min(chunk.len());
                let end = ((i + 1) * shard_len).min(chunk.len());
                shard.extend_from_slice(&chunk[start..end]);
            }
            shard.resize(shard_len, 0);
        }
        self.rs
            .encode(&mut shards[..])
            .map_err(|e| DdsError::Coding(e.to_string()))?;
        roots.clear();
        roots.extend(shards.iter().map(|s| merkle::segment_root(s)));
        Ok(())
    }

    /// Rebuilds a chunk of `chunk_len` bytes from `shards` (k + m slots, `None` where a
    /// shard is missing; present ones must all be ⌈chunk_len / k⌉ bytes). The first data
    /// shard's buffer becomes the chunk's (its slot is left empty), so only the other
    /// k − 1 are copied.
    pub fn decode(
        &self,
        shards: &mut [Option<Vec<u8>>],
        chunk_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), DdsError> {
        let shard_len = chunk_len.div_ceil(self.k);
        if shards.len() != self.k + self.m {
            return Err(DdsError::Coding("wrong number of shard slots".into()));
        }
        let present = shards.iter().flatten().count();
        if present < self.k {
            return Err(DdsError::NotEnoughShards {
                have: present,
                need: self.k,
            });
        }
        if shards.iter().flatten().any(|s| s.len() != shard_len) {
            return Err(DdsError::Coding("shard of the wrong length".into()));
        }
        if shards[..self.k].iter().any(Option::is_none) {
            self.rs
                .reconstruct_data(shards)
                .map_err(|e| DdsError::Coding(e.to_string()))?;
        }
        *out = shards[0].take().unwrap_or_default();
        out.truncate(chunk_len);
        out.reserve_exact(chunk_len - out.len());
        for shard in shards[1..self.k].iter().flatten() {
            let take = (chunk_len - out.len()).min(shard.len());
            out.extend_from_slice(&shard[..take]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn all_subsets(n: usize) -> impl Iterator<Item = Vec<bool>> {
        (0u32..(1 << n)).map(move |mask| (0..n).map(|i| mask & (1 << i) != 0).collect())
    }

    #[test]
    fn any_k_of_k_plus_m_rebuild_the_chunk() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        for (k, m, len) in [
            (4u8, 2u8, 4096 * 4 + 3),
            (1, 1, 10),
            (3, 3, 9999),
            (10, 4, 65536),
        ] {
            let params = Params {
                chunk_size: 1 << 20,
                k,
                m,
            };
            let coder = Coder::new(&params).unwrap();
            let chunk: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
            let (mut shards, mut leaves) = (Vec::new(), Vec::new());
            coder.encode(&chunk, &mut shards, &mut leaves).unwrap();
            assert_eq!(shards.len(), usize::from(k + m));
            assert_eq!(leaves[0], merkle::segment_root(&shards[0]));
            let n = usize::from(k + m);
            let mut out = Vec::new();
            for keep in
                all_subsets(n).filter(|s| s.iter().filter(|b| **b).count() >= usize::from(k))
            {
                let mut slots: Vec<Option<Vec<u8>>> = shards
                    .iter()
                    .zip(&keep)
                    .map(|(s, k)| k.then(|| s.clone()))
                    .collect();
                coder.decode(&mut slots, chunk.len(), &mut out).unwrap();
                assert_eq!(out, chunk, "k={k} m={m} keep={keep:?}");
            }
        }
    }

    #[test]
    fn fewer_than_k_shards_is_a_clear_error() {
        let coder = Coder::new(&Params::default()).unwrap();
        let (mut shards, mut leaves) = (Vec::new(), Vec::new());
        coder
            .encode(&[1u8; 1000], &mut shards, &mut leaves)
            .unwrap();
        let mut slots: Vec<Option<Vec<u8>>> = shards
            .into_iter()
            .enumerate()
            .map(|(i, s)| (i < 3).then_some(s))
            .collect();
        let err = coder.decode(&mut slots, 1000, &mut Vec::new()).unwrap_err();
        assert!(matches!(
            err,
            DdsError::NotEnoughShards { have: 3, need: 4 }
        ));
    }

    #[test]
    fn wrong_length_shard_is_rejected_not_panicking() {
        let coder = Coder::new(&Params::default()).unwrap();
        let mut slots = vec![Some(vec![0u8; 250]); 6];
        slots[1] = Some(vec![0u8; 7]);
        assert!(coder.decode(&mut slots, 1000, &mut Vec::new()).is_err());
        assert!(coder.encode(&[], &mut Vec::new(), &mut Vec::new()).is_err());
    }
}
