/**
 * HTTP/2 request decoding (RFC 9113) from the client->server byte stream of one connection, e.g.
 * decrypted TLS: frames, header blocks through HPACK, and the first bytes of each request body.
 * Responses are not decoded. Bytes in, values out; hostile input sets `error` or a counter and
 * never throws. Memory is bounded by the caps below whatever the frame lengths say: DATA is
 * streamed, only header blocks are buffered.
 *
 * Over 300 lines because frames, stream state and the HPACK hand-off are one connection state
 * machine, each cap with its reason.
 */
import {HPACK_MAX_TABLE_SIZE, HpackDecoder} from './hpack.js';
import {HTTP_BODY_CAP, headerValue, parseContentLength, visibleControls} from './http.js';

/** The client connection preface (RFC 9113 3.4). */
export const HTTP2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/**
 * Header block cap (HEADERS + CONTINUATION fragments). HTTP/1 heads are kept up to 32 KiB
 * (HTTP_HEAD_CAP), more than servers accept; an HPACK block is smaller than the list it codes, so
 * 64 KiB holds every block a server would take.
 */
export const HTTP2_HEADER_BLOCK_CAP = 64 * 1024;

/** Open streams tracked at once by default: nginx's default SETTINGS_MAX_CONCURRENT_STREAMS is 128, most CDNs say 100. */
const HTTP2_MAX_STREAMS = 128;

const PREFACE = Uint8Array.from(HTTP2_PREFACE, (c) => c.charCodeAt(0));
const FRAME_HEADER = 9;

/** Frame types (RFC 9113 6). */
const FRAME = {DATA: 0x0, HEADERS: 0x1, PRIORITY: 0x2, RST_STREAM: 0x3, SETTINGS: 0x4, PUSH_PROMISE: 0x5, PING: 0x6, GOAWAY: 0x7, WINDOW_UPDATE: 0x8, CONTINUATION: 0x9} as const;
const {DATA, HEADERS, RST_STREAM, PUSH_PROMISE, CONTINUATION} = FRAME;
const FRAME_NAMES = new Map<number, string>(Object.entries(FRAME).map(([name, type]) => [type, name]));

const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY_FLAG = 0x20;

/** Shared empty body (never written). */
const EMPTY = new Uint8Array(0);

export type H2Request = {
	streamId: number;
	/** From :method ('' if missing). */
	method: string;
	/** :authority, else the host header. */
	authority?: string;
	scheme?: string;
	/** From :path ('' if missing). */
	path: string;
	/** Regular (non-pseudo) header fields in order. */
	headers: Array<[string, string]>;
	/** First maxBody bytes of the DATA payload (padding removed); a copy. */
	body: Uint8Array;
	/** content-length if given, else DATA bytes seen. */
	bodyBytes: number;
	/** END_STREAM seen. */
	complete: boolean;
	/** Offsets in the client byte stream (counted from the first byte pushed, preface included) of the first byte of the request's HEADERS frame and the byte after its last frame seen: the caller maps these to packet numbers. */
	startOffset: number;
	endOffset: number;
};

/** A request whose headers were seen and that has not finished. */
type Open = Omit<H2Request, 'body' | 'bodyBytes' | 'complete'> & {
	kept: Uint8Array;
	keptBytes: number;
	seen: number;
	contentLength: number | undefined;
};

type Frame = {type: number; flags: number; streamId: number; length: number; read: number; start: number};

/** A header block waiting for its CONTINUATION frames; `size` counts frame payloads, padding included, for the cap. */
type PendingBlock = {streamId: number; endStream: boolean; start: number; fragments: Uint8Array[]; size: number};

/** The client->server byte stream of one HTTP/2 connection. */
export class Http2ClientStream {
	/**
	 * Counters of things skipped: unknownFrames (extension/GREASE types), bodyBytesNotKept (past
	 * maxBody), streamsOverLimit (past maxStreams), dataForUntrackedStreams and
	 * headersForUntrackedStreams (frames of streams not followed), trailers (decoded, not kept),
	 * headersOverLimit (HPACK per-block caps), oversizedHeaderBlocks (also an error).
	 */
	readonly dropped: Record<string, number> = {};

