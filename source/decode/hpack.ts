/**
 * HPACK header block decoding (RFC 7541): static and dynamic table, Huffman strings, table size
 * updates. One decoder per direction of one connection; blocks must be fed in order, since each
 * one can change the table the next one refers to. Bytes in, values out; never throws.
 *
 * Strings are decoded as UTF-8 with replacement (decodeRange: ASCII fast path). Names and values
 * are octets on the wire and nearly always ASCII; when they are not, phones send UTF-8 (file names,
 * user text), which latin1 would turn into mojibake. The table's sizes count octets, not UTF-16
 * units, so a replaced byte never puts the table out of step with the encoder's.
 *
 * Over 300 lines because the RFC 7541 static table and Huffman code are data (about 130 lines);
 * the decoder is the rest.
 */
import {decodeRange} from './tls.js';

/** The protocol's initial table size (RFC 9113 SETTINGS_HEADER_TABLE_SIZE default). */
const HPACK_DEFAULT_TABLE_SIZE = 4096;

/**
 * Largest table a size update may set. The bound really is the peer's SETTINGS, which a passive
 * decoder of one direction may not see; 64 KiB covers what servers advertise (4 KiB mostly,
 * 64 KiB at the most generous) while keeping a hostile table small.
 */
export const HPACK_MAX_TABLE_SIZE = 64 * 1024;

/** Header fields kept per block; real requests carry 5-30, a block of 1-byte references must not make a huge list. */
export const HPACK_MAX_HEADERS = 256;

/**
 * Decoded header list size kept per block (RFC 9113 sizes: name + value + 32 octets). Indexed
 * fields let a small block name big table entries many times; servers refuse lists far smaller.
 */
const HPACK_MAX_LIST_SIZE = 64 * 1024;

/** Per-entry overhead in table and list sizes (RFC 7541 4.1). */
const ENTRY_OVERHEAD = 32;

/** Continuation bytes of an integer, 7 bits each: 5 give 35 bits, past any size that fits a block. */
const MAX_INT_CONTINUATION = 5;

type Entry = {name: string; value: string; nameOctets: number; size: number};

