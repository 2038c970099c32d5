/**
 * HTTP/1.x request decoding: request line, headers and the first bytes of the body (Content-Length
 * or de-chunked), from a per-direction stream buffer. Bytes in, values out; hostile input gives
 * 'not-http' or a capped result, never an exception.
 *
 * Over 300 lines because request line, headers and body framing (Content-Length, chunked) are one
 * incremental parser over one buffer, each cap with its reason.
 */
import {controlEscape} from './dns.js';
import {decodeRange} from './tls.js';

/**
 * Header block cap. Servers refuse far less (nginx 8 KiB a line, Apache 8 KiB a field, most CDNs
 * 16-32 KiB total), so 32 KiB keeps every request a server would accept, big cookies included.
 */
export const HTTP_HEAD_CAP = 32 * 1024;

/** Body bytes kept by default: enough for payload inspection (URLs, identifiers, JSON telemetry). */
export const HTTP_BODY_CAP = 64 * 1024;

/** Bytes a caller should buffer per flow direction: one full head plus the kept body. */
export const HTTP_REQUEST_BUFFER_CAP = HTTP_HEAD_CAP + HTTP_BODY_CAP;

/** Header lines kept; real requests have 5-30, the head cap bounds the rest. */
const MAX_HEADERS = 256;

/** Longest chunk-size line (size + extensions) looked at; real ones are under 20 bytes. */
const MAX_CHUNK_LINE = 1024;

/** Chunks walked per parse; a body of 1-byte chunks must not cost more than this. */
const MAX_CHUNKS = 4096;

/**
 * Methods recognised: RFC 9110 plus PATCH, the WebDAV ones clients actually send, and the SSDP/GENA
 * ones (HTTP over UDP 1900: how a phone announces and discovers devices on the LAN).
 */
export const HTTP_METHODS = [
	'GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE',
	'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
	'M-SEARCH', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE',
] as const;

const METHOD_BYTES = HTTP_METHODS.map((m) => Uint8Array.from(m, (c) => c.charCodeAt(0)));
const METHOD_SET = new Set<string>(HTTP_METHODS);
/** Longest method + the space after it: a request line shorter than this cannot be judged yet. */
const MAX_METHOD_LEN = Math.max(...HTTP_METHODS.map((m) => m.length));
/** First letters of known methods, for a one-compare rejection. */
const FIRST_BYTES = new Uint8Array(256);
for (const m of METHOD_BYTES) FIRST_BYTES[m[0]!] = 1;

const LF = 10;
const CR = 13;
const SP = 32;
const HT = 9;

type HttpRequestHead = {
	method: string;
	/** Request-target as sent (origin-form path, absolute URI, authority or '*'). */
	path: string;
	/** 'HTTP/1.0' or 'HTTP/1.1'. */
	version: string;
	/** Header lines in order, names as sent. */
	headers: Array<[string, string]>;
	/** Host header value, when present. */
	host?: string;
};

type HttpRequest = HttpRequestHead & {
	/** First `maxBody` body bytes that have arrived (de-chunked when chunked); a copy. */
	body: Uint8Array;
	/** Content-Length when given, else de-chunked bytes seen so far. */
	bodyBytes: number;
	/** Bytes of the buffer this request occupies so far (head + body bytes present). */
	consumed: number;
	/** True when the whole body is in the buffer (or there is none). */
	bodyComplete: boolean;
	/** Body bytes still to come beyond the buffer (Content-Length only): skip them to reach a pipelined request. */
	skip: number;
	chunked: boolean;
	/** The head exceeded HTTP_HEAD_CAP: headers are partial and the stream cannot be followed further. */
	headTruncated?: boolean;
};

type HttpRequestResult = {status: 'ok'; req: HttpRequest} | {status: 'incomplete'} | {status: 'not-http'};

/** Shared empty body (never written): a fresh zero-length ArrayBuffer per request costs more than the parse. */
const EMPTY: Uint8Array = new Uint8Array(0);

/** A copy (Buffer#slice would return a view into the stream buffer, which gets reused). */
function copyBytes(buf: Uint8Array, from: number, to: number): Uint8Array {
	return to > from ? Uint8Array.prototype.slice.call(buf, from, to) : EMPTY;
}

const NOT_HTTP: HttpRequestResult = {status: 'not-http'};

/** First index of byte c in buf[from, to), or -1. A plain loop: no view allocation for short lines. */
function findByte(buf: Uint8Array, c: number, from: number, to: number): number {
	for (let i = from; i < to; i++) if (buf[i] === c) return i;
	return -1;
}
const INCOMPLETE: HttpRequestResult = {status: 'incomplete'};

