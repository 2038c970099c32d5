import {describe, expect, it} from 'vitest';
import {CaptureParser} from '../../source/sources/capture-reader.js';
import {UdpCaptureFramer, MAX_SYNTH_INTERFACES} from '../../source/sources/pcapdroid-udp.js';
import type {RawPacket} from '../../source/types.js';
import {corpusPath, hasCorpus} from '../helpers/corpus.js';
import {epb, interfaceBlock, ipPackets, pcapdroidRecord, pcapHeader, pcapngPreamble, pcapRecord, uidMapBlock, type IpPacket} from './pcapdroid-dumper.js';

const FIXTURE = new URL('../fixtures/sources/loopback-http-nano.pcap', import.meta.url).pathname;

/** Runs datagrams through a framer and one parser per segment, as net-source does. */
function receive(datagrams: Uint8Array[]): {framer: UdpCaptureFramer; segments: RawPacket[][]} {
	const framer = new UdpCaptureFramer();
	const segments: RawPacket[][] = [];
	let parser: CaptureParser | undefined;
	for (const d of datagrams) {
		const f = framer.datagram(d);
		if (!f.ok) continue;
		if (f.restart || !parser) {
			const seg: RawPacket[] = [];
			segments.push(seg);
			parser = new CaptureParser((p) => seg.push({...p, data: new Uint8Array(p.data)}));
			if (f.restart) parser.push(f.restart);
		}
		for (const u of f.units) parser.push(u);
		expect(parser.error).toBeUndefined();
	}
	return {framer, segments};
}

const ips = (): IpPacket[] => ipPackets(FIXTURE);

describe('UDP exporter framing: pcap', () => {
	it('preamble then one record per datagram', () => {
		const p = ips();
		const {framer, segments} = receive([pcapHeader(false), ...p.map((x) => pcapRecord(x, x.data))]);
		expect(segments).toHaveLength(1);
		expect(segments[0]!.map((x) => x.index)).toEqual(p.map((_, i) => i + 1));
		expect(segments[0]!.every((x) => x.linkType === 101)).toBe(true);
		expect(Buffer.from(segments[0]![5]!.data).equals(Buffer.from(p[5]!.data))).toBe(true);
		expect(framer.stats).toMatchObject({datagrams: p.length + 1, preambles: 1, synthesized: 0, malformed: 0, reordered: 0});
	});

	it('late join: synthesises a LE header, RAW without trailer', () => {
		const p = ips();
		const {framer, segments} = receive(p.slice(3).map((x) => pcapRecord(x, x.data)));
		expect(framer.stats.synthesized).toBe(1);
		expect(segments[0]!.length).toBe(p.length - 3);
		expect(segments[0]![0]!.linkType).toBe(101);
		expect(segments[0]![0]!.ts).toBeCloseTo(p[3]!.sec + p[3]!.usec / 1e6, 6);
	});

	it('late join with trailers: Ethernet; a RAW guess is corrected when a trailer shows up', () => {
		const p = ips();
		const withTrailer = receive(p.map((x) => pcapdroidRecord(x, 10123, 'Firefox')));
		expect(withTrailer.segments[0]![0]!.linkType).toBe(1);
		// First record too big for a trailer (snaplen edge case), then normal ones.
		const big = p.reduce((a, b) => (b.data.length > a.data.length ? b : a));
		const snap = big.data.length + 10;
		const mixed = receive([pcapdroidRecord(big, 1, 'x', snap), ...p.slice(0, 3).map((x) => pcapdroidRecord(x, 10123, 'Firefox', snap))]);
		expect(mixed.segments.map((s) => s.map((x) => x.linkType))).toEqual([[101], [1, 1, 1]]);
		expect(mixed.framer.stats.synthesized).toBe(2);
	});

	it('counts malformed datagrams and carries on; timestamps going back are counted', () => {
		const p = ips();
		const recs = p.map((x) => pcapRecord(x, x.data));
		const truncated = recs[4]!.subarray(0, recs[4]!.length - 7);
		const {framer, segments} = receive([pcapHeader(false), recs[0]!, truncated, new Uint8Array(5), recs[2]!, recs[1]!, recs[3]!]);
		expect(framer.stats.malformed).toBe(2);
		const us = (x: IpPacket) => x.sec * 1e6 + x.usec;
		// Sent 0, 2, 1, 3: packet 1 goes back in time exactly when it is older than packet 2.
		expect(framer.stats.reordered).toBe(us(p[1]!) < us(p[2]!) ? 1 : 0);
		expect(us(p[1]!)).toBeLessThan(us(p[2]!));
		expect(segments[0]!.length).toBe(4);
		expect(framer.stats.lastProblem).toMatch(/too short|truncated|not a record/);
	});

	it('a restarted PCAPdroid sends a new preamble: new segment', () => {
		const p = ips();
		const {segments, framer} = receive([pcapHeader(false), pcapRecord(p[0]!, p[0]!.data), pcapHeader(true), pcapRecord(p[1]!, p[1]!.data)]);
		expect(segments.map((s) => s[0]!.linkType)).toEqual([101, 1]);
		expect(framer.stats.preambles).toBe(2);
	});
});

