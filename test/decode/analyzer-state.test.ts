import {describe, expect, it} from 'vitest';
import {PacketAnalyzer, type AnalyzerFlow, type AnalyzerSink} from '../../source/decode/analyzer.js';
import type {HttpEvent, RawPacket} from '../../source/types.js';
import {ipv4, ipv6, raw, tcp} from './frames.js';

const LINKTYPE_RAW = 101;
const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;

function tcp4(src: string, dst: string, sport: number, dport: number, flags: number, ts: number, index: number, payload = new Uint8Array(0)): RawPacket {
	return raw(LINKTYPE_RAW, ipv4(src, dst, 6, tcp(sport, dport, flags, 1000, payload)), {ts, index});
}

function sink(): AnalyzerSink & {slots: number[]; requests: HttpEvent[]; starts: number[]; ends: number[]} {
	const s = {
		slots: [] as number[],
		requests: [] as HttpEvent[],
		starts: [] as number[],
		ends: [] as number[],
		packet(_m: unknown, slot: number) {
			s.slots.push(slot);
		},
		dns() {},
		tls() {},
		quic() {},
		http(e: HttpEvent, _f: AnalyzerFlow) {
			s.requests.push(e);
		},
		problem() {},
		flowStart(slot: number) {
			s.starts.push(slot);
		},
		flowEnd(slot: number) {
			s.ends.push(slot);
		},
	};
	return s;
}

describe('PacketAnalyzer: per-flow state only where there is something to keep', () => {
	it('a flood of SYNs makes no flow state: each flow is its slot', () => {
		const s = sink();
		const a = new PacketAnalyzer(s, {maxFlows: 1000});
		for (let i = 0; i < 3000; i++) a.push(tcp4('10.0.0.2', `198.51.${(i >> 8) & 0xff}.${i & 0xff}`, 40000 + (i % 20000), 443, SYN, 1 + i / 1000, i + 1));
		expect(a.statesMade).toBe(0);
		expect(s.slots).toHaveLength(3000);
		expect(s.starts).toHaveLength(3000);
		// The table holds 1000: 2000 were evicted, each told before its slot was taken again.
		expect(s.ends).toHaveLength(2000);
		expect(a.flowsEvicted).toBe(2000);
		// What a stateless flow is, read from its slot.
		const last = s.slots[s.slots.length - 1]!;
		expect(a.flowState(last)).toBeUndefined();
		expect(a.endpointsOf(last)).toEqual({proto: 6, client: '10.0.0.2', clientPort: 40000 + (2999 % 20000), server: '198.51.11.183', serverPort: 443});
		expect(a.serverOf(last)).toBe('198.51.11.183');
		expect(a.firstTsOf(last)).toBe(1 + 2999 / 1000);
	});

	it('a flow gets its state at its first payload: first packet time and sides from the flow, not that packet', () => {
		const s = sink();
		const a = new PacketAnalyzer(s);
		a.push(tcp4('10.0.0.2', '203.0.113.9', 41000, 80, SYN, 5, 1));
		a.push(tcp4('203.0.113.9', '10.0.0.2', 80, 41000, SYN | ACK, 5.1, 2));
		expect(a.statesMade).toBe(0);
		a.push(tcp4('10.0.0.2', '203.0.113.9', 41000, 80, PSH | ACK, 5.2, 3, new TextEncoder().encode('GET /x HTTP/1.1\r\nHost: h.example\r\n\r\n')));
		expect(a.statesMade).toBe(1);
		const st = a.flowState(s.slots[2]!)!;
		expect(st).toMatchObject({client: '10.0.0.2', cport: 41000, server: '203.0.113.9', sport: 80, firstTs: 5, name: 'h.example', via: 'http'});
		expect(s.requests).toHaveLength(1);
		expect(s.requests[0]).toMatchObject({src: '10.0.0.2', sport: 41000, dst: '203.0.113.9', dport: 80, path: '/x'});
	});

	it('a state made from a server-to-client payload keeps the client side of the flow', () => {
		const s = sink();
		const a = new PacketAnalyzer(s);
		a.push(raw(LINKTYPE_RAW, ipv6('20010db8000000000000000000000002', '20010db8000000000000000000000099', 6, tcp(42000, 443, SYN, 1, new Uint8Array(0))), {ts: 7, index: 1}));
		a.push(raw(LINKTYPE_RAW, ipv6('20010db8000000000000000000000099', '20010db8000000000000000000000002', 6, tcp(443, 42000, PSH | ACK, 1, new Uint8Array([1, 2, 3]))), {ts: 8, index: 2}));
		expect(a.statesMade).toBe(1);
		const st = a.flowState(s.slots[1]!)!;
		expect(st).toMatchObject({client: '2001:db8::2', cport: 42000, server: '2001:db8::99', sport: 443, firstTs: 7});
		// The same text as the key gives (what a stateless flow reports).
		expect(a.endpointsOf(s.slots[1]!)).toEqual({proto: 6, client: '2001:db8::2', clientPort: 42000, server: '2001:db8::99', serverPort: 443});
	});
});
