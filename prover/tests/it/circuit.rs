//! Whole-batch tests of the circuit: a mixed batch is satisfied, and every rule has a negative
//! test whose positive twin (the same witness before the corruption) is satisfied.
//!
//! A corrupted witness also changes what the circuit computes for the public input; to make
//! sure a test fails for the rule it is about and not merely because the public input no
//! longer matches, [`aim`] sets the public input to the value the corrupted witness computes.

use ark_ff::Field;
use ark_relations::gr1cs::ConstraintLayer;
use echonet_prover::{
    check_witness,
    circuit::{AccountWitness, BatchCircuit, BatchWitness, SlotWitness},
    sample::{sample_batch, sample_key, sample_tree, SampleKind, SAMPLE_CHAIN_ID, SAMPLE_INSTANCE},
};
use echonet_rollup_primitives::{
    babyjubjub::Point,
    batch::{commitment_from_l1_data, BatchTrace},
    eddsa::Signature,
    tx::{pack_message_word, transfer_message, tx_type, withdraw_message},
    AccountTree, Amount40, BatchHeader, Deposit, Fee8, Fr, Transfer, Tx, Withdraw,
};

fn satisfied(w: &BatchWitness) -> bool {
    check_witness(w).expect("synthesis").is_none()
}

fn aim(mut w: BatchWitness) -> BatchWitness {
    w.commitment = BatchCircuit::computed_commitment(&w).expect("synthesis");
    w
}

/// The namespace path of the first unsatisfied constraint of `w` (`None` if satisfied).
/// arkworks 0.6 records a constraint's namespaces (`ns!` spans, target `gr1cs`) only while a
/// `ConstraintLayer` is the tracing subscriber; without one the answer is `"R1CS - <index>"`.
fn unsatisfied_at(w: &BatchWitness) -> Option<String> {
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};
    let _guard = tracing_subscriber::registry()
        .with(ConstraintLayer::default())
        .set_default();
    check_witness(w).expect("synthesis")
}

/// The span names on a constraint's namespace path as `which_is_unsatisfied` prints it under
/// a `ConstraintLayer` (lines `   0: module::name`, innermost first, each followed by an
/// `at file:line` line).
fn span_names(at: &str) -> Vec<&str> {
    at.lines()
        .filter_map(|l| {
            let (n, path) = l.trim().split_once(": ")?;
            n.parse::<usize>().ok()?;
            path.rsplit("::").next()
        })
        .collect()
}

/// Asserts that the failure `at` lies in the namespace `name` (an exact span name).
fn assert_fails_in(at: &str, name: &str) {
    assert!(
        span_names(at).contains(&name),
        "expected a failure in `{name}`, got:\n{at}"
    );
}

/// The honest witness is satisfied; after `corrupt` (and re-aiming the public input, so that
/// the public input cannot be what fails) the first unsatisfied constraint is in the
/// namespace `name`: the witness breaks the rule the test is about, not merely some rule.
fn assert_rule_named(honest: &BatchWitness, name: &str, corrupt: impl FnOnce(&mut BatchWitness)) {
    assert!(satisfied(honest), "positive twin must be satisfied");
    let mut w = honest.clone();
    corrupt(&mut w);
    assert_ne!(&w, honest, "the corruption must change the witness");
    let w = aim(w);
    let at = unsatisfied_at(&w).expect("corrupted witness must be unsatisfied");
    assert_fails_in(&at, name);
}

const CHAIN: u32 = SAMPLE_CHAIN_ID;
const INSTANCE: u64 = SAMPLE_INSTANCE;

fn header(n: u64) -> BatchHeader {
    BatchHeader {
        chain_id: CHAIN,
        instance: INSTANCE,
        batch_number: n,
        operator: 0,
    }
}

fn exec(tree: &mut AccountTree, txs: &[Tx], size: usize) -> (BatchTrace, BatchWitness) {
    let trace = echonet_rollup_primitives::execute_batch(tree, &header(1), txs, size)
        .expect("honest batch executes");
    let w = BatchWitness::from_trace(&trace).expect("witness");
    (trace, w)
}

fn amt(v: u128) -> Amount40 {
    Amount40::from_value(v).expect("representable")
}

fn fee() -> Fee8 {
    Fee8::from_value(20).expect("representable")
}

fn transfer(from: u32, to: u32, amount: u128, nonce: u64) -> Tx {
    Tx::Transfer(Transfer::signed(
        &sample_key(from),
        CHAIN,
        INSTANCE,
        from,
        to,
        amt(amount),
        fee(),
        nonce,
    ))
}

