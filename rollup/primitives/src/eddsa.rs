//! EdDSA-Poseidon on BabyJubJub, byte-for-byte compatible with circomlibjs'
//! `eddsa.prv2pub`, `eddsa.signPoseidon` and `eddsa.verifyPoseidon`.
//!
//! Key derivation: `h = BLAKE-512(private_key)`; the scalar `s` is `h[0..32]` pruned as in
//! Ed25519 (read little-endian); the public key is `A = (s >> 3)·Base8`.
//! Signing `M ∈ Fr`: `r = BLAKE-512(h[32..64] ‖ M_le) mod l`, `R8 = r·Base8`,
//! `c = Poseidon(R8.x, R8.y, A.x, A.y, M)`, `S = r + c·s mod l`.
//! Verification: `R8` and `A` on the curve, `8·A ≠ O`, `S < l`, and `S·Base8 = R8 + (8·c)·A`.
//! Multiplying `A` by 8 clears its cofactor, and `R8 = S·Base8 − 8c·A` then lies in the
//! subgroup whenever the equation holds, so no separate subgroup check is needed (this is also
//! exactly what the circuit enforces, so native and in-circuit verification accept the same
//! signatures).
//!
//! ## Speed
//!
//! `k·Base8` uses the fixed-base table of [`crate::babyjubjub`]; `c·(8A)` uses a width-5 wNAF
//! with `c` reduced mod `l` (exact: `8A` lies in the prime-order subgroup for every `A` on the
//! curve, whose order is `8·l`); both sides of the equation stay in projective coordinates
//! and are compared there, so a verification makes no field inversion. The sequencer checks
//! many signatures at once with [`verify_batch`], one verification per signature spread over
//! rayon's thread pool: each result is exactly [`PublicKey::verify`]'s (no probabilistic
//! batch equation, which would also treat small-order components of `R8` differently).

use ark_ec::scalar_mul::wnaf::WnafContext;
use ark_ec::AdditiveGroup;
use ark_ed_on_bn254::{EdwardsProjective, Fr as SubgroupScalar};
use ark_ff::{PrimeField, Zero};
use blake_hash::{Blake512, Digest};
use num_bigint::BigUint;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::babyjubjub::{fr_to_biguint, mul_base8, mul_base8_ark, suborder_ref, Point, PointError};
use crate::field::{fr_from_le_bytes, fr_to_le_bytes, Fr};
use crate::poseidon::poseidon;

/// A 32-byte private key, as circomlibjs takes it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey(pub [u8; 32]);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// A public key `A` in circomlib's coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey(pub Point);

/// An EdDSA-Poseidon signature `(R8, S)`. `S` is kept as an integer so that values `>= l`
/// (which must be rejected) can be represented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// The commitment `R8 = r·Base8`.
    pub r8: Point,
    /// The response `S = r + c·s mod l`, as received (possibly `>= l` if forged).
    #[serde(with = "serde_biguint")]
    pub s: BigUint,
}

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `A` does not satisfy the curve equation.
    #[error("public key is not on the curve")]
    KeyNotOnCurve,
    /// `8·A = O`: the equation would reduce to `S·Base8 = R8`, which anyone can satisfy.
    #[error("public key has small order")]
    KeySmallOrder,
    /// `R8` does not satisfy the curve equation.
    #[error("R8 is not on the curve")]
    RNotOnCurve,
    /// `S >= l`: refused so that a signature has exactly one valid encoding (no malleability).
    #[error("S is not below the subgroup order")]
    SNotCanonical,
    /// Well-formed, but `S·Base8 ≠ R8 + 8c·A`: wrong key, wrong message or forged.
    #[error("signature equation does not hold")]
    Invalid,
    /// The bytes are not 64 long or `R8` does not decompress.
    #[error("malformed signature encoding")]
    Malformed,
}

impl PrivateKey {
    fn expanded(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        let d = Blake512::digest(&self.0);
        out.copy_from_slice(&d[..64]);
        out
    }

    /// The pruned secret scalar `s` (a multiple of 8).
    fn scalar(&self) -> BigUint {
        let h = self.expanded();
        let mut s = [0u8; 32];
        s.copy_from_slice(&h[..32]);
        s[0] &= 0xf8;
        s[31] &= 0x7f;
        s[31] |= 0x40;
        BigUint::from_bytes_le(&s)
    }

    /// circomlibjs' `prv2pub`.
    pub fn public(&self) -> PublicKey {
        PublicKey(mul_base8(&(self.scalar() >> 3u32)))
    }

    /// circomlibjs' `signPoseidon`.
    pub fn sign(&self, msg: &Fr) -> Signature {
        let h = self.expanded();
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(&h[32..]);
        buf[32..].copy_from_slice(&fr_to_le_bytes(msg));
        let r_hash = Blake512::digest(&buf[..]);
        let l = suborder_ref();
        let r = BigUint::from_bytes_le(&r_hash[..]) % l;
        let r8 = mul_base8(&r);
        let scalar = self.scalar();
        let a = mul_base8(&(&scalar >> 3u32));
        let c = poseidon(&[r8.x, r8.y, a.x, a.y, *msg]);
        let s = (r + fr_to_biguint(&c) * scalar) % l;
        Signature { r8, s }
    }
}

