// Governance from polkadot-js (issue 14), against a running `echonet-node --dev`: the same
// extrinsics and queries that polkadot-js Apps' Governance, Treasury, Accounts (batch) and
// Multisig pages make, with nothing custom.
//
//   - a token holder notes a preimage of `witness.setParams` (the witness committee size
//     changed), opens a referendum on the `parameters` track, places the decision deposit;
//     several accounts vote aye with conviction; the referendum is approved, the scheduler
//     enacts it and the parameter has changed on chain;
//   - a referendum on the same track that the nays win is rejected at the end of its
//     decision period and leaves the parameter as it was;
//   - a `treasury.spend` approved by a `treasurer`-track referendum is paid out;
//   - `utility.batchAll` of transfers is all-or-nothing;
//   - a 2-of-3 multisig sends a transfer.
//
// The tests run concurrently (referenda take a minute or more on the dev chain's periods):
// the wall time is that of the slowest, the rejected referendum (prepare + decision period).
// Deadlines come from the runtime's own track periods; nothing sleeps for a fixed time.
//
// Needs ECHONET_WS pointing at a fresh dev node: scripts/ci-js.sh starts one.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring } from '@polkadot/keyring';
import { bnToU8a, compactAddLength, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, createKeyMulti, cryptoWaitReady, encodeAddress, sortAddresses } from '@polkadot/util-crypto';
import { EventLog, Sender, connect, errorName, within } from './chain.mjs';

const ENDPOINT = process.env.ECHONET_WS;
const UNITS = 10n ** 12n;
// One request or one extrinsic's inclusion, on a machine that shares two cores.
const REQUEST_MS = 30_000;
const TX_MS = 60_000;
// Periods in blocks become deadlines: twice the dev chain's block time per block, plus this.
const SLACK_MS = 30_000;
// The dev periods must let a referendum complete in a test (issue 14: "periods of minutes").
const MAX_PASSING_MS = 3 * 60_000;
const MAX_REJECTING_MS = 6 * 60_000;

// Tracks exactly as the runtime must name them (polkadot-js Apps shows these names).
const TRACKS = { root: 0, parameters: 1, treasurer: 2, rollup_admin: 3 };

// The witness committee: what the passing referendum sets (K = 3, M = 2) and what the
// rejected one proposes (K = 5, M = 3). Both are valid (`2M > K`, `M ≤ K ≤ 64`), so only the
// vote decides.
const PASSING = { committeeSize: 3, quorum: 2 };
const REJECTED = { committeeSize: 5, quorum: 3 };

// Who votes aye on the referenda that pass, and with how much each.
const AYE_VOTERS = ['alice', 'bob', 'charlie', 'dave', 'aliceStash', 'bobStash', 'charlieStash', 'daveStash'];
const AYE_BALANCE = 9_500_000n * UNITS;

// Conviction multipliers of pallet-conviction-voting, in tenths.
const CONVICTION_TENTHS = { None: 1n, Locked1x: 10n, Locked2x: 20n, Locked3x: 30n, Locked4x: 40n, Locked5x: 50n, Locked6x: 60n };

/** The id pallet-referenda schedules referendum `index`'s enactment under. */
function enactmentId(index) {
  const encoded = u8aConcat(
    stringToU8a('assembly'),
    compactAddLength(stringToU8a('enactment')),
    bnToU8a(index, { bitLength: 32, isLe: true }),
  );
  return u8aToHex(blake2AsU8a(encoded, 256));
}

/** A track curve's value at the start of the decision period, in parts per billion. */
function curveStart(curve) {
  if (curve.isLinearDecreasing) return curve.asLinearDecreasing.ceil.toBigInt();
  if (curve.isSteppedDecreasing) return curve.asSteppedDecreasing.begin.toBigInt();
  const { factor, xOffset, yOffset } = curve.asReciprocal;
  // y = factor / (0 + x_offset) + y_offset, all FixedI64 (10^9 = 1).
  const y = (factor.toBigInt() * 1_000_000_000n) / xOffset.toBigInt() + yOffset.toBigInt();
  return y < 0n ? 0n : y > 1_000_000_000n ? 1_000_000_000n : y;
}

