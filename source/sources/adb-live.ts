/**
 * The live session over adb: tracks devices, picks one, runs logcat and tcpdump on it and
 * keeps them running across unplug/replug, adb server restarts and dropped Wi-Fi links.
 * Reports state as SourceStatus (`adb`, `logcat`, `tcpdump`) and hands raw bytes to callbacks;
 * the caller feeds them to the capture parser and the logcat splitter.
 *
 * Reconnect schedule: {@link ADB_BACKOFF_MS} (250 ms doubling to 4 s), reset by the first bytes
 * of a resumed stream. Resumed logcat asks for `-T <last line time>` and drops the repeats;
 * resumed tcpdump's repeated pcap header is dropped, so both streams read as one.
 *
 * Over 300 lines because device tracking, the two streams and their resume and stall handling
 * share one session state.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import type {AdbServerClient} from '@yume-chan/adb';
import type {SourceState, SourceStatus} from '../types.js';
import {
	adbLogcat,
	adbServerEndpoint,
	adbTcpdump,
	backoffMs,
	chooseDevice,
	createAdbClient,
	deviceFacts,
	openDevice,
	serialFromEnv,
	TcpdumpUnavailableError,
	watchDevices,
	type AdbDevice,
	type AdbEndpoint,
	type DeviceFacts,
	type DeviceWatch,
} from './adb.js';
import {LogcatStitcher, PcapStitcher} from './adb-resume.js';

/** Source names used in statuses. */
export const ADB_SOURCE = 'adb';
export const LOGCAT_SOURCE = 'logcat';
export const TCPDUMP_SOURCE = 'tcpdump';

/**
 * Log history read at start: 30 s shows the app launch or incognito switch that happened just
 * before tattle started, without flooding the timeline with the phone's whole ring buffer.
 */
const LOG_HISTORY_SEC = 30;
/** An adb stream (logcat, exec-out tcpdump) with no bytes for this long is `stalled`: a phone in use logs every few seconds. */
const ADB_STALL_AFTER_MS = 30_000;
/** How often stalls are checked: a second is finer than anyone reads a status line. */
const STALL_CHECK_MS = 1000;
/** A `host:port` serial is a TCP device we can reconnect with `adb connect` ourselves. */
const TCP_SERIAL = /^(?:\[[0-9a-fA-F:]+\]|[\w.-]+):\d{1,5}$/;
/**
 * A device leaving the list this soon after our own `adb disconnect` (the reconnect nudge) is
 * ours; later it is the user's. The server pushes the change within milliseconds; 3 s is margin.
 */
const OWN_DISCONNECT_MS = 3000;

/** A source status with the retry count of an outage (0 or absent when not retrying). */
export type LiveStatus = SourceStatus & {retry?: number};

type LiveSessionOptions = {
	/** Device to watch (--serial); default ANDROID_SERIAL, else the only device. */
	serial?: string;
	/** Run tcpdump (default true; false for --no-pcap or when packets come from elsewhere). */
	pcap?: boolean;
	/** Seconds of logcat history to read at start, or 'all' for the whole buffer. */
	logHistorySec?: number | 'all';
	endpoint?: AdbEndpoint;
	client?: AdbServerClient;
	/** Retry delays in ms (default {@link ADB_BACKOFF_MS}). */
	schedule?: readonly number[];
	stallAfterMs?: number;
	/** Start a local adb server when none answers (default true). */
	startServer?: boolean;
	/** Reconnect `host:port` devices ourselves with `adb connect` (default true). */
	tcpReconnect?: boolean;
	onLogChunk?(bytes: Uint8Array): void;
	/** pcap bytes; restarts are joined, so this reads as one capture file. */
	onPcapChunk?(bytes: Uint8Array): void;
	/** A restarted tcpdump wrote a different header: the bytes that follow start a new capture. */
	onPcapRestart?(): void;
	/**
	 * One call per state change; during an outage the state and detail stay those of its start and
	 * only `retry` counts up (so an event log gets one entry per outage, a status line the count).
	 */
	onStatus?(status: LiveStatus): void;
	onDevice?(facts: DeviceFacts): void;
	/** The device list, on every change: the UI offers a picker when several are ready. */
	onDevices?(devices: AdbDevice[]): void;
	/** A stream came back after a break (host epoch seconds of the last and the next bytes). */
	onGap?(source: string, fromTs: number, toTs: number): void;
	/**
	 * A shell command polled every `everyMs` while a device is ready (the incognito notification
	 * probe). `onOutput` turns its output into log messages, which join the logcat stream as
	 * `tattle.probe` lines (so they are parsed, shown and recorded like any other line).
	 */
	probe?: {command: string; everyMs: number; onOutput(text: string): string[]};
};

