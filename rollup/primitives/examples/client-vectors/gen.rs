//! The vectors of `rollup/client-js/test/vectors.json`, computed with this crate (and, for the
//! parts the sequencer adds, with sp-core and sp-crypto-hashing, as the sequencer does): keys,
//! packed public keys, float codes, signed messages, packed signatures, transaction hashes,
//! the JSON the client sends to `l2_sendTransaction`, and soft-confirmation receipts.
//!
//! Shared by the `client-vectors` example (which writes the file) and the integration test
//! `client_vectors` (which fails when the committed file is stale). Everything is
//! deterministic except the receipts' sr25519 signatures (schnorrkel signs with a random
//! nonce), which the test verifies instead of comparing.

use echonet_rollup_primitives::{
    field::{fr_to_decimal, fr_to_le_bytes},
    float::{Amount40, Fee8, FloatError},
    tx::{pack_message_word, tx_type, MAX_NONCE},
    PrivateKey, Transfer, Withdraw,
};
use serde_json::{json, Value};
use sp_core::{sr25519, Pair};

/// The chain id of EchoNet's runtime (`runtime/src/configs.rs`, `ChainId`).
pub const CHAIN_ID: u32 = 1;
/// A rollup instance id shaped like the bridge's (a 64-bit hash).
pub const INSTANCE: u64 = 0x9e37_79b9_7f4a_7c15;
/// The dev operator whose key signs the receipts.
pub const OPERATOR_SURI: &str = "//Alice";
/// The domain tag of a receipt (seq-design.md).
pub const RECEIPT_TAG: &[u8] = b"echonet/l2-receipt";

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// The private key of vector key `i` (seeds `[i; 32]`).
pub fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

pub use echonet_rollup_primitives::tx::tx_hash;

/// The bytes a receipt's operator signs.
pub fn receipt_message(instance: u64, hash: &[u8; 32], batch: u64, slot: u32) -> Vec<u8> {
    let mut m = RECEIPT_TAG.to_vec();
    m.extend_from_slice(&instance.to_le_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&batch.to_le_bytes());
    m.extend_from_slice(&slot.to_le_bytes());
    m
}

/// The operator's dev key.
pub fn operator() -> sr25519::Pair {
    sr25519::Pair::from_string(OPERATOR_SURI, None).expect("a valid dev SURI")
}

fn keys() -> Value {
    let mut out = Vec::new();
    let mut signs = [false; 2];
    for i in 1..=6u8 {
        let k = key(i);
        let pk = k.public();
        let packed = pk.0.compress();
        signs[(packed[31] >> 7) as usize] = true;
        out.push(json!({
            "seed": hex0x(&k.0),
            "public_key": [fr_to_decimal(&pk.0.x), fr_to_decimal(&pk.0.y)],
            "packed_public_key": hex0x(&packed),
        }));
    }
    // Both branches of the packing (the sign bit of x) must be exercised.
    assert!(
        signs[0] && signs[1],
        "pick seeds that cover both signs of x"
    );
    Value::Array(out)
}

fn amounts() -> Value {
    let values: Vec<u128> = vec![
        0,
        1,
        12_345,
        (1 << 35) - 1,
        1 << 35,
        (1 << 35) + 1,
        343_597_383_670,
        343_597_383_671,
        1_000_000_000_000,
        123_456_789_000_000_000_000,
        34_359_738_367 * 10u128.pow(27),
        34_359_738_368 * 10u128.pow(27),
        10u128.pow(38),
        u128::MAX,
    ];
    let encode = values
        .iter()
        .map(|&v| match Amount40::from_value(v) {
            Ok(a) => json!({"value": v.to_string(), "code": a.code()}),
            Err(FloatError::AmountNotRepresentable(_)) => {
                json!({"value": v.to_string(), "code": null})
            }
            Err(e) => panic!("unexpected {e}"),
        })
        .collect::<Vec<_>>();
    // Raw codes, including several codes for one value and codes that overflow u128.
    let codes: Vec<u64> = vec![
        0,
        1,
        (1 << 35) - 1,
        1 << 35,
        (1 << 35) | 10,
        (31 << 35) | 1,
        (31 << 35) | 34_028_236,
        (31 << 35) | 34_028_237,
        (1 << 40) - 1,
    ];
    let decode = codes
        .iter()
        .map(|&c| {
            let a = Amount40::from_code(c).expect("40-bit code");
            match a.value() {
                Ok(v) => json!({"code": c, "value": v.to_string()}),
                Err(_) => json!({"code": c, "value": null}),
            }
        })
        .collect::<Vec<_>>();
    json!({"encode": encode, "decode": decode})
}

