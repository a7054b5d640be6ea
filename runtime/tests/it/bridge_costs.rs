//! What settling the rollup costs L1 (issue 12, "Performance"), from the runtime's own
//! encoding, limits and measured weights: the bytes per L2 transfer of a real signed
//! `Bridge.submit_batch` extrinsic, the exits that fit a block in exodus mode, and the
//! pallet's fallback weights against the measured ones. BENCHMARKS.md ("Rollup
//! settlement") records the figures these print (`--no-capture`).

use codec::Encode;
use echonet_rollup_primitives::{
    execute_batch, exit::sign_exit, field::fr_to_be_bytes, Account, AccountTree, Amount40,
    BatchHeader, Fee8, PrivateKey, Transfer, Tx,
};
use echonet_runtime::{
    configs::{RuntimeBlockLength, RuntimeBlockWeights},
    extrinsics,
    weights::extrinsic_weights::ExtrinsicBaseWeight,
    Runtime, RuntimeCall,
};
use frame_support::dispatch::DispatchClass;
use pallet_bridge::WeightInfo as _;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;

/// The runtime's measured weights of pallet-bridge.
type Measured = echonet_runtime::weights::pallet_bridge::WeightInfo<Runtime>;
/// The pallet's hand-written fallback.
type Fallback = pallet_bridge::weights::SubstrateWeight<Runtime>;

const SLOTS: u32 = 64;

/// The proof (128 bytes whatever it proves: zeros stand in) and the batch of 64 transfers,
/// executed natively.
#[test]
fn a_64_transfer_batch_costs_12_bytes_of_da_per_transfer_on_l1() {
    let keys: Vec<PrivateKey> = (0..SLOTS).map(|i| PrivateKey([i as u8 + 1; 32])).collect();
    let mut tree = AccountTree::new();
    for (i, key) in keys.iter().enumerate() {
        let account = Account {
            pubkey: key.public(),
            balance: 1_000_000,
            nonce: 0,
        };
        tree.set(i as u32, Some(account)).unwrap();
    }
    let (chain_id, instance) = (1, 7);
    let txs: Vec<Tx> = (0..SLOTS)
        .map(|i| {
            Tx::Transfer(Transfer::signed(
                &keys[i as usize],
                chain_id,
                instance,
                i,
                (i + 1) % SLOTS,
                Amount40::from_value(12_345).unwrap(),
                Fee8::from_value(10).unwrap(),
                0,
            ))
        })
        .collect();
    let header = BatchHeader {
        chain_id,
        instance,
        batch_number: 2,
        operator: 0,
    };
    let trace = execute_batch(&mut tree, &header, &txs, SLOTS as usize).unwrap();
    let da_len = trace.da.len();
    let call = RuntimeCall::Bridge(pallet_bridge::Call::submit_batch {
        batch_number: 2,
        new_root: fr_to_be_bytes(&trace.new_root),
        da: trace.da.clone().try_into().unwrap(),
        deposits_consumed: 0,
        withdrawals: Default::default(),
        proof: [0u8; pallet_bridge::PROOF_BYTES],
    });
    let xt = extrinsics::signed(
        call.clone(),
        &Sr25519Keyring::Alice.pair(),
        0,
        0,
        H256::zero(),
    );
    let xt_len = xt.encode().len();
    let call_len = call.encode().len();
    let per = |n: usize| n as f64 / SLOTS as f64;
    eprintln!(
        "64 transfers: DA {da_len} B ({:.2} B/transfer), call {call_len} B, signed extrinsic \
         {xt_len} B; proof, header and envelope {} B ({:.2} B/transfer); total {:.2} B/transfer",
        per(da_len),
        xt_len - da_len,
        per(xt_len - da_len),
        per(xt_len),
    );
    // The DA is a 3-byte header and a 12-byte record per slot.
    assert_eq!(da_len, 3 + 12 * SLOTS as usize);
    // The rest is 281 B at the time of writing: the proof (128), the new root (32), the batch
    // number (8), the two counts and the DA's length prefix (7), the call index (2) and the
    // signed envelope (address, signature, extensions, length: 104). Under 5 B a transfer.
    assert!(
        per(xt_len - da_len) < 5.0,
        "{xt_len} B for {da_len} B of DA"
    );
}

