import {describe, expect, it} from 'vitest';
import {
	DNS_MAX_QUESTIONS,
	DNS_TCP_BUFFER_MAX,
	DnsTcpStream,
	NAME_LOOPS,
	NAME_TOO_LONG,
	NAME_UNKNOWN_EXTENDED,
	dnsEventFrom,
	dnsProtoForPorts,
	dnsTypeName,
	parseDns,
} from '../../source/decode/dns.js';
import {decodePacket, isPacket} from '../../source/decode/packet.js';
import {openCapture} from '../../source/sources/capture-source.js';
import {corpusPath, hasCorpus} from '../helpers/corpus.js';
import {be16, be32, bytes, dnsName} from './frames.js';

function header(id: number, flags: number, qd: number, an: number): number[] {
	return [...be16(id), ...be16(flags), ...be16(qd), ...be16(an), 0, 0, 0, 0];
}

function rr(owner: number[], type: number, ttl: number, rdata: number[]): number[] {
	return [...owner, ...be16(type), ...be16(1), ...be32(ttl), ...be16(rdata.length), ...rdata];
}

const Q = (name: string, type = 1) => [...dnsName(name), ...be16(type), ...be16(1)];
const PTR12 = [0xc0, 12];

describe('parseDns', () => {
	it('reads a query', () => {
		const m = parseDns(bytes(header(0x1234, 0x0100, 1, 0), Q('www.example.com')))!;
		expect(m).toMatchObject({id: 0x1234, response: false, opcode: 0, rcode: 0, malformed: false});
		expect(m.questions).toEqual([{name: 'www.example.com', qtype: 1}]);
	});

	it('reads a response with a CNAME chain, A and AAAA, following compression pointers', () => {
		const q = Q('www.example.com');
		// CNAME target "edge.cdn.net": written in full at the offset after the first RR header.
		const cnameOff = 12 + q.length + 2 + 10;
		const target = dnsName('edge.cdn.net');
		const msg = bytes(
			header(7, 0x8180, 1, 3),
			q,
			rr(PTR12, 5, 300, target),
			rr([0xc0, cnameOff], 1, 60, [93, 184, 216, 34]),
			rr([0xc0, cnameOff], 28, 60, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]),
		);
		const m = parseDns(msg)!;
		expect(m.response).toBe(true);
		expect(m.answers.map((a) => [a.name, a.type, a.value, a.ttl])).toEqual([
			['www.example.com', 'CNAME', 'edge.cdn.net', 300],
			['edge.cdn.net', 'A', '93.184.216.34', 60],
			['edge.cdn.net', 'AAAA', '2001:db8::1', 60],
		]);
	});

	it('reads HTTPS/SVCB target, alpn and ipv4hint', () => {
		const params = [...be16(1), ...be16(6), 2, 0x68, 0x32, 2, 0x68, 0x33, ...be16(4), ...be16(8), 1, 2, 3, 4, 5, 6, 7, 8];
		const rdata = [...be16(1), ...dnsName('svc.example.net'), ...params];
		const m = parseDns(bytes(header(1, 0x8180, 1, 2), Q('example.com', 65), rr(PTR12, 65, 10, rdata), rr(PTR12, 64, 10, [0, 1, 0])))!;
		expect(m.answers[0]).toMatchObject({type: 'HTTPS', value: 'svc.example.net', alpn: ['h2', 'h3'], ipv4hint: ['1.2.3.4', '5.6.7.8']});
		expect(m.answers[1]).toMatchObject({type: 'SVCB', value: '.'});
	});

	it('names other types, TXT values, TYPE<n>', () => {
		const m = parseDns(bytes(header(1, 0x8180, 1, 2), Q('t.example'), rr(PTR12, 16, 1, [2, 0x61, 0x62, 1, 0x63]), rr(PTR12, 4242, 1, [1])))!;
		expect(m.answers.map((a) => [a.type, a.value])).toEqual([
			['TXT', 'abc'],
			['TYPE4242', ''],
		]);
		expect(dnsTypeName(12)).toBe('PTR');
	});

	it('renders odd label bytes as tshark does', () => {
		const label = (s: number[]) => [s.length, ...s];
		const name = [...label([0x77, 0x04, 0x0d, 0x1a, 0x5c, 0x00]), ...label([0xe9]), ...label([0xc3, 0xa9]), 0];
		const m = parseDns(bytes(header(1, 0, 1, 0), name, be16(1), be16(1)))!;
		expect(m.questions[0]!.name).toBe(String.raw`w\004\r\032\\000` + '.\ufffd.é');
	});

	it('a self-pointer and a two-pointer loop end with tshark\'s marker', () => {
		const self = parseDns(bytes(header(1, 0, 1, 0), [0xc0, 12], be16(1), be16(1)))!;
		expect(self.questions[0]!.name).toBe(NAME_LOOPS);
		expect(self.malformed).toBe(true);
		// 12: label "a" then pointer to 16; 16: label "b" then pointer to 12.
		const two = parseDns(bytes(header(1, 0, 1, 0), [1, 0x61, 0xc0, 16, 1, 0x62, 0xc0, 12], be16(1), be16(1)))!;
		expect([NAME_LOOPS, NAME_TOO_LONG]).toContain(two.questions[0]!.name);
	});

	it('a name longer than 255 bytes is <Name too long>', () => {
		const long: number[] = [];
		for (let i = 0; i < 5; i++) long.push(63, ...new Array(63).fill(0x61));
		const m = parseDns(bytes(header(1, 0, 2, 0), long, [0], be16(1), be16(1), Q('ok.example')))!;
		expect(m.questions.map((q) => q.name)).toEqual([NAME_TOO_LONG, 'ok.example']);
	});

	it('bad label types and out-of-bounds names end the message without throwing', () => {
		const ext = parseDns(bytes(header(1, 0, 1, 0), [0x42, 0, 0, 1, 0, 1]))!;
		expect(ext.questions[0]!.name).toBe(NAME_UNKNOWN_EXTENDED);
		const reserved = parseDns(bytes(header(1, 0, 2, 0), Q('a.b'), [0x80, 1, 0, 1, 0, 1]))!;
		expect(reserved.questions.map((q) => q.name)).toEqual(['a.b']);
		expect(reserved.malformed).toBe(true);
		const past = parseDns(bytes(header(1, 0, 1, 0), [0xc0, 0xff, 0, 1, 0, 1]))!;
		expect(past.questions).toEqual([]);
		expect(past.malformed).toBe(true);
		const cut = parseDns(bytes(header(1, 0x8180, 1, 1), Q('a.b'), PTR12, be16(1)))!;
		expect(cut.answers).toEqual([]);
		expect(cut.malformed).toBe(true);
	});

	it('caps questions however many the header claims', () => {
		const qs: number[] = [];
		for (let i = 0; i < 200; i++) qs.push(...PTR12, 0, 1, 0, 1);
		const m = parseDns(bytes(header(1, 0, 10518, 0), Q('x.y'), qs))!;
		expect(m.qdCount).toBe(10518);
		expect(m.questions.length).toBe(DNS_MAX_QUESTIONS);
	});

	it('returns null for less than a header, and survives random bytes', () => {
		expect(parseDns(new Uint8Array(11))).toBeNull();
		let seed = 7;
		const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
		const thrown: string[] = [];
		for (let i = 0; i < 3000; i++) {
			const data = new Uint8Array(12 + (rand() % 200));
			for (let k = 0; k < data.length; k++) data[k] = rand() & 1 ? rand() : rand() | 0xc0;
			data[5] = rand() & 7;
			data[7] = rand() & 7;
			try {
				parseDns(data);
			} catch (e) {
				if (thrown.length < 5) thrown.push(`[${[...data].join(',')}]: ${String(e)}`);
			}
		}
		expect(thrown).toEqual([]);
	});
});

