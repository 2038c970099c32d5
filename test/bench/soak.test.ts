/**
 * The CI version of `npm run soak` (bench/soak.mjs, issue 14): 60 s of tattle live on its
 * dashboard (a real pty) against the device simulator behind the real adb server, at a rate a
 * shared 2-core machine holds, with the phone dropping off every 20 s. Nothing may be lost across
 * the drops, RSS stays under the cap, keys are answered. The 10-minute, 20k packets/s run is
 * `npm run soak`, not CI: its figures are in the README.
 */
import {describe, expect, it} from 'vitest';
// Plain JS (the benchmark runs without a build step of its own); vitest loads it as is.
import {soak} from '../../bench/soak.mjs';
import {hasCorpus} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';

/** Packets a second the CI run streams: held on this 2-core machine shared with other jobs (README "Soak"). */
const CI_RATE = 2000;
/** Log lines a second: the figure. */
const CI_LOG_RATE = 200;
const CI_SECONDS = 60;
/** RSS cap, MB (README "Soak": ~200 MB idle with GeoIP loaded; a run peaked at 414 MB, median 315, at 2k packets/s). */
const RSS_CAP_MB = 512;
/**
 * Slowest key answer accepted in CI, ms. The bound is 200 ms; on a 2-core machine at
 * load 13 a key took 230 ms at the median with no traffic at all, so CI checks that every key is
 * answered within a second, and `npm run soak` reports the distribution against 200 ms.
 */
const CI_KEY_MS = 1000;

describe.runIf(hasCorpus && needTool('adb', 'adb') && needTool('script', 'util-linux'))('soak (60 s CI version of npm run soak)', () => {
	it(`${CI_SECONDS} s at ${CI_RATE} packets/s and ${CI_LOG_RATE} lines/s with drops: nothing lost, RSS capped, keys answered`, async () => {
		const {figures, failures} = await soak({duration: CI_SECONDS, rate: CI_RATE, logRate: CI_LOG_RATE, dropEvery: 20, dropMs: 3000, rssCapMb: RSS_CAP_MB, keyMs: CI_KEY_MS, lapSeconds: 10, json: true});
		console.log(`soak figures: ${JSON.stringify(figures)}`);
		expect(failures, JSON.stringify(figures)).toEqual([]);
		// Not an empty pass: the drops happened, packets and lines flowed and were all kept.
		expect(figures.drops).toBe(2);
		expect(figures.packetsRecorded).toBeGreaterThan(CI_RATE * CI_SECONDS * 0.7);
		expect(figures.logLinesRecorded).toBe(CI_LOG_RATE * CI_SECONDS);
		expect(figures.keyProbes).toBeGreaterThan(5);
	}, 180_000);
});
