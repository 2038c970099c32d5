import {createSocket} from 'node:dgram';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {createBundleWriter} from '../../source/sources/bundle-writer.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {createServer as createHttpServer, type Server as HttpServer} from 'node:http';
import {connect, createServer, type AddressInfo, type Server, type Socket} from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';
import {afterEach, describe, expect, it} from 'vitest';
import {attachAppMetadata, addCustomBlock, newAppMetadataContext} from '../../source/decode/pcapdroid-metadata.js';
import {openNetCapture, parseNetSpec, isNetSpec, type NetCaptureStream, type NetSourceState} from '../../source/sources/net-source.js';
import type {RawPacket} from '../../source/types.js';
import {corpusPath, hasCorpus} from '../helpers/corpus.js';
import {concat} from './capture-builders.js';
import {epb, ipPackets, pcapdroidRecord, pcapHeader, pcapngPreamble, uidMapBlock} from './pcapdroid-dumper.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/sources/${name}`, import.meta.url)));
const PCAP = fixture('loopback-http-nano.pcap');
const PCAP_PACKETS = 24;
const PCAPNG_PACKETS = 12;
/** Generous for a loaded 2-core machine; tests end as soon as the packets are in. */
const WAIT_MS = 10_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0)) await c();
});

type Opened = {stream: NetCaptureStream; states: Array<[NetSourceState, string]>};

function open(spec: string, extra: Parameters<typeof openNetCapture>[1] = {}): Opened {
	const states: Array<[NetSourceState, string]> = [];
	const stream = openNetCapture(spec, {reconnectMinMs: 30, reconnectMaxMs: 60, onStatus: (s, d) => states.push([s, d]), ...extra});
	cleanups.push(() => stream.close());
	return {stream, states};
}

/** Reads until `n` packets arrived (copied), then stops the stream; times out by closing it. */
async function collect(stream: NetCaptureStream, n: number): Promise<RawPacket[]> {
	const out: RawPacket[] = [];
	const timer = setTimeout(() => stream.close(), WAIT_MS);
	try {
		for await (const batch of stream) {
			for (const p of batch) out.push({...p, data: new Uint8Array(p.data)});
			if (out.length >= n) break;
		}
	} finally {
		clearTimeout(timer);
	}
	return out;
}

async function until(cond: () => boolean, what: string): Promise<void> {
	const end = Date.now() + WAIT_MS;
	while (!cond()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await sleep(5);
	}
}

/** Splits bytes into uneven chunks so records straddle writes. */
function chunks(b: Uint8Array, size: number): Uint8Array[] {
	const out: Uint8Array[] = [];
	for (let at = 0, k = 0; at < b.length; k++) {
		const n = size + ((k * 37) % size);
		out.push(b.subarray(at, at + n));
		at += n;
	}
	return out;
}

