//! # pallet-payouts
//!
//! Direct monetization (issue 15): tips, subscriptions and one ledger of what each creator
//! is owed, paid out in bounded batches. This file is a placeholder for the shared
//! interfaces ([`traits`]) until the pallet lands.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod traits;
pub use traits::*;
