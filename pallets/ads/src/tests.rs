//! Mock tests. Every test runs through [`test`], which checks the invariants
//! (`do_try_state`) at its end.

use crate::{self as pallet_ads, mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::Hooks};
use pallet_reputation::Role;
use pallet_witness::Verdict;
use sp_runtime::{DispatchError, Perbill};

/// Runs `f` on a fresh mock chain, then checks the pallet's invariants.
fn test(f: impl FnOnce()) {
    new_test_ext().execute_with(|| {
        f();
        Ads::do_try_state().expect("invariants hold");
    });
}

fn cats(list: &[Category]) -> BoundedVec<Category, MaxCategories> {
    BoundedVec::truncate_from(list.to_vec())
}

/// ALICE's CPM campaign in category 7, running blocks 1..=100, cap 1,000,000.
fn cpm(budget: Balance, price: Balance) -> CampaignId {
    create(ALICE, budget, Pricing::Cpm, price, &[7], 1, 100, 1_000_000)
}

#[allow(clippy::too_many_arguments)]
fn create(
    who: AccountId,
    budget: Balance,
    pricing: Pricing,
    price: Balance,
    categories: &[Category],
    start: u64,
    end: u64,
    cap: Balance,
) -> CampaignId {
    let id = NextCampaignId::<Test>::get();
    assert_ok!(Ads::create_campaign(
        RuntimeOrigin::signed(who),
        budget,
        pricing,
        price,
        cats(categories),
        start,
        end,
        cap
    ));
    id
}

fn report(publisher: AccountId, campaign: CampaignId, impressions: u64, clicks: u64) -> ReportId {
    let id = NextReportId::<Test>::get();
    assert_ok!(Ads::report_interactions(
        RuntimeOrigin::signed(publisher),
        campaign,
        impressions,
        clicks,
        H256::repeat_byte(0xab)
    ));
    id
}

fn settle(ids: &[ReportId]) -> DispatchResultWithPostInfo {
    Ads::settle_reports(
        RuntimeOrigin::signed(PUB3),
        BoundedVec::truncate_from(ids.to_vec()),
    )
}

