/** Test helper: build synthetic frames byte by byte (no checksums; the decoder ignores them). */
import type {RawPacket} from '../../source/types.js';

export function bytes(...parts: Array<number[] | Uint8Array>): Uint8Array {
	const out: number[] = [];
	for (const p of parts) out.push(...p);
	return Uint8Array.from(out);
}

export function be16(n: number): number[] {
	return [(n >> 8) & 0xff, n & 0xff];
}

export function be32(n: number): number[] {
	return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function ipv4Addr(s: string): number[] {
	return s.split('.').map(Number);
}

export function ipv6Addr(hex32: string): number[] {
	const out: number[] = [];
	for (let i = 0; i < 32; i += 2) out.push(parseInt(hex32.slice(i, i + 2), 16));
	return out;
}

export function udp(sport: number, dport: number, payload: Uint8Array, lenField?: number): Uint8Array {
	return bytes(be16(sport), be16(dport), be16(lenField ?? 8 + payload.length), [0, 0], payload);
}

export function tcp(sport: number, dport: number, flags: number, seq: number, payload: Uint8Array, options: number[] = []): Uint8Array {
	const hl = 20 + options.length;
	return bytes(be16(sport), be16(dport), be32(seq), be32(0), [(hl / 4) << 4, flags], be16(65535), [0, 0, 0, 0], options, payload);
}

export function ipv4(src: string, dst: string, proto: number, body: Uint8Array, o: {options?: number[]; flagsFrag?: number; totalLen?: number} = {}): Uint8Array {
	const opts = o.options ?? [];
	const ihl = (20 + opts.length) / 4;
	const total = o.totalLen ?? 20 + opts.length + body.length;
	return bytes([0x40 | ihl, 0], be16(total), be16(1), be16(o.flagsFrag ?? 0), [64, proto], [0, 0], ipv4Addr(src), ipv4Addr(dst), opts, body);
}

/** IPv6 with optional extension headers given as [nextHeader-of-this-header, bytes] pairs in order. */
export function ipv6(src: string, dst: string, next: number, body: Uint8Array, plen?: number): Uint8Array {
	return bytes([0x60, 0, 0, 0], be16(plen ?? body.length), [next, 64], ipv6Addr(src), ipv6Addr(dst), body);
}

export function ether(type: number, body: Uint8Array, vlans: number[] = []): Uint8Array {
	const tags: number[] = [];
	for (const tpid of vlans) tags.push(...be16(tpid), ...be16(100));
	return bytes([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], tags, be16(type), body);
}

export function raw(linkType: number, data: Uint8Array, over: Partial<RawPacket> = {}): RawPacket {
	return {ts: 1, linkType, data, origLen: data.length, iface: 0, index: 1, ...over};
}

/** A DNS name in wire form. */
export function dnsName(name: string): number[] {
	const out: number[] = [];
	if (name) for (const label of name.split('.')) out.push(label.length, ...Buffer.from(label, 'latin1'));
	out.push(0);
	return out;
}
