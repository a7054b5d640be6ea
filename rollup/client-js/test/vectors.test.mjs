// The client against vectors computed by the Rust primitives (rollup/primitives, example
// `client-vectors`; the primitives' test `client_vectors` fails when this file is stale):
// keys and packed public keys, Amount40/Fee8 codes, message words, messages, signatures,
// transaction hashes, the l2_sendTransaction JSON, and sr25519 receipts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  L2Key,
  decodeAmount,
  decodeFee,
  encodeAmount,
  encodeFee,
  isAmountRepresentable,
  isFeeRepresentable,
  packMessageWord,
  ready,
  receiptMessage,
  signTransfer,
  signWithdrawal,
  splitRecipient,
  transferMessage,
  txHash,
  unpackPublicKey,
  verifyReceipt,
  verifySignature,
  withdrawMessage,
} from '../src/index.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8'));
await ready();

test('there are vectors of every kind', () => {
  assert.ok(vectors.keys.length >= 5);
  assert.ok(vectors.amounts.encode.length >= 10 && vectors.amounts.decode.length >= 5);
  assert.equal(vectors.fees.decode.length, 256);
  assert.ok(vectors.transfers.length >= 4);
  assert.ok(vectors.withdrawals.length >= 3);
  assert.ok(vectors.receipts.length >= 3);
  // Both signs of x are packed somewhere (the sign bit of the last byte).
  const signs = new Set(vectors.keys.map((k) => Number.parseInt(k.packed_public_key.slice(-2), 16) >> 7));
  assert.deepEqual([...signs].sort(), [0, 1]);
});

test('keys and packed public keys match PublicKey::compress', async () => {
  for (const v of vectors.keys) {
    const key = await L2Key.fromSeed(v.seed);
    assert.deepEqual([key.point.x.toString(), key.point.y.toString()], v.public_key);
    assert.equal(key.publicKeyHex, v.packed_public_key);
    const { x, y } = unpackPublicKey(v.packed_public_key);
    assert.deepEqual([x.toString(), y.toString()], v.public_key);
    assert.equal(key.exportSeed(), v.seed);
  }
});

test('Amount40 codes match float.rs', () => {
  for (const v of vectors.amounts.encode) {
    if (v.code === null) {
      assert.equal(isAmountRepresentable(v.value), false, v.value);
      assert.throws(() => encodeAmount(v.value), RangeError);
    } else {
      assert.equal(encodeAmount(v.value), v.code, v.value);
    }
  }
  for (const v of vectors.amounts.decode) {
    const got = decodeAmount(v.code);
    assert.equal(got === null ? null : got.toString(), v.value, `code ${v.code}`);
  }
});

test('Fee8 codes match float.rs', () => {
  for (const v of vectors.fees.encode) {
    if (v.code === null) {
      assert.equal(isFeeRepresentable(v.value), false, v.value);
      assert.throws(() => encodeFee(v.value), RangeError);
    } else {
      assert.equal(encodeFee(v.value), v.code, v.value);
    }
  }
  for (const v of vectors.fees.decode) assert.equal(decodeFee(v.code).toString(), v.value);
});

function checkSigned(v, signed, message, word) {
  assert.equal(word.toString(), v.word, 'pack_message_word');
  assert.equal(message.toString(), v.message, 'message');
  assert.equal(signed.message, message);
  assert.equal(signed.signature, v.signature, 'Signature::to_bytes');
  assert.equal(signed.hash, v.hash, 'tx hash');
  assert.equal(txHash(BigInt(v.message), v.signature), v.hash);
  assert.deepEqual(signed.rpc, v.rpc, 'l2_sendTransaction JSON');
  assert.equal(signed.amountCode, v.amount_code);
  assert.equal(signed.feeCode, v.fee_code);
}

test('transfers: message word, message, signature, hash and RPC JSON match tx.rs', async () => {
  for (const v of vectors.transfers) {
    const key = await L2Key.fromSeed(v.seed);
    const p = { chainId: v.chain_id, instance: BigInt(v.instance), from: v.from, to: v.to, amountCode: v.amount_code, feeCode: v.fee_code, nonce: v.nonce };
    const word = packMessageWord({ ...p, type: 1 });
    const message = transferMessage(p);
    const signed = signTransfer(key, { chainId: v.chain_id, instance: v.instance, from: v.from, to: v.to, amount: v.amount, fee: v.fee, nonce: v.nonce });
    checkSigned(v, signed, message, word);
    assert.ok(verifySignature(key.publicKey, message, v.signature));
    assert.ok(!verifySignature(key.publicKey, message + 1n, v.signature));
  }
});