function listenServer(server: Server | HttpServer): Promise<number> {
	return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('source specs', () => {
	it.each([
		['udp://0.0.0.0:5123', {kind: 'udp', host: '0.0.0.0', port: 5123}],
		['tcp-listen://127.0.0.1:1234', {kind: 'tcp-listen', host: '127.0.0.1', port: 1234}],
		['tcp://[::1]:1234', {kind: 'tcp', host: '::1', port: 1234}],
		['http://127.0.0.1:8080/', {kind: 'http', host: '127.0.0.1', port: 8080, url: 'http://127.0.0.1:8080/'}],
		['http://phone:8080/x.pcap', {kind: 'http', host: 'phone', port: 8080, url: 'http://phone:8080/x.pcap'}],
	])('%s', (spec, want) => {
		expect(isNetSpec(spec)).toBe(true);
		expect(parseNetSpec(spec)).toEqual(want);
	});

	it.each(['udp://host', 'udp://:5', 'tcp://h:99999', 'tcp://h:5/path', 'udp://u:p@h:5', 'ftp://h:5', 'capture.pcap', '-'])('%s is refused', (spec) => {
		expect(parseNetSpec(spec)).toBeUndefined();
		if (!isNetSpec(spec)) return;
		expect(() => openNetCapture(spec)).toThrow(/not a network capture source/);
	});
});

describe.runIf(hasCorpus)('udp:// (PCAPdroid UDP exporter)', () => {
	const ips = () => ipPackets(corpusPath('pcap', 'pcapdroid__metadata.pcap'));

	/** Sends datagrams paced by the receiver, so a burst cannot overflow the loopback socket buffer. */
	async function send(port: number, stream: NetCaptureStream, datagrams: Uint8Array[]): Promise<void> {
		const sock = createSocket('udp4');
		cleanups.push(() => sock.close());
		for (let i = 0; i < datagrams.length; i++) {
			await new Promise<void>((resolve, reject) => sock.send(datagrams[i]!, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
			if (i % 16 === 15) await until(() => stream.stats.datagrams >= i + 1, `datagram ${i + 1}`);
		}
	}

	it('late join with a lost datagram and a damaged one: the rest, numbered 1..n, with their apps', async () => {
		const p = ips();
		const {stream, states} = open('udp://127.0.0.1:0');
		const {port} = await stream.listening;
		const lost = 40;
		const records = p.map((x, i) => pcapdroidRecord(x, 10_000 + (i % 2), i % 2 ? 'Chrome' : 'Firefox'));
		// Joined late: no pcap header. Datagram `lost` never arrives; one arrives cut short.
		const datagrams = records.filter((_, i) => i !== lost);
		datagrams.splice(100, 0, records[100]!.subarray(0, 30));
		const got = collect(stream, p.length - 1);
		await send(port, stream, datagrams);
		const packets = await got;
		expect(packets.map((x) => x.index)).toEqual(Array.from({length: p.length - 1}, (_, i) => i + 1));
		expect(stream.stats).toMatchObject({datagrams: p.length, synthesized: 1, malformed: 1, segments: 1});
		const ctx = newAppMetadataContext();
		const apps = packets.map((x) => attachAppMetadata(x, ctx).app?.package);
		expect(apps.filter((a) => a === 'Firefox').length + apps.filter((a) => a === 'Chrome').length).toBe(p.length - 1);
		// The packet after the gap is the one after the lost record.
		expect(Buffer.from(packets[lost]!.data).equals(Buffer.from(p[lost + 1]!.data))).toBe(true);
		expect(states.map((s) => s[0])).toContain('live');
		expect(stream.error?.message).toMatch(/datagram/);
	});

	it('pcapng with a lost UID map: counted as dropped; a restart continues the numbering', async () => {
		const p = ips().slice(0, 20);
		const uidMaps: Array<[number, number, string]> = [];
		const {stream} = open('udp://127.0.0.1:0', {onCustomBlock: (pen, data) => uidMaps.push([pen, data.length, 'seen'])});
		const {port} = await stream.listening;
		const first = [pcapngPreamble(), uidMapBlock(10123, 'org.mozilla.firefox', 'Firefox'), ...p.slice(0, 10).map((x) => epb(x, 10123)), /* map of 10087 lost */ epb(p[10]!, 10087)];
		const second = [pcapngPreamble(), uidMapBlock(10087, 'com.android.chrome', 'Chrome'), ...p.slice(11).map((x) => epb(x, 10087))];
		const got = collect(stream, 20);
		await send(port, stream, [...first, ...second]);
		const packets = await got;
		expect(packets.map((x) => x.index)).toEqual(Array.from({length: 20}, (_, i) => i + 1));
		expect(stream.stats).toMatchObject({dropped: 1, segments: 2, malformed: 0});
		expect(uidMaps.length).toBe(2);
	});
});

describe('tcp-listen:// (PCAPdroid TCP exporter connects to us)', () => {
	function dial(port: number): Promise<Socket> {
		return new Promise((resolve, reject) => {
			const s = connect(port, '127.0.0.1', () => resolve(s));
			s.on('error', reject);
			cleanups.push(() => s.destroy());
		});
	}

	async function write(s: Socket, bytes: Uint8Array, size = 97): Promise<void> {
		for (const c of chunks(bytes, size)) await new Promise<void>((resolve) => s.write(c, () => resolve()));
	}

	it('one capture per connection; a reconnect brings a new preamble, numbering goes on', async () => {
		const {stream, states} = open('tcp-listen://127.0.0.1:0');
		const {port} = await stream.listening;
		const got = collect(stream, PCAP_PACKETS + PCAPNG_PACKETS);
		const a = await dial(port);
		await write(a, PCAP);
		a.end();
		await until(() => stream.packets === PCAP_PACKETS && stream.state === 'stalled', 'first capture');
		const b = await dial(port);
		await write(b, fixture('loopback-http.pcapng'), 61);
		const packets = await got;
		expect(packets.map((x) => x.index)).toEqual(Array.from({length: PCAP_PACKETS + PCAPNG_PACKETS}, (_, i) => i + 1));
		expect(stream.stats).toMatchObject({connections: 2, segments: 2});
		expect(stream.format).toBe('pcapng');
		expect(stream.error).toBeUndefined();
		const seq = states.map((s) => s[0]);
		expect(seq.indexOf('stalled')).toBeGreaterThan(seq.indexOf('live'));
		expect(seq.lastIndexOf('live')).toBeGreaterThan(seq.indexOf('stalled'));
	});

	it('a new connection replaces one that is still open', async () => {
		const {stream} = open('tcp-listen://127.0.0.1:0');
		const {port} = await stream.listening;
		const got = collect(stream, 5 + PCAP_PACKETS);
		const a = await dial(port);
		// Header and a few records, then PCAPdroid "restarts" without closing.
		const cut = PCAP.length - 1500;
		await write(a, PCAP.subarray(0, cut));
		await until(() => stream.packets > 0, 'first records');
		const before = stream.packets;
		const closed = new Promise((resolve) => a.on('close', resolve));
		const b = await dial(port);
		await closed;
		await write(b, PCAP);
		const packets = await got;
		expect(packets.slice(before).map((x) => x.index)[0]).toBe(before + 1);
		expect(stream.stats.restarts).toBe(1);
		// A cut connection is not damage.
		expect(stream.error).toBeUndefined();
	});

	it('damaged bytes drop that connection only', async () => {
		const {stream} = open('tcp-listen://127.0.0.1:0');
		const {port} = await stream.listening;
		const got = collect(stream, PCAP_PACKETS);
		const bad = await dial(port);
		const closed = new Promise((resolve) => bad.on('close', resolve));
		await write(bad, concat(PCAP.subarray(0, 24), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])));
		await closed;
		expect(stream.error?.message).toMatch(/captured length/);
		const good = await dial(port);
		await write(good, PCAP);
		expect((await got).length).toBe(PCAP_PACKETS);
	});
});

describe('tcp:// (we connect)', () => {
	it('reads, reconnects after the peer closes, numbering goes on', async () => {
		let served = 0;
		const server = createServer((s) => {
			served++;
			s.end(Buffer.from(served === 1 ? PCAP : fixture('loopback-http.pcapng')));
		});
		const port = await listenServer(server);
		cleanups.push(() => new Promise((r) => server.close(r)));
		const {stream, states} = open(`tcp://127.0.0.1:${port}`);
		const packets = await collect(stream, PCAP_PACKETS + PCAPNG_PACKETS);
		expect(packets.map((x) => x.index)).toEqual(Array.from({length: PCAP_PACKETS + PCAPNG_PACKETS}, (_, i) => i + 1));
		expect(packets[PCAP_PACKETS]!.iface).toBe(0);
		expect(stream.stats.connections).toBeGreaterThanOrEqual(2);
		expect(states.some(([s, d]) => s === 'down' && /closed; retrying/.test(d))).toBe(true);
	});

	it('an unreachable peer is reported down and retried until it appears', async () => {
		const probe = createServer();
		const port = await listenServer(probe);
		await new Promise((r) => probe.close(r));
		const {stream, states} = open(`tcp://127.0.0.1:${port}`);
		await until(() => stream.stats.restarts >= 2, 'two failed attempts');
		expect(states.some(([s, d]) => s === 'down' && /unavailable .*ECONNREFUSED.*retrying/.test(d))).toBe(true);
		const server = createServer((s) => s.end(Buffer.from(PCAP)));
		await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
		cleanups.push(() => new Promise((r) => server.close(r)));
		expect((await collect(stream, PCAP_PACKETS)).length).toBe(PCAP_PACKETS);
	});
});

describe('http:// (PCAPdroid HTTP server)', () => {
	/** A server shaped like HTTPServer.java: `/` redirects, the capture comes chunked with a preamble per client. */
	async function pcapdroidHttp(body: (n: number) => Uint8Array[]): Promise<{port: number; requests: string[]}> {
		const requests: string[] = [];
		let clients = 0;
		const server = createHttpServer((req, res) => {
			requests.push(req.url ?? '');
			if (req.url === '/') {
				res.writeHead(302, {Location: '/PCAPdroid_22_Nov_19_06_41.pcap'});
				res.end();
				return;
			}
			if (!req.url?.endsWith('.pcap')) {
				res.writeHead(404).end();
				return;
			}
			res.writeHead(200, {'Content-Type': 'application/vnd.tcpdump.pcap', Connection: 'close'});
			const parts = body(++clients);
			const next = () => {
				const part = parts.shift();
				if (!part) return res.end();
				res.write(part);
				setTimeout(next, 2);
			};
			next();
		});
		const port = await listenServer(server);
		cleanups.push(() => {
			server.closeAllConnections();
			return new Promise((r) => server.close(r));
		});
		return {port, requests};
	}

	it.runIf(hasCorpus)('follows the redirect, reads chunks, a new client gets its own preamble', async () => {
		const p = ipPackets(corpusPath('pcap', 'pcapdroid__metadata.pcap')).slice(0, 30);
		// Each client joins "later": the second one only gets the packets after the first 10.
		const body = (n: number) => [pcapHeader(true), ...chunks(concat(...p.slice(n === 1 ? 0 : 10).map((x) => pcapdroidRecord(x, 10123, 'Firefox'))), 700)];
		const {port, requests} = await pcapdroidHttp(body);
		const {stream} = open(`http://127.0.0.1:${port}/`);
		const packets = await collect(stream, 30 + 20);
		expect(packets.map((x) => x.index)).toEqual(Array.from({length: 50}, (_, i) => i + 1));
		expect(requests.slice(0, 4)).toEqual(['/', '/PCAPdroid_22_Nov_19_06_41.pcap', '/', '/PCAPdroid_22_Nov_19_06_41.pcap']);
		const ctx = newAppMetadataContext();
		expect(packets.every((x) => attachAppMetadata(x, ctx).app?.uid === 10123)).toBe(true);
		expect(Buffer.from(packets[30]!.data).equals(Buffer.from(p[10]!.data))).toBe(true);
		expect(stream.stats.segments).toBeGreaterThanOrEqual(2);
		// The stand-in answers as PCAPdroid does on the wire: chunked, connection close.
		const raw = await new Promise<string>((resolve) => {
			let text = '';
			const s = connect(port, '127.0.0.1', () => s.write('GET /a.pcap HTTP/1.1\r\nHost: x\r\n\r\n'));
			s.on('data', (d) => (text += d.toString('latin1')));
			s.on('close', () => resolve(text));
		});
		expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
		expect(raw).toMatch(/\r\nTransfer-Encoding: chunked\r\n/i);
		expect(raw).toMatch(/\r\n0\r\n\r\n$/);
	});

	it('pcapng over http hands its UID map blocks to the caller', async () => {
		const ctx = newAppMetadataContext();
		const {port} = await pcapdroidHttp(() => [
			pcapngPreamble(),
			uidMapBlock(10087, 'com.android.chrome', 'Chrome'),
			...ipPackets(new URL('../fixtures/sources/loopback-http.pcapng', import.meta.url).pathname).map((x) => epb(x, 10087)),
		]);
		const {stream} = open(`http://127.0.0.1:${port}/x.pcap`, {onCustomBlock: (pen, data) => addCustomBlock(ctx, pen, data)});
		const packets = await collect(stream, PCAPNG_PACKETS);
		expect(packets.map((x) => attachAppMetadata(x, ctx).app)).toEqual(Array(PCAPNG_PACKETS).fill({uid: 10087, package: 'com.android.chrome'}));
	});

	it('a 404 is reported down with the status, and retried', async () => {
		const {port} = await pcapdroidHttp(() => []);
		const {stream, states} = open(`http://127.0.0.1:${port}/nothing`);
		await until(() => stream.stats.restarts >= 2, 'retries');
		expect(states.some(([s, d]) => s === 'down' && /HTTP 404/.test(d))).toBe(true);
		stream.close();
		expect(stream.state).toBe('down');
	});
});

describe('status', () => {
	it('a silent connection goes stalled, and live again when data comes', async () => {
		const {stream, states} = open('tcp-listen://127.0.0.1:0', {stallAfterMs: 40});
		const {port} = await stream.listening;
		const s = await new Promise<Socket>((resolve) => {
			const c = connect(port, '127.0.0.1', () => resolve(c));
			cleanups.push(() => c.destroy());
		});
		s.write(PCAP.subarray(0, 24));
		await until(() => stream.state === 'stalled', 'stall');
		expect(states.at(-1)![1]).toMatch(/no data/);
		s.write(PCAP.subarray(24));
		await until(() => stream.packets === PCAP_PACKETS && stream.state === 'live', 'live again');
	});
});

describe('stopping', () => {
	it('an abort ends iteration and frees the port', async () => {
		const ac = new AbortController();
		const {stream, states} = open('tcp-listen://127.0.0.1:0', {signal: ac.signal});
		const {port} = await stream.listening;
		const it = collect(stream, 1);
		ac.abort();
		expect(await it).toEqual([]);
		expect(states.at(-1)).toEqual(['down', 'stopped']);
		// The port is free again.
		const again = createServer();
		await new Promise<void>((resolve, reject) => {
			again.once('error', reject);
			again.listen(port, '127.0.0.1', () => resolve());
		});
		await new Promise((r) => again.close(r));
	});

	it('a port in use is reported down and iteration ends', async () => {
		const busy = createServer();
		const port = await listenServer(busy);
		cleanups.push(() => new Promise((r) => busy.close(r)));
		const {stream, states} = open(`tcp-listen://127.0.0.1:${port}`);
		await expect(stream.listening).rejects.toThrow(/EADDRINUSE/);
		expect(await collect(stream, 1)).toEqual([]);
		expect(states.at(-1)![0]).toBe('down');
		expect(states.at(-1)![1]).toMatch(/EADDRINUSE/);
	});
});

describe('recording a bundle from a network source (--record)', () => {
	/** A bundle writer fed by the source's tap, as cli.tsx wires it. */
	function recorder() {
		const dir = path.join(mkdtempSync(path.join(tmpdir(), 'tattle-net-rec-')), 'bundle');
		cleanups.push(() => rmSync(path.dirname(dir), {recursive: true, force: true}));
		const rec = createBundleWriter(dir, {tool: {name: 'tattle', version: 'test'}, clockOffset: 0}, {syncMs: 0});
		const tap = {bytes: (b: Uint8Array) => rec.capture(b), segment: () => rec.captureRestart(), cut: () => rec.captureCut()};
		return {dir, rec, tap};
	}
	async function replayed(file: string): Promise<RawPacket[]> {
		const out: RawPacket[] = [];
		const c = openCapture(file);
		for await (const batch of c) for (const p of batch) out.push({...p, data: new Uint8Array(p.data)});
		expect(c.error).toBeUndefined();
		return out;
	}

	it('tcp-listen: two connections, each with its own header, make one capture that replays to the same packets', async () => {
		const {dir, rec, tap} = recorder();
		const {stream} = open('tcp-listen://127.0.0.1:0', {tap});
		const {port} = await stream.listening;
		const got = collect(stream, 2 * PCAP_PACKETS);
		for (let k = 0; k < 2; k++) {
			const s = await new Promise<Socket>((resolve, reject) => {
				const c = connect(port, '127.0.0.1', () => resolve(c));
				c.on('error', reject);
				cleanups.push(() => c.destroy());
			});
			for (const c of chunks(PCAP, 83)) await new Promise<void>((resolve) => s.write(c, () => resolve()));
			s.end();
			await until(() => stream.packets === (k + 1) * PCAP_PACKETS, `capture ${k + 1}`);
		}
		const live = await got;
		rec.close();
		const back = await replayed(path.join(dir, 'capture.pcap'));
		expect(back.map((p) => Buffer.from(p.data).toString('hex'))).toEqual(live.map((p) => Buffer.from(p.data).toString('hex')));
		expect(back.map((p) => p.index)).toEqual(live.map((p) => p.index));
	});

	it.runIf(hasCorpus)('udp: a late join (header made up) and PCAPdroid trailers are recorded as parsed', async () => {
		const {dir, rec, tap} = recorder();
		const p = ipPackets(corpusPath('pcap', 'pcapdroid__metadata.pcap')).slice(0, 30);
		const {stream} = open('udp://127.0.0.1:0', {tap});
		const {port} = await stream.listening;
		const got = collect(stream, p.length);
		const sock = createSocket('udp4');
		cleanups.push(() => sock.close());
		for (const x of p) await new Promise<void>((resolve, reject) => sock.send(pcapdroidRecord(x, 10_001, 'Chrome'), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
		const live = await got;
		rec.close();
		const back = await replayed(path.join(dir, 'capture.pcap'));
		expect(back.length).toBe(live.length);
		expect(back.map((q) => Buffer.from(q.data).toString('hex'))).toEqual(live.map((q) => Buffer.from(q.data).toString('hex')));
	});
});
