//! Tests of pallet-bridge, one file per concern like the pallet: `admin` (keys, batch size,
//! parameters, operators), `deposits` (validation, indices, the queue), `batches` (every
//! refusal of `submit_batch` and the happy path), `withdrawals`, `exodus` (timing, exits,
//! refunds) and `genesis` (the pinned root, the instance id). Every refusal asserts its
//! typed error and that nothing changed (`assert_noop!` compares the storage root, which
//! covers balances).
//!
//! Proofs are real: [`fixture`] runs the INSECURE dev setup for batch sizes 1 and 2 and
//! proves three batches of size 2, once per test binary (a few seconds; see its docs).

use crate::{mock::*, *};
use echonet_prover::keys::setup_dev;
use echonet_rollup_primitives::{
    batch::BatchTrace, execute_batch, AccountTree, Amount40, BatchHeader, Deposit, Fee8,
    PrivateKey, Transfer, Tx, Withdraw,
};
use frame_support::assert_ok;
use std::sync::OnceLock;

mod admin;
mod batches;
mod deposits;
mod exodus;
mod fixtures;
mod genesis;
mod withdrawals;

/// A proved batch of the fixture.
pub struct ProvedBatch {
    /// Its trace (roots, DA, deposits, withdrawals).
    pub trace: BatchTrace,
    /// The compressed proof.
    pub proof: [u8; PROOF_BYTES],
}

/// Keys, batches and trees shared by every test.
pub struct Fixture {
    /// Compressed verifying keys for batch sizes 1 and 2 (index 0 and 1).
    pub vk: [Vec<u8>; 2],
    /// Batches 1, 2 and 3 (size 2), at index 0, 1, 2.
    pub batches: Vec<ProvedBatch>,
    /// The L2 tree before batch 1 (index 0) and after each batch.
    pub trees: Vec<AccountTree>,
    /// The L2 keys of accounts 0 and 1.
    pub keys: [PrivateKey; 2],
}

/// L1 account that funds L2 account 0 (5,000) and L1 account that funds 1 (3,000).
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
/// L1 recipient of batch 3's withdrawal.
pub const RECIPIENT: AccountId = 7;
pub const DEPOSIT_A: u128 = 5_000;
pub const DEPOSIT_B: u128 = 3_000;
pub const TRANSFER: u128 = 1_000;
pub const WITHDRAWAL: u128 = 2_000;
pub const FEE: u128 = 10;
/// L2 balances after batch 3: account 0 paid a transfer and its fee and earned both fees as
/// the operator's fee account; account 1 received the transfer and withdrew.
pub const FINAL_BALANCE_0: u128 = DEPOSIT_A - TRANSFER - FEE + 2 * FEE;
pub const FINAL_BALANCE_1: u128 = DEPOSIT_B + TRANSFER - WITHDRAWAL - FEE;

/// The 32 bytes naming an L1 account of the mock on L2.
pub fn recipient(who: AccountId) -> [u8; 32] {
    Bridge::recipient_bytes(&who).unwrap()
}

/// The scenario's transactions, per batch:
///
/// * batch 1: `[deposit A → new account 0, no-op]` (one DA record, so the same DA and
///   public input fit batch sizes 1 and 2: only the key binds the size);
/// * batch 2: `[deposit B → new account 1, transfer 0 → 1 of 1,000 with fee 10]`;
/// * batch 3: `[withdrawal of 2,000 from 1 to L1 account 7 with fee 10, no-op]`.
///
/// The fee account is 0. Chain id 42; the instance is the mock pallet's.
fn scenario_txs(keys: &[PrivateKey; 2], instance: u64) -> Vec<Vec<Tx>> {
    let amount = |v| Amount40::from_value(v).unwrap();
    let fee = Fee8::from_value(FEE).unwrap();
    vec![
        vec![Tx::Deposit(Deposit {
            to: 0,
            new_account: Some(keys[0].public()),
            amount: DEPOSIT_A,
        })],
        vec![
            Tx::Deposit(Deposit {
                to: 1,
                new_account: Some(keys[1].public()),
                amount: DEPOSIT_B,
            }),
            Tx::Transfer(Transfer::signed(
                &keys[0],
                CHAIN_ID,
                instance,
                0,
                1,
                amount(TRANSFER),
                fee,
                0,
            )),
        ],
        vec![Tx::Withdraw(Withdraw::signed(
            &keys[1],
            CHAIN_ID,
            instance,
            1,
            amount(WITHDRAWAL),
            fee,
            0,
            recipient(RECIPIENT),
        ))],
    ]
}

