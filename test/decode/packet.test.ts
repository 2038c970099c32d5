import {describe, expect, it} from 'vitest';
import {decodePacket, isPacket, MAX_IPV6_EXT_HEADERS} from '../../source/decode/packet.js';
import type {PacketMeta} from '../../source/types.js';
import {bytes, ether, ipv4, ipv6, raw, tcp, udp} from './frames.js';

const SRC6 = '20010db8000000000000000000000001';
const DST6 = '20010db8000000000000000000000002';

function ok(r: ReturnType<typeof decodePacket>): PacketMeta {
	if (!isPacket(r)) throw new Error(`expected a packet, got ${r}`);
	return r;
}

describe('decodePacket: IPv4', () => {
	it('UDP over Ethernet, padding trimmed by the IP total length', () => {
		const payload = Uint8Array.from([1, 2, 3]);
		const frame = bytes(ether(0x0800, ipv4('10.0.0.1', '8.8.8.8', 17, udp(40000, 53, payload))), new Array(15).fill(0xee));
		const m = ok(decodePacket(raw(1, frame, {origLen: 80, index: 7, ts: 2.5})));
		expect(m).toMatchObject({index: 7, ts: 2.5, len: 80, ipVersion: 4, src: '10.0.0.1', dst: '8.8.8.8', proto: 17, sport: 40000, dport: 53, fragment: false});
		expect([...m.payload]).toEqual([1, 2, 3]);
		expect(m.problem).toBeUndefined();
	});
	it('IP options move the transport header', () => {
		const frame = ipv4('1.1.1.1', '2.2.2.2', 6, tcp(443, 50000, 0x18, 0xdeadbeef, Uint8Array.from([9])), {options: [1, 1, 1, 0]});
		const m = ok(decodePacket(raw(101, frame)));
		expect(m).toMatchObject({sport: 443, dport: 50000, tcpFlags: 0x18, tcpSeq: 0xdeadbeef});
		expect([...m.payload]).toEqual([9]);
	});
	it('TCP data offset with options', () => {
		const frame = ipv4('1.1.1.1', '2.2.2.2', 6, tcp(1, 2, 0x02, 5, Uint8Array.from([7, 7]), [2, 4, 5, 0xb4, 1, 1, 1, 0]));
		const m = ok(decodePacket(raw(101, frame)));
		expect(m.tcpFlags).toBe(0x02);
		expect([...m.payload]).toEqual([7, 7]);
	});
	it('bad IHL and bad total length are bad-ip', () => {
		const good = ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, new Uint8Array(4)));
		const badIhl = good.slice();
		badIhl[0] = 0x44;
		expect(decodePacket(raw(101, badIhl))).toBe('bad-ip');
		const badTotal = good.slice();
		badTotal[2] = 0;
		badTotal[3] = 10;
		expect(decodePacket(raw(101, badTotal))).toBe('bad-ip');
	});
	it('a header cut by the snaplen is truncated', () => {
		const frame = ether(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, new Uint8Array(4)))).subarray(0, 30);
		expect(decodePacket(raw(1, frame, {origLen: 60}))).toBe('truncated');
	});
	it('fragments: transport only in the first', () => {
		const body = udp(5353, 5353, new Uint8Array(20));
		const first = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 17, body, {flagsFrag: 0x2000}))));
		expect(first).toMatchObject({fragment: true, sport: 5353});
		const later = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 17, body, {flagsFrag: 0x0003}))));
		expect(later).toMatchObject({fragment: true, sport: 0, dport: 0, proto: 17});
		expect(later.payload.length).toBe(0);
	});
	it('TSO total length 0 uses the captured bytes', () => {
		const frame = ipv4('1.1.1.1', '2.2.2.2', 6, tcp(1, 2, 0x10, 1, new Uint8Array(100)), {totalLen: 0});
		expect(ok(decodePacket(raw(101, frame))).payload.length).toBe(100);
	});
	it('an IPv6 packet on an IPv4 link type is read as IPv6 (as tshark does)', () => {
		const m = ok(decodePacket(raw(228, ipv6(SRC6, DST6, 17, udp(1, 53, new Uint8Array(12))))));
		expect(m.ipVersion).toBe(6);
	});
	it('an IPv4 packet on the IPv6 link type is bad-ip', () => {
		expect(decodePacket(raw(229, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, new Uint8Array(0)))))).toBe('bad-ip');
	});
});

describe('decodePacket: UDP length sanity', () => {
	const payload = new Uint8Array(10).fill(5);
	it('a short length field trims the payload', () => {
		const m = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, payload, 12)))));
		expect(m.payload.length).toBe(4);
	});
	it('a long length field is capped at the captured bytes', () => {
		const m = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, payload, 4000)))));
		expect(m.payload.length).toBe(10);
	});
	it('length under 8 is bad-transport, addresses kept', () => {
		const m = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2, payload, 3)))));
		expect(m).toMatchObject({problem: 'bad-transport', src: '1.1.1.1'});
		expect(m.payload.length).toBe(0);
	});
	it('a TCP header cut short keeps the addresses, flags the problem', () => {
		const m = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 6, new Uint8Array(12)))));
		expect(m).toMatchObject({problem: 'truncated', src: '1.1.1.1', proto: 6});
	});
});

