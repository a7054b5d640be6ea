//! Proof of stake on a running network (issue 6), each test on its own network of real
//! nodes running the `local` chain with Alice as sudo (`local_spec_with_sudo`: the `local`
//! preset itself has no sudo key since governance, issue 14):
//! - a fifth account (Eve) bonds and validates, becomes an Aura authority at the next era
//!   and authors blocks that every node finalizes; on the same network, an event submitted
//!   for validation is attested by its committee and its receipt is read over RPC;
//! - a validator made to equivocate (`--dev-equivocate aura`: two blocks per slot;
//!   `grandpa`: two prevotes per round) is reported by the others, slashed and removed
//!   from the validator set;
//! - candidates without session keys that out-stake every validator are skipped by the
//!   election, so the validator set stays one that can author and finalize blocks.
//!
//! Sessions are shortened with sudo (`SessionPeriod`, a storage parameter) to a few blocks,
//! so that an era (six sessions) passes in well under a minute.

use codec::Encode;
use echonet_runtime::{
    configs::SessionPeriod,
    genesis_config_presets::{witness_params, VALIDATOR_BOND},
    storage_keys, AccountId, Balance, Runtime, RuntimeCall, RuntimeEvent, SessionKeys,
};
use echonet_tests::{
    chain::EventRecord,
    rpc::{self, submit_call, sudo, value},
    testnet::{assert_one_finalized_chain, finalized, slot_of, Testnet},
    wait_until, BLOCK_TIMEOUT,
};
use jsonrpsee::http_client::HttpClient;
use pallet_witness::{EventClass, Receipt, Verdict};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use std::time::{Duration, Instant};

/// Blocks per session in these tests: an era (six sessions) is 18 blocks, 36 s.
const SESSION_BLOCKS: u32 = 3;

/// Waits until the best block's state has a value at `key`.
async fn wait_for_key(c: &HttpClient, what: &str, key: &[u8]) {
    wait_until(what, Duration::from_secs(60), || async {
        rpc::storage(c, key, None).await.map(|_| ())
    })
    .await
}

/// Sessions of [`SESSION_BLOCKS`] blocks from now on.
async fn shorten_sessions(c: &HttpClient) {
    sudo(
        c,
        RuntimeCall::System(frame_system::Call::set_storage {
            items: vec![(SessionPeriod::key().to_vec(), SESSION_BLOCKS.encode())],
        }),
    )
    .await;
    wait_until(
        "the shorter session period",
        Duration::from_secs(60),
        || async {
            (value::<u32>(c, &SessionPeriod::key()).await == Some(SESSION_BLOCKS)).then_some(())
        },
    )
    .await;
}

/// The Aura authorities at the best block.
async fn aura_authorities(c: &HttpClient) -> Vec<AuraId> {
    value(c, &pallet_aura::Authorities::<Runtime>::hashed_key())
        .await
        .unwrap_or_default()
}

/// The session validators at the best block.
async fn session_validators(c: &HttpClient) -> Vec<AccountId> {
    value(c, &pallet_session::Validators::<Runtime>::hashed_key())
        .await
        .unwrap_or_default()
}

