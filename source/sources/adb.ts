/**
 * The phone over adb, through the adb server (Tango: @yume-chan/adb + adb-server-node-tcp):
 * find or start the server, track devices (in our own retry loop: Tango's observer does not
 * reconnect after an error), choose a device, and open the byte streams tattle needs
 * (`logcat` text, `tcpdump -w -` pcap) plus device facts and the phone's clock offset.
 * Parses no protocol: bytes go to the capture parser and the logcat splitter.
 *
 * Over 300 lines because the server, device tracking, streams and the clock offset all go through
 * one Tango client and its error handling.
 */
import {execFile} from 'node:child_process';
import {accessSync, constants as fsConstants} from 'node:fs';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {Adb, AdbBanner, AdbServerClient, AdbServerTransport, type AdbServerStream} from '@yume-chan/adb';
import {AdbServerNodeTcpConnector} from '@yume-chan/adb-server-node-tcp';

/** The adb server's default port (adb's DEFAULT_ADB_PORT). */
const DEFAULT_ADB_SERVER_PORT = 5037;
/** `adb start-server` forks a daemon and waits for it; 10 s covers a cold start on a slow laptop. */
const START_SERVER_TIMEOUT_MS = 10_000;
/**
 * Retry schedule for the device tracker and the streams: doubling from 250 ms (the adb
 * server's own reconnect delay for TCP devices) to a 4 s cap (a replug is noticed within 4 s
 * without polling a missing server more than a few times a minute).
 */
const ADB_BACKOFF_MS: readonly number[] = [250, 500, 1000, 2000, 4000];
/** Bytes of error text kept from a failed command: enough for any shell or tcpdump message. */
const MAX_ERROR_TEXT = 4096;
/** After a command printed non-capture text, how long to wait for the rest of its message. */
const ERROR_TEXT_WAIT_MS = 3000;
/** getprop lines read at most (a phone has about 1,000 properties). */
const MAX_PROP_LINES = 10_000;
/** Clock samples taken; the one with the shortest round trip wins. */
const CLOCK_SAMPLES = 3;

export type AdbDevice = AdbServerClient.Device;
export type AdbEndpoint = {host: string; port: number};

/** Delay before retry number `attempt` (0-based) of {@link ADB_BACKOFF_MS}. */
export function backoffMs(attempt: number, schedule: readonly number[] = ADB_BACKOFF_MS): number {
	return schedule[Math.min(Math.max(attempt, 0), schedule.length - 1)]!;
}

/**
 * Where the adb server listens, as the adb client decides it: ADB_SERVER_SOCKET (`tcp:HOST:PORT`),
 * else ANDROID_ADB_SERVER_ADDRESS and ANDROID_ADB_SERVER_PORT, else 127.0.0.1:5037.
 */
export function adbServerEndpoint(env: NodeJS.ProcessEnv = process.env): AdbEndpoint {
	const socket = /^tcp:(?:(.+):)?(\d+)$/.exec(env.ADB_SERVER_SOCKET ?? '');
	if (socket) return {host: socket[1] ?? '127.0.0.1', port: Number(socket[2])};
	const port = Number(env.ANDROID_ADB_SERVER_PORT);
	return {
		host: env.ANDROID_ADB_SERVER_ADDRESS || '127.0.0.1',
		port: Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_ADB_SERVER_PORT,
	};
}

/** A Tango client for the adb server at `endpoint`. */
export function createAdbClient(endpoint: AdbEndpoint = adbServerEndpoint()): AdbServerClient {
	return new AdbServerClient(new AdbServerNodeTcpConnector({host: endpoint.host, port: endpoint.port}));
}

/** Path of the `adb` binary (PATH, then $ANDROID_HOME/platform-tools), or undefined. */
export function findAdbBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
	const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
	for (const home of [env.ANDROID_HOME, env.ANDROID_SDK_ROOT]) if (home) dirs.push(path.join(home, 'platform-tools'));
	for (const dir of dirs) {
		const file = path.join(dir, process.platform === 'win32' ? 'adb.exe' : 'adb');
		try {
			accessSync(file, fsConstants.X_OK);
			return file;
		} catch {
			// not here
		}
	}
	return undefined;
}

