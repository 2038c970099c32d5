import {describe, it, expect} from 'vitest';
import {LogcatStitcher, PcapStitcher, epochKey} from '../../source/sources/adb-resume.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('logcat stitching across a resume', () => {
	it('keys epoch prefixes so that they sort by time', () => {
		expect(epochKey('         1717000000.5  1 1 I a: b')! > epochKey('          999999999.9  1 1 I a: b')!).toBe(true);
		expect(epochKey('--------- beginning of main')).toBeUndefined();
	});

	it('drops the banner and the lines repeated by logcat -T, keeps the new ones', () => {
		const s = new LogcatStitcher();
		const first = '--------- beginning of main\n 100.000  1 1 I a: one\n 101.000  1 1 I a: two\n 101.000  1 1 I a: twin\n 10';
		expect(dec(s.push(enc(first)))).toBe(first);
		expect(s.lastSeconds).toBe(101);
		s.beginResume();
		const again = '--------- beginning of main\n 101.000  1 1 I a: two\n 101.000  1 1 I a: twin\n 101.000  1 1 I a: third\n 102.0';
		expect(dec(s.push(enc(again.slice(0, 40))))).toBe('');
		expect(dec(s.push(enc(again.slice(40))))).toBe(' 101.000  1 1 I a: third\n 102.0');
		expect(dec(s.push(enc('00  1 1 I a: four\n')))).toBe('00  1 1 I a: four\n');
		expect(s.lastSeconds).toBe(102);
	});
});

describe('pcap stitching across a restart', () => {
	const header = new Uint8Array(24).fill(7);
	header.set([0xd4, 0xc3, 0xb2, 0xa1]);

	it('drops a repeated identical header, even when split', () => {
		const s = new PcapStitcher();
		s.beginStream();
		const r0 = s.push(Buffer.concat([header, enc('AAAA')]));
		expect([...r0.bytes]).toEqual([...header, ...enc('AAAA')]);
		expect(r0.restart).toBe(false);
		s.beginStream();
		expect(s.push(header.subarray(0, 10)).bytes).toHaveLength(0);
		const r = s.push(Buffer.concat([header.subarray(10), enc('BB')]));
		expect(dec(r.bytes)).toBe('BB');
		expect(r.restart).toBe(false);
		expect(dec(s.push(enc('CC')).bytes)).toBe('CC');
	});

	it('reports a restart when the new header differs', () => {
		const s = new PcapStitcher();
		s.beginStream();
		s.push(header);
		s.beginStream();
		const other = header.slice();
		other[20] = 113;
		const r = s.push(other);
		expect(r.restart).toBe(true);
		expect(r.bytes).toHaveLength(24);
	});
});
