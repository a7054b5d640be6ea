// End-to-end load of the rollup through @echonet/rollup-client's public API, against a real
// dev chain, a real `echonet-sequencer` and real `echonet-prover worker`s. Driven phase by
// phase by the Rust test `tests/tests/it/sequencer.rs`, which injects faults between phases
// (kill -9 of the sequencer, a worker killed mid-proof, the node restarted) and checks the
// ledger this script keeps against the chain and the sequencer.
//
//   node load.mjs <phase> --l1 ws://… --l2 ws://… --state FILE [phase arguments]
//
// Phases (each reads and rewrites the JSON state FILE):
//   deposit                 three L1 dev accounts (//Bob, //Charlie, //Dave) deposit into three
//                           new L2 accounts (deterministic seeds), waits until L2 has them;
//   transfers FROM COUNT    transfers number FROM..FROM+COUNT, round robin between the three,
//                           each soft-confirmed with a checked receipt (retryable refusals,
//                           e.g. the per-account limit, are retried until a deadline);
//   bad LIMIT               malformed, badly signed, replayed, overdrawn transactions and a
//                           flood from one account (per-account LIMIT): each must get its
//                           typed error; no earlier receipt may change;
//   withdraw                each account withdraws to its L1 owner, followed to final, claimed
//                           on L1 by the recipient.
// The state holds the expected L2 balances and nonces, every receipt, and per L1 account the
// initial free balance, the deposits, the L1 fees paid (TransactionFeePaid events of its own
// extrinsics) and the claims. The last line printed is `LEDGER <state JSON>`.

import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { Keyring } from '@polkadot/keyring';
import { u8aToHex } from '@polkadot/util';
import {
  L2Key,
  RollupClient,
  L2RpcError,
  accountId32,
  signTransfer,
  signWithdrawal,
} from '../../src/index.js';

const ECHO = 10n ** 12n;
const DEPOSIT = 1000n * ECHO;
const WITHDRAW = 100n * ECHO;
const OWNERS = ['//Bob', '//Charlie', '//Dave'];
const SEND_DEADLINE_MS = Number(process.env.E2E_SEND_DEADLINE_S || 900) * 1000;
const FINAL_DEADLINE_MS = Number(process.env.E2E_FINAL_DEADLINE_S || 900) * 1000;