function isLoopback(host: string): boolean {
	return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** True for errors that mean "nobody listens there" (the server is not running). */
function isConnectionRefused(error: unknown): boolean {
	const code = (error as {code?: string} | undefined)?.code;
	return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOENT';
}

/** Runs `adb start-server` for the endpoint's port. */
function startAdbServer(adbPath: string, endpoint: AdbEndpoint): Promise<void> {
	return new Promise((resolve, reject) => {
		execFile(
			adbPath,
			['start-server'],
			{env: {...process.env, ANDROID_ADB_SERVER_PORT: String(endpoint.port)}, timeout: START_SERVER_TIMEOUT_MS},
			(error, _stdout, stderr) => (error ? reject(new Error(`adb start-server failed: ${stderr.trim() || error.message}`)) : resolve()),
		);
	});
}

/**
 * Makes sure an adb server answers at `endpoint`: asks its version, and when nobody listens on
 * a loopback address and an `adb` binary exists, starts one. Resolves with the server version.
 */
export async function ensureAdbServer(
	client: AdbServerClient,
	endpoint: AdbEndpoint,
	options: {adbPath?: string; start?: boolean} = {},
): Promise<{version: number; started: boolean}> {
	try {
		return {version: await client.getVersion(), started: false};
	} catch (error) {
		const adbPath = options.adbPath ?? findAdbBinary();
		if (options.start === false || !isConnectionRefused(error) || !isLoopback(endpoint.host) || !adbPath) {
			throw new AdbUnavailableError(
				adbPath || !isConnectionRefused(error)
					? `adb server not reachable at ${endpoint.host}:${endpoint.port}: ${(error as Error).message}`
					: `no adb server at ${endpoint.host}:${endpoint.port} and no adb binary to start one (apt-get install adb, or the Android platform-tools)`,
			);
		}
		await startAdbServer(adbPath, endpoint);
		return {version: await client.getVersion(), started: true};
	}
}

/** The adb server cannot be reached or started. */
class AdbUnavailableError extends Error {}

/**
 * Every state adb names a device by (adb's connection_state_name; `no` begins "no permissions"),
 * so that a device in any of them is listed with it rather than dropped as if unplugged.
 */
const DEVICE_STATES = [
	'device', 'unauthorized', 'offline', 'authorizing', 'connecting', 'bootloader', 'recovery', 'rescue', 'sideload', 'host', 'no',
] as unknown as readonly AdbServerClient.ConnectionState[];

/** Every device the server knows, in whatever state. */
export async function listDevices(client: AdbServerClient): Promise<AdbDevice[]> {
	return client.getDevices(DEVICE_STATES);
}

/** What to do with the current device list. */
type DeviceChoice =
	| {kind: 'ready'; device: AdbDevice}
	| {kind: 'pick'; devices: AdbDevice[]}
	| {kind: 'waiting'; reason: string};

/**
 * Chooses the device to watch: the one named by `serial` (--serial or ANDROID_SERIAL), else the
 * only ready device; several ready devices ask for a pick; otherwise a reason to wait.
 */
export function chooseDevice(devices: readonly AdbDevice[], serial?: string): DeviceChoice {
	if (serial) {
		const d = devices.find((x) => x.serial === serial);
		if (!d) return {kind: 'waiting', reason: notAttached(serial, devices)};
		return d.state === 'device' ? {kind: 'ready', device: d} : {kind: 'waiting', reason: stateReason(d)};
	}
	const ready = devices.filter((d) => d.state === 'device');
	if (ready.length === 1) return {kind: 'ready', device: ready[0]!};
	if (ready.length > 1) return {kind: 'pick', devices: ready};
	if (devices.length) return {kind: 'waiting', reason: stateReason(devices[0]!)};
	return {kind: 'waiting', reason: 'waiting for a device: plug in a phone with USB debugging on'};
}

/** `X is not attached`, naming the devices that are (as `adb devices -l` would). */
export function notAttached(serial: string, devices: readonly AdbDevice[]): string {
	const attached = devices.map((d) => `${d.serial} ${d.model ?? d.product ?? ''} (${d.state})`.replace('  (', ' ('));
	return `waiting for ${serial}: ${serial} is not attached; ${attached.length ? `attached: ${attached.join(', ')}` : 'no device is attached'}`;
}

/** One `adb devices -l` line: serial, state, then product, model, device and transport id. */
export function describeDevice(d: AdbDevice): string {
	const words = [d.serial.padEnd(22), d.state.padEnd(12)];
	if (d.product) words.push(`product:${d.product}`);
	if (d.model) words.push(`model:${d.model}`);
	if (d.device) words.push(`device:${d.device}`);
	words.push(`transport_id:${d.transportId}`);
	return words.join(' ');
}

function stateReason(d: AdbDevice): string {
	if (d.state === 'unauthorized') return `${d.serial} is unauthorized: accept the USB debugging prompt on the phone`;
	if (d.state === 'offline') return `${d.serial} is offline: replug it or run adb reconnect`;
	if ((d.state as string) === 'no') return `${d.serial}: no permission to open the USB device (udev rules: see adb devices)`;
	return `${d.serial} is ${d.state}`;
}

/** The serial asked for by the environment (ANDROID_SERIAL), as the adb client reads it. */
export function serialFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
	return env.ANDROID_SERIAL || undefined;
}

