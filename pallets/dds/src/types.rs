//! The types the pallet stores and takes as call arguments, and the pure placement function
//! that clients can recompute.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use echonet_dds_primitives::{placement_key, xor_distance, Hash, Layout, ManifestHeader};
use frame_support::__private::serde;
use frame_support::{pallet_prelude::*, BoundedVec};
use scale_info::TypeInfo;
use sp_runtime::{traits::AtLeast32BitUnsigned, Perbill};

/// A deal, numbered from 0 in opening order.
pub type DealId = u64;
/// A challenge, numbered from 0 in issue order.
pub type ChallengeId = u64;
/// A challenge epoch, counted from 0 at genesis.
pub type EpochIndex = u32;
/// A shard of a deal's content, in the layout's order (chunk 0 shards `0..k+m`, …).
pub type ShardIndex = u32;

/// Reputation points (`Role::StorageProvider`) given and taken.
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct ReputationPoints {
    /// Gain for a challenge answered with a valid proof.
    pub answered: u64,
    /// Loss for a challenge missed or answered with a wrong proof.
    pub failed: u64,
    /// Gain for a retrieval check the `StorageProof` committee found valid.
    pub retrieved: u64,
    /// Loss for a retrieval check it found invalid.
    pub not_retrieved: u64,
}

/// Governance parameters, set whole by `set_params` and checked by
/// [`crate::Pallet::check_params`].
#[derive(
    Clone,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(crate = "frame_support::__private::serde", rename_all = "camelCase")]
pub struct Params<Balance, BlockNumber> {
    /// The smallest provider bond (not zero). A provider slashed below it is slashed out.
    pub min_bond: Balance,
    /// Blocks between `deregister` (or a slash-out) and `withdraw_bond` (≥ 1): the bond
    /// stays slashable for the challenges still open. Default 14,400.
    pub unbonding_delay: BlockNumber,
    /// Blocks per challenge epoch (≥ 1). Deals last a number of epochs. Default 600.
    pub epoch_length: BlockNumber,
    /// Challenges drawn per epoch over all deals. Default 64.
    pub challenges_per_epoch: u32,
    /// Most challenges drawn per block (≥ 1); the epoch's rest in the next blocks.
    /// Default 16.
    pub max_challenges_per_block: u32,
    /// Blocks a provider has to answer a challenge, after the block that issued it (≥ 1).
    /// Default 50.
    pub response_window: BlockNumber,
    /// Most challenges closed per block after their deadline (≥ 1). Default 64.
    pub max_expiries_per_block: u32,
    /// Most shards of leaving providers reassigned per block (≥ 1). Default 64.
    pub max_reassign_per_block: u32,
    /// Share of a provider's bond slashed (to the treasury) per failed challenge or
    /// failed retrieval check. Default 1%.
    pub slash: Perbill,
    /// The lowest price per GiB per epoch a deal may offer (not zero).
    pub min_price: Balance,
    /// The longest deal, in epochs (≥ 1). Default 8,760.
    pub max_duration: EpochIndex,
    /// Reputation points given and taken.
    pub points: ReputationPoints,
    /// Blocks a provider has to confirm a shard assigned to it (by a new deal or a
    /// reassignment), after the block that assigned it (≥ 1). A shard still unconfirmed
    /// after that is taken from the provider (costing it `points.failed`, no slash) and
    /// reassigned. A change applies to shards assigned from then on. Default 600 (20
    /// minutes at 2 s blocks: time to fetch a shard, or rebuild it from `k` others).
    pub confirm_window: BlockNumber,
}

impl<Balance: AtLeast32BitUnsigned, BlockNumber: From<u32>> Default
    for Params<Balance, BlockNumber>
{
    fn default() -> Self {
        let unit = Balance::from(1_000_000u32).saturating_mul(Balance::from(1_000_000u32));
        Params {
            min_bond: unit.clone().saturating_mul(Balance::from(100u32)),
            unbonding_delay: 14_400u32.into(),
            epoch_length: 600u32.into(),
            challenges_per_epoch: 64,
            max_challenges_per_block: 16,
            response_window: 50u32.into(),
            max_expiries_per_block: 64,
            max_reassign_per_block: 64,
            slash: Perbill::from_percent(1),
            min_price: unit / Balance::from(1_000u32),
            max_duration: 8_760,
            points: ReputationPoints {
                answered: 1,
                failed: 10,
                retrieved: 1,
                not_retrieved: 10,
            },
            confirm_window: 600u32.into(),
        }
    }
}

