//! The runtime's staking wiring (issue 6): the local testnet preset elects its four
//! validators through pallet-witness, a fifth account that bonds and validates becomes
//! an Aura authority at the next era, and a witness committee validates an event whose
//! receipt is readable at its documented storage key.

use codec::{Decode, Encode};
use echonet_runtime::{
    genesis_config_presets::{get_preset, VALIDATOR_BOND},
    storage_keys, AccountId, Aura, Runtime, RuntimeCall, RuntimeGenesisConfig, RuntimeOrigin,
    Session, SessionKeys, System, Witness, UNITS,
};
use frame_support::{
    assert_ok,
    dispatch::GetDispatchInfo,
    traits::{Hooks, UnfilteredDispatchable},
};
use pallet_witness::{EventClass, HasSessionKeys, Receipt, Verdict};
use serde_json::Value;
use sp_core::H256;
use sp_keyring::Sr25519Keyring;

/// `base` with `patch` merged in, as chain specs apply preset patches.
pub(crate) fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, patch) => *base = patch,
    }
}

/// Externalities holding the genesis state of `preset`, at block 1.
pub(crate) fn ext(preset: &str) -> sp_io::TestExternalities {
    let mut config: Value =
        serde_json::from_slice(&echonet_runtime::apis::default_genesis_config_json()).unwrap();
    let patch: Value = serde_json::from_slice(&get_preset(&preset.into()).unwrap()).unwrap();
    merge(&mut config, patch);
    let mut ext = sp_io::TestExternalities::default();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext.execute_with(|| {
        frame_support::genesis_builder_helper::build_state::<RuntimeGenesisConfig>(
            serde_json::to_vec(&config).unwrap(),
        )
        .unwrap();
        System::set_block_number(1);
    });
    ext
}

fn account(k: Sr25519Keyring) -> AccountId {
    k.to_account_id()
}

fn sorted(mut v: Vec<AccountId>) -> Vec<AccountId> {
    v.sort();
    v
}

fn local_validators() -> Vec<AccountId> {
    sorted(vec![
        account(Sr25519Keyring::Alice),
        account(Sr25519Keyring::Bob),
        account(Sr25519Keyring::Charlie),
        account(Sr25519Keyring::Dave),
    ])
}

fn dispatch(who: Sr25519Keyring, call: RuntimeCall) {
    let _ = call.get_dispatch_info();
    assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::signed(account(who))));
}

#[test]
fn local_testnet_genesis_elects_its_validators_through_witness() {
    ext("local_testnet").execute_with(|| {
        assert_eq!(sorted(Session::validators()), local_validators());
        assert_eq!(
            sorted(pallet_witness::ErasValidators::<Runtime>::get(0).into_inner()),
            local_validators()
        );
        assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
        let ledger =
            pallet_witness::Ledger::<Runtime>::get(account(Sr25519Keyring::Alice)).unwrap();
        assert_eq!(ledger.active, VALIDATOR_BOND);
        assert_eq!(
            pallet_witness::TotalStaked::<Runtime>::get(),
            4 * VALIDATOR_BOND
        );
        assert_eq!(pallet_witness::Witnesses::<Runtime>::count(), 4);
        // Era 0 is elected before pallet-session's genesis sets the keys, without looking
        // at them: the chain spec must give every genesis validator keys.
        for who in local_validators() {
            assert!(echonet_runtime::configs::NextSessionKeys::has_keys(&who));
        }
    });
}

#[test]
fn a_candidate_without_session_keys_cannot_validate_nor_be_elected() {
    ext("local_testnet").execute_with(|| {
        let eve = Sr25519Keyring::Eve;
        dispatch(
            eve,
            RuntimeCall::Witness(pallet_witness::Call::bond {
                value: 200_000 * UNITS,
            }),
        );
        let validate = RuntimeCall::Witness(pallet_witness::Call::validate {
            commission: sp_runtime::Perbill::zero(),
        });
        assert_eq!(
            validate
                .clone()
                .dispatch_bypass_filter(RuntimeOrigin::signed(account(eve)))
                .map_err(|e| e.error),
            Err(pallet_witness::Error::<Runtime>::NoSessionKeys.into())
        );
        // With keys she may validate; she then purges them and is not elected, though
        // she out-stakes every genesis validator.
        let generated = SessionKeys::generate(&account(eve).encode(), Some(b"//Eve".to_vec()));
        dispatch(
            eve,
            RuntimeCall::Session(pallet_session::Call::set_keys {
                keys: generated.keys,
                proof: generated.proof.encode(),
            }),
        );
        dispatch(eve, validate);
        dispatch(
            eve,
            RuntimeCall::Session(pallet_session::Call::purge_keys {}),
        );
        for _ in 0..6 {
            System::set_block_number(System::block_number() + 1);
            Session::rotate_session();
        }
        assert_eq!(Witness::active_era(), 1);
        assert_eq!(
            sorted(pallet_witness::ErasValidators::<Runtime>::get(1).into_inner()),
            local_validators()
        );
        assert_eq!(sorted(Session::validators()), local_validators());
    });
}

