/**
 * Acceptance for the classification issue: a bundle where Chrome enters incognito, visits a page,
 * and the page's URL then leaves in a base64 POST, a URL-encoded GET and a gzip POST to analytics
 * hosts, plus a TLS connection to an ad host; then incognito ends and the same traffic repeats.
 * The bundle is built here, byte by byte (raw-IP pcap with real checksums, `-v epoch` logcat),
 * replayed through the real program, and the report's flags are checked packet by packet.
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {gzipSync} from 'node:zlib';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {tattle} from '../helpers/cli.js';
import {needTool} from '../helpers/tools.js';

/** 2026-01-01T00:00:00Z: any fixed time works; log and capture share this clock. */
const T0 = 1_767_225_600;
const PHONE = '10.0.0.2';
const RESOLVER = '10.0.0.1';
const CHROME = 'com.android.chrome';
const PAGE = 'http://news.example/story?id=42';
const LINKTYPE_RAW = 101;

const HOSTS: Record<string, string> = {
	'news.example': '198.51.100.10',
	'app-measurement.com': '198.51.100.20',
	'sa.api.intl.miui.com': '198.51.100.21',
	'tracking.miui.com': '198.51.100.22',
	'googleads.g.doubleclick.net': '198.51.100.23',
};

// ---- frame builders (checksums filled in, so tshark reads the capture cleanly) ----------------

function checksum(data: Uint8Array, initial = 0): number {
	let sum = initial;
	for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
	if (data.length % 2) sum += data[data.length - 1]! << 8;
	while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
	return ~sum & 0xffff;
}

const addr = (ip: string): number[] => ip.split('.').map(Number);

function ipv4(src: string, dst: string, proto: number, body: Uint8Array): Uint8Array {
	const h = new Uint8Array(20 + body.length);
	h.set([0x45, 0, (h.length >> 8) & 0xff, h.length & 0xff, 0, 1, 0x40, 0, 64, proto, 0, 0, ...addr(src), ...addr(dst)]);
	const c = checksum(h.subarray(0, 20));
	h[10] = c >> 8;
	h[11] = c & 0xff;
	h.set(body, 20);
	return h;
}

function pseudoSum(src: string, dst: string, proto: number, len: number): number {
	const p = Uint8Array.from([...addr(src), ...addr(dst), 0, proto, (len >> 8) & 0xff, len & 0xff]);
	return ~checksum(p) & 0xffff;
}

function tcpSegment(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Uint8Array): Uint8Array {
	const t = new Uint8Array(20 + payload.length);
	const v = new DataView(t.buffer);
	v.setUint16(0, sport);
	v.setUint16(2, dport);
	v.setUint32(4, seq >>> 0);
	v.setUint32(8, ack >>> 0);
	t[12] = 5 << 4;
	t[13] = flags;
	v.setUint16(14, 65535);
	t.set(payload, 20);
	v.setUint16(16, checksum(t, pseudoSum(src, dst, 6, t.length)));
	return ipv4(src, dst, 6, t);
}

function udpDatagram(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
	const u = new Uint8Array(8 + payload.length);
	const v = new DataView(u.buffer);
	v.setUint16(0, sport);
	v.setUint16(2, dport);
	v.setUint16(4, u.length);
	u.set(payload, 8);
	v.setUint16(6, checksum(u, pseudoSum(src, dst, 17, u.length)) || 0xffff);
	return ipv4(src, dst, 17, u);
}

function dnsName(name: string): number[] {
	const out: number[] = [];
	for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'ascii'));
	return [...out, 0];
}

function dnsMessage(id: number, name: string, answer?: string): Uint8Array {
	const q = [...dnsName(name), 0, 1, 0, 1];
	const head = [id >> 8, id & 0xff, answer ? 0x81 : 0x01, answer ? 0x80 : 0x00, 0, 1, 0, answer ? 1 : 0, 0, 0, 0, 0];
	const an = answer ? [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...addr(answer)] : [];
	return Uint8Array.from([...head, ...q, ...an]);
}

