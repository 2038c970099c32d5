/**
 * Capture input: a file, stdin, a file still being written (`follow:PATH`), or any byte stream
 * (adb exec-out, sockets), read in chunks and parsed by CaptureParser.
 *
 * Iterating a CaptureStream yields one batch of packets per chunk read, so a consumer that awaits
 * its work between batches gives backpressure, and memory stays flat whatever the file size: only
 * the chunk being parsed (and whatever the consumer keeps) is alive. Packet data are views into
 * the chunk: copy what you keep past the batch (see capture-reader.ts). Files are read into a
 * ring of CHUNK_RING buffers: a packet's data is overwritten once CHUNK_RING - 1 more batches
 * have been handed out.
 *
 * Problems never throw at the pipeline: they end the iteration and show in `error`.
 */
import {open, stat, type FileHandle} from 'node:fs/promises';
import {setTimeout as sleep} from 'node:timers/promises';
import type {RawPacket} from '../types.js';
import {CaptureParser, type CaptureError, type CaptureFormat, type CaptureSecrets} from './capture-reader.js';

export type {CaptureError, CaptureFormat, CaptureSecrets} from './capture-reader.js';

/**
 * Bytes read per chunk: 1 MiB amortises the per-read and per-batch costs (a few thousand
 * packets a batch) while keeping the live set small and giving a batch every few ms.
 */
export const CAPTURE_CHUNK_SIZE = 1024 * 1024;

/**
 * Chunk buffers a file is read into, in turn. Fresh buffers per read leave the garbage collector
 * hundreds of dead 1 MiB chunks to find (measured: 340 MB of them alive at the end of a 600k-packet
 * replay); a ring keeps the chunks at 4 MiB. 4, not 2: a consumer may hold one batch while the
 * next is parsed, and one more is margin.
 */
export const CHUNK_RING = 4;

/** How often a followed file is checked for growth: 200 ms keeps the screen live at little cost. */
export const FOLLOW_POLL_MS = 200;

/**
 * Total bytes of decryption secrets kept per stream: a real key log is a few KB per connection;
 * 16 MiB bounds a hostile file full of secrets blocks.
 */
export const MAX_SECRETS_BYTES = 16 * 1024 * 1024;

export type CaptureStream = AsyncIterable<RawPacket[]> & {
	readonly format: CaptureFormat | undefined;
	readonly error: CaptureError | undefined;
	readonly packets: number;
	readonly bytesRead: number;
	readonly name: string;
};

export type OpenCaptureOptions = {
	signal?: AbortSignal;
	/** follow: stop after this long without growth (default: only on abort). */
	followIdleMs?: number;
	followPollMs?: number;
	chunkSize?: number;
	/** What `-` reads (default process.stdin); tests and wrappers pass their own. */
	stdin?: AsyncIterable<Uint8Array>;
	/** pcapng Custom Blocks (e.g. PCAPdroid's app table); data is a view, copy to keep. */
	onCustomBlock?(pen: number, data: Uint8Array): void;
	/** pcapng Decryption Secrets Blocks (TLS key logs), a copy each, up to MAX_SECRETS_BYTES per stream. */
	onSecrets?(s: CaptureSecrets): void;
	/** The capture's format once known (pcapng: keys may come in secrets blocks). */
	onFormat?(format: CaptureFormat): void;
	/** Every chunk read, before it is parsed (recording a bundle); a view, write or copy it at once. */
	tap?(chunk: Uint8Array): void;
};

export type StreamCaptureOptions = Pick<OpenCaptureOptions, 'signal' | 'onCustomBlock' | 'onSecrets' | 'onFormat' | 'tap'>;

const FOLLOW_PREFIX = 'follow:';

/** Opens a capture from a path, `-` (stdin) or `follow:PATH`; never throws, errors land in `error`. */
export function openCapture(spec: string, opts: OpenCaptureOptions = {}): CaptureStream {
	const chunkSize = opts.chunkSize ?? CAPTURE_CHUNK_SIZE;
	if (spec === '-') return new StreamImpl('stdin', () => opts.stdin ?? process.stdin, opts);
	if (spec.startsWith(FOLLOW_PREFIX)) {
		const path = spec.slice(FOLLOW_PREFIX.length);
		const poll = opts.followPollMs ?? FOLLOW_POLL_MS;
		return new StreamImpl(path, () => followFile(path, chunkSize, poll, opts.followIdleMs, opts.signal), opts);
	}
	return new StreamImpl(spec, () => readFile(spec, chunkSize, opts.signal), opts);
}

/** Reads a capture from any byte stream (adb exec-out, a socket): same batches, same errors. */
export function openCaptureFromStream(name: string, readable: AsyncIterable<Uint8Array>, opts: StreamCaptureOptions = {}): CaptureStream {
	return new StreamImpl(name, () => readable, opts);
}

/** One human line for an error: `tattle: FILE: byte OFFSET: what was wrong`. */
export function describeCaptureError(name: string, err: CaptureError): string {
	if (err.io && err.offset === 0) return `tattle: ${name}: ${err.message}`;
	return `tattle: ${name}: byte ${err.offset}: ${err.message}`;
}

class StreamImpl implements CaptureStream {
	private readonly parser: CaptureParser;
	private batch: RawPacket[] = [];
	private ioError: CaptureError | undefined;
	private read = 0;
	private secretsBytes = 0;
	private started = false;