describe('decodePacket: IPv6', () => {
	it('walks hop-by-hop, routing, destination options, AH and fragment headers', () => {
		const t = udp(1234, 53, Uint8Array.from([1, 2]));
		const fragHdr = [17, 0, 0, 0, 0, 0, 0, 1]; // offset 0, no more fragments: atomic
		const ah = [44, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // (1+2)*4 = 12 bytes
		const dst = [51, 0, 1, 4, 0, 0, 0, 0];
		const rt = [60, 0, 0, 0, 0, 0, 0, 0];
		const hbh = [43, 0, 1, 4, 0, 0, 0, 0];
		const m = ok(decodePacket(raw(229, ipv6(SRC6, DST6, 0, bytes(hbh, rt, dst, ah, fragHdr, t)))));
		expect(m).toMatchObject({ipVersion: 6, src: '2001:db8::1', dst: '2001:db8::2', proto: 17, sport: 1234, dport: 53, fragment: false});
		expect([...m.payload]).toEqual([1, 2]);
	});
	it('a non-first fragment has no transport', () => {
		const m = ok(decodePacket(raw(229, ipv6(SRC6, DST6, 44, bytes([17, 0, 0, 0x10, 0, 0, 0, 1], new Uint8Array(16))))));
		expect(m).toMatchObject({fragment: true, sport: 0, proto: 17});
	});
	it('a first fragment with more to come keeps its transport', () => {
		const m = ok(decodePacket(raw(229, ipv6(SRC6, DST6, 44, bytes([17, 0, 0, 1, 0, 0, 0, 1], udp(5, 6, new Uint8Array(4)))))));
		expect(m).toMatchObject({fragment: true, sport: 5, dport: 6});
	});
	it('an endless chain of extension headers is bounded', () => {
		const chain: number[] = [];
		for (let i = 0; i < MAX_IPV6_EXT_HEADERS + 4; i++) chain.push(0, 0, 0, 0, 0, 0, 0, 0);
		const m = ok(decodePacket(raw(229, ipv6(SRC6, DST6, 0, Uint8Array.from(chain)))));
		expect(m.problem).toBe('bad-ip');
		expect(m.src).toBe('2001:db8::1');
	});
	it('payload length 0 (jumbogram) uses the captured bytes', () => {
		const m = ok(decodePacket(raw(229, ipv6(SRC6, DST6, 6, tcp(1, 2, 0x10, 0, new Uint8Array(30)), 0))));
		expect(m.payload.length).toBe(30);
	});
	it('a short IPv6 header is truncated', () => {
		expect(decodePacket(raw(229, ipv6(SRC6, DST6, 17, new Uint8Array(0)).subarray(0, 39)))).toBe('truncated');
	});
});

describe('decodePacket: problems', () => {
	it('unknown link type, not IP, empty frame', () => {
		expect(decodePacket(raw(147, new Uint8Array(40)))).toBe('unknown-linktype');
		expect(decodePacket(raw(1, ether(0x0806, new Uint8Array(28))))).toBe('not-ip');
		expect(decodePacket(raw(101, new Uint8Array(0)))).toBe('truncated');
		expect(decodePacket(raw(101, Uint8Array.from([0x50, 0, 0, 0])))).toBe('bad-ip');
	});
	it('never throws on random bytes', () => {
		let seed = 42;
		const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
		const thrown: string[] = [];
		for (let i = 0; i < 2000; i++) {
			const len = rand() % 120;
			const data = new Uint8Array(len);
			for (let k = 0; k < len; k++) data[k] = rand();
			// Bias toward plausible headers so the deeper code runs too.
			if (len > 0) data[0] = [0x45, 0x46, 0x60, 0x4f][rand() & 3]!;
			for (const lt of [1, 101, 113, 276, 0, 239, 9, 192, 258, 127]) {
				try {
					decodePacket(raw(lt, data));
				} catch (e) {
					if (thrown.length < 5) thrown.push(`linktype ${lt} [${[...data].join(',')}]: ${String(e)}`);
				}
			}
		}
		expect(thrown).toEqual([]);
	});
	it('carries the capture app metadata', () => {
		const m = ok(decodePacket(raw(101, ipv4('1.1.1.1', '2.2.2.2', 1, new Uint8Array(8)), {app: {uid: 10123}})));
		expect(m.app).toEqual({uid: 10123});
		expect(m.proto).toBe(1);
	});
});