/// Whether a provider takes new shards.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub enum ProviderStatus<BlockNumber> {
    /// It is in the provider set and gets assignments.
    Active,
    /// It left or was slashed out: its shards are being reassigned and its bond can be
    /// withdrawn from `unbond_at`, once it holds no shard and has no open challenge.
    Leaving {
        /// The first block of `withdraw_bond`.
        unbond_at: BlockNumber,
        /// Whether a slash took it below the minimum bond (else it deregistered).
        slashed_out: bool,
    },
}

/// A registered storage provider.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
#[scale_info(skip_type_params(MaxPeerIdLen, MaxAddressesLen))]
pub struct Provider<
    AccountId,
    Balance,
    BlockNumber,
    MaxPeerIdLen: Get<u32>,
    MaxAddressesLen: Get<u32>,
> {
    /// The bond held (`HoldReason::ProviderBond`).
    pub bond: Balance,
    /// Declared capacity in bytes.
    pub capacity: u64,
    /// Bytes of shards assigned to it.
    pub used: u64,
    /// Shards assigned to it (entries of `ProviderShards`).
    pub shards: u32,
    /// Challenges issued to it and not yet closed.
    pub open_challenges: u32,
    /// The operator it declares (itself by default): placement prefers distinct operators
    /// within a chunk.
    pub operator: AccountId,
    /// Its libp2p peer id (the multihash bytes), so that nodes find it.
    pub peer_id: BoundedVec<u8, MaxPeerIdLen>,
    /// Its listen addresses: SCALE `Vec<Vec<u8>>` of multiaddr bytes, as the node encodes
    /// them (opaque to the chain).
    pub addresses: BoundedVec<u8, MaxAddressesLen>,
    /// Whether it takes new shards.
    pub status: ProviderStatus<BlockNumber>,
}

/// An active provider as placement sees it (one entry of `ProviderSet`).
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct ProviderSlot<AccountId> {
    /// The provider.
    pub who: AccountId,
    /// Its placement id: `blake2_256(SCALE(who))`, compared by XOR distance.
    pub id: Hash,
    /// Its declared operator.
    pub operator: AccountId,
    /// Free bytes: capacity − used.
    pub free: u64,
}

/// A storage deal.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Deal<AccountId, Balance> {
    /// Who opened and pays for it.
    pub owner: AccountId,
    /// The content id ([`echonet_dds_primitives::cid`] of `header` and `root`).
    pub cid: Hash,
    /// The content root the shards' proofs check against.
    pub root: Hash,
    /// Size and shard parameters.
    pub header: ManifestHeader,
    /// The epoch it was opened in: storage is paid from the next epoch on.
    pub start_epoch: EpochIndex,
    /// The first epoch after it: it can be closed from then on.
    pub end_epoch: EpochIndex,
    /// Price per GiB (rounded up) per epoch.
    pub price: Balance,
    /// What each shard earns per epoch: `price × GiB / shard_count`, rounded down.
    pub per_shard_epoch: Balance,
    /// What is still held from the owner (`HoldReason::DealPayment`) for this deal.
    pub escrow: Balance,
    /// Its slot in `DealSlots` (where challenge draws find it).
    pub slot: u32,
}

/// Who holds a shard.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Assignment<AccountId> {
    /// The provider, or none while no provider has room for it after a reassignment: the
    /// shard then waits in `Orphans` and is placed once capacity appears.
    pub provider: Option<AccountId>,
    /// Whether the provider confirmed it holds the shard: only confirmed shards are
    /// challenged and paid.
    pub confirmed: bool,
    /// Epochs before this one are paid (or forfeited by a failed challenge).
    pub paid_through: EpochIndex,
}

/// Where a challenge stands.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub enum ChallengeStatus {
    /// Waiting for the answer.
    Open,
    /// Answered with a valid proof.
    Answered,
    /// Answered with a wrong proof (the provider was penalized).
    Failed,
}

