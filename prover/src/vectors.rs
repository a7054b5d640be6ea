//! Cross-check vectors for independent implementations (circomlibjs in `tests/js`): Poseidon
//! outputs, EdDSA keys and signatures, all computed by our native code from fixed seeds.

use echonet_rollup_primitives::{
    field::{fr_to_decimal, Fr},
    poseidon::poseidon_slice,
    PrivateKey,
};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Vectors as JSON. Deterministic for a given `seed`.
pub fn vectors(seed: u64) -> Result<Value, light_poseidon::PoseidonError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let rand_fr = |rng: &mut rand::rngs::StdRng| {
        use ark_ff::UniformRand;
        Fr::rand(rng)
    };
    let mut poseidon_vectors = Vec::new();
    for n in 1..=7usize {
        for _ in 0..3 {
            let inputs: Vec<Fr> = (0..n).map(|_| rand_fr(&mut rng)).collect();
            let out = poseidon_slice(&inputs)?;
            poseidon_vectors.push(json!({
                "inputs": inputs.iter().map(fr_to_decimal).collect::<Vec<_>>(),
                "output": fr_to_decimal(&out),
            }));
        }
    }
    let mut eddsa_vectors = Vec::new();
    for _ in 0..8 {
        let key = PrivateKey(rng.gen());
        let msg = rand_fr(&mut rng);
        let pk = key.public();
        let sig = key.sign(&msg);
        eddsa_vectors.push(json!({
            "private_key": hex::encode(key.0),
            "public_key": [fr_to_decimal(&pk.0.x), fr_to_decimal(&pk.0.y)],
            "packed_public_key": hex::encode(pk.0.compress()),
            "msg": fr_to_decimal(&msg),
            "r8": [fr_to_decimal(&sig.r8.x), fr_to_decimal(&sig.r8.y)],
            "s": sig.s.to_str_radix(10),
            "packed_signature": hex::encode(sig.to_bytes()),
        }));
    }
    Ok(json!({
        "seed": seed,
        "poseidon": poseidon_vectors,
        "eddsa": eddsa_vectors,
    }))
}