/// Honest witness of one transfer 1 → 2 (batch of 2 slots).
fn one_transfer() -> BatchWitness {
    let mut tree = sample_tree(6).unwrap();
    exec(&mut tree, &[transfer(1, 2, 1_000, 0)], 2).1
}

/// Re-signs slot 0 of a witness as a transfer with its current fields, as the sender would.
fn resign_transfer(w: &mut BatchWitness, chain: u32) {
    resign_transfer_for(w, chain, INSTANCE);
}

/// [`resign_transfer`] for rollup `instance`.
fn resign_transfer_for(w: &mut BatchWitness, chain: u32, instance: u64) {
    let s = &mut w.slots[0];
    let nonce = nonce_u64(&s.sender.nonce);
    let m = transfer_message(
        chain,
        instance,
        s.from,
        s.to,
        Amount40::from_code(s.amount_code).unwrap(),
        Fee8(s.fee_code),
        nonce,
    );
    let sig = sample_key(s.from).sign(&m);
    s.r8 = sig.r8;
    s.s = echonet_prover::gadgets::eddsa::s_to_field(&sig.s).unwrap();
}

fn nonce_u64(x: &Fr) -> u64 {
    use ark_ff::PrimeField;
    x.into_bigint().0[0]
}

#[test]
fn mixed_batch_is_satisfied_and_matches_native_commitment() {
    let trace = sample_batch(8, SampleKind::Mixed).unwrap();
    let kinds: Vec<u64> = trace.slots.iter().map(|s| s.tx.type_code()).collect();
    assert!(kinds.contains(&tx_type::TRANSFER));
    assert!(kinds.contains(&tx_type::DEPOSIT));
    assert!(kinds.contains(&tx_type::WITHDRAW));
    assert!(kinds.contains(&tx_type::NOOP));
    let w = BatchWitness::from_trace(&trace).unwrap();
    assert_eq!(
        BatchCircuit::computed_commitment(&w).unwrap(),
        trace.commitment
    );
    assert!(satisfied(&w));
    // The bridge's recomputation from L1 data gives the same public input.
    let bridge = commitment_from_l1_data(
        &trace.header,
        8,
        trace.old_root,
        trace.new_root,
        |i| trace.deposits.get(i).cloned(),
        &trace.withdrawals,
        &trace.da,
    )
    .unwrap();
    assert_eq!(bridge, (trace.commitment, trace.deposits.len()));
}

#[test]
fn bad_signature_is_rejected() {
    let w = one_transfer();
    assert_rule_named(&w, "signature_equation", |w| w.slots[0].s += Fr::from(1u64));
    assert_rule_named(&w, "signature_equation", |w| {
        // A valid signature, by someone else.
        let s = &mut w.slots[0];
        let m = transfer_message(CHAIN, INSTANCE, 1, 2, amt(1_000), fee(), 0);
        let sig = sample_key(3).sign(&m);
        s.r8 = sig.r8;
        s.s = echonet_prover::gadgets::eddsa::s_to_field(&sig.s).unwrap();
    });
    // S + l satisfies the curve equation but is not canonical.
    assert_rule_named(&w, "s_below_suborder", |w| {
        let l = echonet_rollup_primitives::babyjubjub::suborder();
        w.slots[0].s += Fr::from(l);
    });
}

#[test]
fn wrong_nonce_is_rejected() {
    let w = one_transfer();
    // Signed for nonce 1 while the account is at nonce 0: the leaf no longer matches.
    assert_rule_named(&w, "sender_in_tree", |w| {
        w.slots[0].sender.nonce = Fr::from(1u64);
        resign_transfer(w, CHAIN);
    });
    // Signed for nonce 1, account data left at nonce 0: the signature no longer matches.
    assert_rule_named(&w, "signature_equation", |w| {
        let m = transfer_message(CHAIN, INSTANCE, 1, 2, amt(1_000), fee(), 1);
        let sig = sample_key(1).sign(&m);
        w.slots[0].r8 = sig.r8;
        w.slots[0].s = echonet_prover::gadgets::eddsa::s_to_field(&sig.s).unwrap();
    });
}

#[test]
fn insufficient_balance_is_rejected() {
    let w = one_transfer();
    // Balance is 10^15; send 2·10^15 (properly signed).
    assert_rule_named(&w, "sender_balance_range", |w| {
        w.slots[0].amount_code = amt(2_000_000_000_000_000).code();
        resign_transfer(w, CHAIN);
    });
    // Amount alone fits but amount + fee does not.
    assert_rule_named(&w, "sender_balance_range", |w| {
        w.slots[0].amount_code = amt(1_000_000_000_000_000).code();
        resign_transfer(w, CHAIN);
    });
}

