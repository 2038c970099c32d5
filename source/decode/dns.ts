/**
 * DNS messages (also mDNS and LLMNR, which share the wire format): questions and the answer
 * section, with names rendered the way tshark 4.0 renders them so the two can be compared.
 * Hostile input: every loop is bounded, nothing throws, a bad name ends the message.
 *
 * Over 300 lines because compressed names and every record type tshark renders, with a bound on
 * each loop, are one parser compared field by field with tshark.
 */

import type {DnsAnswer, DnsEvent, PacketMeta} from '../types.js';
import {ipv4Text, ipv6Text, u16, u32} from './ip.js';

/**
 * Questions kept per message. Real queries carry 1; mDNS probes a few dozen. 64 keeps those and
 * stops a header that claims 10 518 (tcpdump__dns_fwdptr.pcap) from costing anything.
 */
export const DNS_MAX_QUESTIONS = 64;
/** Answer records kept per message; a large CDN or mDNS answer has tens, 256 is generous. */
export const DNS_MAX_ANSWERS = 256;
/**
 * Compression pointers followed within one name. tshark gives up after 255 (MAX_DNAME_LEN); the
 * same bound keeps our names equal to its names and a pointer loop costs at most 255 jumps.
 */
export const DNS_MAX_POINTER_JUMPS = 255;
/** Longest name in wire form (RFC 1035 section 2.3.4); longer names render as tshark's marker. */
export const DNS_MAX_NAME_BYTES = 255;
/**
 * Bytes held per direction by DnsTcpStream: one whole message (2-byte length + at most 65 535)
 * is the most a well-formed stream ever needs buffered.
 */
export const DNS_TCP_BUFFER_MAX = 65_537;

/** tshark's renderings of names it cannot spell out. */
export const NAME_TOO_LONG = '<Name too long>';
export const NAME_LOOPS = '<Name contains a pointer that loops>';
export const NAME_UNKNOWN_EXTENDED = '<Unknown extended label>';

type DnsQuestion = {name: string; qtype: number};

/** An answer record; HTTPS/SVCB records also keep their ALPN ids and IPv4 hints. */
type DnsRecord = DnsAnswer & {rrtype: number; alpn?: string[]; ipv4hint?: string[]};

export type DnsMessage = {
	id: number;
	response: boolean;
	opcode: number;
	rcode: number;
	/** Counts as the header claims them (the lists below are capped). */
	qdCount: number;
	anCount: number;
	questions: DnsQuestion[];
	answers: DnsRecord[];
	/** A name or record could not be fully decoded; the lists hold what came before it. */
	malformed: boolean;
};

const TYPE_NAMES: Record<number, string> = {
	1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA',
	33: 'SRV', 35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY',
	50: 'NSEC3', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 255: 'ANY', 256: 'URI', 257: 'CAA',
};

/** Mnemonic of an RR type (A, AAAA, CNAME, HTTPS...), TYPE<n> when unnamed. */
export function dnsTypeName(type: number): string {
	return TYPE_NAMES[type] ?? `TYPE${type}`;
}

// Stateless when used without {stream: true}: a shared instance changes no result.
const UTF8 = new TextDecoder();

const C_ESCAPES: Record<number, string> = {7: 'a', 8: 'b', 12: 'f', 10: 'n', 13: 'r', 9: 't', 11: 'v'};

/** A control code written out as tshark's format_text does: `\n`, `\t`..., else octal (`\033`). */
export function controlEscape(c: number): string {
	return '\\' + (C_ESCAPES[c] ?? c.toString(8).padStart(3, '0'));
}

/** Bytes of a name as tshark's format_text shows them: printable ASCII as is, others escaped. */
function formatLabelBytes(b: Uint8Array, n: number): string {
	let plain = true;
	for (let i = 0; i < n; i++) {
		const c = b[i]!;
		if (c < 0x20 || c > 0x7e) {
			plain = false;
			break;
		}
	}
	if (plain) return String.fromCharCode.apply(null, b.subarray(0, n) as unknown as number[]);
	let out = '';
	for (let i = 0; i < n; i++) {
		const c = b[i]!;
		if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
		else if (c < 0x80) out += controlEscape(c);
		else {
			const used = utf8At(b, i, n);
			if (used === 0) out += '\ufffd';
			else {
				out += UTF8.decode(b.subarray(i, i + used));
				i += used - 1;
			}
		}
	}
	return out;
}

