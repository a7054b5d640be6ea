//! # Randomness pallet: per-epoch randomness from block authors' VRF outputs
//!
//! Committees, challenges and samples must not use anything a block author can grind,
//! such as a parent hash. This pallet gives the runtime randomness the way BABE does:
//!
//! - Every block carries a pre-runtime digest with engine id [`VRF_ENGINE_ID`] whose
//!   payload is the SCALE encoding of an sr25519 [`VrfSignature`] (32-byte pre-output and
//!   64-byte proof) by the block's Aura author, over the transcript [`vrf_transcript`] of
//!   (the current epoch randomness [`Randomness`] as stored in the parent state, the
//!   block's slot).
//! - `on_initialize` verifies the proof against the slot author's sr25519 key (the Aura
//!   authority of `slot % n`, which [`Config::SlotAuthor`] supplies). An invalid proof
//!   makes the block invalid (the hook panics, which the node turns into an import
//!   error). A missing digest is invalid too when [`Config::RequireVrf`] is true. A
//!   runtime whose node enforces the digest on import (as EchoNet's does, and as BABE's
//!   client does) sets it false, so that off-chain calls that initialise a block with no
//!   author (a dry run) still work; such a block adds nothing to the randomness.
//! - The verified output (`make_bytes` of the pre-output, 32 bytes) is folded into
//!   [`NextRandomness`]. At the first block of each epoch ([`Config::EpochLength`] blocks),
//!   [`Randomness`] becomes blake2-256(previous randomness, epoch index, accumulator) and
//!   the accumulator restarts.
//!
//! A VRF output is fixed by the author's key, the epoch randomness and the slot, so an
//! author cannot choose it: its only influence is to withhold its block, the same
//! one-bit-per-block bias that BABE has. The randomness of epoch `e` is fixed when `e`
//! starts and is known to no one before the last block of epoch `e - 1`.
//!
//! Consumers read it through [`frame_support::traits::Randomness`] (the current epoch's
//! randomness hashed with the caller's subject) and the epoch index through
//! [`Pallet::current_epoch`].
//!
//! Verification runs in the runtime rather than only in the node, because EchoNet's
//! runtime executes natively: the schnorrkel verification costs the same in either place,
//! and doing it here means a block with a bad VRF proof fails the state transition itself,
//! whichever node imports it.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use codec::Decode;
use sp_core::sr25519::{self, vrf::VrfSignature};
use sp_runtime::DigestItem;

// The digest format lives in echonet-consensus-primitives, which the node uses too;
// re-exported so that the pallet's users keep their paths.
pub use echonet_consensus_primitives::vrf::{
    verify_vrf, vrf_digest_item, vrf_sign_data, vrf_transcript, VRF_ENGINE_ID, VRF_OUTPUT_CONTEXT,
    VRF_TRANSCRIPT_LABEL,
};

/// Who authors the current block: its slot and its sr25519 key. The runtime implements it
/// with pallet-aura's current slot and authorities.
pub trait SlotAuthor {
    /// The current slot and its author's key, if known.
    fn current() -> Option<(u64, sr25519::Public)>;
}

/// Wraps a [`SlotAuthor`] so that benchmarks can name the author of the block they
/// build (with `runtime-benchmarks` and `std` only; otherwise it is `S` unchanged).
pub struct BenchmarkableSlotAuthor<S>(core::marker::PhantomData<S>);

impl<S: SlotAuthor> SlotAuthor for BenchmarkableSlotAuthor<S> {
    fn current() -> Option<(u64, sr25519::Public)> {
        #[cfg(all(feature = "runtime-benchmarks", feature = "std"))]
        if let Some(author) = bench_author::get() {
            return Some(author);
        }
        S::current()
    }
}

/// The author benchmarks set for [`BenchmarkableSlotAuthor`].
#[cfg(all(feature = "runtime-benchmarks", feature = "std"))]
pub mod bench_author {
    extern crate std;
    use core::cell::RefCell;
    use sp_core::sr25519;

    std::thread_local! {
        static AUTHOR: RefCell<Option<(u64, sr25519::Public)>> = const { RefCell::new(None) };
    }

    /// Sets (or clears) the author.
    pub fn set(author: Option<(u64, sr25519::Public)>) {
        AUTHOR.with(|a| *a.borrow_mut() = author);
    }

