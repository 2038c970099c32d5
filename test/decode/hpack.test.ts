import {describe, expect, it} from 'vitest';
import {huffmanEncode} from '../helpers/seeded.js';
import {
	HPACK_HUFFMAN_CODES,
	HPACK_MAX_HEADERS,
	HPACK_MAX_TABLE_SIZE,
	HpackDecoder,
	huffmanDecode,
} from '../../source/decode/hpack.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));


const C3_REQUEST_1 = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const C3_REQUEST_2 = [...C3_REQUEST_1, ['cache-control', 'no-cache']];
const C3_REQUEST_3 = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const C3_TABLE_1 = [[':authority', 'www.example.com']];
const C3_TABLE_2 = [['cache-control', 'no-cache'], [':authority', 'www.example.com']];
const C3_TABLE_3 = [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']];

describe('RFC 7541 Appendix C', () => {
	it('C.2 single representations', () => {
		const d = new HpackDecoder();
		expect(d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))).toEqual([['custom-key', 'custom-header']]);
		expect(d.tableEntries()).toEqual([['custom-key', 'custom-header']]);
		expect(d.tableSize).toBe(55);

		const without = new HpackDecoder();
		expect(without.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([[':path', '/sample/path']]);
		expect(without.tableSize).toBe(0);

		const never = new HpackDecoder();
		expect(never.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([['password', 'secret']]);
		expect(never.tableEntries()).toEqual([]);

		expect(new HpackDecoder().decode(hex('82'))).toEqual([[':method', 'GET']]);
	});

	it('C.3 requests without Huffman: the dynamic table carries over', () => {
		const d = new HpackDecoder();
		expect(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual(C3_REQUEST_1);
		expect(d.tableEntries()).toEqual(C3_TABLE_1);
		expect(d.tableSize).toBe(57);
		// 0xbe = index 62: the :authority entry added by the first request.
		expect(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toEqual(C3_REQUEST_2);
		expect(d.tableEntries()).toEqual(C3_TABLE_2);
		expect(d.tableSize).toBe(110);
		expect(d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65'))).toEqual(C3_REQUEST_3);
		expect(d.tableEntries()).toEqual(C3_TABLE_3);
		expect(d.tableSize).toBe(164);
	});

	it('C.4 requests with Huffman: the same lists and tables', () => {
		const d = new HpackDecoder();
		expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual(C3_REQUEST_1);
		expect(d.tableEntries()).toEqual(C3_TABLE_1);
		expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual(C3_REQUEST_2);
		expect(d.tableEntries()).toEqual(C3_TABLE_2);
		expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual(C3_REQUEST_3);
		expect(d.tableEntries()).toEqual(C3_TABLE_3);
		expect(d.tableSize).toBe(164);
	});

	it('C.3 blocks fed to a fresh decoder out of order fail: index 62 does not exist yet', () => {
		const r = new HpackDecoder().decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'));
		expect(r).toEqual({error: expect.stringContaining('index 62 beyond the table')});
	});
});

describe('Huffman', () => {
	it('the table is a complete canonical prefix code with EOS all ones', () => {
		expect(HPACK_HUFFMAN_CODES.length).toBe(257);
		// Kraft sum exactly 1 (complete code), in integer arithmetic over 2^30.
		let kraft = 0;
		for (const [, len] of HPACK_HUFFMAN_CODES) kraft += 2 ** (30 - len);
		expect(kraft).toBe(2 ** 30);
		// Canonical: sorted by (length, symbol), each code is the previous + 1, shifted to its length.
		const order = HPACK_HUFFMAN_CODES.map(([code, len], sym) => ({code, len, sym})).sort((a, b) => a.len - b.len || a.sym - b.sym);
		let expected = 0;
		let prevLen = order[0]!.len;
		for (const {code, len} of order) {
			expected *= 2 ** (len - prevLen);
			prevLen = len;
			expect(code).toBe(expected);
			expected++;
		}
		expect(HPACK_HUFFMAN_CODES[256]).toEqual([0x3fffffff, 30]);
	});

	it('decodes the RFC example and round-trips every ASCII octet and UTF-8 text', () => {
		expect(huffmanDecode(hex('f1e3c2e5f23a6ba0ab90f4ff'))).toBe('www.example.com');
		expect(huffmanDecode(new Uint8Array(0))).toBe('');
		const ascii = Uint8Array.from({length: 128}, (_, i) => i);
		expect(huffmanDecode(huffmanEncode(ascii))).toBe(String.fromCharCode(...ascii));
		for (let i = 0; i < 128; i++) expect(huffmanDecode(huffmanEncode(Uint8Array.of(i)))).toBe(String.fromCharCode(i));
		const text = 'héllo wörld ✓ 日本';
		expect(huffmanDecode(huffmanEncode(Buffer.from(text, 'utf8')))).toBe(text);
	});

	it('rejects bad padding and EOS', () => {
		// 'a' is 00011 (5 bits): padded with 111 is valid, with 000 is not.
		expect(huffmanDecode(Uint8Array.of(0x1f))).toBe('a');
		expect(huffmanDecode(Uint8Array.of(0x18))).toBeUndefined();
		// Padding of 8+ bits (a whole 0xff after the symbol).
		expect(huffmanDecode(Uint8Array.of(0x1f, 0xff))).toBeUndefined();
		expect(huffmanDecode(Uint8Array.of(0xff))).toBeUndefined();
		// EOS itself (30 ones) followed by padding.
		expect(huffmanDecode(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBeUndefined();
		// A valid string with EOS in the middle: 'a' + EOS + 'a'.
		const withEos = [0b00011111, 0xff, 0xff, 0xff, 0b11100011];
		expect(huffmanDecode(Uint8Array.from(withEos))).toBeUndefined();
	});
});

/** Literal without indexing, new name, raw strings (lengths < 127). */
function literal(name: string, value: string, kind = 0x00): number[] {
	const n = Buffer.from(name);
	const v = Buffer.from(value);
	return [kind, n.length, ...n, v.length, ...v];
}

/** Literal with incremental indexing, new name, raw strings (lengths < 127). */
const indexedLiteral = (name: string, value: string) => literal(name, value, 0x40);

/** Table size update to n (5-bit prefix integer). */
function sizeUpdate(n: number): number[] {
	if (n < 31) return [0x20 | n];
	const out = [0x3f];
	let rest = n - 31;
	while (rest >= 128) {
		out.push((rest & 0x7f) | 0x80);
		rest = Math.floor(rest / 128);
	}
	out.push(rest);
	return out;
}

describe('HpackDecoder', () => {
	it('evicts oldest first by RFC size (name + value + 32) and applies size updates', () => {
		const d = new HpackDecoder();
		// Each entry is 32 + 2 + 8 = 42 octets; a 100-octet table holds two.
		const r = d.decode(Uint8Array.from([...sizeUpdate(100), ...indexedLiteral('k1', 'value001'), ...indexedLiteral('k2', 'value002'), ...indexedLiteral('k3', 'value003')]));
		expect(r).toHaveLength(3);
		expect(d.tableLimit).toBe(100);
		expect(d.tableEntries()).toEqual([['k3', 'value003'], ['k2', 'value002']]);
		expect(d.tableSize).toBe(84);
		// 0xbf = index 63 = the older of the two (k2).
		expect(d.decode(Uint8Array.of(0xbe, 0xbf))).toEqual([['k3', 'value003'], ['k2', 'value002']]);
		// Shrinking evicts down to the new size.
		expect(d.decode(Uint8Array.from(sizeUpdate(50)))).toEqual([]);
		expect(d.tableEntries()).toEqual([['k3', 'value003']]);
		// An entry larger than the whole table empties it.
		expect(d.decode(Uint8Array.from(indexedLiteral('big', 'x'.repeat(40))))).toEqual([['big', 'x'.repeat(40)]]);
		expect(d.tableEntries()).toEqual([]);
		expect(d.tableSize).toBe(0);
	});

	it('counts octets, not UTF-16 units, for non-ASCII values', () => {
		const d = new HpackDecoder();
		d.decode(Uint8Array.from(indexedLiteral('name', 'é✓')));
		expect(d.tableEntries()).toEqual([['name', 'é✓']]);
		expect(d.tableSize).toBe(4 + 5 + 32);
	});

	it('new names from the static table and from Huffman literals', () => {
		const d = new HpackDecoder();
		const ua = huffmanEncode(Buffer.from('okhttp/4.12.0'));
		// 0x7a = literal with indexing, name index 58 (user-agent); 0x80 | len = Huffman value.
		expect(d.decode(Uint8Array.from([0x7a, 0x80 | ua.length, ...ua, 0xbe]))).toEqual([['user-agent', 'okhttp/4.12.0'], ['user-agent', 'okhttp/4.12.0']]);
	});

	it('size updates: over the bound, or after a field, are errors; the decoder then stays failed', () => {
		const small = new HpackDecoder(4096);
		expect(small.decode(Uint8Array.from(sizeUpdate(4097)))).toEqual({error: expect.stringContaining('over the bound 4096')});
		expect(small.decode(hex('82'))).toEqual({error: expect.stringContaining('over the bound')});
		const big = new HpackDecoder(1 << 30);
		expect(big.decode(Uint8Array.from(sizeUpdate(HPACK_MAX_TABLE_SIZE)))).toEqual([]);
		expect(big.decode(Uint8Array.from(sizeUpdate(HPACK_MAX_TABLE_SIZE + 1)))).toHaveProperty('error');
		expect(new HpackDecoder().decode(Uint8Array.from([0x82, ...sizeUpdate(10)]))).toEqual({error: expect.stringContaining('after a header field')});
	});

	it('malformed blocks are errors, not exceptions', () => {
		const cases = ['80', 'ff', 'ffffffffffffff', '40', '4005', '400161', '0081ff', '0f', '7f80', 'c0'];
		for (const c of cases) expect(new HpackDecoder().decode(hex(c)), c).toHaveProperty('error');
	});

	it('caps headers per block but keeps the table in step', () => {
		const d = new HpackDecoder();
		const block = [...Array.from({length: HPACK_MAX_HEADERS + 44}, () => 0x82), ...indexedLiteral('late', 'entry')];
		const r = d.decode(Uint8Array.from(block));
		expect(r).toHaveLength(HPACK_MAX_HEADERS);
		expect(d.droppedHeaders).toBe(45);
		expect(d.tableEntries()).toEqual([['late', 'entry']]);
		// A 4000-octet entry referenced 40 times is ~160 KB of list: cut at HPACK_MAX_LIST_SIZE.
		const big = new HpackDecoder();
		const v = 'v'.repeat(4000);
		const lit = [0x40, 1, 0x62, 0x7f, ...[4000 - 127].flatMap((n) => [(n & 0x7f) | 0x80, n >> 7]), ...Buffer.from(v)];
		const list = big.decode(Uint8Array.from([...lit, ...Array.from({length: 40}, () => 0xbe)]));
		expect(Array.isArray(list) && list.length).toBe(16);
		expect(big.droppedHeaders).toBe(25);
	});

	it('random blocks never throw', () => {
		let seed = 7;
		const rand = () => {
			seed = (seed * 1103515245 + 12345) >>> 0;
			return seed >>> 16;
		};
		for (let n = 0; n < 500; n++) {
			const d = new HpackDecoder(HPACK_MAX_TABLE_SIZE);
			for (let k = 0; k < 4; k++) {
				const block = Uint8Array.from({length: rand() % 300}, () => rand() & 0xff);
				const r = d.decode(block);
				if (Array.isArray(r)) expect(r.length).toBeLessThanOrEqual(HPACK_MAX_HEADERS);
				expect(d.tableSize).toBeLessThanOrEqual(HPACK_MAX_TABLE_SIZE);
			}
		}
	});
});
