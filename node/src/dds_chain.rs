//! A storage provider's duties on chain (pallet-dds), for nodes started with
//! `--dds-provider` that hold an account key: the keystore's first sr25519 key of type
//! [`DDS_PROVIDER`] (`ddsp`, inserted with `echonet-node key insert --key-type ddsp`), or
//! failing that its first of type `aura` (a validator's session key, as before `ddsp`
//! existed). A validator that provides storage should give it a `ddsp` key of its own: the
//! provider's bond then sits on an account apart from its session key, and rotating session
//! keys does not move the provider's registration.
//!
//! Every few seconds, on the best block, the task:
//! 1. registers the node as a provider (`Dds::register_provider`: the minimum bond,
//!    `--dds-capacity`, this node's peer id) if the chain does not list it;
//! 2. for the content whose manifest this node holds (providers receive every manifest a
//!    put offers them), reads `DdsApi_assignments(cid)`; shards assigned to this node and
//!    not yet confirmed (a new deal, or a reassignment after a provider left or was slashed
//!    out) are fetched from a peer that has them or else rebuilt from any k shards of their
//!    chunk (repair), checked against their segment root, then confirmed
//!    (`Dds::confirm_stored`). Repair is throttled: `--dds-repair-concurrency` shards at
//!    once, `--dds-repair-bandwidth` MiB/s, the chunks with the least redundancy first;
//! 3. answers its open challenges (`DdsApi_challenges`) with the segment and its two
//!    Merkle paths (`Dds::answer_challenge`). A shard it no longer has cannot be proven:
//!    the challenge expires and the provider is slashed.
//!
//! A shard past its confirmation deadline (`ConfirmDeadlines`, the pallet's `confirm_window`)
//! is left out: the chain refuses it (`ConfirmationExpired`) and reassigns it. A refusal
//! fails the whole `confirm_stored` call it is in, so shards within [`TIGHT_DEADLINE`]
//! blocks of their deadline are confirmed in calls of their own, apart from the others of
//! their deal.
//!
//! The calls of one round go in one `Utility::force_batch`, signed with the next nonce; a
//! new round waits until the previous batch is in a block (the account's nonce moved) or
//! 10 rounds passed (a dropped transaction).

use std::{collections::HashSet, sync::Arc, time::Duration};

use codec::{Decode, Encode};
use echonet_client::Client;
use echonet_dds::{remote::Assigned, Cid, Dds};
use echonet_runtime::{AccountId, BlockNumber, Nonce, RuntimeCall};
use sp_core::{
    crypto::{key_types::AURA, KeyTypeId},
    sr25519, H256,
};
use sp_keystore::KeystorePtr;
use sp_runtime::BoundedVec;

/// The key type of a storage provider's account key: preferred to `aura` when the keystore
/// has both.
pub const DDS_PROVIDER: KeyTypeId = KeyTypeId(*b"ddsp");

/// Time between rounds.
const ROUND: Duration = echonet_dds::repair::ROUND;
/// Manifests looked at per round.
const MAX_MANIFESTS: usize = 256;
/// Rounds after which a batch not yet in a block is given up (and its calls redone).
const PATIENCE: u32 = 10;
/// A shard whose confirmation deadline is this close to the best block (in blocks) may be
/// late by the time its transaction is in a block: it is confirmed alone.
const TIGHT_DEADLINE: BlockNumber = 4;

type Challenges = Vec<(
    pallet_dds::ChallengeId,
    [u8; 32],
    pallet_dds::Challenge<AccountId, BlockNumber>,
)>;

/// What the task needs from the node.
pub struct ProviderTask {
    /// The chain.
    pub client: Arc<Client>,
    /// Where its transactions go.
    pub pool: Arc<echonet_txpool::Pool>,
    /// Its account key.
    pub keystore: KeystorePtr,
    /// To gossip its transactions again while they wait (a gossip sent before the
    /// node's gossip mesh formed reaches no author).
    pub network: echonet_network::NetworkHandle,
    /// The store.
    pub dds: Arc<Dds>,
    /// This node's libp2p peer id (registered with the provider).
    pub peer_id: Vec<u8>,
    /// Declared capacity in bytes.
    pub capacity: u64,
    /// Assigned shards fetched or rebuilt at once (`--dds-repair-concurrency`).
    pub repair_concurrency: usize,
    /// Bytes per second fetching and rebuilding may move (`--dds-repair-bandwidth`).
    pub repair_bandwidth: u64,
}

