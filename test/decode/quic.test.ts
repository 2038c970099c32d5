import {readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {
	QUIC_V1,
	QUIC_V2,
	clientInitialSecret,
	deriveClientKeys,
	looksLikeQuicInitial,
	newQuicCryptoState,
	parseQuicInitial,
} from '../../source/decode/quic.js';
import {repoRoot} from '../helpers/corpus.js';

const fixture = (name: string) =>
	Buffer.from(readFileSync(path.join(repoRoot, 'test/fixtures/decode/app', name), 'utf8').trim(), 'hex');

/** RFC 9001 Appendix A / RFC 9369 Appendix A: DCID chosen by the client. */
const DCID = Buffer.from('8394c8f03e515708', 'hex');
const v1Packet = fixture('rfc9001-client-initial.hex');
const v2Packet = fixture('rfc9369-client-initial.hex');

describe('QUIC key derivation (RFC 9001 A.1, RFC 9369 A.1)', () => {
	it('v1 client secret, key, iv, hp', () => {
		expect(clientInitialSecret(DCID, QUIC_V1)?.toString('hex')).toBe(
			'c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea',
		);
		const k = deriveClientKeys(DCID, QUIC_V1)!;
		expect(k.key.toString('hex')).toBe('1f369613dd76d5467730efcbe3b1a22d');
		expect(k.iv.toString('hex')).toBe('fa044b2f42a3fd3b46fb255c');
		expect(k.hp.toString('hex')).toBe('9f50449e04a0e810283a1e9933adedd2');
	});

	it('v2 client secret, key, iv, hp', () => {
		expect(clientInitialSecret(DCID, QUIC_V2)?.toString('hex')).toBe(
			'14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b',
		);
		const k = deriveClientKeys(DCID, QUIC_V2)!;
		expect(k.key.toString('hex')).toBe('8b1a0bc121284290a29e0971b5cd045d');
		expect(k.iv.toString('hex')).toBe('91f73e2351d8fa91660e909f');
		expect(k.hp.toString('hex')).toBe('45b95e15235d6f45a6b19cbcb0294ba9');
	});

	it('unknown versions derive nothing', () => {
		expect(deriveClientKeys(DCID, 0x12345678)).toBeUndefined();
	});
});

describe('parseQuicInitial on the RFC sample packets', () => {
	it('v1: decrypts and reads the ClientHello (example.com, ALPN "alpn")', () => {
		expect(v1Packet.length).toBe(1200);
		expect(looksLikeQuicInitial(v1Packet)).toBe(true);
		const r = parseQuicInitial(v1Packet, newQuicCryptoState(), 7);
		expect(r).toMatchObject({status: 'ok', sni: 'example.com', alpn: ['alpn'], version: '0x00000001', dcid: '8394c8f03e515708', packets: [7]});
	});

	it('v2: decrypts with the v2 salt, labels and packet type', () => {
		expect(looksLikeQuicInitial(v2Packet)).toBe(true);
		const r = parseQuicInitial(v2Packet);
		expect(r).toMatchObject({status: 'ok', sni: 'example.com', alpn: ['alpn'], version: '0x6b3343cf'});
	});

	it('one flipped ciphertext bit makes it undecryptable', () => {
		const bad = Buffer.from(v1Packet);
		bad[600] ^= 1;
		expect(parseQuicInitial(bad).status).toBe('undecryptable');
	});

	it('a truncated Initial is undecryptable, not an exception', () => {
		for (const n of [0, 1, 6, 7, 20, 22, 40, 600, 1199]) {
			const r = parseQuicInitial(v1Packet.subarray(0, n));
			expect(['not-quic', 'undecryptable']).toContain(r.status);
		}
	});

	it('coalesced after a non-Initial long-header packet (skipped by Length)', () => {
		// A Handshake packet (type 2): header, DCID, SCID, Length = 20, 20 junk bytes.
		const hs = Buffer.concat([Buffer.from('e00000000108', 'hex'), DCID, Buffer.from([0, 20]), Buffer.alloc(20, 0xaa)]);
		const r = parseQuicInitial(Buffer.concat([hs, v1Packet]));
		expect(r).toMatchObject({status: 'ok', sni: 'example.com'});
	});

	it('not QUIC: short header, version negotiation, unknown version, DNS-like bytes', () => {
		expect(parseQuicInitial(Buffer.from('4000000000000000000000', 'hex')).status).toBe('not-quic');
		expect(parseQuicInitial(Buffer.from('c00000000008aabbccddeeff001100', 'hex')).status).toBe('not-quic');
		expect(parseQuicInitial(Buffer.from('c01234567808aabbccddeeff001100', 'hex')).status).toBe('not-quic');
		expect(looksLikeQuicInitial(Buffer.from('12340100000100000000000003777777', 'hex'))).toBe(false);
		expect(looksLikeQuicInitial(Buffer.from('4000000001', 'hex'))).toBe(false);
		// v1 Handshake type is not an Initial.
		expect(looksLikeQuicInitial(Buffer.from('e00000000108aabbccddeeff0011', 'hex'))).toBe(false);
	});

	it('never throws on random bytes with a QUIC-looking header', () => {
		let seed = 12345;
		const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
		for (let i = 0; i < 300; i++) {
			const d = Buffer.alloc(30 + (i % 200) * 7);
			for (let j = 0; j < d.length; j++) d[j] = rnd();
			d[0] = 0xc0 | (d[0]! & 0x0f);
			d.writeUInt32BE(i % 2 ? QUIC_V1 : QUIC_V2, 1);
			d[5] = d[5]! % 24;
			expect(() => parseQuicInitial(d, newQuicCryptoState(), i)).not.toThrow();
		}
	});
});
