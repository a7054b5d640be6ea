//! Proved batches checked in for the benchmarks of [`crate::Pallet::submit_batch`]
//! (`benchmarking.rs`) and for the test that they still match the circuit.
//!
//! Each file in `bridge/fixtures/` is one SCALE-encoded [`BatchFixture`]: a batch executed
//! natively by `echonet_rollup_primitives::execute_batch` and proved with the INSECURE
//! deterministic dev setup (`echonet_prover::keys::setup_dev`), with the compressed
//! verifying key (not the proving key, tens of megabytes), the proof, the roots, the DA
//! bytes, the deposits to queue first and the withdrawals. [`REGENERATE`] is the one command
//! that writes them all again.
//!
//! * `submit_batch_{8,32,64}.scale`: one slot per deposit, each creating an account (the
//!   costlier slot for the bridge: see `benchmarking.rs`), batch 1 on the empty tree; the
//!   benchmark `submit_batch(s)` takes its `s` from these sizes only.
//! * `submit_batch_8_withdrawals.scale`: batch 2, eight withdrawals from the eight accounts
//!   an unproven batch 1 funded; the benchmark `submit_batch_withdrawals` (an `extra`
//!   benchmark) measures it against the 8-deposit batch.
//!
//! Chain id and instance id: a proof binds both. Every fixture is proved for
//! [`FIXTURE_CHAIN_ID`], the runtime's `ChainId` (the mock's benchmark externalities set
//! the mock's `ChainIdValue` to it), and for [`FIXTURE_INSTANCE`], which the benchmark
//! writes into `InstanceId` directly (the real id hashes the genesis hash, which differs
//! between the mock, the runtime's benchmark genesis and a live chain).
//!
//! The staleness test (`tests/fixtures.rs`) rebuilds each fixture's public input with the
//! current `commitment_from_l1_data`, verifies the proof against the fixture's key, and
//! compares [`BatchFixture::circuit_fingerprint`] with the current circuit's.

use crate::{FieldBytes, L2Index, WithdrawalArg, PROOF_BYTES};
use alloc::vec::Vec;
use codec::{Decode, Encode};

/// The command that regenerates every fixture, run from the workspace root. The dev profile
/// reuses the test build (dependencies are optimised there) and took 17 minutes on the
/// reference machine, ten of them for the 64-slot setup and proof; `--release` is faster
/// once the release dependencies are built. The output is the same: the setup and the
/// proofs are seeded.
pub const REGENERATE: &str =
    "cargo run -p pallet-bridge --example bench-fixtures -- bridge/fixtures";

/// The chain id every fixture is proved for: the runtime's `ChainId`.
pub const FIXTURE_CHAIN_ID: u32 = 1;

/// The rollup instance id every fixture is proved for (`"benchmrk"`, little-endian).
pub const FIXTURE_INSTANCE: u64 = u64::from_le_bytes(*b"benchmrk");

/// The batch sizes `submit_batch` is benchmarked at, each with a fixture of deposits.
pub const FIXTURE_SIZES: [u32; 3] = [8, 32, 64];

/// The batch size the circuit fingerprint is taken at.
pub const FINGERPRINT_BATCH_SIZE: usize = 8;

/// A deposit the benchmark queues before the batch consumes it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct FixtureDeposit {
    /// The L2 index it credits or creates.
    pub to: L2Index,
    /// The circomlib-packed key of the account it creates, if it creates one.
    pub new_account: Option<[u8; 32]>,
    /// The amount.
    pub amount: u128,
}

