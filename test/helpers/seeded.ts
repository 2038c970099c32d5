/** Test-side helpers shared by decoder tests: a seeded PRNG and an HPACK Huffman encoder. */
import {HPACK_HUFFMAN_CODES} from '../../source/decode/hpack.js';

/** Mulberry32: a small seeded PRNG, so the same cases run every time and a failure names its seed. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Huffman-encode octets with the table under test (RFC 7541 Appendix B), to round-trip the decoder. */
export function huffmanEncode(octets: Uint8Array): Uint8Array {
	const out: number[] = [];
	let acc = 0n;
	let bits = 0;
	for (const o of octets) {
		const [code, len] = HPACK_HUFFMAN_CODES[o]!;
		acc = (acc << BigInt(len)) | BigInt(code);
		bits += len;
		while (bits >= 8) {
			bits -= 8;
			out.push(Number((acc >> BigInt(bits)) & 0xffn));
		}
		acc &= (1n << BigInt(bits)) - 1n;
	}
	if (bits > 0) out.push(Number(((acc << BigInt(8 - bits)) | ((1n << BigInt(8 - bits)) - 1n)) & 0xffn));
	return Uint8Array.from(out);
}