/// An assigned shard to store and confirm.
struct Pending {
    /// Confirmed shards of its chunk beyond k: the lowest is repaired first.
    redundancy: i64,
    deal: pallet_dds::DealId,
    manifest: Arc<echonet_dds::Manifest>,
    shard: u32,
    /// Whether its confirmation deadline is near ([`TIGHT_DEADLINE`]).
    tight: bool,
}

/// The key of pallet-dds' storage item `item` (its `Identity`-hashed map key appended).
fn storage_key(item: &[u8], identity_key: &[u8]) -> Vec<u8> {
    use sp_io::hashing::twox_128;
    [&twox_128(b"Dds")[..], &twox_128(item)[..], identity_key].concat()
}

/// The key of `ConfirmDeadlines(deal, shard)` (two `Twox64Concat` keys).
fn deadline_key(deal: pallet_dds::DealId, shard: u32) -> Vec<u8> {
    use sp_io::hashing::twox_64;
    let (deal, shard) = (deal.encode(), shard.encode());
    let key = [&twox_64(&deal)[..], &deal, &twox_64(&shard)[..], &shard].concat();
    storage_key(b"ConfirmDeadlines", &key)
}

/// Where an unconfirmed shard stands against its confirmation deadline, seen at block
/// `best`: a transaction sent now is in block `best + 1` at the earliest.
#[derive(Debug, PartialEq, Eq)]
enum Deadline {
    /// Too late: the chain would refuse the confirmation.
    Passed,
    /// Within [`TIGHT_DEADLINE`] blocks: confirm it alone.
    Tight,
    /// Time enough (or no deadline).
    Open,
}

fn deadline_status(deadline: Option<BlockNumber>, best: BlockNumber) -> Deadline {
    match deadline {
        Some(d) if d <= best => Deadline::Passed,
        Some(d) if d - best <= TIGHT_DEADLINE => Deadline::Tight,
        _ => Deadline::Open,
    }
}

/// The `confirm_stored` calls for `held` (deal, shard, tight) pairs: per deal one call for
/// the shards with time enough, and one call per shard near its deadline, so that a late
/// shard's refusal takes no other shard with it.
fn confirm_calls(held: Vec<(pallet_dds::DealId, u32, bool)>) -> Vec<RuntimeCall> {
    let mut batches: std::collections::BTreeMap<pallet_dds::DealId, Vec<u32>> = Default::default();
    let mut calls = Vec::new();
    let call = |deal, shards: Vec<u32>| {
        RuntimeCall::Dds(pallet_dds::Call::confirm_stored {
            deal,
            shards: BoundedVec::truncate_from(shards),
        })
    };
    for (deal, shard, tight) in held {
        if tight {
            calls.push(call(deal, vec![shard]));
        } else {
            batches.entry(deal).or_default().push(shard);
        }
    }
    for (deal, shards) in batches {
        tracing::info!(target: "dds", deal, shards = shards.len(), "📦 Confirming stored shards");
        calls.push(call(deal, shards));
    }
    calls
}

/// The holders the chain assigned `cid`'s shards to (`DdsApi_assignments` at the best
/// block), by the libp2p peer id each provider registered, confirmed holders first; shards
/// without a provider or peer id are left out. What a get asks first (echonet-dds'
/// `Transport::assigned`). Blocking: reads the chain.
pub fn assigned_holders(client: &Client, cid: &Cid) -> anyhow::Result<Vec<Assigned>> {
    let best = client.info().best_hash;
    let bytes = client.call(best, "DdsApi_assignments", &cid.0.encode())?;
    let mut holders = Vec::<pallet_dds::ShardHolder<AccountId>>::decode(&mut &bytes[..])?;
    holders.sort_by_key(|h| !h.confirmed);
    Ok(holders
        .into_iter()
        .filter(|h| h.provider.is_some() && !h.peer_id.is_empty())
        .map(|h| Assigned {
            shard: h.shard,
            peer: h.peer_id,
        })
        .collect())
}

/// A key type's four characters, for logs (`ddsp`, `aura`).
fn key_type_name(key_type: KeyTypeId) -> String {
    String::from_utf8_lossy(&key_type.0).into_owned()
}

/// A provider's account key: its type in the keystore and its public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountKey {
    /// [`DDS_PROVIDER`] or `aura`.
    pub key_type: KeyTypeId,
    /// The account (an sr25519 public key).
    pub public: sr25519::Public,
}

/// The account key, if the keystore has one: the first `ddsp` key, else the first `aura`
/// key.
pub fn account_key(keystore: &KeystorePtr) -> Option<AccountKey> {
    [DDS_PROVIDER, AURA].into_iter().find_map(|key_type| {
        let public = keystore.sr25519_public_keys(key_type).into_iter().next()?;
        Some(AccountKey { key_type, public })
    })
}