/** RFC 7541 Appendix A, index 1..61. */
const STATIC_PAIRS: ReadonlyArray<readonly [string, string]> = [
	[':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
	[':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
	[':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
	['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
	['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
	['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
	['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
	['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
	['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
	['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
	['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
	['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
	['www-authenticate', ''],
];

const STATIC_TABLE: readonly Entry[] = STATIC_PAIRS.map(([name, value]) => ({
	name, value, nameOctets: name.length, size: name.length + value.length + ENTRY_OVERHEAD,
}));

/**
 * RFC 7541 Appendix B: [code, bit length] for octets 0..255, then EOS (256). Codes are the bits
 * right-aligned, as the RFC's "hex" column lists them.
 */
export const HPACK_HUFFMAN_CODES: ReadonlyArray<readonly [number, number]> = [
	/*   0 */ [0x1ff8, 13], [0x7fffd8, 23], [0xfffffe2, 28], [0xfffffe3, 28],
	/*   4 */ [0xfffffe4, 28], [0xfffffe5, 28], [0xfffffe6, 28], [0xfffffe7, 28],
	/*   8 */ [0xfffffe8, 28], [0xffffea, 24], [0x3ffffffc, 30], [0xfffffe9, 28],
	/*  12 */ [0xfffffea, 28], [0x3ffffffd, 30], [0xfffffeb, 28], [0xfffffec, 28],
	/*  16 */ [0xfffffed, 28], [0xfffffee, 28], [0xfffffef, 28], [0xffffff0, 28],
	/*  20 */ [0xffffff1, 28], [0xffffff2, 28], [0x3ffffffe, 30], [0xffffff3, 28],
	/*  24 */ [0xffffff4, 28], [0xffffff5, 28], [0xffffff6, 28], [0xffffff7, 28],
	/*  28 */ [0xffffff8, 28], [0xffffff9, 28], [0xffffffa, 28], [0xffffffb, 28],
	/*  32 */ [0x14, 6], [0x3f8, 10], [0x3f9, 10], [0xffa, 12],
	/*  36 */ [0x1ff9, 13], [0x15, 6], [0xf8, 8], [0x7fa, 11],
	/*  40 */ [0x3fa, 10], [0x3fb, 10], [0xf9, 8], [0x7fb, 11],
	/*  44 */ [0xfa, 8], [0x16, 6], [0x17, 6], [0x18, 6],
	/*  48 */ [0x0, 5], [0x1, 5], [0x2, 5], [0x19, 6],
	/*  52 */ [0x1a, 6], [0x1b, 6], [0x1c, 6], [0x1d, 6],
	/*  56 */ [0x1e, 6], [0x1f, 6], [0x5c, 7], [0xfb, 8],
	/*  60 */ [0x7ffc, 15], [0x20, 6], [0xffb, 12], [0x3fc, 10],
	/*  64 */ [0x1ffa, 13], [0x21, 6], [0x5d, 7], [0x5e, 7],
	/*  68 */ [0x5f, 7], [0x60, 7], [0x61, 7], [0x62, 7],
	/*  72 */ [0x63, 7], [0x64, 7], [0x65, 7], [0x66, 7],
	/*  76 */ [0x67, 7], [0x68, 7], [0x69, 7], [0x6a, 7],
	/*  80 */ [0x6b, 7], [0x6c, 7], [0x6d, 7], [0x6e, 7],
	/*  84 */ [0x6f, 7], [0x70, 7], [0x71, 7], [0x72, 7],
	/*  88 */ [0xfc, 8], [0x73, 7], [0xfd, 8], [0x1ffb, 13],
	/*  92 */ [0x7fff0, 19], [0x1ffc, 13], [0x3ffc, 14], [0x22, 6],
	/*  96 */ [0x7ffd, 15], [0x3, 5], [0x23, 6], [0x4, 5],
	/* 100 */ [0x24, 6], [0x5, 5], [0x25, 6], [0x26, 6],
	/* 104 */ [0x27, 6], [0x6, 5], [0x74, 7], [0x75, 7],
	/* 108 */ [0x28, 6], [0x29, 6], [0x2a, 6], [0x7, 5],
	/* 112 */ [0x2b, 6], [0x76, 7], [0x2c, 6], [0x8, 5],
	/* 116 */ [0x9, 5], [0x2d, 6], [0x77, 7], [0x78, 7],
	/* 120 */ [0x79, 7], [0x7a, 7], [0x7b, 7], [0x7ffe, 15],
	/* 124 */ [0x7fc, 11], [0x3ffd, 14], [0x1ffd, 13], [0xffffffc, 28],
	/* 128 */ [0xfffe6, 20], [0x3fffd2, 22], [0xfffe7, 20], [0xfffe8, 20],
	/* 132 */ [0x3fffd3, 22], [0x3fffd4, 22], [0x3fffd5, 22], [0x7fffd9, 23],
	/* 136 */ [0x3fffd6, 22], [0x7fffda, 23], [0x7fffdb, 23], [0x7fffdc, 23],
	/* 140 */ [0x7fffdd, 23], [0x7fffde, 23], [0xffffeb, 24], [0x7fffdf, 23],
	/* 144 */ [0xffffec, 24], [0xffffed, 24], [0x3fffd7, 22], [0x7fffe0, 23],
	/* 148 */ [0xffffee, 24], [0x7fffe1, 23], [0x7fffe2, 23], [0x7fffe3, 23],
	/* 152 */ [0x7fffe4, 23], [0x1fffdc, 21], [0x3fffd8, 22], [0x7fffe5, 23],
	/* 156 */ [0x3fffd9, 22], [0x7fffe6, 23], [0x7fffe7, 23], [0xffffef, 24],
	/* 160 */ [0x3fffda, 22], [0x1fffdd, 21], [0xfffe9, 20], [0x3fffdb, 22],
	/* 164 */ [0x3fffdc, 22], [0x7fffe8, 23], [0x7fffe9, 23], [0x1fffde, 21],
	/* 168 */ [0x7fffea, 23], [0x3fffdd, 22], [0x3fffde, 22], [0xfffff0, 24],
	/* 172 */ [0x1fffdf, 21], [0x3fffdf, 22], [0x7fffeb, 23], [0x7fffec, 23],
	/* 176 */ [0x1fffe0, 21], [0x1fffe1, 21], [0x3fffe0, 22], [0x1fffe2, 21],
	/* 180 */ [0x7fffed, 23], [0x3fffe1, 22], [0x7fffee, 23], [0x7fffef, 23],
	/* 184 */ [0xfffea, 20], [0x3fffe2, 22], [0x3fffe3, 22], [0x3fffe4, 22],
	/* 188 */ [0x7ffff0, 23], [0x3fffe5, 22], [0x3fffe6, 22], [0x7ffff1, 23],
	/* 192 */ [0x3ffffe0, 26], [0x3ffffe1, 26], [0xfffeb, 20], [0x7fff1, 19],
	/* 196 */ [0x3fffe7, 22], [0x7ffff2, 23], [0x3fffe8, 22], [0x1ffffec, 25],
	/* 200 */ [0x3ffffe2, 26], [0x3ffffe3, 26], [0x3ffffe4, 26], [0x7ffffde, 27],
	/* 204 */ [0x7ffffdf, 27], [0x3ffffe5, 26], [0xfffff1, 24], [0x1ffffed, 25],
	/* 208 */ [0x7fff2, 19], [0x1fffe3, 21], [0x3ffffe6, 26], [0x7ffffe0, 27],
	/* 212 */ [0x7ffffe1, 27], [0x3ffffe7, 26], [0x7ffffe2, 27], [0xfffff2, 24],
	/* 216 */ [0x1fffe4, 21], [0x1fffe5, 21], [0x3ffffe8, 26], [0x3ffffe9, 26],
	/* 220 */ [0xffffffd, 28], [0x7ffffe3, 27], [0x7ffffe4, 27], [0x7ffffe5, 27],
	/* 224 */ [0xfffec, 20], [0xfffff3, 24], [0xfffed, 20], [0x1fffe6, 21],
	/* 228 */ [0x3fffe9, 22], [0x1fffe7, 21], [0x1fffe8, 21], [0x7ffff3, 23],
	/* 232 */ [0x3fffea, 22], [0x3fffeb, 22], [0x1ffffee, 25], [0x1ffffef, 25],
	/* 236 */ [0xfffff4, 24], [0xfffff5, 24], [0x3ffffea, 26], [0x7ffff4, 23],
	/* 240 */ [0x3ffffeb, 26], [0x7ffffe6, 27], [0x3ffffec, 26], [0x3ffffed, 26],
	/* 244 */ [0x7ffffe7, 27], [0x7ffffe8, 27], [0x7ffffe9, 27], [0x7ffffea, 27],
	/* 248 */ [0x7ffffeb, 27], [0xffffffe, 28], [0x7ffffec, 27], [0x7ffffed, 27],
	/* 252 */ [0x7ffffee, 27], [0x7ffffef, 27], [0x7fffff0, 27], [0x3ffffee, 26],
	/* EOS */ [0x3fffffff, 30],
];

const EOS = 256;

/**
 * The code as a binary trie: node n's children at [2n] (bit 0) and [2n+1] (bit 1); a positive
 * entry is the child node, a negative one the leaf -(symbol + 1). 257 leaves need 256 nodes.
 */
const HUFFMAN_TRIE = buildTrie();

function buildTrie(): Int32Array {
	const trie = new Int32Array(2 * 256);
	let nodes = 1;
	HPACK_HUFFMAN_CODES.forEach(([code, len], sym) => {
		let node = 0;
		for (let i = len - 1; i > 0; i--) {
			const slot = 2 * node + ((code >>> i) & 1);
			if (trie[slot] === 0) trie[slot] = nodes++;
			node = trie[slot]!;
		}
		trie[2 * node + (code & 1)] = -(sym + 1);
	});
	return trie;
}

/** Decode a Huffman string to octets; undefined on EOS, or padding longer than 7 bits or not all ones. */
function huffmanOctets(b: Uint8Array, from: number, to: number): Uint8Array | undefined {
	// The shortest code is 5 bits, so n input octets give at most 8n/5 symbols.
	const out = new Uint8Array(Math.floor(((to - from) * 8) / 5));
	let n = 0;
	let node = 0;
	let pending = 0;
	let allOnes = true;
	for (let i = from; i < to; i++) {
		const byte = b[i]!;
		for (let shift = 7; shift >= 0; shift--) {
			const bit = (byte >>> shift) & 1;
			const next = HUFFMAN_TRIE[2 * node + bit]!;
			pending++;
			if (bit === 0) allOnes = false;
			if (next > 0) {
				node = next;
				continue;
			}
			// The code is complete (every path ends in a leaf), so next is a leaf here.
			const sym = -next - 1;
			if (sym === EOS) return undefined;
			out[n++] = sym;
			node = 0;
			pending = 0;
			allOnes = true;
		}
	}
	if (pending > 7 || !allOnes) return undefined;
	return out.subarray(0, n);
}

/** Decode a Huffman-coded string (RFC 7541 5.2); undefined on an invalid code, EOS or bad padding. */
export function huffmanDecode(b: Uint8Array): string | undefined {
	const octets = huffmanOctets(b, 0, b.length);
	return octets && decodeRange(octets, 0, octets.length);
}

/** Read position in one header block. */
type Cursor = {b: Uint8Array; p: number};

/** Prefixed integer (RFC 7541 5.1) at the cursor; -1 when truncated or too long. */
function readInt(c: Cursor, prefixBits: number): number {
	if (c.p >= c.b.length) return -1;
	const max = (1 << prefixBits) - 1;
	let v = c.b[c.p++]! & max;
	if (v < max) return v;
	for (let i = 0; i < MAX_INT_CONTINUATION; i++) {
		if (c.p >= c.b.length) return -1;
		const x = c.b[c.p++]!;
		v += (x & 0x7f) * 2 ** (7 * i);
		if ((x & 0x80) === 0) return v;
	}
	return -1;
}

type Text = {text: string; octets: number};

/** String literal (RFC 7541 5.2) at the cursor; undefined when truncated or badly coded. */
function readString(c: Cursor): Text | undefined {
	if (c.p >= c.b.length) return undefined;
	const huffman = (c.b[c.p]! & 0x80) !== 0;
	const n = readInt(c, 7);
	if (n < 0 || n > c.b.length - c.p) return undefined;
	const from = c.p;
	c.p += n;
	if (!huffman) return {text: decodeRange(c.b, from, from + n), octets: n};
	const octets = huffmanOctets(c.b, from, from + n);
	return octets && {text: decodeRange(octets, 0, octets.length), octets: octets.length};
}

/** Decodes HPACK header blocks of one direction of one connection (RFC 7541): static + dynamic table, Huffman, size updates. */
export class HpackDecoder {
	/** Header fields left out of results by HPACK_MAX_HEADERS / HPACK_MAX_LIST_SIZE (they still update the table). */
	droppedHeaders = 0;

	private readonly bound: number;
	private maxSize: number;
	private size = 0;
	/** Ring of entries, newest at `head`; each entry is >= 32 octets, so bound/32 slots always suffice. */
	private readonly ring: Array<Entry | undefined>;
	private head = 0;
	private count = 0;
	private failure: string | undefined;

	/** @param maxTableSize upper bound a size update may set (capped at HPACK_MAX_TABLE_SIZE) */
	constructor(maxTableSize: number = HPACK_DEFAULT_TABLE_SIZE) {
		this.bound = Math.max(0, Math.min(Math.floor(maxTableSize) || 0, HPACK_MAX_TABLE_SIZE));
		this.maxSize = Math.min(HPACK_DEFAULT_TABLE_SIZE, this.bound);
		this.ring = new Array<Entry | undefined>(Math.max(1, Math.floor(this.bound / ENTRY_OVERHEAD)));
	}

	/** Current dynamic table size in RFC octets. */
	get tableSize(): number {
		return this.size;
	}

	/** Current dynamic table size limit (the last size update, else the protocol default). */
	get tableLimit(): number {
		return this.maxSize;
	}

	/** Dynamic table entries, newest first (index 62 onwards). */
	tableEntries(): Array<[string, string]> {
		const out: Array<[string, string]> = [];
		for (let i = 0; i < this.count; i++) {
			const e = this.dynamic(i)!;
			out.push([e.name, e.value]);
		}
		return out;
	}

	/** One complete header block -> header list, or an error string (the decoder is then unusable: the table state is unknown). */
	decode(block: Uint8Array): Array<[string, string]> | {error: string} {
		if (this.failure !== undefined) return {error: this.failure};
		const c: Cursor = {b: block, p: 0};
		const headers: Array<[string, string]> = [];
		let listSize = 0;
		let fieldSeen = false;
		// Every representation consumes at least one octet, so the block length bounds the loop.
		while (c.p < block.length) {
			const first = block[c.p]!;
			let entry: Entry | string;
			if (first & 0x80) {
				entry = this.indexed(c);
			} else if (first & 0x40) {
				entry = this.literal(c, 6);
				if (typeof entry !== 'string') this.insert(entry);
			} else if (first & 0x20) {
				const problem = fieldSeen ? 'table size update after a header field' : this.sizeUpdate(c);
				if (problem) return this.fail(problem);
				continue;
			} else {
				// 0000 without indexing, 0001 never indexed: the same to a decoder.
				entry = this.literal(c, 4);
			}
			if (typeof entry === 'string') return this.fail(entry);
			fieldSeen = true;
			if (headers.length >= HPACK_MAX_HEADERS || listSize + entry.size > HPACK_MAX_LIST_SIZE) {
				this.droppedHeaders++;
				continue;
			}
			listSize += entry.size;
			headers.push([entry.name, entry.value]);
		}
		return headers;
	}

	private fail(problem: string): {error: string} {
		this.failure = `hpack: ${problem}`;
		return {error: this.failure};
	}

	/** Dynamic entry i (0 = newest). */
	private dynamic(i: number): Entry | undefined {
		if (i < 0 || i >= this.count) return undefined;
		return this.ring[(this.head - i + this.ring.length) % this.ring.length];
	}

	/** Entry at a 1-based HPACK index, or an error. */
	private lookup(index: number): Entry | string {
		if (index === 0) return 'index 0';
		if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
		return this.dynamic(index - STATIC_TABLE.length - 1) ?? `index ${index} beyond the table (${STATIC_TABLE.length + this.count} entries)`;
	}

	private indexed(c: Cursor): Entry | string {
		const index = readInt(c, 7);
		return index < 0 ? 'truncated index' : this.lookup(index);
	}

	private literal(c: Cursor, prefixBits: number): Entry | string {
		const index = readInt(c, prefixBits);
		if (index < 0) return 'truncated name index';
		let name: string;
		let nameOctets: number;
		if (index === 0) {
			const s = readString(c);
			if (!s) return 'bad or truncated name string';
			name = s.text;
			nameOctets = s.octets;
		} else {
			const e = this.lookup(index);
			if (typeof e === 'string') return e;
			name = e.name;
			nameOctets = e.nameOctets;
		}
		const v = readString(c);
		if (!v) return `bad or truncated value string (${name})`;
		return {name, value: v.text, nameOctets, size: nameOctets + v.octets + ENTRY_OVERHEAD};
	}

	private sizeUpdate(c: Cursor): string | undefined {
		const size = readInt(c, 5);
		if (size < 0) return 'truncated table size update';
		if (size > this.bound) return `table size update to ${size} over the bound ${this.bound}`;
		this.maxSize = size;
		this.evictTo(size);
		return undefined;
	}

	private evictTo(limit: number): void {
		// Each pass removes one entry, so the entry count bounds the loop.
		while (this.size > limit && this.count > 0) {
			const oldest = (this.head - this.count + 1 + this.ring.length) % this.ring.length;
			this.size -= this.ring[oldest]!.size;
			this.ring[oldest] = undefined;
			this.count--;
		}
	}

	private insert(e: Entry): void {
		// An entry larger than the whole table empties it and is not added (RFC 7541 4.4).
		this.evictTo(Math.max(0, this.maxSize - e.size));
		if (e.size > this.maxSize) return;
		this.head = (this.head + 1) % this.ring.length;
		this.ring[this.head] = e;
		this.count++;
		this.size += e.size;
	}
}