	private readonly maxBody: number;
	private readonly maxStreams: number;
	/** The server's SETTINGS are in the other direction, so accept any table size up to the decoder's cap. */
	private readonly hpack = new HpackDecoder(HPACK_MAX_TABLE_SIZE);
	private failure: string | undefined;
	private ended = false;
	/** Bytes consumed so far (preface included). */
	private offset = 0;
	private prefaceSeen = 0;
	private readonly head = new Uint8Array(FRAME_HEADER);
	private headSeen = 0;
	private frame: Frame | undefined;
	/** Payload of a HEADERS/CONTINUATION frame being gathered (allocated at its length, <= the block cap). */
	private payload: Uint8Array = EMPTY;
	/** Pad length of the DATA frame being read; -1 until its first payload byte (when PADDED). */
	private pad = 0;
	private pending: PendingBlock | undefined;
	private readonly open = new Map<number, Open>();
	private highestStreamId = 0;
	private out: H2Request[] = [];

	constructor(opts: {maxBody?: number; maxStreams?: number} = {}) {
		this.maxBody = Math.max(0, opts.maxBody ?? HTTP_BODY_CAP);
		this.maxStreams = Math.max(0, opts.maxStreams ?? HTTP2_MAX_STREAMS);
	}

	/** Set once the stream is not HTTP/2 or is broken; push then returns []. */
	get error(): string | undefined {
		return this.failure;
	}

	/** Feed bytes in order (any chunking). Returns requests finished by these bytes, in the order they finished. */
	push(bytes: Uint8Array): H2Request[] {
		if (this.failure !== undefined || this.ended) return [];
		this.out = [];
		let p = 0;
		// Every step consumes at least one byte, so the input length bounds the loop.
		while (p < bytes.length && this.failure === undefined) {
			const n = this.step(bytes, p);
			p += n;
			this.offset += n;
		}
		return this.out;
	}

	/** End of stream: requests whose headers were seen but that never finished (complete=false), in stream order. */
	end(): H2Request[] {
		if (this.ended) return [];
		this.ended = true;
		const rest = [...this.open.values()].sort((a, b) => a.streamId - b.streamId);
		this.open.clear();
		return rest.map((s) => finished(s, false));
	}

	private count(what: string, n = 1): void {
		this.dropped[what] = (this.dropped[what] ?? 0) + n;
	}

	private fail(problem: string): void {
		this.failure ??= problem;
	}

	/** Consume bytes from b[p]; returns how many (>= 1). */
	private step(b: Uint8Array, p: number): number {
		if (this.prefaceSeen < PREFACE.length) {
			const n = Math.min(PREFACE.length - this.prefaceSeen, b.length - p);
			for (let i = 0; i < n; i++) {
				if (b[p + i] !== PREFACE[this.prefaceSeen + i]) {
					this.fail('not HTTP/2: no client preface');
					return i + 1;
				}
			}
			this.prefaceSeen += n;
			return n;
		}
		if (this.frame === undefined) {
			const n = Math.min(FRAME_HEADER - this.headSeen, b.length - p);
			this.head.set(b.subarray(p, p + n), this.headSeen);
			this.headSeen += n;
			if (this.headSeen === FRAME_HEADER) this.startFrame(this.offset + n);
			return n;
		}
		const f = this.frame;
		const n = Math.min(f.length - f.read, b.length - p);
		this.payloadBytes(f, b.subarray(p, p + n), this.offset + n);
		f.read += n;
		if (f.read === f.length && this.failure === undefined) this.endFrame(f, this.offset + n);
		return n;
	}

	/** A frame header is complete; `at` is the offset after it. */
	private startFrame(at: number): void {
		const h = this.head;
		this.headSeen = 0;
		const f: Frame = {
			length: (h[0]! << 16) | (h[1]! << 8) | h[2]!,
			type: h[3]!,
			flags: h[4]!,
			streamId: ((h[5]! & 0x7f) << 24) | (h[6]! << 16) | (h[7]! << 8) | h[8]!,
			read: 0,
			start: at - FRAME_HEADER,
		};
		const problem = this.checkFrame(f);
		if (problem) return this.fail(problem);
		if (f.type === HEADERS || f.type === CONTINUATION) this.payload = new Uint8Array(f.length);
		this.pad = f.type === DATA && f.flags & PADDED ? -1 : 0;
		if (f.type === DATA && !this.open.has(f.streamId)) this.count('dataForUntrackedStreams');
		if (f.length === 0) this.endFrame(f, at);
		else this.frame = f;
	}

