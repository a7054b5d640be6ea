//! subxt, as a Rust dApp uses it, against the real node: no metadata file, no custom
//! config, only subxt's `SubstrateConfig` and its dynamic API. What passes here is what
//! a subxt user gets from `echonet-node --dev` without changing a line.
//!
//! One test drives subxt's legacy backend explicitly (the `chain_*`/`state_*`/`author_*`
//! methods); the other lets `OnlineClient::from_insecure_url` pick its backend from
//! `rpc_methods`, as most programs do.

use echonet_runtime::{EXISTENTIAL_DEPOSIT, UNITS};
use echonet_tests::{Node, BLOCK_TIMEOUT, RPC_TIMEOUT};
use std::{sync::Arc, time::Duration};
use subxt::{
    backend::LegacyBackend,
    config::{RpcConfigFor, SubstrateExtrinsicParamsBuilder},
    dynamic,
    events::DecodeAsEvent,
    ext::scale_decode::{self, DecodeAsType},
    rpcs::{
        methods::legacy::{DryRunResult, LegacyRpcMethods},
        RpcClient,
    },
    transactions::TransactionStatus,
    utils::AccountId32,
    OnlineClient, SubstrateConfig,
};
use subxt_signer::sr25519::dev;

/// A transfer goes from the pool to a finalized block in a few 2 s slots; the margin is
/// for a machine shared with other tests.
const FINALITY_TIMEOUT: Duration = Duration::from_secs(60);

/// The part of `System::Account` a wallet shows.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AccountInfo {
    nonce: u32,
    data: AccountData,
}

#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct AccountData {
    free: u128,
}

/// `Balances::Transfer`, decoded by field name from the metadata.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct Transfer {
    from: AccountId32,
    to: AccountId32,
    amount: u128,
}

impl DecodeAsEvent for Transfer {
    fn is_event(pallet: &str, event: &str) -> bool {
        pallet == "Balances" && event == "Transfer"
    }
}

/// `System::ExtrinsicSuccess`; its fields do not matter here.
#[derive(Debug, DecodeAsType)]
#[decode_as_type(crate_path = "scale_decode")]
struct ExtrinsicSuccess {}

impl DecodeAsEvent for ExtrinsicSuccess {
    fn is_event(pallet: &str, event: &str) -> bool {
        pallet == "System" && event == "ExtrinsicSuccess"
    }
}

async fn bounded<T, E: std::fmt::Debug>(
    limit: Duration,
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(limit, f).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{what}: {e:?}"),
        Err(_) => panic!("timed out after {limit:?}: {what}"),
    }
}

async fn account_at(
    api: &OnlineClient<SubstrateConfig>,
    at: subxt::config::substrate::H256,
    who: AccountId32,
) -> AccountInfo {
    let block = bounded(RPC_TIMEOUT, "client at a block", api.at_block(at)).await;
    let address = dynamic::storage::<(AccountId32,), AccountInfo>("System", "Account");
    let value = bounded(
        RPC_TIMEOUT,
        "System.Account",
        block.storage().fetch(address, (who,)),
    )
    .await;
    value
        .decode()
        .expect("System.Account decodes as AccountInfo")
}

