/**
 * What every network capture transport shares (net-source.ts opens them; net-udp.ts, net-tcp.ts
 * and net-http.ts drive the sockets): NetCapture, the segmented parser, the batch queue with its
 * backpressure mark, and the status with its stall clock; plus the socket pump and the retry
 * schedule of the transports that connect.
 *
 * Every connection (or UDP preamble) is a segment parsed by its own CaptureParser; frame numbers
 * go on across segments (1-based, monotonic), so evidence indices stay unique for the session.
 *
 * Over 300 lines because NetCapture is one state machine (segment, queue, status) whose parts
 * read each other's fields on every call; the transports, which need none of that, live apart.
 */
import type {Readable} from 'node:stream';
import type {RawPacket} from '../types.js';
import {pause, StallWatch} from './byte-stream.js';
import {CaptureParser, type CaptureError, type CaptureFormat, type CaptureSecrets} from './capture-reader.js';
import {MAX_SECRETS_BYTES} from './capture-source.js';
import {plainAddress, SenderGate} from './sender-gate.js';

export type NetSourceState = 'starting' | 'live' | 'stalled' | 'down';

export type NetSourceStats = {
	bytes: number;
	/** Connections accepted or made (HTTP responses count as connections). */
	connections: number;
	/** Connection attempts that failed or ended, after which we retried or waited. */
	restarts: number;
	/** Capture segments begun: one per connection or per UDP preamble. */
	segments: number;
	/** UDP: datagrams received. */
	datagrams: number;
	/** UDP: datagrams that were not a preamble, record or block (or whose record was damaged). */
	malformed: number;
	/** UDP: datagrams known lost (missing IDB/UID map) plus ones we dropped because the consumer lagged. */
	dropped: number;
	/** UDP: datagrams that arrived out of timestamp order. */
	reordered: number;
	/** UDP: preambles made up because we joined after the real one. */
	synthesized: number;
	/** Datagrams (UDP) or connections (tcp-listen) refused: not from the phone (sender-gate.ts). */
	refused: number;
};

export type NetSourceOptions = {
	signal?: AbortSignal;
	/** Status changes: starting, live (data flowing), stalled (silent or waiting for a peer), down. */
	onStatus?(state: NetSourceState, detail: string): void;
	/**
	 * Damaged input, once per damaged unit as it is skipped: a UDP datagram that is no record or
	 * block (or whose record the parser refused), a connection's capture stream that broke.
	 * I/O errors are not damage and do not come here.
	 */
	onDamage?(error: CaptureError): void;
	/** pcapng Custom Blocks (PCAPdroid's UID map); data is a view, copy to keep. */
	onCustomBlock?(pen: number, data: Uint8Array): void;
	/** pcapng Decryption Secrets Blocks (PCAPdroid's live pcapng exports carry TLS key logs). */
	onSecrets?(s: CaptureSecrets): void;
	/** A segment's format once known. */
	onFormat?(format: CaptureFormat): void;
	/**
	 * The bytes each segment's parser gets (recording a bundle): `segment()` when a new one begins
	 * (a connection, a preamble: its header follows), `cut()` when one broke off mid-record.
	 */
	tap?: {bytes(chunk: Uint8Array): void; segment(): void; cut(): void};
	/** Listeners: the only senders let in (--pcap-from); none given: the first sender, and only it. */
	allowFrom?: readonly string[];
	/** A datagram or connection from someone else was refused (its bytes were never parsed). */
	onRefused?(address: string): void;
	/** Called with the bound address of a listener (udp, tcp-listen), e.g. for port 0. */
	onListening?(address: {host: string; port: number}): void;
	stallAfterMs?: number;
	reconnectMinMs?: number;
	reconnectMaxMs?: number;
};

export type NetCaptureStream = AsyncIterable<RawPacket[]> & {
	readonly name: string;
	readonly format: CaptureFormat | undefined;
	/** The last damage or I/O error (the source carries on where it can). */
	readonly error: CaptureError | undefined;
	readonly packets: number;
	readonly bytesRead: number;
	readonly state: NetSourceState;
	readonly stats: NetSourceStats;
	/** Resolves with the bound address once a listener is up (udp, tcp-listen); rejects if it cannot bind. */
	readonly listening: Promise<{host: string; port: number}>;
	/** Closes sockets and ends iteration (same as aborting the signal). */
	close(): void;
};