/// A proof-of-storage challenge: the provider must send segment `segment` of shard
/// `shard` with its proofs against `root` by block `deadline` (inclusive). It carries the
/// root and layout so that it can be checked even if the deal closes meanwhile.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Challenge<AccountId, BlockNumber> {
    /// The deal.
    pub deal: DealId,
    /// The shard.
    pub shard: ShardIndex,
    /// The segment within the shard.
    pub segment: u32,
    /// The provider challenged.
    pub provider: AccountId,
    /// The deal's content root.
    pub root: Hash,
    /// The deal's layout.
    pub header: ManifestHeader,
    /// The epoch it was issued in.
    pub epoch: EpochIndex,
    /// The last block in which an answer counts.
    pub deadline: BlockNumber,
    /// Where it stands.
    pub status: ChallengeStatus,
}

/// Why a challenge or a retrieval check failed.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub enum FailureReason {
    /// No answer by the deadline.
    Missed,
    /// An answer whose proof does not check against the deal's root.
    WrongProof,
    /// The `StorageProof` committee could not fetch the shard.
    NotRetrieved,
    /// The provider did not confirm an assigned shard within `confirm_window` (no slash:
    /// it never claimed to hold the shard and was never paid for it).
    Unconfirmed,
}

/// A retrieval check waiting for the `StorageProof` committee's receipt.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct RetrievalCheck<AccountId> {
    /// The deal.
    pub deal: DealId,
    /// The shard to fetch.
    pub shard: ShardIndex,
    /// The provider to fetch it from.
    pub provider: AccountId,
}

/// The payload hash of a retrieval check, which the `StorageProof` committee attests:
/// `blake2_256(SCALE(("echonet/dds/retrieval", nonce, cid, root, shard, provider)))` with
/// `nonce: u64`, `cid` and `root` raw 32 bytes, `shard: u32`. A witness fetches shard
/// `shard` of `cid` from `provider`, checks it against `root` and votes `Valid` if it got it.
pub fn retrieval_payload<AccountId: Encode>(
    nonce: u64,
    cid: &Hash,
    root: &Hash,
    shard: ShardIndex,
    provider: &AccountId,
) -> sp_core::H256 {
    sp_core::H256(sp_io::hashing::blake2_256(
        &(b"echonet/dds/retrieval", nonce, cid, root, shard, provider).encode(),
    ))
}

/// One shard's holder, as the runtime API reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ShardHolder<AccountId> {
    /// The shard.
    pub shard: ShardIndex,
    /// Its provider (none if none had room).
    pub provider: Option<AccountId>,
    /// The provider's peer id (empty if none).
    pub peer_id: alloc::vec::Vec<u8>,
    /// Whether the provider confirmed it.
    pub confirmed: bool,
}

/// A provider, as the runtime API reports it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct ProviderInfo<AccountId> {
    /// The account.
    pub who: AccountId,
    /// Its libp2p peer id.
    pub peer_id: alloc::vec::Vec<u8>,
    /// Its addresses (see [`Provider::addresses`]).
    pub addresses: alloc::vec::Vec<u8>,
    /// Declared capacity in bytes.
    pub capacity: u64,
    /// Bytes assigned.
    pub used: u64,
    /// Whether it takes new shards.
    pub active: bool,
}

/// Why placement failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct NoCapacity;

