import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {ndjsonRecord} from '../../source/report/ndjson.js';
import {Session} from '../../source/ingest/session.js';
import {MAX_DESTINATIONS} from '../../source/ingest/destination-table.js';
import {startFlushing, type Clock} from '../../source/ingest/flusher.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBrowserLogRules, loadBundledRules} from '../../source/app/rule-files.js';
import {createIpInfo} from '../../source/classify/geo.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {corpusPath, hasCorpus, repoRoot} from '../helpers/corpus.js';
import type {RawPacket} from '../../source/types.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});
/** The bundled browser log rules, read at the edge as the CLI does (a Session without them reads no incognito change from log lines). */
const browserLogRules = loadBrowserLogRules();

/** A DNS query for `name` over UDP/IPv4 in a raw-IP (link type 101) frame. */
function dnsQuery(name: string, index: number, ts: number, server = [8, 8, 8, 8]): RawPacket {
	const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
	const dns = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
	const udp = Buffer.alloc(8);
	udp.writeUInt16BE(40000, 0);
	udp.writeUInt16BE(53, 2);
	udp.writeUInt16BE(8 + dns.length, 4);
	const ip = Buffer.alloc(20);
	ip[0] = 0x45;
	ip.writeUInt16BE(20 + 8 + dns.length, 2);
	ip[8] = 64;
	ip[9] = 17;
	Buffer.from([10, 0, 0, 2]).copy(ip, 12);
	Buffer.from(server).copy(ip, 16);
	const data = Buffer.concat([ip, udp, dns]);
	return {ts, linkType: 101, data, origLen: data.length, iface: 0, index};
}

