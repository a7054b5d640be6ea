//! # Evidence pallet
//!
//! Keeps verified evidence of consensus equivocations, so that slashing (the staking
//! pallet) can act on it:
//!
//! - **Aura**: one authority sealed two different headers for the same slot. The proof is
//!   the two sealed headers and the offender's key; the pallet checks both seals
//!   (sr25519 over the hash of the header without its seal), that both headers claim the
//!   same slot in their `PreRuntime(b"aura", slot)` digest, that the hashes differ, and
//!   that the offender owned the slot (`authorities[slot % n]`) in the authority set of
//!   the session that owns the slot: the latest of the current session and the
//!   [`Config::HistoryDepth`] before it whose first slot ([`SessionFirstSlot`]) is not
//!   after the equivocated one.
//! - **GRANDPA**: one authority signed two different votes of the same stage in the same
//!   round. The proof is `sp_consensus_grandpa::EquivocationProof`, checked with
//!   `sp_consensus_grandpa::check_equivocation_proof` (signatures for the proof's set id,
//!   different targets); the offender must be in the GRANDPA authority set of that set id
//!   (the current one or one of the [`Config::HistoryDepth`] recorded before it). The
//!   set id owns the offence in all the sessions it was current in
//!   ([`GrandpaSetSessions`]): the proof does not say when in the set it happened.
//!
//! ## Flow
//!
//! A node that detects an equivocation submits an unsigned (bare) `report_*` extrinsic to
//! its transaction pool. [`ValidateUnsigned`](frame_support::unsigned::ValidateUnsigned)
//! checks the proof in full before the pool accepts it, gives it
//! [`Config::UnsignedPriority`], and tags it by its [`ReportKey`] (kind, offender, slot or
//! set id and round), so one equivocation is reported once however many nodes see it.
//! The call checks the proof again, stores an [`EvidenceRecord`] with the sessions that
//! own the offence (for slashing) and the session of the report, tells
//! [`Config::EvidenceHandler`] (a no-op until staking slashes) and emits
//! [`Event::EquivocationReported`].
//!
//! Records are kept for [`Config::RetentionPeriod`] blocks, then pruned in
//! `on_initialize` (at most [`MAX_PRUNE_PER_BLOCK`] a block). At most
//! [`Config::MaxEvidence`] records exist at once; a report beyond that fails with
//! [`Error::EvidenceFull`] until older ones are pruned.
//!
//! ## Reading the evidence over RPC
//!
//! `state_getStorage` of `twox128("Evidence") ++ twox128("Evidence") ++
//! blake2_128_concat(ReportKey.encode())` gives the SCALE [`EvidenceRecord`]; the key list
//! is under `twox128("Evidence") ++ twox128("Queue")` (a `Vec<(BlockNumber, ReportKey)>`,
//! oldest first). Events are in `System::Events`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use pallet::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_consensus_aura::{
    digests::CompatibleDigestItem,
    sr25519::{AuthorityId as AuraId, AuthoritySignature as AuraSignature},
};
use sp_consensus_grandpa::{AuthorityId as GrandpaId, SetId};
use sp_runtime::traits::Header as HeaderT;

/// Records pruned per block at most.
pub const MAX_PRUNE_PER_BLOCK: u32 = 16;
/// Most digest items a header in an Aura proof may carry (ours carry three).
pub const MAX_PROOF_DIGEST_ITEMS: usize = 16;

/// Which consensus protocol was equivocated in.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
    Debug,
)]
pub enum EquivocationKind {
    /// Two blocks in one slot.
    Aura,
    /// Two prevotes or two precommits in one round.
    Grandpa,
}

/// Identifies one equivocation: the same offence reported twice has the same key.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct ReportKey {
    /// The protocol, which says how to read the other fields.
    pub kind: EquivocationKind,
    /// The offender's public key (Aura sr25519 or GRANDPA ed25519).
    pub offender: [u8; 32],
    /// GRANDPA: the set id; Aura: 0.
    pub set_id: SetId,
    /// Aura: the slot; GRANDPA: the round.
    pub slot_or_round: u64,
}