const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`, ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const [phase, ...rest] = argv;
  const opts = { positional: [] };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i].startsWith('--')) opts[rest[i].slice(2)] = rest[++i];
    else opts.positional.push(rest[i]);
  }
  for (const k of ['l1', 'l2', 'state']) if (!opts[k]) throw new Error(`--${k} is required`);
  return { phase, opts };
}

// JSON with bigints as decimal strings.
const loadState = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
};
const saveState = (file, s) => {
  writeFileSync(`${file}.tmp`, JSON.stringify(s, null, 1));
  renameSync(`${file}.tmp`, file);
};
const big = (v) => BigInt(v);
const add = (obj, k, v) => {
  obj[k] = (big(obj[k] ?? 0) + v).toString();
};

function expect(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** The L1 fee `who` paid in block `blockHash` (its TransactionFeePaid events there). */
async function l1FeePaid(api, blockHash, who) {
  const events = await (await api.at(blockHash)).query.system.events();
  const me = u8aToHex(accountId32(who));
  let fee = 0n;
  let n = 0;
  for (const { event } of events) {
    if (api.events.transactionPayment.TransactionFeePaid.is(event)) {
      const [payer, actual, tip] = event.data;
      if (u8aToHex(payer.toU8a()) === me) {
        fee += actual.toBigInt() + tip.toBigInt();
        n++;
      }
    }
  }
  expect(n === 1, `exactly one TransactionFeePaid for ${who} in ${blockHash}, found ${n}`);
  return fee;
}

async function keys() {
  const out = [];
  for (let i = 0; i < OWNERS.length; i++) out.push(await L2Key.fromSeed(`0x${(0xe0 + i).toString(16).repeat(32)}`));
  return out;
}

/** Sends `signed` (from signTransfer/signWithdrawal), retrying refusals marked retryable. */
async function sendRetrying(client, signed) {
  const deadline = Date.now() + SEND_DEADLINE_MS;
  let retries = 0;
  for (;;) {
    try {
      const receipt = await client.send(signed);
      return { receipt, retries };
    } catch (e) {
      if (!(e instanceof L2RpcError) || !e.retryable || Date.now() > deadline) throw e;
      retries++;
      await sleep(250);
    }
  }
}

/** Records an accepted L2 tx in the ledger. */
function book(state, signed, receipt, { from, to, nonce }) {
  const l2 = state.l2;
  const amount = signed.amount;
  const fee = signed.fee;
  add(l2[from], 'balance', -(amount + fee));
  l2[from].nonce = nonce + 1;
  if (to !== undefined) add(l2[to], 'balance', amount);
  add(l2[state.feeAccount], 'balance', fee);
  state.receipts.push({ hash: signed.hash, batch: receipt.batch, slot: receipt.slot, from, nonce });
}

async function phaseDeposit(client, state) {
  const ks = await keys();
  const kr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const status = await client.status();
  const feeAccount = status.operatorFeeAccount;
  // The fee account may itself still be on its way from L1 (the sequencer's dev setup).
  const fee = await client.waitForAccount(feeAccount, { timeoutMs: FINAL_DEADLINE_MS });
  state.feeAccount = feeAccount;
  state.minFee = status.minFee;
  state.l2 = { [feeAccount]: { balance: fee.pendingBalance.toString(), nonce: fee.pendingNonce } };
  state.l1 = {};
  state.accounts = [];
  state.receipts = [];
  const pairs = OWNERS.map((u) => kr.addFromUri(u));
  for (const p of pairs) {
    const free = (await client.api.query.system.account(p.address)).data.free.toBigInt();
    state.l1[p.address] = { uri: OWNERS[pairs.indexOf(p)], initial: free.toString(), deposits: '0', fees: '0', claimed: '0' };
  }
  // The three deposits in parallel (three signers, three nonces), each awaited to finality.
  const deps = await Promise.all(pairs.map((p, i) => client.deposit(p, ks[i], DEPOSIT)));
  for (let i = 0; i < pairs.length; i++) {
    const d = deps[i];
    expect(d.creates, `deposit ${i} creates an account`);
    expect(d.amount === DEPOSIT, `deposit ${i} amount`);
    const l1 = state.l1[pairs[i].address];
    add(l1, 'deposits', DEPOSIT);
    add(l1, 'fees', await l1FeePaid(client.api, d.blockHash, pairs[i].address));
    state.accounts.push({ index: d.index, owner: pairs[i].address, seed: ks[i].exportSeed() });
    state.l2[d.index] = { balance: '0', nonce: 0 };
    log(`${OWNERS[i]} deposited ${DEPOSIT} into new L2 account #${d.index}`);
  }
  for (const a of state.accounts) {
    const acc = await client.waitForAccount(a.index, { minBalance: DEPOSIT, timeoutMs: FINAL_DEADLINE_MS });
    expect(acc.pendingBalance === DEPOSIT, `account #${a.index} holds exactly the deposit`);
    state.l2[a.index].balance = DEPOSIT.toString();
  }
  log('the three accounts are on L2');
}

async function phaseTransfers(client, state, from, count) {
  const ks = await keys();
  const ids = await client.rollupIds();
  const fee = await client.defaultFee();
  let retries = 0;
  const lat = [];
  for (let i = from; i < from + count; i++) {
    const s = i % 3;
    const r = (i + 1) % 3;
    const src = state.accounts[s].index;
    const dst = state.accounts[r].index;
    const nonce = state.l2[src].nonce;
    // Exact Amount40 values (below 2^35), different for every transfer.
    const amount = BigInt(1_000_000 + i * 7_919);
    const signed = signTransfer(ks[s], { ...ids, from: src, to: dst, amount, fee, nonce });
    const t = Date.now();
    const { receipt, retries: n } = await sendRetrying(client, signed);
    lat.push(Date.now() - t);
    retries += n;
    expect(receipt.hash === signed.hash, 'receipt names our hash');
    book(state, signed, receipt, { from: src, to: dst, nonce });
  }
  lat.sort((a, b) => a - b);
  const last = state.receipts[state.receipts.length - 1];
  log(
    `transfers ${from}..${from + count - 1} soft-confirmed (last in batch ${last.batch} slot ${last.slot}); ` +
      `${retries} retried refusals; send latency p50 ${lat[lat.length >> 1]} ms, max ${lat[lat.length - 1]} ms`,
  );
}