fn remaining(id: CampaignId) -> Balance {
    Campaigns::<Test>::get(id).expect("campaign").remaining
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Ads(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn run_to(n: u64) {
    System::set_block_number(n);
}

// ------------------------------------------------------------------ campaigns

#[test]
fn create_campaign_holds_budget_and_indexes_it() {
    test(|| {
        let id = create(ALICE, 1_000, Pricing::Cpm, 50, &[9, 3], 1, 100, 500);
        assert_eq!(held(ALICE), 1_000);
        assert_eq!(free(ALICE), ADVERTISER_FUNDS - 1_000);
        assert_eq!(TotalHeld::<Test>::get(), 1_000);
        let c = Campaigns::<Test>::get(id).unwrap();
        assert_eq!(
            c.categories.to_vec(),
            vec![3, 9],
            "categories are stored sorted"
        );
        assert_eq!(c.remaining, 1_000);
        assert_eq!(AdvertiserCampaigns::<Test>::get(ALICE).to_vec(), vec![id]);
        assert_eq!(CategoryCampaigns::<Test>::get(3).to_vec(), vec![id]);
        assert_eq!(CategoryCampaigns::<Test>::get(9).to_vec(), vec![id]);
        assert!(events().contains(&Event::CampaignCreated {
            campaign: id,
            advertiser: ALICE,
            budget: 1_000,
            pricing: Pricing::Cpm,
            price: 50,
            start: 1,
            end: 100,
        }));
    });
}

#[test]
fn create_campaign_refuses_bad_arguments() {
    test(|| {
        let o = || RuntimeOrigin::signed(ALICE);
        let e = |budget, price, c: &[Category], start, end, cap| {
            Ads::create_campaign(o(), budget, Pricing::Cpm, price, cats(c), start, end, cap)
        };
        assert_noop!(e(99, 1, &[1], 1, 10, 1), Error::<Test>::BudgetTooLow);
        assert_noop!(e(100, 0, &[1], 1, 10, 1), Error::<Test>::ZeroPrice);
        assert_noop!(e(100, 1, &[1], 1, 10, 0), Error::<Test>::ZeroCap);
        assert_noop!(e(100, 1, &[], 1, 10, 1), Error::<Test>::NoCategories);
        assert_noop!(
            e(100, 1, &[2, 1, 2], 1, 10, 1),
            Error::<Test>::DuplicateCategory
        );
        assert_noop!(e(100, 1, &[1], 11, 10, 1), Error::<Test>::InvalidSchedule);
        run_to(20);
        assert_noop!(e(100, 1, &[1], 1, 10, 1), Error::<Test>::EndInPast);
        assert_noop!(
            e(100, 1, &[1], 20, 1_021, 1),
            Error::<Test>::CampaignTooLong
        );
        // A start in the past counts from now.
        assert_ok!(e(100, 1, &[1], 1, 1_020, 1));
        assert_noop!(
            e(ADVERTISER_FUNDS, 1, &[1], 20, 30, 1),
            sp_runtime::TokenError::FundsUnavailable
        );
    });
}

#[test]
fn create_campaign_respects_list_bounds() {
    test(|| {
        MaxCampaignsPerCategory::set(2);
        create(ALICE, 100, Pricing::Cpm, 1, &[1], 1, 10, 1);
        create(BOB, 100, Pricing::Cpm, 1, &[1], 1, 10, 1);
        assert_noop!(
            Ads::create_campaign(
                RuntimeOrigin::signed(ALICE),
                100,
                Pricing::Cpm,
                1,
                cats(&[2, 1]),
                1,
                10,
                1
            ),
            Error::<Test>::CategoryFull
        );
        MaxCampaignsPerAdvertiser::set(2);
        create(ALICE, 100, Pricing::Cpm, 1, &[2], 1, 10, 1);
        assert_noop!(
            Ads::create_campaign(
                RuntimeOrigin::signed(ALICE),
                100,
                Pricing::Cpm,
                1,
                cats(&[3]),
                1,
                10,
                1
            ),
            Error::<Test>::TooManyCampaigns
        );
    });
}

#[test]
fn top_up_pause_resume_end_are_the_advertisers() {
    test(|| {
        let id = cpm(1_000, 10);
        let a = || RuntimeOrigin::signed(ALICE);
        let b = || RuntimeOrigin::signed(BOB);
        assert_noop!(Ads::top_up(b(), id, 10), Error::<Test>::NotAdvertiser);
        assert_noop!(Ads::pause(b(), id), Error::<Test>::NotAdvertiser);
        assert_noop!(Ads::end_campaign(b(), id), Error::<Test>::NotAdvertiser);
        assert_noop!(Ads::top_up(a(), 99, 10), Error::<Test>::UnknownCampaign);
        assert_noop!(Ads::top_up(a(), id, 0), Error::<Test>::ZeroAmount);

        assert_ok!(Ads::top_up(a(), id, 500));
        assert_eq!(remaining(id), 1_500);
        assert_eq!(held(ALICE), 1_500);
        assert_eq!(TotalHeld::<Test>::get(), 1_500);

        assert_noop!(Ads::resume(a(), id), Error::<Test>::CampaignNotPaused);
        assert_ok!(Ads::pause(a(), id));
        assert_noop!(Ads::pause(a(), id), Error::<Test>::CampaignPaused);
        assert_noop!(Ads::resume(b(), id), Error::<Test>::NotAdvertiser);
        assert_ok!(Ads::resume(a(), id));
        assert!(!Campaigns::<Test>::get(id).unwrap().paused);

        run_to(5);
        assert_ok!(Ads::end_campaign(a(), id));
        assert_eq!(Campaigns::<Test>::get(id).unwrap().end, 5);
        run_to(6);
        assert_noop!(Ads::end_campaign(a(), id), Error::<Test>::CampaignEnded);
        assert_noop!(Ads::top_up(a(), id, 10), Error::<Test>::CampaignEnded);
        assert_noop!(Ads::pause(a(), id), Error::<Test>::CampaignEnded);
    });
}

// ------------------------------------------------------------------ reports

#[test]
fn report_submits_the_documented_witness_event() {
    test(|| {
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 2_000, 3);
        // The documented formula, written out byte by byte.
        let mut bytes = vec![18u8 << 2];
        bytes.extend_from_slice(b"echonet/ads/report");
        bytes.extend_from_slice(&r.to_le_bytes());
        bytes.extend_from_slice(&id.to_le_bytes());
        bytes.extend_from_slice(&PUB1.to_le_bytes());
        bytes.extend_from_slice(&2_000u64.to_le_bytes());
        bytes.extend_from_slice(&3u64.to_le_bytes());
        bytes.extend_from_slice(&[0xab; 32]);
        let hash = H256(sp_io::hashing::blake2_256(&bytes));
        assert_eq!(report_hash(r), hash);
        assert!(MockWitness::submitted(EventClass::AdInteraction, &hash));
        assert_eq!(
            free(PUB1),
            PUBLISHER_FUNDS - EVENT_FEE,
            "the publisher paid the fee"
        );
        assert!(events().contains(&Event::InteractionsReported {
            report: r,
            campaign: id,
            publisher: PUB1,
            impressions: 2_000,
            clicks: 3,
            payload_hash: hash,
        }));
        assert_eq!(PendingReportCount::<Test>::get(), 1);
        assert_eq!(Campaigns::<Test>::get(id).unwrap().pending_reports, 1);
        // Identical claims get distinct report ids, so distinct events.
        let r2 = report(PUB1, id, 2_000, 3);
        assert_ne!(report_hash(r2), hash);
    });
}

#[test]
fn report_refused_on_unknown_paused_ended_or_unstarted_campaign() {
    test(|| {
        let o = || RuntimeOrigin::signed(PUB1);
        let h = H256::zero();
        assert_noop!(
            Ads::report_interactions(o(), 42, 1, 0, h),
            Error::<Test>::UnknownCampaign
        );
        let id = create(ALICE, 1_000, Pricing::Cpm, 10, &[1], 5, 10, 1_000);
        assert_noop!(
            Ads::report_interactions(o(), id, 1, 0, h),
            Error::<Test>::CampaignNotStarted
        );
        run_to(5);
        assert_noop!(
            Ads::report_interactions(o(), id, 0, 0, h),
            Error::<Test>::EmptyReport
        );
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(ALICE), id, 1, 0, h),
            Error::<Test>::AdvertiserCannotReport
        );
        assert_ok!(Ads::pause(RuntimeOrigin::signed(ALICE), id));
        assert_noop!(
            Ads::report_interactions(o(), id, 1, 0, h),
            Error::<Test>::CampaignPaused
        );
        assert_ok!(Ads::resume(RuntimeOrigin::signed(ALICE), id));
        run_to(10);
        assert_ok!(Ads::report_interactions(o(), id, 1, 0, h));
        run_to(11);
        assert_noop!(
            Ads::report_interactions(o(), id, 1, 0, h),
            Error::<Test>::CampaignEnded
        );
        // Ended early by the advertiser.
        let id2 = cpm(1_000, 10);
        assert_ok!(Ads::end_campaign(RuntimeOrigin::signed(ALICE), id2));
        run_to(12);
        assert_noop!(
            Ads::report_interactions(o(), id2, 1, 0, h),
            Error::<Test>::CampaignEnded
        );
    });
}

