/**
 * One frame to its layer 3/4 facts. The hot path of the whole tool: no regex, and no object per
 * packet: `decodeInto` fills a reused `PacketFields` with numbers and offsets into the frame;
 * address text and the payload view are made only when something asks for them.
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

/**
 * A decoded packet as fields to be filled again for the next one (decodeInto). Valid while its
 * frame is (the capture batch): copy what you keep. Addresses are offsets into `data` (4 or 16
 * bytes); `src`, `dst` and `payload` are built on first read, once per packet.
 */
export class PacketFields implements PacketMeta {
	index = 0;
	ts = 0;
	len = 0;
	ipVersion: 0 | 4 | 6 = 0;
	proto = -1;
	sport = 0;
	dport = 0;
	tcpFlags = 0;
	tcpSeq = 0;
	fragment = false;
	app: {uid?: number; package?: string} | undefined = undefined;
	problem: DecodeProblem | undefined = undefined;
	/** The frame the offsets point into. */
	data: Uint8Array = EMPTY;
	srcOff = 0;
	dstOff = 0;
	/** Transport payload as [payloadStart, payloadEnd) in `data`. */
	payloadStart = 0;
	payloadEnd = 0;
	private srcText: string | undefined = undefined;
	private dstText: string | undefined = undefined;
	private view: Uint8Array | undefined = undefined;

	get src(): string {
		return (this.srcText ??= this.ipVersion === 6 ? ipv6Text(this.data, this.srcOff) : ipv4Text(this.data, this.srcOff));
	}

	get dst(): string {
		return (this.dstText ??= this.ipVersion === 6 ? ipv6Text(this.data, this.dstOff) : ipv4Text(this.data, this.dstOff));
	}

	/** The transport payload, a view into the frame (empty when none). */
	get payload(): Uint8Array {
		if (this.view === undefined) this.view = this.payloadEnd > this.payloadStart ? this.data.subarray(this.payloadStart, this.payloadEnd) : EMPTY;
		return this.view;
	}

	/** Payload bytes, without making the view. */
	get payloadLength(): number {
		return this.payloadEnd - this.payloadStart;
	}

	/** Drops what was built for the previous packet (decodeInto calls it). */
	forget(): void {
		this.srcText = undefined;
		this.dstText = undefined;
		this.view = undefined;
	}

	/** A plain PacketMeta with the same facts (for callers that keep packets). */
	toMeta(): PacketMeta {
		return {
			index: this.index, ts: this.ts, len: this.len, ipVersion: this.ipVersion, src: this.src, dst: this.dst, proto: this.proto,
			sport: this.sport, dport: this.dport, payload: this.payload, tcpFlags: this.tcpFlags, tcpSeq: this.tcpSeq, fragment: this.fragment,
			app: this.app, problem: this.problem,
		};
	}
}

/** Decode a captured frame to its IP/TCP/UDP facts (a fresh object), or say why it could not be. */
export function decodePacket(raw: RawPacket): PacketMeta | DecodeProblem {
	const f = new PacketFields();
	const problem = decodeInto(raw, f);
	return problem ?? f.toMeta();
}

/**
 * Decode a captured frame into `f` (every field rewritten): undefined when it holds an IP packet
 * (`f.problem` may still say its transport was cut short), else why it could not be read.
 */
export function decodeInto(raw: RawPacket, f: PacketFields): DecodeProblem | undefined {
	const data = raw.data;
	const link = linkPayload(raw.linkType, data);
	if (link < 0) return link === LINK_TRUNCATED ? 'truncated' : 'unknown-linktype';
	const kind = link % NET_KINDS;
	const off = (link - kind) / NET_KINDS;
	if (kind === NET_OTHER) return 'not-ip';
	if (off >= data.length) return 'truncated';
	const version = data[off]! >> 4;
	if (version === 6) return ipv6(raw, f, data, off);
	if (kind === NET_IPV6) return 'bad-ip';
	if (version === 4) return ipv4(raw, f, data, off);
	return kind === NET_IP ? 'bad-ip' : 'not-ip';
}

