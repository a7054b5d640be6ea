//! What goes over the wire: protocol and topic names, message types (SCALE-encoded) and
//! their size limits. Another implementation of EchoNet's network needs only this module.

use codec::{Decode, DecodeLimit, Encode};
use echonet_runtime::Header;
use sp_core::H256;
use sp_runtime::{
    traits::{BlakeTwo256, Hash as _},
    Justifications, OpaqueExtrinsic,
};

/// Nesting limit when decoding anything a peer sent (SCALE decoding recurses on nested types).
pub(crate) const DECODE_DEPTH_LIMIT: u32 = 32;

/// Largest status handshake request or response.
pub const MAX_HANDSHAKE_SIZE: usize = 1024;
/// Largest block request.
pub const MAX_BLOCK_REQUEST_SIZE: usize = 1024;
/// Largest block response. Servers stop adding blocks once [`BLOCK_RESPONSE_BYTE_BUDGET`] is
/// reached, so a response is at most the budget plus one block.
pub const MAX_BLOCK_RESPONSE_SIZE: usize = 16 * 1024 * 1024;
/// Byte budget a server fills before it stops adding blocks to a response.
pub const BLOCK_RESPONSE_BYTE_BUDGET: usize = 8 * 1024 * 1024;
/// Most blocks in one response; a request's `max` above this (or 0) is read as this.
pub const MAX_BLOCKS_PER_RESPONSE: u32 = 128;
/// Largest justification request (a block hash, with room to spare).
pub const MAX_JUSTIFICATION_REQUEST_SIZE: usize = 1024;
/// Largest justification response.
pub const MAX_JUSTIFICATION_RESPONSE_SIZE: usize = 1024 * 1024;
/// Largest block announcement: a header with its digest and, in compact relay, the
/// block's [`CompactBody`] (6 bytes a transaction: room for about 85,000). A block whose
/// compact announcement would be larger is announced by its header alone.
pub const MAX_BLOCK_ANNOUNCE_SIZE: usize = 512 * 1024;
/// Largest request for some of a block's transactions: 16,000 positions or so. A peer
/// that misses more asks for the whole block instead.
pub const MAX_BLOCK_TRANSACTIONS_REQUEST_SIZE: usize = 64 * 1024;
/// Largest answer to such a request (that of a whole block).
pub const MAX_BLOCK_TRANSACTIONS_RESPONSE_SIZE: usize = MAX_BLOCK_RESPONSE_SIZE;
/// Bytes of a [`ShortId`].
pub const SHORT_ID_LEN: usize = 6;
/// Largest transactions message. Larger batches are split; a single larger transaction is
/// not gossiped.
pub const MAX_TRANSACTIONS_SIZE: usize = 1024 * 1024;
/// Largest finality (GRANDPA) message.
pub const MAX_FINALITY_SIZE: usize = 1024 * 1024;
/// Largest shard or manifest the data store protocol carries: a shard of a 1 MiB chunk
/// with k = 1 (256 KiB with the default k = 4), or the manifest of ~32,000 shards.
pub const MAX_DDS_PAYLOAD: usize = 1024 * 1024;
/// Largest data store request: a shard to store, with its ids and framing.
pub const MAX_DDS_REQUEST_SIZE: usize = MAX_DDS_PAYLOAD + 1024;
/// Largest data store response: a shard or a manifest, with framing.
pub const MAX_DDS_RESPONSE_SIZE: usize = MAX_DDS_PAYLOAD + 1024;

/// The role a node announces in its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
pub enum Role {
    /// Follows and serves the chain.
    Full,
    /// A validator: authors blocks and votes in GRANDPA.
    Authority,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Full => "FULL",
            Role::Authority => "AUTHORITY",
        })
    }
}