#[test]
fn report_refused_when_the_publisher_cannot_pay_the_event_fee() {
    test(|| {
        let id = cpm(1_000, 10);
        const POOR: AccountId = 77;
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(POOR), id, 1, 0, H256::zero()),
            sp_runtime::TokenError::FundsUnavailable
        );
        assert_eq!(PendingReportCount::<Test>::get(), 0);
    });
}

#[test]
fn report_bounds_are_enforced() {
    test(|| {
        let id = cpm(1_000, 10);
        MaxPublishersPerCampaign::set(2);
        report(PUB1, id, 1, 0);
        report(PUB2, id, 1, 0);
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(PUB3), id, 1, 0, H256::zero()),
            Error::<Test>::TooManyPublishers
        );
        // Known publishers still report.
        report(PUB1, id, 1, 0);
        MaxPendingReportsPerCampaign::set(3);
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(PUB1), id, 1, 0, H256::zero()),
            Error::<Test>::TooManyCampaignReports
        );
        let other = create(BOB, 1_000, Pricing::Cpm, 10, &[1], 1, 100, 1_000);
        MaxPendingReports::set(4);
        report(PUB1, other, 1, 0);
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(PUB2), other, 1, 0, H256::zero()),
            Error::<Test>::TooManyPendingReports
        );
    });
}

