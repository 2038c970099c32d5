import {readFileSync} from 'node:fs';
import {describe, it, expect} from 'vitest';
import {CaptureParser, MAX_CAPTURED_LENGTH, type CaptureSecrets} from '../../source/sources/capture-reader.js';
import type {RawPacket} from '../../source/types.js';
import {corpusPath, corpusPcaps, hasCorpus, readTruth} from '../helpers/corpus.js';
import {
	Writer,
	block,
	concat,
	customBlock,
	dsb,
	epb,
	idb,
	obsoletePb,
	payload,
	pcapHeader,
	pcapRecord,
	shb,
	spb,
	textOption,
} from './capture-builders.js';

type Parsed = {
	packets: RawPacket[];
	parser: CaptureParser;
	secrets: CaptureSecrets[];
	custom: Array<[number, Uint8Array]>;
};

/** Parses `bytes` pushed in pieces of `step` bytes (whole when omitted), copying packet data. */
function parse(bytes: Uint8Array, step = bytes.length || 1): Parsed {
	const packets: RawPacket[] = [];
	const secrets: CaptureSecrets[] = [];
	const custom: Array<[number, Uint8Array]> = [];
	const parser = new CaptureParser((p) => packets.push({...p, data: p.data.slice()}), {
		onSecrets: (s) => secrets.push(s),
		onCustomBlock: (pen, data) => custom.push([pen, data.slice()]),
	});
	for (let i = 0; i < bytes.length; i += step) parser.push(bytes.subarray(i, i + step));
	parser.end();
	return {packets, parser, secrets, custom};
}

/** The observable result, for comparing two parses. */
function summary(r: Parsed): unknown {
	return {
		packets: r.packets.map((p) => ({...p, data: Array.from(p.data)})),
		error: r.parser.error,
		format: r.parser.format,
		offset: r.parser.offset,
		secrets: r.secrets.map((s) => [s.secretsType, Array.from(s.data)]),
		custom: r.custom.map(([pen, d]) => [pen, Array.from(d)]),
	};
}

function pcapFile(le: boolean, nsec: boolean): Uint8Array {
	return concat(
		pcapHeader({le, nsec}),
		pcapRecord(le, 1_700_000_000, nsec ? 123_456_789 : 123_456, payload(60, 1)),
		pcapRecord(le, 1_700_000_001, nsec ? 5 : 500_000, payload(33, 2), 1500),
	);
}

