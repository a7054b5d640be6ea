//! A rogue peer: a real EchoNet network node (crate `echonet-network`, in the test process)
//! over its own copy of a chain, that serves and announces blocks it forged, serves
//! justifications it forged, lies about its best block and withholds the blocks it claims,
//! or replays the GRANDPA votes it hears. It speaks the protocols correctly; only its
//! blocks, its word or the worth of its gossip are wrong.

use crate::within;
use codec::{Decode, Encode};
use echonet_client::{BlockOrigin, ChainSpec, Client, ClientConfig, ImportBlock};
use echonet_consensus::aura::AuraVerifier;
use echonet_finality::messages::{GossipMessage, SignedMessage};
use echonet_network::{
    BlockFields, BlockId, BlockRequest, Direction, Keypair, MessageValidity, Multiaddr,
    NetworkConfig, NetworkEvent, NetworkHandle, PeerId,
};
use echonet_runtime::Header;
use echonet_test_utils::{current_slot, dev_keys, slot_of, ForgingChain, NewBlock};
use parking_lot::Mutex;
use sp_core::{crypto::ByteArray, Pair, H256};
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

/// How a forged block is wrong.
#[derive(Debug, Clone, Copy)]
pub enum Forgery {
    /// Sealed by the slot's owner, but the state root in the header is not the one its
    /// execution gives.
    BadStateRoot,
    /// Sealed by a key that does not own the slot.
    WrongAuthor,
}

/// The rogue peer. Dropping it stops its network.
pub struct Rogue {
    /// The rogue's network, for requests a test makes as the rogue beyond its helpers.
    pub network: NetworkHandle,
    /// The rogue's identity, as the node under test sees it (in `system_peers`, in its
    /// logs when it penalises or bans the rogue).
    pub peer_id: PeerId,
    chain: Arc<ForgingChain>,
    votes: Arc<Mutex<HeardVotes>>,
    _dir: tempfile::TempDir,
}

/// The GRANDPA votes the rogue heard, by (set id, round); only the latest rounds are kept.
#[derive(Default)]
struct HeardVotes {
    rounds: BTreeMap<(u64, u64), Vec<SignedMessage>>,
}

/// Rounds of heard votes kept.
const HEARD_ROUNDS: usize = 4;

impl HeardVotes {
    fn note(&mut self, data: &[u8]) {
        let Ok(GossipMessage::Vote {
            round,
            set_id,
            message,
        }) = GossipMessage::decode(&mut &data[..])
        else {
            return;
        };
        let votes = self.rounds.entry((set_id, round)).or_default();
        if !votes.contains(&message) {
            votes.push(message);
        }
        while self.rounds.len() > HEARD_ROUNDS {
            self.rounds.pop_first();
        }
    }

    /// The latest round heard: its set id, number and votes.
    fn latest(&self) -> Option<(u64, u64, Vec<SignedMessage>)> {
        self.rounds
            .iter()
            .next_back()
            .map(|((set_id, round), votes)| (*set_id, *round, votes.clone()))
    }
}

/// A running replay of GRANDPA votes (see [`Rogue::replay_votes`]). Dropping it stops it.
pub struct VoteReplay {
    sent: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl VoteReplay {
    /// How many replayed messages the rogue has gossiped so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
}

impl Drop for VoteReplay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Rogue {
    /// A rogue of chain `spec` that dials `target` (a `/p2p/` multiaddr).
    pub async fn connect(spec: ChainSpec, target: &str) -> Rogue {
        Self::start(spec, &[target], None).await
    }

    /// A rogue of chain `spec` that dials every one of `targets` (`/p2p/` multiaddrs).
    pub async fn connect_to(spec: ChainSpec, targets: &[String]) -> Rogue {
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        Self::start(spec, &targets, None).await
    }

    /// A rogue of chain `spec` that dials every one of `targets`, says in its handshakes
    /// that its best block is #`claimed_best`, and never serves a block: its first block
    /// requests get no answer (the requester times out), later ones are refused as busy.
    /// Its own chain is only the genesis block.
    pub async fn connect_lying(spec: ChainSpec, targets: &[&str], claimed_best: u32) -> Rogue {
        Self::start(spec, targets, Some(claimed_best)).await
    }

