import {describe, expect, it} from 'vitest';
import {StreamBuffer} from '../../source/decode/stream-buffer.js';
import {
	CLIENT_HELLO_BUFFER_CAP,
	looksLikeTls,
	parseClientHello,
	parseHandshakeClientHello,
	tlsVersionName,
} from '../../source/decode/tls.js';

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const bytes = (s: string) => [...Buffer.from(s, 'latin1')];

function ext(type: number, data: number[]): number[] {
	return [...u16(type), ...u16(data.length), ...data];
}

function sniExt(name: string): number[] {
	const entry = [0, ...u16(name.length), ...bytes(name)];
	return ext(0, [...u16(entry.length), ...entry]);
}

function alpnExt(protos: string[]): number[] {
	const list = protos.flatMap((p) => [p.length, ...bytes(p)]);
	return ext(16, [...u16(list.length), ...list]);
}

/** A ClientHello handshake message (type 1 + 3-byte length + body). */
function helloMessage(extensions: number[], opts: {sessionId?: number} = {}): Uint8Array {
	const sid = new Array(opts.sessionId ?? 32).fill(7);
	const body = [
		3, 3,
		...new Array(32).fill(0x42),
		sid.length, ...sid,
		...u16(6), 0x13, 0x01, 0x13, 0x02, 0xc0, 0x2f,
		1, 0,
		...u16(extensions.length), ...extensions,
	];
	return Uint8Array.from([1, (body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff, ...body]);
}

/** Wrap a handshake message in TLS records of at most `size` bytes. */
function records(msg: Uint8Array, size = 16384): Uint8Array {
	const out: number[] = [];
	for (let p = 0; p < msg.length; p += size) {
		const frag = msg.subarray(p, Math.min(msg.length, p + size));
		out.push(22, 3, 1, ...u16(frag.length), ...frag);
	}
	return Uint8Array.from(out);
}

/** The hello of a parse that must be 'ok': fails the test otherwise, so no check after it is skipped by an `if`. */
function okHello(r: ReturnType<typeof parseClientHello>) {
	if (r.status !== 'ok') expect.fail(`expected a parsed ClientHello, got ${r.status}`);
	return r.hello;
}

const chromeLike = [
	...ext(0x0a0a, []), // GREASE
	...sniExt('www.example.org'),
	...ext(23, []),
	...alpnExt(['h2', 'http/1.1']),
	...ext(43, [6, 0x2a, 0x2a, 3, 4, 3, 3]),
	...ext(0xfe0d, [0, 1, 2, 3]),
];

describe('parseClientHello', () => {
	it('reads SNI, ALPN, ECH, version (GREASE ignored) from one record', () => {
		const r = parseClientHello(records(helloMessage(chromeLike)));
		expect(r.status).toBe('ok');
		if (r.status !== 'ok') return;
		expect(r.hello).toMatchObject({sni: 'www.example.org', alpn: ['h2', 'http/1.1'], ech: true, esni: false, version: 0x0304, legacyVersion: 0x0303, cipherSuites: 3});
		expect(r.hello.malformed).toBeUndefined();
		expect(r.hello.extensions).toEqual([0x0a0a, 0, 23, 16, 43, 0xfe0d]);
		expect(tlsVersionName(r.hello.version)).toBe('TLS 1.3');
	});

	it('a hello without extensions and one without SNI', () => {
		const plain = helloMessage([]).slice(0, -2); // drop the empty extensions length: SSLv3-style
		plain[3] -= 2;
		const r1 = parseClientHello(records(plain));
		expect(r1).toMatchObject({status: 'ok', hello: {alpn: [], version: 0x0303}});
		expect(r1.status === 'ok' && r1.hello.sni).toBe(undefined);
		const r2 = parseClientHello(records(helloMessage([...alpnExt(['h2']), ...ext(0xffce, [1])])));
		expect(r2).toMatchObject({status: 'ok', hello: {alpn: ['h2'], esni: true}});
		expect(r2.status === 'ok' && r2.hello.sni).toBe(undefined);
	});

	it('handshake spread over many small records', () => {
		const msg = helloMessage(chromeLike);
		for (const size of [1, 3, 4, 5, 50]) {
			expect(parseClientHello(records(msg, size))).toMatchObject({status: 'ok', hello: {sni: 'www.example.org'}});
		}
		// A 1 KiB hello in 1-byte records needs more records than MAX_RECORDS: refused as an attack.
		const big = helloMessage([...chromeLike, ...ext(21, new Array(1000).fill(0))]);
		expect(parseClientHello(records(big, 1)).status).toBe('not-tls');
		expect(parseClientHello(records(big, 100)).status).toBe('ok');
	});

	it('split at every byte boundary into two TCP segments (and several records)', () => {
		for (const recSize of [16384, 40]) {
			const stream = records(helloMessage(chromeLike), recSize);
			for (let cut = 1; cut < stream.length; cut++) {
				const sb = new StreamBuffer(CLIENT_HELLO_BUFFER_CAP);
				sb.push(1000, stream.subarray(0, cut), 1);
				const first = parseClientHello(sb.bytes());
				// Every cut says how much more it needs: past what arrived, within the stream.
				if (first.status !== 'incomplete' || first.need === undefined) expect.fail(`cut ${cut}: ${JSON.stringify(first)}`);
				expect(first.need).toBeGreaterThan(cut);
				expect(first.need).toBeLessThanOrEqual(stream.length);
				sb.push(1000 + cut, stream.subarray(cut), 2);
				expect(okHello(parseClientHello(sb.bytes())).sni).toBe('www.example.org');
				expect(sb.packets).toEqual([1, 2]);
			}
		}
	});

	it('truncated parse salvages the SNI when the rest never comes', () => {
		const stream = records(helloMessage(chromeLike));
		const part = stream.subarray(0, 120);
		expect(parseClientHello(part).status).toBe('incomplete');
		const r = parseClientHello(part, true);
		expect(r).toMatchObject({status: 'ok', hello: {sni: 'www.example.org', truncated: true}});
	});

	it('not TLS: HTTP, a ServerHello, a bad record version, an Alert', () => {
		expect(parseClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')).status).toBe('not-tls');
		const serverHello = records(helloMessage([]));
		serverHello[5] = 2;
		expect(parseClientHello(serverHello).status).toBe('not-tls');
		expect(parseClientHello(Uint8Array.from([22, 9, 1, 0, 10])).status).toBe('not-tls');
		expect(parseClientHello(Uint8Array.from([21, 3, 3, 0, 2, 2, 40])).status).toBe('not-tls');
		expect(parseClientHello(Uint8Array.from([22, 3, 1, 0x7f, 0xff])).status).toBe('not-tls');
	});

	it('hostile lengths: extension and SNI lengths past the end, huge counts', () => {
		// SNI list length lies.
		const lie = ext(0, [...u16(500), 0, ...u16(3), ...bytes('a.b')]);
		const r1 = parseClientHello(records(helloMessage([...lie, ...alpnExt(['h2'])])));
		expect(r1).toMatchObject({status: 'ok', hello: {alpn: ['h2']}});
		// Extension length points past the extensions block.
		const body = helloMessage([...u16(0), ...u16(60000), 1, 2, 3]);
		const r2 = parseClientHello(records(body));
		expect(r2).toMatchObject({status: 'ok', hello: {malformed: true}});
		// 10 000 empty extensions: bounded.
		const many: number[] = [];
		for (let i = 0; i < 10000; i++) many.push(...ext(0x1000 + (i % 100), []));
		expect(okHello(parseClientHello(records(helloMessage(many)))).extensions.length).toBeLessThanOrEqual(128);
		// Session id longer than 32.
		expect(parseClientHello(records(helloMessage([], {sessionId: 40}))).status).toBe('not-tls');
	});

	it('never throws on random mutations', () => {
		const good = records(helloMessage(chromeLike), 60);
		let seed = 99;
		const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 8) % n;
		for (let i = 0; i < 1000; i++) {
			const m = Uint8Array.from(good);
			for (let k = 0; k < 1 + (i % 4); k++) m[rnd(m.length)] = rnd(256);
			const cut = m.subarray(0, rnd(m.length + 1));
			expect(() => parseClientHello(cut)).not.toThrow();
			expect(() => parseClientHello(cut, true)).not.toThrow();
			expect(() => parseHandshakeClientHello(cut.subarray(5), true)).not.toThrow();
		}
	});
});

describe('parseHandshakeClientHello (QUIC CRYPTO, no record layer)', () => {
	it('complete, partial and wrong type', () => {
		const msg = helloMessage(chromeLike);
		expect(parseHandshakeClientHello(msg)).toMatchObject({status: 'ok', hello: {sni: 'www.example.org'}});
		expect(parseHandshakeClientHello(msg.subarray(0, 50))).toEqual({status: 'incomplete', need: msg.length});
		expect(parseHandshakeClientHello(Uint8Array.from([2, 0, 0, 0])).status).toBe('not-tls');
	});
});

describe('looksLikeTls', () => {
	it('accepts handshake record prefixes, rejects others', () => {
		const stream = records(helloMessage(chromeLike));
		for (let n = 1; n <= 10; n++) expect(looksLikeTls(stream.subarray(0, n))).toBe(true);
		expect(looksLikeTls(new Uint8Array(0))).toBe(false);
		expect(looksLikeTls(Buffer.from('GET / HTTP/1.1'))).toBe(false);
		expect(looksLikeTls(Uint8Array.from([22, 3, 3, 0, 10, 2]))).toBe(false); // ServerHello
		expect(looksLikeTls(Uint8Array.from([23, 3, 3, 0, 10, 1]))).toBe(false); // application data
		expect(looksLikeTls(Uint8Array.from([22, 2, 0]))).toBe(false);
	});
});
