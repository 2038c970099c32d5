import {createCipheriv} from 'node:crypto';
import {describe, expect, it} from 'vitest';
import {aeadSuite, hkdfExpandLabel, openTls12Record, openTls13Record, suiteName, tls12Keys, tls12Prf, tls13Keys, tls13UpdatedKeys, type RecordKeys} from '../../source/decode/tls-crypto.js';

const h = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('key derivation', () => {
	it('derives the RFC 8448 (simple 1-RTT) handshake keys from the traffic secrets', () => {
		const suite = aeadSuite(0x1301)!;
		const client = tls13Keys(suite, h('b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21'));
		expect(client.key.toString('hex')).toBe('dbfaa693d1762c5b666af5d950258d01');
		expect(client.iv.toString('hex')).toBe('5bd3c71b836e0b76bb73265f');
		const server = tls13Keys(suite, h('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38'));
		expect(server.key.toString('hex')).toBe('3fce516009c21727d0f2e4e86ee403bc');
		expect(server.iv.toString('hex')).toBe('5d313eb2671276ee13000b30');
	});

	it('computes the TLS 1.2 PRF (SHA-256 test vector)', () => {
		const out = tls12Prf('sha256', h('9bbe436ba940f017b17652849a71db35'), 'test label', h('a0ba9f936cda311827a6f796ffd5198c'), 100);
		expect(out.subarray(0, 16).toString('hex')).toBe('e3f229ba727be17b8d122620557cd453');
		expect(out).toHaveLength(100);
	});

	it('names suites it cannot read', () => {
		expect(aeadSuite(0x003c)).toBeUndefined();
		expect(suiteName(0x003c)).toBe('0x003c');
		expect(suiteName(0xc02f)).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
	});

	it('a key update gives different keys, derived from the secret', () => {
		const k = tls13Keys(aeadSuite(0x1302)!, Buffer.alloc(48, 7));
		const next = tls13UpdatedKeys(k)!;
		expect(next.key.equals(k.key)).toBe(false);
		expect(next.secret!.equals(hkdfExpandLabel('sha384', Buffer.alloc(48, 7), 'traffic upd', 48))).toBe(true);
	});
});

/** Seals like a TLS stack would, so the opener is tested against node's own AEAD in the other direction. */
function seal(cipher: string, key: Buffer, nonce: Buffer, aad: Buffer, pt: Buffer): Buffer {
	const c = createCipheriv(cipher as 'aes-128-gcm', key, nonce, {authTagLength: 16} as never);
	c.setAAD(aad, {plaintextLength: pt.length});
	return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
}

function nonceFor(k: RecordKeys, seq: number): Buffer {
	const n = Buffer.from(k.iv);
	n.writeUInt32BE((n.readUInt32BE(8) ^ seq) >>> 0, 8);
	return n;
}

describe('record decryption', () => {
	for (const id of [0x1301, 0x1302, 0x1303]) {
		it(`TLS 1.3 ${suiteName(id)}: opens records in sequence, strips padding, refuses tampering`, () => {
			const suite = aeadSuite(id)!;
			const sender = tls13Keys(suite, Buffer.alloc(suite.hash === 'sha384' ? 48 : 32, 3));
			const reader = tls13Keys(suite, Buffer.alloc(suite.hash === 'sha384' ? 48 : 32, 3));
			for (let seq = 0; seq < 3; seq++) {
				const inner = Buffer.concat([Buffer.from(`GET /${seq} HTTP/1.1\r\n\r\n`), Buffer.of(23), Buffer.alloc(5)]);
				const header = Buffer.from([23, 3, 3, 0, 0]);
				header.writeUInt16BE(inner.length + 16, 3);
				const body = seal(suite.cipher, sender.key, nonceFor(sender, seq), header, inner);
				const out = openTls13Record(reader, header, body)!;
				expect(out.type).toBe(23);
				expect(out.data.toString()).toBe(`GET /${seq} HTTP/1.1\r\n\r\n`);
			}
			expect(reader.seq).toBe(3);
			const header = Buffer.from([23, 3, 3, 0, 20]);
			expect(openTls13Record(reader, header, Buffer.alloc(20))).toBeUndefined();
			expect(reader.seq).toBe(3);
		});
	}

	for (const id of [0xc02f, 0xc030, 0xcca8]) {
		it(`TLS 1.2 ${suiteName(id)}: opens records with the key block from the master secret`, () => {
			const suite = aeadSuite(id)!;
			const {client} = tls12Keys(suite, Buffer.alloc(48, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 4));
			const reader = {...client, seq: 0};
			const pt = Buffer.from('POST /sa HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
			const aad = Buffer.concat([Buffer.alloc(8), Buffer.from([23, 3, 3]), Buffer.from([pt.length >> 8, pt.length & 255])]);
			let body: Buffer;
			if (suite.explicitNonce) {
				const explicit = Buffer.from('0011223344556677', 'hex');
				body = Buffer.concat([explicit, seal(suite.cipher, client.key, Buffer.concat([client.iv, explicit]), aad, pt)]);
			} else body = seal(suite.cipher, client.key, nonceFor(client, 0), aad, pt);
			expect(openTls12Record(reader, 23, 0x0303, body)?.toString()).toBe(pt.toString());
			expect(reader.seq).toBe(1);
			body[body.length - 1]! ^= 1;
			expect(openTls12Record({...client, seq: 0}, 23, 0x0303, body)).toBeUndefined();
		});
	}
});
