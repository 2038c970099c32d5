import {describe, expect, it} from 'vitest';
import {SeriesPages} from '../../source/ingest/series-pages.js';

describe('SeriesPages', () => {
	it('hands out slots in order across pages, given-back ones first and zeroed', () => {
		const p = new SeriesPages(3, 1, (n) => new Float64Array(n));
		const slots = [p.take(), p.take(), p.take()];
		expect(slots).toEqual([0, 1, 2]);
		expect(p.page(2)).not.toBe(p.page(1));
		expect(p.offset(1)).toBe(3);
		p.page(1).fill(7, p.offset(1), p.offset(1) + 3);
		p.release(1);
		expect(p.inUse).toBe(2);
		expect(p.take()).toBe(1);
		expect([...p.page(1).subarray(3, 6)]).toEqual([0, 0, 0]);
		expect(p.take()).toBe(3);
		expect(p.inUse).toBe(4);
	});
});