impl ProviderTask {
    fn call<R: Decode>(&self, at: H256, method: &str, args: &[u8]) -> anyhow::Result<R> {
        let bytes = self.client.call(at, method, args)?;
        Ok(R::decode(&mut &bytes[..])?)
    }

    fn storage<R: Decode>(&self, at: H256, key: &[u8]) -> anyhow::Result<Option<R>> {
        match self.client.storage(at, key)? {
            Some(bytes) => Ok(Some(R::decode(&mut &bytes[..])?)),
            None => Ok(None),
        }
    }

    /// The calls this round needs (blocking: reads the chain and the store, may fetch).
    fn round(
        &self,
        who: &AccountId,
        answered: &mut HashSet<u64>,
    ) -> anyhow::Result<Vec<RuntimeCall>> {
        let info = self.client.info();
        let (best, best_number) = (info.best_hash, info.best_number);
        let mut calls = Vec::new();
        let providers: Vec<pallet_dds::ProviderInfo<AccountId>> =
            self.call(best, "DdsApi_providers", &[])?;
        if !providers.iter().any(|p| &p.who == who) {
            let params: pallet_dds::ParamsOf<echonet_runtime::Runtime> = self
                .storage(best, &storage_key(b"ActiveParams", &[]))?
                .unwrap_or_default();
            tracing::info!(target: "dds", "📦 Registering as a storage provider ({} bytes)", self.capacity);
            calls.push(RuntimeCall::Dds(pallet_dds::Call::register_provider {
                bond: params.min_bond,
                capacity: self.capacity,
                peer_id: BoundedVec::truncate_from(self.peer_id.clone()),
                addresses: BoundedVec::new(),
                operator: None,
            }));
            return Ok(calls);
        }

        // Shards assigned here and not confirmed: new deals, and reassignments after a
        // provider left or was slashed out (`ShardReassigned`), which need repair.
        let mut pending: Vec<Pending> = Vec::new();
        for cid in self.dds.store().manifests(MAX_MANIFESTS) {
            let holders: Vec<pallet_dds::ShardHolder<AccountId>> =
                self.call(best, "DdsApi_assignments", &cid.0.encode())?;
            if !holders
                .iter()
                .any(|h| h.provider.as_ref() == Some(who) && !h.confirmed)
            {
                continue;
            }
            let Some(deal) =
                self.storage::<pallet_dds::DealId>(best, &storage_key(b"DealByCid", &cid.0))?
            else {
                continue;
            };
            let manifest = Arc::new(self.dds.manifest(&cid)?);
            let per = manifest.params().shards_per_chunk() as u32;
            let k = i64::from(manifest.layout().k());
            for h in holders
                .iter()
                .filter(|h| h.provider.as_ref() == Some(who) && !h.confirmed)
            {
                let chunk = h.shard / per.max(1);
                let deadline: Option<BlockNumber> =
                    self.storage(best, &deadline_key(deal, h.shard))?;
                let tight = match deadline_status(deadline, best_number) {
                    Deadline::Passed => {
                        tracing::debug!(target: "dds", deal, shard = h.shard, "past its confirmation deadline: left to the chain to reassign");
                        continue;
                    }
                    Deadline::Tight => true,
                    Deadline::Open => false,
                };
                let confirmed = holders
                    .iter()
                    .filter(|o| o.shard / per.max(1) == chunk && o.confirmed)
                    .count() as i64;
                pending.push(Pending {
                    redundancy: confirmed - k,
                    deal,
                    manifest: manifest.clone(),
                    shard: h.shard,
                    tight,
                });
            }
        }
        // Least redundancy first, within the repair caps.
        pending.sort_by_key(|p| p.redundancy);
        calls.extend(confirm_calls(self.repair(pending)));

        let challenges: Challenges = self.call(best, "DdsApi_challenges", &who.encode())?;
        for (id, cid, challenge) in challenges {
            if answered.contains(&id) || challenge.status != pallet_dds::ChallengeStatus::Open {
                continue;
            }
            match self.prove(&Cid(cid), &challenge) {
                Some(call) => {
                    answered.insert(id);
                    calls.push(call(id));
                }
                None => {
                    tracing::warn!(target: "dds", cid = %Cid(cid), shard = challenge.shard, "⚠️ Cannot answer a storage challenge: shard missing")
                }
            }
        }
        Ok(calls)
    }

