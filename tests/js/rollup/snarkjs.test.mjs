// snarkjs (an independent Groth16 verifier) checks a proof exported by
// `echonet-prover export-snarkjs`. ECHONET_SNARKJS_DIR names the directory holding
// verification_key.json, proof.json and public.json (scripts/ci-rollup.sh sets it).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as snarkjs from "snarkjs";

const dir = process.env.ECHONET_SNARKJS_DIR;
const load = (f) => JSON.parse(readFileSync(join(dir, f), "utf8"));
const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

// snarkjs keeps a cached curve with worker threads alive; end them so the process exits.
after(async () => {
  if (globalThis.curve_bn128) await globalThis.curve_bn128.terminate();
});

test("snarkjs verifies the exported proof and rejects tampered ones", { skip: !dir && "ECHONET_SNARKJS_DIR not set" }, async () => {
  const vk = load("verification_key.json");
  const proof = load("proof.json");
  const pub = load("public.json");
  assert.equal(pub.length, 1, "one public input");
  assert.equal(await snarkjs.groth16.verify(vk, pub, proof), true);

  const tamperedInput = [((BigInt(pub[0]) + 1n) % r).toString()];
  assert.equal(await snarkjs.groth16.verify(vk, tamperedInput, proof), false);

  // Swap A and C: both are valid curve points, the pairing equation fails.
  const tamperedProof = { ...proof, pi_a: proof.pi_c, pi_c: proof.pi_a };
  assert.equal(await snarkjs.groth16.verify(vk, pub, tamperedProof), false);

  // A non-canonical public input (>= r) is refused.
  assert.equal(await snarkjs.groth16.verify(vk, [(BigInt(pub[0]) + r).toString()], proof), false);
});
