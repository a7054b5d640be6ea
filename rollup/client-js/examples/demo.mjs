// The whole L2 round trip with @echonet/rollup-client, against a dev chain, a sequencer and
// a prover worker:
//
//   1. Alice deposits 100 ECHO from L1 into a new L2 account (a fresh random L2 key);
//      Bob deposits 50 ECHO into another;
//   2. three L2 transfers between them, each soft-confirmed at once with a signed receipt;
//   3. each followed until its batch is proven, settled on L1 and final;
//   4. Bob's L2 account withdraws 5 ECHO to Bob's L1 account, followed to final;
//   5. the withdrawal is claimed on L1 and Bob's L1 balance grows by 5 ECHO.
//
// Run (from rollup/client-js, after `npm ci`):
//   ECHONET_WS=ws://127.0.0.1:9944 ECHONET_L2=ws://127.0.0.1:9955 node examples/demo.mjs
// ECHONET_DEMO_TIMEOUT_S bounds each wait for finality (default 1200 s: proving a batch
// takes about a minute per 2-core worker).

import { Keyring } from '@polkadot/keyring';
import { L2Key, RollupClient } from '../src/index.js';

const L1_URL = process.env.ECHONET_WS || 'ws://127.0.0.1:9944';
const L2_URL = process.env.ECHONET_L2 || 'ws://127.0.0.1:9955';
const TIMEOUT_MS = Number(process.env.ECHONET_DEMO_TIMEOUT_S || 1200) * 1000;
const ECHO = 10n ** 12n; // 12 decimals

const t0 = Date.now();
const log = (...args) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`, ...args);
const echo = (units) => `${units / ECHO}.${(units % ECHO).toString().padStart(12, '0').replace(/0+$/, '') || '0'} ECHO`;

async function main() {
  log(`connecting to L1 ${L1_URL} and the sequencer ${L2_URL}`);
  const client = await RollupClient.connect({ l1: L1_URL, l2: L2_URL });
  try {
    const status = await client.status();
    const { chainId, instance } = await client.rollupIds();
    log(`rollup: chain ${chainId}, instance ${instance}, batch size ${status.batchSize}, min fee ${status.minFee}, final batch ${status.finalBatch}`);

    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const alice = keyring.addFromUri('//Alice');
    const bob = keyring.addFromUri('//Bob');

    // 1. Two fresh L2 keys, funded from L1. Keep `exportSeed()` somewhere safe in a real wallet.
    const keyA = await L2Key.random();
    const keyB = await L2Key.random();
    log(`L2 key A ${keyA.publicKeyHex}`);
    log(`L2 key B ${keyB.publicKeyHex}`);
    const depA = await client.deposit(alice, keyA, 100n * ECHO);
    log(`Alice deposited ${echo(depA.amount)} -> new L2 account #${depA.index} (queue seq ${depA.seq}, final in ${depA.blockHash})`);
    const depB = await client.deposit(bob, keyB, 50n * ECHO);
    log(`Bob deposited ${echo(depB.amount)} -> new L2 account #${depB.index} (queue seq ${depB.seq})`);
    // The sequencer picks up finalized deposits into its open batch.
    await client.waitForAccount(depA.index, { minBalance: 100n * ECHO, timeoutMs: TIMEOUT_MS });
    await client.waitForAccount(depB.index, { minBalance: 50n * ECHO, timeoutMs: TIMEOUT_MS });
    log('both accounts are on L2');

    // 2. Transfers: soft-confirmed at once, each with the operator's signed receipt.
    const transfers = [
      await client.transfer(keyA, { to: depB.index, amount: 10n * ECHO }),
      await client.transfer(keyA, { to: depB.index, amount: 2_500_000_000_000n }), // 2.5 ECHO
      await client.transfer(keyB, { to: depA.index, amount: 1n * ECHO }),
    ];
    for (const t of transfers) {
      log(`transfer ${t.tx.rpc.from} -> ${t.tx.rpc.to} ${echo(t.tx.amount)} (fee ${t.tx.fee}): ${t.hash} soft-confirmed in batch ${t.receipt.batch} slot ${t.receipt.slot}`);
    }

    // 3. Follow each to finality on L1.
    const follow = (hash, what) =>
      client.followTransaction(hash, {
        timeoutMs: TIMEOUT_MS,
        onStatus: (s) => log(`${what} ${hash.slice(0, 10)}…: ${s.status}${s.batch !== undefined ? ` (batch ${s.batch})` : ''}${s.l1Block ? ` L1 block ${JSON.stringify(s.l1Block)}` : ''}`),
      });
    await Promise.all(transfers.map((t, i) => follow(t.hash, `transfer ${i + 1}`)));
    log('all transfers are final on L1');

    // 4. Withdraw from B to Bob's L1 account.
    const free = async (who) => (await client.api.query.system.account(who.address)).data.free.toBigInt();
    const before = await free(bob);
    const w = await client.withdraw(keyB, { amount: 5n * ECHO, recipient: bob.address });
    log(`withdrawal of ${echo(w.tx.amount)} to ${bob.address}: ${w.hash} soft-confirmed in batch ${w.receipt.batch}`);
    const final = await follow(w.hash, 'withdrawal');

    // 5. Claim it on L1 (anyone may sign the claim; Bob pays its L1 fee here).
    const claim = await client.claimWithdrawal(bob, { hash: w.hash });
    const after = await free(bob);
    log(`claimed batch ${claim.batch} position ${claim.position}: ${echo(claim.amount)} to ${claim.recipient}`);
    log(`Bob's L1 balance ${echo(before)} -> ${echo(after)} (+${echo(after - before)}, minus the claim's L1 fee)`);

    for (const [name, idx] of [['A', depA.index], ['B', depB.index]]) {
      const a = await client.getAccount(idx);
      log(`L2 account ${name} #${idx}: balance ${echo(a.balance)}, nonce ${a.nonce}`);
    }
    log(`done: withdrawal final in batch ${final.batch}`);
  } finally {
    await client.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`demo failed: ${e.stack || e}`);
    process.exit(1);
  },
);
