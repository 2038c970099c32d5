/**
 * IP address text and the small byte readers the packet decoder shares. Hot path: no regex,
 * no intermediate arrays; IPv4 text is memoised because a capture talks to few addresses.
 */

/** Decimal text of every byte value, so an IPv4 address is four look-ups and three joins. */
const DECIMAL: readonly string[] = Array.from({length: 256}, (_, i) => String(i));

/** Lowercase hex of every 16-bit group's halves without leading zeros (tshark/glibc style). */
const HEX: readonly string[] = Array.from({length: 256}, (_, i) => i.toString(16));
const HEX2: readonly string[] = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * IPv4 text cache size. A phone talks to a few hundred addresses in a session; 4096 covers a
 * busy capture while capping memory at ~200 KB. When full it is cleared (cheaper than LRU here).
 */
const IPV4_TEXT_CACHE_MAX = 4096;

// A memo of pure results: its content never changes what a call returns, only how fast.
const ipv4Cache = new Map<number, string>();

/** Dotted-quad text of the 4 bytes at `off`. */
export function ipv4Text(data: Uint8Array, off: number): string {
	// Signed 32-bit on purpose: an unsigned key >= 2^31 is a heap number, allocated per call.
	const key = (data[off]! << 24) | (data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!;
	let text = ipv4Cache.get(key);
	if (text === undefined) {
		text = DECIMAL[data[off]!] + '.' + DECIMAL[data[off + 1]!] + '.' + DECIMAL[data[off + 2]!] + '.' + DECIMAL[data[off + 3]!];
		if (ipv4Cache.size >= IPV4_TEXT_CACHE_MAX) ipv4Cache.clear();
		ipv4Cache.set(key, text);
	}
	return text;
}

function group(data: Uint8Array, p: number): string {
	const hi = data[p]!;
	return hi === 0 ? HEX[data[p + 1]!]! : HEX[hi]! + HEX2[data[p + 1]!]!;
}

/**
 * IPv6 text of the 16 bytes at `off`, as tshark 4.0 prints it (glibc inet_ntop: lowercase, the
 * first longest run of two or more zero groups as `::`, `::a.b.c.d` and `::ffff:a.b.c.d` for
 * IPv4-compatible and IPv4-mapped addresses).
 */
export function ipv6Text(data: Uint8Array, off: number): string {
	let bestBase = -1;
	let bestLen = 0;
	let curBase = -1;
	let curLen = 0;
	for (let i = 0; i < 8; i++) {
		const p = off + i * 2;
		if (data[p] === 0 && data[p + 1] === 0) {
			if (curBase < 0) {
				curBase = i;
				curLen = 1;
			} else curLen++;
		} else if (curBase >= 0) {
			if (curLen > bestLen) {
				bestBase = curBase;
				bestLen = curLen;
			}
			curBase = -1;
		}
	}
	if (curBase >= 0 && curLen > bestLen) {
		bestBase = curBase;
		bestLen = curLen;
	}
	if (bestLen < 2) bestBase = -1;
	let out = '';
	for (let i = 0; i < 8; i++) {
		if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
			if (i === bestBase) out += ':';
			continue;
		}
		if (i !== 0) out += ':';
		// glibc: encapsulated IPv4 after six zero groups, or five zeros then ffff.
		if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && data[off + 10] === 0xff && data[off + 11] === 0xff))) {
			out += DECIMAL[data[off + 12]!] + '.' + DECIMAL[data[off + 13]!] + '.' + DECIMAL[data[off + 14]!] + '.' + DECIMAL[data[off + 15]!];
			return out;
		}
		out += group(data, off + i * 2);
	}
	if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
	return out;
}

/** Big-endian 16-bit read. */
export function u16(data: Uint8Array, off: number): number {
	return (data[off]! << 8) | data[off + 1]!;
}

/** Big-endian 32-bit read (unsigned). */
export function u32(data: Uint8Array, off: number): number {
	return ((data[off]! << 24) | (data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!) >>> 0;
}

/** Little-endian 16-bit read. */
export function u16le(data: Uint8Array, off: number): number {
	return data[off]! | (data[off + 1]! << 8);
}

/** Little-endian 32-bit read (unsigned). */
export function u32le(data: Uint8Array, off: number): number {
	return (data[off]! | (data[off + 1]! << 8) | (data[off + 2]! << 16) | (data[off + 3]! << 24)) >>> 0;
}
