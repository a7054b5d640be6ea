// A stand-in for echonet-sequencer's L2 JSON-RPC, written from seq-design.md, for the
// client's tests while the real sequencer does not exist. It speaks the design's shapes over
// HTTP and WebSocket on one port, checks transactions like admission does (shape, amounts,
// accounts, fee, nonce, signature, balance) and answers with the design's error codes and
// sr25519-signed receipts. Batching, proving and settlement are driven by the test
// (`advance(hash, status)`); nothing here is part of the package.

import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  ceilAmount,
  ceilFee,
  encodeAmount,
  encodeFee,
  floorAmount,
  floorFee,
  isAmountRepresentable,
  isFeeRepresentable,
  receiptMessage,
  transferMessage,
  txHash,
  verifySignature,
  withdrawMessage,
} from '../src/index.js';

class RpcFailure extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

export async function startMockSequencer({ chainId = 1, instance = 0x9e3779b97f4a7c15n, minFee = 1n } = {}) {
  const operator = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  const accounts = new Map(); // index -> { publicKey, balance, nonce, pendingBalance, pendingNonce }
  const txs = new Map(); // hash -> status object
  const subs = new Map(); // subscription id -> { ws, hash }
  let nextSub = 1;
  let slot = 0;
  const openBatch = 1;
  const overrides = []; // queued forced errors for l2_sendTransaction
  const mock = {
    operator,
    accounts,
    txs,
    calls: [],
    receiptTamper: null,
    addAccount(index, publicKeyHex, balance) {
      accounts.set(index, { publicKey: publicKeyHex, balance, nonce: 0, pendingBalance: balance, pendingNonce: 0 });
    },
    failNextSend(code, message, data) {
      overrides.push({ code, message, data });
    },
    /** Moves `hash` to `status` and notifies its subscribers (the sequencer's pipeline). */
    advance(hash, status, extra = {}) {
      const t = txs.get(hash);
      Object.assign(t, { status }, extra);
      for (const [id, s] of subs) {
        if (s.hash !== hash) continue;
        notify(s.ws, id, t);
        if (status === 'final' || status === 'dropped') subs.delete(id);
      }
    },
    subscriptions: () => subs.size,
  };

  const str = (v) => typeof v === 'string' && /^[0-9]+$/.test(v);
  const intField = (v, max) => Number.isSafeInteger(v) && v >= 0 && v <= max;

  function admit(tx) {
    if (overrides.length) {
      const o = overrides.shift();
      throw new RpcFailure(o.code, o.message, o.data);
    }
    if (!tx || (tx.type !== 'transfer' && tx.type !== 'withdraw')) throw new RpcFailure(-32602, 'unknown transaction type');
    if (!intField(tx.from, 0xffffff) || !intField(tx.nonce, 2 ** 40 - 1) || !str(tx.amount) || !str(tx.fee)) {
      throw new RpcFailure(-32602, 'malformed transaction');
    }
    if (!/^0x[0-9a-f]{128}$/.test(tx.signature)) throw new RpcFailure(-32602, 'signature must be 64 bytes of hex');
    if (!isAmountRepresentable(tx.amount) || !isFeeRepresentable(tx.fee)) {
      throw new RpcFailure(2010, 'amount or fee not representable', {
        amount: { below: floorAmount(tx.amount).toString(), above: ceilAmount(tx.amount)?.toString() ?? null },
        fee: { below: floorFee(tx.fee).toString(), above: ceilFee(tx.fee)?.toString() ?? null },
      });
    }
    const from = accounts.get(tx.from);
    if (!from) throw new RpcFailure(2005, `unknown account ${tx.from}`);
    let message;
    if (tx.type === 'transfer') {
      if (!intField(tx.to, 0xffffff)) throw new RpcFailure(-32602, 'malformed transaction');
      if (tx.to === tx.from) throw new RpcFailure(2012, 'self-transfer');
      if (!accounts.has(tx.to)) throw new RpcFailure(2005, `unknown account ${tx.to}`);
      message = transferMessage({ chainId, instance, from: tx.from, to: tx.to, amountCode: encodeAmount(tx.amount), feeCode: encodeFee(tx.fee), nonce: tx.nonce });
    } else {
      if (!/^0x[0-9a-f]{64}$/.test(tx.recipient)) throw new RpcFailure(-32602, 'recipient must be 32 bytes of hex');
      message = withdrawMessage({ chainId, instance, from: tx.from, amountCode: encodeAmount(tx.amount), feeCode: encodeFee(tx.fee), nonce: tx.nonce, recipient: tx.recipient });
    }
    if (BigInt(tx.fee) < minFee) throw new RpcFailure(2006, 'fee below the minimum', { min: minFee.toString() });
    if (tx.nonce < from.pendingNonce) throw new RpcFailure(2002, 'nonce too low', { expected: from.pendingNonce });
    if (tx.nonce > from.pendingNonce) throw new RpcFailure(2003, 'nonce too high', { expected: from.pendingNonce });
    if (!verifySignature(from.publicKey, message, tx.signature)) throw new RpcFailure(2001, 'bad signature');
    const cost = BigInt(tx.amount) + BigInt(tx.fee);
    if (cost > from.pendingBalance) throw new RpcFailure(2004, 'insufficient balance');
    from.pendingBalance -= cost;
    from.pendingNonce += 1;
    if (tx.type === 'transfer') accounts.get(tx.to).pendingBalance += BigInt(tx.amount);
    const hash = txHash(message, tx.signature);
    const receipt = { hash, batch: openBatch, slot: slot++, operator: u8aToHex(operator.publicKey) };
    receipt.signature = u8aToHex(operator.sign(receiptMessage({ instance, ...receipt })));
    if (mock.receiptTamper) mock.receiptTamper(receipt);
    txs.set(hash, { hash, status: 'softConfirmed', batch: receipt.batch, slot: receipt.slot, tx });
    return receipt;
  }

  const view = (a, index) => a && {
    index,
    publicKey: a.publicKey,
    balance: a.balance.toString(),
    nonce: a.nonce,
    pendingBalance: a.pendingBalance.toString(),
    pendingNonce: a.pendingNonce,
  };

  function handle(method, params, ws) {
    mock.calls.push(method);
    const p = Array.isArray(params) ? params : [params];
    switch (method) {
      case 'l2_status':
        return {
          chainId,
          instance: instance.toString(),
          batchSize: 4,
          minFee: minFee.toString(),
          operatorFeeAccount: 0,
          cutRoot: '0x00',
          provenBatch: 0,
          settledBatch: 0,
          finalBatch: 0,
          openBatch,
          pendingTxs: txs.size,
          jobsQueued: 0,
          jobsLeased: 0,
          exodus: false,
        };
      case 'l2_getAccount': {
        const q = p[0] || {};
        if (typeof q.index === 'number') return view(accounts.get(q.index), q.index) ?? null;
        for (const [i, a] of accounts) if (a.publicKey === q.publicKey) return view(a, i);
        return null;
      }
      case 'l2_sendTransaction':
        return admit(p[0]);
      case 'l2_getTransaction':
        return txs.get(p[0]) ?? null;
      case 'l2_subscribeTransaction': {
        if (!ws) throw new RpcFailure(-32601, 'subscriptions need WebSocket');
        const t = txs.get(p[0]);
        if (!t) throw new RpcFailure(-32602, 'unknown transaction');
        const id = `sub${nextSub++}`;
        subs.set(id, { ws, hash: p[0] });
        // The current status first, after the subscription id.
        setImmediate(() => notify(ws, id, t));
        return id;
      }
      case 'l2_unsubscribeTransaction':
        return subs.delete(p[0]);
      default:
        throw new RpcFailure(-32601, `method not found: ${method}`);
    }
  }

  function answer(req, ws) {
    try {
      return { jsonrpc: '2.0', id: req.id, result: handle(req.method, req.params, ws) };
    } catch (e) {
      if (!(e instanceof RpcFailure)) throw e;
      const error = { code: e.code, message: e.message };
      if (e.data !== undefined) error.data = e.data;
      return { jsonrpc: '2.0', id: req.id, error };
    }
  }

  function notify(ws, subscription, result) {
    if (ws.readyState !== 1) return;
    ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'l2_transactionStatus', params: { subscription, result } }));
  }

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(answer(JSON.parse(body))));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => {
    ws.on('message', (m) => ws.send(JSON.stringify(answer(JSON.parse(String(m)), ws))));
    ws.on('close', () => {
      for (const [id, s] of subs) if (s.ws === ws) subs.delete(id);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  mock.http = `http://127.0.0.1:${port}`;
  mock.ws = `ws://127.0.0.1:${port}`;
  mock.close = async () => {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
    await new Promise((r) => server.close(r));
  };
  return mock;
}
