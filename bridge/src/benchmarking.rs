//! Benchmarks of pallet-bridge (frame-benchmarking v2): every call and the `on_initialize`
//! that computes the instance id, each at its worst case (the comment on each says why).
//!
//! `submit_batch(s)` verifies real Groth16 proofs: the checked-in fixtures of
//! `bridge/fixtures/` (see [`crate::fixtures`]), proved for batches of exactly 8, 32 and 64
//! slots, so `s` takes only those values. Run the node's benchmarks with `--values 8,32,64`;
//! any other value stops the benchmark, except in the mock's test suite, which picks values
//! in between and gets the largest fixture below them (only to run every fixture there).
//! The fixtures are proved for chain id 1 (the runtime's `ChainId`; the mock's benchmark
//! externalities set `ChainIdValue` to 1) and for a fixed instance id, which the setup
//! writes into `InstanceId` directly.
//!
//! Regenerate the fixtures (after any change to the circuit, the public input or the DA
//! format; the fixture test in `tests/fixtures.rs` fails until then) with
//!
//! ```sh
//! cargo run -p pallet-bridge --example bench-fixtures -- bridge/fixtures
//! ```
//!
//! Which slot costs the bridge more: a deposit slot reads its queue entry (stored with the
//! key decompressed), hashes one deposit-chain step and one DA record and removes the
//! entry; a withdrawal slot decodes its recipient, hashes one withdrawal-chain step and one
//! DA record and writes a pending withdrawal. The `extra` benchmark
//! `submit_batch_withdrawals` (eight withdrawals) measured the same compute as
//! `submit_batch(8)` (eight deposits) within the noise, and the deposit slot has one
//! storage read more (BENCHMARKS.md, "Rollup settlement"), so the fixtures of
//! `submit_batch(s)` are all deposits, each creating an account (a queue entry with a
//! key, the largest). The `extra` benchmark `verify_proof` measures the Groth16 part alone.
//!
//! The benchmarks run as tests on the mock: `cargo nextest run -p pallet-bridge --features
//! runtime-benchmarks` (as pallet-witness's: the workspace test run does not enable the
//! feature).

use super::*;
use crate::fixtures::{self, BatchFixture, FIXTURE_SIZES};
use echonet_rollup_primitives::{exit::sign_exit, Account, AccountTree, PrivateKey};
use frame_benchmarking::v2::*;
use frame_support::traits::{
    fungible::{Inspect, InspectHold, Mutate},
    EnsureOrigin, Hooks,
};
use frame_system::RawOrigin;

const SEED: u32 = 0;

/// The wall clock of the benchmarks that read it (unix milliseconds): not zero, which
/// pallet-timestamp reports as "called at genesis" with a log line inside the timed call.
const NOW_MS: u64 = 1_700_000_000_000;

/// An amount large enough for every minimum below.
fn unit<T: Config>() -> u128 {
    T::Currency::minimum_balance().max(1).saturating_mul(1_000)
}

/// Parameters with a bond (so that adding an operator holds funds) and timeouts of a
/// minute and ten minutes.
fn bench_params<T: Config>() -> Params {
    Params {
        deposit_timeout_ms: 60_000,
        batch_timeout_ms: 600_000,
        min_deposit: unit::<T>(),
        operator_bond: unit::<T>(),
    }
}

/// A funded account.
fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
    let who: T::AccountId = account(name, i, SEED);
    T::Currency::set_balance(&who, unit::<T>().saturating_mul(1_000_000));
    who
}

/// The admin origin, or `Weightless` when the runtime's cannot be made.
fn admin<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
    T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

/// The fixture for component value `s`: exactly a fixture size, or (in the mock's test
/// suite only, which picks values in between) the largest fixture size below `s`.
fn fixture_for(s: u32) -> Result<BatchFixture, BenchmarkError> {
    if FIXTURE_SIZES.contains(&s) {
        return Ok(fixtures::deposits_fixture(s));
    }
    if cfg!(test) {
        let size = FIXTURE_SIZES
            .iter()
            .copied()
            .filter(|&f| f <= s)
            .max()
            .unwrap_or(FIXTURE_SIZES[0]);
        return Ok(fixtures::deposits_fixture(size));
    }
    Err(BenchmarkError::Stop(
        "submit_batch runs only at the fixture sizes: pass --values 8,32,64",
    ))
}

/// Installs `f` (see [`fixtures::install`]) with a fresh operator and depositor.
fn install<T: Config>(
    f: &BatchFixture,
) -> Result<(T::AccountId, fixtures::Submission<T>), BenchmarkError> {
    T::BenchmarkHelper::set_time(NOW_MS);
    let operator: T::AccountId = whitelisted_caller();
    let depositor = funded::<T>("depositor", 0);
    let sub = fixtures::install::<T>(f, &operator, &depositor).map_err(BenchmarkError::Stop)?;
    Ok((operator, sub))
}