/** Tag of the lines the probe adds to the logcat stream (decode/android.ts reads them). */
const PROBE_TAG = 'tattle.probe';

type StreamKind = typeof LOGCAT_SOURCE | typeof TCPDUMP_SOURCE;

/** Runs the live adb session; see the module comment. */
export class LiveSession {
	private readonly client: AdbServerClient;
	private readonly endpoint: AdbEndpoint;
	private readonly stopped = new AbortController();
	private watch: DeviceWatch | undefined;
	private devices: AdbDevice[] = [];
	private picked: string | undefined;
	private ready: AdbDevice | undefined;
	private readyWaiters: Array<() => void> = [];
	private readonly streamAborts = new Set<AbortController>();
	private readonly lastStatus = new Map<string, string>();
	private readonly lastRetry = new Map<string, number>();
	/**
	 * A `host:port` serial that left the server's list (`adb disconnect`, or the server gave up on
	 * it) rather than going offline: not reconnected by us, only waited for.
	 */
	private userDisconnected: string | undefined;
	private ownDisconnectAt = 0;
	private readonly lastData = new Map<StreamKind, number>();
	private readonly logStitcher = new LogcatStitcher();
	private readonly pcapStitcher = new PcapStitcher();
	private facts: DeviceFacts | undefined;
	private factsFor: bigint | undefined;
	private nudging = false;
	private everReady = false;
	private stallTimer: NodeJS.Timeout | undefined;
	private tasks: Promise<void>[] = [];
	/** Probe lines waiting for the logcat stream to reach a line boundary. */
	private readonly pendingProbe: string[] = [];
	private logAtLineStart = true;

	constructor(private readonly opts: LiveSessionOptions = {}) {
		this.endpoint = opts.endpoint ?? adbServerEndpoint();
		this.client = opts.client ?? createAdbClient(this.endpoint);
	}

	/** Facts of the current device, once read. */
	get device(): DeviceFacts | undefined {
		return this.facts;
	}

	/** Starts tracking and streaming; returns at once (progress comes through the callbacks). */
	start(): void {
		this.status(ADB_SOURCE, 'starting', `connecting to the adb server at ${this.endpoint.host}:${this.endpoint.port}`);
		this.watch = watchDevices(
			this.client,
			this.endpoint,
			{
				onList: (list) => this.devicesChanged(list, true),
				onError: (error, _wait, attempt) => {
					// The server's trouble is the news; the empty list that follows only ends the streams.
					this.status(ADB_SOURCE, this.everReady ? 'down' : 'starting', `adb server: ${error.message}`, attempt + 1);
					this.devicesChanged([], false);
				},
			},
			{schedule: this.opts.schedule, startServer: this.opts.startServer},
		);
		this.tasks.push(this.pump(LOGCAT_SOURCE));
		if (this.opts.probe) this.tasks.push(this.runProbe(this.opts.probe));
		if (this.opts.pcap !== false) this.tasks.push(this.pump(TCPDUMP_SOURCE));
		this.stallTimer = setInterval(() => this.checkStalls(), STALL_CHECK_MS);
	}

	/** The user's answer to the picker. */
	choose(serial: string): void {
		this.picked = serial;
		this.devicesChanged(this.devices, false);
	}

	/** Stops everything: streams, device tracking, timers. Idempotent. */
	async stop(): Promise<void> {
		if (this.stopped.signal.aborted) return;
		this.stopped.abort();
		clearInterval(this.stallTimer);
		for (const ac of this.streamAborts) ac.abort();
		for (const wake of this.readyWaiters.splice(0)) wake();
		await this.watch?.stop();
		await Promise.allSettled(this.tasks);
	}