/// A stored piece of evidence.
#[derive(
    Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct EvidenceRecord<BlockNumber> {
    /// Which offence, by whom (also the record's storage key).
    pub key: ReportKey,
    /// The session during which the report was included.
    pub session: u32,
    /// The block that included the report.
    pub reported_at: BlockNumber,
    /// The sessions that own the offence, first and last: for Aura the one session whose
    /// slot range holds the equivocated slot (both equal); for GRANDPA every session of
    /// the set id (the last one grows while the set is current). Slashing uses these, not
    /// `session`, which whoever submits the report could choose by waiting.
    pub offence_sessions: (u32, u32),
}

/// Two headers sealed by one Aura authority for the same slot.
#[derive(Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug)]
pub struct AuraEquivocationProof<Header> {
    /// The authority said to have sealed both headers.
    pub offender: AuraId,
    /// One sealed header, seal digest last, as it was gossiped.
    pub first: Header,
    /// Another sealed header for the same slot, with a different hash.
    pub second: Header,
}

/// What slashing does with evidence. `()` does nothing.
pub trait EvidenceHandler<BlockNumber> {
    /// Called once per new piece of evidence.
    fn on_equivocation(record: &EvidenceRecord<BlockNumber>);
}

impl<BlockNumber> EvidenceHandler<BlockNumber> for () {
    fn on_equivocation(_: &EvidenceRecord<BlockNumber>) {}
}

/// Why a proof is not evidence of an equivocation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ProofError {
    /// Malformed headers: missing or repeated slot, missing seal, too many digests.
    InvalidHeaders,
    /// The headers are the same block.
    SameBlock,
    /// The headers claim different slots.
    DifferentSlots,
    /// A seal or vote signature does not verify.
    BadSignature,
    /// The offender was not an authority (owning the slot) in a known set.
    UnknownOffender,
}

/// The slot and the pre-seal hash of a sealed Aura header, and its seal.
fn unseal<H: HeaderT>(mut header: H) -> Result<(u64, H::Hash, AuraSignature), ProofError> {
    if header.digest().logs().len() > MAX_PROOF_DIGEST_ITEMS {
        return Err(ProofError::InvalidHeaders);
    }
    let seal = header
        .digest_mut()
        .pop()
        .ok_or(ProofError::InvalidHeaders)?;
    let signature = CompatibleDigestItem::<AuraSignature>::as_aura_seal(&seal)
        .ok_or(ProofError::InvalidHeaders)?;
    let mut slot = None;
    for log in header.digest().logs() {
        if let Some(s) = CompatibleDigestItem::<AuraSignature>::as_aura_pre_digest(log) {
            if slot.is_some() {
                return Err(ProofError::InvalidHeaders);
            }
            slot = Some(*s);
        }
    }
    let slot = slot.ok_or(ProofError::InvalidHeaders)?;
    Ok((slot, header.hash(), signature))
}

/// Checks the two headers of an Aura proof: the same slot, different blocks, and both
/// seals by `proof.offender`. Returns the slot. Authority membership is checked by the
/// pallet.
pub fn check_aura_proof<H: HeaderT>(proof: &AuraEquivocationProof<H>) -> Result<u64, ProofError> {
    if proof.first.hash() == proof.second.hash() {
        return Err(ProofError::SameBlock);
    }
    let (slot1, hash1, sig1) = unseal(proof.first.clone())?;
    let (slot2, hash2, sig2) = unseal(proof.second.clone())?;
    if slot1 != slot2 {
        return Err(ProofError::DifferentSlots);
    }
    let public: &sp_core::sr25519::Public = proof.offender.as_ref();
    for (hash, sig) in [(hash1, sig1), (hash2, sig2)] {
        let sig: &sp_core::sr25519::Signature = sig.as_ref();
        if !sp_io::crypto::sr25519_verify(sig, hash.as_ref(), public) {
            return Err(ProofError::BadSignature);
        }
    }
    Ok(slot1)
}

