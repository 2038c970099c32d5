/**
 * Bytes from files and streams, for the sources that parse them (capture, logcat, key log): a file
 * read whole, a file followed as it grows (`follow:PATH`), stdin (`-`), or any byte stream, each
 * as async iteration of chunks. The consumer's pace is the backpressure: nothing is read until it
 * asks for the next chunk. One set of rules for all of them:
 * - an abort (the signal) ends the iteration at once, even while a read or a poll is pending;
 * - a failure ends it by throwing a ByteSourceError whose message is one human clause;
 * - chunks are views into a ring of `ring` buffers: a chunk is overwritten once `ring` more have
 *   been read, so the consumer copies what it keeps past that.
 *
 * Also the stall clock the live sources use to say `stalled` (StallWatch).
 */
import {open, stat, type FileHandle} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';

/** `follow:PATH` names a file still being written. */
export const FOLLOW_PREFIX = 'follow:';

/** How often a followed file is checked for growth: 200 ms keeps the screen live at little cost. */
const FOLLOW_POLL_MS = 200;

/** Why a byte source stopped early; `message` is ready for the user (`cannot open: no such file`). */
export class ByteSourceError extends Error {
	constructor(
		message: string,
		/** The errno code, when the system gave one. */
		readonly code?: string,
	) {
		super(message);
		this.name = 'ByteSourceError';
	}
}

type ReadOptions = {
	/** Bytes per read. */
	chunkSize: number;
	/**
	 * Buffers read into in turn. 1: one buffer reused by every read, for consumers that copy what
	 * they keep before asking for the next chunk; more when views must outlive a few reads.
	 */
	ring: number;
	/** What the file should be, for messages: `capture file`, `logcat file`, `key log`. */
	kind: string;
	signal?: AbortSignal;
};

type FollowOptions = ReadOptions & {
	/** How often to look for growth (default FOLLOW_POLL_MS). */
	pollMs?: number;
	/** Stop after this long without growth (or without the file appearing); default: only on abort. */
	idleMs?: number;
	/**
	 * The file shrank (truncated in place, or replaced by a shorter one): called, then reading starts
	 * over from byte 0 (tail -F). Without it a shrink ends the iteration with an error, for formats
	 * that cannot pick up mid-stream (a capture's header is gone).
	 */
	onShrink?(): void;
};

type OpenBytesOptions = FollowOptions & {
	/** What `-` reads (default process.stdin); tests and wrappers pass their own. */
	stdin?: AsyncIterable<Uint8Array>;
};

/** A spec opened but not yet read: iterate `chunks()` once. */
export type ByteSource = {
	/** What messages call it: the path, or `stdin`. */
	readonly name: string;
	/** Chunks until the end, the abort, or the idle limit (follow); throws ByteSourceError. */
	chunks(): AsyncIterable<Uint8Array>;
};

/** The byte source a spec names: `-` (stdin), `follow:PATH`, or a file read whole. Opens nothing yet. */
export function openByteSource(spec: string, opts: OpenBytesOptions): ByteSource {
	if (spec === '-') return {name: 'stdin', chunks: () => readStream(opts.stdin ?? process.stdin, opts)};
	if (spec.startsWith(FOLLOW_PREFIX)) {
		const path = spec.slice(FOLLOW_PREFIX.length);
		return {name: path, chunks: () => followFile(path, opts)};
	}
	return {name: spec, chunks: () => readFile(spec, opts)};
}

/** Any byte stream (stdin, a socket), with the abort and error rules above. Chunks are the stream's own. */
export function readStream(source: AsyncIterable<Uint8Array>, opts: Pick<ReadOptions, 'kind' | 'signal'>): AsyncGenerator<Uint8Array> {
	return guarded(abortable(source, opts.signal), opts.kind);
}

/** A file from its start to its current end. */
export function readFile(path: string, opts: ReadOptions): AsyncGenerator<Uint8Array> {
	return guarded(abortable(readWhole(path, opts), opts.signal), opts.kind);
}

/** A file as it grows: waits for it to appear, polls for growth, stops on abort or when idle. */
export function followFile(path: string, opts: FollowOptions): AsyncGenerator<Uint8Array> {
	return guarded(abortable(readGrowing(path, opts), opts.signal), opts.kind);
}

/**
 * A file read ahead: the next read is under way while the consumer works on the current chunk
 * (a replay at full speed waited ~20% of its time for reads otherwise). The read ahead fills one
 * buffer more than the ring, so the last `ring` chunks handed out stay untouched.
 */
async function* readWhole(path: string, opts: ReadOptions): AsyncGenerator<Uint8Array> {
	const fh = await openFile(path);
	const next = chunkRing(opts.chunkSize, opts.ring + 1);
	const readInto = (buf: Uint8Array) => fh.read(buf, 0, buf.length, null).then(({bytesRead}) => (bytesRead < buf.length ? buf.subarray(0, bytesRead) : buf));
	let ahead: Promise<Uint8Array> | undefined;
	try {
		ahead = readInto(next());
		for (;;) {
			if (opts.signal?.aborted) return;
			const chunk = await ahead;
			ahead = undefined;
			if (chunk.length === 0) return;
			ahead = readInto(next());
			yield chunk;
		}
	} finally {
		// A read still under way finishes before the file is closed (its failure no longer matters).
		await ahead?.catch(() => undefined);
		await fh.close();
	}
}

