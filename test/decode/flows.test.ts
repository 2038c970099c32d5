import {describe, expect, it} from 'vitest';
import {FlowTable, TCP_CLOSED_LINGER_SECONDS, UDP_IDLE_SECONDS, flowKey, type Flow} from '../../source/decode/flows.js';
import {IpNames} from '../../source/decode/ip-names.js';
import {PacketFields} from '../../source/decode/packet.js';
import {parseDns} from '../../source/decode/dns.js';
import {be16, be32, bytes, dnsName, ipv4Addr, ipv6Addr} from './frames.js';

type Over = Partial<Pick<PacketFields, 'proto' | 'tcpFlags' | 'len' | 'ts' | 'index'>>;

/** A decoded packet as the analyzer hands it to the table: addresses as bytes in a frame. */
function pkt(src: string, sport: number, dst: string, dport: number, o: Over = {}): PacketFields {
	const f = new PacketFields();
	const v6 = src.length === 32;
	f.data = new Uint8Array(v6 ? [...ipv6Addr(src), ...ipv6Addr(dst)] : [...ipv4Addr(src), ...ipv4Addr(dst)]);
	f.ipVersion = v6 ? 6 : 4;
	f.srcOff = 0;
	f.dstOff = v6 ? 16 : 4;
	f.proto = 6;
	f.sport = sport;
	f.dport = dport;
	f.tcpFlags = 0x10;
	f.len = 100;
	f.ts = 1;
	f.index = 1;
	return Object.assign(f, o);
}

