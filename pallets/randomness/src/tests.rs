//! Tests of pallet-randomness: digest verification, accumulation and epoch rotation.

use crate::{mock::*, *};
use codec::Encode;
use frame_support::traits::{Hooks, Randomness as _};
use sp_core::{crypto::VrfSecret, sr25519::Pair, Pair as _};
use sp_runtime::Digest;

fn pair(seed: &str) -> Pair {
    Pair::from_string(&format!("//{seed}"), None).unwrap()
}

/// Executes block `n` at `slot`, authored by `author`, signed by `signer` (None: no digest).
fn block(n: u64, slot: u64, author: &Pair, signer: Option<&Pair>) {
    let mut digest = Digest::default();
    if let Some(signer) = signer {
        let randomness = crate::Randomness::<Test>::get();
        let signature = signer.vrf_sign(&vrf_sign_data(&randomness, slot));
        digest.push(vrf_digest_item(&signature));
    }
    System::reset_events();
    System::initialize(&n, &Default::default(), &digest);
    Author::set(Some((slot, author.public())));
    RandomnessPallet::on_initialize(n);
}

#[test]
fn a_valid_vrf_is_accumulated() {
    new_test_ext().execute_with(|| {
        let alice = pair("Alice");
        block(1, 10, &alice, Some(&alice));
        assert_eq!(Contributions::<Test>::get(), 1);
        assert_ne!(NextRandomness::<Test>::get(), [0u8; 32]);
    });
}

#[test]
#[should_panic(expected = "block VRF proof must verify")]
fn a_vrf_by_another_key_makes_the_block_invalid() {
    new_test_ext().execute_with(|| {
        block(1, 10, &pair("Alice"), Some(&pair("Bob")));
    });
}

#[test]
#[should_panic(expected = "block VRF proof must verify")]
fn a_vrf_for_another_slot_makes_the_block_invalid() {
    new_test_ext().execute_with(|| {
        let alice = pair("Alice");
        let randomness = crate::Randomness::<Test>::get();
        let signature = alice.vrf_sign(&vrf_sign_data(&randomness, 11));
        let mut digest = Digest::default();
        digest.push(vrf_digest_item(&signature));
        System::initialize(&1, &Default::default(), &digest);
        Author::set(Some((10, alice.public())));
        RandomnessPallet::on_initialize(1);
    });
}

#[test]
#[should_panic(expected = "VRF digest must decode")]
fn a_garbled_digest_makes_the_block_invalid() {
    new_test_ext().execute_with(|| {
        let mut digest = Digest::default();
        digest.push(DigestItem::PreRuntime(VRF_ENGINE_ID, vec![1, 2, 3]));
        System::initialize(&1, &Default::default(), &digest);
        Author::set(Some((10, pair("Alice").public())));
        RandomnessPallet::on_initialize(1);
    });
}

#[test]
fn a_missing_digest_is_accepted_until_required() {
    new_test_ext().execute_with(|| {
        block(1, 10, &pair("Alice"), None);
        assert_eq!(Contributions::<Test>::get(), 0);
    });
}

#[test]
#[should_panic(expected = "block has no VRF digest")]
fn a_missing_digest_is_invalid_when_required() {
    new_test_ext().execute_with(|| {
        Require::set(true);
        block(1, 10, &pair("Alice"), None);
    });
}

#[test]
fn epochs_rotate_and_fold_the_accumulator() {
    new_test_ext().execute_with(|| {
        let alice = pair("Alice");
        let genesis = crate::Randomness::<Test>::get();
        for n in 1..=EPOCH {
            block(n, 100 + n, &alice, Some(&alice));
            assert_eq!(EpochIndex::<Test>::get(), 0);
        }
        let acc = NextRandomness::<Test>::get();
        block(EPOCH + 1, 200, &alice, Some(&alice));
        assert_eq!(EpochIndex::<Test>::get(), 1);
        assert_eq!(EpochStart::<Test>::get(), EPOCH + 1);
        let expected = sp_io::hashing::blake2_256(&(genesis, 1u64, acc).encode());
        assert_eq!(crate::Randomness::<Test>::get(), expected);
        // The first block of the new epoch already contributes to the next one.
        assert_eq!(Contributions::<Test>::get(), 1);
    });
}

#[test]
fn outputs_differ_by_author_so_randomness_depends_on_who_authored() {
    let run = |signer: &str| {
        new_test_ext().execute_with(|| {
            let p = pair(signer);
            for n in 1..=EPOCH + 1 {
                block(n, n, &p, Some(&p));
            }
            crate::Randomness::<Test>::get()
        })
    };
    assert_ne!(run("Alice"), run("Bob"));
    assert_eq!(run("Alice"), run("Alice"));
}

#[test]
fn random_mixes_the_subject_with_the_epoch_randomness() {
    new_test_ext().execute_with(|| {
        let (a, _) = RandomnessPallet::random(b"a");
        let (b, _) = RandomnessPallet::random(b"b");
        assert_ne!(a, b);
        crate::Randomness::<Test>::put([2u8; 32]);
        let (a2, _) = RandomnessPallet::random(b"a");
        assert_ne!(a, a2);
    });
}