export type DeviceWatch = {stop(): Promise<void>};

type DeviceWatchHandlers = {
	/** The full device list, whenever it changes (and once after every (re)connection). */
	onList(devices: AdbDevice[]): void;
	/** The server went away or could not be reached; the watch retries by itself. */
	onError?(error: Error, retryInMs: number, attempt: number): void;
};

/**
 * Tracks devices (`host:track-devices-l`) for as long as it runs: when the server goes away
 * (killed, restarted, crashed) it reconnects on the {@link ADB_BACKOFF_MS} schedule, starting a
 * local server when none answers.
 *
 * The pushed lists are read here, not through Tango's observer: Tango 2.6 parses them with its
 * default states (device, unauthorized), so a device the server marks `offline` vanished from
 * the list as if unplugged (yume-chan/ya-webadb#670) and could not be told apart from an
 * `adb disconnect`.
 */
export function watchDevices(
	client: AdbServerClient,
	endpoint: AdbEndpoint,
	handlers: DeviceWatchHandlers,
	options: {schedule?: readonly number[]; startServer?: boolean} = {},
): DeviceWatch {
	const stopped = new AbortController();
	let current: AdbServerStream | undefined;
	const loop = async (): Promise<void> => {
		let attempt = 0;
		while (!stopped.signal.aborted) {
			let failure: Error | undefined;
			try {
				await ensureAdbServer(client, endpoint, {start: options.startServer});
				const stream = await client.createConnection('host:track-devices-l');
				current = stream;
				attempt = 0;
				try {
					// One length-prefixed list now, then one on every change, until the server goes away.
					while (!stopped.signal.aborted) handlers.onList(AdbServerClient.parseDeviceList(await stream.readString(), DEVICE_STATES));
				} catch (error) {
					if (!stopped.signal.aborted) failure = error instanceof Error ? error : new Error(String(error));
				}
				current = undefined;
				await stream.dispose().catch(() => undefined);
			} catch (error) {
				failure = error instanceof Error ? error : new Error(String(error));
			}
			if (stopped.signal.aborted) return;
			const wait = backoffMs(attempt, options.schedule);
			handlers.onError?.(failure ?? new Error('device tracking ended'), wait, attempt++);
			await sleep(wait, undefined, {signal: stopped.signal}).catch(() => undefined);
		}
	};
	const done = loop();
	return {
		async stop() {
			stopped.abort();
			await current?.dispose().catch(() => undefined);
			await done;
		},
	};
}

/**
 * The first ready device, or undefined when none shows up within `timeoutMs` (for "live if a
 * phone is attached, else the demo"). Starts a local adb server if needed.
 */
export async function firstDevice(
	options: {timeoutMs?: number; endpoint?: AdbEndpoint; serial?: string} = {},
): Promise<AdbDevice | undefined> {
	const endpoint = options.endpoint ?? adbServerEndpoint();
	const client = createAdbClient(endpoint);
	const deadline = Date.now() + (options.timeoutMs ?? 1500);
	const attempt = async (): Promise<AdbDevice | undefined> => {
		await ensureAdbServer(client, endpoint);
		while (Date.now() < deadline) {
			const choice = chooseDevice(await listDevices(client), options.serial ?? serialFromEnv());
			if (choice.kind === 'ready') return choice.device;
			if (choice.kind === 'pick') return choice.devices[0];
			await sleep(backoffMs(0));
		}
		return undefined;
	};
	const timeout = sleep(Math.max(0, deadline - Date.now()) + backoffMs(0)).then(() => undefined);
	return Promise.race([attempt(), timeout]);
}

