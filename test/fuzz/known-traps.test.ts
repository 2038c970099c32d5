/**
 * The known traps of issue 14 that no other test covered yet, each built to fail if the bound or
 * the check behind it went away. Already covered elsewhere (and not repeated here): DNS self and
 * two-pointer loops and 5 x 63-byte names (test/decode/dns.test.ts); TLS extension lengths past
 * the extensions block (tls.test.ts); HTTP header blocks without end (http.test.ts); pcapng block
 * lengths not a multiple of 4, under 12 and mismatched (sources/capture-reader.test.ts); gzip bombs
 * and 12 layers of base64 (classify/payload.test.ts); huge logcat lines (decode/logcat.test.ts,
 * sources/logcat-source.test.ts); invalid UTF-8 in logcat (sources/logcat-source.test.ts).
 */
import {readFileSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {deflateRawSync, deflateSync, gzipSync} from 'node:zlib';
import {describe, expect, it} from 'vitest';
import {inspectPayload} from '../../source/classify/payload.js';
import {createRuleSet} from '../../source/classify/rules.js';
import {loadBundledRules} from '../../source/app/rule-files.js';
import {DNS_MAX_POINTER_JUMPS, NAME_LOOPS, NAME_TOO_LONG, NAME_UNKNOWN_EXTENDED, parseDns} from '../../source/decode/dns.js';
import {parseHttpRequest} from '../../source/decode/http.js';
import {parseUidMapBlock, PCAPDROID_PEN} from '../../source/decode/pcapdroid-metadata.js';
import {parseClientHello} from '../../source/decode/tls.js';
import {KeyLogParser} from '../../source/decode/tls-keylog.js';
import {Session} from '../../source/ingest/session.js';
import {CaptureParser} from '../../source/sources/capture-reader.js';
import type {RawPacket} from '../../source/types.js';
import {bytes, be16, dnsName, ipv4, tcp, udp} from '../decode/frames.js';
import {tattle} from '../helpers/cli.js';
import {repoRoot} from '../helpers/corpus.js';
import {concat, epb, idb, pcapHeader, pcapRecord, shb, Writer} from '../sources/capture-builders.js';
import {timed} from './fuzz-options.js';

const classifier = createRuleSet({bundled: loadBundledRules(new URL(`file://${path.join(repoRoot, 'source/classify/rules')}/`))});
const HOSTILE = path.join(repoRoot, 'test', 'fixtures', 'hostile');
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const latin1 = (s: string) => [...Buffer.from(s, 'latin1')];
/** A lone surrogate: what a decoder that sliced UTF-16 or mis-decoded bytes would leave. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function dnsHeader(qd: number, an = 0): number[] {
	return [0x12, 0x34, 0x01, 0x00, ...u16(qd), ...u16(an), 0, 0, 0, 0];
}

/** A ClientHello handshake message with these extension bytes. */
function helloMessage(extensions: number[]): number[] {
	const body = [3, 3, ...new Array(32).fill(0x42), 0, ...u16(2), 0x13, 0x01, 1, 0, ...u16(extensions.length), ...extensions];
	return [1, ...u24(body.length), ...body];
}

function sniExt(name: number[]): number[] {
	const entry = [0, ...u16(name.length), ...name];
	const data = [...u16(entry.length), ...entry];
	return [0, 0, ...u16(data.length), ...data];
}

function record(frag: number[]): number[] {
	return [22, 3, 1, ...u16(frag.length), ...frag];
}

function frame(data: Uint8Array, index: number, ts = 1_700_000_000 + index / 1000): RawPacket {
	return {ts, linkType: 101, data, origLen: data.length, iface: 0, index};
}

describe('DNS names', () => {
	/** Question 1's name is a pointer to a chain of `hops` pointers, each to the next, ending in "end.example". */
	function pointerChain(hops: number): Uint8Array {
		const chainStart = 12 + 2 + 4;
		const chain: number[] = [];
		for (let i = 0; i < hops; i++) {
			const next = chainStart + 2 * (i + 1);
			chain.push(0xc0 | (next >> 8), next & 0xff);
		}
		return bytes(dnsHeader(1), [0xc0 | (chainStart >> 8), chainStart & 0xff], [0, 1, 0, 1], chain, dnsName('end.example'));
	}

	it(`a chain of pointers (no loop) is followed up to ${DNS_MAX_POINTER_JUMPS} jumps, and one longer ends as a loop`, () => {
		expect(timed(() => parseDns(pointerChain(DNS_MAX_POINTER_JUMPS - 1)))!.questions[0]!.name).toBe('end.example');
		const long = timed(() => parseDns(pointerChain(2000)))!;
		expect(long.questions[0]!.name).toBe(NAME_LOOPS);
	});

	it('a 63-byte label that points back at itself ends as too long, the name never past 255 bytes', () => {
		// 12: label of 63 'a', then a pointer back to 12: not a self-pointer, a loop that grows the name.
		const m = timed(() => parseDns(bytes(dnsHeader(2), [63, ...new Array(63).fill(0x61), 0xc0, 12], [0, 1, 0, 1], dnsName('next.example'), [0, 1, 0, 1])))!;
		expect([NAME_TOO_LONG, NAME_LOOPS]).toContain(m.questions[0]!.name);
		expect(m.questions[1]?.name).toBe('next.example');
	});

	it('a length byte of 64..191 is never read as a label of that length', () => {
		for (let len = 64; len < 192; len++) {
			// If `len` were taken as a label length, "evil" would be inside it and the question would read as a name.
			const m = parseDns(bytes(dnsHeader(1), [len, ...latin1('evil'), ...new Array(len).fill(0x61), 0], [0, 1, 0, 1]))!;
			const names = m.questions.map((q) => q.name);
			expect(names.every((n) => n === NAME_UNKNOWN_EXTENDED || n.startsWith('\\[x')), `${len}: ${names.join()}`).toBe(true);
			if (len >= 128) expect(m.malformed, String(len)).toBe(true);
		}
	});
});

describe('TLS ClientHello', () => {
	it('an SNI length past the end of its record is not filled from the bytes after it', () => {
		const host = latin1('real.example');
		const ext = sniExt(host);
		// The server_name extension claims 200 more bytes than the record holds.
		ext[2] = 0;
		ext[3] = ext.length - 4 + 200;
		const msg = helloMessage(ext);
		const rec = record(msg);
		// What follows is a second record whose bytes would make a plausible name if read on.
		const after = record([...latin1('.attacker.example'), ...new Array(200).fill(0x61)]);
		const r = timed(() => parseClientHello(Uint8Array.from([...rec, ...after]), true));
		if (r.status === 'ok') {
			expect(r.hello.sni ?? '').not.toMatch(/attacker|aaaa/);
			expect(r.hello.malformed).toBe(true);
		} else expect(r.status).toBe('not-tls');
	});

	it('a ClientHello in 60 TCP segments (in order, and reordered) names its destination by SNI', () => {
		const name = 'sixty-segments.example';
		const hello = record(helloMessage([...sniExt(latin1(name)), ...new Array(40).fill(0).flatMap((_, i) => [0x10, i, 0, 4, 1, 2, 3, 4])]));
		const seg = Math.floor(hello.length / 60);
		expect(Math.ceil(hello.length / seg)).toBeGreaterThan(60);
		for (const order of ['in order', 'last two swapped'] as const) {
			const s = new Session({classifier});
			let index = 1;
			const c = '10.0.0.2';
			const srv = '93.184.216.34';
			s.addPacket(frame(ipv4(c, srv, 6, tcp(41_000, 443, 0x02, 999, new Uint8Array(0))), index++));
			s.addPacket(frame(ipv4(srv, c, 6, tcp(443, 41_000, 0x12, 5000, new Uint8Array(0))), index++));
			const parts: Uint8Array[] = [];
			for (let p = 0; p < hello.length; p += seg) parts.push(ipv4(c, srv, 6, tcp(41_000, 443, 0x18, 1000 + p, Uint8Array.from(hello.slice(p, p + seg)))));
			if (order === 'last two swapped') parts.push(...parts.splice(-2).reverse());
			timed(() => {
				for (const p of parts) s.addPacket(frame(p, index++));
			});
			const d = s.snapshot().destinations.find((x) => x.host === name);
			expect(d, `${order}: ${s.snapshot().destinations.map((x) => x.host).join()}`).toBeDefined();
			expect(d!.via).toContain('sni');
		}
	});
});

describe('pcapng block lengths', () => {
	const head = concat(shb(true), idb(true, 101, 0), epb(true, 0, 1n, Uint8Array.from(ipv4('10.0.0.2', '8.8.8.8', 17, udp(1, 53, bytes(dnsHeader(0)))))));

	function read(bytes: Uint8Array, step = bytes.length) {
		const packets: RawPacket[] = [];
		const p = new CaptureParser((x) => packets.push(x));
		timed(() => {
			for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
			p.end();
		});
		return {packets, error: p.error};
	}

	it('a block length of 0, 1, 13 (odd) or 2^32-1 stops the reader at that block, keeping the packet before it', () => {
		for (const length of [0, 1, 13, 0xffffffff]) {
			const bad = new Writer(true).u32(6).u32(length).u32(0).u32(0).done();
			for (const step of [1, 7, 1 << 20]) {
				const {packets, error} = read(concat(head, bad), step);
				expect(packets, `length ${length}`).toHaveLength(1);
				expect(error, `length ${length}`).toMatchObject({offset: expect.any(Number), fatal: false});
				expect(error!.offset).toBeGreaterThanOrEqual(head.length);
			}
		}
	});

	it('a block whose length runs past the end of the file is a truncation at its offset, not a wait for more', () => {
		const claim = new Writer(true).u32(6).u32(64 * 1024).bytes(new Uint8Array(40)).done();
		const {packets, error} = read(concat(head, claim));
		expect(packets).toHaveLength(1);
		expect(error).toMatchObject({offset: head.length, fatal: false, message: expect.stringMatching(/^truncated/)});
	});

	it('the first block (SHB) with length 0 or odd is fatal: nothing read', () => {
		for (const length of [0, 13]) {
			const s = shb(true);
			new DataView(s.buffer).setUint32(4, length, true);
			const {packets, error} = read(concat(s, idb(true, 101, 0)));
			expect(packets).toHaveLength(0);
			expect(error).toMatchObject({fatal: true});
		}
	});
});

describe('snaplen-truncated packets', () => {
	it('a capture with snaplen 60: every packet counted, no name made from a cut DNS question, HTTP or TLS', () => {
		const c = '10.0.0.2';
		const q = (name: string) => ipv4(c, '8.8.8.8', 17, udp(40_000, 53, bytes(dnsHeader(1), dnsName(name), [0, 1, 0, 1])));
		const http = ipv4(c, '203.0.113.5', 6, tcp(50_000, 80, 0x18, 1, Uint8Array.from(latin1('GET /x HTTP/1.1\r\nHost: cut-http.example\r\n\r\n'))));
		const tls = ipv4(c, '203.0.113.6', 6, tcp(50_001, 443, 0x18, 1, Uint8Array.from(record(helloMessage(sniExt(latin1('cut-sni.example')))))));
		const snap = 60;
		const frames = [q('short.example'), q('a-rather-long-name-that-the-snaplen-cuts.example.com'), http, tls];
		const file = concat(pcapHeader({le: true, linkWord: 101, snapLen: snap}), ...frames.map((f, i) => pcapRecord(true, 1_700_000_000 + i, 0, f.subarray(0, snap), f.length)));
		const s = new Session({classifier});
		const p = new CaptureParser((raw) => s.addPacket({...raw, data: new Uint8Array(raw.data)}));
		timed(() => {
			p.push(file);
			p.end();
		});
		expect(p.error).toBeUndefined();
		const snapshot = s.snapshot();
		expect(snapshot.stats.packets).toBe(frames.length);
		const hosts = snapshot.destinations.map((d) => d.host);
		expect(hosts).toContain('short.example');
		// A cut name must not become a destination under a shortened name.
		for (const h of hosts) expect(['short.example', 'a-rather-long-name-that-the-snaplen-cuts.example.com', '8.8.8.8', '203.0.113.5', '203.0.113.6']).toContain(h);
	});
});

describe('compression bombs and deep nesting', () => {
	const bomb = Buffer.alloc(32 * 1024 * 1024);

	it('zlib bombs, by Content-Encoding and by magic, stop at maxBytes; a raw deflate bomb is not inflated past it', () => {
		const zlib = deflateSync(bomb);
		for (const headers of [[['Content-Encoding', 'deflate']], []] as Array<Array<[string, string]>>) {
			const f = timed(() => inspectPayload({body: zlib, headers}, {maxBytes: 1024 * 1024}));
			expect(f.truncated).toBe(true);
		}
		const raw = timed(() => inspectPayload({body: deflateRawSync(bomb), headers: [['Content-Encoding', 'deflate']]}, {maxBytes: 1024 * 1024}));
		expect(raw.texts.reduce((n, t) => n + t.text.length, 0)).toBeLessThan(1024 * 1024);
	});

	// Found by fuzzing, now fixed (classify/payload.ts): a raw-deflate body (Content-Encoding:
	// deflate without a zlib header) that inflates past maxBytes is dropped whole and `truncated`
	// stays false: the URL in its first bytes goes unseen and the payload reads as fully inspected.
	// gzip and zlib bodies past the bound say truncated.
	it('a raw-deflate body past maxBytes says truncated (fixture payload/deflate-raw-2mib.bin)', () => {
		const body = readFileSync(path.join(HOSTILE, 'payload', 'deflate-raw-2mib.bin'));
		const f = inspectPayload({body, headers: [['Content-Encoding', 'deflate']]}, {maxBytes: 1024 * 1024});
		expect(f.truncated).toBe(true);
	});

	it('a bomb inside base64 inside a form field inside a gzip body stops too', () => {
		const inner = deflateSync(bomb).toString('base64');
		const body = gzipSync(Buffer.from(`a=1&payload=${encodeURIComponent(inner)}`));
		const f = timed(() => inspectPayload({body, contentType: 'application/x-www-form-urlencoded'}, {maxBytes: 1024 * 1024}));
		expect(f.truncated).toBe(true);
	});

	it('JSON as a string inside base64 inside JSON, 40 layers: stops at the depth cap in bounded time; 12 layers are read when allowed', () => {
		const nest = (layers: number): Buffer => {
			let s = JSON.stringify({url: 'https://deep.example/x'});
			for (let i = 0; i < layers; i++) s = i % 2 ? JSON.stringify({data: s}) : JSON.stringify({b64: Buffer.from(s).toString('base64')});
			return Buffer.from(s);
		};
		const deep = timed(() => inspectPayload({body: nest(40)}));
		expect(deep.truncated).toBe(true);
		expect(deep.urls).toEqual([]);
		expect(inspectPayload({body: nest(12)}, {maxDepth: 6})).toMatchObject({truncated: true, urls: []});
		expect(inspectPayload({body: nest(12)}, {maxDepth: 40}).urls).toEqual(['https://deep.example/x']);
	});
});

describe('invalid UTF-8', () => {
	// An overlong '/', a lone continuation byte, a cut 3-byte sequence, a surrogate encoded in UTF-8, and 0xff.
	const BAD = [0xc0, 0xaf, 0x80, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xff];

	it('an HTTP Host, a TLS SNI, a UID map package, pcapng options and a key log line come out as well-formed strings', () => {
		const http = parseHttpRequest(Uint8Array.from([...latin1('GET / HTTP/1.1\r\nHost: a'), ...BAD, ...latin1('.example\r\n\r\n')]));
		expect(http.status).toBe('ok');
		const host = http.status === 'ok' ? http.req.host! : '';
		const hello = parseClientHello(Uint8Array.from(record(helloMessage(sniExt([0x61, ...BAD, 0x2e, 0x65])))));
		const sni = hello.status === 'ok' ? hello.hello.sni! : '';
		const pkg = [0x63, ...BAD];
		const map = Uint8Array.from([1, 0, 1, 0, ...[0x39, 0x27, 0, 0], pkg.length, 0, ...pkg]);
		const entry = parseUidMapBlock(PCAPDROID_PEN, map)!;
		const opt = {code: 2, value: Uint8Array.from([0x77, ...BAD])};
		const comment = {code: 1, value: Uint8Array.from([0x75, ...BAD])};
		const comments: Array<string | undefined> = [];
		const parser = new CaptureParser((p) => comments.push(p.comment));
		parser.push(concat(shb(true), idb(true, 101, 0, [opt]), epb(true, 0, 1n, new Uint8Array(20), [comment])));
		parser.end();
		const keylog = new KeyLogParser();
		keylog.push(`CLIENT_RANDOM ${Buffer.from(BAD).toString('latin1')}\n`);
		const strings = [host, sni, entry.package!, parser.interfaces[0]!.name!, comments[0]!, ...keylog.badSamples];
		expect(strings.every((s) => s.length > 0)).toBe(true);
		for (const s of strings) expect(LONE_SURROGATE.test(s), JSON.stringify(s)).toBe(false);
		for (const s of [host, sni, entry.package!, parser.interfaces[0]!.name!, comments[0]!]) expect(s, JSON.stringify(s)).toContain('\ufffd');
	});
});

describe('timestamps out of order, from 1970, from 2100 and past what a Date holds', () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'tattle-traps-'));

	it('1970, 2100 and 2106 in reverse order: replay succeeds, the report spans min..max', async () => {
		const md = path.join(dir, 'order.md');
		const json = path.join(dir, 'order.json');
		const r = await tattle(['replay', path.join(HOSTILE, 'timestamps', '1970-2100-out-of-order.pcap'), '--report', md, '--report', json]);
		expect(r.code, r.stderr).toBe(0);
		expect(readFileSync(md, 'utf8')).toContain('- time: 1970-01-01T00:00:00.000Z .. 2106-02-07T06:28:15.999Z');
		const rep = JSON.parse(readFileSync(json, 'utf8')) as {stats: {firstTs: number; lastTs: number; packets: number}; destinations: Array<{host: string; firstTs: number; lastTs: number}>};
		expect(rep.stats).toMatchObject({packets: 4, firstTs: 0});
		for (const d of rep.destinations) expect(d.firstTs, d.host).toBeLessThanOrEqual(d.lastTs);
	});

	// Found by fuzzing, now fixed (ingest): a destination's firstTs is the time of the first
	// packet *seen*, not the earliest; with reordered input it is later than some of its own packets
	// (8.8.8.8 here: firstTs 2100 though it got packets from 1970 and 2023), while stats.firstTs is
	// the minimum.
	it('a destination\'s firstTs is its earliest packet, whatever the order (fixture 1970-2100-out-of-order.pcap)', async () => {
		const json = path.join(dir, 'order-known-bug.json');
		expect((await tattle(['replay', path.join(HOSTILE, 'timestamps', '1970-2100-out-of-order.pcap'), '--report', json])).code).toBe(0);
		const rep = JSON.parse(readFileSync(json, 'utf8')) as {destinations: Array<{host: string; firstTs: number}>};
		expect(rep.destinations.find((d) => d.host === '8.8.8.8')!.firstTs).toBe(0);
	});

	it('a pcapng whose if_tsoffset or if_tsresol puts packets past what a Date holds: every report is written (the Markdown report threw "Invalid time value")', async () => {
		for (const f of ['beyond-date-tsoffset.pcapng', 'beyond-date-tsresol.pcapng', 'beyond-date-negative.pcapng']) {
			const files = ['md', 'csv', 'json'].map((x) => path.join(dir, `${f}.${x}`));
			const r = await tattle(['replay', path.join(HOSTILE, 'timestamps', f), ...files.flatMap((x) => ['--report', x]), '--json']);
			expect(r.code, `${f}: ${r.stderr}`).toBe(0);
			expect(readFileSync(files[0]!, 'utf8')).toMatch(/^- time:  \.\. $/m);
			expect(JSON.parse(readFileSync(files[2]!, 'utf8'))).toMatchObject({stats: {packets: 1}});
		}
	});
});
