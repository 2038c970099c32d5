#!/usr/bin/env node
/**
 * `npm run fuzz`: the property tests (test/fuzz/*.fuzz.test.ts and the report escapers) run long,
 * from a fresh random seed, printed first and last so a failure can be replayed:
 *   FUZZ_SEED=<seed> npm run fuzz                      the same run again
 *   FUZZ_SEED=<seed> FUZZ_PATH=<path> npx vitest run test/fuzz/<file> -t "<test>"   one failing case
 * FUZZ_RUNS sets the cases per property (default below); extra arguments go to vitest (e.g.
 * `npm run fuzz -- -t HPACK` for the tests whose name holds HPACK).
 */
import {spawnSync} from 'node:child_process';
import {randomInt} from 'node:crypto';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

/** Cases per property: about 5 minutes on a 2-core machine for all of them. */
const DEFAULT_RUNS = 20_000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// fast-check takes a 32-bit seed.
const seed = process.env.FUZZ_SEED ?? String(randomInt(0, 2 ** 31 - 1));
const runs = process.env.FUZZ_RUNS ?? String(DEFAULT_RUNS);
const replay = `FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz`;
console.log(`fuzz: seed ${seed}, ${runs} runs per property (replay: ${replay})`);

const started = Date.now();
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
// No per-test timeout: a long run of one property takes minutes. The per-case time check stays.
const args = [vitest, 'run', 'fuzz.test', 'output-safety.test', '--testTimeout=0', ...process.argv.slice(2)];
const r = spawnSync(process.execPath, args, {cwd: root, stdio: 'inherit', env: {...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs}});
const seconds = Math.round((Date.now() - started) / 1000);
const ok = r.status === 0;
console.log(`fuzz: ${ok ? 'passed' : 'FAILED'}: seed ${seed}, ${runs} runs per property, ${seconds} s${ok ? '' : ` (replay: ${replay})`}`);
process.exit(r.status ?? 1);
