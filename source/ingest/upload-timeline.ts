/**
 * Uploads over time, per destination, for the report's timeline: bytes sent in a fixed number of
 * buckets on one grid shared by the whole session. The grid's bucket width doubles whenever a
 * packet falls past its end, so a destination's series is the same 384 bytes whether the session
 * lasts ten seconds or ten hours; a series made on a narrower grid is folded (pairs of buckets
 * summed) the next time it is touched. Series live in SeriesPages (series-pages.ts, pages of one
 * Float32Array each) and are named by their slot number: a typed array per destination cost 18 MB of RSS for 7 MB of data at
 * 14k destinations (an allocation and two heap objects each). O(1) amortised per packet.
 */
import type {UploadTimeline} from '../types.js';
import {SeriesPages} from './series-pages.js';

/**
 * Buckets per series (even: folding sums pairs): ~9 px a bucket across the report's 880-unit
 * chart, 384 bytes a destination (5.5 MB at the benchmark's 14k destinations that send).
 */
export const TIMELINE_BUCKETS = 96;
/** Width of a bucket before the first doubling: a 12 s capture gets the whole chart. */
export const FIRST_BUCKET_SECONDS = 0.125;
/**
 * Doublings allowed: 0.125 s * 2^48 spans ~1 million years, past any real capture; a hostile
 * timestamp (a pcapng if_tsoffset near 2^63) stops widening the grid here instead of looping.
 */
const MAX_LEVEL = 48;
/** Folding a series more times than log2(TIMELINE_BUCKETS) leaves it all in the first bucket. */
const MAX_FOLDS = Math.ceil(Math.log2(TIMELINE_BUCKETS));
/** Rows a snapshot carries: flagged destinations first, then the biggest senders. */
export const TIMELINE_ROWS = 40;
/** Series per page, as a shift: one 96 KB allocation for every 256 destinations that send. */
const PAGE_SHIFT = 8;
const PAGE_SERIES = 1 << PAGE_SHIFT;

/** A destination without a series yet (it gets one with its first upload). */
export const NO_SERIES = -1;
/** A destination whose series was given back (evicted, merged away): it never gets another. */
export const GONE_SERIES = -2;

/** A destination as the row choice sees it; `uploads` is its slot (or NO_SERIES). */
type TimelineCandidate = {host: string; flags: number; bytesOut: number; uploads: number};

/** The session's grid and the series on it. */
export class UploadGrid {
	/** Start of bucket 0 (the first upload's whole second); undefined until one is seen. */
	private start: number | undefined;
	/** Doublings so far: a bucket is FIRST_BUCKET_SECONDS * 2^level wide. */
	private level = 0;
	/** Highest bucket used, on the current level. */
	private last = 0;
	private readonly series = new SeriesPages(TIMELINE_BUCKETS, PAGE_SHIFT, (n) => new Float32Array(n));
	/** The grid level each slot's buckets are on. */
	private levels = new Uint8Array(PAGE_SERIES);

	/** Bucket width in seconds. */
	get bucketSeconds(): number {
		return FIRST_BUCKET_SECONDS * 2 ** this.level;
	}

	/** Series in use (for tests and the caps' accounting). */
	get inUse(): number {
		return this.series.inUse;
	}

	/** Adds `bytes` sent at `ts` to a slot (one is taken on first use); returns the slot. A non-finite time is ignored. */
	add(slot: number, ts: number, bytes: number): number {
		if (slot === GONE_SERIES || !Number.isFinite(ts)) return slot;
		// The bucket first: it may widen the grid, and the series is then brought to the new width.
		const i = this.bucket(ts);
		const s = slot === NO_SERIES ? this.take() : this.current(slot);
		this.series.page(s)[this.series.offset(s) + i]! += bytes;
		return s;
	}

