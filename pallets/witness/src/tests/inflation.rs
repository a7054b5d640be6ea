//! Inflation follows the era's measured length: shortening sessions does not mint more
//! per year, and a long stall mints at most `MaxEraDurationFactor` nominal eras.

use super::*;
use sp_runtime::Perbill;

/// The reward (both pools) of every `EraPaid` event so far.
fn era_rewards() -> Vec<Balance> {
    witness_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::EraPaid {
                validator_reward,
                witness_reward,
                ..
            } => Some(validator_reward + witness_reward),
            _ => None,
        })
        .collect()
}

/// Ends the active era with one authored block, so that it has points and is paid.
fn end_era_with_points(next: EraIndex) {
    use pallet_authorship::EventHandler;
    Witness::note_author(1);
    start_era(next);
}

/// One nominal era's inflation: 10% a year over 100 eras of the test issuance.
fn nominal_era_inflation() -> Balance {
    Perbill::from_percent(10) * Balances::total_issuance() / 100
}

#[test]
fn short_eras_mint_in_proportion_to_their_duration() {
    new_test_ext().execute_with(|| {
        // Block 2 records when era 0 started.
        next_block();
        let nominal = nominal_era_inflation();
        // Ten eras of a tenth of the nominal length: one nominal era of time. Each era's
        // payout adds to the issuance the next one is computed on, by a thousandth of a
        // nominal era at most, so the sum is one nominal era within 1% (ten would be the
        // old, per-era minting).
        SessionLength::set(SESSION_MS / 10);
        for era in 1..=10 {
            end_era_with_points(era);
        }
        let rewards = era_rewards();
        assert_eq!(rewards.len(), 10);
        let sum = rewards.iter().sum::<Balance>();
        assert!(
            sum >= nominal * 99 / 100 && sum <= nominal * 101 / 100,
            "ten short eras minted {sum}, one nominal era is {nominal}"
        );
        check_state();
    });
}

#[test]
fn a_stalled_era_mints_at_most_the_cap() {
    new_test_ext().execute_with(|| {
        next_block();
        let nominal = nominal_era_inflation();
        // An era ten times the nominal length mints two nominal eras (the mock's cap).
        SessionLength::set(SESSION_MS * 10);
        end_era_with_points(1);
        assert_eq!(era_rewards(), vec![2 * nominal]);
    });
}

#[test]
fn try_state_detects_an_era_starting_in_the_future() {
    new_test_ext().execute_with(|| {
        next_block();
        ActiveEraStartTime::<Test>::put(GENESIS_MS + 1);
        assert!(Witness::do_try_state().is_err());
    });
}

#[test]
fn the_genesis_era_learns_its_start_from_the_first_timed_block() {
    new_test_ext().execute_with(|| {
        // Genesis has no start time; block 2 would record it, but this clock still
        // reads 0.
        assert_eq!(ActiveEraStartTime::<Test>::get(), None);
        Clock::set(0);
        next_block();
        assert_eq!(ActiveEraStartTime::<Test>::get(), None);
        Clock::set(GENESIS_MS);
        next_block();
        assert_eq!(ActiveEraStartTime::<Test>::get(), Some(GENESIS_MS));
        // Era 0 then lasts three nominal sessions: one nominal era's inflation.
        let nominal = nominal_era_inflation();
        end_era_with_points(1);
        assert_eq!(era_rewards(), vec![nominal]);
        assert_eq!(ActiveEraStartTime::<Test>::get(), Some(GENESIS_MS + ERA_MS));
        check_state();
    });
}