/** A TLS 1.2-framed ClientHello with SNI and ALPN h2, as a browser or SDK sends it. */
function clientHello(sni: string): Uint8Array {
	const name = [...Buffer.from(sni, 'ascii')];
	const sniExt = [0, 0, ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
	const alpnExt = [0, 16, ...u16(5), ...u16(3), 2, 0x68, 0x32];
	const exts = [...sniExt, ...alpnExt];
	const body = [3, 3, ...new Array<number>(32).fill(7), 0, ...u16(2), 0x13, 0x01, 1, 0, ...u16(exts.length), ...exts];
	const hs = [1, 0, ...u16(body.length), ...body];
	return Uint8Array.from([0x16, 3, 1, ...u16(hs.length), ...hs]);
}

function u16(n: number): number[] {
	return [(n >> 8) & 0xff, n & 0xff];
}

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

/** The capture being written: frames in order, each with its 1-based index. */
class Capture {
	readonly frames: Array<{ts: number; data: Uint8Array}> = [];
	private nextPort = 40000;
	private dnsId = 1;

	add(ts: number, data: Uint8Array): number {
		this.frames.push({ts, data});
		return this.frames.length;
	}

	resolve(ts: number, host: string): void {
		const port = this.nextPort++;
		const id = this.dnsId++;
		this.add(ts, udpDatagram(PHONE, RESOLVER, port, 53, dnsMessage(id, host)));
		this.add(ts + 0.01, udpDatagram(RESOLVER, PHONE, 53, port, dnsMessage(id, host, HOSTS[host]!)));
	}

	/** A TCP connection from the phone: handshake, then the given client segments; returns their frame indices. */
	connect(ts: number, host: string, dport: number, segments: Uint8Array[]): number[] {
		const server = HOSTS[host]!;
		const sport = this.nextPort++;
		let cseq = 1000;
		const sseq = 5000;
		this.add(ts, tcpSegment(PHONE, server, sport, dport, cseq, 0, SYN, new Uint8Array()));
		this.add(ts + 0.01, tcpSegment(server, PHONE, dport, sport, sseq, cseq + 1, SYN | ACK, new Uint8Array()));
		cseq++;
		this.add(ts + 0.02, tcpSegment(PHONE, server, sport, dport, cseq, sseq + 1, ACK, new Uint8Array()));
		const indices: number[] = [];
		let t = ts + 0.03;
		for (const seg of segments) {
			indices.push(this.add(t, tcpSegment(PHONE, server, sport, dport, cseq, sseq + 1, PSH_ACK, seg)));
			cseq += seg.length;
			t += 0.01;
		}
		this.add(t, tcpSegment(server, PHONE, dport, sport, sseq + 1, cseq, ACK, new Uint8Array()));
		return indices;
	}

	pcap(): Buffer {
		const head = Buffer.alloc(24);
		head.writeUInt32LE(0xa1b2c3d4, 0);
		head.writeUInt16LE(2, 4);
		head.writeUInt16LE(4, 6);
		head.writeUInt32LE(65535, 16);
		head.writeUInt32LE(LINKTYPE_RAW, 20);
		const parts = [head];
		for (const f of this.frames) {
			const rec = Buffer.alloc(16);
			const sec = Math.floor(f.ts);
			rec.writeUInt32LE(sec, 0);
			rec.writeUInt32LE(Math.round((f.ts - sec) * 1e6), 4);
			rec.writeUInt32LE(f.data.length, 8);
			rec.writeUInt32LE(f.data.length, 12);
			parts.push(rec, Buffer.from(f.data));
		}
		return Buffer.concat(parts);
	}
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** An HTTP request split into head and body segments (so the last segment is not the first). */
function request(method: string, host: string, pathAndQuery: string, headers: string[], body?: Uint8Array): Uint8Array[] {
	const lines = [`${method} ${pathAndQuery} HTTP/1.1`, `Host: ${host}`, 'User-Agent: Dalvik/2.1.0 (Linux; U; Android 14)', ...headers];
	if (body) lines.push(`Content-Length: ${body.length}`);
	const head = text(`${lines.join('\r\n')}\r\n\r\n`);
	return body ? [head, body] : [head];
}

/** The three uploads that carry the page's URL, each in a different encoding. */
function leakyUploads(): Array<{host: string; segments: Uint8Array[]; what: string; layer: string}> {
	const json = JSON.stringify({event: 'page_view', properties: {url: PAGE, $screen_name: 'BrowserActivity'}});
	return [
		{
			what: 'base64 POST',
			layer: 'base64',
			host: 'app-measurement.com',
			segments: request('POST', 'app-measurement.com', '/a', ['Content-Type: text/plain'], text(Buffer.from(json).toString('base64'))),
		},
		{
			what: 'URL-encoded GET',
			layer: 'query:u',
			host: 'sa.api.intl.miui.com',
			segments: request('GET', 'sa.api.intl.miui.com', `/sa?project=browser&u=${encodeURIComponent(PAGE)}`, []),
		},
		{
			what: 'gzip POST',
			layer: 'gzip',
			host: 'tracking.miui.com',
			segments: request('POST', 'tracking.miui.com', '/tracks', ['Content-Type: application/json', 'Content-Encoding: gzip'], new Uint8Array(gzipSync(json))),
		},
	];
}

type Expect = {what: string; host: string; packets: number[]; ts: number; layer?: string};
type Built = {dir: string; on: number; off: number; inWindow: Expect[]; afterWindow: Expect[]; trackerIn: Expect; trackerAfter: Expect; repeats: number[]; visit: number};

/** Writes the bundle (capture.pcap, logcat.txt, meta.json) and says where each request landed. */
function buildBundle(dir: string): Built {
	const cap = new Capture();
	const on = T0 + 1;
	const off = T0 + 10;
	const log = [
		`${(T0 + 0.0).toFixed(3)}  1520  1532 I ActivityTaskManager: START u0 {act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp=${CHROME}/com.google.android.apps.chrome.Main bnds=[48,1203][291,1510]} from uid 10063`,
		`${(T0 + 0.1).toFixed(3)}  1520  1548 I ActivityManager: Start proc 8800:${CHROME}/u0a50 for next-top-activity {${CHROME}/com.google.android.apps.chrome.Main}`,
		`${on.toFixed(3)}     0     0 I tattle.probe: incognito-on pkg=${CHROME}`,
		`${off.toFixed(3)}     0     0 I tattle.probe: incognito-off pkg=${CHROME}`,
	];
	// Before incognito: ordinary traffic that must not be flagged as incognito either.
	cap.resolve(T0 + 0.5, 'news.example');

	cap.resolve(T0 + 2, 'news.example');
	const [visit] = cap.connect(T0 + 2.1, 'news.example', 80, request('GET', 'news.example', '/story?id=42', ['Accept: text/html']));
	const burst = (start: number): {uploads: Expect[]; tracker: Expect; repeat: number[]} => {
		const uploads: Expect[] = [];
		let t = start;
		for (const u of leakyUploads()) {
			cap.resolve(t, u.host);
			const packets = cap.connect(t + 0.1, u.host, 80, u.segments);
			uploads.push({what: u.what, host: u.host, packets, ts: t + 0.1, layer: u.layer});
			t += 1;
		}
		cap.resolve(t, 'googleads.g.doubleclick.net');
		const packets = cap.connect(t + 0.1, 'googleads.g.doubleclick.net', 443, [clientHello('googleads.g.doubleclick.net')]);
		// The SDK reconnects a few seconds later: the same finding again, to be counted, not repeated.
		const again = cap.connect(t + 2, 'googleads.g.doubleclick.net', 443, [clientHello('googleads.g.doubleclick.net')]);
		return {uploads, tracker: {what: 'TLS', host: 'googleads.g.doubleclick.net', packets, ts: t + 0.1}, repeat: again};
	};
	const inside = burst(T0 + 3);
	const after = burst(T0 + 11);
	writeFileSync(path.join(dir, 'capture.pcap'), cap.pcap());
	writeFileSync(path.join(dir, 'logcat.txt'), log.join('\n') + '\n');
	writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({device: {model: 'Synthetic', manufacturer: 'Test', serial: 'incognito-window'}, clockOffset: 0, description: 'incognito window acceptance'}));
	return {dir, on, off, inWindow: inside.uploads, afterWindow: after.uploads, trackerIn: inside.tracker, trackerAfter: after.tracker, repeats: [...inside.repeat, ...after.repeat], visit: visit!};
}

type ReportFlag = {kind: string; severity: string; ts: number; host: string; summary: string; count?: number; evidence: {packets: number[]; logLines: number[]; excerpt?: string; payload?: string}};

describe('incognito window, replayed end to end', () => {
	let built: Built;
	let flags: ReportFlag[];
	let stderr: string;
	let code: number;

	beforeAll(async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'tattle-incognito-'));
		built = buildBundle(dir);
		const out = path.join(dir, 'out.json');
		const r = await tattle(['replay', dir, '--speed', 'max', '--report', out]);
		code = r.code;
		stderr = r.stderr;
		flags = code === 0 ? ((JSON.parse(readFileSync(out, 'utf8')) as {flags: ReportFlag[]}).flags ?? []) : [];
		if (process.env['TATTLE_DEBUG_FLAGS']) console.log(JSON.stringify(flags, null, 1));
	}, 60_000);

	afterAll(() => {
		if (built) rmSync(built.dir, {recursive: true, force: true});
	});

	it('replays without errors', () => {
		expect(stderr).toBe('');
		expect(code).toBe(0);
	});

	it('raises exactly one incognito-url-leak per in-window upload, on the packets that carried it', () => {
		const leaks = flags.filter((f) => f.kind === 'incognito-url-leak');
		expect(built.inWindow.length, 'uploads built inside the window').toBeGreaterThan(0);
		expect(leaks.map((f) => f.host).sort()).toEqual(built.inWindow.map((u) => u.host).sort());
		for (const u of built.inWindow) {
			const mine = leaks.filter((f) => f.host === u.host);
			expect(mine, u.what).toHaveLength(1);
			const f = mine[0]!;
			// Every segment of the request, ending with the frame of its last segment.
			expect(f.evidence.packets, u.what).toEqual(u.packets);
			expect(Math.max(...f.evidence.packets), u.what).toBe(u.packets[u.packets.length - 1]);
			expect(f.summary).toContain('news.example/story?id=42');
			// A query string is read as form fields (plain); base64 and gzip are decode layers.
			expect(f.evidence.payload, u.what).toBe(u.what === 'URL-encoded GET' ? 'plain' : 'decoded');
			expect(f.evidence.excerpt, u.what).toContain(u.layer);
			expect(f.evidence.logLines, 'the incognito-on log line is the evidence').toEqual([3]);
			expect(f.ts).toBeGreaterThan(built.on);
			expect(f.ts).toBeLessThan(built.off);
		}
	});

	it('raises incognito-tracker for the ad host contacted in the window, saying the payload is encrypted', () => {
		const trackers = flags.filter((f) => f.kind === 'incognito-tracker' && f.host === built.trackerIn.host);
		expect(trackers).toHaveLength(1);
		const n = built.trackerIn.packets.length;
		expect(trackers[0]!.evidence.packets.slice(0, n)).toEqual(built.trackerIn.packets);
		expect(trackers[0]!.evidence.payload).toBe('encrypted');
		// Its reconnection in the same window is folded into it with a count, not raised again,
		// and the repeat's packets join its evidence.
		expect(trackers[0]!.count).toBe(2);
		const more = trackers[0]!.evidence.packets.slice(n);
		expect(more.length).toBeGreaterThan(0);
		for (const p of more) expect(built.repeats).toContain(p);
		// The analytics uploads in the window are trackers too.
		for (const u of built.inWindow) expect(flags.some((f) => f.kind === 'incognito-tracker' && f.host === u.host && f.evidence.packets.join() === u.packets.join()), u.what).toBe(true);
	});

	it('flags nothing as incognito after incognito-off, though the URL still leaks', () => {
		const lateFrames = new Set([...built.afterWindow.flatMap((u) => u.packets), ...built.trackerAfter.packets, ...built.repeats]);
		// Raised late: the flag's own (first) packet is after incognito-off; folded repeats come later in the list.
		const late = flags.filter((f) => lateFrames.has(f.evidence.packets[0]!));
		expect(flags.some((f) => built.repeats.includes(f.evidence.packets[0]!)), 'a repeat raised a flag of its own').toBe(false);
		expect(late.length).toBeGreaterThan(0);
		for (const f of late) expect(f.kind.startsWith('incognito-'), `${f.kind} ${f.host} ${f.summary}`).toBe(false);
		const incognito = flags.filter((f) => f.kind.startsWith('incognito-'));
		expect(incognito.length).toBeGreaterThan(0);
		for (const f of incognito) expect(f.ts, `${f.kind} ${f.host}`).toBeLessThan(built.off);
		// The late uploads are still reported, without the incognito claim.
		expect(built.afterWindow.length, 'uploads built after the window').toBeGreaterThan(0);
		for (const u of built.afterWindow) expect(late.some((f) => f.kind === 'url-leak' && f.host === u.host), u.what).toBe(true);
	});

	it('does not flag the page visit itself', () => {
		expect(flags.some((f) => f.evidence.packets.includes(built.visit))).toBe(false);
	});
});

describe.runIf(needTool('tshark', 'tshark'))('the synthetic capture, read by tshark', () => {
	it('has each HTTP request on the frame we expect as its last segment, and valid checksums', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'tattle-incognito-tshark-'));
		try {
			const b = buildBundle(dir);
			const out = execFileSync('tshark', ['-r', path.join(dir, 'capture.pcap'), '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', 'http.request', '-T', 'fields', '-e', 'frame.number', '-e', 'http.host'], {encoding: 'utf8'});
			const rows = out.trim().split('\n').map((l) => l.split('\t'));
			const expected = [[b.visit, 'news.example'], ...[...b.inWindow, ...b.afterWindow].map((u) => [u.packets[u.packets.length - 1]!, u.host])].map(([n, h]) => [String(n), h]);
			expect(rows).toEqual(expected);
			const bad = execFileSync('tshark', ['-r', path.join(dir, 'capture.pcap'), '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-Y', 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || _ws.malformed'], {encoding: 'utf8'});
			expect(bad.trim()).toBe('');
		} finally {
			rmSync(dir, {recursive: true, force: true});
		}
	});
});