    async fn start(spec: ChainSpec, targets: &[&str], claimed_best: Option<u32>) -> Rogue {
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
        let chain = Arc::new(ForgingChain::new(client.clone()));
        if claimed_best.is_some() {
            chain.claim_best_number(claimed_best);
            chain.withhold_blocks(true);
        }
        let mut config =
            NetworkConfig::new(client.info().genesis_hash, Keypair::generate_ed25519());
        config.listen_addresses = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a multiaddr")];
        config.boot_nodes = targets
            .iter()
            .map(|t| t.parse::<Multiaddr>().expect("the target is a multiaddr"))
            .collect();
        config.node_name = "rogue".into();
        let (network, mut events, _task) = echonet_network::start(config, chain.clone(), None)
            .await
            .expect("the rogue's network starts");
        // The events must be drained; the rogue keeps only the GRANDPA votes it hears, for
        // [`Rogue::replay_votes`], and forwards no gossip.
        let votes = Arc::new(Mutex::new(HeardVotes::default()));
        let heard = votes.clone();
        let reporter = network.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if let NetworkEvent::Finality {
                    peer,
                    data,
                    message_id,
                } = event
                {
                    heard.lock().note(&data);
                    reporter.report_message(message_id, peer, MessageValidity::Ignore);
                }
            }
        });
        Rogue {
            peer_id: network.local_peer_id(),
            network,
            chain,
            votes,
            _dir: dir,
        }
    }

    /// Waits until the rogue has heard GRANDPA votes of a round, and returns how many it
    /// heard in the latest one.
    pub async fn wait_heard_votes(&self, limit: Duration) -> usize {
        within(limit, "GRANDPA votes heard by the rogue", async {
            loop {
                if let Some((_, _, votes)) = self.votes.lock().latest() {
                    return votes.len();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
    }

    /// Replays the real GRANDPA votes the rogue hears, at `per_second` messages a second,
    /// until the returned [`VoteReplay`] is dropped. Each message is a `RoundVotes` of the
    /// latest round heard, filled to the most votes a message may carry (`6 * voters`, by
    /// repeating that round's votes) and made a distinct gossip message by a fresh nonce.
    pub fn replay_votes(&self, per_second: u32, voters: usize) -> VoteReplay {
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let heard = self.votes.clone();
        let network = self.network.clone();
        let task = tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // At most 100 ms worth at once: a rogue starved of CPU for a while does not
            // burst above the gossip rate afterwards (the network would throttle it, and
            // GRANDPA would not see those messages).
            let burst = u64::from(per_second / 10).max(1);
            let mut nonce = 0u64;
            let mut forgiven = 0u64;
            loop {
                tick.tick().await;
                let Some((set_id, round, votes)) = heard.lock().latest() else {
                    continue;
                };
                let mut due = ((start.elapsed().as_secs_f64() * f64::from(per_second)) as u64)
                    .saturating_sub(forgiven);
                if due > nonce + burst {
                    forgiven += due - nonce - burst;
                    due = nonce + burst;
                }
                while nonce < due {
                    nonce += 1;
                    let message = GossipMessage::RoundVotes {
                        round,
                        set_id,
                        votes: votes.iter().cycle().take(6 * voters).cloned().collect(),
                        nonce,
                    };
                    network.gossip_finality(message.encode());
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        VoteReplay { sent, task }
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
        let client = self.chain.client().clone();
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
        let client = self.chain.client().clone();
        let (header, body) = tokio::task::spawn_blocking(move || {
            let parent = client.info().best_hash;
            let parent_header = client
                .header(parent)
                .expect("the rogue's database reads")
                .expect("the best block has a header");
            let parent_slot = if parent_header.number == 0 {
                0
            } else {
                slot_of(&parent_header).expect("the parent has a slot")
            };
            // Now, or just after the parent: never more than one slot ahead of the clock.
            let slot = current_slot().max(parent_slot + 1);
            // The VRF is the owner's (when the seal is too, only the state root is wrong).
            let mut block = NewBlock::new(&client, slot).on(parent).build();
            match how {
                Forgery::BadStateRoot => {
                    block.header.state_root = H256::repeat_byte(salt);
                }
                Forgery::WrongAuthor => {
                    // Distinct forgeries: another extrinsics root changes the hash. The
                    // seal check fails before the root would be looked at.
                    block.header.extrinsics_root = H256::repeat_byte(salt);
                }
            }
            let key = match how {
                Forgery::BadStateRoot => block.author.clone(),
                Forgery::WrongAuthor => dev_keys()
                    .into_iter()
                    .find(|p| p.public().as_slice() != block.author.public().as_slice())
                    .expect("a dev key that is not the owner"),
            };
            let block = block.seal_with(&key);
            (block.header, block.body)
        })
        .await
        .expect("the forgery is made");
        self.chain.forge(header.clone(), body);
        header
    }

    /// From now on serves, as the justification of every block it is asked for, a
    /// GRANDPA justification that is not even one (undecodable bytes).
    pub fn serve_garbage_justifications(&self) {
        self.chain
            .forge_justifications(Some(sp_runtime::Justifications::from((
                *b"FRNK",
                b"not a justification".to_vec(),
            ))));
    }

    /// Announces a (forged) block as the rogue's best.
    pub fn announce(&self, header: &Header) {
        self.network.announce_block(header.clone(), true);
    }

    /// Announces, as its best, a header one above the highest best block its peers have
    /// shown it, on a parent nobody has (so that no one can check its seal without asking
    /// the rogue for its ancestors). `salt` makes announcements differ. Returns its number.
    pub async fn announce_one_ahead(&self, salt: u8) -> u32 {
        let top = self
            .network
            .peers()
            .await
            .iter()
            .map(|p| p.status.best_number)
            .max()
            .unwrap_or(0);
        let header = <Header as sp_runtime::traits::Header>::new(
            top + 1,
            H256::repeat_byte(salt),
            H256::repeat_byte(salt),
            H256::random(),
            Default::default(),
        );
        self.announce(&header);
        top + 1
    }
}

impl Drop for Rogue {
    fn drop(&mut self) {
        // Held requests end now rather than at their own deadline.
        self.chain.withhold_blocks(false);
    }
}
