//! Our Poseidon and EdDSA-Poseidon against vectors computed by circomlibjs alone
//! (`tests/js/rollup/gen-circomlibjs-vectors.mjs`; the JSON is committed so this runs without
//! Node). The reverse direction, circomlibjs checking our outputs, is tests/js/rollup.

use echonet_rollup_primitives::{
    babyjubjub::Point,
    eddsa::{PrivateKey, Signature},
    field::{fr_from_decimal, fr_to_decimal},
    poseidon::poseidon_slice,
};
use num_bigint::BigUint;
use serde_json::Value;

fn vectors() -> Value {
    let text = include_str!("circomlibjs_vectors.json");
    serde_json::from_str(text).expect("valid JSON fixture")
}

#[test]
fn poseidon_matches_circomlibjs() {
    let v = vectors();
    let cases = v["poseidon"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for c in cases {
        let inputs: Vec<_> = c["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| fr_from_decimal(x.as_str().unwrap()).unwrap())
            .collect();
        let out = poseidon_slice(&inputs).unwrap();
        assert_eq!(fr_to_decimal(&out), c["output"].as_str().unwrap());
    }
}

#[test]
fn eddsa_matches_circomlibjs() {
    let v = vectors();
    let cases = v["eddsa"].as_array().unwrap();
    assert!(cases.len() >= 4);
    for c in cases {
        let prv: [u8; 32] = hex::decode(c["private_key"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let key = PrivateKey(prv);
        let pk = key.public();
        let xy = |j: &Value| Point {
            x: fr_from_decimal(j[0].as_str().unwrap()).unwrap(),
            y: fr_from_decimal(j[1].as_str().unwrap()).unwrap(),
        };
        assert_eq!(pk.0, xy(&c["public_key"]));
        let msg = fr_from_decimal(c["msg"].as_str().unwrap()).unwrap();
        let sig = key.sign(&msg);
        let theirs = Signature {
            r8: xy(&c["r8"]),
            s: BigUint::parse_bytes(c["s"].as_str().unwrap().as_bytes(), 10).unwrap(),
        };
        assert_eq!(sig, theirs);
        assert_eq!(
            hex::encode(sig.to_bytes()),
            c["packed_signature"].as_str().unwrap()
        );
        assert!(pk.verify(&msg, &theirs).is_ok());
    }
}
