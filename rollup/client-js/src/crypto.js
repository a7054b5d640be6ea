// L2 keys, the signed message, signatures, transaction hashes and receipts, exactly as
// rollup/primitives (eddsa.rs, tx.rs, field.rs) and the sequencer's design compute them.
//
// Keys and signatures are EdDSA-Poseidon on BabyJubJub from circomlibjs; hashes and sr25519
// from @polkadot/util-crypto. Both load WebAssembly once: call `await ready()` before the
// synchronous functions here (L2Key.fromSeed/random and RollupClient.connect do it for you).

import { buildEddsa } from 'circomlibjs';
import { blake2AsU8a, cryptoWaitReady, decodeAddress, sr25519Verify } from '@polkadot/util-crypto';
import { hexToU8a, isHex, isU8a, u8aConcat, u8aToHex } from '@polkadot/util';

/** The BN254 scalar field modulus (the L2's field). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
/** Transaction type codes, as signed (tx.rs `tx_type`). */
export const TX_TYPE = Object.freeze({ transfer: 1, withdraw: 3 });
/** Account indices are 24-bit (the depth of the account tree). */
export const MAX_INDEX = (1 << 24) - 1;
/** Largest nonce an account can sign with (tx.rs `MAX_NONCE`). */
export const MAX_NONCE = (1n << 40n) - 1n;
/** The domain tag of a soft-confirmation receipt. */
export const RECEIPT_TAG = new TextEncoder().encode('echonet/l2-receipt');

let eddsa = null;
let loading = null;

/** Loads circomlibjs' and polkadot's WebAssembly (idempotent). */
export async function ready() {
  if (eddsa) return;
  if (!loading) {
    loading = Promise.all([buildEddsa(), cryptoWaitReady()]).then(([e]) => {
      eddsa = e;
    });
  }
  await loading;
}

function lib() {
  if (!eddsa) throw new Error('@echonet/rollup-client: call `await ready()` first');
  return eddsa;
}

// ---- small byte and integer helpers ----

/** Bytes from a Uint8Array or a 0x-hex string, checking the length when given. */
export function toBytes(x, length, what = 'bytes') {
  let u8;
  if (isU8a(x)) u8 = x;
  else if (typeof x === 'string' && isHex(x)) u8 = hexToU8a(x);
  else throw new TypeError(`${what} must be a Uint8Array or 0x-hex`);
  if (length !== undefined && u8.length !== length) {
    throw new RangeError(`${what} must be ${length} bytes, got ${u8.length}`);
  }
  return Uint8Array.from(u8);
}