/**
 * PCAPdroid exports at least once a second while there is traffic (MAX_PCAP_DUMP_DELAY_MS);
 * five silent seconds means the phone is idle or the link is broken, worth showing. Shorter than
 * adb-live's ADB_STALL_AFTER_MS (30 s): logcat and tcpdump on the phone write only when something
 * happens, so silence there says less.
 */
const NET_STALL_AFTER_MS = 5000;
/** First retry of a failed connection: quick enough to catch an `adb forward` coming up. */
const RECONNECT_MIN_MS = 500;
/** Retries back off to this: a phone away for minutes costs one attempt per 5 s. */
const RECONNECT_MAX_MS = 5000;
/**
 * Packet bytes queued for a consumer that lags. TCP pauses the socket at this mark (the phone
 * then waits); UDP cannot, so datagrams beyond it are dropped and counted. 32 MiB is a few
 * seconds of a busy phone.
 */
const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Packets merged into one batch while the consumer is busy: amortises per-batch work. */
const MAX_BATCH_PACKETS = 4096;
/**
 * How long a connection attempt (TCP connect, or an HTTP request until its response head) may
 * take: far beyond any USB or LAN round trip, short enough that a hung peer is retried.
 */
export const CONNECT_TIMEOUT_MS = 10_000;

/** The segmented parser, the batch queue and the status, shared by every transport. */
export class NetCapture implements NetCaptureStream {
	readonly stats: NetSourceStats = {
		bytes: 0, connections: 0, restarts: 0, segments: 0, datagrams: 0, malformed: 0, dropped: 0, reordered: 0, synthesized: 0, refused: 0,
	};
	readonly listening: Promise<{host: string; port: number}>;
	/** Aborted when the source must stop: the caller's signal, close(), or the consumer leaving. */
	readonly stop = new AbortController();
	/** Called when the queue drains below the mark (TCP resumes its socket). */
	onDrain: (() => void) | undefined;

	private readonly gate: SenderGate;
	private parser: CaptureParser | undefined;
	private segmentBytes = 0;
	/** Packets of the segments before the current one: the offset of its frame numbers. */
	private base = 0;
	private lastFormat: CaptureFormat | undefined;
	private lastError: CaptureError | undefined;
	/** The damage last passed to onDamage: a parser's error is noted again when its segment ends. */
	private lastDamage: CaptureError | undefined;
	private secretsBytes = 0;
	private current: NetSourceState = 'starting';
	private readonly stall: StallWatch;
	private batch: RawPacket[] = [];
	private readonly queue: RawPacket[][] = [];
	private queuedBytes = 0;
	private wake: (() => void) | undefined;
	private finished = false;
	private started = false;
	private resolveListening!: (a: {host: string; port: number}) => void;
	private rejectListening!: (e: Error) => void;

	constructor(
		readonly name: string,
		private readonly opts: NetSourceOptions,
	) {
		this.listening = new Promise((resolve, reject) => {
			this.resolveListening = resolve;
			this.rejectListening = reject;
		});
		// Nobody may await it (tcp/http): keep an unobserved rejection from crashing the process.
		this.listening.catch(() => {});
		this.gate = new SenderGate(opts.allowFrom);
		const stallMs = opts.stallAfterMs ?? NET_STALL_AFTER_MS;
		this.stall = new StallWatch(stallMs, () => {
			if (this.current === 'live') this.status('stalled', `no data for ${Math.round(stallMs / 1000)} s`);
		});
		const signal = opts.signal;
		if (signal?.aborted) this.stop.abort();
		else signal?.addEventListener('abort', () => this.close(), {once: true});
		this.stop.signal.addEventListener('abort', () => this.finish('stopped'), {once: true});
		this.status('starting', `opening ${name}`);
	}

	get format(): CaptureFormat | undefined {
		return this.parser?.format ?? this.lastFormat;
	}