describe('FlowTable', () => {
	it('puts both directions in one flow and counts each way by frame length', () => {
		const t = new FlowTable();
		const a = t.observe(pkt('10.0.0.2', 40000, '1.1.1.1', 443, {tcpFlags: 0x02, len: 74, ts: 1, index: 1}));
		expect([t.created, t.fromClient]).toEqual([true, true]);
		const b = t.observe(pkt('1.1.1.1', 443, '10.0.0.2', 40000, {tcpFlags: 0x12, len: 66, ts: 2, index: 2}));
		expect([t.created, t.fromClient]).toEqual([false, false]);
		t.observe(pkt('10.0.0.2', 40000, '1.1.1.1', 443, {len: 1500, ts: 3}));
		expect(b).toBe(a);
		expect(t.size).toBe(1);
		expect(t.flow(a)).toMatchObject({key: flowKey(6, '10.0.0.2', 40000, '1.1.1.1', 443), client: '10.0.0.2', clientPort: 40000, server: '1.1.1.1', serverPort: 443, packetsOut: 2, bytesOut: 1574, packetsIn: 1, bytesIn: 66, firstTs: 1, lastTs: 3, firstIndex: 1});
	});
	it('a SYN-ACK seen first makes its receiver the client', () => {
		const t = new FlowTable();
		const f = t.observe(pkt('1.1.1.1', 443, '10.0.0.2', 40000, {tcpFlags: 0x12}));
		expect(t.fromClient).toBe(false);
		expect(t.flow(f)).toMatchObject({client: '10.0.0.2', packetsIn: 1, packetsOut: 0});
	});
	it('mid-stream from the server: the ephemeral-port side is the client', () => {
		const t = new FlowTable();
		const f = t.observe(pkt('8.8.8.8', 53, '10.0.0.2', 51000, {proto: 17, tcpFlags: 0}));
		expect(t.flow(f)).toMatchObject({client: '10.0.0.2', clientPort: 51000, server: '8.8.8.8', packetsIn: 1});
		const g = t.observe(pkt('10.0.0.2', 51000, '10.0.0.3', 52000, {proto: 17, tcpFlags: 0}));
		expect(t.flow(g).client).toBe('10.0.0.2');
	});
	it('loopback flows with the same address on both sides still split by port', () => {
		const t = new FlowTable();
		const f = t.observe(pkt('127.0.0.1', 5000, '127.0.0.1', 5300, {proto: 17, tcpFlags: 0}));
		t.observe(pkt('127.0.0.1', 5300, '127.0.0.1', 5000, {proto: 17, tcpFlags: 0}));
		t.observe(pkt('127.0.0.1', 5300, '127.0.0.1', 5000, {proto: 17, tcpFlags: 0}));
		t.observe(pkt('127.0.0.1', 5000, '127.0.0.1', 5301, {proto: 17, tcpFlags: 0}));
		expect([t.flow(f).packetsOut, t.flow(f).packetsIn]).toEqual([1, 2]);
		expect(t.size).toBe(2);
	});
	it('a flow from an endpoint to itself counts every packet out, whichever came first', () => {
		const t = new FlowTable();
		const f = t.observe(pkt('127.0.0.1', 7000, '127.0.0.1', 7000, {tcpFlags: 0x12}));
		t.observe(pkt('127.0.0.1', 7000, '127.0.0.1', 7000));
		expect([t.flow(f).packetsOut, t.flow(f).packetsIn]).toEqual([2, 0]);
	});
	it('IPv6 flows: both directions in one flow, apart from an IPv4 flow with the same low words', () => {
		const t = new FlowTable();
		const a = '20010db8000000000000000000000001';
		const b = '20010db8000000000000000000000002';
		const f = t.observe(pkt(a, 40000, b, 443, {tcpFlags: 0x02}));
		expect(t.observe(pkt(b, 443, a, 40000, {tcpFlags: 0x12}))).toBe(f);
		expect(t.fromClient).toBe(false);
		expect(t.flow(f)).toMatchObject({client: '2001:db8::1', server: '2001:db8::2', packetsOut: 1, packetsIn: 1});
		const v4 = t.observe(pkt('0.0.0.1', 40000, '0.0.0.2', 443));
		expect(v4).not.toBe(f);
		expect(t.size).toBe(2);
	});
	it('keys are symmetric and include the protocol', () => {
		expect(flowKey(6, 'a', 1, 'b', 2)).toBe(flowKey(6, 'b', 2, 'a', 1));
		expect(flowKey(6, 'a', 1, 'b', 2)).not.toBe(flowKey(17, 'a', 1, 'b', 2));
		const t = new FlowTable();
		const tcp = t.observe(pkt('10.0.0.1', 1000, '1.1.1.1', 53));
		const udp = t.observe(pkt('10.0.0.1', 1000, '1.1.1.1', 53, {proto: 17}));
		expect(udp).not.toBe(tcp);
	});
	it('evicts the least recently seen flow when full, counts it and reports it', () => {
		const evicted: Flow[] = [];
		const t: FlowTable = new FlowTable({maxFlows: 3, onEvict: (s) => evicted.push(t.flow(s))});
		t.observe(pkt('10.0.0.1', 1001, '1.1.1.1', 443));
		t.observe(pkt('10.0.0.1', 1002, '1.1.1.1', 443));
		t.observe(pkt('10.0.0.1', 1003, '1.1.1.1', 443));
		t.observe(pkt('1.1.1.1', 443, '10.0.0.1', 1001)); // 1001 is now the most recent
		t.observe(pkt('10.0.0.1', 1004, '1.1.1.1', 443));
		expect(t.size).toBe(3);
		expect(t.evictions).toBe(1);
		expect(evicted.map((f) => f.clientPort)).toEqual([1002]);
		expect([...t.values()].map((f) => f.clientPort)).toEqual([1003, 1001, 1004]);
		expect(t.get(flowKey(6, '10.0.0.1', 1001, '1.1.1.1', 443))!.packetsIn).toBe(1);
		t.observe(pkt('10.0.0.1', 1003, '1.1.1.1', 443));
		t.observe(pkt('10.0.0.1', 1005, '1.1.1.1', 443));
		expect(evicted.map((f) => f.clientPort)).toEqual([1002, 1001]);
		expect([...t.values()].map((f) => f.clientPort)).toEqual([1004, 1003, 1005]);
		expect(t.get(flowKey(6, '10.0.0.1', 1001, '1.1.1.1', 443))).toBeUndefined();
	});
	it('a full table under a flood of new flows holds its size and finds every flow it holds', () => {
		const evicted: number[] = [];
		const t: FlowTable = new FlowTable({maxFlows: 1000, onEvict: (s) => evicted.push(t.flow(s).clientPort)});
		for (let i = 0; i < 20_000; i++) t.observe(pkt(`10.${(i >> 8) & 255}.${i & 255}.1`, 1024 + (i % 60_000), '1.1.1.1', 443, {tcpFlags: 0x02}));
		expect(t.size).toBe(1000);
		expect(t.evictions).toBe(19_000);
		expect(evicted.slice(0, 3)).toEqual([1024, 1025, 1026]);
		for (let i = 19_000; i < 20_000; i++) {
			const f = t.get(flowKey(6, `10.${(i >> 8) & 255}.${i & 255}.1`, 1024 + (i % 60_000), '1.1.1.1', 443));
			expect(f?.packetsOut).toBe(1);
		}
		expect(t.get(flowKey(6, '10.0.0.1', 1024, '1.1.1.1', 443))).toBeUndefined();
	});
	it('remove forgets a flow from any place in the LRU list, without counting an eviction', () => {
		const t = new FlowTable({maxFlows: 3});
		const a = t.observe(pkt('10.0.0.1', 1001, '1.1.1.1', 443));
		const b = t.observe(pkt('10.0.0.1', 1002, '1.1.1.1', 443));
		const c = t.observe(pkt('10.0.0.1', 1003, '1.1.1.1', 443));
		t.ext[c] = 'state';
		t.remove(b);
		expect([...t.values()].map((f) => f.clientPort)).toEqual([1001, 1003]);
		t.remove(c); // the most recent one: the next packet of `a` must not take the fast path to `c`
		t.remove(c);
		expect(t.ext[c]).toBeUndefined();
		expect(t.observe(pkt('1.1.1.1', 443, '10.0.0.1', 1001))).toBe(a);
		expect(t.created).toBe(false);
		t.remove(a);
		expect(t.size).toBe(0);
		expect([...t.values()]).toEqual([]);
		const again = t.observe(pkt('10.0.0.1', 1001, '1.1.1.1', 443, {index: 9}));
		expect(t.created).toBe(true);
		expect(t.flow(again)).toMatchObject({packetsOut: 1, packetsIn: 0, firstIndex: 9});
		expect(t.evictions).toBe(0);
	});
	it('a TCP flow closed both ways (or reset) leaves after its linger; an open one stays', () => {
		const expired: Flow[] = [];
		const t: FlowTable = new FlowTable({onExpire: (s) => expired.push(t.flow(s))});
		const fin = 0x11;
		t.observe(pkt('10.0.0.1', 1001, '1.1.1.1', 443, {ts: 0, tcpFlags: 0x02}));
		t.observe(pkt('10.0.0.1', 1001, '1.1.1.1', 443, {ts: 1, tcpFlags: fin}));
		t.observe(pkt('10.0.0.1', 1002, '1.1.1.1', 443, {ts: 1, tcpFlags: 0x02})); // stays open
		t.observe(pkt('10.0.0.1', 1003, '1.1.1.1', 443, {ts: 2, tcpFlags: 0x14})); // reset
		t.observe(pkt('10.0.0.1', 1004, '1.1.1.1', 443, {ts: 2, tcpFlags: fin})); // half closed: stays
		const late = pkt('1.1.1.1', 443, '10.0.0.1', 1001, {ts: 2, tcpFlags: fin});
		t.observe(late); // closed both ways now
		t.observe(pkt('1.1.1.1', 443, '10.0.0.1', 1001, {ts: 3, tcpFlags: 0x10})); // its last ACK: same flow
		expect(t.size).toBe(4);
		t.observe(pkt('10.0.0.9', 2000, '1.1.1.1', 443, {ts: 2 + TCP_CLOSED_LINGER_SECONDS - 1}));
		expect(expired).toEqual([]);
		t.observe(pkt('10.0.0.9', 2000, '1.1.1.1', 443, {ts: 3 + TCP_CLOSED_LINGER_SECONDS}));
		t.observe(pkt('10.0.0.9', 2000, '1.1.1.1', 443, {ts: 4 + TCP_CLOSED_LINGER_SECONDS}));
		expect(expired.map((f) => f.clientPort).sort()).toEqual([1001, 1003]);
		expect(t.expired).toBe(2);
		expect(t.evictions).toBe(0);
		expect([...t.values()].map((f) => f.clientPort)).toEqual([1002, 1004, 2000]);
		expect(t.get(flowKey(6, '10.0.0.1', 1001, '1.1.1.1', 443))).toBeUndefined();
	});
	it('a UDP flow leaves once quiet for UDP_IDLE_SECONDS; one still in use stays, and so does the flow of the packet at hand', () => {
		const expired: Flow[] = [];
		const t: FlowTable = new FlowTable({onExpire: (s) => expired.push(t.flow(s))});
		const udp = {proto: 17, tcpFlags: 0};
		t.observe(pkt('10.0.0.1', 5001, '8.8.8.8', 443, {...udp, ts: 0}));
		const busy = t.observe(pkt('10.0.0.1', 5002, '8.8.8.8', 443, {...udp, ts: 0}));
		for (let s = 10; s <= UDP_IDLE_SECONDS + 10; s += 10) t.observe(pkt('8.8.8.8', 443, '10.0.0.1', 5002, {...udp, ts: s}));
		expect(expired.map((f) => f.clientPort)).toEqual([5001]);
		// A packet far later than everything: its own flow is not expired under it.
		const again = t.observe(pkt('10.0.0.1', 5002, '8.8.8.8', 443, {...udp, ts: 10 * UDP_IDLE_SECONDS}));
		expect(again).toBe(busy);
		expect(t.size).toBe(1);
		// Removal takes a flow off the expiry queue too: nothing stale is reported later.
		t.remove(busy);
		t.observe(pkt('10.0.0.1', 5003, '8.8.8.8', 443, {...udp, ts: 20 * UDP_IDLE_SECONDS}));
		expect(expired.map((f) => f.clientPort)).toEqual([5001]);
	});
	it('expiry is bounded per packet: a burst of quiet flows leaves a few at a time, oldest first', () => {
		const expired: number[] = [];
		const t: FlowTable = new FlowTable({onExpire: (s) => expired.push(t.flow(s).clientPort)});
		for (let p = 0; p < 100; p++) t.observe(pkt('10.0.0.1', 6000 + p, '8.8.8.8', 443, {proto: 17, tcpFlags: 0, ts: 0}));
		t.observe(pkt('10.0.0.2', 7000, '8.8.8.8', 443, {proto: 17, tcpFlags: 0, ts: UDP_IDLE_SECONDS + 1}));
		expect(expired.length).toBeGreaterThan(0);
		expect(expired.length).toBeLessThanOrEqual(4);
		expect(expired).toEqual(expired.slice().sort((a, b) => a - b));
		for (let i = 0; i < 100; i++) t.observe(pkt('10.0.0.2', 7000, '8.8.8.8', 443, {proto: 17, tcpFlags: 0, ts: UDP_IDLE_SECONDS + 1}));
		expect(expired.length).toBe(100);
		expect(t.size).toBe(1);
	});
});

