//! The chain served to the network, plus what a dishonest peer would serve.

use echonet_client::Client;
use echonet_network::{
    serve_block_request, BlockData, BlockRequest, BlockSource, ChainProvider, Status,
};
use echonet_runtime::Header;
use echonet_sync::ClientChain;
use parking_lot::{Condvar, Mutex};
use sp_core::H256;
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

/// Longest a withheld block request is held ([`ForgingChain::withhold_blocks`]): longer
/// than the requester's 20 s timeout, so that it never gets an answer, and bounded, so that
/// a test's runtime can always shut down (it waits for blocking threads).
const MAX_HOLD: Duration = Duration::from_secs(30);

/// The node's adapter ([`ClientChain`]) plus blocks that are not in the database (a rogue's
/// forgeries, served by hash), optionally a best block number to claim instead of the
/// real one (a liar's handshake), block requests held unanswered, and a justification
/// served for every block.
pub struct ForgingChain {
    chain: ClientChain,
    forged: Mutex<HashMap<H256, (Header, Vec<OpaqueExtrinsic>)>>,
    claimed_best: Mutex<Option<u32>>,
    withheld: Mutex<bool>,
    released: Condvar,
    forged_justifications: Mutex<Option<Justifications>>,
}

impl ForgingChain {
    /// Serves `client`'s chain, honestly until told otherwise.
    pub fn new(client: Arc<Client>) -> Self {
        Self {
            chain: ClientChain(client),
            forged: Mutex::default(),
            claimed_best: Mutex::default(),
            withheld: Mutex::new(false),
            released: Condvar::new(),
            forged_justifications: Mutex::default(),
        }
    }

    /// The client whose chain is served (forgeries are not in it).
    pub fn client(&self) -> &Arc<Client> {
        &self.chain.0
    }

    /// Serves a block that is not in the database.
    pub fn forge(&self, header: Header, body: Vec<OpaqueExtrinsic>) {
        self.forged.lock().insert(header.hash(), (header, body));
    }

    /// Claims `number` as the best block number in the status (`None`: the truth).
    pub fn claim_best_number(&self, number: Option<u32>) {
        *self.claimed_best.lock() = number;
    }

    /// Serves `justifications` as every block's (`None`: the stored ones), in block
    /// responses and justification requests alike.
    pub fn forge_justifications(&self, justifications: Option<Justifications>) {
        *self.forged_justifications.lock() = justifications;
    }

    /// Holds every block request unanswered while `on` (for at most 30 s each). The network
    /// serves a few requests at once (8): the first ones are never answered (the requester
    /// times out), every later one is refused as `Busy`. Off again, the held ones are
    /// answered.
    pub fn withhold_blocks(&self, on: bool) {
        *self.withheld.lock() = on;
        if !on {
            self.released.notify_all();
        }
    }
}

impl BlockSource for ForgingChain {
    fn header(&self, hash: H256) -> Option<Header> {
        if let Some((header, _)) = self.forged.lock().get(&hash) {
            return Some(header.clone());
        }
        self.chain.header(hash)
    }
    fn canonical_hash(&self, number: u32) -> Option<H256> {
        self.chain.canonical_hash(number)
    }
    fn body(&self, hash: H256) -> Option<Vec<OpaqueExtrinsic>> {
        if let Some((_, body)) = self.forged.lock().get(&hash) {
            return Some(body.clone());
        }
        self.chain.body(hash)
    }
    fn justifications(&self, hash: H256) -> Option<Justifications> {
        if let Some(forged) = self.forged_justifications.lock().clone() {
            return Some(forged);
        }
        BlockSource::justifications(&self.chain, hash)
    }
}

impl ChainProvider for ForgingChain {
    fn status(&self) -> Status {
        let mut status = self.chain.status();
        if let Some(number) = *self.claimed_best.lock() {
            status.best_number = number;
        }
        status
    }
    fn blocks(&self, request: &BlockRequest) -> Vec<BlockData> {
        let deadline = Instant::now() + MAX_HOLD;
        let mut withheld = self.withheld.lock();
        while *withheld {
            if self
                .released
                .wait_until(&mut withheld, deadline)
                .timed_out()
            {
                return Vec::new();
            }
        }
        drop(withheld);
        serve_block_request(self, request)
    }
    fn justification(&self, hash: H256) -> Option<Justifications> {
        BlockSource::justifications(self, hash)
    }
}
