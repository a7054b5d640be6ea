//! Export in snarkjs' JSON layout (`verification_key.json`, `proof.json`, `public.json`), so
//! that `snarkjs groth16 verify` (an independent verifier) can check our proofs, and so that
//! Solidity/JS tooling built around snarkjs can consume them.
//!
//! Coordinates are decimal strings; G1 points are `[x, y, "1"]`, G2 points
//! `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`. arkworks and snarkjs use the same BN254 curve
//! and twist, so no conversion beyond formatting is needed.

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use echonet_rollup_primitives::{field::fr_to_decimal, Fr};
use serde_json::{json, Value};

use crate::{Proof, VerifyingKey};

fn fq(x: &Fq) -> String {
    x.into_bigint().to_string()
}

fn fq2(x: &Fq2) -> Value {
    json!([fq(&x.c0), fq(&x.c1)])
}

fn g1(p: &G1Affine) -> Value {
    if p.is_zero() {
        return json!(["0", "1", "0"]);
    }
    json!([fq(&p.x), fq(&p.y), "1"])
}

fn g2(p: &G2Affine) -> Value {
    if p.is_zero() {
        return json!([["0", "0"], ["1", "0"], ["0", "0"]]);
    }
    json!([fq2(&p.x), fq2(&p.y), ["1", "0"]])
}

/// `verification_key.json`.
pub fn verification_key_json(vk: &VerifyingKey) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// `proof.json`.
pub fn proof_json(proof: &Proof) -> Value {
    json!({
        "pi_a": g1(&proof.a),
        "pi_b": g2(&proof.b),
        "pi_c": g1(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// `public.json`.
pub fn public_json(inputs: &[Fr]) -> Value {
    Value::Array(
        inputs
            .iter()
            .map(|x| Value::String(fr_to_decimal(x)))
            .collect(),
    )
}
