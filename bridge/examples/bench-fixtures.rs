//! Writes the proved batches of `bridge/fixtures/` (see `pallet_bridge::fixtures`): the
//! all-deposit batches of 8, 32 and 64 slots and the batch of eight withdrawals, proved with
//! the INSECURE deterministic dev setup for the runtime's chain id and the benchmark's
//! instance id. Deterministic: the same code writes the same bytes.
//!
//! ```sh
//! cargo run -p pallet-bridge --example bench-fixtures -- bridge/fixtures
//! ```
//!
//! In the dev profile (optimised dependencies) the whole run took 17 minutes on the
//! reference machine, ten of them for the 64-slot setup and proof; add `--release` when
//! the release dependencies are built. Needs about 4 GiB of memory.

use ark_serialize::CanonicalSerialize;
use codec::Encode;
use echonet_prover::keys::{export_r1cs, setup_dev};
use echonet_rollup_primitives::{
    batch::BatchTrace, execute_batch, field::fr_to_be_bytes, AccountTree, Amount40, BatchHeader,
    Deposit, Fee8, PrivateKey, Tx, Withdraw,
};
use pallet_bridge::{
    fixtures::{
        BatchFixture, FixtureDeposit, FINGERPRINT_BATCH_SIZE, FIXTURE_CHAIN_ID, FIXTURE_INSTANCE,
        FIXTURE_SIZES,
    },
    WithdrawalArg,
};
use rand::SeedableRng;
use std::{path::PathBuf, time::Instant};

/// What the dev setup of every size is seeded with.
const SETUP_SEED: u64 = 12;
/// Each deposit: 10^15 plus its index (distinct amounts, so that order matters in the hash).
const DEPOSIT: u128 = 1_000_000_000_000_000;
/// Each withdrawal of the withdrawal fixture (a value the 40-bit float encodes exactly).
const WITHDRAWAL: u128 = 1_000_000;

fn key(i: u32) -> PrivateKey {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    seed[31] = 0xbe;
    PrivateKey(seed)
}

fn header(batch_number: u64) -> BatchHeader {
    BatchHeader {
        chain_id: FIXTURE_CHAIN_ID,
        instance: FIXTURE_INSTANCE,
        batch_number,
        operator: 0,
    }
}

/// A deposit creating account `i` with amount `DEPOSIT + i`.
fn creation(i: u32) -> Deposit {
    Deposit {
        to: i,
        new_account: Some(key(i).public()),
        amount: DEPOSIT + u128::from(i),
    }
}

/// The 32 recipient bytes of withdrawal `i`: an account id that decodes both as the
/// runtime's `AccountId32` and as the mock's `u64`.
fn recipient(i: u32) -> [u8; 32] {
    let mut r = [0u8; 32];
    r[..4].copy_from_slice(&(1_000 + i).to_le_bytes());
    r[31] = 0x77;
    r
}

fn prove_fixture(
    trace: &BatchTrace,
    deposits: &[Deposit],
    l2_total: u128,
    next_index: u32,
    fingerprint: [u8; 32],
) -> BatchFixture {
    let size = trace.batch_size;
    let t = Instant::now();
    let (pk, vk) = setup_dev(size, SETUP_SEED).expect("dev setup");
    eprintln!(
        "  setup of {size} slots: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    // A seeded rng: the fixtures are reproducible byte for byte.
    let mut rng = rand::rngs::StdRng::seed_from_u64(size as u64);
    let (proof, _) = echonet_prover::prove(&pk, size, trace, &mut rng).expect("proves");
    eprintln!(
        "  proof of {size} slots: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut vk_bytes = Vec::new();
    vk.serialize_compressed(&mut vk_bytes).expect("vk encodes");
    let proof_bytes = echonet_prover::proof_to_bytes(&proof).expect("proof encodes");
    BatchFixture {
        batch_size: size as u32,
        chain_id: trace.header.chain_id,
        instance: trace.header.instance,
        batch_number: trace.header.batch_number,
        old_root: fr_to_be_bytes(&trace.old_root),
        new_root: fr_to_be_bytes(&trace.new_root),
        l2_total,
        next_index,
        vk: vk_bytes,
        proof: proof_bytes.try_into().expect("128 bytes"),
        da: trace.da.clone(),
        deposits: deposits
            .iter()
            .map(|d| FixtureDeposit {
                to: d.to,
                new_account: d.new_account.map(|k| k.0.compress()),
                amount: d.amount,
            })
            .collect(),
        withdrawals: trace
            .withdrawals
            .iter()
            .map(|w| WithdrawalArg {
                from: w.from,
                amount: w.amount,
                recipient: w.recipient,
            })
            .collect(),
        circuit_fingerprint: fingerprint,
    }
}

fn main() {
    let dir: PathBuf = std::env::args()
        .nth(1)
        .expect("usage: bench-fixtures <output directory>")
        .into();
    std::fs::create_dir_all(&dir).expect("create the output directory");
    let write = |name: &str, f: &BatchFixture| {
        let path = dir.join(name);
        std::fs::write(&path, f.encode()).expect("write the fixture");
        eprintln!("wrote {}", path.display());
    };

    let r1cs = export_r1cs(FINGERPRINT_BATCH_SIZE).expect("R1CS");
    let fingerprint = sp_io::hashing::sha2_256(&r1cs.to_bytes());

    // Batch 1 on the empty tree, every slot a deposit creating an account.
    for size in FIXTURE_SIZES {
        let deposits: Vec<Deposit> = (0..size).map(creation).collect();
        let txs: Vec<Tx> = deposits.iter().cloned().map(Tx::Deposit).collect();
        let mut tree = AccountTree::new();
        let trace = execute_batch(&mut tree, &header(1), &txs, size as usize).expect("executes");
        let f = prove_fixture(&trace, &deposits, 0, 0, fingerprint);
        write(&format!("submit_batch_{size}.scale"), &f);
    }

    // Batch 1 (not proved: the benchmark starts from its root) creates eight accounts;
    // batch 2, proved, withdraws from each of them.
    let mut tree = AccountTree::new();
    let funding: Vec<Tx> = (0..8).map(|i| Tx::Deposit(creation(i))).collect();
    let funded = execute_batch(&mut tree, &header(1), &funding, 8).expect("executes");
    let l2_total: u128 = funded.deposits.iter().map(|d| d.amount).sum();
    let txs: Vec<Tx> = (0..8)
        .map(|i| {
            Tx::Withdraw(Withdraw::signed(
                &key(i),
                FIXTURE_CHAIN_ID,
                FIXTURE_INSTANCE,
                i,
                Amount40::from_value(WITHDRAWAL).expect("encodable"),
                Fee8::from_value(0).expect("encodable"),
                0,
                recipient(i),
            ))
        })
        .collect();
    let trace = execute_batch(&mut tree, &header(2), &txs, 8).expect("executes");
    let f = prove_fixture(&trace, &[], l2_total, 8, fingerprint);
    write("submit_batch_8_withdrawals.scale", &f);
}
