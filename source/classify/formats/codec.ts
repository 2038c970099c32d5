/**
 * Low-level, bounded decoders shared by inspectPayload and the format recognisers.
 * Every function takes hostile input: none throws, each returns undefined when the input does
 * not decode (or does not look like the encoding at all).
 */
import {gunzipSync, inflateSync, inflateRawSync, constants as zlibConstants} from 'node:zlib';

/** Shortest base64 string worth decoding: shorter tokens are ids and words, not payloads. */
const MIN_BASE64_CHARS = 16;
/** Shortest hex string worth decoding: 32 chars = 16 bytes, one AES block or an MD5. */
const MIN_HEX_CHARS = 32;
/** Bytes sampled for the text/binary decision and for entropy: enough for a stable estimate. */
const SAMPLE_BYTES = 4096;
/** Fraction of printable characters for bytes to count as text (UTF-8 with a few controls). */
const TEXT_PRINTABLE_RATIO = 0.9;

const textDecoder = new TextDecoder('utf-8', {fatal: false});

/** Decode bytes as UTF-8, replacing invalid sequences. */
export function utf8(bytes: Uint8Array): string {
	return textDecoder.decode(bytes);
}

/** True when the bytes start with the gzip magic (1f 8b 08). */
export function isGzip(bytes: Uint8Array): boolean {
	return bytes.length >= 10 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 0x08;
}

/** True when the bytes start with a valid zlib header (deflate method, header checksum ok). */
export function isZlib(bytes: Uint8Array): boolean {
	if (bytes.length < 6) return false;
	const cmf = bytes[0]!;
	const flg = bytes[1]!;
	return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
}

type InflateResult = {data?: Uint8Array; tooLarge?: boolean};

/**
 * Decompress gzip, zlib or raw deflate with a hard output bound. A truncated stream (bodies are
 * captured with a cap) yields what was decompressed so far, thanks to Z_SYNC_FLUSH.
 */
export function inflateBounded(bytes: Uint8Array, kind: 'gzip' | 'zlib' | 'raw', maxOutput: number): InflateResult {
	if (maxOutput <= 0) return {tooLarge: true};
	const options = {maxOutputLength: maxOutput, finishFlush: zlibConstants.Z_SYNC_FLUSH};
	try {
		const fn = kind === 'gzip' ? gunzipSync : kind === 'zlib' ? inflateSync : inflateRawSync;
		const out = fn(bytes, options);
		return {data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength)};
	} catch (error) {
		const code = (error as {code?: string}).code;
		if (code === 'ERR_BUFFER_TOO_LARGE') return {tooLarge: true};
		return {};
	}
}

const BASE64_STD = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9_-]+={0,2}$/;

/**
 * Decode a string that plausibly is base64 or base64url: long enough, only that alphabet, a
 * length that base64 can produce, and not a plain word (it needs a digit or a case mix).
 */
export function decodeBase64(text: string): {bytes: Uint8Array; variant: 'base64' | 'base64url'} | undefined {
	const s = text.trim();
	if (s.length < MIN_BASE64_CHARS) return undefined;
	const body = s.replace(/=+$/, '');
	// A length of 4n+1 can never come out of a base64 encoder.
	if (body.length % 4 === 1) return undefined;
	let variant: 'base64' | 'base64url';
	if (BASE64_STD.test(s)) variant = 'base64';
	else if (BASE64_URL.test(s)) variant = 'base64url';
	else return undefined;
	if (!/[0-9]/.test(body) && !(/[a-z]/.test(body) && /[A-Z]/.test(body))) return undefined;
	const buf = Buffer.from(body, variant === 'base64' ? 'base64' : 'base64url');
	if (buf.length === 0) return undefined;
	return {bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), variant};
}

/** Decode a long, even-length hex string; undefined for anything else. */
export function decodeHex(text: string, minChars = MIN_HEX_CHARS): Uint8Array | undefined {
	const s = text.trim();
	if (s.length < minChars || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
	const buf = Buffer.from(s, 'hex');
	return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** True when a sample of the bytes reads as text (UTF-8, nearly all printable). */
export function looksLikeText(bytes: Uint8Array): boolean {
	if (bytes.length === 0) return false;
	const sample = utf8(bytes.subarray(0, SAMPLE_BYTES));
	let printable = 0;
	let total = 0;
	for (const ch of sample) {
		total++;
		const c = ch.codePointAt(0)!;
		if (c === 0xfffd) continue;
		if (c === 9 || c === 10 || c === 13 || (c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0))) printable++;
	}
	return total > 0 && printable / total >= TEXT_PRINTABLE_RATIO;
}

/** Shannon entropy in bits per byte of the first `sample` bytes (0..8). */
export function shannonEntropy(bytes: Uint8Array, sample = SAMPLE_BYTES): number {
	const n = Math.min(bytes.length, sample);
	if (n === 0) return 0;
	const counts = new Uint32Array(256);
	for (let i = 0; i < n; i++) counts[bytes[i]!]!++;
	let h = 0;
	for (const c of counts) {
		if (c === 0) continue;
		const p = c / n;
		h -= p * Math.log2(p);
	}
	return h;
}

/** Java's String.hashCode (UTF-16 code units, 32-bit wrap-around), as Sensors Analytics' crc uses. */
export function javaStringHashCode(s: string): number {
	let h = 0;
	for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
	return h;
}

/** decodeURIComponent that never throws; '+' means space as in forms when `plus` is set. */
export function percentDecode(s: string, plus = true): string {
	const t = plus ? s.replace(/\+/g, ' ') : s;
	if (!t.includes('%')) return t;
	try {
		return decodeURIComponent(t);
	} catch {
		// Malformed escapes: decode the valid ones, keep the rest raw.
		return t.replace(/(%[0-9a-fA-F]{2})+/g, (m) => {
			try {
				return decodeURIComponent(m);
			} catch {
				return m;
			}
		});
	}
}

/** Form keys are short identifiers; anything else means the text is not a form. */
const FORM_KEY = /^[A-Za-z0-9_.\-[\]$%*~!:@]{1,64}$/;

/**
 * Parse `a=1&b=2` (a form body or a query string). Undefined when the text does not look like
 * a form: every pair needs a plausible key and no whitespace. Keeps at most `maxPairs`.
 */
export function parseForm(text: string, maxPairs: number): Array<[string, string]> | undefined {
	const s = text.trim().replace(/^\?/, '');
	if (!s.includes('=') || /\s/.test(s)) return undefined;
	const out: Array<[string, string]> = [];
	for (const part of s.split('&', maxPairs + 1)) {
		if (part === '') continue;
		if (out.length >= maxPairs) break;
		const eq = part.indexOf('=');
		const rawKey = eq < 0 ? part : part.slice(0, eq);
		if (!FORM_KEY.test(rawKey)) return undefined;
		out.push([percentDecode(rawKey), eq < 0 ? '' : percentDecode(part.slice(eq + 1))]);
	}
	return out.length > 0 ? out : undefined;
}

/** Remove PKCS#5/7 padding; undefined when the padding is invalid (wrong key, usually). */
export function unpadPkcs7(bytes: Uint8Array, blockSize = 16): Uint8Array | undefined {
	if (bytes.length === 0 || bytes.length % blockSize !== 0) return undefined;
	const pad = bytes[bytes.length - 1]!;
	if (pad < 1 || pad > blockSize) return undefined;
	for (let i = bytes.length - pad; i < bytes.length; i++) if (bytes[i] !== pad) return undefined;
	return bytes.subarray(0, bytes.length - pad);
}

