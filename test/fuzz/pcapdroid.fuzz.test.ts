/**
 * Properties of PCAPdroid's metadata: the per-frame trailer, the pcapng UID map block and the
 * `u-<uid>` comment, on arbitrary and mutated frames, and round trips through a test-side dumper
 * written from PCAPdroid's own C (test/sources/pcapdroid-dumper.ts).
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {
	attachAppMetadata,
	MAX_APP_NAME_LENGTH,
	MAX_APP_UIDS,
	newAppMetadataContext,
	parseTrailer,
	parseUidMapBlock,
	PCAPDROID_PEN,
	PCAPDROID_TRAILER_LENGTH,
	uidFromComment,
} from '../../source/decode/pcapdroid-metadata.js';
import {trailerFrame, uidMapBlock} from '../sources/pcapdroid-dumper.js';
import {fuzzOptions, timed} from './fuzz-options.js';
import {bytesFor, payloadSeeds} from './real-inputs.js';

const seeds = payloadSeeds();
/** Real IP packets (raw-IP frames of the fixtures and corpus) to wrap in trailers. */
const ipPackets = seeds.frames.filter((f) => f.linkType === 101 && f.data.length > 20 && f.data[0]! >> 4 === 4).map((f) => f.data);
const int32 = fc.integer({min: -2_147_483_648, max: 2_147_483_647});
const appName = fc.string({unit: 'grapheme-ascii', maxLength: 19}).filter((s) => !s.includes('\0'));

describe('PCAPdroid trailer', () => {
	const trailered = ipPackets.slice(0, 200).map((ip, i) => trailerFrame(ip, 10_000 + i, `app${i}`));

	it('any frame: no throw; the IP range inside the frame, before the trailer; a short name', () => {
		fc.assert(
			fc.property(bytesFor(trailered, 1600), (frame) => {
				const t = timed(() => parseTrailer(frame));
				if (!t) return;
				expect(t.ipStart).toBeLessThanOrEqual(t.ipEnd);
				expect(t.ipEnd).toBeLessThanOrEqual(frame.length - PCAPDROID_TRAILER_LENGTH);
				expect(Buffer.byteLength(t.appName, 'utf8')).toBeLessThanOrEqual(20 * 3);
			}),
			fuzzOptions(400),
		);
	});

	it('oracle: uid and name written by the dumper come back, the CRC checks, and one flipped bit fails it', () => {
		fc.assert(
			fc.property(fc.nat({max: Math.max(0, ipPackets.length - 1)}), int32, appName, fc.nat(), fc.nat(7), (i, uid, name, at, bit) => {
				const ip = ipPackets[i]!;
				const frame = trailerFrame(ip, uid, name);
				const t = parseTrailer(frame)!;
				expect(t).toMatchObject({uid, appName: name, crcOk: true, ipStart: 14});
				expect(t.ipEnd).toBe(14 + ip.length);
				// CRC-32 catches every single-bit error in what it covers (all but its own 4 bytes, the magic kept).
				const covered = frame.length - 4;
				const pos = at % covered;
				const magic = frame.length - PCAPDROID_TRAILER_LENGTH;
				if (pos >= magic && pos < magic + 4) return;
				if (pos < 14) return;
				const bad = Uint8Array.from(frame);
				bad[pos]! ^= 1 << bit;
				expect(parseTrailer(bad)?.crcOk).toBe(false);
			}),
			fuzzOptions(300),
		);
	});

	it('attachAppMetadata on arbitrary packets of any link type: no throw, the app table bounded', () => {
		fc.assert(
			fc.property(fc.array(fc.tuple(bytesFor(trailered, 1600), fc.constantFrom(1, 101, 113), fc.option(fc.string({maxLength: 30}))), {maxLength: 20}), (packets) => {
				const ctx = newAppMetadataContext();
				packets.forEach(([data, linkType, comment], i) => {
					const p = timed(() => attachAppMetadata({ts: 1, linkType, data, origLen: data.length, iface: 0, index: i + 1, ...(comment === null ? {} : {comment})}, ctx));
					expect(p.data.length).toBeLessThanOrEqual(data.length);
				});
				expect(ctx.apps.size).toBeLessThanOrEqual(MAX_APP_UIDS);
			}),
			fuzzOptions(200),
		);
	});
});

describe('PCAPdroid UID map block and uid comments', () => {
	/** The block's data as CaptureParser hands it to us: after the block header and the PEN. */
	const blockData = (b: Uint8Array) => b.subarray(12, b.length - 4);

	it('oracle: a UID map written by the dumper reads back; any bytes never throw and never name more than the block holds', () => {
		const text = fc.string({unit: 'grapheme', maxLength: 40}).filter((s) => Buffer.byteLength(s) <= MAX_APP_NAME_LENGTH && !s.includes('\0'));
		fc.assert(
			fc.property(int32, text, text, fc.uint8Array({maxLength: 80}), (uid, pkg, name, junk) => {
				const e = parseUidMapBlock(PCAPDROID_PEN, blockData(uidMapBlock(uid, pkg, name)))!;
				expect(e.uid).toBe(uid);
				expect(e.package ?? '').toBe(pkg);
				expect(e.name ?? '').toBe(name);
				const any = timed(() => parseUidMapBlock(PCAPDROID_PEN, junk));
				if (any) expect(Buffer.byteLength((any.package ?? '') + (any.name ?? ''))).toBeLessThanOrEqual(junk.length * 3);
			}),
			fuzzOptions(300),
		);
	});

	it('uidFromComment: u-<uid> round-trips for every int32, on any line of the comment; anything else is an int32 or nothing', () => {
		fc.assert(
			fc.property(int32, fc.array(fc.string({maxLength: 20}), {maxLength: 3}), fc.string({maxLength: 40}), (uid, before, junk) => {
				const lines = [...before.filter((l) => !l.startsWith('u-') && !l.includes('\n')), `u-${uid}`];
				expect(uidFromComment(lines.join('\n'))).toBe(uid);
				const any = timed(() => uidFromComment(junk));
				if (any !== undefined) {
					expect(Number.isInteger(any)).toBe(true);
					expect(Math.abs(any)).toBeLessThanOrEqual(2 ** 31);
				}
			}),
			fuzzOptions(300),
		);
	});
});
