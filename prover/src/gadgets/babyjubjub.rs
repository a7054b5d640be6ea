//! BabyJubJub points in circomlib's coordinates (`a = 168700`, `d = 168696`) and the scalar
//! multiplications the signature check needs. The twisted Edwards addition law is complete on
//! BabyJubJub (`a` square, `d` non-square), so no case analysis is needed for the identity or
//! for doubling.
//!
//! Costs: on-curve 3, add 6 (3 when one point is constant), double 5, variable-base
//! multiplication by a 254-bit scalar 2,789 (2-bit windows), fixed-base multiplication by a
//! 251-bit scalar 748 (3-bit windows over precomputed constant tables).

use std::sync::OnceLock;

use ark_ff::{Field, One, Zero};
use ark_r1cs_std::{fields::fp::FpVar, prelude::*};
use echonet_rollup_primitives::babyjubjub::{base8, Point, COEFF_A, COEFF_D};
use num_bigint::BigUint;

use super::lc::{bool_to_fv, lincomb, witness_from};
use super::{ConstraintSystemRef, Fv, SynthesisError, F};

/// A point variable (not necessarily on the curve until [`PointVar::enforce_on_curve`]).
#[derive(Clone, Debug)]
pub struct PointVar {
    /// Affine `x`, circomlib's coordinates.
    pub x: Fv,
    /// Affine `y`.
    pub y: Fv,
}

impl AllocVar<Point, F> for PointVar {
    fn new_variable<T: std::borrow::Borrow<Point>>(
        cs: impl Into<ark_relations::gr1cs::Namespace<F>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let ns = cs.into();
        let cs = ns.cs();
        let p = f().map(|p| *p.borrow());
        let x = FpVar::new_variable(cs.clone(), || p.map(|p| p.x), mode)?;
        let y = FpVar::new_variable(cs, || p.map(|p| p.y), mode)?;
        Ok(PointVar { x, y })
    }
}

fn one() -> F {
    F::one()
}

fn cs_of(vals: &[&Fv]) -> ConstraintSystemRef<F> {
    vals.iter()
        .map(|v| v.cs())
        .fold(ConstraintSystemRef::None, |a, b| a.or(b))
}