#[test]
fn a_fifth_account_that_bonds_and_validates_becomes_an_authority_next_era() {
    ext("local_testnet").execute_with(|| {
        let eve = Sr25519Keyring::Eve;
        // Eve's session keys (from "//Eve") with their proof of possession, as
        // `author_rotateKeys` makes them.
        let generated = SessionKeys::generate(&account(eve).encode(), Some(b"//Eve".to_vec()));
        let keys = generated.keys;
        assert_eq!(keys.aura, eve.public().into());
        dispatch(
            eve,
            RuntimeCall::Session(pallet_session::Call::set_keys {
                keys,
                proof: generated.proof.encode(),
            }),
        );
        dispatch(
            eve,
            RuntimeCall::Witness(pallet_witness::Call::bond {
                value: 200_000 * UNITS,
            }),
        );
        dispatch(
            eve,
            RuntimeCall::Witness(pallet_witness::Call::validate {
                commission: sp_runtime::Perbill::from_percent(5),
            }),
        );
        // Six sessions make an era; the new set is queued one session before it starts.
        for _ in 0..6 {
            System::set_block_number(System::block_number() + 1);
            Session::rotate_session();
        }
        assert_eq!(Witness::active_era(), 1);
        assert!(Session::validators().contains(&account(eve)));
        let eve_aura: sp_consensus_aura::sr25519::AuthorityId = eve.public().into();
        assert!(pallet_aura::Authorities::<Runtime>::get().contains(&eve_aura));
        assert_eq!(Aura::authorities_len(), 5);
    });
}

#[test]
fn a_committee_validates_an_event_and_the_receipt_is_at_its_storage_key() {
    ext("local_testnet").execute_with(|| {
        Witness::on_initialize(1);
        let committee =
            pallet_witness::Committees::<Runtime>::get(0, EventClass::StorageProof).unwrap();
        assert_eq!(committee.members.len(), 3);
        let payload = H256::repeat_byte(0xab);
        dispatch(
            Sr25519Keyring::Eve,
            RuntimeCall::Witness(pallet_witness::Call::submit_event {
                class: EventClass::StorageProof,
                payload_hash: payload,
            }),
        );
        let id = pallet_witness::event_id(EventClass::StorageProof, &payload);
        for member in committee.members.iter().take(2) {
            let call = RuntimeCall::Witness(pallet_witness::Call::attest {
                verdicts: vec![(id, Verdict::Valid)].try_into().unwrap(),
            });
            assert_ok!(call.dispatch_bypass_filter(RuntimeOrigin::signed(member.clone())));
        }
        let raw = sp_io::storage::get(&storage_keys::witness_receipt(
            EventClass::StorageProof,
            &payload,
        ))
        .expect("receipt stored");
        let receipt = Receipt::<u32>::decode(&mut &raw[..]).unwrap();
        assert_eq!(receipt.verdict, Verdict::Valid);
        assert_eq!(receipt.agreeing, 2);
    });
}

#[test]
fn the_preset_slash_deferral_has_two_eras_of_slack_and_zero_slack_is_refused() {
    ext("local_testnet").execute_with(|| {
        let preset = echonet_runtime::genesis_config_presets::witness_params(3, 2);
        assert!(preset.slash_defer_eras + 2 <= preset.unbonding_eras);
        assert_ok!(Witness::set_params(RuntimeOrigin::root(), preset.clone()));
        // The old presets: 27 eras of deferral against 28 of unbonding.
        let zero_slack = pallet_witness::Params {
            unbonding_eras: 28,
            slash_defer_eras: 27,
            ..preset
        };
        frame_support::assert_noop!(
            Witness::set_params(RuntimeOrigin::root(), zero_slack),
            pallet_witness::Error::<Runtime>::InvalidParams
        );
    });
}