// `ValidateUnsigned` is deprecated in favour of `#[pallet::authorize]`, which needs the
// runtime's `AuthorizeCall` extension; this runtime's transaction extensions do not have it
// yet, and its pool validates bare extrinsics through `ValidateUnsigned`.
// The deprecation notice the macro expands to is a `let` of unit value.
/// The pallet proper: configuration, storage, the two report calls and the hook that
/// records authority sets and prunes old records.
#[allow(deprecated, clippy::let_unit_value)]
#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::{pallet_prelude::*, traits::Get};
    use frame_system::pallet_prelude::*;
    use sp_runtime::traits::Saturating;

    /// The GRANDPA equivocation proof of this chain.
    pub type GrandpaProof<T> = sp_consensus_grandpa::EquivocationProof<
        <T as frame_system::Config>::Hash,
        BlockNumberFor<T>,
    >;

    /// The evidence pallet.
    #[pallet::pallet]
    pub struct Pallet<T>(_);

    /// What the pallet reads from the runtime (authority sets, session) and its bounds.
    #[pallet::config]
    pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
        /// The current Aura authorities (pallet-aura's `Authorities`).
        type AuraAuthorities: Get<Vec<AuraId>>;
        /// The current GRANDPA set id and authorities (pallet-grandpa's `CurrentSetId` and
        /// `Authorities`).
        type GrandpaAuthorities: Get<(SetId, Vec<GrandpaId>)>;
        /// The current session index (pallet-session's `CurrentIndex`).
        type SessionIndex: Get<u32>;
        /// How many past Aura sets (by session) and GRANDPA sets (by set id) are kept, so
        /// that an equivocation reported just after a change still counts.
        #[pallet::constant]
        type HistoryDepth: Get<u32>;
        /// Most authorities in a recorded set.
        #[pallet::constant]
        type MaxAuthorities: Get<u32>;
        /// Most evidence records kept at once.
        #[pallet::constant]
        type MaxEvidence: Get<u32>;
        /// Blocks a record is kept before it is pruned.
        #[pallet::constant]
        type RetentionPeriod: Get<BlockNumberFor<Self>>;
        /// The priority of report transactions in the pool (above ordinary ones).
        #[pallet::constant]
        type UnsignedPriority: Get<TransactionPriority>;
        /// What is done with new evidence (slashing); `()` for nothing.
        type EvidenceHandler: EvidenceHandler<BlockNumberFor<Self>>;
        /// Weights of the calls and of pruning.
        type WeightInfo: WeightInfo;
        /// The current Aura slot (pallet-aura's `CurrentSlot`), read when a new session is
        /// recorded, to date the slots its authority set owns.
        type CurrentSlot: Get<u64>;
    }

    /// Evidence records by [`ReportKey`].
    #[pallet::storage]
    pub type Evidence<T: Config> =
        StorageMap<_, Blake2_128Concat, ReportKey, EvidenceRecord<BlockNumberFor<T>>, OptionQuery>;

    /// The keys of [`Evidence`] with the block that stored each, oldest first: the pruning
    /// order.
    #[pallet::storage]
    pub type Queue<T: Config> =
        StorageValue<_, BoundedVec<(BlockNumberFor<T>, ReportKey), T::MaxEvidence>, ValueQuery>;

    /// Aura authority sets by the session they were recorded in (at most
    /// [`Config::HistoryDepth`] + 1 sessions).
    #[pallet::storage]
    pub type AuraSets<T: Config> =
        StorageMap<_, Twox64Concat, u32, BoundedVec<AuraId, T::MaxAuthorities>, OptionQuery>;

    /// GRANDPA authority sets by set id (at most [`Config::HistoryDepth`] + 1 sets).
    #[pallet::storage]
    pub type GrandpaSets<T: Config> =
        StorageMap<_, Twox64Concat, SetId, BoundedVec<GrandpaId, T::MaxAuthorities>, OptionQuery>;

    /// The session and GRANDPA set id last recorded in [`AuraSets`] and [`GrandpaSets`].
    #[pallet::storage]
    pub type LastRecorded<T: Config> = StorageValue<_, (u32, SetId), OptionQuery>;

    /// Session → the first slot its Aura set authors: the slot after the block that
    /// started the session (that block was still authored by the previous set, chosen
    /// in its parent's state); 0 for the first session recorded. A slot belongs to the
    /// latest session whose first slot is not after it. Kept as long as [`AuraSets`].
    #[pallet::storage]
    pub type SessionFirstSlot<T: Config> = StorageMap<_, Twox64Concat, u32, u64, OptionQuery>;

    /// GRANDPA set id → the first and last session it was the current set in (the last
    /// grows while it stays current: pallet-session keeps a set across sessions whose
    /// validators do not change). Kept as long as [`GrandpaSets`].
    #[pallet::storage]
    pub type GrandpaSetSessions<T: Config> =
        StorageMap<_, Twox64Concat, SetId, (u32, u32), OptionQuery>;

    /// What the pallet tells the outside world.
    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// An equivocation was proven and recorded.
        EquivocationReported {
            /// Aura or GRANDPA.
            kind: EquivocationKind,
            /// The offender's public key.
            offender: [u8; 32],
            /// The session during which the report was included.
            session: u32,
            /// Aura: the slot; GRANDPA: the round.
            slot_or_round: u64,
            /// GRANDPA: the set id; Aura: 0.
            set_id: SetId,
            /// The first and last session that own the offence (see
            /// [`EvidenceRecord::offence_sessions`]).
            offence_sessions: (u32, u32),
        },
    }

    /// Why a report was refused.
    #[pallet::error]
    pub enum Error<T> {
        /// The proof's headers are malformed (slot or seal missing or repeated).
        InvalidHeaders,
        /// Both headers are the same block.
        SameBlock,
        /// The headers are for different slots.
        DifferentSlots,
        /// A seal or vote signature does not verify, or the votes are not conflicting.
        InvalidProof,
        /// The offender is not an authority of a known set (or did not own the slot).
        UnknownOffender,
        /// This equivocation was already reported.
        DuplicateReport,
        /// [`Config::MaxEvidence`] records are stored; try again after pruning.
        EvidenceFull,
    }

    impl<T> From<ProofError> for Error<T> {
        fn from(e: ProofError) -> Self {
            match e {
                ProofError::InvalidHeaders => Error::InvalidHeaders,
                ProofError::SameBlock => Error::SameBlock,
                ProofError::DifferentSlots => Error::DifferentSlots,
                ProofError::BadSignature => Error::InvalidProof,
                ProofError::UnknownOffender => Error::UnknownOffender,
            }
        }
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            let recorded = Self::record_sets();
            let pruned = Self::prune(now);
            T::WeightInfo::on_initialize_record(recorded as u32)
                .saturating_add(T::WeightInfo::on_initialize_prune(pruned))
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Reports two headers sealed by one Aura authority for the same slot. Unsigned:
        /// the proof is the authority.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::report_aura_equivocation(T::HistoryDepth::get()))]
        pub fn report_aura_equivocation(
            origin: OriginFor<T>,
            proof: alloc::boxed::Box<AuraEquivocationProof<HeaderFor<T>>>,
        ) -> DispatchResult {
            ensure_none(origin)?;
            let (key, session) = Self::check_aura_owner(&proof).map_err(Error::<T>::from)?;
            Self::store(key, (session, session))
        }

        /// Reports two conflicting GRANDPA votes of one authority in one round. Unsigned:
        /// the proof is the authority.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::report_grandpa_equivocation())]
        pub fn report_grandpa_equivocation(
            origin: OriginFor<T>,
            proof: alloc::boxed::Box<GrandpaProof<T>>,
        ) -> DispatchResult {
            ensure_none(origin)?;
            let (key, sessions) = Self::check_grandpa_sessions(&proof).map_err(Error::<T>::from)?;
            Self::store(key, sessions)
        }
    }

    #[pallet::validate_unsigned]
    impl<T: Config> ValidateUnsigned for Pallet<T> {
        type Call = Call<T>;

        fn validate_unsigned(_source: TransactionSource, call: &Self::Call) -> TransactionValidity {
            // Any node may relay a report: the proof authenticates itself.
            let key = match call {
                Call::report_aura_equivocation { proof } => Self::check_aura(proof),
                Call::report_grandpa_equivocation { proof } => {
                    Self::check_grandpa_sessions(proof).map(|(key, _)| key)
                }
                _ => return InvalidTransaction::Call.into(),
            }
            .map_err(|_| InvalidTransaction::BadProof)?;
            if Evidence::<T>::contains_key(&key) {
                return InvalidTransaction::Stale.into();
            }
            ValidTransaction::with_tag_prefix("Evidence")
                .priority(T::UnsignedPriority::get())
                .and_provides(key)
                .longevity(64)
                .propagate(true)
                .build()
        }
    }

    impl<T: Config> Pallet<T> {
        /// Records the current Aura and GRANDPA sets if the session or set id moved since
        /// the last record, and forgets those older than the history. Returns whether it
        /// wrote.
        pub(crate) fn record_sets() -> bool {
            let session = T::SessionIndex::get();
            let (set_id, grandpa) = T::GrandpaAuthorities::get();
            let last = LastRecorded::<T>::get();
            if last == Some((session, set_id)) {
                return false;
            }
            let depth = T::HistoryDepth::get();
            if last.is_none_or(|(s, _)| s != session) {
                let aura = BoundedVec::truncate_from(T::AuraAuthorities::get());
                AuraSets::<T>::insert(session, aura);
                // This block was authored by the previous session's set: the new set
                // authors from the next slot on.
                let first_slot = match last {
                    None => 0,
                    Some(_) => T::CurrentSlot::get().saturating_add(1),
                };
                SessionFirstSlot::<T>::insert(session, first_slot);
                if let Some(old) = session.checked_sub(depth.saturating_add(1)) {
                    AuraSets::<T>::remove(old);
                    SessionFirstSlot::<T>::remove(old);
                }
            }
            if last.is_none_or(|(_, s)| s != set_id) {
                GrandpaSets::<T>::insert(set_id, BoundedVec::truncate_from(grandpa));
                GrandpaSetSessions::<T>::insert(set_id, (session, session));
                if let Some(old) = set_id.checked_sub(u64::from(depth).saturating_add(1)) {
                    GrandpaSets::<T>::remove(old);
                    GrandpaSetSessions::<T>::remove(old);
                }
            } else {
                GrandpaSetSessions::<T>::mutate(set_id, |sessions| {
                    if let Some((_, last)) = sessions {
                        *last = session;
                    }
                });
            }
            LastRecorded::<T>::put((session, set_id));
            true
        }

        /// Removes records older than the retention period, at most
        /// [`MAX_PRUNE_PER_BLOCK`]. Returns how many.
        pub(crate) fn prune(now: BlockNumberFor<T>) -> u32 {
            let retention = T::RetentionPeriod::get();
            let queue = Queue::<T>::get();
            let expired = queue
                .iter()
                .take(MAX_PRUNE_PER_BLOCK as usize)
                .take_while(|(at, _)| at.saturating_add(retention) <= now)
                .count();
            if expired == 0 {
                return 0;
            }
            for (_, key) in queue.iter().take(expired) {
                Evidence::<T>::remove(key);
            }
            let rest = queue.into_inner().split_off(expired);
            Queue::<T>::put(BoundedVec::truncate_from(rest));
            expired as u32
        }

        /// The report key of a valid Aura proof.
        pub fn check_aura(
            proof: &AuraEquivocationProof<HeaderFor<T>>,
        ) -> Result<ReportKey, ProofError> {
            Self::check_aura_owner(proof).map(|(key, _)| key)
        }

        /// The session that owns `slot`: the latest recorded one (within
        /// [`Config::HistoryDepth`]) whose first slot is not after it.
        pub fn session_of_slot(slot: u64) -> Option<u32> {
            let session = T::SessionIndex::get();
            (0..=T::HistoryDepth::get())
                .filter_map(|back| session.checked_sub(back))
                .find(|s| SessionFirstSlot::<T>::get(s).is_some_and(|first| first <= slot))
        }

        /// The report key of a valid Aura proof and the session that owns its slot. The
        /// offender must own the slot in that session's set, not merely in some recent
        /// one.
        pub fn check_aura_owner(
            proof: &AuraEquivocationProof<HeaderFor<T>>,
        ) -> Result<(ReportKey, u32), ProofError> {
            let slot = check_aura_proof(proof)?;
            let session = Self::session_of_slot(slot).ok_or(ProofError::UnknownOffender)?;
            let set = match AuraSets::<T>::get(session) {
                Some(set) => set.into_inner(),
                // Not recorded yet (only before this block's `on_initialize`).
                None if session == T::SessionIndex::get() => T::AuraAuthorities::get(),
                None => return Err(ProofError::UnknownOffender),
            };
            let owns_slot = !set.is_empty()
                && set.get((slot % set.len() as u64) as usize) == Some(&proof.offender);
            if !owns_slot {
                return Err(ProofError::UnknownOffender);
            }
            let public: &sp_core::sr25519::Public = proof.offender.as_ref();
            Ok((
                ReportKey {
                    kind: EquivocationKind::Aura,
                    offender: public.0,
                    set_id: 0,
                    slot_or_round: slot,
                },
                session,
            ))
        }

        /// The report key of a valid GRANDPA proof and the first and last session of its
        /// set id (see [`GrandpaSetSessions`]).
        pub fn check_grandpa_sessions(
            proof: &GrandpaProof<T>,
        ) -> Result<(ReportKey, (u32, u32)), ProofError> {
            let key = Self::check_grandpa(proof)?;
            let sessions =
                GrandpaSetSessions::<T>::get(key.set_id).ok_or(ProofError::UnknownOffender)?;
            Ok((key, sessions))
        }

        /// The report key of a valid GRANDPA proof.
        pub fn check_grandpa(proof: &GrandpaProof<T>) -> Result<ReportKey, ProofError> {
            let offender = proof.offender().clone();
            let set_id = proof.set_id();
            let (current_id, current) = T::GrandpaAuthorities::get();
            let known = if set_id == current_id {
                current.contains(&offender)
            } else {
                GrandpaSets::<T>::get(set_id).is_some_and(|set| set.contains(&offender))
            };
            if !known {
                return Err(ProofError::UnknownOffender);
            }
            let round = proof.round();
            if !sp_consensus_grandpa::check_equivocation_proof(proof.clone()) {
                return Err(ProofError::BadSignature);
            }
            let public: &sp_core::ed25519::Public = offender.as_ref();
            Ok(ReportKey {
                kind: EquivocationKind::Grandpa,
                offender: public.0,
                set_id,
                slot_or_round: round,
            })
        }

        fn store(key: ReportKey, offence_sessions: (u32, u32)) -> DispatchResult {
            ensure!(
                !Evidence::<T>::contains_key(&key),
                Error::<T>::DuplicateReport
            );
            let now = frame_system::Pallet::<T>::block_number();
            let mut queue = Queue::<T>::get();
            queue
                .try_push((now, key.clone()))
                .map_err(|_| Error::<T>::EvidenceFull)?;
            let record = EvidenceRecord {
                key: key.clone(),
                session: T::SessionIndex::get(),
                reported_at: now,
                offence_sessions,
            };
            Queue::<T>::put(queue);
            Evidence::<T>::insert(&key, &record);
            T::EvidenceHandler::on_equivocation(&record);
            Self::deposit_event(Event::EquivocationReported {
                kind: key.kind,
                offender: key.offender,
                session: record.session,
                slot_or_round: key.slot_or_round,
                set_id: key.set_id,
                offence_sessions,
            });
            Ok(())
        }
    }
}
