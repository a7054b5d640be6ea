// RollupClient against a stand-in sequencer (test/mock-sequencer.mjs, written from
// seq-design.md) over WebSocket and HTTP: the wire format of requests and receipts, the
// typed errors for every error code, receipt checks, and following a transaction to
// `final` or `dropped`. No L1 here (deposits and claims need a node: examples/demo.mjs).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BadSignatureError,
  ChainMismatchError,
  FeeTooLowError,
  InsufficientBalanceError,
  InvalidAmountError,
  InvalidParamsError,
  InvalidReceiptError,
  L2Key,
  L2RpcError,
  L2_ERROR_CLASSES,
  NonceTooHighError,
  NonceTooLowError,
  NotReadyError,
  NotRepresentableError,
  PoolFullError,
  RateLimitedError,
  RollupClient,
  RollupFrozenError,
  SelfTransferError,
  TimeoutError,
  TooManyPendingError,
  TransactionDroppedError,
  UnknownAccountError,
  UnknownTransactionError,
  l2ErrorFromRpc,
} from '../src/index.js';
import { startMockSequencer } from './mock-sequencer.mjs';

const INSTANCE = 0x9e3779b97f4a7c15n;
const BOB_L1 = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';

test('every design error code maps to its own class', () => {
  const cases = [
    [2001, BadSignatureError],
    [2002, NonceTooLowError],
    [2003, NonceTooHighError],
    [2004, InsufficientBalanceError],
    [2005, UnknownAccountError],
    [2006, FeeTooLowError],
    [2007, PoolFullError],
    [2008, RateLimitedError],
    [2009, TooManyPendingError],
    [2010, InvalidAmountError],
    [2011, RollupFrozenError],
    [2012, SelfTransferError],
    [2013, NotReadyError],
    [-32602, InvalidParamsError],
  ];
  assert.equal(Object.keys(L2_ERROR_CLASSES).length, cases.length);
  const seen = new Set();
  for (const [code, Cls] of cases) {
    const e = l2ErrorFromRpc({ code, message: 'server says', data: { expected: 7, min: '5' } }, 'l2_sendTransaction');
    assert.ok(e instanceof Cls, `${code}`);
    assert.ok(e instanceof L2RpcError);
    assert.equal(e.code, code);
    assert.equal(e.serverMessage, 'server says');
    assert.match(e.message, new RegExp(`^l2_sendTransaction: .*\\[${code}\\]: server says`));
    seen.add(Cls);
  }
  assert.equal(seen.size, cases.length);
  // Retryable: pool full, rate limited, too many pending, not ready; nothing else.
  const retryable = cases.filter(([c]) => l2ErrorFromRpc({ code: c, message: '' }).retryable).map(([c]) => c);
  assert.deepEqual(retryable, [2007, 2008, 2009, 2013]);
  // data accessors, as an object or a bare value.
  assert.equal(l2ErrorFromRpc({ code: 2002, message: '', data: { expected: 4 } }).expected, 4);
  assert.equal(l2ErrorFromRpc({ code: 2003, message: '', data: 9 }).expected, 9);
  assert.equal(l2ErrorFromRpc({ code: 2006, message: '', data: { min: '10' } }).min, '10');
  // @polkadot/rpc-provider's "code: message" prefix is stripped.
  assert.equal(l2ErrorFromRpc({ code: 2001, message: '2001: bad signature' }).serverMessage, 'bad signature');
  // Unknown codes stay generic; non-RPC errors pass through unchanged.
  const other = l2ErrorFromRpc({ code: -32000, message: 'x' });
  assert.equal(other.constructor, L2RpcError);
  const plain = new Error('socket closed');
  assert.equal(l2ErrorFromRpc(plain), plain);
});