// ------------------------------------------------------------------ settlement

#[test]
fn valid_report_pays_publisher_and_treasury_from_the_budget() {
    test(|| {
        // 10 per 1,000 impressions; 25,000 impressions are due 250.
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 25_000, 0);
        resolve_report(r, Verdict::Valid);
        let hash = report_hash(r);
        let ledger_before = free(LEDGER);
        assert_ok!(settle(&[r]));

        assert_eq!(
            MockLedger::owed(PUB1),
            225,
            "90% to the publisher, in the ledger"
        );
        assert_eq!(
            free(LEDGER),
            ledger_before + 225,
            "funds really moved to the ledger"
        );
        assert_eq!(free(TREASURY), 1 + 25, "10% protocol share");
        assert_eq!(remaining(id), 750);
        assert_eq!(held(ALICE), 750);
        assert_eq!(TotalHeld::<Test>::get(), 750);
        assert_eq!(
            free(ALICE),
            ADVERTISER_FUNDS - 1_000,
            "the payment came from the hold"
        );
        assert!(Reports::<Test>::get(r).is_none());
        assert_eq!(PendingReportCount::<Test>::get(), 0);
        assert!(MockWitness::is_settled(EventClass::AdInteraction, &hash));
        let c = Campaigns::<Test>::get(id).unwrap();
        assert_eq!(
            (c.spent, c.settled_impressions, c.pending_reports),
            (250, 25_000, 0)
        );
        assert_eq!(PublisherSpent::<Test>::get(id, PUB1), 250);
        assert_eq!(ReputationLog::get(), vec![(PUB1, Role::Creator, 1, true)]);
        assert!(events().contains(&Event::ReportSettled {
            report: r,
            campaign: id,
            publisher: PUB1,
            due: 250,
            paid: 250,
            protocol_share: 25,
        }));
    });
}

#[test]
fn cpc_pays_per_click_and_cpm_rounds_down() {
    test(|| {
        let cpc = create(ALICE, 10_000, Pricing::Cpc, 7, &[1], 1, 100, 1_000_000);
        let r = report(PUB1, cpc, 1_000_000, 3);
        resolve_report(r, Verdict::Valid);
        assert_ok!(settle(&[r]));
        assert_eq!(remaining(cpc), 10_000 - 21);
        assert_eq!(Ads::due(Pricing::Cpm, 10, 1_999, 50), 19);
        assert_eq!(Ads::due(Pricing::Cpc, 10, 1_999, 50), 500);
        // Saturates instead of overflowing.
        assert_eq!(Ads::due(Pricing::Cpc, u128::MAX, 0, u64::MAX), u128::MAX);
        assert_eq!(Ads::due(Pricing::Cpm, u128::MAX, u64::MAX, 0), u128::MAX);
    });
}

#[test]
fn a_report_settles_once() {
    test(|| {
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        resolve_report(r, Verdict::Valid);
        assert_ok!(settle(&[r]));
        let (owed, rem, treasury) = (MockLedger::owed(PUB1), remaining(id), free(TREASURY));
        // Settling the same id again is refused and pays nothing.
        assert_noop!(settle(&[r]), Error::<Test>::NoSuchReport);
        // In a batch with another report, it is skipped.
        let r2 = report(PUB2, id, 10_000, 0);
        resolve_report(r2, Verdict::Valid);
        assert_ok!(settle(&[r, r2, r]));
        assert_eq!(MockLedger::owed(PUB1), owed);
        assert_eq!(MockLedger::owed(PUB2), 90);
        assert_eq!(remaining(id), rem - 100);
        assert_eq!(free(TREASURY), treasury + 10);
        assert!(events().contains(&Event::ReportUnknown { report: r }));
    });
}

#[test]
fn a_receipt_settled_elsewhere_is_not_paid_again() {
    test(|| {
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        resolve_report(r, Verdict::Valid);
        settle_elsewhere(EventClass::AdInteraction, report_hash(r));
        assert_ok!(settle(&[r]));
        assert_eq!(MockLedger::owed(PUB1), 0);
        assert_eq!(remaining(id), 1_000);
        assert!(Reports::<Test>::get(r).is_none());
        assert!(events().contains(&Event::ReportDropped {
            report: r,
            campaign: id
        }));
        assert!(ReputationLog::get().is_empty());
    });
}

