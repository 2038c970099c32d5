/**
 * `e` writes the same report as --report at exit (issue 12, live-mode defect 8): the same input
 * record, the same snapshot, after the same look-ups. Through the CLI, in a real terminal: after a
 * replay, and live against the device simulator through the real adb server.
 */
import {copyFileSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {repoRoot} from '../helpers/corpus.js';
import {useAdbHarness, type LiveRun} from '../helpers/live.js';
import {needTool} from '../helpers/tools.js';
import {shellQuote, startLiveInTmux, startTmux, type TmuxPane} from '../helpers/tmux.js';

const BUNDLE = path.join(repoRoot, 'captures', 'incognito-leak');
const BUNDLE_PCAP = path.join(BUNDLE, 'capture.pcap');
const BUNDLE_LOG = path.join(BUNDLE, 'logcat.txt');
const bundlePackets = parseSimCapture(new Uint8Array(readFileSync(BUNDLE_PCAP))).records.length;
const bundleLines = readFileSync(BUNDLE_LOG, 'utf8').split('\n').filter(Boolean).length;

const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-export-'));
let pane: TmuxPane | undefined;
afterEach(async () => pane?.kill());
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

describe.runIf(needTool('tmux', 'tmux'))('e (export) on the dashboard', () => {
	it('after a replay, e writes byte for byte the report q writes at exit', async () => {
		const report = path.join(tmp, 'report.json');
		const exported = path.join(tmp, 'exported.json');
		pane = await startTmux({command: `node dist/cli.js replay captures/incognito-leak --speed 50 --report ${shellQuote(report)}`, width: 100, height: 30, color: false});
		await pane.waitFor('Replay finished', 30_000);
		await pane.sendKeys('e');
		await pane.waitFor('report written', 10_000);
		copyFileSync(report, exported);
		await pane.sendKeys('q');
		await pane.waitFor('EXIT=0', 10_000);
		const atExit = JSON.parse(readFileSync(report, 'utf8')) as {input: Record<string, unknown>};
		expect(atExit.input).toMatchObject({command: 'replay', logcat: expect.any(String), speed: '50'});
		expect(readFileSync(exported, 'utf8')).toBe(readFileSync(report, 'utf8'));
	}, 60_000);
});

/** A report without what a later moment may legitimately change: the sources' states and since when. */
function lasting(file: string): Record<string, unknown> {
	const {sources: _sources, ...rest} = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
	return rest;
}

describe.runIf(needTool('adb', 'adb') && needTool('tmux', 'tmux'))('e (export) live, against a simulated phone through the real adb server', () => {
	const runs: LiveRun[] = [];
	const h = useAdbHarness(runs);

	it('once the phone has sent everything, e writes the report q writes at exit: input, device, stats, destinations, flags', async () => {
		// Paced (19 s of bundle in 5 s) so that log lines and packets interleave as on a phone.
		const {serial, sim} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 4, rebase: true});
		const report = path.join(tmp, 'live.json');
		const exported = path.join(tmp, 'live-exported.json');
		pane = await startLiveInTmux(h.port, serial, ['--report', report]);
		try {
			// The whole bundle is in: every packet and every log line is on the status line.
			await pane.waitFor((s) => s.includes(`${bundlePackets} pkts`) && s.includes(`${bundleLines} log lines`), 20_000);
			await pane.sendKeys('e');
			await pane.waitFor('report written', 10_000);
			copyFileSync(report, exported);
			await pane.sendKeys('q');
			await pane.waitFor('EXIT=0', 15_000);
		} finally {
			await sim.close();
		}
		const atExit = lasting(report);
		const byKey = lasting(exported);
		// The input record is the live one, complete: which phone, which packet source.
		expect(atExit.input).toEqual({command: 'live', serial, pcap: 'adb'});
		expect(atExit.stats).toMatchObject({packets: bundlePackets, logLines: bundleLines});
		// Not an empty equality: the bundle leaks in incognito, to several destinations.
		expect((atExit.flags as Array<{kind: string}>).some((f) => f.kind === 'incognito-url-leak')).toBe(true);
		expect((atExit.destinations as unknown[]).length).toBeGreaterThan(5);
		for (const key of Object.keys(atExit)) expect(byKey[key], key).toEqual(atExit[key]);
		expect(Object.keys(byKey).sort()).toEqual(Object.keys(atExit).sort());
	}, 60_000);
});
