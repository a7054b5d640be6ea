//! The rollup settles on a running dev chain (issue 12), with keys from `echonet-prover
//! setup` (the CLI an operator runs) and proofs from the prover library (what the sequencer
//! calls):
//!
//! 1. the admin (sudo) registers the verifying key under the hash `setup` printed, the batch
//!    size and an operator (Bob, bonded);
//! 2. Bob and Alice deposit ECHO to new L2 keys; the bridge assigns their indices;
//! 3. a batch with both deposits, a transfer and a withdrawal to Charlie is proven and
//!    submitted by Bob in an extrinsic, and verified on chain;
//! 4. the withdrawal is claimed and Charlie's L1 balance grows by exactly its amount;
//! 5. then batches stop: a deposit is left in the queue, the batch timeout passes (the
//!    chain's timestamp, polled, is past the last batch's plus the timeout), anyone
//!    triggers exodus with one call that succeeds, every L2 account exits to an L1 account of its choice with exactly
//!    its L2 balance, the queued deposit is refunded, and the bridge holds only its existential
//!    deposit.

use std::path::{Path, PathBuf};
use std::time::Duration;

use echonet_rollup_primitives::{
    batch::{execute_batch, BatchHeader},
    exit::sign_exit,
    tree::AccountTree,
    Amount40, Deposit, PrivateKey, Transfer, Tx, Withdraw,
};
use echonet_runtime::{AccountId, Balance, Runtime, RuntimeCall, EXISTENTIAL_DEPOSIT, UNITS};
use echonet_tests::{
    chain,
    rpc::{self, submit_call, sudo, value},
    wait_until, workspace_binary, Node,
};
use jsonrpsee::http_client::HttpClient;
use pallet_bridge::{verifier::fr_to_bytes, DepositTarget, ExitLeaf, ExodusReason, WithdrawalArg};
use sp_keyring::Sr25519Keyring;

/// Slots per batch: two deposits, a transfer and a withdrawal.
const BATCH: usize = 4;
/// The runtime's L2 chain id (`pallet_bridge::Config::ChainId`).
const CHAIN_ID: u32 = 1;
/// The L2 fee of each signed transaction (Fee8-exact).
const FEE: u128 = 1_000;

/// The `echonet-prover` binary: `$ECHONET_PROVER_BIN`, else `<target>/debug/echonet-prover`
/// beside the node's (scripts/test.sh builds the whole workspace first).
fn prover_binary() -> PathBuf {
    workspace_binary("echonet-prover", "ECHONET_PROVER_BIN")
}

/// Blocks come every 2 s; an extrinsic is in a block well within this.
const INCLUSION: Duration = Duration::from_secs(30);

async fn free(c: &HttpClient, who: &AccountId) -> Balance {
    rpc::account(c, who, None).await.data.free
}

/// Waits until `who`'s free balance is `expected`.
async fn wait_free(c: &HttpClient, who: &AccountId, expected: Balance, what: &str) {
    wait_until(what, INCLUSION, || async {
        (free(c, who).await == expected).then_some(())
    })
    .await;
}

