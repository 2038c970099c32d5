/**
 * Outbound bytes per second per destination, for the destinations panel's sparkline: a ring of
 * RATE_SECONDS seconds per destination, indexed by epoch second. Rings live in SeriesPages
 * (series-pages.ts), named by slot, like the upload grid's series: a Float64Array per
 * destination was an allocation, an ArrayBuffer and a backing store each, and a flood of new
 * destinations made a million of them (~15% of its CPU, ~60 MB of its peak RSS). A slot is taken
 * on a destination's first outbound byte and given back when the destination leaves the table.
 */

import {SeriesPages} from './series-pages.js';

/** Seconds of per-destination outbound rate kept for the sparkline. */
export const RATE_SECONDS = 30;
/** A destination without a ring yet (it gets one with its first outbound byte). */
export const NO_RING = -1;
/** A destination whose ring was given back (it left the table): it never gets another. */
export const GONE_RING = -2;
/** Rings per page, as a shift: one 60 KB allocation for every 256 destinations that send. */
const PAGE_SHIFT = 8;

export class RateRings {
	private readonly rings = new SeriesPages(RATE_SECONDS, PAGE_SHIFT, (n) => new Float64Array(n));

	/** Rings in use (for tests). */
	get inUse(): number {
		return this.rings.inUse;
	}

	/**
	 * Adds `bytes` sent in second `sec` to a ring (one is taken when `slot` is NO_RING); returns
	 * the slot. A second before the epoch (or not a number) counts nowhere, as a typed array
	 * indexed by it would.
	 */
	add(slot: number, sec: number, bytes: number): number {
		if (slot === GONE_RING) return slot;
		const s = slot === NO_RING ? this.rings.take() : slot;
		const i = sec % RATE_SECONDS;
		if (i >= 0) this.rings.page(s)[this.rings.offset(s) + i]! += bytes;
		return s;
	}

	/** Zeroes the seconds after `fromSec` up to `toSec` (at most a whole ring): they passed silently. */
	advance(slot: number, fromSec: number, toSec: number): void {
		if (slot < 0) return;
		const page = this.rings.page(slot);
		const off = this.rings.offset(slot);
		const clear = Math.min(toSec - fromSec, RATE_SECONDS);
		for (let i = 1; i <= clear; i++) {
			const at = (fromSec + i) % RATE_SECONDS;
			if (at >= 0) page[off + at] = 0;
		}
	}

	/** The RATE_SECONDS seconds ending at `nowSec`, oldest first, of a ring last advanced to `lastSec`. */
	series(slot: number, lastSec: number, nowSec: number): number[] {
		const out: number[] = [];
		const page = slot < 0 ? undefined : this.rings.page(slot);
		const off = slot < 0 ? 0 : this.rings.offset(slot);
		for (let s = nowSec - RATE_SECONDS + 1; s <= nowSec; s++) {
			out.push(!page || s > lastSec || s <= lastSec - RATE_SECONDS ? 0 : page[off + (((s % RATE_SECONDS) + RATE_SECONDS) % RATE_SECONDS)]!);
		}
		return out;
	}

	/** Gives a ring back (its destination is gone); returns GONE_RING for the owner to keep. */
	release(slot: number): number {
		if (slot >= 0) this.rings.release(slot);
		return GONE_RING;
	}
}
