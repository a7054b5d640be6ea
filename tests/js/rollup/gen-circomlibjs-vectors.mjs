// Writes vectors computed by circomlibjs alone, for the Rust test
// rollup/primitives/tests/it/circomlibjs_vectors.rs (run: node rollup/gen-circomlibjs-vectors.mjs OUT).
import { writeFileSync } from "node:fs";
import { buildPoseidon, buildEddsa } from "circomlibjs";

const poseidon = await buildPoseidon();
const eddsa = await buildEddsa();
const F = eddsa.babyJub.F;
const dec = (x) => F.toObject(x).toString();

// Deterministic pseudo-random field elements (xorshift), independent of the Rust side.
let s = 0x9e3779b97f4a7c15n;
const next = () => {
  let x = 0n;
  for (let i = 0; i < 4; i++) {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    x = (x << 64n) | s;
  }
  return x % 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
};

const out = { source: "circomlibjs 0.1.7", poseidon: [], eddsa: [] };
for (let n = 1; n <= 6; n++) {
  const inputs = Array.from({ length: n }, next);
  out.poseidon.push({ inputs: inputs.map(String), output: poseidon.F.toObject(poseidon(inputs)).toString() });
}
for (let i = 0; i < 4; i++) {
  const prv = Buffer.alloc(32);
  for (let j = 0; j < 32; j++) prv[j] = (i * 37 + j * 11 + 5) & 0xff;
  const msg = next();
  const pub = eddsa.prv2pub(prv);
  const sig = eddsa.signPoseidon(prv, F.e(msg));
  out.eddsa.push({
    private_key: prv.toString("hex"),
    public_key: [dec(pub[0]), dec(pub[1])],
    msg: msg.toString(),
    r8: [dec(sig.R8[0]), dec(sig.R8[1])],
    s: sig.S.toString(),
    packed_signature: Buffer.from(eddsa.packSignature(sig)).toString("hex"),
  });
}
writeFileSync(process.argv[2], JSON.stringify(out, null, 2) + "\n");
