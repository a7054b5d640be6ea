// Cross-check of EchoNet's native Poseidon and EdDSA-Poseidon (Rust) against circomlibjs,
// the iden3 reference implementation that wallets use.
//
// The vectors come from `echonet-prover vectors --out FILE` (path in ECHONET_VECTORS, as
// scripts/ci-rollup.sh does); without it, the committed fixture is used.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildPoseidon, buildEddsa } from "circomlibjs";

const fixture = fileURLToPath(new URL("./fixtures/echonet-vectors.json", import.meta.url));
const vectors = JSON.parse(readFileSync(process.env.ECHONET_VECTORS || fixture, "utf8"));

const poseidon = await buildPoseidon();
const eddsa = await buildEddsa();
const F = eddsa.babyJub.F;

const dec = (x) => F.toObject(x).toString();

test("there are vectors to check", () => {
  assert.ok(vectors.poseidon.length >= 14);
  assert.ok(vectors.eddsa.length >= 4);
});

test("Poseidon matches circomlibjs", () => {
  for (const v of vectors.poseidon) {
    const out = poseidon(v.inputs.map((x) => BigInt(x)));
    assert.equal(poseidon.F.toObject(out).toString(), v.output, `inputs ${v.inputs.length}`);
  }
});

test("EdDSA keys, signatures and packing match circomlibjs", () => {
  for (const v of vectors.eddsa) {
    const prv = Buffer.from(v.private_key, "hex");
    const pub = eddsa.prv2pub(prv);
    assert.deepEqual([dec(pub[0]), dec(pub[1])], v.public_key);
    assert.equal(Buffer.from(eddsa.babyJub.packPoint(pub)).toString("hex"), v.packed_public_key);

    const msg = F.e(BigInt(v.msg));
    const sig = eddsa.signPoseidon(prv, msg);
    assert.deepEqual([dec(sig.R8[0]), dec(sig.R8[1])], v.r8);
    assert.equal(sig.S.toString(), v.s);
    assert.equal(Buffer.from(eddsa.packSignature(sig)).toString("hex"), v.packed_signature);

    // circomlibjs accepts our signature (rebuilt from our numbers, not from its own).
    const ours = { R8: [F.e(BigInt(v.r8[0])), F.e(BigInt(v.r8[1]))], S: BigInt(v.s) };
    const A = [F.e(BigInt(v.public_key[0])), F.e(BigInt(v.public_key[1]))];
    assert.equal(eddsa.verifyPoseidon(msg, ours, A), true);
    // ... and rejects it for another message.
    assert.equal(eddsa.verifyPoseidon(F.e(BigInt(v.msg) + 1n), ours, A), false);
  }
});