/**
 * Opens a Tango `Adb` for one device (by serial or transport id). Close it when done.
 *
 * Not `client.createAdb`: Tango holds `host-transport-id:N:wait-for-any-disconnect` open for every
 * Adb it creates, and Debian's adb server (29.0.6) busy-loops on that service (50-130% of a core
 * while tattle watched). The device's departure is learnt from `host:track-devices-l` instead,
 * which the server pushes and which Tango shares between all observers of one client.
 */
export async function openDevice(client: AdbServerClient, device: string | {transportId: bigint}): Promise<Adb> {
	const selector = typeof device === 'string' ? {serial: device} : device;
	const {transportId, features} = await client.getDeviceFeatures(selector);
	// The tracking socket is unref'd (an open Adb must not keep the process alive, as with Tango's
	// own wait), so while it connects nothing else may hold the event loop: hold it ourselves.
	const hold = setInterval(() => undefined, 60_000);
	const observer = await client.trackDevices({includeStates: ['device', 'unauthorized', 'offline'], unref: true}).finally(() => clearInterval(hold));
	let info: AdbDevice | undefined;
	const gone = new Promise<void>((resolve) => {
		observer.onListChange((list) => {
			const d = list.find((x) => x.transportId === transportId);
			info ??= d;
			if (d?.state !== 'device') resolve();
		});
		observer.onError(() => resolve());
	});
	const transport = new AdbServerTransport(client, info?.serial ?? '', new AdbBanner(info?.state, info?.product, info?.model, info?.device, features), transportId, gone);
	const stop = (): void => void Promise.resolve(observer.stop()).catch(() => undefined);
	void transport.disconnected.then(stop, stop);
	return new Adb(transport);
}

/** Facts about the phone, for the device panel, the report and the bundle's meta.json. */
export type DeviceFacts = {
	serial: string;
	manufacturer?: string;
	model?: string;
	/** ro.build.version.release, e.g. "14". */
	android?: string;
	sdk?: number;
	/** persist.sys.timezone, e.g. "Europe/Paris". */
	timeZone?: string;
	/** Phone clock minus host clock, seconds (positive: the phone is ahead). */
	clockOffsetSec?: number;
	/** Round trip of the best clock sample, seconds (the offset's uncertainty is half of it). */
	clockRttSec?: number;
};

/** Parses `getprop` output (`[key]: [value]` lines); bounded, never throws. */
export function parseGetprop(text: string): Map<string, string> {
	const props = new Map<string, string>();
	let n = 0;
	for (const line of text.split('\n')) {
		if (++n > MAX_PROP_LINES) break;
		const m = /^\[([^\]]*)\]: \[(.*)\]\r?$/.exec(line);
		if (m) props.set(m[1]!, m[2]!);
	}
	return props;
}

/** Reads getprop and the clock offset of a device. */
export async function deviceFacts(adb: Adb, serial = adb.serial): Promise<DeviceFacts> {
	const props = parseGetprop(await adb.subprocess.noneProtocol.spawnWaitText('getprop'));
	const sdk = Number(props.get('ro.build.version.sdk'));
	const facts: DeviceFacts = {
		serial,
		manufacturer: props.get('ro.product.manufacturer') || undefined,
		model: props.get('ro.product.model') || undefined,
		android: props.get('ro.build.version.release') || undefined,
		sdk: Number.isFinite(sdk) && sdk > 0 ? sdk : undefined,
		timeZone: props.get('persist.sys.timezone') || undefined,
	};
	const clock = await measureClockOffset(adb).catch(() => undefined);
	if (clock) {
		facts.clockOffsetSec = clock.offsetSec;
		facts.clockRttSec = clock.rttSec;
	}
	return facts;
}

/** Parses `date +%s.%N` output; toybox builds without %N print a literal N, giving whole seconds. */
export function parsePhoneDate(text: string): number | undefined {
	const m = /^\s*(\d{9,12})(?:\.(\d{1,9}))?/.exec(text);
	if (!m) return undefined;
	return Number(m[1]) + (m[2] ? Number(m[2].padEnd(9, '0')) / 1e9 : 0);
}