	get error(): CaptureError | undefined {
		return this.lastError;
	}

	get packets(): number {
		return this.base + (this.parser?.packets ?? 0);
	}

	get bytesRead(): number {
		return this.stats.bytes;
	}

	get state(): NetSourceState {
		return this.current;
	}

	/** True once the source is closing: drivers stop retrying. */
	get stopped(): boolean {
		return this.stop.signal.aborted;
	}

	get reconnectMinMs(): number {
		return this.opts.reconnectMinMs ?? RECONNECT_MIN_MS;
	}

	get reconnectMaxMs(): number {
		return this.opts.reconnectMaxMs ?? RECONNECT_MAX_MS;
	}

	/** True when the consumer lags by more than MAX_QUEUED_BYTES. */
	get full(): boolean {
		return this.queuedBytes >= MAX_QUEUED_BYTES;
	}

	close(): void {
		this.stop.abort();
	}

	listeningAt(address: {host: string; port: number}): void {
		this.resolveListening(address);
		this.opts.onListening?.(address);
	}

	listenFailed(err: Error): void {
		this.rejectListening(err);
	}

	noListener(): void {
		this.rejectListening(new Error(`${this.name} does not listen`));
	}

	/**
	 * Listeners: whether a datagram or connection from `address` may feed the capture (see
	 * sender-gate.ts). A refusal is counted, and said once per address on the status line.
	 */
	admit(address: string | undefined): boolean {
		const verdict = this.gate.admit(address);
		if (verdict !== 'refused') return true;
		this.stats.refused = this.gate.refused;
		const from = plainAddress(address ?? '');
		this.opts.onRefused?.(from);
		if (this.gate.firstRefusalOf(from)) {
			this.status(this.current, `refused ${from}: packets are taken only from ${this.gate.who ?? 'the phone'}`);
		}
		return false;
	}

	/** `, only from 127.0.0.1 (the first sender)` once a listener knows whom it takes: for status details. */
	get senderNote(): string {
		const who = this.gate.who;
		return who ? `, only from ${who}` : '';
	}

	/** Starts a new capture segment (a connection, a preamble): a fresh parser, numbering carried on. */
	beginSegment(): void {
		this.endSegment(true);
		this.stats.segments++;
		this.segmentBytes = 0;
		this.opts.tap?.segment();
		this.parser = new CaptureParser((p) => this.packet(p), {
			onSecrets: (s) => {
				if (this.secretsBytes + s.data.length > MAX_SECRETS_BYTES) return;
				this.secretsBytes += s.data.length;
				this.opts.onSecrets?.(s);
			},
			onCustomBlock: this.opts.onCustomBlock,
			onFormat: this.opts.onFormat,
		});
	}

	/**
	 * Ends the current segment. `cut`: the bytes stopped for a reason outside the capture (abort,
	 * a replacing connection, a new preamble), so a half record is not damage.
	 */
	endSegment(cut: boolean): void {
		const parser = this.parser;
		if (!parser) return;
		if (!cut && this.segmentBytes > 0) parser.end();
		if (cut && this.segmentBytes > 0) this.opts.tap?.cut();
		this.flush();
		if (parser.error) this.noteError(parser.error);
		this.lastFormat = parser.format ?? this.lastFormat;
		this.base += parser.packets;
		this.parser = undefined;
	}

	/** Feeds bytes to the current segment; false when the segment is damaged and must be dropped. */
	bytes(raw: Uint8Array): boolean {
		if (!this.parser) this.beginSegment();
		const parser = this.parser!;
		// A plain Uint8Array view of the Buffer (no copy), as capture-source does: slice() then copies.
		const chunk = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
		this.stats.bytes += chunk.length;
		this.segmentBytes += chunk.length;
		this.opts.tap?.bytes(chunk);
		parser.push(chunk);
		this.flush();
		this.touch();
		if (parser.error) {
			this.noteError(parser.error);
			return false;
		}
		return true;
	}

	noteError(err: CaptureError): void {
		this.lastError = err;
		if (err.io || err === this.lastDamage) return;
		this.lastDamage = err;
		this.opts.onDamage?.(err);
	}

