/**
 * `tattle live` reading inside TLS, end to end: the built CLI, the real adb server (Debian's adb)
 * and a simulated phone serving real TLS captures (test/fixtures/tls: curl over TLS 1.3 + HTTP/2
 * and TLS 1.2 + HTTP/1.1, a visit to example.org/private-page, then a Sensors Analytics upload that
 * carries it), paced by their timestamps. The keys come late (a key log written after the packets,
 * a DSB sent after them over PCAPdroid's UDP exporter), up front (--keylog FILE) or never.
 */
import {createSocket} from 'node:dgram';
import {appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseSimCapture} from '../../source/sim/sim-pcap.js';
import {formatLogLine} from '../../source/sources/bundle-writer.js';
import {repoRoot} from '../helpers/corpus.js';
import {tattle} from '../helpers/cli.js';
import {needTool} from '../helpers/tools.js';
import {AdbHarness} from '../sim/adb-harness.js';
import {startLive as startLiveRun, useAdbHarness, terminate, until, type LiveEvent, type LiveRun} from '../helpers/live.js';
import {dsb} from '../sources/capture-builders.js';
import {epb, ipPackets, pcapngPreamble, uidMapBlock} from '../sources/pcapdroid-dumper.js';

const TLS = path.join(repoRoot, 'test', 'fixtures', 'tls');
const TLS13_PCAP = path.join(TLS, 'sa-tls13-h2.pcap');
const TLS13_KEYS = readFileSync(path.join(TLS, 'sa-tls13-h2.keys'), 'utf8');
const TLS12_PCAP = path.join(TLS, 'sa-tls12-h1.pcap');
const TLS12_KEYS_FILE = path.join(TLS, 'sa-tls12-h1.keys');

const BROWSER = 'com.mi.globalbrowser';
const BROWSER_UID = 10085;
const VISITED = 'example.org/private-page';
const SA_HOST = 'sa.api.intl.miui.com';
/** pcapng Decryption Secrets Block type for a TLS key log ('TLSK'). */
const SECRETS_TLS_KEY_LOG = 0x544c534b;

/** Longest wait for the paced capture (under 1 s of packets after 1.3 s of log) plus start-up. */
const FLOW_WAIT_MS = 15_000;
/** Longest wait from keys written (or sent) to the decrypted requests and the flag. */
const DECRYPT_WAIT_MS = 10_000;

type Event = LiveEvent;
type Run = LiveRun;
type Flag = {kind: string; host: string; ts: number; summary: string; evidence: {decrypted?: boolean; excerpt?: string; packets: number[]}};
type Report = {
	stats: {packets: number; logLines: number};
	flags: Flag[];
	tls: {read: number; noKeys: number; stopped: number; secretsBlocks: number; connectionsKeyed: number; keyLogLines: number; badKeyLogLines: number};
};