impl PublicKey {
    /// Checks the key is on the curve, in the prime-order subgroup and not the identity. The
    /// bridge calls this before queueing a deposit that creates an account: the circuit
    /// accepts any key in a created leaf, but an account whose key fails here can never sign
    /// (`8·A = O` or no discrete log), so its funds would freeze.
    pub fn validate(&self) -> Result<(), PointError> {
        self.0.validate()?;
        if self.0 == Point::IDENTITY {
            return Err(PointError::Identity);
        }
        Ok(())
    }

    /// circomlibjs' `verifyPoseidon`, plus the `8·A ≠ O` check that circomlib's circuit makes.
    pub fn verify(&self, msg: &Fr, sig: &Signature) -> Result<(), SignatureError> {
        let a = self.0;
        if !a.is_on_curve() {
            return Err(SignatureError::KeyNotOnCurve);
        }
        if !sig.r8.is_on_curve() {
            return Err(SignatureError::RNotOnCurve);
        }
        if sig.s >= *suborder_ref() {
            return Err(SignatureError::SNotCanonical);
        }
        let mut a8: EdwardsProjective = a.to_ark().into();
        for _ in 0..3 {
            a8.double_in_place();
        }
        if a8.is_zero() {
            return Err(SignatureError::KeySmallOrder);
        }
        let c = poseidon(&[sig.r8.x, sig.r8.y, a.x, a.y, *msg]);
        let left = mul_base8_ark(&sig.s);
        // 8A has order l (or 1, refused above), so c acts on it mod l.
        let c_mod_l = SubgroupScalar::from_le_bytes_mod_order(&fr_to_le_bytes(&c));
        let mut right = WnafContext::new(5).mul(a8, &c_mod_l);
        right += &sig.r8.to_ark();
        if left != right {
            return Err(SignatureError::Invalid);
        }
        Ok(())
    }
}

/// Verifies many signatures in parallel on rayon's thread pool; `results[i]` is exactly
/// `items[i].0.verify(items[i].1, items[i].2)`. For the sequencer, which checks the
/// signatures of a whole queue of transactions before ordering them.
pub fn verify_batch(items: &[(&PublicKey, &Fr, &Signature)]) -> Vec<Result<(), SignatureError>> {
    items
        .par_iter()
        .map(|(pk, msg, sig)| pk.verify(msg, sig))
        .collect()
}

impl Signature {
    /// circomlibjs' `packSignature`: compressed `R8` followed by `S` little-endian.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r8.compress());
        let s = self.s.to_bytes_le();
        out[32..32 + s.len().min(32)].copy_from_slice(&s[..s.len().min(32)]);
        out
    }

    /// circomlibjs' `unpackSignature`. `S` is not range-checked here: verification does it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signature, SignatureError> {
        if bytes.len() != 64 {
            return Err(SignatureError::Malformed);
        }
        let mut r = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        let r8 = Point::decompress(&r).map_err(|_| SignatureError::Malformed)?;
        Ok(Signature {
            r8,
            s: BigUint::from_bytes_le(&bytes[32..]),
        })
    }

    /// `S` as a field element of `Fr` (BN254), as the circuit sees it. `None` if `S >= p`
    /// (such an `S` is also `>= l` and never valid).
    pub fn s_as_fr(&self) -> Option<Fr> {
        let bytes = self.s.to_bytes_le();
        if bytes.len() > 32 {
            return None;
        }
        let mut b = [0u8; 32];
        b[..bytes.len()].copy_from_slice(&bytes);
        fr_from_le_bytes(&b).ok()
    }

    /// A placeholder signature for slots that carry none (never verifies).
    pub fn empty() -> Signature {
        Signature {
            r8: Point::IDENTITY,
            s: BigUint::from(0u32),
        }
    }
}