fn fees() -> Value {
    let values: Vec<u128> = vec![
        0,
        1,
        15,
        16,
        17,
        20,
        150,
        155,
        7_000_000_000,
        15 * 10u128.pow(15),
        16 * 10u128.pow(15),
        10u128.pow(16),
    ];
    let encode = values
        .iter()
        .map(|&v| match Fee8::from_value(v) {
            Ok(f) => json!({"value": v.to_string(), "code": f.code()}),
            Err(_) => json!({"value": v.to_string(), "code": null}),
        })
        .collect::<Vec<_>>();
    // Every fee code decodes.
    let decode = (0..=255u8)
        .map(|c| json!({"code": c, "value": Fee8(c).value().to_string()}))
        .collect::<Vec<_>>();
    json!({"encode": encode, "decode": decode})
}

struct TransferCase {
    key: u8,
    chain_id: u32,
    instance: u64,
    from: u32,
    to: u32,
    amount: u128,
    fee: u128,
    nonce: u64,
}

struct WithdrawCase {
    key: u8,
    chain_id: u32,
    instance: u64,
    from: u32,
    amount: u128,
    fee: u128,
    nonce: u64,
    recipient: [u8; 32],
}

fn signed_json(
    m: &echonet_rollup_primitives::Fr,
    e: &echonet_rollup_primitives::Fr,
    sig: &echonet_rollup_primitives::Signature,
) -> (Value, [u8; 32]) {
    let packed = sig.to_bytes();
    let hash = tx_hash(m, &packed);
    (
        json!({
            "word": fr_to_decimal(e),
            "message": fr_to_decimal(m),
            "message_le": hex0x(&fr_to_le_bytes(m)),
            "r8": [fr_to_decimal(&sig.r8.x), fr_to_decimal(&sig.r8.y)],
            "s": sig.s.to_str_radix(10),
            "signature": hex0x(&packed),
            "hash": hex0x(&hash),
        }),
        hash,
    )
}

fn transfers() -> (Value, Vec<[u8; 32]>) {
    let cases = [
        TransferCase {
            key: 1,
            chain_id: CHAIN_ID,
            instance: INSTANCE,
            from: 0,
            to: 1,
            amount: 1,
            fee: 0,
            nonce: 0,
        },
        TransferCase {
            key: 2,
            chain_id: CHAIN_ID,
            instance: INSTANCE,
            from: 1,
            to: 0,
            amount: 12_345,
            fee: 1,
            nonce: 1,
        },
        TransferCase {
            key: 3,
            chain_id: CHAIN_ID,
            instance: INSTANCE,
            from: 2,
            to: 70_000,
            amount: 123_456_789_000_000_000_000,
            fee: 7_000_000_000,
            nonce: 41,
        },
        TransferCase {
            key: 4,
            chain_id: CHAIN_ID,
            instance: 0,
            from: 5,
            to: 6,
            amount: 343_597_383_670,
            fee: 150,
            nonce: 3,
        },
        TransferCase {
            key: 5,
            chain_id: u32::MAX,
            instance: u64::MAX,
            from: 0xFF_FFFE,
            to: 3,
            amount: 34_359_738_367 * 10u128.pow(27),
            fee: 15 * 10u128.pow(15),
            nonce: MAX_NONCE,
        },
    ];
    let mut out = Vec::new();
    let mut hashes = Vec::new();
    for c in cases {
        let amount = Amount40::from_value(c.amount).expect("representable");
        let fee = Fee8::from_value(c.fee).expect("representable");
        let k = key(c.key);
        let tx = Transfer::signed(
            &k, c.chain_id, c.instance, c.from, c.to, amount, fee, c.nonce,
        );
        let m = tx.message(c.chain_id, c.instance);
        let e = pack_message_word(
            c.chain_id,
            c.instance,
            tx_type::TRANSFER,
            c.from,
            c.to,
            amount,
            fee,
            c.nonce,
        );
        assert_eq!(k.public().verify(&m, &tx.signature), Ok(()));
        let (mut v, hash) = signed_json(&m, &e, &tx.signature);
        let signature = v["signature"].clone();
        let fields = json!({
            "seed": hex0x(&k.0),
            "chain_id": c.chain_id,
            "instance": c.instance.to_string(),
            "from": c.from,
            "to": c.to,
            "amount": c.amount.to_string(),
            "amount_code": amount.code(),
            "fee": c.fee.to_string(),
            "fee_code": fee.code(),
            "nonce": c.nonce,
            "rpc": {
                "type": "transfer",
                "from": c.from,
                "to": c.to,
                "amount": c.amount.to_string(),
                "fee": c.fee.to_string(),
                "nonce": c.nonce,
                "signature": signature,
            },
        });
        merge(&mut v, fields);
        out.push(v);
        hashes.push(hash);
    }
    (Value::Array(out), hashes)
}

