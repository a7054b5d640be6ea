//! Reader for snarkjs' Groth16 proving keys (`.zkey`), the output of a snarkjs ceremony
//! (`groth16 setup` from a prepared powers of tau, then `zkey contribute`).
//!
//! The sections (iden3 container, see [`crate::binfile`]):
//!
//! | # | content                                                                        |
//! |---|--------------------------------------------------------------------------------|
//! | 1 | protocol: `1` = Groth16                                                        |
//! | 2 | `n8q, q, n8r, r, nVars, nPublic, domainSize`, α₁, β₁, β₂, γ₂, δ₁, δ₂             |
//! | 3 | IC: `nPublic + 1` points of G1 (arkworks' `gamma_abc_g1`)                       |
//! | 4 | the `A` and `B` coefficients of the R1CS (and of the instance rows) the key is for |
//! | 5, 6, 7 | `A`, `B` in G1, `B` in G2: one point per wire (`a_query`, `b_g1_query`, `b_g2_query`) |
//! | 8 | `C`: one point per private wire (`l_query`)                                     |
//! | 9 | `H`: `domainSize` points for circom's QAP reduction ([`crate::qap`])            |
//! | 10| the contributions (hashes and proofs of knowledge; `snarkjs zkey verify` reads them) |
//!
//! Coordinates are little-endian in Montgomery form (`x·2²⁵⁶ mod q`) and the point at
//! infinity is all zeros; section 4's values are stored as `v·2⁵¹² mod r`. Every point is
//! checked to be on the curve and in the prime-order subgroup; every number to be canonical.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{Field, PrimeField, Zero};

use crate::binfile::{FormatError, Reader, Sections};
use crate::r1cs::field_le;
use crate::{ProvingKey, VerifyingKey};

const N8: usize = 32;
const G1_SIZE: usize = 2 * N8;
const G2_SIZE: usize = 4 * N8;
const GROTH16: u32 = 1;

/// One entry of section 4: `matrix` (0 = `A`, 1 = `B`) has `value` at (`constraint`, `signal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Coefficient {
    /// 0 for `A`, 1 for `B`.
    pub matrix: u32,
    /// The row; rows from the R1CS's constraint count on are the instance rows.
    pub constraint: u32,
    /// The wire.
    pub signal: u32,
    /// The coefficient.
    pub value: Fr,
}

/// A parsed snarkjs Groth16 key.
#[derive(Debug, Clone)]
pub struct Zkey {
    /// The key in arkworks' layout (for [`crate::qap::QapReduction::Circom`]).
    pub pk: ProvingKey,
    /// Public signals, not counting `one`.
    pub num_public: usize,
    /// Wires, `one` included.
    pub num_vars: usize,
    /// The QAP domain's size.
    pub domain_size: usize,
    /// Section 4, in file order.
    pub coefficients: Vec<Coefficient>,
}

/// `2^256` in `F` (Montgomery's `R`).
fn montgomery_r<F: PrimeField>() -> F {
    F::from(2u64).pow([256u64])
}

struct Decoder {
    r_inv_q: Fq,
}

impl Decoder {
    fn fq(&self, r: &mut Reader<'_>, what: &'static str) -> Result<Fq, FormatError> {
        Ok(field_le::<Fq>(r.take(N8)?, what)? * self.r_inv_q)
    }

    fn g1(&self, r: &mut Reader<'_>, what: &'static str) -> Result<G1Affine, FormatError> {
        let x = self.fq(r, what)?;
        let y = self.fq(r, what)?;
        if x.is_zero() && y.is_zero() {
            return Ok(G1Affine::zero());
        }
        let p = G1Affine::new_unchecked(x, y);
        if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
            return Err(FormatError::InvalidPoint(what));
        }
        Ok(p)
    }

    fn g2(&self, r: &mut Reader<'_>, what: &'static str) -> Result<G2Affine, FormatError> {
        let x = Fq2::new(self.fq(r, what)?, self.fq(r, what)?);
        let y = Fq2::new(self.fq(r, what)?, self.fq(r, what)?);
        if x.is_zero() && y.is_zero() {
            return Ok(G2Affine::zero());
        }
        let p = G2Affine::new_unchecked(x, y);
        if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
            return Err(FormatError::InvalidPoint(what));
        }
        Ok(p)
    }

    fn g1s(
        &self,
        sections: &Sections<'_>,
        ty: u32,
        count: usize,
        what: &'static str,
    ) -> Result<Vec<G1Affine>, FormatError> {
        let mut r = sections.get(ty, what)?;
        r.check_items(count as u64, G1_SIZE)?;
        let out = (0..count)
            .map(|_| self.g1(&mut r, what))
            .collect::<Result<_, _>>()?;
        r.finish(ty)?;
        Ok(out)
    }
}