#[test]
fn amount_overflow_is_rejected() {
    // Receiver 2 holds u128::MAX − 5.
    let mut tree = sample_tree(6).unwrap();
    let mut a2 = *tree.get(2).unwrap();
    a2.balance = u128::MAX - 5;
    tree.set(2, Some(a2)).unwrap();
    let base = tree.clone();
    let (_, w) = exec(&mut tree, &[transfer(1, 2, 5, 0)], 2);
    // 10 more than fits.
    assert_rule_named(&w, "receiver_balance_range", |w| {
        w.slots[0].amount_code = amt(10).code();
        resign_transfer(w, CHAIN);
    });
    // The largest code (≈3.4·10^41, beyond u128): the sender cannot cover it.
    assert_rule_named(&w, "sender_balance_range", |w| {
        w.slots[0].amount_code = (1 << 40) - 1;
        resign_transfer(w, CHAIN);
    });
    // A deposit that would overflow the receiver.
    let mut tree = base;
    let dep = Tx::Deposit(Deposit {
        to: 2,
        new_account: None,
        amount: 5,
    });
    let (_, w) = exec(&mut tree, &[dep], 2);
    assert_rule_named(&w, "receiver_balance_range", |w| {
        w.slots[0].deposit_amount = Fr::from(6u64)
    });
}

#[test]
fn wrong_merkle_path_is_rejected() {
    let w = one_transfer();
    assert_rule_named(&w, "sender_in_tree", |w| {
        w.slots[0].sender_path[5] += Fr::from(1u64)
    });
    assert_rule_named(&w, "receiver_in_tree", |w| {
        w.slots[0].receiver_path[0] += Fr::from(1u64)
    });
    assert_rule_named(&w, "operator_in_tree", |w| {
        w.operator_path[23] += Fr::from(1u64)
    });
    // Wrong account data for the path.
    assert_rule_named(&w, "receiver_in_tree", |w| {
        w.slots[0].receiver.balance += Fr::from(1u64)
    });
}

#[test]
fn path_at_the_wrong_index_is_rejected() {
    let w = one_transfer();
    // Sender 1's path and data, claimed at index 5 (and signed as such).
    assert_rule_named(&w, "sender_in_tree", |w| {
        w.slots[0].from = 5;
        resign_transfer(w, CHAIN);
    });
    // Receiver 2's path and data, claimed at index 3.
    assert_rule_named(&w, "receiver_in_tree", |w| {
        w.slots[0].to = 3;
        resign_transfer(w, CHAIN);
    });
    // Operator 0's data, claimed at index 1.
    assert_rule_named(&w, "operator_in_tree", |w| w.operator = 1);
}

#[test]
fn tampered_public_input_is_rejected() {
    let w = one_transfer();
    assert!(satisfied(&w));
    let mut t = w.clone();
    t.commitment += Fr::from(1u64);
    assert_fails_in(&unsatisfied_at(&t).unwrap(), "public_input");
}

#[test]
fn signature_replayed_into_another_batch_is_rejected() {
    // Batch 1 spends nonce 0; batch 2 honestly spends nonce 1.
    let mut tree = sample_tree(6).unwrap();
    let first = transfer(1, 2, 1_000, 0);
    exec(&mut tree, std::slice::from_ref(&first), 2);
    let (_, w) = exec(&mut tree, &[transfer(1, 2, 1_000, 1)], 2);
    let Tx::Transfer(old) = first else {
        unreachable!()
    };
    // Replaying batch 1's signature against the current nonce.
    assert_rule_named(&w, "signature_equation", |w| {
        w.slots[0].r8 = old.signature.r8;
        w.slots[0].s = echonet_prover::gadgets::eddsa::s_to_field(&old.signature.s).unwrap();
    });
    // ... and with the account data rolled back to nonce 0 to match it.
    assert_rule_named(&w, "sender_in_tree", |w| {
        w.slots[0].r8 = old.signature.r8;
        w.slots[0].s = echonet_prover::gadgets::eddsa::s_to_field(&old.signature.s).unwrap();
        w.slots[0].sender.nonce = Fr::from(0u64);
    });
}

#[test]
fn signature_replayed_into_another_chain_is_rejected() {
    let w = one_transfer();
    assert_rule_named(&w, "signature_equation", |w| resign_transfer(w, CHAIN + 1));
}

