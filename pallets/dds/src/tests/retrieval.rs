//! Retrieval checks through the `StorageProof` witness committee.

use super::*;
use crate::{retrieval_payload, Error, FailureReason, HoldReason, RetrievalChecks, RetrievalCount};
use frame_support::{assert_noop, assert_ok};
use pallet_witness::{EventClass, Verdict};

/// Requests a check of shard 0 of `deal`; returns its payload hash and provider.
fn request(deal: u64, c: &Content) -> (sp_core::H256, AccountId) {
    let nonce = crate::NextRetrievalNonce::<Test>::get();
    let provider = crate::Assignments::<Test>::get(deal, 0)
        .unwrap()
        .provider
        .unwrap();
    assert_ok!(Dds::request_retrieval_check(signed(STRANGER), deal, 0));
    let hash = retrieval_payload(nonce, &c.cid, &c.root, 0, &provider);
    assert!(MockWitness::submitted(EventClass::StorageProof, &hash));
    (hash, provider)
}

#[test]
fn a_valid_receipt_rewards_the_provider_once() {
    test(|| {
        let (c, deal) = standard_deal();
        let fee_payer = free(STRANGER);
        let (hash, provider) = request(deal, &c);
        assert_eq!(fee_payer - free(STRANGER), EVENT_FEE);
        assert_noop!(
            Dds::settle_retrieval(signed(OWNER), hash),
            Error::<Test>::NoReceipt
        );
        resolve(hash, Verdict::Valid);
        assert_ok!(Dds::settle_retrieval(signed(OWNER), hash));
        assert_eq!(reputation(provider), 1);
        assert_eq!(held(provider, HoldReason::ProviderBond), 5 * MIN_BOND);
        assert_eq!(RetrievalCount::<Test>::get(), 0);
        assert_noop!(
            Dds::settle_retrieval(signed(OWNER), hash),
            Error::<Test>::UnknownCheck
        );
    });
}

#[test]
fn an_invalid_receipt_penalizes_the_provider() {
    test(|| {
        let (c, deal) = standard_deal();
        let (hash, provider) = request(deal, &c);
        resolve(hash, Verdict::Invalid);
        assert_ok!(Dds::settle_retrieval(signed(OWNER), hash));
        assert_eq!(reputation(provider), 95);
        assert_eq!(
            held(provider, HoldReason::ProviderBond),
            5 * MIN_BOND - MIN_BOND / 2
        );
        assert!(events().iter().any(|e| matches!(
            e,
            Event::ProviderPenalized {
                reason: FailureReason::NotRetrieved,
                ..
            }
        )));
        assert!(events().iter().any(|e| matches!(
            e,
            Event::RetrievalSettled {
                retrieved: false,
                ..
            }
        )));
    });
}

#[test]
fn a_receipt_settled_elsewhere_is_refused_and_the_check_kept() {
    test(|| {
        let (c, deal) = standard_deal();
        let (hash, _) = request(deal, &c);
        resolve(hash, Verdict::Valid);
        use pallet_witness::ReceiptProvider;
        assert!(MockWitness::consume(EventClass::StorageProof, &hash).is_ok());
        assert_noop!(
            Dds::settle_retrieval(signed(OWNER), hash),
            Error::<Test>::AlreadySettled
        );
        assert!(RetrievalChecks::<Test>::contains_key(hash));
    });
}

#[test]
fn checks_need_a_confirmed_shard_and_room() {
    test(|| {
        register_n(6, 100 * u64::from(MIB));
        let c = Content::new(65_536, 65_536, 4, 2, 0);
        let deal = open(OWNER, &c, 10, 1_000);
        assert_noop!(
            Dds::request_retrieval_check(signed(STRANGER), deal, 0),
            Error::<Test>::NotConfirmed
        );
        assert_noop!(
            Dds::request_retrieval_check(signed(STRANGER), 9, 0),
            Error::<Test>::UnknownDeal
        );
        assert_noop!(
            Dds::request_retrieval_check(signed(STRANGER), deal, 99),
            Error::<Test>::NotAssigned
        );
        confirm_all(deal);
        for _ in 0..4 {
            assert_ok!(Dds::request_retrieval_check(signed(STRANGER), deal, 0));
        }
        assert_noop!(
            Dds::request_retrieval_check(signed(STRANGER), deal, 0),
            Error::<Test>::TooManyChecks
        );
    });
}