	private wanted(): string | undefined {
		return this.opts.serial ?? this.picked ?? serialFromEnv();
	}

	/** `tracked`: the list came from the adb server (not emptied by tattle after losing the server). */
	private devicesChanged(list: AdbDevice[], tracked: boolean): void {
		if (this.stopped.signal.aborted) return;
		this.noteUserDisconnect(list, tracked);
		this.devices = list;
		this.opts.onDevices?.(list);
		const choice = chooseDevice(list, this.wanted());
		const previous = this.ready;
		this.ready = choice.kind === 'ready' ? choice.device : undefined;
		if (previous && previous.transportId !== this.ready?.transportId) {
			// The device left (or changed): end its streams now rather than wait for sockets to notice.
			for (const ac of this.streamAborts) ac.abort();
		}
		if (this.ready) {
			this.everReady = true;
			const d = this.ready;
			this.status(ADB_SOURCE, 'live', `${d.model ?? d.product ?? 'device'} (${d.serial})`);
			for (const wake of this.readyWaiters.splice(0)) wake();
			if (this.factsFor !== d.transportId) void this.readFacts(d);
		} else if (choice.kind === 'pick') {
			this.status(ADB_SOURCE, 'starting', `${choice.devices.length} devices attached: choose one (--serial)`);
		} else if (this.userDisconnected) {
			const serial = this.userDisconnected;
			this.status(ADB_SOURCE, 'down', `${serial} left the adb server (adb disconnect?): tattle does not connect it again itself; adb connect ${serial} to watch it again`, undefined, true);
		} else if (choice.kind === 'waiting') {
			this.status(ADB_SOURCE, this.everReady ? 'down' : 'starting', choice.reason);
			this.maybeReconnectTcp();
		}
	}

	/**
	 * A watched `host:port` device that leaves the server's list (rather than going offline) was
	 * disconnected by someone, the user or the server itself, unless by our own nudge. Either way
	 * tattle does not `adb connect` it again: the user meant it, or the server brings it back.
	 */
	private noteUserDisconnect(list: AdbDevice[], tracked: boolean): void {
		const serial = this.wanted() ?? this.ready?.serial;
		if (!serial || !TCP_SERIAL.test(serial)) return;
		const present = list.some((d) => d.serial === serial);
		if (present) this.userDisconnected = undefined;
		else if (tracked && this.devices.some((d) => d.serial === serial) && Date.now() - this.ownDisconnectAt > OWN_DISCONNECT_MS) this.userDisconnected = serial;
	}

	private async readFacts(d: AdbDevice): Promise<void> {
		this.factsFor = d.transportId;
		try {
			const adb = await openDevice(this.client, {transportId: d.transportId});
			try {
				this.facts = await deviceFacts(adb, d.serial);
			} finally {
				await adb.close().catch(() => undefined);
			}
			if (!this.stopped.signal.aborted) this.opts.onDevice?.(this.facts);
		} catch (error) {
			this.factsFor = undefined;
			// Said only while the device is still the one in front: a failure after it left is not news.
			if (this.ready?.transportId === d.transportId) this.status(ADB_SOURCE, 'live', `${d.serial}: could not read device facts: ${(error as Error).message}`);
		}
	}

	/** For `host:port` devices, the adb server's own retry takes 10 s (adb 29); reconnect sooner. */
	private maybeReconnectTcp(): void {
		const serial = this.wanted() ?? this.facts?.serial;
		if (this.opts.tcpReconnect === false || this.nudging || !serial || !TCP_SERIAL.test(serial) || this.userDisconnected === serial) return;
		this.nudging = true;
		void (async () => {
			let attempt = 0;
			try {
				while (!this.stopped.signal.aborted && !this.ready && this.userDisconnected !== serial) {
					await sleep(backoffMs(attempt++, this.opts.schedule), undefined, {signal: this.stopped.signal});
					if (this.ready || this.userDisconnected === serial) break;
					if (this.everReady) this.status(ADB_SOURCE, 'down', '', attempt);
					this.ownDisconnectAt = Date.now();
					await this.client.wireless.disconnect(serial).catch(() => undefined);
					this.ownDisconnectAt = Date.now();
					await this.client.wireless.connect(serial).catch(() => undefined);
				}
			} catch {
				// stopped while sleeping
			} finally {
				this.nudging = false;
			}
		})();
	}

