//! Range checks: `x < 2^n` by an `n`-bit decomposition (`n + 1` constraints).

use ark_r1cs_std::prelude::*;

use super::{Fv, SynthesisError, F};

/// Enforces `x < 2^n` and returns its little-endian bits (`n + 1` constraints).
pub fn range_check(x: &Fv, n: usize) -> Result<Vec<Boolean<F>>, SynthesisError> {
    let (bits, _rest) = x.to_bits_le_with_top_bits_zero(n)?;
    Ok(bits)
}

/// Allocates `n` witness bits of `value` (`n` constraints, booleanity only).
pub fn alloc_bits(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<F>,
    value: u64,
    n: usize,
) -> Result<Vec<Boolean<F>>, SynthesisError> {
    (0..n)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok((value >> i) & 1 == 1)))
        .collect()
}
