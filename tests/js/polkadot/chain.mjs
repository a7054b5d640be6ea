// Helpers shared by the polkadot-js tests that drive a running echonet-node: deadlines,
// sending signed extrinsics one at a time per signer, and a record of every block's events
// that tests wait on (no fixed sleeps).

import { ApiPromise, WsProvider } from '@polkadot/api';

/** Resolves with `promise`, or rejects after `ms` with `what` in the message. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects like the Apps UI (reconnect after 1 s); every request times out after `requestMs`. */
export async function connect(endpoint, requestMs) {
  const provider = new WsProvider(endpoint, 1000, {}, requestMs);
  return within(requestMs, 'ApiPromise.create', ApiPromise.create({ provider, throwOnConnect: true, noInitWarn: true }));
}

/** `section.Name` of a dispatch error, or its string form when it is not a module error. */
export function errorName(api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}`;
  }
  return dispatchError.toString();
}

/**
 * Sends signed extrinsics and waits for their inclusion. One signer's extrinsics go one after
 * the other (each waits for the previous one to be in a block), so that tests running
 * concurrently may share a signer without racing for its nonce.
 */
export class Sender {
  constructor(api, ms) {
    this.api = api;
    this.ms = ms;
    this.queues = new Map();
  }

  /**
   * Signs `tx` with `signer`, submits it and resolves once it is in a block with
   * `{ blockHash, events, dispatchError }` (events are the extrinsic's own). Rejects if the
   * pool refuses it or it is dropped.
   */
  submit(signer, tx, what) {
    const prev = this.queues.get(signer.address) || Promise.resolve();
    const next = prev
      .catch(() => {})
      .then(() => within(this.ms, `${what}: in a block`, this.#inBlock(signer, tx, what)));
    this.queues.set(signer.address, next);
    return next;
  }

  /** As `submit`, and fails unless the extrinsic dispatched successfully. */
  async send(signer, tx, what) {
    const res = await this.submit(signer, tx, what);
    if (res.dispatchError) throw new Error(`${what}: dispatch error ${errorName(this.api, res.dispatchError)}`);
    return res;
  }

  #inBlock(signer, tx, what) {
    return new Promise((resolve, reject) => {
      let unsub;
      let done = false;
      const finish = (f) => {
        if (done) return;
        done = true;
        if (unsub) unsub();
        f();
      };
      tx.signAndSend(signer, (result) => {
        const { status, events, dispatchError } = result;
        // signAndSend may skip InBlock when finality follows at once (see api.test.mjs).
        if (status.isInBlock || status.isFinalized) {
          const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized;
          finish(() => resolve({ blockHash, events, dispatchError }));
        } else if (status.isInvalid || status.isDropped || status.isUsurped) {
          finish(() => reject(new Error(`${what}: transaction ${status.type}`)));
        }
      })
        .then((u) => {
          unsub = u;
          if (done) u();
        })
        .catch((err) => finish(() => reject(new Error(`${what}: ${err.message}`))));
    });
  }
}

/**
 * Every block's events from the moment `start` returns, in block order, fetched for each
 * block number (a new-heads subscription may skip numbers). Tests wait on it with deadlines.
 */
export class EventLog {
  constructor(api) {
    this.api = api;
    this.records = []; // { number, hash, event, phase }
    this.waiters = new Set();
    this.next = null;
    this.best = 0;
    this.chain = Promise.resolve();
    this.failure = null;
  }

  async start() {
    const head = await this.api.rpc.chain.getHeader();
    this.next = head.number.toNumber();
    this.unsub = await this.api.rpc.chain.subscribeNewHeads((header) => {
      const n = header.number.toNumber();
      this.chain = this.chain.then(() => this.#catchUp(n)).catch((err) => {
        this.failure = err;
        for (const w of this.waiters) w.reject(err);
      });
    });
  }

  stop() {
    if (this.unsub) this.unsub();
    for (const w of this.waiters) w.reject(new Error('event log stopped'));
  }

  async #catchUp(n) {
    while (this.next <= n) {
      const number = this.next;
      const hash = await this.api.rpc.chain.getBlockHash(number);
      const events = await this.api.query.system.events.at(hash);
      for (const { event, phase } of events) this.records.push({ number, hash, event, phase });
      this.best = number;
      this.next = number + 1;
      for (const w of this.waiters) w.check();
    }
  }

  /** The records seen so far that `pred` accepts. */
  all(pred) {
    return this.records.filter(pred);
  }

  /**
   * The first record (already seen or to come) that `pred` accepts, within `ms`.
   * `pred` gets `{ number, hash, event, phase }`.
   */
  waitFor(pred, ms, what) {
    return this.#wait(() => this.records.find(pred), ms, what);
  }

  /** Resolves once a block numbered at least `number` has been recorded, within `ms`. */
  waitForBlock(number, ms, what) {
    return this.#wait(() => (this.best >= number ? this.best : undefined), ms, what);
  }

  /** Resolves with the first defined value `probe` gives, checked after every block. */
  #wait(probe, ms, what) {
    let w;
    const found = new Promise((resolve, reject) => {
      w = {
        reject,
        check: () => {
          const hit = probe();
          if (hit !== undefined) {
            this.waiters.delete(w);
            resolve(hit);
          }
        },
      };
      if (this.failure) {
        reject(this.failure);
        return;
      }
      this.waiters.add(w);
      w.check();
    });
    return within(ms, what, found).finally(() => this.waiters.delete(w));
  }
}
