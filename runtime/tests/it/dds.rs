//! The distributed data store's chain side in the real runtime (issue 17): on the
//! development preset, two providers hold a deal's shards; the epoch's challenges reach
//! them through `DdsApi_challenges`; the one that answers with Merkle proofs built by the
//! shared primitives is paid from the deal, the one that does not is slashed to the
//! treasury once its deadline has passed.

use crate::staking::ext;
use codec::{Decode, Encode};
use echonet_runtime::{AccountId, Dds, Runtime, RuntimeOrigin, System, UNITS};
use frame_support::{
    assert_ok,
    traits::{fungible::Inspect, Hooks},
    BoundedVec,
};
use pallet_dds::{merkle, Challenge, ChallengeId, ShardHolder};
use sp_keyring::Sr25519Keyring;

type Balances = pallet_balances::Pallet<Runtime>;

fn account(k: Sr25519Keyring) -> AccountId {
    k.to_account_id()
}

/// Calls runtime API `method` through the runtime's own dispatch, as the node does.
fn api<R: Decode>(method: &str, args: impl Encode) -> R {
    let out = echonet_runtime::apis::api::dispatch(method, &args.encode()).expect("known method");
    R::decode(&mut &out[..]).expect("decodes")
}

fn run_to(n: u32) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Dds::on_initialize(next);
    }
}

#[test]
fn an_answering_provider_is_paid_and_a_silent_one_slashed() {
    ext("development").execute_with(|| {
        let (alice, bob, ferdie) = (
            account(Sr25519Keyring::Alice),
            account(Sr25519Keyring::Bob),
            account(Sr25519Keyring::Ferdie),
        );
        let params = Dds::params();
        for who in [&alice, &bob] {
            assert_ok!(Dds::register_provider(
                RuntimeOrigin::signed(who.clone()),
                params.min_bond,
                1 << 30,
                BoundedVec::truncate_from(who.encode()),
                BoundedVec::new(),
                None,
            ));
        }
        // 100 KiB in 64 KiB chunks of 4 + 2 shards: 12 shards, two segments of 4 KiB each
        // in the first chunk's shards.
        let layout = merkle::Layout::new(100 * 1024, 64 * 1024, 4, 2).unwrap();
        let shards: Vec<Vec<u8>> = (0..layout.shard_count())
            .map(|s| vec![s as u8; layout.shard_len(s).unwrap() as usize])
            .collect();
        let roots: Vec<_> = shards.iter().map(|s| merkle::segment_root(s)).collect();
        let root = merkle::content_root(&roots).unwrap();
        let cid = merkle::cid(&layout.header(), &root);
        assert_ok!(Dds::open_deal(
            RuntimeOrigin::signed(ferdie.clone()),
            cid,
            root,
            layout.header(),
            100,
            UNITS,
        ));
        let holders: Vec<ShardHolder<AccountId>> = api("DdsApi_assignments", cid);
        assert_eq!(holders.len(), 12);
        for who in [&alice, &bob] {
            let mine: Vec<u32> = holders
                .iter()
                .filter(|h| h.provider.as_ref() == Some(who))
                .map(|h| h.shard)
                .collect();
            assert!(!mine.is_empty(), "both providers hold shards");
            assert_ok!(Dds::confirm_stored(
                RuntimeOrigin::signed(who.clone()),
                0,
                BoundedVec::truncate_from(mine),
            ));
        }

        // The first epoch boundary draws challenges from the runtime's randomness.
        let epoch_length = params.epoch_length;
        run_to(epoch_length + 1);
        type Open = Vec<(ChallengeId, [u8; 32], Challenge<AccountId, u32>)>;
        let for_alice: Open = api("DdsApi_challenges", &alice);
        let for_bob: Open = api("DdsApi_challenges", &bob);
        assert!(!for_alice.is_empty() && !for_bob.is_empty());
        let alice_before = Balances::balance(&alice);
        for (id, c_id, c) in &for_alice {
            assert_eq!(*c_id, cid);
            let (segment, segment_path) =
                merkle::segment_proof(&shards[c.shard as usize], c.segment).unwrap();
            let shard_path = merkle::content_path(&roots, c.shard).unwrap();
            assert_ok!(Dds::answer_challenge(
                RuntimeOrigin::signed(alice.clone()),
                *id,
                BoundedVec::truncate_from(segment),
                BoundedVec::truncate_from(segment_path),
                BoundedVec::truncate_from(shard_path),
            ));
        }
        assert!(
            Balances::balance(&alice) > alice_before,
            "paid from the deal"
        );

        let treasury = echonet_runtime::fees::TreasuryAccount::get();
        let treasury_before = Balances::balance(&treasury);
        let deadline = for_bob.iter().map(|(_, _, c)| c.deadline).max().unwrap();
        run_to(deadline + 1);
        let slashed = Balances::balance(&treasury) - treasury_before;
        assert_eq!(
            slashed,
            for_bob
                .iter()
                .fold((0, params.min_bond), |(total, bond), _| {
                    let s = params.slash * bond;
                    (total + s, bond - s)
                })
                .0,
            "1% of the remaining bond per missed challenge"
        );
        // Bob's first-epoch challenges are closed (later epochs may have drawn new ones).
        let open: Open = api("DdsApi_challenges", &bob);
        assert!(open
            .iter()
            .all(|(id, _, _)| for_bob.iter().all(|(b, _, _)| b != id)));
    });
}

#[test]
fn the_largest_deal_and_close_fit_in_a_normal_extrinsic() {
    use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
    let max = <Runtime as frame_system::Config>::BlockWeights::get()
        .get(DispatchClass::Normal)
        .max_extrinsic
        .expect("a normal extrinsic limit");
    let header = merkle::Layout::new(1 << 30, 1 << 20, 4, 2)
        .unwrap()
        .header();
    let calls = [
        echonet_runtime::RuntimeCall::Dds(pallet_dds::Call::open_deal {
            cid: [0; 32],
            root: [0; 32],
            header,
            duration: 1,
            price: 1,
        }),
        echonet_runtime::RuntimeCall::Dds(pallet_dds::Call::close_deal { deal: 0 }),
        echonet_runtime::RuntimeCall::Dds(pallet_dds::Call::answer_challenge {
            id: 0,
            segment: BoundedVec::new(),
            segment_path: BoundedVec::new(),
            shard_path: BoundedVec::new(),
        }),
    ];
    for call in calls {
        let w = call.get_dispatch_info().call_weight;
        assert!(w.all_lte(max), "{call:?} weighs {w:?}, above {max:?}");
    }
}