/// A node's view of its chain, sent in the handshake and kept up to date by announcements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Status {
    /// The chain's genesis; a handshake with another one than ours costs the peer
    /// [`rep::GENESIS_MISMATCH`](crate::rep::GENESIS_MISMATCH) (a ban).
    pub genesis_hash: H256,
    /// Height of the sender's best block.
    pub best_number: u32,
    /// Hash of the sender's best block; sync uses the pair as a download target.
    pub best_hash: H256,
    /// Height of the sender's last finalized block.
    pub finalized_number: u32,
    /// Hash of the sender's last finalized block.
    pub finalized_hash: H256,
}

/// The status protocol's request and response: each side sends its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Handshake {
    /// The sender's role.
    pub role: Role,
    /// The sender's chain when it sent the handshake.
    pub status: Status,
}

/// Where a block request starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum BlockId {
    /// A block on any fork the server has.
    Hash(H256),
    /// A number on the server's best chain.
    Number(u32),
}

/// Which way a block request walks from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum Direction {
    /// Towards the tip, along the server's best chain (numbers `n, n+1, ...`).
    Ascending,
    /// Towards genesis, along parent hashes (so a fork's blocks can be fetched).
    Descending,
}

/// Which parts of each block to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct BlockFields {
    /// Send [`BlockData::header`].
    pub header: bool,
    /// Send [`BlockData::body`]; a block whose body the server lacks ends the response.
    pub body: bool,
    /// Send [`BlockData::justifications`] (where the server has any).
    pub justification: bool,
}

impl BlockFields {
    /// Header and body: what import needs.
    pub const HEADER_AND_BODY: Self = Self {
        header: true,
        body: true,
        justification: false,
    };
    /// Everything.
    pub const ALL: Self = Self {
        header: true,
        body: true,
        justification: true,
    };
}

/// A request for a run of blocks, served from `from` (included) in `direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct BlockRequest {
    /// The first block of the response.
    pub from: BlockId,
    /// Whether to walk towards the tip or towards genesis from `from`.
    pub direction: Direction,
    /// Most blocks wanted; 0 or more than [`MAX_BLOCKS_PER_RESPONSE`] means that many.
    pub max: u32,
    /// Which parts of each block to send.
    pub fields: BlockFields,
}

impl BlockRequest {
    /// The number of blocks a server sends at most for this request.
    pub fn effective_max(&self) -> u32 {
        if self.max == 0 {
            MAX_BLOCKS_PER_RESPONSE
        } else {
            self.max.min(MAX_BLOCKS_PER_RESPONSE)
        }
    }
}

/// One block of a block response, with the fields that were asked for.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct BlockData {
    /// The block's hash, sent even when the header is not; the requester checks it
    /// against the header it gets.
    pub hash: H256,
    /// The header, if [`BlockFields::header`] was asked for.
    pub header: Option<Header>,
    /// The extrinsics, if [`BlockFields::body`] was asked for.
    pub body: Option<Vec<OpaqueExtrinsic>>,
    /// The stored justifications, if asked for and the server has any.
    pub justifications: Option<Justifications>,
}

/// Why a server did not answer a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode, thiserror::Error)]
pub enum Refusal {
    /// The requester went over its request rate (and lost reputation for it).
    #[error("too many requests")]
    TooManyRequests,
    /// The server has too many requests in progress; try another peer or later.
    #[error("server busy")]
    Busy,
}

/// A block response: the blocks, or why there are none.
pub type BlockResponse = Result<Vec<BlockData>, Refusal>;
/// A justification response: the block's justifications if the server has them.
pub type JustificationResponse = Result<Option<Justifications>, Refusal>;

/// The block announcement gossip message.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct BlockAnnounce {
    /// The new block's header; peers that lack the block request its body.
    pub header: Header,
    /// Whether the block is the sender's new best block.
    pub is_best: bool,
    /// Compact block relay (in the spirit of Bitcoin's BIP 152): the block's extrinsics as
    /// short ids, from which a peer rebuilds the body out of its own pool, asking only for
    /// the extrinsics it lacks ([`BlockTransactionsRequest`]). `None`: fetch the whole
    /// block (`--block-relay full`, or a block too large for a compact announcement).
    pub compact: Option<CompactBody>,
}

