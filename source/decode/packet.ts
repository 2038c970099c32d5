/**
 * One frame to its layer 3/4 facts. The hot path of the whole tool (1M+ packets/s target): no
 * regex, one result object per packet, payloads are views into the frame.
 */

import type {DecodeProblem, PacketMeta, RawPacket} from '../types.js';
import {ipv4Text, ipv6Text, u16, u32} from './ip.js';
import {LINK_TRUNCATED, NET_IP, NET_IPV6, NET_KINDS, NET_OTHER, linkPayload} from './link.js';

/**
 * IPv6 extension headers walked before giving up. RFC 8200 packets carry a handful; 16 bounds
 * hostile chains of tiny headers.
 */
export const MAX_IPV6_EXT_HEADERS = 16;

/** Shared empty payload (never written to). */
const EMPTY: Uint8Array = new Uint8Array(0);

export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** Decode a captured frame to its IP/TCP/UDP facts, or say why it could not be. */
export function decodePacket(raw: RawPacket): PacketMeta | DecodeProblem {
	const data = raw.data;
	const link = linkPayload(raw.linkType, data);
	if (link < 0) return link === LINK_TRUNCATED ? 'truncated' : 'unknown-linktype';
	const kind = link % NET_KINDS;
	const off = (link - kind) / NET_KINDS;
	if (kind === NET_OTHER) return 'not-ip';
	if (off >= data.length) return 'truncated';
	const version = data[off]! >> 4;
	if (version === 6) return ipv6(raw, data, off);
	if (kind === NET_IPV6) return 'bad-ip';
	if (version === 4) return ipv4(raw, data, off);
	return kind === NET_IP ? 'bad-ip' : 'not-ip';
}

function ipv4(raw: RawPacket, data: Uint8Array, off: number): PacketMeta | DecodeProblem {
	if (off + 20 > data.length) return 'truncated';
	const ihl = (data[off]! & 0x0f) * 4;
	if (ihl < 20) return 'bad-ip';
	const total = u16(data, off + 2);
	// Total length 0 is TCP segmentation offload: the NIC fills it in after capture.
	if (total !== 0 && total < ihl) return 'bad-ip';
	let end = total === 0 ? data.length : off + total;
	// Trims Ethernet padding; a snaplen cut leaves fewer bytes than the header promised.
	if (end > data.length) end = data.length;
	const flagsFrag = u16(data, off + 6);
	const fragOffset = flagsFrag & 0x1fff;
	const fragment = fragOffset !== 0 || (flagsFrag & 0x2000) !== 0;
	const proto = data[off + 9]!;
	const src = ipv4Text(data, off + 12);
	const dst = ipv4Text(data, off + 16);
	if (off + ihl > end) return meta(raw, 4, src, dst, proto, fragment, 'truncated');
	if (fragOffset !== 0) return meta(raw, 4, src, dst, proto, fragment, undefined);
	return transport(raw, data, 4, src, dst, proto, fragment, off + ihl, end);
}

function ipv6(raw: RawPacket, data: Uint8Array, off: number): PacketMeta | DecodeProblem {
	if (off + 40 > data.length) return 'truncated';
	const plen = u16(data, off + 4);
	// Payload length 0 is a jumbogram (or TSO): the frame length is all we have.
	let end = plen === 0 ? data.length : off + 40 + plen;
	if (end > data.length) end = data.length;
	const src = ipv6Text(data, off + 8);
	const dst = ipv6Text(data, off + 24);
	let next = data[off + 6]!;
	let p = off + 40;
	let fragment = false;
	for (let i = 0; ; i++) {
		if (i >= MAX_IPV6_EXT_HEADERS) return meta(raw, 6, src, dst, next, fragment, 'bad-ip');
		if (next === 0 || next === 43 || next === 60 || next === 51 || next === 44) {
			if (p + 8 > end) return meta(raw, 6, src, dst, next, fragment, 'truncated');
			if (next === 44) {
				const fo = u16(data, p + 2);
				fragment = true;
				if (fo >> 3 !== 0) return meta(raw, 6, src, dst, data[p]!, true, undefined);
				// An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
				if ((fo & 1) === 0) fragment = false;
				next = data[p]!;
				p += 8;
				continue;
			}
			const len = next === 51 ? (data[p + 1]! + 2) * 4 : (data[p + 1]! + 1) * 8;
			next = data[p]!;
			p += len;
			continue;
		}
		break;
	}
	return transport(raw, data, 6, src, dst, next, fragment, p, end);
}

function transport(
	raw: RawPacket,
	data: Uint8Array,
	ipVersion: 4 | 6,
	src: string,
	dst: string,
	proto: number,
	fragment: boolean,
	p: number,
	end: number,
): PacketMeta {
	if (proto === PROTO_TCP) {
		if (p + 20 > end) return meta(raw, ipVersion, src, dst, proto, fragment, 'truncated');
		const hl = (data[p + 12]! >> 4) * 4;
		const sport = u16(data, p);
		const dport = u16(data, p + 2);
		const flags = data[p + 13]!;
		const seq = u32(data, p + 4);
		let problem: DecodeProblem | undefined;
		let payload: Uint8Array = EMPTY;
		if (hl < 20) problem = 'bad-transport';
		else if (p + hl > end) problem = 'truncated';
		else if (p + hl < end) payload = data.subarray(p + hl, end);
		return {
			index: raw.index, ts: raw.ts, len: raw.origLen, ipVersion, src, dst, proto,
			sport, dport, payload, tcpFlags: flags, tcpSeq: seq, fragment, app: raw.app, problem,
		};
	}
	if (proto === PROTO_UDP) {
		if (p + 8 > end) return meta(raw, ipVersion, src, dst, proto, fragment, 'truncated');
		const sport = u16(data, p);
		const dport = u16(data, p + 2);
		const ulen = u16(data, p + 4);
		let problem: DecodeProblem | undefined;
		let payload: Uint8Array = EMPTY;
		// UDP length 0 happens under IPv6 jumbograms and TSO: the IP length rules then.
		const uend = ulen === 0 ? end : p + ulen;
		if (ulen !== 0 && ulen < 8) problem = 'bad-transport';
		else {
			const stop = uend < end ? uend : end;
			if (stop > p + 8) payload = data.subarray(p + 8, stop);
		}
		return {
			index: raw.index, ts: raw.ts, len: raw.origLen, ipVersion, src, dst, proto,
			sport, dport, payload, tcpFlags: 0, tcpSeq: 0, fragment, app: raw.app, problem,
		};
	}
	return meta(raw, ipVersion, src, dst, proto, fragment, undefined);
}

/** A packet whose transport we do not (or cannot) read: addresses only. */
function meta(
	raw: RawPacket,
	ipVersion: 4 | 6,
	src: string,
	dst: string,
	proto: number,
	fragment: boolean,
	problem: DecodeProblem | undefined,
): PacketMeta {
	return {
		index: raw.index, ts: raw.ts, len: raw.origLen, ipVersion, src, dst, proto,
		sport: 0, dport: 0, payload: EMPTY, tcpFlags: 0, tcpSeq: 0, fragment, app: raw.app, problem,
	};
}

/** True when decodePacket returned a packet rather than a problem. */
export function isPacket(r: PacketMeta | DecodeProblem): r is PacketMeta {
	return typeof r !== 'string';
}