	status(state: NetSourceState, detail: string): void {
		if (this.finished && state !== 'down') return;
		this.current = state;
		this.opts.onStatus?.(state, detail);
	}

	/** Data arrived: live again, and re-arm the stall timer. */
	touch(): void {
		if (this.finished) return;
		if (this.current !== 'live') this.status('live', `receiving from ${this.name}${this.senderNote}`);
		this.armStall();
	}

	armStall(): void {
		this.stall.touch();
	}

	disarmStall(): void {
		this.stall.stop();
	}

	/** Ends iteration for good (stop, or a listener that cannot run). */
	finish(detail: string): void {
		if (this.finished) return;
		this.endSegment(true);
		this.disarmStall();
		this.status('down', detail);
		this.finished = true;
		this.rejectListening(new Error(detail));
		this.wake?.();
		if (!this.stop.signal.aborted) this.stop.abort();
	}

	async *[Symbol.asyncIterator](): AsyncIterator<RawPacket[]> {
		if (this.started) throw new Error(`network capture ${this.name} can be iterated only once`);
		this.started = true;
		try {
			for (;;) {
				const next = this.queue.shift();
				if (next) {
					this.dequeued(next);
					yield next;
					continue;
				}
				if (this.finished) return;
				await new Promise<void>((resolve) => {
					this.wake = resolve;
				});
				this.wake = undefined;
			}
		} finally {
			this.close();
		}
	}

	private packet(p: RawPacket): void {
		p.index += this.base;
		this.batch.push(p);
	}

	/** Moves parsed packets to the queue, merging into the newest batch while the consumer is busy. */
	private flush(): void {
		if (this.batch.length === 0) return;
		const batch = this.batch;
		this.batch = [];
		let bytes = 0;
		for (const p of batch) bytes += p.data.length;
		this.queuedBytes += bytes;
		const last = this.queue[this.queue.length - 1];
		if (last && last.length + batch.length <= MAX_BATCH_PACKETS) {
			for (const p of batch) last.push(p);
		} else {
			this.queue.push(batch);
		}
		this.wake?.();
	}

	private dequeued(batch: RawPacket[]): void {
		const wasFull = this.full;
		for (const p of batch) this.queuedBytes -= p.data.length;
		if (wasFull && !this.full) this.onDrain?.();
	}
}

/** Reads a socket or an HTTP body into the current segment with backpressure; `onEnd` once it is closed. */
export function pipeReadable(stream: NetCapture, input: Readable, onEnd: () => void): void {
	input.on('data', (chunk: Buffer) => {
		if (!stream.bytes(chunk)) {
			// A byte stream cannot be resynchronised after damage: drop this connection.
			input.destroy();
			return;
		}
		if (stream.full) {
			input.pause();
			stream.onDrain = () => input.resume();
		}
	});
	input.on('error', (err) => stream.noteError({offset: stream.bytesRead, message: errorText(err), fatal: false, io: true}));
	input.on('close', onEnd);
}

/**
 * Closes the segment of a connection that ended, reports it, and waits before the next attempt:
 * the minimum delay after a connection that delivered data, doubling (to the maximum) while
 * attempts keep failing. Resolves with the delay used, or -1 when stopped meanwhile.
 */
export async function retryAfter(stream: NetCapture, what: string, gotData: boolean, errBefore: CaptureError | undefined, delay: number): Promise<number> {
	stream.endSegment(false);
	stream.stats.restarts++;
	stream.disarmStall();
	const next = gotData ? stream.reconnectMinMs : Math.min(delay * 2, stream.reconnectMaxMs);
	const why = stream.error && stream.error !== errBefore ? ` (${stream.error.message})` : '';
	stream.status('down', `${what} ${gotData ? 'closed' : 'unavailable'}${why}; retrying in ${seconds(next)}`);
	return (await pause(next, stream.stop.signal)) ? next : -1;
}

export function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(1)} s`;
}

export function errorText(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

export function closeQuietly(fn: () => void): void {
	try {
		fn();
	} catch {
		// Already closed.
	}
}
