//! Linear-combination helpers: one symbolic LC per weighted sum instead of one per operation,
//! which keeps synthesis fast (Poseidon's MDS mixing is all weighted sums).

use ark_r1cs_std::{
    fields::fp::{AllocatedFp, FpVar},
    prelude::*,
};
use ark_relations::gr1cs::{LinearCombination, Variable};

use super::{Fv, SynthesisError, F};

/// `Σ cᵢ·vᵢ + constant` as a single variable-free LC (no constraint).
pub fn lincomb(terms: &[(F, &Fv)], constant: F) -> Result<Fv, SynthesisError> {
    let mut cs = None;
    let mut value = Some(constant);
    let mut konst = constant;
    let mut lc = Vec::with_capacity(terms.len() + 1);
    for (c, v) in terms {
        match v {
            FpVar::Constant(k) => {
                konst += *c * k;
                value = value.map(|x| x + *c * k);
            }
            FpVar::Var(a) => {
                cs = Some(a.cs.clone());
                value = match (value, a.value()) {
                    (Some(x), Ok(y)) => Some(x + *c * y),
                    _ => None,
                };
                lc.push((*c, a.variable));
            }
        }
    }
    let Some(cs) = cs else {
        return Ok(FpVar::Constant(konst));
    };
    if !konst.is_zero_const() {
        lc.push((konst, Variable::One));
    }
    let var = cs.new_lc(|| LinearCombination(lc))?;
    Ok(FpVar::Var(AllocatedFp::new(value, var, cs)))
}

trait IsZeroConst {
    fn is_zero_const(&self) -> bool;
}
impl IsZeroConst for F {
    fn is_zero_const(&self) -> bool {
        ark_ff::Zero::is_zero(self)
    }
}

/// A boolean as a 0/1 field variable (no constraint).
pub fn bool_to_fv(b: &Boolean<F>) -> Fv {
    FpVar::from(b.clone())
}

/// `Σ 2^i·bᵢ` (no constraint).
pub fn pack_bits(bits: &[Boolean<F>]) -> Result<Fv, SynthesisError> {
    let vars: Vec<Fv> = bits.iter().map(bool_to_fv).collect();
    let mut coeff = F::from(1u64);
    let mut terms = Vec::with_capacity(vars.len());
    for v in &vars {
        terms.push((coeff, v));
        coeff = coeff + coeff;
    }
    lincomb(&terms, F::from(0u64))
}

/// Enforces `a·b = c` (1 constraint).
pub fn enforce_mul(a: &Fv, b: &Fv, c: &Fv) -> Result<(), SynthesisError> {
    a.mul_equals(b, c)
}

/// Allocates a witness whose value is computed from other variables' values (`None` in setup
/// mode), e.g. a quotient that a constraint then pins down.
pub fn witness_from(
    cs: &ark_relations::gr1cs::ConstraintSystemRef<F>,
    f: impl FnOnce() -> Option<F>,
) -> Result<Fv, SynthesisError> {
    FpVar::new_witness(cs.clone(), || f().ok_or(SynthesisError::AssignmentMissing))
}