#[test]
fn invalid_receipt_penalizes_and_pays_nothing() {
    test(|| {
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        resolve_report(r, Verdict::Invalid);
        let hash = report_hash(r);
        assert_ok!(settle(&[r]));
        assert_eq!(MockLedger::owed(PUB1), 0);
        assert_eq!(free(TREASURY), 1);
        assert_eq!(remaining(id), 1_000);
        assert_eq!(held(ALICE), 1_000);
        assert!(Reports::<Test>::get(r).is_none());
        assert!(MockWitness::is_settled(EventClass::AdInteraction, &hash));
        assert_eq!(ReputationLog::get(), vec![(PUB1, Role::Creator, 10, false)]);
        assert!(events().contains(&Event::ReportRejected {
            report: r,
            campaign: id,
            publisher: PUB1
        }));
        assert_noop!(settle(&[r]), Error::<Test>::NoSuchReport);
    });
}

#[test]
fn overspent_budget_pays_only_what_remains() {
    test(|| {
        let id = cpm(100, 10);
        // Each is due 80; the budget covers one and a quarter.
        let r1 = report(PUB1, id, 8_000, 0);
        let r2 = report(PUB2, id, 8_000, 0);
        resolve_report(r1, Verdict::Valid);
        resolve_report(r2, Verdict::Valid);
        assert_ok!(settle(&[r1, r2]));
        assert_eq!(remaining(id), 0);
        assert_eq!(held(ALICE), 0);
        assert_eq!(MockLedger::owed(PUB1), 72);
        assert_eq!(
            MockLedger::owed(PUB2),
            18,
            "20 paid, 2 of it protocol share"
        );
        assert!(events().contains(&Event::ReportSettled {
            report: r2,
            campaign: id,
            publisher: PUB2,
            due: 80,
            paid: 20,
            protocol_share: 2,
        }));
        // An exhausted campaign is no candidate and takes no more reports.
        assert!(Ads::candidates(7, 10).is_empty());
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(PUB3), id, 1, 0, H256::zero()),
            Error::<Test>::BudgetExhausted
        );
    });
}

#[test]
fn per_publisher_cap_bounds_what_one_publisher_earns() {
    test(|| {
        let id = create(ALICE, 10_000, Pricing::Cpm, 10, &[1], 1, 100, 50);
        let r1 = report(PUB1, id, 3_000, 0);
        let r2 = report(PUB1, id, 3_000, 0);
        resolve_report(r1, Verdict::Valid);
        resolve_report(r2, Verdict::Valid);
        assert_ok!(settle(&[r1, r2]));
        // 30 then 20 (the cap left), not 60.
        assert_eq!(PublisherSpent::<Test>::get(id, PUB1), 50);
        assert_eq!(remaining(id), 9_950);
        assert_noop!(
            Ads::report_interactions(RuntimeOrigin::signed(PUB1), id, 1, 0, H256::zero()),
            Error::<Test>::PublisherCapReached
        );
        // Other publishers have their own cap.
        let r3 = report(PUB2, id, 3_000, 0);
        resolve_report(r3, Verdict::Valid);
        assert_ok!(settle(&[r3]));
        assert_eq!(PublisherSpent::<Test>::get(id, PUB2), 30);
    });
}

#[test]
fn report_without_receipt_stays_pending_then_expires() {
    test(|| {
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        let res = settle(&[r]).expect("a pending report is not an error");
        assert_eq!(res.actual_weight, Some(Ads::settle_weight(0, 1)));
        assert!(Reports::<Test>::get(r).is_some());
        assert!(events().contains(&Event::ReportPending { report: r }));
        // report_ttl = 10: still pending at 11, expired at 12.
        run_to(11);
        assert_ok!(settle(&[r]));
        assert!(Reports::<Test>::get(r).is_some());
        run_to(12);
        assert_ok!(settle(&[r]));
        assert!(Reports::<Test>::get(r).is_none());
        assert!(events().contains(&Event::ReportExpired {
            report: r,
            campaign: id
        }));
        assert_eq!(remaining(id), 1_000);
        assert_eq!(Campaigns::<Test>::get(id).unwrap().pending_reports, 0);
    });
}