/** Cheap check on a flow's first payload: does it start with a known method and a space (or a prefix of one)? */
export function looksLikeHttpRequest(b: Uint8Array): boolean {
	if (b.length === 0 || FIRST_BYTES[b[0]!] === 0) return false;
	for (const m of METHOD_BYTES) {
		if (methodMatch(b, 0, m) !== 'no') return true;
	}
	return false;
}

/** Compare the method at p with m: 'yes' (method + SP), 'prefix' (buffer ends inside it), 'no'. */
function methodMatch(b: Uint8Array, p: number, m: Uint8Array): 'yes' | 'prefix' | 'no' {
	for (let i = 0; i <= m.length; i++) {
		if (p + i >= b.length) return 'prefix';
		if (b[p + i] !== (i < m.length ? m[i] : SP)) return 'no';
	}
	return 'yes';
}

/** Case-insensitive header lookup (first match). */
export function headerValue(headers: ReadonlyArray<readonly [string, string]>, name: string): string | undefined {
	const want = name.toLowerCase();
	for (const [k, v] of headers) if (k.length === want.length && k.toLowerCase() === want) return v;
	return undefined;
}

/**
 * Parse one HTTP/1.x request at the start of buf. 'ok' as soon as the head is complete; the body
 * is what has arrived so far (see bodyComplete/skip). Pipelined requests: consume `consumed`
 * bytes (and skip `skip` more) and call again.
 */
export function parseHttpRequest(buf: Uint8Array, maxBody: number = HTTP_BODY_CAP): HttpRequestResult {
	const limit = Math.min(buf.length, HTTP_HEAD_CAP);
	const lineEnd = findByte(buf, LF, 0, limit);
	if (lineEnd < 0) {
		if (buf.length >= HTTP_HEAD_CAP) return NOT_HTTP;
		if (buf.length === 0) return INCOMPLETE;
		return looksLikeHttpRequest(buf) && !hasControl(buf, 0, buf.length) ? INCOMPLETE : NOT_HTTP;
	}
	const head = parseRequestLine(buf, lineEnd);
	if (!head) return NOT_HTTP;
	let p = lineEnd + 1;
	let headEnd = -1;
	// Each iteration consumes one line (>= 1 byte), so the head cap bounds the loop.
	while (p < limit) {
		const eol = findByte(buf, LF, p, limit);
		if (eol < 0) break;
		const contentEnd = eol > p && buf[eol - 1] === CR ? eol - 1 : eol;
		if (contentEnd === p) {
			headEnd = eol + 1;
			break;
		}
		addHeaderLine(head, buf, p, contentEnd);
		p = eol + 1;
	}
	if (headEnd < 0 && buf.length < HTTP_HEAD_CAP) return INCOMPLETE;
	head.host = visibleControls(headerValue(head.headers, 'host'));
	if (headEnd < 0) {
		return {status: 'ok', req: {...head, body: EMPTY, bodyBytes: 0, consumed: p, bodyComplete: true, skip: 0, chunked: false, headTruncated: true}};
	}
	return {status: 'ok', req: readBody(buf, headEnd, head, Math.max(0, maxBody))};
}

function parseRequestLine(buf: Uint8Array, lineEnd: number): HttpRequestHead | undefined {
	const end = lineEnd > 0 && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
	const sp1 = findByte(buf, SP, 0, Math.min(end, MAX_METHOD_LEN + 1));
	if (sp1 <= 0) return undefined;
	const method = decodeRange(buf, 0, sp1);
	if (!METHOD_SET.has(method)) return undefined;
	let sp2 = end - 1;
	while (sp2 > sp1 && buf[sp2] !== SP) sp2--;
	if (sp2 <= sp1 + 1) return undefined;
	const version = decodeRange(buf, sp2 + 1, end);
	if (!/^HTTP\/1\.[0-9]$/.test(version)) return undefined;
	if (hasControl(buf, sp1 + 1, sp2)) return undefined;
	const path = decodeRange(buf, sp1 + 1, sp2);
	return {method, path, version, headers: []};
}

/** Any control byte (or space) in a request-target means this is not a request line. */
function hasControl(buf: Uint8Array, from: number, to: number): boolean {
	for (let i = from; i < to; i++) {
		const c = buf[i]!;
		if (c < 0x20 || c === 0x7f) {
			if (c !== CR || i !== to - 1) return true;
		}
	}
	return false;
}

function addHeaderLine(head: HttpRequestHead, buf: Uint8Array, from: number, to: number): void {
	const first = buf[from];
	const last = head.headers[head.headers.length - 1];
	if ((first === SP || first === HT) && last) {
		// Obsolete line folding (RFC 9112 5.2): a continuation of the previous value.
		last[1] = `${last[1]} ${trimmed(buf, from, to)}`.trim();
		return;
	}
	if (head.headers.length >= MAX_HEADERS) return;
	const colon = findByte(buf, 0x3a, from, to);
	// A line without a colon is not a header; lenient parsers (tshark, browsers) skip it.
	if (colon <= from) return;
	head.headers.push([decodeRange(buf, from, colon), trimmed(buf, colon + 1, to)]);
}

