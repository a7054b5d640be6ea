//! Keys, the batch size, parameters and operators.

use super::*;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use frame_support::{assert_noop, traits::fungible::InspectHold};
use sp_runtime::DispatchError;

fn key_bytes(size: u32) -> Vec<u8> {
    fixture().vk[size as usize - 1].clone()
}

fn set_key(size: u32, key: Vec<u8>, hash: [u8; 32]) -> sp_runtime::DispatchResult {
    Bridge::set_verifying_key(root(), size, key.try_into().unwrap(), hash)
}

#[test]
fn a_key_is_stored_prepared_with_its_hash() {
    new_test_ext().execute_with(|| {
        let key = key_bytes(2);
        let hash = sp_io::hashing::sha2_256(&key);
        assert_ok!(set_key(2, key.clone(), hash));
        let entry = VerifyingKeys::<Test>::get(2).unwrap();
        assert_eq!(entry.hash, hash);
        // The same hash as `echonet-prover setup` prints.
        let vk = echonet_prover::VerifyingKey::deserialize_compressed(&key[..]).unwrap();
        assert_eq!(
            hex::encode(hash),
            echonet_prover::keys::vk_hash(&vk).unwrap()
        );
        // Stored prepared: it loads without preparation and its key is the one given.
        let pvk = verifier::load_prepared(&entry.prepared).unwrap();
        assert_eq!(pvk.vk, vk);
        assert!(bridge_events().contains(&Event::VerifyingKeySet {
            batch_size: 2,
            hash
        }));
    });
}

#[test]
fn set_verifying_key_refuses_a_wrong_hash_size_or_origin() {
    new_test_ext().execute_with(|| {
        let key = key_bytes(2);
        let hash = sp_io::hashing::sha2_256(&key);
        let mut wrong = hash;
        wrong[0] ^= 1;
        assert_noop!(
            set_key(2, key.clone(), wrong),
            Error::<Test>::KeyHashMismatch
        );
        assert_noop!(
            set_key(0, key.clone(), hash),
            Error::<Test>::BatchSizeOutOfRange
        );
        assert_noop!(
            set_key(65, key.clone(), hash),
            Error::<Test>::BatchSizeOutOfRange
        );
        assert_noop!(
            Bridge::set_verifying_key(signed(1), 2, key.try_into().unwrap(), hash),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn set_verifying_key_refuses_a_malformed_key() {
    new_test_ext().execute_with(|| {
        let mut key = key_bytes(2);
        // A trailing byte.
        key.push(0);
        let hash = sp_io::hashing::sha2_256(&key);
        assert_noop!(set_key(2, key, hash), Error::<Test>::MalformedKey);
        // alpha's x set to p - 1 + ... (all ones below the flags): not canonical.
        let mut key = key_bytes(2);
        key[..31].fill(0xff);
        key[31] = 0x3f;
        let hash = sp_io::hashing::sha2_256(&key);
        assert_noop!(set_key(2, key, hash), Error::<Test>::MalformedKey);
    });
}

#[test]
fn a_key_with_another_input_count_is_refused() {
    new_test_ext().execute_with(|| {
        let mut vk =
            echonet_prover::VerifyingKey::deserialize_compressed(&key_bytes(2)[..]).unwrap();
        // A key for two public inputs: every point is valid, only the count is wrong.
        vk.gamma_abc_g1.push(vk.alpha_g1);
        let mut key = Vec::new();
        vk.serialize_compressed(&mut key).unwrap();
        let hash = sp_io::hashing::sha2_256(&key);
        assert_noop!(set_key(2, key, hash), Error::<Test>::WrongInputCount);
        // And a key for none.
        vk.gamma_abc_g1.truncate(1);
        let mut key = Vec::new();
        vk.serialize_compressed(&mut key).unwrap();
        let hash = sp_io::hashing::sha2_256(&key);
        assert_noop!(set_key(2, key, hash), Error::<Test>::WrongInputCount);
    });
}

#[test]
fn the_batch_size_needs_a_key_and_the_admin() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Bridge::set_batch_size(root(), 2),
            Error::<Test>::NoVerifyingKey
        );
        register_key(2);
        assert_noop!(
            Bridge::set_batch_size(signed(1), 2),
            DispatchError::BadOrigin
        );
        assert_ok!(Bridge::set_batch_size(root(), 2));
        assert_eq!(BatchSize::<Test>::get(), Some(2));
    });
}

#[test]
fn set_params_checks_its_values() {
    new_test_ext().execute_with(|| {
        let ok = test_params();
        for bad in [
            Params {
                deposit_timeout_ms: 0,
                ..ok.clone()
            },
            Params {
                batch_timeout_ms: MAX_TIMEOUT_MS + 1,
                ..ok.clone()
            },
            Params {
                min_deposit: ED - 1,
                ..ok.clone()
            },
            Params {
                operator_bond: ED - 1,
                ..ok.clone()
            },
        ] {
            assert_noop!(
                Bridge::set_params(root(), bad),
                Error::<Test>::InvalidParams
            );
        }
        assert_noop!(
            Bridge::set_params(signed(1), ok.clone()),
            DispatchError::BadOrigin
        );
        let new = Params {
            min_deposit: 500,
            ..ok
        };
        assert_ok!(Bridge::set_params(root(), new.clone()));
        assert_eq!(ActiveParams::<Test>::get(), new);
    });
}

fn bonded(who: AccountId) -> Balance {
    Balances::balance_on_hold(&HoldReason::OperatorBond.into(), &who)
}

#[test]
fn operators_bond_and_get_their_bond_back_or_lose_it() {
    new_test_ext().execute_with(|| {
        assert_eq!(bonded(OPERATOR), 1_000);
        assert_ok!(Bridge::add_operator(root(), 3));
        assert_eq!(bonded(3), 1_000);
        assert_noop!(
            Bridge::add_operator(root(), 3),
            Error::<Test>::AlreadyOperator
        );
        assert_noop!(
            Bridge::add_operator(root(), 4),
            Error::<Test>::TooManyOperators
        );
        assert_noop!(Bridge::add_operator(signed(1), 4), DispatchError::BadOrigin);
        check_state();
        // Released...
        let before = free(3);
        assert_ok!(Bridge::remove_operator(root(), 3, false));
        assert_eq!((bonded(3), free(3)), (0, before + 1_000));
        // ...or burnt.
        let issuance = Balances::total_issuance();
        assert_ok!(Bridge::remove_operator(root(), OPERATOR, true));
        assert_eq!(bonded(OPERATOR), 0);
        assert_eq!(Balances::total_issuance(), issuance - 1_000);
        assert_noop!(
            Bridge::remove_operator(root(), OPERATOR, false),
            Error::<Test>::NotOperator
        );
        check_state();
    });
}

#[test]
fn an_operator_without_the_bond_is_refused() {
    new_test_ext().execute_with(|| {
        // Account 50 has nothing.
        assert!(Bridge::add_operator(root(), 50).is_err());
        assert!(!Operators::<Test>::contains_key(50));
    });
}
