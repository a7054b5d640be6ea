// The L1 half against a real echonet-node --dev (ECHONET_WS; skipped without it:
// scripts/ci-js.sh runs it on the node it starts). Deposits go through pallet-bridge, whose
// runtime decompresses the packed key: the queued (x, y) must be the key's, which checks the
// client's packing against the Rust decompression inside the chain. The sequencer is the
// stand-in of mock-sequencer.mjs, to check the client's L1 cross-checks (rollup ids, and that
// a receipt is signed by a bridge operator).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import {
  ChainMismatchError,
  InvalidReceiptError,
  L1DispatchError,
  L2Key,
  RollupClient,
  connectL1,
  deposit,
  findWithdrawals,
  isBridgeOperator,
  rollupIdsOnL1,
  sendAndWait,
} from '../src/index.js';
import { startMockSequencer } from './mock-sequencer.mjs';

const ENDPOINT = process.env.ECHONET_WS;
const ECHO = 10n ** 12n;

describe('L1 bridge calls against echonet-node --dev', { skip: !ENDPOINT && 'set ECHONET_WS to a dev node', concurrency: false, timeout: 600_000 }, () => {
  let api;
  let charlie;
  let dave;
  let alice;

  before(async () => {
    api = await connectL1(ENDPOINT);
    const keyring = new Keyring({ type: 'sr25519' });
    alice = keyring.addFromUri('//Alice');
    charlie = keyring.addFromUri('//Charlie');
    dave = keyring.addFromUri('//Dave');
  });

  after(async () => {
    await api?.disconnect();
  });

  test('the bridge has a chain id and an instance id', async () => {
    const ids = await rollupIdsOnL1(api);
    assert.equal(ids.chainId, 1);
    assert.equal(typeof ids.instance, 'bigint');
  });

  test('a deposit to a new key creates the account the Deposited event names, with our (x, y)', async () => {
    const key = await L2Key.random();
    const next = (await api.query.bridge.nextIndex()).toNumber();
    const tail = (await api.query.bridge.queueTail()).toBigInt();
    const d = await deposit(api, charlie, key, 3n * ECHO);
    assert.equal(d.index, next);
    assert.equal(d.seq, tail);
    assert.equal(d.amount, 3n * ECHO);
    assert.equal(d.creates, true);
    const queued = (await api.query.bridge.depositQueue(d.seq)).unwrap();
    assert.equal(queued.to.toNumber(), d.index);
    const pk = queued.newAccount.unwrap();
    assert.equal(BigInt(pk.x.toHex()), key.point.x);
    assert.equal(BigInt(pk.y.toHex()), key.point.y);

    // Crediting the existing account keeps its index.
    const again = await deposit(api, dave, d.index, ECHO, { waitFor: 'inBlock' });
    assert.equal(again.index, d.index);
    assert.equal(again.creates, false);
  });

  test('bad deposits are refused: a key off the curve before sending, an unknown index by the bridge', async () => {
    await assert.rejects(deposit(api, charlie, `0x${'ff'.repeat(32)}`, ECHO), RangeError);
    const next = (await api.query.bridge.nextIndex()).toNumber();
    await assert.rejects(deposit(api, charlie, next + 1000, ECHO, { waitFor: 'inBlock' }), (e) => e instanceof L1DispatchError && e.module === 'bridge.UnknownL2Account');
  });

  test('no withdrawal is recorded before any batch', async () => {
    assert.deepEqual(await findWithdrawals(api, 1, charlie.address, ECHO), []);
  });

  test('RollupClient checks the sequencer against L1: rollup ids and the receipt signer', async () => {
    const { instance } = await rollupIdsOnL1(api);
    const wrong = await startMockSequencer({ instance: instance ^ 1n });
    const right = await startMockSequencer({ instance });
    try {
      const c1 = await RollupClient.connect({ l1: api, l2: wrong.ws });
      await assert.rejects(c1.rollupIds(), ChainMismatchError);
      await c1.disconnect();

      const c2 = await RollupClient.connect({ l1: api, l2: right.ws });
      const key = await L2Key.random();
      right.addAccount(0, key.publicKeyHex, 10n ** 15n);
      right.addAccount(1, (await L2Key.random()).publicKeyHex, 0n);
      // The stand-in signs receipts as //Alice: refused until Alice is a bridge operator.
      if (!(await isBridgeOperator(api, alice.publicKey))) {
        await assert.rejects(c2.transfer(key, { to: 1, amount: 1 }), (e) => e instanceof InvalidReceiptError && /not a bridge operator/.test(e.message));
        await sendAndWait(api, api.tx.sudo.sudo(api.tx.bridge.addOperator(alice.address)), alice, { waitFor: 'inBlock' });
        assert.equal(await isBridgeOperator(api, alice.publicKey), true);
      }
      const t = await c2.transfer(key, { to: 1, amount: 1 });
      assert.equal(t.receipt.operator, `0x${Buffer.from(alice.publicKey).toString('hex')}`);
      await c2.disconnect();
      // connect() did not open the api, so disconnect() left it usable.
      assert.ok(api.isConnected);
    } finally {
      await wrong.close();
      await right.close();
    }
  });
});
