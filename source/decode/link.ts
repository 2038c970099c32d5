/**
 * Link layers: find where the network layer starts in a frame. Returns one number (no object per
 * packet): `offset * NET_KINDS + kind` when a network layer was found, or a negative LINK_* code.
 */

import {u16, u16le, u32, u32le} from './ip.js';

/** Network layer is IP; its version nibble decides 4 or 6 (tshark's "ip" dissector does the same). */
export const NET_IP = 1;
/** Network layer must be IPv6 (LINKTYPE_IPV6, ethertype 0x86dd, AF_INET6). */
export const NET_IPV6 = 2;
/** A known link layer carrying something other than IP (ARP, LLDP, LCP...). */
export const NET_OTHER = 3;
/** Multiplier that packs (offset, kind) into one number. */
export const NET_KINDS = 4;

/** The frame's link type is not one we decode. */
export const LINK_UNKNOWN = -1;
/** The frame ends inside the link header. */
export const LINK_TRUNCATED = -2;

/** LINKTYPE_* values we decode. */
export const LINKTYPE = {
	NULL: 0,
	ETHERNET: 1,
	PPP: 9,
	RAW_OPENBSD: 12,
	PPP_HDLC: 50,
	RAW: 101,
	LOOP: 108,
	LINUX_SLL: 113,
	IEEE802_11: 105,
	IEEE802_11_RADIOTAP: 127,
	PPI: 192,
	NFLOG: 239,
	IPV4: 228,
	IPV6: 229,
	PKTAP: 258,
	LINUX_SLL2: 276,
} as const;

/**
 * Stacked VLAN tags followed before giving up. QinQ uses 2; 8 leaves room for odd carrier gear
 * while bounding the loop on hostile frames.
 */
const MAX_VLAN_TAGS = 8;
/** MPLS labels followed; real stacks are 1-4 deep. */
const MAX_MPLS_LABELS = 8;
/** NFLOG TLVs scanned per frame; a real NFLOG header has about 10. */
const MAX_NFLOG_TLVS = 32;
/** Link headers nested inside another (PPI, PKTAP wrap a second link type); one level is all they use. */
const MAX_LINK_NESTING = 1;

function pack(offset: number, kind: number): number {
	return offset * NET_KINDS + kind;
}

function ethertypeKind(type: number): number {
	if (type === 0x0800) return NET_IP;
	if (type === 0x86dd) return NET_IPV6;
	return NET_OTHER;
}

/** The network layer after an ethertype at `off` (handles VLAN/QinQ, PPPoE, MPLS). */
function afterEthertype(data: Uint8Array, typeOff: number): number {
	let off = typeOff;
	for (let tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
		if (off + 2 > data.length) return LINK_TRUNCATED;
		const type = u16(data, off);
		if (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200) {
			off += 4;
			continue;
		}
		if (type === 0x8864) return afterPppoe(data, off + 2);
		if (type === 0x8847 || type === 0x8848) return afterMpls(data, off + 2);
		return pack(off + 2, ethertypeKind(type));
	}
	return pack(off, NET_OTHER);
}

function afterPppoe(data: Uint8Array, off: number): number {
	// 6-byte PPPoE session header, then a 2-byte PPP protocol.
	if (off + 8 > data.length) return LINK_TRUNCATED;
	return pppProtocol(u16(data, off + 6), off + 8);
}

function afterMpls(data: Uint8Array, off: number): number {
	for (let i = 0; i < MAX_MPLS_LABELS; i++) {
		if (off + 4 > data.length) return LINK_TRUNCATED;
		const bottom = data[off + 2]! & 1;
		off += 4;
		if (bottom) {
			if (off >= data.length) return LINK_TRUNCATED;
			const v = data[off]! >> 4;
			return pack(off, v === 4 ? NET_IP : v === 6 ? NET_IPV6 : NET_OTHER);
		}
	}
	return pack(off, NET_OTHER);
}

function pppProtocol(proto: number, off: number): number {
	if (proto === 0x0021) return pack(off, NET_IP);
	if (proto === 0x0057) return pack(off, NET_IPV6);
	return pack(off, NET_OTHER);
}

function ethernet(data: Uint8Array): number {
	if (data.length < 14) return LINK_TRUNCATED;
	const type = u16(data, 12);
	if (type > 1500) return afterEthertype(data, 12);
	// 802.3 length field: LLC, maybe SNAP with an ethertype (zeek__snap-tcp.pcap).
	if (data.length < 17) return LINK_TRUNCATED;
	if (data[14] === 0xaa && data[15] === 0xaa && data[16] === 0x03) {
		if (data.length < 22) return LINK_TRUNCATED;
		return afterEthertype(data, 20);
	}
	if (data[14] === 0x06 && data[15] === 0x06) return pack(17, NET_IP);
	return pack(14, NET_OTHER);
}

function nullLoopback(data: Uint8Array): number {
	if (data.length < 4) return LINK_TRUNCATED;
	// The family is in the capturing host's byte order; a small value read one way is the truth.
	let family = u32le(data, 0);
	if (family > 0xffff) family = u32(data, 0);
	if (family === 2) return pack(4, NET_IP);
	if (family === 10 || family === 24 || family === 28 || family === 30) return pack(4, NET_IPV6);
	return pack(4, NET_OTHER);
}

