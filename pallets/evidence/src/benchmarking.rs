//! Benchmarks of pallet-evidence (frame-benchmarking v2).
//!
//! The runtime runs natively (std), so the proofs are signed here with `sp_core` key pairs
//! instead of the keystore host functions a wasm benchmark would use.

use super::*;
use crate::Pallet as EvidencePallet;
use frame_benchmarking::v2::*;
use frame_support::{pallet_prelude::*, traits::Hooks};
use frame_system::{pallet_prelude::*, RawOrigin};
use sp_core::Pair;
use sp_runtime::{
    traits::{Header as _, Saturating},
    DigestItem,
};

fn aura_pair() -> sp_core::sr25519::Pair {
    sp_core::sr25519::Pair::from_seed(&[7; 32])
}

fn grandpa_pair() -> sp_core::ed25519::Pair {
    sp_core::ed25519::Pair::from_seed(&[9; 32])
}

/// A header of `slot` sealed by `pair`; `salt` makes distinct blocks.
fn sealed<T: Config>(slot: u64, salt: u8) -> HeaderFor<T> {
    let mut header = HeaderFor::<T>::new(
        1u32.into(),
        Default::default(),
        Default::default(),
        T::Hash::decode(&mut &[salt; 32][..]).unwrap_or_default(),
        Default::default(),
    );
    header
        .digest_mut()
        .push(DigestItem::PreRuntime(*b"aura", slot.encode()));
    let signature = aura_pair().sign(header.hash().as_ref());
    header
        .digest_mut()
        .push(DigestItem::Seal(*b"aura", signature.encode()));
    header
}

fn grandpa_proof<T: Config>(set_id: SetId, round: u64) -> GrandpaProof<T> {
    let vote = |salt: u8| {
        let target = T::Hash::decode(&mut &[salt; 32][..]).unwrap_or_default();
        let prevote = finality_grandpa::Prevote::new(target, 1u32.into());
        let payload = sp_consensus_grandpa::localized_payload(
            round,
            set_id,
            &finality_grandpa::Message::Prevote(prevote.clone()),
        );
        (prevote, grandpa_pair().sign(&payload).into())
    };
    sp_consensus_grandpa::EquivocationProof::new(
        set_id,
        sp_consensus_grandpa::Equivocation::Prevote(finality_grandpa::Equivocation {
            round_number: round,
            identity: grandpa_pair().public().into(),
            first: vote(1),
            second: vote(2),
        }),
    )
}

/// Makes the benchmark key an authority of `set_id` and, owning every slot (a set of
/// one), of the oldest session kept: every later session kept starts after the slots the
/// benchmarks use, so finding the session of a slot walks the whole history.
fn record_benchmark_authorities<T: Config>(set_id: SetId) {
    let session = T::SessionIndex::get();
    let oldest = session.saturating_sub(T::HistoryDepth::get());
    for s in oldest..=session {
        SessionFirstSlot::<T>::insert(s, if s == oldest { 0 } else { u64::MAX });
    }
    AuraSets::<T>::insert(
        oldest,
        BoundedVec::truncate_from(alloc::vec![AuraId::from(aura_pair().public())]),
    );
    GrandpaSets::<T>::insert(
        set_id,
        BoundedVec::truncate_from(alloc::vec![GrandpaId::from(grandpa_pair().public())]),
    );
    GrandpaSetSessions::<T>::insert(set_id, (oldest, session));
}

/// Fills the evidence queue with `n` records reported at block 0.
fn fill_queue<T: Config>(n: u32) {
    let mut queue = Queue::<T>::get();
    for i in 0..n {
        let key = ReportKey {
            kind: EquivocationKind::Grandpa,
            offender: [1; 32],
            set_id: 0,
            slot_or_round: u64::from(i),
        };
        let record = EvidenceRecord {
            key: key.clone(),
            session: 0,
            reported_at: 0u32.into(),
            offence_sessions: (0, 0),
        };
        Evidence::<T>::insert(&key, record);
        let _ = queue.try_push((0u32.into(), key));
    }
    Queue::<T>::put(queue);
}

#[benchmarks]
mod benchmarks {
    use super::*;

    /// The offender is not in the current Aura set: the check reads the recorded sets.
    #[benchmark]
    fn report_aura_equivocation(h: Linear<0, 1>) {
        record_benchmark_authorities::<T>(0);
        let proof = AuraEquivocationProof {
            offender: aura_pair().public().into(),
            first: sealed::<T>(5, 1),
            second: sealed::<T>(5, 2 + h as u8),
        };
        #[extrinsic_call]
        _(RawOrigin::None, alloc::boxed::Box::new(proof));
        assert_eq!(Queue::<T>::get().len(), 1);
    }

    /// The proof is for a recorded past set (not the current one).
    #[benchmark]
    fn report_grandpa_equivocation() {
        let set_id = 1_000;
        record_benchmark_authorities::<T>(set_id);
        let proof = grandpa_proof::<T>(set_id, 3);
        #[extrinsic_call]
        _(RawOrigin::None, alloc::boxed::Box::new(proof));
        assert_eq!(Queue::<T>::get().len(), 1);
    }

    /// `r = 1`: the session and set moved, both sets are recorded and old ones removed.
    #[benchmark]
    fn on_initialize_record(r: Linear<0, 1>) {
        if r == 1 {
            LastRecorded::<T>::put((u32::MAX, SetId::MAX));
        }
        #[block]
        {
            EvidencePallet::<T>::on_initialize(1u32.into());
        }
        assert!(LastRecorded::<T>::get().is_some());
    }

    /// Pruning `p` expired records.
    #[benchmark]
    fn on_initialize_prune(p: Linear<0, MAX_PRUNE_PER_BLOCK>) {
        fill_queue::<T>(p.min(T::MaxEvidence::get()));
        let now = T::RetentionPeriod::get().saturating_add(1u32.into());
        #[block]
        {
            EvidencePallet::<T>::prune(now);
        }
        assert!(Queue::<T>::get().is_empty());
    }

    impl_benchmark_test_suite!(
        EvidencePallet,
        crate::mock::new_test_ext(),
        crate::mock::Test
    );
}
