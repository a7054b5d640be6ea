// Phase 1 of a Groth16 ceremony (powers of tau), prepared for phase 2, for the ceremony test
// (ceremony.test.mjs). Not a test file itself: `node --test rollup/` does not pick it up.
//
// snarkjs' preparePhase2 runs group FFTs in wasm: for 2^16 (the batch-size-1 circuit) that is
// tens of minutes on a 2-core machine, far more than everything else in the ceremony. The
// result is deterministic (a fresh accumulator, then one beacon contribution with a fixed
// hash: public toxic waste, fine for a test and nothing else), so it is cached under
// $HOME/.cache/echonet/ptau with its SHA-256 beside it; a missing or damaged file is rebuilt.
//
// Run `node rollup/ptau.mjs 16` to fill the cache ahead of a test run.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as snarkjs from "snarkjs";

// Public: anyone can recompute this ceremony's toxic waste. Test use only.
const BEACON = "6563686f6e65742063692062656163006563686f6e65742063692062656163";
const BEACON_ITERATIONS_EXP = 10;
const SNARKJS_VERSION = "0.7.6";

function sha256File(path) {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The cache directory ($ECHONET_PTAU_CACHE, else $HOME/.cache/echonet/ptau). */
export function cacheDir() {
  return process.env.ECHONET_PTAU_CACHE ?? join(homedir(), ".cache", "echonet", "ptau");
}

/**
 * Path of a prepared powers-of-tau file of 2^power, built (and cached) if missing or damaged.
 * `log` receives one line per phase with its duration.
 */
export async function preparedPtau(power, log = () => {}) {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const name = `echonet-test-beacon-snarkjs${SNARKJS_VERSION}-pow${power}.ptau`;
  const file = join(dir, name);
  const sumFile = `${file}.sha256`;
  if (existsSync(file) && existsSync(sumFile)) {
    const t = Date.now();
    if (readFileSync(sumFile, "utf8").trim() === sha256File(file)) {
      log(`ptau 2^${power}: cached ${file} (checksum ${Date.now() - t} ms)`);
      return file;
    }
    log(`ptau 2^${power}: cached file damaged, rebuilding`);
  }
  // Build under temporary names and rename at the end, so that an interrupted build leaves no
  // file that looks complete.
  const tmp = join(dir, `${name}.${process.pid}.tmp`);
  const curve = await snarkjs.curves.getCurveFromName("bn128");
  try {
    let t = Date.now();
    const lap = (what) => {
      log(`ptau 2^${power}: ${what} ${((Date.now() - t) / 1000).toFixed(1)} s`);
      t = Date.now();
    };
    await snarkjs.powersOfTau.newAccumulator(curve, power, `${tmp}.0`);
    lap("new");
    await snarkjs.powersOfTau.beacon(`${tmp}.0`, `${tmp}.1`, "echonet ci beacon", BEACON, BEACON_ITERATIONS_EXP);
    lap("beacon contribution");
    await snarkjs.powersOfTau.preparePhase2(`${tmp}.1`, tmp);
    lap("prepare phase 2");
    writeFileSync(sumFile, sha256File(tmp));
    renameSync(tmp, file);
  } finally {
    for (const f of [`${tmp}.0`, `${tmp}.1`, tmp]) rmSync(f, { force: true });
  }
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const power = Number(process.argv[2] ?? 16);
  console.log(await preparedPtau(power, console.log));
  if (globalThis.curve_bn128) await globalThis.curve_bn128.terminate();
}