mod serde_biguint {
    use num_bigint::BigUint;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &BigUint, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.to_str_radix(10))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BigUint, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || s.len() > 80 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom("invalid decimal integer"));
        }
        BigUint::parse_bytes(s.as_bytes(), 10)
            .ok_or_else(|| serde::de::Error::custom("invalid decimal integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::babyjubjub::{base8, suborder};
    use ark_ff::UniformRand;

    fn key(i: u8) -> PrivateKey {
        PrivateKey([i; 32])
    }

    #[test]
    fn sign_verify_roundtrip_and_rejections() {
        let mut rng = ark_std::test_rng();
        for i in 0..5u8 {
            let k = key(i);
            let pk = k.public();
            assert!(pk.validate().is_ok());
            let m = Fr::rand(&mut rng);
            let sig = k.sign(&m);
            assert_eq!(pk.verify(&m, &sig), Ok(()));
            // Other message, other key.
            assert_eq!(
                pk.verify(&(m + Fr::from(1u64)), &sig),
                Err(SignatureError::Invalid)
            );
            assert_eq!(
                key(i + 100).public().verify(&m, &sig),
                Err(SignatureError::Invalid)
            );
            // S + l is rejected even though it satisfies the equation.
            let mut malleated = sig.clone();
            malleated.s += suborder();
            assert_eq!(
                pk.verify(&m, &malleated),
                Err(SignatureError::SNotCanonical)
            );
            // Packed roundtrip.
            assert_eq!(Signature::from_bytes(&sig.to_bytes()).unwrap(), sig);
        }
    }

    #[test]
    fn validate_refuses_identity_off_curve_and_small_order_keys() {
        // A real key passes.
        assert_eq!(key(7).public().validate(), Ok(()));
        // The identity is on the curve and in the subgroup, but no one can sign for it
        // (`8·A = O`): an account created with it freezes its funds.
        assert_eq!(
            PublicKey(Point::IDENTITY).validate(),
            Err(PointError::Identity)
        );
        // Off the curve.
        let off = PublicKey(Point {
            x: Fr::from(1u64),
            y: Fr::from(1u64),
        });
        assert_eq!(off.validate(), Err(PointError::NotOnCurve));
        // On the curve, outside the prime-order subgroup: the order-2 point (0, -1) ...
        let t2 = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        };
        assert_eq!(PublicKey(t2).validate(), Err(PointError::NotInSubgroup));
        // ... and a real key plus that small-order component.
        let mixed = key(7).public().0.add(&t2);
        assert!(mixed.is_on_curve());
        assert_eq!(PublicKey(mixed).validate(), Err(PointError::NotInSubgroup));
    }

    /// The fast verification against the textbook equation on plain double-and-add
    /// (`S·Base8 == R8 + c·(8A)` with unreduced scalars, in circomlib's coordinates), on valid
    /// signatures and on signatures with one part changed.
    #[test]
    fn fast_verify_agrees_with_textbook_equation() {
        use rand::{Rng, SeedableRng};
        let textbook = |pk: &PublicKey, m: &Fr, sig: &Signature| -> bool {
            let a8 = pk.0.mul(&BigUint::from(8u32));
            let c = poseidon(&[sig.r8.x, sig.r8.y, pk.0.x, pk.0.y, *m]);
            sig.s < suborder()
                && a8 != Point::IDENTITY
                && base8().mul(&sig.s) == sig.r8.add(&a8.mul(&fr_to_biguint(&c)))
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(0xedd5a);
        for _ in 0..12 {
            let k = PrivateKey(rng.gen());
            let pk = k.public();
            let m = Fr::rand(&mut rng);
            let sig = k.sign(&m);
            assert!(textbook(&pk, &m, &sig));
            assert_eq!(pk.verify(&m, &sig), Ok(()));
            let mut bad_s = sig.clone();
            bad_s.s += 1u32;
            let bad_r = Signature {
                r8: sig.r8.add(&base8()),
                s: sig.s.clone(),
            };
            for (m2, s2) in [(m + Fr::from(1u64), &sig), (m, &bad_s), (m, &bad_r)] {
                assert!(!textbook(&pk, &m2, s2));
                assert!(pk.verify(&m2, s2).is_err());
            }
        }
    }

    /// Batch results are the one-by-one results, in order, valid and invalid mixed.
    #[test]
    fn batch_verification_equals_one_by_one() {
        let mut rng = ark_std::test_rng();
        let keys: Vec<PrivateKey> = (0..9u8).map(key).collect();
        let msgs: Vec<Fr> = (0..9).map(|_| Fr::rand(&mut rng)).collect();
        let mut sigs: Vec<Signature> = keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let pks: Vec<PublicKey> = keys.iter().map(PrivateKey::public).collect();
        sigs[2].s += suborder();
        sigs[5] = keys[6].sign(&msgs[5]);
        let small = PublicKey(Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        });
        let mut items: Vec<(&PublicKey, &Fr, &Signature)> = pks
            .iter()
            .zip(&msgs)
            .zip(&sigs)
            .map(|((p, m), s)| (p, m, s))
            .collect();
        items[7].0 = &small;
        let want: Vec<_> = items.iter().map(|(p, m, s)| p.verify(m, s)).collect();
        assert_eq!(verify_batch(&items), want);
        assert_eq!(want[2], Err(SignatureError::SNotCanonical));
        assert_eq!(want[5], Err(SignatureError::Invalid));
        assert_eq!(want[7], Err(SignatureError::KeySmallOrder));
        assert_eq!(want.iter().filter(|r| r.is_ok()).count(), 6);
        assert!(verify_batch(&[]).is_empty());
    }

    #[test]
    fn small_order_key_is_rejected() {
        // A = (0, -1): every signature with R8 = S·B8 would pass without the 8A != O check.
        let pk = PublicKey(Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        });
        let s = BigUint::from(5u32);
        let sig = Signature {
            r8: base8().mul(&s),
            s,
        };
        assert_eq!(
            pk.verify(&Fr::from(1u64), &sig),
            Err(SignatureError::KeySmallOrder)
        );
    }
}
