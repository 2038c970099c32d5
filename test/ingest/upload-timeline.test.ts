import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {FIRST_BUCKET_SECONDS, GONE_SERIES, NO_SERIES, TIMELINE_BUCKETS, TIMELINE_ROWS, UploadGrid} from '../../source/ingest/upload-timeline.js';
import {fuzzOptions} from '../fuzz/fuzz-options.js';

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const row = (grid: UploadGrid, s: number) => grid.timeline([{host: 'h', flags: 0, bytesOut: 1, uploads: s}])!.rows[0]!.bytesOut;

describe('upload timeline', () => {
	it('buckets bytes by time from the first upload\'s whole second', () => {
		const g = new UploadGrid();
		let s = g.add(NO_SERIES, 100.3, 10);
		s = g.add(s, 100.4, 5);
		s = g.add(s, 101, 7);
		const t = g.timeline([{host: 'a', flags: 0, bytesOut: 22, uploads: s}])!;
		expect(t.start).toBe(100);
		expect(t.bucketSeconds).toBe(FIRST_BUCKET_SECONDS);
		// Buckets of 0.125 s: 0.3 s in is bucket 2, 0.4 s bucket 3, 1 s bucket 8.
		expect(t.rows[0]!.bytesOut[2]).toBe(10);
		expect(t.rows[0]!.bytesOut[3]).toBe(5);
		expect(t.rows[0]!.bytesOut[8]).toBe(7);
		// Trimmed to the span used.
		expect(t.rows[0]!.bytesOut).toHaveLength(9);
	});

	it('widens the grid as the session grows; series made earlier are folded, totals kept', () => {
		const g = new UploadGrid();
		const a = g.add(NO_SERIES, 0, 100);
		let b = g.add(NO_SERIES, 1, 1);
		// Ten hours later: the grid doubles until it spans it; `a` is not touched again.
		b = g.add(b, 36_000, 2);
		const t = g.timeline([
			{host: 'a', flags: 0, bytesOut: 100, uploads: a},
			{host: 'b', flags: 0, bytesOut: 3, uploads: b},
		])!;
		expect(t.bucketSeconds * TIMELINE_BUCKETS).toBeGreaterThanOrEqual(36_000);
		expect(t.bucketSeconds * TIMELINE_BUCKETS).toBeLessThan(2 * 36_000 + 1);
		expect(t.rows.map((r) => [r.host, sum(r.bytesOut)])).toEqual([
			['a', 100],
			['b', 3],
		]);
		expect(t.rows[0]!.bytesOut[0]).toBe(100);
		expect(t.rows[1]!.bytesOut.at(-1)).toBe(2);
	});

	it('moves a renamed flow\'s bytes, never below zero; merges series', () => {
		const g = new UploadGrid();
		let ip = g.add(NO_SERIES, 10, 60);
		const name = g.move(ip, NO_SERIES, 10, 60);
		expect(row(g, ip).every((v) => v === 0)).toBe(true);
		expect(sum(row(g, name))).toBe(60);
		ip = g.add(ip, 11, 5);
		const moved = g.move(ip, name, 10, 1000);
		expect(Math.min(...row(g, ip))).toBe(0);
		expect(sum(row(g, moved))).toBe(1060);
		expect(g.inUse).toBe(2);
		const merged = g.merge(moved, ip);
		expect(sum(row(g, merged))).toBe(1065);
		// The merged-away slot is given back, and handed out again zeroed.
		expect(g.inUse).toBe(1);
		const again = g.add(NO_SERIES, 12, 1);
		expect(again).toBe(ip);
		expect(sum(row(g, again))).toBe(1);
		expect(g.merge(NO_SERIES, again)).toBe(again);
		expect(g.merge(again, NO_SERIES)).toBe(again);
	});

	it('a destination given back (evicted, merged away) never takes a slot again; slots come in pages', () => {
		const g = new UploadGrid();
		const slots = Array.from({length: 600}, (_, i) => g.add(NO_SERIES, 1 + i / 100, 1));
		expect(new Set(slots).size).toBe(600);
		expect(g.inUse).toBe(600);
		const gone = g.release(slots[5]!);
		expect(gone).toBe(GONE_SERIES);
		expect(g.add(gone, 2, 100)).toBe(GONE_SERIES);
		expect(g.move(slots[6]!, gone, 2, 1)).toBe(GONE_SERIES);
		expect(g.inUse).toBe(599);
		expect(g.timeline([{host: 'gone', flags: 1, bytesOut: 5, uploads: gone}])!.rows).toEqual([]);
	});

	it('hostile times: NaN is ignored, a far-future stamp is bounded and lands in the last bucket', () => {
		const g = new UploadGrid();
		let s = g.add(NO_SERIES, Number.NaN, 5);
		expect(s).toBe(NO_SERIES);
		expect(g.timeline([])).toBeUndefined();
		s = g.add(s, 1_700_000_000, 1);
		s = g.add(s, 9.2e18, 2);
		s = g.add(s, -1e18, 4);
		const t = g.timeline([{host: 'x', flags: 0, bytesOut: 7, uploads: s}])!;
		expect(Number.isFinite(t.bucketSeconds)).toBe(true);
		expect(t.rows[0]!.bytesOut.length).toBeLessThanOrEqual(TIMELINE_BUCKETS);
		expect(sum(t.rows[0]!.bytesOut)).toBe(7);
		// Before the start: the first bucket.
		expect(t.rows[0]!.bytesOut[0]).toBeGreaterThanOrEqual(4);
	});

	it('rows: flagged destinations first, then by bytes sent, at most TIMELINE_ROWS', () => {
		const g = new UploadGrid();
		const cands = Array.from({length: TIMELINE_ROWS + 10}, (_, i) => ({host: `h${i}`, flags: i === 45 ? 1 : 0, bytesOut: i + 1, uploads: g.add(NO_SERIES, 5 + i, i + 1)}));
		cands.push({host: 'silent', flags: 3, bytesOut: 0, uploads: NO_SERIES});
		const t = g.timeline(cands)!;
		expect(t.rows).toHaveLength(TIMELINE_ROWS);
		expect(t.rows[0]!.host).toBe('h45');
		expect(t.rows[1]!.host).toBe('h49');
		expect(t.rows.map((r) => r.host)).not.toContain('silent');
	});

	const {seed, numRuns} = fuzzOptions(200);
	it('any order of uploads: every bucket total is the bytes sent in it, whatever doublings happened', () => {
		fc.assert(
			fc.property(fc.array(fc.tuple(fc.double({min: 0, max: 1e6, noNaN: true}), fc.integer({min: 1, max: 1500}), fc.integer({min: 0, max: 3})), {minLength: 1, maxLength: 200}), (ups) => {
				const g = new UploadGrid();
				const series = [NO_SERIES, NO_SERIES, NO_SERIES, NO_SERIES];
				for (const [ts, bytes, d] of ups) series[d] = g.add(series[d], ts, bytes);
				const t = g.timeline(series.map((s, i) => ({host: `d${i}`, flags: 0, bytesOut: 1, uploads: s})))!;
				for (const r of t.rows) {
					const d = Number(r.host.slice(1));
					const mine = ups.filter(([, , x]) => x === d);
					expect(sum(r.bytesOut)).toBe(sum(mine.map(([, b]) => b)));
					// Each upload's bucket on the final grid holds at least its bytes.
					for (const [ts, bytes] of mine) {
						const i = Math.max(0, Math.min(TIMELINE_BUCKETS - 1, Math.floor((ts - t.start) / t.bucketSeconds)));
						expect(r.bytesOut[i]).toBeGreaterThanOrEqual(bytes);
					}
				}
			}),
			{seed, numRuns},
		);
	});
});
