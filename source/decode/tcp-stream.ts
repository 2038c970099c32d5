/**
 * One direction of a TCP connection as a byte stream, for a decoder that must read all of it (TLS
 * records to decrypt): in order, retransmissions and overlaps trimmed, early segments held a
 * while, and a hole that never fills recorded as a gap (the stream stops there: a record cut in
 * two cannot be decrypted, and guessing where the next one starts would be a guess). Each byte
 * range remembers the packets that carried it, so a decoded record names its evidence.
 */

/**
 * Early (out-of-order) segments held while waiting for the hole before them to fill. Loopback and
 * phone captures reorder a few segments; a hole that 64 later segments have not filled is a loss.
 */
export const TCP_STREAM_MAX_PENDING = 64;

/** Packet ranges remembered for bytes not yet consumed; a hostile 1-byte-segment flow merges ranges past this. */
const MAX_RANGES = 1024;

/** Packet indices returned per consumed span (a record's evidence). */
export const TCP_STREAM_MAX_EVIDENCE = 32;

type Pending = {seq: number; data: Uint8Array; index: number; ts: number};
/** Bytes up to stream offset `end` (exclusive) came in packet `index` at `ts`. */
type Range = {end: number; index: number; ts: number};

const EMPTY = new Uint8Array(0);

/** Storage kept across records: one full TLS record (16 KiB + 2 KiB) and a segment, rounded up. */
const KEEP_BUFFER_BYTES = 32 * 1024;

/** Signed distance a - b in 32-bit sequence space (wraps as TCP sequence numbers do). */
export function seqDiff(a: number, b: number): number {
	return (a - b) | 0;
}

/** Why a stream stopped. */
type StreamGap = {offset: number; missing: number; reason: string};

/** Bounded in-order byte stream of one TCP direction, with packet evidence per byte range. */
export class TcpStream {
	/** Set once bytes are missing for good; nothing more is appended after it. */
	gap: StreamGap | undefined;
	/** Bytes seen again (retransmissions, overlaps). */
	duplicateBytes = 0;
	private buf: Uint8Array = EMPTY;
	private start = 0;
	private end = 0;
	/** Stream offset of buf[start]. */
	private offset = 0;
	private nextSeq: number | undefined;
	private pending: Pending[] = [];
	private ranges: Range[] = [];

	/** @param cap most bytes buffered at once (unread plus held early) */
	constructor(readonly cap: number) {}

	/** Buffered in-order bytes (a view, valid until the next push/consume). */
	bytes(): Uint8Array {
		return this.buf.subarray(this.start, this.end);
	}

	get length(): number {
		return this.end - this.start;
	}

	/** Stream offset of the first buffered byte. */
	get position(): number {
		return this.offset;
	}

	/** Adds one segment (`seq`: sequence number of its first byte). */
	push(seq: number, data: Uint8Array, index: number, ts: number): void {
		if (this.gap || data.length === 0) return;
		if (this.nextSeq === undefined) this.nextSeq = seq;
		const off = seqDiff(seq, this.nextSeq);
		if (off > 0) {
			this.hold(seq, data, index, ts);
			return;
		}
		if (-off >= data.length) {
			this.duplicateBytes += data.length;
			return;
		}
		this.duplicateBytes += -off;
		this.append(data.subarray(-off), index, ts);
		this.drain();
	}

	/**
	 * Drops the first n buffered bytes (a record read) and returns the packets that carried them
	 * (first TCP_STREAM_MAX_EVIDENCE) and the time of the last one.
	 */
	consume(n: number): {packets: number[]; ts: number} {
		const k = Math.max(0, Math.min(n, this.end - this.start));
		const upTo = this.offset + k;
		const packets: number[] = [];
		let ts = 0;
		let drop = 0;
		// Ranges are in stream order; the first one ending after `offset` starts at or before it.
		for (const r of this.ranges) {
			if (r.end <= this.offset) {
				drop++;
				continue;
			}
			if (k === 0) break;
			if (packets.length < TCP_STREAM_MAX_EVIDENCE && packets[packets.length - 1] !== r.index) packets.push(r.index);
			ts = r.ts;
			if (r.end <= upTo) drop++;
			if (r.end >= upTo) break;
		}
		if (drop > 0) this.ranges.splice(0, drop);
		this.start += k;
		this.offset = upTo;
		if (this.start === this.end) {
			this.start = this.end = 0;
			// A busy connection refills at once: keep a buffer of a record's size (reallocating it
			// for every record was a tenth of a decrypting replay); give a bigger one back.
			if (this.buf.length > KEEP_BUFFER_BYTES) this.buf = EMPTY;
		}
		return {packets, ts};
	}