/// A queued deposit of `unit` from `depositor` crediting index 0.
fn queue_deposit<T: Config>(depositor: &T::AccountId, queued_at: u64) -> u64 {
    let seq = QueueTail::<T>::get();
    let amount = unit::<T>();
    DepositQueue::<T>::insert(
        seq,
        QueuedDeposit {
            depositor: depositor.clone(),
            to: 0,
            new_account: None,
            amount,
            queued_at,
        },
    );
    QueueTail::<T>::put(seq + 1);
    QueuedTotal::<T>::mutate(|t| *t = t.saturating_add(amount));
    let pallet = Pallet::<T>::account_id();
    T::Currency::set_balance(
        &pallet,
        T::Currency::balance(&pallet)
            .max(T::Currency::minimum_balance())
            .saturating_add(amount),
    );
    seq
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// The key's cost does not depend on the batch size (one public input, 296 bytes):
    /// SHA-256, decoding with every subgroup check, `process_vk` and a 34 KB write.
    #[benchmark]
    fn set_verifying_key() -> Result<(), BenchmarkError> {
        let origin = admin::<T>()?;
        let vk = fixtures::deposits_fixture(64).vk;
        let hash = sp_io::hashing::sha2_256(&vk);
        let key: BoundedVec<u8, ConstU32<MAX_KEY_BYTES>> = vk
            .try_into()
            .map_err(|_| BenchmarkError::Stop("key too long"))?;
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, 64, key, hash);
        assert_eq!(VerifyingKeys::<T>::get(64).map(|k| k.hash), Some(hash));
        Ok(())
    }

    /// One read (the key exists) and one write, whatever the state.
    #[benchmark]
    fn set_batch_size() -> Result<(), BenchmarkError> {
        let origin = admin::<T>()?;
        let vk = fixtures::deposits_fixture(64).vk;
        let entry = Pallet::<T>::checked_key(64, &vk, sp_io::hashing::sha2_256(&vk))
            .map_err(|_| BenchmarkError::Stop("fixture key refused"))?;
        VerifyingKeys::<T>::insert(64, entry);
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, 64);
        assert_eq!(BatchSize::<T>::get(), Some(64));
        Ok(())
    }

    /// Checks in memory and one write, whatever the state.
    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin = admin::<T>()?;
        let params = bench_params::<T>();
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, params.clone());
        assert_eq!(ActiveParams::<T>::get(), params);
        Ok(())
    }

    /// With a bond: the hold (the balance and the holds are read and written) is the
    /// costly part; without one there is none.
    #[benchmark]
    fn add_operator() -> Result<(), BenchmarkError> {
        let origin = admin::<T>()?;
        ActiveParams::<T>::put(bench_params::<T>());
        let who = funded::<T>("operator", 0);
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, who.clone());
        assert_eq!(Operators::<T>::get(&who), Some(unit::<T>()));
        assert_eq!(
            T::Currency::balance_on_hold(&HoldReason::OperatorBond.into(), &who),
            unit::<T>()
        );
        Ok(())
    }

    /// With a bond that is slashed: burning the hold also writes the total issuance,
    /// which a release does not.
    #[benchmark]
    fn remove_operator() -> Result<(), BenchmarkError> {
        let origin = admin::<T>()?;
        ActiveParams::<T>::put(bench_params::<T>());
        let who = funded::<T>("operator", 0);
        Pallet::<T>::do_add_operator(&who).map_err(|_| BenchmarkError::Stop("add"))?;
        let issuance = T::Currency::total_issuance();
        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, who.clone(), true);
        assert!(!Operators::<T>::contains_key(&who));
        assert_eq!(
            T::Currency::balance_on_hold(&HoldReason::OperatorBond.into(), &who),
            0
        );
        assert_eq!(T::Currency::total_issuance(), issuance - unit::<T>());
        Ok(())
    }

    /// A deposit creating an account: the key is decompressed and checked for the subgroup
    /// (a credit has no key), and `NextIndex` is written too.
    #[benchmark]
    fn deposit() -> Result<(), BenchmarkError> {
        T::BenchmarkHelper::set_time(NOW_MS);
        ActiveParams::<T>::put(bench_params::<T>());
        let who = funded::<T>("depositor", 0);
        let packed = fixtures::deposits_fixture(8).deposits[0]
            .new_account
            .ok_or(BenchmarkError::Stop("fixture deposit without a key"))?;
        let amount = unit::<T>();
        let (seq, index) = (QueueTail::<T>::get(), NextIndex::<T>::get());
        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            DepositTarget::NewAccount(packed),
            amount,
        );
        let queued = DepositQueue::<T>::get(seq).expect("queued");
        assert_eq!((queued.to, queued.amount), (index, amount));
        assert!(queued.new_account.is_some());
        assert_eq!(NextIndex::<T>::get(), index + 1);
        Ok(())
    }

    /// `s` deposit slots, each creating an account (see the module docs for why deposits
    /// and not withdrawals), and a proof that verifies: every check passes and every write
    /// happens.
    #[benchmark]
    fn submit_batch(s: Linear<8, 64>) -> Result<(), BenchmarkError> {
        let f = fixture_for(s)?;
        let (operator, sub) = install::<T>(&f)?;
        let queued_before = QueuedTotal::<T>::get();
        #[extrinsic_call]
        _(
            RawOrigin::Signed(operator),
            sub.batch_number,
            sub.new_root,
            sub.da,
            sub.deposits_consumed,
            sub.withdrawals,
            sub.proof,
        );
        let deposited: u128 = f.deposits.iter().map(|d| d.amount).sum();
        assert_eq!(LastBatch::<T>::get(), f.batch_number);
        assert_eq!(CurrentRoot::<T>::get(), f.new_root);
        assert_eq!(QueueHead::<T>::get(), QueueTail::<T>::get());
        assert_eq!(QueuedTotal::<T>::get(), queued_before - deposited);
        assert_eq!(L2Total::<T>::get(), f.l2_total + deposited);
        Ok(())
    }

    /// Eight withdrawal slots, to compare with `submit_batch(8)`'s eight deposit slots
    /// (extra: it yields no weight function, see the module docs).
    #[benchmark(extra)]
    fn submit_batch_withdrawals() -> Result<(), BenchmarkError> {
        let f = fixtures::withdrawals_fixture();
        let (operator, sub) = install::<T>(&f)?;
        #[extrinsic_call]
        submit_batch(
            RawOrigin::Signed(operator),
            sub.batch_number,
            sub.new_root,
            sub.da,
            sub.deposits_consumed,
            sub.withdrawals,
            sub.proof,
        );
        assert_eq!(CurrentRoot::<T>::get(), f.new_root);
        let paid: u128 = f.withdrawals.iter().map(|w| w.amount).sum();
        assert_eq!(UnclaimedTotal::<T>::get(), paid);
        assert_eq!(
            Withdrawals::<T>::iter_prefix(f.batch_number).count(),
            f.withdrawals.len()
        );
        Ok(())
    }

    /// The Groth16 part of `submit_batch` alone, for the comparison in BENCHMARKS.md (extra:
    /// it yields no weight function): reading back the prepared key from its stored bytes,
    /// decoding the proof with its subgroup checks and the pairing check, for the 8-slot
    /// fixture (the work does not depend on the batch size: one public input).
    #[benchmark(extra)]
    fn verify_proof() -> Result<(), BenchmarkError> {
        use echonet_rollup_primitives::{commitment_from_l1_data, BatchHeader, Deposit};
        let f = fixtures::deposits_fixture(8);
        let prepared = verifier::prepare_key(&f.vk)
            .map_err(|_| BenchmarkError::Stop("fixture key refused"))?;
        let mut deposits = Vec::new();
        for d in &f.deposits {
            let new_account = match &d.new_account {
                Some(packed) => Some(echonet_rollup_primitives::PublicKey(
                    echonet_rollup_primitives::babyjubjub::Point::decompress(packed)
                        .map_err(|_| BenchmarkError::Stop("fixture key"))?,
                )),
                None => None,
            };
            deposits.push(Deposit {
                to: d.to,
                new_account,
                amount: d.amount,
            });
        }
        let header = BatchHeader {
            chain_id: f.chain_id,
            instance: f.instance,
            batch_number: f.batch_number,
            operator: 0,
        };
        let (input, _) = commitment_from_l1_data(
            &header,
            f.batch_size as usize,
            verifier::fr_from_stored(&f.old_root),
            verifier::fr_from_stored(&f.new_root),
            |i| deposits.get(i).cloned(),
            &[],
            &f.da,
        )
        .map_err(|_| BenchmarkError::Stop("fixture DA refused"))?;
        let verified;
        #[block]
        {
            let pvk = verifier::load_prepared(&prepared);
            let proof = verifier::decode_proof(&f.proof);
            verified = match (pvk, proof) {
                (Some(pvk), Ok(proof)) => verifier::verify(&pvk, input, &proof),
                _ => false,
            };
        }
        assert!(verified);
        Ok(())
    }

    /// A recipient without an account: the transfer creates it.
    #[benchmark]
    fn claim_withdrawal() -> Result<(), BenchmarkError> {
        let caller: T::AccountId = whitelisted_caller();
        let recipient: T::AccountId = account("recipient", 0, SEED);
        let amount = unit::<T>();
        Withdrawals::<T>::insert(
            1,
            0,
            PendingWithdrawal {
                recipient: recipient.clone(),
                amount,
            },
        );
        UnclaimedTotal::<T>::put(amount);
        let pallet = Pallet::<T>::account_id();
        T::Currency::set_balance(
            &pallet,
            T::Currency::minimum_balance().saturating_add(amount),
        );
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), 1, 0);
        assert_eq!(T::Currency::balance(&recipient), amount);
        assert!(!Withdrawals::<T>::contains_key(1, 0));
        assert_eq!(UnclaimedTotal::<T>::get(), 0);
        Ok(())
    }

    /// Both timeouts are looked at: a deposit waits but is not overdue (its entry is
    /// read), then the batch timeout has passed.
    #[benchmark]
    fn trigger_exodus() -> Result<(), BenchmarkError> {
        let params = bench_params::<T>();
        ActiveParams::<T>::put(params.clone());
        let now = 10 * params.batch_timeout_ms;
        T::BenchmarkHelper::set_time(now);
        let depositor = funded::<T>("depositor", 0);
        queue_deposit::<T>(&depositor, now - 1);
        LastBatchAt::<T>::put(now - params.batch_timeout_ms - 1);
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller));
        assert_eq!(Exodus::<T>::get(), Some((now, ExodusReason::BatchTimeout)));
        Ok(())
    }

    /// A leaf with a balance (paid by a transfer) to a recipient without an account (the
    /// transfer creates it); the Merkle path (24 hashes) and the signature check cost the
    /// same for every leaf.
    #[benchmark]
    fn exit() -> Result<(), BenchmarkError> {
        let instance = fixtures::FIXTURE_INSTANCE;
        InstanceId::<T>::put(instance);
        let key = PrivateKey([7; 32]);
        let balance = unit::<T>();
        let leaf_account = Account {
            pubkey: key.public(),
            balance,
            nonce: 3,
        };
        let index = 5;
        let mut tree = AccountTree::new();
        tree.set(index, Some(leaf_account))
            .map_err(|_| BenchmarkError::Stop("tree"))?;
        CurrentRoot::<T>::put(verifier::fr_to_bytes(&tree.root()));
        L2Total::<T>::put(balance);
        let pallet = Pallet::<T>::account_id();
        T::Currency::set_balance(
            &pallet,
            T::Currency::minimum_balance().saturating_add(balance),
        );
        Exodus::<T>::put((0, ExodusReason::BatchTimeout));
        let siblings: Vec<FieldBytes> = tree
            .proof(index)
            .map_err(|_| BenchmarkError::Stop("proof"))?
            .siblings
            .iter()
            .map(verifier::fr_to_bytes)
            .collect();
        let siblings: MerkleSiblings = siblings
            .try_into()
            .map_err(|_| BenchmarkError::Stop("siblings"))?;
        let recipient: T::AccountId = account("recipient", 0, SEED);
        let recipient_bytes = Pallet::<T>::recipient_bytes(&recipient)
            .map_err(|_| BenchmarkError::Stop("recipient"))?;
        let signature =
            sign_exit(&key, T::ChainId::get(), instance, index, &recipient_bytes).to_bytes();
        let leaf = ExitLeaf {
            public_key: leaf_account.pubkey.0.compress(),
            balance,
            nonce: leaf_account.nonce,
        };
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(
            RawOrigin::Signed(caller),
            index,
            leaf,
            siblings,
            recipient.clone(),
            signature,
        );
        assert!(Exited::<T>::contains_key(index));
        assert_eq!(T::Currency::balance(&recipient), balance);
        assert_eq!(L2Total::<T>::get(), 0);
        Ok(())
    }

    /// A depositor without an account any more: the refund creates it.
    #[benchmark]
    fn refund_deposit() -> Result<(), BenchmarkError> {
        let depositor: T::AccountId = account("depositor", 0, SEED);
        let seq = queue_deposit::<T>(&depositor, 0);
        Exodus::<T>::put((0, ExodusReason::DepositTimeout));
        let caller: T::AccountId = whitelisted_caller();
        #[extrinsic_call]
        _(RawOrigin::Signed(caller), seq);
        assert_eq!(T::Currency::balance(&depositor), unit::<T>());
        assert!(!DepositQueue::<T>::contains_key(seq));
        assert_eq!(QueuedTotal::<T>::get(), 0);
        Ok(())
    }

    /// The block that computes the instance id (every later block reads one value).
    #[benchmark]
    fn set_instance() {
        InstanceId::<T>::kill();
        #[block]
        {
            Pallet::<T>::on_initialize(1u32.into());
        }
        assert_eq!(
            InstanceId::<T>::get(),
            Some(Pallet::<T>::compute_instance())
        );
    }

    impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
