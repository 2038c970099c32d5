/**
 * QUIC client Initial decoding (v1 RFC 9001, v2 RFC 9369, drafts 23-32): remove header protection,
 * decrypt with the keys every observer can derive from the Destination Connection ID, gather CRYPTO
 * frames (possibly split across packets and out of order) and read the TLS ClientHello in them.
 * No I/O; the only state is the caller's per-connection QuicCryptoState and a memo of derived keys.
 *
 * Over 300 lines because header protection, Initial keys for v1, v2 and the drafts, and CRYPTO
 * frame gathering are steps of one decryption.
 */
import {createCipheriv, createDecipheriv, createHmac, type Cipher} from 'node:crypto';
import {type ClientHello, parseHandshakeClientHello} from './tls.js';
import {hkdfExpandLabel} from './tls-crypto.js';

/**
 * CRYPTO stream bytes gathered per connection. The ClientHello is the only thing in the client's
 * Initial CRYPTO stream and stays far below 64 KiB (Chrome with a post-quantum share: ~1.8 KiB).
 */
export const QUIC_CRYPTO_CAP = 64 * 1024;

/** CRYPTO fragments kept per connection; Chromium splits a hello into ~5-20 scattered frames. */
const MAX_CRYPTO_CHUNKS = 128;

/** Packet indices remembered as evidence per connection. */
const MAX_PACKET_INDICES = 16;

/** Long-header packets examined per datagram; clients coalesce at most Initial + 0-RTT (+ Handshake). */
const MAX_COALESCED = 8;

/** Non-padding frames read per packet; a hostile packet of 1-byte PINGs must not spin long. */
const MAX_FRAMES = 512;

/** Derived key sets memoised; a capture has few live Initial DCIDs at once, Chromium reuses one per connection. */
const KEY_CACHE_SIZE = 64;

/** Connection IDs longer than this are invalid in v1/v2 (RFC 9000 17.2). */
const MAX_CID_LEN = 20;

const AEAD_TAG_LEN = 16;
const HP_SAMPLE_LEN = 16;

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

type VersionInfo = {salt: Buffer; v2: boolean};

const SALT_V1 = Buffer.from('38762cf7f55934b34d179ae6a4c80cadccbb7f0a', 'hex');
const SALT_V2 = Buffer.from('0dede3def700a6db819381be6e269dcbf9bd2ed9', 'hex');
const SALT_DRAFT29 = Buffer.from('afbfec289993d24c9e9786f19c6111e04390a899', 'hex');
const SALT_DRAFT23 = Buffer.from('c3eef712c72ebb5a11a7d2432bb46365bef9f502', 'hex');

/** Salt and label family for a version; undefined for versions we cannot decrypt. */
function versionInfo(version: number): VersionInfo | undefined {
	if (version === QUIC_V1) return {salt: SALT_V1, v2: false};
	if (version === QUIC_V2) return {salt: SALT_V2, v2: true};
	// IETF drafts: 0xff0000NN.
	if (version >>> 8 === 0xff0000) {
		const draft = version & 0xff;
		if (draft >= 29 && draft <= 34) return {salt: SALT_DRAFT29, v2: false};
		if (draft >= 23 && draft <= 28) return {salt: SALT_DRAFT23, v2: false};
	}
	// Facebook mvfst's draft-27 based version.
	if (version === 0xfaceb002) return {salt: SALT_DRAFT23, v2: false};
	return undefined;
}

/** Client Initial keys for one DCID. */
type QuicKeys = {key: Buffer; iv: Buffer; hp: Buffer; hpCipher: Cipher};

/** Client Initial secret (RFC 9001 5.2), exported for the RFC test vectors. */
export function clientInitialSecret(dcid: Uint8Array, version: number): Buffer | undefined {
	const info = versionInfo(version);
	if (!info) return undefined;
	const initial = createHmac('sha256', info.salt).update(dcid).digest();
	return hkdfExpandLabel('sha256', initial, 'client in', 32);
}

/** Derive the client Initial key, IV and header-protection key for a DCID and version. */
export function deriveClientKeys(dcid: Uint8Array, version: number): QuicKeys | undefined {
	const info = versionInfo(version);
	const secret = clientInitialSecret(dcid, version);
	if (!info || !secret) return undefined;
	const prefix = info.v2 ? 'quicv2 ' : 'quic ';
	const key = hkdfExpandLabel('sha256', secret, `${prefix}key`, 16);
	const iv = hkdfExpandLabel('sha256', secret, `${prefix}iv`, 12);
	const hp = hkdfExpandLabel('sha256', secret, `${prefix}hp`, 16);
	// The HP mask is AES-ECB *encryption* of the sample (RFC 9001 5.4.3); ECB keeps no state between
	// blocks, so one cipher object serves every packet.
	const hpCipher = createCipheriv('aes-128-ecb', hp, null);
	hpCipher.setAutoPadding(false);
	return {key, iv, hp, hpCipher};
}

