import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {
	addCustomBlock,
	attachAppMetadata,
	crc32,
	tableCrc32,
	hasTrailerMagic,
	MAX_APP_UIDS,
	newAppMetadataContext,
	parseTrailer,
	parseUidMapBlock,
	PCAPDROID_PEN,
	rememberApp,
	uidFromComment,
} from '../../source/decode/pcapdroid-metadata.js';
import {decodePacket, isPacket} from '../../source/decode/packet.js';
import {CaptureParser} from '../../source/sources/capture-reader.js';
import type {RawPacket} from '../../source/types.js';
import {corpusPath, hasCorpus, readTruth} from '../helpers/corpus.js';
import {needTool} from '../helpers/tools.js';
import {concat, Writer} from '../sources/capture-builders.js';
import {epb, ipPackets, pcapdroidRecord, pcapHeader, pcapngPreamble, trailerFrame, uidMapBlock, type IpPacket} from '../sources/pcapdroid-dumper.js';

const CORPUS = 'pcapdroid__metadata.pcap';
const CORPUS_FILE = corpusPath('pcap', CORPUS);
let cachedIps: IpPacket[] | undefined;
/** The corpus capture's IP packets, read once (lazily: describe bodies run even when skipped). */
const corpusIps = (): IpPacket[] => (cachedIps ??= ipPackets(CORPUS_FILE));
const tmp = mkdtempSync(join(tmpdir(), 'tattle-pcapdroid-'));
afterAll(() => rmSync(tmp, {recursive: true, force: true}));

/** Apps assigned to the corpus packets by destination/source port, as a phone would see them. */
const APPS = [
	{uid: 10123, pkg: 'org.mozilla.firefox', label: 'Firefox'},
	{uid: 10087, pkg: 'com.android.chrome', label: 'Chrome'},
	{uid: 1000, pkg: 'android', label: 'Android System with a long label'},
];
function appOf(i: number): (typeof APPS)[number] {
	return APPS[i % APPS.length]!;
}

function parseAll(bytes: Uint8Array, onCustomBlock?: (pen: number, data: Uint8Array) => void): RawPacket[] {
	const out: RawPacket[] = [];
	const parser = new CaptureParser((p) => out.push(p), {onCustomBlock});
	parser.push(bytes);
	parser.end();
	expect(parser.error).toBeUndefined();
	return out;
}

