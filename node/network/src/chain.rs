//! What the network needs from the chain to answer peers: [`ChainProvider`], and
//! [`serve_block_request`], which implements the block request semantics over four simple
//! reads ([`BlockSource`]) so that every provider walks the chain the same way.

use crate::protocol::{
    BlockData, BlockId, BlockRequest, Direction, Status, BLOCK_RESPONSE_BYTE_BUDGET,
};
use codec::Encode;
use echonet_runtime::Header;
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};

/// The chain as the network serves it. Implemented by the node over its client.
///
/// Every method is called on a blocking thread (`spawn_blocking`), so it may read the
/// database. None may panic on any request: a block that is not there is simply left out.
pub trait ChainProvider: Send + Sync + 'static {
    /// Our genesis, best and finalized blocks (sent in handshakes).
    fn status(&self) -> Status;
    /// The blocks of a request, at most [`BlockRequest::effective_max`] of them and about
    /// [`BLOCK_RESPONSE_BYTE_BUDGET`] bytes. [`serve_block_request`] does this over a
    /// [`BlockSource`]. The network truncates a longer answer.
    fn blocks(&self, request: &BlockRequest) -> Vec<BlockData>;
    /// The justifications stored with a block, if any.
    fn justification(&self, hash: H256) -> Option<Justifications>;
    /// Warp sync: the hand-off proofs after an authority set, within
    /// [`WARP_PROOF_BYTE_BUDGET`](crate::WARP_PROOF_BYTE_BUDGET). `None` (the default):
    /// this provider cannot prove from that set.
    fn warp_proof(&self, _request: &crate::WarpProofRequest) -> Option<crate::WarpProof> {
        None
    }
    /// Warp sync: the trie nodes that prove a chunk of a block's state from a key on,
    /// about [`STATE_CHUNK_BYTE_BUDGET`](crate::STATE_CHUNK_BYTE_BUDGET) of them. `None`
    /// (the default): this provider does not have that state.
    fn state_chunk(&self, _request: &crate::StateRequest) -> Option<crate::StateChunk> {
        None
    }
}

/// Reads of a block store that [`serve_block_request`] walks. Errors read as "not there".
pub trait BlockSource {
    /// The header of a block we have, on any fork.
    fn header(&self, hash: H256) -> Option<Header>;
    /// The hash of the best chain's block at `number`.
    fn canonical_hash(&self, number: u32) -> Option<H256>;
    /// The extrinsics of a block; `None` when only its header is stored, which ends the
    /// walk there.
    fn body(&self, hash: H256) -> Option<Vec<OpaqueExtrinsic>>;
    /// The justifications stored with a block (GRANDPA's, where the node kept one); read
    /// only for requests that ask for them.
    fn justifications(&self, hash: H256) -> Option<Justifications>;
}

