/**
 * `tattle live` end to end: the built CLI, the real adb server (Debian's adb) and a simulated
 * phone serving captures/incognito-leak, paced by its timestamps. Checks latency, surviving an
 * unplug, record -> replay equality, and a bundle cut short by a crash.
 */
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {needTool} from '../helpers/tools.js';
import {AdbHarness} from '../sim/adb-harness.js';
import {EXIT_WAIT_MS, startLive as startLiveRun, useAdbHarness, terminate, until, type LiveEvent, type LiveRun} from '../helpers/live.js';
import {shellQuote, startLiveInTmux, type TmuxPane} from '../helpers/tmux.js';

const BUNDLE = path.join(repoRoot, 'captures', 'incognito-leak');
const BUNDLE_PCAP = path.join(BUNDLE, 'capture.pcap');
const BUNDLE_LOG = path.join(BUNDLE, 'logcat.txt');
/** The bundle's own counts: what a run that lost nothing reports. */
const bundlePackets = parseSimCapture(new Uint8Array(readFileSync(BUNDLE_PCAP))).records.length;
const bundleLines = readFileSync(BUNDLE_LOG, 'utf8').split('\n').filter(Boolean).length;
/** The bundle's last log line: once it arrives, the run is (nearly) over. */
const lastLogMessage = /chatty\s*: (.*)$/.exec(readFileSync(BUNDLE_LOG, 'utf8').trim().split('\n').at(-1)!)![1]!;

/** An event must reach stdout within this of the simulator sending it (the brief's bound). */
const MAX_LAG_SEC = 1;
/** Longest a whole paced run may take: 19 s of bundle at speed 1, plus reconnect and start-up. */
const RUN_WAIT_MS = 35_000;

type Event = LiveEvent;
type Run = LiveRun;

const runs: Run[] = [];
const startLive = (h: AdbHarness, args: string[]) => startLiveRun(h.env, args, runs);
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-live-e2e-'));

const NETWORK = new Set(['dns', 'tls', 'quic']);
const timed = (run: Run, types: Set<string>) => run.events.filter(({e}) => types.has(e.type) && typeof e.ts === 'number');

type Report = {
	stats: {packets: number; logLines: number};
	destinations: Array<{host: string; packets: number; bytesOut: number; bytesIn: number}>;
	categories: Array<{category: string; destinations: number; packets: number; bytesOut: number; bytesIn: number}>;
	flags: Array<{kind: string; host: string}>;
};
const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
const destinations = (r: Report) => r.destinations.map((d) => `${d.host} ${d.packets} ${d.bytesOut} ${d.bytesIn}`).sort();
const flags = (r: Report) => r.flags.map((f) => `${f.kind} ${f.host}`).sort();