/** Small LRU of derived keys (a memo of a pure function: results never differ, only cost). */
const keyCache = new Map<string, QuicKeys>();

function cachedKeys(dcid: Uint8Array, version: number): QuicKeys | undefined {
	const id = `${version}:${hex(dcid)}`;
	const hit = keyCache.get(id);
	if (hit) {
		keyCache.delete(id);
		keyCache.set(id, hit);
		return hit;
	}
	const keys = deriveClientKeys(dcid, version);
	if (!keys) return undefined;
	if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
	keyCache.set(id, keys);
	return keys;
}

/** Per client connection: CRYPTO data gathered across Initial packets. Create with newQuicCryptoState. */
export type QuicCryptoState = {
	/** DCID of the first Initial that decrypted (its keys stay valid after the server picks a new CID). */
	dcid?: Uint8Array;
	version?: number;
	keys?: QuicKeys;
	chunks: Array<{offset: number; data: Uint8Array}>;
	/** Packet indices that carried CRYPTO data. */
	packets: number[];
	/** CRYPTO bytes refused (beyond QUIC_CRYPTO_CAP or chunk cap). */
	dropped: number;
	/** Set once the ClientHello was parsed; the caller should stop feeding this connection. */
	done: boolean;
	hello?: ClientHello;
};

/** Fresh per-connection state. */
export function newQuicCryptoState(): QuicCryptoState {
	return {chunks: [], packets: [], dropped: 0, done: false};
}

type QuicInitialResult =
	| {status: 'ok'; sni?: string; alpn: string[]; version: string; dcid: string; packets: number[]; hello: ClientHello}
	| {status: 'incomplete'}
	| {status: 'not-quic'}
	| {status: 'undecryptable'};

/** Cheap check: long header with the fixed bit, a version we can decrypt, Initial packet type. */
export function looksLikeQuicInitial(d: Uint8Array): boolean {
	if (d.length < 7 || (d[0]! & 0xc0) !== 0xc0) return false;
	const version = ((d[1]! << 24) | (d[2]! << 16) | (d[3]! << 8) | d[4]!) >>> 0;
	const info = versionInfo(version);
	if (!info) return false;
	return ((d[0]! >> 4) & 3) === (info.v2 ? 1 : 0);
}

/** DCID of the first long-header packet, as hex: the caller's key for QuicCryptoState. */
export function quicInitialDcid(d: Uint8Array): string | undefined {
	if (d.length < 7 || (d[0]! & 0x80) === 0) return undefined;
	const len = d[5]!;
	if (len > MAX_CID_LEN || 6 + len > d.length) return undefined;
	return hex(d.subarray(6, 6 + len));
}

/**
 * Decode the client Initial packets of one UDP datagram (coalesced packets included), adding their
 * CRYPTO data to `state` (one per client connection; omit for a one-datagram hello).
 * `index` is the packet's capture index, kept as evidence.
 */
export function parseQuicInitial(datagram: Uint8Array, state: QuicCryptoState = newQuicCryptoState(), index = 0): QuicInitialResult {
	let p = 0;
	let sawInitial = false;
	let decrypted = false;
	for (let n = 0; n < MAX_COALESCED && p < datagram.length; n++) {
		const pkt = readLongHeader(datagram, p);
		if (!pkt) break;
		if (pkt === 'not-quic') {
			if (n === 0) return {status: 'not-quic'};
			break;
		}
		p = pkt.end;
		if (!pkt.initial) continue;
		sawInitial = true;
		if (pkt.truncated) break;
		const plain = decryptInitial(datagram, pkt, state);
		if (!plain) continue;
		decrypted = true;
		if (readFrames(plain, state, index)) return finish(state);
	}
	if (!sawInitial) return {status: 'not-quic'};
	if (!decrypted) return {status: 'undecryptable'};
	return state.done ? finish(state) : {status: 'incomplete'};
}

type LongHeader = {
	start: number;
	/** Offset of the (protected) packet number. */
	pnOffset: number;
	end: number;
	version: number;
	dcid: Uint8Array;
	initial: boolean;
	truncated: boolean;
};