/** Length of a valid UTF-8 sequence starting at i (0 when invalid). */
function utf8At(b: Uint8Array, i: number, n: number): number {
	const c = b[i]!;
	const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
	if (need < 0 || i + need >= n) return 0;
	for (let k = 1; k <= need; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
	return need + 1;
}

/**
 * Scratch for a name's bytes, shared by every NameReader: a read fills it and turns it into a
 * string before returning, and nothing reads names re-entrantly, so one buffer serves all. A
 * buffer per message (an off-heap backing store) cost ~1.5 us per DNS message in replays.
 */
const NAME_SCRATCH = new Uint8Array(DNS_MAX_NAME_BYTES);

/** Reads names from one message; costs one small object whatever its number of names. */
class NameReader {
	name = '';
	private readonly scratch = NAME_SCRATCH;
	constructor(private readonly msg: Uint8Array) {}

	/** Reads the name at `start`; returns bytes consumed, or -1 when tshark would stop dissecting. */
	read(start: number): number {
		const msg = this.msg;
		const scratch = this.scratch;
		let off = start;
		let len = -1;
		let jumps = 0;
		let n = 0;
		let room = DNS_MAX_NAME_BYTES;
		let printed = false;
		for (;;) {
			if (off >= msg.length) return -1;
			const c = msg[off++]!;
			if (c === 0) break;
			const kind = c & 0xc0;
			if (kind === 0) {
				if (printed) {
					if (room > 0) {
						scratch[n++] = 0x2e;
						room--;
					}
				} else {
					room--;
					printed = true;
				}
				if (off + c > msg.length) return -1;
				for (let k = 0; k < c && room > 0; k++, room--) scratch[n++] = msg[off + k]!;
				off += c;
				// Past the limit the text is settled; only the consumed length is still unknown.
				if (room <= 0 && len >= 0) {
					this.name = NAME_TOO_LONG;
					return len;
				}
			} else if (kind === 0x40) {
				if ((c & 0x3f) !== 1) {
					this.name = NAME_UNKNOWN_EXTENDED;
					const used = off - start;
					return used < 1 ? -1 : used;
				}
				// RFC 2673 bit-string label: tshark prints \[x<hex>/<bits>].
				if (off >= msg.length) return -1;
				const bits = msg[off++]!;
				const bytes = (((bits - 1) / 8) | 0) + 1;
				if (off + bytes > msg.length) return -1;
				let text = '\\[x';
				for (let k = 0; k < bytes; k++) text += msg[off + k]!.toString(16).padStart(2, '0');
				text += `/${bits}]`;
				for (let k = 0; k < text.length && room > 0; k++, room--) scratch[n++] = text.charCodeAt(k);
				off += bytes;
			} else if (kind === 0x80) {
				return -1;
			} else {
				if (off >= msg.length) return -1;
				const target = ((c & 0x3f) << 8) | msg[off++]!;
				jumps++;
				if (len < 0) len = off - start;
				if (target === off - 2 || jumps > DNS_MAX_POINTER_JUMPS) {
					this.name = NAME_LOOPS;
					return len;
				}
				off = target;
			}
		}
		if (len < 0) len = off - start;
		if (room <= 0) {
			this.name = NAME_TOO_LONG;
			return len;
		}
		// The root (an empty name) is '' here; tshark prints it as <Root>.
		if (n === 0 && len > 2) return -1;
		this.name = formatLabelBytes(scratch, n);
		return len;
	}
}

/** Parse one DNS message; null when it is too short to be one. Never throws. */
export function parseDns(payload: Uint8Array): DnsMessage | null {
	if (payload.length < 12) return null;
	const flags = u16(payload, 2);
	const qdCount = u16(payload, 4);
	const anCount = u16(payload, 6);
	const msg: DnsMessage = {
		id: u16(payload, 0),
		response: (flags & 0x8000) !== 0,
		opcode: (flags >> 11) & 0xf,
		rcode: flags & 0xf,
		qdCount,
		anCount,
		questions: [],
		answers: [],
		malformed: false,
	};
	const reader = new NameReader(payload);
	let off = 12;
	for (let i = 0; i < qdCount; i++) {
		const used = reader.read(off);
		if (used < 0 || off + used + 4 > payload.length) {
			msg.malformed = true;
			return msg;
		}
		if (reader.name.charCodeAt(0) === 0x3c && isMarker(reader.name)) msg.malformed = true;
		msg.questions.push({name: reader.name, qtype: u16(payload, off + used)});
		off += used + 4;
		// Past the cap the answers cannot be reached cheaply; such a message is hostile or absurd.
		if (msg.questions.length >= DNS_MAX_QUESTIONS && i + 1 < qdCount) return msg;
	}
	const answers = anCount < DNS_MAX_ANSWERS ? anCount : DNS_MAX_ANSWERS;
	for (let i = 0; i < answers; i++) {
		const used = reader.read(off);
		if (used < 0 || off + used + 10 > payload.length) {
			msg.malformed = true;
			return msg;
		}
		const owner = reader.name;
		if (owner.charCodeAt(0) === 0x3c && isMarker(owner)) msg.malformed = true;
		const p = off + used;
		const type = u16(payload, p);
		const ttl = u32(payload, p + 4);
		const rdlen = u16(payload, p + 8);
		const rdata = p + 10;
		if (rdata + rdlen > payload.length) {
			msg.malformed = true;
			return msg;
		}
		const rec = recordValue(payload, reader, type, rdata, rdlen);
		if (rec === null) {
			msg.malformed = true;
			return msg;
		}
		rec.name = owner;
		rec.ttl = ttl;
		msg.answers.push(rec);
		off = rdata + rdlen;
	}
	return msg;
}

function isMarker(name: string): boolean {
	return name === NAME_TOO_LONG || name === NAME_LOOPS || name === NAME_UNKNOWN_EXTENDED;
}

/** The record's value; null when its rdata cannot be read (the message ends there). */
function recordValue(msg: Uint8Array, reader: NameReader, type: number, p: number, rdlen: number): DnsRecord | null {
	const rec: DnsRecord = {name: '', type: dnsTypeName(type), value: '', rrtype: type};
	switch (type) {
		case 1:
			if (rdlen === 4) rec.value = ipv4Text(msg, p);
			return rec;
		case 28:
			if (rdlen === 16) rec.value = ipv6Text(msg, p);
			return rec;
		case 2:
		case 5:
		case 12:
		case 39:
			if (reader.read(p) < 0) return null;
			rec.value = reader.name;
			return rec;
		case 15:
			if (rdlen < 3 || reader.read(p + 2) < 0) return null;
			rec.value = reader.name;
			return rec;
		case 33:
			if (rdlen < 7 || reader.read(p + 6) < 0) return null;
			rec.value = reader.name;
			return rec;
		case 16:
			rec.value = txtValue(msg, p, p + rdlen);
			return rec;
		case 64:
		case 65:
			return svcb(msg, reader, rec, p, p + rdlen);
		default:
			return rec;
	}
}

function txtValue(msg: Uint8Array, p: number, end: number): string {
	let out = '';
	while (p < end) {
		const n = msg[p++]!;
		const stop = p + n < end ? p + n : end;
		out += formatLabelBytes(msg.subarray(p, stop), stop - p);
		p = stop;
	}
	return out;
}

/** SVCB parameters we keep: alpn (1) and ipv4hint (4). */
function svcb(msg: Uint8Array, reader: NameReader, rec: DnsRecord, p: number, end: number): DnsRecord | null {
	if (end - p < 3) return null;
	const used = reader.read(p + 2);
	if (used < 0) return null;
	// The root target means "the owner itself" (RFC 9460); '.' keeps that visible.
	rec.value = reader.name === '' ? '.' : reader.name;
	let q = p + 2 + used;
	while (q + 4 <= end) {
		const key = u16(msg, q);
		const len = u16(msg, q + 2);
		const v = q + 4;
		if (v + len > end) break;
		if (key === 1) {
			const alpn: string[] = [];
			for (let a = v; a < v + len; ) {
				const n = msg[a]!;
				const stop = Math.min(a + 1 + n, v + len);
				alpn.push(String.fromCharCode.apply(null, msg.subarray(a + 1, stop) as unknown as number[]));
				a = stop;
			}
			rec.alpn = alpn;
		} else if (key === 4) {
			const hints: string[] = [];
			for (let a = v; a + 4 <= v + len; a += 4) hints.push(ipv4Text(msg, a));
			rec.ipv4hint = hints;
		}
		q = v + len;
	}
	return rec;
}

/** Which DNS flavour a UDP/TCP port pair speaks, the lower matching port first (as tshark tries). */
export function dnsProtoForPorts(sport: number, dport: number, dnsPorts: readonly number[] = [53]): DnsEvent['proto'] | undefined {
	const lo = sport < dport ? sport : dport;
	const hi = sport < dport ? dport : sport;
	return portProto(lo, dnsPorts) ?? portProto(hi, dnsPorts);
}

function portProto(port: number, dnsPorts: readonly number[]): DnsEvent['proto'] | undefined {
	if (port === 5353) return 'mdns';
	if (port === 5355) return 'llmnr';
	if (dnsPorts.includes(port)) return 'dns';
	return undefined;
}

/** One DNS event from a decoded message; the first question is the event's query. */
export function dnsEventFrom(meta: PacketMeta, msg: DnsMessage, proto: DnsEvent['proto']): DnsEvent {
	const q = msg.questions[0];
	const ev: DnsEvent = {
		type: 'dns',
		ts: meta.ts,
		index: meta.index,
		proto,
		response: msg.response,
		query: q ? q.name : '',
		qtype: q ? q.qtype : 0,
		answers: msg.answers,
		client: msg.response ? meta.dst : meta.src,
		server: msg.response ? meta.src : meta.dst,
	};
	if (msg.questions.length > 1) ev.questions = msg.questions.map((x) => ({name: x.name, qtype: x.qtype}));
	if (msg.malformed) ev.malformed = true;
	return ev;
}

/**
 * DNS over TCP for one connection: each message has a 2-byte length prefix, messages may span
 * segments and several may share one. Direction 0 and 1 are buffered apart, each capped.
 */
export class DnsTcpStream {
	/** Bytes thrown away because a direction's buffer would pass DNS_TCP_BUFFER_MAX. */
	droppedBytes = 0;
	private readonly bufs: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];

	/** Bytes waiting for the rest of their message in a direction. */
	held(direction: 0 | 1 = 0): number {
		return this.bufs[direction].length;
	}

	/** Feed one segment's payload (in order) for a direction; returns the messages it completed. */
	push(payload: Uint8Array, direction: 0 | 1 = 0): DnsMessage[] {
		const out: DnsMessage[] = [];
		if (payload.length === 0) return out;
		const held = this.bufs[direction];
		let data: Uint8Array;
		if (held.length === 0) data = payload;
		else {
			data = new Uint8Array(held.length + payload.length);
			data.set(held, 0);
			data.set(payload, held.length);
		}
		let p = 0;
		// Each turn consumes at least 2 bytes, so the work is bounded by the bytes pushed.
		while (p + 2 <= data.length) {
			const n = u16(data, p);
			if (p + 2 + n > data.length) break;
			const msg = parseDns(data.subarray(p + 2, p + 2 + n));
			if (msg) out.push(msg);
			p += 2 + n;
		}
		let rest = data.length - p;
		// Unreachable for a well-formed length prefix (a whole message fits the cap); kept as the bound.
		if (rest > DNS_TCP_BUFFER_MAX) {
			this.droppedBytes += rest;
			rest = 0;
			p = data.length;
		}
		// Copy what remains: the caller's payload is a view into a frame that will be reused.
		this.bufs[direction] = rest === 0 ? new Uint8Array(0) : data.slice(p);
		return out;
	}
}
