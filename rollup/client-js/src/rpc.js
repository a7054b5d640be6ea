// The sequencer's L2 JSON-RPC (seq-design.md, "L2 JSON-RPC"), over WebSocket
// (@polkadot/rpc-provider's WsProvider: reconnects and re-subscribes by itself) or over HTTP
// (Node's fetch; subscriptions are then replaced by polling). Errors come back typed
// (errors.js).

import { WsProvider } from '@polkadot/rpc-provider';
import { l2ErrorFromRpc, TimeoutError } from './errors.js';

const NOTIFICATION = 'l2_transactionStatus';

/** Rejects after `ms` with a TimeoutError naming `what` (ms = Infinity: never). */
export function withTimeout(promise, ms, what) {
  if (!Number.isFinite(ms)) return promise;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A JSON-RPC connection to a sequencer. Create it with `L2Rpc.connect(url)`. */
export class L2Rpc {
  #transport;

  constructor(transport) {
    this.#transport = transport;
    this.url = transport.url;
  }

  /**
   * Connects to `url` (ws://, wss://, http:// or https://). `timeoutMs` bounds the
   * connection and every request (default 30 s).
   */
  static async connect(url, { timeoutMs = 30_000 } = {}) {
    if (/^wss?:\/\//.test(url)) {
      // Reconnect after 1 s; no response cache (every answer reflects the current state).
      const provider = new WsProvider(url, 1_000, {}, timeoutMs, 0);
      try {
        await withTimeout(provider.isReady, timeoutMs, `connecting to the sequencer at ${url}`);
      } catch (e) {
        await provider.disconnect().catch(() => {});
        throw e;
      }
      return new L2Rpc(new WsTransport(url, provider));
    }
    if (/^https?:\/\//.test(url)) return new L2Rpc(new HttpTransport(url, timeoutMs));
    throw new TypeError(`sequencer URL must be ws://, wss://, http:// or https://, got ${url}`);
  }

  /** Whether subscriptions are pushed (WebSocket) rather than polled (HTTP). */
  get canSubscribe() {
    return this.#transport.canSubscribe;
  }

  /** Calls `method` with positional `params`; throws a typed L2RpcError on an RPC error. */
  async call(method, params = []) {
    try {
      return await this.#transport.send(method, params);
    } catch (e) {
      throw l2ErrorFromRpc(e, method);
    }
  }

  /**
   * `l2_subscribeTransaction(hash)`: calls `onStatus(status)` for the current status and every
   * change; `onError(err)` if the subscription fails. Returns an async unsubscribe function.
   * WebSocket only.
   */
  async subscribeTransaction(hash, onStatus, onError = () => {}) {
    if (!this.canSubscribe) throw new TypeError('subscriptions need a ws:// sequencer URL');
    try {
      return await this.#transport.subscribe(
        NOTIFICATION,
        'l2_subscribeTransaction',
        'l2_unsubscribeTransaction',
        [hash],
        (err, result) => (err ? onError(l2ErrorFromRpc(err, 'l2_subscribeTransaction')) : onStatus(result)),
      );
    } catch (e) {
      throw l2ErrorFromRpc(e, 'l2_subscribeTransaction');
    }
  }

  /** Closes the connection. */
  async disconnect() {
    await this.#transport.close();
  }
}

class WsTransport {
  canSubscribe = true;

  constructor(url, provider) {
    this.url = url;
    this.provider = provider;
  }

  send(method, params) {
    return this.provider.send(method, params, false);
  }

  async subscribe(type, method, unsubMethod, params, cb) {
    const id = await this.provider.subscribe(type, method, params, cb);
    return async () => {
      // The sequencer ends the subscription itself after `final`/`dropped`; unsubscribing
      // then may be refused, which is fine.
      try {
        await this.provider.unsubscribe(type, unsubMethod, id);
      } catch {
        // already closed
      }
    };
  }

  close() {
    return this.provider.disconnect();
  }
}

class HttpTransport {
  canSubscribe = false;
  #id = 0;

  constructor(url, timeoutMs) {
    this.url = url;
    this.timeoutMs = timeoutMs;
  }

  async send(method, params) {
    const id = ++this.#id;
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${method}: HTTP ${res.status} from ${this.url}, not JSON: ${text.slice(0, 200)}`);
    }
    if (body && typeof body === 'object' && body.error) {
      const { code, message, data } = body.error;
      const err = new Error(message);
      err.code = code;
      err.data = data;
      throw err;
    }
    if (!body || typeof body !== 'object' || !('result' in body)) {
      throw new Error(`${method}: malformed JSON-RPC response from ${this.url}`);
    }
    return body.result;
  }

  async close() {}
}
