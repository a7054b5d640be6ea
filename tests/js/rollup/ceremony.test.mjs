// A Groth16 ceremony for the batch circuit (batch size 1) run with snarkjs, checked against
// the R1CS that `echonet-prover export-r1cs` writes, and imported back into the prover:
//
//   export-r1cs → powers of tau (ptau.mjs, cached) → groth16 setup → zkey contribute
//   → zkey verify against our R1CS (accepts) and against a same-shape R1CS with one
//     coefficient changed (refuses)
//   → echonet-prover setup --import-zkey → sample-batch, prove, verify
//   → our verifying key (export-snarkjs) is the ceremony's (zkey export verificationkey).
//
// ECHONET_PROVER names the echonet-prover binary (scripts/ci-rollup.sh sets it).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";
import { preparedPtau } from "./ptau.mjs";

const prover = process.env.ECHONET_PROVER;
const BATCH = "1";
const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const run = (...args) => execFileSync(prover, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const json = (f) => JSON.parse(readFileSync(f, "utf8"));

// Sections of an iden3 binary file (.r1cs, .zkey): type → { offset, size } of the body.
function sections(buf) {
  const out = new Map();
  let pos = 12;
  const n = buf.readUInt32LE(8);
  for (let i = 0; i < n; i++) {
    const type = buf.readUInt32LE(pos);
    const size = Number(buf.readBigUInt64LE(pos + 4));
    out.set(type, { offset: pos + 12, size });
    pos += 12 + size;
  }
  return out;
}

// A copy of an .r1cs with the first coefficient of the first constraint's A side changed
// (c → c + 1 mod r): another circuit with exactly the same shape.
function withOneCoefficientChanged(r1csBytes) {
  const buf = Buffer.from(r1csBytes);
  const s = sections(buf);
  const n8 = buf.readUInt32LE(s.get(1).offset);
  const first = s.get(2).offset;
  assert.ok(buf.readUInt32LE(first) > 0, "the first constraint has an A side");
  const at = first + 4 + 4; // nTerms, wire, then the coefficient
  let c = 0n;
  for (let i = n8 - 1; i >= 0; i--) c = (c << 8n) | BigInt(buf[at + i]);
  c = (c + 1n) % r;
  for (let i = 0; i < n8; i++) buf[at + i] = Number((c >> BigInt(8 * i)) & 0xffn);
  return buf;
}

const timings = [];
async function timed(what, f) {
  const t = Date.now();
  const v = await f();
  timings.push(`${what}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return v;
}

describe("ceremony for the batch circuit (batch size 1)", { skip: !prover && "ECHONET_PROVER not set" }, () => {
  let dir, r1cs, ptau, zkey, power;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "echonet-ceremony-"));
    r1cs = join(dir, "batch1.r1cs");
    await timed("export-r1cs", () => run("export-r1cs", "--batch-size", BATCH, "--out", r1cs));
    const info = await snarkjs.r1cs.info(r1cs);
    // snarkjs' domain: the constraints plus one row per public signal and `one`.
    const rows = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
    power = Math.ceil(Math.log2(rows));
    ptau = await timed(`ptau 2^${power} (cached after the first run)`, () =>
      preparedPtau(power, (m) => timings.push(m)),
    );
    const zkey0 = join(dir, "batch1_0000.zkey");
    zkey = join(dir, "batch1_0001.zkey");
    await timed("groth16 setup", () => snarkjs.zKey.newZKey(r1cs, ptau, zkey0));
    await timed("zkey contribute", () =>
      snarkjs.zKey.contribute(zkey0, zkey, "echonet ci", `entropy ${Date.now()} ${Math.random()}`),
    );
  });

  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (globalThis.curve_bn128) await globalThis.curve_bn128.terminate();
    console.log(`ceremony timings:\n  ${timings.join("\n  ")}`);
  });

  it("exports an R1CS with the circuit's counts", async () => {
    const info = await snarkjs.r1cs.info(r1cs);
    const ours = Object.fromEntries(
      run("info", "--batch-size", BATCH)
        .trim()
        .split("\n")
        .map((l) => l.split(" ")),
    );
    assert.equal(info.nConstraints, Number(ours.constraints_total));
    assert.equal(info.nPubInputs, 1);
    assert.equal(info.nOutputs, 0);
  });

  it("zkey verify accepts the ceremony's key against our R1CS and the ptau", async () => {
    const ok = await timed("zkey verify (our r1cs)", () => snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey));
    assert.equal(ok, true);
  });

  it("zkey verify refuses it against another circuit of the same shape", async () => {
    const other = join(dir, "other.r1cs");
    writeFileSync(other, withOneCoefficientChanged(readFileSync(r1cs)));
    const a = await snarkjs.r1cs.info(r1cs);
    const b = await snarkjs.r1cs.info(other);
    assert.deepEqual([b.nConstraints, b.nVars, b.nPubInputs], [a.nConstraints, a.nVars, a.nPubInputs]);
    const ok = await timed("zkey verify (changed r1cs)", () => snarkjs.zKey.verifyFromR1cs(other, ptau, zkey));
    assert.equal(ok, false);
  });

  it("the imported key proves, and its verifying key is the ceremony's", async () => {
    const keys = join(dir, "keys");
    const out = await timed("setup --import-zkey", () =>
      run("setup", "--batch-size", BATCH, "--import-zkey", zkey, "--out", keys),
    );
    const hash = out.match(/^vk_sha256 ([0-9a-f]{64})$/m)?.[1];
    assert.ok(hash, `setup printed the verifying key's hash: ${out}`);
    const meta = json(join(keys, "meta.json"));
    assert.equal(meta.vk_sha256, hash);
    assert.equal(meta.reduction, "circom");
    assert.equal(meta.insecure, false);

    const trace = join(dir, "trace.json");
    const proof = join(dir, "proof.json");
    run("sample-batch", "--batch-size", BATCH, "--kind", "mixed", "--out", trace);
    await timed("prove (debug build)", () => run("prove", "--keys", keys, "--trace", trace, "--out", proof));
    assert.match(run("verify", "--keys", keys, "--proof", proof), /^valid$/m);

    // The verifying key that governance hashes is the ceremony's, point for point.
    const exported = join(dir, "snarkjs");
    run("export-snarkjs", "--keys", keys, "--proof", proof, "--out", exported);
    const ours = json(join(exported, "verification_key.json"));
    const theirs = await snarkjs.zKey.exportVerificationKey(zkey);
    for (const k of ["protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"]) {
      assert.deepEqual(ours[k], theirs[k], k);
    }
    // And snarkjs, verifying with the ceremony's key, accepts our proof.
    const pub = json(join(exported, "public.json"));
    assert.equal(await snarkjs.groth16.verify(theirs, pub, json(join(exported, "proof.json"))), true);
  });

  it("the importer refuses the key for another batch size", () => {
    const res = spawnSync(prover, ["setup", "--batch-size", "2", "--import-zkey", zkey, "--out", join(dir, "keys2")], {
      encoding: "utf8",
    });
    assert.equal(res.status, 2, res.stderr);
    assert.match(res.stderr, /key check failed/);
  });
});