/** Parse one long header at p; undefined to stop (short header, Retry, truncated), 'not-quic' when it cannot be QUIC. */
function readLongHeader(d: Uint8Array, start: number): LongHeader | 'not-quic' | undefined {
	if (d.length - start < 7) return undefined;
	const b0 = d[start]!;
	if ((b0 & 0x80) === 0) return undefined;
	if ((b0 & 0x40) === 0) return 'not-quic';
	const version = ((d[start + 1]! << 24) | (d[start + 2]! << 16) | (d[start + 3]! << 8) | d[start + 4]!) >>> 0;
	const info = versionInfo(version);
	if (!info) return 'not-quic';
	let p = start + 5;
	const dcidLen = d[p++]!;
	if (dcidLen > MAX_CID_LEN || p + dcidLen + 1 > d.length) return 'not-quic';
	const dcid = d.subarray(p, p + dcidLen);
	p += dcidLen;
	const scidLen = d[p++]!;
	if (scidLen > MAX_CID_LEN || p + scidLen > d.length) return 'not-quic';
	p += scidLen;
	const type = (b0 >> 4) & 3;
	const initial = type === (info.v2 ? 1 : 0);
	const retry = type === (info.v2 ? 0 : 3);
	if (retry) return undefined;
	if (initial) {
		const token = readVarint(d, p);
		if (!token) return undefined;
		p = token.next + token.value;
		if (p > d.length) return undefined;
	}
	const len = readVarint(d, p);
	if (!len) return undefined;
	const pnOffset = len.next;
	const end = pnOffset + len.value;
	// A truncated packet (snaplen) cannot be authenticated; later coalesced packets are lost too.
	if (end > d.length) return {start, pnOffset, end: d.length, version, dcid, initial, truncated: true};
	return {start, pnOffset, end, version, dcid, initial, truncated: false};
}

/** QUIC variable-length integer (RFC 9000 16); undefined when it runs past the end. */
function readVarint(d: Uint8Array, p: number): {value: number; next: number} | undefined {
	if (p >= d.length) return undefined;
	const first = d[p]!;
	const len = 1 << (first >> 6);
	if (p + len > d.length) return undefined;
	let value = first & 0x3f;
	// 8-byte values above 2^53 lose precision; every use here is a bounded length or offset.
	for (let i = 1; i < len; i++) value = value * 256 + d[p + i]!;
	return {value, next: p + len};
}

function decryptInitial(d: Uint8Array, pkt: LongHeader, state: QuicCryptoState): Uint8Array | undefined {
	const own = cachedKeys(pkt.dcid, pkt.version);
	let plain = own ? decryptWith(d, pkt, own) : undefined;
	if (plain && !state.keys) {
		state.keys = own;
		state.dcid = Uint8Array.prototype.slice.call(pkt.dcid);
		state.version = pkt.version;
	} else if (!plain && state.keys && state.version === pkt.version) {
		// After the server's first Initial the client switches DCID but keeps the original keys.
		plain = decryptWith(d, pkt, state.keys);
	}
	return plain;
}

function decryptWith(d: Uint8Array, pkt: LongHeader, keys: QuicKeys): Uint8Array | undefined {
	const sampleAt = pkt.pnOffset + 4;
	if (sampleAt + HP_SAMPLE_LEN > pkt.end) return undefined;
	const mask = keys.hpCipher.update(d.subarray(sampleAt, sampleAt + HP_SAMPLE_LEN));
	const first = d[pkt.start]! ^ (mask[0]! & 0x0f);
	const pnLen = (first & 3) + 1;
	const headerEnd = pkt.pnOffset + pnLen;
	if (headerEnd + AEAD_TAG_LEN > pkt.end) return undefined;
	const header = Buffer.from(d.subarray(pkt.start, headerEnd));
	header[0] = first;
	const nonce = Buffer.from(keys.iv);
	const hpOff = pkt.pnOffset - pkt.start;
	for (let i = 0; i < pnLen; i++) {
		const b = header[hpOff + i]! ^ mask[1 + i]!;
		header[hpOff + i] = b;
		nonce[12 - pnLen + i] ^= b;
	}
	try {
		const decipher = createDecipheriv('aes-128-gcm', keys.key, nonce);
		decipher.setAAD(header);
		decipher.setAuthTag(d.subarray(pkt.end - AEAD_TAG_LEN, pkt.end));
		const body = decipher.update(d.subarray(headerEnd, pkt.end - AEAD_TAG_LEN));
		const tail = decipher.final();
		return tail.length ? Buffer.concat([body, tail]) : body;
	} catch {
		// Authentication failure: wrong keys (a server Initial, another CID) or corrupted bytes.
		return undefined;
	}
}