/// `num / den` as a witness, or 0 when `den = 0` (the constraint that uses it then fails).
fn div_witness(cs: &ConstraintSystemRef<F>, num: &Fv, den: &Fv) -> Result<Fv, SynthesisError> {
    if cs.is_none() {
        let d = den.value()?;
        return Ok(FpVar::Constant(
            d.inverse()
                .map_or(F::zero(), |i| num.value().unwrap_or_default() * i),
        ));
    }
    witness_from(cs, || {
        let n = num.value().ok()?;
        let d = den.value().ok()?;
        Some(d.inverse().map_or(F::zero(), |i| n * i))
    })
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: &Point) -> Self {
        PointVar {
            x: FpVar::Constant(p.x),
            y: FpVar::Constant(p.y),
        }
    }

    /// The identity `(0, 1)`.
    pub fn identity() -> Self {
        Self::constant(&Point::IDENTITY)
    }

    /// Value, when assigned.
    pub fn value(&self) -> Result<Point, SynthesisError> {
        Ok(Point {
            x: self.x.value()?,
            y: self.y.value()?,
        })
    }

    /// Enforces `a·x² + y² = 1 + d·x²·y²` (3 constraints).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let rhs = lincomb(&[(COEFF_A, &x2), (one(), &y2)], -one())?;
        let dx2 = &x2 * COEFF_D;
        dx2.mul_equals(&y2, &rhs)
    }

    /// Twisted Edwards addition (6 constraints; 3 if `other` is constant).
    pub fn add(&self, other: &PointVar) -> Result<PointVar, SynthesisError> {
        let cs = cs_of(&[&self.x, &self.y, &other.x, &other.y]);
        // beta = x1·y2, gamma = y1·x2, delta = (−a·x1 + y1)·(x2 + y2), tau = beta·gamma
        let beta = &self.x * &other.y;
        let gamma = &self.y * &other.x;
        let u1 = lincomb(&[(-COEFF_A, &self.x), (one(), &self.y)], F::zero())?;
        let u2 = lincomb(&[(one(), &other.x), (one(), &other.y)], F::zero())?;
        let delta = &u1 * &u2;
        let tau = &beta * &gamma;
        // x3·(1 + d·tau) = beta + gamma ; y3·(1 − d·tau) = delta + a·beta − gamma
        let den_x = lincomb(&[(COEFF_D, &tau)], one())?;
        let den_y = lincomb(&[(-COEFF_D, &tau)], one())?;
        let num_x = lincomb(&[(one(), &beta), (one(), &gamma)], F::zero())?;
        let num_y = lincomb(
            &[(one(), &delta), (COEFF_A, &beta), (-one(), &gamma)],
            F::zero(),
        )?;
        let x3 = div_witness(&cs, &num_x, &den_x)?;
        let y3 = div_witness(&cs, &num_y, &den_y)?;
        if !cs.is_none() {
            x3.mul_equals(&den_x, &num_x)?;
            y3.mul_equals(&den_y, &num_y)?;
        }
        Ok(PointVar { x: x3, y: y3 })
    }

    /// Doubling of a point on the curve (5 constraints):
    /// `x3 = 2xy / (a·x² + y²)`, `y3 = (y² − a·x²) / (2 − a·x² − y²)`.
    pub fn double(&self) -> Result<PointVar, SynthesisError> {
        let cs = cs_of(&[&self.x, &self.y]);
        if cs.is_none() {
            return self.add(self);
        }
        let xy = &self.x * &self.y;
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let den_x = lincomb(&[(COEFF_A, &x2), (one(), &y2)], F::zero())?;
        let num_x = lincomb(&[(F::from(2u64), &xy)], F::zero())?;
        let den_y = lincomb(&[(-COEFF_A, &x2), (-one(), &y2)], F::from(2u64))?;
        let num_y = lincomb(&[(one(), &y2), (-COEFF_A, &x2)], F::zero())?;
        let x3 = div_witness(&cs, &num_x, &den_x)?;
        let y3 = div_witness(&cs, &num_y, &den_y)?;
        x3.mul_equals(&den_x, &num_x)?;
        y3.mul_equals(&den_y, &num_y)?;
        Ok(PointVar { x: x3, y: y3 })
    }

    /// `bit ? other : self` (2 constraints).
    pub fn select(
        bit: &Boolean<F>,
        if_true: &PointVar,
        if_false: &PointVar,
    ) -> Result<Self, SynthesisError> {
        Ok(PointVar {
            x: bit.select(&if_true.x, &if_false.x)?,
            y: bit.select(&if_true.y, &if_false.y)?,
        })
    }
}

/// `k·P` for a variable point `P` on the curve and the little-endian bits of `k` (any length;
/// padded to even). MSB-first with 2-bit windows over the table `[O, P, 2P, 3P]`:
/// per window 2 doublings (10) + lookup (6) + addition (6).
pub fn scalar_mul_var(bits: &[Boolean<F>], p: &PointVar) -> Result<PointVar, SynthesisError> {
    let mut bits = bits.to_vec();
    if bits.len() % 2 == 1 {
        bits.push(Boolean::FALSE);
    }
    if bits.is_empty() {
        return Ok(PointVar::identity());
    }
    let t0 = PointVar::identity();
    let t1 = p.clone();
    let t2 = p.double()?;
    let t3 = t2.add(p)?;
    let lookup = |lo: &Boolean<F>, hi: &Boolean<F>| -> Result<PointVar, SynthesisError> {
        let m = PointVar::select(lo, &t1, &t0)?;
        let n = PointVar::select(lo, &t3, &t2)?;
        PointVar::select(hi, &n, &m)
    };
    let windows = bits.len() / 2;
    let mut acc = lookup(&bits[2 * (windows - 1)], &bits[2 * windows - 1])?;
    for w in (0..windows - 1).rev() {
        acc = acc.double()?.double()?;
        acc = acc.add(&lookup(&bits[2 * w], &bits[2 * w + 1])?)?;
    }
    Ok(acc)
}