const runs: Run[] = [];
const startLive = (h: AdbHarness, args: string[]) => startLiveRun(h.env, args, runs);
const tmp = mkdtempSync(path.join(tmpdir(), 'tattle-live-tls-e2e-'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const of = (run: Run, type: string) => run.events.filter(({e}) => e.type === type).map(({e}) => e);
const tlsSnis = (run: Run) => new Set(of(run, 'tls').map((e) => String(e.sni)));
const logSays = (run: Run, re: RegExp) => of(run, 'log').some((e) => re.test(String(e.message)));
const leakFlag = (run: Run) => of(run, 'flag').find((e) => e.kind === 'incognito-url-leak') as (Event & Flag) | undefined;
const httpOf = (run: Run, method: string, host: string) => of(run, 'http').find((e) => e.method === method && e.host === host);
/** What the run printed, for failure messages. */
const story = (run: Run) =>
	`events: ${run.events.map(({e}) => (e.type === 'log' ? 'log' : `${e.type}${e.state ? `:${String(e.state)}` : ''}${e.sni ? `:${String(e.sni)}` : ''}`)).join(' ')}; stderr: ${run.stderr()}`;

const readReport = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Report;
const flagKeys = (flags: Array<{kind: string; host: string}>) => flags.map((f) => `${f.kind} ${f.host}`).sort();

/** Capture times (epoch s) of the first and last record of a classic pcap. */
function captureSpan(file: string): {first: number; last: number} {
	const recs = parseSimCapture(new Uint8Array(readFileSync(file))).records;
	return {first: recs[0]!.ts, last: recs.at(-1)!.ts};
}

/**
 * A logcat file in the live shape (`-v epoch,uid`, as tattle's own marker lines): the browser
 * comes to the front, is drawn, and is put in incognito by hand at `on`; incognito ends at `off`.
 */
function browserLog(on: number, off: number): string {
	return [
		formatLogLine(
			on - 0.3,
			'ActivityTaskManager',
			`START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${BROWSER}/com.android.browser.BrowserActivity} from uid 10063`,
		),
		formatLogLine(on - 0.2, 'ActivityTaskManager', `Displayed ${BROWSER}/com.android.browser.BrowserActivity: +300ms`),
		formatLogLine(on, 'tattle.marker', `incognito-on pkg=${BROWSER} marked by hand`),
		formatLogLine(off, 'tattle.marker', `incognito-off pkg=${BROWSER} marked by hand`),
	].join('');
}

/** A logcat file for a capture: incognito on 1 s before its first packet, off 1 s after its last. */
function logFor(pcap: string, name: string): string {
	const {first, last} = captureSpan(pcap);
	const file = path.join(tmp, `${name}.logcat.txt`);
	writeFileSync(file, browserLog(first - 1, last + 1));
	return file;
}

/** A UDP port nobody listens on right now. */
function freeUdpPort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createSocket('udp4');
		s.once('error', reject);
		s.bind(0, '127.0.0.1', () => {
			const {port} = s.address();
			s.close(() => resolve(port));
		});
	});
}

/** The checks every run that read the Sensors Analytics upload shares. */
function expectLeakRead(run: Run, alpn: string): void {
	const get = httpOf(run, 'GET', 'example.org');
	const post = httpOf(run, 'POST', SA_HOST);
	expect(get, story(run)).toMatchObject({path: '/private-page', tls: true, alpn});
	expect(post, story(run)).toMatchObject({tls: true, alpn, bodyBytes: 716});
	expect(String(post!.path)).toMatch(/^\/sa\?project=global_browser_mini/);
	const flag = leakFlag(run);
	expect(flag, story(run)).toMatchObject({host: SA_HOST, evidence: {decrypted: true}});
	expect(flag!.evidence.excerpt).toContain(VISITED);
	expect(flag!.evidence.excerpt).toContain('data_list');
	// The page itself was read (the GET), not just its host from the SNI: the flag names the URL.
	expect(flag!.summary.startsWith(`Incognito URL "${VISITED}" sent to ${SA_HOST}`), flag!.summary).toBe(true);
	// Both connections said how reading them went: decrypted.
	const reads = of(run, 'tls-read');
	for (const host of ['example.org', SA_HOST]) expect(reads.filter((e) => e.host === host).map((e) => e.state), story(run)).toContain('read');
	expect(reads.some((e) => e.state !== 'read'), story(run)).toBe(false);
}