async function expectCode(what, code, fn) {
  try {
    await fn();
  } catch (e) {
    expect(e instanceof L2RpcError, `${what}: an L2RpcError, got ${e}`);
    expect(e.code === code, `${what}: error ${code}, got ${e.code} (${e.message})`);
    log(`${what}: refused with ${e.code} (${e.constructor.name})`);
    return e;
  }
  throw new Error(`assertion failed: ${what} was accepted, expected error ${code}`);
}

async function phaseBad(client, state, limit) {
  const ks = await keys();
  const ids = await client.rollupIds();
  const fee = await client.defaultFee();
  const [a, b, c] = state.accounts;
  // The per-account limit is checked before the nonce: start with no unproven transactions,
  // so that each refusal below is for the reason it tests (the flood then meets the limit).
  const deadline = Date.now() + FINAL_DEADLINE_MS;
  while ((await client.status()).pendingTxs !== 0) {
    expect(Date.now() < deadline, 'the sequencer proves its backlog');
    await sleep(500);
  }
  // Where every transaction soft-confirmed so far sits: none may move.
  const prior = state.receipts.slice();
  const where = async () => JSON.stringify(await Promise.all(prior.map(async (r) => {
    const t = await client.getTransaction(r.hash);
    return [r.hash, t?.batch, t?.slot];
  })));
  const before = await where();
  expect(before === JSON.stringify(prior.map((r) => [r.hash, r.batch, r.slot])), 'every receipt matches the sequencer before the bad input');

  // Malformed requests.
  await expectCode('malformed: a string', -32602, () => client.rpc.call('l2_sendTransaction', ['garbage']));
  await expectCode('malformed: fields missing', -32602, () => client.rpc.call('l2_sendTransaction', [{ type: 'transfer', from: a.index }]));
  await expectCode('malformed: short signature', -32602, () =>
    client.rpc.call('l2_sendTransaction', [{ type: 'transfer', from: a.index, to: b.index, amount: '1', fee: fee.toString(), nonce: 0, signature: '0x1234' }]),
  );
  // Not representable as Amount40 (more than ~10 significant digits above 2^35).
  const ok = signTransfer(ks[0], { ...ids, from: a.index, to: b.index, amount: 5n, fee, nonce: state.l2[a.index].nonce });
  await expectCode('amount not representable', 2010, () =>
    client.rpc.call('l2_sendTransaction', [{ ...ok.rpc, amount: '123456789012345' }]),
  );
  // Badly signed: B's key signs a transfer from A's account.
  const forged = signTransfer(ks[1], { ...ids, from: a.index, to: b.index, amount: 5n, fee, nonce: state.l2[a.index].nonce });
  await expectCode('signed by another key', 2001, () => client.send(forged));
  // A valid signature, then one field changed.
  await expectCode('tampered amount', 2001, () => client.rpc.call('l2_sendTransaction', [{ ...ok.rpc, amount: '6' }]));
  // Accepted once, then replayed: the sequencer answers an exact resend with the original
  // receipt (a wallet's retry is safe) and applies it once (the final balances check that).
  const usedNonce = state.l2[a.index].nonce;
  const r = await client.send(ok);
  book(state, ok, r, { from: a.index, to: b.index, nonce: usedNonce });
  const again = await client.send(ok);
  expect(again.batch === r.batch && again.slot === r.slot && again.hash === r.hash, `a resend gets the original receipt: ${JSON.stringify([r, again])}`);
  // Another transaction with the used nonce.
  const replay = await expectCode('used nonce', 2002, () =>
    client.send(signTransfer(ks[0], { ...ids, from: a.index, to: b.index, amount: 7n, fee, nonce: usedNonce })),
  );
  await expectCode('nonce gap', 2003, () =>
    client.send(signTransfer(ks[0], { ...ids, from: a.index, to: b.index, amount: 5n, fee, nonce: state.l2[a.index].nonce + 5 })),
  );
  // Overdraft: more than the account holds (an exact Amount40: 10^18).
  await expectCode('overdraft', 2004, () =>
    client.send(signTransfer(ks[1], { ...ids, from: b.index, to: c.index, amount: 10n ** 18n, fee, nonce: state.l2[b.index].nonce })),
  );
  await expectCode('unknown account', 2005, () =>
    client.send(signTransfer(ks[1], { ...ids, from: 9_999_999, to: c.index, amount: 5n, fee, nonce: 0 })),
  );
  // A flood from one account: accepted until its unproven soft-confirmed transactions reach
  // the per-account limit, then 2009; every accepted one is booked.
  let accepted = 0;
  let flooded = null;
  for (let i = 0; i <= limit; i++) {
    const nonce = state.l2[c.index].nonce;
    const s = signTransfer(ks[2], { ...ids, from: c.index, to: a.index, amount: 3n, fee, nonce });
    try {
      const rc = await client.send(s);
      book(state, s, rc, { from: c.index, to: a.index, nonce });
      accepted++;
    } catch (e) {
      flooded = e;
      break;
    }
  }
  expect(flooded instanceof L2RpcError && flooded.code === 2009, `a flood of ${limit + 1} from one account gets 2009, got ${flooded}`);
  expect(flooded.retryable, '2009 is retryable');
  log(`flood from #${c.index}: ${accepted} accepted, then 2009`);
  // Another account is not affected by C's limit.
  const other = signTransfer(ks[1], { ...ids, from: b.index, to: c.index, amount: 4n, fee, nonce: state.l2[b.index].nonce });
  book(state, other, await client.send(other), { from: b.index, to: c.index, nonce: state.l2[b.index].nonce });
  // Nothing soft-confirmed before changed.
  const after = await where();
  expect(before === after, `earlier receipts unchanged: ${before} vs ${after}`);
}