for (const transport of ['ws', 'http']) {
  describe(`RollupClient over ${transport}`, { concurrency: false }, () => {
    let mock;
    let client;
    let alice;
    let bob;

    before(async () => {
      mock = await startMockSequencer({ instance: INSTANCE });
      alice = await L2Key.fromSeed(new Uint8Array(32).fill(11));
      bob = await L2Key.fromSeed(new Uint8Array(32).fill(12));
      mock.addAccount(0, alice.publicKeyHex, 10n ** 15n);
      mock.addAccount(1, bob.publicKeyHex, 0n);
      client = await RollupClient.connect({ l2: mock[transport], timeoutMs: 10_000 });
    });

    after(async () => {
      await client?.disconnect();
      await mock?.close();
    });

    test('reads the rollup ids and accounts', async () => {
      assert.deepEqual(await client.rollupIds(), { chainId: 1, instance: INSTANCE });
      const a = await client.getAccount(alice);
      assert.equal(a.index, 0);
      assert.equal(a.balance, 10n ** 15n);
      assert.equal(a.pendingNonce, 0);
      assert.deepEqual(await client.getAccount(1), await client.getAccount(bob.publicKey));
      assert.equal(await client.getAccount(99), null);
      assert.equal(await client.defaultFee(), 1n);
    });

    test('a transfer is sent in the design format and its receipt checked', async () => {
      const { hash, receipt, tx } = await client.transfer(alice, { to: 1, amount: 5_000_000n });
      assert.equal(receipt.hash, hash);
      assert.deepEqual(Object.keys(tx.rpc), ['type', 'from', 'to', 'amount', 'fee', 'nonce', 'signature']);
      assert.deepEqual({ ...tx.rpc, signature: undefined }, { type: 'transfer', from: 0, to: 1, amount: '5000000', fee: '1', nonce: 0, signature: undefined });
      // The next transfer takes the pending nonce.
      const second = await client.transfer(alice, { to: 1, amount: 7 });
      assert.equal(second.tx.rpc.nonce, 1);
      const b = await client.getAccount(bob);
      assert.equal(b.pendingBalance, 5_000_007n);
    });

    test('sequencer refusals arrive as typed errors', async () => {
      await assert.rejects(client.transfer(alice, { to: 1, amount: 1, nonce: 0 }), (e) => e instanceof NonceTooLowError && e.expected === 2);
      await assert.rejects(client.transfer(alice, { to: 1, amount: 1, nonce: 5 }), (e) => e instanceof NonceTooHighError && e.expected === 2);
      await assert.rejects(client.transfer(alice, { to: 1, amount: 1, fee: 0 }), (e) => e instanceof FeeTooLowError && e.min === '1');
      await assert.rejects(client.transfer(bob, { to: 0, amount: 10n ** 10n }), InsufficientBalanceError);
      await assert.rejects(client.transfer(alice, { to: 42, amount: 1 }), UnknownAccountError);
      // A signature by the wrong key for account 0.
      await assert.rejects(client.transfer(bob, { from: 0, to: 1, amount: 1 }), BadSignatureError);
      for (const [code, Cls] of [[2007, PoolFullError], [2008, RateLimitedError], [2009, TooManyPendingError], [2011, RollupFrozenError], [2013, NotReadyError]]) {
        mock.failNextSend(code, 'forced', null);
        await assert.rejects(client.transfer(alice, { to: 1, amount: 1 }), Cls);
      }
      // Nothing was admitted by the refusals.
      assert.equal((await client.getAccount(alice)).pendingNonce, 2);
    });

    test('values the formats cannot carry are refused before sending', async () => {
      const sent = mock.calls.filter((m) => m === 'l2_sendTransaction').length;
      await assert.rejects(client.transfer(alice, { to: 1, amount: 2n ** 35n }), (e) => e instanceof NotRepresentableError && e.below === 2n ** 35n - 1n);
      await assert.rejects(client.transfer(alice, { to: 1, amount: 1, fee: 17 }), (e) => e instanceof NotRepresentableError && e.kind === 'fee');
      await assert.rejects(client.transfer(alice, { to: 0, amount: 1 }), /self-transfer/);
      await assert.rejects(client.transfer(alice, { to: 2 ** 24, amount: 1 }), RangeError);
      assert.equal(mock.calls.filter((m) => m === 'l2_sendTransaction').length, sent);
    });

    test('a receipt for another hash, or badly signed, is refused', async () => {
      mock.receiptTamper = (r) => {
        r.hash = `0x${'00'.repeat(32)}`;
      };
      await assert.rejects(client.transfer(alice, { to: 1, amount: 1 }), InvalidReceiptError);
      mock.receiptTamper = (r) => {
        r.slot += 1; // signed for another slot
      };
      await assert.rejects(client.transfer(alice, { to: 1, amount: 1 }), (e) => e instanceof InvalidReceiptError && /does not verify/.test(e.message));
      mock.receiptTamper = null;
    });

    test('follows a transaction to final', async () => {
      const { hash } = await client.transfer(alice, { to: 1, amount: 3 });
      const seen = [];
      const done = client.followTransaction(hash, { onStatus: (s) => seen.push(s.status), timeoutMs: 10_000, pollMs: 20 });
      const steps = ['inBatch', 'proven', 'settled', 'final'];
      for (const s of steps) {
        await waitFor(() => seen.length > 0 && seen.at(-1) !== undefined);
        await new Promise((r) => setTimeout(r, 60));
        mock.advance(hash, s, s === 'settled' ? { l1Block: 12 } : {});
      }
      const final = await done;
      assert.equal(final.status, 'final');
      assert.equal(final.hash, hash);
      assert.equal(seen[0], 'softConfirmed');
      assert.equal(seen.at(-1), 'final');
      // Every status seen is in the design's order.
      const order = ['softConfirmed', ...steps];
      assert.deepEqual(seen, order.filter((s) => seen.includes(s)));
      if (transport === 'ws') {
        // Pushed, not polled; and the sequencer's end of the subscription is not leaked.
        assert.ok(mock.calls.includes('l2_subscribeTransaction'));
        assert.ok(!mock.calls.includes('l2_getTransaction'));
        await waitFor(() => mock.subscriptions() === 0);
      } else {
        assert.ok(mock.calls.includes('l2_getTransaction'));
      }
    });

    test('a dropped transaction rejects with its reason', async () => {
      const { hash } = await client.transfer(alice, { to: 1, amount: 4 });
      const done = client.followTransaction(hash, { timeoutMs: 10_000, pollMs: 20 });
      await new Promise((r) => setTimeout(r, 60));
      mock.advance(hash, 'dropped', { reason: 'sender overdrawn after a reorg of deposits' });
      await assert.rejects(done, (e) => e instanceof TransactionDroppedError && /overdrawn/.test(e.reason));
    });

    test('following an unknown hash, or past a deadline, fails clearly', async () => {
      const unknown = `0x${'ab'.repeat(32)}`;
      await assert.rejects(
        client.followTransaction(unknown, { timeoutMs: 5_000, pollMs: 20 }),
        (e) => (transport === 'ws' ? e instanceof InvalidParamsError : e instanceof UnknownTransactionError),
      );
      const { hash } = await client.transfer(alice, { to: 1, amount: 5 });
      await assert.rejects(client.followTransaction(hash, { timeoutMs: 150, pollMs: 20 }), (e) => e instanceof TimeoutError && /softConfirmed/.test(e.message));
      const ac = new AbortController();
      const p = client.followTransaction(hash, { signal: ac.signal, pollMs: 20 });
      ac.abort(new Error('user left'));
      await assert.rejects(p, /user left/);
    });

    test('a withdrawal binds its L1 recipient', async () => {
      const { tx, receipt } = await client.withdraw(alice, { amount: 1000, recipient: BOB_L1 });
      assert.equal(tx.rpc.type, 'withdraw');
      assert.equal(tx.rpc.recipient, '0x8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48');
      assert.equal(receipt.hash, tx.hash);
      assert.equal(mock.txs.get(tx.hash).tx.recipient, tx.rpc.recipient);
    });
  });
}

test('an instance id beyond 2^53 sent as a JSON number is refused without L1', async () => {
  const mock = await startMockSequencer({ instance: INSTANCE });
  const client = await RollupClient.connect({ l2: mock.http });
  try {
    // Simulate a sequencer that sends the instance as a number.
    const status = client.status.bind(client);
    client.status = async () => ({ ...(await status()), instance: Number(INSTANCE) });
    await assert.rejects(client.rollupIds(), ChainMismatchError);
    // With the ids given explicitly, signing works.
    const pinned = new RollupClient({ rpc: client.rpc, chainId: 1, instance: INSTANCE });
    assert.deepEqual(await pinned.rollupIds(), { chainId: 1, instance: INSTANCE });
  } finally {
    await client.disconnect();
    await mock.close();
  }
});

test('connecting to nothing fails within the deadline', async () => {
  const t0 = Date.now();
  await assert.rejects(RollupClient.connect({ l2: 'ws://127.0.0.1:9', timeoutMs: 500 }), TimeoutError);
  assert.ok(Date.now() - t0 < 5_000);
  await assert.rejects(RollupClient.connect({ l2: 'ftp://x' }), TypeError);
});

async function waitFor(cond, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
