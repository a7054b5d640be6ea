//! Warp sync on the wire (issue 18): the GRANDPA hand-off proofs from an authority set to
//! the server's latest finalized block, and the state at a block in chunks with range
//! proofs. The network only carries and bounds these messages; checking them is the
//! requester's (echonet-sync's `warp` module), serving them the [`ChainProvider`]'s.
//!
//! [`ChainProvider`]: crate::ChainProvider

use crate::protocol::Refusal;
use codec::{Decode, Encode};
use echonet_runtime::Header;
use sp_core::H256;

/// Largest warp proof request.
pub const MAX_WARP_PROOF_REQUEST_SIZE: usize = 1024;
/// Largest warp proof response.
pub const MAX_WARP_PROOF_RESPONSE_SIZE: usize = 16 * 1024 * 1024;
/// Bytes of fragments a server puts in one proof before it stops (always at least one).
pub const WARP_PROOF_BYTE_BUDGET: usize = 8 * 1024 * 1024;
/// Most headers of one fragment (from the signal of a change to its hand-off block).
pub const MAX_WARP_FRAGMENT_HEADERS: usize = 256;
/// Largest state request (a block hash and a start key).
pub const MAX_STATE_REQUEST_SIZE: usize = 8 * 1024;
/// Largest state response.
pub const MAX_STATE_RESPONSE_SIZE: usize = 16 * 1024 * 1024;
/// Bytes of trie nodes a server records for one state chunk before it stops adding keys
/// (a chunk always has at least one key, whatever its size).
pub const STATE_CHUNK_BYTE_BUDGET: usize = 2 * 1024 * 1024;

/// A request for the hand-off proofs after authority set `set_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct WarpProofRequest {
    /// The last authority set the requester knows (0 from genesis).
    pub set_id: u64,
}

/// One hand-off: set `n` finalizes the block at which set `n + 1` takes over.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct WarpFragment {
    /// The headers from the block that signals the change (first, with pallet-grandpa's
    /// `ScheduledChange` in its digest) to the hand-off block (last), each the parent of
    /// the next; one header when the change takes effect where it is signalled (delay 0).
    pub headers: Vec<Header>,
    /// The GRANDPA justification (SCALE `GrandpaJustification`) of the hand-off block, by
    /// the set that hands over.
    pub justification: Vec<u8>,
}

/// The answer to a [`WarpProofRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct WarpProof {
    /// The hand-offs after the requested set, in order, up to [`WARP_PROOF_BYTE_BUDGET`].
    pub fragments: Vec<WarpFragment>,
    /// Whether the fragments reach the server's latest set: the requester may then warp
    /// to `target`; otherwise it asks again from the last fragment's set.
    pub is_finished: bool,
    /// The server's latest finalized block and its justification by the latest set, when
    /// `is_finished` and that block is not the last hand-off block itself (whose
    /// justification is the last fragment's).
    pub target: Option<(Header, Vec<u8>)>,
}

/// A warp proof response: the proof, `None` when the server cannot prove from that set
/// (it does not know it, or it warp-synced past it), or why there is none.
pub type WarpProofResponse = Result<Option<WarpProof>, Refusal>;

/// A request for the state of a block, from a key on.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct StateRequest {
    /// The block whose state is wanted (the warp target).
    pub block: H256,
    /// The first key wanted (inclusive); empty for the first chunk.
    pub start: Vec<u8>,
}

/// A chunk of state: the trie nodes visited while iterating the block's state from the
/// start key, in key order, until the server's byte budget. The requester reads the
/// entries out of these nodes, checked against the block's state root, which also proves
/// that no key in the range was left out.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct StateChunk {
    /// Encoded trie nodes (a `StorageProof`'s). Whether the chunk reaches the state's
    /// last key is read from them too, never taken from the server's word.
    pub proof: Vec<Vec<u8>>,
}

/// A state response: the chunk, `None` when the server does not have that block's state
/// (unknown, or pruned), or why there is none.
pub type StateResponse = Result<Option<StateChunk>, Refusal>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::decode_all;

    #[test]
    fn requests_round_trip_and_trailing_bytes_are_refused() {
        let req = StateRequest {
            block: H256::repeat_byte(1),
            start: vec![1, 2, 3],
        };
        let mut bytes = req.encode();
        assert_eq!(decode_all::<StateRequest>(&bytes).unwrap(), req);
        bytes.push(0);
        assert!(decode_all::<StateRequest>(&bytes).is_err());
        let warp = WarpProofRequest { set_id: 7 };
        assert_eq!(
            decode_all::<WarpProofRequest>(&warp.encode()).unwrap(),
            warp
        );
        assert!(decode_all::<WarpProofResponse>(&[0xff; 9]).is_err());
    }
}
