//! The checked-in proof fixtures of the benchmarks (`crate::fixtures`) still match the code:
//! each proof verifies for the public input the current `commitment_from_l1_data` rebuilds
//! from the fixture's data, the circuit's R1CS is the one the fixtures were proved for, and
//! each batch is accepted by the pallet from the state the benchmark installs. Every failure
//! names the regeneration command.

use super::*;
use crate::fixtures::{
    self, BatchFixture, FINGERPRINT_BATCH_SIZE, FIXTURE_CHAIN_ID, FIXTURE_SIZES, REGENERATE,
};
use echonet_rollup_primitives::{
    commitment_from_l1_data, field::fr_from_be_bytes, Fr, PublicKey, WithdrawalRecord,
};

fn all() -> Vec<(&'static str, BatchFixture)> {
    fixtures::FILES
        .iter()
        .map(|(name, _)| (*name, fixtures::load(name)))
        .collect()
}

fn stale(name: &str, what: &str) -> String {
    format!("fixture {name} is stale: {what}; regenerate the fixtures with `{REGENERATE}`")
}

/// The fixture's public input, rebuilt from its data by the current code.
fn public_input(name: &str, f: &BatchFixture) -> Fr {
    let deposits: Vec<Deposit> = f
        .deposits
        .iter()
        .map(|d| Deposit {
            to: d.to,
            new_account: d.new_account.map(|packed| {
                PublicKey(
                    echonet_rollup_primitives::babyjubjub::Point::decompress(&packed)
                        .unwrap_or_else(|_| panic!("{}", stale(name, "a key does not decompress"))),
                )
            }),
            amount: d.amount,
        })
        .collect();
    let withdrawals: Vec<WithdrawalRecord> = f
        .withdrawals
        .iter()
        .map(|w| WithdrawalRecord {
            from: w.from,
            amount: w.amount,
            recipient: w.recipient,
        })
        .collect();
    let header = BatchHeader {
        chain_id: f.chain_id,
        instance: f.instance,
        batch_number: f.batch_number,
        operator: 0,
    };
    let root = |b: &FieldBytes| {
        fr_from_be_bytes(b).unwrap_or_else(|_| panic!("{}", stale(name, "a root is not canonical")))
    };
    let (input, consumed) = commitment_from_l1_data(
        &header,
        f.batch_size as usize,
        root(&f.old_root),
        root(&f.new_root),
        |i| deposits.get(i).cloned(),
        &withdrawals,
        &f.da,
    )
    .unwrap_or_else(|e| panic!("{}", stale(name, &format!("its DA is refused ({e:?})"))));
    assert_eq!(
        consumed,
        deposits.len(),
        "{}",
        stale(name, "its DA consumes another number of deposits")
    );
    input
}

#[test]
fn every_fixture_proof_verifies_for_the_public_input_the_code_rebuilds() {
    let files = all();
    let sizes: Vec<u32> = files
        .iter()
        .filter(|(n, _)| !n.contains("withdrawals"))
        .map(|(_, f)| f.batch_size)
        .collect();
    assert_eq!(
        sizes, FIXTURE_SIZES,
        "one deposit fixture per benchmarked size"
    );
    for (name, f) in files {
        assert_eq!(f.chain_id, FIXTURE_CHAIN_ID, "{}", stale(name, "chain id"));
        let input = public_input(name, &f);
        let prepared = verifier::prepare_key(&f.vk)
            .unwrap_or_else(|e| panic!("{}", stale(name, &format!("its key is refused ({e:?})"))));
        let pvk = verifier::load_prepared(&prepared).expect("a key just prepared loads");
        let proof = verifier::decode_proof(&f.proof).unwrap_or_else(|e| {
            panic!("{}", stale(name, &format!("its proof is refused ({e:?})")))
        });
        assert!(
            verifier::verify(&pvk, input, &proof),
            "{}",
            stale(
                name,
                "its proof does not verify for the public input the code rebuilds"
            )
        );
    }
}

#[test]
fn the_fixtures_were_proved_for_the_current_circuit() {
    let r1cs = echonet_prover::keys::export_r1cs(FINGERPRINT_BATCH_SIZE).expect("R1CS");
    let current = sp_io::hashing::sha2_256(&r1cs.to_bytes());
    for (name, f) in all() {
        assert!(
            f.circuit_fingerprint == current,
            "{}",
            stale(
                name,
                &format!(
                    "the circuit's R1CS at {FINGERPRINT_BATCH_SIZE} slots has changed (SHA-256 {} now, {} in the fixture)",
                    hex::encode(current),
                    hex::encode(f.circuit_fingerprint)
                )
            )
        );
    }
}

#[test]
fn every_fixture_batch_is_accepted_from_the_state_the_benchmark_installs() {
    for (name, f) in all() {
        new_bench_ext().execute_with(|| {
            let sub = fixtures::install::<Test>(&f, &OPERATOR, &ALICE)
                .unwrap_or_else(|e| panic!("{}", stale(name, e)));
            let unclaimed = UnclaimedTotal::<Test>::get();
            let result = Bridge::submit_batch(
                signed(OPERATOR),
                sub.batch_number,
                sub.new_root,
                sub.da,
                sub.deposits_consumed,
                sub.withdrawals,
                sub.proof,
            );
            assert!(
                result.is_ok(),
                "{}",
                stale(name, &format!("submit_batch refuses it ({result:?})"))
            );
            assert_eq!(CurrentRoot::<Test>::get(), f.new_root);
            assert_eq!(LastBatch::<Test>::get(), f.batch_number);
            assert_eq!(QueueHead::<Test>::get(), QueueTail::<Test>::get());
            let withdrawn: u128 = f.withdrawals.iter().map(|w| w.amount).sum();
            assert_eq!(UnclaimedTotal::<Test>::get(), unclaimed + withdrawn);
            check_state();
        });
    }
}
