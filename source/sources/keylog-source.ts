/**
 * TLS key logs (NSS SSLKEYLOGFILE format) from a file read whole, or `follow:FILE` for one still
 * being written (friTap -k, an instrumented app, curl with SSLKEYLOGFILE). Text goes to the caller
 * in pieces as read; lines may be cut anywhere (the parser joins them). Parses nothing.
 */
import {readFileSync, statSync} from 'node:fs';
import {followFile, FOLLOW_PREFIX} from './byte-stream.js';

/**
 * Largest key log read whole. A line is ~170 bytes per secret, five per TLS 1.3 connection: 64 MiB
 * is ~75,000 connections; a bigger file is not a key log.
 */
const MAX_KEYLOG_BYTES = 64 * 1024 * 1024;

/** Bytes read per chunk while following. */
const FOLLOW_CHUNK = 64 * 1024;

export class KeyLogError extends Error {}

/** The file a --keylog spec names, and whether it is followed. */
export function keyLogPath(spec: string): {path: string; follow: boolean} {
	return spec.startsWith(FOLLOW_PREFIX) ? {path: spec.slice(FOLLOW_PREFIX.length), follow: true} : {path: spec, follow: false};
}

/** Reads a whole key log now (replay: keys known before the first packet). Throws KeyLogError with a clear message. */
export function readKeyLogFile(path: string): string {
	let size: number;
	try {
		const st = statSync(path);
		if (st.isDirectory()) throw new KeyLogError(`--keylog ${path}: a folder, not a key log`);
		size = st.size;
	} catch (error) {
		if (error instanceof KeyLogError) throw error;
		throw new KeyLogError(`--keylog ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
	}
	if (size > MAX_KEYLOG_BYTES) throw new KeyLogError(`--keylog ${path}: ${size} bytes is more than a key log holds (limit ${MAX_KEYLOG_BYTES})`);
	return readFileSync(path, 'utf8');
}

/**
 * Follows a key log as it grows (waits for it to appear), handing each piece of text to `onText`
 * until `signal` aborts. Resolves then; rejects with a ByteSourceError on an I/O error (the caller
 * reports it). A file that shrinks (the writer started a new log) is read again from its start.
 */
export async function followKeyLog(path: string, onText: (text: string) => void, opts: {signal?: AbortSignal; pollMs?: number} = {}): Promise<void> {
	const decoder = new TextDecoder('utf-8');
	let atLineStart = true;
	const emit = (text: string) => {
		if (!text) return;
		onText(text);
		atLineStart = text.endsWith('\n');
	};
	const chunks = followFile(path, {
		chunkSize: FOLLOW_CHUNK,
		// One buffer, reused: the decoder keeps its own copy of a split UTF-8 sequence.
		ring: 1,
		kind: 'key log',
		signal: opts.signal,
		pollMs: opts.pollMs,
		onShrink: () => {
			// End the old content's torn last line, so it does not join the new content's first.
			emit(decoder.decode());
			if (!atLineStart) emit('\n');
		},
	});
	for await (const chunk of chunks) emit(decoder.decode(chunk, {stream: true}));
	emit(decoder.decode());
}