/// Places every shard of `layout` on `set` (whose `free` it lowers), returning each
/// shard's index into `set`. Shard `s` goes to the provider nearest by XOR distance to
/// [`placement_key`]`(seed, cid, s)` that has room, preferring, in this order: a provider
/// and operator not yet used in the shard's chunk; a provider not yet used in the chunk;
/// any provider (a network smaller than `k + m` providers, e.g. one dev node, still
/// stores everything). O(shards × providers) distance comparisons, each check O(1).
pub fn place<AccountId: Ord>(
    set: &mut [ProviderSlot<AccountId>],
    seed: &Hash,
    cid: &Hash,
    layout: &Layout,
) -> Result<alloc::vec::Vec<u32>, NoCapacity> {
    // Operators as small integers, so that "operator used in this chunk" is a flag.
    let mut operators: alloc::collections::BTreeMap<&AccountId, usize> = Default::default();
    let group: alloc::vec::Vec<usize> = set
        .iter()
        .map(|s| {
            let next = operators.len();
            *operators.entry(&s.operator).or_insert(next)
        })
        .collect();
    let groups = operators.len();
    drop(operators);
    let mut out = alloc::vec::Vec::with_capacity(layout.shard_count() as usize);
    let per = layout.shards_per_chunk();
    let mut used_provider = alloc::vec![false; set.len()];
    let mut used_operator = alloc::vec![false; groups];
    for chunk in 0..layout.chunk_count() {
        let mut picked: alloc::vec::Vec<u32> = alloc::vec::Vec::with_capacity(per as usize);
        for pos in 0..per {
            let shard = chunk * per + pos;
            let need = u64::from(layout.shard_len(shard).ok_or(NoCapacity)?);
            let key = placement_key(seed, cid, shard);
            let fresh = |i: u32| !used_provider.get(i as usize).copied().unwrap_or(true);
            let pick = nearest(set, &key, need, |i, _| {
                fresh(i)
                    && !group
                        .get(i as usize)
                        .and_then(|g| used_operator.get(*g))
                        .copied()
                        .unwrap_or(true)
            })
            .or_else(|| nearest(set, &key, need, |i, _| fresh(i)))
            .or_else(|| nearest(set, &key, need, |_, _| true))
            .ok_or(NoCapacity)?;
            if let Some(slot) = set.get_mut(pick as usize) {
                slot.free = slot.free.saturating_sub(need);
            }
            if let Some(f) = used_provider.get_mut(pick as usize) {
                *f = true;
            }
            if let Some(f) = group
                .get(pick as usize)
                .and_then(|g| used_operator.get_mut(*g))
            {
                *f = true;
            }
            picked.push(pick);
            out.push(pick);
        }
        // Reset only what this chunk set.
        for i in picked {
            if let Some(f) = used_provider.get_mut(i as usize) {
                *f = false;
            }
            if let Some(f) = group
                .get(i as usize)
                .and_then(|g| used_operator.get_mut(*g))
            {
                *f = false;
            }
        }
    }
    Ok(out)
}

/// The index of the slot nearest to `key` with at least `need` free bytes that `allowed`
/// accepts (ties cannot happen: ids are distinct hashes).
pub fn nearest<AccountId>(
    set: &[ProviderSlot<AccountId>],
    key: &Hash,
    need: u64,
    allowed: impl Fn(u32, &ProviderSlot<AccountId>) -> bool,
) -> Option<u32> {
    let mut best: Option<(Hash, u32)> = None;
    for (i, s) in set.iter().enumerate() {
        let i = i as u32;
        if s.free < need || !allowed(i, s) {
            continue;
        }
        let d = xor_distance(key, &s.id);
        if best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, i));
        }
    }
    best.map(|(_, i)| i)
}

/// The running challenge epoch.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct EpochInfo<BlockNumber> {
    /// Its index.
    pub index: EpochIndex,
    /// Its first block.
    pub started_at: BlockNumber,
    /// Challenges still to draw in it.
    pub draws_left: u32,
}

/// A shard that no provider had room for when it was reassigned, waiting in `Orphans`.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug)]
pub struct Orphan<AccountId> {
    /// The deal.
    pub deal: DealId,
    /// The shard.
    pub shard: ShardIndex,
    /// The provider it was taken from (the `from` of its `ShardReassigned` once placed).
    pub from: AccountId,
}

/// The orphan queue's cursors: `Orphans` holds the entries `head..tail`, oldest first.
/// Entries below `retry_until` are due for another placement attempt: each capacity change
/// (a provider registers, raises its capacity or has shards taken off it) sets it to `tail`,
/// and an entry that fails again goes back to the tail, beyond it, so that every orphan is
/// tried once per change and none is tried while nothing changed.
#[derive(Clone, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, Default)]
pub struct OrphanCursor {
    /// The oldest entry.
    pub head: u64,
    /// The sequence number the next entry gets.
    pub tail: u64,
    /// Entries below this are due for a retry.
    pub retry_until: u64,
}
