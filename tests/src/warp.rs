//! Warp sync fixtures: a dev chain built offline with GRANDPA authority-set hand-offs
//! finalized by real justifications (through the finality gadget's own import path, so the
//! hand-off record warp proofs are served from is the one a live node writes), and a rogue
//! warp server that serves forged hand-off proofs or state chunks that fail their proofs.

use crate::offline::db_path;
use codec::Encode;
use echonet_client::{ChainSpec, Client, ClientConfig};
use echonet_consensus::aura::AuraVerifier;
use echonet_finality::{
    FinalityNetwork, GrandpaConfig, GrandpaParams, Justification, MessageVerdict,
};
use echonet_network::{
    BlockData, BlockRequest, ChainProvider, Keypair, Multiaddr, NetworkConfig, NetworkHandle,
    PeerId, StateChunk, StateRequest, Status, WarpProof, WarpProofRequest,
};
use echonet_runtime::RuntimeCall;
use echonet_sync::ClientChain;
use echonet_test_utils::{past_slot, NewBlock};
use finality_grandpa::{Message, Precommit, SignedPrecommit};
use sp_core::{crypto::Pair as _, H256};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{Justifications, OpaqueExtrinsic};
use std::{path::Path, sync::Arc, time::Duration};

/// One hand-off of a built chain: at block `at` the set hands over to `next` alone,
/// signalled `delay` blocks before.
#[derive(Debug, Clone, Copy)]
pub struct HandOff {
    /// The hand-off block (the change's effective block).
    pub at: u32,
    /// Blocks between the signal and the hand-off.
    pub delay: u32,
    /// The only voter of the next set.
    pub next: Ed25519Keyring,
}

struct Nowhere;

impl FinalityNetwork for Nowhere {
    type Peer = ();
    type MessageId = u64;
    fn gossip(&self, _data: Vec<u8>) {}
    fn report(&self, _peer: (), _id: u64, _verdict: MessageVerdict) {}
}

/// The sudo extrinsic that makes pallet-grandpa signal a change to `next` at `signal_at`,
/// taking effect `delay` blocks later, as set `set_id` (what a session rotation does).
fn schedule_change(
    genesis: H256,
    nonce: u32,
    signal_at: u32,
    delay: u32,
    next: Ed25519Keyring,
    set_id: u64,
) -> OpaqueExtrinsic {
    let next: Vec<(sp_consensus_grandpa::AuthorityId, u64)> = vec![(next.public().into(), 1)];
    let set_id_key = [
        sp_io::hashing::twox_128(b"Grandpa"),
        sp_io::hashing::twox_128(b"CurrentSetId"),
    ]
    .concat();
    let items = vec![
        (
            echonet_finality::authorities::pending_change_key(),
            (signal_at, delay, next, Option::<u32>::None).encode(),
        ),
        (set_id_key, set_id.encode()),
    ];
    let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo {
        call: Box::new(RuntimeCall::System(frame_system::Call::set_storage {
            items,
        })),
    });
    let xt =
        echonet_runtime::extrinsics::signed(call, &Sr25519Keyring::Alice.pair(), nonce, 0, genesis);
    OpaqueExtrinsic::try_from_encoded_extrinsic(&xt.encode()).expect("an extrinsic's bytes")
}

/// A justification of block `number` by `signer` alone, as the voter of set `set_id`.
fn justification_by(signer: Ed25519Keyring, set_id: u64, hash: H256, number: u32) -> Vec<u8> {
    let round = 1;
    let precommit = Precommit::new(hash, number);
    let payload = sp_consensus_grandpa::localized_payload(
        round,
        set_id,
        &Message::<H256, u32>::Precommit(precommit.clone()),
    );
    Justification {
        round,
        commit: finality_grandpa::Commit {
            target_hash: hash,
            target_number: number,
            precommits: vec![SignedPrecommit {
                precommit,
                signature: signer.pair().sign(&payload).into(),
                id: signer.public().into(),
            }],
        },
        votes_ancestries: vec![],
    }
    .encode()
}