/// The keys and proofs of the fixture: what is slow to make.
struct Proved {
    vk: [Vec<u8>; 2],
    proofs: Vec<[u8; PROOF_BYTES]>,
}

impl Proved {
    /// The two dev setups and three proofs at batch size 2.
    fn make(traces: &[BatchTrace]) -> Self {
        use ark_serialize::CanonicalSerialize;
        let (pk2, vk2) = setup_dev(2, 1).expect("dev setup, size 2");
        let (_, vk1) = setup_dev(1, 1).expect("dev setup, size 1");
        let mut rng = rand::rngs::OsRng;
        let proofs = traces
            .iter()
            .map(|trace| {
                let (proof, _) = echonet_prover::prove(&pk2, 2, trace, &mut rng).expect("proves");
                let bytes = echonet_prover::proof_to_bytes(&proof).unwrap();
                bytes.try_into().expect("128 bytes")
            })
            .collect();
        let enc = |vk: &echonet_prover::VerifyingKey| {
            let mut out = Vec::new();
            vk.serialize_compressed(&mut out).unwrap();
            out
        };
        Proved {
            vk: [enc(&vk1), enc(&vk2)],
            proofs,
        }
    }

    fn to_text(&self) -> String {
        let mut lines = vec![hex::encode(&self.vk[0]), hex::encode(&self.vk[1])];
        lines.extend(self.proofs.iter().map(hex::encode));
        lines.join("\n")
    }

    fn from_text(text: &str) -> Option<Self> {
        let lines: Vec<Vec<u8>> = text
            .lines()
            .map(hex::decode)
            .collect::<Result<_, _>>()
            .ok()?;
        if lines.len() != 5 {
            return None;
        }
        Some(Proved {
            vk: [lines[0].clone(), lines[1].clone()],
            proofs: lines[2..]
                .iter()
                .map(|p| p.as_slice().try_into().ok())
                .collect::<Option<_>>()?,
        })
    }

    /// Made once per test binary. cargo-nextest runs every test in its own process, so a
    /// `OnceLock` alone would prove once per test: the first process proves and leaves the
    /// result in a file named after this test binary (its path, size and modification
    /// time, so a rebuilt binary proves afresh); the others wait for it (a lock file, a
    /// deadline, and a takeover if its holder died).
    fn cached(traces: &[BatchTrace]) -> Self {
        use std::time::{Duration, Instant, SystemTime};
        let exe = std::env::current_exe().expect("test binary path");
        let meta = std::fs::metadata(&exe).expect("test binary metadata");
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let tag = sp_io::hashing::blake2_256(
            format!("{}|{}|{}", exe.display(), meta.len(), mtime).as_bytes(),
        );
        let dir = std::env::temp_dir();
        let data = dir.join(format!("pallet-bridge-fixture-{}", hex::encode(&tag[..8])));
        let lock = data.with_extension("lock");
        let deadline = Instant::now() + Duration::from_secs(3_600);
        loop {
            if let Some(p) = std::fs::read_to_string(&data)
                .ok()
                .and_then(|t| Self::from_text(&t))
            {
                return p;
            }
            let stale = std::fs::metadata(&lock)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(1_800));
            if stale {
                let _ = std::fs::remove_file(&lock);
            }
            if std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
                .is_ok()
            {
                let p = Self::make(traces);
                let tmp = data.with_extension(format!("tmp{}", std::process::id()));
                std::fs::write(&tmp, p.to_text()).expect("write the fixture");
                std::fs::rename(&tmp, &data).expect("publish the fixture");
                let _ = std::fs::remove_file(&lock);
                return p;
            }
            assert!(
                Instant::now() < deadline,
                "waited an hour for the proof fixture"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The fixture shared by every test: the scenario's batches executed natively (fast, in
/// every process) and proved at batch size 2 with INSECURE dev keys for sizes 1 and 2
/// (slow: once per test binary, see [`Proved::cached`]).
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let keys = [PrivateKey([11; 32]), PrivateKey([12; 32])];
        let mut tree = AccountTree::new();
        let mut trees = vec![tree.clone()];
        let mut traces = Vec::new();
        // The mock's genesis is fixed, so is the instance id the pallet computes.
        let instance = new_test_ext().execute_with(Bridge::compute_instance);
        for (i, batch) in scenario_txs(&keys, instance).iter().enumerate() {
            let header = BatchHeader {
                chain_id: CHAIN_ID,
                instance,
                batch_number: i as u64 + 1,
                operator: 0,
            };
            traces.push(execute_batch(&mut tree, &header, batch, 2).expect("batch executes"));
            trees.push(tree.clone());
        }
        let proved = Proved::cached(&traces);
        Fixture {
            vk: proved.vk,
            batches: traces
                .into_iter()
                .zip(proved.proofs)
                .map(|(trace, proof)| ProvedBatch { trace, proof })
                .collect(),
            trees,
            keys,
        }
    })
}