/// One proved batch and everything `submit_batch` needs around it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, Debug)]
pub struct BatchFixture {
    /// The batch size the key and the proof are for.
    pub batch_size: u32,
    /// The chain id the proof binds ([`FIXTURE_CHAIN_ID`]).
    pub chain_id: u32,
    /// The rollup instance id the proof binds ([`FIXTURE_INSTANCE`]).
    pub instance: u64,
    /// The batch's number (the bridge's `LastBatch` is one less).
    pub batch_number: u64,
    /// The root before the batch (the bridge's `CurrentRoot`).
    pub old_root: FieldBytes,
    /// The root after it.
    pub new_root: FieldBytes,
    /// The total L2 balance before the batch (the bridge's `L2Total`).
    pub l2_total: u128,
    /// The index the bridge assigns to the next created account before the batch.
    pub next_index: L2Index,
    /// The compressed verifying key (`set_verifying_key`'s argument).
    pub vk: Vec<u8>,
    /// The compressed proof.
    pub proof: [u8; PROOF_BYTES],
    /// The DA bytes.
    pub da: Vec<u8>,
    /// The deposits to queue before the batch, which it consumes in order.
    pub deposits: Vec<FixtureDeposit>,
    /// The withdrawals as `submit_batch` takes them.
    pub withdrawals: Vec<WithdrawalArg>,
    /// SHA-256 of the circuit's R1CS at [`FINGERPRINT_BATCH_SIZE`] slots
    /// (`echonet_prover::keys::export_r1cs(8).to_bytes()`), when the fixture was made.
    pub circuit_fingerprint: [u8; 32],
}

/// The checked-in fixtures, by file name.
#[cfg(any(feature = "runtime-benchmarks", test))]
pub const FILES: [(&str, &[u8]); 4] = [
    (
        "submit_batch_8.scale",
        include_bytes!("../fixtures/submit_batch_8.scale"),
    ),
    (
        "submit_batch_32.scale",
        include_bytes!("../fixtures/submit_batch_32.scale"),
    ),
    (
        "submit_batch_64.scale",
        include_bytes!("../fixtures/submit_batch_64.scale"),
    ),
    (
        "submit_batch_8_withdrawals.scale",
        include_bytes!("../fixtures/submit_batch_8_withdrawals.scale"),
    ),
];

#[cfg(any(feature = "runtime-benchmarks", test))]
/// Nesting bound for decoding a fixture (it is flat: a struct of vectors of structs), and the
/// whole file must be consumed, so a truncated or padded file is reported, not misread.
const FIXTURE_DEPTH_LIMIT: u32 = 8;

/// The fixture file `name`, decoded. Panics (benchmarks and tests only) when it is missing
/// or does not decode, naming the regeneration command.
#[cfg(any(feature = "runtime-benchmarks", test))]
pub fn load(name: &str) -> BatchFixture {
    let bytes = FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
        .unwrap_or_else(|| panic!("no fixture {name}; regenerate with `{REGENERATE}`"));
    <BatchFixture as codec::DecodeLimit>::decode_all_with_depth_limit(
        FIXTURE_DEPTH_LIMIT,
        &mut &bytes[..],
    )
    .unwrap_or_else(|e| {
        panic!("fixture {name} does not decode ({e}); regenerate with `{REGENERATE}`")
    })
}

/// The all-deposit fixture of `size` slots (one of [`FIXTURE_SIZES`]).
#[cfg(any(feature = "runtime-benchmarks", test))]
pub fn deposits_fixture(size: u32) -> BatchFixture {
    load(&alloc::format!("submit_batch_{size}.scale"))
}

/// The fixture of eight withdrawals.
#[cfg(any(feature = "runtime-benchmarks", test))]
pub fn withdrawals_fixture() -> BatchFixture {
    load("submit_batch_8_withdrawals.scale")
}

/// The arguments of `submit_batch` for an installed fixture.
#[cfg(any(feature = "runtime-benchmarks", test))]
pub struct Submission<T: crate::Config> {
    /// The batch number.
    pub batch_number: u64,
    /// The new root.
    pub new_root: FieldBytes,
    /// The DA bytes.
    pub da: crate::DaBytesOf<T>,
    /// The deposits the batch consumes.
    pub deposits_consumed: u32,
    /// The withdrawals.
    pub withdrawals: crate::WithdrawalsOf<T>,
    /// The proof.
    pub proof: [u8; PROOF_BYTES],
}