describe('Session', () => {
	it('makes a destination of every DNS question, even with no connection after it', () => {
		const s = new Session({classifier});
		s.addPacket(dnsQuery('sa.api.intl.miui.com', 1, 1000));
		const snap = s.snapshot();
		const d = snap.destinations.find((x) => x.host === 'sa.api.intl.miui.com');
		expect(d).toBeDefined();
		expect(d!.via).toEqual(['dns']);
		expect(d!.owner).toBe('Xiaomi');
		expect(d!.evidencePackets).toEqual([1]);
		expect(snap.stats.packets).toBe(1);
	});

	it('--json: a flow that leaves the flow table (quiet UDP) gives its last totals as it goes', () => {
		const events: Array<Record<string, unknown>> = [];
		const s = new Session({classifier, onEvent: (e) => events.push(ndjsonRecord(e))});
		s.addPacket(dnsQuery('first.example', 1, 1000, [8, 8, 8, 8]));
		s.addPacket(dnsQuery('second.example', 2, 1200, [9, 9, 9, 9]));
		const kinds = events.map((e) => `${e.type} ${e.type === 'flow' ? e.dst : (e.query ?? '')}`);
		expect(kinds).toContain('flow 8.8.8.8');
		expect(kinds.indexOf('flow 8.8.8.8')).toBeLessThan(kinds.indexOf('dns second.example'));
		expect(events.find((e) => e.type === 'flow' && e.dst === '8.8.8.8')).toMatchObject({packets: 1, host: '8.8.8.8', proto: 'udp'});
	});

	it('calls an address that never leaves the LAN local, not an unknown third party', () => {
		const s = new Session({classifier, ipInfo: createIpInfo()});
		s.addPacket(dnsQuery('no-rule-knows-this.example', 1, 1000, [192, 168, 1, 1]));
		s.addPacket(dnsQuery('no-rule-knows-this.example', 2, 1001, [203, 0, 114, 9]));
		const snap = s.snapshot();
		const category = (host: string) => snap.destinations.find((d) => d.host === host)?.category;
		expect(category('192.168.1.1')).toBe('local');
		expect(category('203.0.114.9')).toBe('unknown');
		expect(category('no-rule-knows-this.example')).toBe('unknown');
	});

	it('stays bounded under a flood of random names, counting what it evicts', () => {
		const s = new Session({classifier});
		const n = MAX_DESTINATIONS + 5000;
		for (let i = 0; i < n; i++) s.addPacket(dnsQuery(`h${i}.flood.example`, i + 1, 1000 + i / 1000));
		const snap = s.snapshot();
		expect(snap.destinations.length).toBeLessThanOrEqual(MAX_DESTINATIONS);
		expect(snap.stats.problems['destinations-evicted']).toBeGreaterThanOrEqual(5000);
		expect(snap.stats.packets).toBe(n);
		// The newest names survive; the oldest went first.
		expect(snap.destinations.some((d) => d.host === `h${n - 1}.flood.example`)).toBe(true);
		expect(snap.destinations.some((d) => d.host === 'h0.flood.example')).toBe(false);
	});

	it('keeps a destination still in use through a flood of names seen once (eviction passes over entries in use)', () => {
		const s = new Session({classifier});
		// More hosts in use than one eviction looks at, all created before the flood.
		const inUse = Array.from({length: 100}, (_, k) => `keep${k}.example`);
		inUse.forEach((h, k) => s.addPacket(dnsQuery(h, k + 1, 1000)));
		const n = MAX_DESTINATIONS + 5000;
		// A flood lasting ~10 minutes of capture time; the hosts in use are asked for every 30 s.
		for (let i = 0; i < n; i++) {
			const ts = 1000 + (i * 600) / n;
			s.addPacket(dnsQuery(`h${i}.flood.example`, i + 200, ts));
			if (i % Math.round(n / 20) === 0) for (const h of inUse) s.addPacket(dnsQuery(h, i + 200, ts));
		}
		const snap = s.snapshot();
		expect(snap.destinations.length).toBeLessThanOrEqual(MAX_DESTINATIONS);
		// Never evicted (an evicted host would come back on its next query, with a later firstTs).
		const since = new Map(snap.destinations.map((d) => [d.host, d.firstTs]));
		expect(inUse.filter((h) => since.get(h) !== 1000)).toEqual([]);
		expect(since.has('h0.flood.example')).toBe(false);
	});

	it('upload timeline: each row adds up to its destination\'s bytes out, through a flood that evicts destinations and hands their series on', () => {
		const s = new Session({classifier});
		const n = MAX_DESTINATIONS + 3000;
		// One query to each of n servers over 100 s; every 500th server is asked three times (the top senders).
		for (let i = 0; i < n; i++) {
			const server = [11, (i >> 16) & 255, (i >> 8) & 255, i & 255];
			for (let k = 0; k < (i % 500 === 0 ? 3 : 1); k++) s.addPacket(dnsQuery('x.example', i + 1, 1000 + i / 230 + k, server));
		}
		const snap = s.snapshot();
		expect(snap.stats.problems['destinations-evicted']).toBeGreaterThanOrEqual(3000);
		// Every packet is on a destination or in the evicted totals.
		const ev = snap.stats.evicted!;
		expect(ev.destinations).toBe(snap.stats.problems['destinations-evicted']);
		expect(snap.destinations.reduce((a, d) => a + d.packets, 0) + ev.packets).toBe(snap.stats.packets);
		expect(snap.destinations.reduce((a, d) => a + d.bytesOut, 0) + ev.bytesOut).toBe(snap.stats.bytes);
		const t = snap.uploads!;
		expect(t.rows).toHaveLength(40);
		expect(t.bucketSeconds * 96).toBeGreaterThanOrEqual(snap.stats.lastTs! - t.start);
		const out = new Map(snap.destinations.map((d) => [d.host, d.bytesOut]));
		for (const row of t.rows) expect(row.bytesOut.reduce((a, b) => a + b, 0), row.host).toBe(out.get(row.host));
		// The top senders are the ones asked three times, still held after the flood.
		expect(t.rows.slice(0, 5).every((r) => out.get(r.host) === 3 * out.get(t.rows.at(-1)!.host)!)).toBe(true);
	});

	it.runIf(hasCorpus)('names flows by SNI and moves their bytes from the address to the name', async () => {
		const s = new Session({classifier});
		for await (const batch of openCapture(corpusPath('pcap', 'zeek__tls__chrome-34-google.pcap'))) for (const p of batch) s.addPacket(p);
		s.finish();
		const snap = s.snapshot();
		const named = snap.destinations.filter((d) => d.via.includes('sni'));
		expect(named.length).toBeGreaterThan(0);
		const total = snap.destinations.reduce((a, d) => a + d.bytesIn + d.bytesOut, 0);
		expect(total).toBe(snap.stats.bytes);
		// The timeline's series moved with the bytes: each row adds up to its destination's bytes out.
		const out = new Map(snap.destinations.map((d) => [d.host, d.bytesOut]));
		expect(snap.uploads!.rows.length).toBeGreaterThan(0);
		for (const row of snap.uploads!.rows) expect(row.bytesOut.reduce((a, b) => a + b, 0), row.host).toBe(out.get(row.host));
	});

	it.runIf(hasCorpus)("the dashboard's snapshots (cached summaries) equal summaries built afresh, flush after flush, and reuse unchanged ones", async () => {
		const s = new Session({classifier, ipInfo: createIpInfo()});
		let n = 0;
		for await (const batch of openCapture(corpusPath('pcap', 'zeek__tls__chrome-34-google.pcap'))) {
			for (const p of batch) {
				s.addPacket(p);
				if (++n % 7 !== 0) continue;
				const screen = s.snapshot({screen: true});
				expect(screen.uploads).toBeUndefined();
				expect(screen.destinations).toEqual(s.snapshot().destinations);
			}
		}
		const a = s.snapshot({screen: true});
		const b = s.snapshot({screen: true});
		expect(b.destinations.length).toBeGreaterThan(0);
		for (const [i, d] of b.destinations.entries()) expect(d).toBe(a.destinations[i]);
	});
});

