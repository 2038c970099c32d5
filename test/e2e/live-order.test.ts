/**
 * `tattle live` against a simulated phone at full speed whose logcat runs ahead of its packets
 * (the whole log first, as logcat can run seconds ahead of tcpdump on a phone): the flags are
 * the replay's flags for the same bundle, kinds and evidence, since judgements rest on record
 * times and not on arrival order. Only the times differ: the simulator rebases them to now.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {needTool} from '../helpers/tools.js';
import {startLive, terminate, until, useAdbHarness, type LiveRun} from '../helpers/live.js';

const BUNDLE = path.join(repoRoot, 'captures', 'incognito-leak');
const BUNDLE_PCAP = path.join(BUNDLE, 'capture.pcap');
const BUNDLE_LOG = path.join(BUNDLE, 'logcat.txt');
const bundlePackets = parseSimCapture(new Uint8Array(readFileSync(BUNDLE_PCAP))).records.length;
const bundleLines = readFileSync(BUNDLE_LOG, 'utf8').split('\n').filter(Boolean).length;
/** How late tcpdump sends: at full speed the log is in well before, whichever stream tattle opens first (a few ms apart). */
const CAPTURE_LAG_MS = 1500;
/** Quiet this long after the last packet was taken by adb: tattle has judged it. */
const SETTLE_MS = 1000;
const RUN_WAIT_MS = 20_000;

type Flag = {kind: string; host: string; severity: string; summary: string; app?: string; count?: number; evidence: Record<string, unknown>};
type Report = {stats: {packets: number; logLines: number}; flags: Flag[]};

/**
 * A flag without its times: the live run's are rebased to now. The only time inside a flag's
 * text is the "at ts N" of an encrypted upload's excerpt.
 */
function timeless(f: Flag): Omit<Flag, 'ts'> {
	const {ts: _ts, ...rest} = f as Flag & {ts: number};
	const excerpt = rest.evidence.excerpt;
	return typeof excerpt === 'string' ? {...rest, evidence: {...rest.evidence, excerpt: excerpt.replace(/ at ts [\d.]+/, ' at ts T')}} : rest;
}

const runs: LiveRun[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-live-order-'));

describe.runIf(needTool('adb', 'adb'))('tattle live with the log ahead of the packets, through the real adb server', () => {
	const h = useAdbHarness(runs, () => rmSync(tmp, {recursive: true, force: true}));

	it('at speed max, the whole log before any packet: the same flags as the replay, kinds and evidence', async () => {
		const {serial, sim} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 'max', rebase: true, captureLagMs: CAPTURE_LAG_MS});
		const liveJson = path.join(tmp, 'live.json');
		const run = startLive(h.env, ['--serial', serial, '--pcap', 'adb', '--json', '--report', liveJson], runs);
		const served = await until(() => sim.served.acked === bundlePackets, RUN_WAIT_MS);
		expect(served, `${sim.served.acked}/${bundlePackets} packets served; stderr: ${run.stderr()}`).toBe(true);
		let seen = -1;
		await until(() => {
			const quiet = run.events.length === seen;
			seen = run.events.length;
			return quiet;
		}, RUN_WAIT_MS);
		await new Promise((r) => setTimeout(r, SETTLE_MS));
		expect(await terminate(run)).toBe(0);
		// The order this test is about: every log line was in before the first network event.
		const types = run.events.map(({e}) => e.type);
		const firstNet = types.findIndex((t) => ['dns', 'tls', 'quic', 'http'].includes(t));
		expect(types.filter((t) => t === 'log').length).toBe(bundleLines);
		expect(types.slice(firstNet).includes('log'), 'a log line came after the first packet').toBe(false);

		const replayJson = path.join(tmp, 'replay.json');
		const replay = await tattle(['replay', BUNDLE, '--report', replayJson]);
		expect(replay.code, replay.stderr).toBe(0);
		const live = JSON.parse(readFileSync(liveJson, 'utf8')) as Report;
		const back = JSON.parse(readFileSync(replayJson, 'utf8')) as Report;
		expect(live.stats).toMatchObject({packets: bundlePackets, logLines: bundleLines});
		expect(live.flags.map(timeless)).toEqual(back.flags.map(timeless));
		// Not an empty equality: the bundle leaks in incognito.
		expect(back.flags.filter((f) => f.kind === 'incognito-url-leak').length).toBe(3);
	}, 60_000);
});
