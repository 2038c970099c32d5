/**
 * fast-check settings shared by the property tests. `npm test` runs each property a few hundred
 * times from a fixed seed (a few seconds in all); `npm run fuzz` (test/fuzz/run.mjs) sets
 * FUZZ_SEED to a fresh random seed, prints it, and FUZZ_RUNS to a large count. A failure prints
 * its seed and path; FUZZ_SEED=... FUZZ_PATH=... replays exactly that case.
 */
import {expect} from 'vitest';

/** The short run's seed: fixed, so `npm test` is the same run every time. */
export const SHORT_RUN_SEED = 20_260_614;

/**
 * A case slower than this is a hang, not a slow machine: the biggest input a property makes is a
 * few tens of KB and every decoder is linear in it (a case takes well under 10 ms). Generous so a
 * loaded CI box never fails on it, tight enough to catch a quadratic walk or a loop.
 */
export const CASE_TIME_LIMIT_MS = 1000;

export type FuzzOptions = {seed: number; numRuns: number; path?: string; endOnFailure: boolean};

/**
 * Options for one property: `shortRuns` in `npm test`; FUZZ_RUNS / `cost` under `npm run fuzz`
 * (`cost` > 1 for properties whose cases are expensive, e.g. a whole capture per case).
 */
export function fuzzOptions(shortRuns: number, cost = 1): FuzzOptions {
	const env = process.env;
	const seed = env.FUZZ_SEED ? Number(env.FUZZ_SEED) : SHORT_RUN_SEED;
	const long = env.FUZZ_RUNS ? Math.max(1, Math.floor(Number(env.FUZZ_RUNS) / cost)) : undefined;
	const options: FuzzOptions = {seed, numRuns: long ?? shortRuns, endOnFailure: true};
	if (env.FUZZ_PATH) options.path = env.FUZZ_PATH;
	return options;
}

/** True under `npm run fuzz`. */
export const longRun = Boolean(process.env.FUZZ_RUNS);

/** Runs `fn` and fails the case when it took longer than `limitMs`; returns what `fn` returned. */
export function timed<T>(fn: () => T, limitMs = CASE_TIME_LIMIT_MS): T {
	const t0 = performance.now();
	const out = fn();
	const ms = performance.now() - t0;
	expect(ms, `one case took ${ms.toFixed(0)} ms`).toBeLessThan(limitMs);
	return out;
}
