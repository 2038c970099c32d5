import {describe, expect, it} from 'vitest';
import {
	HTTP_HEAD_CAP,
	HTTP_REQUEST_BUFFER_CAP,
	headerValue,
	looksLikeHttpRequest,
	parseHttpRequest,
	visibleControls,
} from '../../source/decode/http.js';
import {StreamBuffer} from '../../source/decode/stream-buffer.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const text = (u: Uint8Array) => Buffer.from(u).toString('latin1');

/** The request of a parse that must be 'ok': fails the test otherwise, so no check after it is skipped by an `if`. */
function okRequest(r: ReturnType<typeof parseHttpRequest>) {
	if (r.status !== 'ok') expect.fail(`expected a parsed request, got ${r.status}`);
	return r.req;
}

const GET = 'GET /search?q=tattle HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\nAccept: */*\r\n\r\n';

describe('parseHttpRequest', () => {
	it('reads request line, headers and host', () => {
		const r = parseHttpRequest(b(GET));
		expect(r.status).toBe('ok');
		if (r.status !== 'ok') return;
		expect(r.req).toMatchObject({method: 'GET', path: '/search?q=tattle', version: 'HTTP/1.1', host: 'example.com', bodyBytes: 0, bodyComplete: true, consumed: GET.length, skip: 0});
		expect(r.req.headers).toEqual([['Host', 'example.com'], ['User-Agent', 'test/1.0'], ['Accept', '*/*']]);
		expect(headerValue(r.req.headers, 'user-agent')).toBe('test/1.0');
		expect(headerValue(r.req.headers, 'cookie')).toBeUndefined();
	});

	it('every method in the list, HTTP/1.0, LF-only lines, absolute-form and CONNECT targets', () => {
		for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'TRACE']) {
			expect(parseHttpRequest(b(`${m} / HTTP/1.0\n\n`))).toMatchObject({status: 'ok', req: {method: m, version: 'HTTP/1.0'}});
		}
		expect(parseHttpRequest(b('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'))).toMatchObject({status: 'ok', req: {path: 'example.com:443'}});
		expect(parseHttpRequest(b('GET http://a.example/x HTTP/1.1\r\n\r\n'))).toMatchObject({status: 'ok', req: {path: 'http://a.example/x'}});
	});

	it('split at every byte boundary across two segments', () => {
		const stream = b(`${GET.replace('\r\n\r\n', '\r\nContent-Length: 5\r\n\r\n').replace('GET', 'POST')}hello`);
		for (let cut = 1; cut < stream.length; cut++) {
			const sb = new StreamBuffer(HTTP_REQUEST_BUFFER_CAP);
			sb.push(5, stream.subarray(0, cut), 1);
			const first = parseHttpRequest(sb.bytes());
			if (first.status === 'ok') expect(first.req.bodyComplete).toBe(false);
			else expect(first.status).toBe('incomplete');
			sb.push(5 + cut, stream.subarray(cut), 2);
			const r = parseHttpRequest(sb.bytes());
			expect(r.status).toBe('ok');
			if (r.status !== 'ok') continue;
			expect(r.req.host).toBe('example.com');
			expect(r.req.headers.length).toBe(4);
			expect(text(r.req.body)).toBe('hello');
			expect(r.req.bodyComplete).toBe(true);
			expect(r.req.consumed).toBe(stream.length);
		}
	});

	it('body: partial, capped at maxBody, skip tells how much is still to come', () => {
		const head = 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n';
		const r = parseHttpRequest(b(`${head}${'x'.repeat(30)}`), 10);
		expect(r).toMatchObject({status: 'ok', req: {bodyBytes: 100, bodyComplete: false, consumed: head.length + 30, skip: 70}});
		expect(okRequest(r).body.length).toBe(10);
	});

	it('pipelined requests: consumed lets the caller continue', () => {
		const two = `POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: h2\r\n\r\n`;
		const sb = new StreamBuffer();
		sb.push(0, b(two), 1);
		const r1 = parseHttpRequest(sb.bytes());
		expect(r1).toMatchObject({status: 'ok', req: {path: '/a'}});
		sb.consume(okRequest(r1).consumed);
		expect(parseHttpRequest(sb.bytes())).toMatchObject({status: 'ok', req: {path: '/b', host: 'h2'}});
	});

	it('chunked bodies are de-chunked as far as they arrived', () => {
		const head = 'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';
		const full = `${head}5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n`;
		const r = parseHttpRequest(b(full));
		expect(r).toMatchObject({status: 'ok', req: {chunked: true, bodyComplete: true, bodyBytes: 11, consumed: full.length}});
		expect(text(okRequest(r).body)).toBe('hello world');
		const part = parseHttpRequest(b(`${head}5\r\nhello\r\n6\r\n wo`));
		expect(part).toMatchObject({status: 'ok', req: {bodyComplete: false, bodyBytes: 8}});
		expect(text(okRequest(part).body)).toBe('hello wo');
		expect(text(okRequest(parseHttpRequest(b(full), 7)).body)).toBe('hello w');
	});

	it('folded header lines join the previous value', () => {
		const r = parseHttpRequest(b('GET / HTTP/1.1\r\nX-Long: a\r\n  b\r\nHost: h\r\n\r\n'));
		expect(okRequest(r).headers).toEqual([['X-Long', 'a b'], ['Host', 'h']]);
	});

	it('not HTTP: responses, unknown methods, TLS, binary, bad versions', () => {
		for (const s of ['HTTP/1.1 200 OK\r\n\r\n', 'FOO / HTTP/1.1\r\n\r\n', 'GET / HTTP/2.0\r\n\r\n', 'GET /\r\n\r\n', 'GET  HTTP/1.1\r\n', '\x16\x03\x01\x02\x00\x01']) {
			expect(parseHttpRequest(b(s)).status).toBe('not-http');
		}
		expect(parseHttpRequest(b('GET /\x00x HTTP/1.1\r\n\r\n')).status).toBe('not-http');
		expect(parseHttpRequest(b('GE')).status).toBe('incomplete');
		expect(parseHttpRequest(new Uint8Array(0)).status).toBe('incomplete');
		expect(parseHttpRequest(b('GET /partial-line')).status).toBe('incomplete');
		expect(parseHttpRequest(b('GET /a\x01')).status).toBe('not-http');
	});

	it('an endless header block stops at the cap', () => {
		const huge = b(`GET / HTTP/1.1\r\nHost: h\r\nCookie: ${'c'.repeat(HTTP_HEAD_CAP)}\r\n\r\n`);
		const r = parseHttpRequest(huge);
		expect(r).toMatchObject({status: 'ok', req: {headTruncated: true, host: 'h'}});
		const lines = b(`GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(HTTP_HEAD_CAP / 6 + 10)}`);
		const r2 = parseHttpRequest(lines);
		expect(okRequest(r2).headers.length).toBeLessThanOrEqual(256);
		expect(parseHttpRequest(b(`GET /${'a'.repeat(HTTP_HEAD_CAP)}`)).status).toBe('not-http');
	});

	it('hostile Content-Length and chunk sizes', () => {
		for (const cl of ['-1', '1e9', '99999999999999999999', 'abc', '']) {
			const r = parseHttpRequest(b(`POST / HTTP/1.1\r\nContent-Length: ${cl}\r\n\r\nxyz`));
			expect(r).toMatchObject({status: 'ok', req: {bodyBytes: 0, bodyComplete: true}});
		}
		const r = parseHttpRequest(b('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc'));
		expect(r).toMatchObject({status: 'ok', req: {bodyComplete: true, bodyBytes: 0}});
		const ones = `POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n${'1\r\na\r\n'.repeat(10000)}`;
		expect(() => parseHttpRequest(b(ones))).not.toThrow();
	});

	it('never throws on random mutations', () => {
		const good = b(`${GET.replace('GET', 'POST').replace('\r\n\r\n', '\r\nTransfer-Encoding: chunked\r\n\r\n')}4\r\nabcd\r\n0\r\n\r\n`);
		let seed = 7;
		const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 8) % n;
		for (let i = 0; i < 1000; i++) {
			const m = Uint8Array.from(good);
			for (let k = 0; k < 1 + (i % 4); k++) m[rnd(m.length)] = rnd(256);
			expect(() => parseHttpRequest(m.subarray(0, rnd(m.length + 1)), rnd(100))).not.toThrow();
		}
	});
});

describe('looksLikeHttpRequest', () => {
	it('methods and their prefixes', () => {
		expect(looksLikeHttpRequest(b('GET / HTTP/1.1'))).toBe(true);
		expect(looksLikeHttpRequest(b('PO'))).toBe(true);
		expect(looksLikeHttpRequest(b('OPTIONS *'))).toBe(true);
		expect(looksLikeHttpRequest(b('GETX /'))).toBe(false);
		expect(looksLikeHttpRequest(b('HTTP/1.1 200'))).toBe(false);
		expect(looksLikeHttpRequest(b('get / HTTP/1.1'))).toBe(false);
		expect(looksLikeHttpRequest(new Uint8Array(0))).toBe(false);
	});
});

describe('visibleControls', () => {
	it('writes control characters of a Host out, so an escape cannot eat the next character', () => {
		expect(visibleControls('esc\u001bhost.example')).toBe('esc\\033host.example');
		expect(visibleControls('plain.example')).toBe('plain.example');
		expect(visibleControls(undefined)).toBeUndefined();
	});
});