function tshark(args: string[]): string[] {
	return execFileSync('tshark', ['-n', ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).replace(/\n$/, '').split('\n');
}

describe.runIf(hasCorpus)('real PCAPdroid test capture (corpus)', () => {
	it('has no app metadata: every frame passes through untouched', () => {
		const truth = readTruth(CORPUS).get('file')![0]!;
		const bytes = new Uint8Array(readFileSync(CORPUS_FILE));
		const packets = parseAll(bytes);
		expect(packets.length).toBe(Number(truth[2]));
		const ctx = newAppMetadataContext();
		let attributed = 0;
		for (const p of packets) {
			const before = {data: p.data, linkType: p.linkType, origLen: p.origLen};
			attachAppMetadata(p, ctx);
			if (p.app) attributed++;
			expect({data: p.data, linkType: p.linkType, origLen: p.origLen}).toEqual(before);
		}
		expect(attributed).toBe(0);
		expect(ctx.counts).toEqual({trailers: 0, badTrailers: 0, trailerSkipped: 0, uidComments: 0, uidMaps: 0, badUidMaps: 0});
	});
});

describe.runIf(hasCorpus)('PCAPdroid trailer on the corpus packets', () => {
	let ips: IpPacket[] = [];
	const file = join(tmp, 'trailer.pcap');
	beforeAll(() => {
		ips = corpusIps();
		writeFileSync(file, concat(pcapHeader(true), ...ips.map((p, i) => pcapdroidRecord(p, appOf(i).uid, appOf(i).label))));
	});

	describe.runIf(needTool('tshark', 'tshark'))('the dumper writes what Wireshark reads', () => {
		it('tshark finds the same IP conversation and a good FCS over the trailer on every frame', () => {
			const ours = tshark(['-r', file, '-o', 'eth.fcs:Always', '-o', 'eth.check_fcs:TRUE', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src', '-e', 'eth.fcs.status']);
			const orig = tshark(['-r', CORPUS_FILE, '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src']);
			expect(ours.length).toBe(ips.length);
			expect(ours.map((l) => l.split('\t').slice(0, 3).join('\t'))).toEqual(orig);
			expect(new Set(ours.map((l) => l.split('\t')[3]))).toEqual(new Set(['1']));
		});
	});

	it('strips the trailer: every frame becomes its original IP packet with its app', () => {
		const packets = parseAll(new Uint8Array(readFileSync(file)));
		const ctx = newAppMetadataContext();
		const perApp = new Map<string, number>();
		packets.forEach((p, i) => {
			expect(p.linkType).toBe(1);
			attachAppMetadata(p, ctx);
			expect(p.linkType).toBe(101);
			expect(Buffer.from(p.data).equals(Buffer.from(ips[i]!.data))).toBe(true);
			expect(p.origLen).toBe(ips[i]!.data.length);
			expect(p.app?.uid).toBe(appOf(i).uid);
			perApp.set(p.app!.package!, (perApp.get(p.app!.package!) ?? 0) + 1);
		});
		expect(ctx.counts.trailers).toBe(ips.length);
		// The trailer carries 19 bytes of the label; a UID table would give the package instead.
		expect([...perApp.keys()].sort()).toEqual(['Android System with', 'Chrome', 'Firefox']);
		expect([...perApp.values()].reduce((a, b) => a + b)).toBe(ips.length);
	});

	it('stripped packets decode like the originals', () => {
		const raw = parseAll(new Uint8Array(readFileSync(file)));
		const orig = parseAll(new Uint8Array(readFileSync(CORPUS_FILE)));
		expect(raw.length).toBeGreaterThan(0);
		expect(raw).toHaveLength(orig.length);
		const ctx = newAppMetadataContext();
		raw.forEach((p, i) => {
			const a = decodePacket(attachAppMetadata(p, ctx));
			const b = decodePacket(orig[i]!);
			expect(isPacket(a) && isPacket(b)).toBe(true);
			if (!isPacket(a) || !isPacket(b)) return;
			expect([a.src, a.dst, a.sport, a.dport, a.payload.length]).toEqual([b.src, b.dst, b.sport, b.dport, b.payload.length]);
			expect(a.app?.uid).toBe(appOf(i).uid);
		});
	});

	it('a uid table names the package instead of the trailer label', () => {
		const ctx = newAppMetadataContext();
		for (const a of APPS) rememberApp(ctx, {uid: a.uid, package: a.pkg});
		const p = parseAll(new Uint8Array(readFileSync(file)))[1]!;
		attachAppMetadata(p, ctx);
		expect(p.app).toEqual({uid: appOf(1).uid, package: appOf(1).pkg});
	});

	it('a damaged frame (CRC mismatch) is left alone and counted', () => {
		const frame = trailerFrame(ips[0]!.data, 10123, 'Firefox');
		frame[30]! ^= 0xff;
		const p: RawPacket = {ts: 1, linkType: 1, data: frame, origLen: frame.length, iface: 0, index: 1};
		const ctx = newAppMetadataContext();
		attachAppMetadata(p, ctx);
		expect(p.app).toBeUndefined();
		expect(p.linkType).toBe(1);
		expect(p.data).toBe(frame);
		expect(ctx.counts.badTrailers).toBe(1);
		expect(parseTrailer(frame)?.crcOk).toBe(false);
	});

	it('uid -1 with no name attaches nothing; uid -1 with a name attaches the name only', () => {
		const ctx = newAppMetadataContext();
		const a = trailerFrame(ips[0]!.data, -1, '');
		const pa: RawPacket = {ts: 1, linkType: 1, data: a, origLen: a.length, iface: 0, index: 1};
		attachAppMetadata(pa, ctx);
		expect(pa.linkType).toBe(101);
		expect(pa.app).toBeUndefined();
		const b = trailerFrame(ips[0]!.data, -1, 'Unknown');
		const pb: RawPacket = {ts: 1, linkType: 1, data: b, origLen: b.length, iface: 0, index: 2};
		attachAppMetadata(pb, ctx);
		expect(pb.app).toEqual({package: 'Unknown'});
	});

	it('an ordinary Ethernet frame that ends in the magic is not a trailer', () => {
		const frame = trailerFrame(ips[0]!.data, 10123, 'Firefox');
		frame.set([0x02, 0x01, 0x6c, 0x54, 0xf6, 0x2c], 0); // a real destination MAC
		expect(hasTrailerMagic(frame)).toBe(true);
		expect(parseTrailer(frame)).toBeUndefined();
		const p: RawPacket = {ts: 1, linkType: 1, data: frame, origLen: frame.length, iface: 0, index: 1};
		attachAppMetadata(p, newAppMetadataContext());
		expect(p.linkType).toBe(1);
		expect(p.app).toBeUndefined();
	});

	it('snaplen edge case: bare IP under LINKTYPE_ETHERNET becomes RAW once trailers were seen', () => {
		const big = ips.reduce((a, b) => (b.data.length > a.data.length ? b : a));
		const small = ips.reduce((a, b) => (b.data.length < a.data.length ? b : a));
		const snaplen = big.data.length + 20; // room for the packet, not for the 46+ bytes of trailer
		const bytes = concat(pcapHeader(true, snaplen), pcapdroidRecord(big, 10123, 'Firefox', snaplen), pcapdroidRecord(small, 10123, 'Firefox', snaplen), pcapdroidRecord(big, 10123, 'Firefox', snaplen));
		const [first, second, third] = parseAll(bytes);
		const ctx = newAppMetadataContext();
		// Before any trailer: cannot tell it from Ethernet, left alone.
		attachAppMetadata(first!, ctx);
		expect(first!.linkType).toBe(1);
		attachAppMetadata(second!, ctx);
		expect(second!.app?.uid).toBe(10123);
		attachAppMetadata(third!, ctx);
		expect(third!.linkType).toBe(101);
		expect(third!.app).toBeUndefined();
		expect(Buffer.from(third!.data).equals(Buffer.from(big.data))).toBe(true);
		expect(ctx.counts.trailerSkipped).toBe(1);
		const meta = decodePacket(third!);
		expect(isPacket(meta) && meta.ipVersion).toBeTruthy();
	});
});

describe.runIf(hasCorpus)('pcapng: UID map blocks and u-<uid> comments', () => {
	let ips: IpPacket[] = [];
	const file = join(tmp, 'uids.pcapng');
	beforeAll(() => {
		ips = corpusIps();
		const blocks: Uint8Array[] = [pcapngPreamble()];
		const mapped = new Set<number>();
		ips.forEach((p, i) => {
			const app = appOf(i);
			// dump_packet_pcapng: one UID map per uid, before the first packet of that uid.
			if (!mapped.has(app.uid)) blocks.push(uidMapBlock(app.uid, app.pkg, app.label));
			mapped.add(app.uid);
			blocks.push(epb(p, app.uid));
		});
		writeFileSync(file, concat(...blocks));
	});

	it.runIf(needTool('tshark', 'tshark'))('tshark reads the same packets and comments', () => {
		// tshark 4.0 lists each custom block as a frame of its own ("data"): keep the IP ones.
		const lines = tshark(['-r', file, '-Y', 'ip || ipv6', '-T', 'fields', '-e', 'frame.comment', '-e', 'ip.dst', '-e', 'ipv6.dst']);
		expect(lines.length).toBe(ips.length);
		lines.forEach((l, i) => expect(l.split('\t')[0]).toBe(`u-${appOf(i).uid}`));
	});

	it('attributes every packet to its package through the table', () => {
		const ctx = newAppMetadataContext();
		const packets = parseAll(new Uint8Array(readFileSync(file)), (pen, data) => addCustomBlock(ctx, pen, data));
		expect(ctx.counts.uidMaps).toBe(APPS.length);
		packets.forEach((p, i) => {
			attachAppMetadata(p, ctx);
			expect(p.app).toEqual({uid: appOf(i).uid, package: appOf(i).pkg});
			expect(p.linkType).toBe(101);
		});
		expect(ctx.counts.uidComments).toBe(ips.length);
		expect(ctx.apps.get(1000)).toEqual({uid: 1000, package: 'android', name: 'Android System with a long label'});
	});

	it('a comment for an unmapped uid still gives the uid', () => {
		const p = parseAll(concat(pcapngPreamble(), epb(ips[0]!, 10555)))[0]!;
		attachAppMetadata(p, newAppMetadataContext());
		expect(p.app).toEqual({uid: 10555});
	});
});

describe('UID map block parsing', () => {
	const data = (b: Uint8Array) => b.subarray(12, b.length - 4);

	it('reads little- and big-endian blocks', () => {
		expect(parseUidMapBlock(PCAPDROID_PEN, data(uidMapBlock(10123, 'org.mozilla.firefox', 'Firefox')))).toEqual({uid: 10123, package: 'org.mozilla.firefox', name: 'Firefox'});
		const be = new Writer(false).u16(1).u8(1).u8(0).u32(10042).u8(3).u8(0).bytes([0x61, 0x2e, 0x62]).pad4().done();
		expect(parseUidMapBlock(PCAPDROID_PEN, be)).toEqual({uid: 10042, package: 'a.b'});
	});

	it('rejects other PENs, other types, and names that run past the block', () => {
		const good = data(uidMapBlock(1, 'a.b', 'c'));
		expect(parseUidMapBlock(32473, good)).toBeUndefined();
		const otherType = new Uint8Array(good);
		otherType[2] = 2;
		expect(parseUidMapBlock(PCAPDROID_PEN, otherType)).toBeUndefined();
		const long = new Uint8Array(good);
		long[8] = 200;
		expect(parseUidMapBlock(PCAPDROID_PEN, long)).toBeUndefined();
		const ctx = newAppMetadataContext();
		expect(addCustomBlock(ctx, PCAPDROID_PEN, long)).toBe(false);
		expect(addCustomBlock(ctx, 32473, good)).toBe(false);
		expect(ctx.counts.badUidMaps).toBe(1);
	});

	it('bounds the table', () => {
		const ctx = newAppMetadataContext();
		for (let uid = 0; uid < MAX_APP_UIDS + 100; uid++) rememberApp(ctx, {uid, package: 'p.q'});
		expect(ctx.apps.size).toBe(MAX_APP_UIDS);
		rememberApp(ctx, {uid: 5, name: 'Five'});
		expect(ctx.apps.get(5)).toEqual({uid: 5, package: 'p.q', name: 'Five'});
	});
});

describe('uid comments', () => {
	it.each([
		['u-10123', 10123],
		['u--1', -1],
		['u-0', 0],
		['user note\nu-10087', 10087],
		['u-2147483647', 2147483647],
	])('%j -> %d', (c, uid) => expect(uidFromComment(c)).toBe(uid));

	it.each(['u-', 'u-abc', 'u-12x', 'x u-5', 'u-99999999999', 'u-1.5', ''])('%j -> undefined', (c) => expect(uidFromComment(c)).toBeUndefined());
});

describe('cheap and hostile input', () => {
	it('leaves packets without metadata as they are, same object', () => {
		const p: RawPacket = {ts: 1, linkType: 113, data: new Uint8Array(60), origLen: 60, iface: 0, index: 1};
		expect(attachAppMetadata(p, newAppMetadataContext())).toBe(p);
		expect(p.app).toBeUndefined();
	});

	it('never throws on random or cut frames and comments', () => {
		let seed = 7;
		const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xff;
		const base = hasCorpus ? trailerFrame(corpusIps()[3]!.data, 10123, 'Firefox') : new Uint8Array(100);
		const errors: unknown[] = [];
		const ctx = newAppMetadataContext();
		for (let i = 0; i < 3000; i++) {
			const data = i % 2 ? base.slice(0, rnd() % base.length) : Uint8Array.from({length: rnd() % 80}, rnd);
			if (i % 3 === 0 && data.length >= 36) data.set([1, 7, 0x20, 0x21], data.length - 32);
			try {
				attachAppMetadata({ts: 0, linkType: 1, data, origLen: data.length, iface: 0, index: i, comment: `u-${String.fromCharCode(rnd())}${rnd()}`}, ctx);
				parseUidMapBlock(PCAPDROID_PEN, data);
			} catch (err) {
				errors.push(err);
			}
		}
		expect(errors).toEqual([]);
	});

	it('crc32 matches zlib on known vectors, native and table alike', () => {
		expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
		expect(tableCrc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
		expect(crc32(new Uint8Array(0))).toBe(0);
		const data = Uint8Array.from({length: 1500}, (_, i) => (i * 131) & 0xff);
		for (const [from, to] of [[0, 1500], [3, 1497], [14, 15]] as const) expect(crc32(data, from, to)).toBe(tableCrc32(data, from, to));
	});

	it('non-ASCII app labels: UTF-8, cut at 19 bytes even mid-character', () => {
		const ip = Uint8Array.from([0x45, 0, 0, 20, ...new Array(16).fill(0)]);
		const label = (name: string) => parseTrailer(trailerFrame(ip, 10200, name))!.appName;
		expect(label('Café')).toBe('Café');
		expect(label('微信')).toBe('微信');
		// 7 x 3-byte characters = 21 bytes: 6 whole ones and a cut one (replacement character).
		expect(label('一二三四五六七')).toBe('一二三四五六\ufffd');
	});
});