fn withdrawals() -> (Value, Vec<[u8; 32]>) {
    let alice: [u8; 32] = operator().public().0;
    let mut counting = [0u8; 32];
    for (i, b) in counting.iter_mut().enumerate() {
        *b = i as u8;
    }
    let cases = [
        WithdrawCase {
            key: 1,
            chain_id: CHAIN_ID,
            instance: INSTANCE,
            from: 0,
            amount: 1_000_000_000_000,
            fee: 1,
            nonce: 2,
            recipient: alice,
        },
        WithdrawCase {
            key: 2,
            chain_id: CHAIN_ID,
            instance: INSTANCE,
            from: 1,
            amount: 5,
            fee: 150,
            nonce: 0,
            recipient: [0xff; 32],
        },
        WithdrawCase {
            key: 6,
            chain_id: u32::MAX,
            instance: u64::MAX,
            from: 0xFF_FFFE,
            amount: 34_359_738_367,
            fee: 0,
            nonce: MAX_NONCE,
            recipient: counting,
        },
    ];
    let mut out = Vec::new();
    let mut hashes = Vec::new();
    for c in cases {
        let amount = Amount40::from_value(c.amount).expect("representable");
        let fee = Fee8::from_value(c.fee).expect("representable");
        let k = key(c.key);
        let tx = Withdraw::signed(
            &k,
            c.chain_id,
            c.instance,
            c.from,
            amount,
            fee,
            c.nonce,
            c.recipient,
        );
        let m = tx.message(c.chain_id, c.instance);
        let e = pack_message_word(
            c.chain_id,
            c.instance,
            tx_type::WITHDRAW,
            c.from,
            0,
            amount,
            fee,
            c.nonce,
        );
        assert_eq!(k.public().verify(&m, &tx.signature), Ok(()));
        let (hi, lo) = echonet_rollup_primitives::field::split_bytes32(&c.recipient);
        let (mut v, hash) = signed_json(&m, &e, &tx.signature);
        let signature = v["signature"].clone();
        let fields = json!({
            "seed": hex0x(&k.0),
            "chain_id": c.chain_id,
            "instance": c.instance.to_string(),
            "from": c.from,
            "amount": c.amount.to_string(),
            "amount_code": amount.code(),
            "fee": c.fee.to_string(),
            "fee_code": fee.code(),
            "nonce": c.nonce,
            "recipient": hex0x(&c.recipient),
            "recipient_hi": fr_to_decimal(&hi),
            "recipient_lo": fr_to_decimal(&lo),
            "rpc": {
                "type": "withdraw",
                "from": c.from,
                "amount": c.amount.to_string(),
                "fee": c.fee.to_string(),
                "nonce": c.nonce,
                "recipient": hex0x(&c.recipient),
                "signature": signature,
            },
        });
        merge(&mut v, fields);
        out.push(v);
        hashes.push(hash);
    }
    (Value::Array(out), hashes)
}

fn merge(into: &mut Value, from: Value) {
    if let (Value::Object(a), Value::Object(b)) = (into, from) {
        a.extend(b);
    }
}

fn receipts(hashes: &[[u8; 32]]) -> Value {
    let op = operator();
    let placements = [(1u64, 0u32), (7, 63), (u64::MAX, u32::MAX)];
    let out = hashes
        .iter()
        .zip(placements)
        .map(|(hash, (batch, slot))| {
            let msg = receipt_message(INSTANCE, hash, batch, slot);
            let sig = op.sign(&msg);
            json!({
                "instance": INSTANCE.to_string(),
                "hash": hex0x(hash),
                "batch": batch.to_string(),
                "slot": slot,
                "operator": hex0x(&op.public().0),
                "message": hex0x(&msg),
                "signature": hex0x(&sig.0),
            })
        })
        .collect();
    Value::Array(out)
}

/// All the vectors, as the JSON file holds them.
pub fn generate() -> Value {
    let (transfers, t_hashes) = transfers();
    let (withdrawals, w_hashes) = withdrawals();
    let receipt_hashes = [t_hashes[0], t_hashes[1], w_hashes[0]];
    json!({
        "about": "Generated by `cargo run -p echonet-rollup-primitives --example client-vectors`; checked by rollup/client-js (node --test) and by the primitives' test `client_vectors` (stale file). Do not edit by hand.",
        "chain_id": CHAIN_ID,
        "instance": INSTANCE.to_string(),
        "operator_suri": OPERATOR_SURI,
        "keys": keys(),
        "amounts": amounts(),
        "fees": fees(),
        "transfers": transfers,
        "withdrawals": withdrawals,
        "receipts": receipts(&receipt_hashes),
    })
}

/// Verifies the receipts' signatures of `v` and blanks them, so that two generations compare
/// equal. Panics (with the receipt's position) when one does not verify.
pub fn check_and_blank_receipt_signatures(v: &mut Value) {
    let receipts = v["receipts"].as_array_mut().expect("receipts array");
    for (i, r) in receipts.iter_mut().enumerate() {
        let bytes = |k: &str| {
            hex::decode(r[k].as_str().expect("hex").trim_start_matches("0x")).expect("hex")
        };
        let sig = sr25519::Signature::from_raw(bytes("signature").try_into().expect("64 bytes"));
        let public = sr25519::Public::from_raw(bytes("operator").try_into().expect("32 bytes"));
        assert!(
            sr25519::Pair::verify(&sig, bytes("message"), &public),
            "receipt {i}: the signature does not verify"
        );
        r["signature"] = Value::Null;
    }
}
