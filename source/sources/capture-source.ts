/**
 * Capture input: a file, stdin (`-`, or any byte stream handed in as `stdin`), or a file still
 * being written (`follow:PATH`), read in chunks by byte-stream.ts and parsed by CaptureParser.
 *
 * Iterating a CaptureStream yields one batch of packets per chunk read, so a consumer that awaits
 * its work between batches gives backpressure, and memory stays flat whatever the file size: only
 * the chunk being parsed (and whatever the consumer keeps) is alive. Packet data are views into
 * the chunk: copy what you keep past the batch (see capture-reader.ts). Files (read whole or
 * followed) are read into a ring of CHUNK_RING buffers: a packet's data is overwritten once
 * CHUNK_RING - 1 more batches have been handed out. Reading itself is byte-stream.ts.
 *
 * Problems never throw at the pipeline: they end the iteration and show in `error`.
 */
import type {RawPacket} from '../types.js';
import {ioMessage, openByteSource, type ByteSource} from './byte-stream.js';
import {CaptureParser, type CaptureError, type CaptureFormat, type CaptureSecrets} from './capture-reader.js';

export type {CaptureFormat, CaptureSecrets} from './capture-reader.js';

/**
 * Bytes read per chunk: 1 MiB amortises the per-read and per-batch costs (a few thousand
 * packets a batch) while keeping the live set small and giving a batch every few ms.
 */
export const CAPTURE_CHUNK_SIZE = 1024 * 1024;

/**
 * Chunk buffers a file is read into, in turn (see byte-stream.ts): 4 MiB of chunks at most. 4,
 * not 2: a consumer may hold one batch while the next is parsed, and one more is margin.
 */
const CHUNK_RING = 4;

/**
 * Total bytes of decryption secrets kept per stream: a real key log is a few KB per connection;
 * 16 MiB bounds a hostile file full of secrets blocks.
 */
export const MAX_SECRETS_BYTES = 16 * 1024 * 1024;

/** What messages say a capture input should have been (`is a directory, not a capture file`). */
const KIND = 'capture file';

export type CaptureStream = AsyncIterable<RawPacket[]> & {
	readonly format: CaptureFormat | undefined;
	readonly error: CaptureError | undefined;
	readonly packets: number;
	readonly bytesRead: number;
	readonly name: string;
};

type OpenCaptureOptions = {
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

/**
 * Opens a capture from a path, `-` (stdin, or `opts.stdin`: any byte stream) or `follow:PATH`;
 * never throws, errors land in `error`. A followed file that shrinks is an error: a capture cannot
 * be picked up without its header.
 */
export function openCapture(spec: string, opts: OpenCaptureOptions = {}): CaptureStream {
	const source = openByteSource(spec, {
		chunkSize: opts.chunkSize ?? CAPTURE_CHUNK_SIZE,
		ring: CHUNK_RING,
		kind: KIND,
		signal: opts.signal,
		stdin: opts.stdin,
		pollMs: opts.followPollMs,
		idleMs: opts.followIdleMs,
	});
	return new StreamImpl(source, opts);
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

	readonly name: string;

	constructor(
		private readonly source: ByteSource,
		private readonly opts: OpenCaptureOptions,
	) {
		this.name = source.name;
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
			for await (const raw of this.source.chunks()) {
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
			this.ioError = {offset: this.read, message: ioMessage(err, KIND), fatal: this.read === 0, io: true};
			return;
		}
		// An abort cuts a followed file or a stream anywhere: a half record then is not damage.
		if (!aborted) this.parser.end();
	}
}