fn root() -> RuntimeOrigin {
    RuntimeOrigin::root()
}

fn signed(who: AccountId) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn free(who: AccountId) -> Balance {
    Balances::free_balance(who)
}

fn check_state() {
    assert_ok!(Bridge::do_try_state());
}

/// Registers the fixture's key for `size` (1 or 2).
fn register_key(size: u32) {
    let key = fixture().vk[size as usize - 1].clone();
    let hash = sp_io::hashing::sha2_256(&key);
    assert_ok!(Bridge::set_verifying_key(
        root(),
        size,
        key.try_into().unwrap(),
        hash
    ));
}

/// Registers the size-2 key and makes 2 the batch size.
fn configure() {
    register_key(2);
    assert_ok!(Bridge::set_batch_size(root(), 2));
}

/// The packed L2 key of fixture account `i`.
fn packed_key(i: usize) -> [u8; 32] {
    fixture().keys[i].public().0.compress()
}

/// Alice's and Bob's deposits, which batches 1 and 2 consume.
fn queue_scenario_deposits() {
    assert_ok!(Bridge::deposit(
        signed(ALICE),
        DepositTarget::NewAccount(packed_key(0)),
        DEPOSIT_A
    ));
    assert_ok!(Bridge::deposit(
        signed(BOB),
        DepositTarget::NewAccount(packed_key(1)),
        DEPOSIT_B
    ));
}

/// The arguments of `submit_batch` for a fixture batch, in a struct a test may tamper with.
#[derive(Clone)]
struct Submission {
    batch_number: u64,
    new_root: FieldBytes,
    da: Vec<u8>,
    deposits_consumed: u32,
    withdrawals: Vec<WithdrawalArg>,
    proof: [u8; PROOF_BYTES],
}

impl Submission {
    fn of(b: &ProvedBatch) -> Self {
        Submission {
            batch_number: b.trace.header.batch_number,
            new_root: verifier::fr_to_bytes(&b.trace.new_root),
            da: b.trace.da.clone(),
            deposits_consumed: b.trace.deposits.len() as u32,
            withdrawals: b
                .trace
                .withdrawals
                .iter()
                .map(|w| WithdrawalArg {
                    from: w.from,
                    amount: w.amount,
                    recipient: w.recipient,
                })
                .collect(),
            proof: b.proof,
        }
    }

    /// Batch `n` (1-based) of the fixture.
    fn batch(n: usize) -> Self {
        Self::of(&fixture().batches[n - 1])
    }

    fn submit_as(&self, who: AccountId) -> frame_support::dispatch::DispatchResultWithPostInfo {
        Bridge::submit_batch(
            signed(who),
            self.batch_number,
            self.new_root,
            self.da.clone().try_into().unwrap(),
            self.deposits_consumed,
            self.withdrawals.clone().try_into().unwrap(),
            self.proof,
        )
    }

    fn submit(&self) -> frame_support::dispatch::DispatchResultWithPostInfo {
        self.submit_as(OPERATOR)
    }
}

/// Configures the bridge, queues the scenario's deposits and applies batches `1..=n`.
fn run_batches(n: usize) {
    configure();
    queue_scenario_deposits();
    for i in 1..=n {
        assert_ok!(Submission::batch(i).submit());
    }
}