    /// Stores the `pending` shards (in order) that are here, can be fetched, or rebuilt:
    /// `repair_concurrency` at a time, until this round's share of `repair_bandwidth` is
    /// spent. Returns the (deal, shard, tight deadline) of the shards now held.
    fn repair(&self, pending: Vec<Pending>) -> Vec<(pallet_dds::DealId, u32, bool)> {
        let throttle = echonet_dds::repair::Throttle::per_round(
            self.repair_concurrency,
            self.repair_bandwidth,
            ROUND,
        );
        let pending = pending
            .into_iter()
            .map(|p| (p.manifest, p.shard, (p.deal, p.shard, p.tight)))
            .collect();
        echonet_dds::repair::repair_round(&self.dds, pending, &throttle)
    }

    /// The answer to `challenge`, if the shard is here.
    fn prove(
        &self,
        cid: &Cid,
        challenge: &pallet_dds::Challenge<AccountId, BlockNumber>,
    ) -> Option<impl FnOnce(pallet_dds::ChallengeId) -> RuntimeCall> {
        let manifest = self.dds.manifest(cid).ok()?;
        let root = manifest.segment_roots().get(challenge.shard as usize)?;
        let shard = self.dds.store().get_shard(root).ok()??;
        let (segment, segment_path) =
            echonet_dds_primitives::segment_proof(&shard, challenge.segment)?;
        let shard_path =
            echonet_dds_primitives::content_path(manifest.segment_roots(), challenge.shard)?;
        Some(move |id| {
            RuntimeCall::Dds(pallet_dds::Call::answer_challenge {
                id,
                segment: BoundedVec::truncate_from(segment),
                segment_path: BoundedVec::truncate_from(segment_path),
                shard_path: BoundedVec::truncate_from(shard_path),
            })
        })
    }

    fn nonce(&self, who: &AccountId) -> anyhow::Result<Nonce> {
        let best = self.client.info().best_hash;
        self.call(best, "AccountNonceApi_account_nonce", &who.encode())
    }

    /// `calls` in one `force_batch`, signed by `key` with `nonce`.
    fn sign(
        &self,
        key: &AccountKey,
        calls: Vec<RuntimeCall>,
        nonce: Nonce,
    ) -> anyhow::Result<Vec<u8>> {
        use echonet_runtime::{
            extrinsics::tx_extension, Address, Signature, SignedPayload, UncheckedExtrinsic,
            VERSION,
        };
        let call = RuntimeCall::Utility(pallet_utility::Call::force_batch { calls });
        let genesis = self.client.info().genesis_hash;
        let extension = tx_extension(nonce, 0);
        let implicit = (
            (),
            VERSION.spec_version,
            VERSION.transaction_version,
            genesis,
            genesis,
            (),
            (),
            (),
        );
        let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
        let signature = payload
            .using_encoded(|bytes| self.keystore.sr25519_sign(key.key_type, &key.public, bytes))?
            .ok_or_else(|| anyhow::anyhow!("the keystore lost the account key"))?;
        let who: AccountId = key.public.into();
        Ok(UncheckedExtrinsic::new_signed(
            call,
            Address::Id(who),
            Signature::from(signature),
            extension,
        )
        .encode())
    }

