//! Registration, updates, leaving and withdrawing.

use super::*;
use crate::{Error, HoldReason, ProviderCount, ProviderSet, ProviderStatus, Providers};
use frame_support::{assert_noop, assert_ok};

#[test]
fn register_holds_the_bond_and_joins_the_set() {
    test(|| {
        register(0, 1_000_000, None);
        assert_eq!(held(provider(0), HoldReason::ProviderBond), 5 * MIN_BOND);
        let p = Providers::<Test>::get(provider(0)).unwrap();
        assert_eq!(p.capacity, 1_000_000);
        assert_eq!(p.operator, provider(0));
        assert_eq!(p.status, ProviderStatus::Active);
        assert_eq!(ProviderSet::<Test>::get().len(), 1);
        assert_eq!(ProviderCount::<Test>::get(), 1);
        let info = Dds::api_providers();
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].peer_id, b"peer-0".to_vec());
    });
}

#[test]
fn register_refuses_a_low_bond_zero_capacity_a_second_time_and_a_full_set() {
    test(|| {
        let peer = || BoundedVec::truncate_from(b"p".to_vec());
        assert_noop!(
            Dds::register_provider(
                signed(provider(0)),
                MIN_BOND - 1,
                1,
                peer(),
                no_addrs(),
                None
            ),
            Error::<Test>::BondTooLow
        );
        assert_noop!(
            Dds::register_provider(signed(provider(0)), MIN_BOND, 0, peer(), no_addrs(), None),
            Error::<Test>::ZeroCapacity
        );
        register(0, 10, None);
        assert_noop!(
            Dds::register_provider(signed(provider(0)), MIN_BOND, 10, peer(), no_addrs(), None),
            Error::<Test>::AlreadyRegistered
        );
        MaxProviders::set(2);
        register(1, 10, None);
        assert_noop!(
            Dds::register_provider(signed(provider(2)), MIN_BOND, 10, peer(), no_addrs(), None),
            Error::<Test>::TooManyProviders
        );
        // More than the free balance cannot be held.
        assert!(
            Dds::register_provider(signed(STRANGER), FUNDS * 2, 10, peer(), no_addrs(), None)
                .is_err()
        );
    });
}

#[test]
fn capacity_cannot_drop_below_what_is_assigned() {
    test(|| {
        let (_, _) = standard_deal();
        let used = Providers::<Test>::get(provider(0)).unwrap().used;
        assert!(used > 0);
        assert_noop!(
            Dds::update_provider(signed(provider(0)), used - 1, no_addrs()),
            Error::<Test>::CapacityBelowUsed
        );
        assert_noop!(
            Dds::update_provider(signed(provider(0)), 0, no_addrs()),
            Error::<Test>::ZeroCapacity
        );
        assert_noop!(
            Dds::update_provider(signed(STRANGER), 10, no_addrs()),
            Error::<Test>::NotProvider
        );
        assert_ok!(Dds::update_provider(signed(provider(0)), used, no_addrs()));
        let slot = ProviderSet::<Test>::get()
            .into_iter()
            .find(|s| s.who == provider(0))
            .unwrap();
        assert_eq!(slot.free, 0);
    });
}

#[test]
fn the_bond_is_withdrawn_only_after_leaving_and_the_delay() {
    test(|| {
        register(0, 1_000, None);
        assert_noop!(
            Dds::withdraw_bond(signed(provider(0))),
            Error::<Test>::NotLeaving
        );
        assert_ok!(Dds::deregister(signed(provider(0))));
        assert_noop!(
            Dds::deregister(signed(provider(0))),
            Error::<Test>::NotActive
        );
        assert!(ProviderSet::<Test>::get().is_empty());
        assert_noop!(
            Dds::update_provider(signed(provider(0)), 5, no_addrs()),
            Error::<Test>::NotActive
        );
        assert_noop!(
            Dds::withdraw_bond(signed(provider(0))),
            Error::<Test>::StillUnbonding
        );
        run_to(1 + UNBONDING);
        let before = free(provider(0));
        assert_ok!(Dds::withdraw_bond(signed(provider(0))));
        assert_eq!(free(provider(0)), before + 5 * MIN_BOND);
        assert_eq!(held(provider(0), HoldReason::ProviderBond), 0);
        assert!(!Providers::<Test>::contains_key(provider(0)));
        assert_eq!(ProviderCount::<Test>::get(), 0);
    });
}

#[test]
fn a_provider_with_open_challenges_cannot_withdraw() {
    test(|| {
        let (_, _) = standard_deal();
        into_epoch_1(1);
        let (_, c) = challenges()
            .into_iter()
            .next()
            .expect("a challenge was drawn");
        assert_ok!(Dds::deregister(signed(c.provider)));
        // Past the unbonding delay (which is longer than the response window) with the
        // challenge still stored, because the hook did not run.
        System::set_block_number(2 + EPOCH + UNBONDING);
        assert_noop!(
            Dds::withdraw_bond(signed(c.provider)),
            Error::<Test>::OpenChallenges
        );
    });
}

#[test]
fn a_provider_still_holding_shards_cannot_withdraw() {
    test(|| {
        let (_, _) = standard_deal();
        assert_ok!(Dds::deregister(signed(provider(0))));
        // Past the delay, but no block ran the reassignment.
        System::set_block_number(2 + UNBONDING);
        assert_noop!(
            Dds::withdraw_bond(signed(provider(0))),
            Error::<Test>::StillHoldingShards
        );
    });
}