/** `n` as `len` bytes little-endian (n must fit). */
export function leBytes(n, len) {
  const out = new Uint8Array(len);
  let v = BigInt(n);
  for (let i = 0; i < len; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError(`${n} does not fit in ${len} bytes`);
  return out;
}

function fromLe(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function fromBe(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** An unsigned integer below 2^bits from a number, bigint or decimal string. */
export function toUint(x, bits, what) {
  let v;
  if (typeof x === 'bigint') v = x;
  else if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x);
  else if (typeof x === 'string' && /^[0-9]{1,40}$/.test(x)) v = BigInt(x);
  else throw new TypeError(`${what} must be an unsigned integer (number, bigint or decimal string), got ${String(x)}`);
  if (v < 0n || v >> BigInt(bits) !== 0n) throw new RangeError(`${what} ${v} does not fit in ${bits} bits`);
  return v;
}

// ---- keys ----

/**
 * An L2 account key: a 32-byte EdDSA-Poseidon private key (the seed, as circomlibjs and
 * `PrivateKey` in eddsa.rs take it) and its public key.
 */
export class L2Key {
  #seed;

  constructor(seed) {
    const e = lib();
    this.#seed = toBytes(seed, 32, 'seed');
    const A = e.prv2pub(Buffer.from(this.#seed));
    const F = e.babyJub.F;
    /** The public key point in circomlib's coordinates, as bigints. */
    this.point = Object.freeze({ x: F.toObject(A[0]), y: F.toObject(A[1]) });
    /** The packed public key (32 bytes): what `DepositTarget::NewAccount` takes. */
    this.publicKey = Uint8Array.from(e.babyJub.packPoint(A));
    Object.freeze(this);
  }

  /** A key from a 32-byte seed (Uint8Array or 0x-hex). Keep the seed secret. */
  static async fromSeed(seed) {
    await ready();
    return new L2Key(seed);
  }

  /** A new random key (crypto.getRandomValues). */
  static async random() {
    await ready();
    return new L2Key(globalThis.crypto.getRandomValues(new Uint8Array(32)));
  }

  /** The packed public key as 0x-hex (what `l2_getAccount({publicKey})` takes). */
  get publicKeyHex() {
    return u8aToHex(this.publicKey);
  }

  /** The seed as 0x-hex, to store the key (it is the private key: keep it secret). */
  exportSeed() {
    return u8aToHex(this.#seed);
  }

  /** Signs a message field element; returns the 64-byte packed signature (`Signature::to_bytes`). */
  sign(message) {
    const e = lib();
    const m = toField(message);
    const sig = e.signPoseidon(Buffer.from(this.#seed), e.babyJub.F.e(m));
    return Uint8Array.from(e.packSignature(sig));
  }

  /** Never print the seed by accident. */
  toJSON() {
    return { publicKey: this.publicKeyHex };
  }
}

function toField(x) {
  const v = typeof x === 'bigint' ? x : BigInt(x);
  if (v < 0n || v >= FIELD_MODULUS) throw new RangeError('message is not a canonical field element');
  return v;
}

/**
 * Unpacks a 32-byte packed public key and checks it as the bridge does
 * (`PublicKey::validate`): canonical, on the curve, in the prime-order subgroup, not the
 * identity. Returns {x, y} as bigints; throws RangeError otherwise.
 */
export function unpackPublicKey(packed) {
  const e = lib();
  const bytes = toBytes(packed, 32, 'public key');
  const yBytes = Uint8Array.from(bytes);
  yBytes[31] &= 0x7f;
  const yv = fromLe(yBytes);
  if (yv >= FIELD_MODULUS) throw new RangeError('public key: y is not canonical');
  // The two points with x = 0 (circomlibjs' unpackPoint cannot decompress them): the
  // identity and the point of order 2. Neither can own an account.
  if (yv === 1n) throw new RangeError('public key is the identity');
  if (yv === FIELD_MODULUS - 1n) throw new RangeError('public key has small order (0, -1)');
  // unpackPoint clears the sign bit of its argument: give it a copy.
  const P = e.babyJub.unpackPoint(Uint8Array.from(bytes));
  if (!P) throw new RangeError('public key does not decompress to a curve point');
  const F = e.babyJub.F;
  const x = F.toObject(P[0]);
  const y = F.toObject(P[1]);
  if (!e.babyJub.inSubgroup(P)) throw new RangeError('public key is not in the prime-order subgroup');
  return { x, y };
}

/** Verifies a 64-byte packed signature of `message` by `packedPublicKey` (circomlibjs). */
export function verifySignature(packedPublicKey, message, signature) {
  const e = lib();
  const { x, y } = unpackPublicKey(packedPublicKey);
  const sigBytes = toBytes(signature, 64, 'signature');
  const R8 = e.babyJub.unpackPoint(Uint8Array.from(sigBytes.subarray(0, 32)));
  if (!R8) return false;
  const S = fromLe(sigBytes.subarray(32));
  if (S >= e.babyJub.subOrder) return false;
  const F = e.babyJub.F;
  return e.verifyPoseidon(F.e(toField(message)), { R8, S }, [F.e(x), F.e(y)]);
}

// ---- the signed message (tx.rs) ----

/**
 * tx.rs `pack_message_word`: chain_id + type·2^32 + from·2^34 + to·2^58 + amountCode·2^82
 * + feeCode·2^122 + nonce·2^130 + instance·2^170. Every field is range-checked to its width.
 */
export function packMessageWord({ chainId, instance, type, from, to, amountCode, feeCode, nonce }) {
  const c = toUint(chainId, 32, 'chainId');
  const t = toUint(type, 2, 'type');
  const f = toUint(from, 24, 'from');
  const d = toUint(to, 24, 'to');
  const a = toUint(amountCode, 40, 'amount code');
  const fe = toUint(feeCode, 8, 'fee code');
  const n = toUint(nonce, 40, 'nonce');
  const i = toUint(instance, 64, 'instance');
  return c + (t << 32n) + (f << 34n) + (d << 58n) + (a << 82n) + (fe << 122n) + (n << 130n) + (i << 170n);
}

/** field.rs `split_bytes32`: a 32-byte L1 recipient as two big-endian 128-bit halves [hi, lo]. */
export function splitRecipient(recipient) {
  const b = toBytes(recipient, 32, 'recipient');
  return [fromBe(b.subarray(0, 16)), fromBe(b.subarray(16))];
}

/** Poseidon over BN254 with circom's parameters (bigints in, bigint out). */
export function poseidon(inputs) {
  const e = lib();
  return e.babyJub.F.toObject(e.poseidon(inputs.map((x) => toField(x))));
}

/** tx.rs `transfer_message`: M = Poseidon(e, 0, 0). */
export function transferMessage({ chainId, instance, from, to, amountCode, feeCode, nonce }) {
  const e = packMessageWord({ chainId, instance, type: TX_TYPE.transfer, from, to, amountCode, feeCode, nonce });
  return poseidon([e, 0n, 0n]);
}

/** tx.rs `withdraw_message`: M = Poseidon(e with to = 0, recipient_hi, recipient_lo). */
export function withdrawMessage({ chainId, instance, from, amountCode, feeCode, nonce, recipient }) {
  const e = packMessageWord({ chainId, instance, type: TX_TYPE.withdraw, from, to: 0, amountCode, feeCode, nonce });
  const [hi, lo] = splitRecipient(recipient);
  return poseidon([e, hi, lo]);
}

/** The transaction hash: blake2_256(M as 32 bytes little-endian ‖ packed signature). */
export function txHash(message, signature) {
  const sig = toBytes(signature, 64, 'signature');
  return u8aToHex(blake2AsU8a(u8aConcat(leBytes(toField(message), 32), sig), 256));
}

/** An L1 account (SS58 address, 0x-hex or 32 bytes) as its 32-byte id. */
export function accountId32(who) {
  if (typeof who === 'string' && !isHex(who)) return decodeAddress(who);
  return toBytes(who, 32, 'L1 account');
}

// ---- receipts ----

/** The bytes an operator signs in a receipt: tag ‖ instance u64 LE ‖ hash ‖ batch u64 LE ‖ slot u32 LE. */
export function receiptMessage({ instance, hash, batch, slot }) {
  return u8aConcat(
    RECEIPT_TAG,
    leBytes(toUint(instance, 64, 'instance'), 8),
    toBytes(hash, 32, 'hash'),
    leBytes(toUint(batch, 64, 'batch'), 8),
    leBytes(toUint(slot, 32, 'slot'), 4),
  );
}

/**
 * Whether `receipt` ({hash, batch, slot, operator, signature}) is an sr25519 signature by
 * `receipt.operator` for rollup `instance`. Checks the signature only: compare the hash with
 * your own and the operator with the bridge's (RollupClient does both).
 */
export function verifyReceipt(receipt, instance) {
  try {
    const msg = receiptMessage({ instance, hash: receipt.hash, batch: receipt.batch, slot: receipt.slot });
    return sr25519Verify(msg, toBytes(receipt.signature, 64, 'receipt signature'), toBytes(receipt.operator, 32, 'operator'));
  } catch {
    return false;
  }
}
