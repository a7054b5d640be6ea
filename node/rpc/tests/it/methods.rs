//! Every method that `rpc_methods` lists, called once with good parameters and (where it
//! takes any) once with bad ones, over WebSocket as wallets call them. The good call must
//! answer with Substrate's JSON shape; the bad one with Substrate's error code, never a
//! hang. The table below must cover exactly the listed methods: a method added to the
//! server without a row here fails this test.

use crate::common::*;
use echonet_rpc::RpcMethods;
use jsonrpsee::core::{
    client::{ClientT, SubscriptionClientT},
    params::ArrayParams,
    ClientError,
};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, Pair};
use sp_keyring::Sr25519Keyring;
use std::collections::BTreeSet;

/// How a method is called.
#[derive(Clone, Copy)]
enum Kind {
    /// A plain method: one answer.
    Call,
    /// A subscription, with its unsubscribe method: the first notification is checked.
    Subscribe(&'static str),
}

/// One row: a method, good parameters and what the answer looks like, and bad parameters
/// with the error code they must get.
struct Case {
    method: &'static str,
    kind: Kind,
    good: Value,
    check: Check,
    bad: Option<(Value, i32)>,
    /// Bad parameters that get a plain answer rather than an error.
    bad_answer: Option<(Value, Value)>,
}

fn ok(cond: bool, what: &str) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

fn is_hex(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.strip_prefix("0x")
            .is_some_and(|h| h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

fn is_h256(v: &Value) -> bool {
    is_hex(v) && v.as_str().is_some_and(|s| s.len() == 66)
}

fn hex_number(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
    })
}

fn check_header(v: &Value) -> Result<(), String> {
    ok(is_h256(&v["parentHash"]), "parentHash")?;
    ok(hex_number(&v["number"]), "number is a hex string")?;
    ok(is_h256(&v["stateRoot"]), "stateRoot")?;
    ok(is_h256(&v["extrinsicsRoot"]), "extrinsicsRoot")?;
    let logs = v["digest"]["logs"].as_array().ok_or("digest.logs")?;
    ok(logs.iter().all(is_hex), "digest logs are hex")
}

fn check_version(v: &Value) -> Result<(), String> {
    ok(v["specName"] == json!("echonet"), "specName")?;
    ok(v["implName"].is_string(), "implName")?;
    for field in [
        "authoringVersion",
        "specVersion",
        "implVersion",
        "transactionVersion",
    ] {
        ok(v[field].is_u64(), field)?;
    }
    let apis = v["apis"].as_array().ok_or("apis")?;
    ok(
        apis.iter().all(|a| {
            is_hex(&a[0]) && a[0].as_str().is_some_and(|s| s.len() == 18) && a[1].is_u64()
        }),
        "apis are [8-byte hex id, version] pairs",
    )
}

fn check_change_set(v: &Value) -> Result<(), String> {
    ok(is_h256(&v["block"]), "block")?;
    let changes = v["changes"].as_array().ok_or("changes")?;
    ok(
        changes
            .iter()
            .all(|c| is_hex(&c[0]) && (c[1].is_null() || is_hex(&c[1]))),
        "changes are [key, value or null]",
    )
}

fn any_hex(v: &Value) -> Result<(), String> {
    ok(is_hex(v), "a hex string")
}
fn any_h256(v: &Value) -> Result<(), String> {
    ok(is_h256(v), "a 32-byte hex hash")
}
fn any_bool(v: &Value) -> Result<(), String> {
    ok(v.is_boolean(), "a boolean")
}
fn is_false(v: &Value) -> Result<(), String> {
    ok(v == &json!(false), "false (no such subscription)")
}
fn is_null(v: &Value) -> Result<(), String> {
    ok(v.is_null(), "null")
}
fn any_string(v: &Value) -> Result<(), String> {
    ok(v.is_string(), "a string")
}
fn string_array(v: &Value) -> Result<(), String> {
    ok(
        v.as_array()
            .is_some_and(|a| a.iter().all(|s| s.is_string())),
        "an array of strings",
    )
}
fn hex_array(v: &Value) -> Result<(), String> {
    ok(
        v.as_array().is_some_and(|a| a.iter().all(is_hex)),
        "an array of hex strings",
    )
}
fn h256_array(v: &Value) -> Result<(), String> {
    ok(
        v.as_array().is_some_and(|a| a.iter().all(is_h256)),
        "an array of hashes",
    )
}
fn nonce(v: &Value) -> Result<(), String> {
    ok(v == &json!(0), "Alice's next nonce, 0")
}
fn properties(v: &Value) -> Result<(), String> {
    ok(
        v == &json!({"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "ECHO"}),
        "ECHO, 12 decimals, SS58 42",
    )
}
fn block(v: &Value) -> Result<(), String> {
    check_header(&v["block"]["header"])?;
    ok(
        v["block"]["extrinsics"]
            .as_array()
            .is_some_and(|a| a.iter().all(is_hex)),
        "block.extrinsics",
    )?;
    ok(
        v.as_object()
            .is_some_and(|o| o.contains_key("justifications")),
        "justifications (null or a list)",
    )
}
fn storage_value(v: &Value) -> Result<(), String> {
    // Alice's account exists at genesis.
    ok(
        is_hex(v) && v.as_str().is_some_and(|s| s.len() > 2),
        "Alice's account",
    )
}
fn storage_size(v: &Value) -> Result<(), String> {
    ok(v.as_u64().is_some_and(|n| n > 0), "a size in bytes")
}
fn change_sets(v: &Value) -> Result<(), String> {
    let sets = v.as_array().ok_or("an array of change sets")?;
    ok(!sets.is_empty(), "at least one change set")?;
    sets.iter().try_for_each(check_change_set)
}
fn read_proof(v: &Value) -> Result<(), String> {
    ok(is_h256(&v["at"]), "at")?;
    hex_array(&v["proof"])
}
fn query_info(v: &Value) -> Result<(), String> {
    // Substrate's `Weight` has no serde renames: its fields stay snake_case inside the
    // otherwise camelCase `RuntimeDispatchInfo`.
    ok(v["weight"]["ref_time"].is_u64(), "weight.ref_time")?;
    ok(v["weight"]["proof_size"].is_u64(), "weight.proof_size")?;
    ok(v["class"] == json!("normal"), "class")?;
    ok(
        v["partialFee"]
            .as_str()
            .is_some_and(|s| s.parse::<u128>().is_ok_and(|n| n > 0)),
        "partialFee as a decimal string",
    )
}
fn fee_details(v: &Value) -> Result<(), String> {
    let fee = &v["inclusionFee"];
    for field in ["baseFee", "lenFee", "adjustedWeightFee"] {
        ok(hex_number(&fee[field]), field)?;
    }
    Ok(())
}
fn health(v: &Value) -> Result<(), String> {
    ok(
        v == &json!({"peers": 0, "isSyncing": false, "shouldHavePeers": false}),
        "a lone dev node's health",
    )
}
fn sync_state(v: &Value) -> Result<(), String> {
    for field in ["startingBlock", "currentBlock", "highestBlock"] {
        ok(v[field].is_u64(), field)?;
    }
    Ok(())
}
fn node_roles(v: &Value) -> Result<(), String> {
    ok(v == &json!(["Authority"]), "[\"Authority\"]")
}
fn chain_type(v: &Value) -> Result<(), String> {
    ok(v == &json!("Development"), "Development")
}
fn chain_name(v: &Value) -> Result<(), String> {
    ok(v == &json!("Development"), "the dev chain's name")
}
fn methods_list(v: &Value) -> Result<(), String> {
    string_array(&v["methods"])
}
fn peers(v: &Value) -> Result<(), String> {
    ok(v == &json!([]), "no peers")
}
fn ready(v: &Value) -> Result<(), String> {
    ok(v == &json!("ready"), "\"ready\"")
}
fn dry_run_ok(v: &Value) -> Result<(), String> {
    // Ok(Ok(())): the transfer would apply and dispatch.
    ok(v == &json!("0x0000"), "Ok(Ok(())) as SCALE hex")
}

const INVALID_PARAMS: i32 = -32602;

type Check = fn(&Value) -> Result<(), String>;

fn method(method: &'static str, good: Value, check: Check, bad: Option<(Value, i32)>) -> Case {
    Case {
        method,
        kind: Kind::Call,
        good,
        check,
        bad,
        bad_answer: None,
    }
}

fn subscribe(
    method: &'static str,
    unsubscribe: &'static str,
    good: Value,
    check: Check,
    bad: Option<(Value, i32)>,
) -> Case {
    Case {
        method,
        kind: Kind::Subscribe(unsubscribe),
        good,
        check,
        bad,
        bad_answer: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_method_answers_with_substrates_shapes_and_errors() {
    let node = TestNode::start(RpcMethods::Unsafe).await;
    // A block on top of genesis, so that ranges and parents exist.
    node.author_block(true).await;
    let genesis = format!("{:?}", node.genesis());
    let unknown = format!("0x{}", "ab".repeat(32));
    let alice = Sr25519Keyring::Alice;
    let alice_ss58 = alice.to_account_id().to_ss58check();
    let alice_public = hex(alice.pair().public().as_ref());
    let alice_key = hex(&account_key(&alice.to_account_id()));
    let system_prefix = hex(&account_key(&alice.to_account_id())[..32]);
    // Three distinct transfers: one to watch (it runs first, so nonce 0 is ready), one to
    // submit, and one for the fee and dry-run queries (never submitted).
    let tx_watch = hex(&node.transfer(0));
    let tx_submit = hex(&node.transfer(1));
    let tx_query = hex(&transfer_from(&node, &Sr25519Keyring::Charlie.pair(), 0));
    let session_keys = node.call_ok("author_rotateKeys", json!([])).await;
    // Two broadcasts of transactions that wait for an earlier nonce, so that they keep
    // running: one to start from the table, one started here for the table to stop.
    let tx_broadcast = hex(&transfer_from(&node, &Sr25519Keyring::Dave.pair(), 1));
    let operation = node
        .call_ok(
            "transaction_v1_broadcast",
            json!([hex(&transfer_from(&node, &Sr25519Keyring::Eve.pair(), 1))]),
        )
        .await;

    // jsonrpsee (Substrate's server too) answers an unsubscribe whose id is missing or
    // malformed with `false`, not an error: there is nothing to unsubscribe.
    let unsubscribe = |m| {
        let mut case = method(m, json!(["nosuchsubscription"]), is_false, None);
        case.bad_answer = Some((json!([]), json!(false)));
        case
    };
    let bad_hex = || Some((json!(["0xzz"]), INVALID_PARAMS));
    let bad_hash = || Some((json!(["0x1234"]), INVALID_PARAMS));

    let cases = vec![
        method(
            "account_nextIndex",
            json!([alice_ss58]),
            nonce,
            Some((json!(["not an address"]), INVALID_PARAMS)),
        ),
        method(
            "system_accountNextIndex",
            json!([alice_ss58]),
            nonce,
            Some((json!([42]), INVALID_PARAMS)),
        ),
        method(
            "author_hasKey",
            json!([alice_public, "aura"]),
            any_bool,
            Some((json!([alice_public, "toolong"]), 1040)),
        ),
        method(
            "author_hasSessionKeys",
            json!([session_keys]),
            any_bool,
            Some((json!(["0x00"]), 1040)),
        ),
        method(
            "author_insertKey",
            json!(["aura", "//Alice", alice_public]),
            is_null,
            Some((json!(["aura"]), INVALID_PARAMS)),
        ),
        method("author_pendingExtrinsics", json!([]), hex_array, None),
        method(
            "author_removeExtrinsic",
            json!([[{"hash": unknown}]]),
            h256_array,
            Some((json!([["not a hash or extrinsic"]]), INVALID_PARAMS)),
        ),
        method("author_rotateKeys", json!([]), any_hex, None),
        subscribe(
            "author_submitAndWatchExtrinsic",
            "author_unwatchExtrinsic",
            json!([tx_watch]),
            ready,
            Some((json!(["0x00"]), 1001)),
        ),
        method(
            "author_submitExtrinsic",
            json!([tx_submit]),
            any_h256,
            bad_hex(),
        ),
        unsubscribe("author_unwatchExtrinsic"),
        method("chain_getBlock", json!([]), block, bad_hash()),
        method(
            "chain_getBlockHash",
            json!([0]),
            any_h256,
            Some((json!(["xyz"]), INVALID_PARAMS)),
        ),
        method(
            "chain_getHead",
            json!([]),
            any_h256,
            Some((json!([-1]), INVALID_PARAMS)),
        ),
        method("chain_getFinalisedHead", json!([]), any_h256, None),
        method("chain_getFinalizedHead", json!([]), any_h256, None),
        method("chain_getHeader", json!([]), check_header, bad_hash()),
        method(
            "chain_getRuntimeVersion",
            json!([]),
            check_version,
            Some((json!([unknown]), 4003)),
        ),
        subscribe(
            "chain_subscribeAllHeads",
            "chain_unsubscribeAllHeads",
            json!([]),
            check_header,
            None,
        ),
        subscribe(
            "chain_subscribeFinalisedHeads",
            "chain_unsubscribeFinalisedHeads",
            json!([]),
            check_header,
            None,
        ),
        subscribe(
            "chain_subscribeFinalizedHeads",
            "chain_unsubscribeFinalizedHeads",
            json!([]),
            check_header,
            None,
        ),
        subscribe(
            "chain_subscribeNewHead",
            "chain_unsubscribeNewHead",
            json!([]),
            check_header,
            None,
        ),
        subscribe(
            "chain_subscribeNewHeads",
            "chain_unsubscribeNewHeads",
            json!([]),
            check_header,
            None,
        ),
        subscribe(
            "chain_subscribeRuntimeVersion",
            "chain_unsubscribeRuntimeVersion",
            json!([]),
            check_version,
            None,
        ),
        unsubscribe("chain_unsubscribeAllHeads"),
        unsubscribe("chain_unsubscribeFinalisedHeads"),
        unsubscribe("chain_unsubscribeFinalizedHeads"),
        unsubscribe("chain_unsubscribeNewHead"),
        unsubscribe("chain_unsubscribeNewHeads"),
        unsubscribe("chain_unsubscribeRuntimeVersion"),
        method("chainSpec_v1_chainName", json!([]), chain_name, None),
        method("chainSpec_v1_genesisHash", json!([]), any_h256, None),
        method("chainSpec_v1_properties", json!([]), properties, None),
        method(
            "payment_queryFeeDetails",
            json!([tx_query]),
            fee_details,
            Some((json!(["0x00"]), 2)),
        ),
        method(
            "payment_queryInfo",
            json!([tx_query]),
            query_info,
            Some((json!(["0x00"]), 2)),
        ),
        method("rpc_methods", json!([]), methods_list, None),
        method(
            "state_call",
            json!(["Core_version", "0x"]),
            any_hex,
            Some((json!(["Nope_nope", "0x"]), 4003)),
        ),
        method(
            "state_callAt",
            json!(["Core_version", "0x", genesis]),
            any_hex,
            Some((json!(["Core_version", "zz"]), INVALID_PARAMS)),
        ),
        method(
            "state_getKeysPaged",
            json!([system_prefix, 10]),
            hex_array,
            Some((json!([system_prefix, 1001]), 4002)),
        ),
        method(
            "state_getKeysPagedAt",
            json!([system_prefix, 10, null, genesis]),
            hex_array,
            Some((json!([system_prefix, "ten"]), INVALID_PARAMS)),
        ),
        method(
            "state_getMetadata",
            json!([]),
            any_hex,
            Some((json!([unknown]), 4003)),
        ),
        method(
            "state_getReadProof",
            json!([[alice_key]]),
            read_proof,
            Some((json!([["0xzz"]]), INVALID_PARAMS)),
        ),
        method(
            "state_getRuntimeVersion",
            json!([genesis]),
            check_version,
            bad_hash(),
        ),
        method(
            "state_getStorage",
            json!([alice_key]),
            storage_value,
            Some((json!([alice_key, unknown]), 4003)),
        ),
        method(
            "state_getStorageAt",
            json!([alice_key, genesis]),
            storage_value,
            bad_hex(),
        ),
        method(
            "state_getStorageHash",
            json!([alice_key]),
            any_h256,
            Some((json!([alice_key, unknown]), 4003)),
        ),
        method(
            "state_getStorageHashAt",
            json!([alice_key, genesis]),
            any_h256,
            bad_hex(),
        ),
        method(
            "state_getStorageSize",
            json!([alice_key]),
            storage_size,
            Some((json!([alice_key, unknown]), 4003)),
        ),
        method(
            "state_getStorageSizeAt",
            json!([alice_key, genesis]),
            storage_size,
            bad_hex(),
        ),
        method(
            "state_queryStorage",
            json!([[alice_key], genesis]),
            change_sets,
            Some((json!([[alice_key], unknown]), 4001)),
        ),
        method(
            "state_queryStorageAt",
            json!([[alice_key]]),
            change_sets,
            Some((json!([[alice_key], unknown]), 4003)),
        ),
        subscribe(
            "state_subscribeRuntimeVersion",
            "state_unsubscribeRuntimeVersion",
            json!([]),
            check_version,
            None,
        ),
        subscribe(
            "state_subscribeStorage",
            "state_unsubscribeStorage",
            json!([[alice_key]]),
            check_change_set,
            Some((json!([["0xzz"]]), INVALID_PARAMS)),
        ),
        unsubscribe("state_unsubscribeRuntimeVersion"),
        unsubscribe("state_unsubscribeStorage"),
        subscribe(
            "subscribe_newHead",
            "unsubscribe_newHead",
            json!([]),
            check_header,
            None,
        ),
        method("system_chain", json!([]), chain_name, None),
        method("system_chainType", json!([]), chain_type, None),
        method(
            "system_dryRun",
            json!([tx_query]),
            dry_run_ok,
            Some((json!(["0x00"]), 2)),
        ),
        method(
            "system_dryRunAt",
            json!([tx_query, null]),
            dry_run_ok,
            Some((json!([tx_query, unknown]), 1)),
        ),
        method("system_health", json!([]), health, None),
        method("system_localListenAddresses", json!([]), string_array, None),
        method("system_localPeerId", json!([]), any_string, None),
        method("system_name", json!([]), any_string, None),
        method("system_nodeRoles", json!([]), node_roles, None),
        method("system_peers", json!([]), peers, None),
        method("system_properties", json!([]), properties, None),
        method("system_syncState", json!([]), sync_state, None),
        method("system_version", json!([]), any_string, None),
        method(
            "transaction_v1_broadcast",
            json!([tx_broadcast]),
            any_string,
            bad_hex(),
        ),
        method(
            "transaction_v1_stop",
            json!([operation]),
            is_null,
            Some((json!(["nosuchoperation"]), INVALID_PARAMS)),
        ),
        unsubscribe("unsubscribe_newHead"),
    ];

    // The table covers exactly what is listed.
    let listed: BTreeSet<String> = node.call_ok("rpc_methods", json!([])).await["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let tested: BTreeSet<String> = cases.iter().map(|c| c.method.to_string()).collect();
    assert_eq!(
        tested.len(),
        cases.len(),
        "a method appears twice in the table"
    );
    let untested: Vec<_> = listed.difference(&tested).collect();
    let unlisted: Vec<_> = tested.difference(&listed).collect();
    assert!(
        untested.is_empty(),
        "listed but not tested here: {untested:?}"
    );
    assert!(unlisted.is_empty(), "tested but not listed: {unlisted:?}");

    let ws = node.ws().await;
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = run_case(&ws, case).await {
            failures.push(format!("{}: {e}", case.method));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn params(v: &Value) -> ArrayParams {
    let mut p = ArrayParams::new();
    for item in v.as_array().expect("params are a JSON array") {
        p.insert(item).expect("a JSON value serializes");
    }
    p
}

async fn run_case(ws: &jsonrpsee::ws_client::WsClient, case: &Case) -> Result<(), String> {
    let good = match case.kind {
        Kind::Call => bounded(ws.request::<Value, _>(case.method, params(&case.good)))
            .await
            .map_err(|e| format!("good parameters {} failed: {e}", case.good))?,
        Kind::Subscribe(unsub) => {
            let mut sub = bounded(ws.subscribe::<Value, _>(case.method, params(&case.good), unsub))
                .await
                .map_err(|e| format!("good parameters {} failed: {e}", case.good))?;
            let first = bounded(sub.next())
                .await
                .ok_or("the subscription ended without a notification")?
                .map_err(|e| format!("undecodable notification: {e}"))?;
            bounded(sub.unsubscribe())
                .await
                .map_err(|e| format!("unsubscribing failed: {e}"))?;
            first
        }
    };
    (case.check)(&good).map_err(|what| format!("expected {what}, got {good}"))?;

    if let Some((bad, expected)) = &case.bad_answer {
        let answer = bounded(ws.request::<Value, _>(case.method, params(bad)))
            .await
            .map_err(|e| format!("bad parameters {bad}: expected {expected}, got {e}"))?;
        if &answer != expected {
            return Err(format!(
                "bad parameters {bad}: expected {expected}, got {answer}"
            ));
        }
    }
    let Some((bad, code)) = &case.bad else {
        return Ok(());
    };
    let err = match case.kind {
        Kind::Call => bounded(ws.request::<Value, _>(case.method, params(bad)))
            .await
            .err(),
        Kind::Subscribe(unsub) => {
            bounded(ws.subscribe::<Value, _>(case.method, params(bad), unsub))
                .await
                .err()
        }
    };
    match err {
        Some(ClientError::Call(e)) if e.code() == *code => Ok(()),
        Some(other) => Err(format!(
            "bad parameters {bad}: expected error {code}, got {other}"
        )),
        None => Err(format!("bad parameters {bad} were accepted")),
    }
}