#[test]
fn failed_payment_rolls_back_the_report_and_its_receipt() {
    test(|| {
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        let ok = report(PUB2, id, 10_000, 0);
        resolve_report(r, Verdict::Valid);
        resolve_report(ok, Verdict::Valid);
        let hash = report_hash(r);
        RefuseCreator::set(Some(PUB1));
        let res = settle(&[r, ok]).unwrap();
        assert_eq!(res.actual_weight, Some(Ads::settle_weight(2, 0)));
        assert!(Reports::<Test>::get(r).is_some());
        assert!(!MockWitness::is_settled(EventClass::AdInteraction, &hash));
        assert_eq!(
            free(TREASURY),
            1 + 10,
            "only the other report paid its share"
        );
        assert_eq!(remaining(id), 900);
        assert!(events().iter().any(|e| matches!(
            e,
            Event::ReportFailed { report, .. } if *report == r
        )));
        RefuseCreator::set(None);
        assert_ok!(settle(&[r]));
        assert_eq!(MockLedger::owed(PUB1), 90);
        assert_eq!(remaining(id), 800);
    });
}

#[test]
fn settle_batch_refunds_weight_and_refuses_empty_or_unknown_batches() {
    test(|| {
        assert_noop!(settle(&[]), Error::<Test>::EmptyBatch);
        assert_noop!(settle(&[5, 6]), Error::<Test>::NoSuchReport);
        let id = cpm(1_000, 10);
        let paid = report(PUB1, id, 1_000, 0);
        let pending = report(PUB2, id, 1_000, 0);
        resolve_report(paid, Verdict::Valid);
        let res = settle(&[paid, pending, 99]).unwrap();
        assert_eq!(res.actual_weight, Some(Ads::settle_weight(1, 2)));
        assert!(Ads::settle_weight(1, 2).all_lte(<Test as Config>::WeightInfo::settle_reports(3)));
    });
}

#[test]
fn settlement_continues_on_a_paused_or_ended_campaign() {
    test(|| {
        let id = cpm(1_000, 10);
        let r1 = report(PUB1, id, 1_000, 0);
        let r2 = report(PUB2, id, 1_000, 0);
        assert_ok!(Ads::pause(RuntimeOrigin::signed(ALICE), id));
        resolve_report(r1, Verdict::Valid);
        assert_ok!(settle(&[r1]));
        run_to(3);
        assert_ok!(Ads::resume(RuntimeOrigin::signed(ALICE), id));
        assert_ok!(Ads::end_campaign(RuntimeOrigin::signed(ALICE), id));
        run_to(5);
        resolve_report(r2, Verdict::Valid);
        assert_ok!(settle(&[r2]));
        assert_eq!(remaining(id), 980);
    });
}

// ------------------------------------------------------------------ closing

#[test]
fn close_refunds_only_after_the_settlement_window() {
    test(|| {
        let id = create(ALICE, 1_000, Pricing::Cpm, 10, &[1, 2], 1, 10, 1_000);
        let r1 = report(PUB1, id, 10_000, 0);
        let r2 = report(PUB2, id, 10_000, 0);
        resolve_report(r1, Verdict::Valid);
        assert_ok!(settle(&[r1]));
        // end = 10, settlement_window = 20: closable from block 31.
        for n in [1, 10, 30] {
            run_to(n);
            assert_noop!(
                Ads::close_campaign(RuntimeOrigin::signed(PUB3), id),
                Error::<Test>::SettlementWindowOpen
            );
        }
        run_to(31);
        let before = free(ALICE);
        assert_ok!(Ads::close_campaign(RuntimeOrigin::signed(PUB3), id));
        assert_eq!(free(ALICE), before + 900);
        assert_eq!(held(ALICE), 0);
        assert_eq!(TotalHeld::<Test>::get(), 0);
        assert!(Campaigns::<Test>::get(id).is_none());
        assert!(
            Reports::<Test>::get(r2).is_none(),
            "unsettled reports expire"
        );
        assert_eq!(PendingReportCount::<Test>::get(), 0);
        assert!(!AdvertiserCampaigns::<Test>::contains_key(ALICE));
        assert!(!CategoryCampaigns::<Test>::contains_key(1));
        assert!(!CategoryCampaigns::<Test>::contains_key(2));
        assert_eq!(PublisherSpent::<Test>::iter_prefix(id).count(), 0);
        assert!(events().contains(&Event::CampaignClosed {
            campaign: id,
            refunded: 900,
            reports_dropped: 1
        }));
        assert_noop!(
            Ads::close_campaign(RuntimeOrigin::signed(PUB3), id),
            Error::<Test>::UnknownCampaign
        );
        // The dropped report's receipt pays nothing now.
        resolve_report_hash_of_dropped(r2);
    });
}