fn modulus_le<F: PrimeField>() -> Vec<u8> {
    use ark_ff::BigInteger;
    F::MODULUS.to_bytes_le()
}

impl Zkey {
    /// Parses a `.zkey` file. Bounded by the file's size; refuses anything but a Groth16 key
    /// over BN254.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let sections = Sections::parse(bytes, "zkey")?;
        let mut s1 = sections.get(1, "protocol")?;
        let protocol = s1.u32()?;
        if protocol != GROTH16 {
            return Err(FormatError::UnsupportedProtocol(protocol));
        }
        let d = Decoder {
            r_inv_q: montgomery_r::<Fq>()
                .inverse()
                .ok_or(FormatError::WrongField("R"))?,
        };

        let mut h = sections.get(2, "Groth16 header")?;
        if h.u32()? as usize != N8 || h.take(N8)? != modulus_le::<Fq>().as_slice() {
            return Err(FormatError::WrongField("base field is not BN254's"));
        }
        if h.u32()? as usize != N8 || h.take(N8)? != modulus_le::<Fr>().as_slice() {
            return Err(FormatError::WrongField("scalar field is not BN254's"));
        }
        let num_vars = h.u32()? as usize;
        let num_public = h.u32()? as usize;
        let domain_size = h.u32()? as usize;
        if num_public >= num_vars || !domain_size.is_power_of_two() {
            return Err(FormatError::OutOfRange(format!(
                "{num_vars} variables, {num_public} public, domain {domain_size}"
            )));
        }
        let alpha_g1 = d.g1(&mut h, "alpha")?;
        let beta_g1 = d.g1(&mut h, "beta")?;
        let beta_g2 = d.g2(&mut h, "beta")?;
        let gamma_g2 = d.g2(&mut h, "gamma")?;
        let delta_g1 = d.g1(&mut h, "delta")?;
        let delta_g2 = d.g2(&mut h, "delta")?;
        h.finish(2)?;

        let gamma_abc_g1 = d.g1s(&sections, 3, num_public + 1, "IC")?;

        let mut c = sections.get(4, "coefficients")?;
        let count = c.u32()?;
        let r2_inv = montgomery_r::<Fr>()
            .square()
            .inverse()
            .ok_or(FormatError::WrongField("R"))?;
        let mut coefficients = Vec::with_capacity(c.check_items(u64::from(count), 12 + N8)?);
        for _ in 0..count {
            let matrix = c.u32()?;
            let constraint = c.u32()?;
            let signal = c.u32()?;
            let value = field_le::<Fr>(c.take(N8)?, "a coefficient")? * r2_inv;
            if matrix > 1 || signal as usize >= num_vars || constraint as usize >= domain_size {
                return Err(FormatError::OutOfRange(format!(
                    "coefficient ({matrix}, {constraint}, {signal})"
                )));
            }
            coefficients.push(Coefficient {
                matrix,
                constraint,
                signal,
                value,
            });
        }
        c.finish(4)?;

        let a_query = d.g1s(&sections, 5, num_vars, "A")?;
        let b_g1_query = d.g1s(&sections, 6, num_vars, "B1")?;
        let mut r = sections.get(7, "B2")?;
        r.check_items(num_vars as u64, G2_SIZE)?;
        let b_g2_query = (0..num_vars)
            .map(|_| d.g2(&mut r, "B2"))
            .collect::<Result<Vec<_>, _>>()?;
        r.finish(7)?;
        let l_query = d.g1s(&sections, 8, num_vars - num_public - 1, "C")?;
        let h_query = d.g1s(&sections, 9, domain_size, "H")?;

        Ok(Zkey {
            pk: ProvingKey {
                vk: VerifyingKey {
                    alpha_g1,
                    beta_g2,
                    gamma_g2,
                    delta_g2,
                    gamma_abc_g1,
                },
                beta_g1,
                delta_g1,
                a_query,
                b_g1_query,
                b_g2_query,
                h_query,
                l_query,
            },
            num_public,
            num_vars,
            domain_size,
            coefficients,
        })
    }
}