/// Builds the dev chain (Alice authors; GRANDPA set 0 = {Alice}) to `blocks` blocks in
/// `base`'s database, with `hand_offs` (in increasing order, each at least `delay + 2`
/// after the one before), each hand-off block finalized by the justification of the set
/// that hands over, and the last block by the last set. Returns the last block's hash.
/// Blocking.
pub fn build_dev_chain_with_hand_offs(base: &Path, blocks: u32, hand_offs: &[HandOff]) -> H256 {
    let spec = ChainSpec::development().expect("the dev chain spec");
    build_chain_with_hand_offs(base, &spec, blocks, hand_offs)
}

/// The dev chain spec with `accounts` more endowed accounts in its genesis (about 160
/// bytes of state each), for a state that takes several chunks.
pub fn dev_spec_with_accounts(accounts: u64) -> ChainSpec {
    use echonet_client::chain_spec::{Genesis, RuntimeGenesis};
    use sp_core::crypto::Ss58Codec;
    let mut spec = ChainSpec::development().expect("the dev chain spec");
    let Genesis::RuntimeGenesis(RuntimeGenesis::Patch(patch)) = &mut spec.genesis else {
        panic!("the dev spec is a genesis patch");
    };
    let balances = patch
        .pointer_mut("/balances/balances")
        .and_then(|b| b.as_array_mut())
        .expect("the dev preset's balances");
    for i in 0..accounts {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&i.to_le_bytes());
        seed[8] = 0xe2;
        let account = sp_core::sr25519::Pair::from_seed(&seed).public();
        balances.push(serde_json::json!([
            account.to_ss58check(),
            1_000_000_000_000u128
        ]));
    }
    spec
}

/// [`build_dev_chain_with_hand_offs`] for a spec derived from the dev chain's (same
/// authorities and sudo).
pub fn build_chain_with_hand_offs(
    base: &Path,
    spec: &ChainSpec,
    blocks: u32,
    hand_offs: &[HandOff],
) -> H256 {
    let spec = spec.clone();
    let client = Client::open(
        ClientConfig::new(db_path(base, &spec)),
        &spec,
        Arc::new(AuraVerifier::default()),
    )
    .unwrap_or_else(|e| panic!("cannot open the chain database under {base:?}: {e}"));
    let genesis = client.info().genesis_hash;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the finality gadget");
    let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
    let (_inbox, incoming) = tokio::sync::mpsc::channel(16);
    let grandpa = runtime
        .block_on(echonet_finality::start(GrandpaParams {
            client: client.clone(),
            keystore: Arc::new(sp_keystore::testing::MemoryKeystore::new()),
            network: Arc::new(Nowhere),
            incoming,
            reporter: None,
            metrics_registry: None,
            shutdown: shutdown_rx,
            config: GrandpaConfig {
                gossip_duration: Duration::from_millis(100),
                equivocate: false,
            },
        }))
        .expect("the finality gadget starts");
    let first = past_slot(u64::from(blocks) + 5);
    let mut signer = Ed25519Keyring::Alice;
    let mut nonce = 0;
    let keys = [Sr25519Keyring::Alice.pair()];
    for number in 1..=blocks {
        let mut xts = Vec::new();
        for (i, h) in hand_offs.iter().enumerate() {
            // Signalled in block `at - delay`: the sudo call goes in the block before.
            if h.at - h.delay == number + 1 {
                xts.push(schedule_change(
                    genesis,
                    nonce,
                    h.at - h.delay,
                    h.delay,
                    h.next,
                    i as u64 + 1,
                ));
                nonce += 1;
            }
        }
        let hash = NewBlock::new(&client, first + u64::from(number - 1))
            .by_owner_among(&keys)
            .with(xts)
            .import();
        let set_id = hand_offs.iter().filter(|h| h.at < number).count() as u64;
        if let Some(h) = hand_offs.iter().find(|h| h.at == number) {
            grandpa
                .import_justification_blocking(hash, justification_by(signer, set_id, hash, number))
                .expect("the hand-off's justification imports");
            signer = h.next;
        } else if number == blocks {
            grandpa
                .import_justification_blocking(hash, justification_by(signer, set_id, hash, number))
                .expect("the last block's justification imports");
        }
    }
    shutdown.send_replace(true);
    runtime.block_on(async {
        let _ = tokio::time::timeout(Duration::from_secs(10), grandpa.stopped()).await;
    });
    client.flush().expect("the database flushes");
    client.info().best_hash
}