/**
 * Phone clock minus host clock: the phone's `date +%s.%N` against the host clock at the middle
 * of the round trip; the sample with the shortest round trip wins.
 */
async function measureClockOffset(
	adb: Adb,
	now: () => number = () => Date.now() / 1000,
): Promise<{offsetSec: number; rttSec: number}> {
	let best: {offsetSec: number; rttSec: number} | undefined;
	for (let i = 0; i < CLOCK_SAMPLES; i++) {
		const t1 = now();
		const out = await adb.subprocess.noneProtocol.spawnWaitText('date +%s.%N');
		const t2 = now();
		const phone = parsePhoneDate(out);
		if (phone === undefined) continue;
		const sample = {offsetSec: phone - (t1 + t2) / 2, rttSec: t2 - t1};
		if (!best || sample.rttSec < best.rttSec) best = sample;
	}
	if (!best) throw new Error('the phone did not answer date +%s.%N');
	return best;
}

type Process = Awaited<ReturnType<Adb['subprocess']['noneProtocol']['spawn']>>;

/** Reads a process's output as chunks; kills the process when the consumer stops or `signal` aborts. */
async function* readProcess(proc: Process, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
	const reader = proc.output.getReader();
	const kill = (): void => void Promise.resolve(proc.kill()).catch(() => undefined);
	signal?.addEventListener('abort', kill, {once: true});
	try {
		while (!signal?.aborted) {
			const {done, value} = await reader.read();
			if (done) return;
			if (value.length) yield value;
		}
	} finally {
		signal?.removeEventListener('abort', kill);
		kill();
		reader.releaseLock();
	}
}

/** Text of the first chunks of a failed command (bounded in bytes and in time). */
async function readErrorText(first: Uint8Array, rest: AsyncGenerator<Uint8Array>): Promise<string> {
	const parts = [first];
	let size = first.length;
	const deadline = Date.now() + ERROR_TEXT_WAIT_MS;
	while (size < MAX_ERROR_TEXT && Date.now() < deadline) {
		const left = deadline - Date.now();
		const next = await Promise.race([rest.next(), sleep(left).then(() => undefined)]);
		if (!next || next.done) break;
		parts.push(next.value);
		size += next.value.length;
	}
	await rest.return(undefined);
	return new TextDecoder().decode(Buffer.concat(parts).subarray(0, MAX_ERROR_TEXT)).trim();
}

type LogcatOptions = {
	/** Epoch seconds: only lines at or after this time (`-T`), to resume without a re-dump. */
	since?: number;
	signal?: AbortSignal;
};

/** Logcat buffers read: the default set plus events (am_proc_start and friends) and crash. */
const LOGCAT_BUFFERS = ['main', 'system', 'events', 'crash'];

/**
 * The logcat command lines tried in order: absolute epoch time with uids first, then simpler
 * ones for logcat builds that reject a `-v` word or a buffer name.
 */
export function logcatCommands(since?: number): string[] {
	const buffers = LOGCAT_BUFFERS.map((b) => `-b ${b}`).join(' ');
	const tail = since !== undefined && Number.isFinite(since) && since > 0 ? ` -T ${since.toFixed(3)}` : '';
	return [
		`logcat -v threadtime -v epoch -v uid ${buffers}${tail}`,
		`logcat -v threadtime -v epoch ${buffers}${tail}`,
		`logcat -v threadtime${tail}`,
	];
}

/** Output that means logcat refused its arguments rather than printing logs. */
const LOGCAT_REFUSAL = /^(?:logcat: |Invalid |Unknown |unknown |Unrecognized |usage: |Unable to open)/i;

/**
 * Streams `logcat` text (epoch times, uids; main, system, events and crash buffers) as raw
 * chunks, which may split lines anywhere. Ends when the device goes away or `signal` aborts.
 */
export async function* adbLogcat(adb: Adb, options: LogcatOptions = {}): AsyncGenerator<Uint8Array> {
	const commands = logcatCommands(options.since);
	for (let i = 0; i < commands.length; i++) {
		const proc = await adb.subprocess.noneProtocol.spawn(commands[i]!);
		const chunks = readProcess(proc, options.signal);
		const first = await chunks.next();
		if (first.done) return;
		const text = new TextDecoder().decode(first.value.subarray(0, 256));
		if (i < commands.length - 1 && LOGCAT_REFUSAL.test(text)) {
			await chunks.return(undefined);
			continue;
		}
		yield first.value;
		yield* chunks;
		return;
	}
}

