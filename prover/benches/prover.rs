//! Criterion micro-benchmarks of the pieces the sequencer runs natively per transaction and of
//! one slot's synthesis. Whole-batch proving figures come from `echonet-prover benchmark`
//! (see BENCHMARKS.md), which is too slow for criterion's repetitions.

// `criterion_group!` defines an undocumented `pub fn benches` at the crate root and takes no
// attributes; this bench binary has no other public item.
#![allow(missing_docs)]

use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisMode,
};
use criterion::{criterion_group, criterion_main, Criterion};
use echonet_prover::{
    circuit::{BatchCircuit, BatchWitness},
    sample::{sample_batch, sample_key, SampleKind},
};
use echonet_rollup_primitives::{Account, AccountTree, Fr};

fn native(c: &mut Criterion) {
    let key = sample_key(1);
    let msg = Fr::from(12345u64);
    let sig = key.sign(&msg);
    let pk = key.public();
    c.bench_function("eddsa_poseidon_verify_native", |b| {
        b.iter(|| pk.verify(&msg, &sig).is_ok())
    });
    let mut tree = AccountTree::new();
    let mut i = 0u32;
    c.bench_function("account_tree_update_depth24", |b| {
        b.iter(|| {
            i = (i + 7919) % 1_000_000;
            tree.set(
                i,
                Some(Account {
                    pubkey: pk,
                    balance: i as u128,
                    nonce: 0,
                }),
            )
        })
    });
}

fn synthesis(c: &mut Criterion) {
    let trace = sample_batch(1, SampleKind::Transfers).expect("sample batch");
    let witness = BatchWitness::from_trace(&trace).expect("witness");
    let mut g = c.benchmark_group("synthesis");
    g.sample_size(10);
    g.bench_function("batch_of_1_prove_mode", |b| {
        b.iter(|| {
            let cs = ConstraintSystem::new_ref();
            cs.set_optimization_goal(OptimizationGoal::Constraints);
            cs.set_mode(SynthesisMode::Prove {
                construct_matrices: true,
                generate_lc_assignments: false,
            });
            BatchCircuit::new(witness.clone())
                .generate_constraints(cs.clone())
                .expect("synthesis");
            cs.finalize();
            cs.num_constraints()
        })
    });
    g.finish();
}

criterion_group!(benches, native, synthesis);
criterion_main!(benches);
