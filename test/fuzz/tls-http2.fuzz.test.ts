/**
 * Properties of the TLS and HTTP/2 readers: the key log parser, the TCP stream, TlsConnection on
 * the recorded TLS fixtures, HPACK and the HTTP/2 client stream. Oracles: a key log and a TCP
 * stream in any split; a real TLS connection re-segmented at random decrypts to the same bytes;
 * header lists encoded by a test-side HPACK encoder, and by Node's own HTTP/2 client (nghttp2),
 * decode to themselves.
 */
import {once} from 'node:events';
import {readdirSync, readFileSync} from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {HPACK_MAX_HEADERS, HpackDecoder, huffmanDecode} from '../../source/decode/hpack.js';
import {HTTP2_PREFACE, Http2ClientStream, type H2Request} from '../../source/decode/http2.js';
import {decodePacket, isPacket} from '../../source/decode/packet.js';
import {TCP_STREAM_MAX_EVIDENCE, TCP_STREAM_MAX_PENDING, TcpStream} from '../../source/decode/tcp-stream.js';
import {TlsConnection, type WaitBudget} from '../../source/decode/tls-decrypt.js';
import {KeyLogParser, TlsKeyStore} from '../../source/decode/tls-keylog.js';
import {decodeText} from '../../source/decode/tls.js';
import {CaptureParser} from '../../source/sources/capture-reader.js';
import {repoRoot} from '../helpers/corpus.js';
import {startRecordingProxy, type RecordedConnection} from '../helpers/recording-proxy.js';
import {huffmanEncode} from '../helpers/seeded.js';
import {fuzzOptions, longRun, timed} from './fuzz-options.js';
import {bytesFor, chunksAt, keyLogTexts, mutated} from './real-inputs.js';

// ---------------------------------------------------------------------------------------------
// Key log

const hex = (n: number) => fc.uint8Array({minLength: n, maxLength: n}).map((b) => Buffer.from(b).toString('hex'));
const LABELS = ['CLIENT_RANDOM', 'CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'];

function parseAll(chunks: string[]) {
	const p = new KeyLogParser();
	const entries = [...chunks.flatMap((c) => p.push(c)), ...p.end()].map((e) => `${e.label} ${e.clientRandom} ${e.secret.toString('hex')}`);
	return {entries, bad: p.bad, unused: p.unused, samples: p.badSamples};
}

describe('KeyLogParser', () => {
	const realLogs = keyLogTexts().map((t) => new Uint8Array(Buffer.from(t)));

	it('any text in any split: no throw, the same entries and counts as in one piece; samples bounded', () => {
		const text = fc.oneof(mutated(realLogs).map((b) => Buffer.from(b).toString('latin1')), fc.string({unit: 'binary', maxLength: 3000}));
		fc.assert(
			fc.property(text, fc.array(fc.nat(), {maxLength: 8}), (t, cuts) => {
				const whole = parseAll([t]);
				const points = [...new Set(cuts.map((c) => c % (t.length + 1)))].sort((a, b) => a - b);
				const pieces = points.map((p, i) => t.slice(points[i - 1] ?? 0, p)).concat(t.slice(points.at(-1) ?? 0));
				const split = timed(() => parseAll(pieces));
				// Lines over the parser's 1024-character cap are the known bug below.
				if (!t.split('\n').some((l) => l.length > MAX_KEY_LOG_LINE)) expect(split).toEqual(whole);
				expect(whole.samples.length).toBeLessThanOrEqual(3);
				for (const s of whole.samples) expect(s.length).toBeLessThanOrEqual(120);
			}),
			fuzzOptions(300),
		);
	});

	it('oracle: lines written from arbitrary randoms and secrets (any case, CRLF, comments) read back', () => {
		const line = fc.tuple(fc.constantFrom(...LABELS), hex(32), fc.oneof(hex(32), hex(48)), fc.boolean(), fc.constantFrom('\n', '\r\n'));
		fc.assert(
			fc.property(fc.array(line, {minLength: 1, maxLength: 10}), (lines) => {
				const text = lines.map(([l, r, s, upper, eol]) => `# a comment${eol}${l} ${upper ? r.toUpperCase() : r} ${s}${eol}`).join('');
				expect(parseAll([text]).entries).toEqual(lines.map(([l, r, s]) => `${l} ${r} ${s}`));
			}),
			fuzzOptions(150),
		);
	});
});

