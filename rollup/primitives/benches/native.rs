//! Criterion micro-benchmarks of the cryptography the sequencer runs natively on the
//! soft-confirmation path: Poseidon at every arity the rollup uses, EdDSA-Poseidon signing and
//! verification, and account-tree updates at depth 24. Figures are in BENCHMARKS.md,
//! "Native (sequencer-side) micro-benchmarks".

// `criterion_group!` defines an undocumented `pub fn benches` at the crate root and takes no
// attributes; this bench binary has no other public item.
#![allow(missing_docs)]

use std::hint::black_box;

use ark_ff::UniformRand;
use criterion::{criterion_group, criterion_main, Criterion};
use echonet_rollup_primitives::{
    eddsa::verify_batch,
    poseidon::{poseidon, poseidon_tagged, DEPOSITS_TAG},
    Account, AccountTree, Fr, PrivateKey,
};

fn hashes(c: &mut Criterion) {
    let mut rng = ark_std::test_rng();
    let x: [Fr; 7] = std::array::from_fn(|_| Fr::rand(&mut rng));
    let mut g = c.benchmark_group("poseidon");
    g.bench_function("arity2_merkle_node", |b| {
        b.iter(|| poseidon(black_box(&[x[0], x[1]])))
    });
    g.bench_function("arity3_signed_message", |b| {
        b.iter(|| poseidon(black_box(&[x[0], x[1], x[2]])))
    });
    g.bench_function("arity4_leaf", |b| {
        b.iter(|| poseidon(black_box(&[x[0], x[1], x[2], x[3]])))
    });
    g.bench_function("arity5_challenge", |b| {
        b.iter(|| poseidon(black_box(&[x[0], x[1], x[2], x[3], x[4]])))
    });
    g.bench_function("arity5_tagged_chain", |b| {
        b.iter(|| poseidon_tagged(DEPOSITS_TAG, black_box(&[x[0], x[1], x[2], x[3], x[4]])))
    });
    g.bench_function("arity7_public_input", |b| {
        b.iter(|| poseidon(black_box(&x)))
    });
    g.finish();
}

fn eddsa(c: &mut Criterion) {
    let key = PrivateKey([1u8; 32]);
    let msg = Fr::from(12345u64);
    let sig = key.sign(&msg);
    let pk = key.public();
    let mut g = c.benchmark_group("eddsa");
    g.bench_function("verify", |b| {
        b.iter(|| {
            black_box(&pk)
                .verify(black_box(&msg), black_box(&sig))
                .is_ok()
        })
    });
    g.bench_function("sign", |b| b.iter(|| black_box(&key).sign(black_box(&msg))));
    g.bench_function("public_key", |b| b.iter(|| black_box(&key).public()));
    // 64 signatures (one batch of the largest circuit), spread over rayon's pool.
    let keys: Vec<PrivateKey> = (0..64u8).map(|i| PrivateKey([i; 32])).collect();
    let pks: Vec<_> = keys.iter().map(PrivateKey::public).collect();
    let msgs: Vec<Fr> = (0..64u64).map(Fr::from).collect();
    let sigs: Vec<_> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
    let items: Vec<_> = pks
        .iter()
        .zip(&msgs)
        .zip(&sigs)
        .map(|((p, m), s)| (p, m, s))
        .collect();
    g.bench_function("verify_batch_64_parallel", |b| {
        b.iter(|| verify_batch(black_box(&items)))
    });
    g.finish();
}

fn tree(c: &mut Criterion) {
    let pk = PrivateKey([1u8; 32]).public();
    let account = |i: u32| Account {
        pubkey: pk,
        balance: u128::from(i),
        nonce: 0,
    };
    // A tree with 10,000 accounts, so that paths share their upper nodes as in a live rollup.
    let mut tree = AccountTree::new();
    for i in 0..10_000u32 {
        tree.set(i * 1_601 % 1_000_000, Some(account(i)))
            .expect("index in range");
    }
    let mut g = c.benchmark_group("account_tree");
    let mut i = 0u32;
    g.bench_function("update_depth24_one_leaf", |b| {
        b.iter(|| {
            i = (i + 7_919) % 1_000_000;
            tree.set(i, Some(account(i))).expect("index in range")
        })
    });
    // One batch of 64 transfers touches about 128 leaves (sender and receiver): one by one,
    // then with shared upper paths.
    let touched: Vec<u32> = (0..128u32)
        .map(|n| n * 7_919 % 10_000 * 1_601 % 1_000_000)
        .collect();
    let mut round = 0u32;
    g.bench_function("update_128_leaves_one_by_one", |b| {
        b.iter(|| {
            round += 1;
            for &i in &touched {
                tree.set(i, Some(account(i + round)))
                    .expect("index in range");
            }
        })
    });
    g.bench_function("update_128_leaves_set_many", |b| {
        b.iter(|| {
            round += 1;
            tree.set_many(touched.iter().map(|&i| (i, Some(account(i + round)))))
                .expect("index in range")
        })
    });
    // The same 128 leaves among 10,000 accounts at indices 0..10,000, as the bridge's account
    // counter assigns them: paths share every level above 2^14.
    let mut dense = AccountTree::new();
    dense
        .set_many((0..10_000u32).map(|i| (i, Some(account(i)))))
        .expect("index in range");
    let near: Vec<u32> = (0..128u32).map(|n| n * 7_919 % 10_000).collect();
    g.bench_function("update_128_leaves_set_many_dense_10k", |b| {
        b.iter(|| {
            round += 1;
            dense
                .set_many(near.iter().map(|&i| (i, Some(account(i + round)))))
                .expect("index in range")
        })
    });
    g.finish();
}

criterion_group!(benches, hashes, eddsa, tree);
criterion_main!(benches);