/// Exits per block in exodus mode: the normal class's weight limit over an exit's measured
/// weight plus the extrinsic base weight, and the normal class's length limit over the size
/// of a real signed exit extrinsic.
#[test]
fn hundreds_of_accounts_exit_per_block_in_exodus_mode() {
    let key = PrivateKey([9; 32]);
    let account = Account {
        pubkey: key.public(),
        balance: 1_000_000,
        nonce: 5,
    };
    let mut tree = AccountTree::new();
    tree.set(3, Some(account)).unwrap();
    let siblings: Vec<[u8; 32]> = tree
        .proof(3)
        .unwrap()
        .siblings
        .iter()
        .map(fr_to_be_bytes)
        .collect();
    let recipient = Sr25519Keyring::Bob.to_account_id();
    let recipient_bytes: [u8; 32] = recipient.clone().into();
    let call = RuntimeCall::Bridge(pallet_bridge::Call::exit {
        index: 3,
        leaf: pallet_bridge::ExitLeaf {
            public_key: account.pubkey.0.compress(),
            balance: account.balance,
            nonce: account.nonce,
        },
        siblings: siblings.try_into().unwrap(),
        recipient,
        signature: sign_exit(&key, 1, 7, 3, &recipient_bytes).to_bytes(),
    });
    let xt = extrinsics::signed(call, &Sr25519Keyring::Alice.pair(), 0, 0, H256::zero());
    let xt_len = xt.encode().len() as u64;

    let per_exit = Measured::exit().saturating_add(ExtrinsicBaseWeight::get());
    let normal = RuntimeBlockWeights::get()
        .get(DispatchClass::Normal)
        .max_total
        .unwrap();
    let by_weight = normal.ref_time() / per_exit.ref_time();
    let by_length = u64::from(*RuntimeBlockLength::get().max.get(DispatchClass::Normal)) / xt_len;
    eprintln!(
        "exit: {:.0} us with storage + {:.0} us extrinsic base = {:.0} us; normal class {:.0} ms \
         -> {by_weight} exits by weight; extrinsic {xt_len} B -> {by_length} by length; \
         {} exits per block",
        Measured::exit().ref_time() as f64 / 1e6,
        ExtrinsicBaseWeight::get().ref_time() as f64 / 1e6,
        per_exit.ref_time() as f64 / 1e6,
        normal.ref_time() as f64 / 1e9,
        by_weight.min(by_length),
    );
    // A full 64-slot batch's worth of accounts leaves in one block, with room to spare.
    assert!(
        by_weight.min(by_length) >= 64,
        "{by_weight} by weight, {by_length} by length"
    );
}

/// `SubstrateWeight` (the fallback for runtimes that have not measured the pallet) charges
/// at least what was measured here, for every call and every benchmarked batch size.
#[test]
fn the_bridge_fallback_weights_are_not_below_the_measured_ones() {
    let mut pairs = vec![
        (
            "set_verifying_key",
            Fallback::set_verifying_key(),
            Measured::set_verifying_key(),
        ),
        (
            "set_batch_size",
            Fallback::set_batch_size(),
            Measured::set_batch_size(),
        ),
        ("set_params", Fallback::set_params(), Measured::set_params()),
        (
            "add_operator",
            Fallback::add_operator(),
            Measured::add_operator(),
        ),
        (
            "remove_operator",
            Fallback::remove_operator(),
            Measured::remove_operator(),
        ),
        ("deposit", Fallback::deposit(), Measured::deposit()),
        (
            "claim_withdrawal",
            Fallback::claim_withdrawal(),
            Measured::claim_withdrawal(),
        ),
        (
            "trigger_exodus",
            Fallback::trigger_exodus(),
            Measured::trigger_exodus(),
        ),
        ("exit", Fallback::exit(), Measured::exit()),
        (
            "refund_deposit",
            Fallback::refund_deposit(),
            Measured::refund_deposit(),
        ),
        (
            "set_instance",
            Fallback::set_instance(),
            Measured::set_instance(),
        ),
    ];
    for s in [8, 32, 64] {
        pairs.push((
            "submit_batch",
            Fallback::submit_batch(s),
            Measured::submit_batch(s),
        ));
    }
    for (name, fallback, measured) in pairs {
        assert!(
            fallback.ref_time() >= measured.ref_time(),
            "{name}: fallback {fallback:?} below measured {measured:?}"
        );
    }
}
