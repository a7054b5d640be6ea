//! The chain client as the network serves it to peers: headers, bodies and justifications
//! from the database, and the node's status for handshakes. The node and the tests serve
//! their chains through this one adapter.

use echonet_client::Client;
use echonet_network::{
    serve_block_request, BlockData, BlockRequest, BlockSource, ChainProvider, Status,
};
use echonet_runtime::Header;
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
}