describe('UDP exporter framing: pcapng', () => {
	it('counts an IDB or UID map known to be lost, and synthesises the missing interface', () => {
		const p = ips();
		const dgrams = [pcapngPreamble(), uidMapBlock(10123, 'org.mozilla.firefox', 'Firefox'), epb(p[0]!, 10123),
			/* lost: uidMapBlock(10087) */ epb(p[1]!, 10087), epb(p[2]!, 10087),
			/* lost: interfaceBlock('wlan0') */ epb(p[3]!, 10123, 1, 2), interfaceBlock('rmnet0'), epb(p[4]!, 10123, 2, 1)];
		const {framer, segments} = receive(dgrams);
		expect(framer.stats.missingBlocks).toBe(2);
		expect(segments[0]!.map((x) => x.iface)).toEqual([0, 0, 0, 1, 2]);
		expect(segments[0]!.map((x) => x.comment)).toEqual(['u-10123', 'u-10087', 'u-10087', 'u-10123', 'u-10123']);
	});

	it('late join: SHB and RAW interfaces made up, nothing counted as lost', () => {
		const p = ips();
		const {framer, segments} = receive([epb(p[0]!, 10087, 1), epb(p[1]!, 10123, 0)]);
		expect(framer.stats).toMatchObject({synthesized: 1, missingBlocks: 0, malformed: 0});
		expect(segments[0]!.map((x) => [x.iface, x.linkType])).toEqual([[1, 101], [0, 101]]);
	});

	it('refuses a block whose lengths disagree and an absurd interface id', () => {
		const p = ips();
		const bad = new Uint8Array(epb(p[0]!, 1));
		bad[bad.length - 4] ^= 4;
		const wild = new Uint8Array(epb(p[0]!, 1));
		new DataView(wild.buffer).setUint32(8, MAX_SYNTH_INTERFACES + 5, true);
		const {framer, segments} = receive([pcapngPreamble(), bad, wild, epb(p[1]!, 1)]);
		expect(framer.stats.malformed).toBe(2);
		expect(segments[0]!.length).toBe(1);
	});
});

describe.runIf(hasCorpus)('UDP framing of the PCAPdroid corpus packets', () => {
	it('every packet of a late-joined trailer stream comes through', () => {
		const p = ipPackets(corpusPath('pcap', 'pcapdroid__metadata.pcap'));
		const {segments, framer} = receive(p.map((x, i) => pcapdroidRecord(x, 10000 + (i % 3), 'App')));
		expect(segments[0]!.length).toBe(p.length);
		expect(framer.stats.malformed).toBe(0);
	});
});

describe('hostile datagrams', () => {
	it('never throws', () => {
		let seed = 3;
		const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
		const p = ips();
		const seeds = [pcapHeader(false), pcapngPreamble(), epb(p[0]!, 5), pcapRecord(p[0]!, p[0]!.data), uidMapBlock(1, 'a.b', 'c')];
		const errors: unknown[] = [];
		for (let round = 0; round < 4; round++) {
			const framer = new UdpCaptureFramer();
			for (let i = 0; i < 2000; i++) {
				const d = new Uint8Array(seeds[rnd() % seeds.length]!);
				for (let k = rnd() % 4; k > 0; k--) d[rnd() % d.length] = rnd();
				try {
					framer.datagram(i % 7 === 0 ? d.subarray(0, rnd() % d.length) : d);
				} catch (err) {
					errors.push(err);
				}
			}
		}
		expect(errors).toEqual([]);
	});
});