async function phaseWithdraw(client, state) {
  const ks = await keys();
  const kr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const ids = await client.rollupIds();
  const fee = await client.defaultFee();
  const ws = [];
  for (let i = 0; i < state.accounts.length; i++) {
    const a = state.accounts[i];
    // Retried: the flood may still hold an account at its limit until its batches are proven.
    const nonce = state.l2[a.index].nonce;
    const signed = signWithdrawal(ks[i], { ...ids, from: a.index, amount: WITHDRAW, fee, nonce, recipient: a.owner });
    const { receipt } = await sendRetrying(client, signed);
    book(state, signed, receipt, { from: a.index, nonce });
    ws.push({ i, hash: signed.hash });
    log(`withdrawal from #${a.index} to ${a.owner}: batch ${receipt.batch} slot ${receipt.slot}`);
  }
  const finals = await Promise.all(ws.map((w) => client.followTransaction(w.hash, { timeoutMs: FINAL_DEADLINE_MS })));
  log(`withdrawals final in batches ${finals.map((f) => f.batch).join(', ')}`);
  // Each owner claims its own withdrawal (in parallel: three signers).
  await Promise.all(
    ws.map(async (w) => {
      const owner = kr.addFromUri(OWNERS[w.i]);
      const c = await client.claimWithdrawal(owner, { hash: w.hash });
      expect(c.amount === WITHDRAW, `claim pays ${WITHDRAW}`);
      const l1 = state.l1[owner.address];
      add(l1, 'claimed', c.amount);
      add(l1, 'fees', await l1FeePaid(client.api, c.blockHash, owner.address));
    }),
  );
  log('withdrawals claimed on L1');
}

async function main() {
  const { phase, opts } = parseArgs(process.argv.slice(2));
  const state = loadState(opts.state) ?? {};
  const client = await RollupClient.connect({ l1: opts.l1, l2: opts.l2, timeoutMs: 60_000 });
  try {
    if (phase === 'deposit') await phaseDeposit(client, state);
    else if (phase === 'transfers') await phaseTransfers(client, state, Number(opts.positional[0]), Number(opts.positional[1]));
    else if (phase === 'bad') await phaseBad(client, state, Number(opts.positional[0]));
    else if (phase === 'withdraw') await phaseWithdraw(client, state);
    else throw new Error(`unknown phase ${phase}`);
  } finally {
    saveState(opts.state, state);
    await client.disconnect().catch(() => {});
  }
  console.log(`LEDGER ${JSON.stringify(state)}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`load.mjs failed: ${e.stack || e}`);
    process.exit(1);
  },
);