/** tls-keylog.ts MAX_LINE_CHARS (not exported): the longest line kept while waiting for its end. */
const MAX_KEY_LOG_LINE = 1024;

// Found by fuzzing, now fixed (decode/tls-keylog.ts: the cap applies to whole lines too): the 1024-character line cap applies
// only to a line still waiting for its end when a piece ends. The same line read in one piece is
// parsed; read as 1200 characters and the rest it is counted bad and skipped. So a key log line
// padded past 1024 characters (here: CLIENT_RANDOM, 1100 spaces, random, secret) gives a key or not
// depending on where the reads fell (`--keylog follow:` reads as the file grows). Found by `npm run
// fuzz`, seed 569366630 (an EXPORTER_SECRET line counted unused whole, bad when split).
describe('KeyLogParser: a line past the cap', () => {
	it('a long line gives the same result whole and split (fixture hostile/keylog/padded-line.keys)', () => {
		const text = readFileSync(path.join(repoRoot, 'test', 'fixtures', 'hostile', 'keylog', 'padded-line.keys'), 'utf8');
		expect(text.length).toBeGreaterThan(MAX_KEY_LOG_LINE);
		expect(parseAll([text.slice(0, 1200), text.slice(1200)])).toEqual(parseAll([text]));
	});
});

// ---------------------------------------------------------------------------------------------
// TCP stream