#[test]
fn signature_for_another_rollup_instance_is_rejected() {
    let w = one_transfer();
    // Signed for instance A, proven in a batch of instance A': the message differs.
    assert_rule_named(&w, "signature_equation", |w| {
        resign_transfer_for(w, CHAIN, INSTANCE ^ 1)
    });
    // The batch claims instance B (the public input the bridge of B rebuilds) while its
    // transfer was signed for A: the same witness feeds both, so the signature fails.
    assert_rule_named(&w, "signature_equation", |w| {
        w.instance = Fr::from(INSTANCE ^ 1)
    });
    let mut for_b = w.clone();
    for_b.instance = Fr::from(INSTANCE ^ 1);
    assert_ne!(
        BatchCircuit::computed_commitment(&for_b).unwrap(),
        w.commitment
    );
    // An instance beyond 64 bits cannot alias another (chain id, instance) pair, even when
    // the transfer is re-signed for exactly the word the circuit packs.
    let mut wide = w.clone();
    wide.instance = Fr::from(INSTANCE) + Fr::from(2u64).pow([64]);
    let s = &wide.slots[0];
    let e = pack_message_word(
        CHAIN,
        INSTANCE,
        tx_type::TRANSFER,
        s.from,
        s.to,
        Amount40::from_code(s.amount_code).unwrap(),
        Fee8(s.fee_code),
        0,
    ) + Fr::from(2u64).pow([234]);
    let sig = sample_key(1).sign(&echonet_rollup_primitives::poseidon::poseidon(&[
        e,
        Fr::from(0u64),
        Fr::from(0u64),
    ]));
    wide.slots[0].r8 = sig.r8;
    wide.slots[0].s = echonet_prover::gadgets::eddsa::s_to_field(&sig.s).unwrap();
    let at = unsatisfied_at(&aim(wide)).expect("a 65-bit instance must be refused");
    assert_fails_in(&at, "instance_range");
}

#[test]
fn noop_slots_cannot_change_state() {
    let honest = one_transfer();
    // Relabel the transfer as a no-op but claim the transfer's state change.
    let mut w = honest.clone();
    w.slots[0].ty = tx_type::NOOP;
    // The no-op kept the root, so the operator's path (in the transferred tree) misses it.
    assert_fails_in(&unsatisfied_at(&w).unwrap(), "operator_in_tree");
    // A no-op carrying a transfer's data computes exactly the commitment of an empty slot:
    // none of that data reaches the roots, the hashes or the DA.
    // With the state untouched, the operator's fee credit happens on the original tree.
    let tree = sample_tree(6).unwrap();
    let op = *tree.get(0).unwrap();
    w.operator_path = tree.proof(0).unwrap().siblings;
    w.operator_account = AccountWitness {
        pk: op.pubkey.0,
        balance: Fr::from(op.balance),
        nonce: Fr::from(op.nonce),
    };
    let clean = {
        let mut c = w.clone();
        c.slots[0] = echonet_prover::circuit::SlotWitness::noop();
        aim(c)
    };
    assert!(satisfied(&clean));
    assert_eq!(
        BatchCircuit::computed_commitment(&w).unwrap(),
        clean.commitment
    );
    // With the operator's credit on the untouched tree, claiming the transfer's new state
    // still fails, at the public input: the no-op computed the unchanged one.
    assert_ne!(honest.commitment, clean.commitment);
    let mut claims_transfer = w.clone();
    claims_transfer.commitment = honest.commitment;
    assert_fails_in(&unsatisfied_at(&claims_transfer).unwrap(), "public_input");
    // The operator still exists, so the empty batch is satisfiable; relabelling is not a way
    // to smuggle a state change in.
    let mut relabelled = w.clone();
    relabelled.commitment = clean.commitment;
    assert!(satisfied(&relabelled));
}

#[test]
fn transaction_type_is_enforced() {
    let w = one_transfer();
    // A transfer's witness presented as a withdrawal (its signature is for a transfer).
    assert_rule_named(&w, "signature_equation", |w| {
        w.slots[0].ty = tx_type::WITHDRAW
    });
    // ... or as a deposit (no signature needed, but the receiver's credit now comes from the
    // deposit amount, and the sender's debit is skipped: the roots differ). Aimed, the only
    // rule left is that the deposit hash is what L1 queued, which the bridge checks.
    let mut dep = w.clone();
    dep.slots[0].ty = tx_type::DEPOSIT;
    // Unaimed, it fails first where the receiver's path (under the debited root) no longer
    // meets the running root, which the missing debit left unchanged.
    assert_fails_in(&unsatisfied_at(&dep).unwrap(), "receiver_in_tree");
}