	private waitForDevice(): Promise<AdbDevice | undefined> {
		if (this.ready || this.stopped.signal.aborted) return Promise.resolve(this.ready);
		return new Promise((resolve) => this.readyWaiters.push(() => resolve(this.ready))).then((d) =>
			d || this.stopped.signal.aborted ? (d as AdbDevice | undefined) : this.waitForDevice(),
		);
	}

	/** One stream's life: wait for the device, stream, and on any end retry on the backoff schedule. */
	private async pump(kind: StreamKind): Promise<void> {
		let attempt = 0;
		let brokenAt: number | undefined;
		let first = true;
		while (!this.stopped.signal.aborted) {
			const device = await this.waitForDevice();
			if (!device || this.stopped.signal.aborted) return;
			// During an outage the stream stays `down` (with its retry count) until bytes flow again.
			if (first) this.status(kind, 'starting', `starting on ${device.serial}`);
			const ac = new AbortController();
			this.streamAborts.add(ac);
			let reason = 'stream ended';
			try {
				const adb = await openDevice(this.client, {transportId: device.transportId});
				try {
					const chunks = kind === LOGCAT_SOURCE ? adbLogcat(adb, {since: this.logSince(first), signal: ac.signal}) : adbTcpdump(adb, {signal: ac.signal});
					if (kind === LOGCAT_SOURCE) this.logStitcher.beginResume();
					else this.pcapStitcher.beginStream();
					let flowing = false;
					for await (const chunk of chunks) {
						const now = Date.now();
						if (!flowing) {
							flowing = true;
							attempt = 0;
							const detail = brokenAt !== undefined ? `resumed after a ${((now - brokenAt) / 1000).toFixed(1)} s gap` : `streaming from ${device.serial}`;
							if (brokenAt !== undefined) this.opts.onGap?.(kind, brokenAt / 1000, now / 1000);
							brokenAt = undefined;
							this.status(kind, 'live', detail);
						} else if (this.lastStatus.get(kind)?.startsWith('stalled')) this.status(kind, 'live', `streaming from ${device.serial}`);
						this.lastData.set(kind, now);
						this.deliver(kind, chunk);
					}
					if (this.stopped.signal.aborted) return;
					reason = ac.signal.aborted ? 'device disconnected' : 'stream ended';
				} finally {
					await adb.close().catch(() => undefined);
				}
			} catch (error) {
				if (this.stopped.signal.aborted) return;
				if (error instanceof TcpdumpUnavailableError) {
					// Retrying cannot install tcpdump or root the phone: report once and stop this stream.
					this.status(kind, 'down', error.message);
					return;
				}
				reason = (error as Error).message || String(error);
			} finally {
				this.streamAborts.delete(ac);
			}
			first = false;
			brokenAt ??= this.lastData.get(kind) ?? Date.now();
			const wait = backoffMs(attempt++, this.opts.schedule);
			this.status(kind, 'down', reason, attempt);
			await sleep(wait, undefined, {signal: this.stopped.signal}).catch(() => undefined);
		}
	}

	/** `-T` for a logcat start: the last line seen when resuming, else the history window. */
	private logSince(first: boolean): number | undefined {
		const last = this.logStitcher.lastSeconds;
		if (!first && last !== undefined) return last;
		const history = this.opts.logHistorySec ?? LOG_HISTORY_SEC;
		if (history === 'all') return undefined;
		const lastData = this.lastData.get(LOGCAT_SOURCE);
		const offset = this.facts?.clockOffsetSec ?? 0;
		// Resuming without a parsed time (a non-epoch logcat): from the last bytes, on the phone's clock.
		if (!first && lastData !== undefined) return lastData / 1000 + offset;
		return Date.now() / 1000 + offset - history;
	}

