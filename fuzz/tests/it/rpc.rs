//! Target `rpc`: every method the RPC serves, called in process through the very module
//! the server serves (`echonet_rpc::rpc_module`, unsafe methods included) on a dev chain,
//! so that jsonrpsee's parameter parsing and each method's own decoding run as for a
//! remote client: hex bytes, storage keys, block numbers and hashes, SCALE extrinsics
//! (`author_submitExtrinsic`, `system_dryRun`, `payment_queryInfo`, ...) and `state_call`
//! data for the runtime APIs.
//!
//! Inputs: a method (from `rpc_methods`) with 0 to 4 parameters, each arbitrary JSON,
//! random hex, or a mutated valid value (a signed transfer, a storage key, a block hash,
//! a runtime API name); and now and then a mutated request text. Subscriptions are left
//! out (each would hold a task for the rest of the run); their unsubscribe methods are in.
//!
//! Properties: every request gets one JSON-RPC answer (a result or an error) within a
//! deadline, and nothing panics outside the runtime (the runtime's own panics, such as a
//! failed `assert!` in `Core_execute_block`, are caught and become errors by design).

use echonet_fuzz::{fuzz, mutate};
use echonet_rpc::{rpc_module, NoNetwork, RpcDeps, RpcMethods, SystemInfo};
use echonet_test_utils::{open_dev_client, transfer};
use echonet_txpool::{Pool, PoolConfig};
use proptest::{collection::vec, prelude::*};
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;
use sp_keystore::testing::MemoryKeystore;
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

/// How long one request may take.
const ANSWER_DEADLINE: Duration = Duration::from_secs(30);

/// Panics outside a runtime call since the hook was installed.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !echonet_client::executor::in_runtime_call() {
            PANICS.fetch_add(1, Ordering::SeqCst);
        }
        default(info);
    }));
}

fn hex_of(bytes: &[u8]) -> Value {
    Value::String(format!("0x{}", hex::encode(bytes)))
}

/// Arbitrary JSON, two levels deep at most.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,40}".prop_map(Value::String),
        "(0x)?[0-9a-fA-F]{0,80}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(("[a-z]{1,8}", inner), 0..4).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A parameter: arbitrary, random hex, or a mutation of a valid one of `seeds`.
fn param(seeds: Vec<Vec<u8>>, names: Vec<&'static str>) -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => json_value(),
        2 => vec(any::<u8>(), 0..80).prop_map(|b| hex_of(&b)),
        3 => mutate::input(proptest::sample::select(seeds)).prop_map(|i| hex_of(&i.bytes)),
        1 => proptest::sample::select(names).prop_map(|n| json!(n)),
        1 => prop_oneof![any::<u32>().prop_map(|n| json!(n)), Just(json!(0)), Just(json!(1))],
    ]
}

#[test]
fn rpc() {
    count_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let client = open_dev_client();
    let spec = echonet_client::ChainSpec::development().expect("the dev chain spec");
    let pool = Pool::new(PoolConfig::default(), client.client.clone());
    runtime.spawn(pool.clone().run_maintenance());
    let keystore = Arc::new(MemoryKeystore::new());
    client.set_keystore(keystore.clone());
    let deps = RpcDeps {
        client: client.client.clone(),
        pool,
        keystore,
        system: SystemInfo {
            impl_name: "echonet-node".into(),
            impl_version: "0.1.0-fuzz".into(),
            chain_name: spec.name.clone(),
            chain_type: spec.chain_type.clone(),
            properties: spec.properties.clone(),
            is_validator: true,
        },
        network: Arc::new(NoNetwork::new(
            client.client.clone(),
            "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp".into(),
            &spec.chain_type,
        )),
    };
    let module = rpc_module(deps, RpcMethods::Unsafe);
    let call = |request: &str| -> Result<Option<String>, TestCaseError> {
        runtime.block_on(async {
            match tokio::time::timeout(ANSWER_DEADLINE, module.raw_json_request(request, 16)).await
            {
                Err(_) => Err(TestCaseError::fail(format!("no answer to {request}"))),
                // Not a JSON-RPC request at all: refused before any method runs.
                Ok(Err(_)) => Ok(None),
                Ok(Ok((answer, _subscription))) => Ok(Some(answer)),
            }
        })
    };

    let methods: Vec<String> = {
        let answer = call(r#"{"jsonrpc":"2.0","id":0,"method":"rpc_methods","params":[]}"#)
            .expect("rpc_methods answers")
            .expect("a request");
        let answer: Value = serde_json::from_str(&answer).expect("JSON");
        answer["result"]["methods"]
            .as_array()
            .expect("a list of methods")
            .iter()
            .filter_map(|m| m.as_str().map(str::to_owned))
            .filter(|m| {
                let lower = m.to_lowercase();
                !((lower.contains("subscribe") && !lower.contains("unsubscribe"))
                    || m == "author_submitAndWatchExtrinsic")
            })
            .collect()
    };
    assert!(
        methods.len() > 30,
        "rpc_methods lists the methods: {methods:?}"
    );

    let genesis = client.info().genesis_hash;
    let seeds = vec![
        transfer(&client, Sr25519Keyring::Alice, Sr25519Keyring::Bob, 0),
        transfer(&client, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, 3),
        echonet_runtime::storage_keys::system_account(&Sr25519Keyring::Alice.to_account_id()),
        echonet_runtime::storage_keys::system_events(),
        genesis.as_bytes().to_vec(),
        Sr25519Keyring::Alice.public().0.to_vec(),
    ];
    let api_names = vec![
        "Core_version",
        "Core_execute_block",
        "Core_initialize_block",
        "TaggedTransactionQueue_validate_transaction",
        "BlockBuilder_apply_extrinsic",
        "BlockBuilder_finalize_block",
        "TransactionPaymentApi_query_info",
        "AccountNonceApi_account_nonce",
        "SessionKeys_decode_session_keys",
        "Metadata_metadata_at_version",
        "sr25519",
        "gran",
    ];
    let request = (
        proptest::sample::select(methods),
        vec(param(seeds, api_names), 0..4),
        0u8..10,
        mutate::mutations(),
    )
        .prop_map(|(method, params, shape, mutations)| {
            let params = match shape {
                0 => Value::Null,
                1 => Value::Object(Default::default()),
                _ => Value::Array(params),
            };
            let text =
                json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
            if shape == 9 {
                String::from_utf8_lossy(&mutate::apply(text.as_bytes(), &mutations)).into_owned()
            } else {
                text
            }
        });

    fuzz("rpc", request, |request| {
        let panics = PANICS.load(Ordering::SeqCst);
        if let Some(answer) = call(&request)? {
            let answer: Value = serde_json::from_str(&answer)
                .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {answer}")))?;
            prop_assert_eq!(&answer["jsonrpc"], "2.0");
            prop_assert!(
                answer.get("result").is_some() != answer.get("error").is_some(),
                "neither one result nor one error: {}",
                answer
            );
        }
        prop_assert_eq!(
            PANICS.load(Ordering::SeqCst),
            panics,
            "a panic outside the runtime"
        );
        Ok(())
    });
}
