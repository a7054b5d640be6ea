//! Governance (issue 14): which origin may call what, the tracks and their genesis
//! periods, and referenda run to the end in externalities (one enacted, one rejected).

use crate::staking::ext;
use codec::Encode;
use echonet_runtime::{
    genesis_config_presets::witness_params,
    governance::{
        origins::{Origin, Periods},
        tracks::{self, ids},
        ProxyType,
    },
    AccountId, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall, RuntimeOrigin, Scheduler,
    System, UNITS,
};
use frame_support::{
    assert_noop, assert_ok,
    traits::{Bounded, Hooks, InstanceFilter, UnfilteredDispatchable},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_referenda::{ReferendumInfo, TracksInfo as _};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{traits::Hash as _, DispatchError};

fn account(k: Sr25519Keyring) -> AccountId {
    k.to_account_id()
}

fn parameters() -> RuntimeOrigin {
    Origin::Parameters.into()
}

fn rollup_admin() -> RuntimeOrigin {
    Origin::RollupAdmin.into()
}

fn committee_size() -> u32 {
    pallet_witness::ActiveParams::<Runtime>::get()
        .expect("the preset sets witness parameters")
        .committee_size
}

fn set_committee(size: u32, quorum: u32) -> RuntimeCall {
    RuntimeCall::Witness(pallet_witness::Call::set_params {
        params: witness_params(size, quorum),
    })
}

fn dispatch(call: RuntimeCall, origin: RuntimeOrigin) -> Result<(), DispatchError> {
    call.dispatch_bypass_filter(origin)
        .map(|_| ())
        .map_err(|e| e.error)
}

#[test]
fn the_parameters_origin_sets_witness_and_reputation_params() {
    ext("local_testnet").execute_with(|| {
        assert_eq!(committee_size(), 3);
        assert_ok!(dispatch(set_committee(4, 3), parameters()));
        assert_eq!(committee_size(), 4);
        assert_ok!(dispatch(
            RuntimeCall::Reputation(pallet_reputation::Call::set_half_life { half_life: 1_000 }),
            parameters()
        ));
        // Root (the root track, sudo on dev) still may.
        assert_ok!(dispatch(set_committee(3, 2), RuntimeOrigin::root()));
        assert_eq!(committee_size(), 3);
        // A signed account may not.
        assert_noop!(
            dispatch(
                set_committee(4, 3),
                RuntimeOrigin::signed(account(Sr25519Keyring::Alice))
            ),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn the_parameters_origin_is_refused_root_and_other_tracks_calls() {
    ext("local_testnet").execute_with(|| {
        let root_only = [
            RuntimeCall::System(frame_system::Call::set_storage {
                items: vec![(b"key".to_vec(), b"value".to_vec())],
            }),
            RuntimeCall::Scheduler(pallet_scheduler::Call::schedule {
                when: 10,
                maybe_periodic: None,
                priority: 0,
                call: Box::new(set_committee(4, 3)),
            }),
            RuntimeCall::Referenda(pallet_referenda::Call::kill { index: 0 }),
            RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
                who: account(Sr25519Keyring::Bob).into(),
                new_free: UNITS,
            }),
        ];
        for call in root_only {
            assert_noop!(
                dispatch(call.clone(), parameters()),
                DispatchError::BadOrigin
            );
            assert_noop!(dispatch(call, rollup_admin()), DispatchError::BadOrigin);
        }
        // The rollup_admin track's calls.
        assert_noop!(
            dispatch(
                RuntimeCall::Bridge(pallet_bridge::Call::set_batch_size { batch_size: 8 }),
                parameters()
            ),
            DispatchError::BadOrigin
        );
        assert_noop!(
            dispatch(
                RuntimeCall::Bridge(pallet_bridge::Call::add_operator {
                    who: account(Sr25519Keyring::Bob)
                }),
                parameters()
            ),
            DispatchError::BadOrigin
        );
        // The treasurer origin is refused both tracks' calls.
        assert_noop!(
            dispatch(set_committee(4, 3), Origin::Treasurer.into()),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn the_rollup_admin_origin_administers_the_bridge_only() {
    ext("local_testnet").execute_with(|| {
        let mut params = echonet_runtime::genesis_config_presets::bridge_params();
        params.min_deposit = 2 * UNITS;
        assert_ok!(dispatch(
            RuntimeCall::Bridge(pallet_bridge::Call::set_params {
                params: params.clone()
            }),
            rollup_admin()
        ));
        assert_ok!(dispatch(
            RuntimeCall::Bridge(pallet_bridge::Call::add_operator {
                who: account(Sr25519Keyring::Bob)
            }),
            rollup_admin()
        ));
        assert_eq!(pallet_bridge::ActiveParams::<Runtime>::get(), params);
        assert_noop!(
            dispatch(set_committee(4, 3), rollup_admin()),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn tracks_are_named_and_map_their_origins() {
    ext("local_testnet").execute_with(|| {
        let names: Vec<(u16, String)> = tracks::TracksInfo::tracks()
            .map(|t| {
                let name = t.info.name.iter().take_while(|b| **b != 0).copied();
                (t.id, String::from_utf8(name.collect()).unwrap())
            })
            .collect();
        assert_eq!(
            names,
            vec![
                (0, "root".to_string()),
                (1, "parameters".to_string()),
                (2, "treasurer".to_string()),
                (3, "rollup_admin".to_string()),
            ]
        );
        assert_ok!(tracks::TracksInfo::check_integrity());
        let track_for = tracks::TracksInfo::track_for;
        assert_eq!(
            track_for(&OriginCaller::system(frame_system::RawOrigin::Root)),
            Ok(ids::ROOT)
        );
        assert_eq!(
            track_for(&OriginCaller::Origins(Origin::Parameters)),
            Ok(ids::PARAMETERS)
        );
        assert_eq!(
            track_for(&OriginCaller::Origins(Origin::Treasurer)),
            Ok(ids::TREASURER)
        );
        assert_eq!(
            track_for(&OriginCaller::Origins(Origin::RollupAdmin)),
            Ok(ids::ROLLUP_ADMIN)
        );
        let signed = OriginCaller::system(frame_system::RawOrigin::Signed(account(
            Sr25519Keyring::Alice,
        )));
        assert_eq!(track_for(&signed), Err(()));
    });
}

#[test]
fn periods_and_sudo_come_from_the_preset() {
    for (preset, periods, sudo) in [
        (
            "development",
            tracks::test_periods(),
            Some(account(Sr25519Keyring::Alice)),
        ),
        ("local_testnet", tracks::test_periods(), None),
        ("production", tracks::production_periods(), None),
    ] {
        // The production template has no validators: build only the pallets asked about.
        if preset == "production" {
            let patch: serde_json::Value = serde_json::from_slice(
                &echonet_runtime::genesis_config_presets::get_preset(&preset.into()).unwrap(),
            )
            .unwrap();
            assert_eq!(patch["sudo"]["key"], serde_json::Value::Null);
            let got: echonet_runtime::governance::origins::GovernancePeriods =
                serde_json::from_value(patch["origins"]["periods"].clone()).unwrap();
            assert_eq!(got, periods);
            continue;
        }
        ext(preset).execute_with(|| {
            assert_eq!(Periods::<Runtime>::get(), periods, "{preset}");
            assert_eq!(pallet_sudo::Key::<Runtime>::get(), sudo, "{preset}");
            let parameters = tracks::TracksInfo::info(ids::PARAMETERS).unwrap();
            assert_eq!(parameters.prepare_period, periods.parameters.prepare);
            assert_eq!(parameters.confirm_period, periods.parameters.confirm);
        });
    }
    // A chain spec without an `origins` entry gets the production periods.
    assert_eq!(
        echonet_runtime::governance::origins::GovernancePeriods::default(),
        tracks::production_periods()
    );
    let production = tracks::production_periods();
    assert_eq!(production.parameters.decision, 14 * echonet_runtime::DAYS);
    assert_eq!(production.root.min_enactment, echonet_runtime::DAYS);
}

#[test]
fn proxy_types_filter_calls() {
    let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
        dest: account(Sr25519Keyring::Bob).into(),
        value: UNITS,
    });
    let vote = RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
        poll_index: 0,
        vote: AccountVote::Standard {
            vote: Vote {
                aye: true,
                conviction: Conviction::None,
            },
            balance: UNITS,
        },
    });
    let chill = RuntimeCall::Witness(pallet_witness::Call::chill {});
    assert!(ProxyType::Any.filter(&transfer));
    assert!(!ProxyType::NonTransfer.filter(&transfer));
    assert!(ProxyType::NonTransfer.filter(&vote));
    assert!(ProxyType::Governance.filter(&vote));
    assert!(!ProxyType::Governance.filter(&chill));
    assert!(ProxyType::Staking.filter(&chill));
    assert!(!ProxyType::Staking.filter(&transfer));
    assert!(ProxyType::Any.is_superset(&ProxyType::NonTransfer));
    assert!(ProxyType::NonTransfer.is_superset(&ProxyType::Governance));
    assert!(!ProxyType::Governance.is_superset(&ProxyType::NonTransfer));
}

/// Runs the blocks up to `n`, with the scheduler's `on_initialize` (which services
/// referenda alarms and enacts approved proposals).
fn run_to(n: u32) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Scheduler::on_initialize(next);
    }
}

const VOTERS: [Sr25519Keyring; 5] = [
    Sr25519Keyring::Alice,
    Sr25519Keyring::Bob,
    Sr25519Keyring::Charlie,
    Sr25519Keyring::Dave,
    Sr25519Keyring::Eve,
];

/// Submits `call` on the parameters track as a preimage, places the decision deposit and
/// has the five [`VOTERS`] vote `aye` (or nay) with 9 million ECHO each, 3x conviction.
fn open_parameters_referendum(call: RuntimeCall, aye: bool) -> u32 {
    let alice = RuntimeOrigin::signed(account(Sr25519Keyring::Alice));
    let encoded = call.encode();
    assert_ok!(Preimage::note_preimage(alice.clone(), encoded.clone()));
    let proposal = Bounded::Lookup {
        hash: <Runtime as frame_system::Config>::Hashing::hash(&encoded),
        len: encoded.len() as u32,
    };
    let index = pallet_referenda::ReferendumCount::<Runtime>::get();
    assert_ok!(Referenda::submit(
        alice.clone(),
        Box::new(OriginCaller::Origins(Origin::Parameters)),
        proposal,
        frame_support::traits::schedule::DispatchTime::After(0),
    ));
    assert_ok!(Referenda::place_decision_deposit(alice, index));
    for voter in VOTERS {
        assert_ok!(pallet_conviction_voting::Pallet::<Runtime>::vote(
            RuntimeOrigin::signed(account(voter)),
            index,
            AccountVote::Standard {
                vote: Vote {
                    aye,
                    conviction: Conviction::Locked3x,
                },
                balance: 9_000_000 * UNITS,
            },
        ));
    }
    index
}

#[test]
fn an_approved_parameters_referendum_changes_the_committee_size_within_a_minute() {
    ext("local_testnet").execute_with(|| {
        let start = System::block_number();
        let index = open_parameters_referendum(set_committee(4, 3), true);
        let periods = tracks::test_periods().parameters;
        // Prepare, then confirm, then enactment: nothing happens before.
        run_to(start + periods.prepare + periods.confirm);
        assert_eq!(committee_size(), 3);
        assert!(matches!(
            pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
            Some(ReferendumInfo::Ongoing(_)) | Some(ReferendumInfo::Approved(..))
        ));
        // About a minute (30 blocks of 2 s) from submission to enactment.
        run_to(start + 30);
        assert!(matches!(
            pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
            Some(ReferendumInfo::Approved(..))
        ));
        assert_eq!(committee_size(), 4);
    });
}

#[test]
fn a_rejected_referendum_leaves_the_committee_size_unchanged() {
    ext("local_testnet").execute_with(|| {
        let start = System::block_number();
        let index = open_parameters_referendum(set_committee(4, 3), false);
        let periods = tracks::test_periods().parameters;
        run_to(start + periods.prepare + periods.decision + periods.min_enactment + 5);
        assert!(matches!(
            pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
            Some(ReferendumInfo::Rejected(..))
        ));
        assert_eq!(committee_size(), 3);
    });
}

fn free(k: Sr25519Keyring) -> echonet_runtime::Balance {
    pallet_balances::Pallet::<Runtime>::free_balance(account(k))
}

fn transfer_to(dest: AccountId, value: echonet_runtime::Balance) -> RuntimeCall {
    RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
        dest: dest.into(),
        value,
    })
}

fn signed(k: Sr25519Keyring) -> RuntimeOrigin {
    RuntimeOrigin::signed(account(k))
}

#[test]
fn batch_all_of_transfers_is_all_or_nothing() {
    ext("development").execute_with(|| {
        let (bob, charlie) = (free(Sr25519Keyring::Bob), free(Sr25519Keyring::Charlie));
        // The second transfer is more than Eve has: nothing moves.
        let too_much = free(Sr25519Keyring::Eve) * 2;
        let failing = RuntimeCall::Utility(pallet_utility::Call::batch_all {
            calls: vec![
                transfer_to(account(Sr25519Keyring::Bob), UNITS),
                transfer_to(account(Sr25519Keyring::Charlie), too_much),
            ],
        });
        assert!(dispatch(failing, signed(Sr25519Keyring::Eve)).is_err());
        assert_eq!(free(Sr25519Keyring::Bob), bob);
        let ok = RuntimeCall::Utility(pallet_utility::Call::batch_all {
            calls: vec![
                transfer_to(account(Sr25519Keyring::Bob), UNITS),
                transfer_to(account(Sr25519Keyring::Charlie), 2 * UNITS),
            ],
        });
        assert_ok!(dispatch(ok, signed(Sr25519Keyring::Eve)));
        assert_eq!(free(Sr25519Keyring::Bob), bob + UNITS);
        assert_eq!(free(Sr25519Keyring::Charlie), charlie + 2 * UNITS);
    });
}

#[test]
fn a_non_transfer_proxy_may_vote_but_not_transfer() {
    ext("development").execute_with(|| {
        let (eve, ferdie) = (Sr25519Keyring::Eve, Sr25519Keyring::Ferdie);
        let reserved = pallet_balances::Pallet::<Runtime>::reserved_balance(account(eve));
        assert_ok!(dispatch(
            RuntimeCall::Proxy(pallet_proxy::Call::add_proxy {
                delegate: account(ferdie).into(),
                proxy_type: ProxyType::NonTransfer,
                delay: 0,
            }),
            signed(eve)
        ));
        // The deposit: one item plus one proxy's 33 bytes.
        assert_eq!(
            pallet_balances::Pallet::<Runtime>::reserved_balance(account(eve)) - reserved,
            echonet_runtime::governance::deposit(1, 8)
                + echonet_runtime::governance::deposit(0, 33)
        );
        let before = free(Sr25519Keyring::Bob);
        let as_eve = |call: RuntimeCall| {
            RuntimeCall::Proxy(pallet_proxy::Call::proxy {
                real: account(eve).into(),
                force_proxy_type: None,
                call: Box::new(call),
            })
        };
        System::reset_events();
        assert_ok!(dispatch(
            as_eve(transfer_to(account(Sr25519Keyring::Bob), UNITS)),
            signed(ferdie)
        ));
        // The proxy call succeeds; the inner transfer is filtered out.
        assert!(System::events().iter().any(|r| matches!(
            r.event,
            echonet_runtime::RuntimeEvent::Proxy(pallet_proxy::Event::ProxyExecuted {
                result: Err(_)
            })
        )));
        assert_eq!(free(Sr25519Keyring::Bob), before);
        // A remark (allowed) goes through as Eve.
        System::reset_events();
        assert_ok!(dispatch(
            as_eve(RuntimeCall::System(frame_system::Call::remark_with_event {
                remark: b"by proxy".to_vec()
            })),
            signed(ferdie)
        ));
        assert!(System::events().iter().any(|r| matches!(
            &r.event,
            echonet_runtime::RuntimeEvent::System(frame_system::Event::Remarked { sender, .. })
                if *sender == account(eve)
        )));
    });
}

#[test]
fn a_two_of_three_multisig_sends_a_transfer() {
    ext("development").execute_with(|| {
        let (alice, bob, charlie) = (
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            Sr25519Keyring::Charlie,
        );
        let mut signatories = vec![account(alice), account(bob), account(charlie)];
        signatories.sort();
        let multi = pallet_multisig::Pallet::<Runtime>::multi_account_id(&signatories, 2);
        assert_ok!(dispatch(
            transfer_to(multi.clone(), 100 * UNITS),
            signed(alice)
        ));
        let dest = account(Sr25519Keyring::Dave);
        let before = pallet_balances::Pallet::<Runtime>::free_balance(&dest);
        let call = transfer_to(dest.clone(), 10 * UNITS);
        let others = |me: Sr25519Keyring| -> Vec<AccountId> {
            signatories
                .iter()
                .filter(|a| **a != account(me))
                .cloned()
                .collect()
        };
        let max_weight = frame_support::weights::Weight::from_parts(10_000_000_000, 100_000);
        assert_ok!(dispatch(
            RuntimeCall::Multisig(pallet_multisig::Call::as_multi {
                threshold: 2,
                other_signatories: others(alice),
                maybe_timepoint: None,
                call: Box::new(call.clone()),
                max_weight,
            }),
            signed(alice)
        ));
        // One approval of two: nothing sent yet.
        assert_eq!(
            pallet_balances::Pallet::<Runtime>::free_balance(&dest),
            before
        );
        let timepoint = pallet_multisig::Pallet::<Runtime>::timepoint();
        assert_ok!(dispatch(
            RuntimeCall::Multisig(pallet_multisig::Call::as_multi {
                threshold: 2,
                other_signatories: others(bob),
                maybe_timepoint: Some(timepoint),
                call: Box::new(call),
                max_weight,
            }),
            signed(bob)
        ));
        assert_eq!(
            pallet_balances::Pallet::<Runtime>::free_balance(&dest),
            before + 10 * UNITS
        );
    });
}