/** The pallet account (`modl` ++ id, zero-padded) of a PalletId constant. */
function palletAccount(palletId) {
  const raw = u8aConcat(stringToU8a('modl'), palletId.toU8a(), new Uint8Array(32)).subarray(0, 32);
  return encodeAddress(raw, 42);
}

describe('governance from polkadot-js', { concurrency: true }, () => {
  let api;
  let sender;
  let log;
  let keyring;
  let k; // dev accounts by name
  let blockMs;
  let tracks; // name -> { id, info }
  let params0; // witness params before any referendum, as JSON
  let totalIssuance;

  /** Free balance of `who`, now or at block `hash`. */
  async function free(who, hash) {
    const q = hash ? api.query.system.account.at(hash, who) : api.query.system.account(who);
    return (await q).data.free.toBigInt();
  }

  /** The events of `res` (a Sender result) with the given section and method. */
  function eventsOf(res, section, method) {
    return res.events.filter(({ event }) => event.section === section && event.method === method).map(({ event }) => event);
  }

  function periodMs(blocks) {
    return Number(blocks) * blockMs;
  }

  /** A deadline for `blocks` blocks of chain time. */
  function deadline(blocks) {
    return 2 * periodMs(blocks) + SLACK_MS;
  }

  /**
   * Notes `call` as a preimage, submits it as a referendum with `origin` (checking it lands
   * on `trackName`) and places the decision deposit, as Apps' Governance > Referenda
   * "Submit preimage", "Submit proposal" and "Decision deposit" do. Returns the index.
   */
  async function openReferendum(submitter, trackName, origin, call, label) {
    const bytes = call.method.toHex();
    const hash = call.method.hash.toHex();
    const noted = await sender.send(submitter, api.tx.preimage.notePreimage(bytes), `${label}: preimage.notePreimage`);
    const [ev] = eventsOf(noted, 'preimage', 'Noted');
    assert.ok(ev, `${label}: preimage.Noted`);
    assert.equal(ev.data[0].toHex(), hash);
    assert.ok((await api.query.preimage.requestStatusFor(hash)).isSome, `${label}: preimage stored`);

    const len = call.method.encodedLength;
    const submitted = await sender.send(
      submitter,
      api.tx.referenda.submit(origin, { Lookup: { hash, len } }, { After: 1 }),
      `${label}: referenda.submit`,
    );
    const [sub] = eventsOf(submitted, 'referenda', 'Submitted');
    assert.ok(sub, `${label}: referenda.Submitted`);
    const index = sub.data.index.toNumber();
    assert.equal(sub.data.track.toNumber(), tracks[trackName].id, `${label}: on the ${trackName} track`);

    const placed = await sender.send(
      submitter,
      api.tx.referenda.placeDecisionDeposit(index),
      `${label}: referenda.placeDecisionDeposit`,
    );
    assert.equal(eventsOf(placed, 'referenda', 'DecisionDepositPlaced').length, 1, `${label}: DecisionDepositPlaced`);
    const info = await api.query.referenda.referendumInfoFor.at(placed.blockHash, index);
    assert.ok(info.isSome && info.unwrap().isOngoing, `${label}: referendum ${index} is ongoing`);
    assert.ok(info.unwrap().asOngoing.decisionDeposit.isSome, `${label}: decision deposit held`);
    return index;
  }

  /**
   * Standard votes, as Apps' "Vote" dialog sends them; each from its own account. Returns
   * the referendum's tally at the block of the last vote.
   */
  async function vote(index, votes, label) {
    const results = await Promise.all(
      votes.map(async ({ who, aye, conviction, balance }) => {
        const res = await sender.send(
          who,
          api.tx.convictionVoting.vote(index, { Standard: { vote: { aye, conviction }, balance } }),
          `${label}: ${aye ? 'aye' : 'nay'} from ${who.meta.name}`,
        );
        assert.equal(eventsOf(res, 'convictionVoting', 'Voted').length, 1, `${label}: convictionVoting.Voted`);
        return { res, number: (await api.rpc.chain.getHeader(res.blockHash)).number.toNumber() };
      }),
    );
    const last = results.reduce((a, b) => (b.number > a.number ? b : a));
    const info = await api.query.referenda.referendumInfoFor.at(last.res.blockHash, index);
    assert.ok(info.unwrap().isOngoing, `${label}: referendum ${index} ongoing while voted on`);
    return info.unwrap().asOngoing.tally;
  }

  /**
   * The aye votes that carry the passing referenda: eight dev accounts (Alice, Bob, Charlie,
   * Dave and their stashes), 9.5 million ECHO each, convictions 1x to 6x. Their capital is
   * over half the issuance, so that they clear `trackName`'s support curve from the start of
   * the decision period (50% on every track) and confirmation starts at once.
   */
  function ayes(trackName) {
    const convictions = ['Locked1x', 'Locked2x', 'Locked3x', 'Locked6x', 'Locked1x', 'Locked2x', 'Locked4x', 'Locked5x'];
    const voters = AYE_VOTERS.map((name, i) => ({ who: k[name], aye: true, conviction: convictions[i], balance: AYE_BALANCE }));
    const support = voters.reduce((s, v) => s + v.balance, 0n);
    const need = curveStart(tracks[trackName].info.minSupport);
    assert.ok(
      support * 1_000_000_000n >= need * totalIssuance,
      `the ${trackName} track needs ${need} ppb support at the start; ${voters.length} ayes give ${(support * 1_000_000_000n) / totalIssuance}`,
    );
    return voters;
  }

  /** The conviction-weighted ayes of `votes` (pallet-conviction-voting's tally). */
  function weighted(votes) {
    return votes.reduce((s, v) => s + (v.balance * CONVICTION_TENTHS[v.conviction]) / 10n, 0n);
  }

  /**
   * Waits until referendum `index` is approved and its enactment dispatched successfully by
   * the scheduler. Returns the record of the scheduler's `Dispatched` event.
   */
  async function enacted(index, trackName, label, hint = '') {
    const t = tracks[trackName].info;
    const ms = deadline(t.preparePeriod.toNumber() + t.confirmPeriod.toNumber() + t.minEnactmentPeriod.toNumber() + 5);
    const isReferendum = (name) => (r) => r.event.section === 'referenda' && r.event.method === name && r.event.data.index.toNumber() === index;
    // pallet-referenda ends an approved referendum with `Confirmed` (its `Approved` event is
    // declared but not deposited) and schedules the enactment in the same block.
    const approved = await log.waitFor(
      (r) => ['Confirmed', 'Rejected', 'TimedOut', 'Cancelled', 'Killed'].some((m) => isReferendum(m)(r)),
      ms,
      `${label}: referendum ${index} approved`,
    );
    assert.equal(approved.event.method, 'Confirmed', `${label}: referendum ${index} concluded`);
    // It was decided and confirmed for the track's confirm period first.
    assert.equal(log.all(isReferendum('DecisionStarted')).length, 1, `${label}: decision started`);
    const confirming = log.all(isReferendum('ConfirmStarted'));
    assert.ok(confirming.length >= 1, `${label}: confirmation started`);
    assert.ok(approved.number - confirming[confirming.length - 1].number >= t.confirmPeriod.toNumber(), `${label}: confirmed for the confirm period`);
    const info = await api.query.referenda.referendumInfoFor.at(approved.hash, index);
    assert.ok(info.unwrap().isApproved, `${label}: ReferendumInfoFor is Approved`);

    const id = enactmentId(index);
    const dispatched = await log.waitFor(
      (r) =>
        r.event.section === 'scheduler' &&
        r.event.method === 'Dispatched' &&
        r.event.data.id.isSome &&
        r.event.data.id.unwrap().toHex() === id,
      ms,
      `${label}: the scheduler enacts referendum ${index}`,
    );
    assert.ok(dispatched.number >= approved.number, `${label}: enacted after approval`);
    const result = dispatched.event.data.result;
    assert.ok(result.isOk, `${label}: enactment dispatched with ${result.isErr ? errorName(api, result.asErr) : result}${hint}`);
    return dispatched;
  }

  before(async () => {
    assert.ok(ENDPOINT, 'set ECHONET_WS to the node\'s WebSocket endpoint');
    await cryptoWaitReady();
    api = await connect(ENDPOINT, REQUEST_MS);
    sender = new Sender(api, TX_MS);
    log = new EventLog(api);
    await within(REQUEST_MS, 'subscribe to new heads', log.start());
    keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const dev = (name) => keyring.addFromUri(`//${name}`, { name });
    k = {
      alice: dev('Alice'),
      bob: dev('Bob'),
      charlie: dev('Charlie'),
      dave: dev('Dave'),
      eve: dev('Eve'),
      ferdie: dev('Ferdie'),
      one: dev('One'),
      two: dev('Two'),
    };
    for (const name of ['Alice', 'Bob', 'Charlie', 'Dave']) {
      k[`${name.toLowerCase()}Stash`] = keyring.addFromUri(`//${name}//stash`, { name: `${name}Stash` });
    }
    blockMs = (await api.call.auraApi.slotDuration()).toNumber();
    tracks = {};
    for (const [id, info] of api.consts.referenda.tracks) {
      // pallet-referenda pads names with zeros to a fixed length.
      tracks[info.name.toString().replace(/\0+$/, '')] = { id: id.toNumber(), info };
    }
    totalIssuance = (await api.query.balances.totalIssuance()).toBigInt();
    params0 = (await api.query.witness.activeParams()).unwrap().toJSON();
  });

  after(async () => {
    if (log) log.stop();
    if (api) await api.disconnect();
  });

  test('the runtime has the four tracks, with periods of minutes on the dev chain', () => {
    const names = Object.fromEntries(Object.entries(tracks).map(([name, { id }]) => [name, id]));
    assert.deepEqual(names, TRACKS);
    for (const [name, { info }] of Object.entries(tracks)) {
      const passing = periodMs(info.preparePeriod.toNumber() + info.confirmPeriod.toNumber() + info.minEnactmentPeriod.toNumber());
      assert.ok(passing <= MAX_PASSING_MS, `${name}: prepare + confirm + enactment take ${passing} ms`);
    }
    // The rejected referendum waits out the parameters track's whole decision period.
    const { info } = tracks.parameters;
    const rejecting = periodMs(info.preparePeriod.toNumber() + info.decisionPeriod.toNumber());
    assert.ok(rejecting <= MAX_REJECTING_MS, `parameters: prepare + decision take ${rejecting} ms`);
  });

  test('a parameters-track referendum, voted aye with conviction, changes the witness committee size', async () => {
    const label = 'passing';
    assert.equal(params0.committeeSize, 1, 'the dev chain starts with a committee of one');
    const proposed = { ...params0, ...PASSING };
    const call = api.tx.witness.setParams(proposed);
    const index = await openReferendum(k.alice, 'parameters', { Origins: 'Parameters' }, call, label);
    const votes = ayes('parameters');
    // The tally counts conviction for approval, and capital alone for support.
    const tally = await vote(index, votes, label);
    assert.equal(tally.ayes.toBigInt(), weighted(votes));
    assert.equal(tally.nays.toBigInt(), 0n);
    assert.equal(tally.support.toBigInt(), BigInt(votes.length) * AYE_BALANCE);

    const dispatched = await enacted(index, 'parameters', label);
    // The enactment set the parameters in the same block...
    const set = log.all((r) => r.hash.toHex() === dispatched.hash.toHex() && api.events.witness.ParamsSet.is(r.event));
    assert.equal(set.length, 1, `${label}: witness.ParamsSet where the scheduler dispatched`);
    // ...and they are on chain: only K and M changed.
    const now = (await api.query.witness.activeParams()).unwrap().toJSON();
    assert.deepEqual(now, proposed);
    assert.notDeepEqual(now, params0);
  });

  test('a parameters-track referendum that the nays win is rejected and changes nothing', async () => {
    const label = 'rejected';
    const call = api.tx.witness.setParams({ ...params0, ...REJECTED });
    const index = await openReferendum(k.eve, 'parameters', { Origins: 'Parameters' }, call, label);
    // A large nay with conviction against a small aye: approval is far below any curve.
    const tally = await vote(
      index,
      [
        { who: k.eve, aye: false, conviction: 'Locked1x', balance: 5_000_000n * UNITS },
        { who: k.ferdie, aye: true, conviction: 'None', balance: 1_000n * UNITS },
      ],
      label,
    );
    assert.ok(tally.nays.toBigInt() > tally.ayes.toBigInt(), `${label}: nays lead (${tally})`);

    // Rejection comes at the end of the decision period; if the track decides one
    // referendum at a time, this one waits for the passing one first.
    const t = tracks.parameters.info;
    let blocks = t.preparePeriod.toNumber() + t.decisionPeriod.toNumber() + 5;
    if (t.maxDeciding.toNumber() < 2) blocks += t.confirmPeriod.toNumber() + t.preparePeriod.toNumber();
    const isOurs = (name) => (r) => r.event.section === 'referenda' && r.event.method === name && r.event.data.index.toNumber() === index;
    const concluded = await log.waitFor(
      (r) => ['Confirmed', 'Rejected', 'TimedOut', 'Cancelled', 'Killed'].some((m) => isOurs(m)(r)),
      deadline(blocks),
      `${label}: referendum ${index} concluded`,
    );
    assert.equal(concluded.event.method, 'Rejected', `${label}: referendum ${index} concluded`);
    assert.equal(log.all(isOurs('DecisionStarted')).length, 1, `${label}: it was decided, not timed out`);
    assert.equal(log.all(isOurs('ConfirmStarted')).length, 0, `${label}: it never confirmed`);
    const info = (await api.query.referenda.referendumInfoFor(index)).unwrap();
    assert.ok(info.isRejected, `${label}: ReferendumInfoFor is Rejected`);

    // Nothing was scheduled for it, and K and M are what they were (or what the passing
    // referendum set), never what this one proposed.
    const id = enactmentId(index);
    const scheduled = await api.query.scheduler.lookup(id);
    assert.ok(scheduled.isNone, `${label}: no enactment scheduled`);
    assert.equal(
      log.all((r) => r.event.section === 'scheduler' && r.event.method === 'Dispatched' && r.event.data.id.isSome && r.event.data.id.unwrap().toHex() === id).length,
      0,
    );
    const now = (await api.query.witness.activeParams()).unwrap().toJSON();
    assert.notEqual(now.committeeSize, REJECTED.committeeSize);
    const passed = { ...params0, ...PASSING };
    assert.ok(
      JSON.stringify(now) === JSON.stringify(params0) || JSON.stringify(now) === JSON.stringify(passed),
      `${label}: parameters unchanged by the rejected referendum: ${JSON.stringify(now)}`,
    );
    // Every witness.ParamsSet so far came from the passing referendum (at most one).
    assert.ok(log.all((r) => api.events.witness.ParamsSet.is(r.event)).length <= 1);
  });

  test('a treasury spend approved on the treasurer track is paid out', async () => {
    const label = 'treasury';
    const amount = 1_000n * UNITS;
    const beneficiary = keyring.addFromUri('//TreasuryBeneficiary', { name: 'TreasuryBeneficiary' });
    assert.equal(await free(beneficiary.address), 0n, `${label}: a fresh beneficiary`);
    // The treasury's pot is whatever fees it has collected on a fresh chain: top it up so
    // that the payout cannot fail for lack of funds.
    const pot = palletAccount(api.consts.treasury.palletId);
    if ((await free(pot)) < 10n * amount) {
      await sender.send(k.ferdie, api.tx.balances.transferKeepAlive(pot, 10n * amount), `${label}: fund the treasury`);
    }

    // Governance > Treasury > "Propose spend" through a referendum: treasury.spend of the
    // native asset (AssetKind `()`), paid from the treasury's account, valid at once. Needs
    // pallet-treasury's SpendOrigin to accept the `treasurer` track's origin (the fees
    // branch has Root there until the lead wires it when merging gov and fees).
    const call = api.tx.treasury.spend(null, amount, beneficiary.address, null);
    const index = await openReferendum(k.bob, 'treasurer', { Origins: 'Treasurer' }, call, label);
    await vote(index, ayes('treasurer'), label);
    const dispatched = await enacted(index, 'treasurer', label, ' (BadOrigin: is Treasury\'s SpendOrigin the treasurer track\'s origin?)');
    const approved = log.all((r) => r.hash.toHex() === dispatched.hash.toHex() && api.events.treasury.AssetSpendApproved.is(r.event));
    assert.equal(approved.length, 1, `${label}: treasury.AssetSpendApproved where the scheduler dispatched`);
    const spend = approved[0].event.data;
    assert.equal(spend.amount.toBigInt(), amount);
    assert.equal(spend.beneficiary.toString(), beneficiary.address);
    const spendIndex = spend.index.toNumber();
    assert.ok((await api.query.treasury.spends(spendIndex)).isSome, `${label}: spend ${spendIndex} stored`);

    // Anyone may pay it out (Apps' "Payout" button), then check its status.
    const paid = await sender.send(k.bob, api.tx.treasury.payout(spendIndex), `${label}: treasury.payout`);
    assert.equal(eventsOf(paid, 'treasury', 'Paid').length, 1, `${label}: treasury.Paid`);
    assert.equal(await free(beneficiary.address, paid.blockHash), amount, `${label}: the beneficiary got the amount`);
    const checked = await sender.send(k.bob, api.tx.treasury.checkStatus(spendIndex), `${label}: treasury.checkStatus`);
    assert.equal(eventsOf(checked, 'treasury', 'SpendProcessed').length, 1, `${label}: treasury.SpendProcessed`);
    assert.ok((await api.query.treasury.spends(spendIndex)).isNone, `${label}: spend ${spendIndex} done`);
  });

  test('utility.batchAll of transfers is all-or-nothing', async () => {
    const from = k.one;
    const to = ['//BatchA', '//BatchB', '//BatchC'].map((uri) => keyring.addFromUri(uri).address);
    for (const who of to) assert.equal(await free(who), 0n, 'fresh recipients');
    const balance = await free(from.address);

    /** The fee that `res`'s extrinsic paid (TransactionFeePaid: actual fee + tip). */
    const feeOf = (res) => {
      const [ev] = eventsOf(res, 'transactionPayment', 'TransactionFeePaid');
      assert.ok(ev, 'transactionPayment.TransactionFeePaid');
      return ev.data.actualFee.toBigInt() + ev.data.tip.toBigInt();
    };
    const header = async (hash) => api.rpc.chain.getHeader(hash);

    // The last transfer asks for more than the sender has: the whole batch fails.
    const failing = api.tx.utility.batchAll([
      api.tx.balances.transferKeepAlive(to[0], 10n * UNITS),
      api.tx.balances.transferKeepAlive(to[1], 20n * UNITS),
      api.tx.balances.transferKeepAlive(to[2], balance * 2n),
    ]);
    const res1 = await sender.submit(from, failing, 'failing batchAll');
    assert.ok(res1.dispatchError, 'the failing batchAll fails');
    // Spending more than the free balance: pallet-balances' arithmetic underflow.
    assert.match(errorName(api, res1.dispatchError), /Underflow|FundsUnavailable|InsufficientBalance/);
    assert.equal(eventsOf(res1, 'balances', 'Transfer').length, 0, 'no Transfer event');
    assert.equal(eventsOf(res1, 'system', 'ExtrinsicFailed').length, 1);
    const parent1 = (await header(res1.blockHash)).parentHash;
    for (const who of to) assert.equal(await free(who, res1.blockHash), 0n, 'nothing transferred');
    // The sender paid the fee and nothing else.
    assert.equal(await free(from.address, res1.blockHash), (await free(from.address, parent1)) - feeOf(res1));

    const amounts = [10n * UNITS, 20n * UNITS, 30n * UNITS];
    const passing = api.tx.utility.batchAll(to.map((who, i) => api.tx.balances.transferKeepAlive(who, amounts[i])));
    const res2 = await sender.send(from, passing, 'batchAll');
    assert.equal(eventsOf(res2, 'utility', 'BatchCompleted').length, 1, 'utility.BatchCompleted');
    assert.equal(eventsOf(res2, 'balances', 'Transfer').length, 3);
    for (const [i, who] of to.entries()) assert.equal(await free(who, res2.blockHash), amounts[i], 'all transferred');
    const parent2 = (await header(res2.blockHash)).parentHash;
    assert.equal(
      await free(from.address, res2.blockHash),
      (await free(from.address, parent2)) - feeOf(res2) - amounts.reduce((a, b) => a + b, 0n),
    );
  });

  test('a 2-of-3 multisig sends a transfer', async () => {
    const [a, b, c] = ['//MultisigA', '//MultisigB', '//MultisigC'].map((uri, i) => keyring.addFromUri(uri, { name: `signatory ${i}` }));
    const threshold = 2;
    const multisig = encodeAddress(createKeyMulti([a.address, b.address, c.address], threshold), 42);
    const dest = keyring.addFromUri('//MultisigDest').address;
    const amount = 7n * UNITS;
    for (const who of [a.address, b.address, multisig, dest]) assert.equal(await free(who), 0n, 'fresh accounts');

    // Fund the signatories that sign (fees, the multisig deposit) and the multisig itself.
    await sender.send(
      k.two,
      api.tx.utility.batchAll([
        api.tx.balances.transferKeepAlive(a.address, 100n * UNITS),
        api.tx.balances.transferKeepAlive(b.address, 100n * UNITS),
        api.tx.balances.transferKeepAlive(multisig, 100n * UNITS),
      ]),
      'fund the multisig',
    );

    const call = api.tx.balances.transferKeepAlive(dest, amount);
    const callHash = call.method.hash.toHex();
    const others = (me) => sortAddresses([a.address, b.address, c.address].filter((x) => x !== me.address), 42);

    // First signatory: approve by hash (Apps' multisig "Approve" without the call data).
    const approved = await sender.send(
      a,
      api.tx.multisig.approveAsMulti(threshold, others(a), null, callHash, { refTime: 0, proofSize: 0 }),
      'multisig.approveAsMulti',
    );
    const [created] = eventsOf(approved, 'multisig', 'NewMultisig');
    assert.ok(created, 'multisig.NewMultisig');
    assert.equal(created.data.multisig.toString(), multisig);
    assert.equal(created.data.callHash.toHex(), callHash);
    const pending = (await api.query.multisig.multisigs(multisig, callHash)).unwrap();
    assert.deepEqual(pending.approvals.map((x) => x.toString()), [a.address]);
    assert.equal(await free(dest, approved.blockHash), 0n, 'one approval sends nothing');

    // Second signatory: the call with its timepoint executes it.
    const { weight } = await call.paymentInfo(multisig);
    const executed = await sender.send(
      b,
      api.tx.multisig.asMulti(threshold, others(b), pending.when, call.method, weight),
      'multisig.asMulti',
    );
    const [ev] = eventsOf(executed, 'multisig', 'MultisigExecuted');
    assert.ok(ev, 'multisig.MultisigExecuted');
    assert.ok(ev.data.result.isOk, `the transfer dispatched: ${ev.data.result}`);
    assert.equal(await free(dest, executed.blockHash), amount, 'the transfer arrived');
    assert.ok((await api.query.multisig.multisigs(multisig, callHash)).isNone, 'the multisig operation is done');
    // The first signatory's deposit came back.
    const { reserved } = (await api.query.system.account(a.address)).data;
    assert.equal(reserved.toBigInt(), 0n);
  });
});