/// A short transaction id: the first [`SHORT_ID_LEN`] bytes of
/// `blake2_256(block hash ‖ transaction hash)`, see [`short_id`].
pub type ShortId = [u8; SHORT_ID_LEN];

/// The short id of the transaction whose hash (blake2-256 of its SCALE encoding, as the
/// pool knows it: [`transaction_hash`]) is `tx_hash`, in the block whose (sealed) header hashes to `block_hash`. Keyed by the block,
/// so that two transactions that collide in one block do not collide in the next: nobody
/// can make a pair of transactions that always fails compact relay.
pub fn short_id(block_hash: &H256, tx_hash: &H256) -> ShortId {
    let mut input = [0u8; 64];
    input[..32].copy_from_slice(block_hash.as_bytes());
    input[32..].copy_from_slice(tx_hash.as_bytes());
    let digest = BlakeTwo256::hash(&input);
    let mut id = [0u8; SHORT_ID_LEN];
    id.copy_from_slice(&digest.as_bytes()[..SHORT_ID_LEN]);
    id
}

/// The hash a pool knows a transaction by: blake2-256 of its SCALE encoding.
pub fn transaction_hash(xt: &OpaqueExtrinsic) -> H256 {
    BlakeTwo256::hash(&xt.encode())
}

/// A block's body as a compact announcement carries it: the extrinsics no pool holds (the
/// inherents, unsigned extrinsics) whole, with their positions, and the others as short
/// ids, in block order, filling the positions left.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct CompactBody {
    /// Extrinsics sent whole, with their positions in the block (strictly increasing).
    pub prefilled: Vec<(u32, OpaqueExtrinsic)>,
    /// Short ids of the other extrinsics, in block order.
    pub short_ids: Vec<ShortId>,
}

/// Why a [`CompactBody`] cannot be the body of any block. An honest node never sends one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCompactBody {
    /// Prefilled positions must be strictly increasing.
    #[error("prefilled position {0} is not after the one before it")]
    Unordered(u32),
    /// A prefilled position is past the end of the block.
    #[error("prefilled position {position} is past the block's {len} extrinsics")]
    OutOfRange {
        /// The position.
        position: u32,
        /// Extrinsics in the block (prefilled and short ids).
        len: usize,
    },
}

impl CompactBody {
    /// The compact form of `body`, the body of the block whose header hashes to
    /// `block_hash`: signed extrinsics as short ids, the rest (inherents, unsigned
    /// extrinsics, anything undecodable) whole.
    pub fn new(block_hash: &H256, body: &[OpaqueExtrinsic]) -> Self {
        let mut prefilled = Vec::new();
        let mut short_ids = Vec::with_capacity(body.len());
        for (i, xt) in body.iter().enumerate() {
            if is_signed(xt) {
                short_ids.push(short_id(block_hash, &transaction_hash(xt)));
            } else {
                prefilled.push((i as u32, xt.clone()));
            }
        }
        Self {
            prefilled,
            short_ids,
        }
    }

    /// How many extrinsics the block has, once the body is checked to describe one.
    pub fn check(&self) -> Result<usize, InvalidCompactBody> {
        let len = self.prefilled.len().saturating_add(self.short_ids.len());
        let mut next = 0u64;
        for (position, _) in &self.prefilled {
            if u64::from(*position) < next {
                return Err(InvalidCompactBody::Unordered(*position));
            }
            if *position as usize >= len {
                return Err(InvalidCompactBody::OutOfRange {
                    position: *position,
                    len,
                });
            }
            next = u64::from(*position) + 1;
        }
        Ok(len)
    }
}