describe('classic pcap', () => {
	for (const le of [true, false]) {
		for (const nsec of [false, true]) {
			it(`reads ${le ? 'little' : 'big'}-endian ${nsec ? 'nanosecond' : 'microsecond'} files`, () => {
				const {packets, parser} = parse(pcapFile(le, nsec));
				expect(parser.error).toBeUndefined();
				expect(parser.format).toBe('pcap');
				expect(packets.map((p) => p.index)).toEqual([1, 2]);
				expect(packets[0]!.ts).toBeCloseTo(1_700_000_000 + (nsec ? 0.123456789 : 0.123456), 6);
				expect(packets[1]!.ts).toBeCloseTo(1_700_000_001 + (nsec ? 5e-9 : 0.5), 6);
				expect(packets[0]!.data).toEqual(payload(60, 1));
				expect(packets[1]!.origLen).toBe(1500);
				expect(packets[1]!.data.length).toBe(33);
				expect(packets.every((p) => p.linkType === 1 && p.iface === 0)).toBe(true);
				expect(parser.interfaces).toEqual([{linkType: 1, snapLen: 65535, tsResol: nsec ? 1e9 : 1e6, tsOffset: 0}]);
				expect(parser.offset).toBe(24 + 16 + 60 + 16 + 33);
			});
		}
	}

	it('hands out views into the pushed chunk, not copies', () => {
		const bytes = pcapFile(true, false);
		const seen: Uint8Array[] = [];
		const parser = new CaptureParser((p) => seen.push(p.data));
		parser.push(bytes);
		expect(seen[0]!.buffer).toBe(bytes.buffer);
		expect(seen[0]!.byteOffset).toBe(24 + 16);
	});

	it('takes the link type from the low 16 bits and ignores the FCS bits', () => {
		const {packets, parser} = parse(concat(pcapHeader({le: true, linkWord: 0x14000000 | 113}), pcapRecord(true, 1, 0, payload(4, 0))));
		expect(parser.error).toBeUndefined();
		expect(packets[0]!.linkType).toBe(113);
	});

	it('rejects a non-zero reserved field in the link type word, as fatal', () => {
		const {packets, parser} = parse(concat(pcapHeader({le: true, linkWord: 0x00300001}), pcapRecord(true, 1, 0, payload(4, 0))));
		expect(packets).toHaveLength(0);
		expect(parser.error).toMatchObject({offset: 20, fatal: true});
		expect(parser.error!.message).toMatch(/reserved/);
	});

	it('rejects major version 1 as fatal', () => {
		const {parser} = parse(concat(pcapHeader({le: false, major: 1, minor: 4}), pcapRecord(false, 1, 0, payload(4, 0))));
		expect(parser.error).toMatchObject({offset: 4, fatal: true});
		expect(parser.error!.message).toMatch(/version 1\.4/);
	});

	it('swaps caplen and len in pre-2.3 files, as libpcap does', () => {
		const w = new Writer(true).u32(1).u32(0).u32(1500).u32(8).bytes(payload(8, 0)).done();
		const {packets, parser} = parse(concat(pcapHeader({le: true, minor: 2}), w));
		expect(parser.error).toBeUndefined();
		expect(packets[0]).toMatchObject({origLen: 1500});
		expect(packets[0]!.data.length).toBe(8);
	});

	it('treats a captured length above the snapshot length as damage', () => {
		const bytes = concat(pcapHeader({le: true, snapLen: 40}), pcapRecord(true, 1, 0, payload(20, 0)), pcapRecord(true, 2, 0, payload(41, 0)));
		const {packets, parser} = parse(bytes);
		expect(packets).toHaveLength(1);
		expect(parser.error).toMatchObject({offset: 24 + 36 + 8, fatal: false});
	});

	it('treats an absurd captured length as damage without waiting for the bytes', () => {
		const rec = new Writer(true).u32(1).u32(0).u32(MAX_CAPTURED_LENGTH + 1).u32(MAX_CAPTURED_LENGTH + 1).done();
		const parser = new CaptureParser(() => {});
		parser.push(concat(pcapHeader({le: true, snapLen: 0}), rec));
		expect(parser.error).toMatchObject({offset: 32, fatal: false});
		expect(parser.error!.message).toContain(String(MAX_CAPTURED_LENGTH));
	});

	it('reports a truncated last record at its offset and keeps the earlier packets', () => {
		const whole = pcapFile(true, false);
		const cut = whole.subarray(0, whole.length - 5);
		for (const step of [cut.length, 7, 1]) {
			const {packets, parser} = parse(cut, step);
			expect(packets).toHaveLength(1);
			expect(parser.error).toEqual({offset: 24 + 16 + 60, message: expect.stringMatching(/^truncated record at byte 100\b/), fatal: false});
			expect(parser.offset).toBe(100);
		}
	});

	it('cut() drops the half record a broken stream left, and the joined stream reads on from its next record', () => {
		const r1 = pcapRecord(true, 1, 0, payload(30, 1));
		const r2 = pcapRecord(true, 2, 0, payload(40, 2));
		const r3 = pcapRecord(true, 3, 0, payload(50, 3));
		const packets: RawPacket[] = [];
		const parser = new CaptureParser((p) => packets.push({...p, data: p.data.slice()}));
		expect(parser.cut()).toBe(0);
		parser.push(concat(pcapHeader({le: true}), r1, r2.subarray(0, 20)));
		expect(parser.cut()).toBe(20);
		parser.push(r3);
		parser.end();
		expect(parser.error).toBeUndefined();
		expect(packets.map((p) => [p.ts, p.data.length])).toEqual([[1, 30], [3, 50]]);
	});

	it('says a non-capture is not a capture, as fatal', () => {
		const {parser} = parse(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
		expect(parser.error).toMatchObject({offset: 0, fatal: true});
		expect(parser.error!.message).toMatch(/not a pcap or pcapng/);
		expect(parser.format).toBeUndefined();
	});

	it('says empty input and a cut file header are fatal', () => {
		expect(parse(new Uint8Array(0)).parser.error).toMatchObject({offset: 0, fatal: true, message: expect.stringMatching(/empty/)});
		expect(parse(pcapHeader({le: true}).subarray(0, 10)).parser.error).toMatchObject({fatal: true, message: expect.stringMatching(/truncated file header/)});
	});
});

const LE_BE = [true, false];

function pcapngFile(le: boolean): Uint8Array {
	return concat(
		shb(le, [textOption(4, 'tattle test')]),
		idb(le, 1, 262144, [textOption(2, 'eth0')]),
		// Interface 1: raw IP, nanoseconds, 100 s offset.
		idb(le, 101, 0, [
			{code: 9, value: Uint8Array.of(9)},
			{code: 14, value: new Writer(le).i64(100n).done()},
		]),
		epb(le, 0, 1_700_000_000_250_000n, payload(42, 1)),
		block(le, 4, (w) => w.u16(1).u16(8).bytes([10, 0, 0, 1]).bytes([97, 0, 0, 0])), // NRB: skipped
		epb(le, 1, 1_700_000_000_123_456_789n, payload(20, 2), [textOption(1, 'u-10123')], 40),
		block(le, 0x0badf00d, (w) => w.u32(7).u32(8)), // unknown type: skipped
		dsb(le, 0x544c534b, new TextEncoder().encode('CLIENT_RANDOM 00 11\n')),
		customBlock(le, 32473, Uint8Array.of(1, 2, 3, 4, 5)),
		spb(le, payload(10, 3)),
		obsoletePb(le, 1, 5_000_000_000n, payload(7, 4)),
		block(le, 5, (w) => w.u32(0).u32(0).u32(0)), // ISB: skipped
	);
}

describe('pcapng', () => {
	for (const le of LE_BE) {
		it(`reads a ${le ? 'little' : 'big'}-endian multi-interface file with every packet block kind`, () => {
			const {packets, parser, secrets, custom} = parse(pcapngFile(le));
			expect(parser.error).toBeUndefined();
			expect(parser.format).toBe('pcapng');
			expect(parser.interfaces).toEqual([
				{linkType: 1, snapLen: 262144, tsResol: 1e6, tsOffset: 0, name: 'eth0'},
				{linkType: 101, snapLen: 0, tsResol: 1e9, tsOffset: 100},
			]);
			expect(packets.map((p) => [p.index, p.iface, p.linkType, p.data.length, p.origLen])).toEqual([
				[1, 0, 1, 42, 42],
				[2, 1, 101, 20, 40],
				[3, 0, 1, 10, 10],
				[4, 1, 101, 7, 7],
			]);
			expect(packets[0]!.ts).toBeCloseTo(1_700_000_000.25, 6);
			expect(packets[1]!.ts).toBeCloseTo(1_700_000_100.123456789, 6);
			expect(packets[1]!.comment).toBe('u-10123');
			expect(packets[0]!.comment).toBeUndefined();
			// SPB: no timestamp of its own, so the previous one.
			expect(packets[2]!.ts).toBe(packets[1]!.ts);
			expect(packets[3]!.ts).toBeCloseTo(105, 6);
			expect(packets[2]!.data).toEqual(payload(10, 3));
			expect(secrets).toEqual([{secretsType: 0x544c534b, data: new TextEncoder().encode('CLIENT_RANDOM 00 11\n')}]);
			// The custom data runs to the block end, padding included: only the PEN's owner knows its length.
			expect(custom).toEqual([[32473, Uint8Array.of(1, 2, 3, 4, 5, 0, 0, 0)]]);
			expect(parser.offset).toBe(pcapngFile(le).length);
		});
	}

	it('gives the same result whatever the chunking, down to 1-byte chunks', () => {
		const bytes = concat(pcapngFile(true), pcapngFile(false));
		const whole = summary(parse(bytes));
		for (const step of [1, 3, 13, 64, 1000]) expect(summary(parse(bytes, step))).toEqual(whole);
	});

	it('resets interfaces and switches byte order at a new section header', () => {
		const bytes = concat(
			shb(true),
			idb(true, 1, 0),
			idb(true, 113, 0),
			epb(true, 1, 1n, payload(4, 0)),
			shb(false),
			idb(false, 276, 0),
			epb(false, 0, 2n, payload(5, 0)),
		);
		const {packets, parser} = parse(bytes);
		expect(parser.error).toBeUndefined();
		expect(packets.map((p) => [p.index, p.iface, p.linkType])).toEqual([
			[1, 1, 113],
			[2, 0, 276],
		]);
		expect(parser.interfaces.map((i) => i.linkType)).toEqual([276]);
	});

	it('reads a power-of-two timestamp resolution', () => {
		const bytes = concat(shb(true), idb(true, 1, 0, [{code: 9, value: Uint8Array.of(0x80 | 10)}]), epb(true, 0, 1024n * 3000n + 512n, payload(4, 0)));
		const {packets, parser} = parse(bytes);
		expect(parser.interfaces[0]!.tsResol).toBe(1024);
		expect(packets[0]!.ts).toBe(3000.5);
	});

	it('rejects an unsupported section version as fatal', () => {
		const {parser} = parse(concat(shb(true, [], 1, 1), idb(true, 1, 0)));
		expect(parser.error).toMatchObject({offset: 12, fatal: true, message: expect.stringMatching(/1\.1/)});
	});

	it('treats a packet naming an unknown interface as damage', () => {
		const {packets, parser} = parse(concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, payload(4, 0)), epb(true, 3, 1n, payload(4, 0))));
		expect(packets).toHaveLength(1);
		expect(parser.error).toMatchObject({offset: 28 + 20 + 36 + 8, fatal: false});
	});

	it('bounds option lengths by their block', () => {
		// An SHB whose single option claims 0x3030 bytes (libpcap's shb-option-too-long case).
		const bad = shb(true, [{code: 3, value: payload(8, 0)}]);
		new DataView(bad.buffer).setUint16(24 + 2, 0x3030, true);
		const {parser} = parse(concat(bad, idb(true, 1, 0)));
		expect(parser.error).toMatchObject({offset: 24, fatal: true, message: expect.stringMatching(/option 3 of length 12336/)});
	});

	it('checks block total lengths', () => {
		const good = concat(shb(true), idb(true, 1, 0));
		const notMultiple = epb(true, 0, 1n, payload(4, 0));
		new DataView(notMultiple.buffer).setUint32(4, 34, true);
		expect(parse(concat(good, notMultiple)).parser.error).toMatchObject({offset: good.length + 4, message: expect.stringMatching(/multiple of 4/)});
		const tooShort = Uint8Array.of(6, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0);
		expect(parse(concat(good, tooShort)).parser.error).toMatchObject({offset: good.length + 4});
		const mismatch = epb(true, 0, 1n, payload(4, 0));
		new DataView(mismatch.buffer).setUint32(mismatch.length - 4, 99, true);
		expect(parse(concat(good, mismatch)).parser.error).toMatchObject({offset: good.length + mismatch.length - 4, message: expect.stringMatching(/trailing/)});
	});

	it('treats a captured length past the block end as damage', () => {
		const b = epb(true, 0, 1n, payload(8, 0));
		new DataView(b.buffer).setUint32(20, 200, true);
		const {parser} = parse(concat(shb(true), idb(true, 1, 0), b));
		expect(parser.error).toMatchObject({fatal: false, message: expect.stringMatching(/runs past/)});
	});

	it('reports a truncated last block at its offset and keeps the earlier packets', () => {
		const head = concat(shb(true), idb(true, 1, 0), epb(true, 0, 1n, payload(30, 0)));
		const bytes = concat(head, epb(true, 0, 2n, payload(30, 1)).subarray(0, 20));
		for (const step of [bytes.length, 5, 1]) {
			const {packets, parser} = parse(bytes, step);
			expect(packets).toHaveLength(1);
			expect(parser.error).toEqual({offset: head.length, message: expect.stringMatching(new RegExp(`^truncated record at byte ${head.length}\\b`)), fatal: false});
		}
	});

	it('reads an empty capture (header only) without error', () => {
		const {packets, parser} = parse(concat(shb(true), idb(true, 1, 0)));
		expect(packets).toHaveLength(0);
		expect(parser.error).toBeUndefined();
	});
});

