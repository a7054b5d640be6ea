//! Compact decimal floats for amounts and fees in L2 transactions.
//!
//! * [`Amount40`]: 40 bits, `value = m · 10^e` with a 35-bit mantissa (low bits) and a 5-bit
//!   exponent (high bits). Every integer below 2^35 (≈3.4·10^10) is exact, and larger amounts
//!   are exact when they have at most ~10 significant digits.
//! * [`Fee8`]: 8 bits, `value = m · 10^e` with a 4-bit mantissa (low) and a 4-bit exponent
//!   (high): 1..15 times any power of ten up to 10^15.
//!
//! Users sign the codes, the DA carries the codes, and the circuit decodes them, so there is
//! no rounding anywhere: an amount that has no exact code simply cannot be sent in one
//! transaction. Several codes may denote the same value (`10·10^0 = 1·10^1`); that is harmless
//! because the code, not the value, is what is signed and published.

use serde::{Deserialize, Serialize};

/// Mantissa bits of [`Amount40`].
pub const AMOUNT_MANTISSA_BITS: u32 = 35;
/// Exponent bits of [`Amount40`].
pub const AMOUNT_EXPONENT_BITS: u32 = 5;
/// Mantissa bits of [`Fee8`].
pub const FEE_MANTISSA_BITS: u32 = 4;
/// Exponent bits of [`Fee8`].
pub const FEE_EXPONENT_BITS: u32 = 4;

/// Why an amount or fee could not be encoded or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FloatError {
    /// The amount is not `m · 10^e` with `m < 2^35` and `e ≤ 31`; the sender must split it
    /// or round it themselves (nothing here rounds).
    #[error("{0} has no exact 40-bit float encoding")]
    AmountNotRepresentable(u128),
    /// The fee is not 0..=15 times a power of ten up to 10^15.
    #[error("{0} has no exact 8-bit fee encoding")]
    FeeNotRepresentable(u128),
    /// A raw amount code (from a file, RPC or the DA) has bits set above bit 39.
    #[error("amount code {0:#x} does not fit in 40 bits")]
    CodeTooLarge(u64),
    /// A well-formed amount code whose value `m · 10^e` exceeds `u128`; no balance can
    /// ever pay it.
    #[error("amount code {0:#x} decodes to more than u128::MAX")]
    Overflow(u64),
}

/// A 40-bit amount code. Deserialization checks the width, like [`Amount40::from_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Amount40(u64);

impl TryFrom<u64> for Amount40 {
    type Error = FloatError;
    fn try_from(code: u64) -> Result<Self, FloatError> {
        Amount40::from_code(code)
    }
}

impl From<Amount40> for u64 {
    fn from(a: Amount40) -> u64 {
        a.0
    }
}

/// An 8-bit fee code: mantissa in the low nibble, exponent in the high nibble. Every `u8`
/// is a valid code, so the field is public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fee8(pub u8);

fn encode(mut value: u128, mantissa_bits: u32, exponent_bits: u32) -> Option<u64> {
    let max_m = (1u128 << mantissa_bits) - 1;
    let max_e = (1u32 << exponent_bits) - 1;
    let mut e = 0u32;
    while value > max_m {
        if !value.is_multiple_of(10) || e == max_e {
            return None;
        }
        value /= 10;
        e += 1;
    }
    Some(((e as u64) << mantissa_bits) | value as u64)
}

fn decode(code: u64, mantissa_bits: u32) -> Option<u128> {
    let m = (code & ((1u64 << mantissa_bits) - 1)) as u128;
    let e = (code >> mantissa_bits) as u32;
    10u128.checked_pow(e)?.checked_mul(m)
}

impl Amount40 {
    /// The zero amount.
    pub const ZERO: Amount40 = Amount40(0);

    /// The exact code for `value` (smallest exponent), if there is one.
    pub fn from_value(value: u128) -> Result<Self, FloatError> {
        encode(value, AMOUNT_MANTISSA_BITS, AMOUNT_EXPONENT_BITS)
            .map(Amount40)
            .ok_or(FloatError::AmountNotRepresentable(value))
    }

    /// Wraps a raw code; it must fit in 40 bits.
    pub fn from_code(code: u64) -> Result<Self, FloatError> {
        if code >> 40 != 0 {
            return Err(FloatError::CodeTooLarge(code));
        }
        Ok(Amount40(code))
    }

    /// The raw 40-bit code: what users sign, the DA publishes and the circuit decodes.
    pub fn code(&self) -> u64 {
        self.0
    }

    /// The amount; fails if `m · 10^e` exceeds `u128` (such a code can never be valid, since
    /// balances are `u128`; the circuit rejects it through the balance range checks).
    pub fn value(&self) -> Result<u128, FloatError> {
        decode(self.0, AMOUNT_MANTISSA_BITS).ok_or(FloatError::Overflow(self.0))
    }

    /// The low 35 bits, `m` in `m · 10^e`.
    pub fn mantissa(&self) -> u64 {
        self.0 & ((1 << AMOUNT_MANTISSA_BITS) - 1)
    }

    /// The high 5 bits, `e` in `m · 10^e`.
    pub fn exponent(&self) -> u32 {
        (self.0 >> AMOUNT_MANTISSA_BITS) as u32
    }
}

impl Fee8 {
    /// The exact code for `value`, if there is one.
    pub fn from_value(value: u128) -> Result<Self, FloatError> {
        encode(value, FEE_MANTISSA_BITS, FEE_EXPONENT_BITS)
            .map(|c| Fee8(c as u8))
            .ok_or(FloatError::FeeNotRepresentable(value))
    }

    /// The raw 8-bit code, as signed and published.
    pub fn code(&self) -> u8 {
        self.0
    }

    /// The fee (always fits: at most 15·10^15).
    pub fn value(&self) -> u128 {
        let m = (self.0 & 0x0f) as u128;
        let e = (self.0 >> 4) as u32;
        m * 10u128.pow(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_roundtrip_exactly() {
        for v in [
            0u128,
            1,
            12_345,
            (1 << 35) - 1,
            1_000_000_000_000,
            123_456_789_000_000_000_000,
            34_359_738_367 * 10u128.pow(27),
        ] {
            let a = Amount40::from_value(v).unwrap();
            assert_eq!(a.value().unwrap(), v, "{v}");
            assert!(a.code() < 1 << 40);
        }
        // Above 2^35 only multiples of 10 (with few significant digits) are exact.
        assert!(Amount40::from_value(1 << 35).is_err());
        assert!(Amount40::from_value((1 << 35) + 1).is_err());
        assert_eq!(Amount40::from_value(343_597_383_670).unwrap().exponent(), 1);
        assert!(Amount40::from_value(u128::MAX).is_err());
        assert!(Amount40::from_code(1 << 40).is_err());
        // Serde goes through the same check.
        assert!(serde_json::from_str::<Amount40>(&(1u64 << 40).to_string()).is_err());
        let a: Amount40 = serde_json::from_str("12345").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "12345");
        // m = 2^35-1, e = 31 is 3.4e41 > u128::MAX.
        assert!(Amount40::from_code((1 << 40) - 1).unwrap().value().is_err());
    }

    #[test]
    fn fees_roundtrip_exactly() {
        for v in [0u128, 1, 15, 20, 150, 7_000_000_000, 15 * 10u128.pow(15)] {
            assert_eq!(Fee8::from_value(v).unwrap().value(), v);
        }
        assert!(Fee8::from_value(16 * 10u128.pow(15)).is_err());
        assert!(Fee8::from_value(17).is_err());
        assert_eq!(Fee8(0xff).value(), 15 * 10u128.pow(15));
    }
}