#[test]
fn deposits_create_accounts_only_in_empty_leaves() {
    let mut tree = sample_tree(6).unwrap();
    let new_pk = sample_key(9).public();
    let create = Tx::Deposit(Deposit {
        to: 9,
        new_account: Some(new_pk),
        amount: 500,
    });
    let (_, w) = exec(&mut tree, &[create], 2);
    // Same deposit aimed at occupied index 2 (its real path): the old leaf is not 0.
    let mut tree2 = sample_tree(6).unwrap();
    let proof2 = tree2.proof(2).unwrap();
    assert_rule_named(&w, "receiver_in_tree", |w| {
        w.slots[0].to = 2;
        w.slots[0].receiver_path = proof2.siblings;
    });
    // A created account must start at balance 0 and nonce 0.
    assert_rule_named(&w, "created_balance_zero", |w| {
        w.slots[0].receiver.balance = Fr::from(7u64)
    });
    assert_rule_named(&w, "created_nonce_zero", |w| {
        w.slots[0].receiver.nonce = Fr::from(1u64)
    });
    // Only deposits create: a transfer into an empty leaf with `create` set.
    let t = one_transfer();
    assert_rule_named(&t, "create_only_by_deposit", |w| w.slots[0].create = true);
    // Deposit to an existing account must match its leaf.
    let dep = Tx::Deposit(Deposit {
        to: 2,
        new_account: None,
        amount: 500,
    });
    let (_, w) = exec(&mut tree2, &[dep], 2);
    assert_rule_named(&w, "receiver_in_tree", |w| {
        w.slots[0].receiver.pk = sample_key(4).public().0;
    });
}

#[test]
fn deposits_into_the_reserved_index_are_rejected() {
    // 2^24 − 1 marks the other side of deposit and withdrawal DA records, so no account may
    // live there: a deposit creating one, with the real (empty) path, fails that rule alone.
    let reserved = echonet_rollup_primitives::tree::RESERVED_INDEX;
    let mut tree = sample_tree(6).unwrap();
    let path = tree.proof(reserved).unwrap();
    let create = Tx::Deposit(Deposit {
        to: 9,
        new_account: Some(sample_key(9).public()),
        amount: 500,
    });
    let (_, w) = exec(&mut tree, &[create], 2);
    assert_rule_named(&w, "receiver_not_reserved", |w| {
        w.slots[0].to = reserved;
        w.slots[0].receiver_path = path.siblings;
    });
}

#[test]
fn transfers_to_empty_accounts_and_self_transfers_are_rejected() {
    let w = one_transfer();
    // Receiver 50 is empty: no account data hashes to the empty leaf.
    let tree = sample_tree(6).unwrap();
    let p50 = tree.proof(50).unwrap();
    assert_rule_named(&w, "receiver_in_tree", |w| {
        w.slots[0].to = 50;
        w.slots[0].receiver = AccountWitness::dummy();
        w.slots[0].receiver_path = p50.siblings;
        resign_transfer(w, CHAIN);
    });
    // Self-transfer 1 → 1 with fully consistent paths.
    let mut tree = sample_tree(6).unwrap();
    let before = *tree.get(1).unwrap();
    let sender_path = tree.proof(1).unwrap();
    let mut after = before;
    after.balance -= 1_000 + 20;
    after.nonce += 1;
    tree.set(1, Some(after)).unwrap();
    let receiver_path = tree.proof(1).unwrap();
    assert_rule_named(&w, "no_self_transfer", |w| {
        let s = &mut w.slots[0];
        s.to = 1;
        s.sender_path = sender_path.siblings;
        s.receiver = AccountWitness {
            pk: after.pubkey.0,
            balance: Fr::from(after.balance),
            nonce: Fr::from(after.nonce),
        };
        s.receiver_path = receiver_path.siblings;
        resign_transfer(w, CHAIN);
        // Operator path under the new root.
        let mut t = tree.clone();
        let mut a = *t.get(1).unwrap();
        a.balance += 1_000;
        t.set(1, Some(a)).unwrap();
        w.operator_path = t.proof(0).unwrap().siblings;
    });
}

#[test]
fn fees_go_to_the_operator_account() {
    let w = one_transfer();
    // Operator account data that is not on the path.
    assert_rule_named(&w, "operator_in_tree", |w| {
        w.operator_account.balance += Fr::from(1u64)
    });
    assert_rule_named(&w, "operator_in_tree", |w| {
        w.operator_account.pk = Point::IDENTITY
    });
    // The fee is part of the state transition: a batch that skips the operator's credit
    // (claiming the root before the fee) does not verify.
    let mut tree = sample_tree(6).unwrap();
    let (trace, _) = exec(&mut tree, &[transfer(1, 2, 1_000, 0)], 2);
    let mut no_fee = tree.clone();
    let mut op = *no_fee.get(0).unwrap();
    op.balance -= 20;
    no_fee.set(0, Some(op)).unwrap();
    let forged = echonet_rollup_primitives::batch_commitment(
        CHAIN,
        INSTANCE,
        1,
        trace.old_root,
        no_fee.root(),
        trace.deposits_hash,
        trace.withdrawals_hash,
        trace.da_hash,
    );
    let mut w2 = BatchWitness::from_trace(&trace).unwrap();
    assert!(satisfied(&w2));
    w2.commitment = forged;
    assert_fails_in(&unsatisfied_at(&w2).unwrap(), "public_input");
}

