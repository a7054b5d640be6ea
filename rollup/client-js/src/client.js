// RollupClient: one object for a dApp. It holds an @polkadot/api connection to the L1 node
// (deposits, claims, and the chain id / instance every L2 signature binds) and a JSON-RPC
// connection to the sequencer (accounts, status, sending, following).

import { u8aToHex } from '@polkadot/util';
import { accountId32, L2Key, ready, toBytes, verifyReceipt } from './crypto.js';
import {
  ChainMismatchError,
  InvalidReceiptError,
  RollupClientError,
  TimeoutError,
  TransactionDroppedError,
  UnknownAccountError,
  UnknownTransactionError,
} from './errors.js';
import { ceilFee, toU128 } from './float.js';
import * as l1 from './l1.js';
import { L2Rpc } from './rpc.js';
import { signTransfer, signWithdrawal } from './tx.js';

/** Statuses after which a transaction's status no longer changes. */
export const TERMINAL_STATUSES = Object.freeze(['final', 'dropped']);

function u64(v, what) {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'string' && /^[0-9]{1,20}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'number') return null; // precision lost in JSON: the caller decides
  throw new RollupClientError(`the sequencer sent a malformed ${what}: ${String(v)}`);
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    }, { once: true });
  });
}

/** An L2 account as `l2_getAccount` returns it, with amounts as bigints. */
function normalizeAccount(a) {
  if (a === null || a === undefined) return null;
  return {
    index: Number(a.index),
    publicKey: a.publicKey,
    balance: toU128(a.balance, 'balance'),
    nonce: Number(a.nonce),
    pendingBalance: toU128(a.pendingBalance ?? a.balance, 'pendingBalance'),
    pendingNonce: Number(a.pendingNonce ?? a.nonce),
  };
}

export class RollupClient {
  #ids = null;
  #operators = new Set();

  constructor({ api = null, rpc, chainId, instance, checkOperator = true }) {
    /** The @polkadot/api connection to L1 (null when connected to the sequencer only). */
    this.api = api;
    /** The sequencer's JSON-RPC (L2Rpc). */
    this.rpc = rpc;
    this.checkOperator = checkOperator;
    if (chainId !== undefined && instance !== undefined) {
      this.#ids = { chainId: Number(chainId), instance: BigInt(instance) };
    }
  }

  /**
   * Connects to the sequencer (`l2`, ws:// or http://) and, optionally, to the L1 node (`l1`,
   * a ws:// URL or an existing ApiPromise). Without L1, deposits and claims are unavailable
   * and the chain id and instance are taken from the sequencer (or from `chainId` and
   * `instance` when given). `checkOperator` (default true, needs L1): refuse receipts not
   * signed by a bridge operator.
   */
  static async connect({ l1: l1Endpoint, l2, timeoutMs = 30_000, chainId, instance, checkOperator = true } = {}) {
    await ready();
    if (!l2) throw new TypeError('connect: give the sequencer URL as `l2`');
    let api = null;
    let ownApi = false;
    if (typeof l1Endpoint === 'string') {
      api = await l1.connectL1(l1Endpoint, { timeoutMs });
      ownApi = true;
    } else if (l1Endpoint) {
      api = l1Endpoint;
    }
    let rpc;
    try {
      rpc = await L2Rpc.connect(l2, { timeoutMs });
    } catch (e) {
      if (ownApi) await api.disconnect().catch(() => {});
      throw e;
    }
    const client = new RollupClient({ api, rpc, chainId, instance, checkOperator });
    client.ownApi = ownApi;
    return client;
  }

  /** Closes both connections (the L1 one only if connect() opened it). */
  async disconnect() {
    await this.rpc.disconnect();
    if (this.api && this.ownApi) await this.api.disconnect();
  }