/** Walk the frames of a decrypted Initial; true when the ClientHello became complete. */
function readFrames(pl: Uint8Array, state: QuicCryptoState, index: number): boolean {
	let p = 0;
	let gotCrypto = false;
	for (let frames = 0; p < pl.length && frames < MAX_FRAMES; frames++) {
		const type = pl[p]!;
		if (type === 0x00) {
			// PADDING runs are long (to 1200 bytes); skip them without counting frames.
			while (p < pl.length && pl[p] === 0) p++;
			frames--;
			continue;
		}
		if (type === 0x01) {
			p++;
		} else if (type === 0x02 || type === 0x03) {
			const next = skipAck(pl, p + 1, type === 0x03);
			if (next < 0) break;
			p = next;
		} else if (type === 0x06) {
			const off = readVarint(pl, p + 1);
			const len = off && readVarint(pl, off.next);
			if (!off || !len || len.next + len.value > pl.length) break;
			addCrypto(state, off.value, pl.subarray(len.next, len.next + len.value));
			gotCrypto = true;
			p = len.next + len.value;
		} else if (type === 0x1c || type === 0x1d) {
			const code = readVarint(pl, p + 1);
			const ft = code && (type === 0x1c ? readVarint(pl, code.next) : code);
			const reason = ft && readVarint(pl, ft.next);
			if (!reason) break;
			p = reason.next + reason.value;
		} else {
			// Not allowed in an Initial or not understood: its length is unknown, so stop here.
			break;
		}
	}
	if (!gotCrypto) return false;
	if (state.packets.length < MAX_PACKET_INDICES && !state.packets.includes(index)) state.packets.push(index);
	return tryHello(state);
}

/** Skip an ACK frame body; the new offset, or -1 when malformed. */
function skipAck(pl: Uint8Array, p: number, ecn: boolean): number {
	const largest = readVarint(pl, p);
	const delay = largest && readVarint(pl, largest.next);
	const count = delay && readVarint(pl, delay.next);
	const firstRange = count && readVarint(pl, count.next);
	if (!firstRange) return -1;
	// Each range takes at least 2 bytes, so a count larger than the rest of the packet is a lie.
	if (count.value * 2 > pl.length - firstRange.next) return -1;
	let q = firstRange.next;
	for (let i = 0; i < count.value * 2 + (ecn ? 3 : 0); i++) {
		const v = readVarint(pl, q);
		if (!v) return -1;
		q = v.next;
	}
	return q;
}

function addCrypto(state: QuicCryptoState, offset: number, data: Uint8Array): void {
	if (state.done || data.length === 0) return;
	if (offset >= QUIC_CRYPTO_CAP || state.chunks.length >= MAX_CRYPTO_CHUNKS) {
		state.dropped += data.length;
		return;
	}
	const room = QUIC_CRYPTO_CAP - offset;
	if (data.length > room) state.dropped += data.length - room;
	const kept = data.subarray(0, room);
	// A retransmitted Initial repeats the same fragment: keep one copy.
	for (const c of state.chunks) if (c.offset <= offset && c.offset + c.data.length >= offset + kept.length) return;
	state.chunks.push({offset, data: Uint8Array.prototype.slice.call(kept)});
}

/** Assemble the contiguous CRYPTO prefix and try the ClientHello parser on it. */
function tryHello(state: QuicCryptoState): boolean {
	const chunks = state.chunks.slice().sort((a, b) => a.offset - b.offset);
	let covered = 0;
	for (const c of chunks) {
		if (c.offset > covered) break;
		covered = Math.max(covered, c.offset + c.data.length);
	}
	if (covered < 4) return false;
	const stream = new Uint8Array(covered);
	for (const c of chunks) {
		if (c.offset >= covered) break;
		stream.set(c.data.subarray(0, covered - c.offset), c.offset);
	}
	const r = parseHandshakeClientHello(stream);
	if (r.status === 'incomplete') return false;
	state.done = true;
	state.chunks = [];
	if (r.status === 'ok') state.hello = r.hello;
	return true;
}

function finish(state: QuicCryptoState): QuicInitialResult {
	const hello = state.hello;
	if (!hello) return {status: 'not-quic'};
	return {
		status: 'ok',
		sni: hello.sni,
		alpn: hello.alpn,
		version: `0x${(state.version ?? 0).toString(16).padStart(8, '0')}`,
		dcid: hex(state.dcid ?? new Uint8Array(0)),
		packets: state.packets.slice(),
		hello,
	};
}

function hex(b: Uint8Array): string {
	return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