	/** Moves `bytes` sent at `ts` from one slot to another (a flow renamed to another destination); returns the target's slot. */
	move(from: number, to: number, ts: number, bytes: number): number {
		if (bytes <= 0 || !Number.isFinite(ts)) return to;
		if (from >= 0) {
			const i = this.bucket(ts);
			const f = this.current(from);
			const page = this.series.page(f);
			const at = this.series.offset(f) + i;
			// The flow's bytes may have spread over buckets: take what this one holds, never below zero.
			page[at] = Math.max(0, page[at]! - bytes);
		}
		return this.add(to, ts, bytes);
	}

	/** Adds one series into another (an address folded into its name) and gives `from`'s slot back; returns the result's slot. */
	merge(into: number, from: number): number {
		if (from < 0) return into;
		if (into === GONE_SERIES) {
			this.release(from);
			return into;
		}
		if (into === NO_SERIES) return this.current(from);
		const a = this.current(into);
		const b = this.current(from);
		const pa = this.series.page(a);
		const pb = this.series.page(b);
		const oa = this.series.offset(a);
		const ob = this.series.offset(b);
		for (let i = 0; i < TIMELINE_BUCKETS; i++) pa[oa + i]! += pb[ob + i]!;
		this.release(b);
		return a;
	}

	/** Gives a slot back (its destination is gone); returns GONE_SERIES for the owner to keep. */
	release(slot: number): number {
		if (slot >= 0) this.series.release(slot);
		return GONE_SERIES;
	}

	/** The snapshot's timeline: up to `max` rows, flagged destinations first, then by bytes sent. */
	timeline(candidates: TimelineCandidate[], max = TIMELINE_ROWS): UploadTimeline | undefined {
		if (this.start === undefined) return undefined;
		const used = this.last + 1;
		const rows = candidates
			.filter((c) => c.uploads >= 0 && c.bytesOut > 0)
			.sort((a, b) => Number(b.flags > 0) - Number(a.flags > 0) || b.bytesOut - a.bytesOut || a.host.localeCompare(b.host))
			.slice(0, max)
			.map((c) => {
				const s = this.current(c.uploads);
				const off = this.series.offset(s);
				return {host: c.host, bytesOut: Array.from(this.series.page(s).subarray(off, off + used), Math.round)};
			});
		return {start: this.start, bucketSeconds: this.bucketSeconds, rows};
	}

	/** Bucket of `ts`, widening the grid until it fits; times before the start go to bucket 0. */
	private bucket(ts: number): number {
		this.start ??= Math.floor(ts);
		let i = Math.floor((ts - this.start) / this.bucketSeconds);
		while (i >= TIMELINE_BUCKETS && this.level < MAX_LEVEL) {
			this.level++;
			this.last >>= 1;
			i = Math.floor((ts - this.start) / this.bucketSeconds);
		}
		i = Math.max(0, Math.min(i, TIMELINE_BUCKETS - 1));
		if (i > this.last) this.last = i;
		return i;
	}

	/** A fresh zeroed slot on the current level. */
	private take(): number {
		const s = this.series.take();
		if (s >= this.levels.length) {
			const grown = new Uint8Array(this.levels.length * 2);
			grown.set(this.levels);
			this.levels = grown;
		}
		this.levels[s] = this.level;
		return s;
	}

	/** The slot brought to the grid's level: each level behind sums pairs of buckets. */
	private current(s: number): number {
		const behind = this.level - this.levels[s]!;
		if (behind <= 0) return s;
		const b = this.series.page(s);
		const off = this.series.offset(s);
		for (let n = 0; n < Math.min(behind, MAX_FOLDS); n++) {
			for (let j = 0; j < TIMELINE_BUCKETS / 2; j++) b[off + j] = b[off + 2 * j]! + b[off + 2 * j + 1]!;
			b.fill(0, off + TIMELINE_BUCKETS / 2, off + TIMELINE_BUCKETS);
		}
		this.levels[s] = this.level;
		return s;
	}
}
