/**
 * Stitching restarted adb streams into one: a resumed `logcat -T <last time>` repeats the
 * lines at that time (and the `--------- beginning of` banners), and a restarted
 * `tcpdump -w -` starts with a new pcap header. These helpers drop the repeats so consumers see
 * one continuous log and one continuous capture file. Pure: no I/O, no clock.
 */

/** Lines remembered at the latest timestamp, to drop their repeats after a resume. */
const MAX_LINES_AT_LAST_TIME = 256;
/** Longest partial line carried between chunks while filtering; longer means no newline is coming. */
const MAX_PARTIAL_LINE = 64 * 1024;

const EPOCH_PREFIX = /^\s*(\d{1,12})\.(\d{1,9}) /;

/** The sortable key of an epoch time prefix (`  1717000000.123 ...`), or undefined. */
export function epochKey(line: string): string | undefined {
	const m = EPOCH_PREFIX.exec(line);
	return m ? `${m[1]!.padStart(12, '0')}.${m[2]!.padEnd(9, '0')}` : undefined;
}

/** Epoch seconds of a key from {@link epochKey}. */
function keySeconds(key: string): number {
	return Number(key);
}

/**
 * Tracks the latest logcat time seen and, after {@link beginResume}, drops lines the resumed
 * stream repeats (older than, or equal to and already seen at, the latest time).
 */
export class LogcatStitcher {
	private lastKey: string | undefined;
	private atLast = new Set<string>();
	private partial = '';
	private filtering = false;
	private readonly decoder = new TextDecoder();
	private readonly encoder = new TextEncoder();

	/** Epoch seconds of the latest line seen, for `logcat -T`. */
	get lastSeconds(): number | undefined {
		return this.lastKey === undefined ? undefined : keySeconds(this.lastKey);
	}

	/** Call when a new logcat stream starts after a break. */
	beginResume(): void {
		this.partial = '';
		this.filtering = this.lastKey !== undefined;
	}

	/** Passes a chunk through; returns the bytes to deliver (possibly empty). */
	push(chunk: Uint8Array): Uint8Array {
		const text = this.partial + this.decoder.decode(chunk, {stream: true});
		const end = text.lastIndexOf('\n');
		const complete = end >= 0 ? text.slice(0, end + 1) : '';
		const rest = end >= 0 ? text.slice(end + 1) : text;
		if (!this.filtering) {
			this.partial = rest.length > MAX_PARTIAL_LINE ? '' : rest;
			this.track(complete);
			return chunk;
		}
		let out = '';
		for (const line of complete.split('\n').slice(0, -1)) {
			if (this.filtering && this.isRepeat(line)) continue;
			this.filtering = false;
			out += `${line}\n`;
			this.note(line);
		}
		if (this.filtering) {
			this.partial = rest.length > MAX_PARTIAL_LINE ? '' : rest;
			return this.encoder.encode(out);
		}
		// Filtering is over: the partial line goes out with this chunk, as raw bytes would.
		this.partial = rest;
		return this.encoder.encode(out + rest);
	}

	private isRepeat(line: string): boolean {
		const key = epochKey(line);
		if (key === undefined) return true;
		if (key < this.lastKey!) return true;
		return key === this.lastKey && this.atLast.has(line);
	}

	private track(complete: string): void {
		if (!complete) return;
		for (const line of complete.split('\n').slice(0, -1)) this.note(line);
	}

	private note(line: string): void {
		const key = epochKey(line);
		if (key === undefined) return;
		if (this.lastKey === undefined || key > this.lastKey) {
			this.lastKey = key;
			this.atLast = new Set();
		}
		if (key === this.lastKey && this.atLast.size < MAX_LINES_AT_LAST_TIME) this.atLast.add(line);
	}
}

/** Size of a classic pcap global header. */
const PCAP_HEADER = 24;

/**
 * Joins restarted `tcpdump -w -` streams: the header of a new stream is dropped when it equals
 * the first stream's (same format, link type, snaplen), so the bytes stay one valid pcap.
 * A different header (or pcapng) cannot be joined: `push` reports `restart`.
 */
export class PcapStitcher {
	private first: Uint8Array | undefined;
	private head: Uint8Array | undefined = new Uint8Array(0);

	/** Call when a new tcpdump stream starts. */
	beginStream(): void {
		this.head = new Uint8Array(0);
	}

	/** Returns the bytes to deliver, and whether a new, unjoinable capture starts with them. */
	push(chunk: Uint8Array): {bytes: Uint8Array; restart: boolean} {
		if (this.head === undefined) return {bytes: chunk, restart: false};
		const joined = new Uint8Array(this.head.length + chunk.length);
		joined.set(this.head);
		joined.set(chunk, this.head.length);
		if (joined.length < PCAP_HEADER) {
			this.head = joined;
			return {bytes: new Uint8Array(0), restart: false};
		}
		this.head = undefined;
		const header = joined.subarray(0, PCAP_HEADER);
		const pcapng = header[0] === 0x0a && header[1] === 0x0d && header[2] === 0x0d && header[3] === 0x0a;
		if (!this.first) {
			this.first = header.slice();
			return {bytes: joined, restart: false};
		}
		if (!pcapng && sameBytes(header, this.first)) return {bytes: joined.subarray(PCAP_HEADER), restart: false};
		this.first = header.slice();
		return {bytes: joined, restart: true};
	}
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
	return true;
}