/** Resets `f` for a new packet: the frame's facts, the addresses at `srcOff`/`dstOff`, no transport yet. */
function begin(raw: RawPacket, f: PacketFields, data: Uint8Array, ipVersion: 4 | 6, srcOff: number, dstOff: number, proto: number, fragment: boolean): void {
	f.index = raw.index;
	f.ts = raw.ts;
	f.len = raw.origLen;
	f.ipVersion = ipVersion;
	f.data = data;
	f.srcOff = srcOff;
	f.dstOff = dstOff;
	f.proto = proto;
	f.fragment = fragment;
	f.sport = 0;
	f.dport = 0;
	f.tcpFlags = 0;
	f.tcpSeq = 0;
	f.payloadStart = 0;
	f.payloadEnd = 0;
	f.app = raw.app;
	f.problem = undefined;
	f.forget();
}

function ipv4(raw: RawPacket, f: PacketFields, data: Uint8Array, off: number): DecodeProblem | undefined {
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
	begin(raw, f, data, 4, off + 12, off + 16, data[off + 9]!, fragment);
	if (off + ihl > end) f.problem = 'truncated';
	else if (fragOffset === 0) transport(f, data, off + ihl, end);
	return undefined;
}

function ipv6(raw: RawPacket, f: PacketFields, data: Uint8Array, off: number): DecodeProblem | undefined {
	if (off + 40 > data.length) return 'truncated';
	const plen = u16(data, off + 4);
	// Payload length 0 is a jumbogram (or TSO): the frame length is all we have.
	let end = plen === 0 ? data.length : off + 40 + plen;
	if (end > data.length) end = data.length;
	let next = data[off + 6]!;
	let p = off + 40;
	let fragment = false;
	begin(raw, f, data, 6, off + 8, off + 24, next, false);
	for (let i = 0; ; i++) {
		if (i >= MAX_IPV6_EXT_HEADERS) return stop(f, next, fragment, 'bad-ip');
		if (next === 0 || next === 43 || next === 60 || next === 51 || next === 44) {
			if (p + 8 > end) return stop(f, next, fragment, 'truncated');
			if (next === 44) {
				const fo = u16(data, p + 2);
				fragment = true;
				if (fo >> 3 !== 0) return stop(f, data[p]!, true, undefined);
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
	f.proto = next;
	f.fragment = fragment;
	transport(f, data, p, end);
	return undefined;
}

/** An IPv6 packet whose transport we do not (or cannot) read: addresses only. */
function stop(f: PacketFields, proto: number, fragment: boolean, problem: DecodeProblem | undefined): undefined {
	f.proto = proto;
	f.fragment = fragment;
	f.problem = problem;
	return undefined;
}

/** TCP or UDP header at `p` (the packet ends at `end`) into `f`; other protocols keep addresses only. */
function transport(f: PacketFields, data: Uint8Array, p: number, end: number): void {
	const proto = f.proto;
	if (proto === PROTO_TCP) {
		if (p + 20 > end) {
			f.problem = 'truncated';
			return;
		}
		const hl = (data[p + 12]! >> 4) * 4;
		f.sport = u16(data, p);
		f.dport = u16(data, p + 2);
		f.tcpFlags = data[p + 13]!;
		f.tcpSeq = u32(data, p + 4);
		if (hl < 20) f.problem = 'bad-transport';
		else if (p + hl > end) f.problem = 'truncated';
		else if (p + hl < end) {
			f.payloadStart = p + hl;
			f.payloadEnd = end;
		}
		return;
	}
	if (proto === PROTO_UDP) {
		if (p + 8 > end) {
			f.problem = 'truncated';
			return;
		}
		f.sport = u16(data, p);
		f.dport = u16(data, p + 2);
		const ulen = u16(data, p + 4);
		// UDP length 0 happens under IPv6 jumbograms and TSO: the IP length rules then.
		const uend = ulen === 0 ? end : p + ulen;
		if (ulen !== 0 && ulen < 8) f.problem = 'bad-transport';
		else {
			const stopAt = uend < end ? uend : end;
			if (stopAt > p + 8) {
				f.payloadStart = p + 8;
				f.payloadEnd = stopAt;
			}
		}
	}
}

/** True when decodePacket returned a packet rather than a problem. */
export function isPacket(r: PacketMeta | DecodeProblem): r is PacketMeta {
	return typeof r !== 'string';
}
