//! A rogue peer: a real EchoNet network node (crate `echonet-network`, in the test process)
//! over its own copy of a chain, that serves and announces blocks it forged. It speaks the
//! protocols correctly; only its blocks are wrong.

use crate::within;
use echonet_client::{BlockOrigin, ChainSpec, Client, ClientConfig, ImportBlock};
use echonet_consensus::aura::{self, AuraClientExt as _, AuraVerifier};
use echonet_network::{
    serve_block_request, BlockData, BlockFields, BlockId, BlockRequest, BlockSource, ChainProvider,
    Direction, Keypair, Multiaddr, NetworkConfig, NetworkHandle, PeerId, Status,
};
use echonet_runtime::{Header, SLOT_DURATION};
use parking_lot::Mutex;
use sp_consensus_aura::Slot;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{collections::HashMap, sync::Arc, time::Duration};

/// How a forged block is wrong.
#[derive(Debug, Clone, Copy)]
pub enum Forgery {
    /// Sealed by the slot's owner, but the state root in the header is not the one its
    /// execution gives.
    BadStateRoot,
    /// Sealed by a key that does not own the slot.
    WrongAuthor,
}

/// The dev keys (`//Alice` ...): the rogue seals with whichever it needs, as anyone can.
fn dev_key(public: &[u8]) -> Option<sr25519::Pair> {
    sp_keyring::Sr25519Keyring::iter()
        .map(|k| k.pair())
        .find(|p| sp_core::crypto::ByteArray::as_slice(&p.public()) == public)
}

struct RogueChain {
    client: Arc<Client>,
    forged: Mutex<HashMap<H256, (Header, Vec<OpaqueExtrinsic>)>>,
}

impl BlockSource for RogueChain {
    fn header(&self, hash: H256) -> Option<Header> {
        if let Some((h, _)) = self.forged.lock().get(&hash) {
            return Some(h.clone());
        }
        self.client.header(hash).ok().flatten()
    }
    fn canonical_hash(&self, number: u32) -> Option<H256> {
        self.client.hash(number).ok().flatten()
    }
    fn body(&self, hash: H256) -> Option<Vec<OpaqueExtrinsic>> {
        if let Some((_, b)) = self.forged.lock().get(&hash) {
            return Some(b.clone());
        }
        self.client.body(hash).ok().flatten()
    }
    fn justifications(&self, hash: H256) -> Option<Justifications> {
        self.client.justifications(hash).ok().flatten()
    }
}