describe('dnsEventFrom and ports', () => {
	it('builds one event per message from the first question', () => {
		const msg = parseDns(bytes(header(9, 0x8180, 1, 1), Q('a.example'), rr(PTR12, 1, 5, [1, 2, 3, 4])))!;
		const meta = {index: 3, ts: 9.5, len: 80, ipVersion: 4 as const, src: '8.8.8.8', dst: '10.0.0.2', proto: 17, sport: 53, dport: 40000, payload: new Uint8Array(0), tcpFlags: 0, tcpSeq: 0, fragment: false};
		const ev = dnsEventFrom(meta, msg, 'dns');
		expect(ev).toMatchObject({type: 'dns', ts: 9.5, index: 3, proto: 'dns', response: true, query: 'a.example', qtype: 1, client: '10.0.0.2', server: '8.8.8.8'});
		expect(ev.answers[0]).toMatchObject({name: 'a.example', type: 'A', value: '1.2.3.4'});
		expect(ev.malformed).toBeUndefined();
	});
	it('maps ports to dns, mdns and llmnr', () => {
		expect(dnsProtoForPorts(40000, 53)).toBe('dns');
		expect(dnsProtoForPorts(5353, 5353)).toBe('mdns');
		expect(dnsProtoForPorts(5355, 61000)).toBe('llmnr');
		expect(dnsProtoForPorts(443, 40000)).toBeUndefined();
		expect(dnsProtoForPorts(8053, 40000, [53, 8053])).toBe('dns');
	});
});