/// Whether `xt` is a signed extrinsic of the runtime (what a pool holds). Undecodable
/// bytes count as unsigned, so that they travel whole.
fn is_signed(xt: &OpaqueExtrinsic) -> bool {
    let bytes = xt.encode();
    echonet_runtime::UncheckedExtrinsic::decode_all_with_depth_limit(
        DECODE_DEPTH_LIMIT,
        &mut &bytes[..],
    )
    .is_ok_and(|u| {
        matches!(
            u.into_inner().preamble,
            sp_runtime::generic::Preamble::Signed(..)
        )
    })
}

/// A request for some extrinsics of a block (those missing from a rebuilt compact block).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct BlockTransactionsRequest {
    /// The block's hash.
    pub block: H256,
    /// Positions of the extrinsics wanted, strictly increasing. A request whose positions
    /// are not costs the requester [`rep::MALFORMED_MESSAGE`](crate::rep::MALFORMED_MESSAGE).
    pub positions: Vec<u32>,
}

impl BlockTransactionsRequest {
    /// Whether the positions are strictly increasing (so each is asked once, and a request
    /// asks for at most as many extrinsics as the block has).
    pub fn is_well_formed(&self) -> bool {
        self.positions.windows(2).all(|w| w[0] < w[1])
    }
}

/// The answer to a [`BlockTransactionsRequest`]: the extrinsics at the positions asked,
/// in order; `None` when the server does not have the block or it has no such positions.
pub type BlockTransactionsResponse = Result<Option<Vec<OpaqueExtrinsic>>, Refusal>;

/// The answer to a data store request: the store's answer as bytes (echonet-dds encodes and
/// decodes both ways, with its own bounds), or the network's refusal (over the request
/// rate, too many requests served at once, or no store on this node).
pub type DdsResponse = Result<Vec<u8>, Refusal>;

/// The transactions gossip message: encoded extrinsics.
pub type TransactionsMessage = Vec<Vec<u8>>;

/// Decodes a whole message from a peer, with the nesting limit; trailing bytes are an error.
pub fn decode_all<T: Decode>(mut bytes: &[u8]) -> Result<T, codec::Error> {
    T::decode_all_with_depth_limit(DECODE_DEPTH_LIMIT, &mut bytes)
}

/// Protocol names and gossip topics of one chain. Every name starts with
/// `/echo/<genesis hash, hex without 0x>/`, so nodes of different chains never agree on a
/// protocol and do not exchange any EchoNet message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolNames {
    /// `/echo/<genesis>` (no trailing slash).
    pub prefix: String,
    /// Kademlia: `<prefix>/kad/1`.
    pub kad: String,
    /// Identify's protocol version string: `<prefix>/1`. A peer announcing another one is
    /// disconnected.
    pub identify_version: String,
    /// Gossipsub's protocol prefix: `<prefix>/meshsub` (then `/1.1.0`, `/1.0.0`).
    pub gossipsub_prefix: String,
    /// Status handshake, request-response: `<prefix>/status/1`.
    pub status: String,
    /// Block requests: `<prefix>/blocks/1`.
    pub blocks: String,
    /// Justification requests: `<prefix>/justifications/1`.
    pub justifications: String,
    /// Requests for some extrinsics of a block (compact relay): `<prefix>/block-txs/1`.
    pub block_transactions: String,
    /// Warp sync's GRANDPA hand-off proofs: `<prefix>/warp-proof/1`.
    pub warp_proof: String,
    /// Warp sync's state chunks with range proofs: `<prefix>/state/1`.
    pub state: String,
    /// The data store's shard transfer (echonet-dds): `<prefix>/dds/1`.
    pub dds: String,
    /// Gossip topic of block announcements: `<prefix>/block-announces/1`.
    pub block_announces_topic: String,
    /// Gossip topic of transactions: `<prefix>/transactions/1`.
    pub transactions_topic: String,
    /// Gossip topic of finality (GRANDPA) messages: `<prefix>/finality/1`.
    pub finality_topic: String,
}