describe.runIf(needTool('adb', 'adb'))('tattle live decrypts TLS from a simulated phone through the real adb server', () => {
	const h = useAdbHarness(runs, () => rmSync(tmp, {recursive: true, force: true}));

	it('TLS 1.3 + HTTP/2: a followed key log written after the packets decrypts them; the flag, the report and the recorded bundle agree', async () => {
		// rebase shifts the log and the capture by one offset: incognito stays 1 s ahead of the first packet.
		const {serial} = await h.addSim({logcatPath: logFor(TLS13_PCAP, 'tls13'), pcapPath: TLS13_PCAP, speed: 1, rebase: true});
		const keys = path.join(tmp, 'tls13-late.keys');
		const rec = path.join(tmp, 'rec13');
		const report = path.join(tmp, 'tls13.json');
		const run = startLive(h, ['--serial', serial, '--pcap', 'adb', '--json', '--keylog', `follow:${keys}`, '--record', rec, '--report', report]);

		// Packets first: both handshakes seen, and incognito over, before any key exists.
		const flowed = await until(() => tlsSnis(run).has('example.org') && tlsSnis(run).has(SA_HOST) && logSays(run, /incognito-off/), FLOW_WAIT_MS);
		expect(flowed, story(run)).toBe(true);
		await sleep(300);
		expect(of(run, 'http'), 'nothing can be read before the keys').toEqual([]);
		expect(leakFlag(run)).toBeUndefined();
		// Kept, not given up: the key log may still grow.
		expect(of(run, 'tls-read').filter((e) => e.state !== 'read'), story(run)).toEqual([]);

		// The keys arrive in two writes, the first ending mid-line (inside the first connection's last secret).
		const cut = TLS13_KEYS.indexOf('\n', TLS13_KEYS.length / 2 - 60) - 20;
		expect(TLS13_KEYS[cut - 1]).not.toBe('\n');
		const keysAt = Date.now() / 1000;
		writeFileSync(keys, TLS13_KEYS.slice(0, cut));
		await sleep(600); // more than the follower's poll: it reads the cut line on its own
		appendFileSync(keys, TLS13_KEYS.slice(cut));

		const read = await until(() => leakFlag(run) !== undefined && httpOf(run, 'GET', 'example.org') !== undefined && httpOf(run, 'POST', SA_HOST) !== undefined, DECRYPT_WAIT_MS);
		expect(read, story(run)).toBe(true);
		const lag = run.events.find(({e}) => e.type === 'flag' && e.kind === 'incognito-url-leak')!.at - keysAt;
		expect(lag, `flag ${lag.toFixed(2)} s after the first key write`).toBeLessThan(5);
		expect(await terminate(run)).toBe(0);
		expectLeakRead(run, 'h2');
		// The flag is dated by the upload's packets (inside the window), not by the late keys.
		const offAt = of(run, 'log').find((e) => /incognito-off/.test(String(e.message)))!.ts as number;
		expect(leakFlag(run)!.ts).toBeLessThan(offAt);

		const live = readReport(report);
		expect(live.tls.read).toBeGreaterThanOrEqual(2);
		expect(live.tls.noKeys).toBe(0);
		expect(live.tls.badKeyLogLines).toBe(0);
		const liveLeak = live.flags.find((f) => f.kind === 'incognito-url-leak');
		expect(liveLeak).toMatchObject({host: SA_HOST, evidence: {decrypted: true}});
		expect(liveLeak!.evidence.excerpt).toContain(VISITED);

		// The bundle keeps the key text tattle read, and replays to the same flags.
		expect(readFileSync(path.join(rec, 'keys.log'), 'utf8')).toBe(TLS13_KEYS);
		expect(JSON.parse(readFileSync(path.join(rec, 'meta.json'), 'utf8'))).toMatchObject({keys: 'keys.log', capture: 'capture.pcap'});
		const report2 = path.join(tmp, 'tls13-replay.json');
		const replay = await tattle(['replay', rec, '--report', report2]);
		expect(replay.code, replay.stderr).toBe(0);
		const back = readReport(report2);
		expect(flagKeys(back.flags)).toEqual(flagKeys(live.flags));
		expect(flagKeys(back.flags)).toContain(`incognito-url-leak ${SA_HOST}`);
		expect(back.tls.read).toBe(live.tls.read);
		expect(back.stats).toMatchObject({packets: live.stats.packets, logLines: live.stats.logLines});
	}, 60_000);

	it('TLS 1.2 + HTTP/1.1: a key log given up front decrypts as the packets come', async () => {
		const {serial} = await h.addSim({logcatPath: logFor(TLS12_PCAP, 'tls12'), pcapPath: TLS12_PCAP, speed: 1, rebase: true});
		const report = path.join(tmp, 'tls12.json');
		const rec = path.join(tmp, 'rec12');
		const run = startLive(h, ['--serial', serial, '--json', '--keylog', TLS12_KEYS_FILE, '--record', rec, '--report', report]);
		const read = await until(() => leakFlag(run) !== undefined && httpOf(run, 'GET', 'example.org') !== undefined, FLOW_WAIT_MS);
		expect(read, story(run)).toBe(true);
		// Keys known before the first packet: each request is printed as its packets arrive, not later.
		for (const {at, e} of run.events.filter(({e}) => e.type === 'http')) expect(at - (e.ts as number), `http ${String(e.host)} lag`).toBeLessThan(1);
		expect(await terminate(run)).toBe(0);
		expectLeakRead(run, 'http/1.1');
		const r = readReport(report);
		expect(r.tls.read).toBeGreaterThanOrEqual(2);
		expect(r.tls.noKeys).toBe(0);
		expect(readFileSync(path.join(rec, 'keys.log'), 'utf8')).toBe(readFileSync(TLS12_KEYS_FILE, 'utf8'));
	}, 45_000);

	it("PCAPdroid's UDP exporter in pcapng: a Decryption Secrets Block sent after the packets still decrypts them", async () => {
		// Logcat from the phone (incognito on at +0.3 s, off at +4 s of the rebased log); packets over UDP.
		const logFile = path.join(tmp, 'udp.logcat.txt');
		const base = 1_790_000_000;
		writeFileSync(logFile, browserLog(base + 0.3, base + 4));
		const {serial} = await h.addSim({logcatPath: logFile, speed: 1, rebase: true});
		const port = await freeUdpPort();
		const report = path.join(tmp, 'udp.json');
		const rec = path.join(tmp, 'recudp');
		const run = startLive(h, ['--serial', serial, '--pcap', `udp://127.0.0.1:${port}`, '--json', '--record', rec, '--report', report]);
		const ready = await until(
			() => of(run, 'source').some((e) => /listening on udp/.test(String(e.detail))) && logSays(run, /incognito-on/),
			FLOW_WAIT_MS,
		);
		expect(ready, story(run)).toBe(true);

		const sock = createSocket('udp4');
		const send = (b: Uint8Array) => new Promise<void>((resolve, reject) => sock.send(b, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
		try {
			// As PCAPdroid: SHB+IDB (LINKTYPE_RAW) in one datagram, the app's UID map, then one EPB per
			// datagram, stamped with the phone's clock (now) and paced as recorded.
			const packets = ipPackets(TLS13_PCAP);
			const t0 = packets[0]!.sec + packets[0]!.usec / 1e6;
			await send(pcapngPreamble());
			await send(uidMapBlock(BROWSER_UID, BROWSER, 'Mi Browser'));
			const startMs = Date.now() + 200;
			for (const p of packets) {
				const rel = p.sec + p.usec / 1e6 - t0;
				await sleep(Math.max(0, startMs + rel * 1000 - Date.now()));
				const us = Math.round(startMs * 1000 + rel * 1e6);
				await send(epb({sec: Math.floor(us / 1e6), usec: us % 1e6, data: p.data}, BROWSER_UID));
			}
			const flowed = await until(() => tlsSnis(run).has('example.org') && tlsSnis(run).has(SA_HOST), FLOW_WAIT_MS);
			expect(flowed, story(run)).toBe(true);
			// Keys only after the window closed, as a DSB (the case Wireshark cannot read).
			expect(await until(() => logSays(run, /incognito-off/), FLOW_WAIT_MS), story(run)).toBe(true);
			expect(of(run, 'http'), 'nothing can be read before the keys').toEqual([]);
			await send(dsb(true, SECRETS_TLS_KEY_LOG, new TextEncoder().encode(TLS13_KEYS)));
		} finally {
			sock.close();
		}
		const read = await until(() => leakFlag(run) !== undefined && httpOf(run, 'POST', SA_HOST) !== undefined, DECRYPT_WAIT_MS);
		expect(read, story(run)).toBe(true);
		expect(await terminate(run)).toBe(0);
		expectLeakRead(run, 'h2');
		// The UID map named the app of every packet.
		expect(leakFlag(run)!.app).toBe(BROWSER);
		expect(leakFlag(run)!.summary).toMatch(new RegExp(` by ${BROWSER}$`));
		const r = readReport(report);
		expect(r.stats.packets).toBe(ipPackets(TLS13_PCAP).length);
		expect(r.tls).toMatchObject({secretsBlocks: 1, noKeys: 0});
		expect(r.tls.read).toBeGreaterThanOrEqual(2);
		expect(flagKeys(r.flags)).toContain(`incognito-url-leak ${SA_HOST}`);
		// The recorded capture.pcapng keeps the DSB where it came: the bundle replays to the same reading.
		expect(JSON.parse(readFileSync(path.join(rec, 'meta.json'), 'utf8'))).toMatchObject({capture: 'capture.pcapng'});
		const report2 = path.join(tmp, 'udp-replay.json');
		const replay = await tattle(['replay', rec, '--report', report2]);
		expect(replay.code, replay.stderr).toBe(0);
		const back = readReport(report2);
		expect(flagKeys(back.flags)).toEqual(flagKeys(r.flags));
		expect(back.tls).toMatchObject({secretsBlocks: 1, read: r.tls.read, noKeys: 0});
	}, 45_000);

	it('a followed key log that never gets the keys: nothing read, and at exit each connection says no-keys', async () => {
		const {serial} = await h.addSim({logcatPath: logFor(TLS13_PCAP, 'nokeys'), pcapPath: TLS13_PCAP, speed: 1, rebase: true});
		const keys = path.join(tmp, 'empty.keys');
		writeFileSync(keys, '');
		const report = path.join(tmp, 'nokeys.json');
		const run = startLive(h, ['--serial', serial, '--json', '--keylog', `follow:${keys}`, '--report', report]);
		const flowed = await until(() => tlsSnis(run).has('example.org') && tlsSnis(run).has(SA_HOST) && logSays(run, /incognito-off/), FLOW_WAIT_MS);
		expect(flowed, story(run)).toBe(true);
		await sleep(500);
		// While the log is followed, keys may still come: no verdict yet.
		expect(of(run, 'tls-read'), story(run)).toEqual([]);
		expect(await terminate(run)).toBe(0);
		expect(of(run, 'http').filter((e) => e.tls === true)).toEqual([]);
		const reads = of(run, 'tls-read');
		for (const host of ['example.org', SA_HOST]) expect(reads.filter((e) => e.host === host).map((e) => e.state), story(run)).toEqual(['no-keys']);
		expect(leakFlag(run)).toBeUndefined();
		const r = readReport(report);
		expect(r.tls.noKeys).toBeGreaterThanOrEqual(1);
		expect(r.tls.read).toBe(0);
		expect(r.flags.filter((f) => f.evidence.decrypted)).toEqual([]);
	}, 45_000);

	it('incognito from the phone itself: a secure browser window in front (dumpsys window probe) sets the state the flag relies on', async () => {
		const {first} = captureSpan(TLS13_PCAP);
		// Only the browser coming to the front, 3 s before the packets: no marker, no notification.
		const log = path.join(tmp, 'window.logcat.txt');
		writeFileSync(
			log,
			[
				formatLogLine(first - 3, 'ActivityTaskManager', `START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${BROWSER}/com.android.browser.BrowserActivity} from uid 10063`),
				formatLogLine(first - 2.9, 'ActivityTaskManager', `Displayed ${BROWSER}/com.android.browser.BrowserActivity: +300ms`),
			].join(''),
		);
		const {serial, sim} = await h.addSim({logcatPath: log, pcapPath: TLS13_PCAP, speed: 1, rebase: true});
		sim.setFocusedWindow({pkg: BROWSER, activity: 'com.android.browser.BrowserActivity', secure: true});
		const report = path.join(tmp, 'window.json');
		const run = startLive(h, ['--serial', serial, '--pcap', 'adb', '--json', '--keylog', path.join(TLS, 'sa-tls13-h2.keys'), '--report', report]);
		const flagged = await until(() => leakFlag(run) !== undefined, FLOW_WAIT_MS);
		expect(flagged, story(run)).toBe(true);
		expect(logSays(run, new RegExp(`^incognito-on pkg=${BROWSER.replace(/\./g, '\\.')} source=secure-window`)), story(run)).toBe(true);
		// The window goes back to a normal one: the probe ends incognito.
		sim.setFocusedWindow({pkg: BROWSER, activity: 'com.android.browser.BrowserActivity', secure: false});
		expect(await until(() => logSays(run, /^incognito-off pkg=com\.mi\.globalbrowser source=secure-window/), 6000), story(run)).toBe(true);
		expect(await terminate(run)).toBe(0);
		const r = readReport(report);
		const leak = r.flags.find((f) => f.kind === 'incognito-url-leak') as (Flag & {evidence: {incognitoSignal?: string}}) | undefined;
		expect(leak?.evidence.incognitoSignal).toBe('secure-window');
	}, 45_000);
});