/// Bits per window of the fixed-base multiplication.
const FIXED_WINDOW: usize = 3;
/// Windows needed for a 251-bit scalar (`S < l < 2^251`).
const FIXED_WINDOWS: usize = 84;

/// `tables[w][j] = j·8^w·Base8` for `j < 8`.
fn base8_tables() -> &'static Vec<[Point; 8]> {
    static T: OnceLock<Vec<[Point; 8]>> = OnceLock::new();
    T.get_or_init(|| {
        let mut out = Vec::with_capacity(FIXED_WINDOWS);
        let mut base = base8();
        for _ in 0..FIXED_WINDOWS {
            let mut row = [Point::IDENTITY; 8];
            for j in 1..8 {
                row[j] = row[j - 1].add(&base);
            }
            out.push(row);
            base = base.mul(&BigUint::from(8u32));
        }
        out
    })
}

/// `k·Base8` for the little-endian bits of `k` (at most 252 bits). Each 3-bit window selects
/// a constant point with 4 products of bits (shared by `x` and `y`), then one addition.
pub fn scalar_mul_base8(bits: &[Boolean<F>]) -> Result<PointVar, SynthesisError> {
    if bits.len() > FIXED_WINDOW * FIXED_WINDOWS {
        return Err(SynthesisError::Unsatisfiable);
    }
    let tables = base8_tables();
    let mut acc: Option<PointVar> = None;
    for (w, chunk) in bits.chunks(FIXED_WINDOW).enumerate() {
        let b0 = chunk.first().cloned().unwrap_or(Boolean::FALSE);
        let b1 = chunk.get(1).cloned().unwrap_or(Boolean::FALSE);
        let b2 = chunk.get(2).cloned().unwrap_or(Boolean::FALSE);
        let (f0, f1, f2) = (bool_to_fv(&b0), bool_to_fv(&b1), bool_to_fv(&b2));
        let t = &tables[w];
        // Multilinear interpolation of the 8 table entries,
        // v(b) = c0 + c1·b0 + c2·b1 + c4·b2 + c3·b0b1 + c5·b0b2 + c6·b1b2 + c7·b0b1b2,
        // evaluated as in Zcash's `lookup3_xy`: one shared product b1·b2, then
        // b0·(c3·b1 + c5·b2 + c7·b1b2) costs one constraint per coordinate (3 per window).
        // A short top window (b2 = 0) needs only b0·b1, shared by both coordinates.
        let f12 = &f1 * &f2;
        let f01 = if chunk.len() < 3 {
            Some(&f0 * &f1)
        } else {
            None
        };
        let coord = |g: &dyn Fn(&Point) -> F| -> Result<Fv, SynthesisError> {
            let v: Vec<F> = t.iter().map(g).collect();
            let c0 = v[0];
            let c1 = v[1] - v[0];
            let c2 = v[2] - v[0];
            let c4 = v[4] - v[0];
            let c3 = v[3] - v[2] - v[1] + v[0];
            let c5 = v[5] - v[4] - v[1] + v[0];
            let c6 = v[6] - v[4] - v[2] + v[0];
            let c7 = v[7] - v[6] - v[5] - v[3] + v[4] + v[2] + v[1] - v[0];
            let b0_part = match &f01 {
                Some(f01) => lincomb(&[(c3, f01)], F::zero())?,
                None => {
                    let inner = lincomb(&[(c3, &f1), (c5, &f2), (c7, &f12)], F::zero())?;
                    &f0 * &inner
                }
            };
            lincomb(
                &[
                    (c1, &f0),
                    (c2, &f1),
                    (c4, &f2),
                    (c6, &f12),
                    (F::one(), &b0_part),
                ],
                c0,
            )
        };
        let q = PointVar {
            x: coord(&|p| p.x)?,
            y: coord(&|p| p.y)?,
        };
        acc = Some(match acc {
            None => q,
            Some(a) => a.add(&q)?,
        });
    }
    Ok(acc.unwrap_or_else(PointVar::identity))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_relations::gr1cs::ConstraintSystem;
    use echonet_rollup_primitives::babyjubjub::{bits_le, fr_to_biguint, suborder};

    fn rand_point(rng: &mut impl rand::Rng) -> Point {
        base8().mul(&(BigUint::from(u128::rand(rng)) * BigUint::from(u128::rand(rng))))
    }

    fn alloc_bits(cs: &ConstraintSystemRef<F>, k: &BigUint, n: usize) -> Vec<Boolean<F>> {
        bits_le(k, n)
            .into_iter()
            .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)).unwrap())
            .collect()
    }

    #[test]
    fn add_double_on_curve_match_native() {
        let mut rng = ark_std::test_rng();
        for _ in 0..5 {
            let cs = ConstraintSystem::<F>::new_ref();
            let p = rand_point(&mut rng);
            let q = rand_point(&mut rng);
            let pv = PointVar::new_witness(cs.clone(), || Ok(p)).unwrap();
            let qv = PointVar::new_witness(cs.clone(), || Ok(q)).unwrap();
            pv.enforce_on_curve().unwrap();
            let n0 = cs.num_constraints();
            let s = pv.add(&qv).unwrap();
            assert_eq!(cs.num_constraints() - n0, 6);
            assert_eq!(s.value().unwrap(), p.add(&q));
            let n0 = cs.num_constraints();
            let d = pv.double().unwrap();
            assert_eq!(cs.num_constraints() - n0, 5);
            assert_eq!(d.value().unwrap(), p.add(&p));
            // Identity and P + (−P) work (completeness).
            let neg = PointVar::new_witness(cs.clone(), || Ok(Point { x: -p.x, y: p.y })).unwrap();
            assert_eq!(pv.add(&neg).unwrap().value().unwrap(), Point::IDENTITY);
            assert_eq!(pv.add(&PointVar::identity()).unwrap().value().unwrap(), p);
            assert!(cs.is_satisfied().unwrap());
        }
        // Off-curve point fails the curve check.
        let cs = ConstraintSystem::<F>::new_ref();
        let bad = PointVar::new_witness(cs.clone(), || {
            Ok(Point {
                x: F::from(1u64),
                y: F::from(2u64),
            })
        })
        .unwrap();
        bad.enforce_on_curve().unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn scalar_muls_match_native_on_random_scalars() {
        let mut rng = ark_std::test_rng();
        for _ in 0..3 {
            let cs = ConstraintSystem::<F>::new_ref();
            let p = rand_point(&mut rng);
            let k = fr_to_biguint(&F::rand(&mut rng));
            let pv = PointVar::new_witness(cs.clone(), || Ok(p)).unwrap();
            let bits = alloc_bits(&cs, &k, 254);
            let n0 = cs.num_constraints();
            let r = scalar_mul_var(&bits, &pv).unwrap();
            assert_eq!(cs.num_constraints() - n0, 2789);
            assert_eq!(r.value().unwrap(), p.mul(&k));

            let s = fr_to_biguint(&F::rand(&mut rng)) % suborder();
            let sbits = alloc_bits(&cs, &s, 251);
            let n0 = cs.num_constraints();
            let r = scalar_mul_base8(&sbits).unwrap();
            assert_eq!(cs.num_constraints() - n0, 748);
            assert_eq!(r.value().unwrap(), base8().mul(&s));
            assert!(cs.is_satisfied().unwrap());
        }
    }
}