	constructor(
		readonly name: string,
		private readonly source: () => AsyncIterable<Uint8Array>,
		private readonly opts: StreamCaptureOptions,
	) {
		this.parser = new CaptureParser((p) => this.batch.push(p), {
			onSecrets: (s) => {
				if (this.secretsBytes + s.data.length > MAX_SECRETS_BYTES) return;
				this.secretsBytes += s.data.length;
				opts.onSecrets?.(s);
			},
			onCustomBlock: opts.onCustomBlock,
			onFormat: opts.onFormat,
		});
	}

	get format(): CaptureFormat | undefined {
		return this.parser.format;
	}

	get error(): CaptureError | undefined {
		return this.ioError ?? this.parser.error;
	}

	get packets(): number {
		return this.parser.packets;
	}

	get bytesRead(): number {
		return this.read;
	}

	async *[Symbol.asyncIterator](): AsyncIterator<RawPacket[]> {
		if (this.started) throw new Error(`capture ${this.name} can be iterated only once`);
		this.started = true;
		const signal = this.opts.signal;
		let aborted = false;
		try {
			for await (const raw of abortable(this.source(), signal)) {
				// A plain Uint8Array view of a Buffer (no copy), so packet data behave as the type says:
				// Buffer's slice() would return a view where consumers expect a copy.
				const chunk = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
				this.read += chunk.length;
				this.opts.tap?.(chunk);
				this.parser.push(chunk);
				if (this.batch.length > 0) {
					const out = this.batch;
					this.batch = [];
					yield out;
				}
				if (this.parser.error) return;
			}
			aborted = signal?.aborted ?? false;
		} catch (err) {
			this.ioError = {offset: this.read, message: ioMessage(err), fatal: this.read === 0, io: true};
			return;
		}
		// An abort cuts a followed file or a stream anywhere: a half record then is not damage.
		if (!aborted) this.parser.end();
	}
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
	const abortedPromise = new Promise<'aborted'>((resolve) => {
		onAbort = () => resolve('aborted');
		signal.addEventListener('abort', onAbort, {once: true});
	});
	let done = false;
	try {
		for (;;) {
			const next = await Promise.race([it.next(), abortedPromise]);
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

async function* readFile(path: string, chunkSize: number, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
	const fh = await openFile(path);
	const ring: Uint8Array[] = [];
	try {
		for (let n = 0; ; n++) {
			if (signal?.aborted) return;
			// Allocated lazily: a small file needs one chunk, not CHUNK_RING.
			const buf = n < CHUNK_RING ? (ring[n] = freshChunk(chunkSize)) : ring[n % CHUNK_RING]!;
			const {bytesRead} = await fh.read(buf, 0, chunkSize, null);
			if (bytesRead === 0) return;
			yield bytesRead < chunkSize ? buf.subarray(0, bytesRead) : buf;
		}
	} finally {
		await fh.close();
	}
}

/** Reads a file as it grows; waits for it to appear; stops on abort or after idleMs without growth. */
export async function* followFile(
	path: string,
	chunkSize: number,
	pollMs: number,
	idleMs: number | undefined,
	signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
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
	try {
		let position = 0;
		for (;;) {
			if (signal?.aborted) return;
			const buf = freshChunk(chunkSize);
			const {bytesRead} = await fh.read(buf, 0, chunkSize, position);
			if (bytesRead > 0) {
				position += bytesRead;
				lastGrowth = Date.now();
				yield bytesRead < chunkSize ? buf.subarray(0, bytesRead) : buf;
				continue;
			}
			const {size} = await fh.stat();
			if (size < position) throw new Error(`file shrank from ${position} to ${size} bytes (truncated or replaced while followed)`);
			if (idle()) return;
			if (!(await pause(pollMs, signal))) return;
		}
	} finally {
		await fh.close();
	}
}

/**
 * A new chunk buffer (for the read ring, or fresh per read where the source decides). Not zeroed
 * (allocUnsafeSlow: a zeroed 1 MiB costs page faults, measured 1.5x slower reads) since only the
 * bytes read are ever exposed; a plain Uint8Array view so that slice() copies.
 */
function freshChunk(size: number): Uint8Array {
	const b = Buffer.allocUnsafeSlow(size);
	return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** Waits `ms`; false when aborted meanwhile. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
	try {
		await sleep(ms, undefined, {signal});
		return true;
	} catch {
		return false;
	}
}

async function openFile(path: string): Promise<FileHandle> {
	// stat first: opening a directory succeeds on Linux and only the first read fails.
	const st = await stat(path);
	if (st.isDirectory()) throw Object.assign(new Error(`${path} is a directory`), {code: 'EISDIR'});
	return open(path, 'r');
}

const IO_MESSAGES: Record<string, string> = {
	ENOENT: 'cannot open: no such file',
	EACCES: 'cannot open: permission denied',
	EPERM: 'cannot open: operation not permitted',
	EISDIR: 'cannot open: is a directory, not a capture file',
	ENOTDIR: 'cannot open: a parent in the path is not a directory',
	EMFILE: 'cannot open: too many open files',
};

function ioMessage(err: unknown): string {
	const code = (err as NodeJS.ErrnoException | undefined)?.code;
	if (code && IO_MESSAGES[code]) return IO_MESSAGES[code]!;
	const message = err instanceof Error ? err.message : String(err);
	return code ? `read failed: ${message}` : message;
}
