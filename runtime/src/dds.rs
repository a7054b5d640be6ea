//! The distributed data store's chain side (issue 17): pallet-dds at index 28.
//!
//! Storage providers bond and declare capacity; owners open deals whose payment is held;
//! shards are placed by XOR distance from fresh randomness; each epoch random
//! proof-of-storage challenges are answered with Merkle proofs (checked with
//! `echonet-dds-primitives`, the same code the node proves with), paid from the deal, or
//! slashed to the treasury and penalized in `Role::StorageProvider` reputation. Retrieval
//! checks go to pallet-witness's `StorageProof` committee. Every tunable is set by the
//! `parameters` track (or Root). Nodes read assignments and challenges through `DdsApi`.

use super::*;
use frame_support::traits::ConstU32;

/// Placement and challenge seeds: blake2-256 of the subject, this epoch's VRF accumulator
/// so far (pallet-randomness's `NextRandomness`, which every block's VRF output changes) and
/// the epoch's randomness, as pallet-domains' quorum draws. A deal's owner cannot choose
/// its providers, nor a provider foresee which segment it will be asked for.
pub struct FreshRandomness;

impl pallet_dds::DdsRandomness for FreshRandomness {
    fn seed(subject: &[u8]) -> [u8; 32] {
        use codec::Encode;
        sp_io::hashing::blake2_256(
            &(
                b"echonet/dds",
                subject,
                pallet_randomness::NextRandomness::<Runtime>::get(),
                pallet_randomness::Randomness::<Runtime>::get(),
            )
                .encode(),
        )
    }
}

/// pallet-dds' parameters on the dev chains: epochs of 30 blocks (a minute), a minute to
/// answer a challenge, a minute of unbonding and five minutes to confirm an assigned
/// shard, so that a local network shows challenges, payments and reassignment within
/// minutes. The `production` preset keeps the pallet's defaults (20-minute epochs, 50
/// blocks to answer, 8 hours of unbonding, 20 minutes to confirm).
pub fn dev_params() -> pallet_dds::ParamsOf<Runtime> {
    pallet_dds::Params {
        epoch_length: 30,
        response_window: 30,
        unbonding_delay: 30,
        confirm_window: 150,
        ..Default::default()
    }
}

impl pallet_dds::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    /// The `parameters` track (or Root).
    type GovernanceOrigin = crate::configs::ParametersOrRoot;
    /// Slashes go to the treasury.
    type TreasuryAccount = crate::fees::TreasuryAccount;
    type Randomness = FreshRandomness;
    type Reputation = Reputation;
    /// Retrieval checks are attested by the `StorageProof` committee.
    type Submitter = Witness;
    type Receipts = Witness;
    /// 1,000 providers: placement compares a shard's key with each (O(shards × providers)
    /// per deal, bounded by the two maxima).
    type MaxProviders = ConstU32<1_000>;
    /// 100,000 open deals.
    type MaxDeals = ConstU32<100_000>;
    /// 1,024 shards a deal: 170 MiB at 1 MiB chunks and 4 + 2, 64 GiB at 64 MiB chunks.
    /// Larger content is split over several deals (or uses larger chunks).
    type MaxShardsPerDeal = ConstU32<1_024>;
    /// A libp2p peer id is a multihash of at most 42 bytes for the key types in use.
    type MaxPeerIdLen = ConstU32<64>;
    /// A few multiaddrs.
    type MaxAddressesLen = ConstU32<512>;
    /// At most 4,096 retrieval checks wait for receipts.
    type MaxPendingRetrievals = ConstU32<4_096>;
    /// Measured natively (`benchmark pallet --pallet pallet_dds`).
    type WeightInfo = crate::weights::pallet_dds::WeightInfo<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = DdsBenchmarkHelper;
}

/// Benchmark set-up for pallet-dds against the real witness pallet: it seats the submitter
/// alone on the `StorageProof` committee and writes receipts into pallet-witness's
/// `Receipts`.
#[cfg(feature = "runtime-benchmarks")]
pub struct DdsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_dds::BenchmarkHelper<AccountId> for DdsBenchmarkHelper {
    fn prepare_submitter(who: &AccountId) {
        use frame_support::traits::fungible::Mutate;
        let _ = <Balances as Mutate<AccountId>>::set_balance(who, 1_000_000 * UNITS);
        let epoch = pallet_witness::CommitteeEpoch::<Runtime>::get().unwrap_or_else(|| {
            pallet_witness::CommitteeEpoch::<Runtime>::put(0);
            0
        });
        let class = pallet_witness::EventClass::StorageProof;
        if !pallet_witness::Committees::<Runtime>::contains_key(epoch, class) {
            pallet_witness::Committees::<Runtime>::insert(
                epoch,
                class,
                pallet_witness::Committee {
                    members: frame_support::BoundedVec::truncate_from(alloc::vec![who.clone()]),
                    min_stake: 0,
                    size: 1,
                    quorum: 1,
                },
            );
        }
    }

    fn resolve(payload_hash: sp_core::H256, verdict: pallet_witness::Verdict) {
        let class = pallet_witness::EventClass::StorageProof;
        pallet_witness::Receipts::<Runtime>::insert(
            pallet_witness::event_id(class, &payload_hash),
            pallet_witness::Receipt {
                class,
                payload_hash,
                verdict,
                epoch: 0,
                resolved_at: System::block_number(),
                agreeing: 1,
            },
        );
    }
}