describe.runIf(needTool('adb', 'adb'))('tattle live against a simulated phone through the real adb server', () => {
	const h = useAdbHarness(runs, () => rmSync(tmp, {recursive: true, force: true}));

	it('prints log and network events within a second of the phone sending them; SIGTERM exits 0 with a report', async () => {
		// Speed 1 with rebase: each record is sent when its (shifted) timestamp says, so ts = send time.
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 1, rebase: true});
		const report = path.join(tmp, 'a.json');
		const run = startLive(h, ['--serial', serial, '--pcap', 'adb', '--json', '--report', report]);
		// The bundle's first 2 s hold ~10 log lines and DNS, TLS and HTTP for three hosts.
		const enough = await until(() => timed(run, new Set(['log'])).length >= 8 && timed(run, NETWORK).length >= 8, 15_000);
		expect(enough, `events so far: ${run.events.map(({e}) => e.type).join(' ')}; stderr: ${run.stderr()}`).toBe(true);
		expect(await terminate(run)).toBe(0);
		const lags = timed(run, new Set(['log', ...NETWORK])).map(({at, e}) => at - (e.ts as number));
		const worst = Math.max(...lags);
		expect(worst, `worst lag ${worst.toFixed(3)} s`).toBeLessThan(MAX_LAG_SEC);
		// And not early either: the timestamps are the send times, so no event can precede its own.
		expect(Math.min(...lags)).toBeGreaterThan(-0.25);
		const r = readReport(report);
		expect(r.stats.packets).toBeGreaterThan(0);
		expect(r.stats.logLines).toBeGreaterThan(0);
	}, 40_000);

	it('survives the phone dropping off: reconnects, resumes, records the gap, and loses nothing', async () => {
		// The capture is silent from 1.8 s to 6.3 s: the link drops at 2 s for 0.5 s and must be back before 6.3 s.
		const {serial, sim} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 1, rebase: true, dropAfterMs: 2000, dropDownMs: 500});
		const report = path.join(tmp, 'b.json');
		const run = startLive(h, ['--serial', serial, '--json', '--report', report]);
		const done = await until(() => run.events.some(({e}) => e.type === 'log' && e.message === lastLogMessage), RUN_WAIT_MS);
		expect(done, `stderr: ${run.stderr()}`).toBe(true);
		// The last packet follows the last log line by 0.15 s.
		await new Promise((r) => setTimeout(r, 1000));
		expect(await terminate(run)).toBe(0);
		expect(sim.services.filter((s) => s.includes('logcat')).length, 'logcat was restarted').toBeGreaterThanOrEqual(2);
		const sources = run.events.filter(({e}) => e.type === 'source').map(({e}) => `${String(e.source)} ${String(e.state)} ${String(e.detail ?? '')}`);
		expect(sources.some((s) => /^logcat down/.test(s)), sources.join('\n')).toBe(true);
		expect(sources.some((s) => /^logcat live resumed after a \d+(?:\.\d)? s gap/.test(s)), sources.join('\n')).toBe(true);
		expect(run.events.some(({e}) => e.type === 'marker' && /logcat: gap from/.test(String(e.text)))).toBe(true);
		const r = readReport(report);
		expect(r.stats.logLines).toBe(bundleLines);
		expect(r.stats.packets).toBe(bundlePackets);
	}, 60_000);

	let recorded = '';
	let liveReport: Report | undefined;

	it('records a bundle that replays to the same destinations, categories and flags', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 4, rebase: true});
		recorded = path.join(tmp, 'rec');
		const liveJson = path.join(tmp, 'live.json');
		const liveHtml = path.join(tmp, 'live.html');
		const run = startLive(h, ['--serial', serial, '--record', recorded, '--report', liveJson, '--report', liveHtml]);
		const pcapSize = statSync(BUNDLE_PCAP).size;
		const size = (f: string) => (existsSync(path.join(recorded, f)) ? statSync(path.join(recorded, f)).size : 0);
		const lines = () => (existsSync(path.join(recorded, 'logcat.txt')) ? readFileSync(path.join(recorded, 'logcat.txt'), 'utf8').split('\n').filter(Boolean).length : 0);
		// The writer writes as it goes: the files grow to the bundle's size while tattle runs.
		const whole = await until(() => size('capture.pcap') === pcapSize && lines() >= bundleLines, RUN_WAIT_MS);
		expect(whole, `capture ${size('capture.pcap')}/${pcapSize} bytes, ${lines()}/${bundleLines} lines; stderr: ${run.stderr()}`).toBe(true);
		await new Promise((r) => setTimeout(r, 300));
		expect(await terminate(run)).toBe(0);
		const meta = JSON.parse(readFileSync(path.join(recorded, 'meta.json'), 'utf8')) as {sources: Record<string, {command: string}>};
		expect(meta).toMatchObject({tool: {name: 'tattle'}, clockOffset: 0, capture: 'capture.pcap', device: {serial, model: 'TattleSim', timeZone: 'Europe/Paris'}});
		expect(meta.sources.logcat.command).toContain('logcat -v threadtime -v epoch');
		expect(meta.sources.pcap.command).toContain('tcpdump -i any -U -s 0 -w -');

		const replayJson = path.join(tmp, 'replay.json');
		const replay = await tattle(['replay', recorded, '--report', replayJson]);
		expect(replay.code, replay.stderr).toBe(0);
		expect(replay.stderr).toBe('');
		liveReport = readReport(liveJson);
		const back = readReport(replayJson);
		expect(back.stats).toMatchObject({packets: bundlePackets, logLines: bundleLines});
		expect(liveReport.stats).toMatchObject({packets: bundlePackets, logLines: bundleLines});
		expect(destinations(back)).toEqual(destinations(liveReport));
		expect(back.categories).toEqual(liveReport.categories);
		expect(flags(back)).toEqual(flags(liveReport));
		// Not an empty equality: the bundle leaks in incognito, and both runs saw it.
		expect(flags(back).some((f) => f.startsWith('incognito-url-leak'))).toBe(true);
		expect(back.destinations.length).toBeGreaterThan(5);
		// The HTML report of the live run: one card per flag of the JSON report, of the same kinds.
		const page = readFileSync(liveHtml, 'utf8');
		expect(page).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src (?:'|&#39;|&#x27;)none/);
		const cards = [...page.matchAll(/<article class="flag sev-\w+" id="flag-\d+" data-kind="([\w-]+)">/g)].map((m) => m[1]);
		expect(cards).toEqual(liveReport.flags.map((f) => f.kind));
	}, 60_000);

	it('a bundle whose capture was cut mid-record (a crash) replays with exit 0 and a one-line notice', async () => {
		expect(recorded, 'needs the bundle of the previous test').not.toBe('');
		const cut = path.join(tmp, 'cut');
		cpSync(recorded, cut, {recursive: true});
		const file = path.join(cut, 'capture.pcap');
		truncateSync(file, statSync(file).size - 7);
		const json = path.join(tmp, 'cut.json');
		const r = await tattle(['replay', cut, '--report', json]);
		expect(r.code).toBe(0);
		const notice = r.stderr.trim().split('\n');
		expect(notice).toHaveLength(1);
		expect(notice[0]).toMatch(/capture\.pcap: byte \d+: truncated record/);
		expect(readReport(json).stats.packets).toBe(bundlePackets - 1);
	}, 20_000);

	it('--record refuses a folder that is not empty, before touching the phone', async () => {
		const full = path.join(tmp, 'full');
		mkdirSync(full);
		writeFileSync(path.join(full, 'keep.txt'), 'mine');
		const r = await tattle(['live', '--serial', '127.0.0.1:1', '--record', full, '--json']);
		expect(r.code).toBe(2);
		expect(r.stderr).toMatch(/is not empty: --record never overwrites/);
		expect(readFileSync(path.join(full, 'keep.txt'), 'utf8')).toBe('mine');
	}, 20_000);

	it('--pcapdroid says clearly when PCAPdroid is not installed, with where to get it', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 'max'});
		const run = startLive(h, ['--serial', serial, '--pcapdroid', '--json']);
		const code = await Promise.race([run.exit, new Promise<string>((r) => setTimeout(() => r('hung'), EXIT_WAIT_MS))]);
		expect(code, run.stderr()).toBe(2);
		expect(run.stderr()).toMatch(/PCAPdroid is not installed on 127\.0\.0\.1:\d+: .*Google Play or F-Droid/);
		expect(run.stderr().trim().split('\n')).toHaveLength(1);
	}, 20_000);

	describe.runIf(needTool('tmux', 'tmux'))('on the dashboard', () => {
		let pane: TmuxPane | undefined;
		afterAll(async () => {
			await pane?.kill();
		});

		it('records the m and i markers typed on the dashboard into the bundle', async () => {
			const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 2, rebase: true});
			const dir = path.join(tmp, 'keys');
			pane = await startLiveInTmux(h.port, serial, ['--record', dir]);
			// Wait until packets flow, so the markers fall inside the session.
			await pane.waitFor(/[1-9]\d* pkts/, 20_000);
			await pane.sendKeys('i');
			// m opens a one-line note prompt: typed keys (even i and q) are the note until Enter.
			await pane.sendKeys('m');
			await pane.type('quit the tab');
			await pane.sendKeys('Enter');
			await pane.waitFor('marker added: quit the tab', 5000);
			await pane.sendKeys('i');
			await pane.sendKeys('q');
			await pane.waitFor('EXIT=0', 15_000);
			const recorded = readFileSync(path.join(dir, 'logcat.txt'), 'utf8').split('\n');
			const markers = recorded.filter((l) => l.includes('tattle.marker'));
			const said = markers.map((l) => l.replace(/^.* tattle\.marker: /, '').replace(/pkg=\S+/, 'pkg=P'));
			expect(said).toHaveLength(3);
			expect(said[1]).toBe('note quit the tab');
			for (const i of [0, 2]) expect(said[i]).toMatch(/^incognito-(on|off) pkg=P marked by hand$/);
			// Which way each press toggles depends on the state it finds, which the phone's own lines
			// (the bundle's probe, the live window probe) also move, at times a terminal cannot pin:
			// the toggle itself is pinned in test/ingest/session-behaviour.test.ts ("the i key").
			// A press before the app in front is known names "the browser in front" (pkg=browser), one
			// after names the browser; the bundle's browser is the only one either press may name.
			for (const i of [0, 2]) expect(markers[i]!.replace(/^.* pkg=(\S+).*$/, '$1')).toMatch(/^(browser|com\.mi\.globalbrowser)$/);
			const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as {markers: Array<{kind: string; text: string}>};
			// Every marker of the session is in meta.json (issue 12, defect 15), the i toggles too.
			expect(meta.markers.map((m) => m.kind)).toEqual([expect.stringMatching(/^incognito-(on|off)$/), 'note', expect.stringMatching(/^incognito-(on|off)$/)]);
			expect(meta.markers[1]).toEqual(expect.objectContaining({kind: 'note', text: 'quit the tab'}));
		}, 45_000);

		it('packets piped on stdin (tcpdump -w - | tattle live --pcap -): the dashboard still reads keys from the terminal', async () => {
			await pane?.kill();
			const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 2, rebase: true});
			const report = path.join(tmp, 'piped.json');
			pane = await startLiveInTmux(h.port, serial, ['--pcap', '-', '--report', report], `cat ${shellQuote(BUNDLE_PCAP)}`);
			const screen = await pane.waitFor(new RegExp(`${bundlePackets} pkts`), 20_000);
			expect(screen).toContain('DESTINATIONS');
			await pane.sendKeys('?');
			await pane.waitFor(/KEYS · /, 5_000);
			await pane.sendKeys('Escape');
			// Esc and q in one burst read as Alt-q: wait for the overlay to close, as a person would.
			await pane.waitFor((s) => !s.includes('KEYS · '), 5_000);
			await pane.sendKeys('q');
			await pane.waitFor('EXIT=0', 15_000);
			expect(readReport(report).stats.packets).toBe(bundlePackets);
			// The terminal is left in cooked mode: the shell after us echoes what is typed.
			await pane.type('echo typed-$((6*7))');
			await pane.sendKeys('Enter');
			await pane.waitFor('typed-42', 5_000);
		}, 45_000);
	});
});
