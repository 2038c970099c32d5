/**
 * Properties of the capture readers: the pcap/pcapng push parser (CaptureParser) and PCAPdroid's
 * UDP framing (UdpCaptureFramer), on arbitrary bytes and on mutants of every real capture.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {CaptureParser, MAX_CAPTURED_LENGTH, type CaptureError} from '../../source/sources/capture-reader.js';
import {UdpCaptureFramer} from '../../source/sources/pcapdroid-udp.js';
import type {RawPacket} from '../../source/types.js';
import {concat, epb, idb, pcapHeader, pcapRecord, shb} from '../sources/capture-builders.js';
import {fuzzOptions, timed} from './fuzz-options.js';
import {bytesFor, captureFiles, chunksAt, mutated} from './real-inputs.js';

type Read = {packets: Array<{ts: number; linkType: number; len: number; origLen: number; iface: number; index: number; hex: string; comment?: string}>; error: CaptureError | undefined; offset: number};

/** Reads `chunks` in order, copying what each packet holds. */
function read(chunks: Uint8Array[]): Read {
	const packets: Read['packets'] = [];
	const p = new CaptureParser((x: RawPacket) =>
		packets.push({ts: x.ts, linkType: x.linkType, len: x.data.length, origLen: x.origLen, iface: x.iface, index: x.index, hex: Buffer.from(x.data).toString('hex'), comment: x.comment}),
	);
	for (const c of chunks) p.push(c);
	p.end();
	return {packets, error: p.error, offset: p.offset};
}

/** The smallest unit that can carry a packet: a pcap record header or an SPB (both 16 bytes). */
const MIN_PACKET_UNIT = 16;

describe('CaptureParser', () => {
	const seeds = captureFiles();

	it('any bytes: no throw, packets bounded by the input, every packet within the caps', () => {
		fc.assert(
			fc.property(bytesFor(seeds, 4096), (b) => {
				const r = timed(() => read([b]));
				expect(r.packets.length * MIN_PACKET_UNIT).toBeLessThanOrEqual(b.length);
				expect(r.offset).toBeLessThanOrEqual(b.length);
				for (const p of r.packets) {
					expect(p.len).toBeLessThanOrEqual(Math.min(MAX_CAPTURED_LENGTH, b.length));
					expect(Number.isNaN(p.ts)).toBe(false);
					if (p.comment !== undefined) expect(p.comment.length).toBeLessThanOrEqual(4096);
				}
				if (r.error) expect(r.error.offset).toBeLessThanOrEqual(b.length);
			}),
			fuzzOptions(200),
		);
	});

	it('the same packets and the same error whatever the chunking', () => {
		fc.assert(
			fc.property(mutated(seeds), fc.array(fc.nat(), {maxLength: 12}), (b, cuts) => {
				const whole = read([b]);
				const split = timed(() => read(chunksAt(b, cuts)));
				expect(split).toEqual(whole);
			}),
			fuzzOptions(150),
		);
	});

	const packet = fc.record({sec: fc.nat({max: 0xffffffff}), frac: fc.nat({max: 999_999}), data: fc.uint8Array({maxLength: 300}), extra: fc.nat({max: 100})});

	it('round trip: pcap records written in either byte order and either resolution read back as written', () => {
		fc.assert(
			fc.property(fc.boolean(), fc.boolean(), fc.integer({min: 0, max: 300}), fc.array(packet, {maxLength: 12}), (le, nsec, linkType, list) => {
				const file = concat(pcapHeader({le, nsec, linkWord: linkType}), ...list.map((p) => pcapRecord(le, p.sec, nsec ? p.frac * 1000 : p.frac, p.data, p.data.length + p.extra)));
				const r = read([file]);
				expect(r.error).toBeUndefined();
				expect(r.packets.map((p) => [p.hex, p.origLen, p.linkType])).toEqual(list.map((p) => [Buffer.from(p.data).toString('hex'), p.data.length + p.extra, linkType]));
				r.packets.forEach((p, i) => expect(p.ts).toBeCloseTo(list[i]!.sec + list[i]!.frac / 1e6, 5));
				expect(r.packets.map((p) => p.index)).toEqual(list.map((_, i) => i + 1));
			}),
			fuzzOptions(150),
		);
	});

	it('round trip: pcapng EPBs on several interfaces read back as written', () => {
		fc.assert(
			fc.property(fc.boolean(), fc.array(fc.integer({min: 0, max: 300}), {minLength: 1, maxLength: 4}), fc.array(fc.tuple(packet, fc.nat()), {maxLength: 12}), (le, links, list) => {
				const blocks = [shb(le), ...links.map((l) => idb(le, l, 0))];
				for (const [p, iface] of list) blocks.push(epb(le, iface % links.length, BigInt(p.sec) * 1_000_000n + BigInt(p.frac), p.data, [], p.data.length + p.extra));
				const r = read([concat(...blocks)]);
				expect(r.error).toBeUndefined();
				expect(r.packets.map((p) => [p.hex, p.iface, p.linkType])).toEqual(list.map(([p, iface]) => [Buffer.from(p.data).toString('hex'), iface % links.length, links[iface % links.length]]));
			}),
			fuzzOptions(150),
		);
	});
});

