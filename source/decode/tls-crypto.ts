/**
 * TLS record protection with keys handed in (node:crypto only): the AEAD cipher suites of TLS 1.3
 * (RFC 8446) and of TLS 1.2 (RFC 5288 AES-GCM, RFC 7905 ChaCha20-Poly1305), key derivation from
 * the secrets an NSS key log carries (HKDF-Expand-Label for 1.3, the TLS 1.2 PRF for 1.2), key
 * updates, and record decryption. Pure: bytes and secrets in, plaintext out; a record that does
 * not authenticate gives undefined, never an exception.
 */
import {createDecipheriv, createHmac, type DecipherGCM, type DecipherChaCha20Poly1305} from 'node:crypto';

type AeadCipher = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** An AEAD cipher suite tattle can decrypt. */
type AeadSuite = {
	id: number;
	name: string;
	cipher: AeadCipher;
	keyLen: number;
	hash: 'sha256' | 'sha384';
	/** TLS 1.2 GCM: 4-byte implicit salt plus an 8-byte explicit nonce in each record. */
	explicitNonce: boolean;
};

const AEAD_TAG_LEN = 16;
const IV_LEN = 12;

const SUITES: ReadonlyArray<AeadSuite> = [
	// TLS 1.3 (RFC 8446 B.4)
	{id: 0x1301, name: 'TLS_AES_128_GCM_SHA256', cipher: 'aes-128-gcm', keyLen: 16, hash: 'sha256', explicitNonce: false},
	{id: 0x1302, name: 'TLS_AES_256_GCM_SHA384', cipher: 'aes-256-gcm', keyLen: 32, hash: 'sha384', explicitNonce: false},
	{id: 0x1303, name: 'TLS_CHACHA20_POLY1305_SHA256', cipher: 'chacha20-poly1305', keyLen: 32, hash: 'sha256', explicitNonce: false},
	// TLS 1.2 ECDHE/DHE/RSA with AES-GCM (RFC 5288, 5289) and ChaCha20-Poly1305 (RFC 7905)
	{id: 0xc02f, name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cipher: 'aes-128-gcm', keyLen: 16, hash: 'sha256', explicitNonce: true},
	{id: 0xc030, name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', cipher: 'aes-256-gcm', keyLen: 32, hash: 'sha384', explicitNonce: true},
	{id: 0xc02b, name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', cipher: 'aes-128-gcm', keyLen: 16, hash: 'sha256', explicitNonce: true},
	{id: 0xc02c, name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', cipher: 'aes-256-gcm', keyLen: 32, hash: 'sha384', explicitNonce: true},
	{id: 0x009c, name: 'TLS_RSA_WITH_AES_128_GCM_SHA256', cipher: 'aes-128-gcm', keyLen: 16, hash: 'sha256', explicitNonce: true},
	{id: 0x009d, name: 'TLS_RSA_WITH_AES_256_GCM_SHA384', cipher: 'aes-256-gcm', keyLen: 32, hash: 'sha384', explicitNonce: true},
	{id: 0x009e, name: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', cipher: 'aes-128-gcm', keyLen: 16, hash: 'sha256', explicitNonce: true},
	{id: 0x009f, name: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', cipher: 'aes-256-gcm', keyLen: 32, hash: 'sha384', explicitNonce: true},
	{id: 0xcca8, name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', cipher: 'chacha20-poly1305', keyLen: 32, hash: 'sha256', explicitNonce: false},
	{id: 0xcca9, name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', cipher: 'chacha20-poly1305', keyLen: 32, hash: 'sha256', explicitNonce: false},
	{id: 0xccaa, name: 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', cipher: 'chacha20-poly1305', keyLen: 32, hash: 'sha256', explicitNonce: false},
];

const BY_ID = new Map(SUITES.map((s) => [s.id, s]));

/** The AEAD suite with this id, or undefined when tattle cannot decrypt it (CBC, RC4, NULL...). */
export function aeadSuite(id: number): AeadSuite | undefined {
	return BY_ID.get(id);
}

/** A readable name for any suite id, for "unsupported suite" reasons. */
export function suiteName(id: number): string {
	return BY_ID.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}

const HASH_LEN = {sha256: 32, sha384: 48} as const;

/** HKDF-Expand (RFC 5869) for any length up to 255 blocks. */
function hkdfExpand(hash: 'sha256' | 'sha384', prk: Uint8Array, info: Uint8Array, length: number): Buffer {
	const out: Buffer[] = [];
	let prev: Buffer = Buffer.alloc(0);
	let have = 0;
	for (let i = 1; have < length && i < 256; i++) {
		prev = createHmac(hash, prk).update(prev).update(info).update(Uint8Array.of(i)).digest();
		out.push(prev);
		have += prev.length;
	}
	return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label (RFC 8446 7.1) with an empty context. */
export function hkdfExpandLabel(hash: 'sha256' | 'sha384', secret: Uint8Array, label: string, length: number): Buffer {
	const full = Buffer.from(`tls13 ${label}`, 'latin1');
	const info = Buffer.alloc(2 + 1 + full.length + 1);
	info.writeUInt16BE(length, 0);
	info[2] = full.length;
	full.copy(info, 3);
	info[3 + full.length] = 0;
	return hkdfExpand(hash, secret, info, length);
}

/** Keys protecting one direction of a connection, and its record sequence number. */
export type RecordKeys = {
	suite: AeadSuite;
	key: Buffer;
	/** 12 bytes (TLS 1.3 and ChaCha20), or the 4-byte salt of TLS 1.2 GCM. */
	iv: Buffer;
	/** Record sequence number (fits a double for any capture: 2^53 records). */
	seq: number;
	/** TLS 1.3: the traffic secret these keys come from, for key updates. */
	secret?: Buffer;
};

/** TLS 1.3: record keys from a traffic secret (handshake or application). */
export function tls13Keys(suite: AeadSuite, secret: Uint8Array): RecordKeys {
	return {
		suite,
		key: hkdfExpandLabel(suite.hash, secret, 'key', suite.keyLen),
		iv: hkdfExpandLabel(suite.hash, secret, 'iv', IV_LEN),
		seq: 0,
		secret: Buffer.from(secret),
	};
}

/** TLS 1.3 KeyUpdate: the next generation of a direction's keys (RFC 8446 7.2). */
export function tls13UpdatedKeys(keys: RecordKeys): RecordKeys | undefined {
	if (!keys.secret) return undefined;
	const next = hkdfExpandLabel(keys.suite.hash, keys.secret, 'traffic upd', HASH_LEN[keys.suite.hash]);
	return tls13Keys(keys.suite, next);
}

/** The TLS 1.2 PRF (RFC 5246 5): P_hash(secret, label + seed). */
export function tls12Prf(hash: 'sha256' | 'sha384', secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
	const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
	const out: Buffer[] = [];
	let a: Buffer = createHmac(hash, secret).update(labelSeed).digest();
	let have = 0;
	// Bounded: a key block is at most 2*(32+12) = 88 bytes, two or three HMAC blocks.
	while (have < length) {
		const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
		out.push(block);
		have += block.length;
		a = createHmac(hash, secret).update(a).digest();
	}
	return Buffer.concat(out).subarray(0, length);
}

/** TLS 1.2: both directions' keys from the master secret and the two hello randoms. */
export function tls12Keys(suite: AeadSuite, master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): {client: RecordKeys; server: RecordKeys} {
	const ivLen = suite.explicitNonce ? 4 : IV_LEN;
	const block = tls12Prf(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * suite.keyLen + 2 * ivLen);
	let p = 0;
	const take = (n: number) => Buffer.from(block.subarray(p, (p += n)));
	const ck = take(suite.keyLen);
	const sk = take(suite.keyLen);
	const civ = take(ivLen);
	const siv = take(ivLen);
	return {client: {suite, key: ck, iv: civ, seq: 0}, server: {suite, key: sk, iv: siv, seq: 0}};
}

/** The per-record nonce: iv XOR the sequence number, right-aligned (RFC 8446 5.3, RFC 7905 2). */
function xorNonce(iv: Buffer, seq: number): Buffer {
	const nonce = Buffer.from(iv);
	let s = seq;
	for (let i = 11; i >= 4 && s > 0; i--) {
		nonce[i]! ^= s % 256;
		s = Math.floor(s / 256);
	}
	return nonce;
}

function seqBytes(seq: number): Buffer {
	const b = Buffer.alloc(8);
	b.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
	b.writeUInt32BE(seq % 0x1_0000_0000, 4);
	return b;
}

function open(cipher: AeadCipher, key: Buffer, nonce: Buffer, aad: Uint8Array, data: Uint8Array): Buffer | undefined {
	if (data.length < AEAD_TAG_LEN) return undefined;
	const ct = data.subarray(0, data.length - AEAD_TAG_LEN);
	const tag = data.subarray(data.length - AEAD_TAG_LEN);
	try {
		const d =
			cipher === 'chacha20-poly1305'
				? (createDecipheriv(cipher, key, nonce, {authTagLength: AEAD_TAG_LEN}) as DecipherChaCha20Poly1305)
				: (createDecipheriv(cipher, key, nonce) as DecipherGCM);
		d.setAAD(aad, {plaintextLength: ct.length});
		d.setAuthTag(tag);
		const head = d.update(ct);
		const tail = d.final();
		return tail.length === 0 ? head : Buffer.concat([head, tail]);
	} catch {
		return undefined;
	}
}

/** A decrypted TLS 1.3 record: the inner content type and its content (padding removed). */
type InnerPlaintext = {type: number; data: Buffer};

/**
 * TLS 1.3: decrypts one protected record (`header` is its 5-byte record header, `body` the
 * encrypted_record). On success advances `keys.seq`; on failure leaves the keys untouched.
 */
export function openTls13Record(keys: RecordKeys, header: Uint8Array, body: Uint8Array): InnerPlaintext | undefined {
	const pt = open(keys.suite.cipher, keys.key, xorNonce(keys.iv, keys.seq), header, body);
	if (!pt) return undefined;
	keys.seq++;
	// TLSInnerPlaintext: content || type || zeros. The type is the last non-zero byte.
	let end = pt.length;
	while (end > 0 && pt[end - 1] === 0) end--;
	if (end === 0) return {type: 0, data: Buffer.alloc(0)};
	return {type: pt[end - 1]!, data: pt.subarray(0, end - 1)};
}

/**
 * TLS 1.2 AEAD: decrypts one record's fragment (`type` and `version` from its header). On
 * success advances `keys.seq`.
 */
export function openTls12Record(keys: RecordKeys, type: number, version: number, body: Uint8Array): Buffer | undefined {
	let nonce: Buffer;
	let data = body;
	if (keys.suite.explicitNonce) {
		if (body.length < 8 + AEAD_TAG_LEN) return undefined;
		nonce = Buffer.concat([keys.iv, body.subarray(0, 8)]);
		data = body.subarray(8);
	} else {
		nonce = xorNonce(keys.iv, keys.seq);
	}
	const plainLen = data.length - AEAD_TAG_LEN;
	if (plainLen < 0) return undefined;
	const aad = Buffer.alloc(13);
	seqBytes(keys.seq).copy(aad, 0);
	aad[8] = type;
	aad.writeUInt16BE(version, 9);
	aad.writeUInt16BE(plainLen, 11);
	const pt = open(keys.suite.cipher, keys.key, nonce, aad, data);
	if (!pt) return undefined;
	keys.seq++;
	return pt;
}
