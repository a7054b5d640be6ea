//! The chain client as the network serves it to peers: headers, bodies and justifications
//! from the database, and the node's status for handshakes. The node and the tests serve
//! their chains through this one adapter.

use codec::Encode;
use echonet_client::Client;
use echonet_network::{
    serve_block_request, BlockData, BlockRequest, BlockSource, ChainProvider, StateChunk,
    StateRequest, Status, WarpFragment, WarpProof, WarpProofRequest, MAX_WARP_FRAGMENT_HEADERS,
    STATE_CHUNK_BYTE_BUDGET, WARP_PROOF_BYTE_BUDGET,
};
use echonet_runtime::Header;
use sp_consensus_grandpa::GRANDPA_ENGINE_ID;
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::sync::Arc;

/// The chain as the network serves it to peers. A block the database cannot read is
/// served as missing.
pub struct ClientChain(pub Arc<Client>);

impl BlockSource for ClientChain {
    fn header(&self, hash: H256) -> Option<Header> {
        self.0.header(hash).ok().flatten()
    }
    fn canonical_hash(&self, number: u32) -> Option<H256> {
        self.0.hash(number).ok().flatten()
    }
    fn body(&self, hash: H256) -> Option<Vec<OpaqueExtrinsic>> {
        self.0.body(hash).ok().flatten()
    }
    fn justifications(&self, hash: H256) -> Option<Justifications> {
        self.0.justifications(hash).ok().flatten()
    }
}

impl ChainProvider for ClientChain {
    fn status(&self) -> Status {
        let info = self.0.info();
        Status {
            genesis_hash: info.genesis_hash,
            best_number: info.best_number,
            best_hash: info.best_hash,
            finalized_number: info.finalized_number,
            finalized_hash: info.finalized_hash,
        }
    }
    fn blocks(&self, request: &BlockRequest) -> Vec<BlockData> {
        serve_block_request(self, request)
    }
    fn justification(&self, hash: H256) -> Option<Justifications> {
        BlockSource::justifications(self, hash)
    }
    fn warp_proof(&self, request: &WarpProofRequest) -> Option<WarpProof> {
        warp_proof(&self.0, request)
    }
    fn state_chunk(&self, request: &StateRequest) -> Option<StateChunk> {
        self.0
            .state_chunk_proof(request.block, &request.start, STATE_CHUNK_BYTE_BUDGET)
            .ok()
            .map(|proof| StateChunk { proof })
    }
}

/// The GRANDPA justification stored with block `hash`.
fn grandpa_justification(client: &Client, hash: H256) -> Option<Vec<u8>> {
    client
        .justifications(hash)
        .ok()
        .flatten()?
        .into_justification(GRANDPA_ENGINE_ID)
}

/// The hand-offs after `request.set_id` this node enacted (from the record GRANDPA keeps,
/// [`echonet_finality::set_changes`]), each with the headers from its signal to its
/// hand-off block and the hand-off block's justification, within the byte budget; then,
/// if they all fit, the latest finalized block and its justification. `None` when the
/// node does not know that set (it started after it) or has nothing to prove.
fn warp_proof(client: &Client, request: &WarpProofRequest) -> Option<WarpProof> {
    let history = echonet_finality::set_changes(client).ok()?;
    if request.set_id < history.first_set {
        return None;
    }
    let mut fragments = Vec::new();
    let mut bytes = 0usize;
    let mut is_finished = true;
    for change in history.changes.iter().filter(|c| c.set_id > request.set_id) {
        if !fragments.is_empty() && bytes >= WARP_PROOF_BYTE_BUDGET {
            is_finished = false;
            break;
        }
        let (hand_off, hand_off_number) = change.hand_off;
        let len = hand_off_number.checked_sub(change.signal.1)? as usize + 1;
        if len > MAX_WARP_FRAGMENT_HEADERS {
            return None;
        }
        let mut headers = Vec::with_capacity(len);
        let mut next = hand_off;
        for _ in 0..len {
            let header = client.header(next).ok().flatten()?;
            next = header.parent_hash;
            headers.push(header);
        }
        headers.reverse();
        let fragment = WarpFragment {
            headers,
            justification: grandpa_justification(client, hand_off)?,
        };
        bytes = bytes.saturating_add(fragment.encoded_size());
        fragments.push(fragment);
    }
    let mut target = None;
    if is_finished {
        let info = client.info();
        let last = history.changes.last().map(|c| c.hand_off.0);
        if last != Some(info.finalized_hash) && info.finalized_number > 0 {
            let header = client.header(info.finalized_hash).ok().flatten()?;
            let justification = grandpa_justification(client, info.finalized_hash)?;
            target = Some((header, justification));
        }
    }
    if fragments.is_empty() && target.is_none() {
        return None;
    }
    Some(WarpProof {
        fragments,
        is_finished,
        target,
    })
}