describe('DnsTcpStream', () => {
	const one = bytes(header(1, 0x0100, 1, 0), Q('one.example'));
	const two = bytes(header(2, 0x0100, 1, 0), Q('two.example'));
	const framed = (m: Uint8Array) => bytes(be16(m.length), m);

	it('splits two messages sharing a segment', () => {
		const s = new DnsTcpStream();
		expect(s.push(bytes(framed(one), framed(two))).map((m) => m.id)).toEqual([1, 2]);
	});
	it('joins a message spanning segments, byte by byte too', () => {
		const s = new DnsTcpStream();
		const all = bytes(framed(one), framed(two));
		const ids: number[] = [];
		for (let i = 0; i < all.length; i++) for (const m of s.push(all.subarray(i, i + 1))) ids.push(m.id);
		expect(ids).toEqual([1, 2]);
	});
	it('keeps directions apart', () => {
		const s = new DnsTcpStream();
		const f = framed(one);
		expect(s.push(f.subarray(0, 5), 0)).toEqual([]);
		expect(s.push(framed(two), 1).map((m) => m.id)).toEqual([2]);
		expect(s.push(f.subarray(5), 0).map((m) => m.id)).toEqual([1]);
	});
	it('holds at most one pending message per direction, within the cap', () => {
		const s = new DnsTcpStream();
		expect(s.push(bytes([0xff, 0xff], new Uint8Array(60000)))).toEqual([]);
		expect(s.held(0)).toBe(60002);
		expect(s.held(0)).toBeLessThanOrEqual(DNS_TCP_BUFFER_MAX);
		expect(s.push(new Uint8Array(5535)).length).toBe(1);
		expect(s.held(0)).toBe(0);
	});
	it('returns every message of a large segment', () => {
		const s = new DnsTcpStream();
		const seg: Uint8Array[] = [];
		for (let i = 0; i < 500; i++) seg.push(framed(one));
		expect(s.push(bytes(...seg)).length).toBe(500);
		expect(s.held(0)).toBe(0);
	});
});

describe.runIf(hasCorpus)('DNS corpus edge cases', () => {
	async function firstMessages(file: string) {
		const out = [];
		for await (const batch of openCapture(corpusPath('pcap', file))) {
			for (const raw of batch) {
				const m = decodePacket(raw);
				if (isPacket(m) && m.payload.length > 0) out.push(parseDns(m.payload));
			}
		}
		return out;
	}
	it('tcpdump__dns_fwdptr: 10 518 questions claimed, parsed quickly and capped', async () => {
		const t0 = performance.now();
		const [m] = await firstMessages('tcpdump__dns_fwdptr.pcap');
		expect(performance.now() - t0).toBeLessThan(2000);
		expect(m!.qdCount).toBeGreaterThan(10_000);
		expect(m!.questions.length).toBe(DNS_MAX_QUESTIONS);
		expect(m!.questions.every((q) => q.name === NAME_TOO_LONG)).toBe(true);
	});
	it('zeek__dns-https: the HTTPS record gives its target and ALPN', async () => {
		const msgs = await firstMessages('zeek__dns-https.pcap');
		const https = msgs.flatMap((m) => m?.answers ?? []).filter((a) => a.type === 'HTTPS');
		expect(https.length).toBeGreaterThan(0);
		expect(https[0]!.alpn?.length ?? 0).toBeGreaterThan(0);
	});
});
