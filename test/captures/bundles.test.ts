/**
 * The demo capture bundles in captures/ (built by scripts/make-captures/build.sh from real
 * traffic) run through the whole pipeline, as `tattle replay DIR --report` runs them: replay ->
 * session -> report. Each assertion is something a viewer of the bundle should find.
 */
import {copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {beforeAll, describe, expect, it} from 'vitest';
import {Session} from '../../source/ingest/session.js';
import {LogcatParser} from '../../source/decode/logcat.js';
import {loadClassifier} from '../../source/app/rule-files.js';
import {createIpInfo} from '../../source/classify/geo.js';
import {loadGeoData} from '../../source/sources/geo-data.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {ReplayControl, resolveReplayInput, runReplay} from '../../source/sources/replay-source.js';
import {buildReport, type Report} from '../../source/report/report.js';
import {formatLogLine} from '../../source/sources/bundle-writer.js';
import {probeMessage} from '../../source/decode/dumpsys.js';
import type {RawPacket} from '../../source/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundleDir = (name: string) => path.join(root, 'captures', name);

/** The bundles ship in the package: each must stay small. */
const MAX_BUNDLE_BYTES = 2 * 1024 * 1024;
/** LINKTYPE_LINUX_SLL2: what `tcpdump -i any` writes on current Linux and Android builds. */
const LINKTYPE_LINUX_SLL2 = 276;
const BROWSER = 'com.mi.globalbrowser';
const VISITED_URL = 'http://example.org/private-page';

/** Replays a bundle headlessly, wired as cli.tsx wires `tattle replay DIR --speed max --report`. */
async function replayBundle(dir: string): Promise<Report> {
	const input = resolveReplayInput(dir, undefined);
	const classifier = loadClassifier({});
	if (!classifier.ok) throw new Error(classifier.error);
	const session = new Session({classifier: classifier.value.rules, browserLogRules: classifier.value.browserLogRules, logYear: input.meta?.logYear, logZone: input.meta?.logZone});
	if (input.meta?.device) session.device = input.meta.device;
	session.setIpInfo(createIpInfo(await loadGeoData({cacheDir: path.join(tmpdir(), 'tattle-geo-test-cache')})));
	const timeParser = new LogcatParser({year: input.meta?.logYear, zone: input.meta?.logZone});
	await runReplay(
		input,
		{onPacket: (p) => session.addPacket(p), onLogLine: (l) => session.addLogLine(l)},
		{control: new ReplayControl('max'), timeOf: (l) => timeParser.timeOf(l.text)},
	);
	session.finish();
	return buildReport(session.snapshot(), {version: 'test', input: {path: dir}});
}

/** Packets of a capture by their 1-based index (as evidence and Wireshark number them). */
async function packetsByIndex(file: string, wanted: number[]): Promise<Map<number, RawPacket>> {
	const out = new Map<number, RawPacket>();
	for await (const batch of openCapture(file)) {
		for (const p of batch) if (wanted.includes(p.index)) out.set(p.index, {...p, data: Uint8Array.from(p.data)});
	}
	return out;
}

/** Epoch time of the first logcat line of a bundle containing `needle`, and its 1-based index. */
function logLineTime(dir: string, needle: string): {ts: number; index: number} {
	const parser = new LogcatParser({});
	const lines = readFileSync(path.join(dir, 'logcat.txt'), 'utf8').split('\n');
	const i = lines.findIndex((l) => l.includes(needle));
	expect(i, `no logcat line with ${needle}`).toBeGreaterThanOrEqual(0);
	const ts = parser.timeOf(lines[i]!);
	expect(ts).toBeDefined();
	return {ts: ts!, index: i + 1};
}

describe.each(['incognito-leak', 'normal-browsing', 'ordinary-day'])('bundle %s: files', (name) => {
	const dir = bundleDir(name);

	it('has a capture, a logcat, meta.json and a README, under 2 MB in all', () => {
		const files = readdirSync(dir).sort();
		expect(files).toEqual(['README.md', 'capture.pcap', 'logcat.txt', 'meta.json']);
		const total = files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
		expect(total).toBeLessThan(MAX_BUNDLE_BYTES);
		expect(readFileSync(path.join(dir, 'README.md'), 'utf8').split('\n')[0]!.length).toBeGreaterThan(40);
	});

	it('meta.json describes the device and how each stream was recorded', () => {
		const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8'));
		expect(meta.device).toMatchObject({manufacturer: 'Xiaomi', model: 'Redmi Note 8', timeZone: 'Europe/Moscow'});
		expect(typeof meta.device.serial).toBe('string');
		expect(typeof meta.device.android).toBe('string');
		expect(meta.clockOffset).toBe(0);
		expect(typeof meta.streams.pcap).toBe('string');
		expect(typeof meta.streams.logcat).toBe('string');
		expect(meta.description.length).toBeGreaterThan(20);
	});

	it('the capture is a classic pcap in LINUX_SLL2, as Android tcpdump -i any writes it', () => {
		const head = readFileSync(path.join(dir, 'capture.pcap')).subarray(0, 24);
		expect(head.readUInt32LE(0)).toBe(0xa1b2c3d4);
		expect(head.readUInt32LE(20)).toBe(LINKTYPE_LINUX_SLL2);
	});

	it('every logcat line parses, with an absolute time inside the capture window', async () => {
		const parser = new LogcatParser({});
		const lines = readFileSync(path.join(dir, 'logcat.txt'), 'utf8').split('\n').filter(Boolean);
		const records = lines.flatMap((text, i) => parser.push({text, index: i + 1}));
		const timed = records.filter((r) => r.buffer === undefined);
		expect(records.filter((r) => r.raw)).toEqual([]);
		expect(timed.length).toBeGreaterThan(50);
		const report = await replayBundle(dir);
		for (const r of timed) {
			expect(r.ts).toBeGreaterThanOrEqual(report.stats.firstTs! - 2);
			expect(r.ts).toBeLessThanOrEqual(report.stats.lastTs! + 2);
		}
	});
});

describe('bundle incognito-leak: what the pipeline finds', () => {
	const dir = bundleDir('incognito-leak');
	let report: Report;
	beforeAll(async () => {
		report = await replayBundle(dir);
	});
	const dest = (host: string) => report.destinations.find((d) => d.host === host);

	it('reads every packet and log line without damage', () => {
		expect(report.stats.packets).toBeGreaterThan(200);
		expect(report.stats.packets).toBeLessThan(1000);
		expect(report.stats.malformed).toBe(0);
		expect(report.stats.logLines).toBe(readFileSync(path.join(dir, 'logcat.txt'), 'utf8').split('\n').filter(Boolean).length);
	});

	it('sa.api.intl.miui.com is Xiaomi browsing-data on Alibaba in Singapore, named by DNS and HTTP', () => {
		expect(dest('sa.api.intl.miui.com')).toMatchObject({owner: 'Xiaomi', category: 'browsing-data', country: 'SG', asn: 45102});
		expect(dest('sa.api.intl.miui.com')!.via).toEqual(expect.arrayContaining(['dns', 'http']));
	});

	it('the MiPush fallback 161.117.97.14 is a long-lived TLS channel on Alibaba Singapore', () => {
		const push = dest('161.117.97.14');
		expect(push).toMatchObject({owner: 'Xiaomi', category: 'push', country: 'SG', asn: 45102});
		expect(push!.lastTs - push!.firstTs).toBeGreaterThan(10);
	});

	it('finds the other destinations with their owners: MiStat, OneTrack, Google, Facebook, QUIC', () => {
		expect(dest('data.mistat.intl.xiaomi.com')).toMatchObject({owner: 'Xiaomi', category: 'analytics', country: 'RU'});
		expect(dest('tracking.intl.miui.com')).toMatchObject({owner: 'Xiaomi', category: 'analytics', country: 'SG'});
		expect(dest('app-measurement.com')).toMatchObject({owner: 'Google', category: 'analytics', asn: 15169});
		expect(dest('graph.facebook.com')).toMatchObject({category: 'analytics', asn: 32934});
		expect(dest('graph.facebook.com')!.via).toContain('sni');
		expect(dest('www.google.com')!.via).toContain('quic');
		expect(dest('example.org')!.via).toContain('http');
	});

	it('raises incognito-url-leak for the Sensors Analytics upload, naming the visited URL, with the upload packet as evidence', async () => {
		const leak = report.flags.find((f) => f.kind === 'incognito-url-leak' && f.host === 'sa.api.intl.miui.com' && f.summary.includes('example.org/private-page'));
		expect(leak, JSON.stringify(report.flags.map((f) => f.summary))).toBeDefined();
		expect(leak!.severity).toBe('high');
		expect(leak!.evidence.payload).toBe('decoded');
		expect(leak!.evidence.excerpt).toContain(VISITED_URL);
		expect(leak!.evidence.excerpt).toMatch(/data_list > base64 > gzip/);
		const [first] = leak!.evidence.packets;
		expect(first).toBeDefined();
		const packets = await packetsByIndex(path.join(dir, 'capture.pcap'), [first!]);
		const text = Buffer.from(packets.get(first!)!.data).toString('latin1');
		expect(text).toContain('POST /sa?project=global_browser_mini');
		expect(text).toContain('Host: sa.api.intl.miui.com');
		expect(text).toContain('gzip=1&data_list=');
	});

	it('raises incognito-url-leak for the MiStat upload after decrypting stat_value', () => {
		const leak = report.flags.find((f) => f.kind === 'incognito-url-leak' && f.host === 'data.mistat.intl.xiaomi.com');
		expect(leak).toBeDefined();
		expect(leak!.evidence.excerpt).toMatch(/stat_value > hex > aes-128-ecb/);
		expect(leak!.evidence.excerpt).toContain(VISITED_URL);
	});

	it('raises incognito-tracker flags for encrypted uploads, saying only timing and size are known', () => {
		const trackers = report.flags.filter((f) => f.kind === 'incognito-tracker');
		const hosts = trackers.map((f) => f.host);
		expect(hosts).toEqual(expect.arrayContaining(['app-measurement.com', 'graph.facebook.com', 'tracking.intl.miui.com']));
		const fb = trackers.find((f) => f.host === 'graph.facebook.com')!;
		expect(fb.evidence.payload).toBe('encrypted');
		expect(fb.summary).toContain(BROWSER);
	});

	it('raises incognito flags only after the incognito-on probe line and before incognito-off', () => {
		const on = logLineTime(dir, `incognito-on pkg=${BROWSER}`);
		const off = logLineTime(dir, `incognito-off pkg=${BROWSER}`);
		const incognito = report.flags.filter((f) => f.kind.startsWith('incognito-'));
		expect(incognito.length).toBeGreaterThanOrEqual(5);
		for (const f of incognito) {
			expect(f.ts).toBeGreaterThan(on.ts);
			expect(f.ts).toBeLessThan(off.ts);
		}
		// The browser's own uploads before incognito (app start) must not be flagged.
		const firstMeasurement = dest('app-measurement.com')!.firstTs;
		expect(firstMeasurement).toBeLessThan(on.ts);
	});

	it('carries only lines tattle itself would record live: its probe lines in its own shape and words', () => {
		const lines = readFileSync(path.join(dir, 'logcat.txt'), 'utf8').split('\n');
		const own = lines.filter((l) => /\btattle\.(?:probe|marker):/.test(l));
		expect(own).toHaveLength(2);
		const parser = new LogcatParser({});
		for (const line of own) {
			const rec = parser.push({text: line, index: 1})[0]!;
			// What sources/adb-live.ts writes for a message of the window probe (classify/incognito-probe.ts).
			const kind = rec.message.startsWith('incognito-on') ? 'incognito-on' : 'incognito-off';
			expect(`${line}\n`).toBe(formatLogLine(rec.ts!, 'tattle.probe', probeMessage(kind, BROWSER, 'secure-window')));
		}
	});

	it('says the secure-window probe set the state its incognito flags relied on', () => {
		const incognito = report.flags.filter((f) => f.kind.startsWith('incognito-'));
		expect(incognito.length).toBeGreaterThan(0);
		for (const f of incognito) expect(f.evidence.incognitoSignal, f.summary).toBe('secure-window');
	});

	it('ties the datatransport upload line to the browser process', () => {
		expect(dest('firebaselogging-pa.googleapis.com')!.apps).toContain(BROWSER);
	});
});

describe('incognito-leak with the browser\'s own enter/exit lines instead of the probe', () => {
	// The bundle, its two probe lines replaced by lines from Mi Browser's own pid (12455) that say
	// it entered and left incognito (shaped like its logging, not captured), with no probe or marker.
	const ENTER = '2026-11-23 22:36:50.597 +0300 12455 12455 I BrowserActivity: Entering incognito mode';
	const EXIT = '2026-11-23 22:37:02.138 +0300 12455 12455 I BrowserActivity: Exit incognito mode';
	let dir = '';
	let report: Report;
	beforeAll(async () => {
		const src = bundleDir('incognito-leak');
		dir = mkdtempSync(path.join(tmpdir(), 'tattle-own-lines-'));
		for (const f of ['capture.pcap', 'meta.json']) copyFileSync(path.join(src, f), path.join(dir, f));
		const lines = readFileSync(path.join(src, 'logcat.txt'), 'utf8')
			.split('\n')
			.map((l) => (l.includes('tattle.probe: incognito-on') ? ENTER : l.includes('tattle.probe: incognito-off') ? EXIT : l));
		expect(lines.filter((l) => /tattle\.(?:probe|marker)/.test(l))).toEqual([]);
		writeFileSync(path.join(dir, 'logcat.txt'), lines.join('\n'));
		report = await replayBundle(dir);
		return () => rmSync(dir, {recursive: true, force: true});
	});

	it('raises incognito-url-leak for leaks inside the window, naming the browser\'s line, and nothing incognito after it', () => {
		const on = logLineTime(dir, 'Entering incognito mode');
		const off = logLineTime(dir, 'Exit incognito mode');
		const leak = report.flags.find((f) => f.kind === 'incognito-url-leak' && f.host === 'sa.api.intl.miui.com' && f.summary.includes('example.org/private-page'));
		expect(leak, JSON.stringify(report.flags.map((f) => f.summary))).toBeDefined();
		expect(leak!.evidence.logLines).toContain(on.index);
		expect(leak!.evidence.incognitoSignal).toBe('log');
		const incognito = report.flags.filter((f) => f.kind.startsWith('incognito-'));
		expect(incognito.length).toBeGreaterThanOrEqual(5);
		for (const f of incognito) {
			expect(f.ts).toBeGreaterThan(on.ts);
			expect(f.ts).toBeLessThan(off.ts);
		}
	});
});

describe('bundle ordinary-day: what the pipeline finds', () => {
	let report: Report;
	beforeAll(async () => {
		report = await replayBundle(bundleDir('ordinary-day'));
	});
	const dest = (host: string) => report.destinations.find((d) => d.host === host);

	it('sees the background telemetry: push, Google services, weather, update check, MiStat and OneTrack', () => {
		for (const host of ['161.117.97.14', 'mtalk.google.com', 'android.googleapis.com', 'weatherapi.market.xiaomi.com', 'update.intl.miui.com', 'data.mistat.intl.xiaomi.com', 'tracking.intl.miui.com', 'play.googleapis.com']) {
			expect(dest(host), host).toBeDefined();
			expect(dest(host)!.packets, host).toBeGreaterThan(5);
		}
		expect(dest('update.intl.miui.com')).toMatchObject({owner: 'Xiaomi', category: 'update'});
		expect(dest('161.117.97.14')).toMatchObject({category: 'push', country: 'SG', asn: 45102});
	});

	it('raises no incognito flag and no URL leak', () => {
		expect(report.flags.filter((f) => f.kind.startsWith('incognito-') || f.kind.endsWith('url-leak'))).toEqual([]);
	});
});

describe('captures/incognito-https (through the CLI, keys from the pcapng DSB)', () => {
	it('reads the Sensors Analytics upload inside TLS 1.3 + HTTP/2 and raises incognito-url-leak with the decoded URL', async () => {
		const {tattle} = await import('../helpers/cli.js');
		const out = path.join(tmpdir(), `tattle-https-bundle-${process.pid}.json`);
		const r = await tattle(['replay', bundleDir('incognito-https'), '--report', out]);
		expect(r.stderr).toBe('');
		expect(r.code).toBe(0);
		const rep = JSON.parse(readFileSync(out, 'utf8')) as Report;
		const leak = rep.flags.find((f) => f.kind === 'incognito-url-leak');
		expect(leak).toMatchObject({host: 'sa.api.intl.miui.com', evidence: {decrypted: true, payload: 'decoded'}});
		expect(leak!.evidence.excerpt).toContain('https://example.org/private-page');
		// The incognito window comes from the marker line the `i` key writes.
		expect(leak!.evidence.logLines).toEqual([4]);
		expect(rep.tls).toMatchObject({read: 2, noKeys: 0, secretsBlocks: 1});
		const sa = rep.destinations.find((d) => d.host === 'sa.api.intl.miui.com')!;
		expect(sa).toMatchObject({payload: 'read', country: 'SG', tls: {connections: 1, read: 1}});
		expect(statSync(bundleDir('incognito-https')).isDirectory()).toBe(true);
	});
});