	/** Why a frame cannot be followed (the connection is then broken for us), or undefined. */
	private checkFrame(f: Frame): string | undefined {
		const p = this.pending;
		if (p && (f.type !== CONTINUATION || f.streamId !== p.streamId)) {
			return `${frameName(f.type)} on stream ${f.streamId} while a header block on stream ${p.streamId} awaits CONTINUATION`;
		}
		switch (f.type) {
			case HEADERS:
			case CONTINUATION: {
				if (f.streamId === 0) return `${frameName(f.type)} on stream 0`;
				if (f.type === CONTINUATION && !p) return `CONTINUATION on stream ${f.streamId} without HEADERS`;
				const total = (p?.size ?? 0) + f.length;
				if (total > HTTP2_HEADER_BLOCK_CAP) {
					this.count('oversizedHeaderBlocks');
					return `${frameName(f.type)} on stream ${f.streamId}: header block of ${total}+ bytes over the ${HTTP2_HEADER_BLOCK_CAP}-byte cap`;
				}
				return undefined;
			}
			case DATA:
				if (f.streamId === 0) return 'DATA on stream 0';
				return f.flags & PADDED && f.length === 0 ? `DATA on stream ${f.streamId}: PADDED without a pad length` : undefined;
			case RST_STREAM:
				return f.streamId === 0 ? 'RST_STREAM on stream 0' : undefined;
			case PUSH_PROMISE:
				return 'PUSH_PROMISE from the client';
			default:
				if (FRAME_NAMES.has(f.type)) return undefined;
				// Extensions (PRIORITY_UPDATE, ORIGIN) and GREASE types: ignorable by design (RFC 9113 5.5).
				this.count('unknownFrames');
				return undefined;
		}
	}

	/** Payload bytes of the current frame; `at` is the offset after them. */
	private payloadBytes(f: Frame, chunk: Uint8Array, at: number): void {
		if (f.type === HEADERS || f.type === CONTINUATION) {
			this.payload.set(chunk, f.read);
			return;
		}
		if (f.type !== DATA) return;
		let data = chunk;
		if (this.pad < 0) {
			this.pad = chunk[0]!;
			if (this.pad >= f.length) return this.fail(`DATA on stream ${f.streamId}: padding ${this.pad} >= frame length ${f.length}`);
			data = chunk.subarray(1);
		}
		const s = this.open.get(f.streamId);
		if (!s) return;
		s.endOffset = at;
		const dataEnd = f.length - this.pad;
		const before = f.read + chunk.length - data.length;
		if (before >= dataEnd) return;
		this.bodyBytes(s, data.subarray(0, dataEnd - before));
	}

	private bodyBytes(s: Open, data: Uint8Array): void {
		s.seen += data.length;
		const take = Math.min(data.length, this.maxBody - s.keptBytes);
		if (take < data.length) this.count('bodyBytesNotKept', data.length - take);
		if (take <= 0) return;
		if (s.keptBytes + take > s.kept.length) {
			// Grow by doubling up to maxBody: most bodies are small, a few reach the cap.
			let size = Math.max(1024, s.kept.length);
			while (size < s.keptBytes + take) size *= 2;
			const next = new Uint8Array(Math.min(size, this.maxBody));
			next.set(s.kept.subarray(0, s.keptBytes));
			s.kept = next;
		}
		s.kept.set(data.subarray(0, take), s.keptBytes);
		s.keptBytes += take;
	}

