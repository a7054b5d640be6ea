//! BN254 scalar field helpers: canonical byte encodings and small-integer conversions.
//!
//! Every value the rollup commits to is an element of BN254's scalar field `Fr` (which is
//! also BabyJubJub's base field). Bytes that come from outside (files, RPC, the bridge) must
//! be decoded with [`fr_from_be_bytes`] / [`fr_from_le_bytes`], which reject non-canonical
//! encodings (values `>= p`) instead of silently reducing them.

use ark_ff::{BigInteger, PrimeField};

pub use ark_bn254::Fr;

/// A byte string was not the canonical encoding of a field element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The byte string does not have 32 bytes.
    #[error("a field element is 32 bytes, got {0}")]
    BadLength(usize),
    /// The encoded integer is not below the field modulus.
    #[error("non-canonical field element: the encoded integer is >= the BN254 scalar modulus")]
    NonCanonical,
    /// A decimal string was not a canonical field element.
    #[error("invalid decimal field element {0:?}")]
    BadDecimal(String),
}

/// Canonical 32-byte big-endian encoding.
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
    out
}

/// Canonical 32-byte little-endian encoding (circomlibjs' `F.toRprLE`).
pub fn fr_to_le_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

/// Decodes a canonical 32-byte big-endian field element; values `>= p` are rejected.
pub fn fr_from_be_bytes(bytes: &[u8]) -> Result<Fr, FieldError> {
    if bytes.len() != 32 {
        return Err(FieldError::BadLength(bytes.len()));
    }
    let mut le = bytes.to_vec();
    le.reverse();
    fr_from_le_bytes(&le)
}

/// Decodes a canonical 32-byte little-endian field element; values `>= p` are rejected.
pub fn fr_from_le_bytes(bytes: &[u8]) -> Result<Fr, FieldError> {
    if bytes.len() != 32 {
        return Err(FieldError::BadLength(bytes.len()));
    }
    let x = Fr::from_le_bytes_mod_order(bytes);
    // Reduction happened iff re-encoding differs from the input.
    if x.into_bigint().to_bytes_le() != bytes {
        return Err(FieldError::NonCanonical);
    }
    Ok(x)
}

/// Decimal string (snarkjs' format) of a field element.
pub fn fr_to_decimal(x: &Fr) -> String {
    x.into_bigint().to_string()
}

/// Parses a canonical decimal field element (digits only, `< p`).
pub fn fr_from_decimal(s: &str) -> Result<Fr, FieldError> {
    let bad = || FieldError::BadDecimal(s.chars().take(100).collect());
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = num_bigint::BigUint::parse_bytes(s.as_bytes(), 10).ok_or_else(bad)?;
    let modulus: num_bigint::BigUint = Fr::MODULUS.into();
    if n >= modulus {
        return Err(bad());
    }
    Ok(Fr::from(n))
}

/// `x` as a field element (exact: `u128 < p`).
pub fn fr_from_u128(x: u128) -> Fr {
    Fr::from(x)
}

/// Splits 32 bytes into two field elements `(hi, lo)`, each the big-endian value of 16 bytes.
/// Used for L1 recipients (`AccountId32`), which do not fit one field element.
pub fn split_bytes32(bytes: &[u8; 32]) -> (Fr, Fr) {
    let mut hi = [0u8; 16];
    let mut lo = [0u8; 16];
    hi.copy_from_slice(&bytes[..16]);
    lo.copy_from_slice(&bytes[16..]);
    (
        Fr::from(u128::from_be_bytes(hi)),
        Fr::from(u128::from_be_bytes(lo)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn canonical_roundtrip_and_rejection() {
        let mut rng = ark_std::test_rng();
        for _ in 0..20 {
            let x = Fr::rand(&mut rng);
            assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)).unwrap(), x);
            assert_eq!(fr_from_le_bytes(&fr_to_le_bytes(&x)).unwrap(), x);
            assert_eq!(fr_from_decimal(&fr_to_decimal(&x)).unwrap(), x);
        }
        // p itself and 2^256-1 are not canonical.
        let p_be = Fr::MODULUS.to_bytes_be();
        assert_eq!(fr_from_be_bytes(&p_be), Err(FieldError::NonCanonical));
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), Err(FieldError::NonCanonical));
        assert_eq!(fr_from_be_bytes(&[0; 31]), Err(FieldError::BadLength(31)));
        assert!(fr_from_decimal(&Fr::MODULUS.to_string()).is_err());
        assert!(fr_from_decimal("12a").is_err());
        assert!(fr_from_decimal("").is_err());
    }
}