	/** Polls the probe command; its messages wait for a line boundary in the logcat stream. */
	private async runProbe(probe: NonNullable<LiveSessionOptions['probe']>): Promise<void> {
		let failedOnce = false;
		while (!this.stopped.signal.aborted) {
			const device = await this.waitForDevice();
			if (!device || this.stopped.signal.aborted) return;
			try {
				const adb = await openDevice(this.client, {transportId: device.transportId});
				try {
					const text = await adb.subprocess.noneProtocol.spawnWaitText(probe.command);
					const phoneNow = Date.now() / 1000 + (this.facts?.clockOffsetSec ?? 0);
					for (const message of probe.onOutput(text)) {
						// The epoch,uid shape of the live logcat (uid pid tid), so the same parser reads it.
						this.pendingProbe.push(`${phoneNow.toFixed(3).padStart(24)}     0     0     0 I ${PROBE_TAG}: ${message}\n`);
					}
					this.flushProbe();
				} finally {
					await adb.close().catch(() => undefined);
				}
			} catch (error) {
				// A probe cut short by the device leaving is no news, and must not call a gone device live.
				if (!failedOnce && !this.stopped.signal.aborted && this.ready?.transportId === device.transportId) {
					this.status(ADB_SOURCE, 'live', `incognito probe failed: ${(error as Error).message}`);
					failedOnce = true;
				}
			}
			await sleep(probe.everyMs, undefined, {signal: this.stopped.signal}).catch(() => undefined);
		}
	}

	/** Probe lines go out only between whole logcat lines, never inside one. */
	private flushProbe(): void {
		if (!this.logAtLineStart || this.pendingProbe.length === 0) return;
		const bytes = new TextEncoder().encode(this.pendingProbe.splice(0).join(''));
		this.opts.onLogChunk?.(bytes);
	}

	private deliver(kind: StreamKind, chunk: Uint8Array): void {
		if (kind === LOGCAT_SOURCE) {
			const bytes = this.logStitcher.push(chunk);
			if (bytes.length) {
				this.opts.onLogChunk?.(bytes);
				this.logAtLineStart = bytes[bytes.length - 1] === 0x0a;
				this.flushProbe();
			}
			return;
		}
		const {bytes, restart} = this.pcapStitcher.push(chunk);
		if (restart) this.opts.onPcapRestart?.();
		if (bytes.length) this.opts.onPcapChunk?.(bytes);
	}

	private checkStalls(): void {
		const limit = this.opts.stallAfterMs ?? ADB_STALL_AFTER_MS;
		for (const kind of [LOGCAT_SOURCE, TCPDUMP_SOURCE] as const) {
			const last = this.lastData.get(kind);
			if (last === undefined || !this.lastStatus.get(kind)?.startsWith('live')) continue;
			if (Date.now() - last > limit) this.status(kind, 'stalled', `no data for over ${Math.round(limit / 1000)} s`);
		}
	}

	/**
	 * Reports a change. One event per state change: while a source stays `down` its detail stays
	 * the outage's first (unless `force`), and only a new `retry` count is passed on.
	 */
	private status(source: string, state: SourceState, detail: string, retry?: number, force = false): void {
		const last = this.lastStatus.get(source);
		const stillDown = state === 'down' && last?.startsWith('down\u0000') && !force;
		const shown = stillDown ? last!.slice('down\u0000'.length) : detail;
		const key = `${state}\u0000${shown}`;
		const retryNow = state === 'down' || state === 'starting' ? retry : undefined;
		const retryChanged = retryNow !== undefined && retryNow !== this.lastRetry.get(source);
		if (last === key && !retryChanged) return;
		this.lastStatus.set(source, key);
		if (retryNow === undefined) this.lastRetry.delete(source);
		else this.lastRetry.set(source, retryNow);
		this.opts.onStatus?.({source, state, detail: shown, ts: Date.now() / 1000, ...(retryNow !== undefined ? {retry: retryNow} : {})});
	}
}