#[test]
fn withdrawal_recipient_is_bound() {
    let mut tree = sample_tree(6).unwrap();
    let wd = Tx::Withdraw(Withdraw::signed(
        &sample_key(3),
        CHAIN,
        INSTANCE,
        3,
        amt(5_000),
        fee(),
        0,
        [7; 32],
    ));
    let (_, w) = exec(&mut tree, &[wd], 2);
    // The operator redirects the withdrawal: the user's signature covers the recipient.
    assert_rule_named(&w, "signature_equation", |w| {
        w.slots[0].recipient_lo += Fr::from(1u64)
    });
    assert_rule_named(&w, "signature_equation", |w| {
        w.slots[0].recipient_hi += Fr::from(1u64)
    });
    // ... or changes its amount.
    assert_rule_named(&w, "signature_equation", |w| {
        w.slots[0].amount_code = amt(6_000).code()
    });
    // The gadget's message is the native one: re-signing the natively built message for the
    // witness' fields is what made the honest witness satisfied.
    let m = withdraw_message(CHAIN, INSTANCE, 3, amt(5_000), fee(), 0, &[7; 32]);
    assert!(sample_key(3)
        .public()
        .verify(&m, &sample_key(3).sign(&m))
        .is_ok());
}

#[test]
fn deposit_amount_is_bound() {
    let mut tree = sample_tree(6).unwrap();
    let dep = Deposit {
        to: 2,
        new_account: None,
        amount: 500,
    };
    let base = tree.clone();
    let (trace, w) = exec(&mut tree, &[Tx::Deposit(dep.clone())], 2);
    // The operator credits 600 instead of the 500 L1 queued, with every path consistent
    // (the operator's under the tree credited 600; a deposit pays no fee). The circuit alone
    // accepts this: only the deposits hash in the public input binds the amount.
    let mut credited = base;
    let mut a2 = *credited.get(2).unwrap();
    a2.balance += 600;
    credited.set(2, Some(a2)).unwrap();
    let mut forged = w.clone();
    forged.slots[0].deposit_amount = Fr::from(600u64);
    forged.operator_path = credited.proof(0).unwrap().siblings;
    let forged = aim(forged);
    assert!(satisfied(&forged));
    // The bridge rebuilds the public input from its own queue (500), for the root the
    // operator claims: it differs, and the proof fails at the public input alone.
    let bridge = |new_root| {
        commitment_from_l1_data(
            &trace.header,
            2,
            trace.old_root,
            new_root,
            |i| (i == 0).then(|| dep.clone()),
            &[],
            &trace.da,
        )
        .unwrap()
        .0
    };
    assert_eq!(bridge(trace.new_root), trace.commitment);
    let at_bridge_value = bridge(credited.root());
    assert_ne!(forged.commitment, at_bridge_value);
    let mut at_bridge = forged.clone();
    at_bridge.commitment = at_bridge_value;
    assert_fails_in(&unsatisfied_at(&at_bridge).unwrap(), "public_input");
}

#[test]
fn negative_deposit_amount_is_rejected() {
    // A deposit amount is a field element in the circuit. Without a range check, the amount
    // p − X ("−X") credits the account with −X: its balance drops by X and stays in range.
    let x: u128 = 1_000_000_000_000;
    let mut tree = sample_tree(6).unwrap();
    let dep = Tx::Deposit(Deposit {
        to: 2,
        new_account: None,
        amount: 500,
    });
    let (_, w) = exec(&mut tree, &[dep], 2);
    let mut debited = sample_tree(6).unwrap();
    let mut a2 = *debited.get(2).unwrap();
    a2.balance -= x;
    debited.set(2, Some(a2)).unwrap();
    let operator_path = debited.proof(0).unwrap().siblings;
    assert_rule_named(&w, "deposit_amount_range", |w| {
        w.slots[0].deposit_amount = -Fr::from(x);
        // The operator's path under the debited tree, so that only the amount is wrong.
        w.operator_path = operator_path;
    });
}

