//! The wallet client's vectors (`rollup/client-js/test/vectors.json`) are what this crate
//! computes today. When this fails, the primitives changed: regenerate the file with
//! `cargo run -p echonet-rollup-primitives --example client-vectors`, then run the client's
//! tests (`cd rollup/client-js && node --test`), which will show what the JS side must follow.

#[allow(dead_code)]
#[path = "../../examples/client-vectors/gen.rs"]
mod gen;

use serde_json::Value;

fn committed() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../client-js/test/vectors.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}; run `cargo run -p echonet-rollup-primitives --example client-vectors`")
    });
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn committed_client_vectors_are_current() {
    let mut want = gen::generate();
    let mut have = committed();
    gen::check_and_blank_receipt_signatures(&mut want);
    gen::check_and_blank_receipt_signatures(&mut have);
    assert!(
        want == have,
        "rollup/client-js/test/vectors.json is stale: run \
         `cargo run -p echonet-rollup-primitives --example client-vectors`"
    );
}

#[test]
fn a_tampered_receipt_signature_is_caught() {
    let mut v = gen::generate();
    let sig = v["receipts"][0]["signature"].as_str().unwrap().to_owned();
    // Flip one bit of the first byte after "0x".
    let mut bytes = hex::decode(&sig[2..]).unwrap();
    bytes[0] ^= 1;
    v["receipts"][0]["signature"] = Value::String(format!("0x{}", hex::encode(bytes)));
    let r = std::panic::catch_unwind(move || gen::check_and_blank_receipt_signatures(&mut v));
    assert!(r.is_err());
}
