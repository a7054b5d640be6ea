//! Optimization domains (issue 16): pallet-domains at index 27.
//!
//! Optimizers submit optimums for a domain; quorums of evaluators, drawn from the domain's
//! pool by stake × reputation with randomness that did not exist at submission, check them
//! by commit-reveal; epoch rewards split per domain and between the roles. Every tunable is
//! set by the `parameters` track (or Root).

use super::*;
use frame_support::{parameter_types, traits::ConstU32, PalletId};

parameter_types! {
    /// Derives the domains' reward pot. Changing it moves the pot: never do that on a live
    /// chain.
    pub const DomainsPalletId: PalletId = PalletId(*b"ech/domn");
}

/// A quorum's seed: blake2-256 of the subject, this epoch's VRF accumulator so far
/// (pallet-randomness's `NextRandomness`, which every block's VRF output changes) and the
/// epoch's randomness. The pallet draws a quorum `draw_delay` blocks after the optimum is
/// submitted, so the accumulator then holds VRF outputs that did not exist when the
/// optimizer chose what and when to submit.
pub struct FreshRandomness;

impl pallet_domains::QuorumRandomness for FreshRandomness {
    fn seed(subject: &[u8]) -> [u8; 32] {
        use codec::Encode;
        sp_io::hashing::blake2_256(
            &(
                b"echonet/domains/quorum",
                subject,
                pallet_randomness::NextRandomness::<Runtime>::get(),
                pallet_randomness::Randomness::<Runtime>::get(),
            )
                .encode(),
        )
    }
}

/// An optimizer's linked accounts: its proxies (pallet-proxy, at most 32). Accounts it
/// controls without declaring them cannot be seen on chain; weighting by stake is the
/// defence there.
pub struct ProxiesOf;

impl pallet_domains::LinkedAccounts<AccountId> for ProxiesOf {
    fn linked(who: &AccountId) -> alloc::vec::Vec<AccountId> {
        pallet_proxy::Proxies::<Runtime>::get(who)
            .0
            .into_iter()
            .map(|p| p.delegate)
            .collect()
    }
}

/// Benchmarks give evaluators reputation through pallet-reputation.
#[cfg(feature = "runtime-benchmarks")]
pub struct DomainsBenchmarkHelper;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_domains::BenchmarkHelper<AccountId> for DomainsBenchmarkHelper {
    fn set_reputation(who: &AccountId, score: u64) {
        use pallet_reputation::ReputationHandler;
        <Reputation as ReputationHandler<AccountId>>::reward(
            who,
            pallet_reputation::Role::Evaluator,
            score,
        );
    }
}

impl pallet_domains::Config for Runtime {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    /// The `parameters` track (or Root).
    type GovernanceOrigin = crate::configs::ParametersOrRoot;
    type PalletId = DomainsPalletId;
    /// Refused optimums' deposits, the treasury share and slashes go to the treasury.
    type TreasuryAccount = crate::fees::TreasuryAccount;
    type Randomness = FreshRandomness;
    type Linked = ProxiesOf;
    type Reputation = Reputation;
    type ReputationScores = Reputation;
    /// 1,000 domains, 10,000 evaluators in a domain's pool (the benchmark sizes).
    type MaxDomains = ConstU32<1_000>;
    type MaxEvaluatorsPerDomain = ConstU32<10_000>;
    /// An evaluator serves at most 8 domains.
    type MaxDomainsPerEvaluator = ConstU32<8>;
    /// 2K at 10,000 evaluators: 200.
    type MaxQuorum = ConstU32<200>;
    /// At most 64 optimums in evaluation per domain.
    type MaxOpenOptimums = ConstU32<64>;
    type MaxNameLen = ConstU32<64>;
    /// pallet-proxy's `MaxProxies`.
    type MaxLinked = ConstU32<32>;
    /// Measured natively (`benchmark pallet --pallet pallet_domains`).
    type WeightInfo = crate::weights::pallet_domains::WeightInfo<Runtime>;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = DomainsBenchmarkHelper;
}
