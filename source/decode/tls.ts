/**
 * TLS ClientHello decoding: SNI, ALPN, ECH/ESNI presence and the offered version. Reads the
 * record layer (TCP) or a bare handshake message (QUIC CRYPTO data). Bytes in, values out; every
 * length is checked against its container, and bad bytes give 'not-tls', never an exception.
 */

/**
 * Bytes a caller should buffer per flow for a ClientHello. Extensions are capped at 64 KiB by the
 * protocol and real hellos stay far below (11.4 KiB is the largest in the corpus), so 64 KiB plus
 * room for record headers holds every realistic one and bounds a hostile flow.
 */
export const CLIENT_HELLO_BUFFER_CAP = 64 * 1024 + 1024;

/** Largest TLSCiphertext fragment allowed (2^14 + 2048, RFC 8446 5.2); anything larger is not TLS. */
const MAX_RECORD_LEN = 16384 + 2048;

/** Records read while gathering one handshake; a sane client uses 1-3, 1-byte records are an attack. */
const MAX_RECORDS = 256;

/** Extensions examined; browsers send ~20 (GREASE included), 128 leaves room and bounds the loop. */
const MAX_EXTENSIONS = 128;

/** ALPN protocols kept; clients offer 2-4 (h3, h2, http/1.1). */
const MAX_ALPN = 16;

/** Extension types remembered for fingerprinting/debugging; the rest are still parsed. */
const MAX_EXTENSION_TYPES = 64;

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_ECH = 0xfe0d;
const EXT_ESNI = 0xffce;

/** What a ClientHello tells about the connection. Strings are raw (unsanitised). */
export type ClientHello = {
	/** Highest version offered: from supported_versions (GREASE ignored) or legacy_version. */
	version: number;
	legacyVersion: number;
	/** server_name host_name; undefined when the hello has none (IP literal, ECH inner only). */
	sni?: string;
	alpn: string[];
	/** encrypted_client_hello (0xfe0d) present: the SNI above is the public (outer) name. */
	ech: boolean;
	/** Draft ESNI (0xffce) present. */
	esni: boolean;
	/** Extension types in order (first MAX_EXTENSION_TYPES). */
	extensions: number[];
	cipherSuites: number;
	/** An extension's length did not fit its container; fields before it are kept. */
	malformed?: boolean;
	/** Parsed from a prefix of the message (buffer cap or end of flow reached). */
	truncated?: boolean;
};

type ClientHelloResult =
	| {status: 'ok'; hello: ClientHello}
	/** `need`: a lower bound on the total buffer length at which a retry can make progress. */
	| {status: 'incomplete'; need?: number}
	| {status: 'not-tls'};

const NOT_TLS: ClientHelloResult = {status: 'not-tls'};

/** Cheap check on a flow's first payload: could it start a TLS handshake record with a ClientHello? */
export function looksLikeTls(b: Uint8Array): boolean {
	const n = b.length;
	if (n === 0 || b[0] !== CONTENT_HANDSHAKE) return false;
	if (n > 1 && b[1] !== 3) return false;
	if (n > 2 && b[2]! > 4) return false;
	return n <= 5 || b[5] === HANDSHAKE_CLIENT_HELLO;
}

/**
 * Parse a ClientHello from the start of a TCP stream (TLS records). Accumulate the stream and call
 * again while 'incomplete'. With `allowTruncated`, when the buffer is full or the flow ended, a
 * partial hello is parsed as far as it goes (marked `truncated`).
 */