test('withdrawals: recipient split, message, signature, hash and RPC JSON match tx.rs', async () => {
  for (const v of vectors.withdrawals) {
    const key = await L2Key.fromSeed(v.seed);
    const [hi, lo] = splitRecipient(v.recipient);
    assert.deepEqual([hi.toString(), lo.toString()], [v.recipient_hi, v.recipient_lo]);
    const p = { chainId: v.chain_id, instance: BigInt(v.instance), from: v.from, amountCode: v.amount_code, feeCode: v.fee_code, nonce: v.nonce, recipient: v.recipient };
    const word = packMessageWord({ ...p, type: 3, to: 0 });
    const message = withdrawMessage(p);
    const signed = signWithdrawal(key, { chainId: v.chain_id, instance: v.instance, from: v.from, amount: v.amount, fee: v.fee, nonce: v.nonce, recipient: v.recipient });
    checkSigned(v, signed, message, word);
    assert.equal(signed.recipient, v.recipient);
  }
});

test('a withdrawal to an SS58 address signs the same as to its 32 bytes', async () => {
  const v = vectors.withdrawals.find((w) => w.recipient === u8aToHex(aliceL1().publicKey));
  assert.ok(v, 'a vector pays //Alice');
  const key = await L2Key.fromSeed(v.seed);
  const signed = signWithdrawal(key, { chainId: v.chain_id, instance: v.instance, from: v.from, amount: v.amount, fee: v.fee, nonce: v.nonce, recipient: aliceL1().address });
  assert.equal(signed.hash, v.hash);
});

function aliceL1() {
  return new Keyring({ type: 'sr25519' }).addFromUri(vectors.operator_suri);
}

test('receipts: message layout and sr25519 signatures from sp-core verify', () => {
  assert.equal(vectors.receipts[0].operator, u8aToHex(aliceL1().publicKey));
  for (const r of vectors.receipts) {
    const msg = receiptMessage({ instance: BigInt(r.instance), hash: r.hash, batch: BigInt(r.batch), slot: r.slot });
    assert.equal(u8aToHex(msg), r.message);
    const receipt = { hash: r.hash, batch: BigInt(r.batch), slot: r.slot, operator: r.operator, signature: r.signature };
    assert.equal(verifyReceipt(receipt, BigInt(r.instance)), true);
    // Any other instance, slot, batch or hash: refused.
    assert.equal(verifyReceipt(receipt, BigInt(r.instance) ^ 1n), false);
    assert.equal(verifyReceipt({ ...receipt, slot: (r.slot + 1) % 2 ** 32 }, BigInt(r.instance)), false);
    assert.equal(verifyReceipt({ ...receipt, batch: BigInt(r.batch) ^ 1n }, BigInt(r.instance)), false);
    assert.equal(verifyReceipt({ ...receipt, hash: `0x${'00'.repeat(32)}` }, BigInt(r.instance)), false);
    // Malformed fields are a refusal, not an exception.
    assert.equal(verifyReceipt({ ...receipt, signature: '0x1234' }, BigInt(r.instance)), false);
    assert.equal(verifyReceipt({ ...receipt, batch: -1 }, BigInt(r.instance)), false);
  }
});

test('field ranges are enforced before signing', async () => {
  const key = await L2Key.fromSeed(vectors.keys[0].seed);
  const ok = { chainId: 1, instance: 5n, from: 0, to: 1, amount: 1, fee: 0, nonce: 0 };
  assert.ok(signTransfer(key, ok).hash);
  for (const [field, bad] of [['chainId', 2 ** 32], ['instance', 2n ** 64n], ['from', 2 ** 24], ['to', -1], ['nonce', 2 ** 40], ['nonce', 1.5]]) {
    assert.throws(() => signTransfer(key, { ...ok, [field]: bad }), /(RangeError|TypeError|fit|integer|exceeds)/, `${field}=${bad}`);
  }
  assert.throws(() => signWithdrawal(key, { ...ok, recipient: '0x1234' }), /32 bytes/);
  assert.throws(() => unpackPublicKey(`0x${'ff'.repeat(32)}`), RangeError);
  // The identity (0, 1) packs to y = 1: refused, as PublicKey::validate does.
  assert.throws(() => unpackPublicKey(`0x01${'00'.repeat(31)}`), /identity/);
});

test('unpackPublicKey refuses the keys the bridge refuses', async () => {
  const F = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
  const le = (v) => {
    const b = new Uint8Array(32);
    for (let i = 0; i < 32; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
    return b;
  };
  assert.throws(() => unpackPublicKey(le(F - 1n)), /small order/);
  assert.throws(() => unpackPublicKey(le(F)), /not canonical/);
  // A point on the curve outside the prime-order subgroup: a real key's y with the
  // order-2 point added is (-x, -y).
  const key = await L2Key.fromSeed(vectors.keys[0].seed);
  const mixed = le(F - key.point.y);
  if ((F - key.point.x) > (F - 1n) / 2n) mixed[31] |= 0x80;
  assert.throws(() => unpackPublicKey(mixed), /subgroup/);
  // Unpacking does not modify its argument.
  const packed = Uint8Array.from(key.publicKey);
  unpackPublicKey(packed);
  assert.deepEqual(packed, key.publicKey);
});