function ppp(data: Uint8Array): number {
	let off = 0;
	if (data.length >= 2 && data[0] === 0xff && data[1] === 0x03) off = 2;
	if (off + 1 > data.length) return LINK_TRUNCATED;
	// Protocol-field compression: an odd first byte is a 1-byte protocol.
	if (data[off]! & 1) return pppProtocol(data[off]!, off + 1);
	if (off + 2 > data.length) return LINK_TRUNCATED;
	return pppProtocol(u16(data, off), off + 2);
}

function nflog(data: Uint8Array): number {
	if (data.length < 4) return LINK_TRUNCATED;
	const family = data[0]!;
	let off = 4;
	for (let i = 0; i < MAX_NFLOG_TLVS && off + 4 <= data.length; i++) {
		// TLV length and type are in host byte order; NFLOG captures come from little-endian hosts.
		const len = u16le(data, off);
		const type = u16le(data, off + 2) & 0x7fff;
		if (len < 4) return LINK_TRUNCATED;
		if (type === 9) {
			const kind = family === 2 ? NET_IP : family === 10 ? NET_IPV6 : NET_OTHER;
			return pack(off + 4, kind);
		}
		off += (len + 3) & ~3;
	}
	return LINK_TRUNCATED;
}

/**
 * Where the network layer starts in `data` for `linkType`: `offset * NET_KINDS + kind`, or
 * LINK_UNKNOWN / LINK_TRUNCATED. `depth` bounds wrappers that carry another link type.
 */
export function linkPayload(linkType: number, data: Uint8Array, depth = 0): number {
	switch (linkType) {
		case LINKTYPE.ETHERNET:
			return ethernet(data);
		case LINKTYPE.RAW:
		case LINKTYPE.RAW_OPENBSD:
		case LINKTYPE.IPV4:
			return pack(0, NET_IP);
		case LINKTYPE.IPV6:
			return pack(0, NET_IPV6);
		case LINKTYPE.LINUX_SLL:
			if (data.length < 16) return LINK_TRUNCATED;
			return pack(16, ethertypeKind(u16(data, 14)));
		case LINKTYPE.LINUX_SLL2:
			if (data.length < 20) return LINK_TRUNCATED;
			return pack(20, ethertypeKind(u16(data, 0)));
		case LINKTYPE.NULL:
		case LINKTYPE.LOOP:
			return nullLoopback(data);
		case LINKTYPE.PPP:
		case LINKTYPE.PPP_HDLC:
			return ppp(data);
		case LINKTYPE.NFLOG:
			return nflog(data);
		case LINKTYPE.IEEE802_11:
			return wifi(data, 0);
		case LINKTYPE.IEEE802_11_RADIOTAP:
			if (data.length < 4) return LINK_TRUNCATED;
			return wifi(data, u16le(data, 2));
		case LINKTYPE.PPI:
		case LINKTYPE.PKTAP:
			return wrapped(linkType, data, depth);
		default:
			return LINK_UNKNOWN;
	}
}

/** An 802.11 data frame at `off`: MAC header, then LLC/SNAP with an ethertype. */
function wifi(data: Uint8Array, off: number): number {
	if (off + 24 > data.length) return LINK_TRUNCATED;
	const fc0 = data[off]!;
	const fc1 = data[off + 1]!;
	// Only unprotected data frames carry readable IP.
	if (((fc0 >> 2) & 3) !== 2 || (fc1 & 0x40) !== 0) return pack(off, NET_OTHER);
	let p = off + 24;
	if ((fc1 & 3) === 3) p += 6;
	if (fc0 & 0x80) {
		p += 2;
		if (fc1 & 0x80) p += 4;
	}
	// Null-data subtypes (bit 2 of the subtype) carry no body.
	if (fc0 & 0x40) return pack(p, NET_OTHER);
	if (p + 8 > data.length) return LINK_TRUNCATED;
	if (data[p] !== 0xaa || data[p + 1] !== 0xaa || data[p + 2] !== 0x03) return pack(p, NET_OTHER);
	return afterEthertype(data, p + 6);
}

/** PPI and PKTAP: a little-endian header naming the inner link type. */
function wrapped(linkType: number, data: Uint8Array, depth: number): number {
	if (depth >= MAX_LINK_NESTING) return LINK_UNKNOWN;
	let hdrLen: number;
	let inner: number;
	if (linkType === LINKTYPE.PPI) {
		if (data.length < 8) return LINK_TRUNCATED;
		hdrLen = u16le(data, 2);
		inner = u32le(data, 4);
	} else {
		if (data.length < 8) return LINK_TRUNCATED;
		hdrLen = u32le(data, 0);
		inner = u32le(data, 4);
	}
	if (hdrLen < 8 || hdrLen > data.length) return LINK_TRUNCATED;
	const r = linkPayload(inner, data.subarray(hdrLen), depth + 1);
	return r < 0 ? r : r + hdrLen * NET_KINDS;
}
