import {describe, it, expect} from 'vitest';
import {A_CNXN, A_OKAY, A_WRTE, HEADER_BYTES, MessageDecoder, commandName, encodeMessage, payloadChecksum} from '../../source/sim/adb-wire.js';

describe('adb wire codec', () => {
	it('encodes the header little-endian with magic = command ^ 0xffffffff and a byte-sum checksum', () => {
		const data = new TextEncoder().encode('host::\0');
		const m = encodeMessage({command: A_CNXN, arg0: 0x01000001, arg1: 256 * 1024, data});
		const v = new DataView(m.buffer);
		expect(new TextDecoder().decode(m.subarray(0, 4))).toBe('CNXN');
		expect(v.getUint32(4, true)).toBe(0x01000001);
		expect(v.getUint32(8, true)).toBe(262144);
		expect(v.getUint32(12, true)).toBe(data.length);
		expect(v.getUint32(16, true)).toBe(payloadChecksum(data));
		expect(v.getUint32(20, true)).toBe((A_CNXN ^ 0xffffffff) >>> 0);
		expect(m.length).toBe(HEADER_BYTES + data.length);
	});

	it('decodes messages split at every byte and glued together', () => {
		const a = encodeMessage({command: A_WRTE, arg0: 1, arg1: 7, data: new Uint8Array([1, 2, 3])});
		const b = encodeMessage({command: A_OKAY, arg0: 7, arg1: 1, data: new Uint8Array(0)});
		const all = Buffer.concat([a, b]);
		const d = new MessageDecoder();
		const got = [];
		for (const byte of all) got.push(...d.push(new Uint8Array([byte])));
		expect(got.map((m) => commandName(m.command))).toEqual(['WRTE', 'OKAY']);
		expect([...got[0]!.data]).toEqual([1, 2, 3]);
		expect(got[1]!.arg0).toBe(7);
		expect(new MessageDecoder().push(all)).toHaveLength(2);
	});

	it('stops at a bad magic or an oversized payload instead of throwing', () => {
		const bad = encodeMessage({command: A_OKAY, arg0: 1, arg1: 2, data: new Uint8Array(0)});
		bad[20] ^= 0xff;
		const d = new MessageDecoder();
		expect(d.push(bad)).toEqual([]);
		expect(d.error).toMatch(/bad message header/);
		const big = encodeMessage({command: A_WRTE, arg0: 1, arg1: 2, data: new Uint8Array(0)});
		new DataView(big.buffer).setUint32(12, 64 * 1024 * 1024, true);
		const d2 = new MessageDecoder();
		expect(d2.push(big)).toEqual([]);
		expect(d2.error).toMatch(/exceeds/);
	});
});
