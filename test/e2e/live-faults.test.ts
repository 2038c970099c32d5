/**
 * Faults of issue 14, each through the built CLI, the real adb server and the device simulator
 * (captures/incognito-leak): a PCAPdroid UDP exporter restarting mid-stream, stdin closing, a
 * full disk while recording (a file size limit: SIGXFSZ is ignored, so writes fail with EFBIG),
 * SIGKILL while recording, and SIGTERM/SIGINT/SIGHUP headless and on the dashboard. For each:
 * tattle keeps running, says so, and has lost nothing it had already seen.
 * (The device unplugged, the adb server killed and the link dropped are in live*.test.ts.)
 */
import {createSocket} from 'node:dgram';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {killAll, startLive, terminate, until, type LiveEvent, type LiveRun} from '../helpers/live.js';
import {startLiveInTmux} from '../helpers/tmux.js';
import {needTool} from '../helpers/tools.js';
import {AdbHarness} from '../sim/adb-harness.js';
import {ipPackets, pcapHeader, pcapRecord} from '../sources/pcapdroid-dumper.js';

const BUNDLE = path.join(repoRoot, 'captures', 'incognito-leak');
const BUNDLE_PCAP = path.join(BUNDLE, 'capture.pcap');
const BUNDLE_LOG = path.join(BUNDLE, 'logcat.txt');
const bundlePackets = parseSimCapture(new Uint8Array(readFileSync(BUNDLE_PCAP))).records.length;
const bundleLines = readFileSync(BUNDLE_LOG, 'utf8').split('\n').filter(Boolean).length;
/**
 * The file size limit of the disk-full test: three quarters of the bundle's capture (64 KiB), so
 * the capture hits it mid-run, while logcat.txt (11 KiB), meta.json and the JSON report (~39 KiB
 * with the upload timeline) fit.
 */
const FSIZE_LIMIT = 48 * 1024;

const runs: LiveRun[] = [];
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-faults-'));
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Report = {stats: {packets: number; logLines: number}};
const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
const sources = (run: LiveRun, source?: string) =>
	run.events.filter(({e}) => e.type === 'source' && (!source || e.source === source)).map(({e}) => `${String(e.source)} ${String(e.state)} ${String(e.detail ?? '')}`);
const count = (run: LiveRun, type: string) => run.events.filter(({e}) => e.type === type).length;
/** What an event says, without where it was numbered: the same in a live run and in the replay of its bundle. */
const said = (e: LiveEvent) => (e.type === 'log' ? `log ${String(e.tag)}: ${String(e.message)}` : ['dns', 'tls', 'quic', 'http'].includes(e.type) ? `${e.type} ${JSON.stringify([e.query, e.sni, e.host, e.path])}` : undefined);

/** A replay of `dir` with --json: exit code, stderr, events, report. */
async function replay(dir: string, name: string): Promise<{code: number; stderr: string; events: LiveEvent[]; report: Report | undefined}> {
	const report = path.join(tmp, `${name}-replay.json`);
	const r = await tattle(['replay', dir, '--json', '--report', report]);
	const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LiveEvent);
	return {code: r.code, stderr: r.stderr, events, report: existsSync(report) ? readReport(report) : undefined};
}