/// Sends 1 ECHO from Alice to Bob with `api`, checks what subxt sees on the way (fee
/// estimate, validation, ready → in block → finalized, the events) and that Bob is paid
/// in the finalized state.
async fn transfer_alice_to_bob(api: &OnlineClient<SubstrateConfig>, rpc: &RpcClient) {
    let (alice, bob) = (dev::alice(), dev::bob());
    let (alice_id, bob_id): (AccountId32, AccountId32) =
        (alice.public_key().into(), bob.public_key().into());

    let at = bounded(RPC_TIMEOUT, "the current block", api.at_current_block()).await;
    // Constants come from the metadata subxt downloaded (Metadata_metadata_at_version).
    let ed = at
        .constants()
        .entry(dynamic::constant::<u128>("Balances", "ExistentialDeposit"))
        .expect("Balances.ExistentialDeposit is in the metadata");
    assert_eq!(ed, EXISTENTIAL_DEPOSIT);
    let nonce: u32 = bounded(
        RPC_TIMEOUT,
        "AccountNonceApi_account_nonce",
        at.runtime_apis().call(dynamic::runtime_api_call::<_, u32>(
            "AccountNonceApi",
            "account_nonce",
            (alice_id,),
        )),
    )
    .await;
    let bob_before = account_at(api, at.block_hash(), bob_id).await;

    let call = dynamic::transaction(
        "Balances",
        "transfer_keep_alive",
        (
            subxt::utils::MultiAddress::<AccountId32, ()>::Id(bob_id),
            UNITS,
        ),
    );
    let mut txs = at.transactions();
    let params = SubstrateExtrinsicParamsBuilder::<SubstrateConfig>::new()
        .mortal(64)
        .build();
    let signed = bounded(
        RPC_TIMEOUT,
        "signing the transfer",
        txs.create_signed(&call, &alice, params),
    )
    .await;

    let fee = bounded(
        RPC_TIMEOUT,
        "TransactionPaymentApi_query_info",
        signed.partial_fee_estimate(),
    )
    .await;
    assert!(
        fee > 0 && fee < UNITS / 100,
        "a transfer should cost a fraction of a milliECHO, not {fee}"
    );
    let validity = bounded(
        RPC_TIMEOUT,
        "TaggedTransactionQueue_validate_transaction",
        signed.validate(),
    )
    .await;
    assert!(validity.is_valid(), "{validity:?}");
    // system_dryRun: what subxt's legacy RPC methods offer for a dry run.
    let legacy = LegacyRpcMethods::<RpcConfigFor<SubstrateConfig>>::new(rpc.clone());
    let dry = bounded(
        RPC_TIMEOUT,
        "system_dryRun",
        legacy.dry_run(signed.encoded(), None),
    )
    .await;
    assert!(
        matches!(dry.into_dry_run_result(), Ok(DryRunResult::Success)),
        "system_dryRun: the transfer should apply and dispatch: 0x{}",
        hex::encode(&dry.0)
    );

    let mut progress = bounded(RPC_TIMEOUT, "submitting", signed.submit_and_watch()).await;
    let mut seen = Vec::new();
    let finalized = loop {
        let status = match tokio::time::timeout(FINALITY_TIMEOUT, progress.next()).await {
            Ok(Some(Ok(status))) => status,
            Ok(Some(Err(e))) => panic!("status stream failed after {seen:?}: {e:?}"),
            Ok(None) => panic!("status stream ended after {seen:?}"),
            Err(_) => panic!("no finalized status within {FINALITY_TIMEOUT:?}; saw {seen:?}"),
        };
        match status {
            TransactionStatus::Validated => seen.push("validated"),
            TransactionStatus::Broadcasted => seen.push("broadcasted"),
            TransactionStatus::InBestBlock(_) => seen.push("inBlock"),
            TransactionStatus::InFinalizedBlock(in_block) => {
                seen.push("finalized");
                break in_block;
            }
            TransactionStatus::NoLongerInBestBlock => seen.push("retracted"),
            TransactionStatus::Error { message }
            | TransactionStatus::Invalid { message }
            | TransactionStatus::Dropped { message } => {
                panic!("the transfer failed after {seen:?}: {message}")
            }
        }
    };
    // subxt maps "ready" to Validated; the block it was included in comes before finality.
    assert_eq!(seen.first(), Some(&"validated"), "{seen:?}");
    let in_block = seen.iter().position(|s| *s == "inBlock");
    assert!(
        in_block.is_some_and(|i| i < seen.len() - 1),
        "inBlock before finalized: {seen:?}"
    );

    let events = bounded(
        RPC_TIMEOUT,
        "the transfer's events",
        finalized.wait_for_success(),
    )
    .await;
    let transfer = events
        .find_first::<Transfer>()
        .expect("a Balances.Transfer event")
        .expect("Balances.Transfer decodes");
    assert_eq!(transfer.from, alice_id);
    assert_eq!(transfer.to, bob_id);
    assert_eq!(transfer.amount, UNITS);
    assert!(events.has::<ExtrinsicSuccess>());

    let alice_after = account_at(api, finalized.block_hash(), alice_id).await;
    assert_eq!(alice_after.nonce, nonce + 1);
    let bob_after = account_at(api, finalized.block_hash(), bob_id).await;
    assert_eq!(bob_after.data.free, bob_before.data.free + UNITS);

    // The same nonce again is stale: the node refuses it with Substrate's 1010, which
    // subxt hands back as an error rather than as a status.
    let params = SubstrateExtrinsicParamsBuilder::<SubstrateConfig>::new()
        .nonce(nonce.into())
        .build();
    let mut txs = bounded(RPC_TIMEOUT, "the current block", api.transactions()).await;
    let stale = bounded(
        RPC_TIMEOUT,
        "signing a stale transfer",
        txs.create_signed(&call, &alice, params),
    )
    .await;
    let err = match tokio::time::timeout(RPC_TIMEOUT, stale.submit()).await {
        Ok(Ok(hash)) => panic!("a stale nonce was accepted as {hash:?}"),
        Ok(Err(e)) => e.to_string(),
        Err(_) => panic!("submitting a stale transfer hung"),
    };
    // subxt shows the code and message (the "Transaction is outdated" detail is in the
    // error's data, which polkadot-js shows; see tests/js).
    assert!(
        err.contains("Invalid Transaction (1010)"),
        "a stale nonce should read as Substrate's 1010 'Invalid Transaction': {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subxt_legacy_backend_sends_a_transfer_to_finality() {
    let node = Node::dev("dev node").await;
    let rpc = bounded(
        RPC_TIMEOUT,
        "connecting subxt's RPC client",
        RpcClient::from_insecure_url(node.ws_url()),
    )
    .await;
    let backend = LegacyBackend::<SubstrateConfig>::builder().build(rpc.clone());
    let api = bounded(
        RPC_TIMEOUT,
        "building the client",
        OnlineClient::<SubstrateConfig>::from_backend(Arc::new(backend)),
    )
    .await;

    // What the client learnt while connecting.
    let genesis: serde_json::Value = bounded(
        RPC_TIMEOUT,
        "chain_getBlockHash(0)",
        rpc.request("chain_getBlockHash", subxt::rpcs::rpc_params![0]),
    )
    .await;
    assert_eq!(
        genesis,
        serde_json::json!(format!("{:?}", api.genesis_hash()))
    );
    let at = bounded(RPC_TIMEOUT, "the current block", api.at_current_block()).await;
    assert_eq!(at.spec_version(), echonet_runtime::VERSION.spec_version);
    let pallets: Vec<_> = at
        .metadata()
        .pallets()
        .map(|p| p.name().to_string())
        .collect();
    for pallet in [
        "System",
        "Balances",
        "TransactionPayment",
        "Aura",
        "Grandpa",
    ] {
        assert!(
            pallets.iter().any(|p| p == pallet),
            "{pallet} in {pallets:?}"
        );
    }

    // Heads: subxt's block streams follow chain_subscribe*Heads.
    let mut finalized = bounded(RPC_TIMEOUT, "finalized blocks", api.stream_blocks()).await;
    let first = match tokio::time::timeout(BLOCK_TIMEOUT, finalized.next()).await {
        Ok(Some(Ok(block))) => block,
        other => panic!(
            "no finalized block: {:?}",
            other.map(|o| o.map(|r| r.err()))
        ),
    };
    let second = match tokio::time::timeout(FINALITY_TIMEOUT, finalized.next()).await {
        Ok(Some(Ok(block))) => block,
        other => panic!(
            "no second finalized block: {:?}",
            other.map(|o| o.map(|r| r.err()))
        ),
    };
    assert!(second.number() > first.number());

    transfer_alice_to_bob(&api, &rpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subxt_default_client_sends_a_transfer_to_finality() {
    let node = Node::dev("dev node").await;
    // The way subxt's documentation connects: the client chooses its backend from what
    // `rpc_methods` lists.
    let api = bounded(
        RPC_TIMEOUT,
        "connecting with OnlineClient::from_insecure_url",
        OnlineClient::<SubstrateConfig>::from_insecure_url(node.ws_url()),
    )
    .await;
    let rpc = bounded(
        RPC_TIMEOUT,
        "connecting subxt's RPC client",
        RpcClient::from_insecure_url(node.ws_url()),
    )
    .await;
    transfer_alice_to_bob(&api, &rpc).await;
}
