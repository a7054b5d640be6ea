// Amounts and fees of L2 transactions, as rollup/primitives/src/float.rs encodes them.
//
// * Amount40: value = m · 10^e, 35-bit mantissa (low bits), 5-bit exponent (high bits).
//   Every integer below 2^35 is exact; above, only values with few significant digits are.
// * Fee8: value = m · 10^e, 4-bit mantissa (low nibble), 4-bit exponent (high nibble):
//   0..15 times a power of ten up to 10^15.
//
// Users sign the codes, so nothing here rounds silently: a value without an exact code is
// refused with a NotRepresentableError that names the nearest representable values below
// and above, and floorAmount/ceilFee etc. give them on request.

/** The largest u128, the L1 balance type (amounts and balances never exceed it). */
export const U128_MAX = (1n << 128n) - 1n;

/** Parameters of the two formats (mantissa and exponent widths, in bits). */
export const AMOUNT40 = Object.freeze({ name: 'Amount40', what: 'amount', mantissaBits: 35, exponentBits: 5 });
export const FEE8 = Object.freeze({ name: 'Fee8', what: 'fee', mantissaBits: 4, exponentBits: 4 });

/**
 * A value that has no exact code. `below` and `above` are the nearest representable values
 * (bigint; `above` is null when there is none).
 */
export class NotRepresentableError extends RangeError {
  constructor(format, value, below, above) {
    const near = `nearest representable: ${below} below${above === null ? '' : `, ${above} above`}`;
    super(
      `${format.what} ${value} has no exact ${format.name} encoding ` +
        `(m·10^e with m < 2^${format.mantissaBits}, e ≤ ${(1 << format.exponentBits) - 1}); ${near}`,
    );
    this.name = 'NotRepresentableError';
    this.kind = format.what;
    this.value = value;
    this.below = below;
    this.above = above;
  }
}

/**
 * An unsigned 128-bit integer from a bigint, a safe integer number or a decimal string.
 * Throws TypeError/RangeError for anything else (fractions, negatives, hex, > u128).
 */
export function toU128(x, what = 'value') {
  let v;
  if (typeof x === 'bigint') {
    v = x;
  } else if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) {
      throw new RangeError(`${what} ${x} is not a safe integer: pass a bigint or a decimal string`);
    }
    v = BigInt(x);
  } else if (typeof x === 'string') {
    if (!/^[0-9]{1,39}$/.test(x)) {
      throw new TypeError(`${what} ${JSON.stringify(x)} is not a decimal integer string`);
    }
    v = BigInt(x);
  } else {
    throw new TypeError(`${what} must be a bigint, a safe integer or a decimal string`);
  }
  if (v < 0n) throw new RangeError(`${what} ${v} is negative`);
  if (v > U128_MAX) throw new RangeError(`${what} ${v} exceeds 2^128 - 1`);
  return v;
}

const POW10 = Array.from({ length: 40 }, (_, i) => 10n ** BigInt(i));

/** float.rs `encode`: the code with the smallest exponent, or null. */
export function encodeFloat(format, value) {
  const maxM = (1n << BigInt(format.mantissaBits)) - 1n;
  const maxE = (1 << format.exponentBits) - 1;
  let v = value;
  let e = 0;
  while (v > maxM) {
    if (v % 10n !== 0n || e === maxE) return null;
    v /= 10n;
    e += 1;
  }
  return (BigInt(e) << BigInt(format.mantissaBits)) | v;
}

/** float.rs `decode`: m · 10^e, or null when it exceeds u128. */
export function decodeFloat(format, code) {
  const c = BigInt(code);
  const width = format.mantissaBits + format.exponentBits;
  if (c < 0n || c >> BigInt(width) !== 0n) {
    throw new RangeError(`${format.name} code ${code} does not fit in ${width} bits`);
  }
  const m = c & ((1n << BigInt(format.mantissaBits)) - 1n);
  const e = Number(c >> BigInt(format.mantissaBits));
  const v = m * POW10[e];
  return v > U128_MAX ? null : v;
}

/** The largest representable value ≤ value (always exists: 0 is representable). */
export function floorFloat(format, value) {
  const maxM = (1n << BigInt(format.mantissaBits)) - 1n;
  const maxE = (1 << format.exponentBits) - 1;
  let best = 0n;
  for (let e = 0; e <= maxE; e++) {
    let m = value / POW10[e];
    if (m > maxM) m = maxM;
    const v = m * POW10[e];
    if (v > best) best = v;
  }
  return best;
}

/** The smallest representable value ≥ value that fits u128, or null. */
export function ceilFloat(format, value) {
  const maxM = (1n << BigInt(format.mantissaBits)) - 1n;
  const maxE = (1 << format.exponentBits) - 1;
  let best = null;
  for (let e = 0; e <= maxE; e++) {
    const m = (value + POW10[e] - 1n) / POW10[e];
    if (m > maxM) continue;
    const v = m * POW10[e];
    if (v <= U128_MAX && (best === null || v < best)) best = v;
  }
  return best;
}

function encodeOrThrow(format, x) {
  const value = toU128(x, format.what);
  const code = encodeFloat(format, value);
  if (code === null) {
    throw new NotRepresentableError(format, value, floorFloat(format, value), ceilFloat(format, value));
  }
  return Number(code);
}

/** The Amount40 code (a number below 2^40) of an amount; throws NotRepresentableError. */
export const encodeAmount = (x) => encodeOrThrow(AMOUNT40, x);
/** The amount an Amount40 code denotes (bigint), or null if it exceeds u128. */
export const decodeAmount = (code) => decodeFloat(AMOUNT40, code);
/** Whether an amount has an exact Amount40 code. */
export const isAmountRepresentable = (x) => encodeFloat(AMOUNT40, toU128(x, 'amount')) !== null;
/** The largest representable amount ≤ x. */
export const floorAmount = (x) => floorFloat(AMOUNT40, toU128(x, 'amount'));
/** The smallest representable amount ≥ x, or null. */
export const ceilAmount = (x) => ceilFloat(AMOUNT40, toU128(x, 'amount'));

/** The Fee8 code (0..255) of a fee; throws NotRepresentableError. */
export const encodeFee = (x) => encodeOrThrow(FEE8, x);
/** The fee a Fee8 code denotes (bigint). */
export const decodeFee = (code) => decodeFloat(FEE8, code);
/** Whether a fee has an exact Fee8 code. */
export const isFeeRepresentable = (x) => encodeFloat(FEE8, toU128(x, 'fee')) !== null;
/** The largest representable fee ≤ x. */
export const floorFee = (x) => floorFloat(FEE8, toU128(x, 'fee'));
/** The smallest representable fee ≥ x, or null (above 15·10^15). */
export const ceilFee = (x) => ceilFloat(FEE8, toU128(x, 'fee'));