/** The phone cannot run tcpdump (not installed, no root); the message says what to do instead. */
export class TcpdumpUnavailableError extends Error {}

const TCPDUMP = 'tcpdump -i any -U -s 0 -w -';
/** Marker echoed with tcpdump's exit status: its stderr is discarded so it cannot corrupt the pcap. */
const EXIT_MARK = 'tattle-exit:';

/**
 * The tcpdump command lines tried in order: as is (adbd running as root, or a permissive
 * build), then through `su -c` (Magisk, SuperSU), then `su 0` (AOSP userdebug su). stderr goes
 * to /dev/null because `exec:` merges it into the pcap bytes; the exit status is echoed instead.
 */
export function tcpdumpCommands(): string[] {
	const guarded = `${TCPDUMP} 2>/dev/null || echo ${EXIT_MARK}$?`;
	return [guarded, `su -c '${guarded}'`, `su 0 ${guarded}`];
}

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a]);

/** True when bytes start like a pcap or pcapng file. */
export function looksLikeCapture(bytes: Uint8Array): boolean {
	return bytes.length >= 4 && PCAP_MAGICS.has(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false));
}

const SILENT_EXIT = 'tcpdump printed nothing and exited';

/** Explains a failed tcpdump attempt from what it printed. */
export function explainTcpdumpFailure(text: string): string {
	const exit = new RegExp(`${EXIT_MARK}(\\d+)`).exec(text)?.[1];
	if (/su: (?:inaccessible or )?not found|su: not found/.test(text)) return 'su is not installed (the phone is not rooted)';
	if (exit === '127' || /tcpdump: (?:inaccessible or )?not found/.test(text)) return 'tcpdump is not installed on the phone';
	if (exit === '126') return 'tcpdump is not executable';
	if (/permission|not permitted|denied/i.test(text) || exit === '1') return 'tcpdump needs root (permission denied)';
	if (text === '') return SILENT_EXIT;
	return `tcpdump failed: ${text.split('\n')[0]!.slice(0, 200)}`;
}

const PCAPDROID_HINT =
	'Capture with PCAPdroid instead: start its UDP exporter to this computer and run `tattle live --pcap udp://0.0.0.0:5123` (or `--pcapdroid`).';

/**
 * Streams the phone's packets as pcap bytes from `tcpdump -w -` (header first). Tries plain,
 * `su -c` and `su 0`; when none yields a capture, throws {@link TcpdumpUnavailableError} with
 * the reasons and a PCAPdroid suggestion.
 */
export async function* adbTcpdump(adb: Adb, options: {signal?: AbortSignal} = {}): AsyncGenerator<Uint8Array> {
	const reasons: string[] = [];
	for (const command of tcpdumpCommands()) {
		if (options.signal?.aborted) return;
		const proc = await adb.subprocess.noneProtocol.spawn(command);
		const chunks = readProcess(proc, options.signal);
		let head: Uint8Array = new Uint8Array(0);
		let ended = false;
		// The magic may arrive split across chunks: gather at least 4 bytes before judging.
		while (head.length < 4) {
			const next = await chunks.next();
			if (next.done) {
				ended = true;
				break;
			}
			head = head.length ? Buffer.concat([head, next.value]) : next.value;
		}
		if (options.signal?.aborted) return;
		if (!ended && looksLikeCapture(head)) {
			yield head;
			yield* chunks;
			return;
		}
		const text = ended ? new TextDecoder().decode(head).trim() : await readErrorText(head, chunks);
		reasons.push(explainTcpdumpFailure(text));
	}
	const unique = [...new Set(reasons)];
	// Silence alone proves nothing (the phone may have been unplugged mid-probe): retryable.
	if (unique.every((r) => r === SILENT_EXIT)) throw new Error(`tcpdump: ${SILENT_EXIT}`);
	throw new TcpdumpUnavailableError(`tcpdump unavailable on the phone: ${unique.join('; ')}. ${PCAPDROID_HINT}`);
}