/// Witness of one transfer `from → to` (fee 20, operator 0) over `tree` as it is, signed for
/// the leaf's nonce, without the native checks: for leaves that native execution refuses.
fn crafted_transfer(tree: &AccountTree, from: u32, to: u32, amount: u128) -> BatchWitness {
    let mut tree = tree.clone();
    let old_root = tree.root();
    let acc = |a: &echonet_rollup_primitives::Account| AccountWitness {
        pk: a.pubkey.0,
        balance: Fr::from(a.balance),
        nonce: Fr::from(a.nonce),
    };
    let sender = *tree.get(from).unwrap();
    let sender_path = tree.proof(from).unwrap().siblings;
    let mut after = sender;
    after.balance -= amount + 20;
    after.nonce += 1;
    tree.set(from, Some(after)).unwrap();
    let receiver = *tree.get(to).unwrap();
    let receiver_path = tree.proof(to).unwrap().siblings;
    let mut credited = receiver;
    credited.balance += amount;
    tree.set(to, Some(credited)).unwrap();
    let operator = *tree.get(0).unwrap();
    let operator_path = tree.proof(0).unwrap().siblings;
    let mut slot = SlotWitness::noop();
    slot.ty = tx_type::TRANSFER;
    slot.from = from;
    slot.to = to;
    slot.amount_code = amt(amount).code();
    slot.fee_code = fee().code();
    slot.sender = acc(&sender);
    slot.sender_path = sender_path;
    slot.receiver = acc(&receiver);
    slot.receiver_path = receiver_path;
    let mut w = BatchWitness {
        chain_id: Fr::from(CHAIN as u64),
        instance: Fr::from(INSTANCE),
        batch_number: Fr::from(1u64),
        old_root,
        operator: 0,
        operator_account: acc(&operator),
        operator_path,
        slots: vec![slot, SlotWitness::noop()],
        commitment: Fr::from(0u64),
    };
    resign_transfer(&mut w, CHAIN);
    aim(w)
}

#[test]
fn nonce_beyond_40_bits_is_rejected() {
    // Natively a nonce is below 2^40. A leaf with a larger nonce can only come from a
    // pre-populated genesis; the circuit must refuse to spend from it as well, or the nonce's
    // high bits would spill into the fields above it in the signed message.
    let mut tree = sample_tree(6).unwrap();
    let mut honest_tree = tree.clone();
    let mut a1 = *tree.get(1).unwrap();
    a1.nonce = (1 << 40) - 1;
    honest_tree.set(1, Some(a1)).unwrap();
    // The largest nonce passes, in native execution and in the circuit ...
    let (_, w) = exec(
        &mut honest_tree.clone(),
        &[transfer(1, 2, 1_000, (1 << 40) - 1)],
        2,
    );
    assert!(satisfied(&w));
    assert_eq!(crafted_transfer(&honest_tree, 1, 2, 1_000), w);
    // ... one more is refused natively ...
    a1.nonce = 1 << 40;
    tree.set(1, Some(a1)).unwrap();
    assert!(matches!(
        echonet_rollup_primitives::execute_batch(
            &mut tree.clone(),
            &header(1),
            &[transfer(1, 2, 1_000, 1 << 40)],
            2
        ),
        Err(echonet_rollup_primitives::BatchError::NonceExhausted { slot: 0 })
    ));
    // ... and by the circuit, with everything else consistent.
    let crafted = crafted_transfer(&tree, 1, 2, 1_000);
    let at = unsatisfied_at(&crafted).expect("a nonce of 2^40 must be refused");
    assert_fails_in(&at, "nonce_range");
}

#[test]
fn placeholder_signature_of_unsigned_slots_never_verifies_natively() {
    let m = Fr::from(1u64);
    assert!(sample_key(1)
        .public()
        .verify(&m, &Signature::empty())
        .is_err());
}

#[test]
fn constraint_counts_are_pinned() {
    // Changing any of these is a review item: see BENCHMARKS.md.
    let p1 = BatchCircuit::profile(1).unwrap();
    let p2 = BatchCircuit::profile(2).unwrap();
    assert_eq!(p1.per_slot, 30_166);
    assert_eq!(p2.per_slot, 30_166);
    assert_eq!(p1.total - p1.per_slot, p1.fixed);
    assert_eq!(p2.total, 73_436);
    assert_eq!(p2.fixed, 13_104);
}

