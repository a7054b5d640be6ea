//! Monetization on a running dev chain (issue 15), each test on its own `--dev` node (Alice
//! is the only validator and the whole witness committee of every event class, which
//! decides alone):
//! - a subscription is charged over three periods and the creator claims what the ledger
//!   owes it;
//! - an ad campaign's impressions are reported, attested by the committee and settled: the
//!   publisher is credited, the treasury takes the protocol share and the budget goes down;
//! - a proof-of-engagement period is scored by the reference aggregator, attested,
//!   accepted and claimed with a Merkle proof.

use codec::{Decode, Encode};
use echonet_runtime::{
    storage_keys, AccountId, Balance, Runtime, RuntimeCall, RuntimeEvent, UNITS,
};
use echonet_tests::{
    rpc::{self, submit_and_dispatch, value},
    wait_until, Node,
};
use jsonrpsee::{http_client::HttpClient, ws_client::WsClient};
use pallet_witness::{EventClass, Receipt, Verdict};
use sp_core::H256;
use sp_keyring::Sr25519Keyring;
use std::time::Duration;

/// The free balance of `who`.
async fn free(c: &HttpClient, who: &AccountId) -> Balance {
    rpc::account(c, who, None).await.data.free
}

/// What the payouts ledger owes `creator`.
async fn owed(c: &HttpClient, creator: &AccountId) -> Balance {
    value(c, &pallet_payouts::Owed::<Runtime>::hashed_key_for(creator))
        .await
        .unwrap_or_default()
}