/** capinfos encapsulation names -> the LINKTYPE values that may stand behind them. */
const ENCAPSULATIONS: Record<string, number[]> = {
	ether: [1],
	'linux-sll': [113],
	'linux-sll2': [276],
	rawip: [101, 12, 14],
	rawip4: [228],
	rawip6: [229],
	null: [0],
	loop: [108],
	ppp: [9, 50, 204],
	nflog: [239],
	pktap: [258, 149],
	ppi: [192],
};

describe.runIf(hasCorpus)('the shared corpus', () => {
	const names = corpusPcaps();

	it('has captures to read', () => {
		expect(names.length).toBeGreaterThan(100);
	});

	it.each(names)('%s: same packet count and encapsulation as tshark, or a clean stop', (name) => {
		const bytes = new Uint8Array(readFileSync(corpusPath('pcap', name)));
		const {packets, parser} = parse(bytes);
		const truth = readTruth(name);
		const file = truth.get('file')?.[0];
		expect(file).toBeDefined();
		const [format, encapsulation, count] = file!;
		if (format === 'capinfos-error' || truth.has('read_error')) {
			expect(parser.error).toBeDefined();
			expect(parser.error!.message.length).toBeGreaterThan(0);
			return;
		}
		expect(parser.error).toBeUndefined();
		expect(parser.format).toBe(format === 'pcapng' ? 'pcapng' : 'pcap');
		expect(parser.packets).toBe(Number(count));
		expect(parser.offset).toBe(bytes.length);
		if (format === 'nsecpcap') expect(parser.interfaces[0]!.tsResol).toBe(1e9);
		if (encapsulation !== 'per-packet' && packets.length > 0) {
			expect(ENCAPSULATIONS[encapsulation!]).toContain(packets[0]!.linkType);
		}
		if (encapsulation === 'per-packet') expect(new Set(parser.interfaces.map((i) => i.linkType)).size).toBeGreaterThan(1);
		const links = parser.interfaces.map((i) => i.linkType);
		expect(packets.every((p) => p.linkType === links[p.iface])).toBe(true);
		// frame.len sums per IP conversation can only be cross-checked in total: every counted frame is one of ours.
		const convBytes = (truth.get('conv') ?? []).reduce((n, c) => n + Number(c[8]), 0);
		const convCaptured = (truth.get('conv') ?? []).reduce((n, c) => n + Number(c[9]), 0);
		expect(packets.reduce((n, p) => n + p.origLen, 0)).toBeGreaterThanOrEqual(convBytes);
		expect(packets.reduce((n, p) => n + p.data.length, 0)).toBeGreaterThanOrEqual(convCaptured);
	});

	it('reads the cut-short fuzz file up to the cut: 1 packet, then a non-fatal truncation', () => {
		const {packets, parser} = parse(new Uint8Array(readFileSync(corpusPath('pcap', 'ndpi__fuzz-2021-10-13.pcap'))));
		expect(packets).toHaveLength(1);
		// tshark shows frame.len 524501, cap_len 197: version 2.0 swapped the two fields.
		expect(packets[0]).toMatchObject({origLen: 524501});
		expect(packets[0]!.data.length).toBe(197);
		expect(parser.error).toMatchObject({offset: 237, fatal: false, message: expect.stringMatching(/^truncated record at byte 237/)});
	});

	it('reads every corpus capture identically in odd-sized chunks', () => {
		for (const name of names.slice(0, 40)) {
			const bytes = new Uint8Array(readFileSync(corpusPath('pcap', name)));
			const a = parse(bytes);
			const b = parse(bytes, 4093);
			expect(b.parser.packets, name).toBe(a.parser.packets);
			expect(b.parser.error, name).toEqual(a.parser.error);
			expect(b.packets.map((p) => p.data.length), name).toEqual(a.packets.map((p) => p.data.length));
		}
	});
});