impl ProtocolNames {
    /// Every name of the chain whose genesis block has this hash.
    pub fn new(genesis_hash: H256) -> Self {
        let prefix = format!("/echo/{}", hex::encode(genesis_hash.as_bytes()));
        Self {
            kad: format!("{prefix}/kad/1"),
            identify_version: format!("{prefix}/1"),
            gossipsub_prefix: format!("{prefix}/meshsub"),
            status: format!("{prefix}/status/1"),
            blocks: format!("{prefix}/blocks/1"),
            justifications: format!("{prefix}/justifications/1"),
            block_transactions: format!("{prefix}/block-txs/1"),
            warp_proof: format!("{prefix}/warp-proof/1"),
            state: format!("{prefix}/state/1"),
            dds: format!("{prefix}/dds/1"),
            block_announces_topic: format!("{prefix}/block-announces/1"),
            transactions_topic: format!("{prefix}/transactions/1"),
            finality_topic: format!("{prefix}/finality/1"),
            prefix,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_namespaced_by_genesis() {
        let a = ProtocolNames::new(H256::repeat_byte(0xab));
        let b = ProtocolNames::new(H256::repeat_byte(0xcd));
        assert_eq!(a.blocks, format!("/echo/{}/blocks/1", "ab".repeat(32)));
        assert_ne!(a.kad, b.kad);
        assert_ne!(a.block_announces_topic, b.block_announces_topic);
    }

    #[test]
    fn trailing_bytes_and_garbage_are_refused() {
        let req = BlockRequest {
            from: BlockId::Number(3),
            direction: Direction::Ascending,
            max: 10,
            fields: BlockFields::ALL,
        };
        let mut bytes = req.encode();
        assert_eq!(decode_all::<BlockRequest>(&bytes).unwrap(), req);
        bytes.push(0);
        assert!(decode_all::<BlockRequest>(&bytes).is_err());
        assert!(decode_all::<BlockAnnounce>(&[0xff; 7]).is_err());
    }

    #[test]
    fn compact_bodies_that_describe_no_block_are_refused() {
        let xt = OpaqueExtrinsic::from_blob(vec![1]);
        let body = |prefilled: Vec<u32>, ids: usize| CompactBody {
            prefilled: prefilled.into_iter().map(|p| (p, xt.clone())).collect(),
            short_ids: vec![[1; SHORT_ID_LEN]; ids],
        };
        assert_eq!(body(vec![0, 2], 1).check(), Ok(3));
        assert_eq!(body(vec![], 4).check(), Ok(4));
        assert_eq!(body(vec![], 0).check(), Ok(0));
        assert_eq!(
            body(vec![1, 1], 1).check(),
            Err(InvalidCompactBody::Unordered(1))
        );
        assert_eq!(
            body(vec![2, 0], 1).check(),
            Err(InvalidCompactBody::Unordered(0))
        );
        assert_eq!(
            body(vec![u32::MAX], 1).check(),
            Err(InvalidCompactBody::OutOfRange {
                position: u32::MAX,
                len: 2
            })
        );
    }

    #[test]
    fn positions_of_a_transactions_request_must_increase() {
        let req = |positions: Vec<u32>| BlockTransactionsRequest {
            block: H256::zero(),
            positions,
        };
        assert!(req(vec![]).is_well_formed());
        assert!(req(vec![0, 1, 7]).is_well_formed());
        assert!(!req(vec![1, 1]).is_well_formed());
        assert!(!req(vec![3, 2]).is_well_formed());
    }

    #[test]
    fn effective_max_is_bounded() {
        let mut req = BlockRequest {
            from: BlockId::Number(0),
            direction: Direction::Ascending,
            max: 0,
            fields: BlockFields::ALL,
        };
        assert_eq!(req.effective_max(), MAX_BLOCKS_PER_RESPONSE);
        req.max = 5;
        assert_eq!(req.effective_max(), 5);
        req.max = u32::MAX;
        assert_eq!(req.effective_max(), MAX_BLOCKS_PER_RESPONSE);
    }
}