describe('IpNames', () => {
	function response(qname: string, answers: number[][], an: number): Uint8Array {
		return bytes([0, 1, 0x81, 0x80], be16(1), be16(an), [0, 0, 0, 0], dnsName(qname), [0, 1, 0, 1], ...answers);
	}
	function rr(owner: number[], type: number, rdata: number[]): number[] {
		return [...owner, ...be16(type), 0, 1, ...be32(60), ...be16(rdata.length), ...rdata];
	}

	it('names addresses after the queried name, through a CNAME chain', () => {
		const target1 = dnsName('a.cdn.example');
		const t1Off = 12 + dnsName('www.site.example').length + 4 + 12;
		const target2 = dnsName('b.edge.example');
		const t2Off = t1Off + target1.length + 12;
		const msg = parseDns(
			response('www.site.example', [rr([0xc0, 12], 5, target1), rr([0xc0, t1Off], 5, target2), rr([0xc0, t2Off], 1, [9, 9, 9, 9])], 3),
		)!;
		expect(msg.answers.map((a) => a.type)).toEqual(['CNAME', 'CNAME', 'A']);
		const names = new IpNames();
		names.learn(msg);
		expect(names.nameOf('9.9.9.9')).toEqual({name: 'www.site.example', via: 'dns'});
		expect(names.nameOf('8.8.8.8')).toBeUndefined();
	});
	it('ignores queries, is capped and LRU', () => {
		const names = new IpNames(2);
		names.learn(parseDns(bytes([0, 1, 0x01, 0], be16(1), be16(0), [0, 0, 0, 0], dnsName('q.example'), [0, 1, 0, 1]))!);
		expect(names.size).toBe(0);
		names.set('1.1.1.1', 'one');
		names.set('2.2.2.2', 'two');
		names.nameOf('1.1.1.1');
		names.set('3.3.3.3', 'three');
		expect(names.size).toBe(2);
		expect(names.nameOf('2.2.2.2')).toBeUndefined();
		expect(names.nameOf('1.1.1.1')?.name).toBe('one');
	});
	it('a CNAME loop in an answer does not hang', () => {
		const names = new IpNames();
		names.learn({id: 1, response: true, opcode: 0, rcode: 0, qdCount: 1, anCount: 3, questions: [{name: 'a', qtype: 1}], malformed: false, answers: [
			{name: 'a', type: 'CNAME', value: 'b', rrtype: 5},
			{name: 'b', type: 'CNAME', value: 'a', rrtype: 5},
			{name: 'b', type: 'A', value: '5.5.5.5', rrtype: 1},
		]});
		expect(names.nameOf('5.5.5.5')).toBeDefined();
	});
});
