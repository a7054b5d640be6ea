// Signing L2 transactions offline: no network, only the rollup's chain id and instance.
// The result carries the exact JSON `l2_sendTransaction` takes (`rpc`), the message M, the
// packed signature and the transaction hash the sequencer will report.

import { u8aToHex } from '@polkadot/util';
import { accountId32, MAX_NONCE, toUint, transferMessage, txHash, withdrawMessage } from './crypto.js';
import { decodeAmount, decodeFee, encodeAmount, encodeFee, toU128 } from './float.js';

function common(key, { chainId, instance, from, amount, fee, nonce }) {
  if (!key || typeof key.sign !== 'function') throw new TypeError('key must be an L2Key');
  const amountValue = toU128(amount, 'amount');
  const feeValue = toU128(fee, 'fee');
  const n = toUint(nonce, 64, 'nonce');
  if (n > MAX_NONCE) throw new RangeError(`nonce ${n} exceeds the largest signable nonce 2^40 - 1`);
  return {
    chainId: Number(toUint(chainId, 32, 'chainId')),
    instance: toUint(instance, 64, 'instance'),
    from: Number(toUint(from, 24, 'from')),
    amountValue,
    feeValue,
    amountCode: encodeAmount(amountValue),
    feeCode: encodeFee(feeValue),
    nonce: Number(n),
  };
}

/**
 * Signs a transfer. Amount and fee must be exactly representable (Amount40, Fee8), else a
 * NotRepresentableError names the nearest values. Returns
 * `{ type, hash, message, signature, amount, fee, amountCode, feeCode, rpc }`.
 */
export function signTransfer(key, { chainId, instance, from, to, amount, fee, nonce }) {
  const c = common(key, { chainId, instance, from, amount, fee, nonce });
  const toIndex = Number(toUint(to, 24, 'to'));
  if (toIndex === c.from) throw new RangeError('a transfer to the sending account is refused by the sequencer (self-transfer)');
  const message = transferMessage({ ...c, to: toIndex });
  const signature = key.sign(message);
  const sigHex = u8aToHex(signature);
  return Object.freeze({
    type: 'transfer',
    hash: txHash(message, signature),
    message,
    signature: sigHex,
    amount: decodeAmount(c.amountCode),
    fee: decodeFee(c.feeCode),
    amountCode: c.amountCode,
    feeCode: c.feeCode,
    rpc: {
      type: 'transfer',
      from: c.from,
      to: toIndex,
      amount: c.amountValue.toString(),
      fee: c.feeValue.toString(),
      nonce: c.nonce,
      signature: sigHex,
    },
  });
}

/**
 * Signs a withdrawal of `amount` from L2 account `from` to the L1 account `recipient`
 * (SS58 address, 0x-hex or 32 bytes). Same result shape as signTransfer, plus `recipient`.
 */
export function signWithdrawal(key, { chainId, instance, from, amount, fee, nonce, recipient }) {
  const c = common(key, { chainId, instance, from, amount, fee, nonce });
  const r = accountId32(recipient);
  const message = withdrawMessage({ ...c, recipient: r });
  const signature = key.sign(message);
  const sigHex = u8aToHex(signature);
  return Object.freeze({
    type: 'withdraw',
    hash: txHash(message, signature),
    message,
    signature: sigHex,
    amount: decodeAmount(c.amountCode),
    fee: decodeFee(c.feeCode),
    amountCode: c.amountCode,
    feeCode: c.feeCode,
    recipient: u8aToHex(r),
    rpc: {
      type: 'withdraw',
      from: c.from,
      amount: c.amountValue.toString(),
      fee: c.feeValue.toString(),
      nonce: c.nonce,
      recipient: u8aToHex(r),
      signature: sigHex,
    },
  });
}