describe('Session: the dashboard\'s snapshot and its sparklines', () => {
	/** Seconds of sparkline series (rate-rings.ts RATE_SECONDS). */
	const SERIES = 30;

	it('keeps an idle sender\'s summary object while the clock moves its sparkline window; the look-up gives the moved series', () => {
		const s = new Session({classifier});
		s.addPacket(dnsQuery('idle.example', 1, 1000, [9, 9, 9, 9]));
		const idle = s.snapshot({screen: true}).destinations.find((d) => d.host === '9.9.9.9')!;
		expect(idle.bytesOut).toBeGreaterThan(0);
		for (let sec = 1; sec <= 5; sec++) {
			// Another host's packets move the session clock a second on.
			s.addPacket(dnsQuery(`busy${sec}.example`, 1 + sec, 1000 + sec));
			const snap = s.snapshot({screen: true});
			const rates = s.rates();
			expect(snap.destinations.find((d) => d.host === '9.9.9.9')).toBe(idle);
			expect(rates('9.9.9.9')).toEqual([...Array.from({length: SERIES - 1 - sec}, () => 0), idle.bytesOut, ...Array.from({length: sec}, () => 0)]);
			const busy = snap.destinations.find((d) => d.host === '8.8.8.8')!;
			expect(rates('8.8.8.8').slice(-sec).reduce((a, b) => a + b, 0)).toBe(busy.bytesOut);
		}
	});

	it('a look-up gives the series of its moment however often it is asked; a host not in the table has none', () => {
		const s = new Session({classifier});
		s.addPacket(dnsQuery('a.example', 1, 1000));
		const rates = s.rates();
		const before = rates('8.8.8.8');
		expect(before.at(-1)).toBeGreaterThan(0);
		s.addPacket(dnsQuery('b.example', 2, 1000.5));
		expect(rates('8.8.8.8')).toBe(before);
		expect(s.rates()('8.8.8.8').at(-1)).toBeGreaterThan(before.at(-1)!);
		expect(rates('nowhere.example')).toEqual([]);
	});
});

describe('Session: source status', () => {
	it('keeps an outage\'s retry count for the status line, one event per state change', () => {
		const events: Array<Record<string, unknown>> = [];
		const s = new Session({classifier, onEvent: (e) => events.push(ndjsonRecord(e))});
		s.setStatus({source: 'logcat', state: 'down', detail: 'stream ended', ts: 1, retry: 1});
		s.setStatus({source: 'logcat', state: 'down', detail: 'stream ended', ts: 2, retry: 2});
		s.setStatus({source: 'logcat', state: 'down', detail: 'stream ended', ts: 3, retry: 3});
		expect(events.filter((e) => e.type === 'source')).toHaveLength(1);
		expect(s.snapshot().sources[0]).toMatchObject({state: 'down', retry: 3, since: 1});
		s.setStatus({source: 'logcat', state: 'live', ts: 4});
		expect(s.snapshot().sources[0]!.retry).toBeUndefined();
	});
});

describe('Session: TLS keys', () => {
	const keyText = () => readFileSync(path.join(repoRoot, 'test/fixtures/tls/sa-tls13-h2.keys'), 'utf8');

	it('a DSB arriving while a followed key log has half a line read does not break that line', () => {
		const lines = keyText().split('\n');
		const first = lines.slice(0, 5).join('\n') + '\n';
		const second = lines.slice(5).join('\n');
		const s = new Session({classifier});
		s.addKeyLog(first.slice(0, -30));
		s.addSecrets(0x544c534b, new TextEncoder().encode(second));
		s.addKeyLog(first.slice(-30));
		s.addKeyLog('', true);
		expect(s.snapshot().tls).toMatchObject({keyLogLines: 8, badKeyLogLines: 0, secretsBlocks: 1, connectionsKeyed: 2});
	});

	it('no key source, no TLS summary; a pcapng (keys may come) gives one', () => {
		const s = new Session({classifier});
		expect(s.snapshot().tls).toBeUndefined();
		s.expectKeys();
		expect(s.snapshot().tls).toMatchObject({keyLogLines: 0, read: 0});
	});
});

