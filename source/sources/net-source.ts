/**
 * Captures that arrive over the network, as PCAPdroid exports them:
 * - `udp://HOST:PORT`        its UDP exporter sends to us (one record or block per datagram);
 * - `tcp-listen://HOST:PORT` its TCP exporter connects to us and streams a capture;
 * - `tcp://HOST:PORT`        we connect and read a capture stream (pcap-over-IP, adb forward);
 * - `http://HOST:PORT/PATH`  its HTTP server: GET, chunked body, a fresh preamble per client.
 *
 * Every connection (or UDP preamble) is a segment parsed by its own CaptureParser; frame numbers
 * go on across segments (1-based, monotonic), so evidence indices stay unique for the session.
 * Sockets start at once; iterate the stream to get packet batches, abort the signal (or stop
 * iterating) to close them. Problems never throw at the pipeline: they become status reports
 * (`onStatus`), counters (`stats`) and `error`. Packet data are views into received buffers:
 * copy what you keep past the batch (see capture-reader.ts).
 */
import {createSocket, type Socket as UdpSocket} from 'node:dgram';
import {createServer, connect, type Server, type Socket} from 'node:net';
import {get as httpGet, type ClientRequest, type IncomingMessage} from 'node:http';
import type {RawPacket} from '../types.js';
import {CaptureParser, type CaptureError, type CaptureFormat, type CaptureSecrets} from './capture-reader.js';
import {MAX_SECRETS_BYTES} from './capture-source.js';
import {UdpCaptureFramer, type UdpFramerStats} from './pcapdroid-udp.js';

export type NetSourceState = 'starting' | 'live' | 'stalled' | 'down';

export type NetSpec =
	| {kind: 'udp' | 'tcp-listen' | 'tcp'; host: string; port: number}
	| {kind: 'http'; host: string; port: number; url: string};

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
};

