/**
 * `tattle live --baseline B` end to end: the real adb server and a simulated phone serving
 * captures/incognito-leak, with captures/normal-browsing as the baseline: the destination the
 * normal run never saw is new in the --json events and in the report.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {repoRoot} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';
import {AdbHarness} from '../sim/adb-harness.js';
import {killAll, startLive, terminate, until, type LiveRun} from '../helpers/live.js';

const BUNDLE = path.join(repoRoot, 'captures', 'incognito-leak');
const BASELINE = path.join(repoRoot, 'captures', 'normal-browsing');
/** The bundle is ~19 s at the recorded pace; at 5x it is over in ~4 s, plus start-up and the baseline's replay. */
const SPEED = 5;
const RUN_WAIT_MS = 30_000;

const runs: LiveRun[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-live-baseline-'));

describe.runIf(needTool('adb', 'adb'))('tattle live --baseline through the real adb server', () => {
	const h = new AdbHarness();
	beforeAll(async () => {
		await h.start();
	});
	afterAll(async () => {
		killAll(runs);
		await h.stop();
		rmSync(tmp, {recursive: true, force: true});
	});

	it('the host the baseline run never saw is new in the events and the report; the others are not', {timeout: 60_000}, async () => {
		const {serial} = await h.addSim({logcatPath: path.join(BUNDLE, 'logcat.txt'), pcapPath: path.join(BUNDLE, 'capture.pcap'), speed: SPEED, rebase: true});
		const report = path.join(tmp, 'live.json');
		const run = startLive(h.env, ['--serial', serial, '--pcap', 'adb', '--json', '--baseline', BASELINE, '--report', report], runs);
		// The QUIC search to www.google.com comes late in the bundle; its flow totals follow.
		const seen = await until(() => run.events.some(({e}) => e.type === 'quic' && e.sni === 'www.google.com'), RUN_WAIT_MS);
		expect(seen, `events: ${run.events.map(({e}) => e.type).join(' ')}; stderr: ${run.stderr()}`).toBe(true);
		expect(await terminate(run)).toBe(0);
		const fresh = run.events.filter(({e}) => e.new === true).map(({e}) => String(e.host ?? e.sni));
		expect(fresh.length).toBeGreaterThan(0);
		expect(new Set(fresh)).toEqual(new Set(['www.google.com']));
		// Events naming known hosts carry no mark.
		expect(run.events.some(({e}) => e.type === 'http' && e.host === 'sa.api.intl.miui.com' && !('new' in e))).toBe(true);
		const r = JSON.parse(readFileSync(report, 'utf8')) as {input: {command: string; baseline?: string}; destinations: Array<{host: string; new?: boolean}>};
		expect(r.input).toMatchObject({command: 'live', baseline: BASELINE});
		expect(r.destinations.filter((d) => d.new).map((d) => d.host)).toEqual(['www.google.com']);
	});
});