describe('flusher', () => {
	it('applies snapshots on the injected clock only, however many events arrive', () => {
		let tick: (() => void) | undefined;
		const clock: Clock = {setInterval: (fn) => (tick = fn), clearInterval: () => (tick = undefined)};
		const s = new Session({classifier});
		const applied: number[] = [];
		const f = startFlushing(() => s.snapshot(), (snap) => applied.push(snap.stats.packets), {periodMs: 250, clock});
		for (let i = 0; i < 1000; i++) s.addPacket(dnsQuery(`a${i % 7}.example.com`, i + 1, 1000));
		expect(applied).toEqual([]);
		tick!();
		expect(applied).toEqual([1000]);
		f.stop();
		expect(tick).toBeUndefined();
	});
});

describe('Session: incognito from the phone itself', () => {
	const MI = 'com.mi.globalbrowser';
	// Threadtime lines in the -v year -v zone shape of captures/incognito-leak; the browser's own
	// lines (pid 12455) are shaped like Mi Browser's logging, not captured from a phone.
	const START = '2026-11-23 22:36:47.928 +0300  1520  1548 I ActivityManager: Start proc 12455:com.mi.globalbrowser/u0a85 for activity {com.mi.globalbrowser/com.android.browser.BrowserActivity}';
	const ENTER = '2026-11-23 22:36:50.597 +0300 12455 12455 I BrowserActivity: Entering incognito mode';
	const EXIT = '2026-11-23 22:37:02.138 +0300 12455 12455 I BrowserActivity: Exit incognito mode';
	const OTHER_APP = '2026-11-23 22:36:51.000 +0300  4410  4417 I Chat: Entering incognito mode';
	const T_ENTER = Date.UTC(2026, 10, 23, 19, 36, 50, 597) / 1000;

	it('a browser log line from its own pid changes the state like the probe does, and says so in NDJSON', () => {
		const events: Array<Record<string, unknown>> = [];
		const s = new Session({classifier, browserLogRules, onEvent: (e) => events.push(ndjsonRecord(e))});
		[START, ENTER, OTHER_APP].forEach((text, i) => s.addLogLine({text, index: i + 1}));
		let snap = s.snapshot();
		expect(snap.incognito).toEqual([MI]);
		expect(snap.incognitoSignals).toEqual({[MI]: 'log'});
		expect(s.incognito.intervalAt(MI, T_ENTER + 1)).toMatchObject({signal: 'log', logLine: 2, start: T_ENTER});
		expect(events.find((e) => e.index === 2)).toMatchObject({type: 'log', app: MI, kind: 'incognito-on', signal: 'log'});
		// A line from a pid that is not a browser's changes nothing and is not classified.
		expect(events.find((e) => e.index === 3)).not.toHaveProperty('kind');
		expect(snap.timeline.some((e) => e.index === 2 && e.kind === 'incognito-on')).toBe(true);
		s.addLogLine({text: EXIT, index: 4});
		snap = s.snapshot();
		expect(snap.incognito).toEqual([]);
		expect(snap.incognitoSignals).toEqual({});
	});

	it('applies the rules to the lines before a --from window too', () => {
		const s = new Session({classifier, browserLogRules});
		s.primeLogLine({text: START, index: 1});
		s.primeLogLine({text: ENTER, index: 2});
		expect(s.snapshot().incognito).toEqual([MI]);
		expect(s.stats.logLines).toBe(0);
	});

	it('a marker holds against the browser\'s own "off" until a marker ends it', () => {
		const s = new Session({classifier, browserLogRules});
		s.addLogLine({text: START, index: 1});
		s.addLogLine({text: '2026-11-23 22:36:50.000 +0300     0     0 I tattle.marker: incognito-on pkg=com.mi.globalbrowser marked by hand', index: 2});
		s.addLogLine({text: EXIT, index: 3});
		expect(s.snapshot().incognitoSignals).toEqual({[MI]: 'marker'});
		s.addLogLine({text: '2026-11-23 22:37:03.000 +0300     0     0 I tattle.marker: incognito-off pkg=com.mi.globalbrowser marked by hand', index: 4});
		expect(s.snapshot().incognito).toEqual([]);
	});

	it('the window probe\'s lines give the secure-window signal', () => {
		const s = new Session({classifier, browserLogRules});
		s.addLogLine({text: `${T_ENTER.toFixed(3).padStart(24)}     0     0     0 I tattle.probe: incognito-on pkg=${MI} source=secure-window`, index: 1});
		expect(s.snapshot().incognitoSignals).toEqual({[MI]: 'secure-window'});
		// The user's `i` on the browser in front ends it, whatever set it.
		s.addLogLine({text: '2026-11-23 22:36:52.000 +0300  1520  1532 I ActivityTaskManager: START u0 {act=android.intent.action.MAIN flg=0x10200000 cmp=com.mi.globalbrowser/com.android.browser.BrowserActivity} from uid 10085', index: 2});
		s.toggleIncognito();
		expect(s.snapshot().incognito).toEqual([]);
	});
});
