//! The block-start hook stays within a tenth of the block (issue 20): when every kind of
//! block-start work is due at once, `on_initialize` does what fits in
//! [`Pallet::block_start_budget`] and the rest in the next blocks, in order.

use super::*;

/// Sybils that submit events: not validators, witnesses or nominators here.
const SYBILS: [AccountId; 3] = [6, 7, 8];

#[test]
fn block_start_work_due_at_once_stays_within_a_tenth_of_the_block() {
    new_test_ext().execute_with(|| {
        use pallet_authorship::EventHandler;
        let budget = Witness::block_start_budget();
        let max_block = <<Test as frame_system::Config>::BlockWeights as Get<
            frame_system::limits::BlockWeights,
        >>::get()
        .max_block;
        assert_eq!(budget.ref_time(), max_block.ref_time() / 10);
        // Nominators back validator 1, so that its slash touches several accounts.
        for who in [3, 4, 5] {
            bond_and_nominate(who, 100, vec![1]);
        }
        next_block();
        // Era 1 elects 1 with its nominators; in era 1, 1 and 2 author and witnesses vote
        // through the class's share of events, and 1 equivocates.
        start_era(1);
        for who in [1, 2] {
            Witness::note_author(who);
        }
        let ids: Vec<_> = (0..6u8)
            .map(|n| submit(SYBILS[usize::from(n) % SYBILS.len()], n))
            .collect();
        for id in &ids[..3] {
            resolve_valid(*id);
        }
        report_offence_in_era(1, 1, OffenceKind::AuraEquivocation);
        // The slash (deferral 1) is due at era 2's start, with era 1's payout; the events
        // and receipts are due for expiry and pruning (30 blocks pass without hooks); a
        // new epoch needs its committees.
        System::set_block_number(System::block_number() + 30);
        start_era(2);
        Epoch::set(Epoch::get() + 1);
        assert!(Witness::slashes_pending());
        assert!(PayoutQueue::<Test>::contains_key(1));
        assert_eq!(PendingEvents::<Test>::count(), 6);

        // All of it at its per-block bounds would not fit: the budget has to choose.
        let epoch_draw = <() as WeightInfo>::draw_committees(Witnesses::<Test>::count());
        let everything = <() as WeightInfo>::on_initialize_idle()
            .saturating_add(epoch_draw)
            .saturating_add(<() as WeightInfo>::apply_slash_chunk(
                MAX_SLASH_APPLICATIONS,
            ))
            .saturating_add(<() as WeightInfo>::expire_events(2))
            .saturating_add(<() as WeightInfo>::prune_receipts(2))
            .saturating_add(<() as WeightInfo>::payout_earner(3).saturating_mul(2));
        assert!(
            !everything.all_lte(budget),
            "the test must load the hook beyond its budget: {everything:?} against {budget:?}"
        );

        // Block after block, the hook keeps within the budget and the work gets done.
        let mut blocks = 0;
        while Witness::slashes_pending()
            || PayoutQueue::<Test>::iter().next().is_some()
            || PendingEvents::<Test>::iter().next().is_some()
            || Receipts::<Test>::iter().next().is_some()
        {
            blocks += 1;
            assert!(
                blocks <= 100,
                "block-start work did not drain in 100 blocks"
            );
            let n = System::block_number() + 1;
            System::set_block_number(n);
            let used = Witness::on_initialize(n);
            assert!(
                used.all_lte(budget),
                "block {n}: on_initialize took {used:?}, above its budget {budget:?}"
            );
            check_state();
        }
        // The slash was applied to 1 and its nominators, and the era was paid.
        assert_eq!(ledger(1).active, 1_000 - 100);
        for who in [3, 4, 5] {
            assert_eq!(ledger(who).active, 100 - 10);
        }
        assert!(witness_events()
            .iter()
            .any(|e| matches!(e, Event::Rewarded { era: 1, .. })));
    });
}