/// Runs `echonet-prover setup` and returns the key directory's verifying key and the hash
/// the command printed.
fn prover_setup(dir: &Path) -> (Vec<u8>, [u8; 32]) {
    let out = std::process::Command::new(prover_binary())
        .args(["setup", "--batch-size", &BATCH.to_string(), "--out"])
        .arg(dir)
        .output()
        .expect("echonet-prover runs");
    assert!(out.status.success(), "setup failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("verifying key hash (sha256): 0x"))
        .unwrap_or_else(|| panic!("setup printed no verifying key hash: {stdout}"));
    let hash: [u8; 32] = hex::decode(line.trim())
        .expect("hex hash")
        .try_into()
        .expect("32 bytes");
    let vk = std::fs::read(dir.join("verifying_key.bin")).expect("verifying_key.bin");
    (vk, hash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_goes_into_l2_moves_comes_back_through_proofs_and_everyone_exits_after_a_halt() {
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let (vk, vk_hash) = prover_setup(keys_dir.path());
    let pk = echonet_prover::keys::load_proving_key(
        &keys_dir.path().join(echonet_prover::keys::PK_FILE),
    )
    .expect("proving key");

    let node = Node::dev("rollup").await;
    let c = node.http();
    let bridge = pallet_bridge::Pallet::<Runtime>::account_id();

    // 1. The admin configures the bridge.
    sudo(
        &c,
        RuntimeCall::Bridge(pallet_bridge::Call::set_verifying_key {
            batch_size: BATCH as u32,
            key: vk.try_into().expect("key within bounds"),
            key_hash: vk_hash,
        }),
    )
    .await;
    sudo(
        &c,
        RuntimeCall::Bridge(pallet_bridge::Call::set_batch_size {
            batch_size: BATCH as u32,
        }),
    )
    .await;
    sudo(
        &c,
        RuntimeCall::Bridge(pallet_bridge::Call::add_operator {
            who: Sr25519Keyring::Bob.to_account_id(),
        }),
    )
    .await;
    let instance: u64 = wait_until("the bridge is configured", INCLUSION, || async {
        let size: Option<u32> = value(&c, &pallet_bridge::BatchSize::<Runtime>::hashed_key()).await;
        let op = rpc::storage(
            &c,
            &pallet_bridge::Operators::<Runtime>::hashed_key_for(
                Sr25519Keyring::Bob.to_account_id(),
            ),
            None,
        )
        .await;
        match (size, op) {
            (Some(s), Some(_)) if s == BATCH as u32 => {
                value(&c, &pallet_bridge::InstanceId::<Runtime>::hashed_key()).await
            }
            _ => None,
        }
    })
    .await;

    // 2. Deposits to new L2 keys: Bob's fee account (index 0) and Alice's account (index 1).
    let l2_keys = [PrivateKey([21; 32]), PrivateKey([22; 32])];
    let deposits = [10 * UNITS, 100 * UNITS];
    for (who, (key, amount)) in [Sr25519Keyring::Bob, Sr25519Keyring::Alice]
        .into_iter()
        .zip(l2_keys.iter().zip(deposits))
    {
        submit_call(
            &c,
            who,
            RuntimeCall::Bridge(pallet_bridge::Call::deposit {
                target: DepositTarget::NewAccount(key.public().0.compress()),
                amount,
            }),
        )
        .await;
        // One at a time, so that the queue order (and the indices) is known.
        let want = if who == Sr25519Keyring::Bob { 1 } else { 2 };
        wait_until("the deposit is queued", INCLUSION, || async {
            let next: Option<u32> =
                value(&c, &pallet_bridge::NextIndex::<Runtime>::hashed_key()).await;
            (next == Some(want)).then_some(())
        })
        .await;
    }
    let locked = EXISTENTIAL_DEPOSIT + deposits[0] + deposits[1];
    assert_eq!(
        free(&c, &bridge).await,
        locked,
        "the bridge holds the deposits"
    );

    // 3. A batch: both deposits, a transfer 1 → 0 and a withdrawal from 1 to Charlie.
    let charlie = Sr25519Keyring::Charlie.to_account_id();
    let recipient = |who: &AccountId| -> [u8; 32] { who.clone().into() };
    let transfer = 5 * UNITS;
    let withdrawal = 20 * UNITS;
    let fee = echonet_rollup_primitives::Fee8::from_value(FEE).unwrap();
    let txs = vec![
        Tx::Deposit(Deposit {
            to: 0,
            new_account: Some(l2_keys[0].public()),
            amount: deposits[0],
        }),
        Tx::Deposit(Deposit {
            to: 1,
            new_account: Some(l2_keys[1].public()),
            amount: deposits[1],
        }),
        Tx::Transfer(Transfer::signed(
            &l2_keys[1],
            CHAIN_ID,
            instance,
            1,
            0,
            Amount40::from_value(transfer).unwrap(),
            fee,
            0,
        )),
        Tx::Withdraw(Withdraw::signed(
            &l2_keys[1],
            CHAIN_ID,
            instance,
            1,
            Amount40::from_value(withdrawal).unwrap(),
            fee,
            1,
            recipient(&charlie),
        )),
    ];
    let mut tree = AccountTree::new();
    let header = BatchHeader {
        chain_id: CHAIN_ID,
        instance,
        batch_number: 1,
        operator: 0,
    };
    let trace = execute_batch(&mut tree, &header, &txs, BATCH).expect("the batch executes");
    let mut rng = rand::rngs::OsRng;
    let (proof, _) = echonet_prover::prove(&pk, BATCH, &trace, &mut rng).expect("proves");
    let proof: [u8; 128] = echonet_prover::proof_to_bytes(&proof)
        .unwrap()
        .try_into()
        .expect("128 bytes");
    let new_root = fr_to_bytes(&trace.new_root);
    let ws = node.ws().await;
    let verified_in = rpc::submit_and_dispatch(
        &ws,
        Sr25519Keyring::Bob,
        RuntimeCall::Bridge(pallet_bridge::Call::submit_batch {
            batch_number: 1,
            new_root,
            da: trace.da.clone().try_into().expect("DA within bounds"),
            deposits_consumed: 2,
            withdrawals: trace
                .withdrawals
                .iter()
                .map(|w| WithdrawalArg {
                    from: w.from,
                    amount: w.amount,
                    recipient: w.recipient,
                })
                .collect::<Vec<_>>()
                .try_into()
                .expect("withdrawals within bounds"),
            proof,
        }),
    )
    .await
    .expect("the batch is verified on chain");
    let root: [u8; 32] = rpc::storage_decoded(
        &c,
        &pallet_bridge::CurrentRoot::<Runtime>::hashed_key(),
        Some(verified_in),
        "Bridge.CurrentRoot",
    )
    .await;
    assert_eq!(root, new_root, "the batch moved the root");

    // 4. The withdrawal is claimed (by Dave, who pays the fee) and pays Charlie exactly.
    let charlie_before = free(&c, &charlie).await;
    submit_call(
        &c,
        Sr25519Keyring::Dave,
        RuntimeCall::Bridge(pallet_bridge::Call::claim_withdrawal {
            batch_number: 1,
            position: 0,
        }),
    )
    .await;
    wait_free(
        &c,
        &charlie,
        charlie_before + withdrawal,
        "Charlie is paid the withdrawal",
    )
    .await;
    assert_eq!(free(&c, &bridge).await, locked - withdrawal);

    // 5. Batches stop. A deposit waits in the queue; the batch timeout is shortened to 4 s.
    let late_deposit = 3 * UNITS;
    let alice = Sr25519Keyring::Alice.to_account_id();
    submit_call(
        &c,
        Sr25519Keyring::Alice,
        RuntimeCall::Bridge(pallet_bridge::Call::deposit {
            target: DepositTarget::Existing(1),
            amount: late_deposit,
        }),
    )
    .await;
    let mut params = echonet_runtime::genesis_config_presets::bridge_params();
    params.batch_timeout_ms = 4_000;
    sudo(
        &c,
        RuntimeCall::Bridge(pallet_bridge::Call::set_params {
            params: params.clone(),
        }),
    )
    .await;
    wait_until(
        "the short timeout and the queued deposit",
        INCLUSION,
        || async {
            let now: Option<pallet_bridge::Params> =
                value(&c, &pallet_bridge::ActiveParams::<Runtime>::hashed_key()).await;
            let tail: Option<u64> =
                value(&c, &pallet_bridge::QueueTail::<Runtime>::hashed_key()).await;
            (now.as_ref() == Some(&params) && tail == Some(3)).then_some(())
        },
    )
    .await;
    // Anyone may trigger exodus once the timeout has passed on chain: once the best block's
    // timestamp is past the last batch's plus the timeout, every later block's is too, and
    // the first of them that holds the call triggers it.
    let last_batch_at: u64 = value(&c, &pallet_bridge::LastBatchAt::<Runtime>::hashed_key())
        .await
        .expect("the verified batch set LastBatchAt");
    let due = last_batch_at + params.batch_timeout_ms;
    wait_until(
        "the chain's timestamp passes the batch timeout",
        INCLUSION,
        || async {
            let now: u64 = value(&c, &chain::timestamp_now_key()).await?;
            (now > due).then_some(())
        },
    )
    .await;
    let triggered_in = rpc::submit_and_dispatch(
        &ws,
        Sr25519Keyring::Dave,
        RuntimeCall::Bridge(pallet_bridge::Call::trigger_exodus {}),
    )
    .await
    .expect("trigger_exodus succeeds once the batch timeout has passed");
    let (_, reason): (u64, ExodusReason) = rpc::storage_decoded(
        &c,
        &pallet_bridge::Exodus::<Runtime>::hashed_key(),
        Some(triggered_in),
        "Bridge.Exodus",
    )
    .await;
    assert_eq!(reason, ExodusReason::BatchTimeout);

    // Every account exits to a fresh L1 account with exactly its L2 balance.
    let exits = [
        (0u32, Sr25519Keyring::Eve.to_account_id()),
        (1u32, Sr25519Keyring::Ferdie.to_account_id()),
    ];
    let mut l2_total = 0;
    for (index, to) in &exits {
        let leaf = *tree.get(*index).expect("the account exists");
        l2_total += leaf.balance;
        let before = free(&c, to).await;
        let siblings: Vec<[u8; 32]> = tree
            .proof(*index)
            .unwrap()
            .siblings
            .iter()
            .map(fr_to_bytes)
            .collect();
        let sig = sign_exit(
            &l2_keys[*index as usize],
            CHAIN_ID,
            instance,
            *index,
            &recipient(to),
        );
        submit_call(
            &c,
            Sr25519Keyring::Dave,
            RuntimeCall::Bridge(pallet_bridge::Call::exit {
                index: *index,
                leaf: ExitLeaf {
                    public_key: leaf.pubkey.0.compress(),
                    balance: leaf.balance,
                    nonce: leaf.nonce,
                },
                siblings: siblings.try_into().expect("24 siblings"),
                recipient: to.clone(),
                signature: sig.to_bytes(),
            }),
        )
        .await;
        wait_free(&c, to, before + leaf.balance, "an exit pays the L2 balance").await;
    }
    assert_eq!(
        l2_total,
        deposits[0] + deposits[1] - withdrawal,
        "the L2 balances are what went in minus what was withdrawn"
    );
    // The queued deposit goes back to Alice (Dave pays the call's fee).
    let alice_before = free(&c, &alice).await;
    submit_call(
        &c,
        Sr25519Keyring::Dave,
        RuntimeCall::Bridge(pallet_bridge::Call::refund_deposit { seq: 2 }),
    )
    .await;
    wait_free(
        &c,
        &alice,
        alice_before + late_deposit,
        "Alice's queued deposit is refunded",
    )
    .await;
    assert_eq!(
        free(&c, &bridge).await,
        EXISTENTIAL_DEPOSIT,
        "everything locked came back out"
    );
    node.assert_no_panic();
}