describe('TcpStream', () => {
	it('oracle: overlapping, repeated and reordered segments (any ISN, wrap included) give back the stream', () => {
		fc.assert(
			fc.property(fc.uint8Array({minLength: 1, maxLength: 3000}), fc.nat({max: 0xffffffff}), fc.array(fc.nat(), {maxLength: 30}), fc.array(fc.nat(), {maxLength: 30}), (data, isn, cuts, order) => {
				const points = [0, ...[...new Set(cuts.map((c) => c % data.length))].sort((a, b) => a - b), data.length];
				const segs: Array<{off: number; end: number}> = [];
				for (let i = 1; i < points.length; i++) if (points[i]! > points[i - 1]!) segs.push({off: points[i - 1]!, end: points[i]!});
				// Retransmissions that overlap their neighbours.
				for (const [i, k] of order.slice(0, 5).entries()) {
					const s = segs[k % segs.length]!;
					segs.push({off: Math.max(0, s.off - i * 7), end: Math.min(data.length, s.end + i * 5)});
				}
				// The first segment goes first (it sets the ISN); the rest in a shuffled order.
				const rest = segs.slice(1).map((s, i) => ({s, k: order[i] ?? i})).sort((a, b) => a.k - b.k).map((x) => x.s);
				// Room for everything held at once, retransmitted copies included: only the hole rule may stop it.
				const stream = new TcpStream(8 * data.length + 64);
				timed(() => {
					for (const [i, s] of [segs[0]!, ...rest].entries()) stream.push((isn + s.off) >>> 0, data.subarray(s.off, s.end), i + 1, i);
				});
				if (rest.length < TCP_STREAM_MAX_PENDING) {
					expect(stream.gap).toBeUndefined();
					expect(Buffer.from(stream.bytes()).equals(Buffer.from(data))).toBe(true);
				}
				const {packets} = stream.consume(data.length);
				expect(packets.length).toBeLessThanOrEqual(TCP_STREAM_MAX_EVIDENCE);
				expect(stream.length).toBeLessThanOrEqual(data.length);
			}),
			fuzzOptions(300),
		);
	});

	it('any pushes and consumes: no throw, never more buffered than the cap', () => {
		const op = fc.oneof(fc.record({seq: fc.nat({max: 0xffffffff}), data: fc.uint8Array({maxLength: 400})}), fc.record({consume: fc.nat(500)}));
		fc.assert(
			fc.property(fc.integer({min: 1, max: 2000}), fc.array(op, {maxLength: 40}), (cap, ops) => {
				const s = new TcpStream(cap);
				timed(() =>
					ops.forEach((o, i) => {
						if ('consume' in o) s.consume(o.consume);
						else s.push(o.seq, o.data, i + 1, i);
						expect(s.length).toBeLessThanOrEqual(cap);
					}),
				);
				s.finish();
			}),
			fuzzOptions(300),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// TlsConnection on the recorded fixtures

type Seg = {fromClient: boolean; seq: number; payload: Uint8Array; index: number; ts: number};
const TLS_DIR = path.join(repoRoot, 'test', 'fixtures', 'tls');

/** The TCP segments of a fixture with data, in capture order, client side told by the first sender. */
function segments(file: string): Seg[] {
	const out: Seg[] = [];
	let client: string | undefined;
	const p = new CaptureParser((raw) => {
		const m = decodePacket(raw);
		if (!isPacket(m) || m.proto !== 6 || m.payload.length === 0) return;
		client ??= `${m.src}:${m.sport}`;
		out.push({fromClient: `${m.src}:${m.sport}` === client, seq: m.tcpSeq, payload: Uint8Array.from(m.payload), index: raw.index, ts: raw.ts});
	});
	p.push(new Uint8Array(readFileSync(path.join(TLS_DIR, file))));
	p.end();
	return out;
}

function keyStore(file: string): TlsKeyStore {
	const s = new TlsKeyStore();
	for (const e of new KeyLogParser().push(readFileSync(path.join(TLS_DIR, file), 'utf8'))) s.add(e);
	return s;
}

function feed(segs: Seg[], keys: TlsKeyStore, budget: WaitBudget): {plain: Buffer; conn: TlsConnection} {
	const conn = new TlsConnection(keys, budget);
	const plain: Buffer[] = [];
	for (const s of segs) {
		const out = s.fromClient ? conn.client(s.seq, s.payload, s.index, s.ts) : conn.server(s.seq, s.payload, s.index, s.ts);
		for (const p of out) plain.push(p.data);
		expect(budget.used).toBeGreaterThanOrEqual(0);
		expect(budget.used).toBeLessThanOrEqual(budget.cap);
	}
	conn.finish();
	return {plain: Buffer.concat(plain), conn};
}

/** Fixtures with one TLS connection each (the .pcap ones with a .keys beside them). */
const FIXTURES = readdirSync(TLS_DIR)
	.filter((f) => f.endsWith('.pcap') && readdirSync(TLS_DIR).includes(f.replace(/\.pcap$/, '.keys')) && !f.startsWith('sa-') && !f.startsWith('chromium'))
	.sort()
	.map((f) => ({name: f, segs: segments(f), keys: keyStore(f.replace(/\.pcap$/, '.keys'))}))
	.filter((f) => new Set(f.segs.map((s) => s.fromClient)).size === 2);
const budget = (): WaitBudget => ({used: 0, cap: 1 << 20, droppedRecords: 0, droppedBytes: 0});

describe('TlsConnection', () => {
	it('has fixtures to read, and reads them', () => {
		expect(FIXTURES.length).toBeGreaterThan(5);
		for (const f of FIXTURES.filter((x) => !x.name.includes('cbc'))) expect(feed(f.segs, f.keys, budget()).plain.length, f.name).toBeGreaterThan(0);
	});

	it('oracle: the client stream re-segmented at random cuts decrypts to the same plaintext', () => {
		const readable = FIXTURES.filter((x) => !x.name.includes('cbc'));
		const want = readable.map((f) => feed(f.segs, f.keys, budget()).plain);
		fc.assert(
			fc.property(fc.nat(readable.length - 1), fc.array(fc.nat(), {maxLength: 40}), (i, cuts) => {
				const f = readable[i]!;
				const client = f.segs.filter((s) => s.fromClient);
				const first = client[0]!;
				const stream = Buffer.concat(client.map((s) => s.payload));
				// The client stream cut anew; the server's segments go in once the client bytes sent before
				// the first of them in the capture (its ClientHello) are out.
				const pieces = chunksAt(new Uint8Array(stream), cuts).filter((p) => p.length > 0);
				const servers = f.segs.filter((s) => !s.fromClient);
				const helloBytes = f.segs.slice(0, f.segs.indexOf(servers[0]!)).reduce((n, s) => n + (s.fromClient ? s.payload.length : 0), 0);
				const resegmented: Seg[] = [];
				let off = 0;
				for (const p of pieces) {
					if (off >= helloBytes && !resegmented.includes(servers[0]!)) resegmented.push(...servers);
					resegmented.push({...first, seq: (first.seq + off) >>> 0, payload: p, index: first.index + resegmented.length});
					off += p.length;
				}
				if (!resegmented.includes(servers[0]!)) resegmented.push(...servers);
				const got = timed(() => feed(resegmented, f.keys, budget()).plain);
				expect(got.equals(want[i]!)).toBe(true);
			}),
			fuzzOptions(60, 5),
		);
	});

	it('dropped, repeated, moved and damaged segments: no throw, the budget consistent, no more plaintext than was sent', () => {
		const edit = fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'swap', 'byte', 'seq', 'cut'), fc.nat(), fc.nat(255));
		fc.assert(
			fc.property(fc.nat(FIXTURES.length - 1), fc.array(edit, {minLength: 1, maxLength: 6}), (i, edits) => {
				const f = FIXTURES[i]!;
				const segs = f.segs.map((s) => ({...s, payload: Uint8Array.from(s.payload)}));
				for (const [at, what, where, value] of edits) {
					const k = at % segs.length;
					const s = segs[k]!;
					if (what === 'drop') segs.splice(k, 1);
					else if (what === 'dup') segs.splice(k, 0, {...s});
					else if (what === 'swap' && segs.length > 1) [segs[k], segs[(k + 1) % segs.length]] = [segs[(k + 1) % segs.length]!, s];
					else if (what === 'byte' && s.payload.length > 0) s.payload[where % s.payload.length] = value;
					else if (what === 'seq') s.seq = (s.seq + where - 0x7fff_ffff) >>> 0;
					else if (what === 'cut') s.payload = s.payload.subarray(0, where % (s.payload.length + 1));
				}
				const sent = segs.filter((s) => s.fromClient).reduce((n, s) => n + s.payload.length, 0);
				const b = budget();
				const {plain, conn} = timed(() => feed(segs, f.keys, b));
				expect(plain.length).toBeLessThanOrEqual(sent);
				expect(b.used).toBe(0);
				if (conn.state === 'stopped') expect(conn.reason).toBeTruthy();
			}),
			fuzzOptions(100, 3),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// HPACK


/** RFC 7541 5.1 integer with `prefix` bits, the representation's flag bits in `first`. */
function hpackInt(value: number, prefix: number, first: number): number[] {
	const max = (1 << prefix) - 1;
	if (value < max) return [first | value];
	const out = [first | max];
	let v = value - max;
	while (v >= 128) {
		out.push((v % 128) + 128);
		v = Math.floor(v / 128);
	}
	out.push(v);
	return out;
}

function hpackString(s: string, huffman: boolean): number[] {
	const raw = Buffer.from(s, 'utf8');
	const body = huffman ? huffmanEncode(raw) : raw;
	return [...hpackInt(body.length, 7, huffman ? 0x80 : 0), ...body];
}

type Field = {name: string; value: string; how: 'incremental' | 'without' | 'never'; huffman: boolean};

/**
 * A test-side HPACK encoder with its own model of the dynamic table (RFC 7541 4): fields already in
 * the table go out as indexed references, others as literals of the kind asked for.
 */
class HpackEncoder {
	private table: Array<[string, string]> = [];
	private size = 0;
	constructor(private limit = 4096) {}

	block(fields: Field[], resize?: number): Uint8Array {
		const out: number[] = [];
		if (resize !== undefined) {
			out.push(...hpackInt(resize, 5, 0x20));
			this.limit = resize;
			this.evict(0);
		}
		for (const f of fields) {
			const at = this.table.findIndex(([n, v]) => n === f.name && v === f.value);
			if (at >= 0) {
				out.push(...hpackInt(62 + at, 7, 0x80));
				continue;
			}
			const first = f.how === 'incremental' ? 0x40 : f.how === 'never' ? 0x10 : 0;
			out.push(...hpackInt(0, f.how === 'incremental' ? 6 : 4, first), ...hpackString(f.name, f.huffman), ...hpackString(f.value, f.huffman));
			if (f.how === 'incremental') {
				const n = Buffer.byteLength(f.name) + Buffer.byteLength(f.value) + 32;
				this.evict(n);
				if (n <= this.limit) {
					this.table.unshift([f.name, f.value]);
					this.size += n;
				}
			}
		}
		return Uint8Array.from(out);
	}

	private evict(room: number): void {
		while (this.table.length > 0 && this.size + room > this.limit) {
			const [n, v] = this.table.pop()!;
			this.size -= Buffer.byteLength(n) + Buffer.byteLength(v) + 32;
		}
	}
}

const fieldName = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const fieldValue = fc.string({unit: fc.oneof(fc.string({unit: 'grapheme-ascii', minLength: 1, maxLength: 1}), fc.constantFrom('é', '日', '✓')), maxLength: 40});
const field: fc.Arbitrary<Field> = fc.record({name: fieldName, value: fieldValue, how: fc.constantFrom('incremental', 'incremental', 'without', 'never'), huffman: fc.boolean()});

describe('HPACK', () => {
	it('huffmanDecode undoes Huffman coding of any octets (as lenient UTF-8), and never throws on any bytes', () => {
		fc.assert(
			fc.property(fc.uint8Array({maxLength: 200}), fc.uint8Array({maxLength: 200}), (octets, junk) => {
				expect(huffmanDecode(huffmanEncode(octets))).toBe(decodeText(octets));
				timed(() => huffmanDecode(junk));
			}),
			fuzzOptions(300),
		);
	});

	it('oracle: header lists from the test encoder (table references, evictions, size updates) decode to themselves, block after block', () => {
		fc.assert(
			fc.property(fc.array(fc.tuple(fc.array(field, {maxLength: 12}), fc.option(fc.nat(4096), {freq: 4})), {minLength: 1, maxLength: 6}), (blocks) => {
				const enc = new HpackEncoder();
				const dec = new HpackDecoder();
				for (const [fields, resize] of blocks) {
					const got = dec.decode(enc.block(fields, resize ?? undefined));
					expect(got).toEqual(fields.map((f) => [f.name, f.value]));
					expect(dec.tableSize).toBeLessThanOrEqual(dec.tableLimit);
				}
			}),
			fuzzOptions(300),
		);
	});

	it('any blocks: no throw, at most HPACK_MAX_HEADERS fields a block, the table within its limit', () => {
		const blockSeeds = [new HpackEncoder().block([{name: 'user-agent', value: 'x', how: 'incremental', huffman: true}, {name: 'a', value: 'b', how: 'never', huffman: false}])];
		fc.assert(
			fc.property(fc.array(bytesFor(blockSeeds, 300), {minLength: 1, maxLength: 5}), (blocks) => {
				const dec = new HpackDecoder();
				for (const b of blocks) {
					const r = timed(() => dec.decode(b));
					if (Array.isArray(r)) expect(r.length).toBeLessThanOrEqual(HPACK_MAX_HEADERS);
					expect(dec.tableSize).toBeLessThanOrEqual(dec.tableLimit);
				}
			}),
			fuzzOptions(300),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// HTTP/2 client stream, against Node's own client (nghttp2's HPACK encoder and framing).

/** An HTTP/2 server answering 200, behind a TCP proxy that records client bytes per connection. */
async function startPair(): Promise<{port: number; conns: RecordedConnection[]; close: () => void}> {
	const server = http2.createServer();
	server.on('stream', (stream) => {
		stream.on('error', () => {});
		stream.respond({':status': 200});
		stream.end('ok');
	});
	server.on('sessionError', () => {});
	server.listen(0, '127.0.0.1');
	await once(server, 'listening');
	const proxy = await startRecordingProxy((server.address() as net.AddressInfo).port);
	return {port: proxy.port, conns: proxy.connections, close: () => (proxy.close(), server.close())};
}

type Req = {method: string; path: string; headers: Array<[string, string]>; body: string};

/** Node's client sends the requests on one connection; resolves to the client bytes. */
async function nodeClient(pair: {port: number; conns: RecordedConnection[]}, reqs: Req[]): Promise<Uint8Array> {
	const client = http2.connect(`http://127.0.0.1:${pair.port}`);
	client.on('error', () => {});
	for (const r of reqs) {
		const h: http2.OutgoingHttpHeaders = {':method': r.method, ':path': r.path};
		for (const [n, v] of r.headers) h[n] = v;
		const stream = client.request(h, {endStream: r.body === ''});
		stream.on('error', () => {});
		if (r.body !== '') stream.end(r.body);
		stream.resume();
		await once(stream, 'close');
	}
	client.close();
	const c = pair.conns[pair.conns.length - 1]!;
	await c.closed;
	return new Uint8Array(Buffer.concat(c.chunks));
}

/** Headers Node sends of its own, or refuses, or folds: kept out of the generated lists. */
const NODE_OWN = /^(connection|keep-alive|proxy-connection|transfer-encoding|upgrade|te|host|content-length|set-cookie|cookie|http2-settings)$/;

function decodeAll(bytes: Uint8Array, cuts: number[] = []): {requests: H2Request[]; error?: string} {
	const s = new Http2ClientStream();
	const requests = chunksAt(bytes, cuts).flatMap((c) => s.push(c));
	requests.push(...s.end());
	return {requests, error: s.error};
}

describe('Http2ClientStream', () => {
	let pair: Awaited<ReturnType<typeof startPair>>;
	let recorded: Uint8Array[] = [];

	beforeAll(async () => {
		pair = await startPair();
		// A few real connections to mutate, with repeated headers (dynamic table) and bodies.
		const h: Array<[string, string]> = [['user-agent', 'tattle-fuzz/1.0'], ['x-trace', 'abcdef0123456789'], ['accept', '*/*']];
		recorded = [
			await nodeClient(pair, [1, 2, 3].map((i) => ({method: 'GET', path: `/a/${i}`, headers: h, body: ''}))),
			await nodeClient(pair, [{method: 'POST', path: '/upload', headers: [...h, ['content-type', 'application/json']], body: JSON.stringify({event: 'x', n: 1})}]),
		];
	}, 30_000);

	afterAll(() => pair?.close());

	const req: fc.Arbitrary<Req> = fc.record({
		method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
		path: fc.stringMatching(/^\/[A-Za-z0-9._~!$&'()*+,;=:@/?-]{0,40}$/),
		headers: fc.uniqueArray(fc.tuple(fieldName.filter((n) => !NODE_OWN.test(n)), fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/)), {selector: ([n]) => n, maxLength: 10}),
		body: fc.oneof(fc.constant(''), fc.string({maxLength: 200})),
	});

	it('oracle: requests Node\'s client sends (nghttp2 HPACK, dynamic table, DATA) come back with their fields and bodies', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(req, {minLength: 1, maxLength: 4}), async (reqs) => {
				const bytes = await nodeClient(pair, reqs);
				const {requests, error} = decodeAll(bytes);
				expect(error).toBeUndefined();
				expect(requests.map((r) => [r.method, r.path, r.complete])).toEqual(reqs.map((r) => [r.method, r.path, true]));
				requests.forEach((r, i) => {
					const sent = reqs[i]!;
					const got = r.headers.filter(([n]) => !NODE_OWN.test(n) && n !== 'content-type');
					expect([...got].sort()).toEqual([...sent.headers.filter(([n]) => n !== 'content-type')].sort());
					expect(Buffer.from(r.body).toString('utf8')).toBe(sent.body);
				});
			}),
			{...fuzzOptions(15, longRun ? 20 : 1), endOnFailure: true},
		);
	}, 60_000);

	it('mutated real connections and arbitrary bytes after the preface: no throw, the same requests in any split, bodies capped', () => {
		const preface = Buffer.from(HTTP2_PREFACE, 'latin1');
		const input = fc.oneof({weight: 3, arbitrary: mutated(recorded)}, {weight: 1, arbitrary: fc.uint8Array({maxLength: 600}).map((b) => new Uint8Array(Buffer.concat([preface, b])))});
		fc.assert(
			fc.property(input, fc.array(fc.nat(), {maxLength: 10}), (bytes, cuts) => {
				const whole = timed(() => decodeAll(bytes));
				for (const r of whole.requests) expect(r.body.length).toBeLessThanOrEqual(64 * 1024);
				expect(whole.requests.length * 9).toBeLessThanOrEqual(bytes.length);
				const split = decodeAll(bytes, cuts);
				expect(split.requests.map((r) => [r.streamId, r.method, r.path, r.headers, r.complete, Buffer.from(r.body).toString('hex')])).toEqual(
					whole.requests.map((r) => [r.streamId, r.method, r.path, r.headers, r.complete, Buffer.from(r.body).toString('hex')]),
				);
				expect(split.error).toEqual(whole.error);
			}),
			fuzzOptions(150),
		);
	});
});