/// Dispatches `call` signed by `who` and fails the test if it does not succeed.
async fn dispatch(ws: &WsClient, who: Sr25519Keyring, call: RuntimeCall, what: &str) -> H256 {
    submit_and_dispatch(ws, who, call)
        .await
        .unwrap_or_else(|e| panic!("{what} failed: {e:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_is_charged_over_three_periods_and_the_creator_claims() {
    let node = Node::dev("payouts").await;
    let c = node.http();
    let ws = node.ws().await;
    let creator = Sr25519Keyring::Dave;
    let subscriber = Sr25519Keyring::Eve;
    let price = 3 * UNITS;
    // The dev chain allows plans of 5 blocks (10 s).
    dispatch(
        &ws,
        creator,
        RuntimeCall::Payouts(pallet_payouts::Call::create_plan { price, period: 5 }),
        "create_plan",
    )
    .await;
    let subscriber_before = free(&c, &subscriber.to_account_id()).await;
    // Subscribing charges the first period at once; two more follow 5 and 10 blocks later.
    let subscribe = RuntimeCall::Payouts(pallet_payouts::Call::subscribe {
        creator: creator.to_account_id(),
        plan: 0,
    });
    let mut charges = 0u32;
    let mut next_charges = Vec::new();
    let sub_task = {
        let ws = node.ws().await;
        tokio::spawn(async move { dispatch(&ws, subscriber, subscribe, "subscribe").await })
    };
    rpc::watch_events(
        &c,
        &ws,
        "three subscription charges",
        Duration::from_secs(90),
        |_, e| {
            if let RuntimeEvent::Payouts(pallet_payouts::Event::SubscriptionCharged {
                subscriber: s,
                creator: cr,
                amount,
                next_charge,
            }) = e
            {
                assert_eq!(s, &subscriber.to_account_id());
                assert_eq!(cr, &creator.to_account_id());
                assert_eq!(*amount, price);
                charges += 1;
                next_charges.push(*next_charge);
            }
            charges >= 3
        },
    )
    .await;
    sub_task.await.expect("the subscribe task");
    // One period apart: the schedule does not drift.
    assert_eq!(next_charges[1], next_charges[0] + 5, "{next_charges:?}");
    assert_eq!(next_charges[2], next_charges[1] + 5, "{next_charges:?}");
    let paid = subscriber_before - free(&c, &subscriber.to_account_id()).await;
    assert!(
        paid >= 3 * price,
        "the subscriber paid {paid}, less than three periods"
    );

    // The creator takes what the ledger owes it now, whatever the batch schedule.
    let owed_now = owed(&c, &creator.to_account_id()).await;
    let creator_before = free(&c, &creator.to_account_id()).await;
    if owed_now > 0 {
        dispatch(
            &ws,
            creator,
            RuntimeCall::Payouts(pallet_payouts::Call::claim {}),
            "claim",
        )
        .await;
        let creator_after = free(&c, &creator.to_account_id()).await;
        // The claim pays at least what was owed before it (a charge may land in the same
        // block), minus the claim's fee (well under a milliECHO).
        assert!(
            creator_after + UNITS / 1_000 >= creator_before + owed_now,
            "claimed {owed_now}: {creator_before} -> {creator_after}"
        );
    }
    // Cancelling stops the charges: no charge for this subscription in the next two
    // periods.
    dispatch(
        &ws,
        subscriber,
        RuntimeCall::Payouts(pallet_payouts::Call::cancel {
            creator: creator.to_account_id(),
        }),
        "cancel",
    )
    .await;
    let after_cancel = free(&c, &subscriber.to_account_id()).await;
    let best = rpc::best_header(&c).await.number;
    rpc::wait_for_best_above(&c, best + 11, Duration::from_secs(40)).await;
    assert_eq!(
        free(&c, &subscriber.to_account_id()).await,
        after_cancel,
        "a cancelled subscription was charged"
    );
    node.assert_no_panic();
}

/// Alice, the dev chain's whole committee, attests `(class, payload_hash)` as valid and
/// waits for its receipt.
async fn attest_valid(c: &HttpClient, ws: &WsClient, class: EventClass, payload_hash: H256) {
    let id = pallet_witness::event_id(class, &payload_hash);
    dispatch(
        ws,
        Sr25519Keyring::Alice,
        RuntimeCall::Witness(pallet_witness::Call::attest {
            verdicts: vec![(id, Verdict::Valid)]
                .try_into()
                .expect("one verdict fits"),
        }),
        "attest",
    )
    .await;
    let receipt: Receipt<u32> = wait_until(
        "the committee's receipt",
        Duration::from_secs(30),
        || async { value(c, &storage_keys::witness_receipt(class, &payload_hash)).await },
    )
    .await;
    assert_eq!(receipt.verdict, Verdict::Valid);
}

/// The events of block `at` that `pick` selects.
async fn events_in<T>(
    c: &HttpClient,
    at: H256,
    pick: impl Fn(RuntimeEvent) -> Option<T>,
) -> Vec<T> {
    rpc::events(c, at)
        .await
        .into_iter()
        .filter_map(|r| pick(r.event))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ad_campaigns_attested_impressions_pay_the_publisher_and_the_treasury() {
    let node = Node::dev("ads").await;
    let c = node.http();
    let ws = node.ws().await;
    let advertiser = Sr25519Keyring::Bob;
    let publisher = Sr25519Keyring::Charlie;
    let budget = 1_000 * UNITS;
    // 2 ECHO per thousand impressions.
    let price = 2 * UNITS;
    let category = 7u32;
    let now = rpc::best_header(&c).await.number;
    let created = dispatch(
        &ws,
        advertiser,
        RuntimeCall::Ads(pallet_ads::Call::create_campaign {
            budget,
            pricing: pallet_ads::Pricing::Cpm,
            price,
            categories: vec![category].try_into().expect("one category"),
            start: now,
            end: now + 1_000,
            per_publisher_cap: 500 * UNITS,
        }),
        "create_campaign",
    )
    .await;
    let campaign = events_in(&c, created, |e| match e {
        RuntimeEvent::Ads(pallet_ads::Event::CampaignCreated { campaign, .. }) => Some(campaign),
        _ => None,
    })
    .await[0];
    let held = |c: HttpClient| async move {
        rpc::account(&c, &Sr25519Keyring::Bob.to_account_id(), None)
            .await
            .data
            .reserved
    };
    assert_eq!(held(c.clone()).await, budget, "the budget is held");

    // Off-chain decisioning reads the candidates through the runtime API.
    let raw: String = rpc::call(
        &c,
        "state_call",
        jsonrpsee::rpc_params![
            "AdsApi_candidates",
            echonet_tests::chain::to_hex(&(category, 10u32).encode())
        ],
    )
    .await;
    let candidates: Vec<pallet_ads::Candidate<AccountId, Balance, u32>> =
        Decode::decode(&mut &hex::decode(raw.trim_start_matches("0x")).expect("hex")[..])
            .expect("candidates decode");
    assert_eq!(candidates.len(), 1);
    assert_eq!(candidates[0].campaign, campaign);
    assert_eq!(candidates[0].effective_bid, price);

    // The publisher reports 10,000 impressions; the committee attests the report.
    let reported = dispatch(
        &ws,
        publisher,
        RuntimeCall::Ads(pallet_ads::Call::report_interactions {
            campaign,
            impressions: 10_000,
            clicks: 0,
            log_hash: H256::repeat_byte(0x10),
        }),
        "report_interactions",
    )
    .await;
    let (report, payload_hash) = events_in(&c, reported, |e| match e {
        RuntimeEvent::Ads(pallet_ads::Event::InteractionsReported {
            report,
            payload_hash,
            ..
        }) => Some((report, payload_hash)),
        _ => None,
    })
    .await[0];
    assert_eq!(
        payload_hash,
        pallet_ads::report_payload_hash(
            report,
            campaign,
            &publisher.to_account_id(),
            10_000,
            0,
            &H256::repeat_byte(0x10)
        ),
        "the payload hash the committee recomputes from the log"
    );
    attest_valid(&c, &ws, EventClass::AdInteraction, payload_hash).await;

    // Anyone settles; the campaign pays 10,000 × 2 / 1,000 = 20 ECHO: 10% to the treasury,
    // the rest to the publisher's ledger entry.
    let treasury_before = free(&c, &echonet_runtime::fees::TreasuryAccount::get()).await;
    let owed_before = owed(&c, &publisher.to_account_id()).await;
    let settle = RuntimeCall::Ads(pallet_ads::Call::settle_reports {
        report_ids: vec![report].try_into().expect("one report"),
    });
    dispatch(
        &ws,
        Sr25519Keyring::Ferdie,
        settle.clone(),
        "settle_reports",
    )
    .await;
    let due = 20 * UNITS;
    let protocol = due / 10;
    assert_eq!(
        owed(&c, &publisher.to_account_id()).await - owed_before,
        due - protocol
    );
    let treasury_after = free(&c, &echonet_runtime::fees::TreasuryAccount::get()).await;
    assert!(
        treasury_after >= treasury_before + protocol,
        "the treasury took the protocol share: {treasury_before} -> {treasury_after}"
    );
    assert_eq!(held(c.clone()).await, budget - due, "the budget went down");
    let left: pallet_ads::CampaignOf<Runtime> = value(
        &c,
        &pallet_ads::Campaigns::<Runtime>::hashed_key_for(campaign),
    )
    .await
    .expect("the campaign");
    assert_eq!(left.remaining, budget - due);

    // A receipt settles once: the same report again pays nothing.
    let _ = submit_and_dispatch(&ws, Sr25519Keyring::Ferdie, settle).await;
    assert_eq!(
        owed(&c, &publisher.to_account_id()).await - owed_before,
        due - protocol
    );
    assert_eq!(held(c.clone()).await, budget - due);
    node.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engagement_period_is_scored_attested_claimed_and_paid() {
    let node = Node::dev("poe").await;
    let c = node.http();
    let ws = node.ws().await;
    // Fund the pool; the next period to close takes it (dev periods are 10 blocks).
    let funded = 1_000 * UNITS;
    dispatch(
        &ws,
        Sr25519Keyring::Ferdie,
        RuntimeCall::Poe(pallet_poe::Call::fund { amount: funded }),
        "fund",
    )
    .await;
    let mut closed = None;
    rpc::watch_events(
        &c,
        &ws,
        "a period that holds the funding",
        Duration::from_secs(60),
        |_, e| {
            if let RuntimeEvent::Poe(pallet_poe::Event::PeriodClosed { period, pool, .. }) = e {
                if *pool >= funded {
                    closed = Some((*period, *pool));
                }
            }
            closed.is_some()
        },
    )
    .await;
    let (period, pool) = closed.expect("a closed period");

    // The reference aggregator scores the period's engagement (no reputation on the dev
    // chain, whose floor is 0: scores are the summed weights).
    let (bob, charlie) = (
        Sr25519Keyring::Bob.to_account_id(),
        Sr25519Keyring::Charlie.to_account_id(),
    );
    let events = vec![
        (bob.clone(), 30u64),
        (charlie.clone(), 10),
        (bob.clone(), 10),
    ];
    let scoring = pallet_poe::aggregator::ScoringParams {
        reputation_floor: 0,
        ..Default::default()
    };
    let agg =
        pallet_poe::aggregator::aggregate(period, events, |_| 0, &scoring).expect("the aggregate");
    assert_eq!(agg.total_score, 50);
    let submitted = dispatch(
        &ws,
        Sr25519Keyring::Eve,
        RuntimeCall::Poe(pallet_poe::Call::submit_scores {
            period,
            root: agg.root,
            total_score: agg.total_score,
            leaves: agg.leaf_count(),
        }),
        "submit_scores",
    )
    .await;
    let payload_hash = events_in(&c, submitted, |e| match e {
        RuntimeEvent::Poe(pallet_poe::Event::ScoresSubmitted { payload_hash, .. }) => {
            Some(payload_hash)
        }
        _ => None,
    })
    .await[0];
    attest_valid(&c, &ws, EventClass::Engagement, payload_hash).await;
    dispatch(
        &ws,
        Sr25519Keyring::Ferdie,
        RuntimeCall::Poe(pallet_poe::Call::accept_scores {
            period,
            root: agg.root,
            total_score: agg.total_score,
            leaves: agg.leaf_count(),
        }),
        "accept_scores",
    )
    .await;

    // Each account claims pool × score / total with its proof (anyone may pay for it).
    for (who, payer) in [
        (&bob, Sr25519Keyring::Ferdie),
        (&charlie, Sr25519Keyring::Charlie),
    ] {
        let leaf = agg
            .leaves
            .iter()
            .find(|l| &l.account == who)
            .expect("a leaf")
            .clone();
        let claim = RuntimeCall::Poe(pallet_poe::Call::claim {
            period,
            index: leaf.index,
            account: who.clone(),
            score: leaf.score,
            proof: agg
                .proof(leaf.index)
                .expect("a proof")
                .try_into()
                .expect("a short proof"),
        });
        let before = owed(&c, who).await;
        dispatch(&ws, payer, claim.clone(), "claim").await;
        let expected = pool * leaf.score / agg.total_score;
        assert_eq!(owed(&c, who).await - before, expected, "{who}'s reward");
        // Paid once.
        assert!(
            submit_and_dispatch(&ws, payer, claim).await.is_err(),
            "a second claim of the same leaf succeeded"
        );
        assert_eq!(owed(&c, who).await - before, expected);
    }
    node.assert_no_panic();
}
