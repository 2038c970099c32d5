/**
 * Uploads over time, per destination, for the report's timeline: bytes sent in a fixed number of
 * buckets on one grid shared by the whole session. The grid's bucket width doubles whenever a
 * packet falls past its end, so a destination's series is the same few hundred bytes whether the
 * session lasts ten seconds or ten hours; a series made on a narrower grid is folded (pairs of
 * buckets summed) the next time it is touched. Plain mutable structures, O(1) amortised per packet.
 */
import type {UploadTimeline} from '../types.js';

/** Buckets per series: ~8 px a bucket across a 1,000 px chart, 512 bytes a destination (Float32). */
export const TIMELINE_BUCKETS = 128;
/** Width of a bucket before the first doubling: a 16 s capture gets the whole chart. */
export const FIRST_BUCKET_SECONDS = 0.125;
/**
 * Doublings allowed: 0.125 s * 2^48 spans ~1 million years, past any real capture; a hostile
 * timestamp (a pcapng if_tsoffset near 2^63) stops widening the grid here instead of looping.
 */
const MAX_LEVEL = 48;
/** Folding a series more times than log2(TIMELINE_BUCKETS) leaves it all in the first bucket. */
const MAX_FOLDS = Math.log2(TIMELINE_BUCKETS) + 1;
/** Rows a snapshot carries: flagged destinations first, then the biggest senders. */
export const TIMELINE_ROWS = 40;

/** One destination's bytes out per bucket, at the grid level it was last brought to. */
export type UploadSeries = {bins: Float32Array; level: number};


/** A destination as the row choice sees it. */
export type TimelineCandidate = {host: string; flags: number; bytesOut: number; uploads: UploadSeries | undefined};

/** The session's grid: where bucket 0 starts and how wide buckets are now. */
export class UploadGrid {
	/** Start of bucket 0 (the first upload's whole second); undefined until one is seen. */
	private start: number | undefined;
	/** Doublings so far: a bucket is FIRST_BUCKET_SECONDS * 2^level wide. */
	private level = 0;
	/** Highest bucket used, on the current level. */
	private last = 0;

	/** Bucket width in seconds. */
	get bucketSeconds(): number {
		return FIRST_BUCKET_SECONDS * 2 ** this.level;
	}

	/** Adds `bytes` sent at `ts` to a series (made on first use); returns it. A non-finite time is ignored. */
	add(series: UploadSeries | undefined, ts: number, bytes: number): UploadSeries | undefined {
		if (!Number.isFinite(ts)) return series;
		// The bucket first: it may widen the grid, and the series is then brought to the new width.
		const i = this.bucket(ts);
		const s = series ? this.current(series) : {bins: new Float32Array(TIMELINE_BUCKETS), level: this.level};
		s.bins[i]! += bytes;
		return s;
	}

	/** Moves `bytes` sent at `ts` from one series to another (a flow renamed to another destination). */
	move(from: UploadSeries | undefined, to: UploadSeries | undefined, ts: number, bytes: number): UploadSeries | undefined {
		if (bytes <= 0 || !Number.isFinite(ts)) return to;
		if (from) {
			const i = this.bucket(ts);
			const f = this.current(from);
			// The flow's bytes may have spread over buckets: take what this one holds, never below zero.
			f.bins[i] = Math.max(0, f.bins[i]! - bytes);
		}
		return this.add(to, ts, bytes);
	}

	/** Adds one series into another (an address folded into its name); returns the result. */
	merge(into: UploadSeries | undefined, from: UploadSeries | undefined): UploadSeries | undefined {
		if (!from) return into;
		if (!into) return this.current(from);
		const a = this.current(into);
		const b = this.current(from);
		for (let i = 0; i < TIMELINE_BUCKETS; i++) a.bins[i]! += b.bins[i]!;
		return a;
	}

	/** The snapshot's timeline: up to `max` rows, flagged destinations first, then by bytes sent. */
	timeline(candidates: TimelineCandidate[], max = TIMELINE_ROWS): UploadTimeline | undefined {
		if (this.start === undefined) return undefined;
		const used = this.last + 1;
		const rows = candidates
			.filter((c) => c.uploads !== undefined && c.bytesOut > 0)
			.sort((a, b) => Number(b.flags > 0) - Number(a.flags > 0) || b.bytesOut - a.bytesOut || a.host.localeCompare(b.host))
			.slice(0, max)
			.map((c) => ({host: c.host, bytesOut: Array.from(this.current(c.uploads!).bins.subarray(0, used), Math.round)}));
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

	/** The series brought to the grid's level: each level behind sums pairs of buckets. */
	private current(s: UploadSeries): UploadSeries {
		const behind = this.level - s.level;
		if (behind <= 0) return s;
		for (let n = 0; n < Math.min(behind, MAX_FOLDS); n++) {
			const b = s.bins;
			for (let j = 0; j < TIMELINE_BUCKETS / 2; j++) b[j] = b[2 * j]! + b[2 * j + 1]!;
			b.fill(0, TIMELINE_BUCKETS / 2);
		}
		s.level = this.level;
		return s;
	}
}