    /// Runs until `shutdown`.
    pub async fn run(self, key: AccountKey, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let this = Arc::new(self);
        let who: AccountId = key.public.into();
        tracing::info!(target: "dds", "📦 Provider duties as {who} (its {} key)", key_type_name(key.key_type));
        let mut tick = tokio::time::interval(ROUND);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut answered: HashSet<u64> = HashSet::new();
        // Our batch in flight: its nonce, rounds waited for it, and its bytes.
        let mut in_flight: Option<(Nonce, u32, Vec<u8>)> = None;
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                _ = tick.tick() => {}
            }
            let task = this.clone();
            let who2 = who.clone();
            let mut seen = std::mem::take(&mut answered);
            let work = tokio::task::spawn_blocking(move || {
                let nonce = task.nonce(&who2);
                let calls = task.round(&who2, &mut seen);
                (nonce, calls, seen)
            })
            .await;
            let Ok((nonce, calls, seen)) = work else {
                continue;
            };
            answered = seen;
            let nonce = match nonce {
                Ok(n) => n,
                Err(e) => {
                    tracing::debug!(target: "dds", error = %e, "reading the account nonce");
                    continue;
                }
            };
            if let Some((sent, waited, xt)) = in_flight.take() {
                if nonce <= sent && waited < PATIENCE {
                    if waited % 2 == 1 {
                        this.network.propagate_transactions(vec![xt.clone()]);
                    }
                    in_flight = Some((sent, waited + 1, xt));
                    continue;
                }
                if nonce <= sent {
                    // Dropped: answer its challenges again.
                    answered.clear();
                }
            }
            let calls = match calls {
                Ok(calls) if !calls.is_empty() => calls,
                Ok(_) => continue,
                Err(e) => {
                    tracing::debug!(target: "dds", error = %e, "provider round");
                    continue;
                }
            };
            // Past any transaction of this account already in the pool (another task's, or
            // an operator's), so that ours does not collide with it.
            let nonce = this.pool.next_nonce_hint(&who, nonce);
            let xt = match this.sign(&key, calls, nonce) {
                Ok(xt) => xt,
                Err(e) => {
                    tracing::warn!(target: "dds", error = %e, "signing a provider transaction");
                    continue;
                }
            };
            match this.pool.submit_one(xt.clone()).await {
                Ok(_) => in_flight = Some((nonce, 0, xt)),
                Err(e) => {
                    tracing::warn!(target: "dds", error = %e, "submitting a provider transaction")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sp_core::Pair as _;

    #[test]
    fn the_account_key_is_the_ddsp_key_if_any_else_the_aura_key() {
        let store = crate::keystore::FileKeystore::in_memory();
        let keystore: KeystorePtr = store.clone();
        assert_eq!(account_key(&keystore), None, "an empty keystore has none");

        let aura = store.insert_suri::<sr25519::Pair>(AURA, "//Alice").unwrap();
        assert_eq!(
            account_key(&keystore),
            Some(AccountKey {
                key_type: AURA,
                public: aura
            }),
            "a validator's session key serves when there is no ddsp key"
        );

        let ddsp = store
            .insert_suri::<sr25519::Pair>(DDS_PROVIDER, "//Ferdie")
            .unwrap();
        let key = account_key(&keystore).unwrap();
        assert_eq!(
            key,
            AccountKey {
                key_type: DDS_PROVIDER,
                public: ddsp
            },
            "the ddsp key wins over the aura key"
        );
        assert_eq!(
            ddsp,
            sr25519::Pair::from_string("//Ferdie", None)
                .unwrap()
                .public()
        );

        // The key signs under its own type: a signature with the aura type would find no
        // such key.
        let msg = b"a provider's batch";
        let sig = keystore
            .sr25519_sign(key.key_type, &key.public, msg)
            .unwrap()
            .expect("the keystore signs with the ddsp key");
        assert!(sr25519::Pair::verify(&sig, msg, &key.public));
        assert!(keystore
            .sr25519_sign(AURA, &key.public, msg)
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_deadline_key_is_the_pallets() {
        for (deal, shard) in [(0u64, 0u32), (7, 5), (u64::MAX, u32::MAX)] {
            assert_eq!(
                deadline_key(deal, shard),
                pallet_dds::ConfirmDeadlines::<echonet_runtime::Runtime>::hashed_key_for(
                    deal, shard
                )
            );
        }
    }

    #[test]
    fn a_shard_at_or_past_its_deadline_is_left_out_and_a_near_one_is_tight() {
        // A transaction sent at best block 100 is in block 101 at the earliest.
        assert_eq!(deadline_status(Some(99), 100), Deadline::Passed);
        assert_eq!(deadline_status(Some(100), 100), Deadline::Passed);
        assert_eq!(deadline_status(Some(101), 100), Deadline::Tight);
        assert_eq!(
            deadline_status(Some(100 + TIGHT_DEADLINE), 100),
            Deadline::Tight
        );
        assert_eq!(
            deadline_status(Some(101 + TIGHT_DEADLINE), 100),
            Deadline::Open
        );
        assert_eq!(deadline_status(None, 100), Deadline::Open);
        assert_eq!(
            deadline_status(Some(u32::MAX), u32::MAX - 1),
            Deadline::Tight
        );
    }

    #[test]
    fn tight_shards_are_confirmed_alone_and_the_others_per_deal() {
        let calls = confirm_calls(vec![
            (1, 0, false),
            (1, 3, true),
            (2, 4, false),
            (1, 5, false),
            (2, 1, true),
        ]);
        let got: Vec<(u64, Vec<u32>)> = calls
            .into_iter()
            .map(|c| match c {
                RuntimeCall::Dds(pallet_dds::Call::confirm_stored { deal, shards }) => {
                    (deal, shards.into_inner())
                }
                other => panic!("not a confirmation: {other:?}"),
            })
            .collect();
        assert_eq!(
            got,
            vec![(1, vec![3]), (2, vec![1]), (1, vec![0, 5]), (2, vec![4])]
        );
    }
}