	/** The whole frame has been read; `at` is the offset after it. */
	private endFrame(f: Frame, at: number): void {
		this.frame = undefined;
		switch (f.type) {
			case HEADERS: {
				const fragment = headerFragment(f, this.payload);
				if (typeof fragment === 'string') return this.fail(fragment);
				const block: PendingBlock = {streamId: f.streamId, endStream: (f.flags & END_STREAM) !== 0, start: f.start, fragments: [fragment], size: f.length};
				if (f.flags & END_HEADERS) this.headerBlock(block, at);
				else this.pending = block;
				break;
			}
			case CONTINUATION: {
				const p = this.pending!;
				p.fragments.push(this.payload);
				p.size += f.length;
				if (f.flags & END_HEADERS) {
					this.pending = undefined;
					this.headerBlock(p, at);
				}
				break;
			}
			case DATA: {
				const s = this.open.get(f.streamId);
				if (s) s.endOffset = at;
				if (s && f.flags & END_STREAM) this.finish(s, true);
				break;
			}
			case RST_STREAM: {
				const s = this.open.get(f.streamId);
				if (s) {
					s.endOffset = at;
					this.finish(s, false);
				}
				break;
			}
			default:
				break;
		}
		this.payload = EMPTY;
	}

	/** A complete header block: decode it (always: the table must stay in step) and open or end its stream. */
	private headerBlock(block: PendingBlock, at: number): void {
		const bytes = block.fragments.length === 1 ? block.fragments[0]! : concat(block.fragments);
		const droppedBefore = this.hpack.droppedHeaders;
		const fields = this.hpack.decode(bytes);
		if (!Array.isArray(fields)) return this.fail(`HEADERS on stream ${block.streamId}: ${fields.error}`);
		if (this.hpack.droppedHeaders > droppedBefore) this.count('headersOverLimit', this.hpack.droppedHeaders - droppedBefore);
		let s = this.open.get(block.streamId);
		if (s) {
			// Trailers: they end the request but are not request headers.
			this.count('trailers');
		} else if (block.streamId > this.highestStreamId) {
			this.highestStreamId = block.streamId;
			if (this.open.size >= this.maxStreams) return this.count('streamsOverLimit');
			s = openRequest(block.streamId, fields, block.start);
			this.open.set(s.streamId, s);
		} else {
			return this.count('headersForUntrackedStreams');
		}
		s.endOffset = at;
		if (block.endStream) this.finish(s, true);
	}

	private finish(s: Open, complete: boolean): void {
		this.open.delete(s.streamId);
		this.out.push(finished(s, complete));
	}
}

/** The header block fragment of a HEADERS payload (padding and priority removed), or why it is malformed. */
function headerFragment(f: Frame, payload: Uint8Array): Uint8Array | string {
	let from = 0;
	let pad = 0;
	if (f.flags & PADDED) {
		if (payload.length < 1) return `HEADERS on stream ${f.streamId}: PADDED without a pad length`;
		pad = payload[0]!;
		from = 1;
	}
	if (f.flags & PRIORITY_FLAG) from += 5;
	if (from + pad > payload.length) return `HEADERS on stream ${f.streamId}: padding/priority longer than the frame`;
	return payload.subarray(from, payload.length - pad);
}

function openRequest(streamId: number, fields: Array<[string, string]>, start: number): Open {
	const headers: Array<[string, string]> = [];
	let method = '';
	let path = '';
	let authority: string | undefined;
	let scheme: string | undefined;
	for (const field of fields) {
		const [name, value] = field;
		if (!name.startsWith(':')) headers.push(field);
		else if (name === ':method') method = value;
		else if (name === ':path') path = value;
		else if (name === ':authority') authority = value;
		else if (name === ':scheme') scheme = value;
	}
	authority = visibleControls(authority ?? headerValue(headers, 'host'));
	return {
		streamId, method, authority, scheme, path, headers,
		kept: EMPTY, keptBytes: 0, seen: 0,
		contentLength: parseContentLength(headerValue(headers, 'content-length')),
		startOffset: start, endOffset: start,
	};
}

function finished(s: Open, complete: boolean): H2Request {
	return {
		streamId: s.streamId,
		method: s.method,
		authority: s.authority,
		scheme: s.scheme,
		path: s.path,
		headers: s.headers,
		body: s.keptBytes > 0 ? s.kept.slice(0, s.keptBytes) : EMPTY,
		bodyBytes: s.contentLength ?? s.seen,
		complete,
		startOffset: s.startOffset,
		endOffset: s.endOffset,
	};
}

/** content-length as a number, undefined when absent or not a plain decimal. */
function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
	let off = 0;
	for (const part of parts) {
		out.set(part, off);
		off += part.length;
	}
	return out;
}

function frameName(type: number): string {
	return FRAME_NAMES.get(type) ?? `frame type ${type}`;
}