export type NetSourceOptions = {
	signal?: AbortSignal;
	/** Status changes: starting, live (data flowing), stalled (silent or waiting for a peer), down. */
	onStatus?(state: NetSourceState, detail: string): void;
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
 * five silent seconds means the phone is idle or the link is broken, worth showing.
 */
export const STALL_AFTER_MS = 5000;
/** First retry of a failed connection: quick enough to catch an `adb forward` coming up. */
export const RECONNECT_MIN_MS = 500;
/** Retries back off to this: a phone away for minutes costs one attempt per 5 s. */
export const RECONNECT_MAX_MS = 5000;
/**
 * UDP socket receive buffer (SO_RCVBUF): PCAPdroid flushes its 512 KiB export buffer in one
 * burst of datagrams; 4 MiB holds several bursts while we parse. The kernel caps it at
 * net.core.rmem_max. Each datagram is read whole (libuv reads into 64 KiB, and a UDP payload is
 * at most 65,507 bytes), so nothing is cut short as it is with `nc`.
 */
export const UDP_RECV_BUFFER = 4 * 1024 * 1024;
/**
 * Packet bytes queued for a consumer that lags. TCP pauses the socket at this mark (the phone
 * then waits); UDP cannot, so datagrams beyond it are dropped and counted. 32 MiB is a few
 * seconds of a busy phone.
 */
export const MAX_QUEUED_BYTES = 32 * 1024 * 1024;
/** Packets merged into one batch while the consumer is busy: amortises per-batch work. */
export const MAX_BATCH_PACKETS = 4096;
/**
 * How long a connection attempt (TCP connect, or an HTTP request until its response head) may
 * take: far beyond any USB or LAN round trip, short enough that a hung peer is retried.
 */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Redirects followed for one HTTP request: PCAPdroid answers `/` with one 302. */
export const MAX_REDIRECTS = 4;
/** Refuse HTTP response status lines we do not expect rather than parse arbitrary bodies as captures. */
const HTTP_OK = 200;

const SCHEMES = ['udp://', 'tcp-listen://', 'tcp://', 'http://'] as const;

/** The network packet sources, as messages name them. */
export const NET_SPEC_FORMS = 'udp://HOST:PORT, tcp://HOST:PORT, tcp-listen://HOST:PORT, http://HOST:PORT/PATH';

/** True when `spec` names a network source this module opens. */
export function isNetSpec(spec: string): boolean {
	return SCHEMES.some((s) => spec.startsWith(s));
}

/** Parses `udp://HOST:PORT`, `tcp-listen://HOST:PORT`, `tcp://HOST:PORT`, `http://HOST:PORT/PATH`; undefined when malformed. */
export function parseNetSpec(spec: string): NetSpec | undefined {
	const scheme = SCHEMES.find((s) => spec.startsWith(s));
	if (!scheme) return undefined;
	let url: URL;
	try {
		// URL parses http natively; the others are parsed as http for host and port, then renamed.
		url = new URL(scheme === 'http://' ? spec : `http://${spec.slice(scheme.length)}`);
	} catch {
		return undefined;
	}
	const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
	if (!host || url.username || url.password) return undefined;
	if (scheme === 'http://') {
		const port = url.port === '' ? 80 : Number(url.port);
		return {kind: 'http', host, port, url: url.href};
	}
	if (url.port === '' || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
	if (!spec.slice(scheme.length).includes(':')) return undefined;
	const kind = scheme === 'udp://' ? 'udp' : scheme === 'tcp://' ? 'tcp' : 'tcp-listen';
	return {kind, host, port: Number(url.port)};
}

/** Opens a network capture source; throws only on a malformed spec (a usage error). */
export function openNetCapture(spec: string, opts: NetSourceOptions = {}): NetCaptureStream {
	const parsed = parseNetSpec(spec);
	if (!parsed) throw new Error(`not a network capture source: ${spec} (${NET_SPEC_FORMS})`);
	const stream = new NetCapture(spec, opts);
	switch (parsed.kind) {
		case 'udp':
			runUdp(stream, parsed.host, parsed.port);
			break;
		case 'tcp-listen':
			runTcpListen(stream, parsed.host, parsed.port);
			break;
		case 'tcp':
			stream.noListener();
			void runTcpConnect(stream, parsed.host, parsed.port);
			break;
		case 'http':
			stream.noListener();
			void runHttp(stream, parsed.url);
			break;
	}
	return stream;
}

/** The segmented parser, the batch queue and the status, shared by every transport. */
class NetCapture implements NetCaptureStream {
	readonly stats: NetSourceStats = {
		bytes: 0, connections: 0, restarts: 0, segments: 0, datagrams: 0, malformed: 0, dropped: 0, reordered: 0, synthesized: 0,
	};
	readonly listening: Promise<{host: string; port: number}>;
	/** Aborted when the source must stop: the caller's signal, close(), or the consumer leaving. */
	readonly stop = new AbortController();
	/** Called when the queue drains below the mark (TCP resumes its socket). */
	onDrain: (() => void) | undefined;

	private parser: CaptureParser | undefined;
	private segmentBytes = 0;
	/** Packets of the segments before the current one: the offset of its frame numbers. */
	private base = 0;
	private lastFormat: CaptureFormat | undefined;
	private lastError: CaptureError | undefined;
	private secretsBytes = 0;
	private current: NetSourceState = 'starting';
	private stallTimer: NodeJS.Timeout | undefined;
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
	}

	status(state: NetSourceState, detail: string): void {
		if (this.finished && state !== 'down') return;
		this.current = state;
		this.opts.onStatus?.(state, detail);
	}

	/** Data arrived: live again, and re-arm the stall timer. */
	touch(): void {
		if (this.finished) return;
		if (this.current !== 'live') this.status('live', `receiving from ${this.name}`);
		this.armStall();
	}

	armStall(): void {
		clearTimeout(this.stallTimer);
		const ms = this.opts.stallAfterMs ?? STALL_AFTER_MS;
		this.stallTimer = setTimeout(() => {
			if (this.current === 'live') this.status('stalled', `no data for ${Math.round(ms / 1000)} s`);
		}, ms);
		this.stallTimer.unref();
	}

	disarmStall(): void {
		clearTimeout(this.stallTimer);
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

function runUdp(stream: NetCapture, host: string, port: number): void {
	const framer = new UdpCaptureFramer();
	/** Datagrams we dropped ourselves because the consumer lagged. */
	let overflow = 0;
	const sync = () => copyFramerStats(stream.stats, framer.stats, overflow);
	let socket: UdpSocket;
	try {
		socket = createSocket({type: host.includes(':') ? 'udp6' : 'udp4'});
	} catch (err) {
		stream.finish(`cannot open UDP socket: ${message(err)}`);
		return;
	}
	socket.on('message', (msg) => {
		if (stream.stopped) return;
		if (stream.full) {
			// The consumer lags and UDP cannot be paused: drop rather than grow without bound.
			overflow++;
			sync();
			return;
		}
		const framed = framer.datagram(msg);
		if (!framed.ok) {
			sync();
			stream.noteError({offset: stream.bytesRead, message: `datagram ${framer.stats.datagrams}: ${framed.reason}`, fatal: false});
			stream.touch();
			return;
		}
		if (framed.restart) {
			stream.beginSegment();
			stream.bytes(framed.restart);
		}
		for (const unit of framed.units) {
			if (stream.bytes(unit)) continue;
			// Passed the framer but the parser refused it: count it, restart from the preamble.
			framer.stats.malformed++;
			stream.beginSegment();
			const preamble = framer.preamble;
			if (preamble) stream.bytes(preamble);
			break;
		}
		sync();
	});
	socket.on('error', (err) => stream.finish(`UDP ${host}:${port}: ${message(err)}`));
	socket.bind(port, host, () => {
		try {
			socket.setRecvBufferSize(UDP_RECV_BUFFER);
		} catch {
			// Refused (some sandboxes): the default buffer still works, with more drops under bursts.
		}
		const a = socket.address();
		stream.listeningAt({host: a.address, port: a.port});
		stream.status('starting', `listening on udp ${a.address}:${a.port}, waiting for PCAPdroid`);
	});
	stream.stop.signal.addEventListener('abort', () => closeQuietly(() => socket.close()), {once: true});
}

function copyFramerStats(to: NetSourceStats, from: UdpFramerStats, overflow: number): void {
	to.datagrams = from.datagrams + overflow;
	to.malformed = from.malformed;
	to.reordered = from.reordered;
	to.synthesized = from.synthesized;
	to.dropped = from.missingBlocks + overflow;
}

function runTcpListen(stream: NetCapture, host: string, port: number): void {
	let client: Socket | undefined;
	const server: Server = createServer((sock) => {
		if (stream.stopped) {
			sock.destroy();
			return;
		}
		// One capture at a time: PCAPdroid has no reconnect logic, so a new connection means its
		// capture restarted and the old socket is dead or dying.
		if (client) {
			stream.stats.restarts++;
			client.destroy();
			stream.endSegment(true);
		}
		client = sock;
		stream.stats.connections++;
		const peer = `${sock.remoteAddress}:${sock.remotePort}`;
		stream.beginSegment();
		stream.status('live', `PCAPdroid connected from ${peer}`);
		pipeSocket(stream, sock, () => {
			if (client !== sock) return;
			client = undefined;
			stream.endSegment(false);
			stream.disarmStall();
			stream.status('stalled', `${peer} disconnected; waiting for PCAPdroid to connect again`);
		});
	});
	server.on('error', (err) => {
		stream.listenFailed(err);
		stream.finish(`cannot listen on tcp ${host}:${port}: ${message(err)}`);
	});
	server.listen(port, host, () => {
		const a = server.address();
		const bound = typeof a === 'object' && a ? {host: a.address, port: a.port} : {host, port};
		stream.listeningAt(bound);
		stream.status('starting', `listening on tcp ${bound.host}:${bound.port}, waiting for PCAPdroid to connect`);
	});
	stream.stop.signal.addEventListener(
		'abort',
		() => {
			client?.destroy();
			closeQuietly(() => server.close());
		},
		{once: true},
	);
}

/** Reads a socket into the current segment with backpressure; `onEnd` once it is closed. */
function pipeSocket(stream: NetCapture, sock: Socket, onEnd: () => void): void {
	sock.on('data', (chunk: Buffer) => {
		if (!stream.bytes(chunk)) {
			// A byte stream cannot be resynchronised after damage: drop this connection.
			sock.destroy();
			return;
		}
		if (stream.full) {
			sock.pause();
			stream.onDrain = () => sock.resume();
		}
	});
	sock.on('error', (err) => stream.noteError({offset: stream.bytesRead, message: message(err), fatal: false, io: true}));
	sock.on('close', onEnd);
}

async function runTcpConnect(stream: NetCapture, host: string, port: number): Promise<void> {
	let delay = stream.reconnectMinMs;
	while (!stream.stopped) {
		stream.status('starting', `connecting to ${host}:${port}`);
		const errBefore = stream.error;
		const before = stream.bytesRead;
		await new Promise<void>((resolve) => {
			const sock = connect({host, port});
			const onAbort = () => sock.destroy();
			stream.stop.signal.addEventListener('abort', onAbort, {once: true});
			sock.setTimeout(CONNECT_TIMEOUT_MS, () => sock.destroy(new Error(`no connection after ${seconds(CONNECT_TIMEOUT_MS)}`)));
			sock.on('connect', () => {
				sock.setTimeout(0);
				stream.stats.connections++;
				stream.beginSegment();
				stream.status('live', `connected to ${host}:${port}`);
				pipeSocket(stream, sock, () => {});
			});
			sock.on('error', (err) => stream.noteError({offset: stream.bytesRead, message: `${host}:${port}: ${message(err)}`, fatal: false, io: true}));
			sock.on('close', () => {
				stream.stop.signal.removeEventListener('abort', onAbort);
				resolve();
			});
		});
		if (stream.stopped) return;
		delay = await retryAfter(stream, `${host}:${port}`, stream.bytesRead > before, errBefore, delay);
		if (delay < 0) return;
	}
}

async function runHttp(stream: NetCapture, start: string): Promise<void> {
	let delay = stream.reconnectMinMs;
	while (!stream.stopped) {
		stream.status('starting', `requesting ${start}`);
		const errBefore = stream.error;
		const before = stream.bytesRead;
		await httpSegment(stream, start);
		if (stream.stopped) return;
		delay = await retryAfter(stream, start, stream.bytesRead > before, errBefore, delay);
		if (delay < 0) return;
	}
}

/**
 * Closes the segment of a connection that ended, reports it, and waits before the next attempt:
 * the minimum delay after a connection that delivered data, doubling (to the maximum) while
 * attempts keep failing. Resolves with the delay used, or -1 when stopped meanwhile.
 */
async function retryAfter(stream: NetCapture, what: string, gotData: boolean, errBefore: CaptureError | undefined, delay: number): Promise<number> {
	stream.endSegment(false);
	stream.stats.restarts++;
	stream.disarmStall();
	const next = gotData ? stream.reconnectMinMs : Math.min(delay * 2, stream.reconnectMaxMs);
	const why = stream.error && stream.error !== errBefore ? ` (${stream.error.message})` : '';
	stream.status('down', `${what} ${gotData ? 'closed' : 'unavailable'}${why}; retrying in ${seconds(next)}`);
	return (await pause(next, stream.stop.signal)) ? next : -1;
}

/** One GET (following PCAPdroid's `/` -> `/NAME.pcap` redirect) read as one segment; resolves when it ends. */
function httpSegment(stream: NetCapture, start: string): Promise<void> {
	return new Promise((resolve) => {
		let req: ClientRequest | undefined;
		const onAbort = () => req?.destroy();
		stream.stop.signal.addEventListener('abort', onAbort, {once: true});
		const done = () => {
			stream.stop.signal.removeEventListener('abort', onAbort);
			resolve();
		};
		const fail = (msg: string) => {
			stream.noteError({offset: stream.bytesRead, message: msg, fatal: false, io: true});
			done();
		};
		const request = (url: string, hops: number) => {
			req = httpGet(url, (res: IncomingMessage) => {
				// Headers are in: from here silence is a stall to report, not a failed attempt.
				req?.setTimeout(0);
				const status = res.statusCode ?? 0;
				if (status >= 300 && status < 400 && res.headers.location) {
					res.resume();
					if (hops >= MAX_REDIRECTS) return fail(`${url}: more than ${MAX_REDIRECTS} redirects`);
					let next: string;
					try {
						next = new URL(res.headers.location, url).href;
					} catch {
						return fail(`${url}: bad redirect ${res.headers.location}`);
					}
					if (!next.startsWith('http://')) return fail(`${url}: redirect to ${next} is not plain http`);
					return request(next, hops + 1);
				}
				if (status !== HTTP_OK) {
					res.resume();
					return fail(`${url}: HTTP ${status}`);
				}
				stream.stats.connections++;
				stream.beginSegment();
				stream.status('live', `streaming ${url}`);
				res.on('data', (chunk: Buffer) => {
					if (!stream.bytes(chunk)) {
						res.destroy();
						return;
					}
					if (stream.full) {
						res.pause();
						stream.onDrain = () => res.resume();
					}
				});
				res.on('error', (err) => stream.noteError({offset: stream.bytesRead, message: message(err), fatal: false, io: true}));
				res.on('close', done);
			});
			req.setTimeout(CONNECT_TIMEOUT_MS, () => req?.destroy(new Error(`no response after ${seconds(CONNECT_TIMEOUT_MS)}`)));
			req.on('error', (err) => fail(`${url}: ${message(err)}`));
		};
		request(start, 0);
	});
}

/** Waits `ms`; false when aborted meanwhile. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
	return new Promise((resolve) => {
		if (signal.aborted) return resolve(false);
		const t = setTimeout(() => {
			signal.removeEventListener('abort', onAbort);
			resolve(true);
		}, ms);
		const onAbort = () => {
			clearTimeout(t);
			resolve(false);
		};
		signal.addEventListener('abort', onAbort, {once: true});
	});
}

function seconds(ms: number): string {
	return `${(ms / 1000).toFixed(1)} s`;
}

function message(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

function closeQuietly(fn: () => void): void {
	try {
		fn();
	} catch {
		// Already closed.
	}
}