  #needL1(what) {
    if (!this.api) throw new RollupClientError(`${what} needs an L1 connection: connect({ l1: 'ws://…', l2 })`);
    return this.api;
  }

  // ---- reads ----

  /** `l2_status`, as the sequencer returns it. */
  status() {
    return this.rpc.call('l2_status', []);
  }

  /**
   * The chain id and rollup instance every signature binds: from the sequencer, checked
   * against L1 when connected (ChainMismatchError if they differ). Cached.
   */
  async rollupIds() {
    if (this.#ids) return this.#ids;
    const s = await this.status();
    const chainId = Number(s.chainId);
    let instance = u64(s.instance, 'instance');
    if (this.api) {
      const onL1 = await l1.rollupIdsOnL1(this.api);
      if (onL1.instance === null) throw new ChainMismatchError('the bridge on L1 has no instance id yet');
      if (onL1.chainId !== chainId) {
        throw new ChainMismatchError(`the sequencer serves chain id ${chainId}, the L1 node's bridge has ${onL1.chainId}`);
      }
      const same = instance === null ? Number(onL1.instance) === s.instance : instance === onL1.instance;
      if (!same) {
        throw new ChainMismatchError(`the sequencer serves rollup instance ${s.instance}, the L1 node's bridge has ${onL1.instance}`);
      }
      instance = onL1.instance;
    } else if (instance === null) {
      throw new ChainMismatchError(
        `the sequencer sent the instance id as a JSON number (${s.instance}) beyond 2^53, which JavaScript cannot read exactly: connect to L1 too, or pass { chainId, instance }`,
      );
    }
    this.#ids = { chainId, instance };
    return this.#ids;
  }

  /** The fee to use when none is given: the sequencer's minimum, rounded up to a Fee8 value. */
  async defaultFee() {
    const s = await this.status();
    const min = toU128(s.minFee ?? '0', 'minFee');
    const fee = ceilFee(min);
    if (fee === null) throw new RollupClientError(`the sequencer's minimum fee ${min} has no Fee8 encoding`);
    return fee;
  }

  /**
   * `l2_getAccount` by index (number), L2Key or packed public key; null if there is none.
   * Amounts are bigints: `{ index, publicKey, balance, nonce, pendingBalance, pendingNonce }`.
   */
  async getAccount(who) {
    let q;
    if (typeof who === 'number' || typeof who === 'bigint') q = { index: Number(who) };
    else if (who instanceof L2Key) q = { publicKey: who.publicKeyHex };
    else q = { publicKey: u8aToHex(toBytes(who, 32, 'public key')) };
    return normalizeAccount(await this.rpc.call('l2_getAccount', [q]));
  }

  /** `l2_getTransaction(hash)`, or null. */
  getTransaction(hash) {
    return this.rpc.call('l2_getTransaction', [hash]);
  }

  /** `l2_getBatch(number)`, or null. */
  getBatch(number) {
    return this.rpc.call('l2_getBatch', [Number(number)]);
  }

  /**
   * Polls until the sequencer has account `who` (index or key) with a pending balance of at
   * least `minBalance`: deposits reach L2 once finalized on L1 and picked up by the sequencer.
   */
  async waitForAccount(who, { minBalance = 0n, timeoutMs = 180_000, pollMs = 1_000, signal } = {}) {
    const min = toU128(minBalance, 'minBalance');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = await this.getAccount(who);
      if (a && a.pendingBalance >= min) return a;
      if (Date.now() >= deadline) {
        throw new TimeoutError(`account ${who instanceof L2Key ? who.publicKeyHex : who} did not reach ${min} on L2 within ${timeoutMs} ms`);
      }
      await sleep(pollMs, signal);
    }
  }

  // ---- L1 ----

  /**
   * Deposits `amount` from the L1 `signer` (KeyringPair or injected { address, signer }) to a
   * new L2 account for `to` (L2Key or packed key) or to the existing account index `to`.
   * Resolves with `{ index, seq, amount, creates, blockHash }` once finalized (`waitFor`).
   */
  deposit(signer, to, amount, opts) {
    return l1.deposit(this.#needL1('deposit'), signer, to, amount, opts);
  }

  /**
   * Claims a final withdrawal on L1: `{ hash }` (looked up on the sequencer), `{ batch,
   * position }`, or `{ batch, recipient, amount }`. Anyone may sign; the bridge pays the
   * recipient recorded in the batch.
   */
  async claimWithdrawal(signer, which, opts) {
    const api = this.#needL1('claimWithdrawal');
    let { batch, position, recipient, amount } = which;
    if (which.hash) {
      const t = await this.getTransaction(which.hash);
      if (!t) throw new UnknownTransactionError(`the sequencer does not know transaction ${which.hash}`);
      if (t.tx?.type !== 'withdraw') throw new RollupClientError(`transaction ${which.hash} is not a withdrawal`);
      if (t.status !== 'final') {
        throw new RollupClientError(`withdrawal ${which.hash} is ${t.status}, not final yet: wait with followTransaction()`);
      }
      batch = t.batch;
      recipient = t.tx.recipient;
      amount = t.tx.amount;
    }
    if (position === undefined) {
      const positions = await l1.findWithdrawals(api, batch, recipient, amount);
      if (positions.length === 0) {
        throw new RollupClientError(`batch ${batch} has no unclaimed withdrawal of ${amount} to ${u8aToHex(accountId32(recipient))} (already claimed?)`);
      }
      position = positions[0];
    }
    return l1.claimWithdrawal(api, signer, batch, position, opts);
  }

  // ---- L2 transactions ----

  async #prepare(key, { from, fee, nonce }) {
    if (!(key instanceof L2Key)) throw new TypeError('key must be an L2Key');
    const ids = await this.rollupIds();
    let account = null;
    if (from === undefined || nonce === undefined) {
      account = await this.getAccount(from ?? key);
      if (!account) {
        throw new UnknownAccountError(
          `the sequencer has no L2 account ${from ?? `for key ${key.publicKeyHex}`} (deposit first, and wait until the deposit is final on L1)`,
        );
      }
    }
    return {
      ...ids,
      from: from ?? account.index,
      nonce: nonce ?? account.pendingNonce,
      fee: fee ?? (await this.defaultFee()),
    };
  }

  /**
   * Sends a transaction signed with signTransfer/signWithdrawal and checks the receipt: its
   * hash must be ours, its sr25519 signature valid for this rollup instance, and (with L1 and
   * `checkOperator`) its key a bridge operator's. Returns the receipt
   * `{ hash, batch, slot, operator, signature }`.
   */
  async send(signed) {
    const { instance } = await this.rollupIds();
    const receipt = await this.rpc.call('l2_sendTransaction', [signed.rpc]);
    if (!receipt || typeof receipt !== 'object') throw new InvalidReceiptError('the sequencer returned no receipt', receipt);
    if (String(receipt.hash).toLowerCase() !== signed.hash) {
      throw new InvalidReceiptError(`receipt for ${receipt.hash}, but the transaction's hash is ${signed.hash}`, receipt);
    }
    if (!verifyReceipt(receipt, instance)) {
      throw new InvalidReceiptError(`the receipt's signature by ${receipt.operator} does not verify`, receipt);
    }
    if (this.api && this.checkOperator && !this.#operators.has(receipt.operator)) {
      if (!(await l1.isBridgeOperator(this.api, receipt.operator))) {
        throw new InvalidReceiptError(`the receipt is signed by ${receipt.operator}, which is not a bridge operator on L1`, receipt);
      }
      this.#operators.add(receipt.operator);
    }
    return receipt;
  }

  /**
   * Signs and sends a transfer of `amount` to account index `to`. `from` (default: the key's
   * account), `nonce` (default: the pending nonce) and `fee` (default: the minimum fee) are
   * optional. Resolves with `{ hash, receipt, tx }` once soft-confirmed.
   */
  async transfer(key, { from, to, amount, fee, nonce }) {
    const p = await this.#prepare(key, { from, fee, nonce });
    const tx = signTransfer(key, { ...p, to, amount });
    const receipt = await this.send(tx);
    return { hash: tx.hash, receipt, tx };
  }

  /**
   * Signs and sends a withdrawal of `amount` to the L1 account `recipient` (SS58 address,
   * 0x-hex or 32 bytes). Once `final` (followTransaction), claim it with claimWithdrawal().
   */
  async withdraw(key, { from, amount, recipient, fee, nonce }) {
    const p = await this.#prepare(key, { from, fee, nonce });
    const tx = signWithdrawal(key, { ...p, amount, recipient });
    const receipt = await this.send(tx);
    return { hash: tx.hash, receipt, tx };
  }

  /**
   * Follows transaction `hash` to settlement: calls `onStatus(status)` on each change, resolves
   * with the `final` status, rejects with TransactionDroppedError on `dropped` (or
   * TimeoutError after `timeoutMs`, or `signal`'s reason on abort). Uses
   * `l2_subscribeTransaction` over WebSocket and polls `l2_getTransaction` over HTTP.
   */
  followTransaction(hash, { onStatus = () => {}, timeoutMs = Infinity, pollMs = 1_000, signal } = {}) {
    return new Promise((resolve, reject) => {
      let done = false;
      let unsub = null;
      let timer = null;
      let last = null;
      const finish = (fn, v) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (unsub) unsub().catch(() => {});
        fn(v);
      };
      const onAbort = () => finish(reject, signal.reason);
      const seen = (s) => {
        if (done) return;
        if (s === null || s === undefined) {
          finish(reject, new UnknownTransactionError(`the sequencer does not know transaction ${hash}`));
          return;
        }
        if (last === null || s.status !== last.status || s.batch !== last.batch) {
          last = s;
          try {
            onStatus(s);
          } catch (e) {
            finish(reject, e);
            return;
          }
        }
        if (s.status === 'final') finish(resolve, s);
        else if (s.status === 'dropped') finish(reject, new TransactionDroppedError(s));
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(
          () => finish(reject, new TimeoutError(`transaction ${hash} not final after ${timeoutMs} ms (last status: ${last?.status ?? 'none'})`)),
          timeoutMs,
        );
      }
      if (this.rpc.canSubscribe) {
        this.rpc
          .subscribeTransaction(hash, seen, (e) => finish(reject, e))
          .then((u) => {
            unsub = u;
            if (done) u().catch(() => {});
          })
          .catch((e) => finish(reject, e));
      } else {
        (async () => {
          while (!done) {
            seen(await this.getTransaction(hash));
            if (!done) await sleep(pollMs);
          }
        })().catch((e) => finish(reject, e));
      }
    });
  }
}