// ---------------------------------------------------------------------------------------------
// PCAPdroid's UDP exporter: one preamble datagram, then one record or block per datagram.

/** The datagrams PCAPdroid's exporter would send for a capture file: preamble, then one unit each. */
function datagramsOf(file: Uint8Array): Uint8Array[] | undefined {
	const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
	if (file.length < 24) return undefined;
	const magic = dv.getUint32(0, true);
	const out: Uint8Array[] = [];
	if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
		const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
		out.push(file.subarray(0, 24));
		for (let at = 24; at + 16 <= file.length; ) {
			const n = 16 + dv.getUint32(at + 8, le);
			if (at + n > file.length) break;
			out.push(file.subarray(at, at + n));
			at += n;
		}
		return out;
	}
	return undefined;
}

type Consumer = {packets: number; segments: number};

/** What net-source does with datagrams: frame each, feed the segment's parser, restart on refusal. */
function consume(datagrams: Uint8Array[]): {framer: UdpCaptureFramer; seen: Consumer} {
	const framer = new UdpCaptureFramer();
	const seen: Consumer = {packets: 0, segments: 0};
	let parser: CaptureParser | undefined;
	const fresh = (preamble: Uint8Array | undefined) => {
		seen.segments++;
		parser = new CaptureParser(() => seen.packets++);
		if (preamble) parser.push(preamble);
	};
	for (const d of datagrams) {
		const f = framer.datagram(d);
		if (!f.ok) continue;
		if (f.restart) fresh(f.restart);
		for (const u of f.units) {
			parser ??= new CaptureParser(() => seen.packets++);
			parser.push(u);
			if (parser.error) {
				framer.stats.malformed++;
				fresh(framer.preamble);
				break;
			}
		}
	}
	return {framer, seen};
}

describe('UdpCaptureFramer', () => {
	const streams = captureFiles()
		.map(datagramsOf)
		.filter((d): d is Uint8Array[] => d !== undefined && d.length > 1);
	const datagramSeeds = streams.flat().slice(0, 2000);

	it('real pcap exports cut into datagrams read back packet for packet', () => {
		for (const ds of streams) {
			const direct = read([concat(...ds)]);
			// Only files the reader takes whole: the exporter never sends damage of its own.
			if (direct.error) continue;
			const {seen, framer} = consume(ds);
			expect(seen.packets).toBe(direct.packets.length);
			expect(framer.stats.malformed).toBe(0);
		}
	});

	it('lost, repeated, reordered and damaged datagrams: no throw, every datagram counted, packets bounded', () => {
		const stream = fc.tuple(fc.nat({max: streams.length - 1}), fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'swap', 'mutate', 'keep', 'keep', 'keep')), {maxLength: 40}));
		fc.assert(
			fc.property(stream, fc.array(bytesFor(datagramSeeds, 512), {maxLength: 6}), ([which, edits], extra) => {
				const ds = streams[which]!.slice(0, 60);
				for (const [at, what] of edits) {
					const i = ds.length === 0 ? 0 : at % ds.length;
					if (what === 'drop') ds.splice(i, 1);
					else if (what === 'dup' && ds[i]) ds.splice(i, 0, ds[i]!);
					else if (what === 'swap' && ds.length > 1) [ds[i], ds[(i + 1) % ds.length]] = [ds[(i + 1) % ds.length]!, ds[i]!];
				}
				ds.push(...extra);
				const {framer, seen} = timed(() => consume(ds));
				expect(framer.stats.datagrams).toBe(ds.length);
				expect(framer.stats.malformed).toBeLessThanOrEqual(ds.length);
				expect(seen.packets).toBeLessThanOrEqual(ds.length);
			}),
			fuzzOptions(150),
		);
	});

	it('arbitrary datagrams from a late join: no throw, nothing taken that is not a whole unit', () => {
		fc.assert(
			fc.property(fc.array(bytesFor(datagramSeeds, 512), {maxLength: 20}), (ds) => {
				const framer = new UdpCaptureFramer();
				for (const d of ds) {
					const f = framer.datagram(d);
					// A unit handed on is this datagram, or an interface block the framer made up (20 bytes).
					if (f.ok) for (const u of f.units) expect(u === d || u.length === 20).toBe(true);
				}
				expect(framer.stats.datagrams).toBe(ds.length);
			}),
			fuzzOptions(200),
		);
	});
});