export function parseClientHello(buf: Uint8Array, allowTruncated = false): ClientHelloResult {
	let pos = 0;
	let first: Uint8Array | undefined;
	let parts: Uint8Array[] | undefined;
	let gathered = 0;
	let total = -1;
	let need = 0;
	for (let records = 0; ; records++) {
		if (records >= MAX_RECORDS) return NOT_TLS;
		if (buf.length - pos < 5) {
			if (!recordPrefixOk(buf, pos)) return NOT_TLS;
			need = pos + 5 + Math.max(1, total < 0 ? 4 - gathered : total - gathered);
			break;
		}
		if (buf[pos] !== CONTENT_HANDSHAKE || buf[pos + 1] !== 3 || buf[pos + 2]! > 4) return NOT_TLS;
		const len = (buf[pos + 3]! << 8) | buf[pos + 4]!;
		if (len === 0 || len > MAX_RECORD_LEN) return NOT_TLS;
		const recEnd = pos + 5 + len;
		const frag = buf.subarray(pos + 5, Math.min(recEnd, buf.length));
		if (frag.length > 0) {
			if (first === undefined) first = frag;
			else (parts ??= [first]).push(frag);
			gathered += frag.length;
		}
		if (first !== undefined && first[0] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
		if (total < 0 && gathered >= 4) {
			const head = parts ? concat(parts, 4) : first!;
			total = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
		}
		if (total >= 0 && gathered >= total) {
			const msg = parts ? concat(parts, total) : first!.subarray(0, total);
			return helloResult(msg.subarray(4), total - 4, false);
		}
		if (recEnd > buf.length) {
			const missing = total < 0 ? Math.max(1, 4 - gathered) : total - gathered;
			need = Math.min(recEnd, buf.length + missing);
			break;
		}
		pos = recEnd;
	}
	if (allowTruncated && total >= 0 && gathered > 4) {
		const msg = parts ? concat(parts, gathered) : first!;
		return helloResult(msg.subarray(4), total - 4, true);
	}
	return {status: 'incomplete', need};
}

/**
 * Parse a ClientHello handshake message without record layer (QUIC CRYPTO stream, RFC 9001 4.1).
 * `allowTruncated` as for parseClientHello.
 */
export function parseHandshakeClientHello(msg: Uint8Array, allowTruncated = false): ClientHelloResult {
	if (msg.length === 0) return {status: 'incomplete', need: 4};
	if (msg[0] !== HANDSHAKE_CLIENT_HELLO) return NOT_TLS;
	if (msg.length < 4) return {status: 'incomplete', need: 4};
	const total = 4 + ((msg[1]! << 16) | (msg[2]! << 8) | msg[3]!);
	if (msg.length >= total) return helloResult(msg.subarray(4, total), total - 4, false);
	if (allowTruncated && msg.length > 4) return helloResult(msg.subarray(4), total - 4, true);
	return {status: 'incomplete', need: total};
}

function helloResult(body: Uint8Array, declared: number, truncated: boolean): ClientHelloResult {
	const hello = parseClientHelloBody(body, declared);
	if (!hello) return NOT_TLS;
	if (truncated) hello.truncated = true;
	return {status: 'ok', hello};
}

/** A partial record header at pos that is still consistent with TLS. */
function recordPrefixOk(buf: Uint8Array, pos: number): boolean {
	const n = buf.length - pos;
	if (n >= 1 && buf[pos] !== CONTENT_HANDSHAKE) return false;
	if (n >= 2 && buf[pos + 1] !== 3) return false;
	if (n >= 3 && buf[pos + 2]! > 4) return false;
	return true;
}

function concat(parts: Uint8Array[], limit: number): Uint8Array {
	const out = new Uint8Array(limit);
	let off = 0;
	for (const p of parts) {
		if (off >= limit) break;
		const take = Math.min(p.length, limit - off);
		out.set(p.subarray(0, take), off);
		off += take;
	}
	return out;
}

/**
 * Parse a ClientHello body (after the 4-byte handshake header). `declared` is the body length the
 * header announced; `body` may be shorter (truncated parse). Undefined when the fixed part is bad.
 */
function parseClientHelloBody(body: Uint8Array, declared: number = body.length): ClientHello | undefined {
	const end = Math.min(body.length, declared);
	let p = 0;
	if (end < 2 + 32 + 1) return undefined;
	const legacyVersion = (body[0]! << 8) | body[1]!;
	if (body[0] !== 3 && legacyVersion !== 0xfeff && legacyVersion !== 0xfefd) return undefined;
	p = 34;
	const sidLen = body[p]!;
	if (sidLen > 32) return undefined;
	p += 1 + sidLen;
	if (p + 2 > end) return undefined;
	const csLen = (body[p]! << 8) | body[p + 1]!;
	if (csLen % 2 !== 0 || p + 2 + csLen > declared) return undefined;
	p += 2 + csLen;
	const hello: ClientHello = {version: legacyVersion, legacyVersion, alpn: [], ech: false, esni: false, extensions: [], cipherSuites: csLen / 2};
	if (p >= end) return p > end && end === declared ? undefined : hello;
	const compLen = body[p]!;
	if (p + 1 + compLen > declared) return undefined;
	p += 1 + compLen;
	if (p + 2 > end) return hello;
	const extLen = (body[p]! << 8) | body[p + 1]!;
	p += 2;
	if (p + extLen > declared) hello.malformed = true;
	const extEnd = Math.min(p + extLen, end);
	for (let n = 0; n < MAX_EXTENSIONS && p + 4 <= extEnd; n++) {
		const type = (body[p]! << 8) | body[p + 1]!;
		const len = (body[p + 2]! << 8) | body[p + 3]!;
		const dataStart = p + 4;
		const dataEnd = dataStart + len;
		if (hello.extensions.length < MAX_EXTENSION_TYPES) hello.extensions.push(type);
		if (type === EXT_ECH) hello.ech = true;
		else if (type === EXT_ESNI) hello.esni = true;
		if (dataEnd > extEnd) {
			// A truncated parse legitimately stops mid-extension; otherwise the length lies.
			if (end === declared) hello.malformed = true;
			break;
		}
		if (type === EXT_SERVER_NAME) readServerName(body, dataStart, dataEnd, hello);
		else if (type === EXT_ALPN) readAlpn(body, dataStart, dataEnd, hello);
		else if (type === EXT_SUPPORTED_VERSIONS) readSupportedVersions(body, dataStart, dataEnd, hello);
		p = dataEnd;
	}
	return hello;
}

// Extension readers take (bytes, start, end) rather than a view: a view per extension is an
// allocation per extension on the hot path.

function readServerName(d: Uint8Array, start: number, end: number, hello: ClientHello): void {
	if (end - start < 2) return void (hello.malformed = true);
	const listEnd = Math.min(start + 2 + ((d[start]! << 8) | d[start + 1]!), end);
	// Each entry takes at least 3 bytes, so the loop is bounded by the extension length.
	for (let p = start + 2; p + 3 <= listEnd; ) {
		const nameType = d[p]!;
		const len = (d[p + 1]! << 8) | d[p + 2]!;
		if (p + 3 + len > listEnd) return void (hello.malformed = true);
		if (nameType === 0 && hello.sni === undefined) hello.sni = decodeRange(d, p + 3, p + 3 + len);
		p += 3 + len;
	}
}

function readAlpn(d: Uint8Array, start: number, end: number, hello: ClientHello): void {
	if (end - start < 2) return void (hello.malformed = true);
	const listEnd = Math.min(start + 2 + ((d[start]! << 8) | d[start + 1]!), end);
	for (let p = start + 2; p < listEnd && hello.alpn.length < MAX_ALPN; ) {
		const len = d[p]!;
		if (len === 0 || p + 1 + len > listEnd) return void (hello.malformed = true);
		hello.alpn.push(decodeRange(d, p + 1, p + 1 + len));
		p += 1 + len;
	}
}

function readSupportedVersions(d: Uint8Array, start: number, end: number, hello: ClientHello): void {
	if (end - start < 1) return;
	const listEnd = Math.min(start + 1 + d[start]!, end);
	for (let p = start + 1; p + 2 <= listEnd; p += 2) {
		const v = (d[p]! << 8) | d[p + 1]!;
		// GREASE values (RFC 8701) look like 0x?a?a and must not count as a version.
		if ((v & 0x0f0f) === 0x0a0a) continue;
		if (v > hello.version && v <= 0x03ff) hello.version = v;
	}
}

const utf8 = new TextDecoder('utf-8');

/** Bytes to string: ASCII fast path, else lenient UTF-8 (invalid bytes become U+FFFD). */
export function decodeText(b: Uint8Array): string {
	return decodeRange(b, 0, b.length);
}

/** decodeText of b[from, to) without making a view (views cost an allocation each on the hot path). */
export function decodeRange(b: Uint8Array, from: number, to: number): string {
	let s = '';
	for (let i = from; i < to; i++) {
		const c = b[i]!;
		if (c >= 0x80) return utf8.decode(b.subarray(from, to));
		s += String.fromCharCode(c);
	}
	return s;
}

/** TLS version number as text ("TLS 1.3"), for display. */
export function tlsVersionName(v: number): string {
	switch (v) {
		case 0x0300:
			return 'SSL 3.0';
		case 0x0301:
			return 'TLS 1.0';
		case 0x0302:
			return 'TLS 1.1';
		case 0x0303:
			return 'TLS 1.2';
		case 0x0304:
			return 'TLS 1.3';
		default:
			return `0x${v.toString(16).padStart(4, '0')}`;
	}
}
