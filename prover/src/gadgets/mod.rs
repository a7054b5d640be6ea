//! R1CS gadgets over BN254 `Fr`, each the twin of a native function in
//! `echonet-rollup-primitives` and tested against it on random inputs.
//!
//! Costs (constraints) are documented on each function and pinned by tests in
//! `crate::circuit`.

pub mod babyjubjub;
pub mod eddsa;
pub mod lc;
pub mod merkle;
pub mod poseidon;
pub mod range;
pub mod slot;

pub use ark_r1cs_std::fields::fp::FpVar;
pub use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// The field everything is over.
pub type F = ark_bn254::Fr;
/// A field element variable.
pub type Fv = FpVar<F>;
