// Typed errors. The sequencer's JSON-RPC error codes (seq-design.md, "Errors") each map to
// one class, so that a dApp writes `catch (e) { if (e instanceof NonceTooLowError) ... }`
// instead of matching messages. Every RPC error keeps `code`, `data` and the server's
// `message` (as `serverMessage`).

/** Base class of every error this package throws on purpose (besides TypeError/RangeError for bad arguments). */
export class RollupClientError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A JSON-RPC error from the sequencer. `retryable`: the same request may succeed later. */
export class L2RpcError extends RollupClientError {
  constructor(message, { code, data, serverMessage } = {}) {
    super(message);
    this.code = code;
    this.data = data;
    this.serverMessage = serverMessage;
  }

  get retryable() {
    return false;
  }
}

function dataField(data, key) {
  if (data !== null && typeof data === 'object' && key in data) return data[key];
  return data;
}

/** 2001: the signature does not verify for the sender's key and this message. */
export class BadSignatureError extends L2RpcError {}
/** 2002: the nonce was already used; `expected` is the account's next nonce. */
export class NonceTooLowError extends L2RpcError {
  get expected() {
    return dataField(this.data, 'expected');
  }
}
/** 2003: the nonce leaves a gap; `expected` is the account's next nonce. */
export class NonceTooHighError extends L2RpcError {
  get expected() {
    return dataField(this.data, 'expected');
  }
}
/** 2004: the sender cannot pay amount + fee (pending transactions included). */
export class InsufficientBalanceError extends L2RpcError {}
/** 2005: the sender or the recipient index has no account (yet: deposits land after L1 finality). */
export class UnknownAccountError extends L2RpcError {}
/** 2006: the fee is below the sequencer's minimum; `min` is the minimum. */
export class FeeTooLowError extends L2RpcError {
  get min() {
    return dataField(this.data, 'min');
  }
}
/** 2007: the sequencer's pool is full; retry later. */
export class PoolFullError extends L2RpcError {
  get retryable() {
    return true;
  }
}
/** 2008: too many requests from this address; retry later. */
export class RateLimitedError extends L2RpcError {
  get retryable() {
    return true;
  }
}
/** 2009: this account has too many pending transactions; wait for some to be batched. */
export class TooManyPendingError extends L2RpcError {
  get retryable() {
    return true;
  }
}
/** 2010: amount or fee not representable (Amount40/Fee8); `data` has the nearest values. */
export class InvalidAmountError extends L2RpcError {}
/** 2011: the rollup is frozen (exodus): exit on L1 with a Merkle proof instead. */
export class RollupFrozenError extends L2RpcError {}
/** 2012: from and to are the same account. */
export class SelfTransferError extends L2RpcError {}
/** 2013: the sequencer is not ready (operator account or L1 not set up yet); retry later. */
export class NotReadyError extends L2RpcError {
  get retryable() {
    return true;
  }
}
/** -32602: the request's parameters are malformed. */
export class InvalidParamsError extends L2RpcError {}

/** The sequencer's error codes and their classes. */
export const L2_ERROR_CLASSES = Object.freeze({
  2001: BadSignatureError,
  2002: NonceTooLowError,
  2003: NonceTooHighError,
  2004: InsufficientBalanceError,
  2005: UnknownAccountError,
  2006: FeeTooLowError,
  2007: PoolFullError,
  2008: RateLimitedError,
  2009: TooManyPendingError,
  2010: InvalidAmountError,
  2011: RollupFrozenError,
  2012: SelfTransferError,
  2013: NotReadyError,
  '-32602': InvalidParamsError,
});

const DESCRIPTIONS = {
  2001: 'bad signature',
  2002: 'nonce too low',
  2003: 'nonce too high',
  2004: 'insufficient balance',
  2005: 'unknown account',
  2006: 'fee below the minimum',
  2007: 'pool full',
  2008: 'rate limited',
  2009: 'too many pending transactions for this account',
  2010: 'invalid amount or fee (not representable)',
  2011: 'rollup frozen (exodus)',
  2012: 'self-transfer',
  2013: 'sequencer not ready',
  '-32602': 'malformed parameters',
};

/**
 * The typed error for a JSON-RPC error object ({code, message, data}) or for an error thrown
 * by @polkadot/rpc-provider (which carries `code` and `data`). Anything without a numeric
 * code is returned unchanged (transport errors, timeouts).
 */
export function l2ErrorFromRpc(err, method) {
  if (err === null || typeof err !== 'object' || typeof err.code !== 'number') return err;
  const Cls = L2_ERROR_CLASSES[err.code] || L2RpcError;
  // @polkadot/rpc-provider prefixes the code ("2002: nonce too low: ..."): strip it.
  const raw = String(err.message ?? '').replace(new RegExp(`^${err.code}: `), '');
  const what = DESCRIPTIONS[err.code] || 'error';
  const data = err.data === undefined ? '' : ` (data: ${safeJson(err.data)})`;
  const where = method ? `${method}: ` : '';
  return new Cls(`${where}${what} [${err.code}]: ${raw}${data}`, { code: err.code, data: err.data, serverMessage: raw });
}

function safeJson(x) {
  try {
    const s = JSON.stringify(x);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(x);
  }
}

/** The transaction left the pool without being included (`status: "dropped"`). */
export class TransactionDroppedError extends RollupClientError {
  constructor(status) {
    super(`transaction ${status?.hash} was dropped: ${status?.reason ?? 'no reason given'}`);
    this.status = status;
    this.reason = status?.reason;
  }
}

/** The sequencer does not know the transaction. */
export class UnknownTransactionError extends RollupClientError {}

/** A receipt that does not match the transaction or is not signed by a bridge operator. */
export class InvalidReceiptError extends RollupClientError {
  constructor(message, receipt) {
    super(message);
    this.receipt = receipt;
  }
}

/** The sequencer and the L1 chain disagree on the chain id or the rollup instance. */
export class ChainMismatchError extends RollupClientError {}

/** An L1 extrinsic failed; `module` is e.g. "bridge.InvalidPublicKey". */
export class L1DispatchError extends RollupClientError {
  constructor(message, { module, docs } = {}) {
    super(message);
    this.module = module;
    this.docs = docs;
  }
}

/** A wait passed its deadline. */
export class TimeoutError extends RollupClientError {}
