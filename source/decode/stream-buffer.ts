/**
 * Per-flow-direction TCP reassembly for the few bytes an application decoder needs (a TLS
 * ClientHello, an HTTP request head and the start of its body). Not a general TCP stack: it keeps
 * one contiguous run of bytes from the first data segment seen, holds a handful of early
 * (out-of-order) segments, and drops the rest, counting what it drops.
 */
import {seqDiff} from './tcp-stream.js';

/**
 * Default byte cap. 64 KiB holds any ClientHello seen in practice (Chrome with a post-quantum key
 * share is ~1.8 KiB, the corpus' "huge" ClientHello 11.4 KiB) while bounding memory per flow.
 */
const STREAM_BUFFER_DEFAULT_CAP = 64 * 1024;

/** Contributing packet indices kept; evidence needs a few, a hostile 1-byte-segment flow must not grow a list. */
export const STREAM_BUFFER_MAX_PACKETS = 32;

/** Early segments held while waiting for a gap to fill; captures reorder a few segments, not dozens. */
const STREAM_BUFFER_MAX_PENDING = 8;

/** First allocation; most requests and ClientHellos fit in one or two segments. */
const INITIAL_ALLOC = 2048;

/** Storage of an empty buffer, shared (zero length: nothing is ever written to it). */
const EMPTY = new Uint8Array(0);

/** Outcome of one `push`, for counters. */
type PushResult = 'appended' | 'duplicate' | 'pending' | 'dropped';

type Pending = {seq: number; data: Uint8Array; index: number};


/** Bounded in-order reassembly buffer for one direction of one TCP flow. */
export class StreamBuffer {
	/** Bytes refused: beyond the cap, too far ahead, or pending overflow. */
	droppedBytes = 0;
	/** Segments refused (any part). */
	droppedSegments = 0;
	/** Bytes seen again (retransmits and overlaps), not counted as dropped. */
	duplicateBytes = 0;
	/** Packet indices that contributed bytes (first STREAM_BUFFER_MAX_PACKETS). */
	readonly packets: number[] = [];

	private buf: Uint8Array = EMPTY;
	private start = 0;
	private end = 0;
	/** Sequence number of the byte after the last one appended; undefined until the first push. */
	private nextSeq: number | undefined;
	/** Bytes still to discard from the stream (see discard). */
	private toSkip = 0;
	private pending: Pending[] = [];

	/** @param cap most bytes held at once (buffered, not yet consumed) */
	constructor(readonly cap: number = STREAM_BUFFER_DEFAULT_CAP) {}

	/** Buffered bytes (a view; valid until the next push/consume). */
	bytes(): Uint8Array {
		return this.buf.subarray(this.start, this.end);
	}

	/** Number of buffered bytes. */
	get length(): number {
		return this.end - this.start;
	}

	/** True when the buffer holds `cap` bytes and can take no more. */
	get full(): boolean {
		return this.end - this.start >= this.cap;
	}

	/** Drop the first n buffered bytes (a parsed request, a record). */
	consume(n: number): void {
		const k = Math.max(0, Math.min(n, this.end - this.start));
		this.start += k;
		if (this.start === this.end) {
			this.start = this.end = 0;
			// An idle keep-alive connection waits with an empty buffer: give the storage back (a
			// replay held ~4,700 idle 2+ KiB buffers); the next segment allocates afresh.
			this.buf = EMPTY;
		}
	}

	/** Discard the next n stream bytes, buffered or still to come (e.g. a body beyond the cap). */
	discard(n: number): void {
		const have = this.end - this.start;
		if (n <= have) return this.consume(n);
		this.consume(have);
		this.toSkip += n - have;
	}

	/** Adds packet indices that carried bytes already pushed (a decrypted record spans several packets). */
	notePackets(indices: readonly number[]): void {
		for (const i of indices) {
			if (this.packets.length >= STREAM_BUFFER_MAX_PACKETS) return;
			if (!this.packets.includes(i)) this.packets.push(i);
		}
	}

	/** Add a TCP segment (seq = sequence number of its first byte). */
	push(seq: number, data: Uint8Array, index: number): PushResult {
		if (data.length === 0) return 'duplicate';
		if (this.nextSeq === undefined) this.nextSeq = seq;
		const off = seqDiff(seq, this.nextSeq);
		if (off > 0) return this.hold(seq, data, index);
		let view = data;
		if (off < 0) {
			const overlap = -off;
			if (overlap >= view.length) {
				this.duplicateBytes += view.length;
				return 'duplicate';
			}
			this.duplicateBytes += overlap;
			view = view.subarray(overlap);
		}
		const result = this.append(view, index);
		if (this.pending.length > 0) this.drainPending();
		return result;
	}

	private append(data: Uint8Array, index: number): PushResult {
		let view = data;
		this.nextSeq = ((this.nextSeq ?? 0) + view.length) >>> 0;
		if (this.toSkip > 0) {
			const k = Math.min(this.toSkip, view.length);
			this.toSkip -= k;
			view = view.subarray(k);
			if (view.length === 0) return 'appended';
		}
		const room = this.cap - (this.end - this.start);
		let result: PushResult = 'appended';
		if (view.length > room) {
			this.droppedBytes += view.length - room;
			this.droppedSegments++;
			view = view.subarray(0, room);
			result = 'dropped';
		}
		if (view.length === 0) return result;
		this.reserve(view.length);
		this.buf.set(view, this.end);
		this.end += view.length;
		if (this.packets.length < STREAM_BUFFER_MAX_PACKETS && this.packets[this.packets.length - 1] !== index) {
			this.packets.push(index);
		}
		return result;
	}

	private reserve(n: number): void {
		const used = this.end - this.start;
		if (this.end + n <= this.buf.length) return;
		if (used + n <= this.buf.length && this.start > 0) {
			this.buf.copyWithin(0, this.start, this.end);
		} else {
			let size = Math.max(INITIAL_ALLOC, this.buf.length);
			while (size < used + n) size *= 2;
			const next = new Uint8Array(Math.min(size, Math.max(this.cap, used + n)));
			next.set(this.buf.subarray(this.start, this.end));
			this.buf = next;
		}
		this.start = 0;
		this.end = used;
	}

	/** Keep an early segment if it could land inside the cap; otherwise count it as dropped. */
	private hold(seq: number, data: Uint8Array, index: number): PushResult {
		const ahead = seqDiff(seq, this.nextSeq ?? seq);
		const inWindow = ahead + (this.end - this.start) < this.cap;
		if (!inWindow || this.pending.length >= STREAM_BUFFER_MAX_PENDING) {
			this.droppedBytes += data.length;
			this.droppedSegments++;
			return 'dropped';
		}
		// Copy: the caller's view may point into a frame buffer that gets reused.
		this.pending.push({seq, data: Uint8Array.prototype.slice.call(data), index});
		return 'pending';
	}

	private drainPending(): void {
		// Each pass appends or discards at least one entry, so this ends within MAX_PENDING passes.
		let progressed = true;
		while (progressed && this.pending.length > 0) {
			progressed = false;
			for (let i = 0; i < this.pending.length; i++) {
				const p = this.pending[i]!;
				const off = seqDiff(p.seq, this.nextSeq ?? p.seq);
				if (off > 0) continue;
				this.pending.splice(i, 1);
				progressed = true;
				if (-off >= p.data.length) {
					this.duplicateBytes += p.data.length;
				} else {
					this.duplicateBytes += -off;
					this.append(p.data.subarray(-off), p.index);
				}
				break;
			}
		}
	}
}