/// A report removed with its campaign can no longer be settled.
fn resolve_report_hash_of_dropped(r: ReportId) {
    assert_noop!(settle(&[r]), Error::<Test>::NoSuchReport);
}

#[test]
fn closing_one_campaign_keeps_the_advertisers_others() {
    test(|| {
        let a = create(ALICE, 1_000, Pricing::Cpm, 10, &[1], 1, 5, 1_000);
        let b = create(ALICE, 2_000, Pricing::Cpm, 10, &[1], 1, 100, 1_000);
        run_to(26);
        assert_ok!(Ads::close_campaign(RuntimeOrigin::signed(BOB), a));
        assert_eq!(held(ALICE), 2_000);
        assert_eq!(AdvertiserCampaigns::<Test>::get(ALICE).to_vec(), vec![b]);
        assert_eq!(CategoryCampaigns::<Test>::get(1).to_vec(), vec![b]);
    });
}

// ------------------------------------------------------------------ candidates

#[test]
fn candidates_are_ordered_by_effective_bid() {
    test(|| {
        // CPM 500 per 1,000 impressions.
        let cpm_low = create(ALICE, 10_000, Pricing::Cpm, 500, &[1], 1, 100, 10_000);
        // CPC 100 per click with no history: 100 × 1000 × 1 / 100 = 1,000 per mille.
        let cpc = create(BOB, 10_000, Pricing::Cpc, 100, &[1], 1, 100, 10_000);
        // CPM 800.
        let cpm_high = create(ALICE, 10_000, Pricing::Cpm, 800, &[1, 2], 1, 100, 10_000);
        let order = |max| {
            Ads::candidates(1, max)
                .into_iter()
                .map(|c| (c.campaign, c.effective_bid))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            order(10),
            vec![(cpc, 1_000), (cpm_high, 800), (cpm_low, 500)]
        );
        assert_eq!(order(2), vec![(cpc, 1_000), (cpm_high, 800)]);
        assert!(order(0).is_empty());

        // The CPC campaign's settled CTR falls to 1 click in 1,900 impressions:
        // 100 × 1000 × (1 + 1) / (1,900 + 100) = 100 per mille.
        let r = report(PUB1, cpc, 1_900, 1);
        resolve_report(r, Verdict::Valid);
        assert_ok!(settle(&[r]));
        assert_eq!(order(10), vec![(cpm_high, 800), (cpm_low, 500), (cpc, 100)]);

        // Paused, ended, not started and exhausted campaigns are left out.
        assert_ok!(Ads::pause(RuntimeOrigin::signed(ALICE), cpm_high));
        assert_eq!(order(10), vec![(cpm_low, 500), (cpc, 100)]);
        assert_ok!(Ads::end_campaign(RuntimeOrigin::signed(ALICE), cpm_low));
        let later = create(ALICE, 10_000, Pricing::Cpm, 900, &[1], 50, 100, 10_000);
        run_to(2);
        assert_eq!(order(10), vec![(cpc, 100)]);
        run_to(50);
        assert_eq!(order(10), vec![(later, 900), (cpc, 100)]);
        assert_eq!(
            Ads::candidates(2, 10).len(),
            0,
            "category 2's only campaign is paused"
        );
    });
}

#[test]
fn candidates_cap_at_256_and_tie_break_by_id() {
    test(|| {
        MaxCampaignsPerAdvertiser::set(300);
        for _ in 0..260 {
            create(ALICE, 100, Pricing::Cpm, 5, &[3], 1, 100, 100);
        }
        let list = Ads::candidates(3, u32::MAX);
        assert_eq!(list.len(), 256);
        assert!(list.windows(2).all(|w| w[0].campaign < w[1].campaign));
    });
}

