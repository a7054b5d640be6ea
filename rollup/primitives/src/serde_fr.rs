//! Serde for `Fr` as a canonical decimal string (the format snarkjs and circomlibjs use).

use serde::{Deserialize, Deserializer, Serializer};

use crate::field::{fr_from_decimal, fr_to_decimal, Fr};

/// Writes `x` as its canonical decimal string (for `#[serde(with = "serde_fr")]`).
pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fr_to_decimal(x))
}

/// Reads a canonical decimal string; values `>= p` are rejected, not reduced.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
    let s = String::deserialize(d)?;
    fr_from_decimal(&s).map_err(serde::de::Error::custom)
}

/// Serde for `u128` as a decimal string: JSON numbers lose precision past 2^53 in most
/// readers, and serde's buffering of tagged enums does not support `u128`.
pub mod u128_dec {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` as a decimal string.
    pub fn serialize<S: Serializer>(x: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.to_string())
    }

    /// Reads a decimal string of digits only (no sign, no spaces) that fits a `u128`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(serde::de::Error::custom("expected a decimal u128 string"));
        }
        s.parse().map_err(serde::de::Error::custom)
    }
}