/** Text of buf[from, to) without leading/trailing spaces and tabs. */
function trimmed(buf: Uint8Array, from: number, to: number): string {
	let a = from;
	let b = to;
	while (a < b && (buf[a] === SP || buf[a] === HT)) a++;
	while (b > a && (buf[b - 1] === SP || buf[b - 1] === HT)) b--;
	return decodeRange(buf, a, b);
}

function readBody(buf: Uint8Array, headEnd: number, head: HttpRequestHead, maxBody: number): HttpRequest {
	const te = headerValue(head.headers, 'transfer-encoding');
	if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) return readChunked(buf, headEnd, head, maxBody);
	const length = parseContentLength(headerValue(head.headers, 'content-length')) ?? 0;
	const present = Math.min(length, buf.length - headEnd);
	return {
		method: head.method,
		path: head.path,
		version: head.version,
		headers: head.headers,
		host: head.host,
		body: copyBytes(buf, headEnd, headEnd + Math.min(present, maxBody)),
		bodyBytes: length,
		consumed: headEnd + present,
		bodyComplete: present === length,
		skip: length - present,
		chunked: false,
	};
}

/** Content-Length as a number; 0 when absent or not a plain decimal (a request without it has no body). */
/** A Content-Length value, or undefined when it is absent or not a plain number. */
export function parseContentLength(v: string | undefined): number | undefined {
	// 15 digits stay exact in a double and exceed any real upload.
	return v !== undefined && /^[0-9]{1,15}$/.test(v) ? Number(v) : undefined;
}

function readChunked(buf: Uint8Array, headEnd: number, head: HttpRequestHead, maxBody: number): HttpRequest {
	const parts: Uint8Array[] = [];
	let kept = 0;
	let seen = 0;
	let p = headEnd;
	let complete = false;
	for (let n = 0; n < MAX_CHUNKS; n++) {
		const lf = findByte(buf, LF, p, Math.min(buf.length, p + MAX_CHUNK_LINE)) - p;
		if (lf < 0) break;
		const size = parseChunkSize(buf, p, p + lf);
		if (size < 0) {
			// A broken size line: nothing after it can be framed, so the body ends here.
			complete = true;
			break;
		}
		const dataStart = p + lf + 1;
		if (size === 0) {
			const trailerEnd = findBlankLine(buf, dataStart);
			if (trailerEnd >= 0) {
				p = trailerEnd;
				complete = true;
			}
			break;
		}
		const avail = Math.min(size, buf.length - dataStart);
		if (kept < maxBody) {
			const take = Math.min(avail, maxBody - kept);
			parts.push(buf.subarray(dataStart, dataStart + take));
			kept += take;
		}
		seen += avail;
		if (avail < size) break;
		let next = dataStart + size;
		if (buf[next] === CR) next++;
		if (next >= buf.length) break;
		if (buf[next] === LF) next++;
		p = next;
	}
	const body = kept > 0 ? new Uint8Array(kept) : EMPTY;
	let off = 0;
	for (const part of parts) {
		body.set(part, off);
		off += part.length;
	}
	return {...head, body, bodyBytes: seen, consumed: p, bodyComplete: complete, skip: 0, chunked: true};
}

/** Hex chunk size before any ';' extension; -1 when invalid. */
function parseChunkSize(buf: Uint8Array, from: number, to: number): number {
	let v = 0;
	let digits = 0;
	for (let i = from; i < to; i++) {
		const c = buf[i]!;
		const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
		if (d < 0) {
			if (c === 0x3b || c === CR || c === SP || c === HT) break;
			return -1;
		}
		// 13 hex digits stay exact in a double.
		if (++digits > 13) return -1;
		v = v * 16 + d;
	}
	return digits === 0 ? -1 : v;
}

/** Offset after the empty line that ends a trailer section starting at p; -1 when not there yet. */
function findBlankLine(buf: Uint8Array, p: number): number {
	let q = p;
	for (let n = 0; n < MAX_HEADERS && q < buf.length; n++) {
		const eol = findByte(buf, LF, q, buf.length);
		if (eol < 0) return -1;
		const lf = eol - q;
		if (lf === 0 || (lf === 1 && buf[q] === CR)) return q + lf + 1;
		q += lf + 1;
	}
	return -1;
}

const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Control characters in a Host header written out as DNS names show them (`\033`, `\t`), so the
 * host the evidence names is the one that was sent: the display sanitiser would drop an escape
 * sequence together with the character after it.
 */
export function visibleControls(v: string | undefined): string | undefined {
	return v === undefined ? v : v.replace(CONTROLS, (c) => controlEscape(c.charCodeAt(0)));
}