describe.runIf(needTool('adb', 'adb'))('faults while watching (issue 14), through the real adb server', () => {
	const h = new AdbHarness();
	beforeAll(async () => {
		await h.start();
	});
	afterAll(async () => {
		killAll(runs);
		await h.stop();
		rmSync(tmp, {recursive: true, force: true});
	});

	it('a PCAPdroid UDP exporter restarting (a new header mid-stream): said, numbering goes on, nothing lost, the bundle replays whole', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, speed: 'max'});
		const sock = createSocket('udp4');
		await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
		const port = await new Promise<number>((resolve) => {
			const probe = createSocket('udp4');
			probe.bind(0, '127.0.0.1', () => {
				const p = probe.address().port;
				probe.close(() => resolve(p));
			});
		});
		const report = path.join(tmp, 'udp.json');
		const rec = path.join(tmp, 'udp-rec');
		const run = startLive(h.env, ['--serial', serial, '--pcap', `udp://127.0.0.1:${port}`, '--record', rec, '--json', '--report', report], runs);
		expect(await until(() => sources(run, 'pcap').some((s) => s.includes('listening on udp')), 15_000), run.stderr()).toBe(true);
		const ip = ipPackets(BUNDLE_PCAP);
		const send = async (list: Uint8Array[]) => {
			for (const [i, d] of list.entries()) {
				await new Promise<void>((resolve, reject) => sock.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
				if (i % 8 === 7) await wait(5);
			}
		};
		const half = Math.floor(ip.length / 2);
		await send([pcapHeader(false), ...ip.slice(0, half).map((p) => pcapRecord(p, p.data))]);
		// PCAPdroid stopped and started again: its exporter sends a fresh header, then the new capture.
		await wait(300);
		await send([pcapHeader(false), ...ip.slice(half).map((p) => pcapRecord(p, p.data))]);
		sock.close();
		expect(await until(() => sources(run, 'pcap').some((s) => /PCAPdroid restarted its capture \(a new header after \d+ packets\)/.test(s)), 5000), sources(run).join('\n')).toBe(true);
		await wait(500);
		expect(await terminate(run)).toBe(0);
		expect(readReport(report).stats.packets).toBe(ip.length);
		const back = await replay(rec, 'udp');
		expect(back.code, back.stderr).toBe(0);
		expect(back.stderr).toBe('');
		expect(back.report!.stats.packets).toBe(ip.length);
	}, 40_000);

	it('the phone unplugged halfway into a capture record: the half record is dropped and counted, the joined stream reads on, the report and the bundle agree', async () => {
		const {serial, sim} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 4, rebase: true, captureLaps: 2});
		const rec = path.join(tmp, 'torn-rec');
		const report = path.join(tmp, 'torn.json');
		const run = startLive(h.env, ['--serial', serial, '--record', rec, '--json', '--report', report], runs);
		expect(await until(() => sim.served.acked >= 20, 20_000), run.stderr()).toBe(true);
		sim.dropMidRecord(300);
		expect(await until(() => sources(run, 'tcpdump').some((s) => /^tcpdump live resumed after/.test(s)), 20_000), sources(run).join('\n') + run.stderr()).toBe(true);
		// Packets go on after the join: the restarted tcpdump's header was joined away, its records read.
		const packetsAtJoin = sim.served.acked;
		expect(await until(() => sim.served.acked >= packetsAtJoin + 20, 20_000), `${sim.served.acked} packets served`).toBe(true);
		await wait(1000);
		expect(await terminate(run)).toBe(0);
		const recorded = parseSimCapture(new Uint8Array(readFileSync(path.join(rec, 'capture.pcap')))).records.length;
		const live = JSON.parse(readFileSync(report, 'utf8')) as Report & {stats: {problems: Record<string, number>}};
		expect(live.stats.problems['pcap-damaged'], JSON.stringify(live.stats.problems)).toBeUndefined();
		expect(live.stats.problems['pcap-torn']).toBe(1);
		expect(live.stats.packets).toBe(recorded);
		expect(recorded).toBe(sim.served.acked);
		const back = await replay(rec, 'torn');
		expect(back.code, back.stderr).toBe(0);
		expect(back.report!.stats.packets).toBe(recorded);
	}, 60_000);

	it('stdin closing (--pcap -): the packet source ends, logcat goes on, the report has every packet', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, speed: 1, rebase: true});
		const report = path.join(tmp, 'stdin.json');
		const run = startLive(h.env, ['--serial', serial, '--pcap', '-', '--json', '--report', report], runs, {stdin: 'pipe'});
		run.child.stdin!.end(readFileSync(BUNDLE_PCAP));
		expect(await until(() => sources(run, 'pcap').some((s) => s.startsWith('pcap eof')), 15_000), sources(run).join('\n') + run.stderr()).toBe(true);
		// Still watching: log lines keep arriving after the pipe closed.
		const linesAtEof = count(run, 'log');
		expect(await until(() => count(run, 'log') > linesAtEof + 5, 15_000), `${count(run, 'log')} log events`).toBe(true);
		expect(run.child.exitCode).toBeNull();
		expect(await terminate(run)).toBe(0);
		expect(readReport(report).stats.packets).toBe(bundlePackets);
	}, 40_000);

	it.runIf(needTool('prlimit', 'util-linux'))('a full disk while recording: says so, keeps watching, loses nothing it saw, and the bundle written so far replays cleanly', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 4, rebase: true});
		const rec = path.join(tmp, 'full-rec');
		const report = path.join(tmp, 'full.json');
		const run = startLive(h.env, ['--serial', serial, '--record', rec, '--json', '--report', report], runs, {prefix: ['prlimit', `--fsize=${FSIZE_LIMIT}`]});
		expect(await until(() => sources(run, 'record').some((s) => s.startsWith('record down')), 20_000), sources(run).join('\n') + run.stderr()).toBe(true);
		expect(sources(run, 'record').find((s) => s.startsWith('record down'))).toMatch(/recording to .* stopped: file size limit reached; still watching/);
		// Keeps watching: the whole bundle still arrives.
		const whole = await until(() => run.events.some(({e}) => e.type === 'log' && /chatty/.test(String(e.tag) + String(e.message))) && count(run, 'log') >= bundleLines - 5, 30_000);
		await wait(1500);
		expect(whole, `${count(run, 'log')} log events`).toBe(true);
		expect(await terminate(run)).toBe(0);
		const live = readReport(report);
		expect(live.stats).toMatchObject({packets: bundlePackets, logLines: bundleLines});
		// The capture stopped at the limit, on a whole record: the replay reads it without a notice.
		expect(statSync(path.join(rec, 'capture.pcap')).size).toBeLessThanOrEqual(FSIZE_LIMIT);
		const back = await replay(rec, 'full');
		expect(back.code, back.stderr).toBe(0);
		expect(back.stderr).toBe('');
		expect(back.report!.stats.packets).toBeGreaterThan(0);
		expect(back.report!.stats.packets).toBeLessThan(bundlePackets);
		const meta = JSON.parse(readFileSync(path.join(rec, 'meta.json'), 'utf8')) as {recorded: {error?: string}};
		expect(meta.recorded.error).toMatch(/EFBIG/);
	}, 60_000);

	it('SIGKILL while recording: the bundle replays everything the run had shown', async () => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 1, rebase: true});
		const rec = path.join(tmp, 'kill-rec');
		const run = startLive(h.env, ['--serial', serial, '--record', rec, '--json'], runs);
		// Well into the bundle: incognito turns on at line 25, network events have come.
		expect(await until(() => count(run, 'log') >= 30 && count(run, 'dns') + count(run, 'tls') >= 5, 30_000), run.stderr()).toBe(true);
		run.child.kill('SIGKILL');
		await run.exit;
		const shown = run.events.map(({e}) => said(e)).filter((s): s is string => s !== undefined);
		expect(shown.length).toBeGreaterThan(30);
		const back = await replay(rec, 'kill');
		expect(back.code, back.stderr).toBe(0);
		const replayed = new Set(back.events.map(said));
		expect(shown.filter((s) => !replayed.has(s))).toEqual([]);
		expect(readdirSync(rec).sort()).toEqual(['capture.pcap', 'logcat.txt', 'meta.json']);
	}, 45_000);

	it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('headless, %s ends the run with exit 0 and the report written', async (signal) => {
		const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 4, rebase: true});
		const report = path.join(tmp, `${signal}.json`);
		const run = startLive(h.env, ['--serial', serial, '--json', '--report', report], runs);
		expect(await until(() => count(run, 'log') >= bundleLines, 20_000), run.stderr()).toBe(true);
		run.child.kill(signal);
		const code = await Promise.race([run.exit, wait(10_000).then(() => 'hung')]);
		expect(code, run.stderr()).toBe(0);
		expect(readReport(report).stats.logLines).toBe(bundleLines);
	}, 40_000);

	describe.runIf(needTool('tmux', 'tmux'))('on the dashboard', () => {
		/** The pid of the tattle process in a pane: the child of the pane's shell running dist/cli.js. */
		function tattlePid(shellPid: number): number | undefined {
			for (const entry of readdirSync('/proc')) {
				if (!/^\d+$/.test(entry)) continue;
				try {
					const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
					const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
					if (ppid === shellPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('dist/cli.js')) return Number(entry);
				} catch {
					// gone meanwhile
				}
			}
			return undefined;
		}

		it.each(['SIGTERM', 'SIGINT'] as const)('%s from outside: the terminal is given back in cooked mode and the report written', async (signal) => {
			const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 'max'});
			const report = path.join(tmp, `tui-${signal}.json`);
			const pane = await startLiveInTmux(h.port, serial, ['--report', report]);
			try {
				await pane.waitFor(new RegExp(`${bundlePackets} pkts`), 20_000);
				const pid = tattlePid(Number(await pane.display('#{pane_pid}')));
				expect(pid).toBeDefined();
				process.kill(pid!, signal);
				await pane.waitFor('EXIT=0', 15_000);
				expect(readReport(report).stats.packets).toBe(bundlePackets);
				await pane.type('echo typed-$((6*7))');
				await pane.sendKeys('Enter');
				await pane.waitFor('typed-42', 5000);
			} finally {
				await pane.kill();
			}
		}, 45_000);

		it('SIGHUP from a closed terminal (the tmux server killed): the report is still written', async () => {
			const {serial} = await h.addSim({logcatPath: BUNDLE_LOG, pcapPath: BUNDLE_PCAP, speed: 'max'});
			const report = path.join(tmp, 'tui-hup.json');
			const pane = await startLiveInTmux(h.port, serial, ['--report', report]);
			await pane.waitFor(new RegExp(`${bundlePackets} pkts`), 20_000);
			const pid = tattlePid(Number(await pane.display('#{pane_pid}')));
			expect(pid).toBeDefined();
			await pane.kill();
			expect(await until(() => existsSync(report) && readFileSync(report, 'utf8').trim().endsWith('}'), 10_000)).toBe(true);
			expect(readReport(report).stats.packets).toBe(bundlePackets);
			expect(await until(() => !existsSync(`/proc/${pid}`), 5000), 'tattle ended').toBe(true);
		}, 45_000);
	});
});
