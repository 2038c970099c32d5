import {describe, expect, it} from 'vitest';
import {GONE_RING, NO_RING, RATE_SECONDS, RateRings} from '../../source/ingest/rate-rings.js';

describe('RateRings', () => {
	it('a ring is taken on the first byte, reads back per second, and forgets seconds that passed silently', () => {
		const r = new RateRings();
		const s = r.add(NO_RING, 100, 5);
		expect(s).toBeGreaterThanOrEqual(0);
		expect(r.add(s, 101, 7)).toBe(s);
		expect(r.series(s, 101, 101).slice(-3)).toEqual([0, 5, 7]);
		expect(r.series(s, 101, 101)).toHaveLength(RATE_SECONDS);
		// 40 s later: the whole ring was silent.
		r.advance(s, 101, 141);
		r.add(s, 141, 1);
		expect(r.series(s, 141, 141).reduce((a, b) => a + b, 0)).toBe(1);
	});

	it('a ring given back is handed out again zeroed; one gone never takes another', () => {
		const r = new RateRings();
		const a = r.add(NO_RING, 10, 100);
		const gone = r.release(a);
		expect(gone).toBe(GONE_RING);
		expect(r.add(gone, 11, 1)).toBe(GONE_RING);
		expect(r.inUse).toBe(0);
		const b = r.add(NO_RING, 20, 3);
		expect(b).toBe(a);
		expect(r.series(b, 20, 20).reduce((x, y) => x + y, 0)).toBe(3);
		expect(r.series(GONE_RING, 20, 20).every((x) => x === 0)).toBe(true);
	});

	it('rings in neighbouring slots and pages stay apart; a second before the epoch counts nowhere', () => {
		const r = new RateRings();
		const slots = Array.from({length: 600}, (_, i) => r.add(NO_RING, 1000, i));
		r.add(slots[1]!, -7, 99);
		r.advance(slots[2]!, -40, -1);
		for (const [i, s] of slots.entries()) expect(r.series(s, 1000, 1000).at(-1)).toBe(i);
		expect(r.inUse).toBe(600);
	});
});