	/** End of input: segments still held behind a hole are a gap; the storage goes. */
	finish(): void {
		if (this.start === this.end) this.buf = EMPTY;
		if (!this.gap && this.pending.length > 0) this.stop('segments before a held one never arrived');
	}

	private stop(reason: string): void {
		const first = this.pending.reduce<Pending | undefined>((a, p) => (!a || seqDiff(p.seq, a.seq) < 0 ? p : a), undefined);
		const missing = first && this.nextSeq !== undefined ? Math.max(0, seqDiff(first.seq, this.nextSeq)) : 0;
		this.gap = {offset: this.offset + (this.end - this.start), missing, reason};
		this.pending = [];
	}

	private append(data: Uint8Array, index: number, ts: number): void {
		this.nextSeq = ((this.nextSeq ?? 0) + data.length) >>> 0;
		const used = this.end - this.start;
		if (used + data.length > this.cap) {
			this.gap = {offset: this.offset + used, missing: data.length, reason: `more than ${this.cap} bytes waiting to be read`};
			this.pending = [];
			return;
		}
		this.reserve(data.length);
		this.buf.set(data, this.end);
		this.end += data.length;
		const endOff = this.offset + (this.end - this.start);
		const last = this.ranges[this.ranges.length - 1];
		if (last && (last.index === index || this.ranges.length >= MAX_RANGES)) {
			last.end = endOff;
			last.ts = ts;
		} else this.ranges.push({end: endOff, index, ts});
	}

	private reserve(n: number): void {
		const used = this.end - this.start;
		if (this.end + n <= this.buf.length) return;
		if (used + n <= this.buf.length) {
			this.buf.copyWithin(0, this.start, this.end);
		} else {
			// A TLS stream needs a whole record (up to 18 KiB): start at 4 KiB and double.
			let size = Math.max(4096, this.buf.length);
			while (size < used + n) size *= 2;
			const next = new Uint8Array(size);
			next.set(this.buf.subarray(this.start, this.end));
			this.buf = next;
		}
		this.start = 0;
		this.end = used;
	}

	private hold(seq: number, data: Uint8Array, index: number, ts: number): void {
		const held = this.pending.reduce((n, p) => n + p.data.length, 0);
		if (this.pending.length >= TCP_STREAM_MAX_PENDING || held + data.length + this.length > this.cap) {
			this.pending.push({seq, data, index, ts});
			this.stop(`a hole before ${this.pending.length} later segments never filled`);
			return;
		}
		// Copy: the caller's view may point into a frame buffer that is reused.
		this.pending.push({seq, data: Uint8Array.prototype.slice.call(data), index, ts});
	}

	private drain(): void {
		// Each pass appends or discards one entry: at most TCP_STREAM_MAX_PENDING passes.
		for (let pass = 0; pass <= TCP_STREAM_MAX_PENDING && this.pending.length > 0 && !this.gap; pass++) {
			const i = this.pending.findIndex((p) => seqDiff(p.seq, this.nextSeq!) <= 0);
			if (i < 0) return;
			const p = this.pending.splice(i, 1)[0]!;
			const off = -seqDiff(p.seq, this.nextSeq!);
			if (off >= p.data.length) this.duplicateBytes += p.data.length;
			else {
				this.duplicateBytes += off;
				this.append(p.data.subarray(off), p.index, p.ts);
			}
		}
	}
}