/// `who`'s session keys from its dev seed (`//Eve` for Eve: the keys `--eve` puts in her
/// node's keystore), with their proof of possession for `Session::set_keys`.
fn session_keys(who: Sr25519Keyring) -> (SessionKeys, Vec<u8>) {
    let mut ext = sp_io::TestExternalities::default();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext.execute_with(|| {
        let generated = SessionKeys::generate(
            &who.to_account_id().encode(),
            Some(who.to_seed().into_bytes()),
        );
        (generated.keys, generated.proof.encode())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_validator_joins_by_stake_and_a_committee_validates_an_event() {
    let mut net = Testnet::local_validators_with_sudo()
        .validator("eve")
        .start()
        .await;
    let alice = net.nodes[0].http();
    let eve_node = net.nodes[4].http();
    shorten_sessions(&alice).await;

    // Eve: session keys, a bond twice a genesis validator's, and the intention to validate.
    let eve = Sr25519Keyring::Eve;
    let (keys, proof) = session_keys(eve);
    assert_eq!(keys.aura, eve.public().into());
    submit_call(
        &eve_node,
        eve,
        RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof }),
    )
    .await;
    wait_for_key(
        &alice,
        "Eve's session keys",
        &pallet_session::NextKeys::<Runtime>::hashed_key_for(eve.to_account_id()),
    )
    .await;
    submit_call(
        &eve_node,
        eve,
        RuntimeCall::Witness(pallet_witness::Call::bond {
            value: 2 * VALIDATOR_BOND,
        }),
    )
    .await;
    wait_for_key(
        &alice,
        "Eve's bond",
        &pallet_witness::Ledger::<Runtime>::hashed_key_for(eve.to_account_id()),
    )
    .await;
    submit_call(
        &eve_node,
        eve,
        RuntimeCall::Witness(pallet_witness::Call::validate {
            commission: sp_runtime::Perbill::from_percent(5),
        }),
    )
    .await;

    // Meanwhile this epoch's storage-proof committee validates an event.
    let class = EventClass::StorageProof;
    let committee: pallet_witness::CommitteeOf<Runtime> = wait_until(
        "the storage-proof committee is drawn",
        BLOCK_TIMEOUT,
        || async {
            let epoch: u64 = value(
                &alice,
                &pallet_randomness::EpochIndex::<Runtime>::hashed_key(),
            )
            .await
            .unwrap_or_default();
            value(
                &alice,
                &pallet_witness::Committees::<Runtime>::hashed_key_for(epoch, class),
            )
            .await
        },
    )
    .await;
    assert_eq!(
        committee.members.len(),
        3,
        "local committees have three seats"
    );
    let payload = H256::repeat_byte(0x5e);
    submit_call(
        &alice,
        Sr25519Keyring::Ferdie,
        RuntimeCall::Witness(pallet_witness::Call::submit_event {
            class,
            payload_hash: payload,
        }),
    )
    .await;
    let id = pallet_witness::event_id(class, &payload);
    wait_for_key(
        &alice,
        "the submitted event",
        &pallet_witness::PendingEvents::<Runtime>::hashed_key_for(id),
    )
    .await;
    // Two of the three members (the quorum) attest, each through another node.
    for (i, member) in committee.members.iter().take(2).enumerate() {
        let key = Sr25519Keyring::iter()
            .find(|k| &k.to_account_id() == member)
            .expect("local committee members are dev validators");
        submit_call(
            &net.nodes[i + 1].http(),
            key,
            RuntimeCall::Witness(pallet_witness::Call::attest {
                verdicts: vec![(id, Verdict::Valid)]
                    .try_into()
                    .expect("one verdict fits"),
            }),
        )
        .await;
    }
    let receipt_key = storage_keys::witness_receipt(class, &payload);
    let receipt: Receipt<u32> =
        wait_until("the receipt is stored", Duration::from_secs(60), || async {
            value(&eve_node, &receipt_key).await
        })
        .await;
    assert_eq!(receipt.verdict, Verdict::Valid);
    assert_eq!(receipt.agreeing, 2);

    // Eve becomes an authority at the next era: Aura's and the session's.
    let eve_aura: AuraId = eve.public().into();
    let authorities = wait_until(
        "Eve is an Aura authority",
        Duration::from_secs(150),
        || async {
            let a = aura_authorities(&alice).await;
            a.contains(&eve_aura).then_some(a)
        },
    )
    .await;
    assert_eq!(authorities.len(), 5);
    assert!(session_validators(&alice)
        .await
        .contains(&eve.to_account_id()));

    // And authors a block that all five nodes finalize.
    let eve_block = wait_until(
        "a block authored by Eve",
        Duration::from_secs(60),
        || async {
            let best = rpc::best_header(&alice).await;
            let authorities = aura_authorities(&alice).await;
            let owner = &authorities[(slot_of(&best) % authorities.len() as u64) as usize];
            (owner == &eve_aura).then_some(best)
        },
    )
    .await;
    let number = eve_block.number;
    net.wait_all(
        "Eve's block is finalized everywhere",
        Duration::from_secs(60),
        |_, c| async move {
            let (f, _) = finalized(&c).await;
            (f >= number)
                .then_some(())
                .ok_or(format!("finalized #{f}, not #{number}"))
        },
    )
    .await;
    assert_eq!(
        rpc::block_hash(&eve_node, number).await,
        Some(eve_block.hash())
    );
    assert_one_finalized_chain(&net.running()).await;
}

/// The `Witness` events of block `at`.
async fn witness_events(c: &HttpClient, at: H256) -> Vec<pallet_witness::Event<Runtime>> {
    rpc::events(c, at)
        .await
        .into_iter()
        .filter_map(|EventRecord { event, .. }| match event {
            RuntimeEvent::Witness(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Sets the genesis preset's witness parameters with `change` applied, through sudo, and
/// waits until they are in force.
async fn set_witness_params(
    c: &HttpClient,
    change: impl FnOnce(&mut pallet_witness::ParamsOf<Runtime>),
) {
    let mut params = witness_params(3, 2);
    change(&mut params);
    sudo(
        c,
        RuntimeCall::Witness(pallet_witness::Call::set_params {
            params: params.clone(),
        }),
    )
    .await;
    wait_until("the new parameters", Duration::from_secs(60), || async {
        let now: Option<pallet_witness::ParamsOf<Runtime>> =
            value(c, &pallet_witness::ActiveParams::<Runtime>::hashed_key()).await;
        (now.as_ref() == Some(&params)).then_some(())
    })
    .await;
}

/// Follows new blocks on the first node and hands each `Witness` event, with its block,
/// to `seen` until it returns true, failing after `limit` with `what`.
async fn watch_witness_events(
    net: &Testnet,
    what: &str,
    limit: Duration,
    mut seen: impl FnMut(H256, &pallet_witness::Event<Runtime>) -> bool,
) {
    let c = net.nodes[0].http();
    let ws = net.nodes[0].ws().await;
    let mut heads = rpc::subscribe_new_heads(&ws).await;
    let deadline = Instant::now() + limit;
    loop {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        let head = rpc::next(&mut heads, BLOCK_TIMEOUT, "a new block").await;
        let hash = head.hash();
        for e in witness_events(&c, hash).await {
            if seen(hash, &e) {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_validator_is_reported_slashed_and_removed() {
    equivocator_is_reported_slashed_and_removed(
        "aura",
        pallet_witness::OffenceKind::AuraEquivocation,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_voting_validator_is_reported_slashed_and_removed() {
    equivocator_is_reported_slashed_and_removed(
        "grandpa",
        pallet_witness::OffenceKind::GrandpaEquivocation,
    )
    .await;
}

/// Dave restarts with `--dev-equivocate <how>`; the others report him on-chain (an
/// offence of `kind`), he is slashed at the next era and removed from the set.
async fn equivocator_is_reported_slashed_and_removed(
    how: &str,
    kind_expected: pallet_witness::OffenceKind,
) {
    let mut net = Testnet::local_validators_with_sudo().start().await;
    let alice = net.nodes[0].http();
    shorten_sessions(&alice).await;
    // Slashes apply at the next era instead of 26 eras later.
    set_witness_params(&alice, |p| p.slash_defer_eras = 0).await;

    let dave = Sr25519Keyring::Dave.to_account_id();
    let ledger_key = pallet_witness::Ledger::<Runtime>::hashed_key_for(&dave);
    let active = |c: HttpClient| {
        let key = ledger_key.clone();
        async move {
            value::<pallet_witness::LedgerOf<Runtime>>(&c, &key)
                .await
                .expect("Dave stays bonded")
                .active
        }
    };
    assert_eq!(active(alice.clone()).await, VALIDATOR_BOND);

    // Dave restarts as an equivocator.
    net.nodes[3].stop().await;
    net.restart_with(3, ["--dev-equivocate", how]).await;

    // Reported: a block's events say that the slash is deferred and Dave is disabled.
    let (mut disabled, mut deferred) = (false, false);
    watch_witness_events(
        &net,
        "an on-chain report of Dave's equivocation",
        Duration::from_secs(120),
        |_, e| {
            match e {
                pallet_witness::Event::ValidatorDisabled { who } if *who == dave => disabled = true,
                pallet_witness::Event::SlashDeferred {
                    validator, kind, ..
                } if *validator == dave => {
                    assert_eq!(*kind, kind_expected);
                    deferred = true;
                }
                _ => {}
            }
            disabled && deferred
        },
    )
    .await;

    // Slashed (10 % of his exposure, all his own bond here) at the next era, and no longer
    // a validator at the era after his chill at the latest.
    wait_until("Dave is slashed", Duration::from_secs(150), || async {
        (active(alice.clone()).await < VALIDATOR_BOND).then_some(())
    })
    .await;
    assert_eq!(
        active(alice.clone()).await,
        VALIDATOR_BOND - VALIDATOR_BOND / 10
    );
    let dave_aura: AuraId = Sr25519Keyring::Dave.public().into();
    wait_until(
        "Dave is no longer an authority",
        Duration::from_secs(150),
        || async {
            let authorities = aura_authorities(&alice).await;
            (!authorities.is_empty() && !authorities.contains(&dave_aura)).then_some(())
        },
    )
    .await;
    assert!(!session_validators(&alice).await.contains(&dave));

    // The three honest validators keep finalizing, all on one chain.
    let (before, _) = finalized(&alice).await;
    net.wait_all(
        "finality continues without Dave",
        Duration::from_secs(60),
        |_, c| async move {
            let (f, _) = finalized(&c).await;
            (f > before).then_some(()).ok_or(format!("finalized #{f}"))
        },
    )
    .await;
    assert_one_finalized_chain(&net.running()).await;
}

/// Issue 20, item 1, end to end: right after an era E that elects Dave (backed by Ferdie)
/// is elected, both chill and unbond everything; Dave then equivocates in E. The
/// unlocking funds stay on hold until the slash, which takes 10% of each one's exposure
/// from them, and `withdraw_unbonded` tried at every era start meanwhile releases nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offender_that_unbonds_right_after_its_election_is_still_slashed() {
    const UNBONDING_ERAS: u32 = 3;
    let mut net = Testnet::local_validators_with_sudo().start().await;
    let alice = net.nodes[0].http();
    shorten_sessions(&alice).await;
    set_witness_params(&alice, |p| {
        p.unbonding_eras = UNBONDING_ERAS;
        p.slash_defer_eras = 1;
    })
    .await;
    let (dave_key, ferdie_key) = (Sr25519Keyring::Dave, Sr25519Keyring::Ferdie);
    let (dave, ferdie) = (dave_key.to_account_id(), ferdie_key.to_account_id());
    let nomination = 1_000 * echonet_runtime::UNITS;
    submit_call(
        &alice,
        ferdie_key,
        RuntimeCall::Witness(pallet_witness::Call::bond { value: nomination }),
    )
    .await;
    wait_for_key(
        &alice,
        "Ferdie's bond",
        &pallet_witness::Ledger::<Runtime>::hashed_key_for(&ferdie),
    )
    .await;
    submit_call(
        &alice,
        ferdie_key,
        RuntimeCall::Witness(pallet_witness::Call::nominate {
            targets: vec![dave.clone()].try_into().expect("one target"),
        }),
    )
    .await;
    wait_for_key(
        &alice,
        "Ferdie's nomination",
        &pallet_witness::Nominators::<Runtime>::hashed_key_for(&ferdie),
    )
    .await;

    // The next election (era E) counts Ferdie behind Dave. As soon as it is seen, both
    // leave and unbond everything, while era E - 1 is still active.
    let mut elected = None;
    watch_witness_events(
        &net,
        "the next election",
        Duration::from_secs(60),
        |_, e| {
            if let pallet_witness::Event::EraElected { era, .. } = e {
                elected = Some(*era);
            }
            elected.is_some()
        },
    )
    .await;
    let era = elected.expect("an era was elected");
    let exposure: pallet_witness::ExposureOf<Runtime> = value(
        &alice,
        &pallet_witness::ErasStakers::<Runtime>::hashed_key_for(era, &dave),
    )
    .await
    .expect("Dave is elected for era E");
    assert_eq!(exposure.own, VALIDATOR_BOND);
    assert_eq!(exposure.others.len(), 1);
    assert_eq!(exposure.others[0].value, nomination);
    let leave = |who: Sr25519Keyring, extra: Vec<RuntimeCall>| {
        let c = alice.clone();
        async move {
            for call in [RuntimeCall::Witness(pallet_witness::Call::chill {})]
                .into_iter()
                .chain(extra)
                .chain([RuntimeCall::Witness(pallet_witness::Call::unbond {
                    value: u128::MAX,
                })])
            {
                submit_call(&c, who, call).await;
            }
        }
    };
    tokio::join!(
        leave(
            dave_key,
            vec![RuntimeCall::Witness(
                pallet_witness::Call::deregister_witness {}
            )]
        ),
        leave(ferdie_key, vec![]),
    );
    // Both unlock UNBONDING_ERAS after the elected era E, not after E - 1.
    let mut unbonded = Vec::new();
    watch_witness_events(&net, "both unbond", Duration::from_secs(60), |_, e| {
        if let pallet_witness::Event::Unbonded {
            who, era: unlock, ..
        } = e
        {
            unbonded.push((who.clone(), *unlock));
        }
        unbonded.len() == 2
    })
    .await;
    for (who, unlock) in &unbonded {
        assert!(who == &dave || who == &ferdie);
        assert_eq!(
            *unlock,
            era + UNBONDING_ERAS,
            "unlock dated from the elected era"
        );
    }

    // Dave equivocates in era E (he validates it whatever he does now): once it is active.
    wait_until("era E is active", Duration::from_secs(60), || async {
        let active: Option<pallet_witness::ActiveEraInfo<u32>> =
            value(&alice, &pallet_witness::ActiveEra::<Runtime>::hashed_key()).await;
        active.filter(|a| a.index == era).map(|_| ())
    })
    .await;
    net.nodes[3].stop().await;
    net.restart_with(3, ["--dev-equivocate", "aura"]).await;
    let mut apply_era = None;
    watch_witness_events(
        &net,
        "Dave's slash is deferred",
        Duration::from_secs(90),
        |_, e| {
            if let pallet_witness::Event::SlashDeferred {
                validator,
                offence_era,
                apply_era: at,
                ..
            } = e
            {
                if *validator == dave {
                    assert_eq!(*offence_era, era, "charged to the era of the offence");
                    apply_era = Some(*at);
                }
            }
            apply_era.is_some()
        },
    )
    .await;
    let apply_era = apply_era.expect("deferred");
    assert!(
        apply_era < era + UNBONDING_ERAS,
        "the slash lands before the unlock"
    );

    // Until it lands, they try to withdraw at every block; the slash then finds their
    // unlocking funds and takes 10% of each exposure.
    let mut slashed = Vec::new();
    let (alice_ref, slashed_ref) = (&alice, &mut slashed);
    let ledger = |who: AccountId| async move {
        value::<pallet_witness::LedgerOf<Runtime>>(
            alice_ref,
            &pallet_witness::Ledger::<Runtime>::hashed_key_for(&who),
        )
        .await
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let ws = net.nodes[0].ws().await;
    let mut heads = rpc::subscribe_new_heads(&ws).await;
    while slashed_ref.len() < 2 {
        assert!(Instant::now() < deadline, "no slash within 120 s");
        let head = rpc::next(&mut heads, BLOCK_TIMEOUT, "a new block").await;
        let mut era_started = false;
        for e in witness_events(alice_ref, head.hash()).await {
            match e {
                pallet_witness::Event::Slashed { who, amount } => slashed_ref.push((who, amount)),
                pallet_witness::Event::Withdrawn { who, .. } => {
                    panic!("{who:?} withdrew before the slash")
                }
                pallet_witness::Event::EraStarted { .. } => era_started = true,
                _ => {}
            }
        }
        // At each era start (when chunks unlock and slashes fall due) both try to withdraw.
        if era_started {
            for key in [dave_key, ferdie_key] {
                submit_call(
                    alice_ref,
                    key,
                    RuntimeCall::Witness(pallet_witness::Call::withdraw_unbonded {}),
                )
                .await;
            }
        }
    }
    slashed.sort();
    let mut expected = vec![
        (dave.clone(), VALIDATOR_BOND / 10),
        (ferdie.clone(), nomination / 10),
    ];
    expected.sort();
    assert_eq!(slashed, expected);
    for (who, bond) in [(dave, VALIDATOR_BOND), (ferdie, nomination)] {
        let l = ledger(who).await.expect("still bonded after the slash");
        assert_eq!(l.total, bond - bond / 10);
        assert_eq!(l.active, 0);
    }
}

/// Makes `who` a validator candidate with `bond` and no session keys: it sets keys (which
/// `validate` requires), bonds, validates, then purges its keys with `Session::purge_keys`.
async fn keyless_candidate(c: &HttpClient, who: Sr25519Keyring, bond: Balance) {
    let id = who.to_account_id();
    let keys_key = pallet_session::NextKeys::<Runtime>::hashed_key_for(&id);
    let (keys, proof) = session_keys(who);
    submit_call(
        c,
        who,
        RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof }),
    )
    .await;
    wait_for_key(c, "the candidate's session keys", &keys_key).await;
    submit_call(
        c,
        who,
        RuntimeCall::Witness(pallet_witness::Call::bond { value: bond }),
    )
    .await;
    wait_for_key(
        c,
        "the candidate's bond",
        &pallet_witness::Ledger::<Runtime>::hashed_key_for(&id),
    )
    .await;
    submit_call(
        c,
        who,
        RuntimeCall::Witness(pallet_witness::Call::validate {
            commission: sp_runtime::Perbill::zero(),
        }),
    )
    .await;
    wait_for_key(
        c,
        "the candidate's intention to validate",
        &pallet_witness::Validators::<Runtime>::hashed_key_for(&id),
    )
    .await;
    submit_call(
        c,
        who,
        RuntimeCall::Session(pallet_session::Call::purge_keys {}),
    )
    .await;
    wait_until(
        "the candidate's keys are purged",
        Duration::from_secs(60),
        || async {
            rpc::storage(c, &keys_key, None)
                .await
                .is_none()
                .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn top_staked_keyless_candidates_are_skipped_and_the_chain_goes_on() {
    let mut net = Testnet::local_validators_with_sudo().start().await;
    let alice = net.nodes[0].http();
    shorten_sessions(&alice).await;
    // Two seats, and two candidates without keys that out-stake every genesis validator:
    // the whole top set by stake is keyless. pallet-session drops validators without keys
    // from the set it hands to Aura and GRANDPA, so electing them would leave that empty.
    set_witness_params(&alice, |p| p.validator_count = 2).await;
    let (eve, ferdie) = (Sr25519Keyring::Eve, Sr25519Keyring::Ferdie);
    tokio::join!(
        keyless_candidate(&alice, eve, 3 * VALIDATOR_BOND),
        keyless_candidate(&alice, ferdie, 2 * VALIDATOR_BOND),
    );

    // The next era is elected after they became keyless candidates.
    let era = value::<pallet_witness::EraIndex>(
        &alice,
        &pallet_witness::CurrentEra::<Runtime>::hashed_key(),
    )
    .await
    .unwrap_or_default()
        + 1;
    let started: pallet_witness::ActiveEraInfo<u32> = wait_until(
        &format!("era {era} is active"),
        Duration::from_secs(120),
        || async {
            value::<pallet_witness::ActiveEraInfo<u32>>(
                &alice,
                &pallet_witness::ActiveEra::<Runtime>::hashed_key(),
            )
            .await
            .filter(|a| a.index >= era)
        },
    )
    .await;
    assert_eq!(started.index, era, "one era at a time");

    // The chain goes on: every node finalizes two sessions into the era.
    let target = started.start_block + 2 * SESSION_BLOCKS;
    net.wait_all(
        "blocks are finalized in the era after the keyless candidates joined",
        Duration::from_secs(60),
        |_, c| async move {
            let (f, _) = finalized(&c).await;
            (f >= target)
                .then_some(())
                .ok_or(format!("finalized #{f}, not #{target}"))
        },
    )
    .await;

    // With two validators that have keys: the session's set is the elected one, and Aura's
    // and GRANDPA's authorities are their keys. (Electing the keyless ones left the
    // session's set and the runtime's GRANDPA authorities empty; Aura and the nodes'
    // GRANDPA ignore a change to an empty set and went on with the old authorities.)
    let validators = session_validators(&alice).await;
    let grandpa_key = [
        sp_io::hashing::twox_128(b"Grandpa"),
        sp_io::hashing::twox_128(b"Authorities"),
    ]
    .concat();
    let grandpa: Vec<([u8; 32], u64)> = value(&alice, &grandpa_key).await.unwrap_or_default();
    assert_eq!(
        (validators.len(), grandpa.len()),
        (2, 2),
        "session validators {validators:?}, GRANDPA authorities {grandpa:?}, Aura \
         authorities {:?}",
        aura_authorities(&alice).await
    );
    let elected: Vec<AccountId> = value(
        &alice,
        &pallet_witness::ErasValidators::<Runtime>::hashed_key_for(era),
    )
    .await
    .unwrap_or_default();
    assert_eq!(validators, elected);
    assert!(
        !validators.contains(&eve.to_account_id()) && !validators.contains(&ferdie.to_account_id())
    );
    let expected_aura: Vec<AuraId> = validators
        .iter()
        .map(|v| {
            Sr25519Keyring::iter()
                .find(|k| &k.to_account_id() == v)
                .expect("local validators are dev accounts")
                .public()
                .into()
        })
        .collect();
    assert_eq!(aura_authorities(&alice).await, expected_aura);
    assert_one_finalized_chain(&net.running()).await;
}