async function* readGrowing(path: string, opts: FollowOptions): AsyncGenerator<Uint8Array> {
	const {signal, idleMs} = opts;
	const pollMs = opts.pollMs ?? FOLLOW_POLL_MS;
	let lastGrowth = Date.now();
	const idle = () => idleMs !== undefined && Date.now() - lastGrowth >= idleMs;
	let fh: FileHandle | undefined;
	while (!fh) {
		try {
			fh = await openFile(path);
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || idle()) throw err;
			if (!(await pause(pollMs, signal))) return;
		}
	}
	const next = chunkRing(opts.chunkSize, opts.ring);
	try {
		let position = 0;
		for (;;) {
			if (signal?.aborted) return;
			const buf = next();
			const {bytesRead} = await fh.read(buf, 0, buf.length, position);
			if (bytesRead > 0) {
				position += bytesRead;
				lastGrowth = Date.now();
				yield bytesRead < buf.length ? buf.subarray(0, bytesRead) : buf;
				continue;
			}
			next.unread();
			const {size} = await fh.stat();
			if (size < position) {
				if (!opts.onShrink) throw new Error(`file shrank from ${position} to ${size} bytes (truncated or replaced while followed)`);
				// Truncated in place (logcat -c, a rotating writer): read the new content from the start.
				position = 0;
				opts.onShrink();
				continue;
			}
			if (idle()) return;
			if (!(await pause(pollMs, signal))) return;
		}
	} finally {
		await fh.close();
	}
}

/**
 * The buffers a file is read into, in turn. Fresh buffers per read leave the garbage collector
 * hundreds of dead chunks to find (measured: 340 MB of 1 MiB chunks alive at the end of a
 * 600k-packet replay); a ring keeps them at `ring` chunks. Allocated lazily: a small file needs
 * one. `unread()` hands the last buffer out again when a read found nothing (a followed file at
 * its end), so polling does not advance the ring past chunks the consumer may still hold.
 */
function chunkRing(size: number, ring: number): (() => Uint8Array) & {unread(): void} {
	const buffers: Uint8Array[] = [];
	let n = 0;
	const next = () => {
		const i = n++ % ring;
		return (buffers[i] ??= freshChunk(size));
	};
	return Object.assign(next, {unread: () => void n--});
}

/**
 * A new chunk buffer. Not zeroed (allocUnsafeSlow: a zeroed 1 MiB costs page faults, measured
 * 1.5x slower reads) since only the bytes read are ever exposed; a plain Uint8Array view so that
 * slice() copies.
 */
function freshChunk(size: number): Uint8Array {
	const b = Buffer.allocUnsafeSlow(size);
	return new Uint8Array(b.buffer, b.byteOffset, size);
}

async function openFile(path: string): Promise<FileHandle> {
	// stat first: opening a directory succeeds on Linux and only the first read fails.
	const st = await stat(path);
	if (st.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), {code: 'EISDIR'});
	return open(path, 'r');
}

/** Iterates `source` until it ends or `signal` aborts, even while a read is pending. */
async function* abortable(source: AsyncIterable<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
	if (!signal) {
		yield* source;
		return;
	}
	if (signal.aborted) return;
	const it = source[Symbol.asyncIterator]();
	let onAbort: () => void = () => {};
	const aborted = new Promise<'aborted'>((resolve) => {
		onAbort = () => resolve('aborted');
		signal.addEventListener('abort', onAbort, {once: true});
	});
	let done = false;
	try {
		for (;;) {
			const next = await Promise.race([it.next(), aborted]);
			if (next === 'aborted') return;
			if (next.done) {
				done = true;
				return;
			}
			yield next.value;
		}
	} finally {
		signal.removeEventListener('abort', onAbort);
		if (!done) it.return?.()?.catch(() => {});
	}
}

/** Rethrows any failure of `source` as a ByteSourceError with a human message. */
async function* guarded(source: AsyncGenerator<Uint8Array>, kind: string): AsyncGenerator<Uint8Array> {
	try {
		yield* source;
	} catch (err) {
		const code = (err as NodeJS.ErrnoException | undefined)?.code;
		throw new ByteSourceError(ioMessage(err, kind), typeof code === 'string' ? code : undefined);
	}
}

const OPEN_MESSAGES: Record<string, string> = {
	ENOENT: 'cannot open: no such file',
	EACCES: 'cannot open: permission denied',
	EPERM: 'cannot open: operation not permitted',
	ENOTDIR: 'cannot open: a parent in the path is not a directory',
	EMFILE: 'cannot open: too many open files',
};

/**
 * One clause for a failure: the usual errno codes in words, `read failed: ...` for other system
 * errors, the message itself for the rest (a stream's own error, a shrunk file).
 */
export function ioMessage(err: unknown, kind: string): string {
	if (err instanceof ByteSourceError) return err.message;
	const code = (err as NodeJS.ErrnoException | undefined)?.code;
	if (code === 'EISDIR') return `cannot open: is a directory, not a ${kind}`;
	if (code && OPEN_MESSAGES[code]) return OPEN_MESSAGES[code]!;
	const message = err instanceof Error ? err.message : String(err);
	return code ? `read failed: ${message}` : message;
}

/** Waits `ms`; false when `signal` aborted first (or already had). */
export async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
	try {
		await sleep(ms, undefined, {signal});
		return true;
	} catch {
		return false;
	}
}

/**
 * Says when a live stream has gone quiet: `onStall` runs once `ms` pass after the last `touch()`.
 * The timer does not keep the process alive.
 */
export class StallWatch {
	private timer: NodeJS.Timeout | undefined;

	constructor(
		readonly ms: number,
		private readonly onStall: () => void,
	) {}

	/** Data arrived: the quiet time starts again. */
	touch(): void {
		clearTimeout(this.timer);
		this.timer = setTimeout(this.onStall, this.ms);
		this.timer.unref();
	}

	/** Quiet is expected from here (disconnected, stopped) until the next touch(). */
	stop(): void {
		clearTimeout(this.timer);
	}
}