/// Copies a directory tree (a node's closed database, for a rogue's copy of the chain).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy's directory");
    for entry in std::fs::read_dir(from).expect("read the directory") {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// How a rogue warp server lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarpLie {
    /// Its hand-off proofs carry a justification with a broken signature.
    ForgedProof,
    /// Its proofs are honest; its state chunks prove nothing against the state root
    /// (the root node is left out).
    BadStateChunk,
}

/// A chain provider over a copy of a chain that lies the way it is told, and claims a
/// finalized block far ahead so that a warping node asks it first (the forger before the
/// chunk spoiler).
struct LyingChain {
    inner: ClientChain,
    lie: WarpLie,
}

impl ChainProvider for LyingChain {
    fn status(&self) -> Status {
        // The forger first, then the chunk spoiler, then honest peers.
        let ahead = match self.lie {
            WarpLie::ForgedProof => 20_000,
            WarpLie::BadStateChunk => 10_000,
        };
        let mut status = self.inner.status();
        status.finalized_number = status.finalized_number.saturating_add(ahead);
        status
    }
    fn blocks(&self, request: &BlockRequest) -> Vec<BlockData> {
        self.inner.blocks(request)
    }
    fn justification(&self, hash: H256) -> Option<Justifications> {
        self.inner.justification(hash)
    }
    fn warp_proof(&self, request: &WarpProofRequest) -> Option<WarpProof> {
        let mut proof = self.inner.warp_proof(request)?;
        if self.lie == WarpLie::ForgedProof {
            if let Some(fragment) = proof.fragments.first_mut() {
                // The signature is the 64 bytes before the signer's 32-byte id at the
                // end of the first precommit; flip a byte in it.
                let len = fragment.justification.len();
                if let Some(byte) = fragment.justification.get_mut(len.saturating_sub(60)) {
                    *byte ^= 0xff;
                }
            }
        }
        Some(proof)
    }
    fn state_chunk(&self, request: &StateRequest) -> Option<StateChunk> {
        let mut chunk = self.inner.state_chunk(request)?;
        if self.lie == WarpLie::BadStateChunk {
            let root = self
                .inner
                .0
                .header(request.block)
                .ok()
                .flatten()
                .map(|h| h.state_root)?;
            chunk.proof.retain(|node| {
                <sp_runtime::traits::BlakeTwo256 as sp_core::Hasher>::hash(node) != root
            });
        }
        Some(chunk)
    }
}

/// A rogue warp server running in the test process over a copy of a chain's database.
pub struct WarpRogue {
    /// Its network; keep it alive for as long as the rogue should run.
    pub network: NetworkHandle,
    /// Its identity, as the node under test logs it.
    pub peer_id: PeerId,
    /// Where it listens (a `/p2p/` multiaddr for `--bootnodes`).
    pub address: String,
}

impl WarpRogue {
    /// Starts a rogue over the dev chain database under `base` (a copy: the rogue holds it
    /// open), dialing `boot_nodes` (multiaddrs with `/p2p/`).
    pub async fn start(base: &Path, lie: WarpLie, boot_nodes: &[String]) -> WarpRogue {
        let spec = ChainSpec::development().expect("the dev chain spec");
        let db = db_path(base, &spec);
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
        let mut config =
            NetworkConfig::new(client.info().genesis_hash, Keypair::generate_ed25519());
        config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0"
            .parse::<Multiaddr>()
            .expect("a multiaddr")];
        config.node_name = "warp-rogue".into();
        config.boot_nodes = boot_nodes
            .iter()
            .map(|a| a.parse::<Multiaddr>().expect("a boot node multiaddr"))
            .collect();
        let chain = Arc::new(LyingChain {
            inner: ClientChain(client),
            lie,
        });
        let (network, mut events, _task) = echonet_network::start(config, chain, None)
            .await
            .expect("the rogue's network starts");
        tokio::spawn(async move { while events.recv().await.is_some() {} });
        let address = crate::within(Duration::from_secs(10), "the rogue listens", async {
            loop {
                if let Some(a) = network.listen_addresses().await.into_iter().next() {
                    return a.to_string();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        WarpRogue {
            peer_id: network.local_peer_id(),
            network,
            address,
        }
    }
}