// ------------------------------------------------------------------ governance

#[test]
fn set_params_is_governance_only_and_checked() {
    test(|| {
        let mut p = test_params();
        p.protocol_share = Perbill::from_percent(20);
        assert_noop!(
            Ads::set_params(RuntimeOrigin::signed(ALICE), p.clone()),
            DispatchError::BadOrigin
        );
        assert_ok!(Ads::set_params(RuntimeOrigin::root(), p.clone()));
        assert_eq!(ActiveParams::<Test>::get(), p);

        let bad = |f: fn(&mut ParamsOf<Test>)| {
            let mut q = test_params();
            f(&mut q);
            Ads::set_params(RuntimeOrigin::root(), q)
        };
        assert_noop!(bad(|q| q.report_ttl = 0), Error::<Test>::ZeroReportTtl);
        assert_noop!(
            bad(|q| q.settlement_window = 9),
            Error::<Test>::WindowShorterThanReportTtl
        );
        assert_noop!(
            bad(|q| q.max_campaign_duration = 0),
            Error::<Test>::ZeroCampaignDuration
        );
        assert_noop!(bad(|q| q.min_budget = 0), Error::<Test>::ZeroMinBudget);
    });
}

#[test]
fn protocol_share_follows_the_params() {
    test(|| {
        let mut p = test_params();
        p.protocol_share = Perbill::from_percent(50);
        assert_ok!(Ads::set_params(RuntimeOrigin::root(), p));
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        resolve_report(r, Verdict::Valid);
        assert_ok!(settle(&[r]));
        assert_eq!(free(TREASURY), 1 + 50);
        assert_eq!(MockLedger::owed(PUB1), 50);
    });
}

#[test]
fn default_params_are_valid_and_serde_camel_case() {
    test(|| {
        let p = ParamsOf::<Test>::default();
        assert_ok!(Ads::check_params(&p));
        assert_eq!(p.protocol_share, Perbill::from_percent(10));
        let json = frame_support::__private::serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"protocolShare\""), "{json}");
        assert!(json.contains("\"settlementWindow\""), "{json}");
        Ads::integrity_test();
    });
}

#[test]
fn try_state_catches_a_hold_that_differs_from_the_budgets() {
    test(|| {
        let id = cpm(1_000, 10);
        Campaigns::<Test>::mutate(id, |c| c.as_mut().unwrap().remaining = 999);
        assert!(Ads::do_try_state().is_err());
        Campaigns::<Test>::mutate(id, |c| c.as_mut().unwrap().remaining = 1_000);
        TotalHeld::<Test>::put(5);
        assert!(Ads::do_try_state().is_err());
        TotalHeld::<Test>::put(1_000);
    });
}

#[test]
fn genesis_config_reads_camel_case_json() {
    test(|| {
        let json = r#"{"params":{"protocolShare":100000000,"settlementWindow":14400,
            "reportTtl":3600,"maxCampaignDuration":864000,"reportReputationReward":1,
            "reportReputationPenalty":10,"minBudget":1000000000000}}"#;
        let config: pallet_ads::GenesisConfig<Test> =
            frame_support::__private::serde_json::from_str(json).expect("valid genesis JSON");
        assert_eq!(config.params, ParamsOf::<Test>::default());
    });
}

#[test]
fn an_advertisers_lock_does_not_stop_payment_from_the_budget() {
    test(|| {
        use frame_support::traits::{LockableCurrency, WithdrawReasons};
        let id = cpm(1_000, 10);
        let r = report(PUB1, id, 10_000, 0);
        resolve_report(r, Verdict::Valid);
        // A lock over the whole balance (held part included) after the budget was held.
        Balances::set_lock(
            *b"vote    ",
            &ALICE,
            ADVERTISER_FUNDS,
            WithdrawReasons::all(),
        );
        assert_ok!(settle(&[r]));
        assert_eq!(MockLedger::owed(PUB1), 90);
        assert_eq!(free(TREASURY), 1 + 10);
        assert_eq!(remaining(id), 900);
    });
}
