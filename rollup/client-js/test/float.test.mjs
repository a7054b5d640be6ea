// Amount40 and Fee8 edge cases, and the nearest-value suggestions: checked against an
// independent enumeration of every representable value where the set is small (Fee8, and a
// 3-bit/3-bit toy format through the same generic code), and at the Amount40 boundaries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AMOUNT40,
  FEE8,
  NotRepresentableError,
  U128_MAX,
  ceilAmount,
  ceilFee,
  ceilFloat,
  decodeAmount,
  decodeFee,
  encodeAmount,
  encodeFee,
  encodeFloat,
  floorAmount,
  floorFee,
  floorFloat,
  isAmountRepresentable,
  toU128,
} from '../src/index.js';

const MAX_M = 2n ** 35n - 1n;

test('amounts below 2^35 are exact, 2^35 itself is not', () => {
  assert.equal(encodeAmount(0), 0);
  assert.equal(encodeAmount(1n), 1);
  assert.equal(encodeAmount(MAX_M), Number(MAX_M));
  assert.equal(isAmountRepresentable(2n ** 35n), false);
  assert.equal(isAmountRepresentable(2n ** 35n + 1n), false);
  // 343597383670 = 34359738367 · 10: exponent 1.
  assert.equal(encodeAmount('343597383670'), 2 ** 35 + 34359738367);
  assert.equal(decodeAmount(encodeAmount('343597383670')), 343597383670n);
});

test('a non-representable amount is refused with the nearest values', () => {
  const v = 2n ** 35n; // 34359738368
  assert.throws(
    () => encodeAmount(v),
    (e) => {
      assert.ok(e instanceof NotRepresentableError);
      assert.ok(e instanceof RangeError);
      assert.equal(e.kind, 'amount');
      assert.equal(e.value, v);
      // Below: the largest mantissa at exponent 0 beats 3435973836·10.
      assert.equal(e.below, MAX_M);
      assert.equal(e.above, 34359738370n);
      assert.match(e.message, /amount 34359738368 has no exact Amount40 encoding/);
      assert.match(e.message, /34359738367 below, 34359738370 above/);
      return true;
    },
  );
  assert.equal(floorAmount(123456789012345n), 123456789010000n);
  assert.equal(ceilAmount(123456789012345n), 123456789020000n);
  assert.equal(floorAmount(MAX_M), MAX_M);
});

test('the largest amounts: 10^38, max mantissa at e = 27, and u128::MAX', () => {
  assert.equal(decodeAmount(encodeAmount(10n ** 38n)), 10n ** 38n);
  const top = MAX_M * 10n ** 27n;
  assert.equal(decodeAmount(encodeAmount(top)), top);
  assert.equal(isAmountRepresentable(U128_MAX), false);
  // Nothing representable lies above u128::MAX's floor within u128.
  assert.equal(ceilAmount(U128_MAX), null);
  const f = floorAmount(U128_MAX);
  assert.ok(f <= U128_MAX && isAmountRepresentable(f));
  assert.equal(f, 34028236692n * 10n ** 28n);
  // A code whose value exceeds u128 decodes to null; wider codes are refused.
  assert.equal(decodeAmount((31n << 35n) | 34028237n), null);
  assert.equal(decodeAmount((31n << 35n) | 34028236n), 34028236n * 10n ** 31n);
  assert.throws(() => decodeAmount(2n ** 40n), RangeError);
  assert.throws(() => decodeAmount(-1), RangeError);
});

test('fees: 0..15 times a power of ten up to 10^15', () => {
  assert.equal(encodeFee(0), 0);
  assert.equal(encodeFee(15), 15);
  assert.equal(encodeFee(20), 0x12);
  assert.equal(encodeFee(15n * 10n ** 15n), 0xff);
  assert.equal(decodeFee(0xff), 15n * 10n ** 15n);
  assert.throws(() => encodeFee(16), (e) => e instanceof NotRepresentableError && e.below === 15n && e.above === 20n && e.kind === 'fee');
  assert.throws(() => encodeFee(16n * 10n ** 15n), (e) => e.below === 15n * 10n ** 15n && e.above === null);
  assert.equal(ceilFee(155), 200n); // 16·10 has no 4-bit mantissa
  assert.equal(floorFee(155), 150n);
  assert.throws(() => decodeFee(256), RangeError);
});

// An independent model: the sorted set of every value a small format can denote.
function allValues(format) {
  const set = new Set();
  for (let e = 0n; e < 1n << BigInt(format.exponentBits); e++) {
    for (let m = 0n; m < 1n << BigInt(format.mantissaBits); m++) set.add(m * 10n ** e);
  }
  return [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function checkAgainstModel(format, probes) {
  const values = allValues(format);
  const member = new Set(values);
  for (const v of probes) {
    const code = encodeFloat(format, v);
    assert.equal(code !== null, member.has(v), `${format.name} ${v} representable`);
    const below = values.filter((x) => x <= v).at(-1);
    const above = values.find((x) => x >= v) ?? null;
    assert.equal(floorFloat(format, v), below, `${format.name} floor ${v}`);
    assert.equal(ceilFloat(format, v), above, `${format.name} ceil ${v}`);
  }
}

test('floor and ceil agree with an enumeration of every Fee8 value', () => {
  const probes = [];
  for (let e = 0n; e <= 17n; e++) {
    for (const k of [1n, 9n, 10n, 11n, 15n, 16n, 99n, 151n, 1234n]) probes.push(k * 10n ** e, k * 10n ** e + 1n, k * 10n ** e - 1n);
  }
  checkAgainstModel(FEE8, probes.filter((v) => v >= 0n));
});

test('floor and ceil agree with an enumeration on a small toy format (all values up to 10^8)', () => {
  const toy = { name: 'Toy6', what: 'toy', mantissaBits: 3, exponentBits: 3 };
  const probes = [];
  for (let v = 0n; v < 2000n; v++) probes.push(v);
  for (let e = 3n; e <= 8n; e++) for (let k = 0n; k < 100n; k++) probes.push(k * 10n ** (e - 2n) + 7n);
  checkAgainstModel(toy, probes);
});

test('encoding picks the smallest exponent, like float.rs', () => {
  // 10 = 10·10^0 (m fits), not 1·10^1.
  assert.equal(encodeAmount(10), 10);
  assert.equal(encodeFee(10), 10);
  assert.equal(encodeFee(100), 0x1a);
  // 10^12 > 2^35: m = 10^10, e = 2.
  assert.equal(encodeFloat(AMOUNT40, 10n ** 12n), (2n << 35n) | 10n ** 10n);
});

test('bad inputs are refused clearly', () => {
  assert.throws(() => toU128(-1), /negative/);
  assert.throws(() => toU128(1.5), /not a safe integer/);
  assert.throws(() => toU128(2 ** 60), /not a safe integer/);
  assert.throws(() => toU128('1e3'), /not a decimal integer string/);
  assert.throws(() => toU128('0x10'), /not a decimal integer string/);
  assert.throws(() => toU128(''), /not a decimal integer string/);
  assert.throws(() => toU128(' 1'), /not a decimal integer string/);
  assert.throws(() => toU128(U128_MAX + 1n), /exceeds 2\^128 - 1/);
  assert.throws(() => toU128(null), TypeError);
  assert.throws(() => encodeAmount('12.5'), TypeError);
  assert.equal(toU128('340282366920938463463374607431768211455'), U128_MAX);
});
