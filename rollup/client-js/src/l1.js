// The L1 side: pallet-bridge calls through @polkadot/api. Deposits lock funds on L1 and
// queue them for L2 (`bridge.deposit`); verified withdrawals are paid by
// `bridge.claimWithdrawal(batch, position)`.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { u8aEq, u8aToHex } from '@polkadot/util';
import { accountId32, toBytes, toUint, unpackPublicKey } from './crypto.js';
import { L1DispatchError, RollupClientError, TimeoutError } from './errors.js';
import { toU128 } from './float.js';

/** Connects @polkadot/api to an echonet-node (`ws://127.0.0.1:9944` for a dev node). */
export async function connectL1(url, { timeoutMs = 30_000 } = {}) {
  const provider = new WsProvider(url, 1_000, {}, timeoutMs);
  let timer;
  try {
    return await Promise.race([
      ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`timed out after ${timeoutMs} ms connecting to L1 at ${url}`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    await provider.disconnect().catch(() => {});
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** The arguments of `signAndSend` for a KeyringPair or an injected `{ address, signer }`. */
function signerArgs(signer) {
  if (signer && typeof signer.sign === 'function' && typeof signer.address === 'string') return [signer];
  if (signer && typeof signer.address === 'string' && signer.signer) return [signer.address, { signer: signer.signer }];
  throw new TypeError('signer must be a KeyringPair or { address, signer } (an injected extension signer)');
}

function dispatchErrorOf(api, dispatchError) {
  if (dispatchError.isModule) {
    const m = api.registry.findMetaError(dispatchError.asModule);
    const module = `${m.section}.${m.name}`;
    return new L1DispatchError(`${module}: ${m.docs.join(' ').trim() || 'failed'}`, { module, docs: m.docs.join(' ') });
  }
  return new L1DispatchError(`extrinsic failed: ${dispatchError.toString()}`);
}

/**
 * Signs and sends `tx`, resolving once it is in a block (`waitFor: 'inBlock'`) or finalized
 * (`'finalized'`, the default) with `{ blockHash, events }`; rejects with L1DispatchError if
 * it fails, or if the pool drops it.
 */
export function sendAndWait(api, tx, signer, { waitFor = 'finalized', timeoutMs = 120_000 } = {}) {
  if (waitFor !== 'finalized' && waitFor !== 'inBlock') throw new TypeError("waitFor must be 'inBlock' or 'finalized'");
  return new Promise((resolve, reject) => {
    let unsub = null;
    let settled = false;
    const finish = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (unsub) unsub();
      fn(value);
    };
    const timer = setTimeout(
      () => finish(reject, new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${tx.method.section}.${tx.method.method} (${waitFor})`)),
      timeoutMs,
    );
    tx.signAndSend(...signerArgs(signer), (result) => {
      const { status, dispatchError, events } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped || status.isFinalityTimeout) {
        finish(reject, new L1DispatchError(`extrinsic ${status.type.toLowerCase()}`));
      } else if (dispatchError && (status.isInBlock || status.isFinalized)) {
        finish(reject, dispatchErrorOf(api, dispatchError));
      } else if ((waitFor === 'inBlock' && status.isInBlock) || status.isFinalized) {
        const blockHash = (status.isInBlock ? status.asInBlock : status.asFinalized).toHex();
        finish(resolve, { blockHash, events });
      }
    })
      .then((u) => {
        unsub = u;
        if (settled) u();
      })
      .catch((e) => finish(reject, e));
  });
}

/**
 * `bridge.deposit(target, amount)` from `signer`. `to` is an L2Key or a 32-byte packed public
 * key (creates a new account: `NewAccount`), or an account index (credits it: `Existing`).
 * Resolves with `{ index, seq, amount, creates, blockHash }` from the `Bridge.Deposited`
 * event, by default once finalized (the sequencer takes finalized deposits only).
 */
export async function deposit(api, signer, to, amount, opts = {}) {
  const value = toU128(amount, 'deposit amount');
  let target;
  if (typeof to === 'number' || typeof to === 'bigint') {
    target = { Existing: Number(toUint(to, 24, 'L2 index')) };
  } else {
    const packed = to && to.publicKey instanceof Uint8Array ? to.publicKey : toBytes(to, 32, 'L2 public key');
    unpackPublicKey(packed); // the bridge refuses a key it cannot decompress or outside the subgroup
    target = { NewAccount: u8aToHex(packed) };
  }
  const { blockHash, events } = await sendAndWait(api, api.tx.bridge.deposit(target, value), signer, opts);
  const ev = events.map((r) => r.event).find((e) => api.events.bridge.Deposited.is(e));
  if (!ev) throw new RollupClientError(`bridge.deposit succeeded in ${blockHash} but emitted no Deposited event`);
  const [seq, , index, amt, creates] = ev.data;
  return { index: index.toNumber(), seq: seq.toBigInt(), amount: amt.toBigInt(), creates: creates.isTrue, blockHash };
}

/**
 * The positions of unclaimed withdrawals of `amount` to `recipient` recorded by batch
 * `batch` (L1 storage `Bridge.Withdrawals`), lowest first.
 */
export async function findWithdrawals(api, batch, recipient, amount) {
  const who = accountId32(recipient);
  const want = toU128(amount, 'amount');
  const entries = await api.query.bridge.withdrawals.entries(toUint(batch, 64, 'batch'));
  const out = [];
  for (const [key, value] of entries) {
    if (value.isNone) continue;
    const w = value.unwrap();
    if (u8aEq(w.recipient.toU8a(), who) && w.amount.toBigInt() === want) out.push(key.args[1].toNumber());
  }
  return out.sort((a, b) => a - b);
}

/**
 * `bridge.claimWithdrawal(batch, position)`, signed by anyone (`signer` pays the L1 fee; the
 * bridge pays the recorded recipient). Resolves with `{ batch, position, recipient, amount,
 * blockHash }` from the `Bridge.WithdrawalClaimed` event.
 */
export async function claimWithdrawal(api, signer, batch, position, opts = {}) {
  const b = toUint(batch, 64, 'batch');
  const p = Number(toUint(position, 32, 'position'));
  const { blockHash, events } = await sendAndWait(api, api.tx.bridge.claimWithdrawal(b, p), signer, opts);
  const ev = events.map((r) => r.event).find((e) => api.events.bridge.WithdrawalClaimed.is(e));
  if (!ev) throw new RollupClientError(`bridge.claimWithdrawal succeeded in ${blockHash} but emitted no WithdrawalClaimed event`);
  const [, , recipient, amt] = ev.data;
  return { batch: b, position: p, recipient: recipient.toString(), amount: amt.toBigInt(), blockHash };
}

/** The rollup's chain id (runtime constant) and instance id (storage; null before block 1). */
export async function rollupIdsOnL1(api) {
  const chainId = api.consts.bridge.chainId.toNumber();
  const inst = await api.query.bridge.instanceId();
  return { chainId, instance: inst.isSome ? inst.unwrap().toBigInt() : null };
}

/** Whether the sr25519 public key `operator` (0x-hex) is a bridge operator now. */
export async function isBridgeOperator(api, operator) {
  const bond = await api.query.bridge.operators(toBytes(operator, 32, 'operator'));
  return bond.isSome;
}
