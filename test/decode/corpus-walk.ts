/**
 * Test helper: decode a corpus capture the way the truth was made (outermost IP for conv, DNS on
 * its standard ports) so the tests can compare with tshark's facts.
 */
import {openCapture} from '../../source/sources/capture-source.js';
import {decodePacket, PROTO_TCP, PROTO_UDP} from '../../source/decode/packet.js';
import {DnsTcpStream, dnsProtoForPorts, parseDns, type DnsMessage} from '../../source/decode/dns.js';
import {flowKey} from '../../source/decode/flows.js';

export type ConvTotals = {framesAB: number; bytesAB: number; framesBA: number; bytesBA: number};

export type Walk = {
	/** "l3 A B" -> totals, A < B in string order as make_truth.py sorts them. */
	conv: Map<string, ConvTotals>;
	dns: Array<{index: number; proto: string; msg: DnsMessage}>;
	problems: Map<string, number>;
	packets: number;
};

/** Decode every frame of a capture; `dnsPorts` adds Decode-As ports. */
export async function walkCapture(path: string, dnsPorts: readonly number[] = [53]): Promise<Walk> {
	const walk: Walk = {conv: new Map(), dns: [], problems: new Map(), packets: 0};
	const tcpStreams = new Map<string, DnsTcpStream>();
	for await (const batch of openCapture(path)) {
		for (const raw of batch) {
			walk.packets++;
			const r = decodePacket(raw);
			if (typeof r === 'string') {
				walk.problems.set(r, (walk.problems.get(r) ?? 0) + 1);
				continue;
			}
			if (r.problem) walk.problems.set(r.problem, (walk.problems.get(r.problem) ?? 0) + 1);
			const l3 = r.ipVersion === 4 ? 'ipv4' : 'ipv6';
			const [a, b] = r.src <= r.dst ? [r.src, r.dst] : [r.dst, r.src];
			const key = `${l3} ${a} ${b}`;
			let c = walk.conv.get(key);
			if (!c) walk.conv.set(key, (c = {framesAB: 0, bytesAB: 0, framesBA: 0, bytesBA: 0}));
			if (r.src === a) {
				c.framesAB++;
				c.bytesAB += r.len;
			} else {
				c.framesBA++;
				c.bytesBA += r.len;
			}
			if (r.payload.length === 0) continue;
			const proto = dnsProtoForPorts(r.sport, r.dport, dnsPorts);
			if (!proto) continue;
			if (r.proto === PROTO_UDP) {
				const msg = parseDns(r.payload);
				if (msg) walk.dns.push({index: raw.index, proto, msg});
			} else if (r.proto === PROTO_TCP) {
				const k = `${flowKey(r.proto, r.src, r.sport, r.dst, r.dport)} ${r.src} ${r.sport}`;
				let s = tcpStreams.get(k);
				if (!s) tcpStreams.set(k, (s = new DnsTcpStream()));
				for (const msg of s.push(r.payload)) walk.dns.push({index: raw.index, proto, msg});
			}
		}
	}
	return walk;
}