/// Answers a block request from `source`:
/// - the start is `request.from` (a hash, or a number on the best chain); no start, no blocks;
/// - ascending walks the best chain by number (`n+1, n+2, ...`) until its tip;
/// - descending walks parent hashes down to genesis (so a fork can be fetched from its tip);
/// - it stops at [`BlockRequest::effective_max`] blocks, or once the encoded blocks reach
///   [`BLOCK_RESPONSE_BYTE_BUDGET`] (always at least one block), or at a missing block.
pub fn serve_block_request(source: &impl BlockSource, request: &BlockRequest) -> Vec<BlockData> {
    let max = request.effective_max() as usize;
    let start = match request.from {
        BlockId::Hash(hash) => Some(hash),
        BlockId::Number(number) => source.canonical_hash(number),
    };
    let mut next = start.and_then(|hash| source.header(hash).map(|h| (hash, h)));
    let mut blocks = Vec::new();
    let mut bytes = 0usize;
    while let Some((hash, header)) = next.take() {
        let body = if request.fields.body {
            match source.body(hash) {
                Some(body) => Some(body),
                // A header without its body: the block cannot be served whole.
                None => break,
            }
        } else {
            None
        };
        let justifications = if request.fields.justification {
            source.justifications(hash)
        } else {
            None
        };
        let number = header.number;
        let parent = header.parent_hash;
        let data = BlockData {
            hash,
            header: request.fields.header.then_some(header),
            body,
            justifications,
        };
        bytes = bytes.saturating_add(data.encoded_size());
        blocks.push(data);
        if blocks.len() >= max || bytes >= BLOCK_RESPONSE_BYTE_BUDGET {
            break;
        }
        let next_hash = match request.direction {
            Direction::Ascending => number.checked_add(1).and_then(|n| source.canonical_hash(n)),
            Direction::Descending if number == 0 => None,
            Direction::Descending => Some(parent),
        };
        next = next_hash.and_then(|h| source.header(h).map(|header| (h, header)));
    }
    blocks
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::protocol::BlockFields;
    use sp_runtime::generic::Digest;
    use std::collections::HashMap;

    /// A linear chain of empty blocks, `len` long including genesis.
    pub(crate) struct MemChain {
        pub(crate) headers: HashMap<H256, Header>,
        pub(crate) canonical: Vec<H256>,
    }

    impl MemChain {
        pub(crate) fn new(len: u32) -> Self {
            let mut headers = HashMap::new();
            let mut canonical = Vec::new();
            let mut parent = H256::zero();
            for number in 0..len {
                let header = <Header as sp_runtime::traits::Header>::new(
                    number,
                    H256::zero(),
                    H256::repeat_byte(number as u8),
                    parent,
                    Digest::default(),
                );
                parent = header.hash();
                headers.insert(parent, header);
                canonical.push(parent);
            }
            Self { headers, canonical }
        }
    }

    impl BlockSource for MemChain {
        fn header(&self, hash: H256) -> Option<Header> {
            self.headers.get(&hash).cloned()
        }
        fn canonical_hash(&self, number: u32) -> Option<H256> {
            self.canonical.get(number as usize).copied()
        }
        fn body(&self, hash: H256) -> Option<Vec<OpaqueExtrinsic>> {
            self.headers.contains_key(&hash).then(Vec::new)
        }
        fn justifications(&self, _: H256) -> Option<Justifications> {
            None
        }
    }

    fn numbers(blocks: &[BlockData]) -> Vec<u32> {
        blocks
            .iter()
            .map(|b| b.header.as_ref().unwrap().number)
            .collect()
    }

    #[test]
    fn walks_up_by_number_and_down_by_parent() {
        let chain = MemChain::new(10);
        let up = BlockRequest {
            from: BlockId::Number(2),
            direction: Direction::Ascending,
            max: 3,
            fields: BlockFields::HEADER_AND_BODY,
        };
        assert_eq!(numbers(&serve_block_request(&chain, &up)), vec![2, 3, 4]);
        let down = BlockRequest {
            from: BlockId::Hash(chain.canonical[3]),
            direction: Direction::Descending,
            max: 0,
            fields: BlockFields::HEADER_AND_BODY,
        };
        assert_eq!(
            numbers(&serve_block_request(&chain, &down)),
            vec![3, 2, 1, 0]
        );
        let past_tip = BlockRequest {
            from: BlockId::Number(8),
            ..up
        };
        assert_eq!(numbers(&serve_block_request(&chain, &past_tip)), vec![8, 9]);
        let unknown = BlockRequest {
            from: BlockId::Hash(H256::repeat_byte(0xee)),
            ..up
        };
        assert!(serve_block_request(&chain, &unknown).is_empty());
    }

    #[test]
    fn leaves_out_fields_not_asked_for() {
        let chain = MemChain::new(3);
        let req = BlockRequest {
            from: BlockId::Number(1),
            direction: Direction::Ascending,
            max: 1,
            fields: BlockFields {
                header: false,
                body: false,
                justification: false,
            },
        };
        let blocks = serve_block_request(&chain, &req);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].hash, chain.canonical[1]);
        assert!(blocks[0].header.is_none() && blocks[0].body.is_none());
    }
}