impl ChainProvider for RogueChain {
    fn status(&self) -> Status {
        let info = self.client.info();
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

/// The rogue peer. Dropping it stops its network.
pub struct Rogue {
    pub network: NetworkHandle,
    pub peer_id: PeerId,
    chain: Arc<RogueChain>,
    _dir: tempfile::TempDir,
}

impl Rogue {
    /// A rogue of chain `spec` that dials `target` (a `/p2p/` multiaddr).
    pub async fn connect(spec: ChainSpec, target: &str) -> Rogue {
        let dir = tempfile::tempdir().expect("a temporary directory for the rogue's chain");
        let db = dir.path().join("db");
        let client = tokio::task::spawn_blocking(move || {
            Client::open(
                ClientConfig::new(db),
                &spec,
                Arc::new(AuraVerifier::default()),
            )
            .expect("the rogue's chain opens")
        })
        .await
        .expect("the rogue's chain opens");
        let chain = Arc::new(RogueChain {
            client: client.clone(),
            forged: Mutex::default(),
        });
        let mut config =
            NetworkConfig::new(client.info().genesis_hash, Keypair::generate_ed25519());
        config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a multiaddr")];
        config.boot_nodes = vec![target
            .parse::<Multiaddr>()
            .expect("the target is a multiaddr")];
        config.node_name = "rogue".into();
        let (network, mut events, _task) = echonet_network::start(config, chain.clone(), None)
            .await
            .expect("the rogue's network starts");
        // Nobody listens to the rogue's events; they must still be drained.
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        Rogue {
            peer_id: network.local_peer_id(),
            network,
            chain,
            _dir: dir,
        }
    }

    /// Whether the rogue is connected to `peer` (handshake done).
    pub async fn is_connected_to(&self, peer: &PeerId) -> bool {
        self.network
            .peers()
            .await
            .iter()
            .any(|p| p.peer_id == *peer)
    }

    /// Waits until connected to `peer`.
    pub async fn wait_connected(&self, peer: &PeerId, limit: Duration) {
        within(limit, "the rogue's connection", async {
            while !self.is_connected_to(peer).await {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
    }

    /// Copies `peer`'s best chain (up to 128 blocks) into the rogue's database, so that it
    /// can forge on top of it. Returns the rogue's best block after the copy.
    pub async fn copy_chain_of(&self, peer: &PeerId) -> (u32, H256) {
        let info = self
            .network
            .peers()
            .await
            .into_iter()
            .find(|p| p.peer_id == *peer)
            .expect("the rogue is connected to the peer");
        let blocks = self
            .network
            .request_blocks(
                *peer,
                BlockRequest {
                    from: BlockId::Hash(info.status.best_hash),
                    direction: Direction::Descending,
                    max: 0,
                    fields: BlockFields::HEADER_AND_BODY,
                },
            )
            .await
            .expect("the peer serves its chain");
        let client = self.chain.client.clone();
        tokio::task::spawn_blocking(move || {
            for block in blocks.into_iter().rev() {
                let (Some(header), Some(body)) = (block.header, block.body) else {
                    panic!("the peer served a block without header or body");
                };
                if header.number == 0 {
                    continue;
                }
                client
                    .import_block(ImportBlock {
                        header,
                        body,
                        justifications: None,
                        origin: BlockOrigin::File,
                        changes: None,
                        finalize: false,
                    })
                    .expect("the peer's blocks import");
            }
            let info = client.info();
            (info.best_number, info.best_hash)
        })
        .await
        .expect("the copy finishes")
    }

    /// Forges a block on the rogue's best block, at the current slot, sealed with the
    /// slot owner's dev key ([`Forgery::BadStateRoot`]) or with another dev key
    /// ([`Forgery::WrongAuthor`]); `salt` makes forgeries of the same kind differ. Serves
    /// it; returns its header.
    pub async fn forge(&self, how: Forgery, salt: u8) -> Header {
        let client = self.chain.client.clone();
        let (header, body) = tokio::task::spawn_blocking(move || {
            let parent = client.info().best_hash;
            let parent_header = client
                .header(parent)
                .expect("the rogue's database reads")
                .expect("the best block has a header");
            let parent_slot = if parent_header.number == 0 {
                0
            } else {
                *aura::pre_digest(&parent_header).expect("the parent has a slot")
            };
            // Now, or just after the parent: never more than one slot ahead of the clock.
            let slot = (*aura::slot_now(SLOT_DURATION)).max(parent_slot + 1);
            // The VRF is the owner's (when the seal is too, only the state root is wrong).
            let authorities = client.aura_authorities(parent).expect("Aura authorities");
            let owner = aura::slot_author(Slot::from(slot), &authorities)
                .expect("the chain has authorities")
                .clone();
            let owner_key = sp_core::crypto::ByteArray::as_slice(&owner).to_vec();
            let owner_pair = dev_key(&owner_key).expect("the slot's owner is a dev account");
            let digest = client
                .pre_digest(parent, Slot::from(slot), &owner_pair)
                .expect("the parent's epoch randomness reads");
            let mut builder = client
                .new_block_builder(parent, digest)
                .expect("a block builder");
            let mut data = sp_inherents::InherentData::new();
            data.put_data(sp_timestamp::INHERENT_IDENTIFIER, &(slot * SLOT_DURATION))
                .expect("the timestamp encodes");
            for xt in builder.create_inherents(&data).expect("inherents") {
                builder.push(xt).expect("the timestamp applies");
            }
            let built = builder.build().expect("the block builds");
            let mut header = built.header;
            match how {
                Forgery::BadStateRoot => {
                    header.state_root = H256::repeat_byte(salt);
                }
                Forgery::WrongAuthor => {
                    // Distinct forgeries: another extrinsics root changes the hash. The
                    // seal check fails before the root would be looked at.
                    header.extrinsics_root = H256::repeat_byte(salt);
                }
            }
            let key = match how {
                Forgery::BadStateRoot => owner_pair,
                Forgery::WrongAuthor => sp_keyring::Sr25519Keyring::iter()
                    .map(|k| k.pair())
                    .find(|p| sp_core::crypto::ByteArray::as_slice(&p.public()) != owner_key)
                    .expect("a dev key that is not the owner"),
            };
            let signature = key.sign(header.hash().as_bytes());
            aura::seal(&mut header, signature.into());
            (header, built.body)
        })
        .await
        .expect("the forgery is made");
        self.chain
            .forged
            .lock()
            .insert(header.hash(), (header.clone(), body));
        header
    }

    /// Announces a (forged) block as the rogue's best.
    pub fn announce(&self, header: &Header) {
        self.network.announce_block(header.clone(), true);
    }
}
