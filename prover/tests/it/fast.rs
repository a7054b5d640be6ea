//! The prepared prover (`echonet_prover::fast`): cached matrices, witness-only synthesis.
//! Its proofs verify like the one-off path's, for both QAP reductions; a bad witness is an
//! error; matrices and keys for another batch size or reduction are refused.

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::CircuitSpecificSetupSNARK;
use echonet_prover::{
    keys, prove_with,
    qap::CircomReduction,
    sample::{sample_batch, SampleKind},
    verify, BatchCircuit, BatchWitness, CircuitMatrices, PreparedProver, ProverError, QapReduction,
};
use echonet_rollup_primitives::field::Fr;
use rand::SeedableRng;

#[test]
fn prepared_proofs_verify_for_both_reductions() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let trace = sample_batch(2, SampleKind::Mixed).unwrap();
    let matrices = CircuitMatrices::build(2).unwrap();
    assert_eq!(matrices.batch_size(), 2);
    assert_eq!(
        matrices.num_constraints(),
        BatchCircuit::profile(2).unwrap().total
    );

    let (lpk, _) = keys::setup_dev(2, 11).unwrap();
    let (cpk, _) = Groth16::<Bn254, CircomReduction>::setup(
        BatchCircuit::new(BatchWitness::blank(2)),
        &mut rng,
    )
    .unwrap();
    for (pk, reduction) in [(lpk, QapReduction::Libsnark), (cpk, QapReduction::Circom)] {
        // The one-off path on the same trace.
        let (old, old_public) = prove_with(&pk, reduction, 2, &trace, &mut rng).unwrap();
        assert!(verify(&pk.vk, &[old_public], &old).unwrap());

        let prover =
            PreparedProver::with_matrices(pk.clone(), reduction, 2, matrices.clone()).unwrap();
        assert_eq!(prover.batch_size(), 2);
        assert_eq!(prover.reduction(), reduction);
        let (proof, public) = prover.prove(&trace, &mut rng).unwrap();
        assert_eq!(public, trace.commitment);
        assert_eq!(public, old_public);
        assert!(verify(prover.verifying_key(), &[public], &proof).unwrap());
        assert!(!verify(prover.verifying_key(), &[public + Fr::from(1u64)], &proof).unwrap());
        // Zero-knowledge randomness: a second proof of the same trace differs and verifies.
        let (again, _) = prover.prove(&trace, &mut rng).unwrap();
        assert_ne!(again, proof);
        assert!(verify(prover.verifying_key(), &[public], &again).unwrap());

        // The key of one reduction is refused with the other.
        let other = match reduction {
            QapReduction::Libsnark => QapReduction::Circom,
            QapReduction::Circom => QapReduction::Libsnark,
        };
        assert!(matches!(
            PreparedProver::with_matrices(pk, other, 2, matrices.clone()),
            Err(ProverError::WrongReduction { .. })
        ));
    }
}

#[test]
fn prepared_prover_refuses_bad_witnesses_and_other_sizes() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    let (pk, _) = keys::setup_dev(1, 12).unwrap();
    let m1 = CircuitMatrices::build(1).unwrap();
    let m2 = CircuitMatrices::build(2).unwrap();
    assert!(m2.num_constraints() > m1.num_constraints());

    // Matrices for another batch size, under either batch size.
    assert!(matches!(
        PreparedProver::with_matrices(pk.clone(), QapReduction::Libsnark, 1, m2.clone()),
        Err(ProverError::BatchSizeMismatch {
            got: 2,
            expected: 1
        })
    ));
    assert!(matches!(
        PreparedProver::with_matrices(pk.clone(), QapReduction::Libsnark, 2, m2),
        Err(ProverError::KeyCheck(_))
    ));
    // A key for batch size 1 does not fit the circuit of 2.
    assert!(matches!(
        PreparedProver::new(pk.clone(), QapReduction::Libsnark, 2),
        Err(ProverError::KeyCheck(_))
    ));

    let prover = PreparedProver::with_matrices(pk, QapReduction::Libsnark, 1, m1).unwrap();
    let trace = sample_batch(1, SampleKind::Transfers).unwrap();
    prover.prove(&trace, &mut rng).unwrap();

    // A trace or witness for another batch size.
    let t2 = sample_batch(2, SampleKind::Transfers).unwrap();
    assert!(matches!(
        prover.prove(&t2, &mut rng),
        Err(ProverError::BatchSizeMismatch {
            got: 2,
            expected: 1
        })
    ));
    assert!(matches!(
        prover.prove_witness(BatchWitness::from_trace(&t2).unwrap(), &mut rng),
        Err(ProverError::BatchSizeMismatch { .. })
    ));

    // A tampered trace (the public input does not match the batch) is an error, not a panic.
    let mut bad = trace.clone();
    bad.commitment += Fr::from(1u64);
    assert!(matches!(
        prover.prove(&bad, &mut rng),
        Err(ProverError::Unsatisfied)
    ));
    // A tampered witness deep in a slot: the sender's balance.
    let mut w = BatchWitness::from_trace(&trace).unwrap();
    w.slots[0].sender.balance += Fr::from(1u64);
    assert!(matches!(
        prover.prove_witness(w, &mut rng),
        Err(ProverError::Unsatisfied)
    ));
    // A tampered Merkle path.
    let mut w = BatchWitness::from_trace(&trace).unwrap();
    w.slots[0].receiver_path[3] += Fr::from(1u64);
    assert!(matches!(
        prover.prove_witness(w, &mut rng),
        Err(ProverError::Unsatisfied)
    ));
}
