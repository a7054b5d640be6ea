//! Serde for `Fr` as a canonical decimal string (the format snarkjs and circomlibjs use).

use serde::{Deserialize, Deserializer, Serializer};

use crate::field::{fr_from_decimal, fr_to_decimal, Fr};

pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fr_to_decimal(x))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
    let s = String::deserialize(d)?;
    fr_from_decimal(&s).map_err(serde::de::Error::custom)
}
