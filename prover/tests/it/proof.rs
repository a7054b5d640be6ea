//! Real Groth16 proofs for a small batch mixing all four slot types: prove, verify, and the
//! verifier's input checks.
//! (CI proves a batch of 8 through the CLI in scripts/ci-rollup.sh; 64 is in the benchmark.)

use ark_serialize::CanonicalSerialize;
use echonet_prover::{
    keys, proof_to_bytes, prove,
    sample::{sample_batch, sample_tree, sample_txs, SampleKind, SAMPLE_CHAIN_ID, SAMPLE_INSTANCE},
    snarkjs, verify, verify_encoded, ProverError,
};
use echonet_rollup_primitives::{
    batch::BatchTrace,
    field::{fr_to_be_bytes, Fr},
    tx::tx_type,
    BatchHeader,
};

/// A deposit creating an account, a transfer, a withdrawal and a no-op.
fn mixed_batch_of_4() -> BatchTrace {
    let mut tree = sample_tree(6).unwrap();
    let txs = sample_txs(3, SampleKind::Mixed, 6);
    let header = BatchHeader {
        chain_id: SAMPLE_CHAIN_ID,
        instance: SAMPLE_INSTANCE,
        batch_number: 3,
        operator: 0,
    };
    let trace = echonet_rollup_primitives::execute_batch(&mut tree, &header, &txs, 4).unwrap();
    let kinds: Vec<u64> = trace.slots.iter().map(|s| s.tx.type_code()).collect();
    assert_eq!(
        kinds,
        [
            tx_type::DEPOSIT,
            tx_type::TRANSFER,
            tx_type::WITHDRAW,
            tx_type::NOOP
        ]
    );
    trace
}

#[test]
fn prove_verify_and_reject_bad_inputs() {
    let (pk, vk) = keys::setup_dev(4, 7).unwrap();
    let trace = mixed_batch_of_4();
    let mut rng = rand::rngs::OsRng;
    let (proof, public) = prove(&pk, 4, &trace, &mut rng).unwrap();
    assert_eq!(public, trace.commitment);
    assert!(verify(&vk, &[public], &proof).unwrap());

    // Tampered public input.
    assert!(!verify(&vk, &[public + Fr::from(1u64)], &proof).unwrap());
    // Wrong number of public inputs: ark-groth16 0.6 would not notice.
    assert!(matches!(
        verify(&vk, &[], &proof),
        Err(ProverError::WrongInputCount { got: 0, .. })
    ));
    assert!(matches!(
        verify(&vk, &[public, Fr::from(0u64)], &proof),
        Err(ProverError::WrongInputCount { got: 2, .. })
    ));

    // Encoded inputs: canonical passes, `x + p` (same value mod p) is refused.
    let bytes = proof_to_bytes(&proof).unwrap();
    assert_eq!(bytes.len(), 128);
    assert!(verify_encoded(&vk, &[fr_to_be_bytes(&public)], &bytes).unwrap());
    let plus_p = {
        use num_bigint::BigUint;
        let p: BigUint = <Fr as ark_ff::PrimeField>::MODULUS.into();
        let x = BigUint::from_bytes_be(&fr_to_be_bytes(&public)) + p;
        let mut out = [0u8; 32];
        let b = x.to_bytes_be();
        if b.len() > 32 {
            // Cannot happen for this x in practice; fall back to the all-ones encoding.
            [0xff; 32]
        } else {
            out[32 - b.len()..].copy_from_slice(&b);
            out
        }
    };
    assert!(matches!(
        verify_encoded(&vk, &[plus_p], &bytes),
        Err(ProverError::NonCanonicalInput)
    ));
    assert!(matches!(
        verify_encoded(&vk, &[[0xff; 32]], &bytes),
        Err(ProverError::NonCanonicalInput)
    ));
    assert!(matches!(
        verify_encoded(&vk, &[], &bytes),
        Err(ProverError::WrongInputCount { .. })
    ));
    // Corrupted or truncated proof bytes are an error or a rejection, never a panic.
    let mut bad = bytes.clone();
    bad[5] ^= 0x40;
    assert!(!matches!(
        verify_encoded(&vk, &[fr_to_be_bytes(&public)], &bad),
        Ok(true)
    ));
    assert!(verify_encoded(&vk, &[fr_to_be_bytes(&public)], &bytes[..100]).is_err());

    // A trace for another batch size is refused.
    let t2 = sample_batch(2, SampleKind::Mixed).unwrap();
    assert!(matches!(
        prove(&pk, 4, &t2, &mut rng),
        Err(ProverError::BatchSizeMismatch { .. })
    ));

    // snarkjs layout.
    let vkj = snarkjs::verification_key_json(&vk);
    assert_eq!(vkj["nPublic"], 1);
    assert_eq!(vkj["IC"].as_array().unwrap().len(), 2);
    let pj = snarkjs::proof_json(&proof);
    assert_eq!(pj["pi_b"][2][0], "1");
    assert_eq!(
        snarkjs::public_json(&[public])[0],
        echonet_rollup_primitives::field::fr_to_decimal(&public)
    );

    // Keys: the dev key passes the ceremony checks for its batch size, not for another.
    keys::check_proving_key(&pk, 4).unwrap();
    assert!(matches!(
        keys::check_proving_key(&pk, 3),
        Err(ProverError::KeyCheck(_))
    ));
    let mut a = Vec::new();
    vk.serialize_compressed(&mut a).unwrap();
    assert!(!a.is_empty());
}

#[test]
fn dev_setup_is_deterministic_per_seed() {
    // Same seed, same key: the hash is what governance pins. Another seed, another key.
    let h = |seed| keys::vk_hash(&keys::setup_dev(1, seed).unwrap().1).unwrap();
    assert_eq!(h(7), h(7));
    assert_ne!(h(7), h(8));
}

#[test]
fn keys_roundtrip_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let (pk, _) = keys::setup_dev(1, 3).unwrap();
    let meta = keys::save_keys(dir.path(), &pk, 1, true).unwrap();
    assert!(meta.insecure);
    assert!(meta.note.contains("INSECURE"));
    let pk2 = keys::load_proving_key(&dir.path().join(keys::PK_FILE)).unwrap();
    let vk2 = keys::load_verifying_key(&dir.path().join(keys::VK_FILE)).unwrap();
    assert_eq!(keys::vk_hash(&vk2).unwrap(), meta.vk_sha256);
    assert_eq!(pk2.vk, vk2);
    assert_eq!(keys::load_meta(dir.path()).unwrap(), meta);
    // A truncated key file is an error, not a panic.
    let p = dir.path().join("bad.bin");
    std::fs::write(
        &p,
        &std::fs::read(dir.path().join(keys::VK_FILE)).unwrap()[..50],
    )
    .unwrap();
    assert!(keys::load_verifying_key(&p).is_err());
    assert!(keys::load_proving_key(&dir.path().join("missing")).is_err());
}