/// Puts the bridge into the state `f`'s batch applies to, by writing storage directly, and
/// returns the batch's `submit_batch` arguments: `InstanceId` becomes the fixture's (the
/// real id hashes the genesis hash, see the module docs), `f`'s key is registered and its
/// size configured, `operator` becomes an operator without a bond, the root, last batch
/// number, L2 total and next index become the fixture's, `f.deposits` are queued as paid by
/// `depositor` (directly, so that the runtime's or the mock's `MaxQueuedDeposits` does not
/// limit a 64-deposit batch: the bound applies to `deposit`, not to what a batch consumes),
/// and the pallet account receives what they and the L2 total lock.
///
/// Refused when the chain id is not the fixture's or the fixture's key does not prepare.
#[cfg(any(feature = "runtime-benchmarks", test))]
pub fn install<T: crate::Config>(
    f: &BatchFixture,
    operator: &T::AccountId,
    depositor: &T::AccountId,
) -> Result<Submission<T>, &'static str> {
    use crate::*;
    use frame_support::traits::{
        fungible::{Inspect, Mutate},
        Get,
    };
    if T::ChainId::get() != f.chain_id {
        return Err(
            "the fixtures are proved for chain id 1 (the runtime's ChainId); \
                    the mock's benchmark externalities set ChainIdValue to it",
        );
    }
    InstanceId::<T>::put(f.instance);
    let entry = Pallet::<T>::checked_key(f.batch_size, &f.vk, sp_io::hashing::sha2_256(&f.vk))
        .map_err(|_| "the fixture's verifying key is refused: regenerate the fixtures")?;
    VerifyingKeys::<T>::insert(f.batch_size, entry);
    BatchSize::<T>::put(f.batch_size);
    Operators::<T>::insert(operator, 0);
    CurrentRoot::<T>::put(f.old_root);
    LastBatch::<T>::put(f.batch_number.saturating_sub(1));
    LastBatchAt::<T>::put(Pallet::<T>::now_ms());
    L2Total::<T>::put(f.l2_total);
    let created = f
        .deposits
        .iter()
        .filter(|d| d.new_account.is_some())
        .count() as u32;
    NextIndex::<T>::put(f.next_index.saturating_add(created));
    let (head, tail) = (QueueHead::<T>::get(), QueueTail::<T>::get());
    if head != tail {
        return Err("the deposit queue must be empty before a fixture is installed");
    }
    let mut queued: u128 = 0;
    for (i, d) in f.deposits.iter().enumerate() {
        let new_account = match &d.new_account {
            Some(packed) => Some(
                crate::deposits::validate_new_key(packed)
                    .ok_or("a fixture deposit has an invalid key")?,
            ),
            None => None,
        };
        DepositQueue::<T>::insert(
            tail + i as u64,
            QueuedDeposit {
                depositor: depositor.clone(),
                to: d.to,
                new_account,
                amount: d.amount,
                queued_at: Pallet::<T>::now_ms(),
            },
        );
        queued = queued.saturating_add(d.amount);
    }
    QueueTail::<T>::put(tail + f.deposits.len() as u64);
    QueuedTotal::<T>::mutate(|t| *t = t.saturating_add(queued));
    let pallet = Pallet::<T>::account_id();
    let held = T::Currency::balance(&pallet)
        .max(T::Currency::minimum_balance())
        .saturating_add(queued)
        .saturating_add(f.l2_total);
    T::Currency::set_balance(&pallet, held);
    Ok(Submission {
        batch_number: f.batch_number,
        new_root: f.new_root,
        da: f.da.clone().try_into().map_err(|_| "DA above MaxDaBytes")?,
        deposits_consumed: f.deposits.len() as u32,
        withdrawals: f
            .withdrawals
            .clone()
            .try_into()
            .map_err(|_| "more withdrawals than MaxBatchSize")?,
        proof: f.proof,
    })
}