    /// The author set, if any.
    pub fn get() -> Option<(u64, sr25519::Public)> {
        AUTHOR.with(|a| *a.borrow())
    }
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use frame_support::pallet_prelude::*;
    use frame_system::pallet_prelude::*;
    use sp_runtime::traits::UniqueSaturatedInto;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// The current slot and its author's sr25519 key.
        type SlotAuthor: SlotAuthor;
        /// Blocks per epoch.
        #[pallet::constant]
        type EpochLength: Get<BlockNumberFor<Self>>;
        /// Whether the runtime rejects a block without a VRF digest (false when the node
        /// enforces the digest on import).
        #[pallet::constant]
        type RequireVrf: Get<bool>;
        /// Weights of the hook.
        type WeightInfo: WeightInfo;
    }

    /// The current epoch's randomness: the VRF input of this epoch's blocks and the seed
    /// of everything drawn in this epoch.
    #[pallet::storage]
    pub type Randomness<T: Config> = StorageValue<_, [u8; 32], ValueQuery>;

    /// The accumulator of this epoch's VRF outputs; it becomes the next epoch's randomness.
    #[pallet::storage]
    pub type NextRandomness<T: Config> = StorageValue<_, [u8; 32], ValueQuery>;

    /// The current epoch. Epoch `e` is blocks `e × EpochLength + 1 ..= (e + 1) × EpochLength`.
    #[pallet::storage]
    pub type EpochIndex<T: Config> = StorageValue<_, u64, ValueQuery>;

    /// The block at which the current epoch started (0 for the genesis epoch).
    #[pallet::storage]
    pub type EpochStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

    /// How many blocks of the current epoch contributed a verified VRF output.
    #[pallet::storage]
    pub type Contributions<T: Config> = StorageValue<_, u32, ValueQuery>;

    /// The randomness that epoch 0 starts with, written to [`Randomness`] at genesis.
    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// The genesis epoch's randomness. Public, as any genesis value is: committees of
        /// epoch 0 are predictable.
        pub randomness: [u8; 32],
        /// Ties the struct to the runtime's `T`, which no field uses; absent from the JSON.
        #[serde(skip)]
        pub _marker: core::marker::PhantomData<T>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            Randomness::<T>::put(self.randomness);
        }
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(now: BlockNumberFor<T>) -> Weight {
            // 1. This block's VRF, against the randomness in the parent state.
            let digest = Self::vrf_digest();
            let randomness = Randomness::<T>::get();
            let output = match (digest, T::SlotAuthor::current()) {
                (Some(signature), Some((slot, author))) => Some(
                    verify_vrf(&author, &randomness, slot, &signature)
                        .expect("block VRF proof must verify against the slot author's key"),
                ),
                (Some(_), None) => panic!("block has a VRF digest but no slot author"),
                (None, _) => {
                    assert!(!T::RequireVrf::get(), "block has no VRF digest");
                    None
                }
            };
            // 2. A new epoch starts: fold the finished one's accumulator in.
            let length: u64 = T::EpochLength::get().unique_saturated_into();
            let block: u64 = now.unique_saturated_into();
            let epoch_of_block = block.saturating_sub(1) / length.max(1);
            let mut weight = T::WeightInfo::on_initialize(output.is_some() as u32, 0);
            if epoch_of_block > EpochIndex::<T>::get() {
                let epoch = epoch_of_block;
                let next = sp_io::hashing::blake2_256(
                    &(randomness, epoch, NextRandomness::<T>::get()).encode(),
                );
                Randomness::<T>::put(next);
                NextRandomness::<T>::kill();
                Contributions::<T>::kill();
                EpochIndex::<T>::put(epoch);
                EpochStart::<T>::put(now);
                weight = T::WeightInfo::on_initialize(output.is_some() as u32, 1);
            }
            // 3. Accumulate this block's output into the epoch it belongs to.
            if let Some(output) = output {
                let acc =
                    sp_io::hashing::blake2_256(&(NextRandomness::<T>::get(), output).encode());
                NextRandomness::<T>::put(acc);
                Contributions::<T>::mutate(|c| *c = c.saturating_add(1));
            }
            weight
        }
    }

    impl<T: Config> Pallet<T> {
        /// The VRF signature in the current block's pre-runtime digest, if any. A digest
        /// that does not decode counts as present and invalid.
        fn vrf_digest() -> Option<VrfSignature> {
            let digest = frame_system::Pallet::<T>::digest();
            let raw = digest.logs.iter().find_map(|item| match item {
                DigestItem::PreRuntime(id, data) if *id == VRF_ENGINE_ID => Some(data.clone()),
                _ => None,
            })?;
            Some(VrfSignature::decode(&mut &raw[..]).expect("VRF digest must decode"))
        }

        /// The current epoch.
        pub fn current_epoch() -> u64 {
            EpochIndex::<T>::get()
        }
    }

    impl<T: Config> frame_support::traits::Randomness<T::Hash, BlockNumberFor<T>> for Pallet<T> {
        /// blake2-256(subject, current epoch randomness), known since the epoch started.
        fn random(subject: &[u8]) -> (T::Hash, BlockNumberFor<T>) {
            let seed = sp_io::hashing::blake2_256(&(subject, Randomness::<T>::get()).encode());
            let hash = T::Hash::decode(&mut &seed[..]).unwrap_or_default();
            (hash, EpochStart::<T>::get())
        }
    }
}