/// Synthesizes `w`, then lets `tamper` overwrite witness variables as a malicious prover may
/// (the prover chooses every witness value, not only the ones `BatchWitness` names), and
/// returns the namespace path of the first unsatisfied constraint. The cached values of the
/// symbolic linear combinations are recomputed from the tampered witness, so every constraint
/// is checked against the tampered assignment.
fn tampered_unsatisfied_at(w: &BatchWitness, tamper: impl FnOnce(&mut [Fr])) -> Option<String> {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, Variable};
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};
    let _guard = tracing_subscriber::registry()
        .with(ConstraintLayer::default())
        .set_default();
    let cs = ConstraintSystem::<Fr>::new_ref();
    BatchCircuit::new(w.clone())
        .generate_constraints(cs.clone())
        .expect("synthesis");
    {
        let mut inner = cs.borrow_mut().expect("a constraint system");
        tamper(&mut inner.assignments.witness_assignment);
        // LCs only refer to variables and LCs created before them: one pass in index order.
        for i in 0..inner.assignments.lc_assignment.len() {
            let lc = inner.get_lc(Variable::symbolic_lc(i));
            let v: Fr =
                lc.0.iter()
                    .map(|(c, var)| *c * inner.assigned_value(*var).expect("assigned"))
                    .sum();
            inner.assignments.lc_assignment[i] = v;
        }
    }
    cs.which_is_unsatisfied().expect("assigned")
}

/// Little-endian bits of an integer, as field elements.
fn bits_le(x: &num_bigint::BigUint, n: usize) -> Vec<Fr> {
    (0..n as u64).map(|i| Fr::from(x.bit(i) as u64)).collect()
}

#[test]
fn non_canonical_challenge_decomposition_is_rejected() {
    use ark_ff::PrimeField;
    use num_bigint::BigUint;
    let p: BigUint = Fr::MODULUS.into();
    let n = Fr::MODULUS_BIT_SIZE as usize;
    // A transfer whose challenge c has a second 254-bit decomposition c + p (about a third
    // of challenges do): amounts are tried in turn.
    let (w, c) = (1_000u128..)
        .find_map(|amount| {
            let mut tree = sample_tree(6).unwrap();
            let tx = transfer(1, 2, amount, 0);
            let Tx::Transfer(t) = &tx else { unreachable!() };
            let m = transfer_message(CHAIN, INSTANCE, 1, 2, amt(amount), fee(), 0);
            let pk = sample_key(1).public().0;
            let c: BigUint = echonet_rollup_primitives::poseidon::poseidon(&[
                t.signature.r8.x,
                t.signature.r8.y,
                pk.x,
                pk.y,
                m,
            ])
            .into();
            ((&c + &p).bits() as usize <= n).then(|| (exec(&mut tree, &[tx], 2).1, c))
        })
        .unwrap();
    assert!(satisfied(&w));
    let canonical = bits_le(&c, n);
    let forged = bits_le(&(&c + &p), n);
    let locate = |a: &[Fr]| {
        let at: Vec<usize> = (0..=a.len() - n)
            .filter(|&i| a[i..i + n] == canonical[..])
            .collect();
        assert_eq!(at.len(), 1, "the challenge's bits are allocated once");
        at[0]
    };
    // The harness itself changes nothing when it rewrites the honest bits.
    assert_eq!(
        tampered_unsatisfied_at(&w, |a| {
            let i = locate(a);
            a[i..i + n].copy_from_slice(&canonical);
        }),
        None
    );
    // Σ 2^i·bᵢ = c + p ≡ c: the packing holds, only c < p can refuse it.
    let at = tampered_unsatisfied_at(&w, |a| {
        let i = locate(a);
        a[i..i + n].copy_from_slice(&forged);
    })
    .expect("a non-canonical challenge decomposition must be refused");
    assert_fails_in(&at, "below_modulus");
    assert_fails_in(&at, "challenge_bits");
}

#[test]
fn operator_balance_overflow_is_rejected() {
    // The operator (account 0) can take exactly the batch's fee of 20 ...
    let mut tree = sample_tree(6).unwrap();
    let mut op = *tree.get(0).unwrap();
    op.balance = u128::MAX - 20;
    tree.set(0, Some(op)).unwrap();
    let (_, honest) = exec(&mut tree.clone(), &[transfer(1, 2, 1_000, 0)], 2);
    assert!(satisfied(&honest));
    assert_eq!(crafted_transfer(&tree, 1, 2, 1_000), honest);
    // ... one unit more and native execution refuses the fee credit ...
    op.balance = u128::MAX - 19;
    tree.set(0, Some(op)).unwrap();
    assert!(matches!(
        echonet_rollup_primitives::execute_batch(
            &mut tree.clone(),
            &header(1),
            &[transfer(1, 2, 1_000, 0)],
            2
        ),
        Err(echonet_rollup_primitives::BatchError::OperatorOverflow)
    ));
    // ... and so does the circuit, with every path consistent: the credited balance is
    // 2^128, which only the range check catches (in the field it neither wraps nor differs).
    let crafted = crafted_transfer(&tree, 1, 2, 1_000);
    let at = unsatisfied_at(&crafted).expect("an operator balance of 2^128 must be refused");
    assert_fails_in(&at, "operator_balance_range");
}
